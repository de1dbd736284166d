#include "translate/oci_reply.h"
#include "common/json_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Replies are shallow; anything deeper is not an OCI reply. */
#define REPLY_MAX_DEPTH 8

/* qsort has no context argument: sort (id, index) pairs instead of bare indexes. */
typedef struct id_index {
    const char *id;
    size_t index;
} id_index;

static int by_id(const void *a, const void *b)
{
    return strcmp(((const id_index *)a)->id, ((const id_index *)b)->id);
}

cm_err tr_record_lookup_init(tr_record_lookup *lookup, const tr_record *records, size_t count)
{
    lookup->records = records;
    lookup->count = count;
    lookup->sorted = NULL;
    id_index *pairs = malloc((count ? count : 1) * sizeof *pairs);
    lookup->sorted = malloc((count ? count : 1) * sizeof *lookup->sorted);
    if (!pairs || !lookup->sorted) {
        free(pairs);
        free(lookup->sorted);
        lookup->sorted = NULL;
        return CM_ENOMEM;
    }
    for (size_t i = 0; i < count; i++)
        pairs[i] = (id_index){records[i].record_id, i};
    qsort(pairs, count, sizeof *pairs, by_id);
    for (size_t i = 0; i < count; i++)
        lookup->sorted[i] = pairs[i].index;
    free(pairs);
    return CM_OK;
}

void tr_record_lookup_free(tr_record_lookup *lookup)
{
    free(lookup->sorted);
    lookup->sorted = NULL;
}

long tr_record_lookup_find(const tr_record_lookup *lookup, const char *record_id, const char *sku)
{
    if (!record_id || !lookup->sorted)
        return -1;
    size_t low = 0, high = lookup->count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        const tr_record *record = &lookup->records[lookup->sorted[middle]];
        int order = strcmp(record->record_id, record_id);
        if (order == 0) {
            /* Record ids are unique within a chunk; the sku is checked so that an answer about
             * another chunk's record can never be pinned on this one. */
            if (sku && strcmp(record->sku, sku) != 0)
                return -1;
            return (long)lookup->sorted[middle];
        }
        if (order < 0)
            low = middle + 1;
        else
            high = middle;
    }
    return -1;
}

static const char *string_or(const json_object *object, const char *key, const char *fallback)
{
    const char *value = NULL;
    return object && cm_json_string(object, key, &value) == CM_JSON_OK ? value : fallback;
}

cm_err tr_read_batch_errors(const char *body, size_t length, const tr_record_lookup *lookup,
                            tr_refusal_fn refused, void *context, size_t *unmatched)
{
    *unmatched = 0;
    json_object *root = NULL, *errors = NULL;
    char parse_error[CM_JSON_ERROR_MAX];
    if (cm_json_parse(body, length, REPLY_MAX_DEPTH, &root, parse_error) != CM_OK ||
        !json_object_is_type(root, json_type_object) || cm_json_array(root, "errors", &errors) != CM_JSON_OK) {
        json_object_put(root);
        return CM_EINVAL;
    }
    size_t count = json_object_array_length(errors);
    for (size_t i = 0; i < count; i++) {
        json_object *error = json_object_array_get_idx(errors, i), *details = NULL;
        if (!json_object_is_type(error, json_type_object) ||
            cm_json_object(error, "details", &details) != CM_JSON_OK) {
            (*unmatched)++;
            continue;
        }
        long index = tr_record_lookup_find(lookup, string_or(details, "id", NULL), string_or(details, "sku", NULL));
        if (index < 0) {
            (*unmatched)++;
            continue;
        }
        refused(context, (size_t)index, string_or(error, "errorCode", "Unknown"),
                string_or(error, "message", "OCI refused the record"));
    }
    json_object_put(root);
    return CM_OK;
}

cm_err tr_read_import_results(const char *text, size_t length, const tr_record_lookup *lookup,
                              tr_refusal_fn refused, void *context, size_t *unmatched,
                              char status[TR_IMPORT_STATUS_MAX])
{
    *unmatched = 0;
    status[0] = '\0';
    size_t line_number = 0;
    const char *end = text + length;
    for (const char *line = text; line < end;) {
        const char *newline = memchr(line, '\n', (size_t)(end - line));
        const char *line_end = newline ? newline : end;
        size_t line_length = (size_t)(line_end - line);
        if (line_length && line[line_length - 1] == '\r')
            line_length--;
        const char *next = newline ? newline + 1 : end;
        int blank = 1;
        for (size_t i = 0; i < line_length && blank; i++)
            blank = line[i] == ' ' || line[i] == '\t';
        if (blank) {
            line = next;
            continue;
        }
        json_object *object = NULL;
        char parse_error[CM_JSON_ERROR_MAX];
        if (cm_json_parse(line, line_length, REPLY_MAX_DEPTH, &object, parse_error) != CM_OK ||
            !json_object_is_type(object, json_type_object)) {
            json_object_put(object);
            return CM_EINVAL;
        }
        if (line_number++ == 0) {
            const char *value = string_or(object, "status", NULL);
            if (!value) {
                json_object_put(object);
                return CM_EINVAL;
            }
            snprintf(status, TR_IMPORT_STATUS_MAX, "%s", value);
        } else {
            long index = tr_record_lookup_find(lookup, string_or(object, "recordId", NULL),
                                               string_or(object, "sku", NULL));
            if (index < 0)
                (*unmatched)++;
            else
                refused(context, (size_t)index, TR_IMPORT_LINE_ERROR_CODE,
                        string_or(object, "message", "OCI refused the record"));
        }
        json_object_put(object);
        line = next;
    }
    return line_number > 0 ? CM_OK : CM_EINVAL;
}

void tr_read_error_body(const char *body, size_t length, char code[TR_ERROR_CODE_MAX],
                        char message[TR_ERROR_MESSAGE_MAX])
{
    code[0] = '\0';
    message[0] = '\0';
    json_object *root = NULL;
    char parse_error[CM_JSON_ERROR_MAX];
    if (!body || !length || cm_json_parse(body, length, REPLY_MAX_DEPTH, &root, parse_error) != CM_OK ||
        !json_object_is_type(root, json_type_object)) {
        json_object_put(root);
        return;
    }
    static const char *const pairs[][2] = {
        {"errorCode", "message"}, {"title", "detail"}, {"error", "error_description"}};
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        const char *found_code = string_or(root, pairs[i][0], NULL);
        const char *found_message = string_or(root, pairs[i][1], NULL);
        if (!found_code && !found_message)
            continue;
        snprintf(code, TR_ERROR_CODE_MAX, "%s", found_code ? found_code : "");
        snprintf(message, TR_ERROR_MESSAGE_MAX, "%s", found_message ? found_message : "");
        break;
    }
    json_object_put(root);
}
