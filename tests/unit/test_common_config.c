/*
 * test_common_config.c - common/config: the sample configuration with its documented defaults, every
 * error as one line naming the file, the field and the problem, hashed API keys, command-line
 * overrides, relative paths, the lookups and scope names.
 *
 * Fixtures live in tests/data/config/; the many small error cases are written inline next to
 * their expectations and loaded from a temporary folder, so messages name a real file.
 */
#include "tests/support/test_support.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/digest.h"

#define ALL_SCOPES 0x7fu

static char temp_dir[PATH_MAX];

static int group_setup(void **state)
{
    (void)state;
    th_temp_dir(temp_dir, sizeof temp_dir);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    th_remove_tree(temp_dir);
    return 0;
}

/* ---- helpers ---- */

static void temp_path(const char *name, char *out, size_t size)
{
    int n = snprintf(out, size, "%s/%s", temp_dir, name);
    if (n < 0 || (size_t)n >= size)
        fail_msg("path too long: %s/%s", temp_dir, name);
}

static void sample_path(char *out, size_t size)
{
    th_data_path("../../samples/omsgw.json", out, size);
}

/* Writes `text` to <temp>/<name> and loads it. */
static cm_err load_text(const char *name, const char *text, const char *const *overrides,
                        size_t override_count, cm_config **out, char error[CM_CONFIG_ERROR_MAX],
                        char *path, size_t path_size)
{
    temp_path(name, path, path_size);
    th_write_file(path, text, strlen(text));
    error[0] = '\0';
    return cm_config_load(path, overrides, override_count, out, error);
}

static cm_config *load_ok(const char *text, const char *const *overrides, size_t override_count)
{
    char path[PATH_MAX], error[CM_CONFIG_ERROR_MAX];
    cm_config *config = NULL;
    cm_err rc = load_text("ok.json", text, overrides, override_count, &config, error, path, sizeof path);
    if (rc != CM_OK)
        fail_msg("expected the config to load, got %d: %s", rc, error);
    assert_non_null(config);
    return config;
}

/* Checks one failed load: CM_ECONFIG, nothing returned, one line naming the file and each of the
 * NULL-terminated fragments (the field, then the problem). */
static void assert_config_error(cm_err rc, const cm_config *config, const char *error,
                                const char *path, const char *const *fragments)
{
    if (rc != CM_ECONFIG)
        fail_msg("expected CM_ECONFIG, got %d (error \"%s\")", rc, error);
    assert_null(config);
    if (!strstr(error, path))
        fail_msg("error \"%s\" does not name the file %s", error, path);
    for (const char *const *f = fragments; *f; f++)
        if (!strstr(error, *f))
            fail_msg("error \"%s\" does not mention \"%s\"", error, *f);
    assert_null(strchr(error, '\n'));
    assert_true(strlen(error) < CM_CONFIG_ERROR_MAX);
}

#define EXPECT_ERROR_OVERRIDES(text, overrides, count, ...)                                       \
    do {                                                                                          \
        char path_[PATH_MAX], error_[CM_CONFIG_ERROR_MAX];                                        \
        cm_config *config_ = (cm_config *)1;                                                      \
        cm_err rc_ = load_text("bad.json", (text), (overrides), (count), &config_, error_, path_, \
                               sizeof path_);                                                     \
        if (rc_ == CM_OK)                                                                         \
            cm_config_free(config_);                                                              \
        const char *const fragments_[] = {__VA_ARGS__, NULL};                                     \
        assert_config_error(rc_, config_, error_, path_, fragments_);                             \
    } while (0)

#define EXPECT_ERROR(text, ...) EXPECT_ERROR_OVERRIDES((text), NULL, 0, __VA_ARGS__)

static void assert_key_digest(const uint8_t digest[CM_SHA256_LEN], const char *plain)
{
    uint8_t expected[CM_SHA256_LEN];
    cm_sha256(plain, strlen(plain), expected);
    assert_memory_equal(digest, expected, CM_SHA256_LEN);
}

/* One organization and one tenant: the smallest config with a tenant. TENANT_EXTRA and ORG_EXTRA
 * splice fields in, DELIVERY replaces the delivery section. */
#define CONFIG_WITH(org_extra, delivery, tenant_extra)                                         \
    "{ \"oci\": { \"organizations\": [ { \"id\": \"f_ecom_demo_001\"" org_extra " } ] },"        \
    " \"delivery\": " delivery ","                                                              \
    " \"tenants\": [ { \"id\": 12345, \"apiKeys\": { \"v5\": \"k5\" },"                         \
    " \"organizationId\": \"f_ecom_demo_001\"" tenant_extra " } ] }"

#define TENANT_WITH(extra) CONFIG_WITH("", "{\"mode\":\"bundled\"}", extra)

/* ---- the sample ---- */

static void sample_loads_with_documented_values(void **state)
{
    (void)state;
    char path[PATH_MAX], error[CM_CONFIG_ERROR_MAX] = "";
    sample_path(path, sizeof path);
    cm_config *config = NULL;
    if (cm_config_load(path, NULL, 0, &config, error) != CM_OK)
        fail_msg("sample config: %s", error);

    assert_string_equal(config->path, path);
    assert_int_equal(config->gateway.port, 8080);
    assert_int_equal(config->gateway.body_limit_bytes, 16777216);
    assert_int_equal(config->gateway.threads, 4);
    assert_int_equal(config->gateway.connection_timeout_seconds, 30);
    assert_int_equal(config->gateway.connection_limit, 1024);
    assert_true(config->gateway.rate_limit.requests_per_second == 0);

    assert_int_equal(config->oci.port, 8081);
    assert_int_equal(config->oci.token_ttl_seconds, 1800);
    assert_int_equal(config->oci.organization_count, 2);
    const cm_oci_org *org = &config->oci.organizations[0];
    assert_string_equal(org->id, "f_ecom_demo_001");
    assert_int_equal(org->token_count, 1);
    assert_string_equal(org->tokens[0].token, "demo-oci-token");
    assert_int_equal(org->tokens[0].scopes, ALL_SCOPES);
    assert_int_equal(org->client_count, 1);
    assert_string_equal(org->clients[0].id, "demo-client");
    assert_string_equal(org->clients[0].secret, "demo-secret");
    assert_int_equal(org->clients[0].scopes, ALL_SCOPES);
    assert_string_equal(config->oci.organizations[1].id, "f_ecom_native_001");
    assert_int_equal(config->oci.organizations[1].client_count, 0);

    /* The graph path is relative to the sample's folder, not to the working folder. */
    char expected_graph[PATH_MAX];
    snprintf(expected_graph, sizeof expected_graph, "%s/location-graph.json", config->config_dir);
    assert_string_equal(org->location_graph_path, expected_graph);
    assert_non_null(strstr(org->location_graph_path, "samples/location-graph.json"));

    assert_int_equal(config->delivery.mode, CM_DELIVERY_BUNDLED);
    assert_null(config->delivery.base_url);
    assert_null(config->delivery.token);
    assert_int_equal(config->delivery.timeout_seconds, 60);
    assert_int_equal(config->delivery.verify_tls, 1);

    assert_int_equal(config->queue.workers, 2);
    assert_int_equal(config->queue.chunk_size, 3000);
    assert_int_equal(config->queue.retention_days, 30);
    assert_int_equal(config->queue.retry_budget_seconds, 600);

    assert_int_equal(config->tenant_count, 3);
    const cm_tenant *tenant = &config->tenants[0];
    assert_int_equal(tenant->id, 12345);
    assert_int_equal(tenant->translated_apis, 1);
    assert_int_equal(tenant->has_v5_key, 1);
    assert_int_equal(tenant->has_inventory_specific_key, 1);
    assert_key_digest(tenant->v5_key_sha256, "demo-v5-key");
    assert_key_digest(tenant->inventory_specific_key_sha256, "demo-inv-key");
    assert_string_equal(tenant->organization_id, "f_ecom_demo_001");
    assert_int_equal(tenant->location_count, 4);
    assert_int_equal(tenant->auto_locations, 0);
    assert_int_equal(tenant->sku_from_count, 3);
    assert_int_equal(tenant->sku_from[0], CM_ID_SKU);
    assert_int_equal(tenant->sku_from[1], CM_ID_PART_NUMBER);
    assert_int_equal(tenant->sku_from[2], CM_ID_UPC);
    assert_int_equal(tenant->floor, CM_FLOOR_MAX);

    tenant = &config->tenants[1];
    assert_int_equal(tenant->id, 23456);
    assert_int_equal(tenant->auto_locations, 1);
    assert_int_equal(tenant->floor, CM_FLOOR_SUM);
    assert_int_equal(tenant->sku_from_count, 3); /* default order */
    assert_int_equal(tenant->sku_from[0], CM_ID_SKU);

    tenant = &config->tenants[2];
    assert_int_equal(tenant->id, 34567);
    assert_int_equal(tenant->translated_apis, 0);
    assert_int_equal(tenant->auto_locations, 0);
    assert_int_equal(tenant->floor, CM_FLOOR_MAX);
    cm_config_free(config);
}

