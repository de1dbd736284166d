/*
 * test_operator_config.c - start-up checks an operator relies on, on the real `omsgw`:
 * - a second `omsgw serve` on the same data folder exits 2 naming the folder and the first one's
 *   pid, and the first keeps serving;
 * - a tenant location mapped to a location the bundled core's graph lacks stops start-up (exit 2);
 *   with http delivery it is a warning once the remote location-graph export has been read;
 * - an unknown field in the file or in --set stops start-up with the nearest known name;
 * - listeners bind to loopback unless gateway.bind / oci.bind say otherwise; a bad address is refused.
 */
#include "tests/support/http_client.h"
#include "tests/support/omsgw_process.h"
#include "tests/support/test_support.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Runs `omsgw serve` on the prepared folder with extra arguments; returns the exit code and the
 * output (caller frees). */
static int run_serve(const th_omsgw *process, const char *data_dir, const char *extra1, const char *extra2,
                     char **output)
{
    char gateway_port[16], oci_port[16];
    snprintf(gateway_port, sizeof gateway_port, "%d", th_free_port());
    snprintf(oci_port, sizeof oci_port, "%d", th_free_port());
    const char *args[] = {"serve", "--config", process->config_path, "--data-dir", data_dir, "--gateway-port",
                          gateway_port, "--oci-port", oci_port, extra1, extra2, NULL};
    return th_omsgw_run(args, output);
}

static void expect_healthy(int port)
{
    char url[128];
    th_url(url, sizeof url, port, "/healthz");
    th_response response;
    assert_int_equal(th_http("GET", url, NULL, NULL, 0, &response), 0);
    assert_int_equal(response.status, 200);
    th_response_free(&response);
}

static void a_second_process_on_the_data_folder_is_refused(void **state)
{
    (void)state;
    th_omsgw first;
    th_omsgw_start(&first, NULL);
    char *output = NULL;
    int code = run_serve(&first, first.data_dir, NULL, NULL, &output);
    char expected[512];
    snprintf(expected, sizeof expected, "data folder %s is in use by another omsgw process (pid %ld)",
             first.data_dir, (long)first.pid);
    if (code != 2 || !strstr(output, expected))
        fail_msg("expected exit 2 with \"%s\", got %d: %s", expected, code, output);
    assert_null(strchr(strchr(output, '\n') + 1, '\n')); /* one line */
    free(output);
    /* The first one never noticed. */
    expect_healthy(first.gateway_port);
    expect_healthy(first.oci_port);
    assert_int_equal(th_omsgw_stop(&first, SIGTERM, 10000), 0);
    /* Once it has stopped, the folder is free again. */
    th_omsgw second = first;
    assert_int_equal(th_omsgw_launch(&second, NULL), 0);
    assert_int_equal(th_omsgw_stop(&second, SIGTERM, 10000), 0);
    th_omsgw_cleanup(&second);
}

/* The sample config with one text replaced. */
static char *sample_with(const char *from, const char *to)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/samples/omsgw.json", getenv("OMSGW_SOURCE_DIR"));
    char *text = th_read_file(path, NULL);
    assert_non_null(text);
    char *at = strstr(text, from);
    assert_non_null(at);
    size_t length = strlen(text) - strlen(from) + strlen(to) + 1;
    char *result = malloc(length);
    snprintf(result, length, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
    free(text);
    return result;
}

static void expect_refused(const char *config, const char *extra1, const char *extra2, const char *needle)
{
    th_omsgw process;
    th_omsgw_prepare(&process, config);
    char *output = NULL;
    int code = run_serve(&process, process.data_dir, extra1, extra2, &output);
    if (code != 2 || !output || !strstr(output, needle) || !strstr(output, process.config_path))
        fail_msg("expected exit 2 naming %s with \"%s\", got %d: %s", process.config_path, needle, code,
                 output ? output : "(none)");
    /* The error is one line of its own (an info line of the core's start may come before it). */
    const char *line = strstr(output, "omsgw: config ");
    assert_non_null(line);
    assert_true(strstr(line, needle) < strchr(line, '\n'));
    free(output);
    th_omsgw_cleanup(&process);
}

