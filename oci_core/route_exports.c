/* route_exports.c - availability exports (by locations or by groups) ending with a delta token,
 * and the status, file and delete routes shared with location-graph exports. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/json_util.h"
#include "common/log.h"
#include "common/digest.h"
#include "common/uuid.h"
#include "oci_core/core_internal.h"
#include "oci_core/errors.h"
#include "oci_core/ids.h"
#include "oci_core/limits.h"
#include "oci_core/render.h"
#include "oci_core/reserve.h"
#include "oci_core/route_util.h"

#define EXPORTS_PATH "/inventory/impex/v1/organizations/%s/%s/exports/%s"

static const char *export_collection(const char *kind)
{
    return strcmp(kind, "graph") == 0 ? "location-graph" : strcmp(kind, "events") == 0 ? "event-log" : "availability-records";
}

/* Inserts a PENDING export and answers {exportId, exportStatusLink}. */
static void submit_export(cm_http_request *request, oci_core *core, const char *kind, const char *place_type,
                          const char *places)
{
    oci_export_row row;
    memset(&row, 0, sizeof row);
    cm_uuid_random(row.id);
    snprintf(row.org, sizeof row.org, "%s", oci_request_org(request));
    snprintf(row.kind, sizeof row.kind, "%s", kind);
    snprintf(row.place_type, sizeof row.place_type, "%s", place_type);
    row.places = (char *)places;
    snprintf(row.status, sizeof row.status, "PENDING");
    row.created_ms = oci_core_now(core);
    oci_store_conn *writer = NULL;
    cm_err rc = oci_store_write_begin(core->store, &writer);
    if (rc == CM_OK) {
        rc = oci_store_export_insert(writer, &row);
        rc = rc == CM_OK ? oci_store_write_commit(writer) : (oci_store_write_rollback(writer), rc);
    }
    if (rc != CM_OK) {
        oci_reply_internal(request, rc, "export submit");
        return;
    }
    oci_core_wake_worker(core);
    char link[640], tail[OCI_ID_MAX + 16];
    snprintf(tail, sizeof tail, "%s/status", row.id);
    snprintf(link, sizeof link, EXPORTS_PATH, row.org, export_collection(kind), tail);
    json_object *reply = json_object_new_object();
    if (!reply) {
        oci_reply_internal(request, CM_ENOMEM, "export submit");
        return;
    }
    json_object_object_add(reply, "exportId", json_object_new_string(row.id));
    json_object_object_add(reply, "exportStatusLink", json_object_new_string(link));
    oci_reply_action(request, 200, reply);
}

void oci_route_export_submit(cm_http_request *request, void *data)
{
    oci_core *core = data;
    json_object *body = oci_request_object(request);
    if (!body)
        return;
    oci_graph *graph = oci_core_graph_acquire(core, oci_request_org(request));
    json_object *objects = NULL, *locations = NULL, *groups = NULL;
    if (cm_json_object(body, "objects", &objects) != CM_JSON_OK) {
        oci_reply_invalid(request, "objects", "The field 'objects' with 'locations' or 'groups' is required.");
        goto out;
    }
    cm_json_get has_locations = cm_json_array(objects, "locations", &locations);
    cm_json_get has_groups = cm_json_array(objects, "groups", &groups);
    if (has_locations == CM_JSON_OK && has_groups == CM_JSON_OK) {
        oci_reply_invalid(request, "objects", "Locations and Groups not allowed in the same request.");
        goto out;
    }
    json_object *places = has_locations == CM_JSON_OK ? locations : groups;
    const char *key = has_locations == CM_JSON_OK ? "locations" : "groups";
    if ((has_locations != CM_JSON_OK && has_groups != CM_JSON_OK) || json_object_array_length(places) == 0) {
        oci_reply_invalid(request, "objects", "'objects.locations' or 'objects.groups' must be a non-empty array of ids.");
        goto out;
    }
    if (!graph) {
        oci_reply_internal(request, CM_ENOMEM, "export submit");
        goto out;
    }
    for (size_t i = 0; i < json_object_array_length(places); i++) {
        json_object *item = json_object_array_get_idx(places, i);
        const char *id = json_object_is_type(item, json_type_string) ? json_object_get_string(item) : NULL;
        char message[200], parameter[64];
        snprintf(parameter, sizeof parameter, "objects.%s[%zu]", key, i);
        if (!id) {
            snprintf(message, sizeof message, "'%s' must be a string.", parameter);
            oci_reply_invalid(request, parameter, message);
            goto out;
        }
        if (places == locations && !oci_graph_has_location(graph, id)) {
            snprintf(message, sizeof message, "No location exists with ID '%.100s'", id);
            oci_reply_problem(request, 400, "LocationDoesNotExist", message, parameter, "location", id);
            goto out;
        }
        if (places == groups && !oci_graph_group_find(graph, id)) {
            snprintf(message, sizeof message, "No group exists with ID '%.100s'", id);
            oci_reply_problem(request, 400, "GroupDoesNotExist", message, parameter, "group", id);
            goto out;
        }
    }
    submit_export(request, core, "availability", key, cm_json_text(places, NULL));
out:
    oci_core_graph_release(core, graph);
    json_object_put(body);
}

