/*
 * omsgw_bench.c - the gateway's figures side by side with this machine's ceilings.
 *
 * Starts real `omsgw serve` processes on loopback, drives them with its own libcurl load generator,
 * measures each figure over several runs together with a ceiling measured in the same run by a
 * minimal program (ceilings.h), and prints a table and writes it as JSON (see bench/README.md).
 *
 *   omsgw_bench --omsgw PATH --source DIR [--quick | --tiny] [--runs N] [--out FILE] [--only PARTS]
 *
 * --only takes a comma-separated list of parts (answer, apply, growth, small, http, import,
 * storage) and measures only those; the other figures are reported as not measured.
 */
#define _GNU_SOURCE
#include "bench/bench_util.h"
#include "bench/ceilings.h"
#include "tests/support/pg_server.h"

#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define MAX_RUNS 9
#define GATEWAY_HEADERS {"x-vol-tenant: 12345", "Authorization: Bearer demo-v5-key", NULL}
#define OCI_HEADERS {"Authorization: Bearer demo-oci-token", NULL}
#define ORG "f_ecom_demo_001"

typedef struct sizes {
    const char *mode;
    int runs;
    int answer_requests;   /* 12000-item refreshes timed per run */
    int apply_jobs;        /* jobs of 12000 items for the apply figures */
    int apply_items;       /* items per apply job */
    int small_requests;    /* 1-item refreshes over 32 connections */
    int connections;
    int import_records;    /* lines of the gzip import, and records for get-availability */
    int availability_queries;
    int growth_reps;
} sizes;

static const sizes FULL = {"full", 5, 20, 20, 12000, 6400, 32, 1000000, 2000, 3};
static const sizes QUICK = {"quick", 3, 10, 10, 12000, 3200, 32, 200000, 1000, 2};
static const sizes TINY = {"tiny", 1, 2, 2, 3000, 320, 32, 5000, 50, 1};

typedef struct figure {
    const char *name;
    const char *unit;
    const char *ceiling_name;
    int higher_is_better;
    int absolute; /* no ceiling: the target is on the value itself */
    double target;
    double values[MAX_RUNS];
    double ceilings[MAX_RUNS];
    int count;
    int available;
    char note[200];
} figure;

enum {
    F_ANSWER_P50,
    F_ANSWER_P99,
    F_APPLY_BUNDLED,
    F_APPLY_HTTP,
    F_SMALL_RPS,
    F_AVAIL_P50,
    F_AVAIL_P99,
    F_IMPORT,
    F_RSS,
    F_APPLY_TWO_TENANTS_SQLITE,
    F_APPLY_TWO_TENANTS_PG,
    F_APPLY_TWO_TENANTS_PG2,
    F_SMALL_RPS_PG,
    F_SMALL_RPS_PG2,
    F_SMALL_APPLY,
    F_SMALL_RPS_HELD,
    F_COUNT
};

/* Targets: issue 16 ("Close to the machine's limits"), as bench/README.md lists them. */
static figure figures[F_COUNT] = {
    {"refresh_12000_answer_p50", "ms", "json-c parse + one durable SQLite commit of the body", 0, 0, 1.5, {0}, {0}, 0, 1, ""},
    {"refresh_12000_answer_p99", "ms", "json-c parse + one durable SQLite commit of the body", 0, 0, 2.0, {0}, {0}, 0, 1, ""},
    {"apply_items_per_second_bundled", "items/s", "SQLite prepared upserts, 3000-row transactions", 1, 0, 0.25, {0}, {0}, 0, 1, ""},
    {"apply_items_per_second_http", "items/s", "SQLite prepared upserts, 3000-row transactions", 1, 0, 0.15, {0}, {0}, 0, 1, ""},
    {"small_refresh_requests_per_second_32conn", "req/s", "bare libmicrohttpd handler + one synchronous=FULL commit per request", 1, 0, 1.0, {0}, {0}, 0, 1, ""},
    {"get_availability_100_combinations_p50", "ms", NULL, 0, 1, 0, {0}, {0}, 0, 1, "report only"},
    {"get_availability_100_combinations_p99", "ms", NULL, 0, 1, 5.0, {0}, {0}, 0, 1, ""},
    {"import_gzip_records_per_second", "records/s", "SQLite prepared upserts, 3000-row transactions", 1, 0, 0.3, {0}, {0}, 0, 1, ""},
    {"peak_rss_above_idle_applying_12000_item_jobs", "MiB", NULL, 0, 1, 32.0, {0}, {0}, 0, 1, ""},
    /* Storage backends side by side (report only: no target yet). Two tenants, so that two
     * instances have work to share; the same workload on SQLite for comparison. */
    {"apply_items_per_second_bundled_two_tenants_sqlite", "items/s", "SQLite prepared upserts, 3000-row transactions", 1, 0, 0, {0}, {0}, 0, 1, ""},
    {"apply_items_per_second_bundled_two_tenants_postgresql", "items/s", "SQLite prepared upserts, 3000-row transactions", 1, 0, 0, {0}, {0}, 0, 1, ""},
    {"apply_items_per_second_bundled_two_tenants_postgresql_2_instances", "items/s", "SQLite prepared upserts, 3000-row transactions", 1, 0, 0, {0}, {0}, 0, 1, ""},
    {"small_refresh_requests_per_second_32conn_postgresql", "req/s", "bare libmicrohttpd handler + one synchronous=FULL commit per request", 1, 0, 0, {0}, {0}, 0, 1, ""},
    {"small_refresh_requests_per_second_32conn_postgresql_2_instances", "req/s", "bare libmicrohttpd handler + one synchronous=FULL commit per request", 1, 0, 0, {0}, {0}, 0, 1, ""},
    /* The same small refreshes, first request → the last of them SUCCESS: what the queue applies
     * while they arrive (coalesced deliveries, queue/worker.c). Report only. */
    {"small_jobs_applied_per_second_32conn", "jobs/s", "bare libmicrohttpd handler + one synchronous=FULL commit per request", 1, 0, 0, {0}, {0}, 0, 1, ""},
    /* The same small refreshes with the tenant's deliveries held (`omsgw hold`): acceptance alone,
     * no worker sharing the two cores. Report only: it says how much of the gap to the ceiling is
     * the work of applying the jobs rather than the request path. */
    {"small_refresh_requests_per_second_32conn_delivery_held", "req/s", "bare libmicrohttpd handler + one synchronous=FULL commit per request", 1, 0, 0, {0}, {0}, 0, 1, ""},
};

