/*
 * oci_store_fixture.h - the bundled core's store (oci_core/store.h) on a real SQLite file in a
 * fresh temporary folder, for the store's unit tests: open and close it, run a write transaction,
 * and read one number or run SQL through a connection of the test's own (behind the store's back,
 * to check or damage what it wrote). Each call fails the test when a step fails.
 */
#ifndef TEST_OCI_STORE_FIXTURE_H
#define TEST_OCI_STORE_FIXTURE_H

#include <stdint.h>

#include "oci_core/store.h"

typedef struct th_store {
    char dir[256];
    char path[400]; /* <dir>/oci.db */
    oci_store *store;
} th_store;

/* Opens the store in a new temporary folder. */
void th_store_open(th_store *fixture);
/* Closes it and removes the folder. */
void th_store_close(th_store *fixture);

/* A write transaction on the store's writer; th_store_commit ends it. */
oci_store_conn *th_store_begin(oci_store *store);
void th_store_commit(oci_store_conn *writer);

/* One integer that `sql` selects from the file at `path` (after a commit). */
int64_t th_store_sql_int(const char *path, const char *sql);
/* Runs `sql` on the file at `path`. */
void th_store_sql_exec(const char *path, const char *sql);

#endif
