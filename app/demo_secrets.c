/*
 * demo_secrets.c - the demo-secret warning (see demo_secrets.h).
 */
#include "app/demo_secrets.h"
#include "common/log.h"

#include <arpa/inet.h>
#include <string.h>

/* Every secret of samples/omsgw.json (keep in step with it). They are public, but the warnings
 * still name only the field, like every other log line about secrets. */
static const char *const demo_values[] = {
    "demo-v5-key", "demo-inv-key", "second-v5-key", "second-inv-key", "disabled-v5-key",
    "disabled-inv-key", "demo-oci-token", "native-oci-token", "demo-secret",
};

static int is_demo(const char *value)
{
    if (!value)
        return 0;
    for (size_t i = 0; i < sizeof demo_values / sizeof demo_values[0]; i++)
        if (strcmp(value, demo_values[i]) == 0)
            return 1;
    return 0;
}

int app_is_loopback(const char *address)
{
    struct in_addr parsed;
    if (!address || inet_pton(AF_INET, address, &parsed) != 1)
        return 0;
    return (ntohl(parsed.s_addr) >> 24) == 127;
}

int app_warn_demo_secrets(const cm_config *config, int gateway_listening, int oci_listening)
{
    int warnings = 0;
    if (gateway_listening && !app_is_loopback(config->gateway.bind)) {
        for (size_t t = 0; t < config->tenant_count; t++) {
            const cm_tenant *tenant = &config->tenants[t];
            const char *names[] = {"v5", "inventorySpecific"};
            const char *values[] = {tenant->v5_key, tenant->inventory_specific_key};
            for (int k = 0; k < 2; k++)
                if (is_demo(values[k])) {
                    cm_log_warn("config.demo_secret",
                                "field=tenants[%zu].apiKeys.%s listener=gateway bind=%s holds the published "
                                "demo API key of samples/omsgw.json on a non-loopback address: replace it",
                                t, names[k], config->gateway.bind);
                    warnings++;
                }
        }
    }
    if (oci_listening && !app_is_loopback(config->oci.bind)) {
        for (size_t o = 0; o < config->oci.organization_count; o++) {
            const cm_oci_org *org = &config->oci.organizations[o];
            for (size_t i = 0; i < org->token_count; i++)
                if (is_demo(org->tokens[i].token)) {
                    cm_log_warn("config.demo_secret",
                                "field=oci.organizations[%zu].tokens[%zu].token listener=oci bind=%s holds the "
                                "published demo token of samples/omsgw.json on a non-loopback address: replace it",
                                o, i, config->oci.bind);
                    warnings++;
                }
            for (size_t i = 0; i < org->client_count; i++)
                if (is_demo(org->clients[i].secret)) {
                    cm_log_warn("config.demo_secret",
                                "field=oci.organizations[%zu].clients[%zu].secret listener=oci bind=%s holds the "
                                "published demo client secret of samples/omsgw.json on a non-loopback address: "
                                "replace it",
                                o, i, config->oci.bind);
                    warnings++;
                }
        }
    }
    return warnings;
}
