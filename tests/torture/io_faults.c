/*
 * io_faults.c - a full disk and write errors, without mounting anything and without privileges:
 * the SQLite VFS shim of io_fault.h refuses the writes of gateway.db or oci.db in the test process,
 * under the real gateway (HTTP server, store, workers) and the bundled core.
 *
 * What is proven:
 * - acceptance on a full gateway.db answers 503 JSON "disk is full", keeps serving (health, reading
 *   jobs) and stores nothing; when space returns the next refresh is accepted, and every job ever
 *   answered with a jobID ends SUCCESS;
 * - a write error at each write of an acceptance in turn: 200 or 503, a refused one left no job, the
 *   next is accepted, all accepted ones end SUCCESS;
 * - WAL checkpoints on a full main file: commits still succeed (the WAL takes them), the refused
 *   checkpoint is retried and copies once space returns, nothing accepted is lost;
 * - the bundled core's oci.db full while a worker applies a job: the job waits and retries (never
 *   FAILED), and ends SUCCESS with its quantities once space returns;
 * - an import on a full oci.db: the upload is refused 503 and can be sent again; an accepted import
 *   whose batches meet the full disk is retried and ends COMPLETED with its records.
 *
 * The existing tmpfs test (tests/e2e/test_faults.c) still runs where mounting is allowed.
 */
#include "tests/support/http_client.h"
#include "tests/support/oci_inproc.h"
#include "tests/support/test_support.h"
#include "tests/torture/io_fault.h"
#include "tests/torture/rig.h"

#include "common/clock.h"
#include "oci_core/oci_core_testing.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ITEMS 3
#define WAIT_MS 30000
#define MAX_JOBS 512

typedef struct accepted {
    int64_t ids[MAX_JOBS];
    long last_base;
    size_t count;
} accepted;

/* A refresh of TORTURE-0..2 with quantities base+i; remembers a 200; returns the status. */
static long refresh(rig *r, long base, accepted *list, char code[64])
{
    int64_t job_id = 0;
    long status = rig_refresh(r, "IO", ITEMS, base, &job_id, code);
    if (status == 200) {
        assert_true(list->count < MAX_JOBS);
        list->ids[list->count++] = job_id;
        list->last_base = base;
    }
    return status;
}

static void expect_all_succeed(rig *r, const accepted *list)
{
    if (!r->pool)
        rig_start_pool(r);
    rig_work(r);
    for (size_t i = 0; i < list->count; i++)
        if (rig_wait_job(r, list->ids[i], WAIT_MS) != Q_SUCCESS)
            fail_msg("job %lld, answered with its jobID, did not end SUCCESS", (long long)list->ids[i]);
    for (int i = 0; i < ITEMS; i++) {
        char sku[32];
        snprintf(sku, sizeof sku, "IO-%d", i);
        assert_int_equal(rig_on_hand(r, sku), list->last_base + i);
    }
}

static long get(const rig *r, const char *path)
{
    char url[256];
    th_url(url, sizeof url, r->port, path);
    const char *headers[] = {"x-vol-tenant: 12345", "Authorization: Bearer demo-v5-key", NULL};
    th_response response;
    assert_int_equal(th_http("GET", url, headers, NULL, 0, &response), 0);
    long status = response.status;
    th_response_free(&response);
    return status;
}

static void wait_until(long (*count)(void), long above, const char *what)
{
    int64_t deadline = cm_mono_ms() + WAIT_MS;
    while (count() <= above) {
        if (cm_mono_ms() > deadline)
            fail_msg("%s did not happen within %d ms", what, WAIT_MS);
        cm_sleep_ms(5);
    }
}

/* ---- acceptance ---- */

static void test_acceptance_disk_full(void **state)
{
    (void)state;
    rig r;
    rig_open(&r, NULL);
    accepted list = {0};
    char code[64];
    assert_int_equal(refresh(&r, 100, &list, code), 200);

    io_fault_set("gateway.db", 0, IO_FULL, 0);
    int64_t before = rig_job_count(&r);
    for (int i = 0; i < 5; i++) {
        long status = refresh(&r, 200 + i, &list, code);
        if (status != 503)
            fail_msg("a refresh on a full gateway.db answered %ld", status);
        assert_string_equal(code, "SYSTEM_MAINTENANCE");
        if (!strstr(r.last_message, "disk is full"))
            fail_msg("the 503 does not say the disk is full: %s", r.last_message);
    }
    assert_true(io_fault_refused() > 0);
    assert_int_equal(rig_job_count(&r), before);
    /* Still serving while full: health, and the accepted job reads back. */
    assert_int_equal(get(&r, "/healthz"), 200);
    char path[64];
    snprintf(path, sizeof path, "/api/v1/queue/%lld", (long long)list.ids[0]);
    assert_int_equal(get(&r, path), 200);

    /* Space comes back: accepted again, and everything answered with a jobID ends SUCCESS. */
    io_fault_clear();
    assert_int_equal(refresh(&r, 300, &list, code), 200);
    expect_all_succeed(&r, &list);
    rig_close(&r);
}

