/* route_fulfillments.c - POST …/fulfillments: at a location, reserved goes down by the quantity and
 * so does onHand unless fulfillmentTime is earlier than the record's effectiveDate (1..100 records).
 * 204; 200 with per-record errors (err751 for an unknown location, InsufficientQuantity when less is
 * reserved); 400 MissingParameter; 409 InvalidRequestParameter when a record id was already used
 * for a different fulfilment (then nothing of the request is applied). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/json_util.h"
#include "oci_core/core_internal.h"
#include "oci_core/errors.h"
#include "oci_core/ids.h"
#include "oci_core/limits.h"
#include "oci_core/moves.h"
#include "oci_core/reserve.h"
#include "oci_core/route_util.h"

typedef struct fulfilment {
    const char *id, *external_ref_id, *location, *sku;
    int64_t quantity;
    int has_time;
    int64_t time_ms;
    char fingerprint[OCI_FINGERPRINT_MAX + 1];
} fulfilment;

static int read_fulfilment(cm_http_request *request, json_object *record, size_t index, fulfilment *out)
{
    if (oci_moves_string(request, record, index, "id", &out->id) ||
        oci_moves_string(request, record, index, "location", &out->location) ||
        oci_moves_string(request, record, index, "sku", &out->sku) ||
        oci_moves_quantity(request, record, index, &out->quantity))
        return -1;
    if (!oci_valid_reservation_sku(out->sku)) {
        oci_reply_invalid(request, "sku", "'sku' must be 1..250 characters without \\ < > ; % / or spaces.");
        return -1;
    }
    cm_json_string(record, "externalRefId", &out->external_ref_id);
    const char *time_text = NULL;
    cm_json_get got = cm_json_string(record, "fulfillmentTime", &time_text);
    if (got == CM_JSON_WRONG_TYPE || (got == CM_JSON_OK && cm_time_parse(time_text, &out->time_ms) != 0)) {
        oci_reply_invalid(request, "fulfillmentTime", "'fulfillmentTime' must be an RFC 3339 date-time.");
        return -1;
    }
    out->has_time = got == CM_JSON_OK;
    snprintf(out->fingerprint, sizeof out->fingerprint, "%.128s=%lld@%lld", out->location, (long long)out->quantity,
             out->has_time ? (long long)out->time_ms : -1LL);
    return 0;
}

static json_object *details_of(const fulfilment *f)
{
    json_object *details = json_object_new_object();
    if (!details)
        return NULL;
    json_object_object_add(details, "id", json_object_new_string(f->id));
    if (f->external_ref_id)
        json_object_object_add(details, "externalRefId", json_object_new_string(f->external_ref_id));
    json_object_object_add(details, "location", json_object_new_string(f->location));
    json_object_object_add(details, "sku", json_object_new_string(f->sku));
    json_object_object_add(details, "quantity", cm_json_new_milli(f->quantity));
    return details;
}

enum { OK = 0, BAD_LOCATION = 1, INSUFFICIENT = 2, CONFLICT = 3 };

void oci_route_fulfillments(cm_http_request *request, void *data)
{
    oci_core *core = data;
    const char *org = oci_request_org(request);
    json_object *body = oci_request_object(request);
    if (!body)
        return;
    oci_graph *graph = oci_core_graph_acquire(core, org);
    fulfilment *items = NULL;
    unsigned char *result = NULL;
    json_object *errors = NULL;
    json_object *records = graph ? oci_moves_records(request, body) : NULL;
    if (!graph)
        oci_reply_internal(request, CM_ENOMEM, "fulfillments");
    if (!records)
        goto out;
    size_t count = json_object_array_length(records);
    items = calloc(count, sizeof *items);
    result = calloc(count, 1);
    errors = json_object_new_array();
    if (!items || !result || !errors) {
        oci_reply_internal(request, CM_ENOMEM, "fulfillments");
        goto out;
    }
    for (size_t i = 0; i < count; i++)
        if (read_fulfilment(request, json_object_array_get_idx(records, i), i, &items[i]) != 0)
            goto out;
    oci_store_conn *writer = NULL;
    cm_err rc = oci_store_write_begin(core->store, &writer);
    int64_t now = oci_core_now(core);
    int conflict = 0;
    for (size_t i = 0; rc == CM_OK && i < count && !conflict; i++) {
        fulfilment *f = &items[i];
        oci_operation_state state;
        rc = oci_operation_state_get(writer, org, "fulfillment", f->id, f->sku, f->fingerprint, &state);
        if (rc != CM_OK || state == OCI_OPERATION_REPEAT)
            continue;
        if (state == OCI_OPERATION_CONFLICT) {
            conflict = 1;
            continue;
        }
        if (!oci_valid_location_id(f->location) || !oci_graph_has_location(graph, f->location)) {
            result[i] = BAD_LOCATION;
            continue;
        }
        oci_move_outcome outcome;
        rc = oci_fulfil(writer, org, f->location, f->sku, f->quantity, f->has_time, f->time_ms, f->id, now, &outcome);
        if (rc == CM_OK && outcome != OCI_MOVE_DONE)
            result[i] = INSUFFICIENT;
        else if (rc == CM_OK)
            rc = oci_store_operation_add(writer, org, "fulfillment", f->id, f->sku, f->fingerprint, now);
    }
    if (writer)
        rc = rc == CM_OK && !conflict ? oci_store_write_commit(writer) : (oci_store_write_rollback(writer), rc);
    if (rc != CM_OK) {
        oci_reply_internal(request, rc, "fulfillments");
        goto out;
    }
    if (conflict) {
        oci_reply_problem(request, 409, "InvalidRequestParameter",
                          "ID does not exist. The record id was already used for a different fulfillment.", "id", NULL,
                          NULL);
        goto out;
    }
    for (size_t i = 0; i < count; i++) {
        if (result[i] == BAD_LOCATION)
            oci_moves_error(errors, details_of(&items[i]), "Failed to fulfill, invalid location provided.", "err751");
        else if (result[i] == INSUFFICIENT)
            oci_moves_error(errors, details_of(&items[i]), "Insufficient Quantity", "InsufficientQuantity");
    }
    oci_moves_reply(request, errors);
    errors = NULL;
out:
    json_object_put(errors);
    free(result);
    free(items);
    oci_core_graph_release(core, graph);
    json_object_put(body);
}
