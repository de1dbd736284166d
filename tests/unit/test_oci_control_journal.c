/*
 * test_oci_control_journal.c - the request journal of the control plane (oci_core/control_journal.c:
 * oci_control_after, GET and DELETE /_omsgw/requests, oci_journal_free_all) on a core served in
 * this process with a small ring: the ring keeps the newest journalSize entries and lists them
 * newest first; control calls and /healthz are not journaled; every field of an entry (method,
 * path, the query as sent, status, organization from the route or the path, correlation id, the
 * fault that fired, the body when journalBodies is on, cut at 64 KiB and marked); the limit, route
 * and status filters and their refusals; emptying the journal (entries afterwards only, not even
 * a request that arrived before the DELETE and ended after it).
 */
#include "tests/support/test_support.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/json_util.h"
#include "oci_core/control_internal.h"
#include "oci_core/core_internal.h"
#include "tests/support/http_client.h"
#include "tests/support/oci_inproc.h"

#define CTL_TOKEN "ctl-token-1234"
#define ORG "org1"
#define AVAIL "/inventory/availability/v1/organizations/" ORG
#define GET_AVAILABILITY AVAIL "/availability-records/actions/get-availability"
#define JOURNAL_SIZE 4
#define CONFIG(bodies)                                                                                           \
    "{\"oci\":{\"port\":0,\"control\":{\"token\":\"" CTL_TOKEN "\",\"journalSize\":4,\"journalBodies\":" bodies  \
    "},\"organizations\":[{\"id\":\"" ORG "\",\"tokens\":[{\"token\":\"avail-token\",\"scopes\":"               \
    "[\"sfcc.inventory.availability\"]}]}]}}"

static int setup_with(void **state, const char *config)
{
    th_oci *oci = calloc(1, sizeof *oci);
    assert_non_null(oci);
    th_oci_start(oci, config);
    *state = oci;
    return 0;
}

static int setup(void **state)
{
    return setup_with(state, CONFIG("true"));
}

static int setup_without_bodies(void **state)
{
    return setup_with(state, CONFIG("false"));
}

static int teardown(void **state)
{
    th_oci *oci = *state;
    th_oci_stop(oci);
    free(oci);
    return 0;
}

/* One request to the OCI port; returns its status (0 when the connection was dropped). */
static long send_request(th_oci *oci, const char *method, const char *path, const char *const *headers,
                         const char *body, size_t body_length)
{
    char url[512];
    th_url(url, sizeof url, oci->port, path);
    th_response response;
    th_http(method, url, headers, body, body_length, &response);
    long status = response.status;
    th_response_free(&response);
    return status;
}

static json_object *ctl(th_oci *oci, const char *method, const char *path, long status)
{
    char url[1024];
    th_url(url, sizeof url, oci->port, path);
    const char *headers[] = {"Authorization: Bearer " CTL_TOKEN, NULL};
    th_response response;
    assert_int_equal(th_http(method, url, headers, NULL, 0, &response), 0);
    if (response.status != status)
        fail_msg("%s %s: %ld, expected %ld: %s", method, path, response.status, status, response.body);
    json_object *json = response.body_length ? th_json(&response) : NULL;
    th_response_free(&response);
    return json;
}

/* GET /_omsgw/requests<query>: the list (owned by *reply, which the caller puts). */
static json_object *journal(th_oci *oci, const char *query, json_object **reply)
{
    char path[800];
    snprintf(path, sizeof path, "/_omsgw/requests%s", query);
    *reply = ctl(oci, "GET", path, 200);
    json_object *list = NULL;
    assert_int_equal(cm_json_array(*reply, "requests", &list), CM_JSON_OK);
    return list;
}

static const char *field(json_object *entry, const char *key)
{
    json_object *value = NULL;
    if (!json_object_object_get_ex(entry, key, &value))
        fail_msg("no %s in %s", key, json_object_to_json_string(entry));
    return value ? json_object_get_string(value) : NULL;
}

static int64_t number(json_object *entry, const char *key)
{
    int64_t value = 0;
    assert_int_equal(cm_json_int64(entry, key, &value), CM_JSON_OK);
    return value;
}

static size_t used(th_oci *oci)
{
    pthread_mutex_lock(&oci->core->control->lock);
    size_t count = oci->core->control->journal_used;
    pthread_mutex_unlock(&oci->core->control->lock);
    return count;
}

