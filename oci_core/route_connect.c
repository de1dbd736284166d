/* route_connect.c - the Connect REST API's OCI availability resource (route_connect.h). */
#include "oci_core/route_connect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json_util.h"
#include "oci_core/auth.h"
#include "oci_core/core_internal.h"

/* Salesforce REST errors are an array of {"errorCode","message"}. */
static void connect_error(cm_http_request *request, int status, const char *code, const char *message)
{
    json_object *array = json_object_new_array(), *error = json_object_new_object();
    if (array && error) {
        json_object_object_add(error, "errorCode", json_object_new_string(code));
        json_object_object_add(error, "message", json_object_new_string(message));
        json_object_array_add(array, error);
        error = NULL;
    }
    json_object_put(error);
    if (!array || cm_http_reply_json(request, status, array) != 0)
        cm_http_reply_bytes(request, 503, "application/json", "[]", 2);
}

static void free_context(void *data)
{
    oci_connect_context *context = data;
    free(context->org);
    json_object_put(context->body);
    free(context->reservation_id);
    free(context);
}

/* "v51.0", "v58.0", "v62" ... from 51.0 up. */
static int version_ok(const char *version)
{
    if (!version || version[0] != 'v' || !version[1])
        return 0;
    char *end = NULL;
    double number = strtod(version + 1, &end);
    if (!end || *end || strspn(version + 1, "0123456789.") != strlen(version + 1))
        return 0;
    return number >= OCI_CONNECT_MIN_VERSION;
}

int oci_connect_before(void *data, cm_http_request *request, const char *version, unsigned scope)
{
    oci_core *core = data;
    if (!version_ok(version)) {
        connect_error(request, 404, "NOT_FOUND",
                      "The requested resource does not exist: the API version must be v51.0 or later.");
        return -1;
    }
    const char *org = NULL;
    switch (oci_auth_find_org(core->auth, cm_http_header(request, "Authorization"), scope, oci_core_now(core), &org)) {
    case OCI_AUTH_OK: break;
    case OCI_AUTH_NO_SCOPE:
    case OCI_AUTH_WRONG_ORG:
        connect_error(request, 403, "INSUFFICIENT_ACCESS", "The session's connected app lacks the OCI scope this resource needs.");
        return -1;
    default:
        connect_error(request, 401, "INVALID_SESSION_ID", "Session expired or invalid");
        return -1;
    }
    oci_connect_context *context = calloc(1, sizeof *context);
    if (!context || !(context->org = strdup(org))) {
        free(context);
        connect_error(request, 503, "SERVER_UNAVAILABLE", "The server is short of memory.");
        return -1;
    }
    oci_request_state *state = oci_request_state_get(request);
    if (!state) {
        free_context(context);
        connect_error(request, 503, "SERVER_UNAVAILABLE", "The server is short of memory.");
        return -1;
    }
    state->connect = context;
    state->connect_destroy = free_context;
    return 0;
}

const oci_connect_context *oci_connect_of(const cm_http_request *request)
{
    const oci_request_state *state = oci_request_state_peek(request);
    return state ? state->connect : NULL;
}

void oci_reply_action(cm_http_request *request, int status, json_object *reply)
{
    const oci_connect_context *context = oci_connect_of(request);
    if (context && context->convert) {
        reply = context->convert(reply);
        status = context->success_status ? context->success_status : 201;
        if (!reply) {
            connect_error(request, 503, "SERVER_UNAVAILABLE", "The server is short of memory.");
            return;
        }
    }
    cm_http_reply_json(request, status, reply);
}

/* Copies an optional string or string array member under another name; -1 on a wrong type. */
static int map_member(json_object *from, const char *from_key, int is_list, json_object *to, const char *to_key)
{
    json_object *value = NULL;
    if (!json_object_object_get_ex(from, from_key, &value))
        return 0;
    if (is_list) {
        if (!json_object_is_type(value, json_type_array))
            return -1;
        for (size_t i = 0; i < json_object_array_length(value); i++)
            if (!json_object_is_type(json_object_array_get_idx(value, i), json_type_string))
                return -1;
    } else if (!json_object_is_type(value, json_type_string)) {
        return -1;
    }
    json_object_object_add(to, to_key, json_object_get(value));
    return 0;
}

