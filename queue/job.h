/*
 * job.h - what a job (refresh or adjust) is, as the queue stores and reports it (decisions.md, "Jobs").
 *
 * Status moves PENDING → WORKING → SUCCESS or FAILED and never back. A WORKING job is either held
 * by a worker (claimed) or parked until `next_attempt_ms` after a delivery failure that may pass.
 */
#ifndef Q_JOB_H
#define Q_JOB_H

#include <stddef.h>
#include <stdint.h>

#define Q_MAX_REPORTED_FAILURES 100
#define Q_LOCATION_NAME_MAX 255
#define Q_OCI_ID_MAX 128

typedef enum q_status { Q_PENDING, Q_WORKING, Q_SUCCESS, Q_FAILED } q_status;

/* What a job does. Both kinds share one per-tenant order (store.h): a refresh then an adjust of
 * the same SKU apply in that order. The values are bits so that list filters can combine them. */
typedef enum q_job_type { Q_JOB_REFRESH = 1, Q_JOB_ADJUST = 2 } q_job_type;
#define Q_JOB_TYPES_ALL (Q_JOB_REFRESH | Q_JOB_ADJUST)

typedef struct q_job {
    int64_t job_id;
    q_job_type type;
    int64_t tenant_id;
    int64_t location_num; /* the legacy integer locationID of (tenant, OCI location) */
    char location_name[Q_LOCATION_NAME_MAX + 1];
    char oci_location[Q_OCI_ID_MAX + 1];
    char organization_id[Q_OCI_ID_MAX + 1];
    q_status status;
    int success;
    int64_t added_ms, started_ms, finished_ms; /* 0 when not yet */
    int64_t item_count, chunk_size, chunks_total, chunks_done;
    int64_t items_applied, items_failed;
    int64_t attempts, interruptions;
    int64_t next_attempt_ms, retry_started_ms;
    int64_t chunk_retries; /* failed tries of the current chunk so far */
    char *messages_json; /* owned: a JSON array of strings */
    char *last_error;    /* owned, NULL when none: why the current chunk's last try failed */
} q_job;

const char *q_status_name(q_status status);

/* "REFRESH" or "ADJUST", as the schemas store it and job replies show it. */
const char *q_job_type_name(q_job_type type);
/* The type named `name` (exact, upper case), or 0 when none is. */
q_job_type q_job_type_from_name(const char *name);

/* Frees what the job owns (not the struct). */
void q_job_clear(q_job *job);

/* How many chunks `item_count` items make at `chunk_size` per chunk (at least 1). */
int64_t q_chunk_count(int64_t item_count, int64_t chunk_size);

#endif
