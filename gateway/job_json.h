/*
 * job_json.h - a job as the legacy job routes return it (decisions.md, "Jobs"): every field of both
 * known reply variants, plus `progress` as an extension old clients ignore.
 */
#ifndef GW_JOB_JSON_H
#define GW_JOB_JSON_H

#include <json-c/json.h>

#include "queue/job.h"

/* A new object (caller puts it). */
json_object *gw_job_to_json(const q_job *job);

#endif
