/*
 * route_util.h - small helpers shared by the route files: reading the JSON body, the path's
 * organization, and JSON arrays of ids as text for the store. Helpers that fail have already
 * answered the request (and say so by returning NULL / -1).
 */
#ifndef OCI_ROUTE_UTIL_H
#define OCI_ROUTE_UTIL_H

#include <json-c/json.h>
#include <stdio.h>

#include "common/http_server.h"
#include "common/digest.h"

/* The parsed body, which must be a JSON object (caller puts it); NULL after a 400 reply. */
json_object *oci_request_object(cm_http_request *request);

/* The {organizationId} of the path (the before hook has checked it is configured). */
const char *oci_request_org(const cm_http_request *request);

/* The {reservationId} of the path, or the actionRequestId of a Connect create. */
const char *oci_request_reservation_id(const cm_http_request *request);

/* A JSON array of the given strings as new text (caller frees), or NULL when out of memory. */
char *oci_ids_json(const char *const *ids, size_t count);

/*
 * Export files (availability, event log) are NDJSON whose SHA-256 the status route reports: one
 * line is written and hashed at once. Takes `line` (puts it); NULL counts as a failure. Any
 * failure sets *failed and the caller fails the export.
 */
void oci_ndjson_line(FILE *file, cm_sha256_ctx *hash, int *failed, json_object *line);

/* Writes a place line such as {"locationId":"phoenix"} under the same rules. */
void oci_ndjson_place(FILE *file, cm_sha256_ctx *hash, int *failed, const char *key, const char *id);

#endif
