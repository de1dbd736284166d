/*
 * test_serve.c - the `omsgw` executable itself: start-up, /healthz on both listeners, clean stop on
 * SIGTERM and SIGINT, and every start-up refusal with exit code 2 and one clear line.
 */
#include "common/clock.h"
#include "tests/support/http_client.h"
#include "tests/support/omsgw_process.h"
#include "tests/support/test_support.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void expect_healthy(int port)
{
    char url[128];
    th_url(url, sizeof url, port, "/healthz");
    th_response response;
    assert_int_equal(th_http("GET", url, NULL, NULL, 0, &response), 0);
    assert_int_equal(response.status, 200);
    json_object *body = th_json(&response);
    assert_non_null(body);
    assert_string_equal(json_object_get_string(json_object_object_get(body, "status")), "ok");
    json_object_put(body);
    th_response_free(&response);
}

static void test_healthz_and_sigterm(void **state)
{
    (void)state;
    th_omsgw process;
    th_omsgw_start(&process, NULL);
    expect_healthy(process.gateway_port);
    expect_healthy(process.oci_port);
    /* Trailing slash is optional everywhere. */
    char url[128];
    th_url(url, sizeof url, process.gateway_port, "/healthz/");
    th_response response;
    assert_int_equal(th_http("GET", url, NULL, NULL, 0, &response), 0);
    assert_int_equal(response.status, 200);
    th_response_free(&response);
    int code = th_omsgw_stop(&process, SIGTERM, 10000);
    if (code != 0)
        th_omsgw_dump_log(&process);
    assert_int_equal(code, 0);
    char *log = th_read_file(process.log_path, NULL);
    assert_non_null(strstr(log, "omsgw.stopped"));
    free(log);
    th_omsgw_cleanup(&process);
}

/* The first line of a /proc file into `out` (th_read_file goes by the file's size, which /proc
 * reports as 0); 0, or -1 when it cannot be read (a thread that ended meanwhile). */
static int read_proc_line(const char *path, char *out, size_t size)
{
    FILE *file = fopen(path, "r");
    if (!file)
        return -1;
    int ok = fgets(out, (int)size, file) != NULL;
    fclose(file);
    if (!ok)
        return -1;
    out[strcspn(out, "\n")] = '\0';
    return 0;
}

/* Field 19 (nice) of a /proc stat line: the fields after the command (which may hold spaces)
 * start after its last ')'. */
static int nice_of_stat(const char *stat)
{
    const char *rest = strrchr(stat, ')');
    assert_non_null(rest);
    int field = 2;
    for (const char *p = rest + 1; *p; p++)
        if (*p == ' ' && ++field == 19)
            return atoi(p + 1);
    fail_msg("no field 19 in \"%s\"", stat);
    return 0;
}

/* Counts the server's threads named `name` and how many of them run at nice `nice_value`
 * (/proc/<pid>/task/<tid>/comm and field 19 of .../stat). */
static void count_threads(pid_t pid, const char *name, int nice_value, int *named, int *at_nice)
{
    *named = *at_nice = 0;
    char folder[64];
    snprintf(folder, sizeof folder, "/proc/%d/task", (int)pid);
    DIR *tasks = opendir(folder);
    assert_non_null(tasks);
    struct dirent *entry;
    while ((entry = readdir(tasks)) != NULL) {
        if (entry->d_name[0] == '.')
            continue;
        char path[384], comm[64], stat[1024];
        snprintf(path, sizeof path, "%s/%s/comm", folder, entry->d_name);
        if (read_proc_line(path, comm, sizeof comm) != 0 || strcmp(comm, name) != 0)
            continue;
        snprintf(path, sizeof path, "%s/%s/stat", folder, entry->d_name);
        if (read_proc_line(path, stat, sizeof stat) != 0)
            continue;
        (*named)++;
        if (nice_of_stat(stat) == nice_value)
            (*at_nice)++;
    }
    closedir(tasks);
}

/* Acceptance first: the workers, the pruner and the checkpointers run at nice +10 under their
 * names, the threads that answer requests, and the acceptance committer, at the server's own nice
 * value. */
