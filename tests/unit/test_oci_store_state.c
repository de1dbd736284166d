/*
 * test_oci_store_state.c - the store's side of the emulator's state snapshots and resets
 * (oci_core/store.h "state snapshots and resets", the functions of store_state.c) on real SQLite
 * files in a temporary folder: the list of tables a snapshot carries, dumping one organization's
 * rows of every table as column objects (and no other organization's), counting them, deleting
 * them (the files of its imports and exports reported first, its persisted graph too), loading a
 * dump back into an empty store with the same result, event numbers moved up past the events
 * already in the file (delta tokens with them), the refusals of rows that name unknown tables or
 * columns, carry objects, bad event numbers or another organization (with the table, row and
 * problem named), the import still in progress, a record as it
 * was at an earlier moment, and database errors (a read-only connection, missing tables).
 */
#include "tests/support/oci_store_fixture.h"
#include "tests/support/test_support.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json_util.h"
#include "oci_core/store.h"

#define Q(x) ((int64_t)(x) * 1000)
#define NOW 1700000000000LL
#define DAY (24LL * 3600 * 1000)
#define TABLES 12

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

static oci_store *open_store(const char *dir, const char *name, char *path, size_t size)
{
    snprintf(path, size, "%s/%s", dir, name);
    char error[OCI_ERROR_MAX];
    oci_store *store = NULL;
    assert_int_equal(oci_store_open(path, &store, error), CM_OK);
    return store;
}

static oci_event event_of(const char *org, const char *location, const char *sku, int64_t created_ms,
                          int64_t old_on_hand, int64_t new_on_hand)
{
    oci_event event;
    memset(&event, 0, sizeof event);
    event.org = org;
    event.location = location;
    event.sku = sku;
    event.event_type = "test";
    event.created_ms = created_ms;
    event.old_values.on_hand = old_on_hand;
    event.new_values.on_hand = new_on_hand;
    return event;
}

/* One row in every table for `org` (the import and the export name files under `dir`). */
static void populate(oci_store *store, const char *org, const char *dir)
{
    oci_store_conn *writer = th_store_begin(store);
    oci_quantities record;
    memset(&record, 0, sizeof record);
    record.on_hand = Q(12);
    record.safety_stock = Q(1);
    record.future_count = 1;
    record.futures[0] = (oci_future){NOW + DAY, Q(3)};
    assert_int_equal(oci_store_record_put(writer, org, "L1", "SKU-1", &record, NOW), CM_OK);
    oci_event event = event_of(org, "L1", "SKU-1", NOW, 0, Q(12));
    assert_int_equal(oci_store_event_add(writer, &event), CM_OK);
    assert_int_equal(oci_store_applied_add(writer, org, "r1", "L1", "SKU-1", NOW), CM_OK);
    oci_batch_marker marker = {.record_count = 3, .fingerprint = 42, .refusals = (char *)"[]"};
    assert_int_equal(oci_store_batch_add(writer, org, "batch-1", &marker, NOW), CM_OK);
    oci_import_row import;
    memset(&import, 0, sizeof import);
    snprintf(import.id, sizeof import.id, "imp-%s", org);
    snprintf(import.org, sizeof import.org, "%s", org);
    snprintf(import.file_name, sizeof import.file_name, "in.ndjson");
    snprintf(import.status, sizeof import.status, "COMPLETED");
    snprintf(import.upload_path, sizeof import.upload_path, "%s/upload-%s", dir, org);
    import.created_ms = NOW;
    import.link_expires_ms = NOW + DAY;
    assert_int_equal(oci_store_import_insert(writer, &import), CM_OK);
    assert_int_equal(oci_store_import_error_add(writer, import.id, 3, "r9", "L1", "SKU-1", "broken"), CM_OK);
    oci_export_row export_row;
    memset(&export_row, 0, sizeof export_row);
    snprintf(export_row.id, sizeof export_row.id, "exp-%s", org);
    snprintf(export_row.org, sizeof export_row.org, "%s", org);
    snprintf(export_row.kind, sizeof export_row.kind, "graph");
    snprintf(export_row.status, sizeof export_row.status, "COMPLETED");
    snprintf(export_row.file_path, sizeof export_row.file_path, "%s/export-%s", dir, org);
    export_row.created_ms = NOW;
    assert_int_equal(oci_store_export_insert(writer, &export_row), CM_OK);
    oci_delta_token token = {.after_seq = 1, .created_ms = NOW, .places = (char *)"[\"L1\"]"};
    snprintf(token.token, sizeof token.token, "tok-%s", org);
    snprintf(token.org, sizeof token.org, "%s", org);
    snprintf(token.place_type, sizeof token.place_type, "locations");
    assert_int_equal(oci_store_token_insert(writer, &token), CM_OK);
    assert_int_equal(oci_store_group_reserved_set(writer, org, "G", "SKU-1", Q(2)), CM_OK);
    oci_reservation_row reservation;
    memset(&reservation, 0, sizeof reservation);
    snprintf(reservation.org, sizeof reservation.org, "%s", org);
    snprintf(reservation.id, sizeof reservation.id, "R1");
    snprintf(reservation.status, sizeof reservation.status, "OPEN");
    reservation.reservation_ms = reservation.created_ms = NOW;
    assert_int_equal(oci_store_reservation_insert(writer, &reservation, "ext"), CM_OK);
    assert_int_equal(oci_store_reservation_line_add(writer, org, "R1", "group", "G", "SKU-1", Q(2)), CM_OK);
    assert_int_equal(oci_store_operation_add(writer, org, "transfer", "op-1", "SKU-1", "fp", NOW), CM_OK);
    assert_int_equal(oci_store_graph_put(writer, org, "{\"locations\":[\"L1\"]}", NOW), CM_OK);
    th_store_commit(writer);
}

