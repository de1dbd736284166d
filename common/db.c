#include "common/db.h"
#include "common/thread_priority.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

cm_err cm_db_error(int sqlite_rc)
{
    switch (sqlite_rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE: return CM_OK;
    case SQLITE_FULL: return CM_EFULL;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return CM_EBUSY;
    case SQLITE_NOMEM: return CM_ENOMEM;
    case SQLITE_CONSTRAINT: return CM_EEXIST;
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY: return CM_EIO;
    default: return CM_EDB;
    }
}

cm_err cm_db_exec(sqlite3 *db, const char *sql)
{
    return cm_db_error(sqlite3_exec(db, sql, NULL, NULL, NULL));
}

static cm_err open_with(const char *path, int flags, const char *pragmas, sqlite3 **out,
                        char error[CM_DB_ERROR_MAX])
{
    *out = NULL;
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, flags, NULL);
    if (rc != SQLITE_OK) {
        snprintf(error, CM_DB_ERROR_MAX, "cannot open database %s: %s", path,
                 db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close(db);
        return cm_db_error(rc);
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, CM_DB_BUSY_TIMEOUT_MS);
    char *message = NULL;
    rc = sqlite3_exec(db, pragmas, NULL, NULL, &message);
    if (rc != SQLITE_OK) {
        snprintf(error, CM_DB_ERROR_MAX, "cannot prepare database %s: %s", path,
                 message ? message : sqlite3_errstr(rc));
        sqlite3_free(message);
        sqlite3_close(db);
        return cm_db_error(rc);
    }
    *out = db;
    return CM_OK;
}

cm_err cm_db_open(const char *path, cm_db_sync sync, sqlite3 **out, char error[CM_DB_ERROR_MAX])
{
    /* journal_mode=WAL is persistent; asking for it also proves the file is a writable database. */
    /* The WAL is checkpointed by cm_db_checkpointer; the writer only steps in past a safety size. */
    const char *pragmas = sync == CM_DB_SYNC_FULL
                              ? "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                                "PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY; "
                                "PRAGMA wal_autocheckpoint=20000;"
                              : "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                                "PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY; "
                                "PRAGMA wal_autocheckpoint=20000;";
    return open_with(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, pragmas,
                     out, error);
}

/* Readers keep a 1 MiB page cache (SQLite's default is 2 MiB per connection): there are several,
 * their reads are index look-ups, and the operating system caches the file anyway. */
cm_err cm_db_open_reader(const char *path, sqlite3 **out, char error[CM_DB_ERROR_MAX])
{
    return open_with(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                     "PRAGMA query_only=ON; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-1024;", out, error);
}

cm_err cm_db_begin(sqlite3 *db)
{
    cm_db_rollback(db); /* a transaction that a failed rollback left open is not this one's */
    return cm_db_exec(db, "BEGIN IMMEDIATE");
}

cm_err cm_db_commit(sqlite3 *db)
{
    return cm_db_exec(db, "COMMIT");
}

/* ROLLBACK is compiled on every call, which takes memory: when that fails the transaction stays
 * open and every later BEGIN on the connection would fail. So a second try here, and cm_db_begin
 * (and the core's read_begin) close what is still open before beginning. */
