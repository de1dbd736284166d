/*
 * core_internal.h - what the files of oci_core share and nobody else sees: the core's state,
 * the organizations' graphs (reference counted, replaceable), the clock, the worker's wake-up,
 * and the route handlers' prototypes.
 */
#ifndef OCI_CORE_INTERNAL_H
#define OCI_CORE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <json-c/json.h>

#include "common/http_server.h"
#include "oci_core/auth.h"
#include "oci_core/graph.h"
#include "oci_core/oci_core.h"
#include "common/token_bucket.h"
#include "oci_core/store.h"

#define OCI_ROUTE_MAX 112
/* A route scope meaning "any valid token of the organization" (the internal organization route). */
#define OCI_SCOPE_ANY_TOKEN (1u << 30)
/* Marks a Connect REST API route (route_connect.h): the organization comes from the token. */
#define OCI_SCOPE_CONNECT (1u << 29)

typedef struct oci_org_state {
    const cm_oci_org *config;
    oci_graph *graph; /* guarded by oci_core.graph_lock; readers hold a reference */
    /* graph_change.c: a replacement that takes oci.graphChangeSeconds; guarded by graph_lock. */
    oci_graph *pending_graph;
    int64_t change_started_ms, change_until_ms;
} oci_org_state;

typedef struct oci_graph_ref {
    oci_graph *graph;
    int *refs;
} oci_graph_ref;

struct oci_core {
    const cm_config *config;
    char data_dir[OCI_PATH_MAX];
    char imports_dir[OCI_PATH_MAX];
    char exports_dir[OCI_PATH_MAX];
    char tmp_dir[OCI_PATH_MAX];
    oci_store *store;
    oci_auth *auth;
    oci_org_state *orgs;
    size_t org_count;
    cm_token_bucket *rate_buckets; /* one per organization, same order as orgs */
    pthread_mutex_t graph_lock;
    void *graph_holds; /* core.c's reference counts of live and retired graphs */

    cm_http_route routes[OCI_ROUTE_MAX];
    unsigned route_scopes[OCI_ROUTE_MAX];
    size_t route_count;

    pthread_t worker;
    int worker_started;
    pthread_mutex_t worker_lock;
    pthread_cond_t worker_cond;
    int stopping;
    int worker_paused; /* tests only */
    int wake;
    int batch_budget; /* tests only: import batches left before the worker pauses; -1: no limit */
    atomic_int_fast64_t clock_skew_ms; /* tests only */

    pthread_t reaper; /* maintenance.c: reservation expiry and pruning */
    int reaper_started;
    oci_id_walk id_walk; /* maintenance.c: where the pruning walk over claimed ids stands (reaper only) */

    struct oci_control *control; /* control.h: the emulator's control plane */
};

int64_t oci_core_now(const oci_core *core);
const oci_org_state *oci_core_org(const oci_core *core, const char *org_id);

/* Takes a reference to an organization's current graph (never NULL for a known org). */
oci_graph *oci_core_graph_acquire(oci_core *core, const char *org_id);
void oci_core_graph_release(oci_core *core, oci_graph *graph);
/* Replaces an organization's graph; the core takes `graph`. CM_ENOTFOUND for an unknown org. */
cm_err oci_core_graph_replace(oci_core *core, const char *org_id, oci_graph *graph);

/* A Connect REST API request (route_connect.c), kept as the request's user data: the token's
 * organization and, for the reservation actions, the headless body and reservation id the Connect
 * input was translated to. The shared route helpers (route_util.c, errors.c, moves.c) read it so a
 * headless handler serves the Connect resource, answering in Connect's shapes. Headless requests
 * have none (NULL). */
typedef struct oci_connect_context {
    char *org;
    json_object *body;    /* owned; NULL: the handler reads the request body */
    char *reservation_id; /* owned; NULL: the path's */
    /* Turns the headless success reply (taken) into the Connect one; NULL: as it is. */
    json_object *(*convert)(json_object *headless);
    int success_status; /* the converted reply's status (201 for actions, 200 for status reads) */
} oci_connect_context;

/* The request's Connect context, or NULL for a headless request. */
const oci_connect_context *oci_connect_of(const cm_http_request *request);

/*
 * What the core keeps per request, as the request's one user data (request_state.c): the
 * journal's note of the control plane (oci_request_note) and, on Connect REST routes, the Connect
 * context. Both parts are optional; the state is freed with the request.
 */
typedef struct oci_request_state {
    void *journal_note;               /* freed with free() */
    oci_connect_context *connect;     /* freed with connect_destroy */
    void (*connect_destroy)(void *connect);
} oci_request_state;

/* The request's state, made on first use; NULL when out of memory. */
oci_request_state *oci_request_state_get(cm_http_request *request);
/* The request's state if it has one (read-only users), else NULL. */
const oci_request_state *oci_request_state_peek(const cm_http_request *request);

/* Replies a headless handler's success: the headless reply as is (`status`), or, for a Connect
 * request, converted with the context's success status (201 for actions). Takes `reply`. */
void oci_reply_action(cm_http_request *request, int status, json_object *reply);

/* Imports shared by the impex routes and the Connect upload (route_imports.c). A new WAITING
 * import of `org` (its upload link valid the default duration): CM_OK with *row filled. */
cm_err oci_import_create(oci_core *core, const char *org, const char *file_name, oci_import_row *row);
/* Stores the request's body (the whole body, or its single multipart part) as the file of the
 * WAITING import `row` and wakes the worker. 0, or -1 after replying why not. */
