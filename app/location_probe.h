/*
 * location_probe.h - tenant location mappings checked against a remote OCI's location graph.
 *
 * With http delivery the tenants' organizations live in another OCI, which may be slow, down, or
 * not yet reachable when the gateway starts: refusing to start would turn an OCI outage into a
 * gateway outage. So the check runs on a thread of its own after start-up: it asks the OCI of
 * `delivery.baseUrl` for each mapped organization's location-graph export (submit, poll the
 * status, download), and logs
 *   - config.location_not_in_graph (warn) for every tenants[].locations entry the graph lacks,
 *   - config.locations_checked (info) when an organization's mappings are all there,
 *   - config.locations_unchecked (info) when the OCI did not answer, with why.
 * It never changes anything and never blocks a request. The bundled core is checked at start-up
 * instead (location_check.h).
 */
#ifndef APP_LOCATION_PROBE_H
#define APP_LOCATION_PROBE_H

#include "common/config.h"
#include "delivery/token_source.h"

typedef struct app_location_probe app_location_probe;

/* Starts the check for `config` (which must outlive the probe) with the http delivery's token
 * source `tokens` (borrowed: one login for the delivery and the probe); NULL when delivery is not http,
 * when no tenant maps a location, or when the thread could not start (nothing is then checked). */
app_location_probe *app_location_probe_start(const cm_config *config, dl_token_source *tokens);

/* Stops the check (a transfer in progress is aborted) and frees it. NULL is allowed. */
void app_location_probe_stop(app_location_probe *probe);

#endif
