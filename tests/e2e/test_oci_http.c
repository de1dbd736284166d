#define _GNU_SOURCE /* asprintf, popen */
/*
 * End-to-end tests of the bundled OCI core over real HTTP: the core is opened in-process on a
 * temporary folder and served by cm_http_server on a free port; requests go through libcurl.
 *
 * Request examples of ../shared/oci-spec (availability, impex) sent here: GetATSAllLocations,
 * GetATSAllUnassignedLocations, GetATSLocationsAndGroups (inventory-availability/Examples);
 * InitiateGroupInventoryExportExample / InitiateLocationInventoryExportExample shapes
 * ({"objects":{"groups"|"locations"}}); the ImportsUploadLinkPostBody example of
 * impex/libraries/Imports.raml, byte for byte, uploaded over HTTP (test_part1_gaps).
 */
#include "tests/support/oci_inproc.h"
#include "tests/support/test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include <sqlite3.h>

#include "common/config.h"
#include "common/http_server.h"
#include "common/json_util.h"
#include "oci_core/limits.h"
#include "oci_core/oci_core.h"
#include "oci_core/oci_core_testing.h"
#include "tests/support/http_client.h"

#define ORG "f_ecom_test_001"
#define AVAIL "/inventory/availability/v1/organizations/" ORG
#define IMPEX "/inventory/impex/v1/organizations/" ORG
#define TOKEN "Authorization: Bearer test-token"

typedef th_oci fixture;

