/*
 * control_state.c - the emulator's state routes (control.h) and the start/stop snapshot files
 * (oci_core.h): POST /_omsgw/state/reset, GET /_omsgw/state/export, POST /_omsgw/state/import.
 *
 * A snapshot is one JSON object:
 *   {"format": "omsgw-oci-state", "version": 1, "omsgwVersion": "…", "exportedAt": "…",
 *    "clockOffsetMs": n,
 *    "organizations": [{"id": "…", "graph": {location-graph export format},
 *                       "tables": {"records": [{column: value…}…], "events": […], …},
 *                       "exportFiles": {"<export id>": "<NDJSON text>"}}]}
 * Every time in it is the core's clock; the clock offset travels with it so that delta tokens and
 * links keep their remaining lifetime. Imports still PENDING or RUNNING and exports still being
 * written cannot be carried (their work is half done on disk): the export answers 409 naming them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/json_util.h"
#include "common/log.h"
#include "oci_core/control.h"
#include "oci_core/control_internal.h"
#include "oci_core/core_internal.h"
#include "oci_core/graph.h"

#define SAY(...) snprintf(error, OCI_ERROR_MAX, __VA_ARGS__)

/* ---- helpers ---- */

static char *read_text_file(const char *path, size_t max, size_t *length)
{
    FILE *file = fopen(path, "rb");
    if (!file)
        return NULL;
    char *text = NULL;
    struct stat info;
    if (fstat(fileno(file), &info) == 0 && (uint64_t)info.st_size <= max && (text = malloc((size_t)info.st_size + 1))) {
        *length = fread(text, 1, (size_t)info.st_size, file);
        text[*length] = '\0';
    }
    fclose(file);
    return text;
}

static int write_file(const char *path, const char *data, size_t length)
{
    FILE *file = fopen(path, "wb");
    if (!file)
        return -1;
    int ok = fwrite(data, 1, length, file) == length;
    ok = fclose(file) == 0 && ok;
    return ok ? 0 : -1;
}

static int unlink_path(void *context, const char *path)
{
    (void)context;
    if (path && *path && unlink(path) != 0 && errno != ENOENT)
        cm_log_warn("oci.state", "cannot remove %s: %s", path, strerror(errno));
    return 0;
}

/* Collects file paths while rows are deleted, to remove the files once the transaction commits. */
typedef struct path_list {
    char **paths;
    size_t count, capacity;
} path_list;

static int collect_path(void *context, const char *path)
{
    path_list *list = context;
    if (list->count == list->capacity) {
        size_t capacity = list->capacity ? list->capacity * 2 : 16;
        char **grown = realloc(list->paths, capacity * sizeof *grown);
        if (!grown)
            return 0; /* out of memory: the file stays behind, which only costs disk */
        list->paths = grown;
        list->capacity = capacity;
    }
    list->paths[list->count] = strdup(path);
    if (list->paths[list->count])
        list->count++;
    return 0;
}

static void path_list_finish(path_list *list, int remove)
{
    for (size_t i = 0; i < list->count; i++) {
        if (remove)
            unlink_path(NULL, list->paths[i]);
        free(list->paths[i]);
    }
    free(list->paths);
    memset(list, 0, sizeof *list);
}

cm_err oci_core_configured_graph(oci_core *core, const cm_oci_org *org, oci_graph **graph, char error[OCI_ERROR_MAX])
{
    (void)core;
    *graph = NULL;
    if (org->location_graph_path) {
        char graph_error[OCI_GRAPH_ERROR_MAX];
        cm_err rc = oci_graph_load_file(org->location_graph_path, graph, graph_error);
        if (rc != CM_OK)
            SAY("organization %.100s: %.300s", org->id, graph_error);
        return rc;
    }
    *graph = oci_graph_new_empty();
    if (!*graph) {
        SAY("out of memory");
        return CM_ENOMEM;
    }
    return CM_OK;
}

static int org_index(const oci_core *core, const char *org)
{
    for (size_t i = 0; org && i < core->org_count; i++)
        if (strcmp(core->orgs[i].config->id, org) == 0)
            return (int)i;
    return -1;
}

/* ---- reset ---- */

