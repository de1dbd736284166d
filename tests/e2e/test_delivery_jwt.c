/*
 * test_delivery_jwt.c - delivery.jwt end to end: `omsgw serve` logs in to a real `omsgw oci-core`
 * as a Salesforce connected app (an RS256 assertion signed with a real key, checked by the core
 * against the app's self-signed certificate), announces each new token with
 * PUT /inventory/internal/v1/organizations/{id}, and delivers jobs over HTTP that end SUCCESS.
 * The token is renewed before it expires (no 401 needed) and once after a forced 401 (the core
 * restarted, so it forgot the tokens it issued); the internal route is called once per token.
 * Neither log holds the key, an assertion or a token. Start-up refuses a missing or non-RSA key
 * with exit 2 and one line, and warns about a key file others may read.
 */
#include "common/clock.h"
#include "tests/e2e/e2e_legacy.h"
#include "tests/support/rsa_fixture.h"

#include <inttypes.h>
#include <openssl/pem.h>
#include <signal.h>
#include <sys/stat.h>

#define ORG "f_ecom_demo_001"
#define CONSUMER_KEY "3MVG9-test-consumer-key"
#define USERNAME "integration@example.com"

typedef struct fixture {
    char keys_dir[256];
    th_rsa app;
    th_omsgw core;  /* omsgw oci-core */
    th_omsgw serve; /* omsgw serve, delivery.jwt to the core */
} fixture;

static void write_core_config(fixture *f)
{
    char text[4096];
    snprintf(text, sizeof text,
             "{\"oci\":{\"organizations\":[{\"id\":\"" ORG "\",\"locationGraph\":\"location-graph.json\","
             "\"tokens\":[{\"token\":\"reader\",\"scopes\":[\"sfcc.inventory.availability\"]}],"
             "\"connectedApps\":[{\"consumerKey\":\"" CONSUMER_KEY "\",\"certificate\":\"%s\","
             "\"users\":[{\"username\":\"" USERNAME "\"}],"
             "\"scopes\":[\"sfcc_inventory_availability\",\"sfcc_inventory_availability_rw\","
             "\"sfcc_inventory_impex_inventory\",\"sfcc_inventory_impex_inventory_rw\"]}]}]},\"tenants\":[]}",
             f->app.cert_path);
    th_write_file(f->core.config_path, text, strlen(text));
}

/* samples/omsgw.json with delivery.jwt to the core (and the given key file and token lifetime). */
static void write_serve_config(fixture *f, const char *key_path, int lifetime_s)
{
    char path[512];
    const char *source = getenv("OMSGW_SOURCE_DIR");
    snprintf(path, sizeof path, "%s/samples/omsgw.json", source ? source : ".");
    char *text = th_read_file(path, NULL);
    json_object *config = json_tokener_parse(text);
    free(text);
    assert_non_null(config);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", f->core.oci_port);
    json_object *delivery = json_object_new_object(), *jwt = json_object_new_object();
    json_object_object_add(delivery, "mode", json_object_new_string("http"));
    json_object_object_add(delivery, "baseUrl", json_object_new_string(url));
    json_object_object_add(jwt, "loginUrl", json_object_new_string(url));
    json_object_object_add(jwt, "consumerKey", json_object_new_string(CONSUMER_KEY));
    json_object_object_add(jwt, "username", json_object_new_string(USERNAME));
    json_object_object_add(jwt, "privateKey", json_object_new_string(key_path));
    json_object_object_add(jwt, "tokenLifetimeSeconds", json_object_new_int(lifetime_s));
    json_object_object_add(delivery, "jwt", jwt);
    json_object_object_add(config, "delivery", delivery);
    const char *out = json_object_to_json_string(config);
    th_write_file(f->serve.config_path, out, strlen(out));
    json_object_put(config);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    th_temp_dir(f->keys_dir, sizeof f->keys_dir);
    th_rsa_make(&f->app, f->keys_dir, "server");
    th_omsgw_prepare(&f->core, "{}");
    f->core.command = "oci-core";
    f->core.gateway_port = 0;
    write_core_config(f);
    if (th_omsgw_launch(&f->core, NULL) != 0)
        fail_msg("omsgw oci-core did not start");
    th_omsgw_prepare(&f->serve, "{}");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    th_omsgw_cleanup(&f->serve);
    th_omsgw_cleanup(&f->core);
    th_rsa_free(&f->app);
    th_remove_tree(f->keys_dir);
    free(f);
    return 0;
}

