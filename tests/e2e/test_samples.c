/*
 * test_samples.c - the documentation cannot drift from the code: every script in samples/curl/ and
 * every ```sh block of the README that speaks to the servers (the quick start literally, up to its
 * stock check) is run against a started server and must succeed;
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
    /* Without arguments it asks for SKUs the samples load: SHIRT-RED-M comes from refresh-all-fields. */
    expect_script("samples/curl/refresh-and-wait.sh samples/requests/refresh-all-fields.json", "\"status\":\"SUCCESS\"");
    expect_script("samples/curl/get-availability.sh", "\"sku\":\"SHIRT-RED-M\",\"atf\":93,\"ato\":93,\"onHand\":101");
    /* Adjust, then the synchronous variants (each waits its turn behind the adjust), then the reads:
     * SHIRT-RED-M 101 − 1 + 3 − 2 = 101, 202020 42 − 2 = 40. */
    expect_script("samples/curl/adjust.sh", "\"jobID\":");
    expect_script("samples/curl/sync-adjust.sh", "\"sku\":\"SHIRT-RED-M\"");
    expect_script("samples/curl/smart-adjust.sh", "\"method\":\"sync\"");
    expect_script("samples/curl/smart-refresh.sh", "\"method\":\"sync\"");
    expect_script("samples/curl/inquiry.sh", "\"tenantID\":12345,\"onHand\":101,\"available\":93,\"allocated\":0");
    expect_script("samples/curl/inquiry.sh", "\"onHand\":40,\"available\":38");
    expect_script("samples/curl/aggregate.sh", "\"onHand\":101,\"available\":93,\"sku\":\"SHIRT-RED-M\",\"floor\":5");
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

/* Replaces the documented ports by the test server's, into a new string (caller frees). */
static char *with_test_ports(const char *text, const th_omsgw *process)
{
    size_t capacity = strlen(text) * 2 + 64, used = 0;
    char *out = malloc(capacity);
    assert_non_null(out);
    for (const char *p = text; *p && used + 32 < capacity;) {
        if (strncmp(p, "localhost:8080", 14) == 0) {
            used += (size_t)snprintf(out + used, capacity - used, "127.0.0.1:%d", process->gateway_port);
            p += 14;
        } else if (strncmp(p, "localhost:8081", 14) == 0) {
            used += (size_t)snprintf(out + used, capacity - used, "127.0.0.1:%d", process->oci_port);
            p += 14;
        } else {
            out[used++] = *p++;
        }
    }
    out[used] = '\0';
    return out;
}

/* Runs a README block as one shell script (set -eu) from the source folder; returns its exit
 * status and its output (caller frees). */
static int run_block(const th_omsgw *process, const char *block, char **output)
{
    char script_path[400], out_path[400];
    snprintf(script_path, sizeof script_path, "%s/readme-block.sh", process->dir);
    snprintf(out_path, sizeof out_path, "%s/readme-output.txt", process->dir);
    char *script = with_test_ports(block, process);
    FILE *file = fopen(script_path, "w");
    assert_non_null(file);
    fprintf(file, "set -eu\n%s", script);
    fclose(file);
    free(script);
    char shell[1400];
    snprintf(shell, sizeof shell, "cd '%s' && sh '%s' > '%s' 2>&1", source_dir(), script_path, out_path);
    int status = system(shell);
    *output = th_read_file(out_path, NULL);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The README's walkthrough, literally: every ```sh block that speaks to the servers runs as one
 * script, in order, on a server that has seen nothing but them; the `omsgw compare` line runs with
 * the tested binary and the test's ports. The quick start must end with its job SUCCESS and the
 * SKU's stock visible in OCI. */
static void test_readme_commands(void **state)
{
    (void)state;
    th_omsgw fresh;
    th_omsgw_start(&fresh, NULL);
    char path[512];
    snprintf(path, sizeof path, "%s/README.md", source_dir());
    char *readme = th_read_file(path, NULL);
    assert_non_null(readme);
    int in_block = 0, ran = 0, quick_start_seen = 0;
    cm_body block;
    cm_body_init(&block, 1024 * 1024);
    for (char *line = strtok(readme, "\n"); line; line = strtok(NULL, "\n")) {
        if (strncmp(line, "```", 3) == 0) {
            if (in_block) {
                char *text = cm_body_take(&block, NULL);
                cm_body_init(&block, 1024 * 1024);
                const char *compare_line = text ? strstr(text, "./build/release/app/omsgw compare ") : NULL;
                if (compare_line) {
                    /* The README's build path is the tested binary here, and the ports are the test's. */
                    const char *bin = getenv("OMSGW_BIN");
                    char arguments[2048];
                    snprintf(arguments, sizeof arguments, "%s", compare_line + strlen("./build/release/app/omsgw"));
                    arguments[strcspn(arguments, "\n")] = '\0';
                    char command[4096];
                    snprintf(command, sizeof command, "'%s'%s --gateway-url http://127.0.0.1:%d --oci-url http://127.0.0.1:%d\n",
                             bin ? bin : "omsgw", arguments, fresh.gateway_port, fresh.oci_port);
                    char *output = NULL;
                    int code = run_block(&fresh, command, &output);
                    if (code != 0 || !output || !strstr(output, " 0 different"))
                        fail_msg("README compare failed (%d): %s\n%s", code, command, output ? output : "");
                    free(output);
                    ran++;
                } else if (text && strstr(text, "localhost:808")) {
                    char *output = NULL;
                    int code = run_block(&fresh, text, &output);
                    if (code != 0 || (output && strstr(output, "errorCode")))
                        fail_msg("README block failed (%d):\n%s\noutput:\n%s", code, text, output ? output : "");
                    if (strstr(text, "/queue/$job")) {
                        quick_start_seen = 1;
                        if (!output || !strstr(output, ": SUCCESS") || !strstr(output, "\"sku\":\"101010\"") ||
                            !strstr(output, "\"onHand\":101"))
                            fail_msg("the README's quick start did not end with the stock in OCI:\n%s",
                                     output ? output : "");
                    }
                    free(output);
                    ran++;
                }
                free(text);
            }
            in_block = !in_block && strncmp(line, "```sh", 5) == 0;
            continue;
        }
        if (in_block)
            cm_body_appendf(&block, "%s\n", line);
    }
    cm_body_free(&block);
    assert_true(quick_start_seen);
    assert_true(ran >= 2);
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
