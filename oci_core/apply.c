#include "oci_core/apply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci_core/ids.h"

static void refuse(oci_apply_result *result, const char *code, const char *message, const char *detail)
{
    result->outcome = OCI_APPLY_REFUSED;
    result->error_code = code;
    snprintf(result->message, sizeof result->message, "%s%.100s%s", message, detail ? detail : "",
             detail ? "'" : "");
}

/* 1 when the update is refused (result filled), 0 when it may be applied. */
static int refused(const oci_graph *graph, const oci_record_update *update, oci_apply_result *result)
{
    if (!oci_valid_sku(update->sku)) {
        refuse(result, "InvalidRequestParameter", "'sku' is not a valid sku", NULL);
        return 1;
    }
    if (!update->location_id || !oci_graph_has_location(graph, update->location_id)) {
        /* "" for a missing id: a NULL detail would leave the message's quote unclosed. */
        refuse(result, "LocationDoesNotExist", "No location exists with ID '",
               update->location_id ? update->location_id : "");
        return 1;
    }
    if (update->record_id && !oci_valid_record_id(update->record_id)) {
        refuse(result, "InvalidRequestParameter", "'id' must be a string of 1..128 characters", NULL);
        return 1;
    }
    if (update->future_count > OCI_MAX_FUTURES) {
        refuse(result, "InvalidRequestParameter", "'futures' has too many entries", NULL);
        return 1;
    }
    return 0;
}

/* The new figures of a record: MERGE keeps what the update does not give, REPLACE zeroes it. */
static void merge(const oci_record_update *update, oci_apply_mode mode, const oci_quantities *old_values,
                  oci_quantities *new_values)
{
    if (mode == OCI_APPLY_REPLACE)
        memset(new_values, 0, sizeof *new_values);
    else
        *new_values = *old_values;
    if (update->has_on_hand)
        new_values->on_hand = update->on_hand_milli;
    if (update->has_safety_stock)
        new_values->safety_stock = update->safety_stock_milli;
    if (update->has_effective_date) {
        new_values->has_effective_date = 1;
        new_values->effective_ms = update->effective_ms;
    }
    if (update->has_futures) {
        new_values->future_count = 0;
        /* Same-date futures of one record are merged; the count cannot exceed the input's. */
        oci_qty_merge_futures(new_values->futures, &new_values->future_count, OCI_MAX_FUTURES, update->futures,
                              update->future_count);
    }
    new_values->reserved = old_values->reserved; /* reservations are not set by availability updates */
}

static const oci_record_update *update_at(const oci_apply_batch *batch, size_t i)
{
    return batch->update_list ? batch->update_list[i] : &batch->updates[i];
}

/* Records waiting to be written together; no (location, sku) twice (store.h). */
typedef struct group {
    size_t count;
    size_t index[OCI_STORE_GROUP_MAX]; /* into the batch */
    const char *locations[OCI_STORE_GROUP_MAX], *skus[OCI_STORE_GROUP_MAX];
    int exists[OCI_STORE_GROUP_MAX];
    oci_quantities old_values[OCI_STORE_GROUP_MAX], new_values[OCI_STORE_GROUP_MAX];
    oci_event events[OCI_STORE_GROUP_MAX];
} group;

static int in_group(const group *g, const oci_record_update *update)
{
    for (size_t k = 0; k < g->count; k++)
        if (strcmp(g->skus[k], update->sku) == 0 && strcmp(g->locations[k], update->location_id) == 0)
            return 1;
    return 0;
}

/* Reads the group's old figures, writes the new ones and their events: three statements or so. */
static cm_err flush(oci_store_conn *writer, const oci_apply_batch *batch, group *g, oci_apply_result *results)
{
    if (!g->count)
        return CM_OK;
    cm_err rc = oci_store_records_get_many(writer, batch->org, g->locations, g->skus, g->count, g->old_values,
                                           g->exists);
    for (size_t k = 0; rc == CM_OK && k < g->count; k++) {
        const oci_record_update *update = update_at(batch, g->index[k]);
        merge(update, batch->mode, &g->old_values[k], &g->new_values[k]);
        g->events[k] = (oci_event){
            .org = batch->org,
            .location = update->location_id,
            .sku = update->sku,
            .event_type = batch->event_type,
            .record_id = update->record_id,
            .created_ms = batch->now_ms,
            .has_effective_date = g->new_values[k].has_effective_date,
            .effective_ms = g->new_values[k].effective_ms,
            .old_values = g->old_values[k],
            .new_values = g->new_values[k],
        };
    }
    if (rc == CM_OK)
        rc = oci_store_records_put_many(writer, batch->org, g->locations, g->skus, g->new_values, g->count,
                                        batch->now_ms);
    if (rc == CM_OK)
        rc = oci_store_events_add_many(writer, g->events, g->count);
    for (size_t k = 0; rc == CM_OK && k < g->count; k++)
        results[g->index[k]].outcome = OCI_APPLY_APPLIED;
    g->count = 0;
    return rc;
}

