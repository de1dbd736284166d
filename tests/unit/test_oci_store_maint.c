/*
 * test_oci_store_maint.c - the store's maintenance side (oci_core/store.h "maintenance, graphs and
 * the event log", the functions of store_maint.c) on a real SQLite file in a temporary folder:
 * pruning (finished imports with their failed lines, expired WAITING imports, expired exports,
 * old delta tokens, events from the oldest on, batch markers, operation ids, closed
 * reservation documents with their lines; never what is still in use; the files reported first;
 * boundaries kept; `batch` rows per statement and 100 jobs per call, called again until nothing
 * is left), claimed record ids by a walk in key order (windows across organizations, the lap's
 * end, ids claimed behind the cursor found on the next lap), the persisted location graph (none, put, replace, per organization), one SKU's events
 * for the event-log export (window, order, figures, stopping), and database errors (a read-only
 * connection, missing tables).
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
#define CUT (NOW - DAY) /* every "before" limit of these tests */

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

static oci_prune_limits limits(size_t batch)
{
    oci_prune_limits l = {.now_ms = NOW,
                          .finished_before_ms = CUT,
                          .waiting_before_ms = CUT,
                          .tokens_before_ms = CUT,
                          .events_before_ms = CUT,
                          .ids_before_ms = CUT,
                          .closed_before_ms = CUT,
                          .batch = batch};
    return l;
}

typedef struct paths {
    size_t count;
    char text[8][128];
} paths;

static int collect_path(void *context, const char *path)
{
    paths *p = context;
    if (p->count < 8)
        snprintf(p->text[p->count], sizeof p->text[0], "%s", path);
    p->count++;
    return 0;
}

/* One prune call in its own transaction; returns *removed. */
static int64_t prune_once(fixture *f, const oci_prune_limits *l, paths *files)
{
    int64_t removed = -1;
    oci_store_conn *writer = th_store_begin(f->store);
    assert_int_equal(oci_store_prune(writer, l, files ? collect_path : NULL, files, &removed), CM_OK);
    th_store_commit(writer);
    return removed;
}

static void add_import(oci_store_conn *writer, const char *id, const char *status, int64_t ended_ms,
                       int64_t link_expires_ms, const char *upload_path)
{
    oci_import_row row;
    memset(&row, 0, sizeof row);
    snprintf(row.id, sizeof row.id, "%s", id);
    snprintf(row.org, sizeof row.org, "org");
    snprintf(row.file_name, sizeof row.file_name, "f.ndjson");
    snprintf(row.status, sizeof row.status, "%s", status);
    snprintf(row.upload_path, sizeof row.upload_path, "%s", upload_path);
    row.created_ms = NOW - 10 * DAY;
    row.ended_ms = ended_ms;
    row.link_expires_ms = link_expires_ms;
    assert_int_equal(oci_store_import_insert(writer, &row), CM_OK);
}

static void add_export(oci_store_conn *writer, const char *id, const char *status, int64_t expires_ms,
                       const char *file_path)
{
    oci_export_row row;
    memset(&row, 0, sizeof row);
    snprintf(row.id, sizeof row.id, "%s", id);
    snprintf(row.org, sizeof row.org, "org");
    snprintf(row.kind, sizeof row.kind, "availability");
    snprintf(row.status, sizeof row.status, "%s", status);
    snprintf(row.file_path, sizeof row.file_path, "%s", file_path);
    row.created_ms = NOW - 10 * DAY;
    row.expires_ms = expires_ms;
    assert_int_equal(oci_store_export_insert(writer, &row), CM_OK);
}

