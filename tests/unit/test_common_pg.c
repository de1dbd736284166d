/*
 * test_common_pg.c - PostgreSQL connections the project's way (common/pg.h) against a real
 * server (tests/support/pg_server.h): the URL checks and the start-up connection, passwords
 * redacted in both spellings from every message, statements prepared once per connection (also
 * past the connection's cache of prepared statements), SQLSTATEs mapped to the project's errors,
 * transactions (durable or not, a failed one is not reported committed), a connection killed
 * under the pool reset on next use outside a transaction and never inside one, the fail-fast while
 * the server is away and the return when it is back, and a full pool making the next thread wait.
 */
#include "tests/support/pg_server.h"
#include "tests/support/test_support.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/pg.h"

static th_pg server;
static char url[512];

static int group_setup(void **state)
{
    (void)state;
    if (th_pg_start(&server, 0) != 0)
        return -1;
    return th_pg_create_database(&server, "pgtest", url, sizeof url) == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    th_pg_cleanup(&server);
    return 0;
}

static cm_pg_pool *open_pool(int size)
{
    cm_pg_pool *pool = NULL;
    char error[CM_PG_ERROR_MAX];
    if (cm_pg_pool_open(url, size, &pool, error) != CM_OK)
        fail_msg("open: %s", error);
    return pool;
}

/* One text value of a one-row query. */
static void query_text(cm_pg_conn *conn, const cm_pg_statement *statement, const char *const *values, char *out,
                       size_t size)
{
    PGresult *result = NULL;
    cm_err rc = cm_pg_exec(conn, statement, values, &result);
    if (rc != CM_OK)
        fail_msg("%s: %s", statement->sql, cm_pg_message(conn));
    assert_int_equal(PQntuples(result), 1);
    snprintf(out, size, "%s", PQgetisnull(result, 0, 0) ? "(null)" : PQgetvalue(result, 0, 0));
    PQclear(result);
}

static void test_redact_replaces_the_secret_and_folds_lines(void **state)
{
    (void)state;
    char out[64];
    cm_pg_redact("FATAL: database \"pw\" does not exist\nDETAIL:\tpw pw  \n", "pw", out, sizeof out);
    assert_string_equal(out, "FATAL: database \"***\" does not exist DETAIL: *** ***");
    cm_pg_redact("no secret here", "", out, sizeof out);
    assert_string_equal(out, "no secret here");
    cm_pg_redact("no secret here", NULL, out, sizeof out);
    assert_string_equal(out, "no secret here");
    cm_pg_redact(NULL, "x", out, sizeof out);
    assert_string_equal(out, "");
    /* Cut to the buffer, the mask included, always terminated. */
    char small[6];
    cm_pg_redact("ab secret", "secret", small, sizeof small);
    assert_string_equal(small, "ab **");
    small[0] = 'z';
    cm_pg_redact("abc", NULL, small, 0);
    assert_int_equal(small[0], 'z');
}

static void test_open_refuses_what_is_not_a_postgresql_url(void **state)
{
    (void)state;
    cm_pg_pool *pool = (cm_pg_pool *)1;
    char error[CM_PG_ERROR_MAX] = "";
    assert_int_equal(cm_pg_pool_open("mysql://u:p@h/db", 2, &pool, error), CM_ECONFIG);
    assert_null(pool);
    assert_string_equal(error, "storage.url must be a postgresql:// URL");
    /* libpq cannot parse it: the line says so, with libpq's reason. */
    assert_int_equal(cm_pg_pool_open("postgresql://u:pw-long@h:5432/db?nonsense_option=1", 2, &pool, error), CM_ECONFIG);
    assert_null(pool);
    assert_non_null(strstr(error, "storage.url is not a valid PostgreSQL URL: "));
    assert_non_null(strstr(error, "nonsense_option"));
}

/* The start-up connection fails with one redacted line; the password is the database name here,
 * so the server's own message would show it, in its decoded spelling and in the URL's. */
