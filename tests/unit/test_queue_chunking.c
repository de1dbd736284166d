/*
 * test_queue_chunking.c - how the queue cuts a job's items into chunk rows (queue/chunking.c): the
 * number of rows, each row's header and exact item bytes (read back with the worker's own reader,
 * translate/stored_items.h), the shorter last chunk, chunks handed back as they were, and the
 * refusals for an index or item ends out of range.
 */
#include "common/body.h"
#include "queue/chunking.h"
#include "queue/store.h"
#include "translate/stored_items.h"
#include "tests/support/test_support.h"

#include <json-c/json.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TEST_ITEMS 64
#define SCRATCH_MAX (1024 * 1024)

/* The items of a job in the stored form, as the gateway hands them to the queue. */
typedef struct test_items {
    cm_body records;
    size_t ends[MAX_TEST_ITEMS];
    size_t count;
} test_items;

/* Item i is {"sku": "SKU-<i>", "quantity": <i * 10>}. */
static void make_items(test_items *items, size_t count)
{
    assert_true(count <= MAX_TEST_ITEMS);
    cm_body_init(&items->records, SCRATCH_MAX);
    items->count = count;
    for (size_t i = 0; i < count; i++) {
        char sku[32];
        snprintf(sku, sizeof sku, "SKU-%zu", i);
        json_object *item = json_object_new_object();
        json_object_object_add(item, "sku", json_object_new_string(sku));
        json_object_object_add(item, "quantity", json_object_new_int64((int64_t)i * 10));
        assert_int_equal(tr_stored_append_json(&items->records, item), CM_OK);
        json_object_put(item);
        items->ends[i] = items->records.length;
    }
}

static q_new_job job_of(const test_items *items, int64_t chunk_size)
{
    q_new_job job;
    memset(&job, 0, sizeof job);
    job.type = Q_JOB_REFRESH;
    job.tenant_id = 1;
    job.item_count = (int64_t)items->count;
    job.chunk_size = chunk_size;
    job.items = items->records.data;
    job.item_ends = items->ends;
    return job;
}

/* Checks that chunk `index` is the header of `count` records followed by exactly the bytes of
 * items first … first + count - 1, and that the worker's reader finds those items in order. */
static void expect_chunk(const q_new_job *job, const test_items *items, size_t index, cm_body *scratch,
                         size_t first, size_t count)
{
    const char *text = NULL;
    size_t length = 0;
    assert_int_equal(q_new_job_chunk(job, index, scratch, &text, &length), CM_OK);
    assert_non_null(text);
    char header[64];
    int header_length = snprintf(header, sizeof header, "%s %zu\n", TR_STORED_MAGIC, count);
    size_t start = first ? items->ends[first - 1] : 0, end = items->ends[first + count - 1];
    assert_int_equal(length, (size_t)header_length + (end - start));
    assert_memory_equal(text, header, (size_t)header_length);
    assert_memory_equal(text + header_length, items->records.data + start, end - start);
    assert_int_equal(text[length], '\0');

    /* The reader writes into the text, so it gets a copy. */
    char *copy = malloc(length + 1);
    assert_non_null(copy);
    memcpy(copy, text, length + 1);
    tr_stored_reader reader;
    assert_int_equal(tr_stored_open(&reader, copy, length), CM_OK);
    assert_int_equal(reader.count, count);
    for (size_t i = 0; i < count; i++) {
        tr_stored_item record;
        assert_int_equal(tr_stored_next(&reader, &record), CM_OK);
        char sku[32];
        snprintf(sku, sizeof sku, "SKU-%zu", first + i);
        assert_non_null(record.item.sku);
        assert_string_equal(record.item.sku, sku);
        assert_int_equal(record.item.quantity, (int64_t)(first + i) * 10);
    }
    tr_stored_item after;
    assert_int_equal(tr_stored_next(&reader, &after), CM_ENOTFOUND);
    free(copy);
}

/* ---- q_new_job_chunk_count ---- */

static void test_count_of_items_rounds_up(void **state)
{
    (void)state;
    test_items items;
    make_items(&items, 25);
    q_new_job job = job_of(&items, 10);
    assert_int_equal(q_new_job_chunk_count(&job), 3);
    job.chunk_size = 5;
    assert_int_equal(q_new_job_chunk_count(&job), 5);
    job.chunk_size = 25;
    assert_int_equal(q_new_job_chunk_count(&job), 1);
    job.chunk_size = 1000;
    assert_int_equal(q_new_job_chunk_count(&job), 1);
    job.chunk_size = 1;
    assert_int_equal(q_new_job_chunk_count(&job), 25);
    cm_body_free(&items.records);
}

