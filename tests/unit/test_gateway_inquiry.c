/*
 * test_gateway_inquiry.c - the inquiry answers (gateway/inquiry.c): the type filters, limit, the
 * flags, the row mapping, aggregate totals and the read plan of at most 100 combinations a call.
 */
#include "common/body.h"
#include "common/json_util.h"
#include "gateway/inquiry.h"
#include "gateway/limits.h"
#include "tests/support/test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const gw_inquiry_item ITEMS[] = {
    {"A1", "A1", "PN-A", NULL, 5},
    {"B1", "B1", NULL, "U-B", 1},
};
static const gw_inquiry_location LOCATIONS[] = {
    {"Location 1", "warehouse-1"},
    {"Location 2", "warehouse-2"},
    {"Store 3", "store-3"},
};

/* matrix[l * 2 + i]: L1 A=10/B=0, L2 A=3/B=4, L3 A=6 (reserved 2, safety 1)/B=1 */
static const q_availability MATRIX[] = {
    {1, 10000, 0, 0, 10000}, {0, 0, 0, 0, 0},
    {1, 3000, 0, 0, 3000},   {1, 4000, 0, 0, 4000},
    {1, 6000, 2000, 1000, 3000}, {1, 1000, 0, 0, 1000},
};

static gw_inquiry make_inquiry(gw_inquiry_type type)
{
    return (gw_inquiry){.type = type, .items = ITEMS, .item_count = 2, .locations = LOCATIONS,
                        .location_count = 3, .tenant_id = 1};
}

static json_object *extras_for(void *data, const char *code, const char *sku)
{
    (void)data;
    if (strcmp(code, "warehouse-1") != 0 || strcmp(sku, "A1") != 0)
        return NULL;
    json_object *extras = NULL;
    char error[CM_JSON_ERROR_MAX];
    const char *text = "{\"ltd\":2.5,\"floor\":3,\"retailPrice\":9.99,\"currencyID\":1,"
                       "\"inventoryLocatorName\":\"A-1\",\"attributes\":[\"x\"],\"binID\":7}";
    assert_int_equal(cm_json_parse(text, strlen(text), 8, &extras, error), CM_OK);
    return extras;
}

/* "code/sku/available" of each row, joined with spaces. */
static void summary(json_object *rows, char *out, size_t size)
{
    out[0] = '\0';
    for (size_t r = 0; r < json_object_array_length(rows); r++) {
        json_object *row = json_object_array_get_idx(rows, r);
        size_t used = strlen(out);
        snprintf(out + used, size - used, "%s%s/%s/%lld", r ? " " : "",
                 json_object_get_string(json_object_object_get(row, "locationCode")),
                 json_object_get_string(json_object_object_get(row, "sku")),
                 (long long)json_object_get_int64(json_object_object_get(row, "available")));
    }
}

static void check_rows(gw_inquiry *inquiry, const char *expected)
{
    json_object *rows = gw_inquiry_rows(inquiry, MATRIX, NULL, NULL);
    char text[1024];
    summary(rows, text, sizeof text);
    assert_string_equal(text, expected);
    json_object_put(rows);
}

static void test_type_filters(void **state)
{
    (void)state;
    gw_inquiry q = make_inquiry(GW_INQUIRY_ALL);
    /* A needs 5, B needs 1: only L1? no (B 0); L3: A available 6−2−1 = 3 < 5. None. */
    check_rows(&q, "");
    q.items = (gw_inquiry_item[]){{"A1", "A1", NULL, NULL, 3}, {"B1", "B1", NULL, NULL, 1}};
    check_rows(&q, "warehouse-2/A1/3 warehouse-2/B1/4 store-3/A1/3 store-3/B1/1");
    q = make_inquiry(GW_INQUIRY_PARTIAL);
    check_rows(&q, "warehouse-1/A1/10 warehouse-2/B1/4 store-3/B1/1");
    q = make_inquiry(GW_INQUIRY_ANY);
    check_rows(&q, "warehouse-1/A1/10 warehouse-2/A1/3 warehouse-2/B1/4 store-3/A1/3 store-3/B1/1");
    q = make_inquiry(GW_INQUIRY_ALL_STORES);
    q.item_count = 1;
    /* Every location; those short of 5 show 0. */
    check_rows(&q, "warehouse-1/A1/10 warehouse-2/A1/0 store-3/A1/0");
}

