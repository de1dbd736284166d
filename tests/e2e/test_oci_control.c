/*
 * test_oci_control.c - the emulator's control plane (oci_core/control.h) driven with libcurl
 * against a real `omsgw oci-core` on a loopback port: authentication and the emulator header,
 * state reset / export / import (into a fresh core, identical get-availability and deltas before
 * and after, and the --import-state / --export-state-on-exit files), the clock (a delta token's
 * 410, a reservation's expiry, an upload link's 410), every fault effect, the request journal,
 * the realism switches, and location-graph changes that take time. The strict one-import rule is
 * checked in-process, where the worker can be held.
 */
#include "common/json_util.h"
#include "oci_core/control.h"
#include "oci_core/fault_rule.h"
#include "oci_core/oci_core_testing.h"
#include "tests/support/http_client.h"
#include "tests/support/oci_inproc.h"
#include "tests/support/omsgw_process.h"
#include "tests/support/test_support.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <signal.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CTL_TOKEN "ctl-test-token-1"
#define ORG "f_ecom_demo_001"
#define OTHER "f_ecom_native_001"
#define AVAIL "/inventory/availability/v1/organizations/" ORG
#define IMPEX "/inventory/impex/v1/organizations/" ORG
#define RES "/inventory/reservation/v1/organizations/" ORG
#define GET_AVAILABILITY AVAIL "/availability-records/actions/get-availability"
#define BATCH_UPDATE AVAIL "/availability-records/actions/batch-update"
#define GET_DELTAS AVAIL "/availability-records/actions/get-deltas"
#define DEMO_AUTH "Authorization: Bearer demo-oci-token"
#define NATIVE_AUTH "Authorization: Bearer native-oci-token"
#define CTL_AUTH "Authorization: Bearer " CTL_TOKEN
#define WAIT_TRIES 400 /* × 50 ms: a bound on every poll loop */

/* ---- one HTTP call with libcurl (a timeout, headers and the elapsed time) ---- */

typedef struct call_result {
    long status;   /* 0: no HTTP answer */
    int curl_code; /* CURLcode */
    char *body;
    size_t body_length;
    char *headers;
    double seconds;
} call_result;

typedef struct buffer {
    char *data;
    size_t length;
} buffer;

static size_t collect(char *data, size_t size, size_t count, void *context)
{
    buffer *b = context;
    size_t n = size * count;
    char *grown = realloc(b->data, b->length + n + 1);
    if (!grown)
        return 0;
    memcpy(grown + b->length, data, n);
    b->length += n;
    grown[b->length] = '\0';
    b->data = grown;
    return n;
}

static call_result http(int port, const char *method, const char *path, const char *const *headers, const char *body,
                        long timeout_ms)
{
    call_result result = {0};
    CURL *curl = curl_easy_init();
    assert_non_null(curl);
    char url[2048];
    th_url(url, sizeof url, port, path);
    buffer body_buffer = {0}, header_buffer = {0};
    struct curl_slist *list = NULL;
    for (size_t i = 0; headers && headers[i]; i++)
        list = curl_slist_append(list, headers[i]);
    list = curl_slist_append(list, "Expect:");
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body_buffer);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &header_buffer);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms > 0 ? timeout_ms : 30000L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_FORBID_REUSE, 1L);
    if (body) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    result.curl_code = (int)curl_easy_perform(curl);
    if (result.curl_code == CURLE_OK)
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &result.status);
    curl_easy_getinfo(curl, CURLINFO_TOTAL_TIME, &result.seconds);
    curl_slist_free_all(list);
    curl_easy_cleanup(curl);
    result.body = body_buffer.data ? body_buffer.data : strdup("");
    result.body_length = body_buffer.length;
    result.headers = header_buffer.data ? header_buffer.data : strdup("");
    return result;
}

static void result_free(call_result *result)
{
    free(result->body);
    free(result->headers);
    memset(result, 0, sizeof *result);
}

/* The value of a response header (case-insensitive name) into out; 0 or -1. */
static int header_value(const call_result *result, const char *name, char *out, size_t size)
{
    size_t name_length = strlen(name);
    for (const char *line = result->headers; line && *line;) {
        const char *end = strstr(line, "\r\n");
        size_t length = end ? (size_t)(end - line) : strlen(line);
        if (length > name_length && strncasecmp(line, name, name_length) == 0 && line[name_length] == ':') {
            const char *value = line + name_length + 1;
            while (*value == ' ')
                value++;
            snprintf(out, size, "%.*s", (int)(length - (size_t)(value - line)), value);
            return 0;
        }
        line = end ? end + 2 : NULL;
    }
    return -1;
}

static const char *const JSON_CTL[] = {CTL_AUTH, "Content-Type: application/json", NULL};
static const char *const JSON_DEMO[] = {DEMO_AUTH, "Content-Type: application/json", NULL};
static const char *const JSON_NATIVE[] = {NATIVE_AUTH, "Content-Type: application/json", NULL};

static json_object *parse(const call_result *result)
{
    return result->body_length ? json_tokener_parse(result->body) : NULL;
}

/* A call that must answer `want`; returns the parsed body (NULL when empty). */
static json_object *expect(int port, const char *const *headers, const char *method, const char *path,
                           const char *body, long want)
{
    call_result result = http(port, method, path, headers, body, 0);
    if (result.status != want)
        fail_msg("%s %s: %ld (curl %d), wanted %ld: %s", method, path, result.status, result.curl_code, want,
                 result.body);
    json_object *json = parse(&result);
    result_free(&result);
    return json;
}

static json_object *ctl(int port, const char *method, const char *path, const char *body, long want)
{
    return expect(port, JSON_CTL, method, path, body, want);
}

static json_object *oci(int port, const char *method, const char *path, const char *body, long want)
{
    return expect(port, JSON_DEMO, method, path, body, want);
}

static const char *string_of(json_object *json, const char *key)
{
    const char *value = NULL;
    if (cm_json_string(json, key, &value) != CM_JSON_OK)
        fail_msg("no string \"%s\" in %s", key, json_object_to_json_string(json));
    return value;
}

/* ---- starting cores ---- */

static void start_core(th_omsgw *process, const char *const *extra)
{
    th_omsgw_prepare(process, NULL);
    const char *args[32];
    size_t n = 0;
    args[n++] = "--set";
    args[n++] = "oci.control.token=" CTL_TOKEN;
    for (size_t i = 0; extra && extra[i] && n < 30; i++)
        args[n++] = extra[i];
    args[n] = NULL;
    if (th_oci_core_launch(process, args) != 0)
        fail_msg("omsgw oci-core did not start");
}

static void stop_core(th_omsgw *process)
{
    assert_int_equal(th_omsgw_stop(process, SIGTERM, 10000), 0);
    th_omsgw_cleanup(process);
}

/* ---- OCI helpers ---- */

static void load_records(int port, const char *records)
{
    char body[4096];
    snprintf(body, sizeof body, "{\"records\":[%s]}", records);
    json_object_put(oci(port, "POST", BATCH_UPDATE, body, 204));
}

static json_object *wait_finished(int port, const char *path)
{
    for (int i = 0; i < WAIT_TRIES; i++) {
        json_object *json = oci(port, "GET", path, NULL, 200);
        const char *state = string_of(json, "status");
        if (strcmp(state, "PENDING") && strcmp(state, "RUNNING") && strcmp(state, "WAITING"))
            return json;
        json_object_put(json);
        usleep(50000);
    }
    fail_msg("%s did not finish", path);
    return NULL;
}

