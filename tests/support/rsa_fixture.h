/*
 * rsa_fixture.h - real RSA key pairs and self-signed certificates for the login tests, made with
 * libcrypto, and JWT assertions minted with them (common/jwt.h). Fails the test on any error.
 */
#ifndef TEST_RSA_FIXTURE_H
#define TEST_RSA_FIXTURE_H

#include <stdint.h>

#include <openssl/evp.h>

typedef struct th_rsa {
    EVP_PKEY *key;
    char key_path[320];  /* PEM private key (PKCS#8), mode 0600 */
    char cert_path[320]; /* PEM self-signed X.509 certificate */
    char pubkey_path[320]; /* PEM public key */
} th_rsa;

/* Makes a 2048-bit key pair under `dir` as <name>.key, <name>.crt and <name>.pub. */
void th_rsa_make(th_rsa *rsa, const char *dir, const char *name);
void th_rsa_free(th_rsa *rsa);

/* A signed RS256 assertion (caller frees) with these claims; `aud` NULL leaves it out, exp 0 too. */
char *th_jwt_mint(EVP_PKEY *key, const char *iss, const char *sub, const char *aud, int64_t exp);

/* A compact token built from raw header and claims JSON and an arbitrary signature (caller frees). */
char *th_jwt_raw(const char *header_json, const char *claims_json, const char *signature_bytes);

#endif
