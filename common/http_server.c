#include "common/http_server.h"
#include "common/body.h"
#include "common/clock.h"
#include "common/json_util.h"
#include "common/log.h"
#include "common/metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define LISTEN_BACKLOG 512
#define CONNECTION_MEMORY_LIMIT (64 * 1024)

struct cm_http_server {
    cm_http_server_config config;
    struct MHD_Daemon *daemon;
    int listen_fd;
    int port;
    int quiesced;
    char *tls_certificate_pem; /* copies kept while the daemon runs (MHD keeps the pointers) */
    char *tls_key_pem;
    /* Deferred requests (cm_http_defer): the lock orders a reply from another thread against the
     * request thread suspending the connection; stop waits until none is unanswered. */
    pthread_mutex_t deferred_lock;
    pthread_cond_t deferred_answered;
    size_t deferred_open; /* deferred requests whose answer MHD has not queued yet */
    int deferring_stopped; /* cm_http_server_finish_deferred ran: no new deferral */
};

typedef enum request_phase {
    PHASE_NEW,       /* created by the URI callback, access handler not called yet */
    PHASE_RECEIVING, /* route found, body (if any) arriving */
    PHASE_DONE,      /* a reply is queued */
} request_phase;

struct cm_http_request {
    cm_http_server *server;
    struct MHD_Connection *connection;
    char *raw_uri;
    const char *method;
    const char *path;
    request_phase phase;
    cm_query query;
    cm_route_match match;
    const cm_http_route *route;
    cm_body body;
    size_t body_limit;
    int body_fd;
    char *body_path;
    uint64_t body_file_size;
    int replied;
    int status;           /* of the reply queued, 0 before */
    int deferred;         /* cm_http_defer: answered later, maybe from another thread */
    int suspended;        /* the connection is suspended until the deferred reply */
    int reply_depth;      /* deferred: public reply calls running (the outermost hands over) */
    struct MHD_Response *held;    /* deferred: the reply while its reply call runs */
    struct MHD_Response *pending; /* deferred: the reply handed over, for the connection's thread */
    int handed_over;      /* deferred: answered (pending NULL then means "close the connection") */
    int dropped;          /* cm_http_drop: close without a reply */
    int64_t started_mono; /* for the `after` hook's elapsed time */
    int after_notified;   /* the `after` hook ran */
    size_t header_count;
    char *header_names[CM_HTTP_MAX_EXTRA_HEADERS];
    char *header_values[CM_HTTP_MAX_EXTRA_HEADERS];
    void *user_data;
    void (*user_destroy)(void *);
    /* For the one access-log line each request gets when it ends (log_request). */
    int64_t started_ms;
    char method_copy[16];
    char tenant[24];
};

const char *cm_http_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return status < 400 ? "OK" : status < 500 ? "Bad Request" : "Internal Server Error";
    }
}

/* ---- replies ---- */

/* The `after` hook, once per request: when its reply is queued (so whoever got the answer can
 * already see the entry), or at the end for a request that got none. */
static void notify_after(cm_http_request *request)
{
    const cm_http_server_config *config = &request->server->config;
    if (!config->after || request->after_notified)
        return;
    request->after_notified = 1;
    config->after(request, request->status, cm_mono_ms() - request->started_mono, config->after_data);
}

/*
 * A deferred request's reply, from whichever thread answers it. MHD takes a response only on the
 * connection's own thread, inside the access handler, so the reply is held here while the public
 * reply call that made it runs (cm_http_reply_error goes through the API's error writer and looks
 * at the request after it), and handed over when that call ends (hand_over): from then on the
 * connection's thread may queue it and free the request, so the answering thread touches the
 * request no more.
 */
static int hold_deferred_reply(cm_http_request *request, int status, struct MHD_Response *response)
{
    if (request->replied) {
        MHD_destroy_response(response);
        return -1;
    }
    request->held = response;
    request->replied = 1;
    request->status = status;
    notify_after(request);
    return 0;
}

/* The outermost reply call of a deferred request ended: its reply (or, if none could be built,
 * the order to close the connection) goes to the connection's thread, resumed if it waits. */
