/*
 * test_oci_reserve.c - reserved quantities (oci_core/reserve.h) on a real SQLite store in a
 * temporary folder, with the shared-location graph of oci-api.md §4.6 (A = {L1, L2},
 * B = {L2, L3}): location and group reservations against ATO (or ATF when fulfil-only), all or
 * nothing unless partial, refusals that reserve nothing, group promises that keep each other,
 * sharedGroupReserved, releases (exact or clamped), transfers, fulfilments before and after the
 * record's effectiveDate, and closing a reservation document.
 */
#include "tests/support/test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json_util.h"
#include "oci_core/reserve.h"

#define Q(x) ((int64_t)(x) * 1000)
#define NOW 1700000000000LL
#define DAY (24LL * 3600 * 1000)
#define ORG "org"
#define SKU "SKU-1"
#define MAX_EVENTS 64

static const oci_place L1 = {"location", "L1"}, L2 = {"location", "L2"}, L3 = {"location", "L3"};
static const oci_place GROUP_A = {"group", "A"}, GROUP_B = {"group", "B"};

typedef struct fixture {
    char dir[256];
    oci_store *store;
    oci_graph *graph;
} fixture;

static void put_record(fixture *f, const char *location, const char *sku, int64_t on_hand, int64_t safety_stock,
                       int64_t future)
{
    oci_quantities record;
    memset(&record, 0, sizeof record);
    record.on_hand = on_hand;
    record.safety_stock = safety_stock;
    if (future) {
        record.future_count = 1;
        record.futures[0] = (oci_future){NOW + DAY, future};
    }
    oci_store_conn *writer = NULL;
    assert_int_equal(oci_store_write_begin(f->store, &writer), CM_OK);
    assert_int_equal(oci_store_record_put(writer, ORG, location, sku, &record, NOW), CM_OK);
    assert_int_equal(oci_store_write_commit(writer), CM_OK);
}

/* The §4.6 example: L1 5, L2 5, L3 15 on hand, nothing reserved. */
static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    th_temp_dir(f->dir, sizeof f->dir);
    char path[400], error[OCI_ERROR_MAX];
    snprintf(path, sizeof path, "%s/oci.db", f->dir);
    assert_int_equal(oci_store_open(path, &f->store, error), CM_OK);
    const char *graph = "{\"locations\":[\"L1\",\"L2\",\"L3\"],\"groups\":[{\"id\":\"A\",\"locations\":[\"L1\",\"L2\"]},"
                        "{\"id\":\"B\",\"locations\":[\"L2\",\"L3\"]}]}";
    json_object *root = NULL;
    char parse_error[CM_JSON_ERROR_MAX], graph_error[OCI_GRAPH_ERROR_MAX];
    assert_int_equal(cm_json_parse(graph, strlen(graph), CM_JSON_MAX_DEPTH, &root, parse_error), CM_OK);
    assert_int_equal(oci_graph_from_json(root, &f->graph, graph_error), CM_OK);
    json_object_put(root);
    put_record(f, "L1", SKU, Q(5), 0, 0);
    put_record(f, "L2", SKU, Q(5), 0, 0);
    put_record(f, "L3", SKU, Q(15), 0, 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    oci_graph_free(f->graph);
    oci_store_close(f->store);
    th_remove_tree(f->dir);
    free(f);
    return 0;
}

typedef struct reserve_options {
    const char *sku, *reservation_id;
    int allow_partial, fulfill_only;
} reserve_options;

/* Reserves in its own committed transaction; returns what was taken. */
static int64_t reserve_with(fixture *f, oci_place place, int64_t quantity, reserve_options options)
{
    oci_reserve_request request = {
        .org = ORG, .sku = options.sku ? options.sku : SKU, .reservation_id = options.reservation_id,
        .place_type = place.type, .place_id = place.id, .quantity = quantity,
        .allow_partial = options.allow_partial, .fulfill_only = options.fulfill_only, .now_ms = NOW};
    oci_store_conn *writer = NULL;
    assert_int_equal(oci_store_write_begin(f->store, &writer), CM_OK);
    int64_t reserved = -1;
    assert_int_equal(oci_reserve_place(writer, f->graph, &request, &reserved), CM_OK);
    assert_int_equal(oci_store_write_commit(writer), CM_OK);
    return reserved;
}