/* An availability export of `locations` (a JSON array text); returns the delta token of its last line. */
static char *delta_token(int port, const char *locations)
{
    char body[512];
    snprintf(body, sizeof body, "{\"objects\":{\"locations\":%s}}", locations);
    json_object *json = oci(port, "POST", IMPEX "/availability-records/exports", body, 200);
    char path[512];
    snprintf(path, sizeof path, "%s", string_of(json, "exportStatusLink"));
    json_object_put(json);
    json = wait_finished(port, path);
    assert_string_equal(string_of(json, "status"), "COMPLETED");
    json_object *download = NULL;
    assert_int_equal(cm_json_object(json, "download", &download), CM_JSON_OK);
    call_result file = http(port, "GET", string_of(download, "downloadLink"), JSON_DEMO, NULL, 0);
    json_object_put(json);
    assert_int_equal(file.status, 200);
    while (file.body_length && file.body[file.body_length - 1] == '\n')
        file.body[--file.body_length] = '\0';
    char *line = strrchr(file.body, '\n');
    json_object *last = json_tokener_parse(line ? line + 1 : file.body);
    char *token = strdup(string_of(last, "deltaToken"));
    json_object_put(last);
    result_free(&file);
    return token;
}

/* get-deltas without its nextDeltaToken (a new random id each time), as text. */
static char *deltas_text(int port, const char *token)
{
    char body[256];
    snprintf(body, sizeof body, "{\"deltaToken\":\"%s\"}", token);
    json_object *json = oci(port, "POST", GET_DELTAS, body, 200);
    json_object_object_del(json, "nextDeltaToken");
    char *text = strdup(json_object_to_json_string_ext(json, JSON_C_TO_STRING_PLAIN));
    json_object_put(json);
    return text;
}

#define AVAILABILITY_QUERY                                                                                             \
    "{\"skus\":[\"sku-a\",\"sku-b\",\"sku-c\"],\"locations\":[\"warehouse-1\",\"warehouse-2\",\"store-mall\"],"       \
    "\"groups\":[\"online\",\"stores\"]}"

static char *availability_text(int port, const char *query)
{
    call_result result = http(port, "POST", GET_AVAILABILITY, JSON_DEMO, query, 0);
    if (result.status != 200)
        fail_msg("get-availability: %ld %s", result.status, result.body);
    char *text = strdup(result.body);
    result_free(&result);
    return text;
}

/* One figure of a location record in a get-availability reply. */
static double location_figure(int port, const char *location, const char *sku, const char *key)
{
    char query[256];
    snprintf(query, sizeof query, "{\"skus\":[\"%s\"],\"locations\":[\"%s\"]}", sku, location);
    json_object *json = oci(port, "POST", GET_AVAILABILITY, query, 200);
    json_object *locations = NULL, *records = NULL, *value = NULL;
    assert_int_equal(cm_json_array(json, "locations", &locations), CM_JSON_OK);
    assert_int_equal(cm_json_array(json_object_array_get_idx(locations, 0), "records", &records), CM_JSON_OK);
    assert_true(json_object_object_get_ex(json_object_array_get_idx(records, 0), key, &value));
    double figure = json_object_get_double(value);
    json_object_put(json);
    return figure;
}

static double group_figure(int port, const char *group, const char *sku, const char *key)
{
    char query[256];
    snprintf(query, sizeof query, "{\"skus\":[\"%s\"],\"groups\":[\"%s\"]}", sku, group);
    json_object *json = oci(port, "POST", GET_AVAILABILITY, query, 200);
    json_object *groups = NULL, *records = NULL, *value = NULL;
    assert_int_equal(cm_json_array(json, "groups", &groups), CM_JSON_OK);
    assert_int_equal(cm_json_array(json_object_array_get_idx(groups, 0), "records", &records), CM_JSON_OK);
    assert_true(json_object_object_get_ex(json_object_array_get_idx(records, 0), key, &value));
    double figure = json_object_get_double(value);
    json_object_put(json);
    return figure;
}

static void advance(int port, const char *seconds)
{
    char body[64];
    snprintf(body, sizeof body, "{\"seconds\":%s}", seconds);
    json_object_put(ctl(port, "POST", "/_omsgw/clock/advance", body, 200));
}

/* Submits an import and uploads `lines`; returns its status path (caller frees) and the id in `id`. */
static char *start_import(int port, const char *lines, char id[128])
{
    json_object *json = oci(port, "POST", IMPEX "/availability-records/imports", "{\"fileName\":\"t.json\"}", 200);
    snprintf(id, 128, "%s", string_of(json, "importId"));
    char upload[512];
    snprintf(upload, sizeof upload, "%s", string_of(json, "uploadLink"));
    json_object_put(json);
    const char *headers[] = {DEMO_AUTH, "Content-Type: application/x-ndjson", NULL};
    json_object_put(expect(port, headers, "POST", upload, lines, 200));
    char *path = malloc(512);
    snprintf(path, 512, IMPEX "/availability-records/imports/%s/status", id);
    return path;
}

/* Sends only the head of a request declaring `length` body bytes on a loopback socket and returns
 * the status line's code (0 when none came back within the socket timeout). */
static int declared_body_status(int port, const char *path, unsigned long long length)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval timeout = {.tv_sec = 10};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    assert_int_equal(connect(fd, (struct sockaddr *)&address, sizeof address), 0);
    char head[512];
    int n = snprintf(head, sizeof head,
                     "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\n" CTL_AUTH "\r\nContent-Type: application/json\r\n"
                     "Content-Length: %llu\r\n\r\n",
                     path, length);
    assert_int_equal(write(fd, head, (size_t)n), n);
    char reply[256] = "";
    ssize_t got = read(fd, reply, sizeof reply - 1);
    close(fd);
    int status = 0;
    if (got > 0)
        sscanf(reply, "HTTP/1.1 %d", &status);
    return status;
}

/* ---- authentication, health, the emulator header, the start-up line ---- */

