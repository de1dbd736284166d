#include "oci_core/store.h"

#include <inttypes.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/db.h"
#include "common/log.h"
#include "oci_core/store_internal.h"

/* ---- schema ---- */

static const cm_db_migration MIGRATIONS[] = {
    {1,
     "CREATE TABLE records ("
     " org TEXT NOT NULL, location TEXT NOT NULL, sku TEXT NOT NULL,"
     " on_hand INTEGER NOT NULL CHECK (on_hand >= 0),"
     " reserved INTEGER NOT NULL DEFAULT 0 CHECK (reserved >= 0),"
     " safety_stock INTEGER NOT NULL CHECK (safety_stock >= 0),"
     " effective_ms INTEGER, futures TEXT NOT NULL DEFAULT '', updated_ms INTEGER NOT NULL,"
     " PRIMARY KEY (org, location, sku)) WITHOUT ROWID;"
     "CREATE INDEX records_by_sku ON records (org, sku);"
     "CREATE TABLE events ("
     " seq INTEGER PRIMARY KEY AUTOINCREMENT, org TEXT NOT NULL, location TEXT NOT NULL,"
     " sku TEXT NOT NULL, event_type TEXT NOT NULL, record_id TEXT, created_ms INTEGER NOT NULL,"
     " effective_ms INTEGER,"
     " old_on_hand INTEGER NOT NULL, new_on_hand INTEGER NOT NULL,"
     " old_reserved INTEGER NOT NULL, new_reserved INTEGER NOT NULL,"
     " old_safety_stock INTEGER NOT NULL, new_safety_stock INTEGER NOT NULL,"
     " old_atf INTEGER NOT NULL, new_atf INTEGER NOT NULL,"
     " old_ato INTEGER NOT NULL, new_ato INTEGER NOT NULL,"
     " old_futures TEXT NOT NULL, new_futures TEXT NOT NULL,"
     " deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)));"
     "CREATE INDEX events_by_org ON events (org, seq);"
     "CREATE INDEX events_by_sku ON events (org, sku, created_ms);"
     "CREATE TABLE applied_ids ("
     " org TEXT NOT NULL, record_id TEXT NOT NULL, location TEXT NOT NULL, sku TEXT NOT NULL,"
     " applied_ms INTEGER NOT NULL, PRIMARY KEY (org, record_id)) WITHOUT ROWID;"
     "CREATE TABLE imports ("
     " id TEXT PRIMARY KEY, org TEXT NOT NULL, file_name TEXT NOT NULL,"
     " file_encoding TEXT NOT NULL DEFAULT '', file_hash TEXT NOT NULL DEFAULT '',"
     " file_hash_type TEXT NOT NULL DEFAULT '',"
     " status TEXT NOT NULL CHECK (status IN ('WAITING','PENDING','RUNNING','COMPLETED','FAILED')),"
     " created_ms INTEGER NOT NULL, link_expires_ms INTEGER NOT NULL,"
     " upload_path TEXT NOT NULL DEFAULT '', part_offset INTEGER NOT NULL DEFAULT 0,"
     " part_length INTEGER NOT NULL DEFAULT 0, gzip INTEGER NOT NULL DEFAULT 0,"
     " started_ms INTEGER NOT NULL DEFAULT 0, ended_ms INTEGER NOT NULL DEFAULT 0,"
     " read_count INTEGER NOT NULL DEFAULT 0, processed_count INTEGER NOT NULL DEFAULT 0,"
     " skipped_count INTEGER NOT NULL DEFAULT 0, failed_count INTEGER NOT NULL DEFAULT 0,"
     " line_cursor INTEGER NOT NULL DEFAULT 0, parser_layout INTEGER NOT NULL DEFAULT 0,"
     " parser_has_location INTEGER NOT NULL DEFAULT 0, parser_location TEXT NOT NULL DEFAULT '',"
     " validation_error TEXT NOT NULL DEFAULT '', result_status TEXT NOT NULL DEFAULT '');"
     "CREATE INDEX imports_by_org ON imports (org, created_ms);"
     "CREATE TABLE import_errors ("
     " import_id TEXT NOT NULL, line INTEGER NOT NULL, record_id TEXT NOT NULL,"
     " location TEXT NOT NULL, sku TEXT NOT NULL, message TEXT NOT NULL,"
     " PRIMARY KEY (import_id, line)) WITHOUT ROWID;"
     "CREATE TABLE exports ("
     " id TEXT PRIMARY KEY, org TEXT NOT NULL,"
     " kind TEXT NOT NULL CHECK (kind IN ('availability','graph')),"
     " place_type TEXT NOT NULL DEFAULT '', places TEXT NOT NULL DEFAULT '[]',"
     " status TEXT NOT NULL CHECK (status IN ('PENDING','RUNNING','COMPLETED','FAILED')),"
     " created_ms INTEGER NOT NULL, started_ms INTEGER NOT NULL DEFAULT 0,"
     " ended_ms INTEGER NOT NULL DEFAULT 0, expires_ms INTEGER NOT NULL DEFAULT 0,"
     " file_path TEXT NOT NULL DEFAULT '', file_size INTEGER NOT NULL DEFAULT 0,"
     " file_hash TEXT NOT NULL DEFAULT '', processed_count INTEGER NOT NULL DEFAULT 0,"
     " exported_count INTEGER NOT NULL DEFAULT 0);"
     "CREATE TABLE delta_tokens ("
     " token TEXT PRIMARY KEY, org TEXT NOT NULL, place_type TEXT NOT NULL,"
     " places TEXT NOT NULL, after_seq INTEGER NOT NULL, created_ms INTEGER NOT NULL);"},
    /* Part 2: reservations, group promises, operation ids, the persisted graph, event-log exports,
     * and the indexes the pruning needs. */
    {2,
     "ALTER TABLE events ADD COLUMN place_type TEXT NOT NULL DEFAULT 'location'"
     " CHECK (place_type IN ('location','group'));"
     "CREATE INDEX events_by_time ON events (created_ms);"
     "CREATE TABLE group_reserved ("
     " org TEXT NOT NULL, group_id TEXT NOT NULL, sku TEXT NOT NULL,"
     " quantity INTEGER NOT NULL CHECK (quantity >= 0),"
     " PRIMARY KEY (org, sku, group_id)) WITHOUT ROWID;"
     "CREATE TABLE reservations ("
     " org TEXT NOT NULL, id TEXT NOT NULL,"
     " status TEXT NOT NULL CHECK (status IN ('OPEN','CANCELLED','EXPIRED')),"
     " external_ref_id TEXT, reservation_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL DEFAULT 0,"
     " created_ms INTEGER NOT NULL, closed_ms INTEGER NOT NULL DEFAULT 0,"
     " PRIMARY KEY (org, id)) WITHOUT ROWID;"
     "CREATE INDEX reservations_open_expiry ON reservations (expires_ms) WHERE status = 'OPEN' AND expires_ms > 0;"
     "CREATE TABLE reservation_lines ("
     " org TEXT NOT NULL, reservation_id TEXT NOT NULL,"
     " place_type TEXT NOT NULL CHECK (place_type IN ('location','group')), place_id TEXT NOT NULL,"
     " sku TEXT NOT NULL, quantity INTEGER NOT NULL CHECK (quantity >= 0),"
     " PRIMARY KEY (org, reservation_id, place_type, place_id, sku)) WITHOUT ROWID;"
     "CREATE TABLE operation_ids ("
     " org TEXT NOT NULL, kind TEXT NOT NULL, op_id TEXT NOT NULL, sku TEXT NOT NULL,"
     " fingerprint TEXT NOT NULL, applied_ms INTEGER NOT NULL,"
     " PRIMARY KEY (org, kind, op_id, sku)) WITHOUT ROWID;"
     "CREATE INDEX operation_ids_by_time ON operation_ids (applied_ms);"
     "CREATE INDEX applied_ids_by_time ON applied_ids (applied_ms);"
     "CREATE TABLE graphs (org TEXT PRIMARY KEY, graph TEXT NOT NULL, replaced_ms INTEGER NOT NULL);"
     "CREATE TABLE exports_v2 ("
     " id TEXT PRIMARY KEY, org TEXT NOT NULL,"
     " kind TEXT NOT NULL CHECK (kind IN ('availability','graph','events')),"
     " place_type TEXT NOT NULL DEFAULT '', places TEXT NOT NULL DEFAULT '[]',"
     " status TEXT NOT NULL CHECK (status IN ('PENDING','RUNNING','COMPLETED','FAILED')),"
     " created_ms INTEGER NOT NULL, started_ms INTEGER NOT NULL DEFAULT 0,"
     " ended_ms INTEGER NOT NULL DEFAULT 0, expires_ms INTEGER NOT NULL DEFAULT 0,"
     " file_path TEXT NOT NULL DEFAULT '', file_size INTEGER NOT NULL DEFAULT 0,"
     " file_hash TEXT NOT NULL DEFAULT '', processed_count INTEGER NOT NULL DEFAULT 0,"
     " exported_count INTEGER NOT NULL DEFAULT 0);"
     "INSERT INTO exports_v2 SELECT * FROM exports;"
     "DROP TABLE exports;"
     "ALTER TABLE exports_v2 RENAME TO exports;"},
    /* Part 3: fewer writes per applied record. An event row now feeds one index: the deltas read
     * the table itself in seq (rowid) order, the pruning walks that order from the oldest event,
     * and events_by_sku (org first) serves the event-log export, the as-of reads and every
     * "rows of this organization" statement. applied_batches holds one marker per batch that
     * in-process delivery applied (store.h, "batch markers"), instead of one id per record. */
    {3,
     "DROP INDEX events_by_org;"
     "DROP INDEX events_by_time;"
     "CREATE TABLE applied_batches ("
     " org TEXT NOT NULL, batch_key TEXT NOT NULL, record_count INTEGER NOT NULL,"
     " fingerprint INTEGER NOT NULL, refusals TEXT NOT NULL, applied_ms INTEGER NOT NULL,"
     " PRIMARY KEY (org, batch_key)) WITHOUT ROWID;"
     "CREATE INDEX applied_batches_by_time ON applied_batches (applied_ms);"},
    /* Part 4: the event row's one index is clustered by sequence. events_by_sku (org, sku,
     * created_ms) took each event at a random place in an index as large as the whole history, so
     * a 3000-record commit dirtied about one page of it per record once the log was large (WAL
     * volume and page-cache misses: bench/README.md, "the event index"). events_by_bucket puts
     * the sequence's bucket of 4096 events before the SKU: an insert lands in the newest bucket
     * of its organization, a few pages that stay hot; a SKU's events are found by one seek per
     * bucket (store_maint.c); the organization comes first, for every "rows of this organization"
     * statement. The expression `seq >> 12` is the index's: every query names it the same way. */
    {4,
     "DROP INDEX events_by_sku;"
     "CREATE INDEX events_by_bucket ON events (org, seq >> 12, sku);"},
    /* Part 5: a claimed record id is one B-tree row. applied_ids_by_time cost every id an import
     * or an HTTP route claims a second insert (≈ 6 % of an import: bench/README.md, 2026-12-05)
     * for the pruning alone, which now walks the table in key order instead (store_maint.c,
     * oci_store_prune_ids), a window per call. */
    {5, "DROP INDEX applied_ids_by_time;"},
};

