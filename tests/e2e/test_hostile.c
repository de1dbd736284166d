/*
 * test_hostile.c - hostile input against the real `omsgw serve`: broken, oversized, lying,
 * slow and injecting requests. Each one gets a clean 4xx with a JSON error body, or its connection
 * closed within the configured timeout; after each, the server still answers /healthz, still accepts
 * a normal refresh, and the process is still alive.
 *
 * Requests curl would refuse to send or would repair (a Content-Length that lies, "..", thousands
 * of headers, a trickle of single bytes) go over raw loopback sockets.
 */
#include "e2e_legacy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

#define CONNECTION_TIMEOUT_SECONDS 2
/* A closed connection must come within the timeout plus this (MHD checks timeouts about once a second). */
#define CLOSE_MARGIN_MS 2500
#define BODY_LIMIT (16u * 1024u * 1024u)
#define RAW_REPLY_MAX 65536

static th_omsgw server;

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int start_server(void **state)
{
    (void)state;
    th_omsgw_prepare(&server, NULL);
    const char *args[] = {"--set", "gateway.connectionTimeoutSeconds=2", NULL};
    if (th_omsgw_launch(&server, args) != 0)
        fail_msg("omsgw did not start");
    return 0;
}

static int stop_server(void **state)
{
    (void)state;
    th_omsgw_cleanup(&server);
    return 0;
}

/* ---- the server keeps serving ---- */

static void assert_alive(void)
{
    int status;
    if (server.pid <= 0 || waitpid(server.pid, &status, WNOHANG) != 0) {
        th_omsgw_dump_log(&server);
        fail_msg("omsgw is no longer running");
    }
}

/* /healthz answers, a normal refresh is accepted, and the process lives. */
static void assert_still_serving(const char *after)
{
    assert_alive();
    char url[128];
    th_url(url, sizeof url, server.gateway_port, "/healthz");
    th_response response;
    if (th_http("GET", url, NULL, NULL, 0, &response) != 0 || response.status != 200)
        fail_msg("after %s: /healthz answered %ld (curl %d)", after, response.status, response.curl_code);
    th_response_free(&response);
    const char *body = "{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"HOSTILE-OK\",\"quantity\":7}]}";
    assert_int_equal(e2e_call(server.gateway_port, "POST", "/api/v5/inventory/refresh", DEMO_TENANT, DEMO_V5_KEY,
                              body, &response),
                     0);
    if (response.status != 200)
        fail_msg("after %s: a normal refresh answered %ld: %s", after, response.status, response.body);
    th_response_free(&response);
    assert_alive();
}

/* The reply is 4xx with the gateway's JSON error body (errorCode, message, correlationId). */
static void assert_clean_4xx(const th_response *response, const char *what)
{
    if (response->status < 400 || response->status > 499)
        fail_msg("%s: expected a 4xx, got %ld (curl %d): %.300s", what, response->status, response->curl_code,
                 response->body ? response->body : "");
    json_object *body = th_json(response);
    if (!body || !json_object_is_type(body, json_type_object))
        fail_msg("%s: the %ld reply is not a JSON object: %.300s", what, response->status, response->body);
    json_object *code = json_object_object_get(body, "errorCode");
    json_object *message = json_object_object_get(body, "message");
    if (!json_object_is_type(code, json_type_string) || !json_object_is_type(message, json_type_string))
        fail_msg("%s: the error body lacks errorCode or message: %s", what, response->body);
    json_object_put(body);
}

static void post_expect_4xx(const char *body, size_t length, const char *what)
{
    char url[256];
    th_url(url, sizeof url, server.gateway_port, "/api/v5/inventory/refresh");
    const char *headers[] = {"x-vol-tenant: " DEMO_TENANT, "Authorization: Bearer " DEMO_V5_KEY,
                             "Content-Type: application/json", NULL};
    th_response response;
    th_http("POST", url, headers, body, length, &response);
    assert_clean_4xx(&response, what);
    th_response_free(&response);
}

/* ---- raw sockets ---- */

static int raw_connect(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)server.gateway_port)};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0)
        fail_msg("connect: %s", strerror(errno));
    return fd;
}

