/*
 * store_pg.c - the queue on PostgreSQL, shared by any number of omsgw instances. See store.h for
 * the promises and store_pg_schema.c for the tables.
 *
 * How per-tenant order holds across instances:
 * - Acceptance first locks the tenant's row (omsgw.tenants), then takes the job id from the
 *   identity sequence, and commits: two acceptances of one tenant are serialized, so within a
 *   tenant job ids are in commit order and no job can appear later with a smaller id than one a
 *   worker already ran.
 * - A claim is one statement: it locks tenant rows with FOR NO KEY UPDATE SKIP LOCKED (a tenant
 *   being claimed or accepted by someone else is skipped, not waited for), looks only at each
 *   tenant's head (lowest unfinished job id), and takes the head when nobody holds it or its
 *   holder's lease expired, and its retry time has come. A parked head therefore blocks its
 *   tenant; other tenants are served. Tenants are taken in least-recently-claimed order. The
 *   UPDATE repeats the head's conditions, so a claim whose snapshot was overtaken changes nothing.
 * - Leases use the database's clock (clock_timestamp()), so instances with skewed clocks agree.
 * - Every call of a holder (renew, checkpoint, park, release, finish) is fenced by claimed_by.
 * - Acceptance commits with synchronous_commit on; claims, checkpoints and finishing with it off
 *   (as SQLite's NORMAL): if the server crashes, such a lost commit only redelivers an idempotent
 *   chunk or re-claims a job.
 */
#include "common/json_util.h"
#include "common/log.h"
#include "common/pg.h"
#include "queue/chunking.h"
#include "queue/store_backend.h"
#include "queue/store_pg_schema.h"

#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOTIFY_CHANNEL "omsgw_jobs"
#define LISTEN_POLL_MS 250
#define LISTEN_RETRY_MS 1000

typedef struct pg_store {
    q_store base;
    cm_pg_pool *pool;
    int64_t lease_ms;
    char installation_id[64];
    /* the LISTEN thread */
    pthread_t listener;
    int listening;
    atomic_int stop_listening;
    void (*wake)(void *data);
    void *wake_data;
} pg_store;

static pg_store *of(q_store *store)
{
    return (pg_store *)store;
}

typedef struct number_text {
    char text[24];
} number_text;

static number_text num(int64_t value)
{
    number_text out;
    snprintf(out.text, sizeof out.text, "%" PRId64, value);
    return out;
}

static int64_t value_int(PGresult *result, int row, int column)
{
    return PQgetisnull(result, row, column) ? 0 : strtoll(PQgetvalue(result, row, column), NULL, 10);
}

static void log_failure(const char *event, cm_pg_conn *conn, cm_err rc, int64_t job_id)
{
    if (rc == CM_ESTATE)
        return;
    cm_log_error(event, "job=%" PRId64 " %s (%s)", job_id, cm_strerror(rc), cm_pg_message(conn));
}

/* ---- jobs as rows ---- */

#define JOB_COLUMNS                                                                                \
    "job_id, tenant_id, location_num, location_name, oci_location, organization_id, status,"       \
    " success::int, added_ms, coalesce(started_ms, 0), coalesce(finished_ms, 0), item_count,"     \
    " chunk_size, chunks_total, chunks_done, items_applied, items_failed, attempts,"              \
    " interruptions, next_attempt_ms, retry_started_ms, messages::text, chunk_retries, last_error, type"

static void copy_value(char *out, size_t size, PGresult *result, int row, int column)
{
    snprintf(out, size, "%s", PQgetisnull(result, row, column) ? "" : PQgetvalue(result, row, column));
}

static q_status status_from_text(const char *text)
{
    if (strcmp(text, "WORKING") == 0)
        return Q_WORKING;
    if (strcmp(text, "SUCCESS") == 0)
        return Q_SUCCESS;
    if (strcmp(text, "FAILED") == 0)
        return Q_FAILED;
    return Q_PENDING;
}

static cm_err read_job(PGresult *result, int row, q_job *job)
{
    memset(job, 0, sizeof *job);
    job->job_id = value_int(result, row, 0);
    job->tenant_id = value_int(result, row, 1);
    job->location_num = value_int(result, row, 2);
    copy_value(job->location_name, sizeof job->location_name, result, row, 3);
    copy_value(job->oci_location, sizeof job->oci_location, result, row, 4);
    copy_value(job->organization_id, sizeof job->organization_id, result, row, 5);
    job->status = status_from_text(PQgetvalue(result, row, 6));
    job->success = (int)value_int(result, row, 7);
    job->added_ms = value_int(result, row, 8);
    job->started_ms = value_int(result, row, 9);
    job->finished_ms = value_int(result, row, 10);
    job->item_count = value_int(result, row, 11);
    job->chunk_size = value_int(result, row, 12);
    job->chunks_total = value_int(result, row, 13);
    job->chunks_done = value_int(result, row, 14);
    job->items_applied = value_int(result, row, 15);
    job->items_failed = value_int(result, row, 16);
    job->attempts = value_int(result, row, 17);
    job->interruptions = value_int(result, row, 18);
    job->next_attempt_ms = value_int(result, row, 19);
    job->retry_started_ms = value_int(result, row, 20);
    job->messages_json = strdup(PQgetvalue(result, row, 21));
    job->chunk_retries = value_int(result, row, 22);
    job->type = q_job_type_from_name(PQgetvalue(result, row, 24));
    if (!job->type)
        job->type = Q_JOB_REFRESH;
    if (!PQgetisnull(result, row, 23) && !(job->last_error = strdup(PQgetvalue(result, row, 23)))) {
        q_job_clear(job);
        return CM_ENOMEM;
    }
    if (!job->messages_json) {
        q_job_clear(job);
        return CM_ENOMEM;
    }
    return CM_OK;
}

/* Every row of a job query as a new array (free each with q_job_clear, then free()); on failure
 * nothing is returned. The result stays the caller's. */
static cm_err jobs_of(PGresult *result, q_job **jobs, size_t *count)
{
    int rows = PQntuples(result);
    q_job *list = calloc(rows ? (size_t)rows : 1, sizeof *list);
    if (!list)
        return CM_ENOMEM;
    for (int row = 0; row < rows; row++) {
        cm_err rc = read_job(result, row, &list[row]);
        if (rc) {
            for (int i = 0; i < row; i++)
                q_job_clear(&list[i]);
            free(list);
            return rc;
        }
    }
    *jobs = list;
    *count = (size_t)rows;
    return CM_OK;
}

/* ---- acceptance ---- */

/* Locks the tenant's row for the rest of the transaction (creating it the first time): the
 * acceptances of one tenant commit one after the other, in job id order. */
static const cm_pg_statement SQL_TENANT_LOCK = {
    "q_tenant_lock",
    "INSERT INTO omsgw.tenants (tenant_id) VALUES ($1::bigint)"
    " ON CONFLICT (tenant_id) DO UPDATE SET last_claimed_ms = omsgw.tenants.last_claimed_ms",
    1};
/* The legacy integer locationID of (tenant, OCI location), made the first time it is used. */
static const cm_pg_statement SQL_LOCATION = {
    "q_location",
    "WITH found AS (SELECT location_num FROM omsgw.tenant_locations"
    "               WHERE tenant_id = $1::bigint AND oci_location = $2::text),"
    " made AS (INSERT INTO omsgw.tenant_locations (tenant_id, oci_location)"
    "          SELECT $1::bigint, $2::text WHERE NOT EXISTS (SELECT 1 FROM found)"
    "          ON CONFLICT (tenant_id, oci_location) DO NOTHING RETURNING location_num)"
    " SELECT location_num FROM found UNION ALL SELECT location_num FROM made",
    2};