static void empty_object_gives_all_defaults(void **state)
{
    (void)state;
    cm_config *config = load_ok("{}", NULL, 0);
    assert_int_equal(config->gateway.port, 8080);
    assert_int_equal(config->gateway.body_limit_bytes, 16777216);
    assert_int_equal(config->oci.port, 8081);
    assert_int_equal(config->oci.organization_count, 0);
    assert_int_equal(config->delivery.mode, CM_DELIVERY_BUNDLED);
    assert_int_equal(config->queue.workers, 2);
    assert_int_equal(config->queue.chunk_size, 3000);
    assert_int_equal(config->queue.retention_days, 30);
    assert_int_equal(config->queue.retry_budget_seconds, 600);
    assert_int_equal(config->tenant_count, 0);
    assert_null(cm_config_tenant(config, 12345));
    cm_config_free(config);
    cm_config_free(NULL);
}

static void tenant_defaults(void **state)
{
    (void)state;
    cm_config *config = load_ok(TENANT_WITH(""), NULL, 0);
    const cm_tenant *tenant = cm_config_tenant(config, 12345);
    assert_non_null(tenant);
    assert_int_equal(tenant->translated_apis, 1);
    assert_int_equal(tenant->has_v5_key, 1);
    assert_int_equal(tenant->has_inventory_specific_key, 0);
    assert_int_equal(tenant->location_count, 0);
    assert_int_equal(tenant->auto_locations, 0);
    assert_int_equal(tenant->sku_from_count, 3);
    assert_int_equal(tenant->floor, CM_FLOOR_MAX);
    assert_null(cm_tenant_location(tenant, "Location 1"));
    cm_config_free(config);
}

/* ---- errors: every one stops loading with one line naming file, field and problem ---- */

static void missing_file(void **state)
{
    (void)state;
    char path[PATH_MAX], error[CM_CONFIG_ERROR_MAX] = "";
    temp_path("does-not-exist.json", path, sizeof path);
    cm_config *config = (cm_config *)1;
    cm_err rc = cm_config_load(path, NULL, 0, &config, error);
    const char *const fragments[] = {"cannot open", "No such file", NULL};
    assert_config_error(rc, config, error, path, fragments);
}

static void not_json_names_the_position(void **state)
{
    (void)state;
    char path[PATH_MAX], error[CM_CONFIG_ERROR_MAX] = "";
    th_data_path("config/not-json.json", path, sizeof path);
    cm_config *config = (cm_config *)1;
    cm_err rc = cm_config_load(path, NULL, 0, &config, error);
    const char *const fragments[] = {"not valid JSON", "line 3", "column", "byte", NULL};
    assert_config_error(rc, config, error, path, fragments);

    EXPECT_ERROR("", "not valid JSON", "byte 0");
    EXPECT_ERROR("{\"gateway\": {\"port\": 8080}} trailing", "not valid JSON", "byte 28");
    EXPECT_ERROR("{\"gateway\": {\"port\": NaN}}", "not valid JSON");
}

static void top_level_must_be_an_object(void **state)
{
    (void)state;
    EXPECT_ERROR("[{\"gateway\": {}}]", "top level", "must be a JSON object");
    EXPECT_ERROR("\"gateway\"", "top level", "must be a JSON object");
    EXPECT_ERROR("null", "top level", "must be a JSON object");
}

static void wrong_types(void **state)
{
    (void)state;
    EXPECT_ERROR("{\"gateway\": {\"port\": \"8080\"}}", "gateway.port", "must be an integer");
    EXPECT_ERROR("{\"gateway\": {\"port\": 8080.5}}", "gateway.port", "must be an integer");
    EXPECT_ERROR("{\"gateway\": {\"port\": true}}", "gateway.port", "must be an integer");
    EXPECT_ERROR("{\"gateway\": {\"port\": null}}", "gateway.port", "must be an integer");
    EXPECT_ERROR("{\"oci\": {\"port\": \"8081\"}}", "oci.port", "must be an integer");
    EXPECT_ERROR("{\"queue\": {\"workers\": \"2\"}}", "queue.workers", "must be an integer");
    EXPECT_ERROR("{\"gateway\": 8080}", "gateway", "must be an object");
    EXPECT_ERROR("{\"queue\": []}", "queue", "must be an object");
    EXPECT_ERROR("{\"tenants\": {}}", "tenants", "must be an array");
    EXPECT_ERROR("{\"tenants\": [5]}", "tenants", "entry 0 must be an object");
    EXPECT_ERROR("{\"oci\": {\"organizations\": {}}}", "oci.organizations", "must be an array");
    EXPECT_ERROR("{\"delivery\": {\"mode\": 1}}", "delivery.mode", "must be a string");
    EXPECT_ERROR("{\"gateway\": {\"rateLimit\": {\"requestsPerSecond\": \"5\"}}}",
                 "gateway.rateLimit.requestsPerSecond", "must be a number");
    EXPECT_ERROR(TENANT_WITH(", \"translatedApis\": \"yes\""), "tenants[0].translatedApis",
                 "must be true or false");
    EXPECT_ERROR(TENANT_WITH(", \"autoLocations\": 1"), "tenants[0].autoLocations",
                 "must be true or false");
    EXPECT_ERROR(TENANT_WITH(", \"floor\": 1"), "tenants[0].floor", "must be a string");
    EXPECT_ERROR(TENANT_WITH(", \"skuFrom\": \"sku\""), "tenants[0].skuFrom", "must be an array");
    EXPECT_ERROR(TENANT_WITH(", \"locations\": [\"warehouse-1\"]"), "tenants[0].locations",
                 "must be an object");
    EXPECT_ERROR(TENANT_WITH(", \"locations\": {\"Location 1\": 7}"),
                 "tenants[0].locations.Location 1", "must be a string");
}