static int64_t reserve(fixture *f, oci_place place, int64_t quantity)
{
    return reserve_with(f, place, quantity, (reserve_options){0});
}

static oci_quantities record_of(fixture *f, const char *location, const char *sku)
{
    oci_quantities record;
    int exists;
    oci_store_conn *reader = oci_store_read_begin(f->store);
    assert_non_null(reader);
    assert_int_equal(oci_store_record_get(reader, ORG, location, sku, &record, &exists), CM_OK);
    oci_store_read_end(reader);
    return record;
}

static int64_t reserved_at(fixture *f, oci_place place)
{
    if (strcmp(place.type, "location") == 0)
        return record_of(f, place.id, SKU).reserved;
    int64_t quantity = -1;
    oci_store_conn *reader = oci_store_read_begin(f->store);
    assert_int_equal(oci_store_group_reserved_get(reader, ORG, place.id, SKU, &quantity), CM_OK);
    oci_store_read_end(reader);
    return quantity;
}

typedef struct events {
    size_t count;
    oci_event_row rows[MAX_EVENTS];
} events;

static int collect_event(void *context, const oci_event_row *event)
{
    events *list = context;
    if (list->count < MAX_EVENTS)
        list->rows[list->count++] = *event;
    return 0;
}

/* The events of SKU, groups' after locations', each place's in the order they were stored. */
static void read_events(fixture *f, events *out)
{
    out->count = 0;
    oci_store_conn *reader = oci_store_read_begin(f->store);
    assert_int_equal(oci_store_events_of_sku(reader, ORG, SKU, 0, INT64_MAX, collect_event, out), CM_OK);
    oci_store_read_end(reader);
}

static int64_t last_seq(fixture *f)
{
    int64_t seq = -1;
    oci_store_conn *reader = oci_store_read_begin(f->store);
    assert_int_equal(oci_store_events_last_seq(reader, ORG, &seq), CM_OK);
    oci_store_read_end(reader);
    return seq;
}

typedef struct lines {
    size_t count;
    char text[8][128];
} lines;

static int collect_line(void *context, const char *place_type, const char *place_id, const char *sku,
                        int64_t quantity)
{
    lines *list = context;
    if (list->count < 8)
        snprintf(list->text[list->count++], sizeof list->text[0], "%s %s %s %lld", place_type, place_id, sku,
                 (long long)quantity);
    return 0;
}

static void read_lines(fixture *f, const char *reservation_id, lines *out)
{
    out->count = 0;
    oci_store_conn *reader = oci_store_read_begin(f->store);
    assert_int_equal(oci_store_reservation_lines_scan(reader, ORG, reservation_id, collect_line, out), CM_OK);
    oci_store_read_end(reader);
}

static void test_location_reservation_takes_what_is_asked(void **state)
{
    fixture *f = *state;
    assert_int_equal(reserve_with(f, L1, Q(3), (reserve_options){.reservation_id = "res-1"}), Q(3));
    assert_int_equal(reserved_at(f, L1), Q(3));
    assert_int_equal(record_of(f, "L1", SKU).on_hand, Q(5)); /* reserving does not move stock */
    assert_int_equal(reserved_at(f, L2), 0);
    /* The document's line, added to by a second reservation of the same place. */
    assert_int_equal(reserve_with(f, L1, Q(1), (reserve_options){.reservation_id = "res-1"}), Q(1));
    lines list;
    read_lines(f, "res-1", &list);
    assert_int_equal(list.count, 1);
    assert_string_equal(list.text[0], "location L1 SKU-1 4000");
    events log;
    read_events(f, &log);
    assert_int_equal(log.count, 2);
    assert_string_equal(log.rows[0].event_type, "location_reservation");
    assert_string_equal(log.rows[0].place, "L1");
    assert_int_equal(log.rows[0].old_reserved, 0);
    assert_int_equal(log.rows[0].new_reserved, Q(3));
    assert_int_equal(log.rows[0].old_ato, Q(5));
    assert_int_equal(log.rows[0].new_ato, Q(2));
    assert_int_equal(log.rows[1].new_reserved, Q(4));
}

