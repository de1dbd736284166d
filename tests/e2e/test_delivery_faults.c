/*
 * test_delivery_faults.c - the http delivery against a scripted fake OCI listener on 127.0.0.1
 * (a cm_http_server in this process): connection refused, a stalled answer past the timeout, 500,
 * 429 with Retry-After, 401 once (OAuth token renewal), 400 with OCI's error body, batch-update 200
 * with per-record errors, and an import whose result file lists failures.
 *
 * Part one calls the delivery in-process and checks each outcome exactly (status, retry_after_ms,
 * message, refused indexes). Part two runs the real `omsgw serve` against the same fake and checks
 * that each job ends as decisions.md says, and that no record was sent with two different
 * contents under one id (re-sending is harmless: OCI skips ids it has applied).
 */
#include "delivery/delivery_http.h"
#include "delivery/token_source.h"
#include "common/http_client.h"
#include "common/body.h"
#include "common/clock.h"
#include "common/config.h"
#include "common/http_server.h"
#include "common/json_util.h"
#include "tests/e2e/e2e_legacy.h"
#include "translate/item.h"
#include "translate/oci_reply.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define ORG "f_ecom_demo_001"
#define FAKE_MAX_IDS 20000
#define FAIL_PREFIX "FAIL-"
#define IMPORTS "/inventory/impex/v1/organizations/{org}/availability-records/imports"

typedef enum reply_kind { REPLY_OK = 0, REPLY_500, REPLY_429, REPLY_401, REPLY_400, REPLY_STALL } reply_kind;

/* ---- the fake OCI ---- */

typedef struct sent_record {
    char id[40];
    char content[96]; /* sku and onHand: the same id must always carry the same content */
    int sends;
} sent_record;

typedef struct fake {
    pthread_mutex_t lock;
    cm_http_server *server;
    int port;
    reply_kind script[16]; /* for successive batch-update / import submit calls; REPLY_OK after the end */
    size_t script_length, script_position;
    int retry_after_seconds;
    int stall_ms;
    int import_never_completes;
    int tokens_issued;
    char token[32];
    int batch_calls, submit_calls, upload_calls, status_calls, result_calls;
    int64_t main_call_ms[32];
    sent_record *sent; /* FAKE_MAX_IDS */
    size_t sent_count;
    int conflicts; /* an id sent again with other content */
    cm_body result_file;
    int import_status_polls;
    /* Knobs and counters of the later tests (all zero/empty: the behaviour above). */
    char token_expires_in[32];  /* the token route's expires_in, as JSON text; "" = 1799 */
    int unauthorized_replies;   /* 401s answered because the bearer was not the current token */
    char last_bearer[64];       /* the Authorization of the last batch-update */
    char retry_after[64];       /* REPLY_429's Retry-After verbatim; "" = retry_after_seconds; "-" = none */
    int upload_reply;           /* 409: FileAlreadyReceived (after taking the file); 410: ExpiredUploadLink */
    const char *status_final;   /* the status after the RUNNING polls; NULL = COMPLETED */
    const char *validation_error;
    int status_error, status_error_count; /* the first status polls answer this HTTP status */
    int result_only_status;     /* the result file is just its status line */
    int result_missing;         /* file-content answers 404 */
    int result_padding_lines;   /* extra failed lines naming no record, to make the file big */
    int delete_calls, delete_status; /* DELETE of an import; delete_status 0 = 204 */
    char correlation_ids[256][40];
    size_t correlation_count, correlation_overflow;
} fake;

static fake *the_fake;

static reply_kind next_reply(fake *f)
{
    int calls = f->batch_calls + f->submit_calls;
    if (calls - 1 < 32)
        f->main_call_ms[calls - 1] = cm_mono_ms();
    return f->script_position < f->script_length ? f->script[f->script_position++] : REPLY_OK;
}

/* Records one record the client sent; 1 when its sku asks to be refused. */
static int note_record(fake *f, const char *id, const char *sku, int64_t on_hand)
{
    char content[96];
    snprintf(content, sizeof content, "%s:%" PRId64, sku, on_hand);
    for (size_t i = 0; i < f->sent_count; i++) {
        if (strcmp(f->sent[i].id, id) == 0) {
            f->sent[i].sends++;
            if (strcmp(f->sent[i].content, content) != 0)
                f->conflicts++;
            return strncmp(sku, FAIL_PREFIX, strlen(FAIL_PREFIX)) == 0;
        }
    }
    if (f->sent_count < FAKE_MAX_IDS) {
        sent_record *record = &f->sent[f->sent_count++];
        snprintf(record->id, sizeof record->id, "%s", id);
        snprintf(record->content, sizeof record->content, "%s", content);
        record->sends = 1;
    }
    return strncmp(sku, FAIL_PREFIX, strlen(FAIL_PREFIX)) == 0;
}

static void reply_text(cm_http_request *request, int status, const char *body)
{
    cm_http_reply_bytes(request, status, "application/json", body, strlen(body));
}

/* Keeps the correlation-id of every request (called with the lock held). */
static void note_correlation(fake *f, cm_http_request *request)
{
    const char *id = cm_http_header(request, "correlation-id");
    if (f->correlation_count >= sizeof f->correlation_ids / sizeof f->correlation_ids[0]) {
        f->correlation_overflow++;
        return;
    }
    snprintf(f->correlation_ids[f->correlation_count++], sizeof f->correlation_ids[0], "%s", id ? id : "");
}

/* Checks the bearer token; replies 401 (returns -1) when it is not the current one. */
static int authorized(fake *f, cm_http_request *request)
{
    note_correlation(f, request);
    const char *header = cm_http_header(request, "Authorization");
    char expected[64];
    snprintf(expected, sizeof expected, "Bearer %s", f->token);
    if (f->token[0] && header && strcmp(header, expected) == 0)
        return 0;
    f->unauthorized_replies++;
    reply_text(request, 401, "{\"type\":\"https://api.commercecloud.salesforce.com/documentation/error/v1/errors/"
                             "unauthorized\",\"title\":\"Unauthorized\",\"detail\":\"Your access token is invalid.\"}");
    return -1;
}

/* Answers a scripted failure; returns 1 when it did, 0 for REPLY_OK. Called with the lock held (and
 * releases it around a stall). */
static int scripted_failure(fake *f, cm_http_request *request, reply_kind kind)
{
    char seconds[16];
    switch (kind) {
    case REPLY_OK: return 0;
    case REPLY_500: reply_text(request, 500, "{\"errorCode\":\"Unknown\",\"message\":\"internal error\"}"); return 1;
    case REPLY_429:
        snprintf(seconds, sizeof seconds, "%d", f->retry_after_seconds);
        if (strcmp(f->retry_after, "-") != 0)
            cm_http_add_header(request, "Retry-After", f->retry_after[0] ? f->retry_after : seconds);
        reply_text(request, 429, "{\"title\":\"Too Many Requests\",\"detail\":\"You have performed too many requests.\"}");
        return 1;
    case REPLY_401:
        f->token[0] = '\0'; /* the token is revoked: only a new one works */
        reply_text(request, 401, "{\"title\":\"Unauthorized\",\"detail\":\"Your access token is invalid.\"}");
        return 1;
    case REPLY_400:
        reply_text(request, 400, "{\"type\":\"about:blank\",\"errorCode\":\"InvalidRequestParameter\","
                                 "\"message\":\"'records[0].sku' is not valid.\"}");
        return 1;
    case REPLY_STALL: {
        int stall = f->stall_ms;
        pthread_mutex_unlock(&f->lock);
        cm_sleep_ms(stall);
        pthread_mutex_lock(&f->lock);
        reply_text(request, 500, "{\"message\":\"too late\"}");
        return 1;
    }
    }
    return 0;
}

