/*
 * test_oci_control_state.c - the emulator's state snapshots and resets (oci_core/control_state.c:
 * oci_core_state_snapshot, _restore_json, _reset, _save, _restore and oci_core_configured_graph,
 * declared in core_internal.h and oci_core.h, and the /_omsgw/state routes) on cores opened in
 * this process on temporary folders: the snapshot's shape (format, version, clock offset, one
 * entry per organization with its graph, tables and export files; upload and file paths not
 * carried), the refusal of a snapshot while an import or export is in progress, restoring into
 * another core (records, graph, clock offset, export files written under its folder), every
 * refusal of a snapshot (shape, format, versions, organizations unknown or twice, graphs, imports
 * in progress, export files) with nothing changed and no file left behind, resets of one or every
 * organization (rows, files and the configured graph back), snapshot files written aside then
 * renamed and read back, the routes' own refusals, and the store or the configured graph file
 * failing underneath (503, nothing half done).
 */
#include "tests/support/test_support.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/json_util.h"
#include "oci_core/control.h"
#include "oci_core/core_internal.h"
#include "oci_core/oci_core_testing.h"
#include "tests/support/http_client.h"
#include "tests/support/oci_inproc.h"

#define CTL_TOKEN "ctl-token-1234"
#define ORG "org1"
#define OTHER "org2"
#define Q(x) ((int64_t)(x) * 1000)

typedef struct fixture {
    th_oci a, b; /* b: a second core to restore into */
} fixture;

static void start(th_oci *oci)
{
    char graph[512], config[2048];
    th_data_path("oci/location-graph.json", graph, sizeof graph);
    snprintf(config, sizeof config,
             "{\"oci\":{\"port\":0,\"control\":{\"token\":\"" CTL_TOKEN "\"},\"organizations\":["
             "{\"id\":\"" ORG "\",\"locationGraph\":\"%s\"},{\"id\":\"" OTHER "\"}]}}",
             graph);
    th_oci_start(oci, config);
    /* The worker stays out of the way: rows put in PENDING stay there. */
    oci_core_testing_pause_worker(oci->core, 1);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    start(&f->a);
    start(&f->b);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    th_oci_stop(&f->a);
    th_oci_stop(&f->b);
    free(f);
    return 0;
}

static void apply(oci_core *core, const char *record_id, const char *location, const char *sku, int64_t on_hand)
{
    oci_record_update update;
    memset(&update, 0, sizeof update);
    update.record_id = record_id;
    update.location_id = location;
    update.sku = sku;
    update.has_on_hand = 1;
    update.on_hand_milli = on_hand;
    oci_apply_result result;
    assert_int_equal(oci_core_apply_records(core, ORG, &update, 1, &result), CM_OK);
    assert_int_equal(result.outcome, OCI_APPLY_APPLIED);
}

/* The record's onHand, or -1 when there is none. */
static int64_t on_hand(oci_core *core, const char *location, const char *sku)
{
    oci_availability availability;
    assert_int_equal(oci_core_get_location_record(core, ORG, location, sku, &availability), CM_OK);
    return availability.exists ? availability.on_hand_milli : -1;
}

static size_t graph_locations(oci_core *core, const char *org)
{
    oci_graph *graph = oci_core_graph_acquire(core, org);
    assert_non_null(graph);
    size_t count = graph->location_count;
    oci_core_graph_release(core, graph);
    return count;
}

static int64_t group_reserved(oci_core *core, const char *org)
{
    int64_t quantity = -1;
    oci_store_conn *reader = oci_store_read_begin(core->store);
    assert_int_equal(oci_store_group_reserved_get(reader, org, "G", "SKU", &quantity), CM_OK);
    oci_store_read_end(reader);
    return quantity;
}

static void set_group_reserved(oci_core *core, const char *org, int64_t quantity)
{
    oci_store_conn *writer = NULL;
    assert_int_equal(oci_store_write_begin(core->store, &writer), CM_OK);
    assert_int_equal(oci_store_group_reserved_set(writer, org, "G", "SKU", quantity), CM_OK);
    assert_int_equal(oci_store_write_commit(writer), CM_OK);
}