static const cm_pg_statement SQL_JOB_INSERT = {
    "q_job_insert",
    "INSERT INTO omsgw.jobs (tenant_id, location_num, location_name, oci_location, organization_id,"
    " added_ms, item_count, chunk_size, chunks_total, messages, type)"
    " VALUES ($1::bigint, $2::bigint, $3::text, $4::text, $5::text, $6::bigint, $7::integer, $8::integer,"
    " $9::integer, coalesce($10::jsonb, '[]'::jsonb), $11::text) RETURNING job_id",
    11};
static const cm_pg_statement SQL_CHUNK_INSERT = {
    "q_chunk_insert", "INSERT INTO omsgw.job_chunks (job_id, chunk_index, items) VALUES ($1::bigint, $2::integer, $3::text)",
    3};
/* Delivered to every listening instance when the transaction commits. */
static const cm_pg_statement SQL_NOTIFY = {"q_notify", "SELECT pg_notify('" NOTIFY_CHANNEL "', $1::text)", 1};

static cm_err single_int(cm_pg_conn *conn, const cm_pg_statement *statement, const char *const *values,
                         int64_t *out)
{
    PGresult *result = NULL;
    cm_err rc = cm_pg_exec(conn, statement, values, &result);
    if (!rc) {
        if (PQntuples(result) == 1)
            *out = value_int(result, 0, 0);
        else
            rc = CM_EDB;
    }
    PQclear(result);
    return rc;
}

static cm_err pg_accept(q_store *base, const q_new_job *job, int64_t *job_id)
{
    pg_store *store = of(base);
    cm_pg_conn *conn = cm_pg_acquire(store->pool);
    number_text tenant = num(job->tenant_id);
    int64_t location = 0, new_id = 0;
    cm_body chunk_text_buffer; /* the chunk being stored, cut from the items (queue/chunking.h) */
    cm_body_init(&chunk_text_buffer, SIZE_MAX);
    size_t chunk_count = q_new_job_chunk_count(job);
    cm_err rc = chunk_count ? cm_pg_begin(conn, 1) : CM_EINVAL;
    if (rc)
        goto out;
    const char *tenant_values[] = {tenant.text};
    if ((rc = cm_pg_exec(conn, &SQL_TENANT_LOCK, tenant_values, NULL)))
        goto out;
    const char *location_values[] = {tenant.text, job->oci_location};
    if ((rc = single_int(conn, &SQL_LOCATION, location_values, &location)))
        goto out;
    number_text location_text = num(location), added = num(job->accepted_ms), items = num(job->item_count),
                chunk_size = num(job->chunk_size), chunks = num((int64_t)chunk_count);
    const char *job_values[] = {tenant.text,      location_text.text, job->location_name, job->oci_location,
                                job->organization_id, added.text,     items.text,         chunk_size.text,
                                chunks.text,      job->messages_json,
                                q_job_type_name(job->type ? job->type : Q_JOB_REFRESH)};
    if ((rc = single_int(conn, &SQL_JOB_INSERT, job_values, &new_id)))
        goto out;
    number_text id_text = num(new_id);
    for (size_t i = 0; i < chunk_count; i++) {
        number_text index = num((int64_t)i);
        /* The chunk is a NUL-terminated text without NUL bytes inside (translate/stored_items.h):
         * a text parameter as it is. */
        const char *chunk = NULL;
        size_t chunk_length = 0;
        if ((rc = q_new_job_chunk(job, i, &chunk_text_buffer, &chunk, &chunk_length)))
            goto out;
        const char *chunk_values[] = {id_text.text, index.text, chunk};
        if ((rc = cm_pg_exec(conn, &SQL_CHUNK_INSERT, chunk_values, NULL)))
            goto out;
    }
    if ((rc = cm_pg_exec(conn, &SQL_NOTIFY, tenant_values, NULL)) || (rc = cm_pg_commit(conn)))
        goto out;
    *job_id = new_id;
out:
    if (rc) {
        cm_log_error("queue.accept", "storing a job of tenant %" PRId64 " failed: %s (%s)", job->tenant_id,
                     cm_strerror(rc), cm_pg_message(conn));
        cm_pg_rollback(conn);
    }
    cm_pg_release(conn);
    cm_body_free(&chunk_text_buffer);
    return rc;
}

/* ---- reading ---- */

static const cm_pg_statement SQL_JOB_GET = {
    "q_job_get", "SELECT " JOB_COLUMNS " FROM omsgw.jobs WHERE job_id = $1::bigint AND tenant_id = $2::bigint", 2};

static cm_err pg_get_job(q_store *base, int64_t tenant_id, int64_t job_id, q_job *out)
{
    pg_store *store = of(base);
    number_text id = num(job_id), tenant = num(tenant_id);
    const char *values[] = {id.text, tenant.text};
    cm_pg_conn *conn = cm_pg_acquire(store->pool);
    PGresult *result = NULL;
    cm_err rc = cm_pg_exec(conn, &SQL_JOB_GET, values, &result);
    if (!rc)
        rc = PQntuples(result) == 1 ? read_job(result, 0, out) : CM_ENOTFOUND;
    PQclear(result);
    cm_pg_release(conn);
    return rc;
}

static const cm_pg_statement SQL_JOB_LIST = {
    "q_job_list",
    "SELECT " JOB_COLUMNS " FROM omsgw.jobs WHERE tenant_id = $1::bigint"
    " AND ($2::bigint[] IS NULL OR job_id = ANY ($2::bigint[]))"
    " AND ($3::bigint[] IS NULL OR location_num = ANY ($3::bigint[]))"
    " AND ($4::text IS NULL OR oci_location = $4::text)"
    " AND ($6::text[] IS NULL OR status = ANY ($6::text[]))"
    " AND ($7::bigint IS NULL OR added_ms >= $7::bigint) AND ($8::bigint IS NULL OR added_ms < $8::bigint)"
    " AND ($9::integer = 0 OR ($9::integer & (CASE type WHEN 'REFRESH' THEN 1 WHEN 'ADJUST' THEN 2 ELSE 0 END)) <> 0)"
    " ORDER BY job_id DESC LIMIT $5::bigint",
    9};

/* A PostgreSQL array literal of integers ("{1,2,3}"), or NULL when there are none. */
static char *id_array(const int64_t *ids, size_t count)
{
    if (!ids || count == 0)
        return NULL;
    size_t size = count * 22 + 3;
    char *text = malloc(size);
    if (!text)
        return NULL;
    size_t used = (size_t)snprintf(text, size, "{");
    for (size_t i = 0; i < count; i++)
        used += (size_t)snprintf(text + used, size - used, "%s%" PRId64, i ? "," : "", ids[i]);
    snprintf(text + used, size - used, "}");
    return text;
}

/* A PostgreSQL array literal of status names ("{PENDING,FAILED}"), or NULL when there are none. */
static char *status_array(const q_status *statuses, size_t count)
{
    if (!statuses || count == 0)
        return NULL;
    size_t size = count * 10 + 3;
    char *text = malloc(size);
    if (!text)
        return NULL;
    size_t used = (size_t)snprintf(text, size, "{");
    for (size_t i = 0; i < count; i++)
        used += (size_t)snprintf(text + used, size - used, "%s%s", i ? "," : "", q_status_name(statuses[i]));
    snprintf(text + used, size - used, "}");
    return text;
}

