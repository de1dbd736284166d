/*
 * token_bucket.h - one token bucket, the rate limiter of both APIs: the gateway's per-tenant limit
 * (gateway.rateLimit, tenants[].rateLimit) and the bundled OCI core's per-organization limit
 * (oci.organizations[].rateLimit, oci-api.md §1).
 *
 * A bucket holds up to `burst` tokens and refills at `requests_per_second`; rate 0 (the default)
 * means no limit. Each request takes one token; with none left the caller answers 429 with
 * Retry-After = the seconds until one token is back (at least 1). The decision also carries what
 * the OCI X-RateLimit-* headers describe (our reading of the RAML trait, which speaks of a window):
 * Limit = the capacity (burst), Remaining = whole tokens left after this request, Reset = the
 * epoch second at which the bucket is full again. Thread-safe; the clock is the caller's.
 */
#ifndef CM_TOKEN_BUCKET_H
#define CM_TOKEN_BUCKET_H

#include <pthread.h>
#include <stdint.h>

typedef struct cm_token_bucket {
    pthread_mutex_t lock;
    double rate;  /* tokens per second; 0: no limit */
    double burst; /* capacity, at least 1 when limited */
    double tokens;
    int64_t refilled_ms; /* clock of the last refill */
} cm_token_bucket;

typedef struct cm_bucket_decision {
    int limited;           /* 0: no limit configured (nothing else is set) */
    int allowed;           /* 1: the request may proceed */
    int64_t limit;         /* X-RateLimit-Limit */
    int64_t remaining;     /* X-RateLimit-Remaining */
    int64_t reset_epoch_s; /* X-RateLimit-Reset */
    int64_t retry_after_s; /* Retry-After, when not allowed (at least 1) */
} cm_bucket_decision;

/* Starts a full bucket; rate <= 0 disables it. */
void cm_bucket_init(cm_token_bucket *bucket, double requests_per_second, double burst, int64_t now_ms);
void cm_bucket_destroy(cm_token_bucket *bucket);

/* Takes one token at `now_ms`; fills *out. Any clock in ms serves as long as one bucket always gets
 * the same one (a clock that steps back only delays the refill). reset_epoch_s is an epoch second
 * only on the wall clock: the bundled core passes its own (wall clock plus the test skew) for the
 * X-RateLimit-Reset header; the gateway passes the monotonic clock and reads only `allowed` and
 * `retry_after_s`. */
void cm_bucket_take(cm_token_bucket *bucket, int64_t now_ms, cm_bucket_decision *out);

#endif