static void out_of_range_values(void **state)
{
    (void)state;
    EXPECT_ERROR("{\"gateway\": {\"port\": 70000}}", "gateway.port", "between 0 and 65535",
                 "70000");
    EXPECT_ERROR("{\"gateway\": {\"port\": -1}}", "gateway.port", "between 0 and 65535");
    EXPECT_ERROR("{\"oci\": {\"port\": 65536}}", "oci.port", "65536");
    EXPECT_ERROR("{\"gateway\": {\"port\": 9223372036854775808}}", "gateway.port");
    EXPECT_ERROR("{\"queue\": {\"workers\": 0}}", "queue.workers", "between");
    EXPECT_ERROR("{\"queue\": {\"chunkSize\": 12001}}", "queue.chunkSize", "between");
    EXPECT_ERROR("{\"gateway\": {\"bodyLimitBytes\": 10}}", "gateway.bodyLimitBytes", "between");
    EXPECT_ERROR("{\"gateway\": {\"port\": 9000}, \"oci\": {\"port\": 9000}}", "oci.port",
                 "must differ from gateway.port");
    EXPECT_ERROR("{\"gateway\": {\"rateLimit\": {\"requestsPerSecond\": -1}}}",
                 "gateway.rateLimit.requestsPerSecond", "negative");

    /* Port 0 disables a listener, and two disabled listeners do not clash. */
    cm_config *config = load_ok("{\"gateway\": {\"port\": 0}, \"oci\": {\"port\": 0}}", NULL, 0);
    assert_int_equal(config->gateway.port, 0);
    assert_int_equal(config->oci.port, 0);
    cm_config_free(config);
    config = load_ok("{\"gateway\": {\"port\": 65535}, \"oci\": {\"port\": 1}}", NULL, 0);
    assert_int_equal(config->gateway.port, 65535);
    cm_config_free(config);
}

/* storage: the SQLite default, PostgreSQL with its URL, the lease, and every wrong value named. */
static void storage_settings(void **state)
{
    (void)state;
    cm_config *config = load_ok("{}", NULL, 0);
    assert_int_equal(config->storage.backend, CM_STORAGE_SQLITE);
    assert_null(config->storage.url);
    assert_int_equal(config->queue.lease_seconds, 60);
    cm_config_free(config);
    config = load_ok("{\"storage\": {\"backend\": \"postgresql\", \"url\": \"postgresql://u:p@db:5432/omsgw\"},"
                     " \"queue\": {\"leaseSeconds\": 15}}",
                     NULL, 0);
    assert_int_equal(config->storage.backend, CM_STORAGE_POSTGRESQL);
    assert_string_equal(config->storage.url, "postgresql://u:p@db:5432/omsgw");
    assert_int_equal(config->queue.lease_seconds, 15);
    cm_config_free(config);
    const char *const overrides[] = {"storage.backend=postgresql", "storage.url=postgresql://h/db"};
    config = load_ok("{}", overrides, 2);
    assert_int_equal(config->storage.backend, CM_STORAGE_POSTGRESQL);
    assert_string_equal(config->storage.url, "postgresql://h/db");
    cm_config_free(config);
    /* The URL holds a password: like every secret it may come from a file or the environment. */
    char url_path[PATH_MAX];
    temp_path("database-url", url_path, sizeof url_path);
    th_write_file(url_path, "postgresql://u:from-file@db/omsgw\n", 34);
    config = load_ok("{\"storage\": {\"backend\": \"postgresql\", \"urlFile\": \"database-url\"}}", NULL, 0);
    assert_string_equal(config->storage.url, "postgresql://u:from-file@db/omsgw");
    cm_config_free(config);
    setenv("OMSGW_TEST_PG_URL", "postgresql://u:from-env@db/omsgw", 1);
    config = load_ok("{\"storage\": {\"backend\": \"postgresql\", \"url\": \"${OMSGW_TEST_PG_URL}\"}}", NULL, 0);
    assert_string_equal(config->storage.url, "postgresql://u:from-env@db/omsgw");
    cm_config_free(config);
    unsetenv("OMSGW_TEST_PG_URL");
    EXPECT_ERROR("{\"storage\": {\"backend\": \"mysql\"}}", "storage.backend", "\"sqlite\" or \"postgresql\"");
    EXPECT_ERROR("{\"storage\": {\"backend\": 1}}", "storage.backend", "must be a string");
    EXPECT_ERROR("{\"storage\": {\"url\": 5432}}", "storage.url", "must be a string");
    EXPECT_ERROR("{\"storage\": \"postgresql\"}", "storage", "must be an object");
    EXPECT_ERROR("{\"queue\": {\"leaseSeconds\": 0}}", "queue.leaseSeconds", "between 1 and 3600");
    EXPECT_ERROR("{\"queue\": {\"leaseSeconds\": 3601}}", "queue.leaseSeconds", "between 1 and 3600");
}

static void unknown_api_key_type(void **state)
{
    (void)state;
    char path[PATH_MAX], error[CM_CONFIG_ERROR_MAX] = "";
    th_data_path("config/unknown-key-type.json", path, sizeof path);
    cm_config *config = (cm_config *)1;
    cm_err rc = cm_config_load(path, NULL, 0, &config, error);
    const char *const fragments[] = {"tenants[0].apiKeys.v6", "unknown field (did you mean `v5`?)", NULL};
    assert_config_error(rc, config, error, path, fragments);
}

static void api_key_problems(void **state)
{
    (void)state;
    const char *no_keys = "{ \"oci\": { \"organizations\": [ { \"id\": \"o1\" } ] },"
                          " \"tenants\": [ { \"id\": 1, \"organizationId\": \"o1\" } ] }";
    EXPECT_ERROR(no_keys, "tenants[0].apiKeys", "is required");
    const char *empty_key = "{ \"oci\": { \"organizations\": [ { \"id\": \"o1\" } ] },"
                            " \"tenants\": [ { \"id\": 1, \"organizationId\": \"o1\","
                            " \"apiKeys\": { \"v5\": \"\" } } ] }";
    EXPECT_ERROR(empty_key, "tenants[0].apiKeys.v5", "non-empty string");
    const char *number_key = "{ \"oci\": { \"organizations\": [ { \"id\": \"o1\" } ] },"
                             " \"tenants\": [ { \"id\": 1, \"organizationId\": \"o1\","
                             " \"apiKeys\": { \"inventorySpecific\": 5 } } ] }";
    EXPECT_ERROR(number_key, "tenants[0].apiKeys.inventorySpecific", "non-empty string");
    const char *short_hash = "{ \"oci\": { \"organizations\": [ { \"id\": \"o1\" } ] },"
                             " \"tenants\": [ { \"id\": 1, \"organizationId\": \"o1\","
                             " \"apiKeys\": { \"v5Sha256\": \"abc\" } } ] }";
    EXPECT_ERROR(short_hash, "tenants[0].apiKeys.v5Sha256", "64 hexadecimal");
    const char *not_hex = "{ \"oci\": { \"organizations\": [ { \"id\": \"o1\" } ] },"
                          " \"tenants\": [ { \"id\": 1, \"organizationId\": \"o1\","
                          " \"apiKeys\": { \"v5Sha256\": "
                          "\"zb9cd4cd828a0a5ab2cdc89a467882110f8ee803b91ca590cb304028ef0d0797\" } } ] }";
    EXPECT_ERROR(not_hex, "tenants[0].apiKeys.v5Sha256", "64 hexadecimal");
    const char *twice = "{ \"oci\": { \"organizations\": [ { \"id\": \"o1\" } ] },"
                        " \"tenants\": [ { \"id\": 1, \"organizationId\": \"o1\","
                        " \"apiKeys\": { \"v5\": \"k\", \"v5Sha256\": "
                        "\"cb9cd4cd828a0a5ab2cdc89a467882110f8ee803b91ca590cb304028ef0d0797\" } } ] }";
    EXPECT_ERROR(twice, "tenants[0].apiKeys.v5Sha256", "twice");
}

