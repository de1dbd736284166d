/*
 * test_gateway_http.c - the legacy API against the real `omsgw serve`, over HTTP: every family,
 * every documented refusal (with nothing stored), the quirks real clients send, job listing,
 * tenant isolation, the rate limit.
 */
#include "e2e_legacy.h"

#include <signal.h>

static th_omsgw server;

static int start_server(void **state)
{
    (void)state;
    th_omsgw_start(&server, NULL);
    return 0;
}

static int stop_server(void **state)
{
    (void)state;
    th_omsgw_cleanup(&server);
    return 0;
}

static const char *string_field(json_object *object, const char *key)
{
    json_object *value = json_object_object_get(object, key);
    return value && json_object_is_type(value, json_type_string) ? json_object_get_string(value) : NULL;
}

static void check_finished_job(json_object *job, int64_t job_id, int64_t items)
{
    assert_int_equal(json_object_get_int64(json_object_object_get(job, "jobID")), job_id);
    assert_int_equal(json_object_get_int64(json_object_object_get(job, "tenantID")), 12345);
    assert_true(json_object_is_type(json_object_object_get(job, "locationID"), json_type_int));
    assert_true(json_object_get_int64(json_object_object_get(job, "locationID")) > 0);
    assert_string_equal(string_field(job, "locationCode"), "warehouse-1");
    assert_string_equal(string_field(job, "type"), "REFRESH");
    assert_non_null(string_field(job, "added"));
    assert_non_null(string_field(job, "started"));
    assert_non_null(string_field(job, "finished"));
    json_object *filename = NULL;
    assert_true(json_object_object_get_ex(job, "originalFilename", &filename));
    assert_null(filename);
    assert_true(json_object_get_boolean(json_object_object_get(job, "hasData")));
    assert_int_equal(json_object_get_int64(json_object_object_get(job, "itemCount")), items);
    assert_string_equal(string_field(job, "status"), "SUCCESS");
    assert_true(json_object_get_boolean(json_object_object_get(job, "success")));
    assert_true(json_object_is_type(json_object_object_get(job, "messages"), json_type_array));
    assert_int_equal(json_object_get_int64(json_object_object_get(job, "numResults")), items);
    json_object *progress = json_object_object_get(job, "progress");
    int64_t chunks = (items + 2999) / 3000;
    assert_int_equal(json_object_get_int64(json_object_object_get(progress, "chunksTotal")), chunks);
    assert_int_equal(json_object_get_int64(json_object_object_get(progress, "chunksDone")), chunks);
    assert_int_equal(json_object_get_int64(json_object_object_get(progress, "itemsApplied")), items);
    assert_int_equal(json_object_get_int64(json_object_object_get(progress, "itemsFailed")), 0);
}

static void refresh_family(const char *refresh_path, const char *job_prefix, const char *key)
{
    char *body = e2e_refresh_body("Location 1", 12000, "FAM", 1);
    int64_t job_id = e2e_refresh(server.gateway_port, refresh_path, key, body);
    free(body);
    json_object *job = e2e_wait_job(server.gateway_port, job_prefix, key, job_id, 60000);
    check_finished_job(job, job_id, 12000);
    json_object_put(job);
}

static void test_refresh_v5(void **state)
{
    (void)state;
    refresh_family("/api/v5/inventory/refresh", "/api/v1/queue/", DEMO_V5_KEY);
}

static void test_refresh_inventory_specific(void **state)
{
    (void)state;
    /* Kibo writes these with a trailing slash. */
    refresh_family("/inv/api/v5/inventory/refresh/", "/inv/api/v1/queue/", DEMO_INV_KEY);
}

static void test_refresh_modern(void **state)
{
    (void)state;
    refresh_family("/api/commerce/inventory/v5/inventory/refresh", "/api/commerce/inventory/v1/queue/", DEMO_INV_KEY);
    refresh_family("/api/commerce/inventory/v5/inventory/refresh/", "/api/commerce/inventory/v1/queue/", DEMO_V5_KEY);
}

