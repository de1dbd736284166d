/*
 * store.h - the durable job queue, whatever holds it: the one interface the gateway, the workers
 * and the application see. Two implementations sit behind it (queue/store_sqlite.c, the embedded
 * default in gateway.db; queue/store_pg.c, PostgreSQL shared by several omsgw instances); no
 * caller knows which one it talks to, and no database header leaks through this file.
 *
 * Promises, on both backends:
 * - q_store_accept returns only after the job and all its items are committed durably (SQLite
 *   synchronous=FULL, PostgreSQL synchronous_commit=on): an answered jobID survives kill -9 and
 *   power loss. Job ids are unique and increasing (on PostgreSQL across every instance).
 * - Job states are enforced by CHECK constraints. A claim is one statement, so two workers (of
 *   one process or of several) never hold the same job; only the oldest unfinished job of a
 *   tenant is claimable, so a tenant's jobs run one at a time in acceptance order (or, coalesced,
 *   together as one batch stored under the oldest: q_store_claim_batch) and a job parked for a
 *   retry holds its tenant's later jobs back. Different tenants run in parallel.
 * - A chunk's checkpoint records its per-item results and advances the job in one transaction,
 *   once per chunk, and only for the worker that holds the job (fencing): a crash never
 *   half-records or doubles a chunk, and a worker that lost its job cannot overwrite the new
 *   holder's progress.
 * - Leases (PostgreSQL): a claim is valid for q_store_lease_ms; the holder renews it while it runs.
 *   A job whose lease expired (its instance died) is taken over by the next claim anywhere and
 *   counted as an interruption. SQLite serves one process, which recovers its own jobs at start-up
 *   (q_store_recover) and needs no leases.
 * - Reads (job status, lists) never wait for the writer.
 * Errors: CM_EFULL when the disk is full, CM_EUNAVAILABLE when the database cannot be reached
 * (PostgreSQL down: the caller answers 503 and retries later; the store reconnects by itself),
 * CM_ESTATE when a fenced call is made by a worker that no longer holds the job.
 * Thread safety: every function may be called from any thread.
 */
#ifndef Q_STORE_H
#define Q_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "queue/job.h"

#define Q_STORE_ERROR_MAX 512
#define Q_STORE_DEFAULT_LEASE_MS 60000

typedef struct q_store q_store;

typedef enum q_store_backend { Q_STORE_SQLITE, Q_STORE_POSTGRESQL } q_store_backend;

typedef struct q_store_options {
    q_store_backend backend;
    const char *sqlite_path;  /* SQLite: the database file (created when missing) */
    const char *url;          /* PostgreSQL: postgresql://user:password@host:port/db */
    int connections;          /* SQLite: reader connections; PostgreSQL: the connection pool size */
    int64_t lease_ms;         /* PostgreSQL: how long a claim holds without renewal (0: default) */
} q_store_options;

/* Opens (creating or migrating the schema) the store. On failure *out is NULL and `error` holds one
 * line that never contains a password. */
cm_err q_store_open(const q_store_options *options, q_store **out, char error[Q_STORE_ERROR_MAX]);
void q_store_close(q_store *store);

/* The random id this installation's database was given when it was created (record ids use it). */
const char *q_store_installation_id(const q_store *store);

/* "sqlite" or "postgresql", for logs and health. */
const char *q_store_backend_name(const q_store *store);

/* ---- acceptance ---- */

typedef struct q_new_job {
    q_job_type type; /* 0 is read as Q_JOB_REFRESH */
    int64_t tenant_id;
    const char *location_name;
    const char *oci_location;
    const char *organization_id;
    int64_t accepted_ms;
    int64_t item_count;
    int64_t chunk_size;
    /* The items, in the stored form of translate/stored_items.h without a header: the queue cuts
     * them into chunk rows of chunk_size items (queue/chunking.h). Item i is the bytes
     * [item_ends[i - 1], item_ends[i]) of `items` (item 0 starts at 0). */
    const char *items;
    const size_t *item_ends;
    /* Or, instead of items, chunks the queue cut before (an operator's retry of a stored job
     * hands its rows back as they were, of either stored form): chunk_count NUL-terminated texts. */
    const char *const *chunk_payloads;
    const size_t *chunk_lengths;
    size_t chunk_count;
    const char *messages_json; /* NULL or a JSON array of strings known at acceptance */
} q_new_job;

