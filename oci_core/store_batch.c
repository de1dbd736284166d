/* store_batch.c - the store's multi-row side (store.h, "several records in one statement" and
 * "batch markers"): a group of records read, upserted and their events stored with one statement
 * each, and the markers of batches applied in-process.
 *
 * Why: per applied record the core used to run three or four statements (id claim, read, upsert,
 * event); each costs a VDBE start, cursor opens and a reset besides its b-tree work. A group of up
 * to OCI_STORE_GROUP_MAX records costs one statement of each kind, prepared once per connection
 * for 1, 2, 4, … rows (a group of 13 runs the 8-, 4- and 1-row statements). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci_core/quantity.h"
#include "oci_core/store_internal.h"

#define SIZES 6 /* statements for 1, 2, 4, 8, 16, 32 rows */
#define EVENT_COLUMNS 21
#define PUT_COLUMNS 7

enum {
    B_GET = OCI_STORE_SLOTS_BATCH,
    B_PUT = B_GET + SIZES,
    B_EVENT = B_PUT + SIZES,
    B_CLAIM = B_EVENT + SIZES,
    B_FIND = B_CLAIM + SIZES,
    B_MARK_GET = B_FIND + SIZES,
    B_MARK_ADD,
    B_END
};
_Static_assert(B_END <= OCI_STORE_EXTRA_STMTS, "store_batch.c owns the slots from OCI_STORE_SLOTS_BATCH on");
_Static_assert((1 << (SIZES - 1)) == OCI_STORE_GROUP_MAX, "the largest statement takes a whole group");

static const char *const SQL_MARK_GET =
    "SELECT record_count, fingerprint, refusals FROM applied_batches WHERE org = ?1 AND batch_key = ?2";
static const char *const SQL_MARK_ADD =
    "INSERT INTO applied_batches (org, batch_key, record_count, fingerprint, refusals, applied_ms)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

static char *sql_get[SIZES], *sql_put[SIZES], *sql_event[SIZES], *sql_claim[SIZES], *sql_find[SIZES];
static pthread_once_t sql_once = PTHREAD_ONCE_INIT;
static int sql_failed;

typedef struct text {
    char *data;
    size_t used, capacity;
} text;

static void add(text *t, const char *piece)
{
    if (!t->data)
        return;
    size_t n = strlen(piece);
    if (t->used + n + 1 > t->capacity) {
        size_t capacity = (t->capacity + n + 1) * 2;
        char *grown = realloc(t->data, capacity);
        if (!grown) {
            free(t->data);
            t->data = NULL;
            return;
        }
        t->data = grown;
        t->capacity = capacity;
    }
    memcpy(t->data + t->used, piece, n + 1);
    t->used += n;
}

#define ADDF(t, ...)                                                                                    \
    do {                                                                                                \
        char piece_[64];                                                                                \
        snprintf(piece_, sizeof piece_, __VA_ARGS__);                                                   \
        add(t, piece_);                                                                                 \
    } while (0)

static char *build(int kind, int rows)
{
    text t = {malloc(256), 0, 256};
    if (kind == 0) {
        add(&t, "SELECT v.column1, r.on_hand, r.reserved, r.safety_stock, r.effective_ms, r.futures FROM (VALUES");
        for (int k = 0; k < rows; k++)
            ADDF(&t, "%s(%d, ?%d, ?%d)", k ? ", " : " ", k, 2 + 2 * k, 3 + 2 * k);
        /* CROSS JOIN keeps the keys outside: one primary-key descent per key. */
        add(&t, ") AS v CROSS JOIN records AS r ON r.org = ?1 AND r.location = v.column2 AND r.sku = v.column3");
    } else if (kind == 1) {
        add(&t, "INSERT INTO records (org, location, sku, on_hand, reserved, safety_stock, effective_ms, futures,"
                " updated_ms) VALUES");
        for (int k = 0; k < rows; k++) {
            int base = 3 + PUT_COLUMNS * k;
            add(&t, k ? ", (?1" : " (?1");
            for (int c = 0; c < PUT_COLUMNS; c++)
                ADDF(&t, ", ?%d", base + c);
            add(&t, ", ?2)");
        }
        add(&t, " ON CONFLICT (org, location, sku) DO UPDATE SET on_hand = excluded.on_hand,"
                " reserved = excluded.reserved, safety_stock = excluded.safety_stock,"
                " effective_ms = excluded.effective_ms, futures = excluded.futures,"
                " updated_ms = excluded.updated_ms");
    } else if (kind == 3) {
        /* Only ids found new are inserted; DO NOTHING is the safety net, not the test (a RETURNING
         * clause to learn which rows went in costs more than the look-up before). */
        add(&t, "INSERT INTO applied_ids (org, record_id, location, sku, applied_ms) VALUES");
        for (int k = 0; k < rows; k++)
            ADDF(&t, "%s(?1, ?%d, ?%d, ?%d, ?2)", k ? ", " : " ", 3 + 3 * k, 4 + 3 * k, 5 + 3 * k);
        add(&t, " ON CONFLICT (org, record_id) DO NOTHING");
    } else if (kind == 4) {
        add(&t, "SELECT v.column1 FROM (VALUES");
        for (int k = 0; k < rows; k++)
            ADDF(&t, "%s(%d, ?%d)", k ? ", " : " ", k, 2 + k);
        add(&t, ") AS v CROSS JOIN applied_ids AS a ON a.org = ?1 AND a.record_id = v.column2");
    } else {
        add(&t, "INSERT INTO events (org, location, sku, event_type, record_id, created_ms, effective_ms,"
                " old_on_hand, new_on_hand, old_reserved, new_reserved, old_safety_stock, new_safety_stock,"
                " old_atf, new_atf, old_ato, new_ato, old_futures, new_futures, deleted, place_type) VALUES");
        for (int k = 0; k < rows; k++) {
            int base = 1 + EVENT_COLUMNS * k;
            ADDF(&t, "%s(?%d", k ? ", " : " ", base);
            for (int c = 1; c < EVENT_COLUMNS; c++)
                ADDF(&t, ", ?%d", base + c);
            add(&t, ")");
        }
    }
    return t.data;
}

