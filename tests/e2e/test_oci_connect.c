/*
 * End-to-end tests of the Connect REST API's OCI get-availability on the bundled core's port
 * (oci_core/route_connect.c) over real HTTP: the same data read through the headless API and
 * through Connect agree record by record (locations, groups, a single group, unassigned
 * locations), with quantities, futures, safety stock and a reservation; any version from v51.0
 * up is served; every refusal is the Salesforce REST error array.
 */
#include "tests/support/oci_inproc.h"
#include "tests/support/test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/json_util.h"
#include "tests/support/http_client.h"

#define ORG "f_ecom_connect"
#define AVAIL "/inventory/availability/v1/organizations/" ORG
#define CONNECT(version) "/services/data/" version "/commerce/oci/availability/availability-records/actions/get-availability"

static int setup(void **state)
{
    th_oci *f = calloc(1, sizeof *f);
    char graph[512], text[2048];
    th_data_path("oci/location-graph.json", graph, sizeof graph);
    snprintf(text, sizeof text,
             "{\"oci\":{\"port\":0,\"organizations\":[{\"id\":\"" ORG "\",\"locationGraph\":\"%s\","
             "\"tokens\":[{\"token\":\"all\",\"scopes\":[\"sfcc_inventory_availability\",\"sfcc_inventory_availability_rw\","
             "\"sfcc_inventory_reservations_rw\",\"sfcc_inventory_impex_inventory_rw\"]},{\"token\":\"graphs-only\",\"scopes\":[\"sfcc.inventory.impex-graphs\"]}]}]},"
             "\"tenants\":[]}",
             graph);
    th_oci_start(f, text);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    th_oci_stop(*state);
    free(*state);
    return 0;
}

static json_object *post(th_oci *f, const char *path, const char *token, const char *body, long *status)
{
    char url[512], authorization[128];
    th_url(url, sizeof url, f->port, path);
    snprintf(authorization, sizeof authorization, "Authorization: Bearer %s", token);
    const char *headers[] = {token ? authorization : "X-None: 1", "Content-Type: application/json", NULL};
    th_response response;
    assert_int_equal(th_http("POST", url, headers, body, strlen(body), &response), 0);
    *status = response.status;
    json_object *json = th_json(&response);
    th_response_free(&response);
    return json;
}

static void load(th_oci *f)
{
    long status;
    json_object *reply = post(f, AVAIL "/availability-records/actions/batch-update", "all",
                              "{\"records\":["
                              "{\"id\":\"c1\",\"location\":\"surprise\",\"sku\":\"sku-a\",\"onHand\":27,\"safetyStockCount\":10,"
                              "\"futureStock\":[{\"quantity\":10.25,\"expectedDate\":\"2030-04-18T14:05:22.781Z\"}],"
                              "\"effectiveDate\":\"2024-01-02T03:04:05.000Z\"},"
                              "{\"id\":\"c2\",\"location\":\"wickenburg\",\"sku\":\"sku-a\",\"onHand\":50,\"safetyStockCount\":20},"
                              "{\"id\":\"c3\",\"location\":\"phoenix\",\"sku\":\"sku-a\",\"onHand\":3.5},"
                              "{\"id\":\"c4\",\"location\":\"warehouse5\",\"sku\":\"sku-b\",\"onHand\":8},"
                              "{\"id\":\"c5\",\"location\":\"surprise\",\"sku\":\"sku-b\",\"onHand\":4}]}",
                              &status);
    if (status != 204 && status != 200)
        fail_msg("batch-update: %ld %s", status, json_object_to_json_string(reply));
    json_object_put(reply);
    char url[256];
    th_url(url, sizeof url, f->port, "/inventory/reservation/v1/organizations/" ORG "/reservation-documents/res-1");
    const char *headers[] = {"Authorization: Bearer all", "Content-Type: application/json", NULL};
    const char *body = "{\"locations\":[{\"id\":\"surprise\",\"reservations\":[{\"sku\":\"sku-a\",\"quantity\":2}]}]}";
    th_response response;
    assert_int_equal(th_http("PUT", url, headers, body, strlen(body), &response), 0);
    if (response.status != 200 && response.status != 201)
        fail_msg("reserve: %ld %s", response.status, response.body);
    th_response_free(&response);
}

