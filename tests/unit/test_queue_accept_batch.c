/*
 * test_queue_accept_batch.c - queue/accept_batch: requests arriving together share one commit,
 * each gets its own result only after that commit, in arrival order; one job's error fails that
 * job alone, a transaction's error every job of its batch; jobs submitted without waiting are
 * reported once each, in order, on the committer thread; and, on a real SQLite store, 32
 * threads accepting at once store every job once, in fewer commits than jobs, and an invalid job
 * among them is refused alone.
 */
#include "tests/support/test_support.h"

#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/metrics.h"
#include "queue/accept_batch.h"
#include "queue/queue_metrics.h"
#include "queue/store.h"
#include "translate/stored_items.h"

#define THREADS 32
#define JOBS_PER_THREAD 8

/* ---- the batcher's logic, with a backend step that records what it was given ---- */

typedef struct recorder {
    pthread_mutex_t lock;
    size_t batches, jobs, largest;
    int64_t next_id;
    int fail_transaction_of_tenant; /* a batch holding this tenant's job fails as a whole */
    int committed_in_flight;        /* >0 while a step runs: two at once would break the promise */
    int overlapped;
} recorder;

static void sleep_ms(int ms)
{
    struct timespec delay = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&delay, NULL);
}

static cm_err recording_step(void *context, const q_new_job *const *jobs, size_t count, int64_t *job_ids,
                             cm_err *results)
{
    recorder *r = context;
    pthread_mutex_lock(&r->lock);
    if (r->committed_in_flight++)
        r->overlapped = 1;
    r->batches++;
    r->jobs += count;
    if (count > r->largest)
        r->largest = count;
    int fail_all = 0;
    for (size_t i = 0; i < count; i++)
        if (jobs[i]->tenant_id == r->fail_transaction_of_tenant)
            fail_all = 1;
    for (size_t i = 0; i < count && !fail_all; i++) {
        /* A job of tenant 13 is invalid on its own. */
        results[i] = jobs[i]->tenant_id == 13 ? CM_EINVAL : CM_OK;
        job_ids[i] = results[i] ? 0 : ++r->next_id;
    }
    pthread_mutex_unlock(&r->lock);
    sleep_ms(5); /* the commit's fsync: others arrive meanwhile */
    pthread_mutex_lock(&r->lock);
    r->committed_in_flight--;
    pthread_mutex_unlock(&r->lock);
    return fail_all ? CM_EFULL : CM_OK;
}

typedef struct submitter {
    q_accept_batch *batch;
    int64_t tenant_id;
    int64_t ids[JOBS_PER_THREAD];
    cm_err results[JOBS_PER_THREAD];
} submitter;

static void *submit_jobs(void *data)
{
    submitter *s = data;
    for (int i = 0; i < JOBS_PER_THREAD; i++) {
        q_new_job job = {.tenant_id = s->tenant_id};
        s->results[i] = q_accept_batch_submit(s->batch, &job, &s->ids[i]);
    }
    return NULL;
}

static void run_submitters(q_accept_batch *batch, submitter *subs, int count, int64_t first_tenant)
{
    pthread_t threads[THREADS];
    for (int t = 0; t < count; t++) {
        subs[t].batch = batch;
        subs[t].tenant_id = first_tenant + t;
        assert_int_equal(pthread_create(&threads[t], NULL, submit_jobs, &subs[t]), 0);
    }
    for (int t = 0; t < count; t++)
        assert_int_equal(pthread_join(threads[t], NULL), 0);
}

static void test_a_lone_request_is_committed_at_once(void **state)
{
    (void)state;
    recorder r = {.lock = PTHREAD_MUTEX_INITIALIZER};
    q_accept_batch batch;
    q_accept_batch_init(&batch, recording_step, &r, "test");
    q_new_job job = {.tenant_id = 1};
    int64_t id = 0;
    assert_int_equal(q_accept_batch_submit(&batch, &job, &id), CM_OK);
    assert_int_equal(id, 1);
    assert_int_equal(r.batches, 1);
    assert_int_equal(r.jobs, 1);
    q_accept_batch_destroy(&batch);
}