/* The number of jobs tenant 12345 can see. */
static size_t job_count(void)
{
    th_response response;
    assert_int_equal(e2e_call(server.gateway_port, "GET", "/api/v1/queue/?limit=1000", DEMO_TENANT, DEMO_V5_KEY,
                              NULL, &response),
                     0);
    assert_int_equal(response.status, 200);
    json_object *list = th_json(&response);
    size_t count = json_object_array_length(list);
    json_object_put(list);
    th_response_free(&response);
    return count;
}

/* Checks the legacy error body and the correlation header. */
static void check_error(th_response *response, long status, const char *code, const char *field)
{
    if (response->status != status)
        fail_msg("expected %ld, got %ld: %s", status, response->status, response->body);
    json_object *body = th_json(response);
    if (!body)
        fail_msg("error body is not JSON: %s", response->body);
    assert_string_equal(string_field(body, "errorCode"), code);
    assert_non_null(string_field(body, "message"));
    assert_non_null(string_field(body, "error"));
    assert_string_equal(string_field(body, "applicationName"), "omsgw");
    char header[128];
    assert_int_equal(th_header(response, "x-vol-correlation", header, sizeof header), 0);
    assert_string_equal(string_field(body, "correlationId"), header);
    assert_true(json_object_is_type(json_object_object_get(body, "items"), json_type_array));
    assert_true(json_object_is_type(json_object_object_get(body, "additionalErrorData"), json_type_array));
    if (field) {
        json_object *items = json_object_object_get(body, "items");
        int found = 0;
        for (size_t i = 0; i < json_object_array_length(items); i++) {
            json_object *details = json_object_object_get(json_object_array_get_idx(items, i), "additionalErrorData");
            for (size_t d = 0; d < json_object_array_length(details); d++) {
                const char *value = string_field(json_object_array_get_idx(details, d), "value");
                if (value && strcmp(value, field) == 0)
                    found = 1;
            }
        }
        if (!found)
            fail_msg("no item names field %s: %s", field, response->body);
    }
    json_object_put(body);
}

static void expect_refresh_refused(const char *body, const char *key, long status, const char *code, const char *field)
{
    size_t before = job_count();
    th_response response;
    assert_int_equal(e2e_call(server.gateway_port, "POST", "/api/v5/inventory/refresh", DEMO_TENANT, key, body,
                              &response),
                     0);
    check_error(&response, status, code, field);
    th_response_free(&response);
    assert_int_equal(job_count(), before); /* nothing stored */
}

static void test_validation_refusals(void **state)
{
    (void)state;
    char *too_many = e2e_refresh_body("Location 1", 12001, "X", 0);
    expect_refresh_refused(too_many, DEMO_V5_KEY, 400, "INVALID_REQUEST_DATA", "items");
    free(too_many);
    expect_refresh_refused("{\"locationName\":\"Location 1\",\"items\":[]}", DEMO_V5_KEY, 400, "MISSING_REQUEST_DATA",
                           "items");
    expect_refresh_refused("{\"locationName\":\"Location 1\",\"items\":[{\"quantity\":1}]}", DEMO_V5_KEY, 400,
                           "MISSING_REQUEST_DATA", "items[0].sku");
    expect_refresh_refused("{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"AB\",\"quantity\":1},"
                           "{\"sku\":\"AC\",\"quantity\":-4}]}",
                           DEMO_V5_KEY, 400, "INVALID_REQUEST_DATA", "items[1].quantity");
    expect_refresh_refused("{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"AB\",\"quantity\":2.5}]}",
                           DEMO_V5_KEY, 400, "INVALID_REQUEST_DATA", "items[0].quantity");
    expect_refresh_refused("{\"locationName\":\"Mars Base\",\"items\":[{\"sku\":\"AB\",\"quantity\":1}]}", DEMO_V5_KEY,
                           400, "INVALID_REQUEST_DATA", "locationName");
    expect_refresh_refused("{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"AB\",\"quantity\":1}", DEMO_V5_KEY,
                           400, "INVALID_REQUEST_DATA", "(body)");
}

