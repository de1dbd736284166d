/*
 * test_compare.c - `omsgw compare` against a started server: the samples compare equal; a record
 * changed on one side is the one row marked, and the exit codes say so.
 */
#include "e2e_legacy.h"

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

static int compare(const char *request, const char *extra, const char *extra2, char **output)
{
    char gateway_url[64], oci_url[64], request_path[512];
    snprintf(gateway_url, sizeof gateway_url, "http://127.0.0.1:%d", server.gateway_port);
    snprintf(oci_url, sizeof oci_url, "http://127.0.0.1:%d", server.oci_port);
    const char *source = getenv("OMSGW_SOURCE_DIR");
    snprintf(request_path, sizeof request_path, "%s/samples/requests/%s", source ? source : ".", request);
    const char *args[] = {"compare", "--config", server.config_path, "--request", request_path, "--tenant", "12345",
                          "--gateway-url", gateway_url, "--oci-url", oci_url, extra, extra2, NULL};
    return th_omsgw_run(args, output);
}

static size_t count_lines_with(const char *text, const char *needle)
{
    size_t count = 0;
    for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        count++;
    return count;
}

static void test_samples_compare_equal(void **state)
{
    (void)state;
    char *output = NULL;
    int code = compare("refresh-all-fields.json", NULL, NULL, &output);
    if (code != 0)
        fail_msg("compare exited %d:\n%s", code, output ? output : "");
    assert_non_null(strstr(output, "3 SKUs compared, 3 equal, 0 different"));
    assert_non_null(strstr(output, "SHIRT-RED-M"));
    free(output);
    code = compare("refresh-3000.json", NULL, NULL, &output);
    if (code != 0)
        fail_msg("compare exited %d:\n%s", code, output ? output : "");
    assert_non_null(strstr(output, "3000 SKUs compared, 3000 equal, 0 different"));
    free(output);
}

static void test_one_changed_record_is_the_row_marked(void **state)
{
    (void)state;
    char *output = NULL;
    assert_int_equal(compare("refresh-all-fields.json", NULL, NULL, &output), 0);
    free(output);
    /* Change SHIRT-RED-M on the native side only. */
    char url[256];
    th_url(url, sizeof url, server.oci_port,
           "/inventory/availability/v1/organizations/f_ecom_native_001/availability-records/actions/batch-update");
    const char *headers[] = {"Authorization: Bearer native-oci-token", "Content-Type: application/json", NULL};
    const char *body = "{\"records\":[{\"id\":\"change-1\",\"location\":\"warehouse-1\",\"sku\":\"SHIRT-RED-M\",\"onHand\":7}]}";
    th_response response;
    assert_int_equal(th_http("POST", url, headers, body, strlen(body), &response), 0);
    assert_int_equal(response.status, 204);
    th_response_free(&response);

    int code = compare("refresh-all-fields.json", "--compare-only", NULL, &output);
    if (code != 1)
        fail_msg("compare exited %d (expected 1):\n%s", code, output ? output : "");
    assert_int_equal(count_lines_with(output, "<> DIFFERENT"), 1);
    const char *marked = strstr(output, "<> DIFFERENT");
    const char *line_start = marked;
    while (line_start > output && line_start[-1] != '\n')
        line_start--;
    assert_int_equal(strncmp(line_start, "SHIRT-RED-M", 11), 0);
    /* The row says which fields differ, and the header labels both column groups. */
    assert_non_null(strstr(marked, "<> DIFFERENT: onHand, atf, ato\n"));
    assert_non_null(strstr(output, "| GATEWAY (f_ecom_demo_001)"));
    assert_non_null(strstr(output, "| NATIVE (f_ecom_native_001)"));
    assert_non_null(strstr(output, "futures"));
    assert_non_null(strstr(output, "3 SKUs compared, 2 equal, 1 different"));
    free(output);

    code = compare("refresh-all-fields.json", "--compare-only", "--json", &output);
    assert_int_equal(code, 1);
    json_object *root = json_tokener_parse(output);
    assert_non_null(root);
    assert_int_equal(json_object_get_int64(json_object_object_get(root, "different")), 1);
    json_object *rows = json_object_object_get(root, "rows");
    int unequal = 0;
    for (size_t i = 0; i < json_object_array_length(rows); i++) {
        json_object *row = json_object_array_get_idx(rows, i);
        if (!json_object_get_boolean(json_object_object_get(row, "equal"))) {
            unequal++;
            assert_string_equal(json_object_get_string(json_object_object_get(row, "sku")), "SHIRT-RED-M");
            json_object *native = json_object_object_get(row, "native");
            assert_int_equal(json_object_get_int64(json_object_object_get(native, "onHand")), 7);
        }
    }
    assert_int_equal(unequal, 1);
    json_object_put(root);
    free(output);
}

