#define _XOPEN_SOURCE 700 /* nftw */
#include "tests/support/pg_server.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <ftw.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Reports a failure on stderr and returns -1 (the callers' tests then fail with their own line). */
static int failed(const char *what, const char *detail)
{
    fprintf(stderr, "pg_server: %s%s\n", what, detail ? detail : "");
    return -1;
}

static int write_text(const char *path, const char *text)
{
    FILE *file = fopen(path, "w");
    if (!file)
        return -1;
    int ok = fputs(text, file) >= 0;
    return fclose(file) == 0 && ok ? 0 : -1;
}

static int remove_entry(const char *path, const struct stat *info, int type, struct FTW *walk)
{
    (void)info;
    (void)type;
    (void)walk;
    remove(path);
    return 0;
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = 0};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&address, sizeof address) == 0 &&
        getsockname(fd, (struct sockaddr *)&address, &length) == 0)
        port = ntohs(address.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

static int find_bin_dir(char *out, size_t size)
{
    glob_t found;
    if (glob("/usr/lib/postgresql/*/bin/postgres", 0, NULL, &found) != 0)
        return -1;
    /* The last match is the newest major version. */
    snprintf(out, size, "%s", found.gl_pathv[found.gl_pathc - 1]);
    globfree(&found);
    char *slash = strrchr(out, '/');
    if (slash)
        *slash = '\0';
    return 0;
}

int th_pg_available(void)
{
    char dir[256];
    return find_bin_dir(dir, sizeof dir) == 0;
}

/* In a forked child: become the postgres user when running as root (PostgreSQL refuses root). */
static void drop_root(void)
{
    if (geteuid() != 0)
        return;
    struct passwd *user = getpwnam("postgres");
    if (!user || setgid(user->pw_gid) != 0 || setuid(user->pw_uid) != 0) {
        fprintf(stderr, "pg_server: cannot become the postgres user\n");
        _exit(126);
    }
}

static int give_to_postgres(const char *path)
{
    if (geteuid() != 0)
        return 0;
    struct passwd *user = getpwnam("postgres");
    if (!user || chown(path, user->pw_uid, user->pw_gid) != 0)
        return failed("cannot give to the postgres user: ", path);
    return 0;
}

/* Starts argv as the server's user, output appended to <dir>/<log_name>; the child gets
 * `death_signal` when the test process goes. Returns its pid, or -1. */
static pid_t spawn_as_server_user(const th_pg *pg, const char *const *argv, const char *log_name, int death_signal)
{
    char log_path[400];
    snprintf(log_path, sizeof log_path, "%s/%s", pg->dir, log_name);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
            close(fd);
        }
        drop_root();
        /* After drop_root: a change of user clears the parent-death signal. */
        prctl(PR_SET_PDEATHSIG, death_signal);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    return pid;
}

/* Runs argv as the server's user to completion; returns its exit status, or -1. */
static int run_as_server_user(th_pg *pg, const char *const *argv, const char *log_name)
{
    pid_t pid = spawn_as_server_user(pg, argv, log_name, SIGKILL);
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void print_log(const th_pg *pg, const char *name)
{
    char path[400];
    snprintf(path, sizeof path, "%s/%s", pg->dir, name);
    fprintf(stderr, "---- %s ----\n", path);
    FILE *file = fopen(path, "r");
    char line[512];
    while (file && fgets(line, sizeof line, file))
        fputs(line, stderr);
    if (file)
        fclose(file);
    fprintf(stderr, "----\n");
}

static int launch(th_pg *pg)
{
    char data_dir[320], port[16];
    snprintf(data_dir, sizeof data_dir, "%s/data", pg->dir);
    snprintf(port, sizeof port, "%d", pg->port);
    char postgres[300], sockets[300];
    snprintf(postgres, sizeof postgres, "%s/postgres", pg->bin_dir);
    snprintf(sockets, sizeof sockets, "unix_socket_directories=%s", pg->dir);
    const char *fsync = pg->durable ? "fsync=on" : "fsync=off";
    const char *argv[] = {postgres, "-D", data_dir, "-p", port, "-c", "listen_addresses=127.0.0.1", "-c", sockets,
                          "-c", fsync, "-c", "max_connections=200", "-c", "shared_buffers=64MB", NULL};
    /* SIGQUIT is the postmaster's immediate shutdown: it takes its backends with it. */
    pid_t pid = spawn_as_server_user(pg, argv, "postgres.log", SIGQUIT);
    if (pid < 0)
        return failed("fork failed", NULL);
    pg->pid = pid;
    char conninfo[200];
    snprintf(conninfo, sizeof conninfo, "host=127.0.0.1 port=%d dbname=postgres user=%s connect_timeout=2",
             pg->port, TH_PG_USER);
    for (int waited = 0; waited < 30000; waited += 50) {
        if (PQping(conninfo) == PQPING_OK)
            return 0;
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            pg->pid = 0;
            print_log(pg, "postgres.log");
            return failed("postgres exited at start-up", NULL);
        }
        struct timespec pause = {0, 50 * 1000000L};
        nanosleep(&pause, NULL);
    }
    print_log(pg, "postgres.log");
    return failed("postgres did not accept connections within 30 s", NULL);
}