static void test_ring_keeps_the_newest_entries(void **state)
{
    th_oci *oci = *state;
    assert_int_equal(used(oci), 0);
    for (int i = 1; i <= 6; i++) {
        char path[64];
        snprintf(path, sizeof path, "/inventory/n%d", i);
        assert_int_equal(send_request(oci, "GET", path, NULL, NULL, 0), 404);
    }
    assert_int_equal(used(oci), JOURNAL_SIZE);
    json_object *reply = NULL;
    json_object *list = journal(oci, "", &reply);
    assert_int_equal(json_object_array_length(list), JOURNAL_SIZE);
    /* Newest first, across the ring's wrap. */
    for (int i = 0; i < JOURNAL_SIZE; i++) {
        char path[64];
        snprintf(path, sizeof path, "/inventory/n%d", 6 - i);
        assert_string_equal(field(json_object_array_get_idx(list, (size_t)i), "path"), path);
    }
    int64_t newest = number(json_object_array_get_idx(list, 0), "seq");
    int64_t oldest = number(json_object_array_get_idx(list, JOURNAL_SIZE - 1), "seq");
    assert_true(newest > oldest);
    json_object_put(reply);
    /* limit: 1..journalSize. */
    list = journal(oci, "?limit=1", &reply);
    assert_int_equal(json_object_array_length(list), 1);
    assert_string_equal(field(json_object_array_get_idx(list, 0), "path"), "/inventory/n6");
    json_object_put(reply);
    list = journal(oci, "?limit=4", &reply);
    assert_int_equal(json_object_array_length(list), 4);
    json_object_put(reply);
    static const char *const BAD_LIMITS[] = {"?limit=0", "?limit=5", "?limit=", "?limit=2x", "?limit=-1",
                                             "?limit=99999999999999999999"};
    for (size_t i = 0; i < sizeof BAD_LIMITS / sizeof BAD_LIMITS[0]; i++) {
        char path[128];
        snprintf(path, sizeof path, "/_omsgw/requests%s", BAD_LIMITS[i]);
        json_object *error = ctl(oci, "GET", path, 400);
        assert_string_equal(field(error, "error"), "InvalidParameter");
        assert_string_equal(field(error, "field"), "limit");
        assert_non_null(strstr(field(error, "message"), "1..4"));
        json_object_put(error);
    }
    /* The journal's own reads were not journaled. */
    assert_string_equal(field(json_object_array_get_idx(journal(oci, "", &reply), 0), "path"), "/inventory/n6");
    json_object_put(reply);
}

static void test_what_is_not_journaled(void **state)
{
    th_oci *oci = *state;
    assert_int_equal(send_request(oci, "GET", "/healthz", NULL, NULL, 0), 200);
    json_object_put(ctl(oci, "GET", "/_omsgw/health", 200));
    json_object_put(ctl(oci, "GET", "/_omsgw/nowhere", 404));
    assert_int_equal(send_request(oci, "GET", "/_omsgw/health", NULL, NULL, 0), 401); /* no token: still control */
    assert_int_equal(send_request(oci, "GET", "/_omsgw", NULL, NULL, 0), 401);        /* the prefix itself */
    assert_int_equal(used(oci), 0);
    json_object *reply = NULL;
    assert_int_equal(json_object_array_length(journal(oci, "", &reply)), 0);
    json_object_put(reply);
}

