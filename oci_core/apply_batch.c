/* apply_batch.c - oci_core_apply_batch (oci_core.h): a batch of in-process delivery applied at
 * most once under its key, with one marker row instead of one claimed id per record.
 *
 * The marker is read and written by the writer inside the transaction that applies the records, so
 * two deliveries of one key serialize on the writer: the second sees the first's marker (or, when
 * the first rolled back, applies the batch itself). A replay answers from the marker: the same
 * refusals, every other record APPLIED, and nothing written. The marker also keeps the batch's size
 * and a fingerprint of its record ids: a key replayed with other records is refused (CM_EEXIST)
 * rather than answered with results that belong to different records. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "common/body.h"
#include "common/json_util.h"
#include "common/log.h"
#include "oci_core/apply.h"
#include "oci_core/core_internal.h"

/* FNV-1a over the records' ids (the items they come from; a record without one: its place and
 * figures). Not the figures of records with ids: a chunk translated again after the operator
 * changed a tenant's identifier order is the same items, applied before, as record ids would say. */
static void mix(uint64_t *hash, const void *data, size_t length)
{
    const unsigned char *bytes = data;
    for (size_t i = 0; i < length; i++) {
        *hash ^= bytes[i];
        *hash *= 1099511628211ULL;
    }
}

static void mix_text(uint64_t *hash, const char *text)
{
    if (text)
        mix(hash, text, strlen(text) + 1);
    else
        mix(hash, "\xff", 1);
}

static void mix_int(uint64_t *hash, int64_t value)
{
    mix(hash, &value, sizeof value);
}

static int64_t fingerprint(const oci_record_update *records, size_t count)
{
    uint64_t hash = 14695981039346656037ULL;
    for (size_t i = 0; i < count; i++) {
        const oci_record_update *r = &records[i];
        mix_text(&hash, r->record_id);
        if (r->record_id)
            continue;
        mix_text(&hash, r->location_id);
        mix_text(&hash, r->sku);
        mix_int(&hash, r->has_on_hand ? r->on_hand_milli : INT64_MIN);
        mix_int(&hash, r->has_safety_stock ? r->safety_stock_milli : INT64_MIN);
        mix_int(&hash, r->has_effective_date ? r->effective_ms : INT64_MIN);
        mix_int(&hash, r->has_futures ? (int64_t)r->future_count : -1);
        for (size_t f = 0; r->has_futures && f < r->future_count && f < OCI_MAX_FUTURES; f++) {
            mix_int(&hash, r->futures[f].expected_ms);
            mix_int(&hash, r->futures[f].quantity_milli);
        }
    }
    return (int64_t)hash;
}

/* The refusals as the marker keeps them: [[index, "errorCode", "message"], …]; NULL when out of
 * memory. Written as text rather than through a json-c tree: a tree that lost one element to a
 * failed allocation would still serialize, as a marker that answers the wrong record as refused. */
static char *encode_refusals(const oci_apply_result *results, size_t count)
{
    cm_body text;
    cm_body_init(&text, SIZE_MAX);
    cm_err rc = cm_body_append(&text, "[", 1);
    int first = 1;
    for (size_t i = 0; rc == CM_OK && i < count; i++) {
        if (results[i].outcome != OCI_APPLY_REFUSED)
            continue;
        const char *code = results[i].error_code ? results[i].error_code : "";
        rc = cm_body_appendf(&text, "%s[%zu,", first ? "" : ",", i);
        if (rc == CM_OK)
            rc = cm_json_append_string(&text, code, strlen(code));
        if (rc == CM_OK)
            rc = cm_body_append(&text, ",", 1);
        if (rc == CM_OK)
            rc = cm_json_append_string(&text, results[i].message, strlen(results[i].message));
        if (rc == CM_OK)
            rc = cm_body_append(&text, "]", 1);
        first = 0;
    }
    if (rc == CM_OK)
        rc = cm_body_append(&text, "]", 1);
    size_t length = 0;
    char *out = rc == CM_OK ? cm_body_take(&text, &length) : NULL;
    cm_body_free(&text);
    return out;
}

/* Fills `results` as the first application answered. CM_EDB when the marker is unreadable,
 * CM_ENOMEM when memory ran out reading it (the delivery is tried again). */
