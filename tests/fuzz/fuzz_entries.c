/*
 * fuzz_entries.c - the parsers under fuzzing, each behind one entry point (see fuzz_entries.h).
 */
#include "tests/fuzz/fuzz_entries.h"

#include "common/config.h"
#include "common/json_util.h"
#include "common/query.h"
#include "common/router.h"
#include "gateway/limits.h"
#include "gateway/validate.h"
#include "oci_core/fault_rule.h"
#include "gateway/validate_adjust.h"
#include "gateway/validate_inquiry.h"
#include "oci_core/import_parser.h"
#include "oci_core/multipart.h"
#include "oci_core/token_form.h"
#include "translate/chunk.h"
#include "common/jwt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Inputs larger than this are cut: the parsers' own limits are far below, and libFuzzer's default
 * maximum is 4 KiB anyway; the cut keeps replayed regression files from exhausting memory. */
#define FZ_MAX_INPUT (1024 * 1024)
#define FZ_MAX_OVERRIDES CM_CONFIG_MAX_OVERRIDES

/* Two tenants that take the validator down its different paths (mapped and derived locations,
 * default and changed identifier order). */
static const char FZ_TENANTS[] =
    "{\"oci\":{\"organizations\":[{\"id\":\"org1\"}]},"
    " \"tenants\":["
    "  {\"id\":1,\"apiKeys\":{\"v5\":\"k\"},\"organizationId\":\"org1\","
    "   \"locations\":{\"Location 1\":\"warehouse-1\",\"L\":\"l2\"}},"
    "  {\"id\":2,\"apiKeys\":{\"v5\":\"k\"},\"organizationId\":\"org1\",\"autoLocations\":true,"
    "   \"skuFrom\":[\"upc\",\"sku\"],\"floor\":\"sum\"}]}";

static cm_config *fz_tenant_config;

/* Breaks the run: a parser broke one of its promises. */
static void fz_broken(const char *what)
{
    fprintf(stderr, "fuzz: broken promise: %s\n", what);
    abort();
}

/* Aborts unless `text` is NUL-terminated within `size` bytes. */
static void fz_check_string(const char *text, size_t size, const char *what)
{
    if (memchr(text, '\0', size) == NULL)
        fz_broken(what);
}

/* A NUL-terminated copy of the bytes (caller frees), or NULL when out of memory. */
static char *fz_copy(const uint8_t *data, size_t size)
{
    char *copy = malloc(size + 1);
    if (!copy)
        return NULL;
    if (size)
        memcpy(copy, data, size);
    copy[size] = '\0';
    return copy;
}

static const cm_config *fz_tenants(void)
{
    if (!fz_tenant_config) {
        char error[CM_CONFIG_ERROR_MAX];
        if (cm_config_parse(FZ_TENANTS, strlen(FZ_TENANTS), "fuzz", ".", NULL, 0, &fz_tenant_config, error) != CM_OK)
            fz_broken(error);
    }
    return fz_tenant_config;
}

void fz_release(void)
{
    cm_config_free(fz_tenant_config);
    fz_tenant_config = NULL;
}

/* ---- refresh body ---- */

static void fz_validate_for(const json_object *root, const cm_tenant *tenant, gw_problems *problems)
{
    gw_refresh refresh;
    memset(&refresh, 0, sizeof refresh);
    cm_err rc = gw_validate_refresh(root, tenant, &refresh, problems);
    if (rc == CM_OK) {
        if (refresh.item_count == 0 || refresh.item_count > GW_MAX_REFRESH_ITEMS)
            fz_broken("a valid refresh with an item count outside 1..12000");
        fz_check_string(refresh.location_name, sizeof refresh.location_name, "location_name");
        fz_check_string(refresh.oci_location, sizeof refresh.oci_location, "oci_location");
        /* What the queue will store must parse back into exactly item_count items. */
        json_object *items = gw_refresh_items_json(&refresh);
        if (!items || json_object_array_length(items) != refresh.item_count)
            fz_broken("normalized items do not match item_count");
        json_object_put(items);
        gw_refresh_clear(&refresh);
    } else if (rc == CM_EINVAL) {
        if (problems->count == 0 || problems->count > GW_MAX_REPORTED_PROBLEMS || problems->total < problems->count)
            fz_broken("problem counts");
        for (size_t i = 0; i < problems->count; i++) {
            fz_check_string(problems->list[i].field, sizeof problems->list[i].field, "problem field");
            fz_check_string(problems->list[i].message, sizeof problems->list[i].message, "problem message");
            if (!problems->list[i].code)
                fz_broken("problem without code");
        }
    }
}

