#include "queue/worker.h"
#include "common/thread_priority.h"
#include "common/clock.h"
#include "common/json_util.h"
#include "common/log.h"
#include "queue/adjust.h"
#include "queue/chunk_records.h"
#include "queue/hold_watch.h"
#include "queue/messages.h"
#include "queue/queue_metrics.h"
#include "queue/retry.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define DEFAULT_IDLE_POLL_MS 250
#define DEFAULT_PRUNE_INTERVAL_MS (10 * 60 * 1000)
#define PRUNE_BATCH 500
#define CHUNK_JSON_MAX_DEPTH 8

typedef struct worker {
    q_pool *pool;
    pthread_t thread;
    int index;
    char token[64];
    uint64_t random_state;
    /* The job this worker holds (0: none) and whether its lease was lost, guarded by held_lock so
     * that the lease keeper never renews (or declares lost) a job the worker already let go. */
    pthread_mutex_t held_lock;
    int64_t held_job;
    atomic_int lease_lost;
    int consecutive_claim_errors;
    size_t last_batch_jobs; /* jobs of the batch the last run delivered together (0: it ran alone) */
} worker;

struct q_pool {
    q_pool_config config;
    worker *workers;
    int started;
    pthread_t pruner;
    int pruner_started;
    pthread_t lease_keeper;
    int lease_keeper_started;
    q_hold_watch *hold_watch;
    int watching;
    atomic_int stopping;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    uint64_t notifications;
};

/* Polled by deliveries during long waits: give up when the pool stops or the job was taken over. */
static int should_stop(void *data)
{
    worker *self = data;
    return atomic_load(&self->pool->stopping) || atomic_load(&self->lease_lost);
}

static void set_held_job(worker *self, int64_t job_id)
{
    pthread_mutex_lock(&self->held_lock);
    self->held_job = job_id;
    atomic_store(&self->lease_lost, 0);
    pthread_mutex_unlock(&self->held_lock);
}

static uint64_t next_random(worker *self)
{
    /* xorshift64*: enough for jitter, and free of locks. */
    uint64_t x = self->random_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    self->random_state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

/* Waits until notified, stopped, or `timeout_ms` passed. */
static void wait_for_work(q_pool *pool, int64_t timeout_ms)
{
    pthread_mutex_lock(&pool->lock);
    uint64_t seen = pool->notifications;
    if (!atomic_load(&pool->stopping)) {
        struct timespec deadline;
        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_sec += timeout_ms / 1000;
        deadline.tv_nsec += (timeout_ms % 1000) * 1000000L;
        if (deadline.tv_nsec >= 1000000000L) {
            deadline.tv_sec++;
            deadline.tv_nsec -= 1000000000L;
        }
        while (seen == pool->notifications && !atomic_load(&pool->stopping)) {
            if (pthread_cond_timedwait(&pool->wake, &pool->lock, &deadline) != 0)
                break;
        }
    }
    pthread_mutex_unlock(&pool->lock);
}

void q_pool_notify(q_pool *pool)
{
    if (!pool)
        return;
    pthread_mutex_lock(&pool->lock);
    pool->notifications++;
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->lock);
}

/* ---- messages ---- */

/* The job's messages as they were, plus `extra` (may be NULL), plus the first refused items: a new
 * JSON array text (caller frees), NULL when memory ran out (queue/messages.h). */
static char *final_messages(q_pool *pool, const q_job *job, int64_t items_failed, const char *extra)
{
    return q_messages_final(pool->config.store, job, items_failed, extra);
}

static void finish(worker *self, const q_job *job, q_status status, int success, int64_t items_failed,
                   const char *extra_message)
{
    q_pool *pool = self->pool;
    char *messages = final_messages(pool, job, items_failed, extra_message);
    if (!messages) {
        /* Short of memory, or the refused items' reasons cannot be read from the store: finishing
         * without them would lose them for good. Every chunk is recorded, so the job waits a
         * second and is finished by whichever worker claims it next; past the retry budget (a
         * store that keeps failing to read them) it is finished with a line saying so. */
        int64_t now = cm_now_ms();
        int64_t since = job->retry_started_ms ? job->retry_started_ms : now;
        if (now - since >= pool->config.retry_budget_ms)
            messages = q_messages_without_failures(job, items_failed, extra_message);
        if (!messages) {
            cm_log_warn("job.finish_deferred", "job=%" PRId64 " its messages could not be built; finishing later",
                        job->job_id);
            q_store_park(pool->config.store, job->job_id, self->token, now + 1000, since,
                         "the job's messages could not be built while finishing");
            return;
        }
        cm_log_error("job.finish_without_reasons",
                     "job=%" PRId64 " the refused items' reasons could not be read for %" PRId64
                     " s; finished without them",
                     job->job_id, (now - since) / 1000);
    }
    cm_err rc = q_store_finish(pool->config.store, job->job_id, self->token, status, success, messages,
                               cm_now_ms());
    free(messages);
    if (rc == CM_ESTATE)
        cm_log_warn("job.lease_lost", "job=%" PRId64 " was taken over by another worker; its result is theirs",
                    job->job_id);
    else if (rc)
        cm_log_error("job.finish_failed", "job=%" PRId64 " %s", job->job_id, cm_strerror(rc));
    else
        q_metrics_job_finished(job->tenant_id, q_job_type_name(job->type), status);
    if (!rc)
        cm_log(status == Q_FAILED ? CM_LOG_WARN : CM_LOG_INFO, "job.finished", "job=%" PRId64 " tenant=%" PRId64 " status=%s success=%d reason=\"%s\"",
                    job->job_id, job->tenant_id, q_status_name(status), success, extra_message ? extra_message : "");
}