/* ---- statements ---- */

typedef enum stmt_id {
    S_RECORD_GET,
    S_RECORD_PUT,
    S_RECORD_DELETE,
    S_RECORDS_BY_LOCATION,
    S_RECORDS_BY_SKU,
    S_RECORDS_COUNT,
    S_EVENTS_LAST,
    S_EVENTS_SCAN,
    S_APPLIED_GET,
    S_APPLIED_ADD,
    S_APPLIED_CLAIM,
    S_IMPORT_INSERT,
    S_IMPORT_GET,
    S_IMPORT_UPLOADED,
    S_IMPORT_UPDATE,
    S_IMPORT_DELETE,
    S_IMPORT_ERRORS_DELETE,
    S_IMPORT_ERROR_ADD,
    S_IMPORT_ERRORS_SCAN,
    S_IMPORT_LIST,
    S_IMPORT_LIST_AVAILABLE,
    S_IMPORT_NEXT,
    S_EXPORT_INSERT,
    S_EXPORT_GET,
    S_EXPORT_UPDATE,
    S_EXPORT_DELETE,
    S_EXPORT_NEXT,
    S_EXPORT_BUSY,
    S_TOKEN_INSERT,
    S_TOKEN_GET,
    S_COUNT = S_TOKEN_GET + 1 + OCI_STORE_EXTRA_STMTS
} stmt_id;

#define RECORD_COLUMNS "location, sku, on_hand, reserved, safety_stock, effective_ms, futures"
#define IMPORT_COLUMNS                                                                              \
    "id, org, file_name, file_encoding, file_hash, file_hash_type, status, created_ms,"            \
    " link_expires_ms, upload_path, part_offset, part_length, gzip, started_ms, ended_ms,"         \
    " read_count, processed_count, skipped_count, failed_count, line_cursor, parser_layout,"       \
    " parser_has_location, parser_location, validation_error, result_status"
