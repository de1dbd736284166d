#include "oci_core/errors.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/json_util.h"
#include "common/log.h"
#include "oci_core/core_internal.h"

#define GATEWAY_ERRORS "https://api.commercecloud.salesforce.com/documentation/error/v1/errors/"

static int send_json(cm_http_request *request, int status, const char *content_type, json_object *body)
{
    if (!body)
        return -1;
    size_t length = 0;
    const char *text = cm_json_text(body, &length);
    if (!text) { /* no memory for the text: the caller's fallback answers */
        json_object_put(body);
        return -1;
    }
    int rc = cm_http_reply_bytes(request, status, content_type, text, length);
    json_object_put(body);
    return rc;
}

static json_object *problem(int status, const char *error_code, const char *message,
                            const char *parameter)
{
    json_object *body = json_object_new_object();
    if (!body)
        return NULL;
    json_object_object_add(body, "type", json_object_new_string("about:blank"));
    json_object_object_add(body, "status", json_object_new_int(status));
    json_object_object_add(body, "errorCode", json_object_new_string(error_code));
    json_object_object_add(body, "message", json_object_new_string(message));
    if (parameter)
        json_object_object_add(body, "parameterName", json_object_new_string(parameter));
    return body;
}

/* The Connect REST API's error shape: [{"errorCode","message"}]. */
static void connect_problem(cm_http_request *request, int status, const char *error_code, const char *message)
{
    json_object *array = json_object_new_array(), *error = json_object_new_object();
    if (array && error) {
        json_object_object_add(error, "errorCode", json_object_new_string(error_code));
        json_object_object_add(error, "message", json_object_new_string(message));
        json_object_array_add(array, error);
        error = NULL;
    }
    json_object_put(error);
    if (send_json(request, status, "application/json", array) != 0 && !cm_http_replied(request))
        cm_http_reply_bytes(request, 503, "application/json", "[]", 2);
}

void oci_reply_problem(cm_http_request *request, int status, const char *error_code,
                       const char *message, const char *parameter, const char *extra_name,
                       const char *extra_value)
{
    if (oci_connect_of(request)) {
        connect_problem(request, status, error_code, message);
        return;
    }
    json_object *body = problem(status, error_code, message, parameter);
    if (body && extra_name && extra_value)
        json_object_object_add(body, extra_name, json_object_new_string(extra_value));
    if (send_json(request, status, "application/problem+json", body) != 0 && !cm_http_replied(request))
        cm_http_reply_bytes(request, 503, "application/problem+json", "{}", 2);
}

/* The server's own error codes, mapped onto OCI's enum. */
static const char *map_code(int status, const char *code)
{
    if (code && code[0] >= 'A' && code[0] <= 'Z' && !strchr(code, '_'))
        return code; /* already an OCI errorCode */
    switch (status) {
    case 404: return "ResourceNotFound";
    case 405:
    case 413: return "InvalidRequest";
    default: return status < 500 ? "InvalidRequestParameter" : "Unknown";
    }
}

void oci_error_writer(cm_http_request *request, int status, const char *code, const char *message,
                      const char *field, void *data)
{
    (void)data;
    oci_reply_problem(request, status, map_code(status, code), message, field, NULL, NULL);
}

void oci_reply_invalid(cm_http_request *request, const char *parameter, const char *message)
{
    oci_reply_problem(request, 400, "InvalidRequestParameter", message, parameter, NULL, NULL);
}

void oci_reply_internal(cm_http_request *request, cm_err error, const char *what)
{
    cm_log_error("oci.internal", "%s %s: %s: %s", cm_http_method(request), cm_http_path(request), what,
                 cm_strerror(error));
    const char *message = error == CM_EFULL   ? "The server's disk is full; try again later."
                          : error == CM_EBUSY ? "The server is busy; try again."
                                              : "The server could not handle the request; try again.";
    oci_reply_problem(request, 503, "Unknown", message, NULL, NULL, NULL);
}

