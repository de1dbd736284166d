/*
 * test_queue_worker.c - the worker pool (queue/worker.c) over a real store, each behaviour on
 * real SQLite files and on a real PostgreSQL server the test starts
 * (tests/support/queue_fixture.h): chunk boundaries, per-tenant order with last-write-wins,
 * tenants in parallel, retries (back-off, Retry-After, final failures, the budget), per-item
 * refusals, extras, the queue cutting the items, rows stored before the stored item form, a
 * parked head that blocks only its tenant, adjust jobs after refreshes, and coalescing small
 * jobs.
 */
#include "tests/support/queue_fixture.h"

#include <libpq-fe.h>
#include <sqlite3.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/body.h"
#include "common/clock.h"
#include "common/json_util.h"
#include "queue/adjust.h"
#include "queue/retry.h"
#include "tests/support/omsgw_process.h"

static void test_chunk_boundaries(void **state)
{
    qf_fixture *f = *state;
    qf_start_pool(f, 2, 60000);
    const size_t sizes[] = {1, 2999, 3000, 3001, 6000, 6001, 12000};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        size_t before = f->delivery->call_count;
        int64_t id = qf_accept_job(f, 1, sizes[s], "B", sizes[s], 0, 3000);
        q_job job = qf_wait_finished(f, 1, id, 30000);
        assert_int_equal(job.status, Q_SUCCESS);
        assert_true(job.success);
        int64_t expected_chunks = ((int64_t)sizes[s] + 2999) / 3000;
        assert_int_equal(job.chunks_total, expected_chunks);
        assert_int_equal(job.chunks_done, expected_chunks);
        assert_int_equal(job.items_applied, (int64_t)sizes[s]);
        assert_int_equal(job.items_failed, 0);
        q_job_clear(&job);
        size_t calls = f->delivery->call_count - before;
        assert_int_equal(calls, (size_t)expected_chunks);
        size_t total = 0;
        for (size_t c = 0; c < calls; c++) {
            qf_call *call = &f->delivery->calls[before + c];
            assert_int_equal(call->chunk_index, (int64_t)c);
            assert_int_equal(call->first_item_index, c * 3000);
            size_t expected = sizes[s] - c * 3000 < 3000 ? sizes[s] - c * 3000 : 3000;
            assert_int_equal(call->record_count, expected);
            total += call->record_count;
        }
        assert_int_equal(total, sizes[s]);
    }
    assert_int_equal(f->delivery->double_applies, 0);
}

static void test_tenant_order_and_last_wins(void **state)
{
    qf_fixture *f = *state;
    f->delivery->delay_ms = 15;
    int64_t ids[6];
    /* Accept before workers start, so all six wait together. */
    for (int i = 0; i < 6; i++)
        ids[i] = qf_accept_job(f, 1, 3, "ORD", 3, (i + 1) * 100, 3000);
    qf_start_pool(f, 4, 60000);
    for (int i = 0; i < 6; i++) {
        q_job job = qf_wait_finished(f, 1, ids[i], 20000);
        assert_int_equal(job.status, Q_SUCCESS);
        q_job_clear(&job);
    }
    /* One at a time, in acceptance order. */
    assert_int_equal(f->delivery->max_per_tenant_concurrent, 1);
    for (size_t c = 1; c < f->delivery->call_count; c++)
        assert_true(f->delivery->calls[c].job_id > f->delivery->calls[c - 1].job_id);
    /* The last job's quantities won: base 600 + index. */
    for (int sku = 0; sku < 3; sku++) {
        char name[32];
        snprintf(name, sizeof name, "ORD-%d", sku);
        assert_int_equal(*qf_on_hand_slot(f->delivery, name), (600 + sku) * 1000);
    }
}

