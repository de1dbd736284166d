/*
 * test_delivery_token_jwt.c - the Salesforce connected-app login (OAuth 2.0 JWT bearer flow) and
 * the internal organization call that follows it (delivery/token_jwt.c, through
 * delivery/token_fetch.h), over real libcurl calls with real RSA keys (tests/support/rsa_fixture.h):
 * - against the bundled OCI core served in-process: the signed assertion is accepted, the token is
 *   announced with PUT /inventory/internal/v1/organizations/{id} and opens OCI's routes; a key the
 *   app does not know, an unknown consumer key or user are FINAL with Salesforce's words;
 * - against a scripted listener on common/http_server.h: the exact request (token URL and
 *   audience without trailing slashes, form body, claims iss/sub/aud/exp, a signature that
 *   verifies), the lifetime rules (reply's expires_in, capped by a configured lifetime, default
 *   15 minutes), the token endpoint's error answers, a key that cannot sign RS256, and every answer
 *   of the internal organization route (2xx OK; 401 and 3xx RETRY so the next attempt logs in again;
 *   other 4xx FINAL; 5xx/429 RETRY with Retry-After; no answer) quoting the call's correlation-id.
 */
#include "tests/support/stub_server.h"
#include "tests/support/test_support.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/ec.h>

#include "common/http_client.h"
#include "common/http_server.h"
#include "common/json_util.h"
#include "common/jwt.h"
#include "delivery/token_fetch.h"
#include "tests/support/http_client.h"
#include "tests/support/oci_inproc.h"
#include "tests/support/rsa_fixture.h"

#define ORG "org_jwt"
#define CONSUMER_KEY "3MVG9-unit-consumer"
#define USERNAME "integration@example.com"

/* ---- a scripted listener: answers in order (the last repeats), every request recorded ---- */


/* ---- fixture ---- */

static const cm_route_pattern STUB_ROUTES[] = {
    {"POST", "/services/oauth2/token"},
    {"POST", "/sf/services/oauth2/token"},
    {"PUT", "/base/inventory/internal/v1/organizations/{org}"},
};

/* Made once for the group: a 2048-bit key takes a while to make. */
static char keys_dir[256];
static th_rsa app_key, other_key;

static int group_setup(void **state)
{
    (void)state;
    th_temp_dir(keys_dir, sizeof keys_dir);
    th_rsa_make(&app_key, keys_dir, "app");
    th_rsa_make(&other_key, keys_dir, "other");
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    th_rsa_free(&app_key);
    th_rsa_free(&other_key);
    th_remove_tree(keys_dir);
    return 0;
}

typedef struct fixture {
    th_rsa app;   /* the connected app's key (borrowed): its certificate is configured in the core */
    th_rsa other; /* a key nobody configured (borrowed) */
    th_oci oci;
    th_stub stub;
    cm_httpc_pool *pool;
    cm_httpc_client *client;
    char core_url[128];
    char stub_url[128];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->app = app_key;
    f->other = other_key;
    char graph[512], text[4096];
    th_data_path("oci/location-graph.json", graph, sizeof graph);
    snprintf(text, sizeof text,
             "{\"oci\":{\"port\":0,\"organizations\":[{\"id\":\"" ORG "\",\"locationGraph\":\"%s\","
             "\"connectedApps\":[{\"consumerKey\":\"" CONSUMER_KEY "\",\"certificate\":\"%s\","
             "\"users\":[{\"username\":\"" USERNAME "\"}],"
             "\"scopes\":[\"sfcc_inventory_availability\",\"sfcc_inventory_availability_rw\"]}]}]},\"tenants\":[]}",
             graph, f->app.cert_path);
    th_oci_start(&f->oci, text);
    th_stub_start(&f->stub, STUB_ROUTES, sizeof STUB_ROUTES / sizeof STUB_ROUTES[0]);
    assert_int_equal(cm_httpc_global_init(), CM_OK);
    cm_httpc_settings settings = {.connect_timeout_ms = 5000, .total_timeout_ms = 10000, .verify_tls = 1};
    f->pool = cm_httpc_pool_new(&settings);
    assert_non_null(f->pool);
    f->client = cm_httpc_take(f->pool);
    assert_non_null(f->client);
    th_url(f->core_url, sizeof f->core_url, f->oci.port, "/");
    th_url(f->stub_url, sizeof f->stub_url, f->stub.port, "");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    cm_httpc_give(f->pool, f->client);
    cm_httpc_pool_free(f->pool);
    th_stub_stop(&f->stub);
    th_oci_stop(&f->oci);
    free(f);
    return 0;
}