static void build_all(void)
{
    for (int i = 0; i < SIZES; i++) {
        sql_get[i] = build(0, 1 << i);
        sql_put[i] = build(1, 1 << i);
        sql_event[i] = build(2, 1 << i);
        sql_claim[i] = build(3, 1 << i);
        sql_find[i] = build(4, 1 << i);
        if (!sql_get[i] || !sql_put[i] || !sql_event[i] || !sql_claim[i] || !sql_find[i])
            sql_failed = 1;
    }
}

/* The statement of `kind` (B_GET, B_PUT, B_EVENT, B_CLAIM, B_FIND) for 2^size rows. */
static sqlite3_stmt *multi(oci_store_conn *conn, int kind, int size)
{
    pthread_once(&sql_once, build_all);
    if (sql_failed)
        return NULL;
    const char *sql = kind == B_GET   ? sql_get[size]
                      : kind == B_PUT ? sql_put[size]
                      : kind == B_CLAIM ? sql_claim[size]
                      : kind == B_FIND  ? sql_find[size]
                                        : sql_event[size];
    return oci_store_prepare(conn, kind + size, sql);
}

/* The largest statement size (log2) that fits `left` rows. */
static int size_for(size_t left)
{
    int size = SIZES - 1;
    while ((size_t)1 << size > left)
        size--;
    return size;
}

static void bind_static(sqlite3_stmt *s, int index, const char *value)
{
    if (value)
        sqlite3_bind_text(s, index, value, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, index);
}

cm_err oci_store_records_get_many(oci_store_conn *conn, const char *org, const char *const *locations,
                                  const char *const *skus, size_t count, oci_quantities *out, int *exists)
{
    if (count > OCI_STORE_GROUP_MAX)
        return CM_EINVAL;
    for (size_t i = 0; i < count; i++) {
        memset(&out[i], 0, sizeof out[i]);
        exists[i] = 0;
    }
    for (size_t done = 0; done < count;) {
        int size = size_for(count - done);
        size_t rows = (size_t)1 << size;
        sqlite3_stmt *s = multi(conn, B_GET, size);
        if (!s)
            return CM_EDB;
        bind_static(s, 1, org);
        for (size_t k = 0; k < rows; k++) {
            bind_static(s, 2 + 2 * (int)k, locations[done + k]);
            bind_static(s, 3 + 2 * (int)k, skus[done + k]);
        }
        int rc;
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
            int64_t k = sqlite3_column_int64(s, 0);
            if (k < 0 || (size_t)k >= rows)
                continue;
            oci_store_read_record(s, 1, &out[done + (size_t)k]);
            exists[done + (size_t)k] = 1;
        }
        cm_err err = oci_store_finish(conn, s, rc);
        if (err != CM_OK)
            return err;
        done += rows;
    }
    return CM_OK;
}

