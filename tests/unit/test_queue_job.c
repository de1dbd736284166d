/*
 * test_queue_job.c - what a job is (queue/job.c): the status and type names the schemas store and
 * the replies show, reading a type back from its name (exact, upper case), clearing what a job owns,
 * and how many chunks a job's items make, at the limits of int64_t too.
 */
#include "queue/job.h"
#include "tests/support/test_support.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void test_status_names(void **state)
{
    (void)state;
    assert_string_equal(q_status_name(Q_PENDING), "PENDING");
    assert_string_equal(q_status_name(Q_WORKING), "WORKING");
    assert_string_equal(q_status_name(Q_SUCCESS), "SUCCESS");
    assert_string_equal(q_status_name(Q_FAILED), "FAILED");
}

static void test_type_names(void **state)
{
    (void)state;
    assert_string_equal(q_job_type_name(Q_JOB_REFRESH), "REFRESH");
    assert_string_equal(q_job_type_name(Q_JOB_ADJUST), "ADJUST");
}

static void test_type_from_name_reads_back_both_names(void **state)
{
    (void)state;
    assert_int_equal(q_job_type_from_name("REFRESH"), Q_JOB_REFRESH);
    assert_int_equal(q_job_type_from_name("ADJUST"), Q_JOB_ADJUST);
    /* Every type survives the round trip through its stored name. */
    const q_job_type types[] = {Q_JOB_REFRESH, Q_JOB_ADJUST};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        assert_int_equal(q_job_type_from_name(q_job_type_name(types[i])), types[i]);
}

static void test_type_from_name_is_exact_and_upper_case(void **state)
{
    (void)state;
    static const char *const refused[] = {
        "refresh", "Refresh", "adjust", "Adjust", "", " REFRESH", "REFRESH ", "REFRESHX", "ADJ", "PENDING",
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        if (q_job_type_from_name(refused[i]) != 0)
            fail_msg("\"%s\" was read as a type", refused[i]);
    assert_int_equal(q_job_type_from_name(NULL), 0);
}

static void test_types_are_distinct_bits_for_filters(void **state)
{
    (void)state;
    /* List filters OR the types together, so each must be its own bit and ALL must hold both. */
    assert_int_equal(Q_JOB_REFRESH & Q_JOB_ADJUST, 0);
    assert_int_equal(Q_JOB_TYPES_ALL, Q_JOB_REFRESH | Q_JOB_ADJUST);
    assert_true(Q_JOB_TYPES_ALL & Q_JOB_REFRESH);
    assert_true(Q_JOB_TYPES_ALL & Q_JOB_ADJUST);
    /* 0 is the "no such type" answer of q_job_type_from_name, so no type may be 0. */
    assert_int_not_equal(Q_JOB_REFRESH, 0);
    assert_int_not_equal(Q_JOB_ADJUST, 0);
}

static void test_clear_frees_what_the_job_owns_and_keeps_the_rest(void **state)
{
    (void)state;
    q_job job;
    memset(&job, 0, sizeof job);
    job.job_id = 7;
    job.status = Q_SUCCESS;
    job.messages_json = strdup("[\"note\"]");
    job.last_error = strdup("OCI answered 503");
    assert_non_null(job.messages_json);
    assert_non_null(job.last_error);
    /* AddressSanitizer's leak check reports the strings if they are not freed. */
    q_job_clear(&job);
    assert_null(job.messages_json);
    assert_null(job.last_error);
    assert_int_equal(job.job_id, 7);
    assert_int_equal(job.status, Q_SUCCESS);
    /* Clearing again, or clearing a job that owns nothing, is harmless. */
    q_job_clear(&job);
    q_job empty;
    memset(&empty, 0, sizeof empty);
    q_job_clear(&empty);
    assert_null(empty.messages_json);
}

static void test_chunk_count_rounds_up(void **state)
{
    (void)state;
    assert_int_equal(q_chunk_count(1, 1000), 1);
    assert_int_equal(q_chunk_count(999, 1000), 1);
    assert_int_equal(q_chunk_count(1000, 1000), 1);
    assert_int_equal(q_chunk_count(1001, 1000), 2);
    assert_int_equal(q_chunk_count(2500, 1000), 3);
    assert_int_equal(q_chunk_count(12000, 1000), 12);
    assert_int_equal(q_chunk_count(12000, 1), 12000);
    /* A chunk larger than the job holds the whole job. */
    assert_int_equal(q_chunk_count(5, 12000), 1);
}

static void test_chunk_count_is_at_least_one(void **state)
{
    (void)state;
    /* A job without items (or a chunk size that makes no sense) still has its one chunk row. */
    assert_int_equal(q_chunk_count(0, 1000), 1);
    assert_int_equal(q_chunk_count(-5, 1000), 1);
    assert_int_equal(q_chunk_count(100, 0), 1);
    assert_int_equal(q_chunk_count(100, -1), 1);
    assert_int_equal(q_chunk_count(INT64_MIN, INT64_MIN), 1);
}

static void test_chunk_count_at_the_limits_of_int64(void **state)
{
    (void)state;
    /* Rounding up must not compute item_count + chunk_size - 1, which passes INT64_MAX here (and
     * UBSan stops the test at the signed overflow). */
    assert_int_equal(q_chunk_count(INT64_MAX, 1), INT64_MAX);
    assert_int_equal(q_chunk_count(INT64_MAX, 2), INT64_MAX / 2 + 1);
    assert_int_equal(q_chunk_count(INT64_MAX, 1000), INT64_MAX / 1000 + 1);
    assert_int_equal(q_chunk_count(INT64_MAX, INT64_MAX), 1);
    assert_int_equal(q_chunk_count(INT64_MAX - 1, INT64_MAX), 1);
    assert_int_equal(q_chunk_count(1, INT64_MAX), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_names),
        cmocka_unit_test(test_type_names),
        cmocka_unit_test(test_type_from_name_reads_back_both_names),
        cmocka_unit_test(test_type_from_name_is_exact_and_upper_case),
        cmocka_unit_test(test_types_are_distinct_bits_for_filters),
        cmocka_unit_test(test_clear_frees_what_the_job_owns_and_keeps_the_rest),
        cmocka_unit_test(test_chunk_count_rounds_up),
        cmocka_unit_test(test_chunk_count_is_at_least_one),
        cmocka_unit_test(test_chunk_count_at_the_limits_of_int64),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
