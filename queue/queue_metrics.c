#include "queue/queue_metrics.h"
#include "common/metrics.h"

#include <inttypes.h>
#include <stdio.h>
#include <time.h>

static const double chunk_buckets[] = {0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120};

static cm_metric *accepted(void)
{
    static const char *const labels[] = {"tenant", "type", NULL};
    return cm_metrics_counter("omsgw_jobs_accepted_total", "Jobs accepted (answered with a jobID).", labels);
}

static cm_metric *finished(void)
{
    static const char *const labels[] = {"tenant", "type", "status", NULL};
    return cm_metrics_counter("omsgw_jobs_finished_total", "Jobs that reached SUCCESS or FAILED.", labels);
}

static cm_metric *items_applied(void)
{
    static const char *const labels[] = {"tenant", NULL};
    return cm_metrics_counter("omsgw_items_applied_total", "Items OCI applied.", labels);
}

static cm_metric *items_refused(void)
{
    static const char *const labels[] = {"tenant", NULL};
    return cm_metrics_counter("omsgw_items_refused_total", "Items OCI refused.", labels);
}

static cm_metric *chunk_duration(void)
{
    return cm_metrics_histogram("omsgw_chunk_duration_seconds",
                                "Time to translate, deliver and checkpoint one chunk.", NULL, chunk_buckets,
                                sizeof chunk_buckets / sizeof chunk_buckets[0]);
}

static cm_metric *oci_call(void)
{
    static const char *const labels[] = {"outcome", NULL};
    return cm_metrics_histogram("omsgw_oci_call_duration_seconds",
                                "One HTTP call of a delivery to OCI, by outcome (2xx, 4xx, 5xx, connection).",
                                labels, cm_metrics_latency_buckets, cm_metrics_latency_bucket_count);
}

static cm_metric *retries(void)
{
    static const char *const labels[] = {"class", NULL};
    return cm_metrics_counter("omsgw_delivery_retries_total",
                              "Delivery failures that are retried, by class (connection, 5xx, 429, 401, other).",
                              labels);
}

static cm_metric *db_commit(void)
{
    static const char *const labels[] = {"backend", "operation", NULL};
    return cm_metrics_histogram("omsgw_db_commit_duration_seconds",
                                "One write transaction of the job queue's store, commit included.", labels,
                                cm_metrics_latency_buckets, cm_metrics_latency_bucket_count);
}

static cm_metric *accept_commits(void)
{
    static const char *const labels[] = {"backend", NULL};
    return cm_metrics_counter("omsgw_accept_commits_total",
                              "Durable commits that stored accepted jobs (group commit: several jobs may share one).",
                              labels);
}

static cm_metric *accept_committed_jobs(void)
{
    static const char *const labels[] = {"backend", NULL};
    return cm_metrics_counter("omsgw_accept_commit_jobs_total",
                              "Jobs those commits held; divided by omsgw_accept_commits_total, jobs per commit.",
                              labels);
}

void q_metrics_accept_commit(const char *backend, size_t jobs)
{
    const char *values[] = {backend};
    cm_metric_add(accept_commits(), values, 1);
    cm_metric_add(accept_committed_jobs(), values, (double)jobs);
}

double q_metrics_clock(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

void q_metrics_register(void)
{
    accepted();
    finished();
    items_applied();
    items_refused();
    chunk_duration();
    oci_call();
    retries();
    db_commit();
    accept_commits();
    accept_committed_jobs();
}

typedef struct tenant_text {
    char text[24];
} tenant_text;

static tenant_text tenant_label(int64_t tenant_id)
{
    tenant_text out;
    snprintf(out.text, sizeof out.text, "%" PRId64, tenant_id);
    return out;
}

void q_metrics_job_accepted(int64_t tenant_id, const char *type)
{
    tenant_text tenant = tenant_label(tenant_id);
    const char *values[] = {tenant.text, type};
    cm_metric_add(accepted(), values, 1);
}

void q_metrics_job_finished(int64_t tenant_id, const char *type, q_status status)
{
    tenant_text tenant = tenant_label(tenant_id);
    const char *values[] = {tenant.text, type, q_status_name(status)};
    cm_metric_add(finished(), values, 1);
}

void q_metrics_items(int64_t tenant_id, int64_t applied, int64_t refused)
{
    tenant_text tenant = tenant_label(tenant_id);
    const char *values[] = {tenant.text};
    cm_metric_add(items_applied(), values, (double)applied);
    cm_metric_add(items_refused(), values, (double)refused);
}

void q_metrics_chunk_duration(double seconds)
{
    cm_metric_observe(chunk_duration(), NULL, seconds);
}

static const char *status_class(long status)
{
    if (status == 0)
        return "connection";
    if (status == 429 || status == 401)
        return status == 429 ? "429" : "401";
    if (status >= 500 && status <= 599)
        return "5xx";
    return "other";
}

void q_metrics_oci_call(double seconds, long status)
{
    const char *outcome = status == 0 ? "connection" : status < 300 ? "2xx" : status < 500 ? "4xx" : "5xx";
    const char *values[] = {outcome};
    cm_metric_observe(oci_call(), values, seconds);
}

void q_metrics_retry(long status)
{
    const char *values[] = {status_class(status)};
    cm_metric_add(retries(), values, 1);
}

void q_metrics_db_commit(const char *backend, const char *operation, double seconds)
{
    const char *values[] = {backend, operation};
    cm_metric_observe(db_commit(), values, seconds);
}