/* ---- one chunk, step by step ---- */

typedef enum chunk_outcome { CHUNK_DONE, CHUNK_PARKED, CHUNK_JOB_ENDED, CHUNK_STOPPED } chunk_outcome;

/* A chunk's items as the worker delivers and records them (queue/chunk_records.h): records, the
 * failures (translation's, then OCI's refusals) and the legacy extras the checkpoint keeps. */
typedef q_chunk_records chunk_records;

typedef enum records_status { RECORDS_OK, RECORDS_RETRY, RECORDS_FINAL } records_status;

static void chunk_records_free(chunk_records *cr)
{
    q_chunk_records_clear(cr);
}

/*
 * Step 1: loads chunk `chunk_index` of `job` and translates its items under the tenant's settings
 * into *out. RECORDS_RETRY when the store or memory failed for now, RECORDS_FINAL when the chunk is
 * gone or corrupt; `why_not` says which. *out is freed by the caller with chunk_records_free,
 * whatever the outcome.
 */
static records_status load_chunk_records(q_pool *pool, const q_job *job, const cm_tenant *tenant,
                                         int64_t chunk_index, chunk_records *out, char why_not[160])
{
    switch (q_chunk_records_load(pool->config.store, job, tenant, chunk_index, out, why_not)) {
    case Q_CHUNK_LOADED: return RECORDS_OK;
    case Q_CHUNK_MISSING:
    case Q_CHUNK_CORRUPT: return RECORDS_FINAL;
    case Q_CHUNK_AGAIN: break;
    }
    return RECORDS_RETRY;
}

/* Step 2 (adjust jobs): turns the records' deltas into absolute values (queue/adjust.h). READY:
 * deliver them; RETRY / FINAL set result->status and message; LOST: the job was taken over. */
static q_adjust_outcome prepare_adjust(worker *self, const q_job *job, int64_t chunk_index, chunk_records *cr,
                                       q_delivery_result *result)
{
    if (job->type != Q_JOB_ADJUST || cr->chunk.record_count == 0)
        return Q_ADJUST_READY;
    q_adjust_chunk adjust = {
        .store = self->pool->config.store,
        .delivery = self->pool->config.delivery,
        .worker_token = self->token,
        .job_id = job->job_id,
        .chunk_index = chunk_index,
        .organization_id = job->organization_id,
        .records = cr->chunk.records,
        .record_count = cr->chunk.record_count,
    };
    q_adjust_outcome prepared = q_adjust_prepare(&adjust, result->message);
    if (prepared == Q_ADJUST_RETRY)
        result->status = Q_DELIVERY_RETRY;
    else if (prepared == Q_ADJUST_FINAL)
        result->status = Q_DELIVERY_FINAL;
    return prepared;
}

/* Step 3: one delivery of `count` records under `job` (the batch's head for a batch). */
static void deliver_records(worker *self, const q_job *job, int64_t chunk_index, const tr_record *records,
                            size_t count, const char *batch_key, q_delivery_result *result)
{
    if (count == 0) {
        result->status = Q_DELIVERY_OK;
        return;
    }
    q_chunk chunk = {
        .tenant_id = job->tenant_id,
        .job_id = job->job_id,
        .organization_id = job->organization_id,
        .location_id = job->oci_location,
        .chunk_index = chunk_index,
        .records = records,
        .record_count = count,
        .batch_key = batch_key,
    };
    self->pool->config.delivery->deliver(self->pool->config.delivery, &chunk, result, should_stop, self);
}

/* Lets a batch's members go with their head: they wait, joined to it, until it is claimed again. */
static void release_members(worker *self, const q_job *members, size_t member_count)
{
    for (size_t i = 0; i < member_count; i++)
        q_store_release(self->pool->config.store, members[i].job_id, self->token);
}

