/*
 * ceilings.h - minimal programs doing only the unavoidable work of each benchmark figure, measured
 * in the same run on the same machine, so each figure can be read as a ratio to what the hardware
 * allows.
 */
#ifndef BENCH_CEILINGS_H
#define BENCH_CEILINGS_H

#include <stddef.h>

/* json-c strict parse and walk of `body` plus one durable (synchronous=FULL, WAL) SQLite commit of
 * it, `iterations` times; returns the median milliseconds. */
double ceiling_parse_and_commit(const char *work_dir, const char *body, size_t length, int iterations);

/* Prepared-statement upserts of `rows` rows (keys cycling over `distinct` SKUs) in transactions of
 * `batch` rows into a table of the core's shape; returns rows per second. */
double ceiling_upserts(const char *work_dir, size_t rows, size_t distinct, size_t batch);

/* A bare libmicrohttpd handler that reads the body, stores it with one synchronous=FULL commit per
 * request and answers 200. Starts on a free port and returns it, or -1. */
int ceiling_server_start(const char *work_dir, int threads);
void ceiling_server_stop(void);

#endif
