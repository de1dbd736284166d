/*
 * test_compare_jwt.c - `omsgw compare` logging both sides in as a Salesforce connected app
 * (--oci-jwt / --native-jwt), with the token code http delivery uses: a real RSA key and
 * self-signed certificate, the bundled core's /services/oauth2/token, the internal organization
 * route once per side. A bad key file is exit 2 with one line.
 */
#include "e2e_legacy.h"
#include "tests/support/rsa_fixture.h"

#define APP_SCOPES                                                                                              \
    "[\"sfcc_inventory_availability\",\"sfcc_inventory_availability_rw\",\"sfcc_inventory_impex_inventory\","  \
    "\"sfcc_inventory_impex_inventory_rw\"]"

static th_omsgw server;
static th_rsa app;
static char keys_dir[256];

static int start_server(void **state)
{
    (void)state;
    th_temp_dir(keys_dir, sizeof keys_dir);
    th_rsa_make(&app, keys_dir, "compare");
    th_omsgw_prepare(&server, NULL);
    char *text = th_read_file(server.config_path, NULL);
    json_object *config = json_tokener_parse(text);
    free(text);
    assert_non_null(config);
    json_object *orgs = json_object_object_get(json_object_object_get(config, "oci"), "organizations");
    for (size_t i = 0; i < json_object_array_length(orgs); i++) {
        char app_json[1024];
        snprintf(app_json, sizeof app_json,
                 "[{\"consumerKey\":\"ck-compare\",\"certificate\":\"%s\",\"users\":[{\"username\":\"cmp@example.com\"}],"
                 "\"scopes\":" APP_SCOPES "}]",
                 app.cert_path);
        json_object_object_add(json_object_array_get_idx(orgs, i), "connectedApps", json_tokener_parse(app_json));
    }
    const char *out = json_object_to_json_string(config);
    th_write_file(server.config_path, out, strlen(out));
    json_object_put(config);
    if (th_omsgw_launch(&server, NULL) != 0)
        fail_msg("omsgw did not start");
    return 0;
}

static int stop_server(void **state)
{
    (void)state;
    th_omsgw_cleanup(&server);
    th_rsa_free(&app);
    th_remove_tree(keys_dir);
    return 0;
}

static int run_compare(const char *oci_jwt, const char *native_jwt, char **output)
{
    char gateway_url[64], oci_url[64], request_path[512];
    snprintf(gateway_url, sizeof gateway_url, "http://127.0.0.1:%d", server.gateway_port);
    snprintf(oci_url, sizeof oci_url, "http://127.0.0.1:%d", server.oci_port);
    const char *source = getenv("OMSGW_SOURCE_DIR");
    snprintf(request_path, sizeof request_path, "%s/samples/requests/refresh-all-fields.json", source ? source : ".");
    const char *args[] = {"compare", "--config", server.config_path, "--request", request_path, "--tenant", "12345",
                          "--gateway-url", gateway_url, "--oci-url", oci_url, "--oci-jwt", oci_jwt,
                          "--native-jwt", native_jwt, NULL};
    return th_omsgw_run(args, output);
}

static int log_count(const char *needle)
{
    char *log = th_read_file(server.log_path, NULL);
    int count = 0;
    for (const char *p = log; p && (p = strstr(p, needle)) != NULL; p += strlen(needle))
        count++;
    free(log);
    return count;
}

static void test_compare_logs_in_both_sides_with_jwt(void **state)
{
    (void)state;
    char spec[512];
    snprintf(spec, sizeof spec, "ck-compare:cmp@example.com:%s", app.key_path);
    char *output = NULL;
    int code = run_compare(spec, spec, &output);
    if (code != 0)
        fail_msg("compare exited %d:\n%s", code, output ? output : "");
    assert_non_null(strstr(output, "3 SKUs compared, 3 equal, 0 different"));
    free(output);
    /* One login and one internal organization call per side. */
    assert_int_equal(log_count("grant=jwt-bearer"), 2);
    assert_int_equal(log_count("oci.internal_org org=f_ecom_demo_001"), 1);
    assert_int_equal(log_count("oci.internal_org org=f_ecom_native_001"), 1);
    /* A key that is not there: exit 2, one line naming it. */
    char missing[512];
    snprintf(missing, sizeof missing, "ck-compare:cmp@example.com:%s/none.key", keys_dir);
    code = run_compare(missing, spec, &output);
    assert_int_equal(code, 2);
    assert_non_null(strstr(output, "jwt.privateKey"));
    free(output);
    code = run_compare("no-colons", spec, &output);
    assert_int_equal(code, 2);
    assert_non_null(strstr(output, "CONSUMER_KEY:USERNAME:KEY_FILE"));
    free(output);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compare_logs_in_both_sides_with_jwt),
    };
    return cmocka_run_group_tests(tests, start_server, stop_server);
}
