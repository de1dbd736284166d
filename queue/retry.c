#include "queue/retry.h"

q_delivery_status q_classify_http_status(long status)
{
    if (status == 0 || status == 408 || status == 429 || status >= 500)
        return Q_DELIVERY_RETRY;
    if (status >= 400)
        return Q_DELIVERY_FINAL;
    return Q_DELIVERY_OK;
}

int64_t q_backoff_delay_ms(int attempt, int64_t retry_after_ms, uint64_t random, int64_t base_ms,
                           int64_t cap_ms)
{
    if (attempt < 1)
        attempt = 1;
    int64_t ceiling = base_ms;
    for (int i = 1; i < attempt && ceiling < cap_ms; i++)
        ceiling *= 2;
    if (ceiling > cap_ms)
        ceiling = cap_ms;
    int64_t half = ceiling / 2;
    int64_t delay = half + (int64_t)(random % (uint64_t)(ceiling - half + 1));
    if (retry_after_ms > delay)
        delay = retry_after_ms;
    return delay;
}