/* The RAML declares no body; one that is sent must be a JSON object (its members are ignored),
 * else 400 InvalidRequestParameter, the 400 the RAML lists for this route. */
void oci_route_graph_export_submit(cm_http_request *request, void *data)
{
    size_t length = 0;
    const char *body = cm_http_body(request, &length);
    size_t blank = 0;
    while (body && blank < length &&
           (body[blank] == ' ' || body[blank] == '\t' || body[blank] == '\r' || body[blank] == '\n'))
        blank++;
    if (body && blank < length) {
        json_object *object = oci_request_object(request);
        if (!object)
            return;
        json_object_put(object);
    }
    submit_export(request, data, "graph", "", "[]");
}

/* ---- producing the file (worker thread) ---- */

typedef struct export_writer {
    FILE *file;
    cm_sha256_ctx hash;
    int64_t processed, exported;
    int failed;
    /* group aggregation */
    int grouping;
    char sku[OCI_SKU_MAX + 1];
    oci_group_sum sum;
    oci_store_conn *reader;
    const oci_graph *graph;
    const char *org, *group_id;
} export_writer;

static void write_line(export_writer *writer, json_object *line)
{
    oci_ndjson_line(writer->file, &writer->hash, &writer->failed, line);
}

static void write_place_line(export_writer *writer, const char *key, const char *id)
{
    oci_ndjson_place(writer->file, &writer->hash, &writer->failed, key, id);
}

static int visit_location_record(void *context, const char *location, const char *sku, const oci_quantities *record)
{
    (void)location;
    export_writer *writer = context;
    writer->processed++;
    writer->exported++;
    write_line(writer, oci_render_location_record(sku, record));
    return writer->failed;
}

static void flush_group_sku(export_writer *writer)
{
    if (writer->sku[0]) {
        writer->exported++;
        if (oci_group_promise_figures(writer->reader, writer->graph, writer->org, writer->sku, writer->group_id,
                                      &writer->sum.group_reserved, &writer->sum.shared_group_reserved) != CM_OK)
            writer->failed = 1;
        write_line(writer, oci_render_group_record(writer->sku, &writer->sum));
    }
    oci_group_sum_free(&writer->sum);
    oci_group_sum_init(&writer->sum);
    writer->sku[0] = '\0';
}

static int visit_group_record(void *context, const char *location, const char *sku, const oci_quantities *record)
{
    (void)location;
    export_writer *writer = context;
    writer->processed++;
    if (strcmp(writer->sku, sku) != 0) {
        flush_group_sku(writer);
        snprintf(writer->sku, sizeof writer->sku, "%s", sku);
    }
    if (oci_group_sum_add(&writer->sum, record) != CM_OK)
        writer->failed = 1;
    return writer->failed;
}