static void route_token(cm_http_request *request, void *data)
{
    fake *f = data;
    const char *authorization = cm_http_header(request, "Authorization");
    size_t length = 0;
    const char *body = cm_http_body(request, &length);
    if (!authorization || strncmp(authorization, "Basic ", 6) != 0 || !body ||
        !strstr(body, "grant_type=client_credentials")) {
        reply_text(request, 401, "{\"error\":\"invalid_client\",\"error_description\":\"Basic credentials needed\"}");
        return;
    }
    pthread_mutex_lock(&f->lock);
    note_correlation(f, request);
    f->tokens_issued++;
    snprintf(f->token, sizeof f->token, "tok-%d", f->tokens_issued);
    char reply[192];
    snprintf(reply, sizeof reply, "{\"access_token\":\"%s\",\"token_type\":\"Bearer\",\"expires_in\":%s}", f->token,
             f->token_expires_in[0] ? f->token_expires_in : "1799");
    pthread_mutex_unlock(&f->lock);
    reply_text(request, 200, reply);
}

static void route_batch(cm_http_request *request, void *data)
{
    fake *f = data;
    pthread_mutex_lock(&f->lock);
    if (authorized(f, request) != 0)
        goto out;
    f->batch_calls++;
    snprintf(f->last_bearer, sizeof f->last_bearer, "%s", cm_http_header(request, "Authorization"));
    reply_kind kind = next_reply(f);
    size_t length = 0;
    const char *body = cm_http_body(request, &length);
    json_object *root = NULL, *records = NULL;
    char error[CM_JSON_ERROR_MAX];
    if (cm_json_parse(body, length, 8, &root, error) != CM_OK || cm_json_array(root, "records", &records) != CM_JSON_OK) {
        json_object_put(root);
        reply_text(request, 400, "{\"errorCode\":\"InvalidRequest\",\"message\":\"bad body\"}");
        goto out;
    }
    cm_body errors;
    cm_body_init(&errors, 1 << 20);
    cm_body_appendf(&errors, "{\"errors\":[");
    size_t failed = 0;
    for (size_t i = 0; i < json_object_array_length(records); i++) {
        json_object *record = json_object_array_get_idx(records, i);
        const char *id = "", *sku = "";
        int64_t on_hand = -1;
        cm_json_string(record, "id", &id);
        cm_json_string(record, "sku", &sku);
        cm_json_int64(record, "onHand", &on_hand);
        if (note_record(f, id, sku, on_hand) && kind == REPLY_OK)
            cm_body_appendf(&errors,
                            "%s{\"details\":{\"locationId\":\"warehouse-1\",\"sku\":\"%s\",\"id\":\"%s\"},"
                            "\"message\":\"Inventory record update failed\",\"errorCode\":\"InventoryReset\"}",
                            failed++ ? "," : "", sku, id);
    }
    cm_body_appendf(&errors, "]}");
    json_object_put(root);
    if (!scripted_failure(f, request, kind)) {
        if (failed)
            reply_text(request, 200, errors.data);
        else
            cm_http_reply_empty(request, 204);
    }
    cm_body_free(&errors);
out:
    pthread_mutex_unlock(&f->lock);
}

static void route_submit(cm_http_request *request, void *data)
{
    fake *f = data;
    pthread_mutex_lock(&f->lock);
    if (authorized(f, request) != 0)
        goto out;
    f->submit_calls++;
    if (scripted_failure(f, request, next_reply(f)))
        goto out;
    char reply[512];
    int id = f->submit_calls;
    snprintf(reply, sizeof reply,
             "{\"importId\":\"imp-%d\",\"importStatusLink\":\"/inventory/impex/v1/organizations/" ORG
             "/availability-records/imports/imp-%d/status\",\"uploadLink\":\"/inventory/impex/v1/organizations/" ORG
             "/availability-records/imports/uploadlink/imp-%d\",\"uploadMethod\":\"POST\"}",
             id, id, id);
    f->import_status_polls = 0;
    reply_text(request, 200, reply);
out:
    pthread_mutex_unlock(&f->lock);
}

/* Inflates the gzip member found in a multipart body. */
static int gunzip_part(const char *body, size_t length, cm_body *out)
{
    const char *start = NULL;
    for (size_t i = 0; i + 1 < length && !start; i++)
        if ((unsigned char)body[i] == 0x1f && (unsigned char)body[i + 1] == 0x8b)
            start = body + i;
    if (!start)
        return -1;
    z_stream stream;
    memset(&stream, 0, sizeof stream);
    if (inflateInit2(&stream, 15 + 16) != Z_OK)
        return -1;
    stream.next_in = (Bytef *)(uintptr_t)start;
    stream.avail_in = (uInt)(length - (size_t)(start - body));
    char buffer[65536];
    int rc;
    do {
        stream.next_out = (Bytef *)buffer;
        stream.avail_out = sizeof buffer;
        rc = inflate(&stream, Z_NO_FLUSH);
        cm_body_append(out, buffer, sizeof buffer - stream.avail_out);
    } while (rc == Z_OK);
    inflateEnd(&stream);
    return rc == Z_STREAM_END ? 0 : -1;
}

static void route_upload(cm_http_request *request, void *data)
{
    fake *f = data;
    pthread_mutex_lock(&f->lock);
    if (authorized(f, request) != 0)
        goto out;
    f->upload_calls++;
    if (f->upload_reply == 410) {
        reply_text(request, 410, "{\"type\":\"about:blank\",\"errorCode\":\"ExpiredUploadLink\","
                                 "\"message\":\"The upload link has expired.\"}");
        goto out;
    }
    size_t length = 0;
    const char *body = cm_http_body(request, &length);
    cm_body file;
    cm_body_init(&file, 64 << 20);
    if (!body || gunzip_part(body, length, &file) != 0) {
        cm_body_free(&file);
        reply_text(request, 400, "{\"errorCode\":\"InvalidRequest\",\"message\":\"not gzip\"}");
        goto out;
    }
    cm_body_reset(&f->result_file);
    size_t failed = 0;
    cm_body lines;
    cm_body_init(&lines, 64 << 20);
    for (char *line = file.data; line && *line;) {
        char *end = strchr(line, '\n');
        json_object *record = NULL;
        char error[CM_JSON_ERROR_MAX];
        if (cm_json_parse(line, end ? (size_t)(end - line) : strlen(line), 8, &record, error) == CM_OK) {
            const char *id = "", *sku = "";
            int64_t on_hand = -1;
            cm_json_string(record, "recordId", &id);
            cm_json_string(record, "sku", &sku);
            cm_json_int64(record, "onHand", &on_hand);
            if (note_record(f, id, sku, on_hand)) {
                cm_body_appendf(&lines, "{\"recordId\":\"%s\",\"locationId\":\"warehouse-1\",\"sku\":\"%s\","
                                        "\"message\":\"'quantity' quantity must be a positive value\"}\n", id, sku);
                failed++;
            }
            json_object_put(record);
        }
        line = end ? end + 1 : NULL;
    }
    if (f->result_only_status) {
        cm_body_appendf(&f->result_file, "{\"status\":\"FAILED\"}\n");
    } else {
        cm_body_appendf(&f->result_file, "{\"status\":\"%s\"}\n",
                        failed ? "COMPLETED_WITH_PARTIAL_FAILURES" : "COMPLETED_WITHOUT_ERRORS");
        if (lines.length)
            cm_body_append(&f->result_file, lines.data, lines.length);
        for (int i = 0; i < f->result_padding_lines; i++)
            cm_body_appendf(&f->result_file, "{\"recordId\":\"pad-%d\",\"locationId\":\"warehouse-1\",\"sku\":\"PAD\","
                                             "\"message\":\"padding line naming no record of the chunk\"}\n", i);
    }
    cm_body_free(&lines);
    cm_body_free(&file);
    if (f->upload_reply == 409) /* the file got through on an earlier try */
        reply_text(request, 409, "{\"type\":\"about:blank\",\"errorCode\":\"FileAlreadyReceived\","
                                 "\"message\":\"The file has already been received.\"}");
    else
        reply_text(request, 200, "{\"status\":\"PENDING\",\"importId\":\"imp\"}");
out:
    pthread_mutex_unlock(&f->lock);
}

