#define _GNU_SOURCE /* mkdtemp, strdup under -std=c11 */
#include "bench/bench_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

double bench_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static int compare_doubles(const void *a, const void *b)
{
    double left = *(const double *)a, right = *(const double *)b;
    return left < right ? -1 : left > right;
}

double bench_percentile(const double *values, size_t count, double p)
{
    if (count == 0)
        return 0;
    double *sorted = malloc(count * sizeof *sorted);
    memcpy(sorted, values, count * sizeof *sorted);
    qsort(sorted, count, sizeof *sorted, compare_doubles);
    size_t rank = (size_t)((p / 100.0) * (double)count + 0.999999);
    if (rank < 1)
        rank = 1;
    if (rank > count)
        rank = count;
    double value = sorted[rank - 1];
    free(sorted);
    return value;
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = 0};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&address, sizeof address) != 0)
        return -1;
    socklen_t length = sizeof address;
    getsockname(fd, (struct sockaddr *)&address, &length);
    close(fd);
    return ntohs(address.sin_port);
}

static int copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb");
    FILE *out = in ? fopen(to, "wb") : NULL;
    if (!in || !out) {
        if (in)
            fclose(in);
        return -1;
    }
    char buffer[65536];
    size_t n;
    while ((n = fread(buffer, 1, sizeof buffer, in)) > 0)
        fwrite(buffer, 1, n, out);
    fclose(in);
    fclose(out);
    return 0;
}

static int healthy(bench_client *client, int port)
{
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/healthz", port);
    bench_reply reply;
    return bench_request(client, "GET", url, NULL, 0, NULL, &reply) == 0 && reply.status == 200;
}

int bench_server_start(bench_server *server, const char *omsgw, const char *source_dir,
                       const char *const *overrides)
{
    return bench_server_start_with(server, omsgw, source_dir, NULL, NULL, overrides);
}

static int write_text(const char *path, const char *text)
{
    FILE *file = fopen(path, "w");
    if (!file)
        return -1;
    int ok = fputs(text, file) >= 0;
    return fclose(file) == 0 && ok ? 0 : -1;
}

int bench_server_start_with(bench_server *server, const char *omsgw, const char *source_dir,
                            const char *config_json, const char *graph_json, const char *const *overrides)
{
    memset(server, 0, sizeof *server);
    const char *tmp = getenv("TMPDIR");
    snprintf(server->dir, sizeof server->dir, "%s/omsgw-bench-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(server->dir))
        return -1;
    char from[600], to[600];
    snprintf(from, sizeof from, "%s/samples/omsgw.json", source_dir);
    snprintf(to, sizeof to, "%s/omsgw.json", server->dir);
    if (copy_file(from, to) != 0)
        return -1;
    snprintf(from, sizeof from, "%s/samples/location-graph.json", source_dir);
    char graph[600];
    snprintf(graph, sizeof graph, "%s/location-graph.json", server->dir);
    if (copy_file(from, graph) != 0)
        return -1;
    if ((config_json && write_text(to, config_json) != 0) || (graph_json && write_text(graph, graph_json) != 0))
        return -1;
    snprintf(server->data_dir, sizeof server->data_dir, "%s/data", server->dir);
    snprintf(server->log_path, sizeof server->log_path, "%s/omsgw.log", server->dir);
    server->gateway_port = free_port();
    do
        server->oci_port = free_port();
    while (server->oci_port == server->gateway_port);

    char gateway_port[16], oci_port[16];
    snprintf(gateway_port, sizeof gateway_port, "%d", server->gateway_port);
    snprintf(oci_port, sizeof oci_port, "%d", server->oci_port);
    const char *argv[80];
    size_t argc = 0;
    argv[argc++] = omsgw;
    argv[argc++] = "serve";
    argv[argc++] = "--config";
    argv[argc++] = to;
    argv[argc++] = "--data-dir";
    argv[argc++] = server->data_dir;
    argv[argc++] = "--gateway-port";
    argv[argc++] = gateway_port;
    argv[argc++] = "--oci-port";
    argv[argc++] = oci_port;
    char expanded[16][300];
    for (size_t i = 0; overrides && overrides[i] && i < 16; i++) {
        /* "{oci_port}" in an override becomes the OCI port (for http delivery to ourselves). */
        const char *mark = strstr(overrides[i], "{oci_port}");
        if (mark)
            snprintf(expanded[i], sizeof expanded[i], "%.*s%d%s", (int)(mark - overrides[i]), overrides[i],
                     server->oci_port, mark + strlen("{oci_port}"));
        else
            snprintf(expanded[i], sizeof expanded[i], "%s", overrides[i]);
        argv[argc++] = "--set";
        argv[argc++] = expanded[i];
    }
    argv[argc] = NULL;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int fd = open(server->log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
            close(fd);
        }
        execv(omsgw, (char *const *)argv);
        _exit(127);
    }
    server->pid = pid;
    bench_client client;
    bench_client_init(&client, NULL);
    int up = 0;
    for (int i = 0; i < 1000 && !up; i++) {
        if (waitpid(pid, NULL, WNOHANG) == pid) {
            server->pid = 0;
            break;
        }
        up = healthy(&client, server->gateway_port) && healthy(&client, server->oci_port);
        if (!up)
            usleep(10000);
    }
    bench_client_free(&client);
    if (!up) {
        fprintf(stderr, "bench: omsgw did not start; see %s\n", server->log_path);
        return -1;
    }
    return 0;
}

