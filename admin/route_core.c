/*
 * route_core.c - the bundled OCI core as the console shows it:
 *   GET /api/core/organizations                    the configured organizations
 *   GET /api/core/graph?organization=ID            its location graph (export format)
 *   GET /api/core/availability?organization=ID&sku=SKU
 *                                                  the SKU at every location and group
 * Read-only; the figures are the core's own (oci_core.h views), not recomputed here.
 */
#include "admin/internal.h"

#include <string.h>

static const char *organization(cm_http_request *request, adm_admin *admin)
{
    if (!admin->core) {
        cm_http_reply_error(request, 404, "NOT_FOUND", "No bundled OCI core runs in this process.", NULL);
        return NULL;
    }
    const char *org = cm_http_query(request, "organization");
    if (!org || !*org) {
        /* One organization needs no choice. */
        if (admin->config->oci.organization_count == 1)
            return admin->config->oci.organizations[0].id;
        cm_http_reply_error(request, 400, "MISSING_REQUEST_DATA", "organization is required.", "organization");
        return NULL;
    }
    return org;
}

static void reply_view(cm_http_request *request, cm_err rc, json_object *view, const char *what)
{
    if (rc == CM_ENOTFOUND)
        cm_http_reply_error(request, 404, "ITEM_NOT_FOUND", "No such organization in the bundled core.", "organization");
    else if (rc == CM_EINVAL)
        cm_http_reply_error(request, 400, "INVALID_REQUEST_DATA",
                            "sku must be 2..250 characters without \\ < > ; % / or white space.", "sku");
    else if (rc)
        cm_http_reply_error(request, 503, "SERVICE_UNAVAILABLE", what, NULL);
    else
        cm_http_reply_json(request, 200, view);
}

void adm_route_core_organizations(cm_http_request *request, void *data)
{
    adm_admin *admin = data;
    json_object *list = json_object_new_array();
    for (size_t i = 0; admin->core && i < admin->config->oci.organization_count; i++)
        json_object_array_add(list, json_object_new_string(admin->config->oci.organizations[i].id));
    json_object *body = json_object_new_object();
    json_object_object_add(body, "organizations", list);
    cm_http_reply_json(request, 200, body);
}

void adm_route_core_graph(cm_http_request *request, void *data)
{
    adm_admin *admin = data;
    const char *org = organization(request, admin);
    if (!org)
        return;
    json_object *graph = NULL;
    cm_err rc = oci_core_view_graph(admin->core, org, &graph);
    reply_view(request, rc, graph, "The location graph cannot be read right now.");
}

void adm_route_core_availability(cm_http_request *request, void *data)
{
    adm_admin *admin = data;
    const char *org = organization(request, admin);
    if (!org)
        return;
    const char *sku = cm_http_query(request, "sku");
    if (!sku || !*sku) {
        cm_http_reply_error(request, 400, "MISSING_REQUEST_DATA", "sku is required.", "sku");
        return;
    }
    json_object *view = NULL;
    cm_err rc = oci_core_view_availability(admin->core, org, sku, &view);
    reply_view(request, rc, view, "The availability cannot be read right now.");
}
