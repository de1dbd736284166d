/*
 * test_gateway_auth.c - who is calling (gateway/auth.c): the x-vol-tenant header, the package API
 * key as a Bearer token, the translated-API switch and the per-tenant rate limit.
 *
 * gw_authenticate answers its refusals itself, so it is driven through a real cm_http_server on a
 * free port with the gateway's own error writer: each refusal is checked by its status, its legacy
 * error body parsed back field by field, and (for 429) its Retry-After header.
 */
#include "common/clock.h"
#include "common/config.h"
#include "common/http_server.h"
#include "gateway/auth.h"
#include "gateway/errors.h"
#include "tests/support/http_client.h"
#include "tests/support/test_support.h"

#include <json-c/json.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Tenant 1 has both keys; tenant 2 only a V5 key and translated APIs switched off; tenant 3 a V5
 * key and a rate limit of 1 request a second with a burst of 2; tenant 4 only an Inventory
 * Specific key. */
static const char CONFIG[] =
    "{\"oci\":{\"organizations\":[{\"id\":\"org1\"}]},"
    " \"tenants\":["
    "  {\"id\":1,\"apiKeys\":{\"v5\":\"v5-key-1\",\"inventorySpecific\":\"inv-key-1\"},\"organizationId\":\"org1\"},"
    "  {\"id\":2,\"apiKeys\":{\"v5\":\"v5-key-2\"},\"organizationId\":\"org1\",\"translatedApis\":false},"
    "  {\"id\":3,\"apiKeys\":{\"v5\":\"v5-key-3\"},\"organizationId\":\"org1\","
    "   \"rateLimit\":{\"requestsPerSecond\":1,\"burst\":2}},"
    "  {\"id\":4,\"apiKeys\":{\"inventorySpecific\":\"inv-key-4\"},\"organizationId\":\"org1\"}]}";

typedef struct fixture {
    cm_config *config;
    gw_rate_limiter *limiter;
    cm_http_server *server;
    int port;
} fixture;

static fixture the_fixture;

/* Each route authenticates for one package; on success it answers 200 with the tenant's id, so a
 * test can tell which tenant gw_authenticate returned. */
static void reply_tenant(cm_http_request *request, gw_package package, gw_rate_limiter *limiter)
{
    const cm_tenant *tenant = gw_authenticate(request, the_fixture.config, package, limiter);
    if (!tenant)
        return; /* gw_authenticate has answered */
    json_object *body = json_object_new_object();
    json_object_object_add(body, "tenant", json_object_new_int64(tenant->id));
    cm_http_reply_json(request, 200, body);
}

static void handle_v5(cm_http_request *request, void *data)
{
    (void)data;
    reply_tenant(request, GW_PACKAGE_V5, NULL);
}

static void handle_inventory(cm_http_request *request, void *data)
{
    (void)data;
    reply_tenant(request, GW_PACKAGE_INVENTORY_SPECIFIC, NULL);
}

static void handle_any(cm_http_request *request, void *data)
{
    (void)data;
    reply_tenant(request, GW_PACKAGE_ANY, NULL);
}

static void handle_limited(cm_http_request *request, void *data)
{
    (void)data;
    reply_tenant(request, GW_PACKAGE_ANY, the_fixture.limiter);
}

static const cm_http_route ROUTES[] = {
    {.match = {"GET", "/v5"}, .handler = handle_v5},
    {.match = {"GET", "/inv"}, .handler = handle_inventory},
    {.match = {"GET", "/any"}, .handler = handle_any},
    {.match = {"GET", "/limited"}, .handler = handle_limited},
};

