#include "gateway/auth.h"
#include "common/clock.h"
#include "common/digest.h"
#include "common/token_bucket.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int gw_parse_tenant(const char *text, int64_t *tenant_id)
{
    if (!text)
        return -1;
    if (*text == 't' || *text == 'T')
        text++;
    size_t length = strlen(text);
    if (length == 0 || length > 10 || strspn(text, "0123456789") != length)
        return -1;
    int64_t value = strtoll(text, NULL, 10);
    if (value <= 0)
        return -1;
    *tenant_id = value;
    return 0;
}

static int key_matches(const cm_tenant *tenant, gw_package package, const char *key)
{
    uint8_t digest[CM_SHA256_LEN];
    if (cm_sha256(key, strlen(key), digest) != CM_OK)
        return 0; /* libcrypto out of memory: refuse rather than guess */
    int v5 = tenant->has_v5_key && cm_const_time_equal(digest, tenant->v5_key_sha256, CM_SHA256_LEN);
    int inventory = tenant->has_inventory_specific_key &&
                    cm_const_time_equal(digest, tenant->inventory_specific_key_sha256, CM_SHA256_LEN);
    switch (package) {
    case GW_PACKAGE_V5: return v5;
    case GW_PACKAGE_INVENTORY_SPECIFIC: return inventory;
    case GW_PACKAGE_ANY: return v5 || inventory;
    }
    return 0;
}

/* The bearer token of the Authorization header, or NULL. */
static const char *bearer_token(const cm_http_request *request)
{
    const char *header = cm_http_header(request, "Authorization");
    if (!header || strncasecmp(header, "Bearer ", 7) != 0)
        return NULL;
    const char *token = header + 7;
    while (*token == ' ')
        token++;
    return *token ? token : NULL;
}

const cm_tenant *gw_authenticate(cm_http_request *request, const cm_config *config, gw_package package,
                                 gw_rate_limiter *limiter)
{
    int64_t tenant_id = 0;
    const char *tenant_header = cm_http_header(request, "x-vol-tenant");
    if (!tenant_header) {
        cm_http_reply_error(request, 401, "UNAUTHORIZED", "The x-vol-tenant header is required.", "x-vol-tenant");
        return NULL;
    }
    if (gw_parse_tenant(tenant_header, &tenant_id) != 0) {
        cm_http_reply_error(request, 401, "UNAUTHORIZED",
                            "The x-vol-tenant header must be a tenant number such as 12345 or t12345.",
                            "x-vol-tenant");
        return NULL;
    }
    const cm_tenant *tenant = cm_config_tenant(config, tenant_id);
    const char *key = bearer_token(request);
    /* A valid key of the tenant's other package proves the caller knows the tenant already, so
     * saying which package the route belongs to reveals nothing and saves a support call. */
    if (tenant && key && package != GW_PACKAGE_ANY && !key_matches(tenant, package, key) &&
        key_matches(tenant, GW_PACKAGE_ANY, key)) {
        cm_http_reply_error(request, 401, "UNAUTHORIZED",
                            package == GW_PACKAGE_V5
                                ? "This route belongs to the Inventory V5 package and needs the tenant's V5 API "
                                  "key; the key sent is the tenant's Inventory Specific key."
                                : "This route belongs to the Inventory Specific package and needs the tenant's "
                                  "Inventory Specific API key; the key sent is the tenant's V5 key.",
                            "Authorization");
        return NULL;
    }
    /* An unknown tenant and a wrong key get the same answer, so tenants cannot be probed. */
    if (!tenant || !key || !key_matches(tenant, package, key)) {
        const char *message =
            !key ? "The Authorization header must carry the package's API key as a Bearer token."
            : package == GW_PACKAGE_V5 ? "The tenant or its Inventory V5 API key is not valid."
            : package == GW_PACKAGE_INVENTORY_SPECIFIC
                ? "The tenant or its Inventory Specific API key is not valid."
                : "The tenant or its API key is not valid.";
        cm_http_reply_error(request, 401, "UNAUTHORIZED", message, !key ? "Authorization" : NULL);
        return NULL;
    }
    if (!tenant->translated_apis) {
        cm_http_reply_error(request, 403, "FORBIDDEN", "Translated APIs are not enabled for this tenant.", NULL);
        return NULL;
    }
    if (limiter) {
        int wait_seconds = gw_rate_limit_take(limiter, tenant, cm_mono_ms());
        if (wait_seconds > 0) {
            char value[16];
            snprintf(value, sizeof value, "%d", wait_seconds);
            cm_http_add_header(request, "Retry-After", value);
            char message[128];
            snprintf(message, sizeof message,
                     "Too many requests for this tenant; retry after %d seconds.", wait_seconds);
            cm_http_reply_error(request, 429, "TOO_MANY_REQUESTS", message, NULL);
            return NULL;
        }
    }
    return tenant;
}

/* ---- token buckets (common/token_bucket.h), one per tenant ---- */

struct gw_rate_limiter {
    cm_token_bucket *buckets; /* same order as config->tenants */
    const cm_config *config;
};

gw_rate_limiter *gw_rate_limiter_new(const cm_config *config)
{
    gw_rate_limiter *limiter = calloc(1, sizeof *limiter);
    if (!limiter)
        return NULL;
    limiter->buckets = calloc(config->tenant_count ? config->tenant_count : 1, sizeof(cm_token_bucket));
    if (!limiter->buckets) {
        free(limiter);
        return NULL;
    }
    limiter->config = config;
    int64_t now_ms = cm_mono_ms();
    for (size_t i = 0; i < config->tenant_count; i++)
        cm_bucket_init(&limiter->buckets[i], config->tenants[i].rate_limit.requests_per_second,
                       config->tenants[i].rate_limit.burst, now_ms);
    return limiter;
}

void gw_rate_limiter_free(gw_rate_limiter *limiter)
{
    if (!limiter)
        return;
    for (size_t i = 0; i < limiter->config->tenant_count; i++)
        cm_bucket_destroy(&limiter->buckets[i]);
    free(limiter->buckets);
    free(limiter);
}

int gw_rate_limit_take(gw_rate_limiter *limiter, const cm_tenant *tenant, int64_t now_ms)
{
    for (size_t i = 0; i < limiter->config->tenant_count; i++) {
        if (limiter->config->tenants[i].id != tenant->id)
            continue;
        cm_bucket_decision decision;
        cm_bucket_take(&limiter->buckets[i], now_ms, &decision);
        return decision.allowed ? 0 : (int)decision.retry_after_s;
    }
    return 0;
}