static void test_auth_health_and_header(void **state)
{
    (void)state;
    th_omsgw core;
    start_core(&core, NULL);
    call_result result = http(core.oci_port, "GET", "/_omsgw/health", NULL, NULL, 0);
    assert_int_equal(result.status, 401);
    assert_non_null(strstr(result.body, "\"error\":\"MissingControlToken\""));
    char value[128];
    assert_int_equal(header_value(&result, "x-omsgw-emulator", value, sizeof value), 0);
    assert_string_equal(value, OMSGW_VERSION);
    result_free(&result);
    const char *wrong[] = {"Authorization: Bearer demo-oci-token", NULL};
    result = http(core.oci_port, "GET", "/_omsgw/health", wrong, NULL, 0);
    assert_int_equal(result.status, 401);
    assert_non_null(strstr(result.body, "InvalidControlToken"));
    result_free(&result);
    /* Every reply of the port carries the header: OCI routes, the server's own 404, /healthz. */
    const char *paths[][2] = {{"GET", "/healthz"}, {"GET", "/inventory/nowhere"}, {"POST", GET_AVAILABILITY}};
    for (size_t i = 0; i < 3; i++) {
        result = http(core.oci_port, paths[i][0], paths[i][1], JSON_DEMO, i == 2 ? "{\"skus\":[\"sku-a\"]}" : NULL, 0);
        assert_true(result.status > 0);
        assert_int_equal(header_value(&result, "x-omsgw-emulator", value, sizeof value), 0);
        assert_string_equal(value, OMSGW_VERSION);
        result_free(&result);
    }
    json_object *health = ctl(core.oci_port, "GET", "/_omsgw/nothing", NULL, 404);
    assert_string_equal(string_of(health, "error"), "NoSuchControlRoute");
    json_object_put(health);
    health = ctl(core.oci_port, "PATCH", "/_omsgw/faults", NULL, 405);
    assert_string_equal(string_of(health, "error"), "MethodNotAllowed");
    json_object_put(health);
    health = ctl(core.oci_port, "GET", "/_omsgw/health", NULL, 200);
    assert_true(json_object_get_boolean(json_object_object_get(health, "emulator")));
    assert_string_equal(string_of(health, "version"), OMSGW_VERSION);
    json_object *deviations = NULL, *orgs = NULL;
    assert_int_equal(cm_json_array(health, "deviations", &deviations), CM_JSON_OK);
    assert_true(json_object_array_length(deviations) >= 5);
    assert_int_equal(cm_json_array(health, "organizations", &orgs), CM_JSON_OK);
    assert_int_equal(json_object_array_length(orgs), 2);
    assert_string_equal(string_of(json_object_array_get_idx(orgs, 0), "id"), ORG);
    json_object_put(health);
    /* The start-up line says what this is and where the deviations are listed. */
    char *log = th_read_file(core.log_path, NULL);
    assert_non_null(log);
    assert_non_null(strstr(log, "not Salesforce Omnichannel Inventory"));
    assert_non_null(strstr(log, "GET /_omsgw/health"));
    free(log);
    stop_core(&core);

    /* Turned off, the control plane is not there. */
    const char *off[] = {"--set", "oci.control.enabled=false", NULL};
    start_core(&core, off);
    result = http(core.oci_port, "GET", "/_omsgw/health", JSON_CTL, NULL, 0);
    assert_int_equal(result.status, 404);
    assert_non_null(strstr(result.body, "ControlPlaneDisabled"));
    result_free(&result);
    stop_core(&core);

    /* No token configured: a random one, in <data dir>/control-token (mode 0600), never in the log. */
    char sample_path[512];
    const char *source = getenv("OMSGW_SOURCE_DIR");
    snprintf(sample_path, sizeof sample_path, "%s/samples/omsgw.json", source ? source : ".");
    char *sample = th_read_file(sample_path, NULL);
    assert_non_null(sample);
    json_object *config = json_tokener_parse(sample);
    free(sample);
    assert_non_null(config);
    json_object_object_del(json_object_object_get(config, "oci"), "control");
    th_omsgw_prepare(&core, json_object_to_json_string(config));
    json_object_put(config);
    assert_int_equal(th_oci_core_launch(&core, NULL), 0);
    char token_path[400];
    snprintf(token_path, sizeof token_path, "%s/control-token", core.data_dir);
    char *token = th_read_file(token_path, NULL);
    assert_non_null(token);
    struct stat info;
    assert_int_equal(stat(token_path, &info), 0);
    assert_int_equal(info.st_mode & 0777, 0600);
    char authorization[400];
    snprintf(authorization, sizeof authorization, "Authorization: Bearer %s", token);
    const char *generated[] = {authorization, NULL};
    json_object_put(expect(core.oci_port, generated, "GET", "/_omsgw/health", NULL, 200));
    log = th_read_file(core.log_path, NULL);
    assert_non_null(log);
    assert_null(strstr(log, token));
    assert_non_null(strstr(log, token_path));
    free(log);
    free(token);
    stop_core(&core);
}

/* ---- state: reset, export, import, files ---- */

