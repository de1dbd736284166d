#include "app/serve.h"
#include "admin/admin.h"
#include "app/data_lock.h"
#include "app/demo_secrets.h"
#include "app/location_check.h"
#include "app/location_probe.h"
#include "app/storage.h"
#include "delivery/delivery_bundled.h"
#include "delivery/delivery_http.h"
#include "common/clock.h"
#include "common/http_server.h"
#include "common/log.h"
#include "common/tls.h"
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

typedef struct app_runtime {
    cm_config *config;
    oci_core *core;
    q_store *store;
    q_delivery *delivery;
    q_pool *pool;
    gw_gateway *gateway;
    cm_http_server *gateway_server;
    cm_http_server *oci_server;
    app_location_probe *location_probe; /* http delivery: the background graph check */
    char data_dir_token_path[1100];     /* where a generated control token was written */
    adm_admin *admin;
    cm_http_server *admin_server;
    const char *data_dir;
    /* The listeners' TLS certificate and key (PEM), read and checked before anything starts;
     * NULL for a plain-HTTP listener. Indexed by tls_listener. */
    char *tls_certificate[3], *tls_key[3];
} app_runtime;

typedef enum tls_listener { TLS_GATEWAY, TLS_OCI, TLS_ADMIN } tls_listener;

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
    app_location_probe_stop(runtime->location_probe);
    runtime->location_probe = NULL;
    cm_http_server_quiesce(runtime->gateway_server);
    cm_http_server_quiesce(runtime->oci_server);
    cm_http_server_quiesce(runtime->admin_server);
    /* Refreshes whose commits are in flight are answered from the store's committer, which wakes
     * the pool: they finish before the pool goes. */
    cm_http_server_finish_deferred(runtime->gateway_server);
    q_pool_stop(runtime->pool);
    runtime->pool = NULL;
    if (runtime->core)
        oci_core_stop(runtime->core);
    cm_http_server_stop(runtime->gateway_server);
    cm_http_server_stop(runtime->oci_server);
    cm_http_server_stop(runtime->admin_server);
    adm_close(runtime->admin);
    gw_close(runtime->gateway);
    if (runtime->delivery)
        runtime->delivery->destroy(runtime->delivery);
    q_store_close(runtime->store);
    oci_core_close(runtime->core);
    for (int i = 0; i < 3; i++) {
        free(runtime->tls_certificate[i]);
        free(runtime->tls_key[i]);
    }
    cm_config_free(runtime->config);
    memset(runtime, 0, sizeof *runtime);
}

/*
 * Opens the queue's store as configured (app/storage.h), then recovers what a previous run of this
 * process left held (SQLite; PostgreSQL relies on leases). Prints one line and returns -1 on
 * failure; the line never contains the password (the store redacts it).
 */
static int open_queue_store(const cm_config *config, const char *data_dir, q_store **out)
{
    if (app_storage_open(config, data_dir, config->gateway.threads + config->queue.workers + 2, out) != 0)
        return -1;
    int64_t recovered = 0;
    if (q_store_recover(*out, cm_now_ms(), &recovered) != CM_OK) {
        fprintf(stderr, "omsgw: storage (%s): cannot recover interrupted jobs\n", q_store_backend_name(*out));
        return -1;
    }
    if (recovered)
        cm_log_warn("queue.recovered", "jobs=%lld were interrupted and resume now", (long long)recovered);
    if (config->storage.backend == CM_STORAGE_POSTGRESQL && config->delivery.mode == CM_DELIVERY_BUNDLED)
        cm_log_warn("storage.bundled_delivery",
                    "the queue is shared in PostgreSQL but delivery is bundled: this instance applies the jobs it "
                    "claims to its own in-process OCI core; several instances should deliver over HTTP to one "
                    "core (delivery.mode http)");
    cm_log_info("storage.opened", "backend=%s", q_store_backend_name(*out));
    return 0;
}

