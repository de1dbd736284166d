/*
 * route_util.h - small helpers shared by the route files: reading the JSON body, the path's
 * organization, and JSON arrays of ids as text for the store. Helpers that fail have already
 * answered the request (and say so by returning NULL / -1).
 */
#ifndef OCI_ROUTE_UTIL_H
#define OCI_ROUTE_UTIL_H

#include <json-c/json.h>

#include "common/http_server.h"

/* The parsed body, which must be a JSON object (caller puts it); NULL after a 400 reply. */
json_object *oci_request_object(cm_http_request *request);

/* The {organizationId} of the path (the before hook has checked it is configured). */
const char *oci_request_org(const cm_http_request *request);

/* A JSON array of the given strings as new text (caller frees), or NULL when out of memory. */
char *oci_ids_json(const char *const *ids, size_t count);

#endif
