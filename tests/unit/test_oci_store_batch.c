/*
 * test_oci_store_batch.c - the store's multi-row side (oci_core/store.h "several records in one
 * statement" and "batch markers", the functions of store_batch.c) on a real SQLite file in a
 * temporary folder: grouped reads of old figures (out[i]/exists[i] kept in step with the keys
 * across the 32-, 16-, … 1-row statements a group is split into), multi-row upserts (create,
 * replace every field, futures in some rows only), events stored in order with their derived
 * figures, record-id claims per group (ids applied before, ids repeated in the group, other
 * organizations), the batch markers of applied_batches, the group limit (1, 31, 32 rows work;
 * 33 is refused and changes nothing), SQLite errors (a CHECK constraint, a read-only
 * connection, a missing table) and rows damaged behind the store's back.
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
#define DAY (24LL * 3600 * 1000)
#define GROUP OCI_STORE_GROUP_MAX
#define KEYS (GROUP + 1)

typedef struct fixture {
    char dir[256];
    char path[400];
    oci_store *store;
    /* Keys for up to 33 rows: location L<i % 3>, sku S-<i>. */
    char location_text[KEYS][16], sku_text[KEYS][16], id_text[KEYS][16];
    const char *locations[KEYS], *skus[KEYS], *ids[KEYS];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    th_temp_dir(f->dir, sizeof f->dir);
    snprintf(f->path, sizeof f->path, "%s/oci.db", f->dir);
    char error[OCI_ERROR_MAX];
    assert_int_equal(oci_store_open(f->path, &f->store, error), CM_OK);
    for (size_t i = 0; i < KEYS; i++) {
        snprintf(f->location_text[i], sizeof f->location_text[i], "L%zu", i % 3);
        snprintf(f->sku_text[i], sizeof f->sku_text[i], "S-%zu", i);
        snprintf(f->id_text[i], sizeof f->id_text[i], "id-%zu", i);
        f->locations[i] = f->location_text[i];
        f->skus[i] = f->sku_text[i];
        f->ids[i] = f->id_text[i];
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    oci_store_close(f->store);
    th_remove_tree(f->dir);
    free(f);
    return 0;
}

/* One integer from the file through a connection of the test's own (after a commit). */
/* The record of key i as this file writes it: figures derived from i, a date and futures on some. */
static oci_quantities record_for(size_t i, int64_t base)
{
    oci_quantities record;
    memset(&record, 0, sizeof record);
    record.on_hand = base + Q(i) + 1;
    record.reserved = (int64_t)i;
    record.safety_stock = Q(1) + (int64_t)i;
    if (i % 2) {
        record.has_effective_date = 1;
        record.effective_ms = NOW - (int64_t)i * DAY;
    }
    if (i % 3 == 0) {
        record.future_count = 1 + i % 4;
        for (size_t k = 0; k < record.future_count; k++)
            record.futures[k] = (oci_future){NOW + (int64_t)(k + 1) * DAY, base + Q(k + 1) + (int64_t)i};
    }
    return record;
}

static void assert_same_record(const oci_quantities *got, const oci_quantities *want)
{
    assert_int_equal(got->on_hand, want->on_hand);
    assert_int_equal(got->reserved, want->reserved);
    assert_int_equal(got->safety_stock, want->safety_stock);
    assert_int_equal(got->has_effective_date, want->has_effective_date);
    if (want->has_effective_date)
        assert_int_equal(got->effective_ms, want->effective_ms);
    assert_int_equal(got->future_count, want->future_count);
    for (size_t k = 0; k < want->future_count; k++) {
        assert_int_equal(got->futures[k].expected_ms, want->futures[k].expected_ms);
        assert_int_equal(got->futures[k].quantity_milli, want->futures[k].quantity_milli);
    }
}

static void assert_zero_record(const oci_quantities *got)
{
    assert_int_equal(got->on_hand, 0);
    assert_int_equal(got->reserved, 0);
    assert_int_equal(got->safety_stock, 0);
    assert_int_equal(got->has_effective_date, 0);
    assert_int_equal(got->future_count, 0);
}

/* Reads keys [0, count) with records_get_many; every third key (and those >= stored) has none. */
static void check_get_many(fixture *f, size_t count, size_t stored)
{
    oci_quantities out[KEYS];
    int exists[KEYS];
    /* Garbage first: a key without a record must come back as zeros, not as what was there. */
    memset(out, 0x5a, sizeof out);
    for (size_t i = 0; i < KEYS; i++)
        exists[i] = 7;
    oci_store_conn *reader = oci_store_read_begin(f->store);
    assert_non_null(reader);
    assert_int_equal(oci_store_records_get_many(reader, "org", f->locations, f->skus, count, out, exists), CM_OK);
    oci_store_read_end(reader);
    for (size_t i = 0; i < count; i++) {
        int want = i < stored && i % 3 != 2;
        if (exists[i] != want)
            fail_msg("count %zu: key %zu exists=%d, expected %d", count, i, exists[i], want);
        if (want) {
            oci_quantities expected = record_for(i, Q(100));
            assert_same_record(&out[i], &expected);
        } else {
            assert_zero_record(&out[i]);
        }
    }
    /* Entries past `count` are not touched. */
    for (size_t i = count; i < KEYS; i++)
        assert_int_equal(exists[i], 7);
}

