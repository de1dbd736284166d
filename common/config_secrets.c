/*
 * config_secrets.c - ${ENV} and "<field>File" for the secret fields (see config_secrets.h).
 */
#include "common/config_secrets.h"
#include "common/config_fields.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FILE_SUFFIX "File"
#define MAX_FILE_MEMBERS 16
#define ENV_NAME_MAX 128

typedef struct secrets_ctx {
    const char *origin;
    const char *base_dir;
    char *error;
} secrets_ctx;

static cm_err fail(secrets_ctx *ctx, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static cm_err fail(secrets_ctx *ctx, const char *field, const char *fmt, ...)
{
    char problem[CM_CONFIG_ERROR_MAX / 2];
    va_list args;
    va_start(args, fmt);
    vsnprintf(problem, sizeof problem, fmt, args);
    va_end(args);
    snprintf(ctx->error, CM_CONFIG_ERROR_MAX, "config %s: field %s: %s", ctx->origin, field, problem);
    return CM_ECONFIG;
}

/* Reads a secret file into a new string (caller frees), without its one trailing newline. */
static cm_err read_secret_file(secrets_ctx *ctx, const char *field, const char *name, char **out)
{
    *out = NULL;
    char path[1024];
    if (name[0] == '/' || !ctx->base_dir || !*ctx->base_dir)
        snprintf(path, sizeof path, "%s", name);
    else
        snprintf(path, sizeof path, "%s/%s", ctx->base_dir, name);
    FILE *file = fopen(path, "rb");
    if (!file)
        return fail(ctx, field, "cannot read %s: %s", path, strerror(errno));
    char *text = malloc(CM_SECRET_FILE_MAX + 1);
    if (!text) {
        fclose(file);
        return CM_ENOMEM;
    }
    size_t length = fread(text, 1, CM_SECRET_FILE_MAX + 1, file);
    int failed = ferror(file);
    fclose(file);
    if (failed || length > CM_SECRET_FILE_MAX) {
        free(text);
        return fail(ctx, field, "%s: %s", path, failed ? "cannot read the file" : "larger than 64 KiB");
    }
    text[length] = '\0';
    if (length && text[length - 1] == '\n')
        text[--length] = '\0';
    if (length && text[length - 1] == '\r')
        text[--length] = '\0';
    if (!length || strlen(text) != length) {
        free(text);
        return fail(ctx, field, "%s is empty or holds a NUL byte", path);
    }
    *out = text;
    return CM_OK;
}

/* Expands every ${NAME} of `value` into a new string (caller frees). */
static cm_err expand_env(secrets_ctx *ctx, const char *field, const char *value, char **out)
{
    *out = NULL;
    size_t capacity = strlen(value) + 1, used = 0;
    char *text = malloc(capacity);
    if (!text)
        return CM_ENOMEM;
    for (const char *p = value; *p;) {
        const char *piece = p;
        size_t piece_length = 1;
        char name[ENV_NAME_MAX];
        if (p[0] == '$' && p[1] == '{') {
            const char *close = strchr(p + 2, '}');
            size_t name_length = close ? (size_t)(close - (p + 2)) : 0;
            if (!close || name_length == 0 || name_length >= sizeof name ||
                !(isalpha((unsigned char)p[2]) || p[2] == '_') ||
                strspn(p + 2, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") != name_length) {
                free(text);
                return fail(ctx, field, "a ${...} must hold an environment variable name (letters, digits, _)");
            }
            memcpy(name, p + 2, name_length);
            name[name_length] = '\0';
            piece = getenv(name);
            if (!piece) {
                free(text);
                return fail(ctx, field, "environment variable %s is not set", name);
            }
            piece_length = strlen(piece);
            p = close + 1;
        } else {
            p++;
        }
        if (used + piece_length + 1 > capacity) {
            capacity = (used + piece_length + 1) * 2;
            char *grown = realloc(text, capacity);
            if (!grown) {
                free(text);
                return CM_ENOMEM;
            }
            text = grown;
        }
        memcpy(text + used, piece, piece_length);
        used += piece_length;
    }
    text[used] = '\0';
    if (!used) {
        free(text);
        return fail(ctx, field, "is empty once its environment variables are expanded");
    }
    *out = text;
    return CM_OK;
}

static cm_err resolve_value(secrets_ctx *ctx, json_object *value, const char *shown, const char *normalised);

static cm_err resolve_object(secrets_ctx *ctx, json_object *object, const char *shown, const char *normalised)
{
    const char *file_members[MAX_FILE_MEMBERS];
    size_t file_member_count = 0;
    json_object_object_foreach(object, name, value)
    {
        char member_shown[CM_CONFIG_PATH_MAX], member_normalised[CM_CONFIG_PATH_MAX];
        snprintf(member_shown, sizeof member_shown, "%s%s%s", shown, *shown ? "." : "", name);
        snprintf(member_normalised, sizeof member_normalised, "%s%s%s", normalised, *normalised ? "." : "",
                 name);
        size_t length = strlen(name), suffix = strlen(FILE_SUFFIX);
        if (length > suffix && strcmp(name + length - suffix, FILE_SUFFIX) == 0) {
            char base[CM_CONFIG_PATH_MAX];
            snprintf(base, sizeof base, "%.*s", (int)(strlen(member_normalised) - suffix), member_normalised);
            if (cm_config_field_is_secret(base)) {
                if (file_member_count == MAX_FILE_MEMBERS)
                    return fail(ctx, member_shown, "too many secret files in one section");
                file_members[file_member_count++] = name;
                continue;
            }
        }
        if (value && json_object_is_type(value, json_type_string) && cm_config_field_is_secret(member_normalised) &&
            strstr(json_object_get_string(value), "${")) {
            char *expanded = NULL;
            cm_err rc = expand_env(ctx, member_shown, json_object_get_string(value), &expanded);
            if (rc)
                return rc;
            json_object_set_string(value, expanded);
            free(expanded);
            continue;
        }
        if (value) {
            cm_err rc = resolve_value(ctx, value, member_shown, member_normalised);
            if (rc)
                return rc;
        }
    }
    /* Replaced after the walk: json-c's object iteration must not see its table change. */
    for (size_t i = 0; i < file_member_count; i++) {
        const char *file_name = file_members[i];
        char base_name[CM_CONFIG_PATH_MAX], member_shown[CM_CONFIG_PATH_MAX];
        snprintf(base_name, sizeof base_name, "%.*s", (int)(strlen(file_name) - strlen(FILE_SUFFIX)), file_name);
        snprintf(member_shown, sizeof member_shown, "%s%s%s", shown, *shown ? "." : "", file_name);
        json_object *file_value = NULL;
        json_object_object_get_ex(object, file_name, &file_value);
        if (!file_value || !json_object_is_type(file_value, json_type_string) ||
            !*json_object_get_string(file_value))
            return fail(ctx, member_shown, "must be the path of a file holding the secret");
        if (json_object_object_get_ex(object, base_name, NULL))
            return fail(ctx, member_shown, "give %s or %s, not both", base_name, file_name);
        char *secret = NULL;
        cm_err rc = read_secret_file(ctx, member_shown, json_object_get_string(file_value), &secret);
        if (rc)
            return rc;
        json_object *secret_value = json_object_new_string(secret);
        free(secret);
        /* The file_name is borrowed from the member about to be deleted: add first, delete after. */
        if (!secret_value || json_object_object_add(object, base_name, secret_value) != 0) {
            json_object_put(secret_value);
            return CM_ENOMEM;
        }
        json_object_object_del(object, file_name);
    }
    return CM_OK;
}

static cm_err resolve_value(secrets_ctx *ctx, json_object *value, const char *shown, const char *normalised)
{
    if (json_object_is_type(value, json_type_object))
        return resolve_object(ctx, value, shown, normalised);
    if (!json_object_is_type(value, json_type_array))
        return CM_OK;
    char entry_normalised[CM_CONFIG_PATH_MAX];
    snprintf(entry_normalised, sizeof entry_normalised, "%s[]", normalised);
    for (size_t i = 0; i < json_object_array_length(value); i++) {
        json_object *entry = json_object_array_get_idx(value, i);
        if (!json_object_is_type(entry, json_type_object))
            continue;
        char entry_shown[CM_CONFIG_PATH_MAX];
        /* Only for messages: a path too long to show whole is shown cut, ending in "...". */
        int shown_length = snprintf(entry_shown, sizeof entry_shown, "%s[%zu]", shown, i);
        if (shown_length < 0 || (size_t)shown_length >= sizeof entry_shown)
            memcpy(entry_shown + sizeof entry_shown - 4, "...", 4);
        cm_err rc = resolve_object(ctx, entry, entry_shown, entry_normalised);
        if (rc)
            return rc;
    }
    return CM_OK;
}

cm_err cm_config_secrets_resolve(json_object *root, const char *origin, const char *base_dir,
                                 char error[CM_CONFIG_ERROR_MAX])
{
    if (!json_object_is_type(root, json_type_object))
        return CM_OK;
    secrets_ctx ctx = {.origin = origin, .base_dir = base_dir, .error = error};
    return resolve_object(&ctx, root, "", "");
}
