/*
 * config_fields.c - the known-field table and the unknown-field check (see config_fields.h).
 *
 * HOW TO ADD A FIELD: add one line to `fields` below with its full path, array entries written
 * as `[]` and a map with free keys as `.*`:
 *
 *     {"oci.control.port", 0},                          a plain field
 *     {"oci.organizations[].connectedApps[].id", 0},    a field of an array's entries
 *     {"delivery.jwt.privateKey", FIELD_SECRET},        a secret: accepts ${ENV} and "privateKeyFile"
 *
 * A section (object) or array is listed too ("oci.control", "oci.organizations[].connectedApps"),
 * so its own name is known; its members are checked only against the lines that start with its
 * path. Then read the value in config.c as usual. Order does not matter; keep sections together.
 */
#include "common/config_fields.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

enum { FIELD_SECRET = 1 };

typedef struct known_field {
    const char *path;
    unsigned flags;
} known_field;

static const known_field fields[] = {
    {"gateway", 0},
    {"gateway.port", 0},
    {"gateway.bind", 0},
    {"gateway.bodyLimitBytes", 0},
    {"gateway.threads", 0},
    {"gateway.connectionTimeoutSeconds", 0},
    {"gateway.connectionLimit", 0},
    {"gateway.rateLimit", 0},
    {"gateway.rateLimit.requestsPerSecond", 0},
    {"gateway.rateLimit.burst", 0},
    {"gateway.tls", 0},
    {"gateway.tls.certificate", 0},
    {"gateway.tls.key", 0},

    {"oci", 0},
    {"oci.port", 0},
    {"oci.tls", 0},
    {"oci.tls.certificate", 0},
    {"oci.tls.key", 0},
    {"oci.bind", 0},
    {"oci.threads", 0},
    {"oci.tokenTtlSeconds", 0},
    {"oci.organizations", 0},
    {"oci.organizations[].id", 0},
    {"oci.organizations[].locationGraph", 0},
    {"oci.organizations[].tokens", 0},
    {"oci.organizations[].tokens[].token", FIELD_SECRET},
    {"oci.organizations[].tokens[].scopes", 0},
    {"oci.organizations[].clients", 0},
    {"oci.organizations[].clients[].id", 0},
    {"oci.organizations[].clients[].secret", FIELD_SECRET},
    {"oci.organizations[].clients[].scopes", 0},
    {"oci.organizations[].rateLimit", 0},
    {"oci.organizations[].rateLimit.requestsPerSecond", 0},
    {"oci.organizations[].rateLimit.burst", 0},
    {"oci.publicUrl", 0},
    {"oci.organizations[].connectedApps", 0},
    {"oci.organizations[].connectedApps[].consumerKey", 0},
    {"oci.organizations[].connectedApps[].certificate", 0},
    {"oci.organizations[].connectedApps[].consumerSecret", FIELD_SECRET},
    {"oci.organizations[].connectedApps[].scopes", 0},
    {"oci.organizations[].connectedApps[].users", 0},
    {"oci.organizations[].connectedApps[].users[].username", 0},
    {"oci.organizations[].connectedApps[].users[].password", FIELD_SECRET},
    {"oci.organizations[].connectedApps[].users[].securityToken", FIELD_SECRET},
    /* the emulator side of the bundled core (README, "Testing your integration against the bundled core") */
    {"oci.control", 0},
    {"oci.control.enabled", 0},
    {"oci.control.token", FIELD_SECRET},
    {"oci.control.journalBodies", 0},
    {"oci.control.journalSize", 0},
    {"oci.strict", 0},
    {"oci.propagationDelayMs", 0},
    {"oci.reservationExpiryLagSeconds", 0},
    {"oci.graphChangeSeconds", 0},

    {"delivery", 0},
    {"delivery.mode", 0},
    {"delivery.baseUrl", 0},
    {"delivery.token", FIELD_SECRET},
    {"delivery.timeoutSeconds", 0},
    {"delivery.verifyTls", 0},
    {"delivery.oauth", 0},
    {"delivery.oauth.tokenUrl", 0},
    {"delivery.oauth.clientId", 0},
    {"delivery.oauth.clientSecret", FIELD_SECRET},
    {"delivery.oauth.scope", 0},
    {"delivery.jwt", 0},
    {"delivery.jwt.loginUrl", 0},
    {"delivery.jwt.consumerKey", 0},
    {"delivery.jwt.username", 0},
    {"delivery.jwt.privateKey", 0},
    {"delivery.jwt.tokenLifetimeSeconds", 0},

    /* The operator's listener: metrics, console, admin API (common/config_admin.c). */
    {"admin", 0},
    {"admin.port", 0},
    {"admin.bind", 0},
    {"admin.tokens", 0},
    {"admin.tokens[].sha256", 0},
    {"admin.tokens[].token", FIELD_SECRET},
    {"admin.tls", 0},
    {"admin.tls.certificate", 0},
    {"admin.tls.key", 0},
    {"queue", 0},
    {"queue.workers", 0},
    {"queue.chunkSize", 0},
    {"queue.retentionDays", 0},
    {"queue.retryBudgetSeconds", 0},
    {"queue.leaseSeconds", 0},
    {"queue.coalesce", 0},

    /* The queue's storage (SQLite by default; PostgreSQL on the lead's branch). The URL may carry
     * a password, so it is a secret field. */
    {"storage", 0},
    {"storage.backend", 0},
    {"storage.url", FIELD_SECRET},

    {"tenants", 0},
    {"tenants[].id", 0},
    {"tenants[].translatedApis", 0},
    {"tenants[].apiKeys", 0},
    {"tenants[].apiKeys.v5", FIELD_SECRET},
    {"tenants[].apiKeys.inventorySpecific", FIELD_SECRET},
    {"tenants[].apiKeys.v5Sha256", 0},
    {"tenants[].apiKeys.inventorySpecificSha256", 0},
    {"tenants[].organizationId", 0},
    {"tenants[].locations", 0},
    {"tenants[].locations.*", 0},
    {"tenants[].autoLocations", 0},
    {"tenants[].skuFrom", 0},
    {"tenants[].floor", 0},
    {"tenants[].rateLimit", 0},
    {"tenants[].rateLimit.requestsPerSecond", 0},
    {"tenants[].rateLimit.burst", 0},
};

