/*
 * test_oci_store_reserve.c - the store's reservation tables (oci_core/store.h "reservations", the
 * functions of store_reserve.c) on a real SQLite file in a temporary folder: a group's own
 * reserved quantity (set, replace, 0 deletes the row, the scan of groups holding some), reservation
 * documents (insert, read back, close only when OPEN, the next expired one), their lines (created,
 * then added to; ordered scan), operation ids and their fingerprints, savepoints inside a write
 * transaction, and the refusals: duplicate ids, the schema's checks (negative quantities, unknown
 * statuses and place types), writes on a read-only connection and a missing table.
 */
#include "tests/support/oci_store_fixture.h"
#include "tests/support/test_support.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci_core/store.h"

#define Q(x) ((int64_t)(x) * 1000)
#define NOW 1700000000000LL

typedef th_store fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    th_store_open(f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    th_store_close(f);
    free(f);
    return 0;
}

/* One integer from the file through the test's own connection. */
static int64_t group_get(fixture *f, const char *org, const char *group, const char *sku)
{
    int64_t quantity = -1;
    oci_store_conn *reader = oci_store_read_begin(f->store);
    assert_non_null(reader);
    assert_int_equal(oci_store_group_reserved_get(reader, org, group, sku, &quantity), CM_OK);
    oci_store_read_end(reader);
    return quantity;
}

typedef struct seen {
    size_t count, stop_after; /* 0: never stop */
    char text[16][96];
} seen;

static int visit_group(void *context, const char *group_id, int64_t quantity)
{
    seen *s = context;
    snprintf(s->text[s->count++], sizeof s->text[0], "%s=%lld", group_id, (long long)quantity);
    return s->stop_after && s->count == s->stop_after;
}

static void test_group_reserved(void **state)
{
    fixture *f = *state;
    assert_int_equal(group_get(f, "org", "G1", "SKU"), 0); /* none: 0 */
    oci_store_conn *writer = th_store_begin(f->store);
    assert_int_equal(oci_store_group_reserved_set(writer, "org", "G2", "SKU", Q(2)), CM_OK);
    assert_int_equal(oci_store_group_reserved_set(writer, "org", "G1", "SKU", Q(5)), CM_OK);
    assert_int_equal(oci_store_group_reserved_set(writer, "org", "G1", "SKU", Q(7)), CM_OK); /* replaces */
    assert_int_equal(oci_store_group_reserved_set(writer, "org", "G3", "SKU", 1), CM_OK);
    assert_int_equal(oci_store_group_reserved_set(writer, "org", "G1", "OTHER", Q(9)), CM_OK);
    assert_int_equal(oci_store_group_reserved_set(writer, "other", "G1", "SKU", Q(11)), CM_OK);
    assert_int_equal(oci_store_group_reserved_set(writer, "org", "G9", "SKU", 0), CM_OK); /* nothing to delete */
    th_store_commit(writer);
    assert_int_equal(group_get(f, "org", "G1", "SKU"), Q(7));
    assert_int_equal(group_get(f, "org", "G2", "SKU"), Q(2));
    assert_int_equal(group_get(f, "org", "G1", "OTHER"), Q(9));
    assert_int_equal(group_get(f, "other", "G1", "SKU"), Q(11));
    assert_int_equal(group_get(f, "org", "g1", "SKU"), 0);
    assert_int_equal(th_store_sql_int(f->path, "SELECT count(*) FROM group_reserved"), 5);

    /* The scan: the groups of the organization holding some of the SKU, by group id. */
    seen s = {0};
    oci_store_conn *reader = oci_store_read_begin(f->store);
    assert_int_equal(oci_store_group_reserved_scan(reader, "org", "SKU", visit_group, &s), CM_OK);
    assert_int_equal(s.count, 3);
    assert_string_equal(s.text[0], "G1=7000");
    assert_string_equal(s.text[1], "G2=2000");
    assert_string_equal(s.text[2], "G3=1");
    memset(&s, 0, sizeof s);
    s.stop_after = 1;
    assert_int_equal(oci_store_group_reserved_scan(reader, "org", "SKU", visit_group, &s), CM_OK);
    assert_int_equal(s.count, 1);
    memset(&s, 0, sizeof s);
    assert_int_equal(oci_store_group_reserved_scan(reader, "nobody", "SKU", visit_group, &s), CM_OK);
    assert_int_equal(s.count, 0);
    oci_store_read_end(reader);

    /* 0 deletes the row: the group leaves the scan and the table. */
    writer = th_store_begin(f->store);
    assert_int_equal(oci_store_group_reserved_set(writer, "org", "G1", "SKU", 0), CM_OK);
    /* A negative quantity is refused by the schema and changes nothing. */
    assert_int_equal(oci_store_group_reserved_set(writer, "org", "G2", "SKU", -1), CM_EEXIST);
    th_store_commit(writer);
    assert_int_equal(group_get(f, "org", "G1", "SKU"), 0);
    assert_int_equal(group_get(f, "org", "G2", "SKU"), Q(2));
    assert_int_equal(th_store_sql_int(f->path, "SELECT count(*) FROM group_reserved WHERE org = 'org' AND sku = 'SKU'"), 2);
    memset(&s, 0, sizeof s);
    reader = oci_store_read_begin(f->store);
    assert_int_equal(oci_store_group_reserved_scan(reader, "org", "SKU", visit_group, &s), CM_OK);
    assert_int_equal(s.count, 2);
    assert_string_equal(s.text[0], "G2=2000");
    /* A reader cannot write. */
    assert_int_not_equal(oci_store_group_reserved_set(reader, "org", "G2", "SKU", Q(1)), CM_OK);
    assert_int_not_equal(oci_store_group_reserved_set(reader, "org", "G2", "SKU", 0), CM_OK);
    oci_store_read_end(reader);
    assert_int_equal(group_get(f, "org", "G2", "SKU"), Q(2));
}

