/*
 * test_queue.c - the durable queue (queue/store*.c, queue/worker.c) with a test delivery that
 * records every chunk and fails on demand. Every behaviour test runs twice, on real SQLite files
 * and on a real PostgreSQL server this test starts for itself (tests/support/pg_server.c); the
 * tests of leases, several stores sharing one database, LISTEN/NOTIFY, migrations and connection
 * errors run on PostgreSQL only.
 */
#include "common/body.h"
#include "common/clock.h"
#include "common/config.h"
#include "common/json_util.h"
#include "queue/adjust.h"
#include "queue/retry.h"
#include "queue/store.h"
#include "queue/worker.h"
#include "tests/support/omsgw_process.h"
#include "tests/support/pg_server.h"
#include "tests/support/test_support.h"

#include <libpq-fe.h>
#include <sqlite3.h>

#include <pthread.h>
#include <stdatomic.h>
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
    char batch_key[160]; /* "" when the chunk was a job's own */
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
    atomic_int graph_changing; /* what graph_changing answers for org1 */
    size_t reads;             /* get-availability calls */
    size_t max_read_cells;    /* the largest sku × location count of one read */
    int64_t last_effective_ms; /* of the last record applied */
    int64_t last_safety_milli; /* of the last record applied */
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
    {
        d->calls[d->call_count] = (call_record){chunk->tenant_id, chunk->job_id, chunk->chunk_index,
                                                chunk->record_count, chunk->records[0].item_index, cm_now_ms(), ""};
        snprintf(d->calls[d->call_count].batch_key, sizeof d->calls[d->call_count].batch_key, "%s",
                 chunk->batch_key ? chunk->batch_key : "");
        d->call_count++;
    }
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
            d->last_effective_ms = record->effective_ms;
            d->last_safety_milli = record->safety_stock_milli;
        }
    }
    d->concurrent--;
    d->per_tenant_concurrent[slot]--;
    pthread_mutex_unlock(&d->lock);
}

