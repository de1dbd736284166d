#include "oci_core/route_util.h"

#include "oci_core/core_internal.h"

#include <stdlib.h>
#include <string.h>

#include "common/json_util.h"
#include "oci_core/errors.h"

json_object *oci_request_object(cm_http_request *request)
{
    const oci_connect_context *connect = oci_connect_of(request);
    if (connect && connect->body)
        return json_object_get(connect->body);
    size_t length = 0;
    const char *body = cm_http_body(request, &length);
    if (!body || length == 0) {
        oci_reply_invalid(request, "body", "The request body must be a JSON object.");
        return NULL;
    }
    json_object *root = NULL;
    char error[CM_JSON_ERROR_MAX];
    cm_err rc = cm_json_parse(body, length, CM_JSON_MAX_DEPTH, &root, error);
    if (rc == CM_ENOMEM) {
        /* Not the client's mistake: a 503 tells it to retry the same body. */
        oci_reply_internal(request, rc, "parsing the body");
        return NULL;
    }
    if (rc != CM_OK) {
        oci_reply_invalid(request, "body", error);
        return NULL;
    }
    if (!json_object_is_type(root, json_type_object)) {
        json_object_put(root);
        oci_reply_invalid(request, "body", "The request body must be a JSON object.");
        return NULL;
    }
    return root;
}

const char *oci_request_org(const cm_http_request *request)
{
    const oci_connect_context *connect = oci_connect_of(request);
    return connect ? connect->org : cm_http_param(request, "organizationId");
}

const char *oci_request_reservation_id(const cm_http_request *request)
{
    const oci_connect_context *connect = oci_connect_of(request);
    return connect && connect->reservation_id ? connect->reservation_id : cm_http_param(request, "reservationId");
}

char *oci_ids_json(const char *const *ids, size_t count)
{
    json_object *array = json_object_new_array();
    if (!array)
        return NULL;
    for (size_t i = 0; i < count; i++)
        json_object_array_add(array, json_object_new_string(ids[i]));
    const char *text = cm_json_text(array, NULL);
    char *copy = text ? strdup(text) : NULL;
    json_object_put(array);
    return copy;
}

void oci_ndjson_line(FILE *file, cm_sha256_ctx *hash, int *failed, json_object *line)
{
    if (!line) {
        *failed = 1;
        return;
    }
    size_t length = 0;
    const char *text = cm_json_text(line, &length);
    if (fwrite(text, 1, length, file) != length || fputc('\n', file) == EOF)
        *failed = 1;
    cm_sha256_update(hash, text, length);
    cm_sha256_update(hash, "\n", 1);
    json_object_put(line);
}

void oci_ndjson_place(FILE *file, cm_sha256_ctx *hash, int *failed, const char *key, const char *id)
{
    json_object *line = json_object_new_object();
    if (line)
        json_object_object_add(line, key, json_object_new_string(id));
    oci_ndjson_line(file, hash, failed, line);
}
