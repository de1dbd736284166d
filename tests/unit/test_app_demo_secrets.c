/*
 * test_app_demo_secrets.c - app/demo_secrets: the published demo keys and tokens are warned about
 * only when their listener is not on loopback (nothing is bound here: the check reads the config).
 */
#include "tests/support/test_support.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "app/demo_secrets.h"
#include "common/config.h"

static cm_config *sample_with(const char *const *overrides, size_t count)
{
    char path[PATH_MAX], error[CM_CONFIG_ERROR_MAX];
    th_data_path("../../samples/omsgw.json", path, sizeof path);
    cm_config *config = NULL;
    if (cm_config_load(path, overrides, count, &config, error) != CM_OK)
        fail_msg("%s", error);
    return config;
}

static void loopback_addresses(void **state)
{
    (void)state;
    assert_true(app_is_loopback("127.0.0.1"));
    assert_true(app_is_loopback("127.8.9.10"));
    assert_false(app_is_loopback("0.0.0.0"));
    assert_false(app_is_loopback("10.0.0.1"));
    assert_false(app_is_loopback("not an address"));
    assert_false(app_is_loopback(NULL));
}

static void warned_only_off_loopback(void **state)
{
    (void)state;
    cm_config *config = sample_with(NULL, 0);
    assert_int_equal(app_warn_demo_secrets(config, 1, 1), 0);
    cm_config_free(config);

    /* The sample's three tenants have two demo keys each; its organizations two tokens, one client. */
    const char *gateway_open[] = {"gateway.bind=0.0.0.0"};
    config = sample_with(gateway_open, 1);
    assert_int_equal(app_warn_demo_secrets(config, 1, 1), 6);
    assert_int_equal(app_warn_demo_secrets(config, 0, 1), 0); /* the gateway listener is off */
    cm_config_free(config);
    const char *oci_open[] = {"oci.bind=0.0.0.0"};
    config = sample_with(oci_open, 1);
    assert_int_equal(app_warn_demo_secrets(config, 1, 1), 3);
    cm_config_free(config);

    /* Real secrets on an open listener: no warning. */
    const char *replaced[] = {"gateway.bind=0.0.0.0", "tenants[0].apiKeys.v5=a-real-key",
                              "tenants[0].apiKeys.inventorySpecific=another-real-key"};
    config = sample_with(replaced, 3);
    assert_int_equal(app_warn_demo_secrets(config, 1, 0), 4);
    cm_config_free(config);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(loopback_addresses),
        cmocka_unit_test(warned_only_off_loopback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
