/*
 * test_app_options.c - app/options: --opt value and --opt=value read the same, flags take no
 * value, --help/-h anywhere, and unknown options, missing values and stray words are errors.
 */
#include "tests/support/test_support.h"

#include <string.h>

#include "app/options.h"

static const app_opt specs[] = {{"--config", 1}, {"--json", 0}, {"--set", 1}};
#define SPEC_COUNT (sizeof specs / sizeof specs[0])

static app_opt_result next(int argc, const char **argv, int *index, const char **name, const char **value)
{
    return app_opt_next(argc, (char **)argv, index, specs, SPEC_COUNT, "test", name, value);
}

static void both_spellings_read_the_same(void **state)
{
    (void)state;
    const char *argv[] = {"--config", "a.json", "--config=b.json", "--json", "--set=queue.workers=4", "--set", "x=y"};
    int argc = 7, index = 0;
    const char *name, *value;
    assert_int_equal(next(argc, argv, &index, &name, &value), APP_OPT_FOUND);
    assert_string_equal(name, "--config");
    assert_string_equal(value, "a.json");
    assert_int_equal(next(argc, argv, &index, &name, &value), APP_OPT_FOUND);
    assert_string_equal(value, "b.json");
    assert_int_equal(next(argc, argv, &index, &name, &value), APP_OPT_FOUND);
    assert_string_equal(name, "--json");
    assert_null(value);
    /* Only the first '=' separates: the value keeps its own. */
    assert_int_equal(next(argc, argv, &index, &name, &value), APP_OPT_FOUND);
    assert_string_equal(value, "queue.workers=4");
    assert_int_equal(next(argc, argv, &index, &name, &value), APP_OPT_FOUND);
    assert_string_equal(value, "x=y");
    assert_int_equal(next(argc, argv, &index, &name, &value), APP_OPT_DONE);
}

static void help_anywhere(void **state)
{
    (void)state;
    const char *argv[] = {"--json", "-h"};
    int index = 0;
    const char *name, *value;
    assert_int_equal(next(2, argv, &index, &name, &value), APP_OPT_FOUND);
    assert_int_equal(next(2, argv, &index, &name, &value), APP_OPT_HELP);
    const char *long_form[] = {"--help"};
    index = 0;
    assert_int_equal(next(1, long_form, &index, &name, &value), APP_OPT_HELP);
}

static void mistakes_are_errors(void **state)
{
    (void)state;
    const char *name, *value;
    const char *unknown[] = {"--bogus", "1"};
    int index = 0;
    assert_int_equal(next(2, unknown, &index, &name, &value), APP_OPT_ERROR);
    const char *prefix[] = {"--conf=x"}; /* no abbreviations: a prefix is not the option */
    index = 0;
    assert_int_equal(next(1, prefix, &index, &name, &value), APP_OPT_ERROR);
    const char *missing[] = {"--config"};
    index = 0;
    assert_int_equal(next(1, missing, &index, &name, &value), APP_OPT_ERROR);
    const char *flag_value[] = {"--json=1"};
    index = 0;
    assert_int_equal(next(1, flag_value, &index, &name, &value), APP_OPT_ERROR);
    const char *stray[] = {"serve"};
    index = 0;
    assert_int_equal(next(1, stray, &index, &name, &value), APP_OPT_ERROR);
    const char *empty_value[] = {"--config="};
    index = 0;
    assert_int_equal(next(1, empty_value, &index, &name, &value), APP_OPT_FOUND);
    assert_string_equal(value, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(both_spellings_read_the_same),
        cmocka_unit_test(help_anywhere),
        cmocka_unit_test(mistakes_are_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
