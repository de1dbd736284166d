/* route_event_log.c - POST …/event-log/exports (one SKU, a window of at most 30 days, at most 10
 * places; none = every place with activity) and the file the worker writes for it. Status and
 * file-content are the shared export routes (route_exports.c). File: a {"locationId"} or
 * {"groupId"} line per place, then one line per event of that place in time order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/clock.h"
#include "common/json_util.h"
#include "common/log.h"
#include "common/digest.h"
#include "common/uuid.h"
#include "oci_core/core_internal.h"
#include "oci_core/errors.h"
#include "oci_core/ids.h"
#include "oci_core/limits.h"
#include "oci_core/render.h"
#include "oci_core/route_util.h"

#define EVENT_LOG_PATH "/inventory/impex/v1/organizations/%s/event-log/exports/%s/status"

/* Checks an optional array of place ids; replies 400 (returns -1) on a bad or unknown id. */
static int check_ids(cm_http_request *request, const oci_graph *graph, json_object *body, const char *key,
                     int groups, size_t *total)
{
    json_object *array = NULL;
    cm_json_get got = cm_json_array(body, key, &array);
    if (got == CM_JSON_ABSENT)
        return 0;
    char message[200];
    if (got != CM_JSON_OK) {
        snprintf(message, sizeof message, "'%s' must be an array of ids.", key);
        oci_reply_invalid(request, key, message);
        return -1;
    }
    for (size_t i = 0; i < json_object_array_length(array); i++) {
        json_object *item = json_object_array_get_idx(array, i);
        const char *id = json_object_is_type(item, json_type_string) ? json_object_get_string(item) : NULL;
        int known = id && (groups ? oci_valid_group_id(id) && oci_graph_group_find(graph, id)
                                  : oci_valid_location_id(id) && oci_graph_has_location(graph, id));
        if (!known) {
            snprintf(message, sizeof message, "No %s exists with ID '%.128s'", groups ? "group" : "location",
                     id ? id : "");
            oci_reply_problem(request, 400, groups ? "GroupDoesNotExist" : "LocationDoesNotExist", message, key,
                              groups ? "group" : "location", id ? id : "");
            return -1;
        }
    }
    *total += json_object_array_length(array);
    return 0;
}

void oci_route_event_log_submit(cm_http_request *request, void *data)
{
    oci_core *core = data;
    const char *org = oci_request_org(request);
    json_object *body = oci_request_object(request);
    if (!body)
        return;
    oci_graph *graph = oci_core_graph_acquire(core, org);
    json_object *params = NULL;
    const char *sku = NULL, *starts_text = NULL, *ends_text = NULL;
    int64_t starts_ms = 0, ends_ms = 0;
    size_t places = 0;
    char message[200];
    if (!graph) {
        oci_reply_internal(request, CM_ENOMEM, "event-log submit");
        goto out;
    }
    if (cm_json_string(body, "sku", &sku) != CM_JSON_OK || !oci_valid_sku(sku)) {
        snprintf(message, sizeof message, "'sku' Invalid characters in sku: %.120s", sku ? sku : "null");
        oci_reply_invalid(request, "sku", message);
        goto out;
    }
    if (cm_json_string(body, "startsOn", &starts_text) != CM_JSON_OK || cm_time_parse(starts_text, &starts_ms) != 0) {
        oci_reply_invalid(request, "startsOn", "'startsOn' must be an ISO 8601 date-time.");
        goto out;
    }
    cm_json_get got = cm_json_string(body, "endsOn", &ends_text);
    if (got == CM_JSON_ABSENT) {
        ends_ms = starts_ms + OCI_EVENT_LOG_MAX_WINDOW_MS;
    } else if (got != CM_JSON_OK || cm_time_parse(ends_text, &ends_ms) != 0 || ends_ms <= starts_ms ||
               ends_ms - starts_ms > OCI_EVENT_LOG_MAX_WINDOW_MS) {
        oci_reply_invalid(request, "endsOn", "'endsOn' must be a date-time after 'startsOn' and at most 30 days later.");
        goto out;
    }
    if (check_ids(request, graph, body, "locations", 0, &places) || check_ids(request, graph, body, "groups", 1, &places))
        goto out;
    if (places > OCI_EVENT_LOG_MAX_PLACES) {
        snprintf(message, sizeof message, "'locations' and 'groups' name %zu places; at most %d are allowed.", places,
                 OCI_EVENT_LOG_MAX_PLACES);
        oci_reply_invalid(request, "locations", message);
        goto out;
    }
    params = json_object_new_object();
    if (!params) {
        oci_reply_internal(request, CM_ENOMEM, "event-log submit");
        goto out;
    }
    json_object_object_add(params, "sku", json_object_new_string(sku));
    json_object_object_add(params, "from", json_object_new_int64(starts_ms));
    json_object_object_add(params, "to", json_object_new_int64(ends_ms));
    json_object *array = NULL;
    if (cm_json_array(body, "locations", &array) == CM_JSON_OK)
        json_object_object_add(params, "locations", json_object_get(array));
    if (cm_json_array(body, "groups", &array) == CM_JSON_OK)
        json_object_object_add(params, "groups", json_object_get(array));
    oci_export_row row;
    memset(&row, 0, sizeof row);
    char uuid[CM_UUID_TEXT_LEN + 1];
    cm_uuid_random(uuid);
    snprintf(row.id, sizeof row.id, "e-%s", uuid);
    snprintf(row.org, sizeof row.org, "%s", org);
    snprintf(row.kind, sizeof row.kind, "events");
    row.places = (char *)cm_json_text(params, NULL);
    snprintf(row.status, sizeof row.status, "PENDING");
    row.created_ms = oci_core_now(core);
    oci_store_conn *writer = NULL;
    cm_err rc = oci_store_write_begin(core->store, &writer);
    if (rc == CM_OK) {
        rc = oci_store_export_insert(writer, &row);
        rc = rc == CM_OK ? oci_store_write_commit(writer) : (oci_store_write_rollback(writer), rc);
    }
    json_object *reply = rc == CM_OK ? json_object_new_object() : NULL;
    if (!reply) {
        oci_reply_internal(request, rc == CM_OK ? CM_ENOMEM : rc, "event-log submit");
        goto out;
    }
    oci_core_wake_worker(core);
    char link[OCI_ORG_MAX + OCI_ID_MAX + 96];
    snprintf(link, sizeof link, EVENT_LOG_PATH, org, row.id);
    json_object_object_add(reply, "exportId", json_object_new_string(row.id));
    json_object_object_add(reply, "exportStatusLink", json_object_new_string(link));
    cm_http_reply_json(request, 200, reply);
out:
    json_object_put(params);
    oci_core_graph_release(core, graph);
    json_object_put(body);
}