static void test_not_json_names_the_position(void **state)
{
    (void)state;
    th_response response;
    assert_int_equal(e2e_call(server.gateway_port, "POST", "/api/v5/inventory/refresh", DEMO_TENANT, DEMO_V5_KEY,
                              "{\"locationName\": nope}", &response),
                     0);
    check_error(&response, 400, "INVALID_REQUEST_DATA", "(body)");
    assert_non_null(strstr(response.body, "at byte 18 (line 1, column 19)"));
    th_response_free(&response);
}

static void test_content_type_and_auth_refusals(void **state)
{
    (void)state;
    const char *body = "{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"AB\",\"quantity\":1}]}";
    size_t before = job_count();
    char url[256];
    th_url(url, sizeof url, server.gateway_port, "/api/v5/inventory/refresh");
    th_response response;
    const char *text_plain[] = {"x-vol-tenant: 12345", "Authorization: Bearer " DEMO_V5_KEY, "Content-Type: text/plain",
                                NULL};
    assert_int_equal(th_http("POST", url, text_plain, body, strlen(body), &response), 0);
    check_error(&response, 415, "UNSUPPORTED_MEDIA_TYPE", "Content-Type");
    th_response_free(&response);

    /* Missing and wrong keys, and the other package's key on a package route. */
    assert_int_equal(e2e_call(server.gateway_port, "POST", "/api/v5/inventory/refresh", DEMO_TENANT, NULL, body,
                              &response), 0);
    check_error(&response, 401, "UNAUTHORIZED", "Authorization");
    th_response_free(&response);
    assert_int_equal(e2e_call(server.gateway_port, "POST", "/api/v5/inventory/refresh", DEMO_TENANT, "wrong", body,
                              &response), 0);
    check_error(&response, 401, "UNAUTHORIZED", NULL);
    th_response_free(&response);
    assert_int_equal(e2e_call(server.gateway_port, "POST", "/inv/api/v5/inventory/refresh", DEMO_TENANT, DEMO_V5_KEY,
                              body, &response), 0);
    check_error(&response, 401, "UNAUTHORIZED", "Authorization");
    /* The other package's key is named as such, not answered like a mistyped key. */
    assert_non_null(strstr(response.body, "belongs to the Inventory Specific package"));
    assert_non_null(strstr(response.body, "the key sent is the tenant's V5 key"));
    th_response_free(&response);
    assert_int_equal(e2e_call(server.gateway_port, "POST", "/api/v5/inventory/refresh", DEMO_TENANT, DEMO_INV_KEY,
                              body, &response), 0);
    check_error(&response, 401, "UNAUTHORIZED", "Authorization");
    assert_non_null(strstr(response.body, "belongs to the Inventory V5 package"));
    th_response_free(&response);
    /* An unknown location says how names are matched and where they are configured. */
    const char *wrong_case = "{\"locationName\":\"location 1\",\"items\":[{\"sku\":\"AB\",\"quantity\":1}]}";
    assert_int_equal(e2e_call(server.gateway_port, "POST", "/api/v5/inventory/refresh", DEMO_TENANT, DEMO_V5_KEY,
                              wrong_case, &response), 0);
    check_error(&response, 400, "INVALID_REQUEST_DATA", "locationName");
    assert_non_null(strstr(response.body, "matched exactly, case included (did you mean \\\"Location 1\\\"?)"));
    th_response_free(&response);
    const char *unknown_name = "{\"locationName\":\"Nowhere\",\"items\":[{\"sku\":\"AB\",\"quantity\":1}]}";
    assert_int_equal(e2e_call(server.gateway_port, "POST", "/api/v5/inventory/refresh", DEMO_TENANT, DEMO_V5_KEY,
                              unknown_name, &response), 0);
    assert_int_equal(response.status, 400);
    assert_non_null(strstr(response.body, "tenants[].locations"));
    th_response_free(&response);
    /* Missing, malformed and unknown tenants. */
    assert_int_equal(e2e_call(server.gateway_port, "POST", "/api/v5/inventory/refresh", NULL, DEMO_V5_KEY, body,
                              &response), 0);
    check_error(&response, 401, "UNAUTHORIZED", "x-vol-tenant");
    th_response_free(&response);
    assert_int_equal(e2e_call(server.gateway_port, "POST", "/api/v5/inventory/refresh", "12a45", DEMO_V5_KEY, body,
                              &response), 0);
    check_error(&response, 401, "UNAUTHORIZED", "x-vol-tenant");
    th_response_free(&response);
    assert_int_equal(e2e_call(server.gateway_port, "POST", "/api/v5/inventory/refresh", "99999", DEMO_V5_KEY, body,
                              &response), 0);
    check_error(&response, 401, "UNAUTHORIZED", NULL);
    th_response_free(&response);
    /* A tenant whose translated APIs are off: 403 on every route. */
    assert_int_equal(e2e_call(server.gateway_port, "POST", "/api/v5/inventory/refresh", "34567", "disabled-v5-key",
                              body, &response), 0);
    check_error(&response, 403, "FORBIDDEN", NULL);
    th_response_free(&response);
    assert_int_equal(e2e_call(server.gateway_port, "GET", "/api/v1/queue/1", "34567", "disabled-v5-key", NULL,
                              &response), 0);
    check_error(&response, 403, "FORBIDDEN", NULL);
    th_response_free(&response);
    assert_int_equal(job_count(), before);
}

