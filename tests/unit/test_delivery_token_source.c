/*
 * test_delivery_token_source.c - the shared, renewing bearer token (delivery/token_source.c):
 * - dl_token_login_of_config: token, else oauth, else jwt (with its lifetime and the OCI base URL
 *   to announce tokens on), else an empty fixed token;
 * - dl_token_source_new: a JWT login's private key read up front (missing path, missing file,
 *   not a key, not RSA: refused with one sentence naming the file, never its content; a key file
 *   others may read: a warning on the log);
 * - dl_token_get over real libcurl calls, against a scripted listener (common/http_server.h) and
 *   the bundled OCI core (tests/support/oci_inproc.h): a fixed token is handed out as it is; a
 *   login's token is fetched once and shared, renewed when its life is nearly over and when a
 *   caller reports it refused - once per refused token, however many threads report it at once;
 *   a failed login is reported with its status and Retry-After and tried again on the next call;
 *   a JWT token is announced to each organization once, again after each renewal, and a failed
 *   announcement makes the next call log in anew.
 */
#include "tests/support/stub_server.h"
#include "tests/support/test_support.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/ec.h>
#include <openssl/pem.h>

#include "common/clock.h"
#include "common/config.h"
#include "common/http_client.h"
#include "common/http_server.h"
#include "delivery/token_source.h"
#include "tests/support/oci_inproc.h"
#include "tests/support/rsa_fixture.h"

#define ORG "org_src"
#define CONSUMER_KEY "3MVG9-source-consumer"
#define USERNAME "integration@example.com"

/* ---- a scripted listener: answers in order (the last repeats), every request recorded ---- */


/* ---- fixture ---- */

static const cm_route_pattern STUB_ROUTES[] = {
    {"POST", "/token"},
    {"POST", "/services/oauth2/token"},
    {"PUT", "/inventory/internal/v1/organizations/{org}"},
};

/* Made once for the group: a 2048-bit key takes a while to make. */
static char keys_dir[256];
static th_rsa app_key;

static int group_setup(void **state)
{
    (void)state;
    th_temp_dir(keys_dir, sizeof keys_dir);
    th_rsa_make(&app_key, keys_dir, "app");
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    th_rsa_free(&app_key);
    th_remove_tree(keys_dir);
    return 0;
}

typedef struct fixture {
    th_stub stub;
    cm_httpc_pool *pool;
    cm_httpc_client *client;
    char base_url[128];  /* the stub, as OCI's base URL and Salesforce login URL */
    char token_url[160]; /* the stub's OAuth token URL */
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    th_stub_start(&f->stub, STUB_ROUTES, sizeof STUB_ROUTES / sizeof STUB_ROUTES[0]);
    assert_int_equal(cm_httpc_global_init(), CM_OK);
    cm_httpc_settings settings = {.connect_timeout_ms = 5000, .total_timeout_ms = 10000, .verify_tls = 1};
    f->pool = cm_httpc_pool_new(&settings);
    assert_non_null(f->pool);
    f->client = cm_httpc_take(f->pool);
    assert_non_null(f->client);
    snprintf(f->base_url, sizeof f->base_url, "http://127.0.0.1:%d", f->stub.port);
    snprintf(f->token_url, sizeof f->token_url, "%s/token", f->base_url);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    cm_httpc_give(f->pool, f->client);
    cm_httpc_pool_free(f->pool);
    th_stub_stop(&f->stub);
    free(f);
    return 0;
}

static dl_token_login oauth_login(const fixture *f)
{
    dl_token_login login;
    memset(&login, 0, sizeof login);
    login.kind = DL_TOKEN_CLIENT_CREDENTIALS;
    login.oauth_token_url = f->token_url;
    login.oauth_client_id = "client";
    login.oauth_client_secret = "secret";
    return login;
}

static dl_token_login jwt_login(const char *url, const char *key_path, const char *provision_base_url)
{
    dl_token_login login;
    memset(&login, 0, sizeof login);
    login.kind = DL_TOKEN_JWT;
    login.jwt_login_url = url;
    login.jwt_consumer_key = CONSUMER_KEY;
    login.jwt_username = USERNAME;
    login.jwt_private_key_path = key_path;
    login.provision_base_url = provision_base_url;
    return login;
}

static dl_token_source *source_of(const dl_token_login *login)
{
    char error[DL_TOKEN_ERROR_MAX] = "";
    dl_token_source *source = dl_token_source_new(login, error);
    if (!source)
        fail_msg("dl_token_source_new: %s", error);
    return source;
}

