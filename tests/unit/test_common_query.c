/*
 * test_common_query.c - common/query: empty strings, names without values, repeated names (the first
 * wins), percent-decoding and '+', malformed '%' kept as is, empty pairs, and the pair limit.
 */
#include "tests/support/test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/query.h"

static void null_and_empty_give_an_empty_query(void **state)
{
    (void)state;
    cm_query query;
    assert_int_equal(cm_query_parse(NULL, &query), CM_OK);
    assert_int_equal(query.count, 0);
    assert_int_equal(query.dropped, 0);
    assert_null(cm_query_get(&query, "a"));
    cm_query_free(&query);

    assert_int_equal(cm_query_parse("", &query), CM_OK);
    assert_int_equal(query.count, 0);
    assert_null(cm_query_get(&query, ""));
    cm_query_free(&query);
}

static void values_present_empty_and_absent(void **state)
{
    (void)state;
    cm_query query;
    assert_int_equal(cm_query_parse("a=1&b=&c", &query), CM_OK);
    assert_int_equal(query.count, 3);
    assert_string_equal(query.names[0], "a");
    assert_string_equal(query.values[0], "1");
    assert_string_equal(cm_query_get(&query, "a"), "1");
    assert_string_equal(cm_query_get(&query, "b"), "");
    assert_string_equal(cm_query_get(&query, "c"), "");
    assert_null(cm_query_get(&query, "d"));
    assert_null(cm_query_get(&query, "A"));
    assert_null(cm_query_get(&query, ""));
    cm_query_free(&query);
    assert_null(query.storage);
    assert_int_equal(query.count, 0);
}

static void first_of_repeated_names_wins(void **state)
{
    (void)state;
    cm_query query;
    assert_int_equal(cm_query_parse("id=1&x=y&id=2&id=3", &query), CM_OK);
    assert_int_equal(query.count, 4);
    assert_string_equal(cm_query_get(&query, "id"), "1");
    /* All pairs are kept in order for callers that want them. */
    assert_string_equal(query.values[2], "2");
    assert_string_equal(query.values[3], "3");
    cm_query_free(&query);

    assert_int_equal(cm_query_parse("flag&flag=on", &query), CM_OK);
    assert_string_equal(cm_query_get(&query, "flag"), "");
    cm_query_free(&query);
}

static void percent_decoding_and_plus(void **state)
{
    (void)state;
    cm_query query;
    assert_int_equal(cm_query_parse("q=a%20b+c&sku=A%2Bb&name%5B0%5D=%7e%7E&path=%2Fx%2fy&eq=a%3Db",
                                    &query),
                     CM_OK);
    assert_string_equal(cm_query_get(&query, "q"), "a b c");
    assert_string_equal(cm_query_get(&query, "sku"), "A+b"); /* %2B is a plus, not a space */
    assert_string_equal(cm_query_get(&query, "name[0]"), "~~");
    assert_string_equal(cm_query_get(&query, "path"), "/x/y");
    assert_string_equal(cm_query_get(&query, "eq"), "a=b");
    cm_query_free(&query);

    /* Names are decoded too, and '+' in a name is a space. */
    assert_int_equal(cm_query_parse("first+name=Ann&last%20name=Lee", &query), CM_OK);
    assert_string_equal(cm_query_get(&query, "first name"), "Ann");
    assert_string_equal(cm_query_get(&query, "last name"), "Lee");
    cm_query_free(&query);

    /* UTF-8 sequences decode byte by byte. */
    assert_int_equal(cm_query_parse("city=M%C3%BCnchen", &query), CM_OK);
    assert_string_equal(cm_query_get(&query, "city"), "M\xc3\xbcnchen");
    cm_query_free(&query);
}

static void bad_percent_sequences_are_kept(void **state)
{
    (void)state;
    cm_query query;
    assert_int_equal(cm_query_parse("a=%&b=%4&c=%zz&d=100%&e=%%41&f=%4g1&g=%41", &query), CM_OK);
    assert_string_equal(cm_query_get(&query, "a"), "%");
    assert_string_equal(cm_query_get(&query, "b"), "%4");
    assert_string_equal(cm_query_get(&query, "c"), "%zz");
    assert_string_equal(cm_query_get(&query, "d"), "100%");
    assert_string_equal(cm_query_get(&query, "e"), "%A");
    assert_string_equal(cm_query_get(&query, "f"), "%4g1");
    assert_string_equal(cm_query_get(&query, "g"), "A");
    cm_query_free(&query);

    /* A '%' near the end of a name must not read into the value. */
    assert_int_equal(cm_query_parse("x%4=1&y%=2", &query), CM_OK);
    assert_string_equal(cm_query_get(&query, "x%4"), "1");
    assert_string_equal(cm_query_get(&query, "y%"), "2");
    cm_query_free(&query);
}

