/*
 * torture_oci.c - the bundled OCI core when the N-th allocation fails (alloc_fail.h), for
 * N = 1, 2, …, through its real HTTP server on a loopback port: get-availability, a reservation
 * (PUT reservation-documents), and an import (the upload, then the core's worker parsing the file
 * with oci_core/import_parser.c and applying it in oci_core/import_worker.c).
 *
 * What each run proves: no crash and no sanitizer report (LeakSanitizer checks at exit); an answer
 * is either the one a run without failure gives or a JSON 503; the next request without a failure
 * succeeds; a reservation answered 503 reserved nothing (the same document id is then accepted) and
 * one answered 200 is counted once; an import whose upload was accepted ends COMPLETED with every
 * record applied, one whose upload was refused can be uploaded again.
 *
 * Normal run: every N up to DENSE, then a stride; OMSGW_TORTURE_FULL=1 runs every N.
 */
#include "tests/support/http_client.h"
#include "tests/support/oci_inproc.h"
#include "tests/support/test_support.h"
#include "tests/torture/alloc_fail.h"

#include "common/clock.h"
#include "oci_core/core_internal.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DENSE 40
#define SAMPLES 60
#define ORG "f_ecom_test_001"
#define AVAIL "/inventory/availability/v1/organizations/" ORG
#define IMPEX "/inventory/impex/v1/organizations/" ORG
#define RES "/inventory/reservation/v1/organizations/" ORG
#define TOKEN "Authorization: Bearer test-token"
#define WAIT_MS 30000
#define IMPORT_RECORDS 3

static const char *const JSON_HEADERS[] = {TOKEN, "Content-Type: application/json", NULL};

static long stride_for(long total)
{
    long stride = (total - DENSE) / SAMPLES;
    return stride < 1 ? 1 : stride;
}

static void report(const char *what, long total, long runs, long seen, long refused)
{
    fprintf(stderr, "torture %s: %ld counted allocations, %ld runs (%s), %ld injected failures, %ld answered 503\n",
            what, total, runs, ta_full_range() ? "full range" : "sampled", seen, refused);
}

static void start(th_oci *oci)
{
    char graph[512], text[2048];
    th_data_path("oci/location-graph-reservations.json", graph, sizeof graph);
    snprintf(text, sizeof text,
             "{\"oci\":{\"port\":0,\"organizations\":[{\"id\":\"" ORG "\",\"locationGraph\":\"%s\","
             "\"tokens\":[{\"token\":\"test-token\",\"scopes\":[\"sfcc.inventory.availability\","
             "\"sfcc.inventory.availability.rw\",\"sfcc.inventory.impex-inventory\",\"sfcc.inventory.impex-inventory.rw\","
             "\"sfcc_inventory_reservations_rw\"]}]}]},\"tenants\":[]}",
             graph);
    th_oci_start(oci, text);
}

/* One request; *body gets the answer's text (caller frees). Returns the status (0: no answer). */
static long call(const th_oci *oci, const char *method, const char *path, const char *const *headers, const void *data,
                 size_t length, char **body)
{
    char url[1024];
    th_url(url, sizeof url, oci->port, path);
    th_response response;
    if (th_http(method, url, headers ? headers : JSON_HEADERS, data, length, &response) != 0) {
        *body = strdup("");
        return 0;
    }
    *body = strdup(response.body ? response.body : "");
    long status = response.status;
    th_response_free(&response);
    return status;
}

static long call_json(const th_oci *oci, const char *method, const char *path, const char *json, char **body)
{
    return call(oci, method, path, NULL, json, json ? strlen(json) : 0, body);
}

/* A 503 must still be JSON. */
static void expect_json_503(const char *what, long n, const char *body)
{
    json_object *parsed = json_tokener_parse(body);
    if (!parsed)
        fail_msg("%s, allocation %ld: a 503 without a JSON body: %s", what, n, body);
    json_object_put(parsed);
}

static void batch_update(const th_oci *oci, const char *records)
{
    char *body = NULL;
    char json[1024];
    snprintf(json, sizeof json, "{\"records\":[%s]}", records);
    long status = call_json(oci, "POST", AVAIL "/availability-records/actions/batch-update", json, &body);
    if (status != 204)
        fail_msg("batch-update answered %ld: %s", status, body);
    free(body);
}

/* ---- get-availability ---- */

