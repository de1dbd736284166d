/*
 * test_gateway_errors.c - the legacy gateway's one error body (gateway/errors.c): the error writer
 * and its mapping of codes raised below the gateway, the 400 reply listing validation problems, and
 * the correlation id taken from x-vol-correlation or made up, echoed in the header and the body.
 *
 * The functions answer requests, so they are driven through a real cm_http_server on a free port
 * configured the way the gateway is (gw_error_writer, gw_before_request); every reply is parsed back
 * with json-c and checked member by member.
 */
#include "common/http_server.h"
#include "common/uuid.h"
#include "gateway/errors.h"
#include "gateway/limits.h"
#include "gateway/validate.h"
#include "tests/support/http_client.h"
#include "tests/support/test_support.h"

#include <json-c/json.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct servers {
    cm_http_server *gateway;      /* with gw_before_request, as the gateway runs */
    cm_http_server *no_before;    /* without it: gw_correlation_id has nothing to return */
    int gateway_port, no_before_port;
} servers;

static servers the_servers;

/* GET /error?status=…&code=…&message=…&field=…: replies through cm_http_reply_error, so through
 * gw_error_writer, with exactly the parameters given (absent code and field are passed as NULL). */
static void handle_error(cm_http_request *request, void *data)
{
    (void)data;
    const char *status = cm_http_query(request, "status");
    const char *message = cm_http_query(request, "message");
    cm_http_reply_error(request, status ? atoi(status) : 500, cm_http_query(request, "code"),
                        message ? message : "Boom.", cm_http_query(request, "field"));
}

/* GET /correlation: the id the handler sees, to compare with the header. */
static void handle_correlation(cm_http_request *request, void *data)
{
    (void)data;
    json_object *body = json_object_new_object();
    json_object_object_add(body, "id", json_object_new_string(gw_correlation_id(request)));
    cm_http_reply_json(request, 200, body);
}

/* A handler that forgets to answer: the server answers 500 through the error writer. */
static void handle_silent(cm_http_request *request, void *data)
{
    (void)request;
    (void)data;
}

static void handle_body(cm_http_request *request, void *data)
{
    (void)data;
    cm_http_reply_empty(request, 204);
}

static void add_problem(gw_problems *problems, const char *code, const char *field, const char *message)
{
    problems->total++;
    if (problems->count == GW_MAX_REPORTED_PROBLEMS)
        return;
    gw_problem *problem = &problems->list[problems->count++];
    problem->code = code;
    snprintf(problem->field, sizeof problem->field, "%s", field);
    snprintf(problem->message, sizeof problem->message, "%s", message);
}

/* GET /problems/{kind}: replies gw_reply_problems with a fixed list per kind. */
static void handle_problems(cm_http_request *request, void *data)
{
    (void)data;
    const char *kind = cm_http_param(request, "kind");
    gw_problems problems;
    memset(&problems, 0, sizeof problems);
    if (strcmp(kind, "one") == 0) {
        add_problem(&problems, "MISSING_REQUEST_DATA", "items[0].sku", "items[0].sku is required.");
    } else if (strcmp(kind, "missing") == 0) {
        add_problem(&problems, "MISSING_REQUEST_DATA", "locationName", "locationName is required.");
        add_problem(&problems, "MISSING_REQUEST_DATA", "items[2].quantity", "items[2].quantity is required.");
    } else if (strcmp(kind, "mixed") == 0) {
        add_problem(&problems, "MISSING_REQUEST_DATA", "locationName", "locationName is required.");
        add_problem(&problems, "INVALID_REQUEST_DATA", "items[17].quantity", "items[17].quantity must be a number.");
        add_problem(&problems, "MISSING_REQUEST_DATA", "items[18].sku", "items[18].sku is required.");
    } else if (strcmp(kind, "many") == 0) {
        /* More problems than are listed: the message gives both counts. */
        for (int i = 0; i < GW_MAX_REPORTED_PROBLEMS + 5; i++) {
            char field[32], message[64];
            snprintf(field, sizeof field, "items[%d].quantity", i);
            snprintf(message, sizeof message, "items[%d].quantity must be a number.", i);
            add_problem(&problems, "INVALID_REQUEST_DATA", field, message);
        }
    } else if (strcmp(kind, "no_field") == 0) {
        add_problem(&problems, "INVALID_REQUEST_DATA", "", "The body must be a JSON object.");
    }
    gw_reply_problems(request, &problems);
}

