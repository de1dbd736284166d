/*
 * test_oci_control_faults.c - the control plane's fault rules (oci_core/control_faults.c, declared
 * in control.h and control_internal.h) on a core served in this process: POST/GET/DELETE
 * /_omsgw/faults (ids f-1, f-2… never reused, the list in the order added with remaining counts,
 * delete by id and all, refusals: an invalid rule, the 257th rule, an unknown id), the choice of
 * the rule that fires for a request (oci_faults_take: the first matching rule in the order added,
 * method and organization filters, count rules retiring, probability rolls, rules without an HTTP
 * effect never firing), the import worker's failImportLines hook, the organization of a path, and
 * a fault delay cut short by shutdown.
 */
#include "tests/support/test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json_util.h"
#include "oci_core/control_internal.h"
#include "oci_core/core_internal.h"
#include "tests/support/http_client.h"
#include "tests/support/oci_inproc.h"

#define CTL_TOKEN "ctl-token-1234"
#define CONFIG                                                                                                \
    "{\"oci\":{\"port\":0,\"control\":{\"token\":\"" CTL_TOKEN "\"},\"organizations\":[{\"id\":\"org1\"},"      \
    "{\"id\":\"org2\"}]}}"
#define IMPORT_PATH(org) "/inventory/impex/v1/organizations/" org "/availability-records/imports"

static int setup(void **state)
{
    th_oci *oci = calloc(1, sizeof *oci);
    assert_non_null(oci);
    th_oci_start(oci, CONFIG);
    *state = oci;
    return 0;
}

static int teardown(void **state)
{
    th_oci *oci = *state;
    th_oci_stop(oci);
    free(oci);
    return 0;
}

/* A control call; the parsed reply (caller puts; NULL for an empty one). Fails unless `status`. */
static json_object *ctl(th_oci *oci, const char *method, const char *path, const char *body, long status)
{
    char url[512];
    th_url(url, sizeof url, oci->port, path);
    const char *headers[] = {"Authorization: Bearer " CTL_TOKEN, "Content-Type: application/json", NULL};
    th_response response;
    assert_int_equal(th_http(method, url, headers, body, body ? strlen(body) : 0, &response), 0);
    if (response.status != status)
        fail_msg("%s %s: %ld, expected %ld: %s", method, path, response.status, status, response.body);
    json_object *json = response.body_length ? th_json(&response) : NULL;
    th_response_free(&response);
    return json;
}

static const char *text_of(json_object *object, const char *key)
{
    const char *text = NULL;
    if (cm_json_string(object, key, &text) != CM_JSON_OK)
        fail_msg("no string %s in %s", key, json_object_to_json_string(object));
    return text;
}

/* Adds a rule over HTTP; its id into `id`. */
static void add_rule(th_oci *oci, const char *body, char id[OCI_FAULT_ID_MAX + 1])
{
    json_object *reply = ctl(oci, "POST", "/_omsgw/faults", body, 201);
    snprintf(id, OCI_FAULT_ID_MAX + 1, "%s", text_of(reply, "id"));
    json_object_put(reply);
}

static size_t rule_count(th_oci *oci)
{
    pthread_mutex_lock(&oci->core->control->lock);
    size_t count = oci->core->control->fault_count;
    pthread_mutex_unlock(&oci->core->control->lock);
    return count;
}

