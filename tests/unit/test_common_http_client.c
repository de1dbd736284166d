/*
 * test_common_http_client.c - one HTTP exchange on a reused libcurl handle (common/http_client.h)
 * against a real server in the test process (common/http_server.h on 127.0.0.1, plain and TLS
 * with a real self-signed certificate): what a request sends (method, bearer or Basic, content
 * type, extra headers, a fresh correlation id each call, a multipart upload), what a response
 * gives (status and body of any status, Retry-After as seconds or an HTTP date, capped, and only
 * on 429/503), and each transport failure with its flag and detail: refused, dropped, timed out,
 * stopped by should_stop, an answer longer than response_max, a certificate not verified. The pool
 * hands back the client last given.
 */
#include "tests/support/rsa_fixture.h"
#include "tests/support/test_support.h"

#include <json-c/json.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/http_client.h"
#include "common/http_server.h"

typedef struct servers {
    char dir[256];
    th_rsa tls_key;
    cm_http_server *plain, *tls;
    int plain_port, tls_port;
    char *certificate_pem, *key_pem;
} servers;

static servers the;

/* Answers with what it received: method, the headers of interest and the body. */
static void handle_echo(cm_http_request *request, void *data)
{
    (void)data;
    json_object *echo = json_object_new_object();
    const char *names[] = {"Authorization", "Content-Type", "correlation-id", "X-Extra", "Accept", "User-Agent"};
    json_object_object_add(echo, "method", json_object_new_string(cm_http_method(request)));
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const char *value = cm_http_header(request, names[i]);
        if (value)
            json_object_object_add(echo, names[i], json_object_new_string(value));
    }
    size_t length = 0;
    const char *body = cm_http_body(request, &length);
    json_object_object_add(echo, "body", json_object_new_string_len(body ? body : "", (int)length));
    cm_http_reply_json(request, 200, echo); /* takes it */
}

/* /status/{code}?retry=VALUE: that status, with a Retry-After header when asked. */
static void handle_status(cm_http_request *request, void *data)
{
    (void)data;
    const char *retry = cm_http_query(request, "retry");
    if (retry)
        cm_http_add_header(request, "Retry-After", retry);
    int status = atoi(cm_http_param(request, "code"));
    cm_http_reply_bytes(request, status, "text/plain", "status body", 11);
}

static void handle_big(cm_http_request *request, void *data)
{
    (void)data;
    char *text = malloc(5000);
    memset(text, 'x', 5000);
    cm_http_reply_owned(request, 200, "text/plain", text, 5000);
}

static void handle_slow(cm_http_request *request, void *data)
{
    (void)data;
    cm_sleep_ms(1500);
    cm_http_reply_bytes(request, 200, "text/plain", "late", 4);
}

static void handle_drop(cm_http_request *request, void *data)
{
    (void)data;
    cm_http_drop(request);
}

static const cm_http_route ROUTES[] = {
    {.match = {"GET", "/echo"}, .handler = handle_echo},
    {.match = {"POST", "/echo"}, .handler = handle_echo},
    {.match = {"DELETE", "/echo"}, .handler = handle_echo},
    {.match = {"GET", "/status/{code}"}, .handler = handle_status},
    {.match = {"GET", "/big"}, .handler = handle_big},
    {.match = {"GET", "/slow"}, .handler = handle_slow},
    {.match = {"GET", "/drop"}, .handler = handle_drop},
};

static cm_http_server *start(const char *certificate_pem, const char *key_pem)
{
    cm_http_server_config config = {
        .name = "test",
        .bind_address = "127.0.0.1",
        .body_limit = 1 << 20,
        .threads = 4,
        .connection_timeout_seconds = 10,
        .connection_limit = 32,
        .routes = ROUTES,
        .route_count = sizeof ROUTES / sizeof ROUTES[0],
        .tls_certificate_pem = certificate_pem,
        .tls_key_pem = key_pem,
    };
    cm_http_server *server = NULL;
    char error[CM_HTTP_ERROR_MAX];
    if (cm_http_server_start(&config, &server, error) != CM_OK)
        fail_msg("server: %s", error);
    return server;
}

