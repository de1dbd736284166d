/*
 * test_delivery_token_client_credentials.c - the Account Manager client-credentials login and the
 * reading of any token endpoint's reply (delivery/token_client_credentials.c, through
 * delivery/token_fetch.h), over real libcurl calls:
 * - against the bundled OCI core served in-process (tests/support/oci_inproc.h): a token is
 *   obtained with HTTP Basic id and secret, its lifetime is the core's expires_in, it opens OCI's
 *   routes; a wrong secret and a scope the client may not have are FINAL with OAuth's words;
 * - against a scripted listener on common/http_server.h for the answers the core never gives: the
 *   form body (scope escaped), 200 without a usable access_token, expires_in absent / zero /
 *   huge / not an integer, 5xx and 429 with Retry-After, 4xx in OAuth's and OCI's error shapes,
 *   a 2xx other than 200, a dropped connection, a refused connection and a stop request, and a
 *   scope too long for the bounded request body;
 * - dl_append_form_value: RFC 3986 unreserved characters kept, every other byte escaped, and a
 *   bounded buffer's overflow reported.
 */
#include "tests/support/stub_server.h"
#include "tests/support/test_support.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/body.h"
#include "common/http_client.h"
#include "common/http_server.h"
#include "delivery/token_fetch.h"
#include "tests/support/http_client.h"
#include "tests/support/oci_inproc.h"

#define ORG "org_cc"
#define CLIENT_ID "client-1"
#define CLIENT_SECRET "s3cret:with/odd&chars"

/* ---- a scripted listener: answers in order (the last repeats), every request recorded ---- */


/* ---- fixture ---- */

/* The token paths the tests' logins point at. */
static const cm_route_pattern STUB_ROUTES[] = {{"POST", "/token"}, {"POST", "/other/token"}};

