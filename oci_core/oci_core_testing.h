/*
 * oci_core_testing.h - hooks for tests only: shifting the core's clock (to reach link and token
 * expiry without waiting) and holding the background worker (to observe PENDING states).
 * Production code never calls these.
 */
#ifndef OCI_CORE_TESTING_H
#define OCI_CORE_TESTING_H

#include <stdint.h>

#include "oci_core/oci_core.h"

/* Every "now" of the core is the wall clock plus `skew_ms`. */
void oci_core_testing_set_clock_skew(oci_core *core, int64_t skew_ms);

/* 1: the worker takes no new import or export until called again with 0. */
void oci_core_testing_pause_worker(oci_core *core, int paused);

/* Runs one prune pass now (with the skewed clock). */
void oci_core_testing_prune_now(oci_core *core);

/* The worker applies at most `batches` more import batches, then leaves the import RUNNING and
 * pauses, as a process stopped at that point would; -1 removes the limit (and does not unpause). */
void oci_core_testing_import_batches(oci_core *core, int batches);

#endif