/* Step 4: a delivery that failed. RETRY parks the job (and lets its batch's members go) with back-off
 * until the retry budget is spent; FINAL and a spent budget end the job (and every member) FAILED. */
static chunk_outcome handle_failed_delivery(worker *self, q_job *job, int64_t chunk_index,
                                            const q_delivery_result *result, int64_t items_failed_total,
                                            q_job *members, size_t member_count)
{
    q_pool *pool = self->pool;
    char text[Q_DELIVERY_MESSAGE_MAX + 200];
    if (result->status == Q_DELIVERY_RETRY) {
        int64_t now = cm_now_ms();
        int64_t retry_started = job->retry_started_ms ? job->retry_started_ms : now;
        int64_t delay = q_backoff_delay_ms((int)job->chunk_retries + 1, result->retry_after_ms, next_random(self),
                                           pool->config.backoff_base_ms ? pool->config.backoff_base_ms
                                                                        : Q_BACKOFF_BASE_MS,
                                           pool->config.backoff_cap_ms ? pool->config.backoff_cap_ms
                                                                       : Q_BACKOFF_CAP_MS);
        if (atomic_load(&pool->stopping))
            delay = 0;
        if (!(now + delay - retry_started > pool->config.retry_budget_ms && !atomic_load(&pool->stopping))) {
            char batch[64] = "";
            if (member_count)
                snprintf(batch, sizeof batch, " (with the %zu jobs joined to it)", member_count);
            cm_log_warn("job.retry", "job=%" PRId64 " chunk=%" PRId64 "/%" PRId64 " in %" PRId64 " ms%s: %s",
                        job->job_id, chunk_index + 1, job->chunks_total, delay, batch, result->message);
            q_store_park(pool->config.store, job->job_id, self->token, now + delay, retry_started, result->message);
            release_members(self, members, member_count);
            return atomic_load(&pool->stopping) ? CHUNK_STOPPED : CHUNK_PARKED;
        }
        snprintf(text, sizeof text,
                 "OCI could not take chunk %" PRId64 " of %" PRId64 " within the retry budget of %" PRId64
                 " s (%" PRId64 " tries): %s",
                 chunk_index + 1, job->chunks_total, pool->config.retry_budget_ms / 1000, job->chunk_retries + 1,
                 result->message);
    } else {
        snprintf(text, sizeof text, "OCI refused chunk %" PRId64 " of %" PRId64 ": %s", chunk_index + 1,
                 job->chunks_total, result->message);
    }
    finish(self, job, Q_FAILED, 0, items_failed_total, text);
    for (size_t i = 0; i < member_count; i++)
        finish(self, &members[i], Q_FAILED, 0, 0, text);
    return CHUNK_JOB_ENDED;
}

/* OCI's refusals of records [first, first + cr->chunk.record_count) of a delivery, as failures of `cr`. */
static void add_refusals(chunk_records *cr, const q_delivery_result *result, size_t first)
{
    for (size_t r = 0; r < result->refusal_count; r++) {
        const q_refusal *refusal = &result->refusals[r];
        if (refusal->record_index < first || refusal->record_index >= first + cr->chunk.record_count)
            continue;
        const tr_record *record = &cr->chunk.records[refusal->record_index - first];
        cr->failures[cr->failure_count++] =
            (q_item_failure){(int64_t)record->item_index, record->sku, refusal->error_code, refusal->message};
    }
}

static q_checkpoint checkpoint_of(const worker *self, const q_job *job, int64_t chunk_index, const chunk_records *cr,
                                  int64_t items_failed_total, int64_t now)
{
    return (q_checkpoint){
        .job_id = job->job_id,
        .tenant_id = job->tenant_id,
        .oci_location = job->oci_location,
        .worker_token = self->token,
        .chunk_index = chunk_index,
        .items_applied = (int64_t)cr->chunk.item_count - (int64_t)cr->failure_count,
        .failures = cr->failures,
        .failure_count = cr->failure_count,
        .extras = cr->extras,
        .extra_count = cr->extra_count,
        .now_ms = now,
        /* An adjust ends through finish(), which gathers its notes from the chunks' saved state. */
        .finish_success = job->type != Q_JOB_ADJUST && chunk_index == job->chunks_total - 1 &&
                          cr->failure_count == 0 && items_failed_total == 0,
    };
}

/* After a chunk's checkpoint committed: the job's figures move on (and it ended if the checkpoint
 * ended it). */