static void test_background_threads_yield(void **state)
{
    (void)state;
    th_omsgw process;
    th_omsgw_start(&process, NULL);
    expect_healthy(process.gateway_port);
    char path[64], stat[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)process.pid);
    assert_int_equal(read_proc_line(path, stat, sizeof stat), 0);
    int base = nice_of_stat(stat);
    int expected = base + 10 > 19 ? 19 : base + 10;
    /* A thread names itself and then lowers its priority as it starts, which may be just after the
     * server answers its health check: look again until every thread has settled (at most 5 s). */
    int workers = 0, workers_low = 0, checkpointers = 0, checkpointers_low = 0, pruners = 0, pruners_low = 0,
        mains = 0, mains_base = 0, committers = 0, committers_base = 0;
    for (int attempt = 0; attempt < 50; attempt++) {
        count_threads(process.pid, "omsgw-worker", expected, &workers, &workers_low);
        count_threads(process.pid, "omsgw-checkpoin", expected, &checkpointers, &checkpointers_low);
        count_threads(process.pid, "omsgw-pruner", expected, &pruners, &pruners_low);
        count_threads(process.pid, "omsgw", base, &mains, &mains_base);
        count_threads(process.pid, "omsgw-accept", base, &committers, &committers_base);
        if (committers == 1 && committers_base == 1 && workers >= 1 && workers_low == workers && checkpointers >= 2 && checkpointers_low == checkpointers &&
            pruners == 1 && pruners_low == 1 && mains >= 1 && mains_base == mains)
            break;
        cm_sleep_ms(100);
    }
    assert_true(workers >= 1);
    assert_int_equal(workers_low, workers);
    assert_true(checkpointers >= 2); /* gateway.db and oci.db */
    assert_int_equal(checkpointers_low, checkpointers);
    assert_int_equal(pruners, 1);
    assert_int_equal(pruners_low, 1);
    /* The main thread (its name is the program's) keeps the base value. */
    assert_true(mains >= 1);
    assert_int_equal(mains_base, mains);
    /* gateway.db's group commit: one committer, not lowered. */
    assert_int_equal(committers, 1);
    assert_int_equal(committers_base, 1);
    th_omsgw_cleanup(&process);
}

static void test_sigint_stops_cleanly(void **state)
{
    (void)state;
    th_omsgw process;
    th_omsgw_start(&process, NULL);
    assert_int_equal(th_omsgw_stop(&process, SIGINT, 10000), 0);
    th_omsgw_cleanup(&process);
}

static void test_unknown_route_and_method(void **state)
{
    (void)state;
    th_omsgw process;
    th_omsgw_start(&process, NULL);
    char url[128];
    th_url(url, sizeof url, process.gateway_port, "/no/such/route");
    th_response response;
    assert_int_equal(th_http("GET", url, NULL, NULL, 0, &response), 0);
    assert_int_equal(response.status, 404);
    json_object *body = th_json(&response);
    assert_non_null(body);
    assert_string_equal(json_object_get_string(json_object_object_get(body, "errorCode")), "ITEM_NOT_FOUND");
    json_object_put(body);
    th_response_free(&response);
    th_url(url, sizeof url, process.gateway_port, "/healthz");
    assert_int_equal(th_http("DELETE", url, NULL, NULL, 0, &response), 0);
    assert_int_equal(response.status, 405);
    char allow[64];
    assert_int_equal(th_header(&response, "Allow", allow, sizeof allow), 0);
    assert_string_equal(allow, "GET");
    th_response_free(&response);
    th_omsgw_cleanup(&process);
}

/* Runs `omsgw serve` with a config text and expects exit 2 with `needle` in its one-line error. */
static void expect_refused_start(const char *config_text, const char *needle)
{
    th_omsgw process;
    th_omsgw_prepare(&process, config_text);
    char gateway_port[16], oci_port[16];
    snprintf(gateway_port, sizeof gateway_port, "%d", process.gateway_port);
    snprintf(oci_port, sizeof oci_port, "%d", process.oci_port);
    const char *args[] = {"serve", "--config", process.config_path, "--data-dir", process.data_dir,
                          "--gateway-port", gateway_port, "--oci-port", oci_port, NULL};
    char *output = NULL;
    int code = th_omsgw_run(args, &output);
    if (code != 2 || !output || !strstr(output, needle))
        fail_msg("expected exit 2 with \"%s\", got %d: %s", needle, code, output ? output : "(none)");
    /* One clear line, naming the file. */
    assert_non_null(strstr(output, process.config_path));
    assert_non_null(strchr(output, '\n'));
    assert_null(strchr(strchr(output, '\n') + 1, '\n'));
    free(output);
    th_omsgw_cleanup(&process);
}

