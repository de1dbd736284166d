/*
 * maintenance.c - the core's second background thread ("reaper"): every OCI_EXPIRY_POLL_MS it
 * releases the reservations whose expirationSeconds have passed (each in its own transaction,
 * with events), and every OCI_PRUNE_INTERVAL_MS it prunes in batches:
 * - imports 24 h after they finished (and WAITING ones 24 h after their link expired), with files;
 * - exports once their download link has expired, with files;
 * - delta tokens 24 h after their 23.5 h lifetime (they answer 410 meanwhile);
 * - events after 31 days (the event-log export reaches 30 days back);
 * - record and operation ids after 31 days; closed reservation documents after 31 days. Claimed
 *   record ids have no time index: each pass walks on through them in key order, at most
 *   OCI_PRUNE_ID_WINDOWS windows of OCI_PRUNE_BATCH ids (each its own transaction), so an old id
 *   goes within a lap of the walk after its 31 days (a lap of a million ids takes one pass).
 * It never touches a RUNNING import or export. Slow work never runs on the HTTP threads.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/thread_priority.h"
#include "oci_core/core_internal.h"
#include "oci_core/limits.h"
#include "oci_core/oci_core_testing.h"
#include "oci_core/reserve.h"

cm_err oci_expire_reservations(oci_core *core)
{
    for (;;) {
        char org[OCI_ORG_MAX + 1], id[OCI_RESERVATION_ID_MAX + 1];
        int found = 0;
        int64_t now = oci_core_now(core);
        oci_store_conn *reader = oci_store_read_begin(core->store);
        /* oci.reservationExpiryLagSeconds: the real service releases expired reservations 10-15 s
         * (up to about a minute) late; the lag makes the emulator do the same. */
        int64_t due = now - (int64_t)core->config->oci.reservation_expiry_lag_seconds * 1000;
        cm_err rc = reader ? oci_store_reservation_next_expired(reader, due, org, id, &found) : CM_EDB;
        oci_store_read_end(reader);
        if (rc != CM_OK || !found)
            return rc;
        oci_store_conn *writer = NULL;
        int closed = 0;
        rc = oci_store_write_begin(core->store, &writer);
        if (rc == CM_OK) {
            rc = oci_reservation_close(writer, org, id, "EXPIRED", now, &closed);
            rc = rc == CM_OK ? oci_store_write_commit(writer) : (oci_store_write_rollback(writer), rc);
        }
        if (rc != CM_OK) {
            cm_log_error("oci.expire", "org=%s reservation=%s: %s", org, id, cm_strerror(rc));
            return rc;
        }
        cm_log_info("oci.expired", "org=%s reservation=%s", org, id);
    }
}

static int unlink_file(void *context, const char *path)
{
    (void)context;
    if (unlink(path) != 0 && errno != ENOENT)
        cm_log_warn("oci.prune", "cannot remove %s: %s", path, strerror(errno));
    return 0;
}

cm_err oci_prune(oci_core *core)
{
    int64_t now = oci_core_now(core), total = 0, removed = 0;
    oci_prune_limits limits = {
        .now_ms = now,
        .finished_before_ms = now - OCI_PRUNE_FINISHED_AFTER_MS,
        .waiting_before_ms = now - OCI_PRUNE_FINISHED_AFTER_MS,
        .tokens_before_ms = now - OCI_DELTA_TOKEN_TTL_MS - OCI_PRUNE_TOKEN_GRACE_MS,
        .events_before_ms = now - OCI_EVENT_RETENTION_MS,
        .ids_before_ms = now - OCI_ID_RETENTION_MS,
        .closed_before_ms = now - OCI_ID_RETENTION_MS,
        .batch = OCI_PRUNE_BATCH,
    };
    cm_err rc;
    do {
        oci_store_conn *writer = NULL;
        rc = oci_store_write_begin(core->store, &writer);
        if (rc != CM_OK)
            break;
        rc = oci_store_prune(writer, &limits, unlink_file, core, &removed);
        rc = rc == CM_OK ? oci_store_write_commit(writer) : (oci_store_write_rollback(writer), rc);
        total += removed;
    } while (rc == CM_OK && removed > 0);
    int64_t lap = core->id_walk.laps;
    for (int window = 0; rc == CM_OK && window < OCI_PRUNE_ID_WINDOWS && core->id_walk.laps == lap; window++) {
        oci_store_conn *writer = NULL;
        rc = oci_store_write_begin(core->store, &writer);
        if (rc != CM_OK)
            break;
        rc = oci_store_prune_ids(writer, &core->id_walk, limits.ids_before_ms, limits.batch, &removed);
        rc = rc == CM_OK ? oci_store_write_commit(writer) : (oci_store_write_rollback(writer), rc);
        if (rc != CM_OK)
            core->id_walk.started = 0; /* rolled back: start the walk again next time */
        else
            total += removed;
    }
    if (rc != CM_OK)
        cm_log_error("oci.prune", "%s", cm_strerror(rc));
    else if (total > 0)
        cm_log_info("oci.pruned", "rows=%lld", (long long)total);
    return rc;
}

void *oci_reaper_main(void *data)
{
    oci_core *core = data;
    cm_thread_become_background("oci-reaper");
    int64_t next_prune = 0;
    for (;;) {
        pthread_mutex_lock(&core->worker_lock);
        if (!core->stopping) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_nsec += (long)OCI_EXPIRY_POLL_MS * 1000000L;
            until.tv_sec += until.tv_nsec / 1000000000L;
            until.tv_nsec %= 1000000000L;
            pthread_cond_timedwait(&core->worker_cond, &core->worker_lock, &until);
        }
        int stop = core->stopping;
        pthread_mutex_unlock(&core->worker_lock);
        if (stop)
            break;
        oci_expire_reservations(core);
        int64_t now = oci_core_now(core);
        if (now >= next_prune) {
            oci_prune(core);
            next_prune = now + OCI_PRUNE_INTERVAL_MS;
        }
    }
    return NULL;
}

void oci_core_testing_prune_now(oci_core *core)
{
    oci_prune(core);
}

void oci_core_testing_import_batches(oci_core *core, int batches)
{
    pthread_mutex_lock(&core->worker_lock);
    core->batch_budget = batches;
    pthread_mutex_unlock(&core->worker_lock);
}