static void test_body_limit(void **state)
{
    (void)state;
    size_t size = 16 * 1024 * 1024 + 1;
    char *big = malloc(size + 1);
    memset(big, ' ', size);
    big[0] = '{';
    big[size - 1] = '}';
    big[size] = '\0';
    expect_refresh_refused(big, DEMO_V5_KEY, 413, "PAYLOAD_TOO_LARGE", NULL);
    free(big);
}

static void test_other_tenants_job_is_not_found(void **state)
{
    (void)state;
    int64_t job_id = e2e_refresh(server.gateway_port, "/api/v5/inventory/refresh", DEMO_V5_KEY,
                                 "{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"ISO-1\",\"quantity\":3}]}");
    char path[128];
    snprintf(path, sizeof path, "/api/v1/queue/%" PRId64, job_id);
    th_response response;
    assert_int_equal(e2e_call(server.gateway_port, "GET", path, "23456", "second-v5-key", NULL, &response), 0);
    check_error(&response, 404, "ITEM_NOT_FOUND", "jobID");
    assert_non_null(strstr(response.body, "Job Not Found"));
    th_response_free(&response);
    assert_int_equal(e2e_call(server.gateway_port, "GET", "/api/v1/queue/?limit=1000", "23456", "second-v5-key", NULL,
                              &response), 0);
    json_object *list = th_json(&response);
    for (size_t i = 0; i < json_object_array_length(list); i++)
        assert_int_equal(json_object_get_int64(json_object_object_get(json_object_array_get_idx(list, i), "tenantID")),
                         23456);
    json_object_put(list);
    th_response_free(&response);
    assert_int_equal(e2e_call(server.gateway_port, "GET", "/api/v1/queue/abc", DEMO_TENANT, DEMO_V5_KEY, NULL,
                              &response), 0);
    check_error(&response, 400, "INVALID_REQUEST_DATA", "jobID");
    th_response_free(&response);
}

