/*
 * accept_batch.h - group commit of acceptances: requests that arrive together share one durable
 * commit, and each is answered only after the commit that holds it.
 *
 * SQLite has one writer, and each `synchronous=FULL` commit waits for the disk (an fsync of the
 * WAL); refreshes of many small jobs at once used to queue behind one another, one fsync each.
 * Here the first request thread that finds no commit running becomes the leader: it takes every
 * job waiting at that moment (at most Q_ACCEPT_BATCH_MAX), stores them in one transaction through
 * the backend's `accept_many`, and hands each waiting thread its own result. Jobs that arrive
 * while it commits wait for the next leader, which is one of them. No timer: a request that finds
 * the store idle is committed at once, alone, as before.
 *
 * Promises:
 * - a job's result is reported only after its transaction committed (or failed and left nothing);
 * - jobs are stored in the order they arrived, so job ids rise in acceptance order;
 * - one job's own error (invalid, too large) fails that job alone (`accept_many` keeps each job in
 *   its own savepoint); an error of the transaction (full disk, I/O error, the commit itself)
 *   fails every job of the batch, and none of them was stored.
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

typedef struct q_accept_waiter q_accept_waiter;

typedef struct q_accept_batch {
    q_accept_many_fn accept_many;
    void *context;
    const char *backend_name; /* the metrics' label */
    pthread_mutex_t lock;
    pthread_cond_t finished;  /* broadcast after each batch */
    q_accept_waiter *first, *last; /* waiting, in arrival order */
    int leader_active;
} q_accept_batch;

void q_accept_batch_init(q_accept_batch *batch, q_accept_many_fn accept_many, void *context,
                         const char *backend_name);

/* No submit may be running. */
void q_accept_batch_destroy(q_accept_batch *batch);

/* Stores one job, with whatever others arrive together; returns once its commit is done. */
cm_err q_accept_batch_submit(q_accept_batch *batch, const q_new_job *job, int64_t *job_id);

#endif
