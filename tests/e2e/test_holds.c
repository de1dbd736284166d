/*
 * test_holds.c - the gateway holds a tenant's deliveries, end to end on a real `omsgw serve`:
 * - while its organization's location graph changes in the bundled core (oci.graphChangeSeconds),
 *   queued refreshes stay PENDING with the reason in their messages and nothing reaches OCI; when
 *   the change is over (the core's clock advanced) every job ends SUCCESS and group totals are the
 *   sums of their locations;
 * - `omsgw hold` / `omsgw release` by an operator while the server runs.
 */
#include "common/json_util.h"
#include "tests/e2e/e2e_legacy.h"

#include <signal.h>

#define ORG "f_ecom_demo_001"
#define OCI_AUTH "Authorization: Bearer demo-oci-token"
#define CTL_AUTH "Authorization: Bearer demo-control-token"
#define GET_AVAILABILITY \
    "/inventory/availability/v1/organizations/" ORG "/availability-records/actions/get-availability"
/* The sample graph with warehouse-3 added to "online". */
#define NEW_GRAPH                                                                                                  \
    "{\"locations\":[\"warehouse-1\",\"warehouse-2\",\"warehouse-3\",\"store-downtown\",\"store-airport\","         \
    "\"store-mall\"],\"groups\":[{\"id\":\"online\",\"locations\":[\"warehouse-1\",\"warehouse-2\",\"warehouse-3\"]},"  \
    "{\"id\":\"stores\",\"locations\":[\"store-downtown\",\"store-airport\",\"store-mall\",\"warehouse-2\"]}]}"

static json_object *oci_call(int port, const char *auth, const char *method, const char *path, const char *body,
                             long want)
{
    char url[512];
    th_url(url, sizeof url, port, path);
    const char *headers[] = {auth, "Content-Type: application/json", NULL};
    th_response response;
    assert_int_equal(th_http(method, url, headers, body, body ? strlen(body) : 0, &response), 0);
    if (response.status != want)
        fail_msg("%s %s answered %ld: %s", method, path, response.status, response.body);
    json_object *json = th_json(&response);
    th_response_free(&response);
    return json;
}

/* onHand of `sku` at a location or group ("locations" / "groups"); -1 when the reply has no record. */
static double figure(int port, const char *kind, const char *place, const char *sku)
{
    char query[256];
    snprintf(query, sizeof query, "{\"skus\":[\"%s\"],\"%s\":[\"%s\"]}", sku, kind, place);
    json_object *json = oci_call(port, OCI_AUTH, "POST", GET_AVAILABILITY, query, 200);
    json_object *places = json_object_object_get(json, kind);
    json_object *records = json_object_object_get(json_object_array_get_idx(places, 0), "records");
    json_object *record = records ? json_object_array_get_idx(records, 0) : NULL;
    json_object *on_hand = record ? json_object_object_get(record, "onHand") : NULL;
    double value = on_hand ? json_object_get_double(on_hand) : -1;
    json_object_put(json);
    return value;
}

static json_object *get_job(int port, int64_t job_id)
{
    char path[64];
    snprintf(path, sizeof path, "/api/v1/queue/%" PRId64, job_id);
    th_response response;
    assert_int_equal(e2e_call(port, "GET", path, DEMO_TENANT, DEMO_V5_KEY, NULL, &response), 0);
    assert_int_equal(response.status, 200);
    json_object *job = th_json(&response);
    th_response_free(&response);
    return job;
}

/* The job is PENDING and its messages name the hold (`says`), for a while. */
static void expect_held(int port, int64_t job_id, const char *says)
{
    for (int look = 0; look < 10; look++) {
        json_object *job = get_job(port, job_id);
        assert_string_equal(json_object_get_string(json_object_object_get(job, "status")), "PENDING");
        const char *messages = json_object_to_json_string(json_object_object_get(job, "messages"));
        if (!strstr(messages, "Deliveries of this tenant are held") || !strstr(messages, says))
            fail_msg("job %" PRId64 " does not say why it waits: %s", job_id, messages);
        json_object_put(job);
        usleep(100000);
    }
}

static int64_t refresh(int port, const char *location, const char *sku, int quantity)
{
    char body[256];
    snprintf(body, sizeof body, "{\"locationName\":\"%s\",\"items\":[{\"sku\":\"%s\",\"quantity\":%d}]}", location, sku,
             quantity);
    return e2e_refresh(port, "/api/v5/inventory/refresh", DEMO_V5_KEY, body);
}

