/*
 * test_gateway_validate.c - the legacy refresh validator (gateway/validate.c): every rule, every limit at
 * the edge and one past it.
 */
#include "common/body.h"
#include "common/config.h"
#include "common/json_util.h"
#include "gateway/limits.h"
#include "gateway/validate.h"
#include "tests/support/test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char CONFIG[] =
    "{\"oci\":{\"organizations\":[{\"id\":\"org1\"}]},"
    " \"tenants\":["
    "  {\"id\":1,\"apiKeys\":{\"v5\":\"k\"},\"organizationId\":\"org1\","
    "   \"locations\":{\"Location 1\":\"warehouse-1\"}},"
    "  {\"id\":2,\"apiKeys\":{\"v5\":\"k\"},\"organizationId\":\"org1\",\"autoLocations\":true,"
    "   \"skuFrom\":[\"upc\",\"sku\"]}]}";

static cm_config *config;

static int load_config(void **state)
{
    (void)state;
    char error[CM_CONFIG_ERROR_MAX];
    assert_int_equal(cm_config_parse(CONFIG, strlen(CONFIG), "test", ".", NULL, 0, &config, error), CM_OK);
    return 0;
}

static int free_config(void **state)
{
    (void)state;
    cm_config_free(config);
    return 0;
}

typedef struct outcome {
    cm_err rc;
    gw_refresh refresh;
    gw_problems problems;
} outcome;

/* Validates with both entry points — the tree path and the streaming path the gateway uses — and
 * requires the same verdict, the same problems and the same normalized items from each. */
static outcome *validate_text(const char *text, int64_t tenant_id)
{
    outcome *result = calloc(1, sizeof *result);
    json_object *root = NULL;
    char error[CM_JSON_ERROR_MAX];
    assert_int_equal(cm_json_parse(text, strlen(text), 32, &root, error), CM_OK);
    const cm_tenant *tenant = cm_config_tenant(config, tenant_id);
    result->rc = gw_validate_refresh(root, tenant, &result->refresh, &result->problems);
    json_object_put(root);

    outcome *streamed = calloc(1, sizeof *streamed);
    char parse_error[CM_JSON_ERROR_MAX];
    streamed->rc = gw_validate_refresh_text(text, strlen(text), tenant, &streamed->refresh, &streamed->problems,
                                            parse_error);
    assert_int_equal(streamed->rc, result->rc);
    assert_int_equal(streamed->problems.total, result->problems.total);
    assert_int_equal(streamed->problems.count, result->problems.count);
    for (size_t i = 0; i < result->problems.count; i++) {
        assert_string_equal(streamed->problems.list[i].field, result->problems.list[i].field);
        assert_string_equal(streamed->problems.list[i].message, result->problems.list[i].message);
    }
    assert_int_equal(streamed->refresh.items_text.length, result->refresh.items_text.length);
    if (result->refresh.items_text.length)
        assert_memory_equal(streamed->refresh.items_text.data, result->refresh.items_text.data,
                            result->refresh.items_text.length);
    assert_string_equal(streamed->refresh.oci_location, result->refresh.oci_location);
    assert_int_equal(streamed->refresh.messages.length, result->refresh.messages.length);
    if (result->refresh.messages.length)
        assert_string_equal(streamed->refresh.messages.data, result->refresh.messages.data);
    gw_refresh_clear(&streamed->refresh);
    free(streamed);
    return result;
}

