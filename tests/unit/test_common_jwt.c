/*
 * test_common_jwt.c - common/jwt on libcrypto: RS256 sign/verify round trips with a real key,
 * and every malformed token refused with its reason before any key is used. (The base64url it
 * rests on: test_common_base64url.c.)
 */
#include "tests/support/test_support.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "common/jwt.h"
#include "common/json_util.h"

static char *sign(EVP_PKEY *key, const char *claims_text)
{
    json_object *claims = json_tokener_parse(claims_text);
    assert_non_null(claims);
    char *token = NULL;
    assert_int_equal(cm_jwt_sign_rs256(claims, key, &token), CM_OK);
    json_object_put(claims);
    return token;
}

static void sign_verify_round_trip(void **state)
{
    (void)state;
    EVP_PKEY *key = EVP_RSA_gen(2048), *other = EVP_RSA_gen(2048);
    assert_non_null(key);
    assert_non_null(other);
    char *token = sign(key, "{\"iss\":\"ck\",\"sub\":\"u\",\"aud\":\"https://login.salesforce.com\",\"exp\":1}");
    cm_jwt jwt;
    char why[CM_JWT_WHY_MAX];
    assert_int_equal(cm_jwt_decode(token, strlen(token), &jwt, why), CM_JWT_OK);
    const char *iss = NULL, *typ = NULL;
    assert_int_equal(cm_json_string(jwt.claims, "iss", &iss), CM_JSON_OK);
    assert_string_equal(iss, "ck");
    assert_int_equal(cm_json_string(jwt.header, "typ", &typ), CM_JSON_OK);
    assert_string_equal(typ, "JWT");
    assert_int_equal(jwt.signature_length, 256);
    assert_true(cm_jwt_verify_rs256(&jwt, key));
    assert_false(cm_jwt_verify_rs256(&jwt, other));
    assert_false(cm_jwt_verify_rs256(&jwt, NULL));
    cm_jwt_free(&jwt);
    /* One changed character of the claims breaks the signature. */
    char *dot = strchr(token, '.');
    dot[3] = dot[3] == 'A' ? 'B' : 'A';
    if (cm_jwt_decode(token, strlen(token), &jwt, why) == CM_JWT_OK) {
        assert_false(cm_jwt_verify_rs256(&jwt, key));
        cm_jwt_free(&jwt);
    }
    free(token);
    /* Signing refuses a key that is not RSA. */
    EVP_PKEY *ec = EVP_EC_gen("P-256");
    assert_non_null(ec);
    json_object *claims = json_object_new_object();
    char *none = NULL;
    assert_int_equal(cm_jwt_sign_rs256(claims, ec, &none), CM_EINVAL);
    assert_null(none);
    json_object_put(claims);
    EVP_PKEY_free(ec);
    EVP_PKEY_free(key);
    EVP_PKEY_free(other);
}

static void malformed_tokens_refused(void **state)
{
    (void)state;
    static const struct {
        const char *token;
        cm_jwt_status status;
        const char *why;
    } CASES[] = {
        {"", CM_JWT_MALFORMED, "empty"},
        {"abc", CM_JWT_MALFORMED, "three"},
        {"a.b", CM_JWT_MALFORMED, "three"},
        {"a.b.c.d", CM_JWT_MALFORMED, "three"},
        {".e30.c2ln", CM_JWT_MALFORMED, "empty"},
        {"eyJhbGciOiJSUzI1NiJ9..c2ln", CM_JWT_MALFORMED, "empty"},
        {"eyJhbGciOiJSUzI1NiJ9.e30.", CM_JWT_MALFORMED, "empty"},
        {"ey*hbGciOiJSUzI1NiJ9.e30.c2ln", CM_JWT_MALFORMED, "header is not base64url"},
        {"bm90IGpzb24.e30.c2ln", CM_JWT_MALFORMED, "header is not a JSON object"},     /* "not json" */
        {"WzFd.e30.c2ln", CM_JWT_MALFORMED, "header is not a JSON object"},            /* [1] */
        {"e30.e30.c2ln", CM_JWT_WRONG_ALG, "no \"alg\""},                              /* {} */
        {"eyJhbGciOiJub25lIn0.e30.c2ln", CM_JWT_WRONG_ALG, "RS256"},                   /* alg none */
        {"eyJhbGciOiJIUzI1NiJ9.e30.c2ln", CM_JWT_WRONG_ALG, "RS256"},                  /* HS256 */
        {"eyJhbGciOiJyczI1NiJ9.e30.c2ln", CM_JWT_WRONG_ALG, "RS256"},                  /* rs256 */
        {"eyJhbGciOjI1Nn0.e30.c2ln", CM_JWT_WRONG_ALG, "no \"alg\""},                  /* alg: 256 */
        {"eyJhbGciOiJSUzI1NiJ9.WzFd.c2ln", CM_JWT_MALFORMED, "claims set is not a JSON object"},
        {"eyJhbGciOiJSUzI1NiJ9.e30.c2*u", CM_JWT_MALFORMED, "signature is not base64url"},
    };
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        cm_jwt jwt;
        char why[CM_JWT_WHY_MAX] = "";
        cm_jwt_status status = cm_jwt_decode(CASES[i].token, strlen(CASES[i].token), &jwt, why);
        if (status != CASES[i].status || !strstr(why, CASES[i].why))
            fail_msg("\"%s\": status %d \"%s\", wanted %d with \"%s\"", CASES[i].token, status, why, CASES[i].status,
                     CASES[i].why);
        assert_null(jwt.header);
        assert_null(jwt.claims);
        assert_null(jwt.signing_input);
        cm_jwt_free(&jwt);
    }
    /* Longer than any login assertion. */
    char *huge = malloc(CM_JWT_MAX + 2);
    memset(huge, 'a', CM_JWT_MAX + 1);
    huge[CM_JWT_MAX + 1] = '\0';
    cm_jwt jwt;
    char why[CM_JWT_WHY_MAX];
    assert_int_equal(cm_jwt_decode(huge, CM_JWT_MAX + 1, &jwt, why), CM_JWT_MALFORMED);
    free(huge);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sign_verify_round_trip),
        cmocka_unit_test(malformed_tokens_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
