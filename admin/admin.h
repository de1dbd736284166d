/*
 * admin.h - the operator's listener: Prometheus metrics, the web console and the JSON admin API
 * it reads (which scripts may use too).
 *
 * What it promises:
 * - Every route, pages and API alike, needs an admin token: `Authorization: Bearer <token>` or
 *   the session cookie the login form (POST /login, same token) sets. Without one the answer is
 *   401 — JSON on /api/ and /metrics, the login form elsewhere — and never a page or a number.
 *   Only GET/POST /login and GET /healthz answer without a token (they reveal nothing).
 * - Its routes exist only on the admin listener: the gateway and OCI listeners do not know them.
 * - Errors are JSON {"error", "message", "errorCode", "field"} with the HTTP status.
 * - It never writes to the queue except to cancel a pending job (q_store_cancel) and to retry a
 *   failed one as a new job with the same items (q_store_accept), so the legacy history stays true.
 * It does not own what it is given: config, store and core outlive it.
 */
#ifndef ADM_ADMIN_H
#define ADM_ADMIN_H

#include "common/config.h"
#include "common/err.h"
#include "common/http_server.h"
#include "queue/store.h"
#include "queue/worker.h"
#include "oci_core/oci_core.h"

typedef struct adm_admin adm_admin;

typedef struct adm_options {
    const cm_config *config;
    q_store *store;
    q_pool *pool; /* woken when a retry is accepted; NULL: the workers' next poll finds it */
    oci_core *core; /* the bundled core, for its views (availability, graph); NULL: none */
    int tls; /* 1: the listener speaks HTTPS, so the session cookie is marked Secure */
    int gateway_port, oci_port; /* the running listeners, for comparisons (0: none) */
    const char *temp_dir;       /* uploads of comparison requests (NULL: /tmp) */
} adm_options;

cm_err adm_open(const adm_options *options, adm_admin **out);

/* Fills routes, error writer and the authentication hook of the listener's config. */
void adm_http_config(adm_admin *admin, cm_http_server_config *server_config);

/* NULL is allowed. Stop the listener first. */
void adm_close(adm_admin *admin);

#endif