static json_object *dump(oci_store *store, const char *org, int64_t *rows)
{
    json_object *tables = json_object_new_object();
    assert_non_null(tables);
    oci_store_conn *reader = oci_store_read_begin(store);
    assert_non_null(reader);
    assert_int_equal(oci_store_state_dump(reader, org, tables, rows), CM_OK);
    oci_store_read_end(reader);
    return tables;
}

static int64_t count_of(oci_store *store, const char *org, const char *table)
{
    json_object *counts = json_object_new_object();
    oci_store_conn *reader = oci_store_read_begin(store);
    assert_int_equal(oci_store_state_counts(reader, org, counts), CM_OK);
    oci_store_read_end(reader);
    int64_t value = -1;
    assert_int_equal(cm_json_int64(counts, table, &value), CM_JSON_OK);
    json_object_put(counts);
    return value;
}

static json_object *table_row(json_object *tables, const char *table, size_t index)
{
    json_object *list = NULL;
    assert_true(json_object_object_get_ex(tables, table, &list));
    assert_true(json_object_is_type(list, json_type_array));
    assert_true(index < json_object_array_length(list));
    return json_object_array_get_idx(list, index);
}

static void test_table_names(void **state)
{
    (void)state;
    static const char *const EXPECTED[TABLES] = {"records",      "events",       "applied_ids",   "applied_batches",
                                                 "imports",      "import_errors", "exports",      "delta_tokens",
                                                 "group_reserved", "reservations", "reservation_lines",
                                                 "operation_ids"};
    for (size_t i = 0; i < TABLES; i++)
        assert_string_equal(oci_store_state_table(i), EXPECTED[i]);
    assert_null(oci_store_state_table(TABLES));
    assert_null(oci_store_state_table((size_t)-1));
}