cm_err oci_store_records_put_many(oci_store_conn *writer, const char *org, const char *const *locations,
                                  const char *const *skus, const oci_quantities *records, size_t count,
                                  int64_t now_ms)
{
    if (count > OCI_STORE_GROUP_MAX)
        return CM_EINVAL;
    static const char empty[] = "";
    char(*futures)[OCI_STORE_FUTURES_TEXT_MAX] = NULL;
    for (size_t i = 0; i < count && !futures; i++)
        if (records[i].future_count) {
            /* Without room for their text the records' futures would be written empty. */
            if (!(futures = malloc(count * sizeof *futures)))
                return CM_ENOMEM;
        }
    for (size_t i = 0; futures && i < count; i++)
        oci_store_futures_encode(&records[i], futures[i], sizeof futures[i]);
    cm_err err = CM_OK;
    for (size_t done = 0; done < count && err == CM_OK;) {
        int size = size_for(count - done);
        size_t rows = (size_t)1 << size;
        sqlite3_stmt *s = multi(writer, B_PUT, size);
        if (!s) {
            err = CM_EDB;
            break;
        }
        bind_static(s, 1, org);
        sqlite3_bind_int64(s, 2, now_ms);
        for (size_t k = 0; k < rows; k++) {
            size_t i = done + k;
            int base = 3 + PUT_COLUMNS * (int)k;
            const oci_quantities *r = &records[i];
            bind_static(s, base, locations[i]);
            bind_static(s, base + 1, skus[i]);
            sqlite3_bind_int64(s, base + 2, r->on_hand);
            sqlite3_bind_int64(s, base + 3, r->reserved);
            sqlite3_bind_int64(s, base + 4, r->safety_stock);
            if (r->has_effective_date)
                sqlite3_bind_int64(s, base + 5, r->effective_ms);
            else
                sqlite3_bind_null(s, base + 5);
            bind_static(s, base + 6, futures ? futures[i] : empty);
        }
        err = oci_store_run(writer, s);
        done += rows;
    }
    free(futures);
    return err;
}

cm_err oci_store_events_add_many(oci_store_conn *writer, const oci_event *events, size_t count)
{
    if (count > OCI_STORE_GROUP_MAX)
        return CM_EINVAL;
    static const char empty[] = "";
    char(*futures)[2][OCI_STORE_FUTURES_TEXT_MAX] = NULL;
    for (size_t i = 0; i < count && !futures; i++)
        if (events[i].old_values.future_count || events[i].new_values.future_count) {
            if (!(futures = malloc(count * sizeof *futures)))
                return CM_ENOMEM; /* the events would be stored without their futures */
        }
    for (size_t i = 0; futures && i < count; i++) {
        oci_store_futures_encode(&events[i].old_values, futures[i][0], sizeof futures[i][0]);
        oci_store_futures_encode(&events[i].new_values, futures[i][1], sizeof futures[i][1]);
    }
    cm_err err = CM_OK;
    for (size_t done = 0; done < count && err == CM_OK;) {
        int size = size_for(count - done);
        size_t rows = (size_t)1 << size;
        sqlite3_stmt *s = multi(writer, B_EVENT, size);
        if (!s) {
            err = CM_EDB;
            break;
        }
        for (size_t k = 0; k < rows; k++) {
            const oci_event *e = &events[done + k];
            const oci_quantities *o = &e->old_values, *n = &e->new_values;
            int b = 1 + EVENT_COLUMNS * (int)k;
            bind_static(s, b, e->org);
            bind_static(s, b + 1, e->location);
            bind_static(s, b + 2, e->sku);
            bind_static(s, b + 3, e->event_type);
            bind_static(s, b + 4, e->record_id);
            sqlite3_bind_int64(s, b + 5, e->created_ms);
            if (e->has_effective_date)
                sqlite3_bind_int64(s, b + 6, e->effective_ms);
            else
                sqlite3_bind_null(s, b + 6);
            sqlite3_bind_int64(s, b + 7, o->on_hand);
            sqlite3_bind_int64(s, b + 8, n->on_hand);
            sqlite3_bind_int64(s, b + 9, o->reserved);
            sqlite3_bind_int64(s, b + 10, n->reserved);
            sqlite3_bind_int64(s, b + 11, o->safety_stock);
            sqlite3_bind_int64(s, b + 12, n->safety_stock);
            sqlite3_bind_int64(s, b + 13, oci_qty_record_atf(o));
            sqlite3_bind_int64(s, b + 14, oci_qty_record_atf(n));
            sqlite3_bind_int64(s, b + 15, oci_qty_record_ato(o));
            sqlite3_bind_int64(s, b + 16, oci_qty_record_ato(n));
            bind_static(s, b + 17, futures ? futures[done + k][0] : empty);
            bind_static(s, b + 18, futures ? futures[done + k][1] : empty);
            sqlite3_bind_int(s, b + 19, e->deleted ? 1 : 0);
            bind_static(s, b + 20, e->place_type ? e->place_type : "location");
        }
        err = oci_store_run(writer, s);
        done += rows;
    }
    free(futures);
    return err;
}

