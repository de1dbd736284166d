/*
 * test_common_config_secrets.c - common/config_secrets: secret fields from the environment (${NAME},
 * whole or inside a value) and from files ("<field>File", relative to the config's folder, one
 * trailing newline dropped); errors name the field and the variable or file, never the secret;
 * ${...} outside secret fields is kept as written.
 */
#include "tests/support/test_support.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/digest.h"

static char temp_dir[512];

static int group_setup(void **state)
{
    (void)state;
    th_temp_dir(temp_dir, sizeof temp_dir);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    th_remove_tree(temp_dir);
    return 0;
}

/* An http-delivery config whose delivery section is DELIVERY and whose tenant keys are KEYS. */
#define CONFIG(delivery, keys)                                                                      \
    "{ \"oci\": { \"organizations\": [ { \"id\": \"${ORG_NOT_EXPANDED}\" } ] },"                     \
    " \"delivery\": { \"mode\": \"http\", \"baseUrl\": \"http://127.0.0.1:1\", " delivery " },"   \
    " \"tenants\": [ { \"id\": 1, \"apiKeys\": { " keys " }, \"organizationId\": \"${ORG_NOT_EXPANDED}\" } ] }"

static cm_err load(const char *text, const char *const *overrides, size_t count, cm_config **config,
                   char error[CM_CONFIG_ERROR_MAX])
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/omsgw.json", temp_dir);
    th_write_file(path, text, strlen(text));
    error[0] = '\0';
    return cm_config_load(path, overrides, count, config, error);
}

static void write_secret(const char *name, const char *text)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", temp_dir, name);
    th_write_file(path, text, strlen(text));
}

static void assert_digest_of(const uint8_t digest[CM_SHA256_LEN], const char *plain)
{
    uint8_t expected[CM_SHA256_LEN];
    cm_sha256(plain, strlen(plain), expected);
    assert_memory_equal(digest, expected, CM_SHA256_LEN);
}

static void secrets_from_the_environment(void **state)
{
    (void)state;
    setenv("OMSGW_TEST_TOKEN", "env-token-value", 1);
    setenv("OMSGW_TEST_KEY", "env-v5-key", 1);
    cm_config *config = NULL;
    char error[CM_CONFIG_ERROR_MAX];
    cm_err rc = load(CONFIG("\"token\": \"${OMSGW_TEST_TOKEN}\"", "\"v5\": \"${OMSGW_TEST_KEY}\", \"inventorySpecific\": \"inv-${OMSGW_TEST_KEY}-2\""),
                     NULL, 0, &config, error);
    if (rc != CM_OK)
        fail_msg("%s", error);
    assert_string_equal(config->delivery.token, "env-token-value");
    assert_digest_of(config->tenants[0].v5_key_sha256, "env-v5-key");
    assert_digest_of(config->tenants[0].inventory_specific_key_sha256, "inv-env-v5-key-2");
    /* Not a secret field: kept as written. */
    assert_string_equal(config->tenants[0].organization_id, "${ORG_NOT_EXPANDED}");
    cm_config_free(config);
}

static void a_missing_variable_is_named_and_no_secret_is_shown(void **state)
{
    (void)state;
    unsetenv("OMSGW_TEST_UNSET");
    setenv("OMSGW_TEST_KEY", "must-not-appear", 1);
    cm_config *config = NULL;
    char error[CM_CONFIG_ERROR_MAX];
    cm_err rc = load(CONFIG("\"token\": \"${OMSGW_TEST_UNSET}\"", "\"v5\": \"${OMSGW_TEST_KEY}\""), NULL, 0,
                     &config, error);
    assert_int_equal(rc, CM_ECONFIG);
    assert_null(config);
    assert_non_null(strstr(error, "field delivery.token: environment variable OMSGW_TEST_UNSET is not set"));
    assert_null(strstr(error, "must-not-appear"));
    rc = load(CONFIG("\"token\": \"${lower-case!}\"", "\"v5\": \"k\""), NULL, 0, &config, error);
    assert_int_equal(rc, CM_ECONFIG);
    assert_non_null(strstr(error, "field delivery.token: a ${...} must hold an environment variable name"));
}

static void secrets_from_files(void **state)
{
    (void)state;
    write_secret("token.txt", "file-token\n");
    write_secret("v5.key", "file-v5-key\r\n");
    char secret_path[PATH_MAX];
    snprintf(secret_path, sizeof secret_path, "%s/client-secret", temp_dir);
    th_write_file(secret_path, "s3cret", 6);
    char text[8192];
    snprintf(text, sizeof text,
             CONFIG("\"tokenFile\": \"token.txt\", \"oauth\": { \"tokenUrl\": \"http://127.0.0.1:1/t\","
                    " \"clientId\": \"c\", \"clientSecretFile\": \"%s\" }",
                    "\"v5File\": \"v5.key\""),
             secret_path);
    cm_config *config = NULL;
    char error[CM_CONFIG_ERROR_MAX];
    if (load(text, NULL, 0, &config, error) != CM_OK)
        fail_msg("%s", error);
    assert_string_equal(config->delivery.token, "file-token");
    assert_string_equal(config->delivery.oauth_client_secret, "s3cret");
    assert_digest_of(config->tenants[0].v5_key_sha256, "file-v5-key");
    cm_config_free(config);

    /* From an override too, so the secret itself never appears in `ps`. */
    const char *const overrides[] = {"delivery.tokenFile=token.txt"};
    if (load(CONFIG("\"timeoutSeconds\": 5", "\"v5\": \"k\""), overrides, 1, &config, error) != CM_OK)
        fail_msg("%s", error);
    assert_string_equal(config->delivery.token, "file-token");
    cm_config_free(config);
}

static void file_problems_are_named(void **state)
{
    (void)state;
    write_secret("token.txt", "file-token\n");
    write_secret("empty.txt", "");
    cm_config *config = NULL;
    char error[CM_CONFIG_ERROR_MAX];
    assert_int_equal(load(CONFIG("\"token\": \"x\", \"tokenFile\": \"token.txt\"", "\"v5\": \"k\""), NULL, 0,
                          &config, error), CM_ECONFIG);
    assert_non_null(strstr(error, "field delivery.tokenFile: give token or tokenFile, not both"));
    assert_int_equal(load(CONFIG("\"tokenFile\": \"missing.txt\"", "\"v5\": \"k\""), NULL, 0, &config, error),
                     CM_ECONFIG);
    assert_non_null(strstr(error, "field delivery.tokenFile: cannot read"));
    assert_non_null(strstr(error, "missing.txt: No such file"));
    assert_int_equal(load(CONFIG("\"tokenFile\": \"empty.txt\"", "\"v5\": \"k\""), NULL, 0, &config, error),
                     CM_ECONFIG);
    assert_non_null(strstr(error, "empty.txt is empty"));
    assert_int_equal(load(CONFIG("\"tokenFile\": 3", "\"v5\": \"k\""), NULL, 0, &config, error), CM_ECONFIG);
    assert_non_null(strstr(error, "field delivery.tokenFile: must be the path of a file"));
    /* Only secret fields have a File form. */
    assert_int_equal(load(CONFIG("\"token\": \"t\", \"baseUrlFile\": \"token.txt\"", "\"v5\": \"k\""), NULL, 0,
                          &config, error), CM_ECONFIG);
    assert_non_null(strstr(error, "field delivery.baseUrlFile: unknown field"));
    assert_null(config);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(secrets_from_the_environment),
        cmocka_unit_test(a_missing_variable_is_named_and_no_secret_is_shown),
        cmocka_unit_test(secrets_from_files),
        cmocka_unit_test(file_problems_are_named),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