/* What the asynchronous callbacks saw, in the order they ran. */
typedef struct reports {
    pthread_mutex_t lock;
    size_t count;
    int64_t tenants[64];
    int64_t ids[64];
    cm_err results[64];
    pthread_t threads[64];
} reports;

typedef struct async_job {
    q_new_job job;
    q_accept_ticket ticket;
    reports *seen;
} async_job;

static void record_report(void *data, cm_err rc, int64_t job_id)
{
    async_job *a = data;
    pthread_mutex_lock(&a->seen->lock);
    size_t i = a->seen->count++;
    a->seen->tenants[i] = a->job.tenant_id;
    a->seen->ids[i] = job_id;
    a->seen->results[i] = rc;
    a->seen->threads[i] = pthread_self();
    pthread_mutex_unlock(&a->seen->lock);
}

/* The recording step behind a gate the test opens: while it is shut, no commit can end. */
static sem_t commit_gate;

static cm_err gated_step(void *context, const q_new_job *const *jobs, size_t count, int64_t *job_ids,
                         cm_err *results)
{
    while (sem_wait(&commit_gate) != 0) {
    }
    sem_post(&commit_gate); /* open stays open */
    return recording_step(context, jobs, count, job_ids, results);
}

/* Submitted without waiting while no commit can end: the submitter never blocks (it would hang),
 * the jobs share commits, each result is reported once, in submission order, on the committer
 * thread; destroying the batch right after the last submit still commits and reports them all. */
static void test_asynchronous_submits(void **state)
{
    (void)state;
    recorder r = {.lock = PTHREAD_MUTEX_INITIALIZER};
    reports seen = {.lock = PTHREAD_MUTEX_INITIALIZER};
    q_accept_batch batch;
    sem_init(&commit_gate, 0, 0);
    assert_int_equal(q_accept_batch_init(&batch, gated_step, &r, "test"), CM_OK);
    async_job jobs[40];
    for (int i = 0; i < 40; i++) {
        jobs[i].job = (q_new_job){.tenant_id = i == 7 ? 13 : 100 + i}; /* tenant 13: invalid alone */
        jobs[i].seen = &seen;
        q_accept_batch_submit_async(&batch, &jobs[i].job, &jobs[i].ticket, record_report, &jobs[i]);
    }
    pthread_mutex_lock(&seen.lock);
    assert_int_equal(seen.count, 0); /* nothing reported before its commit */
    pthread_mutex_unlock(&seen.lock);
    sem_post(&commit_gate);
    q_accept_batch_destroy(&batch);
    sem_destroy(&commit_gate);
    assert_int_equal(seen.count, 40);
    assert_true(r.batches < 40);
    assert_false(r.overlapped);
    int64_t last_id = 0;
    for (int i = 0; i < 40; i++) {
        assert_int_equal(seen.tenants[i], jobs[i].job.tenant_id);
        assert_false(pthread_equal(seen.threads[i], pthread_self()));
        if (i == 7) {
            assert_int_equal(seen.results[i], CM_EINVAL);
            assert_int_equal(seen.ids[i], 0);
            continue;
        }
        assert_int_equal(seen.results[i], CM_OK);
        assert_true(seen.ids[i] > last_id);
        last_id = seen.ids[i];
    }
}

