/* store_reserve.c - the reservation tables of the store (store.h, "reservations"): group
 * reservations, reservation documents and their lines, operation ids, savepoints. */
#include <stdio.h>
#include <string.h>

#include "oci_core/store_internal.h"

enum {
    R_GROUP_GET = OCI_STORE_SLOTS_RESERVE,
    R_GROUP_SET,
    R_GROUP_DELETE,
    R_GROUP_SCAN,
    R_RES_GET,
    R_RES_INSERT,
    R_RES_CLOSE,
    R_LINE_ADD,
    R_LINES_SCAN,
    R_RES_EXPIRED,
    R_OP_GET,
    R_OP_ADD,
};

static const char *const SQL_GROUP_GET =
    "SELECT quantity FROM group_reserved WHERE org = ?1 AND sku = ?2 AND group_id = ?3";
static const char *const SQL_GROUP_SET =
    "INSERT INTO group_reserved (org, sku, group_id, quantity) VALUES (?1, ?2, ?3, ?4)"
    " ON CONFLICT (org, sku, group_id) DO UPDATE SET quantity = excluded.quantity";
static const char *const SQL_GROUP_DELETE = "DELETE FROM group_reserved WHERE org = ?1 AND sku = ?2 AND group_id = ?3";
static const char *const SQL_GROUP_SCAN =
    "SELECT group_id, quantity FROM group_reserved WHERE org = ?1 AND sku = ?2 AND quantity > 0 ORDER BY group_id";
static const char *const SQL_RES_GET = "SELECT org, id, status, reservation_ms, expires_ms, created_ms, closed_ms"
                                       " FROM reservations WHERE org = ?1 AND id = ?2";
static const char *const SQL_RES_INSERT =
    "INSERT INTO reservations (org, id, status, external_ref_id, reservation_ms, expires_ms, created_ms)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
static const char *const SQL_RES_CLOSE =
    "UPDATE reservations SET status = ?3, closed_ms = ?4 WHERE org = ?1 AND id = ?2 AND status = 'OPEN'";
static const char *const SQL_LINE_ADD =
    "INSERT INTO reservation_lines (org, reservation_id, place_type, place_id, sku, quantity)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (org, reservation_id, place_type, place_id, sku)"
    " DO UPDATE SET quantity = quantity + excluded.quantity";
static const char *const SQL_LINES_SCAN =
    "SELECT place_type, place_id, sku, quantity FROM reservation_lines WHERE org = ?1 AND reservation_id = ?2"
    " ORDER BY place_type, place_id, sku";
static const char *const SQL_RES_EXPIRED =
    "SELECT org, id FROM reservations WHERE status = 'OPEN' AND expires_ms > 0 AND expires_ms <= ?1"
    " ORDER BY expires_ms LIMIT 1";
static const char *const SQL_OP_GET =
    "SELECT fingerprint FROM operation_ids WHERE org = ?1 AND kind = ?2 AND op_id = ?3 AND sku = ?4";
static const char *const SQL_OP_ADD = "INSERT INTO operation_ids (org, kind, op_id, sku, fingerprint, applied_ms)"
                                      " VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

cm_err oci_store_group_reserved_get(oci_store_conn *conn, const char *org, const char *group_id,
                                    const char *sku, int64_t *quantity)
{
    sqlite3_stmt *s = oci_store_prepare(conn, R_GROUP_GET, SQL_GROUP_GET);
    if (!s)
        return CM_EDB;
    oci_store_bind_text(s, 1, org);
    oci_store_bind_text(s, 2, sku);
    oci_store_bind_text(s, 3, group_id);
    int rc = sqlite3_step(s);
    *quantity = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    return oci_store_finish(conn, s, rc);
}