static void test_count_of_given_chunks_is_their_number(void **state)
{
    (void)state;
    const char *const payloads[] = {"a", "bb", "ccc"};
    const size_t lengths[] = {1, 2, 3};
    q_new_job job;
    memset(&job, 0, sizeof job);
    job.chunk_payloads = payloads;
    job.chunk_lengths = lengths;
    job.chunk_count = 3;
    assert_int_equal(q_new_job_chunk_count(&job), 3);
}

static void test_count_is_zero_without_items_or_chunks(void **state)
{
    (void)state;
    q_new_job job;
    memset(&job, 0, sizeof job);
    assert_int_equal(q_new_job_chunk_count(&job), 0);
    /* Items with no usable count or chunk size are not items to cut. */
    test_items items;
    make_items(&items, 3);
    job = job_of(&items, 0);
    assert_int_equal(q_new_job_chunk_count(&job), 0);
    job = job_of(&items, 2);
    job.item_count = 0;
    assert_int_equal(q_new_job_chunk_count(&job), 0);
    job = job_of(&items, 2);
    job.item_ends = NULL;
    assert_int_equal(q_new_job_chunk_count(&job), 0);
    job = job_of(&items, 2);
    job.items = NULL;
    assert_int_equal(q_new_job_chunk_count(&job), 0);
    cm_body_free(&items.records);
}

static void test_items_win_over_given_chunks(void **state)
{
    (void)state;
    test_items items;
    make_items(&items, 5);
    const char *const payloads[] = {"ignored"};
    const size_t lengths[] = {7};
    q_new_job job = job_of(&items, 2);
    job.chunk_payloads = payloads;
    job.chunk_lengths = lengths;
    job.chunk_count = 1;
    assert_int_equal(q_new_job_chunk_count(&job), 3);
    cm_body scratch;
    cm_body_init(&scratch, SCRATCH_MAX);
    expect_chunk(&job, &items, 0, &scratch, 0, 2);
    cm_body_free(&scratch);
    cm_body_free(&items.records);
}

/* ---- q_new_job_chunk from items ---- */

static void test_chunks_hold_their_items_and_the_last_is_shorter(void **state)
{
    (void)state;
    test_items items;
    make_items(&items, 25);
    q_new_job job = job_of(&items, 10);
    cm_body scratch;
    cm_body_init(&scratch, SCRATCH_MAX);
    expect_chunk(&job, &items, 0, &scratch, 0, 10);
    expect_chunk(&job, &items, 1, &scratch, 10, 10);
    expect_chunk(&job, &items, 2, &scratch, 20, 5);
    /* Out of order is fine: each call starts the scratch again rather than appending to it. */
    expect_chunk(&job, &items, 1, &scratch, 10, 10);
    cm_body_free(&scratch);
    cm_body_free(&items.records);
}

static void test_one_item_chunks_and_one_chunk_jobs(void **state)
{
    (void)state;
    test_items items;
    make_items(&items, 3);
    cm_body scratch;
    cm_body_init(&scratch, SCRATCH_MAX);
    q_new_job job = job_of(&items, 1);
    for (size_t i = 0; i < 3; i++)
        expect_chunk(&job, &items, i, &scratch, i, 1);
    job = job_of(&items, 1000);
    expect_chunk(&job, &items, 0, &scratch, 0, 3);
    cm_body_free(&scratch);
    cm_body_free(&items.records);
}

static void test_index_past_the_last_chunk_is_refused(void **state)
{
    (void)state;
    test_items items;
    make_items(&items, 25);
    q_new_job job = job_of(&items, 10);
    cm_body scratch;
    cm_body_init(&scratch, SCRATCH_MAX);
    const char *text = "untouched";
    size_t length = 42;
    assert_int_equal(q_new_job_chunk(&job, 3, &scratch, &text, &length), CM_EINVAL);
    assert_int_equal(q_new_job_chunk(&job, 1000, &scratch, &text, &length), CM_EINVAL);
    assert_int_equal(q_new_job_chunk(&job, SIZE_MAX, &scratch, &text, &length), CM_EINVAL);
    assert_string_equal(text, "untouched");
    assert_int_equal(length, 42);
    cm_body_free(&scratch);
    cm_body_free(&items.records);
}

