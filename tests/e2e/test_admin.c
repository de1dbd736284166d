/*
 * test_admin.c - the admin listener end to end: every route needs the admin token (401 without it,
 * JSON on the API, never a page), the login form and its session cookie, the gateway and OCI
 * listeners never serving admin routes (404), and the JSON admin API: tenants, job list filters
 * and paging, a job with its refusals, cancelling a pending job.
 */
#include "tests/e2e/admin_e2e.h"

#include <signal.h>

static const struct {
    const char *method;
    const char *path;
    int api; /* 1: JSON 401 */
} ADMIN_ROUTES[] = {
    {"GET", "/", 0},
    {"GET", "/console.js", 0},
    {"GET", "/console.css", 0},
    {"GET", "/metrics", 1},
    {"GET", "/api/tenants", 1},
    {"GET", "/api/jobs", 1},
    {"GET", "/api/jobs?status=PENDING", 1},
    {"GET", "/api/jobs/1", 1},
    {"POST", "/api/jobs/1/cancel", 1},
    {"POST", "/api/jobs/1/retry", 1},
    {"GET", "/api/core/organizations", 1},
    {"POST", "/api/compare?tenant=12345", 1},
    {"GET", "/api/compare/1", 1},
    {"GET", "/api/core/graph?organization=f_ecom_demo_001", 1},
    {"GET", "/api/core/availability?organization=f_ecom_demo_001&sku=101010", 1},
    {"POST", "/logout", 0},
    {"GET", "/api/no-such-route", 1},
    {"GET", "/no/such/page", 0},
};

#define ROUTE_COUNT (sizeof ADMIN_ROUTES / sizeof ADMIN_ROUTES[0])

static void expect_refused(int port, size_t i, const char *auth)
{
    th_response response;
    assert_int_equal(admin_call(port, ADMIN_ROUTES[i].method, ADMIN_ROUTES[i].path, auth, NULL, &response), 0);
    if (response.status != 401)
        fail_msg("%s %s with %s answered %ld", ADMIN_ROUTES[i].method, ADMIN_ROUTES[i].path, auth ? auth : "nothing",
                 response.status);
    char value[128];
    assert_int_equal(th_header(&response, "WWW-Authenticate", value, sizeof value), 0);
    if (ADMIN_ROUTES[i].api) {
        json_object *body = th_json(&response);
        assert_non_null(body);
        assert_string_equal(json_object_get_string(json_object_object_get(body, "errorCode")), "UNAUTHORIZED");
        assert_non_null(json_object_get_string(json_object_object_get(body, "message")));
        json_object_put(body);
    } else {
        /* The login form, never the console or anything else. */
        assert_non_null(strstr(response.body, "action=\"/login\""));
        assert_null(strstr(response.body, "console.js"));
    }
    assert_null(strstr(response.body, "omsgw_jobs_accepted_total"));
    assert_null(strstr(response.body, "tenantId"));
    th_response_free(&response);
}

