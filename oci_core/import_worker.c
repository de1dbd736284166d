/*
 * import_worker.c - the background thread: processes uploaded import files and produces exports,
 * one job at a time, never on a server thread.
 *
 * An import is applied in batches of OCI_IMPORT_BATCH_LINES lines, each batch in one transaction
 * that also saves the checkpoint (lines done, counters, parser state). After a stop or a crash the
 * import resumes at the first line not yet committed, so no line is applied twice (and record ids
 * make even that harmless).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "common/log.h"
#include "common/thread_priority.h"
#include "common/digest.h"
#include "oci_core/apply.h"
#include "oci_core/control.h"
#include "oci_core/core_internal.h"
#include "oci_core/import_parser.h"
#include "oci_core/limits.h"
#include "common/digest.h"

#define IDLE_WAIT_MS 1000

static int stopping(oci_core *core)
{
    pthread_mutex_lock(&core->worker_lock);
    int stop = core->stopping;
    pthread_mutex_unlock(&core->worker_lock);
    return stop;
}

#define EXTRACT_NO_MEMORY (-2)

/* Copies the file part of the upload into `data_path`, hashing it. Returns 0, -1 (the file could
 * not be read or written), or EXTRACT_NO_MEMORY (nothing is known against the file: try later). */
static int extract_part(const oci_import_row *row, const char *data_path, char hash_hex[CM_SHA256_HEX_LEN + 1],
                        char sha512_hex[CM_SHA512_HEX_LEN + 1])
{
    int in = open(row->upload_path, O_RDONLY | O_CLOEXEC);
    int out = open(data_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int rc = in >= 0 && out >= 0 ? 0 : -1;
    cm_sha256_ctx ctx;
    cm_sha256_init(&ctx);
    cm_sha512_ctx ctx512;
    cm_sha512_init(&ctx512);
    char *buffer = malloc(1 << 16);
    if (!buffer)
        rc = -1;
    int64_t left = row->part_length, position = row->part_offset;
    while (rc == 0 && left > 0) {
        size_t want = left < (1 << 16) ? (size_t)left : (size_t)(1 << 16);
        ssize_t n = pread(in, buffer, want, position);
        if (n <= 0 || write(out, buffer, (size_t)n) != n) {
            rc = -1;
            break;
        }
        cm_sha256_update(&ctx, buffer, (size_t)n);
        cm_sha512_update(&ctx512, buffer, (size_t)n);
        left -= n;
        position += n;
    }
    int no_memory = !buffer;
    free(buffer);
    uint8_t digest[CM_SHA256_LEN];
    if (cm_sha256_final(&ctx, digest) != CM_OK)
        rc = -1;
    cm_sha256_hex(digest, hash_hex);
    uint8_t digest512[CM_SHA512_LEN];
    if (cm_sha512_final(&ctx512, digest512) != CM_OK)
        rc = -1;
    cm_sha512_hex(digest512, sha512_hex);
    if (in >= 0)
        close(in);
    if (out >= 0 && close(out) != 0)
        rc = -1;
    return no_memory ? EXTRACT_NO_MEMORY : rc;
}

static int same_hex(const char *a, const char *b)
{
    if (strlen(a) != strlen(b))
        return 0;
    for (; *a; a++, b++) {
        char x = *a >= 'A' && *a <= 'F' ? (char)(*a + 32) : *a;
        char y = *b >= 'A' && *b <= 'F' ? (char)(*b + 32) : *b;
        if (x != y)
            return 0;
    }
    return 1;
}

#define LINE_BUFFER (OCI_IMPORT_LINE_MAX + 2)

/* Reads one line without its '\n'; returns 1, or 0 at the end. A line that does not fit is
 * consumed to its end and flagged in *too_long. */
static int read_line(gzFile file, char *buffer, size_t capacity, size_t *length, int *too_long)
{
    *length = 0;
    *too_long = 0;
    if (!gzgets(file, buffer, (int)capacity))
        return 0;
    size_t got = strlen(buffer);
    if (got && buffer[got - 1] == '\n') {
        buffer[got - 1] = '\0';
        *length = got - 1;
        return 1;
    }
    *length = got;
    if (got + 1 < capacity)
        return 1; /* the last line, without a final '\n' */
    *too_long = 1;
    char scratch[4096];
    while (gzgets(file, scratch, sizeof scratch)) {
        size_t n = strlen(scratch);
        if (n && scratch[n - 1] == '\n')
            break;
    }
    return 1;
}

/* Tests only: once the budget set by oci_core_testing_import_batches is used up, the worker
 * leaves the import RUNNING and pauses, as if the process had stopped there. */
static int batch_budget_spent(oci_core *core)
{
    pthread_mutex_lock(&core->worker_lock);
    int spent = core->batch_budget == 0;
    if (spent)
        core->worker_paused = 1;
    else if (core->batch_budget > 0)
        core->batch_budget--;
    pthread_mutex_unlock(&core->worker_lock);
    return spent;
}

typedef struct pending_line {
    int64_t line_number;
    oci_import_line parsed;
} pending_line;

/* Applies one batch and saves the checkpoint in the same transaction. The records of the batch
 * go to oci_apply_many together (a few multi-row statements per group, apply.h); the counters and
 * the failed lines are then written line by line, in order. */
static cm_err commit_batch(oci_core *core, const oci_graph *graph, oci_import_row *row, pending_line *lines,
                           size_t count, const oci_import_parser *parser, int64_t cursor)
{
    oci_import_row next = *row;
    const oci_record_update **updates = calloc(count ? count : 1, sizeof *updates);
    oci_apply_result *results = calloc(count ? count : 1, sizeof *results);
    int *injected = calloc(count ? count : 1, sizeof *injected);
    char (*injected_why)[160] = NULL;
    oci_store_conn *writer = NULL;
    cm_err rc = updates && results && injected ? oci_store_write_begin(core->store, &writer) : CM_ENOMEM;
    int64_t now = oci_core_now(core);
    size_t record_count = 0;
    for (size_t i = 0; rc == CM_OK && i < count; i++) {
        oci_import_line *line = &lines[i].parsed;
        if (line->kind != OCI_LINE_RECORD)
            continue;
        char why[160];
        if (oci_control_fail_import_line(core, row->org, line->sku, why)) {
            /* A failImportLines fault rule (control.h): refused as OCI refuses a bad line. */
            if (!injected_why && !(injected_why = calloc(count, sizeof *injected_why)))
                rc = CM_ENOMEM;
            else {
                injected[i] = 1;
                memcpy(injected_why[i], why, sizeof why);
            }
            continue;
        }
        updates[record_count++] = &line->record;
    }
    if (rc == CM_OK && record_count) {
        oci_apply_batch batch = {.org = row->org, .update_list = updates, .count = record_count,
                                 .mode = OCI_APPLY_MERGE, .event_type = "location_import", .now_ms = now,
                                 .claim_ids = 1};
        rc = oci_apply_many(writer, graph, &batch, results);
    }
    size_t r = 0;
    for (size_t i = 0; rc == CM_OK && i < count; i++) {
        oci_import_line *line = &lines[i].parsed;
        if (line->kind == OCI_LINE_RECORD && injected[i]) {
            char message[OCI_MESSAGE_MAX + 200];
            snprintf(message, sizeof message, "line %lld: %s", (long long)lines[i].line_number, injected_why[i]);
            next.read_count++;
            next.failed_count++;
            rc = oci_store_import_error_add(writer, row->id, lines[i].line_number, line->record_id, line->location_id,
                                            line->sku, message);
        } else if (line->kind == OCI_LINE_RECORD) {
            next.read_count++;
            const oci_apply_result *result = &results[r++];
            if (result->outcome == OCI_APPLY_APPLIED) {
                next.processed_count++;
            } else if (result->outcome == OCI_APPLY_DUPLICATE) {
                next.skipped_count++;
            } else {
                char message[OCI_MESSAGE_MAX + 32];
                snprintf(message, sizeof message, "line %lld: %s", (long long)lines[i].line_number, result->message);
                next.failed_count++;
                rc = oci_store_import_error_add(writer, row->id, lines[i].line_number, line->record_id,
                                                line->location_id, line->sku, message);
            }
        } else if (line->kind == OCI_LINE_ERROR) {
            char message[OCI_MESSAGE_MAX + 32];
            snprintf(message, sizeof message, "line %lld: %s", (long long)lines[i].line_number, line->message);
            /* A refused record was read; a refused location header is not a record. */
            if (!line->is_header)
                next.read_count++;
            next.failed_count++;
            rc = oci_store_import_error_add(writer, row->id, lines[i].line_number, line->record_id, line->location_id,
                                            line->sku, message);
        }
    }
    free(updates);
    free(results);
    free(injected);
    free(injected_why);
    next.line_cursor = cursor;
    next.parser_layout = (int)parser->layout;
    next.parser_has_location = parser->has_location;
    snprintf(next.parser_location, sizeof next.parser_location, "%s", parser->location);
    if (rc == CM_OK)
        rc = oci_store_import_update(writer, &next);
    if (writer)
        rc = rc == CM_OK ? oci_store_write_commit(writer) : (oci_store_write_rollback(writer), rc);
    if (rc == CM_OK)
        *row = next;
    return rc;
}

static cm_err save_row(oci_core *core, const oci_import_row *row)
{
    oci_store_conn *writer = NULL;
    cm_err rc = oci_store_write_begin(core->store, &writer);
    if (rc == CM_OK) {
        rc = oci_store_import_update(writer, row);
        rc = rc == CM_OK ? oci_store_write_commit(writer) : (oci_store_write_rollback(writer), rc);
    }
    return rc;
}

static void finish_import(oci_core *core, oci_import_row *row, const char *data_path)
{
    row->ended_ms = oci_core_now(core);
    if (row->validation_error[0]) {
        snprintf(row->status, sizeof row->status, "FAILED");
        snprintf(row->result_status, sizeof row->result_status, "FAILED");
    } else if (row->failed_count == 0) {
        snprintf(row->status, sizeof row->status, "COMPLETED");
        snprintf(row->result_status, sizeof row->result_status, "COMPLETED_WITHOUT_ERRORS");
    } else if (row->processed_count + row->skipped_count > 0) {
        snprintf(row->status, sizeof row->status, "COMPLETED");
        snprintf(row->result_status, sizeof row->result_status, "COMPLETED_WITH_PARTIAL_FAILURES");
    } else {
        snprintf(row->status, sizeof row->status, "FAILED");
        snprintf(row->result_status, sizeof row->result_status, "FAILED");
    }
    if (save_row(core, row) != CM_OK) {
        cm_log_error("oci.import_finish", "import=%s: cannot save the result", row->id);
        return;
    }
    unlink(data_path);
    unlink(row->upload_path);
    cm_log_info("oci.import_done", "import=%s status=%s read=%lld processed=%lld skipped=%lld failed=%lld", row->id,
                row->result_status, (long long)row->read_count, (long long)row->processed_count,
                (long long)row->skipped_count, (long long)row->failed_count);
}

/* Returns 1 when the import needs no more work now, 0 when it should be retried later. */
static int run_import(oci_core *core, const char *id)
{
    oci_import_row row;
    int found = 0;
    oci_store_conn *reader = oci_store_read_begin(core->store);
    cm_err rc = reader ? oci_store_import_get(reader, id, &row, &found) : CM_EDB;
    oci_store_read_end(reader);
    if (rc != CM_OK)
        return 0;
    if (!found)
        return 1;
    if (!core->config->oci.strict && oci_core_graph_changing(core, row.org))
        return 0; /* held while its organization's graph changes (graph_change.c); retried after a pause */
    int done = 0;
    char name[OCI_ID_MAX + 16], data_path[OCI_PATH_MAX];
    snprintf(name, sizeof name, "%s.data", row.id);
    if (oci_path_join(data_path, sizeof data_path, core->imports_dir, name) != 0)
        return 0;
    if (strcmp(row.status, "PENDING") == 0 || row.line_cursor == 0) {
        /* First start (or a restart before any batch): take the file out of the upload and check it. */
        snprintf(row.status, sizeof row.status, "RUNNING");
        if (!row.started_ms)
            row.started_ms = oci_core_now(core);
        char hash[CM_SHA256_HEX_LEN + 1], hash512[CM_SHA512_HEX_LEN + 1];
        int extracted = extract_part(&row, data_path, hash, hash512);
        if (extracted == EXTRACT_NO_MEMORY) {
            cm_log_error("oci.import_start", "import=%s: out of memory; will retry", row.id);
            return 0;
        }
        if (extracted != 0) {
            snprintf(row.validation_error, sizeof row.validation_error, "The uploaded file could not be read.");
        } else if (row.gzip && strcmp(row.file_encoding, "GZIP") != 0) {
            snprintf(row.validation_error, sizeof row.validation_error,
                     "File is in GZIP format where the encoding type was not specified as GZIP' Invalid value");
        } else if (!row.gzip && strcmp(row.file_encoding, "GZIP") == 0) {
            snprintf(row.validation_error, sizeof row.validation_error,
                     "File is not in GZIP format where the encoding type was specified as GZIP' Invalid value");
        } else if (row.file_hash[0] && strcmp(row.file_hash_type, "SHA-256") == 0 && !same_hex(row.file_hash, hash)) {
            snprintf(row.validation_error, sizeof row.validation_error,
                     "'fileHash' does not match the SHA-256 of the uploaded file");
        } else if (row.file_hash[0] && strcmp(row.file_hash_type, "SHA-512") == 0 &&
                   !same_hex(row.file_hash, hash512)) {
            snprintf(row.validation_error, sizeof row.validation_error,
                     "'fileHash' does not match the SHA-512 of the uploaded file");
        }
        if (row.validation_error[0]) {
            finish_import(core, &row, data_path);
            return 1;
        }
        if (save_row(core, &row) != CM_OK)
            return 0;
    }
    gzFile file = gzopen(data_path, "rb");
    /* A line of OCI_IMPORT_LINE_MAX bytes, its '\n' and the NUL: one byte more is a line too long. */
    char *buffer = malloc(LINE_BUFFER);
    pending_line *lines = calloc(OCI_IMPORT_BATCH_LINES, sizeof *lines);
    oci_graph *graph = oci_core_graph_acquire(core, row.org);
    if (!file || !buffer || !lines || !graph) {
        cm_log_error("oci.import_start", "import=%s: cannot open %s or out of memory", row.id, data_path);
        if (!graph || !file) {
            snprintf(row.validation_error, sizeof row.validation_error,
                     !graph ? "The organization is no longer configured." : "The uploaded file was lost.");
            finish_import(core, &row, data_path);
            done = 1;
        }
        goto out;
    }
    gzbuffer(file, 1 << 17);
    oci_import_parser parser;
    oci_import_parser_init(&parser);
    parser.layout = (oci_import_layout)row.parser_layout;
    parser.has_location = row.parser_has_location;
    snprintf(parser.location, sizeof parser.location, "%s", row.parser_location);
    int64_t line_number = 0;
    size_t length;
    int too_long;
    while (line_number < row.line_cursor && read_line(file, buffer, LINE_BUFFER, &length, &too_long))
        line_number++;
    int more = 1;
    while (more) {
        if (stopping(core) || batch_budget_spent(core)) {
            done = 1;
            goto out; /* resumed at the next open */
        }
        size_t count = 0;
        while (count < OCI_IMPORT_BATCH_LINES &&
               (more = read_line(file, buffer, LINE_BUFFER, &length, &too_long))) {
            line_number++;
            pending_line *line = &lines[count];
            line->line_number = line_number;
            if (too_long) {
                memset(&line->parsed, 0, sizeof line->parsed);
                line->parsed.kind = OCI_LINE_ERROR;
                snprintf(line->parsed.message, sizeof line->parsed.message, "the line is longer than %d bytes",
                         OCI_IMPORT_LINE_MAX);
            } else {
                oci_import_parse_line(&parser, buffer, length, &line->parsed);
            }
            if (line->parsed.kind == OCI_LINE_NO_MEMORY) {
                /* Not the line's fault: the batch is read again from the last checkpoint later. */
                cm_log_error("oci.import_batch", "import=%s line=%lld: out of memory; will retry", row.id,
                             (long long)line_number);
                goto out;
            }
            if (line->parsed.kind == OCI_LINE_RECORD || line->parsed.kind == OCI_LINE_ERROR)
                count++;
        }
        int gz_error = 0;
        gzerror(file, &gz_error);
        /* Z_BUF_ERROR at the end is zlib's "unexpected end of file": a gzip stream cut short,
         * whose last line may be cut too. A plain file read through gzopen ends with Z_OK. */
        if (!more && gz_error != Z_OK) {
            snprintf(row.validation_error, sizeof row.validation_error, "The file is not a valid gzip stream.");
        }
        if (count || !more) {
            rc = commit_batch(core, graph, &row, lines, count, &parser, line_number);
            if (rc != CM_OK) {
                cm_log_error("oci.import_batch", "import=%s line=%lld: %s; will retry", row.id,
                             (long long)line_number, cm_strerror(rc));
                goto out;
            }
        }
    }
    finish_import(core, &row, data_path);
    done = 1;
out:
    oci_core_graph_release(core, graph);
    if (file)
        gzclose(file);
    free(buffer);
    free(lines);
    return done;
}

static void run_export(oci_core *core, const char *id)
{
    oci_export_row row;
    int found = 0;
    oci_store_conn *reader = oci_store_read_begin(core->store);
    cm_err rc = reader ? oci_store_export_get(reader, id, &row, &found) : CM_EDB;
    oci_store_read_end(reader);
    if (rc != CM_OK || !found) {
        oci_export_row_clear(&row);
        return;
    }
    row.started_ms = oci_core_now(core);
    snprintf(row.status, sizeof row.status, "RUNNING");
    rc = strcmp(row.kind, "graph") == 0    ? oci_graph_export_write(core, &row)
         : strcmp(row.kind, "events") == 0 ? oci_event_log_export_write(core, &row)
                                           : oci_export_run(core, &row);
    row.ended_ms = oci_core_now(core);
    row.expires_ms = row.ended_ms + OCI_RESULT_LINK_TTL_MS;
    snprintf(row.status, sizeof row.status, "%s", rc == CM_OK ? "COMPLETED" : "FAILED");
    oci_store_conn *writer = NULL;
    rc = oci_store_write_begin(core->store, &writer);
    if (rc == CM_OK) {
        rc = oci_store_export_update(writer, &row);
        rc = rc == CM_OK ? oci_store_write_commit(writer) : (oci_store_write_rollback(writer), rc);
    }
    if (rc != CM_OK)
        cm_log_error("oci.export_finish", "export=%s: %s", row.id, cm_strerror(rc));
    oci_export_row_clear(&row);
}

void *oci_worker_main(void *data)
{
    oci_core *core = data;
    cm_thread_become_background("oci-import"); /* imports yield to the routes that answer */
    for (;;) {
        pthread_mutex_lock(&core->worker_lock);
        int stop = core->stopping, paused = core->worker_paused;
        pthread_mutex_unlock(&core->worker_lock);
        if (stop)
            break;
        char id[OCI_ID_MAX + 1];
        int import_found = 0, export_found = 0;
        if (!paused) {
            oci_store_conn *reader = oci_store_read_begin(core->store);
            if (reader && oci_store_import_next(reader, id, &import_found) == CM_OK && !import_found)
                oci_store_export_next(reader, id, &export_found);
            oci_store_read_end(reader);
        }
        if (import_found && run_import(core, id))
            continue;
        if (export_found) {
            run_export(core, id);
            continue;
        }
        pthread_mutex_lock(&core->worker_lock);
        if ((import_found || !core->wake) && !core->stopping) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_sec += IDLE_WAIT_MS / 1000;
            pthread_cond_timedwait(&core->worker_cond, &core->worker_lock, &until);
        }
        core->wake = 0;
        pthread_mutex_unlock(&core->worker_lock);
    }
    return NULL;
}