/* One headless record as an OCI Inventory Record Output. */
static json_object *connect_record(json_object *record)
{
    static const struct {
        const char *from, *to;
    } FIELDS[] = {
        {"atf", "availableToFulfill"}, {"ato", "availableToOrder"}, {"onHand", "onHand"},
        {"reserved", "reserved"},      {"safetyStockCount", "safetyStockCount"},
        {"sku", "stockKeepingUnit"},   {"effectiveDate", "effectiveDate"},
        {"futures", "futures"},
    };
    json_object *out = json_object_new_object();
    for (size_t i = 0; out && i < sizeof FIELDS / sizeof FIELDS[0]; i++) {
        json_object *value = NULL;
        if (json_object_object_get_ex(record, FIELDS[i].from, &value))
            json_object_object_add(out, FIELDS[i].to, json_object_get(value));
    }
    return out;
}

/* Headless {"id","records"} places as Connect {"<id_key>","inventoryRecords"}. */
static json_object *connect_places(json_object *places, const char *id_key)
{
    json_object *out = json_object_new_array();
    for (size_t p = 0; out && places && p < json_object_array_length(places); p++) {
        json_object *place = json_object_array_get_idx(places, p), *id = NULL, *records = NULL;
        json_object_object_get_ex(place, "id", &id);
        json_object_object_get_ex(place, "records", &records);
        json_object *entry = json_object_new_object(), *inventory = json_object_new_array();
        if (!entry || !inventory) {
            json_object_put(entry);
            json_object_put(inventory);
            json_object_put(out);
            return NULL;
        }
        json_object_object_add(entry, id_key, json_object_get(id));
        for (size_t r = 0; records && r < json_object_array_length(records); r++)
            json_object_array_add(inventory, connect_record(json_object_array_get_idx(records, r)));
        json_object_object_add(entry, "inventoryRecords", inventory);
        json_object_array_add(out, entry);
    }
    return out;
}

