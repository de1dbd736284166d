#include "queue/adjust.h"
#include "common/clock.h"
#include "common/json_util.h"
#include "queue/messages.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATE_JSON_MAX_DEPTH 4
#define MAX_NOTES 100

int64_t q_adjust_on_hand(int64_t current_milli, int64_t delta_units, int *clamped)
{
    int64_t result = current_milli + delta_units * 1000;
    *clamped = result < 0;
    return result < 0 ? 0 : result;
}

/* Applies a saved state to the records. 0, or -1 when it does not fit them. */
static int apply_state(q_adjust_chunk *chunk, const char *text, size_t length)
{
    json_object *state = NULL, *values = NULL, *read_ms = NULL;
    char parse_error[CM_JSON_ERROR_MAX];
    if (cm_json_parse(text, length, STATE_JSON_MAX_DEPTH, &state, parse_error) != CM_OK ||
        !json_object_object_get_ex(state, "values", &values) || !json_object_is_type(values, json_type_array) ||
        json_object_array_length(values) != chunk->record_count || !json_object_object_get_ex(state, "readMs", &read_ms)) {
        json_object_put(state);
        return -1;
    }
    for (size_t i = 0; i < chunk->record_count; i++) {
        json_object *pair = json_object_array_get_idx(values, i);
        if (!json_object_is_type(pair, json_type_array) || json_object_array_length(pair) != 2 ||
            !json_object_is_type(json_object_array_get_idx(pair, 0), json_type_int) ||
            !json_object_is_type(json_object_array_get_idx(pair, 1), json_type_int) ||
            !json_object_is_type(read_ms, json_type_int)) {
            json_object_put(state);
            return -1;
        }
        chunk->records[i].on_hand_milli = json_object_get_int64(json_object_array_get_idx(pair, 0));
        chunk->records[i].safety_stock_milli = json_object_get_int64(json_object_array_get_idx(pair, 1));
        chunk->records[i].effective_ms = json_object_get_int64(read_ms);
    }
    json_object_put(state);
    return 0;
}

/* The index of the first record of the chunk with the same sku as record i (i itself if none). */
static size_t first_with_sku(const q_adjust_chunk *chunk, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (strcmp(chunk->records[j].sku, chunk->records[i].sku) == 0)
            return j;
    return i;
}

/* Reads the current availability of every distinct sku, in calls of at most 100 skus. */
static q_delivery_status read_current(q_adjust_chunk *chunk, q_availability *current,
                                      char message[Q_DELIVERY_MESSAGE_MAX])
{
    const char **skus = calloc(chunk->record_count ? chunk->record_count : 1, sizeof *skus);
    size_t *slot = calloc(chunk->record_count ? chunk->record_count : 1, sizeof *slot);
    q_availability *found = calloc(chunk->record_count ? chunk->record_count : 1, sizeof *found);
    if (!skus || !slot || !found) {
        free(skus);
        free(slot);
        free(found);
        snprintf(message, Q_DELIVERY_MESSAGE_MAX, "out of memory");
        return Q_DELIVERY_RETRY;
    }
    size_t distinct = 0;
    for (size_t i = 0; i < chunk->record_count; i++) {
        size_t first = first_with_sku(chunk, i);
        if (first == i) {
            slot[i] = distinct;
            skus[distinct++] = chunk->records[i].sku;
        } else {
            slot[i] = slot[first];
        }
    }
    const char *location = chunk->records[0].location_id;
    q_delivery_status status = Q_DELIVERY_OK;
    for (size_t start = 0; start < distinct && status == Q_DELIVERY_OK; start += Q_READ_MAX_COMBINATIONS) {
        size_t count = distinct - start < Q_READ_MAX_COMBINATIONS ? distinct - start : Q_READ_MAX_COMBINATIONS;
        q_read read = {
            .organization_id = chunk->organization_id,
            .skus = skus + start,
            .sku_count = count,
            .locations = &location,
            .location_count = 1,
            .out = found + start,
        };
        status = chunk->delivery->read(chunk->delivery, &read, message);
    }
    for (size_t i = 0; status == Q_DELIVERY_OK && i < chunk->record_count; i++)
        current[i] = found[slot[i]];
    free(skus);
    free(slot);
    free(found);
    return status;
}

