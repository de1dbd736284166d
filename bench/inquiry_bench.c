/*
 * inquiry_bench.c - one legacy inquiry for 100 items over 10 locations, against a real
 * `omsgw serve` on loopback (bundled core, or delivery over HTTP with --http): how long it takes
 * and how many OCI get-availability calls it costs (the promise: at most 10, each at most 100
 * sku × location combinations). The count comes from the server's own log line
 * ("inquiry.answered … oci_calls=N").
 *
 *   omsgw_bench_inquiry --omsgw PATH --source DIR [--http] [--requests N]
 */
#define _GNU_SOURCE
#include "bench/bench_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOCATIONS 10
#define ITEMS 100
#define ORG "f_ecom_demo_001"

static const char *option(int argc, char **argv, const char *name, const char *fallback)
{
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return argv[i + 1];
    return fallback;
}

static int flag(int argc, char **argv, const char *name)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return 1;
    return 0;
}

/* The last "oci_calls=N" the server logged, or -1. */
static long last_oci_calls(const char *log_path)
{
    FILE *file = fopen(log_path, "r");
    if (!file)
        return -1;
    char line[2048];
    long calls = -1;
    while (fgets(line, sizeof line, file)) {
        const char *mark = strstr(line, "inquiry.answered");
        const char *count = mark ? strstr(mark, "oci_calls=") : NULL;
        if (count)
            calls = strtol(count + strlen("oci_calls="), NULL, 10);
    }
    fclose(file);
    return calls;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    const char *omsgw = option(argc, argv, "--omsgw", NULL);
    const char *source = option(argc, argv, "--source", ".");
    int requests = atoi(option(argc, argv, "--requests", "50"));
    int http = flag(argc, argv, "--http");
    if (!omsgw || requests < 1 || requests > 100000) {
        fprintf(stderr, "usage: omsgw_bench_inquiry --omsgw PATH --source DIR [--http] [--requests N]\n");
        return 2;
    }
    /* Ten locations in the graph and in the tenant's map. */
    char graph[1024] = "{\"locations\":[", locations[1024] = "";
    for (int l = 0; l < LOCATIONS; l++) {
        size_t used = strlen(graph);
        snprintf(graph + used, sizeof graph - used, "%s\"bench-%d\"", l ? "," : "", l);
        used = strlen(locations);
        snprintf(locations + used, sizeof locations - used, "%s\"Bench %d\":\"bench-%d\"", l ? "," : "", l, l);
    }
    strncat(graph, "],\"groups\":[]}", sizeof graph - strlen(graph) - 1);
    char config[4096];
    snprintf(config, sizeof config,
             "{\"oci\":{\"organizations\":[{\"id\":\"" ORG "\",\"locationGraph\":\"location-graph.json\","
             "\"tokens\":[{\"token\":\"demo-oci-token\",\"scopes\":[\"sfcc.inventory.availability\","
             "\"sfcc.inventory.availability.rw\",\"sfcc.inventory.impex-inventory\","
             "\"sfcc.inventory.impex-inventory.rw\"]}]}]},"
             "\"delivery\":{\"mode\":\"bundled\"},"
             "\"tenants\":[{\"id\":12345,\"translatedApis\":true,\"apiKeys\":{\"v5\":\"demo-v5-key\"},"
             "\"organizationId\":\"" ORG "\",\"locations\":{%s}}]}",
             locations);
    const char *http_overrides[] = {"delivery.mode=http", "delivery.baseUrl=http://127.0.0.1:{oci_port}",
                                    "delivery.token=demo-oci-token", NULL};
    bench_server server;
    if (bench_server_start_with(&server, omsgw, source, config, graph, http ? http_overrides : NULL) != 0)
        return 1;

    /* 1000 records (100 SKUs × 10 locations) through batch-update, 100 a call. */
    const char *oci_headers[] = {"Authorization: Bearer demo-oci-token", NULL};
    bench_client oci;
    bench_client_init(&oci, oci_headers);
    char url[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/inventory/availability/v1/organizations/" ORG
             "/availability-records/actions/batch-update", server.oci_port);
    for (int l = 0; l < LOCATIONS; l++) {
        char *body = malloc(64 * 1024);
        size_t used = (size_t)snprintf(body, 64 * 1024, "{\"records\":[");
        for (int i = 0; i < ITEMS; i++)
            used += (size_t)snprintf(body + used, 64 * 1024 - used,
                                     "%s{\"id\":\"bench-%d-%d\",\"location\":\"bench-%d\",\"sku\":\"BENCH-%03d\","
                                     "\"onHand\":%d}",
                                     i ? "," : "", l, i, l, i, 10 + i + l);
        snprintf(body + used, 64 * 1024 - used, "]}");
        bench_reply reply;
        if (bench_request(&oci, "POST", url, body, strlen(body), "application/json", &reply) != 0 ||
            reply.status != 204) {
            fprintf(stderr, "bench: batch-update answered %ld\n", reply.status);
            free(body);
            bench_server_stop(&server);
            return 1;
        }
        free(body);
    }
    bench_client_free(&oci);

    char inquiry[16384];
    size_t used = (size_t)snprintf(inquiry, sizeof inquiry, "{\"fulfillerID\":1,\"manufacturerID\":100,"
                                                             "\"type\":\"ANY\",\"items\":[");
    for (int i = 0; i < ITEMS; i++)
        used += (size_t)snprintf(inquiry + used, sizeof inquiry - used, "%s{\"sku\":\"BENCH-%03d\",\"quantity\":1}",
                                 i ? "," : "", i);
    snprintf(inquiry + used, sizeof inquiry - used, "]}");
    const char *gateway_headers[] = {"x-vol-tenant: 12345", "Authorization: Bearer demo-v5-key", NULL};
    bench_client gateway;
    bench_client_init(&gateway, gateway_headers);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/api/v5/inventory", server.gateway_port);
    double *times = calloc((size_t)requests, sizeof *times);
    size_t rows = 0;
    int failed = 0;
    for (int r = 0; r < requests && !failed; r++) {
        bench_reply reply;
        double start = bench_now_ms();
        if (bench_request(&gateway, "POST", url, inquiry, strlen(inquiry), "application/json", &reply) != 0 ||
            reply.status != 200) {
            fprintf(stderr, "bench: inquiry answered %ld: %.300s\n", reply.status, reply.body ? reply.body : "");
            failed = 1;
            break;
        }
        times[r] = bench_now_ms() - start;
        rows = 0;
        for (const char *p = reply.body; (p = strstr(p, "\"locationCode\"")); p++)
            rows++;
    }
    bench_client_free(&gateway);
    long calls = last_oci_calls(server.log_path);
    bench_server_stop(&server);
    if (failed) {
        free(times);
        return 1;
    }
    qsort(times, (size_t)requests, sizeof *times, compare_doubles);
    printf("inquiry of %d items over %d locations (%s delivery), %d requests:\n", ITEMS, LOCATIONS,
           http ? "http" : "bundled", requests);
    printf("  rows per answer       %zu\n", rows);
    printf("  OCI calls per inquiry %ld (promise: at most 10)\n", calls);
    printf("  answer p50            %.2f ms\n", times[requests / 2]);
    printf("  answer p99            %.2f ms\n", times[(size_t)(requests * 99 / 100 < requests ? requests * 99 / 100 : requests - 1)]);
    printf("  answer max            %.2f ms\n", times[requests - 1]);
    free(times);
    return calls >= 1 && calls <= 10 && rows == (size_t)(ITEMS * LOCATIONS) ? 0 : 1;
}
