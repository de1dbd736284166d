/*
 * The bundled OCI core against the RAML of ../shared/oci-spec (inventory-availability, impex), over
 * real HTTP: every 4xx the RAML declares for the part-1 routes, the 403 and 429 of every route,
 * and the request examples not sent by test_oci_http.c, each reply checked field by field against
 * the RAML response type (required fields present, JSON types right).
 *
 * Request examples sent here: GetATSAllLocations ({"sku":"sku123","group":"Canada"}, exactly),
 * GetATSAllUnassignedLocations, GetATSLocationsAndGroups (inventory-availability/Examples); the
 * property examples of BatchInventoryUpdateRequestRecord / InventoryUpdateRequestBodyPut|Patch
 * (id 82251928-…, externalRefId 7282822-9823-aaa, onHand 25.000, safetyStockCount 20.000,
 * effectiveDate 2019-07-24T21:13:00Z, futures 10.25 @ 2019-08-24T21:13:00Z); the DeltaToken type
 * example (get-deltas); ImportRequestObjects with every example value (fileName inventory.json,
 * JSON, GZIP, fileHash 79f6…, SHA-256, linkDuration 60) and the ImportsUploadLinkPostBody example
 * gzipped; InitiateInventoryExportByLocationOrGroup, both named examples (locations warehouse5 +
 * warehouse6, groups UnitedStates + Germany). The test graph (tests/data/oci/location-graph-raml.json)
 * holds every place those examples name. Not sent: LocationGraphExportBatchDeleteBodyExample and
 * the batch import-status / batch delete bodies (their routes are not in the RAML of these APIs).
 *
 * Audit: route x 4xx declared by the RAML -> the test that produces it (status, errorCode, shape).
 * "403" is TenantNotProvisioned (a valid token of another organization, and an unknown organization
 * in the path): availability routes answer the OCI problem shape, impex routes the Spring-style
 * 403Error of impex.raml (+ errorCode). "429" is the organization rate limit (oci-api.md §1).
 *
 * | route                                  | 4xx in the RAML                          | produced by (this file unless named)           |
 * |----------------------------------------|------------------------------------------|------------------------------------------------|
 * | POST …/actions/get-availability        | 400 InvalidRequestParameter              | test_availability_4xx (bad sku, 101 combos, skus not array) |
 * |                                        | 400 LocationDoesNotExist                 | test_availability_4xx                          |
 * |                                        | 400 GroupDoesNotExist                    | test_availability_4xx                          |
 * |                                        | 403 TenantNotProvisioned, 429            | test_403_every_route, test_429_every_route     |
 * | POST …/actions/batch-update            | 400 InvalidRequestParameter              | test_availability_4xx (0 and 101 records, no records, bad JSON) |
 * |                                        | 400 LocationDoesNotExist                 | test_availability_4xx                          |
 * |                                        | 403, 429                                 | test_403_every_route, test_429_every_route     |
 * | POST …/actions/get-deltas              | 400 InvalidRequestParameter              | test_availability_4xx (missing, unknown, RAML example token) |
 * |                                        | 400 ExpiredDeltaLink                     | NOT PRODUCED: an expired token is answered 410 ExpiredDeltaLink (the RAML's 410) |
 * |                                        | 410 ExpiredDeltaLink                     | test_availability_4xx                          |
 * |                                        | 403, 429                                 | test_403_every_route, test_429_every_route     |
 * | PUT …/locations/{l}/…/skus/{s}/{rid}   | 400 InvalidRequestParameter              | test_availability_4xx (onHand -1, 0.0001, bad sku in path) |
 * |                                        | 400 LocationDoesNotExist                 | test_availability_4xx                          |
 * |                                        | 400 EntityAlreadyExists                  | test_availability_4xx (requestId reused for another SKU) |
 * |                                        | 400 EntityNotFound                       | NOT PRODUCED: PUT creates a missing location SKU |
 * |                                        | 404 EntityNotFound                       | NOT PRODUCED: PUT creates a missing location SKU |
 * |                                        | 403, 429                                 | test_403_every_route, test_429_every_route     |
 * | PATCH (same path)                      | 400 InvalidRequestParameter              | test_availability_4xx                          |
 * |                                        | 400 LocationDoesNotExist                 | test_availability_4xx                          |
 * |                                        | 400 EntityNotFound                       | NOT PRODUCED: a missing location SKU is the RAML's 404 |
 * |                                        | 404 EntityNotFound                       | test_availability_4xx                          |
 * |                                        | 403, 429                                 | test_403_every_route, test_429_every_route     |
 * | DELETE (same path)                     | 404 EntityNotFound                       | test_availability_4xx                          |
 * |                                        | 409 ExportInProcess                      | test_availability_4xx (export paused)          |
 * |                                        | 429 (403 not declared; produced anyway)  | test_429_every_route, test_403_every_route     |
 * | POST …/availability-records/imports    | 400 InvalidRequestParameter              | test_imports_4xx (no fileName, linkDuration 61 / 0 / "x", fileFormat, fileEncoding, fileHashType, fileHash) |
 * |                                        | 403 (impex shape), 429                   | test_403_every_route, test_429_every_route     |
 * | GET …/availability-records/imports     | 400 InvalidRequestParameter              | test_imports_4xx (?available=maybe)            |
 * |                                        | 403, 429                                 | test_403_every_route, test_429_every_route     |
 * | POST …/imports/uploadlink/{id}         | 404 EntityNotFound                       | test_imports_4xx                               |
 * |                                        | 409 FileAlreadyReceived                  | test_imports_4xx                               |
 * |                                        | 410 ExpiredUploadLink                    | test_imports_4xx                               |
 * |                                        | 403, 429                                 | test_403_every_route, test_429_every_route     |
 * | GET …/imports/{id}/status              | 404 EntityNotFound                       | test_imports_4xx                               |
 * |                                        | 403, 429                                 | test_403_every_route, test_429_every_route     |
 * | GET …/imports/{id}/file-content        | 404 EntityNotFound                       | test_imports_4xx                               |
 * |                                        | 409 ImportInProgress                     | test_imports_4xx (WAITING and PENDING)         |
 * |                                        | 403, 429                                 | test_403_every_route, test_429_every_route     |
 * | DELETE …/imports/{id}                  | 404 EntityNotFound                       | test_imports_4xx                               |
 * |                                        | 409 ImportInProgress                     | test_imports_4xx (PENDING, worker paused)      |
 * |                                        | 403, 429                                 | test_403_every_route, test_429_every_route     |
 * | POST …/availability-records/exports    | 400 InvalidRequestParameter              | test_exports_4xx (both kinds, none, empty, not strings) |
 * |                                        | 400 LocationDoesNotExist (+location)     | test_exports_4xx                               |
 * |                                        | 400 GroupDoesNotExist (+group)           | test_exports_4xx                               |
 * |                                        | 403, 429                                 | test_403_every_route, test_429_every_route     |
 * | GET …/exports/{id}/status              | 404 EntityNotFound                       | test_exports_4xx                               |
 * |                                        | 403, 429                                 | test_403_every_route, test_429_every_route     |
 * | GET …/exports/{id}/file-content        | 404 EntityNotFound                       | test_exports_4xx                               |
 * |                                        | 409 ExportInProcess                      | test_exports_4xx (worker paused)               |
 * |                                        | 410 ExpiredResultLink                    | test_exports_4xx (25 h later)                  |
 * |                                        | 403, 429                                 | test_403_every_route, test_429_every_route     |
 * | DELETE …/exports/{id}                  | 404 EntityNotFound                       | test_exports_4xx                               |
 * |                                        | 409 ExportInProcess                      | test_exports_4xx                               |
 * |                                        | 403, 429                                 | test_403_every_route, test_429_every_route     |
 * | POST …/location-graph/exports          | 400 InvalidRequestParameter              | test_exports_4xx (a body that is not a JSON object) |
 * |                                        | 403, 429                                 | test_403_every_route, test_429_every_route     |
 * | GET …/location-graph/exports/{id}/status | 404 EntityNotFound                     | test_exports_4xx                               |
 * |                                        | 403, 429                                 | test_403_every_route, test_429_every_route     |
 * | GET …/location-graph/exports/{id}/file-content | 404, 409 ExportInProcess, 410 ExpiredResultLink | test_exports_4xx       |
 * |                                        | 403, 429                                 | test_403_every_route, test_429_every_route     |
 * | DELETE …/location-graph/exports/{id}   | 404, 409 ExportInProcess                 | test_exports_4xx                               |
 * |                                        | 403, 429                                 | test_403_every_route, test_429_every_route     |
 */
