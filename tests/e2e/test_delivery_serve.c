/*
 * test_delivery_serve.c - `omsgw serve` with delivery.mode "http" (OAuth client credentials, to its
 * own bundled core on loopback) and with "bundled": the same jobs leave the same OCI state.
 *
 * Two real processes get the same three jobs: 12000 items (four import chunks), 60 items at a
 * second location (batch-update), and a job overwriting part of the first with duplicates, safety
 * stock and floor. Every SKU is then read back with get-availability from both and compared:
 * onHand, reserved, safetyStockCount, ATF, ATO; effectiveDate must equal the job's own acceptance
 * time (`added`) in each process. The time each mode takes for the 12000-item job is printed.
 * After the jobs the http run's core holds no import: the delivery deletes each one it has read.
 */
#include "common/body.h"
#include "common/clock.h"
#include "tests/e2e/e2e_legacy.h"

#include <inttypes.h>
#include <signal.h>

#define ORG "f_ecom_demo_001"
#define OCI_TOKEN "demo-oci-token"
#define BIG_ITEMS 12000
#define SMALL_ITEMS 60
#define SKUS_PER_CALL 100

typedef struct mode_run {
    th_omsgw process;
    char added[3][64];
    int64_t big_job_ms;
} mode_run;

static void start_mode(mode_run *run, int http)
{
    th_omsgw_prepare(&run->process, NULL);
    if (http) {
        char *text = th_read_file(run->process.config_path, NULL);
        json_object *config = json_tokener_parse(text);
        free(text);
        assert_non_null(config);
        char url[128], token_url[192];
        snprintf(url, sizeof url, "http://127.0.0.1:%d", run->process.oci_port);
        snprintf(token_url, sizeof token_url, "%s/dwsso/oauth2/access_token", url);
        json_object *delivery = json_object_new_object(), *oauth = json_object_new_object();
        json_object_object_add(delivery, "mode", json_object_new_string("http"));
        json_object_object_add(delivery, "baseUrl", json_object_new_string(url));
        json_object_object_add(oauth, "tokenUrl", json_object_new_string(token_url));
        json_object_object_add(oauth, "clientId", json_object_new_string("demo-client"));
        json_object_object_add(oauth, "clientSecret", json_object_new_string("demo-secret"));
        json_object_object_add(oauth, "scope", json_object_new_string("sfcc.inventory.availability.rw "
                                                                      "sfcc.inventory.impex-inventory.rw "
                                                                      "sfcc.inventory.impex-inventory"));
        json_object_object_add(delivery, "oauth", oauth);
        json_object_object_add(config, "delivery", delivery);
        const char *out = json_object_to_json_string(config);
        th_write_file(run->process.config_path, out, strlen(out));
        json_object_put(config);
    }
    if (th_omsgw_launch(&run->process, NULL) != 0)
        fail_msg("omsgw did not start");
}

static char *overwrite_body(void)
{
    cm_body body;
    cm_body_init(&body, 1 << 20);
    cm_body_appendf(&body, "{\"locationName\":\"Location 1\",\"items\":[");
    for (int i = 0; i < 300; i++) {
        /* BIG-0..149 twice each (the later wins), some with safety stock above the quantity. */
        int sku = i % 150;
        cm_body_appendf(&body, "%s{\"sku\":\"BIG-%d\",\"quantity\":\"%d\",\"safetyStock\":%d,\"floor\":%d}", i ? "," : "",
                        sku, 1000 + i, i % 9, (i * 7) % 1300);
    }
    cm_body_appendf(&body, "]}");
    return cm_body_take(&body, NULL);
}

static void run_jobs(mode_run *run)
{
    int port = run->process.gateway_port;
    char *bodies[3] = {e2e_refresh_body("Location 1", BIG_ITEMS, "BIG", 5),
                       e2e_refresh_body("Location 2", SMALL_ITEMS, "SMALL", 3), overwrite_body()};
    for (int j = 0; j < 3; j++) {
        int64_t started = cm_mono_ms();
        int64_t job_id = e2e_refresh(port, "/api/v5/inventory/refresh", DEMO_V5_KEY, bodies[j]);
        json_object *job = e2e_wait_job(port, "/api/v1/queue/", DEMO_V5_KEY, job_id, 120000);
        if (j == 0)
            run->big_job_ms = cm_mono_ms() - started;
        const char *status = json_object_get_string(json_object_object_get(job, "status"));
        if (strcmp(status, "SUCCESS") != 0 || !json_object_get_boolean(json_object_object_get(job, "success"))) {
            th_omsgw_dump_log(&run->process);
            fail_msg("job %d: %s", j, json_object_to_json_string(job));
        }
        snprintf(run->added[j], sizeof run->added[j], "%s",
                 json_object_get_string(json_object_object_get(job, "added")));
        json_object_put(job);
        free(bodies[j]);
    }
}