static void test_tenants_run_in_parallel(void **state)
{
    qf_fixture *f = *state;
    f->delivery->delay_ms = 200;
    int64_t a = qf_accept_job(f, 1, 10, "PA", 10, 0, 3000);
    int64_t b = qf_accept_job(f, 2, 10, "PB", 10, 0, 3000);
    int64_t a2 = qf_accept_job(f, 1, 10, "PA", 10, 0, 3000);
    qf_start_pool(f, 2, 60000);
    q_job job = qf_wait_finished(f, 1, a2, 20000);
    q_job_clear(&job);
    job = qf_wait_finished(f, 1, a, 20000);
    q_job_clear(&job);
    job = qf_wait_finished(f, 2, b, 20000);
    q_job_clear(&job);
    assert_int_equal(f->delivery->max_concurrent, 2);
    assert_int_equal(f->delivery->max_per_tenant_concurrent, 1);
}

static void test_retry_then_success(void **state)
{
    qf_fixture *f = *state;
    f->delivery->script[0] = Q_DELIVERY_RETRY;
    f->delivery->script_retry_after[0] = -1;
    f->delivery->script[1] = Q_DELIVERY_RETRY;
    f->delivery->script_retry_after[1] = -1;
    f->delivery->script_length = 2;
    int64_t id = qf_accept_job(f, 1, 5, "R", 5, 0, 3000);
    qf_start_pool(f, 1, 60000);
    q_job job = qf_wait_finished(f, 1, id, 20000);
    assert_int_equal(job.status, Q_SUCCESS);
    assert_true(job.success);
    assert_int_equal(job.attempts, 3); /* claimed three times: two parked retries, then done */
    assert_int_equal(f->delivery->call_count, 3);
    q_job_clear(&job);
}

static void test_retry_after_is_honoured(void **state)
{
    qf_fixture *f = *state;
    f->delivery->script[0] = Q_DELIVERY_RETRY;
    f->delivery->script_retry_after[0] = 400;
    f->delivery->script_length = 1;
    int64_t id = qf_accept_job(f, 1, 1, "RA", 1, 0, 3000);
    qf_start_pool(f, 1, 60000);
    q_job job = qf_wait_finished(f, 1, id, 20000);
    assert_int_equal(job.status, Q_SUCCESS);
    q_job_clear(&job);
    assert_int_equal(f->delivery->call_count, 2);
    int64_t gap = f->delivery->calls[1].started_ms - f->delivery->calls[0].started_ms;
    assert_true(gap >= 400);
}

/* The two jobs are first delivered together (coalesced); OCI refuses that batch as a whole, so each
 * runs alone: the first is refused again and fails, the next one is not held back by it. */
static void test_final_failure_is_not_retried(void **state)
{
    qf_fixture *f = *state;
    f->delivery->script[0] = Q_DELIVERY_FINAL;
    f->delivery->script[1] = Q_DELIVERY_FINAL;
    f->delivery->script_length = 2;
    int64_t id = qf_accept_job(f, 1, 4, "F", 4, 0, 3000);
    int64_t next = qf_accept_job(f, 1, 1, "F2", 1, 0, 3000);
    qf_start_pool(f, 1, 60000);
    q_job job = qf_wait_finished(f, 1, id, 20000);
    assert_int_equal(job.status, Q_FAILED);
    assert_false(job.success);
    assert_non_null(strstr(job.messages_json, "scripted final"));
    q_job_clear(&job);
    /* The tenant's next job is not held back by the failed one. */
    job = qf_wait_finished(f, 1, next, 20000);
    assert_int_equal(job.status, Q_SUCCESS);
    assert_int_equal(job.items_applied, 1);
    q_job_clear(&job);
    assert_int_equal(f->delivery->call_count, 3);
    assert_int_equal(f->delivery->calls[0].record_count, 5);
    assert_true(f->delivery->calls[0].batch_key[0] != '\0');
    assert_int_equal(f->delivery->calls[1].job_id, id);
    assert_string_equal(f->delivery->calls[1].batch_key, "");
    assert_int_equal(f->delivery->calls[2].job_id, next);
}

