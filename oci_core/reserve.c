#include "oci_core/reserve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci_core/promise.h"

/* ---- one SKU's promise problem, loaded from the store ---- */

typedef struct sku_problem {
    oci_promise promise;
    const char **location_ids; /* borrowed from the graph or the caller */
    size_t location_capacity;
    const oci_graph_group **graph_groups;
    size_t group_capacity;
    size_t *members;
    int64_t *available;
    oci_promise_group *groups;
    long extra_group, extra_location; /* indexes of the places asked for, -1 when none */
    int use_atf;
    const oci_graph *graph;
    int failed;
} sku_problem;

static void problem_free(sku_problem *p)
{
    free(p->location_ids);
    free(p->graph_groups);
    free(p->members);
    free(p->available);
    free(p->groups);
}

static int add_group(void *context, const char *group_id, int64_t quantity)
{
    sku_problem *p = context;
    const oci_graph_group *group = oci_graph_group_find(p->graph, group_id);
    if (!group)
        return 0; /* removed from the graph: its promise cannot be kept anywhere */
    if (p->promise.group_count == p->group_capacity) {
        size_t capacity = p->group_capacity ? p->group_capacity * 2 : 8;
        const oci_graph_group **grown_groups = realloc(p->graph_groups, capacity * sizeof *grown_groups);
        if (grown_groups)
            p->graph_groups = grown_groups;
        oci_promise_group *grown = grown_groups ? realloc(p->groups, capacity * sizeof *grown) : NULL;
        if (!grown) {
            p->failed = 1;
            return 1;
        }
        p->groups = grown;
        p->group_capacity = capacity;
    }
    size_t g = p->promise.group_count++;
    p->graph_groups[g] = group;
    memset(&p->groups[g], 0, sizeof p->groups[g]);
    p->groups[g].reserved = quantity;
    return 0;
}

static long location_index(const sku_problem *p, const char *location)
{
    for (size_t i = 0; i < p->promise.location_count; i++)
        if (strcmp(p->location_ids[i], location) == 0)
            return (long)i;
    return -1;
}

static long add_location(sku_problem *p, const char *location)
{
    long at = location_index(p, location);
    if (at >= 0)
        return at;
    p->location_ids[p->promise.location_count] = location;
    return (long)p->promise.location_count++;
}

static int64_t availability(const oci_quantities *record, int use_atf)
{
    return use_atf ? oci_qty_record_atf(record) : oci_qty_record_ato(record);
}

/* Loads the groups holding reservations of `sku` (plus `extra_group`), their locations (plus
 * `extra_location`) and what each location can give. */
static cm_err problem_load(oci_store_conn *conn, const oci_graph *graph, const char *org, const char *sku,
                           const char *extra_group, const char *extra_location, int use_atf, sku_problem *p)
{
    memset(p, 0, sizeof *p);
    p->graph = graph;
    p->use_atf = use_atf;
    p->extra_group = p->extra_location = -1;
    cm_err rc = oci_store_group_reserved_scan(conn, org, sku, add_group, p);
    if (rc == CM_OK && p->failed)
        rc = CM_ENOMEM;
    if (rc == CM_OK && extra_group) {
        for (size_t g = 0; g < p->promise.group_count; g++)
            if (strcmp(p->graph_groups[g]->id, extra_group) == 0)
                p->extra_group = (long)g;
        if (p->extra_group < 0 && oci_graph_group_find(graph, extra_group)) {
            add_group(p, extra_group, 0);
            rc = p->failed ? CM_ENOMEM : CM_OK;
            p->extra_group = (long)p->promise.group_count - 1;
        }
    }
    size_t slots = 1;
    for (size_t g = 0; rc == CM_OK && g < p->promise.group_count; g++)
        slots += p->graph_groups[g]->location_count;
    if (rc == CM_OK) {
        p->members = calloc(slots, sizeof *p->members);
        p->location_ids = calloc(slots, sizeof *p->location_ids);
        p->available = calloc(slots, sizeof *p->available);
        if (!p->members || !p->location_ids || !p->available)
            rc = CM_ENOMEM;
    }
    size_t used = 0;
    for (size_t g = 0; rc == CM_OK && g < p->promise.group_count; g++) {
        const oci_graph_group *group = p->graph_groups[g];
        p->groups[g].members = &p->members[used];
        p->groups[g].member_count = group->location_count;
        for (size_t m = 0; m < group->location_count; m++)
            p->members[used++] = (size_t)add_location(p, group->locations[m]);
    }
    if (rc == CM_OK && extra_location)
        p->extra_location = add_location(p, extra_location);
    for (size_t l = 0; rc == CM_OK && l < p->promise.location_count; l++) {
        oci_quantities record;
        int exists;
        rc = oci_store_record_get(conn, org, p->location_ids[l], sku, &record, &exists);
        p->available[l] = rc == CM_OK ? availability(&record, use_atf) : 0;
    }
    p->promise.available = p->available;
    p->promise.groups = p->groups;
    if (rc != CM_OK)
        problem_free(p);
    return rc;
}

