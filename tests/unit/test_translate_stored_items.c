/*
 * test_translate_stored_items.c - the stored chunk form (translate/stored_items.h) and the one translate
 * entry for a chunk (translate/chunk.h): round trips, malformed rows, rows of the previous form
 * (JSON arrays), and the records, failures and extras the worker and `omsgw translate` get.
 */
#include "common/body.h"
#include "common/digest.h"
#include "common/json_util.h"
#include "tests/support/test_support.h"
#include "translate/chunk.h"
#include "translate/stored_items.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_object *parse(const char *text)
{
    json_object *value = NULL;
    char error[CM_JSON_ERROR_MAX];
    assert_int_equal(cm_json_parse(text, strlen(text), 16, &value, error), CM_OK);
    return value;
}

/* A chunk of the current form for the normalized items of `json_array` (a JSON array text). */
static char *chunk_of(const char *json_array, size_t *length)
{
    json_object *items = parse(json_array);
    cm_body out;
    cm_body_init(&out, 1 << 24);
    assert_int_equal(tr_stored_append_header(&out, json_object_array_length(items)), CM_OK);
    for (size_t i = 0; i < json_object_array_length(items); i++)
        assert_int_equal(tr_stored_append_json(&out, json_object_array_get_idx(items, i)), CM_OK);
    json_object_put(items);
    return cm_body_take(&out, length);
}

static char *copy_of(const char *text, size_t *length)
{
    *length = strlen(text);
    char *copy = malloc(*length + 1);
    memcpy(copy, text, *length + 1);
    return copy;
}

static const char ITEMS[] =
    "[{\"sku\":\"A-1\",\"partNumber\":\"P 1\\nsecond line\",\"quantity\":101,\"binID\":3,\"floor\":2,"
    "\"safetyStock\":5,\"retailPrice\":19.99,\"attributes\":[\"x\",\"y\"]},"
    "{\"upc\":\"0001\",\"quantity\":0},"
    "{\"partNumber\":\"Q\\u0001\\\"quoted\\\"\",\"sku\":\"B-2\",\"quantity\":-7}]";

static void test_round_trip(void **state)
{
    (void)state;
    size_t length = 0;
    char *text = chunk_of(ITEMS, &length);
    assert_true(tr_stored_is_current(text, length));
    /* No NUL inside: it goes to PostgreSQL as a text parameter. */
    assert_int_equal(strlen(text), length);
    const char *prefix = "omsgw-items/2 3\n101 5 2 3:A-1 15:P 1\nsecond line - ";
    if (strncmp(text, prefix, strlen(prefix)) != 0)
        fail_msg("the chunk starts \"%.60s\"", text);

    tr_stored_reader reader;
    assert_int_equal(tr_stored_open(&reader, text, length), CM_OK);
    assert_int_equal(reader.count, 3);
    json_object *expected = parse(ITEMS);
    tr_stored_item stored;
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(tr_stored_next(&reader, &stored), CM_OK);
        assert_false(stored.malformed);
        json_object *back = tr_stored_item_json(&stored);
        assert_non_null(back);
        /* The same members (floor and safetyStock move behind the other kept fields). */
        if (!json_object_equal(back, json_object_array_get_idx(expected, i)))
            fail_msg("item %zu came back as %s", i, json_object_to_json_string(back));
        json_object_put(back);
        if (i == 0) {
            assert_string_equal(stored.item.sku, "A-1");
            assert_string_equal(stored.item.part_number, "P 1\nsecond line");
            assert_null(stored.item.upc);
            assert_int_equal(stored.item.quantity, 101);
            assert_true(stored.item.has_safety_stock && stored.item.safety_stock == 5);
            assert_true(stored.item.has_floor && stored.item.floor == 2);
            assert_string_equal(stored.kept, "\"binID\":3,\"retailPrice\":19.99,\"attributes\":[\"x\",\"y\"],"
                                             "\"floor\":2,\"safetyStock\":5");
        }
        if (i == 1) {
            assert_false(stored.item.has_safety_stock);
            assert_false(stored.item.has_floor);
            assert_int_equal(stored.kept_length, 0);
        }
        if (i == 2)
            assert_int_equal(stored.item.quantity, -7);
    }
    assert_int_equal(tr_stored_next(&reader, &stored), CM_ENOTFOUND);
    json_object_put(expected);
    free(text);
}