cm_err oci_export_run(oci_core *core, oci_export_row *row)
{
    char name[OCI_ID_MAX + 16];
    snprintf(name, sizeof name, "%s.ndjson", row->id);
    if (oci_path_join(row->file_path, sizeof row->file_path, core->exports_dir, name) != 0)
        return CM_ETOOBIG;
    json_object *places = NULL;
    char parse_error[CM_JSON_ERROR_MAX];
    if (cm_json_parse(row->places, strlen(row->places), CM_JSON_MAX_DEPTH, &places, parse_error) != CM_OK ||
        !json_object_is_type(places, json_type_array)) {
        json_object_put(places);
        return CM_EINVAL;
    }
    export_writer writer;
    memset(&writer, 0, sizeof writer);
    cm_sha256_init(&writer.hash);
    oci_group_sum_init(&writer.sum);
    writer.file = fopen(row->file_path, "wb");
    oci_graph *graph = oci_core_graph_acquire(core, row->org);
    oci_store_conn *reader = writer.file && graph ? oci_store_read_begin(core->store) : NULL;
    oci_delta_token token;
    memset(&token, 0, sizeof token);
    cm_err rc = reader ? oci_store_events_last_seq(reader, row->org, &token.after_seq) : CM_EIO;
    int by_groups = strcmp(row->place_type, "groups") == 0;
    for (size_t i = 0; rc == CM_OK && !writer.failed && i < json_object_array_length(places); i++) {
        const char *id = json_object_get_string(json_object_array_get_idx(places, i));
        const oci_graph_group *group = by_groups ? oci_graph_group_find(graph, id) : NULL;
        write_place_line(&writer, by_groups ? "groupId" : "locationId", id);
        writer.reader = reader;
        writer.graph = graph;
        writer.org = row->org;
        writer.group_id = id;
        if (by_groups && !group)
            continue; /* removed from the graph since the request: an empty group */
        char *members = by_groups ? oci_ids_json((const char *const *)group->locations, group->location_count)
                                  : oci_ids_json(&id, 1);
        if (!members) {
            rc = CM_ENOMEM;
            break;
        }
        rc = oci_store_records_scan(reader, row->org, members, by_groups,
                                    by_groups ? visit_group_record : visit_location_record, &writer);
        free(members);
        if (by_groups)
            flush_group_sku(&writer);
    }
    oci_store_read_end(reader);
    oci_group_sum_free(&writer.sum);
    if (rc == CM_OK && !writer.failed) {
        char uuid[CM_UUID_TEXT_LEN + 1];
        cm_uuid_random(uuid);
        snprintf(token.token, sizeof token.token, "%s", uuid);
        snprintf(token.org, sizeof token.org, "%s", row->org);
        snprintf(token.place_type, sizeof token.place_type, "%s", row->place_type);
        token.places = row->places;
        token.created_ms = oci_core_now(core);
        oci_store_conn *store_writer = NULL;
        rc = oci_store_write_begin(core->store, &store_writer);
        if (rc == CM_OK) {
            rc = oci_store_token_insert(store_writer, &token);
            rc = rc == CM_OK ? oci_store_write_commit(store_writer) : (oci_store_write_rollback(store_writer), rc);
        }
        if (rc == CM_OK)
            write_place_line(&writer, "deltaToken", token.token);
    }
    oci_core_graph_release(core, graph);
    json_object_put(places);
    if (writer.file && fclose(writer.file) != 0)
        writer.failed = 1;
    if (rc == CM_OK && writer.failed)
        rc = CM_EIO;
    uint8_t digest[CM_SHA256_LEN];
    if (cm_sha256_final(&writer.hash, digest) != CM_OK && rc == CM_OK)
        rc = CM_ENOMEM;
    cm_sha256_hex(digest, row->file_hash);
    struct stat info;
    row->file_size = stat(row->file_path, &info) == 0 ? (int64_t)info.st_size : 0;
    row->processed_count = writer.processed;
    row->exported_count = writer.exported;
    if (rc != CM_OK)
        cm_log_error("oci.export", "export=%s: %s", row->id, cm_strerror(rc));
    return rc;
}

/* ---- status, file, delete (both kinds) ---- */

static int load_export(cm_http_request *request, oci_core *core, oci_export_row *row)
{
    const char *id = cm_http_param(request, "exportId");
    const char *path = cm_http_path(request);
    const char *kind = strstr(path, "/location-graph/") ? "graph" : strstr(path, "/event-log/") ? "events" : "availability";
    oci_store_conn *reader = oci_store_read_begin(core->store);
    int found = 0;
    cm_err rc = reader ? oci_store_export_get(reader, id, row, &found) : CM_EDB;
    oci_store_read_end(reader);
    if (rc != CM_OK) {
        oci_reply_internal(request, rc, "export read");
        return -1;
    }
    if (!found || strcmp(row->org, oci_request_org(request)) != 0 || strcmp(row->kind, kind) != 0) {
        oci_export_row_clear(row);
        oci_reply_problem(request, 404, "EntityNotFound", "An invalid entity was provided as part of the request.",
                          "exportId", NULL, NULL);
        return -1;
    }
    return 0;
}

static int in_process(const oci_export_row *row)
{
    return strcmp(row->status, "PENDING") == 0 || strcmp(row->status, "RUNNING") == 0;
}

static void reply_in_process(cm_http_request *request, const oci_export_row *row)
{
    char message[160];
    snprintf(message, sizeof message, "Export %s is in progress.", row->id);
    oci_reply_problem(request, 409, "ExportInProcess", message, "exportId", NULL, NULL);
}