static void test_prune_imports_and_exports(void **state)
{
    fixture *f = *state;
    oci_store_conn *writer = th_store_begin(f->store);
    add_import(writer, "i-done-old", "COMPLETED", CUT - 1, 0, "/data/i-done-old");
    add_import(writer, "i-failed-old", "FAILED", CUT - 5, 0, ""); /* no file to report */
    add_import(writer, "i-done-edge", "COMPLETED", CUT, 0, "/data/i-done-edge"); /* not before: kept */
    add_import(writer, "i-done-new", "COMPLETED", NOW, 0, "/data/i-done-new");
    add_import(writer, "i-running", "RUNNING", CUT - 9, CUT - 9, "/data/i-running"); /* in use */
    add_import(writer, "i-pending", "PENDING", CUT - 9, CUT - 9, "/data/i-pending");
    add_import(writer, "i-waiting-old", "WAITING", 0, CUT - 1, "");
    add_import(writer, "i-waiting-edge", "WAITING", 0, CUT, "");
    add_import(writer, "i-waiting-live", "WAITING", 0, NOW + DAY, "");
    assert_int_equal(oci_store_import_error_add(writer, "i-done-old", 1, "r", "L", "S", "bad"), CM_OK);
    assert_int_equal(oci_store_import_error_add(writer, "i-done-old", 2, "r", "L", "S", "bad"), CM_OK);
    assert_int_equal(oci_store_import_error_add(writer, "i-done-new", 1, "r", "L", "S", "bad"), CM_OK);
    /* Exports go when finished and their link expired before now. */
    add_export(writer, "e-done-old", "COMPLETED", NOW - 1, "/data/e-done-old");
    add_export(writer, "e-failed-old", "FAILED", NOW - 1, "");
    add_export(writer, "e-done-edge", "COMPLETED", NOW, "/data/e-done-edge");
    add_export(writer, "e-running", "RUNNING", NOW - 1, "/data/e-running");
    add_export(writer, "e-pending", "PENDING", 0, "");
    th_store_commit(writer);

    paths files = {0};
    oci_prune_limits l = limits(1000);
    assert_int_equal(prune_once(f, &l, &files), 3 + 2);
    /* The files of the rows removed, reported before the rows went. */
    assert_int_equal(files.count, 2);
    assert_string_equal(files.text[0], "/data/i-done-old");
    assert_string_equal(files.text[1], "/data/e-done-old");
    assert_int_equal(th_store_sql_int(f->path, "SELECT count(*) FROM imports WHERE id IN ('i-done-old', 'i-failed-old',"
                                " 'i-waiting-old')"),
                     0);
    assert_int_equal(th_store_sql_int(f->path, "SELECT count(*) FROM imports"), 6);
    assert_int_equal(th_store_sql_int(f->path, "SELECT count(*) FROM import_errors"), 1); /* the removed import's lines went */
    assert_int_equal(th_store_sql_int(f->path, "SELECT count(*) FROM import_errors WHERE import_id = 'i-done-new'"), 1);
    assert_int_equal(th_store_sql_int(f->path, "SELECT count(*) FROM exports WHERE id IN ('e-done-old', 'e-failed-old')"), 0);
    assert_int_equal(th_store_sql_int(f->path, "SELECT count(*) FROM exports"), 3);
    /* Nothing left: a second pass removes nothing and reports nothing (without a visitor too). */
    memset(&files, 0, sizeof files);
    assert_int_equal(prune_once(f, &l, &files), 0);
    assert_int_equal(files.count, 0);
    assert_int_equal(prune_once(f, &l, NULL), 0);
}

static void test_prune_takes_100_jobs_per_call(void **state)
{
    fixture *f = *state;
    oci_store_conn *writer = th_store_begin(f->store);
    for (int i = 0; i < 101; i++) {
        char id[32], path[64];
        snprintf(id, sizeof id, "i-%03d", i);
        snprintf(path, sizeof path, "/data/%s", id);
        add_import(writer, id, "COMPLETED", CUT - 1, 0, path);
    }
    for (int i = 0; i < 102; i++) {
        char id[32];
        snprintf(id, sizeof id, "e-%03d", i);
        add_export(writer, id, "COMPLETED", NOW - 1, "");
    }
    th_store_commit(writer);
    paths files = {0};
    oci_prune_limits l = limits(1000);
    assert_int_equal(prune_once(f, &l, &files), 100 + 100);
    assert_int_equal(files.count, 100);
    assert_int_equal(th_store_sql_int(f->path, "SELECT count(*) FROM imports"), 1);
    assert_int_equal(th_store_sql_int(f->path, "SELECT count(*) FROM exports"), 2);
    memset(&files, 0, sizeof files);
    assert_int_equal(prune_once(f, &l, &files), 1 + 2);
    assert_int_equal(files.count, 1);
    assert_int_equal(prune_once(f, &l, &files), 0);
}

static oci_event event_at(const char *sku, int64_t created_ms)
{
    oci_event event;
    memset(&event, 0, sizeof event);
    event.org = "org";
    event.location = "L1";
    event.sku = sku;
    event.event_type = "test";
    event.created_ms = created_ms;
    return event;
}

