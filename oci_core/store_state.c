/*
 * store_state.c - the store's side of the emulator's state snapshots and resets (store.h,
 * "state"): every row an organization holds, table by table, as JSON objects keyed by column
 * name, and back. Generic over the schema on purpose: a column added by a later migration is
 * carried without touching this file, and a snapshot naming a column this schema lacks is refused
 * by name instead of silently dropped.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci_core/store_internal.h"

typedef struct state_table {
    const char *name;
    const char *where; /* selects the organization's rows; ?1 is the organization */
} state_table;

/* Parents before children, so a load never refers to a row not yet there. */
static const state_table TABLES[] = {
    {"records", "org = ?1"},
    {"events", "org = ?1"},
    {"applied_ids", "org = ?1"},
    {"applied_batches", "org = ?1"},
    {"imports", "org = ?1"},
    {"import_errors", "import_id IN (SELECT id FROM imports WHERE org = ?1)"},
    {"exports", "org = ?1"},
    {"delta_tokens", "org = ?1"},
    {"group_reserved", "org = ?1"},
    {"reservations", "org = ?1"},
    {"reservation_lines", "org = ?1"},
    {"operation_ids", "org = ?1"},
};
#define TABLE_COUNT (sizeof TABLES / sizeof TABLES[0])

const char *oci_store_state_table(size_t index)
{
    return index < TABLE_COUNT ? TABLES[index].name : NULL;
}

static cm_err prepare(sqlite3 *db, const char *sql, sqlite3_stmt **statement)
{
    int rc = sqlite3_prepare_v2(db, sql, -1, statement, NULL);
    return rc == SQLITE_OK ? CM_OK : rc == SQLITE_NOMEM ? CM_ENOMEM : CM_EDB;
}

/* Connections run with extended result codes (common/db.c): SQLITE_CONSTRAINT_CHECK and the like are
 * told apart by their primary code. */
static cm_err step_error(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_NOMEM: return CM_ENOMEM;
    case SQLITE_FULL: return CM_EFULL;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return CM_EBUSY;
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH: return CM_EINVAL;
    default: return CM_EDB;
    }
}

static json_object *column_json(sqlite3_stmt *statement, int column)
{
    switch (sqlite3_column_type(statement, column)) {
    case SQLITE_INTEGER: return json_object_new_int64(sqlite3_column_int64(statement, column));
    case SQLITE_FLOAT: return json_object_new_double(sqlite3_column_double(statement, column));
    case SQLITE_NULL: return NULL;
    default:
        return json_object_new_string_len((const char *)sqlite3_column_text(statement, column),
                                          sqlite3_column_bytes(statement, column));
    }
}

cm_err oci_store_state_dump(oci_store_conn *conn, const char *org, json_object *tables, int64_t *rows)
{
    sqlite3 *db = oci_store_db(conn);
    cm_err rc = CM_OK;
    for (size_t t = 0; rc == CM_OK && t < TABLE_COUNT; t++) {
        char sql[256];
        snprintf(sql, sizeof sql, "SELECT * FROM %s WHERE %s", TABLES[t].name, TABLES[t].where);
        sqlite3_stmt *statement = NULL;
        rc = prepare(db, sql, &statement);
        json_object *list = rc == CM_OK ? json_object_new_array() : NULL;
        if (rc == CM_OK && !list)
            rc = CM_ENOMEM;
        if (rc == CM_OK)
            sqlite3_bind_text(statement, 1, org, -1, SQLITE_TRANSIENT);
        int step = SQLITE_DONE;
        while (rc == CM_OK && (step = sqlite3_step(statement)) == SQLITE_ROW) {
            json_object *row = json_object_new_object();
            if (!row) {
                rc = CM_ENOMEM;
                break;
            }
            for (int c = 0; c < sqlite3_column_count(statement); c++)
                json_object_object_add(row, sqlite3_column_name(statement, c), column_json(statement, c));
            json_object_array_add(list, row);
            (*rows)++;
        }
        if (rc == CM_OK && step != SQLITE_DONE)
            rc = step_error(step);
        sqlite3_finalize(statement);
        if (rc == CM_OK)
            json_object_object_add(tables, TABLES[t].name, list);
        else
            json_object_put(list);
    }
    return rc;
}