/* ---- the file (worker thread) ---- */

typedef struct event_writer {
    FILE *file;
    cm_sha256_ctx hash;
    int64_t processed, exported;
    int failed;
    const char *place_key; /* "locationId" or "groupId" */
    char current[OCI_LOCATION_ID_MAX + 1];
    int current_written;
    json_object *wanted; /* NULL: every place; else the ids of this pass */
    const char *wanted_type; /* "location" or "group" */
    const oci_graph_group *group; /* group pass: its events and its members' */
} event_writer;

static void write_json_line(event_writer *w, json_object *line)
{
    oci_ndjson_line(w->file, &w->hash, &w->failed, line);
}

static void write_place(event_writer *w, const char *key, const char *id)
{
    oci_ndjson_place(w->file, &w->hash, &w->failed, key, id);
}

static json_object *event_line(const oci_event_row *e)
{
    json_object *line = json_object_new_object();
    if (!line)
        return NULL;
    int group = strcmp(e->place_type, "group") == 0;
    int availability = strncmp(e->event_type, "location_", 9) == 0 && strcmp(e->event_type, "location_reservation") != 0;
    int64_t moved = e->new_reserved - e->old_reserved;
    json_object_object_add(line, "eventType", json_object_new_string(e->event_type));
    json_object_object_add(line, group ? "group" : "location", json_object_new_string(e->place));
    json_object_object_add(line, "sequenceNumber", json_object_new_int64(e->seq));
    json_object_object_add(line, "quantity", cm_json_new_milli(availability ? e->new_on_hand : moved < 0 ? -moved : moved));
    json_object_object_add(line, "newReserved", cm_json_new_milli(group ? 0 : e->new_reserved));
    json_object_object_add(line, "newAto", cm_json_new_milli(e->new_ato));
    json_object_object_add(line, "newOnHand", cm_json_new_milli(e->new_on_hand));
    json_object_object_add(line, "newAtf", cm_json_new_milli(e->new_atf));
    json_object_object_add(line, "newSoftReserved", cm_json_new_milli(group ? e->new_reserved : 0));
    json_object_object_add(line, "futureQuantity", cm_json_new_milli(e->new_futures_total));
    json_object_object_add(line, "oldReserved", cm_json_new_milli(group ? 0 : e->old_reserved));
    json_object_object_add(line, "oldAto", cm_json_new_milli(e->old_ato));
    json_object_object_add(line, "oldOnHand", cm_json_new_milli(e->old_on_hand));
    json_object_object_add(line, "oldAtf", cm_json_new_milli(e->old_atf));
    json_object_object_add(line, "oldSoftReserved", cm_json_new_milli(group ? e->old_reserved : 0));
    oci_render_time(line, "createdTime", e->created_ms);
    if (e->has_effective_date)
        oci_render_time(line, "effectiveTime", e->effective_ms);
    json_object_object_add(line, "safetyStockCount", cm_json_new_milli(e->new_safety_stock));
    return line;
}