static void test_every_route_needs_the_token(void **state)
{
    (void)state;
    char *config = admin_config(NULL);
    th_omsgw process;
    int port = admin_start(&process, config);
    free(config);
    for (size_t i = 0; i < ROUTE_COUNT; i++) {
        expect_refused(port, i, NULL);
        expect_refused(port, i, "Authorization: Bearer wrong-token-wrong-token");
        expect_refused(port, i, "Authorization: Basic dGVzdDp0ZXN0");
        expect_refused(port, i, "Cookie: omsgw_admin=0000000000000000000000000000000000000000000000000000000000000000");
        /* The hash of a token is not the token. */
        uint8_t digest[CM_SHA256_LEN];
        char hex[CM_SHA256_HEX_LEN + 1], header[160];
        cm_sha256(ADMIN_HASHED_TOKEN, strlen(ADMIN_HASHED_TOKEN), digest);
        cm_sha256_hex(digest, hex);
        snprintf(header, sizeof header, "Authorization: Bearer %s", hex);
        expect_refused(port, i, header);
    }
    /* Both tokens open every route; unknown routes then are 404, not 401. */
    static const char *const good[] = {ADMIN_BEARER, "Authorization: Bearer " ADMIN_HASHED_TOKEN};
    for (size_t t = 0; t < 2; t++) {
        th_response response;
        assert_int_equal(admin_call(port, "GET", "/api/tenants", good[t], NULL, &response), 0);
        assert_int_equal(response.status, 200);
        th_response_free(&response);
        assert_int_equal(admin_call(port, "GET", "/", good[t], NULL, &response), 0);
        assert_int_equal(response.status, 200);
        assert_non_null(strstr(response.body, "/console.js"));
        th_response_free(&response);
        assert_int_equal(admin_call(port, "GET", "/api/no-such-route", good[t], NULL, &response), 0);
        assert_int_equal(response.status, 404);
        th_response_free(&response);
    }
    /* The gateway and OCI listeners know no admin route, token or not. */
    int ports[] = {process.gateway_port, process.oci_port};
    for (size_t p = 0; p < 2; p++) {
        for (size_t i = 0; i < ROUTE_COUNT; i++) {
            th_response response;
            assert_int_equal(admin_call(ports[p], ADMIN_ROUTES[i].method, ADMIN_ROUTES[i].path, ADMIN_BEARER, NULL,
                                        &response), 0);
            if (response.status != 404)
                fail_msg("%s port answered %ld to %s %s", p ? "OCI" : "gateway", response.status,
                         ADMIN_ROUTES[i].method, ADMIN_ROUTES[i].path);
            assert_null(strstr(response.body, "omsgw_jobs_accepted_total"));
            th_response_free(&response);
        }
        th_response response;
        assert_int_equal(admin_call(ports[p], "POST", "/login", NULL, "token=" ADMIN_TOKEN, &response), 0);
        assert_int_equal(response.status, 404);
        th_response_free(&response);
    }
    assert_int_equal(th_omsgw_stop(&process, SIGTERM, 10000), 0);
    th_omsgw_cleanup(&process);
}

static void test_login_form_and_session(void **state)
{
    (void)state;
    char *config = admin_config(NULL);
    th_omsgw process;
    int port = admin_start(&process, config);
    free(config);
    th_response response;
    assert_int_equal(admin_call(port, "GET", "/login", NULL, NULL, &response), 0);
    assert_int_equal(response.status, 200);
    assert_non_null(strstr(response.body, "name=\"token\""));
    th_response_free(&response);

    char url[128];
    th_url(url, sizeof url, port, "/login");
    const char *form[] = {"Content-Type: application/x-www-form-urlencoded", NULL};
    const char wrong[] = "token=not-the-token";
    assert_int_equal(th_http("POST", url, form, wrong, strlen(wrong), &response), 0);
    assert_int_equal(response.status, 401);
    char cookie[256];
    assert_int_not_equal(th_header(&response, "Set-Cookie", cookie, sizeof cookie), 0);
    th_response_free(&response);

    const char right[] = "token=" ADMIN_TOKEN;
    assert_int_equal(th_http("POST", url, form, right, strlen(right), &response), 0);
    assert_int_equal(response.status, 303);
    char location[64];
    assert_int_equal(th_header(&response, "Location", location, sizeof location), 0);
    assert_string_equal(location, "/");
    assert_int_equal(th_header(&response, "Set-Cookie", cookie, sizeof cookie), 0);
    assert_non_null(strstr(cookie, "HttpOnly"));
    assert_non_null(strstr(cookie, "SameSite=Strict"));
    th_response_free(&response);
    char cookie_header[200];
    snprintf(cookie_header, sizeof cookie_header, "Cookie: %.*s", (int)strcspn(cookie, ";"), cookie);

    assert_int_equal(admin_call(port, "GET", "/", cookie_header, NULL, &response), 0);
    assert_int_equal(response.status, 200);
    assert_non_null(strstr(response.body, "<script src=\"/console.js\">"));
    th_response_free(&response);
    assert_int_equal(admin_call(port, "GET", "/api/tenants", cookie_header, NULL, &response), 0);
    assert_int_equal(response.status, 200);
    th_response_free(&response);
    /* Logging out ends the session. */
    assert_int_equal(admin_call(port, "POST", "/logout", cookie_header, NULL, &response), 0);
    assert_int_equal(response.status, 303);
    th_response_free(&response);
    assert_int_equal(admin_call(port, "GET", "/api/tenants", cookie_header, NULL, &response), 0);
    assert_int_equal(response.status, 401);
    th_response_free(&response);
    assert_int_equal(th_omsgw_stop(&process, SIGTERM, 10000), 0);
    th_omsgw_cleanup(&process);
}