/* A finished export of `org` whose file (under the core's exports folder) holds `content`. */
static void add_export(oci_core *core, const char *org, const char *id, const char *status, const char *content,
                       char path[OCI_PATH_MAX])
{
    char name[128];
    snprintf(name, sizeof name, "%s.ndjson", id);
    assert_int_equal(oci_path_join(path, OCI_PATH_MAX, core->exports_dir, name), 0);
    assert_int_equal(th_write_file(path, content, strlen(content)), 0);
    oci_export_row row;
    memset(&row, 0, sizeof row);
    snprintf(row.id, sizeof row.id, "%s", id);
    snprintf(row.org, sizeof row.org, "%s", org);
    snprintf(row.kind, sizeof row.kind, "graph");
    snprintf(row.status, sizeof row.status, "%s", status);
    snprintf(row.file_path, sizeof row.file_path, "%s", path);
    row.created_ms = oci_core_now(core);
    row.expires_ms = row.created_ms + 3600 * 1000;
    oci_store_conn *writer = NULL;
    assert_int_equal(oci_store_write_begin(core->store, &writer), CM_OK);
    assert_int_equal(oci_store_export_insert(writer, &row), CM_OK);
    assert_int_equal(oci_store_write_commit(writer), CM_OK);
}

static void add_import(oci_core *core, const char *org, const char *id, const char *status, const char *upload_path)
{
    oci_import_row row;
    memset(&row, 0, sizeof row);
    snprintf(row.id, sizeof row.id, "%s", id);
    snprintf(row.org, sizeof row.org, "%s", org);
    snprintf(row.file_name, sizeof row.file_name, "in.ndjson");
    snprintf(row.status, sizeof row.status, "%s", status);
    snprintf(row.upload_path, sizeof row.upload_path, "%s", upload_path);
    row.created_ms = oci_core_now(core);
    row.link_expires_ms = row.created_ms + 3600 * 1000;
    oci_store_conn *writer = NULL;
    assert_int_equal(oci_store_write_begin(core->store, &writer), CM_OK);
    assert_int_equal(oci_store_import_insert(writer, &row), CM_OK);
    assert_int_equal(oci_store_write_commit(writer), CM_OK);
}

static int file_exists(const char *path)
{
    return access(path, F_OK) == 0;
}

static json_object *snapshot_ok(oci_core *core, const char *only_org)
{
    json_object *root = NULL;
    int status = 0;
    char error[OCI_ERROR_MAX] = "";
    if (oci_core_state_snapshot(core, only_org, &root, &status, error) != CM_OK)
        fail_msg("snapshot: %d %s", status, error);
    assert_int_equal(status, 200);
    return root;
}

static json_object *org_entry(json_object *root, const char *id)
{
    json_object *orgs = json_object_object_get(root, "organizations");
    for (size_t i = 0; i < json_object_array_length(orgs); i++) {
        json_object *one = json_object_array_get_idx(orgs, i);
        if (strcmp(json_object_get_string(json_object_object_get(one, "id")), id) == 0)
            return one;
    }
    fail_msg("no organization %s", id);
    return NULL;
}

static json_object *rows_of(json_object *org, const char *table)
{
    json_object *list = json_object_object_get(json_object_object_get(org, "tables"), table);
    assert_non_null(list);
    return list;
}

