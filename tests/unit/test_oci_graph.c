/*
 * test_oci_graph.c - the location graph of one organization (oci_core/graph.h): building it from the
 * export format, the lookups (locations, groups, "is this location in some group"), every refusal
 * of an invalid graph with the field it names, the identifier length limits, the round trip back
 * to the export format, and oci_graph_load_file on real files in a temporary folder.
 * (graph_change.c works on a whole core's organizations and is covered end to end.)
 */
#include "tests/support/test_support.h"

#include <stdio.h>
#include <string.h>

#include "common/json_util.h"
#include "oci_core/graph.h"

/* Parses `text` and builds a graph from it; the parsed JSON is released before returning so that
 * the test also shows the graph owns copies of every string. */
static cm_err build(const char *text, oci_graph **out, char error[OCI_GRAPH_ERROR_MAX])
{
    json_object *root = NULL;
    char parse_error[CM_JSON_ERROR_MAX];
    if (cm_json_parse(text, strlen(text), CM_JSON_MAX_DEPTH, &root, parse_error) != CM_OK)
        fail_msg("fixture is not JSON: %s (%s)", text, parse_error);
    cm_err rc = oci_graph_from_json(root, out, error);
    json_object_put(root);
    return rc;
}

/* Expects `text` to be refused with CM_EINVAL, no graph and exactly `message`. */
static void expect_refused(const char *text, const char *message)
{
    oci_graph *graph = (oci_graph *)1; /* must be reset to NULL on failure */
    char error[OCI_GRAPH_ERROR_MAX] = "";
    assert_int_equal(build(text, &graph, error), CM_EINVAL);
    assert_null(graph);
    assert_string_equal(error, message);
}

/* A string of `length` copies of `c`, in a buffer of at least length + 1 bytes. */
static char *repeat(char *buffer, char c, size_t length)
{
    memset(buffer, c, length);
    buffer[length] = '\0';
    return buffer;
}

static const char SHARED_GRAPH[] = "{\"locations\":[\"L3\",\"L1\",\"L2\",\"alone\"],"
                                   "\"groups\":[{\"id\":\"B\",\"locations\":[\"L2\",\"L3\"]},"
                                   "{\"id\":\"A\",\"locations\":[\"L1\",\"L2\"]}]}";

static void test_lookups_of_a_graph_with_shared_location(void **state)
{
    (void)state;
    oci_graph *graph = NULL;
    char error[OCI_GRAPH_ERROR_MAX];
    assert_int_equal(build(SHARED_GRAPH, &graph, error), CM_OK);
    assert_non_null(graph);
    /* File order is kept for the export, whatever the lookup index does. */
    assert_int_equal(graph->location_count, 4);
    assert_string_equal(graph->locations[0], "L3");
    assert_string_equal(graph->locations[3], "alone");
    assert_int_equal(graph->group_count, 2);
    assert_string_equal(graph->groups[0].id, "B");
    assert_string_equal(graph->groups[1].id, "A");

    assert_true(oci_graph_has_location(graph, "L1"));
    assert_true(oci_graph_has_location(graph, "L3"));
    assert_true(oci_graph_has_location(graph, "alone"));
    assert_false(oci_graph_has_location(graph, "L4"));
    assert_false(oci_graph_has_location(graph, "l1")); /* ids are case-sensitive */
    assert_false(oci_graph_has_location(graph, NULL));
    /* A group id is not a location. */
    assert_false(oci_graph_has_location(graph, "A"));

    const oci_graph_group *a = oci_graph_group_find(graph, "A");
    assert_non_null(a);
    assert_string_equal(a->id, "A");
    assert_int_equal(a->location_count, 2);
    assert_string_equal(a->locations[0], "L1");
    assert_string_equal(a->locations[1], "L2");
    const oci_graph_group *b = oci_graph_group_find(graph, "B");
    assert_non_null(b);
    assert_int_equal(b->location_count, 2);
    assert_string_equal(b->locations[0], "L2");
    assert_string_equal(b->locations[1], "L3");
    assert_null(oci_graph_group_find(graph, "C"));
    assert_null(oci_graph_group_find(graph, "L1")); /* a location is not a group */
    assert_null(oci_graph_group_find(graph, NULL));

    /* Membership: the shared L2 and both singles are grouped, "alone" is in no group. */
    assert_true(oci_graph_location_grouped(graph, "L1"));
    assert_true(oci_graph_location_grouped(graph, "L2"));
    assert_true(oci_graph_location_grouped(graph, "L3"));
    assert_false(oci_graph_location_grouped(graph, "alone"));
    assert_false(oci_graph_location_grouped(graph, "L9"));
    assert_false(oci_graph_location_grouped(graph, NULL));
    oci_graph_free(graph);
}

