#include "queue/job.h"

#include <stdlib.h>
#include <string.h>

const char *q_status_name(q_status status)
{
    switch (status) {
    case Q_PENDING: return "PENDING";
    case Q_WORKING: return "WORKING";
    case Q_SUCCESS: return "SUCCESS";
    case Q_FAILED: return "FAILED";
    }
    return "PENDING";
}

const char *q_job_type_name(q_job_type type)
{
    return type == Q_JOB_ADJUST ? "ADJUST" : "REFRESH";
}

q_job_type q_job_type_from_name(const char *name)
{
    if (name && strcmp(name, "REFRESH") == 0)
        return Q_JOB_REFRESH;
    if (name && strcmp(name, "ADJUST") == 0)
        return Q_JOB_ADJUST;
    return (q_job_type)0;
}

void q_job_clear(q_job *job)
{
    free(job->messages_json);
    job->messages_json = NULL;
    free(job->last_error);
    job->last_error = NULL;
}

int64_t q_chunk_count(int64_t item_count, int64_t chunk_size)
{
    if (item_count <= 0 || chunk_size <= 0)
        return 1;
    /* Rounds up without item_count + chunk_size - 1, which overflows int64_t (undefined behaviour)
     * for counts near INT64_MAX. */
    return item_count / chunk_size + (item_count % chunk_size != 0);
}
