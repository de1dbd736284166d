/*
 * test_oci_apply_batch.c - in-process delivery applied at most once per batch key
 * (oci_core_apply_batch, oci_core/apply_batch.c) on a real core opened on a temporary folder: a
 * batch larger than one store group with a SKU twice and one refusal is applied once, with one
 * marker and no claimed ids; a replay answers the first results and writes nothing; other records
 * under a used key are refused; an unknown organization is CM_ENOTFOUND; NULL keeps the record-id
 * path (an id twice in one call applies once); two threads delivering one key at the same time
 * apply it once between them.
 */
#include "tests/support/test_support.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "oci_core/oci_core.h"

#define ORG "f_ecom_test_001"

typedef struct fixture {
    char dir[256];
    cm_config *config;
    oci_core *core;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    th_temp_dir(f->dir, sizeof f->dir);
    char graph[512], text[1024];
    th_data_path("oci/location-graph.json", graph, sizeof graph);
    snprintf(text, sizeof text, "{\"oci\":{\"organizations\":[{\"id\":\"" ORG "\",\"locationGraph\":\"%s\"}]}}",
             graph);
    char error[CM_CONFIG_ERROR_MAX];
    if (cm_config_parse(text, strlen(text), "test", f->dir, NULL, 0, &f->config, error) != CM_OK)
        fail_msg("config: %s", error);
    char oci_error[OCI_ERROR_MAX];
    if (oci_core_open(f->config, f->dir, &f->core, oci_error) != CM_OK)
        fail_msg("open: %s", oci_error);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    oci_core_close(f->core);
    cm_config_free(f->config);
    th_remove_tree(f->dir);
    free(f);
    return 0;
}

/* One number from the core's own database (read-only, next to the open core: WAL). */
static long long db_count(fixture *f, const char *sql)
{
    char path[400];
    snprintf(path, sizeof path, "%s/oci.db", f->dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *statement = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &statement, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(statement), SQLITE_ROW);
    long long value = sqlite3_column_int64(statement, 0);
    sqlite3_finalize(statement);
    sqlite3_close(db);
    return value;
}

/* oci_core_apply_batch: a batch (larger than one store group, a SKU twice, one refusal) is applied
 * once under its key with one marker and no claimed ids; a replay answers the first results and
 * changes nothing; other records under the key are refused; NULL keeps the record-id path. */
static void test_apply_batch_contract(void **state)
{
    fixture *f = *state;
    enum { COUNT = 70 };
    oci_record_update records[COUNT];
    char ids[COUNT][32], skus[COUNT][32];
    for (int i = 0; i < COUNT; i++) {
        snprintf(ids[i], sizeof ids[i], "batch-rid-%d", i);
        snprintf(skus[i], sizeof skus[i], "bsku-%d", i == 40 ? 3 : i); /* record 40 changes bsku-3 again */
        records[i] = (oci_record_update){.record_id = ids[i], .location_id = i == 7 ? "nowhere" : "phoenix",
                                         .sku = skus[i], .has_on_hand = 1, .on_hand_milli = 1000 * (i + 1),
                                         .has_safety_stock = 1, .safety_stock_milli = 0};
    }
    oci_apply_result results[COUNT];
    long long events_before = db_count(f, "SELECT count(*) FROM events");
    assert_int_equal(oci_core_apply_batch(f->core, ORG, "inst/1/2/0", records, COUNT, results), CM_OK);
    for (int i = 0; i < COUNT; i++)
        assert_int_equal(results[i].outcome, i == 7 ? OCI_APPLY_REFUSED : OCI_APPLY_APPLIED);
    assert_string_equal(results[7].error_code, "LocationDoesNotExist");
    oci_availability availability;
    assert_int_equal(oci_core_get_location_record(f->core, ORG, "phoenix", "bsku-3", &availability), CM_OK);
    assert_int_equal(availability.on_hand_milli, 41000); /* the later of the two changes */
    assert_int_equal(oci_core_get_location_record(f->core, ORG, "phoenix", "bsku-69", &availability), CM_OK);
    assert_int_equal(availability.on_hand_milli, 70000);
    assert_int_equal(db_count(f, "SELECT count(*) FROM events") - events_before, COUNT - 1);
    assert_int_equal(db_count(f, "SELECT count(*) FROM events WHERE sku = 'bsku-3' AND old_on_hand = 4000"
                                 " AND new_on_hand = 41000"), 1);
    assert_int_equal(db_count(f, "SELECT count(*) FROM applied_ids WHERE record_id LIKE 'batch-rid-%'"), 0);
    assert_int_equal(db_count(f, "SELECT count(*) FROM applied_batches"), 1);

    /* A replay: the first results, nothing written (the figures given again do not count). */
    records[69].on_hand_milli = 5;
    memset(results, 0xff, sizeof results);
    assert_int_equal(oci_core_apply_batch(f->core, ORG, "inst/1/2/0", records, COUNT, results), CM_OK);
    for (int i = 0; i < COUNT; i++)
        assert_int_equal(results[i].outcome, i == 7 ? OCI_APPLY_REFUSED : OCI_APPLY_APPLIED);
    assert_string_equal(results[7].error_code, "LocationDoesNotExist");
    assert_non_null(strstr(results[7].message, "nowhere"));
    assert_int_equal(oci_core_get_location_record(f->core, ORG, "phoenix", "bsku-69", &availability), CM_OK);
    assert_int_equal(availability.on_hand_milli, 70000);
    assert_int_equal(db_count(f, "SELECT count(*) FROM events") - events_before, COUNT - 1);

    /* Other records under a used key: refused, nothing applied. */
    assert_int_equal(oci_core_apply_batch(f->core, ORG, "inst/1/2/0", records, COUNT - 1, results), CM_EEXIST);
    records[0].record_id = "batch-rid-other";
    assert_int_equal(oci_core_apply_batch(f->core, ORG, "inst/1/2/0", records, COUNT, results), CM_EEXIST);
    assert_int_equal(db_count(f, "SELECT count(*) FROM events") - events_before, COUNT - 1);
    /* The key is the organization's: another organization applies it for itself. */
    assert_int_equal(oci_core_apply_batch(f->core, "nope", "inst/1/2/0", records, 1, results), CM_ENOTFOUND);
    /* Without a key the ids are claimed as before. */
    assert_int_equal(oci_core_apply_batch(f->core, ORG, NULL, records, 1, results), CM_OK);
    assert_int_equal(results[0].outcome, OCI_APPLY_APPLIED);
    assert_int_equal(oci_core_apply_batch(f->core, ORG, NULL, records, 1, results), CM_OK);
    assert_int_equal(results[0].outcome, OCI_APPLY_DUPLICATE);
    /* An id twice in one call (one claim statement): the first entry applies, the second is a
     * duplicate, and an id after them still applies. */
    records[10].record_id = records[12].record_id = "twice-rid";
    records[10].on_hand_milli = 1000;
    records[12].on_hand_milli = 2000;
    records[13].record_id = "after-twice-rid";
    assert_int_equal(oci_core_apply_batch(f->core, ORG, NULL, records + 10, 4, results), CM_OK);
    assert_int_equal(results[0].outcome, OCI_APPLY_APPLIED);
    assert_int_equal(results[1].outcome, OCI_APPLY_APPLIED);
    assert_int_equal(results[2].outcome, OCI_APPLY_DUPLICATE);
    assert_int_equal(results[3].outcome, OCI_APPLY_APPLIED);
    assert_int_equal(oci_core_get_location_record(f->core, ORG, "phoenix", "bsku-12", &availability), CM_OK);
    assert_int_equal(availability.on_hand_milli, 13000); /* unchanged by the duplicate */
    assert_int_equal(oci_core_get_location_record(f->core, ORG, "phoenix", "bsku-10", &availability), CM_OK);
    assert_int_equal(availability.on_hand_milli, 1000);
}

