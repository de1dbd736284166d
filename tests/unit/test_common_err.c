/*
 * test_common_err.c - common/err: every code has its own short name, and unknown codes still
 * get a string (callers log cm_strerror() of anything they are handed).
 */
#include "tests/support/test_support.h"

#include <string.h>

#include "common/err.h"

static void every_code_has_a_distinct_name(void **state)
{
    (void)state;
    const cm_err codes[] = {CM_OK,     CM_ENOMEM,  CM_EINVAL, CM_ETOOBIG,  CM_ENOTFOUND,
                            CM_EEXIST, CM_EDB,     CM_EFULL,  CM_EBUSY,    CM_EIO,
                            CM_ECONFIG, CM_ESTATE, CM_ETIMEOUT, CM_ESTOPPING, CM_EUNAVAILABLE};
    const size_t count = sizeof codes / sizeof codes[0];
    for (size_t i = 0; i < count; i++) {
        const char *name = cm_strerror(codes[i]);
        assert_non_null(name);
        assert_true(strlen(name) > 0);
        assert_string_not_equal(name, "unknown error");
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(name, cm_strerror(codes[j]));
    }
    assert_string_equal(cm_strerror(CM_OK), "ok");
    assert_string_equal(cm_strerror(CM_ECONFIG), "invalid configuration");
}

static void codes_are_zero_or_negative(void **state)
{
    (void)state;
    assert_int_equal(CM_OK, 0);
    assert_true(CM_ENOMEM < 0 && CM_ESTOPPING < 0 && CM_ECONFIG < 0);
}

static void unknown_codes_get_a_name(void **state)
{
    (void)state;
    assert_string_equal(cm_strerror((cm_err)-99), "unknown error");
    assert_string_equal(cm_strerror((cm_err)1), "unknown error");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_code_has_a_distinct_name),
        cmocka_unit_test(codes_are_zero_or_negative),
        cmocka_unit_test(unknown_codes_get_a_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
