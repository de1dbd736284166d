/* route_imports.c - the availability import routes of the impex API: submit, list, upload, status,
 * result file and delete. The file itself is processed by the worker (import_worker.c). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/body.h"
#include "common/json_util.h"
#include "common/log.h"
#include "common/uuid.h"
#include "oci_core/core_internal.h"
#include "oci_core/errors.h"
#include "oci_core/limits.h"
#include "oci_core/multipart.h"
#include "oci_core/render.h"
#include "oci_core/route_util.h"

#define IMPORTS_PATH "/inventory/impex/v1/organizations/%s/availability-records/imports"
#define RESULT_FILE_MAX (512u * 1024u * 1024u)

/* Loads the import of the path for the path's organization; replies 404 (returns -1) when absent. */
static int load_import(cm_http_request *request, oci_core *core, const char *param, oci_import_row *row)
{
    return oci_import_load(request, core, cm_http_param(request, param), param, row);
}

int oci_import_load(cm_http_request *request, oci_core *core, const char *id, const char *param, oci_import_row *row)
{
    oci_store_conn *reader = oci_store_read_begin(core->store);
    int found = 0;
    cm_err rc = reader ? oci_store_import_get(reader, id, row, &found) : CM_EDB;
    oci_store_read_end(reader);
    if (rc != CM_OK) {
        oci_reply_internal(request, rc, "import read");
        return -1;
    }
    if (!found || strcmp(row->org, oci_request_org(request)) != 0) {
        oci_reply_problem(request, 404, "EntityNotFound", "An invalid entity was provided as part of the request.",
                          param, NULL, NULL);
        return -1;
    }
    return 0;
}

static const char *shown_status(const oci_core *core, const oci_import_row *row)
{
    return oci_import_shown_status(core, row);
}

const char *oci_import_shown_status(const oci_core *core, const oci_import_row *row)
{
    if (strcmp(row->status, "WAITING") == 0 && row->link_expires_ms <= oci_core_now(core))
        return "EXPIRED";
    return row->status;
}

static int is_hex(const char *text)
{
    for (; *text; text++)
        if (!isxdigit((unsigned char)*text))
            return 0;
    return 1;
}

