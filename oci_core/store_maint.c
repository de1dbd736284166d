/* store_maint.c - the store's maintenance side (store.h, "maintenance, graphs and the event log"):
 * pruning in batches, the persisted location graph, and the event log's reads through its one
 * index: one SKU's events for the event-log export, and a record as it was a moment ago. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci_core/store_internal.h"

#define JOB_BATCH 100 /* imports or exports removed per prune call */

enum {
    M_GRAPH_GET = OCI_STORE_SLOTS_MAINT,
    M_GRAPH_PUT,
    M_IMPORTS_OLD,
    M_EXPORTS_OLD,
    M_TOKENS_DELETE,
    M_EVENTS_DELETE,
    M_APPLIED_DELETE,
    M_OPS_DELETE,
    M_LINES_DELETE,
    M_RESERVATIONS_DELETE,
    M_EVENTS_OF_SKU,
    M_BATCHES_DELETE,
    M_BUCKET_BEFORE,
    M_BUCKET_FIRST_CREATED,
    M_CHANGE_IN_BUCKET,
    M_IDS_WINDOW_END,
    M_IDS_DELETE_UPTO,
    M_IDS_DELETE_REST,
};

static const char *const SQL_GRAPH_GET = "SELECT graph FROM graphs WHERE org = ?1";
static const char *const SQL_GRAPH_PUT = "INSERT INTO graphs (org, graph, replaced_ms) VALUES (?1, ?2, ?3)"
                                         " ON CONFLICT (org) DO UPDATE SET graph = excluded.graph,"
                                         " replaced_ms = excluded.replaced_ms";
static const char *const SQL_IMPORTS_OLD =
    "SELECT id, upload_path FROM imports WHERE (status IN ('COMPLETED','FAILED') AND ended_ms < ?1)"
    " OR (status = 'WAITING' AND link_expires_ms < ?2) LIMIT ?3";
static const char *const SQL_EXPORTS_OLD = "SELECT id, file_path FROM exports WHERE status IN ('COMPLETED','FAILED')"
                                           " AND expires_ms < ?1 LIMIT ?2";
static const char *const SQL_TOKENS_DELETE =
    "DELETE FROM delta_tokens WHERE token IN (SELECT token FROM delta_tokens WHERE created_ms < ?1 LIMIT ?2)";
/* Events have no time index (one index per event row, store.c migration 3): the oldest events are
 * the first in seq order, so a batch is the events before the first one young enough to keep. An
 * old event behind a younger one (a clock set back) waits until that one is old too. */
static const char *const SQL_EVENTS_DELETE =
    "DELETE FROM events WHERE seq IN (SELECT seq FROM events NOT INDEXED WHERE seq <"
    " coalesce((SELECT seq FROM events NOT INDEXED WHERE created_ms >= ?1 ORDER BY seq LIMIT 1),"
    " 9223372036854775807) ORDER BY seq LIMIT ?2)";
static const char *const SQL_BATCHES_DELETE =
    "DELETE FROM applied_batches WHERE (org, batch_key) IN"
    " (SELECT org, batch_key FROM applied_batches WHERE applied_ms < ?1 LIMIT ?2)";
/* applied_ids has no time index (store.c, migration 5: one B-tree write less per id an import or
 * an HTTP route claims): it is walked in key order, a window of `batch` keys per call from the
 * caller's cursor, deleting the old ids in the window. The walk starts after ('', ''), the
 * smallest key there is (no organization id is empty). */
static const char *const SQL_IDS_WINDOW_END =
    "SELECT org, record_id FROM applied_ids WHERE (org, record_id) > (?1, ?2) ORDER BY org, record_id"
    " LIMIT 1 OFFSET ?3";
static const char *const SQL_IDS_DELETE_UPTO =
    "DELETE FROM applied_ids WHERE (org, record_id) > (?1, ?2) AND (org, record_id) <= (?3, ?4)"
    " AND applied_ms < ?5";
static const char *const SQL_IDS_DELETE_REST =
    "DELETE FROM applied_ids WHERE (org, record_id) > (?1, ?2) AND applied_ms < ?3";
