/* route_availability.c - POST …/availability-records/actions/get-availability. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json_util.h"
#include "oci_core/core_internal.h"
#include "oci_core/errors.h"
#include "oci_core/ids.h"
#include "oci_core/limits.h"
#include "oci_core/render.h"
#include "oci_core/reserve.h"
#include "oci_core/route_util.h"

#define MAX_LIST 1024 /* ids per list in one request; the combination limit is checked after */

typedef struct id_list {
    const char *items[MAX_LIST];
    size_t count;
} id_list;

/* Why a request was refused, for whichever API family replies (headless or Connect). */
static void refuse(oci_availability_error *error, int status, const char *code, const char *field,
                   const char *value, const char *message)
{
    error->status = status;
    snprintf(error->code, sizeof error->code, "%s", code);
    snprintf(error->field, sizeof error->field, "%s", field);
    snprintf(error->value, sizeof error->value, "%s", value ? value : "");
    snprintf(error->message, sizeof error->message, "%s", message);
}

static int list_has(const id_list *list, const char *id)
{
    for (size_t i = 0; i < list->count; i++)
        if (strcmp(list->items[i], id) == 0)
            return 1;
    return 0;
}

/* Reads an optional array of ids; returns -1 with `error` set. Duplicates are dropped. */
static int read_list(oci_availability_error *error, json_object *body, const char *key,
                     int (*valid)(const char *), const char *what, id_list *out)
{
    json_object *array;
    cm_json_get got = cm_json_array(body, key, &array);
    if (got == CM_JSON_ABSENT)
        return 0;
    char message[200];
    if (got != CM_JSON_OK || json_object_array_length(array) > MAX_LIST) {
        snprintf(message, sizeof message, "'%s' must be an array of at most %d %s ids.", key, MAX_LIST, what);
        refuse(error, 400, "InvalidRequestParameter", key, NULL, message);
        return -1;
    }
    for (size_t i = 0; i < json_object_array_length(array); i++) {
        json_object *item = json_object_array_get_idx(array, i);
        const char *id = json_object_is_type(item, json_type_string) ? json_object_get_string(item) : NULL;
        if (!id || !valid(id)) {
            snprintf(message, sizeof message, "'%s[%zu]' is not a valid %s id.", key, i, what);
            refuse(error, 400, "InvalidRequestParameter", key, NULL, message);
            return -1;
        }
        if (!list_has(out, id) && out->count < MAX_LIST)
            out->items[out->count++] = id;
    }
    return 0;
}

static int read_single(oci_availability_error *error, json_object *body, const char *key,
                       int (*valid)(const char *), const char *what, const char **out)
{
    *out = NULL;
    cm_json_get got = cm_json_string(body, key, out);
    if (got == CM_JSON_ABSENT)
        return 0;
    if (got != CM_JSON_OK || !valid(*out)) {
        char message[160];
        snprintf(message, sizeof message, "'%s' must be a valid %s id.", key, what);
        refuse(error, 400, "InvalidRequestParameter", key, NULL, message);
        return -1;
    }
    return 0;
}

typedef struct request_lists {
    id_list skus, locations, groups;
} request_lists;

static json_object *place_entry(const char *id, json_object **records)
{
    json_object *entry = json_object_new_object();
    *records = json_object_new_array();
    if (!entry || !*records) {
        json_object_put(entry);
        json_object_put(*records);
        return NULL;
    }
    if (cm_json_set(entry, "id", json_object_new_string(id)) != 0) {
        json_object_put(entry);
        json_object_put(*records);
        *records = NULL;
        return NULL;
    }
    json_object_object_add(entry, "records", *records);
    return entry;
}

/* A location record as get-availability shows it: with oci.propagationDelayMs, as it was that long
 * ago (as_of_ms > 0), the way the real service shows writes only after a few seconds. */
static cm_err read_record(oci_store_conn *reader, const char *org, const char *location, const char *sku,
                          int64_t as_of_ms, oci_quantities *record, int *exists)
{
    return as_of_ms > 0 ? oci_store_record_get_as_of(reader, org, location, sku, as_of_ms, record, exists)
                        : oci_store_record_get(reader, org, location, sku, record, exists);
}

