/*
 * jwt.h - compact JSON Web Tokens signed with RS256 (RFC 7519 / 7515), as the Salesforce OAuth
 * 2.0 JWT bearer flow uses them: decoding and verifying an assertion (the bundled core's token
 * route) and signing one (delivery.jwt). Signatures are libcrypto's RSASSA-PKCS1-v1_5 with SHA-256.
 *
 * It promises: decoding never trusts its input. Exactly three non-empty segments, strict
 * base64url, a header and a claims set that are JSON objects, and a header whose "alg" is exactly
 * "RS256" ("none" and every other algorithm are refused before any key is touched). Each refusal
 * names the part that was wrong. Claims are left to the caller (they depend on who checks).
 * Nothing here logs, and no token text is kept beyond the cm_jwt the caller frees.
 */
#ifndef CM_JWT_H
#define CM_JWT_H

#include <stddef.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include "common/err.h"

/* The longest assertion accepted (Salesforce's are ~1 KB with a 2048-bit key). */
#define CM_JWT_MAX 8192
/* A 4096-bit RSA signature is 512 bytes; room for 8192-bit keys. */
#define CM_JWT_SIGNATURE_MAX 1024
#define CM_JWT_WHY_MAX 160

typedef enum cm_jwt_status {
    CM_JWT_OK = 0,
    CM_JWT_MALFORMED,   /* not three segments, bad base64url, not JSON objects, too long */
    CM_JWT_WRONG_ALG,   /* header alg missing, "none" or not RS256 */
    CM_JWT_NO_MEMORY,
} cm_jwt_status;

/* A decoded token. Owns its members: free with cm_jwt_free. */
typedef struct cm_jwt {
    json_object *header;
    json_object *claims;
    char *signing_input; /* "<header>.<payload>" as received: what the signature covers */
    size_t signing_input_length;
    unsigned char signature[CM_JWT_SIGNATURE_MAX];
    size_t signature_length;
} cm_jwt;

/* Decodes `length` bytes of `text`. On anything but CM_JWT_OK, `why` says what was wrong and *out
 * holds nothing to free (cm_jwt_free is still safe). */
cm_jwt_status cm_jwt_decode(const char *text, size_t length, cm_jwt *out, char why[CM_JWT_WHY_MAX]);
void cm_jwt_free(cm_jwt *jwt);

/* 1 when the signature verifies with the RSA public key `key`, else 0. */
int cm_jwt_verify_rs256(const cm_jwt *jwt, EVP_PKEY *key);

/* Signs `claims` (borrowed) with header {"alg":"RS256","typ":"JWT"} and the RSA private key.
 * On CM_OK *out is a new NUL-terminated compact token the caller frees (and should wipe). */
cm_err cm_jwt_sign_rs256(json_object *claims, EVP_PKEY *key, char **out);

#endif