static void expect_corrupt(const char *text)
{
    size_t length = 0;
    char *copy = copy_of(text, &length);
    tr_stored_reader reader;
    cm_err rc = tr_stored_open(&reader, copy, length);
    tr_stored_item stored;
    while (rc == CM_OK)
        rc = tr_stored_next(&reader, &stored);
    if (rc != CM_EINVAL)
        fail_msg("not refused as corrupt: \"%s\" (%s)", text, cm_strerror(rc));
    free(copy);
    /* The translate entry refuses the whole chunk. */
    tr_context context = {.tenant_id = 1, .job_id = 1, .location_id = "loc"};
    cm_identifier order[] = {CM_ID_SKU, CM_ID_PART_NUMBER, CM_ID_UPC};
    context.sku_from = order;
    context.sku_from_count = 3;
    copy = copy_of(text, &length);
    tr_chunk chunk;
    assert_int_equal(tr_translate_chunk(&context, copy, length, 0, 1, &chunk), CM_EINVAL);
    tr_chunk_clear(&chunk);
}

/* The gateway writes records from its checked fields (tr_stored_append_record, kept members by
 * tr_stored_kept_*): the bytes are those of the normalized object written by
 * tr_stored_append_json, which rows already stored were written with. */
static void test_record_from_fields_matches_normalized_json(void **state)
{
    (void)state;
    json_object *normalized =
        parse("{\"sku\":\"A-1\",\"partNumber\":\"P/1 \\\"q\\\"\",\"quantity\":-7,\"binID\":3,\"floor\":2,"
              "\"safetyStock\":5,\"currencyID\":840,\"retailPrice\":19.990,\"ltd\":1e3,"
              "\"inventoryLocatorName\":\"A/1\",\"attributes\":[\"x/y\",\"z\"]}");
    cm_body from_json, from_fields, kept;
    cm_body_init(&from_json, 1 << 20);
    cm_body_init(&from_fields, 1 << 20);
    cm_body_init(&kept, 1 << 20);
    assert_int_equal(tr_stored_append_json(&from_json, normalized), CM_OK);

    json_object *value = NULL;
    assert_int_equal(tr_stored_kept_int(&kept, "binID", 3), CM_OK);
    assert_int_equal(tr_stored_kept_int(&kept, "currencyID", 840), CM_OK);
    assert_true(json_object_object_get_ex(normalized, "retailPrice", &value));
    assert_int_equal(tr_stored_kept_value(&kept, "retailPrice", value), CM_OK);
    assert_true(json_object_object_get_ex(normalized, "ltd", &value));
    assert_int_equal(tr_stored_kept_value(&kept, "ltd", value), CM_OK);
    assert_true(json_object_object_get_ex(normalized, "inventoryLocatorName", &value));
    assert_int_equal(tr_stored_kept_value(&kept, "inventoryLocatorName", value), CM_OK);
    assert_true(json_object_object_get_ex(normalized, "attributes", &value));
    assert_int_equal(tr_stored_kept_value(&kept, "attributes", value), CM_OK);
    assert_int_equal(tr_stored_kept_int(&kept, "floor", 2), CM_OK);
    assert_int_equal(tr_stored_kept_int(&kept, "safetyStock", 5), CM_OK);
    tr_stored_fields fields;
    memset(&fields, 0, sizeof fields);
    fields.ids[0] = "A-1";
    fields.id_lengths[0] = 3;
    fields.ids[1] = "P/1 \"q\"";
    fields.id_lengths[1] = strlen(fields.ids[1]);
    fields.quantity = -7;
    fields.has_floor = fields.has_safety_stock = 1;
    fields.floor = 2;
    fields.safety_stock = 5;
    fields.kept = kept.data;
    fields.kept_length = kept.length;
    assert_int_equal(tr_stored_append_record(&from_fields, &fields), CM_OK);
    assert_string_equal(from_fields.data, from_json.data);
    assert_non_null(strstr(from_json.data, "\"retailPrice\":19.990,\"ltd\":1e3,"));

    /* An identifier holding a NUL is refused and nothing is appended. */
    size_t before = from_fields.length;
    fields.ids[2] = "a\0b";
    fields.id_lengths[2] = 3;
    assert_int_equal(tr_stored_append_record(&from_fields, &fields), CM_EINVAL);
    assert_int_equal(from_fields.length, before);

    /* Absent optional fields are "-", an empty kept part "0:". */
    memset(&fields, 0, sizeof fields);
    fields.ids[2] = "0001";
    fields.id_lengths[2] = 4;
    cm_body_reset(&from_fields);
    assert_int_equal(tr_stored_append_record(&from_fields, &fields), CM_OK);
    assert_string_equal(from_fields.data, "0 - - - - 4:0001 0:\n");
    cm_body_free(&from_json);
    cm_body_free(&from_fields);
    cm_body_free(&kept);
    json_object_put(normalized);
}