#define _GNU_SOURCE
#include "tests/support/oci_inproc.h"
#include "tests/support/test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "common/config.h"
#include "common/http_server.h"
#include "common/json_util.h"
#include "oci_core/oci_core.h"
#include "oci_core/oci_core_testing.h"
#include "tests/support/http_client.h"

#define ORG "f_ecom_raml"
#define OTHER_ORG "other_org"
#define LIMITED_ORG "limited_org" /* 1 request per 1000 s: everything after the first is 429 */
#define PACED_ORG "paced_org"     /* 1 request per 100 s, 3 at once */
#define AVAIL "/inventory/availability/v1/organizations/" ORG
#define IMPEX "/inventory/impex/v1/organizations/" ORG
#define TOKEN "Authorization: Bearer full-token"
#define SCOPES                                                                                                      \
    "[\"sfcc.inventory.availability\",\"sfcc.inventory.availability.rw\",\"sfcc.inventory.impex-inventory\","     \
    "\"sfcc.inventory.impex-inventory.rw\",\"sfcc.inventory.impex-graphs\"]"
#define DELTA_TOKEN_EXAMPLE "e3NoYXJkSWQtMDAwMDAwMDE1NzczOTkxNTc2MDItYmE5MGYxNGE6MDAwMDAwMDAwMDAwMDAwMDAwNDQ0fQ=="
#define WAIT_POLLS 600
#define WAIT_POLL_US 20000

typedef th_oci fixture;

static const char *const HEADERS[] = {TOKEN, "Content-Type: application/json", NULL};

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    char graph[512], text[4096];
    th_data_path("oci/location-graph-raml.json", graph, sizeof graph);
    snprintf(text, sizeof text,
             "{\"oci\":{\"port\":0,\"organizations\":["
             "{\"id\":\"" ORG "\",\"locationGraph\":\"%s\",\"tokens\":[{\"token\":\"full-token\",\"scopes\":" SCOPES "}]},"
             "{\"id\":\"" OTHER_ORG "\",\"locationGraph\":\"%s\",\"tokens\":[{\"token\":\"other-token\",\"scopes\":" SCOPES
             "}]},"
             "{\"id\":\"" LIMITED_ORG "\",\"locationGraph\":\"%s\",\"rateLimit\":{\"requestsPerSecond\":0.001,\"burst\":1},"
             "\"tokens\":[{\"token\":\"limited-token\",\"scopes\":" SCOPES "}]},"
             "{\"id\":\"" PACED_ORG "\",\"locationGraph\":\"%s\",\"rateLimit\":{\"requestsPerSecond\":0.01,\"burst\":3},"
             "\"tokens\":[{\"token\":\"paced-token\",\"scopes\":" SCOPES "}]}]},"
             "\"tenants\":[]}",
             graph, graph, graph, graph);
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

/* ---- the RAML response types, as field lists ---- */

typedef enum jkind { J_STR, J_DATE, J_NUM, J_INT, J_BOOL, J_OBJ, J_ARR_STR, J_ARR_OBJ } jkind;

typedef struct jfield {
    const char *name;
    jkind kind;
    int required;
    const struct jfield *sub; /* J_OBJ: its fields; J_ARR_OBJ: the fields of each item */
} jfield;

#define JEND {NULL, J_STR, 0, NULL}

static const jfield FUTURE[] = {{"expectedDate", J_DATE, 1, NULL}, {"quantity", J_NUM, 1, NULL}, JEND};
static const jfield LOC_RECORD[] = {{"sku", J_STR, 1, NULL},          {"atf", J_NUM, 1, NULL},
                                    {"ato", J_NUM, 1, NULL},          {"onHand", J_NUM, 1, NULL},
                                    {"reserved", J_NUM, 1, NULL},     {"safetyStockCount", J_NUM, 1, NULL},
                                    {"effectiveDate", J_DATE, 0, NULL}, {"futures", J_ARR_OBJ, 0, FUTURE},
                                    JEND};
static const jfield GROUP_RECORD[] = {{"sku", J_STR, 1, NULL},
                                      {"atf", J_NUM, 1, NULL},
                                      {"ato", J_NUM, 1, NULL},
                                      {"onHand", J_NUM, 1, NULL},
                                      {"reserved", J_NUM, 1, NULL},
                                      {"safetyStockCount", J_NUM, 1, NULL},
                                      {"groupReserved", J_NUM, 0, NULL},
                                      {"sharedGroupReserved", J_NUM, 0, NULL},
                                      {"effectiveDate", J_DATE, 0, NULL},
                                      {"futures", J_ARR_OBJ, 0, FUTURE},
                                      JEND};
static const jfield ITEM_LOCATION[] = {{"id", J_STR, 1, NULL}, {"records", J_ARR_OBJ, 1, LOC_RECORD}, JEND};
static const jfield ITEM_GROUP[] = {{"id", J_STR, 1, NULL}, {"records", J_ARR_OBJ, 1, GROUP_RECORD}, JEND};
static const jfield AVAILABILITY_200[] = {{"locations", J_ARR_OBJ, 1, ITEM_LOCATION},
                                          {"groups", J_ARR_OBJ, 0, ITEM_GROUP}, JEND};
static const jfield BATCH_DETAIL[] = {{"externalRefId", J_STR, 0, NULL}, {"locationId", J_STR, 1, NULL},
                                      {"sku", J_STR, 1, NULL}, {"id", J_STR, 1, NULL}, JEND};
static const jfield BATCH_ERROR[] = {{"details", J_OBJ, 1, BATCH_DETAIL}, {"message", J_STR, 1, NULL},
                                     {"errorCode", J_STR, 1, NULL}, JEND};
static const jfield BATCH_200[] = {{"errors", J_ARR_OBJ, 1, BATCH_ERROR}, JEND};
static const jfield DELTA_RECORD[] = {{"sku", J_STR, 1, NULL},      {"deltaType", J_STR, 1, NULL},
                                      {"id", J_STR, 1, NULL},       {"effectiveDate", J_DATE, 0, NULL},
                                      {"onHand", J_NUM, 1, NULL},   {"atf", J_NUM, 1, NULL},
                                      {"ato", J_NUM, 1, NULL},      {"reserved", J_NUM, 1, NULL},
                                      {"safetyStockCount", J_NUM, 1, NULL}, {"futures", J_ARR_OBJ, 1, FUTURE},
                                      JEND};
static const jfield DELTAS_200[] = {{"nextDeltaToken", J_STR, 1, NULL}, {"shouldQueryAgain", J_BOOL, 1, NULL},
                                    {"records", J_ARR_OBJ, 1, DELTA_RECORD}, JEND};
static const jfield IMPORT_INIT_200[] = {{"importId", J_STR, 1, NULL},   {"importStatusLink", J_STR, 1, NULL},
                                         {"uploadLink", J_STR, 1, NULL}, {"uploadMethod", J_STR, 1, NULL},
                                         {"uploadLinkExpirationUTC", J_DATE, 1, NULL}, JEND};
static const jfield IMPORT_UPLOAD_200[] = {{"status", J_STR, 1, NULL}, {"importId", J_STR, 1, NULL}, JEND};
static const jfield IMPORT_LIST_200[] = {{"imports", J_ARR_STR, 1, NULL}, JEND};
static const jfield IMPORT_VALIDATION[] = {{"status", J_STR, 1, NULL}, {"errors", J_ARR_STR, 1, NULL}, JEND};
static const jfield IMPORT_UPLOAD[] = {{"fileName", J_STR, 1, NULL}, JEND};
static const jfield FULL_RESULTS[] = {{"href", J_STR, 1, NULL}, {"exportResultExpirationUTC", J_DATE, 1, NULL}, JEND};
static const jfield IMPORT_STATS[] = {{"startTimeUTC", J_DATE, 0, NULL},
                                      {"endTimeUTC", J_DATE, 0, NULL},
                                      {"recordsProcessedCount", J_INT, 1, NULL},
                                      {"recordsReadCount", J_INT, 1, NULL},
                                      {"recordsSkippedCount", J_INT, 1, NULL},
                                      {"fullResults", J_OBJ, 1, FULL_RESULTS},
                                      JEND};
