#include "queue/chunking.h"
#include "translate/stored_items.h"

#include <stdint.h>

size_t q_new_job_chunk_count(const q_new_job *job)
{
    if (job->items && job->item_ends && job->item_count > 0 && job->chunk_size > 0)
        return (size_t)q_chunk_count(job->item_count, job->chunk_size);
    return job->chunk_payloads ? job->chunk_count : 0;
}

cm_err q_new_job_chunk(const q_new_job *job, size_t index, cm_body *scratch, const char **text, size_t *length)
{
    if (!(job->items && job->item_ends && job->item_count > 0 && job->chunk_size > 0)) {
        if (!job->chunk_payloads || index >= job->chunk_count)
            return CM_EINVAL;
        *text = job->chunk_payloads[index];
        *length = job->chunk_lengths[index];
        return CM_OK;
    }
    size_t item_count = (size_t)job->item_count, chunk_size = (size_t)job->chunk_size;
    /* The index is checked against the chunk count before it is multiplied: index * chunk_size
     * can wrap around in size_t for an index far out of range and land on a valid item. */
    if (index >= q_new_job_chunk_count(job))
        return CM_EINVAL;
    size_t first = index * chunk_size; /* < item_count: index < ceil(item_count / chunk_size) */
    size_t count = item_count - first < chunk_size ? item_count - first : chunk_size;
    size_t start = first ? job->item_ends[first - 1] : 0, end = job->item_ends[first + count - 1];
    if (end < start)
        return CM_EINVAL;
    cm_body_reset(scratch);
    cm_err rc = cm_body_reserve(scratch, TR_STORED_HEADER_MAX + (end - start));
    if (!rc)
        rc = tr_stored_append_header(scratch, count);
    if (!rc)
        rc = cm_body_append(scratch, job->items + start, end - start);
    if (rc)
        return rc;
    *text = scratch->data;
    *length = scratch->length;
    return CM_OK;
}
