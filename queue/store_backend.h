/*
 * store_backend.h - what a queue storage backend implements (private to queue/).
 *
 * store.c forwards every q_store_* call to the backend's table, the way curl's vtls/ forwards to
 * one TLS library: the backend's own struct starts with `struct q_store` (its `ops` pointer), and
 * each function casts the q_store back to its own type. A backend implements every entry; where a
 * promise of store.h has nothing to do on it (leases on SQLite), the entry says so and succeeds.
 */
#ifndef Q_STORE_BACKEND_H
#define Q_STORE_BACKEND_H

#include "queue/store.h"

typedef struct q_store_ops {
    const char *name;
    void (*close)(q_store *store);
    const char *(*installation_id)(const q_store *store);
    cm_err (*accept)(q_store *store, const q_new_job *job, int64_t *job_id);
    /* NULL: q_store_accept_async calls `accept` and reports at once. Else queues the job and calls
     * done(data, ...) after its commit (ticket->job, done, data and next are the backend's). */
    void (*accept_async)(q_store *store, const q_new_job *job, q_accept_ticket *ticket, q_accept_done_fn done,
                         void *data);
    cm_err (*get_job)(q_store *store, int64_t tenant_id, int64_t job_id, q_job *out);
    cm_err (*list_jobs)(q_store *store, const q_job_filter *filter, q_job **jobs, size_t *count);
    cm_err (*count)(q_store *store, q_status status, int64_t *count);
    cm_err (*claim)(q_store *store, const char *worker_token, int64_t now_ms, q_job *out);
    int64_t (*lease_ms)(const q_store *store);
    cm_err (*renew_lease)(q_store *store, int64_t job_id, const char *worker_token);
    cm_err (*load_chunk)(q_store *store, int64_t job_id, int64_t chunk_index, char **payload, size_t *length);
    cm_err (*checkpoint)(q_store *store, const q_checkpoint *checkpoint);
    cm_err (*claim_batch)(q_store *store, const q_job *head, const char *worker_token, int64_t max_items,
                          size_t max_jobs, int allow_new, int64_t now_ms, q_job **members, size_t *count);
    cm_err (*dissolve_batch)(q_store *store, int64_t head_job_id, const char *worker_token);
    cm_err (*checkpoint_batch)(q_store *store, const q_checkpoint *checkpoints, size_t count);
    cm_err (*save_chunk_state)(q_store *store, int64_t job_id, const char *worker_token, int64_t chunk_index,
                               const char *state_json);
    cm_err (*load_chunk_state)(q_store *store, int64_t job_id, int64_t chunk_index, char **state_json,
                               size_t *length);
    cm_err (*park)(q_store *store, int64_t job_id, const char *worker_token, int64_t next_attempt_ms,
                   int64_t retry_started_ms, const char *reason);
    cm_err (*release)(q_store *store, int64_t job_id, const char *worker_token);
    cm_err (*finish)(q_store *store, int64_t job_id, const char *worker_token, q_status status, int success,
                     const char *messages_json, int64_t now_ms);
    cm_err (*each_failure)(q_store *store, int64_t job_id, size_t limit,
                           void (*each)(const q_item_failure *failure, void *data), void *data);
    cm_err (*recover)(q_store *store, int64_t now_ms, int64_t *recovered);
    cm_err (*prune)(q_store *store, int64_t before_ms, int batch, int64_t *deleted);
    cm_err (*get_extras)(q_store *store, int64_t tenant_id, const char *oci_location, const char *sku,
                         char **extras_json);
    cm_err (*hold)(q_store *store, int64_t tenant_id, q_hold_kind kind, const char *reason, int64_t now_ms);
    cm_err (*release_hold)(q_store *store, int64_t tenant_id, q_hold_kind kind);
    cm_err (*get_hold)(q_store *store, int64_t tenant_id, char **reason);
    cm_err (*watch)(q_store *store, void (*wake)(void *data), void *data);
    void (*unwatch)(q_store *store);
    cm_err (*tenant_stats)(q_store *store, q_tenant_stats **stats, size_t *count);
    cm_err (*admin_jobs)(q_store *store, const q_admin_filter *filter, q_job **jobs, size_t *count);
    cm_err (*cancel)(q_store *store, int64_t job_id, int64_t now_ms, const char *messages_json);
} q_store_ops;

struct q_store {
    const q_store_ops *ops;
};

/* The backends' constructors; each fills *out with its own struct, or sets `error`. */
cm_err q_store_sqlite_open(const q_store_options *options, q_store **out, char error[Q_STORE_ERROR_MAX]);
cm_err q_store_pg_open(const q_store_options *options, q_store **out, char error[Q_STORE_ERROR_MAX]);

/* How both backends store a hold's kind. */
static inline const char *q_hold_kind_name(q_hold_kind kind)
{
    return kind == Q_HOLD_GRAPH_CHANGE ? "graph-change" : "operator";
}

/* The interruption note both backends append to a job's messages, with the chunk it resumes at. */
#define Q_INTERRUPTED_PREFIX "Processing was interrupted at chunk "

#endif
