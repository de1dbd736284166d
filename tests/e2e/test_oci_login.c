/*
 * End-to-end tests of the bundled core's Salesforce login (oci_core/route_token.c) over real HTTP
 * on 127.0.0.1: real RSA key pairs and self-signed certificates made with libcrypto, real RS256
 * assertions, each grant (jwt-bearer, password, client_credentials) from form and multipart
 * bodies, the tokens used for the import sequence and get-availability, every malformed
 * assertion's 400 and error code, the internal organization route, and tokens valid for two
 * organizations.
 */
#include "tests/support/oci_inproc.h"
#include "tests/support/test_support.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/config.h"
#include "common/json_util.h"
#include "oci_core/oci_core.h"
#include "tests/support/http_client.h"
#include "tests/support/rsa_fixture.h"

#define ORG_A "org_a"
#define ORG_B "org_b"
#define USER "admin@example.com"
#define ALL_SCOPES                                                                                                  \
    "[\"sfcc_inventory_availability\",\"sfcc_inventory_availability_rw\",\"sfcc_inventory_impex_inventory\","      \
    "\"sfcc_inventory_impex_inventory_rw\",\"sfcc_inventory_impex_graphs\",\"sfcc_inventory_reservations\","        \
    "\"sfcc_inventory_reservations_rw\"]"
#define LOGIN_AUD "https://login.salesforce.com"

typedef struct fixture {
    th_oci oci;
    char keys_dir[256];
    th_rsa app;   /* the connected app's key; its certificate is configured */
    th_rsa other; /* a key nobody configured */
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    th_temp_dir(f->keys_dir, sizeof f->keys_dir);
    th_rsa_make(&f->app, f->keys_dir, "app");
    th_rsa_make(&f->other, f->keys_dir, "other");
    char graph[512], text[4096];
    th_data_path("oci/location-graph.json", graph, sizeof graph);
    snprintf(text, sizeof text,
             "{\"oci\":{\"port\":0,\"organizations\":["
             "{\"id\":\"" ORG_A "\",\"locationGraph\":\"%s\","
             "\"tokens\":[{\"token\":\"shared-token\",\"scopes\":[\"sfcc.inventory.availability\"]}],"
             "\"connectedApps\":[{\"consumerKey\":\"ck-main\",\"certificate\":\"%s\",\"consumerSecret\":\"cs-main\","
             "\"users\":[{\"username\":\"" USER "\",\"password\":\"pw1\",\"securityToken\":\"SEC\"}],\"scopes\":" ALL_SCOPES "},"
             "{\"consumerKey\":\"ck-pub\",\"certificate\":\"%s\",\"users\":[{\"username\":\"" USER "\"}],"
             "\"scopes\":[\"sfcc_inventory_availability\"]}]},"
             "{\"id\":\"" ORG_B "\",\"locationGraph\":\"%s\","
             "\"tokens\":[{\"token\":\"shared-token\",\"scopes\":[\"sfcc.inventory.availability\"]}],"
             "\"connectedApps\":[{\"consumerKey\":\"ck-main\",\"certificate\":\"%s\",\"users\":[{\"username\":\"" USER "\"}],"
             "\"scopes\":[\"sfcc.inventory.availability\"]}]}]},"
             "\"tenants\":[]}",
             graph, f->app.cert_path, f->app.pubkey_path, graph, f->app.cert_path);
    th_oci_start(&f->oci, text);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    th_oci_stop(&f->oci);
    th_rsa_free(&f->app);
    th_rsa_free(&f->other);
    th_remove_tree(f->keys_dir);
    free(f);
    return 0;
}

static int64_t now_s(void)
{
    return (int64_t)time(NULL);
}

/* POSTs a token request; returns the parsed reply (caller puts) and its status. */
static json_object *token_request(fixture *f, const char *content_type, const char *body, const char *extra_header,
                                  long *status)
{
    char url[256], type[256];
    th_url(url, sizeof url, f->oci.port, "/services/oauth2/token");
    snprintf(type, sizeof type, "Content-Type: %s", content_type);
    const char *headers[] = {type, extra_header, NULL};
    th_response response;
    assert_int_equal(th_http("POST", url, headers, body, strlen(body), &response), 0);
    *status = response.status;
    json_object *json = th_json(&response);
    if (!json)
        fail_msg("token reply is not JSON: %ld %s", response.status, response.body);
    th_response_free(&response);
    return json;
}

