/* digest.c - SHA-256 / SHA-512 on libcrypto's EVP interface (digest.h). */
#include "common/digest.h"

#include <pthread.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

/* OpenSSL 3 looks the algorithm up in its providers on every EVP_DigestInit_ex of EVP_sha256()
 * (an "implicit fetch": most of the ~17 000 instructions one short hash cost, and the worker hashes
 * once per record for its record id). The algorithms are fetched once and kept for the process's
 * life; if a fetch fails, the implicit one is used as before. */
static pthread_once_t fetched_once = PTHREAD_ONCE_INIT;
static EVP_MD *fetched_sha256, *fetched_sha512;

static void fetch_digests(void)
{
    fetched_sha256 = EVP_MD_fetch(NULL, "SHA2-256", NULL);
    fetched_sha512 = EVP_MD_fetch(NULL, "SHA2-512", NULL);
}

static void begin(cm_digest_ctx *ctx, const EVP_MD *kind)
{
    ctx->failed = 0;
    ctx->evp = EVP_MD_CTX_new();
    if (!ctx->evp || EVP_DigestInit_ex(ctx->evp, kind, NULL) != 1)
        ctx->failed = 1;
}

void cm_sha256_init(cm_sha256_ctx *ctx)
{
    pthread_once(&fetched_once, fetch_digests);
    begin(ctx, fetched_sha256 ? fetched_sha256 : EVP_sha256());
}

void cm_sha512_init(cm_sha512_ctx *ctx)
{
    pthread_once(&fetched_once, fetch_digests);
    begin(ctx, fetched_sha512 ? fetched_sha512 : EVP_sha512());
}

void cm_digest_update(cm_digest_ctx *ctx, const void *data, size_t len)
{
    if (ctx->failed || len == 0)
        return;
    if (EVP_DigestUpdate(ctx->evp, data, len) != 1)
        ctx->failed = 1;
}

void cm_digest_discard(cm_digest_ctx *ctx)
{
    EVP_MD_CTX_free(ctx->evp);
    ctx->evp = NULL;
}

static cm_err finish(cm_digest_ctx *ctx, uint8_t *digest, size_t len)
{
    unsigned written = 0;
    if (!ctx->failed && (EVP_DigestFinal_ex(ctx->evp, digest, &written) != 1 || written != len))
        ctx->failed = 1;
    cm_digest_discard(ctx);
    if (ctx->failed) {
        memset(digest, 0, len);
        return CM_ENOMEM;
    }
    return CM_OK;
}

cm_err cm_sha256_final(cm_sha256_ctx *ctx, uint8_t digest[CM_SHA256_LEN])
{
    return finish(ctx, digest, CM_SHA256_LEN);
}

cm_err cm_sha512_final(cm_sha512_ctx *ctx, uint8_t digest[CM_SHA512_LEN])
{
    return finish(ctx, digest, CM_SHA512_LEN);
}

cm_err cm_sha256(const void *data, size_t len, uint8_t digest[CM_SHA256_LEN])
{
    cm_sha256_ctx ctx;
    cm_sha256_init(&ctx);
    cm_digest_update(&ctx, data, len);
    return cm_sha256_final(&ctx, digest);
}

cm_err cm_sha256_prefixed_init(cm_sha256_prefixed *hash, const void *prefix, size_t len)
{
    pthread_once(&fetched_once, fetch_digests);
    EVP_MD_CTX *start = EVP_MD_CTX_new(), *work = EVP_MD_CTX_new();
    if (!start || !work || EVP_DigestInit_ex(start, fetched_sha256 ? fetched_sha256 : EVP_sha256(), NULL) != 1 ||
        (len && EVP_DigestUpdate(start, prefix, len) != 1)) {
        EVP_MD_CTX_free(start);
        EVP_MD_CTX_free(work);
        hash->prefix = hash->work = NULL;
        return CM_ENOMEM;
    }
    hash->prefix = start;
    hash->work = work;
    return CM_OK;
}

cm_err cm_sha256_prefixed_final(cm_sha256_prefixed *hash, const void *tail, size_t len,
                                uint8_t digest[CM_SHA256_LEN])
{
    unsigned written = 0;
    if (EVP_MD_CTX_copy_ex(hash->work, hash->prefix) != 1 || (len && EVP_DigestUpdate(hash->work, tail, len) != 1) ||
        EVP_DigestFinal_ex(hash->work, digest, &written) != 1 || written != CM_SHA256_LEN) {
        memset(digest, 0, CM_SHA256_LEN);
        return CM_ENOMEM;
    }
    return CM_OK;
}

void cm_sha256_prefixed_free(cm_sha256_prefixed *hash)
{
    EVP_MD_CTX_free(hash->prefix);
    EVP_MD_CTX_free(hash->work);
    hash->prefix = hash->work = NULL;
}

void cm_digest_hex(const uint8_t *digest, size_t len, char *out)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[i * 2] = hex[digest[i] >> 4];
        out[i * 2 + 1] = hex[digest[i] & 15];
    }
    out[len * 2] = '\0';
}

void cm_sha256_hex(const uint8_t digest[CM_SHA256_LEN], char out[CM_SHA256_HEX_LEN + 1])
{
    cm_digest_hex(digest, CM_SHA256_LEN, out);
}

void cm_sha512_hex(const uint8_t digest[CM_SHA512_LEN], char out[CM_SHA512_HEX_LEN + 1])
{
    cm_digest_hex(digest, CM_SHA512_LEN, out);
}

int cm_const_time_equal(const void *a, const void *b, size_t len)
{
    return CRYPTO_memcmp(a, b, len) == 0;
}