static const jfield IMPORT_STATUS_200[] = {{"importId", J_STR, 1, NULL},
                                           {"status", J_STR, 1, NULL},
                                           {"validation", J_OBJ, 1, IMPORT_VALIDATION},
                                           {"upload", J_OBJ, 1, IMPORT_UPLOAD},
                                           {"import", J_OBJ, 1, IMPORT_STATS},
                                           JEND};
static const jfield EXPORT_INIT_200[] = {{"exportId", J_STR, 1, NULL}, {"exportStatusLink", J_STR, 1, NULL}, JEND};
static const jfield EXPORT_STATS[] = {{"startTimeUTC", J_DATE, 0, NULL},         {"endTimeUTC", J_DATE, 0, NULL},
                                      {"recordsProcessedCount", J_NUM, 1, NULL}, {"recordsExportedCount", J_NUM, 1, NULL},
                                      {"groups", J_ARR_STR, 0, NULL},            {"locations", J_ARR_STR, 0, NULL},
                                      JEND};
static const jfield DOWNLOAD[] = {{"downloadLink", J_STR, 1, NULL}, {"downloadLinkExpirationUTC", J_DATE, 1, NULL}, JEND};
static const jfield EXPORT_VALIDATION[] = {{"fileHashType", J_STR, 1, NULL}, {"fileHash", J_STR, 1, NULL},
                                           {"fileSize", J_NUM, 1, NULL}, JEND};
static const jfield EXPORT_STATUS_200[] = {{"id", J_STR, 1, NULL},
                                           {"status", J_STR, 1, NULL},
                                           {"export", J_OBJ, 1, EXPORT_STATS},
                                           {"download", J_OBJ, 1, DOWNLOAD},
                                           {"validation", J_OBJ, 0, EXPORT_VALIDATION},
                                           JEND};
static const jfield GRAPH_STATS[] = {{"startTimeUTC", J_DATE, 1, NULL}, {"endTimeUTC", J_DATE, 0, NULL},
                                     {"recordsProcessedCount", J_INT, 1, NULL},
                                     {"recordsExportedCount", J_INT, 1, NULL}, JEND};
static const jfield GRAPH_VALIDATION[] = {{"fileHash", J_STR, 1, NULL}, {"fileHashType", J_STR, 1, NULL},
                                          {"fileSize", J_INT, 1, NULL}, JEND};
static const jfield GRAPH_STATUS_200[] = {{"id", J_STR, 1, NULL},
                                          {"status", J_STR, 1, NULL},
                                          {"export", J_OBJ, 1, GRAPH_STATS},
                                          {"download", J_OBJ, 0, DOWNLOAD},
                                          {"validation", J_OBJ, 0, GRAPH_VALIDATION},
                                          JEND};
static const jfield GRAPH_GROUP[] = {{"id", J_STR, 1, NULL}, {"locations", J_ARR_STR, 1, NULL}, JEND};
static const jfield GRAPH_FILE_200[] = {{"locations", J_ARR_STR, 1, NULL}, {"groups", J_ARR_OBJ, 1, GRAPH_GROUP}, JEND};
static const jfield EXPORT_SKU_LINE[] = {{"sku", J_STR, 1, NULL},      {"onHand", J_NUM, 1, NULL},
                                         {"reserved", J_NUM, 1, NULL}, {"atf", J_NUM, 1, NULL},
                                         {"ato", J_NUM, 1, NULL},      {"futures", J_ARR_OBJ, 0, FUTURE},
                                         JEND};
static const jfield OCI_ERROR[] = {{"type", J_STR, 1, NULL}, {"errorCode", J_STR, 1, NULL},
                                   {"message", J_STR, 1, NULL}, {"parameterName", J_STR, 0, NULL}, JEND};
static const jfield IMPEX_403[] = {{"timestamp", J_STR, 1, NULL}, {"status", J_INT, 1, NULL},
                                   {"error", J_STR, 1, NULL},     {"message", J_STR, 1, NULL},
                                   {"path", J_STR, 1, NULL},      {"type", J_STR, 1, NULL},
                                   JEND};
static const jfield TOO_MANY_429[] = {{"type", J_STR, 1, NULL}, {"title", J_STR, 1, NULL},
                                      {"detail", J_STR, 1, NULL}, JEND};

static int is_date(const char *text)
{
    /* RFC 3339: 2019-07-24T21:13:00Z (fraction and offset optional) */
    return strlen(text) >= 20 && text[4] == '-' && text[7] == '-' && text[10] == 'T' && text[13] == ':' &&
           text[16] == ':';
}

static void check_type(json_object *object, const jfield *fields, const char *where)
{
    if (!json_object_is_type(object, json_type_object))
        fail_msg("%s: not a JSON object: %s", where, json_object_to_json_string(object));
    for (const jfield *field = fields; field->name; field++) {
        json_object *value = NULL;
        if (!json_object_object_get_ex(object, field->name, &value)) {
            if (field->required)
                fail_msg("%s: required field '%s' is missing: %s", where, field->name, json_object_to_json_string(object));
            continue;
        }
        char inner[256];
        snprintf(inner, sizeof inner, "%.200s.%s", where, field->name);
        int ok = 0;
        switch (field->kind) {
        case J_STR: ok = json_object_is_type(value, json_type_string); break;
        case J_DATE: ok = json_object_is_type(value, json_type_string) && is_date(json_object_get_string(value)); break;
        case J_NUM: ok = json_object_is_type(value, json_type_int) || json_object_is_type(value, json_type_double); break;
        case J_INT: ok = json_object_is_type(value, json_type_int); break;
        case J_BOOL: ok = json_object_is_type(value, json_type_boolean); break;
        case J_OBJ:
            ok = json_object_is_type(value, json_type_object);
            if (ok)
                check_type(value, field->sub, inner);
            break;
        case J_ARR_STR:
        case J_ARR_OBJ:
            ok = json_object_is_type(value, json_type_array);
            for (size_t i = 0; ok && i < json_object_array_length(value); i++) {
                json_object *item = json_object_array_get_idx(value, i);
                if (field->kind == J_ARR_STR) {
                    ok = json_object_is_type(item, json_type_string);
                } else {
                    char item_where[300];
                    snprintf(item_where, sizeof item_where, "%.250s[%zu]", inner, i);
                    check_type(item, field->sub, item_where);
                }
            }
            break;
        }
        if (!ok)
            fail_msg("%s: wrong JSON type: %s", inner, json_object_to_json_string(value));
    }
}

/* ---- requests ---- */

static void send_as(fixture *f, const char *const *headers, const char *method, const char *path, const void *body,
                    size_t length, th_response *out)
{
    char url[1024];
    th_url(url, sizeof url, f->port, path);
    assert_int_equal(th_http(method, url, headers, body, length, out), 0);
}

/* Sends with the full token; returns the parsed body (NULL when empty) and the status. */
static json_object *call(fixture *f, const char *method, const char *path, const char *body, long *status)
{
    th_response response;
    send_as(f, HEADERS, method, path, body, body ? strlen(body) : 0, &response);
    *status = response.status;
    json_object *json = response.body_length ? th_json(&response) : NULL;
    th_response_free(&response);
    return json;
}

/* Expects 200 and a body of the given type; returns it (caller puts). */
static json_object *expect_ok(fixture *f, const char *method, const char *path, const char *body, const jfield *type)
{
    long status;
    json_object *json = call(f, method, path, body, &status);
    if (status != 200 || !json)
        fail_msg("%s %s: status %ld, wanted 200: %s", method, path, status, json ? json_object_to_json_string(json) : "");
    if (type)
        check_type(json, type, path);
    return json;
}

static void expect_204(fixture *f, const char *method, const char *path, const char *body)
{
    long status;
    json_object *json = call(f, method, path, body, &status);
    if (status != 204)
        fail_msg("%s %s: status %ld, wanted 204: %s", method, path, status, json ? json_object_to_json_string(json) : "");
    json_object_put(json);
}

