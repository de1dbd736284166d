/*
 * test_oci_import_worker.c - the core's background worker (oci_core/import_worker.c,
 * oci_worker_main started by oci_core_open) on a core opened in this process: an uploaded import
 * (a row made PENDING with its file, as the upload route leaves it) is taken out of its upload
 * (the part at its offset and length), checked (gzip against the declared encoding, SHA-256 and
 * SHA-512 file hashes in either case, a missing upload, a broken gzip stream), read line by line
 * (records applied, blank lines ignored, broken lines, unknown locations, repeated record ids,
 * lines over the length limit, legacy headers, failImportLines fault rules), counted and
 * finished (COMPLETED_WITHOUT_ERRORS, COMPLETED_WITH_PARTIAL_FAILURES, FAILED; the failed lines
 * with their line numbers; upload and data files removed), and applied in checkpointed batches
 * of 4000 lines that resume where they stopped; a graph export is produced and finished.
 */
#include "tests/support/test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "common/clock.h"
#include "common/digest.h"
#include "oci_core/core_internal.h"
#include "oci_core/import_parser.h"
#include "oci_core/limits.h"
#include "oci_core/oci_core_testing.h"
#include "tests/support/http_client.h"
#include "tests/support/oci_inproc.h"

#define CTL_TOKEN "ctl-token-1234"
#define ORG "org1"
#define Q(x) ((int64_t)(x) * 1000)
#define WAIT_TRIES 2000 /* x 10 ms: a bound on every wait for the worker */

static int setup(void **state)
{
    th_oci *oci = calloc(1, sizeof *oci);
    assert_non_null(oci);
    char graph[512], config[1024];
    th_data_path("oci/location-graph.json", graph, sizeof graph);
    snprintf(config, sizeof config,
             "{\"oci\":{\"port\":0,\"control\":{\"token\":\"" CTL_TOKEN "\"},\"organizations\":[{\"id\":\"" ORG
             "\",\"locationGraph\":\"%s\"}]}}",
             graph);
    th_oci_start(oci, config);
    *state = oci;
    return 0;
}

static int teardown(void **state)
{
    th_oci *oci = *state;
    th_oci_stop(oci);
    free(oci);
    return 0;
}

typedef struct upload {
    const char *encoding;  /* "" or "GZIP" */
    const char *hash;      /* NULL: none */
    const char *hash_type; /* "SHA-256" or "SHA-512" */
    int gzip;              /* what the upload route found the file to be */
    int64_t offset;        /* of the part in the upload file */
    int64_t length;        /* -1: the whole file after the offset */
    int no_file;           /* the upload file is missing */
} upload;

static int import_counter;

/* Writes `data` as an upload and makes a PENDING import of it; its id into `id`. */
static void submit(th_oci *oci, const void *data, size_t size, const upload *options, char id[OCI_ID_MAX + 1],
                   char upload_path[OCI_PATH_MAX])
{
    oci_core *core = oci->core;
    char name[64];
    snprintf(id, OCI_ID_MAX + 1, "imp-%d", ++import_counter);
    snprintf(name, sizeof name, "%s.upload", id);
    assert_int_equal(oci_path_join(upload_path, OCI_PATH_MAX, core->imports_dir, name), 0);
    if (!options->no_file)
        assert_int_equal(th_write_file(upload_path, data, size), 0);
    oci_import_row row;
    memset(&row, 0, sizeof row);
    snprintf(row.id, sizeof row.id, "%s", id);
    snprintf(row.org, sizeof row.org, ORG);
    snprintf(row.file_name, sizeof row.file_name, "import.ndjson");
    snprintf(row.file_encoding, sizeof row.file_encoding, "%s", options->encoding ? options->encoding : "");
    snprintf(row.file_hash, sizeof row.file_hash, "%s", options->hash ? options->hash : "");
    snprintf(row.file_hash_type, sizeof row.file_hash_type, "%s", options->hash_type ? options->hash_type : "");
    snprintf(row.status, sizeof row.status, "WAITING");
    row.created_ms = oci_core_now(core);
    row.link_expires_ms = row.created_ms + 3600 * 1000;
    int changed = 0;
    oci_store_conn *writer = NULL;
    assert_int_equal(oci_store_write_begin(core->store, &writer), CM_OK);
    assert_int_equal(oci_store_import_insert(writer, &row), CM_OK);
    int64_t length = options->length >= 0 ? options->length : (int64_t)size - options->offset;
    assert_int_equal(oci_store_import_set_uploaded(writer, id, upload_path, options->offset, length, options->gzip,
                                                   &changed),
                     CM_OK);
    assert_int_equal(changed, 1);
    assert_int_equal(oci_store_write_commit(writer), CM_OK);
    oci_core_wake_worker(core);
}