/* Sends what it can; returns 0 when everything went, -1 when the server closed or reset first. */
static int raw_send(int fd, const void *data, size_t length)
{
    const char *bytes = data;
    size_t sent = 0;
    while (sent < length) {
        ssize_t n = send(fd, bytes + sent, length - sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        sent += (size_t)n;
    }
    return 0;
}

/* Case-insensitive search for a header line start (strcasestr is not POSIX). */
static const char *find_header(const char *text, const char *needle)
{
    size_t length = strlen(needle);
    for (const char *at = text; *at; at++)
        if (strncasecmp(at, needle, length) == 0)
            return at;
    return NULL;
}

typedef struct raw_reply {
    char data[RAW_REPLY_MAX + 1];
    size_t length;
    int closed;     /* EOF or reset seen */
    int64_t waited; /* ms until closed, or until the deadline */
} raw_reply;

/* Reads until the server closes or `timeout_ms` passes; stops early once a complete reply with a
 * Content-Length has arrived when `one_reply` is set. */
static void raw_read(int fd, int timeout_ms, int one_reply, raw_reply *reply)
{
    memset(reply, 0, sizeof *reply);
    int64_t start = mono_ms();
    for (;;) {
        int64_t left = timeout_ms - (mono_ms() - start);
        if (left <= 0)
            break;
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int ready = poll(&pfd, 1, (int)left);
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready <= 0)
            break;
        char scratch[4096];
        char *target = reply->length < RAW_REPLY_MAX ? reply->data + reply->length : scratch;
        size_t room = reply->length < RAW_REPLY_MAX ? RAW_REPLY_MAX - reply->length : sizeof scratch;
        ssize_t n = recv(fd, target, room, 0);
        if (n <= 0) {
            reply->closed = 1;
            break;
        }
        if (target != scratch)
            reply->length += (size_t)n;
        reply->data[reply->length] = '\0';
        if (one_reply) {
            const char *end = strstr(reply->data, "\r\n\r\n");
            const char *length_header = find_header(reply->data, "\r\nContent-Length:");
            if (end && length_header && length_header < end) {
                size_t want = (size_t)strtoul(length_header + 17, NULL, 10);
                if (reply->length >= (size_t)(end + 4 - reply->data) + want)
                    break;
            }
        }
    }
    reply->waited = mono_ms() - start;
}

static int raw_status(const raw_reply *reply)
{
    int status = 0;
    if (sscanf(reply->data, "HTTP/1.%*d %d", &status) != 1)
        return 0;
    return status;
}

/* The first raw reply is a 4xx with a JSON error body. */
static void assert_raw_clean_4xx(const raw_reply *reply, const char *what)
{
    int status = raw_status(reply);
    if (status < 400 || status > 499)
        fail_msg("%s: expected a 4xx, got %d: %.300s", what, status, reply->data);
    const char *body = strstr(reply->data, "\r\n\r\n");
    assert_non_null(body);
    json_object *json = json_tokener_parse(body + 4);
    if (!json || !json_object_object_get(json, "errorCode"))
        fail_msg("%s: the %d reply has no JSON error body: %.300s", what, status, body + 4);
    json_object_put(json);
}

/* ---- the attacks ---- */

static void test_broken_json_bodies(void **state)
{
    (void)state;
    const char *truncated = "{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"S1\",\"quantity\":1}";
    post_expect_4xx(truncated, strlen(truncated), "truncated body");
    post_expect_4xx("", 0, "empty body");
    const char *trailing = "{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"S1\",\"quantity\":1}]}}";
    post_expect_4xx(trailing, strlen(trailing), "trailing bytes");

    /* Deep nesting: far past the parser's depth limit. */
    cm_body deep;
    cm_body_init(&deep, 1024 * 1024);
    cm_body_appendf(&deep, "{\"locationName\":\"Location 1\",\"items\":");
    for (int i = 0; i < 100000; i++)
        cm_body_append(&deep, "[", 1);
    post_expect_4xx(deep.data, deep.length, "100000 nested arrays");
    cm_body_free(&deep);

    const char *huge[] = {
        "{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"S1\",\"quantity\":1e400}]}",
        "{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"S1\",\"quantity\":123456789012345678901234567890}]}",
        "{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"S1\",\"quantity\":\"123456789012345678901234567890\"}]}",
        "{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"S1\",\"quantity\":-9223372036854775809}]}",
        "{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"S1\",\"quantity\":1,\"binID\":99999999999999999999}]}",
        "{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"S1\",\"quantity\":1,\"retailPrice\":1e309}]}",
        "{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"S1\",\"quantity\":NaN}]}",
        "{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"S1\",\"quantity\":-Infinity}]}",
        "{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"S1\",\"quantity\":\"NaN\"}]}",
        "{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"S1\",\"quantity\":1,\"ltd\":\"nan\"}]}",
    };
    for (size_t i = 0; i < sizeof huge / sizeof huge[0]; i++)
        post_expect_4xx(huge[i], strlen(huge[i]), huge[i]);
    assert_still_serving("broken JSON bodies");
}

