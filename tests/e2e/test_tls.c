/*
 * test_tls.c - HTTPS on the three listeners: the test makes its own CA and a server certificate
 * for 127.0.0.1 with the `openssl` command, and libcurl verifies each listener against that CA
 * (and refuses them against another CA). A plain-HTTP request to a TLS port fails cleanly and the
 * server goes on serving; a key that is not the certificate's, or a missing file, is exit 2 with
 * one line naming the field.
 */
#include "tests/e2e/admin_e2e.h"

#include <curl/curl.h>
#include <signal.h>

typedef struct pki {
    char dir[256];
    char ca[320], other_ca[320], certificate[320], key[320], other_key[320];
} pki;

static void run(const char *command)
{
    if (system(command) != 0)
        fail_msg("command failed: %s", command);
}

/* A CA, a server certificate for IP 127.0.0.1 signed by it, and an unrelated CA and key. */
static void make_pki(pki *p)
{
    th_temp_dir(p->dir, sizeof p->dir);
    snprintf(p->ca, sizeof p->ca, "%s/ca.pem", p->dir);
    snprintf(p->other_ca, sizeof p->other_ca, "%s/other-ca.pem", p->dir);
    snprintf(p->certificate, sizeof p->certificate, "%s/server.pem", p->dir);
    snprintf(p->key, sizeof p->key, "%s/server.key", p->dir);
    snprintf(p->other_key, sizeof p->other_key, "%s/other.key", p->dir);
    char command[2400];
    /* EC keys: quick to make, and GnuTLS serves them like RSA. */
    snprintf(command, sizeof command,
             "cd %s && "
             "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.pem "
             "-days 2 -subj /CN=omsgw-test-ca 2>/dev/null && "
             "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout other-ca.key "
             "-out other-ca.pem -days 2 -subj /CN=another-ca 2>/dev/null && "
             "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout server.key -out server.csr "
             "-subj /CN=127.0.0.1 2>/dev/null && "
             "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\nextendedKeyUsage=serverAuth\\n' > ext.cnf && "
             "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 "
             "-extfile ext.cnf 2>/dev/null && "
             "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out other.key 2>/dev/null",
             p->dir);
    run(command);
}

static json_object *tls_object(const char *certificate, const char *key)
{
    json_object *tls = json_object_new_object();
    json_object_object_add(tls, "certificate", json_object_new_string(certificate));
    json_object_object_add(tls, "key", json_object_new_string(key));
    return tls;
}

/* The admin config with TLS on all three listeners (the admin one with `admin_key`). */
static char *tls_config(const pki *p, const char *admin_key)
{
    char *text = admin_config(NULL);
    json_object *root = json_tokener_parse(text);
    free(text);
    json_object *gateway = NULL, *oci = NULL, *admin = NULL;
    json_object_object_get_ex(root, "gateway", &gateway);
    json_object_object_get_ex(root, "oci", &oci);
    json_object_object_get_ex(root, "admin", &admin);
    assert_non_null(gateway);
    assert_non_null(oci);
    assert_non_null(admin);
    json_object_object_add(gateway, "tls", tls_object(p->certificate, p->key));
    json_object_object_add(oci, "tls", tls_object(p->certificate, p->key));
    json_object_object_add(admin, "tls", tls_object(p->certificate, admin_key));
    char *out = strdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY));
    json_object_put(root);
    return out;
}

static long get_status(int port, const char *path, const char *auth, int *curl_code)
{
    th_response response;
    char url[128];
    th_url(url, sizeof url, port, path);
    const char *headers[] = {auth ? auth : "X-No-Auth: 1", NULL};
    th_http("GET", url, headers, NULL, 0, &response);
    long status = response.status;
    if (curl_code)
        *curl_code = response.curl_code;
    th_response_free(&response);
    return status;
}

/* A plain-HTTP request to a TLS port: no HTTP answer, no hang. */
static void expect_plain_http_fails(int port)
{
    th_http_use_tls(NULL);
    char url[128];
    th_url(url, sizeof url, port, "/healthz");
    th_response response;
    th_http("GET", url, NULL, NULL, 0, &response);
    assert_true(response.status == 0 || response.status == 400);
    assert_int_not_equal(response.curl_code, CURLE_OPERATION_TIMEDOUT);
    th_response_free(&response);
}