static void test_snapshot_shape(void **state)
{
    fixture *f = *state;
    oci_core *core = f->a.core;
    apply(core, "r1", "phoenix", "SKU-1", Q(5));
    set_group_reserved(core, OTHER, Q(2));
    char path[OCI_PATH_MAX];
    add_export(core, ORG, "exp-1", "COMPLETED", "{\"line\":1}\n", path);
    add_import(core, ORG, "imp-1", "COMPLETED", "/somewhere/upload-file");
    oci_core_testing_set_clock_skew(core, 5000);

    json_object *root = snapshot_ok(core, NULL);
    const char *text = NULL;
    int64_t number = 0;
    assert_int_equal(cm_json_string(root, "format", &text), CM_JSON_OK);
    assert_string_equal(text, OCI_STATE_FORMAT);
    assert_int_equal(cm_json_int64(root, "version", &number), CM_JSON_OK);
    assert_int_equal(number, OCI_STATE_VERSION);
    assert_int_equal(cm_json_string(root, "omsgwVersion", &text), CM_JSON_OK);
    assert_int_equal(cm_json_string(root, "exportedAt", &text), CM_JSON_OK);
    assert_int_equal(cm_json_int64(root, "clockOffsetMs", &number), CM_JSON_OK);
    assert_int_equal(number, 5000);
    assert_int_equal(json_object_array_length(json_object_object_get(root, "organizations")), 2);
    json_object *org = org_entry(root, ORG), *other = org_entry(root, OTHER);
    assert_int_equal(json_object_array_length(rows_of(org, "records")), 1);
    assert_int_equal(json_object_array_length(rows_of(org, "events")), 1);
    assert_int_equal(json_object_array_length(rows_of(org, "group_reserved")), 0);
    assert_int_equal(json_object_array_length(rows_of(other, "group_reserved")), 1);
    assert_int_equal(json_object_array_length(rows_of(other, "records")), 0);
    /* The graph in the export format. */
    json_object *locations = json_object_object_get(json_object_object_get(org, "graph"), "locations");
    assert_int_equal(json_object_array_length(locations), 5);
    /* Paths are this core's: not carried; the export's file travels as text. */
    json_object *export_row = json_object_array_get_idx(rows_of(org, "exports"), 0);
    assert_string_equal(json_object_get_string(json_object_object_get(export_row, "file_path")), "");
    json_object *import_row = json_object_array_get_idx(rows_of(org, "imports"), 0);
    assert_string_equal(json_object_get_string(json_object_object_get(import_row, "upload_path")), "");
    json_object *files = json_object_object_get(org, "exportFiles");
    assert_string_equal(json_object_get_string(json_object_object_get(files, "exp-1")), "{\"line\":1}\n");
    assert_int_equal(json_object_object_length(json_object_object_get(other, "exportFiles")), 0);
    json_object_put(root);
    /* The store still names the file: only the snapshot left it out. */
    assert_true(file_exists(path));

    /* One organization only. */
    root = snapshot_ok(core, OTHER);
    assert_int_equal(json_object_array_length(json_object_object_get(root, "organizations")), 1);
    org_entry(root, OTHER);
    json_object_put(root);
    /* An organization the core does not have: an empty list (the route answers 404 first). */
    root = snapshot_ok(core, "nobody");
    assert_int_equal(json_object_array_length(json_object_object_get(root, "organizations")), 0);
    json_object_put(root);
}

static void test_snapshot_refused_while_busy(void **state)
{
    fixture *f = *state;
    oci_core *core = f->a.core;
    json_object *root = (json_object *)1;
    int status = 0;
    char error[OCI_ERROR_MAX] = "";
    add_import(core, OTHER, "imp-busy", "PENDING", "");
    assert_int_equal(oci_core_state_snapshot(core, NULL, &root, &status, error), CM_EBUSY);
    assert_null(root);
    assert_int_equal(status, 409);
    assert_non_null(strstr(error, "import imp-busy is PENDING"));
    /* The other organization alone can be taken. */
    json_object_put(snapshot_ok(core, ORG));
    char path[OCI_PATH_MAX];
    add_export(core, ORG, "exp-busy", "RUNNING", "x", path);
    assert_int_equal(oci_core_state_snapshot(core, ORG, &root, &status, error), CM_EBUSY);
    assert_int_equal(status, 409);
    assert_non_null(strstr(error, "export exp-busy is RUNNING"));
    /* The route says StateBusy. */
    char url[256];
    th_url(url, sizeof url, f->a.port, "/_omsgw/state/export?organization=" ORG);
    const char *headers[] = {"Authorization: Bearer " CTL_TOKEN, NULL};
    th_response response;
    assert_int_equal(th_http("GET", url, headers, NULL, 0, &response), 0);
    assert_int_equal(response.status, 409);
    assert_non_null(strstr(response.body, "StateBusy"));
    th_response_free(&response);
}

/* Restores `root` into `core`; returns the result with *status and error. */
static cm_err restore(oci_core *core, json_object *root, int *status, char error[OCI_ERROR_MAX])
{
    *status = 0;
    error[0] = '\0';
    return oci_core_state_restore_json(core, root, status, error);
}

