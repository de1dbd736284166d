/*
 * test_oci_store.c - the bundled core's storage (oci_core/store.h, the functions of store.c) on a
 * real SQLite file in a temporary folder: opening and reopening, write transactions that commit or
 * roll back, readers that keep one snapshot, location records (every field, futures, the schema's
 * checks), scans and counts by organization and locations, events and their sequence numbers,
 * idempotency ids, imports (upload, listing, the work order, failed lines), exports and delta
 * tokens.
 */
#include "tests/support/oci_store_fixture.h"
#include "tests/support/test_support.h"

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

static oci_quantities quantities(int64_t on_hand, int64_t reserved, int64_t safety_stock)
{
    oci_quantities record;
    memset(&record, 0, sizeof record);
    record.on_hand = on_hand;
    record.reserved = reserved;
    record.safety_stock = safety_stock;
    return record;
}

static void put(fixture *f, const char *org, const char *location, const char *sku, int64_t on_hand)
{
    oci_store_conn *writer = th_store_begin(f->store);
    oci_quantities record = quantities(on_hand, 0, 0);
    assert_int_equal(oci_store_record_put(writer, org, location, sku, &record, NOW), CM_OK);
    assert_int_equal(oci_store_write_commit(writer), CM_OK);
}

/* The record as a fresh reader sees it; *exists as the store reports it. */
static oci_quantities get(fixture *f, const char *org, const char *location, const char *sku, int *exists)
{
    oci_quantities record;
    oci_store_conn *reader = oci_store_read_begin(f->store);
    assert_non_null(reader);
    assert_int_equal(oci_store_record_get(reader, org, location, sku, &record, exists), CM_OK);
    oci_store_read_end(reader);
    return record;
}

static void test_open_reopen_and_refusal(void **state)
{
    fixture *f = *state;
    put(f, "org", "L1", "SKU-1", Q(7));
    oci_store_close(f->store);
    f->store = NULL;
    /* Reopening runs the migrations again on an up-to-date file and keeps the data. */
    char error[OCI_ERROR_MAX] = "";
    assert_int_equal(oci_store_open(f->path, &f->store, error), CM_OK);
    int exists = 0;
    assert_int_equal(get(f, "org", "L1", "SKU-1", &exists).on_hand, Q(7));
    assert_int_equal(exists, 1);

    /* A folder that does not exist: no store, one line of error. */
    char missing[600];
    snprintf(missing, sizeof missing, "%s/no/such/folder/oci.db", f->dir);
    oci_store *other = (oci_store *)1;
    error[0] = '\0';
    assert_int_not_equal(oci_store_open(missing, &other, error), CM_OK);
    assert_null(other);
    assert_true(strlen(error) > 0);
    assert_null(strchr(error, '\n'));
}

