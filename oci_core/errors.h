/*
 * errors.h - the error replies of the bundled OCI core, in the shapes of oci-api.md §6.
 *
 * - OCI service errors: application/problem+json
 *   {"type":"about:blank","status":…,"errorCode":"…","message":"…","parameterName"?:"…"}
 *   with optional extra members ("location":"abc", "group":"abc");
 * - gateway 401 (with WWW-Authenticate) and 403 for a missing scope, application/json,
 *   {"type":"https://api.commercecloud.salesforce.com/documentation/error/v1/errors/…","title","detail","status"}.
 * oci_error_writer is the cm_http_error_writer of the OCI listener, so the server's own errors
 * (404 no route, 405, 413) come out in the OCI shape too. Each oci_reply_* answers the request.
 */
#ifndef OCI_ERRORS_H
#define OCI_ERRORS_H

#include <stdint.h>

#include "common/http_server.h"

void oci_error_writer(cm_http_request *request, int status, const char *code, const char *message,
                      const char *field, void *data);

/* An OCI problem reply; `parameter` and `extra_name`/`extra_value` may be NULL. */
void oci_reply_problem(cm_http_request *request, int status, const char *error_code,
                       const char *message, const char *parameter, const char *extra_name,
                       const char *extra_value);

/* 400 InvalidRequestParameter naming the parameter. */
void oci_reply_invalid(cm_http_request *request, const char *parameter, const char *message);

/* 503 (out of memory, database busy, disk full) with errorCode Unknown; logs `what`. */
void oci_reply_internal(cm_http_request *request, cm_err error, const char *what);

void oci_reply_unauthorized(cm_http_request *request, const char *detail);
void oci_reply_forbidden_scope(cm_http_request *request, const char *scope);
void oci_reply_tenant_not_provisioned(cm_http_request *request);

/* 403 of the impex API (its RAML type 403Error): the Spring-style body
 * {"timestamp","status":403,"error":"Forbidden","message","path","type":"about:blank"}, application/json,
 * with "errorCode":"TenantNotProvisioned" added so clients can tell it from other 403s. */
void oci_reply_impex_not_authorized(cm_http_request *request, int64_t now_ms);

/* 429 with Retry-After and the body of oci-api.md §1 (application/problem+json). */
void oci_reply_too_many_requests(cm_http_request *request, int64_t retry_after_s);

#endif