typedef struct outcome {
    q_delivery_status status;
    dl_fetched fetched;
    int64_t retry_after_ms;
    char message[Q_DELIVERY_MESSAGE_MAX];
} outcome;

static dl_token_login jwt_login(const char *login_url, const char *consumer_key, const char *username,
                                int64_t lifetime_ms)
{
    dl_token_login login;
    memset(&login, 0, sizeof login);
    login.kind = DL_TOKEN_JWT;
    login.jwt_login_url = login_url;
    login.jwt_consumer_key = consumer_key;
    login.jwt_username = username;
    login.jwt_lifetime_ms = lifetime_ms;
    return login;
}

static outcome fetch(fixture *f, const dl_token_login *login, EVP_PKEY *key)
{
    outcome out;
    memset(&out, 0, sizeof out);
    out.retry_after_ms = -1;
    dl_fetch_call call = {login, f->client, &out.retry_after_ms, out.message, NULL, NULL};
    out.status = dl_fetch_jwt(&call, key, &out.fetched);
    return out;
}

static outcome provision(fixture *f, const char *base_url, const char *token, const char *org_id)
{
    outcome out;
    memset(&out, 0, sizeof out);
    out.retry_after_ms = -1;
    dl_token_login login = jwt_login("http://unused.invalid", CONSUMER_KEY, USERNAME, 0);
    login.provision_base_url = base_url;
    dl_fetch_call call = {&login, f->client, &out.retry_after_ms, out.message, NULL, NULL};
    out.status = dl_provision_org(&call, token, org_id);
    return out;
}

static void expect_message(const char *message, const char *needle)
{
    if (!strstr(message, needle))
        fail_msg("message \"%s\" lacks \"%s\"", message, needle);
}

/* ---- against the bundled core ---- */

static void core_accepts_the_assertion_and_the_announcement(void **state)
{
    fixture *f = *state;
    dl_token_login login = jwt_login(f->core_url, CONSUMER_KEY, USERNAME, 0);
    outcome out = fetch(f, &login, f->app.key);
    if (out.status != Q_DELIVERY_OK)
        fail_msg("%s", out.message);
    assert_true(strlen(out.fetched.token) > 0);
    /* Salesforce's reply has no expires_in: the default lifetime. */
    assert_int_equal(out.fetched.lifetime_ms, DL_TOKEN_DEFAULT_LIFETIME_MS);

    outcome announced = provision(f, f->core_url, out.fetched.token, ORG);
    if (announced.status != Q_DELIVERY_OK)
        fail_msg("%s", announced.message);
    assert_string_equal(announced.message, "");

    /* The token is real: get-availability takes it. */
    char url[512], authorization[DL_TOKEN_MAX + 32];
    th_url(url, sizeof url, f->oci.port,
           "/inventory/availability/v1/organizations/" ORG "/availability-records/actions/get-availability");
    snprintf(authorization, sizeof authorization, "Authorization: Bearer %s", out.fetched.token);
    const char *headers[] = {authorization, "Content-Type: application/json", NULL};
    const char *body = "{\"skus\":[\"SKU-1\"],\"locations\":[\"surprise\"]}";
    th_response response;
    assert_int_equal(th_http("POST", url, headers, body, strlen(body), &response), 0);
    long status = response.status;
    th_response_free(&response);
    assert_int_equal(status, 200);

    /* A configured lifetime is the session timeout Salesforce knows: it is taken as it is. */
    login = jwt_login(f->core_url, CONSUMER_KEY, USERNAME, 2000);
    out = fetch(f, &login, f->app.key);
    assert_int_equal(out.status, Q_DELIVERY_OK);
    assert_int_equal(out.fetched.lifetime_ms, 2000);

    /* An unknown organization on the internal route is OCI's 4xx: FINAL. */
    announced = provision(f, f->core_url, out.fetched.token, "no_such_org");
    assert_int_equal(announced.status, Q_DELIVERY_FINAL);
    expect_message(announced.message, "PUT /inventory/internal/v1/organizations/no_such_org answered 4");
}