/* Stores the job durably. On success *job_id is its new id. CM_EINVAL when it has neither items
 * nor chunks. */
cm_err q_store_accept(q_store *store, const q_new_job *job, int64_t *job_id);

/* Called once with what q_store_accept would have returned, and the new id on success. */
typedef void (*q_accept_done_fn)(void *data, cm_err rc, int64_t job_id);

/* The caller's memory for one job in flight (its fields are the store's). */
typedef struct q_accept_ticket {
    const q_new_job *job;
    q_accept_done_fn done;
    void *data;
    double started; /* for the commit-time metric */
    q_accept_done_fn caller_done;
    void *caller_data;
    q_store *store;
    struct q_accept_ticket *next;
} q_accept_ticket;

/* Stores the job as q_store_accept does without waiting for it: `done(data, rc, job_id)` runs
 * once the job's commit is done, on a store thread (SQLite's group commit) or, on a backend that
 * commits each job on its caller's connection (PostgreSQL), on the calling thread before this
 * returns. `job` and `ticket` (and what the job points to) must stay valid until `done` ran. */
void q_store_accept_async(q_store *store, const q_new_job *job, q_accept_ticket *ticket, q_accept_done_fn done,
                          void *data);

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
    const q_status *statuses;  /* NULL/0: any status */
    size_t status_count;
    int64_t added_from_ms;     /* 0: no lower bound; else only jobs accepted at or after it */
    int64_t added_to_ms;       /* 0: no upper bound; else only jobs accepted before it */
    unsigned types;            /* q_job_type bits; 0: any */
    size_t limit;
} q_job_filter;

/* Lists a tenant's jobs, newest first. *jobs is a new array (free each with q_job_clear, then
 * free()); *count its length. */
cm_err q_store_list_jobs(q_store *store, const q_job_filter *filter, q_job **jobs, size_t *count);

/* Counts jobs by status (for tests and health). */
cm_err q_store_count(q_store *store, q_status status, int64_t *count);

/* ---- work ---- */

/* Claims the next job a worker may run: the oldest unfinished job of some tenant, not held (or
 * whose holder's lease expired), whose retry time has come. CM_ENOTFOUND when there is none. */
cm_err q_store_claim(q_store *store, const char *worker_token, int64_t now_ms, q_job *out);

/* How long a claim lasts without renewal; 0 when the backend has no leases (SQLite). */
int64_t q_store_lease_ms(const q_store *store);

/* Extends the lease of a held job. CM_ESTATE when the worker no longer holds it (taken over). */
cm_err q_store_renew_lease(q_store *store, int64_t job_id, const char *worker_token);

/* Loads the stored items of one chunk as they were stored: a new NUL-terminated text (caller
 * frees) in the form of translate/stored_items.h, or for jobs accepted by an older omsgw a JSON
 * array of the normalized items (tr_translate_chunk reads both). */
cm_err q_store_load_chunk(q_store *store, int64_t job_id, int64_t chunk_index, char **payload,
                          size_t *length);

/*
 * A chunk's computed state: what a worker worked out for the chunk before delivering it (an
 * adjust chunk's absolute on-hand values, read + delta), so that a chunk delivered again after a
 * crash or a retry delivers the same values instead of adding its deltas twice.
 * Saving is fenced like the other holder calls (CM_ESTATE when the worker no longer holds the job,
 * nothing written) and committed durably (synchronous) before it returns. The worker always loads
 * first and computes only when nothing was saved, so a saved state is never recomputed.
 * Loading returns a new NUL-terminated text (caller frees), or CM_ENOTFOUND when none was saved.
 */
cm_err q_store_save_chunk_state(q_store *store, int64_t job_id, const char *worker_token, int64_t chunk_index,
                                const char *state_json);
