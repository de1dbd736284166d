/*
 * rate_limit.h - the per-organization request rate limit of the bundled OCI core (oci-api.md §1).
 *
 * A token bucket per organization, configured by oci.organizations[].rateLimit
 * {requestsPerSecond, burst}; requestsPerSecond 0 (the default) means no limit and no headers.
 * Each authenticated request of the organization takes one token; with none left the core answers
 * 429 with Retry-After. The X-RateLimit-* headers describe the bucket (our reading of the RAML
 * trait, which speaks of a window): Limit = the bucket's capacity (burst), Remaining = whole
 * tokens left after this request, Reset = the UTC epoch second at which the bucket is full again.
 */
#ifndef OCI_RATE_LIMIT_H
#define OCI_RATE_LIMIT_H

#include <pthread.h>
#include <stdint.h>

typedef struct oci_rate_bucket {
    pthread_mutex_t lock;
    double rate;  /* tokens per second; 0: no limit */
    double burst; /* capacity, at least 1 when limited */
    double tokens;
    int64_t refilled_ms; /* clock of the last refill */
} oci_rate_bucket;

typedef struct oci_rate_decision {
    int limited;           /* 0: no limit configured (nothing else is set) */
    int allowed;           /* 1: the request may proceed */
    int64_t limit;         /* X-RateLimit-Limit */
    int64_t remaining;     /* X-RateLimit-Remaining */
    int64_t reset_epoch_s; /* X-RateLimit-Reset */
    int64_t retry_after_s; /* Retry-After, when not allowed (at least 1) */
} oci_rate_decision;

/* Starts a full bucket; rate <= 0 disables it. */
void oci_rate_init(oci_rate_bucket *bucket, double requests_per_second, double burst, int64_t now_ms);
void oci_rate_destroy(oci_rate_bucket *bucket);

/* Takes one token at `now_ms` (wall clock, ms since the epoch); fills *out. */
void oci_rate_take(oci_rate_bucket *bucket, int64_t now_ms, oci_rate_decision *out);

#endif
