#include "app/cli.h"
#include "app/options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void app_print_help(const char *program)
{
    printf("omsgw %s - legacy Inventory Refresh gateway with a bundled Omnichannel Inventory core\n\n"
           "Usage:\n"
           "  %s serve    [--config FILE] [--data-dir DIR] [--gateway-port N] [--oci-port N]\n"
           "                 [--workers N] [--log-format plain|json] [--set section.field=value]...\n"
           "  %s oci-core [--config FILE] [--data-dir DIR] [--oci-port N] [--log-format plain|json]\n"
           "                 [--set section.field=value]... [--import-state FILE] [--export-state-on-exit FILE]\n"
           "  %s compare  --config FILE --request FILE --tenant ID [--native-org ID] [--json] ...\n"
           "  %s translate --request FILE --config FILE [--tenant ID] [--job-id N]\n"
           "  %s backup   --to FOLDER [--data-dir DIR]\n"
           "  %s hold     --tenant ID [--reason TEXT] [--config FILE] [--data-dir DIR]\n"
           "  %s release  --tenant ID [--config FILE] [--data-dir DIR]\n"
           "  %s restore  --from FOLDER [--data-dir DIR]\n"
           "  %s --help | --version | COMMAND --help\n\n"
           "serve     runs the legacy gateway, the job queue workers and the bundled OCI core.\n"
           "oci-core  runs the bundled OCI core alone.\n"
           "compare   sends a request through the running gateway and natively into OCI, and\n"
           "          prints both sides' availability side by side (exit 0 equal, 1 different).\n"
           "translate prints the OCI import lines the gateway would deliver for a request.\n"
           "backup    copies gateway.db and oci.db consistently while the server runs.\n"
           "restore   puts a backup into a data folder no server is using.\n"
           "hold      pauses a tenant's deliveries (its jobs wait, in order); release lets them go.\n\n"
           "--config FILE     the JSON configuration (default: samples/omsgw.json)\n"
           "--data-dir DIR    where the SQLite files live (default: ./data)\n"
           "--gateway-port N  legacy API port (0 disables the listener)\n"
           "--oci-port N      OCI API port (0 disables the listener)\n"
           "--workers N       queue worker threads\n"
           "--set PATH=VALUE  override any configuration value, e.g. --set queue.chunkSize=1000\n"
           "--log-format plain|json, --log-level debug|info|warn|error\n"
           "--import-state FILE          oci-core: load a state snapshot (GET /_omsgw/state/export) at start\n"
           "--export-state-on-exit FILE  oci-core: write a state snapshot of every organization at a clean stop\n"
           "Each command's own options: omsgw COMMAND --help. --opt=VALUE works like --opt VALUE.\n\n"
           "Exit codes: 0 clean stop, 1 failure while running, 2 bad command line or configuration.\n",
           OMSGW_VERSION, program, program, program, program, program, program, program, program, program);
}

static int add_override(app_options *options, const char *text)
{
    if (options->override_count == CM_CONFIG_MAX_OVERRIDES) {
        fprintf(stderr, "omsgw: too many overrides (at most %d)\n", CM_CONFIG_MAX_OVERRIDES);
        return -1;
    }
    options->overrides[options->override_count++] = text;
    return 0;
}

/* Turns "--workers 4" into the override "queue.workers=4". */
static int add_named_override(app_options *options, const char *path, const char *flag, const char *value)
{
    char *end;
    long number = strtol(value, &end, 10);
    if (!*value || *end || number < 0 || number > 65535) {
        fprintf(stderr, "omsgw: %s needs a whole number, got \"%s\"\n", flag, value);
        return -1;
    }
    if (options->storage_used == sizeof options->storage / sizeof options->storage[0]) {
        fprintf(stderr, "omsgw: too many options\n");
        return -1;
    }
    char *slot = options->storage[options->storage_used++];
    snprintf(slot, sizeof options->storage[0], "%s=%ld", path, number);
    return add_override(options, slot);
}

/* The options of serve and oci-core; --gateway-port and --workers are serve's only. */
static const app_opt serve_options[] = {
    {"--config", 1}, {"--data-dir", 1}, {"--gateway-port", 1}, {"--oci-port", 1}, {"--workers", 1}, {"--admin-port", 1},
    {"--set", 1},    {"--log-format", 1}, {"--log-level", 1}, {"--import-state", 1}, {"--export-state-on-exit", 1},
};
static const app_opt oci_core_options[] = {
    {"--config", 1},    {"--data-dir", 1},     {"--oci-port", 1},     {"--set", 1},
    {"--log-format", 1}, {"--log-level", 1}, {"--import-state", 1}, {"--export-state-on-exit", 1},
};

void app_print_usage(FILE *out)
{
    fprintf(out, "usage: omsgw serve|oci-core|compare|translate|backup|restore|hold|release [OPTIONS]  (omsgw --help; omsgw "
                 "COMMAND --help)\n");
}

