/*
 * backup.c - online backup and restore of the data folder's databases (see backup.h).
 */
#include "app/backup.h"
#include "app/cli.h"
#include "app/data_lock.h"
#include "app/options.h"

#include <dirent.h>
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BACKUP_PATH_MAX 1100
/* A step copies this many pages; between steps a busy source is waited for. -1 would copy the
 * whole file in one step, holding one read snapshot for the whole copy: that is what we want
 * for consistency, so steps are only a loop around SQLITE_BUSY / SQLITE_LOCKED. */
#define BACKUP_ALL_PAGES -1
#define BACKUP_BUSY_WAIT_MS 50
#define BACKUP_BUSY_TRIES 600

/* In the order they must be copied (backup.h says why). */
static const char *const databases[] = {"gateway.db", "oci.db"};
#define DATABASE_COUNT (sizeof databases / sizeof databases[0])

static int file_exists(const char *path)
{
    struct stat info;
    return stat(path, &info) == 0;
}

/* 1 when `path` is a folder without entries (or does not exist and was created). */
static int prepare_empty_folder(const char *path, const char *command)
{
    if (mkdir(path, 0700) == 0)
        return 1;
    if (errno != EEXIST) {
        fprintf(stderr, "omsgw %s: cannot create %s: %s\n", command, path, strerror(errno));
        return 0;
    }
    DIR *dir = opendir(path);
    if (!dir) {
        fprintf(stderr, "omsgw %s: cannot open %s: %s\n", command, path, strerror(errno));
        return 0;
    }
    int empty = 1;
    for (struct dirent *entry; (entry = readdir(dir));)
        if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0)
            empty = 0;
    closedir(dir);
    if (!empty)
        fprintf(stderr, "omsgw %s: %s is not empty; give a new folder so no earlier backup is mixed in\n", command,
                path);
    return empty;
}

/* Copies the database `from` into a new file `to` with the online backup API. Returns 0 or -1
 * after one line on stderr; on failure `to` does not exist. */