static const struct {
    const char *headless, *connect;
} FIELDS[] = {{"atf", "availableToFulfill"}, {"ato", "availableToOrder"}, {"onHand", "onHand"},
              {"reserved", "reserved"},      {"safetyStockCount", "safetyStockCount"},
              {"sku", "stockKeepingUnit"}};

static void same_value(json_object *a, json_object *b, const char *what)
{
    if (json_object_is_type(a, json_type_string) || json_object_is_type(b, json_type_string)) {
        if (!a || !b || strcmp(json_object_get_string(a), json_object_get_string(b)) != 0)
            fail_msg("%s differs: %s vs %s", what, json_object_get_string(a), json_object_get_string(b));
        return;
    }
    if (!a || !b || fabs(json_object_get_double(a) - json_object_get_double(b)) > 1e-9)
        fail_msg("%s differs: %s vs %s", what, json_object_to_json_string(a), json_object_to_json_string(b));
}

/* Headless places [{id, records}] against Connect places [{<id_key>, inventoryRecords}]. */
static size_t compare_places(json_object *headless, json_object *connect, const char *id_key)
{
    size_t compared = 0;
    size_t count = headless ? json_object_array_length(headless) : 0;
    assert_int_equal(connect ? json_object_array_length(connect) : 0, count);
    for (size_t p = 0; p < count; p++) {
        json_object *h = json_object_array_get_idx(headless, p), *c = json_object_array_get_idx(connect, p);
        same_value(json_object_object_get(h, "id"), json_object_object_get(c, id_key), id_key);
        json_object *h_records = json_object_object_get(h, "records");
        json_object *c_records = json_object_object_get(c, "inventoryRecords");
        assert_int_equal(json_object_array_length(c_records), json_object_array_length(h_records));
        for (size_t r = 0; r < json_object_array_length(h_records); r++) {
            json_object *hr = json_object_array_get_idx(h_records, r), *cr = json_object_array_get_idx(c_records, r);
            for (size_t i = 0; i < sizeof FIELDS / sizeof FIELDS[0]; i++)
                same_value(json_object_object_get(hr, FIELDS[i].headless), json_object_object_get(cr, FIELDS[i].connect),
                           FIELDS[i].connect);
            assert_string_equal(json_object_to_json_string(json_object_object_get(hr, "futures")),
                                json_object_to_json_string(json_object_object_get(cr, "futures")));
            json_object *date = json_object_object_get(hr, "effectiveDate");
            if (date)
                same_value(date, json_object_object_get(cr, "effectiveDate"), "effectiveDate");
            compared++;
        }
    }
    return compared;
}

static size_t agree(th_oci *f, const char *headless_body, const char *connect_body, const char *version_path)
{
    long status;
    json_object *headless = post(f, AVAIL "/availability-records/actions/get-availability", "all", headless_body, &status);
    assert_int_equal(status, 200);
    json_object *connect = post(f, version_path, "all", connect_body, &status);
    if (status != 200)
        fail_msg("connect %s: %ld %s", connect_body, status, json_object_to_json_string(connect));
    assert_true(json_object_get_boolean(json_object_object_get(connect, "success")));
    assert_int_equal(json_object_array_length(json_object_object_get(connect, "errors")), 0);
    size_t compared = compare_places(json_object_object_get(headless, "locations"),
                                     json_object_object_get(connect, "locations"), "locationIdentifier");
    compared += compare_places(json_object_object_get(headless, "groups"), json_object_object_get(connect, "locationGroups"),
                               "locationGroupIdentifier");
    json_object_put(headless);
    json_object_put(connect);
    return compared;
}

