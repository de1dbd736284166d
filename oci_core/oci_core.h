/*
 * oci_core.h - the bundled Omnichannel Inventory (OCI) service: what the rest of omsgw may call.
 *
 * It promises:
 * - the native OCI routes (availability, impex, reservations) for every configured
 *   organization, served through cm_http_server with OCI's own error shapes and bearer auth;
 * - oci_core_apply_records: the in-process path used by bundled delivery, applying a batch of
 *   availability records in one transaction, each record id applied at most once per
 *   organization (a repeated id is reported as a duplicate and changes nothing);
 *   oci_core_apply_batch: the same at most once per batch key, with one marker per batch instead
 *   of one id per record;
 * - thread safety: every function may be called from any thread at any time.
 * It never calls the gateway or the queue.
 */
#ifndef OCI_CORE_H
#define OCI_CORE_H

#include <stddef.h>
#include <json-c/json.h>
#include <stdint.h>

#include "common/config.h"
#include "common/err.h"
#include "common/http_server.h"

#define OCI_ERROR_MAX 512
#define OCI_MESSAGE_MAX 160
#define OCI_MAX_FUTURES 32

typedef struct oci_core oci_core;

typedef struct oci_future {
    int64_t expected_ms;    /* expectedDate */
    int64_t quantity_milli; /* > 0 */
} oci_future;

/* One availability record update, as batch-update and import lines carry it. Strings are borrowed. */
typedef struct oci_record_update {
    const char *record_id;   /* idempotency id (batch-update "id", import "recordId") */
    const char *location_id;
    const char *sku;
    int has_on_hand;
    int64_t on_hand_milli;
    int has_safety_stock;
    int64_t safety_stock_milli;
    int has_effective_date;
    int64_t effective_ms;
    size_t future_count; /* futures replace the stored ones when has_futures is set */
    int has_futures;
    oci_future futures[OCI_MAX_FUTURES];
} oci_record_update;

typedef enum oci_apply_outcome {
    OCI_APPLY_APPLIED = 0,
    OCI_APPLY_DUPLICATE = 1, /* this record id was applied before: nothing changed */
    OCI_APPLY_REFUSED = 2,   /* invalid record (unknown location, bad sku, …): see message */
} oci_apply_outcome;

typedef struct oci_apply_result {
    oci_apply_outcome outcome;
    const char *error_code; /* OCI errorCode for refusals ("LocationDoesNotExist"…), static */
    char message[OCI_MESSAGE_MAX];
} oci_apply_result;

/* A location's availability for one SKU, quantities in thousandths. */
typedef struct oci_availability {
    int exists; /* 0: never loaded (all zeros) */
    int64_t on_hand_milli, reserved_milli, safety_stock_milli, atf_milli, ato_milli;
    int has_effective_date;
    int64_t effective_ms;
} oci_availability;

/*
 * Opens the core: its SQLite file under `data_dir` (oci.db), the location graphs of the configured
 * organizations, its background threads. `config` must outlive the core. On failure *out is NULL
 * and `error` holds one line.
 */
cm_err oci_core_open(const cm_config *config, const char *data_dir, oci_core **out,
                     char error[OCI_ERROR_MAX]);

/* Fills the routes, error writer and request hook of an HTTP server config (port, threads and
 * limits are the caller's). The tables belong to the core. */
void oci_core_http_config(oci_core *core, cm_http_server_config *server_config);

/*
 * Applies `count` records (1..chunk size) to organization `org_id` in one transaction and writes one
 * result per record into `results`. Returns CM_OK when the transaction committed (per-record
 * refusals are results, not errors); CM_ENOTFOUND when the organization is unknown; CM_EFULL,
 * CM_EBUSY or CM_EDB when nothing could be applied (nothing changed).
 */
cm_err oci_core_apply_records(oci_core *core, const char *org_id, const oci_record_update *records,
                              size_t count, oci_apply_result *results);

/*
 * The same for in-process delivery, at most once per `batch_key` (NULL: as oci_core_apply_records).
 * A batch with a key is applied without claiming its record ids (they are still in its events):
 * one marker per (organization, key) is written in the same transaction as the records, holding
 * the batch's size, a fingerprint of its record ids and its refusals. A later call with the same key
 * applies nothing and returns CM_OK with the results of the first one (the same refusals, every
 * other record OCI_APPLY_APPLIED); with other records than the first it returns CM_EEXIST and
 * applies nothing. The caller must therefore give a key to exactly one set of records, and must
 * not deliver the same records both with a key and without (or over HTTP): ids are not claimed.
 * Markers are pruned like record ids (OCI_ID_RETENTION_MS, 31 days, limits.h).
 */
cm_err oci_core_apply_batch(oci_core *core, const char *org_id, const char *batch_key,
                            const oci_record_update *records, size_t count, oci_apply_result *results);

/* Reads one location record. CM_OK with exists=0 when the SKU was never loaded there. */
cm_err oci_core_get_location_record(oci_core *core, const char *org_id, const char *location_id,
                                    const char *sku, oci_availability *out);

/* For the operator's console (admin/): one SKU at every location and group of an organization's
 * graph, as get-availability renders it ({"locations": [...], "groups": [...]}), and the graph
 * itself in the export format. New objects the caller puts. CM_ENOTFOUND: no such organization;
 * CM_EINVAL: not a valid SKU. */
cm_err oci_core_view_availability(oci_core *core, const char *org_id, const char *sku, json_object **out);
cm_err oci_core_view_graph(oci_core *core, const char *org_id, json_object **out);

/* Stops background work at a safe point (imports in progress are resumed at the next open). */
void oci_core_stop(oci_core *core);

/* Stops (if not yet) and frees everything. NULL is allowed. */
void oci_core_close(oci_core *core);

/* ---- the emulator side (control.h; README "Testing your integration against the bundled core") ---- */

/* Where a generated control token is written, under the data folder (mode 0600). */
#define OCI_CONTROL_TOKEN_FILE "control-token"

/* The control token in force: oci.control.token, or the random one made at open (*generated = 1). */
const char *oci_core_control_token(const oci_core *core, int *generated);

/* Writes a snapshot of every organization to `path` (written aside, then renamed). */
cm_err oci_core_state_save(oci_core *core, const char *path, char error[OCI_ERROR_MAX]);
/* Replaces the state of the organizations a snapshot file holds; refuses newer snapshot versions. */
cm_err oci_core_state_restore(oci_core *core, const char *path, char error[OCI_ERROR_MAX]);

/* 1 while a location-graph replacement of the organization is in progress (oci.graphChangeSeconds),
 * 0 otherwise or when the organization is unknown. */
int oci_core_graph_changing(oci_core *core, const char *org_id);

#endif
