/*
 * test_adjust_inquiry.c - adjust, sync-adjust, smart-adjust, smart-refresh, inquiry and aggregate
 * against the real `omsgw serve`, over HTTP, on every family (V5, Inventory Specific, modern), with
 * the bundled core and with delivery over HTTP; reservations and fulfilments through the core's
 * native routes between adjusts; the refusals (over-limit, malformed, unauthorised) shaped like
 * refresh's.
 */
#include "e2e_legacy.h"

#include "common/json_util.h"

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

typedef struct family {
    const char *base;       /* the inventory routes' prefix */
    const char *job_prefix; /* the queue route */
    const char *key;
} family;

static const family V5 = {"/api/v5/inventory", "/api/v1/queue/", DEMO_V5_KEY};
static const family INV = {"/inv/api/v5/inventory", "/inv/api/v1/queue/", DEMO_INV_KEY};
static const family MODERN = {"/api/commerce/inventory/v5/inventory", "/api/commerce/inventory/v1/queue/",
                              DEMO_V5_KEY};

/* POSTs to base + suffix; returns the reply (caller puts) and *status. */
static json_object *post(int port, const family *fam, const char *suffix, const char *body, long *status)
{
    char path[256];
    snprintf(path, sizeof path, "%s%s", fam->base, suffix);
    th_response response;
    assert_int_equal(e2e_call(port, "POST", path, DEMO_TENANT, fam->key, body, &response), 0);
    *status = response.status;
    json_object *reply = th_json(&response);
    th_response_free(&response);
    return reply;
}

static int64_t post_job(int port, const family *fam, const char *suffix, const char *body)
{
    long status;
    json_object *reply = post(port, fam, suffix, body, &status);
    if (status != 200)
        fail_msg("%s%s answered %ld: %s", fam->base, suffix, status, json_object_to_json_string(reply));
    int64_t id = json_object_get_int64(json_object_object_get(reply, "jobID"));
    assert_true(id > 0);
    json_object_put(reply);
    return id;
}

static void expect_success(int port, const family *fam, int64_t job_id, const char *type)
{
    json_object *job = e2e_wait_job(port, fam->job_prefix, fam->key, job_id, 60000);
    assert_string_equal(json_object_get_string(json_object_object_get(job, "status")), "SUCCESS");
    assert_string_equal(json_object_get_string(json_object_object_get(job, "type")), type);
    json_object_put(job);
}

/* The row of `sku` at `code` in an inquiry answer, or NULL. */
static json_object *row_of(json_object *rows, const char *code, const char *sku)
{
    for (size_t i = 0; i < json_object_array_length(rows); i++) {
        json_object *row = json_object_array_get_idx(rows, i);
        json_object *row_code = json_object_object_get(row, "locationCode");
        if ((!code || (row_code && strcmp(json_object_get_string(row_code), code) == 0)) &&
            strcmp(json_object_get_string(json_object_object_get(row, "sku")), sku) == 0)
            return row;
    }
    return NULL;
}

static int64_t field(json_object *row, const char *key)
{
    if (!row)
        fail_msg("no row");
    return json_object_get_int64(json_object_object_get(row, key));
}

