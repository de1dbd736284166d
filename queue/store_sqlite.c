/*
 * store_sqlite.c - the queue on SQLite (gateway.db), the embedded default: one process, one writer
 * connection, reader connections that never wait for it. See store.h for the promises.
 */
#include "common/clock.h"
#include "common/db.h"
#include "common/log.h"
#include "queue/accept_batch.h"
#include "queue/chunking.h"
#include "queue/store_backend.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STMT_CACHE_SIZE 48

_Static_assert(Q_STORE_ERROR_MAX >= CM_DB_ERROR_MAX, "SQLite's messages fit the store's error buffer");

static const cm_db_migration migrations[] = {
    {1, "CREATE TABLE tenant_locations ("
        "  location_num INTEGER PRIMARY KEY AUTOINCREMENT,"
        "  tenant_id INTEGER NOT NULL CHECK (tenant_id > 0),"
        "  oci_location TEXT NOT NULL CHECK (length(oci_location) BETWEEN 1 AND 128),"
        "  UNIQUE (tenant_id, oci_location));"
        "CREATE TABLE jobs ("
        "  job_id INTEGER PRIMARY KEY AUTOINCREMENT,"
        "  tenant_id INTEGER NOT NULL CHECK (tenant_id > 0),"
        "  type TEXT NOT NULL DEFAULT 'REFRESH' CHECK (type IN ('REFRESH')),"
        "  location_num INTEGER NOT NULL REFERENCES tenant_locations (location_num),"
        "  location_name TEXT NOT NULL CHECK (length(location_name) BETWEEN 1 AND 255),"
        "  oci_location TEXT NOT NULL,"
        "  organization_id TEXT NOT NULL,"
        "  status TEXT NOT NULL DEFAULT 'PENDING'"
        "    CHECK (status IN ('PENDING', 'WORKING', 'SUCCESS', 'FAILED')),"
        "  success INTEGER NOT NULL DEFAULT 0 CHECK (success IN (0, 1)),"
        "  added_ms INTEGER NOT NULL,"
        "  started_ms INTEGER,"
        "  finished_ms INTEGER,"
        "  item_count INTEGER NOT NULL CHECK (item_count BETWEEN 1 AND 12000),"
        "  chunk_size INTEGER NOT NULL CHECK (chunk_size > 0),"
        "  chunks_total INTEGER NOT NULL CHECK (chunks_total >= 1),"
        "  chunks_done INTEGER NOT NULL DEFAULT 0 CHECK (chunks_done BETWEEN 0 AND chunks_total),"
        "  items_applied INTEGER NOT NULL DEFAULT 0 CHECK (items_applied >= 0),"
        "  items_failed INTEGER NOT NULL DEFAULT 0 CHECK (items_failed >= 0),"
        "  attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),"
        "  interruptions INTEGER NOT NULL DEFAULT 0 CHECK (interruptions >= 0),"
        "  claimed_by TEXT,"
        "  next_attempt_ms INTEGER NOT NULL DEFAULT 0,"
        "  retry_started_ms INTEGER NOT NULL DEFAULT 0,"
        "  chunk_retries INTEGER NOT NULL DEFAULT 0 CHECK (chunk_retries >= 0),"
        "  last_error TEXT,"
        "  messages TEXT NOT NULL DEFAULT '[]',"
        "  CHECK (items_applied + items_failed <= item_count),"
        "  CHECK ((status = 'PENDING') = (started_ms IS NULL)),"
        "  CHECK ((status IN ('SUCCESS', 'FAILED')) = (finished_ms IS NOT NULL)),"
        "  CHECK (claimed_by IS NULL OR status = 'WORKING'),"
        "  CHECK (status <> 'SUCCESS' OR chunks_done = chunks_total));"
        "CREATE INDEX jobs_open ON jobs (tenant_id, job_id) WHERE status IN ('PENDING', 'WORKING');"
        "CREATE INDEX jobs_tenant ON jobs (tenant_id, job_id);"
        "CREATE INDEX jobs_finished ON jobs (finished_ms) WHERE finished_ms IS NOT NULL;"
        "CREATE TABLE job_chunks ("
        "  job_id INTEGER NOT NULL REFERENCES jobs (job_id) ON DELETE CASCADE,"
        "  chunk_index INTEGER NOT NULL CHECK (chunk_index >= 0),"
        "  items TEXT NOT NULL,"
        "  PRIMARY KEY (job_id, chunk_index));"
        "CREATE TABLE chunk_results ("
        "  job_id INTEGER NOT NULL REFERENCES jobs (job_id) ON DELETE CASCADE,"
        "  chunk_index INTEGER NOT NULL,"
        "  items_applied INTEGER NOT NULL,"
        "  items_failed INTEGER NOT NULL,"
        "  finished_ms INTEGER NOT NULL,"
        "  PRIMARY KEY (job_id, chunk_index)) WITHOUT ROWID;"
        "CREATE TABLE item_failures ("
        "  job_id INTEGER NOT NULL REFERENCES jobs (job_id) ON DELETE CASCADE,"
        "  item_index INTEGER NOT NULL,"
        "  sku TEXT,"
        "  error_code TEXT NOT NULL,"
        "  message TEXT NOT NULL,"
        "  PRIMARY KEY (job_id, item_index)) WITHOUT ROWID;"
        "CREATE TABLE item_extras ("
        "  tenant_id INTEGER NOT NULL,"
        "  oci_location TEXT NOT NULL,"
        "  sku TEXT NOT NULL,"
        "  extras TEXT NOT NULL CHECK (json_valid(extras)),"
        "  job_id INTEGER NOT NULL,"
        "  updated_ms INTEGER NOT NULL,"
        "  PRIMARY KEY (tenant_id, oci_location, sku)) WITHOUT ROWID;"},
    /* A random id of this installation, made once: part of every record id, so a re-created
     * gateway.db (whose job ids start at 1 again) never repeats ids OCI has already applied. */
    {2, "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"
        "INSERT INTO meta (key, value) VALUES ('installation_id', lower(hex(randomblob(16))));"},
    /* Tenants whose deliveries are paused (store.h, "holds"). */
    {3, "CREATE TABLE tenant_holds ("
        "  tenant_id INTEGER NOT NULL CHECK (tenant_id > 0),"
        "  kind TEXT NOT NULL CHECK (kind IN ('graph-change', 'operator')),"
        "  reason TEXT NOT NULL CHECK (length(reason) BETWEEN 1 AND 300),"
        "  since_ms INTEGER NOT NULL,"
        "  PRIMARY KEY (tenant_id, kind)) WITHOUT ROWID;"},
    /* ADJUST jobs share the jobs table (and so the per-tenant order) with refreshes. SQLite cannot
     * alter a CHECK constraint, and rebuilding jobs would cascade-delete its chunks (foreign keys
     * are on and cannot be turned off inside the migration's transaction), so the constraint's
     * text is widened in place, as SQLite's ALTER TABLE page describes for CHECK changes; the
     * ALTER TABLE that follows bumps the schema cookie so every connection re-reads the schema.
     * job_chunks.state holds a chunk's computed values (store.h, q_store_save_chunk_state). */
    {4, "PRAGMA writable_schema=ON;"
        "UPDATE sqlite_schema SET sql = replace(sql, 'CHECK (type IN (''REFRESH''))',"
        " 'CHECK (type IN (''REFRESH'', ''ADJUST''))') WHERE type = 'table' AND name = 'jobs';"
        "PRAGMA writable_schema=OFF;"
        "ALTER TABLE job_chunks ADD COLUMN state TEXT CHECK (state IS NULL OR json_valid(state));"},
    /* Coalescing (store.h, q_store_claim_batch): a job joined to another's batch remembers its
     * head, so that the same batch is delivered again after a crash. */
    {5, "ALTER TABLE jobs ADD COLUMN batch_of INTEGER;"
        "CREATE INDEX jobs_batch ON jobs (batch_of) WHERE batch_of IS NOT NULL;"},
    /* item_extras.extras loses its CHECK (json_valid(extras)): it parsed every legacy field text a
     * second time on every upsert, sent unchanged or not (a quarter of the upsert's cost). The text
     * is written by the worker from the kept members it has checked against JSON's grammar
     * (translate/stored_items.c) and identifiers it escapes itself, and json_patch refuses
     * anything else when it merges. Nothing references the table, so it is rebuilt and renamed
     * (SQLite's ALTER TABLE page, "other kinds of table schema changes"): one copy of its rows,
     * once, when a gateway.db of an older omsgw is opened. */
    {6, "CREATE TABLE item_extras_6 ("
        "  tenant_id INTEGER NOT NULL,"
        "  oci_location TEXT NOT NULL,"
        "  sku TEXT NOT NULL,"
        "  extras TEXT NOT NULL,"
        "  job_id INTEGER NOT NULL,"
        "  updated_ms INTEGER NOT NULL,"
        "  PRIMARY KEY (tenant_id, oci_location, sku)) WITHOUT ROWID;"
        "INSERT INTO item_extras_6 SELECT tenant_id, oci_location, sku, extras, job_id, updated_ms FROM item_extras;"
        "DROP TABLE item_extras;"
        "ALTER TABLE item_extras_6 RENAME TO item_extras;"},
};

typedef struct cached_stmt {
    const char *sql;
    sqlite3_stmt *stmt;
} cached_stmt;

typedef struct connection {
    sqlite3 *db;
    pthread_mutex_t lock;
    cached_stmt cache[STMT_CACHE_SIZE];
    size_t cached;
} connection;

#define Q_CHECKPOINT_INTERVAL_MS 250

typedef struct sqlite_store {
    q_store base;
    char installation_id[64];
    cm_db_checkpointer *checkpointer;
    connection writer;
    int writer_full_sync; /* the writer's current synchronous mode: 1 FULL, 0 NORMAL */
    connection *readers;
    int reader_count;
    atomic_uint next_reader;
    q_accept_batch accept_batch; /* group commit of acceptances */
} sqlite_store;

