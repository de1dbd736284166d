/*
 * test_queue_retry.c - retry policy (queue/retry.h): capped exponential back-off with jitter
 * stays in its bounds, and delivery outcomes are classified as retry or final.
 */
#include "tests/support/queue_fixture.h"

#include <libpq-fe.h>
#include <sqlite3.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/body.h"
#include "common/clock.h"
#include "common/json_util.h"
#include "queue/adjust.h"
#include "queue/retry.h"
#include "tests/support/omsgw_process.h"

static void test_backoff_bounds(void **state)
{
    (void)state;
    for (uint64_t r = 0; r < 2000; r += 7) {
        for (int attempt = 1; attempt <= 12; attempt++) {
            int64_t ceiling = 500;
            for (int i = 1; i < attempt && ceiling < 30000; i++)
                ceiling *= 2;
            if (ceiling > 30000)
                ceiling = 30000;
            int64_t delay = q_backoff_delay_ms(attempt, -1, r * 2654435761ULL, 500, 30000);
            assert_true(delay >= ceiling / 2);
            assert_true(delay <= ceiling);
        }
    }
    /* Retry-After is a floor, never shortened, even above the cap. */
    assert_int_equal(q_backoff_delay_ms(1, 120000, 3, 500, 30000), 120000);
    assert_true(q_backoff_delay_ms(1, 10, 3, 500, 30000) >= 250);
}

static void test_classify(void **state)
{
    (void)state;
    assert_int_equal(q_classify_http_status(0), Q_DELIVERY_RETRY);
    assert_int_equal(q_classify_http_status(429), Q_DELIVERY_RETRY);
    assert_int_equal(q_classify_http_status(500), Q_DELIVERY_RETRY);
    assert_int_equal(q_classify_http_status(503), Q_DELIVERY_RETRY);
    assert_int_equal(q_classify_http_status(400), Q_DELIVERY_FINAL);
    assert_int_equal(q_classify_http_status(401), Q_DELIVERY_FINAL);
    assert_int_equal(q_classify_http_status(404), Q_DELIVERY_FINAL);
    assert_int_equal(q_classify_http_status(200), Q_DELIVERY_OK);
    assert_int_equal(q_classify_http_status(204), Q_DELIVERY_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backoff_bounds),
        cmocka_unit_test(test_classify),
    };
    return cmocka_run_group_tests(tests, NULL, qf_group_teardown);
}
