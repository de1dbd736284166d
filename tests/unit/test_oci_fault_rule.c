/* The fault rules of the emulator's control plane (oci_core/fault_rule.h): what is accepted, what
 * is refused and with which field named, matching, and the JSON form the list shows. */
#include "tests/support/test_support.h"

#include <stdio.h>
#include <string.h>

#include "oci_core/fault_rule.h"

static oci_fault_rule parse_ok(const char *text)
{
    oci_fault_rule rule;
    char field[64], message[OCI_FAULT_MESSAGE_MAX];
    if (oci_fault_rule_parse(text, strlen(text), &rule, field, message) != CM_OK)
        fail_msg("%s refused: %s (%s)", text, message, field);
    return rule;
}

static void refused(const char *text, const char *want_field, const char *want_words)
{
    oci_fault_rule rule;
    char field[64], message[OCI_FAULT_MESSAGE_MAX];
    assert_int_equal(oci_fault_rule_parse(text, strlen(text), &rule, field, message), CM_EINVAL);
    if (strcmp(field, want_field) != 0)
        fail_msg("%s: field \"%s\", wanted \"%s\" (%s)", text, field, want_field, message);
    if (!strstr(message, want_words))
        fail_msg("%s: message \"%s\" lacks \"%s\"", text, message, want_words);
}

static void accepts_every_field(void **state)
{
    (void)state;
    oci_fault_rule rule = parse_ok("{\"route\":\"/inventory/*\",\"method\":\"post\",\"organization\":\"org1\","
                                   "\"count\":3,\"status\":503,\"retryAfter\":2,\"latencyMs\":10}");
    assert_string_equal(rule.route, "/inventory/*");
    assert_string_equal(rule.method, "POST");
    assert_string_equal(rule.organization, "org1");
    assert_int_equal(rule.count, 3);
    assert_int_equal(rule.status, 503);
    assert_int_equal(rule.retry_after_s, 2);
    assert_int_equal(rule.latency_ms, 10);
    assert_true(rule.probability == 1);
    rule = parse_ok("{\"route\":\"*\",\"probability\":0.25,\"drop\":true}");
    assert_true(rule.probability == 0.25);
    assert_true(rule.drop);
    assert_int_equal(rule.retry_after_s, -1);
    rule = parse_ok("{\"route\":\"*\",\"stallMs\":120000}");
    assert_int_equal(rule.stall_ms, 120000);
    rule = parse_ok("{\"route\":\"*\",\"failImportLines\":\"FAIL-*\"}");
    assert_string_equal(rule.fail_import_lines, "FAIL-*");
    rule = parse_ok("{\"route\":\"*\",\"probability\":1,\"status\":500}");
    assert_true(rule.probability == 1);
}