static void test_dump_and_counts(void **state)
{
    fixture *f = *state;
    populate(f->store, "org", f->dir);
    populate(f->store, "other", f->dir);
    int64_t rows = 5; /* added to, not reset */
    json_object *tables = dump(f->store, "org", &rows);
    assert_int_equal(rows, 5 + TABLES);
    assert_int_equal(json_object_object_length(tables), TABLES);
    for (size_t i = 0; i < TABLES; i++) {
        json_object *list = NULL;
        assert_true(json_object_object_get_ex(tables, oci_store_state_table(i), &list));
        assert_int_equal(json_object_array_length(list), 1);
    }
    /* Rows are objects of every column: integers as numbers, text as strings, NULL as null. */
    json_object *record = table_row(tables, "records", 0), *value = NULL;
    int64_t number = 0;
    const char *text = NULL;
    assert_int_equal(cm_json_int64(record, "on_hand", &number), CM_JSON_OK);
    assert_int_equal(number, Q(12));
    assert_int_equal(cm_json_string(record, "org", &text), CM_JSON_OK);
    assert_string_equal(text, "org");
    assert_int_equal(cm_json_string(record, "futures", &text), CM_JSON_OK);
    assert_string_equal(text, "1700086400000:3000");
    assert_true(json_object_object_get_ex(record, "effective_ms", &value));
    assert_null(value);
    assert_int_equal(json_object_object_length(record), 9);
    json_object *error_row = table_row(tables, "import_errors", 0);
    assert_int_equal(cm_json_string(error_row, "import_id", &text), CM_JSON_OK);
    assert_string_equal(text, "imp-org"); /* found through the organization's import */
    assert_int_equal(cm_json_string(table_row(tables, "reservations", 0), "external_ref_id", &text), CM_JSON_OK);
    assert_string_equal(text, "ext");
    assert_int_equal(cm_json_string(table_row(tables, "applied_batches", 0), "batch_key", &text), CM_JSON_OK);
    assert_string_equal(text, "batch-1");
    /* Only the organization's: the other one's rows have their own org. */
    for (size_t i = 0; i < TABLES; i++) {
        json_object *row = table_row(tables, oci_store_state_table(i), 0), *org = NULL;
        if (json_object_object_get_ex(row, "org", &org))
            assert_string_equal(json_object_get_string(org), "org");
    }
    json_object_put(tables);

    /* Counts: one per table for each organization, none for a third. */
    json_object *counts = json_object_new_object();
    oci_store_conn *reader = oci_store_read_begin(f->store);
    assert_int_equal(oci_store_state_counts(reader, "org", counts), CM_OK);
    oci_store_read_end(reader);
    assert_int_equal(json_object_object_length(counts), TABLES);
    json_object_object_foreach(counts, name, count) {
        if (json_object_get_int64(count) != 1)
            fail_msg("%s: %lld rows", name, (long long)json_object_get_int64(count));
    }
    json_object_put(counts);
    assert_int_equal(count_of(f->store, "nobody", "records"), 0);
    assert_int_equal(count_of(f->store, "nobody", "import_errors"), 0);
    rows = 0;
    tables = dump(f->store, "nobody", &rows);
    assert_int_equal(rows, 0);
    assert_int_equal(json_object_array_length(json_object_object_get(tables, "events")), 0);
    json_object_put(tables);
}

typedef struct paths {
    size_t count;
    char text[8][512];
} paths;

static int collect_path(void *context, const char *path)
{
    paths *p = context;
    if (p->count < 8)
        snprintf(p->text[p->count++], sizeof p->text[0], "%s", path);
    return 0;
}

static void test_delete(void **state)
{
    fixture *f = *state;
    populate(f->store, "org", f->dir);
    populate(f->store, "other", f->dir);
    paths seen = {0};
    oci_store_conn *writer = th_store_begin(f->store);
    assert_int_equal(oci_store_state_delete(writer, "org", collect_path, &seen), CM_OK);
    th_store_commit(writer);
    /* The files of the organization's import and export, before the rows went. */
    char upload[512], exported[512];
    snprintf(upload, sizeof upload, "%s/upload-org", f->dir);
    snprintf(exported, sizeof exported, "%s/export-org", f->dir);
    assert_int_equal(seen.count, 2);
    assert_string_equal(seen.text[0], upload);
    assert_string_equal(seen.text[1], exported);
    for (size_t i = 0; i < TABLES; i++) {
        assert_int_equal(count_of(f->store, "org", oci_store_state_table(i)), 0);
        assert_int_equal(count_of(f->store, "other", oci_store_state_table(i)), 1);
    }
    char *graph = NULL;
    oci_store_conn *reader = oci_store_read_begin(f->store);
    assert_int_equal(oci_store_graph_get(reader, "org", &graph), CM_OK);
    assert_null(graph);
    assert_int_equal(oci_store_graph_get(reader, "other", &graph), CM_OK);
    assert_non_null(graph);
    free(graph);
    /* A reader cannot delete. */
    assert_int_not_equal(oci_store_state_delete(reader, "other", NULL, NULL), CM_OK);
    oci_store_read_end(reader);
    assert_int_equal(count_of(f->store, "other", "records"), 1);

    /* Without a visitor; an organization with nothing is fine too. */
    writer = th_store_begin(f->store);
    assert_int_equal(oci_store_state_delete(writer, "other", NULL, NULL), CM_OK);
    assert_int_equal(oci_store_state_delete(writer, "nobody", collect_path, &seen), CM_OK);
    th_store_commit(writer);
    assert_int_equal(seen.count, 2);
    assert_int_equal(count_of(f->store, "other", "import_errors"), 0);
    assert_int_equal(count_of(f->store, "other", "reservation_lines"), 0);
}