typedef struct got {
    q_delivery_status status;
    char token[DL_TOKEN_MAX];
    int64_t retry_after_ms;
    char message[Q_DELIVERY_MESSAGE_MAX];
} got;

static got get_with(dl_token_source *source, cm_httpc_client *client, const char *org, const char *refused)
{
    got out;
    memset(&out, 0, sizeof out);
    out.retry_after_ms = 12345; /* must be overwritten */
    out.status = dl_token_get(source, client, org, refused, out.token, &out.retry_after_ms, out.message, NULL, NULL);
    return out;
}

static got get_ok(dl_token_source *source, cm_httpc_client *client, const char *org, const char *refused)
{
    got out = get_with(source, client, org, refused);
    if (out.status != Q_DELIVERY_OK)
        fail_msg("dl_token_get: %d %s", out.status, out.message);
    assert_int_equal(out.retry_after_ms, -1);
    return out;
}

/* ---- login_of_config ---- */

static void login_of_config(void **state)
{
    (void)state;
    cm_config config;
    memset(&config, 0, sizeof config);
    config.delivery.base_url = (char *)"http://oci.example";
    config.delivery.token = (char *)"fixed";
    config.delivery.oauth_token_url = (char *)"http://am.example/token";
    config.delivery.oauth_client_id = (char *)"id";
    config.delivery.oauth_client_secret = (char *)"secret";
    config.delivery.oauth_scope = (char *)"scope";
    config.delivery.jwt_login_url = (char *)"http://login.example";
    config.delivery.jwt_consumer_key = (char *)"ck";
    config.delivery.jwt_username = (char *)"user";
    config.delivery.jwt_private_key_path = (char *)"/keys/app.key";
    config.delivery.jwt_token_lifetime_seconds = 90;

    dl_token_login login = dl_token_login_of_config(&config);
    assert_int_equal(login.kind, DL_TOKEN_FIXED);
    assert_string_equal(login.fixed_token, "fixed");
    assert_null(login.oauth_token_url);

    config.delivery.token = NULL;
    login = dl_token_login_of_config(&config);
    assert_int_equal(login.kind, DL_TOKEN_CLIENT_CREDENTIALS);
    assert_string_equal(login.oauth_token_url, "http://am.example/token");
    assert_string_equal(login.oauth_client_id, "id");
    assert_string_equal(login.oauth_client_secret, "secret");
    assert_string_equal(login.oauth_scope, "scope");
    assert_null(login.jwt_login_url);
    assert_null(login.provision_base_url);

    config.delivery.oauth_token_url = NULL;
    login = dl_token_login_of_config(&config);
    assert_int_equal(login.kind, DL_TOKEN_JWT);
    assert_string_equal(login.jwt_login_url, "http://login.example");
    assert_string_equal(login.jwt_consumer_key, "ck");
    assert_string_equal(login.jwt_username, "user");
    assert_string_equal(login.jwt_private_key_path, "/keys/app.key");
    assert_int_equal(login.jwt_lifetime_ms, 90000);
    assert_string_equal(login.provision_base_url, "http://oci.example");
    assert_null(login.oauth_token_url);

    /* No login at all: an empty token, which OCI refuses. */
    config.delivery.jwt_login_url = NULL;
    login = dl_token_login_of_config(&config);
    assert_int_equal(login.kind, DL_TOKEN_FIXED);
    assert_string_equal(login.fixed_token, "");

    /* And from a parsed file. */
    const char *text = "{\"delivery\":{\"mode\":\"http\",\"baseUrl\":\"http://127.0.0.1:1\","
                       "\"oauth\":{\"tokenUrl\":\"http://127.0.0.1:1/t\",\"clientId\":\"c\",\"clientSecret\":\"s\"}}}";
    cm_config *parsed = NULL;
    char error[CM_CONFIG_ERROR_MAX];
    if (cm_config_parse(text, strlen(text), "test", "/tmp", NULL, 0, &parsed, error) != CM_OK)
        fail_msg("%s", error);
    login = dl_token_login_of_config(parsed);
    assert_int_equal(login.kind, DL_TOKEN_CLIENT_CREDENTIALS);
    assert_string_equal(login.oauth_token_url, "http://127.0.0.1:1/t");
    assert_null(login.oauth_scope);
    cm_config_free(parsed);
}

/* ---- dl_token_source_new ---- */

