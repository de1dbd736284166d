/*
 * test_oci_ids.c - the identifier rules of OCI (oci_core/ids.h): for each kind of id the length
 * bounds (one under, at, one over), the characters refused, and NULL, which is never valid.
 */
#include "tests/support/test_support.h"

#include <string.h>

#include "oci_core/ids.h"
#include "oci_core/limits.h"

/* `length` copies of `c` in `buffer` (at least length + 1 bytes). */
static const char *repeat(char *buffer, char c, size_t length)
{
    memset(buffer, c, length);
    buffer[length] = '\0';
    return buffer;
}

static void test_sku_lengths_and_characters(void **state)
{
    (void)state;
    char text[OCI_SKU_MAX + 2];
    assert_false(oci_valid_sku(NULL));
    assert_false(oci_valid_sku(""));
    assert_false(oci_valid_sku("a"));
    assert_true(oci_valid_sku("ab"));
    assert_true(oci_valid_sku(repeat(text, 's', OCI_SKU_MAX)));
    assert_false(oci_valid_sku(repeat(text, 's', OCI_SKU_MAX + 1)));
    /* Anything printable but the six forbidden characters, UTF-8 included. */
    assert_true(oci_valid_sku("SKU-1.a_b+c:d#e(f)[g]{h}*!?'\"@&=~^`|,$"));
    assert_true(oci_valid_sku("Gr\xc3\xb6\xc3\x9f" "e"));
    const char *refused[] = {"a\\b", "a<b", "a>b", "a;b", "a%b", "a/b", "a b", "a\tb", "a\nb", "a\x7f" "b",
                             "a\x01" "b", " ab", "ab "};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        assert_false(oci_valid_sku(refused[i]));
        assert_false(oci_valid_reservation_sku(refused[i]));
    }
}

static void test_reservation_sku_allows_one_character(void **state)
{
    (void)state;
    char text[OCI_SKU_MAX + 2];
    assert_false(oci_valid_reservation_sku(NULL));
    assert_false(oci_valid_reservation_sku(""));
    assert_true(oci_valid_reservation_sku("a"));
    assert_true(oci_valid_reservation_sku(repeat(text, 's', OCI_SKU_MAX)));
    assert_false(oci_valid_reservation_sku(repeat(text, 's', OCI_SKU_MAX + 1)));
}

static void test_location_ids(void **state)
{
    (void)state;
    char text[OCI_LOCATION_ID_MAX + 2];
    assert_false(oci_valid_location_id(NULL));
    assert_false(oci_valid_location_id(""));
    assert_false(oci_valid_location_id("a"));
    assert_true(oci_valid_location_id("ab"));
    assert_true(oci_valid_location_id("Store-01_east"));
    assert_true(oci_valid_location_id(repeat(text, 'L', OCI_LOCATION_ID_MAX)));
    assert_false(oci_valid_location_id(repeat(text, 'L', OCI_LOCATION_ID_MAX + 1)));
    const char *refused[] = {"a b", "a.b", "a/b", "a:b", "a+b", "ab\n", "st\xc3\xb6re"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        assert_false(oci_valid_location_id(refused[i]));
}

/* Group ids and all-or-nothing ids share one rule: 1..128 of [a-zA-Z0-9-_]. */
static void test_group_and_all_or_nothing_ids(void **state)
{
    (void)state;
    int (*const checks[])(const char *) = {oci_valid_group_id, oci_valid_all_or_nothing_id};
    char text[OCI_GROUP_ID_MAX + 2];
    assert_int_equal(OCI_GROUP_ID_MAX, OCI_ALL_OR_NOTHING_ID_MAX);
    for (size_t c = 0; c < 2; c++) {
        assert_false(checks[c](NULL));
        assert_false(checks[c](""));
        assert_true(checks[c]("g"));
        assert_true(checks[c]("Group_1-a"));
        assert_true(checks[c](repeat(text, 'g', OCI_GROUP_ID_MAX)));
        assert_false(checks[c](repeat(text, 'g', OCI_GROUP_ID_MAX + 1)));
        assert_false(checks[c]("g 1"));
        assert_false(checks[c]("g.1"));
        assert_false(checks[c]("g/1"));
    }
}

static void test_record_ids_are_printable(void **state)
{
    (void)state;
    char text[OCI_RECORD_ID_MAX + 2];
    assert_false(oci_valid_record_id(NULL));
    assert_false(oci_valid_record_id(""));
    assert_true(oci_valid_record_id("r"));
    assert_true(oci_valid_record_id(" ")); /* a space is printable */
    assert_true(oci_valid_record_id("batch 7/line 3; 100% <ok>"));
    assert_true(oci_valid_record_id("r\xc3\xa9" "f"));
    assert_true(oci_valid_record_id(repeat(text, 'r', OCI_RECORD_ID_MAX)));
    assert_false(oci_valid_record_id(repeat(text, 'r', OCI_RECORD_ID_MAX + 1)));
    assert_false(oci_valid_record_id("a\tb"));
    assert_false(oci_valid_record_id("a\nb"));
    assert_false(oci_valid_record_id("\x1f"));
    assert_false(oci_valid_record_id("a\x7f" "b")); /* DEL is a control character, not printable */
}

static void test_reservation_ids_are_record_ids_without_slash(void **state)
{
    (void)state;
    char text[OCI_RESERVATION_ID_MAX + 2];
    assert_false(oci_valid_reservation_id(NULL));
    assert_false(oci_valid_reservation_id(""));
    assert_true(oci_valid_reservation_id("r"));
    assert_true(oci_valid_reservation_id("order 42; line 1"));
    assert_true(oci_valid_reservation_id(repeat(text, 'r', OCI_RESERVATION_ID_MAX)));
    assert_false(oci_valid_reservation_id(repeat(text, 'r', OCI_RESERVATION_ID_MAX + 1)));
    /* It is a path segment: no '/'. */
    assert_false(oci_valid_reservation_id("a/b"));
    assert_false(oci_valid_reservation_id("/"));
    assert_false(oci_valid_reservation_id("a\nb"));
    assert_false(oci_valid_reservation_id("a\x7f" "b"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sku_lengths_and_characters),
        cmocka_unit_test(test_reservation_sku_allows_one_character),
        cmocka_unit_test(test_location_ids),
        cmocka_unit_test(test_group_and_all_or_nothing_ids),
        cmocka_unit_test(test_record_ids_are_printable),
        cmocka_unit_test(test_reservation_ids_are_record_ids_without_slash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
