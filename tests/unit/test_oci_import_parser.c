/* Unit tests of oci_core/import_parser.c: both layouts, mixing, broken lines. */
#include "tests/support/test_support.h"

#include <stdlib.h>
#include <string.h>

#include "oci_core/import_parser.h"

static void parse(oci_import_parser *parser, const char *text, oci_import_line *line)
{
    oci_import_parse_line(parser, text, strlen(text), line);
}

static void test_high_performance(void **state)
{
    (void)state;
    oci_import_parser parser;
    oci_import_parser_init(&parser);
    oci_import_line line;
    parse(&parser,
          "{\"recordId\":\"r1\",\"onHand\":10,\"sku\":\"sku1\",\"effectiveDate\":\"2020-04-08T14:05:22.790896-07:00\","
          "\"futures\":[{\"quantity\":1.5,\"expectedDate\":\"2020-04-18T14:05:22.781-07:00\"}],"
          "\"safetyStockCount\":0,\"locationId\":\"wickenburg\"}\r",
          &line);
    assert_int_equal(line.kind, OCI_LINE_RECORD);
    assert_string_equal(line.record.record_id, "r1");
    assert_string_equal(line.record.location_id, "wickenburg");
    assert_string_equal(line.record.sku, "sku1");
    assert_true(line.record.has_on_hand);
    assert_int_equal(line.record.on_hand_milli, 10000);
    assert_true(line.record.has_safety_stock);
    assert_true(line.record.has_futures);
    assert_int_equal(line.record.future_count, 1);
    assert_int_equal(line.record.futures[0].quantity_milli, 1500);
    assert_int_equal(parser.layout, OCI_LAYOUT_HIGH_PERFORMANCE);
    /* A header in a high-performance file is refused. */
    parse(&parser, "{\"location\":\"phoenix\",\"mode\":\"UPDATE\"}", &line);
    assert_int_equal(line.kind, OCI_LINE_ERROR);
    assert_non_null(strstr(line.message, "mixed"));
}

static void test_legacy(void **state)
{
    (void)state;
    oci_import_parser parser;
    oci_import_parser_init(&parser);
    oci_import_line line;
    parse(&parser, "{\"locationId\":\"wickenburg\",\"mode\":\"UPDATE\"}", &line);
    assert_int_equal(line.kind, OCI_LINE_HEADER);
    parse(&parser, "{\"recordId\":\"a\",\"onHand\":5,\"sku\":\"sku2\",\"safetyStockCount\":1}", &line);
    assert_int_equal(line.kind, OCI_LINE_RECORD);
    assert_string_equal(line.record.location_id, "wickenburg");
    assert_false(line.record.has_futures);
    parse(&parser, "{\"location\":\"phoenix\",\"mode\":\"UPDATE\"}", &line);
    assert_int_equal(line.kind, OCI_LINE_HEADER);
    parse(&parser, "{\"recordId\":\"b\",\"sku\":\"sku3\"}", &line);
    assert_int_equal(line.kind, OCI_LINE_RECORD);
    assert_string_equal(line.record.location_id, "phoenix");
    assert_false(line.record.has_on_hand);
    /* A bad mode invalidates the header and the records under it. */
    parse(&parser, "{\"location\":\"phoenix\",\"mode\":\"DELETE\"}", &line);
    assert_int_equal(line.kind, OCI_LINE_ERROR);
    assert_non_null(strstr(line.message, "'mode'"));
    parse(&parser, "{\"recordId\":\"c\",\"sku\":\"sku3\"}", &line);
    assert_int_equal(line.kind, OCI_LINE_ERROR);
    /* A record carrying its own locationId in a legacy file is refused. */
    parse(&parser, "{\"recordId\":\"d\",\"sku\":\"sku3\",\"locationId\":\"x1\"}", &line);
    assert_int_equal(line.kind, OCI_LINE_ERROR);
}