static int start_server(void **state)
{
    (void)state;
    char error[CM_CONFIG_ERROR_MAX];
    assert_int_equal(cm_config_parse(CONFIG, strlen(CONFIG), "test", ".", NULL, 0, &the_fixture.config, error),
                     CM_OK);
    the_fixture.limiter = gw_rate_limiter_new(the_fixture.config);
    assert_non_null(the_fixture.limiter);
    cm_http_server_config server_config = {
        .name = "gateway",
        .bind_address = "127.0.0.1",
        .port = 0,
        .body_limit = 4096,
        .threads = 1,
        .connection_timeout_seconds = 10,
        .connection_limit = 16,
        .routes = ROUTES,
        .route_count = sizeof ROUTES / sizeof ROUTES[0],
        .error_writer = gw_error_writer,
        .before = gw_before_request,
    };
    char http_error[CM_HTTP_ERROR_MAX];
    if (cm_http_server_start(&server_config, &the_fixture.server, http_error) != CM_OK)
        fail_msg("server: %s", http_error);
    the_fixture.port = cm_http_server_port(the_fixture.server);
    return 0;
}

static int stop_server(void **state)
{
    (void)state;
    cm_http_server_stop(the_fixture.server);
    gw_rate_limiter_free(the_fixture.limiter);
    cm_config_free(the_fixture.config);
    return 0;
}

/* Sends GET `path` with the two headers when given (NULL: header not sent). */
static void call(const char *path, const char *tenant, const char *authorization, th_response *response)
{
    char url[128], tenant_line[256], authorization_line[256];
    const char *headers[3] = {NULL, NULL, NULL};
    size_t count = 0;
    if (tenant) {
        snprintf(tenant_line, sizeof tenant_line, "x-vol-tenant: %s", tenant);
        headers[count++] = tenant_line;
    }
    if (authorization) {
        snprintf(authorization_line, sizeof authorization_line, "Authorization: %s", authorization);
        headers[count++] = authorization_line;
    }
    th_url(url, sizeof url, the_fixture.port, path);
    assert_int_equal(th_http("GET", url, headers, NULL, 0, response), 0);
}

/* Expects 200 and the tenant gw_authenticate returned. */
static void expect_tenant(const char *path, const char *tenant, const char *authorization, int64_t tenant_id)
{
    th_response response;
    call(path, tenant, authorization, &response);
    assert_int_equal(response.status, 200);
    json_object *body = th_json(&response);
    assert_non_null(body);
    json_object *id = NULL;
    assert_true(json_object_object_get_ex(body, "tenant", &id));
    assert_true(json_object_is_type(id, json_type_int));
    assert_int_equal(json_object_get_int64(id), tenant_id);
    json_object_put(body);
    th_response_free(&response);
}

static const char *string_member(json_object *object, const char *name)
{
    json_object *value = NULL;
    if (!json_object_object_get_ex(object, name, &value) || !json_object_is_type(value, json_type_string))
        fail_msg("member \"%s\" is missing or not a string", name);
    return json_object_get_string(value);
}

/*
 * Expects a refusal with `status`, `code` and `message` in the legacy body; `field` is the field the
 * single items[] entry names, or NULL when the body must have no items. Returns the response for
 * more checks (the caller frees it).
 */
static void expect_refusal(const char *path, const char *tenant, const char *authorization, int status,
                           const char *code, const char *message, const char *field, th_response *response)
{
    call(path, tenant, authorization, response);
    assert_int_equal(response->status, status);
    json_object *body = th_json(response);
    assert_non_null(body);
    assert_string_equal(string_member(body, "error"), cm_http_reason(status));
    assert_string_equal(string_member(body, "errorCode"), code);
    assert_string_equal(string_member(body, "message"), message);
    assert_string_equal(string_member(body, "applicationName"), "omsgw");
    json_object *items = NULL;
    assert_true(json_object_object_get_ex(body, "items", &items));
    assert_true(json_object_is_type(items, json_type_array));
    if (!field) {
        assert_int_equal(json_object_array_length(items), 0);
    } else {
        assert_int_equal(json_object_array_length(items), 1);
        json_object *item = json_object_array_get_idx(items, 0);
        assert_string_equal(string_member(item, "errorCode"), code);
        json_object *details = NULL;
        assert_true(json_object_object_get_ex(item, "additionalErrorData", &details));
        assert_int_equal(json_object_array_length(details), 1);
        json_object *detail = json_object_array_get_idx(details, 0);
        assert_string_equal(string_member(detail, "name"), "field");
        assert_string_equal(string_member(detail, "value"), field);
    }
    json_object_put(body);
}

