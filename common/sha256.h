/*
 * sha256.h - SHA-256 (FIPS 180-4), for API key hashes, deterministic record ids and file hashes.
 * Pure code, no allocation.
 */
#ifndef CM_SHA256_H
#define CM_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define CM_SHA256_LEN 32
#define CM_SHA256_HEX_LEN 64

typedef struct cm_sha256_ctx {
    uint32_t state[8];
    uint64_t total_bytes;
    uint8_t block[64];
    size_t block_used;
} cm_sha256_ctx;

void cm_sha256_init(cm_sha256_ctx *ctx);
void cm_sha256_update(cm_sha256_ctx *ctx, const void *data, size_t len);
void cm_sha256_final(cm_sha256_ctx *ctx, uint8_t digest[CM_SHA256_LEN]);

/* One-shot digest of a buffer. */
void cm_sha256(const void *data, size_t len, uint8_t digest[CM_SHA256_LEN]);

/* Lower-case hex of a digest into out (CM_SHA256_HEX_LEN + 1 bytes, NUL-terminated). */
void cm_sha256_hex(const uint8_t digest[CM_SHA256_LEN], char out[CM_SHA256_HEX_LEN + 1]);

/* Compares two equal-length buffers in time independent of their contents. Returns 1 if equal. */
int cm_const_time_equal(const void *a, const void *b, size_t len);

#endif