cm_err q_store_load_chunk_state(q_store *store, int64_t job_id, int64_t chunk_index, char **state_json,
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
    const q_item_extra *extras; /* later entries of the same sku patch earlier ones */
    size_t extra_count;
    int64_t now_ms;
    /* 1 on the last chunk of a job that nothing was refused in: the same transaction also ends the
     * job SUCCESS (messages unchanged) and deletes its stored items, one commit fewer per job. */
    int finish_success;
} q_checkpoint;

/* Records a finished chunk. CM_ESTATE when the job is no longer held by this worker or the chunk is
 * not the next one (nothing is written then). */
cm_err q_store_checkpoint(q_store *store, const q_checkpoint *checkpoint);

/*
 * Coalescing (queue/worker.c): small refresh jobs of one tenant delivered together, as one batch
 * under the job the worker holds (the batch's head). The batch's composition is stored before it is
 * delivered, so a batch delivered again after a crash, a retry or a takeover is the same batch.
 *
 * q_store_claim_batch, for a head held by `worker_token`, in one transaction:
 * - when jobs were joined to this head before (and are still open), claims exactly those again
 *   (taking them over from a previous holder) and returns them;
 * - else, when `allow_new`, joins the tenant's next jobs, in job order and without a gap: each
 *   PENDING, REFRESH, one chunk, the head's location and organization, while the head's items and
 *   theirs stay within `max_items` and their number within `max_jobs`; they become WORKING,
 *   started, held by the same worker, and remembered as the head's batch.
 * *members is a new array in job order (free each with q_job_clear, then free()), *count its
 * length (0: nothing to join; the head runs alone). CM_ESTATE when the worker does not hold the head.
 * A member is held like its head: checkpoint, park, release and finish are fenced per job; its
 * lease is renewed with the head's (q_store_renew_lease of the head). Members are never claimed by
 * q_store_claim while their head is open (only a tenant's oldest open job is), and cannot be
 * cancelled (they are WORKING).
 */
cm_err q_store_claim_batch(q_store *store, const q_job *head, const char *worker_token, int64_t max_items,
                           size_t max_jobs, int allow_new, int64_t now_ms, q_job **members, size_t *count);

/* Undoes a batch that OCI refused as a whole (nothing of it was applied): the members leave it and
 * are let go, to run one by one in their order; the head stays held. CM_ESTATE when the worker
 * does not hold the head. */
cm_err q_store_dissolve_batch(q_store *store, int64_t head_job_id, const char *worker_token);

/* Records the checkpoints of a batch (head first) in one transaction: all or none. CM_ESTATE when
 * any of the jobs is no longer held by the worker or its chunk is not the next one. */
cm_err q_store_checkpoint_batch(q_store *store, const q_checkpoint *checkpoints, size_t count);

/* Releases a held job until `next_attempt_ms` (retry later); `retry_started_ms` remembers when the
 * current chunk first failed, for the retry budget. */
cm_err q_store_park(q_store *store, int64_t job_id, const char *worker_token, int64_t next_attempt_ms,
                    int64_t retry_started_ms, const char *reason);

/* Releases a held job at once (graceful shutdown). */
cm_err q_store_release(q_store *store, int64_t job_id, const char *worker_token);

/* Ends a held job: SUCCESS or FAILED with its messages. A SUCCESS job's stored items are deleted;
 * a FAILED job keeps them until it is pruned, so that an operator can retry it as a new job. */
cm_err q_store_finish(q_store *store, int64_t job_id, const char *worker_token, q_status status,
                      int success, const char *messages_json, int64_t now_ms);

/* Calls `each` for the failures of a job (first `limit`, in item order). */
cm_err q_store_each_failure(q_store *store, int64_t job_id, size_t limit,
                            void (*each)(const q_item_failure *failure, void *data), void *data);

/* At start-up. SQLite: jobs held by a previous process are released and the interruption counted.
 * PostgreSQL: nothing to do (*recovered = 0); other instances' jobs are theirs until their leases
 * expire, and an expired lease is taken over by the next claim. */
