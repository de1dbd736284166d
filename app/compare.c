#include "app/compare.h"
#include "app/options.h"
#include "app/cli.h"
#include "common/http_client.h"
#include "common/clock.h"
#include "common/config.h"
#include "common/json_util.h"
#include "common/uuid.h"
#include "delivery/token_source.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define COMPARE_EXIT_EQUAL 0
#define COMPARE_EXIT_DIFFERENT 1
#define COMPARE_EXIT_ERROR 2
#define COMPARE_REQUEST_MAX (16 * 1024 * 1024)
#define COMPARE_REPLY_MAX (8 * 1024 * 1024)
#define COMPARE_SKUS_PER_QUERY 100
#define COMPARE_JOB_TIMEOUT_MS (30 * 60 * 1000)
#define COMPARE_POLL_MS 200
#define COMPARE_URL_MAX 1024
/* Room for a base URL (at most COMPARE_URL_MAX) plus the longest path appended to it. */
#define COMPARE_FULL_URL_MAX (COMPARE_URL_MAX + 512)

typedef struct side {
    const char *label;    /* "gateway" or "native" */
    char base_url[COMPARE_URL_MAX];
    const char *org;
    char token[4096];
} side;

typedef struct figures {
    int present;
    int64_t on_hand, safety_stock, atf, ato;
    int64_t futures; /* the sum of the record's future quantities (ato counts them) */
    size_t future_count;
} figures;

typedef struct row {
    const char *sku; /* borrowed from the parsed request */
    int64_t quantity, safety_stock;
    figures gateway, native;
} row;

typedef struct compare_options {
    const char *config_path;
    const char *request_path;
    int64_t tenant_id;
    const char *native_org;
    const char *native_url;
    const char *native_token;
    const char *native_client; /* "id:secret" */
    const char *native_token_url;
    const char *oci_url;
    const char *oci_token;
    const char *oci_client; /* "id:secret" */
    const char *oci_token_url;
    const char *oci_jwt;        /* "consumerKey:username:keyFile" */
    const char *oci_login_url;  /* default: --oci-url */
    const char *native_jwt;
    const char *native_login_url;
    const char *gateway_url;
    const char *api_key;
    int json;
    int compare_only;
} compare_options;

static cm_httpc_pool *pool;

static void usage(FILE *out, int long_form)
{
    fprintf(out,
            "usage: omsgw compare --config FILE --request FILE --tenant ID [--native-org ID]\n"
            "         [--native-url URL] [--native-token TOKEN | --native-client ID:SECRET [--native-token-url URL]]\n"
            "         [--native-jwt CONSUMER_KEY:USERNAME:KEY_FILE [--native-login-url URL]]\n"
            "         [--oci-url URL] [--oci-token TOKEN | --oci-client ID:SECRET [--oci-token-url URL]]\n"
            "         [--oci-jwt CONSUMER_KEY:USERNAME:KEY_FILE [--oci-login-url URL]]\n"
            "         [--gateway-url URL] [--api-key KEY]\n"
            "         [--json] [--compare-only]\n");
    if (!long_form)
        return;
    fprintf(out,
            "\nSends a legacy refresh through the running gateway, loads the same inventory natively into a\n"
            "second organization, and prints both sides' availability per SKU (exit 0 all equal, 1 a row\n"
            "differs or the job failed, 2 usage or connection error).\n\n"
            "  --config FILE            the server's configuration: tenants, keys, organizations, ports\n"
            "  --request FILE           the legacy refresh body to send\n"
            "  --tenant ID              the x-vol-tenant of the request (12345 or t12345)\n"
            "  --gateway-url URL        the running gateway (default http://127.0.0.1:<gateway.port>)\n"
            "  --api-key KEY            the tenant's key (default: its v5 key from --config)\n"
            "  --oci-url URL            the OCI the gateway delivers to (default: bundled core on oci.port)\n"
            "  --oci-token TOKEN        bearer token for --oci-url\n"
            "  --oci-client ID:SECRET   client credentials for --oci-url (with --oci-token-url)\n"
            "  --oci-token-url URL      token endpoint for --oci-client\n"
            "  --native-org ID          organization of the native side (default: first other organization)\n"
            "  --native-url URL         OCI of the native side (default: same as --oci-url)\n"
            "  --native-token TOKEN     bearer token for the native side\n"
            "  --native-client ID:SECRET, --native-token-url URL   client credentials for the native side\n"
            "  --oci-jwt CONSUMER_KEY:USERNAME:KEY_FILE [--oci-login-url URL]   log in to --oci-url as a\n"
            "                           Salesforce connected app (login URL default: --oci-url)\n"
            "  --native-jwt CONSUMER_KEY:USERNAME:KEY_FILE [--native-login-url URL]   the same, native side\n"
            "  --json                   print the comparison as JSON\n"
            "  --compare-only           skip both loads; compare what is there\n"
            "Options take their value as --opt VALUE or --opt=VALUE.\n"
            "URLs: give --gateway-url and --oci-url together (or neither, to take both from --config),\n"
            "so that the server refreshed is the server read (--compare-only needs no gateway).\n");
}

