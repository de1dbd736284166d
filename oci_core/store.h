/*
 * store.h - the bundled OCI core's storage: the only module that speaks SQL.
 *
 * It promises:
 * - one SQLite file (WAL) with one writer connection, guarded by a mutex, and a small pool of
 *   reader connections, each used by one thread at a time; prepared statements are reused;
 * - writes happen only between oci_store_write_begin and _commit/_rollback (BEGIN IMMEDIATE);
 *   reads see one consistent snapshot between oci_store_read_begin and _end;
 * - tables: records (per org, location, sku), events (every change, old and new figures; place_type
 *   'group' for a group's own reservations; one index, by org and sku: deltas read the table in
 *   seq order), applied_ids (idempotency ids), applied_batches (markers of batches applied
 *   in-process, below), imports and their
 *   failed lines, exports (availability, graph, events), delta_tokens, group_reserved,
 *   reservations and reservation_lines, operation_ids, graphs (the admin-replaced graph);
 * - every sqlite3_step/sqlite3_reset is checked; errors come back as cm_err (CM_EDB, CM_EFULL,
 *   CM_EBUSY, CM_ENOMEM) and the caller rolls back.
 * Quantities are int64 thousandths; times are ms since the epoch; 0 means "not set" for the
 * optional times of imports and exports.
 */
#ifndef OCI_STORE_H
#define OCI_STORE_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "oci_core/limits.h"
#include "oci_core/oci_core.h"
#include "oci_core/quantity.h"

#define OCI_ORG_MAX 255
#define OCI_PATH_MAX 1024

typedef struct oci_store oci_store;
typedef struct oci_store_conn oci_store_conn;

cm_err oci_store_open(const char *path, oci_store **out, char error[OCI_ERROR_MAX]);
void oci_store_close(oci_store *store);

/* Takes the writer (waits for it) and opens a write transaction. On failure nothing is held. */
cm_err oci_store_write_begin(oci_store *store, oci_store_conn **writer);
/* Commits and releases the writer; on a failed commit the transaction is rolled back. */
cm_err oci_store_write_commit(oci_store_conn *writer);
void oci_store_write_rollback(oci_store_conn *writer);

/* Takes a reader and opens a read transaction; NULL only when the store is unusable. */
oci_store_conn *oci_store_read_begin(oci_store *store);
void oci_store_read_end(oci_store_conn *reader);

/* ---- records (readable on any connection) ---- */

cm_err oci_store_record_get(oci_store_conn *conn, const char *org, const char *location,
                            const char *sku, oci_quantities *out, int *exists);
cm_err oci_store_record_put(oci_store_conn *writer, const char *org, const char *location,
                            const char *sku, const oci_quantities *record, int64_t now_ms);
cm_err oci_store_record_delete(oci_store_conn *writer, const char *org, const char *location,
                               const char *sku);

/* Called per record; a non-zero return stops the scan (and the scan returns CM_OK). */
typedef int (*oci_record_visitor)(void *context, const char *location, const char *sku,
                                  const oci_quantities *record);

/* Visits the records of `org` at the locations of `locations_json` (a JSON array of strings),
 * ordered by sku then location when `by_sku`, else by location then sku. */
cm_err oci_store_records_scan(oci_store_conn *conn, const char *org, const char *locations_json,
                              int by_sku, oci_record_visitor visit, void *context);
/* Number of records of `org` at those locations. */
cm_err oci_store_records_count(oci_store_conn *conn, const char *org, const char *locations_json,
                               int64_t *count);

/* ---- events ---- */

typedef struct oci_event {
    const char *org, *location, *sku, *event_type, *record_id; /* record_id may be NULL */
    const char *place_type; /* NULL or "location"; "group": `location` holds a group id and the
                               quantities are the group's own (unallocated) reservations */
    int64_t created_ms;
    int has_effective_date;
    int64_t effective_ms;
    oci_quantities old_values, new_values;
    int deleted; /* the record was deleted by this change */
} oci_event;