/* How often `needle` occurs in a process's log. */
static int log_count(const th_omsgw *process, const char *needle)
{
    char *log = th_read_file(process->log_path, NULL);
    int count = 0;
    for (const char *p = log; p && (p = strstr(p, needle)) != NULL; p += strlen(needle))
        count++;
    free(log);
    return count;
}

static void run_job(fixture *f, const char *prefix, size_t items)
{
    char *body = e2e_refresh_body("Location 1", items, prefix, 7);
    int64_t job_id = e2e_refresh(f->serve.gateway_port, "/api/v5/inventory/refresh", DEMO_V5_KEY, body);
    free(body);
    json_object *job = e2e_wait_job(f->serve.gateway_port, "/api/v1/queue/", DEMO_V5_KEY, job_id, 60000);
    const char *status = json_object_get_string(json_object_object_get(job, "status"));
    if (strcmp(status, "SUCCESS") != 0 || !json_object_get_boolean(json_object_object_get(job, "success"))) {
        th_omsgw_dump_log(&f->serve);
        th_omsgw_dump_log(&f->core);
        fail_msg("job %s: %s", prefix, json_object_to_json_string(job));
    }
    json_object_put(job);
}

/* The core holds what the jobs wrote: read one SKU back with the core's own reader token. */
static void expect_on_hand(fixture *f, const char *sku, const char *on_hand)
{
    char url[256], body[256], want[64];
    th_url(url, sizeof url, f->core.oci_port,
           "/inventory/availability/v1/organizations/" ORG "/availability-records/actions/get-availability");
    snprintf(body, sizeof body, "{\"skus\":[\"%s\"],\"locations\":[\"warehouse-1\"]}", sku);
    const char *headers[] = {"Authorization: Bearer reader", "Content-Type: application/json", NULL};
    th_response response;
    assert_int_equal(th_http("POST", url, headers, body, strlen(body), &response), 0);
    assert_int_equal(response.status, 200);
    snprintf(want, sizeof want, "\"onHand\":%s", on_hand);
    if (!strstr(response.body, want))
        fail_msg("%s: want %s in %s", sku, want, response.body);
    th_response_free(&response);
}

static void assert_no_secret_in_log(const th_omsgw *process)
{
    /* A JWT (and so an assertion) starts with the base64url of {"alg"...: "eyJ". */
    assert_int_equal(log_count(process, "eyJ"), 0);
    assert_int_equal(log_count(process, "PRIVATE KEY"), 0);
    assert_int_equal(log_count(process, "00D"), 0); /* issued tokens start with the org's id */
}

