/*
 * http_server.h - the project's HTTP server on libmicrohttpd.
 *
 * What it promises:
 * - Routes are matched by method and path pattern (router.h); a trailing slash is optional; the
 *   query string is parsed (query.h) and unknown parameters are simply not asked for.
 * - A handler is called once, on a server thread, after the whole body has arrived. It must answer
 *   exactly once with one of the cm_http_reply_* calls; a handler that does not is answered 500.
 *   A handler may defer its answer (cm_http_defer) and give it later from another thread: the
 *   server thread goes on with other connections meanwhile.
 * - Bodies are bounded: a Content-Length above the route's limit is answered 413 before any byte
 *   of the body is read; a chunked body that passes the limit closes the connection. A route may
 *   ask for its body in a temporary file instead of memory (large uploads).
 * - Every error reply (404, 405, 413, 500 and the handlers' own) is written by the one
 *   error-writer function the server was configured with, so each API keeps its own error shape.
 * - Per-request state is created on the first callback and freed in exactly one place, the
 *   request-completed callback.
 * - cm_http_server_start binds the listening socket itself, so "port in use" is reported clearly.
 * - Every request is counted in the metrics registry (common/metrics.h) by listener, route
 *   pattern (never the raw path) and status, with its latency; open connections are a gauge.
 */
#ifndef CM_HTTP_SERVER_H
#define CM_HTTP_SERVER_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/query.h"
#include "common/router.h"

#define CM_HTTP_ERROR_MAX 256
#define CM_HTTP_MAX_EXTRA_HEADERS 16

typedef struct cm_http_server cm_http_server;
typedef struct cm_http_request cm_http_request;

typedef void (*cm_http_handler)(cm_http_request *request, void *data);

typedef struct cm_http_route {
    cm_route_pattern match; /* must stay first: the router reads the table through it */
    cm_http_handler handler;
    void *data;
    size_t body_limit; /* 0: the server's default */
    int body_to_file;  /* 1: the body goes to a temporary file (see cm_http_body_file) */
} cm_http_route;

/*
 * Writes an error reply in the API's own shape. `code` is a machine-readable code, `message` one
 * sentence, `field` the offending field or NULL. It must call one of the cm_http_reply_* calls.
 */
typedef void (*cm_http_error_writer)(cm_http_request *request, int status, const char *code,
                                     const char *message, const char *field, void *data);

/* Called first for every request, before routing: the place for correlation ids. */
typedef void (*cm_http_before)(cm_http_request *request, void *data);

/*
 * Called once per request: the place for a request journal. For an answered request it runs when
 * the reply is queued (before the client can have it, so a journal read after the answer sees the
 * entry); for one that got no reply (dropped, or the client went away) when it ends, with status
 * 0. `elapsed_ms` runs from the first byte of the request line. The request's accessors (method,
 * path, headers, body, user data) are valid; replying is not.
 */
typedef void (*cm_http_after)(cm_http_request *request, int status, int64_t elapsed_ms, void *data);

typedef struct cm_http_server_config {
    const char *name;         /* for logs: "gateway", "oci" */
    const char *bind_address; /* NULL or "0.0.0.0": every IPv4 address */
    int port;                 /* 0: any free port (see cm_http_server_port) */
    size_t body_limit;
    int threads;
    int connection_timeout_seconds;
    int connection_limit;
    const cm_http_route *routes;
    size_t route_count;
    cm_http_error_writer error_writer;
    void *error_data;
    cm_http_before before;
    void *before_data;
    const char *temp_dir; /* for body_to_file routes; NULL: /tmp */
    cm_http_after after;  /* NULL: none */
    void *after_data;
    /* A header added to every reply of this server, errors of the server itself included
     * (NULL: none). Both strings must outlive the server. */
    const char *fixed_header_name, *fixed_header_value;
    /* TLS (HTTPS through libmicrohttpd's GnuTLS support): both PEM texts, or both NULL for plain
     * HTTP. Copied at start; common/tls.h loads and checks them. */
    const char *tls_certificate_pem;
    const char *tls_key_pem;
} cm_http_server_config;

/* Starts listening. The config's route table must outlive the server. */
cm_err cm_http_server_start(const cm_http_server_config *config, cm_http_server **out,
                            char error[CM_HTTP_ERROR_MAX]);