static void test_groups_member_is_optional_and_groups_may_be_empty(void **state)
{
    (void)state;
    oci_graph *graph = NULL;
    char error[OCI_GRAPH_ERROR_MAX];
    assert_int_equal(build("{\"locations\":[\"L1\",\"L2\"]}", &graph, error), CM_OK);
    assert_int_equal(graph->group_count, 0);
    assert_true(oci_graph_has_location(graph, "L2"));
    assert_false(oci_graph_location_grouped(graph, "L1"));
    assert_null(oci_graph_group_find(graph, "A"));
    oci_graph_free(graph);

    /* A group with no members is valid and groups nothing. */
    assert_int_equal(build("{\"locations\":[\"L1\"],\"groups\":[{\"id\":\"G\",\"locations\":[]}]}", &graph, error),
                     CM_OK);
    const oci_graph_group *g = oci_graph_group_find(graph, "G");
    assert_non_null(g);
    assert_int_equal(g->location_count, 0);
    assert_false(oci_graph_location_grouped(graph, "L1"));
    oci_graph_free(graph);
}

static void test_empty_graphs_know_nothing(void **state)
{
    (void)state;
    oci_graph *graph = NULL;
    char error[OCI_GRAPH_ERROR_MAX];
    assert_int_equal(build("{\"locations\":[],\"groups\":[]}", &graph, error), CM_OK);
    assert_int_equal(graph->location_count, 0);
    assert_false(oci_graph_has_location(graph, "L1"));
    assert_false(oci_graph_location_grouped(graph, "L1"));
    assert_null(oci_graph_group_find(graph, "A"));
    oci_graph_free(graph);

    oci_graph *empty = oci_graph_new_empty();
    assert_non_null(empty);
    assert_false(oci_graph_has_location(empty, "L1"));
    assert_null(oci_graph_group_find(empty, "A"));
    json_object *json = oci_graph_to_json(empty);
    assert_non_null(json);
    assert_string_equal(json_object_to_json_string_ext(json, JSON_C_TO_STRING_PLAIN),
                        "{\"locations\":[],\"groups\":[]}");
    json_object_put(json);
    oci_graph_free(empty);
    oci_graph_free(NULL); /* allowed, like free() */
}

static void test_shape_refusals_name_the_field(void **state)
{
    (void)state;
    expect_refused("[]", "the location graph must be a JSON object");
    expect_refused("{}", "'locations' must be an array of location ids");
    expect_refused("{\"locations\":\"L1\"}", "'locations' must be an array of location ids");
    expect_refused("{\"locations\":null}", "'locations' must be an array of location ids");
    expect_refused("{\"locations\":[],\"groups\":{}}", "'groups' must be an array of {\"id\",\"locations\"}");
    expect_refused("{\"locations\":[],\"groups\":null}", "'groups' must be an array of {\"id\",\"locations\"}");
    expect_refused("{\"locations\":[\"L1\"],\"groups\":[\"A\"]}",
                   "'groups[0].id' must be a group id (1..128 of a-z A-Z 0-9 - _)");
    expect_refused("{\"locations\":[\"L1\"],\"groups\":[{\"locations\":[]}]}",
                   "'groups[0].id' must be a group id (1..128 of a-z A-Z 0-9 - _)");
    expect_refused("{\"locations\":[\"L1\"],\"groups\":[{\"id\":\"A\",\"locations\":[]},{\"id\":\"\",\"locations\":[]}]}",
                   "'groups[1].id' must be a group id (1..128 of a-z A-Z 0-9 - _)");
    expect_refused("{\"locations\":[\"L1\"],\"groups\":[{\"id\":\"A\"}]}",
                   "'groups[0].locations' must be an array of location ids");
    expect_refused("{\"locations\":[\"L1\"],\"groups\":[{\"id\":\"A\",\"locations\":\"L1\"}]}",
                   "'groups[0].locations' must be an array of location ids");
}