static void test_get_many_keeps_every_key_in_its_place(void **state)
{
    fixture *f = *state;
    /* 32 keys; every third has no record; the same keys in another organization hold other figures. */
    oci_store_conn *writer = th_store_begin(f->store);
    for (size_t i = 0; i < GROUP; i++) {
        oci_quantities other = record_for(i, Q(900));
        assert_int_equal(oci_store_record_put(writer, "other", f->locations[i], f->skus[i], &other, NOW), CM_OK);
        if (i % 3 == 2)
            continue;
        oci_quantities record = record_for(i, Q(100));
        assert_int_equal(oci_store_record_put(writer, "org", f->locations[i], f->skus[i], &record, NOW), CM_OK);
    }
    /* A record at the same sku but another location is not the key's. */
    oci_quantities decoy = record_for(2, Q(500));
    assert_int_equal(oci_store_record_put(writer, "org", "L9", f->skus[2], &decoy, NOW), CM_OK);
    assert_int_equal(oci_store_write_commit(writer), CM_OK);

    /* Every size that splits differently: 1, 2, 3 (2+1), 7 (4+2+1), 13 (8+4+1), 31 (16+8+4+2+1), 32. */
    static const size_t COUNTS[] = {0, 1, 2, 3, 7, 13, 31, 32};
    for (size_t c = 0; c < sizeof COUNTS / sizeof COUNTS[0]; c++)
        check_get_many(f, COUNTS[c], GROUP);

    /* The writer reads through the same statements, and sees its own uncommitted change. */
    writer = th_store_begin(f->store);
    oci_quantities changed = record_for(4, Q(100));
    changed.on_hand = Q(77);
    assert_int_equal(oci_store_record_put(writer, "org", f->locations[4], f->skus[4], &changed, NOW), CM_OK);
    oci_quantities out[GROUP];
    int exists[GROUP];
    assert_int_equal(oci_store_records_get_many(writer, "org", f->locations, f->skus, 5, out, exists), CM_OK);
    assert_int_equal(exists[4], 1);
    assert_int_equal(out[4].on_hand, Q(77));
    oci_store_write_rollback(writer);

    /* An organization with no records: nothing exists. */
    oci_store_conn *reader = oci_store_read_begin(f->store);
    assert_int_equal(oci_store_records_get_many(reader, "nobody", f->locations, f->skus, GROUP, out, exists), CM_OK);
    for (size_t i = 0; i < GROUP; i++)
        assert_int_equal(exists[i], 0);
    /* One more than a group is refused. */
    oci_quantities big[KEYS];
    int big_exists[KEYS];
    assert_int_equal(oci_store_records_get_many(reader, "org", f->locations, f->skus, KEYS, big, big_exists),
                     CM_EINVAL);
    oci_store_read_end(reader);
}

