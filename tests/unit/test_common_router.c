/*
 * test_common_router.c - common/router: literal and {param} patterns, trailing slashes, the root path,
 * empty segments, the path length limit, 404 versus 405 (with the allowed methods), HEAD as GET,
 * first match wins, and parameters by name.
 */
#include "tests/support/test_support.h"

#include <stdlib.h>
#include <string.h>

#include "common/router.h"

/* Callers embed cm_route_pattern at the start of their own route structs: the tests do the same,
 * so every match also checks that `stride` is honoured. */
typedef struct test_route {
    cm_route_pattern pattern;
    int handler_id;
    const char *padding[3];
} test_route;

enum {
    R_ROOT,
    R_HEALTHZ,
    R_JOB_GET,
    R_JOB_DELETE,
    R_QUEUE_POST,
    R_ITEM_GET,
    R_ITEM_PUT,
    R_SPECIAL_GET, /* shadowed by R_ITEM_GET for GET: first match wins */
    R_SLASHED,     /* a pattern written with a trailing slash */
    R_EIGHT,
    R_LONG,
    R_COUNT
};

static const test_route routes[R_COUNT] = {
    [R_ROOT] = {{"GET", "/"}, R_ROOT, {0}},
    [R_HEALTHZ] = {{"GET", "/healthz"}, R_HEALTHZ, {0}},
    [R_JOB_GET] = {{"GET", "/api/v1/queue/{jobID}"}, R_JOB_GET, {0}},
    [R_JOB_DELETE] = {{"DELETE", "/api/v1/queue/{jobID}"}, R_JOB_DELETE, {0}},
    [R_QUEUE_POST] = {{"POST", "/api/v1/queue"}, R_QUEUE_POST, {0}},
    [R_ITEM_GET] = {{"GET", "/orgs/{org}/items/{item}"}, R_ITEM_GET, {0}},
    [R_ITEM_PUT] = {{"PUT", "/orgs/{org}/items/{item}"}, R_ITEM_PUT, {0}},
    [R_SPECIAL_GET] = {{"GET", "/orgs/special/items/{item}"}, R_SPECIAL_GET, {0}},
    [R_SLASHED] = {{"GET", "/slashed/"}, R_SLASHED, {0}},
    [R_EIGHT] = {{"GET", "/eight/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}"}, R_EIGHT, {0}},
    [R_LONG] = {{"POST", "/long/{value}"}, R_LONG, {0}},
};

static int match(const char *method, const char *path, cm_route_match *m)
{
    int index = cm_router_match(routes, R_COUNT, sizeof routes[0], method, path, m);
    assert_int_equal(index, m->route_index);
    return index;
}

/* Asserts a 404: no route matched the path at all. */
static void assert_not_found(const char *method, const char *path)
{
    cm_route_match m;
    assert_int_equal(match(method, path, &m), -1);
    assert_int_equal(m.path_matched, 0);
    assert_string_equal(m.allowed, "");
}

static void literal_paths_match_exactly(void **state)
{
    (void)state;
    cm_route_match m;
    assert_int_equal(match("GET", "/healthz", &m), R_HEALTHZ);
    assert_int_equal(m.path_matched, 0);
    assert_int_equal(m.param_count, 0);
    assert_int_equal(routes[m.route_index].handler_id, R_HEALTHZ);

    assert_not_found("GET", "/Healthz");
    assert_not_found("GET", "/health");
    assert_not_found("GET", "/healthzz");
    assert_not_found("GET", "/healthz/x");
    assert_not_found("GET", "healthz");
    assert_not_found("GET", "/nothing/here");
}

static void root_path(void **state)
{
    (void)state;
    cm_route_match m;
    assert_int_equal(match("GET", "/", &m), R_ROOT);
    assert_int_equal(m.param_count, 0);
    /* The root pattern does not swallow other paths. */
    assert_not_found("GET", "/x");
    /* An empty path is not a path. */
    assert_not_found("GET", "");
}