/* Refresh, adjust, inquiry and aggregate of the same SKUs on one family. */
static void same_skus(int port, const family *fam, const char *prefix)
{
    char body[2048];
    snprintf(body, sizeof body,
             "{\"locationName\":\"Location 1\",\"items\":["
             "{\"sku\":\"%s-0\",\"partNumber\":\"P0\",\"quantity\":10,\"ltd\":1.5,\"floor\":2,\"retailPrice\":4.5,"
             "\"inventoryLocatorName\":\"A-1\",\"attributes\":[\"blue\"]},"
             "{\"sku\":\"%s-1\",\"quantity\":20,\"safetyStock\":3}]}",
             prefix, prefix);
    int64_t refresh = post_job(port, fam, "/refresh", body);
    snprintf(body, sizeof body,
             "{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"%s-0\",\"quantity\":-3},"
             "{\"sku\":\"%s-1\",\"quantity\":\"5\",\"binID\":2},{\"sku\":\"%s-2\",\"quantity\":7},"
             "{\"sku\":\"%s-0\",\"quantity\":-1}]}",
             prefix, prefix, prefix, prefix);
    int64_t adjust = post_job(port, fam, "/adjust", body);
    assert_true(adjust > refresh);
    expect_success(port, fam, refresh, "REFRESH");
    expect_success(port, fam, adjust, "ADJUST");
    /* A second location, for the aggregate. */
    snprintf(body, sizeof body, "{\"locationName\":\"Location 2\",\"items\":[{\"sku\":\"%s-0\",\"quantity\":4}]}",
             prefix);
    expect_success(port, fam, post_job(port, fam, "/refresh", body), "REFRESH");

    snprintf(body, sizeof body,
             "{\"fulfillerID\":1,\"manufacturerID\":100,\"type\":\"ANY\",\"locationCode\":\"warehouse-1\","
             "\"items\":[{\"sku\":\"%s-0\",\"quantity\":1},{\"sku\":\"%s-1\",\"quantity\":1},"
             "{\"sku\":\"%s-2\",\"quantity\":1}]}",
             prefix, prefix, prefix);
    long status;
    json_object *rows = post(port, fam, "", body, &status);
    assert_int_equal(status, 200);
    assert_int_equal(json_object_array_length(rows), 3);
    char sku[64];
    snprintf(sku, sizeof sku, "%s-0", prefix);
    json_object *row = row_of(rows, "warehouse-1", sku);
    /* 10 − 3 − 1; floor mode max: safety stock max(0, 2) = 2 withheld from available. */
    assert_int_equal(field(row, "onHand"), 6);
    assert_int_equal(field(row, "available"), 4);
    assert_int_equal(field(row, "allocated"), 0);
    assert_int_equal(field(row, "pending"), 0);
    assert_int_equal(field(row, "tenantID"), 12345);
    assert_int_equal(field(row, "floor"), 2);
    assert_string_equal(json_object_get_string(json_object_object_get(row, "locationName")), "Location 1");
    assert_string_equal(json_object_get_string(json_object_object_get(row, "inventoryLocatorName")), "A-1");
    assert_true(json_object_get_double(json_object_object_get(row, "ltd")) == 1.5);
    snprintf(sku, sizeof sku, "%s-1", prefix);
    row = row_of(rows, "warehouse-1", sku);
    assert_int_equal(field(row, "onHand"), 25);
    assert_int_equal(field(row, "available"), 22);
    assert_int_equal(field(row, "safetyStock"), 3);
    snprintf(sku, sizeof sku, "%s-2", prefix);
    assert_int_equal(field(row_of(rows, "warehouse-1", sku), "onHand"), 7); /* unknown SKU started from 0 */
    json_object_put(rows);

    /* ignoreSafetyStock: available = on-hand − reserved. */
    snprintf(body, sizeof body,
             "{\"type\":\"ALL\",\"ignoreSafetyStock\":true,\"locationWhitelist\":[\"Location 1\"],"
             "\"items\":[{\"sku\":\"%s-0\",\"quantity\":6}]}",
             prefix);
    rows = post(port, fam, "", body, &status);
    assert_int_equal(status, 200);
    snprintf(sku, sizeof sku, "%s-0", prefix);
    assert_int_equal(field(row_of(rows, "warehouse-1", sku), "available"), 6);
    json_object_put(rows);

    snprintf(body, sizeof body, "{\"manufacturerID\":100,\"items\":[{\"sku\":\"%s-0\"},{\"sku\":\"%s-1\"}]}", prefix,
             prefix);
    rows = post(port, fam, "/aggregate", body, &status);
    assert_int_equal(status, 200);
    assert_int_equal(json_object_array_length(rows), 2);
    row = json_object_array_get_idx(rows, 0);
    assert_int_equal(field(row, "onHand"), 6 + 4);
    assert_int_equal(field(row, "available"), 4 + 4);
    assert_int_equal(field(row, "floor"), 2);
    assert_int_equal(field(json_object_array_get_idx(rows, 1), "onHand"), 25);
    json_object_put(rows);

    /* The job list's types filter. */
    char path[256];
    snprintf(path, sizeof path, "%s?types=ADJUST&limit=1000", fam->job_prefix);
    th_response response;
    assert_int_equal(e2e_call(port, "GET", path, DEMO_TENANT, fam->key, NULL, &response), 0);
    assert_int_equal(response.status, 200);
    json_object *list = th_json(&response);
    th_response_free(&response);
    int found = 0;
    for (size_t i = 0; i < json_object_array_length(list); i++) {
        json_object *job = json_object_array_get_idx(list, i);
        assert_string_equal(json_object_get_string(json_object_object_get(job, "type")), "ADJUST");
        found |= json_object_get_int64(json_object_object_get(job, "jobID")) == adjust;
    }
    assert_true(found);
    json_object_put(list);
}