static void test_open_connects_once_and_redacts_the_password(void **state)
{
    (void)state;
    char bad[512], error[CM_PG_ERROR_MAX] = "";
    cm_pg_pool *pool = NULL;
    snprintf(bad, sizeof bad, "postgresql://%s:%s@127.0.0.1:%d/%s", TH_PG_USER, TH_PG_PASSWORD, server.port,
             TH_PG_PASSWORD);
    assert_int_equal(cm_pg_pool_open(bad, 2, &pool, error), CM_EUNAVAILABLE);
    assert_null(pool);
    assert_non_null(strstr(error, "storage: cannot connect to PostgreSQL: "));
    assert_non_null(strstr(error, "\"***\" does not exist"));
    assert_null(strstr(error, TH_PG_PASSWORD));
    assert_null(strchr(error, '\n'));

    /* The same password percent-encoded in the URL ("-" as %2D). */
    snprintf(bad, sizeof bad, "postgresql://%s:s3cret%%2DPg-pass@127.0.0.1:%d/s3cret%%2DPg-pass", TH_PG_USER,
             server.port);
    assert_int_equal(cm_pg_pool_open(bad, 1, &pool, error), CM_EUNAVAILABLE);
    assert_null(strstr(error, TH_PG_PASSWORD));
    assert_null(strstr(error, "s3cret%2DPg-pass"));
    assert_non_null(strstr(error, "***"));

    /* A wrong password and a port nobody listens on. */
    snprintf(bad, sizeof bad, "postgresql://%s:wrong-one@127.0.0.1:%d/pgtest", TH_PG_USER, server.port);
    assert_int_equal(cm_pg_pool_open(bad, 1, &pool, error), CM_EUNAVAILABLE);
    assert_non_null(strstr(error, "password authentication failed"));
    assert_null(strstr(error, "wrong-one"));
    snprintf(bad, sizeof bad, "postgres://%s:wrong-one@127.0.0.1:1/pgtest", TH_PG_USER);
    assert_int_equal(cm_pg_pool_open(bad, 1, &pool, error), CM_EUNAVAILABLE);
    assert_non_null(strstr(error, "127.0.0.1"));
}

static const cm_pg_statement CREATE = {"t_create",
                                       "CREATE TABLE IF NOT EXISTS items (sku text PRIMARY KEY, quantity int)", 0};
static const cm_pg_statement INSERT = {"t_insert", "INSERT INTO items (sku, quantity) VALUES ($1, $2::int)", 2};
static const cm_pg_statement COUNT = {"t_count", "SELECT count(*)::text FROM items WHERE sku LIKE $1", 1};
static const cm_pg_statement UPDATE = {"t_update", "UPDATE items SET quantity = quantity + 1 WHERE sku LIKE $1", 1};
static const cm_pg_statement QUANTITY = {"t_quantity", "SELECT quantity::text FROM items WHERE sku = $1", 1};

static void test_statements_with_parameters_and_errors(void **state)
{
    (void)state;
    cm_pg_pool *pool = open_pool(1);
    cm_pg_conn *conn = cm_pg_acquire(pool);
    assert_int_equal(cm_pg_exec(conn, &CREATE, NULL, NULL), CM_OK);
    assert_int_equal(cm_pg_command(conn, "DELETE FROM items WHERE sku LIKE 'P-%'"), CM_OK);
    const char *a[] = {"P-1", "5"}, *b[] = {"P-2", NULL};
    assert_int_equal(cm_pg_exec(conn, &INSERT, a, NULL), CM_OK);
    assert_int_equal(cm_pg_exec(conn, &INSERT, b, NULL), CM_OK);
    char text[64];
    const char *like[] = {"P-%"};
    query_text(conn, &COUNT, like, text, sizeof text);
    assert_string_equal(text, "2");
    /* A NULL value is SQL NULL. */
    const char *p2[] = {"P-2"};
    query_text(conn, &QUANTITY, p2, text, sizeof text);
    assert_string_equal(text, "(null)");
    PGresult *result = NULL;
    assert_int_equal(cm_pg_exec(conn, &UPDATE, like, &result), CM_OK);
    assert_int_equal(cm_pg_changes(result), 2);
    PQclear(result);
    assert_int_equal(cm_pg_changes(NULL), 0);

    /* A unique violation is CM_EEXIST, other refusals CM_EDB, with the server's message. */
    assert_int_equal(cm_pg_exec(conn, &INSERT, a, &result), CM_EEXIST);
    assert_null(result);
    assert_non_null(strstr(cm_pg_message(conn), "duplicate key"));
    const char *not_a_number[] = {"P-3", "five"};
    assert_int_equal(cm_pg_exec(conn, &INSERT, not_a_number, NULL), CM_EDB);
    assert_non_null(strstr(cm_pg_message(conn), "invalid input syntax"));
    static const cm_pg_statement BROKEN = {"t_broken", "SELEC 1", 0};
    assert_int_equal(cm_pg_exec(conn, &BROKEN, NULL, NULL), CM_EDB);
    assert_non_null(strstr(cm_pg_message(conn), "syntax error"));
    assert_int_equal(cm_pg_command(conn, "SELECT * FROM no_such_table"), CM_EDB);
    assert_non_null(strstr(cm_pg_message(conn), "no_such_table"));
    /* The connection is still good afterwards. */
    query_text(conn, &COUNT, like, text, sizeof text);
    assert_string_equal(text, "2");
    cm_pg_release(conn);
    cm_pg_pool_close(pool);
}