int fz_refresh(const uint8_t *data, size_t size)
{
    if (size > FZ_MAX_INPUT)
        size = FZ_MAX_INPUT;
    const cm_config *config = fz_tenants();
    json_object *root = NULL;
    char error[CM_JSON_ERROR_MAX];
    /* Not NUL-terminated on purpose: the parser must stop at `size`. */
    cm_err rc = cm_json_parse((const char *)data, size, GW_JSON_MAX_DEPTH, &root, error);
    if (rc != CM_OK) {
        if (root)
            fz_broken("cm_json_parse failed but returned a value");
        fz_check_string(error, CM_JSON_ERROR_MAX, "parse error message");
        return 0;
    }
    gw_problems *problems = malloc(sizeof *problems);
    if (problems) {
        fz_validate_for(root, cm_config_tenant(config, 1), problems);
        fz_validate_for(root, cm_config_tenant(config, 2), problems);
        free(problems);
    }
    json_object_put(root);
    return 0;
}

/* ---- import file ---- */

int fz_import(const uint8_t *data, size_t size)
{
    if (size > FZ_MAX_INPUT)
        size = FZ_MAX_INPUT;
    oci_import_parser parser;
    oci_import_parser_init(&parser);
    oci_import_line *line = malloc(sizeof *line);
    if (!line)
        return 0;
    const char *text = (const char *)data;
    size_t start = 0;
    while (start <= size) {
        const char *newline = memchr(text + start, '\n', size - start);
        size_t end = newline ? (size_t)(newline - text) : size;
        /* Each line in its own allocation of exactly its length, so ASan sees any over-read. */
        char *copy = malloc(end - start ? end - start : 1);
        if (!copy)
            break;
        memcpy(copy, text + start, end - start);
        oci_import_parse_line(&parser, copy, end - start, line);
        free(copy);
        switch (line->kind) {
        case OCI_LINE_BLANK:
        case OCI_LINE_HEADER:
            break;
        case OCI_LINE_RECORD:
            fz_check_string(line->record_id, sizeof line->record_id, "record_id");
            fz_check_string(line->location_id, sizeof line->location_id, "location_id");
            fz_check_string(line->sku, sizeof line->sku, "sku");
            if (line->record.record_id != line->record_id || line->record.sku != line->sku ||
                line->record.location_id != line->location_id)
                fz_broken("record strings do not point into the line");
            if (line->record.future_count > OCI_MAX_FUTURES)
                fz_broken("future_count");
            break;
        case OCI_LINE_ERROR:
        case OCI_LINE_NO_MEMORY:
            fz_check_string(line->message, sizeof line->message, "import error message");
            break;
        default:
            fz_broken("unknown line kind");
        }
        fz_check_string(parser.location, sizeof parser.location, "parser location");
        if (!newline)
            break;
        start = end + 1;
    }
    free(line);
    return 0;
}

/* ---- configuration ---- */