static void route_status(cm_http_request *request, void *data)
{
    fake *f = data;
    pthread_mutex_lock(&f->lock);
    if (authorized(f, request) != 0)
        goto out;
    f->status_calls++;
    if (f->status_error_count > 0) {
        f->status_error_count--;
        if (f->status_error == 429)
            cm_http_add_header(request, "Retry-After", "0");
        reply_text(request, f->status_error,
                   f->status_error == 404 ? "{\"errorCode\":\"EntityNotFound\",\"message\":\"No such import.\"}"
                                          : "{\"title\":\"Too Many Requests\",\"detail\":\"Slow down.\"}");
        goto out;
    }
    const char *status = f->import_never_completes || f->import_status_polls++ < 2
                             ? "RUNNING"
                             : (f->status_final ? f->status_final : "COMPLETED");
    char reply[768];
    snprintf(reply, sizeof reply,
             "{\"importId\":\"%s\",\"status\":\"%s\",\"validation\":{\"status\":\"%s\",\"errors\":[%s%s%s]},"
             "\"import\":{\"recordsProcessedCount\":0,\"fullResults\":{\"href\":\"/inventory/impex/v1/organizations/"
             ORG "/availability-records/imports/%s/file-content\"}}}",
             cm_http_param(request, "id"), status, f->validation_error ? "Failed" : "Success",
             f->validation_error ? "\"" : "", f->validation_error ? f->validation_error : "",
             f->validation_error ? "\"" : "", cm_http_param(request, "id"));
    reply_text(request, 200, reply);
out:
    pthread_mutex_unlock(&f->lock);
}

static void route_result(cm_http_request *request, void *data)
{
    fake *f = data;
    pthread_mutex_lock(&f->lock);
    if (authorized(f, request) == 0 && f->result_missing) {
        f->result_calls++;
        reply_text(request, 404, "{\"errorCode\":\"EntityNotFound\",\"message\":\"No result file.\"}");
    } else if (!cm_http_replied(request)) {
        f->result_calls++;
        cm_http_reply_bytes(request, 200, "application/x-ndjson", f->result_file.data ? f->result_file.data : "",
                            f->result_file.length);
    }
    pthread_mutex_unlock(&f->lock);
}

static void route_delete(cm_http_request *request, void *data)
{
    fake *f = data;
    pthread_mutex_lock(&f->lock);
    if (authorized(f, request) == 0) {
        f->delete_calls++;
        if (f->delete_status && f->delete_status != 204)
            reply_text(request, f->delete_status, "{\"errorCode\":\"Unknown\",\"message\":\"delete failed\"}");
        else
            cm_http_reply_empty(request, 204);
    }
    pthread_mutex_unlock(&f->lock);
}

static const cm_http_route FAKE_ROUTES[] = {
    {{"POST", "/dwsso/oauth2/access_token"}, route_token, NULL, 0, 0},
    {{"POST", "/inventory/availability/v1/organizations/{org}/availability-records/actions/batch-update"}, route_batch,
     NULL, 0, 0},
    {{"POST", IMPORTS}, route_submit, NULL, 0, 0},
    {{"POST", IMPORTS "/uploadlink/{id}"}, route_upload, NULL, 0, 0},
    {{"GET", IMPORTS "/{id}/status"}, route_status, NULL, 0, 0},
    {{"GET", IMPORTS "/{id}/file-content"}, route_result, NULL, 0, 0},
    {{"DELETE", IMPORTS "/{id}"}, route_delete, NULL, 0, 0},
};

static cm_http_route routes[sizeof FAKE_ROUTES / sizeof FAKE_ROUTES[0]];

static fake *fake_start(void)
{
    fake *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->sent = calloc(FAKE_MAX_IDS, sizeof *f->sent);
    assert_non_null(f->sent);
    pthread_mutex_init(&f->lock, NULL);
    cm_body_init(&f->result_file, 64 << 20);
    f->retry_after_seconds = 1;
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        routes[i] = FAKE_ROUTES[i];
        routes[i].data = f;
    }
    cm_http_server_config config = {.name = "fake-oci",
                                    .bind_address = "127.0.0.1",
                                    .port = 0,
                                    .body_limit = 64 << 20,
                                    .threads = 4,
                                    .connection_timeout_seconds = 30,
                                    .connection_limit = 64,
                                    .routes = routes,
                                    .route_count = sizeof routes / sizeof routes[0]};
    char error[CM_HTTP_ERROR_MAX];
    if (cm_http_server_start(&config, &f->server, error) != CM_OK)
        fail_msg("fake OCI: %s", error);
    f->port = cm_http_server_port(f->server);
    the_fake = f;
    return f;
}

static void fake_stop(fake *f)
{
    cm_http_server_stop(f->server);
    cm_body_free(&f->result_file);
    pthread_mutex_destroy(&f->lock);
    free(f->sent);
    free(f);
    the_fake = NULL;
}

static void fake_script(fake *f, const reply_kind *kinds, size_t count)
{
    pthread_mutex_lock(&f->lock);
    if (count)
        memcpy(f->script, kinds, count * sizeof *kinds);
    f->script_length = count;
    f->script_position = 0;
    pthread_mutex_unlock(&f->lock);
}

/* ---- part one: the delivery in-process ---- */

typedef struct in_process {
    fake *f;
    cm_config *config;
    q_delivery *delivery;
    tr_record records[400];
    char skus[400][32];
    q_refusal refusals[400];
} in_process;

static cm_config *delivery_config(int port, int timeout_seconds, int fixed_token)
{
    char text[2048];
    if (fixed_token)
        snprintf(text, sizeof text,
                 "{\"delivery\":{\"mode\":\"http\",\"baseUrl\":\"http://127.0.0.1:%d\",\"timeoutSeconds\":%d,"
                 "\"token\":\"fixed-token\"}}",
                 port, timeout_seconds);
    else
        snprintf(text, sizeof text,
                 "{\"delivery\":{\"mode\":\"http\",\"baseUrl\":\"http://127.0.0.1:%d\",\"timeoutSeconds\":%d,"
                 "\"oauth\":{\"tokenUrl\":\"http://127.0.0.1:%d/dwsso/oauth2/access_token\",\"clientId\":\"c\","
                 "\"clientSecret\":\"s\"}}}",
                 port, timeout_seconds, port);
    cm_config *config = NULL;
    char error[CM_CONFIG_ERROR_MAX];
    if (cm_config_parse(text, strlen(text), "faults", "/tmp", NULL, 0, &config, error) != CM_OK)
        fail_msg("%s", error);
    return config;
}

static in_process *open_delivery_with(fake *f, cm_config *config, const dl_delivery_http_options *options)
{
    in_process *p = calloc(1, sizeof *p);
    assert_non_null(p);
    p->f = f;
    p->config = config;
    char error[DL_DELIVERY_ERROR_MAX];
    dl_delivery_http_options defaults = {.poll_first_ms = 20, .poll_max_ms = 100};
    p->delivery = dl_delivery_http_new(p->config, options ? options : &defaults, error);
    if (!p->delivery)
        fail_msg("%s", error);
    return p;
}

static in_process *open_delivery(fake *f, int port, int timeout_seconds, int fixed_token)
{
    return open_delivery_with(f, delivery_config(port, timeout_seconds, fixed_token), NULL);
}

static void close_delivery(in_process *p)
{
    p->delivery->destroy(p->delivery);
    cm_config_free(p->config);
    free(p);
}

static int stop_after_deadline(void *data)
{
    return cm_mono_ms() >= *(int64_t *)data;
}