static const int GROWTH_SIZES[] = {1, 100, 3000, 3001, 6000, 6001, 12000};
#define GROWTH_COUNT (sizeof GROWTH_SIZES / sizeof GROWTH_SIZES[0])
static double growth_answer[GROWTH_COUNT][MAX_RUNS * 3], growth_apply[GROWTH_COUNT][MAX_RUNS * 3];
static int growth_count[GROWTH_COUNT];

static const char *omsgw_path;
static const char *only_parts; /* --only: NULL measures every part */

/* 1 when `part` is to be measured (--only). */
static int selected(const char *part)
{
    if (!only_parts)
        return 1;
    size_t length = strlen(part);
    for (const char *p = only_parts; *p;) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == length && strncmp(p, part, n) == 0)
            return 1;
        p += n + (end ? 1 : 0);
    }
    return 0;
}
static const char *source_dir;
static char work_dir[256];

static void record(int index, double value, double ceiling)
{
    figure *f = &figures[index];
    if (f->count < MAX_RUNS) {
        f->values[f->count] = value;
        f->ceilings[f->count] = ceiling;
        f->count++;
    }
}

/* A refresh body of `count` items with the fields a real WMS sends (about 170 bytes an item). */
static char *refresh_body(int count, int sku_offset, int quantity_seed, size_t *length)
{
    size_t capacity = (size_t)count * 220 + 128;
    char *body = malloc(capacity);
    size_t used = (size_t)snprintf(body, capacity, "{\"locationName\":\"Location 1\",\"items\":[");
    for (int i = 0; i < count; i++)
        used += (size_t)snprintf(body + used, capacity - used,
                                 "%s{\"sku\":\"SKU-%07d\",\"partNumber\":\"PN-%07d\",\"upc\":\"0%011d\","
                                 "\"quantity\":%d,\"binID\":%d,\"safetyStock\":%d,\"floor\":1,"
                                 "\"retailPrice\":19.99,\"inventoryLocatorName\":\"Aisle %d\"}",
                                 i ? "," : "", sku_offset + i, sku_offset + i, sku_offset + i,
                                 (quantity_seed + i) % 5000, 1 + i % 40, i % 5, i % 30);
    used += (size_t)snprintf(body + used, capacity - used, "]}");
    *length = used;
    return body;
}

static long long post_refresh(bench_client *client, const bench_server *server, const char *body, size_t length,
                              double *answer_ms)
{
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/api/v5/inventory/refresh", server->gateway_port);
    bench_reply reply;
    double start = bench_now_ms();
    if (bench_request(client, "POST", url, body, length, "application/json", &reply) != 0 || reply.status != 200) {
        fprintf(stderr, "bench: refresh failed (%ld): %.200s\n", reply.status, reply.body);
        return -1;
    }
    if (answer_ms)
        *answer_ms = bench_now_ms() - start;
    const char *id = strstr(reply.body, "\"jobID\":");
    return id ? atoll(id + 8) : -1;
}

/* Polls a job until SUCCESS/FAILED; returns the time it finished (bench_now_ms) or -1. */
static double wait_job(bench_client *client, const bench_server *server, long long job_id, int poll_us)
{
    char url[160];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/api/v1/queue/%lld", server->gateway_port, job_id);
    for (int i = 0; i < 600000000 / (poll_us > 0 ? poll_us : 1); i++) {
        bench_reply reply;
        if (bench_request(client, "GET", url, NULL, 0, NULL, &reply) != 0)
            return -1;
        if (strstr(reply.body, "\"status\":\"SUCCESS\""))
            return bench_now_ms();
        if (strstr(reply.body, "\"status\":\"FAILED\"")) {
            fprintf(stderr, "bench: job %lld FAILED: %.300s\n", job_id, reply.body);
            return -1;
        }
        usleep((useconds_t)poll_us);
    }
    return -1;
}