cm_err oci_store_state_delete(oci_store_conn *writer, const char *org, oci_path_visitor visit, void *context)
{
    sqlite3 *db = oci_store_db(writer);
    static const char *const FILES =
        "SELECT upload_path FROM imports WHERE org = ?1 AND upload_path <> ''"
        " UNION ALL SELECT file_path FROM exports WHERE org = ?1 AND file_path <> ''";
    sqlite3_stmt *statement = NULL;
    cm_err rc = prepare(db, FILES, &statement);
    int step = SQLITE_DONE;
    if (rc == CM_OK) {
        sqlite3_bind_text(statement, 1, org, -1, SQLITE_TRANSIENT);
        while ((step = sqlite3_step(statement)) == SQLITE_ROW)
            if (visit)
                visit(context, (const char *)sqlite3_column_text(statement, 0));
        if (step != SQLITE_DONE)
            rc = step_error(step);
    }
    sqlite3_finalize(statement);
    /* Children first: import_errors finds its rows through imports. */
    for (size_t t = TABLE_COUNT; rc == CM_OK && t-- > 0;) {
        char sql[256];
        snprintf(sql, sizeof sql, "DELETE FROM %s WHERE %s", TABLES[t].name, TABLES[t].where);
        rc = prepare(db, sql, &statement);
        if (rc == CM_OK) {
            sqlite3_bind_text(statement, 1, org, -1, SQLITE_TRANSIENT);
            step = sqlite3_step(statement);
            if (step != SQLITE_DONE)
                rc = step_error(step);
        }
        sqlite3_finalize(statement);
    }
    if (rc == CM_OK) {
        rc = prepare(db, "DELETE FROM graphs WHERE org = ?1", &statement);
        if (rc == CM_OK) {
            sqlite3_bind_text(statement, 1, org, -1, SQLITE_TRANSIENT);
            step = sqlite3_step(statement);
            if (step != SQLITE_DONE)
                rc = step_error(step);
        }
        sqlite3_finalize(statement);
    }
    return rc;
}

/* 1 when `column` is a column of `table` (PRAGMA table_info). */
static int has_column(sqlite3 *db, const char *table, const char *column)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT 1 FROM pragma_table_info('%s') WHERE name = ?1", table);
    sqlite3_stmt *statement = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &statement, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_text(statement, 1, column, -1, SQLITE_TRANSIENT);
    int found = sqlite3_step(statement) == SQLITE_ROW;
    sqlite3_finalize(statement);
    return found;
}

#define SAY(...) snprintf(error, OCI_ERROR_MAX, __VA_ARGS__)

#define SEQ_MAX 1000000000000000LL /* event numbers a snapshot may carry: no overflow when shifted */

/* 1 when `column` of `table` holds an event sequence number (shifted by load_row). */
static int is_seq_column(const char *table, const char *column)
{
    return (strcmp(table, "events") == 0 && strcmp(column, "seq") == 0) ||
           (strcmp(table, "delta_tokens") == 0 && strcmp(column, "after_seq") == 0);
}