static void test_concurrent_requests_share_commits(void **state)
{
    (void)state;
    recorder r = {.lock = PTHREAD_MUTEX_INITIALIZER};
    q_accept_batch batch;
    q_accept_batch_init(&batch, recording_step, &r, "test");
    submitter subs[THREADS];
    memset(subs, 0, sizeof subs);
    run_submitters(&batch, subs, THREADS, 100);
    assert_int_equal(r.jobs, THREADS * JOBS_PER_THREAD);
    /* 256 jobs from 32 threads that each wait for their commit: far fewer commits than jobs. */
    assert_true(r.batches < r.jobs / 2);
    assert_true(r.largest > 1);
    assert_true(r.largest <= Q_ACCEPT_BATCH_MAX);
    assert_false(r.overlapped);
    /* Every job got its own id, and each thread's ids rise in the order it submitted them. */
    char *seen = calloc(THREADS * JOBS_PER_THREAD + 1, 1);
    assert_non_null(seen);
    for (int t = 0; t < THREADS; t++) {
        for (int i = 0; i < JOBS_PER_THREAD; i++) {
            assert_int_equal(subs[t].results[i], CM_OK);
            int64_t id = subs[t].ids[i];
            assert_true(id >= 1 && id <= THREADS * JOBS_PER_THREAD);
            assert_false(seen[id]);
            seen[id] = 1;
            if (i)
                assert_true(id > subs[t].ids[i - 1]);
        }
    }
    free(seen);
    q_accept_batch_destroy(&batch);
}

static void test_errors_of_a_job_and_of_a_transaction(void **state)
{
    (void)state;
    recorder r = {.lock = PTHREAD_MUTEX_INITIALIZER, .fail_transaction_of_tenant = 17};
    q_accept_batch batch;
    q_accept_batch_init(&batch, recording_step, &r, "test");
    submitter subs[THREADS];
    /* Tenant 13's jobs are invalid on their own: they alone are refused. */
    memset(subs, 0, sizeof subs);
    run_submitters(&batch, subs, 4, 10); /* tenants 10..13 */
    for (int t = 0; t < 4; t++) {
        for (int i = 0; i < JOBS_PER_THREAD; i++) {
            if (subs[t].tenant_id == 13) {
                assert_int_equal(subs[t].results[i], CM_EINVAL);
                assert_int_equal(subs[t].ids[i], 0);
            } else {
                assert_int_equal(subs[t].results[i], CM_OK);
                assert_true(subs[t].ids[i] > 0);
            }
        }
    }
    /* A batch holding a job of tenant 17 fails as a transaction: every job in it is refused. */
    memset(subs, 0, sizeof subs);
    run_submitters(&batch, subs, 4, 14); /* tenants 14..17 */
    for (int t = 0; t < 4; t++) {
        for (int i = 0; i < JOBS_PER_THREAD; i++) {
            if (subs[t].tenant_id == 17 || subs[t].results[i] != CM_OK) {
                assert_int_equal(subs[t].results[i], CM_EFULL);
                assert_int_equal(subs[t].ids[i], 0);
            } else {
                assert_true(subs[t].ids[i] > 0);
            }
        }
    }
    q_accept_batch_destroy(&batch);
}

/* ---- on a real SQLite store ---- */

typedef struct store_submitter {
    q_store *store;
    int64_t tenant_id;
    int with_invalid_job;
    int64_t ids[JOBS_PER_THREAD];
    cm_err results[JOBS_PER_THREAD];
} store_submitter;

static void *accept_into_store(void *data)
{
    store_submitter *s = data;
    cm_body items;
    cm_body_init(&items, 1 << 20);
    size_t ends[3];
    for (int i = 0; i < JOBS_PER_THREAD; i++) {
        cm_body_reset(&items);
        for (int k = 0; k < 3; k++) {
            char text[96];
            snprintf(text, sizeof text, "{\"sku\":\"T%lld-J%d-%d\",\"quantity\":%d}", (long long)s->tenant_id, i, k,
                     i * 10 + k);
            json_object *item = json_tokener_parse(text);
            tr_stored_append_json(&items, item);
            json_object_put(item);
            ends[k] = items.length;
        }
        q_new_job job = {.tenant_id = s->tenant_id, .location_name = "Location 1", .oci_location = "warehouse-1",
                         .organization_id = "org1", .accepted_ms = cm_now_ms(), .item_count = 3, .chunk_size = 2,
                         .items = items.data, .item_ends = ends};
        if (s->with_invalid_job && i == 3) {
            /* Neither items nor chunks: refused on its own (its savepoint rolls back) while the
             * jobs committed with it are kept. */
            job.item_count = 0;
            job.items = NULL;
            job.item_ends = NULL;
        }
        s->results[i] = q_store_accept(s->store, &job, &s->ids[i]);
    }
    cm_body_free(&items);
    return NULL;
}

