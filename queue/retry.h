/*
 * retry.h - which delivery failures are worth retrying, and how long to wait before the next try.
 * Pure functions.
 *
 * Back-off: capped exponential with "equal jitter": the n-th retry waits between half and all of
 * min(cap, base * 2^(n-1)); a server's Retry-After is a floor on the wait, never shortened.
 */
#ifndef Q_RETRY_H
#define Q_RETRY_H

#include <stdint.h>

#include "queue/delivery.h"

#define Q_BACKOFF_BASE_MS 500
#define Q_BACKOFF_CAP_MS 30000

/* The class of an HTTP outcome: status 0 means no answer (refused, reset, timeout). */
q_delivery_status q_classify_http_status(long status);

/* The wait before retry number `attempt` (1 for the first retry). `random` is any random value;
 * `retry_after_ms` is the server's Retry-After in ms or -1. */
int64_t q_backoff_delay_ms(int attempt, int64_t retry_after_ms, uint64_t random, int64_t base_ms,
                           int64_t cap_ms);

#endif
