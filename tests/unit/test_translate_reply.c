/*
 * test_translate_reply.c - translate/oci_reply.h (OCI's answers read back into per-record
 * results) and the writers' limits (translate/writer.h).
 */
#include "common/body.h"
#include "tests/support/test_support.h"
#include "translate/oci_reply.h"
#include "translate/writer.h"

#include <stdio.h>
#include <string.h>

#define RECORDS 5

typedef struct seen {
    size_t count;
    size_t index[16];
    char code[16][TR_ERROR_CODE_MAX];
    char message[16][TR_ERROR_MESSAGE_MAX];
} seen;

static void remember(void *context, size_t record_index, const char *error_code, const char *message)
{
    seen *s = context;
    s->index[s->count] = record_index;
    snprintf(s->code[s->count], TR_ERROR_CODE_MAX, "%s", error_code);
    snprintf(s->message[s->count], TR_ERROR_MESSAGE_MAX, "%s", message);
    s->count++;
}

static void make_records(tr_record records[RECORDS])
{
    static const char *const skus[RECORDS] = {"A-1", "B-2", "C-3", "D-4", "E-5"};
    for (size_t i = 0; i < RECORDS; i++) {
        memset(&records[i], 0, sizeof records[i]);
        tr_record_id(NULL, 12345, 77, i, records[i].record_id);
        records[i].sku = skus[i];
        records[i].location_id = "warehouse-1";
        records[i].on_hand_milli = (int64_t)i * 1000;
        records[i].item_index = i;
    }
}

static void test_lookup_by_id_and_sku(void **state)
{
    (void)state;
    tr_record records[RECORDS];
    make_records(records);
    tr_record_lookup lookup;
    assert_int_equal(tr_record_lookup_init(&lookup, records, RECORDS), CM_OK);
    for (size_t i = 0; i < RECORDS; i++) {
        assert_int_equal(tr_record_lookup_find(&lookup, records[i].record_id, records[i].sku), (long)i);
        assert_int_equal(tr_record_lookup_find(&lookup, records[i].record_id, NULL), (long)i);
    }
    /* The right id with another sku is not this record. */
    assert_int_equal(tr_record_lookup_find(&lookup, records[2].record_id, "A-1"), -1);
    assert_int_equal(tr_record_lookup_find(&lookup, "00000000-0000-0000-0000-000000000000", "A-1"), -1);
    assert_int_equal(tr_record_lookup_find(&lookup, NULL, "A-1"), -1);
    tr_record_lookup_free(&lookup);
}

static void test_batch_errors(void **state)
{
    (void)state;
    tr_record records[RECORDS];
    make_records(records);
    tr_record_lookup lookup;
    assert_int_equal(tr_record_lookup_init(&lookup, records, RECORDS), CM_OK);
    char body[2048];
    snprintf(body, sizeof body,
             "{\"errors\":[{\"details\":{\"externalRefId\":\"x\",\"locationId\":\"warehouse-1\",\"sku\":\"D-4\",\"id\":\"%s\"},"
             "\"message\":\"Inventory record update failed\",\"errorCode\":\"InventoryReset\"},"
             "{\"details\":{\"sku\":\"B-2\",\"id\":\"%s\"},\"message\":\"bad\",\"errorCode\":\"InvalidRequestParameter\"},"
             "{\"details\":{\"sku\":\"Z-9\",\"id\":\"%s\"},\"message\":\"other\",\"errorCode\":\"X\"},"
             "{\"message\":\"no details\"}]}",
             records[3].record_id, records[1].record_id, records[1].record_id);
    seen s = {0};
    size_t unmatched = 99;
    assert_int_equal(tr_read_batch_errors(body, strlen(body), &lookup, remember, &s, &unmatched), CM_OK);
    assert_int_equal(s.count, 2);
    assert_int_equal(s.index[0], 3);
    assert_string_equal(s.code[0], "InventoryReset");
    assert_string_equal(s.message[0], "Inventory record update failed");
    assert_int_equal(s.index[1], 1);
    assert_string_equal(s.code[1], "InvalidRequestParameter");
    assert_int_equal(unmatched, 2);

    static const char *const malformed[] = {"", "not json", "[]", "{\"errors\":{}}", "{\"records\":[]}"};
    for (size_t i = 0; i < sizeof malformed / sizeof *malformed; i++) {
        seen none = {0};
        assert_int_equal(tr_read_batch_errors(malformed[i], strlen(malformed[i]), &lookup, remember, &none,
                                              &unmatched),
                         CM_EINVAL);
        assert_int_equal(none.count, 0);
    }
    tr_record_lookup_free(&lookup);
}

