/*
 * test_common_body.c - common/body: the bounded byte buffer. The limit holds exactly at max_bytes, one
 * byte more is CM_ETOOBIG with nothing changed, formatted appends follow the same rules, data may
 * hold NUL bytes, and many small appends (a chunked upload) add up to the same bytes.
 */
#include "tests/support/test_support.h"

#include <stdlib.h>
#include <string.h>

#include "common/body.h"

#define SMALL_LIMIT 16

static void starts_empty(void **state)
{
    (void)state;
    cm_body body;
    cm_body_init(&body, SMALL_LIMIT);
    assert_null(body.data);
    assert_int_equal(body.length, 0);
    assert_int_equal(body.max_bytes, SMALL_LIMIT);
    /* Appending nothing still gives a NUL-terminated, empty buffer. */
    assert_int_equal(cm_body_append(&body, "", 0), CM_OK);
    assert_non_null(body.data);
    assert_int_equal(body.length, 0);
    assert_string_equal(body.data, "");
    cm_body_free(&body);
    assert_null(body.data);
    /* Freeing twice (or an untouched body) is harmless. */
    cm_body_free(&body);
}

static void limit_exactly_at_max(void **state)
{
    (void)state;
    cm_body body;
    cm_body_init(&body, SMALL_LIMIT);
    assert_int_equal(cm_body_append(&body, "0123456789abcdef", SMALL_LIMIT), CM_OK);
    assert_int_equal(body.length, SMALL_LIMIT);
    assert_memory_equal(body.data, "0123456789abcdef", SMALL_LIMIT);
    assert_int_equal(body.data[SMALL_LIMIT], '\0');
    /* Full: even one more byte is refused, zero bytes are fine. */
    assert_int_equal(cm_body_append(&body, "x", 1), CM_ETOOBIG);
    assert_int_equal(cm_body_append(&body, "x", 0), CM_OK);
    assert_int_equal(body.length, SMALL_LIMIT);
    assert_memory_equal(body.data, "0123456789abcdef", SMALL_LIMIT + 1);
    cm_body_free(&body);
}

static void one_past_max_leaves_the_buffer_unchanged(void **state)
{
    (void)state;
    cm_body body;
    cm_body_init(&body, SMALL_LIMIT);
    assert_int_equal(cm_body_append(&body, "hello", 5), CM_OK);
    size_t capacity = body.capacity;
    char *data = body.data;
    /* 5 + 12 = 17 > 16: refused whole, never cut to fit. */
    assert_int_equal(cm_body_append(&body, "0123456789ab", 12), CM_ETOOBIG);
    assert_int_equal(body.length, 5);
    assert_ptr_equal(body.data, data);
    assert_int_equal(body.capacity, capacity);
    assert_string_equal(body.data, "hello");
    /* What still fits goes in. */
    assert_int_equal(cm_body_append(&body, "0123456789a", 11), CM_OK);
    assert_int_equal(body.length, SMALL_LIMIT);
    assert_string_equal(body.data, "hello0123456789a");
    cm_body_free(&body);
}

static void one_past_max_on_an_empty_buffer(void **state)
{
    (void)state;
    cm_body body;
    cm_body_init(&body, SMALL_LIMIT);
    char big[SMALL_LIMIT + 1];
    memset(big, 'z', sizeof big);
    assert_int_equal(cm_body_append(&body, big, sizeof big), CM_ETOOBIG);
    assert_int_equal(body.length, 0);
    assert_null(body.data);
    /* A huge length must not wrap around the limit check. */
    assert_int_equal(cm_body_append(&body, big, (size_t)-1), CM_ETOOBIG);
    assert_int_equal(body.length, 0);
    cm_body_free(&body);
}

static void zero_limit(void **state)
{
    (void)state;
    cm_body body;
    cm_body_init(&body, 0);
    assert_int_equal(cm_body_append(&body, "a", 1), CM_ETOOBIG);
    assert_int_equal(cm_body_append(&body, "a", 0), CM_OK);
    assert_int_equal(body.length, 0);
    cm_body_free(&body);
}