static void test_put_many_creates_and_replaces(void **state)
{
    fixture *f = *state;
    static const size_t COUNTS[] = {1, 31, 32};
    for (size_t c = 0; c < sizeof COUNTS / sizeof COUNTS[0]; c++) {
        size_t count = COUNTS[c];
        char org[16];
        snprintf(org, sizeof org, "org-%zu", count);
        oci_quantities records[GROUP];
        for (size_t i = 0; i < count; i++)
            records[i] = record_for(i, Q(10));
        oci_store_conn *writer = th_store_begin(f->store);
        assert_int_equal(
            oci_store_records_put_many(writer, org, f->locations, f->skus, records, count, NOW), CM_OK);
        assert_int_equal(oci_store_write_commit(writer), CM_OK);
        oci_store_conn *reader = oci_store_read_begin(f->store);
        for (size_t i = 0; i < count; i++) {
            oci_quantities got;
            int exists = 0;
            assert_int_equal(oci_store_record_get(reader, org, f->locations[i], f->skus[i], &got, &exists), CM_OK);
            assert_int_equal(exists, 1);
            assert_same_record(&got, &records[i]);
        }
        oci_store_read_end(reader);
        char sql[160];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM records WHERE org = '%s' AND updated_ms = %lld", org,
                 (long long)NOW);
        assert_int_equal(th_store_sql_int(f->path, sql), (int64_t)count);
    }

    /* A second put replaces every field: no date and no futures where there were some. */
    oci_quantities plain[GROUP];
    for (size_t i = 0; i < GROUP; i++) {
        memset(&plain[i], 0, sizeof plain[i]);
        plain[i].on_hand = Q(5) + (int64_t)i;
    }
    oci_store_conn *writer = th_store_begin(f->store);
    assert_int_equal(oci_store_records_put_many(writer, "org-32", f->locations, f->skus, plain, GROUP, NOW + 1),
                     CM_OK);
    assert_int_equal(oci_store_write_commit(writer), CM_OK);
    oci_quantities out[GROUP];
    int exists[GROUP];
    oci_store_conn *reader = oci_store_read_begin(f->store);
    assert_int_equal(oci_store_records_get_many(reader, "org-32", f->locations, f->skus, GROUP, out, exists), CM_OK);
    oci_store_read_end(reader);
    for (size_t i = 0; i < GROUP; i++) {
        assert_int_equal(exists[i], 1);
        assert_same_record(&out[i], &plain[i]);
    }
    assert_int_equal(th_store_sql_int(f->path, "SELECT count(*) FROM records WHERE org = 'org-32' AND updated_ms = 1700000000001"),
                     GROUP);
    assert_int_equal(th_store_sql_int(f->path, "SELECT count(*) FROM records WHERE org = 'org-32' AND futures <> ''"), 0);
    /* The other organizations were not touched. */
    assert_int_equal(th_store_sql_int(f->path, "SELECT count(*) FROM records WHERE org = 'org-31' AND updated_ms = 1700000000000"),
                     31);

    /* 33 rows: refused, nothing written. */
    oci_quantities many[KEYS];
    for (size_t i = 0; i < KEYS; i++)
        many[i] = record_for(i, 0);
    writer = th_store_begin(f->store);
    assert_int_equal(oci_store_records_put_many(writer, "org-33", f->locations, f->skus, many, KEYS, NOW), CM_EINVAL);
    assert_int_equal(oci_store_records_put_many(writer, "org-0", f->locations, f->skus, many, 0, NOW), CM_OK);
    assert_int_equal(oci_store_write_commit(writer), CM_OK);
    assert_int_equal(th_store_sql_int(f->path, "SELECT count(*) FROM records WHERE org IN ('org-33', 'org-0')"), 0);
}

static void test_put_many_refusals(void **state)
{
    fixture *f = *state;
    /* A negative figure in the last row of a 3-row group (the 1-row statement) fails the call. */
    oci_quantities records[3] = {record_for(0, 0), record_for(1, 0), record_for(2, 0)};
    records[2].on_hand = -1;
    oci_store_conn *writer = th_store_begin(f->store);
    assert_int_equal(oci_store_records_put_many(writer, "org", f->locations, f->skus, records, 3, NOW), CM_EEXIST);
    oci_store_write_rollback(writer);
    /* ... and in the first row of the 2-row statement: the call stops there. */
    records[2].on_hand = Q(1);
    records[0].safety_stock = -5;
    writer = th_store_begin(f->store);
    assert_int_equal(oci_store_records_put_many(writer, "org", f->locations, f->skus, records, 3, NOW), CM_EEXIST);
    oci_store_write_rollback(writer);
    assert_int_equal(th_store_sql_int(f->path, "SELECT count(*) FROM records"), 0);

    /* A missing key column (NULL sku) is refused by the schema. */
    const char *skus[2] = {"S-0", NULL};
    records[0].safety_stock = 0;
    writer = th_store_begin(f->store);
    assert_int_not_equal(oci_store_records_put_many(writer, "org", f->locations, skus, records, 2, NOW), CM_OK);
    oci_store_write_rollback(writer);

    /* A reader connection cannot write (PRAGMA query_only). */
    oci_store_conn *reader = oci_store_read_begin(f->store);
    assert_int_not_equal(oci_store_records_put_many(reader, "org", f->locations, f->skus, records, 2, NOW), CM_OK);
    oci_store_read_end(reader);
    assert_int_equal(th_store_sql_int(f->path, "SELECT count(*) FROM records"), 0);

    /* The connection stays usable after the failures. */
    writer = th_store_begin(f->store);
    assert_int_equal(oci_store_records_put_many(writer, "org", f->locations, f->skus, records, 3, NOW), CM_OK);
    assert_int_equal(oci_store_write_commit(writer), CM_OK);
    assert_int_equal(th_store_sql_int(f->path, "SELECT count(*) FROM records"), 3);
}

