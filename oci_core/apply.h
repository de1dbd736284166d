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

cm_err oci_apply_one(oci_store_conn *writer, const oci_graph *graph, const char *org,
                     const oci_record_update *update, oci_apply_mode mode, const char *event_type,
                     int64_t now_ms, oci_apply_result *result);

/* Deletes a location record and stores a deletion event; *found = 0 when there was none. */
cm_err oci_delete_one(oci_store_conn *writer, const char *org, const char *location, const char *sku,
                      const char *record_id, int64_t now_ms, int *found);

#endif