static void appendf_formats_and_obeys_the_limit(void **state)
{
    (void)state;
    cm_body body;
    cm_body_init(&body, SMALL_LIMIT);
    assert_int_equal(cm_body_appendf(&body, "{\"n\":%d}", 42), CM_OK);
    assert_int_equal(body.length, 8);
    assert_string_equal(body.data, "{\"n\":42}");
    assert_int_equal(cm_body_appendf(&body, "%s", "12345678"), CM_OK); /* exactly 16 */
    assert_int_equal(body.length, SMALL_LIMIT);
    assert_string_equal(body.data, "{\"n\":42}12345678");
    assert_int_equal(cm_body_appendf(&body, "%c", 'x'), CM_ETOOBIG);
    assert_int_equal(body.length, SMALL_LIMIT);
    assert_string_equal(body.data, "{\"n\":42}12345678");
    /* An empty format is fine even when full. */
    assert_int_equal(cm_body_appendf(&body, "%s", ""), CM_OK);
    assert_int_equal(body.length, SMALL_LIMIT);
    cm_body_free(&body);
}

static void appendf_too_big_leaves_the_buffer_unchanged(void **state)
{
    (void)state;
    cm_body body;
    cm_body_init(&body, SMALL_LIMIT);
    assert_int_equal(cm_body_appendf(&body, "%s", "abc"), CM_OK);
    /* 3 + 14 = 17 bytes: one past the limit. */
    assert_int_equal(cm_body_appendf(&body, "%s-%s", "0123456789", "789"), CM_ETOOBIG);
    assert_int_equal(body.length, 3);
    assert_string_equal(body.data, "abc");
    cm_body_free(&body);
}

static void appendf_grows_past_the_initial_capacity(void **state)
{
    (void)state;
    cm_body body;
    cm_body_init(&body, 1 << 20);
    char expected[5001];
    memset(expected, 'q', 5000);
    expected[5000] = '\0';
    assert_int_equal(cm_body_appendf(&body, "%s", expected), CM_OK);
    assert_int_equal(body.length, 5000);
    assert_string_equal(body.data, expected);
    cm_body_free(&body);
}

static void data_may_contain_nul_bytes(void **state)
{
    (void)state;
    static const char bytes[] = {'a', '\0', 'b', '\0', '\0', 'c'};
    cm_body body;
    cm_body_init(&body, 64);
    assert_int_equal(cm_body_append(&body, bytes, sizeof bytes), CM_OK);
    assert_int_equal(cm_body_append(&body, bytes, sizeof bytes), CM_OK);
    assert_int_equal(body.length, 2 * sizeof bytes);
    assert_memory_equal(body.data, bytes, sizeof bytes);
    assert_memory_equal(body.data + sizeof bytes, bytes, sizeof bytes);
    assert_int_equal(body.data[body.length], '\0');
    cm_body_free(&body);
}

static void reset_keeps_memory_and_limit(void **state)
{
    (void)state;
    cm_body body;
    cm_body_init(&body, SMALL_LIMIT);
    assert_int_equal(cm_body_append(&body, "0123456789", 10), CM_OK);
    char *data = body.data;
    cm_body_reset(&body);
    assert_int_equal(body.length, 0);
    assert_ptr_equal(body.data, data);
    assert_string_equal(body.data, "");
    /* After a reset the whole limit is available again, and no more. */
    assert_int_equal(cm_body_append(&body, "0123456789abcdef", SMALL_LIMIT), CM_OK);
    assert_int_equal(cm_body_append(&body, "!", 1), CM_ETOOBIG);
    /* Reset of an untouched body is harmless. */
    cm_body other;
    cm_body_init(&other, 4);
    cm_body_reset(&other);
    assert_int_equal(other.length, 0);
    cm_body_free(&other);
    cm_body_free(&body);
}