static cm_err pg_list_jobs(q_store *base, const q_job_filter *filter, q_job **jobs, size_t *count)
{
    pg_store *store = of(base);
    *jobs = NULL;
    *count = 0;
    size_t limit = filter->limit ? filter->limit : 100;
    char *job_ids = id_array(filter->job_ids, filter->job_id_count);
    char *location_nums = id_array(filter->location_nums, filter->location_num_count);
    char *statuses = status_array(filter->statuses, filter->status_count);
    if ((filter->job_id_count && !job_ids) || (filter->location_num_count && !location_nums) ||
        (filter->status_count && !statuses)) {
        free(job_ids);
        free(location_nums);
        free(statuses);
        return CM_ENOMEM;
    }
    number_text tenant = num(filter->tenant_id), limit_text = num((int64_t)limit), from = num(filter->added_from_ms),
                to = num(filter->added_to_ms), types = num((int64_t)filter->types);
    const char *values[] = {tenant.text,     job_ids,         location_nums,
                            filter->location_code, limit_text.text, statuses,
                            filter->added_from_ms ? from.text : NULL, filter->added_to_ms ? to.text : NULL, types.text};
    cm_pg_conn *conn = cm_pg_acquire(store->pool);
    PGresult *result = NULL;
    cm_err rc = cm_pg_exec(conn, &SQL_JOB_LIST, values, &result);
    cm_pg_release(conn);
    free(job_ids);
    free(location_nums);
    free(statuses);
    if (rc)
        return rc;
    rc = jobs_of(result, jobs, count);
    PQclear(result);
    return rc;
}

static const cm_pg_statement SQL_COUNT = {"q_count", "SELECT count(*) FROM omsgw.jobs WHERE status = $1::text", 1};

static cm_err pg_count(q_store *base, q_status status, int64_t *count)
{
    pg_store *store = of(base);
    const char *values[] = {q_status_name(status)};
    cm_pg_conn *conn = cm_pg_acquire(store->pool);
    cm_err rc = single_int(conn, &SQL_COUNT, values, count);
    cm_pg_release(conn);
    return rc;
}

/* ---- work ---- */

/* The claim's time: the caller's, or the database's when the statement runs later (a claim that
 * waited for a connection must not be dated before the finish of the job it follows). */
#define CLAIM_NOW "greatest($2::bigint, (extract(epoch FROM clock_timestamp()) * 1000)::bigint)"

static const cm_pg_statement SQL_CLAIM = {
    "q_claim",
    "WITH candidate AS ("
    "  SELECT t.tenant_id AS candidate_tenant, head.job_id AS candidate_job FROM omsgw.tenants t"
    "  CROSS JOIN LATERAL (SELECT j.job_id, j.claimed_by, j.lease_until, j.next_attempt_ms FROM omsgw.jobs j"
    "                      WHERE j.tenant_id = t.tenant_id AND j.status IN ('PENDING', 'WORKING')"
    "                      ORDER BY j.job_id LIMIT 1) head"
    "  WHERE (head.claimed_by IS NULL OR head.lease_until < clock_timestamp())"
    "    AND head.next_attempt_ms <= " CLAIM_NOW
    "    AND NOT EXISTS (SELECT 1 FROM omsgw.tenant_holds h WHERE h.tenant_id = t.tenant_id)"
    "  ORDER BY t.last_claimed_ms, t.tenant_id"
    "  LIMIT 1"
    "  FOR NO KEY UPDATE OF t SKIP LOCKED),"
    " touched AS (UPDATE omsgw.tenants t SET last_claimed_ms = " CLAIM_NOW " FROM candidate c"
    "             WHERE t.tenant_id = c.candidate_tenant)"
    " UPDATE omsgw.jobs j SET status = 'WORKING', claimed_by = $1::text,"
    "   lease_until = clock_timestamp() + $3::bigint * interval '1 millisecond',"
    "   started_ms = coalesce(j.started_ms, " CLAIM_NOW "), attempts = j.attempts + 1,"
    "   interruptions = j.interruptions + (j.claimed_by IS NOT NULL)::int,"
    "   messages = CASE WHEN j.claimed_by IS NULL THEN j.messages ELSE j.messages || jsonb_build_array("
    "     '" Q_INTERRUPTED_PREFIX "' || (j.chunks_done + 1) || ' of ' || j.chunks_total ||"
    "     ' and resumed there (the instance holding it stopped renewing its lease).') END"
    " FROM candidate c"
    " WHERE j.job_id = c.candidate_job AND j.status IN ('PENDING', 'WORKING')"
    "   AND (j.claimed_by IS NULL OR j.lease_until < clock_timestamp())"
    " RETURNING " JOB_COLUMNS,
    3};

static cm_err pg_claim(q_store *base, const char *worker_token, int64_t now_ms, q_job *out)
{
    pg_store *store = of(base);
    number_text now = num(now_ms), lease = num(store->lease_ms);
    const char *values[] = {worker_token, now.text, lease.text};
    cm_pg_conn *conn = cm_pg_acquire(store->pool);
    PGresult *result = NULL;
    /* One statement is one transaction; synchronous_commit off as for every non-acceptance write. */
    cm_err rc = cm_pg_begin(conn, 0);
    if (!rc)
        rc = cm_pg_exec(conn, &SQL_CLAIM, values, &result);
    if (!rc && PQntuples(result) == 1)
        rc = read_job(result, 0, out);
    else if (!rc)
        rc = CM_ENOTFOUND;
    PQclear(result);
    if (rc == CM_OK || rc == CM_ENOTFOUND) {
        cm_err commit = cm_pg_commit(conn);
        if (commit && rc == CM_OK)
            q_job_clear(out);
        if (commit)
            rc = commit;
    } else {
        cm_log_error("queue.claim", "%s (%s)", cm_strerror(rc), cm_pg_message(conn));
        cm_pg_rollback(conn);
    }
    cm_pg_release(conn);
    return rc;
}

static int64_t pg_lease_ms(const q_store *base)
{
    return ((const pg_store *)base)->lease_ms;
}

/* The head's lease and those of the jobs joined to its batch, while the head is held. */
static const cm_pg_statement SQL_RENEW = {
    "q_renew",
    "UPDATE omsgw.jobs SET lease_until = clock_timestamp() + $3::bigint * interval '1 millisecond'"
    " WHERE claimed_by = $2::text AND (job_id = $1::bigint OR batch_of = $1::bigint)"
    "   AND EXISTS (SELECT 1 FROM omsgw.jobs h WHERE h.job_id = $1::bigint AND h.claimed_by = $2::text)",
    3};

/* Runs one fenced statement by itself; CM_ESTATE when it changed no row. */
static cm_err held_update(pg_store *store, const cm_pg_statement *statement, const char *const *values,
                          int64_t job_id, const char *event)
{
    cm_pg_conn *conn = cm_pg_acquire(store->pool);
    PGresult *result = NULL;
    cm_err rc = cm_pg_exec(conn, statement, values, &result);
    if (!rc && cm_pg_changes(result) != 1)
        rc = CM_ESTATE;
    PQclear(result);
    if (rc)
        log_failure(event, conn, rc, job_id);
    cm_pg_release(conn);
    return rc;
}

static cm_err pg_renew_lease(q_store *base, int64_t job_id, const char *worker_token)
{
    pg_store *store = of(base);
    number_text id = num(job_id), lease = num(store->lease_ms);
    const char *values[] = {id.text, worker_token, lease.text};
    cm_pg_conn *conn = cm_pg_acquire(store->pool);
    PGresult *result = NULL;
    cm_err rc = cm_pg_exec(conn, &SQL_RENEW, values, &result);
    if (!rc && cm_pg_changes(result) < 1)
        rc = CM_ESTATE;
    PQclear(result);
    if (rc)
        log_failure("queue.renew", conn, rc, job_id);
    cm_pg_release(conn);
    return rc;
}

static const cm_pg_statement SQL_CHUNK_LOAD = {
    "q_chunk_load", "SELECT items FROM omsgw.job_chunks WHERE job_id = $1::bigint AND chunk_index = $2::integer", 2};

/* One text column of one chunk row, copied out NUL-terminated (caller frees); CM_ENOTFOUND when
 * there is no such row. */
