/*
 * digest.h - SHA-256 and SHA-512 from OpenSSL's libcrypto (EVP), for API key hashes,
 * deterministic record ids and import/export file hashes, plus constant-time comparison.
 *
 * It promises: streaming contexts that never fail half-way silently. An allocation failure inside
 * libcrypto is remembered by the context, later updates are ignored, and the final call reports it
 * (CM_ENOMEM) with a zeroed digest, so a caller checks one result at the end. It never hashes by
 * hand, never logs, and keeps no global state.
 */
#ifndef CM_DIGEST_H
#define CM_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define CM_SHA256_LEN 32
#define CM_SHA256_HEX_LEN 64
#define CM_SHA512_LEN 64
#define CM_SHA512_HEX_LEN 128

/* A running digest. Owned by the caller (usually on the stack); the libcrypto context inside is
 * freed by the final call (or cm_digest_discard when the caller gives up). */
typedef struct cm_digest_ctx {
    void *evp;  /* EVP_MD_CTX *, NULL after final/discard or when it could not be made */
    int failed; /* 1 once libcrypto refused a call */
} cm_digest_ctx;

typedef cm_digest_ctx cm_sha256_ctx;
typedef cm_digest_ctx cm_sha512_ctx;

void cm_sha256_init(cm_sha256_ctx *ctx);
void cm_sha512_init(cm_sha512_ctx *ctx);
/* Feeds bytes into either kind of context. */
void cm_digest_update(cm_digest_ctx *ctx, const void *data, size_t len);
#define cm_sha256_update cm_digest_update
#define cm_sha512_update cm_digest_update
/* Writes the digest and frees the context. CM_OK, or CM_ENOMEM (digest zeroed) when libcrypto
 * failed at any step. */
cm_err cm_sha256_final(cm_sha256_ctx *ctx, uint8_t digest[CM_SHA256_LEN]);
cm_err cm_sha512_final(cm_sha512_ctx *ctx, uint8_t digest[CM_SHA512_LEN]);
/* Frees a context that will not be finished. Safe on a finished one. */
void cm_digest_discard(cm_digest_ctx *ctx);

/* One-shot SHA-256 of a buffer; CM_OK or CM_ENOMEM (digest zeroed). */
cm_err cm_sha256(const void *data, size_t len, uint8_t digest[CM_SHA256_LEN]);

/* SHA-256 of many texts that start with the same bytes: the prefix is hashed once, and each text
 * starts from a copy of that state (a prefix of 64 bytes or more then saves a compression of each
 * text, and one context is reused instead of made and freed per text). */
typedef struct cm_sha256_prefixed {
    void *prefix; /* EVP_MD_CTX * holding the prefix */
    void *work;   /* EVP_MD_CTX * reused for each text */
} cm_sha256_prefixed;

/* CM_OK, or CM_ENOMEM (nothing to free then). */
cm_err cm_sha256_prefixed_init(cm_sha256_prefixed *hash, const void *prefix, size_t len);
/* The digest of prefix + tail: CM_OK, or CM_ENOMEM (digest zeroed). */
cm_err cm_sha256_prefixed_final(cm_sha256_prefixed *hash, const void *tail, size_t len,
                                uint8_t digest[CM_SHA256_LEN]);
void cm_sha256_prefixed_free(cm_sha256_prefixed *hash);

/* Lower-case hex of `len` digest bytes into out (2 * len + 1 bytes, NUL-terminated). */
void cm_digest_hex(const uint8_t *digest, size_t len, char *out);
void cm_sha256_hex(const uint8_t digest[CM_SHA256_LEN], char out[CM_SHA256_HEX_LEN + 1]);
void cm_sha512_hex(const uint8_t digest[CM_SHA512_LEN], char out[CM_SHA512_HEX_LEN + 1]);

/* Compares two equal-length buffers in time independent of their contents. Returns 1 if equal. */
int cm_const_time_equal(const void *a, const void *b, size_t len);

#endif
