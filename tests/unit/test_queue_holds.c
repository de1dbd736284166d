/*
 * test_queue_holds.c - tenant holds (queue/store.h q_store_hold, queue/hold_watch.c) on real
 * SQLite files and a real PostgreSQL server: an operator hold keeps a tenant waiting and
 * holding again replaces the reason, a hold stops a running job at the next chunk boundary, and
 * the pool's watcher holds an organization's tenants while its graph changes and clears what a
 * previous run left.
 */
#include "tests/support/queue_fixture.h"

#include <libpq-fe.h>
#include <sqlite3.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/body.h"
#include "common/clock.h"
#include "common/json_util.h"
#include "queue/adjust.h"
#include "queue/retry.h"
#include "tests/support/omsgw_process.h"

/* A held tenant's jobs stay PENDING, in order, while other tenants run. */
static void test_hold_keeps_a_tenant_waiting(void **state)
{
    qf_fixture *f = *state;
    int64_t held_job = qf_accept_job(f, 1, 3, "HK", 3, 100, 3000);
    int64_t held_next = qf_accept_job(f, 1, 3, "HK", 3, 200, 3000);
    int64_t other = qf_accept_job(f, 2, 3, "HO", 3, 100, 3000);
    assert_int_equal(q_store_hold(f->store, 1, Q_HOLD_OPERATOR, "first reason", cm_now_ms()), CM_OK);
    assert_int_equal(q_store_hold(f->store, 1, Q_HOLD_OPERATOR, "maintenance window", cm_now_ms()), CM_OK);
    char *reason = NULL;
    assert_int_equal(q_store_get_hold(f->store, 1, &reason), CM_OK);
    assert_string_equal(reason, "maintenance window"); /* holding again replaces the reason */
    free(reason);
    assert_int_equal(q_store_get_hold(f->store, 2, &reason), CM_ENOTFOUND);
    qf_start_pool(f, 2, 60000);
    q_job job = qf_wait_finished(f, 2, other, 20000);
    assert_int_equal(job.status, Q_SUCCESS);
    q_job_clear(&job);
    cm_sleep_ms(300);
    assert_int_equal(q_store_get_job(f->store, 1, held_job, &job), CM_OK);
    assert_int_equal(job.status, Q_PENDING);
    q_job_clear(&job);
    assert_int_equal(q_store_release_hold(f->store, 1, Q_HOLD_OPERATOR), CM_OK);
    assert_int_equal(q_store_release_hold(f->store, 1, Q_HOLD_OPERATOR), CM_ENOTFOUND);
    job = qf_wait_finished(f, 1, held_next, 20000);
    assert_int_equal(job.status, Q_SUCCESS);
    q_job_clear(&job);
    assert_int_equal(*qf_on_hand_slot(f->delivery, "HK-2"), 202 * 1000); /* in order: the later job won */
    assert_int_equal(q_store_get_hold(f->store, 1, &reason), CM_ENOTFOUND);
}

/* A hold that comes while a job runs stops it at the next chunk boundary; released, it resumes
 * where it stopped: no chunk delivered twice, and it is not an interruption. */
static void test_hold_pauses_a_running_job_between_chunks(void **state)
{
    qf_fixture *f = *state;
    f->delivery->delay_ms = 300;
    int64_t id = qf_accept_job(f, 1, 3000, "HP", 3000, 0, 500);
    qf_start_pool(f, 1, 60000);
    q_job job;
    for (int waited = 0; waited < 20000; waited += 20) {
        assert_int_equal(q_store_get_job(f->store, 1, id, &job), CM_OK);
        int64_t done = job.chunks_done;
        q_job_clear(&job);
        if (done >= 1)
            break;
        cm_sleep_ms(20);
    }
    assert_int_equal(q_store_hold(f->store, 1, Q_HOLD_OPERATOR, "pause", cm_now_ms()), CM_OK);
    cm_sleep_ms(1500); /* several chunks' worth of time */
    assert_int_equal(q_store_get_job(f->store, 1, id, &job), CM_OK);
    assert_int_equal(job.status, Q_WORKING);
    int64_t paused_at = job.chunks_done;
    assert_true(paused_at < 6);
    q_job_clear(&job);
    cm_sleep_ms(700);
    assert_int_equal(q_store_get_job(f->store, 1, id, &job), CM_OK);
    assert_int_equal(job.chunks_done, paused_at);
    q_job_clear(&job);
    assert_int_equal(q_store_release_hold(f->store, 1, Q_HOLD_OPERATOR), CM_OK);
    job = qf_wait_finished(f, 1, id, 30000);
    assert_int_equal(job.status, Q_SUCCESS);
    assert_int_equal(job.items_applied, 3000);
    assert_int_equal(job.interruptions, 0);
    q_job_clear(&job);
    assert_int_equal(f->delivery->call_count, 6);
    assert_int_equal(f->delivery->double_applies, 0);
}