static const char *string(json_object *obj, const char *key)
{
    const char *value = NULL;
    if (cm_json_string(obj, key, &value) != CM_JSON_OK)
        fail_msg("no string \"%s\" in %s", key, json_object_to_json_string(obj));
    return value;
}

/* Logs in with the JWT bearer grant (form body) and returns the access token (caller frees). */
static char *jwt_login(fixture *f, EVP_PKEY *key, const char *iss, const char *aud)
{
    char *assertion = th_jwt_mint(key, iss, USER, aud, now_s() + 300);
    char body[8192];
    snprintf(body, sizeof body, "grant_type=urn%%3Aietf%%3Aparams%%3Aoauth%%3Agrant-type%%3Ajwt-bearer&assertion=%s",
             assertion);
    free(assertion);
    long status;
    json_object *reply = token_request(f, "application/x-www-form-urlencoded", body, NULL, &status);
    if (status != 200)
        fail_msg("login refused: %s", json_object_to_json_string(reply));
    char *token = strdup(string(reply, "access_token"));
    json_object_put(reply);
    return token;
}

static long call(fixture *f, const char *method, const char *path, const char *token, const char *body,
                 json_object **json)
{
    char url[512], authorization[256];
    th_url(url, sizeof url, f->oci.port, path);
    snprintf(authorization, sizeof authorization, "Authorization: Bearer %s", token);
    const char *headers[] = {token ? authorization : "X-No-Token: 1", "Content-Type: application/json", NULL};
    th_response response;
    assert_int_equal(th_http(method, url, headers, body, body ? strlen(body) : 0, &response), 0);
    long status = response.status;
    if (json)
        *json = th_json(&response);
    th_response_free(&response);
    return status;
}

static void test_jwt_login_reply_shape(void **state)
{
    fixture *f = *state;
    char *assertion = th_jwt_mint(f->app.key, "ck-main", USER, LOGIN_AUD, now_s() + 300);
    char body[8192];
    snprintf(body, sizeof body, "grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=%s", assertion);
    free(assertion);
    long status;
    json_object *reply = token_request(f, "application/x-www-form-urlencoded", body, NULL, &status);
    assert_int_equal(status, 200);
    char base[128];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", f->oci.port);
    assert_string_equal(string(reply, "instance_url"), base);
    assert_string_equal(string(reply, "token_type"), "Bearer");
    char id_prefix[160];
    snprintf(id_prefix, sizeof id_prefix, "%s/id/00D", base);
    assert_true(strncmp(string(reply, "id"), id_prefix, strlen(id_prefix)) == 0);
    assert_non_null(strstr(string(reply, "id"), "/005"));
    assert_true(strlen(string(reply, "issued_at")) >= 13);
    assert_true(strspn(string(reply, "issued_at"), "0123456789") == strlen(string(reply, "issued_at")));
    assert_true(strlen(string(reply, "signature")) == 44); /* base64 of an HMAC-SHA256 */
    assert_non_null(strstr(string(reply, "scope"), "sfcc_inventory_impex_inventory_rw"));
    assert_true(strlen(string(reply, "access_token")) > 30);
    json_object_put(reply);
}

static void wait_import(fixture *f, const char *token, const char *id)
{
    char path[512];
    snprintf(path, sizeof path, "/inventory/impex/v1/organizations/" ORG_A "/availability-records/imports/%s/status", id);
    for (int i = 0; i < 600; i++) {
        json_object *json = NULL;
        assert_int_equal(call(f, "GET", path, token, NULL, &json), 200);
        const char *state = string(json, "status");
        int done = strcmp(state, "PENDING") && strcmp(state, "RUNNING") && strcmp(state, "WAITING");
        if (done)
            assert_string_equal(state, "COMPLETED");
        json_object_put(json);
        if (done)
            return;
        usleep(20000);
    }
    fail_msg("import %s did not finish", id);
}

/* The partner collection's flow: JWT login, PUT internal organization (204), the import
 * sequence, then get-availability, all with the issued token. */
