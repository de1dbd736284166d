/* route_batch_update.c - POST …/availability-records/actions/batch-update (1..100 records). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json_util.h"
#include "oci_core/apply.h"
#include "oci_core/core_internal.h"
#include "oci_core/errors.h"
#include "oci_core/ids.h"
#include "oci_core/limits.h"
#include "oci_core/record_json.h"
#include "oci_core/route_util.h"

typedef struct batch_item {
    oci_record_update update;
    const char *external_ref_id;
    int invalid; /* refused before applying: message holds why */
    char message[OCI_MESSAGE_MAX];
    oci_apply_result result;
} batch_item;

static void add_error(json_object *errors, const batch_item *item, const char *error_code, const char *message)
{
    json_object *error = json_object_new_object();
    json_object *details = json_object_new_object();
    if (!error || !details) {
        json_object_put(error);
        json_object_put(details);
        return;
    }
    if (item->external_ref_id)
        json_object_object_add(details, "externalRefId", json_object_new_string(item->external_ref_id));
    json_object_object_add(details, "locationId", json_object_new_string(item->update.location_id ? item->update.location_id : ""));
    json_object_object_add(details, "sku", json_object_new_string(item->update.sku ? item->update.sku : ""));
    json_object_object_add(details, "id", json_object_new_string(item->update.record_id ? item->update.record_id : ""));
    json_object_object_add(error, "details", details);
    json_object_object_add(error, "message", json_object_new_string(message));
    json_object_object_add(error, "errorCode", json_object_new_string(error_code));
    json_object_array_add(errors, error);
}

/* Reads record `index`; structural problems reply 400 (returns -1); field values make the record invalid. */
static int read_item(cm_http_request *request, json_object *record, size_t index, batch_item *item)
{
    char field[OCI_FIELD_MAX], message[OCI_MESSAGE_MAX + 64], parameter[64];
    if (!json_object_is_type(record, json_type_object)) {
        snprintf(parameter, sizeof parameter, "records[%zu]", index);
        oci_reply_invalid(request, parameter, "Each record must be a JSON object.");
        return -1;
    }
    const char *id = NULL, *location = NULL, *sku = NULL, *external = NULL;
    static const char *const required[] = {"id", "location", "sku"};
    const char **targets[] = {&id, &location, &sku};
    for (size_t i = 0; i < 3; i++) {
        if (cm_json_string(record, required[i], targets[i]) != CM_JSON_OK) {
            snprintf(parameter, sizeof parameter, "records[%zu].%s", index, required[i]);
            snprintf(message, sizeof message, "The field '%s' is missing from the request body or is not a string.",
                     parameter);
            oci_reply_invalid(request, parameter, message);
            return -1;
        }
    }
    cm_json_string(record, "externalRefId", &external);
    item->update.record_id = id;
    item->update.location_id = location;
    item->update.sku = sku;
    item->external_ref_id = external;
    if (!oci_valid_location_id(location)) {
        snprintf(parameter, sizeof parameter, "records[%zu].location", index);
        snprintf(message, sizeof message, "'%s' is not a valid location id.", parameter);
        oci_reply_invalid(request, parameter, message);
        return -1;
    }
    if (oci_read_update_fields(record, 1, &item->update, field, item->message) != 0) {
        item->invalid = 1;
    } else if (!oci_valid_sku(sku)) {
        item->invalid = 1;
        snprintf(item->message, sizeof item->message, "'sku' must be 2..250 characters without \\ < > ; %% / or spaces.");
    } else if (!oci_valid_record_id(id)) {
        item->invalid = 1;
        snprintf(item->message, sizeof item->message, "'id' must be a string of 1..128 characters.");
    }
    return 0;
}