/* An event of key i with figures derived from i. */
static oci_event event_for(fixture *f, size_t i)
{
    oci_event event;
    memset(&event, 0, sizeof event);
    event.org = "org";
    event.location = f->locations[i];
    event.sku = "SKU";
    event.event_type = i % 2 ? "update" : "import";
    event.record_id = i % 4 == 0 ? NULL : f->ids[i];
    event.place_type = i % 5 == 4 ? "group" : (i % 5 == 3 ? "location" : NULL);
    event.created_ms = NOW + (int64_t)i;
    if (i % 2) {
        event.has_effective_date = 1;
        event.effective_ms = NOW - DAY + (int64_t)i;
    }
    event.old_values.on_hand = Q(i);
    event.old_values.reserved = Q(1);
    event.old_values.safety_stock = 0;
    event.new_values.on_hand = Q(i + 10);
    event.new_values.reserved = Q(2);
    event.new_values.safety_stock = Q(3);
    if (i % 3 == 1) {
        event.new_values.future_count = 2;
        event.new_values.futures[0] = (oci_future){NOW + DAY, Q(4)};
        event.new_values.futures[1] = (oci_future){NOW + 2 * DAY, (int64_t)i};
        event.old_values.future_count = 1;
        event.old_values.futures[0] = (oci_future){NOW + DAY, Q(1)};
    }
    event.deleted = i == 7;
    return event;
}

typedef struct event_rows {
    size_t count;
    oci_event_row rows[KEYS * 2];
} event_rows;

static int collect_event(void *context, const oci_event_row *row)
{
    event_rows *list = context;
    if (list->count < sizeof list->rows / sizeof list->rows[0])
        list->rows[list->count++] = *row;
    return 0;
}

static void test_events_add_many_in_order(void **state)
{
    fixture *f = *state;
    oci_event events[KEYS];
    for (size_t i = 0; i < KEYS; i++)
        events[i] = event_for(f, i);
    /* 32 (one statement), then 5 (4 + 1) and then 1: sequence numbers follow the array order. */
    oci_store_conn *writer = th_store_begin(f->store);
    assert_int_equal(oci_store_events_add_many(writer, events, GROUP), CM_OK);
    assert_int_equal(oci_store_events_add_many(writer, events, 5), CM_OK);
    assert_int_equal(oci_store_event_add(writer, &events[9]), CM_OK);
    assert_int_equal(oci_store_events_add_many(writer, events, 0), CM_OK);
    /* 33: refused, nothing stored. */
    assert_int_equal(oci_store_events_add_many(writer, events, KEYS), CM_EINVAL);
    assert_int_equal(oci_store_write_commit(writer), CM_OK);
    assert_int_equal(th_store_sql_int(f->path, "SELECT count(*) FROM events"), GROUP + 5 + 1);
    assert_int_equal(th_store_sql_int(f->path, "SELECT max(seq) FROM events"), GROUP + 5 + 1);
    for (size_t i = 0; i < GROUP; i++) {
        char sql[200];
        snprintf(sql, sizeof sql, "SELECT created_ms FROM events WHERE seq = %zu", i + 1);
        assert_int_equal(th_store_sql_int(f->path, sql), events[i].created_ms);
    }
    assert_int_equal(th_store_sql_int(f->path, "SELECT created_ms FROM events WHERE seq = 37"), events[4].created_ms);
    assert_int_equal(th_store_sql_int(f->path, "SELECT created_ms FROM events WHERE seq = 38"), events[9].created_ms);

    /* Every column as given, and the derived ones: ATF and ATO of old and new, the place type. */
    assert_int_equal(th_store_sql_int(f->path, "SELECT count(*) FROM events WHERE record_id IS NULL"), 8 + 2 + 0);
    assert_int_equal(th_store_sql_int(f->path, "SELECT count(*) FROM events WHERE place_type = 'group'"), 6 + 1 + 1);
    assert_int_equal(th_store_sql_int(f->path, "SELECT count(*) FROM events WHERE deleted = 1"), 1);
    assert_int_equal(th_store_sql_int(f->path, "SELECT seq FROM events WHERE deleted = 1"), 8);
    assert_int_equal(th_store_sql_int(f->path, "SELECT count(*) FROM events WHERE event_type = 'update' AND seq <= 32"), 16);
    assert_int_equal(th_store_sql_int(f->path, "SELECT count(*) FROM events WHERE effective_ms IS NULL AND seq <= 32"), 16);
    assert_int_equal(th_store_sql_int(f->path, "SELECT count(*) FROM events WHERE old_futures = '' AND new_futures = ''"
                                " AND seq <= 32"),
                     21);
    event_rows *list = calloc(1, sizeof *list);
    assert_non_null(list);
    oci_store_conn *reader = oci_store_read_begin(f->store);
    assert_int_equal(oci_store_events_of_sku(reader, "org", "SKU", 0, INT64_MAX, collect_event, list), CM_OK);
    oci_store_read_end(reader);
    assert_int_equal(list->count, GROUP + 5 + 1);
    size_t checked = 0;
    for (size_t r = 0; r < list->count; r++) {
        const oci_event_row *row = &list->rows[r];
        if (row->seq > GROUP)
            continue;
        size_t i = (size_t)row->seq - 1;
        const oci_event *e = &events[i];
        assert_string_equal(row->place, e->location);
        assert_string_equal(row->place_type, e->place_type ? e->place_type : "location");
        assert_string_equal(row->event_type, e->event_type);
        assert_int_equal(row->created_ms, e->created_ms);
        assert_int_equal(row->has_effective_date, e->has_effective_date);
        if (e->has_effective_date)
            assert_int_equal(row->effective_ms, e->effective_ms);
        assert_int_equal(row->old_on_hand, e->old_values.on_hand);
        assert_int_equal(row->new_on_hand, e->new_values.on_hand);
        assert_int_equal(row->old_reserved, Q(1));
        assert_int_equal(row->new_reserved, Q(2));
        assert_int_equal(row->old_safety_stock, 0);
        assert_int_equal(row->new_safety_stock, Q(3));
        /* ATF = onHand - reserved - safety stock, ATO adds the futures; neither goes below 0. */
        int64_t old_futures = i % 3 == 1 ? Q(1) : 0, new_futures = i % 3 == 1 ? Q(4) + (int64_t)i : 0;
        assert_int_equal(row->old_atf, i == 0 ? 0 : e->old_values.on_hand - Q(1));
        assert_int_equal(row->new_atf, e->new_values.on_hand - Q(2) - Q(3));
        assert_int_equal(row->old_ato, i == 0 ? 0 : e->old_values.on_hand + old_futures - Q(1));
        assert_int_equal(row->new_ato, e->new_values.on_hand + new_futures - Q(2) - Q(3));
        assert_int_equal(row->new_futures_total, i % 3 == 1 ? Q(4) + (int64_t)i : 0);
        checked++;
    }
    assert_int_equal(checked, GROUP);
    free(list);
    /* The futures text of one event, old and new. */
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT old_futures, new_futures, record_id FROM events WHERE seq = 2",
                                        -1, &s, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(s, 0), "1700086400000:1000");
    assert_string_equal((const char *)sqlite3_column_text(s, 1), "1700086400000:4000;1700172800000:1");
    assert_string_equal((const char *)sqlite3_column_text(s, 2), "id-1");
    sqlite3_finalize(s);
    sqlite3_close(db);
}

