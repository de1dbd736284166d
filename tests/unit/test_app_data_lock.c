/*
 * test_app_data_lock.c - app/data_lock: the first taker holds the folder, a second one is refused
 * with the folder and the holder's pid, and the folder is free again once released. (The same
 * with two real processes: tests/e2e/test_operator_config.c.)
 */
#include "tests/support/test_support.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "app/data_lock.h"

static void one_holder_at_a_time(void **state)
{
    (void)state;
    char dir[400];
    th_temp_dir(dir, sizeof dir);
    char error[1400];
    int first = app_data_lock_take(dir, error, sizeof error);
    assert_true(first >= 0);
    /* flock belongs to the open file: a second open in the same process conflicts like another
     * process would. */
    int second = app_data_lock_take(dir, error, sizeof error);
    assert_int_equal(second, -1);
    char expected[600];
    snprintf(expected, sizeof expected, "data folder %s is in use by another omsgw process (pid %ld)", dir,
             (long)getpid());
    if (!strstr(error, expected))
        fail_msg("expected \"%s\", got \"%s\"", expected, error);
    app_data_lock_release(first);
    int again = app_data_lock_take(dir, error, sizeof error);
    assert_true(again >= 0);
    app_data_lock_release(again);
    th_remove_tree(dir);
}

static void a_folder_that_cannot_hold_the_lock_file(void **state)
{
    (void)state;
    char error[1400];
    assert_int_equal(app_data_lock_take("/nonexistent/omsgw-data", error, sizeof error), -1);
    assert_non_null(strstr(error, "data folder /nonexistent/omsgw-data: cannot open"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_holder_at_a_time),
        cmocka_unit_test(a_folder_that_cannot_hold_the_lock_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