static void test_real_client_quirks(void **state)
{
    (void)state;
    const char *body = "{\"locationName\":\"Location 1\",\"items\":[{\"partNumber\":\"101010\",\"sku\":\"101010\","
                       "\"quantity\":\"101\"}]}";
    char url[256];
    th_url(url, sizeof url, server.gateway_port, "/api/commerce/inventory/v5/inventory/refresh?responseFields=");
    const char *headers[] = {"x-vol-tenant: t12345", "x-vol-site: 100", "x-vol-dataview-mode: LIVE",
                             "x-vol-version: 1", "Authorization: Bearer " DEMO_INV_KEY,
                             "Content-Type: application/json; charset=utf-8", "Accept-Encoding: br;q=1.0, gzip;q=0.8",
                             "Connection: close", "x-vol-correlation: my-trace-42", NULL};
    th_response response;
    assert_int_equal(th_http("POST", url, headers, body, strlen(body), &response), 0);
    assert_int_equal(response.status, 200);
    char correlation[64];
    assert_int_equal(th_header(&response, "x-vol-correlation", correlation, sizeof correlation), 0);
    assert_string_equal(correlation, "my-trace-42");
    json_object *reply = th_json(&response);
    int64_t job_id = json_object_get_int64(json_object_object_get(reply, "jobID"));
    json_object_put(reply);
    th_response_free(&response);
    /* The job call as mozu-node-sdk sends it: empty parameters kept, a content type on GET. */
    char path[256];
    snprintf(path, sizeof path,
             "/api/commerce/inventory/v1/queue/%" PRId64 "?locationCode=&limit=&types=&originalFilename=&responseFields=",
             job_id);
    th_url(url, sizeof url, server.gateway_port, path);
    assert_int_equal(th_http("GET", url, headers, NULL, 0, &response), 0);
    assert_int_equal(response.status, 200);
    th_response_free(&response);
    json_object *job = e2e_wait_job(server.gateway_port, "/api/commerce/inventory/v1/queue/", DEMO_INV_KEY, job_id, 30000);
    assert_string_equal(string_field(job, "status"), "SUCCESS");
    json_object_put(job);
}