static void hand_over(cm_http_request *request)
{
    cm_http_server *server = request->server;
    pthread_mutex_lock(&server->deferred_lock);
    request->pending = request->held;
    request->held = NULL;
    request->handed_over = 1;
    if (request->suspended) {
        request->suspended = 0;
        MHD_resume_connection(request->connection);
    }
    pthread_mutex_unlock(&server->deferred_lock);
}

/* Lock held: the deferred request is done with (its answer queued, or its connection closed). */
static void deferred_done(cm_http_request *request)
{
    cm_http_server *server = request->server;
    request->deferred = 0;
    if (--server->deferred_open == 0)
        pthread_cond_broadcast(&server->deferred_answered);
}

/* Every public reply call is wrapped in enter_reply / leave_reply: for a deferred request the
 * outermost one hands the reply over as its last step. Returns rc. */
static void enter_reply(cm_http_request *request)
{
    if (request->deferred)
        request->reply_depth++;
}

static int leave_reply(cm_http_request *request, int rc)
{
    if (request->deferred && --request->reply_depth == 0)
        hand_over(request); /* the request may be gone after this */
    return rc;
}

static int queue_response(cm_http_request *request, int status, struct MHD_Response *response,
                          const char *content_type)
{
    if (!response)
        return -1;
    if (content_type)
        MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    for (size_t i = 0; i < request->header_count; i++)
        MHD_add_response_header(response, request->header_names[i], request->header_values[i]);
    const cm_http_server_config *config = &request->server->config;
    if (config->fixed_header_name && config->fixed_header_value)
        MHD_add_response_header(response, config->fixed_header_name, config->fixed_header_value);
    if (request->deferred)
        return hold_deferred_reply(request, status, response);
    enum MHD_Result queued = MHD_queue_response(request->connection, (unsigned)status, response);
    MHD_destroy_response(response);
    if (queued != MHD_YES)
        return -1;
    request->replied = 1;
    request->status = status;
    request->phase = PHASE_DONE;
    notify_after(request);
    return 0;
}

static int reply_bytes(cm_http_request *request, int status, const char *content_type, const void *data,
                       size_t length)
{
    if (request->replied)
        return -1;
    struct MHD_Response *response =
        MHD_create_response_from_buffer(length, (void *)data, MHD_RESPMEM_MUST_COPY);
    return queue_response(request, status, response, content_type);
}

int cm_http_reply_bytes(cm_http_request *request, int status, const char *content_type,
                        const void *data, size_t length)
{
    enter_reply(request);
    return leave_reply(request, reply_bytes(request, status, content_type, data, length));
}

static int reply_owned(cm_http_request *request, int status, const char *content_type, char *data, size_t length)
{
    if (request->replied) {
        free(data);
        return -1;
    }
    struct MHD_Response *response = MHD_create_response_from_buffer(length, data, MHD_RESPMEM_MUST_FREE);
    if (!response) {
        free(data);
        return -1;
    }
    return queue_response(request, status, response, content_type);
}

int cm_http_reply_owned(cm_http_request *request, int status, const char *content_type, char *data,
                        size_t length)
{
    enter_reply(request);
    return leave_reply(request, reply_owned(request, status, content_type, data, length));
}

static int reply_fd(cm_http_request *request, int status, const char *content_type, int fd, uint64_t size)
{
    if (request->replied) {
        close(fd);
        return -1;
    }
    struct MHD_Response *response = MHD_create_response_from_fd64(size, fd);
    if (!response) {
        close(fd);
        return -1;
    }
    return queue_response(request, status, response, content_type);
}

int cm_http_reply_fd(cm_http_request *request, int status, const char *content_type, int fd,
                     uint64_t size)
{
    enter_reply(request);
    return leave_reply(request, reply_fd(request, status, content_type, fd, size));
}

/* What a request is answered when the server has no memory to build the real answer. */
static const char SHORT_OF_MEMORY_BODY[] = "{\"error\":\"Service Unavailable\",\"errorCode\":\"SERVICE_UNAVAILABLE\","
                                           "\"message\":\"The server is short of memory; retry.\"}";

int cm_http_reply_json(cm_http_request *request, int status, json_object *body)
{
    enter_reply(request);
    size_t length = 0;
    /* json-c gives NULL for a body or a text it had no memory for: never an empty 200 then. */
    const char *text = body ? cm_json_text(body, &length) : NULL;
    int rc = text ? reply_bytes(request, status, "application/json", text, length)
                  : reply_bytes(request, 503, "application/json", SHORT_OF_MEMORY_BODY,
                                sizeof SHORT_OF_MEMORY_BODY - 1);
    json_object_put(body);
    return leave_reply(request, rc);
}

