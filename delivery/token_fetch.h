/*
 * token_fetch.h - what the token source (token_source.c) and its logins (token_client_credentials.c,
 * token_jwt.c) share inside delivery/: one fetch per login kind, and reading a token reply.
 * Callers hold the source's lock; nothing here keeps state.
 */
#ifndef DL_TOKEN_FETCH_H
#define DL_TOKEN_FETCH_H

#include <openssl/evp.h>

#include "common/body.h"
#include "delivery/token_source.h"

/* A token just obtained. */
typedef struct dl_fetched {
    char token[DL_TOKEN_MAX];
    int64_t lifetime_ms; /* from expires_in (capped), or the login's default */
} dl_fetched;

/* The arguments every fetch takes. */
typedef struct dl_fetch_call {
    const dl_token_login *login;
    cm_httpc_client *client;
    int64_t *retry_after_ms;
    char *message; /* Q_DELIVERY_MESSAGE_MAX */
    int (*should_stop)(void *);
    void *stop_data;
} dl_fetch_call;

q_delivery_status dl_fetch_client_credentials(const dl_fetch_call *call, dl_fetched *out);
q_delivery_status dl_fetch_jwt(const dl_fetch_call *call, EVP_PKEY *key, dl_fetched *out);

/* Announces a new token with PUT {base}/inventory/internal/v1/organizations/{org_id}. */
q_delivery_status dl_provision_org(const dl_fetch_call *call, const char *token, const char *org_id);

/* Reads a token endpoint's answer (`what` names it in messages) into `out`. */
q_delivery_status dl_read_token_reply(const dl_fetch_call *call, const cm_httpc_response *response, const char *what,
                                      int64_t default_lifetime_ms, dl_fetched *out);

/* Appends `text` form-urlencoded (RFC 3986 unreserved characters kept). */
cm_err dl_append_form_value(cm_body *out, const char *text);

#endif
