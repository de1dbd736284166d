/*
 * worker.h - the threads that run queued jobs.
 *
 * Each worker claims the next runnable job (store.h), cuts it into its stored chunks, translates
 * each chunk (translate/), hands it to the delivery, and checkpoints the result. Failures that may
 * pass park the job with capped exponential back-off until the chunk's retry budget is spent;
 * final failures end the job FAILED. Another thread prunes finished jobs past the retention.
 *
 * Coalescing: a worker that claims a one-chunk refresh joins the tenant's next small queued
 * refreshes to it (up to the chunk size of records, store.h q_store_claim_batch) and delivers them
 * as one delivery, records in acceptance order; each job keeps its own results and end, recorded in
 * one transaction. The batch is stored before it is delivered, so after a crash the same batch is
 * delivered again under the same batch key.
 *
 * Shutdown: q_pool_stop makes every worker stop at the next safe point (between chunks, or while
 * waiting), releases the job it holds, and joins the threads. No chunk is ever half-recorded: a
 * chunk is either checkpointed whole or redelivered whole after restart.
 */
#ifndef Q_WORKER_H
#define Q_WORKER_H

#include <stdint.h>

#include "common/config.h"
#include "common/err.h"
#include "queue/delivery.h"
#include "queue/store.h"

typedef struct q_pool q_pool;

typedef struct q_pool_config {
    q_store *store;
    q_delivery *delivery;
    const cm_config *config; /* tenants (sku order, floor mode); must outlive the pool */
    int workers;
    int64_t retry_budget_ms;
    int64_t retention_ms;
    int64_t backoff_base_ms; /* 0: Q_BACKOFF_BASE_MS */
    int64_t backoff_cap_ms;  /* 0: Q_BACKOFF_CAP_MS */
    int64_t idle_poll_ms;    /* 0: 250 ms */
    int64_t prune_interval_ms; /* 0: 10 minutes */
    int64_t hold_watch_interval_ms; /* 0: Q_HOLD_WATCH_INTERVAL_MS (queue/hold_watch.h) */
    int no_coalescing; /* 1: every job is delivered alone (queue.coalesce false) */
} q_pool_config;

cm_err q_pool_start(const q_pool_config *config, q_pool **out);

/* Wakes idle workers: a job was just accepted. */
void q_pool_notify(q_pool *pool);

/* Stops at a safe point and joins the threads; frees the pool. NULL is allowed. */
void q_pool_stop(q_pool *pool);

#endif