static cm_err chunk_text(pg_store *store, const cm_pg_statement *statement, int64_t job_id, int64_t chunk_index,
                         char **text, size_t *length)
{
    *text = NULL;
    number_text id = num(job_id), index = num(chunk_index);
    const char *values[] = {id.text, index.text};
    cm_pg_conn *conn = cm_pg_acquire(store->pool);
    PGresult *result = NULL;
    cm_err rc = cm_pg_exec(conn, statement, values, &result);
    cm_pg_release(conn);
    if (!rc && PQntuples(result) != 1)
        rc = CM_ENOTFOUND;
    if (!rc) {
        size_t bytes = (size_t)PQgetlength(result, 0, 0);
        *text = malloc(bytes + 1);
        if (*text) {
            memcpy(*text, PQgetvalue(result, 0, 0), bytes);
            (*text)[bytes] = '\0';
            *length = bytes;
        } else {
            rc = CM_ENOMEM;
        }
    }
    PQclear(result);
    return rc;
}

static cm_err pg_load_chunk(q_store *base, int64_t job_id, int64_t chunk_index, char **payload, size_t *length)
{
    return chunk_text(of(base), &SQL_CHUNK_LOAD, job_id, chunk_index, payload, length);
}

static const cm_pg_statement SQL_CHUNK_STATE_SAVE = {
    "q_chunk_state_save",
    "UPDATE omsgw.job_chunks SET state = $3::jsonb WHERE job_id = $1::bigint AND chunk_index = $4::integer"
    " AND EXISTS (SELECT 1 FROM omsgw.jobs WHERE job_id = $1::bigint AND claimed_by = $2::text)",
    4};
static const cm_pg_statement SQL_CHUNK_STATE_LOAD = {
    "q_chunk_state_load",
    "SELECT state::text FROM omsgw.job_chunks WHERE job_id = $1::bigint AND chunk_index = $2::integer"
    " AND state IS NOT NULL",
    2};

/* Fenced by the holder's token like park and release; synchronous_commit=on makes it durable. */
static cm_err pg_save_chunk_state(q_store *base, int64_t job_id, const char *worker_token, int64_t chunk_index,
                                  const char *state_json)
{
    number_text id = num(job_id), index = num(chunk_index);
    const char *values[] = {id.text, worker_token, state_json, index.text};
    return held_update(of(base), &SQL_CHUNK_STATE_SAVE, values, job_id, "queue.chunk_state");
}

static cm_err pg_load_chunk_state(q_store *base, int64_t job_id, int64_t chunk_index, char **state_json,
                                  size_t *length)
{
    return chunk_text(of(base), &SQL_CHUNK_STATE_LOAD, job_id, chunk_index, state_json, length);
}

static const cm_pg_statement SQL_JOB_ADVANCE = {
    "q_job_advance",
    "UPDATE omsgw.jobs SET chunks_done = chunks_done + 1, items_applied = items_applied + $3::integer,"
    " items_failed = items_failed + $4::integer, retry_started_ms = 0, chunk_retries = 0, last_error = NULL"
    " WHERE job_id = $1::bigint AND claimed_by = $2::text AND chunks_done = $5::integer",
    5};
static const cm_pg_statement SQL_CHUNK_RESULT = {
    "q_chunk_result",
    "INSERT INTO omsgw.chunk_results (job_id, chunk_index, items_applied, items_failed, finished_ms)"
    " VALUES ($1::bigint, $2::integer, $3::integer, $4::integer, $5::bigint)",
    5};
/* All the refusals of a chunk in one statement: a JSON array of {i, s, c, m}. */
static const cm_pg_statement SQL_FAILURES_INSERT = {
    "q_failures_insert",
    "INSERT INTO omsgw.item_failures (job_id, item_index, sku, error_code, message)"
    " SELECT $1::bigint, x.i, x.s, x.c, x.m FROM jsonb_to_recordset($2::jsonb) AS x(i bigint, s text, c text, m text)",
    2};
/* All the extras of a chunk in one statement: a JSON array of {o, s, e}; several items of one sku
 * are folded in their order first (one row may be changed only once per statement). */
static const cm_pg_statement SQL_EXTRAS_UPSERT = {
    "q_extras_upsert",
    "INSERT INTO omsgw.item_extras (tenant_id, oci_location, sku, extras, job_id, updated_ms)"
    " SELECT $1::bigint, $2::text, folded.s, folded.e, $3::bigint, $4::bigint FROM ("
    "   SELECT x.s, omsgw.json_patch_all(array_agg(x.e ORDER BY x.o)) AS e"
    "   FROM jsonb_to_recordset($5::jsonb) AS x(o bigint, s text, e jsonb) GROUP BY x.s) folded"
    " ON CONFLICT (tenant_id, oci_location, sku) DO UPDATE SET"
    "   extras = omsgw.json_patch(omsgw.item_extras.extras, excluded.extras), job_id = excluded.job_id,"
    "   updated_ms = excluded.updated_ms"
    /* Legacy fields sent as they were write nothing (store_sqlite.c does the same): job_id and
     * updated_ms say which job last changed them. */
    " WHERE omsgw.item_extras.extras IS DISTINCT FROM excluded.extras",
    5};
static const cm_pg_statement SQL_FINISH = {
    "q_finish",
    "UPDATE omsgw.jobs SET status = $3::text, success = $4::boolean, messages = coalesce($5::jsonb, messages),"
    " finished_ms = $6::bigint, claimed_by = NULL, lease_until = NULL"
    " WHERE job_id = $1::bigint AND claimed_by = $2::text",
    6};
static const cm_pg_statement SQL_CHUNKS_DELETE = {"q_chunks_delete",
                                                  "DELETE FROM omsgw.job_chunks WHERE job_id = $1::bigint", 1};

/* Inside the caller's transaction. CM_ESTATE when the job is not held by the token. */
static cm_err finish_in_transaction(cm_pg_conn *conn, int64_t job_id, const char *worker_token, q_status status,
                                    int success, const char *messages_json, int64_t now_ms)
{
    number_text id = num(job_id), now = num(now_ms);
    const char *values[] = {id.text, worker_token, q_status_name(status), success ? "true" : "false",
                            messages_json, now.text};
    PGresult *result = NULL;
    cm_err rc = cm_pg_exec(conn, &SQL_FINISH, values, &result);
    if (!rc && cm_pg_changes(result) != 1)
        rc = CM_ESTATE;
    PQclear(result);
    if (rc || status == Q_FAILED)
        return rc; /* a failed job keeps its items until pruned, so an operator can retry it */
    const char *delete_values[] = {id.text};
    return cm_pg_exec(conn, &SQL_CHUNKS_DELETE, delete_values, NULL);
}

/* The refusals as a JSON array text for SQL_FAILURES_INSERT (caller frees), or NULL. */
static char *failures_json(const q_checkpoint *cp)
{
    json_object *list = json_object_new_array();
    for (size_t i = 0; list && i < cp->failure_count; i++) {
        const q_item_failure *failure = &cp->failures[i];
        json_object *row = json_object_new_object();
        json_object_object_add(row, "i", json_object_new_int64(failure->item_index));
        json_object_object_add(row, "s", failure->sku ? json_object_new_string(failure->sku) : NULL);
        json_object_object_add(row, "c", json_object_new_string(failure->error_code ? failure->error_code : "Unknown"));
        json_object_object_add(row, "m", json_object_new_string(failure->message ? failure->message : ""));
        json_object_array_add(list, row);
    }
    char *text = list ? strdup(json_object_to_json_string_ext(list, JSON_C_TO_STRING_PLAIN)) : NULL;
    json_object_put(list);
    return text;
}

/* The extras as a JSON array text for SQL_EXTRAS_UPSERT (caller frees), or NULL. Each extras text
 * is already a JSON object (the worker's, translate/stored_items.h): it is copied into the array as
 * it is, not parsed and written again. */