#define EXPORT_COLUMNS                                                                              \
    "id, org, kind, place_type, places, status, created_ms, started_ms, ended_ms, expires_ms,"     \
    " file_path, file_size, file_hash, processed_count, exported_count"

static const char *const SQL[S_COUNT] = {
    [S_RECORD_GET] = "SELECT " RECORD_COLUMNS " FROM records WHERE org = ?1 AND location = ?2 AND sku = ?3",
    [S_RECORD_PUT] =
        "INSERT INTO records (org, location, sku, on_hand, reserved, safety_stock, effective_ms,"
        " futures, updated_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
        " ON CONFLICT (org, location, sku) DO UPDATE SET on_hand = excluded.on_hand,"
        " reserved = excluded.reserved, safety_stock = excluded.safety_stock,"
        " effective_ms = excluded.effective_ms, futures = excluded.futures,"
        " updated_ms = excluded.updated_ms",
    [S_RECORD_DELETE] = "DELETE FROM records WHERE org = ?1 AND location = ?2 AND sku = ?3",
    [S_RECORDS_BY_LOCATION] = "SELECT " RECORD_COLUMNS " FROM records WHERE org = ?1 AND location IN"
                              " (SELECT value FROM json_each(?2)) ORDER BY location, sku",
    [S_RECORDS_BY_SKU] = "SELECT " RECORD_COLUMNS " FROM records WHERE org = ?1 AND location IN"
                         " (SELECT value FROM json_each(?2)) ORDER BY sku, location",
    [S_RECORDS_COUNT] = "SELECT count(*) FROM records WHERE org = ?1 AND location IN"
                        " (SELECT value FROM json_each(?2))",
    /* The organization's newest bucket (one seek down its end of events_by_bucket), then the
     * largest sequence among its entries there (at most 4096): other organizations' later events
     * are never read. */
    [S_EVENTS_LAST] = "SELECT coalesce((SELECT max(e.seq) FROM events AS e INDEXED BY events_by_bucket"
                      " WHERE e.org = ?1 AND e.seq >> 12 = (SELECT seq >> 12 FROM events INDEXED BY"
                      " events_by_bucket WHERE org = ?1 ORDER BY seq >> 12 DESC LIMIT 1)), 0)",
    /* The table in seq order from the token on: a delta poll reads the events written since its
     * token (other organizations' among them), not the organization's whole history. */
    [S_EVENTS_SCAN] = "SELECT seq, place_type, location, sku FROM events NOT INDEXED WHERE seq > ?2 AND org = ?1 AND"
                      " ((place_type = 'location' AND location IN (SELECT value FROM json_each(?3)))"
                      " OR (place_type = 'group' AND location IN (SELECT value FROM json_each(?5))))"
                      " ORDER BY seq LIMIT ?4",
    [S_APPLIED_GET] = "SELECT location, sku FROM applied_ids WHERE org = ?1 AND record_id = ?2",
    [S_APPLIED_ADD] = "INSERT INTO applied_ids (org, record_id, location, sku, applied_ms)"
                      " VALUES (?1, ?2, ?3, ?4, ?5)",
    [S_APPLIED_CLAIM] = "INSERT INTO applied_ids (org, record_id, location, sku, applied_ms)"
                        " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (org, record_id) DO NOTHING",
    [S_IMPORT_INSERT] = "INSERT INTO imports (" IMPORT_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,"
                        " ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22,"
                        " ?23, ?24, ?25)",
    [S_IMPORT_GET] = "SELECT " IMPORT_COLUMNS " FROM imports WHERE id = ?1",
    [S_IMPORT_UPLOADED] = "UPDATE imports SET status = 'PENDING', upload_path = ?2, part_offset = ?3,"
                          " part_length = ?4, gzip = ?5 WHERE id = ?1 AND status = 'WAITING'",
    [S_IMPORT_UPDATE] =
        "UPDATE imports SET status = ?2, started_ms = ?3, ended_ms = ?4, read_count = ?5,"
        " processed_count = ?6, skipped_count = ?7, failed_count = ?8, line_cursor = ?9,"
        " parser_layout = ?10, parser_has_location = ?11, parser_location = ?12,"
        " validation_error = ?13, result_status = ?14, upload_path = ?15 WHERE id = ?1",
    [S_IMPORT_DELETE] = "DELETE FROM imports WHERE id = ?1",
    [S_IMPORT_ERRORS_DELETE] = "DELETE FROM import_errors WHERE import_id = ?1",
    [S_IMPORT_ERROR_ADD] = "INSERT OR REPLACE INTO import_errors (import_id, line, record_id, location,"
                           " sku, message) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [S_IMPORT_ERRORS_SCAN] = "SELECT record_id, location, sku, message FROM import_errors"
                             " WHERE import_id = ?1 ORDER BY line",
    [S_IMPORT_LIST] = "SELECT id FROM imports WHERE org = ?1 ORDER BY created_ms, id",
    [S_IMPORT_LIST_AVAILABLE] = "SELECT id FROM imports WHERE org = ?1 AND status = 'WAITING'"
                                " AND link_expires_ms > ?2 ORDER BY created_ms, id",
    [S_IMPORT_NEXT] = "SELECT id FROM imports WHERE status IN ('RUNNING', 'PENDING')"
                      " ORDER BY status = 'PENDING', created_ms, id LIMIT 1",
    [S_EXPORT_INSERT] = "INSERT INTO exports (" EXPORT_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,"
                        " ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    [S_EXPORT_GET] = "SELECT " EXPORT_COLUMNS " FROM exports WHERE id = ?1",
    [S_EXPORT_UPDATE] = "UPDATE exports SET status = ?2, started_ms = ?3, ended_ms = ?4, expires_ms = ?5,"
                        " file_path = ?6, file_size = ?7, file_hash = ?8, processed_count = ?9,"
                        " exported_count = ?10 WHERE id = ?1",
    [S_EXPORT_DELETE] = "DELETE FROM exports WHERE id = ?1",
    [S_EXPORT_NEXT] = "SELECT id FROM exports WHERE status IN ('RUNNING', 'PENDING')"
                      " ORDER BY created_ms, id LIMIT 1",
    [S_EXPORT_BUSY] = "SELECT 1 FROM exports WHERE org = ?1 AND kind = 'availability'"
                      " AND status IN ('PENDING', 'RUNNING') LIMIT 1",
    [S_TOKEN_INSERT] = "INSERT INTO delta_tokens (token, org, place_type, places, after_seq, created_ms)"
                       " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [S_TOKEN_GET] = "SELECT token, org, place_type, places, after_seq, created_ms FROM delta_tokens"
                    " WHERE token = ?1",
};