static void test_prune_rows_in_batches(void **state)
{
    fixture *f = *state;
    oci_store_conn *writer = th_store_begin(f->store);
    /* 5 old tokens and 1 at the limit. */
    for (int i = 0; i < 6; i++) {
        oci_delta_token token = {.after_seq = 0, .created_ms = i < 5 ? CUT - 1 - i : CUT};
        snprintf(token.token, sizeof token.token, "tok-%d", i);
        snprintf(token.org, sizeof token.org, "org");
        snprintf(token.place_type, sizeof token.place_type, "locations");
        assert_int_equal(oci_store_token_insert(writer, &token), CM_OK);
    }
    /* Events in seq order: 3 old, 1 young, 1 old behind it (waits), 1 young. */
    static const int64_t EVENT_TIMES[] = {CUT - 30, CUT - 20, CUT - 10, CUT, CUT - 40, NOW};
    for (size_t i = 0; i < 6; i++) {
        oci_event event = event_at("S", EVENT_TIMES[i]);
        assert_int_equal(oci_store_event_add(writer, &event), CM_OK);
    }
    /* Ids: 3 old record ids, 1 young; 2 old batch markers, 1 young; 2 old operation ids, 1 young. */
    for (int i = 0; i < 4; i++) {
        char id[16];
        snprintf(id, sizeof id, "r%d", i);
        assert_int_equal(oci_store_applied_add(writer, "org", id, "L1", "S", i < 3 ? CUT - 1 : CUT), CM_OK);
    }
    oci_batch_marker marker = {.record_count = 1};
    assert_int_equal(oci_store_batch_add(writer, "org", "b0", &marker, CUT - 1), CM_OK);
    assert_int_equal(oci_store_batch_add(writer, "org", "b1", &marker, CUT - 2), CM_OK);
    assert_int_equal(oci_store_batch_add(writer, "org", "b2", &marker, CUT), CM_OK);
    assert_int_equal(oci_store_operation_add(writer, "org", "transfer", "o0", "S", "x", CUT - 1), CM_OK);
    assert_int_equal(oci_store_operation_add(writer, "org", "release", "o1", "S", "x", CUT - 100), CM_OK);
    assert_int_equal(oci_store_operation_add(writer, "org", "release", "o2", "S", "x", NOW), CM_OK);
    /* Reservations: closed long ago (2, with lines), closed at the limit, open since forever. */
    static const char *const IDS[] = {"R-cancelled", "R-expired", "R-edge", "R-open"};
    static const char *const STATUSES[] = {"CANCELLED", "EXPIRED", "CANCELLED", "OPEN"};
    for (int i = 0; i < 4; i++) {
        oci_reservation_row row;
        memset(&row, 0, sizeof row);
        snprintf(row.org, sizeof row.org, "org");
        snprintf(row.id, sizeof row.id, "%s", IDS[i]);
        snprintf(row.status, sizeof row.status, "OPEN");
        row.reservation_ms = row.created_ms = NOW - 10 * DAY;
        assert_int_equal(oci_store_reservation_insert(writer, &row, NULL), CM_OK);
        if (strcmp(STATUSES[i], "OPEN") != 0)
            assert_int_equal(oci_store_reservation_close(writer, "org", IDS[i], STATUSES[i], i < 2 ? CUT - 1 : CUT),
                             CM_OK);
        assert_int_equal(oci_store_reservation_line_add(writer, "org", IDS[i], "location", "L1", "S", Q(1)), CM_OK);
        assert_int_equal(oci_store_reservation_line_add(writer, "org", IDS[i], "location", "L2", "S", Q(1)), CM_OK);
    }
    th_store_commit(writer);

    /* Batches of 2: each kind loses at most 2 rows per call (reservations: 2 documents). */
    oci_prune_limits l = limits(2);
    int64_t first = prune_once(f, &l, NULL);
    /* tokens 2, events 2, markers 2, operations 2, lines of 2 documents 4, documents 2; the record
     * ids are oci_store_prune_ids's (test_prune_ids_by_walking). */
    assert_int_equal(first, 2 + 2 + 2 + 2 + 4 + 2);
    assert_int_equal(th_store_sql_int(f->path, "SELECT count(*) FROM delta_tokens"), 4);
    assert_int_equal(th_store_sql_int(f->path, "SELECT min(seq) FROM events"), 3); /* from the oldest in seq order */
    int64_t total = first, removed;
    int calls = 1;
    while ((removed = prune_once(f, &l, NULL)) > 0) {
        total += removed;
        assert_true(++calls < 10);
    }
    /* 5 tokens, 3 events (the old one behind a young one waits), 2 markers, 2 operations,
     * 2 documents and their 4 lines. */
    assert_int_equal(total, 5 + 3 + 2 + 2 + 4 + 2);
    assert_int_equal(calls, 3);
    assert_int_equal(th_store_sql_int(f->path, "SELECT count(*) FROM delta_tokens"), 1);
    assert_int_equal(th_store_sql_int(f->path, "SELECT min(seq) FROM events"), 4);
    assert_int_equal(th_store_sql_int(f->path, "SELECT count(*) FROM events"), 3);
    assert_int_equal(th_store_sql_int(f->path, "SELECT count(*) FROM events WHERE seq = 5"), 1); /* the waiting one */
    assert_int_equal(th_store_sql_int(f->path, "SELECT count(*) FROM applied_ids"), 4);
    assert_int_equal(th_store_sql_int(f->path, "SELECT count(*) FROM applied_batches WHERE batch_key = 'b2'"), 1);
    assert_int_equal(th_store_sql_int(f->path, "SELECT count(*) FROM applied_batches"), 1);
    assert_int_equal(th_store_sql_int(f->path, "SELECT count(*) FROM operation_ids WHERE op_id = 'o2'"), 1);
    assert_int_equal(th_store_sql_int(f->path, "SELECT count(*) FROM operation_ids"), 1);
    assert_int_equal(th_store_sql_int(f->path, "SELECT count(*) FROM reservations WHERE id IN ('R-edge', 'R-open')"), 2);
    assert_int_equal(th_store_sql_int(f->path, "SELECT count(*) FROM reservations"), 2);
    assert_int_equal(th_store_sql_int(f->path, "SELECT count(*) FROM reservation_lines"), 4);

    /* Once the young event ahead of it is old too, the waiting one goes. */
    l.events_before_ms = CUT + 1;
    assert_int_equal(prune_once(f, &l, NULL), 2); /* events 4 and 5 */
    assert_int_equal(th_store_sql_int(f->path, "SELECT count(*) FROM events"), 1);
    l.events_before_ms = CUT;
    /* A later cut takes the rows that sat at the old one: a token, a marker, and the document
     * closed then with its 2 lines; the open document stays. */
    l.tokens_before_ms = l.ids_before_ms = l.closed_before_ms = CUT + 1;
    assert_int_equal(prune_once(f, &l, NULL), 1 + 1 + 2 + 1);
    assert_int_equal(prune_once(f, &l, NULL), 0);
    assert_int_equal(th_store_sql_int(f->path, "SELECT count(*) FROM reservations WHERE id = 'R-open'"), 1);
    assert_int_equal(th_store_sql_int(f->path, "SELECT count(*) FROM reservations"), 1);
    assert_int_equal(th_store_sql_int(f->path, "SELECT count(*) FROM reservation_lines WHERE reservation_id = 'R-open'"), 2);
    assert_int_equal(th_store_sql_int(f->path, "SELECT count(*) FROM operation_ids"), 1);
}