static const app_opt compare_specs[] = {
    {"--json", 0},           {"--compare-only", 0},   {"--config", 1},       {"--request", 1},
    {"--tenant", 1},         {"--native-org", 1},     {"--native-url", 1},   {"--native-token", 1},
    {"--native-client", 1},  {"--native-token-url", 1}, {"--oci-url", 1},    {"--oci-token", 1},
    {"--oci-client", 1},     {"--oci-token-url", 1},  {"--gateway-url", 1},  {"--api-key", 1},
    {"--oci-jwt", 1},        {"--oci-login-url", 1},  {"--native-jwt", 1},   {"--native-login-url", 1},
};

/* Returns 0, -1 after a usage line on stderr, or 1 when --help was printed. */
static int parse_options(int argc, char **argv, compare_options *options)
{
    memset(options, 0, sizeof *options);
    for (int i = 0; i < argc;) {
        const char *flag, *value;
        switch (app_opt_next(argc, argv, &i, compare_specs, sizeof compare_specs / sizeof compare_specs[0],
                             "compare", &flag, &value)) {
        case APP_OPT_DONE: continue;
        case APP_OPT_HELP: usage(stdout, 1); return 1;
        case APP_OPT_ERROR: return -1;
        case APP_OPT_FOUND: break;
        }
        if (strcmp(flag, "--json") == 0) {
            options->json = 1;
            continue;
        }
        if (strcmp(flag, "--compare-only") == 0) {
            options->compare_only = 1;
            continue;
        }
        if (strcmp(flag, "--config") == 0)
            options->config_path = value;
        else if (strcmp(flag, "--request") == 0)
            options->request_path = value;
        else if (strcmp(flag, "--tenant") == 0) {
            char *end;
            options->tenant_id = strtoll(value[0] == 't' ? value + 1 : value, &end, 10);
            if (*end || options->tenant_id <= 0) {
                fprintf(stderr, "omsgw compare: --tenant needs a tenant number, got \"%s\"\n", value);
                return -1;
            }
        } else if (strcmp(flag, "--native-org") == 0)
            options->native_org = value;
        else if (strcmp(flag, "--native-url") == 0)
            options->native_url = value;
        else if (strcmp(flag, "--native-token") == 0)
            options->native_token = value;
        else if (strcmp(flag, "--native-client") == 0)
            options->native_client = value;
        else if (strcmp(flag, "--native-token-url") == 0)
            options->native_token_url = value;
        else if (strcmp(flag, "--oci-url") == 0)
            options->oci_url = value;
        else if (strcmp(flag, "--oci-token") == 0)
            options->oci_token = value;
        else if (strcmp(flag, "--oci-client") == 0)
            options->oci_client = value;
        else if (strcmp(flag, "--oci-token-url") == 0)
            options->oci_token_url = value;
        else if (strcmp(flag, "--oci-jwt") == 0)
            options->oci_jwt = value;
        else if (strcmp(flag, "--oci-login-url") == 0)
            options->oci_login_url = value;
        else if (strcmp(flag, "--native-jwt") == 0)
            options->native_jwt = value;
        else if (strcmp(flag, "--native-login-url") == 0)
            options->native_login_url = value;
        else if (strcmp(flag, "--gateway-url") == 0)
            options->gateway_url = value;
        else if (strcmp(flag, "--api-key") == 0)
            options->api_key = value;
        else {
            fprintf(stderr, "omsgw compare: unknown option \"%s\"\n", flag);
            return -1;
        }
    }
    if (!options->config_path || !options->request_path || !options->tenant_id) {
        usage(stderr, 0);
        return -1;
    }
    /* The gateway delivers to the OCI it was configured with: a gateway URL given alone would
     * refresh one server and read another (the one --config points at). */
    if (!options->compare_only && !options->gateway_url != !options->oci_url) {
        fprintf(stderr, "omsgw compare: give --gateway-url and --oci-url together, or neither (both then come "
                        "from --config), so the server refreshed is the server read\n");
        return -1;
    }
    return 0;
}

/* One HTTP exchange; prints the transport failure. CM_OK when an answer came back. */
static cm_err call(const char *method, const char *url, const char *bearer, const char *content_type,
                   const char *body, size_t length, const char *const *extra_headers, cm_httpc_response *response)
{
    cm_httpc_client *client = cm_httpc_take(pool);
    if (!client)
        return CM_ENOMEM;
    cm_httpc_request request = {
        .method = method,
        .url = url,
        .bearer = bearer,
        .content_type = content_type,
        .body = body,
        .body_length = length,
        .response_max = COMPARE_REPLY_MAX,
        .extra_headers = extra_headers,
    };
    cm_err rc = cm_httpc_perform(client, &request, response);
    cm_httpc_give(pool, client);
    if (rc == CM_EIO)
        fprintf(stderr, "omsgw compare: %s %s: %s\n", method, url, response->detail);
    return rc;
}