static q_delivery_result deliver_chunk(in_process *p, size_t count, int64_t job_id, int (*should_stop)(void *),
                                       void *stop_data)
{
    assert_true(count <= 400);
    for (size_t i = 0; i < count; i++) {
        snprintf(p->skus[i], sizeof p->skus[i], "%s%zu", i % 15 == 3 ? FAIL_PREFIX : "SKU-", i);
        tr_record_id(NULL, 12345, job_id, i, p->records[i].record_id);
        p->records[i].sku = p->skus[i];
        p->records[i].location_id = "warehouse-1";
        p->records[i].on_hand_milli = (int64_t)i * 1000;
        p->records[i].effective_ms = 1714557600123;
        p->records[i].item_index = i;
    }
    q_chunk chunk = {.tenant_id = 12345,
                     .job_id = job_id,
                     .organization_id = ORG,
                     .location_id = "warehouse-1",
                     .records = p->records,
                     .record_count = count};
    q_delivery_result result = {.refusals = p->refusals, .retry_after_ms = -1};
    p->delivery->deliver(p->delivery, &chunk, &result, should_stop, stop_data);
    return result;
}

static void expect_refusals_of_fail_skus(in_process *p, const q_delivery_result *result, size_t count)
{
    size_t expected = 0;
    for (size_t i = 0; i < count; i++)
        expected += i % 15 == 3;
    assert_int_equal(result->refusal_count, expected);
    for (size_t i = 0; i < result->refusal_count; i++) {
        size_t index = result->refusals[i].record_index;
        assert_true(index < count);
        assert_int_equal(strncmp(p->skus[index], FAIL_PREFIX, strlen(FAIL_PREFIX)), 0);
    }
}

static void test_refused_connection(void **state)
{
    (void)state;
    in_process *p = open_delivery(NULL, th_free_port(), 5, 1);
    q_delivery_result result = deliver_chunk(p, 10, 1, NULL, NULL);
    assert_int_equal(result.status, Q_DELIVERY_RETRY);
    assert_non_null(strstr(result.message, "no answer from OCI"));
    assert_int_equal(result.refusal_count, 0);
    close_delivery(p);
    /* The OAuth flow against a dead token URL is a retry too. */
    p = open_delivery(NULL, th_free_port(), 5, 0);
    result = deliver_chunk(p, 10, 1, NULL, NULL);
    assert_int_equal(result.status, Q_DELIVERY_RETRY);
    assert_non_null(strstr(result.message, "OAuth token URL"));
    close_delivery(p);
}

static void test_stall_times_out(void **state)
{
    fake *f = *state;
    f->stall_ms = 3000;
    fake_script(f, (reply_kind[]){REPLY_STALL}, 1);
    in_process *p = open_delivery(f, f->port, 1, 0);
    int64_t started = cm_mono_ms();
    q_delivery_result result = deliver_chunk(p, 10, 1, NULL, NULL);
    int64_t elapsed = cm_mono_ms() - started;
    assert_int_equal(result.status, Q_DELIVERY_RETRY);
    assert_non_null(strstr(result.message, "no answer from OCI"));
    assert_true(elapsed >= 900 && elapsed < 2500);
    close_delivery(p);
}

static void test_500_429_400(void **state)
{
    fake *f = *state;
    f->retry_after_seconds = 2;
    fake_script(f, (reply_kind[]){REPLY_500, REPLY_429, REPLY_400}, 3);
    in_process *p = open_delivery(f, f->port, 5, 0);
    q_delivery_result result = deliver_chunk(p, 10, 1, NULL, NULL);
    assert_int_equal(result.status, Q_DELIVERY_RETRY);
    assert_int_equal(result.retry_after_ms, -1);
    assert_non_null(strstr(result.message, "OCI answered 500"));
    result = deliver_chunk(p, 10, 1, NULL, NULL);
    assert_int_equal(result.status, Q_DELIVERY_RETRY);
    assert_int_equal(result.retry_after_ms, 2000);
    assert_non_null(strstr(result.message, "429"));
    result = deliver_chunk(p, 10, 1, NULL, NULL);
    assert_int_equal(result.status, Q_DELIVERY_FINAL);
    assert_non_null(strstr(result.message, "OCI answered 400 InvalidRequestParameter: 'records[0].sku' is not valid."));
    assert_non_null(strstr(result.message, "correlation-id"));
    /* Three calls of the same chunk: the same ids with the same contents each time. */
    assert_int_equal(f->batch_calls, 3);
    assert_int_equal(f->sent_count, 10);
    assert_int_equal(f->conflicts, 0);
    assert_int_equal(f->tokens_issued, 1);
    close_delivery(p);
}

static void test_401_renews_token_once(void **state)
{
    fake *f = *state;
    fake_script(f, (reply_kind[]){REPLY_401}, 1);
    in_process *p = open_delivery(f, f->port, 5, 0);
    q_delivery_result result = deliver_chunk(p, 20, 1, NULL, NULL);
    assert_int_equal(result.status, Q_DELIVERY_OK);
    expect_refusals_of_fail_skus(p, &result, 20);
    assert_int_equal(f->tokens_issued, 2);
    assert_int_equal(dl_delivery_http_token_fetches(p->delivery), 2);
    assert_int_equal(f->batch_calls, 2);
    /* Two 401s in a row: the second is final. */
    fake_script(f, (reply_kind[]){REPLY_401, REPLY_401}, 2);
    result = deliver_chunk(p, 20, 1, NULL, NULL);
    assert_int_equal(result.status, Q_DELIVERY_FINAL);
    assert_non_null(strstr(result.message, "401"));
    close_delivery(p);
    /* A fixed token is never renewed: 401 is final at once. */
    p = open_delivery(f, f->port, 5, 1);
    result = deliver_chunk(p, 20, 1, NULL, NULL);
    assert_int_equal(result.status, Q_DELIVERY_FINAL);
    assert_non_null(strstr(result.message, "401 Unauthorized"));
    close_delivery(p);
}

static void test_partial_batch_and_import_failures(void **state)
{
    fake *f = *state;
    in_process *p = open_delivery(f, f->port, 5, 0);
    q_delivery_result result = deliver_chunk(p, 100, 1, NULL, NULL);
    assert_int_equal(result.status, Q_DELIVERY_OK);
    expect_refusals_of_fail_skus(p, &result, 100);
    assert_int_equal(f->batch_calls, 1);
    result = deliver_chunk(p, 350, 2, NULL, NULL);
    if (result.status != Q_DELIVERY_OK)
        fail_msg("%s", result.message);
    expect_refusals_of_fail_skus(p, &result, 350);
    assert_int_equal(f->submit_calls, 1);
    assert_int_equal(f->upload_calls, 1);
    assert_true(f->status_calls >= 3);
    assert_int_equal(f->result_calls, 1);
    /* A 500 on submit is a retry, and the next try uploads the very same records. */
    fake_script(f, (reply_kind[]){REPLY_500}, 1);
    result = deliver_chunk(p, 350, 2, NULL, NULL);
    assert_int_equal(result.status, Q_DELIVERY_RETRY);
    result = deliver_chunk(p, 350, 2, NULL, NULL);
    assert_int_equal(result.status, Q_DELIVERY_OK);
    assert_int_equal(f->sent_count, 450);
    assert_int_equal(f->conflicts, 0);
    close_delivery(p);
}

static void test_stop_during_import_poll(void **state)
{
    fake *f = *state;
    f->import_never_completes = 1;
    in_process *p = open_delivery(f, f->port, 5, 0);
    int64_t deadline = cm_mono_ms() + 400;
    int64_t started = cm_mono_ms();
    q_delivery_result result = deliver_chunk(p, 200, 1, stop_after_deadline, &deadline);
    assert_int_equal(result.status, Q_DELIVERY_RETRY);
    assert_non_null(strstr(result.message, "stopped"));
    assert_true(cm_mono_ms() - started < 1500);
    close_delivery(p);
}

/* ---- the gaps of issue 6: token renewal ahead of expiry, connection reuse, Retry-After dates,
 * the import path's edges, TLS verification ---- */

