/*
 * admin_e2e.h - helpers the admin-listener end-to-end tests share: a configuration with an admin
 * section, calls with the admin token or a session cookie, and scraping /metrics.
 */
#ifndef ADMIN_E2E_H
#define ADMIN_E2E_H

#include "common/digest.h"
#include "tests/e2e/e2e_legacy.h"
#include "tests/support/prom_text.h"

#define ADMIN_TOKEN "test-admin-token-0123456789"
#define ADMIN_HASHED_TOKEN "second-admin-token-abcdefghij"

/*
 * samples/omsgw.json with an admin section (both tokens, the second as its SHA-256), with
 * `delivery` (a JSON object text, or NULL for the sample's) in place. Caller frees.
 */
static inline char *admin_config(const char *delivery)
{
    const char *source = getenv("OMSGW_SOURCE_DIR");
    char path[512];
    snprintf(path, sizeof path, "%s/samples/omsgw.json", source ? source : ".");
    json_object *root = json_object_from_file(path);
    assert_non_null(root);
    json_object *admin = json_object_new_object();
    json_object *tokens = json_object_new_array();
    json_object_array_add(tokens, json_object_new_string(ADMIN_TOKEN));
    uint8_t digest[CM_SHA256_LEN];
    char hex[CM_SHA256_HEX_LEN + 1];
    cm_sha256(ADMIN_HASHED_TOKEN, strlen(ADMIN_HASHED_TOKEN), digest);
    cm_sha256_hex(digest, hex);
    json_object *hashed = json_object_new_object();
    json_object_object_add(hashed, "sha256", json_object_new_string(hex));
    json_object_array_add(tokens, hashed);
    json_object_object_add(admin, "tokens", tokens);
    json_object_object_add(root, "admin", admin);
    if (delivery)
        json_object_object_add(root, "delivery", json_tokener_parse(delivery));
    char *text = strdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY));
    json_object_put(root);
    return text;
}

/* Starts omsgw with `config` and an admin listener on a free port; returns that port. */
static inline int admin_start(th_omsgw *process, const char *config)
{
    th_omsgw_prepare(process, config);
    int port = th_free_port();
    while (port == process->gateway_port || port == process->oci_port)
        port = th_free_port();
    char port_text[16];
    snprintf(port_text, sizeof port_text, "%d", port);
    const char *args[] = {"--admin-port", port_text, NULL};
    if (th_omsgw_launch(process, args) != 0)
        fail_msg("omsgw did not start (log above)");
    return port;
}

/* A call to the admin listener; `auth` is a whole header line ("Authorization: Bearer …",
 * "Cookie: …") or NULL. */
static inline int admin_call(int port, const char *method, const char *path, const char *auth, const char *body,
                             th_response *out)
{
    char url[512];
    th_url(url, sizeof url, port, path);
    const char *headers[] = {auth ? auth : "X-No-Auth: 1", "Content-Type: application/json", NULL};
    return th_http(method, url, headers, body, body ? strlen(body) : 0, out);
}

#define ADMIN_BEARER "Authorization: Bearer " ADMIN_TOKEN

/* GET with the token; fails the test unless 200; returns the JSON body (caller puts). */
static inline json_object *admin_get_json(int port, const char *path)
{
    th_response response;
    assert_int_equal(admin_call(port, "GET", path, ADMIN_BEARER, NULL, &response), 0);
    if (response.status != 200)
        fail_msg("GET %s answered %ld: %s", path, response.status, response.body);
    json_object *body = th_json(&response);
    assert_non_null(body);
    th_response_free(&response);
    return body;
}

/* Scrapes /metrics and parses it strictly (fails the test on any malformed line). */
static inline void admin_scrape(int port, th_prom *prom)
{
    th_response response;
    assert_int_equal(admin_call(port, "GET", "/metrics", ADMIN_BEARER, NULL, &response), 0);
    assert_int_equal(response.status, 200);
    char type[96];
    assert_int_equal(th_header(&response, "Content-Type", type, sizeof type), 0);
    assert_non_null(strstr(type, "text/plain; version=0.0.4"));
    if (th_prom_parse(response.body, prom) != 0)
        fail_msg("/metrics is not valid exposition text: %s", prom->error);
    th_response_free(&response);
}

#endif
