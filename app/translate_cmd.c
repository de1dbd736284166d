#include "app/translate_cmd.h"
#include "app/options.h"
#include "common/body.h"
#include "common/clock.h"
#include "common/config.h"
#include "common/json_util.h"
#include "gateway/limits.h"
#include "gateway/validate.h"
#include "translate/chunk.h"
#include "translate/stored_items.h"
#include "translate/writer.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TRANSLATE_EXIT_OK 0
#define TRANSLATE_EXIT_REFUSED 1
#define TRANSLATE_EXIT_USAGE 2
#define TRANSLATE_DEFAULT_CONFIG "samples/omsgw.json"
#define TRANSLATE_OUTPUT_MAX (64 * 1024 * 1024)

static void usage(FILE *out, int long_form)
{
    fprintf(out, "usage: omsgw translate --request FILE [--config FILE] [--tenant ID] [--job-id N]\n");
    if (!long_form)
        return;
    fprintf(out, "\nPrints the OCI import lines the gateway would deliver for a legacy refresh request, and the\n"
                 "legacy fields it keeps aside, without sending anything (exit 0; 1 with the problems that would\n"
                 "get the request refused; 2 usage error).\n\n"
                 "  --request FILE   the legacy refresh body\n"
                 "  --config FILE    the configuration whose tenant rules apply (default: samples/omsgw.json,\n"
                 "                   named on stderr when used)\n"
                 "  --tenant ID      the tenant (12345 or t12345; default: the first tenant of the file)\n"
                 "  --job-id N       the job id the record ids are derived from (default 0)\n"
                 "Options take their value as --opt VALUE or --opt=VALUE.\n");
}

static const app_opt translate_specs[] = {{"--request", 1}, {"--config", 1}, {"--tenant", 1}, {"--job-id", 1}};