static int start_listener(app_runtime *runtime, const char *field, cm_http_server_config *server_config,
                          cm_http_server **out)
{
    char error[CM_HTTP_ERROR_MAX];
    if (cm_http_server_start(server_config, out, error) != CM_OK) {
        /* A port in use is the machine's state, not a mistake in the file: say so plainly. */
        if (strstr(error, "port is in use"))
            fprintf(stderr, "omsgw: %s; stop the other process or choose another %s\n", error, field);
        else
            fprintf(stderr, "omsgw: config %s: field %s: %s\n", runtime->config->path, field, error);
        return -1;
    }
    return 0;
}

/* The start-up line says what the OCI port is, so nobody takes it for the real service. */
static void log_emulator(const app_runtime *runtime)
{
    if (!runtime->oci_server)
        return;
    int generated = 0;
    oci_core_control_token(runtime->core, &generated);
    int enabled = runtime->config->oci.control.enabled;
    cm_log_info("oci.emulator",
                "this is the omsgw OCI emulator %s, not Salesforce Omnichannel Inventory; known deviations: "
                "GET /_omsgw/health (and the README, \"Testing your integration against the bundled core\"); "
                "control plane %s%s%s",
                OMSGW_VERSION, enabled ? "on /_omsgw/" : "off",
                enabled && generated ? ", its generated token is in " : "",
                enabled && generated ? runtime->data_dir_token_path : "");
}

/*
 * Reads and checks every listener's TLS certificate and key before anything starts, so that a
 * missing file or a key that is not the certificate's is one line naming the field (exit 2), with
 * nothing started and nothing else said.
 */
static int load_tls_pairs(app_runtime *runtime, int serve_gateway)
{
    const cm_config *config = runtime->config;
    const struct {
        const char *field;
        const cm_tls_files *files;
        int used;
    } listeners[3] = {
        [TLS_GATEWAY] = {"gateway.tls", &config->gateway.tls, serve_gateway && config->gateway.port != 0},
        [TLS_OCI] = {"oci.tls", &config->oci.tls, config->oci.port != 0},
        [TLS_ADMIN] = {"admin.tls", &config->admin.tls, serve_gateway && config->admin.port != 0},
    };
    for (int i = 0; i < 3; i++) {
        if (!listeners[i].used || !listeners[i].files->certificate_path)
            continue;
        char error[CM_TLS_ERROR_MAX];
        if (cm_tls_load_pair(listeners[i].files->certificate_path, listeners[i].files->key_path,
                             &runtime->tls_certificate[i], &runtime->tls_key[i], error) != CM_OK) {
            fprintf(stderr, "omsgw: config %s: field %s: %s\n", config->path, listeners[i].field, error);
            return -1;
        }
    }
    return 0;
}

/* Starts one listener, over HTTPS when its pair was loaded (the server keeps its own copies). */
static int start_listener_tls(app_runtime *runtime, const char *field, tls_listener which,
                              cm_http_server_config *server_config, cm_http_server **out)
{
    server_config->tls_certificate_pem = runtime->tls_certificate[which];
    server_config->tls_key_pem = runtime->tls_key[which];
    return start_listener(runtime, field, server_config, out);
}

