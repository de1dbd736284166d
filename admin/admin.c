/*
 * admin.c - the admin listener's route table, its error shape and its lifetime.
 */
#include "admin/internal.h"
#include "common/json_util.h"

#include <stdlib.h>
#include <string.h>

#define LOGIN_BODY_LIMIT 4096
#define API_BODY_LIMIT 65536

static void route_healthz(cm_http_request *request, void *data)
{
    (void)data;
    json_object *body = json_object_new_object();
    json_object_object_add(body, "status", json_object_new_string("ok"));
    cm_http_reply_json(request, 200, body);
}

/* The route table: `data` is filled in adm_open (every handler gets the admin). */
static cm_http_route routes_template[] = {
    {{"GET", "/healthz"}, route_healthz, NULL, 0, 0},
    {{"GET", "/login"}, adm_route_login_form, NULL, 0, 0},
    {{"POST", "/login"}, adm_route_login, NULL, LOGIN_BODY_LIMIT, 0},
    {{"POST", "/logout"}, adm_route_logout, NULL, LOGIN_BODY_LIMIT, 0},
    {{"GET", "/metrics"}, adm_route_metrics, NULL, 0, 0},
    {{"GET", "/api/tenants"}, adm_route_tenants, NULL, 0, 0},
    {{"GET", "/api/jobs"}, adm_route_jobs, NULL, 0, 0},
    {{"GET", "/api/jobs/{jobID}"}, adm_route_job, NULL, 0, 0},
    {{"POST", "/api/jobs/{jobID}/cancel"}, adm_route_cancel, NULL, API_BODY_LIMIT, 0},
    {{"POST", "/api/jobs/{jobID}/retry"}, adm_route_retry, NULL, API_BODY_LIMIT, 0},
    {{"POST", "/api/compare"}, adm_route_compare_start, NULL, 0, 1},
    {{"GET", "/api/compare/{id}"}, adm_route_compare_get, NULL, 0, 0},
    {{"GET", "/api/core/organizations"}, adm_route_core_organizations, NULL, 0, 0},
    {{"GET", "/api/core/graph"}, adm_route_core_graph, NULL, 0, 0},
    {{"GET", "/api/core/availability"}, adm_route_core_availability, NULL, 0, 0},
    {{"GET", "/"}, adm_route_asset, NULL, 0, 0},
    {{"GET", "/console.js"}, adm_route_asset, NULL, 0, 0},
    {{"GET", "/console.css"}, adm_route_asset, NULL, 0, 0},
};

#define ROUTE_COUNT (sizeof routes_template / sizeof routes_template[0])

typedef struct adm_with_routes {
    adm_admin admin;
    cm_http_route routes[ROUTE_COUNT];
} adm_with_routes;

static void write_error(cm_http_request *request, int status, const char *code, const char *message,
                        const char *field, void *data)
{
    (void)data;
    json_object *body = json_object_new_object();
    if (!body)
        return; /* the server's fallback body says why */
    json_object_object_add(body, "error", json_object_new_string(cm_http_reason(status)));
    json_object_object_add(body, "message", json_object_new_string(message ? message : ""));
    json_object_object_add(body, "errorCode", json_object_new_string(code ? code : "ERROR"));
    json_object_object_add(body, "field", field ? json_object_new_string(field) : NULL);
    cm_http_add_header(request, "Cache-Control", "no-store");
    cm_http_reply_json(request, status, body);
}

cm_err adm_open(const adm_options *options, adm_admin **out)
{
    *out = NULL;
    adm_with_routes *whole = calloc(1, sizeof *whole);
    if (!whole)
        return CM_ENOMEM;
    adm_admin *admin = &whole->admin;
    admin->config = options->config;
    admin->store = options->store;
    admin->pool = options->pool;
    admin->core = options->core;
    admin->gateway_port = options->gateway_port;
    admin->oci_port = options->oci_port;
    admin->temp_dir = options->temp_dir;
    pthread_mutex_init(&admin->compares_lock, NULL);
    admin->tls = options->tls;
    pthread_mutex_init(&admin->sessions_lock, NULL);
    memcpy(whole->routes, routes_template, sizeof routes_template);
    for (size_t i = 0; i < ROUTE_COUNT; i++)
        whole->routes[i].data = admin;
    adm_metrics_start(admin);
    *out = admin;
    return CM_OK;
}

void adm_http_config(adm_admin *admin, cm_http_server_config *server_config)
{
    adm_with_routes *whole = (adm_with_routes *)admin;
    server_config->routes = whole->routes;
    server_config->route_count = ROUTE_COUNT;
    server_config->error_writer = write_error;
    server_config->error_data = admin;
    server_config->before = adm_auth_before;
    server_config->before_data = admin;
    server_config->temp_dir = admin->temp_dir;
}

void adm_close(adm_admin *admin)
{
    if (!admin)
        return;
    adm_metrics_stop(admin);
    adm_compares_stop(admin);
    pthread_mutex_destroy(&admin->compares_lock);
    pthread_mutex_destroy(&admin->sessions_lock);
    free((adm_with_routes *)admin);
}