static oci_reservation_row reservation(const char *org, const char *id, const char *status, int64_t expires_ms)
{
    oci_reservation_row row;
    memset(&row, 0, sizeof row);
    snprintf(row.org, sizeof row.org, "%s", org);
    snprintf(row.id, sizeof row.id, "%s", id);
    snprintf(row.status, sizeof row.status, "%s", status);
    row.reservation_ms = NOW - 5;
    row.expires_ms = expires_ms;
    row.created_ms = NOW;
    return row;
}

static void test_reservation_documents(void **state)
{
    fixture *f = *state;
    oci_reservation_row first = reservation("org", "R1", "OPEN", NOW + 1000);
    oci_reservation_row never = reservation("org", "R2", "OPEN", 0);
    oci_reservation_row elsewhere = reservation("other", "R1", "OPEN", NOW + 2000);
    oci_store_conn *writer = th_store_begin(f->store);
    assert_int_equal(oci_store_reservation_insert(writer, &first, "ext-1"), CM_OK);
    assert_int_equal(oci_store_reservation_insert(writer, &never, NULL), CM_OK);
    assert_int_equal(oci_store_reservation_insert(writer, &elsewhere, NULL), CM_OK); /* ids are per organization */
    assert_int_equal(oci_store_reservation_insert(writer, &first, "ext-2"), CM_EEXIST);
    oci_reservation_row bad = reservation("org", "R3", "PENDING", 0);
    assert_int_equal(oci_store_reservation_insert(writer, &bad, NULL), CM_EEXIST); /* CHECK on status */
    th_store_commit(writer);
    assert_int_equal(th_store_sql_int(f->path, "SELECT count(*) FROM reservations"), 3);
    assert_int_equal(th_store_sql_int(f->path, "SELECT count(*) FROM reservations WHERE external_ref_id = 'ext-1'"), 1);
    assert_int_equal(th_store_sql_int(f->path, "SELECT count(*) FROM reservations WHERE external_ref_id IS NULL"), 2);

    oci_reservation_row row;
    int found = -1;
    oci_store_conn *reader = oci_store_read_begin(f->store);
    assert_int_equal(oci_store_reservation_get(reader, "org", "R1", &row, &found), CM_OK);
    assert_int_equal(found, 1);
    assert_string_equal(row.org, "org");
    assert_string_equal(row.id, "R1");
    assert_string_equal(row.status, "OPEN");
    assert_int_equal(row.reservation_ms, NOW - 5);
    assert_int_equal(row.expires_ms, NOW + 1000);
    assert_int_equal(row.created_ms, NOW);
    assert_int_equal(row.closed_ms, 0);
    assert_int_equal(oci_store_reservation_get(reader, "org", "R3", &row, &found), CM_OK);
    assert_int_equal(found, 0);
    assert_string_equal(row.id, ""); /* cleared */
    assert_int_equal(oci_store_reservation_get(reader, "nobody", "R1", &row, &found), CM_OK);
    assert_int_equal(found, 0);

    /* The next expired: OPEN, with an expiry, at or before now; the earliest first. */
    char org[OCI_ORG_MAX + 1], id[OCI_RESERVATION_ID_MAX + 1];
    assert_int_equal(oci_store_reservation_next_expired(reader, NOW + 999, org, id, &found), CM_OK);
    assert_int_equal(found, 0);
    assert_int_equal(oci_store_reservation_next_expired(reader, NOW + 1000, org, id, &found), CM_OK);
    assert_int_equal(found, 1);
    assert_string_equal(org, "org");
    assert_string_equal(id, "R1");
    assert_int_equal(oci_store_reservation_next_expired(reader, INT64_MAX, org, id, &found), CM_OK);
    assert_string_equal(id, "R1"); /* R2 never expires */
    oci_store_read_end(reader);

    /* Closing: only an OPEN document changes; a second close keeps the first one's time and status. */
    writer = th_store_begin(f->store);
    assert_int_equal(oci_store_reservation_close(writer, "org", "R1", "CANCELLED", NOW + 10), CM_OK);
    assert_int_equal(oci_store_reservation_close(writer, "org", "R1", "EXPIRED", NOW + 20), CM_OK);
    assert_int_equal(oci_store_reservation_close(writer, "org", "R9", "EXPIRED", NOW + 20), CM_OK); /* none */
    /* A status the schema does not know is refused. */
    assert_int_equal(oci_store_reservation_close(writer, "org", "R2", "DONE", NOW + 20), CM_EEXIST);
    th_store_commit(writer);
    reader = oci_store_read_begin(f->store);
    assert_int_equal(oci_store_reservation_get(reader, "org", "R1", &row, &found), CM_OK);
    assert_string_equal(row.status, "CANCELLED");
    assert_int_equal(row.closed_ms, NOW + 10);
    assert_int_equal(oci_store_reservation_get(reader, "org", "R2", &row, &found), CM_OK);
    assert_string_equal(row.status, "OPEN");
    assert_int_equal(oci_store_reservation_get(reader, "other", "R1", &row, &found), CM_OK);
    assert_string_equal(row.status, "OPEN"); /* the other organization's R1 is its own */
    /* Closed documents are no longer expiry candidates: the other organization's comes next. */
    assert_int_equal(oci_store_reservation_next_expired(reader, INT64_MAX, org, id, &found), CM_OK);
    assert_int_equal(found, 1);
    assert_string_equal(org, "other");
    assert_string_equal(id, "R1");
    /* Readers cannot write. */
    oci_reservation_row more = reservation("org", "R5", "OPEN", 0);
    assert_int_not_equal(oci_store_reservation_insert(reader, &more, NULL), CM_OK);
    assert_int_not_equal(oci_store_reservation_close(reader, "org", "R2", "CANCELLED", NOW), CM_OK);
    oci_store_read_end(reader);
    assert_int_equal(th_store_sql_int(f->path, "SELECT count(*) FROM reservations WHERE status = 'OPEN'"), 2);
}

