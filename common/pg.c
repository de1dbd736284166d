#include "common/pg.h"
#include "common/clock.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cm_pg_conn {
    cm_pg_pool *pool;
    PGconn *pg;
    pthread_mutex_t lock;
    /* The statements prepared on this connection. It grows: a statement prepared but not listed
     * would be prepared again and fail ("already exists"), aborting the caller's transaction. */
    const cm_pg_statement **prepared;
    size_t prepared_count, prepared_capacity;
    int in_transaction;
    char message[CM_PG_ERROR_MAX];
};

struct cm_pg_pool {
    char *url;
    char *password;     /* as libpq decodes it from the URL, or NULL */
    char *raw_password; /* as written in the URL (percent-encoded), or NULL */
    cm_pg_conn *conns;
    int size;
    atomic_uint next;
    pthread_mutex_t retry_lock;
    int64_t next_connect_ms; /* while the server is away: no new attempt before this */
};

void cm_pg_redact(const char *text, const char *secret, char *out, size_t size)
{
    size_t used = 0, secret_length = secret ? strlen(secret) : 0;
    if (size == 0)
        return;
    for (const char *p = text ? text : ""; *p && used + 1 < size;) {
        if (secret_length && strncmp(p, secret, secret_length) == 0) {
            for (const char *mask = "***"; *mask && used + 1 < size; mask++)
                out[used++] = *mask;
            p += secret_length;
            continue;
        }
        out[used++] = (*p == '\n' || *p == '\r' || *p == '\t') ? ' ' : *p;
        p++;
    }
    while (used > 0 && out[used - 1] == ' ')
        used--;
    out[used] = '\0';
}

/* Redacts both spellings of the password. */
static void redact(const cm_pg_pool *pool, const char *text, char *out, size_t size)
{
    char once[CM_PG_ERROR_MAX * 2];
    cm_pg_redact(text, pool->raw_password, once, sizeof once);
    cm_pg_redact(once, pool->password, out, size);
}

/* The password as written between "user:" and "@" of the URL's authority, or NULL. */
static char *raw_password_of(const char *url)
{
    const char *authority = strstr(url, "://");
    if (!authority)
        return NULL;
    authority += 3;
    const char *end = authority + strcspn(authority, "/?#");
    const char *at = NULL;
    for (const char *p = authority; p < end; p++)
        if (*p == '@')
            at = p;
    if (!at)
        return NULL;
    const char *colon = memchr(authority, ':', (size_t)(at - authority));
    if (!colon || colon + 1 >= at)
        return NULL;
    return strndup(colon + 1, (size_t)(at - colon - 1));
}

/* Connection defaults the URL may override: a bounded connect, keepalives that notice a vanished
 * server within about half a minute, and a name in pg_stat_activity. */
static PGconn *connect_with(const char *url)
{
    const char *const keywords[] = {"connect_timeout", "application_name", "keepalives", "keepalives_idle",
                                    "keepalives_interval", "keepalives_count", "dbname", NULL};
    const char *const values[] = {CM_PG_CONNECT_TIMEOUT_SECONDS, "omsgw", "1", "10", "5", "3", url, NULL};
    return PQconnectdbParams(keywords, values, 1);
}

PGconn *cm_pg_connect(cm_pg_pool *pool, char error[CM_PG_ERROR_MAX])
{
    PGconn *pg = connect_with(pool->url);
    if (pg && PQstatus(pg) == CONNECTION_OK)
        return pg;
    redact(pool, pg ? PQerrorMessage(pg) : "out of memory", error, CM_PG_ERROR_MAX);
    PQfinish(pg);
    return NULL;
}

