/* core.c - opening, wiring and closing the bundled OCI core (oci_core.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/clock.h"
#include "common/json_util.h"
#include "common/log.h"
#include "common/router.h"
#include "oci_core/apply.h"
#include "oci_core/control.h"
#include "oci_core/fault_rule.h"
#include "oci_core/core_internal.h"
#include "oci_core/errors.h"
#include "oci_core/limits.h"
#include "oci_core/oci_core_testing.h"
#include "oci_core/route_connect.h"
#include "oci_core/route_token.h"
#include "oci_core/token_form.h"

#define AVAIL "/inventory/availability/v1/organizations/{organizationId}"
#define IMPEX "/inventory/impex/v1/organizations/{organizationId}"
#define RESERVE "/inventory/reservation/v1/organizations/{organizationId}"
#define RECORD_PATH AVAIL "/locations/{locationId}/availability-records/skus/{sku}/{requestId}"

static void route_health(cm_http_request *request, void *data)
{
    (void)data;
    cm_http_reply_bytes(request, 200, "application/json", "{\"status\":\"ok\"}", 15);
}

typedef struct route_spec {
    const char *method, *pattern;
    cm_http_handler handler;
    unsigned scope; /* 0: no bearer token needed */
    size_t body_limit;
    int body_to_file;
} route_spec;