static void test_restore_into_another_core(void **state)
{
    fixture *f = *state;
    apply(f->a.core, "r1", "phoenix", "SKU-1", Q(5));
    apply(f->a.core, "r2", "surprise", "SKU-2", Q(7));
    set_group_reserved(f->a.core, OTHER, Q(2));
    char path[OCI_PATH_MAX];
    add_export(f->a.core, ORG, "exp-1", "COMPLETED", "{\"line\":1}\n", path);
    oci_core_testing_set_clock_skew(f->a.core, 7000);
    /* The target has rows of its own, which the restore replaces. */
    apply(f->b.core, "rb", "wickenburg", "SKU-9", Q(1));
    char old_path[OCI_PATH_MAX];
    add_export(f->b.core, ORG, "exp-old", "COMPLETED", "old\n", old_path);

    json_object *root = snapshot_ok(f->a.core, NULL);
    int status = 0;
    char error[OCI_ERROR_MAX];
    assert_int_equal(restore(f->b.core, root, &status, error), CM_OK);
    assert_int_equal(status, 200);
    json_object_put(root);
    assert_int_equal(on_hand(f->b.core, "phoenix", "SKU-1"), Q(5));
    assert_int_equal(on_hand(f->b.core, "surprise", "SKU-2"), Q(7));
    assert_int_equal(on_hand(f->b.core, "wickenburg", "SKU-9"), -1);
    assert_int_equal(group_reserved(f->b.core, OTHER), Q(2));
    assert_int_equal(atomic_load(&f->b.core->clock_skew_ms), 7000);
    /* The export's file under b's folder, the row pointing at it; b's old file removed. */
    char new_path[OCI_PATH_MAX];
    assert_int_equal(oci_path_join(new_path, sizeof new_path, f->b.core->exports_dir, "exp-1.ndjson"), 0);
    size_t length = 0;
    char *content = th_read_file(new_path, &length);
    assert_non_null(content);
    assert_string_equal(content, "{\"line\":1}\n");
    free(content);
    assert_false(file_exists(old_path));
    oci_export_row row;
    int found = 0;
    oci_store_conn *reader = oci_store_read_begin(f->b.core->store);
    assert_int_equal(oci_store_export_get(reader, "exp-1", &row, &found), CM_OK);
    assert_int_equal(found, 1);
    assert_string_equal(row.file_path, new_path);
    oci_export_row_clear(&row);
    /* The graph is persisted in the store too. */
    char *graph = NULL;
    assert_int_equal(oci_store_graph_get(reader, ORG, &graph), CM_OK);
    assert_non_null(graph);
    assert_non_null(strstr(graph, "phoenix"));
    free(graph);
    oci_store_read_end(reader);
    /* A restore of the same snapshot again keeps the file it takes over. */
    root = snapshot_ok(f->b.core, ORG);
    assert_int_equal(restore(f->b.core, root, &status, error), CM_OK);
    json_object_put(root);
    assert_true(file_exists(new_path));
    assert_int_equal(on_hand(f->b.core, "phoenix", "SKU-1"), Q(5));
}

/* The snapshot of core a with `edit` applied, restored into b: refused with `status` and `needle`
 * in the error; b unchanged and no file written by it left. */
typedef void (*edit_fn)(json_object *root);

static void expect_refused(fixture *f, edit_fn edit, int expected_status, const char *needle)
{
    json_object *root = snapshot_ok(f->a.core, NULL);
    edit(root);
    int status = 0;
    char error[OCI_ERROR_MAX];
    cm_err rc = restore(f->b.core, root, &status, error);
    json_object_put(root);
    if (rc == CM_OK)
        fail_msg("restored; expected %d %s", expected_status, needle);
    if (status != expected_status || !strstr(error, needle))
        fail_msg("%d \"%s\"; expected %d and \"%s\"", status, error, expected_status, needle);
    /* Nothing changed in b. */
    assert_int_equal(on_hand(f->b.core, "wickenburg", "SKU-9"), Q(1));
    assert_int_equal(on_hand(f->b.core, "phoenix", "SKU-1"), -1);
    char path[OCI_PATH_MAX];
    assert_int_equal(oci_path_join(path, sizeof path, f->b.core->exports_dir, "exp-1.ndjson"), 0);
    assert_false(file_exists(path));
    assert_int_equal(atomic_load(&f->b.core->clock_skew_ms), 0);
}

static json_object *first_org(json_object *root)
{
    return json_object_array_get_idx(json_object_object_get(root, "organizations"), 0);
}

