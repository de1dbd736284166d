/*
 * test_common_db.c - common/db: connections are opened in WAL mode with the project's pragmas,
 * migrations apply in order exactly once per component, a newer stored schema is refused, a
 * failing step leaves the last good version, and SQLite result codes map to cm_err.
 */
#include "tests/support/test_support.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common/db.h"

typedef struct db_fixture {
    char dir[PATH_MAX];
    char path[PATH_MAX];
} db_fixture;

static db_fixture fixture;

static int setup(void **state)
{
    (void)state;
    th_temp_dir(fixture.dir, sizeof fixture.dir);
    int n = snprintf(fixture.path, sizeof fixture.path, "%s/test.db", fixture.dir);
    return n < 0 || (size_t)n >= sizeof fixture.path ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    th_remove_tree(fixture.dir);
    return 0;
}

static sqlite3 *open_ok(cm_db_sync sync)
{
    sqlite3 *db = NULL;
    char error[CM_DB_ERROR_MAX] = "";
    if (cm_db_open(fixture.path, sync, &db, error) != CM_OK)
        fail_msg("cm_db_open: %s", error);
    assert_non_null(db);
    return db;
}

static long long query_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *stmt = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    long long value = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return value;
}

static void query_text(sqlite3 *db, const char *sql, char *out, size_t size)
{
    sqlite3_stmt *stmt = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    snprintf(out, size, "%s", (const char *)sqlite3_column_text(stmt, 0));
    sqlite3_finalize(stmt);
}

static int stored_version(sqlite3 *db, const char *component)
{
    sqlite3_stmt *stmt = NULL;
    assert_int_equal(
        sqlite3_prepare_v2(db, "SELECT version FROM schema_version WHERE component = ?1", -1, &stmt, NULL),
        SQLITE_OK);
    sqlite3_bind_text(stmt, 1, component, -1, SQLITE_STATIC);
    int version = sqlite3_step(stmt) == SQLITE_ROW ? sqlite3_column_int(stmt, 0) : 0;
    sqlite3_finalize(stmt);
    return version;
}

/* ---- opening ---- */

static void open_creates_a_wal_database(void **state)
{
    (void)state;
    struct stat st;
    assert_int_not_equal(stat(fixture.path, &st), 0);
    sqlite3 *db = open_ok(CM_DB_SYNC_FULL);
    assert_int_equal(stat(fixture.path, &st), 0);

    char mode[32];
    query_text(db, "PRAGMA journal_mode", mode, sizeof mode);
    assert_string_equal(mode, "wal");
    assert_int_equal(query_int(db, "PRAGMA foreign_keys"), 1);
    assert_int_equal(query_int(db, "PRAGMA synchronous"), 2); /* FULL */
    assert_int_equal(query_int(db, "PRAGMA busy_timeout"), CM_DB_BUSY_TIMEOUT_MS);

    /* A write goes to the -wal file. */
    assert_int_equal(cm_db_exec(db, "CREATE TABLE t (x INTEGER)"), CM_OK);
    char wal[PATH_MAX + 8];
    snprintf(wal, sizeof wal, "%s-wal", fixture.path);
    assert_int_equal(stat(wal, &st), 0);
    cm_db_close(db);

    /* WAL is persistent: a reopened connection (NORMAL sync this time) is still in WAL mode. */
    db = open_ok(CM_DB_SYNC_NORMAL);
    query_text(db, "PRAGMA journal_mode", mode, sizeof mode);
    assert_string_equal(mode, "wal");
    assert_int_equal(query_int(db, "PRAGMA synchronous"), 1); /* NORMAL */
    assert_int_equal(query_int(db, "SELECT count(*) FROM t"), 0);
    cm_db_close(db);
}

static void open_failure_names_the_file(void **state)
{
    (void)state;
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/no/such/folder/x.db", fixture.dir);
    sqlite3 *db = (sqlite3 *)1;
    char error[CM_DB_ERROR_MAX] = "";
    cm_err rc = cm_db_open(path, CM_DB_SYNC_FULL, &db, error);
    assert_int_not_equal(rc, CM_OK);
    assert_null(db);
    assert_non_null(strstr(error, path));

    /* A file that is not a database. */
    snprintf(path, sizeof path, "%s/junk.db", fixture.dir);
    char junk[4096];
    memset(junk, 'j', sizeof junk);
    th_write_file(path, junk, sizeof junk);
    db = (sqlite3 *)1;
    rc = cm_db_open(path, CM_DB_SYNC_FULL, &db, error);
    assert_int_equal(rc, CM_EDB);
    assert_null(db);
    assert_non_null(strstr(error, path));
    assert_non_null(strstr(error, "not a database"));
}

