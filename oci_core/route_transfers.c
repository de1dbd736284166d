/* route_transfers.c - POST …/transfers: moving reserved quantity group -> location,
 * location -> group and location -> location (1..100 records). Refused with 400 before anything
 * changes: group -> group, the same location on both sides, ignoreAvailabilityCheck from a location
 * to a group, an all-or-nothing set with anything but group -> location, unknown places, and a
 * location that is not in the group it moves to or from. With allOrNothingTransferId every record
 * moves or none does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json_util.h"
#include "oci_core/core_internal.h"
#include "oci_core/errors.h"
#include "oci_core/ids.h"
#include "oci_core/limits.h"
#include "oci_core/moves.h"
#include "oci_core/reserve.h"
#include "oci_core/route_util.h"

typedef struct transfer {
    const char *id, *external_ref_id, *sku;
    oci_place from, to;
    int64_t quantity;
    int force;
    char fingerprint[OCI_FINGERPRINT_MAX + 1];
} transfer;

/* Reads {location} or {group}; replies 400 and returns -1 when it is neither or both. */
static int read_place(cm_http_request *request, json_object *record, const char *key, oci_place *place)
{
    json_object *object = NULL;
    const char *location = NULL, *group = NULL;
    char message[120];
    if (cm_json_object(record, key, &object) == CM_JSON_OK) {
        cm_json_string(object, "location", &location);
        cm_json_string(object, "group", &group);
    }
    if ((location == NULL) == (group == NULL)) {
        snprintf(message, sizeof message, "'%s' must hold either a 'location' or a 'group'.", key);
        oci_reply_invalid(request, key, message);
        return -1;
    }
    place->type = location ? "location" : "group";
    place->id = location ? location : group;
    return 0;
}

static int group_has(const oci_graph_group *group, const char *location)
{
    for (size_t i = 0; group && i < group->location_count; i++)
        if (strcmp(group->locations[i], location) == 0)
            return 1;
    return 0;
}

/* Checks a place exists; replies 400 LocationDoesNotExist / GroupDoesNotExist. */
static int check_place(cm_http_request *request, const oci_graph *graph, oci_place place)
{
    char message[200];
    int group = strcmp(place.type, "group") == 0;
    if (group ? (oci_valid_group_id(place.id) && oci_graph_group_find(graph, place.id))
              : (oci_valid_location_id(place.id) && oci_graph_has_location(graph, place.id)))
        return 0;
    snprintf(message, sizeof message, "No %s exists with ID '%.128s'", place.type, place.id);
    oci_reply_problem(request, 400, group ? "GroupDoesNotExist" : "LocationDoesNotExist", message, NULL, place.type,
                      place.id);
    return -1;
}

static int read_transfer(cm_http_request *request, const oci_graph *graph, json_object *record, size_t index,
                         int all_or_nothing, transfer *out)
{
    if (oci_moves_string(request, record, index, "id", &out->id) || oci_moves_string(request, record, index, "sku", &out->sku) ||
        oci_moves_quantity(request, record, index, &out->quantity) || read_place(request, record, "from", &out->from) ||
        read_place(request, record, "to", &out->to))
        return -1;
    if (!oci_valid_reservation_sku(out->sku)) {
        oci_reply_invalid(request, "sku", "'sku' must be 1..250 characters without \\ < > ; % / or spaces.");
        return -1;
    }
    cm_json_string(record, "externalRefId", &out->external_ref_id);
    out->force = 0;
    if (cm_json_bool(record, "ignoreAvailabilityCheck", &out->force) == CM_JSON_WRONG_TYPE) {
        oci_reply_invalid(request, "ignoreAvailabilityCheck", "'ignoreAvailabilityCheck' must be a boolean.");
        return -1;
    }
    int from_group = strcmp(out->from.type, "group") == 0, to_group = strcmp(out->to.type, "group") == 0;
    if (from_group && to_group) {
        oci_reply_invalid(request, NULL, "Group to Group Transfers are not permitted.");
        return -1;
    }
    if (!from_group && !to_group && strcmp(out->from.id, out->to.id) == 0) {
        oci_reply_invalid(request, NULL, "'from and to' Transfers between locations is not allowed");
        return -1;
    }
    if (out->force && to_group) {
        oci_reply_invalid(request, NULL, "Forcing a reservation cannot be done from a location to a group");
        return -1;
    }
    if (all_or_nothing && !(from_group && !to_group)) {
        oci_reply_invalid(request, NULL,
                          "All or nothing transfers are only allowed from Group to Location transfer types. "
                          "Invalid transfer type for request");
        return -1;
    }
    if (check_place(request, graph, out->from) || check_place(request, graph, out->to))
        return -1;
    if (from_group || to_group) {
        oci_place group = from_group ? out->from : out->to, location = from_group ? out->to : out->from;
        if (!group_has(oci_graph_group_find(graph, group.id), location.id)) {
            char message[320];
            snprintf(message, sizeof message, "Location '%.128s' is not in group '%.128s'.", location.id, group.id);
            oci_reply_problem(request, 400, "LocationNotInGroup", message, NULL, "location", location.id);
            return -1;
        }
    }
    snprintf(out->fingerprint, sizeof out->fingerprint, "%s:%.128s>%s:%.128s=%lld%s", out->from.type, out->from.id,
             out->to.type, out->to.id, (long long)out->quantity, out->force ? "!" : "");
    return 0;
}

