/*
 * token_source.h - the bearer token http delivery (and omsgw compare) sends to OCI.
 *
 * Either the fixed `delivery.token`, or one obtained with the OAuth client-credentials flow of
 * `delivery.oauth` (POST tokenUrl, HTTP Basic client id and secret, form body
 * grant_type=client_credentials[&scope=…]). An obtained token is shared by every worker thread,
 * renewed shortly before it expires (the last fifth of its life, at most a minute early), and
 * renewed at once when a caller reports it refused (401) — only once per refused token, however
 * many threads saw the refusal. The client secret is never logged.
 */
#ifndef DL_TOKEN_SOURCE_H
#define DL_TOKEN_SOURCE_H

#include <stdint.h>

#include "common/http_client.h"
#include "common/config.h"
#include "queue/delivery.h"

#define DL_TOKEN_MAX 8192
/* Used when the token reply has no expires_in. */
#define DL_TOKEN_DEFAULT_LIFETIME_MS (15 * 60 * 1000)
#define DL_TOKEN_EARLY_RENEW_MAX_MS (60 * 1000)
/* A longer expires_in is taken as this. */
#define DL_TOKEN_LIFETIME_MAX_MS (24LL * 60 * 60 * 1000)
#define DL_TOKEN_REPLY_MAX (64 * 1024)

typedef struct dl_token_source dl_token_source;

/* A source for the delivery section of `config` (which must outlive it). NULL on allocation
 * failure. Free with dl_token_source_free. */
dl_token_source *dl_token_source_new(const cm_config *config);
void dl_token_source_free(dl_token_source *source);

/* 1 when the token is obtained with OAuth (and so can be renewed after a 401). */
int dl_token_renewable(const dl_token_source *source);

/* Number of tokens obtained so far (for tests and logs). */
int64_t dl_token_fetch_count(dl_token_source *source);

/*
 * Copies a usable token into `out`. `refused` is NULL, or a token OCI just answered 401 to: it is
 * then not handed out again. Fetches with `client` when needed. Returns Q_DELIVERY_OK, or
 * RETRY/FINAL with `message` (and *retry_after_ms) saying why no token could be had.
 */
q_delivery_status dl_token_get(dl_token_source *source, cm_httpc_client *client, const char *refused,
                                char out[DL_TOKEN_MAX], int64_t *retry_after_ms,
                                char message[Q_DELIVERY_MESSAGE_MAX], int (*should_stop)(void *),
                                void *stop_data);

#endif
