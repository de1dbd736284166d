#include "oci_core/auth.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/clock.h"
#include "common/json_util.h"
#include "common/log.h"
#include "common/query.h"
#include "common/digest.h"
#include "common/uuid.h"
#include "oci_core/core_internal.h"
#include "oci_core/limits.h"

#define TOKEN_TEXT_MAX 80
#define CREDENTIALS_MAX 512

typedef struct issued_token {
    char token[TOKEN_TEXT_MAX];
    const char *org_id; /* borrowed from the config */
    unsigned scopes;
    int64_t expires_ms;
} issued_token;

struct oci_auth {
    const cm_config *config;
    pthread_mutex_t lock;
    issued_token *issued;
    size_t issued_count;
};

static const struct {
    unsigned bit;
    const char *name;
} SCOPE_NAMES[] = {
    {CM_SCOPE_AVAILABILITY, "sfcc.inventory.availability"},
    {CM_SCOPE_AVAILABILITY_RW, "sfcc.inventory.availability.rw"},
    {CM_SCOPE_IMPEX_INVENTORY, "sfcc.inventory.impex-inventory"},
    {CM_SCOPE_IMPEX_INVENTORY_RW, "sfcc.inventory.impex-inventory.rw"},
    {CM_SCOPE_IMPEX_GRAPHS, "sfcc.inventory.impex-graphs"},
    {CM_SCOPE_RESERVATIONS, "sfcc.inventory.reservations"},
    {CM_SCOPE_RESERVATIONS_RW, "sfcc.inventory.reservations.rw"},
};

const char *oci_scope_name(unsigned scope)
{
    for (size_t i = 0; i < sizeof SCOPE_NAMES / sizeof SCOPE_NAMES[0]; i++)
        if (SCOPE_NAMES[i].bit == scope)
            return SCOPE_NAMES[i].name;
    return "unknown";
}

oci_auth *oci_auth_new(const cm_config *config)
{
    oci_auth *auth = calloc(1, sizeof *auth);
    if (!auth)
        return NULL;
    auth->issued = calloc(OCI_ISSUED_TOKENS_MAX, sizeof *auth->issued);
    if (!auth->issued) {
        free(auth);
        return NULL;
    }
    auth->config = config;
    pthread_mutex_init(&auth->lock, NULL);
    return auth;
}

void oci_auth_free(oci_auth *auth)
{
    if (!auth)
        return;
    pthread_mutex_destroy(&auth->lock);
    free(auth->issued);
    free(auth);
}

static int same_secret(const char *a, const char *b)
{
    size_t length = strlen(a);
    return length == strlen(b) && cm_const_time_equal(a, b, length);
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
    const char *token_org = NULL;
    unsigned scopes = 0;
    const cm_config *config = auth->config;
    for (size_t o = 0; o < config->oci.organization_count && !token_org; o++) {
        const cm_oci_org *org = &config->oci.organizations[o];
        for (size_t t = 0; t < org->token_count; t++) {
            if (same_secret(org->tokens[t].token, token)) {
                token_org = org->id;
                scopes = org->tokens[t].scopes;
                break;
            }
        }
    }
    if (!token_org) {
        pthread_mutex_lock(&auth->lock);
        for (size_t i = 0; i < auth->issued_count; i++) {
            if (auth->issued[i].expires_ms > now_ms && same_secret(auth->issued[i].token, token)) {
                token_org = auth->issued[i].org_id;
                scopes = auth->issued[i].scopes;
                break;
            }
        }
        pthread_mutex_unlock(&auth->lock);
    }
    if (!token_org)
        return OCI_AUTH_INVALID;
    if (org_id && strcmp(org_id, token_org) != 0)
        return OCI_AUTH_WRONG_ORG;
    if (scope && !(scopes & scope))
        return OCI_AUTH_NO_SCOPE;
    return OCI_AUTH_OK;
}

/* Stores a new token; drops expired ones and, when full, the oldest. */
static void issue(oci_auth *auth, const char *org_id, unsigned scopes, int64_t expires_ms, int64_t now_ms,
                  char token[TOKEN_TEXT_MAX])
{
    char a[CM_UUID_TEXT_LEN + 1], b[CM_UUID_TEXT_LEN + 1];
    cm_uuid_random(a);
    cm_uuid_random(b);
    snprintf(token, TOKEN_TEXT_MAX, "oci.%s%s", a, b);
    pthread_mutex_lock(&auth->lock);
    size_t kept = 0;
    for (size_t i = 0; i < auth->issued_count; i++)
        if (auth->issued[i].expires_ms > now_ms)
            auth->issued[kept++] = auth->issued[i];
    auth->issued_count = kept;
    if (auth->issued_count == OCI_ISSUED_TOKENS_MAX) {
        memmove(&auth->issued[0], &auth->issued[1], (OCI_ISSUED_TOKENS_MAX - 1) * sizeof auth->issued[0]);
        auth->issued_count--;
    }
    issued_token *entry = &auth->issued[auth->issued_count++];
    snprintf(entry->token, sizeof entry->token, "%s", token);
    entry->org_id = org_id;
    entry->scopes = scopes;
    entry->expires_ms = expires_ms;
    pthread_mutex_unlock(&auth->lock);
}

