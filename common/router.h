/*
 * router.h - matching a request's method and path against a table of route patterns.
 *
 * A pattern is a path whose segments are literals or "{name}" parameters, for example
 * "/api/v1/queue/{jobID}". A trailing slash on the request path is optional ("/a/b/" matches
 * "/a/b"); empty segments ("//") never match a parameter. Literal segments compare exactly.
 * Pure code: no allocation, no I/O. Parameter values point into a copy owned by the match.
 */
#ifndef CM_ROUTER_H
#define CM_ROUTER_H

#include <stddef.h>

#define CM_ROUTE_MAX_PARAMS 8
#define CM_ROUTE_MAX_PATH 2048

typedef struct cm_route_match {
    int route_index;     /* index into the table, or -1 */
    int path_matched;    /* 1 when some route matched the path but not the method (405) */
    char allowed[64];    /* for 405: the methods whose routes match the path, comma-separated */
    size_t param_count;
    const char *param_names[CM_ROUTE_MAX_PARAMS]; /* borrowed from the pattern table, not NUL-cut */
    size_t param_name_lengths[CM_ROUTE_MAX_PARAMS];
    const char *param_values[CM_ROUTE_MAX_PARAMS]; /* point into `storage` */
    char storage[CM_ROUTE_MAX_PATH + 1];
} cm_route_match;

typedef struct cm_route_pattern {
    const char *method;  /* "GET", "POST", … */
    const char *pattern; /* "/api/v1/queue/{jobID}" */
} cm_route_pattern;

/*
 * Finds the first route (in table order) whose method and pattern match. `patterns` is an array of
 * `count` entries spaced `stride` bytes apart, so callers can embed cm_route_pattern at the start
 * of their own route structs. Returns the route index or -1; fills *match either way.
 * A path longer than CM_ROUTE_MAX_PATH never matches.
 */
int cm_router_match(const void *patterns, size_t count, size_t stride, const char *method,
                    const char *path, cm_route_match *match);

/* The value of a parameter by name, or NULL when the matched pattern has no such parameter. */
const char *cm_route_param(const cm_route_match *match, const char *name);

#endif