cm_err oci_core_state_reset(oci_core *core, const char *only_org, char error[OCI_ERROR_MAX])
{
    for (size_t i = 0; i < core->org_count; i++) {
        const cm_oci_org *org = core->orgs[i].config;
        if (only_org && strcmp(org->id, only_org) != 0)
            continue;
        oci_graph *graph = NULL;
        cm_err rc = oci_core_configured_graph(core, org, &graph, error);
        if (rc != CM_OK)
            return rc;
        path_list files = {0};
        oci_store_conn *writer = NULL;
        rc = oci_store_write_begin(core->store, &writer);
        if (rc == CM_OK) {
            rc = oci_store_state_delete(writer, org->id, collect_path, &files);
            rc = rc == CM_OK ? oci_store_write_commit(writer) : (oci_store_write_rollback(writer), rc);
        }
        path_list_finish(&files, rc == CM_OK);
        if (rc != CM_OK) {
            oci_graph_free(graph);
            SAY("organization %.100s: the store could not be emptied (%s)", org->id, cm_strerror(rc));
            return rc;
        }
        rc = oci_core_graph_replace(core, org->id, graph);
        oci_core_graph_change_clear(core, org->id);
        if (rc != CM_OK) {
            SAY("organization %.100s: its configured graph could not be put back", org->id);
            return rc;
        }
        cm_log_info("oci.state_reset", "org=%s", org->id);
    }
    return CM_OK;
}

/* ---- export ---- */

/* 1 (and a message) when a row of `list` has a status among the two given. */
static int busy_row(json_object *list, const char *a, const char *b, const char *what, char error[OCI_ERROR_MAX])
{
    for (size_t i = 0; list && i < json_object_array_length(list); i++) {
        json_object *row = json_object_array_get_idx(list, i), *status = NULL, *id = NULL;
        json_object_object_get_ex(row, "status", &status);
        json_object_object_get_ex(row, "id", &id);
        const char *text = json_object_get_string(status);
        if (text && (strcmp(text, a) == 0 || strcmp(text, b) == 0)) {
            SAY("%s %.60s is %s; take the snapshot once it has finished", what, json_object_get_string(id), text);
            return 1;
        }
    }
    return 0;
}

static cm_err org_snapshot(oci_core *core, const cm_oci_org *org, json_object **out, size_t *bytes,
                           int *status, char error[OCI_ERROR_MAX])
{
    *out = NULL;
    json_object *snapshot = json_object_new_object(), *tables = json_object_new_object(),
                *files = json_object_new_object();
    oci_graph *graph = oci_core_graph_acquire(core, org->id);
    json_object *graph_json = graph ? oci_graph_to_json(graph) : NULL;
    oci_core_graph_release(core, graph);
    cm_err rc = snapshot && tables && files && graph_json ? CM_OK : CM_ENOMEM;
    int64_t rows = 0;
    if (rc == CM_OK) {
        oci_store_conn *reader = oci_store_read_begin(core->store);
        rc = reader ? oci_store_state_dump(reader, org->id, tables, &rows) : CM_EDB;
        oci_store_read_end(reader);
    }
    json_object *imports = NULL, *exports = NULL;
    if (rc == CM_OK) {
        json_object_object_get_ex(tables, "imports", &imports);
        json_object_object_get_ex(tables, "exports", &exports);
        if (busy_row(imports, "PENDING", "RUNNING", "import", error) ||
            busy_row(exports, "PENDING", "RUNNING", "export", error)) {
            *status = 409;
            rc = CM_EBUSY;
        }
    }
    /* The files live in this core's folders: imports' uploads are gone once they finished, and
     * finished exports' files travel as text. */
    for (size_t i = 0; rc == CM_OK && imports && i < json_object_array_length(imports); i++)
        json_object_object_add(json_object_array_get_idx(imports, i), "upload_path", json_object_new_string(""));
    for (size_t i = 0; rc == CM_OK && exports && i < json_object_array_length(exports); i++) {
        json_object *row = json_object_array_get_idx(exports, i), *path = NULL, *id = NULL;
        json_object_object_get_ex(row, "file_path", &path);
        json_object_object_get_ex(row, "id", &id);
        const char *file = json_object_get_string(path);
        if (file && *file) {
            size_t length = 0;
            char *text = read_text_file(file, OCI_STATE_BODY_MAX, &length);
            if (text) {
                *bytes += length;
                json_object_object_add(files, json_object_get_string(id), json_object_new_string_len(text, (int)length));
                free(text);
            }
        }
        json_object_object_add(row, "file_path", json_object_new_string(""));
    }
    if (rc != CM_OK) {
        if (rc != CM_EBUSY) {
            *status = 503;
            SAY("organization %.100s: the store could not be read (%s)", org->id, cm_strerror(rc));
        }
        json_object_put(snapshot);
        json_object_put(tables);
        json_object_put(files);
        json_object_put(graph_json);
        return rc;
    }
    json_object_object_add(snapshot, "id", json_object_new_string(org->id));
    json_object_object_add(snapshot, "graph", graph_json);
    json_object_object_add(snapshot, "tables", tables);
    json_object_object_add(snapshot, "exportFiles", files);
    *out = snapshot;
    return CM_OK;
}

