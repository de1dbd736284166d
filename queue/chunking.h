/*
 * chunking.h - the queue cuts a job's items into its chunk rows (private to queue/).
 *
 * Both backends' accept call these in their one transaction, so a chunk row is exactly what the
 * worker loads: a header line and chunk_size records of translate/stored_items.h (the last chunk
 * may be shorter). Nothing here touches a database.
 */
#ifndef Q_CHUNKING_H
#define Q_CHUNKING_H

#include <stddef.h>

#include "common/body.h"
#include "queue/store.h"

/* How many chunk rows `job` makes; 0 when it has neither items nor chunks (refused). */
size_t q_new_job_chunk_count(const q_new_job *job);

/*
 * Chunk `index` of `job` as a NUL-terminated text: either a given chunk (pointed at) or one cut
 * from the items into `scratch` (reset first; the caller frees it once at the end). *text stays
 * valid until the next call with the same scratch. CM_OK, CM_EINVAL (index or item ends out of
 * range), CM_ENOMEM.
 */
cm_err q_new_job_chunk(const q_new_job *job, size_t index, cm_body *scratch, const char **text, size_t *length);

#endif
