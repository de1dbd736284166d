/*
 * test_common_tls.c - a listener's certificate and key checked before it starts
 * (common/tls.h), with real RSA keys and self-signed certificates (tests/support/rsa_fixture.h):
 * a matching pair loads as two PEM texts; a key of another certificate, a file that is missing,
 * empty, a folder, larger than 1 MiB or not PEM, and a certificate given as the key are each
 * refused with one line naming the file and the problem, and nothing is handed back.
 */
#include "tests/support/rsa_fixture.h"
#include "tests/support/test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/tls.h"

typedef struct fixture {
    char dir[256];
    th_rsa server, other;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    th_temp_dir(f->dir, sizeof f->dir);
    th_rsa_make(&f->server, f->dir, "server");
    th_rsa_make(&f->other, f->dir, "other");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    th_rsa_free(&f->server);
    th_rsa_free(&f->other);
    th_remove_tree(f->dir);
    free(f);
    return 0;
}

/* Expects a refusal whose line contains `expected`, with both outputs NULL. */
static void expect_refused(const char *certificate, const char *key, const char *expected)
{
    char *certificate_pem = (char *)1, *key_pem = (char *)1;
    char error[CM_TLS_ERROR_MAX] = "";
    assert_int_equal(cm_tls_load_pair(certificate, key, &certificate_pem, &key_pem, error), CM_ECONFIG);
    assert_null(certificate_pem);
    assert_null(key_pem);
    if (!strstr(error, expected))
        fail_msg("expected \"%s\" in \"%s\"", expected, error);
    assert_null(strchr(error, '\n'));
}

static void test_a_matching_pair_loads(void **state)
{
    fixture *f = *state;
    char *certificate_pem = NULL, *key_pem = NULL;
    char error[CM_TLS_ERROR_MAX] = "";
    assert_int_equal(cm_tls_load_pair(f->server.cert_path, f->server.key_path, &certificate_pem, &key_pem, error),
                     CM_OK);
    size_t length = 0;
    char *certificate_file = th_read_file(f->server.cert_path, &length);
    char *key_file = th_read_file(f->server.key_path, &length);
    assert_string_equal(certificate_pem, certificate_file);
    assert_string_equal(key_pem, key_file);
    assert_non_null(strstr(certificate_pem, "-----BEGIN CERTIFICATE-----"));
    assert_non_null(strstr(key_pem, "PRIVATE KEY-----"));
    free(certificate_file);
    free(key_file);
    free(certificate_pem);
    free(key_pem);
}

static void test_a_key_of_another_certificate_is_refused(void **state)
{
    fixture *f = *state;
    char expected[1024];
    snprintf(expected, sizeof expected, "TLS key %s is not the key of certificate %s", f->other.key_path,
             f->server.cert_path);
    expect_refused(f->server.cert_path, f->other.key_path, expected);
}

static void test_files_that_cannot_be_read(void **state)
{
    fixture *f = *state;
    char missing[320], empty[320], big[320];
    snprintf(missing, sizeof missing, "%s/missing.crt", f->dir);
    snprintf(empty, sizeof empty, "%s/empty.key", f->dir);
    snprintf(big, sizeof big, "%s/big.crt", f->dir);
    assert_int_equal(th_write_file(empty, "", 0), 0);
    size_t big_length = CM_TLS_MAX_FILE_BYTES + 1;
    char *filler = malloc(big_length);
    memset(filler, 'A', big_length);
    assert_int_equal(th_write_file(big, filler, big_length), 0);
    free(filler);

    char expected[1024];
    snprintf(expected, sizeof expected, "TLS certificate %s: cannot open: No such file or directory", missing);
    expect_refused(missing, f->server.key_path, expected);
    snprintf(expected, sizeof expected, "TLS key %s: the file is empty", empty);
    expect_refused(f->server.cert_path, empty, expected);
    snprintf(expected, sizeof expected, "TLS certificate %s: larger than 1 MiB", big);
    expect_refused(big, f->server.key_path, expected);
    snprintf(expected, sizeof expected, "TLS key %s: cannot read it: Is a directory", f->dir);
    expect_refused(f->server.cert_path, f->dir, expected);
}

/* Files that read but are not what they should be: GnuTLS's reason follows the two names. */
static void test_files_that_are_not_a_certificate_and_its_key(void **state)
{
    fixture *f = *state;
    char garbage[320];
    snprintf(garbage, sizeof garbage, "%s/garbage.pem", f->dir);
    assert_int_equal(th_write_file(garbage, "not a pem file\n", 15), 0);
    char expected[1024];
    snprintf(expected, sizeof expected, "TLS certificate %s and key %s: cannot be used: ", garbage,
             f->server.key_path);
    expect_refused(garbage, f->server.key_path, expected);
    snprintf(expected, sizeof expected, "TLS certificate %s and key %s: cannot be used: ", f->server.cert_path,
             garbage);
    expect_refused(f->server.cert_path, garbage, expected);
    /* The certificate given as its own key, and a public key given as the certificate. */
    snprintf(expected, sizeof expected, "and key %s: cannot be used: ", f->server.cert_path);
    expect_refused(f->server.cert_path, f->server.cert_path, expected);
    snprintf(expected, sizeof expected, "TLS certificate %s and key", f->server.pubkey_path);
    expect_refused(f->server.pubkey_path, f->server.key_path, expected);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_matching_pair_loads),
        cmocka_unit_test(test_a_key_of_another_certificate_is_refused),
        cmocka_unit_test(test_files_that_cannot_be_read),
        cmocka_unit_test(test_files_that_are_not_a_certificate_and_its_key),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