static void reader_shares_the_data_but_cannot_write(void **state)
{
    (void)state;
    sqlite3 *writer = open_ok(CM_DB_SYNC_FULL);
    assert_int_equal(cm_db_exec(writer, "CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1)"), CM_OK);

    sqlite3 *reader = NULL;
    char error[CM_DB_ERROR_MAX] = "";
    if (cm_db_open_reader(fixture.path, &reader, error) != CM_OK)
        fail_msg("cm_db_open_reader: %s", error);
    assert_int_equal(query_int(reader, "SELECT count(*) FROM t"), 1);
    assert_int_not_equal(cm_db_exec(reader, "INSERT INTO t VALUES (2)"), CM_OK);
    /* The reader sees what the writer commits afterwards. */
    assert_int_equal(cm_db_exec(writer, "INSERT INTO t VALUES (3)"), CM_OK);
    assert_int_equal(query_int(reader, "SELECT count(*) FROM t"), 2);
    cm_db_close(reader);
    cm_db_close(writer);

    /* A reader never creates a database. */
    char missing[PATH_MAX + 16];
    snprintf(missing, sizeof missing, "%s/missing.db", fixture.dir);
    reader = (sqlite3 *)1;
    assert_int_not_equal(cm_db_open_reader(missing, &reader, error), CM_OK);
    assert_null(reader);
    assert_non_null(strstr(error, missing));
    struct stat st;
    assert_int_not_equal(stat(missing, &st), 0);
}

/* ---- migrations ---- */

static const cm_db_migration steps_v3[] = {
    {1, "CREATE TABLE applied (step INTEGER NOT NULL); INSERT INTO applied VALUES (1);"},
    {2, "INSERT INTO applied VALUES (2);"},
    {3, "ALTER TABLE applied ADD COLUMN note TEXT; INSERT INTO applied VALUES (3, 'three');"},
};

static const cm_db_migration steps_v4[] = {
    {1, "CREATE TABLE applied (step INTEGER NOT NULL); INSERT INTO applied VALUES (1);"},
    {2, "INSERT INTO applied VALUES (2);"},
    {3, "ALTER TABLE applied ADD COLUMN note TEXT; INSERT INTO applied VALUES (3, 'three');"},
    {4, "INSERT INTO applied VALUES (4, 'four');"},
};

static void migrations_apply_in_order_once(void **state)
{
    (void)state;
    sqlite3 *db = open_ok(CM_DB_SYNC_FULL);
    char error[CM_DB_ERROR_MAX] = "";
    if (cm_db_migrate(db, "queue", steps_v3, 3, error) != CM_OK)
        fail_msg("migrate: %s", error);
    assert_int_equal(stored_version(db, "queue"), 3);
    assert_int_equal(query_int(db, "SELECT count(*) FROM applied"), 3);
    assert_int_equal(query_int(db, "SELECT group_concat(step, '') FROM (SELECT step FROM applied ORDER BY rowid)"),
                     123);

    /* Again: nothing is re-applied (step 1's CREATE TABLE would fail if it were). */
    assert_int_equal(cm_db_migrate(db, "queue", steps_v3, 3, error), CM_OK);
    assert_int_equal(query_int(db, "SELECT count(*) FROM applied"), 3);
    cm_db_close(db);

    /* After a restart with one more step, only that step runs. */
    db = open_ok(CM_DB_SYNC_FULL);
    assert_int_equal(cm_db_migrate(db, "queue", steps_v4, 4, error), CM_OK);
    assert_int_equal(stored_version(db, "queue"), 4);
    assert_int_equal(query_int(db, "SELECT count(*) FROM applied"), 4);
    assert_int_equal(query_int(db, "SELECT max(step) FROM applied"), 4);
    cm_db_close(db);
}

static void components_have_their_own_versions(void **state)
{
    (void)state;
    sqlite3 *db = open_ok(CM_DB_SYNC_FULL);
    char error[CM_DB_ERROR_MAX] = "";
    static const cm_db_migration other[] = {{1, "CREATE TABLE other_table (x INTEGER);"}};
    assert_int_equal(cm_db_migrate(db, "queue", steps_v3, 2, error), CM_OK);
    assert_int_equal(cm_db_migrate(db, "oci", other, 1, error), CM_OK);
    assert_int_equal(stored_version(db, "queue"), 2);
    assert_int_equal(stored_version(db, "oci"), 1);
    /* No steps at all is fine for a new component. */
    assert_int_equal(cm_db_migrate(db, "empty", NULL, 0, error), CM_OK);
    assert_int_equal(stored_version(db, "empty"), 0);
    cm_db_close(db);
}

