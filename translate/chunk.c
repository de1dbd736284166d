#include "translate/chunk.h"
#include "translate/stored_items.h"

#include <stdlib.h>
#include <string.h>

/* A chunk never holds more than the gateway's largest request; the bound keeps a corrupt header
 * from asking for an absurd allocation. */
#define TR_CHUNK_MAX_ITEMS 1000000
#define TR_CHUNK_TEXT_MAX (256u * 1024 * 1024)

void tr_chunk_clear(tr_chunk *chunk)
{
    free(chunk->records);
    free(chunk->extras);
    free(chunk->failures);
    free(chunk->text);
    cm_body_free(&chunk->rewritten);
    cm_body_free(&chunk->extras_text);
    memset(chunk, 0, sizeof *chunk);
}

/* Translates the records of `reader` into `out` (arrays allocated for reader->count items). */
static cm_err translate_records(const tr_context *context, tr_stored_reader *reader, size_t first_index,
                                int keep_extras, tr_chunk *out, size_t *extra_ends)
{
    tr_stored_item stored;
    cm_err rc;
    while ((rc = tr_stored_next(reader, &stored)) == CM_OK) {
        size_t item_index = first_index + reader->read - 1;
        if (stored.malformed) {
            out->failures[out->failure_count++] =
                (tr_item_failure){item_index, "InvalidItem", "the stored item is malformed"};
            continue;
        }
        char why[TR_WHY_MAX];
        tr_record *record = &out->records[out->record_count];
        if (tr_translate_item(context, &stored.item, item_index, record, why) != 0) {
            /* Acceptance validates identifiers, so this only happens if the tenant's sku order
             * changed since; the item is refused with the reason. */
            out->failures[out->failure_count++] = (tr_item_failure){
                item_index, "InvalidSku", "the item has no valid OCI sku under the tenant's current identifier order"};
            continue;
        }
        int appended = 0;
        if (keep_extras) {
            rc = tr_stored_extras(&stored, record->sku, &out->extras_text, &appended);
            if (rc)
                return rc;
        }
        extra_ends[out->record_count] = appended ? out->extras_text.length : SIZE_MAX;
        out->record_count++;
    }
    return rc == CM_ENOTFOUND ? CM_OK : rc;
}

cm_err tr_translate_chunk(const tr_context *context, char *text, size_t length, size_t first_index, int keep_extras,
                          tr_chunk *out)
{
    memset(out, 0, sizeof *out);
    out->text = text;
    cm_body_init(&out->rewritten, TR_CHUNK_TEXT_MAX);
    cm_body_init(&out->extras_text, TR_CHUNK_TEXT_MAX);
    char *current = text;
    size_t current_length = length;
    if (!tr_stored_is_current(text, length)) {
        cm_err rc = tr_stored_from_legacy_json(text, length, &out->rewritten);
        if (rc)
            return rc;
        current = out->rewritten.data;
        current_length = out->rewritten.length;
    }
    tr_stored_reader reader;
    if (tr_stored_open(&reader, current, current_length) != CM_OK || reader.count > TR_CHUNK_MAX_ITEMS)
        return CM_EINVAL;
    size_t slots = reader.count ? reader.count : 1;
    out->item_count = reader.count;
    out->records = calloc(slots, sizeof *out->records);
    out->extras = calloc(slots, sizeof *out->extras);
    out->failures = calloc(slots, sizeof *out->failures);
    size_t *extra_ends = malloc(slots * sizeof *extra_ends);
    cm_err rc = out->records && out->extras && out->failures && extra_ends ? CM_OK : CM_ENOMEM;
    if (!rc) {
        /* The chunk's items share installation, tenant and job: their ids share a hashed prefix. */
        tr_context chunk_context = *context;
        tr_record_ids ids;
        if (!context->record_ids) {
            tr_record_ids_init(&ids, context->installation_id, context->tenant_id, context->job_id);
            chunk_context.record_ids = &ids;
        }
        rc = translate_records(&chunk_context, &reader, first_index, keep_extras, out, extra_ends);
        if (!context->record_ids)
            tr_record_ids_free(&ids);
    }
    /* The extras buffer grew while it was written: its texts are pointed at only now. Each ends
     * with a NUL (counted in its length), so a text starts after the previous one's end. */
    size_t start = 0;
    for (size_t r = 0; !rc && r < out->record_count; r++) {
        if (extra_ends[r] == SIZE_MAX)
            continue;
        out->extras[r] = out->extras_text.data + start;
        start = extra_ends[r];
    }
    free(extra_ends);
    return rc;
}