static void test_malformed_rows(void **state)
{
    (void)state;
    expect_corrupt("");
    expect_corrupt("omsgw-items/2\n");
    expect_corrupt("omsgw-items/2 x\n");
    expect_corrupt("omsgw-items/3 1\n1 - - 2:AB - - 0:\n");
    expect_corrupt("omsgw-items/2 2\n1 - - 2:AB - - 0:\n");             /* fewer records than announced */
    expect_corrupt("omsgw-items/2 1\n1 - - 2:AB - - 0:\n2 - - 2:CD - - 0:\n"); /* more */
    expect_corrupt("omsgw-items/2 1\n1 - - 9:AB - - 0:\n");             /* a length past the end */
    expect_corrupt("omsgw-items/2 1\n1 - - 3:AB - - 0:\n");             /* a length that misses the separator */
    expect_corrupt("omsgw-items/2 1\n1 - - 2:AB - -\n");                /* no kept field */
    expect_corrupt("omsgw-items/2 1\n1 - - 2:AB - - 0:");               /* cut short */
    expect_corrupt("omsgw-items/2 1\n99999999999999999999 - - 2:AB - - 0:\n"); /* out of range */
    expect_corrupt("omsgw-items/2 1\n1 x - 2:AB - - 0:\n");
    expect_corrupt("omsgw-items/2 1\n1 - - -5:AB - - 0:\n");
    /* Kept members that are not JSON (they would reach the extras store). */
    expect_corrupt("omsgw-items/2 1\n1 - - 2:AB - - 5:\"a\":}\n");
    expect_corrupt("omsgw-items/2 1\n1 - - 2:AB - - 7:\"a\":1,}\n");
    expect_corrupt("omsgw-items/2 1\n1 - - 2:AB - - 8:\"a\":[1,2\n");
    expect_corrupt("omsgw-items/2 1\n1 - - 2:AB - - 6:\"a\":01\n");
    /* Bytes that are not UTF-8 (a damaged row): an identifier, a kept string, a surrogate. */
    expect_corrupt("omsgw-items/2 1\n1 - - 2:A\xc7 - - 0:\n");
    expect_corrupt("omsgw-items/2 1\n1 - - 2:AB - - 7:\"a\":\"\xff\"\n");
    expect_corrupt("omsgw-items/2 1\n1 - - 4:A\xed\xa0\x80 - - 0:\n");
    expect_corrupt("[{\"sku\":\"AB\",\"quantity\":1}");                  /* an old row cut short */
    expect_corrupt("{\"sku\":\"AB\",\"quantity\":1}");                   /* an old row that is no array */
    /* A NUL inside a string is refused although the length covers it. */
    char with_nul[] = "omsgw-items/2 1\n1 - - 2:A\0 - - 0:\n";
    tr_stored_reader reader;
    tr_stored_item stored;
    assert_int_equal(tr_stored_open(&reader, with_nul, sizeof with_nul - 1), CM_OK);
    assert_int_equal(tr_stored_next(&reader, &stored), CM_EINVAL);
}

/* A one-record row whose kept part is `kept`. */
static char *row_with_kept(const char *kept)
{
    size_t length = strlen(kept);
    size_t size = length + 64;
    char *row = malloc(size);
    assert_non_null(row);
    snprintf(row, size, "omsgw-items/2 1\n1 - - 2:AB 2:PN - %zu:%s\n", length, kept);
    return row;
}

