#include "queue/accept_batch.h"

#include "queue/queue_metrics.h"

struct q_accept_waiter {
    const q_new_job *job;
    int64_t job_id;
    cm_err rc;
    int done;
    q_accept_waiter *next;
};

void q_accept_batch_init(q_accept_batch *batch, q_accept_many_fn accept_many, void *context,
                         const char *backend_name)
{
    batch->accept_many = accept_many;
    batch->context = context;
    batch->backend_name = backend_name;
    pthread_mutex_init(&batch->lock, NULL);
    pthread_cond_init(&batch->finished, NULL);
    batch->first = batch->last = NULL;
    batch->leader_active = 0;
}

void q_accept_batch_destroy(q_accept_batch *batch)
{
    pthread_cond_destroy(&batch->finished);
    pthread_mutex_destroy(&batch->lock);
}

/* Leader only, lock held: takes up to Q_ACCEPT_BATCH_MAX waiters off the front. */
static size_t take_waiting(q_accept_batch *batch, q_accept_waiter **taken)
{
    size_t count = 0;
    while (batch->first && count < Q_ACCEPT_BATCH_MAX) {
        taken[count++] = batch->first;
        batch->first = batch->first->next;
    }
    if (!batch->first)
        batch->last = NULL;
    return count;
}

/* Leader only, lock not held: one transaction for the taken jobs. */
static void commit_taken(q_accept_batch *batch, q_accept_waiter **taken, size_t count)
{
    const q_new_job *jobs[Q_ACCEPT_BATCH_MAX];
    int64_t job_ids[Q_ACCEPT_BATCH_MAX];
    cm_err results[Q_ACCEPT_BATCH_MAX];
    for (size_t i = 0; i < count; i++) {
        jobs[i] = taken[i]->job;
        job_ids[i] = 0;
        results[i] = CM_EDB;
    }
    cm_err rc = batch->accept_many(batch->context, jobs, count, job_ids, results);
    for (size_t i = 0; i < count; i++) {
        taken[i]->rc = rc ? rc : results[i];
        taken[i]->job_id = taken[i]->rc ? 0 : job_ids[i];
    }
    q_metrics_accept_commit(batch->backend_name, count);
}

cm_err q_accept_batch_submit(q_accept_batch *batch, const q_new_job *job, int64_t *job_id)
{
    q_accept_waiter self = {.job = job, .rc = CM_EDB};
    pthread_mutex_lock(&batch->lock);
    if (batch->last)
        batch->last->next = &self;
    else
        batch->first = &self;
    batch->last = &self;
    while (!self.done) {
        if (batch->leader_active) {
            pthread_cond_wait(&batch->finished, &batch->lock);
            continue;
        }
        /* Lead one batch: everything waiting now, this job among them unless more than
         * Q_ACCEPT_BATCH_MAX arrived before it (then it leads or joins a later one). */
        batch->leader_active = 1;
        q_accept_waiter *taken[Q_ACCEPT_BATCH_MAX];
        size_t count = take_waiting(batch, taken);
        pthread_mutex_unlock(&batch->lock);
        commit_taken(batch, taken, count);
        pthread_mutex_lock(&batch->lock);
        for (size_t i = 0; i < count; i++)
            taken[i]->done = 1;
        batch->leader_active = 0;
        pthread_cond_broadcast(&batch->finished);
    }
    pthread_mutex_unlock(&batch->lock);
    *job_id = self.job_id;
    return self.rc;
}
