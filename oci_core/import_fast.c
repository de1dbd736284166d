/* import_fast.c - oci_import_parse_fast (import_parser.h): the common import line read without
 * building a json-c tree.
 *
 * Why: parsing each line into json-c objects (a hash table per object, a copy per key and value)
 * cost more than applying the record. Most lines of a high-performance file are one flat object
 * of known keys with plain values; this reads those straight into the line. It accepts a line only
 * when the full parser would accept it with the same values, and leaves everything else to it:
 * escapes or non-ASCII in a string, a number that is not a plain non-negative integer, futures,
 * unknown, repeated or missing keys, a legacy file, anything invalid (the full parser then writes
 * the error message). */
#include <string.h>

#include "common/clock.h"
#include "oci_core/ids.h"
#include "oci_core/import_parser.h"

enum { K_RECORD_ID, K_SKU, K_LOCATION, K_ON_HAND, K_SAFETY, K_EFFECTIVE, K_COUNT };
static const char *const KEYS[K_COUNT] = {"recordId", "sku", "locationId", "onHand", "safetyStockCount",
                                          "effectiveDate"};

typedef struct cursor {
    const char *p, *end;
} cursor;

static void skip_space(cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
        c->p++;
}

/* A string of printable ASCII without escapes: [start, start + length). 0 when not that. */
static int plain_string(cursor *c, const char **start, size_t *length)
{
    if (c->p >= c->end || *c->p != '"')
        return 0;
    const char *s = ++c->p;
    while (c->p < c->end && *c->p != '"') {
        unsigned char ch = (unsigned char)*c->p;
        if (ch < 0x20 || ch > 0x7e || ch == '\\')
            return 0;
        c->p++;
    }
    if (c->p >= c->end)
        return 0;
    *start = s;
    *length = (size_t)(c->p - s);
    c->p++;
    return 1;
}

/* A non-negative integer of at most 12 digits without a leading zero (so far below the largest
 * quantity the full parser takes), as thousandths. 0 when the number is anything else. */
static int plain_integer(cursor *c, int64_t *milli)
{
    const char *s = c->p;
    int64_t value = 0;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
        if (c->p - s < 12) /* beyond 12 digits the number is refused below; stop before overflow */
            value = value * 10 + (*c->p - '0');
        c->p++;
    }
    size_t digits = (size_t)(c->p - s);
    if (digits == 0 || digits > 12 || (digits > 1 && *s == '0'))
        return 0;
    if (c->p < c->end && (*c->p == '.' || *c->p == 'e' || *c->p == 'E'))
        return 0;
    *milli = value * 1000;
    return 1;
}

/* Copies a string value into `out` (size includes the NUL); 0 when it does not fit. */
static int copy_text(char *out, size_t size, const char *text, size_t length)
{
    if (length + 1 > size)
        return 0;
    memcpy(out, text, length);
    out[length] = '\0';
    return 1;
}

int oci_import_parse_fast(const oci_import_parser *parser, const char *text, size_t length, oci_import_line *out)
{
    if (parser->layout == OCI_LAYOUT_LEGACY)
        return 0;
    cursor c = {text, text + length};
    skip_space(&c);
    if (c.p >= c.end || *c.p++ != '{')
        return 0;
    int seen[K_COUNT] = {0};
    char effective[64] = "";
    for (int first = 1;; first = 0) {
        skip_space(&c);
        if (c.p < c.end && *c.p == '}' && !first)
            return 0; /* only after a ',' (handled below): "{…,}" is not JSON */
        const char *key;
        size_t key_length;
        if (!plain_string(&c, &key, &key_length))
            return 0;
        int k = 0;
        while (k < K_COUNT && (strlen(KEYS[k]) != key_length || memcmp(KEYS[k], key, key_length) != 0))
            k++;
        if (k == K_COUNT || seen[k])
            return 0;
        seen[k] = 1;
        skip_space(&c);
        if (c.p >= c.end || *c.p++ != ':')
            return 0;
        skip_space(&c);
        const char *value;
        size_t value_length;
        int ok;
        switch (k) {
        case K_RECORD_ID:
            ok = plain_string(&c, &value, &value_length) &&
                 copy_text(out->record_id, sizeof out->record_id, value, value_length);
            break;
        case K_SKU:
            ok = plain_string(&c, &value, &value_length) && copy_text(out->sku, sizeof out->sku, value, value_length);
            break;
        case K_LOCATION:
            ok = plain_string(&c, &value, &value_length) &&
                 copy_text(out->location_id, sizeof out->location_id, value, value_length);
            break;
        case K_ON_HAND:
            ok = plain_integer(&c, &out->record.on_hand_milli);
            out->record.has_on_hand = 1;
            break;
        case K_SAFETY:
            ok = plain_integer(&c, &out->record.safety_stock_milli);
            out->record.has_safety_stock = 1;
            break;
        default:
            ok = plain_string(&c, &value, &value_length) && copy_text(effective, sizeof effective, value, value_length);
            break;
        }
        if (!ok)
            return 0;
        skip_space(&c);
        if (c.p < c.end && *c.p == ',') {
            c.p++;
            continue;
        }
        if (c.p < c.end && *c.p == '}') {
            c.p++;
            break;
        }
        return 0;
    }
    skip_space(&c);
    if (c.p != c.end || !seen[K_RECORD_ID] || !seen[K_SKU] || !seen[K_LOCATION])
        return 0;
    /* The full parser's checks (read_record), in its terms. */
    if (!oci_valid_location_id(out->location_id) || !oci_valid_record_id(out->record_id) || !oci_valid_sku(out->sku))
        return 0;
    if (seen[K_EFFECTIVE]) {
        if (cm_time_parse(effective, &out->record.effective_ms) != 0)
            return 0;
        out->record.has_effective_date = 1;
    }
    out->record.record_id = out->record_id;
    out->record.location_id = out->location_id;
    out->record.sku = out->sku;
    out->kind = OCI_LINE_RECORD;
    return 1;
}
