/*
 * test_gateway_job_json.c - a job as the legacy job routes return it (gateway/job_json.c): every
 * member of the reply with its JSON type and value, times as RFC 3339 text or null, `success` only
 * for a successful job, stored messages kept or replaced by [] when they are not an array, and the
 * `progress` extension with its `retry` part for a job waiting to retry a chunk.
 */
#include "gateway/job_json.h"
#include "queue/job.h"
#include "tests/support/test_support.h"

#include <json-c/json.h>

#include <stdio.h>
#include <string.h>

/* 2023-11-14T22:13:20Z, and two later instants with milliseconds, so a wrong unit shows. */
#define ADDED_MS 1700000000000LL
#define STARTED_MS 1700000001250LL
#define FINISHED_MS 1700000061999LL

/* The members every reply has: both legacy variants' fields and `progress`. */
#define JOB_MEMBER_COUNT 17

/* A finished, successful refresh with every field set to a distinct value. */
static q_job finished_refresh(char *messages)
{
    q_job job;
    memset(&job, 0, sizeof job);
    job.job_id = 9001;
    job.type = Q_JOB_REFRESH;
    job.tenant_id = 12345;
    job.location_num = 77;
    snprintf(job.location_name, sizeof job.location_name, "%s", "Store 3");
    snprintf(job.oci_location, sizeof job.oci_location, "%s", "store-3");
    snprintf(job.organization_id, sizeof job.organization_id, "%s", "org1");
    job.status = Q_SUCCESS;
    job.success = 1;
    job.added_ms = ADDED_MS;
    job.started_ms = STARTED_MS;
    job.finished_ms = FINISHED_MS;
    job.item_count = 2500;
    job.chunk_size = 1000;
    job.chunks_total = 3;
    job.chunks_done = 3;
    job.items_applied = 2498;
    job.items_failed = 2;
    job.attempts = 4;
    job.interruptions = 1;
    job.messages_json = messages;
    return job;
}

static json_object *member(json_object *object, const char *name, json_type type)
{
    json_object *value = NULL;
    if (!json_object_object_get_ex(object, name, &value))
        fail_msg("member \"%s\" is missing", name);
    if (!json_object_is_type(value, type))
        fail_msg("member \"%s\" is a %s, not a %s", name, json_type_to_name(json_object_get_type(value)),
                 json_type_to_name(type));
    return value;
}

static int64_t int_member(json_object *object, const char *name)
{
    return json_object_get_int64(member(object, name, json_type_int));
}

static const char *string_member(json_object *object, const char *name)
{
    return json_object_get_string(member(object, name, json_type_string));
}

static int bool_member(json_object *object, const char *name)
{
    return json_object_get_boolean(member(object, name, json_type_boolean));
}

static const char *plain(json_object *value)
{
    return json_object_to_json_string_ext(value, JSON_C_TO_STRING_PLAIN);
}

static void test_finished_job_has_every_member(void **state)
{
    (void)state;
    char messages[] = "[\"items[3] (sku A1): InvalidSku: no such SKU\"]";
    q_job job = finished_refresh(messages);
    json_object *body = gw_job_to_json(&job);
    assert_non_null(body);
    assert_int_equal(json_object_object_length(body), JOB_MEMBER_COUNT);
    assert_int_equal(int_member(body, "jobID"), 9001);
    assert_int_equal(int_member(body, "tenantID"), 12345);
    assert_int_equal(int_member(body, "locationID"), 77);
    assert_string_equal(string_member(body, "locationCode"), "store-3");
    assert_string_equal(string_member(body, "locationName"), "Store 3");
    assert_string_equal(string_member(body, "type"), "REFRESH");
    assert_string_equal(string_member(body, "added"), "2023-11-14T22:13:20.000Z");
    assert_string_equal(string_member(body, "started"), "2023-11-14T22:13:21.250Z");
    assert_string_equal(string_member(body, "finished"), "2023-11-14T22:14:21.999Z");
    member(body, "originalFilename", json_type_null);
    assert_true(bool_member(body, "hasData"));
    assert_int_equal(int_member(body, "itemCount"), 2500);
    assert_int_equal(int_member(body, "numResults"), 2500);
    assert_string_equal(string_member(body, "status"), "SUCCESS");
    assert_true(bool_member(body, "success"));
    assert_string_equal(plain(member(body, "messages", json_type_array)),
                        "[\"items[3] (sku A1): InvalidSku: no such SKU\"]");
    json_object *progress = member(body, "progress", json_type_object);
    /* No retry part: the job is not waiting for anything. */
    assert_int_equal(json_object_object_length(progress), 6);
    assert_int_equal(int_member(progress, "chunksTotal"), 3);
    assert_int_equal(int_member(progress, "chunksDone"), 3);
    assert_int_equal(int_member(progress, "itemsApplied"), 2498);
    assert_int_equal(int_member(progress, "itemsFailed"), 2);
    assert_int_equal(int_member(progress, "attempts"), 4);
    assert_int_equal(int_member(progress, "interruptions"), 1);
    json_object_put(body);
}