struct oci_store_conn {
    oci_store *store;
    sqlite3 *db;
    pthread_mutex_t lock;
    sqlite3_stmt *stmts[S_COUNT];
};

/* How often the WAL is copied back into oci.db, off the writers' path (common/db.h). */
#define OCI_CHECKPOINT_INTERVAL_MS 250

struct oci_store {
    char path[OCI_PATH_MAX];
    cm_db_checkpointer *checkpointer;
    oci_store_conn writer;
    oci_store_conn readers[OCI_READERS];
    pthread_mutex_t pick_lock;
    unsigned next_reader;
};

/* Prepares (once) and returns a statement, reset and unbound; NULL on error (logged). */
static sqlite3_stmt *stmt(oci_store_conn *conn, stmt_id id)
{
    if (!conn->stmts[id]) {
        int rc = sqlite3_prepare_v3(conn->db, SQL[id], -1, SQLITE_PREPARE_PERSISTENT, &conn->stmts[id], NULL);
        if (rc != SQLITE_OK) {
            cm_log_error("oci.store.prepare", "statement %d: %s", (int)id, sqlite3_errmsg(conn->db));
            conn->stmts[id] = NULL;
            return NULL;
        }
    }
    return conn->stmts[id];
}

/* Resets after use; returns the mapped error of the reset (a failed step reports again here). */
static cm_err finish(oci_store_conn *conn, sqlite3_stmt *statement, int step_rc)
{
    int reset_rc = sqlite3_reset(statement);
    sqlite3_clear_bindings(statement);
    if (step_rc != SQLITE_ROW && step_rc != SQLITE_DONE) {
        cm_log_error("oci.store.step", "%s", sqlite3_errmsg(conn->db));
        return cm_db_error(step_rc);
    }
    return reset_rc == SQLITE_OK ? CM_OK : cm_db_error(reset_rc);
}

/* SQLITE_STATIC: no copy. Every store function steps and finishes (resets and unbinds) its
 * statement before it returns, and what it binds is the caller's, alive for the whole call. A
 * SQLITE_TRANSIENT copy could also fail for lack of memory, and SQLite then binds NULL silently:
 * a read would find nothing and a write would store a NULL. */
static void bind_text(sqlite3_stmt *s, int index, const char *text)
{
    if (text)
        sqlite3_bind_text(s, index, text, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, index);
}

/* Runs a statement that returns no rows. */
static cm_err run(oci_store_conn *conn, sqlite3_stmt *s)
{
    int rc = sqlite3_step(s);
    return finish(conn, s, rc == SQLITE_ROW ? SQLITE_DONE : rc);
}

static void column_text(sqlite3_stmt *s, int column, char *out, size_t size)
{
    const unsigned char *text = sqlite3_column_text(s, column);
    snprintf(out, size, "%s", text ? (const char *)text : "");
}

/* ---- helpers shared with the other store files (store_internal.h) ---- */

sqlite3_stmt *oci_store_prepare(oci_store_conn *conn, int slot, const char *sql)
{
    if (slot < 0 || slot >= OCI_STORE_EXTRA_STMTS)
        return NULL;
    stmt_id id = (stmt_id)(S_TOKEN_GET + 1 + slot);
    if (!conn->stmts[id]) {
        int rc = sqlite3_prepare_v3(conn->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &conn->stmts[id], NULL);
        if (rc != SQLITE_OK) {
            cm_log_error("oci.store.prepare", "extra statement %d: %s", slot, sqlite3_errmsg(conn->db));
            conn->stmts[id] = NULL;
            return NULL;
        }
    }
    return conn->stmts[id];
}

cm_err oci_store_finish(oci_store_conn *conn, sqlite3_stmt *statement, int step_rc)
{
    return finish(conn, statement, step_rc);
}

cm_err oci_store_run(oci_store_conn *conn, sqlite3_stmt *statement)
{
    return run(conn, statement);
}

void oci_store_bind_text(sqlite3_stmt *statement, int index, const char *text)
{
    bind_text(statement, index, text);
}

void oci_store_column_text(sqlite3_stmt *statement, int column, char *out, size_t size)
{
    column_text(statement, column, out, size);
}

int oci_store_changes(oci_store_conn *conn)
{
    return sqlite3_changes(conn->db);
}

sqlite3 *oci_store_db(oci_store_conn *conn)
{
    return conn->db;
}

cm_err oci_store_exec(oci_store_conn *conn, const char *sql)
{
    return cm_db_exec(conn->db, sql);
}

/* ---- futures text: "expected_ms:quantity;…" ---- */