static const char *const SQL_OPS_DELETE =
    "DELETE FROM operation_ids WHERE (org, kind, op_id, sku) IN"
    " (SELECT org, kind, op_id, sku FROM operation_ids WHERE applied_ms < ?1 LIMIT ?2)";
static const char *const SQL_LINES_DELETE =
    "DELETE FROM reservation_lines WHERE (org, reservation_id) IN"
    " (SELECT org, id FROM reservations WHERE status <> 'OPEN' AND closed_ms < ?1 LIMIT ?2)";
static const char *const SQL_RESERVATIONS_DELETE =
    "DELETE FROM reservations WHERE (org, id) IN"
    " (SELECT org, id FROM reservations WHERE status <> 'OPEN' AND closed_ms < ?1 LIMIT ?2)";
/* events_by_bucket (store.c, migration 4) leads with (org, seq >> 12): the organization's buckets
 * are listed by skipping from one to the next (one seek each), and the SKU is sought in each. An
 * IN over that list, not a join: SQLite 3.40 (Debian 12's) returns no rows when a recursive CTE is
 * joined to this expression index. */
static const char *const SQL_EVENTS_OF_SKU =
    "SELECT seq, created_ms, place_type, location, event_type, effective_ms, old_on_hand, new_on_hand,"
    " old_reserved, new_reserved, old_safety_stock, new_safety_stock, old_atf, new_atf, old_ato, new_ato,"
    " new_futures FROM events AS e INDEXED BY events_by_bucket WHERE e.org = ?1 AND e.sku = ?2"
    " AND e.seq >> 12 IN (WITH RECURSIVE b(x) AS ("
    "  SELECT (SELECT seq >> 12 FROM events INDEXED BY events_by_bucket WHERE org = ?1"
    "          ORDER BY seq >> 12 LIMIT 1)"
    "  UNION ALL SELECT (SELECT seq >> 12 FROM events INDEXED BY events_by_bucket WHERE org = ?1"
    "          AND seq >> 12 > b.x ORDER BY seq >> 12 LIMIT 1) FROM b WHERE b.x IS NOT NULL)"
    " SELECT x FROM b WHERE x IS NOT NULL)"
    " AND e.created_ms >= ?3 AND e.created_ms < ?4"
    " ORDER BY e.place_type DESC, e.location, e.seq";
/* The as-of read walks the organization's buckets from the newest down (see there). */
static const char *const SQL_BUCKET_BEFORE = "SELECT seq >> 12 FROM events INDEXED BY events_by_bucket"
                                             " WHERE org = ?1 AND seq >> 12 < ?2 ORDER BY seq >> 12 DESC LIMIT 1";
static const char *const SQL_BUCKET_FIRST_CREATED =
    "SELECT created_ms FROM events WHERE seq >= (?1 << 12) ORDER BY seq LIMIT 1";
static const char *const SQL_CHANGE_IN_BUCKET =
    "SELECT old_on_hand, old_reserved, old_safety_stock, NULL, old_futures FROM events INDEXED BY events_by_bucket"
    " WHERE org = ?1 AND seq >> 12 = ?2 AND sku = ?3 AND location = ?4 AND place_type = 'location'"
    " AND created_ms > ?5 ORDER BY seq LIMIT 1";

cm_err oci_store_graph_get(oci_store_conn *conn, const char *org, char **json)
{
    *json = NULL;
    sqlite3_stmt *s = oci_store_prepare(conn, M_GRAPH_GET, SQL_GRAPH_GET);
    if (!s)
        return CM_EDB;
    oci_store_bind_text(s, 1, org);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        const unsigned char *text = sqlite3_column_text(s, 0);
        *json = strdup(text ? (const char *)text : "");
        if (!*json) {
            oci_store_finish(conn, s, SQLITE_DONE);
            return CM_ENOMEM;
        }
    }
    return oci_store_finish(conn, s, rc);
}

cm_err oci_store_graph_put(oci_store_conn *writer, const char *org, const char *json, int64_t now_ms)
{
    sqlite3_stmt *s = oci_store_prepare(writer, M_GRAPH_PUT, SQL_GRAPH_PUT);
    if (!s)
        return CM_EDB;
    oci_store_bind_text(s, 1, org);
    oci_store_bind_text(s, 2, json);
    sqlite3_bind_int64(s, 3, now_ms);
    return oci_store_run(writer, s);
}