/* Bodies that are not JSON, or not what the splitter expects, get the tree path's exact answer. */
static void test_streaming_falls_back_to_the_parser(void **state)
{
    (void)state;
    const cm_tenant *tenant = cm_config_tenant(config, 1);
    const char *bodies[] = {
        "{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"AB\",\"quantity\":1}",    /* truncated */
        "{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"AB\",\"quantity\":NaN}]}", /* NaN in an item */
        "{\"locationName\":\"L\",\"locationName\":\"Location 1\",\"items\":[]}",        /* repeated key */
        "{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"AB\",\"sku\":\"AC\",\"quantity\":1}]}",
        "{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"AB\",\"quantity\":1}]} x",  /* trailing data */
        "{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"AB\",\"quantity\":1},]}",  /* trailing comma */
        "  [1, 2]  ",
        "null",
        "{\"a\":{\"b\":[1,2,}],\"items\":[]}",
    };
    for (size_t b = 0; b < sizeof bodies / sizeof bodies[0]; b++) {
        gw_refresh refresh;
        gw_problems problems;
        char parse_error[CM_JSON_ERROR_MAX];
        cm_err rc = gw_validate_refresh_text(bodies[b], strlen(bodies[b]), tenant, &refresh, &problems, parse_error);
        json_object *root = NULL;
        char expected_error[CM_JSON_ERROR_MAX];
        cm_err parsed = cm_json_parse(bodies[b], strlen(bodies[b]), GW_JSON_MAX_DEPTH, &root, expected_error);
        if (parsed != CM_OK) {
            assert_int_equal(rc, CM_EINVAL);
            assert_true(gw_not_json(rc, &problems));
            assert_string_equal(parse_error, expected_error);
        } else {
            assert_int_equal(rc, CM_EINVAL);
            assert_true(problems.total > 0);
        }
        json_object_put(root);
        gw_refresh_clear(&refresh);
    }
}

static void free_outcome(outcome *result)
{
    gw_refresh_clear(&result->refresh);
    free(result);
}

/* Asserts the request was refused with a problem on `field` of `code`. */
static void expect_problem(const char *text, const char *field, const char *code)
{
    outcome *result = validate_text(text, 1);
    if (result->rc != CM_EINVAL || gw_not_json(result->rc, &result->problems))
        fail_msg("expected a refusal for %s", text);
    int found = 0;
    for (size_t i = 0; i < result->problems.count; i++)
        if (strcmp(result->problems.list[i].field, field) == 0 && strcmp(result->problems.list[i].code, code) == 0)
            found = 1;
    if (!found)
        fail_msg("no %s problem on %s for %s (first: %s %s)", code, field, text,
                 result->problems.count ? result->problems.list[0].field : "-",
                 result->problems.count ? result->problems.list[0].message : "-");
    assert_null(result->refresh.item_ends);
    assert_int_equal(result->refresh.items_text.length, 0);
    free_outcome(result);
}

