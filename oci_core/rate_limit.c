/* rate_limit.c - token buckets per organization (rate_limit.h). */
#include "oci_core/rate_limit.h"

#include <math.h>
#include <string.h>

#define OCI_RATE_MS_PER_SECOND 1000.0

void oci_rate_init(oci_rate_bucket *bucket, double requests_per_second, double burst, int64_t now_ms)
{
    memset(bucket, 0, sizeof *bucket);
    pthread_mutex_init(&bucket->lock, NULL);
    if (!(requests_per_second > 0))
        return;
    bucket->rate = requests_per_second;
    bucket->burst = burst >= 1 ? burst : 1;
    bucket->tokens = bucket->burst;
    bucket->refilled_ms = now_ms;
}

void oci_rate_destroy(oci_rate_bucket *bucket)
{
    pthread_mutex_destroy(&bucket->lock);
}

void oci_rate_take(oci_rate_bucket *bucket, int64_t now_ms, oci_rate_decision *out)
{
    memset(out, 0, sizeof *out);
    if (!(bucket->rate > 0)) {
        out->allowed = 1;
        return;
    }
    pthread_mutex_lock(&bucket->lock);
    /* A clock that steps back refills nothing (and does not drain the bucket either). */
    if (now_ms > bucket->refilled_ms) {
        bucket->tokens += (double)(now_ms - bucket->refilled_ms) / OCI_RATE_MS_PER_SECOND * bucket->rate;
        if (bucket->tokens > bucket->burst)
            bucket->tokens = bucket->burst;
        bucket->refilled_ms = now_ms;
    }
    out->limited = 1;
    out->limit = (int64_t)floor(bucket->burst);
    if (bucket->tokens >= 1.0) {
        bucket->tokens -= 1.0;
        out->allowed = 1;
    } else {
        double wait = (1.0 - bucket->tokens) / bucket->rate;
        out->retry_after_s = (int64_t)ceil(wait);
        if (out->retry_after_s < 1)
            out->retry_after_s = 1;
    }
    out->remaining = (int64_t)floor(bucket->tokens);
    double to_full_s = (bucket->burst - bucket->tokens) / bucket->rate;
    out->reset_epoch_s = (int64_t)ceil(((double)bucket->refilled_ms / OCI_RATE_MS_PER_SECOND) + to_full_s);
    pthread_mutex_unlock(&bucket->lock);
}
