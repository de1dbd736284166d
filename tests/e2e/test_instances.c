/*
 * test_instances.c - several `omsgw serve` on one real PostgreSQL, delivering over HTTP to one real
 * `omsgw oci-core` (the topology of the README's "Running several instances"):
 * - start-up errors of the storage settings: exit 2, one line, never the password;
 * - three instances, jobs (refreshes and adjusts) of three tenants sent round-robin, instances killed with SIGKILL at random
 *   moments and restarted: every answered job ends SUCCESS, readable from every instance, ids
 *   unique, a tenant's job k started only after job k-1 finished (or, coalesced with it into one
 *   delivery, finished in the same transaction), every SKU at the last accepted
 *   quantity plus the later deltas (each applied exactly once), no record id applied twice in the core;
 * - PostgreSQL stopped and started mid-run: JSON 503 while it is away, everything answered before
 *   and after ends SUCCESS.
 */
#include "common/body.h"
#include "tests/e2e/e2e_core_state.h"
#include "tests/e2e/e2e_legacy.h"
#include "tests/support/pg_server.h"

#include <signal.h>
#include <time.h>

#define INSTANCES 3
#define TENANTS 3
#define SKU_POOL 200
#define MAX_JOBS 300
#define MIN_KILLS 10
#define KILL_TIME_BUDGET_MS 120000
#define ORG "f_ecom_demo_001"

static const char *const tenant_ids[TENANTS] = {"12345", "23456", "45678"};
static const char *const tenant_keys[TENANTS] = {"demo-v5-key", "second-v5-key", "third-v5-key"};
static const char *const tenant_prefix[TENANTS] = {"IA", "IB", "IC"};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The configuration every instance shares: PostgreSQL storage, HTTP delivery to the core. */
static char *instance_config(const char *storage_url, int core_port, int lease_seconds)
{
    cm_body body;
    cm_body_init(&body, 1 << 16);
    cm_body_appendf(&body,
                    "{\"gateway\": {\"port\": 8080},"
                    " \"oci\": {\"port\": 0, \"organizations\": [{\"id\": \"" ORG "\","
                    "   \"locationGraph\": \"location-graph.json\","
                    "   \"tokens\": [{\"token\": \"demo-oci-token\", \"scopes\": [\"sfcc.inventory.availability\","
                    "     \"sfcc.inventory.availability.rw\", \"sfcc.inventory.impex-inventory\","
                    "     \"sfcc.inventory.impex-inventory.rw\", \"sfcc.inventory.impex-graphs\"]}]}]},"
                    " \"storage\": {\"backend\": \"postgresql\"%s%s%s},"
                    " \"delivery\": {\"mode\": \"http\", \"baseUrl\": \"http://127.0.0.1:%d\", \"token\": \"demo-oci-token\","
                    "   \"timeoutSeconds\": 10},"
                    " \"queue\": {\"workers\": 2, \"chunkSize\": 500, \"leaseSeconds\": %d, \"retryBudgetSeconds\": 600},"
                    " \"tenants\": [",
                    storage_url ? ", \"url\": \"" : "", storage_url ? storage_url : "", storage_url ? "\"" : "",
                    core_port, lease_seconds);
    for (int t = 0; t < TENANTS; t++)
        cm_body_appendf(&body,
                        "%s{\"id\": %s, \"translatedApis\": true, \"apiKeys\": {\"v5\": \"%s\"},"
                        " \"organizationId\": \"" ORG "\", \"locations\": {\"Location 1\": \"warehouse-1\"}}",
                        t ? "," : "", tenant_ids[t], tenant_keys[t]);
    cm_body_appendf(&body, "]}");
    return cm_body_take(&body, NULL);
}

typedef struct cluster {
    th_pg pg;
    char url[512];
    th_omsgw core;
    th_omsgw instances[INSTANCES];
    int instance_count;
} cluster;

static void start_core(cluster *c)
{
    th_omsgw_prepare(&c->core, NULL);
    if (th_omsgw_launch_as(&c->core, "oci-core", NULL) != 0)
        fail_msg("omsgw oci-core did not start");
}