static const route_spec ROUTES[] = {
    {"GET", "/healthz", route_health, 0, 0, 0},
    {"POST", "/dwsso/oauth2/access_token", oci_route_token, 0, OCI_TOKEN_FORM_BODY_MAX, 0},
    {"POST", "/services/oauth2/token", oci_route_salesforce_token, 0, OCI_TOKEN_FORM_BODY_MAX, 0},
    {"PUT", "/inventory/internal/v1/organizations/{organizationId}", oci_route_internal_org, OCI_SCOPE_ANY_TOKEN,
     OCI_JSON_BODY_MAX, 0},
    {"POST", AVAIL "/availability-records/actions/get-availability", oci_route_get_availability,
     CM_SCOPE_AVAILABILITY, OCI_JSON_BODY_MAX, 0},
    {"POST", AVAIL "/availability-records/actions/batch-update", oci_route_batch_update,
     CM_SCOPE_AVAILABILITY_RW, OCI_JSON_BODY_MAX, 0},
    {"POST", AVAIL "/availability-records/actions/get-deltas", oci_route_get_deltas, CM_SCOPE_AVAILABILITY,
     OCI_JSON_BODY_MAX, 0},
    {"PUT", RECORD_PATH, oci_route_record_put, CM_SCOPE_AVAILABILITY_RW, OCI_JSON_BODY_MAX, 0},
    {"PATCH", RECORD_PATH, oci_route_record_patch, CM_SCOPE_AVAILABILITY_RW, OCI_JSON_BODY_MAX, 0},
    {"DELETE", RECORD_PATH, oci_route_record_delete, CM_SCOPE_AVAILABILITY_RW, OCI_JSON_BODY_MAX, 0},
    {"POST", IMPEX "/availability-records/imports", oci_route_import_submit, CM_SCOPE_IMPEX_INVENTORY_RW,
     OCI_JSON_BODY_MAX, 0},
    {"GET", IMPEX "/availability-records/imports", oci_route_import_list, CM_SCOPE_IMPEX_INVENTORY_RW, 0, 0},
    {"POST", IMPEX "/availability-records/imports/uploadlink/{uploadLinkId}", oci_route_import_upload,
     CM_SCOPE_IMPEX_INVENTORY_RW, OCI_UPLOAD_MAX_BYTES, 1},
    {"GET", IMPEX "/availability-records/imports/{importId}/status", oci_route_import_status,
     CM_SCOPE_IMPEX_INVENTORY_RW, 0, 0},
    {"GET", IMPEX "/availability-records/imports/{importId}/file-content", oci_route_import_file,
     CM_SCOPE_IMPEX_INVENTORY_RW, 0, 0},
    {"DELETE", IMPEX "/availability-records/imports/{importId}", oci_route_import_delete,
     CM_SCOPE_IMPEX_INVENTORY_RW, 0, 0},
    {"POST", IMPEX "/availability-records/exports", oci_route_export_submit, CM_SCOPE_IMPEX_INVENTORY,
     OCI_JSON_BODY_MAX, 0},
    {"GET", IMPEX "/availability-records/exports/{exportId}/status", oci_route_export_status,
     CM_SCOPE_IMPEX_INVENTORY, 0, 0},
    {"GET", IMPEX "/availability-records/exports/{exportId}/file-content", oci_route_export_file,
     CM_SCOPE_IMPEX_INVENTORY, 0, 0},
    {"DELETE", IMPEX "/availability-records/exports/{exportId}", oci_route_export_delete,
     CM_SCOPE_IMPEX_INVENTORY, 0, 0},
    {"POST", IMPEX "/location-graph/exports", oci_route_graph_export_submit, CM_SCOPE_IMPEX_GRAPHS,
     OCI_JSON_BODY_MAX, 0},
    {"GET", IMPEX "/location-graph/exports/{exportId}/status", oci_route_export_status,
     CM_SCOPE_IMPEX_GRAPHS, 0, 0},
    {"GET", IMPEX "/location-graph/exports/{exportId}/file-content", oci_route_export_file,
     CM_SCOPE_IMPEX_GRAPHS, 0, 0},
    {"DELETE", IMPEX "/location-graph/exports/{exportId}", oci_route_export_delete, CM_SCOPE_IMPEX_GRAPHS, 0,
     0},
    {"POST", IMPEX "/event-log/exports", oci_route_event_log_submit, CM_SCOPE_IMPEX_INVENTORY_RW, OCI_JSON_BODY_MAX,
     0},
    {"GET", IMPEX "/event-log/exports/{exportId}/status", oci_route_export_status, CM_SCOPE_IMPEX_INVENTORY, 0, 0},
    {"GET", IMPEX "/event-log/exports/{exportId}/file-content", oci_route_export_file, CM_SCOPE_IMPEX_INVENTORY, 0,
     0},
    {"PUT", RESERVE "/reservation-documents/{reservationId}", oci_route_reservation_put, CM_SCOPE_RESERVATIONS_RW,
     OCI_JSON_BODY_MAX, 0},
    {"PATCH", RESERVE "/reservation-documents/{reservationId}", oci_route_reservation_patch, CM_SCOPE_RESERVATIONS_RW,
     OCI_JSON_BODY_MAX, 0},
    {"POST", RESERVE "/transfers", oci_route_transfers, CM_SCOPE_RESERVATIONS_RW, OCI_JSON_BODY_MAX, 0},
    {"POST", RESERVE "/releases", oci_route_releases, CM_SCOPE_RESERVATIONS_RW, OCI_JSON_BODY_MAX, 0},
    {"POST", RESERVE "/fulfillments", oci_route_fulfillments, CM_SCOPE_RESERVATIONS_RW, OCI_JSON_BODY_MAX, 0},
    {"POST", OCI_CONNECT_PREFIX "/availability/availability-records/actions/get-availability",
     oci_route_connect_get_availability, OCI_SCOPE_CONNECT | CM_SCOPE_AVAILABILITY, OCI_JSON_BODY_MAX, 0},
    {"POST", OCI_CONNECT_PREFIX "/reservation/actions/reservations", oci_route_connect_reservations,
     OCI_SCOPE_CONNECT | CM_SCOPE_RESERVATIONS_RW, OCI_JSON_BODY_MAX, 0},
    {"POST", OCI_CONNECT_PREFIX "/reservation/actions/fulfillments", oci_route_connect_fulfillments,
     OCI_SCOPE_CONNECT | CM_SCOPE_RESERVATIONS_RW, OCI_JSON_BODY_MAX, 0},
    {"POST", OCI_CONNECT_PREFIX "/reservation/actions/releases", oci_route_connect_releases,
     OCI_SCOPE_CONNECT | CM_SCOPE_RESERVATIONS_RW, OCI_JSON_BODY_MAX, 0},
    {"POST", OCI_CONNECT_PREFIX "/reservation/actions/transfers", oci_route_connect_transfers,
     OCI_SCOPE_CONNECT | CM_SCOPE_RESERVATIONS_RW, OCI_JSON_BODY_MAX, 0},
    {"POST", OCI_CONNECT_PREFIX "/availability-records/uploads", oci_route_connect_upload,
     OCI_SCOPE_CONNECT | CM_SCOPE_IMPEX_INVENTORY_RW, OCI_CONNECT_UPLOAD_MAX, 1},
    {"GET", OCI_CONNECT_PREFIX "/availability-records/uploads/{importId}", oci_route_connect_upload_status,
     OCI_SCOPE_CONNECT | CM_SCOPE_IMPEX_INVENTORY_RW, 0, 0},
    {"POST", OCI_CONNECT_PREFIX "/location-graph/uploads", oci_route_connect_publish,
     OCI_SCOPE_CONNECT | CM_SCOPE_IMPEX_GRAPHS, OCI_JSON_BODY_MAX, 0},
    {"GET", OCI_CONNECT_PREFIX "/location-graph/uploads/{exportId}", oci_route_connect_publish_status,
     OCI_SCOPE_CONNECT | CM_SCOPE_IMPEX_GRAPHS, 0, 0},
    {"PUT", "/admin/organizations/{organizationId}/location-graph", oci_route_graph_replace,
     CM_SCOPE_IMPEX_GRAPHS, OCI_GRAPH_BODY_MAX, 0},
    {"GET", "/admin/organizations/{organizationId}/location-graph", oci_route_graph_get, CM_SCOPE_IMPEX_GRAPHS,
     0, 0},
    /* The emulator's control plane (control.h): its own bearer token, checked by oci_control_before. */
    {"GET", "/_omsgw/health", oci_route_control_health, 0, 0, 0},
    {"POST", "/_omsgw/state/reset", oci_route_control_reset, 0, 4096, 0},
    {"GET", "/_omsgw/state/export", oci_route_control_export, 0, 0, 0},
    {"POST", "/_omsgw/state/import", oci_route_control_import, 0, OCI_STATE_BODY_MAX, 0},
    {"POST", "/_omsgw/clock/advance", oci_route_control_clock, 0, 4096, 0},
    {"POST", "/_omsgw/faults", oci_route_control_fault_add, 0, OCI_FAULT_BODY_MAX, 0},
    {"GET", "/_omsgw/faults", oci_route_control_fault_list, 0, 0, 0},
    {"DELETE", "/_omsgw/faults", oci_route_control_fault_clear, 0, 0, 0},
    {"DELETE", "/_omsgw/faults/{faultId}", oci_route_control_fault_delete, 0, 0, 0},
    {"GET", "/_omsgw/requests", oci_route_control_journal, 0, 0, 0},
    {"DELETE", "/_omsgw/requests", oci_route_control_journal_clear, 0, 0, 0},
};