static oci_import_row get_import(th_oci *oci, const char *id)
{
    oci_import_row row;
    int found = 0;
    oci_store_conn *reader = oci_store_read_begin(oci->core->store);
    assert_non_null(reader);
    assert_int_equal(oci_store_import_get(reader, id, &row, &found), CM_OK);
    oci_store_read_end(reader);
    assert_int_equal(found, 1);
    return row;
}

/* Waits until the import has finished (COMPLETED or FAILED). */
static oci_import_row wait_done(th_oci *oci, const char *id)
{
    for (int i = 0; i < WAIT_TRIES; i++) {
        oci_import_row row = get_import(oci, id);
        if (strcmp(row.status, "COMPLETED") == 0 || strcmp(row.status, "FAILED") == 0)
            return row;
        cm_sleep_ms(10);
    }
    fail_msg("import %s did not finish", id);
    return get_import(oci, id);
}

static oci_import_row run(th_oci *oci, const char *text, const upload *options, char upload_path[OCI_PATH_MAX])
{
    char id[OCI_ID_MAX + 1];
    submit(oci, text, strlen(text), options, id, upload_path);
    return wait_done(oci, id);
}

static int64_t on_hand(th_oci *oci, const char *location, const char *sku)
{
    oci_availability availability;
    assert_int_equal(oci_core_get_location_record(oci->core, ORG, location, sku, &availability), CM_OK);
    return availability.exists ? availability.on_hand_milli : -1;
}

typedef struct failures {
    size_t count;
    char text[16][400];
} failures;

static int collect_failure(void *context, const char *record_id, const char *location, const char *sku,
                           const char *message)
{
    failures *list = context;
    if (list->count < 16)
        snprintf(list->text[list->count], sizeof list->text[0], "%s|%s|%s|%s", record_id, location, sku, message);
    list->count++;
    return 0;
}

static void failures_of(th_oci *oci, const char *id, failures *out)
{
    memset(out, 0, sizeof *out);
    oci_store_conn *reader = oci_store_read_begin(oci->core->store);
    assert_int_equal(oci_store_import_errors_scan(reader, id, collect_failure, out), CM_OK);
    oci_store_read_end(reader);
}

static int file_exists(const char *path)
{
    return access(path, F_OK) == 0;
}

static const upload PLAIN = {.length = -1};

static void test_lines_counted_applied_and_refused(void **state)
{
    th_oci *oci = *state;
    const char *text = "{\"recordId\":\"a\",\"sku\":\"sku-1\",\"locationId\":\"phoenix\",\"onHand\":5}\n"
                       "\n"
                       "   \r\n"
                       "{\"recordId\":\"b\",\"sku\":\"sku-2\",\"locationId\":\"surprise\",\"onHand\":1.5,"
                       "\"safetyStockCount\":1}\r\n"
                       "this is not json\n"
                       "{\"recordId\":\"c\",\"sku\":\"sku-3\",\"locationId\":\"nowhere\",\"onHand\":1}\n"
                       "{\"recordId\":\"a\",\"sku\":\"sku-1\",\"locationId\":\"phoenix\",\"onHand\":9}\n"
                       "{\"recordId\":\"d\",\"sku\":\"sku-1\",\"locationId\":\"wickenburg\",\"onHand\":2}"; /* no final \n */
    char upload_path[OCI_PATH_MAX];
    oci_import_row row = run(oci, text, &PLAIN, upload_path);
    assert_string_equal(row.status, "COMPLETED");
    assert_string_equal(row.result_status, "COMPLETED_WITH_PARTIAL_FAILURES");
    assert_string_equal(row.validation_error, "");
    assert_int_equal(row.read_count, 6);      /* the record lines and the broken one; not the blank ones */
    assert_int_equal(row.processed_count, 3); /* a, b, d */
    assert_int_equal(row.skipped_count, 1);   /* a again */
    assert_int_equal(row.failed_count, 2);    /* the broken line and the unknown location */
    assert_int_equal(row.line_cursor, 8);
    assert_true(row.started_ms > 0);
    assert_true(row.ended_ms >= row.started_ms);
    assert_int_equal(row.parser_layout, OCI_LAYOUT_HIGH_PERFORMANCE);
    assert_int_equal(on_hand(oci, "phoenix", "sku-1"), Q(5)); /* the repeated id changed nothing */
    assert_int_equal(on_hand(oci, "surprise", "sku-2"), 1500);
    assert_int_equal(on_hand(oci, "wickenburg", "sku-1"), Q(2));
    assert_int_equal(on_hand(oci, "nowhere", "sku-3"), -1);
    failures list;
    failures_of(oci, row.id, &list);
    assert_int_equal(list.count, 2);
    assert_non_null(strstr(list.text[0], "|||line 5: the line is not valid JSON"));
    assert_true(strncmp(list.text[1], "c|nowhere|sku-3|line 6: ", strlen("c|nowhere|sku-3|line 6: ")) == 0);
    /* The upload and the extracted data are gone. */
    assert_false(file_exists(upload_path));
    char data_path[OCI_PATH_MAX], data_name[OCI_ID_MAX + 16];
    snprintf(data_name, sizeof data_name, "%s.data", row.id);
    assert_int_equal(oci_path_join(data_path, sizeof data_path, oci->core->imports_dir, data_name), 0);
    assert_false(file_exists(data_path));
}

