/* token_source.c - one shared, renewing bearer token per delivery (token_source.h). */
#include "delivery/token_source.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/rsa_key.h"
#include "delivery/token_fetch.h"

struct dl_token_source {
    dl_token_login login;
    EVP_PKEY *key;        /* JWT logins: the signing key */
    pthread_mutex_t lock; /* held while a token is fetched, so only one thread fetches */
    char token[DL_TOKEN_MAX];
    int64_t renew_at_ms; /* monotonic; 0: no token yet */
    int64_t fetches;
    int64_t provisions;
    /* Org ids the current token was announced to (JWT logins): it grows with the organizations a
     * deployment delivers to, so each is announced once per token however many there are. */
    char **provisioned;
    size_t provisioned_count, provisioned_capacity;
};

dl_token_login dl_token_login_of_config(const cm_config *config)
{
    dl_token_login login;
    memset(&login, 0, sizeof login);
    if (config->delivery.token) {
        login.kind = DL_TOKEN_FIXED;
        login.fixed_token = config->delivery.token;
    } else if (config->delivery.oauth_token_url) {
        login.kind = DL_TOKEN_CLIENT_CREDENTIALS;
        login.oauth_token_url = config->delivery.oauth_token_url;
        login.oauth_client_id = config->delivery.oauth_client_id;
        login.oauth_client_secret = config->delivery.oauth_client_secret;
        login.oauth_scope = config->delivery.oauth_scope;
    } else if (config->delivery.jwt_login_url) {
        login.kind = DL_TOKEN_JWT;
        login.jwt_login_url = config->delivery.jwt_login_url;
        login.jwt_consumer_key = config->delivery.jwt_consumer_key;
        login.jwt_username = config->delivery.jwt_username;
        login.jwt_private_key_path = config->delivery.jwt_private_key_path;
        login.jwt_lifetime_ms = (int64_t)config->delivery.jwt_token_lifetime_seconds * 1000;
        login.provision_base_url = config->delivery.base_url;
    } else {
        login.kind = DL_TOKEN_FIXED; /* no login: an empty token, which OCI refuses */
        login.fixed_token = "";
    }
    return login;
}

dl_token_source *dl_token_source_new(const dl_token_login *login, char error[DL_TOKEN_ERROR_MAX])
{
    dl_token_source *source = calloc(1, sizeof *source);
    if (!source) {
        snprintf(error, DL_TOKEN_ERROR_MAX, "out of memory");
        return NULL;
    }
    source->login = *login;
    if (login->kind == DL_TOKEN_JWT) {
        int world_readable = 0;
        char why[CM_RSA_KEY_ERROR_MAX];
        if (!login->jwt_private_key_path ||
            cm_rsa_private_key_load(login->jwt_private_key_path, &source->key, &world_readable, why) != CM_OK) {
            snprintf(error, DL_TOKEN_ERROR_MAX, "jwt.privateKey %s", login->jwt_private_key_path ? why : "is missing");
            free(source);
            return NULL;
        }
        if (world_readable)
            cm_log_warn("delivery.key_readable", "the private key %s can be read by every user; chmod 600 it",
                        login->jwt_private_key_path);
    }
    pthread_mutex_init(&source->lock, NULL);
    return source;
}

static void forget_provisioned(dl_token_source *source)
{
    for (size_t i = 0; i < source->provisioned_count; i++)
        free(source->provisioned[i]);
    source->provisioned_count = 0;
}

void dl_token_source_free(dl_token_source *source)
{
    if (!source)
        return;
    pthread_mutex_destroy(&source->lock);
    EVP_PKEY_free(source->key);
    forget_provisioned(source);
    free(source->provisioned);
    OPENSSL_cleanse(source->token, sizeof source->token);
    free(source);
}

int dl_token_renewable(const dl_token_source *source)
{
    return source->login.kind != DL_TOKEN_FIXED;
}

int64_t dl_token_fetch_count(dl_token_source *source)
{
    pthread_mutex_lock(&source->lock);
    int64_t count = source->fetches;
    pthread_mutex_unlock(&source->lock);
    return count;
}

