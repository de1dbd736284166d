/*
 * test_queue_messages.c - a job's messages as one JSON array text (queue/messages.c): starting from
 * stored text or "[]", appending strings (escaped, separated, bounded by Q_MESSAGES_MAX_BYTES with
 * nothing appended past it), telling an empty list, and the messages a job ends with, gathered from
 * a real SQLite store: stored ones, an adjust's notes from its chunks' saved state, an extra line,
 * and the first Q_MAX_REPORTED_FAILURES refused items with a count when more were refused.
 * Every result is parsed back with json-c and checked element by element.
 */
#include "common/body.h"
#include "common/clock.h"
#include "queue/job.h"
#include "queue/messages.h"
#include "queue/store.h"
#include "translate/stored_items.h"
#include "tests/support/test_support.h"

#include <json-c/json.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WORKER "test-worker"
#define MAX_TEST_ITEMS 128

/* Parses `text` as a JSON array and checks it holds exactly the strings `expected` (count of them). */
static void expect_strings(const char *text, const char *const *expected, size_t count)
{
    json_object *array = json_tokener_parse(text);
    if (!array || !json_object_is_type(array, json_type_array))
        fail_msg("not a JSON array: %s", text);
    assert_int_equal(json_object_array_length(array), count);
    for (size_t i = 0; i < count; i++) {
        json_object *element = json_object_array_get_idx(array, i);
        assert_true(json_object_is_type(element, json_type_string));
        assert_string_equal(json_object_get_string(element), expected[i]);
    }
    json_object_put(array);
}

/* ---- q_messages_init ---- */

static void test_init_without_existing_text_is_an_empty_array(void **state)
{
    (void)state;
    cm_body messages;
    assert_int_equal(q_messages_init(&messages, NULL), CM_OK);
    assert_string_equal(messages.data, "[]");
    assert_int_equal(messages.length, 2);
    assert_int_equal(messages.max_bytes, Q_MESSAGES_MAX_BYTES);
    assert_true(q_messages_empty(&messages));
    cm_body_free(&messages);
}

static void test_init_copies_an_array_text(void **state)
{
    (void)state;
    cm_body messages;
    assert_int_equal(q_messages_init(&messages, "[\"a\",\"b\"]"), CM_OK);
    assert_string_equal(messages.data, "[\"a\",\"b\"]");
    assert_false(q_messages_empty(&messages));
    cm_body_free(&messages);
    /* Trailing white space is not part of the copy, so the closing ']' is the last byte. */
    assert_int_equal(q_messages_init(&messages, "[\"a\"]\n  "), CM_OK);
    assert_string_equal(messages.data, "[\"a\"]");
    cm_body_free(&messages);
}

static void test_init_copies_an_array_text_after_leading_space(void **state)
{
    (void)state;
    /* White space before the '[' is still an array's text: its messages are kept, and the copy
     * starts at the '[' so that appending after it gives valid JSON. */
    cm_body messages;
    assert_int_equal(q_messages_init(&messages, " \n[\"kept\"] "), CM_OK);
    assert_string_equal(messages.data, "[\"kept\"]");
    assert_int_equal(q_messages_add(&messages, "added"), CM_OK);
    const char *const expected[] = {"kept", "added"};
    expect_strings(messages.data, expected, 2);
    cm_body_free(&messages);
}

static void test_init_with_text_that_is_not_an_array_is_empty(void **state)
{
    (void)state;
    static const char *const not_arrays[] = {"", "   ", "[", "]", "{}", "\"text\"", "null", "x[]", "[1] x", "][",
                                             "{\"a\":[]}"};
    for (size_t i = 0; i < sizeof not_arrays / sizeof not_arrays[0]; i++) {
        cm_body messages;
        assert_int_equal(q_messages_init(&messages, not_arrays[i]), CM_OK);
        if (strcmp(messages.data, "[]") != 0)
            fail_msg("\"%s\" gave %s", not_arrays[i], messages.data);
        cm_body_free(&messages);
    }
}

/* Stored messages longer than the limit (a version with a larger one kept them) are replaced by a
 * line that says so, not silently by "[]". */
