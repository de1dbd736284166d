/*
 * route_jobs.c - GET …/v1/queue/{jobID} and GET …/v1/queue/: job status, only ever the caller's own.
 */
#include "common/clock.h"
#include "gateway/errors.h"
#include "gateway/internal.h"
#include "gateway/job_json.h"
#include "gateway/limits.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GW_MAX_ID_LIST 100

/* Parses "7" or "1,2,3" (spaces allowed around commas) into positive ids. Returns the count, 0 for
 * an empty value, or -1 for anything else. */
static int parse_id_list(const char *text, int64_t *ids, int capacity)
{
    int count = 0;
    const char *p = text;
    while (*p) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        char *end;
        if (*p < '0' || *p > '9')
            return -1;
        long long value = strtoll(p, &end, 10);
        if (end == p || value <= 0 || end - p > 18 || count == capacity)
            return -1;
        ids[count++] = value;
        p = end;
        while (*p == ' ')
            p++;
        if (*p == ',')
            p++;
        else if (*p)
            return -1;
    }
    return count;
}

/* A job that waits because its tenant is held says so in its messages (the stored messages are
 * unchanged: the note goes when the hold does). `reason` NULL: not held. */
static void note_hold(json_object *job_json, const q_job *job, const char *reason)
{
    if (!reason || (job->status != Q_PENDING && job->status != Q_WORKING))
        return;
    json_object *messages = json_object_object_get(job_json, "messages");
    char text[Q_HOLD_REASON_MAX + 96];
    snprintf(text, sizeof text, "Deliveries of this tenant are held: %s. The job waits in its turn.", reason);
    if (messages && json_object_is_type(messages, json_type_array))
        json_object_array_add(messages, json_object_new_string(text));
}

/* The tenant's hold reason (caller frees), or NULL. */
static char *hold_reason(gw_gateway *gateway, int64_t tenant_id)
{
    char *reason = NULL;
    if (q_store_get_hold(gateway->store, tenant_id, &reason) != CM_OK)
        return NULL;
    return reason;
}

void gw_route_job(cm_http_request *request, void *data)
{
    gw_route_data *route = data;
    gw_gateway *gateway = route->gateway;
    const cm_tenant *tenant = gw_authenticate(request, gateway->config, route->package, gateway->limiter);
    if (!tenant)
        return;
    int64_t job_id;
    const char *text = cm_http_param(request, "jobID");
    if (parse_id_list(text ? text : "", &job_id, 1) != 1 || strchr(text, ',')) {
        cm_http_reply_error(request, 400, "INVALID_REQUEST_DATA", "The jobID must be a positive integer.", "jobID");
        return;
    }
    q_job job;
    cm_err rc = q_store_get_job(gateway->store, tenant->id, job_id, &job);
    if (rc == CM_ENOTFOUND) {
        cm_http_reply_error(request, 404, "ITEM_NOT_FOUND", "Job Not Found", "jobID");
        return;
    }
    if (rc) {
        cm_http_reply_error(request, 503, "SYSTEM_MAINTENANCE", "The job store is unavailable; retry.", NULL);
        return;
    }
    json_object *reply = gw_job_to_json(&job);
    char *reason = job.status == Q_PENDING || job.status == Q_WORKING ? hold_reason(gateway, tenant->id) : NULL;
    note_hold(reply, &job, reason);
    free(reason);
    cm_http_reply_json(request, 200, reply);
    q_job_clear(&job);
}

static int read_ids(cm_http_request *request, const char *name, int64_t *ids, size_t *count)
{
    const char *value = cm_http_query(request, name);
    *count = 0;
    if (!value || !*value)
        return 0;
    int parsed = parse_id_list(value, ids, GW_MAX_ID_LIST);
    if (parsed < 0) {
        char message[160];
        snprintf(message, sizeof message, "%s must be a comma-separated list of at most %d positive integers.",
                 name, GW_MAX_ID_LIST);
        cm_http_reply_error(request, 400, "INVALID_REQUEST_DATA", message, name);
        return -1;
    }
    *count = (size_t)parsed;
    return 0;
}

/* `status` (an extension of this gateway) may be repeated or a comma list of PENDING, WORKING,
 * SUCCESS, FAILED. Returns 0, or -1 after answering 400 naming the parameter. */
