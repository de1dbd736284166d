/*
 * queue_metrics.h - the job queue's numbers in the metrics registry (common/metrics.h): one
 * function per event, so the names, units and labels live in one place and callers stay one line.
 *
 * Labels are bounded: tenant ids come from the configuration, types and statuses are enums,
 * retry classes are the four of the issue plus "other"; never a job id.
 */
#ifndef Q_QUEUE_METRICS_H
#define Q_QUEUE_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "queue/job.h"

/* Monotonic seconds with sub-millisecond resolution, for durations. */
double q_metrics_clock(void);

/* Registers every family so a scrape shows them (with no series) before the first event. */
void q_metrics_register(void);

void q_metrics_job_accepted(int64_t tenant_id, const char *type);
void q_metrics_job_finished(int64_t tenant_id, const char *type, q_status status);
void q_metrics_items(int64_t tenant_id, int64_t applied, int64_t refused);
void q_metrics_chunk_duration(double seconds);
/* One HTTP call to OCI made by a delivery; `status` 0 when no answer came. */
void q_metrics_oci_call(double seconds, long status);
/* A delivery failure that is retried: the class from the OCI answer's status (0: connection). */
void q_metrics_retry(long status);
/* One write transaction of the queue's store. */
void q_metrics_db_commit(const char *backend, const char *operation, double seconds);
/* One group commit of acceptances that held `jobs` jobs (queue/accept_batch.h). */
void q_metrics_accept_commit(const char *backend, size_t jobs);

#endif
