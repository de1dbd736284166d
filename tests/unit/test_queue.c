/*
 * test_queue.c - the durable queue (queue/store.c, queue/worker.c) on real SQLite files, with a test
 * delivery that records every chunk and fails on demand.
 */
#include "common/body.h"
#include "common/clock.h"
#include "common/config.h"
#include "common/json_util.h"
#include "queue/retry.h"
#include "queue/store.h"
#include "queue/worker.h"
#include "tests/support/test_support.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CALLS 4096
#define MAX_SKUS 20000
#define RECORD_SLOTS 262144

/* ---- a delivery that records, applies to an in-memory map, and fails on demand ---- */

typedef struct call_record {
    int64_t tenant_id, job_id, chunk_index;
    size_t record_count;
    size_t first_item_index;
    int64_t started_ms;
} call_record;

typedef struct test_delivery {
    q_delivery base;
    pthread_mutex_t lock;
    call_record calls[MAX_CALLS];
    size_t call_count;
    /* Scripted outcomes: the n-th call returns script[n] while n < script_length, then OK. */
    q_delivery_status script[64];
    int64_t script_retry_after[64];
    size_t script_length;
    int always_retry;
    int refuse_item_index; /* -1: none; else the item index refused in every job */
    int refuse_all;
    int64_t delay_ms;
    int concurrent, max_concurrent;
    int per_tenant_concurrent[8], max_per_tenant_concurrent;
    /* applied state: sku -> on hand (thousandths), and how often each record id was applied */
    char *skus[MAX_SKUS * 4];
    int64_t on_hand[MAX_SKUS * 4];
    size_t sku_count;
    size_t double_applies;
    char **record_ids; /* RECORD_SLOTS slots */
    size_t record_id_count;
} test_delivery;

static uint64_t hash_text(const char *text)
{
    uint64_t hash = 1469598103934665603ULL;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        hash = (hash ^ *p) * 1099511628211ULL;
    return hash;
}

/* Open addressing over MAX_SKUS * 4 slots: the map of applied on-hand values by sku. */
static int64_t *on_hand_slot(test_delivery *d, const char *sku)
{
    size_t slot = (size_t)hash_text(sku) % (MAX_SKUS * 4);
    while (d->skus[slot] && strcmp(d->skus[slot], sku) != 0)
        slot = (slot + 1) % (MAX_SKUS * 4);
    if (!d->skus[slot]) {
        d->skus[slot] = strdup(sku);
        d->sku_count++;
    }
    return &d->on_hand[slot];
}

/* Returns 1 when the record id was applied before; remembers it otherwise. */
static int seen_record(test_delivery *d, const char *id)
{
    size_t slot = (size_t)hash_text(id) % RECORD_SLOTS;
    while (d->record_ids[slot]) {
        if (strcmp(d->record_ids[slot], id) == 0)
            return 1;
        slot = (slot + 1) % RECORD_SLOTS;
    }
    d->record_ids[slot] = strdup(id);
    d->record_id_count++;
    return 0;
}