int cm_http_reply_empty(cm_http_request *request, int status)
{
    return cm_http_reply_bytes(request, status, NULL, "", 0);
}

static int reply_error(cm_http_request *request, int status, const char *code, const char *message,
                       const char *field)
{
    if (request->replied)
        return -1;
    cm_http_server *server = request->server;
    if (server->config.error_writer) {
        server->config.error_writer(request, status, code, message, field, server->config.error_data);
        if (request->replied)
            return 0;
    }
    /* The writer failed (out of memory, most likely): a minimal fixed body still says why. */
    char fallback[CM_HTTP_ERROR_MAX];
    int length = snprintf(fallback, sizeof fallback, "{\"error\":\"%s\",\"errorCode\":\"%s\",\"message\":\"%s\"}",
                          cm_http_reason(status), code ? code : "error", code ? code : "error");
    return reply_bytes(request, status, "application/json", fallback, (size_t)length);
}

int cm_http_reply_error(cm_http_request *request, int status, const char *code, const char *message,
                        const char *field)
{
    enter_reply(request);
    return leave_reply(request, reply_error(request, status, code, message, field));
}

int cm_http_defer(cm_http_request *request)
{
    cm_http_server *server = request->server;
    pthread_mutex_lock(&server->deferred_lock);
    int taken = !request->replied && !request->deferred && !server->deferring_stopped;
    if (taken) {
        request->deferred = 1;
        server->deferred_open++;
    }
    pthread_mutex_unlock(&server->deferred_lock);
    return taken ? 0 : -1;
}

void cm_http_server_finish_deferred(cm_http_server *server)
{
    if (!server)
        return;
    pthread_mutex_lock(&server->deferred_lock);
    server->deferring_stopped = 1;
    while (server->deferred_open > 0)
        pthread_cond_wait(&server->deferred_answered, &server->deferred_lock);
    pthread_mutex_unlock(&server->deferred_lock);
}

int cm_http_replied(const cm_http_request *request)
{
    return request->replied;
}

int cm_http_status(const cm_http_request *request)
{
    return request->status;
}

void cm_http_drop(cm_http_request *request)
{
    if (!request->replied)
        request->dropped = 1;
}

/* ---- accessors ---- */

const char *cm_http_method(const cm_http_request *request)
{
    return request->method;
}

const char *cm_http_path(const cm_http_request *request)
{
    return request->path;
}

const char *cm_http_param(const cm_http_request *request, const char *name)
{
    return cm_route_param(&request->match, name);
}

const char *cm_http_query(const cm_http_request *request, const char *name)
{
    return cm_query_get(&request->query, name);
}

const cm_query *cm_http_query_all(const cm_http_request *request)
{
    return &request->query;
}

const char *cm_http_raw_query(const cm_http_request *request)
{
    const char *mark = request->raw_uri ? strchr(request->raw_uri, '?') : NULL;
    return mark && mark[1] ? mark + 1 : NULL;
}

const char *cm_http_header(const cm_http_request *request, const char *name)
{
    return MHD_lookup_connection_value(request->connection, MHD_HEADER_KIND, name);
}

const char *cm_http_cookie(const cm_http_request *request, const char *name)
{
    return MHD_lookup_connection_value(request->connection, MHD_COOKIE_KIND, name);
}

const char *cm_http_body(const cm_http_request *request, size_t *length)
{
    if (length)
        *length = request->body.length;
    return request->body.data ? request->body.data : "";
}

const char *cm_http_body_file(const cm_http_request *request, uint64_t *size)
{
    if (size)
        *size = request->body_file_size;
    return request->body_path;
}

char *cm_http_take_body_file(cm_http_request *request)
{
    char *path = request->body_path;
    request->body_path = NULL;
    if (request->body_fd >= 0) {
        close(request->body_fd);
        request->body_fd = -1;
    }
    return path;
}