void oci_route_import_submit(cm_http_request *request, void *data)
{
    oci_core *core = data;
    const char *org = oci_request_org(request);
    json_object *body = oci_request_object(request);
    if (!body)
        return;
    oci_import_row row;
    memset(&row, 0, sizeof row);
    const char *file_name = NULL, *format = NULL, *encoding = NULL, *hash = NULL, *hash_type = NULL;
    int64_t duration = OCI_LINK_DURATION_DEFAULT_MINUTES;
    cm_json_get got;
    if (cm_json_string(body, "fileName", &file_name) != CM_JSON_OK || !*file_name ||
        strlen(file_name) > OCI_FILE_NAME_MAX) {
        oci_reply_invalid(request, "fileName", "The field 'fileName' is missing from the request body.");
        goto out;
    }
    got = cm_json_string(body, "fileFormat", &format);
    if (got == CM_JSON_WRONG_TYPE || (got == CM_JSON_OK && strcasecmp(format, "JSON") != 0)) {
        oci_reply_invalid(request, "fileFormat", "'fileFormat' must be JSON.");
        goto out;
    }
    got = cm_json_string(body, "fileEncoding", &encoding);
    if (got == CM_JSON_WRONG_TYPE || (got == CM_JSON_OK && strcasecmp(encoding, "GZIP") != 0)) {
        oci_reply_invalid(request, "fileEncoding", "'fileEncoding' must be GZIP when given.");
        goto out;
    }
    got = cm_json_string(body, "fileHash", &hash);
    if (got == CM_JSON_WRONG_TYPE ||
        (got == CM_JSON_OK && (strlen(hash) == 0 || strlen(hash) >= sizeof row.file_hash || !is_hex(hash)))) {
        oci_reply_invalid(request, "fileHash", "'fileHash' must be a hexadecimal digest.");
        goto out;
    }
    got = cm_json_string(body, "fileHashType", &hash_type);
    if (got == CM_JSON_WRONG_TYPE ||
        (got == CM_JSON_OK && strcmp(hash_type, "SHA-256") != 0 && strcmp(hash_type, "SHA-512") != 0)) {
        oci_reply_invalid(request, "fileHashType", "'fileHashType' must be SHA-256 or SHA-512.");
        goto out;
    }
    got = cm_json_int64(body, "linkDuration", &duration);
    if (got == CM_JSON_WRONG_TYPE || got == CM_JSON_OUT_OF_RANGE || duration < 1 ||
        duration > OCI_LINK_DURATION_MAX_MINUTES) {
        char message[120];
        snprintf(message, sizeof message, "'linkDuration' must be a whole number of minutes, 1..%d.",
                 OCI_LINK_DURATION_MAX_MINUTES);
        oci_reply_invalid(request, "linkDuration", message);
        goto out;
    }
    if (core->config->oci.strict) {
        /* oci.strict: one running import per organization, as the real service allows. */
        char busy_id[OCI_ID_MAX + 1];
        int busy = 0;
        oci_store_conn *reader = oci_store_read_begin(core->store);
        cm_err busy_rc = reader ? oci_store_import_running(reader, org, busy_id, &busy) : CM_EDB;
        oci_store_read_end(reader);
        if (busy_rc != CM_OK) {
            oci_reply_internal(request, busy_rc, "import submit");
            goto out;
        }
        if (busy) {
            char message[160];
            snprintf(message, sizeof message, "Import %s is in progress.", busy_id);
            oci_reply_problem(request, 409, "ImportInProgress", message, NULL, NULL, NULL);
            goto out;
        }
    }
    cm_uuid_random(row.id);
    snprintf(row.org, sizeof row.org, "%s", org);
    snprintf(row.file_name, sizeof row.file_name, "%s", file_name);
    snprintf(row.file_encoding, sizeof row.file_encoding, "%s", encoding ? "GZIP" : "");
    snprintf(row.file_hash, sizeof row.file_hash, "%s", hash ? hash : "");
    snprintf(row.file_hash_type, sizeof row.file_hash_type, "%s", hash ? (hash_type ? hash_type : "SHA-256") : "");
    snprintf(row.status, sizeof row.status, "WAITING");
    row.created_ms = oci_core_now(core);
    row.link_expires_ms = row.created_ms + duration * 60 * 1000;
    oci_store_conn *writer = NULL;
    cm_err rc = oci_store_write_begin(core->store, &writer);
    if (rc == CM_OK) {
        rc = oci_store_import_insert(writer, &row);
        rc = rc == CM_OK ? oci_store_write_commit(writer) : (oci_store_write_rollback(writer), rc);
    }
    if (rc != CM_OK) {
        oci_reply_internal(request, rc, "import submit");
        goto out;
    }
    char base[512], link[640];
    snprintf(base, sizeof base, IMPORTS_PATH, org);
    json_object *reply = json_object_new_object();
    if (!reply) {
        oci_reply_internal(request, CM_ENOMEM, "import submit");
        goto out;
    }
    json_object_object_add(reply, "importId", json_object_new_string(row.id));
    snprintf(link, sizeof link, "%s/%s/status", base, row.id);
    json_object_object_add(reply, "importStatusLink", json_object_new_string(link));
    snprintf(link, sizeof link, "%s/uploadlink/%s", base, row.id);
    json_object_object_add(reply, "uploadLink", json_object_new_string(link));
    json_object_object_add(reply, "uploadMethod", json_object_new_string("POST"));
    oci_render_time(reply, "uploadLinkExpirationUTC", row.link_expires_ms);
    cm_http_reply_json(request, 200, reply);
out:
    json_object_put(body);
}

static int add_id(void *context, const char *id)
{
    json_object_array_add(context, json_object_new_string(id));
    return 0;
}

void oci_route_import_list(cm_http_request *request, void *data)
{
    oci_core *core = data;
    const char *available = cm_http_query(request, "available");
    if (available && strcmp(available, "true") != 0 && strcmp(available, "false") != 0) {
        oci_reply_invalid(request, "available", "'available' must be true or false.");
        return;
    }
    json_object *reply = json_object_new_object();
    json_object *ids = json_object_new_array();
    oci_store_conn *reader = reply && ids ? oci_store_read_begin(core->store) : NULL;
    cm_err rc = reader ? oci_store_import_list(reader, oci_request_org(request), available && strcmp(available, "true") == 0,
                                               oci_core_now(core), add_id, ids)
                       : CM_ENOMEM;
    oci_store_read_end(reader);
    if (rc != CM_OK) {
        json_object_put(reply);
        json_object_put(ids);
        oci_reply_internal(request, rc, "import list");
        return;
    }
    json_object_object_add(reply, "imports", ids);
    cm_http_reply_json(request, 200, reply);
}

