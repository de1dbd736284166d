/*
 * test_concurrency.c - many clients refreshing the same tenant and the same SKUs at once against
 * the real `omsgw serve`. Jobs of a tenant apply in jobID order, so once everything has run, each
 * SKU's on-hand in the OCI core must be the quantity of the last ACCEPTED job (highest jobID) that
 * named it, whatever order the requests raced in. A second tenant writes its own SKUs at the same
 * time, so two workers run in parallel throughout. Read from <data>/oci.db after a clean stop.
 */
#include "e2e_legacy.h"

#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <time.h>

#define CLIENTS 8
#define REQUESTS_PER_CLIENT 12
#define SKUS 60
#define MAX_JOBS (CLIENTS * REQUESTS_PER_CLIENT)
#define DRAIN_TIMEOUT_MS 120000

typedef struct sent_job {
    int64_t job_id;
    int tenant; /* 0: 12345, 1: 23456 */
    long quantity[SKUS]; /* -1: not in this job */
} sent_job;

typedef struct shared {
    const th_omsgw *server;
    pthread_mutex_t lock;
    sent_job jobs[MAX_JOBS];
    size_t job_count;
    int refused;     /* answers other than 200 */
    int transport;   /* transfers that failed */
} shared;

typedef struct client {
    shared *state;
    int index;
    unsigned seed;
} client;

static const char *const tenant_ids[2] = {"12345", "23456"};
static const char *const tenant_keys[2] = {DEMO_V5_KEY, "second-v5-key"};
static const char *const tenant_prefix[2] = {"RACE", "RACE2"};

static void *client_main(void *arg)
{
    client *self = arg;
    shared *state = self->state;
    for (int r = 0; r < REQUESTS_PER_CLIENT; r++) {
        /* Every third request of the odd clients goes to the second tenant. */
        int tenant = (self->index % 2 == 1 && r % 3 == 0) ? 1 : 0;
        sent_job job;
        memset(&job, 0, sizeof job);
        job.tenant = tenant;
        cm_body body;
        cm_body_init(&body, 1024 * 1024);
        cm_body_appendf(&body, "{\"locationName\":\"Location 1\",\"items\":[");
        int first = 1;
        for (int s = 0; s < SKUS; s++) {
            job.quantity[s] = -1;
            if (rand_r(&self->seed) % 3 == 0)
                continue; /* a random two thirds of the SKUs */
            /* Unique per (client, request, sku), so the winner is identifiable. */
            job.quantity[s] = (long)self->index * 100000 + r * 1000 + s;
            cm_body_appendf(&body, "%s{\"sku\":\"%s-%d\",\"quantity\":%ld}", first ? "" : ",", tenant_prefix[tenant], s,
                            job.quantity[s]);
            first = 0;
        }
        if (first) { /* never empty */
            job.quantity[0] = (long)self->index * 100000 + r * 1000;
            cm_body_appendf(&body, "{\"sku\":\"%s-0\",\"quantity\":%ld}", tenant_prefix[tenant], job.quantity[0]);
        }
        cm_body_appendf(&body, "]}");
        th_response response;
        int rc = e2e_call(state->server->gateway_port, "POST", "/api/v5/inventory/refresh", tenant_ids[tenant],
                          tenant_keys[tenant], body.data, &response);
        cm_body_free(&body);
        pthread_mutex_lock(&state->lock);
        if (rc != 0) {
            state->transport++;
        } else if (response.status == 200) {
            json_object *reply = th_json(&response);
            job.job_id = reply ? json_object_get_int64(json_object_object_get(reply, "jobID")) : 0;
            json_object_put(reply);
            if (job.job_id > 0 && state->job_count < MAX_JOBS)
                state->jobs[state->job_count++] = job;
            else
                state->refused++;
        } else {
            fprintf(stderr, "client %d: refresh answered %ld: %s\n", self->index, response.status, response.body);
            state->refused++;
        }
        pthread_mutex_unlock(&state->lock);
        th_response_free(&response);
    }
    return NULL;
}

static json_object *job_state(const th_omsgw *server, const sent_job *job)
{
    char path[96];
    snprintf(path, sizeof path, "/api/v1/queue/%" PRId64, job->job_id);
    th_response response;
    assert_int_equal(e2e_call(server->gateway_port, "GET", path, tenant_ids[job->tenant], tenant_keys[job->tenant],
                              NULL, &response),
                     0);
    assert_int_equal(response.status, 200);
    json_object *reply = th_json(&response);
    th_response_free(&response);
    return reply;
}