/* More distinct statements than one connection's cache of prepared ones: every one still runs,
 * and runs again. */
static void test_many_statements_on_one_connection(void **state)
{
    (void)state;
    enum { COUNT_OF_STATEMENTS = 100 };
    static cm_pg_statement statements[COUNT_OF_STATEMENTS];
    static char names[COUNT_OF_STATEMENTS][16], sqls[COUNT_OF_STATEMENTS][32];
    for (int i = 0; i < COUNT_OF_STATEMENTS; i++) {
        snprintf(names[i], sizeof names[i], "t_many_%d", i);
        snprintf(sqls[i], sizeof sqls[i], "SELECT %d::text", i);
        statements[i] = (cm_pg_statement){names[i], sqls[i], 0};
    }
    cm_pg_pool *pool = open_pool(1);
    cm_pg_conn *conn = cm_pg_acquire(pool);
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < COUNT_OF_STATEMENTS; i++) {
            char text[16], expected[16];
            query_text(conn, &statements[i], NULL, text, sizeof text);
            snprintf(expected, sizeof expected, "%d", i);
            assert_string_equal(text, expected);
        }
    }
    cm_pg_release(conn);
    cm_pg_pool_close(pool);
}

static const cm_pg_statement SYNC = {"t_sync", "SELECT current_setting('synchronous_commit')", 0};

static void test_transactions(void **state)
{
    (void)state;
    cm_pg_pool *pool = open_pool(1);
    cm_pg_conn *conn = cm_pg_acquire(pool);
    assert_int_equal(cm_pg_exec(conn, &CREATE, NULL, NULL), CM_OK);
    assert_int_equal(cm_pg_command(conn, "DELETE FROM items WHERE sku LIKE 'T-%'"), CM_OK);
    char text[64];
    const char *like[] = {"T-%"};

    /* Commit without a transaction is a caller's mistake. */
    assert_int_equal(cm_pg_commit(conn), CM_ESTATE);
    cm_pg_rollback(conn); /* safe outside a transaction */

    /* Durable or not is the transaction's own synchronous_commit. */
    assert_int_equal(cm_pg_begin(conn, 0), CM_OK);
    query_text(conn, &SYNC, NULL, text, sizeof text);
    assert_string_equal(text, "off");
    const char *one[] = {"T-1", "1"};
    assert_int_equal(cm_pg_exec(conn, &INSERT, one, NULL), CM_OK);
    assert_int_equal(cm_pg_commit(conn), CM_OK);
    assert_int_equal(cm_pg_begin(conn, 1), CM_OK);
    query_text(conn, &SYNC, NULL, text, sizeof text);
    assert_string_equal(text, "on");
    const char *two[] = {"T-2", "2"};
    assert_int_equal(cm_pg_exec(conn, &INSERT, two, NULL), CM_OK);
    cm_pg_rollback(conn);
    query_text(conn, &COUNT, like, text, sizeof text);
    assert_string_equal(text, "1");

    /* A statement failed inside: COMMIT answers ROLLBACK, which is not a commit. */
    assert_int_equal(cm_pg_begin(conn, 1), CM_OK);
    assert_int_equal(cm_pg_exec(conn, &INSERT, two, NULL), CM_OK);
    assert_int_equal(cm_pg_exec(conn, &INSERT, one, NULL), CM_EEXIST);
    assert_int_equal(cm_pg_commit(conn), CM_EDB);
    assert_string_equal(cm_pg_message(conn), "the transaction was rolled back");
    query_text(conn, &COUNT, like, text, sizeof text);
    assert_string_equal(text, "1");
    cm_pg_release(conn);
    cm_pg_pool_close(pool);
}