static int remove_tree(const char *path)
{
    char command[400];
    snprintf(command, sizeof command, "rm -rf '%s'", path);
    return system(command);
}

void bench_server_stop(bench_server *server)
{
    if (server->pid > 0) {
        kill(server->pid, SIGTERM);
        for (int i = 0; i < 1000; i++) {
            if (waitpid(server->pid, NULL, WNOHANG) == server->pid) {
                server->pid = 0;
                break;
            }
            usleep(10000);
        }
        if (server->pid > 0) {
            kill(server->pid, SIGKILL);
            waitpid(server->pid, NULL, 0);
        }
    }
    server->pid = 0;
    if (server->dir[0] && !getenv("OMSGW_BENCH_KEEP"))
        remove_tree(server->dir);
}

static long status_field_kib(pid_t pid, const char *field)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *file = fopen(path, "r");
    if (!file)
        return -1;
    char line[256];
    long value = -1;
    size_t field_length = strlen(field);
    while (fgets(line, sizeof line, file))
        if (strncmp(line, field, field_length) == 0 && line[field_length] == ':')
            value = strtol(line + field_length + 1, NULL, 10);
    fclose(file);
    return value;
}

long bench_rss_kib(pid_t pid)
{
    return status_field_kib(pid, "VmRSS");
}

long bench_peak_rss_kib(pid_t pid)
{
    return status_field_kib(pid, "VmHWM");
}

static size_t collect(char *data, size_t size, size_t count, void *user)
{
    bench_client *client = user;
    size_t bytes = size * count;
    if (client->length + bytes + 1 > client->capacity) {
        size_t capacity = client->capacity ? client->capacity : 4096;
        while (capacity < client->length + bytes + 1)
            capacity *= 2;
        char *grown = realloc(client->buffer, capacity);
        if (!grown)
            return 0;
        client->buffer = grown;
        client->capacity = capacity;
    }
    memcpy(client->buffer + client->length, data, bytes);
    client->length += bytes;
    client->buffer[client->length] = '\0';
    return bytes;
}

int bench_client_init(bench_client *client, const char *const *headers)
{
    memset(client, 0, sizeof *client);
    client->curl = curl_easy_init();
    if (!client->curl)
        return -1;
    for (size_t i = 0; headers && headers[i]; i++)
        client->headers = curl_slist_append(client->headers, headers[i]);
    client->headers = curl_slist_append(client->headers, "Expect:");
    return 0;
}

void bench_client_free(bench_client *client)
{
    curl_slist_free_all(client->headers);
    if (client->curl)
        curl_easy_cleanup(client->curl);
    free(client->buffer);
    memset(client, 0, sizeof *client);
}

int bench_request(bench_client *client, const char *method, const char *url, const void *body,
                  size_t length, const char *content_type, bench_reply *reply)
{
    CURL *curl = client->curl;
    client->length = 0;
    if (client->buffer)
        client->buffer[0] = '\0';
    struct curl_slist *headers = NULL;
    for (struct curl_slist *h = client->headers; h; h = h->next)
        headers = curl_slist_append(headers, h->data);
    if (content_type) {
        char line[128];
        snprintf(line, sizeof line, "Content-Type: %s", content_type);
        headers = curl_slist_append(headers, line);
    }
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl, CURLOPT_HTTPGET, body ? 0L : 1L);
    if (strcmp(method, "GET") != 0 || body) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body ? body : "");
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(body ? length : 0));
    }
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, client);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 600L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    CURLcode code = curl_easy_perform(curl);
    curl_slist_free_all(headers);
    reply->status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply->status);
    reply->body = client->buffer ? client->buffer : (char *)"";
    reply->length = client->length;
    return code == CURLE_OK ? 0 : -1;
}

int bench_cores(void)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    return cores > 0 ? (int)cores : 1;
}

void bench_cpu_model(char *out, size_t size)
{
    snprintf(out, size, "unknown");
    FILE *file = fopen("/proc/cpuinfo", "r");
    if (!file)
        return;
    char line[512];
    while (fgets(line, sizeof line, file)) {
        if (strncmp(line, "model name", 10) == 0) {
            const char *colon = strchr(line, ':');
            if (colon) {
                colon++;
                while (*colon == ' ')
                    colon++;
                snprintf(out, size, "%s", colon);
                out[strcspn(out, "\n")] = '\0';
            }
            break;
        }
    }
    fclose(file);
}