void cm_http_add_header(cm_http_request *request, const char *name, const char *value)
{
    if (request->header_count == CM_HTTP_MAX_EXTRA_HEADERS)
        return;
    char *name_copy = strdup(name);
    char *value_copy = strdup(value);
    if (!name_copy || !value_copy) {
        free(name_copy);
        free(value_copy);
        return;
    }
    request->header_names[request->header_count] = name_copy;
    request->header_values[request->header_count] = value_copy;
    request->header_count++;
}

void cm_http_set_user_data(cm_http_request *request, void *data, void (*destroy)(void *))
{
    if (request->user_destroy && request->user_data)
        request->user_destroy(request->user_data);
    request->user_data = data;
    request->user_destroy = destroy;
}

void *cm_http_user_data(const cm_http_request *request)
{
    return request->user_data;
}

/* ---- MHD callbacks ---- */

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *connection)
{
    cm_http_request *request = calloc(1, sizeof *request);
    if (!request)
        return NULL;
    request->server = cls;
    request->connection = connection;
    request->body_fd = -1;
    request->started_ms = cm_mono_ms();
    request->started_mono = request->started_ms;
    request->raw_uri = strdup(uri ? uri : "");
    if (!request->raw_uri) {
        free(request);
        return NULL;
    }
    return request;
}

static void free_request(cm_http_request *request)
{
    if (request->held)
        MHD_destroy_response(request->held);
    if (request->pending)
        MHD_destroy_response(request->pending);
    if (request->user_destroy && request->user_data)
        request->user_destroy(request->user_data);
    cm_query_free(&request->query);
    cm_body_free(&request->body);
    if (request->body_fd >= 0)
        close(request->body_fd);
    if (request->body_path) {
        unlink(request->body_path);
        free(request->body_path);
    }
    for (size_t i = 0; i < request->header_count; i++) {
        free(request->header_names[i]);
        free(request->header_values[i]);
    }
    free(request->raw_uri);
    free(request);
}

/* The value of a reply header this request set, or NULL. */
static const char *reply_header(const cm_http_request *request, const char *name)
{
    for (size_t i = 0; i < request->header_count; i++)
        if (strcasecmp(request->header_names[i], name) == 0)
            return request->header_values[i];
    return NULL;
}

/*
 * One line per request, whatever its outcome (a 401 or 429 is exactly what an operator tracing a
 * client's correlation id needs to see). Answered requests log at info, 5xx and requests that
 * ended without an answer at warn; --log-level warn hides the routine ones. The route is the
 * pattern matched, never the raw path, so ids and keys in paths do not reach the log.
 */
static void log_request(const cm_http_request *request, enum MHD_RequestTerminationCode termination)
{
    if (!request->method_copy[0])
        return; /* the connection closed before a request line was read */
    const char *given = reply_header(request, "x-vol-correlation");
    if (!given)
        given = reply_header(request, "correlation-id");
    /* The OCI side echoes the client's id as sent: keep the line one k=v word per field. */
    char correlation_text[130];
    const char *correlation = NULL;
    if (given) {
        snprintf(correlation_text, sizeof correlation_text, "%s", given);
        for (char *c = correlation_text; *c; c++)
            if (*c <= ' ' || *c == '"' || *c == '=' || *c == '\\' || (unsigned char)*c >= 0x7f)
                *c = '_';
        correlation = correlation_text;
    }
    cm_log_level level = request->status >= 500 || !request->replied ? CM_LOG_WARN : CM_LOG_INFO;
    cm_log(level, "http.request",
           "server=%s method=%s route=%s status=%d duration_ms=%lld tenant=%s correlation_id=%s%s",
           request->server->config.name ? request->server->config.name : "http", request->method_copy,
           request->route ? request->route->match.pattern : "-", request->status,
           (long long)(cm_mono_ms() - request->started_ms), request->tenant[0] ? request->tenant : "-",
           correlation ? correlation : "-",
           termination == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " ended=before_the_reply_was_sent");
}

/* Counts the request in the registry. The route label is the matched pattern or "unmatched", so
 * a scan of random paths cannot grow the series without bound. */
