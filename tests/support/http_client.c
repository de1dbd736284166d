#include "tests/support/http_client.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static char tls_ca_file[512]; /* "" : plain HTTP */

typedef struct growing {
    char *data;
    size_t length;
} growing;

static size_t collect(char *data, size_t size, size_t count, void *user)
{
    growing *buffer = user;
    size_t bytes = size * count;
    char *grown = realloc(buffer->data, buffer->length + bytes + 1);
    if (!grown)
        return 0;
    memcpy(grown + buffer->length, data, bytes);
    buffer->data = grown;
    buffer->length += bytes;
    buffer->data[buffer->length] = '\0';
    return bytes;
}

int th_http(const char *method, const char *url, const char *const *headers, const void *body,
            size_t body_length, th_response *out)
{
    memset(out, 0, sizeof *out);
    CURL *curl = curl_easy_init();
    if (!curl)
        return -1;
    growing body_buffer = {0}, header_buffer = {0};
    struct curl_slist *list = NULL;
    for (size_t i = 0; headers && headers[i]; i++)
        list = curl_slist_append(list, headers[i]);
    if (body)
        list = curl_slist_append(list, "Expect:");
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    if (body) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_length);
    }
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body_buffer);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &header_buffer);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 120L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    if (tls_ca_file[0])
        curl_easy_setopt(curl, CURLOPT_CAINFO, tls_ca_file);
    CURLcode code = curl_easy_perform(curl);
    out->curl_code = (int)code;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &out->status);
    curl_slist_free_all(list);
    curl_easy_cleanup(curl);
    out->body = body_buffer.data ? body_buffer.data : calloc(1, 1);
    out->body_length = body_buffer.length;
    out->headers = header_buffer.data ? header_buffer.data : calloc(1, 1);
    return code == CURLE_OK || out->status > 0 ? 0 : -1;
}

int th_header(const th_response *response, const char *name, char *out, size_t size)
{
    size_t name_length = strlen(name);
    const char *line = response->headers;
    while (line && *line) {
        const char *end = strstr(line, "\r\n");
        if (!end)
            end = line + strlen(line);
        if ((size_t)(end - line) > name_length && strncasecmp(line, name, name_length) == 0 &&
            line[name_length] == ':') {
            const char *value = line + name_length + 1;
            while (*value == ' ')
                value++;
            size_t length = (size_t)(end - value);
            if (length >= size)
                length = size - 1;
            memcpy(out, value, length);
            out[length] = '\0';
            return 0;
        }
        line = *end ? end + 2 : end;
    }
    return -1;
}

json_object *th_json(const th_response *response)
{
    return response->body ? json_tokener_parse(response->body) : NULL;
}

void th_response_free(th_response *response)
{
    free(response->body);
    free(response->headers);
    memset(response, 0, sizeof *response);
}

void th_url(char *out, size_t size, int port, const char *path)
{
    snprintf(out, size, "%s://127.0.0.1:%d%s", tls_ca_file[0] ? "https" : "http", port, path);
}

void th_http_use_tls(const char *ca_file)
{
    snprintf(tls_ca_file, sizeof tls_ca_file, "%s", ca_file ? ca_file : "");
}
