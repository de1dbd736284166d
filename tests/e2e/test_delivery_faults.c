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
#include "app/delivery_http.h"
#include "common/body.h"
#include "common/clock.h"
#include "common/config.h"
#include "common/http_server.h"
#include "common/json_util.h"
#include "tests/e2e/e2e_legacy.h"
#include "translate/item.h"
#include "translate/oci_reply.h"

#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* Checks the bearer token; replies 401 (returns -1) when it is not the current one. */
static int authorized(fake *f, cm_http_request *request)
{
    const char *header = cm_http_header(request, "Authorization");
    char expected[64];
    snprintf(expected, sizeof expected, "Bearer %s", f->token);
    if (f->token[0] && header && strcmp(header, expected) == 0)
        return 0;
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
        cm_http_add_header(request, "Retry-After", seconds);
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
    f->tokens_issued++;
    snprintf(f->token, sizeof f->token, "tok-%d", f->tokens_issued);
    char reply[160];
    snprintf(reply, sizeof reply, "{\"access_token\":\"%s\",\"token_type\":\"Bearer\",\"expires_in\":1799}", f->token);
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
    cm_body_appendf(&f->result_file, "{\"status\":\"%s\"}\n",
                    failed ? "COMPLETED_WITH_PARTIAL_FAILURES" : "COMPLETED_WITHOUT_ERRORS");
    if (lines.length)
        cm_body_append(&f->result_file, lines.data, lines.length);
    cm_body_free(&lines);
    cm_body_free(&file);
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
    const char *status = f->import_never_completes || f->import_status_polls++ < 2 ? "RUNNING" : "COMPLETED";
    char reply[512];
    snprintf(reply, sizeof reply,
             "{\"importId\":\"%s\",\"status\":\"%s\",\"validation\":{\"status\":\"Success\",\"errors\":[]},"
             "\"import\":{\"recordsProcessedCount\":0,\"fullResults\":{\"href\":\"/inventory/impex/v1/organizations/"
             ORG "/availability-records/imports/%s/file-content\"}}}",
             cm_http_param(request, "id"), status, cm_http_param(request, "id"));
    reply_text(request, 200, reply);
out:
    pthread_mutex_unlock(&f->lock);
}

static void route_result(cm_http_request *request, void *data)
{
    fake *f = data;
    pthread_mutex_lock(&f->lock);
    if (authorized(f, request) == 0) {
        f->result_calls++;
        cm_http_reply_bytes(request, 200, "application/x-ndjson", f->result_file.data ? f->result_file.data : "",
                            f->result_file.length);
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

static in_process *open_delivery(fake *f, int port, int timeout_seconds, int fixed_token)
{
    in_process *p = calloc(1, sizeof *p);
    assert_non_null(p);
    p->f = f;
    p->config = delivery_config(port, timeout_seconds, fixed_token);
    char error[APP_DELIVERY_ERROR_MAX];
    app_delivery_http_options options = {.poll_first_ms = 20, .poll_max_ms = 100};
    p->delivery = app_delivery_http_new(p->config, &options, error);
    assert_non_null(p->delivery);
    return p;
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
    assert_int_equal(app_delivery_http_token_fetches(p->delivery), 2);
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
        cmocka_unit_test_setup_teardown(test_omsgw_outcomes, fake_setup, fake_teardown),
        cmocka_unit_test(test_omsgw_refused_connection),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