static const cm_http_route ROUTES[] = {
    {.match = {"GET", "/error"}, .handler = handle_error},
    {.match = {"GET", "/correlation"}, .handler = handle_correlation},
    {.match = {"GET", "/silent"}, .handler = handle_silent},
    {.match = {"POST", "/body"}, .handler = handle_body, .body_limit = 16},
    {.match = {"GET", "/problems/{kind}"}, .handler = handle_problems},
};

static cm_http_server *start(int with_before, int *port)
{
    cm_http_server_config server_config = {
        .name = "gateway",
        .bind_address = "127.0.0.1",
        .port = 0,
        .body_limit = 4096,
        .threads = 1,
        .connection_timeout_seconds = 10,
        .connection_limit = 16,
        .routes = ROUTES,
        .route_count = sizeof ROUTES / sizeof ROUTES[0],
        .error_writer = gw_error_writer,
        .before = with_before ? gw_before_request : NULL,
    };
    cm_http_server *server = NULL;
    char http_error[CM_HTTP_ERROR_MAX];
    if (cm_http_server_start(&server_config, &server, http_error) != CM_OK)
        fail_msg("server: %s", http_error);
    *port = cm_http_server_port(server);
    return server;
}

static int start_servers(void **state)
{
    (void)state;
    the_servers.gateway = start(1, &the_servers.gateway_port);
    the_servers.no_before = start(0, &the_servers.no_before_port);
    return 0;
}

static int stop_servers(void **state)
{
    (void)state;
    cm_http_server_stop(the_servers.gateway);
    cm_http_server_stop(the_servers.no_before);
    return 0;
}

/* Sends a request to the gateway-like server; `correlation` is the x-vol-correlation header to send
 * (NULL: none). */
static void send_request(int port, const char *method, const char *path, const char *correlation,
                         const char *body, th_response *response)
{
    char url[1024], line[256];
    const char *headers[2] = {NULL, NULL};
    if (correlation) {
        snprintf(line, sizeof line, "x-vol-correlation: %s", correlation);
        headers[0] = line;
    }
    th_url(url, sizeof url, port, path);
    assert_int_equal(th_http(method, url, headers, body, body ? strlen(body) : 0, response), 0);
}

static const char *string_member(json_object *object, const char *name)
{
    json_object *value = NULL;
    if (!json_object_object_get_ex(object, name, &value) || !json_object_is_type(value, json_type_string))
        fail_msg("member \"%s\" is missing or not a string", name);
    return json_object_get_string(value);
}

static json_object *array_member(json_object *object, const char *name)
{
    json_object *value = NULL;
    if (!json_object_object_get_ex(object, name, &value) || !json_object_is_type(value, json_type_array))
        fail_msg("member \"%s\" is missing or not an array", name);
    return value;
}

/*
 * Checks the members every error body has, in decisions.md's shape, and that it has no others:
 * error (the reason phrase), message, errorCode, applicationName, correlationId, items and an empty
 * additionalErrorData. Returns the parsed body (the caller puts it).
 */
static json_object *expect_error_body(const th_response *response, int status, const char *code,
                                      const char *message, const char *correlation_id)
{
    assert_int_equal(response->status, status);
    json_object *body = th_json(response);
    assert_non_null(body);
    assert_int_equal(json_object_object_length(body), 7);
    assert_string_equal(string_member(body, "error"), cm_http_reason(status));
    assert_string_equal(string_member(body, "errorCode"), code);
    if (message)
        assert_string_equal(string_member(body, "message"), message);
    assert_string_equal(string_member(body, "applicationName"), "omsgw");
    assert_string_equal(string_member(body, "correlationId"), correlation_id);
    array_member(body, "items");
    assert_int_equal(json_object_array_length(array_member(body, "additionalErrorData")), 0);
    return body;
}