static cm_err build_reply(oci_store_conn *reader, const oci_graph *graph, const char *org,
                          const request_lists *lists, int with_groups, int64_t as_of_ms, json_object *reply)
{
    json_object *locations = json_object_new_array();
    if (!locations)
        return CM_ENOMEM;
    json_object_object_add(reply, "locations", locations);
    for (size_t l = 0; l < lists->locations.count; l++) {
        json_object *records;
        json_object *entry = place_entry(lists->locations.items[l], &records);
        if (!entry)
            return CM_ENOMEM;
        json_object_array_add(locations, entry);
        for (size_t s = 0; s < lists->skus.count; s++) {
            oci_quantities record;
            int exists;
            cm_err rc = read_record(reader, org, lists->locations.items[l], lists->skus.items[s], as_of_ms,
                                    &record, &exists);
            if (rc != CM_OK)
                return rc;
            json_object *rendered = oci_render_location_record(lists->skus.items[s], &record);
            if (!rendered)
                return CM_ENOMEM;
            json_object_array_add(records, rendered);
        }
    }
    if (!with_groups)
        return CM_OK;
    json_object *groups = json_object_new_array();
    if (!groups)
        return CM_ENOMEM;
    json_object_object_add(reply, "groups", groups);
    for (size_t g = 0; g < lists->groups.count; g++) {
        const oci_graph_group *group = oci_graph_group_find(graph, lists->groups.items[g]);
        json_object *records;
        json_object *entry = place_entry(group->id, &records);
        if (!entry)
            return CM_ENOMEM;
        json_object_array_add(groups, entry);
        for (size_t s = 0; s < lists->skus.count; s++) {
            oci_group_sum sum;
            oci_group_sum_init(&sum);
            cm_err rc = CM_OK;
            for (size_t m = 0; rc == CM_OK && m < group->location_count; m++) {
                oci_quantities record;
                int exists;
                rc = read_record(reader, org, group->locations[m], lists->skus.items[s], as_of_ms, &record,
                                 &exists);
                if (rc == CM_OK && exists)
                    rc = oci_group_sum_add(&sum, &record);
            }
            if (rc == CM_OK)
                rc = oci_group_promise_figures(reader, graph, org, lists->skus.items[s], group->id, &sum.group_reserved,
                                               &sum.shared_group_reserved);
            json_object *rendered = rc == CM_OK ? oci_render_group_record(lists->skus.items[s], &sum) : NULL;
            oci_group_sum_free(&sum);
            if (rc != CM_OK)
                return rc;
            if (!rendered)
                return CM_ENOMEM;
            json_object_array_add(records, rendered);
        }
    }
    return CM_OK;
}

json_object *oci_availability_compute(oci_core *core, const char *org, json_object *body,
                                      oci_availability_error *error)
{
    memset(error, 0, sizeof *error);
    json_object *reply = NULL;
    request_lists *lists = calloc(1, sizeof *lists);
    oci_graph *graph = oci_core_graph_acquire(core, org);
    const char *sku = NULL, *group_id = NULL;
    if (!lists || !graph) {
        error->internal = CM_ENOMEM;
        goto out;
    }
    if (read_single(error, body, "sku", oci_valid_sku, "sku", &sku) ||
        read_single(error, body, "group", oci_valid_group_id, "group", &group_id) ||
        read_list(error, body, "skus", oci_valid_sku, "sku", &lists->skus) ||
        read_list(error, body, "locations", oci_valid_location_id, "location", &lists->locations) ||
        read_list(error, body, "groups", oci_valid_group_id, "group", &lists->groups))
        goto out;
    if (sku && !list_has(&lists->skus, sku) && lists->skus.count < MAX_LIST)
        lists->skus.items[lists->skus.count++] = sku;
    if (lists->skus.count == 0) {
        refuse(error, 400, "InvalidRequestParameter", "skus", NULL, "'sku' or 'skus' is required.");
        goto out;
    }
    size_t combinations = lists->skus.count * (lists->locations.count + lists->groups.count);
    if (combinations > OCI_AVAILABILITY_MAX_COMBINATIONS) {
        char message[200];
        snprintf(message, sizeof message,
                 "The request asks for %zu sku x place combinations; at most %d are allowed.", combinations,
                 OCI_AVAILABILITY_MAX_COMBINATIONS);
        refuse(error, 400, "InvalidRequestParameter", "skus", NULL, message);
        goto out;
    }
    for (size_t i = 0; i < lists->locations.count; i++) {
        if (!oci_graph_has_location(graph, lists->locations.items[i])) {
            char message[200];
            snprintf(message, sizeof message, "No location exists with ID '%s'", lists->locations.items[i]);
            refuse(error, 400, "LocationDoesNotExist", "location", lists->locations.items[i], message);
            goto out;
        }
    }
    if (group_id && !list_has(&lists->groups, group_id) && lists->groups.count < MAX_LIST)
        lists->groups.items[lists->groups.count++] = group_id;
    for (size_t i = 0; i < lists->groups.count; i++) {
        if (!oci_graph_group_find(graph, lists->groups.items[i])) {
            char message[200];
            snprintf(message, sizeof message, "No group exists with ID '%s'", lists->groups.items[i]);
            refuse(error, 400, "GroupDoesNotExist", "group", lists->groups.items[i], message);
            goto out;
        }
    }
    if (group_id) {
        /* {sku, group}: every location of the group, and the group itself. */
        const oci_graph_group *group = oci_graph_group_find(graph, group_id);
        for (size_t i = 0; i < group->location_count && lists->locations.count < MAX_LIST; i++)
            if (!list_has(&lists->locations, group->locations[i]))
                lists->locations.items[lists->locations.count++] = group->locations[i];
    } else if (lists->locations.count == 0 && lists->groups.count == 0) {
        /* {sku} alone: the locations that belong to no group. */
        for (size_t i = 0; i < graph->location_count && lists->locations.count < MAX_LIST; i++)
            if (!oci_graph_location_grouped(graph, graph->locations[i]))
                lists->locations.items[lists->locations.count++] = graph->locations[i];
    }
    reply = json_object_new_object();
    oci_store_conn *reader = reply ? oci_store_read_begin(core->store) : NULL;
    int64_t delay = core->config->oci.propagation_delay_ms;
    int64_t as_of = delay > 0 ? oci_core_now(core) - delay : 0;
    cm_err rc = reader ? build_reply(reader, graph, org, lists, lists->groups.count > 0, as_of, reply) : CM_ENOMEM;
    oci_store_read_end(reader);
    if (rc != CM_OK) {
        json_object_put(reply);
        reply = NULL;
        error->internal = rc;
    }
out:
    oci_core_graph_release(core, graph);
    free(lists);
    return reply;
}