cm_err oci_store_group_reserved_set(oci_store_conn *writer, const char *org, const char *group_id,
                                    const char *sku, int64_t quantity)
{
    int zero = quantity == 0;
    sqlite3_stmt *s = zero ? oci_store_prepare(writer, R_GROUP_DELETE, SQL_GROUP_DELETE)
                           : oci_store_prepare(writer, R_GROUP_SET, SQL_GROUP_SET);
    if (!s)
        return CM_EDB;
    oci_store_bind_text(s, 1, org);
    oci_store_bind_text(s, 2, sku);
    oci_store_bind_text(s, 3, group_id);
    if (!zero)
        sqlite3_bind_int64(s, 4, quantity);
    return oci_store_run(writer, s);
}

cm_err oci_store_group_reserved_scan(oci_store_conn *conn, const char *org, const char *sku,
                                     oci_group_reserved_visitor visit, void *context)
{
    sqlite3_stmt *s = oci_store_prepare(conn, R_GROUP_SCAN, SQL_GROUP_SCAN);
    if (!s)
        return CM_EDB;
    oci_store_bind_text(s, 1, org);
    oci_store_bind_text(s, 2, sku);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (visit(context, (const char *)sqlite3_column_text(s, 0), sqlite3_column_int64(s, 1))) {
            rc = SQLITE_DONE;
            break;
        }
    }
    return oci_store_finish(conn, s, rc);
}

cm_err oci_store_reservation_get(oci_store_conn *conn, const char *org, const char *id,
                                 oci_reservation_row *row, int *found)
{
    sqlite3_stmt *s = oci_store_prepare(conn, R_RES_GET, SQL_RES_GET);
    if (!s)
        return CM_EDB;
    oci_store_bind_text(s, 1, org);
    oci_store_bind_text(s, 2, id);
    int rc = sqlite3_step(s);
    *found = rc == SQLITE_ROW;
    memset(row, 0, sizeof *row);
    if (rc == SQLITE_ROW) {
        oci_store_column_text(s, 0, row->org, sizeof row->org);
        oci_store_column_text(s, 1, row->id, sizeof row->id);
        oci_store_column_text(s, 2, row->status, sizeof row->status);
        row->reservation_ms = sqlite3_column_int64(s, 3);
        row->expires_ms = sqlite3_column_int64(s, 4);
        row->created_ms = sqlite3_column_int64(s, 5);
        row->closed_ms = sqlite3_column_int64(s, 6);
    }
    return oci_store_finish(conn, s, rc);
}

cm_err oci_store_reservation_insert(oci_store_conn *writer, const oci_reservation_row *row,
                                    const char *external_ref_id)
{
    sqlite3_stmt *s = oci_store_prepare(writer, R_RES_INSERT, SQL_RES_INSERT);
    if (!s)
        return CM_EDB;
    oci_store_bind_text(s, 1, row->org);
    oci_store_bind_text(s, 2, row->id);
    oci_store_bind_text(s, 3, row->status);
    oci_store_bind_text(s, 4, external_ref_id);
    sqlite3_bind_int64(s, 5, row->reservation_ms);
    sqlite3_bind_int64(s, 6, row->expires_ms);
    sqlite3_bind_int64(s, 7, row->created_ms);
    return oci_store_run(writer, s);
}

cm_err oci_store_reservation_close(oci_store_conn *writer, const char *org, const char *id,
                                   const char *status, int64_t now_ms)
{
    sqlite3_stmt *s = oci_store_prepare(writer, R_RES_CLOSE, SQL_RES_CLOSE);
    if (!s)
        return CM_EDB;
    oci_store_bind_text(s, 1, org);
    oci_store_bind_text(s, 2, id);
    oci_store_bind_text(s, 3, status);
    sqlite3_bind_int64(s, 4, now_ms);
    return oci_store_run(writer, s);
}

cm_err oci_store_reservation_line_add(oci_store_conn *writer, const char *org, const char *id,
                                      const char *place_type, const char *place_id, const char *sku,
                                      int64_t quantity)
{
    sqlite3_stmt *s = oci_store_prepare(writer, R_LINE_ADD, SQL_LINE_ADD);
    if (!s)
        return CM_EDB;
    oci_store_bind_text(s, 1, org);
    oci_store_bind_text(s, 2, id);
    oci_store_bind_text(s, 3, place_type);
    oci_store_bind_text(s, 4, place_id);
    oci_store_bind_text(s, 5, sku);
    sqlite3_bind_int64(s, 6, quantity);
    return oci_store_run(writer, s);
}

