/*
 * route_api.c - the JSON admin API the console reads (scripts may use it too):
 *   GET  /api/tenants                 every tenant: queue depth, running job, last finished job
 *   GET  /api/jobs?tenant=&status=&type=&location=&from=&to=&limit=&offset=
 *                                     jobs of every tenant, newest first, one page
 *   GET  /api/jobs/{jobID}            one job: the legacy reply, the queue's own fields, refusals
 *   POST /api/jobs/{jobID}/cancel     a pending job ends FAILED ("Cancelled by an operator.")
 *   POST /api/jobs/{jobID}/retry      a failed job's items accepted again as a new job
 * A job is shown as the legacy job routes show it (gateway/job_json.h), so the console and the
 * integrations see the same thing, plus an "admin" object with what only an operator needs.
 */
#include "admin/internal.h"
#include "common/clock.h"
#include "common/log.h"
#include "gateway/job_json.h"
#include "queue/queue_metrics.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_DEFAULT 50
#define PAGE_MAX 500
#define OFFSET_MAX 1000000
#define CANCEL_MESSAGE "[\"Cancelled by an operator.\"]"

static json_object *time_or_null(int64_t ms)
{
    if (ms <= 0)
        return NULL;
    char text[CM_TIME_TEXT_MAX];
    cm_time_format_ms(ms, text);
    return json_object_new_string(text);
}

/* The legacy reply with an "admin" object of the queue's own fields. */
static json_object *job_json(const q_job *job)
{
    json_object *body = gw_job_to_json(job);
    json_object *extra = json_object_new_object();
    json_object_object_add(extra, "organizationId", json_object_new_string(job->organization_id));
    json_object_object_add(extra, "chunkSize", json_object_new_int64(job->chunk_size));
    json_object_object_add(extra, "attempts", json_object_new_int64(job->attempts));
    json_object_object_add(extra, "interruptions", json_object_new_int64(job->interruptions));
    json_object_object_add(extra, "chunkRetries", json_object_new_int64(job->chunk_retries));
    json_object_object_add(extra, "retryStarted", time_or_null(job->retry_started_ms));
    json_object_object_add(extra, "nextAttempt",
                           job->status == Q_WORKING ? time_or_null(job->next_attempt_ms) : NULL);
    json_object_object_add(extra, "lastError", job->last_error ? json_object_new_string(job->last_error) : NULL);
    json_object_object_add(body, "admin", extra);
    return body;
}

/* Parses a positive integer of at most `max`; -1 when it is not one. */
static int64_t parse_count(const char *text, int64_t max)
{
    if (!text || !*text || strspn(text, "0123456789") != strlen(text) || strlen(text) > 18)
        return -1;
    int64_t value = strtoll(text, NULL, 10);
    return value > max ? -1 : value;
}

/* A time filter: RFC 3339 or milliseconds since the epoch. */
static int parse_time(const char *text, int64_t *ms)
{
    if (cm_time_parse(text, ms) == 0)
        return 0;
    int64_t value = parse_count(text, INT64_MAX / 2);
    if (value <= 0)
        return -1;
    *ms = value;
    return 0;
}

static int parse_status(const char *text)
{
    static const q_status all[] = {Q_PENDING, Q_WORKING, Q_SUCCESS, Q_FAILED};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (strcmp(text, q_status_name(all[i])) == 0)
            return (int)all[i];
    return -2;
}

static void reply_store_error(cm_http_request *request, cm_err rc)
{
    cm_http_reply_error(request, 503, "SERVICE_UNAVAILABLE",
                        rc == CM_ENOMEM ? "The server is short of memory; retry." :
                                          "The queue's store cannot be read right now; retry.",
                        NULL);
}

/* One job of a status, newest first, or NULL (caller puts it). */
static json_object *newest_job(adm_admin *admin, int64_t tenant_id, q_status status, int64_t *finished_ms)
{
    q_admin_filter filter = {.tenant_id = tenant_id, .status = (int)status, .limit = 1};
    q_job *jobs = NULL;
    size_t count = 0;
    if (q_store_admin_jobs(admin->store, &filter, &jobs, &count) != CM_OK || count == 0) {
        free(jobs);
        return NULL;
    }
    json_object *body = job_json(&jobs[0]);
    if (finished_ms)
        *finished_ms = jobs[0].finished_ms;
    q_job_clear(&jobs[0]);
    free(jobs);
    return body;
}