static void params_are_extracted_by_name(void **state)
{
    (void)state;
    cm_route_match m;
    assert_int_equal(match("GET", "/api/v1/queue/3f2a-77", &m), R_JOB_GET);
    assert_int_equal(m.param_count, 1);
    assert_string_equal(cm_route_param(&m, "jobID"), "3f2a-77");
    assert_null(cm_route_param(&m, "jobid"));
    assert_null(cm_route_param(&m, "job"));
    assert_null(cm_route_param(&m, "jobIDx"));

    assert_int_equal(match("PUT", "/orgs/o1/items/i-9", &m), R_ITEM_PUT);
    assert_int_equal(m.param_count, 2);
    assert_string_equal(cm_route_param(&m, "org"), "o1");
    assert_string_equal(cm_route_param(&m, "item"), "i-9");
    assert_null(cm_route_param(&m, "items"));

    /* Values are raw path text: no decoding, no cutting at anything but '/'. */
    assert_int_equal(match("GET", "/api/v1/queue/a%2Fb c?", &m), R_JOB_GET);
    assert_string_equal(cm_route_param(&m, "jobID"), "a%2Fb c?");
}

static void eight_params_fit(void **state)
{
    (void)state;
    cm_route_match m;
    assert_int_equal(match("GET", "/eight/1/2/3/4/5/6/7/8", &m), R_EIGHT);
    assert_int_equal(m.param_count, CM_ROUTE_MAX_PARAMS);
    assert_string_equal(cm_route_param(&m, "a"), "1");
    assert_string_equal(cm_route_param(&m, "d"), "4");
    assert_string_equal(cm_route_param(&m, "h"), "8");
    assert_not_found("GET", "/eight/1/2/3/4/5/6/7");
    assert_not_found("GET", "/eight/1/2/3/4/5/6/7/8/9");
}

static void trailing_slash_on_the_path_is_optional(void **state)
{
    (void)state;
    cm_route_match m;
    assert_int_equal(match("GET", "/healthz/", &m), R_HEALTHZ);
    assert_int_equal(match("GET", "/api/v1/queue/abc/", &m), R_JOB_GET);
    /* The slash is not part of the value. */
    assert_string_equal(cm_route_param(&m, "jobID"), "abc");
    assert_int_equal(match("POST", "/api/v1/queue/", &m), R_QUEUE_POST);
    /* Only one trailing slash is forgiven. */
    assert_not_found("GET", "/healthz//");
}

static void trailing_slash_on_the_pattern_is_optional(void **state)
{
    (void)state;
    cm_route_match m;
    /* A pattern written as "/slashed/" must match with and without the slash. */
    assert_int_equal(match("GET", "/slashed/", &m), R_SLASHED);
    assert_int_equal(match("GET", "/slashed", &m), R_SLASHED);
}

static void empty_segments_never_match_a_param(void **state)
{
    (void)state;
    cm_route_match m;
    assert_not_found("GET", "/api/v1/queue//");
    assert_not_found("GET", "/orgs//items/x");
    assert_not_found("GET", "/orgs/o//items/x");
    assert_not_found("GET", "//healthz");
    /* "/api/v1/queue/" is the POST route's path (with its optional slash), not an empty jobID. */
    assert_int_equal(match("GET", "/api/v1/queue/", &m), -1);
    assert_int_equal(m.path_matched, 1);
    assert_string_equal(m.allowed, "POST");
    assert_int_equal(m.param_count, 0);
}

static void longest_path_limit(void **state)
{
    (void)state;
    cm_route_match m;
    char *path = malloc(CM_ROUTE_MAX_PATH + 2);
    assert_non_null(path);
    /* Exactly CM_ROUTE_MAX_PATH bytes: matches, and the value is kept whole. */
    memcpy(path, "/long/", 6);
    memset(path + 6, 'v', CM_ROUTE_MAX_PATH - 6);
    path[CM_ROUTE_MAX_PATH] = '\0';
    assert_int_equal(match("POST", path, &m), R_LONG);
    assert_int_equal(strlen(cm_route_param(&m, "value")), CM_ROUTE_MAX_PATH - 6);
    assert_int_equal(cm_route_param(&m, "value")[0], 'v');

    /* One byte more never matches, for any method: a 404, not a 405. */
    path[CM_ROUTE_MAX_PATH] = 'v';
    path[CM_ROUTE_MAX_PATH + 1] = '\0';
    assert_int_equal(match("POST", path, &m), -1);
    assert_int_equal(m.path_matched, 0);
    assert_int_equal(match("GET", path, &m), -1);
    assert_int_equal(m.path_matched, 0);
    free(path);
}