static void expect_refusal_only(const char *path, const char *tenant, const char *authorization, int status,
                                const char *code, const char *message, const char *field)
{
    th_response response;
    expect_refusal(path, tenant, authorization, status, code, message, field, &response);
    th_response_free(&response);
}

static const char BAD_TENANT_MESSAGE[] = "The x-vol-tenant header must be a tenant number such as 12345 or t12345.";
static const char NO_KEY_MESSAGE[] = "The Authorization header must carry the package's API key as a Bearer token.";
static const char BAD_V5_MESSAGE[] = "The tenant or its Inventory V5 API key is not valid.";
static const char BAD_INVENTORY_MESSAGE[] = "The tenant or its Inventory Specific API key is not valid.";
static const char BAD_ANY_MESSAGE[] = "The tenant or its API key is not valid.";

/* ---- gw_parse_tenant ---- */

static void test_parse_tenant_accepts_plain_and_prefixed_numbers(void **state)
{
    (void)state;
    int64_t id = 0;
    assert_int_equal(gw_parse_tenant("12345", &id), 0);
    assert_int_equal(id, 12345);
    assert_int_equal(gw_parse_tenant("t12345", &id), 0);
    assert_int_equal(id, 12345);
    /* The prefix is read case-insensitively. */
    assert_int_equal(gw_parse_tenant("T7", &id), 0);
    assert_int_equal(id, 7);
    /* Leading zeros are digits like any other. */
    assert_int_equal(gw_parse_tenant("007", &id), 0);
    assert_int_equal(id, 7);
}

static void test_parse_tenant_takes_up_to_ten_digits(void **state)
{
    (void)state;
    int64_t id = 0;
    assert_int_equal(gw_parse_tenant("9999999999", &id), 0);
    assert_int_equal(id, 9999999999LL);
    assert_int_equal(gw_parse_tenant("t9999999999", &id), 0);
    assert_int_equal(id, 9999999999LL);
    id = 42;
    assert_int_equal(gw_parse_tenant("12345678901", &id), -1);
    assert_int_equal(id, 42); /* untouched on refusal */
}

static void test_parse_tenant_refuses_what_is_not_a_positive_number(void **state)
{
    (void)state;
    static const char *const refused[] = {
        "",  "t", "T", "0", "t0", "0000000000", "-5", "+5", " 5", "5 ", "12a", "0x1F", "tt5", "1.5", "x5",
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        int64_t id = 42;
        if (gw_parse_tenant(refused[i], &id) != -1)
            fail_msg("\"%s\" was accepted", refused[i]);
        assert_int_equal(id, 42);
    }
    int64_t id = 42;
    assert_int_equal(gw_parse_tenant(NULL, &id), -1);
    assert_int_equal(id, 42);
}

/* ---- gw_authenticate: the tenant header ---- */

static void test_missing_tenant_header_is_401_naming_the_header(void **state)
{
    (void)state;
    expect_refusal_only("/any", NULL, "Bearer v5-key-1", 401, "UNAUTHORIZED", "The x-vol-tenant header is required.",
                        "x-vol-tenant");
}

static void test_malformed_tenant_header_is_401_naming_the_header(void **state)
{
    (void)state;
    expect_refusal_only("/any", "abc", "Bearer v5-key-1", 401, "UNAUTHORIZED", BAD_TENANT_MESSAGE, "x-vol-tenant");
    expect_refusal_only("/any", "0", "Bearer v5-key-1", 401, "UNAUTHORIZED", BAD_TENANT_MESSAGE, "x-vol-tenant");
}

/* ---- gw_authenticate: the key ---- */

static void test_right_key_returns_the_tenant(void **state)
{
    (void)state;
    expect_tenant("/v5", "1", "Bearer v5-key-1", 1);
    expect_tenant("/v5", "t1", "Bearer v5-key-1", 1);
    expect_tenant("/inv", "1", "Bearer inv-key-1", 1);
    expect_tenant("/inv", "4", "Bearer inv-key-4", 4);
}