static json_object *reply_json(cm_httpc_response *response)
{
    json_object *value = NULL;
    char error[CM_JSON_ERROR_MAX];
    if (cm_json_parse(response->body.data ? response->body.data : "", response->body.length, 32, &value, error) != CM_OK)
        return NULL;
    return value;
}

/* ---- the native import file, from the documented rules (not from translate/) ---- */

static const char *identifier(json_object *item, const cm_tenant *tenant)
{
    for (size_t i = 0; i < tenant->sku_from_count; i++) {
        const char *key = tenant->sku_from[i] == CM_ID_SKU ? "sku" : tenant->sku_from[i] == CM_ID_PART_NUMBER ? "partNumber" : "upc";
        const char *value = NULL;
        if (cm_json_string(item, key, &value) == CM_JSON_OK && *value)
            return value;
    }
    return NULL;
}

static int whole(json_object *item, const char *key, int64_t *out)
{
    json_object *value = NULL;
    if (!json_object_object_get_ex(item, key, &value) || !value)
        return 0;
    if (json_object_is_type(value, json_type_string)) {
        *out = strtoll(json_object_get_string(value), NULL, 10);
        return 1;
    }
    *out = json_object_get_int64(value);
    return 1;
}

/* Fills `rows` (one per distinct SKU, the later item wins) and writes the native import file. */
static int build_native_file(json_object *items, const cm_tenant *tenant, const char *location, row **rows_out,
                             size_t *row_count, cm_body *file)
{
    size_t count = json_object_array_length(items);
    row *rows = calloc(count ? count : 1, sizeof *rows);
    if (!rows)
        return -1;
    size_t used = 0;
    char now[CM_TIME_TEXT_MAX];
    cm_time_format_ms(cm_now_ms(), now);
    for (size_t i = 0; i < count; i++) {
        json_object *item = json_object_array_get_idx(items, i);
        const char *sku = identifier(item, tenant);
        int64_t quantity = 0, safety = 0, floor = 0;
        if (!sku || !whole(item, "quantity", &quantity)) {
            fprintf(stderr, "omsgw compare: items[%zu] has no sku or quantity the tenant can use\n", i);
            free(rows);
            return -1;
        }
        int has_safety = whole(item, "safetyStock", &safety);
        int has_floor = whole(item, "floor", &floor);
        (void)has_safety;
        (void)has_floor;
        int64_t safety_stock = tenant->floor == CM_FLOOR_SUM      ? safety + floor
                               : tenant->floor == CM_FLOOR_IGNORE ? safety
                               : safety > floor                   ? safety
                                                                  : floor;
        size_t r = 0;
        while (r < used && strcmp(rows[r].sku, sku) != 0)
            r++;
        if (r == used)
            used++;
        rows[r].sku = sku;
        rows[r].quantity = quantity;
        rows[r].safety_stock = safety_stock;
        char record_id[CM_UUID_TEXT_LEN + 1];
        cm_uuid_random(record_id);
        json_object *line = json_object_new_object();
        json_object_object_add(line, "recordId", json_object_new_string(record_id));
        json_object_object_add(line, "locationId", json_object_new_string(location));
        json_object_object_add(line, "sku", json_object_new_string(sku));
        json_object_object_add(line, "onHand", json_object_new_int64(quantity));
        json_object_object_add(line, "safetyStockCount", json_object_new_int64(safety_stock));
        json_object_object_add(line, "effectiveDate", json_object_new_string(now));
        cm_err rc = cm_body_appendf(file, "%s\n", json_object_to_json_string_ext(line, JSON_C_TO_STRING_PLAIN));
        json_object_put(line);
        if (rc) {
            free(rows);
            return -1;
        }
    }
    *rows_out = rows;
    *row_count = used;
    return 0;
}

/* ---- the two loads ---- */

