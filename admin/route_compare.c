/*
 * route_compare.c - the side-by-side comparison from the console:
 *   POST /api/compare?tenant=ID   body: a legacy refresh request file; starts `omsgw compare --json`
 *                                 against this very server and answers 202 {"id"} at once
 *   GET  /api/compare/{id}        {"id", "status": "running"|"done", "exitCode", "result", "stderr"}
 * The comparison is the command's own (app/compare.c), run as a child process of this executable, so
 * the console shows exactly what `omsgw compare` prints. It waits for a job and two loads, which
 * never happens on a server thread: a runner thread per comparison waits for the child. At most
 * ADM_COMPARE_RUNNING run at once; the last ADM_COMPARE_KEPT results are kept in memory.
 */
#include "admin/internal.h"
#include "common/log.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define COMPARE_OUTPUT_MAX (8 * 1024 * 1024)

static char *read_bounded(const char *path, size_t max)
{
    FILE *file = fopen(path, "rb");
    if (!file)
        return NULL;
    char *text = malloc(max + 1);
    size_t length = text ? fread(text, 1, max, file) : 0;
    fclose(file);
    if (text)
        text[length] = '\0';
    return text;
}

static void *run_compare(void *data)
{
    adm_compare_run *run = data;
    int status = 0;
    pid_t pid = run->pid;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    char *output = read_bounded(run->output_path, COMPARE_OUTPUT_MAX);
    char *errors = read_bounded(run->error_path, 64 * 1024);
    unlink(run->output_path);
    unlink(run->error_path);
    unlink(run->request_path);
    pthread_mutex_lock(run->lock);
    run->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    run->output = output;
    run->errors = errors;
    run->done = 1;
    pthread_mutex_unlock(run->lock);
    cm_log_info("admin.compare_done", "compare=%d exit=%d", run->id, run->exit_code);
    return NULL;
}

/* The slot for a new run: a free one, else the oldest finished one (its result is dropped). */
static adm_compare_run *take_slot(adm_admin *admin)
{
    adm_compare_run *oldest = NULL;
    int running = 0;
    for (size_t i = 0; i < ADM_COMPARE_KEPT; i++) {
        adm_compare_run *run = &admin->compares[i];
        if (run->id && !run->done)
            running++;
        if (!run->id)
            return running < ADM_COMPARE_RUNNING ? run : NULL;
        if (run->done && (!oldest || run->id < oldest->id))
            oldest = run;
    }
    if (running >= ADM_COMPARE_RUNNING || !oldest)
        return NULL;
    pthread_join(oldest->thread, NULL);
    free(oldest->output);
    free(oldest->errors);
    memset(oldest, 0, sizeof *oldest);
    return oldest;
}

