#include "gateway/errors.h"
#include "common/uuid.h"
#include "gateway/limits.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct gw_request_data {
    char correlation_id[GW_MAX_CORRELATION_ID + 1];
} gw_request_data;

static int usable_correlation_id(const char *text)
{
    if (!text)
        return 0;
    size_t length = strlen(text);
    return length >= 1 && length <= GW_MAX_CORRELATION_ID &&
           strspn(text, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") == length;
}

void gw_before_request(cm_http_request *request, void *data)
{
    (void)data;
    gw_request_data *request_data = calloc(1, sizeof *request_data);
    if (!request_data)
        return;
    const char *given = cm_http_header(request, "x-vol-correlation");
    if (usable_correlation_id(given))
        snprintf(request_data->correlation_id, sizeof request_data->correlation_id, "%s", given);
    else
        cm_uuid_random(request_data->correlation_id);
    cm_http_set_user_data(request, request_data, free);
    cm_http_add_header(request, "x-vol-correlation", request_data->correlation_id);
}

const char *gw_correlation_id(const cm_http_request *request)
{
    const gw_request_data *request_data = cm_http_user_data(request);
    return request_data ? request_data->correlation_id : "";
}

static json_object *error_item(const char *code, const char *message, const char *field)
{
    json_object *item = json_object_new_object();
    if (!item)
        return NULL;
    json_object_object_add(item, "errorCode", json_object_new_string(code));
    json_object_object_add(item, "message", json_object_new_string(message));
    json_object *details = json_object_new_array();
    if (field && *field && details) {
        json_object *detail = json_object_new_object();
        if (!detail) {
            json_object_put(item);
            json_object_put(details);
            return NULL;
        }
        json_object_object_add(detail, "name", json_object_new_string("field"));
        json_object_object_add(detail, "value", json_object_new_string(field));
        json_object_array_add(details, detail);
    }
    json_object_object_add(item, "additionalErrorData", details);
    return item;
}

/* Error codes of decisions.md by status, for errors raised below the gateway (404/405/413…). */
static const char *legacy_code(int status, const char *code)
{
    switch (status) {
    case 404: return strcmp(code, "NOT_FOUND") == 0 ? "ITEM_NOT_FOUND" : code;
    case 413: return "PAYLOAD_TOO_LARGE";
    case 405: return "METHOD_NOT_ALLOWED";
    case 500: return "UNEXPECTED_ERROR";
    case 503: return strcmp(code, "SYSTEM_MAINTENANCE") == 0 ? code : "SYSTEM_MAINTENANCE";
    default: return code;
    }
}

static json_object *error_body(cm_http_request *request, int status, const char *code, const char *message)
{
    json_object *body = json_object_new_object();
    if (!body)
        return NULL;
    json_object_object_add(body, "error", json_object_new_string(cm_http_reason(status)));
    json_object_object_add(body, "message", json_object_new_string(message));
    json_object_object_add(body, "errorCode", json_object_new_string(code));
    json_object_object_add(body, "applicationName", json_object_new_string("omsgw"));
    json_object_object_add(body, "correlationId", json_object_new_string(gw_correlation_id(request)));
    return body;
}

void gw_error_writer(cm_http_request *request, int status, const char *code, const char *message,
                     const char *field, void *data)
{
    (void)data;
    code = legacy_code(status, code ? code : "UNEXPECTED_ERROR");
    json_object *body = error_body(request, status, code, message);
    if (!body)
        return; /* not replied: cm_http_reply_error sends its fixed body instead */
    json_object *items = json_object_new_array();
    json_object *item = field && *field && items ? error_item(code, message, field) : NULL;
    if (item)
        json_object_array_add(items, item);
    json_object_object_add(body, "items", items);
    json_object_object_add(body, "additionalErrorData", json_object_new_array());
    cm_http_reply_json(request, status, body);
}

void gw_reply_problems(cm_http_request *request, const gw_problems *problems)
{
    char message[256];
    const char *code = problems->count ? problems->list[0].code : "INVALID_REQUEST_DATA";
    if (problems->total == 1)
        snprintf(message, sizeof message, "%s", problems->list[0].message);
    else if (problems->total > problems->count)
        snprintf(message, sizeof message, "The request has %zu problems; the first %zu are listed in items.",
                 problems->total, problems->count);
    else
        snprintf(message, sizeof message, "The request has %zu problems, listed in items.", problems->total);
    /* One MISSING among INVALIDs still makes the request invalid as a whole. */
    for (size_t i = 0; i < problems->count; i++)
        if (strcmp(problems->list[i].code, "INVALID_REQUEST_DATA") == 0)
            code = "INVALID_REQUEST_DATA";
    json_object *body = error_body(request, 400, code, message);
    json_object *items = json_object_new_array();
    for (size_t i = 0; i < problems->count; i++)
        json_object_array_add(items, error_item(problems->list[i].code, problems->list[i].message,
                                                problems->list[i].field));
    json_object_object_add(body, "items", items);
    json_object_object_add(body, "additionalErrorData", json_object_new_array());
    cm_http_reply_json(request, 400, body);
}
