#include "queue/chunk_records.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void q_chunk_records_clear(q_chunk_records *records)
{
    tr_chunk_clear(&records->chunk);
    free(records->failures);
    free(records->extras);
    memset(records, 0, sizeof *records);
}

q_chunk_load q_chunk_records_load(q_store *store, const q_job *job, const cm_tenant *tenant, int64_t chunk_index,
                                  q_chunk_records *out, char why[160])
{
    memset(out, 0, sizeof *out);
    why[0] = '\0';
    char *payload = NULL;
    size_t payload_length = 0;
    cm_err rc = q_store_load_chunk(store, job->job_id, chunk_index, &payload, &payload_length);
    if (rc) {
        snprintf(why, 160, "The stored items of chunk %" PRId64 " could not be read: %s.", chunk_index + 1,
                 cm_strerror(rc));
        return rc == CM_ENOTFOUND ? Q_CHUNK_MISSING : Q_CHUNK_AGAIN;
    }
    tr_context context = {
        .installation_id = q_store_installation_id(store),
        .tenant_id = job->tenant_id,
        .job_id = job->job_id,
        .location_id = job->oci_location,
        .effective_ms = job->added_ms,
        .sku_from = tenant->sku_from,
        .sku_from_count = tenant->sku_from_count,
        .floor = tenant->floor,
    };
    /* An adjust carries no legacy fields to keep (binID aside): the last refresh's stay. */
    rc = tr_translate_chunk(&context, payload, payload_length, (size_t)(chunk_index * job->chunk_size),
                            job->type != Q_JOB_ADJUST, &out->chunk);
    if (rc == CM_EINVAL) {
        snprintf(why, 160, "The stored items of a chunk are corrupt.");
        return Q_CHUNK_CORRUPT;
    }
    size_t slots = out->chunk.item_count ? out->chunk.item_count : 1;
    out->failures = rc ? NULL : calloc(slots, sizeof *out->failures);
    out->extras = rc ? NULL : calloc(slots, sizeof *out->extras);
    if (rc || !out->failures || !out->extras) {
        snprintf(why, 160, "out of memory");
        return Q_CHUNK_AGAIN;
    }
    const tr_chunk *chunk = &out->chunk;
    for (size_t f = 0; f < chunk->failure_count; f++)
        out->failures[out->failure_count++] = (q_item_failure){(int64_t)chunk->failures[f].item_index, NULL,
                                                               chunk->failures[f].error_code,
                                                               chunk->failures[f].message};
    for (size_t r = 0; r < chunk->record_count; r++)
        if (chunk->extras[r])
            out->extras[out->extra_count++] = (q_item_extra){chunk->records[r].sku, chunk->extras[r]};
    return Q_CHUNK_LOADED;
}