static void test_events_add_many_refusals(void **state)
{
    fixture *f = *state;
    oci_event events[3] = {event_for(f, 0), event_for(f, 1), event_for(f, 2)};
    /* A place type the schema does not know, in the 1-row statement of a 3-event group. */
    events[2].place_type = "region";
    oci_store_conn *writer = th_store_begin(f->store);
    assert_int_equal(oci_store_events_add_many(writer, events, 3), CM_EEXIST);
    oci_store_write_rollback(writer);
    /* No organization (NOT NULL). */
    events[2].place_type = NULL;
    events[0].org = NULL;
    writer = th_store_begin(f->store);
    assert_int_equal(oci_store_events_add_many(writer, events, 3), CM_EEXIST);
    oci_store_write_rollback(writer);
    /* On a reader. */
    events[0].org = "org";
    oci_store_conn *reader = oci_store_read_begin(f->store);
    assert_int_not_equal(oci_store_events_add_many(reader, events, 3), CM_OK);
    oci_store_read_end(reader);
    assert_int_equal(th_store_sql_int(f->path, "SELECT count(*) FROM events"), 0);
    writer = th_store_begin(f->store);
    assert_int_equal(oci_store_events_add_many(writer, events, 3), CM_OK);
    assert_int_equal(oci_store_write_commit(writer), CM_OK);
    assert_int_equal(th_store_sql_int(f->path, "SELECT count(*) FROM events"), 3);
}

