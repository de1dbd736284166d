/*
 * test_oci_auth.c - the bundled core's bearer tokens and scopes (oci_core/auth.h): configured
 * tokens per organization (a token listed by two organizations with different scopes is valid in
 * each with that one's scopes), the five outcomes (missing, invalid, wrong organization, no scope,
 * ok), the Bearer header's spelling, issued tokens (valid for the organizations they name, until
 * they expire; the oldest dropped when the table is full), find_org for path-less APIs, the scope
 * names in both spellings, the constant-time comparison, and the connected apps' public keys (real
 * RSA certificates and public keys; a bad file refuses the auth with a sentence naming the field).
 */
#include "tests/support/rsa_fixture.h"
#include "tests/support/test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "oci_core/auth.h"
#include "oci_core/limits.h"

#define NOW 1700000000000LL

typedef struct fixture {
    char dir[256];
    th_rsa app;
    cm_config *config;
    oci_auth *auth;
} fixture;

static cm_config *parse(const char *dir, const char *text)
{
    cm_config *config = NULL;
    char error[CM_CONFIG_ERROR_MAX];
    if (cm_config_parse(text, strlen(text), "test", dir, NULL, 0, &config, error) != CM_OK)
        fail_msg("config: %s", error);
    return config;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    th_temp_dir(f->dir, sizeof f->dir);
    th_rsa_make(&f->app, f->dir, "app");
    char text[4096];
    snprintf(text, sizeof text,
             "{\"oci\":{\"organizations\":["
             "{\"id\":\"org_a\",\"tokens\":["
             "{\"token\":\"shared\",\"scopes\":[\"sfcc.inventory.availability\"]},"
             "{\"token\":\"a-writer\",\"scopes\":[\"sfcc.inventory.availability.rw\",\"sfcc_inventory_reservations_rw\"]}],"
             "\"connectedApps\":[{\"consumerKey\":\"ck-cert\",\"certificate\":\"%s\",\"scopes\":[]},"
             "{\"consumerKey\":\"ck-pub\",\"certificate\":\"%s\",\"scopes\":[]},"
             "{\"consumerKey\":\"ck-secret\",\"consumerSecret\":\"s\",\"scopes\":[]}]},"
             "{\"id\":\"org_b\",\"tokens\":["
             "{\"token\":\"shared\",\"scopes\":[\"sfcc.inventory.impex-inventory\"]}]},"
             "{\"id\":\"org_c\"}]}}",
             f->app.cert_path, f->app.pubkey_path);
    f->config = parse(f->dir, text);
    char error[OCI_AUTH_ERROR_MAX];
    f->auth = oci_auth_new(f->config, error);
    if (!f->auth)
        fail_msg("auth: %s", error);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    oci_auth_free(f->auth);
    cm_config_free(f->config);
    th_rsa_free(&f->app);
    th_remove_tree(f->dir);
    free(f);
    return 0;
}

static void test_the_header_must_be_a_bearer_token(void **state)
{
    fixture *f = *state;
    assert_int_equal(oci_auth_check(f->auth, NULL, "org_a", 0, NOW), OCI_AUTH_MISSING);
    assert_int_equal(oci_auth_check(f->auth, "", "org_a", 0, NOW), OCI_AUTH_MISSING);
    assert_int_equal(oci_auth_check(f->auth, "Basic c2hhcmVk", "org_a", 0, NOW), OCI_AUTH_MISSING);
    assert_int_equal(oci_auth_check(f->auth, "Bearer ", "org_a", 0, NOW), OCI_AUTH_MISSING);
    assert_int_equal(oci_auth_check(f->auth, "Bearer    ", "org_a", 0, NOW), OCI_AUTH_MISSING);
    /* The scheme is case-insensitive and extra spaces before the token are allowed. */
    assert_int_equal(oci_auth_check(f->auth, "bearer shared", "org_a", 0, NOW), OCI_AUTH_OK);
    assert_int_equal(oci_auth_check(f->auth, "BEARER   shared", "org_a", 0, NOW), OCI_AUTH_OK);
    /* The token itself is compared exactly. */
    assert_int_equal(oci_auth_check(f->auth, "Bearer Shared", "org_a", 0, NOW), OCI_AUTH_INVALID);
    assert_int_equal(oci_auth_check(f->auth, "Bearer share", "org_a", 0, NOW), OCI_AUTH_INVALID);
    assert_int_equal(oci_auth_check(f->auth, "Bearer shared ", "org_a", 0, NOW), OCI_AUTH_INVALID);
}

/* "shared" is listed by org_a (availability) and org_b (impex): each organization gives its own
 * scopes; org_c does not list it; an unknown organization is the wrong one too. */
