/*
 * test_oci_import_fast.c - oci_import_parse_fast (oci_core/import_parser.h, import_fast.c), the
 * json-c-free reader of plain high-performance import lines. Every line is also read by the json-c
 * parser (oci_import_parse_line_json) from the same parser state, and the two are compared:
 * - the lines it takes: each key alone and in any order, white space (spaces and tabs) wherever
 *   JSON allows it, the number forms (0, 1, up to 12 digits) of onHand and safetyStockCount,
 *   effectiveDate in its RFC 3339 forms, ids and skus at their shortest and longest, every
 *   printable ASCII character an id may hold, a trailing '\r' through oci_import_parse_line;
 *   the result is field for field the json-c parser's, and the parser becomes high-performance;
 * - the lines it must hand back (returns 0): anything that is not one flat object of known keys
 *   with plain values (escapes, non-ASCII, control characters, other number forms, null, booleans,
 *   arrays, futures, unknown, repeated or missing keys, broken JSON, trailing text, other white
 *   space), values the full parser refuses (ids and skus too long, too short or with forbidden
 *   characters, bad dates), and every line of a legacy file; for those, oci_import_parse_line
 *   gives exactly what the json-c parser gives (kind, message, ids, parser state).
 */
#include "tests/support/test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci_core/import_parser.h"

#define LINE_MAX_TEST 2048

/* The fast reader on `text` (length bytes) from `start`; fails unless it returns `expected`. Then
 * compares oci_import_parse_line with oci_import_parse_line_json, and when the fast reader took
 * the line, its own result with the json-c one. */
static void check_n(const oci_import_parser *start, const char *text, size_t length, int expected)
{
    oci_import_line *fast = calloc(1, sizeof *fast), *json = calloc(1, sizeof *json),
                    *combined = calloc(1, sizeof *combined);
    assert_non_null(fast);
    assert_non_null(json);
    assert_non_null(combined);
    oci_import_parser before = *start, via_json = *start, via_line = *start;
    size_t content = length && text[length - 1] == '\r' ? length - 1 : length;
    int took = oci_import_parse_fast(start, text, content, fast);
    if (took != expected)
        fail_msg("fast reader %s the line: %.*s", took ? "took" : "left", (int)length, text);
    /* The parser state is the caller's: the fast reader never changes it. */
    assert_memory_equal(&before, start, sizeof before);
    oci_import_parse_line_json(&via_json, text, length, json);
    oci_import_parse_line(&via_line, text, length, combined);

    const oci_import_line *compare[2] = {combined, took ? fast : NULL};
    for (int c = 0; c < 2 && compare[c]; c++) {
        const oci_import_line *got = compare[c];
        if (got->kind != json->kind)
            fail_msg("%s: kind %d, json-c %d (%s): %.*s", c ? "fast" : "line", got->kind, json->kind, json->message,
                     (int)length, text);
        assert_string_equal(got->message, json->message);
        assert_string_equal(got->record_id, json->record_id);
        assert_string_equal(got->location_id, json->location_id);
        assert_string_equal(got->sku, json->sku);
        if (json->kind != OCI_LINE_RECORD)
            continue;
        const oci_record_update *a = &got->record, *b = &json->record;
        assert_ptr_equal(a->record_id, got->record_id);
        assert_ptr_equal(a->location_id, got->location_id);
        assert_ptr_equal(a->sku, got->sku);
        assert_int_equal(a->has_on_hand, b->has_on_hand);
        assert_int_equal(a->on_hand_milli, b->on_hand_milli);
        assert_int_equal(a->has_safety_stock, b->has_safety_stock);
        assert_int_equal(a->safety_stock_milli, b->safety_stock_milli);
        assert_int_equal(a->has_effective_date, b->has_effective_date);
        assert_int_equal(a->effective_ms, b->effective_ms);
        assert_int_equal(a->has_futures, b->has_futures);
        assert_int_equal(a->future_count, b->future_count);
    }
    assert_int_equal(via_line.layout, via_json.layout);
    assert_int_equal(via_line.has_location, via_json.has_location);
    assert_string_equal(via_line.location, via_json.location);
    if (took) {
        assert_int_equal(json->kind, OCI_LINE_RECORD);
        assert_int_equal(via_line.layout, OCI_LAYOUT_HIGH_PERFORMANCE);
    }
    free(fast);
    free(json);
    free(combined);
}

