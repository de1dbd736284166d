/*
 * test_group_commit.c - small refreshes share durable commits through the real server: omsgw with
 * ONE gateway request thread takes 128 one-item refreshes sent at once over 32 connections. The
 * request thread does not wait for each commit (cm_http_defer, queue/accept_batch.h), so every
 * refresh is answered 200 with its own jobID, the ids are distinct, the store counted fewer
 * commits than jobs (omsgw_accept_commits_total against omsgw_accept_commit_jobs_total: with a
 * request thread waiting on each commit, one thread would make one commit a job), and every job
 * ends SUCCESS. A refresh that arrives after them is answered too.
 */
#include "tests/e2e/admin_e2e.h"

#include <pthread.h>
#include <signal.h>

#define SENDERS 32
#define PER_SENDER 4

typedef struct sender {
    int port;
    int index;
    long statuses[PER_SENDER];
    int64_t job_ids[PER_SENDER];
    pthread_t thread;
} sender;

static void *send_refreshes(void *arg)
{
    sender *s = arg;
    for (int i = 0; i < PER_SENDER; i++) {
        char body[160];
        snprintf(body, sizeof body, "{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"GC-%d\",\"quantity\":%d}]}",
                 s->index, i + 1);
        th_response response;
        s->statuses[i] = -1;
        if (e2e_call(s->port, "POST", "/api/v5/inventory/refresh", DEMO_TENANT, DEMO_V5_KEY, body, &response) != 0)
            continue;
        s->statuses[i] = response.status;
        json_object *reply = response.status == 200 ? th_json(&response) : NULL;
        s->job_ids[i] = reply ? json_object_get_int64(json_object_object_get(reply, "jobID")) : 0;
        json_object_put(reply);
        th_response_free(&response);
    }
    return NULL;
}

/* samples/omsgw.json with an admin section and gateway.threads 1 (caller frees). */
static char *one_thread_config(void)
{
    char *text = admin_config(NULL);
    json_object *root = json_tokener_parse(text);
    free(text);
    json_object *gateway = json_object_object_get(root, "gateway");
    if (!gateway) {
        gateway = json_object_new_object();
        json_object_object_add(root, "gateway", gateway);
    }
    json_object_object_add(gateway, "threads", json_object_new_int(1));
    char *config = strdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY));
    json_object_put(root);
    return config;
}

static void test_small_refreshes_share_commits_on_one_request_thread(void **state)
{
    (void)state;
    char *config = one_thread_config();
    th_omsgw process;
    int admin_port = admin_start(&process, config);
    free(config);
    th_prom before;
    admin_scrape(admin_port, &before);
    double commits_before = th_prom_sum(&before, "omsgw_accept_commits_total", "backend=\"sqlite\"");
    double jobs_before = th_prom_sum(&before, "omsgw_accept_commit_jobs_total", "backend=\"sqlite\"");
    th_prom_free(&before);

    sender senders[SENDERS];
    for (int s = 0; s < SENDERS; s++) {
        memset(&senders[s], 0, sizeof senders[s]);
        senders[s].port = process.gateway_port;
        senders[s].index = s;
        assert_int_equal(pthread_create(&senders[s].thread, NULL, send_refreshes, &senders[s]), 0);
    }
    for (int s = 0; s < SENDERS; s++)
        pthread_join(senders[s].thread, NULL);

    int64_t ids[SENDERS * PER_SENDER];
    size_t count = 0;
    for (int s = 0; s < SENDERS; s++)
        for (int i = 0; i < PER_SENDER; i++) {
            if (senders[s].statuses[i] != 200 || senders[s].job_ids[i] <= 0)
                fail_msg("refresh %d of sender %d answered %ld", i, s, senders[s].statuses[i]);
            /* One sender's refreshes were answered in its order: their ids rise. */
            if (i > 0)
                assert_true(senders[s].job_ids[i] > senders[s].job_ids[i - 1]);
            for (size_t k = 0; k < count; k++)
                if (ids[k] == senders[s].job_ids[i])
                    fail_msg("jobID %lld answered twice", (long long)ids[k]);
            ids[count++] = senders[s].job_ids[i];
        }

    th_prom after;
    admin_scrape(admin_port, &after);
    double commits = th_prom_sum(&after, "omsgw_accept_commits_total", "backend=\"sqlite\"") - commits_before;
    double jobs = th_prom_sum(&after, "omsgw_accept_commit_jobs_total", "backend=\"sqlite\"") - jobs_before;
    th_prom_free(&after);
    fprintf(stderr, "group commit: %.0f jobs in %.0f commits\n", jobs, commits);
    assert_true(jobs == SENDERS * PER_SENDER);
    assert_true(commits >= 1);
    assert_true(commits < jobs);

    /* The request thread is free again: a later refresh is answered, and every job ends SUCCESS. */
    char *body = e2e_refresh_body("Location 1", 3, "GC-LAST", 1);
    int64_t last = e2e_refresh(process.gateway_port, "/api/v5/inventory/refresh", DEMO_V5_KEY, body);
    free(body);
    json_object *job = e2e_wait_job(process.gateway_port, "/api/v1/queue/", DEMO_V5_KEY, last, 60000);
    assert_string_equal(json_object_get_string(json_object_object_get(job, "status")), "SUCCESS");
    json_object_put(job);
    for (size_t k = 0; k < count; k++) {
        job = e2e_wait_job(process.gateway_port, "/api/v1/queue/", DEMO_V5_KEY, ids[k], 60000);
        assert_string_equal(json_object_get_string(json_object_object_get(job, "status")), "SUCCESS");
        json_object_put(job);
    }
    assert_int_equal(th_omsgw_stop(&process, SIGTERM, 20000), 0);
    th_omsgw_cleanup(&process);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_refreshes_share_commits_on_one_request_thread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
