#include "oci_core/import_parser.h"

#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "common/json_util.h"
#include "oci_core/ids.h"

void oci_import_parser_init(oci_import_parser *parser)
{
    memset(parser, 0, sizeof *parser);
}

static void fail(oci_import_line *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(oci_import_line *out, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    vsnprintf(out->message, sizeof out->message, fmt, args);
    va_end(args);
    out->kind = OCI_LINE_ERROR;
}

/* Copies a best-effort id for the result file (cut to fit; only for reporting). */
static void keep(char *dst, size_t size, const json_object *obj, const char *key)
{
    const char *text = NULL;
    if (cm_json_string(obj, key, &text) == CM_JSON_OK)
        snprintf(dst, size, "%s", text);
}

static int blank(const char *text, size_t length)
{
    for (size_t i = 0; i < length; i++)
        if (text[i] != ' ' && text[i] != '\t' && text[i] != '\r')
            return 0;
    return 1;
}

/* Reads a quantity member: returns 1 when set, 0 when absent, -1 on error (message written). */
static int read_quantity(const json_object *obj, const char *key, int positive, int64_t *out,
                         oci_import_line *line)
{
    json_object *value;
    if (!json_object_object_get_ex(obj, key, &value))
        return 0;
    if (cm_json_value_milli(value, 0, out) != CM_JSON_OK) {
        fail(line, "'%s' must be a number with at most 3 decimals", key);
        return -1;
    }
    if (positive ? *out <= 0 : *out < 0) {
        fail(line, positive ? "'%s' quantity must be a positive value" : "'%s' must not be negative", key);
        return -1;
    }
    return 1;
}

static int read_date(const json_object *obj, const char *key, int64_t *out, oci_import_line *line)
{
    json_object *value;
    if (!json_object_object_get_ex(obj, key, &value))
        return 0;
    if (!json_object_is_type(value, json_type_string) ||
        cm_time_parse(json_object_get_string(value), out) != 0) {
        fail(line, "'%s' must be an RFC 3339 date-time", key);
        return -1;
    }
    return 1;
}

static void read_header(oci_import_parser *parser, const json_object *obj, oci_import_line *out)
{
    const char *mode = NULL, *location = NULL;
    const char *key = json_object_object_get_ex(obj, "location", NULL) ? "location" : "locationId";
    out->is_header = 1;
    keep(out->location_id, sizeof out->location_id, obj, key);
    if (parser->layout == OCI_LAYOUT_HIGH_PERFORMANCE) {
        fail(out, "a location header cannot follow high-performance records (layouts cannot be mixed)");
        return;
    }
    parser->layout = OCI_LAYOUT_LEGACY;
    parser->has_location = 0;
    if (cm_json_string(obj, key, &location) != CM_JSON_OK || !oci_valid_location_id(location)) {
        fail(out, "'location' must be a location id (2..128 of a-z A-Z 0-9 - _)");
        return;
    }
    if (cm_json_string(obj, "mode", &mode) != CM_JSON_OK || strcmp(mode, "UPDATE") != 0) {
        fail(out, "'mode' must be UPDATE, the only mode supported");
        return;
    }
    snprintf(parser->location, sizeof parser->location, "%s", location);
    parser->has_location = 1;
    out->kind = OCI_LINE_HEADER;
}

static void read_futures(const json_object *obj, oci_import_line *out)
{
    json_object *futures;
    if (!json_object_object_get_ex(obj, "futures", &futures))
        return;
    if (!json_object_is_type(futures, json_type_array)) {
        fail(out, "'futures' must be an array of {quantity, expectedDate}");
        return;
    }
    size_t count = json_object_array_length(futures);
    if (count > OCI_MAX_FUTURES) {
        fail(out, "'futures' has %zu entries; at most %d are allowed", count, OCI_MAX_FUTURES);
        return;
    }
    oci_record_update *record = &out->record;
    for (size_t i = 0; i < count; i++) {
        json_object *future = json_object_array_get_idx(futures, i);
        if (!json_object_is_type(future, json_type_object)) {
            fail(out, "'futures[%zu]' must be an object {quantity, expectedDate}", i);
            return;
        }
        int64_t quantity = 0, expected = 0;
        int rc = read_quantity(future, "quantity", 1, &quantity, out);
        if (rc < 0)
            return;
        if (rc == 0) {
            fail(out, "'futures[%zu].quantity' is missing", i);
            return;
        }
        rc = read_date(future, "expectedDate", &expected, out);
        if (rc < 0)
            return;
        if (rc == 0) {
            fail(out, "'futures[%zu].expectedDate' is missing", i);
            return;
        }
        record->futures[i].quantity_milli = quantity;
        record->futures[i].expected_ms = expected;
    }
    record->has_futures = 1;
    record->future_count = count;
}

static void read_record(oci_import_parser *parser, const json_object *obj, oci_import_line *out)
{
    oci_record_update *record = &out->record;
    keep(out->record_id, sizeof out->record_id, obj, "recordId");
    keep(out->sku, sizeof out->sku, obj, "sku");
    if (json_object_object_get_ex(obj, "locationId", NULL)) {
        keep(out->location_id, sizeof out->location_id, obj, "locationId");
        if (parser->layout == OCI_LAYOUT_LEGACY) {
            fail(out, "'locationId' on a record of a legacy file (layouts cannot be mixed)");
            return;
        }
        parser->layout = OCI_LAYOUT_HIGH_PERFORMANCE;
        const char *location = NULL;
        if (cm_json_string(obj, "locationId", &location) != CM_JSON_OK || !oci_valid_location_id(location)) {
            fail(out, "'locationId' must be a location id (2..128 of a-z A-Z 0-9 - _)");
            return;
        }
    } else if (parser->layout == OCI_LAYOUT_LEGACY && parser->has_location) {
        snprintf(out->location_id, sizeof out->location_id, "%s", parser->location);
    } else if (parser->layout == OCI_LAYOUT_LEGACY) {
        fail(out, "the location header before this record is invalid");
        return;
    } else {
        fail(out, "'locationId' is missing and no location header precedes the record");
        return;
    }
    const char *text = NULL;
    if (cm_json_string(obj, "recordId", &text) != CM_JSON_OK || !oci_valid_record_id(text)) {
        fail(out, "'recordId' is required: a string of 1..128 characters");
        return;
    }
    if (cm_json_string(obj, "sku", &text) != CM_JSON_OK || !oci_valid_sku(text)) {
        fail(out, "'sku' is required: 2..250 characters without \\ < > ; %% / or spaces");
        return;
    }
    int rc = read_quantity(obj, "onHand", 0, &record->on_hand_milli, out);
    if (rc < 0)
        return;
    record->has_on_hand = rc;
    rc = read_quantity(obj, "safetyStockCount", 0, &record->safety_stock_milli, out);
    if (rc < 0)
        return;
    record->has_safety_stock = rc;
    rc = read_date(obj, "effectiveDate", &record->effective_ms, out);
    if (rc < 0)
        return;
    record->has_effective_date = rc;
    read_futures(obj, out);
    if (out->kind == OCI_LINE_ERROR)
        return;
    record->record_id = out->record_id;
    record->location_id = out->location_id;
    record->sku = out->sku;
    out->kind = OCI_LINE_RECORD;
}

void oci_import_parse_line(oci_import_parser *parser, const char *text, size_t length,
                           oci_import_line *out)
{
    memset(out, 0, sizeof *out);
    size_t content = length && text[length - 1] == '\r' ? length - 1 : length;
    if (!blank(text, content) && oci_import_parse_fast(parser, text, content, out)) {
        parser->layout = OCI_LAYOUT_HIGH_PERFORMANCE;
        return;
    }
    oci_import_parse_line_json(parser, text, length, out);
}

void oci_import_parse_line_json(oci_import_parser *parser, const char *text, size_t length, oci_import_line *out)
{
    memset(out, 0, sizeof *out);
    if (length && text[length - 1] == '\r')
        length--;
    if (blank(text, length)) {
        out->kind = OCI_LINE_BLANK;
        return;
    }
    json_object *obj = NULL;
    char error[CM_JSON_ERROR_MAX];
    cm_err rc = cm_json_parse(text, length, CM_JSON_MAX_DEPTH, &obj, error);
    if (rc == CM_ENOMEM) {
        out->kind = OCI_LINE_NO_MEMORY;
        snprintf(out->message, sizeof out->message, "out of memory");
        return;
    }
    if (rc != CM_OK) {
        fail(out, "the line is not valid JSON: %s", error);
        return;
    }
    if (!json_object_is_type(obj, json_type_object)) {
        fail(out, "the line must be a JSON object");
    } else if (json_object_object_get_ex(obj, "mode", NULL) && !json_object_object_get_ex(obj, "sku", NULL)) {
        read_header(parser, obj, out);
    } else {
        read_record(parser, obj, out);
    }
    json_object_put(obj);
}
