/*
 * core_apply.c - the bundled core's own apply rate, without the gateway around it.
 *
 *   omsgw_bench_core --source DIR [--jobs N] [--items N] [--ids]
 *
 * Opens an oci_core in a temporary folder (the demo organization and graph of samples/), applies
 * N jobs of N items in 3000-record chunks the way bundled delivery does (oci_core_apply_batch with
 * a key per chunk; --ids: without a key, claiming every record id as the HTTP and import paths
 * do), then measures the same-run upsert ceiling (ceilings.h) on the same rows, and prints both
 * and their ratio. bench/README.md has the figures; it is meant for callgrind and perf as much as
 * for timing.
 */
#define _GNU_SOURCE
#include "bench/bench_util.h"
#include "bench/ceilings.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "oci_core/oci_core.h"

#define CHUNK 3000
#define ORG "f_ecom_demo_001"

int main(int argc, char **argv)
{
    const char *source = ".";
    int jobs = 20, items = 12000, ids = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--source") == 0 && i + 1 < argc)
            source = argv[++i];
        else if (strcmp(argv[i], "--jobs") == 0 && i + 1 < argc)
            jobs = atoi(argv[++i]);
        else if (strcmp(argv[i], "--items") == 0 && i + 1 < argc)
            items = atoi(argv[++i]);
        else if (strcmp(argv[i], "--ids") == 0)
            ids = 1;
        else {
            fprintf(stderr, "usage: %s [--source DIR] [--jobs N] [--items N] [--ids]\n", argv[0]);
            return 2;
        }
    }
    char dir[] = "/tmp/omsgw-core-bench-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    char source_abs[PATH_MAX];
    if (!realpath(source, source_abs)) {
        perror(source);
        return 1;
    }
    char config_text[PATH_MAX + 512];
    snprintf(config_text, sizeof config_text,
             "{\"oci\":{\"port\":0,\"organizations\":[{\"id\":\"" ORG "\",\"locationGraph\":\"%s/samples/"
             "location-graph.json\",\"tokens\":[{\"token\":\"t\",\"scopes\":[\"sfcc.inventory.availability\"]}]}]},"
             "\"tenants\":[]}",
             source_abs);
    cm_config *config = NULL;
    char error[CM_CONFIG_ERROR_MAX];
    if (cm_config_parse(config_text, strlen(config_text), "bench", dir, NULL, 0, &config, error) != CM_OK) {
        fprintf(stderr, "config: %s\n", error);
        return 1;
    }
    oci_core *core = NULL;
    char oci_error[OCI_ERROR_MAX];
    if (oci_core_open(config, dir, &core, oci_error) != CM_OK) {
        fprintf(stderr, "open: %s\n", oci_error);
        return 1;
    }
    oci_record_update *updates = calloc(CHUNK, sizeof *updates);
    oci_apply_result *results = calloc(CHUNK, sizeof *results);
    char (*record_ids)[48] = calloc(CHUNK, sizeof *record_ids);
    char (*skus)[32] = calloc(CHUNK, sizeof *skus);
    double start = bench_now_ms();
    long applied = 0;
    for (int job = 0; job < jobs; job++) {
        for (int first = 0; first < items; first += CHUNK) {
            int count = items - first < CHUNK ? items - first : CHUNK;
            for (int i = 0; i < count; i++) {
                snprintf(record_ids[i], sizeof record_ids[i], "%08d-%08d", job, first + i);
                snprintf(skus[i], sizeof skus[i], "SKU-%07d", first + i);
                updates[i] = (oci_record_update){.record_id = record_ids[i], .location_id = "warehouse-1",
                                                 .sku = skus[i], .has_on_hand = 1,
                                                 .on_hand_milli = (int64_t)((job + i) % 1000) * 1000,
                                                 .has_safety_stock = 1, .has_effective_date = 1,
                                                 .effective_ms = 1764000000000LL + job};
            }
            char key[64];
            snprintf(key, sizeof key, "bench/1/%d/%d", job, first / CHUNK);
            cm_err rc = oci_core_apply_batch(core, ORG, ids ? NULL : key, updates, (size_t)count, results);
            if (rc != CM_OK) {
                fprintf(stderr, "apply: %s\n", cm_strerror(rc));
                return 1;
            }
            for (int i = 0; i < count; i++)
                applied += results[i].outcome == OCI_APPLY_APPLIED;
        }
    }
    double elapsed = bench_now_ms() - start;
    oci_core_close(core);
    cm_config_free(config);
    double rate = (double)applied / (elapsed / 1000.0);
    double ceiling = ceiling_upserts(dir, (size_t)jobs * (size_t)items, (size_t)items, CHUNK);
    printf("core apply (%s): %ld records in %.0f ms: %.0f records/s; upsert ceiling %.0f rows/s; ratio %.3f\n",
           ids ? "record ids" : "batch keys", applied, elapsed, rate, ceiling, rate / ceiling);
    free(updates);
    free(results);
    free(record_ids);
    free(skus);
    char command[128];
    snprintf(command, sizeof command, "rm -rf '%s'", dir);
    return system(command) == 0 && applied == (long)jobs * items ? 0 : 1;
}