static void test_duplicate_keys_utf8_and_nul(void **state)
{
    (void)state;
    /* Two values for one key: which one wins is parser-dependent, so the request is refused. */
    const char *duplicates[] = {
        "{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"S1\",\"quantity\":1,\"quantity\":5}]}",
        "{\"locationName\":\"Nowhere\",\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"S1\",\"quantity\":1}]}",
        "{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"S1\",\"quantity\":1}],\"items\":[]}",
    };
    for (size_t i = 0; i < sizeof duplicates / sizeof duplicates[0]; i++)
        post_expect_4xx(duplicates[i], strlen(duplicates[i]), duplicates[i]);

    const char bad_utf8[][96] = {
        "{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"S\xff\",\"quantity\":1}]}",
        "{\"locationName\":\"Location \xc0\xb1\",\"items\":[{\"sku\":\"S1\",\"quantity\":1}]}",
        "{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"S\xed\xa0\x80\",\"quantity\":1}]}",
        "{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"S\xf4\x90\x80\x80\",\"quantity\":1}]}",
        "{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"S1\",\"quantity\":1,\"attributes\":[\"\xe2\x82\"]}]}",
    };
    for (size_t i = 0; i < sizeof bad_utf8 / sizeof bad_utf8[0]; i++)
        post_expect_4xx(bad_utf8[i], strlen(bad_utf8[i]), "invalid UTF-8");

    /* A raw NUL inside a string (a control character JSON forbids) and an escaped one. */
    const char raw_nul[] = "{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"S\0X\",\"quantity\":1}]}";
    post_expect_4xx(raw_nul, sizeof raw_nul - 1, "raw NUL in a string");
    const char *escaped_nul[] = {
        "{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"SKU\\u0000X\",\"quantity\":1}]}",
        "{\"locationName\":\"Location 1\\u0000\",\"items\":[{\"sku\":\"SKU1\",\"quantity\":1}]}",
        "{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"SKU1\",\"partNumber\":\"P\\u0000\",\"quantity\":1}]}",
        "{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"SKU1\",\"quantity\":\"1\\u0000\"}]}",
    };
    for (size_t i = 0; i < sizeof escaped_nul / sizeof escaped_nul[0]; i++)
        post_expect_4xx(escaped_nul[i], strlen(escaped_nul[i]), escaped_nul[i]);
    assert_still_serving("duplicate keys, invalid UTF-8, NUL bytes");
}