static void prepare_instance(cluster *c, int index, int lease_seconds)
{
    char *config = instance_config(c->url, c->core.oci_port, lease_seconds);
    th_omsgw_prepare(&c->instances[index], config);
    free(config);
    c->instances[index].oci_port = 0; /* no bundled core listener: they all deliver to c->core */
}

static void launch_instance(cluster *c, int index)
{
    if (th_omsgw_launch(&c->instances[index], NULL) != 0)
        fail_msg("instance %d did not start", index);
}

static void start_cluster(cluster *c, int instances, int lease_seconds)
{
    memset(c, 0, sizeof *c);
    assert_int_equal(th_pg_start(&c->pg, 0), 0);
    assert_int_equal(th_pg_create_database(&c->pg, "omsgw", c->url, sizeof c->url), 0);
    start_core(c);
    c->instance_count = instances;
    for (int i = 0; i < instances; i++) {
        prepare_instance(c, i, lease_seconds);
        launch_instance(c, i);
    }
}

static void stop_cluster(cluster *c)
{
    for (int i = 0; i < c->instance_count; i++)
        th_omsgw_cleanup(&c->instances[i]);
    th_omsgw_cleanup(&c->core);
    th_pg_cleanup(&c->pg);
}

/* ---- start-up errors ---- */

/* Runs `omsgw serve` with `config`; expects exit 2 with output containing `says` and no password. */
static void expect_refused(const char *config, const char *says)
{
    th_omsgw process;
    th_omsgw_prepare(&process, config);
    char gateway_port[16];
    snprintf(gateway_port, sizeof gateway_port, "%d", process.gateway_port);
    const char *args[] = {"serve", "--config", process.config_path, "--data-dir", process.data_dir,
                          "--gateway-port", gateway_port, "--oci-port", "0", NULL};
    char *output = NULL;
    int status = th_omsgw_run(args, &output);
    if (status != 2 || !output || !strstr(output, says))
        fail_msg("expected exit 2 saying \"%s\", got %d: %s", says, status, output ? output : "");
    assert_null(strstr(output, "Zq9-hidden"));
    assert_null(strstr(output, TH_PG_PASSWORD));
    /* One line. */
    char *newline = strchr(output, '\n');
    if (newline && newline[1] != '\0')
        fail_msg("more than one line: %s", output);
    free(output);
    th_omsgw_cleanup(&process);
}

static void test_storage_startup_errors(void **state)
{
    (void)state;
    th_pg pg;
    assert_int_equal(th_pg_start(&pg, 0), 0);
    char url[600];
    char *config = NULL;

    config = instance_config(NULL, 1, 60);
    expect_refused(config, "field storage.url: is required for backend postgresql");
    free(config);

    config = instance_config("mysql://omsgw:Zq9-hidden@127.0.0.1:1/x", 1, 60);
    expect_refused(config, "storage.url must be a postgresql:// URL");
    free(config);

    config = instance_config("postgresql://omsgw:Zq9-hidden@127.0.0.1:1/x?no_such_option=1", 1, 60);
    expect_refused(config, "storage.url is not a valid PostgreSQL URL");
    free(config);

    snprintf(url, sizeof url, "postgresql://omsgw:Zq9-hidden@127.0.0.1:%d/postgres", pg.port);
    config = instance_config(url, 1, 60);
    expect_refused(config, "password authentication failed");
    free(config);

    snprintf(url, sizeof url, "postgresql://omsgw:Zq9-hidden@127.0.0.1:%d/postgres", th_free_port());
    config = instance_config(url, 1, 60);
    expect_refused(config, "cannot connect to PostgreSQL");
    free(config);

    /* OMSGW_DATABASE_URL wins over storage.url: the wrong URL in the file is never used. */
    char good[512];
    th_pg_url(&pg, "postgres", good, sizeof good);
    config = instance_config("postgresql://omsgw:Zq9-hidden@127.0.0.1:1/nowhere", 1, 60);
    th_omsgw process;
    th_omsgw_prepare(&process, config);
    free(config);
    process.oci_port = 0;
    setenv("OMSGW_DATABASE_URL", good, 1);
    int launched = th_omsgw_launch(&process, NULL);
    unsetenv("OMSGW_DATABASE_URL");
    assert_int_equal(launched, 0);
    char *log = th_read_file(process.log_path, NULL);
    assert_non_null(strstr(log, "backend=postgresql"));
    assert_null(strstr(log, TH_PG_PASSWORD));
    free(log);
    assert_int_equal(th_omsgw_stop(&process, SIGTERM, 10000), 0);
    th_omsgw_cleanup(&process);
    th_pg_cleanup(&pg);
}