void cm_db_rollback(sqlite3 *db)
{
    for (int tries = 0; tries < 2 && !sqlite3_get_autocommit(db); tries++)
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

static int stored_version(sqlite3 *db, const char *component, int *version)
{
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2(db, "SELECT version FROM schema_version WHERE component = ?1", -1,
                                &stmt, NULL);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_text(stmt, 1, component, -1, SQLITE_STATIC);
    rc = sqlite3_step(stmt);
    *version = rc == SQLITE_ROW ? sqlite3_column_int(stmt, 0) : 0;
    sqlite3_finalize(stmt);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

cm_err cm_db_migrate(sqlite3 *db, const char *component, const cm_db_migration *steps,
                     size_t step_count, char error[CM_DB_ERROR_MAX])
{
    int rc = sqlite3_exec(db,
                          "CREATE TABLE IF NOT EXISTS schema_version ("
                          " component TEXT PRIMARY KEY, version INTEGER NOT NULL CHECK (version >= 0))",
                          NULL, NULL, NULL);
    int version = 0;
    if (rc == SQLITE_OK)
        rc = stored_version(db, component, &version);
    if (rc != SQLITE_OK) {
        snprintf(error, CM_DB_ERROR_MAX, "cannot read the schema version of %s: %s", component,
                 sqlite3_errmsg(db));
        return cm_db_error(rc);
    }
    int newest = step_count ? steps[step_count - 1].version : 0;
    if (version > newest) {
        snprintf(error, CM_DB_ERROR_MAX,
                 "the %s schema is version %d, newer than this program knows (%d): upgrade omsgw",
                 component, version, newest);
        return CM_ESTATE;
    }
    for (size_t i = 0; i < step_count; i++) {
        if (steps[i].version <= version)
            continue;
        char *message = NULL;
        rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &message);
        if (rc == SQLITE_OK)
            rc = sqlite3_exec(db, steps[i].sql, NULL, NULL, &message);
        if (rc == SQLITE_OK) {
            sqlite3_stmt *stmt = NULL;
            rc = sqlite3_prepare_v2(db,
                                    "INSERT INTO schema_version (component, version) VALUES (?1, ?2)"
                                    " ON CONFLICT (component) DO UPDATE SET version = excluded.version",
                                    -1, &stmt, NULL);
            if (rc == SQLITE_OK) {
                sqlite3_bind_text(stmt, 1, component, -1, SQLITE_STATIC);
                sqlite3_bind_int(stmt, 2, steps[i].version);
                rc = sqlite3_step(stmt) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(db);
            }
            sqlite3_finalize(stmt);
        }
        if (rc == SQLITE_OK)
            rc = sqlite3_exec(db, "COMMIT", NULL, NULL, &message);
        if (rc != SQLITE_OK) {
            snprintf(error, CM_DB_ERROR_MAX, "migrating %s to version %d failed: %s", component,
                     steps[i].version, message ? message : sqlite3_errmsg(db));
            sqlite3_free(message);
            cm_db_rollback(db);
            return cm_db_error(rc);
        }
    }
    return CM_OK;
}

void cm_db_close(sqlite3 *db)
{
    if (!db)
        return;
    sqlite3_stmt *stmt;
    while ((stmt = sqlite3_next_stmt(db, NULL)) != NULL)
        sqlite3_finalize(stmt);
    sqlite3_close(db);
}

struct cm_db_checkpointer {
    sqlite3 *db;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int stopping;
    int interval_ms;
};

static void *checkpointer_main(void *data)
{
    cm_db_checkpointer *checkpointer = data;
    /* Passive checkpoints block no writer, so a lowered checkpointer cannot hold up a commit. */
    cm_thread_become_background("omsgw-checkpoint");
    pthread_mutex_lock(&checkpointer->lock);
    while (!checkpointer->stopping) {
        struct timespec deadline;
        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_sec += checkpointer->interval_ms / 1000;
        deadline.tv_nsec += (long)(checkpointer->interval_ms % 1000) * 1000000L;
        if (deadline.tv_nsec >= 1000000000L) {
            deadline.tv_sec++;
            deadline.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&checkpointer->wake, &checkpointer->lock, &deadline);
        if (checkpointer->stopping)
            break;
        pthread_mutex_unlock(&checkpointer->lock);
        int log_frames = 0, copied_frames = 0;
        sqlite3_wal_checkpoint_v2(checkpointer->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log_frames, &copied_frames);
        pthread_mutex_lock(&checkpointer->lock);
    }
    pthread_mutex_unlock(&checkpointer->lock);
    return NULL;
}

cm_err cm_db_checkpointer_start(const char *path, int interval_ms, cm_db_checkpointer **out,
                                char error[CM_DB_ERROR_MAX])
{
    *out = NULL;
    cm_db_checkpointer *checkpointer = calloc(1, sizeof *checkpointer);
    if (!checkpointer)
        return CM_ENOMEM;
    checkpointer->interval_ms = interval_ms > 0 ? interval_ms : 1000;
    /* Reading the schema once opens the WAL for this connection: before that, a checkpoint on it
     * finds "no WAL" and does nothing. */
    cm_err rc = open_with(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                          "PRAGMA wal_autocheckpoint=0; SELECT count(*) FROM sqlite_master;", &checkpointer->db, error);
    if (rc) {
        free(checkpointer);
        return rc;
    }
    pthread_mutex_init(&checkpointer->lock, NULL);
    pthread_cond_init(&checkpointer->wake, NULL);
    if (pthread_create(&checkpointer->thread, NULL, checkpointer_main, checkpointer) != 0) {
        pthread_cond_destroy(&checkpointer->wake);
        pthread_mutex_destroy(&checkpointer->lock);
        sqlite3_close(checkpointer->db);
        free(checkpointer);
        snprintf(error, CM_DB_ERROR_MAX, "cannot start the checkpoint thread of %s", path);
        return CM_ENOMEM;
    }
    *out = checkpointer;
    return CM_OK;
}

void cm_db_checkpointer_stop(cm_db_checkpointer *checkpointer)
{
    if (!checkpointer)
        return;
    pthread_mutex_lock(&checkpointer->lock);
    checkpointer->stopping = 1;
    pthread_cond_signal(&checkpointer->wake);
    pthread_mutex_unlock(&checkpointer->lock);
    pthread_join(checkpointer->thread, NULL);
    pthread_cond_destroy(&checkpointer->wake);
    pthread_mutex_destroy(&checkpointer->lock);
    cm_db_close(checkpointer->db);
    free(checkpointer);
}