static sqlite_store *of(q_store *store)
{
    return (sqlite_store *)store;
}

/* Returns the connection's prepared statement for `sql` (compared by address: callers pass string
 * literals), ready to bind. NULL when preparing failed. */
static sqlite3_stmt *statement(connection *conn, const char *sql)
{
    for (size_t i = 0; i < conn->cached; i++) {
        if (conn->cache[i].sql == sql) {
            /* A reset returns the error of the statement's last step, which that use reported:
             * nothing new for this one, which starts clean either way. */
            (void)sqlite3_reset(conn->cache[i].stmt);
            sqlite3_clear_bindings(conn->cache[i].stmt);
            return conn->cache[i].stmt;
        }
    }
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v3(conn->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL) != SQLITE_OK) {
        cm_log_error("queue.sql", "prepare failed: %s", sqlite3_errmsg(conn->db));
        return NULL;
    }
    if (conn->cached < STMT_CACHE_SIZE)
        conn->cache[conn->cached++] = (cached_stmt){sql, stmt};
    return stmt;
}

/* Finishes a statement use: resets it so it holds no read lock. The reset's result is the last
 * step's error, which every caller has already checked and reported. */
static void done(sqlite3_stmt *stmt)
{
    if (stmt)
        (void)sqlite3_reset(stmt);
}

static connection *lock_reader(sqlite_store *store)
{
    unsigned index = atomic_fetch_add(&store->next_reader, 1) % (unsigned)store->reader_count;
    for (int i = 0; i < store->reader_count; i++) {
        connection *candidate = &store->readers[(index + (unsigned)i) % (unsigned)store->reader_count];
        if (pthread_mutex_trylock(&candidate->lock) == 0)
            return candidate;
    }
    connection *conn = &store->readers[index];
    pthread_mutex_lock(&conn->lock);
    return conn;
}

static void unlock(connection *conn)
{
    pthread_mutex_unlock(&conn->lock);
}

/* Sets synchronous=FULL (durable) or NORMAL and reads it back: acceptance relies on FULL, so a
 * pragma that did not take is an error, not a silent downgrade. */
