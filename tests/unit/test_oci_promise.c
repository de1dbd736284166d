/* Reservation arithmetic (oci_core/promise.h): group promises, least-shared-first locking,
 * sharedGroupReserved and headroom, including the shared-location example of oci-api.md §4.6. */
#include "tests/support/test_support.h"

#include <string.h>

#include "oci_core/promise.h"
#include "oci_core/quantity.h"

#define Q(x) ((int64_t)(x) * 1000)

/* Locations L1, L2, L3; group A = {L1, L2}, group B = {L2, L3} (§4.6). */
static const size_t MEMBERS_A[] = {0, 1}, MEMBERS_B[] = {1, 2};

static void shared_example(int64_t available[3], oci_promise_group groups[2], oci_promise *p)
{
    available[0] = Q(5);
    available[1] = Q(5);
    available[2] = Q(15);
    groups[0] = (oci_promise_group){MEMBERS_A, 2, 0};
    groups[1] = (oci_promise_group){MEMBERS_B, 2, 0};
    *p = (oci_promise){3, available, 2, groups};
}

static void test_shared_location_example(void **state)
{
    (void)state;
    int64_t available[3];
    oci_promise_group groups[2];
    oci_promise p;
    shared_example(available, groups, &p);
    /* Group B can promise at most 20 (L2 5 + L3 15); it asks for 17. */
    assert_int_equal(oci_promise_group_headroom(&p, 1, Q(17)), Q(17));
    groups[1].reserved = Q(17);
    int64_t locked[6];
    assert_int_equal(oci_promise_allocate(&p, locked), 1);
    /* Least shared first: 15 at L3, then 2 at the shared L2. */
    assert_int_equal(locked[1 * 3 + 2], Q(15));
    assert_int_equal(locked[1 * 3 + 1], Q(2));
    assert_int_equal(locked[1 * 3 + 0], 0);
    /* Group A's reservation count rises by 2; B has nothing shared from A. */
    assert_int_equal(oci_promise_shared(&p, locked, 0), Q(2));
    assert_int_equal(oci_promise_shared(&p, locked, 1), 0);
    /* The group records of the example: A onHand 10, reserved 2, ATO 8; B onHand 20, reserved 17, ATO 3. */
    oci_group_sum a, b;
    oci_group_sum_init(&a);
    oci_group_sum_init(&b);
    oci_quantities l1 = {.on_hand = Q(5)}, l2 = {.on_hand = Q(5)}, l3 = {.on_hand = Q(15)};
    assert_int_equal(oci_group_sum_add(&a, &l1), CM_OK);
    assert_int_equal(oci_group_sum_add(&a, &l2), CM_OK);
    assert_int_equal(oci_group_sum_add(&b, &l2), CM_OK);
    assert_int_equal(oci_group_sum_add(&b, &l3), CM_OK);
    a.shared_group_reserved = oci_promise_shared(&p, locked, 0);
    b.group_reserved = groups[1].reserved;
    assert_int_equal(oci_group_sum_reserved_total(&a), Q(2));
    assert_int_equal(oci_group_sum_ato(&a), Q(8));
    assert_int_equal(oci_group_sum_reserved_total(&b), Q(17));
    assert_int_equal(oci_group_sum_ato(&b), Q(3));
    oci_group_sum_free(&a);
    oci_group_sum_free(&b);
    /* Now A can still promise 8 (L1 5 + L2 3), not 9. */
    assert_int_equal(oci_promise_group_headroom(&p, 0, Q(9)), Q(8));
    /* A location reservation at L2 may take 3 (its ATO is 5, but 2 are promised to B)… */
    assert_int_equal(oci_promise_location_headroom(&p, 1, Q(5)), Q(3));
    /* …and at L3 also 3: B's locks can move to L2, but B needs 17 of L2 + L3's 20. */
    assert_int_equal(oci_promise_location_headroom(&p, 2, Q(5)), Q(3));
    /* L1 is A's alone and A promises nothing: all 5. */
    assert_int_equal(oci_promise_location_headroom(&p, 0, Q(6)), Q(5));
}

static void test_promises_move_to_keep_everyone(void **state)
{
    (void)state;
    /* A reserved 5 first and greedily locked L2 (shared count ties broken by order): when B then asks
     * for 20, A's lock must move to L1 so that B gets L2 + L3. */
    int64_t available[3];
    oci_promise_group groups[2];
    oci_promise p;
    shared_example(available, groups, &p);
    static const size_t members_a_l2_first[] = {1, 0};
    groups[0].members = members_a_l2_first;
    available[0] = Q(5);
    groups[0].reserved = Q(5);
    groups[1].reserved = Q(15);
    assert_int_equal(oci_promise_group_headroom(&p, 1, Q(10)), Q(5));
    groups[1].reserved = Q(20);
    int64_t locked[6];
    assert_int_equal(oci_promise_allocate(&p, locked), 1);
    assert_int_equal(locked[0 * 3 + 0], Q(5));
    assert_int_equal(locked[1 * 3 + 1] + locked[1 * 3 + 2], Q(20));
    groups[1].reserved = Q(21);
    assert_int_equal(oci_promise_allocate(&p, locked), 0);
}

static void test_single_group_flow(void **state)
{
    (void)state;
    /* The reservation description's flow: A = {L1 50, L2 50}, a group reservation of 1. */
    static const size_t members[] = {0, 1};
    int64_t available[2] = {Q(50), Q(50)};
    oci_promise_group group = {members, 2, Q(1)};
    oci_promise p = {2, available, 1, &group};
    assert_int_equal(oci_promise_allocate(&p, NULL), 1);
    assert_int_equal(oci_promise_group_headroom(&p, 0, Q(200)), Q(99));
    /* A location may take all but the one promised unit of the pair. */
    assert_int_equal(oci_promise_location_headroom(&p, 0, Q(50)), Q(50));
    available[1] = Q(0);
    assert_int_equal(oci_promise_location_headroom(&p, 0, Q(50)), Q(49));
    /* Thousandths are exact. */
    group.reserved = 1;
    available[0] = 1;
    assert_int_equal(oci_promise_location_headroom(&p, 0, Q(1)), 0);
    available[0] = 2;
    assert_int_equal(oci_promise_location_headroom(&p, 0, Q(1)), 1);
}

static void test_negative_and_empty(void **state)
{
    (void)state;
    int64_t available[1] = {-Q(3)};
    oci_promise p = {1, available, 0, NULL};
    assert_int_equal(oci_promise_allocate(&p, NULL), 1);
    assert_int_equal(oci_promise_location_headroom(&p, 0, Q(1)), 0);
    static const size_t members[] = {0};
    oci_promise_group group = {members, 1, Q(1)};
    p.group_count = 1;
    p.groups = &group;
    assert_int_equal(oci_promise_allocate(&p, NULL), 0);
    assert_int_equal(oci_promise_group_headroom(&p, 0, Q(1)), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shared_location_example),
        cmocka_unit_test(test_promises_move_to_keep_everyone),
        cmocka_unit_test(test_single_group_flow),
        cmocka_unit_test(test_negative_and_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
