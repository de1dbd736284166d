/*
 * test_common_uuid.c - common/uuid: random v4 ids, deterministic name-based v8 ids (pinned,
 * because stored record ids depend on them) and validation.
 */
#include "tests/support/test_support.h"

#include <stdlib.h>
#include <string.h>

#include "common/uuid.h"

static void assert_layout(const char *uuid, char version)
{
    assert_int_equal(strlen(uuid), CM_UUID_TEXT_LEN);
    assert_true(cm_uuid_is_valid(uuid));
    for (int i = 0; i < CM_UUID_TEXT_LEN; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23)
            assert_int_equal(uuid[i], '-');
        else
            assert_non_null(strchr("0123456789abcdef", uuid[i])); /* lower case */
    }
    assert_int_equal(uuid[14], version);
    assert_non_null(strchr("89ab", uuid[19])); /* RFC 4122/9562 variant */
}

static void random_uuids(void **state)
{
    (void)state;
    char a[CM_UUID_TEXT_LEN + 1], b[CM_UUID_TEXT_LEN + 1];
    cm_uuid_random(a);
    cm_uuid_random(b);
    assert_layout(a, '4');
    assert_layout(b, '4');
    assert_string_not_equal(a, b);
}

static void name_based_uuids_are_deterministic(void **state)
{
    (void)state;
    char a[CM_UUID_TEXT_LEN + 1], b[CM_UUID_TEXT_LEN + 1], c[CM_UUID_TEXT_LEN + 1],
        d[CM_UUID_TEXT_LEN + 1];
    cm_uuid_from_name("ns", "name", a);
    cm_uuid_from_name("ns", "name", b);
    assert_string_equal(a, b);
    assert_layout(a, '8');
    /* Pinned: SHA-256("ns\nname") with the version and variant bits set. Changing the algorithm
     * would change every stored record id, so this must never move. */
    assert_string_equal(a, "56b42a69-c7cd-830d-b50f-9da575d6f6fd");

    cm_uuid_from_name("ns", "name2", c);
    assert_layout(c, '8');
    assert_string_not_equal(a, c);
    cm_uuid_from_name("other", "name", d);
    assert_string_not_equal(a, d);
    /* The empty name is a name too. */
    cm_uuid_from_name("ns", "", c);
    assert_layout(c, '8');
    assert_string_not_equal(a, c);
}

static void uuid_validation(void **state)
{
    (void)state;
    assert_true(cm_uuid_is_valid("56b42a69-c7cd-830d-b50f-9da575d6f6fd"));
    assert_true(cm_uuid_is_valid("56B42A69-C7CD-830D-B50F-9DA575D6F6FD"));
    assert_true(cm_uuid_is_valid("00000000-0000-0000-0000-000000000000"));
    assert_false(cm_uuid_is_valid(NULL));
    assert_false(cm_uuid_is_valid(""));
    assert_false(cm_uuid_is_valid("56b42a69-c7cd-830d-b50f-9da575d6f6f"));   /* short */
    assert_false(cm_uuid_is_valid("56b42a69-c7cd-830d-b50f-9da575d6f6fd0")); /* long */
    assert_false(cm_uuid_is_valid("56b42a69c7cd-830d-b50f-9da575d6f6fd0"));  /* dash moved */
    assert_false(cm_uuid_is_valid("56b42a69-c7cd-830d-b50f-9da575d6f6fg"));  /* not hex */
    assert_false(cm_uuid_is_valid("56b42a69-c7cd-830d-b50f_9da575d6f6fd"));
    assert_false(cm_uuid_is_valid("{6b42a69-c7cd-830d-b50f-9da575d6f6f}"));
    assert_false(cm_uuid_is_valid("56b42a69-c7cd-830d-b50f-9da575d6f6 d"));
    assert_false(cm_uuid_is_valid("56b42a690c7cd0830d0b50f09da575d6f6fd"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(random_uuids),
        cmocka_unit_test(name_based_uuids_are_deterministic),
        cmocka_unit_test(uuid_validation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