static void test_state_export_import_reset(void **state)
{
    (void)state;
    th_omsgw a, b;
    start_core(&a, NULL);
    load_records(a.oci_port, "{\"id\":\"r1\",\"location\":\"warehouse-1\",\"sku\":\"sku-a\",\"onHand\":10},"
                             "{\"id\":\"r2\",\"location\":\"warehouse-2\",\"sku\":\"sku-a\",\"onHand\":4.5},"
                             "{\"id\":\"r3\",\"location\":\"store-mall\",\"sku\":\"sku-b\",\"onHand\":7,"
                             "\"safetyStockCount\":1}");
    json_object_put(oci(a.oci_port, "PUT", RES "/reservation-documents/res-1",
                        "{\"expirationSeconds\":3600,\"locations\":[{\"id\":\"warehouse-1\",\"reservations\":"
                        "[{\"sku\":\"sku-a\",\"quantity\":2}]}]}",
                        200));
    char *token = delta_token(a.oci_port, "[\"warehouse-1\",\"warehouse-2\",\"store-mall\"]");
    load_records(a.oci_port, "{\"id\":\"r4\",\"location\":\"warehouse-2\",\"sku\":\"sku-c\",\"onHand\":3},"
                             "{\"id\":\"r5\",\"location\":\"warehouse-1\",\"sku\":\"sku-a\",\"onHand\":12}");
    json_object *snapshot = ctl(a.oci_port, "GET", "/_omsgw/state/export?organization=" ORG, NULL, 200);
    assert_string_equal(string_of(snapshot, "format"), "omsgw-oci-state");
    assert_int_equal(json_object_get_int(json_object_object_get(snapshot, "version")), 1);
    char *snapshot_text = strdup(json_object_to_json_string_ext(snapshot, JSON_C_TO_STRING_PLAIN));
    char *availability_a = availability_text(a.oci_port, AVAILABILITY_QUERY);
    char *deltas_a = deltas_text(a.oci_port, token);
    assert_non_null(strstr(deltas_a, "sku-c"));

    /* Into a fresh core whose other organization already has events (their numbers overlap the
     * snapshot's): the same answers. */
    start_core(&b, NULL);
    {
        const char *native = "{\"records\":[{\"id\":\"n1\",\"location\":\"warehouse-1\",\"sku\":\"sku-a\",\"onHand\":1},"
                             "{\"id\":\"n2\",\"location\":\"warehouse-2\",\"sku\":\"sku-a\",\"onHand\":1}]}";
        json_object_put(expect(b.oci_port, JSON_NATIVE, "POST",
                               "/inventory/availability/v1/organizations/" OTHER "/availability-records/actions/batch-update",
                               native, 204));
    }
    json_object *reply = ctl(b.oci_port, "POST", "/_omsgw/state/import", snapshot_text, 200);
    assert_non_null(strstr(json_object_to_json_string(reply), ORG));
    json_object_put(reply);
    char *availability_b = availability_text(b.oci_port, AVAILABILITY_QUERY);
    assert_string_equal(availability_a, availability_b);
    char *deltas_b = deltas_text(b.oci_port, token);
    assert_string_equal(deltas_a, deltas_b);

    assert_true(location_figure(b.oci_port, "warehouse-1", "sku-a", "reserved") == 2);
    free(availability_b);
    free(deltas_b);

    /* Refusals, each naming what is wrong. */
    json_object_object_add(snapshot, "version", json_object_new_int(99));
    reply = ctl(b.oci_port, "POST", "/_omsgw/state/import", json_object_to_json_string(snapshot), 422);
    assert_string_equal(string_of(reply, "error"), "UnsupportedStateVersion");
    assert_non_null(strstr(string_of(reply, "message"), "version 99"));
    assert_non_null(strstr(string_of(reply, "message"), "up to 1"));
    json_object_put(reply);
    json_object_object_add(snapshot, "version", json_object_new_int(1));
    reply = ctl(b.oci_port, "POST", "/_omsgw/state/import", "{}", 400);
    assert_non_null(strstr(string_of(reply, "message"), "format"));
    json_object_put(reply);
    reply = ctl(b.oci_port, "POST", "/_omsgw/state/import", "{\"format\":", 400);
    json_object_put(reply);
    json_object *orgs = json_object_object_get(snapshot, "organizations");
    json_object *tables = json_object_object_get(json_object_array_get_idx(orgs, 0), "tables");
    json_object *record = json_object_array_get_idx(json_object_object_get(tables, "records"), 0);
    json_object_object_add(record, "bogus", json_object_new_int(1));
    reply = ctl(b.oci_port, "POST", "/_omsgw/state/import", json_object_to_json_string(snapshot), 400);
    assert_non_null(strstr(string_of(reply, "message"), "tables.records[0]"));
    assert_non_null(strstr(string_of(reply, "message"), "bogus"));
    json_object_put(reply);
    json_object_object_del(record, "bogus");
    json_object_object_add(json_object_array_get_idx(orgs, 0), "id", json_object_new_string("f_nobody"));
    reply = ctl(b.oci_port, "POST", "/_omsgw/state/import", json_object_to_json_string(snapshot), 404);
    assert_non_null(strstr(string_of(reply, "message"), "f_nobody"));
    json_object_put(reply);
    /* A refused import changed nothing, the export files the imported state names included. */
    char *availability_after = availability_text(b.oci_port, AVAILABILITY_QUERY);
    assert_string_equal(availability_a, availability_after);
    free(availability_after);
    {
        json_object *exports = json_object_object_get(tables, "exports");
        assert_int_equal(json_object_array_length(exports), 1);
        char file_path[512];
        snprintf(file_path, sizeof file_path, IMPEX "/availability-records/exports/%s/file-content",
                 string_of(json_object_array_get_idx(exports, 0), "id"));
        call_result file = http(b.oci_port, "GET", file_path, JSON_DEMO, NULL, 0);
        assert_int_equal(file.status, 200);
        assert_non_null(strstr(file.body, token));
        result_free(&file);
    }
    json_object_put(snapshot);

    /* Body limits, answered before any byte of the body is read: a snapshot above 64 MiB, a reset
     * or clock body above 4 KiB. */
    assert_int_equal(declared_body_status(b.oci_port, "/_omsgw/state/import", OCI_STATE_BODY_MAX + 1ULL), 413);
    assert_int_equal(declared_body_status(b.oci_port, "/_omsgw/state/reset", 4097), 413);
    assert_int_equal(declared_body_status(b.oci_port, "/_omsgw/clock/advance", 4097), 413);

    /* Reset: one organization, then all; bad bodies refused. */
    json_object_put(ctl(a.oci_port, "POST", "/_omsgw/state/reset", "{\"organization\":\"f_nobody\"}", 404));
    json_object_put(ctl(a.oci_port, "POST", "/_omsgw/state/reset", "{\"org\":\"x\"}", 400));
    json_object_put(ctl(a.oci_port, "POST", "/_omsgw/state/reset", "[1]", 400));
    reply = ctl(a.oci_port, "POST", "/_omsgw/state/reset", "{\"organization\":\"" ORG "\"}", 200);
    assert_string_equal(json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN), "{\"reset\":[\"" ORG "\"]}");
    json_object_put(reply);
    assert_true(location_figure(a.oci_port, "warehouse-1", "sku-a", "onHand") == 0);
    assert_true(location_figure(a.oci_port, "warehouse-1", "sku-a", "reserved") == 0);
    char body[256];
    snprintf(body, sizeof body, "{\"deltaToken\":\"%s\"}", token);
    call_result result = http(a.oci_port, "POST", GET_DELTAS, JSON_DEMO, body, 0);
    assert_int_not_equal(result.status, 200); /* the token went with the state */
    result_free(&result);
    json_object *health = ctl(a.oci_port, "GET", "/_omsgw/health", NULL, 200);
    assert_non_null(strstr(json_object_to_json_string_ext(health, JSON_C_TO_STRING_PLAIN),
                           "\"counts\":{\"records\":0,\"events\":0"));
    json_object_put(health);
    json_object_put(ctl(a.oci_port, "POST", "/_omsgw/state/reset", "", 200));
    stop_core(&a);

    /* The files: --export-state-on-exit at a clean stop, --import-state at the next start. */
    char file[400];
    /* On the imported core, a later change is a delta of the imported token too. */
    load_records(b.oci_port, "{\"id\":\"r6\",\"location\":\"store-mall\",\"sku\":\"sku-b\",\"onHand\":1}");
    char *deltas_later = deltas_text(b.oci_port, token);
    assert_non_null(strstr(deltas_later, "\"id\":\"store-mall\",\"onHand\":1,"));
    free(deltas_later);
    snprintf(file, sizeof file, "%s/state.json", b.dir);
    stop_core(&b);
    th_omsgw c;
    th_omsgw_prepare(&c, NULL);
    snprintf(file, sizeof file, "%s/state.json", c.dir);
    const char *export_args[] = {"--set", "oci.control.token=" CTL_TOKEN, "--export-state-on-exit", file, NULL};
    assert_int_equal(th_oci_core_launch(&c, export_args), 0);
    json_object_put(ctl(c.oci_port, "POST", "/_omsgw/state/import", snapshot_text, 200));
    assert_int_equal(th_omsgw_stop(&c, SIGTERM, 10000), 0);
    assert_int_equal(access(file, R_OK), 0);
    th_omsgw d;
    th_omsgw_prepare(&d, NULL);
    const char *import_args[] = {"--set", "oci.control.token=" CTL_TOKEN, "--import-state", file, NULL};
    assert_int_equal(th_oci_core_launch(&d, import_args), 0);
    char *availability_d = availability_text(d.oci_port, AVAILABILITY_QUERY);
    assert_string_equal(availability_a, availability_d);
    free(availability_d);
    stop_core(&d);
    /* A snapshot file of a newer version stops the start with a clear line. */
    char *text = th_read_file(file, NULL);
    assert_non_null(text);
    char *version = strstr(text, "\"version\":1");
    assert_non_null(version);
    version[10] = '7';
    th_write_file(file, text, strlen(text));
    free(text);
    th_omsgw e;
    th_omsgw_prepare(&e, NULL);
    const char *newer_args[] = {"--import-state", file, NULL};
    assert_int_equal(th_oci_core_launch(&e, newer_args), -1);
    char *log = th_read_file(e.log_path, NULL);
    assert_non_null(log);
    assert_non_null(strstr(log, "--import-state"));
    assert_non_null(strstr(log, "version 7"));
    free(log);
    th_omsgw_cleanup(&e);
    th_omsgw_cleanup(&c);
    free(availability_a);
    free(deltas_a);
    free(snapshot_text);
    free(token);
}