static void duplicate_tenant_id(void **state)
{
    (void)state;
    char path[PATH_MAX], error[CM_CONFIG_ERROR_MAX] = "";
    th_data_path("config/duplicate-tenant.json", path, sizeof path);
    cm_config *config = (cm_config *)1;
    cm_err rc = cm_config_load(path, NULL, 0, &config, error);
    const char *const fragments[] = {"tenants[1].id", "duplicate tenant id 12345", NULL};
    assert_config_error(rc, config, error, path, fragments);
}

static void tenant_id_problems(void **state)
{
    (void)state;
    const char *string_id = "{ \"oci\": { \"organizations\": [ { \"id\": \"o1\" } ] },"
                            " \"tenants\": [ { \"id\": \"12345\", \"organizationId\": \"o1\","
                            " \"apiKeys\": { \"v5\": \"k\" } } ] }";
    EXPECT_ERROR(string_id, "tenants[0].id", "must be an integer");
    const char *missing_id = "{ \"oci\": { \"organizations\": [ { \"id\": \"o1\" } ] },"
                             " \"tenants\": [ { \"organizationId\": \"o1\","
                             " \"apiKeys\": { \"v5\": \"k\" } } ] }";
    EXPECT_ERROR(missing_id, "tenants[0].id", "is required");
    const char *zero_id = "{ \"oci\": { \"organizations\": [ { \"id\": \"o1\" } ] },"
                          " \"tenants\": [ { \"id\": 0, \"organizationId\": \"o1\","
                          " \"apiKeys\": { \"v5\": \"k\" } } ] }";
    EXPECT_ERROR(zero_id, "tenants[0].id", "between");
}

/* oci.organizations[].rateLimit: off unless given; burst defaults to the rate (at least 1). */
static void organization_rate_limit(void **state)
{
    (void)state;
    cm_config *config = load_ok("{\"oci\": {\"organizations\": [{\"id\": \"a\"},"
                                " {\"id\": \"b\", \"rateLimit\": {\"requestsPerSecond\": 5, \"burst\": 20}},"
                                " {\"id\": \"c\", \"rateLimit\": {\"requestsPerSecond\": 0.5}}]}}",
                                NULL, 0);
    assert_true(config->oci.organizations[0].rate_limit.requests_per_second == 0);
    assert_true(config->oci.organizations[1].rate_limit.requests_per_second == 5);
    assert_true(config->oci.organizations[1].rate_limit.burst == 20);
    assert_true(config->oci.organizations[2].rate_limit.requests_per_second == 0.5);
    assert_true(config->oci.organizations[2].rate_limit.burst == 1);
    cm_config_free(config);
    EXPECT_ERROR("{\"oci\": {\"organizations\": [{\"id\": \"a\", \"rateLimit\": 5}]}}",
                 "oci.organizations[0].rateLimit", "must be an object");
    EXPECT_ERROR("{\"oci\": {\"organizations\": [{\"id\": \"a\", \"rateLimit\": {\"requestsPerSecond\": -1}}]}}",
                 "oci.organizations[0].rateLimit.requestsPerSecond", "negative");
    EXPECT_ERROR("{\"oci\": {\"organizations\": [{\"id\": \"a\", \"rateLimit\": {\"burst\": \"2\"}}]}}",
                 "oci.organizations[0].rateLimit.burst", "must be a number");
}

static void duplicate_organization_id(void **state)
{
    (void)state;
    EXPECT_ERROR("{ \"oci\": { \"organizations\": [ { \"id\": \"o1\" }, { \"id\": \"o2\" },"
                 " { \"id\": \"o1\" } ] } }",
                 "oci.organizations[2].id", "duplicate organization id", "o1");
    EXPECT_ERROR("{ \"oci\": { \"organizations\": [ { \"locationGraph\": \"g.json\" } ] } }",
                 "oci.organizations[0].id", "is required");
    EXPECT_ERROR("{ \"oci\": { \"organizations\": [ { \"id\": \"\" } ] } }",
                 "oci.organizations[0].id", "must not be empty");
}

static void tenant_organization_must_be_configured(void **state)
{
    (void)state;
    const char *text = "{ \"oci\": { \"organizations\": [ { \"id\": \"o1\" } ] },"
                       " \"tenants\": [ { \"id\": 1, \"organizationId\": \"f_ecom_nope\","
                       " \"apiKeys\": { \"v5\": \"k\" } } ] }";
    EXPECT_ERROR(text, "tenants[0].organizationId", "f_ecom_nope", "not in oci.organizations");
    const char *missing = "{ \"oci\": { \"organizations\": [ { \"id\": \"o1\" } ] },"
                          " \"tenants\": [ { \"id\": 1, \"apiKeys\": { \"v5\": \"k\" } } ] }";
    EXPECT_ERROR(missing, "tenants[0].organizationId", "is required");

    /* With http delivery the organization lives in the real OCI: it need not be configured. */
    cm_config *config = load_ok(
        "{ \"delivery\": { \"mode\": \"http\", \"baseUrl\": \"https://oci.example\", \"token\": \"t\" },"
        " \"tenants\": [ { \"id\": 1, \"organizationId\": \"f_ecom_real\","
        " \"apiKeys\": { \"v5\": \"k\" } } ] }",
        NULL, 0);
    assert_string_equal(config->tenants[0].organization_id, "f_ecom_real");
    assert_null(cm_config_org(config, "f_ecom_real"));
    cm_config_free(config);
}

static void bad_location_ids(void **state)
{
    (void)state;
    EXPECT_ERROR(TENANT_WITH(", \"locations\": {\"Location 1\": \"warehouse 1\"}"),
                 "tenants[0].locations.Location 1", "not an OCI location id", "warehouse 1");
    EXPECT_ERROR(TENANT_WITH(", \"locations\": {\"L\": \"w\"}"), "tenants[0].locations.L",
                 "not an OCI location id");
    EXPECT_ERROR(TENANT_WITH(", \"locations\": {\"L\": \"w/1\"}"), "tenants[0].locations.L",
                 "not an OCI location id");
    EXPECT_ERROR(TENANT_WITH(", \"locations\": {\"L\": \"\"}"), "tenants[0].locations.L",
                 "not an OCI location id");
    EXPECT_ERROR(TENANT_WITH(", \"locations\": {\"\": \"warehouse-1\"}"), "tenants[0].locations",
                 "must not be empty");

    /* 2 and 128 characters are the limits. */
    char long_id[129];
    memset(long_id, 'a', 128);
    long_id[128] = '\0';
    char text[1024];
    snprintf(text, sizeof text, TENANT_WITH(", \"locations\": {\"L\": \"%s\", \"M\": \"ab\"}"), long_id);
    cm_config *config = load_ok(text, NULL, 0);
    assert_string_equal(cm_tenant_location(&config->tenants[0], "L"), long_id);
    assert_string_equal(cm_tenant_location(&config->tenants[0], "M"), "ab");
    cm_config_free(config);
    snprintf(text, sizeof text, TENANT_WITH(", \"locations\": {\"L\": \"%sa\"}"), long_id);
    EXPECT_ERROR(text, "tenants[0].locations.L", "not an OCI location id");
}