/* ---- the load generator: N requests over C connections ---- */

typedef struct load_worker {
    pthread_t thread;
    int port;
    const char *path;
    int first, count;
    int failures;
} load_worker;

static void *load_main(void *data)
{
    load_worker *worker = data;
    const char *headers[] = GATEWAY_HEADERS;
    bench_client client;
    bench_client_init(&client, headers);
    char url[160];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", worker->port, worker->path);
    for (int i = 0; i < worker->count; i++) {
        char body[160];
        int length = snprintf(body, sizeof body,
                              "{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"SMALL-%07d\",\"quantity\":%d}]}",
                              worker->first + i, i % 100);
        bench_reply reply;
        if (bench_request(&client, "POST", url, body, (size_t)length, "application/json", &reply) != 0 ||
            reply.status != 200)
            worker->failures++;
    }
    bench_client_free(&client);
    return NULL;
}

/* Returns requests per second, or -1 when any request failed. The connections are spread over the
 * `port_count` servers in turn. */
static double drive_small_refreshes_on(const int *ports, int port_count, const char *path, int requests,
                                       int connections)
{
    load_worker *workers = calloc((size_t)connections, sizeof *workers);
    int per = requests / connections;
    double start = bench_now_ms();
    for (int c = 0; c < connections; c++) {
        workers[c] = (load_worker){.port = ports[c % port_count], .path = path, .first = c * per, .count = per};
        pthread_create(&workers[c].thread, NULL, load_main, &workers[c]);
    }
    int failures = 0;
    for (int c = 0; c < connections; c++) {
        pthread_join(workers[c].thread, NULL);
        failures += workers[c].failures;
    }
    double elapsed = bench_now_ms() - start;
    free(workers);
    if (failures) {
        fprintf(stderr, "bench: %d small refreshes failed\n", failures);
        return -1;
    }
    return (double)(per * connections) / (elapsed / 1000.0);
}

static double drive_small_refreshes(int port, const char *path, int requests, int connections)
{
    return drive_small_refreshes_on(&port, 1, path, requests, connections);
}

/* ---- one run of the gateway figures on a bundled server ---- */