static void test_oversized_bodies(void **state)
{
    (void)state;
    /* A declared length over the limit: 413 before a byte of the body is sent. */
    int fd = raw_connect();
    char head[512];
    int head_length = snprintf(head, sizeof head,
                               "POST /api/v5/inventory/refresh HTTP/1.1\r\nHost: x\r\nx-vol-tenant: " DEMO_TENANT
                               "\r\nAuthorization: Bearer " DEMO_V5_KEY "\r\nContent-Type: application/json\r\n"
                               "Content-Length: %u\r\n\r\n",
                               BODY_LIMIT + 1);
    assert_int_equal(raw_send(fd, head, (size_t)head_length), 0);
    raw_reply *reply = malloc(sizeof *reply);
    raw_read(fd, 5000, 1, reply);
    assert_raw_clean_4xx(reply, "Content-Length over the limit");
    assert_int_equal(raw_status(reply), 413);
    close(fd);

    /* The same through curl with a real 17 MiB body: 413, or the connection closed under it. */
    size_t big_length = BODY_LIMIT + 1024 * 1024;
    char *big = malloc(big_length);
    assert_non_null(big);
    memset(big, ' ', big_length);
    big[0] = '[';
    big[big_length - 1] = ']';
    char url[256];
    th_url(url, sizeof url, server.gateway_port, "/api/v5/inventory/refresh");
    const char *headers[] = {"x-vol-tenant: " DEMO_TENANT, "Authorization: Bearer " DEMO_V5_KEY,
                             "Content-Type: application/json", NULL};
    th_response response;
    th_http("POST", url, headers, big, big_length, &response);
    if (response.status != 0)
        assert_clean_4xx(&response, "17 MiB body");
    th_response_free(&response);

    /* Chunked: no length announced; passing 16 MiB closes the connection. */
    fd = raw_connect();
    const char *chunked_head = "POST /api/v5/inventory/refresh HTTP/1.1\r\nHost: x\r\nx-vol-tenant: " DEMO_TENANT
                               "\r\nAuthorization: Bearer " DEMO_V5_KEY "\r\nContent-Type: application/json\r\n"
                               "Transfer-Encoding: chunked\r\n\r\n";
    assert_int_equal(raw_send(fd, chunked_head, strlen(chunked_head)), 0);
    size_t chunk = 1024 * 1024, sent = 0;
    int refused = 0;
    char chunk_head[32];
    snprintf(chunk_head, sizeof chunk_head, "%zx\r\n", chunk);
    for (int i = 0; i < 24 && !refused; i++) { /* 24 MiB at most */
        if (raw_send(fd, chunk_head, strlen(chunk_head)) != 0 || raw_send(fd, big, chunk) != 0 ||
            raw_send(fd, "\r\n", 2) != 0)
            refused = 1;
        else
            sent += chunk;
    }
    raw_read(fd, (CONNECTION_TIMEOUT_SECONDS * 1000) + CLOSE_MARGIN_MS, 0, reply);
    if (!reply->closed)
        fail_msg("a chunked body of %zu bytes did not close the connection", sent);
    if (raw_status(reply) != 0)
        assert_raw_clean_4xx(reply, "chunked body past the limit");
    fprintf(stderr, "chunked: connection closed after %zu MiB sent\n", sent / chunk);
    close(fd);
    free(big);
    free(reply);
    assert_still_serving("oversized bodies");
}

static void test_lying_content_length(void **state)
{
    (void)state;
    const char *body = "{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"LIAR-1\",\"quantity\":1}]}";
    raw_reply *reply = malloc(sizeof *reply);
    char request[1024];

    /* Shorter than the body: the server reads what was announced (broken JSON: 400) and treats
     * the rest as the next request, which is no HTTP; either way nothing hangs. */
    int length = snprintf(request, sizeof request,
                          "POST /api/v5/inventory/refresh HTTP/1.1\r\nHost: x\r\nx-vol-tenant: " DEMO_TENANT
                          "\r\nAuthorization: Bearer " DEMO_V5_KEY "\r\nContent-Type: application/json\r\n"
                          "Content-Length: 20\r\n\r\n%s",
                          body);
    int fd = raw_connect();
    assert_int_equal(raw_send(fd, request, (size_t)length), 0);
    raw_read(fd, (CONNECTION_TIMEOUT_SECONDS * 1000) + CLOSE_MARGIN_MS, 0, reply);
    assert_raw_clean_4xx(reply, "Content-Length shorter than the body");
    assert_true(reply->closed);
    close(fd);

    /* Longer than the body: the server waits for the rest, then drops the idle connection. */
    length = snprintf(request, sizeof request,
                      "POST /api/v5/inventory/refresh HTTP/1.1\r\nHost: x\r\nx-vol-tenant: " DEMO_TENANT
                      "\r\nAuthorization: Bearer " DEMO_V5_KEY "\r\nContent-Type: application/json\r\n"
                      "Content-Length: 5000\r\n\r\n%s",
                      body);
    fd = raw_connect();
    assert_int_equal(raw_send(fd, request, (size_t)length), 0);
    raw_read(fd, (CONNECTION_TIMEOUT_SECONDS * 1000) + CLOSE_MARGIN_MS, 0, reply);
    if (!reply->closed)
        fail_msg("Content-Length longer than the body: still open after %lld ms", (long long)reply->waited);
    if (raw_status(reply) != 0)
        assert_raw_clean_4xx(reply, "Content-Length longer than the body");
    fprintf(stderr, "long Content-Length: closed after %lld ms\n", (long long)reply->waited);
    close(fd);

    /* Not a number. */
    length = snprintf(request, sizeof request,
                      "POST /api/v5/inventory/refresh HTTP/1.1\r\nHost: x\r\nx-vol-tenant: " DEMO_TENANT
                      "\r\nAuthorization: Bearer " DEMO_V5_KEY "\r\nContent-Type: application/json\r\n"
                      "Content-Length: -1\r\n\r\n%s",
                      body);
    fd = raw_connect();
    raw_send(fd, request, (size_t)length);
    raw_read(fd, (CONNECTION_TIMEOUT_SECONDS * 1000) + CLOSE_MARGIN_MS, 1, reply);
    int status = raw_status(reply);
    if (!(reply->closed || (status >= 400 && status <= 499)))
        fail_msg("Content-Length -1: got %d, connection open", status);
    close(fd);
    free(reply);
    assert_still_serving("lying Content-Length");
}

