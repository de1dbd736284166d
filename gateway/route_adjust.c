/*
 * route_adjust.c - POST …/v5/inventory/adjust, sync-adjust and smart-adjust, and the smart answer
 * smart-refresh shares.
 *
 * Every variant stores the request as an ADJUST job first (durably, in the tenant's order behind
 * any queued refresh or adjust), so synchronous work never overtakes a queued job of the same
 * tenant: the synchronous variants only wait (bounded by GW_SYNC_WAIT_MS) for their job to be
 * run by the workers in its turn, then answer. A job still running when the wait ends is not
 * lost: the answer carries its jobID to follow (smart: "method": "async"; sync-adjust: 202).
 */
#include "common/log.h"
#include "gateway/errors.h"
#include "gateway/inquiry.h"
#include "gateway/internal.h"
#include "gateway/validate_adjust.h"
#include "translate/item.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum adjust_mode { ADJUST_ASYNC, ADJUST_SYNC, ADJUST_SMART } adjust_mode;

/* The distinct items of an adjust, for the rows sync-adjust answers (one per OCI sku). */
typedef struct adjusted_items {
    json_object *normalized; /* owned: the normalized items the strings point into */
    gw_inquiry_item *items;
    size_t count;
    char location_name[GW_MAX_LOCATION_NAME + 1];
    char location_code[Q_OCI_ID_MAX + 1];
} adjusted_items;

static int collect_items(const gw_refresh *refresh, const cm_tenant *tenant, adjusted_items *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->location_name, sizeof out->location_name, "%s", refresh->location_name);
    snprintf(out->location_code, sizeof out->location_code, "%s", refresh->oci_location);
    out->normalized = gw_refresh_items_json(refresh);
    size_t total = out->normalized ? json_object_array_length(out->normalized) : 0;
    out->items = calloc(total ? total : 1, sizeof *out->items);
    if (!out->normalized || !out->items)
        return -1;
    for (size_t i = 0; i < total; i++) {
        tr_legacy_item legacy;
        if (tr_legacy_item_from_json(json_object_array_get_idx(out->normalized, i), &legacy) != 0)
            continue;
        const char *sku = tr_choose_sku(&legacy, tenant->sku_from, tenant->sku_from_count);
        int seen = 0;
        for (size_t j = 0; j < out->count && !seen; j++)
            seen = strcmp(out->items[j].sku, sku) == 0;
        if (!sku || seen)
            continue;
        out->items[out->count++] = (gw_inquiry_item){sku, legacy.sku, legacy.part_number, legacy.upc, 0};
    }
    return 0;
}

static void free_items(adjusted_items *items)
{
    json_object_put(items->normalized);
    free(items->items);
}

void gw_reply_smart(cm_http_request *request, gw_gateway *gateway, const cm_tenant *tenant, int64_t job_id,
                    size_t item_count)
{
    json_object *reply = json_object_new_object();
    q_job job;
    int waited = item_count <= GW_SMART_SYNC_MAX_ITEMS ? gw_wait_job(gateway, tenant->id, job_id, GW_SYNC_WAIT_MS, &job)
                                                       : 1;
    json_object_object_add(reply, "method", json_object_new_string(waited == 0 ? "sync" : "async"));
    json_object_object_add(reply, "jobID", json_object_new_int64(job_id));
    if (waited == 0) {
        json_object_object_add(reply, "status", json_object_new_string(q_status_name(job.status)));
        q_job_clear(&job);
    }
    cm_http_reply_json(request, 200, reply);
}

static void reply_sync_rows(cm_http_request *request, gw_gateway *gateway, const cm_tenant *tenant, int64_t job_id,
                            const adjusted_items *items)
{
    q_job job;
    int waited = gw_wait_job(gateway, tenant->id, job_id, GW_SYNC_WAIT_MS, &job);
    if (waited != 0) {
        json_object *reply = json_object_new_object();
        json_object_object_add(reply, "method", json_object_new_string("async"));
        json_object_object_add(reply, "jobID", json_object_new_int64(job_id));
        json_object_object_add(reply, "message",
                               json_object_new_string(waited < 0 ? "The job store could not be read; the job is "
                                                                   "stored and runs in its turn: follow its jobID."
                                                                 : "The adjust is queued behind earlier jobs of this "
                                                                   "tenant and still running: follow its jobID."));
        cm_http_reply_json(request, 202, reply);
        return;
    }
    if (job.status == Q_FAILED) {
        char message[512];
        snprintf(message, sizeof message, "The adjust (jobID %" PRId64 ") failed: %.400s", job_id, job.messages_json);
        q_job_clear(&job);
        cm_http_reply_error(request, 502, "OCI_ERROR", message, NULL);
        return;
    }
    q_job_clear(&job);
    gw_inquiry_location location = {items->location_name, items->location_code};
    gw_inquiry inquiry = {
        .type = GW_INQUIRY_ALL, /* requested quantities 0: every row is shown */
        .items = items->items,
        .item_count = items->count,
        .locations = &location,
        .location_count = 1,
        .priority_count = 1,
        .tenant_id = tenant->id,
    };
    gw_answer_rows(request, gateway, tenant, &inquiry, 0);
}

static void route_adjust(cm_http_request *request, void *data, adjust_mode mode)
{
    gw_route_data *route = data;
    gw_gateway *gateway = route->gateway;
    const char *body = NULL;
    size_t length = 0;
    int large = 0;
    const cm_tenant *tenant = gw_json_request(request, route, &body, &length, &large);
    if (!tenant)
        return;
    gw_problems *problems = malloc(sizeof *problems);
    char parse_error[CM_JSON_ERROR_MAX];
    gw_refresh adjust;
    cm_err valid = problems ? gw_validate_adjust_text(body, length, tenant, &adjust, problems, parse_error) : CM_ENOMEM;
    gw_json_request_end(gateway, large);
    int refused = gw_reply_invalid(request, valid, problems, parse_error);
    free(problems);
    if (refused)
        return;
    adjusted_items items;
    if (mode == ADJUST_SYNC && collect_items(&adjust, tenant, &items) != 0) {
        free_items(&items);
        gw_refresh_clear(&adjust);
        cm_http_reply_error(request, 503, "SYSTEM_MAINTENANCE", "The gateway is short of memory; retry.", NULL);
        return;
    }
    size_t item_count = adjust.item_count;
    int64_t job_id = 0;
    if (gw_store_job(request, gateway, tenant, Q_JOB_ADJUST, &adjust, &job_id) != 0) {
        if (mode == ADJUST_SYNC)
            free_items(&items);
        return;
    }
    if (mode == ADJUST_ASYNC) {
        json_object *reply = json_object_new_object();
        json_object_object_add(reply, "jobID", json_object_new_int64(job_id));
        cm_http_reply_json(request, 200, reply);
    } else if (mode == ADJUST_SMART) {
        gw_reply_smart(request, gateway, tenant, job_id, item_count);
    } else {
        reply_sync_rows(request, gateway, tenant, job_id, &items);
        free_items(&items);
    }
}

void gw_route_adjust(cm_http_request *request, void *data)
{
    route_adjust(request, data, ADJUST_ASYNC);
}

void gw_route_sync_adjust(cm_http_request *request, void *data)
{
    route_adjust(request, data, ADJUST_SYNC);
}

void gw_route_smart_adjust(cm_http_request *request, void *data)
{
    route_adjust(request, data, ADJUST_SMART);
}
