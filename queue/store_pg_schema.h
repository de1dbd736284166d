/*
 * store_pg_schema.h - the queue's tables in PostgreSQL (schema "omsgw") and their migrations.
 *
 * q_pg_migrate takes a session advisory lock for the duration of the migration, so two instances
 * starting at the same moment apply each step once, one after the other; each step commits with
 * its version bump. A database whose schema is newer than this build knows is refused (an older
 * omsgw must not write into tables it does not understand).
 */
#ifndef Q_STORE_PG_SCHEMA_H
#define Q_STORE_PG_SCHEMA_H

#include "common/pg.h"

/* The newest schema version this build knows. */
int q_pg_schema_version(void);

/* Brings the schema to q_pg_schema_version(). On failure `error` holds one line. */
cm_err q_pg_migrate(cm_pg_conn *conn, char error[CM_PG_ERROR_MAX]);

#endif