static int send_legacy(const compare_options *options, const cm_tenant *tenant, const char *gateway_url,
                       const char *request_text, size_t request_length, int64_t *job_id)
{
    const char *key = options->api_key ? options->api_key : tenant->v5_key ? tenant->v5_key : tenant->inventory_specific_key;
    if (!key) {
        fprintf(stderr, "omsgw compare: the tenant's API keys are only given hashed; pass --api-key\n");
        return -1;
    }
    int v5 = options->api_key || tenant->v5_key;
    char url[COMPARE_FULL_URL_MAX], tenant_header[64];
    snprintf(url, sizeof url, "%s%s", gateway_url, v5 ? "/api/v5/inventory/refresh" : "/inv/api/v5/inventory/refresh");
    snprintf(tenant_header, sizeof tenant_header, "x-vol-tenant: %" PRId64, tenant->id);
    const char *headers[] = {tenant_header, NULL};
    cm_httpc_response response;
    cm_err rc = call("POST", url, key, "application/json", request_text, request_length, headers, &response);
    json_object *reply = rc == CM_OK ? reply_json(&response) : NULL;
    if (rc != CM_OK || response.status != 200 || !reply) {
        if (rc == CM_OK)
            fprintf(stderr, "omsgw compare: the gateway refused the request (%ld): %s\n", response.status,
                    response.body.data ? response.body.data : "");
        json_object_put(reply);
        cm_httpc_response_free(&response);
        return -1;
    }
    int64_t id = 0;
    cm_json_int64(reply, "jobID", &id);
    json_object_put(reply);
    cm_httpc_response_free(&response);
    *job_id = id;

    /* Poll the job the way a legacy client does, with a progress line. */
    snprintf(url, sizeof url, "%s%s%" PRId64, gateway_url, v5 ? "/api/v1/queue/" : "/inv/api/v1/queue/", id);
    for (int64_t waited = 0; waited < COMPARE_JOB_TIMEOUT_MS; waited += COMPARE_POLL_MS) {
        rc = call("GET", url, key, NULL, NULL, 0, headers, &response);
        json_object *job = rc == CM_OK && response.status == 200 ? reply_json(&response) : NULL;
        cm_httpc_response_free(&response);
        if (!job) {
            fprintf(stderr, "\nomsgw compare: cannot read job %" PRId64 "\n", id);
            return -1;
        }
        const char *status = "";
        cm_json_string(job, "status", &status);
        json_object *progress = NULL;
        int64_t done = 0, total = 0, applied = 0;
        if (cm_json_object(job, "progress", &progress) == CM_JSON_OK) {
            cm_json_int64(progress, "chunksDone", &done);
            cm_json_int64(progress, "chunksTotal", &total);
            cm_json_int64(progress, "itemsApplied", &applied);
        }
        fprintf(stderr, "\rgateway job %" PRId64 ": %-8s %" PRId64 "/%" PRId64 " chunks, %" PRId64 " items applied ", id,
                status, done, total, applied);
        int finished = strcmp(status, "SUCCESS") == 0 || strcmp(status, "FAILED") == 0;
        int failed = strcmp(status, "FAILED") == 0;
        if (finished) {
            fprintf(stderr, "\n");
            if (failed)
                fprintf(stderr, "omsgw compare: the job FAILED: %s\n",
                        json_object_to_json_string_ext(json_object_object_get(job, "messages"), JSON_C_TO_STRING_PLAIN));
            json_object_put(job);
            return failed ? 1 : 0;
        }
        json_object_put(job);
        usleep(COMPARE_POLL_MS * 1000);
    }
    fprintf(stderr, "\nomsgw compare: job %" PRId64 " did not finish in time\n", id);
    return -1;
}

static int import_native(const side *native, const cm_body *file)
{
    char url[COMPARE_FULL_URL_MAX];
    snprintf(url, sizeof url, "%s/inventory/impex/v1/organizations/%s/availability-records/imports", native->base_url,
             native->org);
    const char *submit = "{\"fileName\":\"omsgw-compare.json\",\"fileFormat\":\"JSON\",\"linkDuration\":60}";
    cm_httpc_response response;
    cm_err rc = call("POST", url, native->token, "application/json", submit, strlen(submit), NULL, &response);
    json_object *reply = rc == CM_OK && response.status == 200 ? reply_json(&response) : NULL;
    if (!reply) {
        if (rc == CM_OK)
            fprintf(stderr, "omsgw compare: native import submit answered %ld: %s\n", response.status,
                    response.body.data ? response.body.data : "");
        cm_httpc_response_free(&response);
        return -1;
    }
    cm_httpc_response_free(&response);
    const char *upload = NULL, *status_link = NULL;
    cm_json_string(reply, "uploadLink", &upload);
    cm_json_string(reply, "importStatusLink", &status_link);
    char upload_url[COMPARE_FULL_URL_MAX], status_url[COMPARE_FULL_URL_MAX];
    /* The links are paths; callers prefix the host. */
    snprintf(upload_url, sizeof upload_url, "%s%s", upload && upload[0] == '/' ? native->base_url : "", upload ? upload : "");
    snprintf(status_url, sizeof status_url, "%s%s", status_link && status_link[0] == '/' ? native->base_url : "",
             status_link ? status_link : "");
    json_object_put(reply);
    rc = call("POST", upload_url, native->token, "application/x-ndjson", file->data, file->length, NULL, &response);
    if (rc != CM_OK || response.status != 200) {
        if (rc == CM_OK)
            fprintf(stderr, "omsgw compare: native upload answered %ld: %s\n", response.status,
                    response.body.data ? response.body.data : "");
        cm_httpc_response_free(&response);
        return -1;
    }
    cm_httpc_response_free(&response);
    for (int64_t waited = 0; waited < COMPARE_JOB_TIMEOUT_MS; waited += COMPARE_POLL_MS) {
        rc = call("GET", status_url, native->token, NULL, NULL, 0, NULL, &response);
        json_object *status = rc == CM_OK && response.status == 200 ? reply_json(&response) : NULL;
        cm_httpc_response_free(&response);
        if (!status)
            return -1;
        const char *text = "";
        cm_json_string(status, "status", &text);
        fprintf(stderr, "\rnative import: %-10s ", text);
        int finished = strcmp(text, "COMPLETED") == 0 || strcmp(text, "FAILED") == 0 || strcmp(text, "EXPIRED") == 0;
        int ok = strcmp(text, "COMPLETED") == 0;
        json_object_put(status);
        if (finished) {
            fprintf(stderr, "\n");
            return ok ? 0 : -1;
        }
        usleep(COMPARE_POLL_MS * 1000);
    }
    return -1;
}