static void test_add_list_delete_clear(void **state)
{
    th_oci *oci = *state;
    char first[OCI_FAULT_ID_MAX + 1], second[OCI_FAULT_ID_MAX + 1], third[OCI_FAULT_ID_MAX + 1];
    add_rule(oci, "{\"route\":\"/inventory/*\",\"status\":503,\"count\":3}", first);
    add_rule(oci, "{\"route\":\"*/imports\",\"method\":\"post\",\"organization\":\"org1\",\"latencyMs\":5}", second);
    assert_string_equal(first, "f-1");
    assert_string_equal(second, "f-2");
    json_object *list = ctl(oci, "GET", "/_omsgw/faults", NULL, 200), *faults = NULL;
    assert_int_equal(cm_json_array(list, "faults", &faults), CM_JSON_OK);
    assert_int_equal(json_object_array_length(faults), 2);
    json_object *one = json_object_array_get_idx(faults, 0), *two = json_object_array_get_idx(faults, 1);
    assert_string_equal(text_of(one, "id"), "f-1");
    assert_string_equal(text_of(one, "route"), "/inventory/*");
    int64_t number = 0;
    assert_int_equal(cm_json_int64(one, "remaining", &number), CM_JSON_OK);
    assert_int_equal(number, 3);
    assert_int_equal(cm_json_int64(one, "fired", &number), CM_JSON_OK);
    assert_int_equal(number, 0);
    assert_string_equal(text_of(two, "id"), "f-2");
    assert_string_equal(text_of(two, "method"), "POST"); /* normalized */
    assert_string_equal(text_of(two, "organization"), "org1");
    json_object_put(list);

    /* A firing shows in the list: fired 1, remaining 2. */
    oci_fault_rule rule;
    assert_int_equal(oci_faults_take(oci->core->control, "GET", "/inventory/x", NULL, &rule), 1);
    list = ctl(oci, "GET", "/_omsgw/faults", NULL, 200);
    one = json_object_array_get_idx(json_object_object_get(list, "faults"), 0);
    assert_int_equal(cm_json_int64(one, "remaining", &number), CM_JSON_OK);
    assert_int_equal(number, 2);
    assert_int_equal(cm_json_int64(one, "fired", &number), CM_JSON_OK);
    assert_int_equal(number, 1);
    json_object_put(list);

    /* Delete by id; a second delete of it is a 404 naming the field. */
    json_object_put(ctl(oci, "DELETE", "/_omsgw/faults/f-1", NULL, 204));
    json_object *error = ctl(oci, "DELETE", "/_omsgw/faults/f-1", NULL, 404);
    assert_string_equal(text_of(error, "error"), "FaultNotFound");
    assert_string_equal(text_of(error, "field"), "faultId");
    assert_non_null(strstr(text_of(error, "message"), "\"f-1\""));
    json_object_put(error);
    assert_int_equal(rule_count(oci), 1);
    /* An invalid rule: 400 with the field, and nothing added. */
    error = ctl(oci, "POST", "/_omsgw/faults", "{\"route\":\"/x\",\"status\":200}", 400);
    assert_string_equal(text_of(error, "error"), "InvalidFaultRule");
    assert_string_equal(text_of(error, "field"), "status");
    json_object_put(error);
    error = ctl(oci, "POST", "/_omsgw/faults", "{\"route\":\"/x\"}", 400);
    assert_string_equal(text_of(error, "error"), "InvalidFaultRule");
    assert_null(json_object_object_get(error, "field")); /* the body itself: no field */
    json_object_put(error);
    assert_int_equal(rule_count(oci), 1);
    /* Clear all; ids are not reused afterwards. */
    json_object_put(ctl(oci, "DELETE", "/_omsgw/faults", NULL, 204));
    assert_int_equal(rule_count(oci), 0);
    list = ctl(oci, "GET", "/_omsgw/faults", NULL, 200);
    assert_int_equal(json_object_array_length(json_object_object_get(list, "faults")), 0);
    json_object_put(list);
    add_rule(oci, "{\"route\":\"/x\",\"drop\":true}", third);
    assert_string_equal(third, "f-3");
    json_object_put(ctl(oci, "DELETE", "/_omsgw/faults", NULL, 204)); /* clearing twice is fine */
    json_object_put(ctl(oci, "DELETE", "/_omsgw/faults", NULL, 204));
}

static void test_at_most_256_rules(void **state)
{
    th_oci *oci = *state;
    char id[OCI_FAULT_ID_MAX + 1];
    for (int i = 0; i < OCI_FAULT_RULES_MAX; i++)
        add_rule(oci, "{\"route\":\"/never/*\",\"status\":500}", id);
    assert_string_equal(id, "f-256");
    json_object *error = ctl(oci, "POST", "/_omsgw/faults", "{\"route\":\"/never/*\",\"status\":500}", 409);
    assert_string_equal(text_of(error, "error"), "TooManyFaultRules");
    json_object_put(error);
    assert_int_equal(rule_count(oci), OCI_FAULT_RULES_MAX);
    /* One deleted: room for one more, with the next id. */
    json_object_put(ctl(oci, "DELETE", "/_omsgw/faults/f-100", NULL, 204));
    add_rule(oci, "{\"route\":\"/never/*\",\"status\":500}", id);
    assert_string_equal(id, "f-257");
    json_object *list = ctl(oci, "GET", "/_omsgw/faults", NULL, 200);
    json_object *faults = json_object_object_get(list, "faults");
    assert_int_equal(json_object_array_length(faults), OCI_FAULT_RULES_MAX);
    /* Order kept around the hole: f-99, f-101, … f-256, f-257. */
    assert_string_equal(text_of(json_object_array_get_idx(faults, 98), "id"), "f-99");
    assert_string_equal(text_of(json_object_array_get_idx(faults, 99), "id"), "f-101");
    assert_string_equal(text_of(json_object_array_get_idx(faults, OCI_FAULT_RULES_MAX - 1), "id"), "f-257");
    json_object_put(list);
}