static void test_record_round_trip_of_every_field(void **state)
{
    fixture *f = *state;
    oci_quantities record = quantities(Q(1000000000), Q(3) + 1, Q(2) + 999);
    record.has_effective_date = 1;
    record.effective_ms = 0; /* the epoch is a date, not "no date" */
    record.future_count = OCI_MAX_FUTURES;
    for (size_t i = 0; i < OCI_MAX_FUTURES; i++)
        record.futures[i] = (oci_future){NOW + (int64_t)i * 86400000, Q(1000000000) + (int64_t)i};
    oci_store_conn *writer = th_store_begin(f->store);
    assert_int_equal(oci_store_record_put(writer, "org", "L1", "SKU-1", &record, NOW), CM_OK);
    assert_int_equal(oci_store_write_commit(writer), CM_OK);

    int exists = 0;
    oci_quantities read = get(f, "org", "L1", "SKU-1", &exists);
    assert_int_equal(exists, 1);
    assert_int_equal(read.on_hand, record.on_hand);
    assert_int_equal(read.reserved, record.reserved);
    assert_int_equal(read.safety_stock, record.safety_stock);
    assert_int_equal(read.has_effective_date, 1);
    assert_int_equal(read.effective_ms, 0);
    assert_int_equal(read.future_count, OCI_MAX_FUTURES);
    for (size_t i = 0; i < OCI_MAX_FUTURES; i++) {
        assert_int_equal(read.futures[i].expected_ms, record.futures[i].expected_ms);
        assert_int_equal(read.futures[i].quantity_milli, record.futures[i].quantity_milli);
    }

    /* A second put replaces every field (no date, no futures). */
    oci_quantities plain = quantities(Q(1), 0, 0);
    writer = th_store_begin(f->store);
    assert_int_equal(oci_store_record_put(writer, "org", "L1", "SKU-1", &plain, NOW + 1), CM_OK);
    assert_int_equal(oci_store_write_commit(writer), CM_OK);
    read = get(f, "org", "L1", "SKU-1", &exists);
    assert_int_equal(read.on_hand, Q(1));
    assert_int_equal(read.reserved, 0);
    assert_int_equal(read.has_effective_date, 0);
    assert_int_equal(read.future_count, 0);

    /* Records are keyed by organization, location and sku. */
    get(f, "other", "L1", "SKU-1", &exists);
    assert_int_equal(exists, 0);
    get(f, "org", "L2", "SKU-1", &exists);
    assert_int_equal(exists, 0);
    read = get(f, "org", "L1", "sku-1", &exists);
    assert_int_equal(exists, 0);
    assert_int_equal(read.on_hand, 0); /* a missing record reads as zeros */

    writer = th_store_begin(f->store);
    assert_int_equal(oci_store_record_delete(writer, "org", "L1", "SKU-1"), CM_OK);
    assert_int_equal(oci_store_record_delete(writer, "org", "L1", "SKU-1"), CM_OK); /* nothing left: fine */
    assert_int_equal(oci_store_write_commit(writer), CM_OK);
    get(f, "org", "L1", "SKU-1", &exists);
    assert_int_equal(exists, 0);
}

static void test_negative_quantities_are_refused_by_the_schema(void **state)
{
    fixture *f = *state;
    put(f, "org", "L1", "SKU-1", Q(5));
    oci_quantities bad[3] = {quantities(-1, 0, 0), quantities(0, -1, 0), quantities(0, 0, -1)};
    for (size_t i = 0; i < 3; i++) {
        oci_store_conn *writer = th_store_begin(f->store);
        assert_int_not_equal(oci_store_record_put(writer, "org", "L1", "SKU-1", &bad[i], NOW), CM_OK);
        oci_store_write_rollback(writer);
    }
    int exists = 0;
    assert_int_equal(get(f, "org", "L1", "SKU-1", &exists).on_hand, Q(5));
}

static void test_rollback_discards_and_readers_keep_their_snapshot(void **state)
{
    fixture *f = *state;
    put(f, "org", "L1", "SKU-1", Q(1));
    oci_store_conn *writer = th_store_begin(f->store);
    oci_quantities two = quantities(Q(2), 0, 0);
    assert_int_equal(oci_store_record_put(writer, "org", "L1", "SKU-1", &two, NOW), CM_OK);
    assert_int_equal(oci_store_record_put(writer, "org", "L2", "SKU-1", &two, NOW), CM_OK);
    /* The writer sees its own change before the commit. */
    oci_quantities read;
    int exists = 0;
    assert_int_equal(oci_store_record_get(writer, "org", "L1", "SKU-1", &read, &exists), CM_OK);
    assert_int_equal(read.on_hand, Q(2));
    oci_store_write_rollback(writer);
    assert_int_equal(get(f, "org", "L1", "SKU-1", &exists).on_hand, Q(1));
    get(f, "org", "L2", "SKU-1", &exists);
    assert_int_equal(exists, 0);

    /* A reader that has read keeps that snapshot while a writer commits. */
    oci_store_conn *reader = oci_store_read_begin(f->store);
    assert_non_null(reader);
    assert_int_equal(oci_store_record_get(reader, "org", "L1", "SKU-1", &read, &exists), CM_OK);
    assert_int_equal(read.on_hand, Q(1));
    put(f, "org", "L1", "SKU-1", Q(3));
    assert_int_equal(oci_store_record_get(reader, "org", "L1", "SKU-1", &read, &exists), CM_OK);
    assert_int_equal(read.on_hand, Q(1));
    oci_store_read_end(reader);
    assert_int_equal(get(f, "org", "L1", "SKU-1", &exists).on_hand, Q(3));
    oci_store_read_end(NULL); /* allowed */
}

typedef struct visits {
    size_t count, stop_after; /* 0: never stop */
    char text[16][64];
} visits;

