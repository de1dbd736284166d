/*
 * graph_change.c - location-graph replacements that take time (oci.graphChangeSeconds), as the
 * real service's do: the new graph is staged and the current one stays in force until the change
 * is over on the core's clock (so POST /_omsgw/clock/advance can end it). While it runs, the
 * control plane's health and the location-graph export status report it, and imports are held
 * (default) or, with oci.strict, applied against the graph of the moment, as the real service may
 * (core_internal.h, README "Location-graph changes").
 */
#include "common/clock.h"
#include "oci_core/core_internal.h"

cm_err oci_core_graph_stage(oci_core *core, const char *org_id, oci_graph *graph, int64_t seconds)
{
    int64_t now = oci_core_now(core);
    pthread_mutex_lock(&core->graph_lock);
    oci_org_state *org = (oci_org_state *)oci_core_org(core, org_id);
    if (!org) {
        pthread_mutex_unlock(&core->graph_lock);
        oci_graph_free(graph);
        return CM_ENOTFOUND;
    }
    /* A second replacement during a change replaces the staged graph and restarts the change. */
    oci_graph_free(org->pending_graph);
    org->pending_graph = graph;
    org->change_started_ms = now;
    org->change_until_ms = now + seconds * 1000;
    pthread_mutex_unlock(&core->graph_lock);
    return CM_OK;
}

void oci_core_graph_promote_due(oci_core *core, const char *org_id)
{
    int64_t now = oci_core_now(core);
    oci_graph *due = NULL;
    pthread_mutex_lock(&core->graph_lock);
    oci_org_state *org = (oci_org_state *)oci_core_org(core, org_id);
    if (org && org->pending_graph && now >= org->change_until_ms) {
        due = org->pending_graph;
        org->pending_graph = NULL;
    }
    pthread_mutex_unlock(&core->graph_lock);
    /* Taken under the lock, replaced outside it (oci_core_graph_replace locks by itself): two
     * threads never promote the same graph. */
    if (due)
        oci_core_graph_replace(core, org_id, due);
}

int oci_core_graph_changing(oci_core *core, const char *org_id)
{
    oci_core_graph_promote_due(core, org_id);
    pthread_mutex_lock(&core->graph_lock);
    const oci_org_state *org = oci_core_org(core, org_id);
    int changing = org && org->pending_graph;
    pthread_mutex_unlock(&core->graph_lock);
    return changing;
}

void oci_core_graph_change_clear(oci_core *core, const char *org_id)
{
    pthread_mutex_lock(&core->graph_lock);
    oci_org_state *org = (oci_org_state *)oci_core_org(core, org_id);
    oci_graph *staged = org ? org->pending_graph : NULL;
    if (org)
        org->pending_graph = NULL;
    pthread_mutex_unlock(&core->graph_lock);
    oci_graph_free(staged);
}

json_object *oci_core_graph_change_json(oci_core *core, const char *org_id)
{
    oci_core_graph_promote_due(core, org_id);
    json_object *change = json_object_new_object();
    if (!change)
        return NULL;
    pthread_mutex_lock(&core->graph_lock);
    const oci_org_state *org = oci_core_org(core, org_id);
    int changing = org && org->pending_graph;
    int64_t started = changing ? org->change_started_ms : 0, until = changing ? org->change_until_ms : 0;
    pthread_mutex_unlock(&core->graph_lock);
    json_object_object_add(change, "inProgress", json_object_new_boolean(changing));
    if (changing) {
        char text[CM_TIME_TEXT_MAX];
        cm_time_format_ms(started, text);
        json_object_object_add(change, "startedAt", json_object_new_string(text));
        cm_time_format_ms(until, text);
        json_object_object_add(change, "endsAt", json_object_new_string(text));
    }
    return change;
}
