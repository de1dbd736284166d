#include "common/metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_COLLECTORS 8
#define OVERFLOW_VALUE "other"

typedef enum metric_kind { KIND_COUNTER, KIND_GAUGE, KIND_HISTOGRAM } metric_kind;

typedef struct series {
    struct series *next;
    char *values[CM_METRICS_MAX_LABELS];
    double value;                                /* counter, gauge; histogram: the sum */
    unsigned long long buckets[CM_METRICS_MAX_BUCKETS]; /* histogram: per bucket, not cumulative */
    unsigned long long count;                    /* histogram */
} series;

struct cm_metric {
    struct cm_metric *next;
    metric_kind kind;
    const char *name;
    const char *help;
    const char *labels[CM_METRICS_MAX_LABELS];
    size_t label_count;
    double bounds[CM_METRICS_MAX_BUCKETS];
    size_t bound_count;
    series *first;
    series **last;
    size_t series_count;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static cm_metric *families;
static cm_metric **families_last = &families;
static struct {
    void (*collect)(void *);
    void *data;
} collectors[MAX_COLLECTORS];
static size_t collector_count;

const double cm_metrics_latency_buckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                             0.25,  0.5,    1,     2.5,  5,     10};
const size_t cm_metrics_latency_bucket_count = sizeof cm_metrics_latency_buckets / sizeof(double);

static cm_metric *register_family(metric_kind kind, const char *name, const char *help,
                                  const char *const *labels, const double *bounds, size_t bound_count)
{
    pthread_mutex_lock(&lock);
    cm_metric *metric = families;
    while (metric && strcmp(metric->name, name) != 0)
        metric = metric->next;
    if (!metric && (metric = calloc(1, sizeof *metric)) != NULL) {
        metric->kind = kind;
        metric->name = name;
        metric->help = help;
        for (size_t i = 0; labels && labels[i] && i < CM_METRICS_MAX_LABELS; i++)
            metric->labels[metric->label_count++] = labels[i];
        metric->bound_count = bound_count < CM_METRICS_MAX_BUCKETS ? bound_count : CM_METRICS_MAX_BUCKETS;
        for (size_t i = 0; i < metric->bound_count; i++)
            metric->bounds[i] = bounds[i];
        metric->last = &metric->first;
        *families_last = metric;
        families_last = &metric->next;
    }
    pthread_mutex_unlock(&lock);
    return metric;
}

cm_metric *cm_metrics_counter(const char *name, const char *help, const char *const *labels)
{
    return register_family(KIND_COUNTER, name, help, labels, NULL, 0);
}

cm_metric *cm_metrics_gauge(const char *name, const char *help, const char *const *labels)
{
    return register_family(KIND_GAUGE, name, help, labels, NULL, 0);
}

cm_metric *cm_metrics_histogram(const char *name, const char *help, const char *const *labels,
                                const double *bounds, size_t bound_count)
{
    return register_family(KIND_HISTOGRAM, name, help, labels, bounds, bound_count);
}

static int same_values(const series *entry, const cm_metric *metric, const char *const *values)
{
    for (size_t i = 0; i < metric->label_count; i++) {
        const char *value = values && values[i] ? values[i] : "";
        if (strcmp(entry->values[i], value) != 0)
            return 0;
    }
    return 1;
}

static series *new_series(cm_metric *metric, const char *const *values)
{
    series *entry = calloc(1, sizeof *entry);
    if (!entry)
        return NULL;
    for (size_t i = 0; i < metric->label_count; i++) {
        entry->values[i] = strdup(values && values[i] ? values[i] : "");
        if (!entry->values[i]) {
            for (size_t j = 0; j < i; j++)
                free(entry->values[j]);
            free(entry);
            return NULL;
        }
    }
    *metric->last = entry;
    metric->last = &entry->next;
    metric->series_count++;
    return entry;
}

/* The series for `values`, created when new; past the series limit, the shared "other" series.
 * Called with the lock held. */
static series *find_series(cm_metric *metric, const char *const *values)
{
    for (series *entry = metric->first; entry; entry = entry->next)
        if (same_values(entry, metric, values))
            return entry;
    if (metric->series_count < CM_METRICS_MAX_SERIES)
        return new_series(metric, values);
    const char *other[CM_METRICS_MAX_LABELS] = {OVERFLOW_VALUE, OVERFLOW_VALUE, OVERFLOW_VALUE, OVERFLOW_VALUE};
    for (series *entry = metric->first; entry; entry = entry->next)
        if (same_values(entry, metric, other))
            return entry;
    return new_series(metric, other);
}

void cm_metric_add(cm_metric *metric, const char *const *values, double amount)
{
    if (!metric)
        return;
    pthread_mutex_lock(&lock);
    series *entry = find_series(metric, values);
    if (entry)
        entry->value += amount;
    pthread_mutex_unlock(&lock);
}

void cm_metric_set(cm_metric *metric, const char *const *values, double value)
{
    if (!metric)
        return;
    pthread_mutex_lock(&lock);
    series *entry = find_series(metric, values);
    if (entry)
        entry->value = value;
    pthread_mutex_unlock(&lock);
}

void cm_metric_observe(cm_metric *metric, const char *const *values, double value)
{
    if (!metric || metric->kind != KIND_HISTOGRAM || isnan(value))
        return;
    pthread_mutex_lock(&lock);
    series *entry = find_series(metric, values);
    if (entry) {
        size_t bucket = 0;
        while (bucket < metric->bound_count && value > metric->bounds[bucket])
            bucket++;
        if (bucket < metric->bound_count)
            entry->buckets[bucket]++;
        entry->count++;
        entry->value += value;
    }
    pthread_mutex_unlock(&lock);
}

