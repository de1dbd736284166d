/*
 * e2e_core_state.h - what the crash tests check in the bundled core's own database after the
 * servers stopped: no record id applied twice, and every SKU at the last accepted quantity.
 *
 * "Applied" is read from the events, not from applied_ids: bundled delivery applies a chunk once
 * under its batch key (applied_batches) without claiming its ids, but every applied record still
 * leaves one event carrying its record id, whichever path applied it.
 */
#ifndef E2E_CORE_STATE_H
#define E2E_CORE_STATE_H

#include "tests/e2e/e2e_legacy.h"

#include <sqlite3.h>

/*
 * Opens <data_dir>/oci.db read-only. For tenant t and sku s of `sku_pool`, quantity[t * sku_pool + s]
 * is the last quantity accepted for "<prefixes[t]>-<s>" at warehouse-1 of f_ecom_demo_001 (-1:
 * never sent). Fails the test on a doubled record id or a wrong on-hand; returns how many SKUs
 * were checked.
 */
static inline size_t e2e_check_core_state(const char *data_dir, const char *const *prefixes, int tenants,
                                          int sku_pool, const long *quantity)
{
    char path[400];
    snprintf(path, sizeof path, "%s/oci.db", data_dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *stmt = NULL;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT count(*) FROM (SELECT record_id FROM events WHERE record_id IS NOT NULL"
                                        " GROUP BY record_id HAVING count(*) > 1)",
                                        -1, &stmt, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int64(stmt, 0), 0);
    sqlite3_finalize(stmt);
    /* Not vacuous: the applied records are there with their ids. */
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM events WHERE record_id IS NOT NULL", -1, &stmt, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    assert_true(sqlite3_column_int64(stmt, 0) > 0);
    sqlite3_finalize(stmt);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT on_hand FROM records WHERE org = 'f_ecom_demo_001'"
                                        " AND location = 'warehouse-1' AND sku = ?1",
                                        -1, &stmt, NULL),
                     SQLITE_OK);
    size_t checked = 0;
    for (int t = 0; t < tenants; t++)
        for (int s = 0; s < sku_pool; s++) {
            long want = quantity[t * sku_pool + s];
            if (want < 0)
                continue;
            char sku[32];
            snprintf(sku, sizeof sku, "%s-%d", prefixes[t], s);
            sqlite3_reset(stmt);
            sqlite3_bind_text(stmt, 1, sku, -1, SQLITE_TRANSIENT);
            assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
            if (sqlite3_column_int64(stmt, 0) != want * 1000)
                fail_msg("%s: on hand %lld, last accepted %ld", sku, (long long)sqlite3_column_int64(stmt, 0) / 1000,
                         want);
            checked++;
        }
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return checked;
}

#endif