static void test_three_listeners_verify_against_the_test_ca(void **state)
{
    (void)state;
    pki p;
    make_pki(&p);
    char *config = tls_config(&p, p.key);
    th_http_use_tls(p.ca);
    th_omsgw process;
    int admin_port = admin_start(&process, config); /* waits for https /healthz on gateway and OCI */
    free(config);
    int ports[] = {process.gateway_port, process.oci_port, admin_port};
    for (int i = 0; i < 3; i++) {
        int code = 0;
        assert_int_equal(get_status(ports[i], "/healthz", NULL, &code), 200);
        assert_int_equal(code, CURLE_OK);
    }
    assert_int_equal(get_status(admin_port, "/metrics", ADMIN_BEARER, NULL), 200);
    assert_int_equal(get_status(admin_port, "/metrics", NULL, NULL), 401);

    /* A refresh over HTTPS, polled over HTTPS, as a legacy integration on https:// does. */
    char *body = e2e_refresh_body("Location 1", 50, "TLS", 1);
    int64_t job_id = e2e_refresh(process.gateway_port, "/api/v5/inventory/refresh", DEMO_V5_KEY, body);
    free(body);
    json_object *job = e2e_wait_job(process.gateway_port, "/api/v1/queue/", DEMO_V5_KEY, job_id, 30000);
    assert_string_equal(json_object_get_string(json_object_object_get(job, "status")), "SUCCESS");
    json_object_put(job);

    /* The login cookie of an HTTPS console is Secure. */
    char url[128];
    th_url(url, sizeof url, admin_port, "/login");
    const char *form[] = {"Content-Type: application/x-www-form-urlencoded", NULL};
    const char right[] = "token=" ADMIN_TOKEN;
    th_response response;
    assert_int_equal(th_http("POST", url, form, right, strlen(right), &response), 0);
    assert_int_equal(response.status, 303);
    char cookie[256];
    assert_int_equal(th_header(&response, "Set-Cookie", cookie, sizeof cookie), 0);
    assert_non_null(strstr(cookie, "; Secure"));
    th_response_free(&response);

    /* Against another CA the same servers are refused: verification really happens. */
    th_http_use_tls(p.other_ca);
    for (int i = 0; i < 3; i++) {
        int code = 0;
        assert_int_equal(get_status(ports[i], "/healthz", NULL, &code), 0);
        assert_int_equal(code, CURLE_PEER_FAILED_VERIFICATION);
    }
    /* Plain HTTP to each TLS port fails cleanly, and each goes on serving HTTPS. */
    for (int i = 0; i < 3; i++) {
        expect_plain_http_fails(ports[i]);
        th_http_use_tls(p.ca);
        assert_int_equal(get_status(ports[i], "/healthz", NULL, NULL), 200);
    }
    th_http_use_tls(p.ca);
    assert_int_equal(th_omsgw_stop(&process, SIGTERM, 10000), 0);
    th_omsgw_cleanup(&process);
    th_http_use_tls(NULL);
    th_remove_tree(p.dir);
}

/* Runs serve with `config`; expects exit 2 and exactly one line containing `expected`. */
static void expect_refused_start(const char *config, const char *expected)
{
    th_omsgw process;
    th_omsgw_prepare(&process, config);
    char admin_port[16];
    snprintf(admin_port, sizeof admin_port, "%d", th_free_port());
    char gateway_port[16], oci_port[16];
    snprintf(gateway_port, sizeof gateway_port, "%d", process.gateway_port);
    snprintf(oci_port, sizeof oci_port, "%d", process.oci_port);
    const char *args[] = {"serve", "--config", process.config_path, "--data-dir", process.data_dir, "--gateway-port",
                          gateway_port, "--oci-port", oci_port, "--admin-port", admin_port, NULL};
    char *output = NULL;
    int code = th_omsgw_run(args, &output);
    if (code != 2 || !strstr(output, expected))
        fail_msg("exit %d, output: %s", code, output);
    const char *newline = strchr(output, '\n');
    if (!newline || newline[1] != '\0')
        fail_msg("more than one line: %s", output);
    free(output);
    th_omsgw_cleanup(&process);
}

static void test_bad_pairs_refuse_to_start(void **state)
{
    (void)state;
    pki p;
    make_pki(&p);
    char *config = tls_config(&p, p.other_key);
    expect_refused_start(config, "field admin.tls: TLS key");
    free(config);
    char missing[400];
    snprintf(missing, sizeof missing, "%s/no-such.key", p.dir);
    config = tls_config(&p, missing);
    expect_refused_start(config, "field admin.tls: TLS key");
    free(config);
    /* A certificate file that is not a certificate. */
    config = tls_config(&p, p.key);
    json_object *root = json_tokener_parse(config);
    free(config);
    json_object *gateway = json_object_object_get(root, "gateway");
    json_object_object_add(gateway, "tls", tls_object(p.key, p.key));
    config = strdup(json_object_to_json_string(root));
    json_object_put(root);
    expect_refused_start(config, "field gateway.tls: TLS certificate");
    free(config);
    /* Half a pair is a config error. */
    config = tls_config(&p, p.key);
    root = json_tokener_parse(config);
    free(config);
    assert_non_null(root);
    json_object *half = json_object_new_object();
    json_object_object_add(half, "certificate", json_object_new_string(p.certificate));
    json_object_object_add(json_object_object_get(root, "oci"), "tls", half);
    config = strdup(json_object_to_json_string(root));
    json_object_put(root);
    expect_refused_start(config, "field oci.tls.key: is required");
    free(config);
    th_remove_tree(p.dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_three_listeners_verify_against_the_test_ca),
        cmocka_unit_test(test_bad_pairs_refuse_to_start),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