static void test_deliver(q_delivery *self, const q_chunk *chunk, q_delivery_result *result,
                         int (*should_stop)(void *), void *stop_data)
{
    (void)should_stop;
    (void)stop_data;
    test_delivery *d = (test_delivery *)self;
    pthread_mutex_lock(&d->lock);
    size_t call = d->call_count;
    if (d->call_count < MAX_CALLS)
        d->calls[d->call_count++] = (call_record){chunk->tenant_id, chunk->job_id, chunk->chunk_index,
                                                  chunk->record_count, chunk->records[0].item_index, cm_now_ms()};
    d->concurrent++;
    if (d->concurrent > d->max_concurrent)
        d->max_concurrent = d->concurrent;
    int slot = (int)(chunk->tenant_id % 8);
    d->per_tenant_concurrent[slot]++;
    if (d->per_tenant_concurrent[slot] > d->max_per_tenant_concurrent)
        d->max_per_tenant_concurrent = d->per_tenant_concurrent[slot];
    q_delivery_status status = Q_DELIVERY_OK;
    int64_t retry_after = -1;
    if (d->always_retry)
        status = Q_DELIVERY_RETRY;
    else if (call < d->script_length) {
        status = d->script[call];
        retry_after = d->script_retry_after[call];
    }
    pthread_mutex_unlock(&d->lock);

    if (d->delay_ms)
        cm_sleep_ms(d->delay_ms);

    pthread_mutex_lock(&d->lock);
    result->status = status;
    result->retry_after_ms = retry_after;
    result->refusal_count = 0;
    snprintf(result->message, sizeof result->message, "scripted %s",
             status == Q_DELIVERY_OK ? "ok" : status == Q_DELIVERY_RETRY ? "retry" : "final");
    if (status == Q_DELIVERY_OK) {
        for (size_t i = 0; i < chunk->record_count; i++) {
            const tr_record *record = &chunk->records[i];
            if (d->refuse_all || (int)record->item_index == d->refuse_item_index) {
                q_refusal *refusal = &result->refusals[result->refusal_count++];
                refusal->record_index = i;
                snprintf(refusal->error_code, sizeof refusal->error_code, "InventoryReset");
                snprintf(refusal->message, sizeof refusal->message, "refused by the test");
                continue;
            }
            if (seen_record(d, record->record_id)) {
                d->double_applies++;
                continue;
            }
            *on_hand_slot(d, record->sku) = record->on_hand_milli;
        }
    }
    d->concurrent--;
    d->per_tenant_concurrent[slot]--;
    pthread_mutex_unlock(&d->lock);
}

static void test_destroy(q_delivery *self)
{
    test_delivery *d = (test_delivery *)self;
    for (size_t i = 0; i < MAX_SKUS * 4; i++)
        free(d->skus[i]);
    for (size_t i = 0; i < RECORD_SLOTS; i++)
        free(d->record_ids[i]);
    free(d->record_ids);
    pthread_mutex_destroy(&d->lock);
    free(d);
}

static test_delivery *new_delivery(void)
{
    test_delivery *d = calloc(1, sizeof *d);
    d->base.deliver = test_deliver;
    d->base.destroy = test_destroy;
    d->refuse_item_index = -1;
    d->record_ids = calloc(RECORD_SLOTS, sizeof(char *));
    pthread_mutex_init(&d->lock, NULL);
    return d;
}

/* ---- fixture ---- */

typedef struct fixture {
    char dir[256];
    q_store *store;
    cm_config *config;
    test_delivery *delivery;
    q_pool *pool;
} fixture;

static const char CONFIG[] =
    "{\"oci\":{\"organizations\":[{\"id\":\"org1\"}]},"
    " \"tenants\":["
    "  {\"id\":1,\"apiKeys\":{\"v5\":\"k1\"},\"organizationId\":\"org1\",\"locations\":{\"L\":\"loc-1\"}},"
    "  {\"id\":2,\"apiKeys\":{\"v5\":\"k2\"},\"organizationId\":\"org1\",\"locations\":{\"L\":\"loc-1\"}},"
    "  {\"id\":3,\"apiKeys\":{\"v5\":\"k3\"},\"organizationId\":\"org1\",\"locations\":{\"L\":\"loc-1\"}}]}";

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    th_temp_dir(f->dir, sizeof f->dir);
    char path[320];
    snprintf(path, sizeof path, "%s/gateway.db", f->dir);
    char error[CM_DB_ERROR_MAX];
    assert_int_equal(q_store_open(path, 2, &f->store, error), CM_OK);
    char config_error[CM_CONFIG_ERROR_MAX];
    assert_int_equal(cm_config_parse(CONFIG, strlen(CONFIG), "test", ".", NULL, 0, &f->config, config_error), CM_OK);
    f->delivery = new_delivery();
    *state = f;
    return 0;
}

static void start_pool(fixture *f, int workers, int64_t budget_ms)
{
    q_pool_config config = {
        .store = f->store,
        .delivery = &f->delivery->base,
        .config = f->config,
        .workers = workers,
        .retry_budget_ms = budget_ms,
        .retention_ms = 30LL * 86400000,
        .backoff_base_ms = 20,
        .backoff_cap_ms = 100,
        .idle_poll_ms = 20,
    };
    assert_int_equal(q_pool_start(&config, &f->pool), CM_OK);
}