/* The operator's listener (admin/): metrics, console, admin API; only with a queue to show. */
static int start_admin(app_runtime *runtime)
{
    const cm_config *config = runtime->config;
    if (config->admin.port == 0)
        return 0;
    adm_options admin_options = {.config = config, .store = runtime->store, .pool = runtime->pool, .core = runtime->core,
                                 .tls = config->admin.tls.certificate_path != NULL, .temp_dir = runtime->data_dir,
                                 /* The comparison speaks plain HTTP to this server's own listeners. */
                                 .gateway_port = runtime->gateway_server && !config->gateway.tls.certificate_path
                                                     ? cm_http_server_port(runtime->gateway_server) : 0,
                                 .oci_port = runtime->oci_server && !config->oci.tls.certificate_path
                                                 ? cm_http_server_port(runtime->oci_server) : 0};
    if (adm_open(&admin_options, &runtime->admin) != CM_OK) {
        fprintf(stderr, "omsgw: cannot start the admin listener: out of memory\n");
        return -1;
    }
    cm_http_server_config server_config = {
        .name = "admin",
        .bind_address = config->admin.bind,
        .port = config->admin.port,
        .body_limit = (size_t)config->gateway.body_limit_bytes,
        .threads = 2,
        .connection_timeout_seconds = config->gateway.connection_timeout_seconds,
        .connection_limit = 64,
    };
    adm_http_config(runtime->admin, &server_config);
    return start_listener_tls(runtime, "admin.port", TLS_ADMIN, &server_config, &runtime->admin_server);
}

