/*
 * main.c - the `omsgw` executable: parse the command line and hand over (see cli.h, serve.h).
 */
#include "app/cli.h"
#include "app/serve.h"

#include <stdio.h>

int main(int argc, char **argv)
{
    app_options options;
    if (app_parse_args(argc, argv, &options) != 0)
        return APP_EXIT_USAGE;
    switch (options.command) {
    case APP_CMD_HELP:
        app_print_help("omsgw");
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