static void test_configured_tokens_carry_each_organizations_scopes(void **state)
{
    fixture *f = *state;
    const char *shared = "Bearer shared";
    assert_int_equal(oci_auth_check(f->auth, shared, "org_a", CM_SCOPE_AVAILABILITY, NOW), OCI_AUTH_OK);
    assert_int_equal(oci_auth_check(f->auth, shared, "org_a", CM_SCOPE_IMPEX_INVENTORY, NOW), OCI_AUTH_NO_SCOPE);
    assert_int_equal(oci_auth_check(f->auth, shared, "org_b", CM_SCOPE_IMPEX_INVENTORY, NOW), OCI_AUTH_OK);
    assert_int_equal(oci_auth_check(f->auth, shared, "org_b", CM_SCOPE_AVAILABILITY, NOW), OCI_AUTH_NO_SCOPE);
    assert_int_equal(oci_auth_check(f->auth, shared, "org_c", 0, NOW), OCI_AUTH_WRONG_ORG);
    assert_int_equal(oci_auth_check(f->auth, shared, "no_such_org", 0, NOW), OCI_AUTH_WRONG_ORG);
    assert_int_equal(oci_auth_check(f->auth, shared, NULL, 0, NOW), OCI_AUTH_WRONG_ORG);
    /* Both spellings of a scope name configure the same bit. */
    const char *writer = "Bearer a-writer";
    assert_int_equal(oci_auth_check(f->auth, writer, "org_a", CM_SCOPE_AVAILABILITY_RW, NOW), OCI_AUTH_OK);
    assert_int_equal(oci_auth_check(f->auth, writer, "org_a", CM_SCOPE_RESERVATIONS_RW, NOW), OCI_AUTH_OK);
    assert_int_equal(oci_auth_check(f->auth, writer, "org_a", CM_SCOPE_RESERVATIONS, NOW), OCI_AUTH_NO_SCOPE);
    assert_int_equal(oci_auth_check(f->auth, writer, "org_b", 0, NOW), OCI_AUTH_WRONG_ORG);
    assert_int_equal(oci_auth_check(f->auth, "Bearer nobody", "org_a", 0, NOW), OCI_AUTH_INVALID);
}

static void test_issued_tokens_are_valid_where_and_until_they_say(void **state)
{
    fixture *f = *state;
    unsigned scopes[3] = {0, CM_SCOPE_RESERVATIONS | CM_SCOPE_AVAILABILITY, 0};
    char token[OCI_TOKEN_TEXT_MAX];
    assert_int_equal(oci_auth_issue(f->auth, scopes, "00Dxx!", NOW + 1000, NOW, token), CM_OK);
    assert_int_equal(strncmp(token, "00Dxx!", 6), 0);
    assert_true(strlen(token) > 6 + 64);
    /* The caller's array was copied. */
    scopes[1] = 0;
    char header[OCI_TOKEN_TEXT_MAX + 16];
    snprintf(header, sizeof header, "Bearer %s", token);
    assert_int_equal(oci_auth_check(f->auth, header, "org_b", CM_SCOPE_RESERVATIONS, NOW), OCI_AUTH_OK);
    assert_int_equal(oci_auth_check(f->auth, header, "org_b", CM_SCOPE_AVAILABILITY, NOW + 999), OCI_AUTH_OK);
    assert_int_equal(oci_auth_check(f->auth, header, "org_b", CM_SCOPE_RESERVATIONS_RW, NOW), OCI_AUTH_NO_SCOPE);
    assert_int_equal(oci_auth_check(f->auth, header, "org_a", 0, NOW), OCI_AUTH_WRONG_ORG);
    /* At its expiry time it is gone, as if it had never been issued. */
    assert_int_equal(oci_auth_check(f->auth, header, "org_b", 0, NOW + 1000), OCI_AUTH_INVALID);

    /* Without a prefix the token starts with "oci."; two issues never give the same text. */
    unsigned everywhere[3] = {CM_SCOPE_AVAILABILITY, CM_SCOPE_AVAILABILITY, CM_SCOPE_AVAILABILITY};
    char first[OCI_TOKEN_TEXT_MAX], second[OCI_TOKEN_TEXT_MAX];
    assert_int_equal(oci_auth_issue(f->auth, everywhere, NULL, NOW + 5000, NOW, first), CM_OK);
    assert_int_equal(oci_auth_issue(f->auth, everywhere, NULL, NOW + 5000, NOW, second), CM_OK);
    assert_int_equal(strncmp(first, "oci.", 4), 0);
    assert_string_not_equal(first, second);
    snprintf(header, sizeof header, "Bearer %s", second);
    assert_int_equal(oci_auth_check(f->auth, header, "org_c", CM_SCOPE_AVAILABILITY, NOW), OCI_AUTH_OK);
}