static int teardown(void **state)
{
    fixture *f = *state;
    q_pool_stop(f->pool);
    f->delivery->base.destroy(&f->delivery->base);
    q_store_close(f->store);
    cm_config_free(f->config);
    th_remove_tree(f->dir);
    free(f);
    return 0;
}

/* Accepts a job of `count` items: sku "<prefix>-<i % distinct>", quantity base + i. */
static int64_t accept_job(fixture *f, int64_t tenant, size_t count, const char *prefix, size_t distinct,
                          int64_t quantity_base, int64_t chunk_size)
{
    size_t chunk_count = (size_t)q_chunk_count((int64_t)count, chunk_size);
    char **texts = calloc(chunk_count, sizeof *texts);
    size_t *lengths = calloc(chunk_count, sizeof *lengths);
    for (size_t c = 0; c < chunk_count; c++) {
        cm_body body;
        cm_body_init(&body, 64 * 1024 * 1024);
        cm_body_append(&body, "[", 1);
        size_t first = c * (size_t)chunk_size;
        size_t last = first + (size_t)chunk_size < count ? first + (size_t)chunk_size : count;
        for (size_t i = first; i < last; i++)
            cm_body_appendf(&body, "%s{\"sku\":\"%s-%zu\",\"quantity\":%lld,\"binID\":7}", i == first ? "" : ",",
                            prefix, i % distinct, (long long)(quantity_base + (int64_t)i));
        cm_body_append(&body, "]", 1);
        texts[c] = cm_body_take(&body, &lengths[c]);
    }
    q_new_job job = {
        .tenant_id = tenant,
        .location_name = "L",
        .oci_location = "loc-1",
        .organization_id = "org1",
        .accepted_ms = cm_now_ms(),
        .item_count = (int64_t)count,
        .chunk_size = chunk_size,
        .chunk_payloads = (const char *const *)texts,
        .chunk_lengths = lengths,
        .chunk_count = chunk_count,
    };
    int64_t id = 0;
    assert_int_equal(q_store_accept(f->store, &job, &id), CM_OK);
    for (size_t c = 0; c < chunk_count; c++)
        free(texts[c]);
    free(texts);
    free(lengths);
    return id;
}

/* Waits until the job is finished; returns it (caller clears). */
static q_job wait_finished(fixture *f, int64_t tenant, int64_t job_id, int timeout_ms)
{
    q_job job;
    for (int waited = 0; waited < timeout_ms; waited += 10) {
        assert_int_equal(q_store_get_job(f->store, tenant, job_id, &job), CM_OK);
        if (job.status == Q_SUCCESS || job.status == Q_FAILED)
            return job;
        q_job_clear(&job);
        cm_sleep_ms(10);
    }
    fail_msg("job %lld did not finish in %d ms", (long long)job_id, timeout_ms);
    return job;
}

/* ---- tests ---- */

static void test_chunk_boundaries(void **state)
{
    fixture *f = *state;
    start_pool(f, 2, 60000);
    const size_t sizes[] = {1, 2999, 3000, 3001, 6000, 6001, 12000};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        size_t before = f->delivery->call_count;
        int64_t id = accept_job(f, 1, sizes[s], "B", sizes[s], 0, 3000);
        q_job job = wait_finished(f, 1, id, 30000);
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
            call_record *call = &f->delivery->calls[before + c];
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
    fixture *f = *state;
    f->delivery->delay_ms = 15;
    int64_t ids[6];
    /* Accept before workers start, so all six wait together. */
    for (int i = 0; i < 6; i++)
        ids[i] = accept_job(f, 1, 3, "ORD", 3, (i + 1) * 100, 3000);
    start_pool(f, 4, 60000);
    for (int i = 0; i < 6; i++) {
        q_job job = wait_finished(f, 1, ids[i], 20000);
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
        assert_int_equal(*on_hand_slot(f->delivery, name), (600 + sku) * 1000);
    }
}

