/*
 * test_translate_golden.c - the translation of whole legacy requests, pinned byte for byte.
 *
 * Each JSON file in tests/data/translate holds a legacy refresh request, the tenant's options (floor
 * mode, skuFrom, locations), the job id and acceptance time, and the exact import file lines and
 * batch-update body it must produce. The expected bytes are computed by make_golden.py beside
 * them, from decisions.md's rules and independently of this C code. The driver runs the request
 * through the gateway's validator (which normalizes items as the queue stores them), then
 * tr_translate_item and the writers, and compares.
 */
#include "common/body.h"
#include "common/clock.h"
#include "common/config.h"
#include "common/json_util.h"
#include "gateway/validate.h"
#include "tests/support/test_support.h"
#include "translate/item.h"
#include "translate/writer.h"

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GOLDEN_DIR "translate"
#define GOLDEN_MAX_FILES 64
#define OUTPUT_MAX (16 * 1024 * 1024)

/* A minimal deployment holding one tenant with the golden file's options. */
static cm_config *config_for(json_object *tenant_options)
{
    json_object *root = json_object_new_object(), *oci = json_object_new_object(),
                *orgs = json_object_new_array(), *org = json_object_new_object(),
                *tenants = json_object_new_array(), *tenant = json_object_new_object(),
                *keys = json_object_new_object();
    json_object_object_add(org, "id", json_object_new_string("f_ecom_golden_001"));
    json_object_array_add(orgs, org);
    json_object_object_add(oci, "organizations", orgs);
    json_object_object_add(root, "oci", oci);
    json_object_object_foreach(tenant_options, key, value)
    {
        json_object_object_add(tenant, key, json_object_get(value));
    }
    json_object_object_add(tenant, "translatedApis", json_object_new_boolean(1));
    json_object_object_add(keys, "v5", json_object_new_string("golden-v5-key"));
    json_object_object_add(keys, "inventorySpecific", json_object_new_string("golden-inv-key"));
    json_object_object_add(tenant, "apiKeys", keys);
    json_object_object_add(tenant, "organizationId", json_object_new_string("f_ecom_golden_001"));
    json_object_array_add(tenants, tenant);
    json_object_object_add(root, "tenants", tenants);
    size_t length = 0;
    const char *text = cm_json_text(root, &length);
    cm_config *config = NULL;
    char error[CM_CONFIG_ERROR_MAX];
    if (cm_config_parse(text, length, "golden", "/tmp", NULL, 0, &config, error) != CM_OK)
        fail_msg("golden tenant options are not a valid config: %s", error);
    json_object_put(root);
    return config;
}

/* Fails with the first differing byte shown in context. */
static void expect_same_bytes(const char *file, const char *what, const char *expected, size_t expected_length,
                              const char *actual, size_t actual_length)
{
    if (expected_length == actual_length && memcmp(expected, actual, actual_length) == 0)
        return;
    size_t at = 0;
    while (at < expected_length && at < actual_length && expected[at] == actual[at])
        at++;
    size_t from = at > 60 ? at - 60 : 0;
    fail_msg("%s: %s differs at byte %zu\n expected: …%.*s\n actual:   …%.*s", file, what, at,
             (int)(expected_length - from < 160 ? expected_length - from : 160), expected + from,
             (int)(actual_length - from < 160 ? actual_length - from : 160), actual + from);
}

