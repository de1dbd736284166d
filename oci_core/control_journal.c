/*
 * control_journal.c - the request journal of the OCI port (control.h): one entry per request,
 * written by the server's request-completed hook, kept in a ring of oci.control.journalSize
 * entries, listed newest first by GET /_omsgw/requests?limit=&route=&status= and emptied by
 * DELETE /_omsgw/requests.
 */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/json_util.h"
#include "oci_core/control_internal.h"
#include "oci_core/core_internal.h"

static void entry_clear(oci_journal_entry *entry)
{
    free(entry->path);
    free(entry->query);
    free(entry->organization);
    free(entry->correlation_id);
    free(entry->body);
    memset(entry, 0, sizeof *entry);
}

void oci_journal_free_all(oci_control *control)
{
    for (size_t i = 0; control->journal && i < control->journal_size; i++)
        entry_clear(&control->journal[i]);
    control->journal_used = control->journal_next = 0;
}

static char *dup_or_null(const char *text)
{
    return text ? strdup(text) : NULL;
}

void oci_control_after(cm_http_request *request, int status, int64_t elapsed_ms, void *data)
{
    oci_core *core = data;
    oci_control *control = core->control;
    const char *path = cm_http_path(request);
    /* Control calls and the liveness probe are not what a test's client sent. */
    if (!control || !control->journal || !path || strncmp(path, OCI_CONTROL_PREFIX, strlen(OCI_CONTROL_PREFIX)) == 0 ||
        strcmp(path, "/_omsgw") == 0 || strcmp(path, "/healthz") == 0)
        return;
    oci_journal_entry entry = {0};
    snprintf(entry.method, sizeof entry.method, "%s", cm_http_method(request) ? cm_http_method(request) : "");
    entry.path = strdup(path);
    /* As the client sent it: rebuilt from the decoded parameters, a%26b would read a&b. */
    entry.query = dup_or_null(cm_http_raw_query(request));
    char org[256];
    const char *org_id = cm_http_param(request, "organizationId");
    entry.organization = dup_or_null(org_id ? org_id : oci_control_path_org(path, org, sizeof org));
    entry.correlation_id = dup_or_null(cm_http_header(request, "correlation-id"));
    entry.status = status;
    entry.latency_ms = elapsed_ms;
    const oci_request_state *state = oci_request_state_peek(request);
    const oci_request_note *note = state ? state->journal_note : NULL;
    entry.at_ms = note ? note->at_ms : oci_core_now(core);
    if (note)
        snprintf(entry.fault_id, sizeof entry.fault_id, "%s", note->fault_id);
    if (core->config->oci.control.journal_bodies) {
        size_t length = 0;
        const char *body = cm_http_body(request, &length);
        if (length > OCI_JOURNAL_BODY_MAX) {
            length = OCI_JOURNAL_BODY_MAX;
            entry.body_truncated = 1;
        }
        entry.body = malloc(length + 1);
        if (entry.body) {
            memcpy(entry.body, body, length);
            entry.body[length] = '\0';
            entry.body_length = length;
        }
    }
    if (!entry.path) {
        entry_clear(&entry); /* out of memory: the journal misses this one rather than the server failing */
        return;
    }
    pthread_mutex_lock(&control->lock);
    entry.seq = note ? note->seq : ++control->journal_seq;
    if (entry.seq <= control->journal_cleared_seq) {
        /* It arrived before the journal was emptied and ended after: it belongs to the old one. */
        pthread_mutex_unlock(&control->lock);
        entry_clear(&entry);
        return;
    }
    oci_journal_entry *slot = &control->journal[control->journal_next];
    entry_clear(slot);
    *slot = entry;
    control->journal_next = (control->journal_next + 1) % control->journal_size;
    if (control->journal_used < control->journal_size)
        control->journal_used++;
    pthread_mutex_unlock(&control->lock);
}

static json_object *entry_json(const oci_journal_entry *entry, int with_bodies)
{
    json_object *o = json_object_new_object();
    if (!o)
        return NULL;
    char at[CM_TIME_TEXT_MAX];
    cm_time_format_ms(entry->at_ms, at);
    json_object_object_add(o, "seq", json_object_new_int64(entry->seq));
    json_object_object_add(o, "at", json_object_new_string(at));
    json_object_object_add(o, "method", json_object_new_string(entry->method));
    json_object_object_add(o, "path", json_object_new_string(entry->path));
    json_object_object_add(o, "query", entry->query ? json_object_new_string(entry->query) : NULL);
    json_object_object_add(o, "status", json_object_new_int(entry->status));
    json_object_object_add(o, "latencyMs", json_object_new_int64(entry->latency_ms));
    json_object_object_add(o, "correlationId",
                           entry->correlation_id ? json_object_new_string(entry->correlation_id) : NULL);
    json_object_object_add(o, "organization", entry->organization ? json_object_new_string(entry->organization) : NULL);
    json_object_object_add(o, "fault", entry->fault_id[0] ? json_object_new_string(entry->fault_id) : NULL);
    if (with_bodies) {
        json_object_object_add(o, "body", entry->body ? json_object_new_string_len(entry->body, (int)entry->body_length)
                                                      : NULL);
        if (entry->body_truncated)
            json_object_object_add(o, "bodyTruncated", json_object_new_boolean(1));
    }
    return o;
}