/* ---- the clock ---- */

static void test_clock_expires_tokens_links_reservations(void **state)
{
    (void)state;
    th_omsgw core;
    start_core(&core, NULL);
    int port = core.oci_port;
    load_records(port, "{\"id\":\"c1\",\"location\":\"warehouse-2\",\"sku\":\"sku-c\",\"onHand\":5}");
    char *token = delta_token(port, "[\"warehouse-2\"]");
    json_object_put(oci(port, "PUT", RES "/reservation-documents/res-clock",
                        "{\"expirationSeconds\":600,\"locations\":[{\"id\":\"warehouse-2\",\"reservations\":"
                        "[{\"sku\":\"sku-c\",\"quantity\":2}]}]}",
                        200));
    assert_true(location_figure(port, "warehouse-2", "sku-c", "reserved") == 2);
    json_object *json = oci(port, "POST", IMPEX "/availability-records/imports",
                            "{\"fileName\":\"late.json\",\"linkDuration\":1}", 200);
    char upload[512];
    snprintf(upload, sizeof upload, "%s", string_of(json, "uploadLink"));
    json_object_put(json);

    json = ctl(port, "POST", "/_omsgw/clock/advance", "{\"seconds\":601}", 200);
    assert_int_equal(json_object_get_int64(json_object_object_get(json, "offsetMs")), 601000);
    json_object_put(json);
    /* The reservation expired at once, the upload link too. */
    assert_true(location_figure(port, "warehouse-2", "sku-c", "reserved") == 0);
    const char *ndjson[] = {DEMO_AUTH, "Content-Type: application/x-ndjson", NULL};
    json = expect(port, ndjson, "POST", upload, "{\"recordId\":\"u1\",\"sku\":\"sku-c\",\"locationId\":\"warehouse-2\",\"onHand\":1}\n", 410);
    assert_string_equal(string_of(json, "errorCode"), "ExpiredUploadLink");
    json_object_put(json);
    /* A day later the delta token is gone: 410. */
    advance(port, "86400");
    char body[256];
    snprintf(body, sizeof body, "{\"deltaToken\":\"%s\"}", token);
    json = oci(port, "POST", GET_DELTAS, body, 410);
    assert_string_equal(string_of(json, "errorCode"), "ExpiredDeltaLink");
    json_object_put(json);
    json = ctl(port, "GET", "/_omsgw/health", NULL, 200);
    assert_int_equal(json_object_get_int64(json_object_object_get(json_object_object_get(json, "clock"), "offsetMs")),
                     87001000);
    json_object_put(json);
    /* Only forward, within a year, a number. */
    json_object_put(ctl(port, "POST", "/_omsgw/clock/advance", "{\"seconds\":-5}", 400));
    json_object_put(ctl(port, "POST", "/_omsgw/clock/advance", "{\"seconds\":\"5\"}", 400));
    json_object_put(ctl(port, "POST", "/_omsgw/clock/advance", "{\"seconds\":99999999}", 400));
    json_object_put(ctl(port, "POST", "/_omsgw/clock/advance", "{}", 400));
    json_object_put(ctl(port, "POST", "/_omsgw/clock/advance", "{\"seconds\":1,\"x\":1}", 400));
    free(token);
    stop_core(&core);
}

/* ---- faults ---- */

static char *add_fault(int port, const char *rule)
{
    json_object *json = ctl(port, "POST", "/_omsgw/faults", rule, 201);
    char *id = strdup(string_of(json, "id"));
    json_object_put(json);
    return id;
}

static void expect_fault_refused(int port, const char *rule, const char *field)
{
    json_object *json = ctl(port, "POST", "/_omsgw/faults", rule, 400);
    assert_string_equal(string_of(json, "error"), "InvalidFaultRule");
    if (field)
        assert_string_equal(string_of(json, "field"), field);
    json_object_put(json);
}

#define QUERY_A "{\"skus\":[\"sku-a\"],\"locations\":[\"warehouse-1\"]}"