void app_print_command_help(app_command command)
{
    if (command == APP_CMD_OCI_CORE) {
        printf("usage: omsgw oci-core [OPTIONS]\n\n"
               "Runs the bundled OCI core alone (no gateway, no queue workers).\n\n"
               "  --config FILE          the JSON configuration (default: samples/omsgw.json)\n"
               "  --data-dir DIR         where oci.db lives (default: ./data); one process per folder\n"
               "  --oci-port N           OCI API port (0 disables the listener)\n"
               "  --set PATH=VALUE       override any configuration value (repeatable)\n"
               "  --log-format plain|json\n"
               "  --log-level debug|info|warn|error   (default info; warn hides the per-request lines)\n"
               "  --import-state FILE    load a state snapshot (GET /_omsgw/state/export) before the port opens\n"
               "  --export-state-on-exit FILE  write a snapshot of every organization at a clean stop\n"
               "Options take their value as --opt VALUE or --opt=VALUE.\n");
        return;
    }
    printf("usage: omsgw serve [OPTIONS]\n\n"
           "Runs the legacy gateway, the queue workers and the bundled OCI core in one process.\n\n"
           "  --config FILE          the JSON configuration (default: samples/omsgw.json)\n"
           "  --data-dir DIR         where the SQLite files live (default: ./data); one process per folder\n"
           "  --gateway-port N       legacy API port (0 disables the listener); same as --set gateway.port=N\n"
           "  --oci-port N           OCI API port (0 disables the listener); same as --set oci.port=N\n"
           "  --admin-port N         admin listener port: metrics, console, admin API (0 disables it); same as --set admin.port=N\n"
           "  --workers N            queue worker threads; same as --set queue.workers=N\n"
           "  --set PATH=VALUE       override any configuration value (repeatable), e.g. --set queue.chunkSize=1000\n"
           "  --log-format plain|json\n"
           "  --log-level debug|info|warn|error   (default info; warn hides the per-request lines)\n"
           "Options take their value as --opt VALUE or --opt=VALUE.\n"
           "Exit codes: 0 clean stop, 1 failure while running, 2 bad command line or configuration.\n");
}

int app_parse_args(int argc, char **argv, app_options *options)
{
    memset(options, 0, sizeof *options);
    options->data_dir = "./data";
    options->log_level = CM_LOG_INFO;
    if (argc < 2) {
        options->command = APP_CMD_USAGE;
        return 0;
    }
    const char *command = argv[1];
    if (strcmp(command, "--help") == 0 || strcmp(command, "-h") == 0 || strcmp(command, "help") == 0) {
        options->command = APP_CMD_HELP;
        return 0;
    }
    if (strcmp(command, "--version") == 0 || strcmp(command, "version") == 0) {
        options->command = APP_CMD_VERSION;
        return 0;
    }
    const app_opt *specs;
    size_t spec_count;
    if (strcmp(command, "serve") == 0) {
        options->command = APP_CMD_SERVE;
        specs = serve_options;
        spec_count = sizeof serve_options / sizeof serve_options[0];
    } else if (strcmp(command, "oci-core") == 0) {
        options->command = APP_CMD_OCI_CORE;
        specs = oci_core_options;
        spec_count = sizeof oci_core_options / sizeof oci_core_options[0];
    } else {
        fprintf(stderr, "omsgw: unknown command \"%s\" (try omsgw --help)\n", command);
        return -1;
    }
    int index = 2;
    while (1) {
        const char *flag, *value;
        app_opt_result result = app_opt_next(argc, argv, &index, specs, spec_count, command, &flag, &value);
        if (result == APP_OPT_DONE)
            return 0;
        if (result == APP_OPT_ERROR)
            return -1;
        if (result == APP_OPT_HELP) {
            options->help_for = options->command;
            options->command = APP_CMD_COMMAND_HELP;
            return 0;
        }
        int rc = 0;
        if (strcmp(flag, "--config") == 0)
            options->config_path = value;
        else if (strcmp(flag, "--data-dir") == 0)
            options->data_dir = value;
        else if (strcmp(flag, "--gateway-port") == 0)
            rc = add_named_override(options, "gateway.port", flag, value);
        else if (strcmp(flag, "--oci-port") == 0)
            rc = add_named_override(options, "oci.port", flag, value);
        else if (strcmp(flag, "--admin-port") == 0)
            rc = add_named_override(options, "admin.port", flag, value);
        else if (strcmp(flag, "--workers") == 0)
            rc = add_named_override(options, "queue.workers", flag, value);
        else if (strcmp(flag, "--set") == 0)
            rc = add_override(options, value);
        else if (strcmp(flag, "--import-state") == 0)
            options->import_state_path = value;
        else if (strcmp(flag, "--export-state-on-exit") == 0)
            options->export_state_path = value;
        else if (strcmp(flag, "--log-format") == 0) {
            if (strcmp(value, "json") == 0)
                options->log_json = 1;
            else if (strcmp(value, "plain") == 0)
                options->log_json = 0;
            else {
                fprintf(stderr, "omsgw: --log-format is plain or json, got \"%s\"\n", value);
                return -1;
            }
        } else if (strcmp(flag, "--log-level") == 0) {
            if (cm_log_level_from_name(value, &options->log_level) != 0) {
                fprintf(stderr, "omsgw: --log-level is debug, info, warn or error, got \"%s\"\n", value);
                return -1;
            }
        }
        if (rc)
            return -1;
    }
}