static void test_token_renewed_before_expiry(void **state)
{
    fake *f = *state;
    /* 2 s of life: renewed in its last fifth, i.e. from 1.6 s on, before OCI would refuse it. */
    snprintf(f->token_expires_in, sizeof f->token_expires_in, "2");
    in_process *p = open_delivery(f, f->port, 5, 0);
    int64_t started = cm_mono_ms();
    q_delivery_result result = deliver_chunk(p, 10, 1, NULL, NULL);
    assert_int_equal(result.status, Q_DELIVERY_OK);
    assert_int_equal(dl_delivery_http_token_fetches(p->delivery), 1);
    assert_string_equal(f->last_bearer, "Bearer tok-1");
    /* The shared source hands other callers the same token without a new login. */
    {
        cm_httpc_settings settings = {.connect_timeout_ms = 1000, .total_timeout_ms = 5000, .verify_tls = 1};
        cm_httpc_pool *pool = cm_httpc_pool_new(&settings);
        cm_httpc_client *client = cm_httpc_take(pool);
        char *shared = malloc(DL_TOKEN_MAX), message[Q_DELIVERY_MESSAGE_MAX];
        int64_t retry_after_ms;
        assert_int_equal(dl_token_get(dl_delivery_http_tokens(p->delivery), client, NULL, NULL, shared, &retry_after_ms,
                                      message, NULL, NULL),
                         Q_DELIVERY_OK);
        assert_string_equal(shared, "tok-1");
        assert_int_equal(dl_delivery_http_token_fetches(p->delivery), 1);
        free(shared);
        cm_httpc_give(pool, client);
        cm_httpc_pool_free(pool);
    }
    /* Well inside its life: the same token again. */
    cm_sleep_ms(300);
    result = deliver_chunk(p, 10, 2, NULL, NULL);
    assert_int_equal(result.status, Q_DELIVERY_OK);
    assert_int_equal(dl_delivery_http_token_fetches(p->delivery), 1);
    assert_string_equal(f->last_bearer, "Bearer tok-1");
    /* Past the early-renewal point but before expiry: a new token is fetched up front. */
    int64_t left = started + 1750 - cm_mono_ms();
    if (left > 0)
        cm_sleep_ms(left);
    assert_true(cm_mono_ms() - started < 2000); /* still inside the old token's life */
    result = deliver_chunk(p, 10, 3, NULL, NULL);
    assert_int_equal(result.status, Q_DELIVERY_OK);
    assert_int_equal(dl_delivery_http_token_fetches(p->delivery), 2);
    assert_int_equal(f->tokens_issued, 2);
    assert_string_equal(f->last_bearer, "Bearer tok-2");
    /* No 401 was needed for it: the old token was never sent after the renewal point. */
    assert_int_equal(f->unauthorized_replies, 0);
    assert_int_equal(f->batch_calls, 3);
    close_delivery(p);

    /* An absurd expires_in is capped (it must not overflow ms arithmetic) and still usable. */
    snprintf(f->token_expires_in, sizeof f->token_expires_in, "9223372036854775807");
    p = open_delivery(f, f->port, 5, 0);
    result = deliver_chunk(p, 10, 4, NULL, NULL);
    assert_int_equal(result.status, Q_DELIVERY_OK);
    result = deliver_chunk(p, 10, 5, NULL, NULL);
    assert_int_equal(result.status, Q_DELIVERY_OK);
    assert_int_equal(dl_delivery_http_token_fetches(p->delivery), 1);
    close_delivery(p);
}

/* A TCP relay on 127.0.0.1 in front of the fake that counts the connections it accepts: what the
 * client reuses is seen from the listener's side, not taken on libcurl's word. One thread, poll. */
#define RELAY_PAIRS 16
typedef struct relay {
    int listen_fd, port, target_port;
    pthread_t thread;
    atomic_int stop;
    atomic_int accepted;
    int pairs[RELAY_PAIRS][2]; /* client side, fake side; -1 when free */
} relay;

static int connect_loopback(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

static int write_all(int fd, const char *data, size_t length)
{
    while (length > 0) {
        ssize_t n = send(fd, data, length, MSG_NOSIGNAL);
        if (n <= 0)
            return -1;
        data += n;
        length -= (size_t)n;
    }
    return 0;
}

static void relay_close_pair(relay *r, int slot)
{
    close(r->pairs[slot][0]);
    close(r->pairs[slot][1]);
    r->pairs[slot][0] = r->pairs[slot][1] = -1;
}

static void *relay_run(void *data)
{
    relay *r = data;
    static char buffer[1 << 16];
    while (!atomic_load(&r->stop)) {
        struct pollfd fds[1 + 2 * RELAY_PAIRS];
        int slot_of[1 + 2 * RELAY_PAIRS], side_of[1 + 2 * RELAY_PAIRS];
        nfds_t n = 0;
        fds[n++] = (struct pollfd){.fd = r->listen_fd, .events = POLLIN};
        for (int slot = 0; slot < RELAY_PAIRS; slot++)
            for (int side = 0; side < 2 && r->pairs[slot][0] >= 0; side++) {
                slot_of[n] = slot;
                side_of[n] = side;
                fds[n++] = (struct pollfd){.fd = r->pairs[slot][side], .events = POLLIN};
            }
        if (poll(fds, n, 50) <= 0)
            continue;
        for (nfds_t i = 1; i < n; i++) {
            int slot = slot_of[i];
            if (!fds[i].revents || r->pairs[slot][0] < 0)
                continue;
            ssize_t got = recv(fds[i].fd, buffer, sizeof buffer, 0);
            if (got <= 0 || write_all(r->pairs[slot][!side_of[i]], buffer, (size_t)got) != 0)
                relay_close_pair(r, slot);
        }
        if (fds[0].revents & POLLIN) {
            int client = accept(r->listen_fd, NULL, NULL);
            if (client < 0)
                continue;
            atomic_fetch_add(&r->accepted, 1);
            int upstream = connect_loopback(r->target_port);
            int slot = 0;
            while (slot < RELAY_PAIRS && r->pairs[slot][0] >= 0)
                slot++;
            if (upstream < 0 || slot == RELAY_PAIRS) {
                close(client);
                if (upstream >= 0)
                    close(upstream);
                continue;
            }
            r->pairs[slot][0] = client;
            r->pairs[slot][1] = upstream;
        }
    }
    for (int slot = 0; slot < RELAY_PAIRS; slot++)
        if (r->pairs[slot][0] >= 0)
            relay_close_pair(r, slot);
    return NULL;
}

static relay *relay_start(int target_port)
{
    relay *r = calloc(1, sizeof *r);
    assert_non_null(r);
    for (int slot = 0; slot < RELAY_PAIRS; slot++)
        r->pairs[slot][0] = r->pairs[slot][1] = -1;
    r->target_port = target_port;
    r->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = 0};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    assert_true(r->listen_fd >= 0);
    assert_int_equal(bind(r->listen_fd, (struct sockaddr *)&address, sizeof address), 0);
    assert_int_equal(listen(r->listen_fd, 16), 0);
    assert_int_equal(getsockname(r->listen_fd, (struct sockaddr *)&address, &length), 0);
    r->port = ntohs(address.sin_port);
    assert_int_equal(pthread_create(&r->thread, NULL, relay_run, r), 0);
    return r;
}

static void relay_stop(relay *r)
{
    atomic_store(&r->stop, 1);
    pthread_join(r->thread, NULL);
    close(r->listen_fd);
    free(r);
}

/* 1 when `text` is a UUID in its 8-4-4-4-12 hexadecimal form. */
static int is_uuid(const char *text)
{
    if (strlen(text) != 36)
        return 0;
    for (int i = 0; i < 36; i++) {
        int dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? text[i] != '-' : !strchr("0123456789abcdefABCDEF", text[i]))
            return 0;
    }
    return 1;
}

