/*
 * test_app_location_check.c - the start-up check that every tenant location mapping names a
 * location of its organization's graph (app/location_check.h), against a real bundled core opened
 * on a temporary folder: mappings that are all in the graph pass; the first one that is not is
 * refused with a line naming the config file, the field, the OCI location, the organization and
 * its graph file (or that it has none); the core's live graph counts, so a graph an admin replaced
 * decides; tenants delivered over HTTP are not checked (their graph lives in another OCI).
 */
#include "tests/support/test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/location_check.h"
#include "common/json_util.h"
#include "oci_core/core_internal.h"
#include "oci_core/graph.h"

#define GRAPH_L1_L2 "{\"locations\":[\"L1\",\"L2\"],\"groups\":[{\"id\":\"online\",\"locations\":[\"L1\",\"L2\"]}]}"

typedef struct fixture {
    char dir[256];
    cm_config *config;
    oci_core *core;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    th_temp_dir(f->dir, sizeof f->dir);
    char path[400];
    snprintf(path, sizeof path, "%s/graph.json", f->dir);
    assert_int_equal(th_write_file(path, GRAPH_L1_L2, strlen(GRAPH_L1_L2)), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    if (f->core)
        oci_core_close(f->core);
    cm_config_free(f->config);
    th_remove_tree(f->dir);
    free(f);
    return 0;
}

/* Parses `config_json` (paths relative to the fixture's folder) and opens the core on it. */
static void open_with(fixture *f, const char *config_json)
{
    char error[CM_CONFIG_ERROR_MAX];
    if (cm_config_parse(config_json, strlen(config_json), "omsgw.json", f->dir, NULL, 0, &f->config, error) != CM_OK)
        fail_msg("config: %s", error);
    char oci_error[OCI_ERROR_MAX];
    if (oci_core_open(f->config, f->dir, &f->core, oci_error) != CM_OK)
        fail_msg("open: %s", oci_error);
}

/* Two organizations, one with graph.json and one with none, and the tenants given. */
#define CONFIG(delivery, tenants)                                                                         \
    "{" delivery "\"oci\":{\"port\":0,\"organizations\":[{\"id\":\"org_a\",\"locationGraph\":\"graph.json\"}," \
    "{\"id\":\"org_b\"}]},\"tenants\":[" tenants "]}"

#define TENANT(id, org, locations) \
    "{\"id\":" #id ",\"apiKeys\":{\"v5\":\"k" #id "\"},\"organizationId\":\"" org "\",\"locations\":{" locations "}}"

static void test_mappings_in_the_graph_pass(void **state)
{
    fixture *f = *state;
    open_with(f, CONFIG("", TENANT(1, "org_a", "\"Location 1\":\"L1\",\"Location 2\":\"L2\"") ","
                            TENANT(2, "org_a", "\"Store 3\":\"L2\"")));
    char error[256] = "untouched";
    assert_int_equal(app_check_locations_bundled(f->config, f->core, error, sizeof error), 0);
    assert_string_equal(error, "untouched");
}

/* The second tenant's second mapping is the first one missing: the line names all of it. */
static void test_a_mapping_to_an_unknown_location_is_refused_by_name(void **state)
{
    fixture *f = *state;
    open_with(f, CONFIG("", TENANT(1, "org_a", "\"Location 1\":\"L1\"") ","
                            TENANT(2, "org_a", "\"Store 3\":\"L2\",\"Store 9\":\"warehouse-9\",\"Store 10\":\"nowhere\"")));
    char error[512] = "";
    assert_int_equal(app_check_locations_bundled(f->config, f->core, error, sizeof error), -1);
    char expected_graph[400];
    snprintf(expected_graph, sizeof expected_graph, "(%s/graph.json)", f->dir);
    assert_non_null(strstr(error, "config omsgw.json: field tenants[1].locations.Store 9: OCI location "
                                  "\"warehouse-9\" is not in the location graph of organization org_a"));
    assert_non_null(strstr(error, expected_graph));
    /* Only the first missing one is named. */
    assert_null(strstr(error, "nowhere"));
}

/* An organization without a configured graph has no locations: any mapping to it is refused, and
 * the line says the graph is missing rather than naming a file. */
static void test_an_organization_without_a_graph_refuses_every_mapping(void **state)
{
    fixture *f = *state;
    open_with(f, CONFIG("", TENANT(7, "org_b", "\"Location 1\":\"L1\"")));
    char error[512] = "";
    assert_int_equal(app_check_locations_bundled(f->config, f->core, error, sizeof error), -1);
    assert_non_null(strstr(error, "field tenants[0].locations.Location 1"));
    assert_non_null(strstr(error, "organization org_b (no locationGraph configured)"));
}

/* A tenant without mappings (none configured) has nothing to check. */
static void test_a_tenant_without_mappings_passes(void **state)
{
    fixture *f = *state;
    open_with(f, CONFIG("", TENANT(3, "org_b", "")));
    char error[256] = "untouched";
    assert_int_equal(app_check_locations_bundled(f->config, f->core, error, sizeof error), 0);
    assert_string_equal(error, "untouched");
}

/* The check reads the core's live graph: after an admin replaced it with one that has L3, a
 * mapping to L3 passes and one to L1 (no longer there) is refused. */
static void test_the_live_graph_decides(void **state)
{
    fixture *f = *state;
    open_with(f, CONFIG("", TENANT(1, "org_a", "\"Location 3\":\"L3\"")));
    char error[512] = "";
    assert_int_equal(app_check_locations_bundled(f->config, f->core, error, sizeof error), -1);
    assert_non_null(strstr(error, "\"L3\""));

    const char *text = "{\"locations\":[\"L2\",\"L3\"],\"groups\":[]}";
    json_object *root = NULL;
    char parse_error[CM_JSON_ERROR_MAX], graph_error[OCI_GRAPH_ERROR_MAX];
    assert_int_equal(cm_json_parse(text, strlen(text), CM_JSON_MAX_DEPTH, &root, parse_error), CM_OK);
    oci_graph *graph = NULL;
    assert_int_equal(oci_graph_from_json(root, &graph, graph_error), CM_OK);
    json_object_put(root);
    assert_int_equal(oci_core_graph_replace(f->core, "org_a", graph), CM_OK);

    error[0] = '\0';
    assert_int_equal(app_check_locations_bundled(f->config, f->core, error, sizeof error), 0);
    assert_string_equal(error, "");
}

/* With http delivery the bundled core's graphs are not the tenants' own: nothing is refused. */
static void test_http_delivery_is_not_checked(void **state)
{
    fixture *f = *state;
    open_with(f, CONFIG("\"delivery\":{\"mode\":\"http\",\"baseUrl\":\"http://127.0.0.1:9\",\"token\":\"t\"},",
                        TENANT(1, "org_a", "\"Location 1\":\"warehouse-9\"")));
    char error[256] = "untouched";
    assert_int_equal(app_check_locations_bundled(f->config, f->core, error, sizeof error), 0);
    assert_string_equal(error, "untouched");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_mappings_in_the_graph_pass, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_mapping_to_an_unknown_location_is_refused_by_name, setup, teardown),
        cmocka_unit_test_setup_teardown(test_an_organization_without_a_graph_refuses_every_mapping, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_tenant_without_mappings_passes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_the_live_graph_decides, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_delivery_is_not_checked, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