/* A row locked by one connection: NOWAIT from another is CM_EBUSY (55P03), not a failure. */
static void test_a_lock_conflict_is_busy(void **state)
{
    (void)state;
    cm_pg_pool *pool = open_pool(2);
    cm_pg_conn *holder = cm_pg_acquire(pool);
    cm_pg_conn *other = cm_pg_acquire(pool);
    assert_ptr_not_equal(holder, other);
    assert_int_equal(cm_pg_exec(holder, &CREATE, NULL, NULL), CM_OK);
    assert_int_equal(cm_pg_command(holder, "INSERT INTO items VALUES ('L-1', 1) ON CONFLICT DO NOTHING"), CM_OK);
    assert_int_equal(cm_pg_begin(holder, 0), CM_OK);
    assert_int_equal(cm_pg_command(holder, "SELECT * FROM items WHERE sku = 'L-1' FOR UPDATE"), CM_OK);
    assert_int_equal(cm_pg_begin(other, 0), CM_OK);
    assert_int_equal(cm_pg_command(other, "SELECT * FROM items WHERE sku = 'L-1' FOR UPDATE NOWAIT"), CM_EBUSY);
    cm_pg_rollback(other);
    cm_pg_rollback(holder);
    cm_pg_release(other);
    cm_pg_release(holder);
    cm_pg_pool_close(pool);
}

static const cm_pg_statement BACKEND = {"t_backend", "SELECT pg_backend_pid()::text", 0};
static const cm_pg_statement TERMINATE = {"t_terminate", "SELECT pg_terminate_backend($1::int)::text", 1};

/* Ends `victim`'s server process from a second connection of its own. */
static void kill_backend_of(cm_pg_pool *pool, cm_pg_conn *victim)
{
    char pid[32], done[16];
    query_text(victim, &BACKEND, NULL, pid, sizeof pid);
    PGconn *killer_pg = NULL;
    char error[CM_PG_ERROR_MAX];
    killer_pg = cm_pg_connect(pool, error);
    assert_non_null(killer_pg);
    const char *values[] = {pid};
    PGresult *result = PQexecParams(killer_pg, TERMINATE.sql, 1, NULL, values, NULL, NULL, 0);
    assert_int_equal(PQresultStatus(result), PGRES_TUPLES_OK);
    snprintf(done, sizeof done, "%s", PQgetvalue(result, 0, 0));
    PQclear(result);
    PQfinish(killer_pg);
    assert_string_equal(done, "true");
}

/* A connection whose server process died: the call that finds it fails as unavailable; the next
 * one outside a transaction reconnects (and prepares its statements again). */
static void test_a_dead_connection_is_reset_outside_a_transaction(void **state)
{
    (void)state;
    cm_pg_pool *pool = open_pool(1);
    cm_pg_conn *conn = cm_pg_acquire(pool);
    char before[32], after[32], text[64];
    query_text(conn, &BACKEND, NULL, before, sizeof before);
    kill_backend_of(pool, conn);
    const char *like[] = {"%"};
    assert_int_equal(cm_pg_exec(conn, &COUNT, like, NULL), CM_EUNAVAILABLE);
    assert_true(cm_pg_message(conn)[0] != '\0');
    query_text(conn, &COUNT, like, text, sizeof text);
    query_text(conn, &BACKEND, NULL, after, sizeof after);
    assert_string_not_equal(before, after);
    assert_string_equal(cm_pg_message(conn), "");
    cm_pg_release(conn);
    cm_pg_pool_close(pool);
}

/* Inside a transaction a lost connection is never replaced: the rest would run outside it. */
static void test_a_dead_connection_inside_a_transaction_is_not_reset(void **state)
{
    (void)state;
    cm_pg_pool *pool = open_pool(1);
    cm_pg_conn *conn = cm_pg_acquire(pool);
    assert_int_equal(cm_pg_begin(conn, 1), CM_OK);
    kill_backend_of(pool, conn);
    const char *like[] = {"%"};
    assert_int_equal(cm_pg_exec(conn, &COUNT, like, NULL), CM_EUNAVAILABLE);
    assert_int_equal(cm_pg_exec(conn, &COUNT, like, NULL), CM_EUNAVAILABLE);
    assert_string_equal(cm_pg_message(conn), "the connection to PostgreSQL was lost inside a transaction");
    assert_int_equal(cm_pg_commit(conn), CM_EUNAVAILABLE);
    assert_string_equal(cm_pg_message(conn), "the connection to PostgreSQL was lost before COMMIT");
    /* The transaction is over: the next call reconnects. */
    char text[64];
    query_text(conn, &COUNT, like, text, sizeof text);
    cm_pg_release(conn);
    cm_pg_pool_close(pool);
}

/* The server is stopped: calls fail with CM_EUNAVAILABLE, and after the first refused attempt
 * the pool does not try again for CM_PG_RETRY_INTERVAL_MS; once it is back, calls succeed. */