static int visit_line(void *context, const char *place_type, const char *place_id, const char *sku, int64_t quantity)
{
    seen *s = context;
    snprintf(s->text[s->count++], sizeof s->text[0], "%s:%s:%s=%lld", place_type, place_id, sku, (long long)quantity);
    return s->stop_after && s->count == s->stop_after;
}

static void test_reservation_lines(void **state)
{
    fixture *f = *state;
    oci_store_conn *writer = th_store_begin(f->store);
    assert_int_equal(oci_store_reservation_line_add(writer, "org", "R1", "location", "L2", "B", Q(1)), CM_OK);
    assert_int_equal(oci_store_reservation_line_add(writer, "org", "R1", "location", "L1", "B", Q(2)), CM_OK);
    assert_int_equal(oci_store_reservation_line_add(writer, "org", "R1", "location", "L1", "A", Q(3)), CM_OK);
    assert_int_equal(oci_store_reservation_line_add(writer, "org", "R1", "group", "G", "A", Q(4)), CM_OK);
    /* Added to an existing line: the sum. */
    assert_int_equal(oci_store_reservation_line_add(writer, "org", "R1", "location", "L1", "A", Q(10)), CM_OK);
    assert_int_equal(oci_store_reservation_line_add(writer, "org", "R1", "group", "G", "A", 0), CM_OK);
    /* Other documents and organizations. */
    assert_int_equal(oci_store_reservation_line_add(writer, "org", "R2", "location", "L1", "A", Q(100)), CM_OK);
    assert_int_equal(oci_store_reservation_line_add(writer, "other", "R1", "location", "L1", "A", Q(200)), CM_OK);
    /* A place type the schema does not know; a sum below zero (the line keeps its quantity). */
    assert_int_equal(oci_store_reservation_line_add(writer, "org", "R1", "region", "X", "A", Q(1)), CM_EEXIST);
    assert_int_equal(oci_store_reservation_line_add(writer, "org", "R1", "location", "L2", "B", -Q(2)), CM_EEXIST);
    assert_int_equal(oci_store_reservation_line_add(writer, "org", "R1", "location", "L9", "B", -1), CM_EEXIST);
    th_store_commit(writer);

    seen s = {0};
    oci_store_conn *reader = oci_store_read_begin(f->store);
    assert_int_equal(oci_store_reservation_lines_scan(reader, "org", "R1", visit_line, &s), CM_OK);
    assert_int_equal(s.count, 4);
    /* Ordered by place type, place and sku. */
    assert_string_equal(s.text[0], "group:G:A=4000");
    assert_string_equal(s.text[1], "location:L1:A=13000");
    assert_string_equal(s.text[2], "location:L1:B=2000");
    assert_string_equal(s.text[3], "location:L2:B=1000");
    memset(&s, 0, sizeof s);
    s.stop_after = 2;
    assert_int_equal(oci_store_reservation_lines_scan(reader, "org", "R1", visit_line, &s), CM_OK);
    assert_int_equal(s.count, 2);
    memset(&s, 0, sizeof s);
    assert_int_equal(oci_store_reservation_lines_scan(reader, "org", "R3", visit_line, &s), CM_OK);
    assert_int_equal(s.count, 0);
    memset(&s, 0, sizeof s);
    assert_int_equal(oci_store_reservation_lines_scan(reader, "other", "R1", visit_line, &s), CM_OK);
    assert_int_equal(s.count, 1);
    assert_string_equal(s.text[0], "location:L1:A=200000");
    assert_int_not_equal(oci_store_reservation_line_add(reader, "org", "R1", "location", "L1", "A", 1), CM_OK);
    oci_store_read_end(reader);
}

