#include "queue/worker.h"
#include "common/clock.h"
#include "common/json_util.h"
#include "common/log.h"
#include "queue/adjust.h"
#include "queue/hold_watch.h"
#include "queue/queue_metrics.h"
#include "queue/retry.h"
#include "translate/item.h"

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

typedef struct message_builder {
    json_object *messages;
    size_t reported;
} message_builder;

static void add_failure_message(const q_item_failure *failure, void *data)
{
    message_builder *builder = data;
    char text[320];
    snprintf(text, sizeof text, "items[%" PRId64 "] (sku %s): %s: %s", failure->item_index,
             failure->sku ? failure->sku : "?", failure->error_code ? failure->error_code : "Unknown",
             failure->message ? failure->message : "");
    json_object_array_add(builder->messages, json_object_new_string(text));
    builder->reported++;
}

/* The job's messages as they were, plus `extra` (may be NULL), plus the first refused items. */
static char *final_messages(q_pool *pool, const q_job *job, int64_t items_failed, const char *extra)
{
    json_object *messages = NULL;
    char parse_error[CM_JSON_ERROR_MAX];
    if (cm_json_parse(job->messages_json, strlen(job->messages_json), 4, &messages, parse_error) != CM_OK ||
        !json_object_is_type(messages, json_type_array)) {
        json_object_put(messages);
        messages = json_object_new_array();
    }
    /* An adjust's notes (deltas that would have taken on-hand below 0) live in its chunks' saved
     * state, which survives crashes; they are gathered here, before the chunks are deleted. */
    for (int64_t c = 0; job->type == Q_JOB_ADJUST && c < job->chunks_total; c++)
        q_adjust_add_notes(pool->config.store, job->job_id, c, messages);
    if (extra)
        json_object_array_add(messages, json_object_new_string(extra));
    if (items_failed > 0) {
        message_builder builder = {.messages = messages};
        q_store_each_failure(pool->config.store, job->job_id, Q_MAX_REPORTED_FAILURES,
                             add_failure_message, &builder);
        if (items_failed > (int64_t)builder.reported) {
            char text[128];
            snprintf(text, sizeof text, "%" PRId64 " items in all were refused by OCI; the first %zu are listed.",
                     items_failed, builder.reported);
            json_object_array_add(messages, json_object_new_string(text));
        }
    }
    /* Short of memory, json-c gives no array or no text: the caller then stores "[]". */
    const char *text = messages ? json_object_to_json_string_ext(messages, JSON_C_TO_STRING_PLAIN) : NULL;
    char *result = text ? strdup(text) : NULL;
    json_object_put(messages);
    return result;
}

