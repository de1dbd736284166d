/*
 * prom_text.h - a strict reader of the Prometheus text exposition format (version 0.0.4), for
 * tests: every line must be well-formed, every sample must belong to a family declared by a TYPE
 * line before it, counters end in _total, and histograms must be consistent (buckets ascending
 * and cumulative, a +Inf bucket equal to _count, a _sum). Written from the format's description,
 * independently of common/metrics.c, so that it can catch what the writer gets wrong.
 */
#ifndef TEST_PROM_TEXT_H
#define TEST_PROM_TEXT_H

#include <stddef.h>

typedef struct th_prom_sample {
    char name[128];
    char labels[512]; /* as written inside the braces, without them ("" when none) */
    char le[32];      /* the le label of a bucket, else "" */
    char family[128];
    double value;
} th_prom_sample;

typedef struct th_prom {
    th_prom_sample *samples;
    size_t count;
    char error[300]; /* why parsing or checking failed, with the line number */
} th_prom;

/* Parses and checks `text`. Returns 0, or -1 with out->error set. Free with th_prom_free either way. */
int th_prom_parse(const char *text, th_prom *out);

/* The sum of the values of samples named `name` whose labels contain every comma-separated
 * `label="value"` of `match` (NULL or "" matches all). */
double th_prom_sum(const th_prom *prom, const char *name, const char *match);

/* 1 when some sample is named `name`. */
int th_prom_has(const th_prom *prom, const char *name);

void th_prom_free(th_prom *prom);

#endif