static void test_adjust_job_is_typed_adjust(void **state)
{
    (void)state;
    q_job job = finished_refresh(NULL);
    job.type = Q_JOB_ADJUST;
    json_object *body = gw_job_to_json(&job);
    assert_string_equal(string_member(body, "type"), "ADJUST");
    json_object_put(body);
}

static void test_times_not_reached_are_null(void **state)
{
    (void)state;
    q_job job = finished_refresh(NULL);
    job.status = Q_PENDING;
    job.success = 0;
    job.started_ms = 0;
    job.finished_ms = 0;
    json_object *body = gw_job_to_json(&job);
    assert_string_equal(string_member(body, "added"), "2023-11-14T22:13:20.000Z");
    member(body, "started", json_type_null);
    member(body, "finished", json_type_null);
    assert_string_equal(string_member(body, "status"), "PENDING");
    assert_false(bool_member(body, "success"));
    json_object_put(body);
    /* Below zero is "not yet" as well; one millisecond after the epoch is a time. */
    job.added_ms = -5;
    job.started_ms = 1;
    body = gw_job_to_json(&job);
    member(body, "added", json_type_null);
    assert_string_equal(string_member(body, "started"), "1970-01-01T00:00:00.001Z");
    json_object_put(body);
}

static void test_success_needs_both_the_status_and_the_flag(void **state)
{
    (void)state;
    static const struct {
        q_status status;
        int success;
        const char *status_name;
        int expected;
    } cases[] = {
        {Q_SUCCESS, 1, "SUCCESS", 1},
        /* The stored flag still decides among SUCCESS jobs: 0 is not a success. */
        {Q_SUCCESS, 0, "SUCCESS", 0},
        /* A flag left over from another state never makes an unfinished or failed job a success. */
        {Q_FAILED, 1, "FAILED", 0},
        {Q_WORKING, 1, "WORKING", 0},
        {Q_PENDING, 1, "PENDING", 0},
        {Q_FAILED, 0, "FAILED", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        q_job job = finished_refresh(NULL);
        job.status = cases[i].status;
        job.success = cases[i].success;
        json_object *body = gw_job_to_json(&job);
        assert_string_equal(string_member(body, "status"), cases[i].status_name);
        if (bool_member(body, "success") != cases[i].expected)
            fail_msg("case %zu: success is %d", i, !cases[i].expected);
        json_object_put(body);
    }
}

static void test_messages_that_are_not_an_array_become_empty(void **state)
{
    (void)state;
    char object[] = "{\"a\":1}";
    char string[] = "\"just text\"";
    char broken[] = "[\"unterminated";
    char empty[] = "";
    char *const cases[] = {NULL, object, string, broken, empty};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        q_job job = finished_refresh(cases[i]);
        json_object *body = gw_job_to_json(&job);
        json_object *messages = member(body, "messages", json_type_array);
        if (json_object_array_length(messages) != 0)
            fail_msg("case %zu gave %s", i, plain(messages));
        json_object_put(body);
    }
}

static void test_stored_messages_are_kept_in_order(void **state)
{
    (void)state;
    char messages[] = "[\"first\", \"second \\\"quoted\\\"\",\"third\"]";
    q_job job = finished_refresh(messages);
    json_object *body = gw_job_to_json(&job);
    json_object *list = member(body, "messages", json_type_array);
    assert_int_equal(json_object_array_length(list), 3);
    assert_string_equal(json_object_get_string(json_object_array_get_idx(list, 0)), "first");
    assert_string_equal(json_object_get_string(json_object_array_get_idx(list, 1)), "second \"quoted\"");
    assert_string_equal(json_object_get_string(json_object_array_get_idx(list, 2)), "third");
    json_object_put(body);
}