static json_object *tenant_json(adm_admin *admin, int64_t tenant_id, const q_tenant_stats *stats, int configured)
{
    json_object *tenant = json_object_new_object();
    json_object_object_add(tenant, "tenantId", json_object_new_int64(tenant_id));
    json_object_object_add(tenant, "configured", json_object_new_boolean(configured));
    json_object_object_add(tenant, "pending", json_object_new_int64(stats ? stats->pending : 0));
    json_object_object_add(tenant, "working", json_object_new_int64(stats ? stats->working : 0));
    double age = stats && stats->oldest_pending_added_ms ? (double)(cm_now_ms() - stats->oldest_pending_added_ms) / 1000.0
                                                        : 0;
    json_object_object_add(tenant, "oldestPendingAgeSeconds", json_object_new_double(age < 0 ? 0 : age));
    json_object_object_add(tenant, "runningJob", newest_job(admin, tenant_id, Q_WORKING, NULL));
    int64_t success_ms = 0, failed_ms = 0;
    json_object *success = newest_job(admin, tenant_id, Q_SUCCESS, &success_ms);
    json_object *failed = newest_job(admin, tenant_id, Q_FAILED, &failed_ms);
    if (success && failed) {
        json_object_put(success_ms >= failed_ms ? failed : success);
        json_object_object_add(tenant, "lastFinishedJob", success_ms >= failed_ms ? success : failed);
    } else {
        json_object_object_add(tenant, "lastFinishedJob", success ? success : failed);
    }
    return tenant;
}

void adm_route_tenants(cm_http_request *request, void *data)
{
    adm_admin *admin = data;
    q_tenant_stats *stats = NULL;
    size_t count = 0;
    cm_err rc = q_store_tenant_stats(admin->store, &stats, &count);
    if (rc) {
        reply_store_error(request, rc);
        return;
    }
    json_object *list = json_object_new_array();
    for (size_t i = 0; i < admin->config->tenant_count; i++) {
        int64_t id = admin->config->tenants[i].id;
        const q_tenant_stats *found = NULL;
        for (size_t s = 0; s < count; s++)
            if (stats[s].tenant_id == id)
                found = &stats[s];
        json_object_array_add(list, tenant_json(admin, id, found, 1));
    }
    /* Tenants removed from the configuration whose jobs are still kept. */
    for (size_t s = 0; s < count; s++)
        if (!cm_config_tenant(admin->config, stats[s].tenant_id))
            json_object_array_add(list, tenant_json(admin, stats[s].tenant_id, &stats[s], 0));
    free(stats);
    json_object *body = json_object_new_object();
    json_object_object_add(body, "tenants", list);
    cm_http_reply_json(request, 200, body);
}