static int run_gateway_figures(const sizes *size, int run)
{
    bench_server server;
    if (bench_server_start(&server, omsgw_path, source_dir, NULL) != 0)
        return -1;
    const char *headers[] = GATEWAY_HEADERS;
    bench_client client;
    bench_client_init(&client, headers);
    usleep(200000);
    long idle_kib = bench_rss_kib(server.pid);

    /* Answer time of 12000-item refreshes, and its ceiling on the same body. */
    size_t length = 0;
    char *body = refresh_body(12000, 0, run, &length);
    int answer_requests = selected("answer") ? size->answer_requests : 0;
    double *answers = calloc((size_t)size->answer_requests, sizeof *answers);
    long long last_job = -1;
    for (int i = 0; i < answer_requests; i++) {
        last_job = post_refresh(&client, &server, body, length, &answers[i]);
        if (last_job < 0)
            return -1;
    }
    if (answer_requests) {
        double ceiling =
            ceiling_parse_and_commit(work_dir, body, length, size->answer_requests > 5 ? size->answer_requests : 5);
        record(F_ANSWER_P50, bench_percentile(answers, (size_t)size->answer_requests, 50), ceiling);
        record(F_ANSWER_P99, bench_percentile(answers, (size_t)size->answer_requests, 99), ceiling);
    }
    free(answers);
    free(body);
    if (answer_requests && wait_job(&client, &server, last_job, 20000) < 0)
        return -1;

    /* Items applied per second, first answer → last SUCCESS, bundled delivery. */
    double first_answer = -1;
    for (int j = 0; j < size->apply_jobs && selected("apply"); j++) {
        body = refresh_body(size->apply_items, 0, 1000 + j, &length);
        double start = bench_now_ms();
        last_job = post_refresh(&client, &server, body, length, NULL);
        free(body);
        if (last_job < 0)
            return -1;
        if (first_answer < 0)
            first_answer = start;
    }
    if (selected("apply")) {
        double done = wait_job(&client, &server, last_job, 2000);
        if (done < 0)
            return -1;
        double total = (double)size->apply_jobs * size->apply_items;
        record(F_APPLY_BUNDLED, total / ((done - first_answer) / 1000.0),
               ceiling_upserts(work_dir, (size_t)total, (size_t)size->apply_items, 3000));
        long peak_kib = bench_peak_rss_kib(server.pid);
        record(F_RSS, (double)(peak_kib - idle_kib) / 1024.0, 0);
    }

    /* How cost grows with size, on an idle server. */
    for (size_t g = 0; g < GROWTH_COUNT && run == 0 && selected("growth"); g++) {
        for (int rep = 0; rep < size->growth_reps; rep++) {
            body = refresh_body(GROWTH_SIZES[g], 500000, rep, &length);
            double answer = 0;
            double start = bench_now_ms();
            long long job = post_refresh(&client, &server, body, length, &answer);
            free(body);
            double finished = job < 0 ? -1 : wait_job(&client, &server, job, 500);
            if (finished < 0)
                return -1;
            growth_answer[g][growth_count[g]] = answer;
            growth_apply[g][growth_count[g]] = finished - start - answer;
            growth_count[g]++;
        }
    }

    /* Small refreshes over 32 connections, against the bare handler as the ceiling; then one more,
     * whose SUCCESS (the tenant's jobs run in order) says when all of them were applied. */
    if (selected("small")) {
        double small_start = bench_now_ms();
        double rps = drive_small_refreshes(server.gateway_port, "/api/v5/inventory/refresh", size->small_requests,
                                           size->connections);
        static const char last_small[] =
            "{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"SMALL-LAST\",\"quantity\":1}]}";
        long long last_small_job = rps > 0 ? post_refresh(&client, &server, last_small, strlen(last_small), NULL) : -1;
        double small_done = last_small_job < 0 ? -1 : wait_job(&client, &server, last_small_job, 2000);
        int small_jobs = size->small_requests / size->connections * size->connections + 1;
        int bare_port = ceiling_server_start(work_dir, 4);
        double bare_rps =
            bare_port > 0 ? drive_small_refreshes(bare_port, "/", size->small_requests, size->connections) : -1;
        ceiling_server_stop();
        if (rps > 0 && bare_rps > 0)
            record(F_SMALL_RPS, rps, bare_rps);
        if (small_done > 0 && bare_rps > 0)
            record(F_SMALL_APPLY, small_jobs / ((small_done - small_start) / 1000.0), bare_rps);
        /* Acceptance alone: the tenant held while the same refreshes arrive, released after. */
        char command[1200];
        snprintf(command, sizeof command,
                 "'%s' hold --tenant 12345 --reason bench --config '%s/omsgw.json' --data-dir '%s' >/dev/null",
                 omsgw_path, server.dir, server.data_dir);
        if (bare_rps > 0 && system(command) == 0) {
            double held_rps = drive_small_refreshes(server.gateway_port, "/api/v5/inventory/refresh",
                                                    size->small_requests, size->connections);
            snprintf(command, sizeof command,
                     "'%s' release --tenant 12345 --config '%s/omsgw.json' --data-dir '%s' >/dev/null", omsgw_path,
                     server.dir, server.data_dir);
            int released = system(command) == 0;
            long long last_held = released && held_rps > 0
                                      ? post_refresh(&client, &server, last_small, strlen(last_small), NULL)
                                      : -1;
            if (last_held < 0 || wait_job(&client, &server, last_held, 2000) < 0)
                return -1;
            record(F_SMALL_RPS_HELD, held_rps, bare_rps);
        }
    }

    bench_client_free(&client);
    bench_server_stop(&server);
    return 0;
}

/* ---- http delivery to the bundled core over loopback ---- */

static int run_http_figure(const sizes *size)
{
    const char *overrides[] = {"delivery.mode=\"http\"", "delivery.baseUrl=\"http://127.0.0.1:{oci_port}\"",
                               "delivery.token=\"demo-oci-token\"", NULL};
    bench_server server;
    if (bench_server_start(&server, omsgw_path, source_dir, overrides) != 0) {
        figures[F_APPLY_HTTP].available = 0;
        snprintf(figures[F_APPLY_HTTP].note, sizeof figures[F_APPLY_HTTP].note,
                 "http delivery did not start in this build");
        return 0;
    }
    const char *headers[] = GATEWAY_HEADERS;
    bench_client client;
    bench_client_init(&client, headers);
    double first_answer = -1;
    long long last_job = -1;
    for (int j = 0; j < size->apply_jobs; j++) {
        size_t length;
        char *body = refresh_body(size->apply_items, 0, 2000 + j, &length);
        double start = bench_now_ms();
        last_job = post_refresh(&client, &server, body, length, NULL);
        free(body);
        if (last_job < 0)
            return -1;
        if (first_answer < 0)
            first_answer = start;
    }
    double done = wait_job(&client, &server, last_job, 2000);
    bench_client_free(&client);
    bench_server_stop(&server);
    if (done < 0)
        return -1;
    double total = (double)size->apply_jobs * size->apply_items;
    record(F_APPLY_HTTP, total / ((done - first_answer) / 1000.0),
           ceiling_upserts(work_dir, (size_t)total, (size_t)size->apply_items, 3000));
    return 0;
}

/* ---- the storage backends side by side ---- */

static th_pg bench_pg;
static int bench_pg_state; /* 0 not tried, 1 running, -1 unavailable */
static int bench_pg_databases;

/* A fresh database on the benchmark's own PostgreSQL (fsync on, as in production); 0 or -1. */
static int pg_database(char *url, size_t size)
{
    if (bench_pg_state == 0)
        bench_pg_state = th_pg_available() && th_pg_start(&bench_pg, 1) == 0 ? 1 : -1;
    if (bench_pg_state < 0)
        return -1;
    char name[32];
    snprintf(name, sizeof name, "bench_%d", ++bench_pg_databases);
    return th_pg_create_database(&bench_pg, name, url, size);
}