static char *extras_json(const q_checkpoint *cp)
{
    cm_body list;
    cm_body_init(&list, SIZE_MAX);
    cm_err rc = cm_body_append(&list, "[", 1);
    for (size_t i = 0; !rc && i < cp->extra_count; i++) {
        char order[32];
        int length = snprintf(order, sizeof order, "%s{\"o\":%zu,\"s\":", i ? "," : "", i);
        rc = cm_body_append(&list, order, (size_t)length);
        if (!rc)
            rc = cm_json_append_string(&list, cp->extras[i].sku, strlen(cp->extras[i].sku));
        if (!rc)
            rc = cm_body_append(&list, ",\"e\":", 5);
        if (!rc)
            rc = cm_body_append(&list, cp->extras[i].extras_json, strlen(cp->extras[i].extras_json));
        if (!rc)
            rc = cm_body_append(&list, "}", 1);
    }
    if (!rc)
        rc = cm_body_append(&list, "]", 1);
    size_t length = 0;
    char *out = rc ? NULL : cm_body_take(&list, &length);
    cm_body_free(&list);
    return out;
}

/* One chunk's checkpoint inside the caller's transaction on `conn`. */
static cm_err checkpoint_in_transaction(cm_pg_conn *conn, const q_checkpoint *cp)
{
    char *failures = cp->failure_count ? failures_json(cp) : NULL;
    char *extras = cp->extra_count ? extras_json(cp) : NULL;
    if ((cp->failure_count && !failures) || (cp->extra_count && !extras)) {
        free(failures);
        free(extras);
        return CM_ENOMEM;
    }
    number_text id = num(cp->job_id), index = num(cp->chunk_index), applied = num(cp->items_applied),
                failed = num((int64_t)cp->failure_count), now = num(cp->now_ms), tenant = num(cp->tenant_id);
    PGresult *result = NULL;
    cm_err rc = CM_OK;
    const char *advance[] = {id.text, cp->worker_token, applied.text, failed.text, index.text};
    if ((rc = cm_pg_exec(conn, &SQL_JOB_ADVANCE, advance, &result)))
        goto out;
    if (cm_pg_changes(result) != 1) {
        rc = CM_ESTATE;
        goto out;
    }
    const char *chunk_result[] = {id.text, index.text, applied.text, failed.text, now.text};
    if ((rc = cm_pg_exec(conn, &SQL_CHUNK_RESULT, chunk_result, NULL)))
        goto out;
    const char *failure_values[] = {id.text, failures};
    if (failures && (rc = cm_pg_exec(conn, &SQL_FAILURES_INSERT, failure_values, NULL)))
        goto out;
    const char *extra_values[] = {tenant.text, cp->oci_location, id.text, now.text, extras};
    if (extras && (rc = cm_pg_exec(conn, &SQL_EXTRAS_UPSERT, extra_values, NULL)))
        goto out;
    if (cp->finish_success)
        rc = finish_in_transaction(conn, cp->job_id, cp->worker_token, Q_SUCCESS, 1, NULL, cp->now_ms);
out:
    PQclear(result);
    free(failures);
    free(extras);
    return rc;
}

static cm_err pg_checkpoint_batch(q_store *base, const q_checkpoint *cps, size_t count)
{
    pg_store *store = of(base);
    cm_pg_conn *conn = cm_pg_acquire(store->pool);
    cm_err rc = cm_pg_begin(conn, 0);
    size_t i = 0;
    for (; !rc && i < count; i++)
        rc = checkpoint_in_transaction(conn, &cps[i]);
    if (!rc)
        rc = cm_pg_commit(conn);
    if (rc) {
        if (rc != CM_ESTATE && count)
            cm_log_error("queue.checkpoint", "job %" PRId64 " chunk %" PRId64 ": %s (%s)", cps[i ? i - 1 : 0].job_id,
                         cps[i ? i - 1 : 0].chunk_index, cm_strerror(rc), cm_pg_message(conn));
        cm_pg_rollback(conn);
    }
    cm_pg_release(conn);
    return rc;
}

static cm_err pg_checkpoint(q_store *base, const q_checkpoint *cp)
{
    return pg_checkpoint_batch(base, cp, 1);
}

static const cm_pg_statement SQL_BATCH_DISSOLVE = {
    "q_batch_dissolve",
    "WITH head AS (SELECT job_id FROM omsgw.jobs WHERE job_id = $1::bigint AND claimed_by = $2::text FOR UPDATE),"
    " members AS (UPDATE omsgw.jobs j SET batch_of = NULL, claimed_by = NULL, lease_until = NULL FROM head"
    "             WHERE j.batch_of = head.job_id AND j.status = 'WORKING' RETURNING j.job_id)"
    " SELECT (SELECT count(*) FROM head), (SELECT count(*) FROM members)",
    2};

static cm_err pg_dissolve_batch(q_store *base, int64_t head_job_id, const char *worker_token)
{
    pg_store *store = of(base);
    number_text id = num(head_job_id);
    const char *values[] = {id.text, worker_token};
    cm_pg_conn *conn = cm_pg_acquire(store->pool);
    PGresult *result = NULL;
    cm_err rc = cm_pg_exec(conn, &SQL_BATCH_DISSOLVE, values, &result);
    if (!rc && (PQntuples(result) != 1 || value_int(result, 0, 0) != 1))
        rc = CM_ESTATE;
    PQclear(result);
    if (rc)
        log_failure("queue.dissolve_batch", conn, rc, head_job_id);
    cm_pg_release(conn);
    return rc;
}

static const cm_pg_statement SQL_BATCH_HEAD_HELD = {
    "q_batch_head_held", "SELECT 1 FROM omsgw.jobs WHERE job_id = $1::bigint AND claimed_by = $2::text FOR UPDATE", 2};
/* A batch stored before, claimed again as it was (taken over from its previous holder, if any). */
static const cm_pg_statement SQL_BATCH_RECLAIM = {
    "q_batch_reclaim",
    "UPDATE omsgw.jobs SET claimed_by = $2::text,"
    "   lease_until = clock_timestamp() + $3::bigint * interval '1 millisecond', attempts = attempts + 1,"
    "   interruptions = interruptions + (claimed_by IS NOT NULL AND claimed_by <> $2::text)::int"
    " WHERE batch_of = $1::bigint AND status = 'WORKING'"
    " RETURNING " JOB_COLUMNS,
    3};
static const cm_pg_statement SQL_BATCH_NEXT = {
    "q_batch_next",
    "SELECT " JOB_COLUMNS " FROM omsgw.jobs WHERE tenant_id = $1::bigint AND job_id > $2::bigint"
    "   AND status IN ('PENDING', 'WORKING') ORDER BY job_id LIMIT $3::integer FOR UPDATE",
    3};
static const cm_pg_statement SQL_BATCH_JOIN = {
    "q_batch_join",
    "UPDATE omsgw.jobs SET status = 'WORKING', claimed_by = $2::text,"
    "   lease_until = clock_timestamp() + $3::bigint * interval '1 millisecond', started_ms = $4::bigint,"
    "   attempts = attempts + 1, batch_of = $5::bigint"
    " WHERE job_id = ANY($1::bigint[]) AND status = 'PENDING' AND claimed_by IS NULL",
    5};

static int job_order(const void *a, const void *b)
{
    int64_t x = ((const q_job *)a)->job_id, y = ((const q_job *)b)->job_id;
    return x < y ? -1 : x > y;
}