static void core_refusals_are_final(void **state)
{
    fixture *f = *state;
    dl_token_login login = jwt_login(f->core_url, CONSUMER_KEY, USERNAME, 0);
    outcome out = fetch(f, &login, f->other.key);
    assert_int_equal(out.status, Q_DELIVERY_FINAL);
    expect_message(out.message, "the Salesforce token URL answered 400 invalid_grant");
    expect_message(out.message, "signature does not verify");

    login = jwt_login(f->core_url, "unknown-consumer", USERNAME, 0);
    out = fetch(f, &login, f->app.key);
    assert_int_equal(out.status, Q_DELIVERY_FINAL);
    expect_message(out.message, "answered 400 invalid_client_id");

    login = jwt_login(f->core_url, CONSUMER_KEY, "nobody@example.com", 0);
    out = fetch(f, &login, f->app.key);
    assert_int_equal(out.status, Q_DELIVERY_FINAL);
    expect_message(out.message, "answered 400");
    /* The assertion is never quoted. */
    assert_null(strstr(out.message, "eyJ"));
}

/* ---- against the scripted listener ---- */

static void the_request_and_its_assertion(void **state)
{
    fixture *f = *state;
    th_stub_answer answer = {200, "{\"access_token\":\"sf-token\"}", NULL, 0};
    th_stub_script(&f->stub, &answer, 1);
    char login_url[256];
    snprintf(login_url, sizeof login_url, "%s/sf//", f->stub_url);
    dl_token_login login = jwt_login(login_url, CONSUMER_KEY, USERNAME, 0);
    int64_t before = (int64_t)time(NULL);
    outcome out = fetch(f, &login, f->app.key);
    int64_t after = (int64_t)time(NULL);
    if (out.status != Q_DELIVERY_OK)
        fail_msg("%s", out.message);
    assert_string_equal(out.fetched.token, "sf-token");
    assert_int_equal(f->stub.seen_count, 1);
    const th_stub_seen *seen = &f->stub.seen[0];
    assert_string_equal(seen->method, "POST");
    assert_string_equal(seen->path, "/sf/services/oauth2/token");
    assert_string_equal(seen->content_type, "application/x-www-form-urlencoded");
    assert_null(seen->authorization);
    static const char PREFIX[] = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=";
    assert_int_equal(strncmp(seen->body, PREFIX, sizeof PREFIX - 1), 0);
    const char *assertion = seen->body + sizeof PREFIX - 1;
    assert_null(strchr(assertion, '&'));
    cm_jwt jwt;
    char why[CM_JWT_WHY_MAX];
    assert_int_equal(cm_jwt_decode(assertion, strlen(assertion), &jwt, why), CM_JWT_OK);
    assert_int_equal(cm_jwt_verify_rs256(&jwt, f->app.key), 1);
    assert_int_equal(cm_jwt_verify_rs256(&jwt, f->other.key), 0);
    const char *text = NULL;
    assert_int_equal(cm_json_string(jwt.header, "alg", &text), CM_JSON_OK);
    assert_string_equal(text, "RS256");
    assert_int_equal(cm_json_string(jwt.claims, "iss", &text), CM_JSON_OK);
    assert_string_equal(text, CONSUMER_KEY);
    assert_int_equal(cm_json_string(jwt.claims, "sub", &text), CM_JSON_OK);
    assert_string_equal(text, USERNAME);
    assert_int_equal(cm_json_string(jwt.claims, "aud", &text), CM_JSON_OK);
    char audience[256];
    snprintf(audience, sizeof audience, "%s/sf", f->stub_url);
    assert_string_equal(text, audience);
    int64_t exp = 0;
    assert_int_equal(cm_json_int64(jwt.claims, "exp", &exp), CM_JSON_OK);
    assert_in_range(exp, before + DL_JWT_ASSERTION_LIFETIME_S, after + DL_JWT_ASSERTION_LIFETIME_S);
    cm_jwt_free(&jwt);
}