static void test_tenants_run_in_parallel(void **state)
{
    fixture *f = *state;
    f->delivery->delay_ms = 200;
    int64_t a = accept_job(f, 1, 10, "PA", 10, 0, 3000);
    int64_t b = accept_job(f, 2, 10, "PB", 10, 0, 3000);
    int64_t a2 = accept_job(f, 1, 10, "PA", 10, 0, 3000);
    start_pool(f, 2, 60000);
    q_job job = wait_finished(f, 1, a2, 20000);
    q_job_clear(&job);
    job = wait_finished(f, 1, a, 20000);
    q_job_clear(&job);
    job = wait_finished(f, 2, b, 20000);
    q_job_clear(&job);
    assert_int_equal(f->delivery->max_concurrent, 2);
    assert_int_equal(f->delivery->max_per_tenant_concurrent, 1);
}

static void test_retry_then_success(void **state)
{
    fixture *f = *state;
    f->delivery->script[0] = Q_DELIVERY_RETRY;
    f->delivery->script_retry_after[0] = -1;
    f->delivery->script[1] = Q_DELIVERY_RETRY;
    f->delivery->script_retry_after[1] = -1;
    f->delivery->script_length = 2;
    int64_t id = accept_job(f, 1, 5, "R", 5, 0, 3000);
    start_pool(f, 1, 60000);
    q_job job = wait_finished(f, 1, id, 20000);
    assert_int_equal(job.status, Q_SUCCESS);
    assert_true(job.success);
    assert_int_equal(job.attempts, 3); /* claimed three times: two parked retries, then done */
    assert_int_equal(f->delivery->call_count, 3);
    q_job_clear(&job);
}

static void test_retry_after_is_honoured(void **state)
{
    fixture *f = *state;
    f->delivery->script[0] = Q_DELIVERY_RETRY;
    f->delivery->script_retry_after[0] = 400;
    f->delivery->script_length = 1;
    int64_t id = accept_job(f, 1, 1, "RA", 1, 0, 3000);
    start_pool(f, 1, 60000);
    q_job job = wait_finished(f, 1, id, 20000);
    assert_int_equal(job.status, Q_SUCCESS);
    q_job_clear(&job);
    assert_int_equal(f->delivery->call_count, 2);
    int64_t gap = f->delivery->calls[1].started_ms - f->delivery->calls[0].started_ms;
    assert_true(gap >= 400);
}

static void test_final_failure_is_not_retried(void **state)
{
    fixture *f = *state;
    f->delivery->script[0] = Q_DELIVERY_FINAL;
    f->delivery->script_length = 1;
    int64_t id = accept_job(f, 1, 4, "F", 4, 0, 3000);
    int64_t next = accept_job(f, 1, 1, "F2", 1, 0, 3000);
    start_pool(f, 1, 60000);
    q_job job = wait_finished(f, 1, id, 20000);
    assert_int_equal(job.status, Q_FAILED);
    assert_false(job.success);
    assert_non_null(strstr(job.messages_json, "scripted final"));
    q_job_clear(&job);
    /* The tenant's next job is not held back by the failed one. */
    job = wait_finished(f, 1, next, 20000);
    assert_int_equal(job.status, Q_SUCCESS);
    q_job_clear(&job);
    assert_int_equal(f->delivery->call_count, 2);
}

static void test_retry_budget_exhausted(void **state)
{
    fixture *f = *state;
    f->delivery->always_retry = 1;
    int64_t id = accept_job(f, 1, 2, "BUD", 2, 0, 3000);
    start_pool(f, 1, 300);
    int64_t started = cm_mono_ms();
    q_job job = wait_finished(f, 1, id, 20000);
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
    fixture *f = *state;
    f->delivery->refuse_item_index = 3001;
    int64_t id = accept_job(f, 1, 3005, "REF", 3005, 0, 3000);
    start_pool(f, 1, 60000);
    q_job job = wait_finished(f, 1, id, 30000);
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
    fixture *f = *state;
    f->delivery->refuse_all = 1;
    int64_t id = accept_job(f, 1, 3, "ALL", 3, 0, 3000);
    start_pool(f, 1, 60000);
    q_job job = wait_finished(f, 1, id, 20000);
    assert_int_equal(job.status, Q_FAILED);
    assert_int_equal(job.items_failed, 3);
    assert_non_null(strstr(job.messages_json, "refused every item"));
    q_job_clear(&job);
}

