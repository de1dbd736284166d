/*
 * test_oci_apply.c - changing location records (oci_core/apply.h) on a real SQLite store in a
 * temporary folder: MERGE keeps what an update does not give, REPLACE zeroes it, reservations are
 * never touched, futures are replaced (same dates merged); a record id is applied at most once per
 * organization (across calls and within one batch, and not at all when the caller rolls back);
 * the refusals and their errorCodes; later records of a batch win and each change stores its event
 * with old and new figures; batches larger than one store group; deletions.
 */
#include "tests/support/test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json_util.h"
#include "oci_core/apply.h"

#define Q(x) ((int64_t)(x) * 1000)
#define NOW 1700000000000LL
#define DAY (24LL * 3600 * 1000)
#define MAX_EVENTS 128

typedef struct fixture {
    char dir[256];
    oci_store *store;
    oci_graph *graph;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    th_temp_dir(f->dir, sizeof f->dir);
    char path[400], error[OCI_ERROR_MAX];
    snprintf(path, sizeof path, "%s/oci.db", f->dir);
    assert_int_equal(oci_store_open(path, &f->store, error), CM_OK);
    const char *graph = "{\"locations\":[\"L1\",\"L2\"],\"groups\":[{\"id\":\"G\",\"locations\":[\"L1\",\"L2\"]}]}";
    json_object *root = NULL;
    char parse_error[CM_JSON_ERROR_MAX], graph_error[OCI_GRAPH_ERROR_MAX];
    assert_int_equal(cm_json_parse(graph, strlen(graph), CM_JSON_MAX_DEPTH, &root, parse_error), CM_OK);
    assert_int_equal(oci_graph_from_json(root, &f->graph, graph_error), CM_OK);
    json_object_put(root);
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

/* Applies a batch in its own committed transaction. */
static void apply_committed(fixture *f, const char *org, const oci_record_update *updates, size_t count,
                            oci_apply_mode mode, int claim_ids, oci_apply_result *results)
{
    oci_store_conn *writer = NULL;
    assert_int_equal(oci_store_write_begin(f->store, &writer), CM_OK);
    oci_apply_batch batch = {.org = org, .updates = updates, .count = count, .mode = mode,
                             .event_type = "test_update", .now_ms = NOW, .claim_ids = claim_ids};
    assert_int_equal(oci_apply_many(writer, f->graph, &batch, results), CM_OK);
    assert_int_equal(oci_store_write_commit(writer), CM_OK);
}

/* One record with oci_apply_one, committed; returns its outcome. */
static oci_apply_outcome apply_one(fixture *f, const char *org, const oci_record_update *update,
                                   oci_apply_mode mode, oci_apply_result *result)
{
    oci_store_conn *writer = NULL;
    assert_int_equal(oci_store_write_begin(f->store, &writer), CM_OK);
    assert_int_equal(oci_apply_one(writer, f->graph, org, update, mode, "test_update", NOW, result), CM_OK);
    assert_int_equal(oci_store_write_commit(writer), CM_OK);
    return result->outcome;
}

static int read_record(fixture *f, const char *org, const char *location, const char *sku, oci_quantities *out)
{
    oci_store_conn *reader = oci_store_read_begin(f->store);
    assert_non_null(reader);
    int exists = -1;
    assert_int_equal(oci_store_record_get(reader, org, location, sku, out, &exists), CM_OK);
    oci_store_read_end(reader);
    return exists;
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

/* Every event of one SKU (ordered by place, then as they were stored). */
static void read_events(fixture *f, const char *org, const char *sku, events *out)
{
    out->count = 0;
    oci_store_conn *reader = oci_store_read_begin(f->store);
    assert_non_null(reader);
    assert_int_equal(oci_store_events_of_sku(reader, org, sku, 0, INT64_MAX, collect_event, out), CM_OK);
    oci_store_read_end(reader);
}

static oci_record_update on_hand_update(const char *record_id, const char *location, const char *sku, int64_t on_hand)
{
    oci_record_update update;
    memset(&update, 0, sizeof update);
    update.record_id = record_id;
    update.location_id = location;
    update.sku = sku;
    update.has_on_hand = 1;
    update.on_hand_milli = on_hand;
    return update;
}

static void test_merge_creates_then_changes_only_given_fields(void **state)
{
    fixture *f = *state;
    oci_apply_result result;
    oci_record_update first = on_hand_update(NULL, "L1", "SKU-1", Q(10));
    first.has_safety_stock = 1;
    first.safety_stock_milli = Q(2);
    first.has_effective_date = 1;
    first.effective_ms = NOW - DAY;
    assert_int_equal(apply_one(f, "org", &first, OCI_APPLY_MERGE, &result), OCI_APPLY_APPLIED);

    oci_record_update second;
    memset(&second, 0, sizeof second);
    second.location_id = "L1";
    second.sku = "SKU-1";
    second.has_safety_stock = 1;
    second.safety_stock_milli = Q(1);
    assert_int_equal(apply_one(f, "org", &second, OCI_APPLY_MERGE, &result), OCI_APPLY_APPLIED);

    oci_quantities record;
    assert_int_equal(read_record(f, "org", "L1", "SKU-1", &record), 1);
    assert_int_equal(record.on_hand, Q(10)); /* not given the second time: kept */
    assert_int_equal(record.safety_stock, Q(1));
    assert_int_equal(record.reserved, 0);
    assert_int_equal(record.has_effective_date, 1);
    assert_int_equal(record.effective_ms, NOW - DAY);
    /* Other places and organizations are untouched. */
    assert_int_equal(read_record(f, "org", "L2", "SKU-1", &record), 0);
    assert_int_equal(read_record(f, "other", "L1", "SKU-1", &record), 0);

    /* One event per change, with old and new figures (ATF = onHand - reserved - safety stock). */
    events list;
    read_events(f, "org", "SKU-1", &list);
    assert_int_equal(list.count, 2);
    assert_string_equal(list.rows[0].event_type, "test_update");
    assert_string_equal(list.rows[0].place, "L1");
    assert_string_equal(list.rows[0].place_type, "location");
    assert_int_equal(list.rows[0].created_ms, NOW);
    assert_int_equal(list.rows[0].old_on_hand, 0);
    assert_int_equal(list.rows[0].new_on_hand, Q(10));
    assert_int_equal(list.rows[0].old_atf, 0);
    assert_int_equal(list.rows[0].new_atf, Q(8));
    assert_int_equal(list.rows[0].has_effective_date, 1);
    assert_int_equal(list.rows[0].effective_ms, NOW - DAY);
    assert_int_equal(list.rows[1].old_on_hand, Q(10));
    assert_int_equal(list.rows[1].new_on_hand, Q(10));
    assert_int_equal(list.rows[1].old_safety_stock, Q(2));
    assert_int_equal(list.rows[1].new_safety_stock, Q(1));
    assert_int_equal(list.rows[1].old_atf, Q(8));
    assert_int_equal(list.rows[1].new_atf, Q(9));
}

static void test_replace_zeroes_what_is_not_given_but_keeps_reservations(void **state)
{
    fixture *f = *state;
    /* A record with every field set, and 3 reserved (reservations are set by reserve.h only). */
    oci_quantities stored;
    memset(&stored, 0, sizeof stored);
    stored.on_hand = Q(10);
    stored.reserved = Q(3);
    stored.safety_stock = Q(2);
    stored.has_effective_date = 1;
    stored.effective_ms = NOW - DAY;
    stored.future_count = 1;
    stored.futures[0] = (oci_future){NOW + DAY, Q(4)};
    oci_store_conn *writer = NULL;
    assert_int_equal(oci_store_write_begin(f->store, &writer), CM_OK);
    assert_int_equal(oci_store_record_put(writer, "org", "L1", "SKU-1", &stored, NOW), CM_OK);
    assert_int_equal(oci_store_write_commit(writer), CM_OK);

    oci_apply_result result;
    oci_record_update update = on_hand_update(NULL, "L1", "SKU-1", Q(5));
    assert_int_equal(apply_one(f, "org", &update, OCI_APPLY_REPLACE, &result), OCI_APPLY_APPLIED);
    oci_quantities record;
    assert_int_equal(read_record(f, "org", "L1", "SKU-1", &record), 1);
    assert_int_equal(record.on_hand, Q(5));
    assert_int_equal(record.safety_stock, 0);
    assert_int_equal(record.has_effective_date, 0);
    assert_int_equal(record.future_count, 0);
    assert_int_equal(record.reserved, Q(3));

    /* MERGE does not touch reservations either, even with every quantity field given. */
    update.has_safety_stock = 1;
    update.safety_stock_milli = Q(1);
    assert_int_equal(apply_one(f, "org", &update, OCI_APPLY_MERGE, &result), OCI_APPLY_APPLIED);
    assert_int_equal(read_record(f, "org", "L1", "SKU-1", &record), 1);
    assert_int_equal(record.reserved, Q(3));
    events list;
    read_events(f, "org", "SKU-1", &list);
    assert_int_equal(list.count, 2);
    assert_int_equal(list.rows[0].old_reserved, Q(3));
    assert_int_equal(list.rows[0].new_reserved, Q(3));
    assert_int_equal(list.rows[0].new_atf, Q(2)); /* 5 - 3 - 0 */
}

static void test_futures_are_replaced_and_same_dates_merged(void **state)
{
    fixture *f = *state;
    oci_apply_result result;
    oci_record_update update = on_hand_update(NULL, "L1", "SKU-1", Q(1));
    update.has_futures = 1;
    update.future_count = 3;
    update.futures[0] = (oci_future){NOW + 2 * DAY, Q(1)};
    update.futures[1] = (oci_future){NOW + DAY, Q(3)};
    update.futures[2] = (oci_future){NOW + DAY, Q(2)};
    assert_int_equal(apply_one(f, "org", &update, OCI_APPLY_MERGE, &result), OCI_APPLY_APPLIED);
    oci_quantities record;
    assert_int_equal(read_record(f, "org", "L1", "SKU-1", &record), 1);
    assert_int_equal(record.future_count, 2);
    assert_int_equal(record.futures[0].expected_ms, NOW + DAY);
    assert_int_equal(record.futures[0].quantity_milli, Q(5));
    assert_int_equal(record.futures[1].expected_ms, NOW + 2 * DAY);
    assert_int_equal(record.futures[1].quantity_milli, Q(1));

    /* Without futures a MERGE keeps them… */
    oci_record_update no_futures = on_hand_update(NULL, "L1", "SKU-1", Q(2));
    assert_int_equal(apply_one(f, "org", &no_futures, OCI_APPLY_MERGE, &result), OCI_APPLY_APPLIED);
    assert_int_equal(read_record(f, "org", "L1", "SKU-1", &record), 1);
    assert_int_equal(record.future_count, 2);
    events list;
    read_events(f, "org", "SKU-1", &list);
    assert_int_equal(list.rows[1].new_futures_total, Q(6));
    assert_int_equal(list.rows[1].new_ato, Q(8)); /* 2 on hand + 6 future */

    /* …and an empty futures array given replaces them with none. */
    no_futures.has_futures = 1;
    no_futures.future_count = 0;
    assert_int_equal(apply_one(f, "org", &no_futures, OCI_APPLY_MERGE, &result), OCI_APPLY_APPLIED);
    assert_int_equal(read_record(f, "org", "L1", "SKU-1", &record), 1);
    assert_int_equal(record.future_count, 0);
}

static void test_record_id_is_applied_once_per_organization(void **state)
{
    fixture *f = *state;
    oci_apply_result result;
    oci_record_update update = on_hand_update("rec-1", "L1", "SKU-1", Q(10));
    assert_int_equal(apply_one(f, "org", &update, OCI_APPLY_MERGE, &result), OCI_APPLY_APPLIED);
    assert_string_equal(result.message, "");

    /* The same id with other figures changes nothing. */
    update.on_hand_milli = Q(20);
    assert_int_equal(apply_one(f, "org", &update, OCI_APPLY_MERGE, &result), OCI_APPLY_DUPLICATE);
    assert_string_equal(result.message, "record id already applied");
    oci_quantities record;
    assert_int_equal(read_record(f, "org", "L1", "SKU-1", &record), 1);
    assert_int_equal(record.on_hand, Q(10));
    events list;
    read_events(f, "org", "SKU-1", &list);
    assert_int_equal(list.count, 1);

    /* The id remembers where it was applied. */
    oci_store_conn *reader = oci_store_read_begin(f->store);
    char location[OCI_LOCATION_ID_MAX + 1], sku[OCI_SKU_MAX + 1];
    int found = 0;
    assert_int_equal(oci_store_applied_get(reader, "org", "rec-1", location, sku, &found), CM_OK);
    assert_int_equal(found, 1);
    assert_string_equal(location, "L1");
    assert_string_equal(sku, "SKU-1");
    oci_store_read_end(reader);

    /* Ids are per organization. */
    assert_int_equal(apply_one(f, "other", &update, OCI_APPLY_MERGE, &result), OCI_APPLY_APPLIED);
    assert_int_equal(read_record(f, "other", "L1", "SKU-1", &record), 1);
    assert_int_equal(record.on_hand, Q(20));
    /* A record without an id is never a duplicate. */
    update.record_id = NULL;
    assert_int_equal(apply_one(f, "org", &update, OCI_APPLY_MERGE, &result), OCI_APPLY_APPLIED);
    assert_int_equal(apply_one(f, "org", &update, OCI_APPLY_MERGE, &result), OCI_APPLY_APPLIED);
    assert_int_equal(read_record(f, "org", "L1", "SKU-1", &record), 1);
    assert_int_equal(record.on_hand, Q(20));
}

static void test_same_id_twice_in_one_batch_applies_the_first(void **state)
{
    fixture *f = *state;
    oci_record_update updates[3] = {on_hand_update("rec-1", "L1", "SKU-1", Q(1)),
                                    on_hand_update("rec-1", "L2", "SKU-2", Q(2)),
                                    on_hand_update("rec-2", "L2", "SKU-2", Q(3))};
    oci_apply_result results[3];
    apply_committed(f, "org", updates, 3, OCI_APPLY_MERGE, 1, results);
    assert_int_equal(results[0].outcome, OCI_APPLY_APPLIED);
    assert_int_equal(results[1].outcome, OCI_APPLY_DUPLICATE);
    assert_int_equal(results[2].outcome, OCI_APPLY_APPLIED);
    oci_quantities record;
    assert_int_equal(read_record(f, "org", "L1", "SKU-1", &record), 1);
    assert_int_equal(record.on_hand, Q(1));
    assert_int_equal(read_record(f, "org", "L2", "SKU-2", &record), 1);
    assert_int_equal(record.on_hand, Q(3));
    events list;
    read_events(f, "org", "SKU-2", &list);
    assert_int_equal(list.count, 1);
}

static void test_later_records_of_a_batch_win_with_one_event_each(void **state)
{
    fixture *f = *state;
    oci_record_update updates[3] = {on_hand_update("a", "L1", "SKU-1", Q(1)),
                                    on_hand_update("b", "L1", "SKU-1", Q(2)),
                                    on_hand_update("c", "L1", "SKU-1", Q(0))};
    /* The last one only changes the safety stock: it must see the second one's on hand. */
    updates[2].has_on_hand = 0;
    updates[2].has_safety_stock = 1;
    updates[2].safety_stock_milli = Q(1);
    oci_apply_result results[3];
    apply_committed(f, "org", updates, 3, OCI_APPLY_MERGE, 1, results);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(results[i].outcome, OCI_APPLY_APPLIED);
    oci_quantities record;
    assert_int_equal(read_record(f, "org", "L1", "SKU-1", &record), 1);
    assert_int_equal(record.on_hand, Q(2));
    assert_int_equal(record.safety_stock, Q(1));
    events list;
    read_events(f, "org", "SKU-1", &list);
    assert_int_equal(list.count, 3);
    /* Each event's old figures are the previous change's new ones. */
    assert_int_equal(list.rows[0].old_on_hand, 0);
    assert_int_equal(list.rows[0].new_on_hand, Q(1));
    assert_int_equal(list.rows[1].old_on_hand, Q(1));
    assert_int_equal(list.rows[1].new_on_hand, Q(2));
    assert_int_equal(list.rows[2].old_on_hand, Q(2));
    assert_int_equal(list.rows[2].new_on_hand, Q(2));
    assert_int_equal(list.rows[2].old_safety_stock, 0);
    assert_int_equal(list.rows[2].new_safety_stock, Q(1));
    assert_true(list.rows[0].seq < list.rows[1].seq && list.rows[1].seq < list.rows[2].seq);
}

/* Expects one refused record with `code` and `message`, nothing stored and its id not claimed. */
static void expect_refused(fixture *f, const oci_record_update *update, const char *code, const char *message)
{
    oci_apply_result result;
    assert_int_equal(apply_one(f, "org", update, OCI_APPLY_MERGE, &result), OCI_APPLY_REFUSED);
    assert_non_null(result.error_code);
    assert_string_equal(result.error_code, code);
    assert_string_equal(result.message, message);
    oci_store_conn *reader = oci_store_read_begin(f->store);
    int64_t seq = -1;
    assert_int_equal(oci_store_events_last_seq(reader, "org", &seq), CM_OK);
    assert_int_equal(seq, 0);
    oci_store_read_end(reader);
}

static void test_refusals_change_nothing(void **state)
{
    fixture *f = *state;
    char long_id[130];
    memset(long_id, 'i', 129);
    long_id[129] = '\0';
    char long_sku[252];
    memset(long_sku, 's', 251);
    long_sku[251] = '\0';

    oci_record_update update = on_hand_update("rec-1", "L1", "X", Q(1));
    expect_refused(f, &update, "InvalidRequestParameter", "'sku' is not a valid sku");
    update.sku = NULL;
    expect_refused(f, &update, "InvalidRequestParameter", "'sku' is not a valid sku");
    update.sku = "SKU 1";
    expect_refused(f, &update, "InvalidRequestParameter", "'sku' is not a valid sku");
    update.sku = long_sku;
    expect_refused(f, &update, "InvalidRequestParameter", "'sku' is not a valid sku");

    update.sku = "SKU-1";
    update.location_id = "L9";
    expect_refused(f, &update, "LocationDoesNotExist", "No location exists with ID 'L9'");
    update.location_id = "G"; /* a group is not a location */
    expect_refused(f, &update, "LocationDoesNotExist", "No location exists with ID 'G'");
    update.location_id = NULL;
    expect_refused(f, &update, "LocationDoesNotExist", "No location exists with ID ''");

    update.location_id = "L1";
    update.record_id = "";
    expect_refused(f, &update, "InvalidRequestParameter", "'id' must be a string of 1..128 characters");
    update.record_id = long_id;
    expect_refused(f, &update, "InvalidRequestParameter", "'id' must be a string of 1..128 characters");
    update.record_id = "rec\n1";
    expect_refused(f, &update, "InvalidRequestParameter", "'id' must be a string of 1..128 characters");

    update.record_id = "rec-1";
    update.has_futures = 1;
    update.future_count = OCI_MAX_FUTURES + 1;
    expect_refused(f, &update, "InvalidRequestParameter", "'futures' has too many entries");

    /* A refused record did not claim its id: the corrected record with the same id applies. */
    update.has_futures = 0;
    update.future_count = 0;
    oci_apply_result result;
    assert_int_equal(apply_one(f, "org", &update, OCI_APPLY_MERGE, &result), OCI_APPLY_APPLIED);
}

static void test_identifier_bounds_are_accepted(void **state)
{
    fixture *f = *state;
    char longest_id[129], longest_sku[251];
    memset(longest_id, 'i', 128);
    longest_id[128] = '\0';
    memset(longest_sku, 's', 250);
    longest_sku[250] = '\0';
    oci_record_update updates[3] = {on_hand_update(longest_id, "L1", longest_sku, Q(1)),
                                    on_hand_update("r", "L1", "ab", Q(1)),
                                    on_hand_update("full-futures", "L2", "ab", Q(1))};
    updates[2].has_futures = 1;
    updates[2].future_count = OCI_MAX_FUTURES;
    for (size_t i = 0; i < OCI_MAX_FUTURES; i++)
        updates[2].futures[i] = (oci_future){NOW + (int64_t)(i + 1) * DAY, Q(1)};
    oci_apply_result results[3];
    apply_committed(f, "org", updates, 3, OCI_APPLY_MERGE, 1, results);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(results[i].outcome, OCI_APPLY_APPLIED);
    oci_quantities record;
    assert_int_equal(read_record(f, "org", "L2", "ab", &record), 1);
    assert_int_equal(record.future_count, OCI_MAX_FUTURES);
    assert_int_equal(record.futures[OCI_MAX_FUTURES - 1].expected_ms, NOW + OCI_MAX_FUTURES * DAY);
}

static void test_refusals_in_a_batch_keep_their_positions(void **state)
{
    fixture *f = *state;
    oci_record_update updates[4] = {on_hand_update("a", "L1", "SKU-1", Q(1)), on_hand_update("b", "L9", "SKU-1", Q(2)),
                                    on_hand_update("c", "L2", "SKU-1", Q(3)), on_hand_update("d", "L2", "x", Q(4))};
    oci_apply_result results[4];
    apply_committed(f, "org", updates, 4, OCI_APPLY_MERGE, 1, results);
    assert_int_equal(results[0].outcome, OCI_APPLY_APPLIED);
    assert_int_equal(results[1].outcome, OCI_APPLY_REFUSED);
    assert_string_equal(results[1].error_code, "LocationDoesNotExist");
    assert_int_equal(results[2].outcome, OCI_APPLY_APPLIED);
    assert_int_equal(results[3].outcome, OCI_APPLY_REFUSED);
    assert_string_equal(results[3].error_code, "InvalidRequestParameter");
    oci_quantities record;
    assert_int_equal(read_record(f, "org", "L2", "SKU-1", &record), 1);
    assert_int_equal(record.on_hand, Q(3));
    events list;
    read_events(f, "org", "SKU-1", &list);
    assert_int_equal(list.count, 2);
}

static void test_without_claiming_ids_are_not_remembered(void **state)
{
    fixture *f = *state;
    oci_record_update update = on_hand_update("rec-1", "L1", "SKU-1", Q(1));
    oci_apply_result result;
    apply_committed(f, "org", &update, 1, OCI_APPLY_MERGE, 0, &result);
    assert_int_equal(result.outcome, OCI_APPLY_APPLIED);
    update.on_hand_milli = Q(2);
    apply_committed(f, "org", &update, 1, OCI_APPLY_MERGE, 0, &result);
    assert_int_equal(result.outcome, OCI_APPLY_APPLIED);
    oci_quantities record;
    assert_int_equal(read_record(f, "org", "L1", "SKU-1", &record), 1);
    assert_int_equal(record.on_hand, Q(2));
    oci_store_conn *reader = oci_store_read_begin(f->store);
    char location[OCI_LOCATION_ID_MAX + 1], sku[OCI_SKU_MAX + 1];
    int found = -1;
    assert_int_equal(oci_store_applied_get(reader, "org", "rec-1", location, sku, &found), CM_OK);
    assert_int_equal(found, 0);
    oci_store_read_end(reader);
}

static void test_rolled_back_batch_leaves_no_claim(void **state)
{
    fixture *f = *state;
    oci_record_update update = on_hand_update("rec-1", "L1", "SKU-1", Q(1));
    oci_apply_result result;
    oci_store_conn *writer = NULL;
    assert_int_equal(oci_store_write_begin(f->store, &writer), CM_OK);
    assert_int_equal(oci_apply_one(writer, f->graph, "org", &update, OCI_APPLY_MERGE, "test_update", NOW, &result),
                     CM_OK);
    assert_int_equal(result.outcome, OCI_APPLY_APPLIED);
    oci_store_write_rollback(writer);
    oci_quantities record;
    assert_int_equal(read_record(f, "org", "L1", "SKU-1", &record), 0);
    /* The claim went with the rollback, so a retry of the same id applies. */
    assert_int_equal(apply_one(f, "org", &update, OCI_APPLY_MERGE, &result), OCI_APPLY_APPLIED);
    assert_int_equal(read_record(f, "org", "L1", "SKU-1", &record), 1);
}

static void test_batches_larger_than_a_store_group(void **state)
{
    fixture *f = *state;
    enum { COUNT = 2 * OCI_STORE_GROUP_MAX + 7 };
    static oci_record_update updates[COUNT];
    const oci_record_update *list[COUNT];
    char ids[COUNT][16], skus[COUNT][16];
    for (size_t i = 0; i < COUNT; i++) {
        snprintf(ids[i], sizeof ids[i], "id-%zu", i);
        snprintf(skus[i], sizeof skus[i], "SKU-%zu", i);
        updates[i] = on_hand_update(ids[i], i % 2 ? "L2" : "L1", skus[i], Q((int64_t)i + 1));
        list[i] = &updates[i];
    }
    /* Past the first two groups: an id of the first group again, and the same sku as an earlier
     * record of the same window (different id), whose figures must win. */
    updates[COUNT - 1].record_id = ids[0];
    updates[COUNT - 2].location_id = updates[COUNT - 3].location_id;
    updates[COUNT - 2].sku = skus[COUNT - 3];
    static oci_apply_result results[COUNT];
    oci_store_conn *writer = NULL;
    assert_int_equal(oci_store_write_begin(f->store, &writer), CM_OK);
    oci_apply_batch batch = {.org = "org", .update_list = list, .count = COUNT, .mode = OCI_APPLY_MERGE,
                             .event_type = "test_update", .now_ms = NOW, .claim_ids = 1};
    assert_int_equal(oci_apply_many(writer, f->graph, &batch, results), CM_OK);
    assert_int_equal(oci_store_write_commit(writer), CM_OK);
    for (size_t i = 0; i < COUNT - 1; i++)
        assert_int_equal(results[i].outcome, OCI_APPLY_APPLIED);
    assert_int_equal(results[COUNT - 1].outcome, OCI_APPLY_DUPLICATE);
    oci_quantities record;
    for (size_t i = 0; i < COUNT - 3; i++) {
        assert_int_equal(read_record(f, "org", updates[i].location_id, skus[i], &record), 1);
        assert_int_equal(record.on_hand, Q((int64_t)i + 1));
    }
    assert_int_equal(read_record(f, "org", updates[COUNT - 3].location_id, skus[COUNT - 3], &record), 1);
    assert_int_equal(record.on_hand, Q(COUNT - 1));
    assert_int_equal(read_record(f, "org", "L1", skus[COUNT - 2], &record), 0);
    assert_int_equal(read_record(f, "org", "L2", skus[COUNT - 2], &record), 0);
    assert_int_equal(read_record(f, "org", updates[COUNT - 1].location_id, skus[COUNT - 1], &record), 0);
}

static void test_error_code_of_stored_refusals(void **state)
{
    (void)state;
    assert_string_equal(oci_apply_error_code("LocationDoesNotExist"), "LocationDoesNotExist");
    assert_string_equal(oci_apply_error_code("InvalidRequestParameter"), "InvalidRequestParameter");
    /* The answer is static: it outlives the text it was read from. */
    char text[] = "LocationDoesNotExist";
    const char *code = oci_apply_error_code(text);
    assert_ptr_not_equal(code, text);
    assert_string_equal(oci_apply_error_code("locationdoesnotexist"), "Unknown");
    assert_string_equal(oci_apply_error_code(""), "Unknown");
    assert_string_equal(oci_apply_error_code(NULL), "Unknown");
}

static void test_delete_one(void **state)
{
    fixture *f = *state;
    oci_apply_result result;
    oci_record_update update = on_hand_update(NULL, "L1", "SKU-1", Q(10));
    assert_int_equal(apply_one(f, "org", &update, OCI_APPLY_MERGE, &result), OCI_APPLY_APPLIED);

    oci_store_conn *writer = NULL;
    int found = -1;
    assert_int_equal(oci_store_write_begin(f->store, &writer), CM_OK);
    assert_int_equal(oci_delete_one(writer, "org", "L2", "SKU-1", "del-0", NOW, &found), CM_OK);
    assert_int_equal(found, 0);
    assert_int_equal(oci_delete_one(writer, "org", "L1", "SKU-1", "del-1", NOW + 1, &found), CM_OK);
    assert_int_equal(found, 1);
    assert_int_equal(oci_store_write_commit(writer), CM_OK);

    oci_quantities record;
    assert_int_equal(read_record(f, "org", "L1", "SKU-1", &record), 0);
    events list;
    read_events(f, "org", "SKU-1", &list);
    assert_int_equal(list.count, 2); /* the update and the deletion; no event for the missing record */
    assert_string_equal(list.rows[1].event_type, "location_delete");
    assert_int_equal(list.rows[1].created_ms, NOW + 1);
    assert_int_equal(list.rows[1].old_on_hand, Q(10));
    assert_int_equal(list.rows[1].new_on_hand, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_merge_creates_then_changes_only_given_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replace_zeroes_what_is_not_given_but_keeps_reservations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_futures_are_replaced_and_same_dates_merged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_record_id_is_applied_once_per_organization, setup, teardown),
        cmocka_unit_test_setup_teardown(test_same_id_twice_in_one_batch_applies_the_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_later_records_of_a_batch_win_with_one_event_each, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals_change_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_identifier_bounds_are_accepted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals_in_a_batch_keep_their_positions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_without_claiming_ids_are_not_remembered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rolled_back_batch_leaves_no_claim, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batches_larger_than_a_store_group, setup, teardown),
        cmocka_unit_test(test_error_code_of_stored_refusals),
        cmocka_unit_test_setup_teardown(test_delete_one, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