static void test_get_availability(void **state)
{
    (void)state;
    th_oci oci;
    start(&oci);
    batch_update(&oci, "{\"id\":\"a1\",\"location\":\"warehouse4\",\"sku\":\"sku1\",\"onHand\":10},"
                       "{\"id\":\"a2\",\"location\":\"warehouse5\",\"sku\":\"sku1\",\"onHand\":3.5,\"safetyStockCount\":1},"
                       "{\"id\":\"a3\",\"location\":\"warehouse4\",\"sku\":\"sku2\",\"onHand\":7}");
    const char *query = "{\"skus\":[\"sku1\",\"sku2\",\"sku3\"],\"groups\":[\"UnitedStates\"],"
                        "\"locations\":[\"warehouse4\",\"warehouse5\"]}";
    const char *path = AVAIL "/availability-records/actions/get-availability";
    char *reference = NULL, *body = NULL;
    assert_int_equal(call_json(&oci, "POST", path, query, &reference), 200);
    ta_arm(0);
    assert_int_equal(call_json(&oci, "POST", path, query, &body), 200);
    long total = ta_disarm();
    assert_string_equal(body, reference);
    free(body);

    long runs = 0, seen = 0, refused = 0, stride = stride_for(total);
    for (long n = ta_first(); n <= total; n = ta_next(n, DENSE, stride), runs++) {
        ta_arm(n);
        long status = call_json(&oci, "POST", path, query, &body);
        ta_disarm();
        seen += ta_failed();
        if (status == 503) {
            expect_json_503("get-availability", n, body);
            refused++;
        } else if (status != 200 || strcmp(body, reference) != 0) {
            fail_msg("get-availability, allocation %ld: %ld %s (without a failure: %s)", n, status, body, reference);
        }
        free(body);
        /* Still serving, with the same answer. */
        status = call_json(&oci, "POST", path, query, &body);
        if (status != 200 || strcmp(body, reference) != 0)
            fail_msg("get-availability after allocation %ld had failed: %ld %s", n, status, body);
        free(body);
    }
    report("get-availability", total, runs, seen, refused);
    if (ta_first() == 1) /* not when replaying one N */
        assert_true(refused > 0);
    free(reference);
    th_oci_stop(&oci);
}

/* ---- a reservation ---- */

static long reserved_units(th_oci *oci)
{
    oci_availability availability;
    assert_int_equal(oci_core_get_location_record(oci->core, ORG, "warehouse4", "sku1", &availability), CM_OK);
    return (long)(availability.reserved_milli / 1000);
}

static long reserve(th_oci *oci, long id, char **body)
{
    char path[256];
    snprintf(path, sizeof path, RES "/reservation-documents/torture-%ld", id);
    return call_json(oci, "PUT", path,
                     "{\"locations\":[{\"id\":\"warehouse4\",\"reservations\":[{\"sku\":\"sku1\",\"quantity\":1}]}]}",
                     body);
}

static void test_reservation(void **state)
{
    (void)state;
    th_oci oci;
    start(&oci);
    batch_update(&oci, "{\"id\":\"r1\",\"location\":\"warehouse4\",\"sku\":\"sku1\",\"onHand\":100000}");
    char *body = NULL;
    long expected = 0;
    ta_arm(0);
    long status = reserve(&oci, 0, &body);
    long total = ta_disarm();
    if (status != 200)
        fail_msg("a reservation answered %ld: %s", status, body);
    free(body);
    expected++;
    assert_int_equal(reserved_units(&oci), expected);

    long runs = 0, seen = 0, refused = 0, stride = stride_for(total);
    for (long n = ta_first(); n <= total; n = ta_next(n, DENSE, stride), runs++) {
        ta_arm(n);
        status = reserve(&oci, n, &body);
        ta_disarm();
        seen += ta_failed();
        if (status == 200) {
            expected++;
        } else if (status == 503) {
            expect_json_503("reservation", n, body);
            refused++;
            if (reserved_units(&oci) != expected)
                fail_msg("reservation, allocation %ld: refused with 503 but reserved %ld units, not %ld", n,
                         reserved_units(&oci), expected);
            /* Nothing was left of it: the same document id is accepted now. */
            free(body);
            status = reserve(&oci, n, &body);
            if (status != 200)
                fail_msg("reservation, allocation %ld: the retry of a refused document answered %ld: %s", n, status,
                         body);
            expected++;
        } else {
            fail_msg("reservation, allocation %ld: answered %ld: %s", n, status, body);
        }
        free(body);
        if (reserved_units(&oci) != expected)
            fail_msg("reservation, allocation %ld: %ld units reserved, %ld answered", n, reserved_units(&oci), expected);
    }
    report("reservation", total, runs, seen, refused);
    if (ta_first() == 1) /* not when replaying one N */
        assert_true(refused > 0);
    th_oci_stop(&oci);
}

/* ---- an import ---- */

/* The import's status as the core's database holds it, read on this (uncounted) thread. */
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