cm_err cm_pg_pool_open(const char *url, int size, cm_pg_pool **out, char error[CM_PG_ERROR_MAX])
{
    *out = NULL;
    if (strncmp(url, "postgresql://", 13) != 0 && strncmp(url, "postgres://", 11) != 0) {
        snprintf(error, CM_PG_ERROR_MAX, "storage.url must be a postgresql:// URL");
        return CM_ECONFIG;
    }
    cm_pg_pool *pool = calloc(1, sizeof *pool);
    if (!pool)
        return CM_ENOMEM;
    pool->raw_password = raw_password_of(url);
    char *parse_error = NULL;
    PQconninfoOption *options = PQconninfoParse(url, &parse_error);
    if (!options) {
        redact(pool, parse_error ? parse_error : "out of memory", error, CM_PG_ERROR_MAX);
        char line[CM_PG_ERROR_MAX];
        snprintf(line, sizeof line, "storage.url is not a valid PostgreSQL URL: %.440s", error);
        snprintf(error, CM_PG_ERROR_MAX, "%s", line);
        PQfreemem(parse_error);
        free(pool->raw_password);
        free(pool);
        return CM_ECONFIG;
    }
    for (PQconninfoOption *option = options; option->keyword; option++)
        if (strcmp(option->keyword, "password") == 0 && option->val && *option->val)
            pool->password = strdup(option->val);
    PQconninfoFree(options);
    pool->url = strdup(url);
    pool->size = size > 0 ? size : 1;
    pool->conns = calloc((size_t)pool->size, sizeof *pool->conns);
    pthread_mutex_init(&pool->retry_lock, NULL);
    if (!pool->url || !pool->conns) {
        cm_pg_pool_close(pool);
        return CM_ENOMEM;
    }
    for (int i = 0; i < pool->size; i++) {
        pool->conns[i].pool = pool;
        pthread_mutex_init(&pool->conns[i].lock, NULL);
    }
    /* One connection now, so that a wrong URL, host or password stops the start-up. */
    char reason[CM_PG_ERROR_MAX];
    pool->conns[0].pg = cm_pg_connect(pool, reason);
    if (!pool->conns[0].pg) {
        snprintf(error, CM_PG_ERROR_MAX, "storage: cannot connect to PostgreSQL: %.440s", reason);
        cm_pg_pool_close(pool);
        return CM_EUNAVAILABLE;
    }
    *out = pool;
    return CM_OK;
}

void cm_pg_pool_close(cm_pg_pool *pool)
{
    if (!pool)
        return;
    for (int i = 0; pool->conns && i < pool->size; i++) {
        PQfinish(pool->conns[i].pg);
        free(pool->conns[i].prepared);
        pthread_mutex_destroy(&pool->conns[i].lock);
    }
    free(pool->conns);
    pthread_mutex_destroy(&pool->retry_lock);
    free(pool->url);
    free(pool->password);
    free(pool->raw_password);
    free(pool);
}

cm_pg_conn *cm_pg_acquire(cm_pg_pool *pool)
{
    unsigned start = atomic_fetch_add(&pool->next, 1) % (unsigned)pool->size;
    for (int i = 0; i < pool->size; i++) {
        cm_pg_conn *candidate = &pool->conns[(start + (unsigned)i) % (unsigned)pool->size];
        if (pthread_mutex_trylock(&candidate->lock) == 0)
            return candidate;
    }
    cm_pg_conn *conn = &pool->conns[start];
    pthread_mutex_lock(&conn->lock);
    return conn;
}

void cm_pg_release(cm_pg_conn *conn)
{
    if (conn)
        pthread_mutex_unlock(&conn->lock);
}

static void set_message(cm_pg_conn *conn, const char *text)
{
    redact(conn->pool, text, conn->message, sizeof conn->message);
}

const char *cm_pg_message(const cm_pg_conn *conn)
{
    return conn->message;
}

/* Makes sure the connection is up, reconnecting outside transactions (throttled pool-wide). */
static cm_err ensure_connected(cm_pg_conn *conn)
{
    if (conn->pg && PQstatus(conn->pg) == CONNECTION_OK)
        return CM_OK;
    if (conn->in_transaction) {
        set_message(conn, "the connection to PostgreSQL was lost inside a transaction");
        return CM_EUNAVAILABLE;
    }
    cm_pg_pool *pool = conn->pool;
    pthread_mutex_lock(&pool->retry_lock);
    int may_try = cm_mono_ms() >= pool->next_connect_ms;
    pthread_mutex_unlock(&pool->retry_lock);
    if (!may_try) {
        if (!conn->message[0])
            set_message(conn, "PostgreSQL is unavailable; retrying");
        return CM_EUNAVAILABLE;
    }
    PQfinish(conn->pg);
    conn->prepared_count = 0;
    char reason[CM_PG_ERROR_MAX];
    conn->pg = cm_pg_connect(pool, reason);
    pthread_mutex_lock(&pool->retry_lock);
    /* Refused: nobody tries again for a moment. Back: everybody may reconnect at once. */
    pool->next_connect_ms = conn->pg ? 0 : cm_mono_ms() + CM_PG_RETRY_INTERVAL_MS;
    pthread_mutex_unlock(&pool->retry_lock);
    if (!conn->pg) {
        set_message(conn, reason);
        return CM_EUNAVAILABLE;
    }
    conn->message[0] = '\0';
    return CM_OK;
}