static void format_number(json_object *root)
{
    json_object_object_del(root, "format");
    json_object_object_add(root, "format", json_object_new_int(1));
}
static void wrong_format(json_object *root)
{
    json_object_object_add(root, "format", json_object_new_string("something-else"));
}
static void no_version(json_object *root)
{
    json_object_object_del(root, "version");
}
static void version_zero(json_object *root)
{
    json_object_object_add(root, "version", json_object_new_int(0));
}
static void version_next(json_object *root)
{
    json_object_object_add(root, "version", json_object_new_int(OCI_STATE_VERSION + 1));
}
static void offset_text(json_object *root)
{
    json_object_object_add(root, "clockOffsetMs", json_object_new_string("5"));
}
static void organizations_object(json_object *root)
{
    json_object_object_add(root, "organizations", json_object_new_object());
}
static void three_organizations(json_object *root)
{
    json_object *orgs = json_object_object_get(root, "organizations");
    json_object_array_add(orgs, json_object_get(first_org(root)));
}
static void organization_twice(json_object *root)
{
    json_object *orgs = json_object_object_get(root, "organizations");
    json_object_array_put_idx(orgs, 1, json_object_get(first_org(root)));
}
static void unknown_organization(json_object *root)
{
    json_object_object_add(first_org(root), "id", json_object_new_string("nobody"));
}
static void organization_not_object(json_object *root)
{
    json_object_array_put_idx(json_object_object_get(root, "organizations"), 0, json_object_new_int(3));
}
static void no_tables(json_object *root)
{
    json_object_object_del(first_org(root), "tables");
}
static void files_array(json_object *root)
{
    json_object_object_add(first_org(root), "exportFiles", json_object_new_array());
}
static void no_graph(json_object *root)
{
    json_object_object_del(first_org(root), "graph");
}
static void bad_graph(json_object *root)
{
    json_object *graph = json_object_new_object();
    json_object_object_add(graph, "locations", json_object_new_string("phoenix"));
    json_object_object_add(first_org(root), "graph", graph);
}
static void import_pending(json_object *root)
{
    json_object *imports = json_object_object_get(json_object_object_get(first_org(root), "tables"), "imports");
    json_object *row = json_object_new_object();
    json_object_object_add(row, "id", json_object_new_string("imp-x"));
    json_object_object_add(row, "status", json_object_new_string("RUNNING"));
    json_object_array_add(imports, row);
}
static void file_not_text(json_object *root)
{
    json_object_object_add(json_object_object_get(first_org(root), "exportFiles"), "exp-1", json_object_new_int(5));
}
static void export_id_escapes_the_folder(json_object *root)
{
    /* An export id that would name a file outside the exports folder. */
    json_object *org = first_org(root);
    json_object *exports = json_object_object_get(json_object_object_get(org, "tables"), "exports");
    json_object_object_add(json_object_array_get_idx(exports, 0), "id", json_object_new_string("../../escape"));
    json_object_object_add(json_object_object_get(org, "exportFiles"), "../../escape", json_object_new_string("x"));
}
static void unknown_column(json_object *root)
{
    /* The export file is written before the rows are loaded: the failure must remove it. */
    json_object *records = json_object_object_get(json_object_object_get(first_org(root), "tables"), "records");
    json_object_object_add(json_object_array_get_idx(records, 0), "colour", json_object_new_string("red"));
}
static void second_org_bad(json_object *root)
{
    /* The first organization would load; the second one's bad row takes the whole snapshot back. */
    json_object *orgs = json_object_object_get(root, "organizations");
    json_object *other = json_object_array_get_idx(orgs, 1);
    json_object *rows = json_object_object_get(json_object_object_get(other, "tables"), "group_reserved");
    json_object_object_add(json_object_array_get_idx(rows, 0), "org", json_object_new_string(ORG));
}

static void test_restore_refusals(void **state)
{
    fixture *f = *state;
    apply(f->a.core, "r1", "phoenix", "SKU-1", Q(5));
    set_group_reserved(f->a.core, OTHER, Q(2));
    char path[OCI_PATH_MAX];
    add_export(f->a.core, ORG, "exp-1", "COMPLETED", "{\"line\":1}\n", path);
    oci_core_testing_set_clock_skew(f->a.core, 7000);
    apply(f->b.core, "rb", "wickenburg", "SKU-9", Q(1));

    /* Not an object at all. */
    json_object *array = json_object_new_array();
    int status = 0;
    char error[OCI_ERROR_MAX];
    assert_int_equal(restore(f->b.core, array, &status, error), CM_EINVAL);
    assert_int_equal(status, 400);
    assert_non_null(strstr(error, "must be a JSON object"));
    json_object_put(array);

    expect_refused(f, format_number, 400, "format must be");
    expect_refused(f, wrong_format, 400, "format must be \"omsgw-oci-state\"");
    expect_refused(f, no_version, 400, "version must be a whole number from 1");
    expect_refused(f, version_zero, 400, "version must be a whole number from 1");
    expect_refused(f, version_next, 422, "import it with a newer omsgw");
    expect_refused(f, offset_text, 400, "clockOffsetMs must be a whole number");
    expect_refused(f, organizations_object, 400, "organizations must be an array");
    expect_refused(f, three_organizations, 400, "the snapshot holds 3 organizations; this core has 2");
    expect_refused(f, organization_twice, 400, "appears twice");
    expect_refused(f, unknown_organization, 404, "\"nobody\" is not an organization of this core");
    expect_refused(f, organization_not_object, 400, "organizations[0].id must be a string");
    expect_refused(f, no_tables, 400, "organizations[0].tables must be an object");
    expect_refused(f, files_array, 400, "organizations[0].exportFiles must be an object");
    expect_refused(f, no_graph, 400, "organizations[0].graph must be a location graph object");
    expect_refused(f, bad_graph, 400, "organizations[0].graph: ");
    expect_refused(f, import_pending, 400, "an import whose file is not in the snapshot cannot be restored");
    expect_refused(f, file_not_text, 400, "exportFiles.exp-1 must be text");
    expect_refused(f, export_id_escapes_the_folder, 400, "exportFiles.../../escape must be text, for an export id of");
    char escaped[OCI_PATH_MAX + 32];
    snprintf(escaped, sizeof escaped, "%s/../../escape.ndjson", f->b.core->exports_dir);
    assert_false(file_exists(escaped));
    expect_refused(f, unknown_column, 400, "\"colour\" is not a column of records");
    expect_refused(f, second_org_bad, 400, "org must be \"org2\"");
}

