/*
 * cli.h - the command line of `omsgw` (decisions.md, "Configuration and command line").
 *
 *   omsgw serve    [--config FILE] [--data-dir DIR] [--gateway-port N] [--oci-port N] [--workers N]
 *                  [--log-format plain|json] [--set section.field=value]…
 *   omsgw oci-core [--config FILE] [--data-dir DIR] [--oci-port N] [--log-format …] [--set …]
 *                  [--import-state FILE] [--export-state-on-exit FILE]
 *   omsgw --help | --version
 *
 * Named flags are shorthands for overrides of the configuration file (--workers 4 is
 * --set queue.workers=4); --set reaches any other value.
 */
#ifndef APP_CLI_H
#define APP_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "common/config.h"
#include "common/log.h"

#define APP_EXIT_OK 0
#define APP_EXIT_FAILURE 1
#define APP_EXIT_USAGE 2

typedef enum app_command {
    APP_CMD_HELP,
    APP_CMD_VERSION,
    APP_CMD_SERVE,
    APP_CMD_OCI_CORE,
    APP_CMD_USAGE,        /* no arguments: usage on stderr, exit 2 */
    APP_CMD_COMMAND_HELP, /* `omsgw serve --help`: the help of `help_for` */
} app_command;

typedef struct app_options {
    app_command command;
    const char *config_path; /* NULL: samples/omsgw.json in the current folder */
    const char *data_dir;    /* default ./data */
    int log_json;
    cm_log_level log_level; /* --log-level, default info */
    app_command help_for;   /* with APP_CMD_COMMAND_HELP */
    size_t override_count;
    const char *overrides[CM_CONFIG_MAX_OVERRIDES];
    char storage[8][64]; /* text of the overrides the named flags make */
    size_t storage_used;
    const char *import_state_path; /* --import-state: a snapshot loaded before the port opens */
    const char *export_state_path; /* --export-state-on-exit: a snapshot written at a clean stop */
} app_options;

/* Parses argv. Returns 0, or -1 after printing one line about the mistake to stderr. */
int app_parse_args(int argc, char **argv, app_options *options);

void app_print_help(const char *program);

/* The one-line usage (for `omsgw` without arguments, on stderr). */
void app_print_usage(FILE *out);

/* The options of serve or oci-core, on stdout. */
void app_print_command_help(app_command command);

#endif
