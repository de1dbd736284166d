/*
 * test_common_rsa_key.c - reading RSA keys from PEM files (common/rsa_key.h) with real keys made
 * by libcrypto (tests/support/rsa_fixture.h): the public key of a certificate or of a bare
 * "PUBLIC KEY" block, the private key in PKCS#8 and PKCS#1, the world-readable flag, and every
 * refusal (missing file, a path that cannot be opened, no PEM, an encrypted key, a key that is not
 * RSA) with a sentence that names the file and never quotes the key.
 */
#include "tests/support/test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "common/rsa_key.h"
#include "tests/support/rsa_fixture.h"

typedef struct fixture {
    char dir[256];
    th_rsa rsa;
    EVP_PKEY *ec; /* a P-256 key: valid PEM, not RSA */
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    th_temp_dir(f->dir, sizeof f->dir);
    th_rsa_make(&f->rsa, f->dir, "app");
    f->ec = EVP_EC_gen("P-256");
    assert_non_null(f->ec);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    EVP_PKEY_free(f->ec);
    th_rsa_free(&f->rsa);
    th_remove_tree(f->dir);
    free(f);
    return 0;
}

static void path_in(const fixture *f, const char *name, char *out, size_t size)
{
    snprintf(out, size, "%s/%s", f->dir, name);
}

/* The PEM forms write_key can give a key. */
enum pem_kind { PEM_PRIVATE_PKCS8, PEM_PRIVATE_PKCS1, PEM_PRIVATE_ENCRYPTED, PEM_PUBLIC, PEM_CERTIFICATE };

/* Writes `key` to `path` in the form `kind` (a certificate is self-signed). */
static void write_key(const char *path, EVP_PKEY *key, enum pem_kind kind)
{
    BIO *bio = BIO_new_file(path, "wb");
    assert_non_null(bio);
    int ok = 0;
    switch (kind) {
    case PEM_PRIVATE_PKCS8: ok = PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL); break;
    case PEM_PRIVATE_PKCS1: ok = PEM_write_bio_PrivateKey_traditional(bio, key, NULL, NULL, 0, NULL, NULL); break;
    case PEM_PRIVATE_ENCRYPTED:
        ok = PEM_write_bio_PrivateKey(bio, key, EVP_aes_128_cbc(), (unsigned char *)"secret", 6, NULL, NULL);
        break;
    case PEM_PUBLIC: ok = PEM_write_bio_PUBKEY(bio, key); break;
    case PEM_CERTIFICATE: {
        X509 *cert = X509_new();
        assert_non_null(cert);
        ASN1_INTEGER_set(X509_get_serialNumber(cert), 7);
        X509_gmtime_adj(X509_getm_notBefore(cert), 0);
        X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
        X509_set_pubkey(cert, key);
        X509_NAME *name = X509_get_subject_name(cert);
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"ec", -1, -1, 0);
        X509_set_issuer_name(cert, name);
        assert_true(X509_sign(cert, key, EVP_sha256()) > 0);
        ok = PEM_write_bio_X509(bio, cert);
        X509_free(cert);
        break;
    }
    }
    assert_int_equal(ok, 1);
    BIO_free(bio);
}

/* The sentence names the file and what is wrong, and quotes nothing of a PEM file. */
static void expect_error(const char *error, const char *path, const char *what)
{
    if (!strstr(error, path) || !strstr(error, what))
        fail_msg("error \"%s\" should name %s and say \"%s\"", error, path, what);
    assert_null(strstr(error, "BEGIN"));
    assert_null(strstr(error, "MII"));
}

