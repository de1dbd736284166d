/*
 * test_backup.c - `omsgw backup` while the real server accepts and applies jobs, then
 * `omsgw restore` into a fresh folder: every job answered before the backup began is in the
 * restored copy and ends SUCCESS there. restore refuses a folder a server holds, and a folder
 * that already has databases.
 */
#include "tests/e2e/e2e_legacy.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>

#define BACKUP_JOBS_BEFORE 15
#define BACKUP_MAX_JOBS 4096

static int64_t answered[BACKUP_MAX_JOBS];
static atomic_int answered_count;
static atomic_int stop_sending;
static int gateway_port;

/* Posts refreshes until told to stop, recording each answered jobID (no cmocka calls here: this
 * runs on its own thread). */
static void *sender(void *data)
{
    (void)data;
    long round = 0;
    while (!atomic_load(&stop_sending) && atomic_load(&answered_count) < BACKUP_MAX_JOBS) {
        char *body = e2e_refresh_body("Location 1", 50, "BACKUP", round++);
        th_response response;
        if (e2e_call(gateway_port, "POST", "/api/v5/inventory/refresh", DEMO_TENANT, DEMO_V5_KEY, body, &response) ==
                0 &&
            response.status == 200) {
            json_object *reply = th_json(&response);
            if (reply) {
                answered[atomic_load(&answered_count)] = json_object_get_int64(json_object_object_get(reply, "jobID"));
                atomic_fetch_add(&answered_count, 1);
                json_object_put(reply);
            }
        }
        th_response_free(&response);
        free(body);
    }
    return NULL;
}

static void backup_while_serving_then_restore(void **state)
{
    (void)state;
    th_omsgw server;
    th_omsgw_start(&server, NULL);
    gateway_port = server.gateway_port;
    for (int i = 0; i < BACKUP_JOBS_BEFORE; i++) {
        char *body = e2e_refresh_body("Location 1", 50, "BEFORE", i);
        answered[i] = e2e_refresh(server.gateway_port, "/api/v5/inventory/refresh", DEMO_V5_KEY, body);
        free(body);
    }
    atomic_store(&answered_count, BACKUP_JOBS_BEFORE);
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, sender, NULL), 0);
    /* Let the sender get going so the backup overlaps accepting and applying. */
    while (atomic_load(&answered_count) < BACKUP_JOBS_BEFORE + 5)
        usleep(5000);
    int before_backup = atomic_load(&answered_count);
    char backup_dir[300], restored_dir[300];
    snprintf(backup_dir, sizeof backup_dir, "%s/backup", server.dir);
    snprintf(restored_dir, sizeof restored_dir, "%s/restored", server.dir);
    const char *backup[] = {"backup", "--to", backup_dir, "--data-dir", server.data_dir, NULL};
    char *output = NULL;
    int code = th_omsgw_run(backup, &output);
    if (code != 0)
        fail_msg("backup exited %d: %s", code, output);
    assert_non_null(strstr(output, "oci.db"));
    free(output);
    int after_backup = atomic_load(&answered_count);
    atomic_store(&stop_sending, 1);
    pthread_join(thread, NULL);
    assert_true(after_backup > before_backup || after_backup >= BACKUP_JOBS_BEFORE + 5);

    /* restore refuses the folder the running server holds. */
    const char *into_live[] = {"restore", "--from", backup_dir, "--data-dir", server.data_dir, NULL};
    assert_int_equal(th_omsgw_run(into_live, &output), 2);
    assert_non_null(strstr(output, "is in use by another omsgw process"));
    free(output);
    assert_int_equal(th_omsgw_stop(&server, SIGTERM, 10000), 0);

    const char *restore[] = {"restore", "--from", backup_dir, "--data-dir", restored_dir, NULL};
    code = th_omsgw_run(restore, &output);
    if (code != 0)
        fail_msg("restore exited %d: %s", code, output);
    free(output);
    /* A second restore into the same folder would mix two states. */
    assert_int_equal(th_omsgw_run(restore, &output), 2);
    assert_non_null(strstr(output, "already holds gateway.db"));
    free(output);

    th_omsgw restored = server;
    snprintf(restored.data_dir, sizeof restored.data_dir, "%s", restored_dir);
    restored.gateway_port = th_free_port();
    restored.oci_port = th_free_port();
    assert_int_equal(th_omsgw_launch(&restored, NULL), 0);
    for (int i = 0; i < before_backup; i++) {
        json_object *job = e2e_wait_job(restored.gateway_port, "/api/v1/queue/", DEMO_V5_KEY, answered[i], 60000);
        const char *status = json_object_get_string(json_object_object_get(job, "status"));
        if (strcmp(status, "SUCCESS") != 0)
            fail_msg("job %lld is %s after the restore", (long long)answered[i], status);
        json_object_put(job);
    }
    assert_int_equal(th_omsgw_stop(&restored, SIGTERM, 10000), 0);
    th_omsgw_cleanup(&restored);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(backup_while_serving_then_restore),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
