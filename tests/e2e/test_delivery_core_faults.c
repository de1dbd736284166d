/*
 * test_delivery_core_faults.c - the gateway's HTTP delivery against a real `omsgw oci-core` whose
 * control plane injects the faults (not a separate fake server): a 5xx burst on batch-update and
 * on the import submit, dropped connections, 429 with Retry-After, a 400, a stall past the
 * delivery timeout, and an import whose result file lists failures. Each job must end as
 * decisions.md says (SUCCESS, SUCCESS with success false naming the refused items, or FAILED with
 * the reason), and the core's request journal shows the calls the gateway made.
 */
#include "common/clock.h"
#include "common/json_util.h"
#include "tests/e2e/e2e_legacy.h"

#include <signal.h>

#define CTL_TOKEN "ctl-delivery-token"
#define ORG "f_ecom_demo_001"

typedef struct stack {
    th_omsgw core;    /* omsgw oci-core with the control plane */
    th_omsgw gateway; /* omsgw serve delivering over HTTP to it */
} stack;

static const char *const CTL_HEADERS[] = {"Authorization: Bearer " CTL_TOKEN, "Content-Type: application/json", NULL};

static json_object *control(stack *s, const char *method, const char *path, const char *body, long want)
{
    char url[512];
    th_url(url, sizeof url, s->core.oci_port, path);
    th_response response;
    assert_int_equal(th_http(method, url, CTL_HEADERS, body, body ? strlen(body) : 0, &response), 0);
    if (response.status != want)
        fail_msg("%s %s: %ld, wanted %ld: %s", method, path, response.status, want, response.body);
    json_object *json = response.body_length ? th_json(&response) : NULL;
    th_response_free(&response);
    return json;
}

static void add_fault(stack *s, const char *rule)
{
    json_object_put(control(s, "POST", "/_omsgw/faults", rule, 201));
}

static void clear_faults(stack *s)
{
    json_object_put(control(s, "DELETE", "/_omsgw/faults", NULL, 204));
}

/* The journal's entries for a route glob, newest first (caller puts). */
static json_object *journal(stack *s, const char *route)
{
    char path[256];
    snprintf(path, sizeof path, "/_omsgw/requests?limit=50&route=%s", route);
    json_object *json = control(s, "GET", path, NULL, 200);
    json_object *list = json_object_get(json_object_object_get(json, "requests"));
    json_object_put(json);
    return list;
}

static int entry_status(json_object *list, size_t index)
{
    return json_object_get_int(json_object_object_get(json_object_array_get_idx(list, index), "status"));
}

static int64_t entry_ms(json_object *list, size_t index)
{
    int64_t ms = 0;
    const char *at = json_object_get_string(json_object_object_get(json_object_array_get_idx(list, index), "at"));
    assert_int_equal(cm_time_parse(at, &ms), 0);
    return ms;
}

static void start_stack(stack *s, int timeout_seconds, int budget_seconds)
{
    th_omsgw_prepare(&s->core, NULL);
    const char *core_args[] = {"--set", "oci.control.token=" CTL_TOKEN, NULL};
    if (th_oci_core_launch(&s->core, core_args) != 0)
        fail_msg("omsgw oci-core did not start");

    char path[512];
    const char *source = getenv("OMSGW_SOURCE_DIR");
    snprintf(path, sizeof path, "%s/samples/omsgw.json", source ? source : ".");
    char *text = th_read_file(path, NULL);
    assert_non_null(text);
    json_object *config = json_tokener_parse(text);
    free(text);
    char url[128], token_url[192];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", s->core.oci_port);
    snprintf(token_url, sizeof token_url, "%s/dwsso/oauth2/access_token", url);
    json_object *delivery = json_object_new_object(), *oauth = json_object_new_object();
    json_object_object_add(delivery, "mode", json_object_new_string("http"));
    json_object_object_add(delivery, "baseUrl", json_object_new_string(url));
    json_object_object_add(delivery, "timeoutSeconds", json_object_new_int(timeout_seconds));
    json_object_object_add(oauth, "tokenUrl", json_object_new_string(token_url));
    json_object_object_add(oauth, "clientId", json_object_new_string("demo-client"));
    json_object_object_add(oauth, "clientSecret", json_object_new_string("demo-secret"));
    json_object_object_add(delivery, "oauth", oauth);
    json_object_object_add(config, "delivery", delivery);
    json_object_object_add(json_object_object_get(config, "queue"), "retryBudgetSeconds",
                           json_object_new_int(budget_seconds));
    th_omsgw_prepare(&s->gateway, json_object_to_json_string(config));
    json_object_put(config);
    s->gateway.oci_port = 0; /* --oci-port 0: the gateway's own core listener is not needed */
    if (th_omsgw_launch(&s->gateway, NULL) != 0)
        fail_msg("omsgw serve did not start");
}

