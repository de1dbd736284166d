/*
 * alloc_fail.h - failing the N-th allocation, for the torture tests (tests/torture/).
 *
 * A torture executable is linked with -Wl,--wrap for malloc, calloc, realloc, strdup and strndup
 * and for the json-c entry points that allocate (constructors, serialisers, the tokener), so every
 * call the project's own code makes to one of them passes through here. SQLite's allocations come
 * through the same counter once ta_install() has routed them with SQLITE_CONFIG_MALLOC.
 *
 * What counts: the project's own allocations and json-c's and SQLite's on their behalf, on every
 * thread except the ones that called ta_exempt_thread(1) (the test's own client). What does not
 * count: the allocations libcurl, libmicrohttpd, zlib and glibc make inside themselves (they are
 * shared libraries the wrap cannot reach), nor json-c's internal hash-table and array growth.
 *
 * Only one allocation fails per arming (like curl's torture tests): the N-th counted one after
 * ta_arm(n); the ones after it succeed again, so a server that survived the failure can be seen
 * to keep serving.
 */
#ifndef TORTURE_ALLOC_FAIL_H
#define TORTURE_ALLOC_FAIL_H

/* Routes SQLite's allocations through the counter. Call first in main, before any SQLite use. */
void ta_install(void);

/* From now on the n-th counted allocation fails (n >= 1); n = 0 only counts. Resets the count. */
void ta_arm(long n);

/* Stops failing and counting; returns how many allocations were counted since ta_arm. */
long ta_disarm(void);

/* 1 when the armed failure has happened since the last ta_arm. */
int ta_failed(void);

/* 1: the calling thread's allocations are neither counted nor failed (the test's client side). */
void ta_exempt_thread(int exempt);

/*
 * The N values a torture loop runs: every N up to `dense`, then every `stride`-th, unless the
 * environment variable OMSGW_TORTURE_FULL is set to 1, when every N is run. Returns the next N
 * after `n`.
 */
long ta_next(long n, long dense, long stride);

/* The first N of a loop: OMSGW_TORTURE_FROM when set (to replay one failure), else 1. */
long ta_first(void);

/* 1 when OMSGW_TORTURE_FULL=1. */
int ta_full_range(void);

#endif