static void bad_floor_and_sku_from(void **state)
{
    (void)state;
    EXPECT_ERROR(TENANT_WITH(", \"floor\": \"min\""), "tenants[0].floor", "max, sum, ignore");
    EXPECT_ERROR(TENANT_WITH(", \"floor\": \"MAX\""), "tenants[0].floor", "max, sum, ignore");
    EXPECT_ERROR(TENANT_WITH(", \"skuFrom\": [\"sku\", \"ean\"]"), "tenants[0].skuFrom", "entry 1");
    EXPECT_ERROR(TENANT_WITH(", \"skuFrom\": [\"sku\", \"sku\"]"), "tenants[0].skuFrom",
                 "listed twice");
    EXPECT_ERROR(TENANT_WITH(", \"skuFrom\": []"), "tenants[0].skuFrom", "1 to 3");
    EXPECT_ERROR(TENANT_WITH(", \"skuFrom\": [\"sku\", \"upc\", \"partNumber\", \"sku\"]"),
                 "tenants[0].skuFrom", "1 to 3");
    EXPECT_ERROR(TENANT_WITH(", \"skuFrom\": [1]"), "tenants[0].skuFrom", "entry 0");

    cm_config *config = load_ok(TENANT_WITH(", \"skuFrom\": [\"upc\", \"sku\"], \"floor\": \"ignore\""),
                                NULL, 0);
    const cm_tenant *tenant = &config->tenants[0];
    assert_int_equal(tenant->sku_from_count, 2);
    assert_int_equal(tenant->sku_from[0], CM_ID_UPC);
    assert_int_equal(tenant->sku_from[1], CM_ID_SKU);
    assert_int_equal(tenant->floor, CM_FLOOR_IGNORE);
    cm_config_free(config);
}

static void http_delivery_needs_base_url_and_credentials(void **state)
{
    (void)state;
    EXPECT_ERROR("{\"delivery\": {\"mode\": \"http\", \"token\": \"t\"}}", "delivery.baseUrl",
                 "is required");
    EXPECT_ERROR("{\"delivery\": {\"mode\": \"http\", \"baseUrl\": \"http://127.0.0.1:8081\"}}",
                 "delivery", "token", "oauth");
    EXPECT_ERROR("{\"delivery\": {\"mode\": \"http\", \"baseUrl\": \"ftp://x\", \"token\": \"t\"}}",
                 "delivery.baseUrl", "http://");
    EXPECT_ERROR("{\"delivery\": {\"mode\": \"carrier-pigeon\"}}", "delivery.mode", "bundled",
                 "http");
    EXPECT_ERROR("{\"delivery\": {\"mode\": \"http\", \"baseUrl\": \"http://x\","
                 " \"oauth\": {\"clientId\": \"c\", \"clientSecret\": \"s\"}}}",
                 "delivery.oauth.tokenUrl", "is required");
    EXPECT_ERROR("{\"delivery\": {\"mode\": \"http\", \"baseUrl\": \"http://x\", \"token\": 5}}",
                 "delivery.token", "must be a string");

    cm_config *config = load_ok(
        "{\"delivery\": {\"mode\": \"http\", \"baseUrl\": \"http://127.0.0.1:8081\", \"token\": \"t\","
        " \"timeoutSeconds\": 5, \"verifyTls\": false}}",
        NULL, 0);
    assert_int_equal(config->delivery.mode, CM_DELIVERY_HTTP);
    assert_string_equal(config->delivery.base_url, "http://127.0.0.1:8081");
    assert_string_equal(config->delivery.token, "t");
    assert_int_equal(config->delivery.timeout_seconds, 5);
    assert_int_equal(config->delivery.verify_tls, 0);
    cm_config_free(config);

    config = load_ok("{\"delivery\": {\"mode\": \"http\", \"baseUrl\": \"https://oci.example\","
                     " \"oauth\": {\"tokenUrl\": \"https://am.example/token\", \"clientId\": \"c\","
                     " \"clientSecret\": \"s\", \"scope\": \"sfcc.inventory.availability\"}}}",
                     NULL, 0);
    assert_string_equal(config->delivery.oauth_token_url, "https://am.example/token");
    assert_string_equal(config->delivery.oauth_client_id, "c");
    assert_string_equal(config->delivery.oauth_client_secret, "s");
    assert_string_equal(config->delivery.oauth_scope, "sfcc.inventory.availability");
    assert_null(config->delivery.token);
    cm_config_free(config);
}

static void unknown_scope(void **state)
{
    (void)state;
    EXPECT_ERROR(CONFIG_WITH(", \"tokens\": [ { \"token\": \"t\", \"scopes\":"
                             " [\"sfcc.inventory.availability\", \"sfcc.inventory.admin\"] } ]",
                             "{}", ""),
                 "oci.organizations[0].tokens[0].scopes[1]", "unknown scope",
                 "sfcc.inventory.admin");
    EXPECT_ERROR(CONFIG_WITH(", \"clients\": [ { \"id\": \"c\", \"secret\": \"s\", \"scopes\": [5] } ]",
                             "{}", ""),
                 "oci.organizations[0].clients[0].scopes[0]", "must be a string");
    EXPECT_ERROR(CONFIG_WITH(", \"tokens\": [ { \"token\": \"t\" } ]", "{}", ""),
                 "oci.organizations[0].tokens[0].scopes", "is required");
    EXPECT_ERROR(CONFIG_WITH(", \"clients\": [ { \"id\": \"c\", \"scopes\": [] } ]", "{}", ""),
                 "oci.organizations[0].clients[0].secret", "is required");
    EXPECT_ERROR(CONFIG_WITH(", \"tokens\": {}", "{}", ""), "oci.organizations[0].tokens",
                 "must be an array");
}

/* ---- hashed keys ---- */

static void hashed_keys_equal_hashing_the_plain_key(void **state)
{
    (void)state;
    char path[PATH_MAX], error[CM_CONFIG_ERROR_MAX] = "";
    th_data_path("config/hashed-keys.json", path, sizeof path);
    cm_config *config = NULL;
    if (cm_config_load(path, NULL, 0, &config, error) != CM_OK)
        fail_msg("hashed-keys.json: %s", error);
    const cm_tenant *hashed = cm_config_tenant(config, 12345);
    assert_non_null(hashed);
    assert_int_equal(hashed->has_v5_key, 1);
    assert_int_equal(hashed->has_inventory_specific_key, 1);
    assert_key_digest(hashed->v5_key_sha256, "demo-v5-key");
    /* Upper-case hex is accepted too. */
    assert_key_digest(hashed->inventory_specific_key_sha256, "demo-inv-key");

    /* The same digests as the sample's plain keys. */
    char sample[PATH_MAX];
    sample_path(sample, sizeof sample);
    cm_config *plain_config = NULL;
    assert_int_equal(cm_config_load(sample, NULL, 0, &plain_config, error), CM_OK);
    const cm_tenant *plain = cm_config_tenant(plain_config, 12345);
    assert_memory_equal(plain->v5_key_sha256, hashed->v5_key_sha256, CM_SHA256_LEN);
    assert_memory_equal(plain->inventory_specific_key_sha256, hashed->inventory_specific_key_sha256,
                        CM_SHA256_LEN);
    cm_config_free(plain_config);

    /* An absolute graph path is kept as it is. */
    assert_string_equal(config->oci.organizations[0].location_graph_path, "/srv/graphs/demo.json");
    cm_config_free(config);
}

/* ---- overrides ---- */

static cm_config *load_base(const char *const *overrides, size_t count)
{
    char path[PATH_MAX], error[CM_CONFIG_ERROR_MAX] = "";
    th_data_path("config/base.json", path, sizeof path);
    cm_config *config = NULL;
    if (cm_config_load(path, overrides, count, &config, error) != CM_OK)
        fail_msg("base.json with overrides: %s", error);
    return config;
}