int64_t dl_token_provision_count(dl_token_source *source)
{
    pthread_mutex_lock(&source->lock);
    int64_t count = source->provisions;
    pthread_mutex_unlock(&source->lock);
    return count;
}

/* Fetches a new token into source->token. Called with the lock held. */
static q_delivery_status fetch(dl_token_source *source, const dl_fetch_call *call)
{
    dl_fetched *fetched = malloc(sizeof *fetched);
    if (!fetched) {
        snprintf(call->message, Q_DELIVERY_MESSAGE_MAX, "out of memory");
        return Q_DELIVERY_RETRY;
    }
    /* The token's life is counted from before the request went out: never later than OCI's. */
    int64_t asked_at = cm_mono_ms();
    q_delivery_status status = source->login.kind == DL_TOKEN_JWT ? dl_fetch_jwt(call, source->key, fetched)
                                                                  : dl_fetch_client_credentials(call, fetched);
    source->fetches++;
    if (status == Q_DELIVERY_OK) {
        snprintf(source->token, sizeof source->token, "%s", fetched->token);
        int64_t lifetime_ms = fetched->lifetime_ms;
        int64_t early = lifetime_ms / 5 < DL_TOKEN_EARLY_RENEW_MAX_MS ? lifetime_ms / 5 : DL_TOKEN_EARLY_RENEW_MAX_MS;
        source->renew_at_ms = asked_at + lifetime_ms - early;
        forget_provisioned(source);
        cm_log_info("delivery.token", "obtained a %s token valid %lld s",
                    source->login.kind == DL_TOKEN_JWT ? "connected-app (JWT)" : "OAuth",
                    (long long)(lifetime_ms / 1000));
    }
    OPENSSL_cleanse(fetched, sizeof *fetched);
    free(fetched);
    return status;
}

/* Announces the current token to `org_id` once. Called with the lock held. */
static q_delivery_status provision(dl_token_source *source, const dl_fetch_call *call, const char *org_id)
{
    if (source->login.kind != DL_TOKEN_JWT || !source->login.provision_base_url || !org_id)
        return Q_DELIVERY_OK;
    for (size_t i = 0; i < source->provisioned_count; i++)
        if (strcmp(source->provisioned[i], org_id) == 0)
            return Q_DELIVERY_OK;
    q_delivery_status status = dl_provision_org(call, source->token, org_id);
    source->provisions++;
    if (status != Q_DELIVERY_OK)
        return status;
    /* Short of memory the organization is simply announced again next time (harmless). */
    if (source->provisioned_count == source->provisioned_capacity) {
        size_t capacity = source->provisioned_capacity ? source->provisioned_capacity * 2 : 8;
        char **grown = realloc(source->provisioned, capacity * sizeof *grown);
        if (!grown)
            return status;
        source->provisioned = grown;
        source->provisioned_capacity = capacity;
    }
    char *copy = strdup(org_id);
    if (copy)
        source->provisioned[source->provisioned_count++] = copy;
    return status;
}

q_delivery_status dl_token_get(dl_token_source *source, cm_httpc_client *client, const char *org_id,
                               const char *refused, char out[DL_TOKEN_MAX], int64_t *retry_after_ms,
                               char message[Q_DELIVERY_MESSAGE_MAX], int (*should_stop)(void *),
                               void *stop_data)
{
    *retry_after_ms = -1;
    if (source->login.kind == DL_TOKEN_FIXED) {
        snprintf(out, DL_TOKEN_MAX, "%s", source->login.fixed_token);
        return Q_DELIVERY_OK;
    }
    dl_fetch_call call = {&source->login, client, retry_after_ms, message, should_stop, stop_data};
    pthread_mutex_lock(&source->lock);
    q_delivery_status status = Q_DELIVERY_OK;
    int stale = source->renew_at_ms == 0 || cm_mono_ms() >= source->renew_at_ms ||
                (refused && strcmp(refused, source->token) == 0);
    if (stale)
        status = fetch(source, &call);
    if (status == Q_DELIVERY_OK)
        status = provision(source, &call, org_id);
    if (status == Q_DELIVERY_OK)
        snprintf(out, DL_TOKEN_MAX, "%s", source->token);
    else
        source->renew_at_ms = 0;
    pthread_mutex_unlock(&source->lock);
    return status;
}