static void test_any_package_takes_either_key(void **state)
{
    (void)state;
    expect_tenant("/any", "1", "Bearer v5-key-1", 1);
    expect_tenant("/any", "1", "Bearer inv-key-1", 1);
    expect_tenant("/any", "4", "Bearer inv-key-4", 4);
}

static void test_bearer_scheme_is_case_insensitive_and_extra_spaces_are_skipped(void **state)
{
    (void)state;
    expect_tenant("/v5", "1", "bearer v5-key-1", 1);
    expect_tenant("/v5", "1", "BEARER    v5-key-1", 1);
}

static void test_missing_or_empty_key_is_401_naming_authorization(void **state)
{
    (void)state;
    expect_refusal_only("/v5", "1", NULL, 401, "UNAUTHORIZED", NO_KEY_MESSAGE, "Authorization");
    /* Another scheme is not a Bearer token. */
    expect_refusal_only("/v5", "1", "Basic djUta2V5LTE=", 401, "UNAUTHORIZED", NO_KEY_MESSAGE, "Authorization");
    /* The key itself alone, without the scheme, is not accepted either. */
    expect_refusal_only("/v5", "1", "v5-key-1", 401, "UNAUTHORIZED", NO_KEY_MESSAGE, "Authorization");
    /* "Bearer" followed only by spaces carries no token. */
    expect_refusal_only("/v5", "1", "Bearer    ", 401, "UNAUTHORIZED", NO_KEY_MESSAGE, "Authorization");
    /* The "no key" answer also wins over an unknown tenant: nothing about the tenant is said. */
    expect_refusal_only("/any", "999", NULL, 401, "UNAUTHORIZED", NO_KEY_MESSAGE, "Authorization");
}

static void test_wrong_key_names_the_package_and_no_field(void **state)
{
    (void)state;
    expect_refusal_only("/v5", "1", "Bearer wrong", 401, "UNAUTHORIZED", BAD_V5_MESSAGE, NULL);
    expect_refusal_only("/inv", "1", "Bearer wrong", 401, "UNAUTHORIZED", BAD_INVENTORY_MESSAGE, NULL);
    expect_refusal_only("/any", "1", "Bearer wrong", 401, "UNAUTHORIZED", BAD_ANY_MESSAGE, NULL);
    /* Another tenant's key is a wrong key. */
    expect_refusal_only("/v5", "1", "Bearer v5-key-3", 401, "UNAUTHORIZED", BAD_V5_MESSAGE, NULL);
    /* A prefix of the right key is not the right key. */
    expect_refusal_only("/v5", "1", "Bearer v5-key-", 401, "UNAUTHORIZED", BAD_V5_MESSAGE, NULL);
}

static void test_unknown_tenant_gets_the_same_answer_as_a_wrong_key(void **state)
{
    (void)state;
    /* Even with a key that is valid for some other tenant, so tenants cannot be probed. */
    expect_refusal_only("/v5", "999", "Bearer v5-key-1", 401, "UNAUTHORIZED", BAD_V5_MESSAGE, NULL);
    expect_refusal_only("/inv", "999", "Bearer inv-key-1", 401, "UNAUTHORIZED", BAD_INVENTORY_MESSAGE, NULL);
    expect_refusal_only("/any", "t999", "Bearer v5-key-1", 401, "UNAUTHORIZED", BAD_ANY_MESSAGE, NULL);
}

static void test_other_packages_key_says_which_key_the_route_needs(void **state)
{
    (void)state;
    expect_refusal_only("/v5", "1", "Bearer inv-key-1", 401, "UNAUTHORIZED",
                        "This route belongs to the Inventory V5 package and needs the tenant's V5 API key; "
                        "the key sent is the tenant's Inventory Specific key.",
                        "Authorization");
    expect_refusal_only("/inv", "1", "Bearer v5-key-1", 401, "UNAUTHORIZED",
                        "This route belongs to the Inventory Specific package and needs the tenant's Inventory "
                        "Specific API key; the key sent is the tenant's V5 key.",
                        "Authorization");
}