static void test_fault_effects(void **state)
{
    (void)state;
    th_omsgw core;
    start_core(&core, NULL);
    int port = core.oci_port;
    expect_fault_refused(port, "{}", "route");
    expect_fault_refused(port, "{\"route\":\"/x\"}", NULL);
    expect_fault_refused(port, "{\"route\":\"/x\",\"status\":503,\"drop\":true}", "drop");
    expect_fault_refused(port, "{\"route\":\"/x\",\"status\":500,\"count\":1,\"probability\":0.5}", "probability");
    expect_fault_refused(port, "{\"route\":\"/x\",\"status\":200}", "status");
    expect_fault_refused(port, "{\"route\":\"/x\",\"status\":503,\"what\":1}", "what");
    expect_fault_refused(port, "{\"route\":\"/x\",\"retryAfter\":3}", "retryAfter");
    expect_fault_refused(port, "{\"route\":\"/x\",\"method\":\"BREW\",\"status\":500}", "method");
    expect_fault_refused(port, "{\"route\":\"/x\",\"latencyMs\":9999999}", "latencyMs");
    expect_fault_refused(port, "not json", NULL);
    /* Limits: the rule body (8 KiB: 413 before it is read) and 256 active rules (409). */
    {
        char *big = malloc(OCI_FAULT_BODY_MAX + 100);
        assert_non_null(big);
        memset(big, ' ', OCI_FAULT_BODY_MAX + 99);
        big[OCI_FAULT_BODY_MAX + 99] = '\0';
        json_object_put(ctl(port, "POST", "/_omsgw/faults", big, 413));
        free(big);
        for (int i = 0; i < 256; i++)
            free(add_fault(port, "{\"route\":\"/nowhere\",\"status\":500}"));
        json_object *json = ctl(port, "POST", "/_omsgw/faults", "{\"route\":\"/nowhere\",\"status\":500}", 409);
        assert_string_equal(string_of(json, "error"), "TooManyFaultRules");
        json_object_put(json);
        json_object_put(ctl(port, "DELETE", "/_omsgw/faults", NULL, 204));
    }

    /* A status with OCI's body and Retry-After; count 2 fires twice, then retires. */
    char *id = add_fault(port, "{\"route\":\"*/get-availability\",\"method\":\"POST\",\"status\":503,\"retryAfter\":7,"
                               "\"count\":2}");
    for (int i = 0; i < 2; i++) {
        call_result result = http(port, "POST", GET_AVAILABILITY, JSON_DEMO, QUERY_A, 0);
        assert_int_equal(result.status, 503);
        char value[64];
        assert_int_equal(header_value(&result, "Retry-After", value, sizeof value), 0);
        assert_string_equal(value, "7");
        assert_int_equal(header_value(&result, "Content-Type", value, sizeof value), 0);
        assert_string_equal(value, "application/problem+json");
        assert_non_null(strstr(result.body, "\"errorCode\":\"Unknown\""));
        assert_non_null(strstr(result.body, id));
        result_free(&result);
    }
    json_object_put(oci(port, "POST", GET_AVAILABILITY, QUERY_A, 200));
    json_object *list = ctl(port, "GET", "/_omsgw/faults", NULL, 200);
    assert_string_equal(json_object_to_json_string_ext(list, JSON_C_TO_STRING_PLAIN), "{\"faults\":[]}");
    json_object_put(list);
    free(id);

    /* 429 with Retry-After, the gateway-shaped body OCI sends. */
    id = add_fault(port, "{\"route\":\"/inventory/*\",\"status\":429,\"retryAfter\":3,\"count\":1}");
    call_result result = http(port, "POST", GET_AVAILABILITY, JSON_DEMO, QUERY_A, 0);
    assert_int_equal(result.status, 429);
    char value[64];
    assert_int_equal(header_value(&result, "Retry-After", value, sizeof value), 0);
    assert_string_equal(value, "3");
    assert_non_null(strstr(result.body, "Too Many Requests"));
    result_free(&result);
    free(id);

    /* Organization and method filters; delete by id. */
    id = add_fault(port, "{\"route\":\"*\",\"organization\":\"" OTHER "\",\"status\":500}");
    json_object_put(oci(port, "POST", GET_AVAILABILITY, QUERY_A, 200));
    json_object_put(expect(port, JSON_NATIVE, "POST",
                           "/inventory/availability/v1/organizations/" OTHER
                           "/availability-records/actions/get-availability",
                           QUERY_A, 500));
    list = ctl(port, "GET", "/_omsgw/faults", NULL, 200);
    assert_non_null(strstr(json_object_to_json_string_ext(list, JSON_C_TO_STRING_PLAIN), "\"fired\":1"));
    json_object_put(list);
    char path[512];
    snprintf(path, sizeof path, "/_omsgw/faults/%s", id);
    json_object_put(ctl(port, "DELETE", path, NULL, 204));
    json_object *json = ctl(port, "DELETE", path, NULL, 404);
    assert_string_equal(string_of(json, "error"), "FaultNotFound");
    json_object_put(json);
    free(id);
    id = add_fault(port, "{\"route\":\"*/get-availability\",\"method\":\"GET\",\"status\":500}");
    json_object_put(oci(port, "POST", GET_AVAILABILITY, QUERY_A, 200));
    free(id);
    json_object_put(ctl(port, "DELETE", "/_omsgw/faults", NULL, 204));

    /* Latency: the answer comes, later. */
    free(add_fault(port, "{\"route\":\"*/get-availability\",\"latencyMs\":400,\"count\":1}"));
    result = http(port, "POST", GET_AVAILABILITY, JSON_DEMO, QUERY_A, 0);
    assert_int_equal(result.status, 200);
    assert_true(result.seconds >= 0.39);
    result_free(&result);

    /* Drop: the connection closes with no answer. */
    free(add_fault(port, "{\"route\":\"*/get-availability\",\"drop\":true,\"count\":1}"));
    result = http(port, "POST", GET_AVAILABILITY, JSON_DEMO, QUERY_A, 0);
    assert_int_equal(result.status, 0);
    assert_true(result.curl_code == CURLE_GOT_NOTHING || result.curl_code == CURLE_RECV_ERROR);
    result_free(&result);

    /* Stall: no answer before the client's timeout. */
    free(add_fault(port, "{\"route\":\"*/get-availability\",\"stallMs\":2500,\"count\":1}"));
    result = http(port, "POST", GET_AVAILABILITY, JSON_DEMO, QUERY_A, 500);
    assert_int_equal(result.status, 0);
    assert_int_equal(result.curl_code, CURLE_OPERATION_TIMEDOUT);
    result_free(&result);
    json_object_put(oci(port, "POST", GET_AVAILABILITY, QUERY_A, 200));

    /* Probability: about half of 100 (bounds that fail once in more than 10^9 runs). */
    id = add_fault(port, "{\"route\":\"*/get-availability\",\"status\":503,\"probability\":0.5}");
    int failed = 0;
    for (int i = 0; i < 100; i++) {
        result = http(port, "POST", GET_AVAILABILITY, JSON_DEMO, QUERY_A, 0);
        assert_true(result.status == 200 || result.status == 503);
        failed += result.status == 503;
        result_free(&result);
    }
    assert_true(failed >= 15 && failed <= 85);
    list = ctl(port, "GET", "/_omsgw/faults", NULL, 200);
    char fired[32];
    snprintf(fired, sizeof fired, "\"fired\":%d", failed);
    assert_non_null(strstr(json_object_to_json_string_ext(list, JSON_C_TO_STRING_PLAIN), fired));
    json_object_put(list);
    snprintf(path, sizeof path, "/_omsgw/faults/%s", id);
    json_object_put(ctl(port, "DELETE", path, NULL, 204));
    free(id);

    /* failImportLines: matching lines fail in the result file, count of them. */
    free(add_fault(port, "{\"route\":\"*\",\"failImportLines\":\"BAD-*\",\"count\":2}"));
    char import_id[128];
    char *status_path = start_import(port,
                                     "{\"recordId\":\"i1\",\"sku\":\"BAD-1\",\"locationId\":\"warehouse-1\",\"onHand\":1}\n"
                                     "{\"recordId\":\"i2\",\"sku\":\"OK-1\",\"locationId\":\"warehouse-1\",\"onHand\":2}\n"
                                     "{\"recordId\":\"i3\",\"sku\":\"BAD-2\",\"locationId\":\"warehouse-1\",\"onHand\":3}\n"
                                     "{\"recordId\":\"i4\",\"sku\":\"BAD-3\",\"locationId\":\"warehouse-1\",\"onHand\":4}\n",
                                     import_id);
    json = wait_finished(port, status_path);
    assert_string_equal(string_of(json, "status"), "COMPLETED");
    json_object *import = json_object_object_get(json, "import");
    assert_int_equal(json_object_get_int64(json_object_object_get(import, "recordsProcessedCount")), 2);
    json_object_put(json);
    snprintf(path, sizeof path, IMPEX "/availability-records/imports/%s/file-content", import_id);
    result = http(port, "GET", path, JSON_DEMO, NULL, 0);
    assert_int_equal(result.status, 200);
    assert_non_null(strstr(result.body, "COMPLETED_WITH_PARTIAL_FAILURES"));
    assert_non_null(strstr(result.body, "\"recordId\":\"i1\""));
    assert_non_null(strstr(result.body, "\"recordId\":\"i3\""));
    assert_null(strstr(result.body, "\"recordId\":\"i4\""));
    assert_non_null(strstr(result.body, "injected failure"));
    result_free(&result);
    free(status_path);
    assert_true(location_figure(port, "warehouse-1", "BAD-3", "onHand") == 4);
    assert_true(location_figure(port, "warehouse-1", "BAD-1", "onHand") == 0);
    stop_core(&core);
}

/* ---- the journal ---- */