static void test_jwt_token_runs_import_and_availability(void **state)
{
    fixture *f = *state;
    char *token = jwt_login(f, f->app.key, "ck-main", LOGIN_AUD);
    assert_int_equal(call(f, "PUT", "/inventory/internal/v1/organizations/" ORG_A, token, NULL, NULL), 204);
    json_object *json = NULL;
    assert_int_equal(call(f, "POST", "/inventory/impex/v1/organizations/" ORG_A "/availability-records/imports", token,
                          "{\"fileName\":\"login.json\"}", &json),
                     200);
    char upload[512], id[128];
    snprintf(upload, sizeof upload, "%s", string(json, "uploadLink"));
    snprintf(id, sizeof id, "%s", string(json, "importId"));
    json_object_put(json);
    const char *file = "{\"recordId\":\"login-1\",\"onHand\":12,\"sku\":\"jwt-sku\",\"locationId\":\"phoenix\"}\n"
                       "{\"recordId\":\"login-2\",\"onHand\":5,\"sku\":\"jwt-sku\",\"locationId\":\"surprise\"}\n";
    char url[768], authorization[256];
    th_url(url, sizeof url, f->oci.port, upload);
    snprintf(authorization, sizeof authorization, "Authorization: Bearer %s", token);
    const char *headers[] = {authorization, "Content-Type: application/octet-stream", NULL};
    th_response response;
    assert_int_equal(th_http("POST", url, headers, file, strlen(file), &response), 0);
    assert_int_equal(response.status, 200);
    th_response_free(&response);
    wait_import(f, token, id);
    assert_int_equal(call(f, "POST", "/inventory/availability/v1/organizations/" ORG_A
                                     "/availability-records/actions/get-availability",
                          token, "{\"skus\":[\"jwt-sku\"],\"locations\":[\"phoenix\",\"surprise\"]}", &json),
                     200);
    const char *text = json_object_to_json_string_ext(json, JSON_C_TO_STRING_PLAIN);
    if (!strstr(text, "\"onHand\":12") || !strstr(text, "\"onHand\":5"))
        fail_msg("imported quantities missing: %s", text);
    json_object_put(json);
    /* The same token on the Connect REST API: the organization comes from the token. */
    assert_int_equal(call(f, "POST", "/services/data/v58.0/commerce/oci/availability/availability-records/actions/get-availability",
                          token, "{\"stockKeepingUnits\":[\"jwt-sku\"],\"locationIdentifiers\":[\"phoenix\"]}", &json),
                     200);
    text = json_object_to_json_string_ext(json, JSON_C_TO_STRING_PLAIN);
    if (!strstr(text, "\"onHand\":12") || !strstr(text, "\"locationIdentifier\":\"phoenix\""))
        fail_msg("connect reply: %s", text);
    json_object_put(json);
    free(token);
}

static char *form_body(const char *grant_and_params)
{
    char *body = strdup(grant_and_params);
    assert_non_null(body);
    return body;
}

static void expect_login(fixture *f, const char *content_type, const char *body, const char *extra_header)
{
    long status;
    json_object *reply = token_request(f, content_type, body, extra_header, &status);
    if (status != 200)
        fail_msg("login refused (%ld): %s for body %s", status, json_object_to_json_string(reply), body);
    const char *token = string(reply, "access_token");
    assert_int_equal(call(f, "POST", "/inventory/availability/v1/organizations/" ORG_A
                                     "/availability-records/actions/get-availability",
                          token, "{\"skus\":[\"any-sku\"],\"locations\":[\"phoenix\"]}", NULL),
                     200);
    json_object_put(reply);
}

