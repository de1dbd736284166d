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
    char *copy = strdup(org);
    if (!copy) {
        connect_error(request, 503, "SERVER_UNAVAILABLE", "The server is short of memory.");
        return -1;
    }
    cm_http_set_user_data(request, copy, free);
    return 0;
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
    const char *org = cm_http_user_data(request);
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
