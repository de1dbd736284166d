/*
 * gateway.h - the legacy Inventory Refresh API: the routes of the V5, Inventory Specific and modern
 * families (decisions.md, "Routes"), wired to the queue.
 *
 * A refresh is answered {"jobID": n} only after q_store_accept has committed the job durably.
 * The gateway never delivers anything itself; it wakes the worker pool.
 */
#ifndef GW_GATEWAY_H
#define GW_GATEWAY_H

#include "common/config.h"
#include "common/err.h"
#include "common/http_server.h"
#include "queue/store.h"
#include "queue/delivery.h"
#include "queue/worker.h"

typedef struct gw_gateway gw_gateway;

typedef struct gw_options {
    const cm_config *config; /* must outlive the gateway */
    q_store *store;
    q_pool *pool; /* may be NULL (then nobody is woken; workers poll) */
    /* The delivery's OCI, for the synchronous reads of inquiry and aggregate (its read operation).
     * May be NULL: those routes answer 503 then. */
    q_delivery *delivery;
} gw_options;

cm_err gw_open(const gw_options *options, gw_gateway **out);

/* Fills routes, error writer and request hook; port, threads and limits are the caller's. */
void gw_http_config(gw_gateway *gateway, cm_http_server_config *server_config);

void gw_close(gw_gateway *gateway);

#endif