/* ---- changing one place, with its event ---- */

static cm_err change_location(oci_store_conn *writer, const char *org, const char *location, const char *sku,
                              int64_t reserved_delta, int64_t on_hand_delta, const char *event_type,
                              const char *record_id, int64_t now_ms)
{
    oci_quantities old_values, new_values;
    int exists = 0;
    cm_err rc = oci_store_record_get(writer, org, location, sku, &old_values, &exists);
    if (rc != CM_OK)
        return rc;
    new_values = old_values;
    new_values.reserved += reserved_delta;
    if (new_values.reserved < 0)
        new_values.reserved = 0;
    new_values.on_hand += on_hand_delta;
    if (new_values.on_hand < 0)
        new_values.on_hand = 0;
    rc = oci_store_record_put(writer, org, location, sku, &new_values, now_ms);
    if (rc != CM_OK)
        return rc;
    oci_event event = {
        .org = org,
        .location = location,
        .sku = sku,
        .event_type = event_type,
        .record_id = record_id,
        .created_ms = now_ms,
        .has_effective_date = new_values.has_effective_date,
        .effective_ms = new_values.effective_ms,
        .old_values = old_values,
        .new_values = new_values,
    };
    return oci_store_event_add(writer, &event);
}

static cm_err change_group(oci_store_conn *writer, const char *org, const char *group, const char *sku,
                           int64_t delta, const char *event_type, const char *record_id, int64_t now_ms)
{
    int64_t old_quantity = 0;
    cm_err rc = oci_store_group_reserved_get(writer, org, group, sku, &old_quantity);
    int64_t new_quantity = old_quantity + delta < 0 ? 0 : old_quantity + delta;
    if (rc == CM_OK)
        rc = oci_store_group_reserved_set(writer, org, group, sku, new_quantity);
    if (rc != CM_OK)
        return rc;
    oci_event event = {
        .org = org,
        .location = group,
        .sku = sku,
        .event_type = event_type,
        .record_id = record_id,
        .place_type = "group",
        .created_ms = now_ms,
    };
    memset(&event.old_values, 0, sizeof event.old_values);
    memset(&event.new_values, 0, sizeof event.new_values);
    event.old_values.reserved = old_quantity;
    event.new_values.reserved = new_quantity;
    return oci_store_event_add(writer, &event);
}

static int is_group(oci_place place)
{
    return strcmp(place.type, "group") == 0;
}

static cm_err place_reserved(oci_store_conn *conn, const char *org, const char *sku, oci_place place, int64_t *out)
{
    if (is_group(place))
        return oci_store_group_reserved_get(conn, org, place.id, sku, out);
    oci_quantities record;
    int exists;
    cm_err rc = oci_store_record_get(conn, org, place.id, sku, &record, &exists);
    *out = record.reserved;
    return rc;
}

static cm_err change_place(oci_store_conn *writer, const char *org, const char *sku, oci_place place, int64_t delta,
                           const char *event_type, const char *record_id, int64_t now_ms)
{
    return is_group(place) ? change_group(writer, org, place.id, sku, delta, event_type, record_id, now_ms)
                           : change_location(writer, org, place.id, sku, delta, 0, event_type, record_id, now_ms);
}

/* ---- the operations ---- */