/* Starts `count` instances sharing `url` (NULL: each on its own SQLite); 0 or -1. */
static int start_instances(bench_server *servers, int count, const char *url)
{
    char url_override[600];
    snprintf(url_override, sizeof url_override, "storage.url=\"%s\"", url ? url : "");
    const char *overrides[] = {"storage.backend=\"postgresql\"", url_override, NULL};
    for (int i = 0; i < count; i++)
        if (bench_server_start(&servers[i], omsgw_path, source_dir, url ? overrides : NULL) != 0)
            return -1;
    return 0;
}

static void stop_instances(bench_server *servers, int count)
{
    for (int i = 0; i < count; i++)
        bench_server_stop(&servers[i]);
}

/* Items applied per second for jobs of two tenants in turn, sent to the instances in turn: first
 * answer → the last job of both tenants SUCCESS. */
static double apply_two_tenants(const sizes *size, bench_server *servers, int count)
{
    const char *headers[2][3] = {{"x-vol-tenant: 12345", "Authorization: Bearer demo-v5-key", NULL},
                                 {"x-vol-tenant: 23456", "Authorization: Bearer second-v5-key", NULL}};
    bench_client clients[2];
    for (int t = 0; t < 2; t++)
        bench_client_init(&clients[t], headers[t]);
    long long last[2] = {-1, -1};
    int last_server[2] = {0, 0};
    double first_answer = -1, done = 0;
    for (int j = 0; j < size->apply_jobs && done >= 0; j++) {
        int tenant = j % 2, instance = j % count;
        size_t length;
        char *body = refresh_body(size->apply_items, tenant * 1000000, 3000 + j, &length);
        double start = bench_now_ms();
        last[tenant] = post_refresh(&clients[tenant], &servers[instance], body, length, NULL);
        last_server[tenant] = instance;
        free(body);
        if (last[tenant] < 0)
            done = -1;
        if (first_answer < 0)
            first_answer = start;
    }
    for (int t = 0; t < 2 && done >= 0; t++) {
        if (last[t] < 0)
            continue;
        double finished = wait_job(&clients[t], &servers[last_server[t]], last[t], 2000);
        done = finished < 0 ? -1 : finished > done ? finished : done;
    }
    for (int t = 0; t < 2; t++)
        bench_client_free(&clients[t]);
    if (done < 0)
        return -1;
    return (double)size->apply_jobs * size->apply_items / ((done - first_answer) / 1000.0);
}

static void mark_unavailable(int index, const char *why)
{
    figures[index].available = 0;
    snprintf(figures[index].note, sizeof figures[index].note, "%s", why);
}

/* SQLite and PostgreSQL with the same two-tenant workload, then PostgreSQL with two instances;
 * small refreshes on PostgreSQL with one and two instances. Each next to this run's ceilings. */
static int run_storage_figures(const sizes *size)
{
    double total = (double)size->apply_jobs * size->apply_items;
    double upsert_ceiling = ceiling_upserts(work_dir, (size_t)total, (size_t)size->apply_items, 3000);
    bench_server servers[2];
    if (start_instances(servers, 1, NULL) != 0)
        return -1;
    double rate = apply_two_tenants(size, servers, 1);
    stop_instances(servers, 1);
    if (rate < 0)
        return -1;
    record(F_APPLY_TWO_TENANTS_SQLITE, rate, upsert_ceiling);

    const int pg_figures[] = {F_APPLY_TWO_TENANTS_PG, F_APPLY_TWO_TENANTS_PG2, F_SMALL_RPS_PG, F_SMALL_RPS_PG2};
    char url[512];
    for (int instances = 1; instances <= 2; instances++) {
        if (pg_database(url, sizeof url) != 0) {
            for (size_t i = 0; i < sizeof pg_figures / sizeof pg_figures[0]; i++)
                mark_unavailable(pg_figures[i], "no PostgreSQL server on this machine");
            return 0;
        }
        if (start_instances(servers, instances, url) != 0)
            return -1;
        rate = apply_two_tenants(size, servers, instances);
        int ports[2] = {servers[0].gateway_port, instances > 1 ? servers[1].gateway_port : 0};
        double rps = rate < 0 ? -1
                              : drive_small_refreshes_on(ports, instances, "/api/v5/inventory/refresh",
                                                         size->small_requests, size->connections);
        stop_instances(servers, instances);
        if (rate < 0 || rps < 0)
            return -1;
        int bare_port = ceiling_server_start(work_dir, 4);
        double bare_rps = bare_port > 0 ? drive_small_refreshes(bare_port, "/", size->small_requests, size->connections)
                                        : -1;
        ceiling_server_stop();
        record(instances == 1 ? F_APPLY_TWO_TENANTS_PG : F_APPLY_TWO_TENANTS_PG2, rate, upsert_ceiling);
        if (bare_rps > 0)
            record(instances == 1 ? F_SMALL_RPS_PG : F_SMALL_RPS_PG2, rps, bare_rps);
    }
    return 0;
}

/* ---- the gzip import of N records, then get-availability on them ---- */