void oci_route_export_status(cm_http_request *request, void *data)
{
    oci_core *core = data;
    oci_export_row row;
    if (load_export(request, core, &row) != 0)
        return;
    json_object *reply = json_object_new_object(), *export = json_object_new_object();
    if (!reply || !export) {
        json_object_put(reply);
        json_object_put(export);
        oci_export_row_clear(&row);
        oci_reply_internal(request, CM_ENOMEM, "export status");
        return;
    }
    json_object_object_add(reply, "id", json_object_new_string(row.id));
    json_object_object_add(reply, "status", json_object_new_string(row.status));
    if (row.started_ms)
        oci_render_time(export, "startTimeUTC", row.started_ms);
    if (row.ended_ms)
        oci_render_time(export, "endTimeUTC", row.ended_ms);
    json_object_object_add(export, "recordsProcessedCount", json_object_new_int64(row.processed_count));
    json_object_object_add(export, "recordsExportedCount", json_object_new_int64(row.exported_count));
    if (row.place_type[0]) {
        json_object *places = NULL;
        char error[CM_JSON_ERROR_MAX];
        if (cm_json_parse(row.places, strlen(row.places), CM_JSON_MAX_DEPTH, &places, error) == CM_OK && places)
            json_object_object_add(export, row.place_type, places);
    }
    json_object_object_add(reply, "export", export);
    if (strcmp(row.kind, "graph") == 0) /* an extension: a change in progress (graph_change.c) */
        json_object_object_add(reply, "graphChange", oci_core_graph_change_json(core, row.org));
    if (strcmp(row.status, "COMPLETED") == 0) {
        json_object *download = json_object_new_object(), *validation = json_object_new_object();
        char link[640], tail[OCI_ID_MAX + 16];
        snprintf(tail, sizeof tail, "%s/file-content", row.id);
        snprintf(link, sizeof link, EXPORTS_PATH, row.org, export_collection(row.kind), tail);
        if (download) {
            json_object_object_add(download, "downloadLink", json_object_new_string(link));
            oci_render_time(download, "downloadLinkExpirationUTC", row.expires_ms);
            json_object_object_add(reply, "download", download);
        }
        if (validation) {
            json_object_object_add(validation, "fileHashType", json_object_new_string("SHA-256"));
            json_object_object_add(validation, "fileHash", json_object_new_string(row.file_hash));
            json_object_object_add(validation, "fileSize", json_object_new_int64(row.file_size));
            json_object_object_add(reply, "validation", validation);
        }
    }
    oci_export_row_clear(&row);
    oci_reply_action(request, 200, reply);
}

void oci_route_export_file(cm_http_request *request, void *data)
{
    oci_core *core = data;
    oci_export_row row;
    if (load_export(request, core, &row) != 0)
        return;
    if (in_process(&row)) {
        reply_in_process(request, &row);
    } else if (strcmp(row.status, "COMPLETED") != 0) {
        oci_reply_problem(request, 409, "ExportProcessFailed", "The export failed; submit a new one.", "exportId",
                          NULL, NULL);
    } else if (row.expires_ms <= oci_core_now(core)) {
        oci_reply_problem(request, 410, "ExpiredResultLink", "The download link has expired or is no longer valid.",
                          "exportId", NULL, NULL);
    } else {
        int fd = open(row.file_path, O_RDONLY | O_CLOEXEC);
        struct stat info;
        if (fd < 0 || fstat(fd, &info) != 0) {
            if (fd >= 0)
                close(fd);
            oci_reply_problem(request, 410, "ExpiredResultLink", "The export file is no longer available.",
                              "exportId", NULL, NULL);
        } else {
            /* What impex.raml declares per file-content route: the graph and the event log
             * application/json; availability exports application/json for groups and
             * application/text for locations (ExportGroup/ExportLocationDownloadRequestResponse200). */
            const char *type = strcmp(row.kind, "availability") == 0 && strcmp(row.place_type, "locations") == 0
                                   ? "application/text"
                                   : "application/json";
            cm_http_reply_fd(request, 200, type, fd, (uint64_t)info.st_size);
        }
    }
    oci_export_row_clear(&row);
}

void oci_route_export_delete(cm_http_request *request, void *data)
{
    oci_core *core = data;
    oci_export_row row;
    if (load_export(request, core, &row) != 0)
        return;
    if (in_process(&row)) {
        reply_in_process(request, &row);
        oci_export_row_clear(&row);
        return;
    }
    oci_store_conn *writer = NULL;
    cm_err rc = oci_store_write_begin(core->store, &writer);
    if (rc == CM_OK) {
        rc = oci_store_export_delete(writer, row.id);
        rc = rc == CM_OK ? oci_store_write_commit(writer) : (oci_store_write_rollback(writer), rc);
    }
    if (rc == CM_OK && row.file_path[0])
        unlink(row.file_path);
    oci_export_row_clear(&row);
    if (rc != CM_OK)
        oci_reply_internal(request, rc, "export delete");
    else
        cm_http_reply_empty(request, 204);
}
