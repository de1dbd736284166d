/*
 * test_logs.c - what an operator reads in the log of the real `omsgw`:
 * - every request, rejected ones included, is one line with method, route pattern, status,
 *   duration, tenant and the correlation id the client sent;
 * - with --log-format json every line parses as JSON and those are separate members;
 * - --log-level warn hides the routine request lines;
 * - a job that ends FAILED is logged at warn with the reason its messages carry;
 * - retry lines number chunks from 1.
 */
#include "common/clock.h"
#include "tests/e2e/e2e_legacy.h"

#include <signal.h>

/* The log's lines that contain `needle` (a new array of strings, caller puts). */
static json_object *log_lines_with(const th_omsgw *process, const char *needle)
{
    char *log = th_read_file(process->log_path, NULL);
    assert_non_null(log);
    json_object *lines = json_object_new_array();
    for (char *line = strtok(log, "\n"); line; line = strtok(NULL, "\n"))
        if (strstr(line, needle))
            json_object_array_add(lines, json_object_new_string(line));
    free(log);
    return lines;
}

static json_object *only_json_line_with(const th_omsgw *process, const char *needle)
{
    json_object *lines = log_lines_with(process, needle);
    if (json_object_array_length(lines) != 1) {
        th_omsgw_dump_log(process);
        fail_msg("expected one log line with %s, got %zu", needle, json_object_array_length(lines));
    }
    const char *text = json_object_get_string(json_object_array_get_idx(lines, 0));
    json_object *line = json_tokener_parse(text);
    if (!line)
        fail_msg("log line is not JSON: %s", text);
    json_object_put(lines);
    return line;
}

static const char *member(json_object *object, const char *name)
{
    json_object *value = NULL;
    if (!json_object_object_get_ex(object, name, &value))
        fail_msg("log line %s has no member %s", json_object_to_json_string(object), name);
    return json_object_get_string(value);
}

static void call_with_correlation(int port, const char *path, const char *key, const char *correlation,
                                  const char *body, long expected)
{
    char url[256], correlation_header[128], auth[128];
    th_url(url, sizeof url, port, path);
    snprintf(correlation_header, sizeof correlation_header, "x-vol-correlation: %s", correlation);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", key);
    const char *headers[] = {"x-vol-tenant: 12345", auth, "Content-Type: application/json", correlation_header, NULL};
    th_response response;
    assert_int_equal(th_http("POST", url, headers, body, strlen(body), &response), 0);
    assert_int_equal(response.status, expected);
    th_response_free(&response);
}

