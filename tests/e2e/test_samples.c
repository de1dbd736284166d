/*
 * test_samples.c - the documentation cannot drift from the code: every script in samples/curl/ and
 * every curl command of the README's walkthrough is run against a started server and must succeed;
 * the sample request with mistakes must get exactly the recorded reply.
 */
#include "e2e_legacy.h"

#include <sys/wait.h>

static th_omsgw server;

static int start_server(void **state)
{
    (void)state;
    th_omsgw_start(&server, NULL);
    return 0;
}

static int stop_server(void **state)
{
    (void)state;
    th_omsgw_cleanup(&server);
    return 0;
}

static const char *source_dir(void)
{
    const char *dir = getenv("OMSGW_SOURCE_DIR");
    return dir && *dir ? dir : ".";
}

/* Runs a shell command with the sample scripts' environment pointed at the test server; returns its
 * exit status and its output (caller frees). */
static int run_shell(const char *command, char **output)
{
    char out_path[400];
    snprintf(out_path, sizeof out_path, "%s/shell-output.txt", server.dir);
    char full[8192];
    snprintf(full, sizeof full,
             "GATEWAY_URL=http://127.0.0.1:%d OCI_URL=http://127.0.0.1:%d; export GATEWAY_URL OCI_URL; "
             "cd '%s' && ( %s ) > '%s' 2>&1",
             server.gateway_port, server.oci_port, source_dir(), command, out_path);
    int status = system(full);
    if (output)
        *output = th_read_file(out_path, NULL);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void expect_script(const char *script, const char *needle)
{
    char *output = NULL;
    int code = run_shell(script, &output);
    if (code != 0 || (needle && (!output || !strstr(output, needle))))
        fail_msg("%s exited %d, expected \"%s\" in:\n%s", script, code, needle ? needle : "", output ? output : "");
    free(output);
}

static void test_every_curl_script(void **state)
{
    (void)state;
    expect_script("samples/curl/refresh-v5.sh", "\"jobID\":");
    expect_script("samples/curl/refresh-inventory-specific.sh", "\"jobID\":");
    expect_script("samples/curl/refresh-modern.sh", "\"jobID\":");
    expect_script("samples/curl/refresh-and-wait.sh", "\"status\":\"SUCCESS\"");
    expect_script("samples/curl/refresh-and-wait.sh samples/requests/refresh-12000.json", "\"itemCount\":12000");
    expect_script("samples/curl/job-status.sh 1", "\"jobID\":1");
    expect_script("samples/curl/job-list.sh 'jobID=1,2'", "\"jobID\":2");
    expect_script("samples/curl/refresh-with-mistakes.sh", "HTTP 400");
    expect_script("samples/curl/oci-token.sh", "\"access_token\"");
    expect_script("samples/curl/get-availability.sh SKU-00000", "\"sku\":\"SKU-00000\"");
    expect_script("samples/curl/batch-update.sh", "HTTP 204");
    expect_script("samples/curl/import.sh", "COMPLETED_WITHOUT_ERRORS");
    expect_script("samples/curl/import.sh samples/imports/import-legacy-layout.ndjson", "COMPLETED_WITHOUT_ERRORS");
    expect_script("samples/curl/export.sh", "\"deltaToken\"");
    expect_script("samples/curl/deltas.sh", "\"nextDeltaToken\"");
    expect_script("samples/curl/location-graph-export.sh", "\"groups\"");
    /* The emulator's control plane, one script per route (the clock and the reset last: they change
     * what the scripts above would see). */
    char snapshot[400], command[600];
    snprintf(snapshot, sizeof snapshot, "%s/snapshot.json", server.dir);
    expect_script("samples/curl/control-health.sh", "\"deviations\"");
    expect_script("samples/curl/control-journal.sh clear", "HTTP 204");
    expect_script("samples/curl/get-availability.sh SKU-00000", "\"sku\":\"SKU-00000\"");
    expect_script("samples/curl/control-journal.sh 'limit=5&route=*/get-availability'", "get-availability");
    expect_script("samples/curl/control-faults.sh add '{\"route\":\"*/get-availability\",\"status\":503,\"count\":1}'",
                  "\"id\":\"f-");
    expect_script("samples/curl/control-faults.sh list", "\"status\":503");
    expect_script("samples/curl/control-faults.sh clear", "HTTP 204");
    snprintf(command, sizeof command, "samples/curl/control-export.sh '%s'", snapshot);
    expect_script(command, "written to");
    snprintf(command, sizeof command, "samples/curl/control-import.sh '%s'", snapshot);
    expect_script(command, "\"imported\"");
    expect_script("samples/curl/control-clock.sh 60", "\"offsetMs\":60000");
    expect_script("samples/curl/control-reset.sh", "\"reset\"");
    expect_script("samples/curl/control-reset.sh all", "f_ecom_native_001");
}

static void test_mistakes_reply_is_the_recorded_one(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/samples/requests/refresh-with-mistakes.json", source_dir());
    char *request = th_read_file(path, NULL);
    snprintf(path, sizeof path, "%s/samples/requests/refresh-with-mistakes.reply.json", source_dir());
    char *recorded = th_read_file(path, NULL);
    assert_non_null(request);
    assert_non_null(recorded);
    char url[256];
    th_url(url, sizeof url, server.gateway_port, "/api/v5/inventory/refresh");
    const char *headers[] = {"x-vol-tenant: 12345", "Authorization: Bearer " DEMO_V5_KEY, "Content-Type: application/json",
                             "x-vol-correlation: sample-mistakes", NULL};
    th_response response;
    assert_int_equal(th_http("POST", url, headers, request, strlen(request), &response), 0);
    assert_int_equal(response.status, 400);
    json_object *got = th_json(&response);
    json_object *want = json_tokener_parse(recorded);
    assert_non_null(got);
    assert_non_null(want);
    if (!json_object_equal(got, want))
        fail_msg("the reply drifted from samples/requests/refresh-with-mistakes.reply.json:\n%s", response.body);
    json_object_put(got);
    json_object_put(want);
    th_response_free(&response);
    free(request);
    free(recorded);
}

/* The README's walkthrough: every `curl` command inside its ```sh blocks, in order, on a server
 * that has seen nothing but them (a fresh one, so "job 1" is the README's job). */
static void test_readme_commands(void **state)
{
    (void)state;
    th_omsgw fresh;
    th_omsgw_start(&fresh, NULL);
    char path[512];
    snprintf(path, sizeof path, "%s/README.md", source_dir());
    char *readme = th_read_file(path, NULL);
    assert_non_null(readme);
    int in_block = 0, ran = 0;
    char command[8192] = "";
    for (char *line = strtok(readme, "\n"); line; line = strtok(NULL, "\n")) {
        if (strncmp(line, "```", 3) == 0) {
            in_block = !in_block && strncmp(line, "```sh", 5) == 0;
            continue;
        }
        if (!in_block)
            continue;
        int is_compare = strncmp(line, "./build/release/app/omsgw compare ", 34) == 0;
        if (command[0] == '\0' && strncmp(line, "curl ", 5) != 0 && !is_compare)
            continue;
        if (is_compare) {
            /* The README's build path is the tested binary here, and the ports are the test's. */
            const char *bin = getenv("OMSGW_BIN");
            snprintf(command, sizeof command, "cd '%s' && '%s'%s --gateway-url http://127.0.0.1:%d --oci-url http://127.0.0.1:%d",
                     source_dir(), bin ? bin : "omsgw", line + strlen("./build/release/app/omsgw"), fresh.gateway_port,
                     fresh.oci_port);
            char out_path[400];
            snprintf(out_path, sizeof out_path, "%s/readme-output.txt", fresh.dir);
            char shell[9600];
            snprintf(shell, sizeof shell, "( %s ) > '%s' 2>&1", command, out_path);
            int status = system(shell);
            char *output = th_read_file(out_path, NULL);
            if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !output || !strstr(output, " 0 different"))
                fail_msg("README command failed: %s\n%s", command, output ? output : "");
            free(output);
            command[0] = '\0';
            ran++;
            continue;
        }
        /* Collect continuation lines, replacing the documented ports by the test server's. */
        char replaced[2048];
        size_t used = 0;
        for (const char *p = line; *p && used + 16 < sizeof replaced;) {
            if (strncmp(p, "localhost:8080", 14) == 0) {
                used += (size_t)snprintf(replaced + used, sizeof replaced - used, "127.0.0.1:%d", fresh.gateway_port);
                p += 14;
            } else if (strncmp(p, "localhost:8081", 14) == 0) {
                used += (size_t)snprintf(replaced + used, sizeof replaced - used, "127.0.0.1:%d", fresh.oci_port);
                p += 14;
            } else {
                replaced[used++] = *p++;
            }
        }
        replaced[used] = '\0';
        size_t length = strlen(replaced);
        int continues = length > 0 && replaced[length - 1] == '\\';
        if (continues)
            replaced[length - 1] = ' ';
        strncat(command, replaced, sizeof command - strlen(command) - 1);
        if (continues)
            continue;
        char full[9000];
        snprintf(full, sizeof full, "sleep 1; %s --fail-with-body -sS", command);
        char out_path[400];
        snprintf(out_path, sizeof out_path, "%s/readme-output.txt", fresh.dir);
        char shell[9600];
        snprintf(shell, sizeof shell, "( %s ) > '%s' 2>&1", full, out_path);
        int status = system(shell);
        char *output = th_read_file(out_path, NULL);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || (output && strstr(output, "errorCode")))
            fail_msg("README command failed: %s\n%s", command, output ? output : "");
        if (strstr(command, "/queue/1") && (!output || !strstr(output, "\"status\":\"SUCCESS\"")))
            fail_msg("the README's job did not reach SUCCESS: %s", output ? output : "");
        free(output);
        command[0] = '\0';
        ran++;
    }
    assert_true(ran >= 3);
    free(readme);
    th_omsgw_cleanup(&fresh);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_curl_script),
        cmocka_unit_test(test_mistakes_reply_is_the_recorded_one),
        cmocka_unit_test(test_readme_commands),
    };
    return cmocka_run_group_tests(tests, start_server, stop_server);
}