cm_err oci_store_reservation_lines_scan(oci_store_conn *conn, const char *org, const char *id,
                                        oci_reservation_line_visitor visit, void *context)
{
    sqlite3_stmt *s = oci_store_prepare(conn, R_LINES_SCAN, SQL_LINES_SCAN);
    if (!s)
        return CM_EDB;
    oci_store_bind_text(s, 1, org);
    oci_store_bind_text(s, 2, id);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (visit(context, (const char *)sqlite3_column_text(s, 0), (const char *)sqlite3_column_text(s, 1),
                  (const char *)sqlite3_column_text(s, 2), sqlite3_column_int64(s, 3))) {
            rc = SQLITE_DONE;
            break;
        }
    }
    return oci_store_finish(conn, s, rc);
}

cm_err oci_store_reservation_next_expired(oci_store_conn *conn, int64_t now_ms, char org[OCI_ORG_MAX + 1],
                                          char id[OCI_RESERVATION_ID_MAX + 1], int *found)
{
    sqlite3_stmt *s = oci_store_prepare(conn, R_RES_EXPIRED, SQL_RES_EXPIRED);
    if (!s)
        return CM_EDB;
    sqlite3_bind_int64(s, 1, now_ms);
    int rc = sqlite3_step(s);
    *found = rc == SQLITE_ROW;
    if (rc == SQLITE_ROW) {
        oci_store_column_text(s, 0, org, OCI_ORG_MAX + 1);
        oci_store_column_text(s, 1, id, OCI_RESERVATION_ID_MAX + 1);
    }
    return oci_store_finish(conn, s, rc);
}

cm_err oci_store_operation_get(oci_store_conn *conn, const char *org, const char *kind, const char *op_id,
                               const char *sku, char fingerprint[OCI_FINGERPRINT_MAX + 1], int *found)
{
    sqlite3_stmt *s = oci_store_prepare(conn, R_OP_GET, SQL_OP_GET);
    if (!s)
        return CM_EDB;
    oci_store_bind_text(s, 1, org);
    oci_store_bind_text(s, 2, kind);
    oci_store_bind_text(s, 3, op_id);
    oci_store_bind_text(s, 4, sku);
    int rc = sqlite3_step(s);
    *found = rc == SQLITE_ROW;
    if (rc == SQLITE_ROW)
        oci_store_column_text(s, 0, fingerprint, OCI_FINGERPRINT_MAX + 1);
    return oci_store_finish(conn, s, rc);
}

cm_err oci_store_operation_add(oci_store_conn *writer, const char *org, const char *kind, const char *op_id,
                               const char *sku, const char *fingerprint, int64_t now_ms)
{
    sqlite3_stmt *s = oci_store_prepare(writer, R_OP_ADD, SQL_OP_ADD);
    if (!s)
        return CM_EDB;
    oci_store_bind_text(s, 1, org);
    oci_store_bind_text(s, 2, kind);
    oci_store_bind_text(s, 3, op_id);
    oci_store_bind_text(s, 4, sku);
    oci_store_bind_text(s, 5, fingerprint);
    sqlite3_bind_int64(s, 6, now_ms);
    return oci_store_run(writer, s);
}

cm_err oci_store_savepoint(oci_store_conn *writer)
{
    return oci_store_exec(writer, "SAVEPOINT oci_set");
}

cm_err oci_store_savepoint_release(oci_store_conn *writer)
{
    return oci_store_exec(writer, "RELEASE oci_set");
}

cm_err oci_store_savepoint_rollback(oci_store_conn *writer)
{
    cm_err rc = oci_store_exec(writer, "ROLLBACK TO oci_set");
    return rc == CM_OK ? oci_store_exec(writer, "RELEASE oci_set") : rc;
}
