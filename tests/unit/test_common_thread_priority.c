/*
 * test_common_thread_priority.c - common/thread_priority: a background thread lowers itself alone
 * (the nice value is per thread on Linux), by CM_BACKGROUND_NICE, capped at 19, and is named.
 */
#define _GNU_SOURCE /* pthread_getname_np */
#include "tests/support/test_support.h"

#include <string.h>

#include <pthread.h>

#include "common/thread_priority.h"

typedef struct observed {
    int before, after_first, after_second;
    int first_rc, second_rc;
    char name[16];
} observed;

static void *lower_twice(void *data)
{
    observed *seen = data;
    seen->before = cm_thread_nice();
    seen->first_rc = cm_thread_become_background("a-background-thread-name");
    pthread_getname_np(pthread_self(), seen->name, sizeof seen->name);
    seen->after_first = cm_thread_nice();
    seen->second_rc = cm_thread_become_background("again");
    seen->after_second = cm_thread_nice();
    return NULL;
}

static int capped(int value)
{
    return value > 19 ? 19 : value;
}

static void test_lowers_the_calling_thread_only(void **state)
{
    (void)state;
    int main_before = cm_thread_nice();
    observed seen = {0};
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, lower_twice, &seen), 0);
    assert_int_equal(pthread_join(thread, NULL), 0);
    /* A new thread starts at its creator's nice value. */
    assert_int_equal(seen.before, main_before);
    assert_int_equal(seen.first_rc, 0);
    assert_int_equal(seen.after_first, capped(main_before + CM_BACKGROUND_NICE));
    /* Named, cut to the kernel's 15 bytes. */
    assert_string_equal(seen.name, "a-background-th");
    /* Raising further stops at 19, the largest nice value. */
    assert_int_equal(seen.second_rc, 0);
    assert_int_equal(seen.after_second, capped(main_before + 2 * CM_BACKGROUND_NICE));
    /* The thread that created it (the request path, in omsgw) runs as before. */
    assert_int_equal(cm_thread_nice(), main_before);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lowers_the_calling_thread_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