/* Runs dl_token_source_new with stderr (the log) sent to a file; returns the source and the log. */
static dl_token_source *new_capturing_log(const dl_token_login *login, char error[DL_TOKEN_ERROR_MAX], char **log)
{
    char path[512];
    snprintf(path, sizeof path, "%s/log.txt", keys_dir);
    int file = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(file >= 0);
    int saved = dup(STDERR_FILENO);
    assert_true(saved >= 0);
    assert_true(dup2(file, STDERR_FILENO) >= 0);
    close(file);
    dl_token_source *source = dl_token_source_new(login, error);
    assert_true(dup2(saved, STDERR_FILENO) >= 0);
    close(saved);
    *log = th_read_file(path, NULL);
    assert_non_null(*log);
    return source;
}

static void new_refuses_bad_keys(void **state)
{
    fixture *f = *state;
    char error[DL_TOKEN_ERROR_MAX], path[512];

    dl_token_login login = jwt_login(f->base_url, NULL, NULL);
    assert_null(dl_token_source_new(&login, error));
    assert_string_equal(error, "jwt.privateKey is missing");

    snprintf(path, sizeof path, "%s/none.key", keys_dir);
    login = jwt_login(f->base_url, path, NULL);
    assert_null(dl_token_source_new(&login, error));
    assert_non_null(strstr(error, "jwt.privateKey "));
    assert_non_null(strstr(error, path));
    assert_non_null(strstr(error, "cannot be read"));

    /* A certificate is not a private key; its text is never quoted. */
    login = jwt_login(f->base_url, app_key.cert_path, NULL);
    assert_null(dl_token_source_new(&login, error));
    assert_non_null(strstr(error, app_key.cert_path));
    assert_non_null(strstr(error, "holds no unencrypted PEM private key"));
    assert_null(strstr(error, "BEGIN"));

    snprintf(path, sizeof path, "%s/ec.key", keys_dir);
    EVP_PKEY *ec = EVP_EC_gen("P-256");
    assert_non_null(ec);
    FILE *file = fopen(path, "wb");
    assert_non_null(file);
    assert_int_equal(PEM_write_PrivateKey(file, ec, NULL, NULL, 0, NULL, NULL), 1);
    fclose(file);
    EVP_PKEY_free(ec);
    login = jwt_login(f->base_url, path, NULL);
    assert_null(dl_token_source_new(&login, error));
    assert_non_null(strstr(error, "not an RSA key"));
}

static void new_warns_about_a_readable_key(void **state)
{
    fixture *f = *state;
    char error[DL_TOKEN_ERROR_MAX] = "";
    char *log = NULL;
    dl_token_login login = jwt_login(f->base_url, app_key.key_path, NULL);

    assert_int_equal(chmod(app_key.key_path, 0644), 0);
    dl_token_source *source = new_capturing_log(&login, error, &log);
    assert_int_equal(chmod(app_key.key_path, 0600), 0);
    assert_non_null(source);
    assert_non_null(strstr(log, "delivery.key_readable"));
    assert_non_null(strstr(log, app_key.key_path));
    assert_null(strstr(log, "PRIVATE KEY"));
    assert_int_equal(dl_token_renewable(source), 1);
    assert_int_equal(dl_token_fetch_count(source), 0);
    assert_int_equal(dl_token_provision_count(source), 0);
    dl_token_source_free(source);
    free(log);

    source = new_capturing_log(&login, error, &log);
    assert_non_null(source);
    assert_null(strstr(log, "delivery.key_readable"));
    dl_token_source_free(source);
    free(log);
    dl_token_source_free(NULL); /* allowed */
}

/* ---- dl_token_get ---- */

static void fixed_token_is_handed_out_as_it_is(void **state)
{
    fixture *f = *state;
    dl_token_login login;
    memset(&login, 0, sizeof login);
    login.kind = DL_TOKEN_FIXED;
    login.fixed_token = "fixed-token";
    dl_token_source *source = source_of(&login);
    assert_int_equal(dl_token_renewable(source), 0);
    got out = get_ok(source, f->client, ORG, NULL);
    assert_string_equal(out.token, "fixed-token");
    /* Refused or not, it is all there is: handed out again, never fetched. */
    out = get_ok(source, f->client, ORG, "fixed-token");
    assert_string_equal(out.token, "fixed-token");
    assert_int_equal(dl_token_fetch_count(source), 0);
    assert_int_equal(dl_token_provision_count(source), 0);
    assert_int_equal(f->stub.seen_count, 0);
    dl_token_source_free(source);
}