static void free_series_list(series *entry, size_t label_count)
{
    while (entry) {
        series *next = entry->next;
        for (size_t i = 0; i < label_count; i++)
            free(entry->values[i]);
        free(entry);
        entry = next;
    }
}

void cm_metric_clear(cm_metric *metric)
{
    if (!metric)
        return;
    pthread_mutex_lock(&lock);
    free_series_list(metric->first, metric->label_count);
    metric->first = NULL;
    metric->last = &metric->first;
    metric->series_count = 0;
    pthread_mutex_unlock(&lock);
}

void cm_metrics_add_collector(void (*collect)(void *data), void *data)
{
    pthread_mutex_lock(&lock);
    int known = 0;
    for (size_t i = 0; i < collector_count; i++)
        known |= collectors[i].collect == collect && collectors[i].data == data;
    if (!known && collector_count < MAX_COLLECTORS) {
        collectors[collector_count].collect = collect;
        collectors[collector_count].data = data;
        collector_count++;
    }
    pthread_mutex_unlock(&lock);
}

void cm_metrics_remove_collector(void (*collect)(void *data), void *data)
{
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < collector_count; i++) {
        if (collectors[i].collect == collect && collectors[i].data == data) {
            memmove(&collectors[i], &collectors[i + 1], (collector_count - i - 1) * sizeof collectors[0]);
            collector_count--;
            break;
        }
    }
    pthread_mutex_unlock(&lock);
}

/* A label value as the format wants it: \\, \" and \n escaped. */
static void write_label_value(FILE *out, const char *value)
{
    for (const char *c = value; *c; c++) {
        if (*c == '\\')
            fputs("\\\\", out);
        else if (*c == '"')
            fputs("\\\"", out);
        else if (*c == '\n')
            fputs("\\n", out);
        else
            fputc(*c, out);
    }
}

/* {a="x",b="y"} plus an optional extra label (le for buckets); nothing when there are none. */
static void write_labels(FILE *out, const cm_metric *metric, const series *entry, const char *le)
{
    if (metric->label_count == 0 && !le)
        return;
    fputc('{', out);
    for (size_t i = 0; i < metric->label_count; i++) {
        fprintf(out, "%s%s=\"", i ? "," : "", metric->labels[i]);
        write_label_value(out, entry->values[i]);
        fputc('"', out);
    }
    if (le)
        fprintf(out, "%sle=\"%s\"", metric->label_count ? "," : "", le);
    fputc('}', out);
}

/* Numbers as Go's strconv would print them, which Prometheus parses: integers without a point. */
static void write_number(FILE *out, double value)
{
    if (isinf(value))
        fputs(value > 0 ? "+Inf" : "-Inf", out);
    else if (value == floor(value) && fabs(value) < 1e15)
        fprintf(out, "%.0f", value);
    else
        fprintf(out, "%.9g", value);
}

static void write_family(FILE *out, const cm_metric *metric)
{
    static const char *const type_names[] = {"counter", "gauge", "histogram"};
    fprintf(out, "# HELP %s ", metric->name);
    /* HELP text escapes backslash and newline (not quotes, unlike label values). */
    for (const char *c = metric->help; *c; c++)
        fputs(*c == '\\' ? "\\\\" : *c == '\n' ? "\\n" : (char[2]){*c, 0}, out);
    fprintf(out, "\n# TYPE %s %s\n", metric->name, type_names[metric->kind]);
    for (const series *entry = metric->first; entry; entry = entry->next) {
        if (metric->kind != KIND_HISTOGRAM) {
            fputs(metric->name, out);
            write_labels(out, metric, entry, NULL);
            fputc(' ', out);
            write_number(out, entry->value);
            fputc('\n', out);
            continue;
        }
        unsigned long long cumulative = 0;
        for (size_t b = 0; b < metric->bound_count; b++) {
            cumulative += entry->buckets[b];
            char le[32];
            snprintf(le, sizeof le, "%g", metric->bounds[b]);
            fprintf(out, "%s_bucket", metric->name);
            write_labels(out, metric, entry, le);
            fprintf(out, " %llu\n", cumulative);
        }
        fprintf(out, "%s_bucket", metric->name);
        write_labels(out, metric, entry, "+Inf");
        fprintf(out, " %llu\n%s_sum", entry->count, metric->name);
        write_labels(out, metric, entry, NULL);
        fputc(' ', out);
        write_number(out, entry->value);
        fprintf(out, "\n%s_count", metric->name);
        write_labels(out, metric, entry, NULL);
        fprintf(out, " %llu\n", entry->count);
    }
}

char *cm_metrics_render(size_t *length)
{
    /* Collectors run without the lock: they set gauges, which takes it. */
    void (*collect[MAX_COLLECTORS])(void *);
    void *data[MAX_COLLECTORS];
    pthread_mutex_lock(&lock);
    size_t count = collector_count;
    for (size_t i = 0; i < count; i++) {
        collect[i] = collectors[i].collect;
        data[i] = collectors[i].data;
    }
    pthread_mutex_unlock(&lock);
    for (size_t i = 0; i < count; i++)
        collect[i](data[i]);

    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    if (!out)
        return NULL;
    pthread_mutex_lock(&lock);
    for (const cm_metric *metric = families; metric; metric = metric->next)
        write_family(out, metric);
    pthread_mutex_unlock(&lock);
    if (fclose(out) != 0) {
        free(text);
        return NULL;
    }
    if (length)
        *length = size;
    return text;
}

void cm_metrics_reset(void)
{
    pthread_mutex_lock(&lock);
    cm_metric *metric = families;
    while (metric) {
        cm_metric *next = metric->next;
        free_series_list(metric->first, metric->label_count);
        free(metric);
        metric = next;
    }
    families = NULL;
    families_last = &families;
    collector_count = 0;
    pthread_mutex_unlock(&lock);
}
