/*
 * soak.c - mixed load against a real `omsgw serve` for a given time: refreshes of all sizes, job
 * polls and availability reads from several threads. Reports requests served, errors, and the
 * server's resident memory over time; fails (exit 1) on any failed request, any job not ending
 * SUCCESS, or memory that keeps growing after warm-up.
 *
 *   omsgw_soak --omsgw PATH --source DIR --seconds N
 */
#define _GNU_SOURCE
#include "bench/bench_util.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SENDERS 2
#define MAX_JOBS 200000
#define RSS_SAMPLES 10000
/* Flat memory: the end may exceed the warm-up peak by at most this much. */
#define RSS_GROWTH_ALLOWED_FRACTION 0.10
#define RSS_GROWTH_ALLOWED_KIB (4 * 1024)

static bench_server server;
static atomic_int stopping;
static atomic_long served, errors, refreshes, polls, reads, items_sent;
static long long job_ids[MAX_JOBS];
static atomic_int job_count;

static const int SIZES[] = {1, 1, 1, 10, 100, 100, 3000, 6001, 12000};

static char *refresh_body(int count, unsigned *seed, size_t *length)
{
    size_t capacity = (size_t)count * 120 + 128;
    char *body = malloc(capacity);
    size_t used = (size_t)snprintf(body, capacity, "{\"locationName\":\"Location 1\",\"items\":[");
    for (int i = 0; i < count; i++)
        used += (size_t)snprintf(body + used, capacity - used, "%s{\"sku\":\"SOAK-%06u\",\"quantity\":%u,\"binID\":%d}",
                                 i ? "," : "", rand_r(seed) % 50000, rand_r(seed) % 1000, 1 + i % 9);
    used += (size_t)snprintf(body + used, capacity - used, "]}");
    *length = used;
    return body;
}

static void *sender(void *data)
{
    unsigned seed = (unsigned)(uintptr_t)data * 7919u + 17;
    const char *headers[] = {"x-vol-tenant: 12345", "Authorization: Bearer demo-v5-key", NULL};
    bench_client client;
    bench_client_init(&client, headers);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/api/v5/inventory/refresh", server.gateway_port);
    while (!atomic_load(&stopping)) {
        int count = SIZES[rand_r(&seed) % (sizeof SIZES / sizeof SIZES[0])];
        size_t length;
        char *body = refresh_body(count, &seed, &length);
        bench_reply reply;
        int ok = bench_request(&client, "POST", url, body, length, "application/json", &reply) == 0 && reply.status == 200;
        free(body);
        atomic_fetch_add(&served, 1);
        atomic_fetch_add(&refreshes, 1);
        if (!ok) {
            atomic_fetch_add(&errors, 1);
            fprintf(stderr, "soak: refresh failed (%ld): %.200s\n", reply.status, reply.body);
            continue;
        }
        atomic_fetch_add(&items_sent, count);
        const char *id = strstr(reply.body, "\"jobID\":");
        int slot = atomic_fetch_add(&job_count, 1);
        if (id && slot < MAX_JOBS)
            job_ids[slot] = atoll(id + 8);
        /* Legacy clients pace themselves a little; keep the queue from growing without bound. */
        usleep(count >= 3000 ? 1500000 : 5000);
    }
    bench_client_free(&client);
    return NULL;
}

static void *poller(void *data)
{
    (void)data;
    unsigned seed = 99;
    const char *headers[] = {"x-vol-tenant: 12345", "Authorization: Bearer demo-inv-key", NULL};
    bench_client client;
    bench_client_init(&client, headers);
    while (!atomic_load(&stopping)) {
        int count = atomic_load(&job_count);
        if (count == 0) {
            usleep(10000);
            continue;
        }
        char url[160];
        snprintf(url, sizeof url, "http://127.0.0.1:%d/inv/api/v1/queue/%lld", server.gateway_port,
                 job_ids[rand_r(&seed) % (unsigned)(count < MAX_JOBS ? count : MAX_JOBS)]);
        bench_reply reply;
        int ok = bench_request(&client, "GET", url, NULL, 0, NULL, &reply) == 0 && reply.status == 200;
        atomic_fetch_add(&served, 1);
        atomic_fetch_add(&polls, 1);
        if (!ok) {
            atomic_fetch_add(&errors, 1);
            fprintf(stderr, "soak: poll failed (%ld)\n", reply.status);
        }
        usleep(2000);
    }
    bench_client_free(&client);
    return NULL;
}

static void *reader(void *data)
{
    (void)data;
    unsigned seed = 4242;
    const char *headers[] = {"Authorization: Bearer demo-oci-token", NULL};
    bench_client client;
    bench_client_init(&client, headers);
    char url[256];
    snprintf(url, sizeof url,
             "http://127.0.0.1:%d/inventory/availability/v1/organizations/f_ecom_demo_001/availability-records/actions/"
             "get-availability",
             server.oci_port);
    while (!atomic_load(&stopping)) {
        char body[1024];
        size_t used = (size_t)snprintf(body, sizeof body, "{\"skus\":[");
        for (int s = 0; s < 20; s++)
            used += (size_t)snprintf(body + used, sizeof body - used, "%s\"SOAK-%06u\"", s ? "," : "", rand_r(&seed) % 50000);
        used += (size_t)snprintf(body + used, sizeof body - used,
                                 "],\"locations\":[\"warehouse-1\",\"warehouse-2\",\"store-downtown\",\"store-airport\"],"
                                 "\"groups\":[\"online\"]}");
        bench_reply reply;
        int ok = bench_request(&client, "POST", url, body, used, "application/json", &reply) == 0 && reply.status == 200;
        atomic_fetch_add(&served, 1);
        atomic_fetch_add(&reads, 1);
        if (!ok) {
            atomic_fetch_add(&errors, 1);
            fprintf(stderr, "soak: get-availability failed (%ld): %.200s\n", reply.status, reply.body);
        }
        usleep(2000);
    }
    bench_client_free(&client);
    return NULL;
}

