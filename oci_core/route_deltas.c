/* route_deltas.c - POST …/availability-records/actions/get-deltas: the changes since a delta token. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json_util.h"
#include "common/uuid.h"
#include "oci_core/core_internal.h"
#include "oci_core/errors.h"
#include "oci_core/limits.h"
#include "oci_core/render.h"
#include "oci_core/reserve.h"
#include "oci_core/route_util.h"

typedef struct change {
    char *place; /* borrowed from the graph or the token's places */
    char *sku;   /* owned */
} change;

typedef struct change_set {
    change items[OCI_DELTA_PAGE_MAX_EVENTS * 4];
    size_t count;
    int64_t last_seq;
    int failed;
    int by_groups;
    const oci_graph *graph;
    json_object *places; /* the token's place ids */
} change_set;

static void add_change(change_set *set, const char *place, const char *sku)
{
    for (size_t i = 0; i < set->count; i++)
        if (strcmp(set->items[i].place, place) == 0 && strcmp(set->items[i].sku, sku) == 0)
            return;
    if (set->count == sizeof set->items / sizeof set->items[0]) {
        set->failed = 1;
        return;
    }
    char *copy = strdup(sku);
    if (!copy) {
        set->failed = 1;
        return;
    }
    set->items[set->count].place = (char *)place;
    set->items[set->count].sku = copy;
    set->count++;
}

static int visit_event(void *context, int64_t seq, const char *place_type, const char *location, const char *sku)
{
    change_set *set = context;
    set->last_seq = seq;
    size_t count = json_object_array_length(set->places);
    int group_event = strcmp(place_type, "group") == 0;
    for (size_t i = 0; i < count; i++) {
        const char *place = json_object_get_string(json_object_array_get_idx(set->places, i));
        if (group_event) {
            if (set->by_groups && strcmp(place, location) == 0)
                add_change(set, place, sku);
            continue;
        }
        if (!set->by_groups) {
            if (strcmp(place, location) == 0)
                add_change(set, place, sku);
            continue;
        }
        const oci_graph_group *group = oci_graph_group_find(set->graph, place);
        for (size_t m = 0; group && m < group->location_count; m++)
            if (strcmp(group->locations[m], location) == 0)
                add_change(set, place, sku);
    }
    return set->failed;
}

static json_object *delta_record(const char *place, const char *sku, int deleted, int64_t atf, int64_t ato,
                                 int64_t on_hand, int64_t reserved, int64_t safety, int has_effective,
                                 int64_t effective_ms, const oci_future *futures, size_t future_count)
{
    json_object *record = json_object_new_object();
    json_object *future_list = oci_render_futures(futures, future_count);
    if (!record || !future_list) {
        json_object_put(record);
        json_object_put(future_list);
        return NULL;
    }
    json_object_object_add(record, "sku", json_object_new_string(sku));
    json_object_object_add(record, "deltaType", json_object_new_string(deleted ? "Delete" : "Change"));
    json_object_object_add(record, "id", json_object_new_string(place));
    if (has_effective)
        oci_render_time(record, "effectiveDate", effective_ms);
    json_object_object_add(record, "onHand", cm_json_new_milli(on_hand));
    json_object_object_add(record, "atf", cm_json_new_milli(atf));
    json_object_object_add(record, "ato", cm_json_new_milli(ato));
    json_object_object_add(record, "reserved", cm_json_new_milli(reserved));
    json_object_object_add(record, "safetyStockCount", cm_json_new_milli(safety));
    json_object_object_add(record, "futures", future_list);
    return record;
}

static cm_err render_change(oci_store_conn *reader, const char *org, const change_set *set, const change *item,
                            json_object *records)
{
    json_object *record = NULL;
    if (!set->by_groups) {
        oci_quantities q;
        int exists;
        cm_err rc = oci_store_record_get(reader, org, item->place, item->sku, &q, &exists);
        if (rc != CM_OK)
            return rc;
        record = delta_record(item->place, item->sku, !exists, oci_qty_record_atf(&q), oci_qty_record_ato(&q),
                              q.on_hand, q.reserved, q.safety_stock, q.has_effective_date, q.effective_ms,
                              q.futures, q.future_count);
    } else {
        const oci_graph_group *group = oci_graph_group_find(set->graph, item->place);
        oci_group_sum sum;
        oci_group_sum_init(&sum);
        cm_err rc = CM_OK;
        for (size_t m = 0; group && rc == CM_OK && m < group->location_count; m++) {
            oci_quantities q;
            int exists;
            rc = oci_store_record_get(reader, org, group->locations[m], item->sku, &q, &exists);
            if (rc == CM_OK && exists)
                rc = oci_group_sum_add(&sum, &q);
        }
        if (rc == CM_OK && group)
            rc = oci_group_promise_figures(reader, set->graph, org, item->sku, group->id, &sum.group_reserved,
                                           &sum.shared_group_reserved);
        if (rc == CM_OK)
            record = delta_record(item->place, item->sku, sum.member_count == 0 && sum.group_reserved == 0, oci_group_sum_atf(&sum),
                                  oci_group_sum_ato(&sum), sum.on_hand, oci_group_sum_reserved_total(&sum),
                                  sum.safety_stock, sum.has_effective_date, sum.effective_ms, sum.futures,
                                  sum.future_count);
        oci_group_sum_free(&sum);
        if (rc != CM_OK)
            return rc;
    }
    if (!record)
        return CM_ENOMEM;
    json_object_array_add(records, record);
    return CM_OK;
}

