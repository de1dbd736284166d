#include "gateway/gateway.h"
#include "gateway/errors.h"
#include "gateway/internal.h"
#include "gateway/limits.h"

#include <stdlib.h>
#include <string.h>

static void route_healthz(cm_http_request *request, void *data)
{
    (void)data;
    json_object *body = json_object_new_object();
    json_object_object_add(body, "status", json_object_new_string("ok"));
    cm_http_reply_json(request, 200, body);
}

typedef struct route_template {
    const char *method;
    const char *pattern;
    cm_http_handler handler;
    gw_package package;
    int modern;
} route_template;

static const route_template templates[] = {
    {"GET", "/healthz", route_healthz, GW_PACKAGE_ANY, 0},
    /* Inventory V5 */
    {"POST", "/api/v5/inventory/refresh", gw_route_refresh, GW_PACKAGE_V5, 0},
    {"POST", "/api/v5/inventory/adjust", gw_route_adjust, GW_PACKAGE_V5, 0},
    {"POST", "/api/v5/inventory/sync-adjust", gw_route_sync_adjust, GW_PACKAGE_V5, 0},
    {"POST", "/api/v5/inventory/smart-adjust", gw_route_smart_adjust, GW_PACKAGE_V5, 0},
    {"POST", "/api/v5/inventory/smart-refresh", gw_route_smart_refresh, GW_PACKAGE_V5, 0},
    {"POST", "/api/v5/inventory", gw_route_inquiry, GW_PACKAGE_V5, 0},
    {"POST", "/api/v5/inventory/aggregate", gw_route_aggregate, GW_PACKAGE_V5, 0},
    {"GET", "/api/v1/queue/{jobID}", gw_route_job, GW_PACKAGE_V5, 0},
    {"GET", "/api/v1/queue", gw_route_job_list, GW_PACKAGE_V5, 0},
    /* Inventory Specific */
    {"POST", "/inv/api/v5/inventory/refresh", gw_route_refresh, GW_PACKAGE_INVENTORY_SPECIFIC, 0},
    {"POST", "/inv/api/v5/inventory/adjust", gw_route_adjust, GW_PACKAGE_INVENTORY_SPECIFIC, 0},
    {"POST", "/inv/api/v5/inventory/sync-adjust", gw_route_sync_adjust, GW_PACKAGE_INVENTORY_SPECIFIC, 0},
    {"POST", "/inv/api/v5/inventory/smart-adjust", gw_route_smart_adjust, GW_PACKAGE_INVENTORY_SPECIFIC, 0},
    {"POST", "/inv/api/v5/inventory/smart-refresh", gw_route_smart_refresh, GW_PACKAGE_INVENTORY_SPECIFIC, 0},
    {"POST", "/inv/api/v5/inventory", gw_route_inquiry, GW_PACKAGE_INVENTORY_SPECIFIC, 0},
    {"POST", "/inv/api/v5/inventory/aggregate", gw_route_aggregate, GW_PACKAGE_INVENTORY_SPECIFIC, 0},
    {"GET", "/inv/api/v1/queue/{jobID}", gw_route_job, GW_PACKAGE_INVENTORY_SPECIFIC, 0},
    {"GET", "/inv/api/v1/queue", gw_route_job_list, GW_PACKAGE_INVENTORY_SPECIFIC, 0},
    /* Modern paths, as Kibo's SDKs call them */
    {"POST", "/api/commerce/inventory/v5/inventory/refresh", gw_route_refresh, GW_PACKAGE_ANY, 1},
    {"POST", "/api/commerce/inventory/v5/inventory/adjust", gw_route_adjust, GW_PACKAGE_ANY, 1},
    {"POST", "/api/commerce/inventory/v5/inventory/sync-adjust", gw_route_sync_adjust, GW_PACKAGE_ANY, 1},
    {"POST", "/api/commerce/inventory/v5/inventory/smart-adjust", gw_route_smart_adjust, GW_PACKAGE_ANY, 1},
    {"POST", "/api/commerce/inventory/v5/inventory/smart-refresh", gw_route_smart_refresh, GW_PACKAGE_ANY, 1},
    {"POST", "/api/commerce/inventory/v5/inventory", gw_route_inquiry, GW_PACKAGE_ANY, 1},
    {"POST", "/api/commerce/inventory/v5/inventory/aggregate", gw_route_aggregate, GW_PACKAGE_ANY, 1},
    {"GET", "/api/commerce/inventory/v1/queue/{jobID}", gw_route_job, GW_PACKAGE_ANY, 1},
    {"GET", "/api/commerce/inventory/v1/queue", gw_route_job_list, GW_PACKAGE_ANY, 1},
};

cm_err gw_open(const gw_options *options, gw_gateway **out)
{
    *out = NULL;
    gw_gateway *gateway = calloc(1, sizeof *gateway);
    if (!gateway)
        return CM_ENOMEM;
    gateway->config = options->config;
    gateway->store = options->store;
    gateway->pool = options->pool;
    gateway->delivery = options->delivery;
    gateway->limiter = gw_rate_limiter_new(options->config);
    if (!gateway->limiter || sem_init(&gateway->large_refreshes, 0, GW_MAX_CONCURRENT_LARGE_REFRESHES) != 0) {
        gw_rate_limiter_free(gateway->limiter);
        free(gateway);
        return CM_ENOMEM;
    }
    size_t count = sizeof templates / sizeof templates[0];
    for (size_t i = 0; i < count && i < GW_ROUTE_COUNT; i++) {
        gateway->route_data[i] = (gw_route_data){gateway, templates[i].package, templates[i].modern};
        gateway->routes[i] = (cm_http_route){
            .match = {templates[i].method, templates[i].pattern},
            .handler = templates[i].handler,
            .data = &gateway->route_data[i],
        };
    }
    gateway->route_count = count;
    *out = gateway;
    return CM_OK;
}

void gw_http_config(gw_gateway *gateway, cm_http_server_config *server_config)
{
    server_config->name = "gateway";
    server_config->routes = gateway->routes;
    server_config->route_count = gateway->route_count;
    server_config->error_writer = gw_error_writer;
    server_config->error_data = gateway;
    server_config->before = gw_before_request;
    server_config->before_data = gateway;
}

void gw_close(gw_gateway *gateway)
{
    if (!gateway)
        return;
    gw_rate_limiter_free(gateway->limiter);
    sem_destroy(&gateway->large_refreshes);
    free(gateway);
}
