/*
 * queue_fixture.h - the queue tests' shared rig (tests/unit/test_queue_*.c): a store on a real
 * SQLite file or on a real PostgreSQL server the test process starts once (tests/support/pg_server.h,
 * one database per test), a worker pool over it, and a delivery that records every chunk, applies it
 * to an in-memory map, counts double applies and fails on demand. Fails the test on any error.
 *
 * A test executable runs each behaviour on both backends with QF_ON_BOTH, and ends its group with
 * qf_group_teardown, which stops the PostgreSQL server if a test started it.
 */
#ifndef TEST_QUEUE_FIXTURE_H
#define TEST_QUEUE_FIXTURE_H

#include "tests/support/test_support.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "common/config.h"
#include "queue/store.h"
#include "queue/worker.h"
#include "tests/support/pg_server.h"

#define QF_MAX_CALLS 4096
#define QF_MAX_SKUS 20000
#define QF_RECORD_SLOTS 262144

/* ---- a delivery that records, applies to an in-memory map, and fails on demand ---- */

typedef struct qf_call {
    int64_t tenant_id, job_id, chunk_index;
    size_t record_count;
    size_t first_item_index;
    int64_t started_ms;
    char batch_key[160]; /* "" when the chunk was a job's own */
} qf_call;

typedef struct qf_delivery {
    q_delivery base;
    pthread_mutex_t lock;
    qf_call calls[QF_MAX_CALLS];
    size_t call_count;
    /* Scripted outcomes: the n-th call returns script[n] while n < script_length, then OK. */
    q_delivery_status script[64];
    int64_t script_retry_after[64];
    size_t script_length;
    int always_retry;
    int refuse_item_index; /* -1: none; else the item index refused in every job */
    int refuse_all;
    int64_t delay_ms;
    int concurrent, max_concurrent;
    int per_tenant_concurrent[8], max_per_tenant_concurrent;
    /* applied state: sku -> on hand (thousandths), and how often each record id was applied */
    char *skus[QF_MAX_SKUS * 4];
    int64_t on_hand[QF_MAX_SKUS * 4];
    size_t sku_count;
    size_t double_applies;
    char **record_ids; /* QF_RECORD_SLOTS slots */
    size_t record_id_count;
    atomic_int graph_changing; /* what graph_changing answers for org1 */
    size_t reads;             /* get-availability calls */
    size_t max_read_cells;    /* the largest sku × location count of one read */
    int64_t last_effective_ms; /* of the last record applied */
    int64_t last_safety_milli; /* of the last record applied */
} qf_delivery;

typedef struct qf_fixture {
    char dir[256];
    q_store_backend backend;
    char url[512]; /* PostgreSQL: this test's own database */
    q_store *store;
    cm_config *config;
    qf_delivery *delivery;
    q_pool *pool;
} qf_fixture;

/* The PostgreSQL server of this test process (started by the first PostgreSQL setup), and the
 * count of databases made on it (tests that make one of their own take the next number). */
extern th_pg qf_pg_server;
extern int qf_pg_started;
extern int qf_database_counter;

/* The type the next qf_accept_job* call gives its job (then back to REFRESH). */
extern q_job_type qf_next_job_type;
/* 1: the next qf_accept_job* call stores its chunks as an omsgw before the stored item form did
 * (a JSON array per chunk, cut by the caller), as jobs accepted before an upgrade are (then 0). */
extern int qf_next_job_legacy_rows;

/* A new recording delivery (destroy it through base.destroy). */
qf_delivery *qf_new_delivery(void);
/* The slot of `sku` in the delivery's applied map (made on first use; 0 until applied). */
int64_t *qf_on_hand_slot(qf_delivery *d, const char *sku);

/* cmocka setups: a fresh folder, a store on SQLite, on PostgreSQL, or on PostgreSQL with leases of
 * QF_SHORT_LEASE_MS; the parsed three-tenant configuration and a new delivery. */
int qf_setup_sqlite(void **state);
int qf_setup_pg(void **state);
int qf_setup_pg_short_lease(void **state);
/* Stops the pool, destroys the delivery, closes the store and removes the folder. */
int qf_teardown(void **state);
/* The group teardown: stops this process's PostgreSQL server if it was started. */
int qf_group_teardown(void **state);

/* Leases long enough for a loaded machine to make two calls inside one, short enough to wait out. */
#define QF_SHORT_LEASE_MS 2000

#define QF_ON_SQLITE(test) {"sqlite: " #test, test, qf_setup_sqlite, qf_teardown, NULL}
#define QF_ON_POSTGRESQL(test) {"postgresql: " #test, test, qf_setup_pg, qf_teardown, NULL}
#define QF_ON_BOTH(test) QF_ON_SQLITE(test), QF_ON_POSTGRESQL(test)
#define QF_ON_POSTGRESQL_SHORT_LEASE(test) {"postgresql: " #test, test, qf_setup_pg_short_lease, qf_teardown, NULL}

/* Opens another store on the fixture's database (PostgreSQL: what a second instance does). */
q_store *qf_open_store(qf_fixture *f, int64_t lease_ms);
/* Starts a pool of `workers` on `store` (backoff 20..100 ms, hold watch every 20 ms). */
q_pool *qf_start_pool_on(qf_fixture *f, q_store *store, int workers, int64_t budget_ms, int64_t idle_poll_ms);
/* Starts the fixture's own pool (f->pool) on its store, idle poll 20 ms. */
void qf_start_pool(qf_fixture *f, int workers, int64_t budget_ms);

/* Accepts a job of `count` items into `store`: sku "<prefix>-<i % distinct>", quantity base + i,
 * handed over in the stored form (translate/stored_items.h) for the queue to cut; returns its id. */
int64_t qf_accept_job_into(q_store *store, int64_t tenant, size_t count, const char *prefix, size_t distinct,
                           int64_t quantity_base, int64_t chunk_size);
/* qf_accept_job_into on the fixture's store. */
int64_t qf_accept_job(qf_fixture *f, int64_t tenant, size_t count, const char *prefix, size_t distinct,
                      int64_t quantity_base, int64_t chunk_size);
/* Accepts an ADJUST job of explicit items (a JSON array text) in one chunk. */
int64_t qf_accept_adjust(qf_fixture *f, int64_t tenant, const char *items_json, int64_t item_count);
/* Waits until the job is finished (SUCCESS or FAILED); returns it (caller clears). */
q_job qf_wait_finished(qf_fixture *f, int64_t tenant, int64_t job_id, int timeout_ms);
/* The on-hand value the delivery applied last for `sku` (thousandths; 0 if never). */
int64_t qf_on_hand_of(qf_fixture *f, const char *sku);

/* A checkpoint that finishes a claimed one-chunk job as SUCCESS with all its items applied. */
q_checkpoint qf_batch_checkpoint(const q_job *job, const char *token);
/* Clears and frees the member array q_store_claim_batch returned. */
void qf_free_members(q_job *members, size_t count);

#endif