static void test_retry_budget_exhausted(void **state)
{
    qf_fixture *f = *state;
    f->delivery->always_retry = 1;
    int64_t id = qf_accept_job(f, 1, 2, "BUD", 2, 0, 3000);
    qf_start_pool(f, 1, 300);
    int64_t started = cm_mono_ms();
    q_job job = qf_wait_finished(f, 1, id, 20000);
    int64_t took = cm_mono_ms() - started;
    assert_int_equal(job.status, Q_FAILED);
    assert_non_null(strstr(job.messages_json, "retry budget"));
    assert_int_equal(job.items_applied, 0);
    assert_true(f->delivery->call_count >= 3);
    assert_true(took < 5000);
    q_job_clear(&job);
}

static void test_item_refusals_are_results(void **state)
{
    qf_fixture *f = *state;
    f->delivery->refuse_item_index = 3001;
    int64_t id = qf_accept_job(f, 1, 3005, "REF", 3005, 0, 3000);
    qf_start_pool(f, 1, 60000);
    q_job job = qf_wait_finished(f, 1, id, 30000);
    assert_int_equal(job.status, Q_SUCCESS);
    assert_false(job.success);
    assert_int_equal(job.items_failed, 1);
    assert_int_equal(job.items_applied, 3004);
    assert_non_null(strstr(job.messages_json, "items[3001] (sku REF-3001): InventoryReset"));
    q_job_clear(&job);
    assert_int_equal(f->delivery->call_count, 2); /* refusals are not retried */
}

static void test_all_refused_fails_the_job(void **state)
{
    qf_fixture *f = *state;
    f->delivery->refuse_all = 1;
    int64_t id = qf_accept_job(f, 1, 3, "ALL", 3, 0, 3000);
    qf_start_pool(f, 1, 60000);
    q_job job = qf_wait_finished(f, 1, id, 20000);
    assert_int_equal(job.status, Q_FAILED);
    assert_int_equal(job.items_failed, 3);
    assert_non_null(strstr(job.messages_json, "refused every item"));
    q_job_clear(&job);
}

static void test_extras_are_kept(void **state)
{
    qf_fixture *f = *state;
    int64_t id = qf_accept_job(f, 1, 2, "EX", 2, 5, 3000);
    qf_start_pool(f, 1, 60000);
    q_job job = qf_wait_finished(f, 1, id, 20000);
    q_job_clear(&job);
    char *extras = NULL;
    assert_int_equal(q_store_get_extras(f->store, 1, "loc-1", "EX-1", &extras), CM_OK);
    assert_string_equal(extras, "{\"binID\":7}");
    free(extras);
}

/* The queue cuts the items it is given into chunk rows of chunk_size, each in the stored form with
 * its own header, in the one accepting transaction. */
static void test_queue_cuts_the_items(void **state)
{
    qf_fixture *f = *state;
    int64_t id = qf_accept_job(f, 1, 5, "CUT", 5, 10, 2);
    q_job job;
    assert_int_equal(q_store_get_job(f->store, 1, id, &job), CM_OK);
    assert_int_equal(job.chunks_total, 3);
    assert_int_equal(job.item_count, 5);
    q_job_clear(&job);
    static const char *const expected[] = {
        "omsgw-items/2 2\n10 - - 5:CUT-0 - - 9:\"binID\":7\n11 - - 5:CUT-1 - - 9:\"binID\":7\n",
        "omsgw-items/2 2\n12 - - 5:CUT-2 - - 9:\"binID\":7\n13 - - 5:CUT-3 - - 9:\"binID\":7\n",
        "omsgw-items/2 1\n14 - - 5:CUT-4 - - 9:\"binID\":7\n",
    };
    for (int64_t c = 0; c < 3; c++) {
        char *payload = NULL;
        size_t length = 0;
        assert_int_equal(q_store_load_chunk(f->store, id, c, &payload, &length), CM_OK);
        assert_string_equal(payload, expected[c]);
        assert_int_equal(length, strlen(expected[c]));
        free(payload);
    }
    char *payload = NULL;
    size_t length = 0;
    assert_int_equal(q_store_load_chunk(f->store, id, 3, &payload, &length), CM_ENOTFOUND);
    /* Neither items nor chunks: refused, nothing stored. */
    q_new_job empty = {.tenant_id = 1, .location_name = "L", .oci_location = "loc-1", .organization_id = "org1",
                       .accepted_ms = cm_now_ms(), .item_count = 1, .chunk_size = 3000};
    int64_t none = 0;
    assert_int_equal(q_store_accept(f->store, &empty, &none), CM_EINVAL);
    assert_int_equal(none, 0);
}