/* When the table is full the oldest live token is dropped to make room; expired ones go first. */
static void test_a_full_table_drops_the_oldest_token(void **state)
{
    fixture *f = *state;
    unsigned scopes[3] = {CM_SCOPE_AVAILABILITY, 0, 0};
    char oldest[OCI_TOKEN_TEXT_MAX], second[OCI_TOKEN_TEXT_MAX], token[OCI_TOKEN_TEXT_MAX];
    assert_int_equal(oci_auth_issue(f->auth, scopes, NULL, NOW + 60000, NOW, oldest), CM_OK);
    assert_int_equal(oci_auth_issue(f->auth, scopes, NULL, NOW + 60000, NOW, second), CM_OK);
    for (size_t i = 2; i < OCI_ISSUED_TOKENS_MAX; i++)
        assert_int_equal(oci_auth_issue(f->auth, scopes, NULL, NOW + 60000, NOW, token), CM_OK);
    char header[OCI_TOKEN_TEXT_MAX + 16];
    snprintf(header, sizeof header, "Bearer %s", oldest);
    assert_int_equal(oci_auth_check(f->auth, header, "org_a", 0, NOW), OCI_AUTH_OK);
    /* One more: the oldest goes, the second stays. */
    assert_int_equal(oci_auth_issue(f->auth, scopes, NULL, NOW + 60000, NOW, token), CM_OK);
    assert_int_equal(oci_auth_check(f->auth, header, "org_a", 0, NOW), OCI_AUTH_INVALID);
    snprintf(header, sizeof header, "Bearer %s", second);
    assert_int_equal(oci_auth_check(f->auth, header, "org_a", 0, NOW), OCI_AUTH_OK);
    /* Once all have expired, an issue sweeps them and the new one is valid. */
    assert_int_equal(oci_auth_issue(f->auth, scopes, NULL, NOW + 120000, NOW + 60000, token), CM_OK);
    assert_int_equal(oci_auth_check(f->auth, header, "org_a", 0, NOW + 60000), OCI_AUTH_INVALID);
    snprintf(header, sizeof header, "Bearer %s", token);
    assert_int_equal(oci_auth_check(f->auth, header, "org_a", 0, NOW + 60000), OCI_AUTH_OK);
}

static void test_find_org_gives_the_first_organization_with_the_scope(void **state)
{
    fixture *f = *state;
    const char *org = "untouched";
    assert_int_equal(oci_auth_find_org(f->auth, "Bearer shared", CM_SCOPE_IMPEX_INVENTORY, NOW, &org), OCI_AUTH_OK);
    assert_string_equal(org, "org_b");
    assert_int_equal(oci_auth_find_org(f->auth, "Bearer shared", 0, NOW, &org), OCI_AUTH_OK);
    assert_string_equal(org, "org_a");
    assert_int_equal(oci_auth_find_org(f->auth, "Bearer shared", CM_SCOPE_RESERVATIONS_RW, NOW, &org),
                     OCI_AUTH_NO_SCOPE);
    assert_null(org);
    assert_int_equal(oci_auth_find_org(f->auth, "Bearer nobody", 0, NOW, &org), OCI_AUTH_INVALID);
    assert_null(org);
    assert_int_equal(oci_auth_find_org(f->auth, NULL, 0, NOW, &org), OCI_AUTH_MISSING);
    assert_null(org);
}

static void test_scope_names_in_both_spellings(void **state)
{
    (void)state;
    assert_string_equal(oci_scope_name(CM_SCOPE_IMPEX_INVENTORY_RW), "sfcc.inventory.impex-inventory.rw");
    assert_string_equal(oci_scope_org_name(CM_SCOPE_IMPEX_INVENTORY_RW), "sfcc_inventory_impex_inventory_rw");
    assert_string_equal(oci_scope_name(CM_SCOPE_IMPEX_GRAPHS), "sfcc.inventory.impex-graphs");
    assert_string_equal(oci_scope_name(0), "unknown");
    assert_string_equal(oci_scope_org_name(1u << 30), "unknown");
    char list[256];
    oci_scope_list(CM_SCOPE_AVAILABILITY | CM_SCOPE_RESERVATIONS_RW, 0, list, sizeof list);
    assert_string_equal(list, "sfcc.inventory.availability sfcc.inventory.reservations.rw");
    oci_scope_list(CM_SCOPE_AVAILABILITY | CM_SCOPE_RESERVATIONS_RW, 1, list, sizeof list);
    assert_string_equal(list, "sfcc_inventory_availability sfcc_inventory_reservations_rw");
    oci_scope_list(0, 0, list, sizeof list);
    assert_string_equal(list, "");
    /* A short buffer is cut, still terminated; a zero-size one is not touched. */
    char small[12];
    oci_scope_list(CM_SCOPE_AVAILABILITY, 0, small, sizeof small);
    assert_string_equal(small, "sfcc.invent");
    small[0] = 'x';
    oci_scope_list(CM_SCOPE_AVAILABILITY, 0, small, 0);
    assert_int_equal(small[0], 'x');
}

