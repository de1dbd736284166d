#include "queue/messages.h"
#include "common/json_util.h"
#include "queue/adjust.h"

#include <inttypes.h>
#include <stdio.h>

#include <string.h>

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The text of a JSON array as far as this module relies on it: '[' first and ']' last once the
 * white space around it is set aside (the store only ever holds arrays this module or json-c
 * wrote). *start and *length give the array without that white space: the copy must begin with
 * its '[' for q_messages_empty and q_messages_add, which look at the first and last bytes. */
static int looks_like_array(const char *text, size_t *start, size_t *length)
{
    size_t first = 0, end = strlen(text);
    while (first < end && is_space(text[first]))
        first++;
    while (end > first && is_space(text[end - 1]))
        end--;
    if (end - first < 2 || text[first] != '[' || text[end - 1] != ']')
        return 0;
    *start = first;
    *length = end - first;
    return 1;
}

cm_err q_messages_init(cm_body *messages, const char *existing)
{
    cm_body_init(messages, Q_MESSAGES_MAX_BYTES);
    /* An array after leading white space is still an array: its messages are kept, without the
     * white space. */
    size_t start = 0, length = 0;
    if (existing && looks_like_array(existing, &start, &length)) {
        cm_err rc = cm_body_append(messages, existing + start, length);
        if (rc != CM_ETOOBIG)
            return rc; /* CM_OK, or CM_ENOMEM: the caller tries later rather than lose them */
        /* Longer than the limit (kept by a version with a larger one): not silently emptied. */
        static const char dropped[] = "[\"(earlier messages were longer than the limit and were dropped)\"]";
        cm_body_reset(messages);
        return cm_body_append(messages, dropped, sizeof dropped - 1);
    }
    cm_body_reset(messages);
    return cm_body_append(messages, "[]", 2);
}

int q_messages_empty(const cm_body *messages)
{
    for (size_t i = 1; i + 1 < messages->length; i++)
        if (!is_space(messages->data[i]))
            return 0;
    return 1;
}

cm_err q_messages_add(cm_body *messages, const char *text)
{
    if (messages->length < 2 || messages->data[messages->length - 1] != ']')
        return CM_EINVAL;
    size_t mark = messages->length;
    int empty = q_messages_empty(messages);
    messages->length--; /* the closing ']' is written again after the new string */
    cm_err rc = empty ? CM_OK : cm_body_append(messages, ",", 1);
    if (!rc)
        rc = cm_json_append_string(messages, text, strlen(text));
    if (!rc)
        rc = cm_body_append(messages, "]", 1);
    if (rc) {
        messages->length = mark;
        messages->data[mark - 1] = ']';
        messages->data[mark] = '\0';
    }
    return rc;
}

typedef struct failure_lines {
    cm_body *messages;
    size_t reported;
    int out_of_memory;
} failure_lines;

static void add_failure_message(const q_item_failure *failure, void *data)
{
    failure_lines *lines = data;
    char text[320];
    snprintf(text, sizeof text, "items[%" PRId64 "] (sku %s): %s: %s", failure->item_index,
             failure->sku ? failure->sku : "?", failure->error_code ? failure->error_code : "Unknown",
             failure->message ? failure->message : "");
    cm_err rc = q_messages_add(lines->messages, text);
    if (rc == CM_OK)
        lines->reported++;
    else if (rc == CM_ENOMEM)
        lines->out_of_memory = 1;
}

char *q_messages_final(q_store *store, const q_job *job, int64_t items_failed, const char *extra)
{
    cm_body messages;
    if (q_messages_init(&messages, job->messages_json) != CM_OK) {
        cm_body_free(&messages);
        return NULL;
    }
    /* An adjust's notes (deltas that would have taken on-hand below 0) live in its chunks' saved
     * state, which survives crashes; they are gathered here, before the chunks are deleted. */
    for (int64_t c = 0; job->type == Q_JOB_ADJUST && c < job->chunks_total; c++)
        q_adjust_add_notes(store, job->job_id, c, &messages);
    /* A message that does not fit (CM_ETOOBIG) is left out, as the limit says; one lost to a
     * failed allocation or an unreadable store is not: NULL, and the job is finished later. */
    int incomplete = extra && q_messages_add(&messages, extra) == CM_ENOMEM;
    if (!incomplete && items_failed > 0) {
        failure_lines lines = {.messages = &messages};
        cm_err rc = q_store_each_failure(store, job->job_id, Q_MAX_REPORTED_FAILURES, add_failure_message, &lines);
        incomplete = (rc != CM_OK && rc != CM_ENOTFOUND) || lines.out_of_memory;
        if (!incomplete && items_failed > (int64_t)lines.reported) {
            char text[128];
            snprintf(text, sizeof text, "%" PRId64 " items in all were refused by OCI; the first %zu are listed.",
                     items_failed, lines.reported);
            incomplete = q_messages_add(&messages, text) == CM_ENOMEM;
        }
    }
    if (incomplete) {
        cm_body_free(&messages);
        return NULL;
    }
    size_t length = 0;
    return cm_body_take(&messages, &length);
}

char *q_messages_without_failures(const q_job *job, int64_t items_failed, const char *extra)
{
    cm_body messages;
    cm_err rc = q_messages_init(&messages, job->messages_json);
    if (!rc && extra)
        rc = q_messages_add(&messages, extra);
    if (!rc && items_failed > 0) {
        char text[160];
        snprintf(text, sizeof text,
                 "%" PRId64 " items were refused by OCI; their reasons could not be read back from the store.",
                 items_failed);
        rc = q_messages_add(&messages, text);
    }
    if (rc && rc != CM_ETOOBIG) {
        cm_body_free(&messages);
        return NULL;
    }
    size_t length = 0;
    return cm_body_take(&messages, &length);
}