/* ---- reading both sides ---- */

static int64_t milli_of(json_object *record, const char *key)
{
    json_object *value = NULL;
    int64_t milli = 0;
    if (json_object_object_get_ex(record, key, &value))
        cm_json_value_milli(value, 0, &milli);
    return milli;
}

static int read_side(const side *place, const char *location, row *rows, size_t row_count, int gateway_side)
{
    char url[COMPARE_FULL_URL_MAX];
    snprintf(url, sizeof url, "%s/inventory/availability/v1/organizations/%s/availability-records/actions/get-availability",
             place->base_url, place->org);
    for (size_t first = 0; first < row_count; first += COMPARE_SKUS_PER_QUERY) {
        size_t last = first + COMPARE_SKUS_PER_QUERY < row_count ? first + COMPARE_SKUS_PER_QUERY : row_count;
        json_object *query = json_object_new_object();
        json_object *skus = json_object_new_array();
        for (size_t r = first; r < last; r++)
            json_object_array_add(skus, json_object_new_string(rows[r].sku));
        json_object_object_add(query, "skus", skus);
        json_object *locations = json_object_new_array();
        json_object_array_add(locations, json_object_new_string(location));
        json_object_object_add(query, "locations", locations);
        size_t length;
        const char *text = json_object_to_json_string_length(query, JSON_C_TO_STRING_PLAIN, &length);
        cm_httpc_response response;
        cm_err rc = call("POST", url, place->token, "application/json", text, length, NULL, &response);
        json_object_put(query);
        json_object *reply = rc == CM_OK && response.status == 200 ? reply_json(&response) : NULL;
        if (!reply) {
            if (rc == CM_OK)
                fprintf(stderr, "omsgw compare: %s get-availability answered %ld: %s\n", place->label, response.status,
                        response.body.data ? response.body.data : "");
            cm_httpc_response_free(&response);
            return -1;
        }
        cm_httpc_response_free(&response);
        json_object *places = NULL;
        cm_json_array(reply, "locations", &places);
        for (size_t p = 0; places && p < json_object_array_length(places); p++) {
            json_object *records = NULL;
            cm_json_array(json_object_array_get_idx(places, p), "records", &records);
            for (size_t k = 0; records && k < json_object_array_length(records); k++) {
                json_object *record = json_object_array_get_idx(records, k);
                const char *sku = NULL;
                if (cm_json_string(record, "sku", &sku) != CM_JSON_OK)
                    continue;
                for (size_t r = first; r < last; r++) {
                    if (strcmp(rows[r].sku, sku) != 0)
                        continue;
                    figures *f = gateway_side ? &rows[r].gateway : &rows[r].native;
                    f->present = 1;
                    f->on_hand = milli_of(record, "onHand");
                    f->safety_stock = milli_of(record, "safetyStockCount");
                    f->atf = milli_of(record, "atf");
                    f->ato = milli_of(record, "ato");
                    f->futures = 0;
                    f->future_count = 0;
                    json_object *futures = NULL;
                    cm_json_array(record, "futures", &futures);
                    for (size_t k2 = 0; futures && k2 < json_object_array_length(futures); k2++) {
                        f->futures += milli_of(json_object_array_get_idx(futures, k2), "quantity");
                        f->future_count++;
                    }
                }
            }
        }
        json_object_put(reply);
    }
    return 0;
}

static int same(const figures *a, const figures *b)
{
    return a->present == b->present && a->on_hand == b->on_hand && a->safety_stock == b->safety_stock && a->atf == b->atf &&
           a->ato == b->ato && a->futures == b->futures;
}

/* Names the fields that differ ("ato, futures"), so a DIFFERENT row says why. */
static void differing_fields(const figures *a, const figures *b, char *out, size_t size)
{
    out[0] = '\0';
    if (a->present != b->present) {
        snprintf(out, size, "%s", a->present ? "missing on the native side" : "missing on the gateway side");
        return;
    }
    const struct {
        const char *name;
        int differs;
    } fields[] = {{"onHand", a->on_hand != b->on_hand},    {"safety", a->safety_stock != b->safety_stock},
                  {"atf", a->atf != b->atf},               {"ato", a->ato != b->ato},
                  {"futures", a->futures != b->futures}};
    size_t used = 0;
    for (size_t i = 0; i < sizeof fields / sizeof fields[0] && used < size; i++)
        if (fields[i].differs)
            used += (size_t)snprintf(out + used, size - used, "%s%s", used ? ", " : "", fields[i].name);
}