static void test_results(void **state)
{
    th_oci *oci = *state;
    char upload_path[OCI_PATH_MAX];
    oci_import_row row =
        run(oci, "{\"recordId\":\"a\",\"sku\":\"sku-1\",\"locationId\":\"phoenix\",\"onHand\":5}\n", &PLAIN, upload_path);
    assert_string_equal(row.status, "COMPLETED");
    assert_string_equal(row.result_status, "COMPLETED_WITHOUT_ERRORS");
    /* Nothing applied and something failed: FAILED. */
    row = run(oci, "{\"recordId\":\"x\",\"sku\":\"sku-1\",\"locationId\":\"nowhere\"}\nnot json\n", &PLAIN,
              upload_path);
    assert_string_equal(row.status, "FAILED");
    assert_string_equal(row.result_status, "FAILED");
    assert_int_equal(row.failed_count, 2);
    /* Only skipped records and a failure: still a partial success. */
    row = run(oci, "{\"recordId\":\"a\",\"sku\":\"sku-1\",\"locationId\":\"phoenix\",\"onHand\":7}\nnot json\n", &PLAIN,
              upload_path);
    assert_string_equal(row.result_status, "COMPLETED_WITH_PARTIAL_FAILURES");
    assert_int_equal(row.skipped_count, 1);
    /* An empty file: nothing to do, no errors. */
    row = run(oci, "", &PLAIN, upload_path);
    assert_string_equal(row.result_status, "COMPLETED_WITHOUT_ERRORS");
    assert_int_equal(row.read_count, 0);
    assert_int_equal(row.line_cursor, 0);
}

static void test_part_of_the_upload(void **state)
{
    th_oci *oci = *state;
    const char *body = "--boundary\r\nContent-Type: application/x-ndjson\r\n\r\n"
                       "{\"recordId\":\"p1\",\"sku\":\"sku-p\",\"locationId\":\"phoenix\",\"onHand\":3}\n"
                       "\r\n--boundary--\r\n";
    const char *start = strstr(body, "{");
    const char *end = strstr(body, "\r\n--boundary--");
    upload part = {.offset = start - body, .length = end - start};
    char upload_path[OCI_PATH_MAX];
    oci_import_row row = run(oci, body, &part, upload_path);
    assert_string_equal(row.result_status, "COMPLETED_WITHOUT_ERRORS");
    assert_int_equal(row.processed_count, 1);
    assert_int_equal(on_hand(oci, "phoenix", "sku-p"), Q(3));
    /* A part past the end of the file cannot be read. */
    upload beyond = {.offset = 0, .length = (int64_t)strlen(body) + 10};
    row = run(oci, body, &beyond, upload_path);
    assert_string_equal(row.status, "FAILED");
    assert_string_equal(row.validation_error, "The uploaded file could not be read.");
    /* No upload at all. */
    upload missing = {.length = 10, .no_file = 1};
    row = run(oci, "", &missing, upload_path);
    assert_string_equal(row.status, "FAILED");
    assert_string_equal(row.validation_error, "The uploaded file could not be read.");
    assert_int_equal(row.read_count, 0);
}

