/*
 * torture_gateway.c - the gateway's side when the N-th allocation fails (alloc_fail.h), for
 * N = 1, 2, …: loading the configuration, accepting a refresh through the real HTTP server, and a
 * worker processing the job's chunk into the bundled core.
 *
 * What each run proves: no crash and no sanitizer report (the build has ASan and UBSan, and
 * LeakSanitizer checks at exit that every run freed what it took); the configuration load either
 * succeeds or says why; a refresh is answered either {"jobID": n} or a JSON error (503), and a
 * refused one left no job behind; the next request without a failure is accepted; every job that
 * was answered with a jobID is still there afterwards and ends SUCCESS with its quantities applied,
 * also when the failure hit the worker processing it.
 *
 * The normal run takes every N up to DENSE and then a stride that keeps each loop near SAMPLES
 * runs; OMSGW_TORTURE_FULL=1 runs every N (the README's testing section).
 */
#include "tests/support/test_support.h"
#include "tests/torture/alloc_fail.h"
#include "tests/torture/rig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DENSE 40
#define SAMPLES 60
#define JOB_TIMEOUT_MS 30000
#define ITEMS 3

/* The stride that keeps a range of `total` N near DENSE + SAMPLES runs. */
static long stride_for(long total)
{
    long stride = (total - DENSE) / SAMPLES;
    return stride < 1 ? 1 : stride;
}

static void report(const char *what, long total, long runs, long failures_seen)
{
    fprintf(stderr, "torture %s: %ld counted allocations, %ld runs (%s), %ld injected failures\n", what, total, runs,
            ta_full_range() ? "full range" : "sampled", failures_seen);
}

/* ---- configuration ---- */

/* The parts of a loaded configuration that a skipped allocation would leave empty. */
static int same_config(const cm_config *a, const cm_config *b)
{
    if (!a->path || !a->config_dir || strcmp(a->path, b->path) != 0 || strcmp(a->config_dir, b->config_dir) != 0)
        return 0;
    if (a->queue.workers != b->queue.workers || a->tenant_count != b->tenant_count ||
        a->oci.organization_count != b->oci.organization_count)
        return 0;
    for (size_t i = 0; i < a->tenant_count; i++)
        if (a->tenants[i].location_count != b->tenants[i].location_count ||
            a->tenants[i].floor != b->tenants[i].floor ||
            !a->tenants[i].organization_id != !b->tenants[i].organization_id ||
            !a->tenants[i].v5_key != !b->tenants[i].v5_key)
            return 0;
    return 1;
}

static void test_config_load(void **state)
{
    (void)state;
    char dir[256], path[400], error[CM_CONFIG_ERROR_MAX];
    th_temp_dir(dir, sizeof dir);
    const char *source = getenv("OMSGW_SOURCE_DIR");
    const char *names[] = {"omsgw.json", "location-graph.json"};
    for (int i = 0; i < 2; i++) {
        char from[512];
        snprintf(from, sizeof from, "%s/samples/%s", source ? source : ".", names[i]);
        size_t length = 0;
        char *text = th_read_file(from, &length);
        assert_non_null(text);
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        th_write_file(path, text, length);
        free(text);
    }
    snprintf(path, sizeof path, "%s/omsgw.json", dir);
    const char *overrides[] = {"queue.workers=1", "tenants[0].floor=sum"};
    cm_config *config = NULL;

    ta_exempt_thread(0);
    ta_arm(0);
    cm_err rc = cm_config_load(path, overrides, 2, &config, error);
    long total = ta_disarm();
    ta_exempt_thread(1);
    assert_int_equal(rc, CM_OK);
    cm_config *reference = config;

    long runs = 0, seen = 0, stride = stride_for(total);
    for (long n = ta_first(); n <= total; n = ta_next(n, DENSE, stride), runs++) {
        config = NULL;
        error[0] = '\0';
        ta_exempt_thread(0);
        ta_arm(n);
        rc = cm_config_load(path, overrides, 2, &config, error);
        ta_disarm();
        ta_exempt_thread(1);
        seen += ta_failed();
        if (rc == CM_OK) {
            /* A failure the loader could step around is fine only if the result is whole. */
            assert_non_null(config);
            if (!same_config(config, reference))
                fail_msg("allocation %ld failed and the configuration load succeeded with parts missing", n);
            cm_config_free(config);
        } else {
            assert_null(config);
            if (error[0] == '\0')
                fail_msg("allocation %ld of the configuration load failed without a message", n);
        }
    }
    report("config load", total, runs, seen);
    cm_config_free(reference);
    /* And afterwards the same load succeeds. */
    assert_int_equal(cm_config_load(path, overrides, 2, &config, error), CM_OK);
    cm_config_free(config);
    th_remove_tree(dir);
}

/* ---- accepting a refresh ---- */

typedef struct accepted {
    int64_t *ids;
    long *bases;
    size_t count, capacity;
} accepted;

static void remember(accepted *list, int64_t job_id, long base)
{
    if (list->count == list->capacity) {
        list->capacity = list->capacity ? list->capacity * 2 : 64;
        list->ids = realloc(list->ids, list->capacity * sizeof *list->ids);
        list->bases = realloc(list->bases, list->capacity * sizeof *list->bases);
        assert_non_null(list->ids);
        assert_non_null(list->bases);
    }
    list->ids[list->count] = job_id;
    list->bases[list->count] = base;
    list->count++;
}