static int visit_record(void *context, const char *location, const char *sku, const oci_quantities *record)
{
    visits *v = context;
    snprintf(v->text[v->count++], sizeof v->text[0], "%s/%s=%lld", location, sku, (long long)record->on_hand);
    return v->stop_after && v->count == v->stop_after;
}

static void test_records_scan_and_count(void **state)
{
    fixture *f = *state;
    put(f, "org", "L2", "B", Q(4));
    put(f, "org", "L1", "B", Q(3));
    put(f, "org", "L2", "A", Q(2));
    put(f, "org", "L1", "A", Q(1));
    put(f, "org", "L3", "A", Q(9)); /* not asked for */
    put(f, "other", "L1", "A", Q(8)); /* another organization */
    oci_store_conn *reader = oci_store_read_begin(f->store);
    visits v = {0};
    assert_int_equal(oci_store_records_scan(reader, "org", "[\"L1\",\"L2\"]", 1, visit_record, &v), CM_OK);
    assert_int_equal(v.count, 4);
    assert_string_equal(v.text[0], "L1/A=1000");
    assert_string_equal(v.text[1], "L2/A=2000");
    assert_string_equal(v.text[2], "L1/B=3000");
    assert_string_equal(v.text[3], "L2/B=4000");
    memset(&v, 0, sizeof v);
    assert_int_equal(oci_store_records_scan(reader, "org", "[\"L2\",\"L1\"]", 0, visit_record, &v), CM_OK);
    assert_int_equal(v.count, 4);
    assert_string_equal(v.text[0], "L1/A=1000");
    assert_string_equal(v.text[1], "L1/B=3000");
    assert_string_equal(v.text[2], "L2/A=2000");
    assert_string_equal(v.text[3], "L2/B=4000");
    /* A visitor that says stop ends the scan, which still succeeds. */
    memset(&v, 0, sizeof v);
    v.stop_after = 2;
    assert_int_equal(oci_store_records_scan(reader, "org", "[\"L1\",\"L2\",\"L3\"]", 0, visit_record, &v), CM_OK);
    assert_int_equal(v.count, 2);

    int64_t count = -1;
    assert_int_equal(oci_store_records_count(reader, "org", "[\"L1\",\"L2\"]", &count), CM_OK);
    assert_int_equal(count, 4);
    assert_int_equal(oci_store_records_count(reader, "org", "[\"L1\",\"L2\",\"L3\",\"L4\"]", &count), CM_OK);
    assert_int_equal(count, 5);
    assert_int_equal(oci_store_records_count(reader, "org", "[]", &count), CM_OK);
    assert_int_equal(count, 0);
    assert_int_equal(oci_store_records_count(reader, "nobody", "[\"L1\"]", &count), CM_OK);
    assert_int_equal(count, 0);
    oci_store_read_end(reader);
}

static oci_event event_at(const char *org, const char *place_type, const char *place, const char *sku)
{
    oci_event event;
    memset(&event, 0, sizeof event);
    event.org = org;
    event.place_type = place_type;
    event.location = place;
    event.sku = sku;
    event.event_type = "test";
    event.created_ms = NOW;
    event.new_values.on_hand = Q(1);
    return event;
}

typedef struct seen_events {
    size_t count;
    int64_t seq[16];
    char text[16][64];
} seen_events;

static int visit_event(void *context, int64_t seq, const char *place_type, const char *place, const char *sku)
{
    seen_events *seen = context;
    seen->seq[seen->count] = seq;
    snprintf(seen->text[seen->count++], sizeof seen->text[0], "%s:%s:%s", place_type, place, sku);
    return 0;
}