/* Jobs accepted before an upgrade keep their chunks as JSON arrays: the worker still delivers them,
 * with the same records and the same extras as the stored form. */
static void test_old_rows_are_still_delivered(void **state)
{
    qf_fixture *f = *state;
    qf_next_job_legacy_rows = 1;
    int64_t old = qf_accept_job(f, 1, 3001, "OLD", 3001, 5, 3000);
    int64_t current = qf_accept_job(f, 1, 3001, "NEW", 3001, 5, 3000);
    qf_start_pool(f, 1, 60000);
    q_job job = qf_wait_finished(f, 1, current, 30000);
    assert_int_equal(job.status, Q_SUCCESS);
    q_job_clear(&job);
    job = qf_wait_finished(f, 1, old, 30000);
    assert_int_equal(job.status, Q_SUCCESS);
    assert_int_equal(job.items_applied, 3001);
    assert_int_equal(job.items_failed, 0);
    q_job_clear(&job);
    assert_int_equal(f->delivery->call_count, 4);
    for (size_t c = 0; c < 2; c++) {
        assert_int_equal(f->delivery->calls[c].record_count, f->delivery->calls[c + 2].record_count);
        assert_int_equal(f->delivery->calls[c].first_item_index, f->delivery->calls[c + 2].first_item_index);
    }
    char *extras = NULL;
    assert_int_equal(q_store_get_extras(f->store, 1, "loc-1", "OLD-3000", &extras), CM_OK);
    assert_string_equal(extras, "{\"binID\":7}");
    free(extras);
    assert_int_equal(q_store_get_extras(f->store, 1, "loc-1", "NEW-3000", &extras), CM_OK);
    assert_string_equal(extras, "{\"binID\":7}");
    free(extras);
}

/* The two published failure modes of per-key queues (../shared/spec/postgres-queue.md §4.7): a
 * head parked for a retry blocks its own tenant, never the others, and is never skipped. */
static void test_parked_head_blocks_only_its_tenant(void **state)
{
    qf_fixture *f = *state;
    int64_t a1 = qf_accept_job(f, 1, 1, "PH", 1, 0, 3000);
    int64_t a2 = qf_accept_job(f, 1, 1, "PH", 1, 0, 3000);
    int64_t b1 = qf_accept_job(f, 2, 1, "PB", 1, 0, 3000);
    q_job job;
    assert_int_equal(q_store_claim(f->store, "w1", cm_now_ms(), &job), CM_OK);
    assert_int_equal(job.job_id, a1);
    q_job_clear(&job);
    /* A stranger cannot park (or otherwise touch) a job it does not hold. */
    assert_int_equal(q_store_park(f->store, a1, "stranger", cm_now_ms() + 60000, cm_now_ms(), "x"), CM_ESTATE);
    assert_int_equal(q_store_park(f->store, a1, "w1", cm_now_ms() + 60000, cm_now_ms(), "OCI answered 503"),
                     CM_OK);
    assert_int_equal(q_store_claim(f->store, "w2", cm_now_ms(), &job), CM_OK);
    assert_int_equal(job.job_id, b1);
    q_job_clear(&job);
    /* Tenant 1's second job waits behind the parked head; tenant 2's only job is held. */
    assert_int_equal(q_store_claim(f->store, "w3", cm_now_ms(), &job), CM_ENOTFOUND);
    assert_int_equal(q_store_get_job(f->store, 1, a1, &job), CM_OK);
    assert_int_equal(job.status, Q_WORKING);
    assert_string_equal(job.last_error, "OCI answered 503");
    q_job_clear(&job);
    assert_int_equal(q_store_get_job(f->store, 1, a2, &job), CM_OK);
    assert_int_equal(job.status, Q_PENDING);
    q_job_clear(&job);
    /* When its retry time has come, the parked head (not a2) is claimed again. */
    assert_int_equal(q_store_claim(f->store, "w4", cm_now_ms() + 61000, &job), CM_OK);
    assert_int_equal(job.job_id, a1);
    assert_int_equal(job.attempts, 2);
    q_job_clear(&job);
}