/* Checks one items[] entry: errorCode, message and additionalErrorData naming `field` (or empty
 * when field is NULL). */
static void expect_item(json_object *item, const char *code, const char *message, const char *field)
{
    assert_int_equal(json_object_object_length(item), 3);
    assert_string_equal(string_member(item, "errorCode"), code);
    assert_string_equal(string_member(item, "message"), message);
    json_object *details = array_member(item, "additionalErrorData");
    if (!field) {
        assert_int_equal(json_object_array_length(details), 0);
        return;
    }
    assert_int_equal(json_object_array_length(details), 1);
    json_object *detail = json_object_array_get_idx(details, 0);
    assert_int_equal(json_object_object_length(detail), 2);
    assert_string_equal(string_member(detail, "name"), "field");
    assert_string_equal(string_member(detail, "value"), field);
}

/* Sends GET `path` with a known correlation id and checks the error body; returns the body. */
static json_object *error_reply(const char *path, int status, const char *code, const char *message)
{
    th_response response;
    send_request(the_servers.gateway_port, "GET", path, "test-id", NULL, &response);
    json_object *body = expect_error_body(&response, status, code, message, "test-id");
    th_response_free(&response);
    return body;
}

static int is_uuid_text(const char *text)
{
    if (strlen(text) != CM_UUID_TEXT_LEN)
        return 0;
    for (size_t i = 0; i < CM_UUID_TEXT_LEN; i++) {
        int dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? text[i] != '-' : !strchr("0123456789abcdef", text[i]))
            return 0;
    }
    return 1;
}

/* ---- gw_error_writer ---- */

static void test_error_with_field_lists_one_item_naming_it(void **state)
{
    (void)state;
    json_object *body = error_reply("/error?status=400&code=INVALID_REQUEST_DATA&message=Bad."
                                    "&field=items%5B17%5D.quantity",
                                    400, "INVALID_REQUEST_DATA", "Bad.");
    json_object *items = array_member(body, "items");
    assert_int_equal(json_object_array_length(items), 1);
    expect_item(json_object_array_get_idx(items, 0), "INVALID_REQUEST_DATA", "Bad.", "items[17].quantity");
    json_object_put(body);
}

static void test_error_without_field_has_no_items(void **state)
{
    (void)state;
    json_object *body = error_reply("/error?status=401&code=UNAUTHORIZED&message=No.", 401, "UNAUTHORIZED", "No.");
    assert_int_equal(json_object_array_length(array_member(body, "items")), 0);
    json_object_put(body);
    /* An empty field is no field. */
    body = error_reply("/error?status=401&code=UNAUTHORIZED&message=No.&field=", 401, "UNAUTHORIZED", "No.");
    assert_int_equal(json_object_array_length(array_member(body, "items")), 0);
    json_object_put(body);
}

static void test_codes_of_other_statuses_pass_through(void **state)
{
    (void)state;
    json_object *body = error_reply("/error?status=409&code=JOB_CONFLICT&message=Busy.", 409, "JOB_CONFLICT", "Busy.");
    json_object_put(body);
    body = error_reply("/error?status=429&code=TOO_MANY_REQUESTS&message=Slow.", 429, "TOO_MANY_REQUESTS", "Slow.");
    json_object_put(body);
}

static void test_missing_code_becomes_unexpected_error(void **state)
{
    (void)state;
    json_object *body = error_reply("/error?status=400&message=Odd.", 400, "UNEXPECTED_ERROR", "Odd.");
    json_object_put(body);
}