static size_t print_table(const row *rows, size_t row_count, const char *location, const side *gateway, const side *native)
{
    size_t differing = 0;
    printf("gateway side: %s org %s   native side: %s org %s   location %s\n", gateway->base_url, gateway->org,
           native->base_url, native->org, location);
    /* The group labels sit over their columns, so a reader never has to count them. 49 is the
     * width of one group: five 9-wide cells and their separating spaces. */
    char gateway_label[64], native_label[64];
    snprintf(gateway_label, sizeof gateway_label, "GATEWAY (%s)", gateway->org);
    snprintf(native_label, sizeof native_label, "NATIVE (%s)", native->org);
    printf("%-24s | %-49.49s | %-49.49s |\n", "", gateway_label, native_label);
    printf("%-24s | %9s %9s %9s %9s %9s | %9s %9s %9s %9s %9s |\n", "sku", "onHand", "safety", "atf", "ato", "futures",
           "onHand", "safety", "atf", "ato", "futures");
    for (size_t r = 0; r < row_count; r++) {
        const row *x = &rows[r];
        int equal = same(&x->gateway, &x->native);
        differing += !equal;
        char cells[10][32];
        const figures *sides[2] = {&x->gateway, &x->native};
        for (int s = 0; s < 2; s++) {
            int64_t values[5] = {sides[s]->on_hand, sides[s]->safety_stock, sides[s]->atf, sides[s]->ato,
                                 sides[s]->futures};
            for (int v = 0; v < 5; v++)
                cm_milli_format(values[v], cells[s * 5 + v]);
        }
        char why[96] = "";
        if (!equal)
            differing_fields(&x->gateway, &x->native, why, sizeof why);
        printf("%-24.24s | %9s %9s %9s %9s %9s | %9s %9s %9s %9s %9s | %s%s\n", x->sku, cells[0], cells[1], cells[2],
               cells[3], cells[4], cells[5], cells[6], cells[7], cells[8], cells[9], equal ? "" : "<> DIFFERENT: ",
               why);
    }
    printf("columns: onHand, safety (safetyStockCount), atf, ato, futures (sum of future quantities; ato counts them)\n");
    printf("%zu SKUs compared, %zu equal, %zu different\n", row_count, row_count - differing, differing);
    return differing;
}

static size_t print_json(const row *rows, size_t row_count, const char *location, const side *gateway, const side *native)
{
    size_t differing = 0;
    json_object *root = json_object_new_object();
    json_object *list = json_object_new_array();
    for (size_t r = 0; r < row_count; r++) {
        int equal = same(&rows[r].gateway, &rows[r].native);
        differing += !equal;
        json_object *entry = json_object_new_object();
        json_object_object_add(entry, "sku", json_object_new_string(rows[r].sku));
        json_object_object_add(entry, "location", json_object_new_string(location));
        const figures *sides[2] = {&rows[r].gateway, &rows[r].native};
        const char *names[2] = {"gateway", "native"};
        for (int s = 0; s < 2; s++) {
            json_object *f = json_object_new_object();
            json_object_object_add(f, "found", json_object_new_boolean(sides[s]->present));
            json_object_object_add(f, "onHand", cm_json_new_milli(sides[s]->on_hand));
            json_object_object_add(f, "safetyStockCount", cm_json_new_milli(sides[s]->safety_stock));
            json_object_object_add(f, "atf", cm_json_new_milli(sides[s]->atf));
            json_object_object_add(f, "ato", cm_json_new_milli(sides[s]->ato));
            json_object_object_add(f, "futures", cm_json_new_milli(sides[s]->futures));
            json_object_object_add(entry, names[s], f);
        }
        json_object_object_add(entry, "equal", json_object_new_boolean(equal));
        json_object_array_add(list, entry);
    }
    json_object_object_add(root, "gatewayOrganization", json_object_new_string(gateway->org));
    json_object_object_add(root, "nativeOrganization", json_object_new_string(native->org));
    json_object_object_add(root, "rows", list);
    json_object_object_add(root, "compared", json_object_new_int64((int64_t)row_count));
    json_object_object_add(root, "different", json_object_new_int64((int64_t)differing));
    printf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(root);
    return differing;
}

/* ---- tokens ---- */

static const char *configured_token(const cm_config *config, const char *org_id, unsigned scopes)
{
    const cm_oci_org *org = cm_config_org(config, org_id);
    for (size_t t = 0; org && t < org->token_count; t++)
        if ((org->tokens[t].scopes & scopes) == scopes)
            return org->tokens[t].token;
    return NULL;
}