cm_err oci_store_event_add(oci_store_conn *writer, const oci_event *event);
/* Stores `count` (at most OCI_STORE_GROUP_MAX) events in order, in one statement (store_batch.c). */
cm_err oci_store_events_add_many(oci_store_conn *writer, const oci_event *events, size_t count);
/* The newest event sequence number of `org` (0 when none). */
cm_err oci_store_events_last_seq(oci_store_conn *conn, const char *org, int64_t *seq);

typedef int (*oci_event_visitor)(void *context, int64_t seq, const char *place_type, const char *place,
                                 const char *sku);
/* Visits at most `limit` events of `org` after `after_seq` at the given locations (location events)
 * and groups (group events; `groups_json` may be NULL), in order. *more is set when further events
 * are waiting. */
cm_err oci_store_events_scan(oci_store_conn *conn, const char *org, int64_t after_seq,
                             const char *locations_json, const char *groups_json, size_t limit,
                             oci_event_visitor visit, void *context, int *more);

/* ---- several records in one statement (store_batch.c) ----
 *
 * The apply path (apply.h) hands records over in groups of at most OCI_STORE_GROUP_MAX: each call
 * below is a handful of multi-row statements (prepared once per connection for 1, 2, 4, … rows)
 * instead of one statement per record. A group must not name the same (location, sku) twice: the
 * old figures read for it would not see the group's own earlier change. */

#define OCI_STORE_GROUP_MAX 32

/* The records of the (locations[i], skus[i]) of `org`: out[i] and exists[i] (0: none, zeros). */
cm_err oci_store_records_get_many(oci_store_conn *conn, const char *org, const char *const *locations,
                                  const char *const *skus, size_t count, oci_quantities *out, int *exists);
/* Creates or replaces the records (locations[i], skus[i]) of `org` with records[i]. */
cm_err oci_store_records_put_many(oci_store_conn *writer, const char *org, const char *const *locations,
                                  const char *const *skus, const oci_quantities *records, size_t count,
                                  int64_t now_ms);
/* Claims the record ids of a group at once (oci_store_applied_claim for each, in order: an id twice
 * is claimed by its first entry). claimed[i] is 1 when entry i recorded its id. */
cm_err oci_store_applied_claim_many(oci_store_conn *writer, const char *org, const char *const *record_ids,
                                    const char *const *locations, const char *const *skus, size_t count,
                                    int64_t now_ms, int *claimed);
/* ---- batch markers (store_batch.c) ----
 *
 * In-process delivery applies a batch under a key at most once: the marker is written in the
 * transaction that applies the records, with what a replay must answer (the batch's size, a
 * fingerprint of its records and its refusals as text the caller encodes). */
typedef struct oci_batch_marker {
    int64_t record_count;
    int64_t fingerprint;
    char *refusals; /* owned (oci_batch_marker_clear frees it) */
} oci_batch_marker;

void oci_batch_marker_clear(oci_batch_marker *marker);
cm_err oci_store_batch_get(oci_store_conn *conn, const char *org, const char *batch_key, oci_batch_marker *out,
                           int *found);
cm_err oci_store_batch_add(oci_store_conn *writer, const char *org, const char *batch_key,
                           const oci_batch_marker *marker, int64_t now_ms);

/* ---- idempotency ids ---- */

cm_err oci_store_applied_get(oci_store_conn *conn, const char *org, const char *record_id,
                             char location[OCI_LOCATION_ID_MAX + 1], char sku[OCI_SKU_MAX + 1],
                             int *found);
cm_err oci_store_applied_add(oci_store_conn *writer, const char *org, const char *record_id,
                             const char *location, const char *sku, int64_t now_ms);
/* Records the id as applied unless it already is: one index descent instead of a look-up and an
 * insert. *claimed is 1 when this call recorded it, 0 when the id was applied before. */
cm_err oci_store_applied_claim(oci_store_conn *writer, const char *org, const char *record_id,
                               const char *location, const char *sku, int64_t now_ms, int *claimed);

/* ---- imports ---- */