/* status=503 (exact) or status=5xx (a class). Returns 0, or -1 when the filter is not one of them. */
static int parse_status_filter(const char *text, int *exact, int *class)
{
    *exact = *class = 0;
    if (!text)
        return 0;
    if (strlen(text) == 3 && text[0] >= '1' && text[0] <= '5' && (text[1] == 'x' || text[1] == 'X') &&
        (text[2] == 'x' || text[2] == 'X')) {
        *class = text[0] - '0';
        return 0;
    }
    char *end;
    long value = strtol(text, &end, 10);
    if (!*text || *end || value < 0 || value > 599)
        return -1;
    *exact = (int)value;
    *class = -1;
    return 0;
}

static int newest_first(const void *a, const void *b)
{
    int64_t left = (*(const oci_journal_entry *const *)a)->seq, right = (*(const oci_journal_entry *const *)b)->seq;
    return left < right ? 1 : left > right ? -1 : 0;
}

void oci_route_control_journal(cm_http_request *request, void *data)
{
    oci_core *core = data;
    oci_control *control = core->control;
    long limit = OCI_JOURNAL_LIMIT_DEFAULT;
    const char *limit_text = cm_http_query(request, "limit");
    if (limit_text) {
        char *end;
        limit = strtol(limit_text, &end, 10);
        if (!*limit_text || *end || limit < 1 || limit > (long)control->journal_size) {
            char message[120];
            snprintf(message, sizeof message, "limit must be a whole number 1..%zu (oci.control.journalSize)",
                     control->journal_size);
            oci_control_reply_error(request, 400, "InvalidParameter", message, "limit");
            return;
        }
    }
    const char *route = cm_http_query(request, "route");
    if (route && (!*route || strlen(route) > OCI_FAULT_GLOB_MAX)) {
        oci_control_reply_error(request, 400, "InvalidParameter", "route must be a path glob of 1..512 characters",
                                "route");
        return;
    }
    int exact, class;
    if (parse_status_filter(cm_http_query(request, "status"), &exact, &class) != 0) {
        oci_control_reply_error(request, 400, "InvalidParameter",
                                "status must be an HTTP status (503), a class (5xx) or 0 (no reply)", "status");
        return;
    }
    json_object *list = json_object_new_array();
    int with_bodies = core->config->oci.control.journal_bodies;
    const oci_journal_entry **chosen = calloc(control->journal_size, sizeof *chosen);
    size_t count = 0;
    pthread_mutex_lock(&control->lock);
    for (size_t i = 0; chosen && i < control->journal_size; i++) {
        const oci_journal_entry *entry = &control->journal[i];
        if (!entry->path)
            continue;
        if (route && fnmatch(route, entry->path, 0) != 0)
            continue;
        if (class == -1 && entry->status != exact)
            continue;
        if (class > 0 && entry->status / 100 != class)
            continue;
        chosen[count++] = entry;
    }
    /* Newest first by arrival (seq), whatever order the requests completed in. */
    if (chosen)
        qsort(chosen, count, sizeof *chosen, newest_first);
    for (size_t i = 0; list && i < count && (long)i < limit; i++)
        json_object_array_add(list, entry_json(chosen[i], with_bodies));
    pthread_mutex_unlock(&control->lock);
    if (!chosen) {
        json_object_put(list);
        list = NULL;
    }
    free(chosen);
    json_object *reply = json_object_new_object();
    if (!reply || !list) {
        json_object_put(reply);
        json_object_put(list);
        oci_control_reply_error(request, 503, "OutOfMemory", "the emulator is short of memory", NULL);
        return;
    }
    json_object_object_add(reply, "requests", list);
    cm_http_reply_json(request, 200, reply);
}

void oci_route_control_journal_clear(cm_http_request *request, void *data)
{
    oci_control *control = ((oci_core *)data)->control;
    pthread_mutex_lock(&control->lock);
    oci_journal_free_all(control);
    control->journal_cleared_seq = control->journal_seq;
    pthread_mutex_unlock(&control->lock);
    cm_http_reply_empty(request, 204);
}
