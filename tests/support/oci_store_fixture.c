#include "tests/support/oci_store_fixture.h"
#include "tests/support/test_support.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

void th_store_open(th_store *fixture)
{
    memset(fixture, 0, sizeof *fixture);
    th_temp_dir(fixture->dir, sizeof fixture->dir);
    snprintf(fixture->path, sizeof fixture->path, "%s/oci.db", fixture->dir);
    char error[OCI_ERROR_MAX];
    if (oci_store_open(fixture->path, &fixture->store, error) != CM_OK)
        fail_msg("oci_store_open: %s", error);
}

void th_store_close(th_store *fixture)
{
    oci_store_close(fixture->store);
    fixture->store = NULL;
    th_remove_tree(fixture->dir);
}

oci_store_conn *th_store_begin(oci_store *store)
{
    oci_store_conn *writer = NULL;
    assert_int_equal(oci_store_write_begin(store, &writer), CM_OK);
    assert_non_null(writer);
    return writer;
}

void th_store_commit(oci_store_conn *writer)
{
    assert_int_equal(oci_store_write_commit(writer), CM_OK);
}

int64_t th_store_sql_int(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    int64_t value = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return value;
}

void th_store_sql_exec(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    char *message = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &message) != SQLITE_OK)
        fail_msg("%s: %s", sql, message ? message : "?");
    sqlite3_close(db);
}