static chunk_outcome chunk_recorded(q_job *job, const q_checkpoint *checkpoint, int64_t *items_failed_total)
{
    *items_failed_total += (int64_t)checkpoint->failure_count;
    q_metrics_items(job->tenant_id, checkpoint->items_applied, (int64_t)checkpoint->failure_count);
    job->chunks_done = checkpoint->chunk_index + 1;
    job->retry_started_ms = 0;
    job->chunk_retries = 0;
    if (!checkpoint->finish_success)
        return CHUNK_DONE;
    q_metrics_job_finished(job->tenant_id, q_job_type_name(job->type), Q_SUCCESS);
    cm_log_info("job.finished", "job=%" PRId64 " tenant=%" PRId64 " status=SUCCESS success=1", job->job_id,
                job->tenant_id);
    return CHUNK_JOB_ENDED;
}

/* Step 5: the checkpoint, and what to do when it could not be written. */
static chunk_outcome checkpoint_failed(worker *self, q_job *job, int64_t chunk_index, cm_err rc, q_job *members,
                                       size_t member_count)
{
    if (rc == CM_ESTATE) {
        /* Another worker holds the job now (this one's lease expired): the chunk it delivered is
         * delivered again by the new holder, which its record ids (or batch key) make harmless. */
        cm_log_warn("job.lease_lost", "job=%" PRId64 " chunk=%" PRId64 " was taken over; this worker lets it go",
                    job->job_id, chunk_index + 1);
        return CHUNK_STOPPED;
    }
    /* The chunk was delivered but not recorded: it is delivered again later, which its record ids
     * (or batch key) make harmless. */
    q_store_park(self->pool->config.store, job->job_id, self->token, cm_now_ms() + 1000, job->retry_started_ms,
                 "could not record the chunk's results");
    release_members(self, members, member_count);
    return CHUNK_PARKED;
}

/* Parks or ends a job whose chunk could not be loaded (step 1 failed). */
static chunk_outcome records_failed(worker *self, q_job *job, records_status status, const char *why,
                                    int64_t items_failed_total)
{
    if (status == RECORDS_FINAL) {
        finish(self, job, Q_FAILED, 0, items_failed_total, why);
        return CHUNK_JOB_ENDED;
    }
    q_store_park(self->pool->config.store, job->job_id, self->token, cm_now_ms() + 1000, job->retry_started_ms, why);
    return CHUNK_PARKED;
}

static chunk_outcome run_chunk(worker *self, q_job *job, const cm_tenant *tenant, int64_t chunk_index,
                               int64_t *items_failed_total)
{
    chunk_records cr;
    char why[160];
    records_status loaded = load_chunk_records(self->pool, job, tenant, chunk_index, &cr, why);
    q_refusal *refusals = loaded == RECORDS_OK ? calloc(cr.chunk.item_count ? cr.chunk.item_count : 1, sizeof *refusals) : NULL;
    chunk_outcome outcome;
    if (loaded != RECORDS_OK || !refusals) {
        outcome = records_failed(self, job, loaded == RECORDS_OK ? RECORDS_RETRY : loaded,
                                 loaded == RECORDS_OK ? "out of memory" : why, *items_failed_total);
        goto out;
    }
    q_delivery_result result = {.refusals = refusals, .retry_after_ms = -1};
    q_adjust_outcome prepared = prepare_adjust(self, job, chunk_index, &cr, &result);
    if (prepared == Q_ADJUST_LOST) {
        cm_log_warn("job.lease_lost", "job=%" PRId64 " chunk=%" PRId64 " was taken over; this worker lets it go",
                    job->job_id, chunk_index + 1);
        outcome = CHUNK_STOPPED;
        goto out;
    }
    if (prepared == Q_ADJUST_READY)
        deliver_records(self, job, chunk_index, cr.chunk.records, cr.chunk.record_count, NULL, &result);
    if (result.status != Q_DELIVERY_OK) {
        outcome = handle_failed_delivery(self, job, chunk_index, &result, *items_failed_total, NULL, 0);
        goto out;
    }
    add_refusals(&cr, &result, 0);
    q_checkpoint checkpoint = checkpoint_of(self, job, chunk_index, &cr, *items_failed_total, cm_now_ms());
    cm_err rc = q_store_checkpoint(self->pool->config.store, &checkpoint);
    outcome = rc ? checkpoint_failed(self, job, chunk_index, rc, NULL, 0)
                 : chunk_recorded(job, &checkpoint, items_failed_total);
out:
    free(refusals);
    chunk_records_free(&cr);
    return outcome;
}

/* ---- coalescing: several small jobs of a tenant in one delivery ---- */

/* At most this many jobs in one batch (besides the record limit, the job's chunk size): one
 * checkpoint transaction records them all. */
#define BATCH_MAX_JOBS 500

/* A job that may head a batch: one chunk of a refresh, not started. Adjusts read on-hand before
 * they deliver (queue/adjust.c), so they stay alone. */
static int may_head_batch(const q_job *job)
{
    return job->type == Q_JOB_REFRESH && job->chunks_total == 1 && job->chunks_done == 0;
}