/* The value of a counter line "<name>{backend="sqlite"} <value>" in the metrics text. */
static double sqlite_counter(const char *name)
{
    size_t length = 0;
    char *text = cm_metrics_render(&length);
    assert_non_null(text);
    char needle[128];
    snprintf(needle, sizeof needle, "%s{backend=\"sqlite\"} ", name);
    const char *at = strstr(text, needle);
    double value = at ? strtod(at + strlen(needle), NULL) : 0; /* a series appears at its first add */
    free(text);
    return value;
}

static void test_sqlite_store_groups_commits(void **state)
{
    (void)state;
    char dir[256], path[320];
    th_temp_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/gateway.db", dir);
    q_metrics_register();
    q_store_options options = {.backend = Q_STORE_SQLITE, .sqlite_path = path, .connections = 2};
    char error[Q_STORE_ERROR_MAX];
    q_store *store = NULL;
    assert_int_equal(q_store_open(&options, &store, error), CM_OK);
    double commits_before = sqlite_counter("omsgw_accept_commits_total");
    double jobs_before = sqlite_counter("omsgw_accept_commit_jobs_total");

    store_submitter subs[THREADS];
    pthread_t threads[THREADS];
    for (int t = 0; t < THREADS; t++) {
        subs[t] = (store_submitter){.store = store, .tenant_id = 1 + t % 4, .with_invalid_job = t % 2};
        assert_int_equal(pthread_create(&threads[t], NULL, accept_into_store, &subs[t]), 0);
    }
    for (int t = 0; t < THREADS; t++)
        assert_int_equal(pthread_join(threads[t], NULL), 0);

    /* Every job stored once, with its own items, readable by its id. */
    int total = THREADS * JOBS_PER_THREAD - THREADS / 2;
    for (int t = 0; t < THREADS; t++) {
        for (int i = 0; i < JOBS_PER_THREAD; i++) {
            if (subs[t].with_invalid_job && i == 3) {
                assert_int_equal(subs[t].results[i], CM_EINVAL);
                continue;
            }
            assert_int_equal(subs[t].results[i], CM_OK);
            q_job job;
            assert_int_equal(q_store_get_job(store, subs[t].tenant_id, subs[t].ids[i], &job), CM_OK);
            assert_int_equal(job.item_count, 3);
            assert_int_equal(job.chunks_total, 2);
            q_job_clear(&job);
            if (i && !(subs[t].with_invalid_job && i == 4))
                assert_true(subs[t].ids[i] > subs[t].ids[i - 1]);
        }
    }
    int64_t pending = 0;
    assert_int_equal(q_store_count(store, Q_PENDING, &pending), CM_OK);
    assert_int_equal(pending, total);
    double commits = sqlite_counter("omsgw_accept_commits_total") - commits_before;
    double jobs = sqlite_counter("omsgw_accept_commit_jobs_total") - jobs_before;
    assert_true(jobs == THREADS * JOBS_PER_THREAD); /* the refused ones were in a commit too */
    /* Not a timing promise (a slow machine commits sooner than others arrive): at least one commit
     * held more than one job, and never more commits than jobs. */
    assert_true(commits >= 1 && commits < total);
    fprintf(stderr, "sqlite: %d jobs in %.0f commits\n", total, commits);

    /* Nothing was lost when the store reopens. */
    q_store_close(store);
    assert_int_equal(q_store_open(&options, &store, error), CM_OK);
    assert_int_equal(q_store_count(store, Q_PENDING, &pending), CM_OK);
    assert_int_equal(pending, total);
    q_store_close(store);
    th_remove_tree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_lone_request_is_committed_at_once),
        cmocka_unit_test(test_concurrent_requests_share_commits),
        cmocka_unit_test(test_asynchronous_submits),
        cmocka_unit_test(test_errors_of_a_job_and_of_a_transaction),
        cmocka_unit_test(test_sqlite_store_groups_commits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