int app_translate_main(int argc, char **argv)
{
    const char *request_path = NULL, *config_path = NULL;
    int64_t tenant_id = 0, job_id = 0;
    for (int i = 0; i < argc;) {
        const char *flag, *value;
        switch (app_opt_next(argc, argv, &i, translate_specs, sizeof translate_specs / sizeof translate_specs[0],
                             "translate", &flag, &value)) {
        case APP_OPT_DONE: continue;
        case APP_OPT_HELP: usage(stdout, 1); return TRANSLATE_EXIT_OK;
        case APP_OPT_ERROR: return TRANSLATE_EXIT_USAGE;
        case APP_OPT_FOUND: break;
        }
        char *end = NULL;
        if (strcmp(flag, "--request") == 0)
            request_path = value;
        else if (strcmp(flag, "--config") == 0)
            config_path = value;
        else if (strcmp(flag, "--tenant") == 0) {
            tenant_id = strtoll(value[0] == 't' ? value + 1 : value, &end, 10);
            if (*end || tenant_id <= 0) {
                fprintf(stderr, "omsgw translate: --tenant needs a tenant number, got \"%s\"\n", value);
                return TRANSLATE_EXIT_USAGE;
            }
        } else if (strcmp(flag, "--job-id") == 0) {
            job_id = strtoll(value, &end, 10);
            if (!*value || *end || job_id < 0) {
                fprintf(stderr, "omsgw translate: --job-id needs a whole number, got \"%s\"\n", value);
                return TRANSLATE_EXIT_USAGE;
            }
        }
    }
    if (!request_path) {
        usage(stderr, 0);
        return TRANSLATE_EXIT_USAGE;
    }
    if (!config_path) {
        /* Tenant rules (floor, skuFrom) change the output: say whose rules these are. */
        config_path = TRANSLATE_DEFAULT_CONFIG;
        fprintf(stderr, "omsgw translate: no --config given; using %s\n", config_path);
    }
    cm_config *config = NULL;
    char error[CM_CONFIG_ERROR_MAX];
    if (cm_config_load(config_path, NULL, 0, &config, error) != CM_OK) {
        fprintf(stderr, "omsgw translate: %s\n", error);
        return TRANSLATE_EXIT_USAGE;
    }
    const cm_tenant *tenant = tenant_id ? cm_config_tenant(config, tenant_id)
                                        : config->tenant_count ? &config->tenants[0] : NULL;
    if (!tenant) {
        fprintf(stderr, "omsgw translate: no such tenant in %s\n", config_path);
        cm_config_free(config);
        return TRANSLATE_EXIT_USAGE;
    }
    int exit_code = TRANSLATE_EXIT_USAGE;
    json_object *root = NULL;
    tr_chunk chunk = {0};
    gw_problems *problems = calloc(1, sizeof *problems);
    gw_refresh refresh = {0};
    cm_body out;
    cm_body_init(&out, TRANSLATE_OUTPUT_MAX);
    FILE *in = fopen(request_path, "rb");
    char *text = malloc(GW_MAX_BODY_BYTES + 1);
    size_t length = in && text ? fread(text, 1, GW_MAX_BODY_BYTES + 1, in) : 0;
    if (in)
        fclose(in);
    char parse_error[CM_JSON_ERROR_MAX];
    if (!in || !text || !problems) {
        fprintf(stderr, "omsgw translate: cannot read %s\n", request_path);
        goto out;
    }
    if (length > GW_MAX_BODY_BYTES) {
        fprintf(stderr, "omsgw translate: %s is larger than the %d-byte body limit\n", request_path, GW_MAX_BODY_BYTES);
        exit_code = TRANSLATE_EXIT_REFUSED;
        goto out;
    }
    if (cm_json_parse(text, length, GW_JSON_MAX_DEPTH, &root, parse_error) != CM_OK) {
        fprintf(stderr, "omsgw translate: %s: %s\n", request_path, parse_error);
        exit_code = TRANSLATE_EXIT_REFUSED;
        goto out;
    }
    cm_err valid = gw_validate_refresh(root, tenant, &refresh, problems);
    if (valid == CM_ENOMEM) {
        fprintf(stderr, "omsgw translate: out of memory\n");
        goto out;
    }
    if (valid != CM_OK) {
        printf("# the gateway would refuse this request (400): %zu problem(s)\n", problems->total);
        for (size_t i = 0; i < problems->count; i++)
            printf("%s\t%s\t%s\n", problems->list[i].field, problems->list[i].code, problems->list[i].message);
        exit_code = TRANSLATE_EXIT_REFUSED;
        goto out;
    }
    /* The same entry the worker uses, on the whole request as one chunk of the stored form. */
    cm_body stored;
    cm_body_init(&stored, SIZE_MAX);
    if (tr_stored_append_header(&stored, refresh.item_count) != CM_OK ||
        cm_body_append(&stored, refresh.items_text.data, refresh.items_text.length) != CM_OK) {
        cm_body_free(&stored);
        goto out;
    }
    size_t stored_length = 0;
    char *stored_text = cm_body_take(&stored, &stored_length);
    tr_context context = {.tenant_id = tenant->id, .job_id = job_id, .location_id = refresh.oci_location,
                          .effective_ms = cm_now_ms(), .sku_from = tenant->sku_from,
                          .sku_from_count = tenant->sku_from_count, .floor = tenant->floor};
    if (tr_translate_chunk(&context, stored_text, stored_length, 0, 1, &chunk) != CM_OK)
        goto out;
    if (chunk.failure_count) {
        for (size_t f = 0; f < chunk.failure_count; f++)
            fprintf(stderr, "omsgw translate: items[%zu] cannot be translated: %s\n", chunk.failures[f].item_index,
                    chunk.failures[f].message);
        goto out;
    }
    printf("# tenant %" PRId64 ", organization %s, location \"%s\" -> %s, %zu item(s)\n", tenant->id,
           tenant->organization_id, refresh.location_name, refresh.oci_location, refresh.item_count);
    printf("# record ids use job id %" PRId64 " (--job-id); the gateway uses the job's real id\n", job_id);
    printf("# OCI import file (high-performance layout):\n");
    if (tr_write_import_file(chunk.records, chunk.record_count, &out) != CM_OK)
        goto out;
    fwrite(out.data, 1, out.length, stdout);
    printf("# legacy fields OCI has no place for, kept by the gateway per (location, sku):\n");
    for (size_t r = 0; r < chunk.record_count; r++) {
        if (!chunk.extras[r])
            continue;
        cm_body line;
        cm_body_init(&line, SIZE_MAX);
        cm_err rc = cm_body_append(&line, "{\"location\":", strlen("{\"location\":"));
        if (!rc)
            rc = cm_json_append_string(&line, refresh.oci_location, strlen(refresh.oci_location));
        if (!rc)
            rc = cm_body_append(&line, ",\"sku\":", strlen(",\"sku\":"));
        if (!rc)
            rc = cm_json_append_string(&line, chunk.records[r].sku, strlen(chunk.records[r].sku));
        if (!rc)
            rc = cm_body_appendf(&line, ",\"kept\":%s}\n", chunk.extras[r]);
        if (!rc)
            fwrite(line.data, 1, line.length, stdout);
        cm_body_free(&line);
        if (rc)
            goto out;
    }
    /* Shown one per line: parsed here only to print them. */
    json_object *messages = json_tokener_parse(refresh.messages.data ? refresh.messages.data : "[]");
    for (size_t i = 0; messages && i < json_object_array_length(messages); i++)
        printf("# job message: %s\n", json_object_get_string(json_object_array_get_idx(messages, i)));
    json_object_put(messages);
    exit_code = TRANSLATE_EXIT_OK;
out:
    cm_body_free(&out);
    tr_chunk_clear(&chunk);
    gw_refresh_clear(&refresh);
    json_object_put(root);
    free(problems);
    free(text);
    cm_config_free(config);
    return exit_code;
}
