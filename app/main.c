/*
 * main.c - the `omsgw` executable: parse the command line and hand over (see cli.h, serve.h).
 */
#include "app/backup.h"
#include "app/cli.h"
#include "app/compare.h"
#include "app/hold_cmd.h"
#include "app/serve.h"
#include "app/translate_cmd.h"

#include <malloc.h>
#include <stdio.h>
#include <string.h>

/* Memory: every server and worker thread would otherwise get its own malloc arena and keep the
 * peak of the large requests it once handled (a 12000-item body parses into ~15 MB of json-c
 * objects). Two arenas shared by all threads keep the resident size near one such peak. */
#define APP_MALLOC_ARENAS 2

int main(int argc, char **argv)
{
    mallopt(M_ARENA_MAX, APP_MALLOC_ARENAS);
    /* The client-side commands parse their own options. */
    if (argc >= 2 && strcmp(argv[1], "compare") == 0)
        return app_compare_main(argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "translate") == 0)
        return app_translate_main(argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "backup") == 0)
        return app_backup_main(argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "restore") == 0)
        return app_restore_main(argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "hold") == 0)
        return app_hold_main(argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "release") == 0)
        return app_release_main(argc - 2, argv + 2);
    app_options options;
    if (app_parse_args(argc, argv, &options) != 0)
        return APP_EXIT_USAGE;
    switch (options.command) {
    case APP_CMD_HELP:
        app_print_help("omsgw");
        return APP_EXIT_OK;
    case APP_CMD_USAGE:
        app_print_usage(stderr);
        return APP_EXIT_USAGE;
    case APP_CMD_COMMAND_HELP:
        app_print_command_help(options.help_for);
        return APP_EXIT_OK;
    case APP_CMD_VERSION:
        printf("omsgw %s\n", OMSGW_VERSION);
        return APP_EXIT_OK;
    case APP_CMD_SERVE:
    case APP_CMD_OCI_CORE:
        return app_serve(&options);
    }
    return APP_EXIT_USAGE;
}
