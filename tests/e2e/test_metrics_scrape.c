/*
 * test_metrics_scrape.c - GET /metrics during a real run: every scrape is valid exposition text
 * (tests/support/prom_text.c checks each line and every histogram's consistency), the counters
 * move as a job is accepted and finishes, and labels stay bounded (route patterns, no job ids).
 */
#include "tests/e2e/admin_e2e.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>

typedef struct scraper {
    int port;
    atomic_int stop;
    int scrapes;
    char error[320];
} scraper;

/* Scrapes again and again while the job runs: a scrape in the middle of chunks must be valid too. */
static void *scrape_loop(void *data)
{
    scraper *s = data;
    while (!atomic_load(&s->stop) && !s->error[0]) {
        th_response response;
        char url[128];
        th_url(url, sizeof url, s->port, "/metrics");
        const char *headers[] = {ADMIN_BEARER, NULL};
        if (th_http("GET", url, headers, NULL, 0, &response) != 0 || response.status != 200) {
            snprintf(s->error, sizeof s->error, "scrape answered %ld", response.status);
        } else {
            th_prom prom;
            if (th_prom_parse(response.body, &prom) != 0)
                snprintf(s->error, sizeof s->error, "%s", prom.error);
            th_prom_free(&prom);
            s->scrapes++;
        }
        th_response_free(&response);
        usleep(20000);
    }
    return NULL;
}

static void test_counters_move_as_jobs_finish(void **state)
{
    (void)state;
    char *config = admin_config(NULL);
    th_omsgw process;
    int port = admin_start(&process, config);
    free(config);

    th_prom before;
    admin_scrape(port, &before);
    static const char *const families[] = {
        "omsgw_jobs_accepted_total", "omsgw_jobs_finished_total", "omsgw_items_applied_total",
        "omsgw_items_refused_total", "omsgw_chunk_duration_seconds", "omsgw_oci_call_duration_seconds",
        "omsgw_delivery_retries_total", "omsgw_db_commit_duration_seconds", "omsgw_http_requests_total",
        "omsgw_http_request_duration_seconds", "omsgw_queue_pending_jobs", "omsgw_queue_oldest_pending_job_age_seconds",
        "process_resident_memory_bytes", "omsgw_http_open_connections"};
    th_response raw;
    assert_int_equal(admin_call(port, "GET", "/metrics", ADMIN_BEARER, NULL, &raw), 0);
    for (size_t i = 0; i < sizeof families / sizeof families[0]; i++) {
        char type_line[160];
        snprintf(type_line, sizeof type_line, "# TYPE %s ", families[i]);
        if (!strstr(raw.body, type_line))
            fail_msg("/metrics has no family %s", families[i]);
    }
    th_response_free(&raw);
    assert_true(th_prom_sum(&before, "process_resident_memory_bytes", NULL) > 1024 * 1024);
    assert_true(th_prom_sum(&before, "omsgw_queue_pending_jobs", "tenant=\"12345\"") == 0);
    assert_true(th_prom_sum(&before, "omsgw_http_open_connections", "listener=\"admin\"") >= 1);

    scraper s = {.port = port};
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, scrape_loop, &s), 0);
    char *body = e2e_refresh_body("Location 1", 7000, "MET", 1);
    int64_t job_id = e2e_refresh(process.gateway_port, "/api/v5/inventory/refresh", DEMO_V5_KEY, body);
    free(body);
    json_object *job = e2e_wait_job(process.gateway_port, "/api/v1/queue/", DEMO_V5_KEY, job_id, 60000);
    assert_string_equal(json_object_get_string(json_object_object_get(job, "status")), "SUCCESS");
    json_object_put(job);
    atomic_store(&s.stop, 1);
    pthread_join(thread, NULL);
    if (s.error[0])
        fail_msg("a scrape during the run was not valid: %s", s.error);
    assert_true(s.scrapes >= 1);

    th_prom after;
    admin_scrape(port, &after);
    const char *tenant = "tenant=\"12345\"";
    assert_true(th_prom_sum(&after, "omsgw_jobs_accepted_total", tenant) -
                    th_prom_sum(&before, "omsgw_jobs_accepted_total", tenant) == 1);
    assert_true(th_prom_sum(&after, "omsgw_jobs_finished_total", "tenant=\"12345\",type=\"REFRESH\",status=\"SUCCESS\"") -
                    th_prom_sum(&before, "omsgw_jobs_finished_total", "tenant=\"12345\",type=\"REFRESH\",status=\"SUCCESS\"") == 1);
    assert_true(th_prom_sum(&after, "omsgw_items_applied_total", tenant) -
                    th_prom_sum(&before, "omsgw_items_applied_total", tenant) == 7000);
    /* 7000 items in chunks of 3000: three chunks. */
    assert_true(th_prom_sum(&after, "omsgw_chunk_duration_seconds_count", NULL) -
                    th_prom_sum(&before, "omsgw_chunk_duration_seconds_count", NULL) == 3);
    assert_true(th_prom_sum(&after, "omsgw_db_commit_duration_seconds_count", "operation=\"accept\"") >= 1);
    assert_true(th_prom_sum(&after, "omsgw_db_commit_duration_seconds_count", "operation=\"checkpoint\"") >= 3);
    assert_true(th_prom_sum(&after, "omsgw_http_requests_total",
                            "listener=\"gateway\",route=\"/api/v5/inventory/refresh\",status=\"200\"") >= 1);
    assert_true(th_prom_sum(&after, "omsgw_http_request_duration_seconds_count",
                            "listener=\"gateway\",route=\"/api/v1/queue/{jobID}\"") >= 1);
    assert_true(th_prom_sum(&after, "omsgw_http_requests_total", "listener=\"admin\",route=\"/metrics\"") >= 2);
    /* Bounded labels: the job's id never appears as a label value. */
    char id_text[32];
    snprintf(id_text, sizeof id_text, "/%" PRId64, job_id);
    for (size_t i = 0; i < after.count; i++)
        if (strstr(after.samples[i].labels, "route=") && strstr(after.samples[i].labels, id_text))
            fail_msg("a raw path reached a label: %s", after.samples[i].labels);
    th_prom_free(&before);
    th_prom_free(&after);

    /* An unknown path is counted under one "unmatched" route, however many there are. */
    for (int i = 0; i < 5; i++) {
        char path[64];
        snprintf(path, sizeof path, "/random/%d", i);
        th_response response;
        char url[128];
        th_url(url, sizeof url, process.gateway_port, path);
        assert_int_equal(th_http("GET", url, NULL, NULL, 0, &response), 0);
        th_response_free(&response);
    }
    admin_scrape(port, &after);
    assert_true(th_prom_sum(&after, "omsgw_http_requests_total", "listener=\"gateway\",route=\"unmatched\",status=\"404\"") >= 5);
    th_prom_free(&after);
    assert_int_equal(th_omsgw_stop(&process, SIGTERM, 10000), 0);
    th_omsgw_cleanup(&process);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counters_move_as_jobs_finish),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