cm_err q_store_recover(q_store *store, int64_t now_ms, int64_t *recovered);

/* Deletes up to `batch` finished jobs finished before `before_ms`. Pending/working never go. */
cm_err q_store_prune(q_store *store, int64_t before_ms, int batch, int64_t *deleted);

/* The legacy extras kept for (tenant, location, sku): a new compact JSON text (caller frees) or
 * CM_ENOTFOUND. */
cm_err q_store_get_extras(q_store *store, int64_t tenant_id, const char *oci_location, const char *sku,
                          char **extras_json);

/* ---- holds: a tenant's deliveries paused ---- */

/* Why a tenant is held: its organization's location graph is changing (set and cleared by the
 * pool's graph watcher), or an operator said so (omsgw hold / omsgw release). */
typedef enum q_hold_kind { Q_HOLD_GRAPH_CHANGE, Q_HOLD_OPERATOR } q_hold_kind;

#define Q_HOLD_REASON_MAX 300

/* Holds a tenant: no job of it is claimed (they stay PENDING, in order) until every hold of the
 * tenant is released; a job already held by a worker finishes its current chunk and is parked.
 * Holding again replaces the reason. */
cm_err q_store_hold(q_store *store, int64_t tenant_id, q_hold_kind kind, const char *reason, int64_t now_ms);

/* Releases one kind of hold; CM_ENOTFOUND when the tenant had none of that kind. */
cm_err q_store_release_hold(q_store *store, int64_t tenant_id, q_hold_kind kind);

/* The reason of the tenant's first hold (a new string the caller frees), or CM_ENOTFOUND. */
cm_err q_store_get_hold(q_store *store, int64_t tenant_id, char **reason);

/* ---- the operator's view (admin/): read-only queries across tenants, and cancelling ---- */

typedef struct q_tenant_stats {
    int64_t tenant_id;
    int64_t pending;               /* jobs PENDING */
    int64_t working;               /* jobs WORKING (held, or parked for a retry) */
    int64_t oldest_pending_added_ms; /* acceptance time of the oldest PENDING job, 0 when none */
} q_tenant_stats;

/* One entry per tenant that has any job, in tenant order. *stats is a new array (caller frees);
 * *count its length. */
cm_err q_store_tenant_stats(q_store *store, q_tenant_stats **stats, size_t *count);

typedef struct q_admin_filter {
    int64_t tenant_id;        /* 0: every tenant */
    int status;               /* -1: any; else a q_status */
    const char *oci_location; /* NULL: any */
    int64_t added_from_ms;    /* 0: no lower bound (inclusive) */
    int64_t added_to_ms;      /* 0: no upper bound (exclusive) */
    int64_t job_id;           /* 0: any */
    const char *type;         /* NULL: any; else the job type ("REFRESH") */
    size_t limit;             /* 0: 50 */
    size_t offset;
} q_admin_filter;

/* Jobs of any tenant, newest first, `offset` skipped. Same ownership as q_store_list_jobs. */
cm_err q_store_admin_jobs(q_store *store, const q_admin_filter *filter, q_job **jobs, size_t *count);

/* Ends a PENDING job that no worker holds as FAILED with `messages_json`, started and finished at
 * `now_ms`, in one transaction; like every FAILED job it keeps its items until pruned. CM_ENOTFOUND when there is no such job, CM_ESTATE when it is not
 * pending any more (a worker took it, or it finished): nothing is changed then. */
cm_err q_store_cancel(q_store *store, int64_t job_id, int64_t now_ms, const char *messages_json);

/* ---- waking up ---- */

/* Calls `wake(data)` from a store thread whenever a job is accepted anywhere (PostgreSQL: by any
 * instance, through LISTEN/NOTIFY; also after a lost listening connection comes back). SQLite has
 * one process, whose gateway wakes its workers directly: nothing happens there. One watcher per
 * store; q_store_unwatch (or close) stops it before returning. */
cm_err q_store_watch(q_store *store, void (*wake)(void *data), void *data);
void q_store_unwatch(q_store *store);

#endif