static const char *job_status(json_object *job)
{
    return json_object_get_string(json_object_object_get(job, "status"));
}

/* Polls GET /api/jobs/{id} until its status is `wanted`; returns the body (caller puts). */
static json_object *wait_admin_status(int port, int64_t job_id, const char *wanted)
{
    char path[64];
    snprintf(path, sizeof path, "/api/jobs/%" PRId64, job_id);
    for (int waited = 0; waited < 20000; waited += 25) {
        json_object *body = admin_get_json(port, path);
        if (strcmp(job_status(json_object_object_get(body, "job")), wanted) == 0)
            return body;
        json_object_put(body);
        usleep(25000);
    }
    fail_msg("job %" PRId64 " did not reach %s", job_id, wanted);
    return NULL;
}

static void expect_bad_request(int port, const char *method, const char *path, const char *field)
{
    th_response response;
    assert_int_equal(admin_call(port, method, path, ADMIN_BEARER, NULL, &response), 0);
    if (response.status != 400)
        fail_msg("%s %s answered %ld", method, path, response.status);
    json_object *body = th_json(&response);
    assert_non_null(body);
    assert_string_equal(json_object_get_string(json_object_object_get(body, "field")), field);
    assert_non_null(json_object_get_string(json_object_object_get(body, "message")));
    json_object_put(body);
    th_response_free(&response);
}

/*
 * Delivery over HTTP to a port nothing listens on: the tenant's first job stays WORKING (parked for
 * retries), the second stays PENDING behind it, which is what cancelling needs. The second is sent
 * once the first failed a try: a job that was tried never gathers later jobs into a coalesced
 * delivery (queue/worker.c), so the second is not joined to it.
 */
