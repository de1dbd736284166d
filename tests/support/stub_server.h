/*
 * stub_server.h - a scripted HTTP listener for tests, on common/http_server.h at 127.0.0.1 and a
 * free port: it serves the routes it is given with a script of answers in order (the last one
 * repeats; no script: 500 NoScript), and records every request it received (method, path,
 * Authorization, Content-Type, correlation-id, body). For answers a real service never gives on
 * purpose: refusals, odd statuses, dropped connections, Retry-After. Fails the test when it
 * cannot start.
 */
#ifndef TEST_STUB_SERVER_H
#define TEST_STUB_SERVER_H

#include <pthread.h>
#include <stddef.h>

#include "common/http_server.h"
#include "common/router.h"

#define TH_STUB_ANSWERS_MAX 16
#define TH_STUB_SEEN_MAX 64
#define TH_STUB_ROUTES_MAX 16

typedef struct th_stub_answer {
    int status;
    const char *body; /* NULL: empty */
    const char *retry_after;
    int drop; /* 1: close the connection without an answer */
} th_stub_answer;

typedef struct th_stub_seen {
    char method[8];
    char path[256];
    char *authorization; /* owned, NULL when absent */
    char content_type[128];
    char correlation_id[64];
    char *body; /* owned, NUL-terminated (may hold NULs: see body_length) */
    size_t body_length;
} th_stub_seen;

typedef struct th_stub {
    cm_http_server *server;
    int port;
    pthread_mutex_t lock;
    th_stub_answer answers[TH_STUB_ANSWERS_MAX];
    size_t answer_count, next;
    th_stub_seen seen[TH_STUB_SEEN_MAX]; /* the first TH_STUB_SEEN_MAX requests since the script */
    size_t seen_count;
    cm_http_route routes[TH_STUB_ROUTES_MAX];
} th_stub;

/* Serves every route of `patterns` (at most TH_STUB_ROUTES_MAX) with the one script. */
void th_stub_start(th_stub *stub, const cm_route_pattern *patterns, size_t count);

/* Replaces the script (at most TH_STUB_ANSWERS_MAX answers) and forgets what was seen. */
void th_stub_script(th_stub *stub, const th_stub_answer *answers, size_t count);

void th_stub_stop(th_stub *stub);

#endif
