/*
 * errors.h - the legacy gateway's one error body (decisions.md, "Error body").
 *
 * {"error": "<HTTP reason>", "message": "…", "errorCode": "<CODE>", "applicationName": "omsgw",
 *  "correlationId": "<id>", "items": [{"errorCode", "message", "additionalErrorData": [{"name":
 *  "field", "value": "items[17].quantity"}]}], "additionalErrorData": []}
 * with the same id in the x-vol-correlation header (set for every request by gw_before_request).
 */
#ifndef GW_ERRORS_H
#define GW_ERRORS_H

#include "common/http_server.h"
#include "gateway/validate.h"

/* The cm_http_server error writer of the gateway listener. */
void gw_error_writer(cm_http_request *request, int status, const char *code, const char *message,
                     const char *field, void *data);

/* Replies 400 with one items[] entry per problem. */
void gw_reply_problems(cm_http_request *request, const gw_problems *problems);

/* The cm_http_server `before` hook: takes or makes the correlation id and sets the header. */
void gw_before_request(cm_http_request *request, void *data);

/* The request's correlation id ("" before gw_before_request ran). */
const char *gw_correlation_id(const cm_http_request *request);

#endif