static void test_api_lists_and_cancel(void **state)
{
    (void)state;
    char delivery[160];
    snprintf(delivery, sizeof delivery, "{\"mode\": \"http\", \"baseUrl\": \"http://127.0.0.1:%d\", \"token\": \"t\"}",
             th_free_port());
    char *config = admin_config(delivery);
    th_omsgw process;
    int port = admin_start(&process, config);
    free(config);
    char *body = e2e_refresh_body("Location 1", 10, "ADM", 1);
    int64_t first = e2e_refresh(process.gateway_port, "/api/v5/inventory/refresh", DEMO_V5_KEY, body);
    json_object *running = wait_admin_status(port, first, "WORKING");
    json_object_put(running);
    int tried = 0;
    for (int waited = 0; waited < 20000 && !tried; waited += 20) {
        char job_path[64];
        snprintf(job_path, sizeof job_path, "/api/v1/queue/%" PRId64, first);
        th_response reply;
        assert_int_equal(e2e_call(process.gateway_port, "GET", job_path, DEMO_TENANT, DEMO_V5_KEY, NULL, &reply), 0);
        tried = reply.status == 200 && strstr(reply.body, "\"failedTries\"") != NULL;
        th_response_free(&reply);
        if (!tried)
            usleep(20000);
    }
    assert_true(tried);
    int64_t second = e2e_refresh(process.gateway_port, "/api/v5/inventory/refresh", DEMO_V5_KEY, body);
    free(body);

    json_object *tenants = admin_get_json(port, "/api/tenants");
    json_object *list = json_object_object_get(tenants, "tenants");
    assert_true(json_object_array_length(list) >= 1);
    json_object *demo = json_object_array_get_idx(list, 0);
    assert_int_equal(json_object_get_int64(json_object_object_get(demo, "tenantId")), 12345);
    assert_int_equal(json_object_get_int64(json_object_object_get(demo, "pending")), 1);
    assert_int_equal(json_object_get_int64(json_object_object_get(demo, "working")), 1);
    assert_int_equal(json_object_get_int64(json_object_object_get(json_object_object_get(demo, "runningJob"), "jobID")),
                     first);
    json_object_put(tenants);

    json_object *pending = admin_get_json(port, "/api/jobs?status=PENDING&tenant=12345&type=REFRESH&location=warehouse-1");
    json_object *jobs = json_object_object_get(pending, "jobs");
    assert_int_equal(json_object_array_length(jobs), 1);
    assert_int_equal(json_object_get_int64(json_object_object_get(json_object_array_get_idx(jobs, 0), "jobID")), second);
    json_object_put(pending);
    /* Paging: one per page, newest first, hasMore on the first. */
    json_object *page = admin_get_json(port, "/api/jobs?limit=1");
    assert_true(json_object_get_boolean(json_object_object_get(page, "hasMore")));
    assert_int_equal(json_object_get_int64(json_object_object_get(
                         json_object_array_get_idx(json_object_object_get(page, "jobs"), 0), "jobID")),
                     second);
    json_object_put(page);
    page = admin_get_json(port, "/api/jobs?limit=1&offset=1");
    assert_false(json_object_get_boolean(json_object_object_get(page, "hasMore")));
    json_object_put(page);
    page = admin_get_json(port, "/api/jobs?type=ADJUST");
    assert_int_equal(json_object_array_length(json_object_object_get(page, "jobs")), 0);
    json_object_put(page);
    page = admin_get_json(port, "/api/jobs?from=2000-01-01T00:00:00Z&to=2000-01-02T00:00:00Z");
    assert_int_equal(json_object_array_length(json_object_object_get(page, "jobs")), 0);
    json_object_put(page);

    expect_bad_request(port, "GET", "/api/jobs?status=DONE", "status");
    expect_bad_request(port, "GET", "/api/jobs?type=refresh", "type");
    expect_bad_request(port, "GET", "/api/jobs?tenant=abc", "tenant");
    expect_bad_request(port, "GET", "/api/jobs?limit=0", "limit");
    expect_bad_request(port, "GET", "/api/jobs?limit=501", "limit");
    expect_bad_request(port, "GET", "/api/jobs?offset=-1", "offset");
    expect_bad_request(port, "GET", "/api/jobs?from=yesterday", "from");
    expect_bad_request(port, "GET", "/api/jobs/abc", "jobID");
    expect_bad_request(port, "POST", "/api/jobs/0/cancel", "jobID");

    /* Cancel: the pending one goes, the running one and a missing one cannot. */
    th_response response;
    char path[80];
    snprintf(path, sizeof path, "/api/jobs/%" PRId64 "/cancel", first);
    assert_int_equal(admin_call(port, "POST", path, ADMIN_BEARER, NULL, &response), 0);
    assert_int_equal(response.status, 409);
    th_response_free(&response);
    assert_int_equal(admin_call(port, "POST", "/api/jobs/999999/cancel", ADMIN_BEARER, NULL, &response), 0);
    assert_int_equal(response.status, 404);
    th_response_free(&response);
    snprintf(path, sizeof path, "/api/jobs/%" PRId64 "/cancel", second);
    assert_int_equal(admin_call(port, "POST", path, ADMIN_BEARER, NULL, &response), 0);
    assert_int_equal(response.status, 200);
    json_object *cancelled = th_json(&response);
    assert_string_equal(job_status(json_object_object_get(cancelled, "job")), "FAILED");
    json_object_put(cancelled);
    th_response_free(&response);
    assert_int_equal(admin_call(port, "POST", path, ADMIN_BEARER, NULL, &response), 0);
    assert_int_equal(response.status, 409);
    th_response_free(&response);
    /* The legacy route tells the integration the same. */
    json_object *legacy = e2e_wait_job(process.gateway_port, "/api/v1/queue/", DEMO_V5_KEY, second, 5000);
    assert_string_equal(job_status(legacy), "FAILED");
    assert_non_null(strstr(json_object_to_json_string(json_object_object_get(legacy, "messages")),
                           "Cancelled by an operator."));
    json_object_put(legacy);

    /* The running job's page says why it waits; the retries are counted by class. */
    snprintf(path, sizeof path, "/api/jobs/%" PRId64, first);
    json_object *detail = admin_get_json(port, path);
    json_object *admin = json_object_object_get(json_object_object_get(detail, "job"), "admin");
    assert_non_null(admin);
    assert_true(json_object_get_int64(json_object_object_get(admin, "attempts")) >= 1);
    json_object_put(detail);
    th_prom prom;
    double retries = 0;
    for (int waited = 0; waited < 20000 && retries == 0; waited += 50) {
        admin_scrape(port, &prom);
        retries = th_prom_sum(&prom, "omsgw_delivery_retries_total", "class=\"connection\"");
        assert_true(th_prom_sum(&prom, "omsgw_jobs_finished_total", "tenant=\"12345\",status=\"FAILED\"") == 1);
        th_prom_free(&prom);
        if (retries == 0)
            usleep(50000);
    }
    assert_true(retries >= 1);
    assert_int_equal(th_omsgw_stop(&process, SIGTERM, 10000), 0);
    th_omsgw_cleanup(&process);
}

