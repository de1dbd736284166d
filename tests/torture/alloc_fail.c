/*
 * alloc_fail.c - the counter behind alloc_fail.h and the --wrap entry points it serves.
 *
 * The __wrap_X functions are what the project's objects call instead of X (the link maps them);
 * __real_X is the library's X. Inside this file every allocation must go to a __real_ function,
 * since the wrap also applies to this object.
 */
#include "tests/torture/alloc_fail.h"

#include <errno.h>
#include <json-c/json.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static atomic_int armed;
static atomic_int failed;
static atomic_long counted;
static atomic_long fail_at;
static _Thread_local int thread_exempt;

/* One counted allocation: 1 when this one must fail. */
static int should_fail(void)
{
    if (!atomic_load(&armed) || thread_exempt)
        return 0;
    long n = atomic_fetch_add(&counted, 1) + 1;
    if (n == atomic_load(&fail_at)) {
        atomic_store(&failed, 1);
        return 1;
    }
    return 0;
}

void ta_arm(long n)
{
    atomic_store(&armed, 0);
    atomic_store(&counted, 0);
    atomic_store(&failed, 0);
    atomic_store(&fail_at, n > 0 ? n : -1);
    atomic_store(&armed, 1);
}

long ta_disarm(void)
{
    atomic_store(&armed, 0);
    return atomic_load(&counted);
}

int ta_failed(void)
{
    return atomic_load(&failed);
}

void ta_exempt_thread(int exempt)
{
    thread_exempt = exempt;
}

int ta_full_range(void)
{
    const char *full = getenv("OMSGW_TORTURE_FULL");
    return full && strcmp(full, "1") == 0;
}

long ta_first(void)
{
    const char *from = getenv("OMSGW_TORTURE_FROM");
    long n = from ? strtol(from, NULL, 10) : 1;
    return n > 0 ? n : 1;
}

long ta_next(long n, long dense, long stride)
{
    if (ta_full_range() || n < dense || stride <= 1)
        return n + 1;
    return n + stride;
}

/* ---- libc ---- */

void *__real_malloc(size_t size);
void *__real_calloc(size_t count, size_t size);
void *__real_realloc(void *pointer, size_t size);
char *__real_strdup(const char *text);
char *__real_strndup(const char *text, size_t length);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t count, size_t size);
void *__wrap_realloc(void *pointer, size_t size);
char *__wrap_strdup(const char *text);
char *__wrap_strndup(const char *text, size_t length);

void *__wrap_malloc(size_t size)
{
    if (should_fail()) {
        errno = ENOMEM;
        return NULL;
    }
    return __real_malloc(size);
}

void *__wrap_calloc(size_t count, size_t size)
{
    if (should_fail()) {
        errno = ENOMEM;
        return NULL;
    }
    return __real_calloc(count, size);
}

void *__wrap_realloc(void *pointer, size_t size)
{
    if (should_fail()) {
        errno = ENOMEM;
        return NULL;
    }
    return __real_realloc(pointer, size);
}

char *__wrap_strdup(const char *text)
{
    if (should_fail()) {
        errno = ENOMEM;
        return NULL;
    }
    return __real_strdup(text);
}

char *__wrap_strndup(const char *text, size_t length)
{
    if (should_fail()) {
        errno = ENOMEM;
        return NULL;
    }
    return __real_strndup(text, length);
}

/* ---- json-c: what it returns when its own allocation fails ---- */

#define WRAP_JSON(type, name, params, args)                                                                  \
    type __real_##name params;                                                                               \
    type __wrap_##name params;                                                                               \
    type __wrap_##name params                                                                                \
    {                                                                                                        \
        if (should_fail())                                                                                   \
            return NULL;                                                                                     \
        return __real_##name args;                                                                           \
    }

WRAP_JSON(json_object *, json_object_new_object, (void), ())
WRAP_JSON(json_object *, json_object_new_array, (void), ())
WRAP_JSON(json_object *, json_object_new_array_ext, (int size), (size))
WRAP_JSON(json_object *, json_object_new_string, (const char *text), (text))
WRAP_JSON(json_object *, json_object_new_string_len, (const char *text, int length), (text, length))
WRAP_JSON(json_object *, json_object_new_int, (int32_t value), (value))
WRAP_JSON(json_object *, json_object_new_int64, (int64_t value), (value))
WRAP_JSON(json_object *, json_object_new_double, (double value), (value))
WRAP_JSON(json_object *, json_object_new_double_s, (double value, const char *text), (value, text))
WRAP_JSON(json_object *, json_object_new_boolean, (json_bool value), (value))
WRAP_JSON(const char *, json_object_to_json_string_ext, (json_object *obj, int flags), (obj, flags))
WRAP_JSON(const char *, json_object_to_json_string_length, (json_object *obj, int flags, size_t *length),
          (obj, flags, length))
WRAP_JSON(struct json_tokener *, json_tokener_new_ex, (int depth), (depth))

/* ---- SQLite: its allocator, with the size kept in front of each block ---- */

#define HEADER 16 /* keeps SQLite's 8-byte alignment */

static void *sq_malloc(int size)
{
    if (size <= 0 || should_fail())
        return NULL;
    unsigned char *block = __real_malloc((size_t)size + HEADER);
    if (!block)
        return NULL;
    memcpy(block, &size, sizeof size);
    return block + HEADER;
}

static void sq_free(void *pointer)
{
    if (pointer)
        free((unsigned char *)pointer - HEADER);
}

static int sq_size(void *pointer)
{
    int size = 0;
    if (pointer)
        memcpy(&size, (unsigned char *)pointer - HEADER, sizeof size);
    return size;
}

static void *sq_realloc(void *pointer, int size)
{
    if (size <= 0 || should_fail())
        return NULL;
    unsigned char *block = __real_realloc((unsigned char *)pointer - HEADER, (size_t)size + HEADER);
    if (!block)
        return NULL;
    memcpy(block, &size, sizeof size);
    return block + HEADER;
}

static int sq_roundup(int size)
{
    return (size + 7) & ~7;
}

static int sq_init(void *data)
{
    (void)data;
    return SQLITE_OK;
}

static void sq_shutdown(void *data)
{
    (void)data;
}

void ta_install(void)
{
    static const sqlite3_mem_methods methods = {sq_malloc, sq_free, sq_realloc, sq_size, sq_roundup,
                                                sq_init,   sq_shutdown, NULL};
    if (sqlite3_config(SQLITE_CONFIG_MALLOC, &methods) != SQLITE_OK) {
        fprintf(stderr, "torture: SQLite refused the counting allocator\n");
        abort();
    }
}