static void test_v5(void **state)
{
    (void)state;
    same_skus(server.gateway_port, &V5, "AV5");
}

static void test_inventory_specific(void **state)
{
    (void)state;
    same_skus(server.gateway_port, &INV, "AINV");
}

static void test_modern(void **state)
{
    (void)state;
    same_skus(server.gateway_port, &MODERN, "AMOD");
}

/* ---- the core's native routes between adjusts ---- */

static void native(int oci_port, const char *method, const char *path, const char *body, long want)
{
    char url[512];
    th_url(url, sizeof url, oci_port, path);
    const char *headers[] = {"Authorization: Bearer demo-oci-token", "Content-Type: application/json", NULL};
    th_response response;
    assert_int_equal(th_http(method, url, headers, body, strlen(body), &response), 0);
    if (response.status != want)
        fail_msg("%s %s: %ld %s", method, path, response.status, response.body);
    th_response_free(&response);
}

#define RES "/inventory/reservation/v1/organizations/f_ecom_demo_001"

static void adjust_one(int port, const char *sku, int delta)
{
    char body[256];
    snprintf(body, sizeof body, "{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"%s\",\"quantity\":%d}]}", sku,
             delta);
    expect_success(port, &V5, post_job(port, &V5, "/adjust", body), "ADJUST");
}

static void reserve_and_fulfil(int oci_port, int n, int reserve, int fulfil)
{
    char path[256], body[512];
    snprintf(path, sizeof path, RES "/reservation-documents/interleave-%d", n);
    snprintf(body, sizeof body,
             "{\"locations\":[{\"id\":\"warehouse-1\",\"reservations\":[{\"sku\":\"MIX-1\",\"quantity\":%d}]}]}",
             reserve);
    native(oci_port, "PUT", path, body, 200);
    snprintf(body, sizeof body,
             "{\"records\":[{\"id\":\"f-%d\",\"location\":\"warehouse-1\",\"sku\":\"MIX-1\",\"quantity\":%d}]}", n,
             fulfil);
    native(oci_port, "POST", RES "/fulfillments", body, 204);
}

static void test_interleaved_fulfilments(void **state)
{
    (void)state;
    int port = server.gateway_port;
    expect_success(port, &V5,
                   post_job(port, &V5, "/refresh",
                            "{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"MIX-1\",\"quantity\":100}]}"),
                   "REFRESH");
    const int deltas[] = {5, -7, 12, -1, 3};
    const int reserved[] = {4, 6, 2, 9, 5};
    const int fulfilled[] = {3, 6, 1, 9, 2};
    int expected = 100;
    for (int i = 0; i < 5; i++) {
        reserve_and_fulfil(server.oci_port, i, reserved[i], fulfilled[i]);
        adjust_one(port, "MIX-1", deltas[i]);
        expected += deltas[i] - fulfilled[i];
    }
    long status;
    json_object *rows = post(port, &V5, "",
                             "{\"type\":\"ANY\",\"locationCode\":\"warehouse-1\",\"items\":[{\"sku\":\"MIX-1\","
                             "\"quantity\":1}]}",
                             &status);
    assert_int_equal(status, 200);
    json_object *row = row_of(rows, "warehouse-1", "MIX-1");
    /* initial + Σ deltas − Σ fulfilled = 100 + 12 − 21 */
    assert_int_equal(expected, 91);
    assert_int_equal(field(row, "onHand"), expected);
    /* Reserved but not fulfilled: 1 + 1 + 3 = 5, shown as allocated and kept out of available. */
    assert_int_equal(field(row, "allocated"), 5);
    assert_int_equal(field(row, "available"), expected - 5);
    json_object_put(rows);
}

/* ---- sync and smart ---- */