/* The pool's watcher holds the organization's tenants while the delivery says its graph changes,
 * and at start clears graph holds a previous run left. */
static void test_hold_watch_follows_the_graph(void **state)
{
    qf_fixture *f = *state;
    assert_int_equal(q_store_hold(f->store, 3, Q_HOLD_GRAPH_CHANGE, "left by a previous run", cm_now_ms()), CM_OK);
    assert_int_equal(q_store_hold(f->store, 2, Q_HOLD_OPERATOR, "an operator's", cm_now_ms()), CM_OK);
    qf_start_pool(f, 1, 60000);
    char *reason = NULL;
    cm_err rc = CM_OK;
    for (int waited = 0; waited < 5000 && rc == CM_OK; waited += 20) {
        free(reason);
        reason = NULL;
        rc = q_store_get_hold(f->store, 3, &reason);
        if (rc == CM_OK)
            cm_sleep_ms(20);
    }
    assert_int_equal(rc, CM_ENOTFOUND);
    /* Operator holds are not the watcher's to lift. */
    assert_int_equal(q_store_get_hold(f->store, 2, &reason), CM_OK);
    assert_string_equal(reason, "an operator's");
    free(reason);
    atomic_store(&f->delivery->graph_changing, 1);
    rc = CM_ENOTFOUND;
    for (int waited = 0; waited < 5000 && rc == CM_ENOTFOUND; waited += 20) {
        rc = q_store_get_hold(f->store, 1, &reason);
        if (rc == CM_ENOTFOUND)
            cm_sleep_ms(20);
    }
    assert_int_equal(rc, CM_OK);
    free(reason);
    int64_t id = qf_accept_job(f, 1, 2, "HW", 2, 0, 3000);
    /* Every kind of hold must go before the tenant runs: an operator holds it too. */
    assert_int_equal(q_store_hold(f->store, 1, Q_HOLD_OPERATOR, "and an operator", cm_now_ms()), CM_OK);
    cm_sleep_ms(300);
    q_job job;
    assert_int_equal(q_store_get_job(f->store, 1, id, &job), CM_OK);
    assert_int_equal(job.status, Q_PENDING);
    q_job_clear(&job);
    atomic_store(&f->delivery->graph_changing, 0);
    for (int waited = 0; waited < 5000; waited += 20) {
        assert_int_equal(q_store_get_hold(f->store, 1, &reason), CM_OK);
        int graph_gone = strcmp(reason, "and an operator") == 0;
        free(reason);
        if (graph_gone)
            break;
        cm_sleep_ms(20);
    }
    cm_sleep_ms(300);
    assert_int_equal(q_store_get_job(f->store, 1, id, &job), CM_OK);
    assert_int_equal(job.status, Q_PENDING);
    q_job_clear(&job);
    assert_int_equal(q_store_release_hold(f->store, 1, Q_HOLD_OPERATOR), CM_OK);
    job = qf_wait_finished(f, 1, id, 20000);
    assert_int_equal(job.status, Q_SUCCESS);
    q_job_clear(&job);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        QF_ON_BOTH(test_hold_keeps_a_tenant_waiting),
        QF_ON_BOTH(test_hold_pauses_a_running_job_between_chunks),
        QF_ON_BOTH(test_hold_watch_follows_the_graph),
    };
    return cmocka_run_group_tests(tests, NULL, qf_group_teardown);
}