static void overrides_change_values(void **state)
{
    (void)state;
    const char *const overrides[] = {"queue.workers=4", "tenants[0].floor=\"sum\"",
                                     "gateway.port=9090", "tenants[0].autoLocations=true",
                                     "oci.organizations[0].id=\"f_ecom_test_001\""};
    cm_config *config = load_base(overrides, 5);
    assert_int_equal(config->queue.workers, 4);
    assert_int_equal(config->tenants[0].floor, CM_FLOOR_SUM);
    assert_int_equal(config->tenants[0].auto_locations, 1);
    assert_int_equal(config->gateway.port, 9090);
    assert_int_equal(config->oci.port, 18081);
    /* Untouched values stay. */
    assert_int_equal(config->queue.chunk_size, 3000);
    cm_config_free(config);

    /* A value that is not JSON is taken as a string. */
    const char *const unquoted[] = {"tenants[0].floor=ignore"};
    config = load_base(unquoted, 1);
    assert_int_equal(config->tenants[0].floor, CM_FLOOR_IGNORE);
    cm_config_free(config);

    /* Later overrides win over earlier ones. */
    const char *const twice[] = {"queue.workers=4", "queue.workers=6"};
    config = load_base(twice, 2);
    assert_int_equal(config->queue.workers, 6);
    cm_config_free(config);

    /* Whole values can be replaced. */
    const char *const whole[] = {"tenants[0].skuFrom=[\"upc\"]",
                                 "tenants[0].locations={\"X\":\"store-x\"}"};
    config = load_base(whole, 2);
    assert_int_equal(config->tenants[0].sku_from_count, 1);
    assert_int_equal(config->tenants[0].sku_from[0], CM_ID_UPC);
    assert_int_equal(config->tenants[0].location_count, 1);
    assert_string_equal(cm_tenant_location(&config->tenants[0], "X"), "store-x");
    cm_config_free(config);
}

static void override_creates_a_new_section(void **state)
{
    (void)state;
    /* base.json has no queue and no delivery section. */
    const char *const overrides[] = {"queue.chunkSize=500", "delivery.mode=http",
                                     "delivery.baseUrl=http://127.0.0.1:9", "delivery.token=tok",
                                     "gateway.rateLimit.requestsPerSecond=5"};
    cm_config *config = load_base(overrides, 5);
    assert_int_equal(config->queue.chunk_size, 500);
    assert_int_equal(config->queue.workers, 2);
    assert_int_equal(config->delivery.mode, CM_DELIVERY_HTTP);
    assert_string_equal(config->delivery.base_url, "http://127.0.0.1:9");
    assert_string_equal(config->delivery.token, "tok");
    assert_true(config->gateway.rate_limit.requests_per_second == 5);
    /* The tenant inherits the gateway's rate limit. */
    assert_true(config->tenants[0].rate_limit.requests_per_second == 5);
    cm_config_free(config);
}

static void override_values_are_checked_like_the_file(void **state)
{
    (void)state;
    char base[PATH_MAX];
    th_data_path("config/base.json", base, sizeof base);
    char *text = th_read_file(base, NULL);
    assert_non_null(text);
    const char *const port[] = {"gateway.port=99999"};
    EXPECT_ERROR_OVERRIDES(text, port, 1, "gateway.port", "65535");
    const char *const word[] = {"gateway.port=abc"};
    EXPECT_ERROR_OVERRIDES(text, word, 1, "gateway.port", "must be an integer");
    const char *const floor[] = {"tenants[0].floor=lowest"};
    EXPECT_ERROR_OVERRIDES(text, floor, 1, "tenants[0].floor", "max, sum, ignore");
    /* "4x" is not JSON, so it is the string "4x": not an integer, never a silent 4. */
    const char *const junk[] = {"queue.workers=4x"};
    EXPECT_ERROR_OVERRIDES(text, junk, 1, "queue.workers", "must be an integer");
    free(text);
}

static void bad_override_paths(void **state)
{
    (void)state;
    char base[PATH_MAX];
    th_data_path("config/base.json", base, sizeof base);
    char *text = th_read_file(base, NULL);
    assert_non_null(text);
    const char *const no_element[] = {"tenants[5].floor=sum"};
    EXPECT_ERROR_OVERRIDES(text, no_element, 1, "tenants[5].floor", "no such array element");
    const char *const not_array[] = {"gateway[0].port=1"};
    EXPECT_ERROR_OVERRIDES(text, not_array, 1, "gateway[0].port", "no such array element");
    const char *const through_value[] = {"gateway.port.x=1"};
    EXPECT_ERROR_OVERRIDES(text, through_value, 1, "gateway.port.x", "not an object");
    const char *const no_equals[] = {"queue.workers"};
    EXPECT_ERROR_OVERRIDES(text, no_equals, 1, "queue.workers", "section.field=value");
    const char *const no_path[] = {"=4"};
    EXPECT_ERROR_OVERRIDES(text, no_path, 1, "section.field=value");
    const char *const bad_index[] = {"tenants[x].floor=sum"};
    EXPECT_ERROR_OVERRIDES(text, bad_index, 1, "tenants[x].floor", "bad array index");
    const char *const negative_index[] = {"tenants[-1].floor=sum"};
    EXPECT_ERROR_OVERRIDES(text, negative_index, 1, "bad array index");
    char long_path[400];
    memset(long_path, 'a', 300);
    strcpy(long_path + 300, "=1");
    const char *const too_long[] = {long_path};
    EXPECT_ERROR_OVERRIDES(text, too_long, 1, "too long");
    free(text);
}

/* ---- paths ---- */

static void relative_location_graph_uses_the_config_folder(void **state)
{
    (void)state;
    char base[PATH_MAX];
    th_data_path("config/base.json", base, sizeof base);
    cm_config *config = load_base(NULL, 0);
    /* base.json says "graphs/location-graph.json". */
    char expected[PATH_MAX];
    snprintf(expected, sizeof expected, "%s", base);
    strcpy(strrchr(expected, '/') + 1, "graphs/location-graph.json");
    assert_string_equal(config->oci.organizations[0].location_graph_path, expected);
    assert_string_equal(config->path, base);
    cm_config_free(config);

    /* From memory: relative to base_dir, or as given without one. */
    const char *text = "{\"oci\": {\"organizations\": [{\"id\": \"o\", \"locationGraph\": \"g.json\"}]}}";
    char error[CM_CONFIG_ERROR_MAX];
    assert_int_equal(cm_config_parse(text, strlen(text), "inline", "/etc/omsgw", NULL, 0, &config, error),
                     CM_OK);
    assert_string_equal(config->oci.organizations[0].location_graph_path, "/etc/omsgw/g.json");
    assert_string_equal(config->config_dir, "/etc/omsgw");
    cm_config_free(config);
    assert_int_equal(cm_config_parse(text, strlen(text), "inline", NULL, NULL, 0, &config, error), CM_OK);
    assert_string_equal(config->oci.organizations[0].location_graph_path, "g.json");
    cm_config_free(config);
}