/* One refresh with the n-th allocation failing (n = 0: none), checked as the header says. */
static long refresh_once(rig *r, long n, long base, accepted *list, long *counted)
{
    int64_t before = rig_job_count(r), job_id = 0;
    char code[64];
    ta_arm(n);
    long status = rig_refresh(r, "TORTURE", ITEMS, base, &job_id, code);
    long total = ta_disarm();
    if (counted)
        *counted = total;
    int64_t after = rig_job_count(r);
    if (status == 200) {
        assert_true(job_id > 0);
        assert_int_equal(after, before + 1);
        remember(list, job_id, base);
    } else if (status == 503) {
        if (after != before)
            fail_msg("allocation %ld: the refresh was refused (%s) but %lld job(s) were left behind", n, code,
                     (long long)(after - before));
    } else {
        fail_msg("allocation %ld: the refresh answered %ld (%s)", n, status, code);
    }
    return status;
}

static void test_refresh_acceptance(void **state)
{
    (void)state;
    rig r;
    rig_open(&r, NULL);
    accepted list = {0};
    long total = 0;
    assert_int_equal(refresh_once(&r, 0, 1000, &list, &total), 200);
    long runs = 0, seen = 0, refused = 0, stride = stride_for(total);
    for (long n = ta_first(); n <= total; n = ta_next(n, DENSE, stride), runs++) {
        long status = refresh_once(&r, n, 1000 * (n + 1), &list, NULL);
        if (!ta_failed())
            break; /* past the last allocation a refresh makes */
        seen++;
        refused += status == 503;
        /* The server keeps serving: the next refresh, without a failure, is accepted. */
        assert_int_equal(refresh_once(&r, 0, 1000 * (n + 1) + 500, &list, NULL), 200);
    }
    report("refresh acceptance", total, runs, seen);
    fprintf(stderr, "torture refresh acceptance: %ld refused with 503, %zu accepted\n", refused, list.count);
    assert_true(refused > 0);

    /* Every accepted job is there and ends SUCCESS; the last one's quantities are on hand. */
    rig_start_pool(&r);
    rig_work(&r);
    for (size_t i = 0; i < list.count; i++)
        if (rig_wait_job(&r, list.ids[i], JOB_TIMEOUT_MS) != Q_SUCCESS)
            fail_msg("job %lld, accepted around a failed allocation, did not end SUCCESS", (long long)list.ids[i]);
    for (int i = 0; i < ITEMS; i++) {
        char sku[32];
        snprintf(sku, sizeof sku, "TORTURE-%d", i);
        assert_int_equal(rig_on_hand(&r, sku), list.bases[list.count - 1] + i);
    }
    free(list.ids);
    free(list.bases);
    rig_close(&r);
}

/* ---- processing a job's chunk ---- */

static void test_worker_chunk(void **state)
{
    (void)state;
    rig r;
    /* Two chunks per job, so the checkpoint between them is in the range too. */
    const char *overrides[] = {"queue.chunkSize=2", NULL};
    rig_open(&r, overrides);
    rig_start_pool(&r);
    int64_t job_id = 0;
    char code[64];
    /* The range: what one job costs from the wake-up to its end. */
    assert_int_equal(rig_refresh(&r, "CHUNK", ITEMS, 10, &job_id, code), 200);
    ta_arm(0);
    rig_work(&r);
    assert_int_equal(rig_wait_job(&r, job_id, JOB_TIMEOUT_MS), Q_SUCCESS);
    long total = ta_disarm();

    long runs = 0, seen = 0, misses = 0, stride = stride_for(total);
    /* The measured total includes the worker's idle polls; past the job's own allocations the runs
     * stop failing, and a run of misses ends the loop. */
    for (long n = ta_first(); n <= total && misses < 20; n = ta_next(n, DENSE, stride), runs++) {
        long base = 100 * (n + 1);
        assert_int_equal(rig_refresh(&r, "CHUNK", ITEMS, base, &job_id, code), 200);
        ta_arm(n);
        rig_work(&r);
        q_status status = rig_wait_job(&r, job_id, JOB_TIMEOUT_MS);
        ta_disarm();
        seen += ta_failed();
        misses = ta_failed() ? 0 : misses + 1;
        if (status != Q_SUCCESS)
            fail_msg("allocation %ld failed in the worker and job %lld ended %s", n, (long long)job_id,
                     q_status_name(status));
        for (int i = 0; i < ITEMS; i++) {
            char sku[32];
            snprintf(sku, sizeof sku, "CHUNK-%d", i);
            if (rig_on_hand(&r, sku) != base + i)
                fail_msg("allocation %ld: %s holds %ld, the job said %ld", n, sku, rig_on_hand(&r, sku), base + i);
        }
    }
    report("worker chunk", total, runs, seen);
    rig_close(&r);
}

int main(void)
{
    ta_install();
    ta_exempt_thread(1); /* the test's own thread is the client; the server's threads count */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_load),
        cmocka_unit_test(test_refresh_acceptance),
        cmocka_unit_test(test_worker_chunk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