static void test_every_grant_and_body_kind(void **state)
{
    fixture *f = *state;
    char *assertion = th_jwt_mint(f->app.key, "ck-main", USER, LOGIN_AUD, now_s() + 300);
    /* multipart/form-data, as Postman's form-data mode sends it */
    char multipart[8192];
    snprintf(multipart, sizeof multipart,
             "--XyZ\r\nContent-Disposition: form-data; name=\"grant_type\"\r\n\r\n"
             "urn:ietf:params:oauth:grant-type:jwt-bearer\r\n"
             "--XyZ\r\nContent-Disposition: form-data; name=\"assertion\"\r\n\r\n%s\r\n--XyZ--\r\n",
             assertion);
    expect_login(f, "multipart/form-data; boundary=XyZ", multipart, NULL);
    free(assertion);
    /* aud may be the core's own base URL, or an array holding an accepted audience */
    char base[128];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", f->oci.port);
    free(jwt_login(f, f->app.key, "ck-main", base));
    free(jwt_login(f, f->app.key, "ck-main", "https://test.salesforce.com"));
    /* exp within the 3-minute skew is still accepted; a far-future exp does not overflow. */
    char *late = th_jwt_mint(f->app.key, "ck-main", USER, LOGIN_AUD, now_s() - 60);
    char late_body[8192];
    snprintf(late_body, sizeof late_body, "grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=%s", late);
    free(late);
    expect_login(f, "application/x-www-form-urlencoded", late_body, NULL);
    char *far = th_jwt_mint(f->app.key, "ck-main", USER, LOGIN_AUD, INT64_MAX);
    snprintf(late_body, sizeof late_body, "grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=%s", far);
    free(far);
    expect_login(f, "application/x-www-form-urlencoded", late_body, NULL);
    /* an app configured with a bare PEM public key instead of a certificate */
    free(jwt_login(f, f->app.key, "ck-pub", LOGIN_AUD));
    char *body = form_body("grant_type=password&client_id=ck-main&client_secret=cs-main&username=admin%40example.com"
                           "&password=pw1");
    expect_login(f, "application/x-www-form-urlencoded", body, NULL);
    free(body);
    body = form_body("grant_type=password&client_id=ck-main&client_secret=cs-main&username=admin%40example.com"
                     "&password=pw1SEC"); /* the security token appended */
    expect_login(f, "application/x-www-form-urlencoded", body, NULL);
    free(body);
    char password_multipart[1024];
    snprintf(password_multipart, sizeof password_multipart,
             "--b1\r\nContent-Disposition: form-data; name=\"grant_type\"\r\n\r\npassword\r\n"
             "--b1\r\nContent-Disposition: form-data; name=\"client_id\"\r\n\r\nck-main\r\n"
             "--b1\r\nContent-Disposition: form-data; name=\"client_secret\"\r\n\r\ncs-main\r\n"
             "--b1\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\n" USER "\r\n"
             "--b1\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\npw1\r\n--b1--\r\n");
    expect_login(f, "multipart/form-data; boundary=\"b1\"", password_multipart, NULL);
    expect_login(f, "application/x-www-form-urlencoded",
                 "grant_type=client_credentials&client_id=ck-main&client_secret=cs-main", NULL);
    /* client credentials in HTTP Basic: base64("ck-main:cs-main") */
    expect_login(f, "application/x-www-form-urlencoded", "grant_type=client_credentials",
                 "Authorization: Basic Y2stbWFpbjpjcy1tYWlu");
}

typedef struct refusal_case {
    const char *what;
    char *body;
    const char *error;
} refusal_case;

static char *jwt_body(char *assertion)
{
    char *body = malloc(strlen(assertion) + 128);
    sprintf(body, "grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=%s", assertion);
    free(assertion);
    return body;
}

