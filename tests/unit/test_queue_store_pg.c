/*
 * test_queue_store_pg.c - what only the PostgreSQL store (queue/store_pg.c) promises, on a real
 * server the test starts: lease expiry with takeover and fencing, leases renewed while a job
 * runs, two instances sharing one queue, LISTEN/NOTIFY waking idle workers, migrations that
 * race and a newer schema refused, connection errors that hide the password, a database
 * restart, and a batch taken over after its lease expired.
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

/* An instance that stops renewing (killed, or paused past its lease) loses the job to the next
 * claim, and everything it tries afterwards is refused: the new holder's progress is safe. */
static void test_lease_expiry_takeover_and_fencing(void **state)
{
    qf_fixture *f = *state;
    assert_int_equal(q_store_lease_ms(f->store), QF_SHORT_LEASE_MS);
    int64_t id = qf_accept_job(f, 3, 7000, "LE", 7000, 0, 3000);
    q_job job;
    assert_int_equal(q_store_claim(f->store, "dead", cm_now_ms(), &job), CM_OK);
    assert_int_equal(job.job_id, id);
    q_job_clear(&job);
    q_checkpoint cp = {.job_id = id, .tenant_id = 3, .oci_location = "loc-1", .worker_token = "dead",
                       .chunk_index = 0, .items_applied = 3000, .now_ms = cm_now_ms()};
    assert_int_equal(q_store_checkpoint(f->store, &cp), CM_OK);
    assert_int_equal(q_store_renew_lease(f->store, id, "dead"), CM_OK);
    /* While the lease runs, nobody else gets the job. */
    assert_int_equal(q_store_claim(f->store, "alive", cm_now_ms(), &job), CM_ENOTFOUND);
    cm_sleep_ms(QF_SHORT_LEASE_MS + 500);
    assert_int_equal(q_store_claim(f->store, "alive", cm_now_ms(), &job), CM_OK);
    assert_int_equal(job.job_id, id);
    assert_int_equal(job.interruptions, 1);
    assert_int_equal(job.chunks_done, 1);
    assert_int_equal(job.attempts, 2);
    assert_non_null(strstr(job.messages_json, "interrupted at chunk 2 of 3"));
    q_job_clear(&job);
    /* The stale owner wakes up: every fenced call is refused and changes nothing. */
    cp.chunk_index = 1;
    assert_int_equal(q_store_checkpoint(f->store, &cp), CM_ESTATE);
    assert_int_equal(q_store_renew_lease(f->store, id, "dead"), CM_ESTATE);
    assert_int_equal(q_store_park(f->store, id, "dead", cm_now_ms(), cm_now_ms(), "late"), CM_ESTATE);
    assert_int_equal(q_store_release(f->store, id, "dead"), CM_ESTATE);
    assert_int_equal(q_store_finish(f->store, id, "dead", Q_FAILED, 0, "[\"late\"]", cm_now_ms()), CM_ESTATE);
    assert_int_equal(q_store_get_job(f->store, 3, id, &job), CM_OK);
    assert_int_equal(job.chunks_done, 1);
    assert_int_equal(job.status, Q_WORKING);
    q_job_clear(&job);
    /* The new owner goes on. */
    cp.worker_token = "alive";
    assert_int_equal(q_store_checkpoint(f->store, &cp), CM_OK);
    cp.chunk_index = 2;
    cp.items_applied = 1000;
    cp.finish_success = 1;
    assert_int_equal(q_store_checkpoint(f->store, &cp), CM_OK);
    job = qf_wait_finished(f, 3, id, 1000);
    assert_int_equal(job.status, Q_SUCCESS);
    assert_int_equal(job.items_applied, 7000);
    q_job_clear(&job);
}

/* A job that runs longer than its lease keeps it: the pool's lease keeper renews it. */
static void test_lease_is_renewed_while_running(void **state)
{
    qf_fixture *f = *state;
    f->delivery->delay_ms = QF_SHORT_LEASE_MS + 800; /* each chunk outlasts one lease */
    int64_t id = qf_accept_job(f, 1, 4000, "LR", 4000, 0, 3000);
    qf_start_pool(f, 2, 60000);
    q_job job = qf_wait_finished(f, 1, id, 60000);
    assert_int_equal(job.status, Q_SUCCESS);
    assert_int_equal(job.interruptions, 0);
    assert_int_equal(job.attempts, 1);
    q_job_clear(&job);
    assert_int_equal(f->delivery->call_count, 2);
}

