/* token_bucket.c - the token bucket both rate limiters use (token_bucket.h). */
#include "common/token_bucket.h"

#include <math.h>
#include <string.h>

#define CM_BUCKET_MS_PER_SECOND 1000.0

void cm_bucket_init(cm_token_bucket *bucket, double requests_per_second, double burst, int64_t now_ms)
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

void cm_bucket_destroy(cm_token_bucket *bucket)
{
    pthread_mutex_destroy(&bucket->lock);
}

void cm_bucket_take(cm_token_bucket *bucket, int64_t now_ms, cm_bucket_decision *out)
{
    memset(out, 0, sizeof *out);
    if (!(bucket->rate > 0)) {
        out->allowed = 1;
        return;
    }
    pthread_mutex_lock(&bucket->lock);
    /* A clock that steps back refills nothing (and does not drain the bucket either). */
    if (now_ms > bucket->refilled_ms) {
        bucket->tokens += (double)(now_ms - bucket->refilled_ms) / CM_BUCKET_MS_PER_SECOND * bucket->rate;
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
    out->reset_epoch_s = (int64_t)ceil(((double)bucket->refilled_ms / CM_BUCKET_MS_PER_SECOND) + to_full_s);
    pthread_mutex_unlock(&bucket->lock);
}