static void check(const oci_import_parser *start, const char *text, int expected)
{
    check_n(start, text, strlen(text), expected);
}

/* The json-c parser's kind for a line from a fresh state (to show what a left line becomes). */
static oci_import_line_kind json_kind(const char *text)
{
    oci_import_parser parser;
    oci_import_parser_init(&parser);
    oci_import_line *line = calloc(1, sizeof *line);
    oci_import_parse_line_json(&parser, text, strlen(text), line);
    oci_import_line_kind kind = line->kind;
    free(line);
    return kind;
}

static void test_taken_lines_match_json(void **state)
{
    (void)state;
    oci_import_parser fresh, high;
    oci_import_parser_init(&fresh);
    oci_import_parser_init(&high);
    high.layout = OCI_LAYOUT_HIGH_PERFORMANCE;
    static const char *const TAKEN[] = {
        /* The three required keys, in every order. */
        "{\"recordId\":\"r1\",\"sku\":\"s1\",\"locationId\":\"l1\"}",
        "{\"recordId\":\"r1\",\"locationId\":\"l1\",\"sku\":\"s1\"}",
        "{\"sku\":\"s1\",\"recordId\":\"r1\",\"locationId\":\"l1\"}",
        "{\"sku\":\"s1\",\"locationId\":\"l1\",\"recordId\":\"r1\"}",
        "{\"locationId\":\"l1\",\"recordId\":\"r1\",\"sku\":\"s1\"}",
        "{\"locationId\":\"l1\",\"sku\":\"s1\",\"recordId\":\"r1\"}",
        /* Each optional key alone, first, in the middle and last. */
        "{\"onHand\":5,\"recordId\":\"r1\",\"sku\":\"s1\",\"locationId\":\"l1\"}",
        "{\"recordId\":\"r1\",\"safetyStockCount\":3,\"sku\":\"s1\",\"locationId\":\"l1\"}",
        "{\"recordId\":\"r1\",\"sku\":\"s1\",\"locationId\":\"l1\",\"effectiveDate\":\"2020-04-08T14:05:22Z\"}",
        "{\"recordId\":\"r1\",\"sku\":\"s1\",\"locationId\":\"l1\",\"onHand\":0,\"safetyStockCount\":0}",
        "{\"safetyStockCount\":12,\"effectiveDate\":\"2026-11-25T10:00:00.000Z\",\"onHand\":417,"
        "\"locationId\":\"warehouse-1\",\"sku\":\"SKU-0000000\",\"recordId\":\"r0-00000001\"}",
        /* Numbers: one digit, no leading zero, up to 12 digits. */
        "{\"recordId\":\"r1\",\"sku\":\"s1\",\"locationId\":\"l1\",\"onHand\":1}",
        "{\"recordId\":\"r1\",\"sku\":\"s1\",\"locationId\":\"l1\",\"onHand\":9}",
        "{\"recordId\":\"r1\",\"sku\":\"s1\",\"locationId\":\"l1\",\"onHand\":10}",
        "{\"recordId\":\"r1\",\"sku\":\"s1\",\"locationId\":\"l1\",\"onHand\":1234567890}",
        "{\"recordId\":\"r1\",\"sku\":\"s1\",\"locationId\":\"l1\",\"onHand\":999999999999,"
        "\"safetyStockCount\":100000000000}",
        /* Dates: offsets, fractions. */
        "{\"recordId\":\"r1\",\"sku\":\"s1\",\"locationId\":\"l1\",\"effectiveDate\":\"2020-04-08T14:05:22.790896-07:00\"}",
        "{\"recordId\":\"r1\",\"sku\":\"s1\",\"locationId\":\"l1\",\"effectiveDate\":\"2020-04-08T14:05:22+05:30\"}",
        "{\"recordId\":\"r1\",\"sku\":\"s1\",\"locationId\":\"l1\",\"effectiveDate\":\"1970-01-01T00:00:00Z\"}",
        /* White space: spaces and tabs around every token, before and after the object. */
        " { \"sku\" : \"s-1\" ,\t\"locationId\":\"l1\", \"recordId\":\"r1\" } ",
        "\t{\t\"recordId\"\t:\t\"r1\"\t,\t\"sku\"\t:\t\"s1\"\t,\t\"locationId\"\t:\t\"l1\"\t,\t\"onHand\"\t:\t7\t}\t",
        "{\"recordId\":\"r1\",\"sku\":\"s1\",\"locationId\":\"l1\",\"onHand\" :  7  ,\"safetyStockCount\":  2 }",
        /* A trailing '\r' (read by oci_import_parse_line without it). */
        "{\"recordId\":\"r2\",\"sku\":\"s1\",\"locationId\":\"l1\",\"onHand\":0}\r",
        /* Every printable character a record id or a sku may hold; ids of the shortest lengths. */
        "{\"recordId\":\" !#$&'()*+,-.:=?@[]^_`{|}~\",\"sku\":\"!#$&'()*+,-.:=?@[]^_`{|}~\",\"locationId\":\"aZ09-_\"}",
        "{\"recordId\":\"x\",\"sku\":\"ab\",\"locationId\":\"L1\"}",
        "{\"recordId\":\"   \",\"sku\":\"s1\",\"locationId\":\"l1\"}",
        "{\"recordId\":\"a/b\",\"sku\":\"s1\",\"locationId\":\"l1\"}",
    };
    for (size_t i = 0; i < sizeof TAKEN / sizeof TAKEN[0]; i++) {
        check(&fresh, TAKEN[i], 1);
        check(&high, TAKEN[i], 1);
    }
}