typedef struct job_ids {
    char ids[JOB_BATCH][OCI_ID_MAX + 1];
    size_t count;
} job_ids;

/* Collects up to JOB_BATCH ids of old jobs (column 0), reporting their files (column 1). */
static cm_err collect_jobs(oci_store_conn *writer, sqlite3_stmt *s, job_ids *jobs, oci_path_visitor files,
                           void *context)
{
    int rc;
    jobs->count = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW && jobs->count < JOB_BATCH) {
        oci_store_column_text(s, 0, jobs->ids[jobs->count], sizeof jobs->ids[0]);
        const unsigned char *path = sqlite3_column_text(s, 1);
        if (files && path && path[0])
            files(context, (const char *)path);
        jobs->count++;
    }
    return oci_store_finish(writer, s, rc == SQLITE_ROW ? SQLITE_DONE : rc);
}

static cm_err delete_before(oci_store_conn *writer, int slot, const char *sql, int64_t before_ms, size_t batch,
                            int64_t *removed)
{
    sqlite3_stmt *s = oci_store_prepare(writer, slot, sql);
    if (!s)
        return CM_EDB;
    sqlite3_bind_int64(s, 1, before_ms);
    sqlite3_bind_int64(s, 2, (int64_t)batch);
    cm_err rc = oci_store_run(writer, s);
    if (rc == CM_OK)
        *removed += oci_store_changes(writer);
    return rc;
}

cm_err oci_store_prune_ids(oci_store_conn *writer, oci_id_walk *walk, int64_t before_ms, size_t batch,
                           int64_t *removed)
{
    *removed = 0;
    if (batch < 1)
        batch = 1;
    if (!walk->started) {
        walk->org[0] = walk->record_id[0] = '\0';
        walk->started = 1;
    }
    sqlite3_stmt *s = oci_store_prepare(writer, M_IDS_WINDOW_END, SQL_IDS_WINDOW_END);
    if (!s)
        return CM_EDB;
    oci_store_bind_text(s, 1, walk->org);
    oci_store_bind_text(s, 2, walk->record_id);
    sqlite3_bind_int64(s, 3, (int64_t)batch - 1);
    char end_org[sizeof walk->org], end_id[sizeof walk->record_id];
    int rc = sqlite3_step(s), has_end = rc == SQLITE_ROW;
    if (has_end) {
        oci_store_column_text(s, 0, end_org, sizeof end_org);
        oci_store_column_text(s, 1, end_id, sizeof end_id);
    }
    cm_err err = oci_store_finish(writer, s, has_end ? SQLITE_DONE : rc);
    if (err != CM_OK)
        return err;
    s = has_end ? oci_store_prepare(writer, M_IDS_DELETE_UPTO, SQL_IDS_DELETE_UPTO)
                : oci_store_prepare(writer, M_IDS_DELETE_REST, SQL_IDS_DELETE_REST);
    if (!s)
        return CM_EDB;
    oci_store_bind_text(s, 1, walk->org);
    oci_store_bind_text(s, 2, walk->record_id);
    if (has_end) {
        oci_store_bind_text(s, 3, end_org);
        oci_store_bind_text(s, 4, end_id);
        sqlite3_bind_int64(s, 5, before_ms);
    } else {
        sqlite3_bind_int64(s, 3, before_ms);
    }
    err = oci_store_run(writer, s);
    if (err != CM_OK)
        return err;
    *removed = oci_store_changes(writer);
    if (has_end) {
        /* A key longer than the cursor holds (only a restored state could carry one) is cut; the
         * next window then starts just before it and takes it again, which is harmless. */
        memcpy(walk->org, end_org, sizeof end_org);
        memcpy(walk->record_id, end_id, sizeof end_id);
    } else {
        walk->started = 0;
        walk->laps++;
    }
    return CM_OK;
}

