/*
 * location_check.h - every tenant location mapping names a location the OCI graph has.
 *
 * With the bundled core, a mapping such as "Location 1": "warehouse-9" to a location the
 * organization's graph does not have would let refreshes be accepted and then end FAILED with
 * LocationDoesNotExist. app_check_locations_bundled refuses it at start-up instead (the caller
 * exits 2). It reads the core's live graph (the configured file, or the one an admin PUT stored).
 * Tenants with http delivery are not checked here: their organization lives in another OCI.
 */
#ifndef APP_LOCATION_CHECK_H
#define APP_LOCATION_CHECK_H

#include <stddef.h>

#include "common/config.h"
#include "oci_core/oci_core.h"

/* Returns 0 when every mapping is in its organization's graph, else -1 with one line in `error`
 * naming the file, the field, the OCI location and the organization. */
int app_check_locations_bundled(const cm_config *config, oci_core *core, char *error, size_t error_size);

#endif
