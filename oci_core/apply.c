#include "oci_core/apply.h"

#include <stdio.h>
#include <string.h>

#include "oci_core/ids.h"

static void refuse(oci_apply_result *result, const char *code, const char *message, const char *detail)
{
    result->outcome = OCI_APPLY_REFUSED;
    result->error_code = code;
    snprintf(result->message, sizeof result->message, "%s%.100s%s", message, detail ? detail : "",
             detail ? "'" : "");
}

cm_err oci_apply_one(oci_store_conn *writer, const oci_graph *graph, const char *org,
                     const oci_record_update *update, oci_apply_mode mode, const char *event_type,
                     int64_t now_ms, oci_apply_result *result)
{
    memset(result, 0, sizeof *result);
    if (!oci_valid_sku(update->sku)) {
        refuse(result, "InvalidRequestParameter", "'sku' is not a valid sku", NULL);
        return CM_OK;
    }
    if (!update->location_id || !oci_graph_has_location(graph, update->location_id)) {
        refuse(result, "LocationDoesNotExist", "No location exists with ID '", update->location_id);
        return CM_OK;
    }
    if (update->record_id && !oci_valid_record_id(update->record_id)) {
        refuse(result, "InvalidRequestParameter", "'id' must be a string of 1..128 characters", NULL);
        return CM_OK;
    }
    if (update->future_count > OCI_MAX_FUTURES) {
        refuse(result, "InvalidRequestParameter", "'futures' has too many entries", NULL);
        return CM_OK;
    }
    cm_err rc;
    if (update->record_id) {
        /* Claimed before the change is made: if anything below fails, the caller rolls the whole
         * transaction back, claim included. */
        int claimed = 0;
        rc = oci_store_applied_claim(writer, org, update->record_id, update->location_id, update->sku, now_ms,
                                     &claimed);
        if (rc != CM_OK)
            return rc;
        if (!claimed) {
            result->outcome = OCI_APPLY_DUPLICATE;
            snprintf(result->message, sizeof result->message, "record id already applied");
            return CM_OK;
        }
    }
    oci_quantities old_values, new_values;
    int exists = 0;
    rc = oci_store_record_get(writer, org, update->location_id, update->sku, &old_values, &exists);
    if (rc != CM_OK)
        return rc;
    if (mode == OCI_APPLY_REPLACE)
        memset(&new_values, 0, sizeof new_values);
    else
        new_values = old_values;
    if (update->has_on_hand)
        new_values.on_hand = update->on_hand_milli;
    if (update->has_safety_stock)
        new_values.safety_stock = update->safety_stock_milli;
    if (update->has_effective_date) {
        new_values.has_effective_date = 1;
        new_values.effective_ms = update->effective_ms;
    }
    if (update->has_futures) {
        new_values.future_count = 0;
        /* Same-date futures of one record are merged; the count cannot exceed the input's. */
        oci_qty_merge_futures(new_values.futures, &new_values.future_count, OCI_MAX_FUTURES,
                              update->futures, update->future_count);
    }
    new_values.reserved = old_values.reserved; /* reservations are not set by availability updates */
    rc = oci_store_record_put(writer, org, update->location_id, update->sku, &new_values, now_ms);
    if (rc != CM_OK)
        return rc;
    oci_event event = {
        .org = org,
        .location = update->location_id,
        .sku = update->sku,
        .event_type = event_type,
        .record_id = update->record_id,
        .created_ms = now_ms,
        .has_effective_date = new_values.has_effective_date,
        .effective_ms = new_values.effective_ms,
        .old_values = old_values,
        .new_values = new_values,
    };
    rc = oci_store_event_add(writer, &event);
    if (rc == CM_OK)
        result->outcome = OCI_APPLY_APPLIED;
    return rc;
}

cm_err oci_delete_one(oci_store_conn *writer, const char *org, const char *location, const char *sku,
                      const char *record_id, int64_t now_ms, int *found)
{
    oci_quantities old_values;
    cm_err rc = oci_store_record_get(writer, org, location, sku, &old_values, found);
    if (rc != CM_OK || !*found)
        return rc;
    rc = oci_store_record_delete(writer, org, location, sku);
    if (rc != CM_OK)
        return rc;
    oci_event event = {
        .org = org,
        .location = location,
        .sku = sku,
        .event_type = "location_delete",
        .record_id = record_id,
        .created_ms = now_ms,
        .old_values = old_values,
        .deleted = 1,
    };
    memset(&event.new_values, 0, sizeof event.new_values);
    return oci_store_event_add(writer, &event);
}