static void finish(worker *self, const q_job *job, q_status status, int success, int64_t items_failed,
                   const char *extra_message)
{
    q_pool *pool = self->pool;
    char *messages = final_messages(pool, job, items_failed, extra_message);
    cm_err rc = q_store_finish(pool->config.store, job->job_id, self->token, status, success,
                               messages ? messages : "[]", cm_now_ms());
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

/* ---- one chunk ---- */

static const char *identifier_key(const tr_legacy_item *item, const char *sku)
{
    if (item->sku == sku)
        return "sku";
    if (item->part_number == sku)
        return "partNumber";
    return "upc";
}

typedef enum chunk_outcome { CHUNK_DONE, CHUNK_PARKED, CHUNK_JOB_ENDED, CHUNK_STOPPED } chunk_outcome;

static chunk_outcome run_chunk(worker *self, q_job *job, const cm_tenant *tenant, int64_t chunk_index,
                               int64_t *items_failed_total)
{
    q_pool *pool = self->pool;
    char *payload = NULL;
    size_t payload_length = 0;
    cm_err rc = q_store_load_chunk(pool->config.store, job->job_id, chunk_index, &payload, &payload_length);
    if (rc) {
        char text[160];
        snprintf(text, sizeof text, "The stored items of chunk %" PRId64 " could not be read: %s.",
                 chunk_index + 1, cm_strerror(rc));
        if (rc == CM_ENOTFOUND) {
            finish(self, job, Q_FAILED, 0, *items_failed_total, text);
            return CHUNK_JOB_ENDED;
        }
        q_store_park(pool->config.store, job->job_id, self->token, cm_now_ms() + 1000,
                     job->retry_started_ms, text);
        return CHUNK_PARKED;
    }
    json_object *items = NULL;
    char parse_error[CM_JSON_ERROR_MAX];
    rc = cm_json_parse(payload, payload_length, CHUNK_JSON_MAX_DEPTH, &items, parse_error);
    free(payload);
    if (rc == CM_ENOMEM) {
        /* The chunk is not corrupt, the process was short of memory: try it again later. */
        q_store_park(pool->config.store, job->job_id, self->token, cm_now_ms() + 1000, job->retry_started_ms,
                     "out of memory");
        return CHUNK_PARKED;
    }
    if (rc || !json_object_is_type(items, json_type_array)) {
        json_object_put(items);
        finish(self, job, Q_FAILED, 0, *items_failed_total, "The stored items of a chunk are corrupt.");
        return CHUNK_JOB_ENDED;
    }

    size_t count = json_object_array_length(items);
    tr_record *records = calloc(count ? count : 1, sizeof *records);
    q_refusal *refusals = calloc(count ? count : 1, sizeof *refusals);
    q_item_failure *failures = calloc(count ? count : 1, sizeof *failures);
    q_item_extra *extras = calloc(count ? count : 1, sizeof *extras);
    json_object **extra_objects = calloc(count ? count : 1, sizeof *extra_objects);
    chunk_outcome outcome = CHUNK_DONE;
    size_t record_count = 0, failure_count = 0, extra_count = 0;
    if (!records || !refusals || !failures || !extras || !extra_objects) {
        q_store_park(pool->config.store, job->job_id, self->token, cm_now_ms() + 1000,
                     job->retry_started_ms, "out of memory");
        outcome = CHUNK_PARKED;
        goto out;
    }

    tr_context context = {
        .installation_id = q_store_installation_id(pool->config.store),
        .tenant_id = job->tenant_id,
        .job_id = job->job_id,
        .location_id = job->oci_location,
        .effective_ms = job->added_ms,
        .sku_from = tenant->sku_from,
        .sku_from_count = tenant->sku_from_count,
        .floor = tenant->floor,
    };
    int64_t first_index = chunk_index * job->chunk_size;
    for (size_t i = 0; i < count; i++) {
        json_object *item = json_object_array_get_idx(items, i);
        tr_legacy_item legacy;
        char why[TR_WHY_MAX];
        int64_t item_index = first_index + (int64_t)i;
        if (tr_legacy_item_from_json(item, &legacy) != 0) {
            failures[failure_count++] =
                (q_item_failure){item_index, NULL, "InvalidItem", "the stored item is malformed"};
            continue;
        }
        if (tr_translate_item(&context, &legacy, (size_t)item_index, &records[record_count], why) != 0) {
            /* Acceptance validates identifiers, so this only happens if the tenant's sku order
             * changed since; the item is refused with the reason. */
            failures[failure_count++] = (q_item_failure){
                item_index, NULL, "InvalidSku",
                "the item has no valid OCI sku under the tenant's current identifier order"};
            continue;
        }
        /* An adjust carries no legacy fields to keep (binID aside): the last refresh's stay. */
        json_object *extra = job->type == Q_JOB_ADJUST ? NULL : tr_extras(item, identifier_key(&legacy, records[record_count].sku));
        /* floor and safetyStock reach OCI only combined (safetyStockCount): the inquiry routes show
         * them apart, as the refresh sent them, so they are kept with the other legacy fields. */
        json_object *floor_value = NULL, *safety_value = NULL;
        json_object_object_get_ex(item, "floor", &floor_value);
        json_object_object_get_ex(item, "safetyStock", &safety_value);
        if (job->type != Q_JOB_ADJUST && (floor_value || safety_value)) {
            if (!extra)
                extra = json_object_new_object();
            if (floor_value)
                json_object_object_add(extra, "floor", json_object_get(floor_value));
            if (safety_value)
                json_object_object_add(extra, "safetyStock", json_object_get(safety_value));
        }
        if (extra) {
            extra_objects[extra_count] = extra;
            extras[extra_count].sku = records[record_count].sku;
            extras[extra_count].extras_json = json_object_to_json_string_ext(extra, JSON_C_TO_STRING_PLAIN);
            extra_count++;
        }
        record_count++;
    }

    q_delivery_result result = {.refusals = refusals, .retry_after_ms = -1};
    q_adjust_outcome prepared = Q_ADJUST_READY;
    if (job->type == Q_JOB_ADJUST && record_count > 0) {
        q_adjust_chunk adjust = {
            .store = pool->config.store,
            .delivery = pool->config.delivery,
            .worker_token = self->token,
            .job_id = job->job_id,
            .chunk_index = chunk_index,
            .organization_id = job->organization_id,
            .records = records,
            .record_count = record_count,
        };
        prepared = q_adjust_prepare(&adjust, result.message);
        if (prepared == Q_ADJUST_LOST) {
            cm_log_warn("job.lease_lost", "job=%" PRId64 " chunk=%" PRId64 " was taken over; this worker lets it go",
                        job->job_id, chunk_index + 1);
            outcome = CHUNK_STOPPED;
            goto out;
        }
        if (prepared == Q_ADJUST_RETRY)
            result.status = Q_DELIVERY_RETRY;
        else if (prepared == Q_ADJUST_FINAL)
            result.status = Q_DELIVERY_FINAL;
    }
    if (prepared != Q_ADJUST_READY) {
        /* result.status and message are set: handled below like a delivery that failed. */
    } else if (record_count > 0) {
        q_chunk chunk = {
            .tenant_id = job->tenant_id,
            .job_id = job->job_id,
            .organization_id = job->organization_id,
            .location_id = job->oci_location,
            .chunk_index = chunk_index,
            .records = records,
            .record_count = record_count,
        };
        pool->config.delivery->deliver(pool->config.delivery, &chunk, &result, should_stop, self);
    } else {
        result.status = Q_DELIVERY_OK;
    }

    int64_t now = cm_now_ms();
    if (result.status == Q_DELIVERY_RETRY) {
        int64_t retry_started = job->retry_started_ms ? job->retry_started_ms : now;
        int64_t delay = q_backoff_delay_ms((int)job->chunk_retries + 1, result.retry_after_ms,
                                           next_random(self),
                                           pool->config.backoff_base_ms ? pool->config.backoff_base_ms
                                                                        : Q_BACKOFF_BASE_MS,
                                           pool->config.backoff_cap_ms ? pool->config.backoff_cap_ms
                                                                       : Q_BACKOFF_CAP_MS);
        if (atomic_load(&pool->stopping))
            delay = 0;
        if (now + delay - retry_started > pool->config.retry_budget_ms && !atomic_load(&pool->stopping)) {
            char text[Q_DELIVERY_MESSAGE_MAX + 200];
            snprintf(text, sizeof text,
                     "OCI could not take chunk %" PRId64 " of %" PRId64 " within the retry budget of %" PRId64
                     " s (%" PRId64 " tries): %s",
                     chunk_index + 1, job->chunks_total, pool->config.retry_budget_ms / 1000,
                     job->chunk_retries + 1, result.message);
            finish(self, job, Q_FAILED, 0, *items_failed_total, text);
            outcome = CHUNK_JOB_ENDED;
        } else {
            cm_log_warn("job.retry", "job=%" PRId64 " chunk=%" PRId64 "/%" PRId64 " in %" PRId64 " ms: %s",
                        job->job_id, chunk_index + 1, job->chunks_total, delay, result.message);
            q_store_park(pool->config.store, job->job_id, self->token, now + delay, retry_started,
                         result.message);
            outcome = atomic_load(&pool->stopping) ? CHUNK_STOPPED : CHUNK_PARKED;
        }
        goto out;
    }
    if (result.status == Q_DELIVERY_FINAL) {
        char text[Q_DELIVERY_MESSAGE_MAX + 80];
        snprintf(text, sizeof text, "OCI refused chunk %" PRId64 " of %" PRId64 ": %s", chunk_index + 1,
                 job->chunks_total, result.message);
        finish(self, job, Q_FAILED, 0, *items_failed_total, text);
        outcome = CHUNK_JOB_ENDED;
        goto out;
    }

    for (size_t r = 0; r < result.refusal_count; r++) {
        const q_refusal *refusal = &result.refusals[r];
        if (refusal->record_index >= record_count)
            continue;
        const tr_record *record = &records[refusal->record_index];
        failures[failure_count++] = (q_item_failure){(int64_t)record->item_index, record->sku,
                                                     refusal->error_code, refusal->message};
    }
    q_checkpoint checkpoint = {
        .job_id = job->job_id,
        .tenant_id = job->tenant_id,
        .oci_location = job->oci_location,
        .worker_token = self->token,
        .chunk_index = chunk_index,
        .items_applied = (int64_t)count - (int64_t)failure_count,
        .failures = failures,
        .failure_count = failure_count,
        .extras = extras,
        .extra_count = extra_count,
        .now_ms = now,
        /* An adjust ends through finish(), which gathers its notes from the chunks' saved state. */
        .finish_success = job->type != Q_JOB_ADJUST && chunk_index == job->chunks_total - 1 && failure_count == 0 &&
                          *items_failed_total == 0,
    };
    rc = q_store_checkpoint(pool->config.store, &checkpoint);
    if (rc == CM_ESTATE) {
        /* Another worker holds the job now (this one's lease expired): the chunk it delivered is
         * delivered again by the new holder, which its record ids make harmless. */
        cm_log_warn("job.lease_lost", "job=%" PRId64 " chunk=%" PRId64 " was taken over; this worker lets it go",
                    job->job_id, chunk_index + 1);
        outcome = CHUNK_STOPPED;
        goto out;
    }
    if (rc) {
        /* The chunk was delivered but not recorded: it is delivered again later, which its record
         * ids make harmless. */
        q_store_park(pool->config.store, job->job_id, self->token, now + 1000, job->retry_started_ms,
                     "could not record the chunk's results");
        outcome = CHUNK_PARKED;
        goto out;
    }
    *items_failed_total += (int64_t)failure_count;
    q_metrics_items(job->tenant_id, checkpoint.items_applied, (int64_t)failure_count);
    job->chunks_done = chunk_index + 1;
    job->retry_started_ms = 0;
    job->chunk_retries = 0;
    if (checkpoint.finish_success) {
        q_metrics_job_finished(job->tenant_id, q_job_type_name(job->type), Q_SUCCESS);
        cm_log_info("job.finished", "job=%" PRId64 " tenant=%" PRId64 " status=SUCCESS success=1", job->job_id,
                    job->tenant_id);
        outcome = CHUNK_JOB_ENDED;
    }
out:
    for (size_t i = 0; i < extra_count; i++)
        json_object_put(extra_objects[i]);
    free(extra_objects);
    free(extras);
    free(failures);
    free(refusals);
    free(records);
    json_object_put(items);
    return outcome;
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
        if (atomic_load(&pool->stopping)) {
            q_store_release(pool->config.store, job->job_id, self->token);
            return;
        }
        /* A hold (graph change, operator) pauses the tenant at a chunk boundary: the job is let go
         * as it is and claimed again, where it stopped, once the hold is released. */
        char *held_because = NULL;
        if (q_store_get_hold(pool->config.store, job->tenant_id, &held_because) == CM_OK) {
            cm_log_info("job.held", "job=%" PRId64 " tenant=%" PRId64 " chunk=%" PRId64 "/%" PRId64 " reason=\"%s\"",
                        job->job_id, job->tenant_id, chunk + 1, job->chunks_total, held_because);
            free(held_because);
            q_store_release(pool->config.store, job->job_id, self->token);
            return;
        }
        if (atomic_load(&self->lease_lost)) {
            cm_log_warn("job.lease_lost", "job=%" PRId64 " was taken over before chunk %" PRId64 "; this worker lets it go",
                        job->job_id, chunk + 1);
            return;
        }
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

/* After a failed claim (database away), wait longer each time, up to CLAIM_BACKOFF_CAP_MS. */
#define CLAIM_BACKOFF_CAP_MS 5000

static void *worker_main(void *data)
{
    worker *self = data;
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
