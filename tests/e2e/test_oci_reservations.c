/*
 * End-to-end tests of the bundled OCI core's reservation API (part 2) over real HTTP: reservation
 * documents, transfers, releases, fulfilments, group promises, expiry and the event-log export.
 *
 * Request examples of ../shared/oci-spec/inventory-reservation-service sent here (the only request
 * examples that RAML has), each with its reply checked against the RAML response type:
 * - Examples/MoveReservationBatchPostBody.raml (as is: 400 InvalidTransferAllOrNothing, the RAML's own
 *   rule for a mixed set; without allOrNothingTransferId: 204, then 200 MoveReservationErrorsResponse)
 * - Examples/FulfillReservationRequestBody.raml (204; repeated: nothing changes twice; 200
 *   FulfillQuantityResponseErrors with err751)
 * - libraries/UnreserveReservations.raml RequestBodyGroupAndLocation example (its missing commas
 *   added: 200 ResponseBodyGroupAndLocation, then 204)
 * PUT reservation-documents has no request example file; its bodies are built from the type
 * examples (PlaceReservation*Body) and checked against PlaceReservationResponseBody and the
 * ResponseBodyReservation* examples. Every 4xx of the RAML for these routes is produced:
 * PUT 400 (LocationGroupNotFound, LocationNotFound, NoLocationOrGroupsProvided), 403, 409;
 * PATCH 400 (InvalidRequestParameterExample), 403, 404, 409; transfers 400 (all six examples), 403;
 * releases 400 (Generic400ErrorMessage, TooManyFieldsProvided, LocationNotFound,
 * LocationGroupNotFound), 403; fulfillments 400 (MissingParameter), 403, 409.
 */
#include "tests/support/oci_inproc.h"
#include "tests/support/test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/config.h"
#include "common/http_server.h"
#include "common/json_util.h"
#include "oci_core/oci_core.h"
#include "oci_core/oci_core_testing.h"
#include "tests/support/http_client.h"

#define ORG "f_ecom_test_001"
#define AVAIL "/inventory/availability/v1/organizations/" ORG
#define IMPEX "/inventory/impex/v1/organizations/" ORG
#define RES "/inventory/reservation/v1/organizations/" ORG
#define TOKEN "Authorization: Bearer test-token"

typedef th_oci fixture;

static const char *const JSON_HEADERS[] = {TOKEN, "Content-Type: application/json", NULL};

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    char graph[512], text[2048];
    th_data_path("oci/location-graph-reservations.json", graph, sizeof graph);
    snprintf(text, sizeof text,
             "{\"oci\":{\"port\":0,\"organizations\":[{\"id\":\"" ORG "\",\"locationGraph\":\"%s\","
             "\"tokens\":[{\"token\":\"test-token\",\"scopes\":[\"sfcc.inventory.availability\","
             "\"sfcc.inventory.availability.rw\",\"sfcc.inventory.impex-inventory\",\"sfcc.inventory.impex-inventory.rw\","
             "\"sfcc_inventory_reservations_rw\"]},{\"token\":\"read-only\",\"scopes\":[\"sfcc.inventory.reservations\"]}]},"
             "{\"id\":\"other_org\",\"tokens\":[{\"token\":\"other-token\",\"scopes\":[\"sfcc.inventory.reservations.rw\"]}]}]},"
             "\"tenants\":[]}",
             graph);
    th_oci_start(f, text);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    th_oci_stop(f);
    free(f);
    return 0;
}