void oci_route_get_availability(cm_http_request *request, void *data)
{
    oci_core *core = data;
    json_object *body = oci_request_object(request);
    if (!body)
        return;
    oci_availability_error error;
    json_object *reply = oci_availability_compute(core, oci_request_org(request), body, &error);
    json_object_put(body);
    if (reply)
        cm_http_reply_json(request, 200, reply);
    else if (error.internal)
        oci_reply_internal(request, error.internal, "get-availability");
    else if (error.value[0])
        oci_reply_problem(request, error.status, error.code, error.message, error.field[0] == 'l' ? "locations" : "groups",
                          error.field, error.value);
    else
        oci_reply_invalid(request, error.field, error.message);
}

/* ---- the operator's console (oci_core.h: oci_core_view_*) ---- */

cm_err oci_core_view_availability(oci_core *core, const char *org_id, const char *sku, json_object **out)
{
    *out = NULL;
    if (!oci_core_org(core, org_id))
        return CM_ENOTFOUND;
    if (!oci_valid_sku(sku))
        return CM_EINVAL;
    oci_graph *graph = oci_core_graph_acquire(core, org_id);
    request_lists *lists = calloc(1, sizeof *lists);
    json_object *reply = json_object_new_object();
    cm_err rc = graph && lists && reply ? CM_OK : CM_ENOMEM;
    if (!rc) {
        /* Every location and every group of the graph: the same figures get-availability gives. */
        lists->skus.items[lists->skus.count++] = sku;
        for (size_t i = 0; i < graph->location_count && lists->locations.count < MAX_LIST; i++)
            lists->locations.items[lists->locations.count++] = graph->locations[i];
        for (size_t i = 0; i < graph->group_count && lists->groups.count < MAX_LIST; i++)
            lists->groups.items[lists->groups.count++] = graph->groups[i].id;
        oci_store_conn *reader = oci_store_read_begin(core->store);
        rc = reader ? build_reply(reader, graph, org_id, lists, 1, 0, reply) : CM_EDB;
        oci_store_read_end(reader);
    }
    oci_core_graph_release(core, graph);
    free(lists);
    if (rc) {
        json_object_put(reply);
        return rc;
    }
    *out = reply;
    return CM_OK;
}

cm_err oci_core_view_graph(oci_core *core, const char *org_id, json_object **out)
{
    *out = NULL;
    if (!oci_core_org(core, org_id))
        return CM_ENOTFOUND;
    oci_graph *graph = oci_core_graph_acquire(core, org_id);
    *out = graph ? oci_graph_to_json(graph) : NULL;
    oci_core_graph_release(core, graph);
    return *out ? CM_OK : CM_ENOMEM;
}
