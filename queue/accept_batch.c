#include "queue/accept_batch.h"

#include "common/thread_priority.h"
#include "queue/queue_metrics.h"

/* Committer only, lock held: takes up to Q_ACCEPT_BATCH_MAX tickets off the front. */
static size_t take_waiting(q_accept_batch *batch, q_accept_ticket **taken)
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

/* Committer only, lock not held: one transaction for the taken jobs, then each result reported
 * in arrival order. A ticket may be freed by its callback: nothing reads it after. */
static void commit_taken(q_accept_batch *batch, q_accept_ticket **taken, size_t count)
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
    q_metrics_accept_commit(batch->backend_name, count);
    for (size_t i = 0; i < count; i++) {
        cm_err result = rc ? rc : results[i];
        taken[i]->done(taken[i]->data, result, result ? 0 : job_ids[i]);
    }
}

static void *committer_main(void *arg)
{
    q_accept_batch *batch = arg;
    cm_thread_name("omsgw-accept");
    pthread_mutex_lock(&batch->lock);
    for (;;) {
        while (!batch->first && !batch->stopping)
            pthread_cond_wait(&batch->wake, &batch->lock);
        if (!batch->first)
            break; /* stopping, and nothing left to commit */
        q_accept_ticket *taken[Q_ACCEPT_BATCH_MAX];
        size_t count = take_waiting(batch, taken);
        pthread_mutex_unlock(&batch->lock);
        commit_taken(batch, taken, count);
        pthread_mutex_lock(&batch->lock);
    }
    pthread_mutex_unlock(&batch->lock);
    return NULL;
}

cm_err q_accept_batch_init(q_accept_batch *batch, q_accept_many_fn accept_many, void *context,
                           const char *backend_name)
{
    batch->accept_many = accept_many;
    batch->context = context;
    batch->backend_name = backend_name;
    pthread_mutex_init(&batch->lock, NULL);
    pthread_cond_init(&batch->wake, NULL);
    pthread_cond_init(&batch->finished, NULL);
    batch->first = batch->last = NULL;
    batch->stopping = 0;
    batch->started = pthread_create(&batch->committer, NULL, committer_main, batch) == 0;
    if (!batch->started) {
        pthread_cond_destroy(&batch->finished);
        pthread_cond_destroy(&batch->wake);
        pthread_mutex_destroy(&batch->lock);
        return CM_ENOMEM;
    }
    return CM_OK;
}

void q_accept_batch_destroy(q_accept_batch *batch)
{
    if (!batch->started)
        return;
    pthread_mutex_lock(&batch->lock);
    batch->stopping = 1;
    pthread_cond_signal(&batch->wake);
    pthread_mutex_unlock(&batch->lock);
    pthread_join(batch->committer, NULL);
    batch->started = 0;
    pthread_cond_destroy(&batch->finished);
    pthread_cond_destroy(&batch->wake);
    pthread_mutex_destroy(&batch->lock);
}

void q_accept_batch_submit_async(q_accept_batch *batch, const q_new_job *job, q_accept_ticket *ticket,
                                 q_accept_done_fn done, void *data)
{
    ticket->job = job;
    ticket->done = done;
    ticket->data = data;
    ticket->next = NULL;
    pthread_mutex_lock(&batch->lock);
    if (batch->last)
        batch->last->next = ticket;
    else
        batch->first = ticket;
    batch->last = ticket;
    pthread_cond_signal(&batch->wake);
    pthread_mutex_unlock(&batch->lock);
}

/* A blocking submitter's wait. */
typedef struct waiting_submitter {
    q_accept_batch *batch;
    cm_err rc;
    int64_t job_id;
    int done;
} waiting_submitter;

static void wake_submitter(void *data, cm_err rc, int64_t job_id)
{
    waiting_submitter *self = data;
    pthread_mutex_lock(&self->batch->lock);
    self->rc = rc;
    self->job_id = job_id;
    self->done = 1;
    pthread_cond_broadcast(&self->batch->finished);
    pthread_mutex_unlock(&self->batch->lock);
}

cm_err q_accept_batch_submit(q_accept_batch *batch, const q_new_job *job, int64_t *job_id)
{
    waiting_submitter self = {.batch = batch, .rc = CM_EDB};
    q_accept_ticket ticket;
    q_accept_batch_submit_async(batch, job, &ticket, wake_submitter, &self);
    pthread_mutex_lock(&batch->lock);
    while (!self.done)
        pthread_cond_wait(&batch->finished, &batch->lock);
    pthread_mutex_unlock(&batch->lock);
    *job_id = self.job_id;
    return self.rc;
}