cm_err oci_reserve_place(oci_store_conn *writer, const oci_graph *graph, const oci_reserve_request *request,
                         int64_t *reserved)
{
    *reserved = 0;
    oci_place place = {request->place_type, request->place_id};
    int group = is_group(place);
    sku_problem p;
    cm_err rc = problem_load(writer, graph, request->org, request->sku, group ? place.id : NULL,
                             group ? NULL : place.id, request->fulfill_only, &p);
    if (rc != CM_OK)
        return rc;
    int64_t headroom = 0;
    if (group && p.extra_group >= 0)
        headroom = oci_promise_group_headroom(&p.promise, (size_t)p.extra_group, request->quantity);
    else if (!group)
        headroom = oci_promise_location_headroom(&p.promise, (size_t)p.extra_location, request->quantity);
    problem_free(&p);
    if (headroom < 0)
        return CM_ENOMEM;
    int64_t take = request->allow_partial ? headroom : headroom == request->quantity ? headroom : 0;
    if (take == 0)
        return CM_OK;
    rc = change_place(writer, request->org, request->sku, place, take,
                      group ? "group_reservation" : "location_reservation", request->reservation_id, request->now_ms);
    if (rc == CM_OK && request->reservation_id)
        rc = oci_store_reservation_line_add(writer, request->org, request->reservation_id, place.type, place.id,
                                            request->sku, take);
    if (rc == CM_OK)
        *reserved = take;
    return rc;
}

/* Would the destination take `quantity` after the source gave it up? */
static cm_err destination_can_take(oci_store_conn *writer, const oci_graph *graph, const char *org, const char *sku,
                                   oci_place from, oci_place to, int64_t quantity, int *ok)
{
    sku_problem p;
    cm_err rc = problem_load(writer, graph, org, sku, is_group(from) ? from.id : is_group(to) ? to.id : NULL,
                             is_group(to) ? (is_group(from) ? NULL : from.id) : to.id, 0, &p);
    if (rc != CM_OK)
        return rc;
    int64_t headroom;
    if (is_group(from)) {
        /* group -> location: the group's promise shrinks, the location takes the quantity. */
        if (p.extra_group >= 0)
            p.groups[p.extra_group].reserved -= quantity;
        headroom = oci_promise_location_headroom(&p.promise, (size_t)p.extra_location, quantity);
    } else if (is_group(to)) {
        /* location -> group: the location's reservation is freed, the group promises it instead. */
        long from_index = location_index(&p, from.id);
        if (from_index >= 0)
            p.available[from_index] += quantity;
        headroom = p.extra_group >= 0 ? oci_promise_group_headroom(&p.promise, (size_t)p.extra_group, quantity) : 0;
    } else {
        long from_index = location_index(&p, from.id);
        if (from_index >= 0)
            p.available[from_index] += quantity;
        headroom = oci_promise_location_headroom(&p.promise, (size_t)p.extra_location, quantity);
    }
    problem_free(&p);
    if (headroom < 0)
        return CM_ENOMEM;
    *ok = headroom == quantity;
    return CM_OK;
}

cm_err oci_transfer(oci_store_conn *writer, const oci_graph *graph, const char *org, const char *sku,
                    oci_place from, oci_place to, int64_t quantity, int force, const char *record_id,
                    int64_t now_ms, oci_move_outcome *outcome)
{
    *outcome = OCI_MOVE_INSUFFICIENT;
    int64_t at_source = 0;
    cm_err rc = place_reserved(writer, org, sku, from, &at_source);
    if (rc != CM_OK || at_source < quantity)
        return rc;
    int ok = 1;
    if (!force)
        rc = destination_can_take(writer, graph, org, sku, from, to, quantity, &ok);
    if (rc != CM_OK || !ok)
        return rc;
    rc = change_place(writer, org, sku, from, -quantity, "transfer_out", record_id, now_ms);
    if (rc == CM_OK)
        rc = change_place(writer, org, sku, to, quantity, "transfer_in", record_id, now_ms);
    if (rc == CM_OK)
        *outcome = OCI_MOVE_DONE;
    return rc;
}

cm_err oci_release(oci_store_conn *writer, const char *org, const char *sku, oci_place place, int64_t quantity,
                   int clamp, const char *event_type, const char *record_id, int64_t now_ms,
                   oci_move_outcome *outcome, int64_t *released)
{
    *outcome = OCI_MOVE_INSUFFICIENT;
    *released = 0;
    int64_t there = 0;
    cm_err rc = place_reserved(writer, org, sku, place, &there);
    if (rc != CM_OK)
        return rc;
    if (there < quantity) {
        if (!clamp)
            return CM_OK;
        quantity = there;
    }
    if (quantity > 0)
        rc = change_place(writer, org, sku, place, -quantity, event_type, record_id, now_ms);
    if (rc == CM_OK) {
        *outcome = OCI_MOVE_DONE;
        *released = quantity;
    }
    return rc;
}