static void test_more_than_available_is_refused_and_reserves_nothing(void **state)
{
    fixture *f = *state;
    assert_int_equal(reserve_with(f, L1, Q(5) + 1, (reserve_options){.reservation_id = "res-1"}), 0);
    assert_int_equal(reserved_at(f, L1), 0);
    assert_int_equal(last_seq(f), 0);
    lines list;
    read_lines(f, "res-1", &list);
    assert_int_equal(list.count, 0);
    /* Exactly what is there is fine (thousandths are exact)… */
    assert_int_equal(reserve(f, L1, Q(5)), Q(5));
    /* …and then nothing more, not even a thousandth. */
    assert_int_equal(reserve(f, L1, 1), 0);
    assert_int_equal(reserved_at(f, L1), Q(5));
    /* A place with no record (or not in the graph) holds nothing. */
    assert_int_equal(reserve(f, (oci_place){"location", "L9"}, 1), 0);
    assert_int_equal(reserve_with(f, L1, Q(1), (reserve_options){.sku = "SKU-NONE", .allow_partial = 1}), 0);
    assert_int_equal(reserve(f, (oci_place){"group", "Z"}, 1), 0);
    assert_int_equal(reserve_with(f, (oci_place){"group", "Z"}, 1, (reserve_options){.allow_partial = 1}), 0);
    assert_int_equal(last_seq(f), 1);
}

static void test_partial_reserves_what_there_is(void **state)
{
    fixture *f = *state;
    assert_int_equal(reserve(f, L2, Q(2)), Q(2));
    assert_int_equal(reserve_with(f, L2, Q(10), (reserve_options){.allow_partial = 1, .reservation_id = "r"}), Q(3));
    assert_int_equal(reserved_at(f, L2), Q(5));
    lines list;
    read_lines(f, "r", &list);
    assert_int_equal(list.count, 1);
    assert_string_equal(list.text[0], "location L2 SKU-1 3000"); /* what was taken, not what was asked */
    /* Nothing left: a partial reservation takes 0 and stores no event. */
    int64_t seq = last_seq(f);
    assert_int_equal(reserve_with(f, L2, Q(1), (reserve_options){.allow_partial = 1}), 0);
    assert_int_equal(last_seq(f), seq);
}

static void test_ato_counts_futures_and_fulfil_only_uses_atf(void **state)
{
    fixture *f = *state;
    /* onHand 5, safety stock 1, 3 expected: ATF 4, ATO 7. */
    put_record(f, "L1", "SKU-F", Q(5), Q(1), Q(3));
    reserve_options fulfil_only = {.sku = "SKU-F", .fulfill_only = 1};
    assert_int_equal(reserve_with(f, L1, Q(5), fulfil_only), 0);
    assert_int_equal(reserve_with(f, L1, Q(4), fulfil_only), Q(4));
    assert_int_equal(record_of(f, "L1", "SKU-F").reserved, Q(4));
    /* ATO is now 5 + 3 - 4 - 1 = 3. */
    reserve_options ato = {.sku = "SKU-F"};
    assert_int_equal(reserve_with(f, L1, Q(4), ato), 0);
    assert_int_equal(reserve_with(f, L1, Q(3), ato), Q(3));
    assert_int_equal(record_of(f, "L1", "SKU-F").reserved, Q(7));
    assert_int_equal(reserve_with(f, L1, 1, ato), 0);
}