static void test_sync_and_smart(void **state)
{
    (void)state;
    int port = server.gateway_port;
    /* A large refresh queued first: the sync-adjust after it waits its turn and sees its value. */
    char *big = e2e_refresh_body("Location 2", 12000, "SYNC", 1);
    long status;
    json_object *reply = post(port, &MODERN, "/smart-refresh", big, &status);
    free(big);
    assert_int_equal(status, 200);
    assert_string_equal(json_object_get_string(json_object_object_get(reply, "method")), "async");
    int64_t big_job = json_object_get_int64(json_object_object_get(reply, "jobID"));
    json_object_put(reply);
    json_object *rows = post(port, &INV, "/sync-adjust",
                             "{\"locationName\":\"Location 2\",\"items\":[{\"sku\":\"SYNC-11999\",\"quantity\":-100}]}",
                             &status);
    assert_int_equal(status, 200);
    assert_int_equal(json_object_array_length(rows), 1);
    /* 12000 from the refresh (base 1 + 11999), then −100: never the other way round. */
    assert_int_equal(field(row_of(rows, "warehouse-2", "SYNC-11999"), "onHand"), 11900);
    json_object_put(rows);
    json_object *job = e2e_wait_job(port, MODERN.job_prefix, MODERN.key, big_job, 60000);
    assert_string_equal(json_object_get_string(json_object_object_get(job, "status")), "SUCCESS");
    json_object_put(job);

    reply = post(port, &V5, "/smart-adjust",
                 "{\"locationName\":\"Location 2\",\"items\":[{\"sku\":\"SYNC-0\",\"quantity\":9}]}", &status);
    assert_int_equal(status, 200);
    assert_string_equal(json_object_get_string(json_object_object_get(reply, "method")), "sync");
    assert_string_equal(json_object_get_string(json_object_object_get(reply, "status")), "SUCCESS");
    json_object_put(reply);
    reply = post(port, &V5, "/smart-refresh",
                 "{\"locationName\":\"Location 2\",\"items\":[{\"sku\":\"SYNC-1\",\"quantity\":9}]}", &status);
    assert_int_equal(status, 200);
    assert_string_equal(json_object_get_string(json_object_object_get(reply, "method")), "sync");
    json_object_put(reply);
    /* Over 25 items: async. */
    char *medium = e2e_refresh_body("Location 2", 26, "SMART", 1);
    char *adjust = strdup(medium);
    reply = post(port, &V5, "/smart-adjust", adjust, &status);
    assert_int_equal(status, 200);
    assert_string_equal(json_object_get_string(json_object_object_get(reply, "method")), "async");
    json_object_put(reply);
    free(adjust);
    free(medium);
    rows = post(port, &V5, "", "{\"type\":\"ANY\",\"locationCode\":\"warehouse-2\",\"items\":[{\"sku\":\"SYNC-0\","
                               "\"quantity\":1},{\"sku\":\"SYNC-1\",\"quantity\":1}]}",
                &status);
    assert_int_equal(field(row_of(rows, NULL, "SYNC-0"), "onHand"), 1 + 9);
    assert_int_equal(field(row_of(rows, NULL, "SYNC-1"), "onHand"), 9);
    json_object_put(rows);
}

/* ---- refusals: the same JSON errors as refresh ---- */

static void expect_error(int port, const family *fam, const char *suffix, const char *tenant, const char *key,
                         const char *body, long want, const char *code, const char *field_name)
{
    char path[256];
    snprintf(path, sizeof path, "%s%s", fam->base, suffix);
    th_response response;
    assert_int_equal(e2e_call(port, "POST", path, tenant, key, body, &response), 0);
    if (response.status != want)
        fail_msg("%s: %ld, wanted %ld: %s", path, response.status, want, response.body);
    json_object *reply = th_json(&response);
    assert_non_null(reply);
    assert_string_equal(json_object_get_string(json_object_object_get(reply, "errorCode")), code);
    assert_string_equal(json_object_get_string(json_object_object_get(reply, "applicationName")), "omsgw");
    assert_non_null(json_object_object_get(reply, "correlationId"));
    char correlation[128];
    assert_int_equal(th_header(&response, "x-vol-correlation", correlation, sizeof correlation), 0);
    assert_string_equal(correlation, json_object_get_string(json_object_object_get(reply, "correlationId")));
    if (field_name) {
        json_object *items = json_object_object_get(reply, "items");
        assert_true(json_object_array_length(items) >= 1);
        json_object *data = json_object_object_get(json_object_array_get_idx(items, 0), "additionalErrorData");
        assert_string_equal(json_object_get_string(
                                json_object_object_get(json_object_array_get_idx(data, 0), "value")),
                            field_name);
    }
    json_object_put(reply);
    th_response_free(&response);
}