static void test_events_sequence_and_scan(void **state)
{
    fixture *f = *state;
    oci_store_conn *writer = th_store_begin(f->store);
    oci_event events[] = {event_at("org", NULL, "L1", "A"), event_at("other", NULL, "L1", "A"),
                          event_at("org", "group", "G", "A"), event_at("org", "location", "L2", "B"),
                          event_at("org", NULL, "L9", "C")};
    for (size_t i = 0; i < sizeof events / sizeof events[0]; i++)
        assert_int_equal(oci_store_event_add(writer, &events[i]), CM_OK);
    assert_int_equal(oci_store_write_commit(writer), CM_OK);

    oci_store_conn *reader = oci_store_read_begin(f->store);
    int64_t org_last = -1, other_last = -1, nobody_last = -1;
    assert_int_equal(oci_store_events_last_seq(reader, "org", &org_last), CM_OK);
    assert_int_equal(oci_store_events_last_seq(reader, "other", &other_last), CM_OK);
    assert_int_equal(oci_store_events_last_seq(reader, "nobody", &nobody_last), CM_OK);
    assert_int_equal(org_last, 5);
    assert_int_equal(other_last, 2);
    assert_int_equal(nobody_last, 0);

    /* Location events at the asked locations only; group events only when their group is asked. */
    seen_events seen = {0};
    int more = -1;
    assert_int_equal(oci_store_events_scan(reader, "org", 0, "[\"L1\",\"L2\"]", NULL, 10, visit_event, &seen, &more),
                     CM_OK);
    assert_int_equal(seen.count, 2);
    assert_string_equal(seen.text[0], "location:L1:A");
    assert_string_equal(seen.text[1], "location:L2:B");
    assert_int_equal(more, 0);
    memset(&seen, 0, sizeof seen);
    assert_int_equal(oci_store_events_scan(reader, "org", 0, "[\"L1\",\"L2\"]", "[\"G\"]", 10, visit_event, &seen,
                                           &more),
                     CM_OK);
    assert_int_equal(seen.count, 3);
    assert_string_equal(seen.text[1], "group:G:A");

    /* A limit: `more` says further events wait; the next page starts after the last seq seen. */
    memset(&seen, 0, sizeof seen);
    assert_int_equal(oci_store_events_scan(reader, "org", 0, "[\"L1\",\"L2\"]", "[\"G\"]", 2, visit_event, &seen,
                                           &more),
                     CM_OK);
    assert_int_equal(seen.count, 2);
    assert_int_equal(more, 1);
    int64_t after = seen.seq[1];
    memset(&seen, 0, sizeof seen);
    assert_int_equal(oci_store_events_scan(reader, "org", after, "[\"L1\",\"L2\"]", "[\"G\"]", 2, visit_event, &seen,
                                           &more),
                     CM_OK);
    assert_int_equal(seen.count, 1);
    assert_string_equal(seen.text[0], "location:L2:B");
    assert_int_equal(more, 0);
    /* Exactly `limit` events left: all of them, and no more waiting. */
    memset(&seen, 0, sizeof seen);
    assert_int_equal(oci_store_events_scan(reader, "org", 0, "[\"L1\",\"L2\"]", "[\"G\"]", 3, visit_event, &seen,
                                           &more),
                     CM_OK);
    assert_int_equal(seen.count, 3);
    assert_int_equal(more, 0);
    oci_store_read_end(reader);
}

static void test_idempotency_ids(void **state)
{
    fixture *f = *state;
    char location[OCI_LOCATION_ID_MAX + 1], sku[OCI_SKU_MAX + 1];
    int found = -1, claimed = -1;
    oci_store_conn *writer = th_store_begin(f->store);
    assert_int_equal(oci_store_applied_get(writer, "org", "r1", location, sku, &found), CM_OK);
    assert_int_equal(found, 0);
    assert_int_equal(oci_store_applied_add(writer, "org", "r1", "L1", "SKU-1", NOW), CM_OK);
    assert_int_equal(oci_store_applied_get(writer, "org", "r1", location, sku, &found), CM_OK);
    assert_int_equal(found, 1);
    assert_string_equal(location, "L1");
    assert_string_equal(sku, "SKU-1");
    /* Claiming an applied id claims nothing and keeps where it was applied. */
    assert_int_equal(oci_store_applied_claim(writer, "org", "r1", "L2", "SKU-2", NOW, &claimed), CM_OK);
    assert_int_equal(claimed, 0);
    assert_int_equal(oci_store_applied_get(writer, "org", "r1", location, sku, &found), CM_OK);
    assert_string_equal(location, "L1");
    /* A new id, and the same id in another organization, are claimed. */
    assert_int_equal(oci_store_applied_claim(writer, "org", "r2", "L2", "SKU-2", NOW, &claimed), CM_OK);
    assert_int_equal(claimed, 1);
    assert_int_equal(oci_store_applied_claim(writer, "other", "r1", "L3", "SKU-3", NOW, &claimed), CM_OK);
    assert_int_equal(claimed, 1);
    assert_int_equal(oci_store_applied_get(writer, "other", "r1", location, sku, &found), CM_OK);
    assert_string_equal(location, "L3");
    assert_int_equal(oci_store_write_commit(writer), CM_OK);

    /* Adding (not claiming) an applied id is an error the caller rolls back. */
    writer = th_store_begin(f->store);
    assert_int_not_equal(oci_store_applied_add(writer, "org", "r2", "L1", "SKU-1", NOW), CM_OK);
    oci_store_write_rollback(writer);
    oci_store_conn *reader = oci_store_read_begin(f->store);
    assert_int_equal(oci_store_applied_get(reader, "org", "r2", location, sku, &found), CM_OK);
    assert_int_equal(found, 1);
    assert_string_equal(location, "L2");
    oci_store_read_end(reader);
}