static void test_init_with_stored_messages_past_the_limit(void **state)
{
    (void)state;
    size_t length = Q_MESSAGES_MAX_BYTES + 100;
    char *stored = malloc(length + 1);
    assert_non_null(stored);
    memset(stored, 'x', length);
    stored[0] = '[';
    stored[1] = '"';
    stored[length - 2] = '"';
    stored[length - 1] = ']';
    stored[length] = '\0';
    cm_body messages;
    assert_int_equal(q_messages_init(&messages, stored), CM_OK);
    assert_string_equal(messages.data, "[\"(earlier messages were longer than the limit and were dropped)\"]");
    assert_int_equal(q_messages_add(&messages, "next"), CM_OK);
    assert_non_null(strstr(messages.data, ",\"next\"]"));
    cm_body_free(&messages);
    free(stored);
}

/* ---- q_messages_empty ---- */

static void test_empty_means_no_element(void **state)
{
    (void)state;
    cm_body messages;
    assert_int_equal(q_messages_init(&messages, "[ \n\t\r ]"), CM_OK);
    assert_true(q_messages_empty(&messages));
    cm_body_free(&messages);
    assert_int_equal(q_messages_init(&messages, "[\"\"]"), CM_OK);
    assert_false(q_messages_empty(&messages));
    cm_body_free(&messages);
}

/* ---- q_messages_add ---- */

static void test_add_appends_in_order_with_separators(void **state)
{
    (void)state;
    cm_body messages;
    assert_int_equal(q_messages_init(&messages, NULL), CM_OK);
    assert_int_equal(q_messages_add(&messages, "first"), CM_OK);
    assert_string_equal(messages.data, "[\"first\"]");
    assert_false(q_messages_empty(&messages));
    assert_int_equal(q_messages_add(&messages, "second"), CM_OK);
    assert_int_equal(q_messages_add(&messages, ""), CM_OK);
    assert_string_equal(messages.data, "[\"first\",\"second\",\"\"]");
    cm_body_free(&messages);
}

static void test_add_after_stored_messages_and_inside_blank_arrays(void **state)
{
    (void)state;
    cm_body messages;
    assert_int_equal(q_messages_init(&messages, "[\"stored\"]"), CM_OK);
    assert_int_equal(q_messages_add(&messages, "new"), CM_OK);
    const char *const after_stored[] = {"stored", "new"};
    expect_strings(messages.data, after_stored, 2);
    cm_body_free(&messages);
    /* An array of only white space takes no comma before its first element. */
    assert_int_equal(q_messages_init(&messages, "[  ]"), CM_OK);
    assert_int_equal(q_messages_add(&messages, "only"), CM_OK);
    const char *const only[] = {"only"};
    expect_strings(messages.data, only, 1);
    cm_body_free(&messages);
}

static void test_add_escapes_what_json_strings_cannot_hold(void **state)
{
    (void)state;
    const char text[] = "quote \" backslash \\ newline \n tab \t bell \a slash / unicode \xc3\xa9";
    cm_body messages;
    assert_int_equal(q_messages_init(&messages, NULL), CM_OK);
    assert_int_equal(q_messages_add(&messages, text), CM_OK);
    const char *const expected[] = {text};
    expect_strings(messages.data, expected, 1);
    /* No raw control byte is left in the text. */
    for (size_t i = 0; i < messages.length; i++)
        assert_true((unsigned char)messages.data[i] >= ' ');
    cm_body_free(&messages);
}

static void test_add_refuses_a_body_that_is_not_an_array(void **state)
{
    (void)state;
    cm_body messages;
    cm_body_init(&messages, Q_MESSAGES_MAX_BYTES);
    /* Never initialized: nothing to append to. */
    assert_int_equal(q_messages_add(&messages, "x"), CM_EINVAL);
    assert_int_equal(messages.length, 0);
    assert_int_equal(cm_body_append(&messages, "[\"a\"", 4), CM_OK);
    assert_int_equal(q_messages_add(&messages, "x"), CM_EINVAL);
    assert_string_equal(messages.data, "[\"a\"");
    cm_body_free(&messages);
}