static void test_the_server_away_and_back(void **state)
{
    (void)state;
    cm_pg_pool *pool = open_pool(2);
    cm_pg_conn *conn = cm_pg_acquire(pool);
    char text[64];
    query_text(conn, &BACKEND, NULL, text, sizeof text);
    th_pg_stop(&server);
    /* The first call finds the connection broken; the next one tries to connect and is refused. */
    cm_err first = cm_pg_exec(conn, &BACKEND, NULL, NULL);
    cm_err second = cm_pg_exec(conn, &BACKEND, NULL, NULL);
    int64_t started = cm_mono_ms();
    cm_err third = cm_pg_exec(conn, &BACKEND, NULL, NULL);
    int64_t took = cm_mono_ms() - started;
    char message[CM_PG_ERROR_MAX];
    snprintf(message, sizeof message, "%s", cm_pg_message(conn));
    /* The pool's other connection never connected: it is throttled too. */
    cm_pg_conn *other = cm_pg_acquire(pool);
    cm_err other_rc = cm_pg_exec(other, &BACKEND, NULL, NULL);
    cm_pg_release(other);
    assert_int_equal(th_pg_restart(&server), 0);
    assert_int_equal(first, CM_EUNAVAILABLE);
    assert_int_equal(second, CM_EUNAVAILABLE);
    assert_int_equal(third, CM_EUNAVAILABLE);
    assert_int_equal(other_rc, CM_EUNAVAILABLE);
    assert_true(message[0] != '\0');
    assert_null(strstr(message, TH_PG_PASSWORD));
    /* Not a connect timeout: a throttled call does not wait for the server (generous bound). */
    assert_true(took < 4000);
    cm_err rc = CM_EUNAVAILABLE;
    for (int attempt = 0; attempt < 100 && rc != CM_OK; attempt++) {
        rc = cm_pg_exec(conn, &BACKEND, NULL, NULL);
        if (rc != CM_OK)
            cm_sleep_ms(100);
    }
    assert_int_equal(rc, CM_OK);
    cm_pg_release(conn);
    cm_pg_pool_close(pool);
}

typedef struct waiter {
    cm_pg_pool *pool;
    atomic_int got;
} waiter;

static void *acquire_and_release(void *arg)
{
    waiter *w = arg;
    cm_pg_conn *conn = cm_pg_acquire(w->pool);
    atomic_store(&w->got, 1);
    cm_pg_release(conn);
    return NULL;
}

/* Every connection taken: the next thread waits until one is released. */
static void test_a_full_pool_makes_the_next_thread_wait(void **state)
{
    (void)state;
    cm_pg_pool *pool = open_pool(2);
    cm_pg_conn *a = cm_pg_acquire(pool);
    cm_pg_conn *b = cm_pg_acquire(pool);
    assert_ptr_not_equal(a, b);
    waiter w = {.pool = pool};
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, acquire_and_release, &w), 0);
    cm_sleep_ms(200);
    assert_int_equal(atomic_load(&w.got), 0);
    cm_pg_release(a);
    cm_pg_release(b);
    assert_int_equal(pthread_join(thread, NULL), 0);
    assert_int_equal(atomic_load(&w.got), 1);
    /* A connection of its own, outside the pool (LISTEN). */
    char error[CM_PG_ERROR_MAX];
    PGconn *own = cm_pg_connect(pool, error);
    assert_non_null(own);
    assert_int_equal(PQstatus(own), CONNECTION_OK);
    PQfinish(own);
    cm_pg_pool_close(pool);
    cm_pg_pool_close(NULL);
    cm_pg_release(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_redact_replaces_the_secret_and_folds_lines),
        cmocka_unit_test(test_open_refuses_what_is_not_a_postgresql_url),
        cmocka_unit_test(test_open_connects_once_and_redacts_the_password),
        cmocka_unit_test(test_statements_with_parameters_and_errors),
        cmocka_unit_test(test_many_statements_on_one_connection),
        cmocka_unit_test(test_transactions),
        cmocka_unit_test(test_a_lock_conflict_is_busy),
        cmocka_unit_test(test_a_dead_connection_is_reset_outside_a_transaction),
        cmocka_unit_test(test_a_dead_connection_inside_a_transaction_is_not_reset),
        cmocka_unit_test(test_the_server_away_and_back),
        cmocka_unit_test(test_a_full_pool_makes_the_next_thread_wait),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