static void lifetime_rules(void **state)
{
    fixture *f = *state;
    static const struct {
        const char *reply;
        int64_t configured_ms, lifetime_ms;
    } CASES[] = {
        {"{\"access_token\":\"t\"}", 0, DL_TOKEN_DEFAULT_LIFETIME_MS},
        {"{\"access_token\":\"t\"}", 30000, 30000},
        {"{\"access_token\":\"t\",\"expires_in\":60}", 30000, 30000}, /* the configured one is shorter */
        {"{\"access_token\":\"t\",\"expires_in\":10}", 30000, 10000}, /* the reply's is shorter */
        {"{\"access_token\":\"t\",\"expires_in\":60}", 0, 60000},
        {"{\"access_token\":\"t\",\"expires_in\":999999999}", 0, DL_TOKEN_LIFETIME_MAX_MS},
    };
    dl_token_login login;
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        th_stub_answer answer = {200, CASES[i].reply, NULL, 0};
        th_stub_script(&f->stub, &answer, 1);
        login = jwt_login(f->stub_url, CONSUMER_KEY, USERNAME, CASES[i].configured_ms);
        outcome out = fetch(f, &login, f->app.key);
        if (out.status != Q_DELIVERY_OK || out.fetched.lifetime_ms != CASES[i].lifetime_ms)
            fail_msg("case %zu: status %d lifetime %lld (%s)", i, out.status, (long long)out.fetched.lifetime_ms,
                     out.message);
    }
}

static void token_endpoint_errors(void **state)
{
    fixture *f = *state;
    static const struct {
        th_stub_answer answer;
        q_delivery_status status;
        int64_t retry_after_ms;
        const char *message;
    } CASES[] = {
        {{400, "{\"error\":\"invalid_grant\",\"error_description\":\"user hasn't approved this consumer\"}", NULL, 0},
         Q_DELIVERY_FINAL, -1, "the Salesforce token URL answered 400 invalid_grant: user hasn't approved this consumer"},
        {{503, "", "3", 0}, Q_DELIVERY_RETRY, 3000, "the Salesforce token URL answered 503"},
        {{200, "{\"instance_url\":\"x\"}", NULL, 0}, Q_DELIVERY_RETRY, -1, "answered 200 without a usable access_token"},
        {{0, NULL, NULL, 1}, Q_DELIVERY_RETRY, -1, "no answer from the Salesforce token URL"},
    };
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        th_stub_script(&f->stub, &CASES[i].answer, 1);
        dl_token_login login = jwt_login(f->stub_url, CONSUMER_KEY, USERNAME, 0);
        outcome out = fetch(f, &login, f->app.key);
        if (out.status != CASES[i].status || out.retry_after_ms != CASES[i].retry_after_ms ||
            !strstr(out.message, CASES[i].message))
            fail_msg("case %zu: status %d retry-after %lld \"%s\"", i, out.status, (long long)out.retry_after_ms,
                     out.message);
    }
}

/* A key RS256 cannot use: nothing is sent, and the attempt may be retried (the key can be fixed). */
static void a_key_that_cannot_sign(void **state)
{
    fixture *f = *state;
    EVP_PKEY *ec = EVP_EC_gen("P-256");
    assert_non_null(ec);
    th_stub_answer answer = {200, "{\"access_token\":\"t\"}", NULL, 0};
    th_stub_script(&f->stub, &answer, 1);
    dl_token_login login = jwt_login(f->stub_url, CONSUMER_KEY, USERNAME, 0);
    outcome out = fetch(f, &login, ec);
    EVP_PKEY_free(ec);
    assert_int_equal(out.status, Q_DELIVERY_RETRY);
    expect_message(out.message, "the JWT assertion could not be signed");
    assert_int_equal(f->stub.seen_count, 0);
}