/* Expects an OCI problem reply: status, errorCode, the RAML error shape and its content type. */
static json_object *expect_problem(fixture *f, const char *method, const char *path, const char *body, long want_status,
                                   const char *want_code)
{
    th_response response;
    send_as(f, HEADERS, method, path, body, body ? strlen(body) : 0, &response);
    json_object *json = response.body_length ? th_json(&response) : NULL;
    if (response.status != want_status || !json)
        fail_msg("%s %s %s: status %ld, wanted %ld: %s", method, path, body ? body : "", response.status, want_status,
                 response.body ? response.body : "");
    check_type(json, OCI_ERROR, path);
    const char *code = NULL, *type = NULL;
    assert_int_equal(cm_json_string(json, "errorCode", &code), CM_JSON_OK);
    if (strcmp(code, want_code) != 0)
        fail_msg("%s %s: errorCode %s, wanted %s", method, path, code, want_code);
    assert_int_equal(cm_json_string(json, "type", &type), CM_JSON_OK);
    assert_string_equal(type, "about:blank");
    char content_type[128];
    assert_int_equal(th_header(&response, "Content-Type", content_type, sizeof content_type), 0);
    assert_non_null(strstr(content_type, "application/problem+json"));
    th_response_free(&response);
    return json;
}

static void expect_error(fixture *f, const char *method, const char *path, const char *body, long want_status,
                         const char *want_code)
{
    json_object_put(expect_problem(f, method, path, body, want_status, want_code));
}

static const char *string(json_object *obj, const char *key)
{
    const char *text = NULL;
    assert_int_equal(cm_json_string(obj, key, &text), CM_JSON_OK);
    return text;
}

static double number(json_object *obj, const char *key)
{
    json_object *value;
    assert_true(json_object_object_get_ex(obj, key, &value));
    return json_object_get_double(value);
}

static json_object *wait_status(fixture *f, const char *path, const jfield *type)
{
    for (int i = 0; i < WAIT_POLLS; i++) {
        json_object *json = expect_ok(f, "GET", path, NULL, NULL);
        const char *state = string(json, "status");
        if (strcmp(state, "PENDING") && strcmp(state, "RUNNING") && strcmp(state, "WAITING")) {
            check_type(json, type, path);
            return json;
        }
        json_object_put(json);
        usleep(WAIT_POLL_US);
    }
    fail_msg("%s did not finish", path);
    return NULL;
}

static size_t gzip(const char *text, size_t length, char **out)
{
    uLongf capacity = compressBound((uLong)length) + 64;
    *out = malloc(capacity);
    z_stream stream = {0};
    assert_int_equal(deflateInit2(&stream, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    stream.next_in = (Bytef *)text;
    stream.avail_in = (uInt)length;
    stream.next_out = (Bytef *)*out;
    stream.avail_out = (uInt)capacity;
    assert_int_equal(deflate(&stream, Z_FINISH), Z_STREAM_END);
    size_t written = stream.total_out;
    deflateEnd(&stream);
    return written;
}

/* Loads the numbers of the RAML example GetAllLocationsResponse (in group Canada here). */
static void load_example(fixture *f)
{
    expect_204(f, "POST", AVAIL "/availability-records/actions/batch-update",
               "{\"records\":[{\"id\":\"e1\",\"externalRefId\":\"7282822-9823-aaa\","
               "\"location\":\"surprise\",\"sku\":\"sku123\",\"onHand\":27.0,\"safetyStockCount\":10.0,"
               "\"effectiveDate\":\"2020-04-08T14:05:22.790896-07:00\","
               "\"futureStock\":[{\"quantity\":10.25,\"expectedDate\":\"2019-08-24T21:13:00Z\"}]},"
               "{\"id\":\"e2\",\"location\":\"wickenburg\",\"sku\":\"sku123\",\"onHand\":50,\"safetyStockCount\":20,"
               "\"effectiveDate\":\"2020-04-08T14:05:22.790896-07:00\","
               "\"futureStock\":[{\"quantity\":10.25,\"expectedDate\":\"2019-08-24T21:13:00Z\"}]}]}");
}

/* ---- request examples and response types ---- */

static void test_availability_examples(void **state)
{
    fixture *f = *state;
    load_example(f);
    /* GetATSAllLocations, as written in the RAML. */
    json_object *json = expect_ok(f, "POST", AVAIL "/availability-records/actions/get-availability",
                                  "{\"sku\": \"sku123\", \"group\": \"Canada\"}", AVAILABILITY_200);
    json_object *locations, *groups, *records;
    assert_int_equal(cm_json_array(json, "locations", &locations), CM_JSON_OK);
    assert_int_equal(json_object_array_length(locations), 2);
    assert_int_equal(cm_json_array(json, "groups", &groups), CM_JSON_OK);
    json_object *canada = json_object_array_get_idx(groups, 0);
    assert_string_equal(string(canada, "id"), "Canada");
    assert_int_equal(cm_json_array(canada, "records", &records), CM_JSON_OK);
    json_object *record = json_object_array_get_idx(records, 0);
    assert_true(number(record, "atf") == 47.0);
    assert_true(number(record, "ato") == 67.5);
    json_object_put(json);
    /* GetATSAllUnassignedLocations: phoenix is the one location in no group. */
    json = expect_ok(f, "POST", AVAIL "/availability-records/actions/get-availability", "{\"sku\": \"sku123\"}",
                     AVAILABILITY_200);
    assert_int_equal(cm_json_array(json, "locations", &locations), CM_JSON_OK);
    assert_int_equal(json_object_array_length(locations), 1);
    assert_string_equal(string(json_object_array_get_idx(locations, 0), "id"), "phoenix");
    json_object_put(json);
    /* GetATSLocationsAndGroups */
    json = expect_ok(f, "POST", AVAIL "/availability-records/actions/get-availability",
                     "{\"skus\": [\"sku123\"], \"locations\": [\"warehouse5\"], \"groups\": [\"UnitedStates\"]}",
                     AVAILABILITY_200);
    assert_int_equal(cm_json_array(json, "groups", &groups), CM_JSON_OK);
    assert_string_equal(string(json_object_array_get_idx(groups, 0), "id"), "UnitedStates");
    json_object_put(json);

    /* The property examples of InventoryUpdateRequestBodyPut / Patch on warehouse5. */
    const char *example = "{\"externalRefId\":\"7282822-9823-aaa\",\"onHand\":25.000,\"safetyStockCount\":20.000,"
                          "\"effectiveDate\":\"2019-07-24T21:13:00Z\","
                          "\"futureStock\":[{\"expectedDate\":\"2019-08-24T21:13:00Z\",\"quantity\":10.25}]}";
    expect_204(f, "PUT", AVAIL "/locations/warehouse5/availability-records/skus/sku123/82251928-8863-488e-840b-2aebd10b57ba",
               example);
    expect_204(f, "PATCH", AVAIL "/locations/warehouse5/availability-records/skus/sku123/patch-1",
               "{\"onHand\":25.000,\"safetyStockCount\":20.000}");
    json = expect_ok(f, "POST", AVAIL "/availability-records/actions/get-availability",
                     "{\"skus\":[\"sku123\"],\"locations\":[\"warehouse5\"]}", AVAILABILITY_200);
    assert_int_equal(cm_json_array(json, "locations", &locations), CM_JSON_OK);
    assert_int_equal(cm_json_array(json_object_array_get_idx(locations, 0), "records", &records), CM_JSON_OK);
    record = json_object_array_get_idx(records, 0);
    assert_true(number(record, "onHand") == 25);
    assert_true(number(record, "atf") == 5);
    assert_true(number(record, "ato") == 15.25);
    assert_string_equal(string(record, "effectiveDate"), "2019-07-24T21:13:00.000Z");
    json_object_put(json);

    /* batch-update with a refused record: 200 BatchInventoryUpdateErrors. */
    json = expect_ok(f, "POST", AVAIL "/availability-records/actions/batch-update",
                     "{\"records\":[{\"id\":\"ok-1\",\"location\":\"phoenix\",\"sku\":\"sku123\",\"onHand\":1},"
                     "{\"id\":\"bad-1\",\"externalRefId\":\"7282822-9823-aaa\",\"location\":\"phoenix\",\"sku\":\"x\","
                     "\"onHand\":1}]}",
                     BATCH_200);
    json_object_put(json);

    /* get-deltas: the DeltaToken type example is not a token this service issued: 400. */
    expect_error(f, "POST", AVAIL "/availability-records/actions/get-deltas", "{\"deltaToken\":\"" DELTA_TOKEN_EXAMPLE "\"}",
                 400, "InvalidRequestParameter");
}

static char *export_file(fixture *f, const char *status_path, char token[256])
{
    json_object *json = wait_status(f, status_path, EXPORT_STATUS_200);
    assert_string_equal(string(json, "status"), "COMPLETED");
    json_object *download;
    assert_int_equal(cm_json_object(json, "download", &download), CM_JSON_OK);
    char path[512];
    snprintf(path, sizeof path, "%s", string(download, "downloadLink"));
    json_object_put(json);
    th_response response;
    send_as(f, HEADERS, "GET", path, NULL, 0, &response);
    assert_int_equal(response.status, 200);
    char *file = strdup(response.body);
    th_response_free(&response);
    /* Every line is a JSON object: a place line, a SKU line of the export type, or the last line's token. */
    char *copy = strdup(file), *save = NULL;
    int lines = 0;
    token[0] = '\0';
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save), lines++) {
        json_object *object = json_tokener_parse(line);
        assert_non_null(object);
        assert_int_equal(token[0], '\0'); /* the token is the last line */
        if (json_object_object_get_ex(object, "deltaToken", NULL))
            snprintf(token, 256, "%s", string(object, "deltaToken"));
        else if (!json_object_object_get_ex(object, "groupId", NULL) &&
                 !json_object_object_get_ex(object, "locationId", NULL))
            check_type(object, EXPORT_SKU_LINE, "export line");
        json_object_put(object);
    }
    assert_true(lines >= 3);
    assert_true(token[0] != '\0');
    free(copy);
    return file;
}

