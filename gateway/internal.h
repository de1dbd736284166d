/*
 * internal.h - what the gateway's route files share. Not for other parts.
 */
#ifndef GW_INTERNAL_H
#define GW_INTERNAL_H

#include "gateway/auth.h"

#include <semaphore.h>
#include "gateway/gateway.h"

#define GW_ROUTE_COUNT 16

typedef struct gw_route_data {
    struct gw_gateway *gateway;
    gw_package package;
    int modern; /* modern job list parameters (locationCode, limit, types) */
} gw_route_data;

struct gw_gateway {
    const cm_config *config;
    q_store *store;
    q_pool *pool;
    gw_rate_limiter *limiter;
    sem_t large_refreshes; /* GW_MAX_CONCURRENT_LARGE_REFRESHES permits */
    gw_route_data route_data[GW_ROUTE_COUNT];
    cm_http_route routes[GW_ROUTE_COUNT];
    size_t route_count;
};

void gw_route_refresh(cm_http_request *request, void *data);
void gw_route_job(cm_http_request *request, void *data);
void gw_route_job_list(cm_http_request *request, void *data);

#endif