static void test_broken_lines(void **state)
{
    (void)state;
    oci_import_parser parser;
    oci_import_parser_init(&parser);
    oci_import_line line;
    parse(&parser, "   ", &line);
    assert_int_equal(line.kind, OCI_LINE_BLANK);
    parse(&parser, "{\"recordId\":\"r1\",\"sku\":", &line);
    assert_int_equal(line.kind, OCI_LINE_ERROR);
    assert_non_null(strstr(line.message, "not valid JSON"));
    parse(&parser, "[1,2]", &line);
    assert_int_equal(line.kind, OCI_LINE_ERROR);
    parse(&parser, "{\"recordId\":\"r2\",\"sku\":\"s1\",\"locationId\":\"l1\",\"onHand\":-1}", &line);
    assert_int_equal(line.kind, OCI_LINE_ERROR);
    assert_non_null(strstr(line.message, "'onHand'"));
    assert_string_equal(line.record_id, "r2");
    assert_string_equal(line.sku, "s1");
    assert_string_equal(line.location_id, "l1");
    parse(&parser, "{\"recordId\":\"r3\",\"sku\":\"s1\",\"locationId\":\"l1\",\"onHand\":1.2345}", &line);
    assert_int_equal(line.kind, OCI_LINE_ERROR);
    parse(&parser, "{\"recordId\":\"r4\",\"sku\":\"s 1\",\"locationId\":\"l1\"}", &line);
    assert_int_equal(line.kind, OCI_LINE_ERROR);
    assert_non_null(strstr(line.message, "'sku'"));
    parse(&parser, "{\"sku\":\"s1\",\"locationId\":\"l1\"}", &line);
    assert_int_equal(line.kind, OCI_LINE_ERROR);
    assert_non_null(strstr(line.message, "'recordId'"));
    parse(&parser, "{\"recordId\":\"r5\",\"sku\":\"s1\",\"locationId\":\"l1\",\"futures\":[{\"quantity\":0,\"expectedDate\":\"2020-01-01T00:00:00Z\"}]}", &line);
    assert_int_equal(line.kind, OCI_LINE_ERROR);
    assert_non_null(strstr(line.message, "positive"));
    parse(&parser, "{\"recordId\":\"r6\",\"sku\":\"s1\",\"locationId\":\"l1\",\"effectiveDate\":\"yesterday\"}", &line);
    assert_int_equal(line.kind, OCI_LINE_ERROR);
    assert_non_null(strstr(line.message, "'effectiveDate'"));
    /* The parser goes on after broken lines. */
    parse(&parser, "{\"recordId\":\"r7\",\"sku\":\"s1\",\"locationId\":\"l1\",\"onHand\":\"3\"}", &line);
    assert_int_equal(line.kind, OCI_LINE_ERROR); /* strings are not numbers */
    parse(&parser, "{\"recordId\":\"r8\",\"sku\":\"s1\",\"locationId\":\"l1\",\"onHand\":3}", &line);
    assert_int_equal(line.kind, OCI_LINE_RECORD);
}

/* Both readers on the same line from the same parser state: the same kind, fields and layout. */
static void expect_same(const oci_import_parser *start, const char *text, int fast_expected)
{
    oci_import_parser a = *start, b = *start;
    oci_import_line *fast = calloc(1, sizeof *fast), *full = calloc(1, sizeof *full);
    oci_import_parse_line(&a, text, strlen(text), fast);
    oci_import_parse_line_json(&b, text, strlen(text), full);
    oci_import_line probe;
    memset(&probe, 0, sizeof probe);
    size_t content = strlen(text) && text[strlen(text) - 1] == '\r' ? strlen(text) - 1 : strlen(text);
    if (oci_import_parse_fast(start, text, content, &probe) != fast_expected)
        fail_msg("fast reader %s: %s", fast_expected ? "refused" : "took", text);
    assert_int_equal(fast->kind, full->kind);
    assert_int_equal(a.layout, b.layout);
    assert_string_equal(fast->message, full->message);
    if (full->kind == OCI_LINE_RECORD) {
        assert_string_equal(fast->record.record_id, full->record.record_id);
        assert_string_equal(fast->record.location_id, full->record.location_id);
        assert_string_equal(fast->record.sku, full->record.sku);
        assert_int_equal(fast->record.has_on_hand, full->record.has_on_hand);
        assert_int_equal(fast->record.on_hand_milli, full->record.on_hand_milli);
        assert_int_equal(fast->record.has_safety_stock, full->record.has_safety_stock);
        assert_int_equal(fast->record.safety_stock_milli, full->record.safety_stock_milli);
        assert_int_equal(fast->record.has_effective_date, full->record.has_effective_date);
        assert_int_equal(fast->record.effective_ms, full->record.effective_ms);
        assert_int_equal(fast->record.has_futures, full->record.has_futures);
        assert_int_equal(fast->record.future_count, full->record.future_count);
    }
    free(fast);
    free(full);
}