static void test_every_malformed_login_is_400_with_its_error(void **state)
{
    fixture *f = *state;
    int64_t soon = now_s() + 300;
    char claims[512];
    snprintf(claims, sizeof claims, "{\"iss\":\"ck-main\",\"sub\":\"" USER "\",\"aud\":\"" LOGIN_AUD "\",\"exp\":%lld}",
             (long long)soon);
    /* A real signature over other content, reused on a token it does not cover. */
    char *valid = th_jwt_mint(f->app.key, "ck-main", USER, LOGIN_AUD, soon);
    char *signature = strrchr(valid, '.') + 1;
    char *swapped = th_jwt_raw("{\"alg\":\"RS256\"}", "{\"iss\":\"ck-main\",\"sub\":\"x\"}", "");
    char *resigned = malloc(strlen(swapped) + strlen(signature) + 1);
    sprintf(resigned, "%s%s", swapped, signature);
    free(swapped);
    char *garbage = th_jwt_raw("{\"alg\":\"RS256\"}", claims, "not-a-signature");
    refusal_case cases[] = {
        {"two segments", jwt_body(strdup("eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJjayJ9")), "invalid_grant"},
        {"four segments", jwt_body(strdup("a.b.c.d")), "invalid_grant"},
        {"bad base64url", jwt_body(strdup("eyJhbGc*OiJSUzI1NiJ9.e30.c2ln")), "invalid_grant"},
        {"header not JSON", jwt_body(th_jwt_raw("not json", claims, "sig")), "invalid_grant"},
        {"claims not JSON", jwt_body(th_jwt_raw("{\"alg\":\"RS256\"}", "[1,2", "sig")), "invalid_grant"},
        {"wrong alg", jwt_body(th_jwt_raw("{\"alg\":\"HS256\"}", claims, "sig")), "invalid_grant"},
        {"alg none", jwt_body(th_jwt_raw("{\"alg\":\"none\"}", claims, "")), "invalid_grant"},
        {"alg none with a signature", jwt_body(th_jwt_raw("{\"alg\":\"none\"}", claims, "x")), "invalid_grant"},
        {"signature of another key", jwt_body(th_jwt_mint(f->other.key, "ck-main", USER, LOGIN_AUD, soon)),
         "invalid_grant"},
        {"signature not covering the token", jwt_body(resigned), "invalid_grant"},
        {"garbage signature", jwt_body(garbage), "invalid_grant"},
        {"expired", jwt_body(th_jwt_mint(f->app.key, "ck-main", USER, LOGIN_AUD, now_s() - 3600)), "invalid_grant"},
        {"no exp", jwt_body(th_jwt_mint(f->app.key, "ck-main", USER, LOGIN_AUD, 0)), "invalid_grant"},
        {"exp as a string",
         jwt_body(th_jwt_raw("{\"alg\":\"RS256\"}", "{\"iss\":\"ck-main\",\"sub\":\"x\",\"exp\":\"soon\"}", "sig")),
         "invalid_grant"},
        {"exp just past the skew", jwt_body(th_jwt_mint(f->app.key, "ck-main", USER, LOGIN_AUD, now_s() - 200)),
         "invalid_grant"},
        {"wrong aud", jwt_body(th_jwt_mint(f->app.key, "ck-main", USER, "https://evil.example", soon)),
         "invalid_grant"},
        {"no aud", jwt_body(th_jwt_mint(f->app.key, "ck-main", USER, NULL, soon)), "invalid_grant"},
        {"unknown user", jwt_body(th_jwt_mint(f->app.key, "ck-main", "nobody@example.com", LOGIN_AUD, soon)),
         "invalid_grant"},
        {"unknown consumer key", jwt_body(th_jwt_mint(f->app.key, "ck-unknown", USER, LOGIN_AUD, soon)),
         "invalid_client_id"},
        {"no iss", jwt_body(th_jwt_mint(f->app.key, NULL, USER, LOGIN_AUD, soon)), "invalid_client_id"},
        {"no assertion", strdup("grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer"), "invalid_request"},
        {"empty assertion", jwt_body(strdup("")), "invalid_request"},
        {"no grant_type", strdup("assertion=a.b.c"), "unsupported_grant_type"},
        {"unknown grant_type", strdup("grant_type=authorization_code&code=1"), "unsupported_grant_type"},
        {"password: wrong secret",
         strdup("grant_type=password&client_id=ck-main&client_secret=nope&username=admin%40example.com&password=pw1"),
         "invalid_client"},
        {"password: wrong password",
         strdup("grant_type=password&client_id=ck-main&client_secret=cs-main&username=admin%40example.com&password=pw2"),
         "invalid_grant"},
        {"password: wrong security token",
         strdup("grant_type=password&client_id=ck-main&client_secret=cs-main&username=admin%40example.com&password=pw1XXX"),
         "invalid_grant"},
        {"password: unknown client",
         strdup("grant_type=password&client_id=nobody&client_secret=x&username=admin%40example.com&password=pw1"),
         "invalid_client_id"},
        {"client_credentials: no secret", strdup("grant_type=client_credentials&client_id=ck-main"), "invalid_client"},
        {"parameter twice", strdup("grant_type=password&grant_type=password"), "invalid_request"},
    };
    free(valid);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        long status;
        json_object *reply = token_request(f, "application/x-www-form-urlencoded", cases[i].body, NULL, &status);
        if (status != 400 || strcmp(string(reply, "error"), cases[i].error) != 0)
            fail_msg("%s: want 400 %s, got %ld %s", cases[i].what, cases[i].error, status,
                     json_object_to_json_string(reply));
        assert_true(strlen(string(reply, "error_description")) > 5);
        json_object_put(reply);
        free(cases[i].body);
    }
    /* A Content-Type that is neither form: 400 invalid_request. */
    long status;
    json_object *reply = token_request(f, "application/json", "{\"grant_type\":\"password\"}", NULL, &status);
    assert_int_equal(status, 400);
    assert_string_equal(string(reply, "error"), "invalid_request");
    json_object_put(reply);
    /* A broken multipart body. */
    reply = token_request(f, "multipart/form-data; boundary=XyZ", "--XyZ\r\nno end", NULL, &status);
    assert_int_equal(status, 400);
    assert_string_equal(string(reply, "error"), "invalid_request");
    json_object_put(reply);
}

#define GET_AVAILABILITY(org) "/inventory/availability/v1/organizations/" org "/availability-records/actions/get-availability"
#define AVAILABILITY_BODY "{\"skus\":[\"any-sku\"],\"locations\":[\"phoenix\"]}"

