/*
 * test_queue_adjust.c - adjust arithmetic (queue/adjust.h): deltas applied to on-hand in
 * thousandths, clamped at OCI's minimum of 0 and reported as clamped.
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

static void test_adjust_arithmetic(void **state)
{
    (void)state;
    int clamped = 0;
    assert_int_equal(q_adjust_on_hand(10000, -3, &clamped), 7000);
    assert_false(clamped);
    assert_int_equal(q_adjust_on_hand(10000, 5, &clamped), 15000);
    assert_int_equal(q_adjust_on_hand(0, 0, &clamped), 0);
    assert_false(clamped);
    /* OCI's onHand has minimum 0: a delta past it writes 0 and says so. */
    assert_int_equal(q_adjust_on_hand(2000, -5, &clamped), 0);
    assert_true(clamped);
    /* Fractional on-hand (thousandths) keeps its fraction. */
    assert_int_equal(q_adjust_on_hand(2500, -2, &clamped), 500);
    assert_false(clamped);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_adjust_arithmetic),
    };
    return cmocka_run_group_tests(tests, NULL, qf_group_teardown);
}