void oci_store_futures_encode(const oci_quantities *record, char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < record->future_count && used < size; i++) {
        int n = snprintf(out + used, size - used, "%s%" PRId64 ":%" PRId64, i ? ";" : "",
                         record->futures[i].expected_ms, record->futures[i].quantity_milli);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

static void futures_decode(const char *text, oci_quantities *record)
{
    record->future_count = 0;
    while (text && *text && record->future_count < OCI_MAX_FUTURES) {
        char *end;
        long long expected = strtoll(text, &end, 10);
        if (*end != ':')
            break;
        long long quantity = strtoll(end + 1, &end, 10);
        record->futures[record->future_count].expected_ms = expected;
        record->futures[record->future_count].quantity_milli = quantity;
        record->future_count++;
        text = *end == ';' ? end + 1 : end;
    }
}

#define FUTURES_TEXT_MAX OCI_STORE_FUTURES_TEXT_MAX

void oci_store_read_record(sqlite3_stmt *s, int first, oci_quantities *out)
{
    memset(out, 0, sizeof *out);
    out->on_hand = sqlite3_column_int64(s, first);
    out->reserved = sqlite3_column_int64(s, first + 1);
    out->safety_stock = sqlite3_column_int64(s, first + 2);
    if (sqlite3_column_type(s, first + 3) != SQLITE_NULL) {
        out->has_effective_date = 1;
        out->effective_ms = sqlite3_column_int64(s, first + 3);
    }
    futures_decode((const char *)sqlite3_column_text(s, first + 4), out);
}

/* ---- open / close / transactions ---- */

static cm_err open_conn(oci_store *store, oci_store_conn *conn, int writer, char error[OCI_ERROR_MAX])
{
    char db_error[CM_DB_ERROR_MAX];
    conn->store = store;
    cm_err rc = writer ? cm_db_open(store->path, CM_DB_SYNC_NORMAL, &conn->db, db_error)
                       : cm_db_open_reader(store->path, &conn->db, db_error);
    if (rc != CM_OK) {
        snprintf(error, OCI_ERROR_MAX, "%s", db_error);
        return rc;
    }
    pthread_mutex_init(&conn->lock, NULL);
    return CM_OK;
}

static void close_conn(oci_store_conn *conn)
{
    if (!conn->db)
        return;
    for (int i = 0; i < S_COUNT; i++)
        sqlite3_finalize(conn->stmts[i]);
    cm_db_close(conn->db);
    conn->db = NULL;
    pthread_mutex_destroy(&conn->lock);
}

cm_err oci_store_open(const char *path, oci_store **out, char error[OCI_ERROR_MAX])
{
    *out = NULL;
    oci_store *store = calloc(1, sizeof *store);
    if (!store) {
        snprintf(error, OCI_ERROR_MAX, "out of memory");
        return CM_ENOMEM;
    }
    snprintf(store->path, sizeof store->path, "%s", path);
    pthread_mutex_init(&store->pick_lock, NULL);
    cm_err rc = open_conn(store, &store->writer, 1, error);
    if (rc == CM_OK) {
        char db_error[CM_DB_ERROR_MAX];
        rc = cm_db_migrate(store->writer.db, "oci_core", MIGRATIONS,
                           sizeof MIGRATIONS / sizeof MIGRATIONS[0], db_error);
        if (rc != CM_OK)
            snprintf(error, OCI_ERROR_MAX, "%s", db_error);
    }
    for (int i = 0; rc == CM_OK && i < OCI_READERS; i++)
        rc = open_conn(store, &store->readers[i], 0, error);
    if (rc == CM_OK) {
        char db_error[CM_DB_ERROR_MAX];
        rc = cm_db_checkpointer_start(path, OCI_CHECKPOINT_INTERVAL_MS, &store->checkpointer, db_error);
        if (rc != CM_OK)
            snprintf(error, OCI_ERROR_MAX, "%s", db_error);
    }
    if (rc != CM_OK) {
        oci_store_close(store);
        return rc;
    }
    *out = store;
    return CM_OK;
}

void oci_store_close(oci_store *store)
{
    if (!store)
        return;
    cm_db_checkpointer_stop(store->checkpointer);
    for (int i = 0; i < OCI_READERS; i++)
        close_conn(&store->readers[i]);
    close_conn(&store->writer);
    pthread_mutex_destroy(&store->pick_lock);
    free(store);
}

cm_err oci_store_write_begin(oci_store *store, oci_store_conn **writer)
{
    *writer = NULL;
    pthread_mutex_lock(&store->writer.lock);
    cm_err rc = cm_db_begin(store->writer.db);
    if (rc != CM_OK) {
        pthread_mutex_unlock(&store->writer.lock);
        return rc;
    }
    *writer = &store->writer;
    return CM_OK;
}

cm_err oci_store_write_commit(oci_store_conn *writer)
{
    cm_err rc = cm_db_commit(writer->db);
    if (rc != CM_OK)
        cm_db_rollback(writer->db);
    pthread_mutex_unlock(&writer->lock);
    return rc;
}

void oci_store_write_rollback(oci_store_conn *writer)
{
    cm_db_rollback(writer->db);
    pthread_mutex_unlock(&writer->lock);
}

oci_store_conn *oci_store_read_begin(oci_store *store)
{
    oci_store_conn *conn = NULL;
    for (int i = 0; i < OCI_READERS && !conn; i++)
        if (pthread_mutex_trylock(&store->readers[i].lock) == 0)
            conn = &store->readers[i];
    if (!conn) {
        pthread_mutex_lock(&store->pick_lock);
        unsigned pick = store->next_reader++ % OCI_READERS;
        pthread_mutex_unlock(&store->pick_lock);
        conn = &store->readers[pick];
        pthread_mutex_lock(&conn->lock);
    }
    cm_db_rollback(conn->db); /* what a failed rollback left open (common/db.c) */
    if (cm_db_exec(conn->db, "BEGIN") != CM_OK) {
        pthread_mutex_unlock(&conn->lock);
        return NULL;
    }
    return conn;
}

void oci_store_read_end(oci_store_conn *reader)
{
    if (!reader)
        return;
    cm_db_rollback(reader->db);
    pthread_mutex_unlock(&reader->lock);
}

/* ---- records ---- */

cm_err oci_store_record_get(oci_store_conn *conn, const char *org, const char *location,
                            const char *sku, oci_quantities *out, int *exists)
{
    sqlite3_stmt *s = stmt(conn, S_RECORD_GET);
    if (!s)
        return CM_EDB;
    bind_text(s, 1, org);
    bind_text(s, 2, location);
    bind_text(s, 3, sku);
    int rc = sqlite3_step(s);
    *exists = rc == SQLITE_ROW;
    if (rc == SQLITE_ROW)
        oci_store_read_record(s, 2, out);
    else
        memset(out, 0, sizeof *out);
    return finish(conn, s, rc);
}

cm_err oci_store_record_put(oci_store_conn *writer, const char *org, const char *location,
                            const char *sku, const oci_quantities *record, int64_t now_ms)
{
    sqlite3_stmt *s = stmt(writer, S_RECORD_PUT);
    if (!s)
        return CM_EDB;
    char futures[FUTURES_TEXT_MAX];
    oci_store_futures_encode(record, futures, sizeof futures);
    bind_text(s, 1, org);
    bind_text(s, 2, location);
    bind_text(s, 3, sku);
    sqlite3_bind_int64(s, 4, record->on_hand);
    sqlite3_bind_int64(s, 5, record->reserved);
    sqlite3_bind_int64(s, 6, record->safety_stock);
    if (record->has_effective_date)
        sqlite3_bind_int64(s, 7, record->effective_ms);
    else
        sqlite3_bind_null(s, 7);
    bind_text(s, 8, futures);
    sqlite3_bind_int64(s, 9, now_ms);
    return run(writer, s);
}

cm_err oci_store_record_delete(oci_store_conn *writer, const char *org, const char *location,
                               const char *sku)
{
    sqlite3_stmt *s = stmt(writer, S_RECORD_DELETE);
    if (!s)
        return CM_EDB;
    bind_text(s, 1, org);
    bind_text(s, 2, location);
    bind_text(s, 3, sku);
    return run(writer, s);
}

cm_err oci_store_records_scan(oci_store_conn *conn, const char *org, const char *locations_json,
                              int by_sku, oci_record_visitor visit, void *context)
{
    sqlite3_stmt *s = stmt(conn, by_sku ? S_RECORDS_BY_SKU : S_RECORDS_BY_LOCATION);
    if (!s)
        return CM_EDB;
    bind_text(s, 1, org);
    bind_text(s, 2, locations_json);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        oci_quantities record;
        oci_store_read_record(s, 2, &record);
        if (visit(context, (const char *)sqlite3_column_text(s, 0), (const char *)sqlite3_column_text(s, 1),
                  &record)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    return finish(conn, s, rc);
}

cm_err oci_store_records_count(oci_store_conn *conn, const char *org, const char *locations_json,
                               int64_t *count)
{
    sqlite3_stmt *s = stmt(conn, S_RECORDS_COUNT);
    if (!s)
        return CM_EDB;
    bind_text(s, 1, org);
    bind_text(s, 2, locations_json);
    int rc = sqlite3_step(s);
    *count = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    return finish(conn, s, rc);
}

/* ---- events ---- */

cm_err oci_store_event_add(oci_store_conn *writer, const oci_event *event)
{
    return oci_store_events_add_many(writer, event, 1); /* one statement text for events (store_batch.c) */
}

cm_err oci_store_events_last_seq(oci_store_conn *conn, const char *org, int64_t *seq)
{
    sqlite3_stmt *s = stmt(conn, S_EVENTS_LAST);
    if (!s)
        return CM_EDB;
    bind_text(s, 1, org);
    int rc = sqlite3_step(s);
    *seq = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    return finish(conn, s, rc);
}

cm_err oci_store_events_scan(oci_store_conn *conn, const char *org, int64_t after_seq,
                             const char *locations_json, const char *groups_json, size_t limit,
                             oci_event_visitor visit, void *context, int *more)
{
    sqlite3_stmt *s = stmt(conn, S_EVENTS_SCAN);
    if (!s)
        return CM_EDB;
    bind_text(s, 1, org);
    sqlite3_bind_int64(s, 2, after_seq);
    bind_text(s, 3, locations_json);
    sqlite3_bind_int64(s, 4, (int64_t)limit + 1); /* one more tells whether more are waiting */
    bind_text(s, 5, groups_json ? groups_json : "[]");
    size_t seen = 0;
    int rc;
    *more = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (seen == limit) {
            *more = 1;
            rc = SQLITE_DONE;
            break;
        }
        seen++;
        if (visit(context, sqlite3_column_int64(s, 0), (const char *)sqlite3_column_text(s, 1),
                  (const char *)sqlite3_column_text(s, 2), (const char *)sqlite3_column_text(s, 3))) {
            rc = SQLITE_DONE;
            break;
        }
    }
    return finish(conn, s, rc);
}

/* ---- idempotency ids ---- */

cm_err oci_store_applied_get(oci_store_conn *conn, const char *org, const char *record_id,
                             char location[OCI_LOCATION_ID_MAX + 1], char sku[OCI_SKU_MAX + 1],
                             int *found)
{
    sqlite3_stmt *s = stmt(conn, S_APPLIED_GET);
    if (!s)
        return CM_EDB;
    bind_text(s, 1, org);
    bind_text(s, 2, record_id);
    int rc = sqlite3_step(s);
    *found = rc == SQLITE_ROW;
    if (rc == SQLITE_ROW) {
        column_text(s, 0, location, OCI_LOCATION_ID_MAX + 1);
        column_text(s, 1, sku, OCI_SKU_MAX + 1);
    }
    return finish(conn, s, rc);
}

cm_err oci_store_applied_add(oci_store_conn *writer, const char *org, const char *record_id,
                             const char *location, const char *sku, int64_t now_ms)
{
    sqlite3_stmt *s = stmt(writer, S_APPLIED_ADD);
    if (!s)
        return CM_EDB;
    bind_text(s, 1, org);
    bind_text(s, 2, record_id);
    bind_text(s, 3, location);
    bind_text(s, 4, sku);
    sqlite3_bind_int64(s, 5, now_ms);
    return run(writer, s);
}

cm_err oci_store_applied_claim(oci_store_conn *writer, const char *org, const char *record_id,
                               const char *location, const char *sku, int64_t now_ms, int *claimed)
{
    sqlite3_stmt *s = stmt(writer, S_APPLIED_CLAIM);
    if (!s)
        return CM_EDB;
    bind_text(s, 1, org);
    bind_text(s, 2, record_id);
    bind_text(s, 3, location);
    bind_text(s, 4, sku);
    sqlite3_bind_int64(s, 5, now_ms);
    cm_err rc = run(writer, s);
    *claimed = rc == CM_OK && sqlite3_changes(writer->db) == 1;
    return rc;
}

/* ---- imports ---- */

static void bind_import(sqlite3_stmt *s, const oci_import_row *row)
{
    bind_text(s, 1, row->id);
    bind_text(s, 2, row->org);
    bind_text(s, 3, row->file_name);
    bind_text(s, 4, row->file_encoding);
    bind_text(s, 5, row->file_hash);
    bind_text(s, 6, row->file_hash_type);
    bind_text(s, 7, row->status);
    sqlite3_bind_int64(s, 8, row->created_ms);
    sqlite3_bind_int64(s, 9, row->link_expires_ms);
    bind_text(s, 10, row->upload_path);
    sqlite3_bind_int64(s, 11, row->part_offset);
    sqlite3_bind_int64(s, 12, row->part_length);
    sqlite3_bind_int(s, 13, row->gzip);
    sqlite3_bind_int64(s, 14, row->started_ms);
    sqlite3_bind_int64(s, 15, row->ended_ms);
    sqlite3_bind_int64(s, 16, row->read_count);
    sqlite3_bind_int64(s, 17, row->processed_count);
    sqlite3_bind_int64(s, 18, row->skipped_count);
    sqlite3_bind_int64(s, 19, row->failed_count);
    sqlite3_bind_int64(s, 20, row->line_cursor);
    sqlite3_bind_int(s, 21, row->parser_layout);
    sqlite3_bind_int(s, 22, row->parser_has_location);
    bind_text(s, 23, row->parser_location);
    bind_text(s, 24, row->validation_error);
    bind_text(s, 25, row->result_status);
}

cm_err oci_store_import_insert(oci_store_conn *writer, const oci_import_row *row)
{
    sqlite3_stmt *s = stmt(writer, S_IMPORT_INSERT);
    if (!s)
        return CM_EDB;
    bind_import(s, row);
    return run(writer, s);
}

cm_err oci_store_import_get(oci_store_conn *conn, const char *id, oci_import_row *row, int *found)
{
    sqlite3_stmt *s = stmt(conn, S_IMPORT_GET);
    if (!s)
        return CM_EDB;
    bind_text(s, 1, id);
    int rc = sqlite3_step(s);
    *found = rc == SQLITE_ROW;
    memset(row, 0, sizeof *row);
    if (rc == SQLITE_ROW) {
        column_text(s, 0, row->id, sizeof row->id);
        column_text(s, 1, row->org, sizeof row->org);
        column_text(s, 2, row->file_name, sizeof row->file_name);
        column_text(s, 3, row->file_encoding, sizeof row->file_encoding);
        column_text(s, 4, row->file_hash, sizeof row->file_hash);
        column_text(s, 5, row->file_hash_type, sizeof row->file_hash_type);
        column_text(s, 6, row->status, sizeof row->status);
        row->created_ms = sqlite3_column_int64(s, 7);
        row->link_expires_ms = sqlite3_column_int64(s, 8);
        column_text(s, 9, row->upload_path, sizeof row->upload_path);
        row->part_offset = sqlite3_column_int64(s, 10);
        row->part_length = sqlite3_column_int64(s, 11);
        row->gzip = sqlite3_column_int(s, 12);
        row->started_ms = sqlite3_column_int64(s, 13);
        row->ended_ms = sqlite3_column_int64(s, 14);
        row->read_count = sqlite3_column_int64(s, 15);
        row->processed_count = sqlite3_column_int64(s, 16);
        row->skipped_count = sqlite3_column_int64(s, 17);
        row->failed_count = sqlite3_column_int64(s, 18);
        row->line_cursor = sqlite3_column_int64(s, 19);
        row->parser_layout = sqlite3_column_int(s, 20);
        row->parser_has_location = sqlite3_column_int(s, 21);
        column_text(s, 22, row->parser_location, sizeof row->parser_location);
        column_text(s, 23, row->validation_error, sizeof row->validation_error);
        column_text(s, 24, row->result_status, sizeof row->result_status);
    }
    return finish(conn, s, rc);
}

cm_err oci_store_import_set_uploaded(oci_store_conn *writer, const char *id, const char *path,
                                     int64_t part_offset, int64_t part_length, int gzip, int *changed)
{
    sqlite3_stmt *s = stmt(writer, S_IMPORT_UPLOADED);
    if (!s)
        return CM_EDB;
    bind_text(s, 1, id);
    bind_text(s, 2, path);
    sqlite3_bind_int64(s, 3, part_offset);
    sqlite3_bind_int64(s, 4, part_length);
    sqlite3_bind_int(s, 5, gzip);
    cm_err rc = run(writer, s);
    *changed = rc == CM_OK && sqlite3_changes(writer->db) == 1;
    return rc;
}

cm_err oci_store_import_update(oci_store_conn *writer, const oci_import_row *row)
{
    sqlite3_stmt *s = stmt(writer, S_IMPORT_UPDATE);
    if (!s)
        return CM_EDB;
    bind_text(s, 1, row->id);
    bind_text(s, 2, row->status);
    sqlite3_bind_int64(s, 3, row->started_ms);
    sqlite3_bind_int64(s, 4, row->ended_ms);
    sqlite3_bind_int64(s, 5, row->read_count);
    sqlite3_bind_int64(s, 6, row->processed_count);
    sqlite3_bind_int64(s, 7, row->skipped_count);
    sqlite3_bind_int64(s, 8, row->failed_count);
    sqlite3_bind_int64(s, 9, row->line_cursor);
    sqlite3_bind_int(s, 10, row->parser_layout);
    sqlite3_bind_int(s, 11, row->parser_has_location);
    bind_text(s, 12, row->parser_location);
    bind_text(s, 13, row->validation_error);
    bind_text(s, 14, row->result_status);
    bind_text(s, 15, row->upload_path);
    return run(writer, s);
}

cm_err oci_store_import_delete(oci_store_conn *writer, const char *id)
{
    sqlite3_stmt *s = stmt(writer, S_IMPORT_ERRORS_DELETE);
    if (!s)
        return CM_EDB;
    bind_text(s, 1, id);
    cm_err rc = run(writer, s);
    if (rc != CM_OK)
        return rc;
    s = stmt(writer, S_IMPORT_DELETE);
    if (!s)
        return CM_EDB;
    bind_text(s, 1, id);
    return run(writer, s);
}

cm_err oci_store_import_error_add(oci_store_conn *writer, const char *id, int64_t line,
                                  const char *record_id, const char *location, const char *sku,
                                  const char *message)
{
    sqlite3_stmt *s = stmt(writer, S_IMPORT_ERROR_ADD);
    if (!s)
        return CM_EDB;
    bind_text(s, 1, id);
    sqlite3_bind_int64(s, 2, line);
    bind_text(s, 3, record_id ? record_id : "");
    bind_text(s, 4, location ? location : "");
    bind_text(s, 5, sku ? sku : "");
    bind_text(s, 6, message);
    return run(writer, s);
}

cm_err oci_store_import_errors_scan(oci_store_conn *conn, const char *id,
                                    oci_import_error_visitor visit, void *context)
{
    sqlite3_stmt *s = stmt(conn, S_IMPORT_ERRORS_SCAN);
    if (!s)
        return CM_EDB;
    bind_text(s, 1, id);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (visit(context, (const char *)sqlite3_column_text(s, 0), (const char *)sqlite3_column_text(s, 1),
                  (const char *)sqlite3_column_text(s, 2), (const char *)sqlite3_column_text(s, 3))) {
            rc = SQLITE_DONE;
            break;
        }
    }
    return finish(conn, s, rc);
}