static void test_token_in_two_organizations(void **state)
{
    fixture *f = *state;
    /* A configured token listed in both organizations. */
    assert_int_equal(call(f, "POST", GET_AVAILABILITY(ORG_A), "shared-token", AVAILABILITY_BODY, NULL), 200);
    assert_int_equal(call(f, "POST", GET_AVAILABILITY(ORG_B), "shared-token", AVAILABILITY_BODY, NULL), 200);
    /* An issued token: the app and user are in both organizations, each with its scopes. */
    char *token = jwt_login(f, f->app.key, "ck-main", LOGIN_AUD);
    assert_int_equal(call(f, "POST", GET_AVAILABILITY(ORG_A), token, AVAILABILITY_BODY, NULL), 200);
    assert_int_equal(call(f, "POST", GET_AVAILABILITY(ORG_B), token, AVAILABILITY_BODY, NULL), 200);
    assert_int_equal(call(f, "PUT", "/inventory/internal/v1/organizations/" ORG_B, token, NULL, NULL), 204);
    /* org_b gave this app only the availability scope */
    assert_int_equal(call(f, "POST", "/inventory/impex/v1/organizations/" ORG_B "/availability-records/imports", token,
                          "{\"fileName\":\"x.json\"}", NULL),
                     403);
    free(token);
    /* The password grant works only where the app has a consumer secret: org_a, not org_b. */
    long status;
    json_object *reply = token_request(f, "application/x-www-form-urlencoded",
                                       "grant_type=password&client_id=ck-main&client_secret=cs-main"
                                       "&username=admin%40example.com&password=pw1",
                                       NULL, &status);
    assert_int_equal(status, 200);
    const char *password_token = string(reply, "access_token");
    assert_int_equal(call(f, "PUT", "/inventory/internal/v1/organizations/" ORG_A, password_token, NULL, NULL), 204);
    assert_int_equal(call(f, "PUT", "/inventory/internal/v1/organizations/" ORG_B, password_token, NULL, NULL), 403);
    json_object_put(reply);
}

static void test_internal_route_needs_a_token(void **state)
{
    fixture *f = *state;
    assert_int_equal(call(f, "PUT", "/inventory/internal/v1/organizations/" ORG_A, NULL, NULL, NULL), 401);
    assert_int_equal(call(f, "PUT", "/inventory/internal/v1/organizations/" ORG_A, "wrong-token", NULL, NULL), 401);
    assert_int_equal(call(f, "PUT", "/inventory/internal/v1/organizations/unknown_org", "shared-token", NULL, NULL),
                     403);
}

/* A connected app whose certificate is missing or is not a certificate stops the core at open
 * with one line naming the field. */
static void test_bad_certificate_stops_the_core(void **state)
{
    fixture *f = *state;
    char dir[256], bad[400], text[1024], error[OCI_ERROR_MAX];
    th_temp_dir(dir, sizeof dir);
    snprintf(bad, sizeof bad, "%s/not-a-cert.pem", dir);
    assert_int_equal(th_write_file(bad, "hello\n", 6), 0);
    const char *files[] = {"missing.crt", bad};
    for (size_t i = 0; i < 2; i++) {
        snprintf(text, sizeof text,
                 "{\"oci\":{\"organizations\":[{\"id\":\"o\",\"connectedApps\":[{\"consumerKey\":\"k\","
                 "\"certificate\":\"%s\",\"scopes\":[]}]}]}}",
                 files[i]);
        cm_config *config = NULL;
        char config_error[CM_CONFIG_ERROR_MAX];
        assert_int_equal(cm_config_parse(text, strlen(text), "test", dir, NULL, 0, &config, config_error), CM_OK);
        oci_core *core = NULL;
        assert_int_not_equal(oci_core_open(config, dir, &core, error), CM_OK);
        assert_null(core);
        assert_non_null(strstr(error, "connectedApps[0].certificate"));
        cm_config_free(config);
    }
    (void)f;
    th_remove_tree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jwt_login_reply_shape),
        cmocka_unit_test(test_jwt_token_runs_import_and_availability),
        cmocka_unit_test(test_every_grant_and_body_kind),
        cmocka_unit_test(test_every_malformed_login_is_400_with_its_error),
        cmocka_unit_test(test_token_in_two_organizations),
        cmocka_unit_test(test_internal_route_needs_a_token),
        cmocka_unit_test(test_bad_certificate_stops_the_core),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
