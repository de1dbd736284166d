/*
 * route_refresh.c - POST …/v5/inventory/refresh: validate everything, store durably, answer the jobID.
 */
#include "common/clock.h"
#include "common/json_util.h"
#include "common/log.h"
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

/* Cuts the normalized items into chunk payloads (JSON arrays), one cm_body each. */
static int build_chunks(const gw_refresh *refresh, int64_t chunk_size, cm_body *chunks, const char **texts,
                        size_t *lengths, size_t chunk_count)
{
    for (size_t c = 0; c < chunk_count; c++) {
        size_t first = c * (size_t)chunk_size;
        size_t count = refresh->item_count - first < (size_t)chunk_size ? refresh->item_count - first
                                                                         : (size_t)chunk_size;
        cm_body_init(&chunks[c], GW_MAX_NORMALIZED_BYTES + 2);
        if (gw_refresh_chunk_text(refresh, first, count, &chunks[c]) != CM_OK)
            return -1;
        texts[c] = chunks[c].data;
        lengths[c] = chunks[c].length;
    }
    return 0;
}

/* Parses, validates and stores one refresh, then answers. */
static void accept_refresh(cm_http_request *request, gw_gateway *gateway, const cm_tenant *tenant, const char *body,
                           size_t length, int smart)
{
    char parse_error[CM_JSON_ERROR_MAX];
    gw_problems *problems = malloc(sizeof *problems);
    gw_refresh refresh;
    int valid = problems ? gw_validate_refresh_text(body, length, tenant, &refresh, problems, parse_error) : -2;
    if (valid == -3) {
        free(problems);
        cm_http_reply_error(request, 400, "INVALID_REQUEST_DATA", parse_error, "(body)");
        return;
    }
    if (valid == -1) {
        gw_reply_problems(request, problems);
        free(problems);
        return;
    }
    free(problems);
    if (valid == -2) {
        cm_http_reply_error(request, 503, "SYSTEM_MAINTENANCE", "The gateway is short of memory; retry.", NULL);
        return;
    }

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
    int64_t chunk_size = gateway->config->queue.chunk_size;
    size_t chunk_count = (size_t)q_chunk_count((int64_t)refresh.item_count, chunk_size);
    cm_body *chunks = calloc(chunk_count, sizeof *chunks);
    const char **texts = calloc(chunk_count, sizeof *texts);
    size_t *lengths = calloc(chunk_count, sizeof *lengths);
    int64_t job_id = 0;
    cm_err rc = CM_ENOMEM;
    if (chunks && texts && lengths && build_chunks(&refresh, chunk_size, chunks, texts, lengths, chunk_count) == 0) {
        const char *messages = json_object_array_length(refresh.messages)
                                   ? json_object_to_json_string_ext(refresh.messages, JSON_C_TO_STRING_PLAIN)
                                   : NULL;
        q_new_job job = {
            .type = type,
            .tenant_id = tenant->id,
            .location_name = refresh.location_name,
            .oci_location = refresh.oci_location,
            .organization_id = tenant->organization_id,
            .accepted_ms = cm_now_ms(),
            .item_count = (int64_t)refresh.item_count,
            .chunk_size = chunk_size,
            .chunk_payloads = texts,
            .chunk_lengths = lengths,
            .chunk_count = chunk_count,
            .messages_json = messages,
        };
        rc = q_store_accept(gateway->store, &job, &job_id);
    }
    for (size_t c = 0; chunks && c < chunk_count; c++)
        cm_body_free(&chunks[c]);
    free(chunks);
    free(texts);
    free(lengths);
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
