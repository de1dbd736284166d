#include "common/query.h"

#include <stdlib.h>
#include <string.h>

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes raw[0..length) into out, NUL-terminates it, and returns the byte after the NUL. */
static char *decode_into(const char *raw, size_t length, char *out)
{
    for (size_t i = 0; i < length; i++) {
        if (raw[i] == '+') {
            *out++ = ' ';
        } else if (raw[i] == '%' && i + 2 < length && hex_value(raw[i + 1]) >= 0 &&
                   hex_value(raw[i + 2]) >= 0) {
            *out++ = (char)(hex_value(raw[i + 1]) * 16 + hex_value(raw[i + 2]));
            i += 2;
        } else {
            *out++ = raw[i];
        }
    }
    *out++ = '\0';
    return out;
}

cm_err cm_query_parse(const char *raw, cm_query *query)
{
    memset(query, 0, sizeof *query);
    if (!raw || !*raw)
        return CM_OK;
    size_t raw_length = strlen(raw);
    /* Decoded text is never longer than the raw text; each pair adds at most two NULs. */
    query->storage = malloc(raw_length * 2 + 2);
    if (!query->storage)
        return CM_ENOMEM;
    char *out = query->storage;
    const char *pair = raw;
    while (pair && *pair) {
        const char *amp = strchr(pair, '&');
        size_t pair_length = amp ? (size_t)(amp - pair) : strlen(pair);
        if (pair_length > 0) {
            if (query->count == CM_QUERY_MAX_PARAMS) {
                query->dropped++;
            } else {
                const char *equals = memchr(pair, '=', pair_length);
                size_t name_length = equals ? (size_t)(equals - pair) : pair_length;
                query->names[query->count] = out;
                out = decode_into(pair, name_length, out);
                query->values[query->count] = out;
                if (equals)
                    out = decode_into(equals + 1, pair_length - name_length - 1, out);
                else
                    *out++ = '\0';
                query->count++;
            }
        }
        pair = amp ? amp + 1 : NULL;
    }
    return CM_OK;
}

const char *cm_query_get(const cm_query *query, const char *name)
{
    for (size_t i = 0; i < query->count; i++)
        if (strcmp(query->names[i], name) == 0)
            return query->values[i];
    return NULL;
}

void cm_query_free(cm_query *query)
{
    free(query->storage);
    memset(query, 0, sizeof *query);
}