static unsigned char *gzip_ndjson(int records, int run, size_t *out_length)
{
    z_stream stream;
    memset(&stream, 0, sizeof stream);
    deflateInit2(&stream, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    size_t capacity = (size_t)records * 60 + 1024, used = 0;
    unsigned char *out = malloc(capacity);
    char line[320];
    for (int i = 0; i < records; i++) {
        int length = snprintf(line, sizeof line,
                              "{\"recordId\":\"r%d-%08d\",\"sku\":\"SKU-%07d\",\"locationId\":\"%s\",\"onHand\":%d,"
                              "\"safetyStockCount\":%d,\"effectiveDate\":\"2026-11-25T10:00:00.000Z\"}\n",
                              run, i, i / 5,
                              (const char *[]){"warehouse-1", "warehouse-2", "store-downtown", "store-airport",
                                               "store-mall"}[i % 5],
                              i % 900, i % 3);
        stream.next_in = (unsigned char *)line;
        stream.avail_in = (unsigned)length;
        while (stream.avail_in > 0) {
            if (capacity - used < 65536) {
                capacity *= 2;
                out = realloc(out, capacity);
            }
            stream.next_out = out + used;
            stream.avail_out = (unsigned)(capacity - used);
            deflate(&stream, Z_NO_FLUSH);
            used = capacity - stream.avail_out;
        }
    }
    int status;
    do {
        if (capacity - used < 65536) {
            capacity *= 2;
            out = realloc(out, capacity);
        }
        stream.next_out = out + used;
        stream.avail_out = (unsigned)(capacity - used);
        status = deflate(&stream, Z_FINISH);
        used = capacity - stream.avail_out;
    } while (status != Z_STREAM_END);
    deflateEnd(&stream);
    *out_length = used;
    return out;
}

static const char *json_string_at(json_object *object, const char *key)
{
    json_object *value = NULL;
    return json_object_object_get_ex(object, key, &value) ? json_object_get_string(value) : NULL;
}

static int run_import_and_availability(const sizes *size, int run)
{
    bench_server server;
    if (bench_server_start(&server, omsgw_path, source_dir, NULL) != 0)
        return -1;
    const char *headers[] = OCI_HEADERS;
    bench_client client;
    bench_client_init(&client, headers);
    size_t gz_length;
    unsigned char *gz = gzip_ndjson(size->import_records, run, &gz_length);
    char url[512];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/inventory/impex/v1/organizations/" ORG "/availability-records/imports",
             server.oci_port);
    const char *submit = "{\"fileName\":\"bench.json.gz\",\"fileEncoding\":\"GZIP\",\"linkDuration\":60}";
    bench_reply reply;
    if (bench_request(&client, "POST", url, submit, strlen(submit), "application/json", &reply) != 0 ||
        reply.status != 200) {
        fprintf(stderr, "bench: import submit failed (%ld): %s\n", reply.status, reply.body);
        return -1;
    }
    json_object *submitted = json_tokener_parse(reply.body);
    char upload[512], status_url[512];
    snprintf(upload, sizeof upload, "http://127.0.0.1:%d%s", server.oci_port, json_string_at(submitted, "uploadLink"));
    snprintf(status_url, sizeof status_url, "http://127.0.0.1:%d%s", server.oci_port,
             json_string_at(submitted, "importStatusLink"));
    json_object_put(submitted);
    double start = bench_now_ms();
    if (bench_request(&client, "POST", upload, gz, gz_length, "application/octet-stream", &reply) != 0 ||
        reply.status != 200) {
        fprintf(stderr, "bench: upload failed (%ld): %s\n", reply.status, reply.body);
        return -1;
    }
    free(gz);
    double finished = -1;
    for (int i = 0; i < 600000; i++) {
        if (bench_request(&client, "GET", status_url, NULL, 0, NULL, &reply) != 0)
            return -1;
        if (strstr(reply.body, "\"status\":\"COMPLETED\"")) {
            finished = bench_now_ms();
            break;
        }
        if (strstr(reply.body, "\"status\":\"FAILED\"")) {
            fprintf(stderr, "bench: import FAILED: %s\n", reply.body);
            return -1;
        }
        usleep(5000);
    }
    if (finished < 0)
        return -1;
    record(F_IMPORT, size->import_records / ((finished - start) / 1000.0),
           ceiling_upserts(work_dir, (size_t)size->import_records, (size_t)size->import_records, 3000));

    /* get-availability: 20 SKUs x 5 locations = 100 combinations, random SKUs of the import. */
    snprintf(url, sizeof url,
             "http://127.0.0.1:%d/inventory/availability/v1/organizations/" ORG
             "/availability-records/actions/get-availability",
             server.oci_port);
    double *latencies = calloc((size_t)size->availability_queries, sizeof *latencies);
    unsigned seed = (unsigned)run * 7919u + 1;
    int sku_count = size->import_records / 5;
    for (int q = 0; q < size->availability_queries; q++) {
        char body[1024];
        size_t used = (size_t)snprintf(body, sizeof body, "{\"skus\":[");
        for (int s = 0; s < 20; s++)
            used += (size_t)snprintf(body + used, sizeof body - used, "%s\"SKU-%07d\"", s ? "," : "",
                                     (int)(rand_r(&seed) % (unsigned)sku_count));
        used += (size_t)snprintf(body + used, sizeof body - used,
                                 "],\"locations\":[\"warehouse-1\",\"warehouse-2\",\"store-downtown\","
                                 "\"store-airport\",\"store-mall\"]}");
        double t0 = bench_now_ms();
        if (bench_request(&client, "POST", url, body, used, "application/json", &reply) != 0 || reply.status != 200) {
            fprintf(stderr, "bench: get-availability failed (%ld): %.200s\n", reply.status, reply.body);
            return -1;
        }
        latencies[q] = bench_now_ms() - t0;
    }
    record(F_AVAIL_P50, bench_percentile(latencies, (size_t)size->availability_queries, 50), 0);
    record(F_AVAIL_P99, bench_percentile(latencies, (size_t)size->availability_queries, 99), 0);
    free(latencies);
    bench_client_free(&client);
    bench_server_stop(&server);
    return 0;
}