/* A refresh, then an adjust, then a refresh of the same SKUs: applied in that order; within the
 * adjust, a SKU listed twice adds both deltas; an unknown SKU starts from 0; a delta below 0
 * writes 0 with a note; safety stock is kept as read; the list's types filter selects by type. */
static void test_refresh_then_adjust_in_order(void **state)
{
    qf_fixture *f = *state;
    int64_t refresh = qf_accept_job(f, 1, 3, "ADJ", 3, 10, 3000); /* ADJ-0 10, ADJ-1 11, ADJ-2 12 */
    int64_t adjust = qf_accept_adjust(f, 1,
                                   "[{\"sku\":\"ADJ-0\",\"quantity\":-3},{\"sku\":\"ADJ-1\",\"quantity\":4},"
                                   "{\"sku\":\"ADJ-0\",\"quantity\":-2},{\"sku\":\"NEW-1\",\"quantity\":5},"
                                   "{\"sku\":\"ADJ-2\",\"quantity\":-100}]",
                                   5);
    qf_next_job_type = Q_JOB_ADJUST;
    int64_t second_adjust = qf_accept_job(f, 1, 1, "ADJ", 1, -1, 3000); /* ADJ-0 −1 */
    qf_start_pool(f, 3, 60000);
    q_job job = qf_wait_finished(f, 1, second_adjust, 20000);
    assert_int_equal(job.type, Q_JOB_ADJUST);
    assert_int_equal(job.status, Q_SUCCESS);
    q_job_clear(&job);
    job = qf_wait_finished(f, 1, adjust, 20000);
    assert_int_equal(job.status, Q_SUCCESS);
    assert_true(job.success);
    assert_non_null(strstr(job.messages_json, "items[4] (sku ADJ-2): on-hand 12 -100 would be below 0"));
    q_job_clear(&job);
    assert_int_equal(qf_on_hand_of(f, "ADJ-0"), (10 - 3 - 2 - 1) * 1000);
    assert_int_equal(qf_on_hand_of(f, "ADJ-1"), 15000);
    assert_int_equal(qf_on_hand_of(f, "NEW-1"), 5000);
    assert_int_equal(qf_on_hand_of(f, "ADJ-2"), 0);
    assert_int_equal(f->delivery->last_safety_milli, 2000); /* as the read reported it */
    /* Strictly in acceptance order, one at a time. */
    assert_int_equal(f->delivery->max_per_tenant_concurrent, 1);
    for (size_t c = 1; c < f->delivery->call_count; c++)
        assert_true(f->delivery->calls[c].job_id > f->delivery->calls[c - 1].job_id);
    assert_int_equal(f->delivery->calls[0].job_id, refresh);

    q_job *jobs = NULL;
    size_t count = 0;
    q_job_filter filter = {.tenant_id = 1, .types = Q_JOB_ADJUST, .limit = 10};
    assert_int_equal(q_store_list_jobs(f->store, &filter, &jobs, &count), CM_OK);
    assert_int_equal(count, 2);
    assert_int_equal(jobs[0].job_id, second_adjust);
    assert_int_equal(jobs[1].job_id, adjust);
    for (size_t i = 0; i < count; i++)
        q_job_clear(&jobs[i]);
    free(jobs);
    filter.types = Q_JOB_REFRESH;
    assert_int_equal(q_store_list_jobs(f->store, &filter, &jobs, &count), CM_OK);
    assert_int_equal(count, 1);
    assert_int_equal(jobs[0].type, Q_JOB_REFRESH);
    q_job_clear(&jobs[0]);
    free(jobs);
    filter.types = 0;
    assert_int_equal(q_store_list_jobs(f->store, &filter, &jobs, &count), CM_OK);
    assert_int_equal(count, 3);
    for (size_t i = 0; i < count; i++)
        q_job_clear(&jobs[i]);
    free(jobs);
}