/* The locations whose events matter for the token's places, as JSON text (caller frees). */
static char *watched_locations(const oci_graph *graph, json_object *places, int by_groups)
{
    if (!by_groups)
        return strdup(json_object_to_json_string_ext(places, JSON_C_TO_STRING_PLAIN));
    json_object *locations = json_object_new_array();
    for (size_t i = 0; locations && i < json_object_array_length(places); i++) {
        const oci_graph_group *group =
            oci_graph_group_find(graph, json_object_get_string(json_object_array_get_idx(places, i)));
        for (size_t m = 0; group && m < group->location_count; m++)
            json_object_array_add(locations, json_object_new_string(group->locations[m]));
    }
    char *text = locations ? strdup(json_object_to_json_string_ext(locations, JSON_C_TO_STRING_PLAIN)) : NULL;
    json_object_put(locations);
    return text;
}

void oci_route_get_deltas(cm_http_request *request, void *data)
{
    oci_core *core = data;
    const char *org = oci_request_org(request);
    json_object *body = oci_request_object(request);
    if (!body)
        return;
    change_set *set = NULL;
    oci_graph *graph = NULL;
    char *watched = NULL;
    json_object *reply = NULL;
    oci_delta_token token;
    memset(&token, 0, sizeof token);
    const char *text = NULL;
    if (cm_json_string(body, "deltaToken", &text) != CM_JSON_OK || !*text) {
        oci_reply_invalid(request, "deltaToken", "The field 'deltaToken' is missing from the request body.");
        goto out;
    }
    oci_store_conn *reader = oci_store_read_begin(core->store);
    int found = 0;
    cm_err rc = reader ? oci_store_token_get(reader, text, &token, &found) : CM_EDB;
    if (rc != CM_OK || !found || strcmp(token.org, org) != 0) {
        oci_store_read_end(reader);
        if (rc != CM_OK)
            oci_reply_internal(request, rc, "get-deltas");
        else
            oci_reply_invalid(request, "deltaToken", "The delta token provided is invalid.");
        goto out;
    }
    if (token.created_ms + OCI_DELTA_TOKEN_TTL_MS <= oci_core_now(core)) {
        oci_store_read_end(reader);
        oci_reply_problem(request, 410, "ExpiredDeltaLink", "The delta token provided has expired.", "deltaToken",
                          NULL, NULL);
        goto out;
    }
    set = calloc(1, sizeof *set);
    graph = oci_core_graph_acquire(core, org);
    char parse_error[CM_JSON_ERROR_MAX];
    if (set && (cm_json_parse(token.places, strlen(token.places), CM_JSON_MAX_DEPTH, &set->places, parse_error) != CM_OK ||
                !json_object_is_type(set->places, json_type_array)))
        rc = CM_EINVAL;
    if (!set || !graph)
        rc = CM_ENOMEM;
    int more = 0;
    if (rc == CM_OK) {
        set->by_groups = strcmp(token.place_type, "groups") == 0;
        set->graph = graph;
        set->last_seq = token.after_seq;
        watched = watched_locations(graph, set->places, set->by_groups);
        rc = watched ? oci_store_events_scan(reader, org, token.after_seq, watched,
                                             set->by_groups ? token.places : NULL, OCI_DELTA_PAGE_MAX_EVENTS,
                                             visit_event, set, &more)
                     : CM_ENOMEM;
        if (rc == CM_OK && set->failed)
            rc = CM_ENOMEM;
    }
    json_object *records = NULL;
    if (rc == CM_OK) {
        reply = json_object_new_object();
        records = json_object_new_array();
        rc = reply && records ? CM_OK : CM_ENOMEM;
    }
    for (size_t i = 0; rc == CM_OK && i < set->count; i++)
        rc = render_change(reader, org, set, &set->items[i], records);
    oci_store_read_end(reader);
    oci_delta_token next = token;
    if (rc == CM_OK) {
        char uuid[CM_UUID_TEXT_LEN + 1];
        cm_uuid_random(uuid);
        snprintf(next.token, sizeof next.token, "%s", uuid);
        next.after_seq = set->last_seq;
        next.created_ms = oci_core_now(core);
        oci_store_conn *writer = NULL;
        rc = oci_store_write_begin(core->store, &writer);
        if (rc == CM_OK) {
            rc = oci_store_token_insert(writer, &next);
            rc = rc == CM_OK ? oci_store_write_commit(writer) : (oci_store_write_rollback(writer), rc);
        }
    }
    if (rc != CM_OK) {
        json_object_put(records);
        oci_reply_internal(request, rc, "get-deltas");
        goto out;
    }
    json_object_object_add(reply, "nextDeltaToken", json_object_new_string(next.token));
    json_object_object_add(reply, "shouldQueryAgain", json_object_new_boolean(more));
    json_object_object_add(reply, "records", records);
    cm_http_reply_json(request, 200, reply);
    reply = NULL;
out:
    json_object_put(reply);
    if (set) {
        for (size_t i = 0; i < set->count; i++)
            free(set->items[i].sku);
        json_object_put(set->places);
        free(set);
    }
    free(watched);
    oci_core_graph_release(core, graph);
    oci_delta_token_clear(&token);
    json_object_put(body);
}