static void test_load_round_trip(void **state)
{
    fixture *f = *state;
    populate(f->store, "org", f->dir);
    int64_t rows = 0;
    json_object *tables = dump(f->store, "org", &rows);
    /* Into an empty store: the same rows, byte for byte. */
    char path[400];
    oci_store *fresh = open_store(f->dir, "fresh.db", path, sizeof path);
    char error[OCI_ERROR_MAX] = "";
    oci_store_conn *writer = th_store_begin(fresh);
    assert_int_equal(oci_store_state_load(writer, "org", tables, error), CM_OK);
    th_store_commit(writer);
    int64_t again_rows = 0;
    json_object *again = dump(fresh, "org", &again_rows);
    assert_int_equal(again_rows, rows);
    assert_string_equal(cm_json_text(again, NULL), cm_json_text(tables, NULL));
    json_object_put(again);
    /* The loaded record reads as it was written. */
    oci_quantities record;
    int exists = 0;
    oci_store_conn *reader = oci_store_read_begin(fresh);
    assert_int_equal(oci_store_record_get(reader, "org", "L1", "SKU-1", &record, &exists), CM_OK);
    assert_int_equal(exists, 1);
    assert_int_equal(record.on_hand, Q(12));
    assert_int_equal(record.future_count, 1);
    assert_int_equal(record.futures[0].quantity_milli, Q(3));
    oci_store_read_end(reader);
    /* Back into the first store after a delete: also the same. */
    writer = th_store_begin(f->store);
    assert_int_equal(oci_store_state_delete(writer, "org", NULL, NULL), CM_OK);
    assert_int_equal(oci_store_state_load(writer, "org", tables, error), CM_OK);
    th_store_commit(writer);
    again = dump(f->store, "org", &again_rows);
    assert_string_equal(cm_json_text(again, NULL), cm_json_text(tables, NULL));
    json_object_put(again);
    json_object_put(tables);
    /* No tables at all: nothing to load, fine. */
    json_object *empty = json_object_new_object();
    writer = th_store_begin(fresh);
    assert_int_equal(oci_store_state_load(writer, "org2", empty, error), CM_OK);
    th_store_commit(writer);
    json_object_put(empty);
    oci_store_close(fresh);
}

static json_object *parse(const char *text)
{
    json_object *root = NULL;
    char error[CM_JSON_ERROR_MAX];
    assert_int_equal(cm_json_parse(text, strlen(text), CM_JSON_MAX_DEPTH, &root, error), CM_OK);
    return root;
}

#define EVENT_ROW(seq, created)                                                                              \
    "{\"seq\":" #seq ",\"org\":\"org\",\"location\":\"L1\",\"sku\":\"S\",\"event_type\":\"t\",\"created_ms\":" \
    #created ",\"old_on_hand\":0,\"new_on_hand\":1,\"old_reserved\":0,\"new_reserved\":0,"                    \
    "\"old_safety_stock\":0,\"new_safety_stock\":0,\"old_atf\":0,\"new_atf\":1,\"old_ato\":0,\"new_ato\":1,"   \
    "\"old_futures\":\"\",\"new_futures\":\"\"}"

static int64_t seq_of_created(fixture *f, int64_t created_ms)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT seq FROM events WHERE org = 'org' AND created_ms = ?1", -1, &s,
                                        NULL),
                     SQLITE_OK);
    sqlite3_bind_int64(s, 1, created_ms);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    int64_t seq = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return seq;
}