static void test_journal(void **state)
{
    (void)state;
    th_omsgw core;
    const char *args[] = {"--set", "oci.control.journalBodies=true", "--set", "oci.control.journalSize=5", NULL};
    start_core(&core, args);
    int port = core.oci_port;
    json_object_put(ctl(port, "DELETE", "/_omsgw/requests", NULL, 204));
    const char *first[] = {DEMO_AUTH, "Content-Type: application/json", "correlation-id: c-1", NULL};
    const char *second[] = {DEMO_AUTH, "correlation-id: c-2", NULL};
    const char *third[] = {DEMO_AUTH, "Content-Type: application/json", "correlation-id: c-3", NULL};
    const char *batch = "{\"records\":[{\"id\":\"j1\",\"location\":\"warehouse-1\",\"sku\":\"sku-j\",\"onHand\":1}]}";
    json_object_put(expect(port, first, "POST", GET_AVAILABILITY, QUERY_A, 200));
    json_object_put(expect(port, second, "GET", "/inventory/nowhere?x=1", NULL, 404));
    json_object_put(expect(port, third, "POST", BATCH_UPDATE, batch, 204));
    json_object *json = ctl(port, "GET", "/_omsgw/requests", NULL, 200);
    json_object *list = NULL;
    assert_int_equal(cm_json_array(json, "requests", &list), CM_JSON_OK);
    assert_int_equal(json_object_array_length(list), 3); /* exactly what was sent, control calls excluded */
    json_object *newest = json_object_array_get_idx(list, 0), *middle = json_object_array_get_idx(list, 1),
                *oldest = json_object_array_get_idx(list, 2);
    assert_string_equal(string_of(newest, "method"), "POST");
    assert_string_equal(string_of(newest, "path"), BATCH_UPDATE);
    assert_int_equal(json_object_get_int(json_object_object_get(newest, "status")), 204);
    assert_string_equal(string_of(newest, "correlationId"), "c-3");
    assert_string_equal(string_of(newest, "organization"), ORG);
    assert_string_equal(string_of(newest, "body"), batch);
    assert_true(json_object_is_type(json_object_object_get(newest, "latencyMs"), json_type_int));
    assert_string_equal(string_of(middle, "path"), "/inventory/nowhere");
    assert_string_equal(string_of(middle, "query"), "x=1");
    assert_int_equal(json_object_get_int(json_object_object_get(middle, "status")), 404);
    assert_string_equal(string_of(middle, "correlationId"), "c-2");
    assert_string_equal(string_of(oldest, "correlationId"), "c-1");
    assert_string_equal(string_of(oldest, "body"), QUERY_A);
    json_object_put(json);
    /* Filters. */
    json = ctl(port, "GET", "/_omsgw/requests?status=404", NULL, 200);
    assert_int_equal(json_object_array_length(json_object_object_get(json, "requests")), 1);
    json_object_put(json);
    json = ctl(port, "GET", "/_omsgw/requests?status=2xx", NULL, 200);
    assert_int_equal(json_object_array_length(json_object_object_get(json, "requests")), 2);
    json_object_put(json);
    json = ctl(port, "GET", "/_omsgw/requests?route=*/batch-update", NULL, 200);
    assert_int_equal(json_object_array_length(json_object_object_get(json, "requests")), 1);
    json_object_put(json);
    json = ctl(port, "GET", "/_omsgw/requests?limit=1", NULL, 200);
    list = json_object_object_get(json, "requests");
    assert_int_equal(json_object_array_length(list), 1);
    assert_string_equal(string_of(json_object_array_get_idx(list, 0), "correlationId"), "c-3");
    json_object_put(json);
    json = ctl(port, "GET", "/_omsgw/requests?limit=6", NULL, 400);
    assert_string_equal(string_of(json, "field"), "limit");
    json_object_put(json);
    json = ctl(port, "GET", "/_omsgw/requests?status=abc", NULL, 400);
    assert_string_equal(string_of(json, "field"), "status");
    json_object_put(json);
    /* A fault shows in the journal with its rule; the ring keeps journalSize entries. */
    char *id = add_fault(port, "{\"route\":\"/inventory/*\",\"status\":502,\"count\":1}");
    json_object_put(oci(port, "POST", GET_AVAILABILITY, QUERY_A, 502));
    json = ctl(port, "GET", "/_omsgw/requests?limit=1", NULL, 200);
    assert_string_equal(string_of(json_object_array_get_idx(json_object_object_get(json, "requests"), 0), "fault"), id);
    json_object_put(json);
    free(id);
    for (int i = 0; i < 4; i++)
        json_object_put(oci(port, "POST", GET_AVAILABILITY, QUERY_A, 200));
    json = ctl(port, "GET", "/_omsgw/requests?limit=5", NULL, 200);
    assert_int_equal(json_object_array_length(json_object_object_get(json, "requests")), 5);
    json_object_put(json);
    /* A body past 64 KiB is kept cut, and says so. */
    char *big = malloc(70001);
    assert_non_null(big);
    memset(big, 'x', 70000);
    big[70000] = '\0';
    json_object_put(oci(port, "POST", GET_AVAILABILITY, big, 400));
    free(big);
    json = ctl(port, "GET", "/_omsgw/requests?limit=1", NULL, 200);
    json_object *entry = json_object_array_get_idx(json_object_object_get(json, "requests"), 0);
    assert_int_equal(json_object_get_string_len(json_object_object_get(entry, "body")), 65536);
    assert_true(json_object_get_boolean(json_object_object_get(entry, "bodyTruncated")));
    json_object_put(json);
    stop_core(&core);
}

/* ---- realism switches ---- */

static void test_propagation_delay_and_expiry_lag(void **state)
{
    (void)state;
    th_omsgw core;
    const char *args[] = {"--set", "oci.propagationDelayMs=5000", "--set", "oci.reservationExpiryLagSeconds=30", NULL};
    start_core(&core, args);
    int port = core.oci_port;
    json_object *health = ctl(port, "GET", "/_omsgw/health", NULL, 200);
    json_object *realism = json_object_object_get(health, "realism");
    assert_int_equal(json_object_get_int(json_object_object_get(realism, "propagationDelayMs")), 5000);
    assert_int_equal(json_object_get_int(json_object_object_get(realism, "reservationExpiryLagSeconds")), 30);
    json_object_put(health);
    /* A write shows after the delay (the clock stands in for waiting). */
    load_records(port, "{\"id\":\"p1\",\"location\":\"warehouse-1\",\"sku\":\"sku-p\",\"onHand\":7}");
    assert_true(location_figure(port, "warehouse-1", "sku-p", "onHand") == 0);
    advance(port, "6");
    assert_true(location_figure(port, "warehouse-1", "sku-p", "onHand") == 7);
    assert_true(group_figure(port, "online", "sku-p", "onHand") == 7);
    load_records(port, "{\"id\":\"p2\",\"location\":\"warehouse-1\",\"sku\":\"sku-p\",\"onHand\":9}");
    assert_true(location_figure(port, "warehouse-1", "sku-p", "onHand") == 7);
    assert_true(group_figure(port, "online", "sku-p", "onHand") == 7);
    advance(port, "6");
    assert_true(location_figure(port, "warehouse-1", "sku-p", "onHand") == 9);
    /* A reservation is released 30 s after it expires, not before. */
    json_object_put(oci(port, "PUT", RES "/reservation-documents/lag",
                        "{\"expirationSeconds\":60,\"locations\":[{\"id\":\"warehouse-1\",\"reservations\":"
                        "[{\"sku\":\"sku-p\",\"quantity\":2}]}]}",
                        200));
    advance(port, "6");
    assert_true(location_figure(port, "warehouse-1", "sku-p", "reserved") == 2);
    advance(port, "61"); /* expired, within the lag */
    advance(port, "6");
    assert_true(location_figure(port, "warehouse-1", "sku-p", "reserved") == 2);
    advance(port, "30"); /* past the lag */
    advance(port, "6");
    assert_true(location_figure(port, "warehouse-1", "sku-p", "reserved") == 0);
    stop_core(&core);
}