int fz_config(const uint8_t *data, size_t size)
{
    if (size > FZ_MAX_INPUT)
        size = FZ_MAX_INPUT;
    char *copy = fz_copy(data, size);
    if (!copy)
        return 0;
    const char *nul = memchr(data, '\0', size);
    size_t file_length = nul ? (size_t)(nul - (const char *)data) : size;
    const char *overrides[FZ_MAX_OVERRIDES];
    size_t override_count = 0;
    if (nul) {
        char *line = copy + file_length + 1;
        while (override_count < FZ_MAX_OVERRIDES && line < copy + size) {
            char *newline = strchr(line, '\n');
            if (newline)
                *newline = '\0';
            overrides[override_count++] = line;
            if (!newline)
                break;
            line = newline + 1;
        }
    }
    /* The file text alone, in an allocation of its exact length: cm_config_parse takes a length. */
    char *file = malloc(file_length ? file_length : 1);
    if (file) {
        memcpy(file, data, file_length);
        cm_config *config = NULL;
        char error[CM_CONFIG_ERROR_MAX];
        cm_err rc = cm_config_parse(file, file_length, "fuzz.json", "/nonexistent", overrides, override_count,
                                    &config, error);
        if (rc == CM_OK) {
            if (!config)
                fz_broken("cm_config_parse succeeded without a config");
            for (size_t i = 0; i < config->tenant_count; i++) {
                const cm_tenant *tenant = &config->tenants[i];
                if (cm_config_tenant(config, tenant->id) == NULL)
                    fz_broken("a tenant cannot be found by its id");
                for (size_t l = 0; l < tenant->location_count; l++)
                    if (!cm_tenant_location(tenant, tenant->locations[l].name))
                        fz_broken("a mapped location cannot be found");
            }
            cm_config_free(config);
        } else {
            if (config)
                fz_broken("cm_config_parse failed but returned a config");
            fz_check_string(error, CM_CONFIG_ERROR_MAX, "config error message");
        }
        free(file);
    }
    free(copy);
    return 0;
}

/* ---- router and query ---- */

static const cm_route_pattern FZ_ROUTES[] = {
    {"GET", "/healthz"},
    {"POST", "/api/v5/inventory/refresh"},
    {"GET", "/api/v1/queue/{jobID}"},
    {"GET", "/api/v1/queue"},
    {"POST", "/inv/api/v5/inventory/refresh"},
    {"GET", "/inv/api/v1/queue/{jobID}"},
    {"GET", "/inv/api/v1/queue"},
    {"POST", "/api/commerce/inventory/v5/inventory/refresh"},
    {"GET", "/api/commerce/inventory/v1/queue/{jobID}"},
    {"GET", "/api/commerce/inventory/v1/queue"},
    {"POST", "/dwsso/oauth2/access_token"},
    {"PUT", "/inventory/availability/v1/organizations/{organizationId}/locations/{locationId}"
            "/availability-records/skus/{sku}/{requestId}"},
    {"PATCH", "/inventory/availability/v1/organizations/{organizationId}/locations/{locationId}"
              "/availability-records/skus/{sku}/{requestId}"},
    {"POST", "/inventory/impex/v1/organizations/{organizationId}/availability-records/imports/uploadlink/"
             "{uploadLinkId}"},
    {"GET", "/inventory/impex/v1/organizations/{organizationId}/availability-records/imports/{importId}/status"},
    {"PUT", "/admin/organizations/{organizationId}/location-graph"},
};

static const char *const FZ_METHODS[] = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", ""};
static const char *const FZ_PARAM_NAMES[] = {"jobID", "organizationId", "locationId", "sku",
                                              "requestId", "uploadLinkId", "importId", "nope"};
static const char *const FZ_QUERY_NAMES[] = {"jobID", "locationID", "fulfillerID", "limit",
                                              "types", "locationCode", "", "x"};

