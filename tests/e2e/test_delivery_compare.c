/*
 * test_delivery_compare.c - the same chunks delivered `bundled` (in-process into core A) and
 * `http` (libcurl, OAuth client credentials, to core B served on loopback) leave the two cores in
 * the same state, record by record: onHand, reserved, safetyStockCount, ATF, ATO, effective date.
 *
 * Both deliveries run in this process so that the chunks (and so their effective dates) are
 * exactly the same. Chunks of ≤ 100 records take batch-update, larger ones the import sequence;
 * the boundary (100/101), duplicate SKUs inside a chunk, a later job overwriting an earlier one,
 * an unknown location and a second delivery of the same chunk are all covered. The times of both
 * paths for 12000 records are printed.
 */
#include "delivery/delivery_bundled.h"
#include "delivery/delivery_http.h"
#include "common/clock.h"
#include "common/config.h"
#include "common/http_server.h"
#include "oci_core/oci_core.h"
#include "tests/support/http_client.h"
#include "tests/support/test_support.h"
#include "translate/item.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ORG "f_ecom_demo_001"
#define TENANT 12345
#define SCOPES                                                                                                   \
    "[\"sfcc.inventory.availability\",\"sfcc.inventory.availability.rw\",\"sfcc.inventory.impex-inventory\","  \
    "\"sfcc.inventory.impex-inventory.rw\"]"
#define MAX_CHUNK 3000
#define SKU_MAX 32

typedef struct fixture {
    char dir[256];
    cm_config *core_config;     /* both cores */
    cm_config *delivery_config; /* the http delivery */
    oci_core *core_a, *core_b;
    cm_http_server *server_b;
    q_delivery *bundled, *http;
} fixture;

/* The chunk being built: records with skus stored beside them. */
typedef struct chunk_data {
    tr_record records[MAX_CHUNK];
    char skus[MAX_CHUNK][SKU_MAX];
    q_refusal refusals[MAX_CHUNK];
    q_chunk chunk;
} chunk_data;

static char *config_text(const char *dir, const char *delivery)
{
    const char *source = getenv("OMSGW_SOURCE_DIR");
    char *text = malloc(8192);
    assert_non_null(text);
    snprintf(text, 8192,
             "{\"oci\":{\"tokenTtlSeconds\":3600,\"organizations\":[{\"id\":\"" ORG "\","
             "\"locationGraph\":\"%s/samples/location-graph.json\","
             "\"clients\":[{\"id\":\"demo-client\",\"secret\":\"demo-secret\",\"scopes\":" SCOPES "}]}]},"
             "\"delivery\":%s,"
             "\"tenants\":[{\"id\":%d,\"translatedApis\":true,\"apiKeys\":{\"v5\":\"k\",\"inventorySpecific\":\"k2\"},"
             "\"organizationId\":\"" ORG "\",\"locations\":{\"Location 1\":\"warehouse-1\"}}]}",
             source ? source : ".", delivery, TENANT);
    (void)dir;
    return text;
}