typedef struct oci_import_row {
    char id[OCI_ID_MAX + 1];
    char org[OCI_ORG_MAX + 1];
    char file_name[OCI_FILE_NAME_MAX + 1];
    char file_encoding[16]; /* "" or "GZIP" */
    char file_hash[160];    /* "" when none */
    char file_hash_type[16];
    char status[16]; /* WAITING PENDING RUNNING COMPLETED FAILED */
    int64_t created_ms, link_expires_ms;
    char upload_path[OCI_PATH_MAX];
    int64_t part_offset, part_length;
    int gzip;
    int64_t started_ms, ended_ms;
    int64_t read_count, processed_count, skipped_count, failed_count;
    int64_t line_cursor; /* lines of the file already applied (the checkpoint) */
    int parser_layout, parser_has_location;
    char parser_location[OCI_LOCATION_ID_MAX + 1];
    char validation_error[256]; /* "" when the file passed validation */
    char result_status[40];     /* COMPLETED_WITHOUT_ERRORS, COMPLETED_WITH_PARTIAL_FAILURES, FAILED */
} oci_import_row;

cm_err oci_store_import_insert(oci_store_conn *writer, const oci_import_row *row);
cm_err oci_store_import_get(oci_store_conn *conn, const char *id, oci_import_row *row, int *found);
/* Moves a WAITING import to PENDING with its uploaded file; *changed = 0 when it was not WAITING. */
cm_err oci_store_import_set_uploaded(oci_store_conn *writer, const char *id, const char *path,
                                     int64_t part_offset, int64_t part_length, int gzip, int *changed);
/* Writes back status, times, counters, checkpoint, parser state, validation and result. */
cm_err oci_store_import_update(oci_store_conn *writer, const oci_import_row *row);
cm_err oci_store_import_delete(oci_store_conn *writer, const char *id);
cm_err oci_store_import_error_add(oci_store_conn *writer, const char *id, int64_t line,
                                  const char *record_id, const char *location, const char *sku,
                                  const char *message);
typedef int (*oci_import_error_visitor)(void *context, const char *record_id, const char *location,
                                        const char *sku, const char *message);
cm_err oci_store_import_errors_scan(oci_store_conn *conn, const char *id,
                                    oci_import_error_visitor visit, void *context);
typedef int (*oci_id_visitor)(void *context, const char *id);
/* Imports of `org` (oldest first); when `only_available`, only WAITING ones with a live link. */
cm_err oci_store_import_list(oci_store_conn *conn, const char *org, int only_available,
                             int64_t now_ms, oci_id_visitor visit, void *context);
/* The import to work on next (RUNNING first, then PENDING, oldest first); *found = 0 when none. */
cm_err oci_store_import_next(oci_store_conn *conn, char id[OCI_ID_MAX + 1], int *found);

/* ---- exports (availability and location graph) ---- */

typedef struct oci_export_row {
    char id[OCI_ID_MAX + 1];
    char org[OCI_ORG_MAX + 1];
    char kind[16];       /* availability | graph */
    char place_type[16]; /* locations | groups | "" */
    char *places;        /* JSON array text, owned (oci_export_row_clear frees it) */
    char status[16];     /* PENDING RUNNING COMPLETED FAILED */
    int64_t created_ms, started_ms, ended_ms, expires_ms;
    char file_path[OCI_PATH_MAX];
    int64_t file_size;
    char file_hash[65];
    int64_t processed_count, exported_count;
} oci_export_row;

void oci_export_row_clear(oci_export_row *row);
cm_err oci_store_export_insert(oci_store_conn *writer, const oci_export_row *row);
cm_err oci_store_export_get(oci_store_conn *conn, const char *id, oci_export_row *row, int *found);
cm_err oci_store_export_update(oci_store_conn *writer, const oci_export_row *row);
cm_err oci_store_export_delete(oci_store_conn *writer, const char *id);
cm_err oci_store_export_next(oci_store_conn *conn, char id[OCI_ID_MAX + 1], int *found);
/* 1 in *busy when an availability export of `org` is PENDING or RUNNING. */
cm_err oci_store_export_busy(oci_store_conn *conn, const char *org, int *busy);

/* ---- delta tokens ---- */

typedef struct oci_delta_token {
    char token[OCI_ID_MAX + 1];
    char org[OCI_ORG_MAX + 1];
    char place_type[16];
    char *places; /* JSON array text, owned */
    int64_t after_seq, created_ms;
} oci_delta_token;