static void empty_pairs_are_skipped(void **state)
{
    (void)state;
    cm_query query;
    assert_int_equal(cm_query_parse("&&a=1&&&b=2&", &query), CM_OK);
    assert_int_equal(query.count, 2);
    assert_int_equal(query.dropped, 0);
    assert_string_equal(cm_query_get(&query, "a"), "1");
    assert_string_equal(cm_query_get(&query, "b"), "2");
    cm_query_free(&query);

    assert_int_equal(cm_query_parse("&&&", &query), CM_OK);
    assert_int_equal(query.count, 0);
    cm_query_free(&query);
}

static void odd_equals_signs(void **state)
{
    (void)state;
    cm_query query;
    assert_int_equal(cm_query_parse("=v&a==b&c=d=e", &query), CM_OK);
    assert_int_equal(query.count, 3);
    assert_string_equal(cm_query_get(&query, ""), "v");
    assert_string_equal(cm_query_get(&query, "a"), "=b");
    assert_string_equal(cm_query_get(&query, "c"), "d=e");
    cm_query_free(&query);
}

static void more_than_the_limit_is_counted_in_dropped(void **state)
{
    (void)state;
    char raw[4096] = "";
    size_t used = 0;
    const size_t total = CM_QUERY_MAX_PARAMS + 5;
    for (size_t i = 0; i < total; i++)
        used += (size_t)snprintf(raw + used, sizeof raw - used, "%sp%zu=%zu", i ? "&" : "", i, i);
    cm_query query;
    assert_int_equal(cm_query_parse(raw, &query), CM_OK);
    assert_int_equal(query.count, CM_QUERY_MAX_PARAMS);
    assert_int_equal(query.dropped, 5);
    assert_string_equal(cm_query_get(&query, "p0"), "0");
    char name[16];
    snprintf(name, sizeof name, "p%d", CM_QUERY_MAX_PARAMS - 1);
    assert_non_null(cm_query_get(&query, name));
    snprintf(name, sizeof name, "p%d", CM_QUERY_MAX_PARAMS);
    assert_null(cm_query_get(&query, name));
    cm_query_free(&query);

    /* Exactly at the limit nothing is dropped; empty pairs never count. */
    used = 0;
    for (size_t i = 0; i < CM_QUERY_MAX_PARAMS; i++)
        used += (size_t)snprintf(raw + used, sizeof raw - used, "&&k%zu", i);
    assert_int_equal(cm_query_parse(raw, &query), CM_OK);
    assert_int_equal(query.count, CM_QUERY_MAX_PARAMS);
    assert_int_equal(query.dropped, 0);
    cm_query_free(&query);
}

static void worst_case_storage(void **state)
{
    (void)state;
    /* Many one-byte names without values need the most storage per raw byte (ASan checks). */
    char raw[2 * 64];
    size_t used = 0;
    for (int i = 0; i < 63; i++) {
        raw[used++] = 'x';
        raw[used++] = '&';
    }
    raw[used - 1] = '\0';
    cm_query query;
    assert_int_equal(cm_query_parse(raw, &query), CM_OK);
    assert_int_equal(query.count, 63);
    assert_string_equal(query.values[62], "");
    cm_query_free(&query);

    assert_int_equal(cm_query_parse("=", &query), CM_OK);
    assert_int_equal(query.count, 1);
    assert_string_equal(query.names[0], "");
    assert_string_equal(query.values[0], "");
    cm_query_free(&query);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(null_and_empty_give_an_empty_query),
        cmocka_unit_test(values_present_empty_and_absent),
        cmocka_unit_test(first_of_repeated_names_wins),
        cmocka_unit_test(percent_decoding_and_plus),
        cmocka_unit_test(bad_percent_sequences_are_kept),
        cmocka_unit_test(empty_pairs_are_skipped),
        cmocka_unit_test(odd_equals_signs),
        cmocka_unit_test(more_than_the_limit_is_counted_in_dropped),
        cmocka_unit_test(worst_case_storage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
