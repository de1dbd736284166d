/* route_token.c - the Account Manager and Salesforce login routes of the bundled core (route_token.h). */
#include "oci_core/route_token.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/digest.h"
#include "common/json_util.h"
#include "common/jwt.h"
#include "common/log.h"
#include "common/query.h"
#include "oci_core/core_internal.h"
#include "oci_core/route_util.h"
#include "oci_core/token_form.h"

#define CREDENTIALS_MAX 512
#define BASE_URL_MAX 512
#define SCOPE_TEXT_MAX 400
/* Salesforce record ids: a 3-character key prefix and 15 case-sensitive characters. */
#define SF_ID_LEN 18

/* ---- replies ---- */

/* An OAuth error object. `status` is part of the Account Manager shape only. */
static void oauth_error(cm_http_request *request, int status, const char *error, const char *description,
                        int with_status)
{
    json_object *body = json_object_new_object();
    if (body) {
        json_object_object_add(body, "error", json_object_new_string(error));
        json_object_object_add(body, "error_description", json_object_new_string(description));
        if (with_status)
            json_object_object_add(body, "status", json_object_new_int(status));
    }
    if (status == 401)
        cm_http_add_header(request, "WWW-Authenticate", "Basic realm=\"omsgw-oci\"");
    cm_http_add_header(request, "Cache-Control", "no-store");
    if (!body || cm_http_reply_json(request, status, body) != 0)
        cm_http_reply_bytes(request, 503, "application/json", "{}", 2);
}

static void salesforce_error(cm_http_request *request, const char *error, const char *description)
{
    oauth_error(request, 400, error, description, 0);
}

/* ---- HTTP Basic ---- */

/* Splits "Basic base64(id:secret)" into `credentials` (id NUL secret). Returns the secret or NULL. */
static char *basic_credentials(const char *authorization, char credentials[CREDENTIALS_MAX])
{
    if (!authorization || strncasecmp(authorization, "Basic ", 6) != 0)
        return NULL;
    const char *encoded = authorization + 6;
    while (*encoded == ' ')
        encoded++;
    size_t length = strlen(encoded);
    if (length == 0 || length % 4 != 0 || length / 4 * 3 >= CREDENTIALS_MAX)
        return NULL;
    int decoded = EVP_DecodeBlock((unsigned char *)credentials, (const unsigned char *)encoded, (int)length);
    if (decoded < 0)
        return NULL;
    size_t used = (size_t)decoded;
    for (size_t i = length; i > 0 && encoded[i - 1] == '=' && used > 0; i--)
        used--; /* EVP_DecodeBlock counts padding as bytes */
    credentials[used] = '\0';
    if (memchr(credentials, '\0', used))
        return NULL;
    char *colon = strchr(credentials, ':');
    if (!colon)
        return NULL;
    *colon = '\0';
    return colon + 1;
}

/* ---- the Account Manager route ---- */

