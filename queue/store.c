/*
 * store.c - forwards the backend-neutral queue interface (store.h) to the chosen backend.
 */
#include "queue/queue_metrics.h"
#include "queue/store_backend.h"

#include <stdio.h>

cm_err q_store_open(const q_store_options *options, q_store **out, char error[Q_STORE_ERROR_MAX])
{
    *out = NULL;
    switch (options->backend) {
    case Q_STORE_SQLITE: return q_store_sqlite_open(options, out, error);
    case Q_STORE_POSTGRESQL: return q_store_pg_open(options, out, error);
    }
    snprintf(error, Q_STORE_ERROR_MAX, "unknown storage backend");
    return CM_EINVAL;
}

void q_store_close(q_store *store)
{
    if (store)
        store->ops->close(store);
}

const char *q_store_installation_id(const q_store *store)
{
    return store->ops->installation_id(store);
}

const char *q_store_backend_name(const q_store *store)
{
    return store->ops->name;
}

cm_err q_store_accept(q_store *store, const q_new_job *job, int64_t *job_id)
{
    double started = q_metrics_clock();
    cm_err rc = store->ops->accept(store, job, job_id);
    q_metrics_db_commit(store->ops->name, "accept", q_metrics_clock() - started);
    return rc;
}

/* Records the commit time, then hands the result to the caller's callback. */
static void accept_finished(void *data, cm_err rc, int64_t job_id)
{
    q_accept_ticket *ticket = data;
    q_metrics_db_commit(ticket->store->ops->name, "accept", q_metrics_clock() - ticket->started);
    ticket->caller_done(ticket->caller_data, rc, job_id); /* may free the ticket */
}

void q_store_accept_async(q_store *store, const q_new_job *job, q_accept_ticket *ticket, q_accept_done_fn done,
                          void *data)
{
    ticket->store = store;
    ticket->started = q_metrics_clock();
    ticket->caller_done = done;
    ticket->caller_data = data;
    if (store->ops->accept_async) {
        store->ops->accept_async(store, job, ticket, accept_finished, ticket);
        return;
    }
    int64_t job_id = 0;
    cm_err rc = store->ops->accept(store, job, &job_id);
    accept_finished(ticket, rc, job_id);
}

cm_err q_store_get_job(q_store *store, int64_t tenant_id, int64_t job_id, q_job *out)
{
    return store->ops->get_job(store, tenant_id, job_id, out);
}

cm_err q_store_list_jobs(q_store *store, const q_job_filter *filter, q_job **jobs, size_t *count)
{
    return store->ops->list_jobs(store, filter, jobs, count);
}

cm_err q_store_count(q_store *store, q_status status, int64_t *count)
{
    return store->ops->count(store, status, count);
}

cm_err q_store_claim(q_store *store, const char *worker_token, int64_t now_ms, q_job *out)
{
    double started = q_metrics_clock();
    cm_err rc = store->ops->claim(store, worker_token, now_ms, out);
    /* Idle polls that find nothing would drown the claims that matter. */
    if (rc != CM_ENOTFOUND)
        q_metrics_db_commit(store->ops->name, "claim", q_metrics_clock() - started);
    return rc;
}

int64_t q_store_lease_ms(const q_store *store)
{
    return store->ops->lease_ms(store);
}

cm_err q_store_renew_lease(q_store *store, int64_t job_id, const char *worker_token)
{
    return store->ops->renew_lease(store, job_id, worker_token);
}

cm_err q_store_load_chunk(q_store *store, int64_t job_id, int64_t chunk_index, char **payload, size_t *length)
{
    return store->ops->load_chunk(store, job_id, chunk_index, payload, length);
}

cm_err q_store_save_chunk_state(q_store *store, int64_t job_id, const char *worker_token, int64_t chunk_index,
                                const char *state_json)
{
    return store->ops->save_chunk_state(store, job_id, worker_token, chunk_index, state_json);
}

cm_err q_store_load_chunk_state(q_store *store, int64_t job_id, int64_t chunk_index, char **state_json,
                                size_t *length)
{
    return store->ops->load_chunk_state(store, job_id, chunk_index, state_json, length);
}