static void test_claim_many(void **state)
{
    fixture *f = *state;
    char location[OCI_LOCATION_ID_MAX + 1], sku[OCI_SKU_MAX + 1];
    int found = 0;
    /* Applied before: ids 3, 17 and 30 (at other places), and id 5 in another organization. */
    oci_store_conn *writer = th_store_begin(f->store);
    assert_int_equal(oci_store_applied_add(writer, "org", "id-3", "LX", "SX", NOW - 1), CM_OK);
    assert_int_equal(oci_store_applied_add(writer, "org", "id-17", "LX", "SX", NOW - 1), CM_OK);
    assert_int_equal(oci_store_applied_add(writer, "org", "id-30", "LX", "SX", NOW - 1), CM_OK);
    assert_int_equal(oci_store_applied_add(writer, "other", "id-5", "LX", "SX", NOW - 1), CM_OK);
    assert_int_equal(oci_store_write_commit(writer), CM_OK);

    /* 32 entries: id 20 repeats id 8 (so entry 20 carries "id-8"). */
    const char *ids[GROUP];
    for (size_t i = 0; i < GROUP; i++)
        ids[i] = f->ids[i];
    ids[20] = "id-8";
    int claimed[GROUP];
    memset(claimed, 0x7f, sizeof claimed);
    writer = th_store_begin(f->store);
    assert_int_equal(oci_store_applied_claim_many(writer, "org", ids, f->locations, f->skus, GROUP, NOW, claimed),
                     CM_OK);
    assert_int_equal(oci_store_write_commit(writer), CM_OK);
    for (size_t i = 0; i < GROUP; i++) {
        int want = !(i == 3 || i == 17 || i == 30 || i == 20);
        if (claimed[i] != want)
            fail_msg("entry %zu (%s): claimed=%d, expected %d", i, ids[i], claimed[i], want);
    }
    assert_int_equal(th_store_sql_int(f->path, "SELECT count(*) FROM applied_ids WHERE org = 'org'"), 3 + 28);
    assert_int_equal(th_store_sql_int(f->path, "SELECT count(*) FROM applied_ids WHERE org = 'org' AND applied_ms = 1700000000000"),
                     28);
    oci_store_conn *reader = oci_store_read_begin(f->store);
    /* The repeated id keeps the place of its first entry; the old ids keep theirs. */
    assert_int_equal(oci_store_applied_get(reader, "org", "id-8", location, sku, &found), CM_OK);
    assert_int_equal(found, 1);
    assert_string_equal(location, f->locations[8]);
    assert_string_equal(sku, "S-8");
    assert_int_equal(oci_store_applied_get(reader, "org", "id-17", location, sku, &found), CM_OK);
    assert_string_equal(location, "LX");
    assert_int_equal(oci_store_applied_get(reader, "org", "id-5", location, sku, &found), CM_OK);
    assert_int_equal(found, 1);
    assert_string_equal(location, f->locations[5]);
    assert_int_equal(oci_store_applied_get(reader, "org", "id-20", location, sku, &found), CM_OK);
    assert_int_equal(found, 0);
    oci_store_read_end(reader);
    /* The other organization still holds only its own id 5. */
    assert_int_equal(th_store_sql_int(f->path, "SELECT count(*) FROM applied_ids WHERE org = 'other'"), 1);

    /* The same group again: nothing is claimed. Then the 13 entries 20..32. */
    writer = th_store_begin(f->store);
    assert_int_equal(oci_store_applied_claim_many(writer, "org", ids, f->locations, f->skus, GROUP, NOW, claimed),
                     CM_OK);
    for (size_t i = 0; i < GROUP; i++)
        assert_int_equal(claimed[i], 0);
    assert_int_equal(oci_store_applied_claim_many(writer, "org", &f->ids[20], &f->locations[20], &f->skus[20], 13,
                                                  NOW, claimed),
                     CM_OK);
    for (size_t i = 0; i < 13; i++)
        assert_int_equal(claimed[i], i == 0 || i == 12 ? 1 : 0); /* id-20 and id-32 are new; 21..31 are not */
    /* A group of one, then the same id once more in one call. */
    const char *twice[2] = {"fresh", "fresh"};
    assert_int_equal(oci_store_applied_claim_many(writer, "org", twice, f->locations, f->skus, 1, NOW, claimed),
                     CM_OK);
    assert_int_equal(claimed[0], 1);
    assert_int_equal(oci_store_applied_claim_many(writer, "org", twice, f->locations, f->skus, 2, NOW, claimed),
                     CM_OK);
    assert_int_equal(claimed[0], 0);
    assert_int_equal(claimed[1], 0);
    /* 33 entries are refused. */
    assert_int_equal(oci_store_applied_claim_many(writer, "org", f->ids, f->locations, f->skus, KEYS, NOW, claimed),
                     CM_EINVAL);
    oci_store_write_rollback(writer);
    /* The rollback took back id-20, id-32 and "fresh". */
    assert_int_equal(th_store_sql_int(f->path, "SELECT count(*) FROM applied_ids WHERE record_id IN ('id-20', 'id-32', 'fresh')"),
                     0);

    /* Ids new in another organization are claimed there. */
    writer = th_store_begin(f->store);
    assert_int_equal(oci_store_applied_claim_many(writer, "third", ids, f->locations, f->skus, 31, NOW, claimed),
                     CM_OK);
    for (size_t i = 0; i < 31; i++)
        assert_int_equal(claimed[i], i == 20 ? 0 : 1);
    assert_int_equal(oci_store_write_commit(writer), CM_OK);
    assert_int_equal(th_store_sql_int(f->path, "SELECT count(*) FROM applied_ids WHERE org = 'third'"), 30);
}

