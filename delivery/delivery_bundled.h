/*
 * delivery_bundled.h - the delivery that calls the bundled OCI core in-process: one transaction per
 * chunk, each chunk applied at most once under its batch key (q_chunk.batch_key, or
 * "<installation>/<tenant>/<job>/<chunk>" when the chunk has none; oci_core_apply_batch): one
 * marker per chunk instead of one claimed id per record, and a chunk delivered again (a retry, a
 * crash after the core committed) is answered with its first results.
 */
#ifndef DL_DELIVERY_BUNDLED_H
#define DL_DELIVERY_BUNDLED_H

#include "oci_core/oci_core.h"
#include "queue/delivery.h"

/* A new delivery on `core` (which must outlive it) for the queue of `installation_id`
 * (q_store_installation_id); destroy with its destroy member. NULL on allocation failure. */
q_delivery *dl_delivery_bundled_new(oci_core *core, const char *installation_id);

#endif