static void test_entry_fields(void **state)
{
    th_oci *oci = *state;
    const char *headers[] = {"correlation-id: c-42", NULL};
    const char *auth[] = {"Authorization: Bearer avail-token", "Content-Type: application/json", NULL};
    const char *body = "{\"not\":\"a query\"}";
    /* An unknown route of an organization: its organization comes from the path (its body is never
     * read: the server answers 404 first). */
    assert_int_equal(
        send_request(oci, "GET", "/inventory/x/v1/organizations/someorg/thing?b=2&a=1&c=x%26y%3Dz&d=%20+", headers,
                     NULL, 0),
        404);
    /* A known route: the route's organization, the body it read, no query, no correlation id. */
    assert_int_equal(send_request(oci, "POST", GET_AVAILABILITY, auth, body, strlen(body)), 400);
    assert_int_equal(send_request(oci, "DELETE", "/inventory/plain", NULL, NULL, 0), 404);
    json_object *reply = NULL;
    json_object *list = journal(oci, "", &reply);
    assert_int_equal(json_object_array_length(list), 3);
    json_object *plain = json_object_array_get_idx(list, 0), *known = json_object_array_get_idx(list, 1),
                *first = json_object_array_get_idx(list, 2);
    assert_string_equal(field(first, "method"), "GET");
    assert_string_equal(field(first, "path"), "/inventory/x/v1/organizations/someorg/thing");
    /* The query as sent, encoding included (decoded, x%26y would read as two parameters). */
    assert_string_equal(field(first, "query"), "b=2&a=1&c=x%26y%3Dz&d=%20+");
    assert_int_equal(number(first, "status"), 404);
    assert_string_equal(field(first, "organization"), "someorg");
    assert_string_equal(field(first, "correlationId"), "c-42");
    assert_string_equal(field(first, "body"), "");
    assert_null(field(first, "fault"));
    assert_null(json_object_object_get(first, "bodyTruncated"));
    assert_true(json_object_is_type(json_object_object_get(first, "latencyMs"), json_type_int));
    assert_true(number(first, "latencyMs") >= 0);
    int64_t at = 0;
    const char *at_text = field(first, "at");
    assert_non_null(at_text);
    assert_int_equal(cm_time_parse(at_text, &at), 0);
    assert_string_equal(field(known, "method"), "POST");
    assert_string_equal(field(known, "organization"), ORG);
    assert_int_equal(number(known, "status"), 400);
    assert_null(field(known, "query"));
    assert_null(field(known, "correlationId"));
    assert_string_equal(field(known, "body"), body);
    assert_string_equal(field(plain, "method"), "DELETE");
    assert_null(field(plain, "organization"));
    json_object_put(reply);

    /* The rule that fired, and a dropped connection (status 0). */
    char url[256];
    th_url(url, sizeof url, oci->port, "/_omsgw/faults");
    const char *ctl_headers[] = {"Authorization: Bearer " CTL_TOKEN, "Content-Type: application/json", NULL};
    th_response response;
    const char *rule = "{\"route\":\"/inventory/faulty\",\"status\":503}";
    assert_int_equal(th_http("POST", url, ctl_headers, rule, strlen(rule), &response), 0);
    assert_int_equal(response.status, 201);
    th_response_free(&response);
    rule = "{\"route\":\"/inventory/dropped\",\"drop\":true}";
    assert_int_equal(th_http("POST", url, ctl_headers, rule, strlen(rule), &response), 0);
    th_response_free(&response);
    assert_int_equal(send_request(oci, "GET", "/inventory/faulty", NULL, NULL, 0), 503);
    assert_int_equal(send_request(oci, "GET", "/inventory/dropped", NULL, NULL, 0), 0);
    list = journal(oci, "?limit=2", &reply);
    assert_string_equal(field(json_object_array_get_idx(list, 1), "fault"), "f-1");
    assert_int_equal(number(json_object_array_get_idx(list, 1), "status"), 503);
    assert_string_equal(field(json_object_array_get_idx(list, 0), "fault"), "f-2");
    assert_int_equal(number(json_object_array_get_idx(list, 0), "status"), 0);
    json_object_put(reply);
    list = journal(oci, "?status=0", &reply);
    assert_int_equal(json_object_array_length(list), 1);
    assert_string_equal(field(json_object_array_get_idx(list, 0), "path"), "/inventory/dropped");
    json_object_put(reply);
}

static void test_bodies_are_cut_at_64_kib(void **state)
{
    th_oci *oci = *state;
    size_t length = OCI_JOURNAL_BODY_MAX + 100;
    char *body = malloc(length);
    assert_non_null(body);
    memset(body, 'x', length);
    const char *headers[] = {"Authorization: Bearer avail-token", "Content-Type: application/json", NULL};
    long status = send_request(oci, "POST", GET_AVAILABILITY, headers, body, length);
    assert_int_equal(status, 400);
    /* Exactly the limit: kept whole. */
    status = send_request(oci, "POST", GET_AVAILABILITY, headers, body, OCI_JOURNAL_BODY_MAX);
    assert_int_equal(status, 400);
    free(body);
    json_object *reply = NULL;
    json_object *list = journal(oci, "", &reply);
    assert_int_equal(json_object_array_length(list), 2);
    json_object *whole = json_object_array_get_idx(list, 0), *cut = json_object_array_get_idx(list, 1);
    assert_int_equal(strlen(field(cut, "body")), OCI_JOURNAL_BODY_MAX);
    assert_true(json_object_get_boolean(json_object_object_get(cut, "bodyTruncated")));
    assert_int_equal(strlen(field(whole, "body")), OCI_JOURNAL_BODY_MAX);
    assert_null(json_object_object_get(whole, "bodyTruncated"));
    json_object_put(reply);
}