static int group_setup(void **state)
{
    (void)state;
    assert_int_equal(cm_httpc_global_init(), CM_OK);
    th_temp_dir(the.dir, sizeof the.dir);
    th_rsa_make(&the.tls_key, the.dir, "server");
    size_t length = 0;
    the.certificate_pem = th_read_file(the.tls_key.cert_path, &length);
    the.key_pem = th_read_file(the.tls_key.key_path, &length);
    assert_non_null(the.certificate_pem);
    assert_non_null(the.key_pem);
    the.plain = start(NULL, NULL);
    the.plain_port = cm_http_server_port(the.plain);
    the.tls = start(the.certificate_pem, the.key_pem);
    the.tls_port = cm_http_server_port(the.tls);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    cm_http_server_stop(the.plain);
    cm_http_server_stop(the.tls);
    free(the.certificate_pem);
    free(the.key_pem);
    th_rsa_free(&the.tls_key);
    th_remove_tree(the.dir);
    return 0;
}

static const cm_httpc_settings SETTINGS = {.connect_timeout_ms = 2000, .total_timeout_ms = 10000, .verify_tls = 1};

static void url_of(char *out, size_t size, const char *scheme, int port, const char *path)
{
    snprintf(out, size, "%s://127.0.0.1:%d%s", scheme, port, path);
}

/* Performs `request` on a fresh pool's client; the response is the caller's to free. */
static cm_err perform(const cm_httpc_settings *settings, const cm_httpc_request *request,
                      cm_httpc_response *response)
{
    cm_httpc_pool *pool = cm_httpc_pool_new(settings);
    assert_non_null(pool);
    cm_httpc_client *client = cm_httpc_take(pool);
    assert_non_null(client);
    cm_err rc = cm_httpc_perform(client, request, response);
    cm_httpc_give(pool, client);
    cm_httpc_pool_free(pool);
    return rc;
}

static json_object *parse_echo(const cm_httpc_response *response)
{
    json_object *echo = json_tokener_parse(response->body.data ? response->body.data : "");
    assert_non_null(echo);
    return echo;
}

static const char *field(json_object *echo, const char *name)
{
    json_object *value = NULL;
    return json_object_object_get_ex(echo, name, &value) ? json_object_get_string(value) : NULL;
}

static void test_a_post_sends_its_headers_and_body(void **state)
{
    (void)state;
    char url[128];
    url_of(url, sizeof url, "http", the.plain_port, "/echo");
    const char *extra[] = {"X-Extra: one", NULL};
    cm_httpc_request request = {.method = "POST", .url = url, .bearer = "tok-123", .content_type = "application/json",
                                .body = "{\"a\":1}", .body_length = 7, .extra_headers = extra};
    cm_httpc_response response;
    assert_int_equal(perform(&SETTINGS, &request, &response), CM_OK);
    assert_int_equal(response.status, 200);
    assert_int_equal(response.transport_error, 0);
    assert_int_equal(response.retry_after_ms, -1);
    json_object *echo = parse_echo(&response);
    assert_string_equal(field(echo, "method"), "POST");
    assert_string_equal(field(echo, "Authorization"), "Bearer tok-123");
    assert_string_equal(field(echo, "Content-Type"), "application/json");
    assert_string_equal(field(echo, "X-Extra"), "one");
    assert_string_equal(field(echo, "Accept"), "application/json");
    assert_non_null(strstr(field(echo, "User-Agent"), "omsgw/"));
    assert_string_equal(field(echo, "body"), "{\"a\":1}");
    /* The correlation id sent is the one the response reports. */
    assert_int_equal(strlen(response.correlation_id), CM_UUID_TEXT_LEN);
    assert_string_equal(field(echo, "correlation-id"), response.correlation_id);
    json_object_put(echo);
    cm_httpc_response_free(&response);
}