static void run_golden(const char *name)
{
    char path[512], relative[256];
    snprintf(relative, sizeof relative, GOLDEN_DIR "/%s", name);
    th_data_path(relative, path, sizeof path);
    size_t length = 0;
    char *text = th_read_file(path, &length);
    assert_non_null(text);
    json_object *golden = NULL;
    char parse_error[CM_JSON_ERROR_MAX];
    if (cm_json_parse(text, length, 32, &golden, parse_error) != CM_OK)
        fail_msg("%s: %s", name, parse_error);
    free(text);

    json_object *tenant_options = NULL, *request = NULL, *lines = NULL, *batch = NULL;
    int64_t job_id = 0;
    const char *accepted_at = NULL;
    assert_int_equal(cm_json_object(golden, "tenant", &tenant_options), CM_JSON_OK);
    assert_int_equal(cm_json_object(golden, "request", &request), CM_JSON_OK);
    assert_int_equal(cm_json_array(golden, "importFile", &lines), CM_JSON_OK);
    assert_int_equal(cm_json_int64(golden, "jobId", &job_id), CM_JSON_OK);
    assert_int_equal(cm_json_string(golden, "acceptedAt", &accepted_at), CM_JSON_OK);
    batch = json_object_object_get(golden, "batchUpdate");

    cm_config *config = config_for(tenant_options);
    const cm_tenant *tenant = &config->tenants[0];
    gw_refresh refresh;
    gw_problems problems;
    cm_err valid = gw_validate_refresh(request, tenant, &refresh, &problems);
    if (valid != CM_OK)
        fail_msg("%s: the request is refused: %s %s", name, problems.count ? problems.list[0].field : "",
                 problems.count ? problems.list[0].message : "");

    int64_t effective_ms = 0;
    assert_int_equal(cm_time_parse(accepted_at, &effective_ms), 0);
    tr_context context = {
        .tenant_id = tenant->id,
        .job_id = job_id,
        .location_id = refresh.oci_location,
        .effective_ms = effective_ms,
        .sku_from = tenant->sku_from,
        .sku_from_count = tenant->sku_from_count,
        .floor = tenant->floor,
    };
    json_object *normalized_items = gw_refresh_items_json(&refresh);
    assert_non_null(normalized_items);
    size_t count = json_object_array_length(normalized_items);
    tr_record *records = calloc(count, sizeof *records);
    assert_non_null(records);
    for (size_t i = 0; i < count; i++) {
        tr_legacy_item item;
        char why[TR_WHY_MAX];
        assert_int_equal(tr_legacy_item_from_json(json_object_array_get_idx(normalized_items, i), &item), 0);
        if (tr_translate_item(&context, &item, i, &records[i], why) != 0)
            fail_msg("%s: item %zu: %s", name, i, why);
    }

    cm_body expected, actual;
    cm_body_init(&expected, OUTPUT_MAX);
    cm_body_init(&actual, OUTPUT_MAX);
    for (size_t i = 0; i < json_object_array_length(lines); i++)
        cm_body_appendf(&expected, "%s\n", json_object_get_string(json_object_array_get_idx(lines, i)));
    assert_int_equal(tr_write_import_file(records, count, &actual), CM_OK);
    expect_same_bytes(name, "import file", expected.data, expected.length, actual.data, actual.length);

    cm_body_reset(&expected);
    cm_body_reset(&actual);
    if (json_object_is_type(batch, json_type_string)) {
        cm_body_appendf(&expected, "%s", json_object_get_string(batch));
        assert_int_equal(tr_write_batch_update(records, count, &actual), CM_OK);
        expect_same_bytes(name, "batch-update body", expected.data, expected.length, actual.data, actual.length);
    } else {
        assert_int_equal(tr_write_batch_update(records, count, &actual), CM_EINVAL);
    }
    cm_body_free(&expected);
    cm_body_free(&actual);
    free(records);
    json_object_put(normalized_items);
    gw_refresh_clear(&refresh);
    cm_config_free(config);
    json_object_put(golden);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_every_golden_file(void **state)
{
    (void)state;
    char dir_path[512];
    th_data_path(GOLDEN_DIR, dir_path, sizeof dir_path);
    DIR *dir = opendir(dir_path);
    assert_non_null(dir);
    char *names[GOLDEN_MAX_FILES];
    size_t count = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) && count < GOLDEN_MAX_FILES) {
        size_t length = strlen(entry->d_name);
        if (length > 5 && strcmp(entry->d_name + length - 5, ".json") == 0)
            names[count++] = strdup(entry->d_name);
    }
    closedir(dir);
    qsort(names, count, sizeof *names, by_name);
    /* Seven cases today; fewer means files went missing. */
    assert_true(count >= 7);
    for (size_t i = 0; i < count; i++) {
        run_golden(names[i]);
        free(names[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_every_golden_file)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
