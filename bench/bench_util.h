/*
 * bench_util.h - what the benchmark needs around the figures: clocks, statistics, starting and
 * watching a real `omsgw serve`, and a blocking HTTP client on libcurl (one handle per thread, so
 * connections are reused).
 */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

double bench_now_ms(void);

/* Sorts a copy and returns the p-th percentile (0..100) by nearest rank. */
double bench_percentile(const double *values, size_t count, double p);

typedef struct bench_server {
    pid_t pid;
    int gateway_port, oci_port;
    char dir[256];
    char data_dir[300];
    char log_path[300];
} bench_server;

/* Starts `omsgw serve` with samples/omsgw.json (from `source_dir`) plus `overrides` ("a.b=v",
 * NULL-terminated) in a fresh temporary folder. Returns 0 when both listeners answer /healthz. */
int bench_server_start(bench_server *server, const char *omsgw, const char *source_dir,
                       const char *const *overrides);
/* The same with another configuration and location graph (NULL: the samples' own); the graph is
 * written as location-graph.json next to the configuration. */
int bench_server_start_with(bench_server *server, const char *omsgw, const char *source_dir,
                            const char *config_json, const char *graph_json, const char *const *overrides);
void bench_server_stop(bench_server *server);

/* Resident memory of a process from /proc: current (VmRSS) and peak (VmHWM), in KiB. */
long bench_rss_kib(pid_t pid);
long bench_peak_rss_kib(pid_t pid);

typedef struct bench_reply {
    long status;
    char *body; /* NUL-terminated; owned by the client, valid until its next request */
    size_t length;
} bench_reply;

typedef struct bench_client {
    CURL *curl;
    struct curl_slist *headers;
    char *buffer;
    size_t length, capacity;
} bench_client;

/* A client with the given extra headers (NULL-terminated "Name: value" lines). */
int bench_client_init(bench_client *client, const char *const *headers);
void bench_client_free(bench_client *client);

/* One request; `body` may be NULL. Returns 0 when an HTTP answer came back. */
int bench_request(bench_client *client, const char *method, const char *url, const void *body,
                  size_t length, const char *content_type, bench_reply *reply);

/* The number of cores and the CPU model line. */
int bench_cores(void);
void bench_cpu_model(char *out, size_t size);

#endif