static void test_job_list_filters(void **state)
{
    (void)state;
    int64_t first = e2e_refresh(server.gateway_port, "/api/v5/inventory/refresh", DEMO_V5_KEY,
                                "{\"locationName\":\"Location 2\",\"items\":[{\"sku\":\"LST-1\",\"quantity\":1}]}");
    usleep(20000); /* the two acceptance times differ, so from/to can tell the jobs apart */
    int64_t second = e2e_refresh(server.gateway_port, "/api/v5/inventory/refresh", DEMO_V5_KEY,
                                 "{\"locationName\":\"Downtown Store\",\"items\":[{\"sku\":\"LST-2\",\"quantity\":1}]}");
    char path[256];
    snprintf(path, sizeof path, "/inv/api/v1/queue/?jobID=%" PRId64 ",%" PRId64 "&fulfillerID=", first, second);
    th_response response;
    assert_int_equal(e2e_call(server.gateway_port, "GET", path, DEMO_TENANT, DEMO_INV_KEY, NULL, &response), 0);
    assert_int_equal(response.status, 200);
    json_object *list = th_json(&response);
    assert_int_equal(json_object_array_length(list), 2);
    /* Newest first. */
    assert_int_equal(json_object_get_int64(json_object_object_get(json_object_array_get_idx(list, 0), "jobID")), second);
    int64_t downtown = json_object_get_int64(json_object_object_get(json_object_array_get_idx(list, 0), "locationID"));
    json_object_put(list);
    th_response_free(&response);

    snprintf(path, sizeof path, "/api/v1/queue?locationID=%" PRId64, downtown);
    assert_int_equal(e2e_call(server.gateway_port, "GET", path, DEMO_TENANT, DEMO_V5_KEY, NULL, &response), 0);
    list = th_json(&response);
    assert_true(json_object_array_length(list) >= 1);
    for (size_t i = 0; i < json_object_array_length(list); i++)
        assert_string_equal(string_field(json_object_array_get_idx(list, i), "locationCode"), "store-downtown");
    json_object_put(list);
    th_response_free(&response);

    assert_int_equal(e2e_call(server.gateway_port, "GET",
                              "/api/commerce/inventory/v1/queue?locationCode=warehouse-2&limit=1&types=REFRESH",
                              DEMO_TENANT, DEMO_V5_KEY, NULL, &response), 0);
    list = th_json(&response);
    assert_int_equal(json_object_array_length(list), 1);
    assert_int_equal(json_object_get_int64(json_object_object_get(json_object_array_get_idx(list, 0), "jobID")), first);
    json_object_put(list);
    th_response_free(&response);

    assert_int_equal(e2e_call(server.gateway_port, "GET", "/api/commerce/inventory/v1/queue?types=ADJUST", DEMO_TENANT,
                              DEMO_V5_KEY, NULL, &response), 0);
    assert_string_equal(response.body, "[]");
    th_response_free(&response);

    assert_int_equal(e2e_call(server.gateway_port, "GET", "/api/v1/queue?locationID=x", DEMO_TENANT, DEMO_V5_KEY, NULL,
                              &response), 0);
    check_error(&response, 400, "INVALID_REQUEST_DATA", "locationID");
    th_response_free(&response);
    assert_int_equal(e2e_call(server.gateway_port, "GET", "/api/v1/queue?limit=0", DEMO_TENANT, DEMO_V5_KEY, NULL,
                              &response), 0);
    check_error(&response, 400, "INVALID_REQUEST_DATA", "limit");
    th_response_free(&response);

    /* The extensions status, from and to, on every family. */
    json_object *done = e2e_wait_job(server.gateway_port, "/api/v1/queue/", DEMO_V5_KEY, second, 30000);
    char added[64];
    snprintf(added, sizeof added, "%s", string_field(done, "added"));
    json_object_put(done);
    done = e2e_wait_job(server.gateway_port, "/api/v1/queue/", DEMO_V5_KEY, first, 30000);
    json_object_put(done);
    const char *const prefixes[][2] = {{"/api/v1/queue", DEMO_V5_KEY},
                                       {"/inv/api/v1/queue/", DEMO_INV_KEY},
                                       {"/api/commerce/inventory/v1/queue", DEMO_V5_KEY}};
    for (size_t p = 0; p < 3; p++) {
        snprintf(path, sizeof path, "%s?status=SUCCESS&from=%s&jobID=%" PRId64 ",%" PRId64, prefixes[p][0], added,
                 first, second);
        assert_int_equal(e2e_call(server.gateway_port, "GET", path, DEMO_TENANT, prefixes[p][1], NULL, &response), 0);
        list = th_json(&response);
        assert_non_null(list);
        assert_int_equal(json_object_array_length(list), 1); /* `first` was accepted before `added` */
        assert_int_equal(json_object_get_int64(json_object_object_get(json_object_array_get_idx(list, 0), "jobID")),
                         second);
        json_object_put(list);
        th_response_free(&response);
        snprintf(path, sizeof path, "%s?status=FAILED&status=PENDING,WORKING&jobID=%" PRId64 ",%" PRId64,
                 prefixes[p][0], first, second);
        assert_int_equal(e2e_call(server.gateway_port, "GET", path, DEMO_TENANT, prefixes[p][1], NULL, &response), 0);
        assert_string_equal(response.body, "[]");
        th_response_free(&response);
        snprintf(path, sizeof path, "%s?to=%s&jobID=%" PRId64 ",%" PRId64, prefixes[p][0], added, first, second);
        assert_int_equal(e2e_call(server.gateway_port, "GET", path, DEMO_TENANT, prefixes[p][1], NULL, &response), 0);
        list = th_json(&response);
        assert_int_equal(json_object_array_length(list), 1);
        assert_int_equal(json_object_get_int64(json_object_object_get(json_object_array_get_idx(list, 0), "jobID")),
                         first);
        json_object_put(list);
        th_response_free(&response);
    }
    assert_int_equal(e2e_call(server.gateway_port, "GET", "/api/v1/queue?status=DONE", DEMO_TENANT, DEMO_V5_KEY, NULL,
                              &response), 0);
    check_error(&response, 400, "INVALID_REQUEST_DATA", "status");
    th_response_free(&response);
    assert_int_equal(e2e_call(server.gateway_port, "GET", "/api/v1/queue?from=yesterday", DEMO_TENANT, DEMO_V5_KEY,
                              NULL, &response), 0);
    check_error(&response, 400, "INVALID_REQUEST_DATA", "from");
    th_response_free(&response);
    assert_int_equal(e2e_call(server.gateway_port, "GET", "/api/v1/queue?to=2026-13-01T00:00:00Z", DEMO_TENANT,
                              DEMO_V5_KEY, NULL, &response), 0);
    check_error(&response, 400, "INVALID_REQUEST_DATA", "to");
    th_response_free(&response);
}