/* Finds the file in the upload: a multipart part or the whole body. Replies 400 on a bad multipart. */
static int locate_file(cm_http_request *request, const char *path, uint64_t size, int64_t *offset,
                       int64_t *length, int *gzip)
{
    *offset = 0;
    *length = (int64_t)size;
    *gzip = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        oci_reply_internal(request, CM_EIO, "upload open");
        return -1;
    }
    const char *content_type = cm_http_header(request, "Content-Type");
    const unsigned char *map = NULL;
    if (size > 0) {
        map = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map == MAP_FAILED) {
            close(fd);
            oci_reply_internal(request, CM_EIO, "upload map");
            return -1;
        }
    }
    close(fd);
    int rc = 0;
    if (oci_multipart_is_form(content_type)) {
        char boundary[OCI_MULTIPART_BOUNDARY_MAX + 1], error[OCI_MULTIPART_ERROR_MAX];
        oci_multipart_file file;
        if (oci_multipart_boundary(content_type, boundary) != CM_OK) {
            oci_reply_invalid(request, "Content-Type", "The multipart/form-data Content-Type has no valid boundary.");
            rc = -1;
        } else if (!map || oci_multipart_find_file((const char *)map, (size_t)size, boundary, &file, error) != CM_OK) {
            oci_reply_invalid(request, "file", map ? error : "The multipart body is empty.");
            rc = -1;
        } else {
            *offset = (int64_t)file.offset;
            *length = (int64_t)file.length;
        }
    }
    if (rc == 0 && *length >= 2 && map[*offset] == 0x1f && map[*offset + 1] == 0x8b)
        *gzip = 1;
    if (map)
        munmap((void *)map, (size_t)size);
    return rc;
}

/* Moves the taken upload into the imports folder (copying when rename cannot). */
static int keep_upload(const char *from, const char *to)
{
    if (rename(from, to) == 0)
        return 0;
    if (errno != EXDEV)
        return -1;
    int in = open(from, O_RDONLY | O_CLOEXEC), out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int rc = in >= 0 && out >= 0 ? 0 : -1;
    char buffer[65536];
    ssize_t n;
    while (rc == 0 && (n = read(in, buffer, sizeof buffer)) > 0)
        if (write(out, buffer, (size_t)n) != n)
            rc = -1;
    if (in >= 0)
        close(in);
    if (out >= 0 && close(out) != 0)
        rc = -1;
    unlink(from);
    return rc;
}

void oci_route_import_upload(cm_http_request *request, void *data)
{
    oci_core *core = data;
    oci_import_row row;
    if (load_import(request, core, "uploadLinkId", &row) != 0)
        return;
    if (strcmp(row.status, "WAITING") != 0) {
        oci_reply_problem(request, 409, "FileAlreadyReceived", "The file for this uploadLink has already been received.",
                          "uploadLinkId", NULL, NULL);
        return;
    }
    if (row.link_expires_ms <= oci_core_now(core)) {
        oci_reply_problem(request, 410, "ExpiredUploadLink", "The upload link has expired or is no longer valid.",
                          "uploadLinkId", NULL, NULL);
        return;
    }
    if (oci_import_accept_upload(request, core, &row) != 0)
        return;
    /* The upload is taken: the answer must not depend on an allocation (a 503 now would be a lie,
     * and the client's retry would meet 409). The id is a UUID: nothing to escape. */
    char reply[64 + OCI_ID_MAX];
    int length = snprintf(reply, sizeof reply, "{\"status\":\"PENDING\",\"importId\":\"%s\"}", row.id);
    cm_http_reply_bytes(request, 200, "application/json", reply, (size_t)length);
}

