/*
 * config.h - the deployment's one JSON configuration file (see ../shared/spec/decisions.md,
 * "Configuration and command line", and the README's configuration reference).
 *
 * cm_config_load reads the file, applies command-line overrides ("queue.workers=4",
 * "tenants[0].floor=sum"), checks every field's type and meaning, and fills a cm_config that
 * owns all its strings. Any problem gives one sentence naming the file, the field and the
 * problem, and nothing is returned. API keys are kept only as SHA-256 digests.
 */
#ifndef CM_CONFIG_H
#define CM_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/digest.h"

#define CM_CONFIG_ERROR_MAX 512
#define CM_CONFIG_MAX_OVERRIDES 64
/* Listeners bind to loopback unless gateway.bind / oci.bind say otherwise: the demo keys and
 * tokens of samples/omsgw.json must not be reachable from the network by default. */
#define CM_DEFAULT_BIND "127.0.0.1"

/* OCI scopes, one bit each. Both spellings (dots and underscores) map to the same bit. */
enum {
    CM_SCOPE_AVAILABILITY = 1u << 0,
    CM_SCOPE_AVAILABILITY_RW = 1u << 1,
    CM_SCOPE_IMPEX_INVENTORY = 1u << 2,
    CM_SCOPE_IMPEX_INVENTORY_RW = 1u << 3,
    CM_SCOPE_IMPEX_GRAPHS = 1u << 4,
    CM_SCOPE_RESERVATIONS = 1u << 5,
    CM_SCOPE_RESERVATIONS_RW = 1u << 6,
};

/* Parses one scope name in either spelling; returns its bit or 0 when unknown. */
unsigned cm_scope_from_name(const char *name);

typedef struct cm_oci_token {
    char *token;
    unsigned scopes;
} cm_oci_token;

typedef struct cm_oci_client {
    char *id;
    char *secret;
    unsigned scopes;
} cm_oci_client;

/* A user a connected app may log in as (oci.organizations[].connectedApps[].users[]). */
typedef struct cm_connected_app_user {
    char *username;
    char *password;       /* NULL: this user may not use the password grant */
    char *security_token; /* NULL: none; else the password grant also accepts password + token */
} cm_connected_app_user;

/* A Salesforce connected app of an organization (oci.organizations[].connectedApps[]): the JWT
 * bearer grant verifies assertions against its certificate; the password and client-credentials
 * grants need its consumer secret. */
typedef struct cm_connected_app {
    char *consumer_key;
    char *certificate_path; /* PEM X.509 certificate or public key, resolved against the config folder */
    char *consumer_secret;  /* NULL: only the JWT bearer grant */
    cm_connected_app_user *users;
    size_t user_count;
    unsigned scopes;
} cm_connected_app;

typedef struct cm_rate_limit {
    double requests_per_second; /* 0: no limit */
    double burst;
} cm_rate_limit;

typedef struct cm_oci_org {
    char *id;
    char *location_graph_path; /* absolute or relative to the working folder; NULL when none */
    cm_oci_token *tokens;
    size_t token_count;
    cm_oci_client *clients;
    size_t client_count;
    cm_rate_limit rate_limit; /* oci.organizations[].rateLimit; requests_per_second 0: no limit */
    cm_connected_app *connected_apps; /* oci.organizations[].connectedApps */
    size_t connected_app_count;
} cm_oci_org;

typedef enum cm_floor_mode { CM_FLOOR_MAX, CM_FLOOR_SUM, CM_FLOOR_IGNORE } cm_floor_mode;
typedef enum cm_identifier { CM_ID_SKU, CM_ID_PART_NUMBER, CM_ID_UPC } cm_identifier;
typedef enum cm_delivery_mode { CM_DELIVERY_BUNDLED, CM_DELIVERY_HTTP } cm_delivery_mode;
typedef enum cm_storage_backend { CM_STORAGE_SQLITE, CM_STORAGE_POSTGRESQL } cm_storage_backend;

typedef struct cm_location_entry {
    char *name;   /* the legacy locationName */
    char *oci_id; /* the OCI location id */
} cm_location_entry;

typedef struct cm_tenant {
    int64_t id;
    int translated_apis;
    int has_v5_key, has_inventory_specific_key;
    uint8_t v5_key_sha256[CM_SHA256_LEN];
    uint8_t inventory_specific_key_sha256[CM_SHA256_LEN];
    /* The keys as written, when the file gives them in plain text (NULL for the Sha256 forms):
     * only client-side commands (omsgw compare) use them; the server compares digests. */
    char *v5_key, *inventory_specific_key;
    char *organization_id;
    cm_location_entry *locations;
    size_t location_count;
    int auto_locations;
    cm_identifier sku_from[3];
    size_t sku_from_count;
    cm_floor_mode floor;
    cm_rate_limit rate_limit; /* falls back to gateway.rateLimit when not given */
} cm_tenant;

