#include "translate/item.h"
#include "common/json_util.h"
#include "common/digest.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

const char *tr_choose_sku(const tr_legacy_item *item, const cm_identifier *order, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        const char *candidate = order[i] == CM_ID_SKU           ? item->sku
                                : order[i] == CM_ID_PART_NUMBER ? item->part_number
                                                                : item->upc;
        if (candidate && *candidate)
            return candidate;
    }
    return NULL;
}

/* OCI counts characters, not bytes: count the UTF-8 sequences (bytes that are not continuation
 * bytes). Validation upstream guarantees well-formed UTF-8. */
static size_t utf8_length(const char *text)
{
    size_t characters = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        characters += (*p & 0xc0) != 0x80;
    return characters;
}

int tr_sku_is_valid(const char *sku, char why[TR_WHY_MAX])
{
    size_t length = utf8_length(sku);
    if (length < TR_SKU_MIN_LENGTH || length > TR_SKU_MAX_LENGTH) {
        snprintf(why, TR_WHY_MAX, "an OCI sku must be %d to %d characters long, this one has %zu",
                 TR_SKU_MIN_LENGTH, TR_SKU_MAX_LENGTH, length);
        return 0;
    }
    for (const unsigned char *p = (const unsigned char *)sku; *p; p++) {
        if (*p == '\\' || *p == '<' || *p == '>' || *p == ';' || *p == '%' || *p == '/' ||
            *p == ' ' || (*p >= '\t' && *p <= '\r')) {
            snprintf(why, TR_WHY_MAX,
                     "an OCI sku may not contain white space or any of \\ < > ; %% / (found at "
                     "position %zu)",
                     (size_t)(p - (const unsigned char *)sku));
            return 0;
        }
    }
    return 1;
}

int64_t tr_safety_stock(cm_floor_mode mode, const tr_legacy_item *item)
{
    int64_t safety = item->has_safety_stock ? item->safety_stock : 0;
    int64_t floor = item->has_floor ? item->floor : 0;
    switch (mode) {
    case CM_FLOOR_MAX: return safety > floor ? safety : floor;
    case CM_FLOOR_SUM: return safety + floor;
    case CM_FLOOR_IGNORE: return safety;
    }
    return safety;
}

/* Appends `text` (`length` bytes) to name[*used], cut as snprintf cuts: at most size - 1 bytes. */
static void append_cut(char *name, size_t size, size_t *used, const char *text, size_t length)
{
    size_t room = size - 1 - *used;
    size_t count = length < room ? length : room;
    memcpy(name + *used, text, count);
    *used += count;
}

