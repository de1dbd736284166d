/*
 * test_queue_chunk_records.c - the worker's first step for a chunk (queue/chunk_records.h) on a
 * real store, on both backends (tests/support/queue_fixture.h): a chunk is loaded and translated
 * with its job's item indexes, record ids and kept legacy fields; an adjust keeps no extras; items
 * without a valid sku under the tenant's current identifier order become per-item failures; a
 * chunk whose row is gone is MISSING, one whose row cannot be read is CORRUPT (SQLite: a row
 * rewritten behind the store's back), and a store that cannot answer for now is AGAIN (PostgreSQL
 * stopped under it). Each outcome's sentence names what went wrong.
 */
#include "tests/support/queue_fixture.h"

#include <sqlite3.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/uuid.h"
#include "queue/chunk_records.h"
#include "translate/item.h"

static q_job job_of(qf_fixture *f, int64_t tenant, int64_t job_id)
{
    q_job job;
    assert_int_equal(q_store_get_job(f->store, tenant, job_id, &job), CM_OK);
    return job;
}

/* A 5000-item job cut at 3000: chunk 0 holds items 0..2999 and chunk 1 items 3000..4999, each
 * record with its job-wide item index, the record id the translator derives from it, and the
 * legacy binID kept for its sku. */
static void test_chunks_load_with_job_indexes_ids_and_extras(void **state)
{
    qf_fixture *f = *state;
    int64_t id = qf_accept_job(f, 1, 5000, "CR", 5000, 100, 3000);
    q_job job = job_of(f, 1, id);
    const cm_tenant *tenant = cm_config_tenant(f->config, 1);
    const size_t expected_counts[] = {3000, 2000};
    for (int64_t c = 0; c < 2; c++) {
        q_chunk_records records;
        char why[160];
        assert_int_equal(q_chunk_records_load(f->store, &job, tenant, c, &records, why), Q_CHUNK_LOADED);
        assert_string_equal(why, "");
        assert_int_equal(records.chunk.item_count, expected_counts[c]);
        assert_int_equal(records.chunk.record_count, expected_counts[c]);
        assert_int_equal(records.failure_count, 0);
        assert_int_equal(records.extra_count, expected_counts[c]);
        size_t first = (size_t)c * 3000;
        for (size_t r = 0; r < records.chunk.record_count; r += 999) {
            const tr_record *record = &records.chunk.records[r];
            assert_int_equal(record->item_index, first + r);
            char sku[32];
            snprintf(sku, sizeof sku, "CR-%zu", first + r);
            assert_string_equal(record->sku, sku);
            assert_int_equal(record->on_hand_milli, (int64_t)(100 + first + r) * 1000);
            assert_string_equal(record->location_id, "loc-1");
            char expected_id[CM_UUID_TEXT_LEN + 1];
            assert_int_equal(tr_record_id(q_store_installation_id(f->store), 1, id, first + r, expected_id),
                             CM_OK);
            assert_string_equal(record->record_id, expected_id);
            assert_string_equal(records.extras[r].sku, sku);
            assert_non_null(strstr(records.extras[r].extras_json, "\"binID\":7"));
        }
        q_chunk_records_clear(&records);
        /* Cleared records are empty and may be cleared again. */
        assert_null(records.failures);
        assert_int_equal(records.chunk.record_count, 0);
        q_chunk_records_clear(&records);
    }
    q_job_clear(&job);
}

/* An adjust carries no legacy fields to keep: the last refresh's stay. */
static void test_an_adjust_keeps_no_extras(void **state)
{
    qf_fixture *f = *state;
    int64_t id = qf_accept_adjust(f, 1, "[{\"sku\":\"AD-1\",\"quantity\":-3,\"binID\":4},{\"sku\":\"AD-2\",\"quantity\":5}]",
                                  2);
    q_job job = job_of(f, 1, id);
    q_chunk_records records;
    char why[160];
    assert_int_equal(q_chunk_records_load(f->store, &job, cm_config_tenant(f->config, 1), 0, &records, why),
                     Q_CHUNK_LOADED);
    assert_int_equal(records.chunk.record_count, 2);
    assert_int_equal(records.extra_count, 0);
    for (size_t r = 0; r < records.chunk.record_count; r++)
        assert_null(records.chunk.extras[r]);
    q_chunk_records_clear(&records);
    q_job_clear(&job);
}

/* A tenant whose identifier order changed since acceptance (upc only, the stored items have only
 * a sku): every item fails on its own, with its job-wide index, and nothing is lost. */