/* How a job ends once its batch's checkpoint is in: SUCCESS already (checkpoint), or by finish(). */
static void batch_job_recorded(worker *self, q_job *job, const q_checkpoint *checkpoint)
{
    int64_t items_failed = 0;
    if (chunk_recorded(job, checkpoint, &items_failed) == CHUNK_JOB_ENDED)
        return;
    if (items_failed >= job->item_count)
        finish(self, job, Q_FAILED, 0, items_failed, "OCI refused every item of the job.");
    else
        finish(self, job, Q_SUCCESS, items_failed == 0, items_failed, NULL);
}

/*
 * Delivers `head` and the jobs joined to it (members, in job order: their stored batch) as one
 * delivery: their records one after the other in acceptance order, so that a SKU sent twice ends at
 * the later job's value, as when they ran one by one. The batch key names the stored batch, which
 * is the same batch whenever it is delivered again. Each job keeps its own per-item results, figures
 * and end; one transaction records them all.
 * Returns 0 when OCI refused the batch as a whole (FINAL: nothing was applied): the batch is undone,
 * its members wait for their turn, and the head is to run alone, so that one job's refusal is not
 * every job's. Returns 1 otherwise (the head and its members were handled).
 */
static int run_batch(worker *self, q_job *head, const cm_tenant *tenant, q_job *members, size_t member_count)
{
    int handled = 1;
    q_pool *pool = self->pool;
    size_t job_count = member_count + 1;
    q_job **jobs = calloc(job_count, sizeof *jobs);
    chunk_records *crs = calloc(job_count, sizeof *crs);
    size_t *first = calloc(job_count, sizeof *first);
    int *included = calloc(job_count, sizeof *included);
    tr_record *records = NULL;
    q_refusal *refusals = NULL;
    q_checkpoint *checkpoints = NULL;
    if (!jobs || !crs || !first || !included) {
        q_store_park(pool->config.store, head->job_id, self->token, cm_now_ms() + 1000, head->retry_started_ms,
                     "out of memory");
        release_members(self, members, member_count);
        goto out;
    }
    jobs[0] = head;
    for (size_t i = 0; i < member_count; i++)
        jobs[i + 1] = &members[i];

    size_t total = 0;
    for (size_t j = 0; j < job_count; j++) {
        char why[160];
        records_status loaded = load_chunk_records(pool, jobs[j], tenant, 0, &crs[j], why);
        if (loaded == RECORDS_OK) {
            included[j] = 1;
            first[j] = total;
            total += crs[j].chunk.record_count;
            continue;
        }
        if (j > 0 && loaded == RECORDS_FINAL) {
            /* A member whose items are gone ends alone; the rest of the batch (as stored) goes on,
             * and goes on the same way if the batch is delivered again. */
            finish(self, jobs[j], Q_FAILED, 0, 0, why);
            continue;
        }
        /* Nothing was delivered: the head waits (or ends) and its members wait with it. */
        records_failed(self, head, loaded, why, 0);
        release_members(self, members, member_count);
        goto out;
    }
    records = calloc(total ? total : 1, sizeof *records);
    refusals = calloc(total ? total : 1, sizeof *refusals);
    checkpoints = calloc(job_count, sizeof *checkpoints);
    if (!records || !refusals || !checkpoints) {
        q_store_park(pool->config.store, head->job_id, self->token, cm_now_ms() + 1000, head->retry_started_ms,
                     "out of memory");
        release_members(self, members, member_count);
        goto out;
    }
    for (size_t j = 0; j < job_count; j++)
        if (included[j])
            memcpy(&records[first[j]], crs[j].chunk.records, crs[j].chunk.record_count * sizeof *records);

    char batch_key[200];
    snprintf(batch_key, sizeof batch_key, "%s/%" PRId64 "/%" PRId64 "/batch", q_store_installation_id(pool->config.store),
             head->tenant_id, head->job_id);
    cm_log_info("job.batch", "job=%" PRId64 " tenant=%" PRId64 " jobs=%zu last=%" PRId64 " records=%zu", head->job_id,
                head->tenant_id, job_count, jobs[job_count - 1]->job_id, total);
    q_delivery_result result = {.refusals = refusals, .retry_after_ms = -1};
    deliver_records(self, head, 0, records, total, batch_key, &result);
    if (result.status == Q_DELIVERY_FINAL) {
        cm_log_warn("job.batch_refused", "job=%" PRId64 " jobs=%zu: %s; the jobs run one by one", head->job_id,
                    job_count, result.message);
        cm_err rc = q_store_dissolve_batch(pool->config.store, head->job_id, self->token);
        if (rc == CM_OK)
            handled = 0;
        else if (rc != CM_ESTATE)
            checkpoint_failed(self, head, 0, rc, members, member_count);
        goto out;
    }
    if (result.status != Q_DELIVERY_OK) {
        handle_failed_delivery(self, head, 0, &result, 0, members, member_count);
        goto out;
    }
    int64_t now = cm_now_ms();
    size_t checkpoint_count = 0;
    for (size_t j = 0; j < job_count; j++) {
        if (!included[j])
            continue;
        add_refusals(&crs[j], &result, first[j]);
        checkpoints[checkpoint_count++] = checkpoint_of(self, jobs[j], 0, &crs[j], 0, now);
    }
    cm_err rc = q_store_checkpoint_batch(pool->config.store, checkpoints, checkpoint_count);
    if (rc) {
        checkpoint_failed(self, head, 0, rc, members, member_count);
        goto out;
    }
    for (size_t j = 0, c = 0; j < job_count; j++)
        if (included[j])
            batch_job_recorded(self, jobs[j], &checkpoints[c++]);
out:
    for (size_t j = 0; crs && j < job_count; j++)
        chunk_records_free(&crs[j]);
    free(checkpoints);
    free(refusals);
    free(records);
    free(included);
    free(first);
    free(crs);
    free(jobs);
    return handled;
}

