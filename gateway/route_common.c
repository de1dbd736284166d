/*
 * route_common.c - what the body-carrying routes share: the request prelude (tenant, key, content
 * type, the large-body gate), waiting for a job to finish for the synchronous variants, and the
 * plain {"jobID": n} answer.
 */
#include "common/clock.h"
#include "gateway/errors.h"
#include "gateway/internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

const cm_tenant *gw_json_request(cm_http_request *request, gw_route_data *route, const char **body, size_t *length,
                                 int *large)
{
    gw_gateway *gateway = route->gateway;
    const cm_tenant *tenant = gw_authenticate(request, gateway->config, route->package, gateway->limiter);
    if (!tenant)
        return NULL;
    if (!gw_is_json_content_type(cm_http_header(request, "Content-Type"))) {
        cm_http_reply_error(request, 415, "UNSUPPORTED_MEDIA_TYPE",
                            "The body must be sent as Content-Type: application/json.", "Content-Type");
        return NULL;
    }
    *length = 0;
    *body = cm_http_body(request, length);
    /* Large bodies parse into large trees: they take turns with large refreshes (limits.h). */
    *large = *length >= GW_LARGE_REFRESH_BYTES;
    if (*large)
        while (sem_wait(&gateway->large_refreshes) != 0) {
        }
    return tenant;
}

void gw_json_request_end(gw_gateway *gateway, int large)
{
    if (large)
        sem_post(&gateway->large_refreshes);
}

int gw_reply_invalid(cm_http_request *request, cm_err valid, gw_problems *problems, const char *parse_error)
{
    if (valid == CM_OK)
        return 0;
    if (valid == CM_EINVAL && problems && gw_not_json(valid, problems))
        cm_http_reply_error(request, 400, "INVALID_REQUEST_DATA", parse_error, "(body)");
    else if (valid == CM_EINVAL && problems)
        gw_reply_problems(request, problems);
    else
        cm_http_reply_error(request, 503, "SYSTEM_MAINTENANCE", "The gateway is short of memory; retry.", NULL);
    return -1;
}

/* Polling the store (reads never wait for the writer) works whichever instance runs the job. */
#define WAIT_POLL_MS 10

int gw_wait_job(gw_gateway *gateway, int64_t tenant_id, int64_t job_id, int64_t wait_ms, q_job *out)
{
    int64_t deadline = cm_mono_ms() + wait_ms;
    for (;;) {
        memset(out, 0, sizeof *out);
        cm_err rc = q_store_get_job(gateway->store, tenant_id, job_id, out);
        if (rc)
            return -1;
        if (out->status == Q_SUCCESS || out->status == Q_FAILED)
            return 0;
        q_job_clear(out);
        if (cm_mono_ms() >= deadline)
            return 1;
        cm_sleep_ms(WAIT_POLL_MS);
    }
}

void gw_reply_job_id(cm_http_request *request, int64_t job_id)
{
    char text[48];
    int length = snprintf(text, sizeof text, "{\"jobID\":%" PRId64 "}", job_id);
    cm_http_reply_bytes(request, 200, "application/json", text, (size_t)length);
}