static void newer_stored_version_is_refused(void **state)
{
    (void)state;
    sqlite3 *db = open_ok(CM_DB_SYNC_FULL);
    char error[CM_DB_ERROR_MAX] = "";
    assert_int_equal(cm_db_migrate(db, "queue", steps_v4, 4, error), CM_OK);
    error[0] = '\0';
    /* An older program that knows only versions 1..3. */
    assert_int_equal(cm_db_migrate(db, "queue", steps_v3, 3, error), CM_ESTATE);
    assert_non_null(strstr(error, "queue"));
    assert_non_null(strstr(error, "newer"));
    assert_non_null(strstr(error, "4"));
    assert_int_equal(stored_version(db, "queue"), 4);
    assert_int_equal(query_int(db, "SELECT count(*) FROM applied"), 4);
    /* Nor does a program that knows no steps at all touch it. */
    assert_int_equal(cm_db_migrate(db, "queue", NULL, 0, error), CM_ESTATE);
    cm_db_close(db);
}

static void failing_step_keeps_the_last_good_version(void **state)
{
    (void)state;
    static const cm_db_migration steps[] = {
        {1, "CREATE TABLE applied (step INTEGER NOT NULL); INSERT INTO applied VALUES (1);"},
        {2, "INSERT INTO applied VALUES (2); INSERT INTO no_such_table VALUES (1);"},
        {3, "INSERT INTO applied VALUES (3);"},
    };
    sqlite3 *db = open_ok(CM_DB_SYNC_FULL);
    char error[CM_DB_ERROR_MAX] = "";
    cm_err rc = cm_db_migrate(db, "queue", steps, 3, error);
    assert_int_equal(rc, CM_EDB);
    assert_non_null(strstr(error, "queue"));
    assert_non_null(strstr(error, "version 2"));
    assert_non_null(strstr(error, "no_such_table"));
    assert_int_equal(stored_version(db, "queue"), 1);
    /* Step 2's first statement was rolled back with it; step 3 never ran. */
    assert_int_equal(query_int(db, "SELECT count(*) FROM applied"), 1);
    /* No transaction is left open. */
    assert_int_not_equal(sqlite3_get_autocommit(db), 0);
    cm_db_close(db);
}

/* ---- transactions and errors ---- */

