/*
 * test_common_http_server_defer.c - deferred answers of common/http_server.h (cm_http_defer), on a
 * real server on 127.0.0.1 with ONE request thread, spoken to with libcurl: a deferred request
 * answered later from another thread gets its status and body, and the one request
 * thread serves another connection meanwhile; an error answered from another thread goes through
 * the API's error writer; a handler that defers and answers before returning is answered;
 * stopping the server waits for a deferred request's answer instead of freeing it under the
 * thread that answers; and once the server finishes its deferred requests (before a stop) a
 * handler can no longer defer and answers on its own thread.
 */
#include "tests/support/test_support.h"

#include <json-c/json.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/http_client.h"
#include "common/http_server.h"

/* The requests parked by /later, answered by the test's own thread. */
typedef struct parked {
    sem_t arrived;   /* posted once /later deferred its request */
    sem_t release;   /* the answering thread waits for it */
    cm_http_request *request;
    int as_error;    /* answer through cm_http_reply_error */
    pthread_t answerer;
    atomic_int answered;
} parked;

static parked the_parked;

static void *answer_later(void *arg)
{
    parked *p = arg;
    while (sem_wait(&p->release) != 0) {
    }
    if (p->as_error)
        cm_http_reply_error(p->request, 503, "SLOW_STORE", "answered from another thread", NULL);
    else
        cm_http_reply_bytes(p->request, 200, "application/json", "{\"late\":true}", 13);
    atomic_store(&p->answered, 1);
    return NULL;
}

static void handle_later(cm_http_request *request, void *data)
{
    parked *p = data;
    p->as_error = cm_http_query(request, "error") != NULL;
    p->request = request;
    cm_http_defer(request);
    pthread_create(&p->answerer, NULL, answer_later, p);
    sem_post(&p->arrived);
}

static void handle_now(cm_http_request *request, void *data)
{
    (void)data;
    cm_http_reply_bytes(request, 200, "text/plain", "now", 3);
}

/* Defers, then answers itself before returning (what a backend that commits inline does). */
static void handle_defer_inline(cm_http_request *request, void *data)
{
    (void)data;
    cm_http_defer(request);
    cm_http_reply_json(request, 201, json_object_new_string("inline"));
}

/* Defers when it may, and says which way it answered. */
static void handle_try_defer(cm_http_request *request, void *data)
{
    (void)data;
    if (cm_http_defer(request) == 0)
        cm_http_reply_bytes(request, 200, "text/plain", "deferred", 8);
    else
        cm_http_reply_bytes(request, 200, "text/plain", "on its thread", 13);
}

static void error_writer(cm_http_request *request, int status, const char *code, const char *message,
                         const char *field, void *data)
{
    (void)field;
    (void)data;
    char text[256];
    int length = snprintf(text, sizeof text, "{\"errorCode\":\"%s\",\"message\":\"%s\"}", code, message);
    cm_http_reply_bytes(request, status, "application/json", text, (size_t)length);
}

static const cm_http_route routes[] = {
    {{"GET", "/later"}, handle_later, &the_parked, 0, 0},
    {{"GET", "/now"}, handle_now, NULL, 0, 0},
    {{"GET", "/inline"}, handle_defer_inline, NULL, 0, 0},
    {{"GET", "/try"}, handle_try_defer, NULL, 0, 0},
};

static cm_http_server *start_server(int *port)
{
    cm_http_server_config config = {
        .name = "defer-test",
        .bind_address = "127.0.0.1",
        .threads = 1, /* a blocked thread would stall /now */
        .body_limit = 1 << 16,
        .routes = routes,
        .route_count = sizeof routes / sizeof routes[0],
        .error_writer = error_writer,
    };
    cm_http_server *server = NULL;
    char error[CM_HTTP_ERROR_MAX];
    assert_int_equal(cm_http_server_start(&config, &server, error), CM_OK);
    *port = cm_http_server_port(server);
    return server;
}

typedef struct exchange {
    char url[128];
    long status;
    char body[256];
    pthread_t thread;
} exchange;

static void *perform(void *arg)
{
    exchange *e = arg;
    cm_httpc_settings settings = {.connect_timeout_ms = 5000, .total_timeout_ms = 20000};
    cm_httpc_pool *pool = cm_httpc_pool_new(&settings);
    cm_httpc_client *client = cm_httpc_take(pool);
    cm_httpc_request request = {.method = "GET", .url = e->url, .response_max = 4096};
    cm_httpc_response response;
    cm_err rc = cm_httpc_perform(client, &request, &response);
    e->status = rc == CM_OK ? response.status : -1;
    snprintf(e->body, sizeof e->body, "%s", response.body.data ? response.body.data : "");
    cm_httpc_response_free(&response);
    cm_httpc_give(pool, client);
    cm_httpc_pool_free(pool);
    return NULL;
}

