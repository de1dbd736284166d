/*
 * test_oci_record_json.c - reading the quantity fields of an availability update
 * (oci_core/record_json.h): every field present or absent, JSON null as absent (PATCH,
 * batch-update) or as an error (PUT), exact thousandths, dates, the futureStock array and its
 * limit, and for each refusal the field it names and its sentence.
 */
#include "tests/support/test_support.h"

#include <stdio.h>
#include <string.h>

#include "common/json_util.h"
#include "oci_core/record_json.h"

#define JAN_2_2026_030405 1767323045000LL /* 2026-01-02T03:04:05Z */
#define FEB_1_2026 1769904000000LL        /* 2026-02-01T00:00:00Z */

typedef struct reading {
    int rc;
    oci_record_update update;
    char field[OCI_FIELD_MAX];
    char message[OCI_MESSAGE_MAX];
} reading;

/* Reads `text` into an update whose strings are set, to show they are left alone. */
static reading read_fields(const char *text, int null_is_absent)
{
    json_object *obj = NULL;
    char parse_error[CM_JSON_ERROR_MAX];
    if (cm_json_parse(text, strlen(text), CM_JSON_MAX_DEPTH, &obj, parse_error) != CM_OK)
        fail_msg("fixture is not JSON: %s (%s)", text, parse_error);
    reading r;
    memset(&r, 0, sizeof r);
    r.update.record_id = "rec";
    r.update.location_id = "L1";
    r.update.sku = "SKU-1";
    r.rc = oci_read_update_fields(obj, null_is_absent, &r.update, r.field, r.message);
    json_object_put(obj);
    assert_string_equal(r.update.record_id, "rec");
    assert_string_equal(r.update.location_id, "L1");
    assert_string_equal(r.update.sku, "SKU-1");
    return r;
}

/* Expects `text` refused under the given null rule, with exactly `field` and `message`. */
static void expect_refused(const char *text, int null_is_absent, const char *field, const char *message)
{
    reading r = read_fields(text, null_is_absent);
    assert_int_equal(r.rc, -1);
    assert_string_equal(r.field, field);
    assert_string_equal(r.message, message);
}

static void test_every_field(void **state)
{
    (void)state;
    reading r = read_fields("{\"onHand\":10.5,\"safetyStockCount\":2,\"effectiveDate\":\"2026-01-02T03:04:05Z\","
                            "\"futureStock\":[{\"expectedDate\":\"2026-02-01T00:00:00Z\",\"quantity\":0.001},"
                            "{\"quantity\":7,\"expectedDate\":\"2026-01-02T03:04:05Z\"}]}",
                            0);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.update.has_on_hand, 1);
    assert_int_equal(r.update.on_hand_milli, 10500);
    assert_int_equal(r.update.has_safety_stock, 1);
    assert_int_equal(r.update.safety_stock_milli, 2000);
    assert_int_equal(r.update.has_effective_date, 1);
    assert_int_equal(r.update.effective_ms, JAN_2_2026_030405);
    assert_int_equal(r.update.has_futures, 1);
    assert_int_equal(r.update.future_count, 2);
    /* In the order given (merging and sorting are the apply path's job). */
    assert_int_equal(r.update.futures[0].expected_ms, FEB_1_2026);
    assert_int_equal(r.update.futures[0].quantity_milli, 1);
    assert_int_equal(r.update.futures[1].expected_ms, JAN_2_2026_030405);
    assert_int_equal(r.update.futures[1].quantity_milli, 7000);
}

static void test_absent_fields_stay_unset(void **state)
{
    (void)state;
    reading r = read_fields("{\"sku\":\"ignored\",\"other\":1}", 0);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.update.has_on_hand, 0);
    assert_int_equal(r.update.has_safety_stock, 0);
    assert_int_equal(r.update.has_effective_date, 0);
    assert_int_equal(r.update.has_futures, 0);
    assert_int_equal(r.update.future_count, 0);
    /* Zero is a value, and an empty futureStock clears the futures (has_futures with none). */
    r = read_fields("{\"onHand\":0,\"safetyStockCount\":0,\"futureStock\":[]}", 0);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.update.has_on_hand, 1);
    assert_int_equal(r.update.on_hand_milli, 0);
    assert_int_equal(r.update.has_safety_stock, 1);
    assert_int_equal(r.update.has_futures, 1);
    assert_int_equal(r.update.future_count, 0);
}

static void test_null_is_absent_or_an_error(void **state)
{
    (void)state;
    const char *all_null = "{\"onHand\":null,\"safetyStockCount\":null,\"effectiveDate\":null,\"futureStock\":null}";
    reading r = read_fields(all_null, 1);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.update.has_on_hand, 0);
    assert_int_equal(r.update.has_safety_stock, 0);
    assert_int_equal(r.update.has_effective_date, 0);
    assert_int_equal(r.update.has_futures, 0);
    /* PUT: a null is an error naming the first such member. */
    expect_refused(all_null, 0, "onHand", "'onHand' must not be null.");
    expect_refused("{\"onHand\":1,\"safetyStockCount\":null}", 0, "safetyStockCount",
                   "'safetyStockCount' must not be null.");
    expect_refused("{\"effectiveDate\":null}", 0, "effectiveDate", "'effectiveDate' must not be null.");
    expect_refused("{\"futureStock\":null}", 0, "futureStock", "'futureStock' must not be null.");
    /* Inside a future, members are always required, whatever the rule for the record. */
    expect_refused("{\"futureStock\":[{\"quantity\":null,\"expectedDate\":\"2026-02-01T00:00:00Z\"}]}", 1,
                   "futureStock[0].quantity", "'quantity' must not be null.");
}

