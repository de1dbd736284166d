#include "tests/torture/rig.h"

#include "app/storage.h"
#include "common/body.h"
#include "common/clock.h"
#include "delivery/delivery_bundled.h"
#include "tests/support/http_client.h"
#include "tests/support/test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define RIG_V5_KEY "demo-v5-key"
#define RIG_TENANT_TEXT "12345"
#define RIG_LONG_MS (3600 * 1000)

static void copy_sample(const char *name, const char *dir)
{
    const char *source = getenv("OMSGW_SOURCE_DIR");
    char from[512], to[512];
    snprintf(from, sizeof from, "%s/samples/%s", source ? source : ".", name);
    snprintf(to, sizeof to, "%s/%s", dir, name);
    size_t length = 0;
    char *text = th_read_file(from, &length);
    if (!text)
        fail_msg("cannot read %s", from);
    th_write_file(to, text, length);
    free(text);
}

void rig_open(rig *r, const char *const *overrides)
{
    memset(r, 0, sizeof *r);
    th_temp_dir(r->dir, sizeof r->dir);
    snprintf(r->data_dir, sizeof r->data_dir, "%s/data", r->dir);
    if (mkdir(r->data_dir, 0755) != 0)
        fail_msg("cannot create %s", r->data_dir);
    copy_sample("omsgw.json", r->dir);
    copy_sample("location-graph.json", r->dir);
    char path[400], error[CM_CONFIG_ERROR_MAX];
    snprintf(path, sizeof path, "%s/omsgw.json", r->dir);
    size_t override_count = 0;
    while (overrides && overrides[override_count])
        override_count++;
    if (cm_config_load(path, overrides, override_count, &r->config, error) != CM_OK)
        fail_msg("config: %s", error);
    if (app_storage_open(r->config, r->data_dir, r->config->gateway.threads + 4, &r->store) != 0)
        fail_msg("cannot open the queue's store");
    char oci_error[OCI_ERROR_MAX];
    if (oci_core_open(r->config, r->data_dir, &r->core, oci_error) != CM_OK)
        fail_msg("core: %s", oci_error);
    r->delivery = dl_delivery_bundled_new(r->core, q_store_installation_id(r->store));
    assert_non_null(r->delivery);
    gw_options options = {.config = r->config, .store = r->store, .pool = NULL, .delivery = r->delivery};
    assert_int_equal(gw_open(&options, &r->gateway), CM_OK);
    cm_http_server_config server_config = {
        .name = "gateway",
        .bind_address = "127.0.0.1",
        .port = 0,
        .body_limit = (size_t)r->config->gateway.body_limit_bytes,
        .threads = 2,
        .connection_timeout_seconds = 30,
        .connection_limit = 64,
    };
    gw_http_config(r->gateway, &server_config);
    char http_error[CM_HTTP_ERROR_MAX];
    if (cm_http_server_start(&server_config, &r->server, http_error) != CM_OK)
        fail_msg("server: %s", http_error);
    r->port = cm_http_server_port(r->server);
}

void rig_start_pool(rig *r)
{
    q_pool_config pool_config = {
        .store = r->store,
        .delivery = r->delivery,
        .config = r->config,
        .workers = 1,
        .retry_budget_ms = 600000,
        .retention_ms = 86400000,
        .backoff_base_ms = 1,
        .backoff_cap_ms = 20,
        .idle_poll_ms = 20,
        .prune_interval_ms = RIG_LONG_MS,
        .hold_watch_interval_ms = RIG_LONG_MS,
    };
    assert_int_equal(q_pool_start(&pool_config, &r->pool), CM_OK);
}

void rig_work(rig *r)
{
    q_pool_notify(r->pool);
}

void rig_close(rig *r)
{
    cm_http_server_quiesce(r->server);
    q_pool_stop(r->pool);
    oci_core_stop(r->core);
    cm_http_server_stop(r->server);
    gw_close(r->gateway);
    r->delivery->destroy(r->delivery);
    q_store_close(r->store);
    oci_core_close(r->core);
    cm_config_free(r->config);
    th_remove_tree(r->dir);
    memset(r, 0, sizeof *r);
}

long rig_refresh(rig *r, const char *prefix, int count, long base, int64_t *job_id, char error_code[64])
{
    *job_id = 0;
    error_code[0] = '\0';
    cm_body body;
    cm_body_init(&body, 1024 * 1024);
    cm_body_appendf(&body, "{\"locationName\":\"Location 1\",\"items\":[");
    for (int i = 0; i < count; i++)
        cm_body_appendf(&body, "%s{\"sku\":\"%s-%d\",\"quantity\":%ld}", i ? "," : "", prefix, i, base + i);
    cm_body_appendf(&body, "]}");
    char url[128];
    th_url(url, sizeof url, r->port, "/api/v5/inventory/refresh");
    const char *headers[] = {"x-vol-tenant: " RIG_TENANT_TEXT, "Authorization: Bearer " RIG_V5_KEY,
                             "Content-Type: application/json", NULL};
    th_response response;
    long status = 0;
    if (th_http("POST", url, headers, body.data, body.length, &response) == 0) {
        status = response.status;
        json_object *reply = th_json(&response);
        if (!reply)
            fail_msg("a refresh answered %ld without JSON: %s", status, response.body);
        json_object *value = NULL;
        if (status == 200) {
            if (!json_object_object_get_ex(reply, "jobID", &value) || !json_object_is_type(value, json_type_int))
                fail_msg("a refresh answered 200 without a jobID: %s", response.body);
            *job_id = json_object_get_int64(value);
        } else if (json_object_object_get_ex(reply, "errorCode", &value) && json_object_is_type(value, json_type_string)) {
            snprintf(error_code, 64, "%s", json_object_get_string(value));
            r->last_message[0] = '\0';
            if (json_object_object_get_ex(reply, "message", &value) && json_object_is_type(value, json_type_string))
                snprintf(r->last_message, sizeof r->last_message, "%s", json_object_get_string(value));
        } else {
            fail_msg("a refresh answered %ld without an errorCode: %s", status, response.body);
        }
        json_object_put(reply);
        th_response_free(&response);
    }
    cm_body_free(&body);
    return status;
}

q_status rig_job_status(rig *r, int64_t job_id)
{
    q_job job;
    memset(&job, 0, sizeof job);
    assert_int_equal(q_store_get_job(r->store, RIG_TENANT, job_id, &job), CM_OK);
    q_status status = job.status;
    q_job_clear(&job);
    return status;
}

q_status rig_wait_job(rig *r, int64_t job_id, int timeout_ms)
{
    int64_t deadline = cm_mono_ms() + timeout_ms;
    for (;;) {
        q_status status = rig_job_status(r, job_id);
        if (status == Q_SUCCESS || status == Q_FAILED)
            return status;
        if (cm_mono_ms() > deadline)
            fail_msg("job %lld is still %s after %d ms", (long long)job_id, q_status_name(status), timeout_ms);
        cm_sleep_ms(2);
    }
}

int64_t rig_job_count(rig *r)
{
    int64_t total = 0;
    for (q_status status = Q_PENDING; status <= Q_FAILED; status++) {
        int64_t count = 0;
        assert_int_equal(q_store_count(r->store, status, &count), CM_OK);
        total += count;
    }
    return total;
}

long rig_on_hand(rig *r, const char *sku)
{
    oci_availability availability;
    assert_int_equal(oci_core_get_location_record(r->core, RIG_ORG, RIG_OCI_LOCATION, sku, &availability), CM_OK);
    return availability.exists ? (long)(availability.on_hand_milli / 1000) : -1;
}