cm_err oci_store_prune(oci_store_conn *writer, const oci_prune_limits *limits, oci_path_visitor files,
                       void *context, int64_t *removed)
{
    *removed = 0;
    job_ids *jobs = malloc(sizeof *jobs);
    if (!jobs)
        return CM_ENOMEM;
    sqlite3_stmt *s = oci_store_prepare(writer, M_IMPORTS_OLD, SQL_IMPORTS_OLD);
    cm_err rc = s ? CM_OK : CM_EDB;
    if (rc == CM_OK) {
        sqlite3_bind_int64(s, 1, limits->finished_before_ms);
        sqlite3_bind_int64(s, 2, limits->waiting_before_ms);
        sqlite3_bind_int64(s, 3, JOB_BATCH);
        rc = collect_jobs(writer, s, jobs, files, context);
    }
    for (size_t i = 0; rc == CM_OK && i < jobs->count; i++, (*removed)++)
        rc = oci_store_import_delete(writer, jobs->ids[i]);
    if (rc == CM_OK) {
        s = oci_store_prepare(writer, M_EXPORTS_OLD, SQL_EXPORTS_OLD);
        rc = s ? CM_OK : CM_EDB;
    }
    if (rc == CM_OK) {
        sqlite3_bind_int64(s, 1, limits->now_ms);
        sqlite3_bind_int64(s, 2, JOB_BATCH);
        rc = collect_jobs(writer, s, jobs, files, context);
    }
    for (size_t i = 0; rc == CM_OK && i < jobs->count; i++, (*removed)++)
        rc = oci_store_export_delete(writer, jobs->ids[i]);
    free(jobs);
    if (rc == CM_OK)
        rc = delete_before(writer, M_TOKENS_DELETE, SQL_TOKENS_DELETE, limits->tokens_before_ms, limits->batch, removed);
    if (rc == CM_OK)
        rc = delete_before(writer, M_EVENTS_DELETE, SQL_EVENTS_DELETE, limits->events_before_ms, limits->batch, removed);
    if (rc == CM_OK)
        rc = delete_before(writer, M_BATCHES_DELETE, SQL_BATCHES_DELETE, limits->ids_before_ms, limits->batch,
                           removed);
    if (rc == CM_OK)
        rc = delete_before(writer, M_OPS_DELETE, SQL_OPS_DELETE, limits->ids_before_ms, limits->batch, removed);
    if (rc == CM_OK)
        rc = delete_before(writer, M_LINES_DELETE, SQL_LINES_DELETE, limits->closed_before_ms, limits->batch, removed);
    if (rc == CM_OK)
        rc = delete_before(writer, M_RESERVATIONS_DELETE, SQL_RESERVATIONS_DELETE, limits->closed_before_ms,
                           limits->batch, removed);
    return rc;
}

/* Sums the futures text "expected_ms:quantity;…" of an event. */
static int64_t futures_total(const char *text)
{
    int64_t total = 0;
    while (text && *text) {
        char *end;
        strtoll(text, &end, 10);
        if (*end != ':')
            break;
        total += strtoll(end + 1, &end, 10);
        text = *end == ';' ? end + 1 : end;
    }
    return total;
}