/* The port actually bound. */
int cm_http_server_port(const cm_http_server *server);

/* Stops accepting new connections; requests in progress go on. */
void cm_http_server_quiesce(cm_http_server *server);

/* Stops the server, waiting for handlers in progress to return. NULL is allowed. */
void cm_http_server_stop(cm_http_server *server);

/* ---- request accessors (valid during the handler call) ---- */

const char *cm_http_method(const cm_http_request *request);
const char *cm_http_path(const cm_http_request *request);
/* A {param} of the matched pattern, or NULL. */
const char *cm_http_param(const cm_http_request *request, const char *name);
/* A query parameter: NULL when absent, "" when present without value. */
const char *cm_http_query(const cm_http_request *request, const char *name);
const cm_query *cm_http_query_all(const cm_http_request *request);
/* The query string exactly as the client sent it (after '?', still percent-encoded), or NULL. */
const char *cm_http_raw_query(const cm_http_request *request);
/* A request header (case-insensitive name), or NULL. */
const char *cm_http_header(const cm_http_request *request, const char *name);
/* A cookie the request carries (parsed by libmicrohttpd), or NULL. */
const char *cm_http_cookie(const cm_http_request *request, const char *name);
/* The body held in memory (NUL-terminated for convenience; may contain NULs). */
const char *cm_http_body(const cm_http_request *request, size_t *length);
/* For body_to_file routes: the temporary file's path and size. The file is removed when the request
 * ends unless the handler takes it with cm_http_take_body_file (then the caller frees the string
 * and owns the file). */
const char *cm_http_body_file(const cm_http_request *request, uint64_t *size);
char *cm_http_take_body_file(cm_http_request *request);

/* Adds a header to whatever reply this request gets. Values are copied. */
void cm_http_add_header(cm_http_request *request, const char *name, const char *value);

/* Per-request data of the API layer, freed with `destroy` when the request ends. */
void cm_http_set_user_data(cm_http_request *request, void *data, void (*destroy)(void *));
void *cm_http_user_data(const cm_http_request *request);

/* ---- replies: each returns 0, or -1 when a reply was already sent or could not be queued ---- */

/* Takes `body` (puts it). */
int cm_http_reply_json(cm_http_request *request, int status, json_object *body);
/* Copies `length` bytes. */
int cm_http_reply_bytes(cm_http_request *request, int status, const char *content_type,
                        const void *data, size_t length);
/* Takes `data` (freed with free()). */
int cm_http_reply_owned(cm_http_request *request, int status, const char *content_type, char *data,
                        size_t length);
/* Takes `fd` (closed by the server) and sends `size` bytes from offset 0. */
int cm_http_reply_fd(cm_http_request *request, int status, const char *content_type, int fd,
                     uint64_t size);
int cm_http_reply_empty(cm_http_request *request, int status);
/* Calls the server's error writer. */
int cm_http_reply_error(cm_http_request *request, int status, const char *code, const char *message,
                        const char *field);
int cm_http_replied(const cm_http_request *request);

/* The status of the reply sent so far, 0 when none. */
int cm_http_status(const cm_http_request *request);

/* Closes the connection without any reply (for fault injection). Callable from the `before` hook
 * or a handler instead of a reply; the `after` hook then sees status 0. */
void cm_http_drop(cm_http_request *request);

/*
 * The handler answers later, maybe from another thread. Called on the handler's thread before it
 * returns. Returns 0 when taken: from then on the request is answered exactly once with one of the
 * cm_http_reply_* calls (cm_http_reply_error included), from any thread, and its accessors, user
 * data and headers stay valid until that reply. Meanwhile the connection is suspended (its thread
 * serves the server's other connections). Returns -1, and nothing changes, when the request was
 * already answered or the server is stopping (cm_http_server_finish_deferred): the handler must
 * then answer on its own thread. For a deferred request the `after` hook runs on the thread that
 * answers.
 */
int cm_http_defer(cm_http_request *request);

/* Refuses new deferrals and waits until every deferred request's answer is with libmicrohttpd.
 * Whoever answers must not wait for this. cm_http_server_stop calls it; a caller that tears down
 * what the answering threads use (the queue's pool) calls it first. NULL is allowed. */
void cm_http_server_finish_deferred(cm_http_server *server);

/* The reason phrase of a status ("Not Found"). */
const char *cm_http_reason(int status);

#endif