cm_err oci_core_state_snapshot(oci_core *core, const char *only_org, json_object **out, int *status,
                               char error[OCI_ERROR_MAX])
{
    *out = NULL;
    *status = 200;
    json_object *root = json_object_new_object(), *orgs = json_object_new_array();
    if (!root || !orgs) {
        json_object_put(root);
        json_object_put(orgs);
        *status = 503;
        SAY("out of memory");
        return CM_ENOMEM;
    }
    char now[CM_TIME_TEXT_MAX];
    cm_time_format_ms(oci_core_now(core), now);
    json_object_object_add(root, "format", json_object_new_string(OCI_STATE_FORMAT));
    json_object_object_add(root, "version", json_object_new_int(OCI_STATE_VERSION));
    json_object_object_add(root, "omsgwVersion", json_object_new_string(OMSGW_VERSION));
    json_object_object_add(root, "exportedAt", json_object_new_string(now));
    json_object_object_add(root, "clockOffsetMs", json_object_new_int64(atomic_load(&core->clock_skew_ms)));
    json_object_object_add(root, "organizations", orgs);
    size_t bytes = 0;
    for (size_t i = 0; i < core->org_count; i++) {
        const cm_oci_org *org = core->orgs[i].config;
        if (only_org && strcmp(org->id, only_org) != 0)
            continue;
        json_object *one = NULL;
        cm_err rc = org_snapshot(core, org, &one, &bytes, status, error);
        if (rc != CM_OK) {
            json_object_put(root);
            return rc;
        }
        json_object_array_add(orgs, one);
    }
    size_t length = 0;
    const char *text = cm_json_text(root, &length);
    if (!text || length > OCI_STATE_BODY_MAX) {
        *status = text ? 413 : 503;
        SAY(text ? "the snapshot would be %zu bytes, above the limit of %u that import accepts; export one organization "
                   "at a time or reset some state"
                 : "out of memory (%zu, %u)",
            length, OCI_STATE_BODY_MAX);
        json_object_put(root);
        return text ? CM_ETOOBIG : CM_ENOMEM;
    }
    *out = root;
    return CM_OK;
}

/* ---- import ---- */

typedef struct org_plan {
    int index;               /* into core->orgs */
    json_object *tables;     /* borrowed from the snapshot */
    json_object *files;      /* borrowed; may be NULL */
    oci_graph *graph;        /* owned until handed to the core */
    char *graph_text;        /* owned: the normalized graph to persist */
} org_plan;