static cm_config *parse_config(const char *dir, const char *delivery)
{
    char *text = config_text(dir, delivery);
    cm_config *config = NULL;
    char error[CM_CONFIG_ERROR_MAX];
    if (cm_config_parse(text, strlen(text), "compare", dir, NULL, 0, &config, error) != CM_OK)
        fail_msg("config: %s", error);
    free(text);
    return config;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    th_temp_dir(f->dir, sizeof f->dir);
    f->core_config = parse_config(f->dir, "{\"mode\":\"bundled\"}");
    char dir_a[320], dir_b[320], error[OCI_ERROR_MAX];
    snprintf(dir_a, sizeof dir_a, "%s/a", f->dir);
    snprintf(dir_b, sizeof dir_b, "%s/b", f->dir);
    assert_int_equal(oci_core_open(f->core_config, dir_a, &f->core_a, error), CM_OK);
    assert_int_equal(oci_core_open(f->core_config, dir_b, &f->core_b, error), CM_OK);
    cm_http_server_config server_config = {.name = "oci-b",
                                           .bind_address = "127.0.0.1",
                                           .port = 0,
                                           .body_limit = 64 * 1024 * 1024,
                                           .threads = 2,
                                           .connection_timeout_seconds = 30,
                                           .connection_limit = 64,
                                           .temp_dir = dir_b};
    oci_core_http_config(f->core_b, &server_config);
    char http_error[CM_HTTP_ERROR_MAX];
    if (cm_http_server_start(&server_config, &f->server_b, http_error) != CM_OK)
        fail_msg("server: %s", http_error);
    int port = cm_http_server_port(f->server_b);
    char delivery[1024];
    snprintf(delivery, sizeof delivery,
             "{\"mode\":\"http\",\"baseUrl\":\"http://127.0.0.1:%d/\",\"timeoutSeconds\":30,"
             "\"oauth\":{\"tokenUrl\":\"http://127.0.0.1:%d/dwsso/oauth2/access_token\",\"clientId\":\"demo-client\","
             "\"clientSecret\":\"demo-secret\",\"scope\":\"SALESFORCE_COMMERCE_API:zzrf_001 "
             "sfcc.inventory.availability.rw sfcc.inventory.impex-inventory.rw sfcc.inventory.impex-inventory\"}}",
             port, port);
    f->delivery_config = parse_config(f->dir, delivery);
    f->bundled = dl_delivery_bundled_new(f->core_a, "test-installation");
    char delivery_error[DL_DELIVERY_ERROR_MAX];
    dl_delivery_http_options options = {.poll_first_ms = 20, .poll_max_ms = 200};
    f->http = dl_delivery_http_new(f->delivery_config, &options, delivery_error);
    if (!f->http)
        fail_msg("http delivery: %s", delivery_error);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    f->http->destroy(f->http);
    f->bundled->destroy(f->bundled);
    cm_http_server_quiesce(f->server_b);
    oci_core_stop(f->core_b);
    cm_http_server_stop(f->server_b);
    oci_core_close(f->core_a);
    oci_core_close(f->core_b);
    cm_config_free(f->core_config);
    cm_config_free(f->delivery_config);
    th_remove_tree(f->dir);
    free(f);
    return 0;
}

/* Fills `data` with `count` records of job `job_id` at `location`: sku `prefix`-(i % distinct). */
static void build_chunk(chunk_data *data, int64_t job_id, int64_t chunk_index, const char *location,
                        size_t count, const char *prefix, size_t distinct, int64_t base_quantity,
                        int64_t effective_ms)
{
    assert_true(count <= MAX_CHUNK);
    for (size_t i = 0; i < count; i++) {
        tr_record *record = &data->records[i];
        size_t item_index = (size_t)chunk_index * MAX_CHUNK + i;
        snprintf(data->skus[i], SKU_MAX, "%s-%05zu", prefix, i % distinct);
        tr_record_id(NULL, TENANT, job_id, item_index, record->record_id);
        record->sku = data->skus[i];
        record->location_id = location;
        record->on_hand_milli = (base_quantity + (int64_t)i) * 1000;
        record->safety_stock_milli = (int64_t)(i % 7) * 1000;
        record->effective_ms = effective_ms;
        record->item_index = item_index;
    }
    data->chunk = (q_chunk){.tenant_id = TENANT,
                            .job_id = job_id,
                            .organization_id = ORG,
                            .location_id = location,
                            .chunk_index = chunk_index,
                            .records = data->records,
                            .record_count = count};
}

static int never_stop(void *data)
{
    (void)data;
    return 0;
}

/* Delivers through one path; returns the elapsed milliseconds. */
static int64_t deliver(q_delivery *delivery, chunk_data *data, q_delivery_result *result)
{
    memset(result, 0, sizeof *result);
    result->refusals = data->refusals;
    int64_t started = cm_mono_ms();
    delivery->deliver(delivery, &data->chunk, result, never_stop, NULL);
    return cm_mono_ms() - started;
}

/* Both paths: the same status and the same refused record indexes. */
static void deliver_both(fixture *f, chunk_data *data, q_delivery_status expected, int64_t *bundled_ms,
                         int64_t *http_ms)
{
    q_delivery_result a, b;
    int64_t ms_a = deliver(f->bundled, data, &a);
    size_t refused_a = a.refusal_count;
    unsigned char *flags = calloc(data->chunk.record_count, 1);
    for (size_t i = 0; i < refused_a; i++)
        flags[a.refusals[i].record_index] = 1;
    int64_t ms_b = deliver(f->http, data, &b);
    if (b.status != expected)
        fail_msg("http delivery of job %" PRId64 ": status %d, expected %d: %s", data->chunk.job_id, b.status,
                 expected, b.message);
    assert_int_equal(a.status, Q_DELIVERY_OK);
    if (expected == Q_DELIVERY_OK) {
        assert_int_equal(b.refusal_count, refused_a);
        for (size_t i = 0; i < b.refusal_count; i++)
            assert_true(flags[b.refusals[i].record_index]);
    }
    free(flags);
    if (bundled_ms)
        *bundled_ms += ms_a;
    if (http_ms)
        *http_ms += ms_b;
}