static void test_group_reservations_are_promises_kept_together(void **state)
{
    fixture *f = *state;
    /* B can promise 20 (L2 5 + L3 15); it asks for 17. */
    assert_int_equal(reserve_with(f, GROUP_B, Q(17), (reserve_options){.reservation_id = "res-b"}), Q(17));
    assert_int_equal(reserved_at(f, GROUP_B), Q(17));
    /* A group's reservation is its own: no location record changes. */
    assert_int_equal(reserved_at(f, L2), 0);
    assert_int_equal(reserved_at(f, L3), 0);
    events log;
    read_events(f, &log);
    assert_int_equal(log.count, 1);
    assert_string_equal(log.rows[0].place_type, "group");
    assert_string_equal(log.rows[0].place, "B");
    assert_string_equal(log.rows[0].event_type, "group_reservation");
    assert_int_equal(log.rows[0].old_reserved, 0);
    assert_int_equal(log.rows[0].new_reserved, Q(17));
    lines list;
    read_lines(f, "res-b", &list);
    assert_int_equal(list.count, 1);
    assert_string_equal(list.text[0], "group B SKU-1 17000");

    /* B locks L3's 15 and 2 of the shared L2: A sees those 2 as sharedGroupReserved. */
    oci_store_conn *reader = oci_store_read_begin(f->store);
    int64_t group_reserved = -1, shared = -1;
    assert_int_equal(oci_group_promise_figures(reader, f->graph, ORG, SKU, "A", &group_reserved, &shared), CM_OK);
    assert_int_equal(group_reserved, 0);
    assert_int_equal(shared, Q(2));
    assert_int_equal(oci_group_promise_figures(reader, f->graph, ORG, SKU, "B", &group_reserved, &shared), CM_OK);
    assert_int_equal(group_reserved, Q(17));
    assert_int_equal(shared, 0);
    assert_int_equal(oci_group_promise_figures(reader, f->graph, ORG, SKU, "Z", &group_reserved, &shared), CM_OK);
    assert_int_equal(group_reserved, 0);
    assert_int_equal(shared, 0);
    oci_store_read_end(reader);

    /* A may promise 8 (L1 5 + L2 3), not 9; L2 itself may give 3 to a location reservation. */
    assert_int_equal(reserve(f, GROUP_A, Q(9)), 0);
    assert_int_equal(reserved_at(f, GROUP_A), 0);
    assert_int_equal(reserve(f, L2, Q(4)), 0);
    assert_int_equal(reserve(f, L2, Q(3)), Q(3));
    /* Now L2 is all locked: A can promise only L1's 5, and B still keeps its 17. */
    assert_int_equal(reserve(f, GROUP_A, Q(6)), 0);
    assert_int_equal(reserve_with(f, GROUP_A, Q(6), (reserve_options){.allow_partial = 1}), Q(5));
    assert_int_equal(reserve(f, L1, 1), 0);
    assert_int_equal(reserve(f, L3, 1), 0);
    assert_int_equal(reserve(f, GROUP_B, 1), 0);
}

static void test_release_exact_or_clamped(void **state)
{
    fixture *f = *state;
    assert_int_equal(reserve(f, L1, Q(3)), Q(3));
    assert_int_equal(reserve(f, GROUP_B, Q(4)), Q(4));
    oci_store_conn *writer = NULL;
    oci_move_outcome outcome;
    int64_t released = -1;
    assert_int_equal(oci_store_write_begin(f->store, &writer), CM_OK);
    assert_int_equal(oci_release(writer, ORG, SKU, L1, Q(2), 0, "release", "op-1", NOW, &outcome, &released), CM_OK);
    assert_int_equal(outcome, OCI_MOVE_DONE);
    assert_int_equal(released, Q(2));
    /* More than is left, unclamped: refused, nothing changes. */
    assert_int_equal(oci_release(writer, ORG, SKU, L1, Q(2), 0, "release", "op-2", NOW, &outcome, &released), CM_OK);
    assert_int_equal(outcome, OCI_MOVE_INSUFFICIENT);
    assert_int_equal(released, 0);
    assert_int_equal(oci_release(writer, ORG, SKU, GROUP_B, Q(5), 0, "release", "op-3", NOW, &outcome, &released),
                     CM_OK);
    assert_int_equal(outcome, OCI_MOVE_INSUFFICIENT);
    assert_int_equal(oci_store_write_commit(writer), CM_OK);
    assert_int_equal(reserved_at(f, L1), Q(1));
    assert_int_equal(reserved_at(f, GROUP_B), Q(4));
    int64_t seq = last_seq(f);

    /* Clamped: takes what is there and never refuses. */
    assert_int_equal(oci_store_write_begin(f->store, &writer), CM_OK);
    assert_int_equal(oci_release(writer, ORG, SKU, L1, Q(2), 1, "cancel", NULL, NOW, &outcome, &released), CM_OK);
    assert_int_equal(outcome, OCI_MOVE_DONE);
    assert_int_equal(released, Q(1));
    assert_int_equal(oci_release(writer, ORG, SKU, GROUP_B, Q(9), 1, "cancel", NULL, NOW, &outcome, &released), CM_OK);
    assert_int_equal(outcome, OCI_MOVE_DONE);
    assert_int_equal(released, Q(4));
    assert_int_equal(oci_store_write_commit(writer), CM_OK);
    assert_int_equal(reserved_at(f, L1), 0);
    assert_int_equal(reserved_at(f, GROUP_B), 0);
    assert_int_equal(last_seq(f) - seq, 2);

    /* Clamped with nothing there: done, 0 released, no event. */
    seq = last_seq(f);
    assert_int_equal(oci_store_write_begin(f->store, &writer), CM_OK);
    assert_int_equal(oci_release(writer, ORG, SKU, L2, Q(1), 1, "cancel", NULL, NOW, &outcome, &released), CM_OK);
    assert_int_equal(outcome, OCI_MOVE_DONE);
    assert_int_equal(released, 0);
    assert_int_equal(oci_store_write_commit(writer), CM_OK);
    assert_int_equal(last_seq(f), seq);

    events log;
    read_events(f, &log);
    /* Location events first: L1's reservation, release of 2, clamped release of 1. */
    assert_string_equal(log.rows[1].event_type, "release");
    assert_int_equal(log.rows[1].old_reserved, Q(3));
    assert_int_equal(log.rows[1].new_reserved, Q(1));
    assert_string_equal(log.rows[2].event_type, "cancel");
    assert_int_equal(log.rows[2].new_reserved, 0);
}