static void test_statuses_raised_below_the_gateway_get_legacy_codes(void **state)
{
    (void)state;
    /* 404: only the server's generic NOT_FOUND is renamed; a handler's own 404 code is kept. */
    json_object *body = error_reply("/error?status=404&code=NOT_FOUND&message=Gone.", 404, "ITEM_NOT_FOUND", "Gone.");
    json_object_put(body);
    body = error_reply("/error?status=404&code=JOB_NOT_FOUND&message=Gone.", 404, "JOB_NOT_FOUND", "Gone.");
    json_object_put(body);
    /* 405, 413 and 500 have one code each, whatever was raised. */
    body = error_reply("/error?status=405&code=X&message=M.", 405, "METHOD_NOT_ALLOWED", "M.");
    json_object_put(body);
    body = error_reply("/error?status=413&code=X&message=M.", 413, "PAYLOAD_TOO_LARGE", "M.");
    json_object_put(body);
    body = error_reply("/error?status=500&code=X&message=M.", 500, "UNEXPECTED_ERROR", "M.");
    json_object_put(body);
    /* 503: SYSTEM_MAINTENANCE, which a handler may also raise by name. */
    body = error_reply("/error?status=503&code=OUT_OF_MEMORY&message=M.", 503, "SYSTEM_MAINTENANCE", "M.");
    json_object_put(body);
    body = error_reply("/error?status=503&code=SYSTEM_MAINTENANCE&message=M.", 503, "SYSTEM_MAINTENANCE", "M.");
    json_object_put(body);
}

static void test_mapped_code_is_also_the_items_code(void **state)
{
    (void)state;
    json_object *body =
        error_reply("/error?status=413&code=X&message=Big.&field=items", 413, "PAYLOAD_TOO_LARGE", "Big.");
    json_object *items = array_member(body, "items");
    assert_int_equal(json_object_array_length(items), 1);
    expect_item(json_object_array_get_idx(items, 0), "PAYLOAD_TOO_LARGE", "Big.", "items");
    json_object_put(body);
}

static void test_server_errors_use_the_legacy_body(void **state)
{
    (void)state;
    /* No such route. */
    json_object *body = error_reply("/nowhere", 404, "ITEM_NOT_FOUND", "No such route.");
    json_object_put(body);
    /* A known path with another method. */
    th_response response;
    send_request(the_servers.gateway_port, "DELETE", "/correlation", "test-id", NULL, &response);
    body = expect_error_body(&response, 405, "METHOD_NOT_ALLOWED", "Method DELETE is not allowed here; allowed: GET.",
                             "test-id");
    json_object_put(body);
    th_response_free(&response);
    /* A body over the route's limit of 16 bytes. */
    send_request(the_servers.gateway_port, "POST", "/body", "test-id", "{\"way\":\"too long for it\"}", &response);
    body = expect_error_body(&response, 413, "PAYLOAD_TOO_LARGE", "The body is 25 bytes; the limit is 16 bytes.",
                             "test-id");
    json_object_put(body);
    th_response_free(&response);
    /* A handler that did not answer. */
    body = error_reply("/silent", 500, "UNEXPECTED_ERROR", "The request could not be handled.");
    json_object_put(body);
}

/* ---- gw_reply_problems ---- */

static json_object *problems_reply(const char *kind, const char *code, const char *message)
{
    char path[64];
    snprintf(path, sizeof path, "/problems/%s", kind);
    return error_reply(path, 400, code, message);
}

static void test_single_problem_is_the_message_and_the_code(void **state)
{
    (void)state;
    json_object *body = problems_reply("one", "MISSING_REQUEST_DATA", "items[0].sku is required.");
    json_object *items = array_member(body, "items");
    assert_int_equal(json_object_array_length(items), 1);
    expect_item(json_object_array_get_idx(items, 0), "MISSING_REQUEST_DATA", "items[0].sku is required.",
                "items[0].sku");
    json_object_put(body);
}

static void test_only_missing_problems_keep_missing_as_the_code(void **state)
{
    (void)state;
    json_object *body =
        problems_reply("missing", "MISSING_REQUEST_DATA", "The request has 2 problems, listed in items.");
    json_object *items = array_member(body, "items");
    assert_int_equal(json_object_array_length(items), 2);
    expect_item(json_object_array_get_idx(items, 0), "MISSING_REQUEST_DATA", "locationName is required.",
                "locationName");
    expect_item(json_object_array_get_idx(items, 1), "MISSING_REQUEST_DATA", "items[2].quantity is required.",
                "items[2].quantity");
    json_object_put(body);
}