static void internal_route_answers(void **state)
{
    fixture *f = *state;
    char base[256];
    snprintf(base, sizeof base, "%s/base///", f->stub_url);
    static const struct {
        th_stub_answer answer;
        q_delivery_status status;
        int64_t retry_after_ms;
    } CASES[] = {
        {{204, NULL, NULL, 0}, Q_DELIVERY_OK, -1},
        {{200, "{}", NULL, 0}, Q_DELIVERY_OK, -1},
        {{401, "{\"errorCode\":\"Unauthorized\"}", NULL, 0}, Q_DELIVERY_RETRY, -1}, /* log in again next time */
        {{403, NULL, NULL, 0}, Q_DELIVERY_FINAL, -1},
        {{404, NULL, NULL, 0}, Q_DELIVERY_FINAL, -1},
        {{500, NULL, NULL, 0}, Q_DELIVERY_RETRY, -1},
        {{429, NULL, "4", 0}, Q_DELIVERY_RETRY, 4000},
        {{302, NULL, NULL, 0}, Q_DELIVERY_RETRY, -1}, /* a success status it did not ask for */
    };
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        th_stub_script(&f->stub, &CASES[i].answer, 1);
        outcome out = provision(f, base, "tok-1", "org-9");
        if (out.status != CASES[i].status || out.retry_after_ms != CASES[i].retry_after_ms)
            fail_msg("case %zu: status %d retry-after %lld \"%s\"", i, out.status, (long long)out.retry_after_ms,
                     out.message);
        assert_int_equal(f->stub.seen_count, 1);
        const th_stub_seen *seen = &f->stub.seen[0];
        assert_string_equal(seen->method, "PUT");
        assert_string_equal(seen->path, "/base/inventory/internal/v1/organizations/org-9");
        assert_non_null(seen->authorization);
        assert_string_equal(seen->authorization, "Bearer tok-1");
        if (CASES[i].status == Q_DELIVERY_OK) {
            assert_string_equal(out.message, "");
            continue;
        }
        char want[256];
        snprintf(want, sizeof want, "PUT /inventory/internal/v1/organizations/org-9 answered %d [correlation-id %s]",
                 CASES[i].answer.status, seen->correlation_id);
        assert_true(strlen(seen->correlation_id) > 0);
        assert_string_equal(out.message, want);
    }

    /* No answer at all. */
    th_stub_answer drop = {0, NULL, NULL, 1};
    th_stub_script(&f->stub, &drop, 1);
    outcome out = provision(f, base, "tok-1", "org-9");
    assert_int_equal(out.status, Q_DELIVERY_RETRY);
    expect_message(out.message, "no answer from the internal organization route");

    /* A long organization id is cut in the message, never past its buffer. */
    char org[129];
    memset(org, 'o', sizeof org - 1);
    org[sizeof org - 1] = '\0';
    th_stub_answer forbidden = {403, NULL, NULL, 0};
    th_stub_script(&f->stub, &forbidden, 1);
    out = provision(f, base, "tok-1", org);
    assert_int_equal(out.status, Q_DELIVERY_FINAL);
    char cut[128];
    snprintf(cut, sizeof cut, "organizations/%.64s answered 403", org);
    expect_message(out.message, cut);

    /* URLs that would not fit are refused before anything is sent (a cut URL would go elsewhere). */
    size_t seen_before = f->stub.seen_count;
    char *long_text = malloc(2100);
    assert_non_null(long_text);
    memset(long_text, 'x', 2099);
    long_text[2099] = '\0';
    out = provision(f, base, "tok-1", long_text);
    assert_int_equal(out.status, Q_DELIVERY_FINAL);
    expect_message(out.message, "the internal organization route's URL would be longer than 2047 bytes");
    char long_url[2200];
    snprintf(long_url, sizeof long_url, "http://127.0.0.1:1/%s", long_text);
    dl_token_login login = jwt_login(long_url, CONSUMER_KEY, USERNAME, 0);
    out = fetch(f, &login, f->app.key);
    assert_int_equal(out.status, Q_DELIVERY_FINAL);
    expect_message(out.message, "the JWT login URL is too long (at most 2025 bytes)");
    assert_int_equal(f->stub.seen_count, seen_before);
    free(long_text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(core_accepts_the_assertion_and_the_announcement, setup, teardown),
        cmocka_unit_test_setup_teardown(core_refusals_are_final, setup, teardown),
        cmocka_unit_test_setup_teardown(the_request_and_its_assertion, setup, teardown),
        cmocka_unit_test_setup_teardown(lifetime_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(token_endpoint_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(a_key_that_cannot_sign, setup, teardown),
        cmocka_unit_test_setup_teardown(internal_route_answers, setup, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