static void oauth_token_is_shared_and_renewed_when_refused(void **state)
{
    fixture *f = *state;
    th_stub_answer answers[] = {
        {200, "{\"access_token\":\"tok-1\",\"expires_in\":3600}", NULL, 0},
        {200, "{\"access_token\":\"tok-2\",\"expires_in\":3600}", NULL, 0},
        {200, "{\"access_token\":\"tok-3\",\"expires_in\":3600}", NULL, 0},
    };
    th_stub_script(&f->stub, answers, 3);
    dl_token_login login = oauth_login(f);
    dl_token_source *source = source_of(&login);
    assert_int_equal(dl_token_renewable(source), 1);
    assert_int_equal(dl_token_fetch_count(source), 0);

    got out = get_ok(source, f->client, ORG, NULL);
    assert_string_equal(out.token, "tok-1");
    out = get_ok(source, f->client, ORG, NULL);
    assert_string_equal(out.token, "tok-1");
    assert_int_equal(dl_token_fetch_count(source), 1);
    assert_int_equal(f->stub.seen_count, 1);

    /* A token OCI refused is not handed out again. */
    out = get_ok(source, f->client, ORG, "tok-1");
    assert_string_equal(out.token, "tok-2");
    assert_int_equal(dl_token_fetch_count(source), 2);
    /* Another caller reporting the same, already replaced, token changes nothing. */
    out = get_ok(source, f->client, ORG, "tok-1");
    assert_string_equal(out.token, "tok-2");
    assert_int_equal(dl_token_fetch_count(source), 2);
    assert_int_equal(f->stub.seen_count, 2);
    /* Client-credentials tokens are never announced. */
    assert_int_equal(dl_token_provision_count(source), 0);
    dl_token_source_free(source);
}

static void oauth_token_is_renewed_before_it_expires(void **state)
{
    fixture *f = *state;
    th_stub_answer answers[] = {
        {200, "{\"access_token\":\"short-1\",\"expires_in\":1}", NULL, 0},
        {200, "{\"access_token\":\"short-2\",\"expires_in\":3600}", NULL, 0},
    };
    th_stub_script(&f->stub, answers, 2);
    dl_token_login login = oauth_login(f);
    dl_token_source *source = source_of(&login);
    got out = get_ok(source, f->client, NULL, NULL);
    assert_string_equal(out.token, "short-1");
    /* Past the whole life of a 1 s token (renewal is due after 0.8 s): renewed without a 401. */
    cm_sleep_ms(1100);
    out = get_ok(source, f->client, NULL, NULL);
    assert_string_equal(out.token, "short-2");
    assert_int_equal(dl_token_fetch_count(source), 2);
    dl_token_source_free(source);
}

static void failed_login_is_reported_and_tried_again(void **state)
{
    fixture *f = *state;
    th_stub_answer answers[] = {
        {503, "{\"error\":\"temporarily_unavailable\"}", "5", 0},
        {401, "{\"error\":\"invalid_client\",\"error_description\":\"bad secret\"}", NULL, 0},
        {200, "{\"access_token\":\"tok-ok\",\"expires_in\":3600}", NULL, 0},
        {200, "{\"access_token\":\"tok-later\",\"expires_in\":3600}", NULL, 0},
    };
    th_stub_script(&f->stub, answers, 4);
    dl_token_login login = oauth_login(f);
    dl_token_source *source = source_of(&login);

    got out = get_with(source, f->client, ORG, NULL);
    assert_int_equal(out.status, Q_DELIVERY_RETRY);
    assert_int_equal(out.retry_after_ms, 5000);
    assert_non_null(strstr(out.message, "the OAuth token URL answered 503 temporarily_unavailable"));

    out = get_with(source, f->client, ORG, NULL);
    assert_int_equal(out.status, Q_DELIVERY_FINAL);
    assert_int_equal(out.retry_after_ms, -1);
    assert_non_null(strstr(out.message, "answered 401 invalid_client: bad secret"));
    assert_null(strstr(out.message, "secret\"")); /* the secret itself is never quoted */

    out = get_ok(source, f->client, ORG, NULL);
    assert_string_equal(out.token, "tok-ok");
    out = get_ok(source, f->client, ORG, NULL);
    assert_string_equal(out.token, "tok-ok");
    assert_int_equal(dl_token_fetch_count(source), 3); /* failed attempts count too */
    dl_token_source_free(source);
}

typedef struct racer {
    dl_token_source *source;
    cm_httpc_client *client;
    pthread_barrier_t *barrier;
    got out;
} racer;

