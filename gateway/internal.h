/*
 * internal.h - what the gateway's route files share. Not for other parts.
 */
#ifndef GW_INTERNAL_H
#define GW_INTERNAL_H

#include "gateway/auth.h"

#include <semaphore.h>
#include "gateway/gateway.h"
#include "gateway/validate.h"

#define GW_ROUTE_COUNT 64

typedef struct gw_route_data {
    struct gw_gateway *gateway;
    gw_package package;
    int modern; /* modern job list parameters (locationCode, limit, types) */
} gw_route_data;

struct gw_gateway {
    const cm_config *config;
    q_store *store;
    q_pool *pool;
    q_delivery *delivery;
    gw_rate_limiter *limiter;
    sem_t large_refreshes; /* GW_MAX_CONCURRENT_LARGE_REFRESHES permits */
    gw_route_data route_data[GW_ROUTE_COUNT];
    cm_http_route routes[GW_ROUTE_COUNT];
    size_t route_count;
};

void gw_route_refresh(cm_http_request *request, void *data);
void gw_route_adjust(cm_http_request *request, void *data);
void gw_route_sync_adjust(cm_http_request *request, void *data);
void gw_route_smart_refresh(cm_http_request *request, void *data);
void gw_route_smart_adjust(cm_http_request *request, void *data);
void gw_route_inquiry(cm_http_request *request, void *data);
void gw_route_aggregate(cm_http_request *request, void *data);

/* The prelude of a route with a JSON body: authenticates (answering refusals itself), checks the
 * content type (415), and takes the large-body permit when the body is large. NULL when it has
 * answered; else the tenant, with *body and *length set: call gw_json_request_end(gateway, *large). */
const cm_tenant *gw_json_request(cm_http_request *request, gw_route_data *route, const char **body, size_t *length,
                                 int *large);
void gw_json_request_end(gw_gateway *gateway, int large);

/* Answers a validation result that is not 0 (-1 problems, -2 memory, -3 not JSON) and returns -1;
 * returns 0 for a valid request (nothing answered). */
int gw_reply_invalid(cm_http_request *request, cm_err valid, gw_problems *problems, const char *parse_error);

/* Waits up to `wait_ms` for a job to finish: 0 finished (*out filled: q_job_clear it), 1 still
 * running (nothing to clear), -1 store error. The job keeps its place in the tenant's order: the
 * caller only waits, it never runs anything itself. */
int gw_wait_job(gw_gateway *gateway, int64_t tenant_id, int64_t job_id, int64_t wait_ms, q_job *out);

/* Reads OCI for `inquiry` and answers 200 with the rows (aggregate rows when `aggregate`), or
 * answers 502/503 when OCI cannot be read. 0 when the rows were sent. */
struct gw_inquiry;
int gw_answer_rows(cm_http_request *request, gw_gateway *gateway, const cm_tenant *tenant,
                   const struct gw_inquiry *inquiry, int aggregate);

/* The smart-refresh / smart-adjust answer for a stored job: at most GW_SMART_SYNC_MAX_ITEMS items
 * wait for the job (bounded) and answer {"method": "sync", "jobID", "status"}; larger requests,
 * or a wait that ran out, answer {"method": "async", "jobID"}. */
/* Answers 200 {"jobID": n} from a buffer on the stack: the job is stored, so the answer must not
 * depend on an allocation that could fail (MHD's copy of the text is its own). */
void gw_reply_job_id(cm_http_request *request, int64_t job_id);

void gw_reply_smart(cm_http_request *request, gw_gateway *gateway, const cm_tenant *tenant, int64_t job_id,
                    size_t item_count);

/* application/json, in any case, with any parameters. */
int gw_is_json_content_type(const char *value);

/* Stores a validated request (taken over and cleared) as a job of `type` and wakes the workers.
 * Returns 0 with *job_id set, or -1 after replying 503 (disk full, store unavailable). */
int gw_store_job(cm_http_request *request, gw_gateway *gateway, const cm_tenant *tenant, q_job_type type,
                 gw_refresh *validated, int64_t *job_id);
void gw_route_job(cm_http_request *request, void *data);
void gw_route_job_list(cm_http_request *request, void *data);

#endif
