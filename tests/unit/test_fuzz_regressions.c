/*
 * test_fuzz_regressions.c - replays every saved fuzz input through the same entry points the
 * libFuzzer targets use (tests/fuzz/fuzz_entries.c), built with the ordinary compiler and, under
 * scripts/test.sh, with ASan and UBSan. tests/fuzz/regressions/<target>/ holds inputs that once
 * crashed or hung a parser (or were written by hand to reach an edge); tests/fuzz/corpus/<target>/
 * holds the seeds. An entry aborts when a parser breaks a promise, which fails this test.
 */
#include "tests/fuzz/fuzz_entries.h"
#include "tests/support/test_support.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FZ_MAX_FILES_PER_FOLDER 10000

static const char *source_dir(void)
{
    const char *dir = getenv("OMSGW_SOURCE_DIR");
    return dir && *dir ? dir : ".";
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Feeds every regular file of tests/fuzz/<kind>/<target>/ to the target; returns how many. */
static size_t replay_folder(const fz_target *target, const char *kind)
{
    char folder[1024];
    snprintf(folder, sizeof folder, "%s/tests/fuzz/%s/%s", source_dir(), kind, target->name);
    DIR *dir = opendir(folder);
    if (!dir)
        return 0;
    char **names = calloc(FZ_MAX_FILES_PER_FOLDER, sizeof *names);
    assert_non_null(names);
    size_t count = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL && count < FZ_MAX_FILES_PER_FOLDER) {
        if (entry->d_name[0] == '.')
            continue;
        names[count] = strdup(entry->d_name);
        assert_non_null(names[count]);
        count++;
    }
    closedir(dir);
    /* In name order, so a failure names the same file on every machine. */
    qsort(names, count, sizeof *names, compare_names);
    for (size_t i = 0; i < count; i++) {
        char path[1400];
        snprintf(path, sizeof path, "%s/%s", folder, names[i]);
        size_t length = 0;
        char *data = th_read_file(path, &length);
        if (!data)
            fail_msg("cannot read %s", path);
        /* Named on stderr first: if the entry aborts, the log says which input did it. */
        fprintf(stderr, "replay %s: %s (%zu bytes)\n", target->name, path, length);
        target->entry((const uint8_t *)data, length);
        free(data);
        free(names[i]);
    }
    free(names);
    return count;
}

static void test_regressions_and_seeds(void **state)
{
    (void)state;
    size_t target_count = 0;
    const fz_target *targets = fz_targets(&target_count);
    assert_int_equal(target_count, 9);
    size_t regressions = 0;
    for (size_t t = 0; t < target_count; t++) {
        size_t seeds = replay_folder(&targets[t], "corpus");
        /* Every target has a seed corpus: an empty one means the folder moved and nothing ran. */
        if (seeds == 0)
            fail_msg("no seed inputs for fuzz target %s under %s/tests/fuzz/corpus", targets[t].name, source_dir());
        regressions += replay_folder(&targets[t], "regressions");
    }
    fprintf(stderr, "fuzz regressions: %zu saved inputs replayed\n", regressions);
    assert_true(regressions > 0);
    fz_release();
}

/* Each entry copes with the empty input and with a lone NUL byte. */
static void test_degenerate_inputs(void **state)
{
    (void)state;
    size_t target_count = 0;
    const fz_target *targets = fz_targets(&target_count);
    const uint8_t nul = 0;
    for (size_t t = 0; t < target_count; t++) {
        targets[t].entry(&nul, 0);
        targets[t].entry(&nul, 1);
    }
    fz_release();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_degenerate_inputs),
        cmocka_unit_test(test_regressions_and_seeds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