static void test_claim_many_refusals(void **state)
{
    fixture *f = *state;
    int claimed[2] = {0, 0};
    /* A missing location (NOT NULL): the insert fails and the caller rolls back. */
    const char *locations[2] = {"L1", NULL};
    oci_store_conn *writer = th_store_begin(f->store);
    assert_int_equal(oci_store_applied_claim_many(writer, "org", f->ids, locations, f->skus, 2, NOW, claimed),
                     CM_EEXIST);
    oci_store_write_rollback(writer);
    /* On a reader. */
    oci_store_conn *reader = oci_store_read_begin(f->store);
    assert_int_not_equal(oci_store_applied_claim_many(reader, "org", f->ids, f->locations, f->skus, 2, NOW, claimed),
                         CM_OK);
    oci_store_read_end(reader);
    assert_int_equal(th_store_sql_int(f->path, "SELECT count(*) FROM applied_ids"), 0);
}

static void test_batch_markers(void **state)
{
    fixture *f = *state;
    oci_batch_marker marker = {0};
    int found = -1;
    oci_store_conn *reader = oci_store_read_begin(f->store);
    assert_int_equal(oci_store_batch_get(reader, "org", "k1", &marker, &found), CM_OK);
    assert_int_equal(found, 0);
    assert_null(marker.refusals);
    oci_store_read_end(reader);

    char refusals[] = "[{\"index\":2,\"code\":\"LocationDoesNotExist\"}]";
    oci_batch_marker first = {.record_count = 100, .fingerprint = -1234567890123LL, .refusals = refusals};
    oci_batch_marker second = {.record_count = 1, .fingerprint = 0, .refusals = NULL};
    oci_store_conn *writer = th_store_begin(f->store);
    assert_int_equal(oci_store_batch_add(writer, "org", "k1", &first, NOW), CM_OK);
    assert_int_equal(oci_store_batch_add(writer, "org", "k2", &second, NOW + 1), CM_OK);
    assert_int_equal(oci_store_batch_add(writer, "other", "k1", &second, NOW + 2), CM_OK);
    /* A key is applied once per organization. */
    assert_int_equal(oci_store_batch_add(writer, "org", "k1", &second, NOW), CM_EEXIST);
    /* Readers do not see the markers before the commit. */
    reader = oci_store_read_begin(f->store);
    assert_int_equal(oci_store_batch_get(reader, "org", "k1", &marker, &found), CM_OK);
    assert_int_equal(found, 0);
    oci_store_read_end(reader);
    /* The writer does. */
    assert_int_equal(oci_store_batch_get(writer, "org", "k1", &marker, &found), CM_OK);
    assert_int_equal(found, 1);
    oci_batch_marker_clear(&marker);
    assert_int_equal(oci_store_write_commit(writer), CM_OK);

    reader = oci_store_read_begin(f->store);
    assert_int_equal(oci_store_batch_get(reader, "org", "k1", &marker, &found), CM_OK);
    assert_int_equal(found, 1);
    assert_int_equal(marker.record_count, 100);
    assert_int_equal(marker.fingerprint, -1234567890123LL);
    assert_string_equal(marker.refusals, refusals);
    assert_ptr_not_equal(marker.refusals, refusals); /* a copy the caller frees */
    oci_batch_marker_clear(&marker);
    assert_null(marker.refusals);
    oci_batch_marker_clear(&marker); /* twice is harmless */
    assert_int_equal(oci_store_batch_get(reader, "org", "k2", &marker, &found), CM_OK);
    assert_int_equal(found, 1);
    assert_int_equal(marker.record_count, 1);
    assert_string_equal(marker.refusals, ""); /* no refusals are stored as empty text */
    oci_batch_marker_clear(&marker);
    assert_int_equal(oci_store_batch_get(reader, "other", "k2", &marker, &found), CM_OK);
    assert_int_equal(found, 0);
    assert_int_equal(oci_store_batch_get(reader, "org", "K1", &marker, &found), CM_OK);
    assert_int_equal(found, 0); /* keys are exact */
    oci_store_read_end(reader);
    assert_int_equal(th_store_sql_int(f->path, "SELECT applied_ms FROM applied_batches WHERE org = 'other'"), NOW + 2);

    /* A rolled-back marker is gone; a reader cannot write one. */
    writer = th_store_begin(f->store);
    assert_int_equal(oci_store_batch_add(writer, "org", "k3", &second, NOW), CM_OK);
    oci_store_write_rollback(writer);
    reader = oci_store_read_begin(f->store);
    assert_int_equal(oci_store_batch_get(reader, "org", "k3", &marker, &found), CM_OK);
    assert_int_equal(found, 0);
    assert_int_not_equal(oci_store_batch_add(reader, "org", "k4", &second, NOW), CM_OK);
    oci_store_read_end(reader);
    assert_int_equal(th_store_sql_int(f->path, "SELECT count(*) FROM applied_batches"), 3);
}