/* One walk call in its own transaction; returns *removed. */
static int64_t walk_once(fixture *f, oci_id_walk *walk, int64_t before_ms, size_t batch)
{
    int64_t removed = -1;
    oci_store_conn *writer = th_store_begin(f->store);
    assert_int_equal(oci_store_prune_ids(writer, walk, before_ms, batch, &removed), CM_OK);
    th_store_commit(writer);
    return removed;
}

/* Claimed ids have no time index (store.c, migration 5): they are pruned by a walk in key order,
 * a window of `batch` keys per call, across organizations, wrapping at the end of the table. */
static void test_prune_ids_by_walking(void **state)
{
    fixture *f = *state;
    oci_store_conn *writer = th_store_begin(f->store);
    /* 3 organizations x 7 ids; in key order the old ones are every id whose number is even,
     * and one at the limit (kept). */
    static const char *const ORGS[] = {"a-org", "b-org", "c-org"};
    for (int o = 0; o < 3; o++)
        for (int i = 0; i < 7; i++) {
            char id[16];
            snprintf(id, sizeof id, "id-%d", i);
            int64_t at = i == 6 ? CUT : i % 2 == 0 ? CUT - 1 - i : NOW;
            assert_int_equal(oci_store_applied_add(writer, ORGS[o], id, "L1", "S", at), CM_OK);
        }
    th_store_commit(writer);
    oci_id_walk walk;
    memset(&walk, 0, sizeof walk);
    /* Windows of 4 keys: a-org id-0..3 (2 old), a-org id-4..6 and b-org id-0 (2), b-org id-1..4
     * (2), b-org id-5, id-6, c-org id-0, id-1 (1), c-org id-2..5 (2), c-org id-6 and the end (0). */
    static const int64_t EXPECTED[] = {2, 2, 2, 1, 2, 0};
    for (size_t call = 0; call < sizeof EXPECTED / sizeof EXPECTED[0]; call++) {
        int64_t removed = walk_once(f, &walk, CUT, 4);
        if (removed != EXPECTED[call])
            fail_msg("call %zu removed %lld, want %lld", call, (long long)removed, (long long)EXPECTED[call]);
        assert_int_equal(walk.laps, call + 1 == sizeof EXPECTED / sizeof EXPECTED[0] ? 1 : 0);
    }
    assert_int_equal(walk.started, 0);
    assert_int_equal(th_store_sql_int(f->path, "SELECT count(*) FROM applied_ids"), 3 * 4);
    assert_int_equal(th_store_sql_int(f->path, "SELECT count(*) FROM applied_ids WHERE applied_ms < " "1699913600000"),
                     0);
    /* The young and the one at the limit stay, in every organization. */
    assert_int_equal(th_store_sql_int(f->path, "SELECT count(*) FROM applied_ids WHERE record_id = 'id-6'"), 3);
    /* A second lap finds nothing more, and a window larger than the table is one call. */
    assert_int_equal(walk_once(f, &walk, CUT, 100), 0);
    assert_int_equal(walk.laps, 2);
    /* Ids claimed meanwhile behind the cursor are found on the next lap. */
    /* A later cut: a-org id-1, id-3, id-5, id-6, b-org id-1; id-6 (at CUT) is old now. */
    assert_int_equal(walk_once(f, &walk, CUT + 1, 5), 1);
    writer = th_store_begin(f->store);
    assert_int_equal(oci_store_applied_add(writer, "a-org", "id-00", "L1", "S", CUT - 5), CM_OK);
    th_store_commit(writer);
    int64_t rest = 0;
    while (walk.laps == 2)
        rest += walk_once(f, &walk, CUT + 1, 5);
    assert_int_equal(rest, 2); /* b-org and c-org id-6 */
    assert_int_equal(walk_once(f, &walk, CUT + 1, 5), 1); /* the new a-org id-00, next lap */
    /* A batch of 0 is taken as 1: the walk still moves. */
    memset(&walk, 0, sizeof walk);
    assert_int_equal(walk_once(f, &walk, CUT, 0), 0);
    assert_int_equal(walk.started, 1);
    assert_string_equal(walk.org, "a-org");
}

