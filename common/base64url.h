/*
 * base64url.h - base64url without padding (RFC 4648 §5, as JWTs use it) on libcrypto's
 * EVP_EncodeBlock / EVP_DecodeBlock.
 *
 * It promises: strict decoding (only the URL alphabet, no padding, no white space, no length that
 * cannot come from whole bytes) so a malformed JWT segment is refused, never guessed at; outputs
 * bounded by the caller's buffer (CM_ETOOBIG past it, never a silent cut). No allocation beyond a
 * temporary copy.
 */
#ifndef CM_BASE64URL_H
#define CM_BASE64URL_H

#include <stddef.h>

#include "common/err.h"

/* Characters needed to encode `n` bytes (without the NUL). */
#define CM_BASE64URL_ENCODED_LEN(n) (((n) + 2) / 3 * 4)

/* Encodes `length` bytes into `out` (NUL-terminated). CM_ETOOBIG when out_size is short,
 * CM_ENOMEM. *out_length (may be NULL) gets the text length. */
cm_err cm_base64url_encode(const void *data, size_t length, char *out, size_t out_size, size_t *out_length);

/* Decodes `length` characters of `text` into `out` (not NUL-terminated). CM_EINVAL when the text
 * is not strict base64url, CM_ETOOBIG when out_size is short, CM_ENOMEM. */
cm_err cm_base64url_decode(const char *text, size_t length, unsigned char *out, size_t out_size,
                           size_t *out_length);

#endif
