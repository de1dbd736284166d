/* jwt.c - RS256 compact JWTs on libcrypto and json-c (jwt.h). */
#include "common/jwt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/base64url.h"
#include "common/json_util.h"

/* A header or claims set larger than this is not a login assertion. */
#define SEGMENT_JSON_MAX 4096

void cm_jwt_free(cm_jwt *jwt)
{
    if (!jwt)
        return;
    json_object_put(jwt->header);
    json_object_put(jwt->claims);
    free(jwt->signing_input);
    memset(jwt, 0, sizeof *jwt);
}

static cm_jwt_status refuse(cm_jwt *out, cm_jwt_status status, char why[CM_JWT_WHY_MAX], const char *text)
{
    cm_jwt_free(out);
    snprintf(why, CM_JWT_WHY_MAX, "%s", text);
    return status;
}

/* decode_object has written `why` already (except when memory ran out). */
static cm_jwt_status segment_refused(cm_jwt *out, cm_jwt_status status, char why[CM_JWT_WHY_MAX])
{
    cm_jwt_free(out);
    if (status == CM_JWT_NO_MEMORY)
        snprintf(why, CM_JWT_WHY_MAX, "out of memory");
    return status;
}

/* Decodes one segment that must hold a JSON object. */
static cm_jwt_status decode_object(const char *segment, size_t length, const char *which, json_object **out,
                                   char why[CM_JWT_WHY_MAX])
{
    unsigned char bytes[SEGMENT_JSON_MAX];
    size_t used = 0;
    cm_err rc = cm_base64url_decode(segment, length, bytes, sizeof bytes, &used);
    if (rc == CM_ENOMEM)
        return CM_JWT_NO_MEMORY;
    if (rc != CM_OK) {
        snprintf(why, CM_JWT_WHY_MAX, "the JWT %s is not base64url", which);
        return CM_JWT_MALFORMED;
    }
    char parse_error[CM_JSON_ERROR_MAX];
    rc = cm_json_parse((const char *)bytes, used, 8, out, parse_error);
    if (rc == CM_ENOMEM)
        return CM_JWT_NO_MEMORY;
    if (rc != CM_OK || !json_object_is_type(*out, json_type_object)) {
        json_object_put(*out);
        *out = NULL;
        snprintf(why, CM_JWT_WHY_MAX, "the JWT %s is not a JSON object", which);
        return CM_JWT_MALFORMED;
    }
    return CM_JWT_OK;
}

cm_jwt_status cm_jwt_decode(const char *text, size_t length, cm_jwt *out, char why[CM_JWT_WHY_MAX])
{
    memset(out, 0, sizeof *out);
    if (!text || length == 0)
        return refuse(out, CM_JWT_MALFORMED, why, "the assertion is empty");
    if (length > CM_JWT_MAX)
        return refuse(out, CM_JWT_MALFORMED, why, "the assertion is too long");
    const char *first = memchr(text, '.', length);
    const char *second = first ? memchr(first + 1, '.', length - (size_t)(first + 1 - text)) : NULL;
    if (!first || !second || memchr(second + 1, '.', length - (size_t)(second + 1 - text)))
        return refuse(out, CM_JWT_MALFORMED, why, "the assertion is not three dot-separated segments");
    size_t header_length = (size_t)(first - text);
    size_t payload_length = (size_t)(second - first - 1);
    size_t signature_length = length - (size_t)(second + 1 - text);
    if (!header_length || !payload_length || !signature_length)
        return refuse(out, CM_JWT_MALFORMED, why, "a segment of the assertion is empty");
    cm_jwt_status status = decode_object(text, header_length, "header", &out->header, why);
    if (status != CM_JWT_OK)
        return segment_refused(out, status, why);
    /* The algorithm is checked before anything else is trusted: "none" never reaches a key. */
    const char *alg = NULL;
    if (cm_json_string(out->header, "alg", &alg) != CM_JSON_OK)
        return refuse(out, CM_JWT_WRONG_ALG, why, "the JWT header has no \"alg\"");
    if (strcmp(alg, "RS256") != 0)
        return refuse(out, CM_JWT_WRONG_ALG, why, "the JWT header's \"alg\" must be RS256");
    status = decode_object(first + 1, payload_length, "claims set", &out->claims, why);
    if (status != CM_JWT_OK)
        return segment_refused(out, status, why);
    cm_err rc = cm_base64url_decode(second + 1, signature_length, out->signature, sizeof out->signature,
                                    &out->signature_length);
    if (rc == CM_ENOMEM)
        return refuse(out, CM_JWT_NO_MEMORY, why, "out of memory");
    if (rc != CM_OK || out->signature_length == 0)
        return refuse(out, CM_JWT_MALFORMED, why, "the JWT signature is not base64url");
    out->signing_input_length = (size_t)(second - text);
    out->signing_input = malloc(out->signing_input_length + 1);
    if (!out->signing_input)
        return refuse(out, CM_JWT_NO_MEMORY, why, "out of memory");
    memcpy(out->signing_input, text, out->signing_input_length);
    out->signing_input[out->signing_input_length] = '\0';
    return CM_JWT_OK;
}

int cm_jwt_verify_rs256(const cm_jwt *jwt, EVP_PKEY *key)
{
    if (!jwt->signing_input || !key || EVP_PKEY_base_id(key) != EVP_PKEY_RSA)
        return 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key) == 1 &&
             EVP_DigestVerify(ctx, jwt->signature, jwt->signature_length,
                              (const unsigned char *)jwt->signing_input, jwt->signing_input_length) == 1;
    EVP_MD_CTX_free(ctx);
    return ok;
}

cm_err cm_jwt_sign_rs256(json_object *claims, EVP_PKEY *key, char **out)
{
    *out = NULL;
    if (!key || EVP_PKEY_base_id(key) != EVP_PKEY_RSA)
        return CM_EINVAL;
    static const char HEADER[] = "{\"alg\":\"RS256\",\"typ\":\"JWT\"}";
    size_t claims_length = 0;
    const char *claims_text = cm_json_text(claims, &claims_length);
    if (!claims_text)
        return CM_ENOMEM;
    size_t signature_max = (size_t)EVP_PKEY_get_size(key);
    size_t capacity = CM_BASE64URL_ENCODED_LEN(sizeof HEADER) + CM_BASE64URL_ENCODED_LEN(claims_length) +
                      CM_BASE64URL_ENCODED_LEN(signature_max) + 3;
    char *token = malloc(capacity);
    unsigned char *signature = malloc(signature_max);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    cm_err rc = token && signature && ctx ? CM_OK : CM_ENOMEM;
    size_t used = 0, part = 0;
    if (rc == CM_OK)
        rc = cm_base64url_encode(HEADER, sizeof HEADER - 1, token, capacity, &used);
    if (rc == CM_OK) {
        token[used++] = '.';
        rc = cm_base64url_encode(claims_text, claims_length, token + used, capacity - used, &part);
        used += part;
    }
    size_t signature_length = signature_max;
    if (rc == CM_OK && (EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) != 1 ||
                        EVP_DigestSign(ctx, signature, &signature_length, (const unsigned char *)token, used) != 1))
        rc = CM_EINVAL;
    if (rc == CM_OK) {
        token[used++] = '.';
        rc = cm_base64url_encode(signature, signature_length, token + used, capacity - used, &part);
    }
    EVP_MD_CTX_free(ctx);
    free(signature);
    if (rc != CM_OK) {
        if (token)
            OPENSSL_cleanse(token, capacity);
        free(token);
        return rc;
    }
    *out = token;
    return CM_OK;
}