typedef struct fixture {
    th_oci oci;
    th_stub stub;
    cm_httpc_pool *pool;
    cm_httpc_client *client;
    char core_token_url[256];
    char stub_token_url[256];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    char graph[512], text[2048];
    th_data_path("oci/location-graph.json", graph, sizeof graph);
    snprintf(text, sizeof text,
             "{\"oci\":{\"port\":0,\"tokenTtlSeconds\":1234,\"organizations\":[{\"id\":\"" ORG "\","
             "\"locationGraph\":\"%s\",\"clients\":[{\"id\":\"" CLIENT_ID "\",\"secret\":\"" CLIENT_SECRET "\","
             "\"scopes\":[\"sfcc.inventory.availability\",\"sfcc.inventory.availability.rw\"]}]}]},\"tenants\":[]}",
             graph);
    th_oci_start(&f->oci, text);
    th_stub_start(&f->stub, STUB_ROUTES, sizeof STUB_ROUTES / sizeof STUB_ROUTES[0]);
    assert_int_equal(cm_httpc_global_init(), CM_OK);
    cm_httpc_settings settings = {.connect_timeout_ms = 5000, .total_timeout_ms = 10000, .verify_tls = 1};
    f->pool = cm_httpc_pool_new(&settings);
    assert_non_null(f->pool);
    f->client = cm_httpc_take(f->pool);
    assert_non_null(f->client);
    th_url(f->core_token_url, sizeof f->core_token_url, f->oci.port, "/dwsso/oauth2/access_token");
    th_url(f->stub_token_url, sizeof f->stub_token_url, f->stub.port, "/token");
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

static int always_stop(void *data)
{
    (void)data;
    return 1;
}

static outcome fetch_with(fixture *f, const dl_token_login *login, int (*should_stop)(void *))
{
    outcome out;
    memset(&out, 0, sizeof out);
    out.retry_after_ms = -1;
    dl_fetch_call call = {login, f->client, &out.retry_after_ms, out.message, should_stop, NULL};
    out.status = dl_fetch_client_credentials(&call, &out.fetched);
    return out;
}

static dl_token_login login_to(const char *url, const char *secret, const char *scope)
{
    dl_token_login login;
    memset(&login, 0, sizeof login);
    login.kind = DL_TOKEN_CLIENT_CREDENTIALS;
    login.oauth_token_url = url;
    login.oauth_client_id = CLIENT_ID;
    login.oauth_client_secret = secret;
    login.oauth_scope = scope;
    return login;
}

static void expect_message(const outcome *out, const char *needle)
{
    if (!strstr(out->message, needle))
        fail_msg("message \"%s\" lacks \"%s\"", out->message, needle);
}

/* ---- against the bundled core ---- */

static void core_issues_a_token_that_opens_oci(void **state)
{
    fixture *f = *state;
    dl_token_login login = login_to(f->core_token_url, CLIENT_SECRET, NULL);
    outcome out = fetch_with(f, &login, NULL);
    if (out.status != Q_DELIVERY_OK)
        fail_msg("%s", out.message);
    assert_true(strlen(out.fetched.token) > 0);
    assert_int_equal(out.fetched.lifetime_ms, 1234 * 1000); /* the core's expires_in */
    assert_int_equal(out.retry_after_ms, -1);

    /* The token is real: OCI's get-availability takes it. */
    char url[512], authorization[DL_TOKEN_MAX + 32];
    th_url(url, sizeof url, f->oci.port,
           "/inventory/availability/v1/organizations/" ORG "/availability-records/actions/get-availability");
    snprintf(authorization, sizeof authorization, "Authorization: Bearer %s", out.fetched.token);
    const char *headers[] = {authorization, "Content-Type: application/json", NULL};
    const char *body = "{\"skus\":[\"SKU-1\"],\"locations\":[\"surprise\"]}";
    th_response response;
    assert_int_equal(th_http("POST", url, headers, body, strlen(body), &response), 0);
    if (response.status != 200)
        fail_msg("get-availability: %ld %s", response.status, response.body);
    th_response_free(&response);

    /* A scope list with a space and a Commerce API tenant scope goes through escaped. */
    login = login_to(f->core_token_url, CLIENT_SECRET, "sfcc.inventory.availability SALESFORCE_COMMERCE_API:zzzz_001");
    out = fetch_with(f, &login, NULL);
    if (out.status != Q_DELIVERY_OK)
        fail_msg("%s", out.message);
}

static void core_refusals_are_final_with_oauth_words(void **state)
{
    fixture *f = *state;
    dl_token_login login = login_to(f->core_token_url, "wrong-secret", NULL);
    outcome out = fetch_with(f, &login, NULL);
    assert_int_equal(out.status, Q_DELIVERY_FINAL);
    expect_message(&out, "the OAuth token URL answered 401 invalid_client");
    expect_message(&out, "The client id or secret is wrong.");
    assert_null(strstr(out.message, "wrong-secret")); /* the secret is never quoted */

    login = login_to(f->core_token_url, CLIENT_SECRET, "sfcc.inventory.impex-graphs");
    out = fetch_with(f, &login, NULL);
    assert_int_equal(out.status, Q_DELIVERY_FINAL);
    expect_message(&out, "answered 400 invalid_scope");
}

/* ---- against the scripted listener ---- */

static void request_shape(void **state)
{
    fixture *f = *state;
    th_stub_answer answers[] = {{200, "{\"access_token\":\"tok-1\",\"expires_in\":60}", NULL, 0}};
    th_stub_script(&f->stub, answers, 1);
    dl_token_login login = login_to(f->stub_token_url, "pw", "a b/c");
    outcome out = fetch_with(f, &login, NULL);
    assert_int_equal(out.status, Q_DELIVERY_OK);
    assert_string_equal(out.fetched.token, "tok-1");
    assert_int_equal(out.fetched.lifetime_ms, 60000);
    assert_int_equal(f->stub.seen_count, 1);
    th_stub_seen *seen = &f->stub.seen[0];
    assert_string_equal(seen->method, "POST");
    assert_string_equal(seen->path, "/token");
    assert_string_equal(seen->content_type, "application/x-www-form-urlencoded");
    assert_string_equal(seen->body, "grant_type=client_credentials&scope=a%20b%2Fc");
    /* HTTP Basic of "client-1:pw". */
    assert_non_null(seen->authorization);
    assert_string_equal(seen->authorization, "Basic Y2xpZW50LTE6cHc=");
    assert_true(strlen(seen->correlation_id) > 0);

    /* Without a scope, no scope parameter at all. */
    th_stub_script(&f->stub, answers, 1);
    login = login_to(f->stub_token_url, "pw", NULL);
    out = fetch_with(f, &login, NULL);
    assert_int_equal(out.status, Q_DELIVERY_OK);
    assert_string_equal(f->stub.seen[0].body, "grant_type=client_credentials");
}

static void lifetime_from_expires_in(void **state)
{
    fixture *f = *state;
    static const struct {
        const char *body;
        int64_t lifetime_ms;
    } CASES[] = {
        {"{\"access_token\":\"t\"}", DL_TOKEN_DEFAULT_LIFETIME_MS},
        {"{\"access_token\":\"t\",\"expires_in\":0}", DL_TOKEN_DEFAULT_LIFETIME_MS},
        {"{\"access_token\":\"t\",\"expires_in\":-5}", DL_TOKEN_DEFAULT_LIFETIME_MS},
        {"{\"access_token\":\"t\",\"expires_in\":\"3600\"}", DL_TOKEN_DEFAULT_LIFETIME_MS},
        {"{\"access_token\":\"t\",\"expires_in\":1.5}", DL_TOKEN_DEFAULT_LIFETIME_MS},
        {"{\"access_token\":\"t\",\"expires_in\":1}", 1000},
        {"{\"access_token\":\"t\",\"expires_in\":86400}", DL_TOKEN_LIFETIME_MAX_MS},
        {"{\"access_token\":\"t\",\"expires_in\":86401}", DL_TOKEN_LIFETIME_MAX_MS},
        {"{\"access_token\":\"t\",\"expires_in\":9223372036854775807}", DL_TOKEN_LIFETIME_MAX_MS},
    };
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        th_stub_answer answer = {200, CASES[i].body, NULL, 0};
        th_stub_script(&f->stub, &answer, 1);
        dl_token_login login = login_to(f->stub_token_url, "pw", NULL);
        outcome out = fetch_with(f, &login, NULL);
        if (out.status != Q_DELIVERY_OK || out.fetched.lifetime_ms != CASES[i].lifetime_ms)
            fail_msg("case %zu: status %d lifetime %lld, want %lld (%s)", i, out.status,
                     (long long)out.fetched.lifetime_ms, (long long)CASES[i].lifetime_ms, out.message);
        assert_string_equal(out.fetched.token, "t");
    }
}

