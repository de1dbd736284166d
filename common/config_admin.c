#include "common/config_admin.h"
#include "common/json_util.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PORT_MAX 65535

static cm_err fail(char *error, const char *origin, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static cm_err fail(char *error, const char *origin, const char *field, const char *fmt, ...)
{
    char problem[CM_CONFIG_ERROR_MAX / 2];
    va_list args;
    va_start(args, fmt);
    vsnprintf(problem, sizeof problem, fmt, args);
    va_end(args);
    snprintf(error, CM_CONFIG_ERROR_MAX, "config %s: field %s: %s", origin, field, problem);
    return CM_ECONFIG;
}

static char *resolve(const char *base_dir, const char *relative)
{
    if (relative[0] == '/' || !base_dir || !*base_dir)
        return strdup(relative);
    size_t length = strlen(base_dir) + strlen(relative) + 2;
    char *joined = malloc(length);
    if (joined)
        snprintf(joined, length, "%s/%s", base_dir, relative);
    return joined;
}

/* "<section>.tls": {"certificate": "...", "key": "..."}, both required when the object is there. */
static cm_err read_tls(const json_object *section, const char *section_name, const char *origin,
                       const char *base_dir, cm_tls_files *out, char *error)
{
    json_object *tls = NULL;
    char field[64];
    snprintf(field, sizeof field, "%s.tls", section_name);
    switch (cm_json_object(section, "tls", &tls)) {
    case CM_JSON_ABSENT: return CM_OK;
    case CM_JSON_OK: break;
    default: return fail(error, origin, field, "must be an object {\"certificate\": FILE, \"key\": FILE}");
    }
    static const char *const members[] = {"certificate", "key"};
    char **targets[] = {&out->certificate_path, &out->key_path};
    for (int i = 0; i < 2; i++) {
        const char *value = NULL;
        char member_field[80];
        snprintf(member_field, sizeof member_field, "%s.%s", field, members[i]);
        switch (cm_json_string(tls, members[i], &value)) {
        case CM_JSON_ABSENT: return fail(error, origin, member_field, "is required (a PEM file)");
        case CM_JSON_OK: break;
        default: return fail(error, origin, member_field, "must be a file path (string)");
        }
        if (!*value)
            return fail(error, origin, member_field, "must not be empty");
        *targets[i] = resolve(base_dir, value);
        if (!*targets[i])
            return CM_ENOMEM;
    }
    return CM_OK;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* admin.tokens: an array of plain tokens or {"sha256": "<64 hex>"} objects. */
static cm_err read_tokens(const json_object *admin, const char *origin, cm_config *config, char *error)
{
    json_object *tokens = NULL;
    switch (cm_json_array(admin, "tokens", &tokens)) {
    case CM_JSON_ABSENT: return CM_OK;
    case CM_JSON_OK: break;
    default: return fail(error, origin, "admin.tokens", "must be an array of tokens or {\"sha256\": HEX}");
    }
    size_t count = json_object_array_length(tokens);
    config->admin.tokens = calloc(count ? count : 1, sizeof(cm_admin_token));
    if (!config->admin.tokens)
        return CM_ENOMEM;
    for (size_t i = 0; i < count; i++) {
        json_object *entry = json_object_array_get_idx(tokens, i);
        char field[48];
        snprintf(field, sizeof field, "admin.tokens[%zu]", i);
        cm_admin_token *token = &config->admin.tokens[i];
        /* {"token": "..."} is the form that takes ${ENV} and "tokenFile" (config_secrets.c). */
        const char *plain = NULL;
        if (entry && json_object_is_type(entry, json_type_object) && cm_json_string(entry, "token", &plain) == CM_JSON_OK) {
            if (json_object_object_get_ex(entry, "sha256", NULL))
                return fail(error, origin, field, "give either token or sha256, not both");
        } else if (entry && json_object_is_type(entry, json_type_string)) {
            plain = json_object_get_string(entry);
        }
        if (plain) {
            const char *text = plain;
            if (strlen(text) < 16)
                return fail(error, origin, field, "is too short: an admin token needs at least 16 characters");
            if (cm_sha256(text, strlen(text), token->sha256) != CM_OK)
                return CM_ENOMEM;
        } else if (entry && json_object_is_type(entry, json_type_object)) {
            const char *hex = NULL;
            char hex_field[64];
            snprintf(hex_field, sizeof hex_field, "%s.sha256", field);
            if (cm_json_string(entry, "sha256", &hex) != CM_JSON_OK || strlen(hex) != CM_SHA256_HEX_LEN)
                return fail(error, origin, hex_field, "must be 64 hexadecimal characters");
            for (int b = 0; b < CM_SHA256_LEN; b++) {
                int high = hex_value(hex[b * 2]), low = hex_value(hex[b * 2 + 1]);
                if (high < 0 || low < 0)
                    return fail(error, origin, hex_field, "must be 64 hexadecimal characters");
                token->sha256[b] = (uint8_t)(high * 16 + low);
            }
        } else {
            return fail(error, origin, field, "must be a token (string), {\"token\": TEXT} or {\"sha256\": HEX}");
        }
        config->admin.token_count = i + 1;
    }
    return CM_OK;
}

cm_err cm_config_read_admin(const json_object *root, const char *origin, const char *base_dir,
                            cm_config *config, char *error)
{
    json_object *gateway = NULL, *oci = NULL, *admin = NULL;
    cm_json_object(root, "gateway", &gateway);
    cm_json_object(root, "oci", &oci);
    cm_err rc;
    if (gateway && (rc = read_tls(gateway, "gateway", origin, base_dir, &config->gateway.tls, error)))
        return rc;
    if (oci && (rc = read_tls(oci, "oci", origin, base_dir, &config->oci.tls, error)))
        return rc;
    config->admin.port = 0;
    switch (cm_json_object(root, "admin", &admin)) {
    case CM_JSON_ABSENT: admin = NULL; break;
    case CM_JSON_OK: break;
    default: return fail(error, origin, "admin", "must be an object");
    }
    const char *bind = CM_DEFAULT_BIND;
    if (admin) {
        /* Giving the section turns the listener on at its conventional port. */
        config->admin.port = CM_DEFAULT_ADMIN_PORT;
        int64_t port = config->admin.port;
        switch (cm_json_int64(admin, "port", &port)) {
        case CM_JSON_ABSENT:
        case CM_JSON_OK: break;
        default: return fail(error, origin, "admin.port", "must be an integer");
        }
        if (port < 0 || port > PORT_MAX)
            return fail(error, origin, "admin.port", "must be between 0 and %d, got %lld", PORT_MAX, (long long)port);
        config->admin.port = (int)port;
        switch (cm_json_string(admin, "bind", &bind)) {
        case CM_JSON_ABSENT: bind = CM_DEFAULT_BIND; break;
        case CM_JSON_OK: break;
        default: return fail(error, origin, "admin.bind", "must be a string");
        }
        struct in_addr address;
        if (inet_pton(AF_INET, bind, &address) != 1)
            return fail(error, origin, "admin.bind", "\"%s\" is not an IPv4 address (for example 127.0.0.1)", bind);
        if ((rc = read_tokens(admin, origin, config, error)) ||
            (rc = read_tls(admin, "admin", origin, base_dir, &config->admin.tls, error)))
            return rc;
        /* An admin listener nobody can log in to would only answer 401: say so at start instead. */
        if (config->admin.port != 0 && config->admin.token_count == 0)
            return fail(error, origin, "admin.tokens", "at least one token is required while admin.port is not 0");
        if (config->admin.port != 0 &&
            (config->admin.port == config->gateway.port || config->admin.port == config->oci.port))
            return fail(error, origin, "admin.port", "must differ from gateway.port and oci.port (%d)",
                        config->admin.port);
    }
    config->admin.bind = strdup(bind);
    if (!config->admin.bind)
        return CM_ENOMEM;
    return CM_OK;
}

void cm_config_free_admin(cm_config *config)
{
    cm_tls_files *all[] = {&config->gateway.tls, &config->oci.tls, &config->admin.tls};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        free(all[i]->certificate_path);
        free(all[i]->key_path);
    }
    free(config->admin.bind);
    free(config->admin.tokens);
}