/* Checks the snapshot's shape and versions, fills one plan per organization. */
static cm_err plan_import(oci_core *core, json_object *root, org_plan *plans, size_t *count, int *status,
                          char error[OCI_ERROR_MAX])
{
    *status = 400;
    *count = 0;
    const char *format = NULL;
    int64_t version = 0;
    if (!json_object_is_type(root, json_type_object)) {
        SAY("the snapshot must be a JSON object (what GET /_omsgw/state/export answers)");
        return CM_EINVAL;
    }
    if (cm_json_string(root, "format", &format) != CM_JSON_OK || strcmp(format, OCI_STATE_FORMAT) != 0) {
        SAY("format must be \"%s\": this is not a state snapshot of omsgw", OCI_STATE_FORMAT);
        return CM_EINVAL;
    }
    if (cm_json_int64(root, "version", &version) != CM_JSON_OK || version < 1) {
        SAY("version must be a whole number from 1");
        return CM_EINVAL;
    }
    if (version > OCI_STATE_VERSION) {
        const char *writer = NULL;
        cm_json_string(root, "omsgwVersion", &writer);
        *status = 422;
        SAY("the snapshot is version %lld (written by omsgw %.40s); this core (omsgw %s) reads versions up to %d: "
            "import it with a newer omsgw",
            (long long)version, writer ? writer : "?", OMSGW_VERSION, OCI_STATE_VERSION);
        return CM_EINVAL;
    }
    int64_t offset = 0;
    if (cm_json_int64(root, "clockOffsetMs", &offset) == CM_JSON_WRONG_TYPE) {
        SAY("clockOffsetMs must be a whole number");
        return CM_EINVAL;
    }
    json_object *orgs = NULL;
    if (cm_json_array(root, "organizations", &orgs) != CM_JSON_OK) {
        SAY("organizations must be an array");
        return CM_EINVAL;
    }
    if (json_object_array_length(orgs) > core->org_count) {
        SAY("the snapshot holds %zu organizations; this core has %zu", json_object_array_length(orgs), core->org_count);
        return CM_EINVAL;
    }
    for (size_t i = 0; i < json_object_array_length(orgs); i++) {
        json_object *one = json_object_array_get_idx(orgs, i), *graph = NULL;
        const char *id = NULL;
        org_plan *plan = &plans[*count];
        memset(plan, 0, sizeof *plan);
        if (!json_object_is_type(one, json_type_object) || cm_json_string(one, "id", &id) != CM_JSON_OK) {
            SAY("organizations[%zu].id must be a string", i);
            return CM_EINVAL;
        }
        plan->index = org_index(core, id);
        if (plan->index < 0) {
            *status = 404;
            SAY("organizations[%zu]: \"%.100s\" is not an organization of this core (oci.organizations)", i, id);
            return CM_ENOTFOUND;
        }
        for (size_t j = 0; j < *count; j++)
            if (plans[j].index == plan->index) {
                SAY("organizations[%zu]: \"%.100s\" appears twice", i, id);
                return CM_EINVAL;
            }
        if (cm_json_object(one, "tables", &plan->tables) != CM_JSON_OK) {
            SAY("organizations[%zu].tables must be an object", i);
            return CM_EINVAL;
        }
        if (cm_json_object(one, "exportFiles", &plan->files) == CM_JSON_WRONG_TYPE) {
            SAY("organizations[%zu].exportFiles must be an object", i);
            return CM_EINVAL;
        }
        if (cm_json_object(one, "graph", &graph) != CM_JSON_OK) {
            SAY("organizations[%zu].graph must be a location graph object", i);
            return CM_EINVAL;
        }
        char graph_error[OCI_GRAPH_ERROR_MAX];
        (*count)++; /* from here the plan owns what it holds */
        if (oci_graph_from_json(graph, &plan->graph, graph_error) != CM_OK) {
            SAY("organizations[%zu].graph: %.300s", i, graph_error);
            return CM_EINVAL;
        }
        json_object *normal = oci_graph_to_json(plan->graph);
        const char *text = normal ? cm_json_text(normal, NULL) : NULL;
        plan->graph_text = text ? strdup(text) : NULL;
        json_object_put(normal);
        if (!plan->graph_text) {
            *status = 503;
            SAY("out of memory");
            return CM_ENOMEM;
        }
    }
    return CM_OK;
}