/* `text` gzip-compressed into a new buffer (caller frees). */
static unsigned char *gzip_of(th_oci *oci, const char *text, size_t *size)
{
    char path[OCI_PATH_MAX];
    assert_int_equal(oci_path_join(path, sizeof path, oci->dir, "packed.gz"), 0);
    gzFile file = gzopen(path, "wb");
    assert_non_null(file);
    assert_int_equal(gzwrite(file, text, (unsigned)strlen(text)), (int)strlen(text));
    assert_int_equal(gzclose(file), Z_OK);
    unsigned char *data = (unsigned char *)th_read_file(path, size);
    assert_non_null(data);
    unlink(path);
    return data;
}

static void test_gzip(void **state)
{
    th_oci *oci = *state;
    const char *text = "{\"recordId\":\"g1\",\"sku\":\"sku-g\",\"locationId\":\"phoenix\",\"onHand\":4}\n"
                       "{\"recordId\":\"g2\",\"sku\":\"sku-g\",\"locationId\":\"surprise\",\"onHand\":6}\n";
    size_t size = 0;
    unsigned char *packed = gzip_of(oci, text, &size);
    char id[OCI_ID_MAX + 1], upload_path[OCI_PATH_MAX];
    upload gzip = {.encoding = "GZIP", .gzip = 1, .length = -1};
    submit(oci, packed, size, &gzip, id, upload_path);
    oci_import_row row = wait_done(oci, id);
    assert_string_equal(row.result_status, "COMPLETED_WITHOUT_ERRORS");
    assert_int_equal(row.processed_count, 2);
    assert_int_equal(on_hand(oci, "surprise", "sku-g"), Q(6));
    /* gzip without the GZIP encoding, and the GZIP encoding on a plain file: refused as OCI does. */
    upload undeclared = {.encoding = "", .gzip = 1, .length = -1};
    submit(oci, packed, size, &undeclared, id, upload_path);
    row = wait_done(oci, id);
    assert_string_equal(row.status, "FAILED");
    assert_non_null(strstr(row.validation_error, "File is in GZIP format where the encoding type was not specified"));
    upload declared = {.encoding = "GZIP", .gzip = 0, .length = -1};
    row = run(oci, text, &declared, upload_path);
    assert_string_equal(row.status, "FAILED");
    assert_non_null(strstr(row.validation_error, "File is not in GZIP format"));
    /* A damaged stream (its check value no longer matches): the import fails. */
    packed[size - 6] ^= 0xff;
    submit(oci, packed, size, &gzip, id, upload_path);
    row = wait_done(oci, id);
    assert_string_equal(row.status, "FAILED");
    assert_string_equal(row.validation_error, "The file is not a valid gzip stream.");
    packed[size - 6] ^= 0xff;
    /* A stream cut short (its last bytes and trailer missing): not a complete file, refused. */
    submit(oci, packed, size - 12, &gzip, id, upload_path);
    row = wait_done(oci, id);
    assert_string_equal(row.status, "FAILED");
    assert_string_equal(row.validation_error, "The file is not a valid gzip stream.");
    free(packed);
}