static void test_graph(void **state)
{
    fixture *f = *state;
    char *json = (char *)"unset";
    oci_store_conn *reader = oci_store_read_begin(f->store);
    assert_int_equal(oci_store_graph_get(reader, "org", &json), CM_OK);
    assert_null(json);
    assert_int_not_equal(oci_store_graph_put(reader, "org", "{}", NOW), CM_OK);
    oci_store_read_end(reader);
    oci_store_conn *writer = th_store_begin(f->store);
    assert_int_equal(oci_store_graph_put(writer, "org", "{\"locations\":[\"L1\"]}", NOW), CM_OK);
    assert_int_equal(oci_store_graph_put(writer, "other", "{\"locations\":[]}", NOW), CM_OK);
    assert_int_equal(oci_store_graph_put(writer, "org", "{\"locations\":[\"L2\"]}", NOW + 1), CM_OK); /* replaces */
    assert_int_equal(oci_store_graph_put(writer, "empty", "", NOW), CM_OK);
    assert_int_not_equal(oci_store_graph_put(writer, "nothing", NULL, NOW), CM_OK); /* NOT NULL */
    th_store_commit(writer);
    reader = oci_store_read_begin(f->store);
    assert_int_equal(oci_store_graph_get(reader, "org", &json), CM_OK);
    assert_string_equal(json, "{\"locations\":[\"L2\"]}");
    free(json);
    assert_int_equal(oci_store_graph_get(reader, "other", &json), CM_OK);
    assert_string_equal(json, "{\"locations\":[]}");
    free(json);
    assert_int_equal(oci_store_graph_get(reader, "empty", &json), CM_OK);
    assert_string_equal(json, "");
    free(json);
    assert_int_equal(oci_store_graph_get(reader, "nothing", &json), CM_OK);
    assert_null(json);
    oci_store_read_end(reader);
    assert_int_equal(th_store_sql_int(f->path, "SELECT replaced_ms FROM graphs WHERE org = 'org'"), NOW + 1);
}

typedef struct rows {
    size_t count, stop_after;
    oci_event_row list[16];
} rows;

static int collect_row(void *context, const oci_event_row *row)
{
    rows *r = context;
    r->list[r->count++] = *row;
    return r->stop_after && r->count == r->stop_after;
}