/* oci.organizations[].connectedApps, oci.publicUrl and delivery.jwt: values, relative paths, refusals. */
static void connected_apps_public_url_and_delivery_jwt(void **state)
{
    (void)state;
    const char *text =
        "{\"oci\": {\"publicUrl\": \"https://oci.example\", \"organizations\": [{\"id\": \"o\", \"connectedApps\": ["
        "{\"consumerKey\": \"ck\", \"certificate\": \"keys/app.crt\", \"consumerSecret\": \"cs\","
        " \"users\": [{\"username\": \"u@x\", \"password\": \"p\", \"securityToken\": \"T\"}, {\"username\": \"v@x\"}],"
        " \"scopes\": [\"sfcc_inventory_availability\"]},"
        "{\"consumerKey\": \"secret-only\", \"consumerSecret\": \"s2\", \"scopes\": []}]}]},"
        " \"delivery\": {\"mode\": \"http\", \"baseUrl\": \"https://oci.example\", \"jwt\": {\"loginUrl\": \"https://login.salesforce.com\","
        " \"consumerKey\": \"ck\", \"username\": \"u@x\", \"privateKey\": \"keys/server.key\", \"tokenLifetimeSeconds\": 600}}}";
    cm_config *config = NULL;
    char error[CM_CONFIG_ERROR_MAX];
    assert_int_equal(cm_config_parse(text, strlen(text), "inline", "/etc/omsgw", NULL, 0, &config, error), CM_OK);
    assert_string_equal(config->oci.public_url, "https://oci.example");
    const cm_oci_org *org = &config->oci.organizations[0];
    assert_int_equal(org->connected_app_count, 2);
    const cm_connected_app *app = &org->connected_apps[0];
    assert_string_equal(app->consumer_key, "ck");
    assert_string_equal(app->certificate_path, "/etc/omsgw/keys/app.crt");
    assert_string_equal(app->consumer_secret, "cs");
    assert_int_equal(app->user_count, 2);
    assert_string_equal(app->users[0].password, "p");
    assert_string_equal(app->users[0].security_token, "T");
    assert_null(app->users[1].password);
    assert_int_equal(app->scopes, CM_SCOPE_AVAILABILITY);
    assert_null(org->connected_apps[1].certificate_path);
    assert_string_equal(config->delivery.jwt_login_url, "https://login.salesforce.com");
    assert_string_equal(config->delivery.jwt_private_key_path, "/etc/omsgw/keys/server.key");
    assert_int_equal(config->delivery.jwt_token_lifetime_seconds, 600);
    cm_config_free(config);

    EXPECT_ERROR("{\"oci\": {\"organizations\": [{\"id\": \"o\", \"connectedApps\": {}}]}}",
                 "oci.organizations[0].connectedApps", "must be an array");
    EXPECT_ERROR("{\"oci\": {\"organizations\": [{\"id\": \"o\", \"connectedApps\": [{\"certificate\": \"a\", \"scopes\": []}]}]}}",
                 "connectedApps[0].consumerKey", "is required");
    EXPECT_ERROR("{\"oci\": {\"organizations\": [{\"id\": \"o\", \"connectedApps\": [{\"consumerKey\": \"k\", \"scopes\": []}]}]}}",
                 "connectedApps[0].certificate", "consumerSecret");
    EXPECT_ERROR("{\"oci\": {\"organizations\": [{\"id\": \"o\", \"connectedApps\": [{\"consumerKey\": \"k\","
                 " \"certificate\": \"a\", \"scopes\": [\"nope\"]}]}]}}",
                 "connectedApps[0].scopes[0]", "unknown scope");
    EXPECT_ERROR("{\"oci\": {\"organizations\": [{\"id\": \"o\", \"connectedApps\": [{\"consumerKey\": \"k\","
                 " \"certificate\": \"a\", \"scopes\": [], \"users\": [{\"password\": \"p\"}]}]}]}}",
                 "connectedApps[0].users[0].username", "is required");
    EXPECT_ERROR("{\"delivery\": {\"mode\": \"http\", \"baseUrl\": \"http://x\", \"jwt\": {\"loginUrl\": \"http://x\","
                 " \"consumerKey\": \"k\", \"username\": \"u\"}}}",
                 "delivery.jwt.privateKey", "is required");
    EXPECT_ERROR("{\"delivery\": {\"mode\": \"http\", \"baseUrl\": \"http://x\", \"jwt\": {\"loginUrl\": \"ftp://x\","
                 " \"consumerKey\": \"k\", \"username\": \"u\", \"privateKey\": \"k.pem\"}}}",
                 "delivery.jwt.loginUrl", "http://");
    EXPECT_ERROR("{\"delivery\": {\"jwt\": []}}", "delivery.jwt", "must be an object");
}

static void parse_from_memory_names_its_origin(void **state)
{
    (void)state;
    const char *text = "{\"gateway\": {\"port\": \"x\"}}";
    char error[CM_CONFIG_ERROR_MAX] = "";
    cm_config *config = (cm_config *)1;
    cm_err rc = cm_config_parse(text, strlen(text), "<embedded>", NULL, NULL, 0, &config, error);
    const char *const fragments[] = {"gateway.port", "must be an integer", NULL};
    assert_config_error(rc, config, error, "<embedded>", fragments);
}


/* ---- the admin listener and TLS (common/config_admin.c) ---- */

static void admin_and_tls_fields(void **state)
{
    (void)state;
    cm_config *config = load_ok("{}", NULL, 0);
    assert_int_equal(config->admin.port, 0); /* no section: no admin listener */
    assert_string_equal(config->admin.bind, "127.0.0.1");
    assert_null(config->gateway.tls.certificate_path);
    cm_config_free(config);

    setenv("OMSGW_TEST_ADMIN_TOKEN", "from-the-environment-123", 1);
    config = load_ok("{\"admin\": {\"tokens\": [\"plain-admin-token-123\", {\"token\": \"${OMSGW_TEST_ADMIN_TOKEN}\"},"
                     " {\"sha256\": \"9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08\"}],"
                     " \"tls\": {\"certificate\": \"a.pem\", \"key\": \"/abs/a.key\"}},"
                     " \"gateway\": {\"tls\": {\"certificate\": \"g.pem\", \"key\": \"g.key\"}}}", NULL, 0);
    assert_int_equal(config->admin.port, 8082); /* the section turns it on at the conventional port */
    assert_int_equal(config->admin.token_count, 3);
    assert_key_digest(config->admin.tokens[0].sha256, "plain-admin-token-123");
    assert_key_digest(config->admin.tokens[1].sha256, "from-the-environment-123");
    assert_key_digest(config->admin.tokens[2].sha256, "test");
    assert_non_null(strstr(config->admin.tls.certificate_path, "/a.pem"));
    assert_string_equal(config->admin.tls.key_path, "/abs/a.key");
    assert_non_null(strstr(config->gateway.tls.key_path, "/g.key"));
    assert_null(config->oci.tls.certificate_path);
    cm_config_free(config);

    const char *const port_override[] = {"admin.port=9100"};
    config = load_ok("{\"admin\": {\"tokens\": [\"plain-admin-token-123\"]}}", port_override, 1);
    assert_int_equal(config->admin.port, 9100);
    cm_config_free(config);

    EXPECT_ERROR("{\"admin\": {}}", "admin.tokens", "at least one token");
    EXPECT_ERROR("{\"admin\": {\"tokens\": [\"short\"]}}", "admin.tokens[0]", "at least 16 characters");
    EXPECT_ERROR("{\"admin\": {\"tokens\": [{\"sha256\": \"abc\"}]}}", "admin.tokens[0].sha256", "64 hexadecimal");
    EXPECT_ERROR("{\"admin\": {\"tokens\": [7]}}", "admin.tokens[0]", "must be a token");
    EXPECT_ERROR("{\"admin\": {\"tokens\": [{\"token\": \"plain-admin-token-123\", \"sha256\": \"x\"}]}}",
                 "admin.tokens[0]", "not both");
    EXPECT_ERROR("{\"admin\": {\"port\": 8080, \"tokens\": [\"plain-admin-token-123\"]}}", "admin.port", "must differ");
    EXPECT_ERROR("{\"admin\": {\"port\": 70000, \"tokens\": [\"plain-admin-token-123\"]}}", "admin.port", "between 0 and 65535");
    EXPECT_ERROR("{\"admin\": {\"bind\": \"localhost\", \"tokens\": [\"plain-admin-token-123\"]}}", "admin.bind",
                 "not an IPv4 address");
    EXPECT_ERROR("{\"oci\": {\"tls\": {\"certificate\": \"c.pem\"}}}", "oci.tls.key", "is required");
    EXPECT_ERROR("{\"gateway\": {\"tls\": \"on\"}}", "gateway.tls", "must be an object");
    EXPECT_ERROR("{\"admin\": {\"tokens\": [\"plain-admin-token-123\"], \"tls\": {\"certificate\": \"\", \"key\": \"k\"}}}",
                 "admin.tls.certificate", "must not be empty");
    EXPECT_ERROR("{\"admin\": {\"tokenz\": []}}", "admin.tokenz", "unknown field");
}