/* The fields of a taken line, read by the fast reader itself (not only compared). */
static void test_taken_line_fields(void **state)
{
    (void)state;
    oci_import_parser parser;
    oci_import_parser_init(&parser);
    oci_import_line *line = calloc(1, sizeof *line);
    const char *text = "{\"recordId\":\"r-9\",\"sku\":\"SKU-1\",\"locationId\":\"wh-1\",\"onHand\":417,"
                       "\"safetyStockCount\":2,\"effectiveDate\":\"1970-01-01T00:00:01Z\"}";
    assert_int_equal(oci_import_parse_fast(&parser, text, strlen(text), line), 1);
    assert_int_equal(line->kind, OCI_LINE_RECORD);
    assert_string_equal(line->record.record_id, "r-9");
    assert_string_equal(line->record.sku, "SKU-1");
    assert_string_equal(line->record.location_id, "wh-1");
    assert_int_equal(line->record.has_on_hand, 1);
    assert_int_equal(line->record.on_hand_milli, 417000);
    assert_int_equal(line->record.has_safety_stock, 1);
    assert_int_equal(line->record.safety_stock_milli, 2000);
    assert_int_equal(line->record.has_effective_date, 1);
    assert_int_equal(line->record.effective_ms, 1000);
    assert_int_equal(line->record.has_futures, 0);
    assert_string_equal(line->message, "");
    /* Keys left out stay unset. */
    memset(line, 0, sizeof *line);
    text = "{\"recordId\":\"r\",\"sku\":\"s1\",\"locationId\":\"l1\"}";
    assert_int_equal(oci_import_parse_fast(&parser, text, strlen(text), line), 1);
    assert_int_equal(line->record.has_on_hand, 0);
    assert_int_equal(line->record.has_safety_stock, 0);
    assert_int_equal(line->record.has_effective_date, 0);
    /* The length is what counts: the rest of the buffer is not read. */
    memset(line, 0, sizeof *line);
    text = "{\"recordId\":\"r\",\"sku\":\"s1\",\"locationId\":\"l1\",\"onHand\":12}garbage";
    assert_int_equal(oci_import_parse_fast(&parser, text, strlen(text) - strlen("garbage"), line), 1);
    assert_int_equal(line->record.on_hand_milli, 12000);
    free(line);
}

