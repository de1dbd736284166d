/*
 * test_delivery_import_poll.c - the import status schedule that learns the OCI's pace
 * (delivery/import_poll.c), on a simulated clock: polls answered at once, imports that take a set
 * time. Before anything is learned the schedule is the fixed one (at once, then first_ms
 * doubling to max_ms); once learned, a 35 ms loopback import is seen within 1.25× its duration in
 * at most three polls and a 6 s import in at most four; a pace learned from slow imports falls
 * within a few imports when they get fast; one import stuck for ten minutes does not stretch the
 * next first pause past 1.75 times the pace nor past the cap; gaps within min and max.
 */
#include "tests/support/test_support.h"

#include <stdatomic.h>

#include "delivery/import_poll.h"

static const dl_import_poll_settings SETTINGS = {.first_ms = 50, .min_ms = 5, .max_ms = 2000};

typedef struct seen {
    int64_t after_ms; /* from the upload to the poll that found it ended */
    int polls;
} seen;

/* One import of `records` that ends `takes_ms` after its upload, polled on the schedule. */
static seen simulate(dl_import_pace *pace, size_t records, int64_t takes_ms)
{
    const int64_t start = 100000;
    dl_import_poll poll;
    dl_import_poll_begin(&poll, pace, &SETTINGS, records, start);
    int64_t now = start + dl_import_poll_first_pause(&poll);
    for (int guard = 0; guard < 10000; guard++) {
        if (now - start >= takes_ms) {
            dl_import_poll_ended(&poll, pace, now);
            return (seen){now - start, poll.polls};
        }
        now += dl_import_poll_pending(&poll, now);
    }
    fail_msg("the schedule never reached %lld ms", (long long)takes_ms);
    return (seen){0, 0};
}

static void test_fixed_schedule_before_anything_is_learned(void **state)
{
    (void)state;
    dl_import_pace pace = {0};
    dl_import_poll poll;
    dl_import_poll_begin(&poll, &pace, &SETTINGS, 3000, 0);
    assert_int_equal(dl_import_poll_first_pause(&poll), 0);
    int64_t expected[] = {50, 100, 200, 400, 800, 1600, 2000, 2000};
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++)
        assert_int_equal(dl_import_poll_pending(&poll, (int64_t)i), expected[i]);
    assert_int_equal(poll.polls, 8);
    assert_int_equal(atomic_load(&pace.micros_per_record), 0);
}

static void test_loopback_imports_are_seen_as_they_end(void **state)
{
    (void)state;
    dl_import_pace pace = {0};
    seen first = simulate(&pace, 3000, 35);
    /* The fixed schedule: at 0, 50 — 15 ms late. */
    assert_int_equal(first.after_ms, 50);
    assert_int_equal(first.polls, 2);
    assert_true(atomic_load(&pace.micros_per_record) > 0);
    for (int i = 0; i < 20; i++) {
        seen next = simulate(&pace, 3000, 35);
        if (i >= 4) {
            assert_true(next.after_ms >= 35);
            assert_true(next.after_ms * 4 <= 35 * 5);
            assert_true(next.polls <= 3);
        }
    }
    /* A smaller import at the same pace is expected in proportion (about 3.5 ms), and polled no
     * sooner than min_ms. */
    dl_import_poll poll;
    dl_import_poll_begin(&poll, &pace, &SETTINGS, 300, 0);
    assert_true(poll.expected_ms >= 3 && poll.expected_ms <= 5);
    assert_int_equal(dl_import_poll_first_pause(&poll), SETTINGS.min_ms);
}

static void test_slow_oci_is_polled_a_few_times(void **state)
{
    (void)state;
    dl_import_pace pace = {0};
    seen first = simulate(&pace, 3000, 6000);
    /* Fixed: 0, 50, 150, 350, 750, 1550, 3150, 5150, 7150 — nine polls. */
    assert_int_equal(first.polls, 9);
    assert_int_equal(first.after_ms, 7150);
    for (int i = 0; i < 12; i++) {
        seen next = simulate(&pace, 3000, 6000);
        if (i >= 5) {
            assert_true(next.polls <= 4);
            assert_true(next.after_ms >= 6000);
            assert_true(next.after_ms <= 6000 * 5 / 4);
        }
    }
}