static void transactions(void **state)
{
    (void)state;
    sqlite3 *db = open_ok(CM_DB_SYNC_FULL);
    assert_int_equal(cm_db_exec(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)"), CM_OK);
    cm_db_rollback(db); /* no transaction: harmless */

    assert_int_equal(cm_db_begin(db), CM_OK);
    assert_int_equal(cm_db_exec(db, "INSERT INTO t VALUES (1, 'a')"), CM_OK);
    cm_db_rollback(db);
    assert_int_equal(query_int(db, "SELECT count(*) FROM t"), 0);

    assert_int_equal(cm_db_begin(db), CM_OK);
    assert_int_equal(cm_db_exec(db, "INSERT INTO t VALUES (1, 'a')"), CM_OK);
    assert_int_equal(cm_db_commit(db), CM_OK);
    assert_int_equal(query_int(db, "SELECT count(*) FROM t"), 1);

    /* Constraint violations map to CM_EEXIST, syntax errors to CM_EDB. */
    assert_int_equal(cm_db_exec(db, "INSERT INTO t VALUES (1, 'b')"), CM_EEXIST);
    assert_int_equal(cm_db_exec(db, "INSERT INTO t VALUES (2, NULL)"), CM_EEXIST);
    assert_int_equal(cm_db_exec(db, "INSERT INTO"), CM_EDB);
    assert_int_equal(cm_db_commit(db), CM_EDB); /* no transaction to commit */

    /* Statements left open are finalized by cm_db_close. */
    sqlite3_stmt *stmt = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT v FROM t", -1, &stmt, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    cm_db_close(db);
    cm_db_close(NULL);
}

static void error_mapping(void **state)
{
    (void)state;
    assert_int_equal(cm_db_error(SQLITE_OK), CM_OK);
    assert_int_equal(cm_db_error(SQLITE_ROW), CM_OK);
    assert_int_equal(cm_db_error(SQLITE_DONE), CM_OK);
    assert_int_equal(cm_db_error(SQLITE_FULL), CM_EFULL);
    assert_int_equal(cm_db_error(SQLITE_BUSY), CM_EBUSY);
    assert_int_equal(cm_db_error(SQLITE_BUSY_SNAPSHOT), CM_EBUSY);
    assert_int_equal(cm_db_error(SQLITE_BUSY_TIMEOUT), CM_EBUSY);
    assert_int_equal(cm_db_error(SQLITE_LOCKED), CM_EBUSY);
    assert_int_equal(cm_db_error(SQLITE_LOCKED_SHAREDCACHE), CM_EBUSY);
    assert_int_equal(cm_db_error(SQLITE_NOMEM), CM_ENOMEM);
    assert_int_equal(cm_db_error(SQLITE_CONSTRAINT), CM_EEXIST);
    assert_int_equal(cm_db_error(SQLITE_CONSTRAINT_UNIQUE), CM_EEXIST);
    assert_int_equal(cm_db_error(SQLITE_CONSTRAINT_PRIMARYKEY), CM_EEXIST);
    assert_int_equal(cm_db_error(SQLITE_CONSTRAINT_NOTNULL), CM_EEXIST);
    assert_int_equal(cm_db_error(SQLITE_ERROR), CM_EDB);
    assert_int_equal(cm_db_error(SQLITE_CORRUPT), CM_EDB);
    assert_int_equal(cm_db_error(SQLITE_NOTADB), CM_EDB);
    assert_int_equal(cm_db_error(SQLITE_MISUSE), CM_EDB);
    assert_int_equal(cm_db_error(SQLITE_SCHEMA), CM_EDB);
    /* File-level failures are I/O errors (err.h's CM_EIO). */
    assert_int_equal(cm_db_error(SQLITE_IOERR), CM_EIO);
    assert_int_equal(cm_db_error(SQLITE_IOERR_WRITE), CM_EIO);
    assert_int_equal(cm_db_error(SQLITE_IOERR_FSYNC), CM_EIO);
    assert_int_equal(cm_db_error(SQLITE_CANTOPEN), CM_EIO);
    assert_int_equal(cm_db_error(SQLITE_READONLY), CM_EIO);
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* Writers leave the WAL alone; the checkpointer thread copies it into the database file. */
static void checkpointer_copies_the_wal(void **state)
{
    (void)state;
    sqlite3 *db = open_ok(CM_DB_SYNC_NORMAL);
    assert_int_equal(cm_db_exec(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"), CM_OK);
    assert_int_equal(cm_db_begin(db), CM_OK);
    for (int i = 0; i < 2000; i++)
        assert_int_equal(cm_db_exec(db, "INSERT INTO t (v) VALUES (hex(randomblob(64)))"), CM_OK);
    assert_int_equal(cm_db_commit(db), CM_OK);
    long before = file_size(fixture.path);
    cm_db_checkpointer *checkpointer = NULL;
    char error[CM_DB_ERROR_MAX];
    assert_int_equal(cm_db_checkpointer_start(fixture.path, 20, &checkpointer, error), CM_OK);
    long after = before;
    for (int waited = 0; waited < 5000 && after <= before; waited += 20) {
        struct timespec pause = {0, 20 * 1000000L};
        nanosleep(&pause, NULL);
        after = file_size(fixture.path);
    }
    cm_db_checkpointer_stop(checkpointer);
    /* 2000 rows of 128 hex characters: far more than the few pages the file had. */
    assert_true(after > before + 100 * 1024);
    cm_db_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(open_creates_a_wal_database, setup, teardown),
        cmocka_unit_test_setup_teardown(open_failure_names_the_file, setup, teardown),
        cmocka_unit_test_setup_teardown(reader_shares_the_data_but_cannot_write, setup, teardown),
        cmocka_unit_test_setup_teardown(migrations_apply_in_order_once, setup, teardown),
        cmocka_unit_test_setup_teardown(components_have_their_own_versions, setup, teardown),
        cmocka_unit_test_setup_teardown(newer_stored_version_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(failing_step_keeps_the_last_good_version, setup, teardown),
        cmocka_unit_test_setup_teardown(transactions, setup, teardown),
        cmocka_unit_test_setup_teardown(error_mapping, setup, teardown),
        cmocka_unit_test_setup_teardown(checkpointer_copies_the_wal, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