cm_err q_store_checkpoint(q_store *store, const q_checkpoint *checkpoint)
{
    double started = q_metrics_clock();
    cm_err rc = store->ops->checkpoint(store, checkpoint);
    q_metrics_db_commit(store->ops->name, "checkpoint", q_metrics_clock() - started);
    return rc;
}

cm_err q_store_claim_batch(q_store *store, const q_job *head, const char *worker_token, int64_t max_items,
                           size_t max_jobs, int allow_new, int64_t now_ms, q_job **members, size_t *count)
{
    *members = NULL;
    *count = 0;
    double started = q_metrics_clock();
    cm_err rc = store->ops->claim_batch(store, head, worker_token, max_items, max_jobs, allow_new, now_ms, members,
                                        count);
    q_metrics_db_commit(store->ops->name, "claim_batch", q_metrics_clock() - started);
    return rc;
}

cm_err q_store_dissolve_batch(q_store *store, int64_t head_job_id, const char *worker_token)
{
    return store->ops->dissolve_batch(store, head_job_id, worker_token);
}

cm_err q_store_checkpoint_batch(q_store *store, const q_checkpoint *checkpoints, size_t count)
{
    double started = q_metrics_clock();
    cm_err rc = store->ops->checkpoint_batch(store, checkpoints, count);
    q_metrics_db_commit(store->ops->name, "checkpoint", q_metrics_clock() - started);
    return rc;
}

cm_err q_store_park(q_store *store, int64_t job_id, const char *worker_token, int64_t next_attempt_ms,
                    int64_t retry_started_ms, const char *reason)
{
    return store->ops->park(store, job_id, worker_token, next_attempt_ms, retry_started_ms, reason);
}

cm_err q_store_release(q_store *store, int64_t job_id, const char *worker_token)
{
    return store->ops->release(store, job_id, worker_token);
}

cm_err q_store_finish(q_store *store, int64_t job_id, const char *worker_token, q_status status, int success,
                      const char *messages_json, int64_t now_ms)
{
    double started = q_metrics_clock();
    cm_err rc = store->ops->finish(store, job_id, worker_token, status, success, messages_json, now_ms);
    q_metrics_db_commit(store->ops->name, "finish", q_metrics_clock() - started);
    return rc;
}

cm_err q_store_each_failure(q_store *store, int64_t job_id, size_t limit,
                            void (*each)(const q_item_failure *failure, void *data), void *data)
{
    return store->ops->each_failure(store, job_id, limit, each, data);
}

cm_err q_store_recover(q_store *store, int64_t now_ms, int64_t *recovered)
{
    return store->ops->recover(store, now_ms, recovered);
}

cm_err q_store_prune(q_store *store, int64_t before_ms, int batch, int64_t *deleted)
{
    return store->ops->prune(store, before_ms, batch, deleted);
}

cm_err q_store_get_extras(q_store *store, int64_t tenant_id, const char *oci_location, const char *sku,
                          char **extras_json)
{
    return store->ops->get_extras(store, tenant_id, oci_location, sku, extras_json);
}

cm_err q_store_hold(q_store *store, int64_t tenant_id, q_hold_kind kind, const char *reason, int64_t now_ms)
{
    return store->ops->hold(store, tenant_id, kind, reason, now_ms);
}

cm_err q_store_release_hold(q_store *store, int64_t tenant_id, q_hold_kind kind)
{
    return store->ops->release_hold(store, tenant_id, kind);
}

cm_err q_store_get_hold(q_store *store, int64_t tenant_id, char **reason)
{
    return store->ops->get_hold(store, tenant_id, reason);
}

cm_err q_store_watch(q_store *store, void (*wake)(void *data), void *data)
{
    return store->ops->watch(store, wake, data);
}

void q_store_unwatch(q_store *store)
{
    store->ops->unwatch(store);
}

cm_err q_store_tenant_stats(q_store *store, q_tenant_stats **stats, size_t *count)
{
    return store->ops->tenant_stats(store, stats, count);
}

cm_err q_store_admin_jobs(q_store *store, const q_admin_filter *filter, q_job **jobs, size_t *count)
{
    return store->ops->admin_jobs(store, filter, jobs, count);
}

cm_err q_store_cancel(q_store *store, int64_t job_id, int64_t now_ms, const char *messages_json)
{
    return store->ops->cancel(store, job_id, now_ms, messages_json);
}