/* get-availability on the map: a sku never applied is "not found" (on-hand 0). */
static q_delivery_status test_read(q_delivery *self, const q_read *read, char message[Q_DELIVERY_MESSAGE_MAX])
{
    test_delivery *d = (test_delivery *)self;
    message[0] = '\0';
    pthread_mutex_lock(&d->lock);
    d->reads++;
    size_t cells = read->sku_count * read->location_count;
    if (cells > d->max_read_cells)
        d->max_read_cells = cells;
    for (size_t l = 0; l < read->location_count; l++)
        for (size_t s = 0; s < read->sku_count; s++) {
            size_t slot = (size_t)hash_text(read->skus[s]) % (MAX_SKUS * 4);
            while (d->skus[slot] && strcmp(d->skus[slot], read->skus[s]) != 0)
                slot = (slot + 1) % (MAX_SKUS * 4);
            int found = d->skus[slot] != NULL;
            read->out[l * read->sku_count + s] =
                (q_availability){.found = found, .on_hand_milli = found ? d->on_hand[slot] : 0,
                                 .safety_stock_milli = 2000};
        }
    pthread_mutex_unlock(&d->lock);
    return cells > Q_READ_MAX_COMBINATIONS ? Q_DELIVERY_FINAL : Q_DELIVERY_OK;
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

static int test_graph_changing(q_delivery *self, const char *organization_id)
{
    return strcmp(organization_id, "org1") == 0 && atomic_load(&((test_delivery *)self)->graph_changing);
}

static test_delivery *new_delivery(void)
{
    test_delivery *d = calloc(1, sizeof *d);
    d->base.deliver = test_deliver;
    d->base.read = test_read;
    d->base.destroy = test_destroy;
    d->base.graph_changing = test_graph_changing;
    d->refuse_item_index = -1;
    d->record_ids = calloc(RECORD_SLOTS, sizeof(char *));
    pthread_mutex_init(&d->lock, NULL);
    return d;
}

/* ---- fixture ---- */

typedef struct fixture {
    char dir[256];
    q_store_backend backend;
    char url[512]; /* PostgreSQL: this test's own database */
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

static th_pg pg_server;
static int pg_started;
static int database_counter;

/* Opens another store on the fixture's database (PostgreSQL: what a second instance does). */
static q_store *open_store(fixture *f, int64_t lease_ms)
{
    char path[320];
    snprintf(path, sizeof path, "%s/gateway.db", f->dir);
    q_store_options options = {
        .backend = f->backend,
        .sqlite_path = path,
        .url = f->url,
        .connections = 4,
        .lease_ms = lease_ms,
    };
    char error[Q_STORE_ERROR_MAX];
    q_store *store = NULL;
    cm_err rc = q_store_open(&options, &store, error);
    if (rc)
        fail_msg("q_store_open: %s (%s)", cm_strerror(rc), error);
    return store;
}

static int setup_with(void **state, q_store_backend backend, int64_t lease_ms)
{
    fixture *f = calloc(1, sizeof *f);
    th_temp_dir(f->dir, sizeof f->dir);
    f->backend = backend;
    if (backend == Q_STORE_POSTGRESQL) {
        if (!pg_started) {
            assert_int_equal(th_pg_start(&pg_server, 0), 0);
            pg_started = 1;
        }
        char name[32];
        snprintf(name, sizeof name, "queue_%d", ++database_counter);
        assert_int_equal(th_pg_create_database(&pg_server, name, f->url, sizeof f->url), 0);
    }
    f->store = open_store(f, lease_ms);
    char config_error[CM_CONFIG_ERROR_MAX];
    assert_int_equal(cm_config_parse(CONFIG, strlen(CONFIG), "test", ".", NULL, 0, &f->config, config_error), CM_OK);
    f->delivery = new_delivery();
    *state = f;
    return 0;
}

static int setup_sqlite(void **state)
{
    return setup_with(state, Q_STORE_SQLITE, 0);
}

static int setup_pg(void **state)
{
    return setup_with(state, Q_STORE_POSTGRESQL, 0);
}

/* Leases long enough for a loaded machine to make two calls inside one, short enough to wait out. */
#define SHORT_LEASE_MS 2000

static int setup_pg_short_lease(void **state)
{
    return setup_with(state, Q_STORE_POSTGRESQL, SHORT_LEASE_MS);
}

static q_pool *start_pool_on(fixture *f, q_store *store, int workers, int64_t budget_ms, int64_t idle_poll_ms)
{
    q_pool_config config = {
        .store = store,
        .delivery = &f->delivery->base,
        .config = f->config,
        .workers = workers,
        .retry_budget_ms = budget_ms,
        .retention_ms = 30LL * 86400000,
        .backoff_base_ms = 20,
        .backoff_cap_ms = 100,
        .idle_poll_ms = idle_poll_ms,
        .hold_watch_interval_ms = 20,
    };
    q_pool *pool = NULL;
    assert_int_equal(q_pool_start(&config, &pool), CM_OK);
    return pool;
}

static void start_pool(fixture *f, int workers, int64_t budget_ms)
{
    f->pool = start_pool_on(f, f->store, workers, budget_ms, 20);
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

/* The type the next accept_job* call gives its job (then back to REFRESH). */
static q_job_type next_job_type = Q_JOB_REFRESH;

/* 1: the next accept_job* call stores its chunks as an omsgw before the stored item form did (a
 * JSON array per chunk, cut by the caller), as jobs accepted before an upgrade are (then back to 0). */
static int next_job_legacy_rows = 0;

/* Accepts a job of `count` items into `store`: sku "<prefix>-<i % distinct>", quantity base + i.
 * The items are handed over in the stored form (translate/stored_items.h) for the queue to cut. */
static int64_t accept_job_into(q_store *store, int64_t tenant, size_t count, const char *prefix, size_t distinct,
                          int64_t quantity_base, int64_t chunk_size)
{
    if (!next_job_legacy_rows) {
        cm_body items;
        cm_body_init(&items, 64 * 1024 * 1024);
        size_t *ends = calloc(count, sizeof *ends);
        assert_non_null(ends);
        for (size_t i = 0; i < count; i++) {
            char sku[64];
            snprintf(sku, sizeof sku, "%s-%zu", prefix, i % distinct);
            assert_int_equal(cm_body_appendf(&items, "%lld - - %zu:%s - - 9:\"binID\":7\n",
                                             (long long)(quantity_base + (int64_t)i), strlen(sku), sku),
                             CM_OK);
            ends[i] = items.length;
        }
        q_new_job job = {
            .type = next_job_type,
            .tenant_id = tenant,
            .location_name = "L",
            .oci_location = "loc-1",
            .organization_id = "org1",
            .accepted_ms = cm_now_ms(),
            .item_count = (int64_t)count,
            .chunk_size = chunk_size,
            .items = items.data,
            .item_ends = ends,
        };
        int64_t id = 0;
        assert_int_equal(q_store_accept(store, &job, &id), CM_OK);
        next_job_type = Q_JOB_REFRESH;
        cm_body_free(&items);
        free(ends);
        return id;
    }
    next_job_legacy_rows = 0;
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
        .type = next_job_type,
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
    assert_int_equal(q_store_accept(store, &job, &id), CM_OK);
    next_job_type = Q_JOB_REFRESH;
    for (size_t c = 0; c < chunk_count; c++)
        free(texts[c]);
    free(texts);
    free(lengths);
    return id;
}

static int64_t accept_job(fixture *f, int64_t tenant, size_t count, const char *prefix, size_t distinct,
                          int64_t quantity_base, int64_t chunk_size)
{
    return accept_job_into(f->store, tenant, count, prefix, distinct, quantity_base, chunk_size);
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

/* The two jobs are first delivered together (coalesced); OCI refuses that batch as a whole, so each
 * runs alone: the first is refused again and fails, the next one is not held back by it. */
static void test_final_failure_is_not_retried(void **state)
{
    fixture *f = *state;
    f->delivery->script[0] = Q_DELIVERY_FINAL;
    f->delivery->script[1] = Q_DELIVERY_FINAL;
    f->delivery->script_length = 2;
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

/* The queue cuts the items it is given into chunk rows of chunk_size, each in the stored form with
 * its own header, in the one accepting transaction. */
static void test_queue_cuts_the_items(void **state)
{
    fixture *f = *state;
    int64_t id = accept_job(f, 1, 5, "CUT", 5, 10, 2);
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
    fixture *f = *state;
    next_job_legacy_rows = 1;
    int64_t old = accept_job(f, 1, 3001, "OLD", 3001, 5, 3000);
    int64_t current = accept_job(f, 1, 3001, "NEW", 3001, 5, 3000);
    start_pool(f, 1, 60000);
    q_job job = wait_finished(f, 1, current, 30000);
    assert_int_equal(job.status, Q_SUCCESS);
    q_job_clear(&job);
    job = wait_finished(f, 1, old, 30000);
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

/* The list's extension filters: status (several), and the acceptance time range. */
static void test_list_filters(void **state)
{
    fixture *f = *state;
    int64_t before = cm_now_ms();
    int64_t failed = accept_job(f, 1, 1, "LF", 1, 0, 3000);
    int64_t succeeded = accept_job(f, 1, 1, "LF", 1, 0, 3000);
    cm_sleep_ms(20);
    int64_t middle = cm_now_ms();
    cm_sleep_ms(20);
    int64_t pending = accept_job(f, 1, 1, "LF", 1, 0, 3000);
    q_job job;
    assert_int_equal(q_store_claim(f->store, "w", cm_now_ms(), &job), CM_OK);
    assert_int_equal(job.job_id, failed);
    q_job_clear(&job);
    assert_int_equal(q_store_finish(f->store, failed, "w", Q_FAILED, 0, "[\"no\"]", cm_now_ms()), CM_OK);
    assert_int_equal(q_store_claim(f->store, "w", cm_now_ms(), &job), CM_OK);
    assert_int_equal(job.job_id, succeeded);
    q_job_clear(&job);
    q_checkpoint cp = {.job_id = succeeded, .tenant_id = 1, .oci_location = "loc-1", .worker_token = "w",
                       .chunk_index = 0, .items_applied = 1, .now_ms = cm_now_ms(), .finish_success = 1};
    assert_int_equal(q_store_checkpoint(f->store, &cp), CM_OK);
    struct {
        q_status statuses[2];
        size_t status_count;
        int64_t from, to;
        size_t expected_count;
        int64_t expected[3];
    } cases[] = {
        {{Q_FAILED}, 1, 0, 0, 1, {failed}},
        {{Q_SUCCESS, Q_PENDING}, 2, 0, 0, 2, {pending, succeeded}},
        {{Q_WORKING}, 1, 0, 0, 0, {0}},
        {{0}, 0, middle, 0, 1, {pending}},
        {{0}, 0, before, middle, 2, {succeeded, failed}},
        {{Q_FAILED}, 1, middle, 0, 0, {0}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        q_job_filter filter = {.tenant_id = 1, .statuses = cases[c].statuses, .status_count = cases[c].status_count,
                               .added_from_ms = cases[c].from, .added_to_ms = cases[c].to, .limit = 10};
        q_job *jobs = NULL;
        size_t count = 0;
        assert_int_equal(q_store_list_jobs(f->store, &filter, &jobs, &count), CM_OK);
        if (count != cases[c].expected_count)
            fail_msg("case %zu: %zu jobs, expected %zu", c, count, cases[c].expected_count);
        for (size_t j = 0; j < count; j++) {
            assert_int_equal(jobs[j].job_id, cases[c].expected[j]);
            q_job_clear(&jobs[j]);
        }
        free(jobs);
    }
}

/* A held tenant's jobs stay PENDING, in order, while other tenants run. */
static void test_hold_keeps_a_tenant_waiting(void **state)
{
    fixture *f = *state;
    int64_t held_job = accept_job(f, 1, 3, "HK", 3, 100, 3000);
    int64_t held_next = accept_job(f, 1, 3, "HK", 3, 200, 3000);
    int64_t other = accept_job(f, 2, 3, "HO", 3, 100, 3000);
    assert_int_equal(q_store_hold(f->store, 1, Q_HOLD_OPERATOR, "first reason", cm_now_ms()), CM_OK);
    assert_int_equal(q_store_hold(f->store, 1, Q_HOLD_OPERATOR, "maintenance window", cm_now_ms()), CM_OK);
    char *reason = NULL;
    assert_int_equal(q_store_get_hold(f->store, 1, &reason), CM_OK);
    assert_string_equal(reason, "maintenance window"); /* holding again replaces the reason */
    free(reason);
    assert_int_equal(q_store_get_hold(f->store, 2, &reason), CM_ENOTFOUND);
    start_pool(f, 2, 60000);
    q_job job = wait_finished(f, 2, other, 20000);
    assert_int_equal(job.status, Q_SUCCESS);
    q_job_clear(&job);
    cm_sleep_ms(300);
    assert_int_equal(q_store_get_job(f->store, 1, held_job, &job), CM_OK);
    assert_int_equal(job.status, Q_PENDING);
    q_job_clear(&job);
    assert_int_equal(q_store_release_hold(f->store, 1, Q_HOLD_OPERATOR), CM_OK);
    assert_int_equal(q_store_release_hold(f->store, 1, Q_HOLD_OPERATOR), CM_ENOTFOUND);
    job = wait_finished(f, 1, held_next, 20000);
    assert_int_equal(job.status, Q_SUCCESS);
    q_job_clear(&job);
    assert_int_equal(*on_hand_slot(f->delivery, "HK-2"), 202 * 1000); /* in order: the later job won */
    assert_int_equal(q_store_get_hold(f->store, 1, &reason), CM_ENOTFOUND);
}

/* A hold that comes while a job runs stops it at the next chunk boundary; released, it resumes
 * where it stopped: no chunk delivered twice, and it is not an interruption. */
static void test_hold_pauses_a_running_job_between_chunks(void **state)
{
    fixture *f = *state;
    f->delivery->delay_ms = 300;
    int64_t id = accept_job(f, 1, 3000, "HP", 3000, 0, 500);
    start_pool(f, 1, 60000);
    q_job job;
    for (int waited = 0; waited < 20000; waited += 20) {
        assert_int_equal(q_store_get_job(f->store, 1, id, &job), CM_OK);
        int64_t done = job.chunks_done;
        q_job_clear(&job);
        if (done >= 1)
            break;
        cm_sleep_ms(20);
    }
    assert_int_equal(q_store_hold(f->store, 1, Q_HOLD_OPERATOR, "pause", cm_now_ms()), CM_OK);
    cm_sleep_ms(1500); /* several chunks' worth of time */
    assert_int_equal(q_store_get_job(f->store, 1, id, &job), CM_OK);
    assert_int_equal(job.status, Q_WORKING);
    int64_t paused_at = job.chunks_done;
    assert_true(paused_at < 6);
    q_job_clear(&job);
    cm_sleep_ms(700);
    assert_int_equal(q_store_get_job(f->store, 1, id, &job), CM_OK);
    assert_int_equal(job.chunks_done, paused_at);
    q_job_clear(&job);
    assert_int_equal(q_store_release_hold(f->store, 1, Q_HOLD_OPERATOR), CM_OK);
    job = wait_finished(f, 1, id, 30000);
    assert_int_equal(job.status, Q_SUCCESS);
    assert_int_equal(job.items_applied, 3000);
    assert_int_equal(job.interruptions, 0);
    q_job_clear(&job);
    assert_int_equal(f->delivery->call_count, 6);
    assert_int_equal(f->delivery->double_applies, 0);
}

/* The pool's watcher holds the organization's tenants while the delivery says its graph changes,
 * and at start clears graph holds a previous run left. */
static void test_hold_watch_follows_the_graph(void **state)
{
    fixture *f = *state;
    assert_int_equal(q_store_hold(f->store, 3, Q_HOLD_GRAPH_CHANGE, "left by a previous run", cm_now_ms()), CM_OK);
    assert_int_equal(q_store_hold(f->store, 2, Q_HOLD_OPERATOR, "an operator's", cm_now_ms()), CM_OK);
    start_pool(f, 1, 60000);
    char *reason = NULL;
    cm_err rc = CM_OK;
    for (int waited = 0; waited < 5000 && rc == CM_OK; waited += 20) {
        free(reason);
        reason = NULL;
        rc = q_store_get_hold(f->store, 3, &reason);
        if (rc == CM_OK)
            cm_sleep_ms(20);
    }
    assert_int_equal(rc, CM_ENOTFOUND);
    /* Operator holds are not the watcher's to lift. */
    assert_int_equal(q_store_get_hold(f->store, 2, &reason), CM_OK);
    assert_string_equal(reason, "an operator's");
    free(reason);
    atomic_store(&f->delivery->graph_changing, 1);
    rc = CM_ENOTFOUND;
    for (int waited = 0; waited < 5000 && rc == CM_ENOTFOUND; waited += 20) {
        rc = q_store_get_hold(f->store, 1, &reason);
        if (rc == CM_ENOTFOUND)
            cm_sleep_ms(20);
    }
    assert_int_equal(rc, CM_OK);
    free(reason);
    int64_t id = accept_job(f, 1, 2, "HW", 2, 0, 3000);
    /* Every kind of hold must go before the tenant runs: an operator holds it too. */
    assert_int_equal(q_store_hold(f->store, 1, Q_HOLD_OPERATOR, "and an operator", cm_now_ms()), CM_OK);
    cm_sleep_ms(300);
    q_job job;
    assert_int_equal(q_store_get_job(f->store, 1, id, &job), CM_OK);
    assert_int_equal(job.status, Q_PENDING);
    q_job_clear(&job);
    atomic_store(&f->delivery->graph_changing, 0);
    for (int waited = 0; waited < 5000; waited += 20) {
        assert_int_equal(q_store_get_hold(f->store, 1, &reason), CM_OK);
        int graph_gone = strcmp(reason, "and an operator") == 0;
        free(reason);
        if (graph_gone)
            break;
        cm_sleep_ms(20);
    }
    cm_sleep_ms(300);
    assert_int_equal(q_store_get_job(f->store, 1, id, &job), CM_OK);
    assert_int_equal(job.status, Q_PENDING);
    q_job_clear(&job);
    assert_int_equal(q_store_release_hold(f->store, 1, Q_HOLD_OPERATOR), CM_OK);
    job = wait_finished(f, 1, id, 20000);
    assert_int_equal(job.status, Q_SUCCESS);
    q_job_clear(&job);
}

/* The two published failure modes of per-key queues (../shared/spec/postgres-queue.md §4.7): a
 * head parked for a retry blocks its own tenant, never the others, and is never skipped. */
static void test_parked_head_blocks_only_its_tenant(void **state)
{
    fixture *f = *state;
    int64_t a1 = accept_job(f, 1, 1, "PH", 1, 0, 3000);
    int64_t a2 = accept_job(f, 1, 1, "PH", 1, 0, 3000);
    int64_t b1 = accept_job(f, 2, 1, "PB", 1, 0, 3000);
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

/* Many workers claiming at once never hold two jobs of one tenant (pg-boss #535, Graphile #621). */
typedef struct claim_race {
    q_store *store;
    int index;
    int64_t claimed[64];
    size_t claimed_count;
} claim_race;

static void *claim_until_empty(void *data)
{
    claim_race *race = data;
    char token[32];
    snprintf(token, sizeof token, "racer-%d", race->index);
    for (int tries = 0; tries < 200 && race->claimed_count < 64; tries++) {
        q_job job;
        if (q_store_claim(race->store, token, cm_now_ms(), &job) == CM_OK) {
            race->claimed[race->claimed_count++] = job.job_id;
            q_job_clear(&job);
        }
    }
    return NULL;
}

static void test_concurrent_claims_take_one_job_per_tenant(void **state)
{
    fixture *f = *state;
    int64_t first_of_tenant[4] = {0};
    for (int round = 0; round < 5; round++)
        for (int64_t tenant = 1; tenant <= 3; tenant++) {
            int64_t id = accept_job(f, tenant, 1, "CC", 1, round, 3000);
            if (!first_of_tenant[tenant])
                first_of_tenant[tenant] = id;
        }
    claim_race races[6];
    pthread_t threads[6];
    for (int i = 0; i < 6; i++) {
        races[i] = (claim_race){.store = f->store, .index = i};
        assert_int_equal(pthread_create(&threads[i], NULL, claim_until_empty, &races[i]), 0);
    }
    size_t total = 0;
    int64_t all[64];
    for (int i = 0; i < 6; i++) {
        pthread_join(threads[i], NULL);
        for (size_t c = 0; c < races[i].claimed_count; c++)
            all[total++] = races[i].claimed[c];
    }
    /* Exactly the three heads were claimed, each once. */
    assert_int_equal(total, 3);
    for (int64_t tenant = 1; tenant <= 3; tenant++) {
        int found = 0;
        for (size_t c = 0; c < total; c++)
            found += all[c] == first_of_tenant[tenant];
        assert_int_equal(found, 1);
    }
}

/* An instance that stops renewing (killed, or paused past its lease) loses the job to the next
 * claim, and everything it tries afterwards is refused: the new holder's progress is safe. */
static void test_lease_expiry_takeover_and_fencing(void **state)
{
    fixture *f = *state;
    assert_int_equal(q_store_lease_ms(f->store), SHORT_LEASE_MS);
    int64_t id = accept_job(f, 3, 7000, "LE", 7000, 0, 3000);
    q_job job;
    assert_int_equal(q_store_claim(f->store, "dead", cm_now_ms(), &job), CM_OK);
    assert_int_equal(job.job_id, id);
    q_job_clear(&job);
    q_checkpoint cp = {.job_id = id, .tenant_id = 3, .oci_location = "loc-1", .worker_token = "dead",
                       .chunk_index = 0, .items_applied = 3000, .now_ms = cm_now_ms()};
    assert_int_equal(q_store_checkpoint(f->store, &cp), CM_OK);
    assert_int_equal(q_store_renew_lease(f->store, id, "dead"), CM_OK);
    /* While the lease runs, nobody else gets the job. */
    assert_int_equal(q_store_claim(f->store, "alive", cm_now_ms(), &job), CM_ENOTFOUND);
    cm_sleep_ms(SHORT_LEASE_MS + 500);
    assert_int_equal(q_store_claim(f->store, "alive", cm_now_ms(), &job), CM_OK);
    assert_int_equal(job.job_id, id);
    assert_int_equal(job.interruptions, 1);
    assert_int_equal(job.chunks_done, 1);
    assert_int_equal(job.attempts, 2);
    assert_non_null(strstr(job.messages_json, "interrupted at chunk 2 of 3"));
    q_job_clear(&job);
    /* The stale owner wakes up: every fenced call is refused and changes nothing. */
    cp.chunk_index = 1;
    assert_int_equal(q_store_checkpoint(f->store, &cp), CM_ESTATE);
    assert_int_equal(q_store_renew_lease(f->store, id, "dead"), CM_ESTATE);
    assert_int_equal(q_store_park(f->store, id, "dead", cm_now_ms(), cm_now_ms(), "late"), CM_ESTATE);
    assert_int_equal(q_store_release(f->store, id, "dead"), CM_ESTATE);
    assert_int_equal(q_store_finish(f->store, id, "dead", Q_FAILED, 0, "[\"late\"]", cm_now_ms()), CM_ESTATE);
    assert_int_equal(q_store_get_job(f->store, 3, id, &job), CM_OK);
    assert_int_equal(job.chunks_done, 1);
    assert_int_equal(job.status, Q_WORKING);
    q_job_clear(&job);
    /* The new owner goes on. */
    cp.worker_token = "alive";
    assert_int_equal(q_store_checkpoint(f->store, &cp), CM_OK);
    cp.chunk_index = 2;
    cp.items_applied = 1000;
    cp.finish_success = 1;
    assert_int_equal(q_store_checkpoint(f->store, &cp), CM_OK);
    job = wait_finished(f, 3, id, 1000);
    assert_int_equal(job.status, Q_SUCCESS);
    assert_int_equal(job.items_applied, 7000);
    q_job_clear(&job);
}

/* A job that runs longer than its lease keeps it: the pool's lease keeper renews it. */
static void test_lease_is_renewed_while_running(void **state)
{
    fixture *f = *state;
    f->delivery->delay_ms = SHORT_LEASE_MS + 800; /* each chunk outlasts one lease */
    int64_t id = accept_job(f, 1, 4000, "LR", 4000, 0, 3000);
    start_pool(f, 2, 60000);
    q_job job = wait_finished(f, 1, id, 60000);
    assert_int_equal(job.status, Q_SUCCESS);
    assert_int_equal(job.interruptions, 0);
    assert_int_equal(job.attempts, 1);
    q_job_clear(&job);
    assert_int_equal(f->delivery->call_count, 2);
}

/* Two stores on one database are two instances: ids unique and increasing, any instance reads any
 * job, a tenant's jobs one at a time in acceptance order, and the last refresh of a sku wins. */
static void test_two_instances_share_the_queue(void **state)
{
    fixture *f = *state;
    q_store *second = open_store(f, 0);
    f->delivery->delay_ms = 5;
    enum { JOBS_PER_TENANT = 8 };
    int64_t ids[3][JOBS_PER_TENANT];
    int64_t last_id = 0;
    for (int j = 0; j < JOBS_PER_TENANT; j++)
        for (int t = 0; t < 3; t++) {
            q_store *into = (j + t) % 2 ? second : f->store;
            char prefix[16];
            snprintf(prefix, sizeof prefix, "TI%d", t);
            ids[t][j] = accept_job_into(into, t + 1, 20, prefix, 20, (j + 1) * 1000, 3000);
            assert_true(ids[t][j] > last_id);
            last_id = ids[t][j];
        }
    start_pool(f, 2, 60000);
    q_pool *other = start_pool_on(f, second, 2, 60000, 20);
    for (int t = 0; t < 3; t++)
        for (int j = 0; j < JOBS_PER_TENANT; j++) {
            /* Read through the store that did not accept it. */
            q_job job;
            q_store *reader = (j + t) % 2 ? f->store : second;
            int finished = 0;
            for (int waited = 0; waited < 60000 && !finished; waited += 20) {
                assert_int_equal(q_store_get_job(reader, t + 1, ids[t][j], &job), CM_OK);
                finished = job.status == Q_SUCCESS || job.status == Q_FAILED;
                if (finished)
                    assert_int_equal(job.status, Q_SUCCESS);
                q_job_clear(&job);
                if (!finished)
                    cm_sleep_ms(20);
            }
            assert_true(finished);
        }
    q_pool_stop(other);
    assert_int_equal(f->delivery->max_per_tenant_concurrent, 1);
    assert_int_equal(f->delivery->double_applies, 0);
    /* Per tenant, the chunks were delivered in job id order. */
    for (int t = 1; t <= 3; t++) {
        int64_t previous = 0;
        for (size_t c = 0; c < f->delivery->call_count; c++) {
            if (f->delivery->calls[c].tenant_id != t)
                continue;
            assert_true(f->delivery->calls[c].job_id > previous);
            previous = f->delivery->calls[c].job_id;
        }
    }
    for (int t = 0; t < 3; t++)
        for (int sku = 0; sku < 20; sku++) {
            char name[32];
            snprintf(name, sizeof name, "TI%d-%d", t, sku);
            assert_int_equal(*on_hand_slot(f->delivery, name), (JOBS_PER_TENANT * 1000 + sku) * 1000);
        }
    q_store_close(second);
}

/* A job accepted by another instance wakes idle workers at once through LISTEN/NOTIFY: the pool
 * here polls only every 60 s, so a prompt finish can only come from the notification. */
static void test_notify_wakes_idle_workers(void **state)
{
    fixture *f = *state;
    q_store *second = open_store(f, 0);
    f->pool = start_pool_on(f, f->store, 1, 60000, 60000);
    cm_sleep_ms(500); /* the worker found nothing and sleeps */
    int64_t id = accept_job_into(second, 2, 3, "NW", 3, 0, 3000);
    q_job job = wait_finished(f, 2, id, 20000);
    assert_int_equal(job.status, Q_SUCCESS);
    q_job_clear(&job);
    q_store_close(second);
}

typedef struct opener {
    fixture *f;
    cm_err rc;
    q_store *store;
} opener;

static void *open_in_thread(void *data)
{
    opener *o = data;
    q_store_options options = {.backend = Q_STORE_POSTGRESQL, .url = o->f->url, .connections = 2};
    char error[Q_STORE_ERROR_MAX];
    o->rc = q_store_open(&options, &o->store, error);
    return NULL;
}

/* Instances starting together migrate once (advisory lock); a schema newer than this build is
 * refused with a clear line. */
static void test_migrations_race_and_newer_schema(void **state)
{
    fixture *f = *state;
    char name[32], url[512];
    snprintf(name, sizeof name, "queue_race_%d", ++database_counter);
    assert_int_equal(th_pg_create_database(&pg_server, name, url, sizeof url), 0);
    fixture fresh = *f;
    snprintf(fresh.url, sizeof fresh.url, "%s", url);
    opener openers[3];
    pthread_t threads[3];
    for (int i = 0; i < 3; i++) {
        openers[i] = (opener){.f = &fresh};
        assert_int_equal(pthread_create(&threads[i], NULL, open_in_thread, &openers[i]), 0);
    }
    for (int i = 0; i < 3; i++) {
        pthread_join(threads[i], NULL);
        assert_int_equal(openers[i].rc, CM_OK);
    }
    /* All three see one installation id: the schema was made once. */
    assert_string_equal(q_store_installation_id(openers[0].store), q_store_installation_id(openers[1].store));
    assert_string_equal(q_store_installation_id(openers[0].store), q_store_installation_id(openers[2].store));
    for (int i = 0; i < 3; i++)
        q_store_close(openers[i].store);
    PGconn *admin = PQconnectdb(url);
    assert_int_equal(PQstatus(admin), CONNECTION_OK);
    PGresult *result = PQexec(admin, "UPDATE omsgw.schema_version SET version = 99 WHERE component = 'queue'");
    assert_int_equal(PQresultStatus(result), PGRES_COMMAND_OK);
    PQclear(result);
    PQfinish(admin);
    q_store_options options = {.backend = Q_STORE_POSTGRESQL, .url = url, .connections = 1};
    char error[Q_STORE_ERROR_MAX];
    q_store *store = NULL;
    assert_int_equal(q_store_open(&options, &store, error), CM_ESTATE);
    assert_null(store);
    assert_non_null(strstr(error, "version 99, newer than this omsgw knows"));
}

/* Start-up errors name the problem in one line and never show the password. */
static void test_connection_errors_hide_the_password(void **state)
{
    (void)state;
    struct {
        const char *before_port, *after_port;
        int unused_port;
        cm_err expected;
        const char *says;
    } cases[] = {
        {"mysql://omsgw:Zq9-hidden@127.0.0.1:", "/postgres", 0, CM_ECONFIG, "postgresql:// URL"},
        {"postgresql://omsgw:Zq9-hidden@127.0.0.1:", "/postgres?no_such_option=1", 0, CM_ECONFIG, "not a valid"},
        {"postgresql://omsgw:Zq9-hidden@127.0.0.1:", "/postgres?sslmode=sometimes", 0, CM_EUNAVAILABLE,
         "invalid sslmode value"},
        {"postgresql://omsgw:Zq9-hidden@127.0.0.1:", "/postgres", 0, CM_EUNAVAILABLE, "password authentication failed"},
        {"postgresql://omsgw:Zq9%2Dhidden@127.0.0.1:", "/postgres", 0, CM_EUNAVAILABLE, "password authentication failed"},
        {"postgresql://omsgw:Zq9-hidden@127.0.0.1:", "/postgres", 1, CM_EUNAVAILABLE, "cannot connect"},
    };
    int nobody_listens = th_free_port();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char url[300];
        snprintf(url, sizeof url, "%s%d%s", cases[i].before_port, cases[i].unused_port ? nobody_listens : pg_server.port,
                 cases[i].after_port);
        q_store_options options = {.backend = Q_STORE_POSTGRESQL, .url = url, .connections = 1};
        char error[Q_STORE_ERROR_MAX] = "";
        q_store *store = NULL;
        cm_err rc = q_store_open(&options, &store, error);
        if (rc != cases[i].expected || !strstr(error, cases[i].says))
            fail_msg("case %zu: %s: got %s: %s", i, url, cm_strerror(rc), error);
        assert_null(store);
        assert_null(strstr(error, "Zq9-hidden"));
        assert_null(strstr(error, "Zq9%2Dhidden"));
        assert_null(strchr(error, '\n'));
    }
}

/* PostgreSQL going away: calls fail with CM_EUNAVAILABLE (the routes answer 503), nothing is
 * lost, and the store reconnects by itself when the server is back. */
static void test_database_restart(void **state)
{
    fixture *f = *state;
    int64_t before = accept_job(f, 1, 5, "DR", 5, 0, 3000);
    th_pg_stop(&pg_server);
    q_job job;
    cm_err rc = q_store_get_job(f->store, 1, before, &job);
    assert_int_equal(rc, CM_EUNAVAILABLE);
    q_new_job refused = {.tenant_id = 1, .location_name = "L", .oci_location = "loc-1", .organization_id = "org1",
                         .accepted_ms = cm_now_ms(), .item_count = 1, .chunk_size = 3000,
                         .chunk_payloads = (const char *const[]){"[{\"sku\":\"DR-0\",\"quantity\":1}]"},
                         .chunk_lengths = (const size_t[]){30}, .chunk_count = 1};
    int64_t id = 0;
    assert_int_equal(q_store_accept(f->store, &refused, &id), CM_EUNAVAILABLE);
    assert_int_equal(q_store_claim(f->store, "w", cm_now_ms(), &job), CM_EUNAVAILABLE);
    assert_int_equal(th_pg_restart(&pg_server), 0);
    for (int waited = 0; waited < 20000; waited += 100) {
        rc = q_store_get_job(f->store, 1, before, &job);
        if (rc != CM_EUNAVAILABLE)
            break;
        cm_sleep_ms(100);
    }
    assert_int_equal(rc, CM_OK);
    assert_int_equal(job.status, Q_PENDING);
    q_job_clear(&job);
    int64_t after = accept_job(f, 1, 5, "DR", 5, 100, 3000);
    assert_true(after > before);
    start_pool(f, 2, 60000);
    job = wait_finished(f, 1, after, 20000);
    assert_int_equal(job.status, Q_SUCCESS);
    q_job_clear(&job);
    assert_int_equal(*on_hand_slot(f->delivery, "DR-4"), 104 * 1000);
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


/* ---- the operator's view (admin/) ---- */

static size_t admin_count(fixture *f, const q_admin_filter *filter, int64_t *first_id)
{
    q_job *jobs = NULL;
    size_t count = 0;
    assert_int_equal(q_store_admin_jobs(f->store, filter, &jobs, &count), CM_OK);
    if (first_id)
        *first_id = count ? jobs[0].job_id : 0;
    for (size_t i = 0; i < count; i++)
        q_job_clear(&jobs[i]);
    free(jobs);
    return count;
}

static void test_admin_views_across_tenants(void **state)
{
    fixture *f = *state;
    int64_t a = accept_job(f, 1, 2, "AA", 2, 0, 3000);
    int64_t b = accept_job(f, 2, 3, "BB", 3, 0, 3000);
    int64_t c = accept_job(f, 1, 1, "CC", 1, 0, 3000);

    q_tenant_stats *stats = NULL;
    size_t count = 0;
    assert_int_equal(q_store_tenant_stats(f->store, &stats, &count), CM_OK);
    assert_int_equal(count, 2);
    assert_int_equal(stats[0].tenant_id, 1);
    assert_int_equal(stats[0].pending, 2);
    assert_int_equal(stats[0].working, 0);
    assert_true(stats[0].oldest_pending_added_ms > 0);
    assert_int_equal(stats[1].tenant_id, 2);
    assert_int_equal(stats[1].pending, 1);
    free(stats);

    q_job job;
    assert_int_equal(q_store_claim(f->store, "w1", cm_now_ms(), &job), CM_OK);
    assert_int_equal(job.job_id, a);
    q_job_clear(&job);
    assert_int_equal(q_store_tenant_stats(f->store, &stats, &count), CM_OK);
    assert_int_equal(stats[0].pending, 1);
    assert_int_equal(stats[0].working, 1);
    free(stats);

    int64_t first = 0;
    q_admin_filter all = {.status = -1};
    assert_int_equal(admin_count(f, &all, &first), 3);
    assert_int_equal(first, c); /* newest first */
    q_admin_filter tenant2 = {.status = -1, .tenant_id = 2};
    assert_int_equal(admin_count(f, &tenant2, &first), 1);
    assert_int_equal(first, b);
    q_admin_filter pending = {.status = Q_PENDING};
    assert_int_equal(admin_count(f, &pending, &first), 2);
    q_admin_filter working = {.status = Q_WORKING};
    assert_int_equal(admin_count(f, &working, &first), 1);
    assert_int_equal(first, a);
    q_admin_filter by_id = {.status = -1, .job_id = b};
    assert_int_equal(admin_count(f, &by_id, &first), 1);
    assert_int_equal(first, b);
    q_admin_filter page = {.status = -1, .limit = 1, .offset = 1};
    assert_int_equal(admin_count(f, &page, &first), 1);
    assert_int_equal(first, b);
    q_admin_filter past_end = {.status = -1, .offset = 3};
    assert_int_equal(admin_count(f, &past_end, NULL), 0);
    q_admin_filter location = {.status = -1, .oci_location = "loc-1"};
    assert_int_equal(admin_count(f, &location, NULL), 3);
    q_admin_filter nowhere = {.status = -1, .oci_location = "nowhere"};
    assert_int_equal(admin_count(f, &nowhere, NULL), 0);
    q_admin_filter refresh = {.status = -1, .type = "REFRESH"};
    assert_int_equal(admin_count(f, &refresh, NULL), 3);
    q_admin_filter adjust = {.status = -1, .type = "ADJUST"};
    assert_int_equal(admin_count(f, &adjust, NULL), 0);
    q_admin_filter before_all = {.status = -1, .added_to_ms = 1};
    assert_int_equal(admin_count(f, &before_all, NULL), 0);
    q_admin_filter since_start = {.status = -1, .added_from_ms = 1, .added_to_ms = cm_now_ms() + 1000};
    assert_int_equal(admin_count(f, &since_start, NULL), 3);

    /* Cancel: only a pending job nobody holds; its items go, the reason stays. */
    assert_int_equal(q_store_cancel(f->store, c, cm_now_ms(), "[\"Cancelled by an operator.\"]"), CM_OK);
    assert_int_equal(q_store_get_job(f->store, 1, c, &job), CM_OK);
    assert_int_equal(job.status, Q_FAILED);
    assert_true(job.finished_ms > 0);
    assert_non_null(strstr(job.messages_json, "Cancelled by an operator."));
    q_job_clear(&job);
    /* A failed job keeps its items (an operator may retry it) until it is pruned. */
    char *payload = NULL;
    size_t length = 0;
    assert_int_equal(q_store_load_chunk(f->store, c, 0, &payload, &length), CM_OK);
    assert_non_null(strstr(payload, "CC-0"));
    free(payload);
    assert_int_equal(q_store_cancel(f->store, c, cm_now_ms(), "[]"), CM_ESTATE);
    assert_int_equal(q_store_cancel(f->store, a, cm_now_ms(), "[]"), CM_ESTATE); /* held by w1 */
    assert_int_equal(q_store_cancel(f->store, 987654321, cm_now_ms(), "[]"), CM_ENOTFOUND);
    assert_int_equal(q_store_get_job(f->store, 1, a, &job), CM_OK);
    assert_int_equal(job.status, Q_WORKING);
    q_job_clear(&job);
    assert_int_equal(q_store_tenant_stats(f->store, &stats, &count), CM_OK);
    assert_int_equal(stats[0].pending, 0);
    free(stats);
    int64_t deleted = 0;
    assert_int_equal(q_store_prune(f->store, cm_now_ms() + 1000, 100, &deleted), CM_OK);
    assert_int_equal(deleted, 1);
    payload = NULL;
    assert_int_not_equal(q_store_load_chunk(f->store, c, 0, &payload, &length), CM_OK);
    free(payload);
}

static int group_teardown(void **state)
{
    (void)state;
    if (pg_started)
        th_pg_cleanup(&pg_server);
    return 0;
}

#define ON_SQLITE(test) {"sqlite: " #test, test, setup_sqlite, teardown, NULL}
#define ON_POSTGRESQL(test) {"postgresql: " #test, test, setup_pg, teardown, NULL}
#define ON_BOTH(test) ON_SQLITE(test), ON_POSTGRESQL(test)


/* ---- adjust jobs ---- */

/* Accepts an ADJUST job of explicit items (a JSON array text) in one chunk. */
static int64_t accept_adjust(fixture *f, int64_t tenant, const char *items_json, int64_t item_count)
{
    const char *texts[] = {items_json};
    size_t lengths[] = {strlen(items_json)};
    q_new_job job = {
        .type = Q_JOB_ADJUST,
        .tenant_id = tenant,
        .location_name = "L",
        .oci_location = "loc-1",
        .organization_id = "org1",
        .accepted_ms = cm_now_ms(),
        .item_count = item_count,
        .chunk_size = 3000,
        .chunk_payloads = texts,
        .chunk_lengths = lengths,
        .chunk_count = 1,
    };
    int64_t id = 0;
    assert_int_equal(q_store_accept(f->store, &job, &id), CM_OK);
    return id;
}

static int64_t on_hand_of(fixture *f, const char *sku)
{
    return *on_hand_slot(f->delivery, sku);
}

static void test_adjust_arithmetic(void **state)
{
    (void)state;
    int clamped = 0;
    assert_int_equal(q_adjust_on_hand(10000, -3, &clamped), 7000);
    assert_false(clamped);
    assert_int_equal(q_adjust_on_hand(10000, 5, &clamped), 15000);
    assert_int_equal(q_adjust_on_hand(0, 0, &clamped), 0);
    assert_false(clamped);
    /* OCI's onHand has minimum 0: a delta past it writes 0 and says so. */
    assert_int_equal(q_adjust_on_hand(2000, -5, &clamped), 0);
    assert_true(clamped);
    /* Fractional on-hand (thousandths) keeps its fraction. */
    assert_int_equal(q_adjust_on_hand(2500, -2, &clamped), 500);
    assert_false(clamped);
}

/* A refresh, then an adjust, then a refresh of the same SKUs: applied in that order; within the
 * adjust, a SKU listed twice adds both deltas; an unknown SKU starts from 0; a delta below 0
 * writes 0 with a note; safety stock is kept as read; the list's types filter selects by type. */
static void test_refresh_then_adjust_in_order(void **state)
{
    fixture *f = *state;
    int64_t refresh = accept_job(f, 1, 3, "ADJ", 3, 10, 3000); /* ADJ-0 10, ADJ-1 11, ADJ-2 12 */
    int64_t adjust = accept_adjust(f, 1,
                                   "[{\"sku\":\"ADJ-0\",\"quantity\":-3},{\"sku\":\"ADJ-1\",\"quantity\":4},"
                                   "{\"sku\":\"ADJ-0\",\"quantity\":-2},{\"sku\":\"NEW-1\",\"quantity\":5},"
                                   "{\"sku\":\"ADJ-2\",\"quantity\":-100}]",
                                   5);
    next_job_type = Q_JOB_ADJUST;
    int64_t second_adjust = accept_job(f, 1, 1, "ADJ", 1, -1, 3000); /* ADJ-0 −1 */
    start_pool(f, 3, 60000);
    q_job job = wait_finished(f, 1, second_adjust, 20000);
    assert_int_equal(job.type, Q_JOB_ADJUST);
    assert_int_equal(job.status, Q_SUCCESS);
    q_job_clear(&job);
    job = wait_finished(f, 1, adjust, 20000);
    assert_int_equal(job.status, Q_SUCCESS);
    assert_true(job.success);
    assert_non_null(strstr(job.messages_json, "items[4] (sku ADJ-2): on-hand 12 -100 would be below 0"));
    q_job_clear(&job);
    assert_int_equal(on_hand_of(f, "ADJ-0"), (10 - 3 - 2 - 1) * 1000);
    assert_int_equal(on_hand_of(f, "ADJ-1"), 15000);
    assert_int_equal(on_hand_of(f, "NEW-1"), 5000);
    assert_int_equal(on_hand_of(f, "ADJ-2"), 0);
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
    fixture *f = *state;
    int64_t refresh = accept_job(f, 1, 1, "RD", 1, 10, 3000); /* RD-0 = 10 */
    start_pool(f, 1, 60000);
    q_job job = wait_finished(f, 1, refresh, 20000);
    q_job_clear(&job);
    /* The adjust's first delivery fails (call 1), the second succeeds. */
    f->delivery->script[0] = Q_DELIVERY_OK;
    f->delivery->script[1] = Q_DELIVERY_RETRY;
    f->delivery->script_retry_after[1] = -1;
    f->delivery->script_length = 2;
    int64_t before = cm_now_ms();
    int64_t adjust = accept_adjust(f, 1, "[{\"sku\":\"RD-0\",\"quantity\":5}]", 1);
    q_pool_notify(f->pool);
    job = wait_finished(f, 1, adjust, 20000);
    assert_int_equal(job.status, Q_SUCCESS);
    q_job_clear(&job);
    assert_int_equal(f->delivery->call_count, 3);
    assert_int_equal(f->delivery->reads, 1); /* read once; the retry used the saved values */
    assert_int_equal(on_hand_of(f, "RD-0"), 15000);
    /* effectiveDate = the moment of the read. */
    assert_true(f->delivery->last_effective_ms >= before);
    assert_true(f->delivery->last_effective_ms <= cm_now_ms());
}

/* 250 distinct SKUs in one chunk: read in calls of at most 100. */
static void test_adjust_reads_in_batches_of_100(void **state)
{
    fixture *f = *state;
    next_job_type = Q_JOB_ADJUST;
    int64_t adjust = accept_job(f, 1, 250, "BAT", 250, 1, 3000);
    start_pool(f, 1, 60000);
    q_job job = wait_finished(f, 1, adjust, 20000);
    assert_int_equal(job.status, Q_SUCCESS);
    q_job_clear(&job);
    assert_int_equal(f->delivery->reads, 3);
    assert_int_equal(f->delivery->max_read_cells, 100);
    assert_int_equal(on_hand_of(f, "BAT-249"), 250000);
}

/* The chunk-state call is fenced by the holder's token, and what it saved is what loads. */
static void test_chunk_state_is_fenced(void **state)
{
    fixture *f = *state;
    int64_t adjust = accept_adjust(f, 1, "[{\"sku\":\"FEN-1\",\"quantity\":1}]", 1);
    char *text = NULL;
    size_t length = 0;
    assert_int_equal(q_store_load_chunk_state(f->store, adjust, 0, &text, &length), CM_ENOTFOUND);
    q_job job;
    assert_int_equal(q_store_claim(f->store, "holder", cm_now_ms(), &job), CM_OK);
    assert_int_equal(job.job_id, adjust);
    assert_int_equal(job.type, Q_JOB_ADJUST);
    q_job_clear(&job);
    assert_int_equal(q_store_save_chunk_state(f->store, adjust, "someone-else", 0, "{\"a\":1}"), CM_ESTATE);
    assert_int_equal(q_store_load_chunk_state(f->store, adjust, 0, &text, &length), CM_ENOTFOUND);
    assert_int_equal(q_store_save_chunk_state(f->store, adjust, "holder", 0, "{\"a\":2}"), CM_OK);
    assert_int_equal(q_store_load_chunk_state(f->store, adjust, 0, &text, &length), CM_OK);
    assert_non_null(strstr(text, "2"));
    free(text);
    assert_int_equal(q_store_load_chunk_state(f->store, adjust, 1, &text, &length), CM_ENOTFOUND);
    assert_int_equal(q_store_release(f->store, adjust, "holder"), CM_OK);
}

/* A database made before ADJUST existed (the previous schema version, with a queued refresh in it)
 * is migrated in place on open: the refresh and its stored chunk survive, and ADJUST jobs and
 * chunk states can be stored afterwards. The old schema is made by undoing the new step. */
static void test_migration_from_the_previous_schema(void **state)
{
    fixture *f = *state;
    int64_t refresh = accept_job(f, 1, 2, "MIG", 2, 1, 3000);
    q_store_close(f->store);
    f->store = NULL;
    if (f->backend == Q_STORE_SQLITE) {
        char path[320];
        snprintf(path, sizeof path, "%s/gateway.db", f->dir);
        sqlite3 *db = NULL;
        assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
        char *error = NULL;
        int rc = sqlite3_exec(db,
                              "BEGIN; PRAGMA writable_schema=ON;"
                              "UPDATE sqlite_schema SET sql = replace(sql, 'CHECK (type IN (''REFRESH'', ''ADJUST''))',"
                              " 'CHECK (type IN (''REFRESH''))') WHERE type = 'table' AND name = 'jobs';"
                              "PRAGMA writable_schema=OFF; ALTER TABLE job_chunks DROP COLUMN state;"
                              "DROP INDEX jobs_batch; ALTER TABLE jobs DROP COLUMN batch_of;"
                              "UPDATE schema_version SET version = 3 WHERE component = 'queue'; COMMIT;",
                              NULL, NULL, &error);
        if (rc != SQLITE_OK)
            fail_msg("downgrade: %s", error);
        sqlite3_close(db);
    } else {
        PGconn *conn = PQconnectdb(f->url);
        assert_int_equal(PQstatus(conn), CONNECTION_OK);
        PGresult *result = PQexec(conn, "ALTER TABLE omsgw.jobs DROP CONSTRAINT jobs_type_check,"
                                        " ADD CONSTRAINT jobs_type_check CHECK (type IN ('REFRESH'));"
                                        "ALTER TABLE omsgw.job_chunks DROP COLUMN state;"
                                        "ALTER TABLE omsgw.jobs DROP COLUMN batch_of;"
                                        "CREATE UNIQUE INDEX jobs_one_held_per_tenant ON omsgw.jobs (tenant_id)"
                                        " WHERE claimed_by IS NOT NULL;"
                                        "UPDATE omsgw.schema_version SET version = 2 WHERE component = 'queue'");
        if (PQresultStatus(result) != PGRES_COMMAND_OK)
            fail_msg("downgrade: %s", PQerrorMessage(conn));
        PQclear(result);
        PQfinish(conn);
    }
    f->store = open_store(f, 0);
    char *payload = NULL;
    size_t length = 0;
    assert_int_equal(q_store_load_chunk(f->store, refresh, 0, &payload, &length), CM_OK);
    assert_non_null(strstr(payload, "MIG-1"));
    free(payload);
    int64_t adjust = accept_adjust(f, 1, "[{\"sku\":\"MIG-1\",\"quantity\":-1}]", 1);
    start_pool(f, 1, 60000);
    q_job job = wait_finished(f, 1, adjust, 20000);
    assert_int_equal(job.status, Q_SUCCESS);
    q_job_clear(&job);
    assert_int_equal(on_hand_of(f, "MIG-1"), 1000); /* 2 − 1 */
}

/* ---- coalescing (store.h q_store_claim_batch, worker.c run_batch) ---- */

static q_checkpoint batch_checkpoint(const q_job *job, const char *token)
{
    return (q_checkpoint){.job_id = job->job_id, .tenant_id = job->tenant_id, .oci_location = "loc-1",
                          .worker_token = token, .chunk_index = 0, .items_applied = job->item_count,
                          .now_ms = cm_now_ms(), .finish_success = 1};
}

static void free_members(q_job *members, size_t count)
{
    for (size_t i = 0; i < count; i++)
        q_job_clear(&members[i]);
    free(members);
}

/* The batch joins the next jobs without a gap, within the record limit; it is stored, so a later
 * claim of its head (another worker, after a release or a crash) gets the same batch; members are
 * held (not claimable, not cancellable); the checkpoint records all of them or none. */
static void test_batch_claim_is_stored_and_fenced(void **state)
{
    fixture *f = *state;
    int64_t ids[6];
    for (int i = 0; i < 5; i++)
        ids[i] = accept_job(f, 1, 2, "BC", 2, 10 * i, 3000);
    ids[5] = accept_job(f, 1, 4000, "BIG", 10, 0, 3000); /* two chunks: never joined */
    int64_t after_big = accept_job(f, 1, 1, "BC", 1, 0, 3000);
    int64_t other_tenant = accept_job(f, 2, 1, "BT", 1, 0, 3000);

    q_job head;
    assert_int_equal(q_store_claim(f->store, "w-one", cm_now_ms(), &head), CM_OK);
    assert_int_equal(head.job_id, ids[0]);
    q_job *members = NULL;
    size_t count = 0;
    /* Only a holder may make a batch. */
    assert_int_equal(q_store_claim_batch(f->store, &head, "w-other", 3000, 100, 1, cm_now_ms(), &members, &count),
                     CM_ESTATE);
    assert_int_equal(count, 0);
    /* The record limit: the head's 2 items and two more jobs of 2 make 6. */
    assert_int_equal(q_store_claim_batch(f->store, &head, "w-one", 7, 100, 1, cm_now_ms(), &members, &count), CM_OK);
    assert_int_equal(count, 2);
    assert_int_equal(members[0].job_id, ids[1]);
    assert_int_equal(members[1].job_id, ids[2]);
    assert_int_equal(members[0].status, Q_WORKING);
    free_members(members, count);

    /* The members are held: another worker claims only the other tenant's job, and no member can
     * be cancelled; a job after the batch still can be. */
    q_job other;
    assert_int_equal(q_store_claim(f->store, "w-two", cm_now_ms(), &other), CM_OK);
    assert_int_equal(other.job_id, other_tenant);
    q_job_clear(&other);
    assert_int_equal(q_store_claim(f->store, "w-three", cm_now_ms(), &other), CM_ENOTFOUND);
    assert_int_equal(q_store_cancel(f->store, ids[1], cm_now_ms(), "[\"no\"]"), CM_ESTATE);

    /* The worker lets the batch go (as after a retry); another worker claims the head again and gets
     * the same batch, even with a larger limit and without leave to make a new one. */
    assert_int_equal(q_store_release(f->store, head.job_id, "w-one"), CM_OK);
    assert_int_equal(q_store_release(f->store, ids[1], "w-one"), CM_OK);
    assert_int_equal(q_store_release(f->store, ids[2], "w-one"), CM_OK);
    q_job_clear(&head);
    assert_int_equal(q_store_claim(f->store, "w-four", cm_now_ms(), &head), CM_OK);
    assert_int_equal(head.job_id, ids[0]);
    assert_int_equal(q_store_claim_batch(f->store, &head, "w-four", 3000, 100, 0, cm_now_ms(), &members, &count),
                     CM_OK);
    assert_int_equal(count, 2);
    assert_int_equal(members[0].job_id, ids[1]);
    assert_int_equal(members[1].job_id, ids[2]);

    /* All or nothing: one checkpoint of a worker that does not hold its job spoils the batch's. */
    q_checkpoint cps[3] = {batch_checkpoint(&head, "w-four"), batch_checkpoint(&members[0], "w-four"),
                           batch_checkpoint(&members[1], "w-one")};
    assert_int_equal(q_store_checkpoint_batch(f->store, cps, 3), CM_ESTATE);
    q_job job;
    assert_int_equal(q_store_get_job(f->store, 1, ids[0], &job), CM_OK);
    assert_int_equal(job.status, Q_WORKING);
    assert_int_equal(job.chunks_done, 0);
    q_job_clear(&job);
    cps[2].worker_token = "w-four";
    assert_int_equal(q_store_checkpoint_batch(f->store, cps, 3), CM_OK);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(q_store_get_job(f->store, 1, ids[i], &job), CM_OK);
        assert_int_equal(job.status, Q_SUCCESS);
        assert_int_equal(job.items_applied, 2);
        q_job_clear(&job);
    }
    free_members(members, count);
    q_job_clear(&head);

    /* The next head joins the rest up to the two-chunk job, which stays alone. */
    assert_int_equal(q_store_claim(f->store, "w-five", cm_now_ms(), &head), CM_OK);
    assert_int_equal(head.job_id, ids[3]);
    assert_int_equal(q_store_claim_batch(f->store, &head, "w-five", 3000, 100, 1, cm_now_ms(), &members, &count),
                     CM_OK);
    assert_int_equal(count, 1);
    assert_int_equal(members[0].job_id, ids[4]);
    free_members(members, count);
    /* Undone (OCI refused the batch): the member leaves it and waits, unheld, for its turn. */
    assert_int_equal(q_store_dissolve_batch(f->store, head.job_id, "w-six"), CM_ESTATE);
    assert_int_equal(q_store_dissolve_batch(f->store, head.job_id, "w-five"), CM_OK);
    assert_int_equal(q_store_claim_batch(f->store, &head, "w-five", 3000, 100, 0, cm_now_ms(), &members, &count),
                     CM_OK);
    assert_int_equal(count, 0);
    q_job_clear(&head);
    (void)after_big;
}

/* PostgreSQL: a batch whose instance stopped renewing is taken over whole with its head, and the
 * old holder's checkpoint of it is refused. */
static void test_batch_takeover_after_lease_expiry(void **state)
{
    fixture *f = *state;
    int64_t first = accept_job(f, 1, 1, "TK", 1, 0, 3000);
    int64_t second = accept_job(f, 1, 1, "TK", 1, 5, 3000);
    q_job head;
    assert_int_equal(q_store_claim(f->store, "dead", cm_now_ms(), &head), CM_OK);
    q_job *members = NULL;
    size_t count = 0;
    assert_int_equal(q_store_claim_batch(f->store, &head, "dead", 3000, 100, 1, cm_now_ms(), &members, &count), CM_OK);
    assert_int_equal(count, 1);
    assert_int_equal(members[0].job_id, second);
    free_members(members, count);
    q_job_clear(&head);
    q_store *other = open_store(f, SHORT_LEASE_MS);
    int64_t deadline = cm_mono_ms() + 4 * SHORT_LEASE_MS;
    cm_err rc;
    while ((rc = q_store_claim(other, "alive", cm_now_ms(), &head)) == CM_ENOTFOUND && cm_mono_ms() < deadline)
        cm_sleep_ms(50);
    assert_int_equal(rc, CM_OK);
    assert_int_equal(head.job_id, first);
    assert_int_equal(q_store_claim_batch(other, &head, "alive", 3000, 100, 0, cm_now_ms(), &members, &count), CM_OK);
    assert_int_equal(count, 1);
    assert_int_equal(members[0].job_id, second);
    assert_int_equal(members[0].interruptions, 1);
    q_checkpoint stale[2] = {batch_checkpoint(&head, "dead"), batch_checkpoint(&members[0], "dead")};
    assert_int_equal(q_store_checkpoint_batch(f->store, stale, 2), CM_ESTATE);
    assert_int_equal(q_store_renew_lease(other, head.job_id, "alive"), CM_OK);
    q_checkpoint live[2] = {batch_checkpoint(&head, "alive"), batch_checkpoint(&members[0], "alive")};
    assert_int_equal(q_store_checkpoint_batch(other, live, 2), CM_OK);
    free_members(members, count);
    q_job_clear(&head);
    q_job job;
    assert_int_equal(q_store_get_job(other, 1, second, &job), CM_OK);
    assert_int_equal(job.status, Q_SUCCESS);
    q_job_clear(&job);
    q_store_close(other);
}

/* Many small jobs queued while the tenant is held are delivered in few deliveries: records in
 * acceptance order (a SKU ends at the last accepted value), each job with its own results. */
static void test_small_jobs_are_coalesced(void **state)
{
    fixture *f = *state;
    assert_int_equal(q_store_hold(f->store, 1, Q_HOLD_OPERATOR, "coalescing test", cm_now_ms()), CM_OK);
    enum { JOBS = 60 };
    int64_t ids[JOBS];
    for (int i = 0; i < JOBS; i++)
        ids[i] = accept_job(f, 1, (size_t)(1 + i % 3), "CO", 4, 100 * i, 3000); /* skus CO-0..CO-2 repeat */
    f->delivery->refuse_item_index = 2; /* the third item of the 3-item jobs */
    start_pool(f, 2, 60000);
    assert_int_equal(q_store_release_hold(f->store, 1, Q_HOLD_OPERATOR), CM_OK);
    for (int i = 0; i < JOBS; i++) {
        q_job job = wait_finished(f, 1, ids[i], 30000);
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
    assert_int_equal(on_hand_of(f, "CO-0"), 5900 * 1000);
    assert_int_equal(on_hand_of(f, "CO-1"), 5901 * 1000);
    for (size_t c = 0; c < f->delivery->call_count; c++)
        assert_true(f->delivery->calls[c].batch_key[0] != '\0' || f->delivery->calls[c].record_count <= 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ON_BOTH(test_chunk_boundaries),
        ON_BOTH(test_tenant_order_and_last_wins),
        ON_BOTH(test_tenants_run_in_parallel),
        ON_BOTH(test_retry_then_success),
        ON_BOTH(test_retry_after_is_honoured),
        ON_BOTH(test_final_failure_is_not_retried),
        ON_BOTH(test_retry_budget_exhausted),
        ON_BOTH(test_item_refusals_are_results),
        ON_BOTH(test_all_refused_fails_the_job),
        ON_SQLITE(test_claim_checkpoint_recover),
        ON_BOTH(test_prune_only_finished_old_jobs),
        ON_BOTH(test_other_tenant_cannot_read),
        ON_BOTH(test_extras_are_kept),
        ON_BOTH(test_queue_cuts_the_items),
        ON_BOTH(test_old_rows_are_still_delivered),
        ON_BOTH(test_list_filters),
        ON_BOTH(test_hold_keeps_a_tenant_waiting),
        ON_BOTH(test_hold_pauses_a_running_job_between_chunks),
        ON_BOTH(test_hold_watch_follows_the_graph),
        ON_BOTH(test_parked_head_blocks_only_its_tenant),
        ON_BOTH(test_concurrent_claims_take_one_job_per_tenant),
        ON_BOTH(test_admin_views_across_tenants),
        {"postgresql: test_lease_expiry_takeover_and_fencing", test_lease_expiry_takeover_and_fencing,
         setup_pg_short_lease, teardown, NULL},
        {"postgresql: test_lease_is_renewed_while_running", test_lease_is_renewed_while_running,
         setup_pg_short_lease, teardown, NULL},
        ON_POSTGRESQL(test_two_instances_share_the_queue),
        ON_POSTGRESQL(test_notify_wakes_idle_workers),
        ON_POSTGRESQL(test_migrations_race_and_newer_schema),
        ON_POSTGRESQL(test_connection_errors_hide_the_password),
        ON_POSTGRESQL(test_database_restart),
        ON_BOTH(test_refresh_then_adjust_in_order),
        ON_BOTH(test_adjust_redelivery_uses_saved_values),
        ON_BOTH(test_adjust_reads_in_batches_of_100),
        ON_BOTH(test_chunk_state_is_fenced),
        ON_BOTH(test_migration_from_the_previous_schema),
        ON_BOTH(test_batch_claim_is_stored_and_fenced),
        ON_BOTH(test_small_jobs_are_coalesced),
        {"postgresql: test_batch_takeover_after_lease_expiry", test_batch_takeover_after_lease_expiry,
         setup_pg_short_lease, teardown, NULL},
        cmocka_unit_test(test_adjust_arithmetic),
        cmocka_unit_test(test_backoff_bounds),
        cmocka_unit_test(test_classify),
    };
    return cmocka_run_group_tests(tests, NULL, group_teardown);
}
