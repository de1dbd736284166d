#include "tests/support/omsgw_process.h"
#include "tests/support/http_client.h"
#include "tests/support/test_support.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define STARTUP_TIMEOUT_MS 15000

static const char *omsgw_bin(void)
{
    const char *bin = getenv("OMSGW_BIN");
    return bin && *bin ? bin : "./omsgw";
}

int th_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = 0};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&address, sizeof address) != 0)
        fail_msg("cannot find a free port: %s", strerror(errno));
    socklen_t length = sizeof address;
    getsockname(fd, (struct sockaddr *)&address, &length);
    close(fd);
    return ntohs(address.sin_port);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

void th_omsgw_prepare(th_omsgw *process, const char *config_json)
{
    memset(process, 0, sizeof *process);
    th_temp_dir(process->dir, sizeof process->dir);
    snprintf(process->config_path, sizeof process->config_path, "%s/omsgw.json", process->dir);
    snprintf(process->data_dir, sizeof process->data_dir, "%s/data", process->dir);
    snprintf(process->log_path, sizeof process->log_path, "%s/omsgw.log", process->dir);
    const char *source = getenv("OMSGW_SOURCE_DIR");
    char path[512];
    if (!config_json) {
        snprintf(path, sizeof path, "%s/samples/omsgw.json", source ? source : ".");
        size_t length;
        char *text = th_read_file(path, &length);
        if (!text)
            fail_msg("cannot read %s", path);
        th_write_file(process->config_path, text, length);
        free(text);
    } else {
        th_write_file(process->config_path, config_json, strlen(config_json));
    }
    /* Every sample config names its location graph relative to itself: copy the sample graph. */
    snprintf(path, sizeof path, "%s/samples/location-graph.json", source ? source : ".");
    size_t graph_length;
    char *graph = th_read_file(path, &graph_length);
    if (graph) {
        char target[400];
        snprintf(target, sizeof target, "%s/location-graph.json", process->dir);
        th_write_file(target, graph, graph_length);
        free(graph);
    }
    process->gateway_port = th_free_port();
    process->oci_port = th_free_port();
    while (process->oci_port == process->gateway_port)
        process->oci_port = th_free_port();
}

static int healthy(int port)
{
    if (port == 0)
        return 1;
    char url[128];
    th_url(url, sizeof url, port, "/healthz");
    th_response response;
    int ok = th_http("GET", url, NULL, NULL, 0, &response) == 0 && response.status == 200;
    th_response_free(&response);
    return ok;
}

int th_omsgw_launch(th_omsgw *process, const char *const *extra_args)
{
    return th_omsgw_launch_as(process, process->command ? process->command : "serve", extra_args);
}

int th_omsgw_launch_as(th_omsgw *process, const char *command, const char *const *extra_args)
{
    int serve = strcmp(command, "serve") == 0;
    if (!serve)
        process->gateway_port = 0;
    char gateway_port[16], oci_port[16];
    snprintf(gateway_port, sizeof gateway_port, "%d", process->gateway_port);
    snprintf(oci_port, sizeof oci_port, "%d", process->oci_port);
    const char *argv[64];
    size_t argc = 0;
    argv[argc++] = omsgw_bin();
    argv[argc++] = command;
    argv[argc++] = "--config";
    argv[argc++] = process->config_path;
    argv[argc++] = "--data-dir";
    argv[argc++] = process->data_dir;
    if (serve) {
        argv[argc++] = "--gateway-port";
        argv[argc++] = gateway_port;
    }
    argv[argc++] = "--oci-port";
    argv[argc++] = oci_port;
    for (size_t i = 0; extra_args && extra_args[i] && argc < 62; i++)
        argv[argc++] = extra_args[i];
    argv[argc] = NULL;

    pid_t pid = fork();
    if (pid < 0)
        fail_msg("fork failed: %s", strerror(errno));
    if (pid == 0) {
        /* A test that fails (or is killed) before its cleanup must not leave a server behind. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int log_fd = open(process->log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (log_fd >= 0) {
            dup2(log_fd, STDOUT_FILENO);
            dup2(log_fd, STDERR_FILENO);
            close(log_fd);
        }
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    process->pid = pid;
    for (int waited = 0; waited < STARTUP_TIMEOUT_MS; waited += 20) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            process->pid = 0;
            th_omsgw_dump_log(process);
            return -1;
        }
        if (healthy(process->gateway_port) && healthy(process->oci_port))
            return 0;
        sleep_ms(20);
    }
    th_omsgw_dump_log(process);
    return -1;
}

int th_oci_core_launch(th_omsgw *process, const char *const *extra_args)
{
    return th_omsgw_launch_as(process, "oci-core", extra_args);
}

void th_omsgw_start(th_omsgw *process, const char *config_json)
{
    th_omsgw_prepare(process, config_json);
    if (th_omsgw_launch(process, NULL) != 0)
        fail_msg("omsgw did not start (log above)");
}

int th_omsgw_stop(th_omsgw *process, int signal_number, int timeout_ms)
{
    if (process->pid <= 0)
        return -1;
    kill(process->pid, signal_number);
    for (int waited = 0; waited <= timeout_ms; waited += 10) {
        int status;
        pid_t done = waitpid(process->pid, &status, WNOHANG);
        if (done == process->pid) {
            process->pid = 0;
            if (WIFEXITED(status))
                return WEXITSTATUS(status);
            return 128 + WTERMSIG(status);
        }
        sleep_ms(10);
    }
    kill(process->pid, SIGKILL);
    waitpid(process->pid, NULL, 0);
    process->pid = 0;
    return -1;
}

int th_omsgw_run(const char *const *args, char **output)
{
    char path[320];
    th_temp_dir(path, sizeof path);
    char out_path[400];
    snprintf(out_path, sizeof out_path, "%s/out.txt", path);
    const char *argv[64];
    size_t argc = 0;
    argv[argc++] = omsgw_bin();
    for (size_t i = 0; args && args[i] && argc < 63; i++)
        argv[argc++] = args[i];
    argv[argc] = NULL;
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
            close(fd);
        }
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid) {
        th_remove_tree(path);
        return -1;
    }
    if (output)
        *output = th_read_file(out_path, NULL);
    th_remove_tree(path);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void th_omsgw_dump_log(const th_omsgw *process)
{
    char *log = th_read_file(process->log_path, NULL);
    fprintf(stderr, "---- omsgw log (%s) ----\n%s\n---- end of log ----\n", process->log_path,
            log ? log : "(none)");
    free(log);
}

void th_omsgw_cleanup(th_omsgw *process)
{
    /* SIGTERM first: a graceful stop writes the process's gcov counters (scripts/coverage.sh
     * counts what e2e servers ran) and runs LeakSanitizer; SIGKILL only if it does not stop. */
    if (process->pid > 0)
        th_omsgw_stop(process, SIGTERM, 5000);
    if (process->dir[0])
        th_remove_tree(process->dir);
    process->dir[0] = '\0';
}
