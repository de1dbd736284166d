#include "delivery/delivery_bundled.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct bundled_delivery {
    q_delivery base; /* first: the queue sees only this */
    oci_core *core;
    char installation_id[80];
} bundled_delivery;

/* The chunk's own key, or one naming it: the installation keeps keys of two gateways (or of a
 * queue database made anew) apart in one core; a job's chunk always holds the same items. */
static const char *batch_key(const bundled_delivery *delivery, const q_chunk *chunk, char *out, size_t size)
{
    if (chunk->batch_key)
        return chunk->batch_key;
    snprintf(out, size, "%s/%lld/%lld/%lld", delivery->installation_id, (long long)chunk->tenant_id,
             (long long)chunk->job_id, (long long)chunk->chunk_index);
    return out;
}

static void deliver(q_delivery *self, const q_chunk *chunk, q_delivery_result *result,
                    int (*should_stop)(void *), void *stop_data)
{
    (void)should_stop;
    (void)stop_data;
    bundled_delivery *delivery = (bundled_delivery *)self;
    result->refusal_count = 0;
    result->retry_after_ms = -1;
    result->message[0] = '\0';
    oci_record_update *updates = calloc(chunk->record_count, sizeof *updates);
    oci_apply_result *results = calloc(chunk->record_count, sizeof *results);
    if (!updates || !results) {
        free(updates);
        free(results);
        result->status = Q_DELIVERY_RETRY;
        snprintf(result->message, sizeof result->message, "out of memory");
        return;
    }
    for (size_t i = 0; i < chunk->record_count; i++) {
        const tr_record *record = &chunk->records[i];
        updates[i] = (oci_record_update){
            .record_id = record->record_id,
            .location_id = record->location_id,
            .sku = record->sku,
            .has_on_hand = 1,
            .on_hand_milli = record->on_hand_milli,
            .has_safety_stock = 1,
            .safety_stock_milli = record->safety_stock_milli,
            .has_effective_date = 1,
            .effective_ms = record->effective_ms,
        };
    }
    char key_text[160];
    const char *key = batch_key(delivery, chunk, key_text, sizeof key_text);
    cm_err rc = oci_core_apply_batch(delivery->core, chunk->organization_id, key, updates, chunk->record_count,
                                     results);
    if (rc == CM_EEXIST) {
        result->status = Q_DELIVERY_FINAL;
        snprintf(result->message, sizeof result->message,
                 "the bundled OCI core applied batch %.120s before with other records", key);
    } else if (rc == CM_ENOTFOUND) {
        result->status = Q_DELIVERY_FINAL;
        snprintf(result->message, sizeof result->message, "organization %s is not served by the bundled OCI core",
                 chunk->organization_id);
    } else if (rc) {
        result->status = Q_DELIVERY_RETRY;
        snprintf(result->message, sizeof result->message, "the bundled OCI core could not apply the chunk: %s",
                 cm_strerror(rc));
    } else {
        result->status = Q_DELIVERY_OK;
        for (size_t i = 0; i < chunk->record_count; i++) {
            if (results[i].outcome != OCI_APPLY_REFUSED)
                continue;
            q_refusal *refusal = &result->refusals[result->refusal_count++];
            refusal->record_index = i;
            snprintf(refusal->error_code, sizeof refusal->error_code, "%s",
                     results[i].error_code ? results[i].error_code : "Unknown");
            snprintf(refusal->message, sizeof refusal->message, "%s", results[i].message);
        }
    }
    free(updates);
    free(results);
}

/* One in-process read per (location, sku): the core answers from its store, no HTTP. */
static q_delivery_status read_availability(q_delivery *self, const q_read *read, char message[Q_DELIVERY_MESSAGE_MAX])
{
    bundled_delivery *delivery = (bundled_delivery *)self;
    message[0] = '\0';
    if (read->sku_count * read->location_count > Q_READ_MAX_COMBINATIONS) {
        snprintf(message, Q_DELIVERY_MESSAGE_MAX, "get-availability: %zu combinations; at most %d a call",
                 read->sku_count * read->location_count, Q_READ_MAX_COMBINATIONS);
        return Q_DELIVERY_FINAL;
    }
    for (size_t l = 0; l < read->location_count; l++) {
        for (size_t s = 0; s < read->sku_count; s++) {
            oci_availability record;
            cm_err rc = oci_core_get_location_record(delivery->core, read->organization_id, read->locations[l],
                                                     read->skus[s], &record);
            if (rc == CM_ENOTFOUND) {
                snprintf(message, Q_DELIVERY_MESSAGE_MAX, "organization %s is not served by the bundled OCI core",
                         read->organization_id);
                return Q_DELIVERY_FINAL;
            }
            if (rc) {
                snprintf(message, Q_DELIVERY_MESSAGE_MAX, "the bundled OCI core could not read availability: %s",
                         cm_strerror(rc));
                return Q_DELIVERY_RETRY;
            }
            read->out[l * read->sku_count + s] = (q_availability){
                .found = record.exists,
                .on_hand_milli = record.on_hand_milli,
                .reserved_milli = record.reserved_milli,
                .safety_stock_milli = record.safety_stock_milli,
                .atf_milli = record.atf_milli,
            };
        }
    }
    return Q_DELIVERY_OK;
}

static void destroy(q_delivery *self)
{
    free(self);
}

/* In process, the core itself says whether its graph is changing. */
static int graph_changing(q_delivery *self, const char *organization_id)
{
    return oci_core_graph_changing(((bundled_delivery *)self)->core, organization_id);
}

q_delivery *dl_delivery_bundled_new(oci_core *core, const char *installation_id)
{
    bundled_delivery *delivery = calloc(1, sizeof *delivery);
    if (!delivery)
        return NULL;
    delivery->base.deliver = deliver;
    delivery->base.read = read_availability;
    delivery->base.destroy = destroy;
    delivery->base.graph_changing = graph_changing;
    delivery->core = core;
    snprintf(delivery->installation_id, sizeof delivery->installation_id, "%s",
             installation_id ? installation_id : "");
    return &delivery->base;
}
