/* The token buckets of the bundled OCI core's per-organization rate limit (rate_limit.h). */
#include "tests/support/test_support.h"

#include "oci_core/rate_limit.h"

#define T0 1700000000000LL /* a wall-clock instant, ms */

static void unlimited_bucket_allows_all_and_sets_nothing(void **state)
{
    (void)state;
    oci_rate_bucket bucket;
    oci_rate_init(&bucket, 0, 10, T0);
    oci_rate_decision decision;
    for (int i = 0; i < 1000; i++) {
        oci_rate_take(&bucket, T0, &decision);
        assert_true(decision.allowed);
        assert_false(decision.limited);
    }
    oci_rate_destroy(&bucket);
}

static void burst_then_429_then_refill(void **state)
{
    (void)state;
    oci_rate_bucket bucket;
    oci_rate_init(&bucket, 2, 3, T0); /* 2 per second, 3 at once */
    oci_rate_decision decision;
    for (int i = 0; i < 3; i++) {
        oci_rate_take(&bucket, T0, &decision);
        assert_true(decision.limited);
        assert_true(decision.allowed);
        assert_int_equal(decision.limit, 3);
        assert_int_equal(decision.remaining, 2 - i);
    }
    oci_rate_take(&bucket, T0, &decision);
    assert_false(decision.allowed);
    assert_int_equal(decision.remaining, 0);
    assert_int_equal(decision.retry_after_s, 1); /* 0.5 s rounded up */
    assert_int_equal(decision.reset_epoch_s, T0 / 1000 + 2); /* 3 tokens at 2/s: 1.5 s, rounded up */
    /* 499 ms later: still not one token. */
    oci_rate_take(&bucket, T0 + 499, &decision);
    assert_false(decision.allowed);
    oci_rate_take(&bucket, T0 + 500, &decision);
    assert_true(decision.allowed);
    assert_int_equal(decision.remaining, 0);
    /* Long idle: the bucket holds no more than the burst. */
    oci_rate_take(&bucket, T0 + 3600 * 1000, &decision);
    assert_true(decision.allowed);
    assert_int_equal(decision.remaining, 2);
    /* A clock that steps back neither refills nor breaks the bucket. */
    oci_rate_take(&bucket, T0, &decision);
    assert_true(decision.allowed);
    assert_int_equal(decision.remaining, 1);
    oci_rate_destroy(&bucket);
}

static void slow_rate_retry_after_and_minimum_burst(void **state)
{
    (void)state;
    oci_rate_bucket bucket;
    oci_rate_init(&bucket, 0.1, 0, T0); /* one per 10 s; burst below 1 means 1 */
    oci_rate_decision decision;
    oci_rate_take(&bucket, T0, &decision);
    assert_true(decision.allowed);
    assert_int_equal(decision.limit, 1);
    oci_rate_take(&bucket, T0 + 2500, &decision);
    assert_false(decision.allowed);
    assert_int_equal(decision.retry_after_s, 8); /* 0.25 token held: 7.5 s to go, rounded up */
    oci_rate_destroy(&bucket);
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