static oci_import_row import_row(const char *id, const char *org, const char *status, int64_t created_ms)
{
    oci_import_row row;
    memset(&row, 0, sizeof row);
    snprintf(row.id, sizeof row.id, "%s", id);
    snprintf(row.org, sizeof row.org, "%s", org);
    snprintf(row.file_name, sizeof row.file_name, "%s.jsonl", id);
    snprintf(row.status, sizeof row.status, "%s", status);
    row.created_ms = created_ms;
    row.link_expires_ms = created_ms + 60000;
    return row;
}

typedef struct ids {
    size_t count;
    char id[8][OCI_ID_MAX + 1];
} ids;

static int visit_id(void *context, const char *id)
{
    ids *list = context;
    snprintf(list->id[list->count++], sizeof list->id[0], "%s", id);
    return 0;
}

typedef struct failed_lines {
    size_t count;
    char text[8][160];
} failed_lines;

static int visit_failed_line(void *context, const char *record_id, const char *location, const char *sku,
                             const char *message)
{
    failed_lines *lines = context;
    snprintf(lines->text[lines->count++], sizeof lines->text[0], "%s|%s|%s|%s", record_id, location, sku, message);
    return 0;
}

static void test_imports(void **state)
{
    fixture *f = *state;
    oci_import_row full = import_row("imp-1", "org", "WAITING", NOW);
    snprintf(full.file_encoding, sizeof full.file_encoding, "GZIP");
    snprintf(full.file_hash, sizeof full.file_hash, "abc123");
    snprintf(full.file_hash_type, sizeof full.file_hash_type, "SHA-256");
    oci_store_conn *writer = th_store_begin(f->store);
    assert_int_equal(oci_store_import_insert(writer, &full), CM_OK);
    oci_import_row second = import_row("imp-2", "org", "WAITING", NOW + 10);
    second.link_expires_ms = NOW + 5; /* its link is dead at NOW + 5 */
    assert_int_equal(oci_store_import_insert(writer, &second), CM_OK);
    oci_import_row elsewhere = import_row("imp-3", "other", "WAITING", NOW);
    assert_int_equal(oci_store_import_insert(writer, &elsewhere), CM_OK);
    /* The id is the key; the status must be one of the five. */
    assert_int_not_equal(oci_store_import_insert(writer, &full), CM_OK);
    oci_import_row bad_status = import_row("imp-4", "org", "DONE", NOW);
    assert_int_not_equal(oci_store_import_insert(writer, &bad_status), CM_OK);
    assert_int_equal(oci_store_write_commit(writer), CM_OK);

    oci_store_conn *reader = oci_store_read_begin(f->store);
    oci_import_row row;
    int found = 0;
    assert_int_equal(oci_store_import_get(reader, "imp-1", &row, &found), CM_OK);
    assert_int_equal(found, 1);
    assert_string_equal(row.org, "org");
    assert_string_equal(row.file_name, "imp-1.jsonl");
    assert_string_equal(row.file_encoding, "GZIP");
    assert_string_equal(row.file_hash, "abc123");
    assert_string_equal(row.file_hash_type, "SHA-256");
    assert_string_equal(row.status, "WAITING");
    assert_int_equal(row.created_ms, NOW);
    assert_int_equal(row.link_expires_ms, NOW + 60000);
    assert_int_equal(oci_store_import_get(reader, "imp-4", &row, &found), CM_OK);
    assert_int_equal(found, 0);
    ids list = {0};
    assert_int_equal(oci_store_import_list(reader, "org", 0, NOW + 6, visit_id, &list), CM_OK);
    assert_int_equal(list.count, 2);
    assert_string_equal(list.id[0], "imp-1");
    assert_string_equal(list.id[1], "imp-2");
    memset(&list, 0, sizeof list);
    assert_int_equal(oci_store_import_list(reader, "org", 1, NOW + 6, visit_id, &list), CM_OK);
    assert_int_equal(list.count, 1);
    assert_string_equal(list.id[0], "imp-1");
    char next[OCI_ID_MAX + 1];
    assert_int_equal(oci_store_import_next(reader, next, &found), CM_OK);
    assert_int_equal(found, 0); /* WAITING imports are not work yet */
    oci_store_read_end(reader);

    /* Upload: WAITING -> PENDING once. */
    int changed = -1;
    writer = th_store_begin(f->store);
    assert_int_equal(oci_store_import_set_uploaded(writer, "imp-1", "/data/imp-1", 10, 200, 1, &changed), CM_OK);
    assert_int_equal(changed, 1);
    assert_int_equal(oci_store_import_set_uploaded(writer, "imp-1", "/data/again", 0, 0, 0, &changed), CM_OK);
    assert_int_equal(changed, 0);
    assert_int_equal(oci_store_import_set_uploaded(writer, "imp-none", "/data/x", 0, 0, 0, &changed), CM_OK);
    assert_int_equal(changed, 0);
    assert_int_equal(oci_store_import_set_uploaded(writer, "imp-2", "/data/imp-2", 0, 50, 0, &changed), CM_OK);
    assert_int_equal(changed, 1);
    assert_int_equal(oci_store_import_get(writer, "imp-1", &row, &found), CM_OK);
    assert_string_equal(row.status, "PENDING");
    assert_string_equal(row.upload_path, "/data/imp-1");
    assert_int_equal(row.part_offset, 10);
    assert_int_equal(row.part_length, 200);
    assert_int_equal(row.gzip, 1);
    /* The oldest PENDING is next, until an import RUNS: a running one always comes first. */
    assert_int_equal(oci_store_import_next(writer, next, &found), CM_OK);
    assert_int_equal(found, 1);
    assert_string_equal(next, "imp-1");
    assert_int_equal(oci_store_import_get(writer, "imp-2", &row, &found), CM_OK);
    snprintf(row.status, sizeof row.status, "RUNNING");
    row.started_ms = NOW + 20;
    row.read_count = 11;
    row.processed_count = 9;
    row.skipped_count = 1;
    row.failed_count = 1;
    row.line_cursor = 11;
    row.parser_layout = 2;
    row.parser_has_location = 1;
    snprintf(row.parser_location, sizeof row.parser_location, "L1");
    snprintf(row.validation_error, sizeof row.validation_error, "none");
    snprintf(row.result_status, sizeof row.result_status, "COMPLETED_WITH_PARTIAL_FAILURES");
    assert_int_equal(oci_store_import_update(writer, &row), CM_OK);
    assert_int_equal(oci_store_import_next(writer, next, &found), CM_OK);
    assert_string_equal(next, "imp-2");
    assert_int_equal(oci_store_import_error_add(writer, "imp-2", 7, "r7", "L1", "SKU-7", "second"), CM_OK);
    assert_int_equal(oci_store_import_error_add(writer, "imp-2", 3, "r3", "L1", "SKU-3", "first"), CM_OK);
    assert_int_equal(oci_store_import_error_add(writer, "imp-2", 7, "r7", "L1", "SKU-7", "replaced"), CM_OK);
    assert_int_equal(oci_store_write_commit(writer), CM_OK);

    reader = oci_store_read_begin(f->store);
    assert_int_equal(oci_store_import_get(reader, "imp-2", &row, &found), CM_OK);
    assert_string_equal(row.status, "RUNNING");
    assert_int_equal(row.started_ms, NOW + 20);
    assert_int_equal(row.read_count, 11);
    assert_int_equal(row.processed_count, 9);
    assert_int_equal(row.skipped_count, 1);
    assert_int_equal(row.failed_count, 1);
    assert_int_equal(row.line_cursor, 11);
    assert_int_equal(row.parser_layout, 2);
    assert_int_equal(row.parser_has_location, 1);
    assert_string_equal(row.parser_location, "L1");
    assert_string_equal(row.validation_error, "none");
    assert_string_equal(row.result_status, "COMPLETED_WITH_PARTIAL_FAILURES");
    assert_string_equal(row.upload_path, "/data/imp-2");
    failed_lines lines = {0};
    assert_int_equal(oci_store_import_errors_scan(reader, "imp-2", visit_failed_line, &lines), CM_OK);
    assert_int_equal(lines.count, 2);
    assert_string_equal(lines.text[0], "r3|L1|SKU-3|first"); /* by line number */
    assert_string_equal(lines.text[1], "r7|L1|SKU-7|replaced");
    oci_store_read_end(reader);

    /* Deleting an import takes its failed lines with it. */
    writer = th_store_begin(f->store);
    assert_int_equal(oci_store_import_delete(writer, "imp-2"), CM_OK);
    assert_int_equal(oci_store_write_commit(writer), CM_OK);
    reader = oci_store_read_begin(f->store);
    assert_int_equal(oci_store_import_get(reader, "imp-2", &row, &found), CM_OK);
    assert_int_equal(found, 0);
    memset(&lines, 0, sizeof lines);
    assert_int_equal(oci_store_import_errors_scan(reader, "imp-2", visit_failed_line, &lines), CM_OK);
    assert_int_equal(lines.count, 0);
    oci_store_read_end(reader);
}

