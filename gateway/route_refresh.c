/*
 * route_refresh.c - POST …/v5/inventory/refresh: validate everything, store durably, answer the jobID.
 */
#include "common/clock.h"
#include "common/json_util.h"
#include "common/log.h"
#include "queue/messages.h"
#include "queue/queue_metrics.h"
#include "gateway/errors.h"
#include "gateway/internal.h"
#include "gateway/validate.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* application/json, in any case, with any parameters ("; charset=utf-8"). */
int gw_is_json_content_type(const char *value)
{
    if (!value)
        return 0;
    while (*value == ' ')
        value++;
    size_t length = strlen("application/json");
    if (strncasecmp(value, "application/json", length) != 0)
        return 0;
    char next = value[length];
    return next == '\0' || next == ';' || next == ' ';
}

/* The job a validated request is stored as; it points into `refresh`. */
static q_new_job job_of(const gw_gateway *gateway, const cm_tenant *tenant, q_job_type type, const gw_refresh *refresh)
{
    /* The queue cuts the records into chunks of queue.chunkSize (queue/chunking.h). */
    /* The messages are already the text the store keeps (queue/messages.h). */
    const char *messages = q_messages_empty(&refresh->messages) ? NULL : refresh->messages.data;
    q_new_job job = {
        .type = type,
        .tenant_id = tenant->id,
        .location_name = refresh->location_name,
        .oci_location = refresh->oci_location,
        .organization_id = tenant->organization_id,
        .accepted_ms = cm_now_ms(),
        .item_count = (int64_t)refresh->item_count,
        .chunk_size = gateway->config->queue.chunk_size,
        .items = refresh->items_text.data,
        .item_ends = refresh->item_ends,
        .messages_json = messages,
    };
    return job;
}

/* After the store answered: 0 when the job is stored (logged, counted, the workers woken), else
 * -1 after replying 503. */
static int job_stored(cm_http_request *request, gw_gateway *gateway, int64_t tenant_id, q_job_type type,
                      size_t item_count, cm_err rc, int64_t job_id)
{
    if (rc == CM_EFULL) {
        cm_http_reply_error(request, 503, "SYSTEM_MAINTENANCE",
                            "The gateway's disk is full; the job was not stored. Retry later.", NULL);
        return -1;
    }
    if (rc) {
        cm_http_reply_error(request, 503, "SYSTEM_MAINTENANCE",
                            "The job could not be stored right now; it was not accepted. Retry later.", NULL);
        return -1;
    }
    cm_log_info("job.accepted", "job=%" PRId64 " tenant=%" PRId64 " type=%s items=%zu", job_id, tenant_id,
                q_job_type_name(type), item_count);
    q_metrics_job_accepted(tenant_id, q_job_type_name(type));
    q_pool_notify(gateway->pool);
    return 0;
}

int gw_store_job(cm_http_request *request, gw_gateway *gateway, const cm_tenant *tenant, q_job_type type,
                 gw_refresh *validated, int64_t *job_id_out)
{
    gw_refresh refresh = *validated; /* taken over: cleared here */
    memset(validated, 0, sizeof *validated);
    q_new_job job = job_of(gateway, tenant, type, &refresh);
    int64_t job_id = 0;
    cm_err rc = q_store_accept(gateway->store, &job, &job_id);
    size_t item_count = refresh.item_count;
    gw_refresh_clear(&refresh);
    if (job_stored(request, gateway, tenant->id, type, item_count, rc, job_id) != 0)
        return -1;
    *job_id_out = job_id;
    return 0;
}

/* A refresh whose commit is in flight: the request thread went on (cm_http_defer), and the job
 * and what it points to live here until the store reports the commit. */
typedef struct refresh_in_flight {
    cm_http_request *request;
    gw_gateway *gateway;
    int64_t tenant_id;
    gw_refresh refresh;
    q_new_job job;
    q_accept_ticket ticket;
} refresh_in_flight;

/* On the store's committer thread: the answer, now that the job is durable (or refused). */
static void refresh_committed(void *data, cm_err rc, int64_t job_id)
{
    refresh_in_flight *flight = data;
    size_t item_count = flight->refresh.item_count;
    gw_refresh_clear(&flight->refresh);
    if (job_stored(flight->request, flight->gateway, flight->tenant_id, Q_JOB_REFRESH, item_count, rc, job_id) == 0)
        gw_reply_job_id(flight->request, job_id);
    free(flight);
}

/* Parses, validates and stores one refresh, then answers. With `may_defer`, the request thread
 * does not wait for the commit: many small refreshes then share one (queue/accept_batch.h). */
static void accept_refresh(cm_http_request *request, gw_gateway *gateway, const cm_tenant *tenant, const char *body,
                           size_t length, int smart, int may_defer)
{
    char parse_error[CM_JSON_ERROR_MAX];
    gw_problems *problems = malloc(sizeof *problems);
    gw_refresh refresh;
    cm_err valid = problems ? gw_validate_refresh_text(body, length, tenant, &refresh, problems, parse_error)
                            : CM_ENOMEM;
    int refused = gw_reply_invalid(request, valid, problems, parse_error);
    free(problems);
    if (refused)
        return;

    refresh_in_flight *flight = may_defer && !smart ? malloc(sizeof *flight) : NULL;
    if (flight && cm_http_defer(request) == 0) {
        flight->request = request;
        flight->gateway = gateway;
        flight->tenant_id = tenant->id;
        flight->refresh = refresh;
        flight->job = job_of(gateway, tenant, Q_JOB_REFRESH, &flight->refresh);
        q_store_accept_async(gateway->store, &flight->job, &flight->ticket, refresh_committed, flight);
        return;
    }
    free(flight); /* not deferred (the server is stopping, or no memory): stored on this thread */
    int64_t job_id = 0;
    size_t item_count = refresh.item_count;
    if (gw_store_job(request, gateway, tenant, Q_JOB_REFRESH, &refresh, &job_id) != 0)
        return;
    if (smart) {
        gw_reply_smart(request, gateway, tenant, job_id, item_count);
        return;
    }
    gw_reply_job_id(request, job_id);
}

static void route_refresh(cm_http_request *request, void *data, int smart)
{
    gw_route_data *route = data;
    gw_gateway *gateway = route->gateway;
    const cm_tenant *tenant = gw_authenticate(request, gateway->config, route->package, gateway->limiter);
    if (!tenant)
        return;
    if (!gw_is_json_content_type(cm_http_header(request, "Content-Type"))) {
        cm_http_reply_error(request, 415, "UNSUPPORTED_MEDIA_TYPE",
                            "The body must be sent as Content-Type: application/json.", "Content-Type");
        return;
    }
    size_t length = 0;
    const char *body = cm_http_body(request, &length);
    int large = length >= GW_LARGE_REFRESH_BYTES;
    if (large)
        while (sem_wait(&gateway->large_refreshes) != 0) {
        }
    /* A large refresh keeps its request thread until it is stored: the semaphore bounds the
     * memory of those in flight, and it fills a commit alone anyway. */
    accept_refresh(request, gateway, tenant, body, length, smart, !large);
    if (large)
        sem_post(&gateway->large_refreshes);
}

void gw_route_refresh(cm_http_request *request, void *data)
{
    route_refresh(request, data, 0);
}

/* Like refresh; small requests wait for their job and answer "sync" (route_adjust.c). */
void gw_route_smart_refresh(cm_http_request *request, void *data)
{
    route_refresh(request, data, 1);
}