/* A job whose items OCI refuses: its page lists each refusal with the item and the reason. */
static void test_job_page_lists_refusals(void **state)
{
    (void)state;
    char *config = admin_config(NULL);
    th_omsgw process;
    int port = admin_start(&process, config);
    free(config);
    /* Tenant 23456 derives locations from names: this one is not in the location graph. */
    char *body = e2e_refresh_body("Nowhere Land", 3, "REF", 1);
    th_response response;
    assert_int_equal(e2e_call(process.gateway_port, "POST", "/api/v5/inventory/refresh", "23456", "second-v5-key", body,
                              &response), 0);
    assert_int_equal(response.status, 200);
    json_object *reply = th_json(&response);
    int64_t job_id = json_object_get_int64(json_object_object_get(reply, "jobID"));
    json_object_put(reply);
    th_response_free(&response);
    free(body);
    json_object *detail = wait_admin_status(port, job_id, "FAILED");
    json_object *refusals = json_object_object_get(detail, "refusals");
    assert_int_equal(json_object_array_length(refusals), 3);
    json_object *first = json_object_array_get_idx(refusals, 0);
    assert_int_equal(json_object_get_int64(json_object_object_get(first, "itemIndex")), 0);
    assert_string_equal(json_object_get_string(json_object_object_get(first, "sku")), "REF-0");
    assert_string_equal(json_object_get_string(json_object_object_get(first, "errorCode")), "LocationDoesNotExist");
    json_object *job = json_object_object_get(detail, "job");
    /* Every field of the legacy reply is there. */
    static const char *const fields[] = {"jobID", "tenantID", "locationID", "locationCode", "type", "added", "started",
                                         "finished", "originalFilename", "hasData", "itemCount", "status", "success",
                                         "messages", "numResults", "progress"};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (!json_object_object_get_ex(job, fields[i], NULL))
            fail_msg("the job lacks %s", fields[i]);
    json_object_put(detail);

    /* Retry: a new job with the same items; the failed one stays as the integration saw it. */
    char path[80];
    snprintf(path, sizeof path, "/api/jobs/%" PRId64 "/retry", job_id);
    assert_int_equal(admin_call(port, "POST", path, ADMIN_BEARER, NULL, &response), 0);
    if (response.status != 200)
        fail_msg("retry answered %ld: %s", response.status, response.body);
    json_object *retried = th_json(&response);
    th_response_free(&response);
    assert_int_equal(json_object_get_int64(json_object_object_get(retried, "retryOf")), job_id);
    json_object *new_job = json_object_object_get(retried, "job");
    int64_t new_id = json_object_get_int64(json_object_object_get(new_job, "jobID"));
    assert_true(new_id > job_id);
    assert_int_equal(json_object_get_int64(json_object_object_get(new_job, "itemCount")), 3);
    assert_int_equal(json_object_get_int64(json_object_object_get(new_job, "tenantID")), 23456);
    assert_non_null(strstr(json_object_to_json_string(json_object_object_get(new_job, "messages")), "Retry of job"));
    json_object_put(retried);
    detail = wait_admin_status(port, new_id, "FAILED"); /* the location is still unknown */
    assert_int_equal(json_object_array_length(json_object_object_get(detail, "refusals")), 3);
    json_object_put(detail);
    snprintf(path, sizeof path, "/api/jobs/%" PRId64, job_id);
    detail = admin_get_json(port, path);
    assert_string_equal(job_status(json_object_object_get(detail, "job")), "FAILED");
    json_object_put(detail);
    /* Only a failed job can be retried. */
    body = e2e_refresh_body("Location 1", 2, "OK", 1);
    int64_t good = e2e_refresh(process.gateway_port, "/api/v5/inventory/refresh", DEMO_V5_KEY, body);
    free(body);
    json_object_put(wait_admin_status(port, good, "SUCCESS"));
    snprintf(path, sizeof path, "/api/jobs/%" PRId64 "/retry", good);
    assert_int_equal(admin_call(port, "POST", path, ADMIN_BEARER, NULL, &response), 0);
    assert_int_equal(response.status, 409);
    th_response_free(&response);

    th_prom prom;
    admin_scrape(port, &prom);
    assert_true(th_prom_sum(&prom, "omsgw_items_refused_total", "tenant=\"23456\"") == 6);
    th_prom_free(&prom);
    assert_int_equal(th_omsgw_stop(&process, SIGTERM, 10000), 0);
    th_omsgw_cleanup(&process);
}

