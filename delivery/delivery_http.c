#include "delivery/delivery_http.h"
#include "common/http_client.h"
#include "delivery/import_poll.h"
#include "delivery/token_source.h"
#include "queue/queue_metrics.h"
#include "common/body.h"
#include "common/clock.h"
#include "common/json_util.h"
#include "common/log.h"
#include "common/digest.h"
#include "queue/retry.h"
#include "translate/oci_reply.h"
#include "translate/writer.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define URL_MAX 2048
/* A batch-update body of 100 records is ~30 KiB; an import file of a 3000-record chunk ~1 MiB. */
#define BATCH_BODY_MAX (1024 * 1024)
#define IMPORT_FILE_MAX (256u * 1024u * 1024u)
#define JSON_REPLY_MAX (1024 * 1024)
#define IMPORT_LINK_DURATION_MINUTES 60
#define STOP_CHECK_MS 50

typedef struct http_delivery {
    q_delivery base; /* first: the queue sees only this */
    const cm_config *config;
    char *base_url; /* owned; without a trailing slash */
    cm_httpc_pool *pool;
    dl_token_source *tokens;
    dl_delivery_http_options options;
    _Atomic int64_t imports_deleted; /* for tests: several workers may delete at once */
    dl_import_pace import_pace;      /* how fast this OCI imports, shared by the workers */
} http_delivery;

/* Everything one deliver() call shares between its steps. */
typedef struct attempt {
    http_delivery *delivery;
    cm_httpc_client *client;
    const q_chunk *chunk;
    q_delivery_result *result;
    unsigned char *refused; /* owned: one flag per record, so a record is refused once */
    int (*should_stop)(void *);
    void *stop_data;
} attempt;

static int stopping(const attempt *self)
{
    return self->should_stop && self->should_stop(self->stop_data);
}

