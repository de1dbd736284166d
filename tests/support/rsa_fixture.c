/* rsa_fixture.c - key pairs, certificates and assertions for tests (rsa_fixture.h). */
#include "tests/support/rsa_fixture.h"

#include "tests/support/test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "common/base64url.h"
#include "common/jwt.h"

static void write_pem(const char *path, int (*writer)(FILE *, void *), void *object)
{
    FILE *file = fopen(path, "wb");
    assert_non_null(file);
    assert_int_equal(writer(file, object), 1);
    assert_int_equal(fclose(file), 0);
}

static int write_private(FILE *file, void *key)
{
    return PEM_write_PrivateKey(file, key, NULL, NULL, 0, NULL, NULL);
}

static int write_public(FILE *file, void *key)
{
    return PEM_write_PUBKEY(file, key);
}

static int write_cert(FILE *file, void *cert)
{
    return PEM_write_X509(file, cert);
}

void th_rsa_make(th_rsa *rsa, const char *dir, const char *name)
{
    memset(rsa, 0, sizeof *rsa);
    rsa->key = EVP_RSA_gen(2048);
    assert_non_null(rsa->key);
    snprintf(rsa->key_path, sizeof rsa->key_path, "%s/%s.key", dir, name);
    snprintf(rsa->cert_path, sizeof rsa->cert_path, "%s/%s.crt", dir, name);
    snprintf(rsa->pubkey_path, sizeof rsa->pubkey_path, "%s/%s.pub", dir, name);
    write_pem(rsa->key_path, write_private, rsa->key);
    assert_int_equal(chmod(rsa->key_path, 0600), 0);
    write_pem(rsa->pubkey_path, write_public, rsa->key);
    X509 *cert = X509_new();
    assert_non_null(cert);
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600L * 24);
    X509_set_pubkey(cert, rsa->key);
    X509_NAME *subject = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, (const unsigned char *)name, -1, -1, 0);
    X509_set_issuer_name(cert, subject);
    assert_true(X509_sign(cert, rsa->key, EVP_sha256()) > 0);
    write_pem(rsa->cert_path, write_cert, cert);
    X509_free(cert);
}

void th_rsa_free(th_rsa *rsa)
{
    EVP_PKEY_free(rsa->key);
    rsa->key = NULL;
}

char *th_jwt_mint(EVP_PKEY *key, const char *iss, const char *sub, const char *aud, int64_t exp)
{
    json_object *claims = json_object_new_object();
    if (iss)
        json_object_object_add(claims, "iss", json_object_new_string(iss));
    if (sub)
        json_object_object_add(claims, "sub", json_object_new_string(sub));
    if (aud)
        json_object_object_add(claims, "aud", json_object_new_string(aud));
    if (exp)
        json_object_object_add(claims, "exp", json_object_new_int64(exp));
    char *token = NULL;
    assert_int_equal(cm_jwt_sign_rs256(claims, key, &token), CM_OK);
    json_object_put(claims);
    return token;
}

char *th_jwt_raw(const char *header_json, const char *claims_json, const char *signature_bytes)
{
    size_t capacity = 4 * (strlen(header_json) + strlen(claims_json) + strlen(signature_bytes)) + 16;
    char *token = malloc(capacity);
    assert_non_null(token);
    size_t used = 0, part = 0;
    assert_int_equal(cm_base64url_encode(header_json, strlen(header_json), token, capacity, &used), CM_OK);
    token[used++] = '.';
    assert_int_equal(cm_base64url_encode(claims_json, strlen(claims_json), token + used, capacity - used, &part), CM_OK);
    used += part;
    token[used++] = '.';
    token[used] = '\0';
    if (*signature_bytes)
        assert_int_equal(cm_base64url_encode(signature_bytes, strlen(signature_bytes), token + used, capacity - used, &part),
                         CM_OK);
    return token;
}