static void test_items_without_a_valid_sku_are_failures(void **state)
{
    qf_fixture *f = *state;
    int64_t id = qf_accept_job(f, 1, 3004, "NS", 3004, 0, 3000);
    q_job job = job_of(f, 1, id);
    cm_tenant upc_only = *cm_config_tenant(f->config, 1);
    upc_only.sku_from[0] = CM_ID_UPC;
    upc_only.sku_from_count = 1;
    q_chunk_records records;
    char why[160];
    assert_int_equal(q_chunk_records_load(f->store, &job, &upc_only, 1, &records, why), Q_CHUNK_LOADED);
    assert_int_equal(records.chunk.item_count, 4);
    assert_int_equal(records.chunk.record_count, 0);
    assert_int_equal(records.failure_count, 4);
    assert_int_equal(records.extra_count, 0);
    for (size_t i = 0; i < records.failure_count; i++) {
        assert_int_equal(records.failures[i].item_index, (int64_t)(3000 + i));
        assert_string_equal(records.failures[i].error_code, "InvalidSku");
        assert_non_null(strstr(records.failures[i].message, "identifier order"));
    }
    q_chunk_records_clear(&records);
    q_job_clear(&job);
}

/* A chunk the job never had (or whose row is gone) cannot be delivered: MISSING, and why names it
 * as people count (chunk 3 for index 2). */
static void test_a_chunk_that_is_gone_is_missing(void **state)
{
    qf_fixture *f = *state;
    int64_t id = qf_accept_job(f, 1, 10, "GO", 10, 0, 3000);
    q_job job = job_of(f, 1, id);
    q_chunk_records records;
    char why[160];
    assert_int_equal(q_chunk_records_load(f->store, &job, cm_config_tenant(f->config, 1), 2, &records, why),
                     Q_CHUNK_MISSING);
    assert_non_null(strstr(why, "chunk 3 could not be read"));
    assert_int_equal(records.chunk.record_count, 0);
    q_chunk_records_clear(&records);
    q_job_clear(&job);
}

/* A row that is neither form (rewritten behind the store's back) is CORRUPT, not retried. */
static void test_an_unreadable_row_is_corrupt(void **state)
{
    qf_fixture *f = *state;
    int64_t id = qf_accept_job(f, 1, 10, "CO", 10, 0, 3000);
    char path[320];
    snprintf(path, sizeof path, "%s/gateway.db", f->dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    char sql[160];
    snprintf(sql, sizeof sql, "UPDATE job_chunks SET items = 'not a chunk' WHERE job_id = %lld", (long long)id);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_changes(db), 1);
    sqlite3_close(db);

    q_job job = job_of(f, 1, id);
    q_chunk_records records;
    char why[160];
    assert_int_equal(q_chunk_records_load(f->store, &job, cm_config_tenant(f->config, 1), 0, &records, why),
                     Q_CHUNK_CORRUPT);
    assert_string_equal(why, "The stored items of a chunk are corrupt.");
    q_chunk_records_clear(&records);
    q_job_clear(&job);
}

/* The database is down for now: AGAIN (the worker retries later), with the store's reason; once
 * it is back, the same chunk loads. */
static void test_a_store_that_cannot_answer_is_again(void **state)
{
    qf_fixture *f = *state;
    int64_t id = qf_accept_job(f, 1, 10, "AG", 10, 0, 3000);
    q_job job = job_of(f, 1, id);
    const cm_tenant *tenant = cm_config_tenant(f->config, 1);
    q_chunk_records records;
    char why[160];
    th_pg_stop(&qf_pg_server);
    q_chunk_load outcome = q_chunk_records_load(f->store, &job, tenant, 0, &records, why);
    q_chunk_records_clear(&records);
    assert_int_equal(th_pg_restart(&qf_pg_server), 0);
    assert_int_equal(outcome, Q_CHUNK_AGAIN);
    assert_non_null(strstr(why, "chunk 1 could not be read"));
    /* The store reconnects on its own. */
    for (int attempt = 0; attempt < 50; attempt++) {
        outcome = q_chunk_records_load(f->store, &job, tenant, 0, &records, why);
        if (outcome == Q_CHUNK_LOADED)
            break;
        q_chunk_records_clear(&records);
        cm_sleep_ms(100);
    }
    assert_int_equal(outcome, Q_CHUNK_LOADED);
    assert_int_equal(records.chunk.record_count, 10);
    q_chunk_records_clear(&records);
    q_job_clear(&job);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        QF_ON_BOTH(test_chunks_load_with_job_indexes_ids_and_extras),
        QF_ON_BOTH(test_an_adjust_keeps_no_extras),
        QF_ON_BOTH(test_items_without_a_valid_sku_are_failures),
        QF_ON_BOTH(test_a_chunk_that_is_gone_is_missing),
        QF_ON_SQLITE(test_an_unreadable_row_is_corrupt),
        QF_ON_POSTGRESQL(test_a_store_that_cannot_answer_is_again),
    };
    return cmocka_run_group_tests(tests, NULL, qf_group_teardown);
}