static void test_header_and_path_floods(void **state)
{
    (void)state;
    raw_reply *reply = malloc(sizeof *reply);
    /* Thousands of headers: more than the connection's memory allows. */
    cm_body flood;
    cm_body_init(&flood, 4 * 1024 * 1024);
    cm_body_appendf(&flood, "GET /api/v1/queue/1 HTTP/1.1\r\nHost: x\r\nx-vol-tenant: " DEMO_TENANT
                            "\r\nAuthorization: Bearer " DEMO_V5_KEY "\r\n");
    for (int i = 0; i < 5000; i++)
        cm_body_appendf(&flood, "X-Flood-%d: %d\r\n", i, i);
    cm_body_appendf(&flood, "\r\n");
    int fd = raw_connect();
    raw_send(fd, flood.data, flood.length);
    raw_read(fd, (CONNECTION_TIMEOUT_SECONDS * 1000) + CLOSE_MARGIN_MS, 0, reply);
    int status = raw_status(reply);
    /* libmicrohttpd answers this itself, before any of our code runs (431 with its own small body),
     * or closes the connection. */
    if (!(reply->closed || (status >= 400 && status <= 499)))
        fail_msg("5000 headers: got %d and the connection stayed open", status);
    fprintf(stderr, "5000 headers: status %d, closed %d\n", status, reply->closed);
    close(fd);
    cm_body_free(&flood);

    /* A long path the router refuses (over 2048 bytes): 404 in the gateway's shape. */
    cm_body path;
    cm_body_init(&path, 1024 * 1024);
    cm_body_appendf(&path, "/api/v1/queue/");
    for (int i = 0; i < 3000; i++)
        cm_body_append(&path, "a", 1);
    th_response response;
    assert_int_equal(e2e_call(server.gateway_port, "GET", path.data, DEMO_TENANT, DEMO_V5_KEY, NULL, &response), 0);
    assert_clean_4xx(&response, "3 KB path");
    th_response_free(&response);
    /* A path past the connection's memory: libmicrohttpd's 414, or a closed connection. */
    cm_body_reset(&path);
    cm_body_appendf(&path, "GET /api/v1/queue/");
    for (int i = 0; i < 200000; i++)
        cm_body_append(&path, "b", 1);
    cm_body_appendf(&path, " HTTP/1.1\r\nHost: x\r\n\r\n");
    fd = raw_connect();
    raw_send(fd, path.data, path.length);
    raw_read(fd, (CONNECTION_TIMEOUT_SECONDS * 1000) + CLOSE_MARGIN_MS, 0, reply);
    status = raw_status(reply);
    if (!(reply->closed || (status >= 400 && status <= 499)))
        fail_msg("200 KB path: got %d and the connection stayed open", status);
    fprintf(stderr, "200 KB path: status %d, closed %d\n", status, reply->closed);
    close(fd);
    cm_body_free(&path);
    free(reply);
    assert_still_serving("header and path floods");
}