static void test_graph_change_holds_deliveries(void **state)
{
    (void)state;
    th_omsgw server;
    th_omsgw_prepare(&server, NULL);
    const char *args[] = {"--set", "oci.graphChangeSeconds=600", NULL};
    assert_int_equal(th_omsgw_launch(&server, args), 0);
    int64_t before = refresh(server.gateway_port, "Location 2", "HOLD-G", 4);
    json_object_put(e2e_wait_job(server.gateway_port, "/api/v1/queue/", DEMO_V5_KEY, before, 30000));

    json_object_put(oci_call(server.oci_port, OCI_AUTH, "PUT", "/admin/organizations/" ORG "/location-graph",
                             NEW_GRAPH, 200));
    /* The watcher looks every half second: wait until it says it holds the tenant. */
    int held = 0;
    for (int waited = 0; waited < 20000 && !held; waited += 50) {
        char *log = th_read_file(server.log_path, NULL);
        held = log && strstr(log, "queue.held tenant=12345") != NULL;
        free(log);
        if (!held)
            usleep(50000);
    }
    if (!held) {
        th_omsgw_dump_log(&server);
        fail_msg("the tenant was not held while its organization's graph changes");
    }
    int64_t jobs[2] = {refresh(server.gateway_port, "Location 1", "HOLD-G", 2),
                       refresh(server.gateway_port, "Location 2", "HOLD-G", 9)};
    expect_held(server.gateway_port, jobs[0], "location graph of organization " ORG " is changing");
    expect_held(server.gateway_port, jobs[1], "location graph of organization " ORG " is changing");
    /* Nothing was delivered meanwhile. */
    double unset = figure(server.oci_port, "locations", "warehouse-1", "HOLD-G");
    assert_true(unset == -1 || unset == 0); /* no record, or OCI's zero record for an unknown sku */
    assert_true(figure(server.oci_port, "locations", "warehouse-2", "HOLD-G") == 4);

    json_object_put(oci_call(server.oci_port, CTL_AUTH, "POST", "/_omsgw/clock/advance", "{\"seconds\":601}", 200));
    for (int j = 0; j < 2; j++) {
        json_object *job = e2e_wait_job(server.gateway_port, "/api/v1/queue/", DEMO_V5_KEY, jobs[j], 30000);
        assert_string_equal(json_object_get_string(json_object_object_get(job, "status")), "SUCCESS");
        assert_null(strstr(json_object_to_json_string(json_object_object_get(job, "messages")), "held"));
        json_object_put(job);
    }
    double w1 = figure(server.oci_port, "locations", "warehouse-1", "HOLD-G");
    double w2 = figure(server.oci_port, "locations", "warehouse-2", "HOLD-G");
    assert_true(w1 == 2 && w2 == 9);
    assert_true(figure(server.oci_port, "groups", "online", "HOLD-G") == w1 + w2);
    assert_int_equal(th_omsgw_stop(&server, SIGTERM, 10000), 0);
    th_omsgw_cleanup(&server);
}

static int run_command(const th_omsgw *server, const char *command, const char *reason, char **output)
{
    const char *args[] = {command, "--tenant", DEMO_TENANT, "--config", server->config_path,
                          "--data-dir", server->data_dir, reason ? "--reason" : NULL, reason, NULL};
    return th_omsgw_run(args, output);
}

static void test_operator_hold_and_release(void **state)
{
    (void)state;
    th_omsgw server;
    th_omsgw_start(&server, NULL);
    char *output = NULL;
    assert_int_equal(run_command(&server, "hold", "stock count in progress", &output), 0);
    assert_non_null(strstr(output, "tenant 12345 is held (stock count in progress)"));
    free(output);
    int64_t job = refresh(server.gateway_port, "Location 1", "HOLD-O", 7);
    expect_held(server.gateway_port, job, "stock count in progress");
    /* The other tenant is not held. */
    th_response response;
    assert_int_equal(e2e_call(server.gateway_port, "POST", "/api/v5/inventory/refresh", "23456", "second-v5-key",
                              "{\"locationName\":\"Location 1\",\"items\":[{\"sku\":\"HOLD-P\",\"quantity\":1}]}",
                              &response),
                     0);
    assert_int_equal(response.status, 200);
    th_response_free(&response);
    assert_int_equal(run_command(&server, "release", NULL, &output), 0);
    assert_non_null(strstr(output, "tenant 12345 is released"));
    free(output);
    json_object *done = e2e_wait_job(server.gateway_port, "/api/v1/queue/", DEMO_V5_KEY, job, 30000);
    assert_string_equal(json_object_get_string(json_object_object_get(done, "status")), "SUCCESS");
    json_object_put(done);
    assert_int_equal(run_command(&server, "release", NULL, &output), 0);
    assert_non_null(strstr(output, "had no operator hold"));
    free(output);
    /* Mistakes: an unknown tenant, a missing one. */
    const char *unknown[] = {"hold", "--tenant", "999", "--config", server.config_path, "--data-dir",
                             server.data_dir, NULL};
    assert_int_equal(th_omsgw_run(unknown, &output), 2);
    assert_non_null(strstr(output, "tenant 999 is not in"));
    free(output);
    const char *missing[] = {"release", "--config", server.config_path, NULL};
    assert_int_equal(th_omsgw_run(missing, &output), 2);
    assert_non_null(strstr(output, "usage: omsgw release"));
    free(output);
    assert_int_equal(th_omsgw_stop(&server, SIGTERM, 10000), 0);
    th_omsgw_cleanup(&server);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_graph_change_holds_deliveries),
        cmocka_unit_test(test_operator_hold_and_release),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