static void test_reset(void **state)
{
    fixture *f = *state;
    oci_core *core = f->a.core;
    /* org1 gets another graph by a restore; org2 some rows. */
    apply(core, "r1", "phoenix", "SKU-1", Q(5));
    set_group_reserved(core, OTHER, Q(2));
    char path[OCI_PATH_MAX];
    add_export(core, ORG, "exp-1", "COMPLETED", "x\n", path);
    json_object *root = snapshot_ok(core, ORG);
    json_object *graph = json_object_new_object(), *locations = json_object_new_array();
    json_object_array_add(locations, json_object_new_string("phoenix"));
    json_object_object_add(graph, "locations", locations);
    json_object_object_add(first_org(root), "graph", graph);
    int status = 0;
    char error[OCI_ERROR_MAX] = "";
    assert_int_equal(restore(core, root, &status, error), CM_OK);
    json_object_put(root);
    assert_int_equal(graph_locations(core, ORG), 1);
    assert_true(file_exists(path));

    /* Reset of org2 only: org1 keeps its rows and graph. */
    assert_int_equal(oci_core_state_reset(core, OTHER, error), CM_OK);
    assert_int_equal(group_reserved(core, OTHER), 0);
    assert_int_equal(on_hand(core, "phoenix", "SKU-1"), Q(5));
    assert_int_equal(graph_locations(core, ORG), 1);
    /* Reset of everything: rows, the export's file, the configured graph back. */
    assert_int_equal(oci_core_state_reset(core, NULL, error), CM_OK);
    assert_int_equal(on_hand(core, "phoenix", "SKU-1"), -1);
    assert_false(file_exists(path));
    assert_int_equal(graph_locations(core, ORG), 5);
    assert_int_equal(graph_locations(core, OTHER), 0);
    char *persisted = (char *)"unset";
    oci_store_conn *reader = oci_store_read_begin(core->store);
    assert_int_equal(oci_store_graph_get(reader, ORG, &persisted), CM_OK);
    assert_null(persisted);
    oci_store_read_end(reader);
    /* An unknown organization resets nothing, and is no error here (the route answers 404). */
    assert_int_equal(oci_core_state_reset(core, "nobody", error), CM_OK);

    /* The configured graph of each organization. */
    oci_graph *configured = NULL;
    assert_int_equal(oci_core_configured_graph(core, core->orgs[0].config, &configured, error), CM_OK);
    assert_int_equal(configured->location_count, 5);
    oci_graph_free(configured);
    assert_int_equal(oci_core_configured_graph(core, core->orgs[1].config, &configured, error), CM_OK);
    assert_int_equal(configured->location_count, 0);
    oci_graph_free(configured);
}