int fz_router(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    if (size > FZ_MAX_INPUT)
        size = FZ_MAX_INPUT;
    const char *method = FZ_METHODS[data[0] % (sizeof FZ_METHODS / sizeof FZ_METHODS[0])];
    /* The server hands the router and the query parser C strings: cut at the first NUL. */
    char *uri = fz_copy(data + 1, size - 1);
    cm_route_match *match = malloc(sizeof *match);
    if (!uri || !match) {
        free(uri);
        free(match);
        return 0;
    }
    char *question = strchr(uri, '?');
    const char *raw_query = NULL;
    if (question) {
        *question = '\0';
        raw_query = question + 1;
    }
    size_t route_count = sizeof FZ_ROUTES / sizeof FZ_ROUTES[0];
    int index = cm_router_match(FZ_ROUTES, route_count, sizeof FZ_ROUTES[0], method, uri, match);
    if (index != match->route_index || index < -1 || index >= (int)route_count)
        fz_broken("route index");
    if (index >= 0) {
        if (match->param_count > CM_ROUTE_MAX_PARAMS)
            fz_broken("param_count");
        for (size_t i = 0; i < match->param_count; i++) {
            const char *value = match->param_values[i];
            if (value < match->storage || value >= match->storage + sizeof match->storage)
                fz_broken("a parameter value outside the match storage");
            fz_check_string(value, (size_t)(match->storage + sizeof match->storage - value), "param value");
            if (value[0] == '\0')
                fz_broken("an empty parameter matched");
        }
        for (size_t i = 0; i < sizeof FZ_PARAM_NAMES / sizeof FZ_PARAM_NAMES[0]; i++)
            (void)cm_route_param(match, FZ_PARAM_NAMES[i]);
    } else if (match->path_matched) {
        fz_check_string(match->allowed, sizeof match->allowed, "allowed methods");
    }
    cm_query query;
    if (cm_query_parse(raw_query, &query) == CM_OK) {
        if (query.count > CM_QUERY_MAX_PARAMS)
            fz_broken("query count");
        for (size_t i = 0; i < query.count; i++) {
            if (!query.names[i] || !query.values[i])
                fz_broken("query pair without name or value");
            (void)strlen(query.names[i]);
            (void)strlen(query.values[i]);
        }
        for (size_t i = 0; i < sizeof FZ_QUERY_NAMES / sizeof FZ_QUERY_NAMES[0]; i++)
            (void)cm_query_get(&query, FZ_QUERY_NAMES[i]);
        cm_query_free(&query);
    }
    free(match);
    free(uri);
    return 0;
}

/* ---- multipart ---- */

int fz_multipart(const uint8_t *data, size_t size)
{
    if (size > FZ_MAX_INPUT)
        size = FZ_MAX_INPUT;
    const uint8_t *newline = memchr(data, '\n', size);
    size_t header_length = newline ? (size_t)(newline - data) : size;
    char *content_type = fz_copy(data, header_length);
    if (!content_type)
        return 0;
    size_t body_offset = newline ? header_length + 1 : size;
    size_t body_length = size - body_offset;
    /* The body in an allocation of its exact length, so ASan sees any over-read. */
    char *body = malloc(body_length ? body_length : 1);
    if (!body) {
        free(content_type);
        return 0;
    }
    if (body_length)
        memcpy(body, data + body_offset, body_length);
    char boundary[OCI_MULTIPART_BOUNDARY_MAX + 1];
    (void)oci_multipart_is_form(content_type);
    if (oci_multipart_boundary(content_type, boundary) == CM_OK) {
        fz_check_string(boundary, sizeof boundary, "boundary");
        oci_multipart_file file;
        char error[OCI_MULTIPART_ERROR_MAX];
        if (oci_multipart_find_file(body, body_length, boundary, &file, error) == CM_OK) {
            if (file.offset > body_length || file.length > body_length - file.offset)
                fz_broken("the file part lies outside the body");
            fz_check_string(file.name, sizeof file.name, "part name");
            fz_check_string(file.filename, sizeof file.filename, "part filename");
        } else {
            fz_check_string(error, sizeof error, "multipart error");
        }
    }
    free(body);
    free(content_type);
    return 0;
}