static void test_events_of_sku(void **state)
{
    fixture *f = *state;
    oci_store_conn *writer = th_store_begin(f->store);
    struct {
        const char *place_type, *place, *sku, *org;
        int64_t created_ms;
    } spec[] = {
        {"location", "L2", "S", "org", NOW},      /* seq 1 */
        {"group", "G", "S", "org", NOW + 1},      /* seq 2 */
        {"location", "L1", "S", "org", NOW + 2},  /* seq 3 */
        {"location", "L2", "S", "org", NOW + 3},  /* seq 4 */
        {"location", "L1", "S", "org", NOW + 10}, /* seq 5: at the window's end, out */
        {"location", "L1", "S", "org", NOW - 1},  /* seq 6: before the window, out */
        {"location", "L1", "T", "org", NOW + 2},  /* another sku */
        {"location", "L1", "S", "other", NOW + 2} /* another organization */
    };
    for (size_t i = 0; i < sizeof spec / sizeof spec[0]; i++) {
        oci_event event = event_at(spec[i].sku, spec[i].created_ms);
        event.org = spec[i].org;
        event.place_type = spec[i].place_type;
        event.location = spec[i].place;
        event.event_type = i == 2 ? "reservation" : "update";
        event.old_values.on_hand = Q(i);
        event.new_values.on_hand = Q(i + 1);
        event.new_values.reserved = Q(1);
        event.new_values.safety_stock = 500;
        if (i == 2) {
            event.has_effective_date = 1;
            event.effective_ms = NOW - DAY;
            event.new_values.future_count = 2;
            event.new_values.futures[0] = (oci_future){NOW + DAY, Q(2)};
            event.new_values.futures[1] = (oci_future){NOW + 2 * DAY, 250};
        }
        assert_int_equal(oci_store_event_add(writer, &event), CM_OK);
    }
    th_store_commit(writer);

    rows r = {0};
    oci_store_conn *reader = oci_store_read_begin(f->store);
    assert_int_equal(oci_store_events_of_sku(reader, "org", "S", NOW, NOW + 10, collect_row, &r), CM_OK);
    /* Locations first (by place, then sequence), then groups. */
    assert_int_equal(r.count, 4);
    assert_int_equal(r.list[0].seq, 3);
    assert_string_equal(r.list[0].place, "L1");
    assert_int_equal(r.list[1].seq, 1);
    assert_int_equal(r.list[2].seq, 4);
    assert_int_equal(r.list[3].seq, 2);
    assert_string_equal(r.list[3].place_type, "group");
    assert_string_equal(r.list[3].place, "G");
    /* Every figure of one event. */
    const oci_event_row *e = &r.list[0];
    assert_string_equal(e->place_type, "location");
    assert_string_equal(e->event_type, "reservation");
    assert_int_equal(e->created_ms, NOW + 2);
    assert_int_equal(e->has_effective_date, 1);
    assert_int_equal(e->effective_ms, NOW - DAY);
    assert_int_equal(e->old_on_hand, Q(2));
    assert_int_equal(e->new_on_hand, Q(3));
    assert_int_equal(e->old_reserved, 0);
    assert_int_equal(e->new_reserved, Q(1));
    assert_int_equal(e->old_safety_stock, 0);
    assert_int_equal(e->new_safety_stock, 500);
    assert_int_equal(e->old_atf, Q(2));
    assert_int_equal(e->new_atf, Q(3) - Q(1) - 500);
    assert_int_equal(e->old_ato, Q(2));
    assert_int_equal(e->new_ato, Q(3) + Q(2) + 250 - Q(1) - 500);
    assert_int_equal(e->new_futures_total, Q(2) + 250);
    assert_int_equal(r.list[1].has_effective_date, 0);
    assert_int_equal(r.list[1].new_futures_total, 0);
    /* A visitor that says stop ends the scan, which still succeeds. */
    memset(&r, 0, sizeof r);
    r.stop_after = 1;
    assert_int_equal(oci_store_events_of_sku(reader, "org", "S", 0, INT64_MAX, collect_row, &r), CM_OK);
    assert_int_equal(r.count, 1);
    /* The whole history; an empty window; nobody's. */
    memset(&r, 0, sizeof r);
    assert_int_equal(oci_store_events_of_sku(reader, "org", "S", 0, INT64_MAX, collect_row, &r), CM_OK);
    assert_int_equal(r.count, 6);
    memset(&r, 0, sizeof r);
    assert_int_equal(oci_store_events_of_sku(reader, "org", "S", NOW + 3, NOW + 3, collect_row, &r), CM_OK);
    assert_int_equal(r.count, 0);
    assert_int_equal(oci_store_events_of_sku(reader, "nobody", "S", 0, INT64_MAX, collect_row, &r), CM_OK);
    assert_int_equal(r.count, 0);
    oci_store_read_end(reader);
}

static oci_event event_of(const char *org, const char *location, const char *sku, int64_t created_ms,
                          int64_t old_on_hand, int64_t new_on_hand)
{
    oci_event event = event_at(sku, created_ms);
    event.org = org;
    event.location = location;
    event.old_values.on_hand = old_on_hand;
    event.new_values.on_hand = new_on_hand;
    return event;
}

static void add_events(fixture *f, const oci_event *events, size_t count)
{
    oci_store_conn *writer = th_store_begin(f->store);
    for (size_t i = 0; i < count; i++)
        assert_int_equal(oci_store_event_add(writer, &events[i]), CM_OK);
    th_store_commit(writer);
}

static oci_quantities as_of(fixture *f, const char *location, int64_t at_ms, int *exists)
{
    oci_quantities record;
    memset(&record, 0x5a, sizeof record);
    *exists = -1;
    oci_store_conn *reader = oci_store_read_begin(f->store);
    assert_int_equal(oci_store_record_get_as_of(reader, "org", location, "S", at_ms, &record, exists), CM_OK);
    oci_store_read_end(reader);
    return record;
}