/* What the worker builds from the kept members must read back with the gateway's parser: a row
 * whose kept part the parser would refuse (a number that overflows, a key twice, a record key)
 * is corrupt; the unusual rows it accepts are accepted, and their extras parse. */
static void test_kept_members_read_back_with_the_gateway_parser(void **state)
{
    (void)state;
    static const char *const refused[] = {
        "\"a\":1e999",                      /* Infinity */
        "\"a\":-1E+400",
        "\"a\":1,\"a\":2",                  /* a key twice */
        "\"a\":1,\"\\u0061\":2",            /* ... once escaped */
        "\"a\":{\"b\":1,\"b\":2}",          /* ... in a nested object */
        "\"sku\":\"X\"",                    /* the record's own keys */
        "\"\\u0073ku\":\"X\"",
        "\"quantity\":1",
        "\"binID\":3,\"upc\":\"1\"",
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        char *row = row_with_kept(refused[i]);
        expect_corrupt(row);
        free(row);
    }
    /* More keys than the fast pass compares: the parser finds the one written twice. */
    char many[2048] = "";
    for (int k = 0; k < 40; k++)
        snprintf(many + strlen(many), sizeof many - strlen(many), "%s\"k%d\":%d", k ? "," : "", k % 39, k);
    char *row = row_with_kept(many);
    expect_corrupt(row);
    free(row);

    static const char *const accepted[] = {
        "\"a\":1e5,\"b\":{\"c\":[1,{\"d\":null}],\"e\":true}",
        "\"\\u0062inID\":3,\"floor\":2,\"safetyStock\":5",
        "\"attributes\":[\"x\",\"y\"],\"retailPrice\":19.99",
    };
    for (size_t i = 0; i < sizeof accepted / sizeof accepted[0] + 1; i++) {
        if (i == sizeof accepted / sizeof accepted[0]) {
            many[0] = '\0';
            for (int k = 0; k < 40; k++)
                snprintf(many + strlen(many), sizeof many - strlen(many), "%s\"k%d\":%d", k ? "," : "", k, k);
        }
        row = row_with_kept(i < sizeof accepted / sizeof accepted[0] ? accepted[i] : many);
        tr_context context = {.tenant_id = 1, .job_id = 1, .location_id = "loc"};
        cm_identifier order[] = {CM_ID_SKU, CM_ID_PART_NUMBER, CM_ID_UPC};
        context.sku_from = order;
        context.sku_from_count = 3;
        tr_chunk chunk;
        assert_int_equal(tr_translate_chunk(&context, row, strlen(row), 0, 1, &chunk), CM_OK);
        assert_int_equal(chunk.record_count, 1);
        assert_non_null(chunk.extras[0]);
        json_object *extras = NULL;
        char error[CM_JSON_ERROR_MAX];
        assert_int_equal(cm_json_parse(chunk.extras[0], strlen(chunk.extras[0]), 16, &extras, error), CM_OK);
        assert_true(json_object_is_type(extras, json_type_object));
        assert_string_equal(json_object_get_string(json_object_object_get(extras, "partNumber")), "PN");
        json_object_put(extras);
        tr_chunk_clear(&chunk); /* the chunk owned the row */
    }
}

static void test_old_rows_are_rewritten(void **state)
{
    (void)state;
    /* A row as omsgw stored it before: the normalized items as one JSON array, the second item
     * without a quantity (malformed), the third not even an object. */
    const char old[] = "[{\"sku\":\"OLD-1\",\"partNumber\":\"P\",\"quantity\":4,\"binID\":3,\"floor\":1},"
                       "{\"sku\":\"OLD-2\"},7,{\"upc\":\"0002\",\"quantity\":2,\"safetyStock\":3}]";
    cm_body rewritten;
    cm_body_init(&rewritten, 1 << 20);
    assert_int_equal(tr_stored_from_legacy_json(old, strlen(old), &rewritten), CM_OK);
    assert_string_equal(rewritten.data, "omsgw-items/2 4\n"
                                        "4 - 1 5:OLD-1 1:P - 19:\"binID\":3,\"floor\":1\n"
                                        "!\n"
                                        "!\n"
                                        "2 3 - - - 4:0002 15:\"safetyStock\":3\n");
    cm_body_free(&rewritten);
}

