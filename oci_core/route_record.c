/* route_record.c - PUT, PATCH and DELETE …/locations/{loc}/availability-records/skus/{sku}/{requestId}. */
#include <stdio.h>
#include <string.h>

#include "oci_core/apply.h"
#include "oci_core/core_internal.h"
#include "oci_core/errors.h"
#include "oci_core/ids.h"
#include "oci_core/record_json.h"
#include "oci_core/route_util.h"

/* Checks the path's ids; replies 400 and returns -1 when one is malformed. */
static int check_path(cm_http_request *request, const char **location, const char **sku, const char **request_id)
{
    *location = cm_http_param(request, "locationId");
    *sku = cm_http_param(request, "sku");
    *request_id = cm_http_param(request, "requestId");
    if (!oci_valid_location_id(*location)) {
        oci_reply_invalid(request, "locationId", "'locationId' must be 2..128 of a-z A-Z 0-9 - _.");
        return -1;
    }
    if (!oci_valid_sku(*sku)) {
        oci_reply_invalid(request, "sku", "'sku' must be 2..250 characters without \\ < > ; % / or spaces.");
        return -1;
    }
    if (!oci_valid_record_id(*request_id)) {
        oci_reply_invalid(request, "requestId", "'requestId' must be 1..128 characters.");
        return -1;
    }
    return 0;
}

static void put_or_patch(cm_http_request *request, oci_core *core, int patch)
{
    const char *org = oci_request_org(request), *location, *sku, *request_id;
    if (check_path(request, &location, &sku, &request_id) != 0)
        return;
    json_object *body = oci_request_object(request);
    if (!body)
        return;
    oci_record_update update = {.record_id = request_id, .location_id = location, .sku = sku};
    char field[OCI_FIELD_MAX], message[OCI_MESSAGE_MAX];
    int fields_rc = oci_read_update_fields(body, patch, &update, field, message);
    json_object_put(body);
    if (fields_rc != 0) {
        oci_reply_invalid(request, field, message);
        return;
    }
    oci_graph *graph = oci_core_graph_acquire(core, org);
    if (!graph) {
        oci_reply_internal(request, CM_ENOMEM, "record update");
        return;
    }
    if (!oci_graph_has_location(graph, location)) {
        oci_core_graph_release(core, graph);
        char text[200];
        snprintf(text, sizeof text, "No location exists with ID '%s'", location);
        oci_reply_problem(request, 400, "LocationDoesNotExist", text, "locationId", "location", location);
        return;
    }
    oci_store_conn *writer = NULL;
    cm_err rc = oci_store_write_begin(core->store, &writer);
    int status = 204;
    char applied_location[OCI_LOCATION_ID_MAX + 1], applied_sku[OCI_SKU_MAX + 1];
    int applied = 0, exists = 1;
    if (rc == CM_OK)
        rc = oci_store_applied_get(writer, org, request_id, applied_location, applied_sku, &applied);
    if (rc == CM_OK && applied) {
        /* A repeated request is answered as before; the same id for another record is a conflict. */
        if (strcmp(applied_location, location) != 0 || strcmp(applied_sku, sku) != 0)
            status = 400;
    } else if (rc == CM_OK) {
        if (patch) {
            oci_quantities current;
            rc = oci_store_record_get(writer, org, location, sku, &current, &exists);
        }
        if (rc == CM_OK && exists) {
            oci_apply_result result;
            rc = oci_apply_one(writer, graph, org, &update, patch ? OCI_APPLY_MERGE : OCI_APPLY_REPLACE,
                               patch ? "location_patch" : "location_replace", oci_core_now(core), &result);
            if (rc == CM_OK && result.outcome == OCI_APPLY_REFUSED) {
                status = 422;
                snprintf(message, sizeof message, "%s", result.message);
            }
        } else if (rc == CM_OK) {
            status = 404;
        }
    }
    if (writer)
        rc = rc == CM_OK && status == 204 ? oci_store_write_commit(writer) : (oci_store_write_rollback(writer), rc);
    oci_core_graph_release(core, graph);
    if (rc != CM_OK)
        oci_reply_internal(request, rc, "record update");
    else if (status == 204)
        cm_http_reply_empty(request, 204);
    else if (status == 404)
        oci_reply_problem(request, 404, "EntityNotFound", "The Location SKU provided was not found in the system.",
                          "sku", NULL, NULL);
    else if (status == 422)
        oci_reply_invalid(request, "sku", message);
    else
        oci_reply_problem(request, 400, "EntityAlreadyExists",
                          "'requestId' was already used for another location SKU.", "requestId", NULL, NULL);
}

void oci_route_record_put(cm_http_request *request, void *data)
{
    put_or_patch(request, data, 0);
}

void oci_route_record_patch(cm_http_request *request, void *data)
{
    put_or_patch(request, data, 1);
}

void oci_route_record_delete(cm_http_request *request, void *data)
{
    oci_core *core = data;
    const char *org = oci_request_org(request), *location, *sku, *request_id;
    if (check_path(request, &location, &sku, &request_id) != 0)
        return;
    oci_store_conn *writer = NULL;
    cm_err rc = oci_store_write_begin(core->store, &writer);
    int busy = 0, found = 0;
    if (rc == CM_OK)
        rc = oci_store_export_busy(writer, org, &busy);
    if (rc == CM_OK && !busy)
        rc = oci_delete_one(writer, org, location, sku, request_id, oci_core_now(core), &found);
    if (writer)
        rc = rc == CM_OK && found ? oci_store_write_commit(writer) : (oci_store_write_rollback(writer), rc);
    if (rc != CM_OK)
        oci_reply_internal(request, rc, "record delete");
    else if (busy)
        oci_reply_problem(request, 409, "ExportInProcess",
                          "An availability export is in progress; deleting is not allowed.", NULL, NULL, NULL);
    else if (!found)
        oci_reply_problem(request, 404, "EntityNotFound", "The Location SKU provided was not found in the system.",
                          "sku", NULL, NULL);
    else
        cm_http_reply_empty(request, 204);
}