static void test_racing_clients_end_in_last_accepted_state(void **state_unused)
{
    (void)state_unused;
    th_omsgw server;
    th_omsgw_prepare(&server, NULL);
    const char *args[] = {"--set", "queue.workers=4", "--set", "queue.chunkSize=20", NULL};
    assert_int_equal(th_omsgw_launch(&server, args), 0);

    shared *state = calloc(1, sizeof *state);
    state->server = &server;
    pthread_mutex_init(&state->lock, NULL);
    pthread_t threads[CLIENTS];
    client clients[CLIENTS];
    unsigned seed = (unsigned)time(NULL);
    fprintf(stderr, "concurrency seed %u\n", seed);
    for (int c = 0; c < CLIENTS; c++) {
        clients[c] = (client){.state = state, .index = c, .seed = seed + (unsigned)c * 7919u};
        assert_int_equal(pthread_create(&threads[c], NULL, client_main, &clients[c]), 0);
    }
    for (int c = 0; c < CLIENTS; c++)
        pthread_join(threads[c], NULL);
    fprintf(stderr, "concurrency: %zu accepted, %d refused, %d transport failures\n", state->job_count,
            state->refused, state->transport);
    assert_int_equal(state->transport, 0);
    assert_int_equal(state->refused, 0);
    assert_int_equal(state->job_count, MAX_JOBS);

    /* Every accepted job ends SUCCESS, with all its items applied. */
    for (size_t j = 0; j < state->job_count; j++) {
        json_object *job = NULL;
        for (int waited = 0; waited < DRAIN_TIMEOUT_MS; waited += 50) {
            job = job_state(&server, &state->jobs[j]);
            const char *status = json_object_get_string(json_object_object_get(job, "status"));
            if (strcmp(status, "SUCCESS") == 0 || strcmp(status, "FAILED") == 0)
                break;
            json_object_put(job);
            job = NULL;
            usleep(50000);
        }
        if (!job)
            fail_msg("job %" PRId64 " did not finish", state->jobs[j].job_id);
        if (strcmp(json_object_get_string(json_object_object_get(job, "status")), "SUCCESS") != 0 ||
            !json_object_get_boolean(json_object_object_get(job, "success")))
            fail_msg("job %" PRId64 " ended %s", state->jobs[j].job_id, json_object_to_json_string(job));
        json_object_put(job);
    }
    assert_int_equal(th_omsgw_stop(&server, SIGTERM, 10000), 0);

    /* The expected state: per tenant and SKU, the quantity of the highest accepted jobID naming it. */
    long expected[2][SKUS];
    int64_t winner[2][SKUS];
    for (int t = 0; t < 2; t++)
        for (int s = 0; s < SKUS; s++) {
            expected[t][s] = -1;
            winner[t][s] = 0;
        }
    for (size_t j = 0; j < state->job_count; j++) {
        const sent_job *job = &state->jobs[j];
        for (int s = 0; s < SKUS; s++)
            if (job->quantity[s] >= 0 && job->job_id > winner[job->tenant][s]) {
                winner[job->tenant][s] = job->job_id;
                expected[job->tenant][s] = job->quantity[s];
            }
    }

    char path[400];
    snprintf(path, sizeof path, "%s/oci.db", server.data_dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *stmt = NULL;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT on_hand FROM records WHERE org = 'f_ecom_demo_001'"
                                        " AND location = 'warehouse-1' AND sku = ?1",
                                        -1, &stmt, NULL),
                     SQLITE_OK);
    size_t checked = 0, mismatches = 0;
    for (int t = 0; t < 2; t++) {
        for (int s = 0; s < SKUS; s++) {
            if (expected[t][s] < 0)
                continue;
            char sku[32];
            snprintf(sku, sizeof sku, "%s-%d", tenant_prefix[t], s);
            sqlite3_reset(stmt);
            sqlite3_bind_text(stmt, 1, sku, -1, SQLITE_TRANSIENT);
            assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
            long on_hand = (long)(sqlite3_column_int64(stmt, 0) / 1000);
            if (on_hand != expected[t][s]) {
                fprintf(stderr, "%s: on hand %ld, last accepted job %" PRId64 " sent %ld\n", sku, on_hand,
                        winner[t][s], expected[t][s]);
                mismatches++;
            }
            checked++;
        }
    }
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    fprintf(stderr, "concurrency: %zu SKUs checked, %zu mismatches\n", checked, mismatches);
    assert_int_equal(mismatches, 0);
    assert_true(checked >= SKUS);
    pthread_mutex_destroy(&state->lock);
    free(state);
    th_omsgw_cleanup(&server);
}

int main(void)
{
    /* libcurl's global set-up is not thread-safe: do it once before the clients start. */
    curl_global_init(CURL_GLOBAL_ALL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_racing_clients_end_in_last_accepted_state),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return failed;
}
