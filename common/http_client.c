#include "common/http_client.h"

#include <ctype.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define USER_AGENT "omsgw/" OMSGW_VERSION

struct cm_httpc_client {
    CURL *handle;
    const cm_httpc_settings *settings; /* the pool's */
    cm_httpc_client *next_idle;
};

struct cm_httpc_pool {
    cm_httpc_settings settings;
    pthread_mutex_t lock;
    cm_httpc_client *idle; /* a stack of clients nobody holds */
};

/* What the callbacks of one transfer share. */
typedef struct transfer {
    cm_httpc_response *response;
    size_t response_max;
    int overflow;      /* the body passed response_max */
    int out_of_memory; /* the body could not be stored */
    int64_t retry_after_ms; /* from the last response's header block; -1 when absent */
    int (*should_stop)(void *);
    void *stop_data;
} transfer;

cm_err cm_httpc_global_init(void)
{
    /* curl_global_init is reference-counted inside libcurl and not thread-safe in old versions:
     * it is called from the main thread before workers start. */
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? CM_OK : CM_EIO;
}

cm_httpc_pool *cm_httpc_pool_new(const cm_httpc_settings *settings)
{
    cm_httpc_pool *pool = calloc(1, sizeof *pool);
    if (!pool)
        return NULL;
    pool->settings = *settings;
    pthread_mutex_init(&pool->lock, NULL);
    return pool;
}

void cm_httpc_pool_free(cm_httpc_pool *pool)
{
    if (!pool)
        return;
    while (pool->idle) {
        cm_httpc_client *client = pool->idle;
        pool->idle = client->next_idle;
        curl_easy_cleanup(client->handle);
        free(client);
    }
    pthread_mutex_destroy(&pool->lock);
    free(pool);
}

cm_httpc_client *cm_httpc_take(cm_httpc_pool *pool)
{
    pthread_mutex_lock(&pool->lock);
    cm_httpc_client *client = pool->idle;
    if (client)
        pool->idle = client->next_idle;
    pthread_mutex_unlock(&pool->lock);
    if (client)
        return client;
    client = calloc(1, sizeof *client);
    if (client && !(client->handle = curl_easy_init())) {
        free(client);
        return NULL;
    }
    if (client)
        client->settings = &pool->settings;
    return client;
}

void cm_httpc_give(cm_httpc_pool *pool, cm_httpc_client *client)
{
    if (!client)
        return;
    pthread_mutex_lock(&pool->lock);
    client->next_idle = pool->idle;
    pool->idle = client;
    pthread_mutex_unlock(&pool->lock);
}

static size_t on_body(char *data, size_t size, size_t count, void *user)
{
    transfer *state = user;
    size_t length = size * count;
    cm_err rc = cm_body_append(&state->response->body, data, length);
    if (rc != CM_OK) {
        /* Either way curl then fails the transfer with CURLE_WRITE_ERROR; the flags say why. */
        if (rc == CM_ETOOBIG)
            state->overflow = 1;
        else
            state->out_of_memory = 1;
        return 0;
    }
    return length;
}

/*
 * Reads a Retry-After value: delay-seconds or an HTTP date (RFC 9110 §10.2.3). Returns the wait in
 * ms (0 for a date already past), capped at CM_HTTPC_RETRY_AFTER_MAX_MS, or -1 when unreadable.
 * Parsed here rather than taken from CURLINFO_RETRY_AFTER so that the value surely belongs to this
 * transfer's final response and a huge number cannot overflow.
 */
static int64_t parse_retry_after(const char *value)
{
    while (*value == ' ' || *value == '\t')
        value++;
    if (!*value)
        return -1;
    if (isdigit((unsigned char)*value)) {
        int64_t seconds = 0;
        const char *p = value;
        for (; isdigit((unsigned char)*p); p++) {
            if (seconds <= CM_HTTPC_RETRY_AFTER_MAX_MS / 1000)
                seconds = seconds * 10 + (*p - '0');
        }
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p) {
            int64_t ms = seconds > CM_HTTPC_RETRY_AFTER_MAX_MS / 1000 ? CM_HTTPC_RETRY_AFTER_MAX_MS : seconds * 1000;
            return ms;
        }
        /* Digits followed by more text: a date such as "1 Jan 2030 …" is tried below. */
    }
    time_t when = curl_getdate(value, NULL);
    if (when == (time_t)-1)
        return -1;
    time_t now = time(NULL);
    if (when <= now)
        return 0;
    int64_t seconds = (int64_t)(when - now);
    return seconds > CM_HTTPC_RETRY_AFTER_MAX_MS / 1000 ? CM_HTTPC_RETRY_AFTER_MAX_MS : seconds * 1000;
}