static const char *const JSON_HEADERS[] = {TOKEN, "Content-Type: application/json",
                                           "correlation-id: 0a87539d-f3dd-47bc-91c7-9c752e39dbe0", NULL};

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    char graph[512], text[2048];
    th_data_path("oci/location-graph.json", graph, sizeof graph);
    snprintf(text, sizeof text,
             "{\"oci\":{\"port\":0,\"organizations\":[{\"id\":\"" ORG "\",\"locationGraph\":\"%s\","
             "\"tokens\":[{\"token\":\"test-token\",\"scopes\":[\"sfcc.inventory.availability\","
             "\"sfcc_inventory_availability_rw\",\"sfcc.inventory.impex-inventory\",\"sfcc.inventory.impex-inventory.rw\","
             "\"sfcc.inventory.impex-graphs\"]},{\"token\":\"read-only\",\"scopes\":[\"sfcc.inventory.availability\"]}],"
             "\"clients\":[{\"id\":\"c1\",\"secret\":\"s1\",\"scopes\":[\"sfcc.inventory.availability\"]}]},"
             "{\"id\":\"other_org\",\"tokens\":[{\"token\":\"other-token\",\"scopes\":[\"sfcc.inventory.availability\"]}]}]},"
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

/* Sends a request with the JSON headers; returns the parsed body (or NULL) and the status. */
static json_object *call(fixture *f, const char *method, const char *path, const char *body, long *status)
{
    char url[1024];
    th_url(url, sizeof url, f->port, path);
    th_response response;
    assert_int_equal(th_http(method, url, JSON_HEADERS, body, body ? strlen(body) : 0, &response), 0);
    *status = response.status;
    json_object *json = response.body_length ? th_json(&response) : NULL;
    th_response_free(&response);
    return json;
}

static double number(json_object *obj, const char *key)
{
    json_object *value;
    assert_true(json_object_object_get_ex(obj, key, &value));
    assert_true(json_object_is_type(value, json_type_int) || json_object_is_type(value, json_type_double));
    return json_object_get_double(value);
}

static const char *string(json_object *obj, const char *key)
{
    const char *text = NULL;
    assert_int_equal(cm_json_string(obj, key, &text), CM_JSON_OK);
    return text;
}

static void expect_error(fixture *f, const char *method, const char *path, const char *body, long want_status,
                         const char *want_code)
{
    long status;
    json_object *json = call(f, method, path, body, &status);
    if (status != want_status)
        fail_msg("%s %s: status %ld, wanted %ld", method, path, status, want_status);
    assert_non_null(json);
    assert_string_equal(string(json, "errorCode"), want_code);
    assert_non_null(string(json, "message"));
    json_object_put(json);
}

/* Loads the records of the RAML example GetAllLocationsResponse. */
static void load_example(fixture *f)
{
    long status;
    json_object *json = call(f, "POST", AVAIL "/availability-records/actions/batch-update",
                             "{\"records\":[{\"id\":\"e1\",\"location\":\"surprise\",\"sku\":\"sku123\",\"onHand\":27.0,"
                             "\"safetyStockCount\":10.0,\"effectiveDate\":\"2020-04-08T14:05:22.790896-07:00\","
                             "\"futureStock\":[{\"quantity\":10.25,\"expectedDate\":\"2019-08-24T21:13:00Z\"}]},"
                             "{\"id\":\"e2\",\"location\":\"wickenburg\",\"sku\":\"sku123\",\"onHand\":50,"
                             "\"safetyStockCount\":20,\"effectiveDate\":\"2020-04-08T14:05:22.790896-07:00\","
                             "\"futureStock\":[{\"quantity\":10.25,\"expectedDate\":\"2019-08-24T21:13:00Z\"}]}]}",
                             &status);
    assert_int_equal(status, 204);
    assert_null(json);
}

static void test_health_auth_and_correlation(void **state)
{
    fixture *f = *state;
    char url[256];
    th_response response;
    th_url(url, sizeof url, f->port, "/healthz");
    assert_int_equal(th_http("GET", url, NULL, NULL, 0, &response), 0);
    assert_int_equal(response.status, 200);
    assert_string_equal(response.body, "{\"status\":\"ok\"}");
    th_response_free(&response);
    const char *path = AVAIL "/availability-records/actions/get-availability";
    th_url(url, sizeof url, f->port, path);
    const char *none[] = {"Content-Type: application/json", NULL};
    assert_int_equal(th_http("POST", url, none, "{\"sku\":\"ab\"}", 12, &response), 0);
    assert_int_equal(response.status, 401);
    char header[256];
    assert_int_equal(th_header(&response, "WWW-Authenticate", header, sizeof header), 0);
    json_object *json = th_json(&response);
    assert_string_equal(string(json, "title"), "Unauthorized");
    json_object_put(json);
    th_response_free(&response);
    const char *other[] = {"Authorization: Bearer other-token", NULL};
    assert_int_equal(th_http("POST", url, other, "{\"sku\":\"ab\"}", 12, &response), 0);
    assert_int_equal(response.status, 403);
    json = th_json(&response);
    assert_string_equal(string(json, "errorCode"), "TenantNotProvisioned");
    json_object_put(json);
    th_response_free(&response);
    th_url(url, sizeof url, f->port, AVAIL "/availability-records/actions/batch-update");
    const char *read_only[] = {"Authorization: Bearer read-only", NULL};
    assert_int_equal(th_http("POST", url, read_only, "{}", 2, &response), 0);
    assert_int_equal(response.status, 403);
    json = th_json(&response);
    assert_string_equal(string(json, "title"), "Forbidden");
    json_object_put(json);
    th_response_free(&response);
    /* correlation-id is echoed */
    th_url(url, sizeof url, f->port, path);
    assert_int_equal(th_http("POST", url, JSON_HEADERS, "{\"sku\":\"ab\"}", 12, &response), 0);
    assert_int_equal(response.status, 200);
    assert_int_equal(th_header(&response, "correlation-id", header, sizeof header), 0);
    assert_string_equal(header, "0a87539d-f3dd-47bc-91c7-9c752e39dbe0");
    th_response_free(&response);
}

static void test_oauth_token(void **state)
{
    fixture *f = *state;
    char url[256];
    th_url(url, sizeof url, f->port, "/dwsso/oauth2/access_token");
    const char *headers[] = {"Authorization: Basic YzE6czE=", "Content-Type: application/x-www-form-urlencoded", NULL};
    th_response response;
    const char *form = "grant_type=client_credentials&scope=SALESFORCE_COMMERCE_API:x%20sfcc.inventory.availability";
    assert_int_equal(th_http("POST", url, headers, form, strlen(form), &response), 0);
    assert_int_equal(response.status, 200);
    json_object *json = th_json(&response);
    char bearer[256];
    snprintf(bearer, sizeof bearer, "Authorization: Bearer %s", string(json, "access_token"));
    assert_string_equal(string(json, "token_type"), "Bearer");
    json_object_put(json);
    th_response_free(&response);
    const char *bad[] = {"Authorization: Basic YzE6bm8=", NULL};
    assert_int_equal(th_http("POST", url, bad, form, strlen(form), &response), 0);
    assert_int_equal(response.status, 401);
    th_response_free(&response);
    th_url(url, sizeof url, f->port, AVAIL "/availability-records/actions/get-availability");
    const char *with_token[] = {bearer, NULL};
    assert_int_equal(th_http("POST", url, with_token, "{\"sku\":\"ab\"}", 12, &response), 0);
    assert_int_equal(response.status, 200);
    th_response_free(&response);
}

/* The three request examples of get-availability, checked against the RAML response numbers. */
static void test_get_availability_examples(void **state)
{
    fixture *f = *state;
    load_example(f);
    long status;
    json_object *json = call(f, "POST", AVAIL "/availability-records/actions/get-availability",
                             "{\"sku\":\"sku123\",\"group\":\"arizona\"}", &status);
    assert_int_equal(status, 200);
    json_object *locations, *groups;
    assert_int_equal(cm_json_array(json, "locations", &locations), CM_JSON_OK);
    assert_int_equal(json_object_array_length(locations), 2);
    json_object *surprise = json_object_array_get_idx(locations, 0);
    assert_string_equal(string(surprise, "id"), "surprise");
    json_object *records;
    assert_int_equal(cm_json_array(surprise, "records", &records), CM_JSON_OK);
    json_object *record = json_object_array_get_idx(records, 0);
    assert_string_equal(string(record, "sku"), "sku123");
    assert_true(number(record, "atf") == 17.0);
    assert_true(number(record, "ato") == 27.25);
    assert_true(number(record, "onHand") == 27.0);
    assert_true(number(record, "safetyStockCount") == 10.0);
    assert_true(number(record, "reserved") == 0);
    assert_string_equal(string(record, "effectiveDate"), "2020-04-08T21:05:22.790Z");
    assert_int_equal(cm_json_array(json, "groups", &groups), CM_JSON_OK);
    json_object *arizona = json_object_array_get_idx(groups, 0);
    assert_string_equal(string(arizona, "id"), "arizona");
    assert_int_equal(cm_json_array(arizona, "records", &records), CM_JSON_OK);
    record = json_object_array_get_idx(records, 0);
    assert_true(number(record, "atf") == 47.0);
    assert_true(number(record, "ato") == 67.5);
    assert_true(number(record, "onHand") == 77.0);
    assert_true(number(record, "safetyStockCount") == 30.0);
    assert_true(number(record, "groupReserved") == 0);
    assert_true(number(record, "sharedGroupReserved") == 0);
    json_object *futures;
    assert_int_equal(cm_json_array(record, "futures", &futures), CM_JSON_OK);
    assert_true(number(json_object_array_get_idx(futures, 0), "quantity") == 20.5);
    json_object_put(json);

    /* {sku} alone: the locations in no group (warehouse6, phoenix), zeros for never-loaded ones. */
    json = call(f, "POST", AVAIL "/availability-records/actions/get-availability", "{\"sku\":\"sku123\"}", &status);
    assert_int_equal(status, 200);
    assert_int_equal(cm_json_array(json, "locations", &locations), CM_JSON_OK);
    assert_int_equal(json_object_array_length(locations), 2);
    assert_string_equal(string(json_object_array_get_idx(locations, 0), "id"), "warehouse6");
    assert_false(json_object_object_get_ex(json, "groups", NULL));
    json_object_put(json);

    /* GetATSLocationsAndGroups */
    json = call(f, "POST", AVAIL "/availability-records/actions/get-availability",
                "{\"skus\":[\"sku123\"],\"locations\":[\"warehouse5\"],\"groups\":[\"UnitedStates\"]}", &status);
    assert_int_equal(status, 200);
    assert_int_equal(cm_json_array(json, "groups", &groups), CM_JSON_OK);
    assert_string_equal(string(json_object_array_get_idx(groups, 0), "id"), "UnitedStates");
    json_object_put(json);

    expect_error(f, "POST", AVAIL "/availability-records/actions/get-availability",
                 "{\"skus\":[\"sku123\"],\"locations\":[\"nowhere\"]}", 400, "LocationDoesNotExist");
    expect_error(f, "POST", AVAIL "/availability-records/actions/get-availability",
                 "{\"skus\":[\"sku123\"],\"groups\":[\"nogroup\"]}", 400, "GroupDoesNotExist");
    expect_error(f, "POST", AVAIL "/availability-records/actions/get-availability", "{\"skus\":[\"s/x\"]}", 400,
                 "InvalidRequestParameter");
    /* 101 combinations */
    char body[4096] = "{\"locations\":[\"surprise\"],\"skus\":[";
    for (int i = 0; i < 101; i++)
        snprintf(body + strlen(body), sizeof body - strlen(body), "%s\"sku%d\"", i ? "," : "", i);
    strcat(body, "]}");
    expect_error(f, "POST", AVAIL "/availability-records/actions/get-availability", body, 400,
                 "InvalidRequestParameter");
}

static void test_batch_update_and_records(void **state)
{
    fixture *f = *state;
    long status;
    json_object *json = call(f, "POST", AVAIL "/availability-records/actions/batch-update",
                             "{\"records\":[{\"id\":\"b1\",\"location\":\"phoenix\",\"sku\":\"sku1\",\"onHand\":5},"
                             "{\"id\":\"b2\",\"location\":\"phoenix\",\"sku\":\"s\",\"onHand\":5,\"externalRefId\":\"x\"}]}",
                             &status);
    assert_int_equal(status, 200);
    json_object *errors;
    assert_int_equal(cm_json_array(json, "errors", &errors), CM_JSON_OK);
    assert_int_equal(json_object_array_length(errors), 1);
    json_object *error = json_object_array_get_idx(errors, 0), *details;
    assert_string_equal(string(error, "errorCode"), "InvalidRequestParameter");
    assert_int_equal(cm_json_object(error, "details", &details), CM_JSON_OK);
    assert_string_equal(string(details, "id"), "b2");
    assert_string_equal(string(details, "externalRefId"), "x");
    json_object_put(json);
    expect_error(f, "POST", AVAIL "/availability-records/actions/batch-update",
                 "{\"records\":[{\"id\":\"b3\",\"location\":\"mars\",\"sku\":\"sku1\"}]}", 400, "LocationDoesNotExist");
    expect_error(f, "POST", AVAIL "/availability-records/actions/batch-update", "{\"records\":[]}", 400,
                 "InvalidRequestParameter");
    expect_error(f, "POST", AVAIL "/availability-records/actions/batch-update", "{not json", 400,
                 "InvalidRequestParameter");

    /* PUT replaces, PATCH merges, a repeated requestId changes nothing, DELETE removes. */
    json = call(f, "PUT", AVAIL "/locations/phoenix/availability-records/skus/sku1/req-1",
                "{\"onHand\":8,\"safetyStockCount\":1}", &status);
    assert_int_equal(status, 204);
    json = call(f, "PATCH", AVAIL "/locations/phoenix/availability-records/skus/sku1/req-2", "{\"onHand\":9}", &status);
    assert_int_equal(status, 204);
    json = call(f, "PATCH", AVAIL "/locations/phoenix/availability-records/skus/sku1/req-2", "{\"onHand\":1}", &status);
    assert_int_equal(status, 204);
    oci_availability availability;
    assert_int_equal(oci_core_get_location_record(f->core, ORG, "phoenix", "sku1", &availability), CM_OK);
    assert_true(availability.exists);
    assert_int_equal(availability.on_hand_milli, 9000);
    assert_int_equal(availability.safety_stock_milli, 1000);
    assert_int_equal(availability.atf_milli, 8000);
    expect_error(f, "PUT", AVAIL "/locations/phoenix/availability-records/skus/sku2/req-1", "{}", 400,
                 "EntityAlreadyExists");
    expect_error(f, "PUT", AVAIL "/locations/mars1/availability-records/skus/sku2/req-9", "{}", 400,
                 "LocationDoesNotExist");
    expect_error(f, "PUT", AVAIL "/locations/phoenix/availability-records/skus/sku2/req-9", "{\"onHand\":-1}", 400,
                 "InvalidRequestParameter");
    expect_error(f, "PATCH", AVAIL "/locations/phoenix/availability-records/skus/never/req-10", "{\"onHand\":1}", 404,
                 "EntityNotFound");
    json = call(f, "DELETE", AVAIL "/locations/phoenix/availability-records/skus/sku1/req-11", NULL, &status);
    assert_int_equal(status, 204);
    expect_error(f, "DELETE", AVAIL "/locations/phoenix/availability-records/skus/sku1/req-12", NULL, 404,
                 "EntityNotFound");
    assert_int_equal(oci_core_get_location_record(f->core, ORG, "phoenix", "sku1", &availability), CM_OK);
    assert_false(availability.exists);
}

static void test_apply_records_contract(void **state)
{
    fixture *f = *state;
    oci_record_update records[2] = {
        {.record_id = "rid-1", .location_id = "phoenix", .sku = "skuA", .has_on_hand = 1, .on_hand_milli = 3500},
        {.record_id = "rid-2", .location_id = "nowhere", .sku = "skuA", .has_on_hand = 1, .on_hand_milli = 1},
    };
    oci_apply_result results[2];
    assert_int_equal(oci_core_apply_records(f->core, ORG, records, 2, results), CM_OK);
    assert_int_equal(results[0].outcome, OCI_APPLY_APPLIED);
    assert_int_equal(results[1].outcome, OCI_APPLY_REFUSED);
    assert_string_equal(results[1].error_code, "LocationDoesNotExist");
    records[0].on_hand_milli = 1;
    assert_int_equal(oci_core_apply_records(f->core, ORG, records, 1, results), CM_OK);
    assert_int_equal(results[0].outcome, OCI_APPLY_DUPLICATE);
    oci_availability availability;
    assert_int_equal(oci_core_get_location_record(f->core, ORG, "phoenix", "skuA", &availability), CM_OK);
    assert_int_equal(availability.on_hand_milli, 3500);
    assert_int_equal(oci_core_apply_records(f->core, "nope", records, 1, results), CM_ENOTFOUND);
}

/* One number from the core's own database (read-only, next to the running core: WAL). */
static long long db_count(fixture *f, const char *sql)
{
    char path[400];
    snprintf(path, sizeof path, "%s/oci.db", f->dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *statement = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &statement, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(statement), SQLITE_ROW);
    long long value = sqlite3_column_int64(statement, 0);
    sqlite3_finalize(statement);
    sqlite3_close(db);
    return value;
}

/* Polls a status URL until its "status" is not one of the running ones. */
static json_object *wait_status(fixture *f, const char *path)
{
    for (int i = 0; i < 600; i++) {
        long status;
        json_object *json = call(f, "GET", path, NULL, &status);
        assert_int_equal(status, 200);
        const char *state = string(json, "status");
        if (strcmp(state, "PENDING") && strcmp(state, "RUNNING") && strcmp(state, "WAITING"))
            return json;
        json_object_put(json);
        usleep(50000);
    }
    fail_msg("%s did not finish", path);
    return NULL;
}

static char *export_and_token(fixture *f, const char *body, char **file_out)
{
    long status;
    json_object *json = call(f, "POST", IMPEX "/availability-records/exports", body, &status);
    assert_int_equal(status, 200);
    char path[512];
    snprintf(path, sizeof path, "%s", string(json, "exportStatusLink"));
    json_object_put(json);
    json = wait_status(f, path);
    assert_string_equal(string(json, "status"), "COMPLETED");
    json_object *download, *validation;
    assert_int_equal(cm_json_object(json, "download", &download), CM_JSON_OK);
    assert_int_equal(cm_json_object(json, "validation", &validation), CM_JSON_OK);
    assert_string_equal(string(validation, "fileHashType"), "SHA-256");
    char url[1024];
    th_url(url, sizeof url, f->port, string(download, "downloadLink"));
    json_object_put(json);
    th_response response;
    assert_int_equal(th_http("GET", url, JSON_HEADERS, NULL, 0, &response), 0);
    assert_int_equal(response.status, 200);
    /* The last line holds the delta token. */
    char *last = response.body + response.body_length - 1;
    *last = '\0';
    char *line = strrchr(response.body, '\n');
    json_object *token_line = json_tokener_parse(line ? line + 1 : response.body);
    char *token = strdup(string(token_line, "deltaToken"));
    json_object_put(token_line);
    *file_out = strdup(response.body);
    th_response_free(&response);
    return token;
}

static void test_exports_and_deltas(void **state)
{
    fixture *f = *state;
    load_example(f);
    char *file = NULL;
    char *token = export_and_token(f, "{\"objects\":{\"groups\":[\"arizona\"]}}", &file);
    assert_non_null(strstr(file, "{\"groupId\":\"arizona\"}"));
    assert_non_null(strstr(file, "\"ato\":67.5"));
    free(file);
    free(token);
    token = export_and_token(f, "{\"objects\":{\"locations\":[\"surprise\",\"phoenix\"]}}", &file);
    assert_non_null(strstr(file, "{\"locationId\":\"phoenix\"}"));
    free(file);
    long status;
    json_object *json = call(f, "POST", AVAIL "/availability-records/actions/batch-update",
                             "{\"records\":[{\"id\":\"d1\",\"location\":\"phoenix\",\"sku\":\"x1\",\"onHand\":1},"
                             "{\"id\":\"d2\",\"location\":\"phoenix\",\"sku\":\"x2\",\"onHand\":2},"
                             "{\"id\":\"d3\",\"location\":\"wickenburg\",\"sku\":\"x3\",\"onHand\":3},"
                             "{\"id\":\"d4\",\"location\":\"phoenix\",\"sku\":\"x1\",\"onHand\":4}]}",
                             &status);
    assert_int_equal(status, 204);
    char body[256];
    snprintf(body, sizeof body, "{\"deltaToken\":\"%s\"}", token);
    json = call(f, "POST", AVAIL "/availability-records/actions/get-deltas", body, &status);
    assert_int_equal(status, 200);
    json_object *records;
    assert_int_equal(cm_json_array(json, "records", &records), CM_JSON_OK);
    assert_int_equal(json_object_array_length(records), 2); /* phoenix x1 and x2; wickenburg is not watched */
    json_object *first = json_object_array_get_idx(records, 0);
    assert_string_equal(string(first, "id"), "phoenix");
    assert_string_equal(string(first, "sku"), "x1");
    assert_string_equal(string(first, "deltaType"), "Change");
    assert_true(number(first, "onHand") == 4);
    json_object *again;
    assert_true(json_object_object_get_ex(json, "shouldQueryAgain", &again));
    assert_false(json_object_get_boolean(again));
    snprintf(body, sizeof body, "{\"deltaToken\":\"%s\"}", string(json, "nextDeltaToken"));
    json_object_put(json);
    json = call(f, "POST", AVAIL "/availability-records/actions/get-deltas", body, &status);
    assert_int_equal(status, 200);
    assert_int_equal(cm_json_array(json, "records", &records), CM_JSON_OK);
    assert_int_equal(json_object_array_length(records), 0);
    json_object_put(json);
    expect_error(f, "POST", AVAIL "/availability-records/actions/get-deltas", "{\"deltaToken\":\"nope\"}", 400,
                 "InvalidRequestParameter");
    expect_error(f, "POST", IMPEX "/availability-records/exports",
                 "{\"objects\":{\"groups\":[\"arizona\"],\"locations\":[\"phoenix\"]}}", 400, "InvalidRequestParameter");
    expect_error(f, "POST", IMPEX "/availability-records/exports", "{\"objects\":{\"locations\":[\"abc\"]}}", 400,
                 "LocationDoesNotExist");
    expect_error(f, "POST", IMPEX "/availability-records/exports", "{\"objects\":{\"groups\":[\"abc\"]}}", 400,
                 "GroupDoesNotExist");
    expect_error(f, "GET", IMPEX "/availability-records/exports/none/status", NULL, 404, "EntityNotFound");
    /* After 23.5 hours the token is gone: 410. */
    oci_core_testing_set_clock_skew(f->core, 24LL * 3600 * 1000);
    snprintf(body, sizeof body, "{\"deltaToken\":\"%s\"}", token);
    expect_error(f, "POST", AVAIL "/availability-records/actions/get-deltas", body, 410, "ExpiredDeltaLink");
    oci_core_testing_set_clock_skew(f->core, 0);
    free(token);
}

static char *submit_import(fixture *f, const char *body, char upload_path[512])
{
    long status;
    json_object *json = call(f, "POST", IMPEX "/availability-records/imports", body, &status);
    assert_int_equal(status, 200);
    assert_string_equal(string(json, "uploadMethod"), "POST");
    snprintf(upload_path, 512, "%s", string(json, "uploadLink"));
    char *id = strdup(string(json, "importId"));
    json_object_put(json);
    return id;
}

static json_object *upload_and_wait(fixture *f, const char *upload_path, const char *id, const void *data,
                                    size_t length, const char *content_type)
{
    char url[1024], type[256];
    th_url(url, sizeof url, f->port, upload_path);
    snprintf(type, sizeof type, "Content-Type: %s", content_type);
    const char *headers[] = {TOKEN, type, NULL};
    th_response response;
    assert_int_equal(th_http("POST", url, headers, data, length, &response), 0);
    assert_int_equal(response.status, 200);
    json_object *json = th_json(&response);
    assert_string_equal(string(json, "importId"), id);
    json_object_put(json);
    th_response_free(&response);
    char path[512];
    snprintf(path, sizeof path, IMPEX "/availability-records/imports/%s/status", id);
    return wait_status(f, path);
}

static char *result_file(fixture *f, const char *id)
{
    char path[512], url[1024];
    snprintf(path, sizeof path, IMPEX "/availability-records/imports/%s/file-content", id);
    th_url(url, sizeof url, f->port, path);
    th_response response;
    assert_int_equal(th_http("GET", url, JSON_HEADERS, NULL, 0, &response), 0);
    assert_int_equal(response.status, 200);
    char *body = strdup(response.body);
    th_response_free(&response);
    return body;
}

static int64_t import_count(json_object *status, const char *key)
{
    json_object *import;
    assert_int_equal(cm_json_object(status, "import", &import), CM_JSON_OK);
    int64_t value;
    assert_int_equal(cm_json_int64(import, key, &value), CM_JSON_OK);
    return value;
}

#define BIG_LINES 50000

static void test_import_50k_plain_and_gzip(void **state)
{
    fixture *f = *state;
    size_t capacity = (size_t)BIG_LINES * 160, length = 0;
    char *file = malloc(capacity);
    for (int i = 0; i < BIG_LINES; i++)
        length += (size_t)snprintf(file + length, capacity - length,
                                   "{\"recordId\":\"big-%d\",\"onHand\":%d,\"sku\":\"sku-%d\",\"safetyStockCount\":1,"
                                   "\"locationId\":\"%s\"}\n",
                                   i, i % 100, i, i % 2 ? "surprise" : "phoenix");
    char upload[512];
    char *id = submit_import(f, "{\"fileName\":\"big.json\",\"linkDuration\":60}", upload);
    json_object *status = upload_and_wait(f, upload, id, file, length, "application/octet-stream");
    assert_string_equal(string(status, "status"), "COMPLETED");
    assert_int_equal(import_count(status, "recordsReadCount"), BIG_LINES);
    assert_int_equal(import_count(status, "recordsProcessedCount"), BIG_LINES);
    assert_int_equal(import_count(status, "recordsSkippedCount"), 0);
    json_object_put(status);
    char *result = result_file(f, id);
    assert_string_equal(result, "{\"status\":\"COMPLETED_WITHOUT_ERRORS\"}\n");
    free(result);
    free(id);
    oci_availability availability;
    assert_int_equal(oci_core_get_location_record(f->core, ORG, "surprise", "sku-49999", &availability), CM_OK);
    assert_int_equal(availability.on_hand_milli, 99000);

    /* The same file gzipped in a multipart upload: every record id was applied: all skipped. */
    uLongf gz_capacity = compressBound((uLong)length) + 64;
    char *gz = malloc(gz_capacity);
    z_stream stream = {0};
    assert_int_equal(deflateInit2(&stream, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    stream.next_in = (Bytef *)file;
    stream.avail_in = (uInt)length;
    stream.next_out = (Bytef *)gz;
    stream.avail_out = (uInt)gz_capacity;
    assert_int_equal(deflate(&stream, Z_FINISH), Z_STREAM_END);
    size_t gz_length = stream.total_out;
    deflateEnd(&stream);
    const char *head = "--XyZ\r\nContent-Disposition: form-data; name=\"fileUpload\"; filename=\"big.json.gz\"\r\n"
                       "Content-Type: application/gzip\r\n\r\n";
    const char *tail = "\r\n--XyZ--\r\n";
    size_t multipart_length = strlen(head) + gz_length + strlen(tail);
    char *multipart = malloc(multipart_length);
    memcpy(multipart, head, strlen(head));
    memcpy(multipart + strlen(head), gz, gz_length);
    memcpy(multipart + strlen(head) + gz_length, tail, strlen(tail));
    id = submit_import(f, "{\"fileName\":\"big.json.gz\",\"fileEncoding\":\"GZIP\"}", upload);
    status = upload_and_wait(f, upload, id, multipart, multipart_length, "multipart/form-data; boundary=XyZ");
    assert_string_equal(string(status, "status"), "COMPLETED");
    assert_int_equal(import_count(status, "recordsReadCount"), BIG_LINES);
    assert_int_equal(import_count(status, "recordsSkippedCount"), BIG_LINES);
    json_object_put(status);
    free(id);
    /* gzip without fileEncoding: validation fails */
    id = submit_import(f, "{\"fileName\":\"x.gz\"}", upload);
    status = upload_and_wait(f, upload, id, gz, gz_length, "application/octet-stream");
    assert_string_equal(string(status, "status"), "FAILED");
    json_object *validation;
    assert_int_equal(cm_json_object(status, "validation", &validation), CM_JSON_OK);
    assert_string_equal(string(validation, "status"), "Failed");
    json_object_put(status);
    free(id);
    free(multipart);
    free(gz);
    free(file);
}

static void test_import_partial_failures_and_errors(void **state)
{
    fixture *f = *state;
    char data_path[512];
    th_data_path("oci/import-partial.ndjson", data_path, sizeof data_path);
    size_t length = 0;
    char *file = th_read_file(data_path, &length);
    assert_non_null(file);
    char upload[512];
    char *id = submit_import(f, "{\"fileName\":\"partial.json\"}", upload);
    /* before the upload: status WAITING, result 409, listed as available */
    char path[512];
    snprintf(path, sizeof path, IMPEX "/availability-records/imports/%s/file-content", id);
    expect_error(f, "GET", path, NULL, 409, "ImportInProgress");
    long status_code;
    json_object *list = call(f, "GET", IMPEX "/availability-records/imports?available=true", NULL, &status_code);
    assert_int_equal(status_code, 200);
    assert_non_null(strstr(json_object_to_json_string(list), id));
    json_object_put(list);
    json_object *status = upload_and_wait(f, upload, id, file, length, "application/x-ndjson");
    assert_string_equal(string(status, "status"), "COMPLETED");
    assert_int_equal(import_count(status, "recordsProcessedCount"), 2);
    json_object_put(status);
    char *result = result_file(f, id);
    assert_non_null(strstr(result, "{\"status\":\"COMPLETED_WITH_PARTIAL_FAILURES\"}\n"));
    assert_non_null(strstr(result, "\"recordId\":\"bad-quantity\""));
    assert_non_null(strstr(result, "\"recordId\":\"bad-location\""));
    assert_non_null(strstr(result, "No location exists with ID 'mars'"));
    assert_non_null(strstr(result, "line 4: the line is not valid JSON"));
    free(result);
    /* A second upload to the same link: 409; status and delete. */
    char url[1024];
    th_url(url, sizeof url, f->port, upload);
    th_response response;
    assert_int_equal(th_http("POST", url, JSON_HEADERS, "x", 1, &response), 0);
    assert_int_equal(response.status, 409);
    th_response_free(&response);
    snprintf(path, sizeof path, IMPEX "/availability-records/imports/%s", id);
    json_object *json = call(f, "DELETE", path, NULL, &status_code);
    assert_int_equal(status_code, 204);
    expect_error(f, "DELETE", path, NULL, 404, "EntityNotFound");
    expect_error(f, "GET", IMPEX "/availability-records/imports/none/status", NULL, 404, "EntityNotFound");
    expect_error(f, "POST", IMPEX "/availability-records/imports/uploadlink/none", "x", 404, "EntityNotFound");
    expect_error(f, "POST", IMPEX "/availability-records/imports", "{\"linkDuration\":5}", 400, "InvalidRequestParameter");
    expect_error(f, "POST", IMPEX "/availability-records/imports", "{\"fileName\":\"a\",\"linkDuration\":61}", 400,
                 "InvalidRequestParameter");
    expect_error(f, "GET", IMPEX "/availability-records/imports?available=maybe", NULL, 400, "InvalidRequestParameter");
    free(id);
    /* An expired upload link: 410. */
    id = submit_import(f, "{\"fileName\":\"late.json\",\"linkDuration\":1}", upload);
    oci_core_testing_set_clock_skew(f->core, 2 * 60 * 1000);
    expect_error(f, "POST", upload, "x", 410, "ExpiredUploadLink");
    oci_core_testing_set_clock_skew(f->core, 0);
    free(id);
    free(file);
    (void)json;
}

static void test_graph_export_and_admin(void **state)
{
    fixture *f = *state;
    long status;
    oci_core_testing_pause_worker(f->core, 1);
    json_object *json = call(f, "POST", IMPEX "/location-graph/exports", NULL, &status);
    assert_int_equal(status, 200);
    char path[512], id[64];
    snprintf(path, sizeof path, "%s", string(json, "exportStatusLink"));
    snprintf(id, sizeof id, "%s", string(json, "exportId"));
    json_object_put(json);
    char file_path[512], delete_path[512];
    snprintf(file_path, sizeof file_path, IMPEX "/location-graph/exports/%s/file-content", id);
    snprintf(delete_path, sizeof delete_path, IMPEX "/location-graph/exports/%s", id);
    expect_error(f, "GET", file_path, NULL, 409, "ExportInProcess");
    expect_error(f, "DELETE", delete_path, NULL, 409, "ExportInProcess");
    oci_core_testing_pause_worker(f->core, 0);
    json = wait_status(f, path);
    assert_string_equal(string(json, "status"), "COMPLETED");
    json_object_put(json);
    json = call(f, "GET", file_path, NULL, &status);
    assert_int_equal(status, 200);
    json_object *locations;
    assert_int_equal(cm_json_array(json, "locations", &locations), CM_JSON_OK);
    assert_int_equal(json_object_array_length(locations), 5);
    json_object_put(json);
    oci_core_testing_set_clock_skew(f->core, 25LL * 3600 * 1000);
    expect_error(f, "GET", file_path, NULL, 410, "ExpiredResultLink");
    oci_core_testing_set_clock_skew(f->core, 0);
    json = call(f, "DELETE", delete_path, NULL, &status);
    assert_int_equal(status, 204);
    expect_error(f, "DELETE", delete_path, NULL, 404, "EntityNotFound");
    /* admin replacement */
    json = call(f, "PUT", "/admin/organizations/" ORG "/location-graph",
                "{\"locations\":[\"l1\",\"l2\"],\"groups\":[{\"id\":\"g\",\"locations\":[\"l1\"]}]}", &status);
    assert_int_equal(status, 200);
    json_object_put(json);
    expect_error(f, "PUT", "/admin/organizations/" ORG "/location-graph",
                 "{\"locations\":[\"l1\"],\"groups\":[{\"id\":\"g\",\"locations\":[\"zz\"]}]}", 400,
                 "InvalidRequestParameter");
    expect_error(f, "POST", AVAIL "/availability-records/actions/get-availability",
                 "{\"skus\":[\"sku123\"],\"locations\":[\"phoenix\"]}", 400, "LocationDoesNotExist");
}

static void restart(fixture *f)
{
    cm_http_server_stop(f->server);
    f->server = NULL; /* a failed reopen leaves the teardown nothing to stop twice */
    oci_core_close(f->core);
    f->core = NULL;
    char oci_error[OCI_ERROR_MAX];
    if (oci_core_open(f->config, f->dir, &f->core, oci_error) != CM_OK)
        fail_msg("reopen: %s", oci_error);
    cm_http_server_config server_config = {.name = "oci", .bind_address = "127.0.0.1", .threads = 2};
    oci_core_http_config(f->core, &server_config);
    char http_error[CM_HTTP_ERROR_MAX];
    if (cm_http_server_start(&server_config, &f->server, http_error) != CM_OK)
        fail_msg("server: %s", http_error);
    f->port = cm_http_server_port(f->server);
}

/* Puts the core's database back to schema 2 (the three event indexes, no batch markers) while the
 * core is closed, then opens it again: migrations 3 and 4 run on a file with data in it. */
static void downgrade_and_restart(fixture *f)
{
    cm_http_server_stop(f->server);
    f->server = NULL;
    oci_core_close(f->core);
    f->core = NULL;
    char path[400];
    snprintf(path, sizeof path, "%s/oci.db", f->dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "CREATE INDEX events_by_org ON events (org, seq);"
                                  "CREATE INDEX events_by_time ON events (created_ms);"
                                  "DROP INDEX events_by_bucket;"
                                  "CREATE INDEX events_by_sku ON events (org, sku, created_ms);"
                                  "DROP TABLE applied_batches;"
                                  "CREATE INDEX applied_ids_by_time ON applied_ids (applied_ms);"
                                  "UPDATE schema_version SET version = 2 WHERE component = 'oci_core';",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    char oci_error[OCI_ERROR_MAX];
    if (oci_core_open(f->config, f->dir, &f->core, oci_error) != CM_OK)
        fail_msg("reopen: %s", oci_error);
    cm_http_server_config server_config = {.name = "oci", .bind_address = "127.0.0.1", .threads = 2};
    oci_core_http_config(f->core, &server_config);
    char http_error[CM_HTTP_ERROR_MAX];
    if (cm_http_server_start(&server_config, &f->server, http_error) != CM_OK)
        fail_msg("server: %s", http_error);
    f->port = cm_http_server_port(f->server);
}

/* Migrations 3 to 5 on a database with events in it: the events stay readable, a delta token
 * taken before them still reads the changes after them, batch markers work afterwards, a token
 * taken afterwards starts at the newest event (found through the new index), and the claimed ids
 * lose their time index but stay claimed. */
static void test_migrations_3_to_5_keep_events(void **state)
{
    fixture *f = *state;
    oci_record_update records[3] = {
        {.record_id = "m-1", .location_id = "phoenix", .sku = "mig-1", .has_on_hand = 1, .on_hand_milli = 1000},
        {.record_id = "m-2", .location_id = "phoenix", .sku = "mig-2", .has_on_hand = 1, .on_hand_milli = 2000},
        {.record_id = "m-3", .location_id = "phoenix", .sku = "mig-3", .has_on_hand = 1, .on_hand_milli = 3000},
    };
    oci_apply_result results[3];
    assert_int_equal(oci_core_apply_records(f->core, ORG, records, 1, results), CM_OK);
    char *file = NULL;
    char *token = export_and_token(f, "{\"objects\":{\"locations\":[\"phoenix\"]}}", &file);
    free(file);
    assert_int_equal(oci_core_apply_records(f->core, ORG, records + 1, 1, results), CM_OK); /* before */
    long long events = db_count(f, "SELECT count(*) FROM events");
    downgrade_and_restart(f);
    assert_int_equal(db_count(f, "SELECT version FROM schema_version WHERE component = 'oci_core'"), 5);
    assert_int_equal(db_count(f, "SELECT count(*) FROM sqlite_master WHERE name = 'applied_ids_by_time'"), 0);
    assert_int_equal(db_count(f, "SELECT count(*) FROM applied_ids WHERE record_id = 'm-1'"), 1);
    assert_int_equal(db_count(f, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events'"),
                     1);
    assert_int_equal(db_count(f, "SELECT count(*) FROM sqlite_master WHERE name = 'events_by_bucket'"), 1);
    assert_int_equal(db_count(f, "SELECT count(*) FROM events"), events);
    assert_int_equal(oci_core_apply_batch(f->core, ORG, "m/1/1/0", records + 2, 1, results), CM_OK); /* after */
    assert_int_equal(results[0].outcome, OCI_APPLY_APPLIED);
    assert_int_equal(db_count(f, "SELECT count(*) FROM applied_batches"), 1);
    oci_availability availability;
    assert_int_equal(oci_core_get_location_record(f->core, ORG, "phoenix", "mig-1", &availability), CM_OK);
    assert_int_equal(availability.on_hand_milli, 1000);
    /* The token from before the migration: the changes after it, before and after the migration. */
    char body[256];
    snprintf(body, sizeof body, "{\"deltaToken\":\"%s\"}", token);
    long status;
    json_object *json = call(f, "POST", AVAIL "/availability-records/actions/get-deltas", body, &status);
    assert_int_equal(status, 200);
    json_object *list;
    assert_int_equal(cm_json_array(json, "records", &list), CM_JSON_OK);
    assert_int_equal(json_object_array_length(list), 2);
    assert_string_equal(string(json_object_array_get_idx(list, 0), "sku"), "mig-2");
    assert_string_equal(string(json_object_array_get_idx(list, 1), "sku"), "mig-3");
    json_object_put(json);
    free(token);
    /* A token taken now: only what comes after it. */
    token = export_and_token(f, "{\"objects\":{\"locations\":[\"phoenix\"]}}", &file);
    free(file);
    records[0].record_id = "m-4"; /* a new id: m-1 again would be skipped as applied */
    records[0].on_hand_milli = 4000;
    assert_int_equal(oci_core_apply_records(f->core, ORG, records, 1, results), CM_OK);
    snprintf(body, sizeof body, "{\"deltaToken\":\"%s\"}", token);
    json = call(f, "POST", AVAIL "/availability-records/actions/get-deltas", body, &status);
    assert_int_equal(status, 200);
    assert_int_equal(cm_json_array(json, "records", &list), CM_JSON_OK);
    assert_int_equal(json_object_array_length(list), 1);
    assert_string_equal(string(json_object_array_get_idx(list, 0), "sku"), "mig-1");
    json_object_put(json);
    free(token);
}

/* The gaps of part 1: hashes, null bodies, 409s during exports, the upload example, deltas past
 * one page, by group and after a delete, resuming an import after a restart, the stored graph,
 * pruning. */
static void test_part1_gaps(void **state)
{
    fixture *f = *state;
    /* A JSON null body is a 400 everywhere, never a crash. */
    const char *null_routes[][2] = {
        {"POST", AVAIL "/availability-records/actions/get-availability"},
        {"POST", AVAIL "/availability-records/actions/batch-update"},
        {"POST", AVAIL "/availability-records/actions/get-deltas"},
        {"PUT", AVAIL "/locations/phoenix/availability-records/skus/sku1/n1"},
        {"POST", IMPEX "/availability-records/imports"},
        {"POST", IMPEX "/availability-records/exports"},
        {"POST", IMPEX "/event-log/exports"},
        {"PUT", "/admin/organizations/" ORG "/location-graph"},
    };
    for (size_t i = 0; i < sizeof null_routes / sizeof null_routes[0]; i++)
        expect_error(f, null_routes[i][0], null_routes[i][1], "null", 400, "InvalidRequestParameter");

    /* The upload example of the RAML (ImportsUploadLinkPostBody), byte for byte: the legacy header
     * with "locationId", then two records; sku "1" is shorter than the 2 characters SkuId allows. */
    const char *example = "{\"locationId\":\"wickenburg\",\"mode\":\"UPDATE\"}\n {\"recordId\":\"0a87539d-f3dd-47bc-91c7-9c752e39dbe0\","
                          "\"onHand\":10,\"sku\":\"1\",\"effectiveDate\":\"2020-04-08T14:05:22.790896-07:00\",\"futures\":[{\"quantity\":1,"
                          "\"expectedDate\":\"2020-04-18T14:05:22.781-07:00\"}],\"safetyStockCount\":0}\n {\"recordId\":"
                          "\"f4bf981e-321e-42bd-851f-3573a3263ab1\",\"onHand\":5,\"sku\":\"sku2\",\"effectiveDate\":"
                          "\"2020-04-08T14:05:22.790896-07:00\",\"safetyStockCount\":1}";
    char upload[512];
    char *id = submit_import(f, "{\"fileName\":\"test.json\",\"linkDuration\":60}", upload);
    char *multipart = NULL;
    size_t multipart_length = (size_t)asprintf(&multipart,
                                               "--b0\r\nContent-Disposition: form-data; name=\"file\"; filename=\"test.json\"\r\n"
                                               "Content-Type: application/json\r\n\r\n%s\r\n--b0--\r\n",
                                               example);
    json_object *status = upload_and_wait(f, upload, id, multipart, multipart_length, "multipart/form-data; boundary=b0");
    assert_string_equal(string(status, "status"), "COMPLETED");
    assert_int_equal(import_count(status, "recordsProcessedCount"), 1);
    json_object_put(status);
    char *result = result_file(f, id);
    assert_non_null(strstr(result, "COMPLETED_WITH_PARTIAL_FAILURES"));
    assert_non_null(strstr(result, "\"recordId\":\"0a87539d-f3dd-47bc-91c7-9c752e39dbe0\""));
    free(result);
    free(multipart);
    free(id);
    oci_availability availability;
    assert_int_equal(oci_core_get_location_record(f->core, ORG, "wickenburg", "sku2", &availability), CM_OK);
    assert_int_equal(availability.on_hand_milli, 5000);

    /* fileHash: SHA-256 and SHA-512 are verified; a mismatch fails validation. */
    const char *line = "{\"recordId\":\"h1\",\"sku\":\"skuH\",\"onHand\":3,\"locationId\":\"phoenix\"}\n";
    const char *sha256 = "0000000000000000000000000000000000000000000000000000000000000000";
    char body[512];
    snprintf(body, sizeof body, "{\"fileName\":\"h.json\",\"fileHash\":\"%s\"}", sha256);
    id = submit_import(f, body, upload);
    status = upload_and_wait(f, upload, id, line, strlen(line), "application/octet-stream");
    assert_string_equal(string(status, "status"), "FAILED");
    assert_non_null(strstr(json_object_to_json_string(status), "does not match the SHA-256"));
    json_object_put(status);
    free(id);
    char sha512[OCI_ERROR_MAX];
    {
        /* sha512sum of `line`, computed here by the same definition the unit test checks. */
        FILE *pipe = popen("printf '%s' '{\"recordId\":\"h1\",\"sku\":\"skuH\",\"onHand\":3,\"locationId\":\"phoenix\"}\n' | sha512sum", "r");
        assert_non_null(pipe);
        assert_non_null(fgets(sha512, sizeof sha512, pipe));
        pclose(pipe);
        sha512[128] = '\0';
    }
    snprintf(body, sizeof body, "{\"fileName\":\"h.json\",\"fileHashType\":\"SHA-512\",\"fileHash\":\"%.128s\"}", sha512);
    id = submit_import(f, body, upload);
    status = upload_and_wait(f, upload, id, line, strlen(line), "application/octet-stream");
    assert_string_equal(string(status, "status"), "COMPLETED");
    json_object_put(status);
    free(id);
    sha512[0] = sha512[0] == 'a' ? 'b' : 'a';
    snprintf(body, sizeof body, "{\"fileName\":\"h.json\",\"fileHashType\":\"SHA-512\",\"fileHash\":\"%.128s\"}", sha512);
    id = submit_import(f, body, upload);
    status = upload_and_wait(f, upload, id, line, strlen(line), "application/octet-stream");
    assert_string_equal(string(status, "status"), "FAILED");
    assert_non_null(strstr(json_object_to_json_string(status), "does not match the SHA-512"));
    json_object_put(status);
    free(id);

    /* While an availability export runs: DELETE of a record and of the export are 409. */
    oci_core_testing_pause_worker(f->core, 1);
    long code;
    json_object *json = call(f, "POST", IMPEX "/availability-records/exports", "{\"objects\":{\"groups\":[\"arizona\"]}}", &code);
    assert_int_equal(code, 200);
    char export_path[512];
    snprintf(export_path, sizeof export_path, IMPEX "/availability-records/exports/%s", string(json, "exportId"));
    json_object_put(json);
    expect_error(f, "DELETE", AVAIL "/locations/wickenburg/availability-records/skus/sku2/del-1", NULL, 409,
                 "ExportInProcess");
    expect_error(f, "DELETE", export_path, NULL, 409, "ExportInProcess");
    oci_core_testing_pause_worker(f->core, 0);

    /* Deltas: more than one page (shouldQueryAgain), a group token, and a Delete. */
    char *file = NULL;
    char *token = export_and_token(f, "{\"objects\":{\"groups\":[\"arizona\"]}}", &file);
    free(file);
    char batch[16384];
    for (int b = 0; b < 6; b++) {
        snprintf(batch, sizeof batch, "{\"records\":[");
        for (int i = 0; i < 100; i++)
            snprintf(batch + strlen(batch), sizeof batch - strlen(batch),
                     "%s{\"id\":\"q%d-%d\",\"location\":\"surprise\",\"sku\":\"qs%d\",\"onHand\":%d}", i ? "," : "", b, i,
                     b * 100 + i, i + 1);
        strcat(batch, "]}");
        json = call(f, "POST", AVAIL "/availability-records/actions/batch-update", batch, &code);
        assert_int_equal(code, 204);
    }
    json = call(f, "DELETE", AVAIL "/locations/wickenburg/availability-records/skus/sku2/del-2", NULL, &code);
    assert_int_equal(code, 204);
    int pages = 0, records_seen = 0, deletes = 0;
    for (int more = 1; more; pages++) {
        snprintf(body, sizeof body, "{\"deltaToken\":\"%s\"}", token);
        json = call(f, "POST", AVAIL "/availability-records/actions/get-deltas", body, &code);
        assert_int_equal(code, 200);
        json_object *records, *again;
        assert_int_equal(cm_json_array(json, "records", &records), CM_JSON_OK);
        for (size_t i = 0; i < json_object_array_length(records); i++) {
            json_object *record = json_object_array_get_idx(records, i);
            assert_string_equal(string(record, "id"), "arizona");
            records_seen++;
            if (strcmp(string(record, "deltaType"), "Delete") == 0) {
                deletes++;
                assert_string_equal(string(record, "sku"), "sku2");
            }
        }
        assert_true(json_object_object_get_ex(json, "shouldQueryAgain", &again));
        more = json_object_get_boolean(again);
        if (pages == 0)
            assert_true(more); /* 601 changes: more than one page of 500 */
        free(token);
        token = strdup(string(json, "nextDeltaToken"));
        json_object_put(json);
    }
    assert_int_equal(pages, 2);
    assert_int_equal(records_seen, 601);
    assert_int_equal(deletes, 1);
    free(token);

    /* An import interrupted after 2 batches resumes after a restart, applying no line twice. */
    enum { LINES = OCI_IMPORT_BATCH_LINES * 7 / 2 }; /* three and a half batches */
    size_t capacity = (size_t)LINES * 120, length = 0;
    char *big = malloc(capacity);
    for (int i = 0; i < LINES; i++)
        length += (size_t)snprintf(big + length, capacity - length,
                                   "{\"recordId\":\"rs-%d\",\"onHand\":%d,\"sku\":\"rs-%d\",\"locationId\":\"phoenix\"}\n", i, i % 7, i);
    oci_core_testing_import_batches(f->core, 2);
    id = submit_import(f, "{\"fileName\":\"resume.json\"}", upload);
    char url[1024];
    th_url(url, sizeof url, f->port, upload);
    const char *headers[] = {TOKEN, "Content-Type: application/octet-stream", NULL};
    th_response response;
    assert_int_equal(th_http("POST", url, headers, big, length, &response), 0);
    assert_int_equal(response.status, 200);
    th_response_free(&response);
    char status_path[512];
    snprintf(status_path, sizeof status_path, IMPEX "/availability-records/imports/%s/status", id);
    int stopped = 0;
    for (int i = 0; i < 200 && !stopped; i++) {
        json = call(f, "GET", status_path, NULL, &code);
        int64_t read = import_count(json, "recordsReadCount");
        stopped = strcmp(string(json, "status"), "RUNNING") == 0 && read == 2 * OCI_IMPORT_BATCH_LINES;
        json_object_put(json);
        if (!stopped)
            usleep(20000);
    }
    assert_true(stopped); /* RUNNING with 2 of 4 batches committed: the state a crash leaves */
    restart(f);
    status = wait_status(f, status_path);
    assert_string_equal(string(status, "status"), "COMPLETED");
    assert_int_equal(import_count(status, "recordsReadCount"), LINES);
    assert_int_equal(import_count(status, "recordsProcessedCount"), LINES);
    assert_int_equal(import_count(status, "recordsSkippedCount"), 0);
    json_object_put(status);
    free(big);

    /* The admin-replaced graph survives a restart. */
    json = call(f, "PUT", "/admin/organizations/" ORG "/location-graph",
                "{\"locations\":[\"phoenix\",\"moon\"],\"groups\":[{\"id\":\"sky\",\"locations\":[\"moon\"]}]}", &code);
    assert_int_equal(code, 200);
    json_object_put(json);
    restart(f);
    json = call(f, "GET", "/admin/organizations/" ORG "/location-graph", NULL, &code);
    assert_int_equal(code, 200);
    assert_non_null(strstr(json_object_to_json_string_ext(json, JSON_C_TO_STRING_PLAIN), "\"moon\""));
    assert_null(strstr(json_object_to_json_string_ext(json, JSON_C_TO_STRING_PLAIN), "surprise"));
    json_object_put(json);

    /* Pruning: 25 hours on, the finished import and its result are gone; records stay. */
    oci_core_testing_set_clock_skew(f->core, 25LL * 3600 * 1000);
    oci_core_testing_prune_now(f->core);
    expect_error(f, "GET", status_path, NULL, 404, "EntityNotFound");
    oci_core_testing_set_clock_skew(f->core, 0);
    assert_int_equal(oci_core_get_location_record(f->core, ORG, "phoenix", "rs-6", &availability), CM_OK);
    assert_int_equal(availability.on_hand_milli, 6000);
    /* 32 days on, the record ids the imports claimed are gone too: found by the pruning's walk in
     * key order (they have no time index); the records stay. */
    assert_true(db_count(f, "SELECT count(*) FROM applied_ids") >= LINES);
    oci_core_testing_set_clock_skew(f->core, 32LL * 24 * 3600 * 1000);
    oci_core_testing_prune_now(f->core);
    oci_core_testing_set_clock_skew(f->core, 0);
    assert_int_equal(db_count(f, "SELECT count(*) FROM applied_ids"), 0);
    assert_int_equal(oci_core_get_location_record(f->core, ORG, "phoenix", "rs-6", &availability), CM_OK);
    assert_int_equal(availability.on_hand_milli, 6000);
    free(id);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_health_auth_and_correlation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_oauth_token, setup, teardown),
        cmocka_unit_test_setup_teardown(test_get_availability_examples, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_update_and_records, setup, teardown),
        cmocka_unit_test_setup_teardown(test_apply_records_contract, setup, teardown),
        cmocka_unit_test_setup_teardown(test_migrations_3_to_5_keep_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exports_and_deltas, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_50k_plain_and_gzip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_partial_failures_and_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_graph_export_and_admin, setup, teardown),
        cmocka_unit_test_setup_teardown(test_part1_gaps, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