static void test_record_as_of(void **state)
{
    fixture *f = *state;
    /* Now: 30 on hand, an effective date. History: 10 -> 20 at NOW+10, 20 -> 30 at NOW+20. */
    oci_quantities current;
    memset(&current, 0, sizeof current);
    current.on_hand = Q(30);
    current.reserved = Q(1);
    current.has_effective_date = 1;
    current.effective_ms = NOW - DAY;
    oci_store_conn *writer = th_store_begin(f->store);
    assert_int_equal(oci_store_record_put(writer, "org", "L1", "S", &current, NOW), CM_OK);
    th_store_commit(writer);
    oci_event history[5] = {
        event_of("org", "L1", "S", NOW + 10, Q(10), Q(20)),
        event_of("org", "L1", "S", NOW + 20, Q(20), Q(30)),
        event_of("org", "L2", "S", NOW + 15, Q(99), Q(98)),    /* another location */
        event_of("other", "L1", "S", NOW + 15, Q(77), Q(76)),  /* another organization */
        event_of("org", "L1", "S2", NOW + 15, Q(66), Q(65)),   /* another sku */
    };
    history[0].old_values.reserved = Q(4);
    history[0].old_values.future_count = 2;
    history[0].old_values.futures[0] = (oci_future){NOW + DAY, Q(5)};
    history[0].old_values.futures[1] = (oci_future){NOW + 2 * DAY, 7};
    add_events(f, history, 5);
    /* A group event at L1's name is not the location's. */
    oci_event group = event_of("org", "L1", "S", NOW + 12, Q(55), Q(54));
    group.place_type = "group";
    add_events(f, &group, 1);

    int exists = 0;
    oci_quantities record = as_of(f, "L1", NOW + 5, &exists);
    assert_int_equal(exists, 1);
    assert_int_equal(record.on_hand, Q(10));
    assert_int_equal(record.reserved, Q(4));
    assert_int_equal(record.future_count, 2);
    assert_int_equal(record.futures[1].expected_ms, NOW + 2 * DAY);
    assert_int_equal(record.futures[1].quantity_milli, 7);
    /* The effective date stays the current one. */
    assert_int_equal(record.has_effective_date, 1);
    assert_int_equal(record.effective_ms, NOW - DAY);
    /* At the moment of a change the change has happened: the next one's old figures. */
    record = as_of(f, "L1", NOW + 10, &exists);
    assert_int_equal(record.on_hand, Q(20));
    assert_int_equal(record.reserved, 0);
    assert_int_equal(record.future_count, 0);
    record = as_of(f, "L1", NOW + 19, &exists);
    assert_int_equal(record.on_hand, Q(20));
    /* After the last change: the current record. */
    record = as_of(f, "L1", NOW + 20, &exists);
    assert_int_equal(exists, 1);
    assert_int_equal(record.on_hand, Q(30));
    assert_int_equal(record.reserved, Q(1));

    /* A record deleted since: it existed then, with the figures the delete event kept. */
    oci_event deleted = event_of("org", "L3", "S", NOW + 30, Q(8), 0);
    deleted.deleted = 1;
    add_events(f, &deleted, 1);
    record = as_of(f, "L3", NOW + 25, &exists);
    assert_int_equal(exists, 1);
    assert_int_equal(record.on_hand, Q(8));
    assert_int_equal(record.has_effective_date, 0);
    record = as_of(f, "L3", NOW + 30, &exists);
    assert_int_equal(exists, 0);
    assert_int_equal(record.on_hand, 0);
    /* Never there, no events: none. */
    record = as_of(f, "L9", NOW, &exists);
    assert_int_equal(exists, 0);
    assert_int_equal(record.on_hand, 0);
}

/* events_by_bucket holds 4096 sequences per bucket (store.c, migration 4): 10000 events of two
 * organizations span three buckets, and every read through the index crosses them. Event i (seq
 * i + 1, written at NOW + i) is org's when i is even; org's SKU "S" at L1 every 1000th, its old
 * on-hand figure i. */