static void test_jwt_delivery_renews_before_expiry_and_after_401(void **state)
{
    fixture *f = *state;
    /* A key others may read: served, with a warning. */
    assert_int_equal(chmod(f->app.key_path, 0644), 0);
    write_serve_config(f, f->app.key_path, 2);
    if (th_omsgw_launch(&f->serve, NULL) != 0)
        fail_msg("omsgw serve did not start");
    assert_int_equal(log_count(&f->serve, "delivery.key_readable"), 1);
    assert_int_equal(chmod(f->app.key_path, 0600), 0);

    /* First job: one login, one internal organization call; batch-update and import paths. */
    int64_t first_login = cm_mono_ms();
    run_job(f, "JWT-A", 60);
    run_job(f, "JWT-B", 250);
    assert_int_equal(log_count(&f->core, "grant=jwt-bearer"), 1);
    assert_int_equal(log_count(&f->core, "oci.internal_org org=" ORG), 1);
    expect_on_hand(f, "JWT-A-3", "10");
    expect_on_hand(f, "JWT-B-200", "207");

    /* Past the renewal point of a 2 s token (its last fifth): renewed up front, no 401. */
    int64_t left = first_login + 1700 - cm_mono_ms();
    if (left > 0)
        cm_sleep_ms(left);
    run_job(f, "JWT-C", 40);
    assert_int_equal(log_count(&f->core, "grant=jwt-bearer"), 2);
    assert_int_equal(log_count(&f->core, "oci.internal_org org=" ORG), 2);
    assert_int_equal(log_count(&f->serve, "delivery.token_refused"), 0);
    assert_int_equal(th_omsgw_stop(&f->serve, SIGTERM, 10000), 0);

    /* A long-lived token, then the core restarts and forgets it: the next call gets 401, the
     * delivery logs in once more and the job still ends SUCCESS. */
    write_serve_config(f, f->app.key_path, 3600);
    if (th_omsgw_launch(&f->serve, NULL) != 0)
        fail_msg("omsgw serve did not restart");
    run_job(f, "JWT-D", 30);
    assert_int_equal(log_count(&f->core, "grant=jwt-bearer"), 3);
    assert_int_equal(th_omsgw_stop(&f->core, SIGTERM, 10000), 0);
    if (th_omsgw_launch(&f->core, NULL) != 0)
        fail_msg("omsgw oci-core did not restart");
    run_job(f, "JWT-E", 30);
    assert_int_equal(log_count(&f->serve, "delivery.token_refused"), 1);
    assert_int_equal(log_count(&f->core, "grant=jwt-bearer"), 4);
    /* Once per token, never more. */
    assert_int_equal(log_count(&f->core, "oci.internal_org org=" ORG), 4);
    expect_on_hand(f, "JWT-E-29", "36");
    assert_no_secret_in_log(&f->serve);
    assert_no_secret_in_log(&f->core);
}

/* Runs `omsgw serve` with the prepared config to its exit; returns the code and the output. */
static int serve_until_exit(fixture *f, char **output)
{
    const char *args[] = {"serve", "--config", f->serve.config_path, "--data-dir", f->serve.data_dir,
                          "--gateway-port", "0", "--oci-port", "0", NULL};
    return th_omsgw_run(args, output);
}

static size_t line_count(const char *text)
{
    size_t lines = 0;
    for (const char *p = text; *p; p++)
        lines += *p == '\n';
    return lines;
}

static void test_bad_keys_stop_start_up_with_one_line(void **state)
{
    fixture *f = *state;
    char missing[400], garbage[400], ec_path[400];
    snprintf(missing, sizeof missing, "%s/none.key", f->keys_dir);
    snprintf(garbage, sizeof garbage, "%s/garbage.key", f->keys_dir);
    snprintf(ec_path, sizeof ec_path, "%s/ec.key", f->keys_dir);
    th_write_file(garbage, "not a key\n", 10);
    EVP_PKEY *ec = EVP_EC_gen("P-256");
    assert_non_null(ec);
    FILE *file = fopen(ec_path, "wb");
    assert_non_null(file);
    assert_int_equal(PEM_write_PrivateKey(file, ec, NULL, NULL, 0, NULL, NULL), 1);
    fclose(file);
    EVP_PKEY_free(ec);
    const struct {
        const char *path, *words;
    } cases[] = {{missing, "cannot be read"}, {garbage, "no unencrypted PEM private key"}, {ec_path, "not an RSA key"}};
    for (size_t i = 0; i < 3; i++) {
        write_serve_config(f, cases[i].path, 600);
        char *output = NULL;
        int code = serve_until_exit(f, &output);
        if (code != 2 || !strstr(output, cases[i].words) || !strstr(output, "jwt.privateKey") ||
            line_count(strstr(output, "jwt.privateKey")) != 1)
            fail_msg("key %s: exit %d, output:\n%s", cases[i].path, code, output);
        free(output);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_jwt_delivery_renews_before_expiry_and_after_401, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_keys_stop_start_up_with_one_line, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