/* Both sides reached with the OAuth client-credentials flow instead of configured tokens. */
static void test_oauth_clients_on_both_sides(void **state)
{
    (void)state;
    char *output = NULL;
    int code = compare("refresh-all-fields.json", "--oci-client", "demo-client:demo-secret", &output);
    if (code != 0 && code != 1)
        fail_msg("compare with --oci-client exited %d:\n%s", code, output ? output : "");
    assert_non_null(strstr(output, "3 SKUs compared"));
    free(output);
    code = compare("refresh-all-fields.json", "--oci-client", "demo-client:wrong-secret", &output);
    assert_int_equal(code, 2);
    assert_non_null(strstr(output, "OAuth token URL answered 401"));
    free(output);
}

static void test_usage_and_connection_errors(void **state)
{
    (void)state;
    const char *usage[] = {"compare", "--tenant", "12345", NULL};
    char *output = NULL;
    assert_int_equal(th_omsgw_run(usage, &output), 2);
    free(output);
    const char *source = getenv("OMSGW_SOURCE_DIR");
    char request_path[512];
    snprintf(request_path, sizeof request_path, "%s/samples/requests/refresh-1.json", source ? source : ".");
    int dead_port = th_free_port();
    char dead[64];
    snprintf(dead, sizeof dead, "http://127.0.0.1:%d", dead_port);
    const char *unreachable[] = {"compare", "--config", server.config_path, "--request", request_path, "--tenant",
                                 "12345", "--gateway-url", dead, "--oci-url", dead, NULL};
    assert_int_equal(th_omsgw_run(unreachable, &output), 2);
    free(output);
    /* A gateway URL without the OCI URL would refresh one server and read another. */
    const char *mixed[] = {"compare", "--config", server.config_path, "--request", request_path, "--tenant",
                           "12345", "--gateway-url", dead, NULL};
    assert_int_equal(th_omsgw_run(mixed, &output), 2);
    assert_non_null(strstr(output, "give --gateway-url and --oci-url together, or neither"));
    free(output);
}

static void test_translate_command(void **state)
{
    (void)state;
    const char *source = getenv("OMSGW_SOURCE_DIR");
    char request[512], config[512], bad[512];
    snprintf(request, sizeof request, "%s/samples/requests/refresh-all-fields.json", source ? source : ".");
    snprintf(config, sizeof config, "%s/samples/omsgw.json", source ? source : ".");
    snprintf(bad, sizeof bad, "%s/samples/requests/refresh-with-mistakes.json", source ? source : ".");
    const char *args[] = {"translate", "--request", request, "--config", config, "--tenant", "12345", "--job-id", "7", NULL};
    char *output = NULL;
    int code = th_omsgw_run(args, &output);
    if (code != 0)
        fail_msg("translate exited %d:\n%s", code, output ? output : "");
    /* One import line per item, grouped by SKU, with the documented fields. */
    assert_int_equal(count_lines_with(output, "{\"recordId\":"), 3);
    assert_non_null(strstr(output, "\"locationId\":\"warehouse-1\",\"sku\":\"SHIRT-RED-M\",\"onHand\":101,"
                                   "\"safetyStockCount\":8"));
    assert_non_null(strstr(output, "\"sku\":\"202020\",\"onHand\":42,\"safetyStockCount\":2"));
    /* The legacy fields kept aside. */
    assert_non_null(strstr(output, "\"kept\":{\"partNumber\":\"101010\",\"upc\":\"012345678905\",\"binID\":3"));
    free(output);
    const char *refused[] = {"translate", "--request", bad, "--config", config, NULL};
    assert_int_equal(th_omsgw_run(refused, &output), 1);
    assert_non_null(strstr(output, "items[2].quantity"));
    free(output);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_samples_compare_equal),
        cmocka_unit_test(test_one_changed_record_is_the_row_marked),
        cmocka_unit_test(test_oauth_clients_on_both_sides),
        cmocka_unit_test(test_usage_and_connection_errors),
        cmocka_unit_test(test_translate_command),
    };
    return cmocka_run_group_tests(tests, start_server, stop_server);
}
