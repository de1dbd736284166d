/*
 * db.h - opening SQLite databases the project's way, and migrating their schemas.
 *
 * Every connection: WAL journal, a busy timeout, foreign keys on, extended result codes.
 * Migrations: a `schema_version` table holds one row per component; each step runs in its own
 * transaction and bumps the version, so a crash mid-migration leaves the last good version.
 * Errors carry one sentence with the file name and SQLite's message.
 */
#ifndef CM_DB_H
#define CM_DB_H

#include <sqlite3.h>
#include <stddef.h>

#include "common/err.h"

#define CM_DB_BUSY_TIMEOUT_MS 5000
#define CM_DB_ERROR_MAX 512

typedef enum cm_db_sync { CM_DB_SYNC_NORMAL, CM_DB_SYNC_FULL } cm_db_sync;

typedef struct cm_db_migration {
    int version;     /* 1, 2, 3… in order */
    const char *sql; /* one or more statements */
} cm_db_migration;

/*
 * Opens (creating if needed) the database at `path`. On success *out is an open connection the
 * caller closes with cm_db_close. On failure *out is NULL and `error` says why.
 */
cm_err cm_db_open(const char *path, cm_db_sync sync, sqlite3 **out, char error[CM_DB_ERROR_MAX]);

/* Opens an existing database for reading only (query_only), sharing the WAL with the writer. */
cm_err cm_db_open_reader(const char *path, sqlite3 **out, char error[CM_DB_ERROR_MAX]);

/* Applies every step whose version is above the stored one for `component`. */
cm_err cm_db_migrate(sqlite3 *db, const char *component, const cm_db_migration *steps,
                     size_t step_count, char error[CM_DB_ERROR_MAX]);

/* Runs SQL without results. Returns CM_OK or the mapped SQLite error. */
cm_err cm_db_exec(sqlite3 *db, const char *sql);

/* Maps an SQLite result code: FULL → CM_EFULL, BUSY/LOCKED → CM_EBUSY, NOMEM → CM_ENOMEM,
 * CONSTRAINT → CM_EEXIST, IOERR/CANTOPEN/READONLY → CM_EIO, anything else not OK/ROW/DONE → CM_EDB. */
cm_err cm_db_error(int sqlite_rc);

cm_err cm_db_begin(sqlite3 *db);     /* BEGIN IMMEDIATE */
cm_err cm_db_commit(sqlite3 *db);
void cm_db_rollback(sqlite3 *db);     /* safe to call when no transaction is open */

/*
 * Managed WAL checkpoints. A writer connection that commits past SQLite's auto-checkpoint size
 * does the checkpoint itself, inside the commit of whoever happens to write then (a job's
 * acceptance, a chunk's checkpoint). Instead, writers opened with cm_db_open only checkpoint when
 * the WAL is very large (CM_DB_WAL_SAFETY_PAGES), and a checkpointer thread with its own
 * connection copies the WAL back into the database every `interval_ms` (PASSIVE: it never waits
 * for, nor blocks, readers and writers).
 */
#define CM_DB_WAL_SAFETY_PAGES 20000

typedef struct cm_db_checkpointer cm_db_checkpointer;

cm_err cm_db_checkpointer_start(const char *path, int interval_ms, cm_db_checkpointer **out,
                                char error[CM_DB_ERROR_MAX]);
/* Stops the thread and closes its connection; NULL is allowed. */
void cm_db_checkpointer_stop(cm_db_checkpointer *checkpointer);

/* Finalizes every prepared statement still open and closes; NULL is allowed. */
void cm_db_close(sqlite3 *db);

#endif
