/*
 * route_metrics.c - GET /metrics: the registry in the Prometheus text format, with the gauges that
 * are read at scrape time (queue depth and oldest pending job per tenant, resident memory) refreshed
 * first. A scrape costs one grouped query on the queue's store.
 */
#include "admin/internal.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/metrics.h"
#include "queue/queue_metrics.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define EXPOSITION_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

static const char *const tenant_label[] = {"tenant", NULL};

/* Resident set size from /proc/self/statm (its second field, in pages). */
static double resident_bytes(void)
{
    FILE *file = fopen("/proc/self/statm", "r");
    unsigned long long size = 0, resident = 0;
    if (!file)
        return 0;
    int read = fscanf(file, "%llu %llu", &size, &resident);
    fclose(file);
    return read == 2 ? (double)resident * (double)sysconf(_SC_PAGESIZE) : 0;
}

static void set_tenant(cm_metric *metric, int64_t tenant_id, double value)
{
    char tenant[24];
    snprintf(tenant, sizeof tenant, "%" PRId64, tenant_id);
    const char *values[] = {tenant};
    cm_metric_set(metric, values, value);
}

static void collect(void *data)
{
    adm_admin *admin = data;
    cm_metric *pending = cm_metrics_gauge("omsgw_queue_pending_jobs", "Jobs waiting to run, per tenant.", tenant_label);
    cm_metric *working = cm_metrics_gauge("omsgw_queue_working_jobs",
                                          "Jobs running or parked for a retry, per tenant.", tenant_label);
    cm_metric *oldest = cm_metrics_gauge("omsgw_queue_oldest_pending_job_age_seconds",
                                         "Age of the oldest pending job, per tenant (0: none pending).",
                                         tenant_label);
    cm_metric *memory = cm_metrics_gauge("process_resident_memory_bytes", "Resident memory size in bytes.", NULL);
    cm_metric_set(memory, NULL, resident_bytes());

    /* Every configured tenant is shown, with zeros when it has no open job, so alerts on absence
     * are not needed; a tenant no longer configured but with jobs shows too. */
    cm_metric_clear(pending);
    cm_metric_clear(working);
    cm_metric_clear(oldest);
    for (size_t i = 0; i < admin->config->tenant_count; i++) {
        set_tenant(pending, admin->config->tenants[i].id, 0);
        set_tenant(working, admin->config->tenants[i].id, 0);
        set_tenant(oldest, admin->config->tenants[i].id, 0);
    }
    q_tenant_stats *stats = NULL;
    size_t count = 0;
    if (q_store_tenant_stats(admin->store, &stats, &count) != CM_OK) {
        cm_log_warn("admin.metrics", "the queue's store could not be read; queue gauges show zeros");
        return;
    }
    int64_t now = cm_now_ms();
    for (size_t i = 0; i < count; i++) {
        set_tenant(pending, stats[i].tenant_id, (double)stats[i].pending);
        set_tenant(working, stats[i].tenant_id, (double)stats[i].working);
        double age = stats[i].oldest_pending_added_ms ? (double)(now - stats[i].oldest_pending_added_ms) / 1000.0 : 0;
        set_tenant(oldest, stats[i].tenant_id, age < 0 ? 0 : age);
    }
    free(stats);
}

void adm_metrics_start(adm_admin *admin)
{
    q_metrics_register();
    cm_metrics_add_collector(collect, admin);
}

void adm_metrics_stop(adm_admin *admin)
{
    cm_metrics_remove_collector(collect, admin);
}

void adm_route_metrics(cm_http_request *request, void *data)
{
    (void)data;
    size_t length = 0;
    char *text = cm_metrics_render(&length);
    if (!text) {
        cm_http_reply_error(request, 503, "SERVICE_UNAVAILABLE", "The server is short of memory; retry.", NULL);
        return;
    }
    cm_http_add_header(request, "Cache-Control", "no-store");
    cm_http_reply_owned(request, 200, EXPOSITION_CONTENT_TYPE, text, length);
}