static void test_claim_checkpoint_recover(void **state)
{
    fixture *f = *state;
    int64_t id = accept_job(f, 3, 7000, "CR", 7000, 0, 3000);
    q_job job;
    assert_int_equal(q_store_claim(f->store, "old-process", cm_now_ms(), &job), CM_OK);
    assert_int_equal(job.job_id, id);
    assert_int_equal(job.status, Q_WORKING);
    q_job_clear(&job);
    /* A second worker finds nothing: the tenant's only job is held. */
    assert_int_equal(q_store_claim(f->store, "other", cm_now_ms(), &job), CM_ENOTFOUND);
    q_checkpoint cp = {.job_id = id, .tenant_id = 3, .oci_location = "loc-1", .worker_token = "old-process",
                       .chunk_index = 0, .items_applied = 3000, .now_ms = cm_now_ms()};
    assert_int_equal(q_store_checkpoint(f->store, &cp), CM_OK);
    /* The same chunk cannot be recorded twice, nor a chunk out of order. */
    assert_int_equal(q_store_checkpoint(f->store, &cp), CM_ESTATE);
    cp.chunk_index = 2;
    assert_int_equal(q_store_checkpoint(f->store, &cp), CM_ESTATE);
    /* The process dies; the next one recovers the job and resumes at chunk 2 of 3. */
    int64_t recovered = 0;
    assert_int_equal(q_store_recover(f->store, cm_now_ms(), &recovered), CM_OK);
    assert_int_equal(recovered, 1);
    cp.chunk_index = 1;
    assert_int_equal(q_store_checkpoint(f->store, &cp), CM_ESTATE); /* the old worker no longer holds it */
    start_pool(f, 1, 60000);
    job = wait_finished(f, 3, id, 20000);
    assert_int_equal(job.status, Q_SUCCESS);
    assert_int_equal(job.interruptions, 1);
    assert_int_equal(job.attempts, 2);
    assert_int_equal(job.items_applied, 7000);
    assert_non_null(strstr(job.messages_json, "interrupted at chunk 2 of 3"));
    q_job_clear(&job);
    assert_int_equal(f->delivery->call_count, 2);
    assert_int_equal(f->delivery->calls[0].chunk_index, 1);
    assert_int_equal(f->delivery->calls[1].chunk_index, 2);
}

static void test_prune_only_finished_old_jobs(void **state)
{
    fixture *f = *state;
    int64_t old_job = accept_job(f, 1, 1, "P", 1, 0, 3000);
    int64_t pending = accept_job(f, 2, 1, "P", 1, 0, 3000);
    q_job job;
    assert_int_equal(q_store_claim(f->store, "w", cm_now_ms(), &job), CM_OK);
    assert_int_equal(job.job_id, old_job);
    q_job_clear(&job);
    q_checkpoint cp = {.job_id = old_job, .tenant_id = 1, .oci_location = "loc-1", .worker_token = "w",
                       .chunk_index = 0, .items_applied = 1, .now_ms = cm_now_ms()};
    assert_int_equal(q_store_checkpoint(f->store, &cp), CM_OK);
    int64_t long_ago = cm_now_ms() - 40LL * 86400000;
    assert_int_equal(q_store_finish(f->store, old_job, "w", Q_SUCCESS, 1, "[]", long_ago), CM_OK);
    int64_t deleted = 0;
    assert_int_equal(q_store_prune(f->store, cm_now_ms() - 30LL * 86400000, 500, &deleted), CM_OK);
    assert_int_equal(deleted, 1);
    assert_int_equal(q_store_get_job(f->store, 1, old_job, &job), CM_ENOTFOUND);
    assert_int_equal(q_store_get_job(f->store, 2, pending, &job), CM_OK);
    assert_int_equal(job.status, Q_PENDING);
    q_job_clear(&job);
    /* Pruning again deletes nothing: pending jobs never go, however old. */
    assert_int_equal(q_store_prune(f->store, cm_now_ms() + 86400000, 500, &deleted), CM_OK);
    assert_int_equal(deleted, 0);
}