static cm_err pg_claim_batch(q_store *base, const q_job *head, const char *worker_token, int64_t max_items,
                             size_t max_jobs, int allow_new, int64_t now_ms, q_job **members, size_t *count)
{
    pg_store *store = of(base);
    number_text head_id = num(head->job_id), tenant = num(head->tenant_id), lease = num(store->lease_ms),
                now = num(now_ms), limit = num((int64_t)max_jobs);
    cm_pg_conn *conn = cm_pg_acquire(store->pool);
    PGresult *result = NULL;
    q_job *list = NULL;
    size_t found = 0, joined = 0;
    char *ids = NULL;
    cm_err rc = cm_pg_begin(conn, 0);
    const char *held[] = {head_id.text, worker_token};
    if (!rc && !(rc = cm_pg_exec(conn, &SQL_BATCH_HEAD_HELD, held, &result)) && PQntuples(result) != 1)
        rc = CM_ESTATE;
    PQclear(result);
    result = NULL;
    if (rc)
        goto out;
    const char *reclaim[] = {head_id.text, worker_token, lease.text};
    if ((rc = cm_pg_exec(conn, &SQL_BATCH_RECLAIM, reclaim, &result)))
        goto out;
    if (PQntuples(result) > 0) {
        if ((rc = jobs_of(result, &list, &found)))
            goto out;
        qsort(list, found, sizeof *list, job_order);
        joined = found;
    } else if (allow_new && max_jobs > 0) {
        PQclear(result);
        const char *next[] = {tenant.text, head_id.text, limit.text};
        if ((rc = cm_pg_exec(conn, &SQL_BATCH_NEXT, next, &result)) || (rc = jobs_of(result, &list, &found)))
            goto out;
        int64_t items = head->item_count;
        for (; joined < found; joined++) {
            const q_job *job = &list[joined];
            if (job->status != Q_PENDING || job->type != Q_JOB_REFRESH || job->chunks_total != 1 ||
                strcmp(job->oci_location, head->oci_location) != 0 ||
                strcmp(job->organization_id, head->organization_id) != 0 || items + job->item_count > max_items)
                break;
            items += job->item_count;
        }
        if (joined > 0) {
            int64_t *join_ids = calloc(joined, sizeof *join_ids);
            if (!join_ids) {
                rc = CM_ENOMEM;
                goto out;
            }
            for (size_t i = 0; i < joined; i++)
                join_ids[i] = list[i].job_id;
            ids = id_array(join_ids, joined);
            free(join_ids);
            if (!ids) {
                rc = CM_ENOMEM;
                goto out;
            }
            PQclear(result);
            const char *join[] = {ids, worker_token, lease.text, now.text, head_id.text};
            if ((rc = cm_pg_exec(conn, &SQL_BATCH_JOIN, join, &result)))
                goto out;
            /* Every row was locked above and is PENDING: all of them join, or none. */
            if (cm_pg_changes(result) != (long long)joined) {
                rc = CM_ESTATE;
                goto out;
            }
            for (size_t i = 0; i < joined; i++) {
                list[i].status = Q_WORKING;
                list[i].started_ms = now_ms;
                list[i].attempts++;
            }
        }
    }
    rc = cm_pg_commit(conn);
out:
    PQclear(result);
    free(ids);
    if (rc) {
        if (rc != CM_ESTATE)
            cm_log_error("queue.claim_batch", "job %" PRId64 ": %s (%s)", head->job_id, cm_strerror(rc),
                         cm_pg_message(conn));
        cm_pg_rollback(conn);
        joined = 0;
    }
    cm_pg_release(conn);
    for (size_t i = joined; i < found; i++)
        q_job_clear(&list[i]);
    if (joined) {
        *members = list;
        *count = joined;
    } else {
        free(list);
    }
    return rc;
}

static const cm_pg_statement SQL_PARK = {
    "q_park",
    "UPDATE omsgw.jobs SET claimed_by = NULL, lease_until = NULL, next_attempt_ms = $3::bigint,"
    " retry_started_ms = $4::bigint, last_error = $5::text, chunk_retries = chunk_retries + 1"
    " WHERE job_id = $1::bigint AND claimed_by = $2::text",
    5};
static const cm_pg_statement SQL_RELEASE = {
    "q_release",
    "UPDATE omsgw.jobs SET claimed_by = NULL, lease_until = NULL WHERE job_id = $1::bigint AND claimed_by = $2::text",
    2};

static cm_err pg_park(q_store *base, int64_t job_id, const char *worker_token, int64_t next_attempt_ms,
                      int64_t retry_started_ms, const char *reason)
{
    number_text id = num(job_id), next = num(next_attempt_ms), started = num(retry_started_ms);
    const char *values[] = {id.text, worker_token, next.text, started.text, reason};
    return held_update(of(base), &SQL_PARK, values, job_id, "queue.park");
}

static cm_err pg_release(q_store *base, int64_t job_id, const char *worker_token)
{
    number_text id = num(job_id);
    const char *values[] = {id.text, worker_token};
    return held_update(of(base), &SQL_RELEASE, values, job_id, "queue.release");
}

static cm_err pg_finish(q_store *base, int64_t job_id, const char *worker_token, q_status status, int success,
                        const char *messages_json, int64_t now_ms)
{
    pg_store *store = of(base);
    cm_pg_conn *conn = cm_pg_acquire(store->pool);
    cm_err rc = cm_pg_begin(conn, 0);
    if (!rc)
        rc = finish_in_transaction(conn, job_id, worker_token, status, success,
                                   messages_json ? messages_json : "[]", now_ms);
    if (!rc)
        rc = cm_pg_commit(conn);
    if (rc) {
        log_failure("queue.finish", conn, rc, job_id);
        cm_pg_rollback(conn);
    }
    cm_pg_release(conn);
    return rc;
}

static const cm_pg_statement SQL_FAILURES = {
    "q_failures",
    "SELECT item_index, sku, error_code, message FROM omsgw.item_failures WHERE job_id = $1::bigint"
    " ORDER BY item_index LIMIT $2::bigint",
    2};

static cm_err pg_each_failure(q_store *base, int64_t job_id, size_t limit,
                              void (*each)(const q_item_failure *failure, void *data), void *data)
{
    pg_store *store = of(base);
    number_text id = num(job_id), limit_text = num((int64_t)limit);
    const char *values[] = {id.text, limit_text.text};
    cm_pg_conn *conn = cm_pg_acquire(store->pool);
    PGresult *result = NULL;
    cm_err rc = cm_pg_exec(conn, &SQL_FAILURES, values, &result);
    cm_pg_release(conn);
    for (int row = 0; !rc && row < PQntuples(result); row++) {
        q_item_failure failure = {
            .item_index = value_int(result, row, 0),
            .sku = PQgetisnull(result, row, 1) ? NULL : PQgetvalue(result, row, 1),
            .error_code = PQgetvalue(result, row, 2),
            .message = PQgetvalue(result, row, 3),
        };
        each(&failure, data);
    }
    PQclear(result);
    return rc;
}

/* Instances come and go independently: a job held by a vanished one is taken over when its lease
 * expires (SQL_CLAIM), never at another instance's start-up. */
static cm_err pg_recover(q_store *base, int64_t now_ms, int64_t *recovered)
{
    (void)base;
    (void)now_ms;
    if (recovered)
        *recovered = 0;
    return CM_OK;
}

static const cm_pg_statement SQL_PRUNE = {
    "q_prune",
    "DELETE FROM omsgw.jobs WHERE job_id IN (SELECT job_id FROM omsgw.jobs"
    " WHERE finished_ms IS NOT NULL AND finished_ms < $1::bigint AND status IN ('SUCCESS', 'FAILED')"
    " ORDER BY finished_ms LIMIT $2::bigint)",
    2};

static cm_err pg_prune(q_store *base, int64_t before_ms, int batch, int64_t *deleted)
{
    pg_store *store = of(base);
    number_text before = num(before_ms), batch_text = num(batch);
    const char *values[] = {before.text, batch_text.text};
    cm_pg_conn *conn = cm_pg_acquire(store->pool);
    PGresult *result = NULL;
    cm_err rc = cm_pg_exec(conn, &SQL_PRUNE, values, &result);
    if (rc)
        cm_log_error("queue.prune", "%s (%s)", cm_strerror(rc), cm_pg_message(conn));
    if (!rc && deleted)
        *deleted = cm_pg_changes(result);
    PQclear(result);
    cm_pg_release(conn);
    return rc;
}

static const cm_pg_statement SQL_EXTRAS_GET = {
    "q_extras_get",
    "SELECT extras::text FROM omsgw.item_extras WHERE tenant_id = $1::bigint AND oci_location = $2::text"
    " AND sku = $3::text",
    3};