/* gateway.tls, oci.tls, admin.tls: PEM file paths (resolved against the config's folder), both
 * NULL when the listener speaks plain HTTP. */
typedef struct cm_tls_files {
    char *certificate_path;
    char *key_path;
} cm_tls_files;

/* An admin token, kept only as its SHA-256 digest (admin.tokens[]: "text" or {"sha256": "hex"}). */
typedef struct cm_admin_token {
    uint8_t sha256[CM_SHA256_LEN];
} cm_admin_token;

typedef struct cm_config {
    char *path;       /* the file read */
    char *config_dir; /* its folder, for relative paths */
    struct {
        int port;
        int64_t body_limit_bytes;
        int threads;
        int connection_timeout_seconds;
        int connection_limit;
        cm_rate_limit rate_limit;
        char *bind; /* gateway.bind: the IPv4 address to listen on (default CM_DEFAULT_BIND) */
        cm_tls_files tls;
    } gateway;
    struct {
        int port;
        int threads;
        int token_ttl_seconds;
        cm_oci_org *organizations;
        size_t organization_count;
        char *bind; /* oci.bind: the IPv4 address to listen on (default CM_DEFAULT_BIND) */
        /* The emulator side of the core (README, "Testing your integration against the bundled
         * core"); parsed by read_emulator in config.c. */
        struct {
            int enabled;        /* oci.control.enabled, default 1 */
            char *token;        /* oci.control.token; NULL: a random one is made at start */
            int journal_bodies; /* oci.control.journalBodies: keep request bodies in the journal */
            int journal_size;   /* oci.control.journalSize: requests kept, default 1000 */
        } control;
        int strict;                         /* oci.strict: answer as the real service may (one import at a time…) */
        int propagation_delay_ms;           /* oci.propagationDelayMs: get-availability lags writes */
        int reservation_expiry_lag_seconds; /* oci.reservationExpiryLagSeconds */
        int graph_change_seconds;           /* oci.graphChangeSeconds: a graph replacement takes this long */
        char *public_url; /* oci.publicUrl: the core's own base URL (instance_url); NULL: from the request */
        cm_tls_files tls;
    } oci;
    struct {
        int port; /* 0 (the default when the file has no admin section): no admin listener */
        char *bind;
        cm_admin_token *tokens;
        size_t token_count;
        cm_tls_files tls;
    } admin;
    struct {
        cm_delivery_mode mode;
        char *base_url;
        char *token;
        char *oauth_token_url, *oauth_client_id, *oauth_client_secret, *oauth_scope;
        int timeout_seconds;
        int verify_tls;
        /* delivery.jwt: log in as a Salesforce connected app (JWT bearer grant); all NULL when absent. */
        char *jwt_login_url, *jwt_consumer_key, *jwt_username, *jwt_private_key_path;
        int jwt_token_lifetime_seconds; /* delivery.jwt.tokenLifetimeSeconds; 0: 15 minutes */
    } delivery;
    struct {
        int workers;
        int chunk_size;
        int retention_days;
        int retry_budget_seconds;
        int lease_seconds;
        int coalesce; /* queue.coalesce: deliver a tenant's small queued jobs together (default 1) */
    } queue;
    struct {
        cm_storage_backend backend;
        char *url; /* postgresql: the connection URL as written (NULL when not given); the
                    * environment variable OMSGW_DATABASE_URL overrides it (app/serve.c) */
    } storage;
    cm_tenant *tenants;
    size_t tenant_count;
} cm_config;

/*
 * Loads `path` with `override_count` overrides of the form "dotted.path=value" (value parsed as
 * JSON when it is valid JSON, else taken as a string). On success *out is a new config the caller
 * frees with cm_config_free. On failure *out is NULL and `error` holds one line.
 */
cm_err cm_config_load(const char *path, const char *const *overrides, size_t override_count,
                      cm_config **out, char error[CM_CONFIG_ERROR_MAX]);

/* The same from a JSON text in memory; `origin` names it in messages, `base_dir` anchors paths. */
cm_err cm_config_parse(const char *text, size_t length, const char *origin, const char *base_dir,
                       const char *const *overrides, size_t override_count, cm_config **out,
                       char error[CM_CONFIG_ERROR_MAX]);

void cm_config_free(cm_config *config);

const cm_tenant *cm_config_tenant(const cm_config *config, int64_t tenant_id);
const cm_oci_org *cm_config_org(const cm_config *config, const char *org_id);

/* The OCI location id for a legacy location name, or NULL when the tenant does not map it. */
const char *cm_tenant_location(const cm_tenant *tenant, const char *location_name);

#endif