static void test_operation_ids(void **state)
{
    fixture *f = *state;
    char fingerprint[OCI_FINGERPRINT_MAX + 1];
    char longest[OCI_FINGERPRINT_MAX + 1];
    memset(longest, 'x', OCI_FINGERPRINT_MAX);
    longest[OCI_FINGERPRINT_MAX] = '\0';
    int found = -1;
    oci_store_conn *writer = th_store_begin(f->store);
    assert_int_equal(oci_store_operation_get(writer, "org", "transfer", "op-1", "SKU", fingerprint, &found), CM_OK);
    assert_int_equal(found, 0);
    assert_int_equal(oci_store_operation_add(writer, "org", "transfer", "op-1", "SKU", "L1>L2:5", NOW), CM_OK);
    /* The same id under another kind, sku or organization is another operation. */
    assert_int_equal(oci_store_operation_add(writer, "org", "release", "op-1", "SKU", "rel", NOW), CM_OK);
    assert_int_equal(oci_store_operation_add(writer, "org", "transfer", "op-1", "SKU-2", longest, NOW), CM_OK);
    assert_int_equal(oci_store_operation_add(writer, "other", "transfer", "op-1", "SKU", "o", NOW), CM_OK);
    /* Twice: refused (the first one stays). */
    assert_int_equal(oci_store_operation_add(writer, "org", "transfer", "op-1", "SKU", "changed", NOW), CM_EEXIST);
    th_store_commit(writer);
    oci_store_conn *reader = oci_store_read_begin(f->store);
    assert_int_equal(oci_store_operation_get(reader, "org", "transfer", "op-1", "SKU", fingerprint, &found), CM_OK);
    assert_int_equal(found, 1);
    assert_string_equal(fingerprint, "L1>L2:5");
    assert_int_equal(oci_store_operation_get(reader, "org", "release", "op-1", "SKU", fingerprint, &found), CM_OK);
    assert_string_equal(fingerprint, "rel");
    assert_int_equal(oci_store_operation_get(reader, "org", "transfer", "op-1", "SKU-2", fingerprint, &found), CM_OK);
    assert_string_equal(fingerprint, longest); /* the longest fingerprint whole */
    assert_int_equal(oci_store_operation_get(reader, "other", "transfer", "op-1", "SKU", fingerprint, &found), CM_OK);
    assert_string_equal(fingerprint, "o");
    assert_int_equal(oci_store_operation_get(reader, "org", "fulfil", "op-1", "SKU", fingerprint, &found), CM_OK);
    assert_int_equal(found, 0);
    assert_int_not_equal(oci_store_operation_add(reader, "org", "fulfil", "op-1", "SKU", "f", NOW), CM_OK);
    oci_store_read_end(reader);
    assert_int_equal(th_store_sql_int(f->path, "SELECT count(*) FROM operation_ids WHERE applied_ms = 1700000000000"), 4);
}