int oci_import_accept_upload(cm_http_request *request, oci_core *core, const oci_import_row *import)
{
    oci_import_row row = *import;
    uint64_t size = 0;
    const char *body_path = cm_http_body_file(request, &size);
    int64_t offset, length;
    int gzip;
    if (!body_path) {
        oci_reply_internal(request, CM_EIO, "upload body");
        return -1;
    }
    if (locate_file(request, body_path, size, &offset, &length, &gzip) != 0)
        return -1;
    char name[OCI_ID_MAX + 16], path[OCI_PATH_MAX];
    snprintf(name, sizeof name, "%s.upload", row.id);
    char *taken = oci_path_join(path, sizeof path, core->imports_dir, name) == 0 ? cm_http_take_body_file(request) : NULL;
    if (!taken || keep_upload(taken, path) != 0) {
        if (taken)
            unlink(taken);
        free(taken);
        oci_reply_internal(request, CM_EIO, "upload keep");
        return -1;
    }
    free(taken);
    oci_store_conn *writer = NULL;
    int changed = 0;
    cm_err rc = oci_store_write_begin(core->store, &writer);
    if (rc == CM_OK) {
        rc = oci_store_import_set_uploaded(writer, row.id, path, offset, length, gzip, &changed);
        rc = rc == CM_OK ? oci_store_write_commit(writer) : (oci_store_write_rollback(writer), rc);
    }
    if (rc != CM_OK || !changed) {
        unlink(path);
        if (rc != CM_OK)
            oci_reply_internal(request, rc, "upload record");
        else
            oci_reply_problem(request, 409, "FileAlreadyReceived",
                              "The file for this uploadLink has already been received.", "uploadLinkId", NULL, NULL);
        return -1;
    }
    oci_core_wake_worker(core);
    cm_log_info("oci.import_uploaded", "import=%s bytes=%lld gzip=%d", row.id, (long long)length, gzip);
    return 0;
}

cm_err oci_import_create(oci_core *core, const char *org, const char *file_name, oci_import_row *row)
{
    memset(row, 0, sizeof *row);
    cm_uuid_random(row->id);
    snprintf(row->org, sizeof row->org, "%s", org);
    snprintf(row->file_name, sizeof row->file_name, "%s", file_name);
    snprintf(row->status, sizeof row->status, "WAITING");
    row->created_ms = oci_core_now(core);
    row->link_expires_ms = row->created_ms + (int64_t)OCI_LINK_DURATION_DEFAULT_MINUTES * 60 * 1000;
    oci_store_conn *writer = NULL;
    cm_err rc = oci_store_write_begin(core->store, &writer);
    if (rc == CM_OK) {
        rc = oci_store_import_insert(writer, row);
        rc = rc == CM_OK ? oci_store_write_commit(writer) : (oci_store_write_rollback(writer), rc);
    }
    return rc;
}

void oci_route_import_status(cm_http_request *request, void *data)
{
    oci_core *core = data;
    oci_import_row row;
    if (load_import(request, core, "importId", &row) != 0)
        return;
    json_object *reply = json_object_new_object(), *validation = json_object_new_object(),
                *errors = json_object_new_array(), *upload = json_object_new_object(),
                *import = json_object_new_object();
    if (!reply || !validation || !errors || !upload || !import) {
        json_object_put(reply);
        json_object_put(validation);
        json_object_put(errors);
        json_object_put(upload);
        json_object_put(import);
        oci_reply_internal(request, CM_ENOMEM, "import status");
        return;
    }
    json_object_object_add(reply, "importId", json_object_new_string(row.id));
    json_object_object_add(reply, "status", json_object_new_string(shown_status(core, &row)));
    const char *validation_status = row.validation_error[0] ? "Failed" : row.started_ms ? "Success" : "Pending";
    json_object_object_add(validation, "status", json_object_new_string(validation_status));
    if (row.validation_error[0])
        json_object_array_add(errors, json_object_new_string(row.validation_error));
    json_object_object_add(validation, "errors", errors);
    json_object_object_add(reply, "validation", validation);
    json_object_object_add(upload, "fileName", json_object_new_string(row.file_name));
    json_object_object_add(reply, "upload", upload);
    if (row.started_ms)
        oci_render_time(import, "startTimeUTC", row.started_ms);
    if (row.ended_ms)
        oci_render_time(import, "endTimeUTC", row.ended_ms);
    json_object_object_add(import, "recordsProcessedCount", json_object_new_int64(row.processed_count));
    json_object_object_add(import, "recordsReadCount", json_object_new_int64(row.read_count));
    json_object_object_add(import, "recordsSkippedCount", json_object_new_int64(row.skipped_count));
    /* ImportStatusResponseObject.raml requires import.fullResults (href and expiration) in every
     * status; before the import ends its link answers 409 ImportInProgress, and it lives for the
     * result link's time from the end (or, until then, from the submission). */
    json_object *full = json_object_new_object();
    if (full) {
        char href[640];
        snprintf(href, sizeof href, IMPORTS_PATH "/%s/file-content", row.org, row.id);
        json_object_object_add(full, "href", json_object_new_string(href));
        oci_render_time(full, "exportResultExpirationUTC",
                        (row.ended_ms ? row.ended_ms : row.created_ms) + OCI_RESULT_LINK_TTL_MS);
        json_object_object_add(import, "fullResults", full);
    }
    json_object_object_add(reply, "import", import);
    oci_reply_action(request, 200, reply);
}