/* oci.strict: a second import of an organization while one runs is 409 ImportInProgress. In the
 * test process, where the worker can be held so that the first stays PENDING. */
static void test_strict_one_import_at_a_time(void **state)
{
    (void)state;
    th_oci oci_server;
    th_oci_start(&oci_server,
                 "{\"oci\":{\"port\":0,\"strict\":true,\"organizations\":[{\"id\":\"" ORG "\",\"tokens\":[{\"token\":"
                 "\"demo-oci-token\",\"scopes\":[\"sfcc.inventory.impex-inventory.rw\"]}]}]}}");
    int port = oci_server.port;
    oci_core_testing_pause_worker(oci_server.core, 1);
    char first_id[128];
    char *path = start_import(port, "{\"recordId\":\"s1\",\"sku\":\"sku-s\",\"locationId\":\"nowhere\",\"onHand\":1}\n",
                              first_id);
    json_object *json = oci(port, "POST", IMPEX "/availability-records/imports", "{\"fileName\":\"second.json\"}", 409);
    assert_string_equal(string_of(json, "errorCode"), "ImportInProgress");
    char message[200];
    snprintf(message, sizeof message, "Import %s is in progress.", first_id);
    assert_string_equal(string_of(json, "message"), message);
    json_object_put(json);
    oci_core_testing_pause_worker(oci_server.core, 0);
    json_object_put(wait_finished(port, path));
    free(path);
    json_object_put(oci(port, "POST", IMPEX "/availability-records/imports", "{\"fileName\":\"third.json\"}", 200));
    th_oci_stop(&oci_server);
}

/* ---- location-graph changes that take time ---- */

#define NEW_GRAPH                                                                                                      \
    "{\"locations\":[\"warehouse-1\",\"warehouse-2\",\"warehouse-3\",\"store-downtown\",\"store-airport\","             \
    "\"store-mall\"],\"groups\":[{\"id\":\"online\",\"locations\":[\"warehouse-1\",\"warehouse-2\",\"warehouse-3\"]},"  \
    "{\"id\":\"stores\",\"locations\":[\"store-downtown\",\"store-airport\",\"store-mall\"]}]}"

#define W3_LINES                                                                                                       \
    "{\"recordId\":\"g1\",\"sku\":\"sku-g\",\"locationId\":\"warehouse-3\",\"onHand\":5}\n"                            \
    "{\"recordId\":\"g2\",\"sku\":\"sku-g\",\"locationId\":\"warehouse-1\",\"onHand\":2}\n"

static int graph_changing(int port)
{
    json_object *health = ctl(port, "GET", "/_omsgw/health", NULL, 200);
    json_object *org = json_object_array_get_idx(json_object_object_get(health, "organizations"), 0);
    int changing = json_object_get_boolean(json_object_object_get(json_object_object_get(org, "graphChange"),
                                                                  "inProgress"));
    json_object_put(health);
    return changing;
}

static void test_graph_change_takes_time(void **state)
{
    (void)state;
    th_omsgw core;
    const char *args[] = {"--set", "oci.graphChangeSeconds=600", NULL};
    start_core(&core, args);
    int port = core.oci_port;
    load_records(port, "{\"id\":\"g0\",\"location\":\"warehouse-2\",\"sku\":\"sku-g\",\"onHand\":4}");
    json_object *json = oci(port, "PUT", "/admin/organizations/" ORG "/location-graph", NEW_GRAPH, 200);
    assert_true(json_object_get_boolean(json_object_object_get(json_object_object_get(json, "graphChange"), "inProgress")));
    json_object_put(json);
    assert_true(graph_changing(port));
    /* The old graph stays in force meanwhile; the location-graph export status says a change runs. */
    json = oci(port, "GET", "/admin/organizations/" ORG "/location-graph", NULL, 200);
    assert_null(strstr(json_object_to_json_string(json), "warehouse-3"));
    json_object_put(json);
    json = oci(port, "POST", IMPEX "/location-graph/exports", "{}", 200);
    char path[512];
    snprintf(path, sizeof path, "%s", string_of(json, "exportStatusLink"));
    json_object_put(json);
    json = wait_finished(port, path);
    assert_true(json_object_get_boolean(json_object_object_get(json_object_object_get(json, "graphChange"), "inProgress")));
    json_object_put(json);
    /* An import started meanwhile waits (not strict). */
    char import_id[128];
    char *status_path = start_import(port, W3_LINES, import_id);
    for (int i = 0; i < 10; i++) {
        json = oci(port, "GET", status_path, NULL, 200);
        assert_string_equal(string_of(json, "status"), "PENDING");
        json_object_put(json);
        usleep(100000);
    }
    /* Once the change is over: the new graph, the import done, group totals the sums of their locations. */
    advance(port, "601");
    json = wait_finished(port, status_path);
    assert_string_equal(string_of(json, "status"), "COMPLETED");
    assert_int_equal(json_object_get_int64(json_object_object_get(json_object_object_get(json, "import"),
                                                                  "recordsProcessedCount")),
                     2);
    json_object_put(json);
    free(status_path);
    assert_false(graph_changing(port));
    assert_true(location_figure(port, "warehouse-3", "sku-g", "onHand") == 5);
    double sum = location_figure(port, "warehouse-1", "sku-g", "onHand") +
                 location_figure(port, "warehouse-2", "sku-g", "onHand") +
                 location_figure(port, "warehouse-3", "sku-g", "onHand");
    assert_true(sum == 11);
    assert_true(group_figure(port, "online", "sku-g", "onHand") == sum);
    assert_true(group_figure(port, "stores", "sku-g", "onHand") == 0); /* warehouse-2 left "stores" */
    stop_core(&core);

    /* oci.strict: an import during a change runs against the graph of the moment, as the real
     * service may: the line for the location being added fails. */
    const char *strict_args[] = {"--set", "oci.graphChangeSeconds=600", "--set", "oci.strict=true", NULL};
    start_core(&core, strict_args);
    port = core.oci_port;
    json_object_put(oci(port, "PUT", "/admin/organizations/" ORG "/location-graph", NEW_GRAPH, 200));
    status_path = start_import(port, W3_LINES, import_id);
    json = wait_finished(port, status_path);
    assert_string_equal(string_of(json, "status"), "COMPLETED");
    assert_int_equal(json_object_get_int64(json_object_object_get(json_object_object_get(json, "import"),
                                                                  "recordsProcessedCount")),
                     1);
    json_object_put(json);
    free(status_path);
    snprintf(path, sizeof path, IMPEX "/availability-records/imports/%s/file-content", import_id);
    call_result result = http(port, "GET", path, JSON_DEMO, NULL, 0);
    assert_non_null(strstr(result.body, "warehouse-3"));
    result_free(&result);
    stop_core(&core);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_auth_health_and_header),
        cmocka_unit_test(test_state_export_import_reset),
        cmocka_unit_test(test_clock_expires_tokens_links_reservations),
        cmocka_unit_test(test_fault_effects),
        cmocka_unit_test(test_journal),
        cmocka_unit_test(test_propagation_delay_and_expiry_lag),
        cmocka_unit_test(test_strict_one_import_at_a_time),
        cmocka_unit_test(test_graph_change_takes_time),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return failed;
}
