/*
 * sha512.h - SHA-512 (FIPS 180-4), streaming, pure: used to verify an import's fileHash when
 * fileHashType is SHA-512. No allocation, no I/O.
 */
#ifndef OCI_SHA512_H
#define OCI_SHA512_H

#include <stddef.h>
#include <stdint.h>

#define OCI_SHA512_LEN 64
#define OCI_SHA512_HEX_LEN 128

typedef struct oci_sha512_ctx {
    uint64_t state[8];
    uint64_t length_low, length_high; /* message length in bytes (128-bit) */
    unsigned char block[128];
    size_t used;
} oci_sha512_ctx;

void oci_sha512_init(oci_sha512_ctx *ctx);
void oci_sha512_update(oci_sha512_ctx *ctx, const void *data, size_t length);
void oci_sha512_final(oci_sha512_ctx *ctx, uint8_t digest[OCI_SHA512_LEN]);
/* Lower-case hexadecimal, NUL-terminated. */
void oci_sha512_hex(const uint8_t digest[OCI_SHA512_LEN], char out[OCI_SHA512_HEX_LEN + 1]);

#endif