/* Compares every (location, sku) of the chunk in both cores. */
static void compare_state(fixture *f, const chunk_data *data)
{
    for (size_t i = 0; i < data->chunk.record_count; i++) {
        oci_availability a, b;
        const char *sku = data->records[i].sku;
        assert_int_equal(oci_core_get_location_record(f->core_a, ORG, data->chunk.location_id, sku, &a), CM_OK);
        assert_int_equal(oci_core_get_location_record(f->core_b, ORG, data->chunk.location_id, sku, &b), CM_OK);
        if (a.exists != b.exists || a.on_hand_milli != b.on_hand_milli || a.reserved_milli != b.reserved_milli ||
            a.safety_stock_milli != b.safety_stock_milli || a.atf_milli != b.atf_milli ||
            a.ato_milli != b.ato_milli || a.has_effective_date != b.has_effective_date ||
            a.effective_ms != b.effective_ms)
            fail_msg("%s/%s differs: bundled exists=%d onHand=%" PRId64 " ss=%" PRId64 " atf=%" PRId64
                     " ato=%" PRId64 " eff=%" PRId64 " | http exists=%d onHand=%" PRId64 " ss=%" PRId64
                     " atf=%" PRId64 " ato=%" PRId64 " eff=%" PRId64,
                     data->chunk.location_id, sku, a.exists, a.on_hand_milli, a.safety_stock_milli, a.atf_milli,
                     a.ato_milli, a.effective_ms, b.exists, b.on_hand_milli, b.safety_stock_milli, b.atf_milli,
                     b.ato_milli, b.effective_ms);
    }
}

static void expect_record(fixture *f, const char *location, const char *sku, int64_t on_hand, int64_t safety)
{
    oci_availability b;
    assert_int_equal(oci_core_get_location_record(f->core_b, ORG, location, sku, &b), CM_OK);
    assert_true(b.exists);
    assert_int_equal(b.on_hand_milli, on_hand * 1000);
    assert_int_equal(b.safety_stock_milli, safety * 1000);
    assert_int_equal(b.atf_milli, on_hand * 1000 - safety * 1000 > 0 ? on_hand * 1000 - safety * 1000 : 0);
}

/* How many imports core B still holds, asked over its own HTTP API with a token of its own. */
static size_t imports_left(fixture *f)
{
    int port = cm_http_server_port(f->server_b);
    char url[256];
    th_url(url, sizeof url, port, "/dwsso/oauth2/access_token");
    const char *token_headers[] = {"Authorization: Basic ZGVtby1jbGllbnQ6ZGVtby1zZWNyZXQ=", /* demo-client:demo-secret */
                                   "Content-Type: application/x-www-form-urlencoded", NULL};
    const char *form = "grant_type=client_credentials";
    th_response response;
    assert_int_equal(th_http("POST", url, token_headers, form, strlen(form), &response), 0);
    json_object *reply = th_json(&response);
    if (response.status != 200 || !reply)
        fail_msg("token: %ld %s", response.status, response.body);
    th_response_free(&response);
    char authorization[512];
    snprintf(authorization, sizeof authorization, "Authorization: Bearer %s",
             json_object_get_string(json_object_object_get(reply, "access_token")));
    json_object_put(reply);
    const char *headers[] = {authorization, NULL};
    th_url(url, sizeof url, port, "/inventory/impex/v1/organizations/" ORG "/availability-records/imports");
    assert_int_equal(th_http("GET", url, headers, NULL, 0, &response), 0);
    reply = th_json(&response);
    if (response.status != 200 || !reply)
        fail_msg("import list: %ld %s", response.status, response.body);
    th_response_free(&response);
    size_t count = json_object_array_length(json_object_object_get(reply, "imports"));
    json_object_put(reply);
    return count;
}