static void test_acceptance_write_error_in_turn(void **state)
{
    (void)state;
    rig r;
    rig_open(&r, NULL);
    accepted list = {0};
    char code[64];
    assert_int_equal(refresh(&r, 100, &list, code), 200);
    long runs = 0, refused = 0;
    for (long n = 1;; n++, runs++) {
        int64_t before = rig_job_count(&r);
        io_fault_set("gateway.db", 0, IO_NTH_WRITE, n);
        long status = refresh(&r, 1000 * n, &list, code);
        int hit = io_fault_refused() > 0;
        io_fault_clear();
        if (status == 503) {
            refused++;
            if (rig_job_count(&r) != before)
                fail_msg("write %ld failed, the refresh was refused, and a job was left behind", n);
        } else if (status != 200) {
            fail_msg("write %ld failed and the refresh answered %ld (%s)", n, status, code);
        }
        /* The next one, without a fault, is accepted. */
        if (refresh(&r, 1000 * n + 500, &list, code) != 200)
            fail_msg("after write %ld had failed, the next refresh was refused (%s)", n, code);
        if (!hit)
            break; /* past the last write of an acceptance */
    }
    fprintf(stderr, "io faults: a write error at each of %ld writes of an acceptance, %ld answered 503\n", runs,
            refused);
    assert_true(refused > 0);
    expect_all_succeed(&r, &list);
    rig_close(&r);
}

/* ---- WAL checkpoints ---- */

static void test_checkpoint_on_full_main_file(void **state)
{
    (void)state;
    rig r;
    rig_open(&r, NULL);
    accepted list = {0};
    char code[64];
    /* The main file is full, the WAL is not: commits go on, checkpoints cannot copy. */
    io_fault_set("gateway.db", 1, IO_FULL, 0);
    for (int i = 0; i < 20; i++)
        if (refresh(&r, 100 * (i + 1), &list, code) != 200)
            fail_msg("refresh %d on a full main file (WAL free) was refused (%s)", i, code);
    wait_until(io_fault_refused, 0, "a checkpoint meeting the full main file");
    fprintf(stderr, "io faults: %ld checkpoint writes refused on the full main file\n", io_fault_refused());
    /* Space returns: the checkpointer copies the WAL into the main file. */
    io_fault_set("gateway.db", 1, IO_COUNT, 0);
    wait_until(io_fault_writes, 0, "a checkpoint after space returned");
    expect_all_succeed(&r, &list);
    rig_close(&r);
}

/* ---- the core's database while a job is applied ---- */

static void test_core_full_while_applying(void **state)
{
    (void)state;
    rig r;
    rig_open(&r, NULL);
    accepted list = {0};
    char code[64];
    assert_int_equal(refresh(&r, 4200, &list, code), 200);
    io_fault_set("oci.db", 0, IO_FULL, 0);
    rig_start_pool(&r);
    rig_work(&r);
    wait_until(io_fault_refused, 0, "the worker meeting the full oci.db");
    /* Waiting, not given up: the job retries while the disk stays full. */
    cm_sleep_ms(200);
    q_status status = rig_job_status(&r, list.ids[0]);
    if (status == Q_FAILED || status == Q_SUCCESS)
        fail_msg("the job ended %s while oci.db was full", q_status_name(status));
    io_fault_clear();
    expect_all_succeed(&r, &list);
    rig_close(&r);
}

/* ---- an import on the core's database ---- */

#define ORG "f_ecom_test_001"
#define IMPEX "/inventory/impex/v1/organizations/" ORG
#define TOKEN "Authorization: Bearer test-token"

static long oci_call(const th_oci *oci, const char *path, const char *content_type, const char *body, char **reply)
{
    char url[1024], type[96];
    th_url(url, sizeof url, oci->port, path);
    snprintf(type, sizeof type, "Content-Type: %s", content_type);
    const char *headers[] = {TOKEN, type, NULL};
    th_response response;
    assert_int_equal(th_http("POST", url, headers, body, strlen(body), &response), 0);
    *reply = strdup(response.body ? response.body : "");
    long status = response.status;
    th_response_free(&response);
    return status;
}