static cm_err visit_ids(oci_store_conn *conn, sqlite3_stmt *s, oci_id_visitor visit, void *context)
{
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (visit(context, (const char *)sqlite3_column_text(s, 0))) {
            rc = SQLITE_DONE;
            break;
        }
    }
    return finish(conn, s, rc);
}

cm_err oci_store_import_list(oci_store_conn *conn, const char *org, int only_available,
                             int64_t now_ms, oci_id_visitor visit, void *context)
{
    sqlite3_stmt *s = stmt(conn, only_available ? S_IMPORT_LIST_AVAILABLE : S_IMPORT_LIST);
    if (!s)
        return CM_EDB;
    bind_text(s, 1, org);
    if (only_available)
        sqlite3_bind_int64(s, 2, now_ms);
    return visit_ids(conn, s, visit, context);
}

static cm_err next_id(oci_store_conn *conn, stmt_id id_stmt, char id[OCI_ID_MAX + 1], int *found)
{
    sqlite3_stmt *s = stmt(conn, id_stmt);
    if (!s)
        return CM_EDB;
    int rc = sqlite3_step(s);
    *found = rc == SQLITE_ROW;
    if (rc == SQLITE_ROW)
        column_text(s, 0, id, OCI_ID_MAX + 1);
    return finish(conn, s, rc);
}