static oci_export_row export_row(const char *id, const char *org, const char *kind, const char *status,
                                 int64_t created_ms)
{
    oci_export_row row;
    memset(&row, 0, sizeof row);
    snprintf(row.id, sizeof row.id, "%s", id);
    snprintf(row.org, sizeof row.org, "%s", org);
    snprintf(row.kind, sizeof row.kind, "%s", kind);
    snprintf(row.status, sizeof row.status, "%s", status);
    row.created_ms = created_ms;
    return row;
}

static void test_exports(void **state)
{
    fixture *f = *state;
    oci_export_row graph = export_row("exp-1", "org", "graph", "PENDING", NOW);
    oci_export_row availability = export_row("exp-2", "org", "availability", "COMPLETED", NOW + 1);
    snprintf(availability.place_type, sizeof availability.place_type, "locations");
    char places[] = "[\"L1\",\"L2\"]";
    availability.places = places;
    oci_export_row other = export_row("exp-3", "other", "availability", "RUNNING", NOW + 2);
    oci_export_row bad_kind = export_row("exp-4", "org", "records", "PENDING", NOW);
    oci_store_conn *writer = th_store_begin(f->store);
    assert_int_equal(oci_store_export_insert(writer, &graph), CM_OK);
    assert_int_equal(oci_store_export_insert(writer, &availability), CM_OK);
    assert_int_equal(oci_store_export_insert(writer, &other), CM_OK);
    assert_int_not_equal(oci_store_export_insert(writer, &bad_kind), CM_OK);
    assert_int_equal(oci_store_write_commit(writer), CM_OK);

    oci_store_conn *reader = oci_store_read_begin(f->store);
    oci_export_row row;
    int found = 0, busy = -1;
    assert_int_equal(oci_store_export_get(reader, "exp-2", &row, &found), CM_OK);
    assert_int_equal(found, 1);
    assert_string_equal(row.kind, "availability");
    assert_string_equal(row.place_type, "locations");
    assert_string_equal(row.places, "[\"L1\",\"L2\"]");
    assert_ptr_not_equal(row.places, places); /* a copy the caller frees */
    oci_export_row_clear(&row);
    assert_null(row.places);
    assert_int_equal(oci_store_export_get(reader, "exp-1", &row, &found), CM_OK);
    assert_string_equal(row.places, "[]"); /* no places given */
    oci_export_row_clear(&row);
    assert_int_equal(oci_store_export_get(reader, "exp-4", &row, &found), CM_OK);
    assert_int_equal(found, 0);
    assert_null(row.places);
    /* Busy: an availability export of the organization PENDING or RUNNING (a graph export is not). */
    assert_int_equal(oci_store_export_busy(reader, "org", &busy), CM_OK);
    assert_int_equal(busy, 0);
    assert_int_equal(oci_store_export_busy(reader, "other", &busy), CM_OK);
    assert_int_equal(busy, 1);
    char next[OCI_ID_MAX + 1];
    assert_int_equal(oci_store_export_next(reader, next, &found), CM_OK);
    assert_int_equal(found, 1);
    assert_string_equal(next, "exp-1");
    oci_store_read_end(reader);

    writer = th_store_begin(f->store);
    graph.started_ms = NOW + 3;
    graph.ended_ms = NOW + 4;
    graph.expires_ms = NOW + 5;
    snprintf(graph.status, sizeof graph.status, "COMPLETED");
    snprintf(graph.file_path, sizeof graph.file_path, "/data/exp-1.json");
    graph.file_size = 1234;
    snprintf(graph.file_hash, sizeof graph.file_hash, "%064d", 7);
    graph.processed_count = 3;
    graph.exported_count = 2;
    assert_int_equal(oci_store_export_update(writer, &graph), CM_OK);
    assert_int_equal(oci_store_export_get(writer, "exp-1", &row, &found), CM_OK);
    assert_string_equal(row.status, "COMPLETED");
    assert_int_equal(row.started_ms, NOW + 3);
    assert_int_equal(row.ended_ms, NOW + 4);
    assert_int_equal(row.expires_ms, NOW + 5);
    assert_string_equal(row.file_path, "/data/exp-1.json");
    assert_int_equal(row.file_size, 1234);
    assert_string_equal(row.file_hash, graph.file_hash);
    assert_int_equal(row.processed_count, 3);
    assert_int_equal(row.exported_count, 2);
    oci_export_row_clear(&row);
    assert_int_equal(oci_store_export_next(writer, next, &found), CM_OK);
    assert_string_equal(next, "exp-3");
    assert_int_equal(oci_store_export_delete(writer, "exp-3"), CM_OK);
    assert_int_equal(oci_store_export_next(writer, next, &found), CM_OK);
    assert_int_equal(found, 0);
    assert_int_equal(oci_store_export_busy(writer, "other", &busy), CM_OK);
    assert_int_equal(busy, 0);
    assert_int_equal(oci_store_write_commit(writer), CM_OK);
}