static size_t on_header(char *data, size_t size, size_t count, void *user)
{
    transfer *state = user;
    size_t length = size * count;
    /* A new status line starts a new header block (a redirect or an interim 1xx): forget the last. */
    if (length >= 5 && strncmp(data, "HTTP/", 5) == 0) {
        state->retry_after_ms = -1;
        return length;
    }
    static const char name[] = "Retry-After:";
    if (length > sizeof name - 1 && strncasecmp(data, name, sizeof name - 1) == 0) {
        char value[128];
        size_t value_length = length - (sizeof name - 1);
        if (value_length >= sizeof value)
            value_length = sizeof value - 1;
        memcpy(value, data + sizeof name - 1, value_length);
        value[value_length] = '\0';
        while (value_length > 0 && (value[value_length - 1] == '\r' || value[value_length - 1] == '\n' ||
                                    value[value_length - 1] == ' ' || value[value_length - 1] == '\t'))
            value[--value_length] = '\0';
        state->retry_after_ms = parse_retry_after(value);
    }
    return length;
}

/* 1 for curl codes that mean the TLS handshake or the certificate check failed. */
static int is_tls_failure(CURLcode code)
{
    switch (code) {
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_USE_SSL_FAILED:
        return 1;
    default:
        return 0;
    }
}

static int on_progress(void *user, curl_off_t down_total, curl_off_t down_now, curl_off_t up_total,
                       curl_off_t up_now)
{
    (void)down_total;
    (void)down_now;
    (void)up_total;
    (void)up_now;
    transfer *state = user;
    return state->should_stop && state->should_stop(state->stop_data) ? 1 : 0;
}

void cm_httpc_response_free(cm_httpc_response *response)
{
    cm_body_free(&response->body);
}