static void test_connection_reuse_and_correlation_ids(void **state)
{
    fake *f = *state;
    relay *r = relay_start(f->port);
    in_process *p = open_delivery(f, r->port, 5, 0); /* the token URL goes through the relay too */
    /* Ten batch-update chunks and one import (submit, upload, polls, result, delete) in a row, as
     * one worker sends them: one TCP connection should carry them all. */
    for (int64_t job = 1; job <= 10; job++) {
        q_delivery_result result = deliver_chunk(p, 10, job, NULL, NULL);
        assert_int_equal(result.status, Q_DELIVERY_OK);
    }
    q_delivery_result result = deliver_chunk(p, 150, 11, NULL, NULL);
    if (result.status != Q_DELIVERY_OK)
        fail_msg("%s", result.message);
    close_delivery(p);
    int accepted = atomic_load(&r->accepted);
    relay_stop(r);
    pthread_mutex_lock(&f->lock);
    int requests = f->tokens_issued + f->batch_calls + f->submit_calls + f->upload_calls + f->status_calls +
                   f->result_calls + f->delete_calls;
    fprintf(stderr, "[ figures  ] %d requests over %d TCP connection(s)\n", requests, accepted);
    assert_int_equal(f->batch_calls, 10);
    assert_int_equal(f->delete_calls, 1);
    assert_true(requests >= 16);
    assert_true(accepted >= 1 && accepted <= 2);
    /* Every request carried a correlation-id UUID, and no two the same. */
    assert_int_equal(f->correlation_overflow, 0);
    assert_int_equal((int)f->correlation_count, requests);
    for (size_t i = 0; i < f->correlation_count; i++) {
        if (!is_uuid(f->correlation_ids[i]))
            fail_msg("request %zu: correlation-id '%s' is not a UUID", i, f->correlation_ids[i]);
        for (size_t j = 0; j < i; j++)
            if (strcmp(f->correlation_ids[i], f->correlation_ids[j]) == 0)
                fail_msg("requests %zu and %zu share correlation-id %s", j, i, f->correlation_ids[i]);
    }
    pthread_mutex_unlock(&f->lock);
}

