/* route_graph.c - the location graph: its export file, and the admin routes outside the OCI
 * namespace that read and replace an organization's graph (PUT/GET /admin/organizations/{org}/location-graph).
 * A replaced graph is stored in oci.db before it is used, and is loaded at the next start instead
 * of the configured file (which is only the initial graph). */
#include <stdio.h>
#include <string.h>

#include "common/json_util.h"
#include "common/log.h"
#include "common/digest.h"
#include "oci_core/core_internal.h"
#include "oci_core/errors.h"
#include "oci_core/route_util.h"

cm_err oci_graph_export_write(oci_core *core, oci_export_row *row)
{
    char name[OCI_ID_MAX + 16];
    snprintf(name, sizeof name, "%s.json", row->id);
    if (oci_path_join(row->file_path, sizeof row->file_path, core->exports_dir, name) != 0)
        return CM_ETOOBIG;
    oci_graph *graph = oci_core_graph_acquire(core, row->org);
    json_object *json = graph ? oci_graph_to_json(graph) : NULL;
    if (graph) {
        row->processed_count = row->exported_count = (int64_t)(graph->location_count + graph->group_count);
    }
    oci_core_graph_release(core, graph);
    if (!json)
        return CM_ENOMEM;
    size_t length = 0;
    const char *text = cm_json_text(json, &length);
    FILE *file = fopen(row->file_path, "wb");
    int ok = file && fwrite(text, 1, length, file) == length;
    if (file && fclose(file) != 0)
        ok = 0;
    uint8_t digest[CM_SHA256_LEN];
    if (cm_sha256(text, length, digest) != CM_OK)
        ok = 0;
    cm_sha256_hex(digest, row->file_hash);
    row->file_size = (int64_t)length;
    json_object_put(json);
    return ok ? CM_OK : CM_EIO;
}

void oci_route_graph_replace(cm_http_request *request, void *data)
{
    oci_core *core = data;
    json_object *body = oci_request_object(request);
    if (!body)
        return;
    oci_graph *graph = NULL;
    char error[OCI_GRAPH_ERROR_MAX];
    cm_err rc = oci_graph_from_json(body, &graph, error);
    json_object_put(body);
    if (rc == CM_EINVAL) {
        oci_reply_invalid(request, "locations", error);
        return;
    }
    if (rc == CM_OK) {
        json_object *normal = oci_graph_to_json(graph);
        const char *text = normal ? cm_json_text(normal, NULL) : NULL;
        oci_store_conn *writer = NULL;
        rc = text ? oci_store_write_begin(core->store, &writer) : CM_ENOMEM;
        if (rc == CM_OK) {
            rc = oci_store_graph_put(writer, oci_request_org(request), text, oci_core_now(core));
            rc = rc == CM_OK ? oci_store_write_commit(writer) : (oci_store_write_rollback(writer), rc);
        }
        json_object_put(normal);
        if (rc != CM_OK) {
            oci_graph_free(graph);
            oci_reply_internal(request, rc, "graph store");
            return;
        }
    }
    if (rc == CM_OK) {
        size_t locations = graph->location_count, groups = graph->group_count;
        int64_t change_seconds = core->config->oci.graph_change_seconds;
        /* oci.graphChangeSeconds: the change takes time, as the real service's do (graph_change.c). */
        rc = change_seconds > 0 ? oci_core_graph_stage(core, oci_request_org(request), graph, change_seconds)
                                : oci_core_graph_replace(core, oci_request_org(request), graph);
        if (rc == CM_OK) {
            cm_log_info("oci.graph_replaced", "org=%s locations=%zu groups=%zu change_seconds=%lld",
                        oci_request_org(request), locations, groups, (long long)change_seconds);
            json_object *reply = json_object_new_object();
            if (reply) {
                json_object_object_add(reply, "locations", json_object_new_int64((int64_t)locations));
                json_object_object_add(reply, "groups", json_object_new_int64((int64_t)groups));
                json_object_object_add(reply, "graphChange", oci_core_graph_change_json(core, oci_request_org(request)));
                cm_http_reply_json(request, 200, reply);
                return;
            }
            rc = CM_ENOMEM;
        }
    }
    oci_reply_internal(request, rc, "graph replace");
}

void oci_route_graph_get(cm_http_request *request, void *data)
{
    oci_core *core = data;
    oci_graph *graph = oci_core_graph_acquire(core, oci_request_org(request));
    json_object *json = graph ? oci_graph_to_json(graph) : NULL;
    oci_core_graph_release(core, graph);
    if (!json) {
        oci_reply_internal(request, CM_ENOMEM, "graph read");
        return;
    }
    cm_http_reply_json(request, 200, json);
}
