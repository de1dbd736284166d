/*
 * token_source.h - the bearer token http delivery and `omsgw compare` send to OCI, from one of
 * three logins (a dl_token_login):
 * - fixed: `delivery.token`, handed out as it is and never renewed;
 * - client credentials (Account Manager): `delivery.oauth` — POST tokenUrl with HTTP Basic client
 *   id and secret, form body grant_type=client_credentials[&scope=…] (token_client_credentials.c);
 * - connected-app JWT (a Salesforce org): `delivery.jwt` — an RS256 assertion signed here with the
 *   private key (iss consumer key, sub username, aud login URL, exp a few minutes ahead) exchanged
 *   at {loginUrl}/services/oauth2/token; each new token is then announced once per organization
 *   with PUT {baseUrl}/inventory/internal/v1/organizations/{organizationId}, as the partner
 *   Postman collection does (token_jwt.c).
 * An obtained token is shared by every worker thread, renewed shortly before it expires (the last
 * fifth of its life, at most a minute early), and renewed at once when a caller reports it refused
 * (401) — only once per refused token, however many threads saw the refusal. The private key is
 * read when the source is made (a missing, unreadable or non-RSA key is an error then); a key file
 * others may read gets a warning. Neither key, assertion, secret nor token is ever logged.
 */
#ifndef DL_TOKEN_SOURCE_H
#define DL_TOKEN_SOURCE_H

#include <stdint.h>

#include "common/config.h"
#include "common/http_client.h"
#include "queue/delivery.h"

#define DL_TOKEN_MAX 8192
/* Used when the token reply has no expires_in (Salesforce's never has) and no lifetime is set. */
#define DL_TOKEN_DEFAULT_LIFETIME_MS (15 * 60 * 1000)
#define DL_TOKEN_EARLY_RENEW_MAX_MS (60 * 1000)
/* A longer expires_in is taken as this. */
#define DL_TOKEN_LIFETIME_MAX_MS (24LL * 60 * 60 * 1000)
#define DL_TOKEN_REPLY_MAX (64 * 1024)
#define DL_TOKEN_ERROR_MAX 512
/* The assertion's exp: this far ahead (Salesforce allows at most 3 minutes, plus skew). */
#define DL_JWT_ASSERTION_LIFETIME_S 180

typedef enum dl_token_kind { DL_TOKEN_FIXED, DL_TOKEN_CLIENT_CREDENTIALS, DL_TOKEN_JWT } dl_token_kind;

/* How to get a token. Every string is borrowed and must outlive the source. */
typedef struct dl_token_login {
    dl_token_kind kind;
    const char *fixed_token;
    const char *oauth_token_url, *oauth_client_id, *oauth_client_secret, *oauth_scope;
    const char *jwt_login_url, *jwt_consumer_key, *jwt_username, *jwt_private_key_path;
    int64_t jwt_lifetime_ms; /* 0: DL_TOKEN_DEFAULT_LIFETIME_MS (unless the reply has expires_in) */
    /* The OCI base URL the internal organization route is called on (JWT only); NULL: not called. */
    const char *provision_base_url;
} dl_token_login;

/* The login of the delivery section of `config` (token, else oauth, else jwt). */
dl_token_login dl_token_login_of_config(const cm_config *config);

typedef struct dl_token_source dl_token_source;

/* A source for `login`. On failure NULL with one sentence in `error` (the key file named, never
 * its content). Free with dl_token_source_free. */
dl_token_source *dl_token_source_new(const dl_token_login *login, char error[DL_TOKEN_ERROR_MAX]);
void dl_token_source_free(dl_token_source *source);

/* 1 when the token is obtained by a login (and so can be renewed after a 401). */
int dl_token_renewable(const dl_token_source *source);

/* Tokens obtained so far, and internal organization calls made (for tests and logs). */
int64_t dl_token_fetch_count(dl_token_source *source);
int64_t dl_token_provision_count(dl_token_source *source);

/*
 * Copies a usable token into `out`. `org_id` (may be NULL) is the organization the caller is about
 * to call: with a JWT login the new token is announced there first, once. `refused` is NULL, or a
 * token OCI just answered 401 to: it is then not handed out again. Fetches with `client` when
 * needed. Returns Q_DELIVERY_OK, or RETRY/FINAL with `message` (and *retry_after_ms) saying why no
 * token could be had.
 */
q_delivery_status dl_token_get(dl_token_source *source, cm_httpc_client *client, const char *org_id,
                               const char *refused, char out[DL_TOKEN_MAX], int64_t *retry_after_ms,
                               char message[Q_DELIVERY_MESSAGE_MAX], int (*should_stop)(void *),
                               void *stop_data);

#endif
