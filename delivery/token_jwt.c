/* token_jwt.c - the Salesforce connected-app login with the OAuth 2.0 JWT bearer flow, and the
 * internal organization call that follows it (token_fetch.h). */
#include "delivery/token_fetch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "common/json_util.h"
#include "common/jwt.h"
#include "queue/retry.h"

#define URL_MAX 2048

/* The login URL without trailing slashes: it is both the token URL's base and the audience. */
static size_t trimmed_length(const char *url)
{
    size_t length = strlen(url);
    while (length > 0 && url[length - 1] == '/')
        length--;
    return length;
}

/* 1 when `base` (without its trailing slashes) followed by `path_length` more bytes fits in
 * URL_MAX. A URL cut to fit would send the request elsewhere: it is refused instead. */
static int url_fits(const char *base, size_t path_length)
{
    return trimmed_length(base) + path_length < URL_MAX;
}

/* Signs a fresh assertion (caller frees and wipes), or NULL. */
static char *make_assertion(const dl_token_login *login, EVP_PKEY *key)
{
    json_object *claims = json_object_new_object();
    if (!claims)
        return NULL;
    char audience[URL_MAX];
    snprintf(audience, sizeof audience, "%.*s", (int)trimmed_length(login->jwt_login_url), login->jwt_login_url);
    json_object_object_add(claims, "iss", json_object_new_string(login->jwt_consumer_key));
    json_object_object_add(claims, "sub", json_object_new_string(login->jwt_username));
    json_object_object_add(claims, "aud", json_object_new_string(audience));
    json_object_object_add(claims, "exp", json_object_new_int64((int64_t)time(NULL) + DL_JWT_ASSERTION_LIFETIME_S));
    char *assertion = NULL;
    if (cm_jwt_sign_rs256(claims, key, &assertion) != CM_OK)
        assertion = NULL;
    json_object_put(claims);
    return assertion;
}

q_delivery_status dl_fetch_jwt(const dl_fetch_call *call, EVP_PKEY *key, dl_fetched *out)
{
    const dl_token_login *login = call->login;
    if (!url_fits(login->jwt_login_url, strlen("/services/oauth2/token"))) {
        snprintf(call->message, Q_DELIVERY_MESSAGE_MAX, "the JWT login URL is too long (at most %zu bytes)",
                 URL_MAX - 1 - strlen("/services/oauth2/token"));
        return Q_DELIVERY_FINAL;
    }
    char *assertion = make_assertion(login, key);
    if (!assertion) {
        snprintf(call->message, Q_DELIVERY_MESSAGE_MAX, "the JWT assertion could not be signed");
        return Q_DELIVERY_RETRY;
    }
    cm_body form;
    cm_body_init(&form, 16384);
    /* The assertion is base64url and dots: nothing in it needs escaping. */
    cm_err rc = cm_body_appendf(&form, "grant_type=urn%%3Aietf%%3Aparams%%3Aoauth%%3Agrant-type%%3Ajwt-bearer"
                                       "&assertion=%s",
                                assertion);
    OPENSSL_cleanse(assertion, strlen(assertion));
    free(assertion);
    char url[URL_MAX];
    snprintf(url, sizeof url, "%.*s/services/oauth2/token", (int)trimmed_length(login->jwt_login_url),
             login->jwt_login_url);
    if (rc != CM_OK) {
        cm_body_free(&form);
        snprintf(call->message, Q_DELIVERY_MESSAGE_MAX, "the JWT token request could not be built: %s", cm_strerror(rc));
        return Q_DELIVERY_RETRY;
    }
    cm_httpc_request request = {
        .method = "POST",
        .url = url,
        .content_type = "application/x-www-form-urlencoded",
        .body = form.data,
        .body_length = form.length,
        .response_max = DL_TOKEN_REPLY_MAX,
        .should_stop = call->should_stop,
        .stop_data = call->stop_data,
    };
    cm_httpc_response response;
    cm_httpc_perform(call->client, &request, &response);
    OPENSSL_cleanse(form.data, form.length);
    cm_body_free(&form);
    q_delivery_status status = dl_read_token_reply(
        call, &response, "Salesforce token URL",
        login->jwt_lifetime_ms > 0 ? login->jwt_lifetime_ms : DL_TOKEN_DEFAULT_LIFETIME_MS, out);
    cm_httpc_response_free(&response);
    /* Salesforce never sends expires_in; a configured lifetime is the session timeout it knows. */
    if (status == Q_DELIVERY_OK && login->jwt_lifetime_ms > 0 && out->lifetime_ms > login->jwt_lifetime_ms)
        out->lifetime_ms = login->jwt_lifetime_ms;
    return status;
}

q_delivery_status dl_provision_org(const dl_fetch_call *call, const char *token, const char *org_id)
{
    const char *base = call->login->provision_base_url;
    if (!url_fits(base, strlen("/inventory/internal/v1/organizations/") + strlen(org_id))) {
        snprintf(call->message, Q_DELIVERY_MESSAGE_MAX,
                 "the internal organization route's URL would be longer than %d bytes", URL_MAX - 1);
        return Q_DELIVERY_FINAL;
    }
    char url[URL_MAX];
    snprintf(url, sizeof url, "%.*s/inventory/internal/v1/organizations/%s", (int)trimmed_length(base), base, org_id);
    cm_httpc_request request = {
        .method = "PUT",
        .url = url,
        .bearer = token,
        .response_max = DL_TOKEN_REPLY_MAX,
        .should_stop = call->should_stop,
        .stop_data = call->stop_data,
    };
    cm_httpc_response response;
    cm_httpc_perform(call->client, &request, &response);
    q_delivery_status status = Q_DELIVERY_OK;
    if (response.transport_error) {
        snprintf(call->message, Q_DELIVERY_MESSAGE_MAX, "no answer from the internal organization route: %s",
                 response.detail);
        status = Q_DELIVERY_RETRY;
    } else if (response.status < 200 || response.status > 299) {
        status = q_classify_http_status(response.status);
        if (status == Q_DELIVERY_OK || response.status == 401)
            status = Q_DELIVERY_RETRY; /* a refused new token: the next attempt logs in again */
        *call->retry_after_ms = response.retry_after_ms;
        snprintf(call->message, Q_DELIVERY_MESSAGE_MAX,
                 "PUT /inventory/internal/v1/organizations/%.64s answered %ld [correlation-id %s]", org_id,
                 response.status, response.correlation_id);
    }
    cm_httpc_response_free(&response);
    return status;
}