static tr_context context_for(const cm_identifier *order, size_t order_count)
{
    tr_context context = {.installation_id = "inst", .tenant_id = 12345, .job_id = 77, .location_id = "warehouse-1",
                          .effective_ms = 1700000000000, .sku_from = order, .sku_from_count = order_count,
                          .floor = CM_FLOOR_MAX};
    return context;
}

static void test_translate_entry(void **state)
{
    (void)state;
    static const cm_identifier order[] = {CM_ID_SKU, CM_ID_PART_NUMBER, CM_ID_UPC};
    tr_context context = context_for(order, 3);
    size_t length = 0;
    char *text = chunk_of(ITEMS, &length);
    tr_chunk chunk;
    assert_int_equal(tr_translate_chunk(&context, text, length, 3000, 1, &chunk), CM_OK);
    assert_int_equal(chunk.item_count, 3);
    assert_int_equal(chunk.record_count, 3);
    assert_int_equal(chunk.failure_count, 0);
    assert_string_equal(chunk.records[0].sku, "A-1");
    assert_int_equal(chunk.records[0].item_index, 3000);
    assert_int_equal(chunk.records[0].on_hand_milli, 101000);
    assert_int_equal(chunk.records[0].safety_stock_milli, 5000); /* max(5, 2) */
    assert_string_equal(chunk.records[0].location_id, "warehouse-1");
    char expected_id[CM_UUID_TEXT_LEN + 1];
    assert_int_equal(tr_record_id("inst", 12345, 77, 3000, expected_id), CM_OK);
    assert_string_equal(chunk.records[0].record_id, expected_id);
    assert_string_equal(chunk.records[1].sku, "0001");
    assert_int_equal(chunk.records[2].item_index, 3002);
    /* The extras: the identifiers not used as the sku, then the kept fields, as JSON text. */
    assert_string_equal(chunk.extras[0], "{\"partNumber\":\"P 1\\nsecond line\",\"binID\":3,\"retailPrice\":19.99,"
                                         "\"attributes\":[\"x\",\"y\"],\"floor\":2,\"safetyStock\":5}");
    assert_null(chunk.extras[1]);
    assert_string_equal(chunk.extras[2], "{\"partNumber\":\"Q\\u0001\\\"quoted\\\"\"}");
    for (size_t r = 0; r < chunk.record_count; r++)
        if (chunk.extras[r])
            json_object_put(parse(chunk.extras[r])); /* each is valid JSON */
    tr_chunk_clear(&chunk);

    /* An adjust keeps nothing. */
    text = chunk_of(ITEMS, &length);
    assert_int_equal(tr_translate_chunk(&context, text, length, 0, 0, &chunk), CM_OK);
    for (size_t r = 0; r < chunk.record_count; r++)
        assert_null(chunk.extras[r]);
    tr_chunk_clear(&chunk);
}