/* Points the rows at this core's folders and writes the export files there. */
static cm_err place_files(oci_core *core, org_plan *plan, path_list *written, char error[OCI_ERROR_MAX])
{
    json_object *imports = NULL, *exports = NULL;
    json_object_object_get_ex(plan->tables, "imports", &imports);
    json_object_object_get_ex(plan->tables, "exports", &exports);
    for (size_t i = 0; imports && json_object_is_type(imports, json_type_array) && i < json_object_array_length(imports);
         i++) {
        json_object *row = json_object_array_get_idx(imports, i), *status = NULL;
        if (!json_object_is_type(row, json_type_object))
            continue; /* the load names the problem */
        json_object_object_get_ex(row, "status", &status);
        const char *text = json_object_get_string(status);
        if (text && (strcmp(text, "PENDING") == 0 || strcmp(text, "RUNNING") == 0)) {
            SAY("tables.imports[%zu] is %s: an import whose file is not in the snapshot cannot be restored", i, text);
            return CM_EINVAL;
        }
        json_object_object_add(row, "upload_path", json_object_new_string(""));
    }
    for (size_t i = 0; exports && json_object_is_type(exports, json_type_array) && i < json_object_array_length(exports);
         i++) {
        json_object *row = json_object_array_get_idx(exports, i), *id = NULL, *content = NULL;
        if (!json_object_is_type(row, json_type_object))
            continue;
        json_object_object_get_ex(row, "id", &id);
        const char *export_id = json_object_is_type(id, json_type_string) ? json_object_get_string(id) : NULL;
        char path[OCI_PATH_MAX] = "";
        if (export_id && plan->files && json_object_object_get_ex(plan->files, export_id, &content)) {
            char name[OCI_ID_MAX + 16];
            if (!json_object_is_type(content, json_type_string) || strlen(export_id) > OCI_ID_MAX ||
                strspn(export_id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != strlen(export_id)) {
                SAY("exportFiles.%.60s must be text, for an export id of letters, digits, - and _", export_id);
                return CM_EINVAL;
            }
            snprintf(name, sizeof name, "%s.ndjson", export_id);
            if (oci_path_join(path, sizeof path, core->exports_dir, name) != 0) {
                SAY("the export id %.60s makes too long a path under %.300s", export_id, core->exports_dir);
                return CM_EINVAL;
            }
            /* A file already there belongs to a row of this core that a failed import keeps: only
             * files this import created are removed when it fails. */
            int existed = access(path, F_OK) == 0;
            if (write_file(path, json_object_get_string(content), (size_t)json_object_get_string_len(content)) != 0) {
                SAY("cannot write the file of export %.60s under %.300s", export_id, core->exports_dir);
                return CM_EIO;
            }
            if (!existed)
                collect_path(written, path);
        }
        json_object_object_add(row, "file_path", json_object_new_string(path));
    }
    return CM_OK;
}

/* 1 when an export row of the plans now names `path`. */
static int path_taken_over(const org_plan *plans, size_t count, const char *path)
{
    for (size_t i = 0; i < count; i++) {
        json_object *exports = NULL;
        json_object_object_get_ex(plans[i].tables, "exports", &exports);
        for (size_t r = 0; exports && json_object_is_type(exports, json_type_array) &&
                           r < json_object_array_length(exports);
             r++) {
            json_object *file = NULL;
            if (json_object_object_get_ex(json_object_array_get_idx(exports, r), "file_path", &file) &&
                json_object_is_type(file, json_type_string) && strcmp(json_object_get_string(file), path) == 0)
                return 1;
        }
    }
    return 0;
}

cm_err oci_core_state_restore_json(oci_core *core, json_object *root, int *status, char error[OCI_ERROR_MAX])
{
    org_plan *plans = calloc(core->org_count ? core->org_count : 1, sizeof *plans);
    if (!plans) {
        *status = 503;
        SAY("out of memory");
        return CM_ENOMEM;
    }
    size_t count = 0;
    cm_err rc = plan_import(core, root, plans, &count, status, error);
    path_list written = {0}, old_files = {0};
    oci_store_conn *writer = NULL;
    if (rc == CM_OK)
        for (size_t i = 0; rc == CM_OK && i < count; i++)
            rc = place_files(core, &plans[i], &written, error);
    if (rc == CM_OK && (rc = oci_store_write_begin(core->store, &writer)) != CM_OK) {
        *status = 503;
        SAY("the store is not available (%s)", cm_strerror(rc));
    }
    /* One transaction for every organization: a snapshot is taken back whole or not at all. */
    for (size_t i = 0; rc == CM_OK && writer && i < count; i++) {
        const char *org = core->orgs[plans[i].index].config->id;
        rc = oci_store_state_delete(writer, org, collect_path, &old_files);
        if (rc == CM_OK)
            rc = oci_store_state_load(writer, org, plans[i].tables, error);
        if (rc == CM_OK)
            rc = oci_store_graph_put(writer, org, plans[i].graph_text, oci_core_now(core));
        if (rc != CM_OK)
            *status = rc == CM_EINVAL ? 400 : 503;
    }
    if (writer) {
        rc = rc == CM_OK ? oci_store_write_commit(writer) : (oci_store_write_rollback(writer), rc);
        if (rc != CM_OK && *status < 400) {
            *status = 503;
            SAY("the snapshot could not be committed (%s)", cm_strerror(rc));
        }
    }
    if (rc == CM_OK) {
        /* Old files that the new rows did not take over (same export id, same path) go. */
        for (size_t i = 0; i < old_files.count; i++)
            if (old_files.paths[i] && path_taken_over(plans, count, old_files.paths[i])) {
                free(old_files.paths[i]);
                old_files.paths[i] = NULL;
            }
        for (size_t i = 0; i < old_files.count; i++)
            unlink_path(NULL, old_files.paths[i]);
        int64_t offset = 0;
        if (cm_json_int64(root, "clockOffsetMs", &offset) == CM_JSON_OK)
            atomic_store(&core->clock_skew_ms, offset);
        for (size_t i = 0; i < count; i++) {
            const char *org = core->orgs[plans[i].index].config->id;
            oci_core_graph_replace(core, org, plans[i].graph);
            plans[i].graph = NULL;
            oci_core_graph_change_clear(core, org);
            cm_log_info("oci.state_imported", "org=%s", org);
        }
        *status = 200;
    }
    path_list_finish(&written, rc != CM_OK);
    path_list_finish(&old_files, 0);
    for (size_t i = 0; i < count; i++) {
        oci_graph_free(plans[i].graph);
        free(plans[i].graph_text);
    }
    free(plans);
    oci_core_wake_worker(core);
    return rc;
}

/* ---- files (omsgw oci-core --import-state / --export-state-on-exit) ---- */

cm_err oci_core_state_save(oci_core *core, const char *path, char error[OCI_ERROR_MAX])
{
    json_object *root = NULL;
    int status = 0;
    cm_err rc = oci_core_state_snapshot(core, NULL, &root, &status, error);
    if (rc != CM_OK)
        return rc;
    size_t length = 0;
    const char *text = cm_json_text(root, &length);
    char temp[OCI_PATH_MAX + 8];
    snprintf(temp, sizeof temp, "%s.tmp", path);
    /* Written aside, then renamed: a crash mid-write never leaves half a snapshot under the name. */
    if (write_file(temp, text, length) != 0 || rename(temp, path) != 0) {
        SAY("cannot write the state snapshot %.400s: %s", path, strerror(errno));
        unlink(temp);
        rc = CM_EIO;
    }
    json_object_put(root);
    return rc;
}

cm_err oci_core_state_restore(oci_core *core, const char *path, char error[OCI_ERROR_MAX])
{
    size_t length = 0;
    errno = 0;
    char *text = read_text_file(path, OCI_STATE_BODY_MAX, &length);
    if (!text) {
        SAY("cannot read the state snapshot %.400s: %s", path,
            errno ? strerror(errno) : "larger than the snapshot limit of 64 MiB");
        return CM_EIO;
    }
    json_object *root = NULL;
    char parse_error[CM_JSON_ERROR_MAX];
    cm_err rc = cm_json_parse(text, length, CM_JSON_MAX_DEPTH, &root, parse_error);
    free(text);
    if (rc != CM_OK) {
        SAY("state snapshot %.300s: %.150s", path, parse_error);
        return rc;
    }
    int status = 0;
    char inner[OCI_ERROR_MAX];
    rc = oci_core_state_restore_json(core, root, &status, inner);
    json_object_put(root);
    if (rc != CM_OK)
        SAY("state snapshot %.200s: %.250s", path, inner);
    return rc;
}

/* ---- routes ---- */

void oci_route_control_reset(cm_http_request *request, void *data)
{
    oci_core *core = data;
    size_t length = 0;
    const char *body = cm_http_body(request, &length);
    const char *org = NULL;
    json_object *root = NULL;
    if (length > 0) {
        char parse_error[CM_JSON_ERROR_MAX];
        if (cm_json_parse(body, length, 4, &root, parse_error) != CM_OK) {
            oci_control_reply_error(request, 400, "InvalidBody", parse_error, "body");
            return;
        }
        if (!json_object_is_type(root, json_type_object)) {
            json_object_put(root);
            oci_control_reply_error(request, 400, "InvalidBody", "the body must be {} or {\"organization\": \"…\"}",
                                    "body");
            return;
        }
        json_object_object_foreach(root, key, unused) {
            (void)unused;
            if (strcmp(key, "organization") != 0) {
                char message[160];
                snprintf(message, sizeof message, "unknown field \"%.60s\" (only \"organization\")", key);
                oci_control_reply_error(request, 400, "InvalidBody", message, key); /* before `key` goes with root */
                json_object_put(root);
                return;
            }
        }
        if (cm_json_string(root, "organization", &org) == CM_JSON_WRONG_TYPE) {
            json_object_put(root);
            oci_control_reply_error(request, 400, "InvalidBody", "organization must be a string", "organization");
            return;
        }
    }
    if (org && org_index(core, org) < 0) {
        char message[200];
        snprintf(message, sizeof message, "\"%.100s\" is not an organization of this core", org);
        json_object_put(root);
        oci_control_reply_error(request, 404, "OrganizationNotFound", message, "organization");
        return;
    }
    char error[OCI_ERROR_MAX];
    cm_err rc = oci_core_state_reset(core, org, error);
    json_object *reply = rc == CM_OK ? json_object_new_object() : NULL, *list = reply ? json_object_new_array() : NULL;
    for (size_t i = 0; list && i < core->org_count; i++)
        if (!org || strcmp(core->orgs[i].config->id, org) == 0)
            json_object_array_add(list, json_object_new_string(core->orgs[i].config->id));
    json_object_put(root);
    if (rc != CM_OK || !list) {
        json_object_put(reply);
        oci_control_reply_error(request, 503, "ResetFailed", rc != CM_OK ? error : "out of memory", NULL);
        return;
    }
    json_object_object_add(reply, "reset", list);
    cm_http_reply_json(request, 200, reply);
}

void oci_route_control_export(cm_http_request *request, void *data)
{
    oci_core *core = data;
    const char *org = cm_http_query(request, "organization");
    if (org && org_index(core, org) < 0) {
        char message[200];
        snprintf(message, sizeof message, "\"%.100s\" is not an organization of this core", org);
        oci_control_reply_error(request, 404, "OrganizationNotFound", message, "organization");
        return;
    }
    json_object *root = NULL;
    int status = 0;
    char error[OCI_ERROR_MAX];
    if (oci_core_state_snapshot(core, org, &root, &status, error) != CM_OK) {
        oci_control_reply_error(request, status, status == 409 ? "StateBusy" : status == 413 ? "SnapshotTooLarge"
                                                                                            : "ExportFailed",
                                error, NULL);
        return;
    }
    cm_http_reply_json(request, 200, root);
}

void oci_route_control_import(cm_http_request *request, void *data)
{
    oci_core *core = data;
    size_t length = 0;
    const char *body = cm_http_body(request, &length);
    json_object *root = NULL;
    char parse_error[CM_JSON_ERROR_MAX];
    if (cm_json_parse(body, length, CM_JSON_MAX_DEPTH, &root, parse_error) != CM_OK) {
        oci_control_reply_error(request, 400, "InvalidSnapshot", parse_error, "body");
        return;
    }
    int status = 0;
    char error[OCI_ERROR_MAX];
    cm_err rc = oci_core_state_restore_json(core, root, &status, error);
    json_object *orgs = NULL;
    json_object *list = json_object_new_array();
    if (rc == CM_OK && cm_json_array(root, "organizations", &orgs) == CM_JSON_OK)
        for (size_t i = 0; list && i < json_object_array_length(orgs); i++)
            json_object_array_add(list, json_object_get(json_object_object_get(json_object_array_get_idx(orgs, i), "id")));
    json_object_put(root);
    if (rc != CM_OK) {
        json_object_put(list);
        oci_control_reply_error(request, status, status == 422 ? "UnsupportedStateVersion" : "InvalidSnapshot", error,
                                NULL);
        return;
    }
    json_object *reply = json_object_new_object();
    if (!reply || !list) {
        json_object_put(reply);
        json_object_put(list);
        oci_control_reply_error(request, 503, "OutOfMemory", "the emulator is short of memory", NULL);
        return;
    }
    json_object_object_add(reply, "imported", list);
    cm_http_reply_json(request, 200, reply);
}