/* The certificate and the bare public key both give the fixture's own key. */
static void public_key_from_certificate_and_bare_key(void **state)
{
    fixture *f = *state;
    char error[CM_RSA_KEY_ERROR_MAX] = "";
    EVP_PKEY *key = NULL;
    assert_int_equal(cm_rsa_public_key_load(f->rsa.cert_path, &key, error), CM_OK);
    assert_non_null(key);
    assert_int_equal(EVP_PKEY_base_id(key), EVP_PKEY_RSA);
    assert_int_equal(EVP_PKEY_eq(key, f->rsa.key), 1);
    EVP_PKEY_free(key);
    key = NULL;
    assert_int_equal(cm_rsa_public_key_load(f->rsa.pubkey_path, &key, error), CM_OK);
    assert_non_null(key);
    assert_int_equal(EVP_PKEY_eq(key, f->rsa.key), 1);
    EVP_PKEY_free(key);
}

static void public_key_refusals(void **state)
{
    fixture *f = *state;
    char error[CM_RSA_KEY_ERROR_MAX], path[512];
    EVP_PKEY *key = (EVP_PKEY *)f; /* any non-NULL value: a refusal must set it to NULL */

    path_in(f, "missing.crt", path, sizeof path);
    assert_int_equal(cm_rsa_public_key_load(path, &key, error), CM_ENOTFOUND);
    assert_null(key);
    expect_error(error, path, "cannot be read");

    /* A path through a regular file cannot be opened, and is not "missing". */
    snprintf(path, sizeof path, "%s/inner.crt", f->rsa.cert_path);
    key = (EVP_PKEY *)f;
    assert_int_equal(cm_rsa_public_key_load(path, &key, error), CM_EIO);
    assert_null(key);
    expect_error(error, path, "cannot be read");

    path_in(f, "garbage.crt", path, sizeof path);
    th_write_file(path, "not a certificate\n", 18);
    key = (EVP_PKEY *)f;
    assert_int_equal(cm_rsa_public_key_load(path, &key, error), CM_EINVAL);
    assert_null(key);
    expect_error(error, path, "holds no PEM certificate or public key");

    /* A private key is not a public key file. */
    key = (EVP_PKEY *)f;
    assert_int_equal(cm_rsa_public_key_load(f->rsa.key_path, &key, error), CM_EINVAL);
    assert_null(key);
    expect_error(error, f->rsa.key_path, "holds no PEM certificate or public key");

    path_in(f, "ec.crt", path, sizeof path);
    write_key(path, f->ec, PEM_CERTIFICATE);
    key = (EVP_PKEY *)f;
    assert_int_equal(cm_rsa_public_key_load(path, &key, error), CM_EINVAL);
    assert_null(key);
    expect_error(error, path, "the certificate's key is not an RSA key");

    path_in(f, "ec.pub", path, sizeof path);
    write_key(path, f->ec, PEM_PUBLIC);
    key = (EVP_PKEY *)f;
    assert_int_equal(cm_rsa_public_key_load(path, &key, error), CM_EINVAL);
    assert_null(key);
    expect_error(error, path, "not an RSA key");
}

/* PKCS#8 (the fixture's) and PKCS#1 ("BEGIN RSA PRIVATE KEY") both load; the key is the same. */
static void private_key_in_both_encodings(void **state)
{
    fixture *f = *state;
    char error[CM_RSA_KEY_ERROR_MAX], path[512];
    EVP_PKEY *key = NULL;
    int world_readable = -1;
    assert_int_equal(cm_rsa_private_key_load(f->rsa.key_path, &key, &world_readable, error), CM_OK);
    assert_non_null(key);
    assert_int_equal(world_readable, 0); /* the fixture writes it 0600 */
    assert_int_equal(EVP_PKEY_base_id(key), EVP_PKEY_RSA);
    assert_int_equal(EVP_PKEY_eq(key, f->rsa.key), 1);
    EVP_PKEY_free(key);

    path_in(f, "pkcs1.key", path, sizeof path);
    write_key(path, f->rsa.key, PEM_PRIVATE_PKCS1);
    size_t length = 0;
    char *text = th_read_file(path, &length);
    assert_non_null(text);
    assert_non_null(strstr(text, "BEGIN RSA PRIVATE KEY"));
    free(text);
    assert_int_equal(chmod(path, 0600), 0);
    key = NULL;
    assert_int_equal(cm_rsa_private_key_load(path, &key, NULL, error), CM_OK); /* the flag may be NULL */
    assert_int_equal(EVP_PKEY_eq(key, f->rsa.key), 1);
    EVP_PKEY_free(key);
}