static void test_translate_entry_failures(void **state)
{
    (void)state;
    /* The tenant's sku order changed since acceptance: an item with only a upc has no sku now. */
    static const cm_identifier order[] = {CM_ID_SKU};
    tr_context context = context_for(order, 1);
    size_t length = 0;
    char *text = chunk_of(ITEMS, &length);
    tr_chunk chunk;
    assert_int_equal(tr_translate_chunk(&context, text, length, 10, 1, &chunk), CM_OK);
    assert_int_equal(chunk.record_count, 2);
    assert_int_equal(chunk.failure_count, 1);
    assert_int_equal(chunk.failures[0].item_index, 11);
    assert_string_equal(chunk.failures[0].error_code, "InvalidSku");
    assert_int_equal(chunk.records[1].item_index, 12);
    tr_chunk_clear(&chunk);

    /* An old row's malformed items are refused one by one; the others are translated. */
    static const cm_identifier all[] = {CM_ID_SKU, CM_ID_PART_NUMBER, CM_ID_UPC};
    context = context_for(all, 3);
    text = copy_of("[{\"sku\":\"OLD-1\",\"quantity\":4},{\"sku\":\"OLD-2\"},{\"sku\":\"OLD-3\",\"quantity\":1}]", &length);
    assert_int_equal(tr_translate_chunk(&context, text, length, 0, 1, &chunk), CM_OK);
    assert_int_equal(chunk.item_count, 3);
    assert_int_equal(chunk.record_count, 2);
    assert_int_equal(chunk.failure_count, 1);
    assert_int_equal(chunk.failures[0].item_index, 1);
    assert_string_equal(chunk.failures[0].error_code, "InvalidItem");
    tr_chunk_clear(&chunk);

    /* Quantities beyond the gateway's limit in a damaged row: that item is refused, not overflowed. */
    text = copy_of("omsgw-items/2 3\n9223372036854775807 - - 2:AB - - 0:\n1 -1000000000001 - 2:CD - - 0:\n"
                   "1000000000000 1000000000000 1000000000000 2:EF - - 0:\n", &length);
    assert_int_equal(tr_translate_chunk(&context, text, length, 0, 1, &chunk), CM_OK);
    assert_int_equal(chunk.record_count, 1);
    assert_int_equal(chunk.failure_count, 2);
    assert_int_equal(chunk.failures[0].item_index, 0);
    assert_int_equal(chunk.failures[1].item_index, 1);
    assert_string_equal(chunk.records[0].sku, "EF");
    assert_true(chunk.records[0].on_hand_milli == 1000000000000000LL);
    tr_chunk_clear(&chunk);
}

/* The same items stored in either form give the same records and the same extras. */
static void test_both_forms_translate_alike(void **state)
{
    (void)state;
    static const cm_identifier order[] = {CM_ID_UPC, CM_ID_SKU, CM_ID_PART_NUMBER};
    tr_context context = context_for(order, 3);
    size_t current_length = 0, old_length = 0;
    char *current = chunk_of(ITEMS, &current_length);
    char *old = copy_of(ITEMS, &old_length);
    tr_chunk a, b;
    assert_int_equal(tr_translate_chunk(&context, current, current_length, 0, 1, &a), CM_OK);
    assert_int_equal(tr_translate_chunk(&context, old, old_length, 0, 1, &b), CM_OK);
    assert_int_equal(a.record_count, b.record_count);
    for (size_t r = 0; r < a.record_count; r++) {
        assert_string_equal(a.records[r].sku, b.records[r].sku);
        assert_string_equal(a.records[r].record_id, b.records[r].record_id);
        assert_int_equal(a.records[r].on_hand_milli, b.records[r].on_hand_milli);
        assert_int_equal(a.records[r].safety_stock_milli, b.records[r].safety_stock_milli);
        assert_true((a.extras[r] == NULL) == (b.extras[r] == NULL));
        if (a.extras[r])
            assert_string_equal(a.extras[r], b.extras[r]);
    }
    assert_int_equal(a.failure_count, b.failure_count);
    assert_int_equal(a.record_count, 3);
    assert_string_equal(a.records[1].sku, "0001");
    tr_chunk_clear(&a);
    tr_chunk_clear(&b);
}