/* ---- one job ---- */

/* Whether the job may go on to its next chunk: not when the pool stops, the tenant is held (the
 * job is let go as it is and claimed again, where it stopped, once the hold is released) or the
 * job was taken over. */
static int may_run_chunk(worker *self, const q_job *job, int64_t chunk)
{
    q_pool *pool = self->pool;
    if (atomic_load(&pool->stopping)) {
        q_store_release(pool->config.store, job->job_id, self->token);
        return 0;
    }
    char *held_because = NULL;
    if (q_store_get_hold(pool->config.store, job->tenant_id, &held_because) == CM_OK) {
        cm_log_info("job.held", "job=%" PRId64 " tenant=%" PRId64 " chunk=%" PRId64 "/%" PRId64 " reason=\"%s\"",
                    job->job_id, job->tenant_id, chunk + 1, job->chunks_total, held_because);
        free(held_because);
        q_store_release(pool->config.store, job->job_id, self->token);
        return 0;
    }
    if (atomic_load(&self->lease_lost)) {
        cm_log_warn("job.lease_lost", "job=%" PRId64 " was taken over before chunk %" PRId64 "; this worker lets it go",
                    job->job_id, chunk + 1);
        return 0;
    }
    return 1;
}

/* Joins the tenant's next small jobs to `job` (or claims the batch it headed before) and delivers
 * them together. Returns 1 when the job was handled here, 0 when it runs alone. */
static int try_batch(worker *self, q_job *job, const cm_tenant *tenant)
{
    q_pool *pool = self->pool;
    if (pool->config.no_coalescing || !may_head_batch(job))
        return 0;
    /* A new batch only under a job that was never tried: what an earlier try delivered alone must
     * not be delivered again under another batch. A batch stored before is always resumed. */
    int allow_new = job->chunk_retries == 0 && job->retry_started_ms == 0 && job->interruptions == 0;
    q_job *members = NULL;
    size_t member_count = 0;
    cm_err rc = q_store_claim_batch(pool->config.store, job, self->token, job->chunk_size, BATCH_MAX_JOBS, allow_new,
                                    cm_now_ms(), &members, &member_count);
    if (rc == CM_ESTATE) {
        cm_log_warn("job.lease_lost", "job=%" PRId64 " was taken over before its delivery; this worker lets it go",
                    job->job_id);
        return 1;
    }
    if (rc) {
        /* Whether a batch was stored under the job is unknown: it waits rather than run alone. */
        q_store_park(pool->config.store, job->job_id, self->token, cm_now_ms() + 1000, job->retry_started_ms,
                     "could not read the job's batch");
        return 1;
    }
    if (member_count == 0)
        return 0;
    self->last_batch_jobs = member_count;
    double started = q_metrics_clock();
    int handled = run_batch(self, job, tenant, members, member_count);
    q_metrics_chunk_duration(q_metrics_clock() - started);
    for (size_t i = 0; i < member_count; i++)
        q_job_clear(&members[i]);
    free(members);
    return handled;
}