/* The same client twice: the second call carries none of the first's options, and a new id. */
static void test_a_reused_client_starts_each_call_afresh(void **state)
{
    (void)state;
    cm_httpc_pool *pool = cm_httpc_pool_new(&SETTINGS);
    cm_httpc_client *client = cm_httpc_take(pool);
    char url[128];
    url_of(url, sizeof url, "http", the.plain_port, "/echo");
    cm_httpc_request first = {.method = "POST", .url = url, .basic_user = "client-id", .basic_password = "sec:ret",
                              .content_type = "application/x-www-form-urlencoded", .body = "a=b", .body_length = 3};
    cm_httpc_response response;
    assert_int_equal(cm_httpc_perform(client, &first, &response), CM_OK);
    json_object *echo = parse_echo(&response);
    /* "client-id:sec:ret" in base64. */
    assert_string_equal(field(echo, "Authorization"), "Basic Y2xpZW50LWlkOnNlYzpyZXQ=");
    char first_id[CM_UUID_TEXT_LEN + 1];
    snprintf(first_id, sizeof first_id, "%s", response.correlation_id);
    json_object_put(echo);
    cm_httpc_response_free(&response);

    cm_httpc_request second = {.method = "DELETE", .url = url};
    assert_int_equal(cm_httpc_perform(client, &second, &response), CM_OK);
    echo = parse_echo(&response);
    assert_string_equal(field(echo, "method"), "DELETE");
    assert_null(field(echo, "Authorization"));
    assert_null(field(echo, "Content-Type"));
    assert_string_equal(field(echo, "body"), "");
    assert_string_not_equal(response.correlation_id, first_id);
    json_object_put(echo);
    cm_httpc_response_free(&response);

    /* The pool gives back the client it was last given; a second take makes another. */
    cm_httpc_give(pool, client);
    cm_httpc_client *again = cm_httpc_take(pool);
    assert_ptr_equal(again, client);
    cm_httpc_client *other = cm_httpc_take(pool);
    assert_non_null(other);
    assert_ptr_not_equal(other, client);
    cm_httpc_give(pool, again);
    cm_httpc_give(pool, other);
    cm_httpc_give(pool, NULL);
    cm_httpc_pool_free(pool);
    cm_httpc_pool_free(NULL);
}

static void test_an_upload_is_one_multipart_file_part(void **state)
{
    (void)state;
    char url[128];
    url_of(url, sizeof url, "http", the.plain_port, "/echo");
    cm_httpc_request request = {.method = "POST", .url = url, .content_type = "ignored/for-uploads",
                                .body = "line-1\nline-2\n", .body_length = 14, .upload_field = "file",
                                .upload_name = "records.ndjson.gz", .upload_type = "application/gzip"};
    cm_httpc_response response;
    assert_int_equal(perform(&SETTINGS, &request, &response), CM_OK);
    json_object *echo = parse_echo(&response);
    assert_non_null(strstr(field(echo, "Content-Type"), "multipart/form-data; boundary="));
    const char *body = field(echo, "body");
    assert_non_null(strstr(body, "Content-Disposition: form-data; name=\"file\"; filename=\"records.ndjson.gz\""));
    assert_non_null(strstr(body, "Content-Type: application/gzip"));
    assert_non_null(strstr(body, "\r\n\r\nline-1\nline-2\n\r\n"));
    json_object_put(echo);
    cm_httpc_response_free(&response);
}

/* Any status is an answer (CM_OK), with its body. */
static void test_error_statuses_are_answers(void **state)
{
    (void)state;
    const int statuses[] = {400, 401, 404, 500};
    for (size_t i = 0; i < 4; i++) {
        char path[64], url[128];
        snprintf(path, sizeof path, "/status/%d?retry=5", statuses[i]);
        url_of(url, sizeof url, "http", the.plain_port, path);
        cm_httpc_request request = {.method = "GET", .url = url};
        cm_httpc_response response;
        assert_int_equal(perform(&SETTINGS, &request, &response), CM_OK);
        assert_int_equal(response.status, statuses[i]);
        assert_string_equal(response.body.data, "status body");
        /* Retry-After counts only on 429 and 503. */
        assert_int_equal(response.retry_after_ms, -1);
        cm_httpc_response_free(&response);
    }
}