static void test_load_moves_event_numbers_past_the_files_events(void **state)
{
    fixture *f = *state;
    /* The file already holds events 1..5 of another organization. */
    oci_store_conn *writer = th_store_begin(f->store);
    for (int i = 0; i < 5; i++) {
        oci_event event = event_of("other", "L1", "S", NOW, 0, Q(1));
        assert_int_equal(oci_store_event_add(writer, &event), CM_OK);
    }
    th_store_commit(writer);
    /* A snapshot with events 3 and 7 and a token between them (after 3): moved up by 5 - 3 + 1. */
    json_object *tables = parse("{\"events\":[" EVENT_ROW(3, 100) "," EVENT_ROW(7, 200) "],"
                                "\"delta_tokens\":[{\"token\":\"t1\",\"org\":\"org\",\"place_type\":\"locations\","
                                "\"places\":\"[]\",\"after_seq\":3,\"created_ms\":1}]}");
    char error[OCI_ERROR_MAX] = "";
    writer = th_store_begin(f->store);
    assert_int_equal(oci_store_state_load(writer, "org", tables, error), CM_OK);
    th_store_commit(writer);
    json_object_put(tables);
    assert_int_equal(seq_of_created(f, 100), 6);
    assert_int_equal(seq_of_created(f, 200), 10);
    oci_delta_token token;
    int found = 0;
    oci_store_conn *reader = oci_store_read_begin(f->store);
    assert_int_equal(oci_store_token_get(reader, "t1", &token, &found), CM_OK);
    assert_int_equal(found, 1);
    assert_int_equal(token.after_seq, 6); /* still just after the same event */
    oci_delta_token_clear(&token);
    int64_t last = 0;
    assert_int_equal(oci_store_events_last_seq(reader, "org", &last), CM_OK);
    assert_int_equal(last, 10);
    oci_store_read_end(reader);

    /* Numbers above every event in the file stay as they are. */
    tables = parse("{\"events\":[" EVENT_ROW(50, 300) "]}");
    writer = th_store_begin(f->store);
    assert_int_equal(oci_store_state_load(writer, "org", tables, error), CM_OK);
    th_store_commit(writer);
    json_object_put(tables);
    assert_int_equal(seq_of_created(f, 300), 50);
}

/* Loads `tables_json` for "org" and expects CM_EINVAL with `needle` in the error; nothing stays. */
static void expect_refused(fixture *f, const char *tables_json, const char *needle)
{
    json_object *tables = parse(tables_json);
    char error[OCI_ERROR_MAX] = "";
    oci_store_conn *writer = th_store_begin(f->store);
    cm_err rc = oci_store_state_load(writer, "org", tables, error);
    oci_store_write_rollback(writer);
    json_object_put(tables);
    if (rc != CM_EINVAL)
        fail_msg("%s: %s instead of CM_EINVAL", tables_json, cm_strerror(rc));
    if (!strstr(error, needle))
        fail_msg("%s: error \"%s\" does not name \"%s\"", tables_json, error, needle);
}