/* The bundled core's views: the SKU just refreshed at every location and group, and the graph. */
static void test_core_views(void **state)
{
    (void)state;
    char *config = admin_config(NULL);
    th_omsgw process;
    int port = admin_start(&process, config);
    free(config);
    char *body = e2e_refresh_body("Location 1", 2, "CORE", 40);
    int64_t job_id = e2e_refresh(process.gateway_port, "/api/v5/inventory/refresh", DEMO_V5_KEY, body);
    free(body);
    json_object_put(e2e_wait_job(process.gateway_port, "/api/v1/queue/", DEMO_V5_KEY, job_id, 20000));
    json_object *orgs = admin_get_json(port, "/api/core/organizations");
    assert_string_equal(json_object_get_string(json_object_array_get_idx(json_object_object_get(orgs, "organizations"), 0)),
                        "f_ecom_demo_001");
    json_object_put(orgs);
    json_object *view = admin_get_json(port, "/api/core/availability?organization=f_ecom_demo_001&sku=CORE-1");
    json_object *locations = json_object_object_get(view, "locations");
    assert_int_equal(json_object_array_length(locations), 5);
    json_object *first = json_object_array_get_idx(locations, 0);
    assert_string_equal(json_object_get_string(json_object_object_get(first, "id")), "warehouse-1");
    json_object *record = json_object_array_get_idx(json_object_object_get(first, "records"), 0);
    assert_int_equal(json_object_get_int64(json_object_object_get(record, "onHand")), 41);
    json_object *groups = json_object_object_get(view, "groups");
    assert_int_equal(json_object_array_length(groups), 2);
    json_object *online = json_object_array_get_idx(groups, 0);
    assert_string_equal(json_object_get_string(json_object_object_get(online, "id")), "online");
    record = json_object_array_get_idx(json_object_object_get(online, "records"), 0);
    assert_int_equal(json_object_get_int64(json_object_object_get(record, "onHand")), 41);
    json_object_put(view);
    json_object *graph = admin_get_json(port, "/api/core/graph?organization=f_ecom_demo_001");
    assert_int_equal(json_object_array_length(json_object_object_get(graph, "locations")), 5);
    json_object_put(graph);
    expect_bad_request(port, "GET", "/api/core/availability?organization=f_ecom_demo_001&sku=a%20b", "sku");
    expect_bad_request(port, "GET", "/api/core/availability?organization=f_ecom_demo_001", "sku");
    expect_bad_request(port, "GET", "/api/core/graph", "organization");
    th_response response;
    assert_int_equal(admin_call(port, "GET", "/api/core/graph?organization=nope", ADMIN_BEARER, NULL, &response), 0);
    assert_int_equal(response.status, 404);
    th_response_free(&response);
    assert_int_equal(th_omsgw_stop(&process, SIGTERM, 10000), 0);
    th_omsgw_cleanup(&process);
}