static void test_one_invalid_problem_makes_the_whole_request_invalid(void **state)
{
    (void)state;
    /* The first problem is MISSING, but the request as a whole is INVALID; each item keeps its own
     * code, in the order found. */
    json_object *body = problems_reply("mixed", "INVALID_REQUEST_DATA", "The request has 3 problems, listed in items.");
    json_object *items = array_member(body, "items");
    assert_int_equal(json_object_array_length(items), 3);
    expect_item(json_object_array_get_idx(items, 0), "MISSING_REQUEST_DATA", "locationName is required.",
                "locationName");
    expect_item(json_object_array_get_idx(items, 1), "INVALID_REQUEST_DATA", "items[17].quantity must be a number.",
                "items[17].quantity");
    expect_item(json_object_array_get_idx(items, 2), "MISSING_REQUEST_DATA", "items[18].sku is required.",
                "items[18].sku");
    json_object_put(body);
}

static void test_more_problems_than_listed_gives_both_counts(void **state)
{
    (void)state;
    char message[128];
    snprintf(message, sizeof message, "The request has %d problems; the first %d are listed in items.",
             GW_MAX_REPORTED_PROBLEMS + 5, GW_MAX_REPORTED_PROBLEMS);
    json_object *body = problems_reply("many", "INVALID_REQUEST_DATA", message);
    json_object *items = array_member(body, "items");
    assert_int_equal(json_object_array_length(items), GW_MAX_REPORTED_PROBLEMS);
    expect_item(json_object_array_get_idx(items, 0), "INVALID_REQUEST_DATA", "items[0].quantity must be a number.",
                "items[0].quantity");
    char last_field[32], last_message[64];
    snprintf(last_field, sizeof last_field, "items[%d].quantity", GW_MAX_REPORTED_PROBLEMS - 1);
    snprintf(last_message, sizeof last_message, "items[%d].quantity must be a number.", GW_MAX_REPORTED_PROBLEMS - 1);
    expect_item(json_object_array_get_idx(items, GW_MAX_REPORTED_PROBLEMS - 1), "INVALID_REQUEST_DATA",
                last_message, last_field);
    json_object_put(body);
}

static void test_problem_without_field_has_no_field_detail(void **state)
{
    (void)state;
    json_object *body = problems_reply("no_field", "INVALID_REQUEST_DATA", "The body must be a JSON object.");
    json_object *items = array_member(body, "items");
    assert_int_equal(json_object_array_length(items), 1);
    expect_item(json_object_array_get_idx(items, 0), "INVALID_REQUEST_DATA", "The body must be a JSON object.", NULL);
    json_object_put(body);
}

/* ---- correlation ids ---- */

/* Sends GET /correlation with `given` and returns the header the reply carries, after checking the
 * handler saw the same id. */
static void correlation_of(const char *given, char *out, size_t size)
{
    th_response response;
    send_request(the_servers.gateway_port, "GET", "/correlation", given, NULL, &response);
    assert_int_equal(response.status, 200);
    assert_int_equal(th_header(&response, "x-vol-correlation", out, size), 0);
    json_object *body = th_json(&response);
    assert_non_null(body);
    assert_string_equal(string_member(body, "id"), out);
    json_object_put(body);
    th_response_free(&response);
}

static void test_usable_correlation_id_is_kept(void **state)
{
    (void)state;
    char id[128];
    correlation_of("abc-DEF_123.xyz", id, sizeof id);
    assert_string_equal(id, "abc-DEF_123.xyz");
    correlation_of("a", id, sizeof id);
    assert_string_equal(id, "a");
    /* Exactly the maximum length is still usable. */
    char longest[GW_MAX_CORRELATION_ID + 1];
    memset(longest, 'x', GW_MAX_CORRELATION_ID);
    longest[GW_MAX_CORRELATION_ID] = '\0';
    correlation_of(longest, id, sizeof id);
    assert_string_equal(id, longest);
}