/* A chunk delivered again (here after a retry) writes the values saved before the first try,
 * not a fresh read + delta: the delta is never added twice, even if on-hand moved meanwhile. */
static void test_adjust_redelivery_uses_saved_values(void **state)
{
    qf_fixture *f = *state;
    int64_t refresh = qf_accept_job(f, 1, 1, "RD", 1, 10, 3000); /* RD-0 = 10 */
    qf_start_pool(f, 1, 60000);
    q_job job = qf_wait_finished(f, 1, refresh, 20000);
    q_job_clear(&job);
    /* The adjust's first delivery fails (call 1), the second succeeds. */
    f->delivery->script[0] = Q_DELIVERY_OK;
    f->delivery->script[1] = Q_DELIVERY_RETRY;
    f->delivery->script_retry_after[1] = -1;
    f->delivery->script_length = 2;
    int64_t before = cm_now_ms();
    int64_t adjust = qf_accept_adjust(f, 1, "[{\"sku\":\"RD-0\",\"quantity\":5}]", 1);
    q_pool_notify(f->pool);
    job = qf_wait_finished(f, 1, adjust, 20000);
    assert_int_equal(job.status, Q_SUCCESS);
    q_job_clear(&job);
    assert_int_equal(f->delivery->call_count, 3);
    assert_int_equal(f->delivery->reads, 1); /* read once; the retry used the saved values */
    assert_int_equal(qf_on_hand_of(f, "RD-0"), 15000);
    /* effectiveDate = the moment of the read. */
    assert_true(f->delivery->last_effective_ms >= before);
    assert_true(f->delivery->last_effective_ms <= cm_now_ms());
}

/* 250 distinct SKUs in one chunk: read in calls of at most 100. */
static void test_adjust_reads_in_batches_of_100(void **state)
{
    qf_fixture *f = *state;
    qf_next_job_type = Q_JOB_ADJUST;
    int64_t adjust = qf_accept_job(f, 1, 250, "BAT", 250, 1, 3000);
    qf_start_pool(f, 1, 60000);
    q_job job = qf_wait_finished(f, 1, adjust, 20000);
    assert_int_equal(job.status, Q_SUCCESS);
    q_job_clear(&job);
    assert_int_equal(f->delivery->reads, 3);
    assert_int_equal(f->delivery->max_read_cells, 100);
    assert_int_equal(qf_on_hand_of(f, "BAT-249"), 250000);
}

/* Many small jobs queued while the tenant is held are delivered in few deliveries: records in
 * acceptance order (a SKU ends at the last accepted value), each job with its own results. */
static void test_small_jobs_are_coalesced(void **state)
{
    qf_fixture *f = *state;
    assert_int_equal(q_store_hold(f->store, 1, Q_HOLD_OPERATOR, "coalescing test", cm_now_ms()), CM_OK);
    enum { JOBS = 60 };
    int64_t ids[JOBS];
    for (int i = 0; i < JOBS; i++)
        ids[i] = qf_accept_job(f, 1, (size_t)(1 + i % 3), "CO", 4, 100 * i, 3000); /* skus CO-0..CO-2 repeat */
    f->delivery->refuse_item_index = 2; /* the third item of the 3-item jobs */
    qf_start_pool(f, 2, 60000);
    assert_int_equal(q_store_release_hold(f->store, 1, Q_HOLD_OPERATOR), CM_OK);
    for (int i = 0; i < JOBS; i++) {
        q_job job = qf_wait_finished(f, 1, ids[i], 30000);
        assert_int_equal(job.status, Q_SUCCESS);
        size_t items = (size_t)(1 + i % 3);
        assert_int_equal(job.items_applied + job.items_failed, (int64_t)items);
        assert_int_equal(job.items_failed, items == 3 ? 1 : 0);
        assert_int_equal(job.success, items == 3 ? 0 : 1);
        if (items == 3)
            assert_non_null(strstr(job.messages_json, "items[2] (sku CO-2): InventoryReset"));
        q_job_clear(&job);
    }
    assert_true(f->delivery->call_count < JOBS / 4);
    assert_int_equal(f->delivery->double_applies, 0);
    /* The last job with each sku: CO-0 and CO-1 in job 59 (2 items: 5900, 5901); CO-2 (refused in
     * 3-item jobs) only ever applied... never: it is always item 2. */
    assert_int_equal(qf_on_hand_of(f, "CO-0"), 5900 * 1000);
    assert_int_equal(qf_on_hand_of(f, "CO-1"), 5901 * 1000);
    for (size_t c = 0; c < f->delivery->call_count; c++)
        assert_true(f->delivery->calls[c].batch_key[0] != '\0' || f->delivery->calls[c].record_count <= 3);
}