static void count_request(const cm_http_request *request)
{
    if (!request->method_copy[0])
        return;
    static const char *const labels[] = {"listener", "route", "status", NULL};
    static const char *const duration_labels[] = {"listener", "route", NULL};
    cm_metric *requests = cm_metrics_counter("omsgw_http_requests_total",
                                             "HTTP requests answered, by listener, route pattern and status.", labels);
    cm_metric *durations = cm_metrics_histogram("omsgw_http_request_duration_seconds",
                                                "Time from the request line to the end of the reply.",
                                                duration_labels, cm_metrics_latency_buckets,
                                                cm_metrics_latency_bucket_count);
    char status[8];
    snprintf(status, sizeof status, "%d", request->replied ? request->status : 0);
    const char *listener = request->server->config.name ? request->server->config.name : "http";
    const char *route = request->route ? request->route->match.pattern : "unmatched";
    const char *values[] = {listener, route, status};
    cm_metric_add(requests, values, 1);
    cm_metric_observe(durations, values, (double)(cm_mono_ms() - request->started_ms) / 1000.0);
}

static void on_connection(void *cls, struct MHD_Connection *connection, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    (void)connection;
    (void)socket_context;
    static const char *const labels[] = {"listener", NULL};
    cm_metric *open = cm_metrics_gauge("omsgw_http_open_connections", "HTTP connections open now.", labels);
    const cm_http_server *server = cls;
    const char *values[] = {server->config.name ? server->config.name : "http"};
    cm_metric_add(open, values, code == MHD_CONNECTION_NOTIFY_STARTED ? 1 : -1);
}

static void on_completed(void *cls, struct MHD_Connection *connection, void **con_cls,
                         enum MHD_RequestTerminationCode termination)
{
    (void)connection;
    (void)cls;
    cm_http_request *request = *con_cls;
    if (request && request->deferred) {
        /* Closed after its answer was handed over and before MHD asked for it (the client went). */
        pthread_mutex_lock(&request->server->deferred_lock);
        deferred_done(request);
        pthread_mutex_unlock(&request->server->deferred_lock);
    }
    if (request) {
        /* A request that never got past its first callback has no method or path to report. */
        if (request->phase != PHASE_NEW)
            notify_after(request);
        log_request(request, termination);
        count_request(request);
        free_request(request);
    }
    *con_cls = NULL;
}

/* Copies what the access line needs while the connection's strings are certainly valid. Only a
 * tenant header that looks like one is kept: the log never repeats arbitrary client text. */
static void note_request(cm_http_request *request, const char *method)
{
    snprintf(request->method_copy, sizeof request->method_copy, "%s", method);
    const char *tenant = MHD_lookup_connection_value(request->connection, MHD_HEADER_KIND, "x-vol-tenant");
    size_t length = tenant ? strlen(tenant) : 0;
    if (length && length < sizeof request->tenant &&
        strspn(tenant, "0123456789tT") == length)
        memcpy(request->tenant, tenant, length + 1);
    else if (length)
        snprintf(request->tenant, sizeof request->tenant, "invalid");
}

/* Reads Content-Length; returns 1 and sets *length when present and valid. */
static int declared_length(struct MHD_Connection *connection, uint64_t *length)
{
    const char *text = MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
                                                   MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (!text)
        return 0;
    char *end;
    errno = 0;
    unsigned long long value = strtoull(text, &end, 10);
    if (errno || end == text || *end)
        return 0;
    *length = value;
    return 1;
}

static int open_body_file(cm_http_request *request)
{
    const char *dir = request->server->config.temp_dir ? request->server->config.temp_dir : "/tmp";
    size_t length = strlen(dir) + 32;
    request->body_path = malloc(length);
    if (!request->body_path)
        return -1;
    snprintf(request->body_path, length, "%s/upload-XXXXXX", dir);
    request->body_fd = mkstemp(request->body_path);
    if (request->body_fd < 0) {
        cm_log_error("http.upload_file", "cannot create %s: %s", request->body_path, strerror(errno));
        free(request->body_path);
        request->body_path = NULL;
        return -1;
    }
    return 0;
}

