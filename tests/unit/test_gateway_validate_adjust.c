/*
 * test_gateway_validate_adjust.c - gateway/validate_adjust.c: an adjust body's signed quantities,
 * every bad field named, and the 1000-item limit.
 */
#include "common/body.h"
#include "common/config.h"
#include "common/json_util.h"
#include "gateway/limits.h"
#include "gateway/validate_adjust.h"
#include "tests/support/gateway_tenants.h"
#include "tests/support/test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>



static cm_err adjust(const char *text, gw_refresh *out, gw_problems *problems)
{
    char parse_error[CM_JSON_ERROR_MAX];
    return gw_validate_adjust_text(text, strlen(text), cm_config_tenant(th_gateway_config, 1), out, problems, parse_error);
}

static void test_adjust_accepts_signed_quantities(void **state)
{
    (void)state;
    gw_refresh out;
    gw_problems problems;
    assert_int_equal(adjust("{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"A1\",\"quantity\":-2},"
                            "{\"partNumber\":\"B1\",\"quantity\":\"-7\",\"binID\":3,\"tags\":{\"x\":1}},"
                            "{\"sku\":\"A1\",\"quantity\":0}]}",
                            &out, &problems),
                     CM_OK);
    assert_int_equal(out.item_count, 3);
    assert_string_equal(out.oci_location, "warehouse-1");
    json_object *items = gw_refresh_items_json(&out);
    assert_string_equal(json_object_to_json_string_ext(items, JSON_C_TO_STRING_PLAIN),
                        "[{\"sku\":\"A1\",\"quantity\":-2},{\"partNumber\":\"B1\",\"quantity\":-7,\"binID\":3},"
                        "{\"sku\":\"A1\",\"quantity\":0}]");
    /* A repeated SKU is not a duplicate to warn about: both deltas count. */
    assert_string_equal(out.messages.data, "[]");
    json_object_put(items);
    gw_refresh_clear(&out);
}

static void test_adjust_names_every_bad_field(void **state)
{
    (void)state;
    gw_refresh out;
    gw_problems problems;
    assert_int_equal(adjust("{\"locationName\":\"Nowhere\",\"items\":[{\"quantity\":1},{\"sku\":\"A1\",\"quantity\":1.5},"
                            "{\"sku\":\"A1\"},{\"sku\":\"A 1\",\"quantity\":1},{\"sku\":\"A1\",\"quantity\":1,\"binID\":0}]}",
                            &out, &problems),
                     CM_EINVAL);
    assert_true(th_has_problem(&problems, "locationName"));
    assert_true(th_has_problem(&problems, "items[0].sku"));
    assert_true(th_has_problem(&problems, "items[1].quantity"));
    assert_true(th_has_problem(&problems, "items[2].quantity"));
    assert_true(th_has_problem(&problems, "items[3].sku"));
    assert_true(th_has_problem(&problems, "items[4].binID"));
    assert_int_equal(problems.total, 6);
}

static void test_adjust_limit_is_1000_items(void **state)
{
    (void)state;
    for (int count = GW_MAX_ADJUST_ITEMS; count <= GW_MAX_ADJUST_ITEMS + 1; count++) {
        cm_body body;
        cm_body_init(&body, 1 << 20);
        cm_body_appendf(&body, "{\"locationName\":\"Location 1\",\"items\":[");
        for (int i = 0; i < count; i++)
            cm_body_appendf(&body, "%s{\"sku\":\"S%d\",\"quantity\":-1}", i ? "," : "", i);
        cm_body_appendf(&body, "]}");
        gw_refresh out;
        gw_problems problems;
        char parse_error[CM_JSON_ERROR_MAX];
        cm_err rc = gw_validate_adjust_text(body.data, body.length, cm_config_tenant(th_gateway_config, 1), &out, &problems,
                                         parse_error);
        if (count == GW_MAX_ADJUST_ITEMS) {
            assert_int_equal(rc, CM_OK);
            gw_refresh_clear(&out);
        } else {
            assert_int_equal(rc, CM_EINVAL);
            assert_true(th_has_problem(&problems, "items"));
            assert_non_null(strstr(problems.list[0].message, "at most 1000"));
        }
        cm_body_free(&body);
    }
    gw_refresh out;
    gw_problems problems;
    char parse_error[CM_JSON_ERROR_MAX];
    assert_int_equal(gw_validate_adjust_text("{\"items\":[", 10, cm_config_tenant(th_gateway_config, 1), &out, &problems,
                                             parse_error),
                     CM_EINVAL);
    assert_int_equal(problems.total, 0); /* not JSON: the parse error is the answer */
    assert_true(strlen(parse_error) > 0);
}


int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_adjust_accepts_signed_quantities),
        cmocka_unit_test(test_adjust_names_every_bad_field),
        cmocka_unit_test(test_adjust_limit_is_1000_items),
    };
    return cmocka_run_group_tests(tests, th_gateway_tenants_load, th_gateway_tenants_free);
}
