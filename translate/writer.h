/*
 * writer.h - the two wire forms of translated records: the OCI import file and the batch-update
 * body (oci-api.md §3.2 and §2.2).
 *
 * Pure functions: no I/O, no global state; they only append bytes to a caller's cm_body (whose
 * maximum is the caller's limit: growing past it is CM_ETOOBIG, never a silent cut). The output
 * is byte-for-byte stable, so golden files can pin it:
 * - import file, high-performance layout: one JSON object per line, each ending in '\n', fields
 *   in the order recordId, locationId, sku, onHand, safetyStockCount, effectiveDate; lines are
 *   grouped by SKU (OCI's advice) in the order each SKU first appears, and within a SKU they keep
 *   the request's order, so "the later item wins" holds however OCI schedules the groups;
 * - batch-update body: {"records":[…]} with id, location, sku, onHand, safetyStockCount,
 *   effectiveDate per record, in the request's order.
 * Quantities are written from thousandths without trailing zeros; dates as RFC 3339 UTC with
 * milliseconds; strings as JSON with only '"', '\\' and control characters escaped (UTF-8 is
 * written as it is).
 */
#ifndef TR_WRITER_H
#define TR_WRITER_H

#include <stddef.h>

#include "common/body.h"
#include "common/err.h"
#include "translate/item.h"

/* OCI's limit on the records of one batch-update call. */
#define TR_BATCH_UPDATE_MAX_RECORDS 100

/*
 * Appends the import file for `count` records to `out`. Returns CM_OK; CM_ETOOBIG or CM_ENOMEM
 * (then `out` may hold part of the file: the caller discards it); CM_EINVAL when count is 0.
 * Uses a temporary index array it frees before returning.
 */
cm_err tr_write_import_file(const tr_record *records, size_t count, cm_body *out);

/*
 * Appends the batch-update body for `count` records (1..TR_BATCH_UPDATE_MAX_RECORDS) to `out`.
 * Returns CM_OK, CM_EINVAL for a count outside the limits, CM_ETOOBIG or CM_ENOMEM.
 */
cm_err tr_write_batch_update(const tr_record *records, size_t count, cm_body *out);

/* Appends `text` as a JSON string literal (with its quotes). Returns CM_OK, CM_ETOOBIG or CM_ENOMEM. */
cm_err tr_append_json_string(cm_body *out, const char *text);

#endif