cm_err oci_fulfil(oci_store_conn *writer, const char *org, const char *location, const char *sku,
                  int64_t quantity, int has_time, int64_t fulfillment_ms, const char *record_id, int64_t now_ms,
                  oci_move_outcome *outcome)
{
    *outcome = OCI_MOVE_INSUFFICIENT;
    oci_quantities record;
    int exists = 0;
    cm_err rc = oci_store_record_get(writer, org, location, sku, &record, &exists);
    if (rc != CM_OK || !exists || record.reserved < quantity)
        return rc;
    int64_t when = has_time ? fulfillment_ms : now_ms;
    /* A count taken after the fulfilment (effectiveDate later) already reflects it. */
    int counted = record.has_effective_date && when < record.effective_ms;
    rc = change_location(writer, org, location, sku, -quantity, counted ? 0 : -quantity, "fulfillment", record_id,
                         now_ms);
    if (rc == CM_OK)
        *outcome = OCI_MOVE_DONE;
    return rc;
}

cm_err oci_group_promise_figures(oci_store_conn *conn, const oci_graph *graph, const char *org, const char *sku,
                                 const char *group_id, int64_t *group_reserved, int64_t *shared_group_reserved)
{
    *group_reserved = *shared_group_reserved = 0;
    sku_problem p;
    cm_err rc = problem_load(conn, graph, org, sku, group_id, NULL, 0, &p);
    if (rc != CM_OK)
        return rc;
    if (p.extra_group < 0 || p.promise.group_count == 0) {
        problem_free(&p);
        return CM_OK;
    }
    size_t cells = p.promise.group_count * p.promise.location_count;
    int64_t *locked = calloc(cells ? cells : 1, sizeof *locked);
    int holds = locked ? oci_promise_allocate(&p.promise, locked) : -1;
    if (holds >= 0) {
        *group_reserved = p.groups[p.extra_group].reserved;
        *shared_group_reserved = oci_promise_shared(&p.promise, locked, (size_t)p.extra_group);
    }
    free(locked);
    problem_free(&p);
    return holds < 0 ? CM_ENOMEM : CM_OK;
}

typedef struct doc_line {
    char place_type[16];
    char place_id[OCI_LOCATION_ID_MAX + 1];
    char sku[OCI_SKU_MAX + 1];
    int64_t quantity;
} doc_line;

typedef struct doc_lines {
    doc_line *items;
    size_t count, capacity;
    int failed;
} doc_lines;

static int collect_line(void *context, const char *place_type, const char *place_id, const char *sku,
                        int64_t quantity)
{
    doc_lines *lines = context;
    if (lines->count == lines->capacity) {
        size_t capacity = lines->capacity ? lines->capacity * 2 : 16;
        doc_line *grown = realloc(lines->items, capacity * sizeof *grown);
        if (!grown) {
            lines->failed = 1;
            return 1;
        }
        lines->items = grown;
        lines->capacity = capacity;
    }
    doc_line *line = &lines->items[lines->count++];
    snprintf(line->place_type, sizeof line->place_type, "%s", place_type);
    snprintf(line->place_id, sizeof line->place_id, "%s", place_id);
    snprintf(line->sku, sizeof line->sku, "%s", sku);
    line->quantity = quantity;
    return 0;
}

cm_err oci_reservation_close(oci_store_conn *writer, const char *org, const char *id, const char *status,
                             int64_t now_ms, int *closed)
{
    *closed = 0;
    oci_reservation_row row;
    int found = 0;
    cm_err rc = oci_store_reservation_get(writer, org, id, &row, &found);
    if (rc != CM_OK || !found || strcmp(row.status, "OPEN") != 0)
        return rc;
    doc_lines lines = {0};
    rc = oci_store_reservation_lines_scan(writer, org, id, collect_line, &lines);
    if (rc == CM_OK && lines.failed)
        rc = CM_ENOMEM;
    const char *event_type = strcmp(status, "EXPIRED") == 0 ? "reservation_expired" : "reservation_cancelled";
    for (size_t i = 0; rc == CM_OK && i < lines.count; i++) {
        oci_place place = {lines.items[i].place_type, lines.items[i].place_id};
        oci_move_outcome outcome;
        int64_t released;
        rc = oci_release(writer, org, lines.items[i].sku, place, lines.items[i].quantity, 1, event_type, id, now_ms,
                         &outcome, &released);
    }
    free(lines.items);
    if (rc == CM_OK)
        rc = oci_store_reservation_close(writer, org, id, status, now_ms);
    if (rc == CM_OK)
        *closed = 1;
    return rc;
}