#define FIELD_COUNT (sizeof fields / sizeof fields[0])

static const known_field *find_exact(const char *path)
{
    for (size_t i = 0; i < FIELD_COUNT; i++)
        if (strcmp(fields[i].path, path) == 0)
            return &fields[i];
    return NULL;
}

/* The entry for `path`, or the wildcard entry of its parent ("a.b.*" for "a.b.x"). */
static const known_field *find(const char *path)
{
    const known_field *field = find_exact(path);
    if (field)
        return field;
    const char *dot = strrchr(path, '.');
    if (!dot)
        return NULL;
    char wildcard[CM_CONFIG_PATH_MAX];
    if (snprintf(wildcard, sizeof wildcard, "%.*s.*", (int)(dot - path), path) >= (int)sizeof wildcard)
        return NULL;
    return find_exact(wildcard);
}

int cm_config_field_known(const char *normalised_path)
{
    return find(normalised_path) != NULL;
}

int cm_config_field_is_secret(const char *normalised_path)
{
    const known_field *field = find(normalised_path);
    return field && (field->flags & FIELD_SECRET);
}

/* Edit distance, case-insensitive, for names up to 63 characters (longer never match). */
static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return (size_t)-1;
    size_t row[64];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diagonal = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t above = row[j];
            size_t cost = (a[i - 1] | 0x20) == (b[j - 1] | 0x20) ? 0 : 1;
            size_t best = diagonal + cost;
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diagonal = above;
        }
    }
    return row[lb];
}

/*
 * The known member name under `parent` ("" for the top level) nearest to `name`, written into
 * `out`; "" when nothing there is close enough to be a plausible typo.
 */
