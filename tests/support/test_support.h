/*
 * test_support.h - small helpers shared by the tests: temporary folders and files.
 * Each aborts the test (cmocka fail_msg) when the machine refuses, so tests stay short.
 */
#ifndef TEST_SUPPORT_H
#define TEST_SUPPORT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/* Creates a fresh folder under $TMPDIR (or /tmp) and writes its path into out. */
void th_temp_dir(char *out, size_t size);
/* Removes a folder tree (best effort). */
void th_remove_tree(const char *path);
/* Writes a file; returns 0. */
int th_write_file(const char *path, const void *data, size_t length);
/* Reads a whole file into a new NUL-terminated buffer (caller frees), or NULL. */
char *th_read_file(const char *path, size_t *length);
/* $OMSGW_TEST_DATA/<relative>, or the source tree's tests/data when unset. */
void th_data_path(const char *relative, char *out, size_t size);

#endif