/* Runs one transfer in its own transaction; returns its outcome. */
static oci_move_outcome transfer(fixture *f, oci_place from, oci_place to, int64_t quantity, int force)
{
    oci_store_conn *writer = NULL;
    oci_move_outcome outcome = (oci_move_outcome)-1;
    assert_int_equal(oci_store_write_begin(f->store, &writer), CM_OK);
    assert_int_equal(oci_transfer(writer, f->graph, ORG, SKU, from, to, quantity, force, "t", NOW, &outcome), CM_OK);
    assert_int_equal(oci_store_write_commit(writer), CM_OK);
    return outcome;
}

static void test_transfers(void **state)
{
    fixture *f = *state;
    assert_int_equal(reserve(f, L1, Q(3)), Q(3));
    assert_int_equal(transfer(f, L1, L3, Q(2), 0), OCI_MOVE_DONE);
    assert_int_equal(reserved_at(f, L1), Q(1));
    assert_int_equal(reserved_at(f, L3), Q(2));
    /* More than the source holds: refused, nothing moves. */
    int64_t seq = last_seq(f);
    assert_int_equal(transfer(f, L1, L3, Q(2), 0), OCI_MOVE_INSUFFICIENT);
    assert_int_equal(reserved_at(f, L1), Q(1));
    assert_int_equal(reserved_at(f, L3), Q(2));
    assert_int_equal(last_seq(f), seq);

    /* A destination without room refuses unless forced: L2 has 5 and L2 reserves 5 first. */
    assert_int_equal(reserve(f, L2, Q(5)), Q(5));
    assert_int_equal(transfer(f, L1, L2, Q(1), 0), OCI_MOVE_INSUFFICIENT);
    assert_int_equal(reserved_at(f, L1), Q(1));
    assert_int_equal(transfer(f, L1, L2, Q(1), 1), OCI_MOVE_DONE);
    assert_int_equal(reserved_at(f, L1), 0);
    assert_int_equal(reserved_at(f, L2), Q(6));

    /* Location to group and back: B promises what L3 gave up. */
    assert_int_equal(transfer(f, L3, GROUP_B, Q(2), 0), OCI_MOVE_DONE);
    assert_int_equal(reserved_at(f, L3), 0);
    assert_int_equal(reserved_at(f, GROUP_B), Q(2));
    assert_int_equal(transfer(f, GROUP_B, L3, Q(2), 0), OCI_MOVE_DONE);
    assert_int_equal(reserved_at(f, GROUP_B), 0);
    assert_int_equal(reserved_at(f, L3), Q(2));
    /* A group holding nothing has nothing to give. */
    assert_int_equal(transfer(f, GROUP_A, L1, 1, 1), OCI_MOVE_INSUFFICIENT);

    events log;
    read_events(f, &log);
    size_t outs = 0, ins = 0;
    for (size_t i = 0; i < log.count; i++) {
        outs += strcmp(log.rows[i].event_type, "transfer_out") == 0;
        ins += strcmp(log.rows[i].event_type, "transfer_in") == 0;
    }
    assert_int_equal(outs, 4);
    assert_int_equal(ins, 4);
}