/* A string of `length` 'x' bytes (caller frees). */
static char *filler(size_t length)
{
    char *text = malloc(length + 1);
    assert_non_null(text);
    memset(text, 'x', length);
    text[length] = '\0';
    return text;
}

static void test_add_fills_up_to_the_maximum_exactly(void **state)
{
    (void)state;
    /* "[" + '"' + n bytes + '"' + "]" is n + 4 bytes: n = max - 4 fills the buffer exactly. */
    cm_body messages;
    assert_int_equal(q_messages_init(&messages, NULL), CM_OK);
    char *text = filler(Q_MESSAGES_MAX_BYTES - 4);
    assert_int_equal(q_messages_add(&messages, text), CM_OK);
    assert_int_equal(messages.length, Q_MESSAGES_MAX_BYTES);
    assert_int_equal(messages.data[messages.length - 1], ']');
    /* Full: even an empty string (",\"\"" is three more bytes) is refused. */
    assert_int_equal(q_messages_add(&messages, ""), CM_ETOOBIG);
    assert_int_equal(messages.length, Q_MESSAGES_MAX_BYTES);
    const char *const expected[] = {text};
    expect_strings(messages.data, expected, 1);
    free(text);
    cm_body_free(&messages);
}

static void test_add_past_the_maximum_appends_nothing(void **state)
{
    (void)state;
    cm_body messages;
    assert_int_equal(q_messages_init(&messages, "[\"stored\"]"), CM_OK);
    assert_int_equal(q_messages_add(&messages, "second"), CM_OK);
    char before[64];
    snprintf(before, sizeof before, "%s", messages.data);
    size_t length_before = messages.length;
    /* One byte more than fits after the comma: refused whole, never cut. */
    char *text = filler(Q_MESSAGES_MAX_BYTES - length_before - 3 + 1);
    assert_int_equal(q_messages_add(&messages, text), CM_ETOOBIG);
    assert_int_equal(messages.length, length_before);
    assert_string_equal(messages.data, before);
    /* The list is still whole and still takes what fits. */
    assert_int_equal(q_messages_add(&messages, "third"), CM_OK);
    const char *const expected[] = {"stored", "second", "third"};
    expect_strings(messages.data, expected, 3);
    free(text);
    cm_body_free(&messages);
}

static void test_add_past_the_maximum_while_escaping_appends_nothing(void **state)
{
    (void)state;
    /* Escaping makes the text grow as it is written: a refusal half-way must still leave the list
     * as it was (and its closing bracket in place). Each newline takes two bytes. */
    cm_body messages;
    assert_int_equal(q_messages_init(&messages, NULL), CM_OK);
    char *text = filler(Q_MESSAGES_MAX_BYTES / 2);
    memset(text, '\n', Q_MESSAGES_MAX_BYTES / 2);
    assert_int_equal(q_messages_add(&messages, text), CM_ETOOBIG);
    assert_string_equal(messages.data, "[]");
    assert_int_equal(messages.length, 2);
    assert_true(q_messages_empty(&messages));
    free(text);
    cm_body_free(&messages);
}

/* ---- q_messages_final, on a real SQLite store ---- */

typedef struct fixture {
    char dir[256];
    q_store *store;
    cm_body records;
    size_t ends[MAX_TEST_ITEMS];
} fixture;

static int open_store(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    th_temp_dir(f->dir, sizeof f->dir);
    char path[320];
    snprintf(path, sizeof path, "%s/gateway.db", f->dir);
    q_store_options options = {.backend = Q_STORE_SQLITE, .sqlite_path = path, .connections = 2};
    char error[Q_STORE_ERROR_MAX];
    cm_err rc = q_store_open(&options, &f->store, error);
    if (rc)
        fail_msg("q_store_open: %s (%s)", cm_strerror(rc), error);
    cm_body_init(&f->records, 1024 * 1024);
    *state = f;
    return 0;
}

static int close_store(void **state)
{
    fixture *f = *state;
    q_store_close(f->store);
    cm_body_free(&f->records);
    th_remove_tree(f->dir);
    free(f);
    return 0;
}