static void test_the_first_matching_rule_fires(void **state)
{
    th_oci *oci = *state;
    oci_control *control = oci->core->control;
    char id[OCI_FAULT_ID_MAX + 1];
    oci_fault_rule rule;
    /* Nothing configured: nothing fires. */
    assert_int_equal(oci_faults_take(control, "GET", "/inventory/x", "org1", &rule), 0);
    add_rule(oci, "{\"route\":\"*/imports\",\"failImportLines\":\"*\"}", id);                /* f-1: no HTTP effect */
    add_rule(oci, "{\"route\":\"/inventory/*\",\"method\":\"DELETE\",\"status\":404}", id);    /* f-2 */
    add_rule(oci, "{\"route\":\"/inventory/*\",\"organization\":\"org2\",\"status\":409}", id); /* f-3 */
    add_rule(oci, "{\"route\":\"/inventory/*\",\"status\":503,\"count\":2}", id);             /* f-4 */
    add_rule(oci, "{\"route\":\"/inventory/*\",\"status\":429,\"retryAfter\":7}", id);        /* f-5 */

    /* Method and organization filters; the first match in the order added wins. */
    memset(&rule, 0, sizeof rule);
    assert_int_equal(oci_faults_take(control, "DELETE", "/inventory/a", "org2", &rule), 1);
    assert_string_equal(rule.id, "f-2");
    assert_int_equal(rule.status, 404);
    assert_int_equal(rule.fired, 1);
    assert_int_equal(oci_faults_take(control, "POST", IMPORT_PATH("org2"), "org2", &rule), 1);
    assert_string_equal(rule.id, "f-3"); /* f-1 matches the path but has no HTTP effect */
    /* f-4 fires twice, then retires and f-5 comes next. */
    assert_int_equal(oci_faults_take(control, "GET", "/inventory/a", "org1", &rule), 1);
    assert_string_equal(rule.id, "f-4");
    assert_int_equal(rule.fired, 1);
    assert_int_equal(rule_count(oci), 5);
    assert_int_equal(oci_faults_take(control, "GET", "/inventory/a", NULL, &rule), 1);
    assert_string_equal(rule.id, "f-4");
    assert_int_equal(rule.fired, 2);
    assert_int_equal(rule_count(oci), 4);
    assert_int_equal(oci_faults_take(control, "GET", "/inventory/a", "org1", &rule), 1);
    assert_string_equal(rule.id, "f-5");
    assert_int_equal(rule.status, 429);
    assert_int_equal(rule.retry_after_s, 7);
    /* A rule without count fires every time. */
    for (int i = 0; i < 5; i++)
        assert_int_equal(oci_faults_take(control, "GET", "/inventory/b", "org1", &rule), 1);
    assert_string_equal(rule.id, "f-5");
    assert_int_equal(rule.fired, 6);
    /* Paths the globs do not match, and an organization filter without an organization. */
    assert_int_equal(oci_faults_take(control, "GET", "/healthz", NULL, &rule), 0);
    assert_int_equal(oci_faults_take(control, "GET", "/inventoryx", NULL, &rule), 0);
    json_object_put(ctl(oci, "DELETE", "/_omsgw/faults/f-5", NULL, 204));
    assert_int_equal(oci_faults_take(control, "GET", "/inventory/a", NULL, &rule), 0); /* f-3 needs org2 */
    assert_int_equal(oci_faults_take(control, "GET", "/inventory/a", "org1", &rule), 0);
    assert_int_equal(oci_faults_take(control, "PUT", "/inventory/a", "org2", &rule), 1);
    assert_string_equal(rule.id, "f-3");
}

static void test_probability(void **state)
{
    th_oci *oci = *state;
    oci_control *control = oci->core->control;
    char id[OCI_FAULT_ID_MAX + 1];
    oci_fault_rule rule;
    /* A rule that (almost) never wins its roll lets the next one fire. */
    add_rule(oci, "{\"route\":\"/a\",\"status\":500,\"probability\":1e-300}", id); /* f-1 */
    add_rule(oci, "{\"route\":\"/a\",\"status\":502}", id);                        /* f-2 */
    for (int i = 0; i < 200; i++) {
        assert_int_equal(oci_faults_take(control, "GET", "/a", NULL, &rule), 1);
        assert_string_equal(rule.id, "f-2");
    }
    /* Half: some requests and not all (the chance of either failing is 2^-400). */
    add_rule(oci, "{\"route\":\"/b\",\"status\":500,\"probability\":0.5}", id);
    int fired = 0;
    for (int i = 0; i < 400; i++)
        fired += oci_faults_take(control, "GET", "/b", NULL, &rule);
    assert_true(fired > 0);
    assert_true(fired < 400);
    /* Probability 1 is the same as none. */
    add_rule(oci, "{\"route\":\"/c\",\"status\":500,\"probability\":1}", id);
    for (int i = 0; i < 50; i++)
        assert_int_equal(oci_faults_take(control, "GET", "/c", NULL, &rule), 1);
}

