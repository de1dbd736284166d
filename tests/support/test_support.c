#define _XOPEN_SOURCE 700 /* nftw */
#include "tests/support/test_support.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void th_temp_dir(char *out, size_t size)
{
    const char *base = getenv("TMPDIR");
    snprintf(out, size, "%s/omsgw-test-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(out))
        fail_msg("mkdtemp failed: %s", strerror(errno));
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

void th_remove_tree(const char *path)
{
    nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int th_write_file(const char *path, const void *data, size_t length)
{
    FILE *file = fopen(path, "wb");
    if (!file)
        fail_msg("cannot write %s: %s", path, strerror(errno));
    if (length && fwrite(data, 1, length, file) != length)
        fail_msg("short write to %s", path);
    fclose(file);
    return 0;
}

char *th_read_file(const char *path, size_t *length)
{
    FILE *file = fopen(path, "rb");
    if (!file)
        return NULL;
    fseek(file, 0, SEEK_END);
    long size = ftell(file);
    fseek(file, 0, SEEK_SET);
    char *data = malloc((size_t)size + 1);
    if (!data) {
        fclose(file);
        return NULL;
    }
    size_t got = fread(data, 1, (size_t)size, file);
    fclose(file);
    data[got] = '\0';
    if (length)
        *length = got;
    return data;
}

void th_data_path(const char *relative, char *out, size_t size)
{
    const char *base = getenv("OMSGW_TEST_DATA");
    snprintf(out, size, "%s/%s", base && *base ? base : "tests/data", relative);
}