static void test_longest_values(void **state)
{
    (void)state;
    oci_import_parser parser;
    oci_import_parser_init(&parser);
    char record_id[OCI_RECORD_ID_MAX + 2], location[OCI_LOCATION_ID_MAX + 2], sku[OCI_SKU_MAX + 2], date[80];
    char *text = malloc(LINE_MAX_TEST);
    assert_non_null(text);
    /* At the limits: taken. One more character in any of them: left (json-c refuses it). */
    for (int extra = 0; extra <= 1; extra++) {
        for (int which = 0; which < 3; which++) {
            memset(record_id, 'r', sizeof record_id);
            memset(location, 'L', sizeof location);
            memset(sku, 'S', sizeof sku);
            record_id[OCI_RECORD_ID_MAX + (which == 0 ? extra : 0)] = '\0';
            location[OCI_LOCATION_ID_MAX + (which == 1 ? extra : 0)] = '\0';
            sku[OCI_SKU_MAX + (which == 2 ? extra : 0)] = '\0';
            snprintf(text, LINE_MAX_TEST, "{\"recordId\":\"%s\",\"sku\":\"%s\",\"locationId\":\"%s\",\"onHand\":1}",
                     record_id, sku, location);
            check(&parser, text, !extra);
            if (extra)
                assert_int_equal(json_kind(text), OCI_LINE_ERROR);
        }
    }
    /* A date of 63 characters fits the reader's buffer; 64 do not, and the line is left. */
    static const char *const DATES[] = {"2020-04-08T14:05:22.", "Z"};
    for (size_t length = 62; length <= 66; length++) {
        size_t digits = length - strlen(DATES[0]) - strlen(DATES[1]);
        snprintf(date, sizeof date, "%s%.*s%s", DATES[0], (int)digits,
                 "1234567890123456789012345678901234567890123456789012345678901234567890", DATES[1]);
        assert_int_equal(strlen(date), length);
        snprintf(text, LINE_MAX_TEST, "{\"recordId\":\"r\",\"sku\":\"s1\",\"locationId\":\"l1\",\"effectiveDate\":\"%s\"}",
                 date);
        oci_import_line *probe = calloc(1, sizeof *probe);
        int took = oci_import_parse_fast(&parser, text, strlen(text), probe);
        free(probe);
        if (length >= 64)
            assert_int_equal(took, 0);
        /* Taken or not, the result is the json-c parser's. */
        check(&parser, text, took);
    }
    free(text);
}