static void test_load_refusals(void **state)
{
    fixture *f = *state;
    populate(f->store, "other", f->dir);
    expect_refused(f, "{\"widgets\":[]}", "tables.widgets is not a table");
    expect_refused(f, "{\"records\":{}}", "tables.records must be an array");
    expect_refused(f, "{\"records\":[1]}", "tables.records[0] must be a non-empty object");
    expect_refused(f, "{\"applied_ids\":[{}]}", "tables.applied_ids[0] must be a non-empty object");
    expect_refused(f,
                   "{\"operation_ids\":[{\"org\":\"org\",\"kind\":\"k\",\"op_id\":\"o\",\"sku\":\"s\","
                   "\"fingerprint\":\"f\",\"applied_ms\":1,\"colour\":\"red\"}]}",
                   "\"colour\" is not a column of operation_ids");
    expect_refused(f, "{\"graphs\":[]}", "tables.graphs is not a table"); /* graphs travel apart */
    expect_refused(f, "{\"group_reserved\":[{\"org\":\"org\",\"group_id\":[1],\"sku\":\"s\",\"quantity\":1}]}",
                   "tables.group_reserved[0].group_id must be a number, a string or null");
    expect_refused(f, "{\"group_reserved\":[{\"org\":\"org\",\"group_id\":{},\"sku\":\"s\",\"quantity\":1}]}",
                   "group_id must be a number, a string or null");
    expect_refused(f, "{\"group_reserved\":[{\"org\":\"other\",\"group_id\":\"G\",\"sku\":\"s\",\"quantity\":1}]}",
                   "tables.group_reserved[0].org must be \"org\"");
    expect_refused(f, "{\"group_reserved\":[{\"org\":5,\"group_id\":\"G\",\"sku\":\"s\",\"quantity\":1}]}",
                   ".org must be \"org\"");
    /* Event numbers: whole numbers 0..10^15 only. */
    expect_refused(f, "{\"events\":[{\"seq\":\"3\",\"org\":\"org\"}]}", "tables.events[0].seq must be a whole number");
    expect_refused(f, "{\"events\":[{\"seq\":-1,\"org\":\"org\"}]}", "seq must be a whole number");
    expect_refused(f, "{\"events\":[{\"seq\":1.5,\"org\":\"org\"}]}", "seq must be a whole number");
    expect_refused(f, "{\"events\":[{\"seq\":null,\"org\":\"org\"}]}", "seq must be a whole number");
    expect_refused(f, "{\"events\":[{\"seq\":1000000000000001,\"org\":\"org\"}]}", "seq must be a whole number");
    expect_refused(f,
                   "{\"delta_tokens\":[{\"token\":\"t\",\"org\":\"org\",\"place_type\":\"locations\","
                   "\"places\":\"[]\",\"after_seq\":-5,\"created_ms\":1}]}",
                   "tables.delta_tokens[0].after_seq must be a whole number");
    /* import_errors has no org: its import must be one of this organization's (not another's). */
    expect_refused(f,
                   "{\"import_errors\":[{\"import_id\":\"imp-other\",\"line\":1,\"record_id\":\"r\","
                   "\"location\":\"L\",\"sku\":\"s\",\"message\":\"m\"}]}",
                   "tables.import_errors[0].import_id must name an import of tables.imports");
    expect_refused(f, "{\"import_errors\":[{\"import_id\":7,\"line\":1}]}", "import_id must name an import");
    /* Rows the schema's own constraints refuse (CHECK, NOT NULL, a key twice) are the snapshot's
     * fault too: CM_EINVAL (a 400), not a database failure (a 503). */
    expect_refused(f,
                   "{\"records\":[{\"org\":\"org\",\"location\":\"L1\",\"sku\":\"S\",\"on_hand\":-1,"
                   "\"safety_stock\":0,\"updated_ms\":1}]}",
                   "tables.records[0]");
    expect_refused(f, "{\"records\":[{\"org\":\"org\",\"location\":\"L1\",\"sku\":\"S\",\"on_hand\":1}]}",
                   "tables.records[0]");
    expect_refused(f,
                   "{\"records\":[{\"org\":\"org\",\"location\":\"L1\",\"sku\":\"S\",\"on_hand\":1,"
                   "\"safety_stock\":0,\"updated_ms\":1},{\"org\":\"org\",\"location\":\"L1\",\"sku\":\"S\","
                   "\"on_hand\":2,\"safety_stock\":0,\"updated_ms\":1}]}",
                   "tables.records[1]");
    /* Nothing of the refused loads stayed, and the other organization is whole. */
    for (size_t i = 0; i < TABLES; i++) {
        assert_int_equal(count_of(f->store, "org", oci_store_state_table(i)), 0);
        assert_int_equal(count_of(f->store, "other", oci_store_state_table(i)), 1);
    }

    /* Accepted forms: booleans as integers, doubles, null for a nullable column, and an import
     * with its errors in the same snapshot. */
    json_object *tables = parse(
        "{\"records\":[{\"org\":\"org\",\"location\":\"L1\",\"sku\":\"S\",\"on_hand\":2,\"safety_stock\":0,"
        "\"effective_ms\":null,\"updated_ms\":1.0}],"
        "\"imports\":[{\"id\":\"imp-1\",\"org\":\"org\",\"file_name\":\"f\",\"status\":\"FAILED\",\"created_ms\":1,"
        "\"link_expires_ms\":2,\"gzip\":true}],"
        "\"import_errors\":[{\"import_id\":\"imp-1\",\"line\":1,\"record_id\":\"r\",\"location\":\"L\",\"sku\":\"s\","
        "\"message\":\"m\"}]}");
    char error[OCI_ERROR_MAX] = "";
    oci_store_conn *writer = th_store_begin(f->store);
    assert_int_equal(oci_store_state_load(writer, "org", tables, error), CM_OK);
    th_store_commit(writer);
    json_object_put(tables);
    oci_import_row row;
    int found = 0;
    oci_store_conn *reader = oci_store_read_begin(f->store);
    assert_int_equal(oci_store_import_get(reader, "imp-1", &row, &found), CM_OK);
    assert_int_equal(found, 1);
    assert_int_equal(row.gzip, 1);
    oci_store_read_end(reader);
    assert_int_equal(count_of(f->store, "org", "import_errors"), 1);
    assert_int_equal(count_of(f->store, "org", "records"), 1);
}

