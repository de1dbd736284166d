/*
 * location_probe.c - the background location-graph check of http delivery (location_probe.h).
 */
#include "app/location_probe.h"
#include "common/http_client.h"
#include "delivery/token_source.h"
#include "common/clock.h"
#include "common/json_util.h"
#include "common/log.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROBE_REPLY_MAX (16 * 1024 * 1024)
#define PROBE_POLL_MS 250
#define PROBE_POLL_TRIES 240 /* a minute per organization */
#define PROBE_URL_MAX 2048

struct app_location_probe {
    const cm_config *config;
    dl_token_source *tokens; /* borrowed from the http delivery */
    pthread_t thread;
    atomic_int stopping;
};

static int should_stop(void *data)
{
    return atomic_load(&((app_location_probe *)data)->stopping);
}

/* One exchange; on CM_OK *reply is the parsed JSON body of a 2xx answer (caller puts). On failure
 * `why` says what happened. */
static int call_json(app_location_probe *probe, cm_httpc_client *client, const char *method, const char *url,
                     const char *token, json_object **reply, char *why, size_t why_size)
{
    *reply = NULL;
    cm_httpc_request request = {
        .method = method,
        .url = url,
        .bearer = token,
        .response_max = PROBE_REPLY_MAX,
        .should_stop = should_stop,
        .stop_data = probe,
    };
    cm_httpc_response response;
    cm_err rc = cm_httpc_perform(client, &request, &response);
    int ok = 0;
    if (rc != CM_OK || response.transport_error) {
        snprintf(why, why_size, "%s %s: %s", method, url, response.detail[0] ? response.detail : cm_strerror(rc));
    } else if (response.status < 200 || response.status > 299) {
        snprintf(why, why_size, "%s %s answered %ld", method, url, response.status);
    } else {
        char error[CM_JSON_ERROR_MAX];
        const char *text = response.body.data ? response.body.data : "";
        if (cm_json_parse(text, response.body.length, CM_JSON_MAX_DEPTH, reply, error) == CM_OK)
            ok = 1;
        else
            snprintf(why, why_size, "%s %s: the reply is not JSON: %s", method, url, error);
    }
    cm_httpc_response_free(&response);
    return ok ? 0 : -1;
}

/* An absolute URL for a link the OCI gave (relative links are relative to the base URL). */
static void absolute(const char *base, const char *link, char *out, size_t size)
{
    if (strncmp(link, "http://", 7) == 0 || strncmp(link, "https://", 8) == 0)
        snprintf(out, size, "%s", link);
    else
        snprintf(out, size, "%s%s", base, link);
}

/* 1 when the exported graph lists `location` (as a string or as an object with "id"). */
static int graph_has(json_object *graph, const char *location)
{
    json_object *locations = NULL;
    if (cm_json_array(graph, "locations", &locations) != CM_JSON_OK)
        return 0;
    for (size_t i = 0; i < json_object_array_length(locations); i++) {
        json_object *entry = json_object_array_get_idx(locations, i);
        const char *id = NULL;
        if (json_object_is_type(entry, json_type_string))
            id = json_object_get_string(entry);
        else if (json_object_is_type(entry, json_type_object))
            cm_json_string(entry, "id", &id);
        if (id && strcmp(id, location) == 0)
            return 1;
    }
    return 0;
}

/* Fetches one organization's graph export into *graph. Returns 0, or -1 with `why`. */
static int fetch_graph(app_location_probe *probe, cm_httpc_client *client, const char *org, const char *token,
                       json_object **graph, char *why, size_t why_size)
{
    const char *base = probe->config->delivery.base_url;
    char url[PROBE_URL_MAX];
    snprintf(url, sizeof url, "%s/inventory/impex/v1/organizations/%s/location-graph/exports", base, org);
    json_object *submitted = NULL;
    if (call_json(probe, client, "POST", url, token, &submitted, why, why_size) != 0)
        return -1;
    const char *status_link = NULL;
    cm_json_string(submitted, "exportStatusLink", &status_link);
    if (!status_link) {
        snprintf(why, why_size, "the export reply has no exportStatusLink");
        json_object_put(submitted);
        return -1;
    }
    char status_url[PROBE_URL_MAX];
    absolute(base, status_link, status_url, sizeof status_url);
    json_object_put(submitted);
    for (int tries = 0; tries < PROBE_POLL_TRIES && !should_stop(probe); tries++) {
        json_object *status = NULL;
        if (call_json(probe, client, "GET", status_url, token, &status, why, why_size) != 0)
            return -1;
        const char *state = NULL, *download = NULL;
        cm_json_string(status, "status", &state);
        json_object *download_part = NULL;
        if (cm_json_object(status, "download", &download_part) == CM_JSON_OK)
            cm_json_string(download_part, "downloadLink", &download);
        if (state && strcmp(state, "COMPLETED") == 0 && download) {
            char file_url[PROBE_URL_MAX];
            absolute(base, download, file_url, sizeof file_url);
            json_object_put(status);
            return call_json(probe, client, "GET", file_url, token, graph, why, why_size);
        }
        int failed = state && strcmp(state, "FAILED") == 0;
        json_object_put(status);
        if (failed) {
            snprintf(why, why_size, "the location-graph export FAILED");
            return -1;
        }
        cm_sleep_ms(PROBE_POLL_MS);
    }
    snprintf(why, why_size, "the location-graph export did not complete in time");
    return -1;
}