static void test_file_hashes(void **state)
{
    th_oci *oci = *state;
    const char *text = "{\"recordId\":\"h1\",\"sku\":\"sku-h\",\"locationId\":\"phoenix\",\"onHand\":1}\n";
    uint8_t digest[CM_SHA256_LEN];
    char hex[CM_SHA256_HEX_LEN + 1];
    assert_int_equal(cm_sha256(text, strlen(text), digest), CM_OK);
    cm_sha256_hex(digest, hex);
    char upload_path[OCI_PATH_MAX];
    upload sha256 = {.hash = hex, .hash_type = "SHA-256", .length = -1};
    oci_import_row row = run(oci, text, &sha256, upload_path);
    assert_string_equal(row.result_status, "COMPLETED_WITHOUT_ERRORS");
    /* Upper case hex is the same hash. */
    char upper[CM_SHA256_HEX_LEN + 1];
    for (size_t i = 0; i <= CM_SHA256_HEX_LEN; i++)
        upper[i] = hex[i] >= 'a' && hex[i] <= 'f' ? (char)(hex[i] - 32) : hex[i];
    upload sha256_upper = {.hash = upper, .hash_type = "SHA-256", .length = -1};
    row = run(oci, text, &sha256_upper, upload_path);
    assert_string_equal(row.result_status, "COMPLETED_WITHOUT_ERRORS");
    /* Another file's hash; a shorter one. */
    char wrong[CM_SHA256_HEX_LEN + 1];
    memcpy(wrong, hex, sizeof wrong);
    wrong[0] = wrong[0] == '0' ? '1' : '0';
    upload mismatch = {.hash = wrong, .hash_type = "SHA-256", .length = -1};
    row = run(oci, text, &mismatch, upload_path);
    assert_string_equal(row.status, "FAILED");
    assert_string_equal(row.validation_error, "'fileHash' does not match the SHA-256 of the uploaded file");
    wrong[CM_SHA256_HEX_LEN - 1] = '\0';
    memcpy(wrong, hex, CM_SHA256_HEX_LEN - 1);
    row = run(oci, text, &mismatch, upload_path);
    assert_string_equal(row.status, "FAILED");
    /* SHA-512. */
    cm_sha512_ctx ctx;
    cm_sha512_init(&ctx);
    cm_sha512_update(&ctx, text, strlen(text));
    uint8_t digest512[CM_SHA512_LEN];
    assert_int_equal(cm_sha512_final(&ctx, digest512), CM_OK);
    char hex512[CM_SHA512_HEX_LEN + 1];
    cm_sha512_hex(digest512, hex512);
    upload sha512 = {.hash = hex512, .hash_type = "SHA-512", .length = -1};
    row = run(oci, text, &sha512, upload_path);
    assert_string_equal(row.result_status, "COMPLETED_WITHOUT_ERRORS");
    upload sha512_wrong = {.hash = hex, .hash_type = "SHA-512", .length = -1}; /* a SHA-256 given as SHA-512 */
    row = run(oci, text, &sha512_wrong, upload_path);
    assert_string_equal(row.validation_error, "'fileHash' does not match the SHA-512 of the uploaded file");
}

static void test_legacy_file(void **state)
{
    th_oci *oci = *state;
    const char *text = "{\"location\":\"phoenix\",\"mode\":\"UPDATE\"}\n"
                       "{\"recordId\":\"l1\",\"sku\":\"sku-l\",\"onHand\":2}\n"
                       "{\"locationId\":\"surprise\",\"mode\":\"UPDATE\"}\n"
                       "{\"recordId\":\"l2\",\"sku\":\"sku-l\",\"onHand\":3}\n"
                       "{\"location\":\"surprise\",\"mode\":\"DELETE\"}\n"
                       "{\"recordId\":\"l3\",\"sku\":\"sku-l\",\"onHand\":4}\n";
    char upload_path[OCI_PATH_MAX];
    oci_import_row row = run(oci, text, &PLAIN, upload_path);
    assert_string_equal(row.result_status, "COMPLETED_WITH_PARTIAL_FAILURES");
    assert_int_equal(row.processed_count, 2);
    assert_int_equal(row.failed_count, 2); /* the bad header and the record under it */
    assert_int_equal(row.read_count, 3);   /* the three records: headers, good or bad, are not records */
    assert_int_equal(row.parser_layout, OCI_LAYOUT_LEGACY);
    assert_int_equal(row.parser_has_location, 0);
    assert_int_equal(on_hand(oci, "phoenix", "sku-l"), Q(2));
    assert_int_equal(on_hand(oci, "surprise", "sku-l"), Q(3));
    failures list;
    failures_of(oci, row.id, &list);
    assert_int_equal(list.count, 2);
    assert_non_null(strstr(list.text[0], "line 5: 'mode' must be UPDATE"));
    assert_non_null(strstr(list.text[1], "l3||sku-l|line 6: the location header before this record is invalid"));
}

