#include "delivery/token_source.h"
#include "common/body.h"
#include "common/clock.h"
#include "common/json_util.h"
#include "common/log.h"
#include "queue/retry.h"
#include "translate/oci_reply.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct dl_token_source {
    const cm_config *config;
    pthread_mutex_t lock; /* held while a token is fetched, so only one thread fetches */
    char token[DL_TOKEN_MAX];
    int64_t renew_at_ms; /* monotonic; 0: no token yet */
    int64_t fetches;
};

dl_token_source *dl_token_source_new(const cm_config *config)
{
    dl_token_source *source = calloc(1, sizeof *source);
    if (!source)
        return NULL;
    source->config = config;
    pthread_mutex_init(&source->lock, NULL);
    return source;
}

void dl_token_source_free(dl_token_source *source)
{
    if (!source)
        return;
    pthread_mutex_destroy(&source->lock);
    free(source);
}

int dl_token_renewable(const dl_token_source *source)
{
    return source->config->delivery.token == NULL && source->config->delivery.oauth_token_url != NULL;
}

int64_t dl_token_fetch_count(dl_token_source *source)
{
    pthread_mutex_lock(&source->lock);
    int64_t count = source->fetches;
    pthread_mutex_unlock(&source->lock);
    return count;
}

/* Appends `text` form-urlencoded (RFC 3986 unreserved characters kept). */
static cm_err append_form_value(cm_body *out, const char *text)
{
    static const char hex[] = "0123456789ABCDEF";
    cm_err rc = CM_OK;
    for (const unsigned char *p = (const unsigned char *)text; rc == CM_OK && *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
            *p == '.' || *p == '_' || *p == '~') {
            rc = cm_body_append(out, p, 1);
        } else {
            char escaped[3] = {'%', hex[*p >> 4], hex[*p & 0x0f]};
            rc = cm_body_append(out, escaped, 3);
        }
    }
    return rc;
}

/* Fetches a new token into source->token. Called with the lock held. */
static q_delivery_status fetch(dl_token_source *source, cm_httpc_client *client, int64_t *retry_after_ms,
                               char message[Q_DELIVERY_MESSAGE_MAX], int (*should_stop)(void *), void *stop_data)
{
    const cm_config *config = source->config;
    cm_body form;
    cm_body_init(&form, 4096);
    cm_err rc = cm_body_appendf(&form, "grant_type=client_credentials");
    if (rc == CM_OK && config->delivery.oauth_scope) {
        rc = cm_body_appendf(&form, "&scope=");
        if (rc == CM_OK)
            rc = append_form_value(&form, config->delivery.oauth_scope);
    }
    if (rc != CM_OK) {
        cm_body_free(&form);
        snprintf(message, Q_DELIVERY_MESSAGE_MAX, "the OAuth token request could not be built: %s", cm_strerror(rc));
        return Q_DELIVERY_FINAL;
    }
    cm_httpc_request request = {
        .method = "POST",
        .url = config->delivery.oauth_token_url,
        .basic_user = config->delivery.oauth_client_id,
        .basic_password = config->delivery.oauth_client_secret,
        .content_type = "application/x-www-form-urlencoded",
        .body = form.data,
        .body_length = form.length,
        .response_max = DL_TOKEN_REPLY_MAX,
        .should_stop = should_stop,
        .stop_data = stop_data,
    };
    cm_httpc_response response;
    /* The token's life is counted from before the request went out: never later than OCI's. */
    int64_t asked_at = cm_mono_ms();
    cm_httpc_perform(client, &request, &response);
    cm_body_free(&form);
    source->fetches++;
    q_delivery_status status = Q_DELIVERY_OK;
    if (response.transport_error) {
        snprintf(message, Q_DELIVERY_MESSAGE_MAX, "no answer from the OAuth token URL: %s", response.detail);
        status = Q_DELIVERY_RETRY;
        goto out;
    }
    if (response.status != 200) {
        char code[TR_ERROR_CODE_MAX], text[TR_ERROR_MESSAGE_MAX];
        tr_read_error_body(response.body.data, response.body.length, code, text);
        status = q_classify_http_status(response.status);
        if (status == Q_DELIVERY_OK)
            status = Q_DELIVERY_FINAL;
        *retry_after_ms = response.retry_after_ms;
        snprintf(message, Q_DELIVERY_MESSAGE_MAX, "the OAuth token URL answered %ld%s%s%s%s", response.status,
                 code[0] ? " " : "", code, text[0] ? ": " : "", text);
        goto out;
    }
    json_object *reply = NULL;
    char parse_error[CM_JSON_ERROR_MAX];
    const char *token = NULL;
    int64_t expires_in = 0;
    if (cm_json_parse(response.body.data, response.body.length, 4, &reply, parse_error) != CM_OK ||
        !json_object_is_type(reply, json_type_object) ||
        cm_json_string(reply, "access_token", &token) != CM_JSON_OK || !*token ||
        strlen(token) >= sizeof source->token) {
        json_object_put(reply);
        snprintf(message, Q_DELIVERY_MESSAGE_MAX, "the OAuth token URL answered 200 without a usable access_token");
        status = Q_DELIVERY_RETRY;
        goto out;
    }
    snprintf(source->token, sizeof source->token, "%s", token);
    /* expires_in is capped before it is turned into ms: a hostile or broken token server must not
     * overflow the arithmetic nor hand out a token the gateway would keep for years. */
    int64_t lifetime_ms = cm_json_int64(reply, "expires_in", &expires_in) == CM_JSON_OK && expires_in > 0
                              ? (expires_in > DL_TOKEN_LIFETIME_MAX_MS / 1000 ? DL_TOKEN_LIFETIME_MAX_MS
                                                                              : expires_in * 1000)
                              : DL_TOKEN_DEFAULT_LIFETIME_MS;
    int64_t early = lifetime_ms / 5 < DL_TOKEN_EARLY_RENEW_MAX_MS ? lifetime_ms / 5 : DL_TOKEN_EARLY_RENEW_MAX_MS;
    source->renew_at_ms = asked_at + lifetime_ms - early;
    json_object_put(reply);
    cm_log_info("delivery.token", "obtained an OAuth token valid %lld s", (long long)(lifetime_ms / 1000));
out:
    cm_httpc_response_free(&response);
    return status;
}

q_delivery_status dl_token_get(dl_token_source *source, cm_httpc_client *client, const char *refused,
                                char out[DL_TOKEN_MAX], int64_t *retry_after_ms,
                                char message[Q_DELIVERY_MESSAGE_MAX], int (*should_stop)(void *),
                                void *stop_data)
{
    *retry_after_ms = -1;
    const cm_config *config = source->config;
    if (config->delivery.token) {
        snprintf(out, DL_TOKEN_MAX, "%s", config->delivery.token);
        return Q_DELIVERY_OK;
    }
    pthread_mutex_lock(&source->lock);
    q_delivery_status status = Q_DELIVERY_OK;
    int stale = source->renew_at_ms == 0 || cm_mono_ms() >= source->renew_at_ms ||
                (refused && strcmp(refused, source->token) == 0);
    if (stale)
        status = fetch(source, client, retry_after_ms, message, should_stop, stop_data);
    if (status == Q_DELIVERY_OK)
        snprintf(out, DL_TOKEN_MAX, "%s", source->token);
    else
        source->renew_at_ms = 0;
    pthread_mutex_unlock(&source->lock);
    return status;
}