/* Gets `self`'s token with the same token code http delivery uses (delivery/token_source.h). */
static int login_token(side *self, const dl_token_login *login)
{
    char error[DL_TOKEN_ERROR_MAX];
    dl_token_source *source = dl_token_source_new(login, error);
    if (!source) {
        fprintf(stderr, "omsgw compare: %s side: %s\n", self->label, error);
        return -1;
    }
    char *token = malloc(DL_TOKEN_MAX);
    cm_httpc_client *http = token ? cm_httpc_take(pool) : NULL;
    int64_t retry_after_ms = -1;
    char message[Q_DELIVERY_MESSAGE_MAX] = "out of memory";
    q_delivery_status status = http ? dl_token_get(source, http, self->org, NULL, token, &retry_after_ms, message,
                                                   NULL, NULL)
                                    : Q_DELIVERY_RETRY;
    if (http)
        cm_httpc_give(pool, http);
    int rc = -1;
    if (status != Q_DELIVERY_OK)
        fprintf(stderr, "omsgw compare: %s side: no token: %s\n", self->label, message);
    else if (strlen(token) >= sizeof self->token)
        fprintf(stderr, "omsgw compare: %s side: the token is too long\n", self->label);
    else {
        snprintf(self->token, sizeof self->token, "%s", token);
        rc = 0;
    }
    free(token);
    dl_token_source_free(source);
    return rc;
}

/* --*-client ID:SECRET against token_url. */
static int client_token(side *self, const char *token_url, const char *client)
{
    char id[256];
    const char *colon = strchr(client, ':');
    if (!colon || (size_t)(colon - client) >= sizeof id) {
        fprintf(stderr, "omsgw compare: a client must be given as ID:SECRET\n");
        return -1;
    }
    memcpy(id, client, (size_t)(colon - client));
    id[colon - client] = '\0';
    dl_token_login login = {.kind = DL_TOKEN_CLIENT_CREDENTIALS, .oauth_token_url = token_url, .oauth_client_id = id,
                            .oauth_client_secret = colon + 1};
    return login_token(self, &login);
}

/* --*-jwt CONSUMER_KEY:USERNAME:KEY_FILE against login_url (default: the side's base URL). */
static int jwt_token(side *self, const char *login_url, const char *spec)
{
    char consumer_key[256], username[256];
    const char *first = strchr(spec, ':');
    const char *second = first ? strchr(first + 1, ':') : NULL;
    if (!second || (size_t)(first - spec) >= sizeof consumer_key || (size_t)(second - first - 1) >= sizeof username ||
        !second[1]) {
        fprintf(stderr, "omsgw compare: a JWT login must be given as CONSUMER_KEY:USERNAME:KEY_FILE\n");
        return -1;
    }
    snprintf(consumer_key, sizeof consumer_key, "%.*s", (int)(first - spec), spec);
    snprintf(username, sizeof username, "%.*s", (int)(second - first - 1), first + 1);
    dl_token_login login = {.kind = DL_TOKEN_JWT,
                            .jwt_login_url = login_url ? login_url : self->base_url,
                            .jwt_consumer_key = consumer_key,
                            .jwt_username = username,
                            .jwt_private_key_path = second + 1,
                            .provision_base_url = self->base_url};
    return login_token(self, &login);
}