/* Sets found[i] for the ids of `org` already in applied_ids. */
static cm_err find_ids(oci_store_conn *writer, const char *org, const char *const *record_ids, size_t count,
                       int *found)
{
    for (size_t done = 0; done < count;) {
        int size = size_for(count - done);
        size_t rows = (size_t)1 << size;
        sqlite3_stmt *s = multi(writer, B_FIND, size);
        if (!s)
            return CM_EDB;
        bind_static(s, 1, org);
        for (size_t k = 0; k < rows; k++)
            bind_static(s, 2 + (int)k, record_ids[done + k]);
        int rc;
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
            int64_t k = sqlite3_column_int64(s, 0);
            if (k >= 0 && (size_t)k < rows)
                found[done + (size_t)k] = 1;
        }
        cm_err err = oci_store_finish(writer, s, rc);
        if (err != CM_OK)
            return err;
        done += rows;
    }
    return CM_OK;
}

cm_err oci_store_applied_claim_many(oci_store_conn *writer, const char *org, const char *const *record_ids,
                                    const char *const *locations, const char *const *skus, size_t count,
                                    int64_t now_ms, int *claimed)
{
    if (count > OCI_STORE_GROUP_MAX)
        return CM_EINVAL;
    int found[OCI_STORE_GROUP_MAX] = {0};
    cm_err err = find_ids(writer, org, record_ids, count, found);
    if (err != CM_OK)
        return err;
    /* New ids, each claimed by its first entry. */
    size_t fresh[OCI_STORE_GROUP_MAX], fresh_count = 0;
    for (size_t i = 0; i < count; i++) {
        claimed[i] = !found[i];
        for (size_t n = 0; claimed[i] && n < fresh_count; n++)
            if (strcmp(record_ids[fresh[n]], record_ids[i]) == 0)
                claimed[i] = 0;
        if (claimed[i])
            fresh[fresh_count++] = i;
    }
    for (size_t done = 0; done < fresh_count && err == CM_OK;) {
        int size = size_for(fresh_count - done);
        size_t rows = (size_t)1 << size;
        sqlite3_stmt *s = multi(writer, B_CLAIM, size);
        if (!s)
            return CM_EDB;
        bind_static(s, 1, org);
        sqlite3_bind_int64(s, 2, now_ms);
        for (size_t k = 0; k < rows; k++) {
            size_t i = fresh[done + k];
            bind_static(s, 3 + 3 * (int)k, record_ids[i]);
            bind_static(s, 4 + 3 * (int)k, locations[i]);
            bind_static(s, 5 + 3 * (int)k, skus[i]);
        }
        err = oci_store_run(writer, s);
        done += rows;
    }
    return err;
}

/* ---- batch markers ---- */

void oci_batch_marker_clear(oci_batch_marker *marker)
{
    free(marker->refusals);
    marker->refusals = NULL;
}

cm_err oci_store_batch_get(oci_store_conn *conn, const char *org, const char *batch_key, oci_batch_marker *out,
                           int *found)
{
    memset(out, 0, sizeof *out);
    *found = 0;
    sqlite3_stmt *s = oci_store_prepare(conn, B_MARK_GET, SQL_MARK_GET);
    if (!s)
        return CM_EDB;
    bind_static(s, 1, org);
    bind_static(s, 2, batch_key);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        out->record_count = sqlite3_column_int64(s, 0);
        out->fingerprint = sqlite3_column_int64(s, 1);
        const unsigned char *refusals = sqlite3_column_text(s, 2);
        out->refusals = strdup(refusals ? (const char *)refusals : "");
        if (!out->refusals) {
            oci_store_finish(conn, s, SQLITE_DONE);
            return CM_ENOMEM;
        }
        *found = 1;
    }
    return oci_store_finish(conn, s, rc);
}

cm_err oci_store_batch_add(oci_store_conn *writer, const char *org, const char *batch_key,
                           const oci_batch_marker *marker, int64_t now_ms)
{
    sqlite3_stmt *s = oci_store_prepare(writer, B_MARK_ADD, SQL_MARK_ADD);
    if (!s)
        return CM_EDB;
    bind_static(s, 1, org);
    bind_static(s, 2, batch_key);
    sqlite3_bind_int64(s, 3, marker->record_count);
    sqlite3_bind_int64(s, 4, marker->fingerprint);
    bind_static(s, 5, marker->refusals ? marker->refusals : "");
    sqlite3_bind_int64(s, 6, now_ms);
    return oci_store_run(writer, s);
}
