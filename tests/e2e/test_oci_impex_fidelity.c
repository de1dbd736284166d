/*
 * End-to-end checks of the impex API against ../shared/oci-spec/impex over real HTTP: an import's
 * status carries import.fullResults in every state (ImportStatusResponseObject.raml requires it);
 * each file-content route answers with the Content-Type impex.raml declares for it; an event-log
 * export without a single line still answers a JSON body; an import file sent as a plain
 * multipart form field (no filename) is accepted; and the login reply's instance_url is
 * oci.publicUrl when it is configured.
 */
#include "tests/support/oci_inproc.h"
#include "tests/support/test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/json_util.h"
#include "tests/support/http_client.h"
#include "tests/support/rsa_fixture.h"

#define ORG "f_ecom_fidelity"
#define IMPEX "/inventory/impex/v1/organizations/" ORG
#define PUBLIC_URL "https://oci.example.test"

typedef struct fixture {
    th_oci oci;
    char keys_dir[256];
    th_rsa app;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    th_temp_dir(f->keys_dir, sizeof f->keys_dir);
    th_rsa_make(&f->app, f->keys_dir, "fidelity");
    char graph[512], text[3072];
    th_data_path("oci/location-graph.json", graph, sizeof graph);
    snprintf(text, sizeof text,
             "{\"oci\":{\"port\":0,\"publicUrl\":\"" PUBLIC_URL "/\",\"organizations\":[{\"id\":\"" ORG "\",\"locationGraph\":\"%s\","
             "\"tokens\":[{\"token\":\"t\",\"scopes\":[\"sfcc.inventory.impex-inventory\",\"sfcc.inventory.impex-inventory.rw\","
             "\"sfcc.inventory.impex-graphs\",\"sfcc.inventory.availability\"]}],"
             "\"connectedApps\":[{\"consumerKey\":\"ck\",\"certificate\":\"%s\",\"users\":[{\"username\":\"u@example.com\"}],"
             "\"scopes\":[\"sfcc_inventory_availability\"]}]}]},\"tenants\":[]}",
             graph, f->app.cert_path);
    th_oci_start(&f->oci, text);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    th_oci_stop(&f->oci);
    th_rsa_free(&f->app);
    th_remove_tree(f->keys_dir);
    free(f);
    return 0;
}

static long call(fixture *f, const char *method, const char *path, const char *content_type, const char *body,
                 size_t length, th_response *response)
{
    char url[640], type[160];
    th_url(url, sizeof url, f->oci.port, path);
    snprintf(type, sizeof type, "Content-Type: %s", content_type ? content_type : "application/json");
    const char *headers[] = {"Authorization: Bearer t", type, NULL};
    assert_int_equal(th_http(method, url, headers, body, length, response), 0);
    return response->status;
}

static json_object *call_json(fixture *f, const char *method, const char *path, const char *body, long want)
{
    th_response response;
    long status = call(f, method, path, NULL, body, body ? strlen(body) : 0, &response);
    if (status != want)
        fail_msg("%s %s: %ld %s", method, path, status, response.body);
    json_object *json = th_json(&response);
    th_response_free(&response);
    return json;
}

static const char *string_at(json_object *json, const char *a, const char *b, const char *c)
{
    json_object *node = json;
    const char *keys[] = {a, b, c};
    for (size_t i = 0; i < 3 && keys[i]; i++)
        if (!json_object_object_get_ex(node, keys[i], &node))
            fail_msg("no %s in %s", keys[i], json_object_to_json_string(json));
    return json_object_get_string(node);
}

static void expect_content_type(th_response *response, const char *want)
{
    char type[128];
    assert_int_equal(th_header(response, "Content-Type", type, sizeof type), 0);
    if (strncmp(type, want, strlen(want)) != 0)
        fail_msg("Content-Type %s, wanted %s", type, want);
}

static json_object *wait_status(fixture *f, const char *path)
{
    for (int i = 0; i < 500; i++) {
        json_object *json = call_json(f, "GET", path, NULL, 200);
        const char *state = string_at(json, "status", NULL, NULL);
        if (strcmp(state, "COMPLETED") == 0 || strcmp(state, "FAILED") == 0)
            return json;
        json_object_put(json);
        usleep(20000);
    }
    fail_msg("%s did not finish", path);
    return NULL;
}