int fz_fault_rule(const uint8_t *data, size_t size)
{
    if (size > FZ_MAX_INPUT)
        size = FZ_MAX_INPUT;
    /* Exactly `size` bytes, no terminator: the parser must take the length at its word. */
    char *text = malloc(size ? size : 1);
    if (!text)
        return 0;
    if (size)
        memcpy(text, data, size);
    oci_fault_rule rule;
    char field[64], message[OCI_FAULT_MESSAGE_MAX];
    if (oci_fault_rule_parse(text, size, &rule, field, message) != CM_OK) {
        fz_check_string(field, sizeof field, "fault rule field");
        fz_check_string(message, sizeof message, "fault rule message");
        if (!message[0])
            fz_broken("a refused fault rule without a message");
        free(text);
        return 0;
    }
    fz_check_string(rule.route, sizeof rule.route, "fault rule route");
    fz_check_string(rule.method, sizeof rule.method, "fault rule method");
    fz_check_string(rule.organization, sizeof rule.organization, "fault rule organization");
    fz_check_string(rule.fail_import_lines, sizeof rule.fail_import_lines, "fault rule failImportLines");
    if (!rule.route[0] || (rule.status && (rule.status < 400 || rule.status > 599)) || rule.count < 0 ||
        rule.count > OCI_FAULT_COUNT_MAX || !(rule.probability > 0 && rule.probability <= 1) ||
        rule.latency_ms < 0 || rule.latency_ms > OCI_FAULT_LATENCY_MAX_MS || rule.stall_ms < 0 ||
        rule.stall_ms > OCI_FAULT_STALL_MAX_MS || (rule.status && (rule.drop || rule.stall_ms)))
        fz_broken("an accepted fault rule outside its documented bounds");
    oci_fault_rule_matches(&rule, "POST", "/inventory/availability/v1/organizations/o/x", "o");
    oci_fault_rule_matches(&rule, "GET", "", NULL);
    /* Its own JSON form, without the fields the list adds, reads back as the same rule. */
    json_object *json = oci_fault_rule_to_json(&rule, rule.count);
    if (json) {
        json_object_object_del(json, "id");
        json_object_object_del(json, "fired");
        json_object_object_del(json, "remaining");
        size_t length = 0;
        const char *again_text = cm_json_text(json, &length);
        oci_fault_rule again;
        if (again_text && oci_fault_rule_parse(again_text, length, &again, field, message) != CM_OK)
            fz_broken("a fault rule's own JSON form is refused");
        if (again_text && (strcmp(again.route, rule.route) || strcmp(again.method, rule.method) ||
                           strcmp(again.organization, rule.organization) ||
                           strcmp(again.fail_import_lines, rule.fail_import_lines) || again.count != rule.count ||
                           again.probability != rule.probability || again.status != rule.status ||
                           again.retry_after_s != rule.retry_after_s || again.latency_ms != rule.latency_ms ||
                           again.stall_ms != rule.stall_ms || again.drop != rule.drop))
            fz_broken("a fault rule changed through its own JSON form");
        json_object_put(json);
    }
    free(text);
    return 0;
}

/* Decodes `length` bytes as a JWT and checks what cm_jwt_decode promises. */
static void fz_jwt(const char *text, size_t length)
{
    cm_jwt jwt;
    char why[CM_JWT_WHY_MAX];
    cm_jwt_status status = cm_jwt_decode(text, length, &jwt, why);
    if (status == CM_JWT_OK) {
        if (!json_object_is_type(jwt.header, json_type_object) || !json_object_is_type(jwt.claims, json_type_object))
            fz_broken("a decoded JWT without header and claims objects");
        if (jwt.signing_input_length >= length || jwt.signature_length == 0 ||
            jwt.signature_length > sizeof jwt.signature || strlen(jwt.signing_input) != jwt.signing_input_length)
            fz_broken("a decoded JWT's parts do not fit the input");
        const char *alg = NULL;
        if (cm_json_string(jwt.header, "alg", &alg) != CM_JSON_OK || strcmp(alg, "RS256") != 0)
            fz_broken("a JWT decoded without alg RS256");
        if (cm_jwt_verify_rs256(&jwt, NULL))
            fz_broken("a JWT verified without a key");
    } else {
        fz_check_string(why, sizeof why, "JWT refusal");
    }
    cm_jwt_free(&jwt);
}

