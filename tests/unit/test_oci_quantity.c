/* Unit tests of oci_core/quantity.c against the numbers of the RAML examples. */
#include "tests/support/test_support.h"

#include "oci_core/quantity.h"

#define DATE_A 1566681180000LL /* 2019-08-24T21:13:00Z */

static oci_quantities record(int64_t on_hand, int64_t safety, int64_t future)
{
    oci_quantities q = {0};
    q.on_hand = on_hand;
    q.safety_stock = safety;
    if (future) {
        q.future_count = 1;
        q.futures[0].expected_ms = DATE_A;
        q.futures[0].quantity_milli = future;
    }
    return q;
}

/* GetAllLocationsResponse: surprise 27/10/10.25 -> 17/27.25; wickenburg 50/20 -> 30/40.25. */
static void test_location_formulas(void **state)
{
    (void)state;
    oci_quantities surprise = record(27000, 10000, 10250), wickenburg = record(50000, 20000, 10250);
    assert_int_equal(oci_qty_record_atf(&surprise), 17000);
    assert_int_equal(oci_qty_record_ato(&surprise), 27250);
    assert_int_equal(oci_qty_record_atf(&wickenburg), 30000);
    assert_int_equal(oci_qty_record_ato(&wickenburg), 40250);
}

static void test_clamping(void **state)
{
    (void)state;
    assert_int_equal(oci_qty_atf(5000, 0, 10000), 0);
    assert_int_equal(oci_qty_ato(5000, 1000, 0, 10000), 0);
    assert_int_equal(oci_qty_ato(5000, 6000, 0, 10000), 1000);
    assert_int_equal(oci_qty_atf(10000, 12500, 0), 0);
}

/* The group "arizona": 77 onHand, 30 safety, futures 10.25 + 10.25 same date -> 20.5; atf 47, ato 67.5. */
static void test_group_sum(void **state)
{
    (void)state;
    oci_quantities surprise = record(27000, 10000, 10250), wickenburg = record(50000, 20000, 10250);
    oci_group_sum sum;
    oci_group_sum_init(&sum);
    assert_int_equal(oci_group_sum_add(&sum, &surprise), CM_OK);
    assert_int_equal(oci_group_sum_add(&sum, &wickenburg), CM_OK);
    assert_int_equal(sum.on_hand, 77000);
    assert_int_equal(sum.safety_stock, 30000);
    assert_int_equal(sum.future_count, 1);
    assert_int_equal(sum.futures[0].quantity_milli, 20500);
    assert_int_equal(oci_group_sum_atf(&sum), 47000);
    assert_int_equal(oci_group_sum_ato(&sum), 67500);
    oci_group_sum_free(&sum);
}

static void test_futures_merge_sorted_and_capacity(void **state)
{
    (void)state;
    oci_future list[3];
    size_t used = 0;
    oci_future add[] = {{3000, 1}, {1000, 2}, {3000, 4}, {2000, 8}};
    assert_int_equal(oci_qty_merge_futures(list, &used, 3, add, 4), CM_OK);
    assert_int_equal(used, 3);
    assert_int_equal(list[0].expected_ms, 1000);
    assert_int_equal(list[1].expected_ms, 2000);
    assert_int_equal(list[2].expected_ms, 3000);
    assert_int_equal(list[2].quantity_milli, 5);
    oci_future extra = {4000, 1};
    assert_int_equal(oci_qty_merge_futures(list, &used, 3, &extra, 1), CM_ETOOBIG);
    assert_int_equal(used, 3);
}

/* Group reservations count against the group's ATF/ATO (GetAllLocationsAndGroupsResponse shape). */
static void test_group_reserved(void **state)
{
    (void)state;
    oci_group_sum sum;
    oci_group_sum_init(&sum);
    oci_quantities member = record(20000, 0, 0);
    assert_int_equal(oci_group_sum_add(&sum, &member), CM_OK);
    sum.group_reserved = 10000;
    sum.shared_group_reserved = 2500;
    assert_int_equal(oci_group_sum_reserved_total(&sum), 12500);
    assert_int_equal(oci_group_sum_atf(&sum), 7500);
    oci_group_sum_free(&sum);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_location_formulas),
        cmocka_unit_test(test_clamping),
        cmocka_unit_test(test_group_sum),
        cmocka_unit_test(test_futures_merge_sorted_and_capacity),
        cmocka_unit_test(test_group_reserved),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
