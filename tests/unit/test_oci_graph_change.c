/*
 * test_oci_graph_change.c - location-graph replacements that take time (oci_core/graph_change.c)
 * on a real core opened on a temporary folder, its clock moved with oci_core_testing.h: a staged
 * graph is not in force until the change is over on the core's clock, readers keep the current
 * one meanwhile, the change reports inProgress with its start and end, a second replacement
 * restarts the change with the newer graph, a cleared change leaves the current graph, an
 * unknown organization is CM_ENOTFOUND (and the staged graph is not leaked), and a change of
 * zero seconds is over at once.
 */
#include "tests/support/test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/config.h"
#include "common/json_util.h"
#include "oci_core/core_internal.h"
#include "oci_core/graph.h"
#include "oci_core/oci_core.h"
#include "oci_core/oci_core_testing.h"

#define ORG "org_g"

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
    const char *graph = "{\"locations\":[\"L1\"],\"groups\":[]}";
    assert_int_equal(th_write_file(path, graph, strlen(graph)), 0);
    const char *text = "{\"oci\":{\"organizations\":[{\"id\":\"" ORG "\",\"locationGraph\":\"graph.json\"}]}}";
    char error[CM_CONFIG_ERROR_MAX];
    if (cm_config_parse(text, strlen(text), "test", f->dir, NULL, 0, &f->config, error) != CM_OK)
        fail_msg("config: %s", error);
    char oci_error[OCI_ERROR_MAX];
    if (oci_core_open(f->config, f->dir, &f->core, oci_error) != CM_OK)
        fail_msg("open: %s", oci_error);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    oci_core_close(f->core);
    cm_config_free(f->config);
    th_remove_tree(f->dir);
    free(f);
    return 0;
}

static oci_graph *graph_of(const char *text)
{
    json_object *root = NULL;
    char parse_error[CM_JSON_ERROR_MAX], graph_error[OCI_GRAPH_ERROR_MAX];
    assert_int_equal(cm_json_parse(text, strlen(text), CM_JSON_MAX_DEPTH, &root, parse_error), CM_OK);
    oci_graph *graph = NULL;
    assert_int_equal(oci_graph_from_json(root, &graph, graph_error), CM_OK);
    json_object_put(root);
    return graph;
}

/* 1 when the organization's graph in force has `location`. */
static int in_force(fixture *f, const char *location)
{
    oci_graph *graph = oci_core_graph_acquire(f->core, ORG);
    int has = graph && oci_graph_has_location(graph, location);
    oci_core_graph_release(f->core, graph);
    return has;
}

static int change_in_progress(fixture *f, char *ends_at, size_t size)
{
    json_object *change = oci_core_graph_change_json(f->core, ORG);
    assert_non_null(change);
    json_object *value = NULL;
    assert_true(json_object_object_get_ex(change, "inProgress", &value));
    int in_progress = json_object_get_boolean(value);
    if (ends_at) {
        ends_at[0] = '\0';
        if (json_object_object_get_ex(change, "endsAt", &value))
            snprintf(ends_at, size, "%s", json_object_get_string(value));
    }
    assert_int_equal(json_object_object_get_ex(change, "startedAt", &value), in_progress);
    json_object_put(change);
    return in_progress;
}

static void test_a_staged_graph_takes_force_when_the_change_is_over(void **state)
{
    fixture *f = *state;
    assert_false(oci_core_graph_changing(f->core, ORG));
    assert_false(change_in_progress(f, NULL, 0));
    oci_graph *staged = graph_of("{\"locations\":[\"L2\"],\"groups\":[]}");
    int64_t before = cm_now_ms();
    assert_int_equal(oci_core_graph_stage(f->core, ORG, staged, 60), CM_OK);
    int64_t after = cm_now_ms();
    assert_true(oci_core_graph_changing(f->core, ORG));
    char ends_at[64];
    assert_true(change_in_progress(f, ends_at, sizeof ends_at));
    /* endsAt is a minute after the staging on the core's clock (compared to the second). */
    char earliest[CM_TIME_TEXT_MAX], latest[CM_TIME_TEXT_MAX];
    cm_time_format_ms(before + 60 * 1000, earliest);
    cm_time_format_ms(after + 60 * 1000, latest);
    assert_true(strncmp(ends_at, earliest, 19) >= 0 && strncmp(ends_at, latest, 19) <= 0);
    /* Readers keep the current graph for the whole minute. */
    assert_true(in_force(f, "L1"));
    assert_false(in_force(f, "L2"));
    oci_core_testing_set_clock_skew(f->core, 59 * 1000);
    assert_true(oci_core_graph_changing(f->core, ORG));
    assert_true(in_force(f, "L1"));
    /* Over: the next look promotes the staged graph. */
    oci_core_testing_set_clock_skew(f->core, 61 * 1000);
    assert_false(oci_core_graph_changing(f->core, ORG));
    assert_false(change_in_progress(f, NULL, 0));
    assert_false(in_force(f, "L1"));
    assert_true(in_force(f, "L2"));
}