void adm_route_jobs(cm_http_request *request, void *data)
{
    adm_admin *admin = data;
    q_admin_filter filter = {.status = -1, .limit = PAGE_DEFAULT};
    const char *value;
    if ((value = cm_http_query(request, "tenant")) && *value) {
        const char *digits = value[0] == 't' ? value + 1 : value;
        if ((filter.tenant_id = parse_count(digits, INT64_MAX / 2)) <= 0) {
            cm_http_reply_error(request, 400, "INVALID_REQUEST_DATA", "tenant must be a tenant id (digits).", "tenant");
            return;
        }
    }
    if ((value = cm_http_query(request, "status")) && *value &&
        (filter.status = parse_status(value)) == -2) {
        cm_http_reply_error(request, 400, "INVALID_REQUEST_DATA",
                            "status must be PENDING, WORKING, SUCCESS or FAILED.", "status");
        return;
    }
    /* The store filters on its type column; a misspelt type is a mistake worth saying rather than
     * an empty page. ADJUST is the type the adjust routes will store. */
    if ((value = cm_http_query(request, "type")) && *value) {
        if (strcmp(value, "ADJUST") != 0 && strcmp(value, "REFRESH") != 0) {
            cm_http_reply_error(request, 400, "INVALID_REQUEST_DATA", "type must be REFRESH or ADJUST.", "type");
            return;
        }
        filter.type = value;
    }
    if ((value = cm_http_query(request, "location")) && *value)
        filter.oci_location = value;
    static const char *const time_names[] = {"from", "to"};
    int64_t *time_targets[] = {&filter.added_from_ms, &filter.added_to_ms};
    for (int i = 0; i < 2; i++) {
        if ((value = cm_http_query(request, time_names[i])) && *value && parse_time(value, time_targets[i]) != 0) {
            char message[160];
            snprintf(message, sizeof message,
                     "%s must be an RFC 3339 date-time (2026-12-01T22:00:00Z) or milliseconds since 1970.",
                     time_names[i]);
            cm_http_reply_error(request, 400, "INVALID_REQUEST_DATA", message, time_names[i]);
            return;
        }
    }
    int64_t number;
    if ((value = cm_http_query(request, "limit")) && *value) {
        if ((number = parse_count(value, PAGE_MAX)) < 1) {
            cm_http_reply_error(request, 400, "INVALID_REQUEST_DATA", "limit must be an integer from 1 to 500.", "limit");
            return;
        }
        filter.limit = (size_t)number;
    }
    if ((value = cm_http_query(request, "offset")) && *value) {
        if ((number = parse_count(value, OFFSET_MAX)) < 0) {
            cm_http_reply_error(request, 400, "INVALID_REQUEST_DATA", "offset must be an integer from 0 to 1000000.",
                                "offset");
            return;
        }
        filter.offset = (size_t)number;
    }
    size_t page = filter.limit;
    filter.limit = page + 1; /* one more tells whether a next page exists */
    q_job *jobs = NULL;
    size_t count = 0;
    cm_err rc = q_store_admin_jobs(admin->store, &filter, &jobs, &count);
    if (rc) {
        reply_store_error(request, rc);
        return;
    }
    json_object *list = json_object_new_array();
    for (size_t i = 0; i < count; i++) {
        if (i < page)
            json_object_array_add(list, job_json(&jobs[i]));
        q_job_clear(&jobs[i]);
    }
    free(jobs);
    json_object *body = json_object_new_object();
    json_object_object_add(body, "jobs", list);
    json_object_object_add(body, "limit", json_object_new_int64((int64_t)page));
    json_object_object_add(body, "offset", json_object_new_int64((int64_t)filter.offset));
    json_object_object_add(body, "hasMore", json_object_new_boolean(count > page));
    cm_http_reply_json(request, 200, body);
}

/* Reads {jobID} of the path; answers 400/404/503 itself and returns -1 when there is no job. */
static int load_job(cm_http_request *request, adm_admin *admin, q_job *job)
{
    int64_t job_id = parse_count(cm_http_param(request, "jobID"), INT64_MAX / 2);
    if (job_id <= 0) {
        cm_http_reply_error(request, 400, "INVALID_REQUEST_DATA", "jobID must be a positive integer.", "jobID");
        return -1;
    }
    q_admin_filter filter = {.status = -1, .job_id = job_id, .limit = 1};
    q_job *jobs = NULL;
    size_t count = 0;
    cm_err rc = q_store_admin_jobs(admin->store, &filter, &jobs, &count);
    if (rc) {
        reply_store_error(request, rc);
        return -1;
    }
    if (count == 0) {
        free(jobs);
        cm_http_reply_error(request, 404, "ITEM_NOT_FOUND", "Job Not Found", "jobID");
        return -1;
    }
    *job = jobs[0];
    free(jobs);
    return 0;
}

static void add_refusal(const q_item_failure *failure, void *data)
{
    json_object *entry = json_object_new_object();
    json_object_object_add(entry, "itemIndex", json_object_new_int64(failure->item_index));
    json_object_object_add(entry, "sku", failure->sku ? json_object_new_string(failure->sku) : NULL);
    json_object_object_add(entry, "errorCode", json_object_new_string(failure->error_code ? failure->error_code : ""));
    json_object_object_add(entry, "message", json_object_new_string(failure->message ? failure->message : ""));
    json_object_array_add(data, entry);
}

void adm_route_job(cm_http_request *request, void *data)
{
    adm_admin *admin = data;
    q_job job;
    if (load_job(request, admin, &job) != 0)
        return;
    json_object *refusals = json_object_new_array();
    cm_err rc = q_store_each_failure(admin->store, job.job_id, Q_MAX_REPORTED_FAILURES, add_refusal, refusals);
    json_object *body = json_object_new_object();
    json_object_object_add(body, "job", job_json(&job));
    json_object_object_add(body, "refusals", refusals);
    json_object_object_add(body, "refusalsShown", json_object_new_int64((int64_t)json_object_array_length(refusals)));
    json_object_object_add(body, "refusalsComplete", json_object_new_boolean(rc == CM_OK));
    q_job_clear(&job);
    cm_http_reply_json(request, 200, body);
}