static void test_overlong_line(void **state)
{
    th_oci *oci = *state;
    /* A record padded with spaces to one byte over the limit, then a normal line. */
    size_t size = OCI_IMPORT_LINE_MAX + 300;
    char *text = malloc(size);
    assert_non_null(text);
    const char *record = "{\"recordId\":\"big\",\"sku\":\"sku-b\",\"locationId\":\"phoenix\",\"onHand\":1}";
    size_t padding = OCI_IMPORT_LINE_MAX + 1 - strlen(record);
    memset(text, ' ', padding);
    memcpy(text + padding, record, strlen(record));
    size_t used = OCI_IMPORT_LINE_MAX + 1;
    used += (size_t)snprintf(text + used, size - used,
                             "\n{\"recordId\":\"after\",\"sku\":\"sku-b\",\"locationId\":\"surprise\",\"onHand\":2}\n");
    char upload_path[OCI_PATH_MAX];
    oci_import_row row = run(oci, text, &PLAIN, upload_path);
    free(text);
    assert_int_equal(row.failed_count, 1);
    assert_int_equal(row.processed_count, 1);
    assert_int_equal(row.line_cursor, 2);
    assert_int_equal(on_hand(oci, "phoenix", "sku-b"), -1);
    assert_int_equal(on_hand(oci, "surprise", "sku-b"), Q(2));
    failures list;
    failures_of(oci, row.id, &list);
    assert_int_equal(list.count, 1);
    assert_non_null(strstr(list.text[0], "line 1: the line is longer than 65536 bytes"));

    /* Exactly the limit is not longer than it: applied, with and without a final new line. */
    for (int final_newline = 0; final_newline < 2; final_newline++) {
        text = malloc(OCI_IMPORT_LINE_MAX + 2);
        assert_non_null(text);
        const char *exact = final_newline ? "{\"recordId\":\"exact-n\",\"sku\":\"sku-e\",\"locationId\":\"phoenix\",\"onHand\":3}"
                                          : "{\"recordId\":\"exact\",\"sku\":\"sku-e\",\"locationId\":\"surprise\",\"onHand\":4}";
        padding = OCI_IMPORT_LINE_MAX - strlen(exact);
        memset(text, ' ', padding);
        memcpy(text + padding, exact, strlen(exact));
        used = OCI_IMPORT_LINE_MAX;
        if (final_newline)
            text[used++] = '\n';
        text[used] = '\0';
        row = run(oci, text, &PLAIN, upload_path);
        free(text);
        assert_int_equal(row.failed_count, 0);
        assert_int_equal(row.processed_count, 1);
    }
    assert_int_equal(on_hand(oci, "phoenix", "sku-e"), Q(3));
    assert_int_equal(on_hand(oci, "surprise", "sku-e"), Q(4));
}

static void test_fail_import_lines_rule(void **state)
{
    th_oci *oci = *state;
    char url[256];
    th_url(url, sizeof url, oci->port, "/_omsgw/faults");
    const char *headers[] = {"Authorization: Bearer " CTL_TOKEN, "Content-Type: application/json", NULL};
    const char *rule = "{\"route\":\"*/imports\",\"failImportLines\":\"bad-*\"}";
    th_response response;
    assert_int_equal(th_http("POST", url, headers, rule, strlen(rule), &response), 0);
    assert_int_equal(response.status, 201);
    th_response_free(&response);
    const char *text = "{\"recordId\":\"f1\",\"sku\":\"bad-1\",\"locationId\":\"phoenix\",\"onHand\":1}\n"
                       "{\"recordId\":\"f2\",\"sku\":\"good-1\",\"locationId\":\"phoenix\",\"onHand\":1}\n";
    char upload_path[OCI_PATH_MAX];
    oci_import_row row = run(oci, text, &PLAIN, upload_path);
    assert_int_equal(row.read_count, 2);
    assert_int_equal(row.failed_count, 1);
    assert_int_equal(row.processed_count, 1);
    assert_int_equal(on_hand(oci, "phoenix", "bad-1"), -1);
    assert_int_equal(on_hand(oci, "phoenix", "good-1"), Q(1));
    failures list;
    failures_of(oci, row.id, &list);
    assert_int_equal(list.count, 1);
    assert_string_equal(list.text[0], "f1|phoenix|bad-1|line 1: injected failure (fault rule f-1): this line was "
                                      "refused on purpose");
    /* The id of the refused record was not used up: a later import applies it. */
    row = run(oci, "{\"recordId\":\"f1\",\"sku\":\"other\",\"locationId\":\"phoenix\",\"onHand\":4}\n", &PLAIN,
              upload_path);
    assert_int_equal(row.processed_count, 1);
}