/* Fulfils at L1 in its own transaction; returns the outcome. */
static oci_move_outcome fulfil(fixture *f, const char *location, int64_t quantity, int has_time, int64_t when)
{
    oci_store_conn *writer = NULL;
    oci_move_outcome outcome = (oci_move_outcome)-1;
    assert_int_equal(oci_store_write_begin(f->store, &writer), CM_OK);
    assert_int_equal(oci_fulfil(writer, ORG, location, SKU, quantity, has_time, when, "f", NOW, &outcome), CM_OK);
    assert_int_equal(oci_store_write_commit(writer), CM_OK);
    return outcome;
}

static void test_fulfilment_moves_stock_unless_counted_later(void **state)
{
    fixture *f = *state;
    assert_int_equal(reserve(f, L1, Q(3)), Q(3));
    assert_int_equal(fulfil(f, "L1", Q(2), 0, 0), OCI_MOVE_DONE);
    oci_quantities record = record_of(f, "L1", SKU);
    assert_int_equal(record.reserved, Q(1));
    assert_int_equal(record.on_hand, Q(3));
    /* More than is reserved, or where there is no record: refused, nothing changes. */
    int64_t seq = last_seq(f);
    assert_int_equal(fulfil(f, "L1", Q(2), 0, 0), OCI_MOVE_INSUFFICIENT);
    assert_int_equal(fulfil(f, "L9", 0, 0, 0), OCI_MOVE_INSUFFICIENT);
    assert_int_equal(last_seq(f), seq);
    assert_int_equal(record_of(f, "L1", SKU).on_hand, Q(3));

    /* A count with effectiveDate NOW already reflects a fulfilment made before it: only the
     * reservation goes. One made at or after that moment takes stock too. */
    oci_quantities counted = record_of(f, "L2", SKU);
    counted.has_effective_date = 1;
    counted.effective_ms = NOW;
    counted.reserved = Q(4);
    oci_store_conn *writer = NULL;
    assert_int_equal(oci_store_write_begin(f->store, &writer), CM_OK);
    assert_int_equal(oci_store_record_put(writer, ORG, "L2", SKU, &counted, NOW), CM_OK);
    assert_int_equal(oci_store_write_commit(writer), CM_OK);
    assert_int_equal(fulfil(f, "L2", Q(1), 1, NOW - 1), OCI_MOVE_DONE);
    record = record_of(f, "L2", SKU);
    assert_int_equal(record.reserved, Q(3));
    assert_int_equal(record.on_hand, Q(5));
    assert_int_equal(fulfil(f, "L2", Q(1), 1, NOW), OCI_MOVE_DONE);
    record = record_of(f, "L2", SKU);
    assert_int_equal(record.reserved, Q(2));
    assert_int_equal(record.on_hand, Q(4));
    /* Without a time the fulfilment happened now (NOW, not before the count). */
    assert_int_equal(fulfil(f, "L2", Q(1), 0, 0), OCI_MOVE_DONE);
    assert_int_equal(record_of(f, "L2", SKU).on_hand, Q(3));
}

