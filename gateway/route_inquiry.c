/*
 * route_inquiry.c - POST …/v5/inventory (inquiry) and …/v5/inventory/aggregate: synchronous reads of
 * OCI through the delivery (bundled core or HTTP), answered in the legacy row shape (inquiry.h).
 */
#include "common/json_util.h"
#include "common/log.h"
#include "gateway/errors.h"
#include "gateway/inquiry.h"
#include "gateway/internal.h"
#include "gateway/validate_inquiry.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct extras_lookup {
    gw_gateway *gateway;
    int64_t tenant_id;
} extras_lookup;

/* The legacy fields the last refresh kept for (location, sku), as an object (NULL: none). */
static json_object *stored_extras(void *data, const char *location_code, const char *sku)
{
    extras_lookup *lookup = data;
    char *text = NULL;
    if (q_store_get_extras(lookup->gateway->store, lookup->tenant_id, location_code, sku, &text) != CM_OK)
        return NULL;
    json_object *extras = NULL;
    char parse_error[CM_JSON_ERROR_MAX];
    if (cm_json_parse(text, strlen(text), GW_JSON_MAX_DEPTH, &extras, parse_error) != CM_OK ||
        !json_object_is_type(extras, json_type_object)) {
        json_object_put(extras);
        extras = NULL;
    }
    free(text);
    return extras;
}

int gw_answer_rows(cm_http_request *request, gw_gateway *gateway, const cm_tenant *tenant, const gw_inquiry *inquiry,
                   int aggregate)
{
    if (!gateway->delivery || !gateway->delivery->read) {
        cm_http_reply_error(request, 503, "SYSTEM_MAINTENANCE", "No OCI is configured to read availability from.",
                            NULL);
        return -1;
    }
    size_t cells = inquiry->item_count * inquiry->location_count;
    q_availability *matrix = calloc(cells ? cells : 1, sizeof *matrix);
    if (!matrix) {
        cm_http_reply_error(request, 503, "SYSTEM_MAINTENANCE", "The gateway is short of memory; retry.", NULL);
        return -1;
    }
    size_t calls = 0;
    char message[Q_DELIVERY_MESSAGE_MAX];
    q_delivery_status status =
        gw_inquiry_read(gateway->delivery, tenant->organization_id, inquiry, matrix, &calls, message);
    if (status != Q_DELIVERY_OK) {
        free(matrix);
        char text[Q_DELIVERY_MESSAGE_MAX + 64];
        snprintf(text, sizeof text, "OCI could not be read: %s", message);
        cm_log_warn("inquiry.read_failed", "tenant=%" PRId64 " %s", tenant->id, message);
        /* A read that may pass is 503 (retry later); one OCI refused is 502. */
        cm_http_reply_error(request, status == Q_DELIVERY_RETRY ? 503 : 502,
                            status == Q_DELIVERY_RETRY ? "SYSTEM_MAINTENANCE" : "OCI_ERROR", text, NULL);
        return -1;
    }
    extras_lookup lookup = {gateway, tenant->id};
    json_object *rows = aggregate ? gw_aggregate_rows(inquiry, matrix, stored_extras, &lookup)
                                  : gw_inquiry_rows(inquiry, matrix, stored_extras, &lookup);
    free(matrix);
    cm_log_info("inquiry.answered", "tenant=%" PRId64 " items=%zu locations=%zu oci_calls=%zu rows=%zu", tenant->id,
                inquiry->item_count, inquiry->location_count, calls, json_object_array_length(rows));
    cm_http_reply_json(request, 200, rows);
    return 0;
}

static void route_read(cm_http_request *request, void *data, int aggregate)
{
    gw_route_data *route = data;
    const char *body = NULL;
    size_t length = 0;
    int large = 0;
    const cm_tenant *tenant = gw_json_request(request, route, &body, &length, &large);
    if (!tenant)
        return;
    gw_problems *problems = malloc(sizeof *problems);
    char parse_error[CM_JSON_ERROR_MAX];
    gw_inquiry_request inquiry;
    cm_err valid = problems ? gw_validate_inquiry_text(body, length, tenant, aggregate, &inquiry, problems, parse_error)
                            : CM_ENOMEM;
    gw_json_request_end(route->gateway, large);
    if (gw_reply_invalid(request, valid, problems, parse_error) == 0) {
        gw_answer_rows(request, route->gateway, tenant, &inquiry.inquiry, aggregate);
        gw_inquiry_request_clear(&inquiry);
    }
    free(problems);
}

void gw_route_inquiry(cm_http_request *request, void *data)
{
    route_read(request, data, 0);
}

void gw_route_aggregate(cm_http_request *request, void *data)
{
    route_read(request, data, 1);
}