/* Accepts a job of `item_count` items (item i: sku "SKU-<i>", quantity i) in chunks of `chunk_size`
 * with `messages_json`, and claims it; *job is the claimed job (the caller clears it). */
static void accept_and_claim(fixture *f, q_job_type type, size_t item_count, int64_t chunk_size,
                             const char *messages_json, q_job *job)
{
    assert_true(item_count <= MAX_TEST_ITEMS);
    cm_body_reset(&f->records);
    for (size_t i = 0; i < item_count; i++) {
        char sku[32];
        snprintf(sku, sizeof sku, "SKU-%zu", i);
        json_object *item = json_object_new_object();
        json_object_object_add(item, "sku", json_object_new_string(sku));
        json_object_object_add(item, "quantity", json_object_new_int64((int64_t)i));
        assert_int_equal(tr_stored_append_json(&f->records, item), CM_OK);
        json_object_put(item);
        f->ends[i] = f->records.length;
    }
    q_new_job new_job = {
        .type = type,
        .tenant_id = 1,
        .location_name = "Location 1",
        .oci_location = "warehouse-1",
        .organization_id = "org1",
        .accepted_ms = cm_now_ms(),
        .item_count = (int64_t)item_count,
        .chunk_size = chunk_size,
        .items = f->records.data,
        .item_ends = f->ends,
        .messages_json = messages_json,
    };
    int64_t job_id = 0;
    assert_int_equal(q_store_accept(f->store, &new_job, &job_id), CM_OK);
    assert_int_equal(q_store_claim(f->store, WORKER, cm_now_ms(), job), CM_OK);
    assert_int_equal(job->job_id, job_id);
    assert_int_equal(job->type, type);
}

/* Records chunk 0 of `job` with `count` failures: item i refused as "InvalidSku" with message
 * "no such SKU <i>" (sku NULL for the items listed in `no_sku`, a 1 per item). */
static void record_failures(fixture *f, const q_job *job, size_t count, const int *no_sku)
{
    q_item_failure failures[MAX_TEST_ITEMS];
    char skus[MAX_TEST_ITEMS][32], texts[MAX_TEST_ITEMS][48];
    assert_true(count <= MAX_TEST_ITEMS);
    for (size_t i = 0; i < count; i++) {
        snprintf(skus[i], sizeof skus[i], "SKU-%zu", i);
        snprintf(texts[i], sizeof texts[i], "no such SKU %zu", i);
        failures[i] = (q_item_failure){
            .item_index = (int64_t)i,
            .sku = no_sku && no_sku[i] ? NULL : skus[i],
            .error_code = "InvalidSku",
            .message = texts[i],
        };
    }
    q_checkpoint checkpoint = {
        .job_id = job->job_id,
        .tenant_id = job->tenant_id,
        .oci_location = job->oci_location,
        .worker_token = WORKER,
        .chunk_index = 0,
        .items_applied = job->item_count - (int64_t)count,
        .failures = failures,
        .failure_count = count,
        .now_ms = cm_now_ms(),
    };
    assert_int_equal(q_store_checkpoint(f->store, &checkpoint), CM_OK);
}

static void test_final_of_a_clean_job_without_messages_is_empty(void **state)
{
    fixture *f = *state;
    q_job job;
    accept_and_claim(f, Q_JOB_REFRESH, 3, 1000, NULL, &job);
    char *text = q_messages_final(f->store, &job, 0, NULL);
    assert_non_null(text);
    assert_string_equal(text, "[]");
    free(text);
    q_job_clear(&job);
}

static void test_final_of_a_clean_job_keeps_its_stored_messages(void **state)
{
    fixture *f = *state;
    q_job job;
    accept_and_claim(f, Q_JOB_REFRESH, 3, 1000, "[\"items[1]: duplicate sku SKU-1\"]", &job);
    char *text = q_messages_final(f->store, &job, 0, NULL);
    const char *const expected[] = {"items[1]: duplicate sku SKU-1"};
    expect_strings(text, expected, 1);
    free(text);
    q_job_clear(&job);
}