static cm_err load_row(sqlite3 *db, const char *table, size_t index, json_object *row, const char *org,
                       int64_t seq_offset, char error[OCI_ERROR_MAX])
{
    if (!json_object_is_type(row, json_type_object) || json_object_object_length(row) == 0) {
        SAY("tables.%s[%zu] must be a non-empty object of columns", table, index);
        return CM_EINVAL;
    }
    if (strcmp(table, "import_errors") == 0) {
        /* import_errors has no org column: its import must be one of this organization's. */
        json_object *id = NULL;
        sqlite3_stmt *check = NULL;
        int owned = 0;
        if (json_object_object_get_ex(row, "import_id", &id) && json_object_is_type(id, json_type_string) &&
            prepare(db, "SELECT 1 FROM imports WHERE id = ?1 AND org = ?2", &check) == CM_OK) {
            sqlite3_bind_text(check, 1, json_object_get_string(id), -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(check, 2, org, -1, SQLITE_TRANSIENT);
            owned = sqlite3_step(check) == SQLITE_ROW;
        }
        sqlite3_finalize(check);
        if (!owned) {
            SAY("tables.import_errors[%zu].import_id must name an import of tables.imports", index);
            return CM_EINVAL;
        }
    }
    char sql[4096];
    size_t used = (size_t)snprintf(sql, sizeof sql, "INSERT INTO %s (", table);
    int columns = 0;
    json_object_object_foreach(row, key, value) {
        if (!has_column(db, table, key)) {
            SAY("tables.%s[%zu]: \"%.80s\" is not a column of %s in this version", table, index, key, table);
            return CM_EINVAL;
        }
        if (value && (json_object_is_type(value, json_type_object) || json_object_is_type(value, json_type_array))) {
            SAY("tables.%s[%zu].%.80s must be a number, a string or null", table, index, key);
            return CM_EINVAL;
        }
        if (is_seq_column(table, key) && (!json_object_is_type(value, json_type_int) ||
                                           json_object_get_int64(value) < 0 || json_object_get_int64(value) > SEQ_MAX)) {
            SAY("tables.%s[%zu].%s must be a whole number 0..%lld", table, index, key, SEQ_MAX);
            return CM_EINVAL;
        }
        if (strcmp(key, "org") == 0 &&
            (!json_object_is_type(value, json_type_string) || strcmp(json_object_get_string(value), org) != 0)) {
            SAY("tables.%s[%zu].org must be \"%.100s\", the organization being imported", table, index, org);
            return CM_EINVAL;
        }
        used += (size_t)snprintf(sql + used, sizeof sql - used, "%s\"%s\"", columns ? ", " : "", key);
        columns++;
        if (used >= sizeof sql - 64) {
            SAY("tables.%s[%zu] has too many columns", table, index);
            return CM_EINVAL;
        }
    }
    used += (size_t)snprintf(sql + used, sizeof sql - used, ") VALUES (");
    for (int c = 0; c < columns && used < sizeof sql - 8; c++)
        used += (size_t)snprintf(sql + used, sizeof sql - used, "%s?", c ? ", " : "");
    snprintf(sql + used, sizeof sql - used, ")");
    sqlite3_stmt *statement = NULL;
    cm_err rc = prepare(db, sql, &statement);
    if (rc != CM_OK) {
        SAY("tables.%s[%zu]: %s", table, index, sqlite3_errmsg(db));
        return rc == CM_ENOMEM ? rc : CM_EINVAL;
    }
    int position = 1;
    json_object_object_foreach(row, name, item) {
        if (!item)
            sqlite3_bind_null(statement, position);
        else if (json_object_is_type(item, json_type_int) && is_seq_column(table, name))
            sqlite3_bind_int64(statement, position, json_object_get_int64(item) + seq_offset);
        else if (json_object_is_type(item, json_type_int) || json_object_is_type(item, json_type_boolean))
            sqlite3_bind_int64(statement, position, json_object_get_int64(item));
        else if (json_object_is_type(item, json_type_double))
            sqlite3_bind_double(statement, position, json_object_get_double(item));
        else
            sqlite3_bind_text(statement, position, json_object_get_string(item), json_object_get_string_len(item),
                              SQLITE_TRANSIENT);
        position++;
    }
    int step = sqlite3_step(statement);
    if (step != SQLITE_DONE) {
        rc = step_error(step);
        SAY("tables.%s[%zu]: %s", table, index, sqlite3_errmsg(db));
    }
    sqlite3_finalize(statement);
    return rc;
}

/*
 * Event sequence numbers are global to the file while a snapshot holds one organization's: when
 * the events already here (other organizations') reach the snapshot's lowest number, the
 * snapshot's events and its delta tokens' positions move up together by one offset, which keeps
 * every token pointing between the same two events of its organization.
 */
static cm_err seq_offset(sqlite3 *db, json_object *tables, int64_t *offset)
{
    *offset = 0;
    json_object *events = NULL;
    if (!json_object_object_get_ex(tables, "events", &events) || !json_object_is_type(events, json_type_array))
        return CM_OK;
    int64_t lowest = INT64_MAX;
    for (size_t i = 0; i < json_object_array_length(events); i++) {
        json_object *seq = NULL;
        if (json_object_object_get_ex(json_object_array_get_idx(events, i), "seq", &seq) &&
            json_object_is_type(seq, json_type_int) && json_object_get_int64(seq) >= 0 &&
            json_object_get_int64(seq) <= SEQ_MAX && json_object_get_int64(seq) < lowest)
            lowest = json_object_get_int64(seq);
    }
    if (lowest == INT64_MAX)
        return CM_OK;
    sqlite3_stmt *statement = NULL;
    cm_err rc = prepare(db, "SELECT COALESCE(MAX(seq), 0) FROM events", &statement);
    if (rc != CM_OK)
        return rc;
    int step = sqlite3_step(statement);
    if (step == SQLITE_ROW) {
        int64_t highest = sqlite3_column_int64(statement, 0);
        if (highest >= lowest)
            *offset = highest - lowest + 1;
    } else {
        rc = step_error(step);
    }
    sqlite3_finalize(statement);
    return rc;
}

cm_err oci_store_state_load(oci_store_conn *writer, const char *org, json_object *tables, char error[OCI_ERROR_MAX])
{
    sqlite3 *db = oci_store_db(writer);
    json_object_object_foreach(tables, key, unused) {
        (void)unused;
        size_t t = 0;
        while (t < TABLE_COUNT && strcmp(TABLES[t].name, key) != 0)
            t++;
        if (t == TABLE_COUNT) {
            SAY("tables.%.80s is not a table of this version", key);
            return CM_EINVAL;
        }
    }
    int64_t offset = 0;
    cm_err rc = seq_offset(db, tables, &offset);
    for (size_t t = 0; rc == CM_OK && t < TABLE_COUNT; t++) {
        json_object *list = NULL;
        if (!json_object_object_get_ex(tables, TABLES[t].name, &list))
            continue;
        if (!json_object_is_type(list, json_type_array)) {
            SAY("tables.%s must be an array of rows", TABLES[t].name);
            return CM_EINVAL;
        }
        for (size_t i = 0; rc == CM_OK && i < json_object_array_length(list); i++)
            rc = load_row(db, TABLES[t].name, i, json_object_array_get_idx(list, i), org, offset, error);
    }
    return rc;
}

cm_err oci_store_import_running(oci_store_conn *conn, const char *org, char id[OCI_ID_MAX + 1], int *busy)
{
    *busy = 0;
    id[0] = '\0';
    sqlite3_stmt *statement = NULL;
    cm_err rc = prepare(oci_store_db(conn),
                        "SELECT id FROM imports WHERE org = ?1 AND status IN ('PENDING','RUNNING') LIMIT 1", &statement);
    if (rc != CM_OK)
        return rc;
    sqlite3_bind_text(statement, 1, org, -1, SQLITE_TRANSIENT);
    int step = sqlite3_step(statement);
    if (step == SQLITE_ROW) {
        *busy = 1;
        oci_store_column_text(statement, 0, id, OCI_ID_MAX + 1);
    } else if (step != SQLITE_DONE) {
        rc = step_error(step);
    }
    sqlite3_finalize(statement);
    return rc;
}

cm_err oci_store_state_counts(oci_store_conn *conn, const char *org, json_object *counts)
{
    sqlite3 *db = oci_store_db(conn);
    cm_err rc = CM_OK;
    for (size_t t = 0; rc == CM_OK && t < TABLE_COUNT; t++) {
        char sql[256];
        snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM %s WHERE %s", TABLES[t].name, TABLES[t].where);
        sqlite3_stmt *statement = NULL;
        rc = prepare(db, sql, &statement);
        if (rc != CM_OK)
            break;
        sqlite3_bind_text(statement, 1, org, -1, SQLITE_TRANSIENT);
        int step = sqlite3_step(statement);
        if (step == SQLITE_ROW)
            json_object_object_add(counts, TABLES[t].name, json_object_new_int64(sqlite3_column_int64(statement, 0)));
        else
            rc = step_error(step);
        sqlite3_finalize(statement);
    }
    return rc;
}