static void test_same_secret_compares_whole_texts(void **state)
{
    (void)state;
    assert_true(oci_same_secret("abc", "abc"));
    assert_true(oci_same_secret("", ""));
    assert_false(oci_same_secret("abc", "abd"));
    assert_false(oci_same_secret("abc", "ab"));
    assert_false(oci_same_secret("ab", "abc"));
    assert_false(oci_same_secret("", "a"));
}

/* A certificate and a bare public key both give the app's key; an app with only a secret has
 * none; indexes out of range give NULL. */
static void test_connected_app_keys_are_read_at_creation(void **state)
{
    fixture *f = *state;
    EVP_PKEY *from_cert = oci_auth_app_key(f->auth, 0, 0);
    EVP_PKEY *from_pub = oci_auth_app_key(f->auth, 0, 1);
    assert_non_null(from_cert);
    assert_non_null(from_pub);
    assert_int_equal(EVP_PKEY_eq(from_cert, f->app.key), 1);
    assert_int_equal(EVP_PKEY_eq(from_pub, f->app.key), 1);
    assert_null(oci_auth_app_key(f->auth, 0, 2));
    assert_null(oci_auth_app_key(f->auth, 0, 3));
    assert_null(oci_auth_app_key(f->auth, 1, 0));
    assert_null(oci_auth_app_key(f->auth, 3, 0));
}

/* A certificate file that is missing or not PEM: no auth, and the sentence names the field. */
static void test_a_bad_certificate_refuses_the_auth(void **state)
{
    fixture *f = *state;
    char bad[400];
    snprintf(bad, sizeof bad, "%s/not-a-cert.pem", f->dir);
    assert_int_equal(th_write_file(bad, "hello\n", 6), 0);
    const char *files[] = {"missing.crt", "not-a-cert.pem"};
    for (size_t i = 0; i < 2; i++) {
        char text[1024];
        snprintf(text, sizeof text,
                 "{\"oci\":{\"organizations\":[{\"id\":\"o\"},{\"id\":\"p\",\"connectedApps\":["
                 "{\"consumerKey\":\"k0\",\"consumerSecret\":\"s\",\"scopes\":[]},"
                 "{\"consumerKey\":\"k1\",\"certificate\":\"%s\",\"scopes\":[]}]}]}}",
                 files[i]);
        cm_config *config = parse(f->dir, text);
        char error[OCI_AUTH_ERROR_MAX] = "";
        assert_null(oci_auth_new(config, error));
        assert_non_null(strstr(error, "oci.organizations[1].connectedApps[1].certificate: "));
        assert_true(strlen(error) > strlen("oci.organizations[1].connectedApps[1].certificate: "));
        cm_config_free(config);
    }
}

/* No organizations at all: every token is invalid, nothing crashes. */
static void test_no_organizations(void **state)
{
    fixture *f = *state;
    cm_config *config = parse(f->dir, "{}");
    char error[OCI_AUTH_ERROR_MAX];
    oci_auth *auth = oci_auth_new(config, error);
    assert_non_null(auth);
    assert_int_equal(oci_auth_check(auth, "Bearer shared", "org_a", 0, NOW), OCI_AUTH_INVALID);
    const char *org = NULL;
    assert_int_equal(oci_auth_find_org(auth, "Bearer shared", 0, NOW, &org), OCI_AUTH_INVALID);
    assert_null(oci_auth_app_key(auth, 0, 0));
    oci_auth_free(auth);
    oci_auth_free(NULL);
    cm_config_free(config);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_header_must_be_a_bearer_token),
        cmocka_unit_test(test_configured_tokens_carry_each_organizations_scopes),
        cmocka_unit_test_setup_teardown(test_issued_tokens_are_valid_where_and_until_they_say, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_full_table_drops_the_oldest_token, setup, teardown),
        cmocka_unit_test(test_find_org_gives_the_first_organization_with_the_scope),
        cmocka_unit_test(test_scope_names_in_both_spellings),
        cmocka_unit_test(test_same_secret_compares_whole_texts),
        cmocka_unit_test(test_connected_app_keys_are_read_at_creation),
        cmocka_unit_test(test_a_bad_certificate_refuses_the_auth),
        cmocka_unit_test(test_no_organizations),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