q_adjust_outcome q_adjust_prepare(q_adjust_chunk *chunk, char message[Q_DELIVERY_MESSAGE_MAX])
{
    message[0] = '\0';
    if (chunk->record_count == 0)
        return Q_ADJUST_READY;
    char *saved = NULL;
    size_t saved_length = 0;
    cm_err rc = q_store_load_chunk_state(chunk->store, chunk->job_id, chunk->chunk_index, &saved, &saved_length);
    if (rc == CM_OK) {
        int fits = apply_state(chunk, saved, saved_length);
        free(saved);
        if (fits != 0) {
            snprintf(message, Q_DELIVERY_MESSAGE_MAX, "the saved values of chunk %" PRId64 " do not match its items",
                     chunk->chunk_index + 1);
            return Q_ADJUST_FINAL;
        }
        return Q_ADJUST_READY;
    }
    if (rc != CM_ENOTFOUND) {
        snprintf(message, Q_DELIVERY_MESSAGE_MAX, "the saved values of chunk %" PRId64 " could not be read: %s",
                 chunk->chunk_index + 1, cm_strerror(rc));
        return Q_ADJUST_RETRY;
    }

    q_availability *current = calloc(chunk->record_count, sizeof *current);
    if (!current) {
        snprintf(message, Q_DELIVERY_MESSAGE_MAX, "out of memory");
        return Q_ADJUST_RETRY;
    }
    /* The moment is taken before the read: every fulfilment the read reflects happened before it. */
    int64_t read_ms = chunk->read_ms ? chunk->read_ms : cm_now_ms();
    q_delivery_status status = read_current(chunk, current, message);
    if (status != Q_DELIVERY_OK) {
        free(current);
        return status == Q_DELIVERY_FINAL ? Q_ADJUST_FINAL : Q_ADJUST_RETRY;
    }
    json_object *state = json_object_new_object();
    json_object *values = json_object_new_array_ext((int)chunk->record_count);
    json_object *notes = json_object_new_array();
    size_t note_count = 0;
    for (size_t i = 0; i < chunk->record_count; i++) {
        tr_record *record = &chunk->records[i];
        int64_t delta = record->on_hand_milli / 1000;
        size_t first = first_with_sku(chunk, i);
        /* A sku listed again in the chunk continues from the value computed for its previous
         * occurrence: both deltas count. The previous occurrence is the last j < i with that sku. */
        int64_t base = current[i].on_hand_milli;
        for (size_t j = i; j-- > first;)
            if (strcmp(chunk->records[j].sku, record->sku) == 0) {
                base = chunk->records[j].on_hand_milli;
                break;
            }
        int clamped = 0;
        record->on_hand_milli = q_adjust_on_hand(base, delta, &clamped);
        record->safety_stock_milli = current[i].safety_stock_milli;
        record->effective_ms = read_ms;
        if (clamped && note_count++ < MAX_NOTES) {
            char text[400];
            snprintf(text, sizeof text,
                     "items[%zu] (sku %s): on-hand %" PRId64 "%s %+" PRId64 " would be below 0; OCI's onHand has "
                     "minimum 0, so 0 was written.",
                     record->item_index, record->sku, base / 1000, base % 1000 ? " (fractional)" : "", delta);
            json_object_array_add(notes, json_object_new_string(text));
        }
        json_object *pair = json_object_new_array();
        json_object_array_add(pair, json_object_new_int64(record->on_hand_milli));
        json_object_array_add(pair, json_object_new_int64(record->safety_stock_milli));
        json_object_array_add(values, pair);
    }
    if (note_count > MAX_NOTES) {
        char text[128];
        snprintf(text, sizeof text, "%zu items of chunk %" PRId64 " were raised to 0; the first %d are listed.",
                 note_count, chunk->chunk_index + 1, MAX_NOTES);
        json_object_array_add(notes, json_object_new_string(text));
    }
    free(current);
    json_object_object_add(state, "readMs", json_object_new_int64(read_ms));
    json_object_object_add(state, "values", values);
    json_object_object_add(state, "notes", notes);
    rc = q_store_save_chunk_state(chunk->store, chunk->job_id, chunk->worker_token, chunk->chunk_index,
                                  json_object_to_json_string_ext(state, JSON_C_TO_STRING_PLAIN));
    json_object_put(state);
    if (rc == CM_ESTATE)
        return Q_ADJUST_LOST;
    if (rc) {
        /* Nothing was delivered: the next try reads again, which is as correct as this one. */
        snprintf(message, Q_DELIVERY_MESSAGE_MAX, "the computed values of chunk %" PRId64 " could not be saved: %s",
                 chunk->chunk_index + 1, cm_strerror(rc));
        return Q_ADJUST_RETRY;
    }
    return Q_ADJUST_READY;
}

void q_adjust_add_notes(q_store *store, int64_t job_id, int64_t chunk_index, cm_body *messages)
{
    char *saved = NULL;
    size_t length = 0;
    if (q_store_load_chunk_state(store, job_id, chunk_index, &saved, &length) != CM_OK)
        return;
    json_object *state = NULL, *notes = NULL;
    char parse_error[CM_JSON_ERROR_MAX];
    if (cm_json_parse(saved, length, STATE_JSON_MAX_DEPTH, &state, parse_error) == CM_OK &&
        json_object_object_get_ex(state, "notes", &notes) && json_object_is_type(notes, json_type_array))
        for (size_t i = 0; i < json_object_array_length(notes); i++)
            if (json_object_is_type(json_object_array_get_idx(notes, i), json_type_string))
                q_messages_add(messages, json_object_get_string(json_object_array_get_idx(notes, i)));
    json_object_put(state);
    free(saved);
}