static void stop_stack(stack *s)
{
    assert_int_equal(th_omsgw_stop(&s->gateway, SIGTERM, 10000), 0);
    assert_int_equal(th_omsgw_stop(&s->core, SIGTERM, 10000), 0);
    th_omsgw_cleanup(&s->gateway);
    th_omsgw_cleanup(&s->core);
}

static json_object *run_body(stack *s, const char *body)
{
    int64_t job_id = e2e_refresh(s->gateway.gateway_port, "/api/v5/inventory/refresh", DEMO_V5_KEY, body);
    return e2e_wait_job(s->gateway.gateway_port, "/api/v1/queue/", DEMO_V5_KEY, job_id, 60000);
}

static json_object *run_job(stack *s, size_t items, const char *prefix)
{
    char *body = e2e_refresh_body("Location 1", items, prefix, 1);
    json_object *job = run_body(s, body);
    free(body);
    return job;
}

static const char *job_status(json_object *job)
{
    return json_object_get_string(json_object_object_get(job, "status"));
}

static int job_success(json_object *job)
{
    return json_object_get_boolean(json_object_object_get(job, "success"));
}

static const char *job_messages(json_object *job)
{
    return json_object_to_json_string(json_object_object_get(job, "messages"));
}

/* One location figure from the core, read with the demo OCI token. */
static double on_hand(stack *s, const char *sku)
{
    char url[512], body[256];
    th_url(url, sizeof url, s->core.oci_port,
           "/inventory/availability/v1/organizations/" ORG "/availability-records/actions/get-availability");
    snprintf(body, sizeof body, "{\"skus\":[\"%s\"],\"locations\":[\"warehouse-1\"]}", sku);
    const char *headers[] = {"Authorization: Bearer demo-oci-token", "Content-Type: application/json", NULL};
    th_response response;
    assert_int_equal(th_http("POST", url, headers, body, strlen(body), &response), 0);
    assert_int_equal(response.status, 200);
    json_object *json = th_json(&response);
    th_response_free(&response);
    json_object *records = json_object_object_get(json_object_array_get_idx(json_object_object_get(json, "locations"), 0),
                                                  "records");
    double value = json_object_get_double(json_object_object_get(json_object_array_get_idx(records, 0), "onHand"));
    json_object_put(json);
    return value;
}