int oci_import_accept_upload(cm_http_request *request, oci_core *core, const oci_import_row *row);
/* Loads import `id` of the request's organization; -1 after replying 404 naming `param`. */
int oci_import_load(cm_http_request *request, oci_core *core, const char *id, const char *param, oci_import_row *row);
/* WAITING past its link is shown as EXPIRED. */
const char *oci_import_shown_status(const oci_core *core, const oci_import_row *row);

/* Why get-availability refused a request (route_availability.c), for the API family to reply in
 * its own shape: `internal` non-zero for a server fault, else status/code/field/message (and
 * `value` naming the unknown location or group). */
typedef struct oci_availability_error {
    cm_err internal;
    int status;
    char code[48];
    char field[32];
    char value[160];
    char message[240];
} oci_availability_error;

/* The headless get-availability of `body` (borrowed) for `org`: the reply (caller puts), or NULL
 * with `error` set. Shared by the headless route and the Connect REST API route. */
json_object *oci_availability_compute(oci_core *core, const char *org, json_object *body,
                                      oci_availability_error *error);

/* Wakes the background worker (new upload or export). */
void oci_core_wake_worker(oci_core *core);
/* The worker's body (import_worker.c); the thread is started by core.c. */
void *oci_worker_main(void *core);

/* Builds a full path "<dir>/<name>" into out; returns 0, or -1 when it does not fit. */
int oci_path_join(char *out, size_t size, const char *dir, const char *name);

/* ---- route handlers: data is the oci_core ---- */
void oci_route_get_availability(cm_http_request *request, void *data);
void oci_route_batch_update(cm_http_request *request, void *data);
void oci_route_get_deltas(cm_http_request *request, void *data);
void oci_route_record_put(cm_http_request *request, void *data);
void oci_route_record_patch(cm_http_request *request, void *data);
void oci_route_record_delete(cm_http_request *request, void *data);
void oci_route_import_submit(cm_http_request *request, void *data);
void oci_route_import_list(cm_http_request *request, void *data);
void oci_route_import_upload(cm_http_request *request, void *data);
void oci_route_import_status(cm_http_request *request, void *data);
void oci_route_import_file(cm_http_request *request, void *data);
void oci_route_import_delete(cm_http_request *request, void *data);
void oci_route_export_submit(cm_http_request *request, void *data);
void oci_route_export_status(cm_http_request *request, void *data);
void oci_route_export_file(cm_http_request *request, void *data);
void oci_route_export_delete(cm_http_request *request, void *data);
void oci_route_graph_export_submit(cm_http_request *request, void *data);
void oci_route_graph_replace(cm_http_request *request, void *data);
void oci_route_graph_get(cm_http_request *request, void *data);

void oci_route_reservation_put(cm_http_request *request, void *data);
void oci_route_reservation_patch(cm_http_request *request, void *data);
void oci_route_transfers(cm_http_request *request, void *data);
void oci_route_releases(cm_http_request *request, void *data);
void oci_route_fulfillments(cm_http_request *request, void *data);
void oci_route_event_log_submit(cm_http_request *request, void *data);

/* Export file production (route_exports.c / route_graph.c / route_event_log.c), run by the worker. */
cm_err oci_export_run(oci_core *core, oci_export_row *row);
cm_err oci_graph_export_write(oci_core *core, oci_export_row *row);
cm_err oci_event_log_export_write(oci_core *core, oci_export_row *row);

/* maintenance.c: the thread that releases expired reservations and prunes old rows and files.
 * Started by oci_core_open, stopped by oci_core_stop (it shares worker_lock/stopping). */
void *oci_reaper_main(void *core);
/* One pass of each (also called by the testing hooks). */
cm_err oci_expire_reservations(oci_core *core);
cm_err oci_prune(oci_core *core);

/* ---- the emulator's state (control_state.c) ---- */

/* The graph an organization is configured with (its file, or an empty one). */
cm_err oci_core_configured_graph(oci_core *core, const cm_oci_org *org, oci_graph **graph, char error[OCI_ERROR_MAX]);
/* Empties one organization (NULL: all) and puts its configured graph back. */
cm_err oci_core_state_reset(oci_core *core, const char *only_org, char error[OCI_ERROR_MAX]);
/* The snapshot of one organization (NULL: all); *status is the HTTP status of a failure. */
cm_err oci_core_state_snapshot(oci_core *core, const char *only_org, json_object **out, int *status,
                               char error[OCI_ERROR_MAX]);
/* Replaces the state of every organization the snapshot holds (one transaction). */
cm_err oci_core_state_restore_json(oci_core *core, json_object *root, int *status, char error[OCI_ERROR_MAX]);

/* ---- location-graph changes that take time (graph_change.c) ---- */

/* Stages `graph` (taken) as the organization's next graph, in force `seconds` from now on the
 * core's clock; until then readers keep the current one. */
cm_err oci_core_graph_stage(oci_core *core, const char *org_id, oci_graph *graph, int64_t seconds);
/* Puts a staged graph in force once its time has come (called by oci_core_graph_acquire). */
void oci_core_graph_promote_due(oci_core *core, const char *org_id);
/* oci_core_graph_changing (oci_core.h): 1 while a change of the organization is in progress. */
/* Drops a staged graph (reset, state import). */
void oci_core_graph_change_clear(oci_core *core, const char *org_id);
/* {"inProgress": bool, "startedAt"?, "endsAt"?} (new reference, NULL when out of memory). */
json_object *oci_core_graph_change_json(oci_core *core, const char *org_id);

#endif