static cm_err set_synchronous(sqlite3 *db, int durable)
{
    if (sqlite3_exec(db, durable ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL", NULL, NULL, NULL) !=
        SQLITE_OK)
        return CM_EDB;
    sqlite3_stmt *stmt = NULL;
    int mode = -1;
    if (sqlite3_prepare_v2(db, "PRAGMA synchronous", -1, &stmt, NULL) == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW)
        mode = sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
    return mode == (durable ? 2 : 1) ? CM_OK : CM_EDB;
}

/*
 * Takes the writer for one transaction. Only accepting a job must survive power loss the moment it
 * is answered (synchronous=FULL: the WAL is synced at commit). Everything else the writer does —
 * claims, checkpoints, finishing — may be lost with the last moments before a power cut and is
 * redone (a chunk delivered again changes nothing twice), so it commits with NORMAL; the next FULL
 * commit syncs whatever came before it.
 */
static connection *lock_writer(sqlite_store *store, int durable)
{
    connection *conn = &store->writer;
    pthread_mutex_lock(&conn->lock);
    if (store->writer_full_sync != durable && set_synchronous(conn->db, durable) == CM_OK)
        store->writer_full_sync = durable;
    return conn;
}

static void close_connection(connection *conn)
{
    if (!conn->db)
        return;
    cm_db_close(conn->db);
    conn->db = NULL;
    pthread_mutex_destroy(&conn->lock);
}

static void sqlite_close(q_store *base);
static cm_err sqlite_accept_many(void *context, const q_new_job *const *jobs, size_t count, int64_t *job_ids,
                                 cm_err *results);

static const q_store_ops sqlite_ops;

cm_err q_store_sqlite_open(const q_store_options *options, q_store **out, char error[Q_STORE_ERROR_MAX])
{
    *out = NULL;
    const char *path = options->sqlite_path;
    int reader_count = options->connections;
    sqlite_store *store = calloc(1, sizeof *store);
    if (!store)
        return CM_ENOMEM;
    store->base.ops = &sqlite_ops;
    cm_err rc = cm_db_open(path, CM_DB_SYNC_FULL, &store->writer.db, error);
    if (!rc)
        rc = cm_db_migrate(store->writer.db, "queue", migrations, sizeof migrations / sizeof migrations[0],
                           error);
    if (rc) {
        cm_db_close(store->writer.db);
        free(store);
        return rc;
    }
    pthread_mutex_init(&store->writer.lock, NULL);
    if (q_accept_batch_init(&store->accept_batch, sqlite_accept_many, store, "sqlite") != CM_OK) {
        snprintf(error, Q_STORE_ERROR_MAX, "database %s: the acceptance thread could not be started", path);
        pthread_mutex_destroy(&store->writer.lock);
        cm_db_close(store->writer.db);
        free(store);
        return CM_ENOMEM;
    }
    if (set_synchronous(store->writer.db, 1) != CM_OK) {
        snprintf(error, Q_STORE_ERROR_MAX, "database %s: synchronous=FULL could not be set", path);
        sqlite_close(&store->base);
        return CM_EDB;
    }
    store->writer_full_sync = 1;
    sqlite3_stmt *meta = NULL;
    if (sqlite3_prepare_v2(store->writer.db, "SELECT value FROM meta WHERE key = 'installation_id'", -1, &meta,
                           NULL) == SQLITE_OK &&
        sqlite3_step(meta) == SQLITE_ROW)
        snprintf(store->installation_id, sizeof store->installation_id, "%s",
                 (const char *)sqlite3_column_text(meta, 0));
    sqlite3_finalize(meta);
    if (!store->installation_id[0]) {
        snprintf(error, Q_STORE_ERROR_MAX, "database %s has no installation id", path);
        sqlite_close(&store->base);
        return CM_EDB;
    }
    rc = cm_db_checkpointer_start(path, Q_CHECKPOINT_INTERVAL_MS, &store->checkpointer, error);
    if (rc) {
        sqlite_close(&store->base);
        return rc;
    }
    store->reader_count = reader_count > 0 ? reader_count : 1;
    store->readers = calloc((size_t)store->reader_count, sizeof(connection));
    if (!store->readers) {
        sqlite_close(&store->base);
        return CM_ENOMEM;
    }
    for (int i = 0; i < store->reader_count; i++) {
        rc = cm_db_open_reader(path, &store->readers[i].db, error);
        if (rc) {
            sqlite_close(&store->base);
            return rc;
        }
        pthread_mutex_init(&store->readers[i].lock, NULL);
    }
    *out = &store->base;
    return CM_OK;
}

static void sqlite_close(q_store *base)
{
    sqlite_store *store = of(base);
    if (!store)
        return;
    /* What was accepted and not yet committed is committed (and answered) first. */
    q_accept_batch_destroy(&store->accept_batch);
    cm_db_checkpointer_stop(store->checkpointer);
    for (int i = 0; store->readers && i < store->reader_count; i++)
        close_connection(&store->readers[i]);
    free(store->readers);
    if (store->writer.db) {
        /* A clean close folds the WAL back into the database file. */
        sqlite3_wal_checkpoint_v2(store->writer.db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
    }
    close_connection(&store->writer);
    free(store);
}

/* ---- helpers ---- */

static cm_err step_done(sqlite3_stmt *stmt)
{
    int rc = sqlite3_step(stmt);
    cm_err mapped = rc == SQLITE_DONE ? CM_OK : cm_db_error(rc);
    if (rc == SQLITE_ROW)
        mapped = CM_OK;
    done(stmt);
    return mapped;
}

static void copy_text(char *out, size_t size, const unsigned char *text)
{
    snprintf(out, size, "%s", text ? (const char *)text : "");
}

static q_status status_from_text(const unsigned char *text)
{
    if (!text)
        return Q_PENDING;
    if (strcmp((const char *)text, "WORKING") == 0)
        return Q_WORKING;
    if (strcmp((const char *)text, "SUCCESS") == 0)
        return Q_SUCCESS;
    if (strcmp((const char *)text, "FAILED") == 0)
        return Q_FAILED;
    return Q_PENDING;
}

#define JOB_COLUMNS                                                                                \
    "job_id, tenant_id, location_num, location_name, oci_location, organization_id, status,"       \
    " success, added_ms, coalesce(started_ms, 0), coalesce(finished_ms, 0), item_count,"          \
    " chunk_size, chunks_total, chunks_done, items_applied, items_failed, attempts,"              \
    " interruptions, next_attempt_ms, retry_started_ms, messages, chunk_retries, last_error, type"

static cm_err read_job(sqlite3_stmt *stmt, q_job *job)
{
    memset(job, 0, sizeof *job);
    job->job_id = sqlite3_column_int64(stmt, 0);
    job->tenant_id = sqlite3_column_int64(stmt, 1);
    job->location_num = sqlite3_column_int64(stmt, 2);
    copy_text(job->location_name, sizeof job->location_name, sqlite3_column_text(stmt, 3));
    copy_text(job->oci_location, sizeof job->oci_location, sqlite3_column_text(stmt, 4));
    copy_text(job->organization_id, sizeof job->organization_id, sqlite3_column_text(stmt, 5));
    job->status = status_from_text(sqlite3_column_text(stmt, 6));
    job->success = sqlite3_column_int(stmt, 7);
    job->added_ms = sqlite3_column_int64(stmt, 8);
    job->started_ms = sqlite3_column_int64(stmt, 9);
    job->finished_ms = sqlite3_column_int64(stmt, 10);
    job->item_count = sqlite3_column_int64(stmt, 11);
    job->chunk_size = sqlite3_column_int64(stmt, 12);
    job->chunks_total = sqlite3_column_int64(stmt, 13);
    job->chunks_done = sqlite3_column_int64(stmt, 14);
    job->items_applied = sqlite3_column_int64(stmt, 15);
    job->items_failed = sqlite3_column_int64(stmt, 16);
    job->attempts = sqlite3_column_int64(stmt, 17);
    job->interruptions = sqlite3_column_int64(stmt, 18);
    job->next_attempt_ms = sqlite3_column_int64(stmt, 19);
    job->retry_started_ms = sqlite3_column_int64(stmt, 20);
    const unsigned char *messages = sqlite3_column_text(stmt, 21);
    job->messages_json = strdup(messages ? (const char *)messages : "[]");
    job->chunk_retries = sqlite3_column_int64(stmt, 22);
    job->type = q_job_type_from_name((const char *)sqlite3_column_text(stmt, 24));
    if (!job->type)
        job->type = Q_JOB_REFRESH;
    const unsigned char *last_error = sqlite3_column_text(stmt, 23);
    if (last_error && !(job->last_error = strdup((const char *)last_error))) {
        q_job_clear(job);
        return CM_ENOMEM;
    }
    return job->messages_json ? CM_OK : CM_ENOMEM;
}

/* Steps a bound job query, reading up to `limit` rows into `list`; *found counts what was read
 * (each to be cleared by the caller, also on failure). Resets the statement. */
static cm_err read_jobs(sqlite3_stmt *stmt, q_job *list, size_t limit, size_t *found)
{
    cm_err rc = CM_OK;
    int step;
    while ((step = sqlite3_step(stmt)) == SQLITE_ROW && *found < limit) {
        rc = read_job(stmt, &list[*found]);
        if (rc)
            break;
        (*found)++;
    }
    if (!rc && step != SQLITE_DONE && step != SQLITE_ROW)
        rc = cm_db_error(step);
    done(stmt);
    return rc;
}

/* ---- acceptance ---- */

static const char SQL_LOCATION_INSERT[] =
    "INSERT INTO tenant_locations (tenant_id, oci_location) VALUES (?1, ?2)"
    " ON CONFLICT (tenant_id, oci_location) DO NOTHING";
static const char SQL_LOCATION_SELECT[] =
    "SELECT location_num FROM tenant_locations WHERE tenant_id = ?1 AND oci_location = ?2";
static const char SQL_JOB_INSERT[] =
    "INSERT INTO jobs (tenant_id, location_num, location_name, oci_location, organization_id,"
    " added_ms, item_count, chunk_size, chunks_total, messages, type)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, coalesce(?10, '[]'), ?11)";
static const char SQL_CHUNK_INSERT[] =
    "INSERT INTO job_chunks (job_id, chunk_index, items) VALUES (?1, ?2, ?3)";

static cm_err location_num(connection *conn, int64_t tenant_id, const char *oci_location, int64_t *out)
{
    sqlite3_stmt *stmt = statement(conn, SQL_LOCATION_INSERT);
    if (!stmt)
        return CM_EDB;
    sqlite3_bind_int64(stmt, 1, tenant_id);
    sqlite3_bind_text(stmt, 2, oci_location, -1, SQLITE_STATIC);
    cm_err rc = step_done(stmt);
    if (rc)
        return rc;
    stmt = statement(conn, SQL_LOCATION_SELECT);
    if (!stmt)
        return CM_EDB;
    sqlite3_bind_int64(stmt, 1, tenant_id);
    sqlite3_bind_text(stmt, 2, oci_location, -1, SQLITE_STATIC);
    int step = sqlite3_step(stmt);
    if (step == SQLITE_ROW)
        *out = sqlite3_column_int64(stmt, 0);
    done(stmt);
    return step == SQLITE_ROW ? CM_OK : cm_db_error(step == SQLITE_DONE ? SQLITE_ERROR : step);
}

/* Inserts one job and its chunk rows inside the writer's open transaction. */
static cm_err insert_job(connection *conn, const q_new_job *job, cm_body *chunk_text_buffer, int64_t *job_id)
{
    size_t chunk_count = q_new_job_chunk_count(job);
    if (chunk_count == 0)
        return CM_EINVAL;
    int64_t num = 0;
    cm_err rc = location_num(conn, job->tenant_id, job->oci_location, &num);
    if (rc)
        return rc;
    sqlite3_stmt *stmt = statement(conn, SQL_JOB_INSERT);
    if (!stmt)
        return CM_EDB;
    sqlite3_bind_int64(stmt, 1, job->tenant_id);
    sqlite3_bind_int64(stmt, 2, num);
    sqlite3_bind_text(stmt, 3, job->location_name, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 4, job->oci_location, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 5, job->organization_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 6, job->accepted_ms);
    sqlite3_bind_int64(stmt, 7, job->item_count);
    sqlite3_bind_int64(stmt, 8, job->chunk_size);
    sqlite3_bind_int64(stmt, 9, (int64_t)chunk_count);
    if (job->messages_json)
        sqlite3_bind_text(stmt, 10, job->messages_json, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 11, q_job_type_name(job->type ? job->type : Q_JOB_REFRESH), -1, SQLITE_STATIC);
    rc = step_done(stmt);
    if (rc)
        return rc;
    int64_t new_id = sqlite3_last_insert_rowid(conn->db);
    for (size_t i = 0; i < chunk_count; i++) {
        const char *chunk = NULL;
        size_t chunk_length = 0;
        if ((rc = q_new_job_chunk(job, i, chunk_text_buffer, &chunk, &chunk_length)))
            return rc;
        stmt = statement(conn, SQL_CHUNK_INSERT);
        if (!stmt)
            return CM_EDB;
        sqlite3_bind_int64(stmt, 1, new_id);
        sqlite3_bind_int64(stmt, 2, (int64_t)i);
        sqlite3_bind_text(stmt, 3, chunk, (int)chunk_length, SQLITE_STATIC);
        if ((rc = step_done(stmt)))
            return rc;
    }
    *job_id = new_id;
    return CM_OK;
}

/* Errors that leave the transaction unusable for every job of a batch (SQLite may have rolled it
 * back already, sqlite3_get_autocommit tells): not one job's fault. */
static int fails_the_transaction(cm_err rc, sqlite3 *db)
{
    return rc == CM_EFULL || rc == CM_EBUSY || rc == CM_EDB || rc == CM_ENOMEM || sqlite3_get_autocommit(db);
}

/* The group commit's backend step (queue/accept_batch.h): one transaction, a savepoint per job. */
static cm_err sqlite_accept_many(void *context, const q_new_job *const *jobs, size_t count, int64_t *job_ids,
                                 cm_err *results)
{
    sqlite_store *store = context;
    cm_body chunk_text_buffer; /* the chunk being stored, cut from the items (queue/chunking.h) */
    cm_body_init(&chunk_text_buffer, SIZE_MAX);
    connection *conn = lock_writer(store, 1);
    cm_err rc = store->writer_full_sync == 1 ? cm_db_begin(conn->db) : CM_EDB;
    size_t failed_at = 0;
    for (size_t i = 0; !rc && i < count; i++) {
        int single = count == 1; /* alone, the transaction is the job's: no savepoint needed */
        if (!single && sqlite3_exec(conn->db, "SAVEPOINT accept_job", NULL, NULL, NULL) != SQLITE_OK) {
            rc = CM_EDB;
            failed_at = i;
            break;
        }
        results[i] = insert_job(conn, jobs[i], &chunk_text_buffer, &job_ids[i]);
        if (results[i] && (single || fails_the_transaction(results[i], conn->db))) {
            rc = results[i];
            failed_at = i;
            break;
        }
        if (!single) {
            const char *end = results[i] ? "ROLLBACK TO accept_job; RELEASE accept_job" : "RELEASE accept_job";
            if (sqlite3_exec(conn->db, end, NULL, NULL, NULL) != SQLITE_OK) {
                rc = CM_EDB;
                failed_at = i;
                break;
            }
        }
    }
    if (!rc)
        rc = cm_db_commit(conn->db);
    if (rc) {
        cm_log_error("queue.accept", "storing %zu job(s) failed at the job of tenant %lld: %s (%s)", count,
                     (long long)jobs[failed_at]->tenant_id, cm_strerror(rc), sqlite3_errmsg(conn->db));
        cm_db_rollback(conn->db);
        for (size_t i = 0; i < count; i++)
            results[i] = rc;
    }
    pthread_mutex_unlock(&conn->lock);
    cm_body_free(&chunk_text_buffer);
    if (rc && rc != CM_EFULL && count > 1) {
        /* Which job broke the transaction is not certain (an allocation, a lock): each is tried
         * alone, so that the others are not refused for it. A full disk refuses them all anyway. */
        for (size_t i = 0; i < count; i++)
            (void)sqlite_accept_many(context, &jobs[i], 1, &job_ids[i], &results[i]); /* sets results[i] */
        return CM_OK;
    }
    return rc;
}

static cm_err sqlite_accept(q_store *base, const q_new_job *job, int64_t *job_id)
{
    return q_accept_batch_submit(&of(base)->accept_batch, job, job_id);
}

static void sqlite_accept_async(q_store *base, const q_new_job *job, q_accept_ticket *ticket, q_accept_done_fn on_done,
                                void *data)
{
    q_accept_batch_submit_async(&of(base)->accept_batch, job, ticket, on_done, data);
}

/* ---- reading ---- */

static const char SQL_JOB_GET[] =
    "SELECT " JOB_COLUMNS " FROM jobs WHERE job_id = ?1 AND tenant_id = ?2";

static cm_err sqlite_get_job(q_store *base, int64_t tenant_id, int64_t job_id, q_job *out)
{
    sqlite_store *store = of(base);
    connection *conn = lock_reader(store);
    sqlite3_stmt *stmt = statement(conn, SQL_JOB_GET);
    cm_err rc = CM_EDB;
    if (stmt) {
        sqlite3_bind_int64(stmt, 1, job_id);
        sqlite3_bind_int64(stmt, 2, tenant_id);
        int step = sqlite3_step(stmt);
        if (step == SQLITE_ROW)
            rc = read_job(stmt, out);
        else
            rc = step == SQLITE_DONE ? CM_ENOTFOUND : cm_db_error(step);
        done(stmt);
    }
    unlock(conn);
    return rc;
}

/* Lists are filtered in SQL with JSON arrays of ids so that one prepared statement serves every
 * combination of filters. */
static const char SQL_JOB_LIST[] =
    "SELECT " JOB_COLUMNS " FROM jobs WHERE tenant_id = ?1"
    " AND (?2 IS NULL OR job_id IN (SELECT value FROM json_each(?2)))"
    " AND (?3 IS NULL OR location_num IN (SELECT value FROM json_each(?3)))"
    " AND (?4 IS NULL OR oci_location = ?4)"
    " AND (?6 IS NULL OR status IN (SELECT value FROM json_each(?6)))"
    " AND (?7 IS NULL OR added_ms >= ?7) AND (?8 IS NULL OR added_ms < ?8)"
    " AND (?9 = 0 OR (?9 & (CASE type WHEN 'REFRESH' THEN 1 WHEN 'ADJUST' THEN 2 ELSE 0 END)) <> 0)"
    " ORDER BY job_id DESC LIMIT ?5";

/* The status names as a JSON array text for json_each (caller frees), or NULL when there are none. */
static char *statuses_as_json(const q_status *statuses, size_t count)
{
    if (!statuses || count == 0)
        return NULL;
    size_t size = count * 12 + 3;
    char *text = malloc(size);
    if (!text)
        return NULL;
    size_t used = (size_t)snprintf(text, size, "[");
    for (size_t i = 0; i < count; i++)
        used += (size_t)snprintf(text + used, size - used, "%s\"%s\"", i ? "," : "", q_status_name(statuses[i]));
    snprintf(text + used, size - used, "]");
    return text;
}

static char *ids_as_json(const int64_t *ids, size_t count)
{
    if (!ids || count == 0)
        return NULL;
    size_t size = count * 22 + 3;
    char *text = malloc(size);
    if (!text)
        return NULL;
    size_t used = (size_t)snprintf(text, size, "[");
    for (size_t i = 0; i < count; i++)
        used += (size_t)snprintf(text + used, size - used, "%s%lld", i ? "," : "", (long long)ids[i]);
    snprintf(text + used, size - used, "]");
    return text;
}

static cm_err sqlite_list_jobs(q_store *base, const q_job_filter *filter, q_job **jobs, size_t *count)
{
    sqlite_store *store = of(base);
    *jobs = NULL;
    *count = 0;
    size_t limit = filter->limit ? filter->limit : 100;
    char *job_ids = ids_as_json(filter->job_ids, filter->job_id_count);
    char *location_nums = ids_as_json(filter->location_nums, filter->location_num_count);
    char *statuses = statuses_as_json(filter->statuses, filter->status_count);
    q_job *list = calloc(limit, sizeof(q_job));
    if (!list || (filter->job_id_count && !job_ids) || (filter->location_num_count && !location_nums) ||
        (filter->status_count && !statuses)) {
        free(job_ids);
        free(location_nums);
        free(statuses);
        free(list);
        return CM_ENOMEM;
    }
    connection *conn = lock_reader(store);
    sqlite3_stmt *stmt = statement(conn, SQL_JOB_LIST);
    cm_err rc = stmt ? CM_OK : CM_EDB;
    size_t found = 0;
    if (stmt) {
        sqlite3_bind_int64(stmt, 1, filter->tenant_id);
        if (job_ids)
            sqlite3_bind_text(stmt, 2, job_ids, -1, SQLITE_STATIC);
        if (location_nums)
            sqlite3_bind_text(stmt, 3, location_nums, -1, SQLITE_STATIC);
        if (filter->location_code)
            sqlite3_bind_text(stmt, 4, filter->location_code, -1, SQLITE_STATIC);
        sqlite3_bind_int64(stmt, 5, (int64_t)limit);
        if (statuses)
            sqlite3_bind_text(stmt, 6, statuses, -1, SQLITE_STATIC);
        if (filter->added_from_ms)
            sqlite3_bind_int64(stmt, 7, filter->added_from_ms);
        if (filter->added_to_ms)
            sqlite3_bind_int64(stmt, 8, filter->added_to_ms);
        sqlite3_bind_int64(stmt, 9, (int64_t)filter->types);
        rc = read_jobs(stmt, list, limit, &found);
    }
    unlock(conn);
    free(job_ids);
    free(location_nums);
    free(statuses);
    if (rc) {
        for (size_t i = 0; i < found; i++)
            q_job_clear(&list[i]);
        free(list);
        return rc;
    }
    *jobs = list;
    *count = found;
    return CM_OK;
}

static const char SQL_COUNT[] = "SELECT count(*) FROM jobs WHERE status = ?1";

static cm_err sqlite_count(q_store *base, q_status status, int64_t *count)
{
    sqlite_store *store = of(base);
    connection *conn = lock_reader(store);
    sqlite3_stmt *stmt = statement(conn, SQL_COUNT);
    cm_err rc = CM_EDB;
    if (stmt) {
        sqlite3_bind_text(stmt, 1, q_status_name(status), -1, SQLITE_STATIC);
        int step = sqlite3_step(stmt);
        if (step == SQLITE_ROW) {
            *count = sqlite3_column_int64(stmt, 0);
            rc = CM_OK;
        } else {
            rc = cm_db_error(step);
        }
        done(stmt);
    }
    unlock(conn);
    return rc;
}

/* ---- work ---- */

/* Only the oldest open job of each tenant is a candidate, so a tenant's jobs run one at a time in
 * acceptance order, and a parked job (waiting to retry) holds its tenant's later jobs back.
 * The candidates are found tenant by tenant (a loose index scan of jobs_open: the next tenant with
 * an open job, then its oldest open job), so a claim costs a few index look-ups per tenant with
 * open jobs, however many jobs are queued: scanning every open job made each claim O(queued), and
 * a burst of small refreshes O(n^2) (2.7 ms a claim with 3000 queued, 21 us this way). */
static const char SQL_CLAIM[] =
    "WITH RECURSIVE open_tenants(tenant_id) AS ("
    "   SELECT min(tenant_id) FROM jobs WHERE status IN ('PENDING', 'WORKING')"
    "   UNION ALL"
    "   SELECT (SELECT min(o.tenant_id) FROM jobs o"
    "           WHERE o.status IN ('PENDING', 'WORKING') AND o.tenant_id > t.tenant_id)"
    "   FROM open_tenants t WHERE t.tenant_id IS NOT NULL),"
    " heads(job_id) AS MATERIALIZED ("
    "   SELECT (SELECT min(o.job_id) FROM jobs o"
    "           WHERE o.tenant_id = t.tenant_id AND o.status IN ('PENDING', 'WORKING'))"
    "   FROM open_tenants t WHERE t.tenant_id IS NOT NULL)"
    " UPDATE jobs SET status = 'WORKING', claimed_by = ?1, started_ms = coalesce(started_ms, ?2),"
    " attempts = attempts + 1"
    " WHERE job_id = (SELECT j.job_id FROM heads CROSS JOIN jobs j ON j.job_id = heads.job_id"
    "   WHERE j.claimed_by IS NULL AND j.next_attempt_ms <= ?2"
    "     AND NOT EXISTS (SELECT 1 FROM tenant_holds h WHERE h.tenant_id = j.tenant_id)"
    "   ORDER BY j.job_id LIMIT 1)"
    " RETURNING " JOB_COLUMNS;

/* Gives back a claim whose row could not be read (short of memory): the claim has committed, and
 * nobody else would take the job before the next start (SQLite claims hold no lease). */
static const char SQL_UNCLAIM[] = "UPDATE jobs SET claimed_by = NULL WHERE job_id = ?1 AND claimed_by = ?2";
static cm_err run_held_update(sqlite_store *store, const char *sql, int64_t job_id, const char *worker_token,
                              int64_t a, int64_t b, const char *text);

static cm_err sqlite_claim(q_store *base, const char *worker_token, int64_t now_ms, q_job *out)
{
    sqlite_store *store = of(base);
    connection *conn = lock_writer(store, 0);
    /* The claim's time is taken once the writer is ours: a claim that waited for the lock must not
     * be dated before the finish of the job it follows. */
    int64_t locked_now = cm_now_ms();
    if (locked_now > now_ms)
        now_ms = locked_now;
    sqlite3_stmt *stmt = statement(conn, SQL_CLAIM);
    cm_err rc = CM_EDB;
    int64_t unread_claim = 0;
    if (stmt) {
        sqlite3_bind_text(stmt, 1, worker_token, -1, SQLITE_STATIC);
        sqlite3_bind_int64(stmt, 2, now_ms);
        int step = sqlite3_step(stmt);
        if (step == SQLITE_ROW) {
            rc = read_job(stmt, out);
            if (rc)
                unread_claim = sqlite3_column_int64(stmt, 0);
            /* Step to the end so the UPDATE's statement transaction commits. */
            while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
            }
            if (step != SQLITE_DONE && !rc) {
                q_job_clear(out);
                rc = cm_db_error(step);
            }
        } else {
            rc = step == SQLITE_DONE ? CM_ENOTFOUND : cm_db_error(step);
        }
        done(stmt);
    }
    pthread_mutex_unlock(&conn->lock);
    if (unread_claim && run_held_update(store, SQL_UNCLAIM, unread_claim, worker_token, 0, 0, NULL) != CM_OK)
        cm_log_error("queue.claim", "job=%lld was claimed but could not be read or given back",
                     (long long)unread_claim);
    return rc;
}

static const char SQL_CHUNK_LOAD[] =
    "SELECT items FROM job_chunks WHERE job_id = ?1 AND chunk_index = ?2";

/* One text column of one chunk row on `conn` (locked by the caller), copied out NUL-terminated
 * (caller frees); CM_ENOTFOUND when there is no such row. */
static cm_err chunk_text(connection *conn, const char *sql, int64_t job_id, int64_t chunk_index, char **text,
                         size_t *length)
{
    *text = NULL;
    sqlite3_stmt *stmt = statement(conn, sql);
    if (!stmt)
        return CM_EDB;
    sqlite3_bind_int64(stmt, 1, job_id);
    sqlite3_bind_int64(stmt, 2, chunk_index);
    cm_err rc;
    int step = sqlite3_step(stmt);
    if (step == SQLITE_ROW) {
        int bytes = sqlite3_column_bytes(stmt, 0);
        const unsigned char *value = sqlite3_column_text(stmt, 0);
        *text = malloc((size_t)bytes + 1);
        if (*text) {
            memcpy(*text, value, (size_t)bytes);
            (*text)[bytes] = '\0';
            *length = (size_t)bytes;
            rc = CM_OK;
        } else {
            rc = CM_ENOMEM;
        }
    } else {
        rc = step == SQLITE_DONE ? CM_ENOTFOUND : cm_db_error(step);
    }
    done(stmt);
    return rc;
}

static cm_err sqlite_load_chunk(q_store *base, int64_t job_id, int64_t chunk_index, char **payload,
                          size_t *length)
{
    connection *conn = lock_reader(of(base));
    cm_err rc = chunk_text(conn, SQL_CHUNK_LOAD, job_id, chunk_index, payload, length);
    unlock(conn);
    return rc;
}

static const char SQL_CHUNK_STATE_SAVE[] =
    "UPDATE job_chunks SET state = ?3 WHERE job_id = ?1 AND chunk_index = ?4"
    " AND EXISTS (SELECT 1 FROM jobs WHERE job_id = ?1 AND claimed_by = ?2)";
static const char SQL_CHUNK_STATE_LOAD[] =
    "SELECT state FROM job_chunks WHERE job_id = ?1 AND chunk_index = ?2 AND state IS NOT NULL";

static cm_err sqlite_save_chunk_state(q_store *base, int64_t job_id, const char *worker_token, int64_t chunk_index,
                                      const char *state_json)
{
    sqlite_store *store = of(base);
    /* Durable: the state must be on disk before the chunk is delivered, or a power loss between
     * delivery and checkpoint would let a redelivery add the deltas again. */
    connection *conn = lock_writer(store, 1);
    sqlite3_stmt *stmt = statement(conn, SQL_CHUNK_STATE_SAVE);
    cm_err rc = CM_EDB;
    if (stmt) {
        sqlite3_bind_int64(stmt, 1, job_id);
        sqlite3_bind_text(stmt, 2, worker_token, -1, SQLITE_STATIC);
        sqlite3_bind_text(stmt, 3, state_json, -1, SQLITE_STATIC);
        sqlite3_bind_int64(stmt, 4, chunk_index);
        rc = step_done(stmt);
        if (!rc && sqlite3_changes(conn->db) != 1)
            rc = CM_ESTATE;
    }
    pthread_mutex_unlock(&conn->lock);
    return rc;
}

static cm_err sqlite_load_chunk_state(q_store *base, int64_t job_id, int64_t chunk_index, char **state_json,
                                      size_t *length)
{
    /* From the writer: the state a worker saved a moment ago must be what it reads back. */
    connection *conn = lock_writer(of(base), 0);
    cm_err rc = chunk_text(conn, SQL_CHUNK_STATE_LOAD, job_id, chunk_index, state_json, length);
    pthread_mutex_unlock(&conn->lock);
    return rc;
}

static const char SQL_CHUNK_RESULT[] =
    "INSERT INTO chunk_results (job_id, chunk_index, items_applied, items_failed, finished_ms)"
    " VALUES (?1, ?2, ?3, ?4, ?5)";
static const char SQL_FAILURE_INSERT[] =
    "INSERT INTO item_failures (job_id, item_index, sku, error_code, message) VALUES (?1, ?2, ?3, ?4, ?5)";
static const char SQL_EXTRAS_UPSERT[] =
    "INSERT INTO item_extras (tenant_id, oci_location, sku, extras, job_id, updated_ms)"
    /* ?4 is stored as sent, not through json(): the worker writes it minified, in the form
     * json_patch gives back, so the comparison below still finds an unchanged text equal. */
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
    " ON CONFLICT (tenant_id, oci_location, sku) DO UPDATE SET"
    "   extras = json_patch(item_extras.extras, excluded.extras), job_id = excluded.job_id,"
    "   updated_ms = excluded.updated_ms"
    /* A refresh that sends an item's legacy fields as they were (a daily full refresh does) writes
     * nothing: no json_patch (it parses both texts) and no page changed. job_id and updated_ms
     * therefore say which job last changed the fields. */
    " WHERE item_extras.extras <> excluded.extras";
/* Ends a held job: messages NULL keeps the ones it has. Its stored items go with it. */
static const char SQL_FINISH[] =
    "UPDATE jobs SET status = ?3, success = ?4, messages = coalesce(?5, messages), finished_ms = ?6,"
    " claimed_by = NULL WHERE job_id = ?1 AND claimed_by = ?2";
static const char SQL_CHUNKS_DELETE[] = "DELETE FROM job_chunks WHERE job_id = ?1";

/* Inside the caller's transaction on the writer. CM_ESTATE when the job is not held by the token. */
static cm_err finish_in_transaction(connection *conn, int64_t job_id, const char *worker_token, q_status status,
                                    int success, const char *messages_json, int64_t now_ms)
{
    sqlite3_stmt *stmt = statement(conn, SQL_FINISH);
    if (!stmt)
        return CM_EDB;
    sqlite3_bind_int64(stmt, 1, job_id);
    sqlite3_bind_text(stmt, 2, worker_token, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, q_status_name(status), -1, SQLITE_STATIC);
    sqlite3_bind_int(stmt, 4, success ? 1 : 0);
    if (messages_json)
        sqlite3_bind_text(stmt, 5, messages_json, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 6, now_ms);
    cm_err rc = step_done(stmt);
    if (rc)
        return rc;
    if (sqlite3_changes(conn->db) != 1)
        return CM_ESTATE;
    if (status == Q_FAILED)
        return CM_OK; /* a failed job keeps its items until pruned, so an operator can retry it */
    stmt = statement(conn, SQL_CHUNKS_DELETE);
    if (!stmt)
        return CM_EDB;
    sqlite3_bind_int64(stmt, 1, job_id);
    return step_done(stmt);
}
static const char SQL_JOB_ADVANCE[] =
    "UPDATE jobs SET chunks_done = chunks_done + 1, items_applied = items_applied + ?3,"
    " items_failed = items_failed + ?4, retry_started_ms = 0, chunk_retries = 0, last_error = NULL"
    " WHERE job_id = ?1 AND claimed_by = ?2 AND chunks_done = ?5";

/* One chunk's checkpoint inside the caller's transaction on the writer. */
static cm_err checkpoint_in_transaction(connection *conn, const q_checkpoint *cp)
{
    cm_err rc = CM_OK;
    sqlite3_stmt *stmt = statement(conn, SQL_JOB_ADVANCE);
    if (!stmt) {
        rc = CM_EDB;
        goto out;
    }
    sqlite3_bind_int64(stmt, 1, cp->job_id);
    sqlite3_bind_text(stmt, 2, cp->worker_token, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 3, cp->items_applied);
    sqlite3_bind_int64(stmt, 4, (int64_t)cp->failure_count);
    sqlite3_bind_int64(stmt, 5, cp->chunk_index);
    if ((rc = step_done(stmt)))
        goto out;
    if (sqlite3_changes(conn->db) != 1) {
        rc = CM_ESTATE;
        goto out;
    }
    stmt = statement(conn, SQL_CHUNK_RESULT);
    if (!stmt) {
        rc = CM_EDB;
        goto out;
    }
    sqlite3_bind_int64(stmt, 1, cp->job_id);
    sqlite3_bind_int64(stmt, 2, cp->chunk_index);
    sqlite3_bind_int64(stmt, 3, cp->items_applied);
    sqlite3_bind_int64(stmt, 4, (int64_t)cp->failure_count);
    sqlite3_bind_int64(stmt, 5, cp->now_ms);
    if ((rc = step_done(stmt)))
        goto out;
    for (size_t i = 0; i < cp->failure_count; i++) {
        stmt = statement(conn, SQL_FAILURE_INSERT);
        if (!stmt) {
            rc = CM_EDB;
            goto out;
        }
        const q_item_failure *failure = &cp->failures[i];
        sqlite3_bind_int64(stmt, 1, cp->job_id);
        sqlite3_bind_int64(stmt, 2, failure->item_index);
        if (failure->sku)
            sqlite3_bind_text(stmt, 3, failure->sku, -1, SQLITE_STATIC);
        sqlite3_bind_text(stmt, 4, failure->error_code ? failure->error_code : "Unknown", -1,
                          SQLITE_STATIC);
        sqlite3_bind_text(stmt, 5, failure->message ? failure->message : "", -1, SQLITE_STATIC);
        if ((rc = step_done(stmt)))
            goto out;
    }
    for (size_t i = 0; i < cp->extra_count; i++) {
        stmt = statement(conn, SQL_EXTRAS_UPSERT);
        if (!stmt) {
            rc = CM_EDB;
            goto out;
        }
        sqlite3_bind_int64(stmt, 1, cp->tenant_id);
        sqlite3_bind_text(stmt, 2, cp->oci_location, -1, SQLITE_STATIC);
        sqlite3_bind_text(stmt, 3, cp->extras[i].sku, -1, SQLITE_STATIC);
        sqlite3_bind_text(stmt, 4, cp->extras[i].extras_json, -1, SQLITE_STATIC);
        sqlite3_bind_int64(stmt, 5, cp->job_id);
        sqlite3_bind_int64(stmt, 6, cp->now_ms);
        if ((rc = step_done(stmt)))
            goto out;
    }
    if (cp->finish_success)
        rc = finish_in_transaction(conn, cp->job_id, cp->worker_token, Q_SUCCESS, 1, NULL, cp->now_ms);
out:
    return rc;
}

static cm_err sqlite_checkpoint_batch(q_store *base, const q_checkpoint *cps, size_t count)
{
    sqlite_store *store = of(base);
    connection *conn = lock_writer(store, 0);
    cm_err rc = cm_db_begin(conn->db);
    size_t i = 0;
    for (; !rc && i < count; i++)
        rc = checkpoint_in_transaction(conn, &cps[i]);
    if (!rc)
        rc = cm_db_commit(conn->db);
    if (rc) {
        if (rc != CM_ESTATE && count)
            cm_log_error("queue.checkpoint", "job %lld chunk %lld: %s (%s)", (long long)cps[i ? i - 1 : 0].job_id,
                         (long long)cps[i ? i - 1 : 0].chunk_index, cm_strerror(rc), sqlite3_errmsg(conn->db));
        cm_db_rollback(conn->db);
    }
    pthread_mutex_unlock(&conn->lock);
    return rc;
}

static cm_err sqlite_checkpoint(q_store *base, const q_checkpoint *cp)
{
    return sqlite_checkpoint_batch(base, cp, 1);
}

static const char SQL_HELD[] = "SELECT 1 FROM jobs WHERE job_id = ?1 AND claimed_by = ?2";
static const char SQL_BATCH_DISSOLVE[] =
    "UPDATE jobs SET batch_of = NULL, claimed_by = NULL WHERE batch_of = ?1 AND status = 'WORKING'"
    " AND EXISTS (SELECT 1 FROM jobs h WHERE h.job_id = ?1 AND h.claimed_by = ?2)";

static cm_err sqlite_dissolve_batch(q_store *base, int64_t head_job_id, const char *worker_token)
{
    sqlite_store *store = of(base);
    connection *conn = lock_writer(store, 0);
    sqlite3_stmt *stmt = statement(conn, SQL_BATCH_DISSOLVE);
    cm_err rc = CM_EDB;
    if (stmt) {
        sqlite3_bind_int64(stmt, 1, head_job_id);
        sqlite3_bind_text(stmt, 2, worker_token, -1, SQLITE_STATIC);
        rc = step_done(stmt);
    }
    if (!rc) {
        sqlite3_stmt *held = statement(conn, SQL_HELD);
        if (!held) {
            rc = CM_EDB;
        } else {
            sqlite3_bind_int64(held, 1, head_job_id);
            sqlite3_bind_text(held, 2, worker_token, -1, SQLITE_STATIC);
            int step = sqlite3_step(held);
            rc = step == SQLITE_ROW ? CM_OK : step == SQLITE_DONE ? CM_ESTATE : cm_db_error(step);
            done(held);
        }
    }
    pthread_mutex_unlock(&conn->lock);
    return rc;
}

static const char SQL_BATCH_HEAD_HELD[] = "SELECT 1 FROM jobs WHERE job_id = ?1 AND claimed_by = ?2";
static const char SQL_BATCH_RECLAIM[] =
    "UPDATE jobs SET claimed_by = ?2, attempts = attempts + 1 WHERE batch_of = ?1 AND status = 'WORKING'";
static const char SQL_BATCH_MEMBERS[] =
    "SELECT " JOB_COLUMNS " FROM jobs WHERE batch_of = ?1 AND status = 'WORKING' ORDER BY job_id";
static const char SQL_BATCH_NEXT[] =
    "SELECT " JOB_COLUMNS " FROM jobs WHERE tenant_id = ?1 AND job_id > ?2 AND status IN ('PENDING', 'WORKING')"
    " ORDER BY job_id LIMIT ?3";
static const char SQL_BATCH_JOIN[] =
    "UPDATE jobs SET status = 'WORKING', claimed_by = ?2, started_ms = ?3, attempts = attempts + 1, batch_of = ?4"
    " WHERE job_id = ?1 AND status = 'PENDING' AND claimed_by IS NULL";

/* Reads the rows of a bound job query, at most `limit`, into a new array (*list, *found). The
 * array grows with the rows: a q_job is ~700 bytes, and a claim's query may allow hundreds of rows
 * while one or two come back (clearing the whole allowance cost more than the claim itself). */
static cm_err read_all_jobs(sqlite3_stmt *stmt, size_t limit, q_job **list, size_t *found)
{
    *found = 0;
    *list = NULL;
    size_t capacity = 0;
    cm_err rc = CM_OK;
    int step = SQLITE_DONE;
    while (*found < limit && (step = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (*found == capacity) {
            size_t grown_capacity = capacity ? capacity * 2 : 8;
            if (grown_capacity > limit)
                grown_capacity = limit;
            q_job *grown = realloc(*list, grown_capacity * sizeof *grown);
            if (!grown) {
                rc = CM_ENOMEM;
                break;
            }
            *list = grown;
            capacity = grown_capacity;
        }
        if ((rc = read_job(stmt, &(*list)[*found])))
            break;
        (*found)++;
    }
    if (!rc && *found < limit && step != SQLITE_DONE)
        rc = cm_db_error(step);
    done(stmt);
    if (!rc && !*list && !(*list = calloc(1, sizeof **list)))
        rc = CM_ENOMEM;
    if (rc) {
        for (size_t i = 0; i < *found; i++)
            q_job_clear(&(*list)[i]);
        free(*list);
        *list = NULL;
        *found = 0;
    }
    return rc;
}

static cm_err sqlite_claim_batch(q_store *base, const q_job *head, const char *worker_token, int64_t max_items,
                                 size_t max_jobs, int allow_new, int64_t now_ms, q_job **members, size_t *count)
{
    sqlite_store *store = of(base);
    connection *conn = lock_writer(store, 0);
    q_job *list = NULL;
    size_t found = 0, joined = 0;
    cm_err rc = cm_db_begin(conn->db);
    if (rc)
        goto out;
    sqlite3_stmt *stmt = statement(conn, SQL_BATCH_HEAD_HELD);
    if (!stmt) {
        rc = CM_EDB;
        goto out;
    }
    sqlite3_bind_int64(stmt, 1, head->job_id);
    sqlite3_bind_text(stmt, 2, worker_token, -1, SQLITE_STATIC);
    int step = sqlite3_step(stmt);
    done(stmt);
    if (step != SQLITE_ROW) {
        rc = step == SQLITE_DONE ? CM_ESTATE : cm_db_error(step);
        goto out;
    }
    /* A batch stored before is claimed again as it was. */
    if (!(stmt = statement(conn, SQL_BATCH_RECLAIM))) {
        rc = CM_EDB;
        goto out;
    }
    sqlite3_bind_int64(stmt, 1, head->job_id);
    sqlite3_bind_text(stmt, 2, worker_token, -1, SQLITE_STATIC);
    if ((rc = step_done(stmt)))
        goto out;
    int reclaimed = sqlite3_changes(conn->db);
    if (reclaimed > 0) {
        if (!(stmt = statement(conn, SQL_BATCH_MEMBERS))) {
            rc = CM_EDB;
            goto out;
        }
        sqlite3_bind_int64(stmt, 1, head->job_id);
        if ((rc = read_all_jobs(stmt, (size_t)reclaimed, &list, &found)))
            goto out;
        joined = found;
    } else if (allow_new && max_jobs > 0) {
        if (!(stmt = statement(conn, SQL_BATCH_NEXT))) {
            rc = CM_EDB;
            goto out;
        }
        sqlite3_bind_int64(stmt, 1, head->tenant_id);
        sqlite3_bind_int64(stmt, 2, head->job_id);
        sqlite3_bind_int64(stmt, 3, (int64_t)max_jobs);
        if ((rc = read_all_jobs(stmt, max_jobs, &list, &found)))
            goto out;
        int64_t items = head->item_count;
        for (; joined < found; joined++) {
            q_job *job = &list[joined];
            if (job->status != Q_PENDING || job->type != Q_JOB_REFRESH || job->chunks_total != 1 ||
                strcmp(job->oci_location, head->oci_location) != 0 ||
                strcmp(job->organization_id, head->organization_id) != 0 || items + job->item_count > max_items)
                break;
            if (!(stmt = statement(conn, SQL_BATCH_JOIN))) {
                rc = CM_EDB;
                goto out;
            }
            sqlite3_bind_int64(stmt, 1, job->job_id);
            sqlite3_bind_text(stmt, 2, worker_token, -1, SQLITE_STATIC);
            sqlite3_bind_int64(stmt, 3, now_ms);
            sqlite3_bind_int64(stmt, 4, head->job_id);
            if ((rc = step_done(stmt)))
                goto out;
            if (sqlite3_changes(conn->db) != 1)
                break;
            items += job->item_count;
            job->status = Q_WORKING;
            job->started_ms = now_ms;
            job->attempts++;
        }
    }
    rc = cm_db_commit(conn->db);
out:
    if (rc) {
        if (rc != CM_ESTATE)
            cm_log_error("queue.claim_batch", "job %lld: %s (%s)", (long long)head->job_id, cm_strerror(rc),
                         sqlite3_errmsg(conn->db));
        cm_db_rollback(conn->db);
        joined = 0;
    }
    pthread_mutex_unlock(&conn->lock);
    for (size_t i = joined; i < found; i++)
        q_job_clear(&list[i]);
    if (joined) {
        *members = list;
        *count = joined;
    } else {
        free(list);
    }
    return rc;
}

static const char SQL_PARK[] =
    "UPDATE jobs SET claimed_by = NULL, next_attempt_ms = ?3, retry_started_ms = ?4, last_error = ?5,"
    " chunk_retries = chunk_retries + 1"
    " WHERE job_id = ?1 AND claimed_by = ?2";
static const char SQL_RELEASE[] =
    "UPDATE jobs SET claimed_by = NULL WHERE job_id = ?1 AND claimed_by = ?2";

static cm_err run_held_update(sqlite_store *store, const char *sql, int64_t job_id, const char *worker_token,
                              int64_t a, int64_t b, const char *text)
{
    connection *conn = lock_writer(store, 0);
    sqlite3_stmt *stmt = statement(conn, sql);
    cm_err rc = CM_EDB;
    if (stmt) {
        sqlite3_bind_int64(stmt, 1, job_id);
        sqlite3_bind_text(stmt, 2, worker_token, -1, SQLITE_STATIC);
        if (sqlite3_bind_parameter_count(stmt) >= 3)
            sqlite3_bind_int64(stmt, 3, a);
        if (sqlite3_bind_parameter_count(stmt) >= 4)
            sqlite3_bind_int64(stmt, 4, b);
        if (sqlite3_bind_parameter_count(stmt) >= 5 && text)
            sqlite3_bind_text(stmt, 5, text, -1, SQLITE_STATIC);
        rc = step_done(stmt);
        if (!rc && sqlite3_changes(conn->db) != 1)
            rc = CM_ESTATE;
    }
    pthread_mutex_unlock(&conn->lock);
    return rc;
}

static cm_err sqlite_park(q_store *base, int64_t job_id, const char *worker_token, int64_t next_attempt_ms,
                    int64_t retry_started_ms, const char *reason)
{
    sqlite_store *store = of(base);
    return run_held_update(store, SQL_PARK, job_id, worker_token, next_attempt_ms, retry_started_ms,
                           reason);
}

static cm_err sqlite_release(q_store *base, int64_t job_id, const char *worker_token)
{
    sqlite_store *store = of(base);
    return run_held_update(store, SQL_RELEASE, job_id, worker_token, 0, 0, NULL);
}

static cm_err sqlite_finish(q_store *base, int64_t job_id, const char *worker_token, q_status status,
                      int success, const char *messages_json, int64_t now_ms)
{
    sqlite_store *store = of(base);
    connection *conn = lock_writer(store, 0);
    cm_err rc = cm_db_begin(conn->db);
    if (rc)
        goto out;
    rc = finish_in_transaction(conn, job_id, worker_token, status, success, messages_json ? messages_json : "[]",
                               now_ms);
    if (rc)
        goto out;
    rc = cm_db_commit(conn->db);
out:
    if (rc) {
        cm_log_error("queue.finish", "job %lld: %s (%s)", (long long)job_id, cm_strerror(rc),
                     sqlite3_errmsg(conn->db));
        cm_db_rollback(conn->db);
    }
    pthread_mutex_unlock(&conn->lock);
    return rc;
}

static const char SQL_FAILURES[] =
    "SELECT item_index, sku, error_code, message FROM item_failures WHERE job_id = ?1"
    " ORDER BY item_index LIMIT ?2";

static cm_err sqlite_each_failure(q_store *base, int64_t job_id, size_t limit,
                            void (*each)(const q_item_failure *failure, void *data), void *data)
{
    sqlite_store *store = of(base);
    connection *conn = lock_reader(store);
    sqlite3_stmt *stmt = statement(conn, SQL_FAILURES);
    cm_err rc = CM_EDB;
    if (stmt) {
        sqlite3_bind_int64(stmt, 1, job_id);
        sqlite3_bind_int64(stmt, 2, (int64_t)limit);
        int step;
        while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
            q_item_failure failure = {
                .item_index = sqlite3_column_int64(stmt, 0),
                .sku = (const char *)sqlite3_column_text(stmt, 1),
                .error_code = (const char *)sqlite3_column_text(stmt, 2),
                .message = (const char *)sqlite3_column_text(stmt, 3),
            };
            each(&failure, data);
        }
        rc = step == SQLITE_DONE ? CM_OK : cm_db_error(step);
        done(stmt);
    }
    unlock(conn);
    return rc;
}

static const char SQL_RECOVER[] =
    "UPDATE jobs SET claimed_by = NULL, interruptions = interruptions + 1,"
    " messages = json_insert(messages, '$[#]',"
    "   '" Q_INTERRUPTED_PREFIX "' || (chunks_done + 1) || ' of ' || chunks_total ||"
    "   ' and resumed there.')"
    " WHERE claimed_by IS NOT NULL";

static cm_err sqlite_recover(q_store *base, int64_t now_ms, int64_t *recovered)
{
    sqlite_store *store = of(base);
    (void)now_ms;
    connection *conn = lock_writer(store, 0);
    sqlite3_stmt *stmt = statement(conn, SQL_RECOVER);
    cm_err rc = stmt ? step_done(stmt) : CM_EDB;
    if (!rc && recovered)
        *recovered = sqlite3_changes(conn->db);
    pthread_mutex_unlock(&conn->lock);
    return rc;
}

static const char SQL_PRUNE[] =
    "DELETE FROM jobs WHERE job_id IN (SELECT job_id FROM jobs"
    " WHERE finished_ms IS NOT NULL AND finished_ms < ?1 AND status IN ('SUCCESS', 'FAILED')"
    " LIMIT ?2)";

static cm_err sqlite_prune(q_store *base, int64_t before_ms, int batch, int64_t *deleted)
{
    sqlite_store *store = of(base);
    connection *conn = lock_writer(store, 0);
    sqlite3_stmt *stmt = statement(conn, SQL_PRUNE);
    cm_err rc = CM_EDB;
    if (stmt) {
        sqlite3_bind_int64(stmt, 1, before_ms);
        sqlite3_bind_int(stmt, 2, batch);
        rc = step_done(stmt);
        if (!rc && deleted)
            *deleted = sqlite3_changes(conn->db);
    }
    pthread_mutex_unlock(&conn->lock);
    return rc;
}

static const char SQL_EXTRAS_GET[] =
    "SELECT extras FROM item_extras WHERE tenant_id = ?1 AND oci_location = ?2 AND sku = ?3";

static cm_err sqlite_get_extras(q_store *base, int64_t tenant_id, const char *oci_location, const char *sku,
                          char **extras_json)
{
    sqlite_store *store = of(base);
    *extras_json = NULL;
    connection *conn = lock_reader(store);
    sqlite3_stmt *stmt = statement(conn, SQL_EXTRAS_GET);
    cm_err rc = CM_EDB;
    if (stmt) {
        sqlite3_bind_int64(stmt, 1, tenant_id);
        sqlite3_bind_text(stmt, 2, oci_location, -1, SQLITE_STATIC);
        sqlite3_bind_text(stmt, 3, sku, -1, SQLITE_STATIC);
        int step = sqlite3_step(stmt);
        if (step == SQLITE_ROW) {
            *extras_json = strdup((const char *)sqlite3_column_text(stmt, 0));
            rc = *extras_json ? CM_OK : CM_ENOMEM;
        } else {
            rc = step == SQLITE_DONE ? CM_ENOTFOUND : cm_db_error(step);
        }
        done(stmt);
    }
    unlock(conn);
    return rc;
}

static const char *sqlite_installation_id(const q_store *base)
{
    return ((const sqlite_store *)base)->installation_id;
}

/* ---- what SQLite has no use for ---- */

/* One process owns gateway.db and recovers its own jobs at start-up: claims need no lease. */
static int64_t sqlite_lease_ms(const q_store *base)
{
    (void)base;
    return 0;
}


static cm_err sqlite_renew_lease(q_store *base, int64_t job_id, const char *worker_token)
{
    sqlite_store *store = of(base);
    connection *conn = lock_reader(store);
    sqlite3_stmt *stmt = statement(conn, SQL_HELD);
    cm_err rc = CM_EDB;
    if (stmt) {
        sqlite3_bind_int64(stmt, 1, job_id);
        sqlite3_bind_text(stmt, 2, worker_token, -1, SQLITE_STATIC);
        int step = sqlite3_step(stmt);
        rc = step == SQLITE_ROW ? CM_OK : step == SQLITE_DONE ? CM_ESTATE : cm_db_error(step);
        done(stmt);
    }
    unlock(conn);
    return rc;
}

/* ---- holds ---- */

static const char SQL_HOLD[] =
    "INSERT INTO tenant_holds (tenant_id, kind, reason, since_ms) VALUES (?1, ?2, ?3, ?4)"
    " ON CONFLICT (tenant_id, kind) DO UPDATE SET reason = excluded.reason";
static const char SQL_RELEASE_HOLD[] = "DELETE FROM tenant_holds WHERE tenant_id = ?1 AND kind = ?2";
static const char SQL_GET_HOLD[] =
    "SELECT reason FROM tenant_holds WHERE tenant_id = ?1 ORDER BY since_ms, kind LIMIT 1";

static cm_err sqlite_hold(q_store *base, int64_t tenant_id, q_hold_kind kind, const char *reason, int64_t now_ms)
{
    sqlite_store *store = of(base);
    connection *conn = lock_writer(store, 0);
    sqlite3_stmt *stmt = statement(conn, SQL_HOLD);
    cm_err rc = CM_EDB;
    if (stmt) {
        sqlite3_bind_int64(stmt, 1, tenant_id);
        sqlite3_bind_text(stmt, 2, q_hold_kind_name(kind), -1, SQLITE_STATIC);
        sqlite3_bind_text(stmt, 3, reason, -1, SQLITE_STATIC);
        sqlite3_bind_int64(stmt, 4, now_ms);
        rc = step_done(stmt);
    }
    pthread_mutex_unlock(&conn->lock);
    return rc;
}

static cm_err sqlite_release_hold(q_store *base, int64_t tenant_id, q_hold_kind kind)
{
    sqlite_store *store = of(base);
    connection *conn = lock_writer(store, 0);
    sqlite3_stmt *stmt = statement(conn, SQL_RELEASE_HOLD);
    cm_err rc = CM_EDB;
    if (stmt) {
        sqlite3_bind_int64(stmt, 1, tenant_id);
        sqlite3_bind_text(stmt, 2, q_hold_kind_name(kind), -1, SQLITE_STATIC);
        rc = step_done(stmt);
        if (!rc && sqlite3_changes(conn->db) == 0)
            rc = CM_ENOTFOUND;
    }
    pthread_mutex_unlock(&conn->lock);
    return rc;
}

static cm_err sqlite_get_hold(q_store *base, int64_t tenant_id, char **reason)
{
    sqlite_store *store = of(base);
    *reason = NULL;
    connection *conn = lock_reader(store);
    sqlite3_stmt *stmt = statement(conn, SQL_GET_HOLD);
    cm_err rc = CM_EDB;
    if (stmt) {
        sqlite3_bind_int64(stmt, 1, tenant_id);
        int step = sqlite3_step(stmt);
        if (step == SQLITE_ROW) {
            *reason = strdup((const char *)sqlite3_column_text(stmt, 0));
            rc = *reason ? CM_OK : CM_ENOMEM;
        } else {
            rc = step == SQLITE_DONE ? CM_ENOTFOUND : cm_db_error(step);
        }
        done(stmt);
    }
    unlock(conn);
    return rc;
}

/* The gateway of the one process wakes its workers itself. */
static cm_err sqlite_watch(q_store *base, void (*wake)(void *data), void *data)
{
    (void)base;
    (void)wake;
    (void)data;
    return CM_OK;
}

static void sqlite_unwatch(q_store *base)
{
    (void)base;
}

/* ---- the operator's view ---- */

static const char SQL_TENANT_STATS[] =
    "SELECT tenant_id, sum(status = 'PENDING'), sum(status = 'WORKING'),"
    " coalesce(min(CASE WHEN status = 'PENDING' THEN added_ms END), 0)"
    " FROM jobs GROUP BY tenant_id ORDER BY tenant_id";

static cm_err sqlite_tenant_stats(q_store *base, q_tenant_stats **stats, size_t *count)
{
    sqlite_store *store = of(base);
    *stats = NULL;
    *count = 0;
    size_t capacity = 0, found = 0;
    q_tenant_stats *list = NULL;
    connection *conn = lock_reader(store);
    sqlite3_stmt *stmt = statement(conn, SQL_TENANT_STATS);
    cm_err rc = stmt ? CM_OK : CM_EDB;
    int step = SQLITE_DONE;
    while (!rc && (step = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (found == capacity) {
            size_t grown = capacity ? capacity * 2 : 16;
            q_tenant_stats *bigger = realloc(list, grown * sizeof *list);
            if (!bigger) {
                rc = CM_ENOMEM;
                break;
            }
            list = bigger;
            capacity = grown;
        }
        list[found++] = (q_tenant_stats){sqlite3_column_int64(stmt, 0), sqlite3_column_int64(stmt, 1),
                                         sqlite3_column_int64(stmt, 2), sqlite3_column_int64(stmt, 3)};
    }
    if (!rc && step != SQLITE_DONE)
        rc = cm_db_error(step);
    done(stmt);
    unlock(conn);
    if (rc) {
        free(list);
        return rc;
    }
    *stats = list;
    *count = found;
    return CM_OK;
}

/* One statement for every combination of filters: a NULL parameter means "any". */
static const char SQL_ADMIN_JOBS[] =
    "SELECT " JOB_COLUMNS " FROM jobs WHERE (?1 IS NULL OR tenant_id = ?1)"
    " AND (?2 IS NULL OR status = ?2) AND (?3 IS NULL OR oci_location = ?3)"
    " AND (?4 IS NULL OR added_ms >= ?4) AND (?5 IS NULL OR added_ms < ?5)"
    " AND (?6 IS NULL OR job_id = ?6) AND (?9 IS NULL OR type = ?9)"
    " ORDER BY job_id DESC LIMIT ?7 OFFSET ?8";

static cm_err sqlite_admin_jobs(q_store *base, const q_admin_filter *filter, q_job **jobs, size_t *count)
{
    sqlite_store *store = of(base);
    *jobs = NULL;
    *count = 0;
    size_t limit = filter->limit ? filter->limit : 50;
    q_job *list = calloc(limit, sizeof(q_job));
    if (!list)
        return CM_ENOMEM;
    connection *conn = lock_reader(store);
    sqlite3_stmt *stmt = statement(conn, SQL_ADMIN_JOBS);
    cm_err rc = stmt ? CM_OK : CM_EDB;
    size_t found = 0;
    if (stmt) {
        if (filter->tenant_id)
            sqlite3_bind_int64(stmt, 1, filter->tenant_id);
        if (filter->status >= 0)
            sqlite3_bind_text(stmt, 2, q_status_name((q_status)filter->status), -1, SQLITE_STATIC);
        if (filter->oci_location)
            sqlite3_bind_text(stmt, 3, filter->oci_location, -1, SQLITE_STATIC);
        if (filter->added_from_ms)
            sqlite3_bind_int64(stmt, 4, filter->added_from_ms);
        if (filter->added_to_ms)
            sqlite3_bind_int64(stmt, 5, filter->added_to_ms);
        if (filter->job_id)
            sqlite3_bind_int64(stmt, 6, filter->job_id);
        sqlite3_bind_int64(stmt, 7, (int64_t)limit);
        sqlite3_bind_int64(stmt, 8, (int64_t)filter->offset);
        if (filter->type)
            sqlite3_bind_text(stmt, 9, filter->type, -1, SQLITE_STATIC);
        rc = read_jobs(stmt, list, limit, &found);
    }
    unlock(conn);
    if (rc) {
        for (size_t i = 0; i < found; i++)
            q_job_clear(&list[i]);
        free(list);
        return rc;
    }
    *jobs = list;
    *count = found;
    return CM_OK;
}

static const char SQL_CANCEL[] =
    "UPDATE jobs SET status = 'FAILED', success = 0, started_ms = ?2, finished_ms = ?2, messages = ?3"
    " WHERE job_id = ?1 AND status = 'PENDING' AND claimed_by IS NULL";
static const char SQL_JOB_EXISTS[] = "SELECT 1 FROM jobs WHERE job_id = ?1";

static cm_err sqlite_cancel(q_store *base, int64_t job_id, int64_t now_ms, const char *messages_json)
{
    sqlite_store *store = of(base);
    connection *conn = lock_writer(store, 0);
    cm_err rc = cm_db_begin(conn->db);
    if (rc)
        goto out;
    sqlite3_stmt *stmt = statement(conn, SQL_CANCEL);
    if (!stmt) {
        rc = CM_EDB;
        goto out;
    }
    sqlite3_bind_int64(stmt, 1, job_id);
    sqlite3_bind_int64(stmt, 2, now_ms);
    sqlite3_bind_text(stmt, 3, messages_json ? messages_json : "[]", -1, SQLITE_STATIC);
    if ((rc = step_done(stmt)))
        goto out;
    if (sqlite3_changes(conn->db) != 1) {
        /* Nothing changed: tell "no such job" from "not pending any more". */
        stmt = statement(conn, SQL_JOB_EXISTS);
        if (!stmt) {
            rc = CM_EDB;
            goto out;
        }
        sqlite3_bind_int64(stmt, 1, job_id);
        int step = sqlite3_step(stmt);
        rc = step == SQLITE_ROW ? CM_ESTATE : step == SQLITE_DONE ? CM_ENOTFOUND : cm_db_error(step);
        done(stmt);
        goto out;
    }
    rc = cm_db_commit(conn->db);
out:
    if (rc)
        cm_db_rollback(conn->db);
    pthread_mutex_unlock(&conn->lock);
    return rc;
}

static const q_store_ops sqlite_ops = {
    .name = "sqlite",
    .close = sqlite_close,
    .installation_id = sqlite_installation_id,
    .accept = sqlite_accept,
    .accept_async = sqlite_accept_async,
    .get_job = sqlite_get_job,
    .list_jobs = sqlite_list_jobs,
    .count = sqlite_count,
    .claim = sqlite_claim,
    .lease_ms = sqlite_lease_ms,
    .renew_lease = sqlite_renew_lease,
    .load_chunk = sqlite_load_chunk,
    .checkpoint = sqlite_checkpoint,
    .claim_batch = sqlite_claim_batch,
    .checkpoint_batch = sqlite_checkpoint_batch,
    .dissolve_batch = sqlite_dissolve_batch,
    .save_chunk_state = sqlite_save_chunk_state,
    .load_chunk_state = sqlite_load_chunk_state,
    .park = sqlite_park,
    .release = sqlite_release,
    .finish = sqlite_finish,
    .each_failure = sqlite_each_failure,
    .recover = sqlite_recover,
    .prune = sqlite_prune,
    .get_extras = sqlite_get_extras,
    .hold = sqlite_hold,
    .release_hold = sqlite_release_hold,
    .get_hold = sqlite_get_hold,
    .watch = sqlite_watch,
    .unwatch = sqlite_unwatch,
    .tenant_stats = sqlite_tenant_stats,
    .admin_jobs = sqlite_admin_jobs,
    .cancel = sqlite_cancel,
};
