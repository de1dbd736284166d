/*
 * test_common_log.c - common/log: the JSON format puts each key=value of a message in its own member
 * (integers as numbers, quoted values whole, free text in "msg"), every line parses as JSON even
 * with quotes and control characters, and the level filter drops lower lines.
 */
#include "tests/support/test_support.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "common/log.h"

static char capture_path[512];
static int saved_stderr = -1;

/* Sends stderr to a fresh file until release_capture(). */
static void capture(void)
{
    char dir[400];
    th_temp_dir(dir, sizeof dir);
    snprintf(capture_path, sizeof capture_path, "%s/log.txt", dir);
    int fd = open(capture_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    fflush(stderr);
    saved_stderr = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    close(fd);
}

/* Restores stderr and returns what was written (caller frees). */
static char *release_capture(void)
{
    fflush(stderr);
    dup2(saved_stderr, STDERR_FILENO);
    close(saved_stderr);
    char *text = th_read_file(capture_path, NULL);
    assert_non_null(text);
    char *slash = strrchr(capture_path, '/');
    *slash = '\0';
    th_remove_tree(capture_path);
    return text;
}

static json_object *only_line_as_json(const char *text)
{
    const char *newline = strchr(text, '\n');
    assert_non_null(newline);
    assert_int_equal(newline[1], '\0');
    json_object *line = json_tokener_parse(text);
    if (!line)
        fail_msg("not JSON: %s", text);
    return line;
}

static void json_lines_have_one_member_per_field(void **state)
{
    (void)state;
    cm_log_set_json(1);
    capture();
    cm_log_info("http.request", "method=POST route=/api/v5/inventory/refresh status=401 tenant=12345 "
                                "correlation_id=abc-1 duration_ms=0");
    char *text = release_capture();
    json_object *line = only_line_as_json(text);
    assert_string_equal(json_object_get_string(json_object_object_get(line, "event")), "http.request");
    assert_string_equal(json_object_get_string(json_object_object_get(line, "level")), "info");
    assert_string_equal(json_object_get_string(json_object_object_get(line, "method")), "POST");
    assert_string_equal(json_object_get_string(json_object_object_get(line, "route")), "/api/v5/inventory/refresh");
    assert_true(json_object_is_type(json_object_object_get(line, "status"), json_type_int));
    assert_int_equal(json_object_get_int(json_object_object_get(line, "status")), 401);
    assert_int_equal(json_object_get_int(json_object_object_get(line, "tenant")), 12345);
    assert_true(json_object_is_type(json_object_object_get(line, "duration_ms"), json_type_int));
    assert_string_equal(json_object_get_string(json_object_object_get(line, "correlation_id")), "abc-1");
    assert_null(json_object_object_get(line, "msg"));
    json_object_put(line);
    free(text);
    cm_log_set_json(0);
}

static void quoted_values_and_free_text(void **state)
{
    (void)state;
    cm_log_set_json(1);
    capture();
    cm_log_warn("job.finished", "job=7 status=FAILED chunk=1/3 reason=\"OCI said \"no\" twice\"");
    char *text = release_capture();
    json_object *line = only_line_as_json(text);
    assert_string_equal(json_object_get_string(json_object_object_get(line, "level")), "warn");
    assert_int_equal(json_object_get_int(json_object_object_get(line, "job")), 7);
    assert_string_equal(json_object_get_string(json_object_object_get(line, "chunk")), "1/3");
    assert_string_equal(json_object_get_string(json_object_object_get(line, "reason")), "OCI said \"no\" twice");
    json_object_put(line);
    free(text);

    capture();
    cm_log_info("queue.recovered", "jobs=3 were interrupted and resume now");
    text = release_capture();
    line = only_line_as_json(text);
    assert_int_equal(json_object_get_int(json_object_object_get(line, "jobs")), 3);
    assert_string_equal(json_object_get_string(json_object_object_get(line, "msg")), "were interrupted and resume now");
    json_object_put(line);
    free(text);

    /* Reserved names, leading zeros and control characters stay valid JSON. */
    capture();
    cm_log_info("odd", "level=9 id=007 text=\"tab\there\" msg=x");
    text = release_capture();
    line = only_line_as_json(text);
    assert_string_equal(json_object_get_string(json_object_object_get(line, "level")), "info");
    assert_string_equal(json_object_get_string(json_object_object_get(line, "msg")), "level=9 id=007 text=\"tab\there\" msg=x");
    json_object_put(line);
    free(text);
    capture();
    cm_log_info("odd", "id=007 text=\"tab\there\"");
    text = release_capture();
    line = only_line_as_json(text);
    assert_string_equal(json_object_get_string(json_object_object_get(line, "id")), "007");
    assert_string_equal(json_object_get_string(json_object_object_get(line, "text")), "tab\there");
    json_object_put(line);
    free(text);
    cm_log_set_json(0);
}

static void a_very_long_message_still_makes_one_json_line(void **state)
{
    (void)state;
    char value[3000];
    memset(value, '"', sizeof value - 1);
    value[sizeof value - 1] = '\0';
    cm_log_set_json(1);
    capture();
    cm_log_info("big", "a=1 b=%s", value);
    char *text = release_capture();
    json_object *line = only_line_as_json(text);
    assert_int_equal(json_object_get_int(json_object_object_get(line, "a")), 1);
    json_object_put(line);
    free(text);
    cm_log_set_json(0);
}

static void the_level_filter_and_level_names(void **state)
{
    (void)state;
    cm_log_level level;
    assert_int_equal(cm_log_level_from_name("warn", &level), 0);
    assert_int_equal(level, CM_LOG_WARN);
    assert_int_equal(cm_log_level_from_name("WARN", &level), -1);
    assert_int_equal(cm_log_level_from_name("verbose", &level), -1);
    cm_log_set_level(CM_LOG_WARN);
    capture();
    cm_log_info("hidden", "a=1");
    cm_log_warn("shown", "a=2");
    char *text = release_capture();
    assert_null(strstr(text, "hidden"));
    assert_non_null(strstr(text, " warn shown a=2\n"));
    free(text);
    cm_log_set_level(CM_LOG_INFO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(json_lines_have_one_member_per_field),
        cmocka_unit_test(quoted_values_and_free_text),
        cmocka_unit_test(a_very_long_message_still_makes_one_json_line),
        cmocka_unit_test(the_level_filter_and_level_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