cm_err oci_store_import_next(oci_store_conn *conn, char id[OCI_ID_MAX + 1], int *found)
{
    return next_id(conn, S_IMPORT_NEXT, id, found);
}

/* ---- exports ---- */

void oci_export_row_clear(oci_export_row *row)
{
    free(row->places);
    row->places = NULL;
}

cm_err oci_store_export_insert(oci_store_conn *writer, const oci_export_row *row)
{
    sqlite3_stmt *s = stmt(writer, S_EXPORT_INSERT);
    if (!s)
        return CM_EDB;
    bind_text(s, 1, row->id);
    bind_text(s, 2, row->org);
    bind_text(s, 3, row->kind);
    bind_text(s, 4, row->place_type);
    bind_text(s, 5, row->places ? row->places : "[]");
    bind_text(s, 6, row->status);
    sqlite3_bind_int64(s, 7, row->created_ms);
    sqlite3_bind_int64(s, 8, row->started_ms);
    sqlite3_bind_int64(s, 9, row->ended_ms);
    sqlite3_bind_int64(s, 10, row->expires_ms);
    bind_text(s, 11, row->file_path);
    sqlite3_bind_int64(s, 12, row->file_size);
    bind_text(s, 13, row->file_hash);
    sqlite3_bind_int64(s, 14, row->processed_count);
    sqlite3_bind_int64(s, 15, row->exported_count);
    return run(writer, s);
}