static void test_import_results(void **state)
{
    (void)state;
    tr_record records[RECORDS];
    make_records(records);
    tr_record_lookup lookup;
    assert_int_equal(tr_record_lookup_init(&lookup, records, RECORDS), CM_OK);
    char file[2048];
    snprintf(file, sizeof file,
             "{\"status\":\"COMPLETED_WITH_PARTIAL_FAILURES\"}\r\n"
             "{\"recordId\":\"%s\",\"locationId\":\"warehouse-1\",\"sku\":\"E-5\",\"message\":\"'quantity' must be positive\"}\n"
             "\n"
             "{\"recordId\":\"%s\",\"locationId\":\"warehouse-1\",\"sku\":\"A-1\",\"message\":\"No location\"}\n"
             "{\"recordId\":\"unknown\",\"locationId\":\"warehouse-1\",\"sku\":\"A-1\",\"message\":\"?\"}",
             records[4].record_id, records[0].record_id);
    seen s = {0};
    size_t unmatched = 0;
    char status[TR_IMPORT_STATUS_MAX];
    assert_int_equal(tr_read_import_results(file, strlen(file), &lookup, remember, &s, &unmatched, status), CM_OK);
    assert_string_equal(status, "COMPLETED_WITH_PARTIAL_FAILURES");
    assert_int_equal(s.count, 2);
    assert_int_equal(s.index[0], 4);
    assert_string_equal(s.code[0], TR_IMPORT_LINE_ERROR_CODE);
    assert_string_equal(s.message[0], "'quantity' must be positive");
    assert_int_equal(s.index[1], 0);
    assert_int_equal(unmatched, 1);

    const char ok[] = "{\"status\":\"COMPLETED_WITHOUT_ERRORS\"}\n";
    seen none = {0};
    assert_int_equal(tr_read_import_results(ok, strlen(ok), &lookup, remember, &none, &unmatched, status), CM_OK);
    assert_string_equal(status, "COMPLETED_WITHOUT_ERRORS");
    assert_int_equal(none.count, 0);

    static const char *const malformed[] = {"", "\n\n", "{\"recordId\":\"x\"}\n", "{\"status\":\"FAILED\"}\nnot json\n"};
    for (size_t i = 0; i < sizeof malformed / sizeof *malformed; i++)
        assert_int_equal(
            tr_read_import_results(malformed[i], strlen(malformed[i]), &lookup, remember, &none, &unmatched, status),
            CM_EINVAL);
    tr_record_lookup_free(&lookup);
}

static void test_error_bodies(void **state)
{
    (void)state;
    char code[TR_ERROR_CODE_MAX], message[TR_ERROR_MESSAGE_MAX];
    const char oci[] = "{\"type\":\"about:blank\",\"errorCode\":\"LocationDoesNotExist\",\"message\":\"No such location\"}";
    tr_read_error_body(oci, strlen(oci), code, message);
    assert_string_equal(code, "LocationDoesNotExist");
    assert_string_equal(message, "No such location");
    const char gateway[] = "{\"type\":\"x\",\"title\":\"Unauthorized\",\"detail\":\"Your access token is invalid\"}";
    tr_read_error_body(gateway, strlen(gateway), code, message);
    assert_string_equal(code, "Unauthorized");
    assert_string_equal(message, "Your access token is invalid");
    const char oauth[] = "{\"error\":\"invalid_client\",\"error_description\":\"Bad secret\"}";
    tr_read_error_body(oauth, strlen(oauth), code, message);
    assert_string_equal(code, "invalid_client");
    assert_string_equal(message, "Bad secret");
    tr_read_error_body("<html>", 6, code, message);
    assert_string_equal(code, "");
    assert_string_equal(message, "");
    tr_read_error_body(NULL, 0, code, message);
    assert_string_equal(code, "");
}

static void test_writer_limits(void **state)
{
    (void)state;
    tr_record records[TR_BATCH_UPDATE_MAX_RECORDS + 1];
    for (size_t i = 0; i < TR_BATCH_UPDATE_MAX_RECORDS + 1; i++) {
        memset(&records[i], 0, sizeof records[i]);
        tr_record_id(NULL, 1, 2, i, records[i].record_id);
        records[i].sku = "SKU-1";
        records[i].location_id = "warehouse-1";
        records[i].on_hand_milli = 1500; /* 1.5: fractions are written without trailing zeros */
    }
    cm_body body;
    cm_body_init(&body, 1024 * 1024);
    assert_int_equal(tr_write_batch_update(records, 0, &body), CM_EINVAL);
    assert_int_equal(tr_write_batch_update(records, TR_BATCH_UPDATE_MAX_RECORDS + 1, &body), CM_EINVAL);
    assert_int_equal(tr_write_import_file(records, 0, &body), CM_EINVAL);
    assert_int_equal(tr_write_batch_update(records, 1, &body), CM_OK);
    assert_non_null(strstr(body.data, "\"onHand\":1.5,"));
    assert_non_null(strstr(body.data, "\"effectiveDate\":\"1970-01-01T00:00:00.000Z\""));
    cm_body_free(&body);
    /* A maximum too small is an error, never a cut file. */
    cm_body small;
    cm_body_init(&small, 100);
    assert_int_equal(tr_write_import_file(records, 2, &small), CM_ETOOBIG);
    cm_body_free(&small);
    cm_body_init(&small, 100);
    assert_int_equal(tr_write_batch_update(records, 2, &small), CM_ETOOBIG);
    cm_body_free(&small);
}

static void test_json_string_escapes(void **state)
{
    (void)state;
    cm_body body;
    cm_body_init(&body, 1024);
    assert_int_equal(tr_append_json_string(&body, "a\"b\\c\b\f\n\r\t\x01\x1f\x7f é"), CM_OK);
    assert_string_equal(body.data, "\"a\\\"b\\\\c\\b\\f\\n\\r\\t\\u0001\\u001f\x7f é\"");
    cm_body_free(&body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookup_by_id_and_sku), cmocka_unit_test(test_batch_errors),
        cmocka_unit_test(test_import_results),       cmocka_unit_test(test_error_bodies),
        cmocka_unit_test(test_writer_limits),        cmocka_unit_test(test_json_string_escapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