static cm_err decode_refusals(const char *text, oci_apply_result *results, size_t count)
{
    memset(results, 0, count * sizeof *results); /* OCI_APPLY_APPLIED */
    json_object *list = NULL;
    char parse_error[CM_JSON_ERROR_MAX];
    cm_err rc = cm_json_parse(text, strlen(text), 4, &list, parse_error);
    if (rc == CM_ENOMEM)
        return rc;
    rc = rc == CM_OK && json_object_is_type(list, json_type_array) ? CM_OK : CM_EDB;
    for (size_t n = 0; rc == CM_OK && n < json_object_array_length(list); n++) {
        json_object *entry = json_object_array_get_idx(list, n);
        json_object *first = json_object_array_get_idx(entry, 0);
        int64_t index = json_object_get_int64(first);
        if (!json_object_is_type(entry, json_type_array) || json_object_array_length(entry) != 3 ||
            !json_object_is_type(first, json_type_int) || index < 0 || (size_t)index >= count) {
            rc = CM_EDB;
            break;
        }
        oci_apply_result *result = &results[index];
        result->outcome = OCI_APPLY_REFUSED;
        result->error_code = oci_apply_error_code(json_object_get_string(json_object_array_get_idx(entry, 1)));
        snprintf(result->message, sizeof result->message, "%s",
                 json_object_get_string(json_object_array_get_idx(entry, 2)));
    }
    json_object_put(list);
    return rc;
}

static cm_err apply_new(oci_store_conn *writer, const oci_graph *graph, const char *org_id, const char *batch_key,
                        const oci_record_update *records, size_t count, int64_t print, int64_t now,
                        oci_apply_result *results)
{
    oci_apply_batch batch = {.org = org_id, .updates = records, .count = count, .mode = OCI_APPLY_MERGE,
                             .event_type = "location_update", .now_ms = now, .claim_ids = 0};
    cm_err rc = oci_apply_many(writer, graph, &batch, results);
    if (rc != CM_OK)
        return rc;
    oci_batch_marker marker = {.record_count = (int64_t)count, .fingerprint = print,
                               .refusals = encode_refusals(results, count)};
    rc = marker.refusals ? oci_store_batch_add(writer, org_id, batch_key, &marker, now) : CM_ENOMEM;
    oci_batch_marker_clear(&marker);
    return rc;
}

cm_err oci_core_apply_batch(oci_core *core, const char *org_id, const char *batch_key,
                            const oci_record_update *records, size_t count, oci_apply_result *results)
{
    if (!batch_key)
        return oci_core_apply_records(core, org_id, records, count, results);
    oci_graph *graph = oci_core_graph_acquire(core, org_id);
    if (!graph)
        return CM_ENOTFOUND;
    int64_t print = fingerprint(records, count);
    oci_store_conn *writer = NULL;
    cm_err rc = oci_store_write_begin(core->store, &writer);
    int64_t now = oci_core_now(core);
    oci_batch_marker marker = {0};
    int found = 0, replayed = 0;
    if (rc == CM_OK)
        rc = oci_store_batch_get(writer, org_id, batch_key, &marker, &found);
    if (rc == CM_OK && found) {
        replayed = 1;
        if (marker.record_count != (int64_t)count || marker.fingerprint != print)
            rc = CM_EEXIST;
        else
            rc = decode_refusals(marker.refusals, results, count);
    } else if (rc == CM_OK) {
        rc = apply_new(writer, graph, org_id, batch_key, records, count, print, now, results);
    }
    oci_batch_marker_clear(&marker);
    if (writer) {
        if (rc == CM_OK && !replayed)
            rc = oci_store_write_commit(writer);
        else
            oci_store_write_rollback(writer); /* a replay writes nothing */
    }
    oci_core_graph_release(core, graph);
    if (rc == CM_EEXIST) {
        cm_log_error("oci.apply", "org=%s batch=%s: the key was applied before with other records", org_id,
                     batch_key);
        return rc;
    }
    if (rc != CM_OK) {
        cm_log_error("oci.apply", "org=%s batch=%s records=%zu: %s", org_id, batch_key, count, cm_strerror(rc));
        return rc == CM_ENOMEM || rc == CM_EFULL || rc == CM_EBUSY ? rc : CM_EDB;
    }
    if (replayed)
        cm_log_info("oci.apply_replay", "org=%s batch=%s records=%zu: applied before, answered from its marker",
                    org_id, batch_key, count);
    return CM_OK;
}