static void start_exchange(exchange *e, int port, const char *path)
{
    memset(e, 0, sizeof *e);
    snprintf(e->url, sizeof e->url, "http://127.0.0.1:%d%s", port, path);
    pthread_create(&e->thread, NULL, perform, e);
}

static int setup(void **state)
{
    (void)state;
    memset(&the_parked, 0, sizeof the_parked);
    sem_init(&the_parked.arrived, 0, 0);
    sem_init(&the_parked.release, 0, 0);
    return cm_httpc_global_init() == CM_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    sem_destroy(&the_parked.arrived);
    sem_destroy(&the_parked.release);
    return 0;
}

static void wait_arrived(void)
{
    while (sem_wait(&the_parked.arrived) != 0) {
    }
}

static void test_answered_later_while_the_thread_serves_others(void **state)
{
    (void)state;
    int port = 0;
    cm_http_server *server = start_server(&port);
    exchange slow, fast;
    start_exchange(&slow, port, "/later");
    wait_arrived();
    /* The only request thread is free: /now is answered while /later waits. */
    start_exchange(&fast, port, "/now");
    pthread_join(fast.thread, NULL);
    assert_int_equal(fast.status, 200);
    assert_string_equal(fast.body, "now");
    assert_int_equal(atomic_load(&the_parked.answered), 0);
    sem_post(&the_parked.release);
    pthread_join(slow.thread, NULL);
    pthread_join(the_parked.answerer, NULL);
    assert_int_equal(slow.status, 200);
    assert_string_equal(slow.body, "{\"late\":true}");
    cm_http_server_stop(server);
}

static void test_error_answered_later_goes_through_the_writer(void **state)
{
    (void)state;
    int port = 0;
    cm_http_server *server = start_server(&port);
    exchange slow;
    start_exchange(&slow, port, "/later?error=1");
    wait_arrived();
    sem_post(&the_parked.release);
    pthread_join(slow.thread, NULL);
    pthread_join(the_parked.answerer, NULL);
    assert_int_equal(slow.status, 503);
    assert_non_null(strstr(slow.body, "\"errorCode\":\"SLOW_STORE\""));
    assert_non_null(strstr(slow.body, "answered from another thread"));
    cm_http_server_stop(server);
}

static void test_deferred_and_answered_before_returning(void **state)
{
    (void)state;
    int port = 0;
    cm_http_server *server = start_server(&port);
    for (int i = 0; i < 20; i++) {
        exchange e;
        start_exchange(&e, port, "/inline");
        pthread_join(e.thread, NULL);
        assert_int_equal(e.status, 201);
        assert_string_equal(e.body, "\"inline\"");
    }
    cm_http_server_stop(server);
}

/* Once the server finishes its deferred requests (before a stop), a handler can no longer defer:
 * cm_http_defer says so, and the handler answers on its own thread. */
static void test_no_deferral_once_finishing(void **state)
{
    (void)state;
    int port = 0;
    cm_http_server *server = start_server(&port);
    exchange e;
    start_exchange(&e, port, "/try");
    pthread_join(e.thread, NULL);
    assert_int_equal(e.status, 200);
    assert_string_equal(e.body, "deferred");
    cm_http_server_finish_deferred(server);
    start_exchange(&e, port, "/try");
    pthread_join(e.thread, NULL);
    assert_int_equal(e.status, 200);
    assert_string_equal(e.body, "on its thread");
    cm_http_server_stop(server);
}

typedef struct stopper {
    cm_http_server *server;
    atomic_int stopped;
} stopper;

static void *stop_server(void *arg)
{
    stopper *s = arg;
    cm_http_server_stop(s->server);
    atomic_store(&s->stopped, 1);
    return NULL;
}

static void test_stop_waits_for_a_deferred_answer(void **state)
{
    (void)state;
    int port = 0;
    stopper s = {.server = start_server(&port)};
    exchange slow;
    start_exchange(&slow, port, "/later");
    wait_arrived();
    pthread_t thread;
    pthread_create(&thread, NULL, stop_server, &s);
    cm_sleep_ms(300);
    assert_int_equal(atomic_load(&s.stopped), 0); /* the request is still the answerer's */
    sem_post(&the_parked.release);
    pthread_join(thread, NULL);
    pthread_join(the_parked.answerer, NULL);
    pthread_join(slow.thread, NULL);
    assert_int_equal(atomic_load(&s.stopped), 1);
    assert_int_equal(atomic_load(&the_parked.answered), 1);
    /* Stopped right after the answer was handed over: it may or may not have reached the client,
     * but the request was never used after it was freed (AddressSanitizer watches that). */
    assert_true(slow.status == 200 || slow.status == -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_answered_later_while_the_thread_serves_others, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_answered_later_goes_through_the_writer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deferred_and_answered_before_returning, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_waits_for_a_deferred_answer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_deferral_once_finishing, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
