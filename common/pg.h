/*
 * pg.h - PostgreSQL connections the project's way, on libpq: a fixed pool, statements prepared
 * once per connection, reconnection by itself, and error messages that never show a password.
 *
 * Promises:
 * - cm_pg_pool_open checks the URL (a postgresql:// or postgres:// URL that libpq can parse) and
 *   connects once, so a malformed URL, an unreachable server or a failed login is reported at
 *   start-up with one line; every message it or cm_pg_message gives has the URL's password
 *   replaced by "***".
 * - A connection found broken is reset the next time it is used outside a transaction; while the
 *   server is away, calls fail fast with CM_EUNAVAILABLE (at most one connection attempt per
 *   CM_PG_RETRY_INTERVAL_MS for the whole pool) instead of each waiting for a connect timeout.
 * - Inside a transaction a broken connection is never reset silently (the rest of the transaction
 *   would run outside it): the call fails and the caller rolls back.
 * Errors: CM_EUNAVAILABLE (connection lost or refused), CM_EFULL (disk full, SQLSTATE 53100),
 * CM_EEXIST (unique violation), CM_EDB (anything else), CM_ENOMEM.
 * Thread safety: the pool is; one connection is used by one thread between acquire and release.
 */
#ifndef CM_PG_H
#define CM_PG_H

#include <libpq-fe.h>
#include <stddef.h>

#include "common/err.h"

#define CM_PG_ERROR_MAX 512
#define CM_PG_RETRY_INTERVAL_MS 500
#define CM_PG_CONNECT_TIMEOUT_SECONDS "5"

typedef struct cm_pg_pool cm_pg_pool;
typedef struct cm_pg_conn cm_pg_conn;

/* A statement prepared once per connection under `name` (unique per SQL text). */
typedef struct cm_pg_statement {
    const char *name;
    const char *sql;
    int param_count;
} cm_pg_statement;

cm_err cm_pg_pool_open(const char *url, int size, cm_pg_pool **out, char error[CM_PG_ERROR_MAX]);
void cm_pg_pool_close(cm_pg_pool *pool);

/* A new connection of its own with the pool's parameters (for LISTEN), or NULL; `error` says why.
 * The caller closes it with PQfinish. */
PGconn *cm_pg_connect(cm_pg_pool *pool, char error[CM_PG_ERROR_MAX]);

/* Takes a connection for the calling thread (waits while all are in use); never NULL. */
cm_pg_conn *cm_pg_acquire(cm_pg_pool *pool);
void cm_pg_release(cm_pg_conn *conn);

/* Runs a prepared statement with text parameters (NULL value: SQL NULL). On success and when
 * `result` is not NULL, *result is the caller's to PQclear. */
cm_err cm_pg_exec(cm_pg_conn *conn, const cm_pg_statement *statement, const char *const *values,
                  PGresult **result);

/* Runs one or more SQL commands without parameters or results (BEGIN; SET LOCAL …). */
cm_err cm_pg_command(cm_pg_conn *conn, const char *sql);

/* BEGIN with synchronous_commit on (durable) or off for this transaction. */
cm_err cm_pg_begin(cm_pg_conn *conn, int durable);
/* COMMIT, checked: only a transaction that really committed returns CM_OK. */
cm_err cm_pg_commit(cm_pg_conn *conn);
/* ROLLBACK when a transaction is open; safe to call always. */
void cm_pg_rollback(cm_pg_conn *conn);

/* The last error of this connection, redacted, on one line; "" when none. */
const char *cm_pg_message(const cm_pg_conn *conn);

/* Rows changed by a command result (UPDATE/DELETE/INSERT), or 0. */
long long cm_pg_changes(PGresult *result);

/* Copies `text` into `out` with every occurrence of `secret` (when not empty) replaced by "***" and
 * line breaks folded into spaces. */
void cm_pg_redact(const char *text, const char *secret, char *out, size_t size);

#endif