static void test_path_traversal_in_ids(void **state)
{
    (void)state;
    const char *paths[] = {
        "/api/v1/queue/..%2F..%2Fetc",       "/api/v1/queue/..%2F..%2Fetc%2Fpasswd", "/inv/api/v1/queue/%2e%2e",
        "/api/v1/queue/1%00",                "/api/v1/queue/1;DROP",                 "/api/v1/queue/-1",
        "/api/v1/queue/0",                   "/api/v1/queue/99999999999999999999999",
        "/api/commerce/inventory/v1/queue/%27%20OR%201=1--",
    };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        th_response response;
        assert_int_equal(e2e_call(server.gateway_port, "GET", paths[i], DEMO_TENANT, DEMO_V5_KEY, NULL, &response),
                         0);
        assert_clean_4xx(&response, paths[i]);
        th_response_free(&response);
    }
    /* Literal dots curl would squash: over a raw socket. */
    raw_reply *reply = malloc(sizeof *reply);
    const char *raw = "GET /api/v1/queue/../../../etc/passwd HTTP/1.1\r\nHost: x\r\nx-vol-tenant: " DEMO_TENANT
                      "\r\nAuthorization: Bearer " DEMO_V5_KEY "\r\nConnection: close\r\n\r\n";
    int fd = raw_connect();
    assert_int_equal(raw_send(fd, raw, strlen(raw)), 0);
    raw_read(fd, 5000, 1, reply);
    assert_raw_clean_4xx(reply, "literal ../ in the path");
    assert_null(strstr(reply->data, "root:"));
    close(fd);
    free(reply);
    assert_still_serving("path traversal");
}

/* Polls a job of `tenant` until it finishes; returns it (caller puts). */
static json_object *wait_job_of(const char *tenant, const char *key, int64_t job_id)
{
    char path[128];
    snprintf(path, sizeof path, "/api/v1/queue/%" PRId64, job_id);
    for (int waited = 0; waited < 30000; waited += 50) {
        th_response response;
        assert_int_equal(e2e_call(server.gateway_port, "GET", path, tenant, key, NULL, &response), 0);
        assert_int_equal(response.status, 200);
        json_object *job = th_json(&response);
        th_response_free(&response);
        const char *status = json_object_get_string(json_object_object_get(job, "status"));
        if (strcmp(status, "SUCCESS") == 0 || strcmp(status, "FAILED") == 0)
            return job;
        json_object_put(job);
        usleep(50000);
    }
    fail_msg("job %" PRId64 " did not finish", job_id);
    return NULL;
}

static const char *const SQL[] = {
    "'; DROP TABLE jobs; --", "\" OR \"1\"=\"1", "1' OR '1'='1", "Robert'); DELETE FROM items;--", "%' UNION SELECT *--",
};

/* SQL metacharacters in every string field: refused by validation where the field has rules, else
 * stored verbatim; either way every table still works afterwards. */
