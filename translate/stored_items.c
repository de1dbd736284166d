#include "translate/stored_items.h"
#include "common/json_util.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* An old row is at most one chunk of normalized items: the gateway's own depth limit applies. */
#define LEGACY_JSON_MAX_DEPTH 8
#define MAGIC_LENGTH (sizeof TR_STORED_MAGIC - 1)

/* ---- writing ---- */

/* Decimal text of `value` into `out` (at least 21 bytes); returns its length. Written by hand: the
 * gateway writes six numbers per item, and snprintf costs more than the rest of the record. */
static size_t format_int64(int64_t value, char *out)
{
    char digits[20];
    size_t count = 0, length = 0;
    uint64_t magnitude = value < 0 ? (uint64_t)0 - (uint64_t)value : (uint64_t)value;
    do {
        digits[count++] = (char)('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude);
    if (value < 0)
        out[length++] = '-';
    while (count)
        out[length++] = digits[--count];
    return length;
}

static cm_err append_int64(cm_body *out, int64_t value)
{
    char text[24];
    return cm_body_append(out, text, format_int64(value, text));
}

/* " -" for an absent string, else " <length>:<bytes>". */
static cm_err append_string_field(cm_body *out, const char *text, size_t length)
{
    if (!text)
        return cm_body_append(out, " -", 2);
    char prefix[24];
    prefix[0] = ' ';
    size_t prefix_length = 1 + format_int64((int64_t)length, prefix + 1);
    prefix[prefix_length++] = ':';
    cm_err rc = cm_body_append(out, prefix, prefix_length);
    return rc ? rc : cm_body_append(out, text, length);
}

/* The record's own fields of a normalized item, found in one pass over its members. */
typedef struct item_fields {
    json_object *ids[3]; /* sku, partNumber, upc */
    json_object *quantity, *safety_stock, *floor;
} item_fields;

/* Which record field `key` is (its slot in item_fields), or NULL for a kept field. */
static json_object **field_slot(item_fields *fields, const char *key)
{
    switch (key[0]) {
    case 's':
        if (strcmp(key, "sku") == 0)
            return &fields->ids[0];
        if (strcmp(key, "safetyStock") == 0)
            return &fields->safety_stock;
        return NULL;
    case 'p': return strcmp(key, "partNumber") == 0 ? &fields->ids[1] : NULL;
    case 'u': return strcmp(key, "upc") == 0 ? &fields->ids[2] : NULL;
    case 'q': return strcmp(key, "quantity") == 0 ? &fields->quantity : NULL;
    case 'f': return strcmp(key, "floor") == 0 ? &fields->floor : NULL;
    default: return NULL;
    }
}

/* An identifier: absent, or a string without NUL. */
static cm_err identifier(json_object *value, const char **text, size_t *length)
{
    *text = NULL;
    *length = 0;
    if (!value)
        return CM_OK;
    if (!json_object_is_type(value, json_type_string))
        return CM_EINVAL;
    *text = json_object_get_string(value);
    *length = (size_t)json_object_get_string_len(value);
    return memchr(*text, '\0', *length) ? CM_EINVAL : CM_OK;
}

/* An optional integer field of the tree: absent, or a JSON integer. */
static cm_err optional_integer(json_object *value, int *present, int64_t *number)
{
    *present = value != NULL;
    *number = 0;
    if (!value)
        return CM_OK;
    if (!json_object_is_type(value, json_type_int))
        return CM_EINVAL;
    *number = json_object_get_int64(value);
    return CM_OK;
}

cm_err tr_stored_kept_int(cm_body *kept, const char *key, int64_t value)
{
    cm_err rc = kept->length ? cm_body_append(kept, ",", 1) : CM_OK;
    if (!rc)
        rc = cm_json_append_string(kept, key, strlen(key));
    if (!rc)
        rc = cm_body_append(kept, ":", 1);
    return rc ? rc : append_int64(kept, value);
}

cm_err tr_stored_kept_value(cm_body *kept, const char *key, json_object *value)
{
    /* Integers and strings, most of what is kept, are written here; json-c writes the rest (its
     * printing allocates a buffer per value). */
    if (json_object_is_type(value, json_type_int))
        return tr_stored_kept_int(kept, key, json_object_get_int64(value));
    cm_err rc = kept->length ? cm_body_append(kept, ",", 1) : CM_OK;
    if (!rc)
        rc = cm_json_append_string(kept, key, strlen(key));
    if (!rc)
        rc = cm_body_append(kept, ":", 1);
    if (rc)
        return rc;
    if (json_object_is_type(value, json_type_string))
        return cm_json_append_string(kept, json_object_get_string(value), (size_t)json_object_get_string_len(value));
    size_t length = 0;
    const char *text =
        json_object_to_json_string_length(value, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &length);
    return text ? cm_body_append(kept, text, length) : CM_ENOMEM;
}

/* " <number>", or " -" when absent. */
static cm_err append_optional_int64(cm_body *out, int present, int64_t value)
{
    if (!present)
        return cm_body_append(out, " -", 2);
    cm_err rc = cm_body_append(out, " ", 1);
    return rc ? rc : append_int64(out, value);
}

cm_err tr_stored_append_record(cm_body *out, const tr_stored_fields *fields)
{
    for (int i = 0; i < 3; i++)
        if (fields->ids[i] && memchr(fields->ids[i], '\0', fields->id_lengths[i]))
            return CM_EINVAL;
    size_t mark = out->length;
    cm_err rc = append_int64(out, fields->quantity);
    if (!rc)
        rc = append_optional_int64(out, fields->has_safety_stock, fields->safety_stock);
    if (!rc)
        rc = append_optional_int64(out, fields->has_floor, fields->floor);
    for (int i = 0; !rc && i < 3; i++)
        rc = append_string_field(out, fields->ids[i], fields->id_lengths[i]);
    if (!rc)
        rc = append_string_field(out, fields->kept_length ? fields->kept : "", fields->kept_length);
    if (!rc)
        rc = cm_body_append(out, "\n", 1);
    if (rc) {
        out->length = mark;
        if (out->data)
            out->data[mark] = '\0';
    }
    return rc;
}

cm_err tr_stored_append_json(cm_body *out, const json_object *normalized)
{
    if (!json_object_is_type(normalized, json_type_object))
        return CM_EINVAL;
    item_fields found = {{NULL, NULL, NULL}, NULL, NULL, NULL};
    cm_body kept;
    cm_body_init(&kept, out->max_bytes);
    cm_err rc = CM_OK;
    /* The kept members: every key but the record's own fields, then floor and safetyStock (they
     * reach OCI only combined, so the inquiry routes read them back from here). */
    json_object_object_foreach((json_object *)normalized, key, value)
    {
        json_object **slot = field_slot(&found, key);
        if (slot)
            *slot = value;
        else if (!rc)
            rc = tr_stored_kept_value(&kept, key, value);
    }
    tr_stored_fields fields;
    memset(&fields, 0, sizeof fields);
    if (!rc)
        rc = optional_integer(found.floor, &fields.has_floor, &fields.floor);
    if (!rc)
        rc = optional_integer(found.safety_stock, &fields.has_safety_stock, &fields.safety_stock);
    if (!rc && fields.has_floor)
        rc = tr_stored_kept_int(&kept, "floor", fields.floor);
    if (!rc && fields.has_safety_stock)
        rc = tr_stored_kept_int(&kept, "safetyStock", fields.safety_stock);
    for (int i = 0; !rc && i < 3; i++)
        rc = identifier(found.ids[i], &fields.ids[i], &fields.id_lengths[i]);
    if (!rc)
        rc = found.quantity && json_object_is_type(found.quantity, json_type_int) ? CM_OK : CM_EINVAL;
    if (!rc) {
        fields.quantity = json_object_get_int64(found.quantity);
        fields.kept = kept.data;
        fields.kept_length = kept.length;
        rc = tr_stored_append_record(out, &fields);
    }
    cm_body_free(&kept);
    return rc;
}

cm_err tr_stored_append_header(cm_body *out, size_t count)
{
    cm_err rc = cm_body_append(out, TR_STORED_MAGIC " ", sizeof TR_STORED_MAGIC " " - 1);
    if (!rc)
        rc = append_int64(out, (int64_t)count);
    return rc ? rc : cm_body_append(out, "\n", 1);
}

int tr_stored_is_current(const char *text, size_t length)
{
    return length > MAGIC_LENGTH && memcmp(text, TR_STORED_MAGIC, MAGIC_LENGTH) == 0 && text[MAGIC_LENGTH] == ' ';
}

/* ---- checking the kept members without building a tree ---- */

/* The kept members are written by the gateway, but a row is read back from a database: they are
 * checked here (a few instructions a byte, no allocation in the common case), so that a damaged
 * row is refused as corrupt instead of reaching the extras store or an inquiry answer. What the
 * worker builds from them must parse as the gateway's own JSON (cm_json_parse): the grammar, no
 * number that overflows a double, no key twice in one object, and none of the record's own
 * identifier or quantity keys (the extras add the identifiers back). The grammar pass decides the
 * common row alone; a row with a nested object, an escaped key or a number that may overflow
 * (all rare in inventory data) is decided by parsing it. */
#define KEPT_MAX_DEPTH 8
#define KEPT_FAST_KEYS 32

static int skip_json_value(const char **p, const char *end, int depth, int *unusual);

static int skip_json_string(const char **p, const char *end)
{
    const char *s = *p;
    if (s >= end || *s != '"')
        return -1;
    for (s++; s < end; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"') {
            *p = s + 1;
            return 0;
        }
        if (c < 0x20)
            return -1;
        if (c == '\\') {
            if (++s >= end)
                return -1;
            if (*s == 'u') {
                for (int i = 0; i < 4; i++)
                    if (++s >= end || !((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') || (*s >= 'A' && *s <= 'F')))
                        return -1;
            } else if (!strchr("\"\\/bfnrt", *s) || *s == '\0') {
                return -1;
            }
        }
    }
    return -1;
}

static int skip_digits(const char **p, const char *end)
{
    const char *start = *p;
    while (*p < end && **p >= '0' && **p <= '9')
        (*p)++;
    return *p > start ? 0 : -1;
}

/* Sets *unusual for a number with an exponent or more than 300 characters: only those can
 * overflow a double, which the gateway's parser refuses. */
static int skip_json_number(const char **p, const char *end, int *unusual)
{
    const char *start = *p;
    if (*p < end && **p == '-')
        (*p)++;
    if (*p < end && **p == '0')
        (*p)++;
    else if (skip_digits(p, end) != 0)
        return -1;
    if (*p < end && **p == '.') {
        (*p)++;
        if (skip_digits(p, end) != 0)
            return -1;
    }
    if (*p < end && (**p == 'e' || **p == 'E')) {
        *unusual = 1;
        (*p)++;
        if (*p < end && (**p == '+' || **p == '-'))
            (*p)++;
        if (skip_digits(p, end) != 0)
            return -1;
    }
    if (*p - start > 300)
        *unusual = 1;
    return 0;
}

static int skip_literal(const char **p, const char *end, const char *word)
{
    size_t length = strlen(word);
    if ((size_t)(end - *p) < length || memcmp(*p, word, length) != 0)
        return -1;
    *p += length;
    return 0;
}

/* `pair`: members of an object (key ':' value), else elements of an array, up to `close`. */
static int skip_json_list(const char **p, const char *end, int depth, int pair, char close, int *unusual)
{
    if (*p < end && **p == close) {
        (*p)++;
        return 0;
    }
    for (;;) {
        if (pair && (skip_json_string(p, end) != 0 || *p >= end || *(*p)++ != ':'))
            return -1;
        if (skip_json_value(p, end, depth, unusual) != 0 || *p >= end)
            return -1;
        char c = *(*p)++;
        if (c == close)
            return 0;
        if (c != ',')
            return -1;
    }
}

static int skip_json_value(const char **p, const char *end, int depth, int *unusual)
{
    if (*p >= end || depth > KEPT_MAX_DEPTH)
        return -1;
    switch (**p) {
    case '"': return skip_json_string(p, end);
    case '{': /* its keys are not compared here */
        *unusual = 1;
        (*p)++;
        return skip_json_list(p, end, depth + 1, 1, '}', unusual);
    case '[': (*p)++; return skip_json_list(p, end, depth + 1, 0, ']', unusual);
    case 't': return skip_literal(p, end, "true");
    case 'f': return skip_literal(p, end, "false");
    case 'n': return skip_literal(p, end, "null");
    default: return skip_json_number(p, end, unusual);
    }
}

/* 1 for a key the record holds itself: kept beside it, it would be a duplicate in the extras or
 * in the item read back. */
static int is_record_key(const char *key, size_t length)
{
    static const char *const names[] = {"sku", "partNumber", "upc", "quantity"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i]) == length && memcmp(names[i], key, length) == 0)
            return 1;
    return 0;
}

/* The unusual row: parsed as an object, so that duplicates and escaped keys are judged by the
 * same parser that reads the extras. */
static int kept_is_valid_by_parsing(const char *text, size_t length)
{
    cm_body wrapped;
    cm_body_init(&wrapped, SIZE_MAX);
    cm_err rc = cm_body_append(&wrapped, "{", 1);
    if (!rc)
        rc = cm_body_append(&wrapped, text, length);
    if (!rc)
        rc = cm_body_append(&wrapped, "}", 1);
    json_object *object = NULL;
    char parse_error[CM_JSON_ERROR_MAX];
    int valid = !rc && cm_json_parse(wrapped.data, wrapped.length, 2 * KEPT_MAX_DEPTH, &object, parse_error) == CM_OK &&
                json_object_is_type(object, json_type_object);
    if (valid) {
        json_object_object_foreach(object, key, value)
        {
            (void)value;
            if (is_record_key(key, strlen(key)))
                valid = 0;
        }
    }
    json_object_put(object);
    cm_body_free(&wrapped);
    return valid;
}

/* 1 when `text` is empty or JSON object members (what json-c writes: no white space needed)
 * that the gateway's parser reads back as the same members. */
static int kept_is_valid(const char *text, size_t length)
{
    if (length == 0)
        return 1;
    const char *p = text, *end = text + length;
    const char *keys[KEPT_FAST_KEYS];
    size_t key_lengths[KEPT_FAST_KEYS];
    size_t key_count = 0;
    int unusual = 0;
    for (;;) {
        const char *key = p;
        if (skip_json_string(&p, end) != 0 || p >= end || *p++ != ':')
            return 0;
        /* The key without its quotes. */
        size_t key_length = (size_t)(p - key) - 3;
        key++;
        if (memchr(key, '\\', key_length) || key_count == KEPT_FAST_KEYS)
            unusual = 1;
        else {
            if (is_record_key(key, key_length))
                return 0;
            for (size_t k = 0; k < key_count; k++)
                if (key_lengths[k] == key_length && memcmp(keys[k], key, key_length) == 0)
                    return 0;
            keys[key_count] = key;
            key_lengths[key_count++] = key_length;
        }
        if (skip_json_value(&p, end, 1, &unusual) != 0)
            return 0;
        if (p == end)
            return unusual ? kept_is_valid_by_parsing(text, length) : 1;
        if (*p++ != ',')
            return 0;
    }
}

/* ---- reading ---- */

/* A decimal int64 at *p ending at `stop`; advances *p past it. */
static int read_number(char **p, char *end, char stop, int64_t *out)
{
    char *s = *p;
    int negative = s < end && *s == '-';
    if (negative)
        s++;
    if (s >= end || *s < '0' || *s > '9')
        return -1;
    uint64_t value = 0;
    for (; s < end && *s >= '0' && *s <= '9'; s++) {
        if (value > (uint64_t)INT64_MAX / 10)
            return -1;
        value = value * 10 + (uint64_t)(*s - '0');
    }
    if (s >= end || *s != stop || value > (uint64_t)INT64_MAX)
        return -1;
    *out = negative ? -(int64_t)value : (int64_t)value;
    *p = s + 1;
    return 0;
}

/* An optional number ("-" when absent) followed by a space. */
static int read_optional(char **p, char *end, int *has, int64_t *out)
{
    if (*p + 1 < end && (*p)[0] == '-' && (*p)[1] == ' ') {
        *has = 0;
        *out = 0;
        *p += 2;
        return 0;
    }
    *has = 1;
    return read_number(p, end, ' ', out);
}

/* A string field ("-" or <length>:<bytes>) followed by `stop`, which becomes its NUL. */
static int read_string(char **p, char *end, char stop, const char **out, size_t *length)
{
    if (*p + 1 < end && (*p)[0] == '-' && (*p)[1] == stop) {
        *out = NULL;
        *length = 0;
        (*p)[1] = '\0';
        *p += 2;
        return 0;
    }
    int64_t bytes = 0;
    if (read_number(p, end, ':', &bytes) != 0 || bytes < 0 || bytes >= end - *p || (*p)[bytes] != stop ||
        memchr(*p, '\0', (size_t)bytes))
        return -1;
    *out = *p;
    *length = (size_t)bytes;
    (*p)[bytes] = '\0';
    *p += bytes + 1;
    return 0;
}

cm_err tr_stored_open(tr_stored_reader *reader, char *text, size_t length)
{
    memset(reader, 0, sizeof *reader);
    /* The gateway stores only text json-c accepted; a row that is not UTF-8 was damaged after,
     * and its identifiers and kept fields would reach OCI as JSON strings. */
    if (!tr_stored_is_current(text, length) || !cm_utf8_valid(text, length))
        return CM_EINVAL;
    char *p = text + MAGIC_LENGTH + 1;
    int64_t count = 0;
    if (read_number(&p, text + length, '\n', &count) != 0 || count < 0)
        return CM_EINVAL;
    reader->next = p;
    reader->end = text + length;
    reader->count = (size_t)count;
    return CM_OK;
}

cm_err tr_stored_next(tr_stored_reader *reader, tr_stored_item *out)
{
    memset(out, 0, sizeof *out);
    if (reader->read == reader->count)
        return reader->next == reader->end ? CM_ENOTFOUND : CM_EINVAL;
    char *p = reader->next, *end = reader->end;
    tr_legacy_item *item = &out->item;
    size_t ignored;
    if (p + 1 < end && p[0] == '!' && p[1] == '\n') {
        out->malformed = 1;
        out->kept = "";
        p += 2;
    } else if (read_number(&p, end, ' ', &item->quantity) != 0 ||
               read_optional(&p, end, &item->has_safety_stock, &item->safety_stock) != 0 ||
               read_optional(&p, end, &item->has_floor, &item->floor) != 0 ||
               read_string(&p, end, ' ', &item->sku, &ignored) != 0 ||
               read_string(&p, end, ' ', &item->part_number, &ignored) != 0 ||
               read_string(&p, end, ' ', &item->upc, &ignored) != 0 ||
               read_string(&p, end, '\n', &out->kept, &out->kept_length) != 0 || !out->kept ||
               !kept_is_valid(out->kept, out->kept_length)) {
        return CM_EINVAL;
    }
    reader->next = p;
    reader->read++;
    return CM_OK;
}

cm_err tr_stored_from_legacy_json(const char *text, size_t length, cm_body *out)
{
    json_object *items = NULL;
    char parse_error[CM_JSON_ERROR_MAX];
    cm_err rc = cm_json_parse(text, length, LEGACY_JSON_MAX_DEPTH, &items, parse_error);
    if (rc || !json_object_is_type(items, json_type_array)) {
        json_object_put(items);
        return rc == CM_ENOMEM ? CM_ENOMEM : CM_EINVAL;
    }
    size_t count = json_object_array_length(items);
    rc = tr_stored_append_header(out, count);
    for (size_t i = 0; !rc && i < count; i++) {
        rc = tr_stored_append_json(out, json_object_array_get_idx(items, i));
        if (rc == CM_EINVAL)
            rc = cm_body_append(out, "!\n", 2);
    }
    json_object_put(items);
    return rc;
}

/* ---- what the worker keeps, and the normalized item back ---- */

static cm_err append_identifier_member(cm_body *out, int *first, const char *key, const char *value)
{
    if (!value || !*value)
        return CM_OK;
    cm_err rc = *first ? CM_OK : cm_body_append(out, ",", 1);
    *first = 0;
    if (!rc)
        rc = cm_json_append_string(out, key, strlen(key));
    if (!rc)
        rc = cm_body_append(out, ":", 1);
    return rc ? rc : cm_json_append_string(out, value, strlen(value));
}

cm_err tr_stored_extras(const tr_stored_item *stored, const char *used, cm_body *out, int *appended)
{
    const tr_legacy_item *item = &stored->item;
    *appended = 0;
    int nothing = stored->kept_length == 0;
    const char *ids[] = {item->sku, item->part_number, item->upc};
    for (int i = 0; i < 3; i++)
        if (ids[i] && *ids[i] && ids[i] != used)
            nothing = 0;
    if (nothing)
        return CM_OK;
    size_t mark = out->length;
    int first = 1;
    cm_err rc = cm_body_append(out, "{", 1);
    if (!rc && item->sku != used)
        rc = append_identifier_member(out, &first, "sku", item->sku);
    if (!rc && item->part_number != used)
        rc = append_identifier_member(out, &first, "partNumber", item->part_number);
    if (!rc && item->upc != used)
        rc = append_identifier_member(out, &first, "upc", item->upc);
    if (!rc && stored->kept_length && !first)
        rc = cm_body_append(out, ",", 1);
    if (!rc)
        rc = cm_body_append(out, stored->kept, stored->kept_length);
    if (!rc)
        rc = cm_body_append(out, "}", 2); /* with the NUL after it */
    if (rc)
        out->length = mark;
    else
        *appended = 1;
    return rc;
}

json_object *tr_stored_item_json(const tr_stored_item *stored)
{
    if (stored->malformed)
        return NULL;
    const tr_legacy_item *item = &stored->item;
    cm_body text;
    cm_body_init(&text, SIZE_MAX);
    int first = 1;
    cm_err rc = cm_body_append(&text, "{", 1);
    if (!rc)
        rc = append_identifier_member(&text, &first, "sku", item->sku);
    if (!rc)
        rc = append_identifier_member(&text, &first, "partNumber", item->part_number);
    if (!rc)
        rc = append_identifier_member(&text, &first, "upc", item->upc);
    if (!rc)
        rc = cm_body_appendf(&text, "%s\"quantity\":%" PRId64, first ? "" : ",", item->quantity);
    if (!rc && stored->kept_length)
        rc = cm_body_append(&text, ",", 1);
    if (!rc)
        rc = cm_body_append(&text, stored->kept, stored->kept_length);
    if (!rc)
        rc = cm_body_append(&text, "}", 1);
    json_object *object = NULL;
    char parse_error[CM_JSON_ERROR_MAX];
    if (!rc && cm_json_parse(text.data, text.length, LEGACY_JSON_MAX_DEPTH, &object, parse_error) != CM_OK)
        object = NULL;
    cm_body_free(&text);
    return object;
}
