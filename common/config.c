#include "common/config.h"
#include "common/config_admin.h"
#include "common/config_fields.h"
#include "common/config_secrets.h"
#include "common/json_util.h"

#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CM_CONFIG_MAX_FILE_BYTES (4 * 1024 * 1024)
#define CM_PORT_MAX 65535

/* Defaults of decisions.md. */
#define DEFAULT_GATEWAY_PORT 8080
#define DEFAULT_OCI_PORT 8081
#define DEFAULT_BODY_LIMIT (16 * 1024 * 1024)
#define DEFAULT_HTTP_THREADS 4
#define DEFAULT_CONNECTION_TIMEOUT 30
#define DEFAULT_CONNECTION_LIMIT 1024
#define DEFAULT_TOKEN_TTL 1800
#define DEFAULT_WORKERS 2
#define DEFAULT_CHUNK_SIZE 3000
#define DEFAULT_RETENTION_DAYS 30
#define DEFAULT_RETRY_BUDGET 600
#define DEFAULT_LEASE_SECONDS 60
#define DEFAULT_DELIVERY_TIMEOUT 60

typedef struct parse_ctx {
    const char *origin;
    const char *base_dir;
    char *error;
} parse_ctx;

static cm_err fail(parse_ctx *ctx, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static cm_err fail(parse_ctx *ctx, const char *field, const char *fmt, ...)
{
    char problem[CM_CONFIG_ERROR_MAX / 2];
    va_list args;
    va_start(args, fmt);
    vsnprintf(problem, sizeof problem, fmt, args);
    va_end(args);
    snprintf(ctx->error, CM_CONFIG_ERROR_MAX, "config %s: field %s: %s", ctx->origin, field, problem);
    return CM_ECONFIG;
}

static char *dup_string(const char *text)
{
    return text ? strdup(text) : NULL;
}

unsigned cm_scope_from_name(const char *name)
{
    static const struct {
        const char *name;
        unsigned bit;
    } scopes[] = {
        {"sfcc.inventory.availability", CM_SCOPE_AVAILABILITY},
        {"sfcc.inventory.availability.rw", CM_SCOPE_AVAILABILITY_RW},
        {"sfcc.inventory.impex-inventory", CM_SCOPE_IMPEX_INVENTORY},
        {"sfcc.inventory.impex-inventory.rw", CM_SCOPE_IMPEX_INVENTORY_RW},
        {"sfcc.inventory.impex-graphs", CM_SCOPE_IMPEX_GRAPHS},
        {"sfcc.inventory.reservations", CM_SCOPE_RESERVATIONS},
        {"sfcc.inventory.reservations.rw", CM_SCOPE_RESERVATIONS_RW},
    };
    /* The org spelling uses '_' where the Account Manager one uses '.' or '-'. */
    char normalised[64];
    size_t length = strlen(name);
    if (length >= sizeof normalised)
        return 0;
    for (size_t i = 0; i <= length; i++)
        normalised[i] = name[i] == '-' ? '_' : name[i] == '.' ? '_' : name[i];
    for (size_t i = 0; i < sizeof scopes / sizeof scopes[0]; i++) {
        char candidate[64];
        size_t n = strlen(scopes[i].name);
        for (size_t j = 0; j <= n; j++)
            candidate[j] = scopes[i].name[j] == '-' || scopes[i].name[j] == '.' ? '_' : scopes[i].name[j];
        if (strcmp(candidate, normalised) == 0)
            return scopes[i].bit;
    }
    return 0;
}

/* ---- typed field readers: each leaves *out unchanged when the field is absent ---- */

/* Writes "<path><key>" for error messages. Paths come from the schema and are short; a longer one
 * is cut rather than refused, since it only names a field in a message. */
static void field_name(char *out, size_t size, const char *path, const char *key)
{
    int n = snprintf(out, size, "%s%s", path, key);
    if (n < 0 || (size_t)n >= size)
        out[size - 1] = '\0';
}

static cm_err read_int(parse_ctx *ctx, json_object *obj, const char *key, const char *path,
                       int64_t min, int64_t max, int64_t *out)
{
    char field[256];
    field_name(field, sizeof field, path, key);
    int64_t value;
    switch (cm_json_int64(obj, key, &value)) {
    case CM_JSON_ABSENT: return CM_OK;
    case CM_JSON_OK: break;
    default: return fail(ctx, field, "must be an integer");
    }
    if (value < min || value > max)
        return fail(ctx, field, "must be between %lld and %lld, got %lld", (long long)min,
                    (long long)max, (long long)value);
    *out = value;
    return CM_OK;
}

static cm_err read_int32(parse_ctx *ctx, json_object *obj, const char *key, const char *path,
                         int min, int max, int *out)
{
    int64_t value = *out;
    cm_err rc = read_int(ctx, obj, key, path, min, max, &value);
    *out = (int)value;
    return rc;
}

static cm_err read_bool(parse_ctx *ctx, json_object *obj, const char *key, const char *path, int *out)
{
    switch (cm_json_bool(obj, key, out)) {
    case CM_JSON_ABSENT:
    case CM_JSON_OK: return CM_OK;
    default: {
        char field[256];
        field_name(field, sizeof field, path, key);
        return fail(ctx, field, "must be true or false");
    }
    }
}

static cm_err read_number(parse_ctx *ctx, json_object *obj, const char *key, const char *path,
                          double *out)
{
    char field[256];
    field_name(field, sizeof field, path, key);
    switch (cm_json_number(obj, key, out)) {
    case CM_JSON_ABSENT: return CM_OK;
    case CM_JSON_OK: break;
    default: return fail(ctx, field, "must be a number");
    }
    if (*out < 0)
        return fail(ctx, field, "must not be negative");
    return CM_OK;
}

/* Reads a string; `required` makes absence an error. *out is a new copy. */
static cm_err read_string(parse_ctx *ctx, json_object *obj, const char *key, const char *path,
                          int required, char **out)
{
    char field[256];
    field_name(field, sizeof field, path, key);
    const char *value;
    switch (cm_json_string(obj, key, &value)) {
    case CM_JSON_ABSENT:
        return required ? fail(ctx, field, "is required") : CM_OK;
    case CM_JSON_OK: break;
    default: return fail(ctx, field, "must be a string");
    }
    if (required && !*value)
        return fail(ctx, field, "must not be empty");
    free(*out);
    *out = strdup(value);
    return *out ? CM_OK : CM_ENOMEM;
}

static cm_err read_section(parse_ctx *ctx, json_object *root, const char *key, json_object **out)
{
    *out = NULL;
    switch (cm_json_object(root, key, out)) {
    case CM_JSON_ABSENT:
    case CM_JSON_OK: return CM_OK;
    default: return fail(ctx, key, "must be an object");
    }
}

static cm_err read_rate_limit(parse_ctx *ctx, json_object *obj, const char *path, cm_rate_limit *out)
{
    json_object *section = NULL;
    char field[256];
    field_name(field, sizeof field, path, "rateLimit");
    switch (cm_json_object(obj, "rateLimit", &section)) {
    case CM_JSON_ABSENT: return CM_OK;
    case CM_JSON_OK: break;
    default: return fail(ctx, field, "must be an object");
    }
    char inner[200];
    snprintf(inner, sizeof inner, "%.190s.", field);
    cm_err rc = read_number(ctx, section, "requestsPerSecond", inner, &out->requests_per_second);
    if (!rc)
        rc = read_number(ctx, section, "burst", inner, &out->burst);
    if (!rc && out->requests_per_second > 0 && out->burst < 1)
        out->burst = out->requests_per_second < 1 ? 1 : out->requests_per_second;
    return rc;
}

static char *resolve_path(parse_ctx *ctx, const char *relative)
{
    if (relative[0] == '/' || !ctx->base_dir || !*ctx->base_dir)
        return strdup(relative);
    size_t length = strlen(ctx->base_dir) + strlen(relative) + 2;
    char *joined = malloc(length);
    if (joined)
        snprintf(joined, length, "%s/%s", ctx->base_dir, relative);
    return joined;
}

static cm_err read_scopes(parse_ctx *ctx, json_object *obj, const char *path, unsigned *out)
{
    json_object *list = NULL;
    char field[256];
    field_name(field, sizeof field, path, "scopes");
    switch (cm_json_array(obj, "scopes", &list)) {
    case CM_JSON_ABSENT: return fail(ctx, field, "is required");
    case CM_JSON_OK: break;
    default: return fail(ctx, field, "must be an array of scope names");
    }
    *out = 0;
    for (size_t i = 0; i < json_object_array_length(list); i++) {
        json_object *item = json_object_array_get_idx(list, i);
        char item_field[280];
        snprintf(item_field, sizeof item_field, "%s[%zu]", field, i);
        if (!json_object_is_type(item, json_type_string))
            return fail(ctx, item_field, "must be a string");
        unsigned bit = cm_scope_from_name(json_object_get_string(item));
        if (!bit)
            return fail(ctx, item_field, "unknown scope \"%s\"", json_object_get_string(item));
        *out |= bit;
    }
    return CM_OK;
}

/* oci.organizations[i].connectedApps: consumer key, certificate file, optional secret, users, scopes. */
static cm_err read_connected_apps(parse_ctx *ctx, json_object *item, const char *path, cm_oci_org *org)
{
    json_object *apps = NULL;
    char field[160];
    field_name(field, sizeof field, path, "connectedApps");
    switch (cm_json_array(item, "connectedApps", &apps)) {
    case CM_JSON_ABSENT: return CM_OK;
    case CM_JSON_OK: break;
    default: return fail(ctx, field, "must be an array");
    }
    size_t count = json_object_array_length(apps);
    org->connected_apps = calloc(count ? count : 1, sizeof(cm_connected_app));
    if (!org->connected_apps)
        return CM_ENOMEM;
    for (size_t a = 0; a < count; a++) {
        json_object *entry = json_object_array_get_idx(apps, a);
        char app_path[200];
        snprintf(app_path, sizeof app_path, "%s[%zu].", field, a);
        if (!json_object_is_type(entry, json_type_object))
            return fail(ctx, field, "entry %zu must be an object", a);
        cm_connected_app *app = &org->connected_apps[a];
        org->connected_app_count = a + 1;
        char *certificate = NULL;
        cm_err rc;
        if ((rc = read_string(ctx, entry, "consumerKey", app_path, 1, &app->consumer_key)) ||
            (rc = read_string(ctx, entry, "certificate", app_path, 0, &certificate)) ||
            (rc = read_string(ctx, entry, "consumerSecret", app_path, 0, &app->consumer_secret)) ||
            (rc = read_scopes(ctx, entry, app_path, &app->scopes))) {
            free(certificate);
            return rc;
        }
        if (certificate) {
            app->certificate_path = resolve_path(ctx, certificate);
            free(certificate);
            if (!app->certificate_path)
                return CM_ENOMEM;
        }
        if (!app->certificate_path && !app->consumer_secret) {
            char app_field[220];
            snprintf(app_field, sizeof app_field, "%.200scertificate", app_path);
            return fail(ctx, app_field, "is required when there is no consumerSecret");
        }
        json_object *users = NULL;
        char users_field[220];
        snprintf(users_field, sizeof users_field, "%.200susers", app_path);
        if (cm_json_array(entry, "users", &users) == CM_JSON_WRONG_TYPE)
            return fail(ctx, users_field, "must be an array");
        size_t user_count = users ? json_object_array_length(users) : 0;
        app->users = calloc(user_count ? user_count : 1, sizeof(cm_connected_app_user));
        if (!app->users)
            return CM_ENOMEM;
        for (size_t u = 0; u < user_count; u++) {
            json_object *user = json_object_array_get_idx(users, u);
            char user_path[260];
            snprintf(user_path, sizeof user_path, "%.220s[%zu].", users_field, u);
            if (!json_object_is_type(user, json_type_object))
                return fail(ctx, users_field, "entry %zu must be an object", u);
            app->user_count = u + 1;
            if ((rc = read_string(ctx, user, "username", user_path, 1, &app->users[u].username)) ||
                (rc = read_string(ctx, user, "password", user_path, 0, &app->users[u].password)) ||
                (rc = read_string(ctx, user, "securityToken", user_path, 0, &app->users[u].security_token)))
                return rc;
        }
    }
    return CM_OK;
}

static void free_connected_apps(cm_oci_org *org)
{
    for (size_t a = 0; a < org->connected_app_count; a++) {
        cm_connected_app *app = &org->connected_apps[a];
        free(app->consumer_key);
        free(app->certificate_path);
        free(app->consumer_secret);
        for (size_t u = 0; u < app->user_count; u++) {
            free(app->users[u].username);
            free(app->users[u].password);
            free(app->users[u].security_token);
        }
        free(app->users);
    }
    free(org->connected_apps);
}

static cm_err read_organizations(parse_ctx *ctx, json_object *oci, cm_config *config)
{
    json_object *list = NULL;
    if (!oci)
        return CM_OK;
    switch (cm_json_array(oci, "organizations", &list)) {
    case CM_JSON_ABSENT: return CM_OK;
    case CM_JSON_OK: break;
    default: return fail(ctx, "oci.organizations", "must be an array");
    }
    size_t count = json_object_array_length(list);
    config->oci.organizations = calloc(count ? count : 1, sizeof(cm_oci_org));
    if (!config->oci.organizations)
        return CM_ENOMEM;
    for (size_t i = 0; i < count; i++) {
        json_object *item = json_object_array_get_idx(list, i);
        char path[64];
        snprintf(path, sizeof path, "oci.organizations[%zu].", i);
        if (!json_object_is_type(item, json_type_object))
            return fail(ctx, "oci.organizations", "entry %zu must be an object", i);
        cm_oci_org *org = &config->oci.organizations[i];
        config->oci.organization_count = i + 1;
        cm_err rc = read_string(ctx, item, "id", path, 1, &org->id);
        if (rc)
            return rc;
        for (size_t j = 0; j < i; j++)
            if (strcmp(config->oci.organizations[j].id, org->id) == 0) {
                char field[80];
                field_name(field, sizeof field, path, "id");
                return fail(ctx, field, "duplicate organization id \"%s\"", org->id);
            }
        if ((rc = read_rate_limit(ctx, item, path, &org->rate_limit)))
            return rc;
        char *graph = NULL;
        rc = read_string(ctx, item, "locationGraph", path, 0, &graph);
        if (rc)
            return rc;
        if (graph) {
            org->location_graph_path = resolve_path(ctx, graph);
            free(graph);
            if (!org->location_graph_path)
                return CM_ENOMEM;
        }
        json_object *tokens = NULL;
        if (cm_json_array(item, "tokens", &tokens) == CM_JSON_WRONG_TYPE) {
            char field[80];
            field_name(field, sizeof field, path, "tokens");
            return fail(ctx, field, "must be an array");
        }
        size_t token_count = tokens ? json_object_array_length(tokens) : 0;
        org->tokens = calloc(token_count ? token_count : 1, sizeof(cm_oci_token));
        if (!org->tokens)
            return CM_ENOMEM;
        for (size_t t = 0; t < token_count; t++) {
            json_object *entry = json_object_array_get_idx(tokens, t);
            char entry_path[96];
            snprintf(entry_path, sizeof entry_path, "%stokens[%zu].", path, t);
            org->token_count = t + 1;
            if ((rc = read_string(ctx, entry, "token", entry_path, 1, &org->tokens[t].token)) ||
                (rc = read_scopes(ctx, entry, entry_path, &org->tokens[t].scopes)))
                return rc;
        }
        json_object *clients = NULL;
        if (cm_json_array(item, "clients", &clients) == CM_JSON_WRONG_TYPE) {
            char field[80];
            field_name(field, sizeof field, path, "clients");
            return fail(ctx, field, "must be an array");
        }
        size_t client_count = clients ? json_object_array_length(clients) : 0;
        org->clients = calloc(client_count ? client_count : 1, sizeof(cm_oci_client));
        if (!org->clients)
            return CM_ENOMEM;
        for (size_t c = 0; c < client_count; c++) {
            json_object *entry = json_object_array_get_idx(clients, c);
            char entry_path[96];
            snprintf(entry_path, sizeof entry_path, "%sclients[%zu].", path, c);
            org->client_count = c + 1;
            if ((rc = read_string(ctx, entry, "id", entry_path, 1, &org->clients[c].id)) ||
                (rc = read_string(ctx, entry, "secret", entry_path, 1, &org->clients[c].secret)) ||
                (rc = read_scopes(ctx, entry, entry_path, &org->clients[c].scopes)))
                return rc;
        }
        if ((rc = read_connected_apps(ctx, item, path, org)))
            return rc;
    }
    return CM_OK;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)tolower((unsigned char)c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static cm_err read_api_keys(parse_ctx *ctx, json_object *tenant_obj, const char *path, cm_tenant *tenant)
{
    json_object *keys = NULL;
    char field[128];
    field_name(field, sizeof field, path, "apiKeys");
    switch (cm_json_object(tenant_obj, "apiKeys", &keys)) {
    case CM_JSON_ABSENT: return fail(ctx, field, "is required");
    case CM_JSON_OK: break;
    default: return fail(ctx, field, "must be an object");
    }
    json_object_object_foreach(keys, name, value)
    {
        char key_field[192];
        snprintf(key_field, sizeof key_field, "%s.%s", field, name);
        int is_v5 = strcmp(name, "v5") == 0 || strcmp(name, "v5Sha256") == 0;
        int is_inventory = strcmp(name, "inventorySpecific") == 0 ||
                           strcmp(name, "inventorySpecificSha256") == 0;
        if (!is_v5 && !is_inventory)
            return fail(ctx, key_field,
                        "unknown key type (use v5, inventorySpecific, v5Sha256 or inventorySpecificSha256)");
        if (!value || !json_object_is_type(value, json_type_string) || !*json_object_get_string(value))
            return fail(ctx, key_field, "must be a non-empty string");
        const char *text = json_object_get_string(value);
        uint8_t *digest = is_v5 ? tenant->v5_key_sha256 : tenant->inventory_specific_key_sha256;
        int *present = is_v5 ? &tenant->has_v5_key : &tenant->has_inventory_specific_key;
        if (*present)
            return fail(ctx, key_field, "the key is given twice (plain and hashed)");
        if (strstr(name, "Sha256")) {
            if (strlen(text) != CM_SHA256_HEX_LEN)
                return fail(ctx, key_field, "must be 64 hexadecimal characters");
            for (int i = 0; i < CM_SHA256_LEN; i++) {
                int high = hex_digit(text[i * 2]), low = hex_digit(text[i * 2 + 1]);
                if (high < 0 || low < 0)
                    return fail(ctx, key_field, "must be 64 hexadecimal characters");
                digest[i] = (uint8_t)(high * 16 + low);
            }
        } else {
            if (cm_sha256(text, strlen(text), digest) != CM_OK)
                return CM_ENOMEM;
            char **plain = is_v5 ? &tenant->v5_key : &tenant->inventory_specific_key;
            *plain = strdup(text);
            if (!*plain)
                return CM_ENOMEM;
        }
        *present = 1;
    }
    return CM_OK;
}

static cm_err read_tenant(parse_ctx *ctx, json_object *item, size_t index, cm_config *config,
                          cm_tenant *tenant)
{
    char path[48];
    snprintf(path, sizeof path, "tenants[%zu].", index);
    char field[128];
    if (!json_object_is_type(item, json_type_object))
        return fail(ctx, "tenants", "entry %zu must be an object", index);
    tenant->id = 0;
    tenant->translated_apis = 1;
    tenant->floor = CM_FLOOR_MAX;
    tenant->sku_from[0] = CM_ID_SKU;
    tenant->sku_from[1] = CM_ID_PART_NUMBER;
    tenant->sku_from[2] = CM_ID_UPC;
    tenant->sku_from_count = 3;
    tenant->rate_limit = config->gateway.rate_limit;

    field_name(field, sizeof field, path, "id");
    if (cm_json_int64(item, "id", &tenant->id) == CM_JSON_ABSENT)
        return fail(ctx, field, "is required");
    cm_err rc = read_int(ctx, item, "id", path, 1, INT32_MAX, &tenant->id);
    if (rc)
        return rc;
    for (size_t j = 0; j < index; j++)
        if (config->tenants[j].id == tenant->id)
            return fail(ctx, field, "duplicate tenant id %lld", (long long)tenant->id);
    if ((rc = read_bool(ctx, item, "translatedApis", path, &tenant->translated_apis)) ||
        (rc = read_api_keys(ctx, item, path, tenant)) ||
        (rc = read_string(ctx, item, "organizationId", path, 1, &tenant->organization_id)) ||
        (rc = read_bool(ctx, item, "autoLocations", path, &tenant->auto_locations)) ||
        (rc = read_rate_limit(ctx, item, path, &tenant->rate_limit)))
        return rc;
    if (!cm_config_org(config, tenant->organization_id)) {
        field_name(field, sizeof field, path, "organizationId");
        if (config->delivery.mode == CM_DELIVERY_BUNDLED)
            return fail(ctx, field, "organization \"%s\" is not in oci.organizations",
                        tenant->organization_id);
    }

    json_object *locations = NULL;
    field_name(field, sizeof field, path, "locations");
    switch (cm_json_object(item, "locations", &locations)) {
    case CM_JSON_ABSENT: break;
    case CM_JSON_OK: break;
    default: return fail(ctx, field, "must be an object mapping location names to OCI location ids");
    }
    if (locations) {
        size_t count = (size_t)json_object_object_length(locations);
        tenant->locations = calloc(count ? count : 1, sizeof(cm_location_entry));
        if (!tenant->locations)
            return CM_ENOMEM;
        json_object_object_foreach(locations, name, value)
        {
            char entry_field[256];
            snprintf(entry_field, sizeof entry_field, "%s.%s", field, name);
            if (!value || !json_object_is_type(value, json_type_string))
                return fail(ctx, entry_field, "must be a string (the OCI location id)");
            const char *oci_id = json_object_get_string(value);
            size_t id_length = strlen(oci_id);
            if (id_length < 2 || id_length > 128 || strspn(oci_id, "abcdefghijklmnopqrstuvwxyz"
                                                                  "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                                  "0123456789-_") != id_length)
                return fail(ctx, entry_field,
                            "\"%s\" is not an OCI location id (2..128 of A-Z a-z 0-9 - _)", oci_id);
            if (!*name)
                return fail(ctx, field, "a location name must not be empty");
            cm_location_entry *entry = &tenant->locations[tenant->location_count++];
            entry->name = strdup(name);
            entry->oci_id = strdup(oci_id);
            if (!entry->name || !entry->oci_id)
                return CM_ENOMEM;
        }
    }

    json_object *sku_from = NULL;
    field_name(field, sizeof field, path, "skuFrom");
    switch (cm_json_array(item, "skuFrom", &sku_from)) {
    case CM_JSON_ABSENT: break;
    case CM_JSON_OK: {
        size_t count = json_object_array_length(sku_from);
        if (count < 1 || count > 3)
            return fail(ctx, field, "must list 1 to 3 of sku, partNumber, upc");
        tenant->sku_from_count = 0;
        for (size_t i = 0; i < count; i++) {
            json_object *name = json_object_array_get_idx(sku_from, i);
            const char *text = name && json_object_is_type(name, json_type_string)
                                   ? json_object_get_string(name)
                                   : "";
            cm_identifier id;
            if (strcmp(text, "sku") == 0)
                id = CM_ID_SKU;
            else if (strcmp(text, "partNumber") == 0)
                id = CM_ID_PART_NUMBER;
            else if (strcmp(text, "upc") == 0)
                id = CM_ID_UPC;
            else
                return fail(ctx, field, "entry %zu must be one of sku, partNumber, upc", i);
            for (size_t j = 0; j < tenant->sku_from_count; j++)
                if (tenant->sku_from[j] == id)
                    return fail(ctx, field, "\"%s\" is listed twice", text);
            tenant->sku_from[tenant->sku_from_count++] = id;
        }
        break;
    }
    default: return fail(ctx, field, "must be an array");
    }

    const char *floor = NULL;
    field_name(field, sizeof field, path, "floor");
    switch (cm_json_string(item, "floor", &floor)) {
    case CM_JSON_ABSENT: break;
    case CM_JSON_OK:
        if (strcmp(floor, "max") == 0)
            tenant->floor = CM_FLOOR_MAX;
        else if (strcmp(floor, "sum") == 0)
            tenant->floor = CM_FLOOR_SUM;
        else if (strcmp(floor, "ignore") == 0)
            tenant->floor = CM_FLOOR_IGNORE;
        else
            return fail(ctx, field, "must be one of max, sum, ignore");
        break;
    default: return fail(ctx, field, "must be a string");
    }
    return CM_OK;
}

/* oci.control and the realism switches of the emulator (config.h, "The emulator side"). */
static cm_err read_emulator(parse_ctx *ctx, json_object *oci, cm_config *config)
{
    config->oci.control.enabled = 1;
    config->oci.control.journal_size = 1000;
    if (!oci)
        return CM_OK;
    json_object *control = NULL;
    cm_err rc;
    switch (cm_json_object(oci, "control", &control)) {
    case CM_JSON_ABSENT:
    case CM_JSON_OK: break;
    default: return fail(ctx, "oci.control", "must be an object");
    }
    if (control &&
        ((rc = read_bool(ctx, control, "enabled", "oci.control.", &config->oci.control.enabled)) ||
         (rc = read_string(ctx, control, "token", "oci.control.", 0, &config->oci.control.token)) ||
         (rc = read_bool(ctx, control, "journalBodies", "oci.control.", &config->oci.control.journal_bodies)) ||
         (rc = read_int32(ctx, control, "journalSize", "oci.control.", 1, 100000, &config->oci.control.journal_size))))
        return rc;
    if (config->oci.control.token && (strlen(config->oci.control.token) < 8 || strlen(config->oci.control.token) > 256))
        return fail(ctx, "oci.control.token", "must be 8..256 characters");
    if ((rc = read_bool(ctx, oci, "strict", "oci.", &config->oci.strict)) ||
        (rc = read_int32(ctx, oci, "propagationDelayMs", "oci.", 0, 60000, &config->oci.propagation_delay_ms)) ||
        (rc = read_int32(ctx, oci, "reservationExpiryLagSeconds", "oci.", 0, 120,
                         &config->oci.reservation_expiry_lag_seconds)) ||
        (rc = read_int32(ctx, oci, "graphChangeSeconds", "oci.", 0, 3600, &config->oci.graph_change_seconds)))
        return rc;
    return CM_OK;
}

/* delivery.jwt: {"loginUrl", "consumerKey", "username", "privateKey"} (the key file resolved
 * against the config folder; it is read and checked at start-up by the delivery, not here). */
static cm_err read_delivery_jwt(parse_ctx *ctx, json_object *section, cm_config *config)
{
    json_object *jwt = NULL;
    switch (cm_json_object(section, "jwt", &jwt)) {
    case CM_JSON_ABSENT: return CM_OK;
    case CM_JSON_OK: break;
    default: return fail(ctx, "delivery.jwt", "must be an object");
    }
    char *key = NULL;
    cm_err rc;
    if ((rc = read_string(ctx, jwt, "loginUrl", "delivery.jwt.", 1, &config->delivery.jwt_login_url)) ||
        (rc = read_string(ctx, jwt, "consumerKey", "delivery.jwt.", 1, &config->delivery.jwt_consumer_key)) ||
        (rc = read_string(ctx, jwt, "username", "delivery.jwt.", 1, &config->delivery.jwt_username)) ||
        (rc = read_string(ctx, jwt, "privateKey", "delivery.jwt.", 1, &key)) ||
        (rc = read_int32(ctx, jwt, "tokenLifetimeSeconds", "delivery.jwt.", 1, 86400,
                         &config->delivery.jwt_token_lifetime_seconds))) {
        free(key);
        return rc;
    }
    config->delivery.jwt_private_key_path = resolve_path(ctx, key);
    free(key);
    if (!config->delivery.jwt_private_key_path)
        return CM_ENOMEM;
    if (strncmp(config->delivery.jwt_login_url, "http://", 7) != 0 &&
        strncmp(config->delivery.jwt_login_url, "https://", 8) != 0)
        return fail(ctx, "delivery.jwt.loginUrl", "must start with http:// or https://");
    return CM_OK;
}

static cm_err read_delivery(parse_ctx *ctx, json_object *section, cm_config *config)
{
    config->delivery.mode = CM_DELIVERY_BUNDLED;
    config->delivery.timeout_seconds = DEFAULT_DELIVERY_TIMEOUT;
    config->delivery.verify_tls = 1;
    if (!section)
        return CM_OK;
    const char *mode = NULL;
    switch (cm_json_string(section, "mode", &mode)) {
    case CM_JSON_ABSENT: break;
    case CM_JSON_OK:
        if (strcmp(mode, "bundled") == 0)
            config->delivery.mode = CM_DELIVERY_BUNDLED;
        else if (strcmp(mode, "http") == 0)
            config->delivery.mode = CM_DELIVERY_HTTP;
        else
            return fail(ctx, "delivery.mode", "must be \"bundled\" or \"http\"");
        break;
    default: return fail(ctx, "delivery.mode", "must be a string");
    }
    cm_err rc;
    if ((rc = read_string(ctx, section, "baseUrl", "delivery.", 0, &config->delivery.base_url)) ||
        (rc = read_string(ctx, section, "token", "delivery.", 0, &config->delivery.token)) ||
        (rc = read_int32(ctx, section, "timeoutSeconds", "delivery.", 1, 3600,
                         &config->delivery.timeout_seconds)) ||
        (rc = read_bool(ctx, section, "verifyTls", "delivery.", &config->delivery.verify_tls)))
        return rc;
    json_object *oauth = NULL;
    switch (cm_json_object(section, "oauth", &oauth)) {
    case CM_JSON_ABSENT: break;
    case CM_JSON_OK:
        if ((rc = read_string(ctx, oauth, "tokenUrl", "delivery.oauth.", 1,
                              &config->delivery.oauth_token_url)) ||
            (rc = read_string(ctx, oauth, "clientId", "delivery.oauth.", 1,
                              &config->delivery.oauth_client_id)) ||
            (rc = read_string(ctx, oauth, "clientSecret", "delivery.oauth.", 1,
                              &config->delivery.oauth_client_secret)) ||
            (rc = read_string(ctx, oauth, "scope", "delivery.oauth.", 0, &config->delivery.oauth_scope)))
            return rc;
        break;
    default: return fail(ctx, "delivery.oauth", "must be an object");
    }
    if ((rc = read_delivery_jwt(ctx, section, config)))
        return rc;
    if (config->delivery.mode == CM_DELIVERY_HTTP) {
        if (!config->delivery.base_url)
            return fail(ctx, "delivery.baseUrl", "is required when delivery.mode is \"http\"");
        if (strncmp(config->delivery.base_url, "http://", 7) != 0 &&
            strncmp(config->delivery.base_url, "https://", 8) != 0)
            return fail(ctx, "delivery.baseUrl", "must start with http:// or https://");
        if (!config->delivery.token && !config->delivery.oauth_token_url && !config->delivery.jwt_login_url)
            return fail(ctx, "delivery", "http delivery needs \"token\", \"oauth\" or \"jwt\"");
    }
    return CM_OK;
}

/* gateway.bind and oci.bind: a dotted IPv4 address ("0.0.0.0" for every address). */
static cm_err read_bind(parse_ctx *ctx, json_object *section, const char *path, char **out)
{
    char field[64];
    field_name(field, sizeof field, path, "bind");
    if (section) {
        cm_err rc = read_string(ctx, section, "bind", path, 0, out);
        if (rc)
            return rc;
    }
    if (!*out) {
        *out = strdup(CM_DEFAULT_BIND);
        return *out ? CM_OK : CM_ENOMEM;
    }
    struct in_addr address;
    if (inet_pton(AF_INET, *out, &address) != 1)
        return fail(ctx, field, "\"%s\" is not an IPv4 address (for example 127.0.0.1 or 0.0.0.0)", *out);
    return CM_OK;
}

/* ---- command-line overrides: "a.b[2].c=value" ---- */

static cm_err apply_override(parse_ctx *ctx, json_object *root, const char *override)
{
    const char *equals = strchr(override, '=');
    if (!equals || equals == override)
        return fail(ctx, override, "an override must look like section.field=value");
    size_t path_length = (size_t)(equals - override);
    char path[256];
    if (path_length >= sizeof path)
        return fail(ctx, override, "override path is too long");
    memcpy(path, override, path_length);
    path[path_length] = '\0';

    const char *value_text = equals + 1;
    /* JSON only when the whole value is strict JSON: json_tokener_parse() would read "4x" as 4
     * and "nan" as NaN. Anything else is the string as typed ("null" stays a JSON null). */
    json_object *value = NULL;
    char parse_error[CM_JSON_ERROR_MAX];
    if (cm_json_parse(value_text, strlen(value_text), CM_JSON_MAX_DEPTH, &value, parse_error) != CM_OK) {
        value = json_object_new_string(value_text);
        if (!value)
            return CM_ENOMEM;
    }

    json_object *node = root;
    char *cursor = path;
    while (1) {
        char *dot = strchr(cursor, '.');
        if (dot)
            *dot = '\0';
        char *bracket = strchr(cursor, '[');
        long index = -1;
        if (bracket) {
            char *end;
            index = strtol(bracket + 1, &end, 10);
            if (*end != ']' || index < 0) {
                json_object_put(value);
                return fail(ctx, override, "bad array index in override");
            }
            *bracket = '\0';
        }
        int last = !dot;
        if (index >= 0) {
            json_object *array = NULL;
            if (!json_object_object_get_ex(node, cursor, &array) ||
                !json_object_is_type(array, json_type_array) ||
                (size_t)index >= json_object_array_length(array)) {
                json_object_put(value);
                return fail(ctx, override, "no such array element to override");
            }
            if (last) {
                json_object_array_put_idx(array, (size_t)index, value);
                return CM_OK;
            }
            node = json_object_array_get_idx(array, (size_t)index);
        } else if (last) {
            json_object_object_add(node, cursor, value);
            return CM_OK;
        } else {
            json_object *child = NULL;
            if (!json_object_object_get_ex(node, cursor, &child) || !child) {
                child = json_object_new_object();
                json_object_object_add(node, cursor, child);
            }
            node = child;
        }
        if (!node || !json_object_is_type(node, json_type_object)) {
            json_object_put(value);
            return fail(ctx, override, "override path goes through a value that is not an object");
        }
        cursor = dot + 1;
    }
}

/* storage: {"backend": "sqlite" | "postgresql", "url": "postgresql://…"}. The URL itself is checked
 * when the store opens it (libpq parses it); here only its presence and type. */
static cm_err read_storage(parse_ctx *ctx, json_object *storage, cm_config *config)
{
    config->storage.backend = CM_STORAGE_SQLITE;
    if (!storage)
        return CM_OK;
    char *backend = NULL;
    cm_err rc = read_string(ctx, storage, "backend", "storage.", 0, &backend);
    if (rc)
        return rc;
    if (backend && strcmp(backend, "postgresql") == 0)
        config->storage.backend = CM_STORAGE_POSTGRESQL;
    else if (backend && strcmp(backend, "sqlite") != 0) {
        free(backend);
        return fail(ctx, "storage.backend", "must be \"sqlite\" or \"postgresql\"");
    }
    free(backend);
    return read_string(ctx, storage, "url", "storage.", 0, &config->storage.url);
}

/* An override that applied cleanly must still name a known field (apply_override has already
 * checked its form, so the text has a '=' and a path that fits). */
static cm_err check_override_path(parse_ctx *ctx, const char *override)
{
    char path[256];
    snprintf(path, sizeof path, "%.*s", (int)(strchr(override, '=') - override), override);
    /* The value is left out: it may be a secret typed under a misspelt name. */
    char origin[CM_CONFIG_ERROR_MAX / 2];
    snprintf(origin, sizeof origin, "%s (--set %.200s=...)", ctx->origin, path);
    return cm_config_fields_check_override(path, origin, ctx->error);
}

cm_err cm_config_parse(const char *text, size_t length, const char *origin, const char *base_dir,
                       const char *const *overrides, size_t override_count, cm_config **out,
                       char error[CM_CONFIG_ERROR_MAX])
{
    *out = NULL;
    parse_ctx ctx = {.origin = origin, .base_dir = base_dir, .error = error};
    json_object *root = NULL;
    char parse_error[CM_JSON_ERROR_MAX];
    cm_err parsed = cm_json_parse(text, length, CM_JSON_MAX_DEPTH, &root, parse_error);
    if (parsed == CM_ENOMEM) {
        snprintf(error, CM_CONFIG_ERROR_MAX, "config %s: out of memory", origin);
        return CM_ENOMEM;
    }
    if (parsed != CM_OK) {
        /* The parser speaks of a "body"; in a config file it is the file. */
        const char *detail = strstr(parse_error, "JSON: ");
        snprintf(error, CM_CONFIG_ERROR_MAX, "config %s: not valid JSON: %s", origin,
                 detail ? detail + 6 : parse_error);
        return CM_ECONFIG;
    }
    cm_config *config = calloc(1, sizeof *config);
    if (!config) {
        json_object_put(root);
        snprintf(error, CM_CONFIG_ERROR_MAX, "config %s: out of memory", origin);
        return CM_ENOMEM;
    }
    cm_err rc = CM_OK;
    if (!json_object_is_type(root, json_type_object)) {
        rc = fail(&ctx, "(top level)", "must be a JSON object");
        goto out;
    }
    for (size_t i = 0; i < override_count && !rc; i++) {
        rc = apply_override(&ctx, root, overrides[i]);
        if (!rc)
            rc = check_override_path(&ctx, overrides[i]);
    }
    if (rc)
        goto out;
    /* Secrets first: "tokenFile" becomes "token", which the field check then knows. */
    if ((rc = cm_config_secrets_resolve(root, origin, base_dir, error)) ||
        (rc = cm_config_fields_check(root, origin, error)))
        goto out;

    config->path = dup_string(origin);
    config->config_dir = dup_string(base_dir ? base_dir : ".");
    if (!config->path || !config->config_dir) {
        rc = CM_ENOMEM;
        goto out;
    }
    config->gateway.port = DEFAULT_GATEWAY_PORT;
    config->gateway.body_limit_bytes = DEFAULT_BODY_LIMIT;
    config->gateway.threads = DEFAULT_HTTP_THREADS;
    config->gateway.connection_timeout_seconds = DEFAULT_CONNECTION_TIMEOUT;
    config->gateway.connection_limit = DEFAULT_CONNECTION_LIMIT;
    config->oci.port = DEFAULT_OCI_PORT;
    config->oci.threads = DEFAULT_HTTP_THREADS;
    config->oci.token_ttl_seconds = DEFAULT_TOKEN_TTL;
    config->queue.workers = DEFAULT_WORKERS;
    config->queue.chunk_size = DEFAULT_CHUNK_SIZE;
    config->queue.retention_days = DEFAULT_RETENTION_DAYS;
    config->queue.retry_budget_seconds = DEFAULT_RETRY_BUDGET;
    config->queue.lease_seconds = DEFAULT_LEASE_SECONDS;
    config->queue.coalesce = 1;

    json_object *gateway = NULL, *oci = NULL, *delivery = NULL, *queue = NULL, *storage = NULL;
    if ((rc = read_section(&ctx, root, "gateway", &gateway)) ||
        (rc = read_section(&ctx, root, "storage", &storage)) ||
        (rc = read_section(&ctx, root, "oci", &oci)) ||
        (rc = read_section(&ctx, root, "delivery", &delivery)) ||
        (rc = read_section(&ctx, root, "queue", &queue)))
        goto out;
    if (gateway &&
        ((rc = read_int32(&ctx, gateway, "port", "gateway.", 0, CM_PORT_MAX, &config->gateway.port)) ||
         (rc = read_int(&ctx, gateway, "bodyLimitBytes", "gateway.", 1024, 1LL << 30,
                        &config->gateway.body_limit_bytes)) ||
         (rc = read_int32(&ctx, gateway, "threads", "gateway.", 1, 64, &config->gateway.threads)) ||
         (rc = read_int32(&ctx, gateway, "connectionTimeoutSeconds", "gateway.", 1, 3600,
                          &config->gateway.connection_timeout_seconds)) ||
         (rc = read_int32(&ctx, gateway, "connectionLimit", "gateway.", 1, 65536,
                          &config->gateway.connection_limit)) ||
         (rc = read_rate_limit(&ctx, gateway, "gateway.", &config->gateway.rate_limit))))
        goto out;
    if (oci &&
        ((rc = read_int32(&ctx, oci, "port", "oci.", 0, CM_PORT_MAX, &config->oci.port)) ||
         (rc = read_int32(&ctx, oci, "threads", "oci.", 1, 64, &config->oci.threads)) ||
         (rc = read_int32(&ctx, oci, "tokenTtlSeconds", "oci.", 10, 86400,
                          &config->oci.token_ttl_seconds)) ||
         (rc = read_string(&ctx, oci, "publicUrl", "oci.", 0, &config->oci.public_url))))
        goto out;
    if ((rc = read_bind(&ctx, gateway, "gateway.", &config->gateway.bind)) ||
        (rc = read_bind(&ctx, oci, "oci.", &config->oci.bind)))
        goto out;
    if ((rc = read_organizations(&ctx, oci, config)) || (rc = read_delivery(&ctx, delivery, config)))
        goto out;
    if ((rc = read_emulator(&ctx, oci, config)))
        goto out;
    if (queue &&
        ((rc = read_int32(&ctx, queue, "workers", "queue.", 1, 64, &config->queue.workers)) ||
         (rc = read_int32(&ctx, queue, "chunkSize", "queue.", 1, 12000, &config->queue.chunk_size)) ||
         (rc = read_int32(&ctx, queue, "retentionDays", "queue.", 1, 3650,
                          &config->queue.retention_days)) ||
         (rc = read_int32(&ctx, queue, "retryBudgetSeconds", "queue.", 1, 86400,
                          &config->queue.retry_budget_seconds)) ||
         (rc = read_int32(&ctx, queue, "leaseSeconds", "queue.", 1, 3600, &config->queue.lease_seconds)) ||
         (rc = read_bool(&ctx, queue, "coalesce", "queue.", &config->queue.coalesce))))
        goto out;
    if ((rc = read_storage(&ctx, storage, config)))
        goto out;
    if ((rc = cm_config_read_admin(root, origin, base_dir, config, error)))
        goto out;
    if (config->gateway.port != 0 && config->gateway.port == config->oci.port) {
        rc = fail(&ctx, "oci.port", "must differ from gateway.port (%d)", config->gateway.port);
        goto out;
    }

    json_object *tenants = NULL;
    switch (cm_json_array(root, "tenants", &tenants)) {
    case CM_JSON_ABSENT: break;
    case CM_JSON_OK: break;
    default: rc = fail(&ctx, "tenants", "must be an array"); goto out;
    }
    size_t tenant_count = tenants ? json_object_array_length(tenants) : 0;
    config->tenants = calloc(tenant_count ? tenant_count : 1, sizeof(cm_tenant));
    if (!config->tenants) {
        rc = CM_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < tenant_count; i++) {
        config->tenant_count = i + 1;
        rc = read_tenant(&ctx, json_object_array_get_idx(tenants, i), i, config, &config->tenants[i]);
        if (rc)
            goto out;
    }
out:
    json_object_put(root);
    if (rc) {
        if (rc == CM_ENOMEM)
            snprintf(error, CM_CONFIG_ERROR_MAX, "config %s: out of memory", origin);
        cm_config_free(config);
        return rc;
    }
    *out = config;
    return CM_OK;
}

cm_err cm_config_load(const char *path, const char *const *overrides, size_t override_count,
                      cm_config **out, char error[CM_CONFIG_ERROR_MAX])
{
    *out = NULL;
    FILE *file = fopen(path, "rb");
    if (!file) {
        snprintf(error, CM_CONFIG_ERROR_MAX, "config %s: cannot open: %s", path, strerror(errno));
        return CM_ECONFIG;
    }
    char *text = malloc(CM_CONFIG_MAX_FILE_BYTES + 1);
    if (!text) {
        fclose(file);
        snprintf(error, CM_CONFIG_ERROR_MAX, "config %s: out of memory", path);
        return CM_ENOMEM;
    }
    size_t length = fread(text, 1, CM_CONFIG_MAX_FILE_BYTES + 1, file);
    int read_failed = ferror(file);
    fclose(file);
    if (read_failed || length > CM_CONFIG_MAX_FILE_BYTES) {
        snprintf(error, CM_CONFIG_ERROR_MAX, "config %s: %s", path,
                 read_failed ? "cannot read the file" : "file is larger than 4 MiB");
        free(text);
        return CM_ECONFIG;
    }
    text[length] = '\0';
    char *dir = strdup(path);
    if (!dir) {
        free(text);
        snprintf(error, CM_CONFIG_ERROR_MAX, "config %s: out of memory", path);
        return CM_ENOMEM;
    }
    char *slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = '\0';
    else
        strcpy(dir, ".");
    cm_err rc = cm_config_parse(text, length, path, dir, overrides, override_count, out, error);
    free(dir);
    free(text);
    return rc;
}

void cm_config_free(cm_config *config)
{
    if (!config)
        return;
    free(config->path);
    free(config->config_dir);
    for (size_t i = 0; i < config->oci.organization_count; i++) {
        cm_oci_org *org = &config->oci.organizations[i];
        free(org->id);
        free(org->location_graph_path);
        for (size_t t = 0; t < org->token_count; t++)
            free(org->tokens[t].token);
        free(org->tokens);
        for (size_t c = 0; c < org->client_count; c++) {
            free(org->clients[c].id);
            free(org->clients[c].secret);
        }
        free(org->clients);
        free_connected_apps(org);
    }
    free(config->oci.organizations);
    free(config->storage.url);
    free(config->gateway.bind);
    free(config->oci.bind);
    free(config->oci.control.token);
    free(config->oci.public_url);
    cm_config_free_admin(config);
    free(config->delivery.base_url);
    free(config->delivery.token);
    free(config->delivery.oauth_token_url);
    free(config->delivery.oauth_client_id);
    free(config->delivery.oauth_client_secret);
    free(config->delivery.oauth_scope);
    free(config->delivery.jwt_login_url);
    free(config->delivery.jwt_consumer_key);
    free(config->delivery.jwt_username);
    free(config->delivery.jwt_private_key_path);
    for (size_t i = 0; i < config->tenant_count; i++) {
        cm_tenant *tenant = &config->tenants[i];
        free(tenant->organization_id);
        free(tenant->v5_key);
        free(tenant->inventory_specific_key);
        for (size_t l = 0; l < tenant->location_count; l++) {
            free(tenant->locations[l].name);
            free(tenant->locations[l].oci_id);
        }
        free(tenant->locations);
    }
    free(config->tenants);
    free(config);
}

const cm_tenant *cm_config_tenant(const cm_config *config, int64_t tenant_id)
{
    for (size_t i = 0; i < config->tenant_count; i++)
        if (config->tenants[i].id == tenant_id)
            return &config->tenants[i];
    return NULL;
}

const cm_oci_org *cm_config_org(const cm_config *config, const char *org_id)
{
    if (!org_id)
        return NULL;
    for (size_t i = 0; i < config->oci.organization_count; i++)
        if (strcmp(config->oci.organizations[i].id, org_id) == 0)
            return &config->oci.organizations[i];
    return NULL;
}

const char *cm_tenant_location(const cm_tenant *tenant, const char *location_name)
{
    for (size_t i = 0; i < tenant->location_count; i++)
        if (strcmp(tenant->locations[i].name, location_name) == 0)
            return tenant->locations[i].oci_id;
    return NULL;
}