/* ---- output ---- */

static double median_of(const double *values, int count)
{
    return bench_percentile(values, (size_t)count, 50);
}

static double min_of(const double *values, int count)
{
    double m = values[0];
    for (int i = 1; i < count; i++)
        m = values[i] < m ? values[i] : m;
    return m;
}

static double max_of(const double *values, int count)
{
    double m = values[0];
    for (int i = 1; i < count; i++)
        m = values[i] > m ? values[i] : m;
    return m;
}

static json_object *number(double value)
{
    char text[64];
    snprintf(text, sizeof text, "%.4g", value);
    return json_object_new_double_s(value, text);
}

static int report(const sizes *size, const char *out_path)
{
    char date[32], model[160];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm);
    bench_cpu_model(model, sizeof model);
    json_object *root = json_object_new_object();
    json_object_object_add(root, "date", json_object_new_string(date));
    json_object *machine = json_object_new_object();
    json_object_object_add(machine, "cores", json_object_new_int(bench_cores()));
    json_object_object_add(machine, "model", json_object_new_string(model));
    json_object_object_add(root, "machine", machine);
    json_object_object_add(root, "mode", json_object_new_string(size->mode));
    json_object_object_add(root, "runs", json_object_new_int(size->runs));
    json_object *list = json_object_new_array();
    printf("\nomsgw benchmark — %s, %d cores (%s), mode %s, %d run(s)\n\n", date, bench_cores(), model, size->mode,
           size->runs);
    printf("%-66s %-9s %11s %11s %11s %12s %7s %8s %s\n", "figure", "unit", "median", "min", "max", "ceiling", "ratio",
           "target", "meets");
    int all_met = 1;
    for (int i = 0; i < F_COUNT; i++) {
        figure *f = &figures[i];
        json_object *entry = json_object_new_object();
        json_object_object_add(entry, "name", json_object_new_string(f->name));
        json_object_object_add(entry, "unit", json_object_new_string(f->unit));
        char target_text[32];
        if (f->target <= 0)
            snprintf(target_text, sizeof target_text, "report");
        else if (f->absolute)
            snprintf(target_text, sizeof target_text, "<= %g", f->target);
        else
            snprintf(target_text, sizeof target_text, "%s %gx", f->higher_is_better ? ">=" : "<=", f->target);
        json_object_object_add(entry, "target", json_object_new_string(target_text));
        if (!f->available || f->count == 0) {
            json_object_object_add(entry, "median", NULL);
            json_object_object_add(entry, "min", NULL);
            json_object_object_add(entry, "max", NULL);
            json_object_object_add(entry, "ceiling", NULL);
            json_object_object_add(entry, "ratio", NULL);
            json_object_object_add(entry, "meets", NULL);
            json_object_object_add(entry, "note", json_object_new_string(f->note[0] ? f->note : "not measured"));
            printf("%-66s %-9s %11s %11s %11s %12s %7s %8s %s\n", f->name, f->unit, "-", "-", "-", "-", "-",
                   target_text, f->note[0] ? f->note : "not measured");
            json_object_array_add(list, entry);
            continue;
        }
        double median = median_of(f->values, f->count);
        double ceiling = f->absolute ? 0 : median_of(f->ceilings, f->count);
        double ratio = f->absolute || ceiling <= 0 ? 0 : median / ceiling;
        int report_only = f->target <= 0; /* no target yet: the figure and its ratio are recorded */
        int meets = f->absolute ? (report_only || median <= f->target)
                                : f->higher_is_better ? ratio >= f->target : ratio <= f->target;
        if (!report_only)
            all_met = all_met && meets;
        json_object_object_add(entry, "median", number(median));
        json_object_object_add(entry, "min", number(min_of(f->values, f->count)));
        json_object_object_add(entry, "max", number(max_of(f->values, f->count)));
        json_object_object_add(entry, "ceiling", f->absolute ? NULL : number(ceiling));
        json_object_object_add(entry, "ceiling_is", f->ceiling_name ? json_object_new_string(f->ceiling_name) : NULL);
        json_object_object_add(entry, "ratio", f->absolute ? NULL : number(ratio));
        json_object_object_add(entry, "meets", report_only ? NULL : json_object_new_boolean(meets));
        json_object_array_add(list, entry);
        char ceiling_text[24] = "-", ratio_text[16] = "-";
        if (!f->absolute) {
            snprintf(ceiling_text, sizeof ceiling_text, "%.4g", ceiling);
            snprintf(ratio_text, sizeof ratio_text, "%.3g", ratio);
        }
        printf("%-66s %-9s %11.4g %11.4g %11.4g %12s %7s %8s %s\n", f->name, f->unit, median,
               min_of(f->values, f->count), max_of(f->values, f->count), ceiling_text, ratio_text, target_text,
               report_only ? "-" : meets ? "yes" : "NO");
    }
    json_object_object_add(root, "figures", list);

    printf("\nHow cost grows with size (median over %d rep(s), idle server):\n", size->growth_reps);
    printf("%8s %14s %20s\n", "items", "answer ms", "answer→SUCCESS ms");
    json_object *growth = json_object_new_array();
    for (size_t g = 0; g < GROWTH_COUNT; g++) {
        if (!growth_count[g])
            continue;
        double answer = median_of(growth_answer[g], growth_count[g]);
        double apply = median_of(growth_apply[g], growth_count[g]);
        printf("%8d %14.2f %20.2f\n", GROWTH_SIZES[g], answer, apply);
        json_object *entry = json_object_new_object();
        json_object_object_add(entry, "items", json_object_new_int(GROWTH_SIZES[g]));
        json_object_object_add(entry, "answer_ms", number(answer));
        json_object_object_add(entry, "apply_ms", number(apply));
        json_object_array_add(growth, entry);
    }
    json_object_object_add(root, "growth", growth);
    if (out_path) {
        FILE *file = fopen(out_path, "w");
        if (!file) {
            fprintf(stderr, "bench: cannot write %s\n", out_path);
            json_object_put(root);
            return -1;
        }
        fprintf(file, "%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        fclose(file);
        printf("\nwritten: %s\n", out_path);
    }
    printf("%s\n", all_met ? "every target met" : "some targets missed (see NO above)");
    json_object_put(root);
    return 0;
}