static void take_hands_over_the_data(void **state)
{
    (void)state;
    cm_body body;
    cm_body_init(&body, SMALL_LIMIT);
    assert_int_equal(cm_body_append(&body, "a\0b", 3), CM_OK);
    size_t length = 0;
    char *taken = cm_body_take(&body, &length);
    assert_non_null(taken);
    assert_int_equal(length, 3);
    assert_memory_equal(taken, "a\0b", 4); /* with the trailing NUL */
    assert_null(body.data);
    assert_int_equal(body.length, 0);
    assert_int_equal(body.capacity, 0);
    assert_int_equal(body.max_bytes, SMALL_LIMIT);
    free(taken);

    /* The body is reusable after a take, with the same limit. */
    assert_int_equal(cm_body_append(&body, "0123456789abcdef", SMALL_LIMIT), CM_OK);
    assert_int_equal(cm_body_append(&body, "x", 1), CM_ETOOBIG);
    taken = cm_body_take(&body, NULL);
    assert_string_equal(taken, "0123456789abcdef");
    free(taken);

    /* Taking from an empty body gives NULL and length 0. */
    length = 99;
    assert_null(cm_body_take(&body, &length));
    assert_int_equal(length, 0);
    cm_body_free(&body);
}

static void many_small_appends_like_a_chunked_upload(void **state)
{
    (void)state;
    enum { LIMIT = 100000 };
    char *expected = malloc(LIMIT);
    assert_non_null(expected);
    for (size_t i = 0; i < LIMIT; i++)
        expected[i] = (char)('A' + (i * 7) % 26);

    cm_body body;
    cm_body_init(&body, LIMIT);
    size_t offset = 0, chunk = 1, appends = 0;
    while (offset < LIMIT) {
        size_t len = chunk;
        if (len > LIMIT - offset)
            len = LIMIT - offset;
        assert_int_equal(cm_body_append(&body, expected + offset, len), CM_OK);
        offset += len;
        appends++;
        chunk = chunk % 13 + 1; /* 1..13 bytes, never aligned to the growth steps */
    }
    assert_true(appends > 10000);
    assert_int_equal(body.length, LIMIT);
    assert_memory_equal(body.data, expected, LIMIT);
    assert_int_equal(body.data[LIMIT], '\0');
    assert_true(body.capacity >= LIMIT + 1);
    /* The next chunk is one too many. */
    assert_int_equal(cm_body_append(&body, "x", 1), CM_ETOOBIG);
    assert_int_equal(body.length, LIMIT);
    assert_memory_equal(body.data, expected, LIMIT);
    cm_body_free(&body);
    free(expected);
}

static void capacity_never_exceeds_limit_plus_nul(void **state)
{
    (void)state;
    cm_body body;
    cm_body_init(&body, 3000);
    char block[1000];
    memset(block, 'b', sizeof block);
    for (int i = 0; i < 3; i++)
        assert_int_equal(cm_body_append(&body, block, sizeof block), CM_OK);
    assert_int_equal(body.length, 3000);
    assert_true(body.capacity <= 3001);
    cm_body_free(&body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(starts_empty),
        cmocka_unit_test(limit_exactly_at_max),
        cmocka_unit_test(one_past_max_leaves_the_buffer_unchanged),
        cmocka_unit_test(one_past_max_on_an_empty_buffer),
        cmocka_unit_test(zero_limit),
        cmocka_unit_test(appendf_formats_and_obeys_the_limit),
        cmocka_unit_test(appendf_too_big_leaves_the_buffer_unchanged),
        cmocka_unit_test(appendf_grows_past_the_initial_capacity),
        cmocka_unit_test(data_may_contain_nul_bytes),
        cmocka_unit_test(reset_keeps_memory_and_limit),
        cmocka_unit_test(take_hands_over_the_data),
        cmocka_unit_test(many_small_appends_like_a_chunked_upload),
        cmocka_unit_test(capacity_never_exceeds_limit_plus_nul),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