static cm_err pg_get_extras(q_store *base, int64_t tenant_id, const char *oci_location, const char *sku,
                            char **extras_json)
{
    pg_store *store = of(base);
    *extras_json = NULL;
    number_text tenant = num(tenant_id);
    const char *values[] = {tenant.text, oci_location, sku};
    cm_pg_conn *conn = cm_pg_acquire(store->pool);
    PGresult *result = NULL;
    cm_err rc = cm_pg_exec(conn, &SQL_EXTRAS_GET, values, &result);
    cm_pg_release(conn);
    if (!rc && PQntuples(result) != 1)
        rc = CM_ENOTFOUND;
    if (!rc) {
        /* jsonb prints with spaces; callers get the compact form SQLite stores. */
        json_object *extras = NULL;
        char parse_error[CM_JSON_ERROR_MAX];
        const char *text = PQgetvalue(result, 0, 0);
        rc = cm_json_parse(text, strlen(text), 16, &extras, parse_error);
        if (!rc && !(*extras_json = strdup(json_object_to_json_string_ext(extras, JSON_C_TO_STRING_PLAIN))))
            rc = CM_ENOMEM;
        json_object_put(extras);
    }
    PQclear(result);
    return rc;
}

/* ---- holds ---- */

static const cm_pg_statement SQL_HOLD = {
    "q_hold",
    "INSERT INTO omsgw.tenant_holds (tenant_id, kind, reason, since_ms) VALUES ($1::bigint, $2::text, $3::text,"
    " $4::bigint) ON CONFLICT (tenant_id, kind) DO UPDATE SET reason = excluded.reason",
    4};
static const cm_pg_statement SQL_RELEASE_HOLD = {
    "q_release_hold", "DELETE FROM omsgw.tenant_holds WHERE tenant_id = $1::bigint AND kind = $2::text", 2};
/* Releasing wakes every instance: the tenant's jobs may run now. */
static const cm_pg_statement SQL_NOTIFY_RELEASED = {"q_notify_released", "SELECT pg_notify('" NOTIFY_CHANNEL "', $1::text)",
                                                    1};
static const cm_pg_statement SQL_GET_HOLD = {
    "q_get_hold", "SELECT reason FROM omsgw.tenant_holds WHERE tenant_id = $1::bigint ORDER BY since_ms, kind LIMIT 1",
    1};

static cm_err pg_hold(q_store *base, int64_t tenant_id, q_hold_kind kind, const char *reason, int64_t now_ms)
{
    pg_store *store = of(base);
    number_text tenant = num(tenant_id), now = num(now_ms);
    const char *values[] = {tenant.text, q_hold_kind_name(kind), reason, now.text};
    cm_pg_conn *conn = cm_pg_acquire(store->pool);
    cm_err rc = cm_pg_exec(conn, &SQL_HOLD, values, NULL);
    cm_pg_release(conn);
    return rc;
}

static cm_err pg_release_hold(q_store *base, int64_t tenant_id, q_hold_kind kind)
{
    pg_store *store = of(base);
    number_text tenant = num(tenant_id);
    const char *values[] = {tenant.text, q_hold_kind_name(kind)};
    cm_pg_conn *conn = cm_pg_acquire(store->pool);
    PGresult *result = NULL;
    cm_err rc = cm_pg_exec(conn, &SQL_RELEASE_HOLD, values, &result);
    if (!rc && cm_pg_changes(result) == 0)
        rc = CM_ENOTFOUND;
    PQclear(result);
    const char *notify_values[] = {tenant.text};
    if (!rc)
        cm_pg_exec(conn, &SQL_NOTIFY_RELEASED, notify_values, NULL);
    cm_pg_release(conn);
    return rc;
}

static cm_err pg_get_hold(q_store *base, int64_t tenant_id, char **reason)
{
    pg_store *store = of(base);
    *reason = NULL;
    number_text tenant = num(tenant_id);
    const char *values[] = {tenant.text};
    cm_pg_conn *conn = cm_pg_acquire(store->pool);
    PGresult *result = NULL;
    cm_err rc = cm_pg_exec(conn, &SQL_GET_HOLD, values, &result);
    cm_pg_release(conn);
    if (!rc && PQntuples(result) != 1)
        rc = CM_ENOTFOUND;
    if (!rc && !(*reason = strdup(PQgetvalue(result, 0, 0))))
        rc = CM_ENOMEM;
    PQclear(result);
    return rc;
}

/* ---- waking up: LISTEN on a connection of its own ---- */

static void sleep_unless_stopped(pg_store *store, int64_t ms)
{
    for (int64_t slept = 0; slept < ms && !atomic_load(&store->stop_listening); slept += 50) {
        struct timespec pause = {0, 50 * 1000000L};
        nanosleep(&pause, NULL);
    }
}

static PGconn *listen_connection(pg_store *store)
{
    char error[CM_PG_ERROR_MAX];
    PGconn *pg = cm_pg_connect(store->pool, error);
    if (!pg)
        return NULL;
    PGresult *result = PQexec(pg, "LISTEN " NOTIFY_CHANNEL);
    int ok = PQresultStatus(result) == PGRES_COMMAND_OK;
    PQclear(result);
    if (!ok) {
        PQfinish(pg);
        return NULL;
    }
    return pg;
}

static void *listener_main(void *data)
{
    pg_store *store = data;
    PGconn *pg = NULL;
    int was_down = 0;
    while (!atomic_load(&store->stop_listening)) {
        if (!pg) {
            pg = listen_connection(store);
            if (!pg) {
                if (!was_down)
                    cm_log_warn("queue.listen_lost", "cannot listen for new jobs; polling until PostgreSQL is back");
                was_down = 1;
                sleep_unless_stopped(store, LISTEN_RETRY_MS);
                continue;
            }
            if (was_down)
                cm_log_info("queue.listen_back", "listening for new jobs again");
            was_down = 0;
            /* Jobs accepted while nobody listened: look once. */
            store->wake(store->wake_data);
        }
        struct pollfd waiting = {.fd = PQsocket(pg), .events = POLLIN};
        int ready = poll(&waiting, 1, LISTEN_POLL_MS);
        if (ready < 0)
            continue;
        if (ready > 0 && !PQconsumeInput(pg)) {
            PQfinish(pg);
            pg = NULL;
            continue;
        }
        int notified = 0;
        for (PGnotify *note = PQnotifies(pg); note; note = PQnotifies(pg)) {
            notified = 1;
            PQfreemem(note);
        }
        if (notified)
            store->wake(store->wake_data);
    }
    PQfinish(pg);
    return NULL;
}

static cm_err pg_watch(q_store *base, void (*wake)(void *data), void *data)
{
    pg_store *store = of(base);
    if (store->listening)
        return CM_ESTATE;
    store->wake = wake;
    store->wake_data = data;
    atomic_store(&store->stop_listening, 0);
    if (pthread_create(&store->listener, NULL, listener_main, store) != 0)
        return CM_ENOMEM;
    store->listening = 1;
    return CM_OK;
}

static void pg_unwatch(q_store *base)
{
    pg_store *store = of(base);
    if (!store->listening)
        return;
    atomic_store(&store->stop_listening, 1);
    pthread_join(store->listener, NULL);
    store->listening = 0;
}

/* ---- opening ---- */

static void pg_close(q_store *base)
{
    pg_store *store = of(base);
    if (!store)
        return;
    pg_unwatch(base);
    cm_pg_pool_close(store->pool);
    free(store);
}

static const char *pg_installation_id(const q_store *base)
{
    return ((const pg_store *)base)->installation_id;
}

static const q_store_ops pg_ops;

static const cm_pg_statement SQL_INSTALLATION = {
    "q_installation", "SELECT value FROM omsgw.meta WHERE key = 'installation_id'", 0};