static void test_pace_falls_when_imports_get_fast(void **state)
{
    (void)state;
    dl_import_pace pace = {0};
    for (int i = 0; i < 10; i++)
        simulate(&pace, 3000, 12000);
    int64_t slow = atomic_load(&pace.micros_per_record);
    assert_true(slow >= 3000); /* ~4 ms a record */
    int recovered_at = -1;
    for (int i = 0; i < 12 && recovered_at < 0; i++) {
        seen next = simulate(&pace, 3000, 100);
        if (next.after_ms <= 150)
            recovered_at = i;
    }
    assert_true(recovered_at >= 0);
    assert_true(recovered_at <= 8);
}

static void test_one_stuck_import_is_bounded(void **state)
{
    (void)state;
    dl_import_pace pace = {0};
    for (int i = 0; i < 10; i++)
        simulate(&pace, 3000, 1000);
    int64_t before = atomic_load(&pace.micros_per_record);
    simulate(&pace, 3000, 10 * 60 * 1000);
    int64_t after = atomic_load(&pace.micros_per_record);
    /* A quarter of the way to at most four times the pace: at most 1.75× the pace. */
    assert_true(after > before);
    assert_true(after * 4 <= before * 7);
    dl_import_poll poll;
    dl_import_poll_begin(&poll, &pace, &SETTINGS, 3000, 0);
    assert_true(dl_import_poll_first_pause(&poll) <= 1000 * 7 / 4);
    /* However slow the pace, the first pause stays under the cap. */
    atomic_store(&pace.micros_per_record, 1000000000);
    dl_import_poll_begin(&poll, &pace, &SETTINGS, 3000, 0);
    assert_int_equal(dl_import_poll_first_pause(&poll), DL_IMPORT_FIRST_PAUSE_MAX_MS);
    assert_int_equal(dl_import_poll_pending(&poll, 0), SETTINGS.max_ms);
}

static void test_gaps_respect_min_and_max(void **state)
{
    (void)state;
    dl_import_pace pace = {.micros_per_record = 1}; /* 3000 records: 3 ms expected */
    dl_import_poll poll;
    dl_import_poll_begin(&poll, &pace, &SETTINGS, 3000, 0);
    assert_int_equal(dl_import_poll_first_pause(&poll), SETTINGS.min_ms);
    assert_int_equal(dl_import_poll_pending(&poll, 5), SETTINGS.min_ms);
    assert_int_equal(dl_import_poll_pending(&poll, 10), SETTINGS.min_ms * 2);
    /* A min above the max is brought down to it. */
    dl_import_poll_settings odd = {.first_ms = 1, .min_ms = 50, .max_ms = 10};
    dl_import_poll_begin(&poll, &pace, &odd, 3000, 0);
    assert_int_equal(dl_import_poll_first_pause(&poll), 10);
    assert_int_equal(dl_import_poll_pending(&poll, 0), 10);
    assert_int_equal(dl_import_poll_pending(&poll, 0), 10);
}

static void test_ended_at_first_poll_halves_the_pace(void **state)
{
    (void)state;
    dl_import_pace pace = {.micros_per_record = 1000};
    dl_import_poll poll;
    dl_import_poll_begin(&poll, &pace, &SETTINGS, 3000, 0);
    assert_int_equal(dl_import_poll_first_pause(&poll), 2250);
    dl_import_poll_ended(&poll, &pace, 2250);
    assert_int_equal(atomic_load(&pace.micros_per_record), 500);
    assert_int_equal(poll.polls, 1);
    /* Ended between polls at 2250 and 2625 of 3000 records: the midpoint, a quarter of the way. */
    dl_import_poll_begin(&poll, &pace, &SETTINGS, 3000, 0);
    int64_t first = dl_import_poll_first_pause(&poll); /* 1125 */
    int64_t gap = dl_import_poll_pending(&poll, first);
    dl_import_poll_ended(&poll, &pace, first + gap);
    int64_t sample = (first + (first + gap)) / 2 * 1000 / 3000;
    assert_int_equal(atomic_load(&pace.micros_per_record), 500 + (sample - 500) / 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixed_schedule_before_anything_is_learned),
        cmocka_unit_test(test_loopback_imports_are_seen_as_they_end),
        cmocka_unit_test(test_slow_oci_is_polled_a_few_times),
        cmocka_unit_test(test_pace_falls_when_imports_get_fast),
        cmocka_unit_test(test_one_stuck_import_is_bounded),
        cmocka_unit_test(test_gaps_respect_min_and_max),
        cmocka_unit_test(test_ended_at_first_poll_halves_the_pace),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