static void run_job(worker *self, q_job *job)
{
    q_pool *pool = self->pool;
    const cm_tenant *tenant = cm_config_tenant(pool->config.config, job->tenant_id);
    if (!tenant) {
        finish(self, job, Q_FAILED, 0, job->items_failed,
               "The tenant is no longer configured; the job cannot be delivered.");
        return;
    }
    int64_t items_failed = job->items_failed;
    cm_log_info("job.working", "job=%" PRId64 " tenant=%" PRId64 " chunk=%" PRId64 "/%" PRId64, job->job_id,
                job->tenant_id, job->chunks_done + 1, job->chunks_total);
    for (int64_t chunk = job->chunks_done; chunk < job->chunks_total; chunk++) {
        if (!may_run_chunk(self, job, chunk))
            return;
        if (chunk == 0 && try_batch(self, job, tenant))
            return;
        double chunk_started = q_metrics_clock();
        chunk_outcome outcome = run_chunk(self, job, tenant, chunk, &items_failed);
        q_metrics_chunk_duration(q_metrics_clock() - chunk_started);
        if (outcome != CHUNK_DONE)
            return;
    }
    if (items_failed >= job->item_count)
        finish(self, job, Q_FAILED, 0, items_failed, "OCI refused every item of the job.");
    else
        finish(self, job, Q_SUCCESS, items_failed == 0, items_failed, NULL);
}

/*
 * After delivering a batch of several jobs, the worker waits this long before its next claim. A
 * batch of several means small jobs are arriving faster than one delivery takes; each delivery has
 * a fixed cost (claim, batch claim, transaction, checkpoint) whatever its size, and on two cores
 * that cost is taken from the requests being answered. Waiting lets the next batch gather the
 * jobs that arrive meanwhile. A job that finds the worker idle, or that follows one delivered
 * alone, is claimed at once: a lone refresh is not delayed.
 */
#define BATCH_LINGER_MS 10

static void linger_after_batch(worker *self)
{
    size_t jobs = self->last_batch_jobs;
    self->last_batch_jobs = 0;
    if (jobs < 2)
        return;
    int64_t until = cm_mono_ms() + BATCH_LINGER_MS;
    while (!atomic_load(&self->pool->stopping) && cm_mono_ms() < until)
        cm_sleep_ms(until - cm_mono_ms());
}

/* After a failed claim (database away), wait longer each time, up to CLAIM_BACKOFF_CAP_MS. */
#define CLAIM_BACKOFF_CAP_MS 5000

static void *worker_main(void *data)
{
    worker *self = data;
    cm_thread_become_background("omsgw-worker"); /* acceptance first (common/thread_priority.h) */
    q_pool *pool = self->pool;
    int64_t idle = pool->config.idle_poll_ms ? pool->config.idle_poll_ms : DEFAULT_IDLE_POLL_MS;
    while (!atomic_load(&pool->stopping)) {
        q_job job;
        cm_err rc = q_store_claim(pool->config.store, self->token, cm_now_ms(), &job);
        if (rc == CM_ENOTFOUND) {
            if (self->consecutive_claim_errors)
                cm_log_info("queue.claim_back", "worker=%d claims work again", self->index);
            self->consecutive_claim_errors = 0;
            wait_for_work(pool, idle);
            continue;
        }
        if (rc) {
            if (self->consecutive_claim_errors++ == 0)
                cm_log_error("queue.claim", "worker=%d %s; retrying with back-off", self->index, cm_strerror(rc));
            int64_t wait = idle;
            for (int i = 1; i < self->consecutive_claim_errors && wait < CLAIM_BACKOFF_CAP_MS; i++)
                wait *= 2;
            wait_for_work(pool, wait < CLAIM_BACKOFF_CAP_MS ? wait : CLAIM_BACKOFF_CAP_MS);
            continue;
        }
        self->consecutive_claim_errors = 0;
        set_held_job(self, job.job_id);
        run_job(self, &job);
        set_held_job(self, 0);
        q_job_clear(&job);
        linger_after_batch(self);
    }
    return NULL;
}

/*
 * Keeps the leases of held jobs alive (stores with leases only): renews every third of the lease,
 * so a renewal may fail twice before the lease runs out. A renewal the store refuses means another
 * instance took the job over: the worker is told, and lets it go at its next safe point.
 */
static void *lease_keeper_main(void *data)
{
    q_pool *pool = data;
    int64_t lease = q_store_lease_ms(pool->config.store);
    int64_t interval = lease / 3 > 50 ? lease / 3 : 50;
    while (!atomic_load(&pool->stopping)) {
        int64_t until = cm_mono_ms() + interval;
        while (!atomic_load(&pool->stopping) && cm_mono_ms() < until)
            cm_sleep_ms(until - cm_mono_ms() < 50 ? until - cm_mono_ms() : 50);
        for (int i = 0; i < pool->started && !atomic_load(&pool->stopping); i++) {
            worker *held = &pool->workers[i];
            pthread_mutex_lock(&held->held_lock);
            if (held->held_job && !atomic_load(&held->lease_lost)) {
                cm_err rc = q_store_renew_lease(pool->config.store, held->held_job, held->token);
                if (rc == CM_ESTATE) {
                    atomic_store(&held->lease_lost, 1);
                    cm_log_warn("job.lease_lost", "job=%" PRId64 " worker=%d: the lease was taken over",
                                held->held_job, held->index);
                } else if (rc) {
                    cm_log_warn("queue.renew", "job=%" PRId64 " worker=%d: %s; trying again", held->held_job,
                                held->index, cm_strerror(rc));
                }
            }
            pthread_mutex_unlock(&held->held_lock);
        }
    }
    return NULL;
}