static void test_import_full_results_plain_field_and_result_type(void **state)
{
    fixture *f = *state;
    json_object *submit = call_json(f, "POST", IMPEX "/availability-records/imports", "{\"fileName\":\"plain.json\"}", 200);
    char upload[512], status_path[512], file_path[512];
    snprintf(upload, sizeof upload, "%s", string_at(submit, "uploadLink", NULL, NULL));
    snprintf(status_path, sizeof status_path, "%s", string_at(submit, "importStatusLink", NULL, NULL));
    json_object_put(submit);
    /* Before the upload (WAITING) the status already has import.fullResults. */
    json_object *status = call_json(f, "GET", status_path, NULL, 200);
    snprintf(file_path, sizeof file_path, "%s", string_at(status, "import", "fullResults", "href"));
    assert_non_null(strstr(file_path, "/file-content"));
    assert_true(strlen(string_at(status, "import", "fullResults", "exportResultExpirationUTC")) >= 20);
    json_object_put(status);
    /* The file as a plain form field: no filename in its Content-Disposition. */
    const char *body = "--pf\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n"
                       "{\"recordId\":\"pf-1\",\"onHand\":3,\"sku\":\"pf-sku\",\"locationId\":\"phoenix\"}\n"
                       "\r\n--pf--\r\n";
    th_response response;
    assert_int_equal(call(f, "POST", upload, "multipart/form-data; boundary=pf", body, strlen(body), &response), 200);
    th_response_free(&response);
    status = wait_status(f, status_path);
    assert_string_equal(string_at(status, "status", NULL, NULL), "COMPLETED");
    assert_string_equal(string_at(status, "import", "fullResults", "href"), file_path);
    assert_int_equal(json_object_get_int(json_object_object_get(json_object_object_get(status, "import"), "recordsProcessedCount")),
                     1);
    json_object_put(status);
    /* The result file: the API's default media type (the RAML declares none for it). */
    assert_int_equal(call(f, "GET", file_path, NULL, NULL, 0, &response), 200);
    expect_content_type(&response, "application/json");
    assert_non_null(strstr(response.body, "COMPLETED_WITHOUT_ERRORS"));
    th_response_free(&response);
}

/* Submits an export, waits for it, and checks its file's Content-Type; returns the body. */
static char *export_file(fixture *f, const char *submit_path, const char *body, const char *want_type)
{
    json_object *submit = call_json(f, "POST", submit_path, body, 200);
    char status_path[512];
    snprintf(status_path, sizeof status_path, "%s", string_at(submit, "exportStatusLink", NULL, NULL));
    json_object_put(submit);
    json_object *status = wait_status(f, status_path);
    assert_string_equal(string_at(status, "status", NULL, NULL), "COMPLETED");
    json_object_put(status);
    char file_path[512];
    snprintf(file_path, sizeof file_path, "%.*s/file-content", (int)(strlen(status_path) - strlen("/status")), status_path);
    th_response response;
    assert_int_equal(call(f, "GET", file_path, NULL, NULL, 0, &response), 200);
    expect_content_type(&response, want_type);
    char *text = strdup(response.body ? response.body : "");
    th_response_free(&response);
    return text;
}

static void test_file_content_types_and_empty_exports(void **state)
{
    fixture *f = *state;
    free(export_file(f, IMPEX "/availability-records/exports", "{\"objects\":{\"locations\":[\"phoenix\"]}}",
                     "application/text"));
    free(export_file(f, IMPEX "/availability-records/exports", "{\"objects\":{\"groups\":[\"arizona\"]}}",
                     "application/json"));
    free(export_file(f, IMPEX "/location-graph/exports", NULL, "application/json"));
    /* An event-log export that matches nothing still answers a JSON body. */
    char body[256], starts[64];
    time_t now = time(NULL);
    strftime(starts, sizeof starts, "%Y-%m-%dT%H:%M:%SZ", gmtime(&(time_t){now - 3600}));
    snprintf(body, sizeof body, "{\"sku\":\"never-seen\",\"startsOn\":\"%s\"}", starts);
    char *text = export_file(f, IMPEX "/event-log/exports", body, "application/json");
    json_object *json = NULL;
    char error[CM_JSON_ERROR_MAX];
    if (cm_json_parse(text, strlen(text), 8, &json, error) != CM_OK)
        fail_msg("empty event log export is not JSON: \"%s\" (%s)", text, error);
    json_object_put(json);
    free(text);
}

static void test_instance_url_is_the_public_url(void **state)
{
    fixture *f = *state;
    char *assertion = th_jwt_mint(f->app.key, "ck", "u@example.com", PUBLIC_URL, (int64_t)time(NULL) + 120);
    char body[8192], url[256];
    snprintf(body, sizeof body, "grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=%s", assertion);
    free(assertion);
    th_url(url, sizeof url, f->oci.port, "/services/oauth2/token");
    const char *headers[] = {"Content-Type: application/x-www-form-urlencoded", NULL};
    th_response response;
    assert_int_equal(th_http("POST", url, headers, body, strlen(body), &response), 0);
    if (response.status != 200)
        fail_msg("login: %ld %s", response.status, response.body);
    json_object *reply = th_json(&response);
    th_response_free(&response);
    assert_string_equal(string_at(reply, "instance_url", NULL, NULL), PUBLIC_URL);
    assert_int_equal(strncmp(string_at(reply, "id", NULL, NULL), PUBLIC_URL "/id/00D", strlen(PUBLIC_URL "/id/00D")), 0);
    json_object_put(reply);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_import_full_results_plain_field_and_result_type),
        cmocka_unit_test(test_file_content_types_and_empty_exports),
        cmocka_unit_test(test_instance_url_is_the_public_url),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