int th_pg_start(th_pg *pg, int durable)
{
    memset(pg, 0, sizeof *pg);
    pg->durable = durable;
    if (find_bin_dir(pg->bin_dir, sizeof pg->bin_dir) != 0)
        return failed("no PostgreSQL server is installed (./scripts/deps.sh installs the postgresql package)", NULL);
    snprintf(pg->dir, sizeof pg->dir, "/tmp/omsgw-pg-XXXXXX");
    if (!mkdtemp(pg->dir))
        return failed("mkdtemp failed: ", strerror(errno));
    char password_file[320];
    snprintf(password_file, sizeof password_file, "%s/password", pg->dir);
    if (give_to_postgres(pg->dir) != 0 || write_text(password_file, TH_PG_PASSWORD "\n") != 0 ||
        give_to_postgres(password_file) != 0)
        return failed("cannot prepare ", pg->dir);
    char initdb[300], data_dir[320], pwfile[340];
    snprintf(initdb, sizeof initdb, "%s/initdb", pg->bin_dir);
    snprintf(data_dir, sizeof data_dir, "%s/data", pg->dir);
    snprintf(pwfile, sizeof pwfile, "--pwfile=%s", password_file);
    const char *argv[] = {initdb, "-D", data_dir, "-U", TH_PG_USER, pwfile, "--auth=scram-sha-256",
                          "--encoding=UTF8", "--locale=C", "--no-sync", NULL};
    if (run_as_server_user(pg, argv, "initdb.log") != 0) {
        print_log(pg, "initdb.log");
        return failed("initdb failed", NULL);
    }
    pg->port = free_port();
    return pg->port > 0 ? launch(pg) : failed("no free port", NULL);
}

void th_pg_stop(th_pg *pg)
{
    if (!pg->pid)
        return;
    kill(pg->pid, SIGINT);
    int status;
    for (int waited = 0; waited < 30000; waited += 20) {
        if (waitpid(pg->pid, &status, WNOHANG) == pg->pid) {
            pg->pid = 0;
            return;
        }
        struct timespec pause = {0, 20 * 1000000L};
        nanosleep(&pause, NULL);
    }
    kill(pg->pid, SIGKILL);
    waitpid(pg->pid, &status, 0);
    pg->pid = 0;
}

int th_pg_restart(th_pg *pg)
{
    return pg->pid ? 0 : launch(pg);
}

void th_pg_cleanup(th_pg *pg)
{
    th_pg_stop(pg);
    if (pg->dir[0])
        nftw(pg->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    pg->dir[0] = '\0';
}

void th_pg_url(const th_pg *pg, const char *name, char *url, size_t size)
{
    snprintf(url, size, "postgresql://%s:%s@127.0.0.1:%d/%s", TH_PG_USER, TH_PG_PASSWORD, pg->port, name);
}

int th_pg_create_database(th_pg *pg, const char *name, char *url, size_t size)
{
    char admin[400];
    th_pg_url(pg, "postgres", admin, sizeof admin);
    PGconn *conn = PQconnectdb(admin);
    char sql[200];
    snprintf(sql, sizeof sql, "CREATE DATABASE \"%s\"", name);
    PGresult *result = PQstatus(conn) == CONNECTION_OK ? PQexec(conn, sql) : NULL;
    int ok = result && PQresultStatus(result) == PGRES_COMMAND_OK;
    if (!ok)
        failed("CREATE DATABASE failed: ", PQerrorMessage(conn));
    PQclear(result);
    PQfinish(conn);
    th_pg_url(pg, name, url, size);
    return ok ? 0 : -1;
}