static void test_impex_examples(void **state)
{
    fixture *f = *state;
    load_example(f);
    /* InitiateInventoryExportByLocationOrGroup: the "locations" and the "groups" examples. */
    json_object *json = expect_ok(f, "POST", IMPEX "/availability-records/exports",
                                  "{\"objects\": {\"locations\": [\"warehouse5\", \"warehouse6\"]}}", EXPORT_INIT_200);
    char status_path[512], token[256];
    snprintf(status_path, sizeof status_path, "%s", string(json, "exportStatusLink"));
    json_object_put(json);
    char *file = export_file(f, status_path, token);
    assert_non_null(strstr(file, "{\"locationId\":\"warehouse5\"}"));
    assert_non_null(strstr(file, "{\"locationId\":\"warehouse6\"}"));
    free(file);
    json = expect_ok(f, "POST", IMPEX "/availability-records/exports",
                     "{\"objects\": {\"groups\": [\"UnitedStates\", \"Germany\"]}}", EXPORT_INIT_200);
    snprintf(status_path, sizeof status_path, "%s", string(json, "exportStatusLink"));
    json_object_put(json);
    file = export_file(f, status_path, token);
    assert_non_null(strstr(file, "{\"groupId\":\"UnitedStates\"}"));
    assert_non_null(strstr(file, "{\"groupId\":\"Germany\"}"));
    free(file);
    /* get-deltas with that token after a change: GetAvailabilityDeltasResponse200. */
    expect_204(f, "POST", AVAIL "/availability-records/actions/batch-update",
               "{\"records\":[{\"id\":\"d-1\",\"location\":\"warehouse6\",\"sku\":\"sku123\",\"onHand\":4}]}");
    char body[512];
    snprintf(body, sizeof body, "{\"deltaToken\":\"%s\"}", token);
    json = expect_ok(f, "POST", AVAIL "/availability-records/actions/get-deltas", body, DELTAS_200);
    json_object *records;
    assert_int_equal(cm_json_array(json, "records", &records), CM_JSON_OK);
    assert_int_equal(json_object_array_length(records), 1);
    assert_string_equal(string(json_object_array_get_idx(records, 0), "id"), "Germany");
    json_object_put(json);

    /* Location-graph export: status and file of their RAML types. */
    json = expect_ok(f, "POST", IMPEX "/location-graph/exports", NULL, EXPORT_INIT_200);
    snprintf(status_path, sizeof status_path, "%s", string(json, "exportStatusLink"));
    json_object_put(json);
    json = wait_status(f, status_path, GRAPH_STATUS_200);
    assert_string_equal(string(json, "status"), "COMPLETED");
    json_object *download;
    assert_int_equal(cm_json_object(json, "download", &download), CM_JSON_OK);
    char path[512];
    snprintf(path, sizeof path, "%s", string(download, "downloadLink"));
    json_object_put(json);
    json = expect_ok(f, "GET", path, NULL, GRAPH_FILE_200);
    json_object_put(json);

    /* ImportRequestObjects with every example value: the example fileHash does not match the
     * uploaded file, so validation fails (status FAILED, of the RAML status type). */
    const char *upload_example =
        "{\"locationId\":\"wickenburg\",\"mode\":\"UPDATE\"}\n {\"recordId\":\"0a87539d-f3dd-47bc-91c7-9c752e39dbe0\","
        "\"onHand\":10,\"sku\":\"1\",\"effectiveDate\":\"2020-04-08T14:05:22.790896-07:00\",\"futures\":[{\"quantity\":1,"
        "\"expectedDate\":\"2020-04-18T14:05:22.781-07:00\"}],\"safetyStockCount\":0}\n {\"recordId\":"
        "\"f4bf981e-321e-42bd-851f-3573a3263ab1\",\"onHand\":5,\"sku\":\"sku2\",\"effectiveDate\":"
        "\"2020-04-08T14:05:22.790896-07:00\",\"safetyStockCount\":1}";
    char *gz = NULL;
    size_t gz_length = gzip(upload_example, strlen(upload_example), &gz);
    const char *submits[] = {
        "{\"fileName\":\"inventory.json\",\"fileFormat\":\"JSON\",\"fileEncoding\":\"GZIP\","
        "\"fileHash\":\"79f6f0c85a15253c4a5bddaa3f74ee974f70163666aaa1dbcd1c7c7bb5acfee0\",\"fileHashType\":\"SHA-256\","
        "\"linkDuration\":60}",
        "{\"fileName\":\"inventory.json\",\"fileFormat\":\"JSON\",\"fileEncoding\":\"GZIP\",\"linkDuration\":60}",
    };
    const char *want[] = {"FAILED", "COMPLETED"};
    for (size_t i = 0; i < 2; i++) {
        json = expect_ok(f, "POST", IMPEX "/availability-records/imports", submits[i], IMPORT_INIT_200);
        char upload[512], id[128];
        snprintf(upload, sizeof upload, "%s", string(json, "uploadLink"));
        snprintf(id, sizeof id, "%s", string(json, "importId"));
        snprintf(status_path, sizeof status_path, "%s", string(json, "importStatusLink"));
        assert_string_equal(string(json, "uploadMethod"), "POST");
        json_object_put(json);
        /* listed while its link is valid */
        json = expect_ok(f, "GET", IMPEX "/availability-records/imports?available=true", NULL, IMPORT_LIST_200);
        assert_non_null(strstr(json_object_to_json_string(json), id));
        json_object_put(json);
        char *multipart = NULL;
        const char *head = "--rb\r\nContent-Disposition: form-data; name=\"fileUpload\"; filename=\"inventory.json\"\r\n"
                           "Content-Type: application/gzip\r\n\r\n";
        size_t length = strlen(head) + gz_length + 8;
        multipart = malloc(length);
        memcpy(multipart, head, strlen(head));
        memcpy(multipart + strlen(head), gz, gz_length);
        memcpy(multipart + strlen(head) + gz_length, "\r\n--rb--", 8);
        const char *headers[] = {TOKEN, "Content-Type: multipart/form-data; boundary=rb", NULL};
        th_response response;
        send_as(f, headers, "POST", upload, multipart, length, &response);
        assert_int_equal(response.status, 200);
        json = th_json(&response);
        check_type(json, IMPORT_UPLOAD_200, upload);
        assert_string_equal(string(json, "importId"), id);
        json_object_put(json);
        th_response_free(&response);
        free(multipart);
        json = wait_status(f, status_path, IMPORT_STATUS_200);
        assert_string_equal(string(json, "status"), want[i]);
        json_object_put(json);
        /* the result file: first line {"status":…}, then one line per failed record */
        char file_path[512];
        snprintf(file_path, sizeof file_path, IMPEX "/availability-records/imports/%s/file-content", id);
        send_as(f, HEADERS, "GET", file_path, NULL, 0, &response);
        assert_int_equal(response.status, 200);
        char *newline = strchr(response.body, '\n');
        assert_non_null(newline);
        *newline = '\0';
        json = json_tokener_parse(response.body);
        assert_non_null(json);
        assert_string_equal(string(json, "status"), i == 0 ? "FAILED" : "COMPLETED_WITH_PARTIAL_FAILURES");
        json_object_put(json);
        th_response_free(&response);
    }
    free(gz);
}