/* The Connect input as a headless get-availability body (caller puts), or NULL after replying. */
static json_object *headless_body(cm_http_request *request, json_object *input)
{
    static const char *const KNOWN[] = {"stockKeepingUnit", "stockKeepingUnits", "locationIdentifiers",
                                        "locationGroupIdentifier", "locationGroupIdentifiers", "useCache"};
    json_object_object_foreach(input, key, value) {
        (void)value;
        int known = 0;
        for (size_t i = 0; i < sizeof KNOWN / sizeof KNOWN[0]; i++)
            known |= strcmp(key, KNOWN[i]) == 0;
        if (!known) {
            char message[200];
            snprintf(message, sizeof message, "Unrecognized field \"%.64s\" in OCI Get Inventory Availability Input.", key);
            connect_error(request, 400, "JSON_PARSER_ERROR", message);
            return NULL;
        }
    }
    int single_sku = json_object_object_get_ex(input, "stockKeepingUnit", NULL);
    int sku_list = json_object_object_get_ex(input, "stockKeepingUnits", NULL);
    int group = json_object_object_get_ex(input, "locationGroupIdentifier", NULL);
    int groups = json_object_object_get_ex(input, "locationGroupIdentifiers", NULL);
    int locations = json_object_object_get_ex(input, "locationIdentifiers", NULL);
    json_object *use_cache = NULL;
    if (json_object_object_get_ex(input, "useCache", &use_cache) && !json_object_is_type(use_cache, json_type_boolean)) {
        connect_error(request, 400, "INVALID_API_INPUT", "useCache must be a Boolean.");
        return NULL;
    }
    if (single_sku && sku_list) {
        connect_error(request, 400, "INVALID_API_INPUT", "stockKeepingUnit can't be combined with stockKeepingUnits.");
        return NULL;
    }
    if (group + groups + locations > 1) {
        connect_error(request, 400, "INVALID_API_INPUT",
                      "Only one of locationGroupIdentifier, locationGroupIdentifiers and locationIdentifiers may be given.");
        return NULL;
    }
    if (!single_sku && !sku_list) {
        connect_error(request, 400, "INVALID_API_INPUT", "stockKeepingUnit or stockKeepingUnits is required.");
        return NULL;
    }
    json_object *body = json_object_new_object();
    if (!body) {
        connect_error(request, 503, "SERVER_UNAVAILABLE", "The server is short of memory.");
        return NULL;
    }
    /* A single group is asked for as the headless {sku, group}: its locations and the group. */
    if (map_member(input, "stockKeepingUnit", 0, body, group ? "sku" : "skus_single") ||
        map_member(input, "stockKeepingUnits", 1, body, "skus") ||
        map_member(input, "locationIdentifiers", 1, body, "locations") ||
        map_member(input, "locationGroupIdentifier", 0, body, "group") ||
        map_member(input, "locationGroupIdentifiers", 1, body, "groups")) {
        json_object_put(body);
        connect_error(request, 400, "INVALID_API_INPUT",
                      "stockKeepingUnit and locationGroupIdentifier must be strings; the other fields arrays of strings.");
        return NULL;
    }
    json_object *single = NULL;
    if (json_object_object_get_ex(body, "skus_single", &single)) {
        /* {sku} alone has the headless meaning "unassigned locations"; with lists it is one of skus. */
        if (!locations && !groups)
            json_object_object_add(body, "sku", json_object_get(single));
        else {
            json_object *list = json_object_new_array();
            json_object_array_add(list, json_object_get(single));
            json_object_object_add(body, "skus", list);
        }
        json_object_object_del(body, "skus_single");
    }
    if (group && !single_sku) {
        /* stockKeepingUnits with one group: the group's locations and the group itself. */
        json_object *group_id = NULL;
        json_object_object_get_ex(body, "group", &group_id);
        json_object *list = json_object_new_array();
        json_object_array_add(list, json_object_get(group_id));
        json_object_object_add(body, "groups", list);
        json_object_object_del(body, "group");
    }
    return body;
}

void oci_route_connect_get_availability(cm_http_request *request, void *data)
{
    oci_core *core = data;
    const char *org = oci_connect_of(request)->org;
    size_t length = 0;
    const char *text = cm_http_body(request, &length);
    json_object *input = NULL;
    char parse_error[CM_JSON_ERROR_MAX];
    if (!text || !length || cm_json_parse(text, length, CM_JSON_MAX_DEPTH, &input, parse_error) != CM_OK ||
        !json_object_is_type(input, json_type_object)) {
        json_object_put(input);
        connect_error(request, 400, "JSON_PARSER_ERROR", "The request body must be an OCI Get Inventory Availability Input object.");
        return;
    }
    json_object *body = headless_body(request, input);
    json_object_put(input);
    if (!body)
        return;
    oci_availability_error error;
    json_object *headless = oci_availability_compute(core, org, body, &error);
    json_object_put(body);
    if (!headless) {
        if (error.internal)
            connect_error(request, 503, "SERVER_UNAVAILABLE", "The availability could not be read.");
        else
            connect_error(request, error.status, "INVALID_INPUT", error.message);
        return;
    }
    json_object *locations = NULL, *groups = NULL;
    json_object_object_get_ex(headless, "locations", &locations);
    json_object_object_get_ex(headless, "groups", &groups);
    json_object *reply = json_object_new_object();
    json_object *connect_locations = connect_places(locations, "locationIdentifier");
    json_object *connect_groups = connect_places(groups, "locationGroupIdentifier");
    json_object_put(headless);
    if (!reply || !connect_locations || !connect_groups) {
        json_object_put(reply);
        json_object_put(connect_locations);
        json_object_put(connect_groups);
        connect_error(request, 503, "SERVER_UNAVAILABLE", "The server is short of memory.");
        return;
    }
    json_object_object_add(reply, "success", json_object_new_boolean(1));
    json_object_object_add(reply, "errors", json_object_new_array());
    json_object_object_add(reply, "locations", connect_locations);
    json_object_object_add(reply, "locationGroups", connect_groups);
    cm_http_reply_json(request, 200, reply);
}