cm_err oci_store_token_insert(oci_store_conn *writer, const oci_delta_token *token);
cm_err oci_store_token_get(oci_store_conn *conn, const char *token, oci_delta_token *out, int *found);
void oci_delta_token_clear(oci_delta_token *token);

/* ---- reservations (store_reserve.c) ---- */

/* A group's own (not yet allocated to a location) reserved quantity of a SKU; 0 when none. */
cm_err oci_store_group_reserved_get(oci_store_conn *conn, const char *org, const char *group_id,
                                    const char *sku, int64_t *quantity);
cm_err oci_store_group_reserved_set(oci_store_conn *writer, const char *org, const char *group_id,
                                    const char *sku, int64_t quantity);
typedef int (*oci_group_reserved_visitor)(void *context, const char *group_id, int64_t quantity);
/* Visits the groups of `org` holding a reservation (> 0) of `sku`. */
cm_err oci_store_group_reserved_scan(oci_store_conn *conn, const char *org, const char *sku,
                                     oci_group_reserved_visitor visit, void *context);

typedef struct oci_reservation_row {
    char org[OCI_ORG_MAX + 1];
    char id[OCI_RESERVATION_ID_MAX + 1];
    char status[16]; /* OPEN CANCELLED EXPIRED */
    int64_t reservation_ms, expires_ms, created_ms, closed_ms; /* expires_ms 0: never */
} oci_reservation_row;

cm_err oci_store_reservation_get(oci_store_conn *conn, const char *org, const char *id,
                                 oci_reservation_row *row, int *found);
cm_err oci_store_reservation_insert(oci_store_conn *writer, const oci_reservation_row *row,
                                    const char *external_ref_id);
cm_err oci_store_reservation_close(oci_store_conn *writer, const char *org, const char *id,
                                   const char *status, int64_t now_ms);
/* Adds `quantity` to a document's line (created at 0 when new). */
cm_err oci_store_reservation_line_add(oci_store_conn *writer, const char *org, const char *id,
                                      const char *place_type, const char *place_id, const char *sku,
                                      int64_t quantity);
typedef int (*oci_reservation_line_visitor)(void *context, const char *place_type, const char *place_id,
                                            const char *sku, int64_t quantity);
cm_err oci_store_reservation_lines_scan(oci_store_conn *conn, const char *org, const char *id,
                                        oci_reservation_line_visitor visit, void *context);
/* The next OPEN reservation whose expiry has passed; *found = 0 when none. */
cm_err oci_store_reservation_next_expired(oci_store_conn *conn, int64_t now_ms, char org[OCI_ORG_MAX + 1],
                                          char id[OCI_RESERVATION_ID_MAX + 1], int *found);

/* Operation ids of transfers, releases and fulfilments: `fingerprint` describes what the id did. */
cm_err oci_store_operation_get(oci_store_conn *conn, const char *org, const char *kind, const char *op_id,
                               const char *sku, char fingerprint[OCI_FINGERPRINT_MAX + 1], int *found);
cm_err oci_store_operation_add(oci_store_conn *writer, const char *org, const char *kind, const char *op_id,
                               const char *sku, const char *fingerprint, int64_t now_ms);

/* Savepoints inside a write transaction (all-or-nothing sets). */
cm_err oci_store_savepoint(oci_store_conn *writer);
cm_err oci_store_savepoint_release(oci_store_conn *writer);
cm_err oci_store_savepoint_rollback(oci_store_conn *writer);

/* ---- maintenance, graphs and the event log (store_maint.c) ---- */

/* The persisted (admin-replaced) graph of `org` as JSON text (caller frees); NULL in *json when none. */
cm_err oci_store_graph_get(oci_store_conn *conn, const char *org, char **json);
cm_err oci_store_graph_put(oci_store_conn *writer, const char *org, const char *json, int64_t now_ms);

typedef struct oci_prune_limits {
    int64_t now_ms;
    int64_t finished_before_ms; /* imports ended and exports expired before this go */
    int64_t waiting_before_ms;  /* imports still WAITING whose link expired before this go */
    int64_t tokens_before_ms;   /* delta tokens created before this go */
    int64_t events_before_ms;   /* events created before this go */
    int64_t ids_before_ms;      /* batch markers and operation ids applied before this go */
    int64_t closed_before_ms;   /* cancelled/expired reservation documents closed before this go */
    size_t batch;               /* rows per statement */
} oci_prune_limits;

