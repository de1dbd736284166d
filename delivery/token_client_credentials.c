/* token_client_credentials.c - the Account Manager client-credentials login, and reading any token
 * endpoint's reply (token_fetch.h). */
#include "delivery/token_fetch.h"

#include <stdio.h>
#include <string.h>

#include "common/json_util.h"
#include "queue/retry.h"
#include "translate/oci_reply.h"

cm_err dl_append_form_value(cm_body *out, const char *text)
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

q_delivery_status dl_read_token_reply(const dl_fetch_call *call, const cm_httpc_response *response, const char *what,
                                      int64_t default_lifetime_ms, dl_fetched *out)
{
    char *message = call->message;
    if (response->transport_error) {
        snprintf(message, Q_DELIVERY_MESSAGE_MAX, "no answer from the %s: %s", what, response->detail);
        return Q_DELIVERY_RETRY;
    }
    if (response->status != 200) {
        char code[TR_ERROR_CODE_MAX], text[TR_ERROR_MESSAGE_MAX];
        tr_read_error_body(response->body.data, response->body.length, code, text);
        /* Salesforce's token errors are {"error","error_description"}. */
        json_object *reply = NULL;
        char parse_error[CM_JSON_ERROR_MAX];
        const char *oauth_error = NULL, *description = NULL;
        if (!code[0] && cm_json_parse(response->body.data, response->body.length, 4, &reply, parse_error) == CM_OK &&
            json_object_is_type(reply, json_type_object) &&
            cm_json_string(reply, "error", &oauth_error) == CM_JSON_OK) {
            snprintf(code, sizeof code, "%s", oauth_error);
            if (cm_json_string(reply, "error_description", &description) == CM_JSON_OK)
                snprintf(text, sizeof text, "%s", description);
        }
        json_object_put(reply);
        q_delivery_status status = q_classify_http_status(response->status);
        if (status == Q_DELIVERY_OK)
            status = Q_DELIVERY_FINAL;
        *call->retry_after_ms = response->retry_after_ms;
        snprintf(message, Q_DELIVERY_MESSAGE_MAX, "the %s answered %ld%s%s%s%s", what, response->status,
                 code[0] ? " " : "", code, text[0] ? ": " : "", text);
        return status;
    }
    json_object *reply = NULL;
    char parse_error[CM_JSON_ERROR_MAX];
    const char *token = NULL;
    int64_t expires_in = 0;
    if (cm_json_parse(response->body.data, response->body.length, 4, &reply, parse_error) != CM_OK ||
        !json_object_is_type(reply, json_type_object) || cm_json_string(reply, "access_token", &token) != CM_JSON_OK ||
        !*token || strlen(token) >= sizeof out->token) {
        json_object_put(reply);
        snprintf(message, Q_DELIVERY_MESSAGE_MAX, "the %s answered 200 without a usable access_token", what);
        return Q_DELIVERY_RETRY;
    }
    snprintf(out->token, sizeof out->token, "%s", token);
    /* expires_in is capped before it is turned into ms: a hostile or broken token server must not
     * overflow the arithmetic nor hand out a token the gateway would keep for years. */
    out->lifetime_ms = cm_json_int64(reply, "expires_in", &expires_in) == CM_JSON_OK && expires_in > 0
                           ? (expires_in > DL_TOKEN_LIFETIME_MAX_MS / 1000 ? DL_TOKEN_LIFETIME_MAX_MS : expires_in * 1000)
                           : default_lifetime_ms;
    json_object_put(reply);
    return Q_DELIVERY_OK;
}

q_delivery_status dl_fetch_client_credentials(const dl_fetch_call *call, dl_fetched *out)
{
    const dl_token_login *login = call->login;
    cm_body form;
    cm_body_init(&form, 4096);
    cm_err rc = cm_body_appendf(&form, "grant_type=client_credentials");
    if (rc == CM_OK && login->oauth_scope) {
        rc = cm_body_appendf(&form, "&scope=");
        if (rc == CM_OK)
            rc = dl_append_form_value(&form, login->oauth_scope);
    }
    if (rc != CM_OK) {
        cm_body_free(&form);
        snprintf(call->message, Q_DELIVERY_MESSAGE_MAX, "the OAuth token request could not be built: %s",
                 cm_strerror(rc));
        return Q_DELIVERY_FINAL;
    }
    cm_httpc_request request = {
        .method = "POST",
        .url = login->oauth_token_url,
        .basic_user = login->oauth_client_id,
        .basic_password = login->oauth_client_secret,
        .content_type = "application/x-www-form-urlencoded",
        .body = form.data,
        .body_length = form.length,
        .response_max = DL_TOKEN_REPLY_MAX,
        .should_stop = call->should_stop,
        .stop_data = call->stop_data,
    };
    cm_httpc_response response;
    cm_httpc_perform(call->client, &request, &response);
    cm_body_free(&form);
    q_delivery_status status = dl_read_token_reply(call, &response, "OAuth token URL", DL_TOKEN_DEFAULT_LIFETIME_MS, out);
    cm_httpc_response_free(&response);
    return status;
}