/* ---- reservation actions: the Connect input translated to the headless body, served by the
 * headless handler (route_reservations.c, route_fulfillments.c, route_releases.c,
 * route_transfers.c), answered in Connect's shapes (oci_reply_action, oci_reply_problem) ---- */

/* Parses the body as a JSON object; NULL after replying. */
static json_object *connect_input(cm_http_request *request)
{
    size_t length = 0;
    const char *text = cm_http_body(request, &length);
    json_object *input = NULL;
    char parse_error[CM_JSON_ERROR_MAX];
    if (!text || !length || cm_json_parse(text, length, CM_JSON_MAX_DEPTH, &input, parse_error) != CM_OK ||
        !json_object_is_type(input, json_type_object)) {
        json_object_put(input);
        connect_error(request, 400, "JSON_PARSER_ERROR", "The request body must be a JSON object.");
        return NULL;
    }
    return input;
}

/* The records array `key` (1..100 objects); NULL after replying. */
static json_object *connect_records(cm_http_request *request, json_object *input, const char *key)
{
    json_object *records = NULL;
    char message[160];
    if (cm_json_array(input, key, &records) != CM_JSON_OK || json_object_array_length(records) == 0 ||
        json_object_array_length(records) > 100) {
        snprintf(message, sizeof message, "%s must be an array of 1 to 100 records.", key);
        connect_error(request, 400, "INVALID_API_INPUT", message);
        return NULL;
    }
    for (size_t i = 0; i < json_object_array_length(records); i++)
        if (!json_object_is_type(json_object_array_get_idx(records, i), json_type_object)) {
            snprintf(message, sizeof message, "%s[%zu] must be an object.", key, i);
            connect_error(request, 400, "INVALID_API_INPUT", message);
            return NULL;
        }
    return records;
}

/* Copies `from_key` of `from` (any JSON type: the headless handler checks it) as `to_key`. */
static void copy_member(json_object *from, const char *from_key, json_object *to, const char *to_key)
{
    json_object *value = NULL;
    if (json_object_object_get_ex(from, from_key, &value))
        json_object_object_add(to, to_key, json_object_get(value));
}

/* A Connect place (prefix "" / "from" / "to" + locationIdentifier | locationGroupIdentifier) as a
 * headless {"location": id} / {"group": id} added to `to` (under `key`, or flat when NULL). */
static void copy_place(json_object *record, const char *prefix, json_object *to, const char *key)
{
    char location_key[64], group_key[64];
    snprintf(location_key, sizeof location_key, "%s%socationIdentifier", prefix, *prefix ? "L" : "l");
    snprintf(group_key, sizeof group_key, "%s%socationGroupIdentifier", prefix, *prefix ? "L" : "l");
    json_object *target = key ? json_object_new_object() : to;
    if (!target)
        return;
    copy_member(record, location_key, target, "location");
    copy_member(record, group_key, target, "group");
    if (key)
        json_object_object_add(to, key, target);
}

/* One Connect action record as a headless record: id, externalRefId, sku, quantity. */
static json_object *headless_record(json_object *record)
{
    json_object *out = json_object_new_object();
    if (!out)
        return NULL;
    copy_member(record, "actionRequestId", out, "id");
    copy_member(record, "externalRefId", out, "externalRefId");
    copy_member(record, "stockKeepingUnit", out, "sku");
    copy_member(record, "quantity", out, "quantity");
    return out;
}