/* get-availability for skus prefix-from..to at one location (caller puts the reply's records). */
static json_object *availability(mode_run *run, const char *location, const char *prefix, int from, int to)
{
    cm_body body;
    cm_body_init(&body, 1 << 20);
    cm_body_appendf(&body, "{\"locations\":[\"%s\"],\"skus\":[", location);
    for (int i = from; i < to; i++)
        cm_body_appendf(&body, "%s\"%s-%d\"", i > from ? "," : "", prefix, i);
    cm_body_appendf(&body, "]}");
    char url[256];
    th_url(url, sizeof url, run->process.oci_port,
           "/inventory/availability/v1/organizations/" ORG "/availability-records/actions/get-availability");
    const char *headers[] = {"Authorization: Bearer " OCI_TOKEN, "Content-Type: application/json", NULL};
    th_response response;
    assert_int_equal(th_http("POST", url, headers, body.data, body.length, &response), 0);
    cm_body_free(&body);
    if (response.status != 200)
        fail_msg("get-availability: %ld %s", response.status, response.body);
    json_object *reply = th_json(&response);
    th_response_free(&response);
    json_object *locations = json_object_object_get(reply, "locations");
    json_object *records = json_object_get(json_object_object_get(json_object_array_get_idx(locations, 0), "records"));
    json_object_put(reply);
    assert_int_equal(json_object_array_length(records), (size_t)(to - from));
    return records;
}

static const char *field_text(json_object *record, const char *key)
{
    json_object *value = json_object_object_get(record, key);
    return value ? json_object_to_json_string_ext(value, JSON_C_TO_STRING_PLAIN) : "absent";
}

/* Which job last wrote this sku, to check its effectiveDate. */
static int writer_job(const char *prefix, int index)
{
    if (strcmp(prefix, "SMALL") == 0)
        return 1;
    return index < 150 ? 2 : 0;
}

static void compare_range(mode_run *bundled, mode_run *http, const char *location, const char *prefix, int count)
{
    static const char *const fields[] = {"sku", "onHand", "reserved", "safetyStockCount", "atf", "ato"};
    for (int from = 0; from < count; from += SKUS_PER_CALL) {
        int to = from + SKUS_PER_CALL < count ? from + SKUS_PER_CALL : count;
        json_object *a = availability(bundled, location, prefix, from, to);
        json_object *b = availability(http, location, prefix, from, to);
        for (size_t i = 0; i < json_object_array_length(a); i++) {
            json_object *ra = json_object_array_get_idx(a, i), *rb = json_object_array_get_idx(b, i);
            for (size_t k = 0; k < sizeof fields / sizeof *fields; k++) {
                char left[128];
                snprintf(left, sizeof left, "%s", field_text(ra, fields[k]));
                if (strcmp(left, field_text(rb, fields[k])) != 0)
                    fail_msg("%s %s: %s bundled %s, http %s", location, field_text(ra, "sku"), fields[k], left,
                             field_text(rb, fields[k]));
            }
            const char *sku = json_object_get_string(json_object_object_get(ra, "sku"));
            int index = atoi(strrchr(sku, '-') + 1);
            /* Two values worked out by hand, so the comparison is not of two empty states. */
            if (strcmp(sku, "BIG-200") == 0)
                assert_string_equal(field_text(ra, "onHand"), "205");
            if (strcmp(sku, "BIG-0") == 0) /* the later of its two items: 1150, floor 1050 > safety 6 */
                assert_string_equal(field_text(rb, "safetyStockCount"), "1050");
            int job = writer_job(prefix, index);
            const char *date_a = json_object_get_string(json_object_object_get(ra, "effectiveDate"));
            const char *date_b = json_object_get_string(json_object_object_get(rb, "effectiveDate"));
            assert_non_null(date_a);
            assert_non_null(date_b);
            int64_t ms_a, ms_b, added_a, added_b;
            assert_int_equal(cm_time_parse(date_a, &ms_a), 0);
            assert_int_equal(cm_time_parse(date_b, &ms_b), 0);
            assert_int_equal(cm_time_parse(bundled->added[job], &added_a), 0);
            assert_int_equal(cm_time_parse(http->added[job], &added_b), 0);
            if (ms_a != added_a || ms_b != added_b)
                fail_msg("%s: effectiveDate %s / %s, jobs accepted %s / %s", sku, date_a, date_b,
                         bundled->added[job], http->added[job]);
        }
        json_object_put(a);
        json_object_put(b);
    }
}