static void test_savepoints(void **state)
{
    fixture *f = *state;
    oci_store_conn *writer = th_store_begin(f->store);
    assert_int_equal(oci_store_group_reserved_set(writer, "org", "G", "before", Q(1)), CM_OK);
    /* A set taken back: what the savepoint covered goes, what came before stays. */
    assert_int_equal(oci_store_savepoint(writer), CM_OK);
    assert_int_equal(oci_store_group_reserved_set(writer, "org", "G", "inside", Q(2)), CM_OK);
    assert_int_equal(oci_store_group_reserved_set(writer, "org", "G", "before", Q(5)), CM_OK);
    assert_int_equal(oci_store_savepoint_rollback(writer), CM_OK);
    int64_t quantity = -1;
    assert_int_equal(oci_store_group_reserved_get(writer, "org", "G", "inside", &quantity), CM_OK);
    assert_int_equal(quantity, 0);
    assert_int_equal(oci_store_group_reserved_get(writer, "org", "G", "before", &quantity), CM_OK);
    assert_int_equal(quantity, Q(1));
    /* The rollback also released it: a second one has nothing to go back to. */
    assert_int_not_equal(oci_store_savepoint_rollback(writer), CM_OK);
    assert_int_not_equal(oci_store_savepoint_release(writer), CM_OK);
    /* A set kept: released into the transaction, committed with it. */
    assert_int_equal(oci_store_savepoint(writer), CM_OK);
    assert_int_equal(oci_store_group_reserved_set(writer, "org", "G", "kept", Q(3)), CM_OK);
    assert_int_equal(oci_store_savepoint_release(writer), CM_OK);
    th_store_commit(writer);
    assert_int_equal(group_get(f, "org", "G", "before"), Q(1));
    assert_int_equal(group_get(f, "org", "G", "inside"), 0);
    assert_int_equal(group_get(f, "org", "G", "kept"), Q(3));

    /* A released set still goes with a rolled-back transaction. */
    writer = th_store_begin(f->store);
    assert_int_equal(oci_store_savepoint(writer), CM_OK);
    assert_int_equal(oci_store_group_reserved_set(writer, "org", "G", "lost", Q(4)), CM_OK);
    assert_int_equal(oci_store_savepoint_release(writer), CM_OK);
    oci_store_write_rollback(writer);
    assert_int_equal(group_get(f, "org", "G", "lost"), 0);
}