static void test_without_bodies(void **state)
{
    th_oci *oci = *state;
    assert_int_equal(send_request(oci, "POST", "/inventory/x", NULL, "abc", 3), 404);
    json_object *reply = NULL;
    json_object *list = journal(oci, "", &reply);
    assert_int_equal(json_object_array_length(list), 1);
    json_object *entry = json_object_array_get_idx(list, 0);
    assert_false(json_object_object_get_ex(entry, "body", NULL));
    assert_false(json_object_object_get_ex(entry, "bodyTruncated", NULL));
    json_object_put(reply);
    pthread_mutex_lock(&oci->core->control->lock);
    assert_null(oci->core->control->journal[0].body);
    pthread_mutex_unlock(&oci->core->control->lock);
}

static size_t count_of(th_oci *oci, const char *query)
{
    json_object *reply = NULL;
    size_t count = json_object_array_length(journal(oci, query, &reply));
    json_object_put(reply);
    return count;
}

static void test_filters(void **state)
{
    th_oci *oci = *state;
    const char *auth[] = {"Authorization: Bearer avail-token", "Content-Type: application/json", NULL};
    assert_int_equal(send_request(oci, "GET", "/inventory/a/one", NULL, NULL, 0), 404);
    assert_int_equal(send_request(oci, "POST", GET_AVAILABILITY, NULL, NULL, 0), 401);
    assert_int_equal(send_request(oci, "POST", GET_AVAILABILITY, auth, "{}", 2), 400);
    assert_int_equal(send_request(oci, "GET", "/inventory/b/two", NULL, NULL, 0), 404);
    assert_int_equal(count_of(oci, "?status=404"), 2);
    assert_int_equal(count_of(oci, "?status=401"), 1);
    assert_int_equal(count_of(oci, "?status=4xx"), 4);
    assert_int_equal(count_of(oci, "?status=4XX"), 4);
    assert_int_equal(count_of(oci, "?status=5xx"), 0);
    assert_int_equal(count_of(oci, "?status=200"), 0);
    assert_int_equal(count_of(oci, "?route=/inventory/a/*"), 1);
    assert_int_equal(count_of(oci, "?route=*/get-availability"), 2);
    assert_int_equal(count_of(oci, "?route=*"), 4);
    assert_int_equal(count_of(oci, "?route=*/get-availability&status=400"), 1);
    assert_int_equal(count_of(oci, "?route=/nothing"), 0);
    /* limit applies after the filters. */
    assert_int_equal(count_of(oci, "?status=4xx&limit=3"), 3);
    json_object *reply = NULL;
    json_object *list = journal(oci, "?status=404&limit=1", &reply);
    assert_string_equal(field(json_object_array_get_idx(list, 0), "path"), "/inventory/b/two");
    json_object_put(reply);
    /* Refusals. */
    static const char *const BAD_STATUS[] = {"?status=abc", "?status=6xx", "?status=0xx", "?status=600",
                                             "?status=-1",  "?status=",    "?status=4x",  "?status=4xxx"};
    for (size_t i = 0; i < sizeof BAD_STATUS / sizeof BAD_STATUS[0]; i++) {
        char path[128];
        snprintf(path, sizeof path, "/_omsgw/requests%s", BAD_STATUS[i]);
        json_object *error = ctl(oci, "GET", path, 400);
        assert_string_equal(field(error, "field"), "status");
        json_object_put(error);
    }
    char path[800];
    snprintf(path, sizeof path, "/_omsgw/requests?route=");
    json_object *error = ctl(oci, "GET", path, 400);
    assert_string_equal(field(error, "field"), "route");
    json_object_put(error);
    /* 512 characters of glob are taken, 513 are not. */
    char glob[OCI_FAULT_GLOB_MAX + 2];
    memset(glob, '*', sizeof glob);
    glob[OCI_FAULT_GLOB_MAX] = '\0';
    snprintf(path, sizeof path, "/_omsgw/requests?route=%s", glob);
    json_object_put(ctl(oci, "GET", path, 200));
    glob[OCI_FAULT_GLOB_MAX] = '*';
    glob[OCI_FAULT_GLOB_MAX + 1] = '\0';
    snprintf(path, sizeof path, "/_omsgw/requests?route=%s", glob);
    error = ctl(oci, "GET", path, 400);
    assert_string_equal(field(error, "field"), "route");
    json_object_put(error);
}