static void *race(void *data)
{
    racer *r = data;
    pthread_barrier_wait(r->barrier);
    r->out = get_with(r->source, r->client, ORG, "tok-1");
    return NULL;
}

/* Several workers saw the same 401 at once: one login, and all of them get the new token. */
static void one_renewal_however_many_report_the_refusal(void **state)
{
    fixture *f = *state;
    enum { RACERS = 4 };
    th_stub_answer answers[] = {
        {200, "{\"access_token\":\"tok-1\",\"expires_in\":3600}", NULL, 0},
        {200, "{\"access_token\":\"tok-2\",\"expires_in\":3600}", NULL, 0},
        {200, "{\"access_token\":\"tok-3\",\"expires_in\":3600}", NULL, 0},
    };
    th_stub_script(&f->stub, answers, 3);
    dl_token_login login = oauth_login(f);
    dl_token_source *source = source_of(&login);
    got first = get_ok(source, f->client, ORG, NULL);
    assert_string_equal(first.token, "tok-1");

    pthread_barrier_t barrier;
    pthread_barrier_init(&barrier, NULL, RACERS);
    racer racers[RACERS];
    pthread_t threads[RACERS];
    for (int i = 0; i < RACERS; i++) {
        racers[i] = (racer){.source = source, .client = cm_httpc_take(f->pool), .barrier = &barrier};
        assert_non_null(racers[i].client);
    }
    for (int i = 0; i < RACERS; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, race, &racers[i]), 0);
    for (int i = 0; i < RACERS; i++)
        pthread_join(threads[i], NULL);
    pthread_barrier_destroy(&barrier);
    for (int i = 0; i < RACERS; i++) {
        cm_httpc_give(f->pool, racers[i].client);
        if (racers[i].out.status != Q_DELIVERY_OK)
            fail_msg("racer %d: %s", i, racers[i].out.message);
        assert_string_equal(racers[i].out.token, "tok-2");
    }
    assert_int_equal(dl_token_fetch_count(source), 2);
    assert_int_equal(f->stub.seen_count, 2);
    dl_token_source_free(source);
}

static void jwt_token_is_announced_once_per_organization(void **state)
{
    fixture *f = *state;
    th_stub_answer answers[] = {
        {200, "{\"access_token\":\"jwt-1\"}", NULL, 0}, /* login */
        {204, NULL, NULL, 0},                          /* PUT org-a */
        {204, NULL, NULL, 0},                          /* PUT org-b */
        {200, "{\"access_token\":\"jwt-2\"}", NULL, 0}, /* login after the refusal */
        {204, NULL, NULL, 0},                          /* PUT org-a again */
    };
    th_stub_script(&f->stub, answers, 5);
    dl_token_login login = jwt_login(f->base_url, app_key.key_path, f->base_url);
    dl_token_source *source = source_of(&login);

    got out = get_ok(source, f->client, "org-a", NULL);
    assert_string_equal(out.token, "jwt-1");
    out = get_ok(source, f->client, "org-a", NULL);
    out = get_ok(source, f->client, NULL, NULL); /* no organization: nothing to announce */
    assert_int_equal(dl_token_provision_count(source), 1);
    out = get_ok(source, f->client, "org-b", NULL);
    out = get_ok(source, f->client, "org-b", NULL);
    assert_int_equal(dl_token_provision_count(source), 2);
    assert_int_equal(dl_token_fetch_count(source), 1);
    /* A new token is announced anew. */
    out = get_ok(source, f->client, "org-a", "jwt-1");
    assert_string_equal(out.token, "jwt-2");
    assert_int_equal(dl_token_fetch_count(source), 2);
    assert_int_equal(dl_token_provision_count(source), 3);

    assert_int_equal(f->stub.seen_count, 5);
    static const char *const PATHS[] = {"/services/oauth2/token", "/inventory/internal/v1/organizations/org-a",
                                        "/inventory/internal/v1/organizations/org-b", "/services/oauth2/token",
                                        "/inventory/internal/v1/organizations/org-a"};
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(f->stub.seen[i].path, PATHS[i]);
    assert_string_equal(f->stub.seen[1].authorization, "Bearer jwt-1");
    assert_string_equal(f->stub.seen[4].authorization, "Bearer jwt-2");
    dl_token_source_free(source);

    /* Without a base URL to announce on, a JWT token is only fetched. */
    th_stub_script(&f->stub, answers, 1);
    login = jwt_login(f->base_url, app_key.key_path, NULL);
    source = source_of(&login);
    out = get_ok(source, f->client, "org-a", NULL);
    assert_string_equal(out.token, "jwt-1");
    assert_int_equal(dl_token_provision_count(source), 0);
    assert_int_equal(f->stub.seen_count, 1);
    dl_token_source_free(source);

    /* However many organizations: each once per token (the second pass announces nothing). */
    th_stub_answer many[] = {{200, "{\"access_token\":\"jwt-1\"}", NULL, 0}, {204, NULL, NULL, 0}};
    th_stub_script(&f->stub, many, 2);
    login = jwt_login(f->base_url, app_key.key_path, f->base_url);
    source = source_of(&login);
    for (int pass = 0; pass < 2; pass++) {
        for (int org = 0; org < 100; org++) {
            char id[16];
            snprintf(id, sizeof id, "org-%d", org);
            out = get_ok(source, f->client, id, NULL);
            assert_string_equal(out.token, "jwt-1");
        }
        assert_int_equal(dl_token_provision_count(source), 100);
    }
    assert_int_equal(dl_token_fetch_count(source), 1);
    dl_token_source_free(source);
}