static void test_final_adds_the_extra_line_after_the_stored_ones(void **state)
{
    fixture *f = *state;
    q_job job;
    accept_and_claim(f, Q_JOB_REFRESH, 2, 1000, "[\"stored note\"]", &job);
    char *text = q_messages_final(f->store, &job, 0, "Cancelled by the operator.");
    const char *const expected[] = {"stored note", "Cancelled by the operator."};
    expect_strings(text, expected, 2);
    free(text);
    q_job_clear(&job);
}

static void test_final_lists_each_refused_item(void **state)
{
    fixture *f = *state;
    q_job job;
    accept_and_claim(f, Q_JOB_REFRESH, 4, 1000, "[\"stored note\"]", &job);
    /* Item 2's SKU is unknown to the store (NULL): the line says "?". */
    const int no_sku[] = {0, 0, 1};
    record_failures(f, &job, 3, no_sku);
    char *text = q_messages_final(f->store, &job, 3, "extra");
    /* All refused items are listed, so no count line follows them. */
    const char *const expected[] = {
        "stored note",
        "extra",
        "items[0] (sku SKU-0): InvalidSku: no such SKU 0",
        "items[1] (sku SKU-1): InvalidSku: no such SKU 1",
        "items[2] (sku ?): InvalidSku: no such SKU 2",
    };
    expect_strings(text, expected, 5);
    free(text);
    q_job_clear(&job);
}

static void test_final_without_a_failure_count_lists_no_failures(void **state)
{
    fixture *f = *state;
    q_job job;
    accept_and_claim(f, Q_JOB_REFRESH, 2, 1000, NULL, &job);
    record_failures(f, &job, 2, NULL);
    /* items_failed is what asks for the list: 0 means the job reports none. */
    char *text = q_messages_final(f->store, &job, 0, NULL);
    assert_string_equal(text, "[]");
    free(text);
    q_job_clear(&job);
}

static void test_final_lists_the_first_failures_and_counts_the_rest(void **state)
{
    fixture *f = *state;
    q_job job;
    const size_t refused = Q_MAX_REPORTED_FAILURES + 5;
    accept_and_claim(f, Q_JOB_REFRESH, refused, 1000, NULL, &job);
    record_failures(f, &job, refused, NULL);
    char *text = q_messages_final(f->store, &job, (int64_t)refused, NULL);
    json_object *array = json_tokener_parse(text);
    assert_non_null(array);
    assert_int_equal(json_object_array_length(array), Q_MAX_REPORTED_FAILURES + 1);
    /* In item order: the first listed is item 0, the last item 99. */
    assert_string_equal(json_object_get_string(json_object_array_get_idx(array, 0)),
                        "items[0] (sku SKU-0): InvalidSku: no such SKU 0");
    char last[96];
    snprintf(last, sizeof last, "items[%d] (sku SKU-%d): InvalidSku: no such SKU %d", Q_MAX_REPORTED_FAILURES - 1,
             Q_MAX_REPORTED_FAILURES - 1, Q_MAX_REPORTED_FAILURES - 1);
    assert_string_equal(json_object_get_string(json_object_array_get_idx(array, Q_MAX_REPORTED_FAILURES - 1)), last);
    char count_line[128];
    snprintf(count_line, sizeof count_line, "%zu items in all were refused by OCI; the first %d are listed.", refused,
             Q_MAX_REPORTED_FAILURES);
    assert_string_equal(json_object_get_string(json_object_array_get_idx(array, Q_MAX_REPORTED_FAILURES)),
                        count_line);
    json_object_put(array);
    free(text);
    q_job_clear(&job);
}

static void test_final_counts_failures_the_store_does_not_hold(void **state)
{
    fixture *f = *state;
    q_job job;
    accept_and_claim(f, Q_JOB_REFRESH, 10, 1000, NULL, &job);
    record_failures(f, &job, 2, NULL);
    /* 7 refused, 2 on record: the two are listed and the count says how many there were. */
    char *text = q_messages_final(f->store, &job, 7, NULL);
    const char *const expected[] = {
        "items[0] (sku SKU-0): InvalidSku: no such SKU 0",
        "items[1] (sku SKU-1): InvalidSku: no such SKU 1",
        "7 items in all were refused by OCI; the first 2 are listed.",
    };
    expect_strings(text, expected, 3);
    free(text);
    q_job_clear(&job);
}

