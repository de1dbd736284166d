/*
 * query.h - parsing a URL query string ("a=1&b=&c&x=%20y") into name/value pairs.
 *
 * Names and values are percent-decoded ('+' is a space). A name without '=' has the empty value.
 * Decoding errors (a '%' not followed by two hex digits) keep the characters as they are, which
 * is what browsers and the legacy clients do. At most CM_QUERY_MAX_PARAMS pairs are kept; the rest
 * are counted in `dropped` so callers can refuse the request if they care.
 */
#ifndef CM_QUERY_H
#define CM_QUERY_H

#include <stddef.h>

#include "common/err.h"

#define CM_QUERY_MAX_PARAMS 64

typedef struct cm_query {
    size_t count;
    size_t dropped;
    const char *names[CM_QUERY_MAX_PARAMS];
    const char *values[CM_QUERY_MAX_PARAMS];
    char *storage; /* owned: one allocation holding every decoded string */
} cm_query;

/* Parses `raw` (without the leading '?'; NULL or "" give an empty query). CM_ENOMEM on failure. */
cm_err cm_query_parse(const char *raw, cm_query *query);

/* The first value of `name`, or NULL when absent ("" when present and empty). */
const char *cm_query_get(const cm_query *query, const char *name);

void cm_query_free(cm_query *query);

#endif