static void test_retry_after_forms(void **state)
{
    fake *f = *state;
    in_process *p = open_delivery(f, f->port, 5, 0);
    /* An HTTP date 3 s ahead: honoured as 2-3 s (the date has whole seconds). */
    time_t when = time(NULL) + 3;
    struct tm tm;
    gmtime_r(&when, &tm);
    strftime(f->retry_after, sizeof f->retry_after, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    fake_script(f, (reply_kind[]){REPLY_429}, 1);
    q_delivery_result result = deliver_chunk(p, 10, 1, NULL, NULL);
    assert_int_equal(result.status, Q_DELIVERY_RETRY);
    if (result.retry_after_ms < 2000 || result.retry_after_ms > 3000)
        fail_msg("Retry-After '%s' gave %" PRId64 " ms", f->retry_after, result.retry_after_ms);
    /* A date already past: retry at once (0), not "absent". */
    snprintf(f->retry_after, sizeof f->retry_after, "Wed, 21 Oct 2015 07:28:00 GMT");
    fake_script(f, (reply_kind[]){REPLY_429}, 1);
    result = deliver_chunk(p, 10, 1, NULL, NULL);
    assert_int_equal(result.status, Q_DELIVERY_RETRY);
    assert_int_equal(result.retry_after_ms, 0);
    /* A number far too large is capped, without overflowing. */
    snprintf(f->retry_after, sizeof f->retry_after, "99999999999999999999999");
    fake_script(f, (reply_kind[]){REPLY_429}, 1);
    result = deliver_chunk(p, 10, 1, NULL, NULL);
    assert_int_equal(result.status, Q_DELIVERY_RETRY);
    assert_int_equal(result.retry_after_ms, CM_HTTPC_RETRY_AFTER_MAX_MS);
    /* A 429 without the header, right after ones with it on the same connection: absent (-1). */
    snprintf(f->retry_after, sizeof f->retry_after, "-");
    fake_script(f, (reply_kind[]){REPLY_429}, 1);
    result = deliver_chunk(p, 10, 1, NULL, NULL);
    assert_int_equal(result.status, Q_DELIVERY_RETRY);
    assert_int_equal(result.retry_after_ms, -1);
    /* Garbage: absent too. */
    snprintf(f->retry_after, sizeof f->retry_after, "soon");
    fake_script(f, (reply_kind[]){REPLY_429}, 1);
    result = deliver_chunk(p, 10, 1, NULL, NULL);
    assert_int_equal(result.retry_after_ms, -1);
    close_delivery(p);
}

/* One import chunk of 150 records (10 of them FAIL- skus) with the fake as it is set now. */
static q_delivery_result deliver_import_chunk(in_process *p, int64_t job_id)
{
    return deliver_chunk(p, 150, job_id, NULL, NULL);
}

static void reset_import_knobs(fake *f)
{
    pthread_mutex_lock(&f->lock);
    f->upload_reply = 0;
    f->status_final = NULL;
    f->validation_error = NULL;
    f->status_error = f->status_error_count = 0;
    f->result_only_status = f->result_missing = f->result_padding_lines = 0;
    f->delete_status = 0;
    pthread_mutex_unlock(&f->lock);
}

static void test_import_edges(void **state)
{
    fake *f = *state;
    in_process *p = open_delivery(f, f->port, 5, 0);

    /* Upload link expired (410): a retry, which submits a new import. Nothing ended: no delete. */
    f->upload_reply = 410;
    q_delivery_result result = deliver_import_chunk(p, 1);
    assert_int_equal(result.status, Q_DELIVERY_RETRY);
    assert_non_null(strstr(result.message, "410"));
    assert_non_null(strstr(result.message, "expired"));
    assert_int_equal(f->delete_calls, 0);
    reset_import_knobs(f);

    /* 409 FileAlreadyReceived: the file is there, so carry on to the result. */
    f->upload_reply = 409;
    result = deliver_import_chunk(p, 1);
    if (result.status != Q_DELIVERY_OK)
        fail_msg("%s", result.message);
    expect_refusals_of_fail_skus(p, &result, 150);
    assert_int_equal(f->result_calls, 1);
    assert_int_equal(f->delete_calls, 1);
    reset_import_knobs(f);

    /* EXPIRED and STOPPED: final, saying which, and the import is deleted. */
    f->status_final = "EXPIRED";
    result = deliver_import_chunk(p, 1);
    assert_int_equal(result.status, Q_DELIVERY_FINAL);
    assert_non_null(strstr(result.message, "ended EXPIRED"));
    assert_non_null(strstr(result.message, "none of its records were applied"));
    assert_int_equal(result.refusal_count, 0);
    assert_int_equal(f->delete_calls, 2);
    f->status_final = "STOPPED";
    result = deliver_import_chunk(p, 1);
    assert_int_equal(result.status, Q_DELIVERY_FINAL);
    assert_non_null(strstr(result.message, "was STOPPED"));
    assert_int_equal(f->delete_calls, 3);
    assert_int_equal(f->result_calls, 1); /* neither has a result file to read */

    /* FAILED with no failed line: final, with the validation message... */
    f->status_final = "FAILED";
    f->result_only_status = 1;
    f->validation_error = "File is in GZIP format where the encoding type was not specified as GZIP";
    result = deliver_import_chunk(p, 1);
    assert_int_equal(result.status, Q_DELIVERY_FINAL);
    assert_non_null(strstr(result.message, "FAILED with no failed line: File is in GZIP format"));
    assert_int_equal(result.refusal_count, 0);
    /* ...or, with no validation message and no result file, saying OCI gave no reason. */
    f->validation_error = NULL;
    f->result_missing = 1;
    result = deliver_import_chunk(p, 1);
    assert_int_equal(result.status, Q_DELIVERY_FINAL);
    assert_non_null(strstr(result.message, "FAILED: OCI gave no reason"));
    assert_non_null(strstr(result.message, "404"));
    assert_int_equal(f->delete_calls, 5);
    reset_import_knobs(f);

    /* A 404 while polling will not pass by waiting: final at once. */
    f->status_error = 404;
    f->status_error_count = 1;
    int polls = f->status_calls;
    result = deliver_import_chunk(p, 1);
    assert_int_equal(result.status, Q_DELIVERY_FINAL);
    assert_non_null(strstr(result.message, "import status: OCI answered 404 EntityNotFound"));
    assert_int_equal(f->status_calls, polls + 1);
    /* A 429 while polling is waited out. */
    f->status_error = 429;
    f->status_error_count = 2;
    result = deliver_import_chunk(p, 1);
    if (result.status != Q_DELIVERY_OK)
        fail_msg("%s", result.message);
    expect_refusals_of_fail_skus(p, &result, 150);
    reset_import_knobs(f);

    /* A failing DELETE does not fail the chunk. */
    f->delete_status = 500;
    int deletes = f->delete_calls;
    result = deliver_import_chunk(p, 1);
    assert_int_equal(result.status, Q_DELIVERY_OK);
    expect_refusals_of_fail_skus(p, &result, 150);
    assert_int_equal(f->delete_calls, deletes + 1);
    reset_import_knobs(f);
    int64_t deleted = dl_delivery_http_imports_deleted(p->delivery);
    assert_int_equal(deleted, f->delete_calls - 1);
    close_delivery(p);

    /* A result file over the limit: a clear final error, never a silent cut. */
    dl_delivery_http_options options = {.poll_first_ms = 20, .poll_max_ms = 100, .result_file_max = 4096};
    p = open_delivery_with(f, delivery_config(f->port, 5, 0), &options);
    f->result_padding_lines = 100; /* ~12 KiB */
    result = deliver_import_chunk(p, 1);
    assert_int_equal(result.status, Q_DELIVERY_FINAL);
    assert_non_null(strstr(result.message, "larger than the 4096 bytes"));
    assert_int_equal(result.refusal_count, 0);
    /* Under the limit the same padding is read whole (the padding lines name no record). */
    f->result_padding_lines = 10;
    result = deliver_import_chunk(p, 1);
    assert_int_equal(result.status, Q_DELIVERY_OK);
    expect_refusals_of_fail_skus(p, &result, 150);
    reset_import_knobs(f);
    close_delivery(p);
    /* The same ids always carried the same contents. */
    assert_int_equal(f->conflicts, 0);
}

/* ---- TLS: a listener with a self-signed certificate (libmicrohttpd's HTTPS, over GnuTLS) ---- */

typedef struct tls_server {
    struct MHD_Daemon *daemon;
    int port;
    atomic_int requests;
} tls_server;

static enum MHD_Result tls_answer(void *data, struct MHD_Connection *connection, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **request_state)
{
    (void)url;
    (void)method;
    (void)version;
    (void)upload_data;
    static int marker;
    if (!*request_state) {
        *request_state = &marker;
        return MHD_YES;
    }
    if (*upload_data_size) {
        *upload_data_size = 0; /* the body is not looked at */
        return MHD_YES;
    }
    tls_server *server = data;
    atomic_fetch_add(&server->requests, 1);
    struct MHD_Response *response = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    enum MHD_Result rc = MHD_queue_response(connection, 204, response);
    MHD_destroy_response(response);
    return rc;
}

static cm_config *tls_config(int port, const char *verify)
{
    char text[512];
    snprintf(text, sizeof text,
             "{\"delivery\":{\"mode\":\"http\",\"baseUrl\":\"https://127.0.0.1:%d\",\"timeoutSeconds\":5,"
             "\"token\":\"fixed-token\"%s}}",
             port, verify);
    cm_config *config = NULL;
    char error[CM_CONFIG_ERROR_MAX];
    if (cm_config_parse(text, strlen(text), "tls", "/tmp", NULL, 0, &config, error) != CM_OK)
        fail_msg("%s", error);
    return config;
}

static void test_tls_verified_by_default(void **state)
{
    (void)state;
    if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
        fprintf(stderr, "[ skipped  ] libmicrohttpd has no TLS support here\n");
        skip();
    }
    if (system("command -v openssl >/dev/null 2>&1") != 0) {
        fprintf(stderr, "[ skipped  ] no openssl command to make a test certificate\n");
        skip();
    }
    char dir[256], command[1024], key_path[320], cert_path[320];
    th_temp_dir(dir, sizeof dir);
    snprintf(key_path, sizeof key_path, "%s/key.pem", dir);
    snprintf(cert_path, sizeof cert_path, "%s/cert.pem", dir);
    /* A certificate valid for 127.0.0.1 in every respect but one: nobody trusts its issuer. */
    snprintf(command, sizeof command,
             "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=127.0.0.1 "
             "-addext subjectAltName=IP:127.0.0.1 -keyout '%s' -out '%s' >/dev/null 2>&1",
             key_path, cert_path);
    if (system(command) != 0) {
        th_remove_tree(dir);
        fail_msg("openssl could not make a self-signed certificate");
    }
    char *key = th_read_file(key_path, NULL), *cert = th_read_file(cert_path, NULL);
    assert_non_null(key);
    assert_non_null(cert);
    tls_server server = {0};
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = 0};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    server.daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_TLS, 0, NULL, NULL, tls_answer, &server,
                                     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&address, MHD_OPTION_HTTPS_MEM_KEY, key,
                                     MHD_OPTION_HTTPS_MEM_CERT, cert, MHD_OPTION_CONNECTION_TIMEOUT, 10u,
                                     MHD_OPTION_END);
    if (!server.daemon)
        fail_msg("libmicrohttpd would not serve TLS with the test certificate");
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(server.daemon, MHD_DAEMON_INFO_BIND_PORT);
    assert_non_null(info);
    server.port = info->port;

    /* verifyTls left at its default: the untrusted certificate is refused, a retry that says TLS. */
    in_process *p = open_delivery_with(NULL, tls_config(server.port, ""), NULL);
    q_delivery_result result = deliver_chunk(p, 10, 1, NULL, NULL);
    assert_int_equal(result.status, Q_DELIVERY_RETRY);
    if (!strstr(result.message, "TLS failure") || !strstr(result.message, "certificate"))
        fail_msg("not said to be a TLS certificate problem: %s", result.message);
    assert_int_equal(atomic_load(&server.requests), 0);
    close_delivery(p);
    /* Said explicitly, the same. */
    p = open_delivery_with(NULL, tls_config(server.port, ",\"verifyTls\":true"), NULL);
    result = deliver_chunk(p, 10, 1, NULL, NULL);
    assert_int_equal(result.status, Q_DELIVERY_RETRY);
    assert_non_null(strstr(result.message, "TLS failure"));
    close_delivery(p);
    /* verifyTls false: the same listener is accepted and the chunk delivered. */
    p = open_delivery_with(NULL, tls_config(server.port, ",\"verifyTls\":false"), NULL);
    result = deliver_chunk(p, 10, 1, NULL, NULL);
    if (result.status != Q_DELIVERY_OK)
        fail_msg("%s", result.message);
    assert_int_equal(atomic_load(&server.requests), 1);
    close_delivery(p);

    MHD_stop_daemon(server.daemon);
    free(key);
    free(cert);
    th_remove_tree(dir);
}

/* ---- part two: the real omsgw against the fake ---- */

typedef struct scenario {
    th_omsgw process;
    fake *f;
} scenario;

static void start_omsgw(scenario *s, int oci_port, int timeout_seconds, int budget_seconds)
{
    char path[512];
    const char *source = getenv("OMSGW_SOURCE_DIR");
    snprintf(path, sizeof path, "%s/samples/omsgw.json", source ? source : ".");
    char *text = th_read_file(path, NULL);
    assert_non_null(text);
    json_object *config = json_tokener_parse(text);
    free(text);
    assert_non_null(config);
    char url[128], token_url[160];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", oci_port);
    snprintf(token_url, sizeof token_url, "%s/dwsso/oauth2/access_token", url);
    json_object *delivery = json_object_new_object(), *oauth = json_object_new_object();
    json_object_object_add(delivery, "mode", json_object_new_string("http"));
    json_object_object_add(delivery, "baseUrl", json_object_new_string(url));
    json_object_object_add(delivery, "timeoutSeconds", json_object_new_int(timeout_seconds));
    json_object_object_add(oauth, "tokenUrl", json_object_new_string(token_url));
    json_object_object_add(oauth, "clientId", json_object_new_string("demo-client"));
    json_object_object_add(oauth, "clientSecret", json_object_new_string("demo-secret"));
    json_object_object_add(delivery, "oauth", oauth);
    json_object_object_add(config, "delivery", delivery);
    json_object *queue = json_object_object_get(config, "queue");
    json_object_object_add(queue, "retryBudgetSeconds", json_object_new_int(budget_seconds));
    th_omsgw_prepare(&s->process, json_object_to_json_string(config));
    json_object_put(config);
    if (th_omsgw_launch(&s->process, NULL) != 0)
        fail_msg("omsgw did not start");
}