static void append_number(char *name, size_t size, size_t *used, uint64_t magnitude, int negative)
{
    char digits[24];
    size_t count = 0;
    do {
        digits[sizeof digits - 1 - count++] = (char)('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude);
    if (negative)
        digits[sizeof digits - 1 - count++] = '-';
    append_cut(name, size, used, digits + sizeof digits - count, count);
}

static void append_int64(char *name, size_t size, size_t *used, int64_t value)
{
    append_number(name, size, used, value < 0 ? (uint64_t)0 - (uint64_t)value : (uint64_t)value, value < 0);
}

#define RECORD_NAME_MAX 160
static const char RECORD_NAME_SPACE[] = "omsgw.refresh-record\n";

/* "<installation>/<tenant>/<job>/" into name (at most RECORD_NAME_MAX - 1 bytes, cut). */
static size_t name_prefix(char name[RECORD_NAME_MAX], const char *installation_id, int64_t tenant_id, int64_t job_id)
{
    size_t used = 0;
    const char *installation = installation_id ? installation_id : "";
    append_cut(name, RECORD_NAME_MAX, &used, installation, strlen(installation));
    append_cut(name, RECORD_NAME_MAX, &used, "/", 1);
    append_int64(name, RECORD_NAME_MAX, &used, tenant_id);
    append_cut(name, RECORD_NAME_MAX, &used, "/", 1);
    append_int64(name, RECORD_NAME_MAX, &used, job_id);
    append_cut(name, RECORD_NAME_MAX, &used, "/", 1);
    return used;
}

/* The UUID text of the id: job and index in the clear, 50 bits of the name's digest. */
static void format_record_id(int64_t job_id, size_t item_index, const uint8_t digest[CM_SHA256_LEN],
                             char out[CM_UUID_TEXT_LEN + 1])
{
    uint64_t job = (uint64_t)job_id;
    uint32_t index = (uint32_t)item_index;
    uint8_t bytes[16];
    for (int i = 0; i < 6; i++)
        bytes[i] = (uint8_t)(job >> (40 - 8 * i));
    bytes[6] = (uint8_t)(0x80 | ((index >> 20) & 0x0f)); /* version 8 */
    bytes[7] = (uint8_t)(index >> 12);
    bytes[8] = (uint8_t)(0x80 | ((index >> 6) & 0x3f)); /* RFC 4122 variant */
    bytes[9] = (uint8_t)(((index & 0x3f) << 2) | (digest[0] & 0x03));
    memcpy(bytes + 10, digest + 1, 6);
    /* 8-4-4-4-12 lowercase hex digits. */
    static const char hex[] = "0123456789abcdef";
    size_t at = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[at++] = '-';
        out[at++] = hex[bytes[i] >> 4];
        out[at++] = hex[bytes[i] & 0x0f];
    }
    out[at] = '\0';
}

cm_err tr_record_id(const char *installation_id, int64_t tenant_id, int64_t job_id, size_t item_index,
                  char out[CM_UUID_TEXT_LEN + 1])
{
    /* The name hashed is "<installation>/<tenant>/<job>/<index>", at most 159 bytes; it is written by
     * hand, not with snprintf, which cost more than the hash (one record id per record). */
    char name[RECORD_NAME_MAX];
    size_t used = name_prefix(name, installation_id, tenant_id, job_id);
    append_number(name, sizeof name, &used, (uint64_t)item_index, 0);
    uint8_t digest[CM_SHA256_LEN];
    cm_sha256_ctx hash;
    cm_sha256_init(&hash);
    cm_sha256_update(&hash, RECORD_NAME_SPACE, strlen(RECORD_NAME_SPACE));
    cm_sha256_update(&hash, name, used);
    if (cm_sha256_final(&hash, digest) != CM_OK)
        return CM_ENOMEM;
    format_record_id(job_id, item_index, digest, out);
    return CM_OK;
}

void tr_record_ids_init(tr_record_ids *ids, const char *installation_id, int64_t tenant_id, int64_t job_id)
{
    ids->installation_id = installation_id;
    ids->tenant_id = tenant_id;
    ids->job_id = job_id;
    ids->prefixed = 0;
    char text[sizeof RECORD_NAME_SPACE - 1 + RECORD_NAME_MAX];
    size_t space = strlen(RECORD_NAME_SPACE);
    memcpy(text, RECORD_NAME_SPACE, space);
    size_t used = name_prefix(text + space, installation_id, tenant_id, job_id);
    /* Only when the longest index still fits uncut is the name the prefix plus the index. */
    if (used + 20 < RECORD_NAME_MAX - 1 && cm_sha256_prefixed_init(&ids->hash, text, space + used) == CM_OK)
        ids->prefixed = 1;
}

cm_err tr_record_ids_make(tr_record_ids *ids, size_t item_index, char out[CM_UUID_TEXT_LEN + 1])
{
    if (!ids->prefixed)
        return tr_record_id(ids->installation_id, ids->tenant_id, ids->job_id, item_index, out);
    char index[24];
    size_t used = 0;
    append_number(index, sizeof index, &used, (uint64_t)item_index, 0);
    uint8_t digest[CM_SHA256_LEN];
    if (cm_sha256_prefixed_final(&ids->hash, index, used, digest) != CM_OK)
        return CM_ENOMEM;
    format_record_id(ids->job_id, item_index, digest, out);
    return CM_OK;
}

void tr_record_ids_free(tr_record_ids *ids)
{
    if (ids->prefixed)
        cm_sha256_prefixed_free(&ids->hash);
    ids->prefixed = 0;
}

static int within_quantity_range(int64_t value)
{
    return value >= -TR_MAX_QUANTITY && value <= TR_MAX_QUANTITY;
}

int tr_translate_item(const tr_context *context, const tr_legacy_item *item, size_t item_index,
                      tr_record *out, char why[TR_WHY_MAX])
{
    const char *sku = tr_choose_sku(item, context->sku_from, context->sku_from_count);
    if (!sku) {
        snprintf(why, TR_WHY_MAX, "none of the tenant's sku identifiers is present");
        return -1;
    }
    if (!tr_sku_is_valid(sku, why))
        return -1;
    cm_err made = context->record_ids
                      ? tr_record_ids_make(context->record_ids, item_index, out->record_id)
                      : tr_record_id(context->installation_id, context->tenant_id, context->job_id, item_index,
                                     out->record_id);
    if (made != CM_OK) {
        snprintf(why, TR_WHY_MAX, "the record id could not be hashed (out of memory)");
        return -1;
    }
    /* Checked before the sum: each within 10^12, safety + floor and the thousandths fit in int64. */
    if (!within_quantity_range(item->quantity) ||
        (item->has_safety_stock && !within_quantity_range(item->safety_stock)) ||
        (item->has_floor && !within_quantity_range(item->floor))) {
        snprintf(why, TR_WHY_MAX, "a quantity, safety stock or floor is larger than %lld", TR_MAX_QUANTITY);
        return -1;
    }
    int64_t safety = tr_safety_stock(context->floor, item);
    out->sku = sku;
    out->location_id = context->location_id;
    out->on_hand_milli = item->quantity * 1000;
    out->safety_stock_milli = safety * 1000;
    out->effective_ms = context->effective_ms;
    out->item_index = item_index;
    return 0;
}

static int optional_string(const json_object *object, const char *key, const char **out)
{
    *out = NULL;
    cm_json_get rc = cm_json_string(object, key, out);
    return rc == CM_JSON_OK || rc == CM_JSON_ABSENT ? 0 : -1;
}

static int optional_int(const json_object *object, const char *key, int *has, int64_t *out)
{
    cm_json_get rc = cm_json_int64(object, key, out);
    *has = rc == CM_JSON_OK;
    return rc == CM_JSON_OK || rc == CM_JSON_ABSENT ? 0 : -1;
}

int tr_legacy_item_from_json(const json_object *object, tr_legacy_item *out)
{
    memset(out, 0, sizeof *out);
    int has_quantity = 0;
    if (optional_string(object, "sku", &out->sku) || optional_string(object, "partNumber", &out->part_number) ||
        optional_string(object, "upc", &out->upc) ||
        optional_int(object, "quantity", &has_quantity, &out->quantity) ||
        optional_int(object, "safetyStock", &out->has_safety_stock, &out->safety_stock) ||
        optional_int(object, "floor", &out->has_floor, &out->floor))
        return -1;
    return has_quantity ? 0 : -1;
}

json_object *tr_extras(json_object *item, const char *used_identifier)
{
    json_object *extras = NULL;
    json_object_object_foreach(item, key, value)
    {
        if (strcmp(key, "quantity") == 0 || strcmp(key, "safetyStock") == 0 || strcmp(key, "floor") == 0 ||
            strcmp(key, used_identifier) == 0)
            continue;
        if (!extras)
            extras = json_object_new_object();
        json_object_object_add(extras, key, json_object_get(value));
    }
    return extras;
}