/* The ids of the imports the bundled core still holds for the organization. */
static size_t leftover_imports(mode_run *run, char *ids, size_t size)
{
    char url[256];
    th_url(url, sizeof url, run->process.oci_port, "/inventory/impex/v1/organizations/" ORG "/availability-records/imports");
    const char *headers[] = {"Authorization: Bearer " OCI_TOKEN, NULL};
    th_response response;
    assert_int_equal(th_http("GET", url, headers, NULL, 0, &response), 0);
    if (response.status != 200)
        fail_msg("import list: %ld %s", response.status, response.body);
    json_object *reply = th_json(&response);
    th_response_free(&response);
    json_object *list = json_object_object_get(reply, "imports");
    assert_non_null(list);
    size_t count = json_object_array_length(list);
    snprintf(ids, size, "%s", json_object_to_json_string(list));
    json_object_put(reply);
    return count;
}

static void test_http_and_bundled_leave_same_state(void **state)
{
    (void)state;
    mode_run *bundled = calloc(1, sizeof *bundled), *http = calloc(1, sizeof *http);
    start_mode(bundled, 0);
    start_mode(http, 1);
    run_jobs(bundled);
    run_jobs(http);
    compare_range(bundled, http, "warehouse-1", "BIG", BIG_ITEMS);
    compare_range(bundled, http, "warehouse-2", "SMALL", SMALL_ITEMS);
    fprintf(stderr, "[ figures  ] omsgw serve, 12000-item job from refresh to SUCCESS: bundled %" PRId64
                    " ms, http+OAuth to loopback %" PRId64 " ms\n",
            bundled->big_job_ms, http->big_job_ms);
    char *log = th_read_file(http->process.log_path, NULL);
    assert_non_null(strstr(log, "delivery.imported"));
    assert_non_null(strstr(log, "delivery.token"));
    free(log);
    /* Each import was deleted once its result was read: a real OCI would otherwise keep one per
     * chunk (five here: four from the 12000-item job, one from the 300-item one). */
    char ids[1024];
    if (leftover_imports(http, ids, sizeof ids) != 0)
        fail_msg("imports left in the core after the jobs: %s", ids);
    assert_int_equal(th_omsgw_stop(&bundled->process, SIGTERM, 10000), 0);
    assert_int_equal(th_omsgw_stop(&http->process, SIGTERM, 10000), 0);
    th_omsgw_cleanup(&bundled->process);
    th_omsgw_cleanup(&http->process);
    free(bundled);
    free(http);
}

static void test_http_mode_start_up(void **state)
{
    (void)state;
    /* http delivery with a fixed token starts, and says nothing about TLS when it is verified. */
    th_omsgw process;
    th_omsgw_prepare(&process, NULL);
    const char *args[] = {"--set", "delivery.mode=http", "--set", "delivery.baseUrl=https://oci.invalid",
                          "--set", "delivery.token=t", NULL};
    if (th_omsgw_launch(&process, args) != 0)
        fail_msg("omsgw did not start in http mode");
    assert_int_equal(th_omsgw_stop(&process, SIGTERM, 10000), 0);
    char *log = th_read_file(process.log_path, NULL);
    assert_null(strstr(log, "tls_unverified"));
    free(log);
    th_omsgw_cleanup(&process);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_mode_start_up),
        cmocka_unit_test(test_http_and_bundled_leave_same_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