static void test_identifier_refusals(void **state)
{
    (void)state;
    const char *location_rule = "must be a location id (2..128 of a-z A-Z 0-9 - _)";
    char message[OCI_GRAPH_ERROR_MAX];
    snprintf(message, sizeof message, "'locations[1]' %s", location_rule);
    expect_refused("{\"locations\":[\"L1\",\"X\"]}", message);            /* one character is too short */
    expect_refused("{\"locations\":[\"L1\",\"L 2\"]}", message);          /* white space */
    expect_refused("{\"locations\":[\"L1\",\"L/2\"]}", message);
    expect_refused("{\"locations\":[\"L1\",\"L\\u00e92\"]}", message);   /* not ASCII */
    expect_refused("{\"locations\":[\"L1\",7]}", message);                /* not a string */
    expect_refused("{\"locations\":[\"L1\",null]}", message);
    snprintf(message, sizeof message, "'groups[0].locations[0]' %s", location_rule);
    expect_refused("{\"locations\":[\"L1\"],\"groups\":[{\"id\":\"A\",\"locations\":[\"x\"]}]}", message);
    expect_refused("{\"locations\":[\"L1\"],\"groups\":[{\"id\":\"A b\",\"locations\":[]}]}",
                   "'groups[0].id' must be a group id (1..128 of a-z A-Z 0-9 - _)");
}

static void test_identifier_length_limits(void **state)
{
    (void)state;
    char longest[129], too_long[130], text[600];
    repeat(longest, 'a', 128);
    repeat(too_long, 'b', 129);
    oci_graph *graph = NULL;
    char error[OCI_GRAPH_ERROR_MAX];
    /* Locations of 2 and 128 characters, groups of 1 and 128 characters are the bounds. */
    snprintf(text, sizeof text, "{\"locations\":[\"ab\",\"%s\"],\"groups\":[{\"id\":\"g\",\"locations\":[\"ab\"]},"
             "{\"id\":\"%s\",\"locations\":[\"%s\"]}]}", longest, longest, longest);
    assert_int_equal(build(text, &graph, error), CM_OK);
    assert_true(oci_graph_has_location(graph, longest));
    assert_non_null(oci_graph_group_find(graph, "g"));
    assert_non_null(oci_graph_group_find(graph, longest));
    assert_true(oci_graph_location_grouped(graph, longest));
    oci_graph_free(graph);

    snprintf(text, sizeof text, "{\"locations\":[\"%s\"]}", too_long);
    expect_refused(text, "'locations[0]' must be a location id (2..128 of a-z A-Z 0-9 - _)");
    snprintf(text, sizeof text, "{\"locations\":[],\"groups\":[{\"id\":\"%s\",\"locations\":[]}]}", too_long);
    expect_refused(text, "'groups[0].id' must be a group id (1..128 of a-z A-Z 0-9 - _)");
}

static void test_inconsistent_graphs_are_refused(void **state)
{
    (void)state;
    expect_refused("{\"locations\":[\"L1\",\"L2\",\"L1\"]}", "'locations' lists \"L1\" twice");
    expect_refused("{\"locations\":[\"L1\"],\"groups\":[{\"id\":\"A\",\"locations\":[]},{\"id\":\"A\",\"locations\":[]}]}",
                   "'groups' lists the group \"A\" twice");
    expect_refused("{\"locations\":[\"L1\"],\"groups\":[{\"id\":\"A\",\"locations\":[\"L1\"]},"
                   "{\"id\":\"B\",\"locations\":[\"L1\",\"L9\"]}]}",
                   "'groups[1].locations[1]' names \"L9\", which is not in 'locations'");
    expect_refused("{\"locations\":[\"L1\",\"L2\"],\"groups\":[{\"id\":\"A\",\"locations\":[\"L1\",\"L2\",\"L1\"]}]}",
                   "'groups[0].locations' lists \"L1\" twice");
}