static void test_event_index_across_buckets(void **state)
{
    fixture *f = *state;
    oci_quantities current;
    memset(&current, 0, sizeof current);
    current.on_hand = Q(1);
    oci_store_conn *writer = th_store_begin(f->store);
    assert_int_equal(oci_store_record_put(writer, "org", "L1", "S", &current, NOW), CM_OK);
    char skus[OCI_STORE_GROUP_MAX][16];
    oci_event batch[OCI_STORE_GROUP_MAX];
    for (int i = 0; i < 10000;) {
        size_t n = 0;
        for (; n < OCI_STORE_GROUP_MAX && i < 10000; n++, i++) {
            int s = i % 1000 == 0;
            snprintf(skus[n], sizeof skus[n], s ? "S" : "F%d", i % 50);
            batch[n] = event_of(i % 2 ? "other" : "org", s ? "L1" : "L2", skus[n], NOW + i, Q(i), Q(i + 1));
        }
        assert_int_equal(oci_store_events_add_many(writer, batch, n), CM_OK);
    }
    th_store_commit(writer);
    assert_int_equal(th_store_sql_int(f->path, "SELECT count(DISTINCT seq >> 12) FROM events"), 3);

    rows r = {0};
    oci_store_conn *reader = oci_store_read_begin(f->store);
    assert_int_equal(oci_store_events_of_sku(reader, "org", "S", 0, INT64_MAX, collect_row, &r), CM_OK);
    assert_int_equal(r.count, 10);
    for (size_t k = 0; k < r.count; k++) {
        assert_int_equal(r.list[k].seq, 1000 * (int64_t)k + 1); /* in sequence order, every bucket */
        assert_int_equal(r.list[k].old_on_hand, Q(1000 * (int64_t)k));
    }
    memset(&r, 0, sizeof r);
    assert_int_equal(oci_store_events_of_sku(reader, "org", "S", NOW + 4500, NOW + 8500, collect_row, &r), CM_OK);
    assert_int_equal(r.count, 4);
    assert_int_equal(r.list[0].seq, 5001);
    assert_int_equal(r.list[3].seq, 8001);
    memset(&r, 0, sizeof r);
    assert_int_equal(oci_store_events_of_sku(reader, "other", "S", 0, INT64_MAX, collect_row, &r), CM_OK);
    assert_int_equal(r.count, 0); /* its events at i % 1000 == 0 do not exist: those are even */
    /* The newest sequence of each organization. */
    int64_t seq = -1;
    assert_int_equal(oci_store_events_last_seq(reader, "org", &seq), CM_OK);
    assert_int_equal(seq, 9999);
    assert_int_equal(oci_store_events_last_seq(reader, "other", &seq), CM_OK);
    assert_int_equal(seq, 10000);
    assert_int_equal(oci_store_events_last_seq(reader, "nobody", &seq), CM_OK);
    assert_int_equal(seq, 0);
    /* As of a moment: the first change after it, found in an older bucket than the newest. */
    int exists = 0;
    oci_quantities then;
    assert_int_equal(oci_store_record_get_as_of(reader, "org", "L1", "S", NOW + 4500, &then, &exists), CM_OK);
    assert_int_equal(exists, 1);
    assert_int_equal(then.on_hand, Q(5000));
    assert_int_equal(oci_store_record_get_as_of(reader, "org", "L1", "S", NOW - 1, &then, &exists), CM_OK);
    assert_int_equal(then.on_hand, Q(0)); /* the walk reaches the first bucket */
    assert_int_equal(oci_store_record_get_as_of(reader, "org", "L1", "S", NOW + 9500, &then, &exists), CM_OK);
    assert_int_equal(then.on_hand, Q(1)); /* nothing since: the current record */
    oci_store_read_end(reader);

    /* 5000 more of the other organization's: org's newest is still where it was. */
    writer = th_store_begin(f->store);
    for (int i = 0; i < 5000;) {
        size_t n = 0;
        for (; n < OCI_STORE_GROUP_MAX && i < 5000; n++, i++)
            batch[n] = event_of("other", "L2", "F", NOW + 10000 + i, 0, 0);
        assert_int_equal(oci_store_events_add_many(writer, batch, n), CM_OK);
    }
    th_store_commit(writer);
    reader = oci_store_read_begin(f->store);
    assert_int_equal(oci_store_events_last_seq(reader, "org", &seq), CM_OK);
    assert_int_equal(seq, 9999);
    assert_int_equal(oci_store_events_last_seq(reader, "other", &seq), CM_OK);
    assert_int_equal(seq, 15000);
    assert_int_equal(oci_store_record_get_as_of(reader, "org", "L1", "S", NOW + 8500, &then, &exists), CM_OK);
    assert_int_equal(then.on_hand, Q(9000));
    oci_store_read_end(reader);
}

static void test_database_errors(void **state)
{
    fixture *f = *state;
    oci_store_conn *writer = th_store_begin(f->store);
    add_import(writer, "i-old", "COMPLETED", CUT - 1, 0, "/data/i-old");
    th_store_commit(writer);
    /* A reader cannot prune (it may find rows, it cannot remove them). */
    oci_prune_limits l = limits(10);
    int64_t removed = -1;
    oci_store_conn *reader = oci_store_read_begin(f->store);
    assert_int_not_equal(oci_store_prune(reader, &l, NULL, NULL, &removed), CM_OK);
    oci_store_read_end(reader);
    assert_int_equal(th_store_sql_int(f->path, "SELECT count(*) FROM imports"), 1);

    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    assert_int_equal(sqlite3_exec(db, "DROP TABLE graphs; DROP TABLE events; DROP TABLE delta_tokens;", NULL, NULL,
                                  NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    char *json = NULL;
    rows r = {0};
    reader = oci_store_read_begin(f->store);
    assert_int_equal(oci_store_graph_get(reader, "org", &json), CM_EDB);
    assert_null(json);
    assert_int_equal(oci_store_events_of_sku(reader, "org", "S", 0, INT64_MAX, collect_row, &r), CM_EDB);
    oci_store_read_end(reader);
    writer = th_store_begin(f->store);
    assert_int_equal(oci_store_graph_put(writer, "org", "{}", NOW), CM_EDB);
    /* The prune stops at the tokens: the import before them was removed, and counted. */
    paths files = {0};
    removed = -1;
    assert_int_equal(oci_store_prune(writer, &l, collect_path, &files, &removed), CM_EDB);
    assert_int_equal(removed, 1);
    assert_int_equal(files.count, 1);
    oci_store_write_rollback(writer);
    assert_int_equal(th_store_sql_int(f->path, "SELECT count(*) FROM imports"), 1); /* the caller rolled back */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_prune_imports_and_exports, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prune_takes_100_jobs_per_call, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prune_rows_in_batches, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prune_ids_by_walking, setup, teardown),
        cmocka_unit_test_setup_teardown(test_graph, setup, teardown),
        cmocka_unit_test_setup_teardown(test_events_of_sku, setup, teardown),
        cmocka_unit_test_setup_teardown(test_record_as_of, setup, teardown),
        cmocka_unit_test_setup_teardown(test_event_index_across_buckets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_database_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