void oci_route_token(cm_http_request *request, void *data)
{
    oci_core *core = data;
    const cm_config *config = core->config;
    char credentials[CREDENTIALS_MAX];
    char *secret = basic_credentials(cm_http_header(request, "Authorization"), credentials);
    if (!secret) {
        oauth_error(request, 401, "invalid_client", "HTTP Basic client credentials are required.", 1);
        return;
    }
    const char *client_id = credentials;
    size_t org_count = config->oci.organization_count;
    unsigned *org_scopes = calloc(org_count ? org_count : 1, sizeof *org_scopes);
    if (!org_scopes) {
        oauth_error(request, 503, "server_error", "The server is short of memory.", 1);
        return;
    }
    /* The same client may be configured in several organizations: its token serves each. */
    const cm_oci_client *client = NULL;
    for (size_t o = 0; o < org_count; o++) {
        const cm_oci_org *org = &config->oci.organizations[o];
        for (size_t c = 0; c < org->client_count; c++)
            if (strcmp(org->clients[c].id, client_id) == 0 && oci_same_secret(org->clients[c].secret, secret)) {
                client = &org->clients[c];
                org_scopes[o] |= org->clients[c].scopes;
            }
    }
    if (!client) {
        free(org_scopes);
        oauth_error(request, 401, "invalid_client", "The client id or secret is wrong.", 1);
        return;
    }
    size_t length = 0;
    const char *body = cm_http_body(request, &length);
    cm_query form;
    char form_error[OCI_TOKEN_FORM_ERROR_MAX];
    cm_err rc = oci_token_form_parse(cm_http_header(request, "Content-Type"), body, length, &form, form_error);
    if (rc != CM_OK) {
        free(org_scopes);
        if (rc == CM_ENOMEM)
            oauth_error(request, 503, "server_error", "The server is short of memory.", 1);
        else
            oauth_error(request, 400, "invalid_request", form_error, 1);
        return;
    }
    const char *grant = cm_query_get(&form, "grant_type");
    if (!grant || strcmp(grant, "client_credentials") != 0) {
        cm_query_free(&form);
        free(org_scopes);
        oauth_error(request, 400, "unsupported_grant_type", "'grant_type' must be client_credentials.", 1);
        return;
    }
    const char *requested = cm_query_get(&form, "scope");
    unsigned all_scopes = 0;
    if (requested && *requested) {
        unsigned asked = 0;
        char copy[1024];
        snprintf(copy, sizeof copy, "%s", requested);
        for (char *save = NULL, *word = strtok_r(copy, " ", &save); word; word = strtok_r(NULL, " ", &save))
            asked |= cm_scope_from_name(word); /* SALESFORCE_COMMERCE_API:<tenant> maps to 0 */
        for (size_t o = 0; o < org_count && asked; o++)
            org_scopes[o] &= asked;
    }
    for (size_t o = 0; o < org_count; o++)
        all_scopes |= org_scopes[o];
    cm_query_free(&form);
    if (!all_scopes) {
        free(org_scopes);
        oauth_error(request, 400, "invalid_scope", "'scope' names no scope this client may have.", 1);
        return;
    }
    int64_t now = oci_core_now(core);
    int64_t ttl_ms = (int64_t)config->oci.token_ttl_seconds * 1000;
    char token[OCI_TOKEN_TEXT_MAX];
    rc = oci_auth_issue(core->auth, org_scopes, NULL, now + ttl_ms, now, token);
    free(org_scopes);
    json_object *reply = rc == CM_OK ? json_object_new_object() : NULL;
    if (!reply) {
        oauth_error(request, 503, "server_error", "The server is short of memory.", 1);
        return;
    }
    char scope_text[SCOPE_TEXT_MAX];
    oci_scope_list(all_scopes, 0, scope_text, sizeof scope_text);
    json_object_object_add(reply, "access_token", json_object_new_string(token));
    json_object_object_add(reply, "token_type", json_object_new_string("Bearer"));
    json_object_object_add(reply, "expires_in", json_object_new_int(config->oci.token_ttl_seconds));
    json_object_object_add(reply, "scope", json_object_new_string(scope_text));
    cm_http_add_header(request, "Cache-Control", "no-store");
    cm_http_reply_json(request, 200, reply);
    cm_log_info("oci.token_issued", "client=%s grant=client_credentials", client->id);
}

/* ---- the Salesforce route ---- */

/* The core's own base URL: oci.publicUrl, else http://<Host>. 0, or -1 when neither is usable. */
static int base_url(const oci_core *core, const cm_http_request *request, char out[BASE_URL_MAX])
{
    const char *configured = core->config->oci.public_url;
    if (configured && *configured) {
        size_t length = strlen(configured);
        while (length > 0 && configured[length - 1] == '/')
            length--;
        snprintf(out, BASE_URL_MAX, "%.*s", (int)(length < BASE_URL_MAX - 1 ? length : BASE_URL_MAX - 1),
                 configured);
        return 0;
    }
    const char *host = cm_http_header(request, "Host");
    if (!host || !*host || strlen(host) > 255 || strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                              "0123456789.-:[]") != strlen(host))
        return -1;
    snprintf(out, BASE_URL_MAX, "http://%s", host);
    return 0;
}