static void test_final_of_an_adjust_gathers_its_chunks_notes(void **state)
{
    fixture *f = *state;
    q_job job;
    /* Three chunks of one item; chunk 1 saved no notes, chunk 2 nothing at all. */
    accept_and_claim(f, Q_JOB_ADJUST, 3, 1, "[\"stored note\"]", &job);
    assert_int_equal(job.chunks_total, 3);
    assert_int_equal(q_store_save_chunk_state(f->store, job.job_id, WORKER, 0,
                                              "{\"values\":[],\"notes\":[\"SKU-0 clamped at 0\",\"SKU-0 again\"]}"),
                     CM_OK);
    assert_int_equal(q_store_save_chunk_state(f->store, job.job_id, WORKER, 1, "{\"values\":[]}"), CM_OK);
    char *text = q_messages_final(f->store, &job, 0, "extra");
    /* Stored messages first, then the notes in chunk order, then the extra line. */
    const char *const expected[] = {"stored note", "SKU-0 clamped at 0", "SKU-0 again", "extra"};
    expect_strings(text, expected, 4);
    free(text);
    q_job_clear(&job);
}

static void test_final_of_a_refresh_ignores_saved_chunk_state(void **state)
{
    fixture *f = *state;
    q_job job;
    /* Notes are an adjust's; a refresh's saved state (if any) is not read for them. */
    accept_and_claim(f, Q_JOB_REFRESH, 2, 1, NULL, &job);
    assert_int_equal(q_store_save_chunk_state(f->store, job.job_id, WORKER, 0, "{\"notes\":[\"not mine\"]}"), CM_OK);
    char *text = q_messages_final(f->store, &job, 0, NULL);
    assert_string_equal(text, "[]");
    free(text);
    q_job_clear(&job);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_without_existing_text_is_an_empty_array),
        cmocka_unit_test(test_init_copies_an_array_text),
        cmocka_unit_test(test_init_copies_an_array_text_after_leading_space),
        cmocka_unit_test(test_init_with_text_that_is_not_an_array_is_empty),
        cmocka_unit_test(test_init_with_stored_messages_past_the_limit),
        cmocka_unit_test(test_empty_means_no_element),
        cmocka_unit_test(test_add_appends_in_order_with_separators),
        cmocka_unit_test(test_add_after_stored_messages_and_inside_blank_arrays),
        cmocka_unit_test(test_add_escapes_what_json_strings_cannot_hold),
        cmocka_unit_test(test_add_refuses_a_body_that_is_not_an_array),
        cmocka_unit_test(test_add_fills_up_to_the_maximum_exactly),
        cmocka_unit_test(test_add_past_the_maximum_appends_nothing),
        cmocka_unit_test(test_add_past_the_maximum_while_escaping_appends_nothing),
        cmocka_unit_test_setup_teardown(test_final_of_a_clean_job_without_messages_is_empty, open_store, close_store),
        cmocka_unit_test_setup_teardown(test_final_of_a_clean_job_keeps_its_stored_messages, open_store, close_store),
        cmocka_unit_test_setup_teardown(test_final_adds_the_extra_line_after_the_stored_ones, open_store, close_store),
        cmocka_unit_test_setup_teardown(test_final_lists_each_refused_item, open_store, close_store),
        cmocka_unit_test_setup_teardown(test_final_without_a_failure_count_lists_no_failures, open_store, close_store),
        cmocka_unit_test_setup_teardown(test_final_lists_the_first_failures_and_counts_the_rest, open_store,
                                        close_store),
        cmocka_unit_test_setup_teardown(test_final_counts_failures_the_store_does_not_hold, open_store, close_store),
        cmocka_unit_test_setup_teardown(test_final_of_an_adjust_gathers_its_chunks_notes, open_store, close_store),
        cmocka_unit_test_setup_teardown(test_final_of_a_refresh_ignores_saved_chunk_state, open_store, close_store),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
