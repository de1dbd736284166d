/*
 * rig.h - the gateway in the test process, for the torture tests: the sample configuration, the
 * queue's SQLite store and the bundled OCI core in a fresh temporary folder, the gateway's routes
 * on a real HTTP server on a free loopback port, and (on request) the worker pool.
 *
 * Unlike `omsgw serve` the gateway is opened without the pool, so an accepted job waits until the
 * test wakes a worker with rig_work(): the test decides when the worker's allocations start.
 */
#ifndef TORTURE_RIG_H
#define TORTURE_RIG_H

#include <stdint.h>

#include "common/config.h"
#include "common/http_server.h"
#include "gateway/gateway.h"
#include "oci_core/oci_core.h"
#include "queue/store.h"
#include "queue/worker.h"

#define RIG_TENANT 12345
#define RIG_ORG "f_ecom_demo_001"
#define RIG_OCI_LOCATION "warehouse-1"

typedef struct rig {
    char dir[256];
    char data_dir[320];
    cm_config *config;
    q_store *store;
    oci_core *core;
    q_delivery *delivery;
    q_pool *pool;
    gw_gateway *gateway;
    cm_http_server *server;
    int port;
    char last_message[256]; /* the "message" of the last refresh's error answer */
} rig;

/* Opens everything but the pool (overrides as with --set, NULL-ended); fails the test otherwise. */
void rig_open(rig *r, const char *const *overrides);

/* Starts one worker with short back-off and no idle polling of its own. */
void rig_start_pool(rig *r);

/* Wakes the worker: a job waits. */
void rig_work(rig *r);

/* Closes everything and removes the folder. */
void rig_close(rig *r);

/* POSTs a refresh of `count` SKUs "<prefix>-i" with quantity base+i to Location 1 of the demo
 * tenant. Returns the HTTP status (0 when no answer came); *job_id is the jobID of a 200 (else 0),
 * *error_code the errorCode of an error answer (into a buffer of 64 bytes, "" when none). */
long rig_refresh(rig *r, const char *prefix, int count, long base, int64_t *job_id, char error_code[64]);

/* The job's status read from the store (the test thread's own reading, not over HTTP). */
q_status rig_job_status(rig *r, int64_t job_id);

/* Waits until the job is SUCCESS or FAILED (fails the test after `timeout_ms`). */
q_status rig_wait_job(rig *r, int64_t job_id, int timeout_ms);

/* All jobs in the store, whatever their status. */
int64_t rig_job_count(rig *r);

/* The on-hand count the core holds for SKU `sku` at Location 1 (-1 when there is no record). */
long rig_on_hand(rig *r, const char *sku);

#endif