static void test_same_state_both_ways(void **state)
{
    fixture *f = *state;
    chunk_data *data = malloc(sizeof *data);
    assert_non_null(data);
    int64_t t0 = 1714557600123; /* 2024-05-01T10:00:00.123Z */

    /* Batch-update path, with duplicates: 40 records over 25 SKUs (the later item wins). */
    build_chunk(data, 1, 0, "warehouse-1", 40, "SMALL", 25, 10, t0);
    deliver_both(f, data, Q_DELIVERY_OK, NULL, NULL);
    compare_state(f, data);
    expect_record(f, "warehouse-1", "SMALL-00000", 10 + 25, 25 % 7);

    /* The boundary: 100 records go by batch-update, 101 by import. */
    build_chunk(data, 2, 0, "warehouse-2", 100, "EDGE", 100, 1, t0 + 1000);
    deliver_both(f, data, Q_DELIVERY_OK, NULL, NULL);
    compare_state(f, data);
    build_chunk(data, 3, 0, "warehouse-2", 101, "EDGE", 101, 500, t0 + 2000);
    deliver_both(f, data, Q_DELIVERY_OK, NULL, NULL);
    compare_state(f, data);
    expect_record(f, "warehouse-2", "EDGE-00100", 600, 100 % 7);

    /* Import path with duplicates: 3000 records over 2500 SKUs. */
    build_chunk(data, 4, 0, "store-mall", 3000, "BULK", 2500, 0, t0 + 3000);
    deliver_both(f, data, Q_DELIVERY_OK, NULL, NULL);
    compare_state(f, data);
    expect_record(f, "store-mall", "BULK-00007", 2507, 2507 % 7);

    /* A later job overwrites part of an earlier one, with a later effective date. */
    build_chunk(data, 5, 0, "warehouse-1", 30, "SMALL", 30, 900, t0 + 60000);
    deliver_both(f, data, Q_DELIVERY_OK, NULL, NULL);
    compare_state(f, data);

    /* Delivering the same chunk again changes nothing on either side and refuses nothing. */
    build_chunk(data, 4, 0, "store-mall", 3000, "BULK", 2500, 0, t0 + 3000);
    deliver_both(f, data, Q_DELIVERY_OK, NULL, NULL);
    compare_state(f, data);
    build_chunk(data, 1, 0, "warehouse-1", 40, "SMALL", 25, 10, t0);
    deliver_both(f, data, Q_DELIVERY_OK, NULL, NULL);
    build_chunk(data, 5, 0, "warehouse-1", 30, "SMALL", 30, 900, t0 + 60000);
    compare_state(f, data);
    expect_record(f, "warehouse-1", "SMALL-00000", 900, 0);

    /* An unknown location: by import every line is refused, as bundled refuses every record. */
    build_chunk(data, 6, 0, "no-such-place", 150, "LOST", 150, 1, t0);
    deliver_both(f, data, Q_DELIVERY_OK, NULL, NULL);
    compare_state(f, data);
    /* By batch-update OCI refuses the whole call (400 LocationDoesNotExist): a final failure, and
     * nothing is stored either way. */
    build_chunk(data, 7, 0, "no-such-place", 10, "LOST", 10, 1, t0);
    deliver_both(f, data, Q_DELIVERY_FINAL, NULL, NULL);
    compare_state(f, data);

    /* One OAuth token served the whole run. */
    assert_int_equal(dl_delivery_http_token_fetches(f->http), 1);
    /* Four chunks went by import (101, 3000, the same 3000 again, 150): each import was deleted
     * after its result was read, and core B holds none. */
    assert_int_equal(imports_left(f), 0);
    assert_int_equal(dl_delivery_http_imports_deleted(f->http), 4);
    free(data);
}

static void test_12000_records_timing(void **state)
{
    fixture *f = *state;
    chunk_data *data = malloc(sizeof *data);
    assert_non_null(data);
    int64_t bundled_ms = 0, http_ms = 0;
    for (int64_t chunk = 0; chunk < 4; chunk++) {
        char prefix[32];
        snprintf(prefix, sizeof prefix, "TIMED%" PRId64, chunk);
        build_chunk(data, 100, chunk, "warehouse-1", 3000, prefix, 3000, chunk * 3000, 1714557600123);
        deliver_both(f, data, Q_DELIVERY_OK, &bundled_ms, &http_ms);
        compare_state(f, data);
    }
    fprintf(stderr, "[ figures  ] 12000 records in 4 chunks of 3000: bundled %" PRId64 " ms, http (import) %" PRId64
                    " ms\n", bundled_ms, http_ms);
    bundled_ms = http_ms = 0;
    for (int64_t chunk = 0; chunk < 120; chunk++) {
        char prefix[32];
        snprintf(prefix, sizeof prefix, "BATCH%" PRId64, chunk);
        build_chunk(data, 101, chunk, "warehouse-2", 100, prefix, 100, chunk, 1714557600123);
        deliver_both(f, data, Q_DELIVERY_OK, &bundled_ms, &http_ms);
    }
    fprintf(stderr, "[ figures  ] 12000 records in 120 chunks of 100: bundled %" PRId64 " ms, http (batch-update) %"
                    PRId64 " ms\n", bundled_ms, http_ms);
    free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_same_state_both_ways, setup, teardown),
        cmocka_unit_test_setup_teardown(test_12000_records_timing, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