static void test_fail_import_lines(void **state)
{
    th_oci *oci = *state;
    char id[OCI_FAULT_ID_MAX + 1], message[160] = "";
    /* No rule: nothing fails. */
    assert_int_equal(oci_control_fail_import_line(oci->core, "org1", "bad-1", message), 0);
    add_rule(oci, "{\"route\":\"/inventory/*\",\"status\":503}", id); /* f-1: HTTP only */
    assert_int_equal(oci_control_fail_import_line(oci->core, "org1", "bad-1", message), 0);
    add_rule(oci, "{\"route\":\"*/imports\",\"organization\":\"org1\",\"failImportLines\":\"bad-*\",\"count\":2}",
             id); /* f-2 */
    add_rule(oci, "{\"route\":\"/inventory/availability/*\",\"failImportLines\":\"*\"}", id); /* f-3: other routes */
    add_rule(oci, "{\"route\":\"*\",\"method\":\"GET\",\"failImportLines\":\"*\"}", id);      /* f-4: not POST */
    assert_int_equal(oci_control_fail_import_line(oci->core, "org1", "good-1", message), 0);
    assert_int_equal(oci_control_fail_import_line(oci->core, "org2", "bad-1", message), 0);
    assert_int_equal(oci_control_fail_import_line(oci->core, "org1", "bad-1", message), 1);
    assert_string_equal(message, "injected failure (fault rule f-2): this line was refused on purpose");
    assert_int_equal(rule_count(oci), 4);
    assert_int_equal(oci_control_fail_import_line(oci->core, "org1", "bad-22", message), 1);
    /* Used up: retired. */
    assert_int_equal(rule_count(oci), 3);
    message[0] = '\0';
    assert_int_equal(oci_control_fail_import_line(oci->core, "org1", "bad-3", message), 0);
    assert_string_equal(message, "");
    /* failImportLines rules never answer HTTP requests. */
    oci_fault_rule rule;
    assert_int_equal(oci_faults_take(oci->core->control, "POST", IMPORT_PATH("org1"), "org1", &rule), 1);
    assert_string_equal(rule.id, "f-1");
    json_object_put(ctl(oci, "DELETE", "/_omsgw/faults/f-1", NULL, 204));
    assert_int_equal(oci_faults_take(oci->core->control, "POST", IMPORT_PATH("org1"), "org1", &rule), 0);
    /* A rule for every organization and sku. */
    add_rule(oci, "{\"route\":\"/inventory/impex/*\",\"failImportLines\":\"*\"}", id);
    assert_int_equal(oci_control_fail_import_line(oci->core, "org2", "anything", message), 1);
    assert_non_null(strstr(message, id));
}

static void test_path_org(void **state)
{
    (void)state;
    char out[16];
    assert_string_equal(oci_control_path_org("/inventory/availability/v1/organizations/org1/availability-records",
                                             out, sizeof out),
                        "org1");
    assert_string_equal(oci_control_path_org("/organizations/org2", out, sizeof out), "org2");
    assert_ptr_equal(oci_control_path_org("/a/organizations/org3/b", out, sizeof out), out);
    /* 15 characters fit a 16-byte buffer; 16 do not. */
    assert_string_equal(oci_control_path_org("/organizations/abcdefghijklmno/x", out, sizeof out), "abcdefghijklmno");
    assert_null(oci_control_path_org("/organizations/abcdefghijklmnop/x", out, sizeof out));
    assert_null(oci_control_path_org("/organizations/", out, sizeof out));
    assert_null(oci_control_path_org("/organizations//x", out, sizeof out));
    assert_null(oci_control_path_org("/inventory/organization/org1", out, sizeof out));
    assert_null(oci_control_path_org("/healthz", out, sizeof out));
}

static void test_sleep_ends_at_shutdown(void **state)
{
    th_oci *oci = *state;
    oci_control_sleep(oci->core->control, 0);
    oci_control_sleep(oci->core->control, 1);
    oci_control_shutdown(oci->core->control);
    oci_control_shutdown(oci->core->control); /* twice is harmless */
    /* An hour, cut short: the test would time out otherwise. */
    oci_control_sleep(oci->core->control, 3600 * 1000);
    assert_int_equal(oci->core->control->shutting_down, 1);
    oci_control_shutdown(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_add_list_delete_clear, setup, teardown),
        cmocka_unit_test_setup_teardown(test_at_most_256_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_the_first_matching_rule_fires, setup, teardown),
        cmocka_unit_test_setup_teardown(test_probability, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fail_import_lines, setup, teardown),
        cmocka_unit_test(test_path_org),
        cmocka_unit_test_setup_teardown(test_sleep_ends_at_shutdown, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
