/*
 * delivery_bundled.h - the delivery that calls the bundled OCI core in-process: one transaction per
 * chunk, records applied at most once per id (oci_core_apply_records).
 */
#ifndef DL_DELIVERY_BUNDLED_H
#define DL_DELIVERY_BUNDLED_H

#include "oci_core/oci_core.h"
#include "queue/delivery.h"

/* A new delivery on `core` (which must outlive it); destroy with its destroy member. NULL on
 * allocation failure. */
q_delivery *dl_delivery_bundled_new(oci_core *core);

#endif