/* Two stores on one database are two instances: ids unique and increasing, any instance reads any
 * job, a tenant's jobs one at a time in acceptance order, and the last refresh of a sku wins. */
static void test_two_instances_share_the_queue(void **state)
{
    qf_fixture *f = *state;
    q_store *second = qf_open_store(f, 0);
    f->delivery->delay_ms = 5;
    enum { JOBS_PER_TENANT = 8 };
    int64_t ids[3][JOBS_PER_TENANT];
    int64_t last_id = 0;
    for (int j = 0; j < JOBS_PER_TENANT; j++)
        for (int t = 0; t < 3; t++) {
            q_store *into = (j + t) % 2 ? second : f->store;
            char prefix[16];
            snprintf(prefix, sizeof prefix, "TI%d", t);
            ids[t][j] = qf_accept_job_into(into, t + 1, 20, prefix, 20, (j + 1) * 1000, 3000);
            assert_true(ids[t][j] > last_id);
            last_id = ids[t][j];
        }
    qf_start_pool(f, 2, 60000);
    q_pool *other = qf_start_pool_on(f, second, 2, 60000, 20);
    for (int t = 0; t < 3; t++)
        for (int j = 0; j < JOBS_PER_TENANT; j++) {
            /* Read through the store that did not accept it. */
            q_job job;
            q_store *reader = (j + t) % 2 ? f->store : second;
            int finished = 0;
            for (int waited = 0; waited < 60000 && !finished; waited += 20) {
                assert_int_equal(q_store_get_job(reader, t + 1, ids[t][j], &job), CM_OK);
                finished = job.status == Q_SUCCESS || job.status == Q_FAILED;
                if (finished)
                    assert_int_equal(job.status, Q_SUCCESS);
                q_job_clear(&job);
                if (!finished)
                    cm_sleep_ms(20);
            }
            assert_true(finished);
        }
    q_pool_stop(other);
    assert_int_equal(f->delivery->max_per_tenant_concurrent, 1);
    assert_int_equal(f->delivery->double_applies, 0);
    /* Per tenant, the chunks were delivered in job id order. */
    for (int t = 1; t <= 3; t++) {
        int64_t previous = 0;
        for (size_t c = 0; c < f->delivery->call_count; c++) {
            if (f->delivery->calls[c].tenant_id != t)
                continue;
            assert_true(f->delivery->calls[c].job_id > previous);
            previous = f->delivery->calls[c].job_id;
        }
    }
    for (int t = 0; t < 3; t++)
        for (int sku = 0; sku < 20; sku++) {
            char name[32];
            snprintf(name, sizeof name, "TI%d-%d", t, sku);
            assert_int_equal(*qf_on_hand_slot(f->delivery, name), (JOBS_PER_TENANT * 1000 + sku) * 1000);
        }
    q_store_close(second);
}

/* A job accepted by another instance wakes idle workers at once through LISTEN/NOTIFY: the pool
 * here polls only every 60 s, so a prompt finish can only come from the notification. */
static void test_notify_wakes_idle_workers(void **state)
{
    qf_fixture *f = *state;
    q_store *second = qf_open_store(f, 0);
    f->pool = qf_start_pool_on(f, f->store, 1, 60000, 60000);
    cm_sleep_ms(500); /* the worker found nothing and sleeps */
    int64_t id = qf_accept_job_into(second, 2, 3, "NW", 3, 0, 3000);
    q_job job = qf_wait_finished(f, 2, id, 20000);
    assert_int_equal(job.status, Q_SUCCESS);
    q_job_clear(&job);
    q_store_close(second);
}

typedef struct opener {
    qf_fixture *f;
    cm_err rc;
    q_store *store;
} opener;

static void *open_in_thread(void *data)
{
    opener *o = data;
    q_store_options options = {.backend = Q_STORE_POSTGRESQL, .url = o->f->url, .connections = 2};
    char error[Q_STORE_ERROR_MAX];
    o->rc = q_store_open(&options, &o->store, error);
    return NULL;
}

/* Instances starting together migrate once (advisory lock); a schema newer than this build is
 * refused with a clear line. */