/* Headless per-record errors [{details:{id,sku,quantity,location|group,from,to}, errorCode, message}]
 * as Connect error outputs [{details:{actionRequestId, stockKeepingUnit, quantity, ...}, errorCode, message}]. */
static json_object *convert_moves(json_object *headless)
{
    json_object *errors = NULL;
    json_object_object_get_ex(headless, "errors", &errors);
    size_t count = errors ? json_object_array_length(errors) : 0;
    json_object *reply = json_object_new_object(), *out = json_object_new_array();
    if (!reply || !out) {
        json_object_put(reply);
        json_object_put(out);
        json_object_put(headless);
        return NULL;
    }
    for (size_t i = 0; i < count; i++) {
        json_object *error = json_object_array_get_idx(errors, i), *details = NULL;
        json_object_object_get_ex(error, "details", &details);
        json_object *entry = json_object_new_object(), *single = json_object_new_object();
        if (!entry || !single) {
            json_object_put(entry);
            json_object_put(single);
            continue;
        }
        copy_member(details, "id", single, "actionRequestId");
        copy_member(details, "externalRefId", single, "externalRefId");
        copy_member(details, "sku", single, "stockKeepingUnit");
        copy_member(details, "quantity", single, "quantity");
        copy_member(details, "location", single, "locationIdentifier");
        copy_member(details, "group", single, "locationGroupIdentifier");
        json_object_object_add(entry, "details", single);
        copy_member(error, "errorCode", entry, "errorCode");
        copy_member(error, "message", entry, "message");
        json_object_array_add(out, entry);
    }
    json_object_object_add(reply, "success", json_object_new_boolean(count == 0));
    json_object_object_add(reply, "errors", out);
    json_object_put(headless);
    return reply;
}

/* Headless create reply {reservationTime, expirationTime, success, locations|groups:[{id, details, errors}]}
 * as OCI Create Reservation Output {details, errors, expirationTime, reservationTime, success}. */
static json_object *convert_create(json_object *headless)
{
    json_object *reply = json_object_new_object(), *details = json_object_new_array(), *errors = json_object_new_array();
    if (!reply || !details || !errors) {
        json_object_put(reply);
        json_object_put(details);
        json_object_put(errors);
        json_object_put(headless);
        return NULL;
    }
    static const struct {
        const char *key, *id_key;
    } PLACES[] = {{"locations", "locationIdentifier"}, {"groups", "locationGroupIdentifier"}};
    for (size_t k = 0; k < 2; k++) {
        json_object *places = NULL;
        json_object_object_get_ex(headless, PLACES[k].key, &places);
        for (size_t p = 0; places && p < json_object_array_length(places); p++) {
            json_object *place = json_object_array_get_idx(places, p), *id = NULL, *lines = NULL, *refused = NULL;
            json_object_object_get_ex(place, "id", &id);
            json_object_object_get_ex(place, "details", &lines);
            json_object_object_get_ex(place, "errors", &refused);
            for (size_t l = 0; lines && l < json_object_array_length(lines); l++) {
                json_object *line = json_object_array_get_idx(lines, l), *entry = json_object_new_object();
                if (!entry)
                    continue;
                json_object_object_add(entry, PLACES[k].id_key, json_object_get(id));
                copy_member(line, "sku", entry, "stockKeepingUnit");
                copy_member(line, "quantity", entry, "quantity");
                json_object_array_add(details, entry);
            }
            for (size_t l = 0; refused && l < json_object_array_length(refused); l++) {
                json_object *line = json_object_array_get_idx(refused, l), *entry = json_object_new_object();
                if (!entry)
                    continue;
                json_object_object_add(entry, PLACES[k].id_key, json_object_get(id));
                copy_member(line, "sku", entry, "stockKeepingUnit");
                copy_member(line, "errorCode", entry, "errorCode");
                json_object_array_add(errors, entry);
            }
        }
    }
    json_object_object_add(reply, "details", details);
    json_object_object_add(reply, "errors", errors);
    copy_member(headless, "expirationTime", reply, "expirationTime");
    copy_member(headless, "reservationTime", reply, "reservationTime");
    copy_member(headless, "success", reply, "success");
    json_object_put(headless);
    return reply;
}