static void a_mapping_to_a_location_outside_the_graph_stops_startup(void **state)
{
    (void)state;
    char *config = sample_with("\"Location 2\": \"warehouse-2\"", "\"Location 2\": \"warehouse-9\"");
    expect_refused(config, NULL, NULL,
                   "field tenants[0].locations.Location 2: OCI location \"warehouse-9\" is not in the location "
                   "graph of organization f_ecom_demo_001");
    free(config);
}

static void unknown_fields_stop_startup_with_the_nearest_name(void **state)
{
    (void)state;
    char *config = sample_with("\"tenants\"", "\"tenats\"");
    expect_refused(config, NULL, NULL, "field tenats: unknown field (did you mean `tenants`?)");
    free(config);
    config = sample_with("\"autoLocations\": false", "\"autoLocation\": false");
    expect_refused(config, NULL, NULL, "field tenants[0].autoLocation: unknown field (did you mean `autoLocations`?)");
    free(config);
    expect_refused(NULL, "--set", "queue.wrkers=4", "field queue.wrkers: unknown field (did you mean `workers`?)");
}

static void listeners_bind_to_loopback_by_default(void **state)
{
    (void)state;
    th_omsgw process;
    th_omsgw_start(&process, NULL);
    /* 127.0.0.2 is loopback too, but not the address bound: a 0.0.0.0 listener would answer. */
    int ports[] = {process.gateway_port, process.oci_port};
    for (int i = 0; i < 2; i++) {
        char url[128];
        snprintf(url, sizeof url, "http://127.0.0.2:%d/healthz", ports[i]);
        th_response response;
        assert_int_not_equal(th_http("GET", url, NULL, NULL, 0, &response), 0);
        th_response_free(&response);
    }
    th_omsgw_cleanup(&process);
    expect_refused(NULL, "--set", "gateway.bind=localhost", "field gateway.bind: \"localhost\" is not an IPv4 address");
}

/* Waits up to 20 s for `needle` in the server's log; returns 1 when it came. */
static int log_shows(const th_omsgw *process, const char *needle)
{
    for (int waited = 0; waited < 20000; waited += 50) {
        char *log = th_read_file(process->log_path, NULL);
        int found = log && strstr(log, needle);
        free(log);
        if (found)
            return 1;
        usleep(50000);
    }
    return 0;
}

/* http delivery (here to the process's own bundled core on loopback): mappings are checked
 * against the OCI's location-graph export after start-up, and a missing one is a warning. */
static void http_delivery_warns_about_locations_the_remote_graph_lacks(void **state)
{
    (void)state;
    for (int broken = 0; broken < 2; broken++) {
        char *config = broken ? sample_with("\"Location 2\": \"warehouse-2\"", "\"Location 2\": \"warehouse-9\"")
                              : sample_with("\"Location 2\"", "\"Location 2\"");
        th_omsgw process;
        th_omsgw_prepare(&process, config);
        free(config);
        char base_url[96];
        snprintf(base_url, sizeof base_url, "delivery.baseUrl=http://127.0.0.1:%d", process.oci_port);
        const char *extra[] = {"--set", "delivery.mode=http", "--set", base_url, "--set", "delivery.token=demo-oci-token",
                               NULL};
        assert_int_equal(th_omsgw_launch(&process, extra), 0);
        const char *needle = broken ? "warn config.location_not_in_graph field=\"tenants[0].locations.Location 2\" "
                                      "location=warehouse-9 organization=f_ecom_demo_001"
                                    : "info config.locations_checked organization=f_ecom_demo_001 mappings=";
        if (!log_shows(&process, needle)) {
            th_omsgw_dump_log(&process);
            fail_msg("no \"%s\" in the log", needle);
        }
        assert_int_equal(th_omsgw_stop(&process, SIGTERM, 10000), 0);
        th_omsgw_cleanup(&process);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_second_process_on_the_data_folder_is_refused),
        cmocka_unit_test(a_mapping_to_a_location_outside_the_graph_stops_startup),
        cmocka_unit_test(unknown_fields_stop_startup_with_the_nearest_name),
        cmocka_unit_test(listeners_bind_to_loopback_by_default),
        cmocka_unit_test(http_delivery_warns_about_locations_the_remote_graph_lacks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