void oci_route_batch_update(cm_http_request *request, void *data)
{
    oci_core *core = data;
    const char *org = oci_request_org(request);
    json_object *body = oci_request_object(request);
    if (!body)
        return;
    batch_item *items = NULL;
    oci_graph *graph = NULL;
    json_object *records;
    if (cm_json_array(body, "records", &records) != CM_JSON_OK) {
        oci_reply_invalid(request, "records", "The field 'records' must be an array of 1..100 records.");
        goto out;
    }
    size_t count = json_object_array_length(records);
    if (count == 0 || count > OCI_BATCH_UPDATE_MAX_RECORDS) {
        char message[160];
        snprintf(message, sizeof message, "'records' has %zu entries; 1..%d are allowed.", count,
                 OCI_BATCH_UPDATE_MAX_RECORDS);
        oci_reply_invalid(request, "records", message);
        goto out;
    }
    items = calloc(count, sizeof *items);
    graph = oci_core_graph_acquire(core, org);
    if (!items || !graph) {
        oci_reply_internal(request, CM_ENOMEM, "batch-update");
        goto out;
    }
    for (size_t i = 0; i < count; i++)
        if (read_item(request, json_object_array_get_idx(records, i), i, &items[i]) != 0)
            goto out;
    for (size_t i = 0; i < count; i++) {
        if (!oci_graph_has_location(graph, items[i].update.location_id)) {
            char message[200], parameter[64];
            snprintf(message, sizeof message, "No location exists with ID '%s'", items[i].update.location_id);
            snprintf(parameter, sizeof parameter, "records[%zu].location", i);
            oci_reply_problem(request, 400, "LocationDoesNotExist", message, parameter, "location",
                              items[i].update.location_id);
            goto out;
        }
    }
    oci_store_conn *writer = NULL;
    cm_err rc = oci_store_write_begin(core->store, &writer);
    int64_t now = oci_core_now(core);
    /* The valid items in one oci_apply_many (a few multi-row statements, apply.h). */
    const oci_record_update *valid[OCI_BATCH_UPDATE_MAX_RECORDS];
    oci_apply_result results[OCI_BATCH_UPDATE_MAX_RECORDS];
    size_t valid_count = 0;
    for (size_t i = 0; i < count && valid_count < OCI_BATCH_UPDATE_MAX_RECORDS; i++)
        if (!items[i].invalid)
            valid[valid_count++] = &items[i].update;
    oci_apply_batch batch = {.org = org, .update_list = valid, .count = valid_count, .mode = OCI_APPLY_MERGE,
                             .event_type = "location_update", .now_ms = now, .claim_ids = 1};
    if (rc == CM_OK && valid_count)
        rc = oci_apply_many(writer, graph, &batch, results);
    for (size_t i = 0, v = 0; rc == CM_OK && i < count && v < valid_count; i++)
        if (!items[i].invalid)
            items[i].result = results[v++];
    if (writer)
        rc = rc == CM_OK ? oci_store_write_commit(writer) : (oci_store_write_rollback(writer), rc);
    if (rc != CM_OK) {
        oci_reply_internal(request, rc, "batch-update");
        goto out;
    }
    json_object *errors = json_object_new_array();
    if (!errors) {
        oci_reply_internal(request, CM_ENOMEM, "batch-update");
        goto out;
    }
    for (size_t i = 0; i < count; i++) {
        if (items[i].invalid)
            add_error(errors, &items[i], "InvalidRequestParameter", items[i].message);
        else if (items[i].result.outcome == OCI_APPLY_REFUSED)
            add_error(errors, &items[i], items[i].result.error_code, items[i].result.message);
    }
    if (json_object_array_length(errors) == 0) {
        json_object_put(errors);
        cm_http_reply_empty(request, 204);
    } else {
        json_object *reply = json_object_new_object();
        if (!reply) {
            json_object_put(errors);
            oci_reply_internal(request, CM_ENOMEM, "batch-update");
            goto out;
        }
        json_object_object_add(reply, "errors", errors);
        cm_http_reply_json(request, 200, reply);
    }
out:
    oci_core_graph_release(core, graph);
    free(items);
    json_object_put(body);
}