static void test_export_round_trip_keeps_file_order(void **state)
{
    (void)state;
    oci_graph *graph = NULL;
    char error[OCI_GRAPH_ERROR_MAX];
    assert_int_equal(build(SHARED_GRAPH, &graph, error), CM_OK);
    json_object *json = oci_graph_to_json(graph);
    assert_non_null(json);
    /* The export format carries exactly what was loaded, in file order (not the sorted index). */
    assert_string_equal(json_object_to_json_string_ext(json, JSON_C_TO_STRING_PLAIN), SHARED_GRAPH);
    oci_graph *again = NULL;
    assert_int_equal(oci_graph_from_json(json, &again, error), CM_OK);
    json_object_put(json);
    assert_int_equal(again->location_count, 4);
    assert_true(oci_graph_location_grouped(again, "L2"));
    assert_false(oci_graph_location_grouped(again, "alone"));
    oci_graph_free(again);
    oci_graph_free(graph);
}

static void test_load_file(void **state)
{
    (void)state;
    char dir[200], path[300], expected[1024];
    th_temp_dir(dir, sizeof dir);
    oci_graph *graph = (oci_graph *)1;
    char error[OCI_GRAPH_ERROR_MAX];

    snprintf(path, sizeof path, "%s/graph.json", dir);
    assert_int_equal(th_write_file(path, SHARED_GRAPH, strlen(SHARED_GRAPH)), 0);
    assert_int_equal(oci_graph_load_file(path, &graph, error), CM_OK);
    assert_non_null(graph);
    assert_true(oci_graph_location_grouped(graph, "L3"));
    assert_non_null(oci_graph_group_find(graph, "B"));
    oci_graph_free(graph);

    snprintf(path, sizeof path, "%s/missing.json", dir);
    assert_int_equal(oci_graph_load_file(path, &graph, error), CM_EIO);
    assert_null(graph);
    snprintf(expected, sizeof expected, "cannot open the location graph %s", path);
    assert_string_equal(error, expected);

    /* Not JSON: the parser's own sentence after the file name. */
    snprintf(path, sizeof path, "%s/broken.json", dir);
    assert_int_equal(th_write_file(path, "{\"locations\":[", 14), 0);
    assert_int_equal(oci_graph_load_file(path, &graph, error), CM_EINVAL);
    assert_null(graph);
    snprintf(expected, sizeof expected, "%s: ", path);
    assert_memory_equal(error, expected, strlen(expected));
    assert_true(strlen(error) > strlen(expected));

    /* JSON but not a valid graph: the graph's refusal after the file name. */
    snprintf(path, sizeof path, "%s/unknown-member.json", dir);
    const char *bad = "{\"locations\":[\"L1\"],\"groups\":[{\"id\":\"A\",\"locations\":[\"L2\"]}]}";
    assert_int_equal(th_write_file(path, bad, strlen(bad)), 0);
    assert_int_equal(oci_graph_load_file(path, &graph, error), CM_EINVAL);
    assert_null(graph);
    snprintf(expected, sizeof expected, "%s: 'groups[0].locations[0]' names \"L2\", which is not in 'locations'",
             path);
    assert_string_equal(error, expected);
    th_remove_tree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookups_of_a_graph_with_shared_location),
        cmocka_unit_test(test_groups_member_is_optional_and_groups_may_be_empty),
        cmocka_unit_test(test_empty_graphs_know_nothing),
        cmocka_unit_test(test_shape_refusals_name_the_field),
        cmocka_unit_test(test_identifier_refusals),
        cmocka_unit_test(test_identifier_length_limits),
        cmocka_unit_test(test_inconsistent_graphs_are_refused),
        cmocka_unit_test(test_export_round_trip_keeps_file_order),
        cmocka_unit_test(test_load_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