static void test_unusable_correlation_id_is_replaced_by_a_uuid(void **state)
{
    (void)state;
    char too_long[GW_MAX_CORRELATION_ID + 2];
    memset(too_long, 'x', GW_MAX_CORRELATION_ID + 1);
    too_long[GW_MAX_CORRELATION_ID + 1] = '\0';
    const char *const unusable[] = {too_long, "has/slash", "has;semicolon", "quote\"d", "star*", NULL};
    char id[128], previous[128] = "";
    for (size_t i = 0; unusable[i]; i++) {
        correlation_of(unusable[i], id, sizeof id);
        if (!is_uuid_text(id))
            fail_msg("\"%s\" gave \"%s\", not a UUID", unusable[i], id);
        /* A new id per request, not a fixed fallback. */
        assert_string_not_equal(id, previous);
        snprintf(previous, sizeof previous, "%s", id);
    }
    /* No header at all: a new id too. */
    correlation_of(NULL, id, sizeof id);
    assert_true(is_uuid_text(id));
    assert_string_not_equal(id, previous);
}

static void test_error_body_and_header_carry_the_same_id(void **state)
{
    (void)state;
    th_response response;
    send_request(the_servers.gateway_port, "GET", "/nowhere", NULL, NULL, &response);
    char header[128];
    assert_int_equal(th_header(&response, "x-vol-correlation", header, sizeof header), 0);
    assert_true(is_uuid_text(header));
    json_object *body = expect_error_body(&response, 404, "ITEM_NOT_FOUND", "No such route.", header);
    json_object_put(body);
    th_response_free(&response);
}

static void test_correlation_id_is_empty_without_the_before_hook(void **state)
{
    (void)state;
    th_response response;
    send_request(the_servers.no_before_port, "GET", "/correlation", "given-id", NULL, &response);
    assert_int_equal(response.status, 200);
    char header[128];
    assert_int_equal(th_header(&response, "x-vol-correlation", header, sizeof header), -1);
    json_object *body = th_json(&response);
    assert_string_equal(string_member(body, "id"), "");
    json_object_put(body);
    th_response_free(&response);
    /* The error writer still writes a whole body, with an empty id. */
    send_request(the_servers.no_before_port, "GET", "/error?status=409&code=C&message=M.", "given-id", NULL, &response);
    body = expect_error_body(&response, 409, "C", "M.", "");
    json_object_put(body);
    th_response_free(&response);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_with_field_lists_one_item_naming_it),
        cmocka_unit_test(test_error_without_field_has_no_items),
        cmocka_unit_test(test_codes_of_other_statuses_pass_through),
        cmocka_unit_test(test_missing_code_becomes_unexpected_error),
        cmocka_unit_test(test_statuses_raised_below_the_gateway_get_legacy_codes),
        cmocka_unit_test(test_mapped_code_is_also_the_items_code),
        cmocka_unit_test(test_server_errors_use_the_legacy_body),
        cmocka_unit_test(test_single_problem_is_the_message_and_the_code),
        cmocka_unit_test(test_only_missing_problems_keep_missing_as_the_code),
        cmocka_unit_test(test_one_invalid_problem_makes_the_whole_request_invalid),
        cmocka_unit_test(test_more_problems_than_listed_gives_both_counts),
        cmocka_unit_test(test_problem_without_field_has_no_field_detail),
        cmocka_unit_test(test_usable_correlation_id_is_kept),
        cmocka_unit_test(test_unusable_correlation_id_is_replaced_by_a_uuid),
        cmocka_unit_test(test_error_body_and_header_carry_the_same_id),
        cmocka_unit_test(test_correlation_id_is_empty_without_the_before_hook),
    };
    return cmocka_run_group_tests(tests, start_servers, stop_servers);
}