/* The normalized items as JSON text (read back from the stored records). */
static char *items_json_text(const gw_refresh *refresh)
{
    json_object *items = gw_refresh_items_json(refresh);
    assert_non_null(items);
    char *text = strdup(json_object_to_json_string_ext(items, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(items);
    return text;
}

static void expect_items_json(const gw_refresh *refresh, const char *expected)
{
    char *text = items_json_text(refresh);
    assert_string_equal(text, expected);
    free(text);
}

static void expect_valid(const char *text)
{
    outcome *result = validate_text(text, 1);
    if (result->rc != CM_OK)
        fail_msg("expected valid: %s; first problem: %s", text,
                 result->problems.count ? result->problems.list[0].message : "-");
    free_outcome(result);
}

static void test_minimal_request_and_normalization(void **state)
{
    (void)state;
    outcome *result = validate_text(
        "{\"locationName\":\"Location 1\",\"manufacturerID\":9,"
        "\"items\":[{\"partNumber\":\"101010\",\"sku\":\"101010\",\"quantity\":\"101\",\"color\":\"red\"}]}",
        1);
    assert_int_equal(result->rc, CM_OK);
    assert_string_equal(result->refresh.oci_location, "warehouse-1");
    assert_string_equal(result->refresh.location_name, "Location 1");
    assert_int_equal(result->refresh.item_count, 1);
    /* Quantity as a string becomes a number; unknown fields are dropped. */
    expect_items_json(&result->refresh, "[{\"sku\":\"101010\",\"partNumber\":\"101010\",\"quantity\":101}]");
    /* What the queue stores: one record of translate/stored_items.h. */
    assert_string_equal(result->refresh.items_text.data, "101 - - 6:101010 6:101010 - 0:\n");
    assert_string_equal(result->refresh.messages.data, "[]");
    free_outcome(result);
}

static void test_every_optional_field(void **state)
{
    (void)state;
    outcome *result = validate_text(
        "{\"locationName\":\"Location 1\",\"items\":[{\"upc\":\"0001\",\"quantity\":5,\"binID\":\"3\","
        "\"floor\":2,\"safetyStock\":4,\"currencyID\":840,\"retailPrice\":\"19.99\",\"LTD\":1.5,"
        "\"inventoryLocatorName\":\"Aisle 5\",\"attributes\":[\"A\",\"B\"]}]}",
        1);
    assert_int_equal(result->rc, CM_OK);
    /* floor and safetyStock come last among the kept fields: the worker keeps them in that order. */
    expect_items_json(&result->refresh,
                      "[{\"upc\":\"0001\",\"quantity\":5,\"binID\":3,"
                      "\"currencyID\":840,\"retailPrice\":19.99,\"ltd\":1.5,"
                      "\"inventoryLocatorName\":\"Aisle 5\",\"attributes\":[\"A\",\"B\"],\"floor\":2,\"safetyStock\":4}]");
    assert_string_equal(result->refresh.items_text.data,
                        "5 4 2 - - 4:0001 138:\"binID\":3,\"currencyID\":840,\"retailPrice\":19.99,\"ltd\":1.5,"
                        "\"inventoryLocatorName\":\"Aisle 5\",\"attributes\":[\"A\",\"B\"],\"floor\":2,\"safetyStock\":4\n");
    free_outcome(result);
}

static void test_location_rules(void **state)
{
    (void)state;
    expect_problem("{\"items\":[{\"sku\":\"AB\",\"quantity\":1}]}", "locationName", "MISSING_REQUEST_DATA");
    expect_problem("{\"locationName\":\"\",\"items\":[{\"sku\":\"AB\",\"quantity\":1}]}", "locationName",
                   "MISSING_REQUEST_DATA");
    expect_problem("{\"locationName\":5,\"items\":[{\"sku\":\"AB\",\"quantity\":1}]}", "locationName",
                   "INVALID_REQUEST_DATA");
    expect_problem("{\"locationName\":\"Nowhere\",\"items\":[{\"sku\":\"AB\",\"quantity\":1}]}", "locationName",
                   "INVALID_REQUEST_DATA");
    /* locationCode (modern SDKs) is accepted in its place. */
    expect_valid("{\"locationCode\":\"Location 1\",\"items\":[{\"sku\":\"AB\",\"quantity\":1}]}");
    /* 255 characters is the limit. */
    char name[300];
    memset(name, 'x', 256);
    name[256] = '\0';
    char text[600];
    snprintf(text, sizeof text, "{\"locationName\":\"%s\",\"items\":[{\"sku\":\"AB\",\"quantity\":1}]}", name);
    expect_problem(text, "locationName", "INVALID_REQUEST_DATA");
}

static void test_auto_locations(void **state)
{
    (void)state;
    outcome *result = validate_text("{\"locationName\":\"Store #9 (east)\",\"items\":[{\"upc\":\"AB\",\"quantity\":1}]}", 2);
    assert_int_equal(result->rc, CM_OK);
    assert_string_equal(result->refresh.oci_location, "Store--9--east-");
    free_outcome(result);
    char id[Q_OCI_ID_MAX + 1];
    assert_int_equal(gw_auto_location_id("x", id), CM_EINVAL);
}

static void test_items_rules(void **state)
{
    (void)state;
    expect_problem("{\"locationName\":\"Location 1\"}", "items", "MISSING_REQUEST_DATA");
    expect_problem("{\"locationName\":\"Location 1\",\"items\":[]}", "items", "MISSING_REQUEST_DATA");
    expect_problem("{\"locationName\":\"Location 1\",\"items\":{}}", "items", "INVALID_REQUEST_DATA");
    expect_problem("{\"locationName\":\"Location 1\",\"items\":[5]}", "items[0]", "INVALID_REQUEST_DATA");
    expect_problem("[1,2]", "(body)", "INVALID_REQUEST_DATA");
}

static char *items_request(size_t count)
{
    cm_body body;
    cm_body_init(&body, 8 * 1024 * 1024);
    cm_body_appendf(&body, "{\"locationName\":\"Location 1\",\"items\":[");
    for (size_t i = 0; i < count; i++)
        cm_body_appendf(&body, "%s{\"sku\":\"SKU-%zu\",\"quantity\":%zu}", i ? "," : "", i, i);
    cm_body_appendf(&body, "]}");
    return cm_body_take(&body, NULL);
}

static void test_item_count_limit(void **state)
{
    (void)state;
    char *at_limit = items_request(12000);
    outcome *result = validate_text(at_limit, 1);
    assert_int_equal(result->rc, CM_OK);
    assert_int_equal(result->refresh.item_count, 12000);
    free_outcome(result);
    free(at_limit);
    char *past = items_request(12001);
    expect_problem(past, "items", "INVALID_REQUEST_DATA");
    free(past);
}

static void test_identifier_rules(void **state)
{
    (void)state;
    expect_problem("{\"locationName\":\"Location 1\",\"items\":[{\"quantity\":1}]}", "items[0].sku",
                   "MISSING_REQUEST_DATA");
    expect_problem("{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"\",\"upc\":\"\",\"quantity\":1}]}",
                   "items[0].sku", "MISSING_REQUEST_DATA");
    expect_problem("{\"locationName\":\"Location 1\",\"items\":[{\"sku\":12,\"quantity\":1}]}", "items[0].sku",
                   "INVALID_REQUEST_DATA");
    /* OCI's sku rules: 2..250 characters, no white space or \ < > ; % / */
    expect_problem("{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"A\",\"quantity\":1}]}", "items[0].sku",
                   "INVALID_REQUEST_DATA");
    expect_problem("{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"A B\",\"quantity\":1}]}", "items[0].sku",
                   "INVALID_REQUEST_DATA");
    expect_problem("{\"locationName\":\"Location 1\",\"items\":[{\"partNumber\":\"a/b\",\"quantity\":1}]}",
                   "items[0].partNumber", "INVALID_REQUEST_DATA");
    char sku[300];
    memset(sku, 'S', 250);
    sku[250] = '\0';
    char text[700];
    snprintf(text, sizeof text, "{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"%s\",\"quantity\":1}]}", sku);
    expect_valid(text);
    memset(sku, 'S', 251);
    sku[251] = '\0';
    snprintf(text, sizeof text, "{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"%s\",\"quantity\":1}]}", sku);
    expect_problem(text, "items[0].sku", "INVALID_REQUEST_DATA");
    /* The tenant's order decides: tenant 2 takes upc before sku. */
    outcome *result = validate_text(
        "{\"locationName\":\"X1\",\"items\":[{\"sku\":\"S1\",\"upc\":\"U1\",\"quantity\":1}]}", 2);
    assert_int_equal(result->rc, CM_OK);
    free_outcome(result);
    /* Tenant 2 does not take partNumber at all. */
    result = validate_text("{\"locationName\":\"X1\",\"items\":[{\"partNumber\":\"P1\",\"quantity\":1}]}", 2);
    assert_int_equal(result->rc, CM_EINVAL);
    assert_string_equal(result->problems.list[0].field, "items[0].sku");
    free_outcome(result);
}

static void test_quantity_rules(void **state)
{
    (void)state;
    expect_problem("{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"AB\"}]}", "items[0].quantity",
                   "MISSING_REQUEST_DATA");
    expect_problem("{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"AB\",\"quantity\":-1}]}",
                   "items[0].quantity", "INVALID_REQUEST_DATA");
    expect_problem("{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"AB\",\"quantity\":1.5}]}",
                   "items[0].quantity", "INVALID_REQUEST_DATA");
    expect_problem("{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"AB\",\"quantity\":\"1x\"}]}",
                   "items[0].quantity", "INVALID_REQUEST_DATA");
    expect_problem("{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"AB\",\"quantity\":\"-3\"}]}",
                   "items[0].quantity", "INVALID_REQUEST_DATA");
    expect_problem("{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"AB\",\"quantity\":true}]}",
                   "items[0].quantity", "INVALID_REQUEST_DATA");
    expect_problem("{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"AB\",\"quantity\":null}]}",
                   "items[0].quantity", "INVALID_REQUEST_DATA");
    expect_problem("{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"AB\",\"quantity\":1000000000001}]}",
                   "items[0].quantity", "INVALID_REQUEST_DATA");
    expect_problem("{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"AB\",\"quantity\":99999999999999999999}]}",
                   "items[0].quantity", "INVALID_REQUEST_DATA");
    expect_valid("{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"AB\",\"quantity\":1000000000000}]}");
    expect_valid("{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"AB\",\"quantity\":0}]}");
    expect_valid("{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"AB\",\"quantity\":7.0}]}");
}

static void test_optional_field_rules(void **state)
{
    (void)state;
    expect_problem("{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"AB\",\"quantity\":1,\"binID\":0}]}",
                   "items[0].binID", "INVALID_REQUEST_DATA");
    expect_valid("{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"AB\",\"quantity\":1,\"binID\":1}]}");
    expect_problem("{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"AB\",\"quantity\":1,\"floor\":-1}]}",
                   "items[0].floor", "INVALID_REQUEST_DATA");
    expect_problem("{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"AB\",\"quantity\":1,\"safetyStock\":\"x\"}]}",
                   "items[0].safetyStock", "INVALID_REQUEST_DATA");
    expect_problem("{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"AB\",\"quantity\":1,\"currencyID\":-2}]}",
                   "items[0].currencyID", "INVALID_REQUEST_DATA");
    expect_problem("{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"AB\",\"quantity\":1,\"retailPrice\":-0.01}]}",
                   "items[0].retailPrice", "INVALID_REQUEST_DATA");
    expect_problem("{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"AB\",\"quantity\":1,\"retailPrice\":[]}]}",
                   "items[0].retailPrice", "INVALID_REQUEST_DATA");
    expect_problem("{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"AB\",\"quantity\":1,\"ltd\":\"soon\"}]}",
                   "items[0].ltd", "INVALID_REQUEST_DATA");
    expect_valid("{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"AB\",\"quantity\":1,\"ltd\":\"2.5\"}]}");
    /* Locator name: 50 characters at most. */
    char text[400];
    char name[60];
    memset(name, 'n', 50);
    name[50] = '\0';
    snprintf(text, sizeof text,
             "{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"AB\",\"quantity\":1,\"inventoryLocatorName\":\"%s\"}]}",
             name);
    expect_valid(text);
    name[50] = 'n';
    name[51] = '\0';
    snprintf(text, sizeof text,
             "{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"AB\",\"quantity\":1,\"inventoryLocatorName\":\"%s\"}]}",
             name);
    expect_problem(text, "items[0].inventoryLocatorName", "INVALID_REQUEST_DATA");
}

static void test_attribute_limits(void **state)
{
    (void)state;
    for (int count = 63; count <= 64; count++) {
        cm_body body;
        cm_body_init(&body, 65536);
        cm_body_appendf(&body, "{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"AB\",\"quantity\":1,\"attributes\":[");
        for (int i = 0; i < count; i++)
            cm_body_appendf(&body, "%s\"A%d\"", i ? "," : "", i);
        cm_body_appendf(&body, "]}]}");
        if (count == 63)
            expect_valid(body.data);
        else
            expect_problem(body.data, "items[0].attributes", "INVALID_REQUEST_DATA");
        cm_body_free(&body);
    }
    expect_problem("{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"AB\",\"quantity\":1,\"attributes\":[\"A\",3]}]}",
                   "items[0].attributes[1]", "INVALID_REQUEST_DATA");
    expect_problem("{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"AB\",\"quantity\":1,\"attributes\":\"A\"}]}",
                   "items[0].attributes", "INVALID_REQUEST_DATA");
}

/* Field names are built only when a problem is found: each message still names its field, with
 * the item's index. */
static void test_problem_messages_name_the_field(void **state)
{
    (void)state;
    static const struct {
        const char *item;
        const char *field;
        const char *message;
    } cases[] = {
        {"{\"sku\":7,\"quantity\":1}", "items[1].sku", "items[1].sku must be a string."},
        {"{\"quantity\":1}", "items[1].sku", "items[1] needs at least one of sku, partNumber or upc."},
        {"{\"sku\":\"AB\"}", "items[1].quantity", "items[1].quantity is required."},
        {"{\"sku\":\"AB\",\"quantity\":-2}", "items[1].quantity", "items[1].quantity must not be negative; got -2."},
        {"{\"sku\":\"AB\",\"quantity\":1,\"binID\":0}", "items[1].binID",
         "items[1].binID must be between 1 and 1000000000000; got 0."},
        {"{\"sku\":\"AB\",\"quantity\":1,\"LTD\":\"x\"}", "items[1].LTD", "items[1].LTD is not a valid finite number."},
        {"{\"sku\":\"AB\",\"quantity\":1,\"inventoryLocatorName\":1}", "items[1].inventoryLocatorName",
         "items[1].inventoryLocatorName must be a string."},
        {"{\"sku\":\"AB\",\"quantity\":1,\"attributes\":[\"a\",2]}", "items[1].attributes[1]",
         "items[1].attributes[1] must be a string."},
        {"7", "items[1]", "items[1] must be an object."},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char body[512];
        snprintf(body, sizeof body, "{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"OK\",\"quantity\":1},%s]}",
                 cases[c].item);
        outcome *result = validate_text(body, 1);
        assert_int_equal(result->rc, CM_EINVAL);
        int found = 0;
        for (size_t i = 0; i < result->problems.count; i++)
            if (strcmp(result->problems.list[i].field, cases[c].field) == 0 &&
                strcmp(result->problems.list[i].message, cases[c].message) == 0)
                found = 1;
        if (!found)
            fail_msg("case %zu: no problem on %s saying \"%s\" (first: %s: %s)", c, cases[c].field,
                     cases[c].message, result->problems.list[0].field, result->problems.list[0].message);
        free_outcome(result);
    }
}

static void test_every_problem_is_reported_with_a_cap(void **state)
{
    (void)state;
    cm_body body;
    cm_body_init(&body, 1 << 20);
    cm_body_appendf(&body, "{\"locationName\":\"Location 1\",\"items\":[");
    for (int i = 0; i < 150; i++)
        cm_body_appendf(&body, "%s{\"sku\":\"AB\",\"quantity\":-1}", i ? "," : "");
    cm_body_appendf(&body, "]}");
    outcome *result = validate_text(body.data, 1);
    cm_body_free(&body);
    assert_int_equal(result->rc, CM_EINVAL);
    assert_int_equal(result->problems.total, 150);
    assert_int_equal(result->problems.count, 100);
    assert_string_equal(result->problems.list[17].field, "items[17].quantity");
    free_outcome(result);
}

static void test_item_ends_delimit_the_records(void **state)
{
    (void)state;
    outcome *result = validate_text("{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"C1\",\"quantity\":1},"
                                    "{\"sku\":\"C2\",\"quantity\":2},{\"sku\":\"C3\",\"quantity\":3}]}",
                                    1);
    assert_int_equal(result->rc, CM_OK);
    /* The queue cuts chunks at item_ends: each record stands alone. */
    const gw_refresh *refresh = &result->refresh;
    assert_int_equal(refresh->item_ends[2], refresh->items_text.length);
    assert_int_equal(refresh->item_ends[1] - refresh->item_ends[0], strlen("2 - - 2:C2 - - 0:\n"));
    assert_memory_equal(refresh->items_text.data + refresh->item_ends[0], "2 - - 2:C2 - - 0:\n",
                        refresh->item_ends[1] - refresh->item_ends[0]);
    expect_items_json(refresh, "[{\"sku\":\"C1\",\"quantity\":1},{\"sku\":\"C2\",\"quantity\":2},"
                               "{\"sku\":\"C3\",\"quantity\":3}]");
    free_outcome(result);
}

static void test_duplicate_skus_last_wins_message(void **state)
{
    (void)state;
    outcome *result = validate_text(
        "{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"D1\",\"quantity\":1},{\"sku\":\"D2\",\"quantity\":1},"
        "{\"sku\":\"D1\",\"quantity\":2},{\"sku\":\"D1\",\"quantity\":3}]}",
        1);
    assert_int_equal(result->rc, CM_OK);
    /* The messages are the text the queue stores, as it stores it. */
    assert_string_equal(result->refresh.messages.data,
                        "[\"SKU D1 appears 3 times in items; the last one (items[3]) wins.\"]");
    free_outcome(result);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_minimal_request_and_normalization),
        cmocka_unit_test(test_every_optional_field),
        cmocka_unit_test(test_location_rules),
        cmocka_unit_test(test_auto_locations),
        cmocka_unit_test(test_items_rules),
        cmocka_unit_test(test_item_count_limit),
        cmocka_unit_test(test_identifier_rules),
        cmocka_unit_test(test_quantity_rules),
        cmocka_unit_test(test_optional_field_rules),
        cmocka_unit_test(test_attribute_limits),
        cmocka_unit_test(test_problem_messages_name_the_field),
        cmocka_unit_test(test_every_problem_is_reported_with_a_cap),
        cmocka_unit_test(test_item_ends_delimit_the_records),
        cmocka_unit_test(test_streaming_falls_back_to_the_parser),
        cmocka_unit_test(test_duplicate_skus_last_wins_message),
    };
    return cmocka_run_group_tests(tests, load_config, free_config);
}
