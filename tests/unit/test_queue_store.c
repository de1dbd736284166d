/*
 * test_queue_store.c - the durable store's interface (queue/store.h) on both backends: claim,
 * checkpoint and recovery after a crash, pruning only finished old jobs, tenants that cannot
 * read each other's jobs, list filters, concurrent claims (one job per tenant at a time), the
 * operator's views across tenants, fenced chunk state, migration from the previous schema,
 * stored, fenced batch claims, and the legacy fields a checkpoint keeps per SKU (merged as RFC 7396
 * patches; fields sent as they were write nothing).
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

static void test_claim_checkpoint_recover(void **state)
{
    qf_fixture *f = *state;
    int64_t id = qf_accept_job(f, 3, 7000, "CR", 7000, 0, 3000);
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
    qf_start_pool(f, 1, 60000);
    job = qf_wait_finished(f, 3, id, 20000);
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
    qf_fixture *f = *state;
    int64_t old_job = qf_accept_job(f, 1, 1, "P", 1, 0, 3000);
    int64_t pending = qf_accept_job(f, 2, 1, "P", 1, 0, 3000);
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
    qf_fixture *f = *state;
    int64_t id = qf_accept_job(f, 1, 1, "T", 1, 0, 3000);
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

/* The list's extension filters: status (several), and the acceptance time range. */
static void test_list_filters(void **state)
{
    qf_fixture *f = *state;
    int64_t before = cm_now_ms();
    int64_t failed = qf_accept_job(f, 1, 1, "LF", 1, 0, 3000);
    int64_t succeeded = qf_accept_job(f, 1, 1, "LF", 1, 0, 3000);
    cm_sleep_ms(20);
    int64_t middle = cm_now_ms();
    cm_sleep_ms(20);
    int64_t pending = qf_accept_job(f, 1, 1, "LF", 1, 0, 3000);
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
    qf_fixture *f = *state;
    int64_t first_of_tenant[4] = {0};
    for (int round = 0; round < 5; round++)
        for (int64_t tenant = 1; tenant <= 3; tenant++) {
            int64_t id = qf_accept_job(f, tenant, 1, "CC", 1, round, 3000);
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

static size_t admin_count(qf_fixture *f, const q_admin_filter *filter, int64_t *first_id)
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
    qf_fixture *f = *state;
    int64_t a = qf_accept_job(f, 1, 2, "AA", 2, 0, 3000);
    int64_t b = qf_accept_job(f, 2, 3, "BB", 3, 0, 3000);
    int64_t c = qf_accept_job(f, 1, 1, "CC", 1, 0, 3000);

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

/* The chunk-state call is fenced by the holder's token, and what it saved is what loads. */
static void test_chunk_state_is_fenced(void **state)
{
    qf_fixture *f = *state;
    int64_t adjust = qf_accept_adjust(f, 1, "[{\"sku\":\"FEN-1\",\"quantity\":1}]", 1);
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

/* A database made before ADJUST existed (schema version 3, with a queued refresh and kept extras in it)
 * is migrated in place on open: the refresh and its stored chunk survive, and ADJUST jobs and
 * chunk states can be stored afterwards. The old schema is made by undoing the later steps. */
static void test_migration_from_the_previous_schema(void **state)
{
    qf_fixture *f = *state;
    int64_t refresh = qf_accept_job(f, 1, 2, "MIG", 2, 1, 3000);
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
                              /* item_extras as version 1 made it, with a row that must survive. */
                              "DROP TABLE item_extras;"
                              "CREATE TABLE item_extras (tenant_id INTEGER NOT NULL, oci_location TEXT NOT NULL,"
                              " sku TEXT NOT NULL, extras TEXT NOT NULL CHECK (json_valid(extras)),"
                              " job_id INTEGER NOT NULL, updated_ms INTEGER NOT NULL,"
                              " PRIMARY KEY (tenant_id, oci_location, sku)) WITHOUT ROWID;"
                              "INSERT INTO item_extras VALUES (1, 'warehouse-1', 'MIG-X', '{\"binID\":3}', 1, 1);"
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
    f->store = qf_open_store(f, 0);
    char *payload = NULL;
    size_t length = 0;
    assert_int_equal(q_store_load_chunk(f->store, refresh, 0, &payload, &length), CM_OK);
    assert_non_null(strstr(payload, "MIG-1"));
    free(payload);
    if (f->backend == Q_STORE_SQLITE) {
        /* Version 6 rebuilt item_extras without its json_valid CHECK, keeping its rows. */
        char *extras = NULL;
        assert_int_equal(q_store_get_extras(f->store, 1, "warehouse-1", "MIG-X", &extras), CM_OK);
        assert_string_equal(extras, "{\"binID\":3}");
        free(extras);
        char path[320];
        snprintf(path, sizeof path, "%s/gateway.db", f->dir);
        sqlite3 *db = NULL;
        assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
        sqlite3_stmt *stmt = NULL;
        assert_int_equal(sqlite3_prepare_v2(db, "SELECT sql FROM sqlite_schema WHERE name = 'item_extras'", -1, &stmt,
                                            NULL),
                         SQLITE_OK);
        assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
        const char *sql = (const char *)sqlite3_column_text(stmt, 0);
        assert_non_null(strstr(sql, "WITHOUT ROWID"));
        assert_null(strstr(sql, "json_valid"));
        sqlite3_finalize(stmt);
        sqlite3_close(db);
    }
    int64_t adjust = qf_accept_adjust(f, 1, "[{\"sku\":\"MIG-1\",\"quantity\":-1}]", 1);
    qf_start_pool(f, 1, 60000);
    q_job job = qf_wait_finished(f, 1, adjust, 20000);
    assert_int_equal(job.status, Q_SUCCESS);
    q_job_clear(&job);
    assert_int_equal(qf_on_hand_of(f, "MIG-1"), 1000); /* 2 − 1 */
}

/* The batch joins the next jobs without a gap, within the record limit; it is stored, so a later
 * claim of its head (another worker, after a release or a crash) gets the same batch; members are
 * held (not claimable, not cancellable); the checkpoint records all of them or none. */
static void test_batch_claim_is_stored_and_fenced(void **state)
{
    qf_fixture *f = *state;
    int64_t ids[6];
    for (int i = 0; i < 5; i++)
        ids[i] = qf_accept_job(f, 1, 2, "BC", 2, 10 * i, 3000);
    ids[5] = qf_accept_job(f, 1, 4000, "BIG", 10, 0, 3000); /* two chunks: never joined */
    int64_t after_big = qf_accept_job(f, 1, 1, "BC", 1, 0, 3000);
    int64_t other_tenant = qf_accept_job(f, 2, 1, "BT", 1, 0, 3000);

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
    qf_free_members(members, count);

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
    q_checkpoint cps[3] = {qf_batch_checkpoint(&head, "w-four"), qf_batch_checkpoint(&members[0], "w-four"),
                           qf_batch_checkpoint(&members[1], "w-one")};
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
    qf_free_members(members, count);
    q_job_clear(&head);

    /* The next head joins the rest up to the two-chunk job, which stays alone. */
    assert_int_equal(q_store_claim(f->store, "w-five", cm_now_ms(), &head), CM_OK);
    assert_int_equal(head.job_id, ids[3]);
    assert_int_equal(q_store_claim_batch(f->store, &head, "w-five", 3000, 100, 1, cm_now_ms(), &members, &count),
                     CM_OK);
    assert_int_equal(count, 1);
    assert_int_equal(members[0].job_id, ids[4]);
    qf_free_members(members, count);
    /* Undone (OCI refused the batch): the member leaves it and waits, unheld, for its turn. */
    assert_int_equal(q_store_dissolve_batch(f->store, head.job_id, "w-six"), CM_ESTATE);
    assert_int_equal(q_store_dissolve_batch(f->store, head.job_id, "w-five"), CM_OK);
    assert_int_equal(q_store_claim_batch(f->store, &head, "w-five", 3000, 100, 0, cm_now_ms(), &members, &count),
                     CM_OK);
    assert_int_equal(count, 0);
    q_job_clear(&head);
    (void)after_big;
}

/* Claims the next job and checkpoints its only chunk with `extras_json` kept for `sku`. */
static int64_t checkpoint_extras(qf_fixture *f, const char *sku, const char *extras_json)
{
    int64_t id = qf_accept_job(f, 1, 1, "XM", 1, 1, 3000);
    q_job job;
    assert_int_equal(q_store_claim(f->store, "w", cm_now_ms(), &job), CM_OK);
    assert_int_equal(job.job_id, id);
    q_item_extra extra = {.sku = sku, .extras_json = extras_json};
    q_checkpoint checkpoint = qf_batch_checkpoint(&job, "w");
    checkpoint.extras = &extra;
    checkpoint.extra_count = 1;
    assert_int_equal(q_store_checkpoint(f->store, &checkpoint), CM_OK);
    q_job_clear(&job);
    return id;
}

/* The job that last changed a SKU's kept fields (SQLite: read from the file itself). */
static int64_t extras_job_of(qf_fixture *f, const char *sku)
{
    char path[400];
    snprintf(path, sizeof path, "%s/gateway.db", f->dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *stmt = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT job_id FROM item_extras WHERE sku = ?1", -1, &stmt, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(stmt, 1, sku, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    int64_t job_id = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return job_id;
}

static void expect_extras(qf_fixture *f, const char *sku, const char *expected_json)
{
    char *text = NULL;
    assert_int_equal(q_store_get_extras(f->store, 1, "loc-1", sku, &text), CM_OK);
    json_object *got = json_tokener_parse(text), *expected = json_tokener_parse(expected_json);
    assert_non_null(got);
    assert_non_null(expected);
    if (!json_object_equal(got, expected))
        fail_msg("extras %s, expected %s", text, expected_json);
    json_object_put(got);
    json_object_put(expected);
    free(text);
}

/* A SKU's legacy fields: merged into what earlier refreshes kept (a field sent again replaces its
 * value, one not sent stays, null removes it); the same fields again change nothing, and on SQLite
 * not even the row (it still names the job that last changed it). */
static void test_extras_merge_and_repeats_write_nothing(void **state)
{
    qf_fixture *f = *state;
    int64_t first = checkpoint_extras(f, "XM-0", "{\"binID\":7,\"aisle\":\"A\"}");
    expect_extras(f, "XM-0", "{\"binID\":7,\"aisle\":\"A\"}");
    checkpoint_extras(f, "XM-0", "{\"binID\":7,\"aisle\":\"A\"}");
    expect_extras(f, "XM-0", "{\"binID\":7,\"aisle\":\"A\"}");
    if (f->backend == Q_STORE_SQLITE)
        assert_int_equal(extras_job_of(f, "XM-0"), first);
    int64_t third = checkpoint_extras(f, "XM-0", "{\"binID\":8}");
    expect_extras(f, "XM-0", "{\"binID\":8,\"aisle\":\"A\"}");
    if (f->backend == Q_STORE_SQLITE)
        assert_int_equal(extras_job_of(f, "XM-0"), third);
    checkpoint_extras(f, "XM-0", "{\"aisle\":null,\"shelf\":3}");
    expect_extras(f, "XM-0", "{\"binID\":8,\"shelf\":3}");

    /* One SKU twice in one chunk: the two are applied in item order, the second's null included
     * (PostgreSQL folds them into one patch first). */
    qf_accept_job(f, 1, 1, "XM", 1, 1, 3000);
    q_job job;
    assert_int_equal(q_store_claim(f->store, "w", cm_now_ms(), &job), CM_OK);
    q_item_extra twice[] = {{.sku = "XM-0", .extras_json = "{\"aisle\":\"B\",\"row\":2}"},
                            {.sku = "XM-0", .extras_json = "{\"aisle\":null,\"shelf\":null}"}};
    q_checkpoint checkpoint = qf_batch_checkpoint(&job, "w");
    checkpoint.extras = twice;
    checkpoint.extra_count = 2;
    assert_int_equal(q_store_checkpoint(f->store, &checkpoint), CM_OK);
    q_job_clear(&job);
    expect_extras(f, "XM-0", "{\"binID\":8,\"row\":2}");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        QF_ON_SQLITE(test_claim_checkpoint_recover),
        QF_ON_BOTH(test_prune_only_finished_old_jobs),
        QF_ON_BOTH(test_other_tenant_cannot_read),
        QF_ON_BOTH(test_list_filters),
        QF_ON_BOTH(test_concurrent_claims_take_one_job_per_tenant),
        QF_ON_BOTH(test_admin_views_across_tenants),
        QF_ON_BOTH(test_chunk_state_is_fenced),
        QF_ON_BOTH(test_migration_from_the_previous_schema),
        QF_ON_BOTH(test_batch_claim_is_stored_and_fenced),
        QF_ON_BOTH(test_extras_merge_and_repeats_write_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, qf_group_teardown);
}