static void refuses_with_the_field_named(void **state)
{
    (void)state;
    refused("", "", "not JSON");
    refused("[]", "", "JSON object");
    refused("{}", "route", "required");
    refused("{\"route\":\"\"}", "route", "1..512");
    refused("{\"route\":\"x\",\"status\":500}", "route", "start with");
    refused("{\"route\":7}", "route", "string");
    refused("{\"route\":\"/x\"}", "", "at least one effect");
    refused("{\"route\":\"/x\",\"status\":399}", "status", "400..599");
    refused("{\"route\":\"/x\",\"status\":\"503\"}", "status", "whole number");
    refused("{\"route\":\"/x\",\"status\":503.5}", "status", "whole number");
    refused("{\"route\":\"/x\",\"status\":503,\"count\":0}", "count", "1..1000000");
    refused("{\"route\":\"/x\",\"status\":503,\"count\":1000001}", "count", "1..1000000");
    refused("{\"route\":\"/x\",\"status\":503,\"count\":1,\"probability\":0.5}", "probability", "not both");
    refused("{\"route\":\"/x\",\"status\":503,\"probability\":0}", "probability", "above 0");
    refused("{\"route\":\"/x\",\"status\":503,\"probability\":1.5}", "probability", "at most 1");
    refused("{\"route\":\"/x\",\"status\":503,\"probability\":true}", "probability", "number");
    refused("{\"route\":\"/x\",\"retryAfter\":3,\"latencyMs\":1}", "retryAfter", "needs a status");
    refused("{\"route\":\"/x\",\"status\":503,\"retryAfter\":86401}", "retryAfter", "0..86400");
    refused("{\"route\":\"/x\",\"latencyMs\":60001}", "latencyMs", "0..60000");
    refused("{\"route\":\"/x\",\"stallMs\":120001}", "stallMs", "0..120000");
    refused("{\"route\":\"/x\",\"drop\":1}", "drop", "true or false");
    refused("{\"route\":\"/x\",\"status\":503,\"drop\":true}", "drop", "not both");
    refused("{\"route\":\"/x\",\"status\":503,\"stallMs\":5}", "stallMs", "not both");
    refused("{\"route\":\"/x\",\"method\":\"BREW\",\"status\":503}", "method", "GET, POST");
    refused("{\"route\":\"/x\",\"status\":503,\"extra\":1}", "extra", "unknown field");
    refused("{\"route\":\"/x\",\"status\":503,\"route\":\"/y\"}", "", "not JSON");
    refused("{\"route\":\"/x\",\"status\":503", "", "not JSON");
    refused("{\"route\":\"/x\\u0000y\",\"status\":503}", "route", "NUL");
    refused("{\"route\":\"/x\",\"count\":99999999999999999999,\"status\":503}", "count", "1..1000000");
    /* The body limit comes first. */
    char big[OCI_FAULT_BODY_MAX + 2];
    memset(big, ' ', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    refused(big, "", "limit");
}

static void matches_method_organization_and_glob(void **state)
{
    (void)state;
    oci_fault_rule rule = parse_ok("{\"route\":\"*/batch-update\",\"method\":\"POST\",\"organization\":\"o1\","
                                   "\"status\":500}");
    const char *path = "/inventory/availability/v1/organizations/o1/availability-records/actions/batch-update";
    assert_true(oci_fault_rule_matches(&rule, "POST", path, "o1"));
    assert_false(oci_fault_rule_matches(&rule, "GET", path, "o1"));
    assert_false(oci_fault_rule_matches(&rule, "POST", path, "o2"));
    assert_false(oci_fault_rule_matches(&rule, "POST", path, NULL));
    assert_false(oci_fault_rule_matches(&rule, "POST", "/inventory/x/get-deltas", "o1"));
    rule = parse_ok("{\"route\":\"/inventory/impex/*\",\"status\":500}");
    assert_true(oci_fault_rule_matches(&rule, "DELETE", "/inventory/impex/v1/a/b", NULL));
    assert_false(oci_fault_rule_matches(&rule, "GET", "/inventory/availability/v1", NULL));
}

static void json_form_reads_back(void **state)
{
    (void)state;
    oci_fault_rule rule = parse_ok("{\"route\":\"/a/*\",\"method\":\"PUT\",\"count\":4,\"status\":429,"
                                   "\"retryAfter\":9,\"latencyMs\":5}");
    snprintf(rule.id, sizeof rule.id, "f-7");
    rule.fired = 1;
    json_object *json = oci_fault_rule_to_json(&rule, 3);
    assert_string_equal(json_object_to_json_string_ext(json, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
                        "{\"id\":\"f-7\",\"route\":\"/a/*\",\"method\":\"PUT\",\"count\":4,\"remaining\":3,"
                        "\"status\":429,\"retryAfter\":9,\"latencyMs\":5,\"fired\":1}");
    json_object_put(json);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accepts_every_field),
        cmocka_unit_test(refuses_with_the_field_named),
        cmocka_unit_test(matches_method_organization_and_glob),
        cmocka_unit_test(json_form_reads_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
