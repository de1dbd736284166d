/*
 * accept_batch.h - group commit of acceptances: requests that arrive together share one durable
 * commit, and each is answered only after the commit that holds it.
 *
 * SQLite has one writer, and each `synchronous=FULL` commit waits for the disk (an fsync of the
 * WAL); refreshes of many small jobs at once used to queue behind one another, one fsync each.
 * Here one committer thread (named omsgw-accept, at the request path's priority) takes every job
 * waiting when it wakes (at most Q_ACCEPT_BATCH_MAX), stores them in one transaction through the
 * backend's `accept_many`, and reports each job's own result. Jobs that arrive while it commits
 * are the next batch. No timer: a job that finds the committer idle is committed at once, alone.
 *
 * A job is submitted either blocking (q_accept_batch_submit: the caller's thread waits for its
 * commit) or with a ticket and a callback (q_accept_batch_submit_async: the caller's thread goes on;
 * an HTTP request thread then serves other connections while the commit runs, so the number of
 * jobs one commit can hold is bounded by the requests in flight, not by the request threads).
 *
 * Promises:
 * - a job's result is reported only after its transaction committed (or failed and left nothing);
 * - jobs are stored in the order they were submitted, so job ids rise in acceptance order, and
 *   results are reported in that order, each exactly once, on the committer thread;
 * - one job's own error (invalid, too large) fails that job alone (`accept_many` keeps each job in
 *   its own savepoint); an error of the transaction (full disk, I/O error, the commit itself)
 *   fails every job of the batch, and none of them was stored;
 * - q_accept_batch_destroy commits every job already submitted and reports it before it returns.
 *
 * PostgreSQL does not need this layer: it takes concurrent transactions on several connections
 * and flushes their commit records together in its own WAL writer.
 */
#ifndef Q_ACCEPT_BATCH_H
#define Q_ACCEPT_BATCH_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "queue/store.h"

/* The most jobs one commit takes: bounds the transaction (and the time the first of them waits on
 * the others' inserts) when hundreds of requests arrive at once. */
#define Q_ACCEPT_BATCH_MAX 64

/* Stores `count` jobs in one transaction: results[i] and job_ids[i] for each. Returns CM_OK when
 * the transaction committed (some results may still be errors of their own job), else the error
 * of the transaction, in which case nothing was stored and every result is that error. */
typedef cm_err (*q_accept_many_fn)(void *context, const q_new_job *const *jobs, size_t count, int64_t *job_ids,
                                   cm_err *results);

typedef struct q_accept_batch {
    q_accept_many_fn accept_many;
    void *context;
    const char *backend_name; /* the metrics' label */
    pthread_mutex_t lock;
    pthread_cond_t wake;     /* the committer: a job arrived, or stop */
    pthread_cond_t finished; /* blocking submitters: a batch was reported */
    q_accept_ticket *first, *last; /* waiting, in arrival order */
    int stopping;
    int started;
    pthread_t committer;
} q_accept_batch;

/* Starts the committer thread. CM_ENOMEM when it cannot be started (nothing to destroy then). */
cm_err q_accept_batch_init(q_accept_batch *batch, q_accept_many_fn accept_many, void *context,
                           const char *backend_name);

/* Commits and reports what was submitted, then stops the committer. No submit may start after it
 * was called. A batch whose init failed must not be destroyed. */
void q_accept_batch_destroy(q_accept_batch *batch);

/* Queues `job` (which must stay valid, like `ticket`, until `done` ran) and returns at once;
 * `done(data, rc, job_id)` runs on the committer thread after the job's commit. */
void q_accept_batch_submit_async(q_accept_batch *batch, const q_new_job *job, q_accept_ticket *ticket,
                                 q_accept_done_fn done, void *data);

/* Stores one job, with whatever others arrive together; returns once its commit is done. */
cm_err q_accept_batch_submit(q_accept_batch *batch, const q_new_job *job, int64_t *job_id);

#endif