static int wanted_here(const event_writer *w, const oci_event_row *e)
{
    if (w->group) {
        if (strcmp(e->place_type, "group") == 0)
            return strcmp(e->place, w->group->id) == 0;
        for (size_t i = 0; i < w->group->location_count; i++)
            if (strcmp(w->group->locations[i], e->place) == 0)
                return 1;
        return 0;
    }
    if (!w->wanted)
        return 1;
    if (strcmp(e->place_type, w->wanted_type) != 0)
        return 0;
    for (size_t i = 0; i < json_object_array_length(w->wanted); i++)
        if (strcmp(json_object_get_string(json_object_array_get_idx(w->wanted, i)), e->place) == 0)
            return 1;
    return 0;
}

static int visit_event(void *context, const oci_event_row *e)
{
    event_writer *w = context;
    w->processed++;
    if (!wanted_here(w, e))
        return 0;
    if (!w->group && (!w->current_written || strcmp(w->current, e->place) != 0)) {
        write_place(w, strcmp(e->place_type, "group") == 0 ? "groupId" : "locationId", e->place);
        snprintf(w->current, sizeof w->current, "%s", e->place);
        w->current_written = 1;
    }
    w->exported++;
    write_json_line(w, event_line(e));
    return w->failed;
}

cm_err oci_event_log_export_write(oci_core *core, oci_export_row *row)
{
    char name[OCI_ID_MAX + 16];
    snprintf(name, sizeof name, "%s.ndjson", row->id);
    if (oci_path_join(row->file_path, sizeof row->file_path, core->exports_dir, name) != 0)
        return CM_ETOOBIG;
    json_object *params = NULL, *locations = NULL, *groups = NULL;
    char parse_error[CM_JSON_ERROR_MAX];
    const char *sku = NULL;
    int64_t from = 0, to = 0;
    if (cm_json_parse(row->places, strlen(row->places), CM_JSON_MAX_DEPTH, &params, parse_error) != CM_OK ||
        !json_object_is_type(params, json_type_object) || cm_json_string(params, "sku", &sku) != CM_JSON_OK ||
        cm_json_int64(params, "from", &from) != CM_JSON_OK || cm_json_int64(params, "to", &to) != CM_JSON_OK) {
        json_object_put(params);
        return CM_EINVAL;
    }
    cm_json_array(params, "locations", &locations);
    cm_json_array(params, "groups", &groups);
    event_writer w;
    memset(&w, 0, sizeof w);
    cm_sha256_init(&w.hash);
    w.file = fopen(row->file_path, "wb");
    oci_graph *graph = oci_core_graph_acquire(core, row->org);
    oci_store_conn *reader = w.file && graph ? oci_store_read_begin(core->store) : NULL;
    cm_err rc = reader ? CM_OK : CM_EIO;
    if (rc == CM_OK && !locations && !groups) {
        rc = oci_store_events_of_sku(reader, row->org, sku, from, to, visit_event, &w);
    } else {
        /* One pass per requested place keeps the file grouped by place in request order. */
        for (size_t i = 0; rc == CM_OK && locations && i < json_object_array_length(locations); i++) {
            const char *id = json_object_get_string(json_object_array_get_idx(locations, i));
            json_object *one = json_object_new_array();
            if (!one) {
                rc = CM_ENOMEM;
                break;
            }
            json_object_array_add(one, json_object_new_string(id));
            write_place(&w, "locationId", id);
            w.wanted = one;
            w.wanted_type = "location";
            w.current_written = 1;
            snprintf(w.current, sizeof w.current, "%s", id);
            rc = oci_store_events_of_sku(reader, row->org, sku, from, to, visit_event, &w);
            json_object_put(one);
        }
        for (size_t i = 0; rc == CM_OK && groups && i < json_object_array_length(groups); i++) {
            const char *id = json_object_get_string(json_object_array_get_idx(groups, i));
            write_place(&w, "groupId", id);
            w.group = oci_graph_group_find(graph, id);
            if (w.group)
                rc = oci_store_events_of_sku(reader, row->org, sku, from, to, visit_event, &w);
            w.group = NULL;
        }
    }
    oci_store_read_end(reader);
    oci_core_graph_release(core, graph);
    json_object_put(params);
    /* No event and no place line: an empty body is not the application/json the RAML declares;
     * one empty object line is (and NDJSON readers skip it as an unknown line). */
    if (rc == CM_OK && w.file && ftell(w.file) == 0)
        oci_ndjson_line(w.file, &w.hash, &w.failed, json_object_new_object());
    if (w.file && fclose(w.file) != 0)
        w.failed = 1;
    if (rc == CM_OK && w.failed)
        rc = CM_EIO;
    uint8_t digest[CM_SHA256_LEN];
    if (cm_sha256_final(&w.hash, digest) != CM_OK && rc == CM_OK)
        rc = CM_ENOMEM;
    cm_sha256_hex(digest, row->file_hash);
    struct stat info;
    row->file_size = stat(row->file_path, &info) == 0 ? (int64_t)info.st_size : 0;
    row->processed_count = w.processed;
    row->exported_count = w.exported;
    if (rc != CM_OK)
        cm_log_error("oci.event_log", "export=%s: %s", row->id, cm_strerror(rc));
    return rc;
}