/* ---- random kills of instances ---- */

typedef struct sent_job {
    int64_t id;
    int tenant;
} sent_job;

typedef struct expected {
    long quantity[TENANTS][SKU_POOL]; /* last accepted quantity, -1: never sent */
    sent_job jobs[MAX_JOBS];
    size_t job_count;
} expected;

/* Sends one refresh (or, when `adjust`, one adjust of signed deltas) of random SKUs to `instance`;
 * records what it promises once answered. A refusal (the instance just died) promises nothing. */
static int send_random_job(const th_omsgw *instance, expected *want, int tenant, size_t count, unsigned *seed,
                           int adjust)
{
    long *quantities = calloc(count, sizeof *quantities);
    int *skus = calloc(count, sizeof *skus);
    int64_t job_id = e2e_send_random_job(instance->gateway_port, tenant_ids[tenant], tenant_keys[tenant],
                                         tenant_prefix[tenant], SKU_POOL, count, seed, skus, quantities, adjust);
    if (job_id > 0) {
        assert_true(want->job_count < MAX_JOBS);
        want->jobs[want->job_count++] = (sent_job){job_id, tenant};
        /* The later item of a SKU wins; a delta adds (each applied exactly once). */
        for (size_t i = 0; i < count; i++)
            e2e_expect_item(&want->quantity[tenant][skus[i]], quantities[i], adjust);
    }
    free(quantities);
    free(skus);
    return job_id > 0;
}

/* GET one job from one instance (caller puts), or NULL when the instance did not answer 200. */
static json_object *get_job(const th_omsgw *instance, const sent_job *job)
{
    char path[128];
    snprintf(path, sizeof path, "/api/v1/queue/%" PRId64, job->id);
    th_response response;
    json_object *reply = NULL;
    if (e2e_call(instance->gateway_port, "GET", path, tenant_ids[job->tenant], tenant_keys[job->tenant], NULL,
                 &response) == 0 &&
        response.status == 200)
        reply = th_json(&response);
    th_response_free(&response);
    return reply;
}

static const char *field(json_object *job, const char *name)
{
    json_object *value = json_object_object_get(job, name);
    return value ? json_object_get_string(value) : "";
}

static json_object *wait_finished(cluster *c, const sent_job *job, int timeout_ms)
{
    for (int waited = 0; waited < timeout_ms; waited += 50) {
        json_object *reply = get_job(&c->instances[(size_t)waited / 50 % INSTANCES], job);
        if (reply && (strcmp(field(reply, "status"), "SUCCESS") == 0 || strcmp(field(reply, "status"), "FAILED") == 0))
            return reply;
        json_object_put(reply);
        usleep(50000);
    }
    fail_msg("job %" PRId64 " did not finish within %d ms", job->id, timeout_ms);
    return NULL;
}

/* The core's own database: no record id applied twice, every SKU at the last accepted quantity. */
static size_t check_core_state(const cluster *c, const expected *want)
{
    return e2e_check_core_state(c->core.data_dir, tenant_prefix, TENANTS, SKU_POOL, &want->quantity[0][0]);
}

/* Every answered job: SUCCESS, the same on every instance, ids unique, and per tenant job k started
 * no earlier than job k-1 finished (times are RFC 3339 texts of one width, so they compare as text). */