static void unusable_200_is_retried(void **state)
{
    fixture *f = *state;
    static char long_token[DL_TOKEN_MAX + 64];
    snprintf(long_token, sizeof long_token, "{\"access_token\":\"%0*d\"}", DL_TOKEN_MAX, 0);
    const char *const BODIES[] = {
        "",
        "not json",
        "[\"access_token\"]",
        "{\"token\":\"x\"}",
        "{\"access_token\":\"\"}",
        "{\"access_token\":42}",
        "{\"access_token\":\"x\"} trailing",
        long_token, /* DL_TOKEN_MAX characters: no room for its NUL */
    };
    for (size_t i = 0; i < sizeof BODIES / sizeof BODIES[0]; i++) {
        th_stub_answer answer = {200, BODIES[i], NULL, 0};
        th_stub_script(&f->stub, &answer, 1);
        dl_token_login login = login_to(f->stub_token_url, "pw", NULL);
        outcome out = fetch_with(f, &login, NULL);
        if (out.status != Q_DELIVERY_RETRY || !strstr(out.message, "answered 200 without a usable access_token"))
            fail_msg("body %zu: status %d \"%s\"", i, out.status, out.message);
    }
}

static void error_answers(void **state)
{
    fixture *f = *state;
    static const struct {
        th_stub_answer answer;
        q_delivery_status status;
        int64_t retry_after_ms;
        const char *message;
    } CASES[] = {
        {{503, "{}", "7", 0}, Q_DELIVERY_RETRY, 7000, "the OAuth token URL answered 503"},
        /* The HTTP client reads Retry-After on 429 and 503 only. */
        {{500, "oops", "7", 0}, Q_DELIVERY_RETRY, -1, "answered 500"},
        {{429, "{\"error\":\"slow_down\"}", "2", 0}, Q_DELIVERY_RETRY, 2000, "answered 429 slow_down"},
        {{408, NULL, NULL, 0}, Q_DELIVERY_RETRY, -1, "answered 408"},
        {{400, "{\"error\":\"invalid_grant\",\"error_description\":\"expired secret\"}", NULL, 0}, Q_DELIVERY_FINAL,
         -1, "answered 400 invalid_grant: expired secret"},
        {{401, "{\"error\":\"invalid_client\"}", NULL, 0}, Q_DELIVERY_FINAL, -1, "answered 401 invalid_client"},
        {{403, "{\"errorCode\":\"Forbidden\",\"message\":\"no access\"}", NULL, 0}, Q_DELIVERY_FINAL, -1,
         "answered 403 Forbidden: no access"},
        {{404, "<html>", NULL, 0}, Q_DELIVERY_FINAL, -1, "answered 404"},
        /* A success other than 200 brings no token and will not by asking again. */
        {{204, NULL, NULL, 0}, Q_DELIVERY_FINAL, -1, "answered 204"},
        {{202, "{\"access_token\":\"t\"}", NULL, 0}, Q_DELIVERY_FINAL, -1, "answered 202"},
        {{0, NULL, NULL, 1}, Q_DELIVERY_RETRY, -1, "no answer from the OAuth token URL"},
    };
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        th_stub_script(&f->stub, &CASES[i].answer, 1);
        dl_token_login login = login_to(f->stub_token_url, "pw", NULL);
        outcome out = fetch_with(f, &login, NULL);
        if (out.status != CASES[i].status || out.retry_after_ms != CASES[i].retry_after_ms ||
            !strstr(out.message, CASES[i].message))
            fail_msg("case %zu: status %d retry-after %lld \"%s\"", i, out.status, (long long)out.retry_after_ms,
                     out.message);
        /* libcurl itself sends again once when a reused connection closes without an answer. */
        if (CASES[i].answer.drop)
            assert_true(f->stub.seen_count >= 1);
        else
            assert_int_equal(f->stub.seen_count, 1);
    }
}

