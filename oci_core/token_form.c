/* token_form.c - OAuth token request parameters from a form or multipart body (token_form.h). */
#include "oci_core/token_form.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "oci_core/multipart.h"

static int is_form_urlencoded(const char *content_type)
{
    if (!content_type)
        return 1;
    while (*content_type == ' ')
        content_type++;
    size_t n = strlen("application/x-www-form-urlencoded");
    return strncasecmp(content_type, "application/x-www-form-urlencoded", n) == 0 &&
           (content_type[n] == '\0' || content_type[n] == ';' || content_type[n] == ' ');
}

typedef struct part_copy {
    const char *body;
    cm_query *query;
    char *next; /* where the next string goes in query->storage */
    int failed;
    char *error;
} part_copy;

static int copy_part(const oci_multipart_file *part, int has_filename, void *data)
{
    (void)has_filename;
    part_copy *copy = data;
    cm_query *query = copy->query;
    if (query->count == CM_QUERY_MAX_PARAMS) {
        query->dropped++;
        return 0;
    }
    if (!part->name[0]) {
        snprintf(copy->error, OCI_TOKEN_FORM_ERROR_MAX, "a multipart part has no form field name");
        copy->failed = 1;
        return 1;
    }
    if (memchr(copy->body + part->offset, '\0', part->length)) {
        snprintf(copy->error, OCI_TOKEN_FORM_ERROR_MAX, "the value of \"%.64s\" contains a NUL byte", part->name);
        copy->failed = 1;
        return 1;
    }
    query->names[query->count] = copy->next;
    memcpy(copy->next, part->name, strlen(part->name) + 1);
    copy->next += strlen(part->name) + 1;
    query->values[query->count] = copy->next;
    memcpy(copy->next, copy->body + part->offset, part->length);
    copy->next[part->length] = '\0';
    copy->next += part->length + 1;
    query->count++;
    return 0;
}

static cm_err parse_multipart(const char *content_type, const char *body, size_t length, cm_query *out,
                              char error[OCI_TOKEN_FORM_ERROR_MAX])
{
    char boundary[OCI_MULTIPART_BOUNDARY_MAX + 1];
    if (oci_multipart_boundary(content_type, boundary) != CM_OK) {
        snprintf(error, OCI_TOKEN_FORM_ERROR_MAX, "the multipart/form-data Content-Type has no valid boundary");
        return CM_EINVAL;
    }
    /* Each part adds its name (< 128 bytes) and value, both NUL-terminated: the body bounds it. */
    out->storage = malloc(length + (CM_QUERY_MAX_PARAMS + 1) * 130 + 1);
    if (!out->storage)
        return CM_ENOMEM;
    part_copy copy = {body, out, out->storage, 0, error};
    char multipart_error[OCI_MULTIPART_ERROR_MAX];
    if (oci_multipart_each(body, length, boundary, copy_part, &copy, multipart_error) != CM_OK) {
        snprintf(error, OCI_TOKEN_FORM_ERROR_MAX, "%s", multipart_error);
        return CM_EINVAL;
    }
    return copy.failed ? CM_EINVAL : CM_OK;
}

static cm_err parse_form(const char *body, size_t length, cm_query *out, char error[OCI_TOKEN_FORM_ERROR_MAX])
{
    if (memchr(body, '\0', length)) {
        snprintf(error, OCI_TOKEN_FORM_ERROR_MAX, "the body contains a NUL byte");
        return CM_EINVAL;
    }
    char *text = malloc(length + 1);
    if (!text)
        return CM_ENOMEM;
    memcpy(text, body, length);
    text[length] = '\0';
    cm_err rc = cm_query_parse(text, out);
    free(text);
    return rc;
}

cm_err oci_token_form_parse(const char *content_type, const char *body, size_t length, cm_query *out,
                            char error[OCI_TOKEN_FORM_ERROR_MAX])
{
    memset(out, 0, sizeof *out);
    error[0] = '\0';
    if (!body)
        length = 0;
    if (length > OCI_TOKEN_FORM_BODY_MAX) {
        snprintf(error, OCI_TOKEN_FORM_ERROR_MAX, "the body is larger than %d bytes", OCI_TOKEN_FORM_BODY_MAX);
        return CM_EINVAL;
    }
    cm_err rc;
    if (oci_multipart_is_form(content_type))
        rc = length ? parse_multipart(content_type, body, length, out, error) : CM_OK;
    else if (is_form_urlencoded(content_type))
        rc = length ? parse_form(body, length, out, error) : CM_OK;
    else {
        snprintf(error, OCI_TOKEN_FORM_ERROR_MAX,
                 "the body must be application/x-www-form-urlencoded or multipart/form-data");
        rc = CM_EINVAL;
    }
    if (rc == CM_OK && out->dropped) {
        snprintf(error, OCI_TOKEN_FORM_ERROR_MAX, "the body has more than %d parameters", CM_QUERY_MAX_PARAMS);
        rc = CM_EINVAL;
    }
    for (size_t i = 0; rc == CM_OK && i < out->count; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(out->names[i], out->names[j]) == 0) {
                snprintf(error, OCI_TOKEN_FORM_ERROR_MAX, "the parameter \"%.64s\" is given more than once",
                         out->names[i]);
                rc = CM_EINVAL;
                break;
            }
    if (rc != CM_OK)
        cm_query_free(out);
    return rc;
}