static void nearest_name(const char *parent, const char *name, char *out, size_t size)
{
    size_t parent_length = strlen(parent);
    size_t best = (size_t)-1;
    out[0] = '\0';
    for (size_t i = 0; i < FIELD_COUNT; i++) {
        const char *candidate = fields[i].path;
        if (parent_length) {
            if (strncmp(candidate, parent, parent_length) != 0 || candidate[parent_length] != '.')
                continue;
            candidate += parent_length + 1;
        }
        if (strchr(candidate, '.') || strcmp(candidate, "*") == 0)
            continue; /* deeper than one level, or a wildcard */
        size_t d = distance(name, candidate);
        if (d < best) {
            best = d;
            snprintf(out, size, "%s", candidate);
        }
    }
    /* A name sharing less than half its letters with every known one is not a typo of any. */
    size_t length = strlen(name);
    if (best == (size_t)-1 || best > (length < 4 ? 2 : length / 2))
        out[0] = '\0';
}

/* Lists the known member names under `parent` into `out` ("a, b, c"), for when nothing is near. */
static void known_names(const char *parent, char *out, size_t size)
{
    size_t parent_length = strlen(parent), used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < FIELD_COUNT && used < size; i++) {
        const char *candidate = fields[i].path;
        if (parent_length) {
            if (strncmp(candidate, parent, parent_length) != 0 || candidate[parent_length] != '.')
                continue;
            candidate += parent_length + 1;
        }
        if (strchr(candidate, '.'))
            continue;
        int n = snprintf(out + used, size - used, "%s%s", used ? ", " : "", candidate);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

static cm_err unknown(const char *origin, const char *shown_path, const char *parent, const char *name,
                      char error[CM_CONFIG_ERROR_MAX])
{
    char near[64];
    nearest_name(parent, name, near, sizeof near);
    if (near[0]) {
        snprintf(error, CM_CONFIG_ERROR_MAX, "config %s: field %s: unknown field (did you mean `%s`?)",
                 origin, shown_path, near);
    } else {
        char names[CM_CONFIG_ERROR_MAX / 2];
        known_names(parent, names, sizeof names);
        snprintf(error, CM_CONFIG_ERROR_MAX, "config %s: field %s: unknown field (known here: %s)", origin,
                 shown_path, names[0] ? names : "none");
    }
    return CM_ECONFIG;
}

/* Walks one object: `shown` is its path as written (with indexes), `normalised` with []. */
static cm_err check_object(const json_object *object, const char *shown, const char *normalised,
                           const char *origin, char error[CM_CONFIG_ERROR_MAX]);

static cm_err check_value(const json_object *value, const char *shown, const char *normalised,
                          const char *origin, char error[CM_CONFIG_ERROR_MAX])
{
    if (json_object_is_type(value, json_type_object))
        return check_object(value, shown, normalised, origin, error);
    if (!json_object_is_type(value, json_type_array))
        return CM_OK;
    char entry_normalised[CM_CONFIG_PATH_MAX];
    if (snprintf(entry_normalised, sizeof entry_normalised, "%s[]", normalised) >= (int)sizeof entry_normalised)
        return CM_OK;
    for (size_t i = 0; i < json_object_array_length(value); i++) {
        const json_object *entry = json_object_array_get_idx(value, i);
        if (!json_object_is_type(entry, json_type_object))
            continue; /* arrays of scalars (scopes, skuFrom) have no members to check */
        char entry_shown[CM_CONFIG_PATH_MAX];
        /* The shown path is only for messages: a path too long to show whole is shown cut, ending
         * in "...". */
        int shown_length = snprintf(entry_shown, sizeof entry_shown, "%s[%zu]", shown, i);
        if (shown_length < 0 || (size_t)shown_length >= sizeof entry_shown)
            memcpy(entry_shown + sizeof entry_shown - 4, "...", 4);
        cm_err rc = check_object(entry, entry_shown, entry_normalised, origin, error);
        if (rc)
            return rc;
    }
    return CM_OK;
}

static cm_err check_object(const json_object *object, const char *shown, const char *normalised,
                           const char *origin, char error[CM_CONFIG_ERROR_MAX])
{
    json_object_object_foreach((json_object *)object, name, value)
    {
        char member_shown[CM_CONFIG_PATH_MAX], member_normalised[CM_CONFIG_PATH_MAX];
        snprintf(member_shown, sizeof member_shown, "%s%s%s", shown, *shown ? "." : "", name);
        if (snprintf(member_normalised, sizeof member_normalised, "%s%s%s", normalised,
                     *normalised ? "." : "", name) >= (int)sizeof member_normalised)
            return unknown(origin, member_shown, normalised, name, error);
        const known_field *field = find(member_normalised);
        if (!field)
            return unknown(origin, member_shown, normalised, name, error);
        /* Members of a free-key map ("locations") are values, not fields: check no deeper. */
        if (strcmp(field->path + strlen(field->path) - 1, "*") == 0)
            continue;
        if (value) {
            cm_err rc = check_value(value, member_shown, member_normalised, origin, error);
            if (rc)
                return rc;
        }
    }
    return CM_OK;
}

cm_err cm_config_fields_check(const json_object *root, const char *origin, char error[CM_CONFIG_ERROR_MAX])
{
    if (!json_object_is_type(root, json_type_object))
        return CM_OK; /* config.c refuses a top level that is not an object */
    return check_object(root, "", "", origin, error);
}

/* 1 for "<secret field>File" (config_secrets.c turns it into the secret before the check). */
static int is_secret_file(const char *normalised)
{
    size_t length = strlen(normalised), suffix = strlen("File");
    if (length <= suffix || strcmp(normalised + length - suffix, "File") != 0)
        return 0;
    char base[CM_CONFIG_PATH_MAX];
    snprintf(base, sizeof base, "%.*s", (int)(length - suffix), normalised);
    return cm_config_field_is_secret(base);
}

/* The error for an unknown `normalised` path of an override; `shown_length` bytes of `path`. */
static cm_err unknown_override(const char *origin, const char *path, size_t shown_length,
                               const char *normalised, char error[CM_CONFIG_ERROR_MAX])
{
    char parent[CM_CONFIG_PATH_MAX], shown[CM_CONFIG_PATH_MAX];
    const char *last_dot = strrchr(normalised, '.');
    snprintf(parent, sizeof parent, "%.*s", last_dot ? (int)(last_dot - normalised) : 0, normalised);
    snprintf(shown, sizeof shown, "%.*s", (int)shown_length, path);
    return unknown(origin, shown, parent, last_dot ? last_dot + 1 : normalised, error);
}

cm_err cm_config_fields_check_override(const char *path, const char *origin,
                                       char error[CM_CONFIG_ERROR_MAX])
{
    char normalised[CM_CONFIG_PATH_MAX];
    size_t used = 0;
    /* Each dotted prefix must be known, so the message names the first wrong segment. */
    for (const char *p = path;; p++) {
        int at_end = *p == '\0';
        if (*p == '[' || *p == '.' || at_end) {
            normalised[used] = '\0';
            /* "tenants[]" was checked as "tenants" when its '[' came. */
            int after_index = used >= 2 && normalised[used - 1] == ']';
            if (!after_index && !find(normalised) && !(at_end && is_secret_file(normalised)))
                return unknown_override(origin, path, (size_t)(p - path), normalised, error);
            if (at_end)
                return CM_OK;
        }
        if (*p == '[') {
            const char *close = strchr(p, ']');
            if (!close || used + 2 >= sizeof normalised)
                return CM_OK; /* config.c reports the malformed index */
            normalised[used++] = '[';
            normalised[used++] = ']';
            p = close;
            continue;
        }
        if (used + 1 >= sizeof normalised)
            return CM_OK;
        normalised[used++] = *p;
    }
}