static const char *plain(json_object *json)
{
    return json_object_to_json_string_ext(json, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

static json_object *call_with(fixture *f, const char *const *headers, const char *method, const char *path,
                              const char *body, long *status, th_response *keep)
{
    char url[1024];
    th_url(url, sizeof url, f->port, path);
    th_response response;
    assert_int_equal(th_http(method, url, headers, body, body ? strlen(body) : 0, &response), 0);
    *status = response.status;
    json_object *json = response.body_length ? th_json(&response) : NULL;
    if (keep)
        *keep = response;
    else
        th_response_free(&response);
    return json;
}

static json_object *call(fixture *f, const char *method, const char *path, const char *body, long *status)
{
    return call_with(f, JSON_HEADERS, method, path, body, status, NULL);
}

static void expect_status(fixture *f, const char *method, const char *path, const char *body, long want)
{
    long status;
    json_object *json = call(f, method, path, body, &status);
    if (status != want)
        fail_msg("%s %s: status %ld, wanted %ld: %s", method, path, status, want,
                 json ? plain(json) : "");
    json_object_put(json);
}

static const char *string(json_object *obj, const char *key)
{
    const char *text = NULL;
    if (cm_json_string(obj, key, &text) != CM_JSON_OK)
        fail_msg("no string '%s' in %s", key, plain(obj));
    return text;
}

static double number(json_object *obj, const char *key)
{
    json_object *value;
    if (!json_object_object_get_ex(obj, key, &value) ||
        !(json_object_is_type(value, json_type_int) || json_object_is_type(value, json_type_double)))
        fail_msg("no number '%s' in %s", key, plain(obj));
    return json_object_get_double(value);
}

/* An OCI problem reply: the status, errorCode, a message and type about:blank. */
static json_object *expect_problem(fixture *f, const char *const *headers, const char *method, const char *path,
                                   const char *body, long want_status, const char *want_code)
{
    long status;
    json_object *json = call_with(f, headers ? headers : JSON_HEADERS, method, path, body, &status, NULL);
    if (status != want_status || !json)
        fail_msg("%s %s: status %ld, wanted %ld: %s", method, path, status, want_status,
                 json ? plain(json) : "");
    assert_string_equal(string(json, "errorCode"), want_code);
    assert_string_equal(string(json, "type"), "about:blank");
    assert_non_null(string(json, "message"));
    return json;
}

static void expect_error(fixture *f, const char *method, const char *path, const char *body, long want_status,
                         const char *want_code)
{
    json_object_put(expect_problem(f, NULL, method, path, body, want_status, want_code));
}

static void load(fixture *f, const char *location, const char *sku, int on_hand, const char *effective)
{
    static int counter;
    char id[64];
    snprintf(id, sizeof id, "load-%d", ++counter);
    oci_record_update update = {.record_id = id, .location_id = location, .sku = sku, .has_on_hand = 1,
                                .on_hand_milli = (int64_t)on_hand * 1000};
    if (effective) {
        update.has_effective_date = 1;
        assert_int_equal(cm_time_parse(effective, &update.effective_ms), 0);
    }
    oci_apply_result result;
    assert_int_equal(oci_core_apply_records(f->core, ORG, &update, 1, &result), CM_OK);
    assert_int_equal(result.outcome, OCI_APPLY_APPLIED);
}

/* get-availability of one sku at one place: the record (caller puts the returned root). */
static json_object *availability(fixture *f, const char *sku, const char *place, int group, json_object **record)
{
    char body[512];
    snprintf(body, sizeof body, "{\"skus\":[\"%s\"],\"%s\":[\"%s\"]}", sku, group ? "groups" : "locations", place);
    long status;
    json_object *json = call(f, "POST", AVAIL "/availability-records/actions/get-availability", body, &status);
    assert_int_equal(status, 200);
    json_object *places, *records;
    assert_int_equal(cm_json_array(json, group ? "groups" : "locations", &places), CM_JSON_OK);
    assert_int_equal(cm_json_array(json_object_array_get_idx(places, 0), "records", &records), CM_JSON_OK);
    *record = json_object_array_get_idx(records, 0);
    return json;
}

/* Checks a place's figures: onHand, reserved, atf, ato (-1: not checked). */
static void expect_figures(fixture *f, const char *sku, const char *place, int group, double on_hand, double reserved,
                           double atf, double ato)
{
    json_object *record;
    json_object *json = availability(f, sku, place, group, &record);
    if (number(record, "onHand") != on_hand || number(record, "reserved") != reserved ||
        (atf >= 0 && number(record, "atf") != atf) || (ato >= 0 && number(record, "ato") != ato))
        fail_msg("%s %s: %s, wanted onHand %g reserved %g atf %g ato %g", place, sku,
                 plain(record), on_hand, reserved, atf, ato);
    json_object_put(json);
}

/* Checks a reservation reply against PlaceReservationResponseBody. */
static void check_reservation_reply(json_object *json)
{
    assert_non_null(string(json, "reservationTime"));
    json_object *success;
    assert_true(json_object_object_get_ex(json, "success", &success));
    assert_true(json_object_is_type(success, json_type_boolean));
    const char *keys[] = {"groups", "locations"};
    for (int k = 0; k < 2; k++) {
        json_object *places;
        if (cm_json_array(json, keys[k], &places) != CM_JSON_OK)
            continue;
        for (size_t i = 0; i < json_object_array_length(places); i++) {
            json_object *place = json_object_array_get_idx(places, i), *lines;
            assert_non_null(string(place, "id"));
            if (cm_json_array(place, "details", &lines) == CM_JSON_OK)
                for (size_t l = 0; l < json_object_array_length(lines); l++) {
                    assert_non_null(string(json_object_array_get_idx(lines, l), "sku"));
                    assert_true(number(json_object_array_get_idx(lines, l), "quantity") > 0);
                }
            if (cm_json_array(place, "errors", &lines) == CM_JSON_OK)
                for (size_t l = 0; l < json_object_array_length(lines); l++) {
                    assert_non_null(string(json_object_array_get_idx(lines, l), "sku"));
                    const char *code = string(json_object_array_get_idx(lines, l), "errorCode");
                    assert_true(strcmp(code, "InsufficientQuantity") == 0 || strcmp(code, "Unknown") == 0);
                }
        }
    }
}

static json_object *reserve(fixture *f, const char *id, const char *body, long want_status)
{
    char path[256];
    snprintf(path, sizeof path, RES "/reservation-documents/%s", id);
    long status;
    th_response response;
    json_object *json = call_with(f, JSON_HEADERS, "PUT", path, body, &status, &response);
    if (status != want_status)
        fail_msg("PUT %s: %ld %s", id, status, response.body);
    if (status == 200) {
        char header[512];
        assert_int_equal(th_header(&response, "Location", header, sizeof header), 0);
        assert_string_equal(header, path);
        check_reservation_reply(json);
    }
    th_response_free(&response);
    return json;
}

/* details[0].quantity of the first place of `key`, or 0 when there are none. */
static double reserved_quantity(json_object *reply, const char *key)
{
    json_object *places, *details;
    assert_int_equal(cm_json_array(reply, key, &places), CM_JSON_OK);
    if (cm_json_array(json_object_array_get_idx(places, 0), "details", &details) != CM_JSON_OK ||
        json_object_array_length(details) == 0)
        return 0;
    return number(json_object_array_get_idx(details, 0), "quantity");
}

static void test_reserve_documents(void **state)
{
    fixture *f = *state;
    load(f, "warehouse5", "sku1234", 20, NULL);
    load(f, "warehouse5", "sku5678", 1, NULL);
    /* PlaceReservationRequestBodyLocation, partial allowed (default): 20 of 25. */
    json_object *reply = reserve(f, "12345-23456-3456-4567-5678",
                                 "{\"externalRefId\":\"7282822-9823-aaa\",\"expirationSeconds\":300,"
                                 "\"reservationTime\":\"2030-07-24T21:13:00Z\",\"locations\":[{\"id\":\"warehouse5\","
                                 "\"reservations\":[{\"sku\":\"sku1234\",\"quantity\":25}]}]}",
                                 200);
    assert_string_equal(string(reply, "reservationTime"), "2030-07-24T21:13:00.000Z");
    assert_string_equal(string(reply, "expirationTime"), "2030-07-24T21:18:00.000Z");
    assert_true(reserved_quantity(reply, "locations") == 20);
    json_object_put(reply);
    expect_figures(f, "sku1234", "warehouse5", 0, 20, 20, 0, 0);
    /* Nothing left, partial allowed: an error line, success false (ResponseBodyReservationPartialNoItemSuccess). */
    reply = reserve(f, "r2", "{\"locations\":[{\"id\":\"warehouse5\",\"reservations\":[{\"sku\":\"sku1234\",\"quantity\":1}]}]}",
                    200);
    json_object *success;
    json_object_object_get_ex(reply, "success", &success);
    assert_false(json_object_get_boolean(success));
    assert_non_null(strstr(plain(reply), "\"errorCode\":\"InsufficientQuantity\""));
    assert_null(strstr(plain(reply), "expirationTime"));
    json_object_put(reply);
    /* Not partial: sku5678 2 of 1 fails, sku1234 — some succeed, some fail (NonPartialSomeItemSuccessSomeFail). */
    load(f, "warehouse4", "sku1234", 11, NULL);
    load(f, "warehouse4", "sku5678", 1, NULL);
    reply = reserve(f, "r3",
                    "{\"allowPartialReservations\":false,\"locations\":[{\"id\":\"warehouse4\",\"reservations\":"
                    "[{\"sku\":\"sku1234\",\"quantity\":10.1},{\"sku\":\"sku5678\",\"quantity\":2}]}]}",
                    200);
    assert_true(reserved_quantity(reply, "locations") == 10.1);
    assert_non_null(strstr(plain(reply), "{\"sku\":\"sku5678\",\"errorCode\":\"InsufficientQuantity\"}"));
    json_object_put(reply);
    expect_figures(f, "sku1234", "warehouse4", 0, 11, 10.1, 0.9, 0.9);
    /* All or nothing: one line cannot be met, so neither is reserved. */
    reply = reserve(f, "r4",
                    "{\"locations\":[{\"id\":\"warehouse4\",\"reservations\":[],\"allOrNothingReservations\":[{\"id\":"
                    "\"a14s-4b1c-1a3cbd4\",\"reservations\":[{\"sku\":\"sku1234\",\"quantity\":0.9},{\"sku\":\"sku5678\","
                    "\"quantity\":5}]}]}]}",
                    200);
    assert_null(strstr(plain(reply), "details\":[{"));
    json_object_put(reply);
    expect_figures(f, "sku1234", "warehouse4", 0, 11, 10.1, 0.9, 0.9);
    /* fulfillOnly reserves against ATF (safety stock counts, futures do not). */
    char body[512];
    snprintf(body, sizeof body,
             "{\"records\":[{\"id\":\"ss1\",\"location\":\"warehouse6\",\"sku\":\"sku9\",\"onHand\":5,\"safetyStockCount\":1,"
             "\"futureStock\":[{\"quantity\":10,\"expectedDate\":\"2031-01-01T00:00:00Z\"}]}]}");
    expect_status(f, "POST", AVAIL "/availability-records/actions/batch-update", body, 204);
    reply = reserve(f, "r5", "{\"fulfillOnly\":true,\"locations\":[{\"id\":\"warehouse6\",\"reservations\":[{\"sku\":\"sku9\",\"quantity\":5}]}]}",
                    200);
    assert_true(reserved_quantity(reply, "locations") == 0);
    json_object_put(reply);
    reply = reserve(f, "r6", "{\"locations\":[{\"id\":\"warehouse6\",\"reservations\":[{\"sku\":\"sku9\",\"quantity\":14}]}]}", 200);
    assert_true(reserved_quantity(reply, "locations") == 14); /* against ATO: 5 + 10 - 1 */
    json_object_put(reply);
    /* Cancel: back to the previous figures; cancel again: 409; a PUT on a used id: 409. */
    expect_status(f, "PATCH", RES "/reservation-documents/r6", "{\"status\":\"CANCELLED\"}", 204);
    expect_figures(f, "sku9", "warehouse6", 0, 5, 0, 4, 14);
    expect_error(f, "PATCH", RES "/reservation-documents/r6", "{\"status\":\"CANCELLED\"}", 409, "ReservationCancelled");
    expect_error(f, "PUT", RES "/reservation-documents/r6", "{\"locations\":[{\"id\":\"warehouse6\",\"reservations\":[]}]}", 409,
                 "ReservationCancelled");
    expect_error(f, "PUT", RES "/reservation-documents/r5", "{\"locations\":[{\"id\":\"warehouse6\",\"reservations\":[]}]}", 409,
                 "EntityExists");
    /* The 400s of PUT and PATCH. */
    json_object *json = expect_problem(f, NULL, "PUT", RES "/reservation-documents/r7",
                                       "{\"groups\":[{\"id\":\"Germany\",\"reservations\":[{\"sku\":\"s1\",\"quantity\":1}]}]}", 400,
                                       "GroupDoesNotExist");
    assert_string_equal(string(json, "group"), "Germany");
    json_object_put(json);
    json = expect_problem(f, NULL, "PUT", RES "/reservation-documents/r7",
                          "{\"locations\":[{\"id\":\"warehouse9\",\"reservations\":[{\"sku\":\"s1\",\"quantity\":1}]}]}", 400,
                          "LocationDoesNotExist");
    assert_string_equal(string(json, "location"), "warehouse9");
    json_object_put(json);
    json = expect_problem(f, NULL, "PUT", RES "/reservation-documents/r7", "{\"externalRefId\":\"x\"}", 400, "InvalidRequest");
    assert_string_equal(string(json, "message"), "No location or groups provided.");
    json_object_put(json);
    expect_error(f, "PUT", RES "/reservation-documents/r7",
                 "{\"expirationSeconds\":14401,\"locations\":[{\"id\":\"warehouse6\",\"reservations\":[]}]}", 400,
                 "InvalidRequestParameter");
    expect_error(f, "PUT", RES "/reservation-documents/r7",
                 "{\"locations\":[{\"id\":\"warehouse6\",\"reservations\":[{\"sku\":\"s1\",\"quantity\":0}]}]}", 400,
                 "InvalidRequestParameter");
    expect_error(f, "PUT", RES "/reservation-documents/r7", "null", 400, "InvalidRequestParameter");
    expect_error(f, "PATCH", RES "/reservation-documents/r7", "{\"status\":\"CANCELLED\"}", 404, "EntityNotFound");
    expect_error(f, "PATCH", RES "/reservation-documents/r5", "{\"status\":\"OPEN\"}", 400, "InvalidRequestParameter");
    expect_error(f, "PATCH", RES "/reservation-documents/r5", "null", 400, "InvalidRequestParameter");
    char long_id[300];
    memset(long_id, 'x', 200);
    long_id[200] = '\0';
    char path[512];
    snprintf(path, sizeof path, RES "/reservation-documents/%s", long_id);
    json = expect_problem(f, NULL, "PATCH", path, "{\"status\":\"CANCELLED\"}", 400, "InvalidRequestParameter");
    assert_string_equal(string(json, "parameterName"), "reservationId");
    json_object_put(json);
    /* 403: a read-only token (scope), and a token of another organization (TenantNotProvisioned). */
    const char *read_only[] = {"Authorization: Bearer read-only", NULL};
    long status;
    json = call_with(f, read_only, "PUT", RES "/reservation-documents/r8", "{}", &status, NULL);
    assert_int_equal(status, 403);
    json_object_put(json);
    const char *other[] = {"Authorization: Bearer other-token", NULL};
    const char *paths[][2] = {{"PUT", RES "/reservation-documents/r8"}, {"PATCH", RES "/reservation-documents/r8"},
                              {"POST", RES "/transfers"}, {"POST", RES "/releases"}, {"POST", RES "/fulfillments"}};
    for (size_t i = 0; i < 5; i++)
        json_object_put(expect_problem(f, other, paths[i][0], paths[i][1], "{}", 403, "TenantNotProvisioned"));
}

static void test_shared_location_groups(void **state)
{
    fixture *f = *state;
    /* oci-api.md §4.6: A = {L1, L2}, B = {L2, L3}; L1 5, L2 5, L3 15. */
    load(f, "L1", "skuS", 5, NULL);
    load(f, "L2", "skuS", 5, NULL);
    load(f, "L3", "skuS", 15, NULL);
    expect_figures(f, "skuS", "A", 1, 10, 0, 10, 10);
    expect_figures(f, "skuS", "B", 1, 20, 0, 20, 20);
    json_object *reply = reserve(f, "shared-b", "{\"groups\":[{\"id\":\"B\",\"reservations\":[{\"sku\":\"skuS\",\"quantity\":17}]}]}", 200);
    assert_true(reserved_quantity(reply, "groups") == 17);
    json_object_put(reply);
    /* B: onHand 20, reserved 17, ATO 3; A's reservation count rises by 2: reserved 2, ATO 8. */
    expect_figures(f, "skuS", "B", 1, 20, 17, 3, 3);
    expect_figures(f, "skuS", "A", 1, 10, 2, 8, 8);
    json_object *record;
    json_object *json = availability(f, "skuS", "A", 1, &record);
    assert_true(number(record, "groupReserved") == 0);
    assert_true(number(record, "sharedGroupReserved") == 2);
    json_object_put(json);
    json = availability(f, "skuS", "B", 1, &record);
    assert_true(number(record, "groupReserved") == 17);
    assert_true(number(record, "sharedGroupReserved") == 0);
    json_object_put(json);
    /* Group reservations do not change a location's ATO… */
    expect_figures(f, "skuS", "L3", 0, 15, 0, 15, 15);
    /* …but a location reservation that would break B's promise fails: L3 reports 15, only 3 can go. */
    reply = reserve(f, "loc-l3", "{\"allowPartialReservations\":false,\"locations\":[{\"id\":\"L3\",\"reservations\":[{\"sku\":\"skuS\",\"quantity\":15}]}]}",
                    200);
    assert_non_null(strstr(plain(reply), "InsufficientQuantity"));
    json_object_put(reply);
    reply = reserve(f, "loc-l3b", "{\"locations\":[{\"id\":\"L3\",\"reservations\":[{\"sku\":\"skuS\",\"quantity\":15}]}]}", 200);
    assert_true(reserved_quantity(reply, "locations") == 3);
    json_object_put(reply);
    /* L1 belongs to A only and A promises nothing of its own: all 5. */
    reply = reserve(f, "loc-l1", "{\"locations\":[{\"id\":\"L1\",\"reservations\":[{\"sku\":\"skuS\",\"quantity\":5}]}]}", 200);
    assert_true(reserved_quantity(reply, "locations") == 5);
    json_object_put(reply);
    /* B is now fully promised: a group reservation of 1 more fails. */
    reply = reserve(f, "shared-b2", "{\"allowPartialReservations\":false,\"groups\":[{\"id\":\"B\",\"reservations\":[{\"sku\":\"skuS\",\"quantity\":1}]}]}", 200);
    assert_non_null(strstr(plain(reply), "InsufficientQuantity"));
    json_object_put(reply);
}

static void test_order_flow(void **state)
{
    fixture *f = *state;
    /* Refresh: warehouse4 and warehouse5 hold 10 each, counted on 2024-01-01. */
    load(f, "warehouse4", "skuF", 10, "2024-01-01T00:00:00Z");
    load(f, "warehouse5", "skuF", 10, "2024-01-01T00:00:00Z");
    expect_figures(f, "skuF", "UnitedStates", 1, 20, 0, 20, 20);
    /* Reserve 3 at the group: the group's ATO drops, the locations' do not. */
    json_object *reply = reserve(f, "order-1", "{\"groups\":[{\"id\":\"UnitedStates\",\"reservations\":[{\"sku\":\"skuF\",\"quantity\":3}]}]}", 200);
    assert_true(reserved_quantity(reply, "groups") == 3);
    json_object_put(reply);
    expect_figures(f, "skuF", "UnitedStates", 1, 20, 3, 17, 17);
    expect_figures(f, "skuF", "warehouse5", 0, 10, 0, 10, 10);
    /* Transfer group -> warehouse5: the reservation becomes the location's. */
    expect_status(f, "POST", RES "/transfers",
                  "{\"records\":[{\"id\":\"t-1\",\"from\":{\"group\":\"UnitedStates\"},\"to\":{\"location\":\"warehouse5\"},"
                  "\"sku\":\"skuF\",\"quantity\":3}]}",
                  204);
    expect_figures(f, "skuF", "warehouse5", 0, 10, 3, 7, 7);
    expect_figures(f, "skuF", "UnitedStates", 1, 20, 3, 17, 17);
    /* The same transfer id again changes nothing. */
    expect_status(f, "POST", RES "/transfers",
                  "{\"records\":[{\"id\":\"t-1\",\"from\":{\"group\":\"UnitedStates\"},\"to\":{\"location\":\"warehouse5\"},"
                  "\"sku\":\"skuF\",\"quantity\":3}]}",
                  204);
    expect_figures(f, "skuF", "warehouse5", 0, 10, 3, 7, 7);
    /* Fulfil 2 on 2024-01-02, after the count: onHand and reserved both drop. */
    expect_status(f, "POST", RES "/fulfillments",
                  "{\"records\":[{\"id\":\"f-1\",\"location\":\"warehouse5\",\"sku\":\"skuF\",\"quantity\":2,"
                  "\"fulfillmentTime\":\"2024-01-02T00:00:00Z\"}]}",
                  204);
    expect_figures(f, "skuF", "warehouse5", 0, 8, 1, 7, 7);
    expect_figures(f, "skuF", "UnitedStates", 1, 18, 1, 17, 17);
    expect_status(f, "POST", RES "/fulfillments",
                  "{\"records\":[{\"id\":\"f-1\",\"location\":\"warehouse5\",\"sku\":\"skuF\",\"quantity\":2,"
                  "\"fulfillmentTime\":\"2024-01-02T00:00:00Z\"}]}",
                  204);
    expect_figures(f, "skuF", "warehouse5", 0, 8, 1, 7, 7);
    /* A refresh with an older effectiveDate replaces onHand (reserved stays). */
    load(f, "warehouse5", "skuF", 12, "2023-12-31T00:00:00Z");
    expect_figures(f, "skuF", "warehouse5", 0, 12, 1, 11, 11);
    /* A refresh counted on 2024-01-05, then a fulfilment dated 2024-01-02: the count already has it. */
    load(f, "warehouse5", "skuF", 9, "2024-01-05T00:00:00Z");
    expect_figures(f, "skuF", "warehouse5", 0, 9, 1, 8, 8);
    expect_status(f, "POST", RES "/fulfillments",
                  "{\"records\":[{\"id\":\"f-2\",\"location\":\"warehouse5\",\"sku\":\"skuF\",\"quantity\":1,"
                  "\"fulfillmentTime\":\"2024-01-02T00:00:00Z\"}]}",
                  204);
    expect_figures(f, "skuF", "warehouse5", 0, 9, 0, 9, 9);
    expect_figures(f, "skuF", "UnitedStates", 1, 19, 0, 19, 19);
    oci_availability record;
    assert_int_equal(oci_core_get_location_record(f->core, ORG, "warehouse5", "skuF", &record), CM_OK);
    assert_int_equal(record.on_hand_milli, 9000);
    assert_int_equal(record.reserved_milli, 0);
    /* The same fulfilment id for another quantity: 409, nothing applied. */
    expect_error(f, "POST", RES "/fulfillments",
                 "{\"records\":[{\"id\":\"f-2\",\"location\":\"warehouse5\",\"sku\":\"skuF\",\"quantity\":5}]}", 409,
                 "InvalidRequestParameter");
    /* location -> group and location -> location. */
    reply = reserve(f, "order-2", "{\"locations\":[{\"id\":\"warehouse4\",\"reservations\":[{\"sku\":\"skuF\",\"quantity\":4}]}]}", 200);
    json_object_put(reply);
    expect_status(f, "POST", RES "/transfers",
                  "{\"records\":[{\"id\":\"t-2\",\"from\":{\"location\":\"warehouse4\"},\"to\":{\"location\":\"warehouse5\"},"
                  "\"sku\":\"skuF\",\"quantity\":1},{\"id\":\"t-3\",\"from\":{\"location\":\"warehouse4\"},\"to\":{\"group\":"
                  "\"UnitedStates\"},\"sku\":\"skuF\",\"quantity\":2}]}",
                  204);
    expect_figures(f, "skuF", "warehouse4", 0, 10, 1, 9, 9);
    expect_figures(f, "skuF", "warehouse5", 0, 9, 1, 8, 8);
    expect_figures(f, "skuF", "UnitedStates", 1, 19, 4, 15, 15);
    /* Releases: by group and by location; too much: 200 with quantity 0 in the details. */
    expect_status(f, "POST", RES "/releases",
                  "{\"records\":[{\"id\":\"u-1\",\"group\":\"UnitedStates\",\"sku\":\"skuF\",\"quantity\":2},"
                  "{\"id\":\"u-2\",\"location\":\"warehouse4\",\"sku\":\"skuF\",\"quantity\":1}]}",
                  204);
    expect_figures(f, "skuF", "UnitedStates", 1, 19, 1, 18, 18);
    long status;
    json_object *json = call(f, "POST", RES "/releases",
                             "{\"records\":[{\"id\":\"u-3\",\"location\":\"warehouse5\",\"sku\":\"skuF\",\"quantity\":5}]}",
                             &status);
    assert_int_equal(status, 200);
    assert_non_null(strstr(plain(json), "\"quantity\":0"));
    json_object_put(json);
    /* Every change recorded an event; an event-log export for the sku lists them per place. */
    json = call(f, "POST", IMPEX "/event-log/exports",
                "{\"sku\":\"skuF\",\"startsOn\":\"2000-01-01T00:00:00Z\",\"endsOn\":\"2000-01-31T00:00:00Z\"}", &status);
    assert_int_equal(status, 200); /* an empty window is fine */
    json_object_put(json);
    time_t now = time(NULL);
    char starts[64], body[512];
    strftime(starts, sizeof starts, "%Y-%m-%dT%H:%M:%SZ", gmtime(&(time_t){now - 3600}));
    snprintf(body, sizeof body, "{\"sku\":\"skuF\",\"startsOn\":\"%s\",\"locations\":[\"warehouse5\"],\"groups\":[\"UnitedStates\"]}",
             starts);
    json = call(f, "POST", IMPEX "/event-log/exports", body, &status);
    assert_int_equal(status, 200);
    assert_int_equal(strncmp(string(json, "exportId"), "e-", 2), 0);
    char status_path[512];
    snprintf(status_path, sizeof status_path, "%s", string(json, "exportStatusLink"));
    json_object_put(json);
    for (int i = 0; i < 200; i++) {
        json = call(f, "GET", status_path, NULL, &status);
        assert_int_equal(status, 200);
        if (strcmp(string(json, "status"), "COMPLETED") == 0)
            break;
        json_object_put(json);
        json = NULL;
        usleep(50000);
    }
    assert_non_null(json);
    json_object *download, *export_info;
    assert_int_equal(cm_json_object(json, "download", &download), CM_JSON_OK);
    assert_int_equal(cm_json_object(json, "export", &export_info), CM_JSON_OK);
    assert_true(number(export_info, "recordsExportedCount") > 0);
    char url[1024];
    th_url(url, sizeof url, f->port, string(download, "downloadLink"));
    json_object_put(json);
    th_response response;
    assert_int_equal(th_http("GET", url, JSON_HEADERS, NULL, 0, &response), 0);
    assert_int_equal(response.status, 200);
    const char *file = response.body;
    assert_int_equal(strncmp(file, "{\"locationId\":\"warehouse5\"}\n", 28), 0);
    assert_non_null(strstr(file, "\"eventType\":\"location_update\""));
    assert_non_null(strstr(file, "\"eventType\":\"transfer_in\""));
    assert_non_null(strstr(file, "\"eventType\":\"fulfillment\""));
    assert_non_null(strstr(file, "{\"groupId\":\"UnitedStates\"}"));
    assert_non_null(strstr(file, "\"eventType\":\"group_reservation\""));
    assert_non_null(strstr(file, "\"newSoftReserved\":3"));
    assert_non_null(strstr(file, "\"sequenceNumber\":"));
    assert_non_null(strstr(file, "\"createdTime\":"));
    th_response_free(&response);
    /* The event-log 400s and 404. */
    json = expect_problem(f, NULL, "POST", IMPEX "/event-log/exports", "{\"startsOn\":\"2024-01-01T00:00:00Z\"}", 400,
                          "InvalidRequestParameter");
    assert_string_equal(string(json, "message"), "'sku' Invalid characters in sku: null");
    json_object_put(json);
    expect_error(f, "POST", IMPEX "/event-log/exports",
                 "{\"sku\":\"skuF\",\"startsOn\":\"2024-01-01T00:00:00Z\",\"endsOn\":\"2024-02-01T00:00:00Z\"}", 400,
                 "InvalidRequestParameter");
    expect_error(f, "POST", IMPEX "/event-log/exports",
                 "{\"sku\":\"skuF\",\"startsOn\":\"2024-01-01T00:00:00Z\",\"locations\":[\"warehouse4\",\"warehouse5\","
                 "\"warehouse6\",\"L1\",\"L2\",\"L3\"],\"groups\":[\"A\",\"B\",\"UnitedStates\",\"A\",\"B\"]}",
                 400, "InvalidRequestParameter");
    expect_error(f, "POST", IMPEX "/event-log/exports",
                 "{\"sku\":\"skuF\",\"startsOn\":\"2024-01-01T00:00:00Z\",\"locations\":[\"mars\"]}", 400,
                 "LocationDoesNotExist");
    expect_error(f, "GET", IMPEX "/event-log/exports/e-none/status", NULL, 404, "EntityNotFound");
    oci_core_testing_pause_worker(f->core, 1);
    json = call(f, "POST", IMPEX "/event-log/exports", body, &status);
    assert_int_equal(status, 200);
    char file_path[512];
    snprintf(file_path, sizeof file_path, IMPEX "/event-log/exports/%s/file-content", string(json, "exportId"));
    json_object_put(json);
    expect_error(f, "GET", file_path, NULL, 409, "ExportInProcess");
    oci_core_testing_pause_worker(f->core, 0);
}

static void test_expiry(void **state)
{
    fixture *f = *state;
    load(f, "warehouse6", "skuE", 4, NULL);
    json_object *reply = reserve(f, "short", "{\"expirationSeconds\":1,\"locations\":[{\"id\":\"warehouse6\",\"reservations\":[{\"sku\":\"skuE\",\"quantity\":3}]}]}", 200);
    json_object_put(reply);
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    expect_figures(f, "skuE", "warehouse6", 0, 4, 3, 1, 1);
    double elapsed = 0;
    for (;;) {
        oci_availability record;
        assert_int_equal(oci_core_get_location_record(f->core, ORG, "warehouse6", "skuE", &record), CM_OK);
        clock_gettime(CLOCK_MONOTONIC, &now);
        elapsed = (double)(now.tv_sec - start.tv_sec) + (double)(now.tv_nsec - start.tv_nsec) / 1e9;
        if (record.reserved_milli == 0)
            break;
        if (elapsed > 5)
            fail_msg("the reservation was not released within 5 s");
        usleep(50000);
    }
    assert_true(elapsed >= 0.5); /* not before its time (the reply took part of the second) */
    expect_figures(f, "skuE", "warehouse6", 0, 4, 0, 4, 4);
    expect_error(f, "PATCH", RES "/reservation-documents/short", "{\"status\":\"CANCELLED\"}", 409, "ReservationInvalidState");
}

/* The request examples of the reservation RAML, and every 400 of transfers, releases, fulfilments. */
static void test_raml_move_examples(void **state)
{
    fixture *f = *state;
    const char *move_example =
        "{\"allOrNothingTransferId\":\"a14s-4b1c-1a3cbd4\",\"records\":[{\"id\":\"82251928-8863-488e-840b-2aebd10b35ed\","
        "\"externalRefId\":\"7282822-9823-aaa\",\"from\":{\"location\":\"warehouse4\"},\"to\":{\"location\":\"warehouse5\"},"
        "\"sku\":\"sku-001\",\"quantity\":2.011},{\"id\":\"82251928-8863-488e-840b-2aebd10b57ba\",\"externalRefId\":"
        "\"7282822-9823-bbb\",\"from\":{\"group\":\"UnitedStates\"},\"to\":{\"location\":\"warehouse5\"},\"sku\":\"sku-002\","
        "\"quantity\":7.132,\"ignoreAvailabilityCheck\":true},{\"id\":\"12345-23456-3456-4567-5678-6F6F\",\"externalRefId\":"
        "\"1234561-3574-6B6D\",\"from\":{\"location\":\"warehouse5\"},\"to\":{\"group\":\"UnitedStates\"},\"sku\":\"sku1000\","
        "\"quantity\":5.417}]}";
    json_object *json = expect_problem(f, NULL, "POST", RES "/transfers", move_example, 400, "InvalidRequestParameter");
    assert_non_null(strstr(string(json, "message"), "All or nothing transfers are only allowed from Group to Location"));
    json_object_put(json);
    /* The same records as independent moves: the sources hold nothing yet, so each fails
     * (MoveReservationErrorsResponse). */
    const char *records = strstr(move_example, "\"records\"");
    char body[2048];
    snprintf(body, sizeof body, "{%s", records);
    long status;
    json = call(f, "POST", RES "/transfers", body, &status);
    assert_int_equal(status, 200);
    json_object *errors;
    assert_int_equal(cm_json_array(json, "errors", &errors), CM_JSON_OK);
    assert_int_equal(json_object_array_length(errors), 3);
    json_object *error = json_object_array_get_idx(errors, 1), *details, *from, *to;
    assert_string_equal(string(error, "errorCode"), "InsufficientQuantity");
    assert_string_equal(string(error, "message"), "Insufficient Quantity");
    assert_int_equal(cm_json_object(error, "details", &details), CM_JSON_OK);
    assert_string_equal(string(details, "id"), "82251928-8863-488e-840b-2aebd10b57ba");
    assert_string_equal(string(details, "externalRefId"), "7282822-9823-bbb");
    assert_int_equal(cm_json_object(details, "from", &from), CM_JSON_OK);
    assert_string_equal(string(from, "group"), "UnitedStates");
    assert_int_equal(cm_json_object(details, "to", &to), CM_JSON_OK);
    assert_string_equal(string(to, "location"), "warehouse5");
    assert_string_equal(string(details, "sku"), "sku-002");
    assert_true(number(details, "quantity") == 7.132);
    json_object_put(json);
    /* With reservations in place every record moves: 204. */
    load(f, "warehouse4", "sku-001", 5, NULL);
    load(f, "warehouse5", "sku-001", 5, NULL); /* a location -> location move needs room at the destination */
    load(f, "warehouse5", "sku-002", 10, NULL);
    load(f, "warehouse5", "sku1000", 10, NULL);
    json_object_put(reserve(f, "ex-1", "{\"locations\":[{\"id\":\"warehouse4\",\"reservations\":[{\"sku\":\"sku-001\",\"quantity\":2.011}]},"
                                       "{\"id\":\"warehouse5\",\"reservations\":[{\"sku\":\"sku1000\",\"quantity\":5.417}]}],"
                                       "\"groups\":[{\"id\":\"UnitedStates\",\"reservations\":[{\"sku\":\"sku-002\",\"quantity\":7.132}]}]}",
                            200));
    snprintf(body, sizeof body, "{%s", records);
    expect_status(f, "POST", RES "/transfers", body, 204);
    expect_figures(f, "sku-001", "warehouse5", 0, 5, 2.011, 2.989, 2.989);
    expect_figures(f, "sku-001", "warehouse4", 0, 5, 0, 5, 5);
    expect_figures(f, "sku-002", "warehouse5", 0, 10, 7.132, 2.868, 2.868);
    expect_figures(f, "sku1000", "UnitedStates", 1, 10, 5.417, 4.583, 4.583);
    /* Repeated: the ids were applied, nothing moves twice. */
    expect_status(f, "POST", RES "/transfers", body, 204);
    expect_figures(f, "sku-002", "warehouse5", 0, 10, 7.132, 2.868, 2.868);

    /* FulfillReservationRequestBody: warehouse4 is not in... it is; both records need reservations. */
    load(f, "warehouse5", "sku1234", 2000, NULL);
    load(f, "warehouse4", "sku5678", 300, NULL);
    json_object_put(reserve(f, "ex-2", "{\"locations\":[{\"id\":\"warehouse5\",\"reservations\":[{\"sku\":\"sku1234\",\"quantity\":1200.35}]},"
                                       "{\"id\":\"warehouse4\",\"reservations\":[{\"sku\":\"sku5678\",\"quantity\":201.27}]}]}",
                            200));
    const char *fulfil_example =
        "{\"records\":[{\"id\":\"82251928-8863-488e-840b-2aebd10b57ba\",\"externalRefId\":\"7282822-9823-aaa\","
        "\"location\":\"warehouse5\",\"sku\":\"sku1234\",\"quantity\":1200.35,\"fulfillmentTime\":\"2019-07-24T21:13:00Z\"},"
        "{\"id\":\"82251928-8863-488e-840b-2aeb567d3a87\",\"externalRefId\":\"7282822-9823-ddd\",\"location\":\"warehouse4\","
        "\"sku\":\"sku5678\",\"quantity\":201.27}]}";
    expect_status(f, "POST", RES "/fulfillments", fulfil_example, 204);
    expect_figures(f, "sku1234", "warehouse5", 0, 799.65, 0, 799.65, 799.65);
    expect_figures(f, "sku5678", "warehouse4", 0, 98.73, 0, 98.73, 98.73);
    expect_status(f, "POST", RES "/fulfillments", fulfil_example, 204);
    expect_figures(f, "sku1234", "warehouse5", 0, 799.65, 0, 799.65, 799.65);
    /* FulfillQuantityResponseErrors: an unknown location is err751. */
    json = call(f, "POST", RES "/fulfillments",
                "{\"records\":[{\"id\":\"x1\",\"externalRefId\":\"e\",\"location\":\"warehouse9\",\"sku\":\"sku1234\",\"quantity\":1200.35}]}",
                &status);
    assert_int_equal(status, 200);
    assert_int_equal(cm_json_array(json, "errors", &errors), CM_JSON_OK);
    error = json_object_array_get_idx(errors, 0);
    assert_string_equal(string(error, "errorCode"), "err751");
    assert_string_equal(string(error, "message"), "Failed to fulfill, invalid location provided.");
    assert_int_equal(cm_json_object(error, "details", &details), CM_JSON_OK);
    assert_string_equal(string(details, "location"), "warehouse9");
    assert_true(number(details, "quantity") == 1200.35);
    json_object_put(json);

    /* RequestBodyGroupAndLocation (releases), commas restored: nothing reserved: 200 with both records. */
    const char *release_example =
        "{\"records\":[{\"id\":\"82251928-8863-488e-840b-2aebd10b57ba\",\"externalRefId\":\"7282822-9823-aaa\","
        "\"location\":\"warehouse5\",\"sku\":\"sku1234\",\"quantity\":1200.35},{\"id\":\"82251928-8863-488e-840b-2aebd10b6666\","
        "\"externalRefId\":\"7282822-9823-bbb\",\"group\":\"UnitedStates\",\"sku\":\"sku5678\",\"quantity\":1.35}]}";
    json = call(f, "POST", RES "/releases", release_example, &status);
    assert_int_equal(status, 200);
    assert_int_equal(cm_json_array(json, "errors", &errors), CM_JSON_OK);
    assert_int_equal(json_object_array_length(errors), 2);
    error = json_object_array_get_idx(errors, 1);
    assert_string_equal(string(error, "errorCode"), "InsufficientQuantity");
    assert_int_equal(cm_json_object(error, "details", &details), CM_JSON_OK);
    assert_string_equal(string(details, "group"), "UnitedStates");
    assert_true(number(details, "quantity") == 0);
    json_object_put(json);
    load(f, "warehouse5", "sku1234", 2000, NULL);
    json_object_put(reserve(f, "ex-3", "{\"locations\":[{\"id\":\"warehouse5\",\"reservations\":[{\"sku\":\"sku1234\",\"quantity\":1200.35}]}],"
                                       "\"groups\":[{\"id\":\"UnitedStates\",\"reservations\":[{\"sku\":\"sku5678\",\"quantity\":1.35}]}]}",
                            200));
    char release_again[1024];
    snprintf(release_again, sizeof release_again, "%s", release_example);
    memcpy(strstr(release_again, "57ba"), "57bb", 4); /* new ids: the first ones failed, not applied */
    memcpy(strstr(release_again, "6666"), "6667", 4);
    expect_figures(f, "sku1234", "warehouse5", 0, 2000, 1200.35, 799.65, 799.65);
    expect_status(f, "POST", RES "/releases", release_again, 204);
    expect_figures(f, "sku1234", "warehouse5", 0, 2000, 0, 2000, 2000);
    expect_status(f, "POST", RES "/releases", release_again, 204); /* idempotent */
    expect_figures(f, "sku1234", "warehouse5", 0, 2000, 0, 2000, 2000);

    /* Transfers: the six 400 examples. */
    json = expect_problem(f, NULL, "POST", RES "/transfers",
                          "{\"records\":[{\"id\":\"a\",\"from\":{\"location\":\"warehouse0\"},\"to\":{\"location\":\"warehouse5\"},\"sku\":\"s\",\"quantity\":1}]}",
                          400, "LocationDoesNotExist");
    assert_string_equal(string(json, "location"), "warehouse0");
    json_object_put(json);
    json = expect_problem(f, NULL, "POST", RES "/transfers",
                          "{\"records\":[{\"id\":\"a\",\"from\":{\"group\":\"Canada\"},\"to\":{\"location\":\"warehouse5\"},\"sku\":\"s\",\"quantity\":1}]}",
                          400, "GroupDoesNotExist");
    assert_string_equal(string(json, "group"), "Canada");
    json_object_put(json);
    json = expect_problem(f, NULL, "POST", RES "/transfers",
                          "{\"records\":[{\"id\":\"a\",\"from\":{\"group\":\"A\"},\"to\":{\"group\":\"B\"},\"sku\":\"s\",\"quantity\":1}]}",
                          400, "InvalidRequestParameter");
    assert_string_equal(string(json, "message"), "Group to Group Transfers are not permitted.");
    json_object_put(json);
    json = expect_problem(f, NULL, "POST", RES "/transfers",
                          "{\"records\":[{\"id\":\"a\",\"from\":{\"location\":\"L1\"},\"to\":{\"location\":\"L1\"},\"sku\":\"s\",\"quantity\":1}]}",
                          400, "InvalidRequestParameter");
    assert_string_equal(string(json, "message"), "'from and to' Transfers between locations is not allowed");
    json_object_put(json);
    json = expect_problem(f, NULL, "POST", RES "/transfers",
                          "{\"records\":[{\"id\":\"a\",\"from\":{\"location\":\"L1\"},\"to\":{\"group\":\"A\"},\"sku\":\"s\",\"quantity\":1,"
                          "\"ignoreAvailabilityCheck\":true}]}",
                          400, "InvalidRequestParameter");
    assert_string_equal(string(json, "message"), "Forcing a reservation cannot be done from a location to a group");
    json_object_put(json);
    expect_error(f, "POST", RES "/transfers",
                 "{\"records\":[{\"id\":\"a\",\"from\":{\"location\":\"L3\"},\"to\":{\"group\":\"A\"},\"sku\":\"s\",\"quantity\":1}]}",
                 400, "LocationNotInGroup");
    expect_error(f, "POST", RES "/transfers", "{\"records\":[]}", 400, "InvalidRequestParameter");
    expect_error(f, "POST", RES "/transfers", "null", 400, "InvalidRequestParameter");
    /* Releases: the four 400 examples. */
    json = expect_problem(f, NULL, "POST", RES "/releases",
                          "{\"records\":[{\"id\":\"a\",\"location\":\"L1\",\"group\":\"A\",\"sku\":\"s\",\"quantity\":1}]}", 400,
                          "InvalidRequestParameter");
    assert_non_null(strstr(string(json, "message"), "User provided locationId AND groupId."));
    json_object_put(json);
    json = expect_problem(f, NULL, "POST", RES "/releases", "{\"records\":[{\"id\":\"a\",\"sku\":\"s\",\"quantity\":1}]}", 400,
                          "InvalidRequest");
    assert_string_equal(string(json, "message"), "The format of the message is incorrect");
    json_object_put(json);
    expect_error(f, "POST", RES "/releases", "{\"records\":[{\"id\":\"a\",\"location\":\"nowhere\",\"sku\":\"s\",\"quantity\":1}]}",
                 400, "LocationDoesNotExist");
    expect_error(f, "POST", RES "/releases", "{\"records\":[{\"id\":\"a\",\"group\":\"nowhere\",\"sku\":\"s\",\"quantity\":1}]}",
                 400, "GroupDoesNotExist");
    /* Fulfilments: MissingParameter. */
    json = expect_problem(f, NULL, "POST", RES "/fulfillments",
                          "{\"records\":[{\"id\":\"a\",\"location\":\"L1\",\"sku\":\"s\"}]}", 400, "MissingParameter");
    assert_string_equal(string(json, "message"), "The field 'quantity' is missing from the request body.");
    json_object_put(json);
    expect_error(f, "POST", RES "/fulfillments", "null", 400, "InvalidRequestParameter");
    char many[16384] = "{\"records\":[";
    for (int i = 0; i < 101; i++)
        snprintf(many + strlen(many), sizeof many - strlen(many),
                 "%s{\"id\":\"m%d\",\"location\":\"L1\",\"sku\":\"s\",\"quantity\":1}", i ? "," : "", i);
    strcat(many, "]}");
    expect_error(f, "POST", RES "/fulfillments", many, 400, "InvalidRequestParameter");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reserve_documents, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shared_location_groups, setup, teardown),
        cmocka_unit_test_setup_teardown(test_order_flow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_raml_move_examples, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