/* A Salesforce-looking 18-character id: `prefix` then characters derived from `name`. */
static void salesforce_id(const char *prefix, const char *name, char out[SF_ID_LEN + 1])
{
    static const char ALPHABET[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    uint8_t digest[CM_SHA256_LEN];
    if (cm_sha256(name, strlen(name), digest) != CM_OK)
        memset(digest, 0, sizeof digest);
    size_t prefix_length = strlen(prefix);
    memcpy(out, prefix, prefix_length);
    for (size_t i = prefix_length; i < SF_ID_LEN; i++)
        out[i] = ALPHABET[digest[i] % 62];
    out[SF_ID_LEN] = '\0';
}

/* What a successful login grants: scopes per organization, the first organization and user. */
typedef struct login {
    unsigned *org_scopes;
    long first_org;
    const cm_connected_app *app;
    const char *username;
} login;

static void grant(login *self, size_t org_index, const cm_connected_app *app, const char *username)
{
    self->org_scopes[org_index] |= app->scopes;
    if (self->first_org < 0) {
        self->first_org = (long)org_index;
        self->app = app;
        self->username = username;
    }
}

static const cm_connected_app_user *find_user(const cm_connected_app *app, const char *username)
{
    for (size_t u = 0; username && u < app->user_count; u++)
        if (strcmp(app->users[u].username, username) == 0)
            return &app->users[u];
    return NULL;
}

/* The password check Salesforce does: the password, or the password with the user's security
 * token appended. */
static int password_matches(const cm_connected_app_user *user, const char *given)
{
    if (!user->password)
        return 0;
    if (oci_same_secret(user->password, given))
        return 1;
    size_t length = strlen(user->password);
    /* Both halves compared in constant time: no timing says how much of the password matched. */
    return user->security_token && strlen(given) > length && cm_const_time_equal(given, user->password, length) &&
           oci_same_secret(user->security_token, given + length);
}

/* aud may be one string or an array of strings; one must be an accepted audience. */
static int audience_ok(json_object *claims, const char *own_base_url)
{
    json_object *aud = NULL;
    if (!json_object_object_get_ex(claims, "aud", &aud))
        return 0;
    size_t count = json_object_is_type(aud, json_type_array) ? json_object_array_length(aud) : 1;
    for (size_t i = 0; i < count; i++) {
        json_object *item = json_object_is_type(aud, json_type_array) ? json_object_array_get_idx(aud, i) : aud;
        if (!json_object_is_type(item, json_type_string))
            continue;
        const char *value = json_object_get_string(item);
        size_t length = strlen(value);
        while (length > 0 && value[length - 1] == '/')
            length--;
        if ((length == strlen("https://login.salesforce.com") && strncmp(value, "https://login.salesforce.com", length) == 0) ||
            (length == strlen("https://test.salesforce.com") && strncmp(value, "https://test.salesforce.com", length) == 0) ||
            (own_base_url && length == strlen(own_base_url) && strncmp(value, own_base_url, length) == 0))
            return 1;
    }
    return 0;
}

/* The JWT bearer grant. Returns 0 with `self` filled, or -1 after replying. */
static int login_jwt(oci_core *core, cm_http_request *request, const cm_query *form, const char *own_base_url,
                     login *self)
{
    const char *assertion = cm_query_get(form, "assertion");
    if (!assertion || !*assertion) {
        salesforce_error(request, "invalid_request", "'assertion' is required with the jwt-bearer grant.");
        return -1;
    }
    cm_jwt jwt;
    char why[CM_JWT_WHY_MAX], description[CM_JWT_WHY_MAX + 40];
    cm_jwt_status status = cm_jwt_decode(assertion, strlen(assertion), &jwt, why);
    if (status == CM_JWT_NO_MEMORY) {
        oauth_error(request, 503, "server_error", "The server is short of memory.", 0);
        return -1;
    }
    if (status != CM_JWT_OK) {
        snprintf(description, sizeof description, "invalid assertion: %s", why);
        salesforce_error(request, "invalid_grant", description);
        return -1;
    }
    const char *issuer = NULL, *subject = NULL;
    int64_t expires = 0;
    int rc = -1;
    if (cm_json_string(jwt.claims, "iss", &issuer) != CM_JSON_OK) {
        salesforce_error(request, "invalid_client_id", "client identifier invalid: the assertion has no \"iss\".");
        goto out;
    }
    const cm_config *config = core->config;
    int app_known = 0, signature_ok = 0;
    /* The assertion is checked against every app of that consumer key; an organization counts
     * only when its own certificate verifies the signature. */
    for (size_t o = 0; o < config->oci.organization_count; o++) {
        const cm_oci_org *org = &config->oci.organizations[o];
        for (size_t a = 0; a < org->connected_app_count; a++) {
            if (strcmp(org->connected_apps[a].consumer_key, issuer) != 0)
                continue;
            app_known = 1;
            if (cm_jwt_verify_rs256(&jwt, oci_auth_app_key(core->auth, o, a)))
                signature_ok = 1;
        }
    }
    if (!app_known) {
        salesforce_error(request, "invalid_client_id", "client identifier invalid");
        goto out;
    }
    if (!signature_ok) {
        salesforce_error(request, "invalid_grant",
                         "invalid assertion: the signature does not verify with the connected app's certificate");
        goto out;
    }
    if (!audience_ok(jwt.claims, own_base_url)) {
        salesforce_error(request, "invalid_grant", "audience is invalid");
        goto out;
    }
    if (cm_json_int64(jwt.claims, "exp", &expires) != CM_JSON_OK) {
        salesforce_error(request, "invalid_grant", "invalid assertion: \"exp\" must be a number of seconds");
        goto out;
    }
    int64_t now_s = oci_core_now(core) / 1000;
    if (expires < now_s - OCI_JWT_CLOCK_SKEW_S) { /* written so a huge exp cannot overflow */
        salesforce_error(request, "invalid_grant", "expired assertion: \"exp\" is in the past");
        goto out;
    }
    if (cm_json_string(jwt.claims, "sub", &subject) != CM_JSON_OK) {
        salesforce_error(request, "invalid_grant", "invalid assertion: the assertion has no \"sub\"");
        goto out;
    }
    for (size_t o = 0; o < config->oci.organization_count; o++) {
        const cm_oci_org *org = &config->oci.organizations[o];
        for (size_t a = 0; a < org->connected_app_count; a++) {
            const cm_connected_app *app = &org->connected_apps[a];
            const cm_connected_app_user *user = find_user(app, subject);
            if (strcmp(app->consumer_key, issuer) == 0 && user &&
                cm_jwt_verify_rs256(&jwt, oci_auth_app_key(core->auth, o, a)))
                grant(self, o, app, user->username);
        }
    }
    if (self->first_org < 0) {
        salesforce_error(request, "invalid_grant", "user hasn't approved this consumer");
        goto out;
    }
    rc = 0;
out:
    cm_jwt_free(&jwt);
    return rc;
}

/* The client id and secret: form parameters, else HTTP Basic. */
static void client_credentials_of(cm_http_request *request, const cm_query *form, char credentials[CREDENTIALS_MAX],
                                  const char **client_id, const char **client_secret)
{
    *client_id = cm_query_get(form, "client_id");
    *client_secret = cm_query_get(form, "client_secret");
    if (*client_id && *client_secret)
        return;
    char *secret = basic_credentials(cm_http_header(request, "Authorization"), credentials);
    if (secret) {
        *client_id = credentials;
        *client_secret = secret;
    }
}

/* The password (`with_user`) and client-credentials grants. Returns 0 with `self` filled, or -1
 * after replying. */
static int login_secret(oci_core *core, cm_http_request *request, const cm_query *form, int with_user, login *self)
{
    char credentials[CREDENTIALS_MAX];
    const char *client_id = NULL, *client_secret = NULL;
    client_credentials_of(request, form, credentials, &client_id, &client_secret);
    const char *username = cm_query_get(form, "username"), *password = cm_query_get(form, "password");
    if (!client_id || !*client_id) {
        salesforce_error(request, "invalid_client_id", "client identifier invalid: 'client_id' is required");
        return -1;
    }
    if (with_user && (!username || !password)) {
        salesforce_error(request, "invalid_request", "'username' and 'password' are required with the password grant.");
        return -1;
    }
    const cm_config *config = core->config;
    int app_known = 0, secret_ok = 0;
    for (size_t o = 0; o < config->oci.organization_count; o++) {
        const cm_oci_org *org = &config->oci.organizations[o];
        for (size_t a = 0; a < org->connected_app_count; a++) {
            const cm_connected_app *app = &org->connected_apps[a];
            if (strcmp(app->consumer_key, client_id) != 0)
                continue;
            app_known = 1;
            if (!app->consumer_secret || !client_secret || !oci_same_secret(app->consumer_secret, client_secret))
                continue;
            secret_ok = 1;
            if (!with_user) {
                grant(self, o, app, app->user_count ? app->users[0].username : app->consumer_key);
                continue;
            }
            const cm_connected_app_user *user = find_user(app, username);
            if (user && password_matches(user, password))
                grant(self, o, app, user->username);
        }
    }
    if (!app_known) {
        salesforce_error(request, "invalid_client_id", "client identifier invalid");
        return -1;
    }
    if (!secret_ok) {
        salesforce_error(request, "invalid_client", "invalid client credentials");
        return -1;
    }
    if (self->first_org < 0) {
        salesforce_error(request, "invalid_grant", "authentication failure");
        return -1;
    }
    return 0;
}

/* base64(HMAC-SHA256(key, id + issued_at)), the reply's "signature" as Salesforce computes it. */
static void reply_signature(const char *key, const char *id, const char *issued_at, char *out, size_t size)
{
    char message[BASE_URL_MAX + 128];
    snprintf(message, sizeof message, "%s%s", id, issued_at);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned mac_length = 0;
    out[0] = '\0';
    if (!HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)message, strlen(message), mac,
              &mac_length))
        return;
    if (size >= 4 * ((mac_length + 2) / 3) + 1)
        EVP_EncodeBlock((unsigned char *)out, mac, (int)mac_length);
}