static void put_import(fixture *f, const char *id, const char *org, const char *status, int64_t created_ms)
{
    oci_import_row row;
    memset(&row, 0, sizeof row);
    snprintf(row.id, sizeof row.id, "%s", id);
    snprintf(row.org, sizeof row.org, "%s", org);
    snprintf(row.file_name, sizeof row.file_name, "f");
    snprintf(row.status, sizeof row.status, "%s", status);
    row.created_ms = created_ms;
    row.link_expires_ms = created_ms + DAY;
    oci_store_conn *writer = th_store_begin(f->store);
    assert_int_equal(oci_store_import_insert(writer, &row), CM_OK);
    th_store_commit(writer);
}

static int import_running(fixture *f, const char *org, char id[OCI_ID_MAX + 1])
{
    int busy = -1;
    oci_store_conn *reader = oci_store_read_begin(f->store);
    assert_int_equal(oci_store_import_running(reader, org, id, &busy), CM_OK);
    oci_store_read_end(reader);
    return busy;
}

static void test_import_running(void **state)
{
    fixture *f = *state;
    char id[OCI_ID_MAX + 1] = "x";
    assert_int_equal(import_running(f, "org", id), 0);
    assert_string_equal(id, "");
    put_import(f, "i-waiting", "org", "WAITING", NOW);
    put_import(f, "i-done", "org", "COMPLETED", NOW);
    put_import(f, "i-failed", "org", "FAILED", NOW);
    put_import(f, "i-other", "other", "RUNNING", NOW);
    assert_int_equal(import_running(f, "org", id), 0);
    assert_string_equal(id, "");
    assert_int_equal(import_running(f, "other", id), 1);
    assert_string_equal(id, "i-other");
    put_import(f, "i-pending", "org", "PENDING", NOW);
    assert_int_equal(import_running(f, "org", id), 1);
    assert_string_equal(id, "i-pending");
}

static void test_database_errors(void **state)
{
    fixture *f = *state;
    populate(f->store, "org", f->dir);
    th_store_sql_exec(f->path, "DROP TABLE reservation_lines; DROP TABLE imports; DROP TABLE events;");
    json_object *tables = json_object_new_object(), *counts = json_object_new_object();
    int64_t rows = 0;
    int busy = -1, exists = -1;
    char id[OCI_ID_MAX + 1];
    oci_quantities record;
    oci_store_conn *reader = oci_store_read_begin(f->store);
    assert_int_equal(oci_store_state_dump(reader, "org", tables, &rows), CM_EDB);
    assert_int_equal(oci_store_state_counts(reader, "org", counts), CM_EDB);
    assert_int_equal(oci_store_import_running(reader, "org", id, &busy), CM_EDB);
    assert_int_equal(busy, 0);
    assert_int_equal(oci_store_record_get_as_of(reader, "org", "L1", "SKU-1", NOW, &record, &exists), CM_EDB);
    oci_store_read_end(reader);
    /* The tables before the missing one were dumped and counted; events (the second) stopped it. */
    assert_int_equal(rows, 1);
    assert_int_equal(json_object_object_length(tables), 1);
    assert_true(json_object_object_get_ex(tables, "records", NULL));
    assert_true(json_object_object_get_ex(counts, "records", NULL));
    assert_false(json_object_object_get_ex(counts, "events", NULL));
    json_object_put(tables);
    json_object_put(counts);
    oci_store_conn *writer = th_store_begin(f->store);
    assert_int_equal(oci_store_state_delete(writer, "org", NULL, NULL), CM_EDB);
    char error[OCI_ERROR_MAX] = "";
    json_object *load = parse("{\"events\":[" EVENT_ROW(3, 100) "]}");
    assert_int_not_equal(oci_store_state_load(writer, "org", load, error), CM_OK);
    json_object_put(load);
    oci_store_write_rollback(writer);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_names),
        cmocka_unit_test_setup_teardown(test_dump_and_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_moves_event_numbers_past_the_files_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_running, setup, teardown),
        cmocka_unit_test_setup_teardown(test_database_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
