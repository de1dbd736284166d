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

/* Parses, validates and stores one refresh, then answers. */
static void accept_refresh(cm_http_request *request, gw_gateway *gateway, const cm_tenant *tenant, const char *body,
                           size_t length, int smart)
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

int gw_store_job(cm_http_request *request, gw_gateway *gateway, const cm_tenant *tenant, q_job_type type,
                 gw_refresh *validated, int64_t *job_id_out)
{
    gw_refresh refresh = *validated; /* taken over: cleared here */
    memset(validated, 0, sizeof *validated);
    /* The queue cuts the records into chunks of queue.chunkSize (queue/chunking.h). */
    /* The messages are already the text the store keeps (queue/messages.h). */
    const char *messages = q_messages_empty(&refresh.messages) ? NULL : refresh.messages.data;
    q_new_job job = {
        .type = type,
        .tenant_id = tenant->id,
        .location_name = refresh.location_name,
        .oci_location = refresh.oci_location,
        .organization_id = tenant->organization_id,
        .accepted_ms = cm_now_ms(),
        .item_count = (int64_t)refresh.item_count,
        .chunk_size = gateway->config->queue.chunk_size,
        .items = refresh.items_text.data,
        .item_ends = refresh.item_ends,
        .messages_json = messages,
    };
    int64_t job_id = 0;
    cm_err rc = q_store_accept(gateway->store, &job, &job_id);
    size_t item_count = refresh.item_count;
    gw_refresh_clear(&refresh);

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
    cm_log_info("job.accepted", "job=%" PRId64 " tenant=%" PRId64 " type=%s items=%zu", job_id, tenant->id,
                q_job_type_name(type), item_count);
    q_metrics_job_accepted(tenant->id, q_job_type_name(type));
    q_pool_notify(gateway->pool);
    *job_id_out = job_id;
    return 0;
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
    accept_refresh(request, gateway, tenant, body, length, smart);
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