int fz_token(const uint8_t *data, size_t size)
{
    if (size > FZ_MAX_INPUT)
        size = FZ_MAX_INPUT;
    const uint8_t *newline = memchr(data, '\n', size);
    size_t header_length = newline ? (size_t)(newline - data) : size;
    char *content_type = fz_copy(data, header_length);
    if (!content_type)
        return 0;
    size_t body_offset = newline ? header_length + 1 : size;
    size_t body_length = size - body_offset;
    char *body = malloc(body_length ? body_length : 1);
    if (!body) {
        free(content_type);
        return 0;
    }
    if (body_length)
        memcpy(body, data + body_offset, body_length);
    cm_query form;
    char error[OCI_TOKEN_FORM_ERROR_MAX];
    cm_err rc = oci_token_form_parse(*content_type ? content_type : NULL, body, body_length, &form, error);
    if (rc == CM_OK) {
        for (size_t i = 0; i < form.count; i++) {
            for (size_t j = 0; j < i; j++)
                if (strcmp(form.names[i], form.names[j]) == 0)
                    fz_broken("a token form parameter given twice was accepted");
            (void)strlen(form.values[i]);
        }
        const char *assertion = cm_query_get(&form, "assertion");
        if (assertion)
            fz_jwt(assertion, strlen(assertion));
        cm_query_free(&form);
    } else if (rc == CM_EINVAL) {
        fz_check_string(error, sizeof error, "token form error");
    }
    /* The whole body as an assertion too, in an allocation of its exact length. */
    fz_jwt(body, body_length);
    free(body);
    free(content_type);
    return 0;
}

/* ---- adjust, inquiry and aggregate bodies ---- */

static void fz_check_problems(const gw_problems *problems)
{
    if (problems->count == 0 || problems->count > GW_MAX_REPORTED_PROBLEMS || problems->total < problems->count)
        fz_broken("problem counts");
    for (size_t i = 0; i < problems->count; i++) {
        fz_check_string(problems->list[i].field, sizeof problems->list[i].field, "problem field");
        fz_check_string(problems->list[i].message, sizeof problems->list[i].message, "problem message");
        if (!problems->list[i].code)
            fz_broken("problem without code");
    }
}

static void fz_adjust_for(const uint8_t *data, size_t size, const cm_tenant *tenant, gw_problems *problems)
{
    char parse_error[CM_JSON_ERROR_MAX];
    gw_refresh adjust;
    cm_err rc = gw_validate_adjust_text((const char *)data, size, tenant, &adjust, problems, parse_error);
    if (rc == CM_OK) {
        if (adjust.item_count == 0 || adjust.item_count > GW_MAX_ADJUST_ITEMS)
            fz_broken("a valid adjust with an item count outside 1..1000");
        json_object *items = gw_refresh_items_json(&adjust);
        if (!items || json_object_array_length(items) != adjust.item_count)
            fz_broken("normalized adjust items do not match item_count");
        json_object_put(items);
        gw_refresh_clear(&adjust);
    } else if (rc == CM_EINVAL && !gw_not_json(rc, problems)) {
        fz_check_problems(problems);
    } else if (rc == CM_EINVAL) {
        fz_check_string(parse_error, sizeof parse_error, "parse error message");
    }
    for (int aggregate = 0; aggregate <= 1; aggregate++) {
        gw_inquiry_request inquiry;
        rc = gw_validate_inquiry_text((const char *)data, size, tenant, aggregate, &inquiry, problems, parse_error);
        if (rc == CM_OK) {
            const gw_inquiry *q = &inquiry.inquiry;
            if (q->item_count == 0 || q->item_count > GW_MAX_INQUIRY_ITEMS || q->location_count == 0 ||
                q->priority_count > q->location_count)
                fz_broken("a valid inquiry with impossible counts");
            for (size_t i = 0; i < q->item_count; i++)
                if (!q->items[i].sku || q->items[i].quantity < 0)
                    fz_broken("a valid inquiry item without sku or with a negative quantity");
            for (size_t l = 0; l < q->location_count; l++)
                if (!q->locations[l].code || !q->locations[l].name)
                    fz_broken("a selected location without code or name");
            /* The rows of an all-zero availability must build (no OCI involved). */
            size_t cells = q->item_count * q->location_count;
            q_availability *matrix = calloc(cells, sizeof *matrix);
            if (matrix) {
                json_object_put(gw_inquiry_rows(q, matrix, NULL, NULL));
                json_object_put(gw_aggregate_rows(q, matrix, NULL, NULL));
                free(matrix);
            }
            gw_inquiry_request_clear(&inquiry);
        } else if (rc == CM_EINVAL && !gw_not_json(rc, problems)) {
            fz_check_problems(problems);
        }
    }
}