static void test_connect_and_headless_agree_record_by_record(void **state)
{
    th_oci *f = *state;
    load(f);
    size_t compared = 0;
    compared += agree(f, "{\"skus\":[\"sku-a\",\"sku-b\",\"never\"],\"locations\":[\"surprise\",\"wickenburg\",\"phoenix\",\"warehouse5\"]}",
                      "{\"stockKeepingUnits\":[\"sku-a\",\"sku-b\",\"never\"],"
                      "\"locationIdentifiers\":[\"surprise\",\"wickenburg\",\"phoenix\",\"warehouse5\"],\"useCache\":false}",
                      CONNECT("v58.0"));
    compared += agree(f, "{\"skus\":[\"sku-a\",\"sku-b\"],\"groups\":[\"arizona\",\"UnitedStates\"]}",
                      "{\"stockKeepingUnits\":[\"sku-a\",\"sku-b\"],\"locationGroupIdentifiers\":[\"arizona\",\"UnitedStates\"]}",
                      CONNECT("v51.0"));
    compared += agree(f, "{\"sku\":\"sku-a\",\"group\":\"arizona\"}",
                      "{\"stockKeepingUnit\":\"sku-a\",\"locationGroupIdentifier\":\"arizona\"}", CONNECT("v62.0"));
    compared += agree(f, "{\"sku\":\"sku-a\"}", "{\"stockKeepingUnit\":\"sku-a\"}", CONNECT("v66.0"));
    assert_int_equal(compared, 12 + 4 + 3 + 2); /* unassigned: warehouse6 and phoenix */
    /* The figures themselves: surprise sku-a is 27 on hand, 2 reserved, safety 10, futures 10.25. */
    long status;
    json_object *reply = post(f, CONNECT("v58.0"), "all",
                              "{\"stockKeepingUnits\":[\"sku-a\"],\"locationIdentifiers\":[\"surprise\"]}", &status);
    const char *text = json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN);
    assert_non_null(strstr(text, "\"availableToFulfill\":15"));
    if (!strstr(text, "\"availableToOrder\":25.25"))
        fail_msg("%s", text);
    assert_non_null(strstr(text, "\"reserved\":2"));
    assert_non_null(strstr(text, "\"locationIdentifier\":\"surprise\""));
    json_object_put(reply);
}

static void expect_connect_error(th_oci *f, const char *path, const char *token, const char *body, long want,
                                 const char *code)
{
    long status;
    json_object *reply = post(f, path, token, body, &status);
    if (status != want || !json_object_is_type(reply, json_type_array) || json_object_array_length(reply) != 1)
        fail_msg("%s %s: want %ld %s, got %ld %s", path, body, want, code, status, json_object_to_json_string(reply));
    json_object *error = json_object_array_get_idx(reply, 0);
    assert_string_equal(json_object_get_string(json_object_object_get(error, "errorCode")), code);
    assert_true(strlen(json_object_get_string(json_object_object_get(error, "message"))) > 5);
    json_object_put(reply);
}

static void test_connect_refusals(void **state)
{
    th_oci *f = *state;
    const char *ok = "{\"stockKeepingUnit\":\"sku-a\"}";
    expect_connect_error(f, CONNECT("v50.0"), "all", ok, 404, "NOT_FOUND");
    expect_connect_error(f, CONNECT("58.0"), "all", ok, 404, "NOT_FOUND");
    expect_connect_error(f, CONNECT("vX"), "all", ok, 404, "NOT_FOUND");
    expect_connect_error(f, CONNECT("v58.0"), NULL, ok, 401, "INVALID_SESSION_ID");
    expect_connect_error(f, CONNECT("v58.0"), "wrong", ok, 401, "INVALID_SESSION_ID");
    expect_connect_error(f, CONNECT("v58.0"), "graphs-only", ok, 403, "INSUFFICIENT_ACCESS");
    expect_connect_error(f, CONNECT("v58.0"), "all", "{\"stockKeepingUnit\":\"a1\",\"stockKeepingUnits\":[\"b1\"]}", 400,
                         "INVALID_API_INPUT");
    expect_connect_error(f, CONNECT("v58.0"), "all",
                         "{\"stockKeepingUnits\":[\"a1\"],\"locationIdentifiers\":[\"surprise\"],\"locationGroupIdentifiers\":[\"arizona\"]}",
                         400, "INVALID_API_INPUT");
    expect_connect_error(f, CONNECT("v58.0"), "all", "{\"locationIdentifiers\":[\"surprise\"]}", 400, "INVALID_API_INPUT");
    expect_connect_error(f, CONNECT("v58.0"), "all", "{\"stockKeepingUnits\":\"a1\"}", 400, "INVALID_API_INPUT");
    expect_connect_error(f, CONNECT("v58.0"), "all", "{\"stockKeepingUnit\":\"a1\",\"useCache\":\"yes\"}", 400,
                         "INVALID_API_INPUT");
    expect_connect_error(f, CONNECT("v58.0"), "all", "{\"stockKeepingUnit\":\"a1\",\"sku\":\"x\"}", 400, "JSON_PARSER_ERROR");
    expect_connect_error(f, CONNECT("v58.0"), "all", "{not json", 400, "JSON_PARSER_ERROR");
    expect_connect_error(f, CONNECT("v58.0"), "all", "{\"stockKeepingUnits\":[\"a1\"],\"locationIdentifiers\":[\"mars\"]}",
                         400, "INVALID_INPUT");
}