static void gateway_error(cm_http_request *request, int status, const char *kind, const char *title,
                          const char *detail)
{
    char type[160];
    snprintf(type, sizeof type, GATEWAY_ERRORS "%s", kind);
    json_object *body = json_object_new_object();
    if (body) {
        json_object_object_add(body, "type", json_object_new_string(type));
        json_object_object_add(body, "title", json_object_new_string(title));
        json_object_object_add(body, "detail", json_object_new_string(detail));
        json_object_object_add(body, "status", json_object_new_int(status));
    }
    if (send_json(request, status, "application/json", body) != 0 && !cm_http_replied(request))
        cm_http_reply_bytes(request, 503, "application/json", "{}", 2);
}

void oci_reply_unauthorized(cm_http_request *request, const char *detail)
{
    cm_http_add_header(request, "WWW-Authenticate",
                       "Bearer realm=\"omsgw-oci\", error=\"invalid_token\"");
    gateway_error(request, 401, "unauthorized", "Unauthorized", detail);
}

void oci_reply_forbidden_scope(cm_http_request *request, const char *scope)
{
    char detail[200];
    snprintf(detail, sizeof detail, "The access token lacks the scope '%s' this resource needs.", scope);
    gateway_error(request, 403, "forbidden", "Forbidden", detail);
}

void oci_reply_tenant_not_provisioned(cm_http_request *request)
{
    oci_reply_problem(request, 403, "TenantNotProvisioned",
                      "The client is not correctly configured to access the system.", "organizationId",
                      NULL, NULL);
}

void oci_reply_impex_not_authorized(cm_http_request *request, int64_t now_ms)
{
    time_t seconds = (time_t)(now_ms / 1000);
    struct tm utc;
    char stamp[48] = "1970-01-01T00:00:00";
    if (gmtime_r(&seconds, &utc))
        strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
    char timestamp[64];
    snprintf(timestamp, sizeof timestamp, "%s.%03d+0000", stamp, (int)(now_ms % 1000));
    json_object *body = json_object_new_object();
    if (body) {
        json_object_object_add(body, "timestamp", json_object_new_string(timestamp));
        json_object_object_add(body, "status", json_object_new_int(403));
        json_object_object_add(body, "error", json_object_new_string("Forbidden"));
        json_object_object_add(body, "message",
                               json_object_new_string("The client is not correctly configured to access the system."));
        json_object_object_add(body, "path", json_object_new_string(cm_http_path(request)));
        json_object_object_add(body, "type", json_object_new_string("about:blank"));
        json_object_object_add(body, "errorCode", json_object_new_string("TenantNotProvisioned"));
    }
    if (send_json(request, 403, "application/json", body) != 0 && !cm_http_replied(request))
        cm_http_reply_bytes(request, 503, "application/json", "{}", 2);
}

void oci_reply_too_many_requests(cm_http_request *request, int64_t retry_after_s)
{
    char seconds[32];
    snprintf(seconds, sizeof seconds, "%lld", (long long)retry_after_s);
    cm_http_add_header(request, "Retry-After", seconds);
    if (oci_connect_of(request)) {
        connect_problem(request, 429, "REQUEST_LIMIT_EXCEEDED", "You have performed too many requests in a short period of time.");
        return;
    }
    json_object *body = json_object_new_object();
    if (body) {
        json_object_object_add(body, "type", json_object_new_string(GATEWAY_ERRORS "too-many-requests"));
        json_object_object_add(body, "title", json_object_new_string("Too Many Requests"));
        json_object_object_add(body, "detail",
                               json_object_new_string("You have performed too many requests in a short period of time."));
    }
    if (send_json(request, 429, "application/problem+json", body) != 0 && !cm_http_replied(request))
        cm_http_reply_bytes(request, 503, "application/problem+json", "{}", 2);
}