static void rejected_requests_are_logged_once_as_json_fields(void **state)
{
    (void)state;
    th_omsgw process;
    th_omsgw_prepare(&process, NULL);
    const char *extra[] = {"--log-format=json", NULL};
    assert_int_equal(th_omsgw_launch(&process, extra), 0);
    const char *body = "{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"AB\",\"quantity\":1}]}";
    call_with_correlation(process.gateway_port, "/api/v5/inventory/refresh", "wrong-key", "trace-401-a", body, 401);
    call_with_correlation(process.gateway_port, "/api/v5/inventory/refresh", DEMO_V5_KEY, "trace-400-b",
                          "{\"locationName\":\"Nowhere\",\"items\":[{\"sku\":\"AB\",\"quantity\":1}]}", 400);
    call_with_correlation(process.gateway_port, "/api/v5/no/such/route", DEMO_V5_KEY, "trace-404-c", body, 404);
    call_with_correlation(process.gateway_port, "/api/v5/inventory/refresh", DEMO_V5_KEY, "trace-200-d", body, 200);
    /* The line is written when the request ends, just after the reply: stop first so it is there. */
    assert_int_equal(th_omsgw_stop(&process, SIGTERM, 10000), 0);

    json_object *line = only_json_line_with(&process, "trace-401-a");
    assert_string_equal(member(line, "event"), "http.request");
    assert_string_equal(member(line, "level"), "info");
    assert_string_equal(member(line, "method"), "POST");
    assert_string_equal(member(line, "route"), "/api/v5/inventory/refresh");
    assert_string_equal(member(line, "correlation_id"), "trace-401-a");
    assert_string_equal(member(line, "server"), "gateway");
    json_object *status = json_object_object_get(line, "status"), *tenant = json_object_object_get(line, "tenant");
    assert_true(json_object_is_type(status, json_type_int));
    assert_int_equal(json_object_get_int(status), 401);
    assert_int_equal(json_object_get_int(tenant), 12345);
    assert_true(json_object_is_type(json_object_object_get(line, "duration_ms"), json_type_int));
    assert_null(json_object_object_get(line, "msg"));
    json_object_put(line);
    line = only_json_line_with(&process, "trace-400-b");
    assert_int_equal(json_object_get_int(json_object_object_get(line, "status")), 400);
    json_object_put(line);
    line = only_json_line_with(&process, "trace-404-c");
    assert_int_equal(json_object_get_int(json_object_object_get(line, "status")), 404);
    assert_string_equal(member(line, "route"), "-");
    json_object_put(line);
    line = only_json_line_with(&process, "trace-200-d");
    assert_int_equal(json_object_get_int(json_object_object_get(line, "status")), 200);
    json_object_put(line);

    /* Every line of the log is JSON, the other events too. */
    json_object *all = log_lines_with(&process, "{");
    assert_true(json_object_array_length(all) > 4);
    for (size_t i = 0; i < json_object_array_length(all); i++) {
        json_object *parsed = json_tokener_parse(json_object_get_string(json_object_array_get_idx(all, i)));
        if (!parsed)
            fail_msg("not JSON: %s", json_object_get_string(json_object_array_get_idx(all, i)));
        json_object_put(parsed);
    }
    json_object_put(all);
    th_omsgw_cleanup(&process);
}

static void warn_level_hides_request_lines(void **state)
{
    (void)state;
    th_omsgw process;
    th_omsgw_prepare(&process, NULL);
    const char *extra[] = {"--log-level", "warn", NULL};
    assert_int_equal(th_omsgw_launch(&process, extra), 0);
    const char *body = "{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"AB\",\"quantity\":1}]}";
    call_with_correlation(process.gateway_port, "/api/v5/inventory/refresh", "wrong-key", "trace-hidden", body, 401);
    assert_int_equal(th_omsgw_stop(&process, SIGTERM, 10000), 0);
    json_object *lines = log_lines_with(&process, "trace-hidden");
    assert_int_equal(json_object_array_length(lines), 0);
    json_object_put(lines);
    th_omsgw_cleanup(&process);
}

static void a_failed_job_is_logged_at_warn_with_its_reason(void **state)
{
    (void)state;
    /* autoLocations makes "Nowhere Store" the OCI location "Nowhere-Store", which the graph lacks:
     * the job is accepted and OCI refuses every item. */
    char path[1024];
    snprintf(path, sizeof path, "%s/samples/omsgw.json", getenv("OMSGW_SOURCE_DIR"));
    char *sample = th_read_file(path, NULL);
    char *at = strstr(sample, "\"autoLocations\": false");
    assert_non_null(at);
    memcpy(at, "\"autoLocations\": true ", strlen("\"autoLocations\": false"));
    th_omsgw process;
    th_omsgw_prepare(&process, sample);
    free(sample);
    assert_int_equal(th_omsgw_launch(&process, NULL), 0);
    int64_t job_id = e2e_refresh(process.gateway_port, "/api/v5/inventory/refresh", DEMO_V5_KEY,
                                 "{\"locationName\":\"Nowhere Store\",\"items\":[{\"sku\":\"AB\",\"quantity\":1}]}");
    json_object *job = e2e_wait_job(process.gateway_port, "/api/v1/queue/", DEMO_V5_KEY, job_id, 30000);
    assert_string_equal(json_object_get_string(json_object_object_get(job, "status")), "FAILED");
    json_object_put(job);
    assert_int_equal(th_omsgw_stop(&process, SIGTERM, 10000), 0);
    char needle[64];
    snprintf(needle, sizeof needle, "job.finished job=%lld ", (long long)job_id);
    json_object *lines = log_lines_with(&process, needle);
    assert_int_equal(json_object_array_length(lines), 1);
    const char *line = json_object_get_string(json_object_array_get_idx(lines, 0));
    if (!strstr(line, " warn job.finished") || !strstr(line, "status=FAILED") ||
        !strstr(line, "reason=\"OCI refused every item of the job.\""))
        fail_msg("unexpected line: %s", line);
    json_object_put(lines);
    th_omsgw_cleanup(&process);
}