int app_compare_main(int argc, char **argv)
{
    compare_options options;
    int parsed = parse_options(argc, argv, &options);
    if (parsed != 0)
        return parsed > 0 ? 0 : COMPARE_EXIT_ERROR;
    cm_config *config = NULL;
    char error[CM_CONFIG_ERROR_MAX];
    if (cm_config_load(options.config_path, NULL, 0, &config, error) != CM_OK) {
        fprintf(stderr, "omsgw compare: %s\n", error);
        return COMPARE_EXIT_ERROR;
    }
    int exit_code = COMPARE_EXIT_ERROR;
    char *request_text = NULL;
    json_object *request = NULL;
    row *rows = NULL;
    size_t row_count = 0;
    cm_body file;
    cm_body_init(&file, COMPARE_REQUEST_MAX * 2);
    cm_httpc_settings settings = {.connect_timeout_ms = 5000, .total_timeout_ms = 120000, .verify_tls = 1};
    if (cm_httpc_global_init() != CM_OK || !(pool = cm_httpc_pool_new(&settings)))
        goto out;

    const cm_tenant *tenant = cm_config_tenant(config, options.tenant_id);
    if (!tenant) {
        fprintf(stderr, "omsgw compare: tenant %" PRId64 " is not in %s\n", options.tenant_id, options.config_path);
        goto out;
    }
    size_t request_length = 0;
    FILE *in = fopen(options.request_path, "rb");
    if (in) {
        request_text = malloc(COMPARE_REQUEST_MAX + 1);
        request_length = request_text ? fread(request_text, 1, COMPARE_REQUEST_MAX, in) : 0;
        fclose(in);
    }
    char parse_error[CM_JSON_ERROR_MAX];
    json_object *items = NULL;
    const char *location_name = NULL;
    if (!request_text || cm_json_parse(request_text, request_length, 32, &request, parse_error) != CM_OK ||
        cm_json_array(request, "items", &items) != CM_JSON_OK ||
        (cm_json_string(request, "locationName", &location_name) != CM_JSON_OK &&
         cm_json_string(request, "locationCode", &location_name) != CM_JSON_OK)) {
        fprintf(stderr, "omsgw compare: %s is not a legacy refresh request%s%s\n", options.request_path,
                request_text ? ": " : "", request_text ? parse_error : "");
        goto out;
    }
    const char *location = cm_tenant_location(tenant, location_name);
    if (!location) {
        fprintf(stderr, "omsgw compare: location \"%s\" is not mapped for tenant %" PRId64 "\n", location_name, tenant->id);
        goto out;
    }

    side gateway = {.label = "gateway", .org = tenant->organization_id};
    side native = {.label = "native"};
    snprintf(gateway.base_url, sizeof gateway.base_url, "%s", options.oci_url ? options.oci_url : "");
    if (!options.oci_url)
        snprintf(gateway.base_url, sizeof gateway.base_url, "http://127.0.0.1:%d", config->oci.port);
    snprintf(native.base_url, sizeof native.base_url, "%s", options.native_url ? options.native_url : gateway.base_url);
    native.org = options.native_org;
    for (size_t i = 0; !native.org && i < config->oci.organization_count; i++)
        if (strcmp(config->oci.organizations[i].id, tenant->organization_id) != 0)
            native.org = config->oci.organizations[i].id;
    if (!native.org) {
        fprintf(stderr, "omsgw compare: no native organization: pass --native-org\n");
        goto out;
    }
    if (options.oci_client) {
        char token_url[COMPARE_FULL_URL_MAX];
        snprintf(token_url, sizeof token_url, "%s", options.oci_token_url ? options.oci_token_url : "");
        if (!options.oci_token_url)
            snprintf(token_url, sizeof token_url, "%s/dwsso/oauth2/access_token", gateway.base_url);
        if (client_token(&gateway, token_url, options.oci_client) != 0)
            goto out;
    } else if (options.oci_jwt) {
        if (jwt_token(&gateway, options.oci_login_url, options.oci_jwt) != 0)
            goto out;
    } else {
        const char *gateway_token = options.oci_token ? options.oci_token
                                                      : configured_token(config, gateway.org, CM_SCOPE_AVAILABILITY);
        if (!gateway_token) {
            fprintf(stderr, "omsgw compare: no token for organization %s: pass --oci-token or --oci-client\n",
                    gateway.org);
            goto out;
        }
        snprintf(gateway.token, sizeof gateway.token, "%s", gateway_token);
    }
    if (options.native_client) {
        char token_url[COMPARE_FULL_URL_MAX];
        snprintf(token_url, sizeof token_url, "%s", options.native_token_url ? options.native_token_url : "");
        if (!options.native_token_url)
            snprintf(token_url, sizeof token_url, "%s/dwsso/oauth2/access_token", native.base_url);
        if (client_token(&native, token_url, options.native_client) != 0)
            goto out;
    } else if (options.native_jwt) {
        if (jwt_token(&native, options.native_login_url, options.native_jwt) != 0)
            goto out;
    } else {
        const char *token = options.native_token
                                ? options.native_token
                                : configured_token(config, native.org, CM_SCOPE_AVAILABILITY | CM_SCOPE_IMPEX_INVENTORY_RW);
        if (!token) {
            fprintf(stderr, "omsgw compare: no token for organization %s: pass --native-token\n", native.org);
            goto out;
        }
        snprintf(native.token, sizeof native.token, "%s", token);
    }

    if (build_native_file(items, tenant, location, &rows, &row_count, &file) != 0)
        goto out;
    int job_failed = 0;
    if (!options.compare_only) {
        char gateway_url[COMPARE_URL_MAX];
        snprintf(gateway_url, sizeof gateway_url, "%s", options.gateway_url ? options.gateway_url : "");
        if (!options.gateway_url)
            snprintf(gateway_url, sizeof gateway_url, "http://127.0.0.1:%d", config->gateway.port);
        int64_t job_id = 0;
        int sent = send_legacy(&options, tenant, gateway_url, request_text, request_length, &job_id);
        if (sent < 0)
            goto out;
        job_failed = sent > 0;
        if (import_native(&native, &file) != 0) {
            fprintf(stderr, "omsgw compare: the native import did not complete\n");
            goto out;
        }
    }
    if (read_side(&gateway, location, rows, row_count, 1) != 0 || read_side(&native, location, rows, row_count, 0) != 0)
        goto out;
    size_t differing = options.json ? print_json(rows, row_count, location, &gateway, &native)
                                    : print_table(rows, row_count, location, &gateway, &native);
    exit_code = differing || job_failed ? COMPARE_EXIT_DIFFERENT : COMPARE_EXIT_EQUAL;
out:
    free(rows);
    cm_body_free(&file);
    json_object_put(request);
    free(request_text);
    cm_httpc_pool_free(pool);
    pool = NULL;
    cm_config_free(config);
    return exit_code;
}
