/*
 * apply.h - changing one location record inside an open write transaction: the one place where
 * records change, so that every change checks the same rules and stores its event.
 *
 * oci_apply_one: unknown location or bad sku -> REFUSED with an OCI errorCode; a record id seen
 * before for the organization -> DUPLICATE (nothing changes); otherwise the record is created or
 * updated (MERGE: only the fields given change, futures replaced when given; REPLACE: fields not
 * given become 0 / removed), the id is remembered and an event with old and new figures is
 * stored. A non-CM_OK return is a storage failure: the caller rolls the transaction back.
 */
#ifndef OCI_APPLY_H
#define OCI_APPLY_H

#include "oci_core/graph.h"
#include "oci_core/oci_core.h"
#include "oci_core/store.h"

typedef enum oci_apply_mode { OCI_APPLY_MERGE = 0, OCI_APPLY_REPLACE = 1 } oci_apply_mode;

/*
 * oci_apply_many: the same for `count` records, in order, with one result each: valid records are
 * applied in groups (store.h, "several records in one statement"), so a group costs a few
 * multi-row statements. Later records see the changes of earlier ones (a SKU twice in a batch:
 * the later figures win, each change has its event). With `claim_ids` 0 the record ids are not
 * claimed (they are still stored in the events): the caller guarantees by other means that the
 * batch is applied at most once (oci_core_apply_records with a batch key).
 */
typedef struct oci_apply_batch {
    const char *org;
    const oci_record_update *updates;              /* count updates, or: */
    const oci_record_update *const *update_list; /* count pointers (when not NULL) */
    size_t count;
    oci_apply_mode mode;
    const char *event_type;
    int64_t now_ms;
    int claim_ids;
} oci_apply_batch;

cm_err oci_apply_many(oci_store_conn *writer, const oci_graph *graph, const oci_apply_batch *batch,
                      oci_apply_result *results);

cm_err oci_apply_one(oci_store_conn *writer, const oci_graph *graph, const char *org,
                     const oci_record_update *update, oci_apply_mode mode, const char *event_type,
                     int64_t now_ms, oci_apply_result *result);

/* The static errorCode a refusal carries for `text` (a stored refusal read back): one of those
 * oci_apply_one uses, or "Unknown". */
const char *oci_apply_error_code(const char *text);

/* Deletes a location record and stores a deletion event; *found = 0 when there was none. */
cm_err oci_delete_one(oci_store_conn *writer, const char *org, const char *location, const char *sku,
                      const char *record_id, int64_t now_ms, int *found);

#endif
