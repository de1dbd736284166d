/*
 * test_common_config_fields.c - common/config_fields: every unknown field, at every level and in --set
 * overrides, stops the load with one line naming the file, the field's path as written and the
 * nearest known name; the fields other branches are adding, and free-key maps, are accepted.
 */
#include "tests/support/test_support.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/config_fields.h"

static char temp_dir[PATH_MAX];

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

#define ORG "{ \"id\": \"f_ecom_demo_001\", \"tokens\": [ { \"token\": \"t\", \"scopes\": [\"sfcc.inventory.availability\"] } ] }"
#define TENANT "{ \"id\": 12345, \"apiKeys\": { \"v5\": \"k\" }, \"organizationId\": \"f_ecom_demo_001\" }"

/* Loads `text` (written to a file) with overrides; returns the error line, or "" when it loaded. */
static void load(const char *text, const char *const *overrides, size_t count, char error[CM_CONFIG_ERROR_MAX],
                 char *path, size_t path_size)
{
    snprintf(path, path_size, "%s/omsgw.json", temp_dir);
    th_write_file(path, text, strlen(text));
    cm_config *config = NULL;
    error[0] = '\0';
    cm_err rc = cm_config_load(path, overrides, count, &config, error);
    if (rc == CM_OK) {
        assert_non_null(config);
        error[0] = '\0';
    } else {
        assert_null(config);
        assert_int_equal(rc, CM_ECONFIG);
    }
    cm_config_free(config);
}

static void expect_unknown(const char *text, const char *const *overrides, size_t count, const char *field,
                           const char *suggestion)
{
    char error[CM_CONFIG_ERROR_MAX], path[PATH_MAX];
    load(text, overrides, count, error, path, sizeof path);
    char expected[256];
    snprintf(expected, sizeof expected, "field %s: unknown field (did you mean `%s`?)", field, suggestion);
    if (!strstr(error, expected) || !strstr(error, path) || strchr(error, '\n'))
        fail_msg("expected one line naming %s and \"%s\", got \"%s\"", path, expected, error);
}

static void top_level_typo_names_the_nearest_section(void **state)
{
    (void)state;
    expect_unknown("{ \"tenats\": [] }", NULL, 0, "tenats", "tenants");
    expect_unknown("{ \"Gateway\": {} }", NULL, 0, "Gateway", "gateway");
    expect_unknown("{ \"queu\": {} }", NULL, 0, "queu", "queue");
}

static void every_level_is_checked(void **state)
{
    (void)state;
    expect_unknown("{ \"queue\": { \"worker\": 4 } }", NULL, 0, "queue.worker", "workers");
    expect_unknown("{ \"gateway\": { \"rateLimit\": { \"brust\": 4 } } }", NULL, 0, "gateway.rateLimit.brust",
                   "burst");
    expect_unknown("{ \"delivery\": { \"oauth\": { \"clientSecrt\": \"x\" } } }", NULL, 0,
                   "delivery.oauth.clientSecrt", "clientSecret");
    expect_unknown("{ \"oci\": { \"organizations\": [ " ORG ", { \"id\": \"b\", \"locationGrph\": \"x\" } ] } }",
                   NULL, 0, "oci.organizations[1].locationGrph", "locationGraph");
    expect_unknown("{ \"oci\": { \"organizations\": [ { \"id\": \"a\", \"tokens\": [ { \"tokn\": \"t\" } ] } ] } }",
                   NULL, 0, "oci.organizations[0].tokens[0].tokn", "token");
    expect_unknown("{ \"oci\": { \"organizations\": [ " ORG " ] }, \"tenants\": [ { \"id\": 1, \"autoLocation\": true } ] }",
                   NULL, 0, "tenants[0].autoLocation", "autoLocations");
    expect_unknown("{ \"tenants\": [ { \"apiKeys\": { \"V5\": \"k\" } } ] }", NULL, 0, "tenants[0].apiKeys.V5", "v5");
    expect_unknown("{ \"storage\": { \"backnd\": \"sqlite\" } }", NULL, 0, "storage.backnd", "backend");
}