cm_err oci_store_export_get(oci_store_conn *conn, const char *id, oci_export_row *row, int *found)
{
    sqlite3_stmt *s = stmt(conn, S_EXPORT_GET);
    if (!s)
        return CM_EDB;
    bind_text(s, 1, id);
    int rc = sqlite3_step(s);
    *found = rc == SQLITE_ROW;
    memset(row, 0, sizeof *row);
    if (rc == SQLITE_ROW) {
        column_text(s, 0, row->id, sizeof row->id);
        column_text(s, 1, row->org, sizeof row->org);
        column_text(s, 2, row->kind, sizeof row->kind);
        column_text(s, 3, row->place_type, sizeof row->place_type);
        const unsigned char *places = sqlite3_column_text(s, 4);
        row->places = strdup(places ? (const char *)places : "[]");
        column_text(s, 5, row->status, sizeof row->status);
        row->created_ms = sqlite3_column_int64(s, 6);
        row->started_ms = sqlite3_column_int64(s, 7);
        row->ended_ms = sqlite3_column_int64(s, 8);
        row->expires_ms = sqlite3_column_int64(s, 9);
        column_text(s, 10, row->file_path, sizeof row->file_path);
        row->file_size = sqlite3_column_int64(s, 11);
        column_text(s, 12, row->file_hash, sizeof row->file_hash);
        row->processed_count = sqlite3_column_int64(s, 13);
        row->exported_count = sqlite3_column_int64(s, 14);
        if (!row->places) {
            (void)sqlite3_reset(s); /* the step succeeded: the copy is what failed */
            sqlite3_clear_bindings(s);
            *found = 0;
            return CM_ENOMEM;
        }
    }
    return finish(conn, s, rc);
}

cm_err oci_store_export_update(oci_store_conn *writer, const oci_export_row *row)
{
    sqlite3_stmt *s = stmt(writer, S_EXPORT_UPDATE);
    if (!s)
        return CM_EDB;
    bind_text(s, 1, row->id);
    bind_text(s, 2, row->status);
    sqlite3_bind_int64(s, 3, row->started_ms);
    sqlite3_bind_int64(s, 4, row->ended_ms);
    sqlite3_bind_int64(s, 5, row->expires_ms);
    bind_text(s, 6, row->file_path);
    sqlite3_bind_int64(s, 7, row->file_size);
    bind_text(s, 8, row->file_hash);
    sqlite3_bind_int64(s, 9, row->processed_count);
    sqlite3_bind_int64(s, 10, row->exported_count);
    return run(writer, s);
}

cm_err oci_store_export_delete(oci_store_conn *writer, const char *id)
{
    sqlite3_stmt *s = stmt(writer, S_EXPORT_DELETE);
    if (!s)
        return CM_EDB;
    bind_text(s, 1, id);
    return run(writer, s);
}

cm_err oci_store_export_next(oci_store_conn *conn, char id[OCI_ID_MAX + 1], int *found)
{
    return next_id(conn, S_EXPORT_NEXT, id, found);
}

cm_err oci_store_export_busy(oci_store_conn *conn, const char *org, int *busy)
{
    sqlite3_stmt *s = stmt(conn, S_EXPORT_BUSY);
    if (!s)
        return CM_EDB;
    bind_text(s, 1, org);
    int rc = sqlite3_step(s);
    *busy = rc == SQLITE_ROW;
    return finish(conn, s, rc);
}

/* ---- delta tokens ---- */

cm_err oci_store_token_insert(oci_store_conn *writer, const oci_delta_token *token)
{
    sqlite3_stmt *s = stmt(writer, S_TOKEN_INSERT);
    if (!s)
        return CM_EDB;
    bind_text(s, 1, token->token);
    bind_text(s, 2, token->org);
    bind_text(s, 3, token->place_type);
    bind_text(s, 4, token->places ? token->places : "[]");
    sqlite3_bind_int64(s, 5, token->after_seq);
    sqlite3_bind_int64(s, 6, token->created_ms);
    return run(writer, s);
}

cm_err oci_store_token_get(oci_store_conn *conn, const char *token, oci_delta_token *out, int *found)
{
    sqlite3_stmt *s = stmt(conn, S_TOKEN_GET);
    if (!s)
        return CM_EDB;
    bind_text(s, 1, token);
    int rc = sqlite3_step(s);
    *found = rc == SQLITE_ROW;
    memset(out, 0, sizeof *out);
    if (rc == SQLITE_ROW) {
        column_text(s, 0, out->token, sizeof out->token);
        column_text(s, 1, out->org, sizeof out->org);
        column_text(s, 2, out->place_type, sizeof out->place_type);
        const unsigned char *places = sqlite3_column_text(s, 3);
        out->places = strdup(places ? (const char *)places : "[]");
        out->after_seq = sqlite3_column_int64(s, 4);
        out->created_ms = sqlite3_column_int64(s, 5);
        if (!out->places) {
            (void)sqlite3_reset(s); /* the step succeeded: the copy is what failed */
            sqlite3_clear_bindings(s);
            *found = 0;
            return CM_ENOMEM;
        }
    }
    return finish(conn, s, rc);
}

void oci_delta_token_clear(oci_delta_token *token)
{
    free(token->places);
    token->places = NULL;
}
