/*
 * oci_reply.h - reading OCI's answers back into per-record results: the inverse of writer.h.
 *
 * Pure functions: no I/O, no global state. They parse the 200 body of batch-update (§2.2), the
 * import result file (§3.2) and OCI's error bodies (§6), and name each refused record by its
 * index in the chunk, found by (record id, sku): OCI echoes both for every failure. A failure
 * that names no record of the chunk is counted as unmatched, never attributed to a wrong record.
 * Nothing here decides whether to retry: that is the delivery's job.
 */
#ifndef TR_OCI_REPLY_H
#define TR_OCI_REPLY_H

#include <stddef.h>

#include "common/err.h"
#include "translate/item.h"

#define TR_ERROR_CODE_MAX 48
#define TR_ERROR_MESSAGE_MAX 160
#define TR_IMPORT_STATUS_MAX 48
/* The error code given to a failed line of an import result file, which carries only a message. */
#define TR_IMPORT_LINE_ERROR_CODE "ImportRecordFailed"

/* Finds a chunk's records by id. Built once per reply; borrows the records' strings. */
typedef struct tr_record_lookup {
    const tr_record *records;
    size_t count;
    size_t *sorted; /* owned: record indexes ordered by record id */
} tr_record_lookup;

/* Called once per refused record. `error_code` and `message` are only valid during the call. */
typedef void (*tr_refusal_fn)(void *context, size_t record_index, const char *error_code,
                              const char *message);

/* Prepares a lookup over `records` (which must outlive it). CM_OK or CM_ENOMEM. Free with
 * tr_record_lookup_free. */
cm_err tr_record_lookup_init(tr_record_lookup *lookup, const tr_record *records, size_t count);
void tr_record_lookup_free(tr_record_lookup *lookup);

/* The index of the record with this id and sku, or -1. A NULL sku matches any sku. */
long tr_record_lookup_find(const tr_record_lookup *lookup, const char *record_id, const char *sku);

/*
 * Reads a batch-update 200 body {"errors":[{"details":{"id","sku",…},"errorCode","message"}]}
 * and calls `refused` for each error naming a record of the lookup. *unmatched counts the others.
 * Returns CM_OK, or CM_EINVAL when the body is not that shape (nothing is reported then).
 */
cm_err tr_read_batch_errors(const char *body, size_t length, const tr_record_lookup *lookup,
                            tr_refusal_fn refused, void *context, size_t *unmatched);

/*
 * Reads an import result file: first line {"status":"…"} (copied into `status`), then one line
 * {"recordId","locationId","sku","message"} per failed record. Calls `refused` for each line that
 * names a record of the lookup, with TR_IMPORT_LINE_ERROR_CODE; *unmatched counts the others.
 * Returns CM_OK, or CM_EINVAL when the first line is not a status or a line is not JSON.
 */
cm_err tr_read_import_results(const char *text, size_t length, const tr_record_lookup *lookup,
                              tr_refusal_fn refused, void *context, size_t *unmatched,
                              char status[TR_IMPORT_STATUS_MAX]);

/*
 * Reads the useful words of an error body: OCI's {errorCode, message}, the API gateway's
 * {title, detail} or OAuth's {error, error_description}. Empty strings when none is found.
 */
void tr_read_error_body(const char *body, size_t length, char code[TR_ERROR_CODE_MAX],
                        char message[TR_ERROR_MESSAGE_MAX]);

#endif