/* First call of a request: route it and decide whether its body may come. */
static void start_request(cm_http_request *request, const char *url, const char *method)
{
    cm_http_server *server = request->server;
    request->method = method;
    request->path = url;
    request->phase = PHASE_RECEIVING;
    note_request(request, method);
    const char *question = strchr(request->raw_uri, '?');
    /* libmicrohttpd decodes the path, so "%00" would cut it short ("/queue/1%00x" read as
     * "/queue/1"): a path with an encoded NUL byte is refused. */
    size_t path_length = question ? (size_t)(question - request->raw_uri) : strlen(request->raw_uri);
    for (size_t i = 0; i + 2 < path_length; i++) {
        if (request->raw_uri[i] == '%' && request->raw_uri[i + 1] == '0' && request->raw_uri[i + 2] == '0') {
            cm_http_reply_error(request, 400, "INVALID_REQUEST_DATA", "The path contains a NUL byte (%00).", NULL);
            return;
        }
    }
    if (cm_query_parse(question ? question + 1 : NULL, &request->query) != CM_OK) {
        cm_http_reply_error(request, 503, "OUT_OF_MEMORY", "The server is short of memory.", NULL);
        return;
    }
    if (server->config.before)
        server->config.before(request, server->config.before_data);
    if (request->replied || request->dropped)
        return;

    int index = cm_router_match(server->config.routes, server->config.route_count,
                                sizeof(cm_http_route), method, url, &request->match);
    if (index < 0) {
        if (request->match.path_matched) {
            cm_http_add_header(request, "Allow", request->match.allowed);
            char message[160];
            snprintf(message, sizeof message, "Method %s is not allowed here; allowed: %s.", method,
                     request->match.allowed);
            cm_http_reply_error(request, 405, "METHOD_NOT_ALLOWED", message, NULL);
        } else {
            cm_http_reply_error(request, 404, "NOT_FOUND", "No such route.", NULL);
        }
        return;
    }
    request->route = &server->config.routes[index];
    request->body_limit = request->route->body_limit ? request->route->body_limit
                                                      : server->config.body_limit;
    uint64_t length;
    if (declared_length(request->connection, &length) && length > request->body_limit) {
        char message[160];
        snprintf(message, sizeof message, "The body is %llu bytes; the limit is %zu bytes.",
                 (unsigned long long)length, request->body_limit);
        cm_http_reply_error(request, 413, "PAYLOAD_TOO_LARGE", message, NULL);
        return;
    }
    cm_body_init(&request->body, request->body_limit);
    /* With the size known, one allocation of exactly that size instead of doubling. */
    if (!request->route->body_to_file && declared_length(request->connection, &length) && length > 0 &&
        cm_body_reserve(&request->body, (size_t)length) == CM_ENOMEM) {
        cm_http_reply_error(request, 503, "SERVICE_UNAVAILABLE", "The server is short of memory; retry.", NULL);
        return;
    }
    if (request->route->body_to_file && open_body_file(request) != 0)
        cm_http_reply_error(request, 503, "SERVICE_UNAVAILABLE",
                            "The server cannot store the upload right now.", NULL);
}

/* Takes one piece of the body. Returns 0, or -1 when the connection must be closed. */
static int receive_body(cm_http_request *request, const char *data, size_t size)
{
    if (request->body_fd >= 0) {
        if (request->body_file_size + size > request->body_limit)
            return -1;
        size_t written = 0;
        while (written < size) {
            ssize_t n = write(request->body_fd, data + written, size - written);
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                cm_log_error("http.upload_write", "%s", strerror(errno));
                return -1;
            }
            written += (size_t)n;
        }
        request->body_file_size += size;
        return 0;
    }
    cm_err rc = cm_body_append(&request->body, data, size);
    if (rc == CM_ETOOBIG)
        cm_log_info("http.body_too_large", "%s %s: chunked body passed %zu bytes; closing",
                    request->method, request->path, request->body_limit);
    return rc == CM_OK ? 0 : -1;
}

/*
 * The URI callback could not allocate the request: answer a fixed JSON 503 from static memory
 * (libmicrohttpd's own allocations only) instead of dropping the connection, so the client is told
 * to retry. MHD calls the access handler no more once a response is queued.
 */
static enum MHD_Result reply_short_of_memory(void *cls, struct MHD_Connection *connection)
{
    const cm_http_server *server = cls;
    cm_log_warn("http.out_of_memory", "%s: no memory for a new request; answered 503",
                server->config.name ? server->config.name : "http");
    struct MHD_Response *response =
        MHD_create_response_from_buffer(sizeof SHORT_OF_MEMORY_BODY - 1, (void *)SHORT_OF_MEMORY_BODY,
                                        MHD_RESPMEM_PERSISTENT);
    if (!response)
        return MHD_NO;
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    enum MHD_Result queued = MHD_queue_response(connection, MHD_HTTP_SERVICE_UNAVAILABLE, response);
    MHD_destroy_response(response);
    return queued;
}