static void test_tenant_without_the_packages_key_is_refused(void **state)
{
    (void)state;
    /* Tenant 4 has no V5 key at all; its Inventory Specific key still tells the caller which key
     * the route needs. */
    expect_refusal_only("/v5", "4", "Bearer inv-key-4", 401, "UNAUTHORIZED",
                        "This route belongs to the Inventory V5 package and needs the tenant's V5 API key; "
                        "the key sent is the tenant's Inventory Specific key.",
                        "Authorization");
    expect_refusal_only("/v5", "4", "Bearer anything", 401, "UNAUTHORIZED", BAD_V5_MESSAGE, NULL);
    expect_refusal_only("/inv", "3", "Bearer anything", 401, "UNAUTHORIZED", BAD_INVENTORY_MESSAGE, NULL);
}

/* ---- gw_authenticate: translated APIs and the rate limit ---- */

static void test_tenant_without_translated_apis_is_403_after_a_valid_key(void **state)
{
    (void)state;
    expect_refusal_only("/v5", "2", "Bearer v5-key-2", 403, "FORBIDDEN",
                        "Translated APIs are not enabled for this tenant.", NULL);
    /* A wrong key is still 401: the switch is only revealed to a caller with the right key. */
    expect_refusal_only("/v5", "2", "Bearer wrong", 401, "UNAUTHORIZED", BAD_V5_MESSAGE, NULL);
}

static void test_rate_limited_tenant_gets_429_with_retry_after(void **state)
{
    (void)state;
    /* Tenant 3 may send a burst of 2; the third request at once waits for one token at 1 a second.
     * The requests come within milliseconds of each other, far less than the second a token takes. */
    expect_tenant("/limited", "3", "Bearer v5-key-3", 3);
    expect_tenant("/limited", "3", "Bearer v5-key-3", 3);
    th_response response;
    expect_refusal("/limited", "3", "Bearer v5-key-3", 429, "TOO_MANY_REQUESTS",
                   "Too many requests for this tenant; retry after 1 seconds.", NULL, &response);
    char retry_after[16];
    assert_int_equal(th_header(&response, "Retry-After", retry_after, sizeof retry_after), 0);
    assert_string_equal(retry_after, "1");
    th_response_free(&response);
    /* A tenant without a rate limit shares nothing with tenant 3's bucket. */
    for (int i = 0; i < 5; i++)
        expect_tenant("/limited", "1", "Bearer v5-key-1", 1);
    /* The same tenant without a limiter is not limited. */
    expect_tenant("/any", "3", "Bearer v5-key-3", 3);
}

static void test_refused_requests_take_no_token(void **state)
{
    (void)state;
    /* Fresh limiter so the bucket of tenant 3 is full. Wrong keys are refused before the limiter,
     * so they do not use up the tenant's burst. */
    gw_rate_limiter_free(the_fixture.limiter);
    the_fixture.limiter = gw_rate_limiter_new(the_fixture.config);
    assert_non_null(the_fixture.limiter);
    for (int i = 0; i < 4; i++)
        expect_refusal_only("/limited", "3", "Bearer wrong", 401, "UNAUTHORIZED", BAD_ANY_MESSAGE, NULL);
    expect_tenant("/limited", "3", "Bearer v5-key-3", 3);
    expect_tenant("/limited", "3", "Bearer v5-key-3", 3);
}

/* ---- gw_rate_limit_take on its own clock ---- */

static void test_rate_limit_take_follows_burst_and_refill(void **state)
{
    (void)state;
    gw_rate_limiter *limiter = gw_rate_limiter_new(the_fixture.config);
    assert_non_null(limiter);
    /* The buckets start full at the monotonic time of creation; later times refill them. */
    int64_t start = cm_mono_ms();
    const cm_tenant *limited = cm_config_tenant(the_fixture.config, 3);
    assert_non_null(limited);
    assert_int_equal(gw_rate_limit_take(limiter, limited, start), 0);
    assert_int_equal(gw_rate_limit_take(limiter, limited, start), 0);
    assert_int_equal(gw_rate_limit_take(limiter, limited, start), 1);
    /* Half a token back still leaves less than one: wait the rest, rounded up to a whole second. */
    assert_int_equal(gw_rate_limit_take(limiter, limited, start + 500), 1);
    /* One second after the burst, exactly one token is back. */
    assert_int_equal(gw_rate_limit_take(limiter, limited, start + 1000), 0);
    assert_int_equal(gw_rate_limit_take(limiter, limited, start + 1000), 1);
    /* A long pause refills at most the burst. */
    assert_int_equal(gw_rate_limit_take(limiter, limited, start + 60000), 0);
    assert_int_equal(gw_rate_limit_take(limiter, limited, start + 60000), 0);
    assert_int_equal(gw_rate_limit_take(limiter, limited, start + 60000), 1);
    gw_rate_limiter_free(limiter);
}

