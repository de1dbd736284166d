/*
 * options.h - one reading of command-line options for every `omsgw` subcommand.
 *
 * What it promises: `--opt value` and `--opt=value` mean the same; `--help` / `-h` anywhere asks
 * for the subcommand's help; an option the subcommand does not have is "unknown option", a value
 * missing is "needs a value", a value given to a flag is "takes no value", and a word that is no
 * option is "unexpected argument" - each one line on stderr naming the subcommand and pointing at
 * its --help. It never exits: the caller decides the exit code (2 for these mistakes).
 */
#ifndef APP_OPTIONS_H
#define APP_OPTIONS_H

#include <stddef.h>

typedef struct app_opt {
    const char *name; /* "--config" */
    int takes_value;  /* 1: --name VALUE or --name=VALUE; 0: a flag */
} app_opt;

typedef enum app_opt_result {
    APP_OPT_DONE,  /* no arguments left */
    APP_OPT_FOUND, /* *name is the spec's name, *value the value (NULL for a flag) */
    APP_OPT_HELP,  /* --help or -h */
    APP_OPT_ERROR, /* a line was printed on stderr */
} app_opt_result;

/*
 * Reads the option at argv[*index] and advances *index past it (and its value). `command` names
 * the subcommand in messages ("compare").
 */
app_opt_result app_opt_next(int argc, char **argv, int *index, const app_opt *specs, size_t spec_count,
                            const char *command, const char **name, const char **value);

#endif