static int read_statuses(cm_http_request *request, q_status *statuses, size_t *count)
{
    static const q_status all[] = {Q_PENDING, Q_WORKING, Q_SUCCESS, Q_FAILED};
    const cm_query *query = cm_http_query_all(request);
    *count = 0;
    for (size_t i = 0; i < query->count; i++) {
        if (strcmp(query->names[i], "status") != 0 || !*query->values[i])
            continue;
        char copy[256];
        snprintf(copy, sizeof copy, "%s", query->values[i]);
        for (char *save = NULL, *name = strtok_r(copy, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
            while (*name == ' ')
                name++;
            size_t known = 0;
            while (known < 4 && strcmp(name, q_status_name(all[known])) != 0)
                known++;
            if (known == 4) {
                char message[200];
                snprintf(message, sizeof message, "status \"%.40s\" is not one of PENDING, WORKING, SUCCESS, FAILED.",
                         name);
                cm_http_reply_error(request, 400, "INVALID_REQUEST_DATA", message, "status");
                return -1;
            }
            if (*count < 4)
                statuses[(*count)++] = all[known];
        }
    }
    return 0;
}

/* `from` / `to` (extensions): RFC 3339 times bounding when jobs were accepted (`added`), `from`
 * included and `to` excluded. Returns 0, or -1 after answering 400 naming the parameter. */
static int read_time(cm_http_request *request, const char *name, int64_t *ms)
{
    const char *value = cm_http_query(request, name);
    *ms = 0;
    if (!value || !*value)
        return 0;
    if (cm_time_parse(value, ms) != 0 || *ms <= 0) {
        char message[160];
        snprintf(message, sizeof message, "%s must be an RFC 3339 time such as 2026-12-01T08:00:00Z.", name);
        cm_http_reply_error(request, 400, "INVALID_REQUEST_DATA", message, name);
        return -1;
    }
    return 0;
}

/* `types` may be repeated (types=A&types=B) or a comma list: the q_job_type bits asked for; 0 when
 * the parameter is absent (every type). Unknown names select nothing, as the legacy list did for
 * types it had no jobs of; -1 when types were given but none is known (an empty list). */
static int wanted_types(const cm_http_request *request, unsigned *types)
{
    const cm_query *query = cm_http_query_all(request);
    int given = 0;
    *types = 0;
    for (size_t i = 0; i < query->count; i++) {
        if (strcmp(query->names[i], "types") != 0 || !*query->values[i])
            continue;
        given = 1;
        char copy[256];
        snprintf(copy, sizeof copy, "%s", query->values[i]);
        for (char *save = NULL, *type = strtok_r(copy, ",", &save); type; type = strtok_r(NULL, ",", &save))
            *types |= (unsigned)q_job_type_from_name(type);
    }
    return given && *types == 0 ? -1 : 0;
}

void gw_route_job_list(cm_http_request *request, void *data)
{
    gw_route_data *route = data;
    gw_gateway *gateway = route->gateway;
    const cm_tenant *tenant = gw_authenticate(request, gateway->config, route->package, gateway->limiter);
    if (!tenant)
        return;
    int64_t job_ids[GW_MAX_ID_LIST], location_ids[GW_MAX_ID_LIST], fulfiller_ids[GW_MAX_ID_LIST];
    size_t job_id_count, location_id_count, fulfiller_id_count;
    if (read_ids(request, "jobID", job_ids, &job_id_count) || read_ids(request, "locationID", location_ids, &location_id_count) ||
        read_ids(request, "fulfillerID", fulfiller_ids, &fulfiller_id_count))
        return;
    size_t limit = GW_DEFAULT_JOB_LIST_LIMIT;
    const char *limit_text = cm_http_query(request, "limit");
    if (limit_text && *limit_text) {
        int64_t value;
        if (parse_id_list(limit_text, &value, 1) != 1 || strchr(limit_text, ',') || value > GW_MAX_JOB_LIST_LIMIT) {
            char message[96];
            snprintf(message, sizeof message, "limit must be an integer from 1 to %d.", GW_MAX_JOB_LIST_LIMIT);
            cm_http_reply_error(request, 400, "INVALID_REQUEST_DATA", message, "limit");
            return;
        }
        limit = (size_t)value;
    }
    q_status statuses[4];
    size_t status_count = 0;
    int64_t from_ms = 0, to_ms = 0;
    if (read_statuses(request, statuses, &status_count) || read_time(request, "from", &from_ms) ||
        read_time(request, "to", &to_ms))
        return;
    const char *location_code = cm_http_query(request, "locationCode");
    json_object *list = json_object_new_array();
    unsigned types = 0;
    if (wanted_types(request, &types) == 0) {
        q_job_filter filter = {
            .types = types,
            .tenant_id = tenant->id,
            .job_ids = job_ids,
            .job_id_count = job_id_count,
            .location_nums = location_ids,
            .location_num_count = location_id_count,
            .location_code = location_code && *location_code ? location_code : NULL,
            .statuses = statuses,
            .status_count = status_count,
            .added_from_ms = from_ms,
            .added_to_ms = to_ms,
            .limit = limit,
        };
        q_job *jobs = NULL;
        size_t count = 0;
        cm_err rc = q_store_list_jobs(gateway->store, &filter, &jobs, &count);
        if (rc) {
            json_object_put(list);
            cm_http_reply_error(request, 503, "SYSTEM_MAINTENANCE", "The job store is unavailable; retry.", NULL);
            return;
        }
        char *reason = count ? hold_reason(gateway, tenant->id) : NULL;
        for (size_t i = 0; i < count; i++) {
            json_object *entry = gw_job_to_json(&jobs[i]);
            note_hold(entry, &jobs[i], reason);
            json_object_array_add(list, entry);
            q_job_clear(&jobs[i]);
        }
        free(reason);
        free(jobs);
    }
    cm_http_reply_json(request, 200, list);
}