cm_err oci_store_events_of_sku(oci_store_conn *conn, const char *org, const char *sku, int64_t from_ms,
                               int64_t to_ms, oci_event_row_visitor visit, void *context)
{
    sqlite3_stmt *s = oci_store_prepare(conn, M_EVENTS_OF_SKU, SQL_EVENTS_OF_SKU);
    if (!s)
        return CM_EDB;
    oci_store_bind_text(s, 1, org);
    oci_store_bind_text(s, 2, sku);
    sqlite3_bind_int64(s, 3, from_ms);
    sqlite3_bind_int64(s, 4, to_ms);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        oci_event_row event;
        memset(&event, 0, sizeof event);
        event.seq = sqlite3_column_int64(s, 0);
        event.created_ms = sqlite3_column_int64(s, 1);
        oci_store_column_text(s, 2, event.place_type, sizeof event.place_type);
        oci_store_column_text(s, 3, event.place, sizeof event.place);
        oci_store_column_text(s, 4, event.event_type, sizeof event.event_type);
        if (sqlite3_column_type(s, 5) != SQLITE_NULL) {
            event.has_effective_date = 1;
            event.effective_ms = sqlite3_column_int64(s, 5);
        }
        int64_t *fields[] = {&event.old_on_hand, &event.new_on_hand, &event.old_reserved, &event.new_reserved,
                             &event.old_safety_stock, &event.new_safety_stock, &event.old_atf, &event.new_atf,
                             &event.old_ato, &event.new_ato};
        for (int i = 0; i < 10; i++)
            *fields[i] = sqlite3_column_int64(s, 6 + i);
        event.new_futures_total = futures_total((const char *)sqlite3_column_text(s, 16));
        if (visit(context, &event)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    return oci_store_finish(conn, s, rc);
}

/* The organization's newest bucket before `before` (none: *bucket = -1). */
static cm_err bucket_before(oci_store_conn *conn, const char *org, int64_t before, int64_t *bucket)
{
    sqlite3_stmt *s = oci_store_prepare(conn, M_BUCKET_BEFORE, SQL_BUCKET_BEFORE);
    if (!s)
        return CM_EDB;
    oci_store_bind_text(s, 1, org);
    sqlite3_bind_int64(s, 2, before);
    int rc = sqlite3_step(s);
    *bucket = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
    return oci_store_finish(conn, s, rc);
}

/* When the bucket's first remaining event (of any organization) was written. */
static cm_err bucket_first_created(oci_store_conn *conn, int64_t bucket, int64_t *created_ms)
{
    sqlite3_stmt *s = oci_store_prepare(conn, M_BUCKET_FIRST_CREATED, SQL_BUCKET_FIRST_CREATED);
    if (!s)
        return CM_EDB;
    sqlite3_bind_int64(s, 1, bucket);
    int rc = sqlite3_step(s);
    *created_ms = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : INT64_MIN;
    return oci_store_finish(conn, s, rc);
}

/* The old figures of the location record's first change in `bucket` written after `after_ms`. */
static cm_err change_in_bucket(oci_store_conn *conn, const char *org, const char *location, const char *sku,
                               int64_t bucket, int64_t after_ms, oci_quantities *old_values, int *found)
{
    sqlite3_stmt *s = oci_store_prepare(conn, M_CHANGE_IN_BUCKET, SQL_CHANGE_IN_BUCKET);
    if (!s)
        return CM_EDB;
    oci_store_bind_text(s, 1, org);
    sqlite3_bind_int64(s, 2, bucket);
    oci_store_bind_text(s, 3, sku);
    oci_store_bind_text(s, 4, location);
    sqlite3_bind_int64(s, 5, after_ms);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        oci_store_read_record(s, 0, old_values);
        *found = 1;
    }
    return oci_store_finish(conn, s, rc);
}

cm_err oci_store_record_get_as_of(oci_store_conn *conn, const char *org, const char *location, const char *sku,
                                  int64_t as_of_ms, oci_quantities *out, int *exists)
{
    cm_err rc = oci_store_record_get(conn, org, location, sku, out, exists);
    if (rc != CM_OK)
        return rc;
    /* The first change after the moment holds, in its old figures, what the record was then. The
     * organization's buckets are walked from the newest down, each older find replacing the
     * newer, until a bucket that began at or before the moment: the buckets before it were
     * written before the moment too (a moment is at most oci.propagationDelayMs ago, so the walk
     * is one bucket or a few). A clock set back can hide a change behind that bucket, as it
     * delays the pruning (above). */
    oci_quantities then;
    memset(&then, 0, sizeof then);
    int found = 0;
    for (int64_t bucket = INT64_MAX; rc == CM_OK;) {
        rc = bucket_before(conn, org, bucket, &bucket);
        if (rc != CM_OK || bucket < 0)
            break;
        rc = change_in_bucket(conn, org, location, sku, bucket, as_of_ms, &then, &found);
        int64_t began_ms = 0;
        if (rc == CM_OK)
            rc = bucket_first_created(conn, bucket, &began_ms);
        if (rc == CM_OK && began_ms <= as_of_ms)
            break;
    }
    if (rc == CM_OK && found) {
        then.has_effective_date = out->has_effective_date; /* the effective date stays the current one */
        then.effective_ms = out->effective_ms;
        *out = then;
        *exists = 1;
    }
    return rc;
}