/* Hands the translated request to a headless handler. Takes `body`. */
static void serve_translated(cm_http_request *request, oci_core *core, json_object *body,
                             json_object *(*convert)(json_object *), const char *reservation_id,
                             cm_http_handler handler)
{
    oci_connect_context *context = (oci_connect_context *)oci_connect_of(request);
    context->body = body;
    context->convert = convert;
    context->success_status = 201;
    if (reservation_id && !(context->reservation_id = strdup(reservation_id))) {
        connect_error(request, 503, "SERVER_UNAVAILABLE", "The server is short of memory.");
        return;
    }
    handler(request, core);
}

/* Adds one create record to the headless locations/groups list of its place. */
static int add_create_line(json_object *places, const char *place_id, json_object *record)
{
    json_object *place = NULL;
    for (size_t p = 0; p < json_object_array_length(places); p++) {
        json_object *candidate = json_object_array_get_idx(places, p), *id = NULL;
        if (json_object_object_get_ex(candidate, "id", &id) && strcmp(json_object_get_string(id), place_id) == 0)
            place = candidate;
    }
    if (!place) {
        place = json_object_new_object();
        if (!place)
            return -1;
        json_object_object_add(place, "id", json_object_new_string(place_id));
        json_object_object_add(place, "reservations", json_object_new_array());
        json_object_array_add(places, place);
    }
    json_object *line = json_object_new_object(), *reservations = NULL;
    if (!line)
        return -1;
    copy_member(record, "stockKeepingUnit", line, "sku");
    copy_member(record, "quantity", line, "quantity");
    json_object_object_get_ex(place, "reservations", &reservations);
    json_object_array_add(reservations, line);
    return 0;
}

void oci_route_connect_reservations(cm_http_request *request, void *data)
{
    json_object *input = connect_input(request);
    if (!input)
        return;
    const char *action_request_id = NULL;
    json_object *records = NULL, *body = NULL;
    if (cm_json_string(input, "actionRequestId", &action_request_id) != CM_JSON_OK || !*action_request_id) {
        connect_error(request, 400, "INVALID_API_INPUT", "actionRequestId is required.");
        goto out;
    }
    if (!(records = connect_records(request, input, "createRecords")))
        goto out;
    body = json_object_new_object();
    json_object *locations = json_object_new_array(), *groups = json_object_new_array();
    if (!body || !locations || !groups) {
        json_object_put(locations);
        json_object_put(groups);
        connect_error(request, 503, "SERVER_UNAVAILABLE", "The server is short of memory.");
        goto out;
    }
    json_object_object_add(body, "locations", locations);
    json_object_object_add(body, "groups", groups);
    for (size_t i = 0; i < json_object_array_length(records); i++) {
        json_object *record = json_object_array_get_idx(records, i);
        const char *location = NULL, *group = NULL;
        int has_location = cm_json_string(record, "locationIdentifier", &location) == CM_JSON_OK;
        int has_group = cm_json_string(record, "locationGroupIdentifier", &group) == CM_JSON_OK;
        if (has_location == has_group) {
            char message[160];
            snprintf(message, sizeof message, "createRecords[%zu] needs locationIdentifier or locationGroupIdentifier, not both.", i);
            connect_error(request, 400, "INVALID_API_INPUT", message);
            goto out;
        }
        if (add_create_line(has_location ? locations : groups, has_location ? location : group, record) != 0) {
            connect_error(request, 503, "SERVER_UNAVAILABLE", "The server is short of memory.");
            goto out;
        }
    }
    if (json_object_array_length(locations) == 0)
        json_object_object_del(body, "locations");
    if (json_object_array_length(groups) == 0)
        json_object_object_del(body, "groups");
    copy_member(input, "allowPartialReservations", body, "allowPartialReservations");
    copy_member(input, "expirationSeconds", body, "expirationSeconds");
    copy_member(input, "externalRefId", body, "externalRefId");
    copy_member(input, "reservationTime", body, "reservationTime");
    serve_translated(request, data, body, convert_create, action_request_id, oci_route_reservation_put);
    body = NULL;
out:
    json_object_put(body);
    json_object_put(input);
}

