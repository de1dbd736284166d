/*
 * test_common_clock.c - common/clock: RFC 3339 text out (UTC, milliseconds) and in ('Z', offsets, 0..9
 * fraction digits, real calendar dates only), round trips, and the two clocks.
 */
#include "tests/support/test_support.h"

#include <string.h>

#include "common/clock.h"

static void assert_format(int64_t ms, const char *expected)
{
    char out[CM_TIME_TEXT_MAX];
    memset(out, 'X', sizeof out);
    cm_time_format_ms(ms, out);
    assert_string_equal(out, expected);
}

static void assert_parse(const char *text, int64_t expected)
{
    int64_t ms = 0;
    if (cm_time_parse(text, &ms) != 0)
        fail_msg("\"%s\" was refused, expected %lld", text, (long long)expected);
    if (ms != expected)
        fail_msg("\"%s\" parsed as %lld, expected %lld", text, (long long)ms, (long long)expected);
}

static void assert_refused(const char *text)
{
    int64_t ms = 4242;
    if (cm_time_parse(text, &ms) == 0)
        fail_msg("\"%s\" was accepted as %lld", text, (long long)ms);
    assert_int_equal(ms, 4242); /* untouched */
}

static void formats_utc_with_milliseconds(void **state)
{
    (void)state;
    assert_format(0, "1970-01-01T00:00:00.000Z");
    assert_format(1795622400123LL, "2026-11-25T16:00:00.123Z");
    assert_format(951782400000LL, "2000-02-29T00:00:00.000Z");
    assert_format(1735689599999LL, "2024-12-31T23:59:59.999Z");
    assert_format(2147483648000LL, "2038-01-19T03:14:08.000Z");
    assert_format(5, "1970-01-01T00:00:00.005Z");
    /* Before the epoch the milliseconds still count forward within the second. */
    assert_format(-1, "1969-12-31T23:59:59.999Z");
    assert_format(-1000, "1969-12-31T23:59:59.000Z");
    assert_format(-1001, "1969-12-31T23:59:58.999Z");
    assert_format(253402300799999LL, "9999-12-31T23:59:59.999Z");
}

static void parses_z_and_offsets(void **state)
{
    (void)state;
    assert_parse("1970-01-01T00:00:00Z", 0);
    assert_parse("2026-11-25T16:00:00Z", 1795622400000LL);
    assert_parse("2026-11-25T16:00:00.123Z", 1795622400123LL);
    assert_parse("2026-11-25T17:00:00+01:00", 1795622400000LL);
    assert_parse("2026-11-25T10:30:00-05:30", 1795622400000LL);
    assert_parse("2026-11-26T01:45:00.123+09:45", 1795622400123LL);
    assert_parse("2026-11-25T16:00:00+00:00", 1795622400000LL);
    assert_parse("2026-11-25T16:00:00-00:00", 1795622400000LL);
    /* RFC 3339 allows lower-case 't' and 'z', and a space as the separator. */
    assert_parse("2026-11-25t16:00:00z", 1795622400000LL);
    assert_parse("2026-11-25 16:00:00Z", 1795622400000LL);
    /* An offset that moves the date across midnight and a year boundary. */
    assert_parse("2025-01-01T00:59:59.999+01:00", 1735689599999LL);
    assert_parse("1969-12-31T23:59:59Z", -1000);
    assert_parse("1600-03-01T00:00:00Z", -11670912000000LL);
}

static void fraction_digits_zero_to_nine(void **state)
{
    (void)state;
    const int64_t base = 1795622400000LL;
    assert_parse("2026-11-25T16:00:00Z", base);
    assert_parse("2026-11-25T16:00:00.1Z", base + 100);
    assert_parse("2026-11-25T16:00:00.12Z", base + 120);
    assert_parse("2026-11-25T16:00:00.123Z", base + 123);
    assert_parse("2026-11-25T16:00:00.1234Z", base + 123);
    assert_parse("2026-11-25T16:00:00.999999Z", base + 999);
    assert_parse("2026-11-25T16:00:00.123456789Z", base + 123);
    assert_parse("2026-11-25T16:00:00.000000001Z", base);
    assert_refused("2026-11-25T16:00:00.1234567890Z");
    assert_refused("2026-11-25T16:00:00.Z");
    assert_refused("2026-11-25T16:00:00.12a3Z");
}

static void refuses_impossible_dates_and_times(void **state)
{
    (void)state;
    assert_refused("2026-02-30T00:00:00Z");
    assert_refused("2026-02-31T00:00:00Z");
    assert_refused("2026-04-31T00:00:00Z");
    assert_refused("2026-06-31T00:00:00Z");
    assert_refused("2026-13-01T00:00:00Z");
    assert_refused("2026-00-10T00:00:00Z");
    assert_refused("2026-01-00T00:00:00Z");
    assert_refused("2026-01-32T00:00:00Z");
    assert_refused("2026-01-01T24:00:00Z");
    assert_refused("2026-01-01T23:60:00Z");
    assert_refused("2026-01-01T23:59:61Z");
    assert_refused("2026-01-01T00:00:00+24:00");
    assert_refused("2026-01-01T00:00:00+01:60");
}