/* ---- every 4xx of the RAML ---- */

static void test_availability_4xx(void **state)
{
    fixture *f = *state;
    const char *get = AVAIL "/availability-records/actions/get-availability";
    expect_error(f, "POST", get, "{\"skus\":[\"sku123\"],\"locations\":[\"nowhere\"]}", 400, "LocationDoesNotExist");
    expect_error(f, "POST", get, "{\"skus\":[\"sku123\"],\"groups\":[\"nogroup\"]}", 400, "GroupDoesNotExist");
    expect_error(f, "POST", get, "{\"skus\":[\"s<x\"],\"locations\":[\"phoenix\"]}", 400, "InvalidRequestParameter");
    expect_error(f, "POST", get, "{\"skus\":\"sku123\"}", 400, "InvalidRequestParameter");
    char body[16384] = "{\"groups\":[\"Canada\"],\"locations\":[\"phoenix\"],\"skus\":[";
    for (int i = 0; i < 51; i++) /* 51 x (1 + 1) = 102 > 100 */
        snprintf(body + strlen(body), sizeof body - strlen(body), "%s\"sku%d\"", i ? "," : "", i);
    strcat(body, "]}");
    expect_error(f, "POST", get, body, 400, "InvalidRequestParameter");

    const char *batch = AVAIL "/availability-records/actions/batch-update";
    expect_error(f, "POST", batch, "{\"records\":[{\"id\":\"b\",\"location\":\"mars\",\"sku\":\"sku1\"}]}", 400,
                 "LocationDoesNotExist");
    expect_error(f, "POST", batch, "{\"records\":[]}", 400, "InvalidRequestParameter");
    expect_error(f, "POST", batch, "{}", 400, "InvalidRequestParameter");
    expect_error(f, "POST", batch, "{not json", 400, "InvalidRequestParameter");
    strcpy(body, "{\"records\":[");
    for (int i = 0; i < 101; i++)
        snprintf(body + strlen(body), sizeof body - strlen(body),
                 "%s{\"id\":\"m%d\",\"location\":\"phoenix\",\"sku\":\"sku1\",\"onHand\":1}", i ? "," : "", i);
    strcat(body, "]}");
    expect_error(f, "POST", batch, body, 400, "InvalidRequestParameter");

    const char *deltas = AVAIL "/availability-records/actions/get-deltas";
    expect_error(f, "POST", deltas, "{}", 400, "InvalidRequestParameter");
    expect_error(f, "POST", deltas, "{\"deltaToken\":\"nope\"}", 400, "InvalidRequestParameter");

    const char *record = AVAIL "/locations/phoenix/availability-records/skus/sku1/";
    char path[512];
    snprintf(path, sizeof path, "%sput-1", record);
    expect_204(f, "PUT", path, "{\"onHand\":3}");
    snprintf(path, sizeof path, "%sput-2", record);
    expect_error(f, "PUT", path, "{\"onHand\":-1}", 400, "InvalidRequestParameter");
    expect_error(f, "PUT", path, "{\"onHand\":0.0001}", 400, "InvalidRequestParameter");
    expect_error(f, "PUT", AVAIL "/locations/phoenix/availability-records/skus/a%3Bb/put-3", "{}", 400,
                 "InvalidRequestParameter");
    expect_error(f, "PUT", AVAIL "/locations/mars1/availability-records/skus/sku1/put-4", "{}", 400,
                 "LocationDoesNotExist");
    expect_error(f, "PUT", AVAIL "/locations/phoenix/availability-records/skus/sku2/put-1", "{}", 400,
                 "EntityAlreadyExists");
    snprintf(path, sizeof path, "%spatch-1", record);
    expect_error(f, "PATCH", path, "{\"safetyStockCount\":\"2\"}", 400, "InvalidRequestParameter");
    expect_error(f, "PATCH", AVAIL "/locations/mars1/availability-records/skus/sku1/patch-2", "{\"onHand\":1}", 400,
                 "LocationDoesNotExist");
    expect_error(f, "PATCH", AVAIL "/locations/phoenix/availability-records/skus/never/patch-3", "{\"onHand\":1}", 404,
                 "EntityNotFound");
    expect_error(f, "DELETE", AVAIL "/locations/phoenix/availability-records/skus/never/del-1", NULL, 404,
                 "EntityNotFound");

    /* 409 ExportInProcess on DELETE while an availability export runs; then the token's 410. */
    oci_core_testing_pause_worker(f->core, 1);
    long status;
    json_object *json = call(f, "POST", IMPEX "/availability-records/exports", "{\"objects\":{\"locations\":[\"phoenix\"]}}",
                             &status);
    assert_int_equal(status, 200);
    char status_path[512];
    snprintf(status_path, sizeof status_path, "%s", string(json, "exportStatusLink"));
    json_object_put(json);
    snprintf(path, sizeof path, "%sdel-2", record);
    expect_error(f, "DELETE", path, NULL, 409, "ExportInProcess");
    oci_core_testing_pause_worker(f->core, 0);
    char token[256];
    free(export_file(f, status_path, token));
    expect_204(f, "DELETE", path, NULL);
    oci_core_testing_set_clock_skew(f->core, 24LL * 3600 * 1000);
    char deltas_body[512];
    snprintf(deltas_body, sizeof deltas_body, "{\"deltaToken\":\"%s\"}", token);
    expect_error(f, "POST", deltas, deltas_body, 410, "ExpiredDeltaLink");
    oci_core_testing_set_clock_skew(f->core, 0);
}

