/*
 * test_gateway_validate_inquiry.c - gateway/validate_inquiry.c: an inquiry or aggregate body's
 * locations and every bad field named.
 */
#include "common/body.h"
#include "common/config.h"
#include "common/json_util.h"
#include "gateway/limits.h"
#include "gateway/validate_inquiry.h"
#include "tests/support/gateway_tenants.h"
#include "tests/support/test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>



static cm_err inquiry(const char *text, int64_t tenant, int aggregate, gw_inquiry_request *out, gw_problems *problems)
{
    char parse_error[CM_JSON_ERROR_MAX];
    return gw_validate_inquiry_text(text, strlen(text), cm_config_tenant(th_gateway_config, tenant), aggregate, out, problems,
                                    parse_error);
}

static void test_inquiry_locations(void **state)
{
    (void)state;
    gw_inquiry_request out;
    gw_problems problems;
    /* All configured locations, less the blacklist, the priority list first. */
    assert_int_equal(inquiry("{\"type\":\"ANY\",\"items\":[{\"sku\":\"A1\",\"quantity\":1}],"
                             "\"locationBlacklist\":[\"Location 2\"],\"locationPriorityList\":[\"store-3\"]}",
                             1, 0, &out, &problems),
                     CM_OK);
    assert_int_equal(out.inquiry.location_count, 2);
    assert_int_equal(out.inquiry.priority_count, 1);
    assert_string_equal(out.inquiry.locations[0].code, "store-3");
    assert_string_equal(out.inquiry.locations[1].code, "warehouse-1");
    gw_inquiry_request_clear(&out);
    /* locationCode alone. */
    assert_int_equal(inquiry("{\"items\":[{\"sku\":\"A1\",\"quantity\":1}],\"locationCode\":\"warehouse-2\"}", 1, 0,
                             &out, &problems),
                     CM_OK);
    assert_int_equal(out.inquiry.location_count, 1);
    assert_string_equal(out.inquiry.locations[0].name, "Location 2");
    assert_int_equal(out.inquiry.type, GW_INQUIRY_ANY); /* defaulted */
    gw_inquiry_request_clear(&out);
    /* A whitelist of names and codes; an autoLocations tenant may name new ones. */
    assert_int_equal(inquiry("{\"items\":[{\"upc\":\"U1\",\"quantity\":1}],\"locationWhitelist\":[\"Shop 9\"]}", 2, 0,
                             &out, &problems),
                     CM_OK);
    assert_string_equal(out.inquiry.locations[0].code, "Shop-9");
    assert_string_equal(out.inquiry.items[0].sku, "U1");
    gw_inquiry_request_clear(&out);
}

static void test_inquiry_names_every_bad_field(void **state)
{
    (void)state;
    gw_inquiry_request out;
    gw_problems problems;
    assert_int_equal(inquiry("{\"type\":\"SOME\",\"fulfillerID\":-1,\"manufacturerID\":5,\"limit\":0,"
                             "\"ignoreSafetyStock\":\"yes\",\"items\":[{\"sku\":\"A1\"},{\"quantity\":2}],"
                             "\"locationWhitelist\":[\"Mars\"]}",
                             1, 0, &out, &problems),
                     CM_EINVAL);
    const char *fields[] = {"type", "fulfillerID", "manufacturerID", "limit", "ignoreSafetyStock",
                            "items[0].quantity", "items[1].sku", "locationWhitelist[0]"};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (!th_has_problem(&problems, fields[i]))
            fail_msg("no problem named %s", fields[i]);
    assert_int_equal(inquiry("{\"type\":\"ALL_STORES\",\"items\":[{\"sku\":\"A1\",\"quantity\":1},"
                             "{\"sku\":\"B1\",\"quantity\":1}]}",
                             1, 0, &out, &problems),
                     CM_EINVAL);
    assert_true(th_has_problem(&problems, "items"));
    assert_int_equal(inquiry("{\"items\":[]}", 1, 1, &out, &problems), CM_EINVAL);
    assert_true(th_has_problem(&problems, "items"));
    /* 1000 items × 101 whitelisted (autoLocations) locations: over the 100000 pairs one request reads. */
    cm_body body;
    cm_body_init(&body, 1 << 20);
    cm_body_appendf(&body, "{\"items\":[");
    for (int i = 0; i < GW_MAX_INQUIRY_ITEMS; i++)
        cm_body_appendf(&body, "%s{\"upc\":\"U%d\",\"quantity\":1}", i ? "," : "", i);
    cm_body_appendf(&body, "],\"locationWhitelist\":[");
    for (int l = 0; l < 101; l++)
        cm_body_appendf(&body, "%s\"Shop %d\"", l ? "," : "", l);
    cm_body_appendf(&body, "]}");
    assert_int_equal(inquiry(body.data, 2, 0, &out, &problems), CM_EINVAL);
    assert_true(th_has_problem(&problems, "items"));
    assert_non_null(strstr(problems.list[0].message, "at most 100000"));
    cm_body_free(&body);
    /* Aggregate items need no quantity; ignored fields are accepted. */
    assert_int_equal(inquiry("{\"manufacturerID\":100,\"items\":[{\"sku\":\"A1\",\"tags\":{}}],\"directShip\":true,"
                             "\"requestLocation\":{\"radius\":5}}",
                             1, 1, &out, &problems),
                     CM_OK);
    gw_inquiry_request_clear(&out);
}


int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inquiry_locations),
        cmocka_unit_test(test_inquiry_names_every_bad_field),
    };
    return cmocka_run_group_tests(tests, th_gateway_tenants_load, th_gateway_tenants_free);
}
