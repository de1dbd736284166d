/* auth.c - bearer tokens, their organizations and scopes, and connected-app keys (auth.h). */
#include "oci_core/auth.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/digest.h"
#include "common/rsa_key.h"
#include "common/uuid.h"
#include "oci_core/limits.h"

typedef struct issued_token {
    char token[OCI_TOKEN_TEXT_MAX];
    unsigned *org_scopes; /* owned; organization_count entries, 0: not valid there */
    int64_t expires_ms;
} issued_token;

struct oci_auth {
    const cm_config *config;
    pthread_mutex_t lock;
    issued_token *issued;
    size_t issued_count;
    EVP_PKEY ***app_keys; /* [org][app] */
};

static const struct {
    unsigned bit;
    const char *name, *org_name;
} SCOPE_NAMES[] = {
    {CM_SCOPE_AVAILABILITY, "sfcc.inventory.availability", "sfcc_inventory_availability"},
    {CM_SCOPE_AVAILABILITY_RW, "sfcc.inventory.availability.rw", "sfcc_inventory_availability_rw"},
    {CM_SCOPE_IMPEX_INVENTORY, "sfcc.inventory.impex-inventory", "sfcc_inventory_impex_inventory"},
    {CM_SCOPE_IMPEX_INVENTORY_RW, "sfcc.inventory.impex-inventory.rw", "sfcc_inventory_impex_inventory_rw"},
    {CM_SCOPE_IMPEX_GRAPHS, "sfcc.inventory.impex-graphs", "sfcc_inventory_impex_graphs"},
    {CM_SCOPE_RESERVATIONS, "sfcc.inventory.reservations", "sfcc_inventory_reservations"},
    {CM_SCOPE_RESERVATIONS_RW, "sfcc.inventory.reservations.rw", "sfcc_inventory_reservations_rw"},
};
#define SCOPE_COUNT (sizeof SCOPE_NAMES / sizeof SCOPE_NAMES[0])

const char *oci_scope_name(unsigned scope)
{
    for (size_t i = 0; i < SCOPE_COUNT; i++)
        if (SCOPE_NAMES[i].bit == scope)
            return SCOPE_NAMES[i].name;
    return "unknown";
}

const char *oci_scope_org_name(unsigned scope)
{
    for (size_t i = 0; i < SCOPE_COUNT; i++)
        if (SCOPE_NAMES[i].bit == scope)
            return SCOPE_NAMES[i].org_name;
    return "unknown";
}

void oci_scope_list(unsigned scopes, int org_spelling, char *out, size_t size)
{
    if (size == 0)
        return;
    out[0] = '\0';
    for (size_t i = 0; i < SCOPE_COUNT; i++) {
        if (!(scopes & SCOPE_NAMES[i].bit))
            continue;
        size_t used = strlen(out);
        snprintf(out + used, size - used, "%s%s", used ? " " : "",
                 org_spelling ? SCOPE_NAMES[i].org_name : SCOPE_NAMES[i].name);
    }
}

int oci_same_secret(const char *a, const char *b)
{
    size_t length = strlen(a);
    return length == strlen(b) && cm_const_time_equal(a, b, length);
}

static void free_app_keys(oci_auth *auth)
{
    if (!auth->app_keys)
        return;
    for (size_t o = 0; o < auth->config->oci.organization_count; o++) {
        if (!auth->app_keys[o])
            continue;
        for (size_t a = 0; a < auth->config->oci.organizations[o].connected_app_count; a++)
            EVP_PKEY_free(auth->app_keys[o][a]);
        free(auth->app_keys[o]);
    }
    free(auth->app_keys);
    auth->app_keys = NULL;
}

static cm_err load_app_keys(oci_auth *auth, char error[OCI_AUTH_ERROR_MAX])
{
    const cm_config *config = auth->config;
    size_t org_count = config->oci.organization_count;
    auth->app_keys = calloc(org_count ? org_count : 1, sizeof *auth->app_keys);
    if (!auth->app_keys)
        goto no_memory;
    for (size_t o = 0; o < org_count; o++) {
        const cm_oci_org *org = &config->oci.organizations[o];
        auth->app_keys[o] = calloc(org->connected_app_count ? org->connected_app_count : 1, sizeof(EVP_PKEY *));
        if (!auth->app_keys[o])
            goto no_memory;
        for (size_t a = 0; a < org->connected_app_count; a++) {
            const cm_connected_app *app = &org->connected_apps[a];
            if (!app->certificate_path)
                continue;
            char why[CM_RSA_KEY_ERROR_MAX];
            cm_err rc = cm_rsa_public_key_load(app->certificate_path, &auth->app_keys[o][a], why);
            if (rc == CM_ENOMEM)
                goto no_memory;
            if (rc != CM_OK) {
                snprintf(error, OCI_AUTH_ERROR_MAX, "oci.organizations[%zu].connectedApps[%zu].certificate: %.400s",
                         o, a, why);
                return CM_ECONFIG;
            }
        }
    }
    return CM_OK;
no_memory:
    snprintf(error, OCI_AUTH_ERROR_MAX, "out of memory");
    return CM_ENOMEM;
}

oci_auth *oci_auth_new(const cm_config *config, char error[OCI_AUTH_ERROR_MAX])
{
    oci_auth *auth = calloc(1, sizeof *auth);
    if (!auth || !(auth->issued = calloc(OCI_ISSUED_TOKENS_MAX, sizeof *auth->issued))) {
        free(auth);
        snprintf(error, OCI_AUTH_ERROR_MAX, "out of memory");
        return NULL;
    }
    auth->config = config;
    pthread_mutex_init(&auth->lock, NULL);
    if (load_app_keys(auth, error) != CM_OK) {
        oci_auth_free(auth);
        return NULL;
    }
    return auth;
}