static void failed_announcement_means_a_new_login(void **state)
{
    fixture *f = *state;
    th_stub_answer answers[] = {
        {200, "{\"access_token\":\"jwt-1\"}", NULL, 0},
        {403, "{\"errorCode\":\"Forbidden\"}", NULL, 0},
        {200, "{\"access_token\":\"jwt-2\"}", NULL, 0},
        {204, NULL, NULL, 0},
    };
    th_stub_script(&f->stub, answers, 4);
    dl_token_login login = jwt_login(f->base_url, app_key.key_path, f->base_url);
    dl_token_source *source = source_of(&login);
    got out = get_with(source, f->client, "org-a", NULL);
    assert_int_equal(out.status, Q_DELIVERY_FINAL);
    assert_non_null(strstr(out.message, "PUT /inventory/internal/v1/organizations/org-a answered 403"));
    out = get_ok(source, f->client, "org-a", NULL);
    assert_string_equal(out.token, "jwt-2");
    assert_int_equal(dl_token_fetch_count(source), 2);
    assert_int_equal(dl_token_provision_count(source), 2);
    dl_token_source_free(source);
}

/* The whole JWT login against the bundled core: a real assertion, a real announcement. */
static void jwt_against_the_bundled_core(void **state)
{
    (void)state;
    char graph[512], text[4096];
    th_data_path("oci/location-graph.json", graph, sizeof graph);
    snprintf(text, sizeof text,
             "{\"oci\":{\"port\":0,\"organizations\":[{\"id\":\"" ORG "\",\"locationGraph\":\"%s\","
             "\"connectedApps\":[{\"consumerKey\":\"" CONSUMER_KEY "\",\"certificate\":\"%s\","
             "\"users\":[{\"username\":\"" USERNAME "\"}],\"scopes\":[\"sfcc_inventory_availability\"]}]}]},"
             "\"tenants\":[]}",
             graph, app_key.cert_path);
    th_oci oci;
    th_oci_start(&oci, text);
    fixture *f = *state;
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", oci.port);
    dl_token_login login = jwt_login(url, app_key.key_path, url);
    dl_token_source *source = source_of(&login);
    got out = get_ok(source, f->client, ORG, NULL);
    assert_true(strlen(out.token) > 0);
    got again = get_ok(source, f->client, ORG, NULL);
    assert_string_equal(again.token, out.token);
    assert_int_equal(dl_token_fetch_count(source), 1);
    assert_int_equal(dl_token_provision_count(source), 1);
    dl_token_source_free(source);
    th_oci_stop(&oci);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(login_of_config),
        cmocka_unit_test_setup_teardown(new_refuses_bad_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(new_warns_about_a_readable_key, setup, teardown),
        cmocka_unit_test_setup_teardown(fixed_token_is_handed_out_as_it_is, setup, teardown),
        cmocka_unit_test_setup_teardown(oauth_token_is_shared_and_renewed_when_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(oauth_token_is_renewed_before_it_expires, setup, teardown),
        cmocka_unit_test_setup_teardown(failed_login_is_reported_and_tried_again, setup, teardown),
        cmocka_unit_test_setup_teardown(one_renewal_however_many_report_the_refusal, setup, teardown),
        cmocka_unit_test_setup_teardown(jwt_token_is_announced_once_per_organization, setup, teardown),
        cmocka_unit_test_setup_teardown(failed_announcement_means_a_new_login, setup, teardown),
        cmocka_unit_test_setup_teardown(jwt_against_the_bundled_core, setup, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
