/*
 * queue_fixture.c - the queue tests' shared rig (queue_fixture.h).
 */
#include "tests/support/queue_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/body.h"
#include "common/clock.h"
#include "queue/job.h"

static uint64_t hash_text(const char *text)
{
    uint64_t hash = 1469598103934665603ULL;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        hash = (hash ^ *p) * 1099511628211ULL;
    return hash;
}

/* Open addressing over QF_MAX_SKUS * 4 slots: the map of applied on-hand values by sku. */
int64_t *qf_on_hand_slot(qf_delivery *d, const char *sku)
{
    size_t slot = (size_t)hash_text(sku) % (QF_MAX_SKUS * 4);
    while (d->skus[slot] && strcmp(d->skus[slot], sku) != 0)
        slot = (slot + 1) % (QF_MAX_SKUS * 4);
    if (!d->skus[slot]) {
        d->skus[slot] = strdup(sku);
        d->sku_count++;
    }
    return &d->on_hand[slot];
}

/* Returns 1 when the record id was applied before; remembers it otherwise. */
static int seen_record(qf_delivery *d, const char *id)
{
    size_t slot = (size_t)hash_text(id) % QF_RECORD_SLOTS;
    while (d->record_ids[slot]) {
        if (strcmp(d->record_ids[slot], id) == 0)
            return 1;
        slot = (slot + 1) % QF_RECORD_SLOTS;
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
    qf_delivery *d = (qf_delivery *)self;
    pthread_mutex_lock(&d->lock);
    size_t call = d->call_count;
    if (d->call_count < QF_MAX_CALLS)
    {
        d->calls[d->call_count] = (qf_call){chunk->tenant_id, chunk->job_id, chunk->chunk_index,
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
            *qf_on_hand_slot(d, record->sku) = record->on_hand_milli;
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
    qf_delivery *d = (qf_delivery *)self;
    message[0] = '\0';
    pthread_mutex_lock(&d->lock);
    d->reads++;
    size_t cells = read->sku_count * read->location_count;
    if (cells > d->max_read_cells)
        d->max_read_cells = cells;
    for (size_t l = 0; l < read->location_count; l++)
        for (size_t s = 0; s < read->sku_count; s++) {
            size_t slot = (size_t)hash_text(read->skus[s]) % (QF_MAX_SKUS * 4);
            while (d->skus[slot] && strcmp(d->skus[slot], read->skus[s]) != 0)
                slot = (slot + 1) % (QF_MAX_SKUS * 4);
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
    qf_delivery *d = (qf_delivery *)self;
    for (size_t i = 0; i < QF_MAX_SKUS * 4; i++)
        free(d->skus[i]);
    for (size_t i = 0; i < QF_RECORD_SLOTS; i++)
        free(d->record_ids[i]);
    free(d->record_ids);
    pthread_mutex_destroy(&d->lock);
    free(d);
}

static int test_graph_changing(q_delivery *self, const char *organization_id)
{
    return strcmp(organization_id, "org1") == 0 && atomic_load(&((qf_delivery *)self)->graph_changing);
}

qf_delivery *qf_new_delivery(void)
{
    qf_delivery *d = calloc(1, sizeof *d);
    d->base.deliver = test_deliver;
    d->base.read = test_read;
    d->base.destroy = test_destroy;
    d->base.graph_changing = test_graph_changing;
    d->refuse_item_index = -1;
    d->record_ids = calloc(QF_RECORD_SLOTS, sizeof(char *));
    pthread_mutex_init(&d->lock, NULL);
    return d;
}

/* ---- the fixture ---- */

static const char QF_CONFIG[] =
    "{\"oci\":{\"organizations\":[{\"id\":\"org1\"}]},"
    " \"tenants\":["
    "  {\"id\":1,\"apiKeys\":{\"v5\":\"k1\"},\"organizationId\":\"org1\",\"locations\":{\"L\":\"loc-1\"}},"
    "  {\"id\":2,\"apiKeys\":{\"v5\":\"k2\"},\"organizationId\":\"org1\",\"locations\":{\"L\":\"loc-1\"}},"
    "  {\"id\":3,\"apiKeys\":{\"v5\":\"k3\"},\"organizationId\":\"org1\",\"locations\":{\"L\":\"loc-1\"}}]}";

th_pg qf_pg_server;
int qf_pg_started;
int qf_database_counter;

/* Opens another store on the fixture's database (PostgreSQL: what a second instance does). */
q_store *qf_open_store(qf_fixture *f, int64_t lease_ms)
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

static int qf_setup_with(void **state, q_store_backend backend, int64_t lease_ms)
{
    qf_fixture *f = calloc(1, sizeof *f);
    th_temp_dir(f->dir, sizeof f->dir);
    f->backend = backend;
    if (backend == Q_STORE_POSTGRESQL) {
        if (!qf_pg_started) {
            assert_int_equal(th_pg_start(&qf_pg_server, 0), 0);
            qf_pg_started = 1;
        }
        char name[32];
        snprintf(name, sizeof name, "queue_%d", ++qf_database_counter);
        assert_int_equal(th_pg_create_database(&qf_pg_server, name, f->url, sizeof f->url), 0);
    }
    f->store = qf_open_store(f, lease_ms);
    char config_error[CM_CONFIG_ERROR_MAX];
    assert_int_equal(cm_config_parse(QF_CONFIG, strlen(QF_CONFIG), "test", ".", NULL, 0, &f->config, config_error), CM_OK);
    f->delivery = qf_new_delivery();
    *state = f;
    return 0;
}

int qf_setup_sqlite(void **state)
{
    return qf_setup_with(state, Q_STORE_SQLITE, 0);
}

int qf_setup_pg(void **state)
{
    return qf_setup_with(state, Q_STORE_POSTGRESQL, 0);
}

/* Leases long enough for a loaded machine to make two calls inside one, short enough to wait out. */

int qf_setup_pg_short_lease(void **state)
{
    return qf_setup_with(state, Q_STORE_POSTGRESQL, QF_SHORT_LEASE_MS);
}

q_pool *qf_start_pool_on(qf_fixture *f, q_store *store, int workers, int64_t budget_ms, int64_t idle_poll_ms)
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

void qf_start_pool(qf_fixture *f, int workers, int64_t budget_ms)
{
    f->pool = qf_start_pool_on(f, f->store, workers, budget_ms, 20);
}

int qf_teardown(void **state)
{
    qf_fixture *f = *state;
    q_pool_stop(f->pool);
    f->delivery->base.destroy(&f->delivery->base);
    q_store_close(f->store);
    cm_config_free(f->config);
    th_remove_tree(f->dir);
    free(f);
    return 0;
}

/* The type the next qf_accept_job* call gives its job (then back to REFRESH). */
q_job_type qf_next_job_type = Q_JOB_REFRESH;

/* 1: the next qf_accept_job* call stores its chunks as an omsgw before the stored item form did (a
 * JSON array per chunk, cut by the caller), as jobs accepted before an upgrade are (then back to 0). */
int qf_next_job_legacy_rows = 0;

/* Accepts a job of `count` items into `store`: sku "<prefix>-<i % distinct>", quantity base + i.
 * The items are handed over in the stored form (translate/stored_items.h) for the queue to cut. */
int64_t qf_accept_job_into(q_store *store, int64_t tenant, size_t count, const char *prefix, size_t distinct,
                          int64_t quantity_base, int64_t chunk_size)
{
    if (!qf_next_job_legacy_rows) {
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
            .type = qf_next_job_type,
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
        qf_next_job_type = Q_JOB_REFRESH;
        cm_body_free(&items);
        free(ends);
        return id;
    }
    qf_next_job_legacy_rows = 0;
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
        .type = qf_next_job_type,
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
    qf_next_job_type = Q_JOB_REFRESH;
    for (size_t c = 0; c < chunk_count; c++)
        free(texts[c]);
    free(texts);
    free(lengths);
    return id;
}

int64_t qf_accept_job(qf_fixture *f, int64_t tenant, size_t count, const char *prefix, size_t distinct,
                          int64_t quantity_base, int64_t chunk_size)
{
    return qf_accept_job_into(f->store, tenant, count, prefix, distinct, quantity_base, chunk_size);
}

/* Waits until the job is finished; returns it (caller clears). */
q_job qf_wait_finished(qf_fixture *f, int64_t tenant, int64_t job_id, int timeout_ms)
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
int qf_group_teardown(void **state)
{
    (void)state;
    if (qf_pg_started)
        th_pg_cleanup(&qf_pg_server);
    return 0;
}
/* Accepts an ADJUST job of explicit items (a JSON array text) in one chunk. */
int64_t qf_accept_adjust(qf_fixture *f, int64_t tenant, const char *items_json, int64_t item_count)
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

int64_t qf_on_hand_of(qf_fixture *f, const char *sku)
{
    return *qf_on_hand_slot(f->delivery, sku);
}
q_checkpoint qf_batch_checkpoint(const q_job *job, const char *token)
{
    return (q_checkpoint){.job_id = job->job_id, .tenant_id = job->tenant_id, .oci_location = "loc-1",
                          .worker_token = token, .chunk_index = 0, .items_applied = job->item_count,
                          .now_ms = cm_now_ms(), .finish_success = 1};
}

void qf_free_members(q_job *members, size_t count)
{
    for (size_t i = 0; i < count; i++)
        q_job_clear(&members[i]);
    free(members);
}