static void test_closing_a_document_releases_its_lines(void **state)
{
    fixture *f = *state;
    oci_store_conn *writer = NULL;
    assert_int_equal(oci_store_write_begin(f->store, &writer), CM_OK);
    oci_reservation_row row;
    memset(&row, 0, sizeof row);
    snprintf(row.org, sizeof row.org, ORG);
    snprintf(row.id, sizeof row.id, "res-1");
    snprintf(row.status, sizeof row.status, "OPEN");
    row.reservation_ms = row.created_ms = NOW;
    assert_int_equal(oci_store_reservation_insert(writer, &row, NULL), CM_OK);
    assert_int_equal(oci_store_write_commit(writer), CM_OK);
    reserve_options in_document = {.reservation_id = "res-1"};
    assert_int_equal(reserve_with(f, L1, Q(3), in_document), Q(3));
    assert_int_equal(reserve_with(f, GROUP_B, Q(4), in_document), Q(4));
    /* Part of the L1 line went elsewhere meanwhile: closing releases at most what is left. */
    oci_move_outcome outcome;
    int64_t released;
    assert_int_equal(oci_store_write_begin(f->store, &writer), CM_OK);
    assert_int_equal(oci_release(writer, ORG, SKU, L1, Q(2), 0, "release", NULL, NOW, &outcome, &released), CM_OK);
    assert_int_equal(outcome, OCI_MOVE_DONE);
    int closed = -1;
    assert_int_equal(oci_reservation_close(writer, ORG, "res-1", "CANCELLED", NOW + 5, &closed), CM_OK);
    assert_int_equal(closed, 1);
    assert_int_equal(oci_store_write_commit(writer), CM_OK);
    assert_int_equal(reserved_at(f, L1), 0);
    assert_int_equal(reserved_at(f, GROUP_B), 0);

    oci_store_conn *reader = oci_store_read_begin(f->store);
    int found = 0;
    assert_int_equal(oci_store_reservation_get(reader, ORG, "res-1", &row, &found), CM_OK);
    assert_int_equal(found, 1);
    assert_string_equal(row.status, "CANCELLED");
    assert_int_equal(row.closed_ms, NOW + 5);
    oci_store_read_end(reader);
    events log;
    read_events(f, &log);
    size_t cancelled = 0;
    for (size_t i = 0; i < log.count; i++)
        cancelled += strcmp(log.rows[i].event_type, "reservation_cancelled") == 0;
    assert_int_equal(cancelled, 2);

    /* Closing again, or a document that does not exist: nothing to close, nothing changes. */
    int64_t seq = last_seq(f);
    assert_int_equal(oci_store_write_begin(f->store, &writer), CM_OK);
    assert_int_equal(oci_reservation_close(writer, ORG, "res-1", "EXPIRED", NOW + 6, &closed), CM_OK);
    assert_int_equal(closed, 0);
    assert_int_equal(oci_reservation_close(writer, ORG, "res-none", "EXPIRED", NOW + 6, &closed), CM_OK);
    assert_int_equal(closed, 0);
    assert_int_equal(oci_store_write_commit(writer), CM_OK);
    assert_int_equal(last_seq(f), seq);
}

static void test_expiry_names_its_events(void **state)
{
    fixture *f = *state;
    oci_store_conn *writer = NULL;
    assert_int_equal(oci_store_write_begin(f->store, &writer), CM_OK);
    oci_reservation_row row;
    memset(&row, 0, sizeof row);
    snprintf(row.org, sizeof row.org, ORG);
    snprintf(row.id, sizeof row.id, "res-2");
    snprintf(row.status, sizeof row.status, "OPEN");
    row.reservation_ms = row.created_ms = NOW;
    row.expires_ms = NOW + 1000;
    assert_int_equal(oci_store_reservation_insert(writer, &row, "ext-1"), CM_OK);
    assert_int_equal(oci_store_write_commit(writer), CM_OK);
    assert_int_equal(reserve_with(f, L3, Q(7), (reserve_options){.reservation_id = "res-2"}), Q(7));
    int closed = -1;
    assert_int_equal(oci_store_write_begin(f->store, &writer), CM_OK);
    assert_int_equal(oci_reservation_close(writer, ORG, "res-2", "EXPIRED", NOW + 1000, &closed), CM_OK);
    assert_int_equal(oci_store_write_commit(writer), CM_OK);
    assert_int_equal(closed, 1);
    assert_int_equal(reserved_at(f, L3), 0);
    events log;
    read_events(f, &log);
    assert_int_equal(log.count, 2);
    assert_string_equal(log.rows[1].event_type, "reservation_expired");
    assert_int_equal(log.rows[1].old_reserved, Q(7));
    assert_int_equal(log.rows[1].new_reserved, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_location_reservation_takes_what_is_asked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_more_than_available_is_refused_and_reserves_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_partial_reserves_what_there_is, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ato_counts_futures_and_fulfil_only_uses_atf, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_reservations_are_promises_kept_together, setup, teardown),
        cmocka_unit_test_setup_teardown(test_release_exact_or_clamped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transfers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fulfilment_moves_stock_unless_counted_later, setup, teardown),
        cmocka_unit_test_setup_teardown(test_closing_a_document_releases_its_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expiry_names_its_events, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