static void check_jobs(cluster *c, const expected *want)
{
    char (*started)[40] = calloc(want->job_count, sizeof *started);
    char (*finished)[40] = calloc(want->job_count, sizeof *finished);
    for (size_t j = 0; j < want->job_count; j++) {
        for (size_t k = 0; k < j; k++)
            assert_true(want->jobs[k].id != want->jobs[j].id);
        json_object *job = wait_finished(c, &want->jobs[j], 120000);
        if (strcmp(field(job, "status"), "SUCCESS") != 0)
            fail_msg("job %" PRId64 " ended %s", want->jobs[j].id, json_object_to_json_string(job));
        snprintf(started[j], sizeof started[j], "%s", field(job, "started"));
        snprintf(finished[j], sizeof finished[j], "%s", field(job, "finished"));
        json_object_put(job);
        for (int i = 0; i < INSTANCES; i++) {
            json_object *seen = get_job(&c->instances[i], &want->jobs[j]);
            assert_non_null(seen);
            assert_string_equal(field(seen, "status"), "SUCCESS");
            assert_string_equal(field(seen, "finished"), finished[j]);
            json_object_put(seen);
        }
    }
    for (int t = 0; t < TENANTS; t++) {
        /* A tenant's jobs in id order (acceptance order). */
        size_t previous = (size_t)-1;
        for (;;) {
            size_t next = (size_t)-1;
            for (size_t j = 0; j < want->job_count; j++)
                if (want->jobs[j].tenant == t &&
                    (previous == (size_t)-1 || want->jobs[j].id > want->jobs[previous].id) &&
                    (next == (size_t)-1 || want->jobs[j].id < want->jobs[next].id))
                    next = j;
            if (next == (size_t)-1)
                break;
            /* One after the other; jobs coalesced into one delivery (queue/worker.c) overlap, and
             * then end together, in the one transaction that records their batch. */
            if (previous != (size_t)-1 && strcmp(started[next], finished[previous]) < 0 &&
                strcmp(finished[next], finished[previous]) != 0)
                fail_msg("tenant %s: job %" PRId64 " started %s before job %" PRId64 " finished %s", tenant_ids[t],
                         want->jobs[next].id, started[next], want->jobs[previous].id, finished[previous]);
            if (previous != (size_t)-1 && strcmp(started[next], started[previous]) < 0)
                fail_msg("tenant %s: job %" PRId64 " started %s before job %" PRId64 " started %s", tenant_ids[t],
                         want->jobs[next].id, started[next], want->jobs[previous].id, started[previous]);
            previous = next;
        }
    }
    free(started);
    free(finished);
}

static void test_three_instances_survive_random_kills(void **state)
{
    (void)state;
    expected *want = calloc(1, sizeof *want);
    for (int t = 0; t < TENANTS; t++)
        for (int s = 0; s < SKU_POOL; s++)
            want->quantity[t][s] = -1;
    unsigned seed = (unsigned)time(NULL);
    fprintf(stderr, "instances test seed %u\n", seed);
    cluster c;
    start_cluster(&c, INSTANCES, 2);
    int64_t began = mono_ms();
    int kills = 0, round = 0;
    size_t sizes[] = {1, 499, 500, 501, 1500, 3001};
    while (kills < MIN_KILLS * 2 && (kills < MIN_KILLS || mono_ms() - began < KILL_TIME_BUDGET_MS / 2) &&
           mono_ms() - began < KILL_TIME_BUDGET_MS) {
        int jobs = 1 + rand_r(&seed) % 3;
        for (int j = 0; j < jobs; j++, round++) {
            size_t adjust_sizes[] = {1, 499, 500, 501, 1000};
            if (rand_r(&seed) % 2)
                send_random_job(&c.instances[round % INSTANCES], want, round % TENANTS, adjust_sizes[rand_r(&seed) % 5],
                                &seed, 1);
            else
                send_random_job(&c.instances[round % INSTANCES], want, round % TENANTS, sizes[rand_r(&seed) % 6], &seed,
                                0);
        }
        usleep((useconds_t)(rand_r(&seed) % 400) * 1000);
        int victim = rand_r(&seed) % INSTANCES;
        assert_int_equal(th_omsgw_stop(&c.instances[victim], SIGKILL, 5000), 128 + SIGKILL);
        kills++;
        /* The others keep accepting while the victim is down. */
        send_random_job(&c.instances[(victim + 1) % INSTANCES], want, round++ % TENANTS, 3, &seed, rand_r(&seed) % 2);
        launch_instance(&c, victim);
    }
    assert_true(kills >= MIN_KILLS);
    check_jobs(&c, want);
    size_t checked = check_core_state(&c, want);
    fprintf(stderr, "instances test: %d kills, %zu jobs, %zu SKUs checked\n", kills, want->job_count, checked);
    assert_true(checked > 0);
    stop_cluster(&c);
    free(want);
}