/* A job parked after a failed chunk delivery: WORKING, chunk 2 of 3 failed twice. */
static q_job waiting_job(char *last_error)
{
    q_job job = finished_refresh(NULL);
    job.status = Q_WORKING;
    job.success = 0;
    job.finished_ms = 0;
    job.chunks_done = 1;
    job.chunk_retries = 2;
    job.last_error = last_error;
    job.next_attempt_ms = FINISHED_MS;
    return job;
}

static void test_job_waiting_to_retry_says_why_and_when(void **state)
{
    (void)state;
    char error[] = "OCI answered 503";
    q_job job = waiting_job(error);
    json_object *body = gw_job_to_json(&job);
    assert_string_equal(string_member(body, "status"), "WORKING");
    json_object *progress = member(body, "progress", json_type_object);
    assert_int_equal(json_object_object_length(progress), 7);
    json_object *retry = member(progress, "retry", json_type_object);
    assert_int_equal(json_object_object_length(retry), 4);
    /* The chunk is counted from 1: one chunk done, the second is the one retried. */
    assert_int_equal(int_member(retry, "chunk"), 2);
    assert_int_equal(int_member(retry, "failedTries"), 2);
    assert_string_equal(string_member(retry, "lastError"), "OCI answered 503");
    assert_string_equal(string_member(retry, "nextAttempt"), "2023-11-14T22:14:21.999Z");
    /* The retry part stays inside progress: the legacy members are unchanged. */
    assert_int_equal(json_object_object_length(body), JOB_MEMBER_COUNT);
    json_object_put(body);
}

static void test_retry_without_a_next_attempt_time_has_null(void **state)
{
    (void)state;
    char error[] = "timeout";
    q_job job = waiting_job(error);
    job.next_attempt_ms = 0;
    json_object *body = gw_job_to_json(&job);
    json_object *retry = member(member(body, "progress", json_type_object), "retry", json_type_object);
    member(retry, "nextAttempt", json_type_null);
    json_object_put(body);
}

static void test_retry_part_only_for_a_working_job_with_failed_tries_and_an_error(void **state)
{
    (void)state;
    char error[] = "OCI answered 503";
    q_job no_error = waiting_job(NULL);
    q_job no_tries = waiting_job(error);
    no_tries.chunk_retries = 0;
    q_job failed = waiting_job(error);
    failed.status = Q_FAILED;
    q_job pending = waiting_job(error);
    pending.status = Q_PENDING;
    const q_job *const cases[] = {&no_error, &no_tries, &failed, &pending};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_object *body = gw_job_to_json(cases[i]);
        json_object *progress = member(body, "progress", json_type_object);
        if (json_object_object_get_ex(progress, "retry", NULL))
            fail_msg("case %zu has a retry part: %s", i, plain(progress));
        assert_int_equal(json_object_object_length(progress), 6);
        json_object_put(body);
    }
}

static void test_empty_strings_and_zero_counts_are_written_as_such(void **state)
{
    (void)state;
    q_job job;
    memset(&job, 0, sizeof job);
    job.type = Q_JOB_REFRESH;
    job.status = Q_PENDING;
    json_object *body = gw_job_to_json(&job);
    assert_int_equal(json_object_object_length(body), JOB_MEMBER_COUNT);
    assert_int_equal(int_member(body, "jobID"), 0);
    assert_string_equal(string_member(body, "locationCode"), "");
    assert_string_equal(string_member(body, "locationName"), "");
    member(body, "added", json_type_null);
    assert_int_equal(int_member(body, "itemCount"), 0);
    assert_int_equal(int_member(body, "numResults"), 0);
    assert_string_equal(plain(member(body, "messages", json_type_array)), "[]");
    json_object_put(body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_finished_job_has_every_member),
        cmocka_unit_test(test_adjust_job_is_typed_adjust),
        cmocka_unit_test(test_times_not_reached_are_null),
        cmocka_unit_test(test_success_needs_both_the_status_and_the_flag),
        cmocka_unit_test(test_messages_that_are_not_an_array_become_empty),
        cmocka_unit_test(test_stored_messages_are_kept_in_order),
        cmocka_unit_test(test_job_waiting_to_retry_says_why_and_when),
        cmocka_unit_test(test_retry_without_a_next_attempt_time_has_null),
        cmocka_unit_test(test_retry_part_only_for_a_working_job_with_failed_tries_and_an_error),
        cmocka_unit_test(test_empty_strings_and_zero_counts_are_written_as_such),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
