/* base64url.c - JWT-style base64url on libcrypto (base64url.h). */
#include "common/base64url.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

cm_err cm_base64url_encode(const void *data, size_t length, char *out, size_t out_size, size_t *out_length)
{
    size_t padded = CM_BASE64URL_ENCODED_LEN(length);
    if (length > (size_t)0x3fffffff)
        return CM_ETOOBIG;
    /* EVP_EncodeBlock writes the padded text and a NUL. */
    char *buffer = malloc(padded + 1);
    if (!buffer)
        return CM_ENOMEM;
    int written = EVP_EncodeBlock((unsigned char *)buffer, data, (int)length);
    size_t used = written > 0 ? (size_t)written : 0;
    while (used > 0 && buffer[used - 1] == '=')
        used--;
    if (used + 1 > out_size) {
        free(buffer);
        return CM_ETOOBIG;
    }
    for (size_t i = 0; i < used; i++)
        out[i] = buffer[i] == '+' ? '-' : buffer[i] == '/' ? '_' : buffer[i];
    out[used] = '\0';
    free(buffer);
    if (out_length)
        *out_length = used;
    return CM_OK;
}

static int is_url_alphabet(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

cm_err cm_base64url_decode(const char *text, size_t length, unsigned char *out, size_t out_size,
                           size_t *out_length)
{
    /* A remainder of one character cannot come from whole bytes. */
    if (length % 4 == 1 || length > (size_t)0x3fffffff)
        return CM_EINVAL;
    for (size_t i = 0; i < length; i++)
        if (!is_url_alphabet(text[i]))
            return CM_EINVAL;
    size_t pad = (4 - length % 4) % 4;
    size_t decoded = length / 4 * 3 + (length % 4 ? length % 4 - 1 : 0);
    if (decoded > out_size)
        return CM_ETOOBIG;
    char *standard = malloc(length + pad + 1);
    unsigned char *bytes = malloc((length + pad) / 4 * 3 + 1);
    if (!standard || !bytes) {
        free(standard);
        free(bytes);
        return CM_ENOMEM;
    }
    for (size_t i = 0; i < length; i++)
        standard[i] = text[i] == '-' ? '+' : text[i] == '_' ? '/' : text[i];
    memset(standard + length, '=', pad);
    standard[length + pad] = '\0';
    /* EVP_DecodeBlock counts the padding as zero bytes; `decoded` is the real length. */
    int n = length ? EVP_DecodeBlock(bytes, (const unsigned char *)standard, (int)(length + pad)) : 0;
    cm_err rc = n < 0 ? CM_EINVAL : CM_OK;
    if (rc == CM_OK) {
        memcpy(out, bytes, decoded);
        if (out_length)
            *out_length = decoded;
    }
    free(standard);
    free(bytes);
    return rc;
}