static void wrong_method_is_405_with_allowed_methods(void **state)
{
    (void)state;
    cm_route_match m;
    assert_int_equal(match("DELETE", "/healthz", &m), -1);
    assert_int_equal(m.path_matched, 1);
    assert_string_equal(m.allowed, "GET");

    assert_int_equal(match("POST", "/api/v1/queue/7", &m), -1);
    assert_int_equal(m.path_matched, 1);
    assert_string_equal(m.allowed, "GET, DELETE");

    /* Two GET routes match this path: GET is listed once. */
    assert_int_equal(match("PATCH", "/orgs/special/items/b", &m), -1);
    assert_int_equal(m.path_matched, 1);
    assert_string_equal(m.allowed, "GET, PUT");

    assert_int_equal(match("GET", "/api/v1/queue", &m), -1);
    assert_int_equal(m.path_matched, 1);
    assert_string_equal(m.allowed, "POST");

    /* Methods compare exactly. */
    assert_int_equal(match("get", "/healthz", &m), -1);
    assert_int_equal(m.path_matched, 1);
}

static void unknown_path_is_404(void **state)
{
    (void)state;
    assert_not_found("GET", "/api/v2/queue/1");
    assert_not_found("DELETE", "/api/v1/queue/1/extra");
    assert_not_found("POST", "/orgs/o/items");
}

static void head_matches_get(void **state)
{
    (void)state;
    cm_route_match m;
    assert_int_equal(match("HEAD", "/healthz", &m), R_HEALTHZ);
    assert_int_equal(match("HEAD", "/api/v1/queue/9", &m), R_JOB_GET);
    assert_string_equal(cm_route_param(&m, "jobID"), "9");
    /* HEAD on a path with no GET route is a 405. */
    assert_int_equal(match("HEAD", "/api/v1/queue", &m), -1);
    assert_int_equal(m.path_matched, 1);
    assert_string_equal(m.allowed, "POST");
}

static void first_match_wins(void **state)
{
    (void)state;
    cm_route_match m;
    assert_int_equal(match("GET", "/orgs/special/items/x", &m), R_ITEM_GET);
    assert_string_equal(cm_route_param(&m, "org"), "special");
    assert_string_equal(cm_route_param(&m, "item"), "x");
}

static void later_route_with_right_method_clears_405(void **state)
{
    (void)state;
    static const cm_route_pattern table[] = {
        {"POST", "/x/{id}"},
        {"GET", "/x/{name}"},
    };
    cm_route_match m;
    assert_int_equal(cm_router_match(table, 2, sizeof table[0], "GET", "/x/42", &m), 1);
    assert_int_equal(m.route_index, 1);
    assert_int_equal(m.path_matched, 0);
    assert_string_equal(cm_route_param(&m, "name"), "42");
    assert_null(cm_route_param(&m, "id"));
}

static void empty_table_matches_nothing(void **state)
{
    (void)state;
    cm_route_match m;
    assert_int_equal(cm_router_match(routes, 0, sizeof routes[0], "GET", "/", &m), -1);
    assert_int_equal(m.route_index, -1);
    assert_int_equal(m.path_matched, 0);
    assert_int_equal(m.param_count, 0);
}

static void match_is_reset_between_calls(void **state)
{
    (void)state;
    cm_route_match m;
    assert_int_equal(match("PUT", "/orgs/a/items/b", &m), R_ITEM_PUT);
    assert_int_equal(match("GET", "/missing", &m), -1);
    assert_int_equal(m.param_count, 0);
    assert_null(cm_route_param(&m, "org"));
    assert_int_equal(match("DELETE", "/healthz", &m), -1);
    assert_int_equal(match("GET", "/healthz", &m), R_HEALTHZ);
    assert_int_equal(m.path_matched, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(literal_paths_match_exactly),
        cmocka_unit_test(root_path),
        cmocka_unit_test(params_are_extracted_by_name),
        cmocka_unit_test(eight_params_fit),
        cmocka_unit_test(trailing_slash_on_the_path_is_optional),
        cmocka_unit_test(trailing_slash_on_the_pattern_is_optional),
        cmocka_unit_test(empty_segments_never_match_a_param),
        cmocka_unit_test(longest_path_limit),
        cmocka_unit_test(wrong_method_is_405_with_allowed_methods),
        cmocka_unit_test(unknown_path_is_404),
        cmocka_unit_test(head_matches_get),
        cmocka_unit_test(first_match_wins),
        cmocka_unit_test(later_route_with_right_method_clears_405),
        cmocka_unit_test(empty_table_matches_nothing),
        cmocka_unit_test(match_is_reset_between_calls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