/* Files of the imports and exports a prune removes are reported to this visitor before the rows go. */
typedef int (*oci_path_visitor)(void *context, const char *path);
/* Deletes one batch of each kind but the claimed record ids (oci_store_prune_ids); *removed counts
 * the rows. Call again while *removed > 0. */
cm_err oci_store_prune(oci_store_conn *writer, const oci_prune_limits *limits, oci_path_visitor files,
                       void *context, int64_t *removed);

/* Where a walk over the claimed record ids stands. They have no time index (store.c, migration 5),
 * so they are pruned by walking the table in key order. Owned by the caller; zeroed to start. */
typedef struct oci_id_walk {
    int started;
    char org[OCI_ORG_MAX + 1];
    char record_id[2 * OCI_RECORD_ID_MAX + 1];
    int64_t laps; /* walks that reached the end of the table */
} oci_id_walk;

/* Looks at the next `batch` claimed ids after the walk's cursor and deletes those applied before
 * `before_ms` (*removed counts them); moves the cursor past them, or, at the end of the table,
 * back to the start with laps + 1. A whole lap visits every id once, in calls of `batch` keys. */
cm_err oci_store_prune_ids(oci_store_conn *writer, oci_id_walk *walk, int64_t before_ms, size_t batch,
                           int64_t *removed);

/* One event as the event-log export prints it. */
typedef struct oci_event_row {
    int64_t seq, created_ms;
    char place_type[16];
    char place[OCI_LOCATION_ID_MAX + 1];
    char event_type[32];
    int has_effective_date;
    int64_t effective_ms;
    int64_t old_on_hand, new_on_hand, old_reserved, new_reserved, old_safety_stock, new_safety_stock;
    int64_t old_atf, new_atf, old_ato, new_ato;
    int64_t new_futures_total;
} oci_event_row;
typedef int (*oci_event_row_visitor)(void *context, const oci_event_row *event);
/* The events of one SKU of `org` created in [from_ms, to_ms), ordered by place then sequence. */
cm_err oci_store_events_of_sku(oci_store_conn *conn, const char *org, const char *sku, int64_t from_ms,
                               int64_t to_ms, oci_event_row_visitor visit, void *context);
/* A location record as it was at `as_of_ms` (oci.propagationDelayMs): the current one, or the old
 * figures of the first change after that moment. The effective date stays the current one.
 * (store_maint.c: it walks the newest buckets of the event index.) */
cm_err oci_store_record_get_as_of(oci_store_conn *conn, const char *org, const char *location, const char *sku,
                                  int64_t as_of_ms, oci_quantities *out, int *exists);

/* ---- state snapshots and resets of the emulator (store_state.c) ---- */

/* The name of the index-th table a snapshot carries, NULL past the last. */
const char *oci_store_state_table(size_t index);
/* Adds one array of row objects (column name -> value) per table to `tables` for `org`, and counts
 * the rows into *rows. */
cm_err oci_store_state_dump(oci_store_conn *conn, const char *org, json_object *tables, int64_t *rows);
/* Adds {table: number of rows of `org`} to `counts`. */
cm_err oci_store_state_counts(oci_store_conn *conn, const char *org, json_object *counts);
/* Deletes every row of `org` (the persisted graph included), calling `visit` with each file path
 * its imports and exports name first (the caller removes the files after the commit). */
cm_err oci_store_state_delete(oci_store_conn *writer, const char *org, oci_path_visitor visit, void *context);
/* The id of an import of `org` that is PENDING or RUNNING (*busy = 1), for oci.strict. */
cm_err oci_store_import_running(oci_store_conn *conn, const char *org, char id[OCI_ID_MAX + 1], int *busy);
/* Inserts the rows of a snapshot's `tables` for `org` (which holds none). CM_EINVAL with `error`
 * naming the table, the row and the problem when a row does not fit this schema. */
cm_err oci_store_state_load(oci_store_conn *writer, const char *org, json_object *tables, char error[OCI_ERROR_MAX]);

#endif