int main(int argc, char **argv)
{
    const sizes *size = &FULL;
    const char *out_path = NULL;
    int runs = 0;
    int gateway_only = 0;
    omsgw_path = "build/bench/app/omsgw";
    source_dir = ".";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0)
            size = &QUICK;
        else if (strcmp(argv[i], "--tiny") == 0)
            size = &TINY;
        else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
            out_path = argv[++i];
        else if (strcmp(argv[i], "--omsgw") == 0 && i + 1 < argc)
            omsgw_path = argv[++i];
        else if (strcmp(argv[i], "--source") == 0 && i + 1 < argc)
            source_dir = argv[++i];
        else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
            only_parts = argv[++i];
        else if (strcmp(argv[i], "--gateway-only") == 0)
            gateway_only = 1; /* the bundled server's figures only: short comparisons */
        else {
            fprintf(stderr,
                    "usage: %s [--quick|--tiny] [--runs N] [--gateway-only] [--out FILE] [--omsgw PATH] [--source DIR] "
                    "[--only PARTS]\n",
                    argv[0]);
            return 2;
        }
    }
    sizes chosen = *size;
    if (runs > 0)
        chosen.runs = runs > MAX_RUNS ? MAX_RUNS : runs;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const char *tmp = getenv("TMPDIR");
    snprintf(work_dir, sizeof work_dir, "%s/omsgw-bench-work-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(work_dir)) {
        perror("mkdtemp");
        return 1;
    }
    for (int run = 0; run < chosen.runs; run++) {
        int gateway = selected("answer") || selected("apply") || selected("growth") || selected("small");
        fprintf(stderr, "bench: run %d/%d: gateway figures\n", run + 1, chosen.runs);
        if (gateway && run_gateway_figures(&chosen, run) != 0)
            return 1;
        if (gateway_only)
            continue;
        fprintf(stderr, "bench: run %d/%d: http delivery\n", run + 1, chosen.runs);
        if (selected("http") && run_http_figure(&chosen) != 0)
            return 1;
        fprintf(stderr, "bench: run %d/%d: import and get-availability\n", run + 1, chosen.runs);
        if (selected("import") && run_import_and_availability(&chosen, run) != 0)
            return 1;
        fprintf(stderr, "bench: run %d/%d: storage backends\n", run + 1, chosen.runs);
        if (selected("storage") && run_storage_figures(&chosen) != 0)
            return 1;
    }
    if (bench_pg_state > 0)
        th_pg_cleanup(&bench_pg);
    int rc = report(&chosen, out_path);
    char command[400];
    snprintf(command, sizeof command, "rm -rf '%s'", work_dir);
    if (system(command) != 0)
        fprintf(stderr, "bench: could not remove %s\n", work_dir);
    curl_global_cleanup();
    return rc == 0 ? 0 : 1;
}