static void test_batches_resume_from_the_checkpoint(void **state)
{
    th_oci *oci = *state;
    size_t lines = OCI_IMPORT_BATCH_LINES + 5;
    size_t size = lines * 100 + 1;
    char *text = malloc(size);
    assert_non_null(text);
    size_t used = 0;
    for (size_t i = 0; i < lines; i++)
        used += (size_t)snprintf(text + used, size - used,
                                 "{\"recordId\":\"b%zu\",\"sku\":\"sku-%zu\",\"locationId\":\"phoenix\",\"onHand\":%zu}\n",
                                 i, i, i + 1);
    /* One batch, then the worker stops as a process stopped there would. */
    oci_core_testing_import_batches(oci->core, 1);
    char id[OCI_ID_MAX + 1], upload_path[OCI_PATH_MAX];
    submit(oci, text, used, &PLAIN, id, upload_path);
    free(text);
    oci_import_row row = get_import(oci, id);
    for (int i = 0; i < WAIT_TRIES && row.line_cursor == 0; i++) {
        cm_sleep_ms(10);
        row = get_import(oci, id);
    }
    assert_int_equal(row.line_cursor, OCI_IMPORT_BATCH_LINES);
    assert_string_equal(row.status, "RUNNING");
    assert_int_equal(row.processed_count, OCI_IMPORT_BATCH_LINES);
    assert_int_equal(row.parser_layout, OCI_LAYOUT_HIGH_PERFORMANCE);
    assert_int_equal(on_hand(oci, "phoenix", "sku-3999"), Q(4000));
    assert_int_equal(on_hand(oci, "phoenix", "sku-4000"), -1);
    /* Resumed: the rest, nothing applied twice. */
    oci_core_testing_import_batches(oci->core, -1);
    oci_core_testing_pause_worker(oci->core, 0);
    row = wait_done(oci, id);
    assert_string_equal(row.result_status, "COMPLETED_WITHOUT_ERRORS");
    assert_int_equal(row.read_count, (int64_t)lines);
    assert_int_equal(row.processed_count, (int64_t)lines);
    assert_int_equal(row.skipped_count, 0);
    assert_int_equal(row.line_cursor, (int64_t)lines);
    assert_int_equal(on_hand(oci, "phoenix", "sku-4004"), Q(4005));
    int64_t count = 0;
    oci_store_conn *reader = oci_store_read_begin(oci->core->store);
    json_object *counts = json_object_new_object();
    assert_int_equal(oci_store_state_counts(reader, ORG, counts), CM_OK);
    oci_store_read_end(reader);
    count = json_object_get_int64(json_object_object_get(counts, "events"));
    json_object_put(counts);
    assert_int_equal(count, (int64_t)lines); /* one event per record */
}

static void test_graph_export(void **state)
{
    th_oci *oci = *state;
    oci_export_row row;
    memset(&row, 0, sizeof row);
    snprintf(row.id, sizeof row.id, "exp-graph");
    snprintf(row.org, sizeof row.org, ORG);
    snprintf(row.kind, sizeof row.kind, "graph");
    snprintf(row.status, sizeof row.status, "PENDING");
    row.created_ms = oci_core_now(oci->core);
    oci_store_conn *writer = NULL;
    assert_int_equal(oci_store_write_begin(oci->core->store, &writer), CM_OK);
    assert_int_equal(oci_store_export_insert(writer, &row), CM_OK);
    assert_int_equal(oci_store_write_commit(writer), CM_OK);
    oci_core_wake_worker(oci->core);
    oci_export_row done;
    int found = 0;
    for (int i = 0; i < WAIT_TRIES; i++) {
        oci_store_conn *reader = oci_store_read_begin(oci->core->store);
        assert_int_equal(oci_store_export_get(reader, "exp-graph", &done, &found), CM_OK);
        oci_store_read_end(reader);
        if (strcmp(done.status, "COMPLETED") == 0 || strcmp(done.status, "FAILED") == 0)
            break;
        oci_export_row_clear(&done);
        cm_sleep_ms(10);
    }
    assert_string_equal(done.status, "COMPLETED");
    assert_true(done.started_ms > 0);
    assert_true(done.ended_ms >= done.started_ms);
    assert_int_equal(done.expires_ms, done.ended_ms + OCI_RESULT_LINK_TTL_MS);
    assert_true(done.file_path[0] != '\0');
    assert_true(file_exists(done.file_path));
    oci_export_row_clear(&done);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_lines_counted_applied_and_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_results, setup, teardown),
        cmocka_unit_test_setup_teardown(test_part_of_the_upload, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gzip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_hashes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_legacy_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_overlong_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fail_import_lines_rule, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batches_resume_from_the_checkpoint, setup, teardown),
        cmocka_unit_test_setup_teardown(test_graph_export, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