cm_err cm_httpc_perform(cm_httpc_client *client, const cm_httpc_request *request,
                        cm_httpc_response *response)
{
    memset(response, 0, sizeof *response);
    response->retry_after_ms = -1;
    cm_body_init(&response->body, request->response_max ? request->response_max : 1024 * 1024);
    cm_uuid_random(response->correlation_id);
    const cm_httpc_settings *settings = client->settings;
    CURL *handle = client->handle;
    /* Reset drops the previous call's options but keeps the connection cache: reuse. */
    curl_easy_reset(handle);

    transfer state = {.response = response,
                      .response_max = request->response_max,
                      .retry_after_ms = -1,
                      .should_stop = request->should_stop,
                      .stop_data = request->stop_data};
    char curl_error[CURL_ERROR_SIZE];
    curl_error[0] = '\0';
    struct curl_slist *headers = NULL, *grown;
    char line[1024];
    int header_failed = 0;
#define ADD_HEADER(...)                                                                                \
    do {                                                                                               \
        snprintf(line, sizeof line, __VA_ARGS__);                                                      \
        grown = curl_slist_append(headers, line);                                                      \
        if (grown)                                                                                     \
            headers = grown;                                                                           \
        else                                                                                           \
            header_failed = 1;                                                                         \
    } while (0)
    ADD_HEADER("correlation-id: %s", response->correlation_id);
    ADD_HEADER("Accept: application/json");
    /* No 100-continue round trip before bodies: OCI answers quickly either way. */
    ADD_HEADER("Expect:");
    if (request->bearer)
        ADD_HEADER("Authorization: Bearer %s", request->bearer);
    if (request->content_type && !request->upload_name)
        ADD_HEADER("Content-Type: %s", request->content_type);
    for (size_t i = 0; request->extra_headers && request->extra_headers[i]; i++)
        ADD_HEADER("%s", request->extra_headers[i]);
#undef ADD_HEADER
    curl_mime *mime = NULL;
    if (header_failed) {
        curl_slist_free_all(headers);
        return CM_ENOMEM;
    }

    curl_easy_setopt(handle, CURLOPT_URL, request->url);
    curl_easy_setopt(handle, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(handle, CURLOPT_USERAGENT, USER_AGENT);
    curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(handle, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS, settings->connect_timeout_ms);
    curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, settings->total_timeout_ms);
    curl_easy_setopt(handle, CURLOPT_SSL_VERIFYPEER, settings->verify_tls ? 1L : 0L);
    curl_easy_setopt(handle, CURLOPT_SSL_VERIFYHOST, settings->verify_tls ? 2L : 0L);
    curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(handle, CURLOPT_WRITEDATA, &state);
    curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(handle, CURLOPT_HEADERDATA, &state);
    curl_easy_setopt(handle, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(handle, CURLOPT_XFERINFODATA, &state);
    if (request->basic_user) {
        curl_easy_setopt(handle, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(handle, CURLOPT_USERNAME, request->basic_user);
        curl_easy_setopt(handle, CURLOPT_PASSWORD, request->basic_password ? request->basic_password : "");
    }
    if (request->upload_name) {
        mime = curl_mime_init(handle);
        curl_mimepart *part = mime ? curl_mime_addpart(mime) : NULL;
        if (!part || curl_mime_name(part, request->upload_field ? request->upload_field : "file") != CURLE_OK ||
            curl_mime_filename(part, request->upload_name) != CURLE_OK ||
            curl_mime_type(part, request->upload_type ? request->upload_type : "application/octet-stream") !=
                CURLE_OK ||
            curl_mime_data(part, request->body, request->body_length) != CURLE_OK) {
            curl_mime_free(mime);
            curl_slist_free_all(headers);
            return CM_ENOMEM;
        }
        curl_easy_setopt(handle, CURLOPT_MIMEPOST, mime);
    } else if (strcmp(request->method, "POST") == 0) {
        curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)request->body_length);
        curl_easy_setopt(handle, CURLOPT_POSTFIELDS, request->body ? request->body : "");
    } else if (strcmp(request->method, "GET") != 0) {
        curl_easy_setopt(handle, CURLOPT_CUSTOMREQUEST, request->method);
    }

    curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, curl_error);
    CURLcode code = curl_easy_perform(handle);
    curl_mime_free(mime);
    curl_slist_free_all(headers);
    /* The error buffer lives on this stack frame: the handle must not keep pointing at it. */
    curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, NULL);
    if (code == CURLE_OK) {
        curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &response->status);
        if (response->status == 429 || response->status == 503)
            response->retry_after_ms = state.retry_after_ms;
        return CM_OK;
    }
    response->status = 0;
    response->transport_error = 1;
    response->timed_out = code == CURLE_OPERATION_TIMEDOUT;
    response->stopped = code == CURLE_ABORTED_BY_CALLBACK;
    response->tls_error = is_tls_failure(code);
    /* curl's own buffer says more than its generic text ("SSL certificate problem: self-signed
     * certificate" rather than "SSL peer certificate or SSH remote key was not OK"). */
    const char *words = curl_error[0] ? curl_error : curl_easy_strerror(code);
    if (response->tls_error)
        snprintf(response->detail, sizeof response->detail,
                 "TLS failure (certificate not verified or handshake failed): %.80s%s", words,
                 settings->verify_tls ? "" : " (verifyTls off)");
    else
        snprintf(response->detail, sizeof response->detail, "%.150s", words);
    if (state.overflow) {
        response->too_big = 1;
        snprintf(response->detail, sizeof response->detail, "the answer was longer than %zu bytes",
                 response->body.max_bytes);
        return CM_ETOOBIG;
    }
    if (state.out_of_memory) {
        snprintf(response->detail, sizeof response->detail, "out of memory while reading the answer");
        return CM_ENOMEM;
    }
    return response->stopped ? CM_ESTOPPING : CM_EIO;
}
