/*
 * http_client.h - one HTTP exchange on a reused libcurl handle (delivery to OCI, its token routes,
 * omsgw compare).
 *
 * An cm_httpc_client wraps one CURL easy handle; keeping it between calls keeps its connections
 * open (connection reuse). Clients come from an cm_httpc_pool: a delivery takes one for the whole
 * chunk and gives it back, so every worker thread effectively keeps its own handle, and no handle
 * is ever used by two threads at once.
 *
 * Every call: connect and total timeouts, TLS verification as configured (on by default), a fresh
 * `correlation-id` UUID header, the response body kept up to a maximum (more is an error, never a
 * silent cut), Retry-After read (seconds or HTTP date), and `should_stop` polled while the
 * transfer runs so a shutdown aborts a stalled request.
 */
#ifndef CM_HTTP_CLIENT_H
#define CM_HTTP_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "common/body.h"
#include "common/err.h"
#include "common/uuid.h"

#define CM_HTTPC_DETAIL_MAX 160
/* A Retry-After beyond this is taken as this: a server cannot park a chunk for days (and seconds
 * times 1000 must not overflow). */
#define CM_HTTPC_RETRY_AFTER_MAX_MS (24LL * 60 * 60 * 1000)

typedef struct cm_httpc_settings {
    long connect_timeout_ms;
    long total_timeout_ms;
    int verify_tls;
} cm_httpc_settings;

typedef struct cm_httpc_client cm_httpc_client;
typedef struct cm_httpc_pool cm_httpc_pool;

/* A request. Every pointer is borrowed for the duration of the call. */
typedef struct cm_httpc_request {
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
} cm_httpc_request;

typedef struct cm_httpc_response {
    long status;            /* 0: no HTTP answer (see `transport_error`) */
    int transport_error;    /* 1 when the transfer failed: refused, reset, timeout, stopped */
    int stopped;            /* 1 when should_stop aborted the transfer */
    int timed_out;
    int too_big;            /* 1 when the body passed response_max (then transport_error too) */
    int tls_error;          /* 1 when the TLS handshake or certificate check failed */
    int64_t retry_after_ms; /* -1 when absent; seconds or an HTTP date, capped */
    cm_body body;           /* owned by the response: cm_httpc_response_free */
    char detail[CM_HTTPC_DETAIL_MAX]; /* curl's words for a transport error (TLS ones say "TLS") */
    char correlation_id[CM_UUID_TEXT_LEN + 1];
} cm_httpc_response;

/* Initializes libcurl once for the process; call before any thread uses a pool. CM_OK or CM_EIO. */
cm_err cm_httpc_global_init(void);

/* A pool of clients sharing `settings`. NULL on allocation failure. Free with cm_httpc_pool_free
 * once no client is taken. */
cm_httpc_pool *cm_httpc_pool_new(const cm_httpc_settings *settings);
void cm_httpc_pool_free(cm_httpc_pool *pool);

/* Takes an idle client (or makes one); NULL on allocation failure. Give it back when done. */
cm_httpc_client *cm_httpc_take(cm_httpc_pool *pool);
void cm_httpc_give(cm_httpc_pool *pool, cm_httpc_client *client);

/*
 * Performs one exchange. Always fills *response (free it with cm_httpc_response_free, even on
 * failure). Returns CM_OK when an HTTP answer came back (any status), CM_EIO for a transport
 * failure, CM_ESTOPPING when should_stop aborted it, CM_ETOOBIG when the body passed
 * response_max, CM_ENOMEM.
 */
cm_err cm_httpc_perform(cm_httpc_client *client, const cm_httpc_request *request,
                        cm_httpc_response *response);

void cm_httpc_response_free(cm_httpc_response *response);

#endif
