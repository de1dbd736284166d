/* fault_rule.c - parsing, validating and matching one fault rule (fault_rule.h). */
#include "oci_core/fault_rule.h"

#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/json_util.h"

static const char *const FIELDS[] = {"route", "method", "organization", "count", "probability", "status",
                                     "retryAfter", "latencyMs", "drop", "stallMs", "failImportLines"};

static cm_err say(char field[64], char message[OCI_FAULT_MESSAGE_MAX], const char *name, const char *format, ...)
    __attribute__((format(printf, 4, 5)));

/* Names the refused field and says why; returns CM_EINVAL for the caller to pass on. */
static cm_err say(char field[64], char message[OCI_FAULT_MESSAGE_MAX], const char *name, const char *format, ...)
{
    snprintf(field, 64, "%s", name);
    va_list args;
    va_start(args, format);
    vsnprintf(message, OCI_FAULT_MESSAGE_MAX, format, args);
    va_end(args);
    return CM_EINVAL;
}

#define SAY(name, ...) say(field, message, name, __VA_ARGS__)

/* A string member: 0 absent, 1 copied, -1 refused (field and message set). */
static int get_string(json_object *root, const char *key, size_t max, char *out, char field[64],
                      char message[OCI_FAULT_MESSAGE_MAX])
{
    json_object *value;
    if (!json_object_object_get_ex(root, key, &value))
        return 0;
    if (!json_object_is_type(value, json_type_string))
        return (void)SAY(key, "%s must be a string", key), -1;
    size_t length = (size_t)json_object_get_string_len(value);
    if (length == 0 || length > max)
        return (void)SAY(key, "%s must be 1..%zu characters", key, max), -1;
    if (memchr(json_object_get_string(value), '\0', length))
        return (void)SAY(key, "%s must not contain a NUL character", key), -1;
    memcpy(out, json_object_get_string(value), length);
    out[length] = '\0';
    return 1;
}

/* An integer member in [min, max]: 0 absent, 1 read, -1 refused. */
static int get_int(json_object *root, const char *key, int64_t min, int64_t max, int64_t *out, char field[64],
                   char message[OCI_FAULT_MESSAGE_MAX])
{
    json_object *value;
    if (!json_object_object_get_ex(root, key, &value))
        return 0;
    if (!json_object_is_type(value, json_type_int))
        return (void)SAY(key, "%s must be a whole number", key), -1;
    errno = 0;
    int64_t number = json_object_get_int64(value);
    /* json-c clamps values beyond int64 and says so in errno. */
    if (errno || number < min || number > max)
        return (void)SAY(key, "%s must be %lld..%lld", key, (long long)min, (long long)max), -1;
    *out = number;
    return 1;
}