static void wake_pool(void *data)
{
    q_pool_notify(data);
}

static void *pruner_main(void *data)
{
    q_pool *pool = data;
    cm_thread_become_background("omsgw-pruner");
    int64_t interval = pool->config.prune_interval_ms ? pool->config.prune_interval_ms
                                                      : DEFAULT_PRUNE_INTERVAL_MS;
    while (!atomic_load(&pool->stopping)) {
        int64_t deleted = 0, total = 0;
        do {
            if (q_store_prune(pool->config.store, cm_now_ms() - pool->config.retention_ms, PRUNE_BATCH,
                              &deleted) != CM_OK)
                break;
            total += deleted;
        } while (deleted == PRUNE_BATCH && !atomic_load(&pool->stopping));
        if (total)
            cm_log_info("queue.pruned", "jobs=%" PRId64, total);
        int64_t until = cm_mono_ms() + interval;
        while (!atomic_load(&pool->stopping) && cm_mono_ms() < until)
            wait_for_work(pool, until - cm_mono_ms() < 1000 ? until - cm_mono_ms() : 1000);
    }
    return NULL;
}

cm_err q_pool_start(const q_pool_config *config, q_pool **out)
{
    *out = NULL;
    q_pool *pool = calloc(1, sizeof *pool);
    if (!pool)
        return CM_ENOMEM;
    pool->config = *config;
    if (pool->config.workers < 1)
        pool->config.workers = 1;
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->wake, NULL);
    pool->workers = calloc((size_t)pool->config.workers, sizeof(worker));
    if (!pool->workers) {
        q_pool_stop(pool);
        return CM_ENOMEM;
    }
    uint64_t seed = 0;
    if (getrandom(&seed, sizeof seed, 0) != (ssize_t)sizeof seed)
        seed = (uint64_t)cm_now_ms();
    for (int i = 0; i < pool->config.workers; i++) {
        worker *self = &pool->workers[i];
        self->pool = pool;
        self->index = i;
        self->random_state = (seed ^ (0x9E3779B97F4A7C15ULL * (uint64_t)(i + 1))) | 1;
        pthread_mutex_init(&self->held_lock, NULL);
        char uuid[CM_UUID_TEXT_LEN + 1];
        cm_uuid_random(uuid);
        /* Unique across processes and restarts: fencing on several instances relies on it. */
        snprintf(self->token, sizeof self->token, "w%d-%s", i, uuid);
        if (pthread_create(&self->thread, NULL, worker_main, self) != 0) {
            q_pool_stop(pool);
            return CM_ENOMEM;
        }
        pool->started = i + 1;
    }
    if (pthread_create(&pool->pruner, NULL, pruner_main, pool) == 0)
        pool->pruner_started = 1;
    if (q_store_lease_ms(pool->config.store) > 0) {
        if (pthread_create(&pool->lease_keeper, NULL, lease_keeper_main, pool) != 0) {
            q_pool_stop(pool);
            return CM_ENOMEM;
        }
        pool->lease_keeper_started = 1;
    }
    if (q_hold_watch_start(pool->config.store, pool->config.delivery, pool->config.config,
                           pool->config.hold_watch_interval_ms, &pool->hold_watch) != CM_OK) {
        q_pool_stop(pool);
        return CM_ENOMEM;
    }
    if (q_store_watch(pool->config.store, wake_pool, pool) != CM_OK) {
        q_pool_stop(pool);
        return CM_ENOMEM;
    }
    pool->watching = 1;
    *out = pool;
    return CM_OK;
}

void q_pool_stop(q_pool *pool)
{
    if (!pool)
        return;
    if (pool->watching)
        q_store_unwatch(pool->config.store);
    q_hold_watch_stop(pool->hold_watch);
    pthread_mutex_lock(&pool->lock);
    atomic_store(&pool->stopping, 1);
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->lock);
    for (int i = 0; i < pool->started; i++)
        pthread_join(pool->workers[i].thread, NULL);
    if (pool->pruner_started)
        pthread_join(pool->pruner, NULL);
    if (pool->lease_keeper_started)
        pthread_join(pool->lease_keeper, NULL);
    for (int i = 0; i < pool->started; i++)
        pthread_mutex_destroy(&pool->workers[i].held_lock);
    free(pool->workers);
    pthread_cond_destroy(&pool->wake);
    pthread_mutex_destroy(&pool->lock);
    free(pool);
}