static void no_listener_or_stopping(void **state)
{
    fixture *f = *state;
    /* A port nobody listens on: the stub's, once it is stopped. */
    th_stub other;
    th_stub_start(&other, STUB_ROUTES, sizeof STUB_ROUTES / sizeof STUB_ROUTES[0]);
    char url[256];
    th_url(url, sizeof url, other.port, "/token");
    th_stub_stop(&other);
    dl_token_login login = login_to(url, "pw", NULL);
    outcome out = fetch_with(f, &login, NULL);
    assert_int_equal(out.status, Q_DELIVERY_RETRY);
    expect_message(&out, "no answer from the OAuth token URL: ");
    assert_int_equal(out.retry_after_ms, -1);

    /* Shutting down: the call is abandoned, and nothing counts as a token. */
    th_stub_answer answer = {200, "{\"access_token\":\"t\"}", NULL, 0};
    th_stub_script(&f->stub, &answer, 1);
    login = login_to(f->stub_token_url, "pw", NULL);
    out = fetch_with(f, &login, always_stop);
    assert_int_equal(out.status, Q_DELIVERY_RETRY);
    expect_message(&out, "no answer from the OAuth token URL");
}

/* A scope too long for the bounded form body: refused before anything is sent, and FINAL (the
 * same configuration would fail the same way again). */
static void a_request_that_cannot_be_built(void **state)
{
    fixture *f = *state;
    static char scope[2001];
    memset(scope, ' ', sizeof scope - 1); /* each space becomes %20: 6000 bytes */
    th_stub_answer answer = {200, "{\"access_token\":\"t\"}", NULL, 0};
    th_stub_script(&f->stub, &answer, 1);
    dl_token_login login = login_to(f->stub_token_url, "pw", scope);
    outcome out = fetch_with(f, &login, NULL);
    assert_int_equal(out.status, Q_DELIVERY_FINAL);
    expect_message(&out, "the OAuth token request could not be built: ");
    assert_int_equal(f->stub.seen_count, 0);
}

/* ---- dl_append_form_value ---- */

static void form_values(void **state)
{
    (void)state;
    cm_body body;
    cm_body_init(&body, 1024);
    assert_int_equal(dl_append_form_value(&body, "AZaz09-._~"), CM_OK);
    assert_int_equal(dl_append_form_value(&body, " +&=/?%#\xc3\xa9\x7f\x01"), CM_OK);
    assert_int_equal(dl_append_form_value(&body, ""), CM_OK);
    assert_int_equal(cm_body_append(&body, "", 1), CM_OK);
    assert_string_equal(body.data, "AZaz09-._~%20%2B%26%3D%2F%3F%25%23%C3%A9%7F%01");
    cm_body_free(&body);

    /* A bounded buffer: growing past its maximum is an error, never a silent cut. */
    cm_body small;
    cm_body_init(&small, 5);
    assert_int_not_equal(dl_append_form_value(&small, "a b c"), CM_OK);
    cm_body_free(&small);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(form_values),
        cmocka_unit_test_setup_teardown(core_issues_a_token_that_opens_oci, setup, teardown),
        cmocka_unit_test_setup_teardown(core_refusals_are_final_with_oauth_words, setup, teardown),
        cmocka_unit_test_setup_teardown(request_shape, setup, teardown),
        cmocka_unit_test_setup_teardown(lifetime_from_expires_in, setup, teardown),
        cmocka_unit_test_setup_teardown(unusable_200_is_retried, setup, teardown),
        cmocka_unit_test_setup_teardown(error_answers, setup, teardown),
        cmocka_unit_test_setup_teardown(no_listener_or_stopping, setup, teardown),
        cmocka_unit_test_setup_teardown(a_request_that_cannot_be_built, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