static void test_limit_spares_priority_locations(void **state)
{
    (void)state;
    gw_inquiry q = make_inquiry(GW_INQUIRY_ANY);
    q.limit = 2;
    check_rows(&q, "warehouse-1/A1/10 warehouse-2/A1/3");
    q.priority_count = 2; /* L1 and L2 are the priority list: never cut */
    check_rows(&q, "warehouse-1/A1/10 warehouse-2/A1/3 warehouse-2/B1/4");
    /* Default: items × 100 rows. */
    q.limit = 0;
    q.priority_count = 0;
    check_rows(&q, "warehouse-1/A1/10 warehouse-2/A1/3 warehouse-2/B1/4 store-3/A1/3 store-3/B1/1");
}

static void test_flags(void **state)
{
    (void)state;
    gw_inquiry q = make_inquiry(GW_INQUIRY_ANY);
    q_availability a = {1, 6000, 2000, 1000, 3000};
    assert_int_equal(gw_inquiry_numbers(&q, &a).available, 3);
    q.ignore_safety_stock = 1; /* on-hand − reserved */
    assert_int_equal(gw_inquiry_numbers(&q, &a).available, 4);
    q_availability oversold = {1, 1000, 3000, 0, 0};
    q.ignore_safety_stock = 0;
    assert_int_equal(gw_inquiry_numbers(&q, &oversold).available, 0);
    q.include_negative = 1;
    assert_int_equal(gw_inquiry_numbers(&q, &oversold).available, -2);
    assert_int_equal(gw_inquiry_numbers(&q, &oversold).allocated, 3);
}

static void test_row_mapping(void **state)
{
    (void)state;
    gw_inquiry q = make_inquiry(GW_INQUIRY_ANY);
    q.location_count = 1;
    q.item_count = 1;
    json_object *rows = gw_inquiry_rows(&q, MATRIX, extras_for, NULL);
    assert_int_equal(json_object_array_length(rows), 1);
    assert_string_equal(json_object_to_json_string_ext(json_object_array_get_idx(rows, 0), JSON_C_TO_STRING_PLAIN),
                        "{\"locationName\":\"Location 1\",\"locationCode\":\"warehouse-1\",\"tenantID\":1,"
                        "\"onHand\":10,\"available\":10,\"allocated\":0,\"pending\":0,\"partNumber\":\"PN-A\","
                        "\"sku\":\"A1\",\"ltd\":2.5,\"floor\":3,\"retailPrice\":9.99,\"currencyID\":1,"
                        "\"inventoryLocatorName\":\"A-1\",\"attributes\":[\"x\"],\"safetyStock\":0}");
    json_object_put(rows);
    /* Without kept fields: safetyStock from OCI, floor 0. */
    q.locations = LOCATIONS + 2;
    rows = gw_inquiry_rows(&q, MATRIX + 4, extras_for, NULL);
    json_object *row = json_object_array_get_idx(rows, 0);
    assert_int_equal(json_object_get_int64(json_object_object_get(row, "safetyStock")), 1);
    assert_int_equal(json_object_get_int64(json_object_object_get(row, "floor")), 0);
    assert_int_equal(json_object_get_int64(json_object_object_get(row, "allocated")), 2);
    json_object_put(rows);
}

static void test_aggregate_totals(void **state)
{
    (void)state;
    gw_inquiry q = make_inquiry(GW_INQUIRY_ANY);
    json_object *rows = gw_aggregate_rows(&q, MATRIX, extras_for, NULL);
    assert_string_equal(json_object_to_json_string_ext(rows, JSON_C_TO_STRING_PLAIN),
                        "[{\"tenantID\":1,\"onHand\":19,\"available\":16,\"partNumber\":\"PN-A\",\"sku\":\"A1\","
                        "\"floor\":3},"
                        "{\"tenantID\":1,\"onHand\":5,\"available\":5,\"upc\":\"U-B\",\"sku\":\"B1\",\"floor\":0}]");
    json_object_put(rows);
}

static void test_read_plan(void **state)
{
    (void)state;
    size_t skus, locations;
    assert_int_equal(gw_inquiry_plan(100, 10, &skus, &locations), 10);
    assert_true(skus * locations <= 100);
    assert_int_equal(gw_inquiry_plan(5, 10, &skus, &locations), 1);
    assert_int_equal(gw_inquiry_plan(1, 250, &skus, &locations), 3);
    assert_int_equal(gw_inquiry_plan(250, 1, &skus, &locations), 3);
    assert_int_equal(gw_inquiry_plan(30, 7, &skus, &locations), 3);
    assert_true(skus * locations <= 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_type_filters),
        cmocka_unit_test(test_limit_spares_priority_locations),
        cmocka_unit_test(test_flags),
        cmocka_unit_test(test_row_mapping),
        cmocka_unit_test(test_aggregate_totals),
        cmocka_unit_test(test_read_plan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
