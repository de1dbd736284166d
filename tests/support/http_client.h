/*
 * http_client.h - a blocking HTTP client for tests, on libcurl. Speaks to real servers only.
 */
#ifndef TEST_HTTP_CLIENT_H
#define TEST_HTTP_CLIENT_H

#include <json-c/json.h>
#include <stddef.h>

typedef struct th_response {
    long status;      /* 0 when the transfer failed (connection refused, reset…) */
    int curl_code;    /* CURLcode of the transfer */
    char *body;       /* NUL-terminated, owned */
    size_t body_length;
    char *headers;    /* raw response header block, owned */
} th_response;

/*
 * Sends one request. `headers` is a NULL-terminated list of "Name: value" lines (may be NULL).
 * `body` may be NULL. Returns 0 when an HTTP answer came back (any status), -1 otherwise.
 */
int th_http(const char *method, const char *url, const char *const *headers, const void *body,
            size_t body_length, th_response *out);

/* Copies the value of a response header (case-insensitive) into out; returns 0 or -1 if absent. */
int th_header(const th_response *response, const char *name, char *out, size_t size);

/* Parses the body as JSON (caller puts it), or NULL. */
json_object *th_json(const th_response *response);

void th_response_free(th_response *response);

/* Builds "http://127.0.0.1:<port><path>" into out ("https://…" after th_http_use_tls). */
void th_url(char *out, size_t size, int port, const char *path);

/* From now on in this process: th_url builds https URLs and th_http verifies servers against the
 * CA certificate in `ca_file` (PEM); NULL goes back to plain HTTP. For the TLS tests. */
void th_http_use_tls(const char *ca_file);

#endif