/* The refused items' reasons cannot be read back when the job finishes (the table is gone behind
 * the store's back, a store that keeps failing): the job waits and tries again, and once the retry
 * budget is spent it is finished all the same, its messages saying how many items were refused. */
static void test_unreadable_reasons_end_after_the_budget(void **state)
{
    qf_fixture *f = *state;
    f->delivery->refuse_item_index = 5;  /* in the first chunk */
    f->delivery->delay_ms = 300;         /* the second chunk's delivery is the moment to break */
    int64_t id = qf_accept_job(f, 1, 3004, "UR", 3004, 0, 3000);
    qf_start_pool(f, 1, 1500);
    for (int waited = 0;; waited += 10) {
        pthread_mutex_lock(&f->delivery->lock);
        size_t calls = f->delivery->call_count;
        pthread_mutex_unlock(&f->delivery->lock);
        if (calls >= 2)
            break;
        assert_true(waited < 20000);
        cm_sleep_ms(10);
    }
    char path[400];
    snprintf(path, sizeof path, "%s/gateway.db", f->dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    assert_int_equal(sqlite3_exec(db, "DROP TABLE item_failures", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    q_job job = qf_wait_finished(f, 1, id, 30000);
    assert_int_equal(job.status, Q_SUCCESS);
    assert_false(job.success);
    assert_int_equal(job.items_failed, 1);
    assert_int_equal(job.items_applied, 3003);
    assert_non_null(
        strstr(job.messages_json, "1 items were refused by OCI; their reasons could not be read back from the store."));
    /* It was tried more than once: finished at least the budget after the first try. */
    assert_true(job.finished_ms - job.started_ms >= 1500);
    q_job_clear(&job);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        QF_ON_BOTH(test_chunk_boundaries),
        QF_ON_BOTH(test_tenant_order_and_last_wins),
        QF_ON_BOTH(test_tenants_run_in_parallel),
        QF_ON_BOTH(test_retry_then_success),
        QF_ON_BOTH(test_retry_after_is_honoured),
        QF_ON_BOTH(test_final_failure_is_not_retried),
        QF_ON_BOTH(test_retry_budget_exhausted),
        QF_ON_BOTH(test_item_refusals_are_results),
        QF_ON_SQLITE(test_unreadable_reasons_end_after_the_budget),
        QF_ON_BOTH(test_all_refused_fails_the_job),
        QF_ON_BOTH(test_extras_are_kept),
        QF_ON_BOTH(test_queue_cuts_the_items),
        QF_ON_BOTH(test_old_rows_are_still_delivered),
        QF_ON_BOTH(test_parked_head_blocks_only_its_tenant),
        QF_ON_BOTH(test_refresh_then_adjust_in_order),
        QF_ON_BOTH(test_adjust_redelivery_uses_saved_values),
        QF_ON_BOTH(test_adjust_reads_in_batches_of_100),
        QF_ON_BOTH(test_small_jobs_are_coalesced),
    };
    return cmocka_run_group_tests(tests, NULL, qf_group_teardown);
}