static void test_index_whose_first_item_wraps_around_is_refused(void **state)
{
    (void)state;
    /* index * chunk_size past SIZE_MAX must not wrap around to a small item number: with a chunk
     * size of 4, index 2^62 (SIZE_MAX / 4 + 1) times 4 is 2^64, which is 0 in size_t arithmetic,
     * and would give back chunk 0 for an index far out of range. */
    test_items items;
    make_items(&items, 8);
    q_new_job job = job_of(&items, 4);
    cm_body scratch;
    cm_body_init(&scratch, SCRATCH_MAX);
    const char *text = "untouched";
    size_t length = 42;
    assert_int_equal(q_new_job_chunk(&job, SIZE_MAX / 4 + 1, &scratch, &text, &length), CM_EINVAL);
    assert_int_equal(q_new_job_chunk(&job, SIZE_MAX / 4 + 2, &scratch, &text, &length), CM_EINVAL);
    assert_string_equal(text, "untouched");
    cm_body_free(&scratch);
    cm_body_free(&items.records);
}

static void test_item_ends_going_backwards_are_refused(void **state)
{
    (void)state;
    test_items items;
    make_items(&items, 4);
    /* Item 2 would end before item 1 does: its bytes would be a range of negative size. */
    items.ends[2] = items.ends[0];
    q_new_job job = job_of(&items, 1);
    cm_body scratch;
    cm_body_init(&scratch, SCRATCH_MAX);
    const char *text = "untouched";
    size_t length = 42;
    assert_int_equal(q_new_job_chunk(&job, 2, &scratch, &text, &length), CM_EINVAL);
    assert_string_equal(text, "untouched");
    /* The other chunks are still cut. */
    expect_chunk(&job, &items, 0, &scratch, 0, 1);
    expect_chunk(&job, &items, 1, &scratch, 1, 1);
    cm_body_free(&scratch);
    cm_body_free(&items.records);
}

/* ---- q_new_job_chunk from given chunks ---- */

static void test_given_chunks_are_pointed_at_not_copied(void **state)
{
    (void)state;
    const char *const payloads[] = {"omsgw-items/2 0\n", "[{\"sku\":\"A\",\"quantity\":1}]"};
    const size_t lengths[] = {strlen(payloads[0]), strlen(payloads[1])};
    q_new_job job;
    memset(&job, 0, sizeof job);
    job.chunk_payloads = payloads;
    job.chunk_lengths = lengths;
    job.chunk_count = 2;
    cm_body scratch;
    cm_body_init(&scratch, SCRATCH_MAX);
    const char *text = NULL;
    size_t length = 0;
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(q_new_job_chunk(&job, i, &scratch, &text, &length), CM_OK);
        assert_ptr_equal(text, payloads[i]);
        assert_int_equal(length, lengths[i]);
    }
    /* The scratch was not needed. */
    assert_int_equal(scratch.length, 0);
    text = "untouched";
    assert_int_equal(q_new_job_chunk(&job, 2, &scratch, &text, &length), CM_EINVAL);
    assert_int_equal(q_new_job_chunk(&job, SIZE_MAX, &scratch, &text, &length), CM_EINVAL);
    assert_string_equal(text, "untouched");
    cm_body_free(&scratch);
}

static void test_job_without_items_or_chunks_has_no_chunk(void **state)
{
    (void)state;
    q_new_job job;
    memset(&job, 0, sizeof job);
    cm_body scratch;
    cm_body_init(&scratch, SCRATCH_MAX);
    const char *text = "untouched";
    size_t length = 42;
    assert_int_equal(q_new_job_chunk(&job, 0, &scratch, &text, &length), CM_EINVAL);
    assert_string_equal(text, "untouched");
    assert_int_equal(length, 42);
    cm_body_free(&scratch);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_count_of_items_rounds_up),
        cmocka_unit_test(test_count_of_given_chunks_is_their_number),
        cmocka_unit_test(test_count_is_zero_without_items_or_chunks),
        cmocka_unit_test(test_items_win_over_given_chunks),
        cmocka_unit_test(test_chunks_hold_their_items_and_the_last_is_shorter),
        cmocka_unit_test(test_one_item_chunks_and_one_chunk_jobs),
        cmocka_unit_test(test_index_past_the_last_chunk_is_refused),
        cmocka_unit_test(test_index_whose_first_item_wraps_around_is_refused),
        cmocka_unit_test(test_item_ends_going_backwards_are_refused),
        cmocka_unit_test(test_given_chunks_are_pointed_at_not_copied),
        cmocka_unit_test(test_job_without_items_or_chunks_has_no_chunk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
