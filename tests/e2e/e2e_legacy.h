/*
 * e2e_legacy.h - helpers the legacy-API end-to-end tests share: building refresh bodies, calling the
 * routes with the right headers, polling a job.
 */
#ifndef E2E_LEGACY_H
#define E2E_LEGACY_H

#include "common/body.h"
#include "tests/support/http_client.h"
#include "tests/support/omsgw_process.h"
#include "tests/support/test_support.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEMO_TENANT "12345"
#define DEMO_V5_KEY "demo-v5-key"
#define DEMO_INV_KEY "demo-inv-key"

/* {"locationName": location, "items": [count items: sku prefix-i, quantity base+i]} (caller frees). */
static inline char *e2e_refresh_body(const char *location, size_t count, const char *prefix, long base)
{
    cm_body body;
    cm_body_init(&body, 64 * 1024 * 1024);
    cm_body_appendf(&body, "{\"locationName\":\"%s\",\"items\":[", location);
    for (size_t i = 0; i < count; i++)
        cm_body_appendf(&body, "%s{\"sku\":\"%s-%zu\",\"partNumber\":\"P%zu\",\"quantity\":%ld}", i ? "," : "",
                        prefix, i, i, base + (long)i);
    cm_body_appendf(&body, "]}");
    return cm_body_take(&body, NULL);
}

/* Sends a legacy request with tenant, key and JSON content type. */
static inline int e2e_call(int port, const char *method, const char *path, const char *tenant, const char *key,
                           const char *body, th_response *out)
{
    char url[512], tenant_header[64], auth_header[128];
    th_url(url, sizeof url, port, path);
    snprintf(tenant_header, sizeof tenant_header, "x-vol-tenant: %s", tenant ? tenant : "");
    snprintf(auth_header, sizeof auth_header, "Authorization: Bearer %s", key ? key : "");
    const char *headers[] = {tenant ? tenant_header : "X-No-Tenant: 1", key ? auth_header : "X-No-Key: 1",
                             "Content-Type: application/json", NULL};
    return th_http(method, url, headers, body, body ? strlen(body) : 0, out);
}

/* POSTs a refresh and returns its jobID (fails the test on anything but 200). */
static inline int64_t e2e_refresh(int port, const char *path, const char *key, const char *body)
{
    th_response response;
    assert_int_equal(e2e_call(port, "POST", path, DEMO_TENANT, key, body, &response), 0);
    if (response.status != 200)
        fail_msg("refresh answered %ld: %s", response.status, response.body);
    json_object *reply = th_json(&response);
    assert_non_null(reply);
    json_object *id = json_object_object_get(reply, "jobID");
    assert_true(json_object_is_type(id, json_type_int));
    int64_t job_id = json_object_get_int64(id);
    assert_true(job_id > 0);
    assert_int_equal(json_object_object_length(reply), 1);
    json_object_put(reply);
    th_response_free(&response);
    return job_id;
}

/*
 * Sends one refresh (or, when `adjust`, one adjust of signed deltas −1000..1000) of `count` random
 * SKUs "<prefix>-<n>" (n < sku_pool) to Location 1, writing each item's sku number and quantity into
 * `skus` and `quantities` (room for `count`). Returns the jobID, or -1 when the server did not
 * answer 200 (then nothing was promised).
 */
static inline int64_t e2e_send_random_job(int port, const char *tenant, const char *key, const char *prefix,
                                          int sku_pool, size_t count, unsigned *seed, int *skus, long *quantities,
                                          int adjust)
{
    cm_body body;
    cm_body_init(&body, 8 * 1024 * 1024);
    cm_body_appendf(&body, "{\"locationName\":\"Location 1\",\"items\":[");
    for (size_t i = 0; i < count; i++) {
        skus[i] = rand_r(seed) % sku_pool;
        quantities[i] = adjust ? rand_r(seed) % 2001 - 1000 : rand_r(seed) % 100000;
        cm_body_appendf(&body, "%s{\"sku\":\"%s-%d\",\"quantity\":%ld}", i ? "," : "", prefix, skus[i], quantities[i]);
    }
    cm_body_appendf(&body, "]}");
    th_response response;
    int64_t job_id = -1;
    if (e2e_call(port, "POST", adjust ? "/api/v5/inventory/adjust" : "/api/v5/inventory/refresh", tenant, key,
                 body.data, &response) == 0 &&
        response.status == 200) {
        json_object *reply = th_json(&response);
        job_id = json_object_get_int64(json_object_object_get(reply, "jobID"));
        json_object_put(reply);
    }
    th_response_free(&response);
    cm_body_free(&body);
    return job_id;
}

static inline int64_t e2e_send_random_refresh(int port, const char *tenant, const char *key, const char *prefix,
                                              int sku_pool, size_t count, unsigned *seed, int *skus, long *quantities)
{
    return e2e_send_random_job(port, tenant, key, prefix, sku_pool, count, seed, skus, quantities, 0);
}

/* What an accepted item promises for its SKU's on-hand `*expected` (-1: never sent): a refresh
 * sets it; an adjust adds to it (0 when never sent) and never goes below OCI's minimum 0. */
static inline void e2e_expect_item(long *expected, long quantity, int adjust)
{
    if (!adjust) {
        *expected = quantity;
        return;
    }
    long sum = (*expected < 0 ? 0 : *expected) + quantity;
    *expected = sum < 0 ? 0 : sum;
}

/* Polls the job until SUCCESS or FAILED; returns the final job object (caller puts). */
static inline json_object *e2e_wait_job(int port, const char *job_path_prefix, const char *key, int64_t job_id,
                                        int timeout_ms)
{
    char path[256];
    snprintf(path, sizeof path, "%s%" PRId64, job_path_prefix, job_id);
    for (int waited = 0; waited < timeout_ms; waited += 25) {
        th_response response;
        assert_int_equal(e2e_call(port, "GET", path, DEMO_TENANT, key, NULL, &response), 0);
        assert_int_equal(response.status, 200);
        json_object *job = th_json(&response);
        th_response_free(&response);
        assert_non_null(job);
        const char *status = json_object_get_string(json_object_object_get(job, "status"));
        if (strcmp(status, "SUCCESS") == 0 || strcmp(status, "FAILED") == 0)
            return job;
        json_object_put(job);
        usleep(25000);
    }
    fail_msg("job %" PRId64 " did not finish within %d ms", job_id, timeout_ms);
    return NULL;
}

#endif