static void a_name_far_from_every_field_lists_the_known_ones(void **state)
{
    (void)state;
    char error[CM_CONFIG_ERROR_MAX], path[PATH_MAX];
    load("{ \"queue\": { \"zzzzzzzzzzzz\": 1 } }", NULL, 0, error, path, sizeof path);
    assert_non_null(strstr(error, "field queue.zzzzzzzzzzzz: unknown field (known here: workers, chunkSize"));
}

static void overrides_are_checked_too(void **state)
{
    (void)state;
    const char *const typo[] = {"queue.wrkers=4"};
    expect_unknown("{}", typo, 1, "queue.wrkers", "workers");
    char error[CM_CONFIG_ERROR_MAX], path[PATH_MAX];
    load("{}", typo, 1, error, path, sizeof path);
    assert_non_null(strstr(error, "(--set queue.wrkers=...)"));
    /* A value under a misspelt name is not repeated: it may be a secret. */
    const char *secret[] = {"delivery.tokn=s3cr3t-value"};
    load("{}", secret, 1, error, path, sizeof path);
    assert_non_null(strstr(error, "field delivery.tokn: unknown field (did you mean `token`?)"));
    assert_null(strstr(error, "s3cr3t-value"));
    const char *const section[] = {"quue.workers=4"};
    expect_unknown("{}", section, 1, "quue", "queue");
    const char *const in_array[] = {"tenants[0].flor=sum"};
    expect_unknown("{ \"oci\": { \"organizations\": [ " ORG " ] }, \"tenants\": [ " TENANT " ] }", in_array, 1,
                   "tenants[0].flor", "floor");
    const char *const fine[] = {"tenants[0].floor=sum", "tenants[0].locations.Somewhere Else=store-9",
                                "queue.workers=3"};
    load("{ \"oci\": { \"organizations\": [ " ORG " ] }, \"tenants\": [ " TENANT " ] }", fine, 3, error, path,
         sizeof path);
    assert_string_equal(error, "");
}

static void fields_of_other_branches_and_free_maps_are_known(void **state)
{
    (void)state;
    char error[CM_CONFIG_ERROR_MAX], path[PATH_MAX];
    load("{ \"storage\": { \"backend\": \"sqlite\", \"url\": \"postgres://x\" }, \"queue\": { \"leaseSeconds\": 30 },"
         " \"gateway\": { \"bind\": \"127.0.0.1\" }, \"oci\": { \"bind\": \"0.0.0.0\", \"organizations\": [ " ORG " ] },"
         " \"tenants\": [ { \"id\": 1, \"apiKeys\": { \"v5\": \"k\" }, \"organizationId\": \"f_ecom_demo_001\","
         "   \"locations\": { \"Any Name At All\": \"warehouse-1\", \"tenats\": \"warehouse-2\" } } ] }",
         NULL, 0, error, path, sizeof path);
    assert_string_equal(error, "");
    assert_true(cm_config_field_known("storage.url"));
    assert_true(cm_config_field_known("queue.leaseSeconds"));
    assert_true(cm_config_field_known("tenants[].locations.Location 1"));
    assert_false(cm_config_field_known("tenants[].location"));
    assert_true(cm_config_field_is_secret("tenants[].apiKeys.v5"));
    assert_true(cm_config_field_is_secret("delivery.oauth.clientSecret"));
    assert_false(cm_config_field_is_secret("delivery.baseUrl"));
}

static void the_sample_configuration_uses_only_known_fields(void **state)
{
    (void)state;
    char path[PATH_MAX], error[CM_CONFIG_ERROR_MAX] = "";
    th_data_path("../../samples/omsgw.json", path, sizeof path);
    cm_config *config = NULL;
    if (cm_config_load(path, NULL, 0, &config, error) != CM_OK)
        fail_msg("%s", error);
    cm_config_free(config);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(top_level_typo_names_the_nearest_section),
        cmocka_unit_test(every_level_is_checked),
        cmocka_unit_test(a_name_far_from_every_field_lists_the_known_ones),
        cmocka_unit_test(overrides_are_checked_too),
        cmocka_unit_test(fields_of_other_branches_and_free_maps_are_known),
        cmocka_unit_test(the_sample_configuration_uses_only_known_fields),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