/* A deferred request on its connection's thread: when its handler returned and after each resume.
 * The reply is handed to MHD if it came; else the connection waits, suspended, for it. */
static enum MHD_Result answer_deferred(cm_http_request *request)
{
    cm_http_server *server = request->server;
    pthread_mutex_lock(&server->deferred_lock);
    int answered = request->handed_over;
    struct MHD_Response *response = request->pending;
    request->pending = NULL;
    if (!answered && !request->suspended) {
        request->suspended = 1;
        MHD_suspend_connection(request->connection);
    }
    if (!answered) {
        pthread_mutex_unlock(&server->deferred_lock);
        return MHD_YES;
    }
    request->phase = PHASE_DONE;
    enum MHD_Result queued = MHD_NO; /* no reply could be built: the connection closes */
    if (response) {
        queued = MHD_queue_response(request->connection, (unsigned)request->status, response);
        MHD_destroy_response(response);
    }
    /* Counted done once MHD holds the answer: a stop waits for that, not only for the reply. */
    deferred_done(request);
    pthread_mutex_unlock(&server->deferred_lock);
    return queued;
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *connection, const char *url,
                                 const char *method, const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **con_cls)
{
    (void)cls;
    (void)version;
    cm_http_request *request = *con_cls;
    if (!request)
        return reply_short_of_memory(cls, connection);
    request->connection = connection;

    if (request->deferred)
        return answer_deferred(request);
    if (request->phase == PHASE_NEW) {
        start_request(request, url, method);
        if (request->dropped)
            return MHD_NO;
        return request->replied || request->phase == PHASE_RECEIVING ? MHD_YES : MHD_NO;
    }
    if (request->phase == PHASE_DONE) {
        /* A reply was queued before the body: drop whatever still arrives. */
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (receive_body(request, upload_data, *upload_data_size) != 0)
            return MHD_NO;
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (request->body_fd >= 0 && lseek(request->body_fd, 0, SEEK_SET) < 0)
        return MHD_NO;
    request->route->handler(request, request->route->data);
    if (request->deferred)
        return answer_deferred(request);
    if (request->dropped)
        return MHD_NO;
    if (!request->replied) {
        cm_log_error("http.no_reply", "%s %s: handler did not answer", method, url);
        cm_http_reply_error(request, 500, "UNEXPECTED_ERROR", "The request could not be handled.", NULL);
    }
    return request->replied ? MHD_YES : MHD_NO;
}

/* MHD hands its own printf-style format: the attribute tells the compiler so (clang's
 * -Wformat-nonliteral otherwise refuses the vsnprintf below). */
static void on_mhd_log(void *cls, const char *fmt, va_list args) __attribute__((format(printf, 2, 0)));

static void on_mhd_log(void *cls, const char *fmt, va_list args)
{
    char line[512];
    vsnprintf(line, sizeof line, fmt, args);
    size_t length = strlen(line);
    while (length && (line[length - 1] == '\n' || line[length - 1] == '\r'))
        line[--length] = '\0';
    cm_log_warn("http.mhd", "%s: %s", ((cm_http_server *)cls)->config.name, line);
}

static int open_listener(const cm_http_server_config *config, int *port_out,
                         char error[CM_HTTP_ERROR_MAX])
{
    struct sockaddr_in address;
    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_port = htons((uint16_t)config->port);
    const char *bind_address = config->bind_address ? config->bind_address : "0.0.0.0";
    if (inet_pton(AF_INET, bind_address, &address.sin_addr) != 1) {
        snprintf(error, CM_HTTP_ERROR_MAX, "%s: bad bind address \"%s\"", config->name, bind_address);
        return -1;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(error, CM_HTTP_ERROR_MAX, "%s: cannot create a socket: %s", config->name,
                 strerror(errno));
        return -1;
    }
    int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (bind(fd, (struct sockaddr *)&address, sizeof address) != 0) {
        int saved = errno;
        snprintf(error, CM_HTTP_ERROR_MAX, "%s: cannot listen on %s:%d: %s%s", config->name,
                 bind_address, config->port, strerror(saved),
                 saved == EADDRINUSE ? " (the port is in use)" : "");
        close(fd);
        return -1;
    }
    if (listen(fd, LISTEN_BACKLOG) != 0) {
        snprintf(error, CM_HTTP_ERROR_MAX, "%s: listen failed: %s", config->name, strerror(errno));
        close(fd);
        return -1;
    }
    socklen_t length = sizeof address;
    getsockname(fd, (struct sockaddr *)&address, &length);
    *port_out = ntohs(address.sin_port);
    return fd;
}

cm_err cm_http_server_start(const cm_http_server_config *config, cm_http_server **out,
                            char error[CM_HTTP_ERROR_MAX])
{
    *out = NULL;
    cm_http_server *server = calloc(1, sizeof *server);
    if (!server) {
        snprintf(error, CM_HTTP_ERROR_MAX, "out of memory");
        return CM_ENOMEM;
    }
    server->config = *config;
    server->listen_fd = open_listener(config, &server->port, error);
    if (server->listen_fd < 0) {
        free(server);
        return CM_EIO;
    }
    pthread_mutex_init(&server->deferred_lock, NULL);
    pthread_cond_init(&server->deferred_answered, NULL);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC | MHD_USE_ERROR_LOG |
                     MHD_ALLOW_SUSPEND_RESUME;
    /* TLS options go through an option array so that one start call serves both kinds. */
    struct MHD_OptionItem tls_options[3] = {{MHD_OPTION_END, 0, NULL}};
    if (config->tls_certificate_pem && config->tls_key_pem) {
        server->tls_certificate_pem = strdup(config->tls_certificate_pem);
        server->tls_key_pem = strdup(config->tls_key_pem);
        if (!server->tls_certificate_pem || !server->tls_key_pem) {
            snprintf(error, CM_HTTP_ERROR_MAX, "out of memory");
            free(server->tls_certificate_pem);
            free(server->tls_key_pem);
            close(server->listen_fd);
            pthread_cond_destroy(&server->deferred_answered);
            pthread_mutex_destroy(&server->deferred_lock);
            free(server);
            return CM_ENOMEM;
        }
        flags |= MHD_USE_TLS;
        tls_options[0] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, server->tls_key_pem};
        tls_options[1] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, server->tls_certificate_pem};
        tls_options[2] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    }
    server->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_access, server, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, server,
        MHD_OPTION_LISTEN_SOCKET, server->listen_fd,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, server, MHD_OPTION_NOTIFY_COMPLETED, on_completed, server,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(config->threads > 0 ? config->threads : 1),
        MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)(config->connection_timeout_seconds > 0 ? config->connection_timeout_seconds : 30),
        MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)(config->connection_limit > 0 ? config->connection_limit : 1024),
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY_LIMIT,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, server, MHD_OPTION_ARRAY, tls_options, MHD_OPTION_END);
    if (!server->daemon) {
        snprintf(error, CM_HTTP_ERROR_MAX, "%s: the HTTP server could not start on port %d%s",
                 config->name, server->port, server->tls_key_pem ? " (TLS could not be set up)" : "");
        close(server->listen_fd);
        free(server->tls_certificate_pem);
        free(server->tls_key_pem);
        pthread_cond_destroy(&server->deferred_answered);
        pthread_mutex_destroy(&server->deferred_lock);
        free(server);
        return CM_EIO;
    }
    *out = server;
    return CM_OK;
}

int cm_http_server_port(const cm_http_server *server)
{
    return server->port;
}

void cm_http_server_quiesce(cm_http_server *server)
{
    if (!server || server->quiesced)
        return;
    MHD_socket fd = MHD_quiesce_daemon(server->daemon);
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
    server->quiesced = 1;
}

void cm_http_server_stop(cm_http_server *server)
{
    if (!server)
        return;
    /* A deferred request still waits for its answer (a commit in progress): it comes, and the
     * request's memory must outlive it. */
    cm_http_server_finish_deferred(server);
    /* MHD closes the listening socket it was given, unless quiesce already handed it back. */
    MHD_stop_daemon(server->daemon);
    pthread_cond_destroy(&server->deferred_answered);
    pthread_mutex_destroy(&server->deferred_lock);
    free(server->tls_certificate_pem);
    free(server->tls_key_pem);
    free(server);
}