/* ---- PostgreSQL away and back ---- */

static void expect_503(const th_omsgw *instance, const char *method, const char *path, const char *body)
{
    th_response response;
    assert_int_equal(e2e_call(instance->gateway_port, method, path, tenant_ids[0], tenant_keys[0], body, &response), 0);
    if (response.status != 503)
        fail_msg("%s %s answered %ld while PostgreSQL is down: %s", method, path, response.status, response.body);
    json_object *reply = th_json(&response);
    assert_non_null(reply);
    assert_string_equal(field(reply, "errorCode"), "SYSTEM_MAINTENANCE");
    assert_true(strlen(field(reply, "message")) > 0);
    json_object_put(reply);
    th_response_free(&response);
}

static void test_database_stopped_and_started(void **state)
{
    (void)state;
    expected *want = calloc(1, sizeof *want);
    for (int t = 0; t < TENANTS; t++)
        for (int s = 0; s < SKU_POOL; s++)
            want->quantity[t][s] = -1;
    unsigned seed = 7;
    cluster c;
    start_cluster(&c, 2, 2);
    /* Work in flight when the database goes: a large job and a few small ones. */
    assert_true(send_random_job(&c.instances[0], want, 0, 6000, &seed, 0));
    for (int j = 0; j < 4; j++)
        assert_true(send_random_job(&c.instances[j % 2], want, j % TENANTS, 50, &seed, 0));
    usleep(300000);
    th_pg_stop(&c.pg);
    char *body = e2e_refresh_body("Location 1", 2, "IA", 1);
    char path[64];
    snprintf(path, sizeof path, "/api/v1/queue/%" PRId64, want->jobs[0].id);
    for (int i = 0; i < 2; i++) {
        expect_503(&c.instances[i], "POST", "/api/v5/inventory/refresh", body);
        expect_503(&c.instances[i], "GET", path, NULL);
    }
    free(body);
    usleep(2000000); /* workers fail their checkpoints and claims, and back off */
    assert_int_equal(th_pg_restart(&c.pg), 0);
    /* Acceptance comes back by itself; refusals meanwhile promised nothing. */
    int sent_after = 0;
    for (int tries = 0; tries < 200 && sent_after < 6; tries++) {
        if (send_random_job(&c.instances[tries % 2], want, tries % TENANTS, 40, &seed, 0))
            sent_after++;
        else
            usleep(100000);
    }
    assert_int_equal(sent_after, 6);
    for (size_t j = 0; j < want->job_count; j++) {
        json_object *job = NULL;
        for (int waited = 0; waited < 120000 && !job; waited += 50) {
            job = get_job(&c.instances[j % 2], &want->jobs[j]);
            if (job && strcmp(field(job, "status"), "SUCCESS") != 0 && strcmp(field(job, "status"), "FAILED") != 0) {
                json_object_put(job);
                job = NULL;
            }
            if (!job)
                usleep(50000);
        }
        assert_non_null(job);
        if (strcmp(field(job, "status"), "SUCCESS") != 0)
            fail_msg("job %" PRId64 " ended %s", want->jobs[j].id, json_object_to_json_string(job));
        json_object_put(job);
    }
    assert_true(check_core_state(&c, want) > 0);
    stop_cluster(&c);
    free(want);
}

int main(void)
{
    if (!th_pg_available()) {
        fprintf(stderr, "test_instances: no PostgreSQL server installed; run ./scripts/deps.sh\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_storage_startup_errors),
        cmocka_unit_test(test_database_stopped_and_started),
        cmocka_unit_test(test_three_instances_survive_random_kills),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