/* Fulfillments, releases, transfers: one headless record per Connect record. */
typedef enum move_kind { MOVE_FULFILL, MOVE_RELEASE, MOVE_TRANSFER } move_kind;

static void connect_moves(cm_http_request *request, oci_core *core, const char *records_key, move_kind kind,
                          cm_http_handler handler)
{
    json_object *input = connect_input(request);
    if (!input)
        return;
    json_object *records = connect_records(request, input, records_key);
    json_object *body = records ? json_object_new_object() : NULL;
    json_object *out = body ? json_object_new_array() : NULL;
    if (records && !out) {
        json_object_put(body);
        body = NULL;
        connect_error(request, 503, "SERVER_UNAVAILABLE", "The server is short of memory.");
    }
    for (size_t i = 0; out && i < json_object_array_length(records); i++) {
        json_object *record = json_object_array_get_idx(records, i);
        json_object *line = headless_record(record);
        if (!line)
            continue;
        if (kind == MOVE_TRANSFER) {
            copy_place(record, "from", line, "from");
            copy_place(record, "to", line, "to");
            copy_member(record, "ignoreAvailabilityCheck", line, "ignoreAvailabilityCheck");
        } else {
            copy_place(record, "", line, NULL);
        }
        if (kind == MOVE_FULFILL)
            copy_member(record, "fulfillmentTime", line, "fulfillmentTime");
        json_object_array_add(out, line);
    }
    if (out) {
        json_object_object_add(body, "records", out);
        if (kind == MOVE_TRANSFER)
            copy_member(input, "allOrNothingTransferId", body, "allOrNothingTransferId");
        serve_translated(request, core, body, convert_moves, NULL, handler);
    }
    json_object_put(input);
}

void oci_route_connect_fulfillments(cm_http_request *request, void *data)
{
    connect_moves(request, data, "fulfillmentRecords", MOVE_FULFILL, oci_route_fulfillments);
}

void oci_route_connect_releases(cm_http_request *request, void *data)
{
    connect_moves(request, data, "releaseRecords", MOVE_RELEASE, oci_route_releases);
}

void oci_route_connect_transfers(cm_http_request *request, void *data)
{
    connect_moves(request, data, "transferRecords", MOVE_TRANSFER, oci_route_transfers);
}

/* ---- availability uploads and location-graph publishing: the impex import and graph export
 * machinery, read back in Connect's status shapes ---- */

/* Copies `from_key` of `from` (a JSON object, may be NULL) as `to_key`. */
static void copy_from(json_object *from, const char *from_key, json_object *to, const char *to_key)
{
    if (from)
        copy_member(from, from_key, to, to_key);
}

static json_object *connect_status_base(json_object *headless, const char *id_key)
{
    json_object *reply = json_object_new_object();
    if (!reply)
        return NULL;
    json_object_object_add(reply, "success", json_object_new_boolean(1));
    json_object_object_add(reply, "errors", json_object_new_array());
    copy_member(headless, id_key, reply, "uploadId");
    copy_member(headless, "status", reply, "status");
    return reply;
}

