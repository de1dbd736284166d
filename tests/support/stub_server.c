#include "tests/support/stub_server.h"
#include "tests/support/test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void stub_handle(cm_http_request *request, void *data)
{
    th_stub *s = data;
    pthread_mutex_lock(&s->lock);
    if (s->seen_count < TH_STUB_SEEN_MAX) {
        th_stub_seen *seen = &s->seen[s->seen_count++];
        snprintf(seen->method, sizeof seen->method, "%s", cm_http_method(request));
        snprintf(seen->path, sizeof seen->path, "%s", cm_http_path(request));
        const char *value = cm_http_header(request, "Authorization");
        seen->authorization = value ? strdup(value) : NULL;
        value = cm_http_header(request, "Content-Type");
        snprintf(seen->content_type, sizeof seen->content_type, "%s", value ? value : "");
        value = cm_http_header(request, "correlation-id");
        snprintf(seen->correlation_id, sizeof seen->correlation_id, "%s", value ? value : "");
        size_t length = 0;
        const char *body = cm_http_body(request, &length);
        seen->body = malloc(length + 1);
        if (seen->body) {
            if (length)
                memcpy(seen->body, body, length);
            seen->body[length] = '\0';
            seen->body_length = length;
        }
    }
    th_stub_answer answer = {.status = 500, .body = "{\"errorCode\":\"NoScript\"}"};
    if (s->answer_count)
        answer = s->answers[s->next < s->answer_count ? s->next++ : s->answer_count - 1];
    pthread_mutex_unlock(&s->lock);
    if (answer.drop) {
        cm_http_drop(request);
        return;
    }
    if (answer.retry_after)
        cm_http_add_header(request, "Retry-After", answer.retry_after);
    const char *body = answer.body ? answer.body : "";
    cm_http_reply_bytes(request, answer.status, "application/json", body, strlen(body));
}

void th_stub_start(th_stub *s, const cm_route_pattern *patterns, size_t count)
{
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->lock, NULL);
    assert_true(count <= TH_STUB_ROUTES_MAX);
    for (size_t i = 0; i < count; i++)
        s->routes[i] = (cm_http_route){patterns[i], stub_handle, s, 0, 0};
    cm_http_server_config config = {.name = "stub",
                                    .bind_address = "127.0.0.1",
                                    .body_limit = 1 << 20,
                                    .threads = 2,
                                    .connection_timeout_seconds = 10,
                                    .connection_limit = 16,
                                    .routes = s->routes,
                                    .route_count = count};
    char error[CM_HTTP_ERROR_MAX];
    if (cm_http_server_start(&config, &s->server, error) != CM_OK)
        fail_msg("stub: %s", error);
    s->port = cm_http_server_port(s->server);
}

void th_stub_script(th_stub *s, const th_stub_answer *answers, size_t count)
{
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->seen_count; i++) {
        free(s->seen[i].authorization);
        free(s->seen[i].body);
    }
    memset(s->seen, 0, sizeof s->seen);
    s->seen_count = 0;
    assert_true(count <= TH_STUB_ANSWERS_MAX);
    if (count)
        memcpy(s->answers, answers, count * sizeof *answers);
    s->answer_count = count;
    s->next = 0;
    pthread_mutex_unlock(&s->lock);
}

void th_stub_stop(th_stub *s)
{
    cm_http_server_stop(s->server);
    th_stub_script(s, NULL, 0);
    pthread_mutex_destroy(&s->lock);
}