static void test_bad_configs_stop_startup(void **state)
{
    (void)state;
    expect_refused_start("{ \"gateway\": ", "not valid JSON");
    expect_refused_start("{\"oci\":{\"organizations\":[{\"id\":\"o1\"}]},\"tenants\":[{\"id\":1,\"apiKeys\":{\"v6\":\"x\"},"
                         "\"organizationId\":\"o1\"}]}",
                         "tenants[0].apiKeys.v6");
    expect_refused_start("{\"oci\":{\"organizations\":[{\"id\":\"o1\"}]},\"tenants\":["
                         "{\"id\":1,\"apiKeys\":{\"v5\":\"x\"},\"organizationId\":\"o1\"},"
                         "{\"id\":1,\"apiKeys\":{\"v5\":\"y\"},\"organizationId\":\"o1\"}]}",
                         "duplicate tenant id 1");
    expect_refused_start("{\"queue\":{\"workers\":\"two\"}}", "queue.workers");
}

static void test_missing_config_file(void **state)
{
    (void)state;
    const char *args[] = {"serve", "--config", "/nonexistent/omsgw.json", NULL};
    char *output = NULL;
    assert_int_equal(th_omsgw_run(args, &output), 2);
    assert_non_null(strstr(output, "/nonexistent/omsgw.json"));
    assert_non_null(strstr(output, "No such file"));
    free(output);
}

static void test_port_in_use(void **state)
{
    (void)state;
    th_omsgw process;
    th_omsgw_prepare(&process, NULL);
    /* Hold the gateway port. */
    int holder = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)process.gateway_port)};
    address.sin_addr.s_addr = htonl(INADDR_ANY);
    int on = 1;
    setsockopt(holder, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    assert_int_equal(bind(holder, (struct sockaddr *)&address, sizeof address), 0);
    assert_int_equal(listen(holder, 1), 0);
    char gateway_port[16], oci_port[16];
    snprintf(gateway_port, sizeof gateway_port, "%d", process.gateway_port);
    snprintf(oci_port, sizeof oci_port, "%d", process.oci_port);
    const char *args[] = {"serve", "--config", process.config_path, "--data-dir", process.data_dir,
                          "--gateway-port", gateway_port, "--oci-port", oci_port, NULL};
    char *output = NULL;
    assert_int_equal(th_omsgw_run(args, &output), 2);
    assert_non_null(strstr(output, "gateway.port"));
    assert_non_null(strstr(output, "in use"));
    free(output);
    close(holder);
    th_omsgw_cleanup(&process);
}

static void test_help_and_version(void **state)
{
    (void)state;
    const char *help[] = {"--help", NULL};
    char *output = NULL;
    assert_int_equal(th_omsgw_run(help, &output), 0);
    assert_non_null(strstr(output, "omsgw serve"));
    assert_non_null(strstr(output, "--data-dir"));
    free(output);
    const char *version[] = {"--version", NULL};
    assert_int_equal(th_omsgw_run(version, &output), 0);
    assert_non_null(strstr(output, "omsgw 0."));
    free(output);
    const char *wrong[] = {"serve", "--bogus", "1", NULL};
    assert_int_equal(th_omsgw_run(wrong, &output), 2);
    assert_non_null(strstr(output, "--bogus"));
    free(output);
}

static void test_oci_core_alone(void **state)
{
    (void)state;
    th_omsgw process;
    th_omsgw_prepare(&process, NULL);
    char oci_port[16];
    snprintf(oci_port, sizeof oci_port, "%d", process.oci_port);
    /* Start `omsgw oci-core` by hand: only the OCI listener exists. */
    process.gateway_port = 0;
    const char *argv[] = {getenv("OMSGW_BIN"), "oci-core", "--config", process.config_path, "--data-dir",
                          process.data_dir, "--oci-port", oci_port, NULL};
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive a failed test */
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    process.pid = pid;
    int up = 0;
    for (int i = 0; i < 500 && !up; i++) {
        char url[128];
        th_url(url, sizeof url, process.oci_port, "/healthz");
        th_response response;
        up = th_http("GET", url, NULL, NULL, 0, &response) == 0 && response.status == 200;
        th_response_free(&response);
        if (!up)
            usleep(20000);
    }
    assert_true(up);
    assert_int_equal(th_omsgw_stop(&process, SIGTERM, 10000), 0);
    th_omsgw_cleanup(&process);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_healthz_and_sigterm),
        cmocka_unit_test(test_sigint_stops_cleanly),
        cmocka_unit_test(test_background_threads_yield),
        cmocka_unit_test(test_unknown_route_and_method),
        cmocka_unit_test(test_bad_configs_stop_startup),
        cmocka_unit_test(test_missing_config_file),
        cmocka_unit_test(test_port_in_use),
        cmocka_unit_test(test_help_and_version),
        cmocka_unit_test(test_oci_core_alone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