static void test_imports_4xx(void **state)
{
    fixture *f = *state;
    const char *imports = IMPEX "/availability-records/imports";
    const char *bad_submits[] = {
        "{}",
        "{\"fileName\":\"\"}",
        "{\"fileName\":\"a.json\",\"linkDuration\":61}",
        "{\"fileName\":\"a.json\",\"linkDuration\":0}",
        "{\"fileName\":\"a.json\",\"linkDuration\":\"x\"}",
        "{\"fileName\":\"a.json\",\"fileFormat\":\"CSV\"}",
        "{\"fileName\":\"a.json\",\"fileEncoding\":\"ZIP\"}",
        "{\"fileName\":\"a.json\",\"fileHash\":\"abc\",\"fileHashType\":\"MD5\"}",
        "{\"fileName\":\"a.json\",\"fileHash\":\"not hex!\"}",
        "[]",
    };
    for (size_t i = 0; i < sizeof bad_submits / sizeof bad_submits[0]; i++)
        expect_error(f, "POST", imports, bad_submits[i], 400, "InvalidRequestParameter");
    expect_error(f, "GET", IMPEX "/availability-records/imports?available=maybe", NULL, 400, "InvalidRequestParameter");
    expect_error(f, "GET", IMPEX "/availability-records/imports/none/status", NULL, 404, "EntityNotFound");
    expect_error(f, "GET", IMPEX "/availability-records/imports/none/file-content", NULL, 404, "EntityNotFound");
    expect_error(f, "DELETE", IMPEX "/availability-records/imports/none", NULL, 404, "EntityNotFound");
    expect_error(f, "POST", IMPEX "/availability-records/imports/uploadlink/none", "x", 404, "EntityNotFound");

    /* WAITING: the result file is 409 ImportInProgress. */
    long status;
    json_object *json = call(f, "POST", imports, "{\"fileName\":\"w.json\"}", &status);
    assert_int_equal(status, 200);
    char upload[512], id[128], path[512];
    snprintf(upload, sizeof upload, "%s", string(json, "uploadLink"));
    snprintf(id, sizeof id, "%s", string(json, "importId"));
    json_object_put(json);
    char file_path[512], delete_path[512];
    snprintf(file_path, sizeof file_path, IMPEX "/availability-records/imports/%s/file-content", id);
    snprintf(delete_path, sizeof delete_path, IMPEX "/availability-records/imports/%s", id);
    expect_error(f, "GET", file_path, NULL, 409, "ImportInProgress");
    /* PENDING (uploaded, worker paused): file-content and DELETE are 409 ImportInProgress; a second
     * upload is 409 FileAlreadyReceived. */
    oci_core_testing_pause_worker(f->core, 1);
    const char *line = "{\"recordId\":\"p1\",\"sku\":\"sku1\",\"onHand\":1,\"locationId\":\"phoenix\"}\n";
    json = call(f, "POST", upload, line, &status);
    assert_int_equal(status, 200);
    check_type(json, IMPORT_UPLOAD_200, upload);
    json_object_put(json);
    expect_error(f, "GET", file_path, NULL, 409, "ImportInProgress");
    expect_error(f, "DELETE", delete_path, NULL, 409, "ImportInProgress");
    expect_error(f, "POST", upload, line, 409, "FileAlreadyReceived");
    oci_core_testing_pause_worker(f->core, 0);
    snprintf(path, sizeof path, IMPEX "/availability-records/imports/%s/status", id);
    json_object_put(wait_status(f, path, IMPORT_STATUS_200));
    expect_204(f, "DELETE", delete_path, NULL);
    expect_error(f, "DELETE", delete_path, NULL, 404, "EntityNotFound");

    /* 410 ExpiredUploadLink: a one-minute link, two minutes later. */
    json = call(f, "POST", imports, "{\"fileName\":\"late.json\",\"linkDuration\":1}", &status);
    assert_int_equal(status, 200);
    snprintf(upload, sizeof upload, "%s", string(json, "uploadLink"));
    json_object_put(json);
    oci_core_testing_set_clock_skew(f->core, 2 * 60 * 1000);
    expect_error(f, "POST", upload, line, 410, "ExpiredUploadLink");
    oci_core_testing_set_clock_skew(f->core, 0);
}

static void test_exports_4xx(void **state)
{
    fixture *f = *state;
    const char *exports = IMPEX "/availability-records/exports";
    expect_error(f, "POST", exports, "{\"objects\":{\"groups\":[\"Canada\"],\"locations\":[\"phoenix\"]}}", 400,
                 "InvalidRequestParameter");
    expect_error(f, "POST", exports, "{\"objects\":{}}", 400, "InvalidRequestParameter");
    expect_error(f, "POST", exports, "{\"objects\":{\"locations\":[]}}", 400, "InvalidRequestParameter");
    expect_error(f, "POST", exports, "{\"objects\":{\"locations\":[5]}}", 400, "InvalidRequestParameter");
    expect_error(f, "POST", exports, "{}", 400, "InvalidRequestParameter");
    json_object *json = expect_problem(f, "POST", exports, "{\"objects\":{\"locations\":[\"abc\"]}}", 400,
                                       "LocationDoesNotExist");
    assert_string_equal(string(json, "location"), "abc");
    json_object_put(json);
    json = expect_problem(f, "POST", exports, "{\"objects\":{\"groups\":[\"abc\"]}}", 400, "GroupDoesNotExist");
    assert_string_equal(string(json, "group"), "abc");
    json_object_put(json);
    const char *kinds[] = {IMPEX "/availability-records/exports", IMPEX "/location-graph/exports"};
    const char *bodies[] = {"{\"objects\":{\"groups\":[\"Canada\"]}}", NULL};
    for (size_t k = 0; k < 2; k++) {
        char path[512];
        snprintf(path, sizeof path, "%s/none/status", kinds[k]);
        expect_error(f, "GET", path, NULL, 404, "EntityNotFound");
        snprintf(path, sizeof path, "%s/none/file-content", kinds[k]);
        expect_error(f, "GET", path, NULL, 404, "EntityNotFound");
        snprintf(path, sizeof path, "%s/none", kinds[k]);
        expect_error(f, "DELETE", path, NULL, 404, "EntityNotFound");
        /* in process: 409 ExportInProcess on the file and on DELETE */
        oci_core_testing_pause_worker(f->core, 1);
        json = expect_ok(f, "POST", kinds[k], bodies[k], EXPORT_INIT_200);
        char id[128], status_path[512], file_path[512], delete_path[512];
        snprintf(id, sizeof id, "%s", string(json, "exportId"));
        snprintf(status_path, sizeof status_path, "%s", string(json, "exportStatusLink"));
        json_object_put(json);
        snprintf(file_path, sizeof file_path, "%s/%s/file-content", kinds[k], id);
        snprintf(delete_path, sizeof delete_path, "%s/%s", kinds[k], id);
        expect_error(f, "GET", file_path, NULL, 409, "ExportInProcess");
        expect_error(f, "DELETE", delete_path, NULL, 409, "ExportInProcess");
        oci_core_testing_pause_worker(f->core, 0);
        json_object_put(wait_status(f, status_path, k == 0 ? EXPORT_STATUS_200 : GRAPH_STATUS_200));
        long status;
        json = call(f, "GET", file_path, NULL, &status);
        assert_int_equal(status, 200);
        json_object_put(json);
        /* 25 hours later the result link has expired: 410 ExpiredResultLink */
        oci_core_testing_set_clock_skew(f->core, 25LL * 3600 * 1000);
        expect_error(f, "GET", file_path, NULL, 410, "ExpiredResultLink");
        oci_core_testing_set_clock_skew(f->core, 0);
        expect_204(f, "DELETE", delete_path, NULL);
        expect_error(f, "DELETE", delete_path, NULL, 404, "EntityNotFound");
    }
    /* The location-graph export takes no body; one that is not a JSON object is 400. */
    expect_error(f, "POST", IMPEX "/location-graph/exports", "[1]", 400, "InvalidRequestParameter");
    expect_error(f, "POST", IMPEX "/location-graph/exports", "{oops", 400, "InvalidRequestParameter");
    json_object_put(expect_ok(f, "POST", IMPEX "/location-graph/exports", "{}", EXPORT_INIT_200));
}

/* ---- 403 and 429 on every route in scope ---- */

typedef struct route_case {
    const char *method, *path_format, *body; /* path_format has one %s: the organization */
} route_case;

#define AV_FMT "/inventory/availability/v1/organizations/%s"
#define IX_FMT "/inventory/impex/v1/organizations/%s"

static const route_case ROUTES[] = {
    {"POST", AV_FMT "/availability-records/actions/get-availability", "{\"sku\":\"sku123\"}"},
    {"POST", AV_FMT "/availability-records/actions/batch-update",
     "{\"records\":[{\"id\":\"r1\",\"location\":\"phoenix\",\"sku\":\"sku123\",\"onHand\":1}]}"},
    {"POST", AV_FMT "/availability-records/actions/get-deltas", "{\"deltaToken\":\"x\"}"},
    {"PUT", AV_FMT "/locations/phoenix/availability-records/skus/sku123/rq1", "{\"onHand\":1}"},
    {"PATCH", AV_FMT "/locations/phoenix/availability-records/skus/sku123/rq2", "{\"onHand\":1}"},
    {"DELETE", AV_FMT "/locations/phoenix/availability-records/skus/sku123/rq3", NULL},
    {"POST", IX_FMT "/availability-records/imports", "{\"fileName\":\"a.json\"}"},
    {"GET", IX_FMT "/availability-records/imports", NULL},
    {"POST", IX_FMT "/availability-records/imports/uploadlink/none", "x"},
    {"GET", IX_FMT "/availability-records/imports/none/status", NULL},
    {"GET", IX_FMT "/availability-records/imports/none/file-content", NULL},
    {"DELETE", IX_FMT "/availability-records/imports/none", NULL},
    {"POST", IX_FMT "/availability-records/exports", "{\"objects\":{\"locations\":[\"phoenix\"]}}"},
    {"GET", IX_FMT "/availability-records/exports/none/status", NULL},
    {"GET", IX_FMT "/availability-records/exports/none/file-content", NULL},
    {"DELETE", IX_FMT "/availability-records/exports/none", NULL},
    {"POST", IX_FMT "/location-graph/exports", NULL},
    {"GET", IX_FMT "/location-graph/exports/none/status", NULL},
    {"GET", IX_FMT "/location-graph/exports/none/file-content", NULL},
    {"DELETE", IX_FMT "/location-graph/exports/none", NULL},
};
#define ROUTE_COUNT (sizeof ROUTES / sizeof ROUTES[0])