/* Headless import status as OCI Upload Inventory Availability Status Output. */
static json_object *convert_upload_status(json_object *headless)
{
    json_object *reply = connect_status_base(headless, "importId");
    json_object *import = NULL, *validation = NULL;
    json_object_object_get_ex(headless, "import", &import);
    json_object_object_get_ex(headless, "validation", &validation);
    if (reply) {
        copy_from(import, "startTimeUTC", reply, "startTimeUTC");
        copy_from(import, "endTimeUTC", reply, "endTimeUTC");
        copy_from(import, "recordsProcessedCount", reply, "recordsProcessedCount");
        copy_from(import, "recordsReadCount", reply, "recordsReadCount");
        copy_from(import, "recordsSkippedCount", reply, "recordsSkippedCount");
        copy_from(validation, "status", reply, "validationStatus");
        copy_from(validation, "errors", reply, "validationErrors");
    }
    json_object_put(headless);
    return reply;
}

/* Headless graph export status as OCI Publish Location Structure Status Output. */
static json_object *convert_publish_status(json_object *headless)
{
    json_object *reply = connect_status_base(headless, "id");
    json_object *export = NULL, *status = NULL;
    json_object_object_get_ex(headless, "export", &export);
    json_object_object_get_ex(headless, "status", &status);
    if (reply) {
        copy_from(export, "startTimeUTC", reply, "startTimeUTC");
        copy_from(export, "endTimeUTC", reply, "endTimeUTC");
        copy_from(export, "recordsProcessedCount", reply, "recordsProcessedCount");
        copy_from(export, "recordsProcessedCount", reply, "recordsReadCount");
        json_object_object_add(reply, "recordsSkippedCount", json_object_new_int(0));
        const char *state = status ? json_object_get_string(status) : "";
        json_object_object_add(reply, "validationStatus",
                               json_object_new_string(strcmp(state, "FAILED") == 0 ? "Failed"
                                                      : strcmp(state, "COMPLETED") == 0 ? "Success"
                                                                                          : "Pending"));
        json_object_object_add(reply, "validationErrors", json_object_new_array());
    }
    json_object_put(headless);
    return reply;
}

/* Headless graph export submit {exportId, exportStatusLink} as OCI Publish Location Structure Output. */
static json_object *convert_publish(json_object *headless)
{
    json_object *reply = connect_status_base(headless, "exportId");
    json_object_put(headless);
    return reply;
}

void oci_route_connect_upload(cm_http_request *request, void *data)
{
    oci_core *core = data;
    oci_import_row row;
    cm_err rc = oci_import_create(core, oci_connect_of(request)->org, "connect-upload.json", &row);
    if (rc != CM_OK) {
        connect_error(request, 503, "SERVER_UNAVAILABLE", "The upload could not be recorded.");
        return;
    }
    if (oci_import_accept_upload(request, core, &row) != 0)
        return;
    json_object *reply = json_object_new_object();
    if (!reply) {
        connect_error(request, 503, "SERVER_UNAVAILABLE", "The server is short of memory.");
        return;
    }
    json_object_object_add(reply, "success", json_object_new_boolean(1));
    json_object_object_add(reply, "errors", json_object_new_array());
    json_object_object_add(reply, "uploadId", json_object_new_string(row.id));
    cm_http_reply_json(request, 201, reply);
}

static void serve_read(cm_http_request *request, oci_core *core, json_object *(*convert)(json_object *), int status,
                       cm_http_handler handler)
{
    oci_connect_context *context = (oci_connect_context *)oci_connect_of(request);
    context->convert = convert;
    context->success_status = status;
    handler(request, core);
}

void oci_route_connect_upload_status(cm_http_request *request, void *data)
{
    serve_read(request, data, convert_upload_status, 200, oci_route_import_status);
}

void oci_route_connect_publish(cm_http_request *request, void *data)
{
    serve_read(request, data, convert_publish, 201, oci_route_graph_export_submit);
}

void oci_route_connect_publish_status(cm_http_request *request, void *data)
{
    serve_read(request, data, convert_publish_status, 200, oci_route_export_status);
}