static void test_left_lines_match_json(void **state)
{
    (void)state;
    oci_import_parser fresh, high;
    oci_import_parser_init(&fresh);
    oci_import_parser_init(&high);
    high.layout = OCI_LAYOUT_HIGH_PERFORMANCE;
#define BASE "\"recordId\":\"r1\",\"sku\":\"s1\",\"locationId\":\"l1\""
    static const char *const LEFT[] = {
        /* Not an object, or not a whole one. */
        "",
        "   ",
        "x",
        "[1]",
        "\"text\"",
        "42",
        "null",
        "{",
        "{}",
        "{,}",
        "{" BASE,
        "{" BASE ",}",
        "{" BASE "} x",
        "{" BASE "}{" BASE "}",
        "{" BASE "}}",
        "{" BASE ";\"onHand\":1}",
        "{\"recordId\" \"r1\",\"sku\":\"s1\",\"locationId\":\"l1\"}",
        "{\"recordId\":,\"sku\":\"s1\",\"locationId\":\"l1\"}",
        "{\"recordId\":\"r1\",,\"sku\":\"s1\",\"locationId\":\"l1\"}",
        "{\"recordId\":\"r1\" \"sku\":\"s1\",\"locationId\":\"l1\"}",
        "{\"recordId\":\"r1,\"sku\":\"s1\",\"locationId\":\"l1\"}",
        "{recordId:\"r1\",\"sku\":\"s1\",\"locationId\":\"l1\"}",
        "{'recordId':'r1','sku':'s1','locationId':'l1'}",
        /* Other white space than spaces and tabs (JSON allows it; json-c reads the line). */
        "\n{" BASE "}",
        "{" BASE "}\n",
        "{\r" BASE "}",
        "{" BASE "}\r\r",
        "\v{" BASE "}",
        /* Keys: unknown, repeated, missing, escaped, empty. */
        "{" BASE ",\"other\":1}",
        "{" BASE ",\"futures\":[]}",
        "{" BASE ",\"futures\":[{\"quantity\":1,\"expectedDate\":\"2020-01-01T00:00:00Z\"}]}",
        "{" BASE ",\"mode\":\"UPDATE\"}",
        "{" BASE ",\"location\":\"l2\"}",
        "{" BASE ",\"\":1}",
        "{" BASE ",\"onhand\":1}",
        "{\"recordId\":\"r1\",\"sku\":\"s1\",\"sku\":\"s2\",\"locationId\":\"l1\"}",
        "{" BASE ",\"onHand\":1,\"onHand\":2}",
        "{" BASE ",\"locationId\":\"l1\"}",
        "{\"sku\":\"s1\",\"locationId\":\"l1\"}",
        "{\"recordId\":\"r1\",\"locationId\":\"l1\"}",
        "{\"recordId\":\"r1\",\"sku\":\"s1\"}",
        "{\"recordId\":\"r1\",\"sk\\u0075\":\"s1\",\"locationId\":\"l1\"}",
        /* Numbers the fast reader does not take. */
        "{" BASE ",\"onHand\":-1}",
        "{" BASE ",\"onHand\":-0}",
        "{" BASE ",\"onHand\":01}",
        "{" BASE ",\"onHand\":00}",
        "{" BASE ",\"onHand\":1.5}",
        "{" BASE ",\"onHand\":1.0}",
        "{" BASE ",\"onHand\":0.001}",
        "{" BASE ",\"onHand\":1e3}",
        "{" BASE ",\"onHand\":1E3}",
        "{" BASE ",\"onHand\":1e-3}",
        "{" BASE ",\"onHand\":+1}",
        "{" BASE ",\"onHand\":9999999999999}",
        "{" BASE ",\"onHand\":12345678901234567890123}",
        "{" BASE ",\"onHand\":5x}",
        "{" BASE ",\"onHand\":\"3\"}",
        "{" BASE ",\"onHand\":null}",
        "{" BASE ",\"onHand\":true}",
        "{" BASE ",\"onHand\":[1]}",
        "{" BASE ",\"onHand\":{}}",
        "{" BASE ",\"onHand\":}",
        "{" BASE ",\"safetyStockCount\":-2}",
        "{" BASE ",\"safetyStockCount\":2.25}",
        "{" BASE ",\"safetyStockCount\":null}",
        "{" BASE ",\"safetyStockCount\":\"2\"}",
        /* Strings: escapes, non-ASCII, control characters, DEL, not strings. */
        "{\"recordId\":\"r\\\"1\",\"sku\":\"s1\",\"locationId\":\"l1\"}",
        "{\"recordId\":\"r\\\\1\",\"sku\":\"s1\",\"locationId\":\"l1\"}",
        "{\"recordId\":\"r\\/1\",\"sku\":\"s1\",\"locationId\":\"l1\"}",
        "{\"recordId\":\"r1\",\"sku\":\"s\\u0031\",\"locationId\":\"l1\"}",
        "{\"recordId\":\"r1\",\"sku\":\"s1\",\"locationId\":\"l\\u0031\"}",
        "{\"recordId\":\"r\\n1\",\"sku\":\"s1\",\"locationId\":\"l1\"}",
        "{\"recordId\":\"r\xc3\xa9\",\"sku\":\"s1\",\"locationId\":\"l1\"}",
        "{\"recordId\":\"r1\",\"sku\":\"s\xc3\xa9\",\"locationId\":\"l1\"}",
        "{\"recordId\":\"r1\",\"sku\":\"s1\",\"locationId\":\"l\xc3\xa9\"}",
        "{\"recordId\":\"r\t1\",\"sku\":\"s1\",\"locationId\":\"l1\"}",
        "{\"recordId\":\"r\x7f\",\"sku\":\"s1\",\"locationId\":\"l1\"}",
        "{\"recordId\":\"r\x01\",\"sku\":\"s1\",\"locationId\":\"l1\"}",
        "{\"recordId\":1,\"sku\":\"s1\",\"locationId\":\"l1\"}",
        "{\"recordId\":\"r1\",\"sku\":null,\"locationId\":\"l1\"}",
        "{\"recordId\":\"r1\",\"sku\":\"s1\",\"locationId\":[\"l1\"]}",
        "{\"recordId\":\"r1\",\"sku\":\"s1\",\"locationId\":\"l1\",\"effectiveDate\":1586354722}",
        "{\"recordId\":\"r1\",\"sku\":\"s1\",\"locationId\":\"l1\",\"effectiveDate\":null}",
        /* Values the full parser refuses. */
        "{\"recordId\":\"\",\"sku\":\"s1\",\"locationId\":\"l1\"}",
        "{\"recordId\":\"r1\",\"sku\":\"s\",\"locationId\":\"l1\"}",
        "{\"recordId\":\"r1\",\"sku\":\"\",\"locationId\":\"l1\"}",
        "{\"recordId\":\"r1\",\"sku\":\"s 1\",\"locationId\":\"l1\"}",
        "{\"recordId\":\"r1\",\"sku\":\"s/1\",\"locationId\":\"l1\"}",
        "{\"recordId\":\"r1\",\"sku\":\"s;1\",\"locationId\":\"l1\"}",
        "{\"recordId\":\"r1\",\"sku\":\"s%1\",\"locationId\":\"l1\"}",
        "{\"recordId\":\"r1\",\"sku\":\"s<1>\",\"locationId\":\"l1\"}",
        "{\"recordId\":\"r1\",\"sku\":\"s1\",\"locationId\":\"l\"}",
        "{\"recordId\":\"r1\",\"sku\":\"s1\",\"locationId\":\"\"}",
        "{\"recordId\":\"r1\",\"sku\":\"s1\",\"locationId\":\"l.1\"}",
        "{\"recordId\":\"r1\",\"sku\":\"s1\",\"locationId\":\"l 1\"}",
        "{\"recordId\":\"r1\",\"sku\":\"s1\",\"locationId\":\"l1\",\"effectiveDate\":\"yesterday\"}",
        "{\"recordId\":\"r1\",\"sku\":\"s1\",\"locationId\":\"l1\",\"effectiveDate\":\"\"}",
        "{\"recordId\":\"r1\",\"sku\":\"s1\",\"locationId\":\"l1\",\"effectiveDate\":\"2020-13-01T00:00:00Z\"}",
        "{\"recordId\":\"r1\",\"sku\":\"s1\",\"locationId\":\"l1\",\"effectiveDate\":\"2020-04-08\"}",
    };
#undef BASE
    for (size_t i = 0; i < sizeof LEFT / sizeof LEFT[0]; i++) {
        check(&fresh, LEFT[i], 0);
        check(&high, LEFT[i], 0);
    }
    /* A NUL inside the line (its length says where it ends). */
    static const char NUL_IN_STRING[] = "{\"recordId\":\"r\0\",\"sku\":\"s1\",\"locationId\":\"l1\"}";
    static const char NUL_AFTER[] = "{\"recordId\":\"r1\",\"sku\":\"s1\",\"locationId\":\"l1\"}\0";
    check_n(&fresh, NUL_IN_STRING, sizeof NUL_IN_STRING - 1, 0);
    check_n(&fresh, NUL_AFTER, sizeof NUL_AFTER - 1, 0);
    /* Left lines the json-c parser takes after all: the fast reader only stepped aside. */
    assert_int_equal(json_kind("\n{\"recordId\":\"r1\",\"sku\":\"s1\",\"locationId\":\"l1\"}"), OCI_LINE_RECORD);
    assert_int_equal(json_kind("{\"recordId\":\"r1\",\"sku\":\"s\\u0031\",\"locationId\":\"l1\"}"), OCI_LINE_RECORD);
    assert_int_equal(json_kind("{\"recordId\":\"r1\",\"sku\":\"s1\",\"locationId\":\"l1\",\"onHand\":1.5}"),
                     OCI_LINE_RECORD);
    assert_int_equal(json_kind("{\"recordId\":\"r1\",\"sku\":\"s1\",\"locationId\":\"l1\",\"futures\":[]}"),
                     OCI_LINE_RECORD);
    /* And ones it refuses, with its message. */
    assert_int_equal(json_kind("{\"recordId\":\"r1\",\"sku\":\"s1\",\"locationId\":\"l1\",\"onHand\":-1}"),
                     OCI_LINE_ERROR);
    assert_int_equal(json_kind("{\"recordId\":\"r1\",\"sku\":\"s1\",\"locationId\":\"l1\",}"), OCI_LINE_ERROR);
}