cm_err q_store_pg_open(const q_store_options *options, q_store **out, char error[Q_STORE_ERROR_MAX])
{
    _Static_assert(Q_STORE_ERROR_MAX >= CM_PG_ERROR_MAX, "libpq's messages fit the store's error buffer");
    *out = NULL;
    pg_store *store = calloc(1, sizeof *store);
    if (!store)
        return CM_ENOMEM;
    store->base.ops = &pg_ops;
    store->lease_ms = options->lease_ms > 0 ? options->lease_ms : Q_STORE_DEFAULT_LEASE_MS;
    cm_err rc = cm_pg_pool_open(options->url ? options->url : "", options->connections, &store->pool, error);
    if (rc) {
        free(store);
        return rc;
    }
    cm_pg_conn *conn = cm_pg_acquire(store->pool);
    rc = q_pg_migrate(conn, error);
    if (!rc) {
        PGresult *result = NULL;
        rc = cm_pg_exec(conn, &SQL_INSTALLATION, NULL, &result);
        if (!rc && PQntuples(result) == 1)
            snprintf(store->installation_id, sizeof store->installation_id, "%s", PQgetvalue(result, 0, 0));
        else if (!rc)
            rc = CM_EDB;
        if (rc)
            snprintf(error, Q_STORE_ERROR_MAX, "storage: the database has no installation id: %s",
                     cm_pg_message(conn));
        PQclear(result);
    }
    cm_pg_release(conn);
    if (rc) {
        pg_close(&store->base);
        return rc;
    }
    *out = &store->base;
    return CM_OK;
}

/* ---- the operator's view ---- */

static const cm_pg_statement SQL_TENANT_STATS = {
    "q_tenant_stats",
    "SELECT tenant_id, count(*) FILTER (WHERE status = 'PENDING'), count(*) FILTER (WHERE status = 'WORKING'),"
    " coalesce(min(added_ms) FILTER (WHERE status = 'PENDING'), 0)"
    " FROM omsgw.jobs GROUP BY tenant_id ORDER BY tenant_id",
    0};

static cm_err pg_tenant_stats(q_store *base, q_tenant_stats **stats, size_t *count)
{
    pg_store *store = of(base);
    *stats = NULL;
    *count = 0;
    cm_pg_conn *conn = cm_pg_acquire(store->pool);
    PGresult *result = NULL;
    cm_err rc = cm_pg_exec(conn, &SQL_TENANT_STATS, NULL, &result);
    cm_pg_release(conn);
    if (rc)
        return rc;
    int rows = PQntuples(result);
    q_tenant_stats *list = calloc(rows ? (size_t)rows : 1, sizeof *list);
    if (!list) {
        PQclear(result);
        return CM_ENOMEM;
    }
    for (int row = 0; row < rows; row++)
        list[row] = (q_tenant_stats){value_int(result, row, 0), value_int(result, row, 1),
                                     value_int(result, row, 2), value_int(result, row, 3)};
    PQclear(result);
    *stats = list;
    *count = (size_t)rows;
    return CM_OK;
}

/* One statement for every combination of filters: a NULL parameter means "any". */
static const cm_pg_statement SQL_ADMIN_JOBS = {
    "q_admin_jobs",
    "SELECT " JOB_COLUMNS " FROM omsgw.jobs WHERE ($1::bigint IS NULL OR tenant_id = $1::bigint)"
    " AND ($2::text IS NULL OR status = $2::text) AND ($3::text IS NULL OR oci_location = $3::text)"
    " AND ($4::bigint IS NULL OR added_ms >= $4::bigint) AND ($5::bigint IS NULL OR added_ms < $5::bigint)"
    " AND ($6::bigint IS NULL OR job_id = $6::bigint) AND ($9::text IS NULL OR type = $9::text)"
    " ORDER BY job_id DESC LIMIT $7::bigint OFFSET $8::bigint",
    9};

static cm_err pg_admin_jobs(q_store *base, const q_admin_filter *filter, q_job **jobs, size_t *count)
{
    pg_store *store = of(base);
    *jobs = NULL;
    *count = 0;
    number_text tenant = num(filter->tenant_id), from = num(filter->added_from_ms), to = num(filter->added_to_ms),
                id = num(filter->job_id), limit = num((int64_t)(filter->limit ? filter->limit : 50)),
                offset = num((int64_t)filter->offset);
    const char *values[] = {filter->tenant_id ? tenant.text : NULL,
                            filter->status >= 0 ? q_status_name((q_status)filter->status) : NULL,
                            filter->oci_location,
                            filter->added_from_ms ? from.text : NULL,
                            filter->added_to_ms ? to.text : NULL,
                            filter->job_id ? id.text : NULL,
                            limit.text,
                            offset.text,
                            filter->type};
    cm_pg_conn *conn = cm_pg_acquire(store->pool);
    PGresult *result = NULL;
    cm_err rc = cm_pg_exec(conn, &SQL_ADMIN_JOBS, values, &result);
    cm_pg_release(conn);
    if (rc)
        return rc;
    rc = jobs_of(result, jobs, count);
    PQclear(result);
    return rc;
}

static const cm_pg_statement SQL_CANCEL = {
    "q_cancel",
    "UPDATE omsgw.jobs SET status = 'FAILED', success = false, started_ms = $2::bigint, finished_ms = $2::bigint,"
    " messages = $3::jsonb"
    " WHERE job_id = $1::bigint AND status = 'PENDING' AND claimed_by IS NULL",
    3};
static const cm_pg_statement SQL_JOB_EXISTS = {"q_job_exists", "SELECT count(*) FROM omsgw.jobs WHERE job_id = $1::bigint", 1};

static cm_err pg_cancel(q_store *base, int64_t job_id, int64_t now_ms, const char *messages_json)
{
    pg_store *store = of(base);
    number_text id = num(job_id), now = num(now_ms);
    const char *values[] = {id.text, now.text, messages_json ? messages_json : "[]"};
    const char *id_values[] = {id.text};
    cm_pg_conn *conn = cm_pg_acquire(store->pool);
    PGresult *result = NULL;
    cm_err rc = cm_pg_begin(conn, 0);
    if (!rc)
        rc = cm_pg_exec(conn, &SQL_CANCEL, values, &result);
    if (!rc && cm_pg_changes(result) != 1) {
        /* Nothing changed: tell "no such job" from "not pending any more". */
        int64_t exists = 0;
        rc = single_int(conn, &SQL_JOB_EXISTS, id_values, &exists);
        if (!rc)
            rc = exists ? CM_ESTATE : CM_ENOTFOUND;
    }
    PQclear(result);
    if (!rc)
        rc = cm_pg_commit(conn);
    if (rc)
        cm_pg_rollback(conn);
    cm_pg_release(conn);
    return rc;
}

static const q_store_ops pg_ops = {
    .name = "postgresql",
    .close = pg_close,
    .installation_id = pg_installation_id,
    .accept = pg_accept,
    .get_job = pg_get_job,
    .list_jobs = pg_list_jobs,
    .count = pg_count,
    .claim = pg_claim,
    .lease_ms = pg_lease_ms,
    .renew_lease = pg_renew_lease,
    .load_chunk = pg_load_chunk,
    .checkpoint = pg_checkpoint,
    .claim_batch = pg_claim_batch,
    .checkpoint_batch = pg_checkpoint_batch,
    .dissolve_batch = pg_dissolve_batch,
    .save_chunk_state = pg_save_chunk_state,
    .load_chunk_state = pg_load_chunk_state,
    .park = pg_park,
    .release = pg_release,
    .finish = pg_finish,
    .each_failure = pg_each_failure,
    .recover = pg_recover,
    .prune = pg_prune,
    .get_extras = pg_get_extras,
    .hold = pg_hold,
    .release_hold = pg_release_hold,
    .get_hold = pg_get_hold,
    .watch = pg_watch,
    .unwatch = pg_unwatch,
    .tenant_stats = pg_tenant_stats,
    .admin_jobs = pg_admin_jobs,
    .cancel = pg_cancel,
};