static void test_duplicate_skus_message(void **state)
{
    (void)state;
    int64_t job_id = e2e_refresh(server.gateway_port, "/api/v5/inventory/refresh", DEMO_V5_KEY,
                                 "{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"DUP-1\",\"quantity\":1},"
                                 "{\"sku\":\"DUP-1\",\"quantity\":9}]}");
    json_object *job = e2e_wait_job(server.gateway_port, "/api/v1/queue/", DEMO_V5_KEY, job_id, 30000);
    json_object *messages = json_object_object_get(job, "messages");
    assert_int_equal(json_object_array_length(messages), 1);
    assert_non_null(strstr(json_object_get_string(json_object_array_get_idx(messages, 0)), "DUP-1 appears 2 times"));
    json_object_put(job);
}

static void test_rate_limit(void **state)
{
    (void)state;
    th_omsgw limited;
    th_omsgw_prepare(&limited, NULL);
    const char *args[] = {"--set", "tenants[0].rateLimit={\"requestsPerSecond\":0.5,\"burst\":2}", NULL};
    if (th_omsgw_launch(&limited, args) != 0)
        fail_msg("the rate-limited server did not start");
    th_response response;
    for (int i = 0; i < 2; i++) {
        assert_int_equal(e2e_call(limited.gateway_port, "GET", "/api/v1/queue/", DEMO_TENANT, DEMO_V5_KEY, NULL,
                                  &response), 0);
        assert_int_equal(response.status, 200);
        th_response_free(&response);
    }
    assert_int_equal(e2e_call(limited.gateway_port, "GET", "/api/v1/queue/", DEMO_TENANT, DEMO_V5_KEY, NULL,
                              &response), 0);
    check_error(&response, 429, "TOO_MANY_REQUESTS", NULL);
    char retry_after[16];
    assert_int_equal(th_header(&response, "Retry-After", retry_after, sizeof retry_after), 0);
    assert_true(atoi(retry_after) >= 1 && atoi(retry_after) <= 2);
    th_response_free(&response);
    /* Another tenant is not limited by the first one's bucket. */
    assert_int_equal(e2e_call(limited.gateway_port, "GET", "/api/v1/queue/", "23456", "second-v5-key", NULL,
                              &response), 0);
    assert_int_equal(response.status, 200);
    th_response_free(&response);
    th_omsgw_cleanup(&limited);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refresh_v5),
        cmocka_unit_test(test_refresh_inventory_specific),
        cmocka_unit_test(test_refresh_modern),
        cmocka_unit_test(test_validation_refusals),
        cmocka_unit_test(test_not_json_names_the_position),
        cmocka_unit_test(test_content_type_and_auth_refusals),
        cmocka_unit_test(test_body_limit),
        cmocka_unit_test(test_other_tenants_job_is_not_found),
        cmocka_unit_test(test_real_client_quirks),
        cmocka_unit_test(test_job_list_filters),
        cmocka_unit_test(test_duplicate_skus_message),
        cmocka_unit_test(test_rate_limit),
    };
    return cmocka_run_group_tests(tests, start_server, stop_server);
}