static int64_t retry_after_of(int status, const char *value)
{
    char path[256], url[320];
    snprintf(path, sizeof path, "/status/%d?retry=%s", status, value);
    url_of(url, sizeof url, "http", the.plain_port, path);
    cm_httpc_request request = {.method = "GET", .url = url};
    cm_httpc_response response;
    assert_int_equal(perform(&SETTINGS, &request, &response), CM_OK);
    assert_int_equal(response.status, status);
    int64_t ms = response.retry_after_ms;
    cm_httpc_response_free(&response);
    return ms;
}

/* An HTTP date `seconds` from now, percent-encoded for the query string. */
static void http_date_in(int64_t seconds, char *out, size_t size)
{
    time_t when = time(NULL) + (time_t)seconds;
    struct tm tm;
    gmtime_r(&when, &tm);
    strftime(out, size, "%a,%%20%d%%20%b%%20%Y%%20%H:%M:%S%%20GMT", &tm);
}

static void test_retry_after_in_seconds_or_as_a_date(void **state)
{
    (void)state;
    assert_int_equal(retry_after_of(429, "7"), 7000);
    assert_int_equal(retry_after_of(503, "0"), 0);
    assert_int_equal(retry_after_of(503, "%20%2012%20"), 12000);
    /* Huge values are capped at a day, without overflowing. */
    assert_int_equal(retry_after_of(429, "99999999999999999999999"), CM_HTTPC_RETRY_AFTER_MAX_MS);
    char date[96];
    http_date_in(120, date, sizeof date);
    int64_t ms = retry_after_of(429, date);
    assert_true(ms > 100 * 1000 && ms <= 121 * 1000);
    http_date_in(-3600, date, sizeof date);
    assert_int_equal(retry_after_of(503, date), 0);
    http_date_in(400LL * 24 * 3600, date, sizeof date);
    assert_int_equal(retry_after_of(503, date), CM_HTTPC_RETRY_AFTER_MAX_MS);
    /* Unreadable: as if absent. */
    assert_int_equal(retry_after_of(429, "soon"), -1);
    assert_int_equal(retry_after_of(429, "5%20minutes"), -1);
}

static void test_an_answer_longer_than_the_maximum_is_refused(void **state)
{
    (void)state;
    char url[128];
    url_of(url, sizeof url, "http", the.plain_port, "/big");
    cm_httpc_request request = {.method = "GET", .url = url, .response_max = 1000};
    cm_httpc_response response;
    assert_int_equal(perform(&SETTINGS, &request, &response), CM_ETOOBIG);
    assert_int_equal(response.too_big, 1);
    assert_int_equal(response.transport_error, 1);
    assert_int_equal(response.status, 0);
    assert_string_equal(response.detail, "the answer was longer than 1000 bytes");
    cm_httpc_response_free(&response);
    /* Exactly enough room is fine. */
    request.response_max = 5000;
    assert_int_equal(perform(&SETTINGS, &request, &response), CM_OK);
    assert_int_equal(response.body.length, 5000);
    cm_httpc_response_free(&response);
}

static void test_refused_and_dropped_connections_are_transport_errors(void **state)
{
    (void)state;
    cm_httpc_request request = {.method = "GET", .url = "http://127.0.0.1:1/echo"};
    cm_httpc_response response;
    assert_int_equal(perform(&SETTINGS, &request, &response), CM_EIO);
    assert_int_equal(response.transport_error, 1);
    assert_int_equal(response.status, 0);
    assert_int_equal(response.timed_out, 0);
    assert_int_equal(response.tls_error, 0);
    assert_true(response.detail[0] != '\0');
    cm_httpc_response_free(&response);

    char url[128];
    url_of(url, sizeof url, "http", the.plain_port, "/drop");
    request.url = url;
    assert_int_equal(perform(&SETTINGS, &request, &response), CM_EIO);
    assert_int_equal(response.transport_error, 1);
    assert_int_equal(response.status, 0);
    cm_httpc_response_free(&response);

    /* Only http and https. */
    request.url = "file:///etc/passwd";
    assert_int_equal(perform(&SETTINGS, &request, &response), CM_EIO);
    assert_int_equal(response.transport_error, 1);
    assert_null(response.body.data);
    cm_httpc_response_free(&response);
}