/* Adds record i to the group, writing the group first when it is full or has its place and sku. */
static cm_err add_to_group(oci_store_conn *writer, const oci_apply_batch *batch, group *g, size_t i,
                           oci_apply_result *results)
{
    const oci_record_update *update = update_at(batch, i);
    cm_err rc = CM_OK;
    if (g->count == OCI_STORE_GROUP_MAX || in_group(g, update))
        rc = flush(writer, batch, g, results);
    if (rc != CM_OK)
        return rc;
    /* The outcome is set when the group is written; a failure before leaves it unset and the
     * caller rolls back anyway. */
    g->index[g->count] = i;
    g->locations[g->count] = update->location_id;
    g->skus[g->count] = update->sku;
    g->count++;
    return CM_OK;
}

/* Claims the ids of a window of valid records (one statement for up to a group's worth), marks
 * those applied before DUPLICATE and hands the others to the group. */
static cm_err claim_window(oci_store_conn *writer, const oci_apply_batch *batch, group *g, const size_t *window,
                           size_t count, oci_apply_result *results)
{
    const char *ids[OCI_STORE_GROUP_MAX], *locations[OCI_STORE_GROUP_MAX], *skus[OCI_STORE_GROUP_MAX];
    int claimed[OCI_STORE_GROUP_MAX];
    size_t with_id[OCI_STORE_GROUP_MAX], n = 0;
    for (size_t k = 0; k < count; k++) {
        const oci_record_update *update = update_at(batch, window[k]);
        if (!batch->claim_ids || !update->record_id)
            continue;
        ids[n] = update->record_id;
        locations[n] = update->location_id;
        skus[n] = update->sku;
        with_id[n++] = k;
    }
    /* Claimed before the changes are made: if anything below fails, the caller rolls the whole
     * transaction back, claims included. */
    cm_err rc = n ? oci_store_applied_claim_many(writer, batch->org, ids, locations, skus, n, batch->now_ms, claimed)
                  : CM_OK;
    int duplicate[OCI_STORE_GROUP_MAX] = {0};
    for (size_t m = 0; rc == CM_OK && m < n; m++)
        duplicate[with_id[m]] = !claimed[m];
    for (size_t k = 0; rc == CM_OK && k < count; k++) {
        if (duplicate[k]) {
            results[window[k]].outcome = OCI_APPLY_DUPLICATE;
            snprintf(results[window[k]].message, sizeof results[window[k]].message, "record id already applied");
            continue;
        }
        rc = add_to_group(writer, batch, g, window[k], results);
    }
    return rc;
}

cm_err oci_apply_many(oci_store_conn *writer, const oci_graph *graph, const oci_apply_batch *batch,
                      oci_apply_result *results)
{
    group *g = malloc(sizeof *g);
    if (!g)
        return CM_ENOMEM;
    g->count = 0;
    cm_err rc = CM_OK;
    size_t window[OCI_STORE_GROUP_MAX], waiting = 0;
    for (size_t i = 0; rc == CM_OK && i < batch->count; i++) {
        memset(&results[i], 0, sizeof results[i]);
        if (refused(graph, update_at(batch, i), &results[i]))
            continue;
        window[waiting++] = i;
        if (waiting == OCI_STORE_GROUP_MAX) {
            rc = claim_window(writer, batch, g, window, waiting, results);
            waiting = 0;
        }
    }
    if (rc == CM_OK && waiting)
        rc = claim_window(writer, batch, g, window, waiting, results);
    if (rc == CM_OK)
        rc = flush(writer, batch, g, results);
    free(g);
    return rc;
}

cm_err oci_apply_one(oci_store_conn *writer, const oci_graph *graph, const char *org,
                     const oci_record_update *update, oci_apply_mode mode, const char *event_type,
                     int64_t now_ms, oci_apply_result *result)
{
    oci_apply_batch batch = {
        .org = org, .updates = update, .count = 1, .mode = mode, .event_type = event_type, .now_ms = now_ms,
        .claim_ids = 1};
    return oci_apply_many(writer, graph, &batch, result);
}

const char *oci_apply_error_code(const char *text)
{
    static const char *const CODES[] = {"InvalidRequestParameter", "LocationDoesNotExist"};
    for (size_t i = 0; text && i < sizeof CODES / sizeof CODES[0]; i++)
        if (strcmp(text, CODES[i]) == 0)
            return CODES[i];
    return "Unknown";
}

cm_err oci_delete_one(oci_store_conn *writer, const char *org, const char *location, const char *sku,
                      const char *record_id, int64_t now_ms, int *found)
{
    oci_quantities old_values;
    cm_err rc = oci_store_record_get(writer, org, location, sku, &old_values, found);
    if (rc != CM_OK || !*found)
        return rc;
    rc = oci_store_record_delete(writer, org, location, sku);
    if (rc != CM_OK)
        return rc;
    oci_event event = {
        .org = org,
        .location = location,
        .sku = sku,
        .event_type = "location_delete",
        .record_id = record_id,
        .created_ms = now_ms,
        .old_values = old_values,
        .deleted = 1,
    };
    memset(&event.new_values, 0, sizeof event.new_values);
    return oci_store_event_add(writer, &event);
}