static void test_a_second_replacement_restarts_the_change(void **state)
{
    fixture *f = *state;
    assert_int_equal(oci_core_graph_stage(f->core, ORG, graph_of("{\"locations\":[\"L2\"],\"groups\":[]}"), 60),
                     CM_OK);
    oci_core_testing_set_clock_skew(f->core, 50 * 1000);
    assert_int_equal(oci_core_graph_stage(f->core, ORG, graph_of("{\"locations\":[\"L3\"],\"groups\":[]}"), 60),
                     CM_OK);
    /* Past the first change's end, not the second's. */
    oci_core_testing_set_clock_skew(f->core, 70 * 1000);
    assert_true(oci_core_graph_changing(f->core, ORG));
    assert_true(in_force(f, "L1"));
    oci_core_testing_set_clock_skew(f->core, 111 * 1000);
    assert_false(oci_core_graph_changing(f->core, ORG));
    assert_true(in_force(f, "L3"));
    assert_false(in_force(f, "L2"));
}

static void test_a_cleared_change_keeps_the_current_graph(void **state)
{
    fixture *f = *state;
    assert_int_equal(oci_core_graph_stage(f->core, ORG, graph_of("{\"locations\":[\"L2\"],\"groups\":[]}"), 60),
                     CM_OK);
    oci_core_graph_change_clear(f->core, ORG);
    assert_false(oci_core_graph_changing(f->core, ORG));
    oci_core_testing_set_clock_skew(f->core, 120 * 1000);
    assert_false(oci_core_graph_changing(f->core, ORG));
    assert_true(in_force(f, "L1"));
    assert_false(in_force(f, "L2"));
    /* Clearing when nothing is staged, or for an unknown organization, does nothing. */
    oci_core_graph_change_clear(f->core, ORG);
    oci_core_graph_change_clear(f->core, "no_such_org");
}

static void test_unknown_organizations_and_instant_changes(void **state)
{
    fixture *f = *state;
    /* The staged graph is freed (LeakSanitizer would say otherwise). */
    assert_int_equal(oci_core_graph_stage(f->core, "no_such_org", graph_of("{\"locations\":[],\"groups\":[]}"), 5),
                     CM_ENOTFOUND);
    assert_false(oci_core_graph_changing(f->core, "no_such_org"));
    json_object *change = oci_core_graph_change_json(f->core, "no_such_org");
    assert_non_null(change);
    assert_string_equal(json_object_to_json_string(change), "{ \"inProgress\": false }");
    json_object_put(change);
    /* Zero seconds: over at the next look. */
    assert_int_equal(oci_core_graph_stage(f->core, ORG, graph_of("{\"locations\":[\"L4\"],\"groups\":[]}"), 0),
                     CM_OK);
    assert_false(oci_core_graph_changing(f->core, ORG));
    assert_true(in_force(f, "L4"));
}

/* A core closed with a change still staged frees the staged graph. */
static void test_closing_during_a_change(void **state)
{
    fixture *f = *state;
    assert_int_equal(oci_core_graph_stage(f->core, ORG, graph_of("{\"locations\":[\"L2\"],\"groups\":[]}"), 600),
                     CM_OK);
    assert_true(oci_core_graph_changing(f->core, ORG));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_a_staged_graph_takes_force_when_the_change_is_over, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_second_replacement_restarts_the_change, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_cleared_change_keeps_the_current_graph, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_organizations_and_instant_changes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_closing_during_a_change, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