#define RES_CONNECT(action) "/services/data/v58.0/commerce/oci/reservation/actions/" action

/* One record's figure from the headless get-availability of `place` (a location or, `group`, a group). */
static double headless_figure(th_oci *f, const char *sku, const char *place, int group, const char *field)
{
    char body[256];
    snprintf(body, sizeof body, "{\"skus\":[\"%s\"],\"%s\":[\"%s\"]}", sku, group ? "groups" : "locations", place);
    long status;
    json_object *reply = post(f, AVAIL "/availability-records/actions/get-availability", "all", body, &status);
    assert_int_equal(status, 200);
    json_object *places = json_object_object_get(reply, group ? "groups" : "locations");
    json_object *records = json_object_object_get(json_object_array_get_idx(places, 0), "records");
    double value = json_object_get_double(json_object_object_get(json_object_array_get_idx(records, 0), field));
    json_object_put(reply);
    return value;
}

static json_object *connect_action(th_oci *f, const char *path, const char *body, long want)
{
    long status;
    json_object *reply = post(f, path, "all", body, &status);
    if (status != want)
        fail_msg("%s: want %ld, got %ld %s", path, want, status, json_object_to_json_string(reply));
    return reply;
}

static void test_connect_reservation_actions_change_headless_state(void **state)
{
    th_oci *f = *state;
    load(f); /* wickenburg sku-a: 50 on hand, nothing reserved */
    assert_true(headless_figure(f, "sku-a", "wickenburg", 0, "reserved") == 0);
    /* Create at a location and at a group. */
    json_object *reply = connect_action(f, RES_CONNECT("reservations"),
                                        "{\"actionRequestId\":\"conn-res-1\",\"expirationSeconds\":600,\"createRecords\":["
                                        "{\"locationIdentifier\":\"wickenburg\",\"stockKeepingUnit\":\"sku-a\",\"quantity\":5},"
                                        "{\"locationGroupIdentifier\":\"UnitedStates\",\"stockKeepingUnit\":\"sku-b\",\"quantity\":3}]}",
                                        201);
    assert_true(json_object_get_boolean(json_object_object_get(reply, "success")));
    assert_int_equal(json_object_array_length(json_object_object_get(reply, "details")), 2);
    assert_non_null(json_object_object_get(reply, "expirationTime"));
    json_object_put(reply);
    assert_true(headless_figure(f, "sku-a", "wickenburg", 0, "reserved") == 5);
    assert_true(headless_figure(f, "sku-b", "UnitedStates", 1, "groupReserved") == 3);
    /* The same id again: the headless document exists, Connect answers 409 in its own shape. */
    expect_connect_error(f, RES_CONNECT("reservations"), "all",
                         "{\"actionRequestId\":\"conn-res-1\",\"createRecords\":[{\"locationIdentifier\":\"wickenburg\","
                         "\"stockKeepingUnit\":\"sku-a\",\"quantity\":1}]}",
                         409, "EntityExists");
    /* Transfer 2 of the group's reservation down to warehouse5. */
    reply = connect_action(f, RES_CONNECT("transfers"),
                           "{\"transferRecords\":[{\"actionRequestId\":\"t1\",\"fromLocationGroupIdentifier\":\"UnitedStates\","
                           "\"toLocationIdentifier\":\"warehouse5\",\"stockKeepingUnit\":\"sku-b\",\"quantity\":2}]}",
                           201);
    assert_true(json_object_get_boolean(json_object_object_get(reply, "success")));
    json_object_put(reply);
    assert_true(headless_figure(f, "sku-b", "warehouse5", 0, "reserved") == 2);
    /* Fulfil 2 at wickenburg: reserved 5 -> 3, on hand 50 -> 48. */
    reply = connect_action(f, RES_CONNECT("fulfillments"),
                           "{\"fulfillmentRecords\":[{\"actionRequestId\":\"f1\",\"locationIdentifier\":\"wickenburg\","
                           "\"stockKeepingUnit\":\"sku-a\",\"quantity\":2}]}",
                           201);
    assert_true(json_object_get_boolean(json_object_object_get(reply, "success")));
    json_object_put(reply);
    assert_true(headless_figure(f, "sku-a", "wickenburg", 0, "reserved") == 3);
    assert_true(headless_figure(f, "sku-a", "wickenburg", 0, "onHand") == 48);
    /* Release 1 at wickenburg, then try to release more than is reserved: a per-record error. */
    reply = connect_action(f, RES_CONNECT("releases"),
                           "{\"releaseRecords\":[{\"actionRequestId\":\"r1\",\"locationIdentifier\":\"wickenburg\","
                           "\"stockKeepingUnit\":\"sku-a\",\"quantity\":1}]}",
                           201);
    assert_true(json_object_get_boolean(json_object_object_get(reply, "success")));
    json_object_put(reply);
    assert_true(headless_figure(f, "sku-a", "wickenburg", 0, "reserved") == 2);
    reply = connect_action(f, RES_CONNECT("releases"),
                           "{\"releaseRecords\":[{\"actionRequestId\":\"r2\",\"locationIdentifier\":\"wickenburg\","
                           "\"stockKeepingUnit\":\"sku-a\",\"quantity\":40}]}",
                           201);
    assert_false(json_object_get_boolean(json_object_object_get(reply, "success")));
    json_object *errors = json_object_object_get(reply, "errors");
    assert_int_equal(json_object_array_length(errors), 1);
    json_object *error = json_object_array_get_idx(errors, 0);
    assert_string_equal(json_object_get_string(json_object_object_get(error, "errorCode")), "InsufficientQuantity");
    assert_string_equal(json_object_get_string(json_object_object_get(json_object_object_get(error, "details"), "actionRequestId")),
                        "r2");
    json_object_put(reply);
    /* The Connect get-availability sees what the headless routes see. */
    assert_int_equal(agree(f, "{\"skus\":[\"sku-a\",\"sku-b\"],\"locations\":[\"wickenburg\",\"warehouse5\"]}",
                           "{\"stockKeepingUnits\":[\"sku-a\",\"sku-b\"],\"locationIdentifiers\":[\"wickenburg\",\"warehouse5\"]}",
                           CONNECT("v58.0")),
                     4);
    /* Malformed Connect actions. */
    expect_connect_error(f, RES_CONNECT("reservations"), "all", "{\"createRecords\":[]}", 400, "INVALID_API_INPUT");
    expect_connect_error(f, RES_CONNECT("reservations"), "all", "{\"actionRequestId\":\"x1\",\"createRecords\":[]}", 400,
                         "INVALID_API_INPUT");
    expect_connect_error(f, RES_CONNECT("reservations"), "all",
                         "{\"actionRequestId\":\"x2\",\"createRecords\":[{\"stockKeepingUnit\":\"sku-a\",\"quantity\":1}]}",
                         400, "INVALID_API_INPUT");
    expect_connect_error(f, RES_CONNECT("reservations"), "all",
                         "{\"actionRequestId\":\"x3\",\"createRecords\":[{\"locationIdentifier\":\"mars\","
                         "\"stockKeepingUnit\":\"sku-a\",\"quantity\":1}]}",
                         400, "LocationDoesNotExist");
    expect_connect_error(f, RES_CONNECT("fulfillments"), "all", "{\"fulfillmentRecords\":\"no\"}", 400, "INVALID_API_INPUT");
    expect_connect_error(f, RES_CONNECT("transfers"), "graphs-only", "{\"transferRecords\":[]}", 403, "INSUFFICIENT_ACCESS");
}

