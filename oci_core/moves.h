/*
 * moves.h - what the transfer, release and fulfilment routes share: reading their 1..100 records,
 * the idempotency of record ids (an id, with its SKU, applied once: a repeat changes nothing, the
 * same id used for something else is a conflict), and their per-record error lines.
 * Helpers that fail have already answered the request (they return NULL / -1).
 */
#ifndef OCI_MOVES_H
#define OCI_MOVES_H

#include <json-c/json.h>
#include <stdint.h>

#include "common/http_server.h"
#include "oci_core/store.h"

/* The body's "records" array (borrowed), 1..OCI_MOVE_MAX_RECORDS objects; NULL after a 400. */
json_object *oci_moves_records(cm_http_request *request, json_object *body);

/* Reads a record's "quantity" (>= 0.001). Returns 0, or -1 after a 400 (MissingParameter when absent). */
int oci_moves_quantity(cm_http_request *request, json_object *record, size_t index, int64_t *milli);

/* Reads a required string member; returns 0, or -1 after a 400 MissingParameter. */
int oci_moves_string(cm_http_request *request, json_object *record, size_t index, const char *key, const char **out);

typedef enum oci_operation_state {
    OCI_OPERATION_NEW = 0,
    OCI_OPERATION_REPEAT = 1,   /* applied before with the same content: nothing to do */
    OCI_OPERATION_CONFLICT = 2, /* the id was used with other content */
} oci_operation_state;

cm_err oci_operation_state_get(oci_store_conn *writer, const char *org, const char *kind, const char *op_id,
                               const char *sku, const char *fingerprint, oci_operation_state *state);

/* Adds {"details": details, "message", "errorCode"} to errors; takes `details`. */
void oci_moves_error(json_object *errors, json_object *details, const char *message, const char *error_code);

/* Answers 204 when `errors` is empty, else 200 {"errors": …}; takes `errors`. */
void oci_moves_reply(cm_http_request *request, json_object *errors);

#endif