static void test_sql_metacharacters(void **state)
{
    (void)state;
    char body[2048];
    /* Tenant 23456 derives locations from any name, so its names reach the store. */
    const char *auto_tenant = "23456", *auto_key = "second-v5-key";
    for (size_t i = 0; i < sizeof SQL / sizeof SQL[0]; i++) {
        json_object *item = json_object_new_object();
        json_object_object_add(item, "sku", json_object_new_string("SQL-SKU-1"));
        json_object_object_add(item, "partNumber", json_object_new_string(SQL[i]));
        json_object_object_add(item, "upc", json_object_new_string(SQL[i]));
        json_object_object_add(item, "inventoryLocatorName", json_object_new_string(SQL[i]));
        json_object *attributes = json_object_new_array();
        json_object_array_add(attributes, json_object_new_string(SQL[i]));
        json_object_object_add(item, "attributes", attributes);
        json_object_object_add(item, "quantity", json_object_new_int(3));
        json_object *root = json_object_new_object();
        json_object_object_add(root, "locationName", json_object_new_string(SQL[i]));
        json_object *items = json_object_new_array();
        json_object_array_add(items, item);
        json_object_object_add(root, "items", items);
        snprintf(body, sizeof body, "%s", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN));
        json_object_put(root);

        /* Demo tenant: the name is not mapped: 400 naming locationName. */
        th_response response;
        assert_int_equal(e2e_call(server.gateway_port, "POST", "/api/v5/inventory/refresh", DEMO_TENANT, DEMO_V5_KEY,
                                  body, &response),
                         0);
        assert_clean_4xx(&response, body);
        assert_non_null(strstr(response.body, "locationName"));
        th_response_free(&response);

        /* Auto-location tenant: accepted and stored verbatim; the derived location is not in the
         * graph, so OCI refuses the items and the job ends FAILED, cleanly. */
        assert_int_equal(e2e_call(server.gateway_port, "POST", "/api/v5/inventory/refresh", auto_tenant, auto_key,
                                  body, &response),
                         0);
        if (response.status != 200)
            fail_msg("%s: %ld %s", body, response.status, response.body);
        json_object *reply = th_json(&response);
        int64_t job_id = json_object_get_int64(json_object_object_get(reply, "jobID"));
        json_object_put(reply);
        th_response_free(&response);
        json_object *job = wait_job_of(auto_tenant, auto_key, job_id);
        json_object *name = json_object_object_get(job, "locationName");
        assert_non_null(name);
        assert_string_equal(json_object_get_string(name), SQL[i]);
        json_object_put(job);

        /* Demo tenant, mapped location, every other string field hostile: delivered. */
        json_object *parsed = json_tokener_parse(body);
        json_object_object_add(parsed, "locationName", json_object_new_string("Location 1"));
        char valid[2048];
        snprintf(valid, sizeof valid, "%s", json_object_to_json_string_ext(parsed, JSON_C_TO_STRING_PLAIN));
        json_object_put(parsed);
        job_id = e2e_refresh(server.gateway_port, "/api/v5/inventory/refresh", DEMO_V5_KEY, valid);
        job = wait_job_of(DEMO_TENANT, DEMO_V5_KEY, job_id);
        if (strcmp(json_object_get_string(json_object_object_get(job, "status")), "SUCCESS") != 0)
            fail_msg("%s ended %s", valid, json_object_to_json_string(job));
        json_object_put(job);

        /* As a sku: refused (spaces, ';', '%') or a harmless sku; never a server error. */
        json_object *sku = json_object_new_string(SQL[i]);
        snprintf(body, sizeof body, "{\"locationName\":\"Location 1\",\"items\":[{\"sku\":%s,\"quantity\":1}]}",
                 json_object_to_json_string(sku));
        json_object_put(sku);
        assert_int_equal(e2e_call(server.gateway_port, "POST", "/api/v5/inventory/refresh", DEMO_TENANT, DEMO_V5_KEY,
                                  body, &response),
                         0);
        if (response.status != 200)
            assert_clean_4xx(&response, body);
        th_response_free(&response);
    }

    /* In x-vol-tenant and the Authorization header: 401. */
    for (size_t i = 0; i < sizeof SQL / sizeof SQL[0]; i++) {
        th_response response;
        assert_int_equal(e2e_call(server.gateway_port, "GET", "/api/v1/queue/", SQL[i], DEMO_V5_KEY, NULL, &response),
                         0);
        assert_int_equal(response.status, 401);
        assert_clean_4xx(&response, "SQL in x-vol-tenant");
        th_response_free(&response);
        assert_int_equal(e2e_call(server.gateway_port, "GET", "/api/v1/queue/", DEMO_TENANT, SQL[i], NULL, &response),
                         0);
        assert_int_equal(response.status, 401);
        th_response_free(&response);
    }

    /* In query parameters: refused, or a list that shows only the caller's own jobs. */
    const char *queries[] = {
        "/api/v1/queue/?jobID=1%27%20OR%20%271%27=%271",
        "/api/v1/queue/?locationID=1;DROP%20TABLE%20jobs",
        "/api/v1/queue/?jobID=1,2)%20OR%20(1=1",
        "/api/commerce/inventory/v1/queue?locationCode=%27%20OR%201=1--&limit=10",
        "/api/commerce/inventory/v1/queue?limit=1%20OR%201=1",
        "/api/commerce/inventory/v1/queue?types=REFRESH%27--",
        "/api/v1/queue/?fulfillerID=%22;--",
    };
    for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
        th_response response;
        assert_int_equal(e2e_call(server.gateway_port, "GET", queries[i], DEMO_TENANT, DEMO_V5_KEY, NULL, &response),
                         0);
        if (response.status == 200) {
            json_object *list = th_json(&response);
            assert_non_null(list);
            json_object *jobs = json_object_is_type(list, json_type_array) ? list : json_object_object_get(list, "items");
            for (size_t j = 0; jobs && j < json_object_array_length(jobs); j++) {
                json_object *tenant = json_object_object_get(json_object_array_get_idx(jobs, j), "tenantID");
                assert_int_equal(json_object_get_int64(tenant), 12345);
            }
            json_object_put(list);
        } else {
            assert_clean_4xx(&response, queries[i]);
        }
        th_response_free(&response);
    }
    assert_still_serving("SQL metacharacters");
}

/* Numeric strings that strtod reads but JSON does not (".25", "5.", "+3", "0x10"): refused, or
 * accepted and then delivered; never accepted into a job that cannot be read back (found by the
 * refresh fuzz target: such a job ended FAILED, "The stored items of a chunk are corrupt"). */