static json_object *get(th_oci *f, const char *path, const char *token, long *status)
{
    char url[512], authorization[128];
    th_url(url, sizeof url, f->port, path);
    snprintf(authorization, sizeof authorization, "Authorization: Bearer %s", token);
    const char *headers[] = {authorization, NULL};
    th_response response;
    assert_int_equal(th_http("GET", url, headers, NULL, 0, &response), 0);
    *status = response.status;
    json_object *json = th_json(&response);
    th_response_free(&response);
    return json;
}

/* Polls a Connect status resource until its status is COMPLETED (or fails the test). */
static json_object *wait_connect(th_oci *f, const char *path)
{
    for (int i = 0; i < 500; i++) {
        long status;
        json_object *reply = get(f, path, "all", &status);
        if (status != 200)
            fail_msg("%s: %ld %s", path, status, json_object_to_json_string(reply));
        const char *state = json_object_get_string(json_object_object_get(reply, "status"));
        if (strcmp(state, "COMPLETED") == 0)
            return reply;
        if (strcmp(state, "FAILED") == 0)
            fail_msg("%s failed: %s", path, json_object_to_json_string(reply));
        json_object_put(reply);
        usleep(20000);
    }
    fail_msg("%s did not complete", path);
    return NULL;
}

static void test_connect_upload_and_publish(void **state)
{
    th_oci *f = *state;
    /* The guide's layout: a location header line, then records; the file in the fileUpload part. */
    const char *multipart =
        "--Bnd\r\nContent-Disposition: form-data; name=\"fileUpload\"; filename=\"inventory.json\"\r\n"
        "Content-Type: application/json\r\n\r\n"
        "{\"location\":\"phoenix\",\"mode\":\"UPDATE\"}\n"
        "{\"recordId\":\"up-1\",\"onHand\":11,\"sku\":\"up-sku\",\"effectiveDate\":\"2024-01-01T00:00:00Z\",\"safetyStockCount\":1}\n"
        "{\"recordId\":\"up-2\",\"onHand\":4,\"sku\":\"up-sku-2\",\"effectiveDate\":\"2024-01-01T00:00:00Z\"}\n"
        "\r\n--Bnd--\r\n";
    char url[256];
    th_url(url, sizeof url, f->port, "/services/data/v58.0/commerce/oci/availability-records/uploads");
    const char *headers[] = {"Authorization: Bearer all", "Content-Type: multipart/form-data; boundary=Bnd", NULL};
    th_response response;
    assert_int_equal(th_http("POST", url, headers, multipart, strlen(multipart), &response), 0);
    if (response.status != 201)
        fail_msg("upload: %ld %s", response.status, response.body);
    json_object *reply = th_json(&response);
    th_response_free(&response);
    assert_true(json_object_get_boolean(json_object_object_get(reply, "success")));
    char path[256];
    snprintf(path, sizeof path, "/services/data/v58.0/commerce/oci/availability-records/uploads/%s",
             json_object_get_string(json_object_object_get(reply, "uploadId")));
    char headless_path[256];
    snprintf(headless_path, sizeof headless_path, "/inventory/impex/v1/organizations/" ORG "/availability-records/imports/%s/status",
             json_object_get_string(json_object_object_get(reply, "uploadId")));
    json_object_put(reply);
    reply = wait_connect(f, path);
    assert_int_equal(json_object_get_int(json_object_object_get(reply, "recordsReadCount")), 2);
    assert_int_equal(json_object_get_int(json_object_object_get(reply, "recordsProcessedCount")), 2);
    assert_string_equal(json_object_get_string(json_object_object_get(reply, "validationStatus")), "Success");
    assert_non_null(json_object_object_get(reply, "endTimeUTC"));
    json_object_put(reply);
    assert_true(headless_figure(f, "up-sku", "phoenix", 0, "onHand") == 11);
    assert_true(headless_figure(f, "up-sku", "phoenix", 0, "atf") == 10);
    /* The same import through the headless impex status route. */
    long status;
    reply = get(f, headless_path, "all", &status);
    assert_int_equal(status, 200);
    assert_string_equal(json_object_get_string(json_object_object_get(reply, "status")), "COMPLETED");
    assert_int_equal(json_object_get_int(json_object_object_get(json_object_object_get(reply, "import"), "recordsReadCount")),
                     2);
    json_object_put(reply);
    /* Publishing the location graph: a job whose status counts its locations and groups. */
    th_url(url, sizeof url, f->port, "/services/data/v58.0/commerce/oci/location-graph/uploads");
    const char *graph_headers[] = {"Authorization: Bearer graphs-only", NULL};
    assert_int_equal(th_http("POST", url, graph_headers, NULL, 0, &response), 0);
    if (response.status != 201)
        fail_msg("publish: %ld %s", response.status, response.body);
    reply = th_json(&response);
    th_response_free(&response);
    snprintf(path, sizeof path, "/services/data/v58.0/commerce/oci/location-graph/uploads/%s",
             json_object_get_string(json_object_object_get(reply, "uploadId")));
    json_object_put(reply);
    for (int i = 0; i < 500; i++) {
        reply = get(f, path, "graphs-only", &status);
        assert_int_equal(status, 200);
        if (strcmp(json_object_get_string(json_object_object_get(reply, "status")), "COMPLETED") == 0)
            break;
        json_object_put(reply);
        reply = NULL;
        usleep(20000);
    }
    assert_non_null(reply);
    assert_int_equal(json_object_get_int(json_object_object_get(reply, "recordsReadCount")), 7);
    assert_string_equal(json_object_get_string(json_object_object_get(reply, "validationStatus")), "Success");
    json_object_put(reply);
    /* Refusals in Connect's shape. */
    reply = get(f, "/services/data/v58.0/commerce/oci/availability-records/uploads/none", "all", &status);
    assert_int_equal(status, 404);
    assert_true(json_object_is_type(reply, json_type_array));
    assert_string_equal(json_object_get_string(json_object_object_get(json_object_array_get_idx(reply, 0), "errorCode")),
                        "EntityNotFound");
    json_object_put(reply);
    reply = get(f, "/services/data/v58.0/commerce/oci/location-graph/uploads/none", "all", &status);
    assert_int_equal(status, 403); /* "all" has no graphs scope */
    json_object_put(reply);
    th_url(url, sizeof url, f->port, "/services/data/v58.0/commerce/oci/availability-records/uploads");
    const char *bad_headers[] = {"Authorization: Bearer all", "Content-Type: multipart/form-data; boundary=Bnd", NULL};
    assert_int_equal(th_http("POST", url, bad_headers, "--Bnd\r\nno end", 14, &response), 0);
    assert_int_equal(response.status, 400);
    reply = th_json(&response);
    th_response_free(&response);
    assert_true(json_object_is_type(reply, json_type_array));
    json_object_put(reply);
}

