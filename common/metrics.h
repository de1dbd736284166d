/*
 * metrics.h - the process's metrics registry, rendered in the Prometheus text exposition format
 * (version 0.0.4).
 *
 * What it promises:
 * - Counters, gauges and histograms, each a family with a name, a help line and a fixed set of
 *   label names; a series is one combination of label values. Every call is thread-safe (one
 *   mutex; the work under it is a short list walk), so any thread may count.
 * - Labels stay bounded: a family holds at most CM_METRICS_MAX_SERIES series; values past that
 *   are folded into one series whose label values are all "other", never dropped silently.
 * - Label values are escaped as the format requires (backslash, double quote, newline).
 * - A histogram's buckets are cumulative and its +Inf bucket equals its _count, by construction.
 * - Families are registered once (registering a name again returns the same family) and live
 *   until cm_metrics_reset, which tests use; handles stay valid for the process otherwise.
 * It never allocates in a way that can fail the caller: on out of memory an observation is lost.
 */
#ifndef CM_METRICS_H
#define CM_METRICS_H

#include <stddef.h>

#define CM_METRICS_MAX_LABELS 4
#define CM_METRICS_MAX_SERIES 500
#define CM_METRICS_MAX_BUCKETS 16

typedef struct cm_metric cm_metric;

/* `labels` is a NULL-terminated list of label names (NULL for none). Names must be literals. */
cm_metric *cm_metrics_counter(const char *name, const char *help, const char *const *labels);
cm_metric *cm_metrics_gauge(const char *name, const char *help, const char *const *labels);
/* `bounds` ascending upper bounds (at most CM_METRICS_MAX_BUCKETS), without +Inf. */
cm_metric *cm_metrics_histogram(const char *name, const char *help, const char *const *labels,
                                const double *bounds, size_t bound_count);

/* `values` has one value per label name of the family (NULL when it has none). A NULL metric is
 * ignored, so callers need not check registration. */
void cm_metric_add(cm_metric *metric, const char *const *values, double amount);
void cm_metric_set(cm_metric *metric, const char *const *values, double value);
void cm_metric_observe(cm_metric *metric, const char *const *values, double value);
/* Removes every series of a gauge (collectors refill it at scrape time). */
void cm_metric_clear(cm_metric *metric);

/* A function called at the start of every render, to refresh gauges read from elsewhere (queue
 * depth, resident memory). At most 8; the same (function, data) twice is kept once. */
void cm_metrics_add_collector(void (*collect)(void *data), void *data);
void cm_metrics_remove_collector(void (*collect)(void *data), void *data);

/* The whole registry as exposition text: a new NUL-terminated string the caller frees, or NULL
 * when out of memory. *length gets its length. */
char *cm_metrics_render(size_t *length);

/* Forgets every family and collector (tests only: handles taken before become invalid). */
void cm_metrics_reset(void);

/* Common bucket sets, in seconds. */
extern const double cm_metrics_latency_buckets[];  /* 1 ms .. 10 s */
extern const size_t cm_metrics_latency_bucket_count;

#endif