void adm_route_cancel(cm_http_request *request, void *data)
{
    adm_admin *admin = data;
    q_job job;
    if (load_job(request, admin, &job) != 0)
        return;
    int64_t job_id = job.job_id, tenant_id = job.tenant_id;
    q_job_type type = job.type;
    q_job_clear(&job);
    cm_err rc = q_store_cancel(admin->store, job_id, cm_now_ms(), CANCEL_MESSAGE);
    if (rc == CM_ESTATE) {
        cm_http_reply_error(request, 409, "CONFLICT",
                            "Only a pending job can be cancelled; this one has started or finished.", "jobID");
        return;
    }
    if (rc == CM_ENOTFOUND) {
        cm_http_reply_error(request, 404, "ITEM_NOT_FOUND", "Job Not Found", "jobID");
        return;
    }
    if (rc) {
        reply_store_error(request, rc);
        return;
    }
    cm_log_warn("admin.job_cancelled", "job=%" PRId64 " tenant=%" PRId64, job_id, tenant_id);
    q_metrics_job_finished(tenant_id, q_job_type_name(type), Q_FAILED);
    if (load_job(request, admin, &job) != 0)
        return;
    json_object *body = json_object_new_object();
    json_object_object_add(body, "job", job_json(&job));
    q_job_clear(&job);
    cm_http_reply_json(request, 200, body);
}

/* Accepts the failed job's stored items again as a new job of the same tenant and location; the
 * failed job stays as it was, so what the integration was told remains true. */
void adm_route_retry(cm_http_request *request, void *data)
{
    adm_admin *admin = data;
    q_job job;
    if (load_job(request, admin, &job) != 0)
        return;
    if (job.status != Q_FAILED) {
        q_job_clear(&job);
        cm_http_reply_error(request, 409, "CONFLICT", "Only a failed job can be retried.", "jobID");
        return;
    }
    size_t chunk_count = (size_t)job.chunks_total;
    char **payloads = calloc(chunk_count, sizeof *payloads);
    size_t *lengths = calloc(chunk_count, sizeof *lengths);
    cm_err rc = payloads && lengths ? CM_OK : CM_ENOMEM;
    for (size_t c = 0; !rc && c < chunk_count; c++)
        rc = q_store_load_chunk(admin->store, job.job_id, (int64_t)c, &payloads[c], &lengths[c]);
    int64_t new_id = 0;
    if (rc == CM_ENOTFOUND) {
        cm_http_reply_error(request, 409, "CONFLICT",
                            "The items of this job are no longer kept, so it cannot be retried.", "jobID");
        goto out;
    }
    if (!rc) {
        char note[96];
        snprintf(note, sizeof note, "[\"Retry of job %" PRId64 ", started by an operator.\"]", job.job_id);
        q_new_job retry = {
            .type = job.type, /* an adjust retried is an adjust: it reads on-hand again */
            .tenant_id = job.tenant_id,
            .location_name = job.location_name,
            .oci_location = job.oci_location,
            .organization_id = job.organization_id,
            .accepted_ms = cm_now_ms(),
            .item_count = job.item_count,
            .chunk_size = job.chunk_size,
            .chunk_payloads = (const char *const *)payloads,
            .chunk_lengths = lengths,
            .chunk_count = chunk_count,
            .messages_json = note,
        };
        rc = q_store_accept(admin->store, &retry, &new_id);
    }
    if (rc) {
        reply_store_error(request, rc);
        goto out;
    }
    cm_log_warn("admin.job_retried", "job=%" PRId64 " tenant=%" PRId64 " retry_job=%" PRId64, job.job_id,
                job.tenant_id, new_id);
    q_metrics_job_accepted(job.tenant_id, q_job_type_name(job.type));
    if (admin->pool)
        q_pool_notify(admin->pool);
    q_admin_filter filter = {.status = -1, .job_id = new_id, .limit = 1};
    q_job *jobs = NULL;
    size_t count = 0;
    json_object *body = json_object_new_object();
    json_object_object_add(body, "retryOf", json_object_new_int64(job.job_id));
    if (q_store_admin_jobs(admin->store, &filter, &jobs, &count) == CM_OK && count == 1)
        json_object_object_add(body, "job", job_json(&jobs[0]));
    else
        json_object_object_add(body, "jobID", json_object_new_int64(new_id));
    for (size_t i = 0; i < count; i++)
        q_job_clear(&jobs[i]);
    free(jobs);
    cm_http_reply_json(request, 200, body);
out:
    for (size_t c = 0; payloads && c < chunk_count; c++)
        free(payloads[c]);
    free(payloads);
    free(lengths);
    q_job_clear(&job);
}