/* Tables dropped behind the store's back: every call reports a database error, none crashes. */
static void test_missing_tables_are_database_errors(void **state)
{
    fixture *f = *state;
    th_store_sql_exec(f->path, "DROP TABLE applied_batches; DROP TABLE applied_ids; DROP TABLE records; DROP TABLE events;");
    oci_batch_marker marker = {.refusals = NULL};
    int found = -1;
    oci_quantities out[2];
    int exists[2];
    oci_store_conn *reader = oci_store_read_begin(f->store);
    assert_non_null(reader);
    assert_int_equal(oci_store_batch_get(reader, "org", "k1", &marker, &found), CM_EDB);
    assert_int_equal(found, 0);
    assert_null(marker.refusals);
    assert_int_equal(oci_store_records_get_many(reader, "org", f->locations, f->skus, 2, out, exists), CM_EDB);
    oci_store_read_end(reader);

    oci_quantities records[2] = {record_for(0, 0), record_for(1, 0)};
    oci_event events[2] = {event_for(f, 0), event_for(f, 1)};
    int claimed[2];
    oci_store_conn *writer = th_store_begin(f->store);
    assert_int_equal(oci_store_records_put_many(writer, "org", f->locations, f->skus, records, 2, NOW), CM_EDB);
    assert_int_equal(oci_store_events_add_many(writer, events, 2), CM_EDB);
    assert_int_equal(oci_store_applied_claim_many(writer, "org", f->ids, f->locations, f->skus, 2, NOW, claimed),
                     CM_EDB);
    oci_batch_marker one = {.record_count = 1};
    assert_int_equal(oci_store_batch_add(writer, "org", "k1", &one, NOW), CM_EDB);
    oci_store_write_rollback(writer);
}

/* Rows written behind the store's back with damaged text: read without overflow or crash, the
 * futures up to the first damaged entry and never more than OCI_MAX_FUTURES. */
static void test_corrupt_rows(void **state)
{
    fixture *f = *state;
    char sql[8192];
    size_t used = (size_t)snprintf(sql, sizeof sql,
                                   "INSERT INTO records (org, location, sku, on_hand, reserved, safety_stock,"
                                   " effective_ms, futures, updated_ms) VALUES"
                                   " ('org', 'L0', 'S-0', 5, 0, 0, NULL, '100:7;garbage;300:9', 1),"
                                   " ('org', 'L1', 'S-1', 'many', 0, 0, 'soon', '', 1),"
                                   " ('org', 'L2', 'S-2', 1, 0, 0, NULL, '");
    for (int i = 0; i < OCI_MAX_FUTURES + 8; i++)
        used += (size_t)snprintf(sql + used, sizeof sql - used, "%s%d:%d", i ? ";" : "", 1000 + i, i + 1);
    snprintf(sql + used, sizeof sql - used, "', 1), ('org', 'L0', 'S-3', 1, 0, 0, NULL, 'x:5;6:7', 1)");
    th_store_sql_exec(f->path, sql);
    const char *locations[4] = {"L0", "L1", "L2", "L0"}, *skus[4] = {"S-0", "S-1", "S-2", "S-3"};
    oci_quantities out[4];
    int exists[4];
    oci_store_conn *reader = oci_store_read_begin(f->store);
    assert_int_equal(oci_store_records_get_many(reader, "org", locations, skus, 4, out, exists), CM_OK);
    oci_store_read_end(reader);
    for (int i = 0; i < 4; i++)
        assert_int_equal(exists[i], 1);
    assert_int_equal(out[0].on_hand, 5);
    assert_int_equal(out[0].future_count, 1);
    assert_int_equal(out[0].futures[0].expected_ms, 100);
    assert_int_equal(out[0].futures[0].quantity_milli, 7);
    assert_int_equal(out[1].on_hand, 0); /* text where a number belongs reads as 0 */
    assert_int_equal(out[1].has_effective_date, 1);
    assert_int_equal(out[2].future_count, OCI_MAX_FUTURES);
    assert_int_equal(out[2].futures[OCI_MAX_FUTURES - 1].expected_ms, 1000 + OCI_MAX_FUTURES - 1);
    assert_int_equal(out[2].futures[OCI_MAX_FUTURES - 1].quantity_milli, OCI_MAX_FUTURES);
    assert_int_equal(out[3].future_count, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_get_many_keeps_every_key_in_its_place, setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_many_creates_and_replaces, setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_many_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_events_add_many_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_events_add_many_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_claim_many, setup, teardown),
        cmocka_unit_test_setup_teardown(test_claim_many_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_markers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_tables_are_database_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_rows, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