static void test_json_string_escaping_matches_json_c(void **state)
{
    (void)state;
    const char samples[][16] = {"plain", "a\"b\\c", "tab\there", "nl\nx", "\x01\x1f", "sl/ash", "é ü"};
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        cm_body out;
        cm_body_init(&out, 1024);
        assert_int_equal(cm_json_append_string(&out, samples[i], strlen(samples[i])), CM_OK);
        json_object *string = json_object_new_string(samples[i]);
        assert_string_equal(out.data,
                            json_object_to_json_string_ext(string, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(string);
        cm_body_free(&out);
    }
}

/* The record id's name is written by hand now: it must hash the same bytes snprintf wrote, cut at
 * 159 bytes the same way, so that ids of jobs already delivered do not change. */
static void test_record_id_name_matches_snprintf(void **state)
{
    (void)state;
    char long_installation[300];
    memset(long_installation, 'i', sizeof long_installation - 1);
    long_installation[sizeof long_installation - 1] = '\0';
    const char *installations[] = {NULL, "", "0123456789abcdef0123456789abcdef", long_installation};
    const int64_t numbers[] = {0, 1, 12345, -7, INT64_MAX, INT64_MIN};
    const size_t indexes[] = {0, 2999, 11999, SIZE_MAX};
    for (size_t i = 0; i < 4; i++)
        for (size_t n = 0; n < 6; n++)
            for (size_t x = 0; x < 4; x++) {
                char name[160];
                snprintf(name, sizeof name, "%s/%" PRId64 "/%" PRId64 "/%zu", installations[i] ? installations[i] : "",
                         numbers[n], numbers[(n + 1) % 6], indexes[x]);
                uint8_t digest[CM_SHA256_LEN];
                cm_sha256_ctx hash;
                cm_sha256_init(&hash);
                cm_sha256_update(&hash, "omsgw.refresh-record\n", strlen("omsgw.refresh-record\n"));
                cm_sha256_update(&hash, name, strlen(name));
                assert_int_equal(cm_sha256_final(&hash, digest), CM_OK);
                char id[CM_UUID_TEXT_LEN + 1];
                assert_int_equal(tr_record_id(installations[i], numbers[n], numbers[(n + 1) % 6], indexes[x], id), CM_OK);
                /* The digest's bits sit in bytes 9 (low 2 bits) and 10..15 of the id. */
                char tail[13];
                snprintf(tail, sizeof tail, "%02x%02x%02x%02x%02x%02x", digest[1], digest[2], digest[3], digest[4],
                         digest[5], digest[6]);
                assert_string_equal(id + 24, tail);
                assert_int_equal(strlen(id), CM_UUID_TEXT_LEN);
            }
}

/* The ids of a chunk (a hashed prefix, tr_record_ids) are those tr_record_id makes one by one,
 * also where the name is cut (a long installation id: then the prefix is not used). */
static void test_record_ids_of_a_chunk_match_one_by_one(void **state)
{
    (void)state;
    char long_installation[300], edge_installation[130];
    memset(long_installation, 'i', sizeof long_installation - 1);
    long_installation[sizeof long_installation - 1] = '\0';
    memset(edge_installation, 'e', sizeof edge_installation - 1);
    edge_installation[sizeof edge_installation - 1] = '\0';
    const char *installations[] = {NULL, "", "0123456789abcdef0123456789abcdef", edge_installation, long_installation};
    const int64_t numbers[] = {0, 1, 12345, -7, INT64_MAX, INT64_MIN};
    const size_t indexes[] = {0, 1, 2999, 3000, 11999, SIZE_MAX};
    int prefixed = 0, whole = 0;
    for (size_t i = 0; i < 5; i++)
        for (size_t n = 0; n < 6; n++) {
            tr_record_ids ids;
            tr_record_ids_init(&ids, installations[i], numbers[n], numbers[(n + 1) % 6]);
            prefixed += ids.prefixed;
            whole += !ids.prefixed;
            for (size_t x = 0; x < 6; x++) {
                char expected[CM_UUID_TEXT_LEN + 1], made[CM_UUID_TEXT_LEN + 1];
                assert_int_equal(tr_record_id(installations[i], numbers[n], numbers[(n + 1) % 6], indexes[x], expected),
                                 CM_OK);
                assert_int_equal(tr_record_ids_make(&ids, indexes[x], made), CM_OK);
                assert_string_equal(made, expected);
            }
            tr_record_ids_free(&ids);
        }
    assert_true(prefixed > 0); /* the usual installation id takes the fast way */
    assert_true(whole > 0);    /* the 299-byte one cannot */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_record_from_fields_matches_normalized_json),
        cmocka_unit_test(test_malformed_rows),
        cmocka_unit_test(test_kept_members_read_back_with_the_gateway_parser),
        cmocka_unit_test(test_old_rows_are_rewritten),
        cmocka_unit_test(test_translate_entry),
        cmocka_unit_test(test_translate_entry_failures),
        cmocka_unit_test(test_both_forms_translate_alike),
        cmocka_unit_test(test_json_string_escaping_matches_json_c),
        cmocka_unit_test(test_record_id_name_matches_snprintf),
        cmocka_unit_test(test_record_ids_of_a_chunk_match_one_by_one),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
