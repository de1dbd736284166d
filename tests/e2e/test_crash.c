/*
 * test_crash.c - kill -9 against the real `omsgw serve`: an answered jobID is never lost, and a
 * queue killed at random moments resumes without losing or doubling anything: refresh values, and
 * adjust deltas (each applied exactly once: never twice after a kill, never lost).
 */
#include "e2e_core_state.h"
#include "e2e_legacy.h"

#include <signal.h>
#include <time.h>

#define CRASH_ROUNDS 24
#define CRASH_TIME_BUDGET_MS 120000
#define SKU_POOL 300
#define MAX_JOBS 256

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_answered_job_survives_sigkill(void **state)
{
    (void)state;
    th_omsgw server;
    th_omsgw_start(&server, NULL);
    char *body = e2e_refresh_body("Location 1", 12000, "KILL", 5);
    int64_t job_id = e2e_refresh(server.gateway_port, "/api/v5/inventory/refresh", DEMO_V5_KEY, body);
    free(body);
    /* At once: no chance for anything to be flushed after the answer. */
    th_omsgw_stop(&server, SIGKILL, 5000);
    assert_int_equal(th_omsgw_launch(&server, NULL), 0);
    json_object *job = e2e_wait_job(server.gateway_port, "/api/v1/queue/", DEMO_V5_KEY, job_id, 60000);
    assert_string_equal(json_object_get_string(json_object_object_get(job, "status")), "SUCCESS");
    assert_int_equal(json_object_get_int64(json_object_object_get(job, "itemCount")), 12000);
    json_object_put(job);
    th_omsgw_cleanup(&server);
}

typedef struct expected {
    long quantity[2][SKU_POOL]; /* per tenant, per sku: the last accepted quantity, -1 never sent */
    int64_t jobs[MAX_JOBS];
    int job_tenant[MAX_JOBS];
    size_t job_count;
} expected;

static const char *const tenant_ids[2] = {"12345", "23456"};
static const char *const tenant_keys[2] = {DEMO_V5_KEY, "second-v5-key"};
static const char *const tenant_prefix[2] = {"CA", "CB"};

/* Sends one refresh (or, when `adjust`, one adjust of signed deltas) of `count` random SKUs of the
 * pool; records what it promises when answered. */
static void send_random_job(const th_omsgw *server, expected *want, int tenant, size_t count, unsigned *seed,
                            int adjust)
{
    long *quantities = calloc(count, sizeof *quantities);
    int *skus = calloc(count, sizeof *skus);
    int64_t job_id = e2e_send_random_job(server->gateway_port, tenant_ids[tenant], tenant_keys[tenant],
                                         tenant_prefix[tenant], SKU_POOL, count, seed, skus, quantities, adjust);
    if (job_id <= 0)
        fail_msg("a job sent to a running server was refused");
    assert_true(want->job_count < MAX_JOBS);
    want->jobs[want->job_count] = job_id;
    want->job_tenant[want->job_count] = tenant;
    want->job_count++;
    /* Jobs of a tenant apply in acceptance order: the later item of a SKU wins, a delta adds. */
    for (size_t i = 0; i < count; i++)
        e2e_expect_item(&want->quantity[tenant][skus[i]], quantities[i], adjust);
    free(quantities);
    free(skus);
}