static void test_refusals_match_refresh(void **state)
{
    (void)state;
    int port = server.gateway_port;
    cm_body body;
    cm_body_init(&body, 1 << 20);
    cm_body_appendf(&body, "{\"locationName\":\"Location 1\",\"items\":[");
    for (int i = 0; i < 1001; i++)
        cm_body_appendf(&body, "%s{\"sku\":\"OVER-%d\",\"quantity\":-1}", i ? "," : "", i);
    cm_body_appendf(&body, "]}");
    const char *suffixes[] = {"/adjust", "/sync-adjust", "/smart-adjust"};
    const family *families[] = {&V5, &INV, &MODERN};
    for (size_t f = 0; f < 3; f++) {
        for (size_t s = 0; s < 3; s++) {
            expect_error(port, families[f], suffixes[s], DEMO_TENANT, families[f]->key, body.data, 400,
                         "INVALID_REQUEST_DATA", "items");
            expect_error(port, families[f], suffixes[s], DEMO_TENANT, families[f]->key, "{\"items\":[", 400,
                         "INVALID_REQUEST_DATA", NULL);
            expect_error(port, families[f], suffixes[s], DEMO_TENANT, families[f]->key,
                         "{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"X1\",\"quantity\":1.5}]}", 400,
                         "INVALID_REQUEST_DATA", "items[0].quantity");
        }
        expect_error(port, families[f], "", DEMO_TENANT, families[f]->key, "{\"items\":[]}", 400,
                     "MISSING_REQUEST_DATA", "items");
        expect_error(port, families[f], "/aggregate", DEMO_TENANT, families[f]->key, "[1]", 400,
                     "INVALID_REQUEST_DATA", "(body)");
    }
    cm_body_free(&body);
    /* Unauthorised: the same status and code as refresh for the same fault. */
    const char *routes[] = {"/refresh", "/adjust", "", "/aggregate", "/sync-adjust", "/smart-refresh"};
    const char *ok = "{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"X1\",\"quantity\":1}]}";
    for (size_t r = 0; r < 6; r++) {
        th_response response;
        char path[256];
        snprintf(path, sizeof path, "/api/v5/inventory%s", routes[r]);
        assert_int_equal(e2e_call(port, "POST", path, DEMO_TENANT, "wrong-key", ok, &response), 0);
        long wrong_key = response.status;
        th_response_free(&response);
        assert_int_equal(e2e_call(port, "POST", path, NULL, DEMO_V5_KEY, ok, &response), 0);
        long no_tenant = response.status;
        th_response_free(&response);
        /* The Inventory Specific key on the V5 family is refused like refresh refuses it. */
        assert_int_equal(e2e_call(port, "POST", path, DEMO_TENANT, DEMO_INV_KEY, ok, &response), 0);
        long other_key = response.status;
        th_response_free(&response);
        assert_int_equal(e2e_call(port, "POST", "/api/v5/inventory/refresh", DEMO_TENANT, "wrong-key", ok, &response),
                         0);
        assert_int_equal(wrong_key, response.status);
        th_response_free(&response);
        assert_int_equal(e2e_call(port, "POST", "/api/v5/inventory/refresh", NULL, DEMO_V5_KEY, ok, &response), 0);
        assert_int_equal(no_tenant, response.status);
        th_response_free(&response);
        assert_int_equal(e2e_call(port, "POST", "/api/v5/inventory/refresh", DEMO_TENANT, DEMO_INV_KEY, ok, &response),
                         0);
        assert_int_equal(other_key, response.status);
        th_response_free(&response);
        assert_true(wrong_key >= 401 && wrong_key <= 403);
    }
}

/* ---- delivery over HTTP ---- */

static void test_over_http_delivery(void **state)
{
    (void)state;
    th_omsgw http;
    th_omsgw_prepare(&http, NULL);
    char base_url[128];
    snprintf(base_url, sizeof base_url, "delivery.baseUrl=http://127.0.0.1:%d", http.oci_port);
    const char *args[] = {"--set", "delivery.mode=http", "--set", base_url, "--set", "delivery.token=demo-oci-token",
                          NULL};
    if (th_omsgw_launch(&http, args) != 0)
        fail_msg("omsgw with http delivery did not start");
    same_skus(http.gateway_port, &V5, "AHTTP");
    th_omsgw_cleanup(&http);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v5),
        cmocka_unit_test(test_inventory_specific),
        cmocka_unit_test(test_modern),
        cmocka_unit_test(test_interleaved_fulfilments),
        cmocka_unit_test(test_sync_and_smart),
        cmocka_unit_test(test_refusals_match_refresh),
        cmocka_unit_test(test_over_http_delivery),
    };
    return cmocka_run_group_tests(tests, start_server, stop_server);
}
