/* The token bucket both rate limiters use (common/token_bucket.h). */
#include "tests/support/test_support.h"

#include "common/token_bucket.h"

#define T0 1700000000000LL /* a wall-clock instant, ms */

static void unlimited_bucket_allows_all_and_sets_nothing(void **state)
{
    (void)state;
    cm_token_bucket bucket;
    cm_bucket_init(&bucket, 0, 10, T0);
    cm_bucket_decision decision;
    for (int i = 0; i < 1000; i++) {
        cm_bucket_take(&bucket, T0, &decision);
        assert_true(decision.allowed);
        assert_false(decision.limited);
    }
    cm_bucket_destroy(&bucket);
}

static void burst_then_429_then_refill(void **state)
{
    (void)state;
    cm_token_bucket bucket;
    cm_bucket_init(&bucket, 2, 3, T0); /* 2 per second, 3 at once */
    cm_bucket_decision decision;
    for (int i = 0; i < 3; i++) {
        cm_bucket_take(&bucket, T0, &decision);
        assert_true(decision.limited);
        assert_true(decision.allowed);
        assert_int_equal(decision.limit, 3);
        assert_int_equal(decision.remaining, 2 - i);
    }
    cm_bucket_take(&bucket, T0, &decision);
    assert_false(decision.allowed);
    assert_int_equal(decision.remaining, 0);
    assert_int_equal(decision.retry_after_s, 1); /* 0.5 s rounded up */
    assert_int_equal(decision.reset_epoch_s, T0 / 1000 + 2); /* 3 tokens at 2/s: 1.5 s, rounded up */
    /* 499 ms later: still not one token. */
    cm_bucket_take(&bucket, T0 + 499, &decision);
    assert_false(decision.allowed);
    cm_bucket_take(&bucket, T0 + 500, &decision);
    assert_true(decision.allowed);
    assert_int_equal(decision.remaining, 0);
    /* Long idle: the bucket holds no more than the burst. */
    cm_bucket_take(&bucket, T0 + 3600 * 1000, &decision);
    assert_true(decision.allowed);
    assert_int_equal(decision.remaining, 2);
    /* A clock that steps back neither refills nor breaks the bucket. */
    cm_bucket_take(&bucket, T0, &decision);
    assert_true(decision.allowed);
    assert_int_equal(decision.remaining, 1);
    cm_bucket_destroy(&bucket);
}

static void slow_rate_retry_after_and_minimum_burst(void **state)
{
    (void)state;
    cm_token_bucket bucket;
    cm_bucket_init(&bucket, 0.1, 0, T0); /* one per 10 s; burst below 1 means 1 */
    cm_bucket_decision decision;
    cm_bucket_take(&bucket, T0, &decision);
    assert_true(decision.allowed);
    assert_int_equal(decision.limit, 1);
    cm_bucket_take(&bucket, T0 + 2500, &decision);
    assert_false(decision.allowed);
    assert_int_equal(decision.retry_after_s, 8); /* 0.25 token held: 7.5 s to go, rounded up */
    cm_bucket_destroy(&bucket);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(unlimited_bucket_allows_all_and_sets_nothing),
        cmocka_unit_test(burst_then_429_then_refill),
        cmocka_unit_test(slow_rate_retry_after_and_minimum_burst),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
