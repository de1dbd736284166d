#include "oci_core/moves.h"
#include "oci_core/core_internal.h"

#include <stdio.h>
#include <string.h>

#include "common/json_util.h"
#include "oci_core/errors.h"
#include "oci_core/limits.h"

json_object *oci_moves_records(cm_http_request *request, json_object *body)
{
    json_object *records = NULL;
    char message[160];
    if (cm_json_array(body, "records", &records) != CM_JSON_OK) {
        oci_reply_problem(request, 400, "MissingParameter", "The field 'records' is missing from the request body.",
                          "records", NULL, NULL);
        return NULL;
    }
    size_t count = json_object_array_length(records);
    if (count == 0 || count > OCI_MOVE_MAX_RECORDS) {
        snprintf(message, sizeof message, "'records' has %zu entries; 1..%d are allowed.", count, OCI_MOVE_MAX_RECORDS);
        oci_reply_invalid(request, "records", message);
        return NULL;
    }
    for (size_t i = 0; i < count; i++) {
        if (!json_object_is_type(json_object_array_get_idx(records, i), json_type_object)) {
            snprintf(message, sizeof message, "'records[%zu]' must be a JSON object.", i);
            oci_reply_invalid(request, "records", message);
            return NULL;
        }
    }
    return records;
}

int oci_moves_string(cm_http_request *request, json_object *record, size_t index, const char *key, const char **out)
{
    char message[160];
    cm_json_get got = cm_json_string(record, key, out);
    if (got == CM_JSON_OK && **out)
        return 0;
    snprintf(message, sizeof message, "The field '%s' is missing from the request body (records[%zu]).", key, index);
    oci_reply_problem(request, 400, got == CM_JSON_ABSENT ? "MissingParameter" : "InvalidRequestParameter", message,
                      key, NULL, NULL);
    return -1;
}

int oci_moves_quantity(cm_http_request *request, json_object *record, size_t index, int64_t *milli)
{
    json_object *value = NULL;
    char message[160];
    if (!json_object_object_get_ex(record, "quantity", &value)) {
        oci_reply_problem(request, 400, "MissingParameter", "The field 'quantity' is missing from the request body.",
                          "quantity", NULL, NULL);
        return -1;
    }
    if (cm_json_value_milli(value, 0, milli) != CM_JSON_OK || *milli <= 0) {
        snprintf(message, sizeof message, "'records[%zu].quantity' must be a number of at least 0.001 (multiple of 0.001).",
                 index);
        oci_reply_invalid(request, "quantity", message);
        return -1;
    }
    return 0;
}

cm_err oci_operation_state_get(oci_store_conn *writer, const char *org, const char *kind, const char *op_id,
                               const char *sku, const char *fingerprint, oci_operation_state *state)
{
    char stored[OCI_FINGERPRINT_MAX + 1];
    int found = 0;
    cm_err rc = oci_store_operation_get(writer, org, kind, op_id, sku, stored, &found);
    *state = !found ? OCI_OPERATION_NEW : strcmp(stored, fingerprint) == 0 ? OCI_OPERATION_REPEAT
                                                                            : OCI_OPERATION_CONFLICT;
    return rc;
}

void oci_moves_error(json_object *errors, json_object *details, const char *message, const char *error_code)
{
    json_object *error = json_object_new_object();
    if (!error) {
        json_object_put(details);
        return;
    }
    json_object_object_add(error, "details", details);
    json_object_object_add(error, "message", json_object_new_string(message));
    json_object_object_add(error, "errorCode", json_object_new_string(error_code));
    json_object_array_add(errors, error);
}

void oci_moves_reply(cm_http_request *request, json_object *errors)
{
    if (oci_connect_of(request)) {
        json_object *reply = json_object_new_object();
        if (!reply) {
            json_object_put(errors);
            oci_reply_internal(request, CM_ENOMEM, "moves reply");
            return;
        }
        json_object_object_add(reply, "errors", errors);
        oci_reply_action(request, 201, reply);
        return;
    }
    if (json_object_array_length(errors) == 0) {
        json_object_put(errors);
        cm_http_reply_empty(request, 204);
        return;
    }
    json_object *reply = json_object_new_object();
    if (!reply) {
        json_object_put(errors);
        oci_reply_internal(request, CM_ENOMEM, "moves reply");
        return;
    }
    json_object_object_add(reply, "errors", errors);
    cm_http_reply_json(request, 200, reply);
}