/* A retry line numbers its chunk from 1, like every other chunk count ("chunk=1/1"). */
static void retry_lines_number_chunks_from_one(void **state)
{
    (void)state;
    th_omsgw process;
    th_omsgw_prepare(&process, NULL);
    char base_url[96];
    snprintf(base_url, sizeof base_url, "delivery.baseUrl=http://127.0.0.1:%d", th_free_port()); /* nobody there */
    const char *extra[] = {"--set", "delivery.mode=http", "--set", base_url, "--set", "delivery.token=demo-oci-token",
                           NULL};
    assert_int_equal(th_omsgw_launch(&process, extra), 0);
    int64_t job_id = e2e_refresh(process.gateway_port, "/api/v5/inventory/refresh", DEMO_V5_KEY,
                                 "{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"AB\",\"quantity\":1}]}");
    char needle[64];
    snprintf(needle, sizeof needle, "job.retry job=%lld chunk=1/1 in ", (long long)job_id);
    int found = 0;
    for (int waited = 0; waited < 20000 && !found; waited += 50) {
        char *log = th_read_file(process.log_path, NULL);
        found = log && strstr(log, needle);
        free(log);
        if (!found)
            usleep(50000);
    }
    if (!found) {
        th_omsgw_dump_log(&process);
        fail_msg("no \"%s\" in the log", needle);
    }
    /* The job reply says the same: which chunk waits, why, how often it failed, and when it is tried
     * again (inside progress, where old clients do not look). */
    json_object *retry = NULL;
    char path[64];
    snprintf(path, sizeof path, "/api/v1/queue/%lld", (long long)job_id);
    for (int waited = 0; waited < 20000 && !retry; waited += 50) {
        th_response response;
        assert_int_equal(e2e_call(process.gateway_port, "GET", path, DEMO_TENANT, DEMO_V5_KEY, NULL, &response), 0);
        json_object *job = th_json(&response);
        th_response_free(&response);
        assert_string_equal(json_object_get_string(json_object_object_get(job, "status")), "WORKING");
        json_object *found_retry = json_object_object_get(json_object_object_get(job, "progress"), "retry");
        if (found_retry)
            retry = json_object_get(found_retry);
        json_object_put(job);
        if (!retry)
            usleep(50000);
    }
    assert_non_null(retry);
    assert_int_equal(json_object_get_int64(json_object_object_get(retry, "chunk")), 1);
    assert_true(json_object_get_int64(json_object_object_get(retry, "failedTries")) >= 1);
    assert_true(strlen(json_object_get_string(json_object_object_get(retry, "lastError"))) > 0);
    int64_t next_ms = 0;
    assert_int_equal(cm_time_parse(json_object_get_string(json_object_object_get(retry, "nextAttempt")), &next_ms), 0);
    assert_true(next_ms > 0);
    json_object_put(retry);
    assert_int_equal(th_omsgw_stop(&process, SIGTERM, 10000), 0);
    th_omsgw_cleanup(&process);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rejected_requests_are_logged_once_as_json_fields),
        cmocka_unit_test(warn_level_hides_request_lines),
        cmocka_unit_test(a_failed_job_is_logged_at_warn_with_its_reason),
        cmocka_unit_test(retry_lines_number_chunks_from_one),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