static json_object *run_job(scenario *s, size_t items, const char *prefix)
{
    char *body = e2e_refresh_body("Location 1", items, prefix, 1);
    int64_t job_id = e2e_refresh(s->process.gateway_port, "/api/v5/inventory/refresh", DEMO_V5_KEY, body);
    free(body);
    return e2e_wait_job(s->process.gateway_port, "/api/v1/queue/", DEMO_V5_KEY, job_id, 60000);
}

static const char *job_status(json_object *job)
{
    return json_object_get_string(json_object_object_get(job, "status"));
}

static int job_success(json_object *job)
{
    return json_object_get_boolean(json_object_object_get(job, "success"));
}

static const char *job_messages(json_object *job)
{
    return json_object_to_json_string(json_object_object_get(job, "messages"));
}

static void test_omsgw_outcomes(void **state)
{
    fake *f = *state;
    scenario s = {.f = f};
    start_omsgw(&s, f->port, 1, 3);

    /* 500 twice, then accepted: SUCCESS, each record sent three times with the same id and content. */
    fake_script(f, (reply_kind[]){REPLY_500, REPLY_500}, 2);
    json_object *job = run_job(&s, 20, "A");
    assert_string_equal(job_status(job), "SUCCESS");
    assert_true(job_success(job));
    assert_int_equal(f->batch_calls, 3);
    assert_int_equal(f->sent_count, 20);
    assert_int_equal(f->conflicts, 0);
    json_object_put(job);

    /* 429 with Retry-After: 1, then accepted: the retry waits at least a second. */
    f->retry_after_seconds = 1;
    fake_script(f, (reply_kind[]){REPLY_429}, 1);
    int before = f->batch_calls;
    job = run_job(&s, 20, "B");
    assert_string_equal(job_status(job), "SUCCESS");
    assert_int_equal(f->batch_calls, before + 2);
    assert_true(f->main_call_ms[before + 1] - f->main_call_ms[before] >= 1000);
    json_object_put(job);

    /* 401 once: a new token, the job succeeds without a retry of the chunk. */
    int tokens = f->tokens_issued;
    fake_script(f, (reply_kind[]){REPLY_401}, 1);
    job = run_job(&s, 20, "C");
    assert_string_equal(job_status(job), "SUCCESS");
    assert_int_equal(f->tokens_issued, tokens + 1);
    json_object_put(job);

    /* An import (150 items) whose result file lists failures: SUCCESS with success false, the
     * refused items named in messages. The e2e body's skus are FAIL-free, so use a body of our own. */
    {
        cm_body body;
        cm_body_init(&body, 1 << 20);
        cm_body_appendf(&body, "{\"locationName\":\"Location 1\",\"items\":[");
        for (int i = 0; i < 150; i++)
            cm_body_appendf(&body, "%s{\"sku\":\"%s%d\",\"quantity\":%d}", i ? "," : "", i % 50 == 7 ? FAIL_PREFIX : "D-",
                            i, i);
        cm_body_appendf(&body, "]}");
        int64_t job_id = e2e_refresh(s.process.gateway_port, "/api/v5/inventory/refresh", DEMO_V5_KEY, body.data);
        cm_body_free(&body);
        job = e2e_wait_job(s.process.gateway_port, "/api/v1/queue/", DEMO_V5_KEY, job_id, 60000);
        assert_string_equal(job_status(job), "SUCCESS");
        assert_false(job_success(job));
        const char *messages = job_messages(job);
        assert_non_null(strstr(messages, "FAIL-7"));
        assert_non_null(strstr(messages, "FAIL-57"));
        assert_non_null(strstr(messages, "FAIL-107"));
        assert_non_null(strstr(messages, TR_IMPORT_LINE_ERROR_CODE));
        json_object *progress = json_object_object_get(job, "progress");
        assert_int_equal(json_object_get_int64(json_object_object_get(progress, "itemsFailed")), 3);
        assert_int_equal(json_object_get_int64(json_object_object_get(progress, "itemsApplied")), 147);
        json_object_put(job);
    }

    /* 400: FAILED at once, the message naming the status and OCI's errorCode. */
    fake_script(f, (reply_kind[]){REPLY_400}, 1);
    job = run_job(&s, 5, "E");
    assert_string_equal(job_status(job), "FAILED");
    assert_non_null(strstr(job_messages(job), "400 InvalidRequestParameter"));
    json_object_put(job);

    /* A stall past the 1 s timeout, every time: FAILED once the 3 s budget is spent. */
    f->stall_ms = 1500;
    fake_script(f, (reply_kind[]){REPLY_STALL, REPLY_STALL, REPLY_STALL, REPLY_STALL, REPLY_STALL, REPLY_STALL, REPLY_STALL, REPLY_STALL}, 8);
    job = run_job(&s, 5, "F");
    assert_string_equal(job_status(job), "FAILED");
    assert_non_null(strstr(job_messages(job), "retry budget"));
    assert_non_null(strstr(job_messages(job), "no answer"));
    json_object_put(job);
    fake_script(f, NULL, 0);
    /* Nothing was ever sent under one id with two contents. */
    assert_int_equal(f->conflicts, 0);
    assert_int_equal(th_omsgw_stop(&s.process, SIGTERM, 10000), 0);
    th_omsgw_cleanup(&s.process);
}

static void test_omsgw_refused_connection(void **state)
{
    (void)state;
    scenario s = {0};
    start_omsgw(&s, th_free_port(), 1, 2);
    int64_t started = cm_mono_ms();
    json_object *job = run_job(&s, 5, "G");
    assert_string_equal(job_status(job), "FAILED");
    assert_non_null(strstr(job_messages(job), "retry budget of 2 s"));
    assert_non_null(strstr(job_messages(job), "OAuth token URL"));
    assert_true(cm_mono_ms() - started < 15000);
    json_object_put(job);
    assert_int_equal(th_omsgw_stop(&s.process, SIGTERM, 10000), 0);
    th_omsgw_cleanup(&s.process);
}

static int fake_setup(void **state)
{
    *state = fake_start();
    return 0;
}

static int fake_teardown(void **state)
{
    fake_stop(*state);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refused_connection),
        cmocka_unit_test_setup_teardown(test_stall_times_out, fake_setup, fake_teardown),
        cmocka_unit_test_setup_teardown(test_500_429_400, fake_setup, fake_teardown),
        cmocka_unit_test_setup_teardown(test_401_renews_token_once, fake_setup, fake_teardown),
        cmocka_unit_test_setup_teardown(test_partial_batch_and_import_failures, fake_setup, fake_teardown),
        cmocka_unit_test_setup_teardown(test_stop_during_import_poll, fake_setup, fake_teardown),
        cmocka_unit_test_setup_teardown(test_token_renewed_before_expiry, fake_setup, fake_teardown),
        cmocka_unit_test_setup_teardown(test_connection_reuse_and_correlation_ids, fake_setup, fake_teardown),
        cmocka_unit_test_setup_teardown(test_retry_after_forms, fake_setup, fake_teardown),
        cmocka_unit_test_setup_teardown(test_import_edges, fake_setup, fake_teardown),
        cmocka_unit_test(test_tls_verified_by_default),
        cmocka_unit_test_setup_teardown(test_omsgw_outcomes, fake_setup, fake_teardown),
        cmocka_unit_test(test_omsgw_refused_connection),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