int main(int argc, char **argv)
{
    const char *omsgw = "build/bench/app/omsgw", *source = ".";
    int seconds = 600;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--omsgw") == 0)
            omsgw = argv[i + 1];
        else if (strcmp(argv[i], "--source") == 0)
            source = argv[i + 1];
        else if (strcmp(argv[i], "--seconds") == 0)
            seconds = atoi(argv[i + 1]);
    }
    if (seconds < 10)
        seconds = 10;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (bench_server_start(&server, omsgw, source, NULL) != 0)
        return 1;
    long rss_start = bench_rss_kib(server.pid);
    pthread_t threads[SENDERS + 2];
    for (int i = 0; i < SENDERS; i++)
        pthread_create(&threads[i], NULL, sender, (void *)(uintptr_t)(i + 1));
    pthread_create(&threads[SENDERS], NULL, poller, NULL);
    pthread_create(&threads[SENDERS + 1], NULL, reader, NULL);

    double start = bench_now_ms();
    double warmup_end = start + seconds * 1000.0 * 0.2;
    long warmup_peak = 0, peak = 0, rss = 0;
    printf("%8s %12s %8s %10s\n", "seconds", "requests", "errors", "rss MiB");
    for (int tick = 1; bench_now_ms() - start < seconds * 1000.0; tick++) {
        sleep(1);
        rss = bench_rss_kib(server.pid);
        if (rss > peak)
            peak = rss;
        if (bench_now_ms() < warmup_end && rss > warmup_peak)
            warmup_peak = rss;
        if (tick % 10 == 0)
            printf("%8d %12ld %8ld %10.1f\n", tick, atomic_load(&served), atomic_load(&errors), rss / 1024.0);
        fflush(stdout);
    }
    atomic_store(&stopping, 1);
    for (int i = 0; i < SENDERS + 2; i++)
        pthread_join(threads[i], NULL);

    /* Every accepted job must end SUCCESS. A tenant's jobs run in order, so once the last one has
     * finished every earlier one has too; then each is checked once. */
    const char *headers[] = {"x-vol-tenant: 12345", "Authorization: Bearer demo-v5-key", NULL};
    bench_client client;
    bench_client_init(&client, headers);
    int total_jobs = atomic_load(&job_count) < MAX_JOBS ? atomic_load(&job_count) : MAX_JOBS;
    long long last_job = 0;
    for (int j = 0; j < total_jobs; j++)
        last_job = job_ids[j] > last_job ? job_ids[j] : last_job;
    double drain_deadline = bench_now_ms() + (seconds > 120 ? seconds : 120) * 1000.0;
    while (last_job && bench_now_ms() < drain_deadline) {
        char url[160];
        snprintf(url, sizeof url, "http://127.0.0.1:%d/api/v1/queue/%lld", server.gateway_port, last_job);
        bench_reply reply;
        if (bench_request(&client, "GET", url, NULL, 0, NULL, &reply) != 0 ||
            strstr(reply.body, "\"status\":\"SUCCESS\"") || strstr(reply.body, "\"status\":\"FAILED\""))
            break;
        usleep(100000);
    }
    double drained_ms = bench_now_ms();
    long not_success = 0;
    for (int j = 0; j < total_jobs; j++) {
        char url[160];
        snprintf(url, sizeof url, "http://127.0.0.1:%d/api/v1/queue/%lld", server.gateway_port, job_ids[j]);
        bench_reply reply;
        if (bench_request(&client, "GET", url, NULL, 0, NULL, &reply) != 0 || !strstr(reply.body, "\"status\":\"SUCCESS\"")) {
            not_success++;
            if (not_success <= 5)
                fprintf(stderr, "soak: job %lld did not end SUCCESS: %.200s\n", job_ids[j], reply.body);
        }
    }
    (void)drained_ms;
    bench_client_free(&client);
    long rss_end = bench_rss_kib(server.pid);
    bench_server_stop(&server);
    int flat = rss_end <= (long)(warmup_peak * (1.0 + RSS_GROWTH_ALLOWED_FRACTION)) + RSS_GROWTH_ALLOWED_KIB;
    printf("\nsoak: %d s, %ld requests (%ld refreshes, %ld job polls, %ld availability reads), %ld errors\n", seconds,
           atomic_load(&served), atomic_load(&refreshes), atomic_load(&polls), atomic_load(&reads),
           atomic_load(&errors));
    printf("soak: %d jobs accepted (%ld items), %ld did not end SUCCESS\n", total_jobs, atomic_load(&items_sent),
           not_success);
    printf("soak: resident memory MiB: start %.1f, warm-up peak %.1f, peak %.1f, end %.1f -> %s\n", rss_start / 1024.0,
           warmup_peak / 1024.0, peak / 1024.0, rss_end / 1024.0, flat ? "flat after warm-up" : "GROWING");
    curl_global_cleanup();
    return atomic_load(&errors) == 0 && not_success == 0 && flat ? 0 : 1;
}