static void february_29_only_in_leap_years(void **state)
{
    (void)state;
    assert_parse("2024-02-29T00:00:00Z", 1709164800000LL);
    assert_parse("2000-02-29T00:00:00Z", 951782400000LL);
    /* Not leap years: the date does not exist (and must not become March 1st). */
    assert_refused("2026-02-29T00:00:00Z");
    assert_refused("2100-02-29T00:00:00Z");
    assert_refused("1900-02-29T00:00:00Z");
}

static void refuses_malformed_text(void **state)
{
    (void)state;
    int64_t ms = 0;
    assert_int_equal(cm_time_parse(NULL, &ms), -1);
    assert_refused("");
    assert_refused("2026-11-25");
    assert_refused("2026-11-25T16:00:00");      /* no zone */
    assert_refused("2026-11-25T16:00Z");        /* no seconds */
    assert_refused("2026-11-25T16:00:00ZZ");    /* trailing text */
    assert_refused("2026-11-25T16:00:00Z ");
    assert_refused(" 2026-11-25T16:00:00Z");
    assert_refused("2026-11-25X16:00:00Z");
    assert_refused("2026/11/25T16:00:00Z");
    assert_refused("26-11-25T16:00:00Z");
    assert_refused("2026-1-25T16:00:00Z");
    assert_refused("2026-11-25T16:00:00+0100");
    assert_refused("2026-11-25T16:00:00+01");
    assert_refused("2026-11-25T16:00:00 +01:00");
    assert_refused("+2026-11-25T16:00:00Z");
    assert_refused("1795622400");
}

static void leap_second_stays_in_its_minute(void **state)
{
    (void)state;
    int64_t ms = 0;
    assert_int_equal(cm_time_parse("2016-12-31T23:59:60.500Z", &ms), 0);
    int64_t next_minute = 0;
    assert_int_equal(cm_time_parse("2017-01-01T00:00:00Z", &next_minute), 0);
    assert_true(ms < next_minute);
}

static void round_trips(void **state)
{
    (void)state;
    const int64_t samples[] = {0, 1, 999, 1000, 86399999, 951782400000LL, 1709164800001LL,
                               1795622400123LL, 4102444800000LL, -1, -86400000, 253402300799999LL};
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        char text[CM_TIME_TEXT_MAX];
        cm_time_format_ms(samples[i], text);
        int64_t back = 0;
        assert_int_equal(cm_time_parse(text, &back), 0);
        assert_true(back == samples[i]);
    }
    /* And text → ms → text, when the text is already in the canonical form. */
    const char *texts[] = {"2026-11-25T16:00:00.123Z", "2024-02-29T23:59:59.999Z",
                           "2000-01-01T00:00:00.000Z"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        int64_t ms = 0;
        assert_int_equal(cm_time_parse(texts[i], &ms), 0);
        char text[CM_TIME_TEXT_MAX];
        cm_time_format_ms(ms, text);
        assert_string_equal(text, texts[i]);
    }
    /* Every day of a leap year survives the round trip. */
    int64_t day = 1704067200000LL; /* 2024-01-01 */
    for (int d = 0; d < 366; d++, day += 86400000LL) {
        char text[CM_TIME_TEXT_MAX];
        cm_time_format_ms(day + 43200123, text);
        int64_t back = 0;
        assert_int_equal(cm_time_parse(text, &back), 0);
        assert_true(back == day + 43200123);
    }
}

static void clocks_move_forward(void **state)
{
    (void)state;
    int64_t now = cm_now_ms();
    assert_true(now > 1735689600000LL); /* after 2025-01-01 */
    int64_t mono_before = cm_mono_ms();
    int64_t wall_before = cm_now_ms();
    cm_sleep_ms(25);
    int64_t mono_after = cm_mono_ms();
    assert_true(mono_after - mono_before >= 24);
    assert_true(mono_after - mono_before < 5000);
    assert_true(cm_now_ms() >= wall_before);
    /* Zero and negative sleeps return at once. */
    mono_before = cm_mono_ms();
    cm_sleep_ms(0);
    cm_sleep_ms(-5);
    assert_true(cm_mono_ms() - mono_before < 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(formats_utc_with_milliseconds),
        cmocka_unit_test(parses_z_and_offsets),
        cmocka_unit_test(fraction_digits_zero_to_nine),
        cmocka_unit_test(refuses_impossible_dates_and_times),
        cmocka_unit_test(february_29_only_in_leap_years),
        cmocka_unit_test(refuses_malformed_text),
        cmocka_unit_test(leap_second_stays_in_its_minute),
        cmocka_unit_test(round_trips),
        cmocka_unit_test(clocks_move_forward),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