static void test_numeric_strings_outside_json_grammar(void **state)
{
    (void)state;
    const char *values[] = {".25", "5.", "+3", "0x10", "1e2", "-0", "00", "1_000"};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        char body[256];
        snprintf(body, sizeof body,
                 "{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"NUMSTR-%zu\",\"quantity\":1,"
                 "\"ltd\":\"%s\",\"retailPrice\":\"%s\"}]}",
                 i, values[i], values[i]);
        th_response response;
        assert_int_equal(e2e_call(server.gateway_port, "POST", "/api/v5/inventory/refresh", DEMO_TENANT, DEMO_V5_KEY,
                                  body, &response),
                         0);
        if (response.status != 200) {
            assert_clean_4xx(&response, body);
            th_response_free(&response);
            continue;
        }
        json_object *reply = th_json(&response);
        int64_t job_id = json_object_get_int64(json_object_object_get(reply, "jobID"));
        json_object_put(reply);
        th_response_free(&response);
        json_object *job = wait_job_of(DEMO_TENANT, DEMO_V5_KEY, job_id);
        if (strcmp(json_object_get_string(json_object_object_get(job, "status")), "SUCCESS") != 0)
            fail_msg("%s was accepted but ended %s", body, json_object_to_json_string(job));
        json_object_put(job);
    }
    assert_still_serving("numeric strings outside JSON's grammar");
}

/* One byte a second: the server keeps serving others meanwhile, and a client that stops sending is
 * dropped within the connection timeout. */
static void test_slow_clients(void **state)
{
    (void)state;
    raw_reply *reply = malloc(sizeof *reply);
    /* Trickling the request line. */
    const char *line = "GET /healthz HTTP/1.1\r\n";
    int fd = raw_connect();
    for (int i = 0; i < 5; i++) {
        assert_int_equal(raw_send(fd, line + i, 1), 0);
        sleep(1);
        char url[128];
        th_url(url, sizeof url, server.gateway_port, "/healthz");
        th_response response;
        assert_int_equal(th_http("GET", url, NULL, NULL, 0, &response), 0);
        assert_int_equal(response.status, 200);
        th_response_free(&response);
    }
    raw_read(fd, (CONNECTION_TIMEOUT_SECONDS * 1000) + CLOSE_MARGIN_MS, 0, reply);
    if (!reply->closed)
        fail_msg("a client that stopped mid request line was not dropped within %d ms", (int)reply->waited);
    fprintf(stderr, "slow request line: dropped %lld ms after the last byte\n", (long long)reply->waited);
    close(fd);

    /* Trickling the body. */
    const char *head = "POST /api/v5/inventory/refresh HTTP/1.1\r\nHost: x\r\nx-vol-tenant: " DEMO_TENANT
                       "\r\nAuthorization: Bearer " DEMO_V5_KEY "\r\nContent-Type: application/json\r\n"
                       "Content-Length: 64\r\n\r\n";
    fd = raw_connect();
    assert_int_equal(raw_send(fd, head, strlen(head)), 0);
    const char *start_of_body = "{\"lo";
    for (int i = 0; i < 4; i++) {
        assert_int_equal(raw_send(fd, start_of_body + i, 1), 0);
        sleep(1);
    }
    assert_still_serving("a slow body in progress");
    raw_read(fd, (CONNECTION_TIMEOUT_SECONDS * 1000) + CLOSE_MARGIN_MS, 0, reply);
    if (!reply->closed)
        fail_msg("a client that stopped mid body was not dropped within %d ms", (int)reply->waited);
    if (raw_status(reply) != 0)
        assert_raw_clean_4xx(reply, "slow body");
    close(fd);
    free(reply);
    assert_still_serving("slow clients");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_broken_json_bodies),
        cmocka_unit_test(test_duplicate_keys_utf8_and_nul),
        cmocka_unit_test(test_oversized_bodies),
        cmocka_unit_test(test_lying_content_length),
        cmocka_unit_test(test_header_and_path_floods),
        cmocka_unit_test(test_path_traversal_in_ids),
        cmocka_unit_test(test_sql_metacharacters),
        cmocka_unit_test(test_numeric_strings_outside_json_grammar),
        cmocka_unit_test(test_slow_clients),
    };
    return cmocka_run_group_tests(tests, start_server, stop_server);
}
