/*
 * stored_items.h - the form in which accepted items are stored, chunk by chunk, and read back by
 * the worker without a JSON parse.
 *
 * A chunk is text (PostgreSQL takes it as a text parameter; it never holds a NUL byte):
 *
 *     omsgw-items/2 <count>\n
 *     <quantity> <safetyStock> <floor> <sku> <partNumber> <upc> <kept>\n      (count times)
 *
 * Numbers are decimal int64; an absent safetyStock or floor is "-"; a quantity "!" marks an item
 * that was already malformed in an old row (read as tr_stored_item.malformed). Strings are "-" (absent) or
 * "<bytes>:<bytes of the string>", so they may hold any byte but NUL (spaces, new lines) without
 * escaping. <kept> (always present, maybe "0:") is the rest of the validated item as already
 * serialized JSON object members without the braces ("binID":3,"attributes":["a"],…,"floor":2,
 * "safetyStock":5): the legacy fields OCI has no place for, in the order the gateway keeps them.
 * The worker turns a record into a tr_legacy_item and its kept fields into text by copying
 * (tr_stored_extras), so no json-c tree is built per item, and reads a chunk in place.
 *
 * Rows written before this form (jobs accepted by an older omsgw: a JSON array of the normalized
 * items) start with '[' and are still read: tr_stored_from_legacy_json rewrites such a row into
 * this form in memory, once per chunk, and everything after it is the same code.
 */
#ifndef TR_STORED_ITEMS_H
#define TR_STORED_ITEMS_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "common/body.h"
#include "common/err.h"
#include "translate/item.h"

#define TR_STORED_MAGIC "omsgw-items/2"
/* The header line of a chunk of at most 999999999 items. */
#define TR_STORED_HEADER_MAX 32

/* One record as read: strings point into the caller's buffer, NUL-terminated there. */
typedef struct tr_stored_item {
    tr_legacy_item item;
    int malformed;      /* 1: the item could not be read from an old row; only `kept` is "" */
    const char *kept;   /* JSON object members without braces, maybe "" */
    size_t kept_length;
} tr_stored_item;

/* One record's fields as the gateway checked them, for tr_stored_append_record (which writes the
 * record without a tree). Identifiers are NULL when absent and hold no NUL; `kept` is JSON object
 * members without braces (built with tr_stored_kept_int / tr_stored_kept_value), maybe empty, and
 * ends with floor and safetyStock when they are present, as tr_stored_append_json writes them. */
typedef struct tr_stored_fields {
    const char *ids[3]; /* sku, partNumber, upc */
    size_t id_lengths[3];
    int64_t quantity;
    int has_safety_stock, has_floor;
    int64_t safety_stock, floor;
    const char *kept;
    size_t kept_length;
} tr_stored_fields;

/* Appends one record, without a header. CM_EINVAL when an identifier holds a NUL; CM_ENOMEM,
 * CM_ETOOBIG (nothing is appended then). */
cm_err tr_stored_append_record(cm_body *out, const tr_stored_fields *fields);

/* Appends the kept member "key":value to `kept` (a ',' first when `kept` is not empty): an
 * integer, or a json-c value written as tr_stored_append_json writes it (integers and strings by
 * hand, anything else by json-c, plain, '/' unescaped). */
cm_err tr_stored_kept_int(cm_body *kept, const char *key, int64_t value);
cm_err tr_stored_kept_value(cm_body *kept, const char *key, json_object *value);

/* Appends the record of one validated, normalized item (an object with sku, partNumber, upc,
 * quantity, safetyStock, floor and the other kept fields) to `out`, without a header. CM_EINVAL
 * when `normalized` has no integer quantity or a non-string identifier; CM_ENOMEM, CM_ETOOBIG. */
cm_err tr_stored_append_json(cm_body *out, const json_object *normalized);

/* Appends the header line of a chunk of `count` records. */
cm_err tr_stored_append_header(cm_body *out, size_t count);

/* 1 when `text` is a chunk in the form above (it starts with the magic), 0 otherwise. */
int tr_stored_is_current(const char *text, size_t length);

/* A reader over a chunk held in a buffer the caller owns and lets the reader write into (string
 * ends become NULs). */
typedef struct tr_stored_reader {
    char *next;
    char *end;
    size_t count;     /* records announced by the header */
    size_t read;      /* records read so far */
} tr_stored_reader;

/* Reads the header. CM_EINVAL when the text is not in the current form or not UTF-8. */
cm_err tr_stored_open(tr_stored_reader *reader, char *text, size_t length);

/* Reads the next record into *out. CM_ENOTFOUND after the last record (and only if nothing is
 * left over), CM_EINVAL for a malformed record (the rest of the chunk cannot be trusted). */
cm_err tr_stored_next(tr_stored_reader *reader, tr_stored_item *out);

/* Rewrites a chunk of the previous form (a JSON array of normalized items) into the current form
 * in `out` (header included). Items that are not objects or lack an integer quantity become
 * malformed records, which the translate step refuses one by one, as the old reader did. CM_EINVAL when the text is not a JSON array. */
cm_err tr_stored_from_legacy_json(const char *text, size_t length, cm_body *out);

/* The kept fields of an item as one JSON object text: the identifiers other than the one used as
 * the OCI sku (`used`: the tr_legacy_item's own pointer, item->sku, ->part_number or ->upc), then
 * the stored kept members. Appended to `out` with a NUL after it; *appended is 0 (nothing
 * written) when nothing is left to keep. */
cm_err tr_stored_extras(const tr_stored_item *stored, const char *used, cm_body *out, int *appended);

/* The record back as a normalized item object (caller puts it), or NULL when memory runs out:
 * for the gateway's adjust and inquiry routes, tools and tests; the worker never builds it. */
json_object *tr_stored_item_json(const tr_stored_item *stored);

#endif