static int copy_database(const char *from, const char *to, const char *command)
{
    char temporary[BACKUP_PATH_MAX + 8];
    snprintf(temporary, sizeof temporary, "%s.part", to);
    unlink(temporary);
    sqlite3 *source = NULL, *target = NULL;
    /* Read-write without CREATE: a read-only connection cannot always open a WAL database whose
     * -shm file is missing (server stopped), and this one never writes. */
    int rc = sqlite3_open_v2(from, &source, SQLITE_OPEN_READWRITE, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_open_v2(temporary, &target, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    const char *failed_on = rc == SQLITE_OK ? NULL : (source && !target ? temporary : from);
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(source, BACKUP_BUSY_WAIT_MS);
        sqlite3_backup *backup = sqlite3_backup_init(target, "main", source, "main");
        if (!backup) {
            rc = sqlite3_errcode(target);
            failed_on = temporary;
        } else {
            int tries = 0;
            do {
                rc = sqlite3_backup_step(backup, BACKUP_ALL_PAGES);
                if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
                    sqlite3_sleep(BACKUP_BUSY_WAIT_MS);
            } while ((rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED) && ++tries < BACKUP_BUSY_TRIES);
            int finish_rc = sqlite3_backup_finish(backup);
            if (rc == SQLITE_DONE)
                rc = finish_rc;
            failed_on = from;
        }
    }
    if (rc != SQLITE_OK) {
        fprintf(stderr, "omsgw %s: cannot copy %s: %s\n", command, failed_on ? failed_on : from,
                sqlite3_errstr(rc));
        sqlite3_close(source);
        sqlite3_close(target);
        unlink(temporary);
        return -1;
    }
    sqlite3_close(source);
    if (sqlite3_close(target) != SQLITE_OK || rename(temporary, to) != 0) {
        fprintf(stderr, "omsgw %s: cannot write %s: %s\n", command, to, strerror(errno));
        unlink(temporary);
        return -1;
    }
    return 0;
}

static const app_opt backup_specs[] = {{"--to", 1}, {"--data-dir", 1}};
static const app_opt restore_specs[] = {{"--from", 1}, {"--data-dir", 1}};

static void backup_usage(FILE *out, int long_form)
{
    fprintf(out, "usage: omsgw backup --to FOLDER [--data-dir DIR]\n");
    if (long_form)
        fprintf(out, "\nCopies gateway.db and oci.db of the data folder into FOLDER (new or empty) with SQLite's\n"
                     "online backup API, while the server keeps running.\n\n"
                     "  --to FOLDER      where the copies go (created when missing; must be empty)\n"
                     "  --data-dir DIR   the server's data folder (default: ./data)\n"
                     "Options take their value as --opt VALUE or --opt=VALUE.\n");
}

static void restore_usage(FILE *out, int long_form)
{
    fprintf(out, "usage: omsgw restore --from FOLDER [--data-dir DIR]\n");
    if (long_form)
        fprintf(out, "\nPuts the databases of a backup into a data folder no server uses and that holds no\n"
                     "databases yet (move the old folder aside first). Start `omsgw serve` on it afterwards:\n"
                     "jobs that were pending or working resume, and schemas migrate forward when needed.\n\n"
                     "  --from FOLDER    a folder written by omsgw backup\n"
                     "  --data-dir DIR   the data folder to fill (default: ./data; created when missing)\n"
                     "Options take their value as --opt VALUE or --opt=VALUE.\n");
}

/* Parses `--to`/`--from` and `--data-dir`. Returns 0, 1 after --help, or -1. */
static int parse(int argc, char **argv, const app_opt *specs, const char *command, const char **folder,
                 const char **data_dir, void (*usage)(FILE *, int))
{
    *folder = NULL;
    *data_dir = "./data";
    for (int i = 0; i < argc;) {
        const char *flag, *value;
        switch (app_opt_next(argc, argv, &i, specs, 2, command, &flag, &value)) {
        case APP_OPT_DONE: continue;
        case APP_OPT_HELP: usage(stdout, 1); return 1;
        case APP_OPT_ERROR: return -1;
        case APP_OPT_FOUND: break;
        }
        if (strcmp(flag, "--data-dir") == 0)
            *data_dir = value;
        else
            *folder = value;
    }
    if (!*folder || !**folder) {
        usage(stderr, 0);
        return -1;
    }
    return 0;
}

int app_backup_main(int argc, char **argv)
{
    const char *folder, *data_dir;
    int parsed = parse(argc, argv, backup_specs, "backup", &folder, &data_dir, backup_usage);
    if (parsed)
        return parsed > 0 ? APP_EXIT_OK : APP_EXIT_USAGE;
    int found = 0;
    for (size_t i = 0; i < DATABASE_COUNT; i++) {
        char path[BACKUP_PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", data_dir, databases[i]);
        found += file_exists(path);
    }
    if (!found) {
        fprintf(stderr, "omsgw backup: %s holds neither gateway.db nor oci.db (is --data-dir right?)\n", data_dir);
        return APP_EXIT_USAGE;
    }
    if (!prepare_empty_folder(folder, "backup"))
        return APP_EXIT_USAGE;
    for (size_t i = 0; i < DATABASE_COUNT; i++) {
        char from[BACKUP_PATH_MAX], to[BACKUP_PATH_MAX];
        snprintf(from, sizeof from, "%s/%s", data_dir, databases[i]);
        snprintf(to, sizeof to, "%s/%s", folder, databases[i]);
        if (!file_exists(from))
            continue; /* `omsgw oci-core` alone has no gateway.db */
        if (copy_database(from, to, "backup") != 0)
            return APP_EXIT_FAILURE;
        printf("omsgw backup: %s -> %s\n", from, to);
    }
    return APP_EXIT_OK;
}

int app_restore_main(int argc, char **argv)
{
    const char *folder, *data_dir;
    int parsed = parse(argc, argv, restore_specs, "restore", &folder, &data_dir, restore_usage);
    if (parsed)
        return parsed > 0 ? APP_EXIT_OK : APP_EXIT_USAGE;
    int found = 0;
    for (size_t i = 0; i < DATABASE_COUNT; i++) {
        char path[BACKUP_PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", folder, databases[i]);
        found += file_exists(path);
    }
    if (!found) {
        fprintf(stderr, "omsgw restore: %s holds no backup (neither gateway.db nor oci.db)\n", folder);
        return APP_EXIT_USAGE;
    }
    if (mkdir(data_dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "omsgw restore: cannot create %s: %s\n", data_dir, strerror(errno));
        return APP_EXIT_USAGE;
    }
    char lock_error[1400];
    int lock = app_data_lock_take(data_dir, lock_error, sizeof lock_error);
    if (lock < 0) {
        fprintf(stderr, "omsgw restore: %s\n", lock_error);
        return APP_EXIT_USAGE;
    }
    int exit_code = APP_EXIT_OK;
    for (size_t i = 0; i < DATABASE_COUNT && exit_code == APP_EXIT_OK; i++) {
        char path[BACKUP_PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", data_dir, databases[i]);
        if (file_exists(path)) {
            fprintf(stderr, "omsgw restore: %s already holds %s; restore into a new folder (move this one aside)\n",
                    data_dir, databases[i]);
            exit_code = APP_EXIT_USAGE;
        }
    }
    for (size_t i = 0; i < DATABASE_COUNT && exit_code == APP_EXIT_OK; i++) {
        char from[BACKUP_PATH_MAX], to[BACKUP_PATH_MAX];
        snprintf(from, sizeof from, "%s/%s", folder, databases[i]);
        snprintf(to, sizeof to, "%s/%s", data_dir, databases[i]);
        if (!file_exists(from))
            continue;
        if (copy_database(from, to, "restore") != 0)
            exit_code = APP_EXIT_FAILURE;
        else
            printf("omsgw restore: %s -> %s\n", from, to);
    }
    app_data_lock_release(lock);
    return exit_code;
}