void oci_auth_free(oci_auth *auth)
{
    if (!auth)
        return;
    pthread_mutex_destroy(&auth->lock);
    for (size_t i = 0; i < auth->issued_count; i++)
        free(auth->issued[i].org_scopes);
    free(auth->issued);
    free_app_keys(auth);
    free(auth);
}

EVP_PKEY *oci_auth_app_key(const oci_auth *auth, size_t org_index, size_t app_index)
{
    if (org_index >= auth->config->oci.organization_count ||
        app_index >= auth->config->oci.organizations[org_index].connected_app_count)
        return NULL;
    return auth->app_keys[org_index][app_index];
}

/* The index of organization `org_id`, or -1. */
static long org_index(const cm_config *config, const char *org_id)
{
    for (size_t o = 0; org_id && o < config->oci.organization_count; o++)
        if (strcmp(config->oci.organizations[o].id, org_id) == 0)
            return (long)o;
    return -1;
}

oci_auth_result oci_auth_check(oci_auth *auth, const char *authorization, const char *org_id,
                               unsigned scope, int64_t now_ms)
{
    if (!authorization || strncasecmp(authorization, "Bearer ", 7) != 0)
        return OCI_AUTH_MISSING;
    const char *token = authorization + 7;
    while (*token == ' ')
        token++;
    if (!*token)
        return OCI_AUTH_MISSING;
    const cm_config *config = auth->config;
    long wanted = org_index(config, org_id);
    /* A token may be listed in several organizations: it is known when any lists it, and valid
     * here when this one does. */
    int known = 0, here = 0;
    unsigned scopes = 0;
    for (size_t o = 0; o < config->oci.organization_count; o++) {
        const cm_oci_org *org = &config->oci.organizations[o];
        for (size_t t = 0; t < org->token_count; t++) {
            if (!oci_same_secret(org->tokens[t].token, token))
                continue;
            known = 1;
            if ((long)o == wanted) {
                here = 1;
                scopes |= org->tokens[t].scopes;
            }
        }
    }
    if (!here) {
        pthread_mutex_lock(&auth->lock);
        for (size_t i = 0; i < auth->issued_count; i++) {
            const issued_token *issued = &auth->issued[i];
            if (issued->expires_ms <= now_ms || !oci_same_secret(issued->token, token))
                continue;
            known = 1;
            if (wanted >= 0 && issued->org_scopes[wanted]) {
                here = 1;
                scopes = issued->org_scopes[wanted];
            }
            break;
        }
        pthread_mutex_unlock(&auth->lock);
    }
    if (!known)
        return OCI_AUTH_INVALID;
    if (!here)
        return OCI_AUTH_WRONG_ORG;
    if (scope && !(scopes & scope))
        return OCI_AUTH_NO_SCOPE;
    return OCI_AUTH_OK;
}

oci_auth_result oci_auth_find_org(oci_auth *auth, const char *authorization, unsigned scope, int64_t now_ms,
                                  const char **org_id)
{
    *org_id = NULL;
    oci_auth_result best = OCI_AUTH_INVALID;
    for (size_t o = 0; o < auth->config->oci.organization_count; o++) {
        const char *id = auth->config->oci.organizations[o].id;
        oci_auth_result result = oci_auth_check(auth, authorization, id, scope, now_ms);
        if (result == OCI_AUTH_OK) {
            *org_id = id;
            return OCI_AUTH_OK;
        }
        if (result == OCI_AUTH_MISSING)
            return result;
        if (result == OCI_AUTH_NO_SCOPE)
            best = OCI_AUTH_NO_SCOPE;
    }
    return best;
}

cm_err oci_auth_issue(oci_auth *auth, const unsigned *org_scopes, const char *prefix, int64_t expires_ms,
                      int64_t now_ms, char token[OCI_TOKEN_TEXT_MAX])
{
    size_t org_count = auth->config->oci.organization_count;
    unsigned *copy = malloc((org_count ? org_count : 1) * sizeof *copy);
    if (!copy)
        return CM_ENOMEM;
    memcpy(copy, org_scopes, org_count * sizeof *copy);
    char a[CM_UUID_TEXT_LEN + 1], b[CM_UUID_TEXT_LEN + 1];
    cm_uuid_random(a);
    cm_uuid_random(b);
    snprintf(token, OCI_TOKEN_TEXT_MAX, "%s%s%s", prefix ? prefix : "oci.", a, b);
    pthread_mutex_lock(&auth->lock);
    size_t kept = 0;
    for (size_t i = 0; i < auth->issued_count; i++) {
        if (auth->issued[i].expires_ms > now_ms)
            auth->issued[kept++] = auth->issued[i];
        else
            free(auth->issued[i].org_scopes);
    }
    auth->issued_count = kept;
    if (auth->issued_count == OCI_ISSUED_TOKENS_MAX) {
        free(auth->issued[0].org_scopes);
        memmove(&auth->issued[0], &auth->issued[1], (OCI_ISSUED_TOKENS_MAX - 1) * sizeof auth->issued[0]);
        auth->issued_count--;
    }
    issued_token *entry = &auth->issued[auth->issued_count++];
    snprintf(entry->token, sizeof entry->token, "%s", token);
    entry->org_scopes = copy;
    entry->expires_ms = expires_ms;
    pthread_mutex_unlock(&auth->lock);
    return CM_OK;
}