static void test_rate_limit_take_never_limits_unlimited_or_unknown_tenants(void **state)
{
    (void)state;
    gw_rate_limiter *limiter = gw_rate_limiter_new(the_fixture.config);
    assert_non_null(limiter);
    int64_t now = cm_mono_ms();
    const cm_tenant *unlimited = cm_config_tenant(the_fixture.config, 1);
    assert_non_null(unlimited);
    for (int i = 0; i < 100; i++)
        assert_int_equal(gw_rate_limit_take(limiter, unlimited, now), 0);
    /* A tenant that is not in the limiter's configuration has no bucket. */
    cm_tenant stranger = {.id = 777};
    assert_int_equal(gw_rate_limit_take(limiter, &stranger, now), 0);
    gw_rate_limiter_free(limiter);
}

static void test_rate_limiter_of_a_config_without_tenants(void **state)
{
    (void)state;
    static const char empty[] = "{\"oci\":{\"organizations\":[{\"id\":\"org1\"}]},\"tenants\":[]}";
    cm_config *config = NULL;
    char error[CM_CONFIG_ERROR_MAX];
    assert_int_equal(cm_config_parse(empty, strlen(empty), "test", ".", NULL, 0, &config, error), CM_OK);
    assert_int_equal(config->tenant_count, 0);
    gw_rate_limiter *limiter = gw_rate_limiter_new(config);
    assert_non_null(limiter);
    cm_tenant stranger = {.id = 1};
    assert_int_equal(gw_rate_limit_take(limiter, &stranger, cm_mono_ms()), 0);
    gw_rate_limiter_free(limiter);
    gw_rate_limiter_free(NULL); /* allowed, like free() */
    cm_config_free(config);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_tenant_accepts_plain_and_prefixed_numbers),
        cmocka_unit_test(test_parse_tenant_takes_up_to_ten_digits),
        cmocka_unit_test(test_parse_tenant_refuses_what_is_not_a_positive_number),
        cmocka_unit_test(test_missing_tenant_header_is_401_naming_the_header),
        cmocka_unit_test(test_malformed_tenant_header_is_401_naming_the_header),
        cmocka_unit_test(test_right_key_returns_the_tenant),
        cmocka_unit_test(test_any_package_takes_either_key),
        cmocka_unit_test(test_bearer_scheme_is_case_insensitive_and_extra_spaces_are_skipped),
        cmocka_unit_test(test_missing_or_empty_key_is_401_naming_authorization),
        cmocka_unit_test(test_wrong_key_names_the_package_and_no_field),
        cmocka_unit_test(test_unknown_tenant_gets_the_same_answer_as_a_wrong_key),
        cmocka_unit_test(test_other_packages_key_says_which_key_the_route_needs),
        cmocka_unit_test(test_tenant_without_the_packages_key_is_refused),
        cmocka_unit_test(test_tenant_without_translated_apis_is_403_after_a_valid_key),
        cmocka_unit_test(test_rate_limited_tenant_gets_429_with_retry_after),
        cmocka_unit_test(test_refused_requests_take_no_token),
        cmocka_unit_test(test_rate_limit_take_follows_burst_and_refill),
        cmocka_unit_test(test_rate_limit_take_never_limits_unlimited_or_unknown_tenants),
        cmocka_unit_test(test_rate_limiter_of_a_config_without_tenants),
    };
    return cmocka_run_group_tests(tests, start_server, stop_server);
}