static json_object *place_json(oci_place place)
{
    json_object *object = json_object_new_object();
    if (object)
        json_object_object_add(object, place.type, json_object_new_string(place.id));
    return object;
}

static json_object *details_of(const transfer *t)
{
    json_object *details = json_object_new_object();
    if (!details)
        return NULL;
    json_object_object_add(details, "id", json_object_new_string(t->id));
    if (t->external_ref_id)
        json_object_object_add(details, "externalRefId", json_object_new_string(t->external_ref_id));
    json_object_object_add(details, "from", place_json(t->from));
    json_object_object_add(details, "to", place_json(t->to));
    json_object_object_add(details, "sku", json_object_new_string(t->sku));
    json_object_object_add(details, "quantity", cm_json_new_milli(t->quantity));
    return details;
}

void oci_route_transfers(cm_http_request *request, void *data)
{
    oci_core *core = data;
    const char *org = oci_request_org(request);
    json_object *body = oci_request_object(request);
    if (!body)
        return;
    oci_graph *graph = oci_core_graph_acquire(core, org);
    transfer *transfers = NULL;
    json_object *errors = NULL;
    const char *set_id = NULL;
    json_object *records = graph ? oci_moves_records(request, body) : NULL;
    if (!graph)
        oci_reply_internal(request, CM_ENOMEM, "transfers");
    if (!records)
        goto out;
    cm_json_get got = cm_json_string(body, "allOrNothingTransferId", &set_id);
    if (got == CM_JSON_WRONG_TYPE || (got == CM_JSON_OK && !oci_valid_all_or_nothing_id(set_id))) {
        oci_reply_invalid(request, "allOrNothingTransferId", "'allOrNothingTransferId' must be 1..128 of a-z A-Z 0-9 - _.");
        goto out;
    }
    int all_or_nothing = got == CM_JSON_OK;
    size_t count = json_object_array_length(records);
    transfers = calloc(count, sizeof *transfers);
    errors = json_object_new_array();
    if (!transfers || !errors) {
        oci_reply_internal(request, CM_ENOMEM, "transfers");
        goto out;
    }
    for (size_t i = 0; i < count; i++)
        if (read_transfer(request, graph, json_object_array_get_idx(records, i), i, all_or_nothing, &transfers[i]) != 0)
            goto out;
    oci_store_conn *writer = NULL;
    cm_err rc = oci_store_write_begin(core->store, &writer);
    int64_t now = oci_core_now(core);
    int failed = 0;
    if (rc == CM_OK && all_or_nothing)
        rc = oci_store_savepoint(writer);
    unsigned char *refused = calloc(count, 1);
    if (rc == CM_OK && !refused)
        rc = CM_ENOMEM;
    for (size_t i = 0; rc == CM_OK && i < count; i++) {
        transfer *t = &transfers[i];
        oci_operation_state state;
        rc = oci_operation_state_get(writer, org, "transfer", t->id, t->sku, t->fingerprint, &state);
        if (rc != CM_OK || state == OCI_OPERATION_REPEAT)
            continue;
        if (state == OCI_OPERATION_CONFLICT) {
            refused[i] = 2;
            failed = 1;
            continue;
        }
        oci_move_outcome outcome;
        rc = oci_transfer(writer, graph, org, t->sku, t->from, t->to, t->quantity, t->force, t->id, now, &outcome);
        if (rc == CM_OK && outcome != OCI_MOVE_DONE) {
            refused[i] = 1;
            failed = 1;
        } else if (rc == CM_OK) {
            rc = oci_store_operation_add(writer, org, "transfer", t->id, t->sku, t->fingerprint, now);
        }
    }
    if (rc == CM_OK && all_or_nothing)
        rc = failed ? oci_store_savepoint_rollback(writer) : oci_store_savepoint_release(writer);
    if (writer)
        rc = rc == CM_OK ? oci_store_write_commit(writer) : (oci_store_write_rollback(writer), rc);
    if (rc != CM_OK) {
        free(refused);
        oci_reply_internal(request, rc, "transfers");
        goto out;
    }
    for (size_t i = 0; i < count; i++) {
        if (refused[i] == 1)
            oci_moves_error(errors, details_of(&transfers[i]), "Insufficient Quantity", "InsufficientQuantity");
        else if (refused[i] == 2)
            oci_moves_error(errors, details_of(&transfers[i]), "The id was already used for another transfer.",
                            "InvalidRequestParameter");
        else if (all_or_nothing && failed)
            oci_moves_error(errors, details_of(&transfers[i]), "Not applied: another record of the set failed.",
                            "NotAppliedDueToAtomicFailure");
    }
    free(refused);
    oci_moves_reply(request, errors);
    errors = NULL;
out:
    json_object_put(errors);
    free(transfers);
    oci_core_graph_release(core, graph);
    json_object_put(body);
}