/* Decodes standard base64; returns the length or -1. */
static long base64_decode(const char *in, unsigned char *out, size_t out_size)
{
    static const char ALPHABET[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t used = 0;
    unsigned bits = 0, value = 0;
    for (const char *p = in; *p && *p != '='; p++) {
        const char *found = strchr(ALPHABET, *p);
        if (!found || !*p)
            return -1;
        value = (value << 6) | (unsigned)(found - ALPHABET);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (used + 1 >= out_size)
                return -1;
            out[used++] = (unsigned char)((value >> bits) & 0xff);
        }
    }
    out[used] = '\0';
    return (long)used;
}

static void oauth_error(cm_http_request *request, int status, const char *error, const char *description)
{
    json_object *body = json_object_new_object();
    if (body) {
        json_object_object_add(body, "error", json_object_new_string(error));
        json_object_object_add(body, "error_description", json_object_new_string(description));
        json_object_object_add(body, "status", json_object_new_int(status));
    }
    if (status == 401)
        cm_http_add_header(request, "WWW-Authenticate", "Basic realm=\"omsgw-oci\"");
    if (!body || cm_http_reply_json(request, status, body) != 0)
        cm_http_reply_bytes(request, 503, "application/json", "{}", 2);
}

void oci_route_token(cm_http_request *request, void *data)
{
    oci_core *core = data;
    const char *authorization = cm_http_header(request, "Authorization");
    unsigned char credentials[CREDENTIALS_MAX];
    if (!authorization || strncasecmp(authorization, "Basic ", 6) != 0 ||
        base64_decode(authorization + 6, credentials, sizeof credentials) < 0 ||
        !strchr((char *)credentials, ':')) {
        oauth_error(request, 401, "invalid_client", "HTTP Basic client credentials are required.");
        return;
    }
    char *secret = strchr((char *)credentials, ':');
    *secret++ = '\0';
    const char *client_id = (const char *)credentials;
    const cm_oci_org *client_org = NULL;
    const cm_oci_client *client = NULL;
    for (size_t o = 0; o < core->config->oci.organization_count && !client; o++) {
        const cm_oci_org *org = &core->config->oci.organizations[o];
        for (size_t c = 0; c < org->client_count; c++) {
            if (strcmp(org->clients[c].id, client_id) == 0 && same_secret(org->clients[c].secret, secret)) {
                client = &org->clients[c];
                client_org = org;
                break;
            }
        }
    }
    if (!client) {
        oauth_error(request, 401, "invalid_client", "The client id or secret is wrong.");
        return;
    }
    size_t length = 0;
    const char *body = cm_http_body(request, &length);
    cm_query form;
    if (cm_query_parse(body && length ? body : NULL, &form) != CM_OK) {
        oauth_error(request, 503, "server_error", "The server is short of memory.");
        return;
    }
    const char *grant = cm_query_get(&form, "grant_type");
    if (!grant || strcmp(grant, "client_credentials") != 0) {
        cm_query_free(&form);
        oauth_error(request, 400, "unsupported_grant_type", "'grant_type' must be client_credentials.");
        return;
    }
    unsigned scopes = client->scopes;
    const char *requested = cm_query_get(&form, "scope");
    if (requested && *requested) {
        unsigned asked = 0;
        char copy[1024];
        snprintf(copy, sizeof copy, "%s", requested);
        for (char *save = NULL, *word = strtok_r(copy, " ", &save); word; word = strtok_r(NULL, " ", &save))
            asked |= cm_scope_from_name(word); /* SALESFORCE_COMMERCE_API:<tenant> maps to 0 */
        if (asked)
            scopes &= asked;
        if (!scopes) {
            cm_query_free(&form);
            oauth_error(request, 400, "invalid_scope", "'scope' names no scope this client may have.");
            return;
        }
    }
    cm_query_free(&form);
    int64_t now = oci_core_now(core);
    int64_t ttl_ms = (int64_t)core->config->oci.token_ttl_seconds * 1000;
    char token[TOKEN_TEXT_MAX];
    issue(core->auth, client_org->id, scopes, now + ttl_ms, now, token);
    char scope_text[400] = "";
    for (size_t i = 0; i < sizeof SCOPE_NAMES / sizeof SCOPE_NAMES[0]; i++) {
        if (scopes & SCOPE_NAMES[i].bit) {
            size_t used = strlen(scope_text);
            snprintf(scope_text + used, sizeof scope_text - used, "%s%s", used ? " " : "", SCOPE_NAMES[i].name);
        }
    }
    json_object *reply = json_object_new_object();
    if (!reply) {
        oauth_error(request, 503, "server_error", "The server is short of memory.");
        return;
    }
    json_object_object_add(reply, "access_token", json_object_new_string(token));
    json_object_object_add(reply, "token_type", json_object_new_string("Bearer"));
    json_object_object_add(reply, "expires_in", json_object_new_int(core->config->oci.token_ttl_seconds));
    json_object_object_add(reply, "scope", json_object_new_string(scope_text));
    cm_http_add_header(request, "Cache-Control", "no-store");
    cm_http_reply_json(request, 200, reply);
    cm_log_info("oci.token_issued", "org=%s client=%s", client_org->id, client->id);
}