static void test_other_tenant_cannot_read(void **state)
{
    fixture *f = *state;
    int64_t id = accept_job(f, 1, 1, "T", 1, 0, 3000);
    q_job job;
    assert_int_equal(q_store_get_job(f->store, 2, id, &job), CM_ENOTFOUND);
    assert_int_equal(q_store_get_job(f->store, 1, id, &job), CM_OK);
    assert_int_equal(job.location_num, 1);
    q_job_clear(&job);
    q_job *jobs = NULL;
    size_t count = 0;
    q_job_filter filter = {.tenant_id = 2, .limit = 10};
    assert_int_equal(q_store_list_jobs(f->store, &filter, &jobs, &count), CM_OK);
    assert_int_equal(count, 0);
    free(jobs);
}

static void test_extras_are_kept(void **state)
{
    fixture *f = *state;
    int64_t id = accept_job(f, 1, 2, "EX", 2, 5, 3000);
    start_pool(f, 1, 60000);
    q_job job = wait_finished(f, 1, id, 20000);
    q_job_clear(&job);
    char *extras = NULL;
    assert_int_equal(q_store_get_extras(f->store, 1, "loc-1", "EX-1", &extras), CM_OK);
    assert_string_equal(extras, "{\"binID\":7}");
    free(extras);
}

static void test_backoff_bounds(void **state)
{
    (void)state;
    for (uint64_t r = 0; r < 2000; r += 7) {
        for (int attempt = 1; attempt <= 12; attempt++) {
            int64_t ceiling = 500;
            for (int i = 1; i < attempt && ceiling < 30000; i++)
                ceiling *= 2;
            if (ceiling > 30000)
                ceiling = 30000;
            int64_t delay = q_backoff_delay_ms(attempt, -1, r * 2654435761ULL, 500, 30000);
            assert_true(delay >= ceiling / 2);
            assert_true(delay <= ceiling);
        }
    }
    /* Retry-After is a floor, never shortened, even above the cap. */
    assert_int_equal(q_backoff_delay_ms(1, 120000, 3, 500, 30000), 120000);
    assert_true(q_backoff_delay_ms(1, 10, 3, 500, 30000) >= 250);
}

static void test_classify(void **state)
{
    (void)state;
    assert_int_equal(q_classify_http_status(0), Q_DELIVERY_RETRY);
    assert_int_equal(q_classify_http_status(429), Q_DELIVERY_RETRY);
    assert_int_equal(q_classify_http_status(500), Q_DELIVERY_RETRY);
    assert_int_equal(q_classify_http_status(503), Q_DELIVERY_RETRY);
    assert_int_equal(q_classify_http_status(400), Q_DELIVERY_FINAL);
    assert_int_equal(q_classify_http_status(401), Q_DELIVERY_FINAL);
    assert_int_equal(q_classify_http_status(404), Q_DELIVERY_FINAL);
    assert_int_equal(q_classify_http_status(200), Q_DELIVERY_OK);
    assert_int_equal(q_classify_http_status(204), Q_DELIVERY_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_chunk_boundaries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tenant_order_and_last_wins, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tenants_run_in_parallel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retry_then_success, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retry_after_is_honoured, setup, teardown),
        cmocka_unit_test_setup_teardown(test_final_failure_is_not_retried, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retry_budget_exhausted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_item_refusals_are_results, setup, teardown),
        cmocka_unit_test_setup_teardown(test_all_refused_fails_the_job, setup, teardown),
        cmocka_unit_test_setup_teardown(test_claim_checkpoint_recover, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prune_only_finished_old_jobs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_tenant_cannot_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_extras_are_kept, setup, teardown),
        cmocka_unit_test(test_backoff_bounds),
        cmocka_unit_test(test_classify),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
