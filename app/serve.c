#include "app/serve.h"
#include "delivery/delivery_bundled.h"
#include "delivery/delivery_http.h"
#include "common/clock.h"
#include "common/http_server.h"
#include "common/log.h"
#include "gateway/gateway.h"
#include "oci_core/oci_core.h"
#include "queue/store.h"
#include "queue/worker.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SHUTDOWN_DEADLINE_MS 9500
#define DEFAULT_CONFIG_PATH "samples/omsgw.json"
#define GATEWAY_DB_FILE "gateway.db"

typedef struct app_runtime {
    cm_config *config;
    oci_core *core;
    q_store *store;
    q_delivery *delivery;
    q_pool *pool;
    gw_gateway *gateway;
    cm_http_server *gateway_server;
    cm_http_server *oci_server;
} app_runtime;

static atomic_int shutdown_done;

/* Creates `path` and its parents. Returns 0 or -1 with errno set. */
static int make_dirs(const char *path)
{
    char copy[1024];
    if (snprintf(copy, sizeof copy, "%s", path) >= (int)sizeof copy) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = copy + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(copy, 0755) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(copy, 0755) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

static void *shutdown_watchdog(void *data)
{
    (void)data;
    int64_t deadline = cm_mono_ms() + SHUTDOWN_DEADLINE_MS;
    while (!atomic_load(&shutdown_done) && cm_mono_ms() < deadline)
        cm_sleep_ms(50);
    if (!atomic_load(&shutdown_done)) {
        /* Everything accepted is already durable: leaving now loses nothing, and the next start
         * resumes whatever was in progress. */
        cm_log_error("omsgw.shutdown_forced", "stopping took longer than %d ms; exiting now",
                     SHUTDOWN_DEADLINE_MS);
        _exit(APP_EXIT_FAILURE);
    }
    return NULL;
}

static void close_runtime(app_runtime *runtime)
{
    cm_http_server_quiesce(runtime->gateway_server);
    cm_http_server_quiesce(runtime->oci_server);
    q_pool_stop(runtime->pool);
    runtime->pool = NULL;
    if (runtime->core)
        oci_core_stop(runtime->core);
    cm_http_server_stop(runtime->gateway_server);
    cm_http_server_stop(runtime->oci_server);
    gw_close(runtime->gateway);
    if (runtime->delivery)
        runtime->delivery->destroy(runtime->delivery);
    q_store_close(runtime->store);
    oci_core_close(runtime->core);
    cm_config_free(runtime->config);
    memset(runtime, 0, sizeof *runtime);
}

static int start_listener(app_runtime *runtime, const char *field, cm_http_server_config *server_config,
                          cm_http_server **out)
{
    char error[CM_HTTP_ERROR_MAX];
    if (cm_http_server_start(server_config, out, error) != CM_OK) {
        fprintf(stderr, "omsgw: config %s: field %s: %s\n", runtime->config->path, field, error);
        return -1;
    }
    return 0;
}

int app_serve(const app_options *options)
{
    cm_log_set_json(options->log_json);
    app_runtime runtime = {0};
    const char *config_path = options->config_path ? options->config_path : DEFAULT_CONFIG_PATH;
    char error[CM_CONFIG_ERROR_MAX];
    if (cm_config_load(config_path, options->overrides, options->override_count, &runtime.config, error) != CM_OK) {
        fprintf(stderr, "omsgw: %s\n", error);
        return APP_EXIT_USAGE;
    }
    if (make_dirs(options->data_dir) != 0) {
        fprintf(stderr, "omsgw: data folder %s: cannot create it: %s\n", options->data_dir, strerror(errno));
        cm_config_free(runtime.config);
        return APP_EXIT_USAGE;
    }

    /* Signals are taken by sigwait in this thread only: block them before any thread starts. */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN);

    int serve_gateway = options->command == APP_CMD_SERVE;
    int exit_code = APP_EXIT_USAGE;
    char oci_error[OCI_ERROR_MAX];
    if (oci_core_open(runtime.config, options->data_dir, &runtime.core, oci_error) != CM_OK) {
        fprintf(stderr, "omsgw: %s\n", oci_error);
        goto out;
    }
    if (serve_gateway) {
        char db_path[1100];
        snprintf(db_path, sizeof db_path, "%s/%s", options->data_dir, GATEWAY_DB_FILE);
        char db_error[CM_DB_ERROR_MAX];
        if (q_store_open(db_path, runtime.config->gateway.threads + 1, &runtime.store, db_error) != CM_OK) {
            fprintf(stderr, "omsgw: %s\n", db_error);
            goto out;
        }
        int64_t recovered = 0;
        if (q_store_recover(runtime.store, cm_now_ms(), &recovered) != CM_OK) {
            fprintf(stderr, "omsgw: database %s: cannot recover interrupted jobs\n", db_path);
            goto out;
        }
        if (recovered)
            cm_log_warn("queue.recovered", "jobs=%lld were interrupted and resume now", (long long)recovered);
        if (runtime.config->delivery.mode == CM_DELIVERY_HTTP) {
            char delivery_error[DL_DELIVERY_ERROR_MAX];
            runtime.delivery = dl_delivery_http_new(runtime.config, NULL, delivery_error);
            if (!runtime.delivery) {
                fprintf(stderr, "omsgw: config %s: field delivery: %s\n", runtime.config->path, delivery_error);
                goto out;
            }
        } else {
            runtime.delivery = dl_delivery_bundled_new(runtime.core);
        }
        q_pool_config pool_config = {
            .store = runtime.store,
            .delivery = runtime.delivery,
            .config = runtime.config,
            .workers = runtime.config->queue.workers,
            .retry_budget_ms = (int64_t)runtime.config->queue.retry_budget_seconds * 1000,
            .retention_ms = (int64_t)runtime.config->queue.retention_days * 86400000LL,
        };
        if (!runtime.delivery || q_pool_start(&pool_config, &runtime.pool) != CM_OK) {
            fprintf(stderr, "omsgw: cannot start the queue workers\n");
            goto out;
        }
        gw_options gateway_options = {.config = runtime.config, .store = runtime.store, .pool = runtime.pool};
        if (gw_open(&gateway_options, &runtime.gateway) != CM_OK) {
            fprintf(stderr, "omsgw: cannot start the gateway\n");
            goto out;
        }
        if (runtime.config->gateway.port != 0) {
            cm_http_server_config server_config = {
                .port = runtime.config->gateway.port,
                .body_limit = (size_t)runtime.config->gateway.body_limit_bytes,
                .threads = runtime.config->gateway.threads,
                .connection_timeout_seconds = runtime.config->gateway.connection_timeout_seconds,
                .connection_limit = runtime.config->gateway.connection_limit,
            };
            gw_http_config(runtime.gateway, &server_config);
            if (start_listener(&runtime, "gateway.port", &server_config, &runtime.gateway_server) != 0)
                goto out;
        }
    }
    if (runtime.config->oci.port != 0) {
        cm_http_server_config server_config = {
            .port = runtime.config->oci.port,
            .body_limit = (size_t)runtime.config->gateway.body_limit_bytes,
            .threads = runtime.config->oci.threads,
            .connection_timeout_seconds = runtime.config->gateway.connection_timeout_seconds,
            .connection_limit = runtime.config->gateway.connection_limit,
            .temp_dir = options->data_dir,
        };
        oci_core_http_config(runtime.core, &server_config);
        if (start_listener(&runtime, "oci.port", &server_config, &runtime.oci_server) != 0)
            goto out;
    }
    cm_log_info("omsgw.ready", "version=%s gateway_port=%d oci_port=%d data_dir=%s", OMSGW_VERSION,
                runtime.gateway_server ? cm_http_server_port(runtime.gateway_server) : 0,
                runtime.oci_server ? cm_http_server_port(runtime.oci_server) : 0, options->data_dir);

    int received = 0;
    sigwait(&stop_signals, &received);
    cm_log_info("omsgw.stopping", "signal=%d", received);
    pthread_t watchdog;
    int watchdog_started = pthread_create(&watchdog, NULL, shutdown_watchdog, NULL) == 0;
    close_runtime(&runtime);
    atomic_store(&shutdown_done, 1);
    if (watchdog_started)
        pthread_join(watchdog, NULL);
    cm_log_info("omsgw.stopped", "clean");
    return APP_EXIT_OK;
out:
    close_runtime(&runtime);
    return exit_code;
}