static void test_files(void **state)
{
    fixture *f = *state;
    apply(f->a.core, "r1", "phoenix", "SKU-1", Q(5));
    char path[600], temp[610], error[OCI_ERROR_MAX] = "";
    snprintf(path, sizeof path, "%s/state.json", f->a.dir);
    snprintf(temp, sizeof temp, "%s.tmp", path);
    assert_int_equal(oci_core_state_save(f->a.core, path, error), CM_OK);
    assert_true(file_exists(path));
    assert_false(file_exists(temp)); /* written aside, then renamed */
    assert_int_equal(oci_core_state_restore(f->b.core, path, error), CM_OK);
    assert_int_equal(on_hand(f->b.core, "phoenix", "SKU-1"), Q(5));

    /* A folder that does not exist: CM_EIO, nothing left. */
    char missing[700];
    snprintf(missing, sizeof missing, "%s/no/such/folder/state.json", f->a.dir);
    assert_int_equal(oci_core_state_save(f->a.core, missing, error), CM_EIO);
    assert_non_null(strstr(error, "cannot write the state snapshot"));
    assert_int_equal(oci_core_state_restore(f->b.core, missing, error), CM_EIO);
    assert_non_null(strstr(error, "cannot read the state snapshot"));
    /* Not JSON; JSON but not a snapshot (the inner reason is named). */
    char broken[700];
    snprintf(broken, sizeof broken, "%s/broken.json", f->a.dir);
    assert_int_equal(th_write_file(broken, "{\"format\":", 10), 0);
    assert_int_not_equal(oci_core_state_restore(f->b.core, broken, error), CM_OK);
    assert_non_null(strstr(error, "broken.json"));
    assert_int_equal(th_write_file(broken, "{\"format\":\"x\"}", 14), 0);
    assert_int_equal(oci_core_state_restore(f->b.core, broken, error), CM_EINVAL);
    assert_non_null(strstr(error, "format must be"));
    assert_int_equal(on_hand(f->b.core, "phoenix", "SKU-1"), Q(5));
    /* A busy state cannot be saved. */
    add_import(f->a.core, ORG, "imp-busy", "RUNNING", "");
    assert_int_equal(oci_core_state_save(f->a.core, path, error), CM_EBUSY);
}

/* A control call; its status, the reply's "error" (or first imported/reset id) into `out`. */
static long call(th_oci *oci, const char *method, const char *path, const char *body, char *out, size_t size)
{
    char url[256];
    th_url(url, sizeof url, oci->port, path);
    const char *headers[] = {"Authorization: Bearer " CTL_TOKEN, "Content-Type: application/json", NULL};
    th_response response;
    assert_int_equal(th_http(method, url, headers, body, body ? strlen(body) : 0, &response), 0);
    long status = response.status;
    snprintf(out, size, "%s", response.body ? response.body : "");
    th_response_free(&response);
    return status;
}

static void test_routes(void **state)
{
    fixture *f = *state;
    char body[4096];
    assert_int_equal(call(&f->a, "POST", "/_omsgw/state/reset", NULL, body, sizeof body), 200);
    assert_non_null(strstr(body, "\"reset\":[\"org1\",\"org2\"]"));
    assert_int_equal(call(&f->a, "POST", "/_omsgw/state/reset", "{}", body, sizeof body), 200);
    assert_int_equal(call(&f->a, "POST", "/_omsgw/state/reset", "{\"organization\":\"org2\"}", body, sizeof body),
                     200);
    assert_non_null(strstr(body, "\"reset\":[\"org2\"]"));
    assert_int_equal(call(&f->a, "POST", "/_omsgw/state/reset", "{\"organization\":\"nobody\"}", body, sizeof body),
                     404);
    assert_non_null(strstr(body, "OrganizationNotFound"));
    assert_int_equal(call(&f->a, "POST", "/_omsgw/state/reset", "{\"org\":\"org2\"}", body, sizeof body), 400);
    assert_non_null(strstr(body, "\"field\":\"org\""));
    assert_int_equal(call(&f->a, "POST", "/_omsgw/state/reset", "{\"organization\":5}", body, sizeof body), 400);
    assert_int_equal(call(&f->a, "POST", "/_omsgw/state/reset", "[]", body, sizeof body), 400);
    assert_int_equal(call(&f->a, "POST", "/_omsgw/state/reset", "{", body, sizeof body), 400);
    assert_non_null(strstr(body, "InvalidBody"));
    assert_int_equal(call(&f->a, "GET", "/_omsgw/state/export?organization=nobody", NULL, body, sizeof body), 404);
    assert_int_equal(call(&f->a, "POST", "/_omsgw/state/import", "{", body, sizeof body), 400);
    assert_non_null(strstr(body, "InvalidSnapshot"));
    assert_int_equal(call(&f->a, "POST", "/_omsgw/state/import",
                          "{\"format\":\"omsgw-oci-state\",\"version\":2,\"organizations\":[]}", body, sizeof body),
                     422);
    assert_non_null(strstr(body, "UnsupportedStateVersion"));
    /* A round trip through the routes: export of one organization, imported back. */
    apply(f->a.core, "r1", "phoenix", "SKU-1", Q(5));
    static char snapshot[65536];
    assert_int_equal(call(&f->a, "GET", "/_omsgw/state/export?organization=org1", NULL, snapshot, sizeof snapshot),
                     200);
    assert_true(strlen(snapshot) < sizeof snapshot - 1);
    assert_int_equal(call(&f->b, "POST", "/_omsgw/state/import", snapshot, body, sizeof body), 200);
    assert_non_null(strstr(body, "\"imported\":[\"org1\"]"));
    assert_int_equal(on_hand(f->b.core, "phoenix", "SKU-1"), Q(5));
}

