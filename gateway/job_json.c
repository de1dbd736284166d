#include "gateway/job_json.h"
#include "common/clock.h"

#include <string.h>

static json_object *time_or_null(int64_t ms)
{
    if (ms <= 0)
        return NULL;
    char text[CM_TIME_TEXT_MAX];
    cm_time_format_ms(ms, text);
    return json_object_new_string(text);
}

json_object *gw_job_to_json(const q_job *job)
{
    json_object *body = json_object_new_object();
    json_object_object_add(body, "jobID", json_object_new_int64(job->job_id));
    json_object_object_add(body, "tenantID", json_object_new_int64(job->tenant_id));
    json_object_object_add(body, "locationID", json_object_new_int64(job->location_num));
    json_object_object_add(body, "locationCode", json_object_new_string(job->oci_location));
    json_object_object_add(body, "locationName", json_object_new_string(job->location_name));
    json_object_object_add(body, "type", json_object_new_string(q_job_type_name(job->type)));
    json_object_object_add(body, "added", time_or_null(job->added_ms));
    json_object_object_add(body, "started", time_or_null(job->started_ms));
    json_object_object_add(body, "finished", time_or_null(job->finished_ms));
    json_object_object_add(body, "originalFilename", NULL);
    json_object_object_add(body, "hasData", json_object_new_boolean(1));
    json_object_object_add(body, "itemCount", json_object_new_int64(job->item_count));
    json_object_object_add(body, "status", json_object_new_string(q_status_name(job->status)));
    json_object_object_add(body, "success", json_object_new_boolean(job->status == Q_SUCCESS && job->success));
    json_object *messages = json_tokener_parse(job->messages_json ? job->messages_json : "[]");
    if (!messages || !json_object_is_type(messages, json_type_array)) {
        json_object_put(messages);
        messages = json_object_new_array();
    }
    json_object_object_add(body, "messages", messages);
    json_object_object_add(body, "numResults", json_object_new_int64(job->item_count));
    json_object *progress = json_object_new_object();
    json_object_object_add(progress, "chunksTotal", json_object_new_int64(job->chunks_total));
    json_object_object_add(progress, "chunksDone", json_object_new_int64(job->chunks_done));
    json_object_object_add(progress, "itemsApplied", json_object_new_int64(job->items_applied));
    json_object_object_add(progress, "itemsFailed", json_object_new_int64(job->items_failed));
    json_object_object_add(progress, "attempts", json_object_new_int64(job->attempts));
    json_object_object_add(progress, "interruptions", json_object_new_int64(job->interruptions));
    /* A job waiting to retry a chunk says why and when (inside progress: old clients ignore it). */
    if (job->status == Q_WORKING && job->chunk_retries > 0 && job->last_error) {
        json_object *retry = json_object_new_object();
        json_object_object_add(retry, "chunk", json_object_new_int64(job->chunks_done + 1));
        json_object_object_add(retry, "failedTries", json_object_new_int64(job->chunk_retries));
        json_object_object_add(retry, "lastError", json_object_new_string(job->last_error));
        json_object_object_add(retry, "nextAttempt", time_or_null(job->next_attempt_ms));
        json_object_object_add(progress, "retry", retry);
    }
    json_object_object_add(body, "progress", progress);
    return body;
}
