/*
 * internal.h - what the admin/ files share (private to admin/).
 */
#ifndef ADM_INTERNAL_H
#define ADM_INTERNAL_H

#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

#include "admin/admin.h"

#define ADM_SESSION_MAX 64
#define ADM_SESSION_ID_LEN 64 /* hex characters */
#define ADM_SESSION_TTL_MS (12LL * 60 * 60 * 1000)
#define ADM_SESSION_COOKIE "omsgw_admin"

#define ADM_COMPARE_KEPT 8
#define ADM_COMPARE_RUNNING 2

typedef struct adm_compare_run {
    int id; /* 0: free slot */
    pid_t pid;
    pthread_t thread;
    pthread_mutex_t *lock; /* the admin's compares_lock, which guards done and the results */
    int done;
    int exit_code;
    char *output; /* the command's stdout (JSON) */
    char *errors; /* its stderr */
    char request_path[1100], output_path[1110], error_path[1110];
} adm_compare_run;

typedef struct adm_session {
    char id[ADM_SESSION_ID_LEN + 1]; /* "" when the slot is free */
    int64_t expires_ms;
} adm_session;

struct adm_admin {
    const cm_config *config;
    q_store *store;
    q_pool *pool;
    oci_core *core;
    int tls;
    const char *temp_dir;
    pthread_mutex_t sessions_lock;
    adm_session sessions[ADM_SESSION_MAX];
    int gateway_port, oci_port; /* where `omsgw compare` finds this server */
    pthread_mutex_t compares_lock;
    adm_compare_run compares[ADM_COMPARE_KEPT];
    int compare_counter;
};

/* ---- auth.c ---- */

/* The request hook: answers 401 to every request without a valid token or session, except the
 * login routes and /healthz. */
void adm_auth_before(cm_http_request *request, void *data);
/* GET /login: the form. POST /login: checks the token, sets the cookie, redirects to /. */
void adm_route_login_form(cm_http_request *request, void *data);
void adm_route_login(cm_http_request *request, void *data);
/* POST /logout: forgets the session. */
void adm_route_logout(cm_http_request *request, void *data);

/* ---- route_metrics.c ---- */

void adm_route_metrics(cm_http_request *request, void *data);
/* Registers the scrape-time gauges (queue depth, oldest pending job, resident memory). */
void adm_metrics_start(adm_admin *admin);
void adm_metrics_stop(adm_admin *admin);

/* ---- route_api.c ---- */

void adm_route_tenants(cm_http_request *request, void *data);
void adm_route_jobs(cm_http_request *request, void *data);
void adm_route_job(cm_http_request *request, void *data);
void adm_route_cancel(cm_http_request *request, void *data);
void adm_route_retry(cm_http_request *request, void *data);

/* ---- route_core.c ---- */

void adm_route_core_organizations(cm_http_request *request, void *data);
void adm_route_core_graph(cm_http_request *request, void *data);
void adm_route_core_availability(cm_http_request *request, void *data);

/* ---- route_compare.c ---- */

void adm_route_compare_start(cm_http_request *request, void *data);
void adm_route_compare_get(cm_http_request *request, void *data);
/* Ends running comparisons and frees the kept results (at close). */
void adm_compares_stop(adm_admin *admin);

/* ---- console.c ---- */

void adm_route_asset(cm_http_request *request, void *data);

#endif