static int add_error_line(void *context, const char *record_id, const char *location, const char *sku,
                          const char *message)
{
    json_object *line = json_object_new_object();
    if (!line)
        return 1;
    json_object_object_add(line, "recordId", json_object_new_string(record_id));
    json_object_object_add(line, "locationId", json_object_new_string(location));
    json_object_object_add(line, "sku", json_object_new_string(sku));
    json_object_object_add(line, "message", json_object_new_string(message));
    size_t length = 0;
    const char *text = cm_json_text(line, &length);
    int stop = cm_body_append(context, text, length) != CM_OK || cm_body_append(context, "\n", 1) != CM_OK;
    json_object_put(line);
    return stop;
}

void oci_route_import_file(cm_http_request *request, void *data)
{
    oci_core *core = data;
    oci_import_row row;
    if (load_import(request, core, "importId", &row) != 0)
        return;
    if (strcmp(row.status, "COMPLETED") != 0 && strcmp(row.status, "FAILED") != 0) {
        char message[160];
        snprintf(message, sizeof message, "Import %s is in progress.", row.id);
        oci_reply_problem(request, 409, "ImportInProgress", message, "importId", NULL, NULL);
        return;
    }
    cm_body file;
    cm_body_init(&file, RESULT_FILE_MAX);
    cm_err rc = cm_body_appendf(&file, "{\"status\":\"%s\"}\n", row.result_status[0] ? row.result_status : "FAILED");
    if (rc == CM_OK) {
        oci_store_conn *reader = oci_store_read_begin(core->store);
        rc = reader ? oci_store_import_errors_scan(reader, row.id, add_error_line, &file) : CM_EDB;
        oci_store_read_end(reader);
    }
    if (rc != CM_OK) {
        cm_body_free(&file);
        oci_reply_internal(request, rc, "import result file");
        return;
    }
    size_t length = 0;
    char *text = cm_body_take(&file, &length);
    /* The RAML declares no media type for this body: the API's default, application/json. */
    cm_http_reply_owned(request, 200, "application/json", text, length);
    cm_body_free(&file);
}

void oci_route_import_delete(cm_http_request *request, void *data)
{
    oci_core *core = data;
    oci_import_row row;
    if (load_import(request, core, "importId", &row) != 0)
        return;
    if (strcmp(row.status, "PENDING") == 0 || strcmp(row.status, "RUNNING") == 0) {
        char message[160];
        snprintf(message, sizeof message, "Import %s is in progress.", row.id);
        oci_reply_problem(request, 409, "ImportInProgress", message, "importId", NULL, NULL);
        return;
    }
    oci_store_conn *writer = NULL;
    cm_err rc = oci_store_write_begin(core->store, &writer);
    if (rc == CM_OK) {
        rc = oci_store_import_delete(writer, row.id);
        rc = rc == CM_OK ? oci_store_write_commit(writer) : (oci_store_write_rollback(writer), rc);
    }
    if (rc != CM_OK) {
        oci_reply_internal(request, rc, "import delete");
        return;
    }
    if (row.upload_path[0])
        unlink(row.upload_path);
    cm_http_reply_empty(request, 204);
}