/* In a legacy file every line goes to json-c, even one the fast reader would take elsewhere. */
static void test_legacy_file_lines_are_left(void **state)
{
    (void)state;
    oci_import_parser parser;
    oci_import_parser_init(&parser);
    oci_import_line *line = calloc(1, sizeof *line);
    const char *header = "{\"location\":\"l1\",\"mode\":\"UPDATE\"}";
    oci_import_parse_line(&parser, header, strlen(header), line);
    assert_int_equal(line->kind, OCI_LINE_HEADER);
    assert_int_equal(parser.layout, OCI_LAYOUT_LEGACY);
    check(&parser, "{\"recordId\":\"r1\",\"sku\":\"s1\",\"locationId\":\"l1\"}", 0); /* mixing: an error */
    check(&parser, "{\"recordId\":\"r1\",\"sku\":\"s1\",\"onHand\":1}", 0);         /* a legacy record */
    check(&parser, header, 0);
    /* A legacy file whose header was broken: still json-c's. */
    oci_import_parser broken = parser;
    broken.has_location = 0;
    check(&broken, "{\"recordId\":\"r1\",\"sku\":\"s1\",\"onHand\":1}", 0);
    check(&broken, "{\"recordId\":\"r1\",\"sku\":\"s1\",\"locationId\":\"l1\"}", 0);
    free(line);
}