cm_err oci_fault_rule_parse(const char *text, size_t length, oci_fault_rule *out, char field[64],
                            char message[OCI_FAULT_MESSAGE_MAX])
{
    memset(out, 0, sizeof *out);
    field[0] = '\0';
    message[0] = '\0';
    out->probability = 1;
    out->retry_after_s = -1;
    if (length > OCI_FAULT_BODY_MAX)
        return SAY("", "the rule is %zu bytes; the limit is %d", length, OCI_FAULT_BODY_MAX);
    json_object *root = NULL;
    char parse_error[CM_JSON_ERROR_MAX];
    if (cm_json_parse(text, length, 4, &root, parse_error) != CM_OK)
        return SAY("", "the body is not JSON: %s", parse_error);
    cm_err rc = CM_EINVAL;
    if (!json_object_is_type(root, json_type_object)) {
        SAY("", "the body must be a JSON object");
        goto out;
    }
    json_object_object_foreach(root, key, unused) {
        (void)unused;
        size_t i = 0;
        while (i < sizeof FIELDS / sizeof FIELDS[0] && strcmp(FIELDS[i], key) != 0)
            i++;
        if (i == sizeof FIELDS / sizeof FIELDS[0]) {
            SAY(key, "unknown field \"%.60s\" (known: route, method, organization, count, probability, status, "
                     "retryAfter, latencyMs, drop, stallMs, failImportLines)", key);
            goto out;
        }
    }
    int got = get_string(root, "route", OCI_FAULT_GLOB_MAX, out->route, field, message);
    if (got < 0)
        goto out;
    if (got == 0) {
        SAY("route", "route is required (a path glob such as \"/inventory/*\")");
        goto out;
    }
    if (out->route[0] != '/' && out->route[0] != '*') {
        SAY("route", "route must start with '/' or '*'");
        goto out;
    }
    if ((got = get_string(root, "method", sizeof out->method - 1, out->method, field, message)) < 0)
        goto out;
    if (got) {
        static const char *const METHODS[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};
        size_t i = 0;
        while (i < 5 && strcasecmp(METHODS[i], out->method) != 0)
            i++;
        if (i == 5) {
            SAY("method", "method must be GET, POST, PUT, PATCH or DELETE");
            goto out;
        }
        snprintf(out->method, sizeof out->method, "%s", METHODS[i]);
    }
    if (get_string(root, "organization", sizeof out->organization - 1, out->organization, field, message) < 0 ||
        get_string(root, "failImportLines", OCI_FAULT_GLOB_MAX, out->fail_import_lines, field, message) < 0)
        goto out;
    int64_t number = 0;
    if ((got = get_int(root, "count", 1, OCI_FAULT_COUNT_MAX, &out->count, field, message)) < 0)
        goto out;
    json_object *value;
    if (json_object_object_get_ex(root, "probability", &value)) {
        if (!json_object_is_type(value, json_type_double) && !json_object_is_type(value, json_type_int)) {
            SAY("probability", "probability must be a number");
            goto out;
        }
        double p = json_object_get_double(value);
        if (!isfinite(p) || p <= 0 || p > 1) {
            SAY("probability", "probability must be above 0 and at most 1");
            goto out;
        }
        if (got) {
            SAY("probability", "give count or probability, not both");
            goto out;
        }
        out->probability = p;
    }
    if ((got = get_int(root, "status", 400, 599, &number, field, message)) < 0)
        goto out;
    out->status = (int)number;
    if ((got = get_int(root, "retryAfter", 0, OCI_FAULT_RETRY_AFTER_MAX_S, &out->retry_after_s, field, message)) < 0)
        goto out;
    if (got && !out->status) {
        SAY("retryAfter", "retryAfter needs a status (429 or 503, for example)");
        goto out;
    }
    if (get_int(root, "latencyMs", 0, OCI_FAULT_LATENCY_MAX_MS, &out->latency_ms, field, message) < 0 ||
        get_int(root, "stallMs", 0, OCI_FAULT_STALL_MAX_MS, &out->stall_ms, field, message) < 0)
        goto out;
    if (json_object_object_get_ex(root, "drop", &value)) {
        if (!json_object_is_type(value, json_type_boolean)) {
            SAY("drop", "drop must be true or false");
            goto out;
        }
        out->drop = json_object_get_boolean(value);
    }
    if (out->status && (out->drop || out->stall_ms)) {
        SAY(out->drop ? "drop" : "stallMs", "a rule either answers a status or drops/stalls the connection, not both");
        goto out;
    }
    if (!out->status && !out->drop && !out->stall_ms && !out->latency_ms && !out->fail_import_lines[0]) {
        SAY("", "a rule needs at least one effect: status, latencyMs, drop, stallMs or failImportLines");
        goto out;
    }
    rc = CM_OK;
out:
    json_object_put(root);
    return rc;
}

int oci_fault_rule_matches(const oci_fault_rule *rule, const char *method, const char *path, const char *org)
{
    if (rule->method[0] && strcmp(rule->method, method) != 0)
        return 0;
    if (rule->organization[0] && (!org || strcmp(rule->organization, org) != 0))
        return 0;
    return fnmatch(rule->route, path, 0) == 0;
}

json_object *oci_fault_rule_to_json(const oci_fault_rule *rule, int64_t remaining)
{
    json_object *o = json_object_new_object();
    if (!o)
        return NULL;
    json_object_object_add(o, "id", json_object_new_string(rule->id));
    json_object_object_add(o, "route", json_object_new_string(rule->route));
    if (rule->method[0])
        json_object_object_add(o, "method", json_object_new_string(rule->method));
    if (rule->organization[0])
        json_object_object_add(o, "organization", json_object_new_string(rule->organization));
    if (rule->count) {
        json_object_object_add(o, "count", json_object_new_int64(rule->count));
        json_object_object_add(o, "remaining", json_object_new_int64(remaining));
    }
    if (rule->probability < 1)
        json_object_object_add(o, "probability", json_object_new_double(rule->probability));
    if (rule->status)
        json_object_object_add(o, "status", json_object_new_int(rule->status));
    if (rule->retry_after_s >= 0)
        json_object_object_add(o, "retryAfter", json_object_new_int64(rule->retry_after_s));
    if (rule->latency_ms)
        json_object_object_add(o, "latencyMs", json_object_new_int64(rule->latency_ms));
    if (rule->stall_ms)
        json_object_object_add(o, "stallMs", json_object_new_int64(rule->stall_ms));
    if (rule->drop)
        json_object_object_add(o, "drop", json_object_new_boolean(1));
    if (rule->fail_import_lines[0])
        json_object_object_add(o, "failImportLines", json_object_new_string(rule->fail_import_lines));
    json_object_object_add(o, "fired", json_object_new_int64(rule->fired));
    return o;
}