typedef struct delivery {
    fixture *f;
    const oci_record_update *records;
    size_t count;
    oci_apply_result results[64];
    cm_err rc;
} delivery;

static void *deliver(void *arg)
{
    delivery *d = arg;
    d->rc = oci_core_apply_batch(d->f->core, ORG, "inst/9/9/0", d->records, d->count, d->results);
    return NULL;
}

/* Two deliveries of one key at once (a worker and its retry after a lost lease, say): both
 * succeed with the same results, and the records and their events are written once. */
static void test_one_key_delivered_twice_at_once_applies_once(void **state)
{
    fixture *f = *state;
    enum { COUNT = 64 };
    oci_record_update records[COUNT];
    char ids[COUNT][32], skus[COUNT][32];
    for (int i = 0; i < COUNT; i++) {
        snprintf(ids[i], sizeof ids[i], "race-rid-%d", i);
        snprintf(skus[i], sizeof skus[i], "race-%d", i);
        records[i] = (oci_record_update){.record_id = ids[i], .location_id = "phoenix", .sku = skus[i],
                                         .has_on_hand = 1, .on_hand_milli = 1000 * (i + 1)};
    }
    long long events_before = db_count(f, "SELECT count(*) FROM events");
    delivery first = {.f = f, .records = records, .count = COUNT}, second = first;
    pthread_t a, b;
    assert_int_equal(pthread_create(&a, NULL, deliver, &first), 0);
    assert_int_equal(pthread_create(&b, NULL, deliver, &second), 0);
    assert_int_equal(pthread_join(a, NULL), 0);
    assert_int_equal(pthread_join(b, NULL), 0);
    assert_int_equal(first.rc, CM_OK);
    assert_int_equal(second.rc, CM_OK);
    for (int i = 0; i < COUNT; i++) {
        assert_int_equal(first.results[i].outcome, OCI_APPLY_APPLIED);
        assert_int_equal(second.results[i].outcome, OCI_APPLY_APPLIED);
    }
    assert_int_equal(db_count(f, "SELECT count(*) FROM events") - events_before, COUNT);
    assert_int_equal(db_count(f, "SELECT count(*) FROM applied_batches"), 1);
    oci_availability availability;
    assert_int_equal(oci_core_get_location_record(f->core, ORG, "phoenix", "race-63", &availability), CM_OK);
    assert_int_equal(availability.on_hand_milli, 64000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_apply_batch_contract, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_key_delivered_twice_at_once_applies_once, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
