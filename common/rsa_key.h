/*
 * rsa_key.h - reading RSA keys from PEM files with libcrypto: the public key of a connected app
 * (an X.509 certificate or a bare public key) and the private key delivery.jwt signs with.
 *
 * It promises: a key that is not RSA, a file that is missing, unreadable or not PEM is refused
 * with one sentence naming the file and the problem (never the key's content). Private key bytes
 * are read straight into libcrypto and never copied into our buffers.
 */
#ifndef CM_RSA_KEY_H
#define CM_RSA_KEY_H

#include <openssl/evp.h>

#include "common/err.h"

#define CM_RSA_KEY_ERROR_MAX 400

/* Loads the RSA public key of a PEM certificate or PEM public key. On CM_OK *out is a new key the
 * caller frees with EVP_PKEY_free; otherwise `error` says why. */
cm_err cm_rsa_public_key_load(const char *path, EVP_PKEY **out, char error[CM_RSA_KEY_ERROR_MAX]);

/* Loads an unencrypted PEM RSA private key (PKCS#1 or PKCS#8). *world_readable (may be NULL) is
 * set to 1 when others may read the file. On CM_OK *out is a new key (EVP_PKEY_free). */
cm_err cm_rsa_private_key_load(const char *path, EVP_PKEY **out, int *world_readable,
                               char error[CM_RSA_KEY_ERROR_MAX]);

#endif