void adm_route_compare_start(cm_http_request *request, void *data)
{
    adm_admin *admin = data;
    const char *tenant_text = cm_http_query(request, "tenant");
    const char *digits = tenant_text && tenant_text[0] == 't' ? tenant_text + 1 : tenant_text;
    if (!digits || !*digits || strspn(digits, "0123456789") != strlen(digits) || strlen(digits) > 18 ||
        !cm_config_tenant(admin->config, strtoll(digits, NULL, 10))) {
        cm_http_reply_error(request, 400, "INVALID_REQUEST_DATA", "tenant must be a configured tenant id.", "tenant");
        return;
    }
    uint64_t size = 0;
    const char *upload = cm_http_body_file(request, &size);
    if (!upload || size == 0) {
        cm_http_reply_error(request, 400, "MISSING_REQUEST_DATA",
                            "The body must be a legacy refresh request file (JSON).", "body");
        return;
    }
    if (admin->gateway_port <= 0) {
        cm_http_reply_error(request, 409, "CONFLICT", "The gateway listener is off in this process; nothing to compare.",
                            NULL);
        return;
    }
    pthread_mutex_lock(&admin->compares_lock);
    adm_compare_run *run = take_slot(admin);
    if (!run) {
        pthread_mutex_unlock(&admin->compares_lock);
        cm_http_add_header(request, "Retry-After", "5");
        cm_http_reply_error(request, 429, "TOO_MANY_REQUESTS", "Comparisons are running already; retry when one ends.",
                            NULL);
        return;
    }
    run->id = ++admin->compare_counter;
    run->lock = &admin->compares_lock;
    char *request_path = cm_http_take_body_file(request);
    snprintf(run->request_path, sizeof run->request_path, "%s", request_path ? request_path : "");
    free(request_path);
    snprintf(run->output_path, sizeof run->output_path, "%s.out", run->request_path);
    snprintf(run->error_path, sizeof run->error_path, "%s.err", run->request_path);
    char self[1024];
    ssize_t self_length = readlink("/proc/self/exe", self, sizeof self - 1);
    char tenant[24], gateway_url[64], oci_url[64];
    snprintf(tenant, sizeof tenant, "%s", digits);
    snprintf(gateway_url, sizeof gateway_url, "http://127.0.0.1:%d", admin->gateway_port);
    snprintf(oci_url, sizeof oci_url, "http://127.0.0.1:%d", admin->oci_port);
    int ok = self_length > 0 && run->request_path[0];
    if (ok)
        self[self_length] = '\0';
    const char *argv[] = {self, "compare", "--config", admin->config->path, "--request", run->request_path, "--tenant",
                    tenant, "--json", "--gateway-url", gateway_url, "--oci-url", oci_url, NULL};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, run->output_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, run->error_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    /* The child must not inherit the server's blocked stop signals. */
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attributes, &none);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK);
    ok = ok && posix_spawn(&run->pid, self, &actions, &attributes, (char *const *)argv, environ) == 0;
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    ok = ok && pthread_create(&run->thread, NULL, run_compare, run) == 0;
    if (!ok) {
        if (run->pid > 0) {
            kill(run->pid, SIGKILL);
            waitpid(run->pid, NULL, 0);
        }
        if (run->request_path[0])
            unlink(run->request_path);
        memset(run, 0, sizeof *run);
        pthread_mutex_unlock(&admin->compares_lock);
        cm_http_reply_error(request, 503, "SERVICE_UNAVAILABLE", "The comparison could not be started; retry.", NULL);
        return;
    }
    int id = run->id;
    pthread_mutex_unlock(&admin->compares_lock);
    cm_log_info("admin.compare_started", "compare=%d tenant=%s", id, tenant);
    json_object *body = json_object_new_object();
    json_object_object_add(body, "id", json_object_new_int(id));
    json_object_object_add(body, "status", json_object_new_string("running"));
    cm_http_reply_json(request, 202, body);
}

void adm_route_compare_get(cm_http_request *request, void *data)
{
    adm_admin *admin = data;
    const char *text = cm_http_param(request, "id");
    int id = text && strspn(text, "0123456789") == strlen(text) && strlen(text) < 9 ? atoi(text) : 0;
    if (id <= 0) {
        cm_http_reply_error(request, 400, "INVALID_REQUEST_DATA", "The comparison id must be a positive integer.", "id");
        return;
    }
    json_object *body = NULL;
    pthread_mutex_lock(&admin->compares_lock);
    for (size_t i = 0; i < ADM_COMPARE_KEPT && !body; i++) {
        adm_compare_run *run = &admin->compares[i];
        if (run->id != id)
            continue;
        body = json_object_new_object();
        json_object_object_add(body, "id", json_object_new_int(id));
        json_object_object_add(body, "status", json_object_new_string(run->done ? "done" : "running"));
        json_object_object_add(body, "exitCode", run->done ? json_object_new_int(run->exit_code) : NULL);
        json_object *result = run->done && run->output ? json_tokener_parse(run->output) : NULL;
        json_object_object_add(body, "result", result);
        json_object_object_add(body, "stderr", run->done && run->errors ? json_object_new_string(run->errors) : NULL);
    }
    pthread_mutex_unlock(&admin->compares_lock);
    if (!body) {
        cm_http_reply_error(request, 404, "ITEM_NOT_FOUND", "No such comparison (only the last ones are kept).", "id");
        return;
    }
    cm_http_reply_json(request, 200, body);
}

void adm_compares_stop(adm_admin *admin)
{
    /* A comparison still running is ended: the server is going away, and its child with it. */
    for (size_t i = 0; i < ADM_COMPARE_KEPT; i++) {
        adm_compare_run *run = &admin->compares[i];
        if (!run->id)
            continue;
        pthread_mutex_lock(&admin->compares_lock);
        int done = run->done;
        pthread_mutex_unlock(&admin->compares_lock);
        if (!done && run->pid > 0)
            kill(run->pid, SIGTERM);
        pthread_join(run->thread, NULL);
        free(run->output);
        free(run->errors);
        memset(run, 0, sizeof *run);
    }
}