int app_serve(const app_options *options)
{
    cm_log_set_json(options->log_json);
    cm_log_set_level(options->log_level);
    app_runtime runtime = {0};
    runtime.data_dir = options->data_dir;
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
    char lock_error[1400];
    int data_lock = app_data_lock_take(options->data_dir, lock_error, sizeof lock_error);
    if (data_lock < 0) {
        fprintf(stderr, "omsgw: %s\n", lock_error);
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
    if (load_tls_pairs(&runtime, serve_gateway) != 0)
        goto out;
    char oci_error[OCI_ERROR_MAX];
    /* The queue's storage first: a wrong database setting is the most likely start-up mistake of
     * a deployment, and it is reported before anything else starts. */
    if (serve_gateway && open_queue_store(runtime.config, options->data_dir, &runtime.store) != 0)
        goto out;
    if (oci_core_open(runtime.config, options->data_dir, &runtime.core, oci_error) != CM_OK) {
        fprintf(stderr, "omsgw: %s\n", oci_error);
        goto out;
    }
    char location_error[CM_CONFIG_ERROR_MAX * 2];
    if (serve_gateway &&
        app_check_locations_bundled(runtime.config, runtime.core, location_error, sizeof location_error) != 0) {
        fprintf(stderr, "omsgw: %s\n", location_error);
        goto out;
    }
    if (options->import_state_path && oci_core_state_restore(runtime.core, options->import_state_path, oci_error) != CM_OK) {
        fprintf(stderr, "omsgw: --import-state: %s\n", oci_error);
        goto out;
    }
    if (serve_gateway) {
        if (runtime.config->delivery.mode == CM_DELIVERY_HTTP) {
            char delivery_error[DL_DELIVERY_ERROR_MAX];
            runtime.delivery = dl_delivery_http_new(runtime.config, NULL, delivery_error);
            if (!runtime.delivery) {
                fprintf(stderr, "omsgw: config %s: field delivery: %s\n", runtime.config->path, delivery_error);
                goto out;
            }
        } else {
            runtime.delivery = dl_delivery_bundled_new(runtime.core, q_store_installation_id(runtime.store));
        }
        q_pool_config pool_config = {
            .store = runtime.store,
            .delivery = runtime.delivery,
            .config = runtime.config,
            .workers = runtime.config->queue.workers,
            .retry_budget_ms = (int64_t)runtime.config->queue.retry_budget_seconds * 1000,
            .retention_ms = (int64_t)runtime.config->queue.retention_days * 86400000LL,
            .no_coalescing = !runtime.config->queue.coalesce,
        };
        if (!runtime.delivery || q_pool_start(&pool_config, &runtime.pool) != CM_OK) {
            fprintf(stderr, "omsgw: cannot start the queue workers\n");
            goto out;
        }
        gw_options gateway_options = {
            .config = runtime.config, .store = runtime.store, .pool = runtime.pool, .delivery = runtime.delivery};
        if (gw_open(&gateway_options, &runtime.gateway) != CM_OK) {
            fprintf(stderr, "omsgw: cannot start the gateway\n");
            goto out;
        }
        if (runtime.config->gateway.port != 0) {
            cm_http_server_config server_config = {
                .name = "gateway",
                .bind_address = runtime.config->gateway.bind,
                .port = runtime.config->gateway.port,
                .body_limit = (size_t)runtime.config->gateway.body_limit_bytes,
                .threads = runtime.config->gateway.threads,
                .connection_timeout_seconds = runtime.config->gateway.connection_timeout_seconds,
                .connection_limit = runtime.config->gateway.connection_limit,
            };
            gw_http_config(runtime.gateway, &server_config);
            if (start_listener_tls(&runtime, "gateway.port", TLS_GATEWAY, &server_config, &runtime.gateway_server) != 0)
                goto out;
        }
    }
    if (runtime.config->oci.port != 0) {
        cm_http_server_config server_config = {
            .name = "oci",
            .bind_address = runtime.config->oci.bind,
            .port = runtime.config->oci.port,
            .body_limit = (size_t)runtime.config->gateway.body_limit_bytes,
            .threads = runtime.config->oci.threads,
            .connection_timeout_seconds = runtime.config->gateway.connection_timeout_seconds,
            .connection_limit = runtime.config->gateway.connection_limit,
            .temp_dir = options->data_dir,
        };
        oci_core_http_config(runtime.core, &server_config);
        if (start_listener_tls(&runtime, "oci.port", TLS_OCI, &server_config, &runtime.oci_server) != 0)
            goto out;
    }
    if (serve_gateway && start_admin(&runtime) != 0)
        goto out;
    app_warn_demo_secrets(runtime.config, runtime.gateway_server != NULL, runtime.oci_server != NULL);
    if (serve_gateway)
        runtime.location_probe = app_location_probe_start(
            runtime.config, runtime.config->delivery.mode == CM_DELIVERY_HTTP ? dl_delivery_http_tokens(runtime.delivery) : NULL);
    snprintf(runtime.data_dir_token_path, sizeof runtime.data_dir_token_path, "%s/" OCI_CONTROL_TOKEN_FILE, options->data_dir);
    log_emulator(&runtime);
    cm_log_info("omsgw.ready", "version=%s gateway_port=%d oci_port=%d data_dir=%s gateway_bind=%s oci_bind=%s",
                OMSGW_VERSION, runtime.gateway_server ? cm_http_server_port(runtime.gateway_server) : 0,
                runtime.oci_server ? cm_http_server_port(runtime.oci_server) : 0, options->data_dir,
                runtime.config->gateway.bind, runtime.config->oci.bind);
    if (runtime.admin_server)
        cm_log_info("admin.ready", "admin_port=%d admin_bind=%s tls=%d", cm_http_server_port(runtime.admin_server),
                    runtime.config->admin.bind, runtime.config->admin.tls.certificate_path != NULL);

    int received = 0;
    sigwait(&stop_signals, &received);
    cm_log_info("omsgw.stopping", "signal=%d", received);
    if (options->export_state_path) {
        /* No new OCI request from here on, so the snapshot is what the last answers said. */
        cm_http_server_quiesce(runtime.oci_server);
        if (oci_core_state_save(runtime.core, options->export_state_path, oci_error) != CM_OK)
            cm_log_error("oci.state_export", "%s", oci_error);
        else
            cm_log_info("oci.state_exported", "file=%s", options->export_state_path);
    }
    pthread_t watchdog;
    int watchdog_started = pthread_create(&watchdog, NULL, shutdown_watchdog, NULL) == 0;
    close_runtime(&runtime);
    atomic_store(&shutdown_done, 1);
    if (watchdog_started)
        pthread_join(watchdog, NULL);
    cm_log_info("omsgw.stopped", "clean");
    app_data_lock_release(data_lock);
    return APP_EXIT_OK;
out:
    close_runtime(&runtime);
    app_data_lock_release(data_lock);
    return exit_code;
}