/* Every function reports a database error when its table is gone. */
static void test_missing_tables_are_database_errors(void **state)
{
    fixture *f = *state;
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    assert_int_equal(sqlite3_exec(db,
                                  "DROP TABLE group_reserved; DROP TABLE reservations; DROP TABLE reservation_lines;"
                                  " DROP TABLE operation_ids;",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    seen s = {0};
    int64_t quantity = -1;
    int found = -1;
    char org[OCI_ORG_MAX + 1], id[OCI_RESERVATION_ID_MAX + 1], fingerprint[OCI_FINGERPRINT_MAX + 1];
    oci_reservation_row row;
    oci_store_conn *reader = oci_store_read_begin(f->store);
    assert_int_equal(oci_store_group_reserved_get(reader, "org", "G", "S", &quantity), CM_EDB);
    assert_int_equal(oci_store_group_reserved_scan(reader, "org", "S", visit_group, &s), CM_EDB);
    assert_int_equal(oci_store_reservation_get(reader, "org", "R1", &row, &found), CM_EDB);
    assert_int_equal(oci_store_reservation_lines_scan(reader, "org", "R1", visit_line, &s), CM_EDB);
    assert_int_equal(oci_store_reservation_next_expired(reader, NOW, org, id, &found), CM_EDB);
    assert_int_equal(oci_store_operation_get(reader, "org", "k", "op", "S", fingerprint, &found), CM_EDB);
    oci_store_read_end(reader);
    assert_int_equal(s.count, 0);
    oci_store_conn *writer = th_store_begin(f->store);
    oci_reservation_row one = reservation("org", "R1", "OPEN", 0);
    assert_int_equal(oci_store_group_reserved_set(writer, "org", "G", "S", 1), CM_EDB);
    assert_int_equal(oci_store_group_reserved_set(writer, "org", "G", "S", 0), CM_EDB);
    assert_int_equal(oci_store_reservation_insert(writer, &one, NULL), CM_EDB);
    assert_int_equal(oci_store_reservation_close(writer, "org", "R1", "CANCELLED", NOW), CM_EDB);
    assert_int_equal(oci_store_reservation_line_add(writer, "org", "R1", "location", "L1", "S", 1), CM_EDB);
    assert_int_equal(oci_store_operation_add(writer, "org", "k", "op", "S", "x", NOW), CM_EDB);
    oci_store_write_rollback(writer);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_group_reserved, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reservation_documents, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reservation_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_operation_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(test_savepoints, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_tables_are_database_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
