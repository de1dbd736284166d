#include "app/hold_cmd.h"
#include "app/cli.h"
#include "app/options.h"
#include "app/storage.h"
#include "common/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_CONFIG_PATH "samples/omsgw.json"
#define DEFAULT_REASON "held by an operator"

typedef struct hold_args {
    const char *config_path;
    const char *data_dir;
    const char *tenant;
    const char *reason;
} hold_args;

static const app_opt hold_specs[] = {{"--tenant", 1}, {"--reason", 1}, {"--config", 1}, {"--data-dir", 1}};

static void usage(FILE *out, const char *command)
{
    if (strcmp(command, "hold") == 0)
        fprintf(out, "usage: omsgw hold --tenant ID [--reason TEXT] [--config FILE] [--data-dir DIR]\n\n"
                     "Pauses the tenant's deliveries: its jobs stay PENDING, in order, until omsgw release.\n");
    else
        fprintf(out, "usage: omsgw release --tenant ID [--config FILE] [--data-dir DIR]\n\n"
                     "Lifts the operator's hold of the tenant; its jobs run again.\n");
}

/* Returns 0, 1 when help was printed, or -1 after a line on stderr. */
static int parse(int argc, char **argv, const char *command, hold_args *args)
{
    *args = (hold_args){.config_path = DEFAULT_CONFIG_PATH, .data_dir = "./data", .reason = DEFAULT_REASON};
    for (int i = 0; i < argc;) {
        const char *flag, *value;
        switch (app_opt_next(argc, argv, &i, hold_specs, sizeof hold_specs / sizeof hold_specs[0], command, &flag, &value)) {
        case APP_OPT_DONE: continue;
        case APP_OPT_HELP: usage(stdout, command); return 1;
        case APP_OPT_ERROR: return -1;
        case APP_OPT_FOUND: break;
        }
        if (strcmp(flag, "--tenant") == 0)
            args->tenant = value;
        else if (strcmp(flag, "--reason") == 0 && strcmp(command, "hold") == 0)
            args->reason = value;
        else if (strcmp(flag, "--reason") == 0) {
            fprintf(stderr, "omsgw release: unknown option --reason (see omsgw release --help)\n");
            return -1;
        } else if (strcmp(flag, "--config") == 0)
            args->config_path = value;
        else
            args->data_dir = value;
    }
    if (!args->tenant || !*args->tenant) {
        usage(stderr, command);
        return -1;
    }
    size_t reason_length = strlen(args->reason);
    if (reason_length == 0 || reason_length >= Q_HOLD_REASON_MAX) {
        fprintf(stderr, "omsgw hold: --reason must be 1 to %d characters\n", Q_HOLD_REASON_MAX - 1);
        return -1;
    }
    return 0;
}

static int run(int argc, char **argv, const char *command)
{
    hold_args args;
    int parsed = parse(argc, argv, command, &args);
    if (parsed)
        return parsed > 0 ? APP_EXIT_OK : APP_EXIT_USAGE;
    const char *digits = args.tenant[0] == 't' || args.tenant[0] == 'T' ? args.tenant + 1 : args.tenant;
    char *end = NULL;
    long long tenant_id = strtoll(digits, &end, 10);
    cm_config *config = NULL;
    char error[CM_CONFIG_ERROR_MAX];
    if (!*digits || *end || tenant_id <= 0) {
        fprintf(stderr, "omsgw %s: --tenant must be a tenant id such as 12345\n", command);
        return APP_EXIT_USAGE;
    }
    if (cm_config_load(args.config_path, NULL, 0, &config, error) != CM_OK) {
        fprintf(stderr, "omsgw %s: %s\n", command, error);
        return APP_EXIT_USAGE;
    }
    if (!cm_config_tenant(config, tenant_id)) {
        fprintf(stderr, "omsgw %s: tenant %lld is not in %s\n", command, tenant_id, args.config_path);
        cm_config_free(config);
        return APP_EXIT_USAGE;
    }
    q_store *store = NULL;
    if (app_storage_open(config, args.data_dir, 2, &store) != 0) {
        cm_config_free(config);
        return APP_EXIT_FAILURE;
    }
    int exit_code = APP_EXIT_OK;
    if (strcmp(command, "hold") == 0) {
        cm_err rc = q_store_hold(store, tenant_id, Q_HOLD_OPERATOR, args.reason, cm_now_ms());
        if (rc) {
            fprintf(stderr, "omsgw hold: tenant %lld: %s\n", tenant_id, cm_strerror(rc));
            exit_code = APP_EXIT_FAILURE;
        } else {
            printf("omsgw hold: tenant %lld is held (%s); omsgw release --tenant %lld lets it go\n", tenant_id,
                   args.reason, tenant_id);
        }
    } else {
        cm_err rc = q_store_release_hold(store, tenant_id, Q_HOLD_OPERATOR);
        if (rc == CM_ENOTFOUND) {
            printf("omsgw release: tenant %lld had no operator hold\n", tenant_id);
        } else if (rc) {
            fprintf(stderr, "omsgw release: tenant %lld: %s\n", tenant_id, cm_strerror(rc));
            exit_code = APP_EXIT_FAILURE;
        } else {
            char *other = NULL;
            if (q_store_get_hold(store, tenant_id, &other) == CM_OK)
                printf("omsgw release: tenant %lld: the operator's hold is lifted; still held: %s\n", tenant_id,
                       other);
            else
                printf("omsgw release: tenant %lld is released; its jobs run again\n", tenant_id);
            free(other);
        }
    }
    q_store_close(store);
    cm_config_free(config);
    return exit_code;
}

int app_hold_main(int argc, char **argv)
{
    return run(argc, argv, "hold");
}

int app_release_main(int argc, char **argv)
{
    return run(argc, argv, "release");
}