static void test_migrations_race_and_newer_schema(void **state)
{
    qf_fixture *f = *state;
    char name[32], url[512];
    snprintf(name, sizeof name, "queue_race_%d", ++qf_database_counter);
    assert_int_equal(th_pg_create_database(&qf_pg_server, name, url, sizeof url), 0);
    qf_fixture fresh = *f;
    snprintf(fresh.url, sizeof fresh.url, "%s", url);
    opener openers[3];
    pthread_t threads[3];
    for (int i = 0; i < 3; i++) {
        openers[i] = (opener){.f = &fresh};
        assert_int_equal(pthread_create(&threads[i], NULL, open_in_thread, &openers[i]), 0);
    }
    for (int i = 0; i < 3; i++) {
        pthread_join(threads[i], NULL);
        assert_int_equal(openers[i].rc, CM_OK);
    }
    /* All three see one installation id: the schema was made once. */
    assert_string_equal(q_store_installation_id(openers[0].store), q_store_installation_id(openers[1].store));
    assert_string_equal(q_store_installation_id(openers[0].store), q_store_installation_id(openers[2].store));
    for (int i = 0; i < 3; i++)
        q_store_close(openers[i].store);
    PGconn *admin = PQconnectdb(url);
    assert_int_equal(PQstatus(admin), CONNECTION_OK);
    PGresult *result = PQexec(admin, "UPDATE omsgw.schema_version SET version = 99 WHERE component = 'queue'");
    assert_int_equal(PQresultStatus(result), PGRES_COMMAND_OK);
    PQclear(result);
    PQfinish(admin);
    q_store_options options = {.backend = Q_STORE_POSTGRESQL, .url = url, .connections = 1};
    char error[Q_STORE_ERROR_MAX];
    q_store *store = NULL;
    assert_int_equal(q_store_open(&options, &store, error), CM_ESTATE);
    assert_null(store);
    assert_non_null(strstr(error, "version 99, newer than this omsgw knows"));
}

/* Start-up errors name the problem in one line and never show the password. */
static void test_connection_errors_hide_the_password(void **state)
{
    (void)state;
    struct {
        const char *before_port, *after_port;
        int unused_port;
        cm_err expected;
        const char *says;
    } cases[] = {
        {"mysql://omsgw:Zq9-hidden@127.0.0.1:", "/postgres", 0, CM_ECONFIG, "postgresql:// URL"},
        {"postgresql://omsgw:Zq9-hidden@127.0.0.1:", "/postgres?no_such_option=1", 0, CM_ECONFIG, "not a valid"},
        {"postgresql://omsgw:Zq9-hidden@127.0.0.1:", "/postgres?sslmode=sometimes", 0, CM_EUNAVAILABLE,
         "invalid sslmode value"},
        {"postgresql://omsgw:Zq9-hidden@127.0.0.1:", "/postgres", 0, CM_EUNAVAILABLE, "password authentication failed"},
        {"postgresql://omsgw:Zq9%2Dhidden@127.0.0.1:", "/postgres", 0, CM_EUNAVAILABLE, "password authentication failed"},
        {"postgresql://omsgw:Zq9-hidden@127.0.0.1:", "/postgres", 1, CM_EUNAVAILABLE, "cannot connect"},
    };
    int nobody_listens = th_free_port();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char url[300];
        snprintf(url, sizeof url, "%s%d%s", cases[i].before_port, cases[i].unused_port ? nobody_listens : qf_pg_server.port,
                 cases[i].after_port);
        q_store_options options = {.backend = Q_STORE_POSTGRESQL, .url = url, .connections = 1};
        char error[Q_STORE_ERROR_MAX] = "";
        q_store *store = NULL;
        cm_err rc = q_store_open(&options, &store, error);
        if (rc != cases[i].expected || !strstr(error, cases[i].says))
            fail_msg("case %zu: %s: got %s: %s", i, url, cm_strerror(rc), error);
        assert_null(store);
        assert_null(strstr(error, "Zq9-hidden"));
        assert_null(strstr(error, "Zq9%2Dhidden"));
        assert_null(strchr(error, '\n'));
    }
}

/* PostgreSQL going away: calls fail with CM_EUNAVAILABLE (the routes answer 503), nothing is
 * lost, and the store reconnects by itself when the server is back. */
