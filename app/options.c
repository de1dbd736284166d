/*
 * options.c - the shared option reader (see options.h).
 */
#include "app/options.h"

#include <stdio.h>
#include <string.h>

app_opt_result app_opt_next(int argc, char **argv, int *index, const app_opt *specs, size_t spec_count,
                            const char *command, const char **name, const char **value)
{
    *name = NULL;
    *value = NULL;
    if (*index >= argc)
        return APP_OPT_DONE;
    const char *word = argv[(*index)++];
    if (strcmp(word, "--help") == 0 || strcmp(word, "-h") == 0)
        return APP_OPT_HELP;
    if (strncmp(word, "--", 2) != 0) {
        fprintf(stderr, "omsgw %s: unexpected argument \"%s\" (try omsgw %s --help)\n", command, word, command);
        return APP_OPT_ERROR;
    }
    const char *equals = strchr(word, '=');
    size_t name_length = equals ? (size_t)(equals - word) : strlen(word);
    for (size_t i = 0; i < spec_count; i++) {
        if (strlen(specs[i].name) != name_length || strncmp(specs[i].name, word, name_length) != 0)
            continue;
        *name = specs[i].name;
        if (!specs[i].takes_value) {
            if (equals) {
                fprintf(stderr, "omsgw %s: %s takes no value\n", command, specs[i].name);
                return APP_OPT_ERROR;
            }
            return APP_OPT_FOUND;
        }
        if (equals) {
            *value = equals + 1;
            return APP_OPT_FOUND;
        }
        if (*index >= argc) {
            fprintf(stderr, "omsgw %s: %s needs a value\n", command, specs[i].name);
            return APP_OPT_ERROR;
        }
        *value = argv[(*index)++];
        return APP_OPT_FOUND;
    }
    fprintf(stderr, "omsgw %s: unknown option \"%.*s\" (try omsgw %s --help)\n", command, (int)name_length, word,
            command);
    return APP_OPT_ERROR;
}