/* The comparison of the console: `omsgw compare --json` run against this server, polled. */
static void test_compare_runs_in_the_background(void **state)
{
    (void)state;
    char *config = admin_config(NULL);
    th_omsgw process;
    int port = admin_start(&process, config);
    free(config);
    char *request = e2e_refresh_body("Location 1", 3, "CMP", 5);
    th_response response;
    assert_int_equal(admin_call(port, "POST", "/api/compare?tenant=12345", ADMIN_BEARER, request, &response), 0);
    if (response.status != 202)
        fail_msg("compare answered %ld: %s", response.status, response.body);
    json_object *started = th_json(&response);
    int id = json_object_get_int(json_object_object_get(started, "id"));
    json_object_put(started);
    th_response_free(&response);
    free(request);
    char path[64];
    snprintf(path, sizeof path, "/api/compare/%d", id);
    json_object *run = NULL;
    for (int waited = 0; waited < 60000; waited += 50) {
        run = admin_get_json(port, path);
        if (strcmp(json_object_get_string(json_object_object_get(run, "status")), "done") == 0)
            break;
        json_object_put(run);
        run = NULL;
        usleep(50000);
    }
    assert_non_null(run);
    if (json_object_get_int(json_object_object_get(run, "exitCode")) != 0)
        fail_msg("compare: %s", json_object_to_json_string(run));
    json_object *result = json_object_object_get(run, "result");
    assert_int_equal(json_object_get_int(json_object_object_get(result, "compared")), 3);
    assert_int_equal(json_object_get_int(json_object_object_get(result, "different")), 0);
    json_object *row = json_object_array_get_idx(json_object_object_get(result, "rows"), 0);
    assert_true(json_object_get_boolean(json_object_object_get(row, "equal")));
    json_object_put(run);
    expect_bad_request(port, "POST", "/api/compare?tenant=999", "tenant");
    expect_bad_request(port, "POST", "/api/compare?tenant=12345", "body");
    expect_bad_request(port, "GET", "/api/compare/x", "id");
    assert_int_equal(admin_call(port, "GET", "/api/compare/777", ADMIN_BEARER, NULL, &response), 0);
    assert_int_equal(response.status, 404);
    th_response_free(&response);
    assert_int_equal(th_omsgw_stop(&process, SIGTERM, 10000), 0);
    th_omsgw_cleanup(&process);
}

static void test_admin_config_errors(void **state)
{
    (void)state;
    /* An admin listener with no token, and --admin-port without an admin section, both say why. */
    th_omsgw process;
    th_omsgw_prepare(&process, NULL);
    const char *args[] = {"serve", "--config", process.config_path, "--data-dir", process.data_dir,
                          "--gateway-port", "0", "--oci-port", "0", "--admin-port", "18999", NULL};
    char *output = NULL;
    assert_int_equal(th_omsgw_run(args, &output), 2);
    assert_non_null(strstr(output, "field admin.tokens: at least one token is required"));
    free(output);
    th_omsgw_cleanup(&process);
    char *config = admin_config(NULL);
    char *typo = strstr(config, "\"admin\"");
    assert_non_null(typo);
    typo = strstr(typo, "\"tokens\"");
    assert_non_null(typo);
    memcpy(typo, "\"tokenz\"", 8);
    th_omsgw_prepare(&process, config);
    free(config);
    const char *args2[] = {"serve", "--config", process.config_path, "--data-dir", process.data_dir, NULL};
    assert_int_equal(th_omsgw_run(args2, &output), 2);
    if (!strstr(output, "field admin.tokenz: unknown field"))
        fail_msg("unexpected output: %s", output);
    free(output);
    th_omsgw_cleanup(&process);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_route_needs_the_token),
        cmocka_unit_test(test_login_form_and_session),
        cmocka_unit_test(test_api_lists_and_cancel),
        cmocka_unit_test(test_job_page_lists_refusals),
        cmocka_unit_test(test_core_views),
        cmocka_unit_test(test_compare_runs_in_the_background),
        cmocka_unit_test(test_admin_config_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