static void test_database_restart(void **state)
{
    qf_fixture *f = *state;
    int64_t before = qf_accept_job(f, 1, 5, "DR", 5, 0, 3000);
    th_pg_stop(&qf_pg_server);
    q_job job;
    cm_err rc = q_store_get_job(f->store, 1, before, &job);
    assert_int_equal(rc, CM_EUNAVAILABLE);
    q_new_job refused = {.tenant_id = 1, .location_name = "L", .oci_location = "loc-1", .organization_id = "org1",
                         .accepted_ms = cm_now_ms(), .item_count = 1, .chunk_size = 3000,
                         .chunk_payloads = (const char *const[]){"[{\"sku\":\"DR-0\",\"quantity\":1}]"},
                         .chunk_lengths = (const size_t[]){30}, .chunk_count = 1};
    int64_t id = 0;
    assert_int_equal(q_store_accept(f->store, &refused, &id), CM_EUNAVAILABLE);
    assert_int_equal(q_store_claim(f->store, "w", cm_now_ms(), &job), CM_EUNAVAILABLE);
    assert_int_equal(th_pg_restart(&qf_pg_server), 0);
    for (int waited = 0; waited < 20000; waited += 100) {
        rc = q_store_get_job(f->store, 1, before, &job);
        if (rc != CM_EUNAVAILABLE)
            break;
        cm_sleep_ms(100);
    }
    assert_int_equal(rc, CM_OK);
    assert_int_equal(job.status, Q_PENDING);
    q_job_clear(&job);
    int64_t after = qf_accept_job(f, 1, 5, "DR", 5, 100, 3000);
    assert_true(after > before);
    qf_start_pool(f, 2, 60000);
    job = qf_wait_finished(f, 1, after, 20000);
    assert_int_equal(job.status, Q_SUCCESS);
    q_job_clear(&job);
    assert_int_equal(*qf_on_hand_slot(f->delivery, "DR-4"), 104 * 1000);
}

/* PostgreSQL: a batch whose instance stopped renewing is taken over whole with its head, and the
 * old holder's checkpoint of it is refused. */
static void test_batch_takeover_after_lease_expiry(void **state)
{
    qf_fixture *f = *state;
    int64_t first = qf_accept_job(f, 1, 1, "TK", 1, 0, 3000);
    int64_t second = qf_accept_job(f, 1, 1, "TK", 1, 5, 3000);
    q_job head;
    assert_int_equal(q_store_claim(f->store, "dead", cm_now_ms(), &head), CM_OK);
    q_job *members = NULL;
    size_t count = 0;
    assert_int_equal(q_store_claim_batch(f->store, &head, "dead", 3000, 100, 1, cm_now_ms(), &members, &count), CM_OK);
    assert_int_equal(count, 1);
    assert_int_equal(members[0].job_id, second);
    qf_free_members(members, count);
    q_job_clear(&head);
    q_store *other = qf_open_store(f, QF_SHORT_LEASE_MS);
    int64_t deadline = cm_mono_ms() + 4 * QF_SHORT_LEASE_MS;
    cm_err rc;
    while ((rc = q_store_claim(other, "alive", cm_now_ms(), &head)) == CM_ENOTFOUND && cm_mono_ms() < deadline)
        cm_sleep_ms(50);
    assert_int_equal(rc, CM_OK);
    assert_int_equal(head.job_id, first);
    assert_int_equal(q_store_claim_batch(other, &head, "alive", 3000, 100, 0, cm_now_ms(), &members, &count), CM_OK);
    assert_int_equal(count, 1);
    assert_int_equal(members[0].job_id, second);
    assert_int_equal(members[0].interruptions, 1);
    q_checkpoint stale[2] = {qf_batch_checkpoint(&head, "dead"), qf_batch_checkpoint(&members[0], "dead")};
    assert_int_equal(q_store_checkpoint_batch(f->store, stale, 2), CM_ESTATE);
    assert_int_equal(q_store_renew_lease(other, head.job_id, "alive"), CM_OK);
    q_checkpoint live[2] = {qf_batch_checkpoint(&head, "alive"), qf_batch_checkpoint(&members[0], "alive")};
    assert_int_equal(q_store_checkpoint_batch(other, live, 2), CM_OK);
    qf_free_members(members, count);
    q_job_clear(&head);
    q_job job;
    assert_int_equal(q_store_get_job(other, 1, second, &job), CM_OK);
    assert_int_equal(job.status, Q_SUCCESS);
    q_job_clear(&job);
    q_store_close(other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        QF_ON_POSTGRESQL_SHORT_LEASE(test_lease_expiry_takeover_and_fencing),
        QF_ON_POSTGRESQL_SHORT_LEASE(test_lease_is_renewed_while_running),
        QF_ON_POSTGRESQL(test_two_instances_share_the_queue),
        QF_ON_POSTGRESQL(test_notify_wakes_idle_workers),
        QF_ON_POSTGRESQL(test_migrations_race_and_newer_schema),
        QF_ON_POSTGRESQL(test_connection_errors_hide_the_password),
        QF_ON_POSTGRESQL(test_database_restart),
        QF_ON_POSTGRESQL_SHORT_LEASE(test_batch_takeover_after_lease_expiry),
    };
    return cmocka_run_group_tests(tests, NULL, qf_group_teardown);
}