/* The organization's rateLimit counts Connect requests too; 429 is a Salesforce REST error. */
static void test_connect_requests_are_rate_limited(void **state)
{
    (void)state;
    th_oci f;
    char graph[512], text[1024];
    th_data_path("oci/location-graph.json", graph, sizeof graph);
    snprintf(text, sizeof text,
             "{\"oci\":{\"port\":0,\"organizations\":[{\"id\":\"" ORG "\",\"locationGraph\":\"%s\","
             "\"rateLimit\":{\"requestsPerSecond\":0.001,\"burst\":2},"
             "\"tokens\":[{\"token\":\"all\",\"scopes\":[\"sfcc_inventory_availability\"]}]}]},\"tenants\":[]}",
             graph);
    th_oci_start(&f, text);
    const char *body = "{\"stockKeepingUnit\":\"sku-a\"}";
    long status;
    for (int i = 0; i < 2; i++) {
        json_object *reply = post(&f, CONNECT("v58.0"), "all", body, &status);
        assert_int_equal(status, 200);
        json_object_put(reply);
    }
    expect_connect_error(&f, CONNECT("v58.0"), "all", body, 429, "REQUEST_LIMIT_EXCEEDED");
    th_oci_stop(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_connect_and_headless_agree_record_by_record, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connect_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connect_reservation_actions_change_headless_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connect_upload_and_publish, setup, teardown),
        cmocka_unit_test(test_connect_requests_are_rate_limited),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
