/* route_releases.c - POST …/releases: removing reserved quantity from a location or a group
 * directly, without a reservation document (1..100 records; 204, or 200 with the records that
 * found too little reserved, "quantity": 0 in their details as the RAML example shows). */
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

typedef struct release {
    const char *id, *external_ref_id, *sku;
    oci_place place;
    int64_t quantity;
    char fingerprint[OCI_FINGERPRINT_MAX + 1];
} release;

static int read_release(cm_http_request *request, const oci_graph *graph, json_object *record, size_t index,
                        release *out)
{
    const char *location = NULL, *group = NULL;
    cm_json_get has_location = cm_json_string(record, "location", &location);
    cm_json_get has_group = cm_json_string(record, "group", &group);
    if (has_location == CM_JSON_OK && has_group == CM_JSON_OK) {
        oci_reply_invalid(request, NULL,
                          "User provided locationId AND groupId.  You can only provide one or the other, not both in "
                          "a single record.");
        return -1;
    }
    if (has_location != CM_JSON_OK && has_group != CM_JSON_OK) {
        oci_reply_problem(request, 400, "InvalidRequest", "The format of the message is incorrect", NULL, NULL, NULL);
        return -1;
    }
    if (oci_moves_string(request, record, index, "id", &out->id) || oci_moves_string(request, record, index, "sku", &out->sku) ||
        oci_moves_quantity(request, record, index, &out->quantity))
        return -1;
    if (!oci_valid_reservation_sku(out->sku)) {
        oci_reply_invalid(request, "sku", "'sku' must be 1..250 characters without \\ < > ; % / or spaces.");
        return -1;
    }
    cm_json_string(record, "externalRefId", &out->external_ref_id);
    out->place.type = location ? "location" : "group";
    out->place.id = location ? location : group;
    int exists = location ? oci_valid_location_id(location) && oci_graph_has_location(graph, location)
                          : oci_valid_group_id(group) && oci_graph_group_find(graph, group) != NULL;
    if (!exists) {
        char message[200];
        snprintf(message, sizeof message, "No %s exists with ID '%.128s'", out->place.type, out->place.id);
        oci_reply_problem(request, 400, location ? "LocationDoesNotExist" : "GroupDoesNotExist", message, NULL,
                          out->place.type, out->place.id);
        return -1;
    }
    snprintf(out->fingerprint, sizeof out->fingerprint, "%s:%.128s=%lld", out->place.type, out->place.id,
             (long long)out->quantity);
    return 0;
}

static json_object *details_of(const release *r)
{
    json_object *details = json_object_new_object();
    if (!details)
        return NULL;
    json_object_object_add(details, "id", json_object_new_string(r->id));
    if (r->external_ref_id)
        json_object_object_add(details, "externalRefId", json_object_new_string(r->external_ref_id));
    json_object_object_add(details, r->place.type, json_object_new_string(r->place.id));
    json_object_object_add(details, "sku", json_object_new_string(r->sku));
    json_object_object_add(details, "quantity", cm_json_new_milli(0));
    return details;
}

void oci_route_releases(cm_http_request *request, void *data)
{
    oci_core *core = data;
    const char *org = oci_request_org(request);
    json_object *body = oci_request_object(request);
    if (!body)
        return;
    oci_graph *graph = oci_core_graph_acquire(core, org);
    release *releases = NULL;
    unsigned char *refused = NULL;
    json_object *errors = NULL;
    json_object *records = graph ? oci_moves_records(request, body) : NULL;
    if (!graph)
        oci_reply_internal(request, CM_ENOMEM, "releases");
    if (!records)
        goto out;
    size_t count = json_object_array_length(records);
    releases = calloc(count, sizeof *releases);
    refused = calloc(count, 1);
    errors = json_object_new_array();
    if (!releases || !refused || !errors) {
        oci_reply_internal(request, CM_ENOMEM, "releases");
        goto out;
    }
    for (size_t i = 0; i < count; i++)
        if (read_release(request, graph, json_object_array_get_idx(records, i), i, &releases[i]) != 0)
            goto out;
    oci_store_conn *writer = NULL;
    cm_err rc = oci_store_write_begin(core->store, &writer);
    int64_t now = oci_core_now(core);
    for (size_t i = 0; rc == CM_OK && i < count; i++) {
        release *r = &releases[i];
        oci_operation_state state;
        rc = oci_operation_state_get(writer, org, "release", r->id, r->sku, r->fingerprint, &state);
        if (rc != CM_OK || state == OCI_OPERATION_REPEAT)
            continue;
        if (state == OCI_OPERATION_CONFLICT) {
            refused[i] = 2;
            continue;
        }
        oci_move_outcome outcome;
        int64_t released;
        rc = oci_release(writer, org, r->sku, r->place, r->quantity, 0, "release", r->id, now, &outcome, &released);
        if (rc == CM_OK && outcome != OCI_MOVE_DONE)
            refused[i] = 1;
        else if (rc == CM_OK)
            rc = oci_store_operation_add(writer, org, "release", r->id, r->sku, r->fingerprint, now);
    }
    if (writer)
        rc = rc == CM_OK ? oci_store_write_commit(writer) : (oci_store_write_rollback(writer), rc);
    if (rc != CM_OK) {
        oci_reply_internal(request, rc, "releases");
        goto out;
    }
    for (size_t i = 0; i < count; i++) {
        if (refused[i] == 1)
            oci_moves_error(errors, details_of(&releases[i]), "Insufficient Quantity", "InsufficientQuantity");
        else if (refused[i] == 2)
            oci_moves_error(errors, details_of(&releases[i]), "The id was already used for another release.",
                            "InvalidRequestParameter");
    }
    oci_moves_reply(request, errors);
    errors = NULL;
out:
    json_object_put(errors);
    free(refused);
    free(releases);
    oci_core_graph_release(core, graph);
    json_object_put(body);
}