static void test_random_sigkills_lose_and_double_nothing(void **state)
{
    (void)state;
    expected *want = calloc(1, sizeof *want);
    for (int t = 0; t < 2; t++)
        for (int s = 0; s < SKU_POOL; s++)
            want->quantity[t][s] = -1;
    unsigned seed = (unsigned)time(NULL);
    fprintf(stderr, "crash test seed %u\n", seed);
    th_omsgw server;
    th_omsgw_prepare(&server, NULL);
    const char *args[] = {"--set", "queue.chunkSize=500", NULL};
    int64_t started = mono_ms();
    int rounds = 0;
    for (; rounds < CRASH_ROUNDS && mono_ms() - started < CRASH_TIME_BUDGET_MS; rounds++) {
        assert_int_equal(th_omsgw_launch(&server, args), 0);
        int jobs = 1 + rand_r(&seed) % 3;
        for (int j = 0; j < jobs; j++) {
            size_t sizes[] = {1, 499, 500, 501, 1500, 3001, 6000};
            size_t adjust_sizes[] = {1, 499, 500, 501, 1000};
            if (rand_r(&seed) % 2)
                send_random_job(&server, want, rand_r(&seed) % 2, adjust_sizes[rand_r(&seed) % 5], &seed, 1);
            else
                send_random_job(&server, want, rand_r(&seed) % 2, sizes[rand_r(&seed) % 7], &seed, 0);
        }
        usleep((useconds_t)(rand_r(&seed) % 400) * 1000);
        assert_int_equal(th_omsgw_stop(&server, SIGKILL, 5000), 128 + SIGKILL);
    }
    assert_true(rounds >= 20);
    /* The last start drains everything. */
    assert_int_equal(th_omsgw_launch(&server, args), 0);
    for (size_t j = 0; j < want->job_count; j++) {
        char prefix[64];
        snprintf(prefix, sizeof prefix, "/api/v1/queue/");
        th_response response;
        char path[128];
        json_object *job = NULL;
        for (int waited = 0; waited < 60000; waited += 50) {
            snprintf(path, sizeof path, "%s%" PRId64, prefix, want->jobs[j]);
            assert_int_equal(e2e_call(server.gateway_port, "GET", path, tenant_ids[want->job_tenant[j]],
                                      tenant_keys[want->job_tenant[j]], NULL, &response),
                             0);
            assert_int_equal(response.status, 200);
            job = th_json(&response);
            th_response_free(&response);
            const char *status = json_object_get_string(json_object_object_get(job, "status"));
            if (strcmp(status, "SUCCESS") == 0 || strcmp(status, "FAILED") == 0)
                break;
            json_object_put(job);
            job = NULL;
            usleep(50000);
        }
        assert_non_null(job);
        if (strcmp(json_object_get_string(json_object_object_get(job, "status")), "SUCCESS") != 0 ||
            !json_object_get_boolean(json_object_object_get(job, "success")))
            fail_msg("job %" PRId64 " ended %s", want->jobs[j], json_object_to_json_string(job));
        json_object_put(job);
    }
    assert_int_equal(th_omsgw_stop(&server, SIGTERM, 10000), 0);

    /* Straight from the OCI core's database: no record id applied twice, and on-hand = last sent. */
    size_t checked = e2e_check_core_state(server.data_dir, tenant_prefix, 2, SKU_POOL, &want->quantity[0][0]);
    fprintf(stderr, "crash test: %d kills, %zu jobs, %zu SKUs checked\n", rounds, want->job_count, checked);
    assert_true(checked > 0);
    th_omsgw_cleanup(&server);
    free(want);
}

/* Progress is visible while a job runs, and SIGTERM mid-job stops at a chunk boundary: the job
 * resumes after restart and ends with every item applied exactly once. */
static void test_progress_and_sigterm_mid_job(void **state)
{
    (void)state;
    th_omsgw server;
    th_omsgw_prepare(&server, NULL);
    const char *args[] = {"--set", "queue.chunkSize=50", NULL};
    assert_int_equal(th_omsgw_launch(&server, args), 0);
    char *body = e2e_refresh_body("Location 1", 12000, "PROG", 1);
    int64_t job_id = e2e_refresh(server.gateway_port, "/api/v5/inventory/refresh", DEMO_V5_KEY, body);
    free(body);
    char path[128];
    snprintf(path, sizeof path, "/api/v1/queue/%" PRId64, job_id);
    int64_t seen_done = -1;
    int grew = 0, saw_working = 0;
    for (int polls = 0; polls < 400 && grew < 2; polls++) {
        th_response response;
        assert_int_equal(e2e_call(server.gateway_port, "GET", path, DEMO_TENANT, DEMO_V5_KEY, NULL, &response), 0);
        json_object *job = th_json(&response);
        th_response_free(&response);
        const char *status = json_object_get_string(json_object_object_get(job, "status"));
        int64_t done = json_object_get_int64(
            json_object_object_get(json_object_object_get(job, "progress"), "chunksDone"));
        if (strcmp(status, "WORKING") == 0) {
            saw_working = 1;
            if (seen_done >= 0 && done > seen_done)
                grew++;
            seen_done = done;
        }
        json_object_put(job);
        usleep(5000);
    }
    assert_true(saw_working);
    assert_true(grew >= 2);
    /* Stop in the middle of the job. */
    assert_int_equal(th_omsgw_stop(&server, SIGTERM, 10000), 0);
    assert_int_equal(th_omsgw_launch(&server, args), 0);
    json_object *job = e2e_wait_job(server.gateway_port, "/api/v1/queue/", DEMO_V5_KEY, job_id, 120000);
    assert_string_equal(json_object_get_string(json_object_object_get(job, "status")), "SUCCESS");
    json_object *progress = json_object_object_get(job, "progress");
    assert_int_equal(json_object_get_int64(json_object_object_get(progress, "itemsApplied")), 12000);
    assert_int_equal(json_object_get_int64(json_object_object_get(progress, "chunksDone")), 240);
    /* A clean stop releases the job at a safe point: it is not an interruption. */
    assert_int_equal(json_object_get_int64(json_object_object_get(progress, "interruptions")), 0);
    json_object_put(job);
    th_omsgw_cleanup(&server);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_answered_job_survives_sigkill),
        cmocka_unit_test(test_progress_and_sigterm_mid_job),
        cmocka_unit_test(test_random_sigkills_lose_and_double_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