static void drop_table(th_oci *oci, const char *table)
{
    char path[OCI_PATH_MAX], sql[128];
    assert_int_equal(oci_path_join(path, sizeof path, oci->core->data_dir, "oci.db"), 0);
    snprintf(sql, sizeof sql, "DROP TABLE %s", table);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

/* The store failing under the snapshot, the restore and the reset: 503, and nothing half done. */
static void test_store_errors(void **state)
{
    fixture *f = *state;
    apply(f->a.core, "r1", "phoenix", "SKU-1", Q(5));
    json_object *snapshot = snapshot_ok(f->a.core, NULL);
    apply(f->b.core, "rb", "wickenburg", "SKU-9", Q(1));
    /* b loses its graphs table: the restore (which replaces the graph row) fails and takes back all. */
    drop_table(&f->b, "graphs");
    int status = 0;
    char error[OCI_ERROR_MAX];
    assert_int_not_equal(restore(f->b.core, snapshot, &status, error), CM_OK);
    assert_int_equal(status, 503);
    assert_int_equal(on_hand(f->b.core, "wickenburg", "SKU-9"), Q(1));
    assert_int_equal(on_hand(f->b.core, "phoenix", "SKU-1"), -1);
    json_object_put(snapshot);
    /* The reset cannot empty the store either (it deletes the graph row too). */
    assert_int_not_equal(oci_core_state_reset(f->b.core, ORG, error), CM_OK);
    assert_non_null(strstr(error, "organization org1: the store could not be emptied"));
    assert_int_equal(on_hand(f->b.core, "wickenburg", "SKU-9"), Q(1));
    char body[1024];
    assert_int_equal(call(&f->b, "POST", "/_omsgw/state/reset", "{}", body, sizeof body), 503);
    assert_non_null(strstr(body, "ResetFailed"));
    /* a loses a table the snapshot reads: 503 with the organization named. */
    drop_table(&f->a, "operation_ids");
    json_object *root = (json_object *)1;
    assert_int_equal(oci_core_state_snapshot(f->a.core, NULL, &root, &status, error), CM_EDB);
    assert_null(root);
    assert_int_equal(status, 503);
    assert_non_null(strstr(error, "organization org1: the store could not be read"));
    assert_int_equal(call(&f->a, "GET", "/_omsgw/state/export", NULL, body, sizeof body), 503);
    assert_non_null(strstr(body, "ExportFailed"));
}

/* The configured graph file gone: the reset refuses before deleting anything. */
static void test_reset_without_the_graph_file(void **state)
{
    (void)state;
    char dir[256], graph[400], source[512], config[1024], error[OCI_ERROR_MAX] = "";
    th_temp_dir(dir, sizeof dir);
    snprintf(graph, sizeof graph, "%s/graph.json", dir);
    th_data_path("oci/location-graph.json", source, sizeof source);
    size_t length = 0;
    char *text = th_read_file(source, &length);
    assert_non_null(text);
    assert_int_equal(th_write_file(graph, text, length), 0);
    free(text);
    snprintf(config, sizeof config,
             "{\"oci\":{\"port\":0,\"organizations\":[{\"id\":\"" ORG "\",\"locationGraph\":\"%s\"}]}}", graph);
    th_oci oci;
    th_oci_start(&oci, config);
    apply(oci.core, "r1", "phoenix", "SKU-1", Q(5));
    unlink(graph);
    assert_int_not_equal(oci_core_state_reset(oci.core, NULL, error), CM_OK);
    assert_non_null(strstr(error, "organization org1: "));
    assert_int_equal(on_hand(oci.core, "phoenix", "SKU-1"), Q(5));
    assert_int_equal(graph_locations(oci.core, ORG), 5); /* the graph in force stays */
    oci_graph *configured = (oci_graph *)1;
    assert_int_not_equal(oci_core_configured_graph(oci.core, oci.core->orgs[0].config, &configured, error), CM_OK);
    assert_null(configured);
    th_oci_stop(&oci);
    th_remove_tree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_snapshot_shape, setup, teardown),
        cmocka_unit_test_setup_teardown(test_snapshot_refused_while_busy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restore_into_another_core, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restore_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_routes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_errors, setup, teardown),
        cmocka_unit_test(test_reset_without_the_graph_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