int64_t oci_core_now(const oci_core *core)
{
    return cm_now_ms() + atomic_load(&((oci_core *)core)->clock_skew_ms);
}

void oci_core_testing_set_clock_skew(oci_core *core, int64_t skew_ms)
{
    atomic_store(&core->clock_skew_ms, skew_ms);
}

void oci_core_testing_pause_worker(oci_core *core, int paused)
{
    pthread_mutex_lock(&core->worker_lock);
    core->worker_paused = paused;
    core->wake = 1;
    pthread_cond_broadcast(&core->worker_cond);
    pthread_mutex_unlock(&core->worker_lock);
}

int oci_path_join(char *out, size_t size, const char *dir, const char *name)
{
    int n = snprintf(out, size, "%s/%s", dir, name);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

const oci_org_state *oci_core_org(const oci_core *core, const char *org_id)
{
    for (size_t i = 0; org_id && i < core->org_count; i++)
        if (strcmp(core->orgs[i].config->id, org_id) == 0)
            return &core->orgs[i];
    return NULL;
}

/*
 * Graphs are shared by reference count: a reader keeps the graph it started with even when an
 * admin replaces it meanwhile. The count sits just before the graph in one allocation would be
 * neater; a small side table keeps graph.c free of threading instead.
 */
typedef struct graph_hold {
    oci_graph *graph;
    int refs;
    int retired; /* replaced: freed when the last reader lets go */
} graph_hold;

#define GRAPH_HOLDS_MAX 256

static graph_hold *hold_of(oci_core *core, oci_graph *graph)
{
    graph_hold *holds = core->graph_holds;
    for (size_t i = 0; holds && i < GRAPH_HOLDS_MAX; i++)
        if (holds[i].graph == graph)
            return &holds[i];
    return NULL;
}

oci_graph *oci_core_graph_acquire(oci_core *core, const char *org_id)
{
    oci_core_graph_promote_due(core, org_id);
    pthread_mutex_lock(&core->graph_lock);
    const oci_org_state *org = oci_core_org(core, org_id);
    oci_graph *graph = org ? org->graph : NULL;
    graph_hold *hold = graph ? hold_of(core, graph) : NULL;
    if (hold)
        hold->refs++;
    pthread_mutex_unlock(&core->graph_lock);
    return graph;
}

void oci_core_graph_release(oci_core *core, oci_graph *graph)
{
    if (!graph)
        return;
    pthread_mutex_lock(&core->graph_lock);
    graph_hold *hold = hold_of(core, graph);
    if (hold && --hold->refs == 0 && hold->retired) {
        oci_graph_free(graph);
        memset(hold, 0, sizeof *hold);
    }
    pthread_mutex_unlock(&core->graph_lock);
}

/* Registers a graph as the live one of an org (the caller holds graph_lock). */
static int hold_new(oci_core *core, oci_graph *graph)
{
    graph_hold *holds = core->graph_holds;
    for (size_t i = 0; i < GRAPH_HOLDS_MAX; i++) {
        if (!holds[i].graph) {
            holds[i].graph = graph;
            holds[i].refs = 1; /* the org's own reference */
            holds[i].retired = 0;
            return 0;
        }
    }
    return -1;
}

cm_err oci_core_graph_replace(oci_core *core, const char *org_id, oci_graph *graph)
{
    pthread_mutex_lock(&core->graph_lock);
    oci_org_state *org = (oci_org_state *)oci_core_org(core, org_id);
    if (!org) {
        pthread_mutex_unlock(&core->graph_lock);
        oci_graph_free(graph);
        return CM_ENOTFOUND;
    }
    if (hold_new(core, graph) != 0) {
        pthread_mutex_unlock(&core->graph_lock);
        oci_graph_free(graph);
        return CM_ETOOBIG;
    }
    graph_hold *old = hold_of(core, org->graph);
    org->graph = graph;
    if (old) {
        old->retired = 1;
        if (--old->refs == 0) {
            oci_graph_free(old->graph);
            memset(old, 0, sizeof *old);
        }
    }
    pthread_mutex_unlock(&core->graph_lock);
    return CM_OK;
}

static int make_dir(const char *path)
{
    return mkdir(path, 0700) == 0 || errno == EEXIST ? 0 : -1;
}

void oci_core_wake_worker(oci_core *core)
{
    pthread_mutex_lock(&core->worker_lock);
    core->wake = 1;
    pthread_cond_broadcast(&core->worker_cond);
    pthread_mutex_unlock(&core->worker_lock);
}

#define OCI_NAMESPACE_PREFIX "/inventory/"
#define IMPEX_NAMESPACE_PREFIX "/inventory/impex/"

static int has_prefix(const char *text, const char *prefix)
{
    return text && strncmp(text, prefix, strlen(prefix)) == 0;
}

/* 403 for a token of another (or unknown) organization, in the shape of the API family. */
static void reply_not_provisioned(oci_core *core, cm_http_request *request)
{
    if (has_prefix(cm_http_path(request), IMPEX_NAMESPACE_PREFIX))
        oci_reply_impex_not_authorized(request, oci_core_now(core));
    else
        oci_reply_tenant_not_provisioned(request);
}

/* The organization's rate limit (common/token_bucket.h): headers when one is set, 429 when it is
 * spent. Every OCI request of the organization counts, headless or Connect. */
static void take_rate_token(oci_core *core, cm_http_request *request, const char *org)
{
    for (size_t i = 0; i < core->org_count; i++) {
        if (strcmp(core->orgs[i].config->id, org) != 0)
            continue;
        cm_bucket_decision decision;
        cm_bucket_take(&core->rate_buckets[i], oci_core_now(core), &decision);
        if (!decision.limited)
            return;
        char value[32];
        snprintf(value, sizeof value, "%lld", (long long)decision.limit);
        cm_http_add_header(request, "X-RateLimit-Limit", value);
        snprintf(value, sizeof value, "%lld", (long long)decision.remaining);
        cm_http_add_header(request, "X-RateLimit-Remaining", value);
        snprintf(value, sizeof value, "%lld", (long long)decision.reset_epoch_s);
        cm_http_add_header(request, "X-RateLimit-Reset", value);
        if (!decision.allowed)
            oci_reply_too_many_requests(request, decision.retry_after_s);
        return;
    }
}

/* Only the OCI namespace counts; the admin routes and the token routes do not. */
static void apply_rate_limit(oci_core *core, cm_http_request *request, const char *org)
{
    if (has_prefix(cm_http_path(request), OCI_NAMESPACE_PREFIX))
        take_rate_token(core, request, org);
}

static void before_request(cm_http_request *request, void *data)
{
    oci_core *core = data;
    const char *correlation = cm_http_header(request, "correlation-id");
    if (correlation && strlen(correlation) <= 128)
        cm_http_add_header(request, "correlation-id", correlation);
    if (oci_control_before(core, request))
        return; /* a control call refused, or a fault fired */
    cm_route_match match;
    int index = cm_router_match(core->routes, core->route_count, sizeof(cm_http_route),
                                cm_http_method(request), cm_http_path(request), &match);
    if (index < 0 || core->route_scopes[index] == 0)
        return;
    unsigned scope = core->route_scopes[index];
    if (scope & OCI_SCOPE_CONNECT) {
        /* The Connect REST API: no organization in the path; the token says which. */
        if (oci_connect_before(core, request, cm_route_param(&match, "version"), scope & ~OCI_SCOPE_CONNECT) == 0)
            take_rate_token(core, request, oci_connect_of(request)->org);
        return;
    }
    const char *org = cm_route_param(&match, "organizationId");
    if (scope == OCI_SCOPE_ANY_TOKEN)
        scope = 0;
    switch (oci_auth_check(core->auth, cm_http_header(request, "Authorization"), org, scope,
                           oci_core_now(core))) {
    case OCI_AUTH_OK:
        if (!oci_core_org(core, org))
            reply_not_provisioned(core, request);
        else
            apply_rate_limit(core, request, org);
        return;
    case OCI_AUTH_MISSING:
        oci_reply_unauthorized(request, "An 'Authorization: Bearer <token>' header is required.");
        return;
    case OCI_AUTH_INVALID:
        oci_reply_unauthorized(request,
                               "Your access token is invalid and can't be used to identify an API client or user.");
        return;
    case OCI_AUTH_WRONG_ORG: reply_not_provisioned(core, request); return;
    case OCI_AUTH_NO_SCOPE: oci_reply_forbidden_scope(request, oci_scope_name(scope)); return;
    }
}

void oci_core_http_config(oci_core *core, cm_http_server_config *server_config)
{
    server_config->routes = core->routes;
    server_config->route_count = core->route_count;
    server_config->error_writer = oci_error_writer;
    server_config->error_data = core;
    server_config->before = before_request;
    server_config->before_data = core;
    server_config->temp_dir = core->tmp_dir;
    server_config->after = oci_control_after;
    server_config->after_data = core;
    server_config->fixed_header_name = OCI_EMULATOR_HEADER;
    server_config->fixed_header_value = OMSGW_VERSION;
    if (server_config->body_limit == 0)
        server_config->body_limit = OCI_JSON_BODY_MAX;
}

/* The graph an admin stored for `org` (route_graph.c), which replaces the configured file. */
static cm_err load_persisted_graph(oci_core *core, const char *org, oci_graph **graph, int *found,
                                   char error[OCI_ERROR_MAX])
{
    *found = 0;
    char *text = NULL;
    oci_store_conn *reader = oci_store_read_begin(core->store);
    cm_err rc = reader ? oci_store_graph_get(reader, org, &text) : CM_EDB;
    oci_store_read_end(reader);
    if (rc != CM_OK || !text) {
        if (rc != CM_OK)
            snprintf(error, OCI_ERROR_MAX, "organization %.100s: cannot read its stored location graph", org);
        return rc;
    }
    json_object *root = NULL;
    char parse_error[CM_JSON_ERROR_MAX], graph_error[OCI_GRAPH_ERROR_MAX];
    rc = cm_json_parse(text, strlen(text), CM_JSON_MAX_DEPTH, &root, parse_error);
    free(text);
    if (rc == CM_OK)
        rc = oci_graph_from_json(root, graph, graph_error); /* a NULL root (JSON null) is refused there */
    json_object_put(root);
    if (rc != CM_OK) {
        snprintf(error, OCI_ERROR_MAX, "organization %.100s: the stored location graph is invalid", org);
        return rc;
    }
    cm_log_info("oci.graph_stored", "org=%s: using the location graph replaced through the admin route", org);
    *found = 1;
    return CM_OK;
}

static void path_too_long(char error[OCI_ERROR_MAX], const char *data_dir)
{
    snprintf(error, OCI_ERROR_MAX, "the data folder path is too long: %.400s", data_dir);
}

cm_err oci_core_open(const cm_config *config, const char *data_dir, oci_core **out,
                     char error[OCI_ERROR_MAX])
{
    *out = NULL;
    oci_core *core = calloc(1, sizeof *core);
    if (!core) {
        snprintf(error, OCI_ERROR_MAX, "out of memory");
        return CM_ENOMEM;
    }
    core->config = config;
    pthread_mutex_init(&core->graph_lock, NULL);
    pthread_mutex_init(&core->worker_lock, NULL);
    pthread_cond_init(&core->worker_cond, NULL);
    atomic_init(&core->clock_skew_ms, 0);
    core->batch_budget = -1;
    core->graph_holds = calloc(GRAPH_HOLDS_MAX, sizeof(graph_hold));
    cm_err rc = core->graph_holds ? CM_OK : CM_ENOMEM;
    if (rc != CM_OK)
        snprintf(error, OCI_ERROR_MAX, "out of memory");
    snprintf(core->data_dir, sizeof core->data_dir, "%s", data_dir);
    if (oci_path_join(core->imports_dir, sizeof core->imports_dir, data_dir, "oci-imports") ||
        oci_path_join(core->exports_dir, sizeof core->exports_dir, data_dir, "oci-exports") ||
        oci_path_join(core->tmp_dir, sizeof core->tmp_dir, data_dir, "oci-tmp")) {
        path_too_long(error, data_dir);
        rc = CM_ECONFIG;
    }
    if (rc == CM_OK && (make_dir(data_dir) || make_dir(core->imports_dir) || make_dir(core->exports_dir) ||
                        make_dir(core->tmp_dir))) {
        snprintf(error, OCI_ERROR_MAX, "cannot create the folders of %s: %s", data_dir, strerror(errno));
        rc = CM_EIO;
    }
    char db_path[OCI_PATH_MAX];
    if (rc == CM_OK && oci_path_join(db_path, sizeof db_path, data_dir, "oci.db") != 0) {
        path_too_long(error, data_dir);
        rc = CM_ECONFIG;
    }
    if (rc == CM_OK)
        rc = oci_store_open(db_path, &core->store, error);
    if (rc == CM_OK) {
        char auth_error[OCI_AUTH_ERROR_MAX] = "out of memory";
        core->auth = oci_auth_new(config, auth_error);
        if (!core->auth) {
            snprintf(error, OCI_ERROR_MAX, "%s", auth_error);
            rc = CM_ECONFIG;
        }
        core->org_count = config->oci.organization_count;
        core->orgs = calloc(core->org_count ? core->org_count : 1, sizeof *core->orgs);
        core->rate_buckets = calloc(core->org_count ? core->org_count : 1, sizeof *core->rate_buckets);
        if (core->rate_buckets)
            for (size_t i = 0; i < core->org_count; i++)
                cm_bucket_init(&core->rate_buckets[i], config->oci.organizations[i].rate_limit.requests_per_second,
                              config->oci.organizations[i].rate_limit.burst, oci_core_now(core));
        if (rc == CM_OK && (!core->orgs || !core->rate_buckets)) {
            snprintf(error, OCI_ERROR_MAX, "out of memory");
            rc = CM_ENOMEM;
        }
    }
    for (size_t i = 0; rc == CM_OK && i < core->org_count; i++) {
        const cm_oci_org *org = &config->oci.organizations[i];
        core->orgs[i].config = org;
        oci_graph *graph = NULL;
        int persisted = 0;
        if (rc == CM_OK)
            rc = load_persisted_graph(core, org->id, &graph, &persisted, error);
        if (rc != CM_OK || persisted) {
            /* the admin-replaced graph (or an error) wins over the configured file */
        } else if (org->location_graph_path) {
            char graph_error[OCI_GRAPH_ERROR_MAX];
            rc = oci_graph_load_file(org->location_graph_path, &graph, graph_error);
            if (rc != CM_OK)
                snprintf(error, OCI_ERROR_MAX, "organization %.100s: %.300s", org->id, graph_error);
        } else if (!(graph = oci_graph_new_empty())) {
            rc = CM_ENOMEM;
            snprintf(error, OCI_ERROR_MAX, "out of memory");
        }
        if (rc == CM_OK) {
            pthread_mutex_lock(&core->graph_lock);
            if (hold_new(core, graph) != 0) {
                oci_graph_free(graph);
                snprintf(error, OCI_ERROR_MAX, "too many location graphs");
                rc = CM_ETOOBIG;
            } else {
                core->orgs[i].graph = graph;
            }
            pthread_mutex_unlock(&core->graph_lock);
        }
    }
    for (size_t i = 0; rc == CM_OK && i < sizeof ROUTES / sizeof ROUTES[0]; i++) {
        cm_http_route *route = &core->routes[i];
        route->match.method = ROUTES[i].method;
        route->match.pattern = ROUTES[i].pattern;
        route->handler = ROUTES[i].handler;
        route->data = core;
        route->body_limit = ROUTES[i].body_limit;
        route->body_to_file = ROUTES[i].body_to_file;
        core->route_scopes[i] = ROUTES[i].scope;
        core->route_count = i + 1;
    }
    if (rc == CM_OK && !(core->control = oci_control_new(core))) {
        snprintf(error, OCI_ERROR_MAX, "out of memory");
        rc = CM_ENOMEM;
    }
    if (rc == CM_OK) {
        if (pthread_create(&core->worker, NULL, oci_worker_main, core) != 0) {
            snprintf(error, OCI_ERROR_MAX, "cannot start the import worker thread");
            rc = CM_ENOMEM;
        } else {
            core->worker_started = 1;
        }
    }
    if (rc == CM_OK) {
        if (pthread_create(&core->reaper, NULL, oci_reaper_main, core) != 0) {
            snprintf(error, OCI_ERROR_MAX, "cannot start the reservation expiry thread");
            rc = CM_ENOMEM;
        } else {
            core->reaper_started = 1;
        }
    }
    if (rc != CM_OK) {
        oci_core_close(core);
        return rc;
    }
    cm_log_info("oci.open", "data=%s organizations=%zu", data_dir, core->org_count);
    *out = core;
    return CM_OK;
}

void oci_core_stop(oci_core *core)
{
    if (!core || (!core->worker_started && !core->reaper_started))
        return;
    oci_control_shutdown(core->control);
    pthread_mutex_lock(&core->worker_lock);
    core->stopping = 1;
    pthread_cond_broadcast(&core->worker_cond);
    pthread_mutex_unlock(&core->worker_lock);
    if (core->worker_started)
        pthread_join(core->worker, NULL);
    if (core->reaper_started)
        pthread_join(core->reaper, NULL);
    core->worker_started = core->reaper_started = 0;
}

void oci_core_close(oci_core *core)
{
    if (!core)
        return;
    oci_core_stop(core);
    pthread_mutex_lock(&core->graph_lock);
    for (size_t i = 0; core->orgs && i < core->org_count; i++) {
        graph_hold *hold = core->orgs[i].graph ? hold_of(core, core->orgs[i].graph) : NULL;
        if (hold)
            memset(hold, 0, sizeof *hold);
        oci_graph_free(core->orgs[i].graph);
        oci_graph_free(core->orgs[i].pending_graph);
    }
    pthread_mutex_unlock(&core->graph_lock);
    free(core->orgs);
    for (size_t i = 0; core->rate_buckets && i < core->org_count; i++)
        cm_bucket_destroy(&core->rate_buckets[i]);
    free(core->rate_buckets);
    free(core->graph_holds);
    oci_control_free(core->control);
    oci_auth_free(core->auth);
    oci_store_close(core->store);
    pthread_mutex_destroy(&core->graph_lock);
    pthread_mutex_destroy(&core->worker_lock);
    pthread_cond_destroy(&core->worker_cond);
    free(core);
}

cm_err oci_core_apply_records(oci_core *core, const char *org_id, const oci_record_update *records,
                              size_t count, oci_apply_result *results)
{
    oci_graph *graph = oci_core_graph_acquire(core, org_id);
    if (!graph)
        return CM_ENOTFOUND;
    oci_store_conn *writer = NULL;
    cm_err rc = oci_store_write_begin(core->store, &writer);
    int64_t now = oci_core_now(core);
    oci_apply_batch batch = {.org = org_id, .updates = records, .count = count, .mode = OCI_APPLY_MERGE,
                             .event_type = "location_update", .now_ms = now, .claim_ids = 1};
    if (rc == CM_OK)
        rc = oci_apply_many(writer, graph, &batch, results);
    if (writer)
        rc = rc == CM_OK ? oci_store_write_commit(writer) : (oci_store_write_rollback(writer), rc);
    oci_core_graph_release(core, graph);
    if (rc != CM_OK)
        cm_log_error("oci.apply", "org=%s records=%zu: %s", org_id, count, cm_strerror(rc));
    return rc == CM_ENOMEM || rc == CM_EFULL || rc == CM_EBUSY ? rc : rc == CM_OK ? CM_OK : CM_EDB;
}

cm_err oci_core_get_location_record(oci_core *core, const char *org_id, const char *location_id,
                                    const char *sku, oci_availability *out)
{
    memset(out, 0, sizeof *out);
    if (!oci_core_org(core, org_id))
        return CM_ENOTFOUND;
    oci_store_conn *reader = oci_store_read_begin(core->store);
    if (!reader)
        return CM_EDB;
    oci_quantities record;
    int exists = 0;
    cm_err rc = oci_store_record_get(reader, org_id, location_id, sku, &record, &exists);
    oci_store_read_end(reader);
    if (rc != CM_OK)
        return rc;
    out->exists = exists;
    out->on_hand_milli = record.on_hand;
    out->reserved_milli = record.reserved;
    out->safety_stock_milli = record.safety_stock;
    out->atf_milli = oci_qty_record_atf(&record);
    out->ato_milli = oci_qty_record_ato(&record);
    out->has_effective_date = record.has_effective_date;
    out->effective_ms = record.effective_ms;
    return CM_OK;
}

const char *oci_core_control_token(const oci_core *core, int *generated)
{
    if (generated)
        *generated = 0;
    return core->control ? oci_control_token(core->control, generated) : "";
}