static void test_quantities_must_be_exact_and_not_negative(void **state)
{
    (void)state;
    const char *on_hand = "'onHand' must be a number of 0 or more with at most 3 decimals.";
    expect_refused("{\"onHand\":-1}", 1, "onHand", on_hand);
    expect_refused("{\"onHand\":-0.001}", 1, "onHand", on_hand);
    expect_refused("{\"onHand\":1.2345}", 1, "onHand", on_hand);
    expect_refused("{\"onHand\":\"5\"}", 1, "onHand", on_hand); /* strings are not numbers here */
    expect_refused("{\"onHand\":true}", 1, "onHand", on_hand);
    expect_refused("{\"onHand\":[1]}", 1, "onHand", on_hand);
    expect_refused("{\"onHand\":1,\"safetyStockCount\":-2}", 1, "safetyStockCount",
                   "'safetyStockCount' must be a number of 0 or more with at most 3 decimals.");
    reading r = read_fields("{\"onHand\":1.250,\"safetyStockCount\":0.999}", 1);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.update.on_hand_milli, 1250);
    assert_int_equal(r.update.safety_stock_milli, 999);
}

static void test_dates_must_be_rfc3339(void **state)
{
    (void)state;
    const char *message = "'effectiveDate' must be an RFC 3339 date-time.";
    expect_refused("{\"effectiveDate\":1767323045000}", 1, "effectiveDate", message);
    expect_refused("{\"effectiveDate\":\"yesterday\"}", 1, "effectiveDate", message);
    expect_refused("{\"effectiveDate\":\"2026-13-01T00:00:00Z\"}", 1, "effectiveDate", message);
    expect_refused("{\"effectiveDate\":\"\"}", 1, "effectiveDate", message);
    /* The earlier fields were read before the refusal; the caller discards the update anyway. */
    reading r = read_fields("{\"onHand\":3,\"effectiveDate\":\"no\"}", 1);
    assert_int_equal(r.rc, -1);
    assert_string_equal(r.field, "effectiveDate");
}

static void test_future_stock_array_and_limit(void **state)
{
    (void)state;
    char text[4096];
    const char *array_message = "'futureStock' must be an array of at most 32 {expectedDate, quantity}.";
    expect_refused("{\"futureStock\":{}}", 1, "futureStock", array_message);
    expect_refused("{\"futureStock\":\"soon\"}", 1, "futureStock", array_message);

    /* Exactly OCI_MAX_FUTURES entries are read; one more is refused. */
    size_t used = (size_t)snprintf(text, sizeof text, "{\"futureStock\":[");
    for (int i = 0; i < OCI_MAX_FUTURES; i++)
        used += (size_t)snprintf(text + used, sizeof text - used, "%s{\"expectedDate\":\"2026-02-%02dT00:00:00Z\","
                                 "\"quantity\":%d}", i ? "," : "", i % 28 + 1, i + 1);
    snprintf(text + used, sizeof text - used, "]}");
    reading r = read_fields(text, 1);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.update.future_count, OCI_MAX_FUTURES);
    assert_int_equal(r.update.futures[0].expected_ms, FEB_1_2026);
    assert_int_equal(r.update.futures[OCI_MAX_FUTURES - 1].quantity_milli, OCI_MAX_FUTURES * 1000);
    snprintf(text + used, sizeof text - used, ",{\"expectedDate\":\"2026-02-01T00:00:00Z\",\"quantity\":1}]}");
    expect_refused(text, 1, "futureStock", array_message);
}

static void test_each_future_is_checked(void **state)
{
    (void)state;
    expect_refused("{\"futureStock\":[{\"expectedDate\":\"2026-02-01T00:00:00Z\",\"quantity\":1},7]}", 1,
                   "futureStock[1]", "'futureStock[1]' must be an object {expectedDate, quantity}.");
    expect_refused("{\"futureStock\":[{\"expectedDate\":\"2026-02-01T00:00:00Z\"}]}", 1, "futureStock[0].quantity",
                   "'futureStock[0].quantity' is required.");
    expect_refused("{\"futureStock\":[{\"quantity\":1}]}", 1, "futureStock[0].expectedDate",
                   "'futureStock[0].expectedDate' is required.");
    /* A missing quantity is named before a missing date. */
    expect_refused("{\"futureStock\":[{}]}", 1, "futureStock[0].quantity", "'futureStock[0].quantity' is required.");
    /* A future's quantity must be above 0 (the record's may be 0). */
    expect_refused("{\"futureStock\":[{\"expectedDate\":\"2026-02-01T00:00:00Z\",\"quantity\":0}]}", 1,
                   "futureStock[0].quantity", "'quantity' must be a number above 0 with at most 3 decimals.");
    expect_refused("{\"futureStock\":[{\"expectedDate\":\"2026-02-01T00:00:00Z\",\"quantity\":1.0001}]}", 1,
                   "futureStock[0].quantity", "'quantity' must be a number above 0 with at most 3 decimals.");
    expect_refused("{\"futureStock\":[{\"expectedDate\":\"soon\",\"quantity\":1}]}", 1, "futureStock[0].expectedDate",
                   "'expectedDate' must be an RFC 3339 date-time.");
    /* A refused future leaves has_futures unset. */
    reading r = read_fields("{\"futureStock\":[{\"quantity\":1}]}", 1);
    assert_int_equal(r.rc, -1);
    assert_int_equal(r.update.has_futures, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_field),
        cmocka_unit_test(test_absent_fields_stay_unset),
        cmocka_unit_test(test_null_is_absent_or_an_error),
        cmocka_unit_test(test_quantities_must_be_exact_and_not_negative),
        cmocka_unit_test(test_dates_must_be_rfc3339),
        cmocka_unit_test(test_future_stock_array_and_limit),
        cmocka_unit_test(test_each_future_is_checked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