static void test_delivery_through_injected_faults(void **state)
{
    (void)state;
    stack s;
    start_stack(&s, 1, 3);

    /* A 5xx burst on batch-update: retried, SUCCESS; the journal shows 503, 503, then 200. */
    add_fault(&s, "{\"route\":\"*/availability-records/actions/batch-update\",\"status\":503,\"count\":2}");
    json_object *job = run_job(&s, 20, "A");
    assert_string_equal(job_status(job), "SUCCESS");
    assert_true(job_success(job));
    json_object_put(job);
    json_object *calls = journal(&s, "*/batch-update");
    assert_int_equal(json_object_array_length(calls), 3);
    assert_int_equal(entry_status(calls, 0), 204);
    assert_int_equal(entry_status(calls, 1), 503);
    assert_int_equal(entry_status(calls, 2), 503);
    json_object_put(calls);
    assert_true(on_hand(&s, "A-19") == 20);

    /* Dropped connections: retried, SUCCESS. */
    add_fault(&s, "{\"route\":\"*/batch-update\",\"drop\":true,\"count\":2}");
    job = run_job(&s, 20, "G");
    assert_string_equal(job_status(job), "SUCCESS");
    json_object_put(job);
    calls = journal(&s, "*/batch-update");
    assert_int_equal(entry_status(calls, 0), 204);
    assert_int_equal(entry_status(calls, 1), 0); /* no reply was sent */
    assert_int_equal(entry_status(calls, 2), 0);
    json_object_put(calls);

    /* 429 with Retry-After: 1: the retry waits at least that second. */
    add_fault(&s, "{\"route\":\"*/batch-update\",\"status\":429,\"retryAfter\":1,\"count\":1}");
    job = run_job(&s, 20, "B");
    assert_string_equal(job_status(job), "SUCCESS");
    json_object_put(job);
    calls = journal(&s, "*/batch-update");
    assert_int_equal(entry_status(calls, 0), 204);
    assert_int_equal(entry_status(calls, 1), 429);
    assert_true(entry_ms(calls, 0) - entry_ms(calls, 1) >= 1000);
    json_object_put(calls);

    /* A 5xx burst on the import submit (150 items go as an import): SUCCESS. */
    add_fault(&s, "{\"route\":\"*/availability-records/imports\",\"method\":\"POST\",\"status\":500,\"count\":2}");
    job = run_job(&s, 150, "I");
    assert_string_equal(job_status(job), "SUCCESS");
    assert_true(job_success(job));
    json_object_put(job);
    assert_true(on_hand(&s, "I-149") == 150);

    /* Partial failures in the import's result file: SUCCESS with success false, the refused named. */
    add_fault(&s, "{\"route\":\"*\",\"failImportLines\":\"FAIL-*\"}");
    cm_body body;
    cm_body_init(&body, 1 << 20);
    cm_body_appendf(&body, "{\"locationName\":\"Location 1\",\"items\":[");
    for (int i = 0; i < 150; i++)
        cm_body_appendf(&body, "%s{\"sku\":\"%s%d\",\"quantity\":%d}", i ? "," : "", i % 50 == 7 ? "FAIL-" : "D-", i, i);
    cm_body_appendf(&body, "]}");
    job = run_body(&s, body.data);
    cm_body_free(&body);
    assert_string_equal(job_status(job), "SUCCESS");
    assert_false(job_success(job));
    const char *messages = job_messages(job);
    assert_non_null(strstr(messages, "FAIL-7"));
    assert_non_null(strstr(messages, "FAIL-57"));
    assert_non_null(strstr(messages, "FAIL-107"));
    json_object *progress = json_object_object_get(job, "progress");
    assert_int_equal(json_object_get_int64(json_object_object_get(progress, "itemsFailed")), 3);
    assert_int_equal(json_object_get_int64(json_object_object_get(progress, "itemsApplied")), 147);
    json_object_put(job);
    assert_true(on_hand(&s, "D-8") == 8);
    assert_true(on_hand(&s, "FAIL-7") == 0);
    clear_faults(&s);

    /* 400 with OCI's body: FAILED at once, naming the status and the errorCode. */
    add_fault(&s, "{\"route\":\"*/batch-update\",\"status\":400,\"count\":1}");
    job = run_job(&s, 5, "E");
    assert_string_equal(job_status(job), "FAILED");
    assert_non_null(strstr(job_messages(job), "400 InvalidRequestParameter"));
    json_object_put(job);

    /* A stall past the 1 s timeout, every time: FAILED once the 3 s budget is spent. */
    add_fault(&s, "{\"route\":\"*/batch-update\",\"stallMs\":1500}");
    job = run_job(&s, 5, "F");
    assert_string_equal(job_status(job), "FAILED");
    assert_non_null(strstr(job_messages(job), "retry budget"));
    assert_non_null(strstr(job_messages(job), "no answer"));
    json_object_put(job);
    clear_faults(&s);
    stop_stack(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_delivery_through_injected_faults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