/* Maps a failed result (or none) to the project's error and keeps its message. */
static cm_err failure(cm_pg_conn *conn, PGresult *result)
{
    set_message(conn, result && PQresultErrorMessage(result)[0] ? PQresultErrorMessage(result)
                                                                 : PQerrorMessage(conn->pg));
    if (!conn->pg || PQstatus(conn->pg) != CONNECTION_OK)
        return CM_EUNAVAILABLE;
    const char *state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : NULL;
    if (!state)
        return result ? CM_EDB : CM_ENOMEM;
    if (strcmp(state, "23505") == 0)
        return CM_EEXIST;
    if (strcmp(state, "53100") == 0)
        return CM_EFULL;
    if (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0)
        return CM_EUNAVAILABLE;
    if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 || strcmp(state, "55P03") == 0)
        return CM_EBUSY;
    return CM_EDB;
}

static int succeeded(PGresult *result)
{
    ExecStatusType status = PQresultStatus(result);
    return result && (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK);
}

static cm_err prepare(cm_pg_conn *conn, const cm_pg_statement *statement)
{
    for (size_t i = 0; i < conn->prepared_count; i++)
        if (conn->prepared[i] == statement)
            return CM_OK;
    /* Room first: once the server has it, it must be listed. */
    if (conn->prepared_count == conn->prepared_capacity) {
        size_t capacity = conn->prepared_capacity ? conn->prepared_capacity * 2 : 64;
        const cm_pg_statement **grown = realloc(conn->prepared, capacity * sizeof *grown);
        if (!grown) {
            set_message(conn, "out of memory");
            return CM_ENOMEM;
        }
        conn->prepared = grown;
        conn->prepared_capacity = capacity;
    }
    PGresult *result = PQprepare(conn->pg, statement->name, statement->sql, statement->param_count, NULL);
    cm_err rc = succeeded(result) ? CM_OK : failure(conn, result);
    PQclear(result);
    if (!rc)
        conn->prepared[conn->prepared_count++] = statement;
    return rc;
}

cm_err cm_pg_exec(cm_pg_conn *conn, const cm_pg_statement *statement, const char *const *values, PGresult **result)
{
    if (result)
        *result = NULL;
    cm_err rc = ensure_connected(conn);
    if (!rc)
        rc = prepare(conn, statement);
    if (rc)
        return rc;
    PGresult *answer = PQexecPrepared(conn->pg, statement->name, statement->param_count, values, NULL, NULL, 0);
    if (!succeeded(answer)) {
        rc = failure(conn, answer);
        PQclear(answer);
        return rc;
    }
    if (result)
        *result = answer;
    else
        PQclear(answer);
    return CM_OK;
}

cm_err cm_pg_command(cm_pg_conn *conn, const char *sql)
{
    cm_err rc = ensure_connected(conn);
    if (rc)
        return rc;
    PGresult *result = PQexec(conn->pg, sql);
    rc = succeeded(result) ? CM_OK : failure(conn, result);
    PQclear(result);
    return rc;
}

cm_err cm_pg_begin(cm_pg_conn *conn, int durable)
{
    cm_err rc = cm_pg_command(conn, durable ? "BEGIN; SET LOCAL synchronous_commit = on"
                                            : "BEGIN; SET LOCAL synchronous_commit = off");
    if (!rc)
        conn->in_transaction = 1;
    else if (conn->pg && PQtransactionStatus(conn->pg) != PQTRANS_IDLE)
        PQclear(PQexec(conn->pg, "ROLLBACK"));
    return rc;
}

cm_err cm_pg_commit(cm_pg_conn *conn)
{
    if (!conn->in_transaction)
        return CM_ESTATE;
    conn->in_transaction = 0;
    if (!conn->pg || PQstatus(conn->pg) != CONNECTION_OK) {
        set_message(conn, "the connection to PostgreSQL was lost before COMMIT");
        return CM_EUNAVAILABLE;
    }
    PGresult *result = PQexec(conn->pg, "COMMIT");
    cm_err rc;
    if (result && PQresultStatus(result) == PGRES_COMMAND_OK && strcmp(PQcmdStatus(result), "COMMIT") == 0) {
        rc = CM_OK;
    } else if (result && PQresultStatus(result) == PGRES_COMMAND_OK) {
        /* A COMMIT of a failed transaction answers "ROLLBACK" with a success status. */
        set_message(conn, "the transaction was rolled back");
        rc = CM_EDB;
    } else {
        rc = failure(conn, result);
    }
    PQclear(result);
    return rc;
}

void cm_pg_rollback(cm_pg_conn *conn)
{
    if (!conn->in_transaction)
        return;
    conn->in_transaction = 0;
    if (conn->pg && PQstatus(conn->pg) == CONNECTION_OK)
        PQclear(PQexec(conn->pg, "ROLLBACK"));
}

long long cm_pg_changes(PGresult *result)
{
    const char *tuples = result ? PQcmdTuples(result) : "";
    return *tuples ? strtoll(tuples, NULL, 10) : 0;
}