static char *wait_import(const th_oci *oci, const char *id)
{
    int64_t deadline = cm_mono_ms() + WAIT_MS;
    for (int polls = 0;; polls++) {
        /* An import whose batch met a failed allocation is retried after the worker's idle wait
         * (a second); waking the worker shortens that wait, as another upload would. */
        if (polls % 10 == 9)
            oci_core_wake_worker(oci->core);
        char *status = import_status(oci, id);
        if (strcmp(status, "COMPLETED") == 0 || strcmp(status, "FAILED") == 0)
            return status;
        if (cm_mono_ms() > deadline)
            fail_msg("import %s is still %s after %d ms", id, status, WAIT_MS);
        free(status);
        cm_sleep_ms(2);
    }
}

/* Creates an import; *id and upload_path (512 bytes) are filled (free *id). */
static void submit(const th_oci *oci, char **id, char upload_path[512])
{
    char *body = NULL;
    long status = call_json(oci, "POST", IMPEX "/availability-records/imports", "{\"fileName\":\"torture.json\"}", &body);
    if (status != 200)
        fail_msg("creating an import answered %ld: %s", status, body);
    json_object *json = json_tokener_parse(body);
    json_object *value = NULL;
    assert_true(json_object_object_get_ex(json, "uploadLink", &value));
    snprintf(upload_path, 512, "%s", json_object_get_string(value));
    assert_true(json_object_object_get_ex(json, "importId", &value));
    *id = strdup(json_object_get_string(value));
    json_object_put(json);
    free(body);
}

static long upload(const th_oci *oci, const char *upload_path, const char *file, char **body)
{
    const char *headers[] = {TOKEN, "Content-Type: application/x-ndjson", NULL};
    return call(oci, "POST", upload_path, headers, file, strlen(file), body);
}

/* The file of run n: IMPORT_RECORDS records, on-hand n + i, record ids unique to the run. */
static void import_file(long n, char *out, size_t size)
{
    size_t used = 0;
    for (int i = 0; i < IMPORT_RECORDS; i++)
        used += (size_t)snprintf(out + used, size - used,
                                 "{\"recordId\":\"imp-%ld-%d\",\"onHand\":%ld,\"sku\":\"isku%d\",\"locationId\":\"warehouse4\"}\n",
                                 n, i, n + i, i);
}

static void check_applied(th_oci *oci, long n, const char *id)
{
    for (int i = 0; i < IMPORT_RECORDS; i++) {
        char sku[32];
        snprintf(sku, sizeof sku, "isku%d", i);
        oci_availability availability;
        assert_int_equal(oci_core_get_location_record(oci->core, ORG, "warehouse4", sku, &availability), CM_OK);
        if (!availability.exists || availability.on_hand_milli != (n + i) * 1000)
            fail_msg("import %s, allocation %ld: %s holds %lld thousandths, the file said %ld", id, n, sku,
                     (long long)availability.on_hand_milli, n + i);
    }
}

/* One import with the n-th allocation failing from the upload to the end of its processing. */
static long import_once(th_oci *oci, long n, long file_number, long *counted, long *refused)
{
    char *id = NULL, upload_path[512], file[1024], *body = NULL;
    submit(oci, &id, upload_path);
    import_file(file_number, file, sizeof file);
    ta_arm(n);
    long status = upload(oci, upload_path, file, &body);
    char *final = status == 200 ? wait_import(oci, id) : NULL;
    long total = ta_disarm();
    if (counted)
        *counted = total;
    if (status == 503) {
        expect_json_503("import upload", n, body);
        (*refused)++;
        /* The refused upload left the import waiting: the same link takes the file now. */
        free(body);
        status = upload(oci, upload_path, file, &body);
        if (status != 200)
            fail_msg("import %s, allocation %ld: the upload after a refused one answered %ld: %s", id, n, status, body);
        final = wait_import(oci, id);
    } else if (status != 200) {
        fail_msg("import %s, allocation %ld: the upload answered %ld: %s", id, n, status, body);
    }
    if (strcmp(final, "COMPLETED") != 0)
        fail_msg("import %s, allocation %ld: its upload was accepted and it ended %s", id, n, final);
    check_applied(oci, file_number, id);
    free(final);
    free(body);
    free(id);
    return status;
}

static void test_import(void **state)
{
    (void)state;
    th_oci oci;
    start(&oci);
    long total = 0, refused = 0;
    import_once(&oci, 0, 900001, &total, &refused);
    import_once(&oci, 0, 900002, &total, &refused); /* the second, with its statements prepared, is the range */
    long runs = 0, seen = 0, stride = stride_for(total);
    for (long n = ta_first(); n <= total; n = ta_next(n, DENSE, stride), runs++) {
        import_once(&oci, n, n, NULL, &refused);
        seen += ta_failed();
    }
    report("import", total, runs, seen, refused);
    th_oci_stop(&oci);
}

int main(void)
{
    ta_install();
    ta_exempt_thread(1); /* the test's own thread is the client; the server's threads count */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_availability),
        cmocka_unit_test(test_reservation),
        cmocka_unit_test(test_import),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
