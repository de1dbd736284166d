/*
 * store.h - the durable job queue on SQLite (gateway.db): every SQL statement of the queue is here.
 *
 * Promises:
 * - q_store_accept returns only after the job and all its items are committed with
 *   synchronous=FULL: an answered jobID survives kill -9 and power loss.
 * - Job states are enforced by CHECK constraints; a job is claimed with one UPDATE … RETURNING, so
 *   two workers never hold the same job; only the oldest unfinished job of a tenant is claimable.
 * - A chunk's checkpoint records its per-item results and advances the job in one transaction, and
 *   can happen once per chunk (primary key), so a crash never half-records or doubles a chunk.
 * - Reads (job status, lists) use separate reader connections and never wait for the writer.
 * Thread safety: every function may be called from any thread.
 */
#ifndef Q_STORE_H
#define Q_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "common/db.h"
#include "common/err.h"
#include "queue/job.h"

typedef struct q_store q_store;

cm_err q_store_open(const char *path, int reader_count, q_store **out, char error[CM_DB_ERROR_MAX]);
void q_store_close(q_store *store);

/* The random id this installation's database was given when it was created (record ids use it). */
const char *q_store_installation_id(const q_store *store);

/* ---- acceptance ---- */

typedef struct q_new_job {
    int64_t tenant_id;
    const char *location_name;
    const char *oci_location;
    const char *organization_id;
    int64_t accepted_ms;
    int64_t item_count;
    int64_t chunk_size;
    const char *const *chunk_payloads; /* one JSON array text per chunk */
    const size_t *chunk_lengths;
    size_t chunk_count;
    const char *messages_json; /* NULL or a JSON array of strings known at acceptance */
} q_new_job;

/* Stores the job durably. On success *job_id is its new id. CM_EFULL when the disk is full. */
cm_err q_store_accept(q_store *store, const q_new_job *job, int64_t *job_id);

/* ---- reading ---- */

/* Reads one job of one tenant. CM_ENOTFOUND when it does not exist or belongs to another tenant.
 * The caller clears *out with q_job_clear. */
cm_err q_store_get_job(q_store *store, int64_t tenant_id, int64_t job_id, q_job *out);

typedef struct q_job_filter {
    int64_t tenant_id;
    const int64_t *job_ids; /* NULL/0: any */
    size_t job_id_count;
    const int64_t *location_nums;
    size_t location_num_count;
    const char *location_code; /* OCI location id, or NULL */
    size_t limit;
} q_job_filter;

/* Lists a tenant's jobs, newest first. *jobs is a new array (free each with q_job_clear, then
 * free()); *count its length. */
cm_err q_store_list_jobs(q_store *store, const q_job_filter *filter, q_job **jobs, size_t *count);

/* Counts jobs by status (for tests and health). */
cm_err q_store_count(q_store *store, q_status status, int64_t *count);

/* ---- work ---- */

/* Claims the next job a worker may run: the oldest unfinished job of some tenant that has no job
 * held or parked before it, whose retry time has come. CM_ENOTFOUND when there is none. */
cm_err q_store_claim(q_store *store, const char *worker_token, int64_t now_ms, q_job *out);

/* Loads the stored items of one chunk: a new NUL-terminated JSON array text (caller frees). */
cm_err q_store_load_chunk(q_store *store, int64_t job_id, int64_t chunk_index, char **payload,
                          size_t *length);

typedef struct q_item_failure {
    int64_t item_index;
    const char *sku;
    const char *error_code;
    const char *message;
} q_item_failure;

typedef struct q_item_extra {
    const char *sku;
    const char *extras_json; /* a JSON object of the legacy fields OCI has no place for */
} q_item_extra;

typedef struct q_checkpoint {
    int64_t job_id;
    int64_t tenant_id;
    const char *oci_location;
    const char *worker_token;
    int64_t chunk_index;
    int64_t items_applied;
    const q_item_failure *failures;
    size_t failure_count;
    const q_item_extra *extras;
    size_t extra_count;
    int64_t now_ms;
    /* 1 on the last chunk of a job that nothing was refused in: the same transaction also ends the
     * job SUCCESS (messages unchanged) and deletes its stored items, one commit fewer per job. */
    int finish_success;
} q_checkpoint;

/* Records a finished chunk. CM_ESTATE when the job is no longer held by this worker or the chunk is
 * not the next one (nothing is written then). */
cm_err q_store_checkpoint(q_store *store, const q_checkpoint *checkpoint);

/* Releases a held job until `next_attempt_ms` (retry later); `retry_started_ms` remembers when the
 * current chunk first failed, for the retry budget. */
cm_err q_store_park(q_store *store, int64_t job_id, const char *worker_token, int64_t next_attempt_ms,
                    int64_t retry_started_ms, const char *reason);

/* Releases a held job at once (graceful shutdown). */
cm_err q_store_release(q_store *store, int64_t job_id, const char *worker_token);

/* Ends a held job: SUCCESS or FAILED with its messages; its stored items are deleted. */
cm_err q_store_finish(q_store *store, int64_t job_id, const char *worker_token, q_status status,
                      int success, const char *messages_json, int64_t now_ms);

/* Appends the failures of a job (first `limit`, in item order) to a caller callback. */
cm_err q_store_each_failure(q_store *store, int64_t job_id, size_t limit,
                            void (*each)(const q_item_failure *failure, void *data), void *data);

/* At start-up: jobs held by a previous process are released and the interruption counted. */
cm_err q_store_recover(q_store *store, int64_t now_ms, int64_t *recovered);

/* Deletes up to `batch` finished jobs finished before `before_ms`. Pending/working never go. */
cm_err q_store_prune(q_store *store, int64_t before_ms, int batch, int64_t *deleted);

/* The legacy extras kept for (tenant, location, sku): a new JSON text (caller frees) or
 * CM_ENOTFOUND. */
cm_err q_store_get_extras(q_store *store, int64_t tenant_id, const char *oci_location, const char *sku,
                          char **extras_json);

#endif