static void test_a_slow_answer_times_out(void **state)
{
    (void)state;
    char url[128];
    url_of(url, sizeof url, "http", the.plain_port, "/slow");
    cm_httpc_settings quick = SETTINGS;
    quick.total_timeout_ms = 300;
    cm_httpc_request request = {.method = "GET", .url = url};
    cm_httpc_response response;
    assert_int_equal(perform(&quick, &request, &response), CM_EIO);
    assert_int_equal(response.timed_out, 1);
    assert_int_equal(response.transport_error, 1);
    assert_int_equal(response.stopped, 0);
    cm_httpc_response_free(&response);
}

static int stop_after_a_few_polls(void *data)
{
    atomic_int *polls = data;
    return atomic_fetch_add(polls, 1) >= 3;
}

static void test_should_stop_aborts_a_transfer(void **state)
{
    (void)state;
    char url[128];
    url_of(url, sizeof url, "http", the.plain_port, "/slow");
    atomic_int polls = 0;
    cm_httpc_request request = {.method = "GET", .url = url, .should_stop = stop_after_a_few_polls,
                                .stop_data = &polls};
    cm_httpc_response response;
    assert_int_equal(perform(&SETTINGS, &request, &response), CM_ESTOPPING);
    assert_int_equal(response.stopped, 1);
    assert_int_equal(response.transport_error, 1);
    assert_int_equal(response.timed_out, 0);
    assert_true(atomic_load(&polls) >= 4);
    cm_httpc_response_free(&response);
}

/* A self-signed certificate: refused with verification on (tls_error, a detail that says TLS),
 * accepted with it off; plain HTTP spoken to the TLS port is no answer either. */
static void test_tls_verification(void **state)
{
    (void)state;
    char url[128];
    url_of(url, sizeof url, "https", the.tls_port, "/echo");
    cm_httpc_request request = {.method = "GET", .url = url};
    cm_httpc_response response;
    assert_int_equal(perform(&SETTINGS, &request, &response), CM_EIO);
    assert_int_equal(response.tls_error, 1);
    assert_non_null(strstr(response.detail, "TLS failure (certificate not verified or handshake failed): "));
    assert_null(strstr(response.detail, "verifyTls off"));
    cm_httpc_response_free(&response);

    cm_httpc_settings trusting = SETTINGS;
    trusting.verify_tls = 0;
    assert_int_equal(perform(&trusting, &request, &response), CM_OK);
    assert_int_equal(response.status, 200);
    json_object *echo = parse_echo(&response);
    assert_string_equal(field(echo, "method"), "GET");
    json_object_put(echo);
    cm_httpc_response_free(&response);

    /* https to the plain port: the handshake fails, and the detail says verification was off. */
    url_of(url, sizeof url, "https", the.plain_port, "/echo");
    assert_int_equal(perform(&trusting, &request, &response), CM_EIO);
    assert_int_equal(response.tls_error, 1);
    assert_non_null(strstr(response.detail, "(verifyTls off)"));
    cm_httpc_response_free(&response);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_post_sends_its_headers_and_body),
        cmocka_unit_test(test_a_reused_client_starts_each_call_afresh),
        cmocka_unit_test(test_an_upload_is_one_multipart_file_part),
        cmocka_unit_test(test_error_statuses_are_answers),
        cmocka_unit_test(test_retry_after_in_seconds_or_as_a_date),
        cmocka_unit_test(test_an_answer_longer_than_the_maximum_is_refused),
        cmocka_unit_test(test_refused_and_dropped_connections_are_transport_errors),
        cmocka_unit_test(test_a_slow_answer_times_out),
        cmocka_unit_test(test_should_stop_aborts_a_transfer),
        cmocka_unit_test(test_tls_verification),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