/* The fast reader takes the plain lines and leaves every other one to json-c, with the same results. */
static void test_fast_reader_matches_json(void **state)
{
    (void)state;
    oci_import_parser parser;
    oci_import_parser_init(&parser);
    static const char *const TAKEN[] = {
        "{\"recordId\":\"r0-00000001\",\"sku\":\"SKU-0000000\",\"locationId\":\"warehouse-1\",\"onHand\":417,"
        "\"safetyStockCount\":2,\"effectiveDate\":\"2026-11-25T10:00:00.000Z\"}",
        " { \"sku\" : \"s-1\" ,\t\"locationId\":\"l1\", \"recordId\":\"r1\" } ",
        "{\"recordId\":\"r2\",\"sku\":\"s1\",\"locationId\":\"l1\",\"onHand\":0}\r",
        "{\"recordId\":\"r3\",\"sku\":\"s1\",\"locationId\":\"l1\",\"onHand\":999999999999,"
        "\"effectiveDate\":\"2020-04-08T14:05:22.790896-07:00\"}",
    };
    static const char *const LEFT[] = {
        "{\"recordId\":\"r4\",\"sku\":\"s1\",\"locationId\":\"l1\",\"onHand\":1.5}",
        "{\"recordId\":\"r5\",\"sku\":\"s1\",\"locationId\":\"l1\",\"onHand\":-1}",
        "{\"recordId\":\"r6\",\"sku\":\"s1\",\"locationId\":\"l1\",\"onHand\":01}",
        "{\"recordId\":\"r7\",\"sku\":\"s1\",\"locationId\":\"l1\",\"onHand\":\"3\"}",
        "{\"recordId\":\"r8\",\"sku\":\"s1\",\"locationId\":\"l1\",\"onHand\":1e3}",
        "{\"recordId\":\"r9\",\"sku\":\"s1\",\"locationId\":\"l1\",\"onHand\":9999999999999}",
        "{\"recordId\":\"r10\",\"sku\":\"s\\u0031\",\"locationId\":\"l1\"}",
        "{\"recordId\":\"r11\",\"sku\":\"s\u00e91\",\"locationId\":\"l1\"}",
        "{\"recordId\":\"r12\",\"sku\":\"s1\",\"sku\":\"s2\",\"locationId\":\"l1\"}",
        "{\"recordId\":\"r13\",\"sku\":\"s1\",\"locationId\":\"l1\",}",
        "{\"recordId\":\"r14\",\"sku\":\"s1\",\"locationId\":\"l1\"} x",
        "{\"recordId\":\"r15\",\"sku\":\"s1\",\"locationId\":\"l1\",\"futures\":[]}",
        "{\"recordId\":\"r16\",\"sku\":\"s1\",\"locationId\":\"l1\",\"other\":1}",
        "{\"recordId\":\"r17\",\"sku\":\"s1\"}",
        "{\"recordId\":\"\",\"sku\":\"s1\",\"locationId\":\"l1\"}",
        "{\"recordId\":\"r18\",\"sku\":\"s 1\",\"locationId\":\"l1\"}",
        "{\"recordId\":\"r19\",\"sku\":\"s1\",\"locationId\":\"l\"}",
        "{\"recordId\":\"r20\",\"sku\":\"s1\",\"locationId\":\"l1\",\"effectiveDate\":\"yesterday\"}",
        "{\"recordId\":\"r21\",\"sku\":\"s1\",\"locationId\":\"l1\",\"onHand\":null}",
        "{\"recordId\":\"r22\",\"sku\":\"s1\",\"locationId\":\"l1\"",
        "{}",
        "[1]",
        "{\"location\":\"l1\",\"mode\":\"UPDATE\"}",
    };
    for (size_t i = 0; i < sizeof TAKEN / sizeof TAKEN[0]; i++)
        expect_same(&parser, TAKEN[i], 1);
    for (size_t i = 0; i < sizeof LEFT / sizeof LEFT[0]; i++)
        expect_same(&parser, LEFT[i], 0);
    /* In a legacy file every line goes to json-c. */
    oci_import_line line;
    parse(&parser, "{\"location\":\"l1\",\"mode\":\"UPDATE\"}", &line);
    assert_int_equal(line.kind, OCI_LINE_HEADER);
    expect_same(&parser, "{\"recordId\":\"r23\",\"sku\":\"s1\",\"onHand\":1}", 0);
    expect_same(&parser, "{\"recordId\":\"r24\",\"sku\":\"s1\",\"locationId\":\"l1\"}", 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_high_performance),
        cmocka_unit_test(test_legacy),
        cmocka_unit_test(test_broken_lines),
        cmocka_unit_test(test_fast_reader_matches_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