static void send_route(fixture *f, const char *token_header, const route_case *route, const char *org,
                       th_response *out, char path[512])
{
    const char *mark = strstr(route->path_format, "%s"); /* the organization goes there */
    assert_non_null(mark);
    snprintf(path, 512, "%.*s%s%s", (int)(mark - route->path_format), route->path_format, org, mark + 2);
    const char *headers[] = {token_header, "Content-Type: application/json", NULL};
    send_as(f, headers, route->method, path, route->body, route->body ? strlen(route->body) : 0, out);
}

static void test_403_every_route(void **state)
{
    fixture *f = *state;
    /* A valid token of another organization, and a valid token on an organization that is not configured. */
    const char *cases[][2] = {{"Authorization: Bearer other-token", ORG}, {TOKEN, "no_such_org"}};
    for (size_t c = 0; c < 2; c++) {
        for (size_t i = 0; i < ROUTE_COUNT; i++) {
            th_response response;
            char path[512];
            send_route(f, cases[c][0], &ROUTES[i], cases[c][1], &response, path);
            if (response.status != 403)
                fail_msg("%s %s: status %ld, wanted 403: %s", ROUTES[i].method, path, response.status, response.body);
            json_object *json = th_json(&response);
            assert_non_null(json);
            assert_string_equal(string(json, "errorCode"), "TenantNotProvisioned");
            char content_type[128];
            assert_int_equal(th_header(&response, "Content-Type", content_type, sizeof content_type), 0);
            if (strncmp(path, "/inventory/impex/", 17) == 0) {
                check_type(json, IMPEX_403, path); /* impex.raml 403Error */
                assert_int_equal(json_object_get_int(json_object_object_get(json, "status")), 403);
                assert_string_equal(string(json, "error"), "Forbidden");
                assert_string_equal(string(json, "path"), path);
                assert_string_equal(string(json, "type"), "about:blank");
                assert_non_null(strstr(content_type, "application/json"));
            } else {
                check_type(json, OCI_ERROR, path); /* inventory-availability 4xxError */
                assert_string_equal(string(json, "type"), "about:blank");
                assert_non_null(strstr(content_type, "application/problem+json"));
            }
            json_object_put(json);
            th_response_free(&response);
        }
    }
}

static void assert_too_many(th_response *response, const char *method, const char *path)
{
    if (response->status != 429)
        fail_msg("%s %s: status %ld, wanted 429: %s", method, path, response->status, response->body);
    char value[128];
    assert_int_equal(th_header(response, "Retry-After", value, sizeof value), 0);
    assert_true(atol(value) >= 1);
    assert_int_equal(th_header(response, "X-RateLimit-Remaining", value, sizeof value), 0);
    assert_string_equal(value, "0");
    assert_int_equal(th_header(response, "Content-Type", value, sizeof value), 0);
    assert_non_null(strstr(value, "application/problem+json"));
    json_object *json = th_json(response);
    check_type(json, TOO_MANY_429, path);
    assert_string_equal(string(json, "type"),
                        "https://api.commercecloud.salesforce.com/documentation/error/v1/errors/too-many-requests");
    assert_string_equal(string(json, "title"), "Too Many Requests");
    assert_string_equal(string(json, "detail"), "You have performed too many requests in a short period of time.");
    json_object_put(json);
}

static void test_429_every_route(void **state)
{
    fixture *f = *state;
    const char *limited = "Authorization: Bearer limited-token";
    th_response response;
    char path[512];
    /* The one token of the bucket (1 per 1000 s) goes to the first request. */
    send_route(f, limited, &ROUTES[0], LIMITED_ORG, &response, path);
    assert_int_equal(response.status, 200);
    th_response_free(&response);
    for (size_t i = 0; i < ROUTE_COUNT; i++) {
        send_route(f, limited, &ROUTES[i], LIMITED_ORG, &response, path);
        assert_too_many(&response, ROUTES[i].method, path);
        char value[64];
        assert_int_equal(th_header(&response, "Retry-After", value, sizeof value), 0);
        assert_true(atol(value) > 900 && atol(value) <= 1000);
        th_response_free(&response);
    }
    /* Other organizations have their own bucket; with no limit configured there are no headers. */
    for (size_t i = 0; i < ROUTE_COUNT; i++) {
        send_route(f, TOKEN, &ROUTES[i], ORG, &response, path);
        assert_int_not_equal(response.status, 429);
        char value[64];
        assert_int_equal(th_header(&response, "X-RateLimit-Limit", value, sizeof value), -1);
        th_response_free(&response);
    }
    /* Requests that fail authentication do not reach the bucket, and the token route is not limited. */
    const char *no_token[] = {"Content-Type: application/json", NULL};
    snprintf(path, sizeof path, "/inventory/availability/v1/organizations/" LIMITED_ORG
                                "/availability-records/actions/get-availability");
    send_as(f, no_token, "POST", path, "{\"sku\":\"sku123\"}", 16, &response);
    assert_int_equal(response.status, 401);
    th_response_free(&response);
}

static void test_rate_limit_headers_and_refill(void **state)
{
    fixture *f = *state;
    const char *paced = "Authorization: Bearer paced-token";
    th_response response;
    char path[512], value[64];
    int64_t now_s = (int64_t)time(NULL);
    /* burst 3: three requests pass (a 200, a 404 and a 400 all carry the headers and count) */
    const route_case *three[] = {&ROUTES[0], &ROUTES[9], &ROUTES[2]};
    const long want_status[] = {200, 404, 400};
    for (int i = 0; i < 3; i++) {
        send_route(f, paced, three[i], PACED_ORG, &response, path);
        assert_int_equal(response.status, want_status[i]);
        assert_int_equal(th_header(&response, "X-RateLimit-Limit", value, sizeof value), 0);
        assert_string_equal(value, "3");
        assert_int_equal(th_header(&response, "X-RateLimit-Remaining", value, sizeof value), 0);
        assert_int_equal(atol(value), 2 - i);
        assert_int_equal(th_header(&response, "X-RateLimit-Reset", value, sizeof value), 0);
        /* full again after (i + 1) tokens at 0.01/s: about 100 s per token */
        int64_t reset = atoll(value);
        assert_true(reset >= now_s + 100 * (i + 1) - 5 && reset <= now_s + 100 * (i + 1) + 5);
        th_response_free(&response);
    }
    send_route(f, paced, &ROUTES[0], PACED_ORG, &response, path);
    assert_too_many(&response, "POST", path);
    assert_int_equal(th_header(&response, "Retry-After", value, sizeof value), 0);
    assert_true(atol(value) >= 95 && atol(value) <= 100);
    th_response_free(&response);
    /* 100 seconds on, one token is back: one request passes, the next is 429 again. */
    oci_core_testing_set_clock_skew(f->core, 100LL * 1000);
    send_route(f, paced, &ROUTES[0], PACED_ORG, &response, path);
    assert_int_equal(response.status, 200);
    assert_int_equal(th_header(&response, "X-RateLimit-Remaining", value, sizeof value), 0);
    assert_string_equal(value, "0");
    th_response_free(&response);
    send_route(f, paced, &ROUTES[7], PACED_ORG, &response, path);
    assert_too_many(&response, "GET", path);
    th_response_free(&response);
    oci_core_testing_set_clock_skew(f->core, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_availability_examples, setup, teardown),
        cmocka_unit_test_setup_teardown(test_impex_examples, setup, teardown),
        cmocka_unit_test_setup_teardown(test_availability_4xx, setup, teardown),
        cmocka_unit_test_setup_teardown(test_imports_4xx, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exports_4xx, setup, teardown),
        cmocka_unit_test_setup_teardown(test_403_every_route, setup, teardown),
        cmocka_unit_test_setup_teardown(test_429_every_route, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rate_limit_headers_and_refill, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
