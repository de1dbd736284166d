/* Unit tests of oci_core/import_parser.c: both layouts, mixing, broken lines. */
#include "tests/support/test_support.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_high_performance),
        cmocka_unit_test(test_legacy),
        cmocka_unit_test(test_broken_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