/* ---- lookups and scopes ---- */

static void lookups(void **state)
{
    (void)state;
    char path[PATH_MAX], error[CM_CONFIG_ERROR_MAX] = "";
    sample_path(path, sizeof path);
    cm_config *config = NULL;
    assert_int_equal(cm_config_load(path, NULL, 0, &config, error), CM_OK);

    const cm_tenant *tenant = cm_config_tenant(config, 23456);
    assert_non_null(tenant);
    assert_int_equal(tenant->id, 23456);
    assert_ptr_equal(cm_config_tenant(config, 12345), &config->tenants[0]);
    assert_null(cm_config_tenant(config, 99999));
    assert_null(cm_config_tenant(config, 0));
    assert_null(cm_config_tenant(config, -12345));

    const cm_oci_org *org = cm_config_org(config, "f_ecom_native_001");
    assert_non_null(org);
    assert_string_equal(org->id, "f_ecom_native_001");
    assert_null(cm_config_org(config, "f_ecom_nope"));
    assert_null(cm_config_org(config, "F_ECOM_DEMO_001"));
    assert_null(cm_config_org(config, ""));
    assert_null(cm_config_org(config, NULL));

    tenant = cm_config_tenant(config, 12345);
    assert_string_equal(cm_tenant_location(tenant, "Location 1"), "warehouse-1");
    assert_string_equal(cm_tenant_location(tenant, "Location 2"), "warehouse-2");
    assert_string_equal(cm_tenant_location(tenant, "Downtown Store"), "store-downtown");
    assert_string_equal(cm_tenant_location(tenant, "Airport Store"), "store-airport");
    assert_null(cm_tenant_location(tenant, "location 1"));
    assert_null(cm_tenant_location(tenant, "Location"));
    assert_null(cm_tenant_location(tenant, ""));
    assert_null(cm_tenant_location(cm_config_tenant(config, 23456), "Location 2"));
    cm_config_free(config);
}

static void scope_names_in_both_spellings(void **state)
{
    (void)state;
    static const struct {
        const char *dotted, *underscored;
        unsigned bit;
    } scopes[] = {
        {"sfcc.inventory.availability", "sfcc_inventory_availability", CM_SCOPE_AVAILABILITY},
        {"sfcc.inventory.availability.rw", "sfcc_inventory_availability_rw", CM_SCOPE_AVAILABILITY_RW},
        {"sfcc.inventory.impex-inventory", "sfcc_inventory_impex_inventory", CM_SCOPE_IMPEX_INVENTORY},
        {"sfcc.inventory.impex-inventory.rw", "sfcc_inventory_impex_inventory_rw",
         CM_SCOPE_IMPEX_INVENTORY_RW},
        {"sfcc.inventory.impex-graphs", "sfcc_inventory_impex_graphs", CM_SCOPE_IMPEX_GRAPHS},
        {"sfcc.inventory.reservations", "sfcc_inventory_reservations", CM_SCOPE_RESERVATIONS},
        {"sfcc.inventory.reservations.rw", "sfcc_inventory_reservations_rw", CM_SCOPE_RESERVATIONS_RW},
    };
    unsigned seen = 0;
    for (size_t i = 0; i < sizeof scopes / sizeof scopes[0]; i++) {
        assert_int_equal(cm_scope_from_name(scopes[i].dotted), scopes[i].bit);
        assert_int_equal(cm_scope_from_name(scopes[i].underscored), scopes[i].bit);
        assert_int_equal(seen & scopes[i].bit, 0); /* one bit each */
        seen |= scopes[i].bit;
    }
    assert_int_equal(seen, ALL_SCOPES);
    assert_int_equal(cm_scope_from_name(""), 0);
    assert_int_equal(cm_scope_from_name("sfcc.inventory"), 0);
    assert_int_equal(cm_scope_from_name("sfcc.inventory.admin"), 0);
    assert_int_equal(cm_scope_from_name("sfcc.inventory.availability.rw.extra"), 0);
    assert_int_equal(cm_scope_from_name("sfcc.inventory.availabilit"), 0);
    char long_name[200];
    memset(long_name, 'x', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    assert_int_equal(cm_scope_from_name(long_name), 0);

    /* The base fixture mixes spellings. */
    cm_config *config = load_base(NULL, 0);
    assert_int_equal(config->oci.organizations[0].tokens[0].scopes,
                     CM_SCOPE_AVAILABILITY | CM_SCOPE_IMPEX_INVENTORY_RW);
    assert_int_equal(config->oci.organizations[0].clients[0].scopes, CM_SCOPE_RESERVATIONS_RW);
    cm_config_free(config);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sample_loads_with_documented_values),
        cmocka_unit_test(empty_object_gives_all_defaults),
        cmocka_unit_test(tenant_defaults),
        cmocka_unit_test(missing_file),
        cmocka_unit_test(admin_and_tls_fields),
        cmocka_unit_test(not_json_names_the_position),
        cmocka_unit_test(top_level_must_be_an_object),
        cmocka_unit_test(wrong_types),
        cmocka_unit_test(out_of_range_values),
        cmocka_unit_test(unknown_api_key_type),
        cmocka_unit_test(api_key_problems),
        cmocka_unit_test(duplicate_tenant_id),
        cmocka_unit_test(tenant_id_problems),
        cmocka_unit_test(duplicate_organization_id),
        cmocka_unit_test(organization_rate_limit),
        cmocka_unit_test(tenant_organization_must_be_configured),
        cmocka_unit_test(bad_location_ids),
        cmocka_unit_test(bad_floor_and_sku_from),
        cmocka_unit_test(http_delivery_needs_base_url_and_credentials),
        cmocka_unit_test(unknown_scope),
        cmocka_unit_test(hashed_keys_equal_hashing_the_plain_key),
        cmocka_unit_test(overrides_change_values),
        cmocka_unit_test(override_creates_a_new_section),
        cmocka_unit_test(override_values_are_checked_like_the_file),
        cmocka_unit_test(bad_override_paths),
        cmocka_unit_test(relative_location_graph_uses_the_config_folder),
        cmocka_unit_test(parse_from_memory_names_its_origin),
        cmocka_unit_test(connected_apps_public_url_and_delivery_jwt),
        cmocka_unit_test(lookups),
        cmocka_unit_test(scope_names_in_both_spellings),
        cmocka_unit_test(storage_settings),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
