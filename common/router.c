#include "common/router.h"

#include <string.h>

/* Matches one pattern against a path (already copied into match->storage, which is cut at
 * segment boundaries as parameters are taken). Returns 1 on a match. */
static int match_pattern(const char *pattern, const char *path, size_t path_length,
                         cm_route_match *match)
{
    /* The request path without one trailing slash (the root "/" stays as it is). */
    size_t effective = path_length;
    if (effective > 1 && path[effective - 1] == '/')
        effective--;

    /* A trailing slash on the pattern is optional as well ("/a/b/" is the route "/a/b"). */
    size_t pattern_length = strlen(pattern);
    if (pattern_length > 1 && pattern[pattern_length - 1] == '/')
        pattern_length--;
    const char *pattern_end = pattern + pattern_length;

    size_t param_count = 0;
    const char *pp = pattern;
    size_t pos = 0;
    while (pp < pattern_end) {
        if (*pp != '/' || pos >= effective || path[pos] != '/')
            return 0;
        pp++;
        pos++;
        const char *segment_end = memchr(pp, '/', (size_t)(pattern_end - pp));
        size_t pattern_segment = (size_t)((segment_end ? segment_end : pattern_end) - pp);
        size_t path_segment = 0;
        while (pos + path_segment < effective && path[pos + path_segment] != '/')
            path_segment++;
        if (pattern_segment >= 2 && pp[0] == '{' && pp[pattern_segment - 1] == '}') {
            if (path_segment == 0 || param_count == CM_ROUTE_MAX_PARAMS)
                return 0;
            match->param_names[param_count] = pp + 1;
            match->param_name_lengths[param_count] = pattern_segment - 2;
            match->param_values[param_count] = match->storage + pos;
            param_count++;
        } else if (pattern_segment != path_segment || memcmp(pp, path + pos, path_segment) != 0) {
            return 0;
        }
        pp += pattern_segment;
        pos += path_segment;
    }
    if (pos != effective)
        return 0;
    /* Cut the parameter values out of the storage copy now that the whole path matched. */
    memcpy(match->storage, path, effective);
    match->storage[effective] = '\0';
    for (size_t i = 0; i < param_count; i++) {
        char *value = (char *)match->param_values[i];
        char *slash = strchr(value, '/');
        if (slash)
            *slash = '\0';
    }
    match->param_count = param_count;
    return 1;
}

static void add_allowed(cm_route_match *match, const char *method)
{
    if (strstr(match->allowed, method))
        return;
    size_t used = strlen(match->allowed);
    size_t need = strlen(method) + (used ? 2 : 0);
    if (used + need + 1 > sizeof match->allowed)
        return;
    if (used)
        strcat(match->allowed, ", ");
    strcat(match->allowed, method);
}

int cm_router_match(const void *patterns, size_t count, size_t stride, const char *method,
                    const char *path, cm_route_match *match)
{
    memset(match, 0, sizeof *match);
    match->route_index = -1;
    size_t path_length = strlen(path);
    if (path_length == 0 || path_length > CM_ROUTE_MAX_PATH)
        return -1;
    const char *base = patterns;
    for (size_t i = 0; i < count; i++) {
        const cm_route_pattern *route = (const cm_route_pattern *)(const void *)(base + i * stride);
        cm_route_match attempt;
        attempt.param_count = 0;
        if (!match_pattern(route->pattern, path, path_length, &attempt))
            continue;
        if (strcmp(route->method, method) == 0 ||
            (strcmp(method, "HEAD") == 0 && strcmp(route->method, "GET") == 0)) {
            char allowed[sizeof match->allowed];
            memcpy(allowed, match->allowed, sizeof allowed);
            *match = attempt;
            memcpy(match->allowed, allowed, sizeof allowed);
            /* Parameter values point into the attempt's storage: move them to ours. */
            for (size_t p = 0; p < match->param_count; p++)
                match->param_values[p] =
                    match->storage + (attempt.param_values[p] - attempt.storage);
            match->route_index = (int)i;
            match->path_matched = 0;
            return (int)i;
        }
        match->path_matched = 1;
        add_allowed(match, route->method);
    }
    return -1;
}

const char *cm_route_param(const cm_route_match *match, const char *name)
{
    size_t name_length = strlen(name);
    for (size_t i = 0; i < match->param_count; i++) {
        if (match->param_name_lengths[i] == name_length &&
            memcmp(match->param_names[i], name, name_length) == 0)
            return match->param_values[i];
    }
    return NULL;
}
