/*
 * location_check.c - tenant location mappings against the bundled core's graphs (location_check.h).
 */
#include "app/location_check.h"
/* The live graph accessor is internal to the core; this read-only use is its only one outside. */
#include "oci_core/core_internal.h"
#include "oci_core/graph.h"

#include <stdio.h>

int app_check_locations_bundled(const cm_config *config, oci_core *core, char *error, size_t error_size)
{
    if (config->delivery.mode != CM_DELIVERY_BUNDLED)
        return 0;
    for (size_t t = 0; t < config->tenant_count; t++) {
        const cm_tenant *tenant = &config->tenants[t];
        oci_graph *graph = oci_core_graph_acquire(core, tenant->organization_id);
        const cm_oci_org *org = cm_config_org(config, tenant->organization_id);
        int missing = -1;
        for (size_t l = 0; l < tenant->location_count && missing < 0; l++)
            if (!graph || !oci_graph_has_location(graph, tenant->locations[l].oci_id))
                missing = (int)l;
        oci_core_graph_release(core, graph);
        if (missing >= 0) {
            const cm_location_entry *entry = &tenant->locations[missing];
            snprintf(error, error_size,
                     "config %s: field tenants[%zu].locations.%s: OCI location \"%s\" is not in the location "
                     "graph of organization %s (%s)",
                     config->path, t, entry->name, entry->oci_id, tenant->organization_id,
                     org && org->location_graph_path ? org->location_graph_path : "no locationGraph configured");
            return -1;
        }
    }
    return 0;
}