int fz_adjust(const uint8_t *data, size_t size)
{
    if (size > FZ_MAX_INPUT)
        size = FZ_MAX_INPUT;
    const cm_config *config = fz_tenants();
    gw_problems *problems = malloc(sizeof *problems);
    if (problems) {
        fz_adjust_for(data, size, cm_config_tenant(config, 1), problems);
        fz_adjust_for(data, size, cm_config_tenant(config, 2), problems);
        free(problems);
    }
    return 0;
}

/* A stored chunk row, either form (translate/stored_items.h): read in place by the translate entry
 * the worker uses. A chunk it accepts accounts for every item it announced (a record or a
 * failure), with NUL-terminated skus and extras that are JSON objects. */
int fz_stored_chunk(const uint8_t *data, size_t size)
{
    if (size > FZ_MAX_INPUT)
        size = FZ_MAX_INPUT;
    static const cm_identifier order[] = {CM_ID_SKU, CM_ID_PART_NUMBER, CM_ID_UPC};
    tr_context context = {.installation_id = "fuzz", .tenant_id = 1, .job_id = 2, .location_id = "loc",
                          .sku_from = order, .sku_from_count = 3, .floor = CM_FLOOR_SUM};
    for (int keep_extras = 0; keep_extras <= 1; keep_extras++) {
        char *text = malloc(size + 1);
        if (!text)
            return 0;
        memcpy(text, data, size);
        text[size] = '\0';
        tr_chunk chunk;
        if (tr_translate_chunk(&context, text, size, 3000, keep_extras, &chunk) == CM_OK) {
            if (chunk.record_count + chunk.failure_count != chunk.item_count)
                fz_broken("a chunk's records and failures do not add up to its items");
            for (size_t r = 0; r < chunk.record_count; r++) {
                if (!chunk.records[r].sku || chunk.records[r].item_index < 3000)
                    fz_broken("a record without sku or before the chunk's first item");
                if (chunk.extras[r] && !keep_extras)
                    fz_broken("extras kept for an adjust");
                if (chunk.extras[r]) {
                    json_object *extras = NULL;
                    char error[CM_JSON_ERROR_MAX];
                    if (cm_json_parse(chunk.extras[r], strlen(chunk.extras[r]), 16, &extras, error) != CM_OK ||
                        !json_object_is_type(extras, json_type_object))
                        fz_broken("extras that are not a JSON object");
                    json_object_put(extras);
                }
            }
        }
        tr_chunk_clear(&chunk);
    }
    return 0;
}

static const fz_target FZ_TARGETS[] = {
    {"refresh", fz_refresh}, {"import", fz_import},       {"config", fz_config},
    {"router", fz_router},   {"multipart", fz_multipart}, {"fault_rule", fz_fault_rule},
    {"token", fz_token},
    {"adjust", fz_adjust},
    {"stored_chunk", fz_stored_chunk},
};

const fz_target *fz_targets(size_t *count)
{
    *count = sizeof FZ_TARGETS / sizeof FZ_TARGETS[0];
    return FZ_TARGETS;
}