/* A file read line by line through oci_import_parse_line: fast and slow lines interleaved give
 * the results and the parser state a json-c-only reading gives. */
static void test_mixed_file_matches_json_only_reading(void **state)
{
    (void)state;
    static const char *const FILE_LINES[] = {
        "",
        "{\"recordId\":\"a\",\"sku\":\"s1\",\"locationId\":\"l1\",\"onHand\":1}",
        "{\"recordId\":\"b\",\"sku\":\"s1\",\"locationId\":\"l1\",\"onHand\":1.5}",
        "{\"recordId\":\"c\",\"sku\":\"s1\",\"locationId\":\"l1\",\"onHand\":-1}",
        "{\"location\":\"l2\",\"mode\":\"UPDATE\"}",
        "{\"recordId\":\"d\",\"sku\":\"s1\",\"locationId\":\"l1\"}\r",
        "{\"recordId\":\"e\",\"sku\":\"s1\",\"locationId\":\"l1\",\"futures\":[{\"quantity\":2,"
        "\"expectedDate\":\"2020-01-01T00:00:00Z\"}]}",
        "not json",
        "{\"recordId\":\"f\",\"sku\":\"s1\",\"locationId\":\"l1\",\"safetyStockCount\":3}",
    };
    oci_import_parser mixed, json_only;
    oci_import_parser_init(&mixed);
    oci_import_parser_init(&json_only);
    oci_import_line *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
    size_t records = 0;
    for (size_t i = 0; i < sizeof FILE_LINES / sizeof FILE_LINES[0]; i++) {
        oci_import_parse_line(&mixed, FILE_LINES[i], strlen(FILE_LINES[i]), a);
        oci_import_parse_line_json(&json_only, FILE_LINES[i], strlen(FILE_LINES[i]), b);
        assert_int_equal(a->kind, b->kind);
        assert_string_equal(a->message, b->message);
        assert_string_equal(a->record_id, b->record_id);
        assert_memory_equal(&mixed, &json_only, sizeof mixed);
        if (a->kind == OCI_LINE_RECORD) {
            records++;
            assert_int_equal(a->record.on_hand_milli, b->record.on_hand_milli);
            assert_int_equal(a->record.safety_stock_milli, b->record.safety_stock_milli);
            assert_int_equal(a->record.future_count, b->record.future_count);
        }
    }
    assert_int_equal(records, 5); /* a, b, d, e, f: the header is refused in a high-performance file */
    assert_int_equal(mixed.layout, OCI_LAYOUT_HIGH_PERFORMANCE);
    free(a);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_taken_lines_match_json),
        cmocka_unit_test(test_taken_line_fields),
        cmocka_unit_test(test_longest_values),
        cmocka_unit_test(test_left_lines_match_json),
        cmocka_unit_test(test_legacy_file_lines_are_left),
        cmocka_unit_test(test_mixed_file_matches_json_only_reading),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