static void test_delta_tokens(void **state)
{
    fixture *f = *state;
    char places[] = "[\"G\"]";
    oci_delta_token token = {.after_seq = 42, .created_ms = NOW, .places = places};
    snprintf(token.token, sizeof token.token, "tok-1");
    snprintf(token.org, sizeof token.org, "org");
    snprintf(token.place_type, sizeof token.place_type, "groups");
    oci_delta_token no_places = token;
    no_places.places = NULL;
    snprintf(no_places.token, sizeof no_places.token, "tok-2");
    oci_store_conn *writer = th_store_begin(f->store);
    assert_int_equal(oci_store_token_insert(writer, &token), CM_OK);
    assert_int_equal(oci_store_token_insert(writer, &no_places), CM_OK);
    assert_int_not_equal(oci_store_token_insert(writer, &token), CM_OK); /* tokens are unique */
    assert_int_equal(oci_store_write_commit(writer), CM_OK);

    oci_store_conn *reader = oci_store_read_begin(f->store);
    oci_delta_token read;
    int found = 0;
    assert_int_equal(oci_store_token_get(reader, "tok-1", &read, &found), CM_OK);
    assert_int_equal(found, 1);
    assert_string_equal(read.org, "org");
    assert_string_equal(read.place_type, "groups");
    assert_string_equal(read.places, "[\"G\"]");
    assert_int_equal(read.after_seq, 42);
    assert_int_equal(read.created_ms, NOW);
    oci_delta_token_clear(&read);
    assert_null(read.places);
    assert_int_equal(oci_store_token_get(reader, "tok-2", &read, &found), CM_OK);
    assert_string_equal(read.places, "[]");
    oci_delta_token_clear(&read);
    assert_int_equal(oci_store_token_get(reader, "tok-3", &read, &found), CM_OK);
    assert_int_equal(found, 0);
    assert_null(read.places);
    oci_store_read_end(reader);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_reopen_and_refusal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_record_round_trip_of_every_field, setup, teardown),
        cmocka_unit_test_setup_teardown(test_negative_quantities_are_refused_by_the_schema, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rollback_discards_and_readers_keep_their_snapshot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_records_scan_and_count, setup, teardown),
        cmocka_unit_test_setup_teardown(test_events_sequence_and_scan, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idempotency_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(test_imports, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exports, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delta_tokens, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
