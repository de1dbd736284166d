/*
 * chunk.h - one stored chunk of legacy items into OCI records: the one translate entry the worker
 * (queue/chunk_records.c) and `omsgw translate` (app/translate_cmd.c) share.
 *
 * The chunk is read in the stored form (translate/stored_items.h) in place: no json-c tree is
 * built per item, and the records' strings point into the chunk's own buffer. Rows of the
 * previous form (a JSON array) are rewritten once per chunk and then read the same way.
 * No I/O, no global state; what it allocates belongs to the tr_chunk, freed by tr_chunk_clear.
 */
#ifndef TR_CHUNK_H
#define TR_CHUNK_H

#include <stddef.h>
#include <stdint.h>

#include "common/body.h"
#include "common/err.h"
#include "translate/item.h"

/* An item that produced no record, with the reason (static strings). */
typedef struct tr_item_failure {
    size_t item_index;
    const char *error_code; /* "InvalidItem" or "InvalidSku" */
    const char *message;
} tr_item_failure;

typedef struct tr_chunk {
    size_t item_count;      /* items in the chunk */
    tr_record *records;     /* record_count records, in item order */
    size_t record_count;
    const char **extras;    /* per record: the legacy fields kept for it, a JSON object text, or NULL */
    tr_item_failure *failures;
    size_t failure_count;
    /* owned storage the pointers above point into */
    char *text;
    cm_body rewritten;
    cm_body extras_text;
} tr_chunk;

/*
 * Translates the stored chunk `text` (`length` bytes; malloc'd, taken over: freed by
 * tr_chunk_clear, also on failure) whose first item is item `first_index` of the job. With
 * `keep_extras` each record also gets the legacy fields the gateway keeps for its sku (a refresh);
 * without (an adjust), extras are all NULL.
 * Returns CM_OK and fills *out, CM_EINVAL when the chunk is corrupt (no part of it is usable), or
 * CM_ENOMEM. On failure *out holds nothing but still needs tr_chunk_clear.
 */
cm_err tr_translate_chunk(const tr_context *context, char *text, size_t length, size_t first_index, int keep_extras,
                          tr_chunk *out);

void tr_chunk_clear(tr_chunk *chunk);

#endif