static char *import_status(const th_oci *oci, const char *id)
{
    char path[400];
    snprintf(path, sizeof path, "%s/oci.db", oci->dir);
    sqlite3 *db = NULL;
    char *status = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt *stmt = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT status FROM imports WHERE id = ?1", -1, &stmt, NULL), SQLITE_OK);
    sqlite3_bind_text(stmt, 1, id, -1, SQLITE_STATIC);
    if (sqlite3_step(stmt) == SQLITE_ROW)
        status = strdup((const char *)sqlite3_column_text(stmt, 0));
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    assert_non_null(status);
    return status;
}

static void test_import_on_full_core(void **state)
{
    (void)state;
    th_oci oci;
    char graph[512], text[2048];
    th_data_path("oci/location-graph-reservations.json", graph, sizeof graph);
    snprintf(text, sizeof text,
             "{\"oci\":{\"port\":0,\"organizations\":[{\"id\":\"" ORG "\",\"locationGraph\":\"%s\","
             "\"tokens\":[{\"token\":\"test-token\",\"scopes\":[\"sfcc.inventory.availability\","
             "\"sfcc.inventory.impex-inventory\",\"sfcc.inventory.impex-inventory.rw\"]}]}]},\"tenants\":[]}",
             graph);
    th_oci_start(&oci, text);
    char *reply = NULL;
    assert_int_equal(oci_call(&oci, IMPEX "/availability-records/imports", "application/json",
                              "{\"fileName\":\"full.json\"}", &reply),
                     200);
    json_object *json = json_tokener_parse(reply);
    json_object *value = NULL;
    assert_true(json_object_object_get_ex(json, "uploadLink", &value));
    char upload[512], id[128];
    snprintf(upload, sizeof upload, "%s", json_object_get_string(value));
    assert_true(json_object_object_get_ex(json, "importId", &value));
    snprintf(id, sizeof id, "%s", json_object_get_string(value));
    json_object_put(json);
    free(reply);
    const char *file = "{\"recordId\":\"full-1\",\"onHand\":11,\"sku\":\"fsku1\",\"locationId\":\"warehouse4\"}\n"
                       "{\"recordId\":\"full-2\",\"onHand\":12,\"sku\":\"fsku2\",\"locationId\":\"warehouse4\"}\n";

    /* The upload on a full disk: refused with a JSON 503 saying so, nothing taken. */
    oci_core_testing_pause_worker(oci.core, 1);
    io_fault_set("oci.db", 0, IO_FULL, 0);
    long status = oci_call(&oci, upload, "application/x-ndjson", file, &reply);
    if (status != 503 || !strstr(reply, "disk is full"))
        fail_msg("an upload on a full oci.db answered %ld: %s", status, reply);
    free(reply);
    char *state_text = import_status(&oci, id);
    assert_string_equal(state_text, "WAITING");
    free(state_text);

    /* Space back for the upload, full again while the worker imports: it retries, never FAILED. */
    io_fault_clear();
    assert_int_equal(oci_call(&oci, upload, "application/x-ndjson", file, &reply), 200);
    free(reply);
    io_fault_set("oci.db", 0, IO_FULL, 0);
    oci_core_testing_pause_worker(oci.core, 0);
    wait_until(io_fault_refused, 0, "the import meeting the full oci.db");
    cm_sleep_ms(200);
    state_text = import_status(&oci, id);
    if (strcmp(state_text, "FAILED") == 0 || strcmp(state_text, "COMPLETED") == 0)
        fail_msg("the import ended %s while oci.db was full", state_text);
    free(state_text);
    io_fault_clear();
    int64_t deadline = cm_mono_ms() + WAIT_MS;
    for (;;) {
        state_text = import_status(&oci, id);
        if (strcmp(state_text, "COMPLETED") == 0)
            break;
        if (strcmp(state_text, "FAILED") == 0 || cm_mono_ms() > deadline)
            fail_msg("the import ended %s after space returned", state_text);
        free(state_text);
        cm_sleep_ms(5);
    }
    free(state_text);
    for (int i = 1; i <= 2; i++) {
        char sku[16];
        snprintf(sku, sizeof sku, "fsku%d", i);
        oci_availability availability;
        assert_int_equal(oci_core_get_location_record(oci.core, ORG, "warehouse4", sku, &availability), CM_OK);
        assert_true(availability.exists);
        assert_int_equal(availability.on_hand_milli, (10 + i) * 1000);
    }
    th_oci_stop(&oci);
}

int main(void)
{
    io_fault_install();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_acceptance_disk_full),
        cmocka_unit_test(test_acceptance_write_error_in_turn),
        cmocka_unit_test(test_checkpoint_on_full_main_file),
        cmocka_unit_test(test_core_full_while_applying),
        cmocka_unit_test(test_import_on_full_core),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
