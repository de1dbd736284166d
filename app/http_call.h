/*
 * http_call.h - one HTTP exchange with OCI on a reused libcurl handle.
 *
 * An app_http_client wraps one CURL easy handle; keeping it between calls keeps its connections
 * open (connection reuse). Clients come from an app_http_pool: a delivery takes one for the whole
 * chunk and gives it back, so every worker thread effectively keeps its own handle, and no handle
 * is ever used by two threads at once.
 *
 * Every call: connect and total timeouts, TLS verification as configured (on by default), a fresh
 * `correlation-id` UUID header, the response body kept up to a maximum (more is an error, never a
 * silent cut), Retry-After read (seconds or HTTP date), and `should_stop` polled while the
 * transfer runs so a shutdown aborts a stalled request.
 */
#ifndef APP_HTTP_CALL_H
#define APP_HTTP_CALL_H

#include <stddef.h>
#include <stdint.h>

#include "common/body.h"
#include "common/err.h"
#include "common/uuid.h"

#define APP_HTTP_DETAIL_MAX 160
/* A Retry-After beyond this is taken as this: a server cannot park a chunk for days (and seconds
 * times 1000 must not overflow). */
#define APP_HTTP_RETRY_AFTER_MAX_MS (24LL * 60 * 60 * 1000)

typedef struct app_http_settings {
    long connect_timeout_ms;
    long total_timeout_ms;
    int verify_tls;
} app_http_settings;

typedef struct app_http_client app_http_client;
typedef struct app_http_pool app_http_pool;

/* A request. Every pointer is borrowed for the duration of the call. */
typedef struct app_http_request {
    const char *method; /* "GET", "POST", "DELETE" */
    const char *url;
    const char *bearer;       /* NULL: no Authorization header */
    const char *basic_user;   /* with basic_password: HTTP Basic instead of a bearer */
    const char *basic_password;
    const char *content_type; /* for `body`; NULL when there is no body */
    const char *body;
    size_t body_length;
    /* A multipart/form-data upload of one file part instead of `body` (when upload_name is set). */
    const char *upload_field;
    const char *upload_name;
    const char *upload_type;
    const char *const *extra_headers; /* NULL, or NULL-ended "Name: value" lines added as they are */
    size_t response_max; /* bytes of response body kept at most */
    int (*should_stop)(void *);
    void *stop_data;
} app_http_request;

typedef struct app_http_response {
    long status;            /* 0: no HTTP answer (see `transport_error`) */
    int transport_error;    /* 1 when the transfer failed: refused, reset, timeout, stopped */
    int stopped;            /* 1 when should_stop aborted the transfer */
    int timed_out;
    int too_big;            /* 1 when the body passed response_max (then transport_error too) */
    int tls_error;          /* 1 when the TLS handshake or certificate check failed */
    int64_t retry_after_ms; /* -1 when absent; seconds or an HTTP date, capped */
    cm_body body;           /* owned by the response: app_http_response_free */
    char detail[APP_HTTP_DETAIL_MAX]; /* curl's words for a transport error (TLS ones say "TLS") */
    char correlation_id[CM_UUID_TEXT_LEN + 1];
} app_http_response;

/* Initializes libcurl once for the process; call before any thread uses a pool. CM_OK or CM_EIO. */
cm_err app_http_global_init(void);

/* A pool of clients sharing `settings`. NULL on allocation failure. Free with app_http_pool_free
 * once no client is taken. */
app_http_pool *app_http_pool_new(const app_http_settings *settings);
void app_http_pool_free(app_http_pool *pool);

/* Takes an idle client (or makes one); NULL on allocation failure. Give it back when done. */
app_http_client *app_http_take(app_http_pool *pool);
void app_http_give(app_http_pool *pool, app_http_client *client);

/*
 * Performs one exchange. Always fills *response (free it with app_http_response_free, even on
 * failure). Returns CM_OK when an HTTP answer came back (any status), CM_EIO for a transport
 * failure, CM_ESTOPPING when should_stop aborted it, CM_ETOOBIG when the body passed
 * response_max, CM_ENOMEM.
 */
cm_err app_http_perform(app_http_client *client, const app_http_request *request,
                        app_http_response *response);

void app_http_response_free(app_http_response *response);

#endif
