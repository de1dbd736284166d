/* The emulator's configuration (common/config.h, "The emulator side"): oci.control and the
 * realism switches, their defaults, bounds and the messages that name the field. */
#include "tests/support/test_support.h"

#include <stdio.h>
#include <string.h>

#include "common/config.h"

static cm_config *parse(const char *text, const char *const *overrides, size_t count)
{
    cm_config *config = NULL;
    char error[CM_CONFIG_ERROR_MAX] = "";
    if (cm_config_parse(text, strlen(text), "inline", NULL, overrides, count, &config, error) != CM_OK)
        fail_msg("refused: %s", error);
    return config;
}

static void refused(const char *text, const char *field, const char *words)
{
    cm_config *config = (cm_config *)1;
    char error[CM_CONFIG_ERROR_MAX] = "";
    assert_int_equal(cm_config_parse(text, strlen(text), "inline", NULL, NULL, 0, &config, error), CM_ECONFIG);
    assert_null(config);
    char want[128];
    snprintf(want, sizeof want, "field %s: ", field);
    if (!strstr(error, want) || !strstr(error, words))
        fail_msg("\"%s\" does not name %s with \"%s\"", error, field, words);
}

static void defaults(void **state)
{
    (void)state;
    cm_config *config = parse("{}", NULL, 0);
    assert_int_equal(config->oci.control.enabled, 1);
    assert_null(config->oci.control.token);
    assert_int_equal(config->oci.control.journal_bodies, 0);
    assert_int_equal(config->oci.control.journal_size, 1000);
    assert_int_equal(config->oci.strict, 0);
    assert_int_equal(config->oci.propagation_delay_ms, 0);
    assert_int_equal(config->oci.reservation_expiry_lag_seconds, 0);
    assert_int_equal(config->oci.graph_change_seconds, 0);
    cm_config_free(config);
}

static void every_field_and_overrides(void **state)
{
    (void)state;
    const char *text = "{\"oci\":{\"control\":{\"enabled\":false,\"token\":\"secret-token\",\"journalBodies\":true,"
                       "\"journalSize\":50},\"strict\":true,\"propagationDelayMs\":2500,"
                       "\"reservationExpiryLagSeconds\":15,\"graphChangeSeconds\":30}}";
    cm_config *config = parse(text, NULL, 0);
    assert_int_equal(config->oci.control.enabled, 0);
    assert_string_equal(config->oci.control.token, "secret-token");
    assert_int_equal(config->oci.control.journal_bodies, 1);
    assert_int_equal(config->oci.control.journal_size, 50);
    assert_int_equal(config->oci.strict, 1);
    assert_int_equal(config->oci.propagation_delay_ms, 2500);
    assert_int_equal(config->oci.reservation_expiry_lag_seconds, 15);
    assert_int_equal(config->oci.graph_change_seconds, 30);
    cm_config_free(config);
    const char *overrides[] = {"oci.control.token=from-the-command-line", "oci.graphChangeSeconds=5"};
    config = parse("{}", overrides, 2);
    assert_string_equal(config->oci.control.token, "from-the-command-line");
    assert_int_equal(config->oci.graph_change_seconds, 5);
    cm_config_free(config);
}

static void bad_values_name_their_field(void **state)
{
    (void)state;
    refused("{\"oci\":{\"control\":7}}", "oci.control", "must be an object");
    refused("{\"oci\":{\"control\":{\"enabled\":\"yes\"}}}", "oci.control.enabled", "true or false");
    refused("{\"oci\":{\"control\":{\"token\":\"short\"}}}", "oci.control.token", "8..256");
    refused("{\"oci\":{\"control\":{\"token\":5}}}", "oci.control.token", "string");
    refused("{\"oci\":{\"control\":{\"journalSize\":0}}}", "oci.control.journalSize", "");
    refused("{\"oci\":{\"control\":{\"journalSize\":100001}}}", "oci.control.journalSize", "");
    refused("{\"oci\":{\"control\":{\"journalBodies\":1}}}", "oci.control.journalBodies", "true or false");
    refused("{\"oci\":{\"strict\":\"on\"}}", "oci.strict", "true or false");
    refused("{\"oci\":{\"propagationDelayMs\":60001}}", "oci.propagationDelayMs", "");
    refused("{\"oci\":{\"propagationDelayMs\":-1}}", "oci.propagationDelayMs", "");
    refused("{\"oci\":{\"reservationExpiryLagSeconds\":121}}", "oci.reservationExpiryLagSeconds", "");
    refused("{\"oci\":{\"graphChangeSeconds\":3601}}", "oci.graphChangeSeconds", "");
    refused("{\"oci\":{\"graphChangeSeconds\":1.5}}", "oci.graphChangeSeconds", "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults),
        cmocka_unit_test(every_field_and_overrides),
        cmocka_unit_test(bad_values_name_their_field),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