static void set_result(attempt *self, q_delivery_status status, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
static void set_result(attempt *self, q_delivery_status status, const char *format, ...)
{
    self->result->status = status;
    va_list args;
    va_start(args, format);
    vsnprintf(self->result->message, sizeof self->result->message, format, args);
    va_end(args);
}

/* Sets the result for a call that did not succeed: no answer, or an unwanted status. */
static void fail_from_response(attempt *self, const char *step, const cm_httpc_response *response)
{
    if (response->too_big) {
        /* Never a silent cut, and never a retry: the same request would bring the same answer. */
        set_result(self, Q_DELIVERY_FINAL, "%s: OCI's answer was longer than the %zu bytes the gateway reads, so it "
                   "was not read [correlation-id %s]", step, response->body.max_bytes, response->correlation_id);
        cm_log_warn("delivery.answer_too_big", "job=%" PRId64 " chunk=%" PRId64 " %s", self->chunk->job_id,
                    self->chunk->chunk_index, self->result->message);
        return;
    }
    if (response->transport_error) {
        set_result(self, Q_DELIVERY_RETRY, "%s: no answer from OCI (%s) [correlation-id %s]", step,
                   response->stopped ? "stopped: the gateway is shutting down" : response->detail,
                   response->correlation_id);
        return;
    }
    char code[TR_ERROR_CODE_MAX], message[TR_ERROR_MESSAGE_MAX];
    tr_read_error_body(response->body.data, response->body.length, code, message);
    q_delivery_status status = q_classify_http_status(response->status);
    if (status == Q_DELIVERY_OK) /* a 1xx/2xx/3xx where another was expected */
        status = Q_DELIVERY_RETRY;
    self->result->retry_after_ms = response->retry_after_ms;
    set_result(self, status, "%s: OCI answered %ld%s%s%s%s [correlation-id %s]", step, response->status,
               code[0] ? " " : "", code, message[0] ? ": " : "", message, response->correlation_id);
    cm_log_warn("delivery.http_failed", "job=%" PRId64 " chunk=%" PRId64 " %s", self->chunk->job_id,
                self->chunk->chunk_index, self->result->message);
}

/*
 * One call with the bearer token; on 401 with an OAuth token, renews it and calls once more.
 * Returns 0 with *response filled (the caller frees it) whenever an HTTP answer or a transport
 * failure happened; returns -1 when no token could be had (the result is set, nothing to free).
 */
static int authorized_call(attempt *self, cm_httpc_request *request, cm_httpc_response *response)
{
    static char no_token[] = "";
    char *token = malloc(DL_TOKEN_MAX);
    char *refused = NULL;
    if (!token) {
        set_result(self, Q_DELIVERY_RETRY, "out of memory");
        return -1;
    }
    for (int tries = 0;; tries++) {
        int64_t retry_after_ms = -1;
        q_delivery_status status = dl_token_get(self->delivery->tokens, self->client, self->chunk->organization_id,
                                                refused, token,
                                                 &retry_after_ms, self->result->message, self->should_stop,
                                                 self->stop_data);
        if (status != Q_DELIVERY_OK) {
            self->result->status = status;
            self->result->retry_after_ms = retry_after_ms;
            free(refused);
            free(token);
            return -1;
        }
        request->bearer = token;
        request->should_stop = self->should_stop;
        request->stop_data = self->stop_data;
        double call_started = q_metrics_clock();
        cm_httpc_perform(self->client, request, response);
        q_metrics_oci_call(q_metrics_clock() - call_started, response->status);
        /* Retried: no answer, 5xx and 429 by the worker's back-off; a 401 here by one renewal. */
        if (response->status == 0 || response->status == 429 || response->status >= 500 ||
            (response->status == 401 && tries == 0 && dl_token_renewable(self->delivery->tokens)))
            q_metrics_retry(response->status);
        request->bearer = no_token;
        if (response->status != 401 || tries > 0 || !dl_token_renewable(self->delivery->tokens))
            break;
        cm_log_warn("delivery.token_refused", "OCI answered 401 [correlation-id %s]; renewing the token",
                    response->correlation_id);
        free(refused);
        refused = strdup(token);
        cm_httpc_response_free(response);
        if (!refused) {
            set_result(self, Q_DELIVERY_RETRY, "out of memory");
            free(token);
            return -1;
        }
    }
    free(refused);
    free(token);
    return 0;
}

static void add_refusal(void *context, size_t record_index, const char *error_code, const char *message)
{
    attempt *self = context;
    if (record_index >= self->chunk->record_count || self->refused[record_index])
        return;
    self->refused[record_index] = 1;
    q_refusal *refusal = &self->result->refusals[self->result->refusal_count++];
    refusal->record_index = record_index;
    snprintf(refusal->error_code, sizeof refusal->error_code, "%s", error_code);
    snprintf(refusal->message, sizeof refusal->message, "%s", message);
}

/* {base}/inventory/{family}/v1/organizations/{org}/availability-records{suffix} */
static int build_url(char out[URL_MAX], const char *base, const char *family, const char *org, const char *suffix)
{
    return snprintf(out, URL_MAX, "%s/inventory/%s/v1/organizations/%s/availability-records%s", base, family, org,
                    suffix) >= URL_MAX
               ? -1
               : 0;
}

/* A link OCI returned: a path on the same host, or (tolerated) an absolute URL. */
static int link_url(char out[URL_MAX], const char *base, const char *link)
{
    if (strncmp(link, "http://", 7) == 0 || strncmp(link, "https://", 8) == 0)
        return snprintf(out, URL_MAX, "%s", link) >= URL_MAX ? -1 : 0;
    return snprintf(out, URL_MAX, "%s%s%s", base, link[0] == '/' ? "" : "/", link) >= URL_MAX ? -1 : 0;
}

/* ---- batch-update ---- */

static void deliver_batch(attempt *self)
{
    const q_chunk *chunk = self->chunk;
    cm_body body;
    cm_body_init(&body, BATCH_BODY_MAX);
    char url[URL_MAX];
    cm_err rc = tr_write_batch_update(chunk->records, chunk->record_count, &body);
    if (rc != CM_OK || build_url(url, self->delivery->base_url, "availability", chunk->organization_id,
                                 "/actions/batch-update") != 0) {
        cm_body_free(&body);
        set_result(self, rc == CM_ENOMEM ? Q_DELIVERY_RETRY : Q_DELIVERY_FINAL,
                   "the batch-update request could not be built: %s", cm_strerror(rc ? rc : CM_ETOOBIG));
        return;
    }
    cm_httpc_request request = {.method = "POST",
                                .url = url,
                                .content_type = "application/json",
                                .body = body.data,
                                .body_length = body.length,
                                .response_max = JSON_REPLY_MAX};
    cm_httpc_response response;
    if (authorized_call(self, &request, &response) != 0) {
        cm_body_free(&body);
        return;
    }
    cm_body_free(&body);
    if (response.status == 200) {
        tr_record_lookup lookup;
        size_t unmatched = 0;
        if (tr_record_lookup_init(&lookup, chunk->records, chunk->record_count) != CM_OK) {
            set_result(self, Q_DELIVERY_RETRY, "out of memory");
        } else if (tr_read_batch_errors(response.body.data, response.body.length, &lookup, add_refusal, self,
                                        &unmatched) != CM_OK) {
            /* The records may or may not be applied: delivering again is harmless, so retry. */
            self->result->refusal_count = 0;
            memset(self->refused, 0, chunk->record_count);
            set_result(self, Q_DELIVERY_RETRY, "batch-update: OCI answered 200 with an unreadable body "
                                               "[correlation-id %s]", response.correlation_id);
        } else {
            self->result->status = Q_DELIVERY_OK;
            if (unmatched)
                cm_log_warn("delivery.unmatched_errors", "job=%" PRId64 " chunk=%" PRId64
                            " %zu errors named no record of the chunk [correlation-id %s]",
                            chunk->job_id, chunk->chunk_index, unmatched, response.correlation_id);
        }
        tr_record_lookup_free(&lookup);
    } else if (response.status >= 200 && response.status < 300) {
        self->result->status = Q_DELIVERY_OK;
    } else {
        fail_from_response(self, "batch-update", &response);
    }
    cm_httpc_response_free(&response);
}

/* ---- import ---- */

/* Compresses `in` into a new gzip member in `out` (bounded by its maximum). */
static cm_err gzip_bytes(const char *in, size_t length, cm_body *out)
{
    z_stream stream;
    memset(&stream, 0, sizeof stream);
    /* 15 + 16: a gzip header and trailer, which OCI's GZIP encoding means. Level 1: a 3000-record
     * file compresses twice as fast as at the default level and comes out ~15 % larger (46 KB
     * instead of 40 KB from 558 KB of NDJSON), while the worker waits on it. */
    if (deflateInit2(&stream, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return CM_ENOMEM;
    size_t bound = deflateBound(&stream, (uLong)length);
    cm_err rc = bound > out->max_bytes ? CM_ETOOBIG : CM_OK;
    char *buffer = rc == CM_OK ? malloc(bound) : NULL;
    if (rc == CM_OK && !buffer)
        rc = CM_ENOMEM;
    if (rc == CM_OK) {
        stream.next_in = (Bytef *)(uintptr_t)in;
        stream.avail_in = (uInt)length;
        stream.next_out = (Bytef *)buffer;
        stream.avail_out = (uInt)bound;
        rc = deflate(&stream, Z_FINISH) == Z_STREAM_END ? CM_OK : CM_EIO;
        if (rc == CM_OK)
            rc = cm_body_append(out, buffer, stream.total_out);
    }
    deflateEnd(&stream);
    free(buffer);
    return rc;
}

/* Parses a JSON reply object (caller puts it), or NULL. */
static json_object *reply_object(const cm_httpc_response *response)
{
    json_object *object = NULL;
    char parse_error[CM_JSON_ERROR_MAX];
    if (!response->body.data ||
        cm_json_parse(response->body.data, response->body.length, 8, &object, parse_error) != CM_OK ||
        !json_object_is_type(object, json_type_object)) {
        json_object_put(object);
        return NULL;
    }
    return object;
}

/* Sleeps `ms` in short slices; returns -1 as soon as should_stop says so. */
static int pause_ms(const attempt *self, int64_t ms)
{
    int64_t until = cm_mono_ms() + ms;
    for (;;) {
        if (stopping(self))
            return -1;
        int64_t left = until - cm_mono_ms();
        if (left <= 0)
            return 0;
        cm_sleep_ms(left < STOP_CHECK_MS ? left : STOP_CHECK_MS);
    }
}

typedef struct import_links {
    char import_id[128];
    char status_url[URL_MAX];
    char upload_url[URL_MAX];
    char result_url[URL_MAX];
} import_links;

/* Submits the import. Returns 0 with the links, or -1 with the result set. */
static int submit_import(attempt *self, const cm_body *file, import_links *links)
{
    const q_chunk *chunk = self->chunk;
    uint8_t digest[CM_SHA256_LEN];
    char hash[CM_SHA256_HEX_LEN + 1], url[URL_MAX], body[512];
    if (cm_sha256(file->data, file->length, digest) != CM_OK) {
        set_result(self, Q_DELIVERY_RETRY, "the import file could not be hashed (out of memory)");
        return -1;
    }
    cm_sha256_hex(digest, hash);
    snprintf(body, sizeof body,
             "{\"fileName\":\"omsgw-t%" PRId64 "-j%" PRId64 "-c%" PRId64 ".ndjson.gz\",\"fileFormat\":\"JSON\","
             "\"fileEncoding\":\"GZIP\",\"fileHash\":\"%s\",\"fileHashType\":\"SHA-256\",\"linkDuration\":%d}",
             chunk->tenant_id, chunk->job_id, chunk->chunk_index + 1, hash, IMPORT_LINK_DURATION_MINUTES);
    if (build_url(url, self->delivery->base_url, "impex", chunk->organization_id, "/imports") != 0) {
        set_result(self, Q_DELIVERY_FINAL, "the import URL is too long");
        return -1;
    }
    cm_httpc_request request = {.method = "POST",
                                .url = url,
                                .content_type = "application/json",
                                .body = body,
                                .body_length = strlen(body),
                                .response_max = JSON_REPLY_MAX};
    cm_httpc_response response;
    if (authorized_call(self, &request, &response) != 0)
        return -1;
    int rc = -1;
    json_object *reply = response.status == 200 ? reply_object(&response) : NULL;
    const char *id = NULL, *status_link = NULL, *upload_link = NULL;
    if (response.status != 200) {
        fail_from_response(self, "import submit", &response);
    } else if (!reply || cm_json_string(reply, "importId", &id) != CM_JSON_OK ||
               cm_json_string(reply, "importStatusLink", &status_link) != CM_JSON_OK ||
               cm_json_string(reply, "uploadLink", &upload_link) != CM_JSON_OK ||
               strlen(id) >= sizeof links->import_id) {
        set_result(self, Q_DELIVERY_RETRY, "import submit: OCI answered 200 without importId, importStatusLink and "
                                           "uploadLink [correlation-id %s]", response.correlation_id);
    } else if (link_url(links->status_url, self->delivery->base_url, status_link) != 0 ||
               link_url(links->upload_url, self->delivery->base_url, upload_link) != 0) {
        set_result(self, Q_DELIVERY_FINAL, "import submit: OCI returned links too long to use");
    } else {
        snprintf(links->import_id, sizeof links->import_id, "%s", id);
        /* The result file sits beside the status (§3.1); the status reply may name it more exactly. */
        snprintf(links->result_url, sizeof links->result_url, "%s", links->status_url);
        size_t length = strlen(links->result_url);
        if (length > 7 && strcmp(links->result_url + length - 7, "/status") == 0)
            snprintf(links->result_url + length - 7, sizeof links->result_url - (length - 7), "/file-content");
        rc = 0;
    }
    json_object_put(reply);
    cm_httpc_response_free(&response);
    return rc;
}

/* Uploads the file. Returns 0, or -1 with the result set. */
static int upload_import(attempt *self, const cm_body *file, const import_links *links)
{
    char name[128];
    snprintf(name, sizeof name, "omsgw-t%" PRId64 "-j%" PRId64 "-c%" PRId64 ".ndjson.gz", self->chunk->tenant_id,
             self->chunk->job_id, self->chunk->chunk_index + 1);
    cm_httpc_request request = {.method = "POST",
                                .url = links->upload_url,
                                .body = file->data,
                                .body_length = file->length,
                                .upload_field = "fileUpload",
                                .upload_name = name,
                                .upload_type = "application/gzip",
                                .response_max = JSON_REPLY_MAX};
    cm_httpc_response response;
    if (authorized_call(self, &request, &response) != 0)
        return -1;
    int rc = 0;
    char code[TR_ERROR_CODE_MAX], message[TR_ERROR_MESSAGE_MAX];
    tr_read_error_body(response.body.data, response.body.length, code, message);
    if (response.status == 409 && strcmp(code, "FileAlreadyReceived") == 0) {
        /* An earlier try of this very upload got through: go on and wait for its result. */
        rc = 0;
    } else if (response.status == 410) {
        /* The link expired before the file went up; a new import next time gets a new link. */
        set_result(self, Q_DELIVERY_RETRY, "import upload: the upload link expired (410 %s) [correlation-id %s]",
                   code, response.correlation_id);
        rc = -1;
    } else if (response.status < 200 || response.status >= 300) {
        fail_from_response(self, "import upload", &response);
        rc = -1;
    }
    cm_httpc_response_free(&response);
    return rc;
}

/* Polls until the import ends. Returns 0 when COMPLETED or FAILED (*failed says which, and
 * `validation` holds the validation errors); 1 when it ended EXPIRED or STOPPED (no result file;
 * the result is set FINAL); -1 with the result set when it did not end (or its status could not be
 * read). */
static int wait_import(attempt *self, import_links *links, int *failed, char validation[TR_ERROR_MESSAGE_MAX])
{
    const dl_delivery_http_options *options = &self->delivery->options;
    int64_t deadline = cm_mono_ms() + options->import_wait_max_ms;
    dl_import_poll_settings settings = {options->poll_first_ms, options->poll_min_ms, options->poll_max_ms};
    dl_import_poll schedule;
    dl_import_poll_begin(&schedule, &self->delivery->import_pace, &settings, self->chunk->record_count,
                         cm_mono_ms());
    int failures_in_row = 0;
    validation[0] = '\0';
    if (pause_ms(self, dl_import_poll_first_pause(&schedule)) != 0) {
        set_result(self, Q_DELIVERY_RETRY, "stopped while waiting for import %s", links->import_id);
        return -1;
    }
    for (;;) {
        cm_httpc_request request = {.method = "GET", .url = links->status_url, .response_max = JSON_REPLY_MAX};
        cm_httpc_response response;
        if (authorized_call(self, &request, &response) != 0)
            return -1;
        int64_t answered = cm_mono_ms();
        int64_t wait = 0;
        json_object *reply = response.status == 200 ? reply_object(&response) : NULL;
        const char *status = NULL;
        if (reply && cm_json_string(reply, "status", &status) == CM_JSON_OK) {
            failures_in_row = 0;
            if (strcmp(status, "COMPLETED") == 0 || strcmp(status, "FAILED") == 0) {
                *failed = strcmp(status, "FAILED") == 0;
                dl_import_poll_ended(&schedule, &self->delivery->import_pace, answered);
                json_object *import = NULL, *full = NULL, *checks = NULL, *errors = NULL;
                const char *href = NULL;
                if (cm_json_object(reply, "import", &import) == CM_JSON_OK &&
                    cm_json_object(import, "fullResults", &full) == CM_JSON_OK &&
                    cm_json_string(full, "href", &href) == CM_JSON_OK)
                    link_url(links->result_url, self->delivery->base_url, href);
                if (cm_json_object(reply, "validation", &checks) == CM_JSON_OK &&
                    cm_json_array(checks, "errors", &errors) == CM_JSON_OK && json_object_array_length(errors) > 0)
                    snprintf(validation, TR_ERROR_MESSAGE_MAX, "%s",
                             json_object_get_string(json_object_array_get_idx(errors, 0)));
                json_object_put(reply);
                cm_httpc_response_free(&response);
                return 0;
            }
            /* Both end an import that was uploaded without a result: EXPIRED means OCI never
             * processed the file, STOPPED that someone in OCI stopped it part-way. Neither is a
             * passing fault that sending the chunk again would cure (and a stop is a decision to
             * respect), so the job fails with a message that says which. */
            if (strcmp(status, "EXPIRED") == 0) {
                set_result(self, Q_DELIVERY_FINAL, "import %s ended EXPIRED: OCI did not process the uploaded file "
                           "before its link expired, so none of its records were applied [correlation-id %s]",
                           links->import_id, response.correlation_id);
                json_object_put(reply);
                cm_httpc_response_free(&response);
                return 1;
            }
            if (strcmp(status, "STOPPED") == 0) {
                set_result(self, Q_DELIVERY_FINAL, "import %s was STOPPED in OCI before it finished: some of its "
                           "records may be applied, the chunk is not sent again [correlation-id %s]",
                           links->import_id, response.correlation_id);
                json_object_put(reply);
                cm_httpc_response_free(&response);
                return 1;
            }
            wait = dl_import_poll_pending(&schedule, answered); /* PENDING or RUNNING */
        } else if (++failures_in_row > DL_IMPORT_POLL_FAILURES_MAX ||
                   (!response.transport_error && q_classify_http_status(response.status) == Q_DELIVERY_FINAL)) {
            /* A 4xx on the status (404: the import is gone) will not pass by waiting. */
            fail_from_response(self, "import status", &response);
            if (!response.transport_error && response.status == 200)
                set_result(self, Q_DELIVERY_RETRY, "import status: unreadable answer [correlation-id %s]",
                           response.correlation_id);
            json_object_put(reply);
            cm_httpc_response_free(&response);
            return -1;
        } else {
            /* A status that could not be read is polled again on the schedule, or after the
             * server's Retry-After when that is longer. */
            wait = dl_import_poll_pending(&schedule, answered);
            if (response.retry_after_ms > wait)
                wait = response.retry_after_ms;
        }
        json_object_put(reply);
        cm_httpc_response_free(&response);
        if (cm_mono_ms() + wait > deadline) {
            set_result(self, Q_DELIVERY_RETRY, "import %s did not finish within %" PRId64 " s", links->import_id,
                       options->import_wait_max_ms / 1000);
            return -1;
        }
        if (pause_ms(self, wait) != 0) {
            set_result(self, Q_DELIVERY_RETRY, "stopped while waiting for import %s", links->import_id);
            return -1;
        }
    }
}

/* Reads the result file and turns failed lines into refusals. Sets the result. */
static void read_import_result(attempt *self, const import_links *links, int failed, const char *validation)
{
    cm_httpc_request request = {.method = "GET",
                                .url = links->result_url,
                                .response_max = (size_t)self->delivery->options.result_file_max};
    cm_httpc_response response;
    if (authorized_call(self, &request, &response) != 0)
        return;
    if (failed && !response.transport_error && response.status >= 400 && response.status < 500 &&
        response.status != 401 && response.status != 408 && response.status != 429) {
        /* A FAILED import may have no result file at all: the validation message is the reason. */
        set_result(self, Q_DELIVERY_FINAL, "import %s FAILED: %s (its result file: %ld) [correlation-id %s]",
                   links->import_id, validation[0] ? validation : "OCI gave no reason", response.status,
                   response.correlation_id);
        cm_httpc_response_free(&response);
        return;
    }
    if (response.too_big) {
        set_result(self, Q_DELIVERY_FINAL, "import %s: the result file is larger than the %zu bytes the gateway "
                   "reads, so its per-record failures cannot be reported [correlation-id %s]",
                   links->import_id, response.body.max_bytes, response.correlation_id);
        cm_httpc_response_free(&response);
        return;
    }
    if (response.status != 200) {
        fail_from_response(self, "import result file", &response);
        cm_httpc_response_free(&response);
        return;
    }
    tr_record_lookup lookup;
    size_t unmatched = 0;
    char status[TR_IMPORT_STATUS_MAX] = "";
    if (tr_record_lookup_init(&lookup, self->chunk->records, self->chunk->record_count) != CM_OK) {
        set_result(self, Q_DELIVERY_RETRY, "out of memory");
    } else if (tr_read_import_results(response.body.data, response.body.length, &lookup, add_refusal, self,
                                      &unmatched, status) != CM_OK) {
        self->result->refusal_count = 0;
        memset(self->refused, 0, self->chunk->record_count);
        set_result(self, Q_DELIVERY_RETRY, "import %s: the result file is unreadable [correlation-id %s]",
                   links->import_id, response.correlation_id);
    } else if (failed && self->result->refusal_count == 0) {
        /* The file as a whole was refused (validation): sending the same file again cannot help. */
        set_result(self, Q_DELIVERY_FINAL, "import %s FAILED with no failed line: %s%s%s", links->import_id,
                   validation[0] ? validation : "OCI gave no reason", status[0] ? "; result file status " : "",
                   status);
    } else {
        self->result->status = Q_DELIVERY_OK;
        if (unmatched)
            cm_log_warn("delivery.unmatched_errors", "import=%s %zu failed lines named no record of the chunk",
                        links->import_id, unmatched);
    }
    tr_record_lookup_free(&lookup);
    cm_httpc_response_free(&response);
}

/* 1 when an import id can go into a URL path as it is (OCI's ids are UUIDs). */
static int plain_id(const char *id)
{
    if (!*id)
        return 0;
    for (const char *p = id; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
              *p == '_' || *p == '.'))
            return 0;
    return 1;
}

/*
 * Deletes an import that has ended, once its result was read (or it ended without one), so that a
 * real OCI does not keep one import per chunk forever. Best effort: whatever happens here never
 * changes the chunk's result, which is saved and restored around the call.
 */
static void delete_import(attempt *self, const import_links *links)
{
    char suffix[256], url[URL_MAX];
    if (stopping(self) || !plain_id(links->import_id) ||
        snprintf(suffix, sizeof suffix, "/imports/%s", links->import_id) >= (int)sizeof suffix ||
        build_url(url, self->delivery->base_url, "impex", self->chunk->organization_id, suffix) != 0) {
        cm_log_warn("delivery.import_kept", "import=%s was not deleted", links->import_id);
        return;
    }
    q_delivery_result saved = *self->result;
    cm_httpc_request request = {.method = "DELETE", .url = url, .response_max = JSON_REPLY_MAX};
    cm_httpc_response response;
    if (authorized_call(self, &request, &response) == 0) {
        if (response.status == 204 || response.status == 200 || response.status == 404)
            self->delivery->imports_deleted++;
        else
            cm_log_warn("delivery.import_kept", "import=%s was not deleted: %s %ld [correlation-id %s]",
                        links->import_id, response.transport_error ? response.detail : "OCI answered",
                        response.status, response.correlation_id);
        cm_httpc_response_free(&response);
    } else {
        cm_log_warn("delivery.import_kept", "import=%s was not deleted: %s", links->import_id,
                    self->result->message);
    }
    *self->result = saved;
}

static void deliver_import(attempt *self)
{
    const q_chunk *chunk = self->chunk;
    cm_body text, file;
    cm_body_init(&text, IMPORT_FILE_MAX);
    cm_body_init(&file, IMPORT_FILE_MAX);
    cm_err rc = tr_write_import_file(chunk->records, chunk->record_count, &text);
    if (rc == CM_OK)
        rc = gzip_bytes(text.data, text.length, &file);
    cm_body_free(&text);
    if (rc != CM_OK) {
        cm_body_free(&file);
        set_result(self, rc == CM_ETOOBIG ? Q_DELIVERY_FINAL : Q_DELIVERY_RETRY,
                   "the import file could not be built: %s", cm_strerror(rc));
        return;
    }
    import_links links;
    memset(&links, 0, sizeof links);
    int failed = 0;
    char validation[TR_ERROR_MESSAGE_MAX];
    int ended = -1;
    if (submit_import(self, &file, &links) == 0 && upload_import(self, &file, &links) == 0)
        ended = wait_import(self, &links, &failed, validation);
    if (ended == 0) {
        read_import_result(self, &links, failed, validation);
        cm_log_info("delivery.imported", "job=%" PRId64 " chunk=%" PRId64 " import=%s records=%zu refused=%zu",
                    chunk->job_id, chunk->chunk_index, links.import_id, chunk->record_count,
                    self->result->refusal_count);
    }
    /* An import still PENDING/RUNNING cannot be deleted (409), and may yet be needed by nobody:
     * OCI expires those itself. */
    if (ended >= 0)
        delete_import(self, &links);
    cm_body_free(&file);
}

/* ---- the q_delivery ---- */

static void deliver(q_delivery *base, const q_chunk *chunk, q_delivery_result *result, int (*should_stop)(void *),
                    void *stop_data)
{
    http_delivery *delivery = (http_delivery *)base;
    result->status = Q_DELIVERY_RETRY;
    result->refusal_count = 0;
    result->retry_after_ms = -1;
    result->message[0] = '\0';
    attempt self = {.delivery = delivery,
                    .chunk = chunk,
                    .result = result,
                    .should_stop = should_stop,
                    .stop_data = stop_data};
    self.refused = calloc(chunk->record_count ? chunk->record_count : 1, 1);
    self.client = self.refused ? cm_httpc_take(delivery->pool) : NULL;
    if (!self.client) {
        free(self.refused);
        set_result(&self, Q_DELIVERY_RETRY, "out of memory");
        return;
    }
    if (chunk->record_count <= TR_BATCH_UPDATE_MAX_RECORDS)
        deliver_batch(&self);
    else
        deliver_import(&self);
    cm_httpc_give(delivery->pool, self.client);
    free(self.refused);
}

/* ---- get-availability ---- */

/* OCI quantities stay far below this; a larger number would not fit in thousandths. */
#define QUANTITY_ABS_MAX 1e12

/* Milli-units of a JSON number (OCI quantities are multiples of 0.001) in *out: 0 when the key is
 * absent; -1 when it is not a number or out of range (the answer cannot be read: a string "12" is
 * not taken for 12, and 1e300 is not converted past int64's range). */
static int milli_of(json_object *record, const char *key, int64_t *out)
{
    json_object *value = NULL;
    *out = 0;
    if (!json_object_object_get_ex(record, key, &value) || !value)
        return 0;
    if (!json_object_is_type(value, json_type_int) && !json_object_is_type(value, json_type_double))
        return -1;
    double number = json_object_get_double(value);
    if (!(number >= -QUANTITY_ABS_MAX && number <= QUANTITY_ABS_MAX))
        return -1;
    *out = (int64_t)(number * 1000.0 + (number < 0 ? -0.5 : 0.5));
    return 0;
}

/* The index of the string `value` among `names`, or -1 (also when it is not a string: 12 is not
 * the sku "12"). */
static long index_of(const char *const *names, size_t count, json_object *value)
{
    if (!json_object_is_type(value, json_type_string))
        return -1;
    const char *name = json_object_get_string(value);
    for (size_t i = 0; i < count; i++)
        if (strcmp(names[i], name) == 0)
            return (long)i;
    return -1;
}

/* Fills read->out from a get-availability answer; entries OCI did not list stay "not found". */
static int read_availability_reply(const q_read *read, const cm_httpc_response *response)
{
    json_object *root = reply_object(response);
    json_object *locations = NULL;
    if (!root || !json_object_object_get_ex(root, "locations", &locations) ||
        !json_object_is_type(locations, json_type_array)) {
        json_object_put(root);
        return -1;
    }
    for (size_t i = 0; i < json_object_array_length(locations); i++) {
        json_object *location = json_object_array_get_idx(locations, i), *id = NULL, *records = NULL;
        if (!json_object_object_get_ex(location, "id", &id) || !json_object_object_get_ex(location, "records", &records) ||
            !json_object_is_type(records, json_type_array))
            continue;
        long l = index_of(read->locations, read->location_count, id);
        if (l < 0)
            continue;
        for (size_t r = 0; r < json_object_array_length(records); r++) {
            json_object *record = json_object_array_get_idx(records, r), *sku = NULL;
            if (!json_object_object_get_ex(record, "sku", &sku))
                continue;
            long k = index_of(read->skus, read->sku_count, sku);
            if (k < 0)
                continue;
            q_availability figures = {.found = 1};
            if (milli_of(record, "onHand", &figures.on_hand_milli) != 0 ||
                milli_of(record, "reserved", &figures.reserved_milli) != 0 ||
                milli_of(record, "safetyStockCount", &figures.safety_stock_milli) != 0 ||
                milli_of(record, "atf", &figures.atf_milli) != 0) {
                json_object_put(root);
                return -1;
            }
            read->out[(size_t)l * read->sku_count + (size_t)k] = figures;
        }
    }
    json_object_put(root);
    return 0;
}

static q_delivery_status read_availability(q_delivery *base, const q_read *read, char message[Q_DELIVERY_MESSAGE_MAX])
{
    http_delivery *delivery = (http_delivery *)base;
    message[0] = '\0';
    if (read->sku_count * read->location_count > Q_READ_MAX_COMBINATIONS) {
        snprintf(message, Q_DELIVERY_MESSAGE_MAX, "get-availability: %zu combinations; at most %d a call",
                 read->sku_count * read->location_count, Q_READ_MAX_COMBINATIONS);
        return Q_DELIVERY_FINAL;
    }
    memset(read->out, 0, read->sku_count * read->location_count * sizeof *read->out);
    json_object *request_body = json_object_new_object();
    json_object *skus = json_object_new_array(), *locations = json_object_new_array();
    for (size_t s = 0; s < read->sku_count; s++)
        json_object_array_add(skus, json_object_new_string(read->skus[s]));
    for (size_t l = 0; l < read->location_count; l++)
        json_object_array_add(locations, json_object_new_string(read->locations[l]));
    json_object_object_add(request_body, "skus", skus);
    json_object_object_add(request_body, "locations", locations);
    const char *text = json_object_to_json_string_ext(request_body, JSON_C_TO_STRING_PLAIN);
    char url[URL_MAX];
    /* The attempt helpers report against a chunk: a read has none, so a blank one stands in. */
    q_chunk no_chunk = {.organization_id = read->organization_id};
    q_delivery_result result = {.retry_after_ms = -1};
    attempt self = {.delivery = delivery, .chunk = &no_chunk, .result = &result};
    q_delivery_status status = Q_DELIVERY_RETRY;
    self.client = cm_httpc_take(delivery->pool);
    if (!self.client) {
        snprintf(message, Q_DELIVERY_MESSAGE_MAX, "out of memory");
    } else if (build_url(url, delivery->base_url, "availability", read->organization_id,
                         "/actions/get-availability") != 0) {
        snprintf(message, Q_DELIVERY_MESSAGE_MAX, "the get-availability URL is too long");
        status = Q_DELIVERY_FINAL;
    } else {
        cm_httpc_request request = {.method = "POST",
                                    .url = url,
                                    .content_type = "application/json",
                                    .body = text,
                                    .body_length = strlen(text),
                                    .response_max = JSON_REPLY_MAX};
        cm_httpc_response response;
        if (authorized_call(&self, &request, &response) != 0) {
            status = result.status;
            snprintf(message, Q_DELIVERY_MESSAGE_MAX, "%s", result.message);
        } else {
            if (response.status == 200 && read_availability_reply(read, &response) == 0) {
                status = Q_DELIVERY_OK;
            } else if (response.status == 200) {
                snprintf(message, Q_DELIVERY_MESSAGE_MAX,
                         "get-availability: OCI answered 200 with an unreadable body [correlation-id %s]",
                         response.correlation_id);
            } else {
                fail_from_response(&self, "get-availability", &response);
                status = result.status;
                snprintf(message, Q_DELIVERY_MESSAGE_MAX, "%s", result.message);
            }
            cm_httpc_response_free(&response);
        }
    }
    if (self.client)
        cm_httpc_give(delivery->pool, self.client);
    json_object_put(request_body);
    return status;
}

static void destroy(q_delivery *base)
{
    http_delivery *delivery = (http_delivery *)base;
    if (!delivery)
        return;
    cm_httpc_pool_free(delivery->pool);
    dl_token_source_free(delivery->tokens);
    free(delivery->base_url);
    free(delivery);
}

int64_t dl_delivery_http_token_fetches(q_delivery *base)
{
    return dl_token_fetch_count(((http_delivery *)base)->tokens);
}

struct dl_token_source *dl_delivery_http_tokens(q_delivery *base)
{
    return ((http_delivery *)base)->tokens;
}

int64_t dl_delivery_http_provisions(q_delivery *base)
{
    return dl_token_provision_count(((http_delivery *)base)->tokens);
}

int64_t dl_delivery_http_imports_deleted(q_delivery *base)
{
    return ((http_delivery *)base)->imports_deleted;
}

int64_t dl_delivery_http_import_pace_us(q_delivery *base)
{
    return atomic_load(&((http_delivery *)base)->import_pace.micros_per_record);
}

q_delivery *dl_delivery_http_new(const cm_config *config, const dl_delivery_http_options *options,
                                  char error[DL_DELIVERY_ERROR_MAX])
{
    error[0] = '\0';
    if (!config->delivery.base_url ||
        (!config->delivery.token && !config->delivery.oauth_token_url && !config->delivery.jwt_login_url)) {
        snprintf(error, DL_DELIVERY_ERROR_MAX, "http delivery needs delivery.baseUrl and a token, oauth or jwt section");
        return NULL;
    }
    if (cm_httpc_global_init() != CM_OK) {
        snprintf(error, DL_DELIVERY_ERROR_MAX, "libcurl could not be initialized");
        return NULL;
    }
    http_delivery *delivery = calloc(1, sizeof *delivery);
    if (!delivery) {
        snprintf(error, DL_DELIVERY_ERROR_MAX, "out of memory");
        return NULL;
    }
    delivery->base.deliver = deliver;
    delivery->base.read = read_availability;
    delivery->base.destroy = destroy;
    delivery->config = config;
    if (options)
        delivery->options = *options;
    if (!delivery->options.import_wait_max_ms)
        delivery->options.import_wait_max_ms = DL_IMPORT_WAIT_MAX_MS;
    if (!delivery->options.poll_first_ms)
        delivery->options.poll_first_ms = DL_IMPORT_POLL_FIRST_MS;
    if (!delivery->options.poll_max_ms)
        delivery->options.poll_max_ms = DL_IMPORT_POLL_MAX_MS;
    if (!delivery->options.poll_min_ms)
        delivery->options.poll_min_ms = DL_IMPORT_POLL_MIN_MS;
    if (!delivery->options.result_file_max)
        delivery->options.result_file_max = DL_RESULT_FILE_MAX;
    delivery->base_url = strdup(config->delivery.base_url);
    long total_ms = (long)config->delivery.timeout_seconds * 1000;
    cm_httpc_settings settings = {
        .connect_timeout_ms = total_ms < DL_HTTP_CONNECT_TIMEOUT_MAX_MS ? total_ms : DL_HTTP_CONNECT_TIMEOUT_MAX_MS,
        .total_timeout_ms = total_ms,
        .verify_tls = config->delivery.verify_tls,
    };
    delivery->pool = cm_httpc_pool_new(&settings);
    dl_token_login login = dl_token_login_of_config(config);
    char token_error[DL_TOKEN_ERROR_MAX];
    delivery->tokens = dl_token_source_new(&login, token_error);
    if (!delivery->tokens) {
        destroy(&delivery->base);
        snprintf(error, DL_DELIVERY_ERROR_MAX, "%s", token_error);
        return NULL;
    }
    if (!delivery->base_url || !delivery->pool) {
        destroy(&delivery->base);
        snprintf(error, DL_DELIVERY_ERROR_MAX, "out of memory");
        return NULL;
    }
    size_t length = strlen(delivery->base_url);
    while (length > 0 && delivery->base_url[length - 1] == '/')
        delivery->base_url[--length] = '\0';
    if (!config->delivery.verify_tls)
        cm_log_warn("delivery.tls_unverified", "delivery.verifyTls is false: OCI's certificate is not checked");
    return &delivery->base;
}