static void test_clear(void **state)
{
    th_oci *oci = *state;
    for (int i = 0; i < 3; i++)
        assert_int_equal(send_request(oci, "GET", "/inventory/before", NULL, NULL, 0), 404);
    json_object *reply = NULL;
    int64_t last_before = number(json_object_array_get_idx(journal(oci, "", &reply), 0), "seq");
    json_object_put(reply);
    json_object_put(ctl(oci, "DELETE", "/_omsgw/requests", 204));
    assert_int_equal(used(oci), 0);
    assert_int_equal(count_of(oci, ""), 0);
    /* After it: exactly the requests that arrived later, numbered on. */
    assert_int_equal(send_request(oci, "GET", "/inventory/after", NULL, NULL, 0), 404);
    json_object *list = journal(oci, "", &reply);
    assert_int_equal(json_object_array_length(list), 1);
    assert_string_equal(field(json_object_array_get_idx(list, 0), "path"), "/inventory/after");
    assert_true(number(json_object_array_get_idx(list, 0), "seq") > last_before);
    json_object_put(reply);
    json_object_put(ctl(oci, "DELETE", "/_omsgw/requests", 204));
    json_object_put(ctl(oci, "DELETE", "/_omsgw/requests", 204)); /* an empty journal: fine */
    assert_int_equal(count_of(oci, ""), 0);

    /* oci_journal_free_all empties the ring and frees every entry. */
    for (int i = 0; i < 6; i++)
        assert_int_equal(send_request(oci, "GET", "/inventory/again", NULL, NULL, 0), 404);
    oci_control *control = oci->core->control;
    pthread_mutex_lock(&control->lock);
    assert_int_equal(control->journal_used, JOURNAL_SIZE);
    oci_journal_free_all(control);
    assert_int_equal(control->journal_used, 0);
    assert_int_equal(control->journal_next, 0);
    for (size_t i = 0; i < control->journal_size; i++)
        assert_null(control->journal[i].path);
    pthread_mutex_unlock(&control->lock);
    assert_int_equal(count_of(oci, ""), 0);
    assert_int_equal(send_request(oci, "GET", "/inventory/last", NULL, NULL, 0), 404);
    assert_int_equal(count_of(oci, ""), 1);
}

typedef struct slow_request {
    th_oci *oci;
    long status;
} slow_request;

static void *send_slow(void *context)
{
    slow_request *slow = context;
    slow->status = send_request(slow->oci, "GET", "/inventory/slow", NULL, NULL, 0);
    return NULL;
}

static int64_t journal_seq(th_oci *oci)
{
    pthread_mutex_lock(&oci->core->control->lock);
    int64_t seq = oci->core->control->journal_seq;
    pthread_mutex_unlock(&oci->core->control->lock);
    return seq;
}

/* A request that arrived before the DELETE and ended after it belongs to the emptied journal. */
static void test_request_spanning_the_clear_is_not_kept(void **state)
{
    th_oci *oci = *state;
    char url[256];
    th_url(url, sizeof url, oci->port, "/_omsgw/faults");
    const char *headers[] = {"Authorization: Bearer " CTL_TOKEN, "Content-Type: application/json", NULL};
    const char *rule = "{\"route\":\"/inventory/slow\",\"latencyMs\":60000}";
    th_response response;
    assert_int_equal(th_http("POST", url, headers, rule, strlen(rule), &response), 0);
    assert_int_equal(response.status, 201);
    th_response_free(&response);
    assert_int_equal(send_request(oci, "GET", "/inventory/before", NULL, NULL, 0), 404);
    int64_t seq = journal_seq(oci);
    slow_request slow = {.oci = oci};
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, send_slow, &slow), 0);
    /* Until the slow request has arrived (numbered by the before hook, then held by its rule). */
    for (int i = 0; i < 2000 && journal_seq(oci) == seq; i++)
        cm_sleep_ms(5);
    assert_int_equal(journal_seq(oci), seq + 1);
    json_object_put(ctl(oci, "DELETE", "/_omsgw/requests", 204));
    /* Shutdown cuts the rule's delay short; the request then ends with its 404. */
    oci_control_shutdown(oci->core->control);
    assert_int_equal(pthread_join(thread, NULL), 0);
    assert_int_equal(slow.status, 404);
    assert_int_equal(count_of(oci, ""), 0);
    /* One that arrives after the DELETE is kept. */
    assert_int_equal(send_request(oci, "GET", "/inventory/later", NULL, NULL, 0), 404);
    json_object *reply = NULL;
    json_object *list = journal(oci, "", &reply);
    assert_int_equal(json_object_array_length(list), 1);
    assert_string_equal(field(json_object_array_get_idx(list, 0), "path"), "/inventory/later");
    json_object_put(reply);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ring_keeps_the_newest_entries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_what_is_not_journaled, setup, teardown),
        cmocka_unit_test_setup_teardown(test_entry_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bodies_are_cut_at_64_kib, setup, teardown),
        cmocka_unit_test_setup_teardown(test_without_bodies, setup_without_bodies, teardown),
        cmocka_unit_test_setup_teardown(test_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clear, setup, teardown),
        cmocka_unit_test_setup_teardown(test_request_spanning_the_clear_is_not_kept, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