void oci_route_salesforce_token(cm_http_request *request, void *data)
{
    oci_core *core = data;
    const cm_config *config = core->config;
    size_t length = 0;
    const char *body = cm_http_body(request, &length);
    cm_query form;
    char form_error[OCI_TOKEN_FORM_ERROR_MAX];
    cm_err rc = oci_token_form_parse(cm_http_header(request, "Content-Type"), body, length, &form, form_error);
    if (rc == CM_ENOMEM) {
        oauth_error(request, 503, "server_error", "The server is short of memory.", 0);
        return;
    }
    if (rc != CM_OK) {
        salesforce_error(request, "invalid_request", form_error);
        return;
    }
    char own_base[BASE_URL_MAX];
    int have_base = base_url(core, request, own_base) == 0;
    login self = {calloc(config->oci.organization_count ? config->oci.organization_count : 1, sizeof(unsigned)), -1,
                  NULL, NULL};
    const char *grant_type = cm_query_get(&form, "grant_type");
    int ok = -1;
    if (!self.org_scopes)
        oauth_error(request, 503, "server_error", "The server is short of memory.", 0);
    else if (!grant_type || !*grant_type)
        salesforce_error(request, "unsupported_grant_type", "grant type not supported: 'grant_type' is required");
    else if (strcmp(grant_type, OCI_GRANT_JWT_BEARER) == 0)
        ok = login_jwt(core, request, &form, have_base ? own_base : NULL, &self);
    else if (strcmp(grant_type, "password") == 0)
        ok = login_secret(core, request, &form, 1, &self);
    else if (strcmp(grant_type, "client_credentials") == 0)
        ok = login_secret(core, request, &form, 0, &self);
    else
        salesforce_error(request, "unsupported_grant_type", "grant type not supported");
    const char *grant_name = !grant_type ? "" : strcmp(grant_type, OCI_GRANT_JWT_BEARER) == 0 ? "jwt-bearer"
                             : strcmp(grant_type, "password") == 0                     ? "password"
                                                                                         : "client_credentials";
    cm_query_free(&form);
    if (ok != 0) {
        free(self.org_scopes);
        return;
    }
    if (!have_base) {
        free(self.org_scopes);
        salesforce_error(request, "invalid_request", "the request has no usable Host header and oci.publicUrl is not set");
        return;
    }
    const cm_oci_org *org = &config->oci.organizations[self.first_org];
    char org_sf_id[SF_ID_LEN + 1], user_sf_id[SF_ID_LEN + 1], user_name[600], prefix[SF_ID_LEN + 2];
    salesforce_id("00D", org->id, org_sf_id);
    snprintf(user_name, sizeof user_name, "%s/%s", org->id, self.username);
    salesforce_id("005", user_name, user_sf_id);
    snprintf(prefix, sizeof prefix, "%.15s!", org_sf_id);
    int64_t now = oci_core_now(core);
    char token[OCI_TOKEN_TEXT_MAX];
    rc = oci_auth_issue(core->auth, self.org_scopes, prefix, now + (int64_t)config->oci.token_ttl_seconds * 1000,
                        now, token);
    unsigned all_scopes = 0;
    for (size_t o = 0; o < config->oci.organization_count; o++)
        all_scopes |= self.org_scopes[o];
    free(self.org_scopes);
    json_object *reply = rc == CM_OK ? json_object_new_object() : NULL;
    if (!reply) {
        oauth_error(request, 503, "server_error", "The server is short of memory.", 0);
        return;
    }
    char id[BASE_URL_MAX + 64], issued_at[32], signature[64], scope_text[SCOPE_TEXT_MAX];
    snprintf(id, sizeof id, "%s/id/%s/%s", own_base, org_sf_id, user_sf_id);
    snprintf(issued_at, sizeof issued_at, "%" PRId64, now);
    reply_signature(self.app->consumer_secret ? self.app->consumer_secret : self.app->consumer_key, id, issued_at,
                    signature, sizeof signature);
    oci_scope_list(all_scopes, 1, scope_text, sizeof scope_text);
    json_object_object_add(reply, "access_token", json_object_new_string(token));
    json_object_object_add(reply, "signature", json_object_new_string(signature));
    json_object_object_add(reply, "scope", json_object_new_string(scope_text));
    json_object_object_add(reply, "instance_url", json_object_new_string(own_base));
    json_object_object_add(reply, "id", json_object_new_string(id));
    json_object_object_add(reply, "token_type", json_object_new_string("Bearer"));
    json_object_object_add(reply, "issued_at", json_object_new_string(issued_at));
    cm_http_add_header(request, "Cache-Control", "no-store");
    cm_http_reply_json(request, 200, reply);
    cm_log_info("oci.token_issued", "org=%s app=%s grant=%s", org->id, self.app->consumer_key, grant_name);
}

void oci_route_internal_org(cm_http_request *request, void *data)
{
    (void)data;
    cm_log_info("oci.internal_org", "org=%s", oci_request_org(request));
    cm_http_reply_empty(request, 204);
}