/* Others may read the file: still loaded, with the flag set; group-only is not "others". */
static void private_key_world_readable_flag(void **state)
{
    fixture *f = *state;
    char error[CM_RSA_KEY_ERROR_MAX];
    EVP_PKEY *key = NULL;
    int world_readable = 0;
    assert_int_equal(chmod(f->rsa.key_path, 0644), 0);
    assert_int_equal(cm_rsa_private_key_load(f->rsa.key_path, &key, &world_readable, error), CM_OK);
    assert_non_null(key);
    assert_int_equal(world_readable, 1);
    EVP_PKEY_free(key);
    key = NULL;
    assert_int_equal(chmod(f->rsa.key_path, 0640), 0);
    assert_int_equal(cm_rsa_private_key_load(f->rsa.key_path, &key, &world_readable, error), CM_OK);
    assert_int_equal(world_readable, 0);
    EVP_PKEY_free(key);
    assert_int_equal(chmod(f->rsa.key_path, 0600), 0);
}

static void private_key_refusals(void **state)
{
    fixture *f = *state;
    char error[CM_RSA_KEY_ERROR_MAX], path[512];
    EVP_PKEY *key = (EVP_PKEY *)f;
    int world_readable = 1;

    path_in(f, "missing.key", path, sizeof path);
    assert_int_equal(cm_rsa_private_key_load(path, &key, &world_readable, error), CM_ENOTFOUND);
    assert_null(key);
    assert_int_equal(world_readable, 0); /* reset even when nothing was read */
    expect_error(error, path, "cannot be read");

    snprintf(path, sizeof path, "%s/inner.key", f->rsa.key_path);
    key = (EVP_PKEY *)f;
    assert_int_equal(cm_rsa_private_key_load(path, &key, NULL, error), CM_EIO);
    assert_null(key);
    expect_error(error, path, "cannot be read");

    path_in(f, "empty.key", path, sizeof path);
    th_write_file(path, "", 0);
    key = (EVP_PKEY *)f;
    assert_int_equal(cm_rsa_private_key_load(path, &key, NULL, error), CM_EINVAL);
    assert_null(key);
    expect_error(error, path, "holds no unencrypted PEM private key");

    /* A certificate or a public key is no private key. */
    key = (EVP_PKEY *)f;
    assert_int_equal(cm_rsa_private_key_load(f->rsa.cert_path, &key, NULL, error), CM_EINVAL);
    assert_null(key);
    expect_error(error, f->rsa.cert_path, "holds no unencrypted PEM private key");
    key = (EVP_PKEY *)f;
    assert_int_equal(cm_rsa_private_key_load(f->rsa.pubkey_path, &key, NULL, error), CM_EINVAL);
    assert_null(key);

    /* An encrypted key is refused, never prompted for. */
    path_in(f, "encrypted.key", path, sizeof path);
    write_key(path, f->rsa.key, PEM_PRIVATE_ENCRYPTED);
    key = (EVP_PKEY *)f;
    assert_int_equal(cm_rsa_private_key_load(path, &key, NULL, error), CM_EINVAL);
    assert_null(key);
    expect_error(error, path, "holds no unencrypted PEM private key");

    path_in(f, "ec.key", path, sizeof path);
    write_key(path, f->ec, PEM_PRIVATE_PKCS8);
    key = (EVP_PKEY *)f;
    assert_int_equal(cm_rsa_private_key_load(path, &key, NULL, error), CM_EINVAL);
    assert_null(key);
    expect_error(error, path, "the private key is not an RSA key");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(public_key_from_certificate_and_bare_key, setup, teardown),
        cmocka_unit_test_setup_teardown(public_key_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(private_key_in_both_encodings, setup, teardown),
        cmocka_unit_test_setup_teardown(private_key_world_readable_flag, setup, teardown),
        cmocka_unit_test_setup_teardown(private_key_refusals, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
