/*
 * store_internal.h - what the store's files (store.c, store_reserve.c, store_maint.c) share: the
 * prepared-statement cache of a connection and the checked step/reset helpers. Nobody outside the
 * store includes it; only the store speaks SQL.
 *
 * Each file other than store.c owns a range of statement slots (0..OCI_STORE_EXTRA_STMTS-1) and
 * passes the same SQL text for a slot every time; the statement is prepared once per connection.
 */
#ifndef OCI_STORE_INTERNAL_H
#define OCI_STORE_INTERNAL_H

#include <sqlite3.h>
#include <stddef.h>

#include "oci_core/store.h"

#define OCI_STORE_EXTRA_STMTS 80
#define OCI_STORE_SLOTS_RESERVE 0 /* store_reserve.c: slots 0..23 */
#define OCI_STORE_SLOTS_MAINT 24  /* store_maint.c: slots 24..47 */
#define OCI_STORE_SLOTS_BATCH 48  /* store_batch.c: slots 48..79 */

/* The statement of `slot`, reset and unbound; NULL on error (logged). */
sqlite3_stmt *oci_store_prepare(oci_store_conn *conn, int slot, const char *sql);
/* Resets after use; maps a failed step or reset to cm_err. */
cm_err oci_store_finish(oci_store_conn *conn, sqlite3_stmt *statement, int step_rc);
/* Steps a statement that returns no rows, then finishes it. */
cm_err oci_store_run(oci_store_conn *conn, sqlite3_stmt *statement);
void oci_store_bind_text(sqlite3_stmt *statement, int index, const char *text);
void oci_store_column_text(sqlite3_stmt *statement, int column, char *out, size_t size);
/* Rows changed by the last statement of the connection. */
int oci_store_changes(oci_store_conn *conn);
cm_err oci_store_exec(oci_store_conn *conn, const char *sql);
/* The connection's database handle, for store_state.c's schema-generic statements. */
sqlite3 *oci_store_db(oci_store_conn *conn);
/* The futures of a record as the futures columns hold them ("expected_ms:quantity;…"). */
#define OCI_STORE_FUTURES_TEXT_MAX (OCI_MAX_FUTURES * 48)
void oci_store_futures_encode(const oci_quantities *record, char *out, size_t size);
/* Reads the columns on_hand, reserved, safety_stock, effective_ms, futures starting at `first`. */
void oci_store_read_record(sqlite3_stmt *statement, int first, oci_quantities *out);

#endif