/* Checks the tenants of one organization against its graph, logging each missing mapping. */
static void check_org(const cm_config *config, const char *org, json_object *graph)
{
    size_t missing = 0, checked = 0;
    for (size_t t = 0; t < config->tenant_count; t++) {
        const cm_tenant *tenant = &config->tenants[t];
        if (strcmp(tenant->organization_id, org) != 0)
            continue;
        for (size_t l = 0; l < tenant->location_count; l++) {
            checked++;
            if (graph_has(graph, tenant->locations[l].oci_id))
                continue;
            missing++;
            cm_log_warn("config.location_not_in_graph",
                        "field=\"tenants[%zu].locations.%s\" location=%s organization=%s the OCI of delivery.baseUrl has "
                        "no such location: refreshes of it will fail with LocationDoesNotExist",
                        t, tenant->locations[l].name, tenant->locations[l].oci_id, org);
        }
    }
    if (!missing)
        cm_log_info("config.locations_checked", "organization=%s mappings=%zu", org, checked);
}

static void *run(void *data)
{
    app_location_probe *probe = data;
    const cm_config *config = probe->config;
    cm_httpc_settings settings = {.connect_timeout_ms = 5000, .total_timeout_ms = 30000,
                                  .verify_tls = config->delivery.verify_tls};
    cm_httpc_pool *pool = cm_httpc_pool_new(&settings);
    cm_httpc_client *client = pool ? cm_httpc_take(pool) : NULL;
    dl_token_source *tokens = probe->tokens;
    char *token = malloc(DL_TOKEN_MAX);
    char why[512] = "out of memory";
    if (client && tokens && token) {
        int64_t retry_after_ms = 0;
        char message[Q_DELIVERY_MESSAGE_MAX];
        if (dl_token_get(tokens, client, NULL, NULL, token, &retry_after_ms, message, should_stop, probe) !=
            Q_DELIVERY_OK) {
            snprintf(why, sizeof why, "no token: %s", message);
        } else {
            why[0] = '\0';
            for (size_t t = 0; t < config->tenant_count && !should_stop(probe); t++) {
                const char *org = config->tenants[t].organization_id;
                int seen = config->tenants[t].location_count == 0;
                for (size_t earlier = 0; earlier < t && !seen; earlier++)
                    seen = strcmp(config->tenants[earlier].organization_id, org) == 0 &&
                           config->tenants[earlier].location_count > 0;
                if (seen)
                    continue;
                json_object *graph = NULL;
                char org_why[400];
                /* The shared token, announced to this organization first with a JWT login. */
                int have_token =
                    dl_token_get(tokens, client, org, NULL, token, &retry_after_ms, message, should_stop, probe) ==
                    Q_DELIVERY_OK;
                if (!have_token)
                    snprintf(org_why, sizeof org_why, "no token: %.380s", message);
                if (have_token && fetch_graph(probe, client, org, token, &graph, org_why, sizeof org_why) == 0)
                    check_org(config, org, graph);
                else if (!should_stop(probe))
                    cm_log_info("config.locations_unchecked", "organization=%s reason=\"%s\"", org, org_why);
                json_object_put(graph);
            }
        }
    }
    if (why[0] && !should_stop(probe))
        cm_log_info("config.locations_unchecked", "reason=\"%s\"", why);
    free(token);
    if (client)
        cm_httpc_give(pool, client);
    cm_httpc_pool_free(pool);
    return NULL;
}

app_location_probe *app_location_probe_start(const cm_config *config, dl_token_source *tokens)
{
    if (config->delivery.mode != CM_DELIVERY_HTTP || !tokens)
        return NULL;
    size_t mapped = 0;
    for (size_t t = 0; t < config->tenant_count; t++)
        mapped += config->tenants[t].location_count;
    if (!mapped)
        return NULL;
    app_location_probe *probe = calloc(1, sizeof *probe);
    if (!probe)
        return NULL;
    probe->config = config;
    probe->tokens = tokens;
    if (pthread_create(&probe->thread, NULL, run, probe) != 0) {
        free(probe);
        return NULL;
    }
    return probe;
}

void app_location_probe_stop(app_location_probe *probe)
{
    if (!probe)
        return;
    atomic_store(&probe->stopping, 1);
    pthread_join(probe->thread, NULL);
    free(probe);
}
