/*
 * body.h - a byte buffer with a hard maximum, for request bodies and files built in memory.
 *
 * Growing past the maximum is an error (CM_ETOOBIG) and leaves the buffer unchanged: data is never
 * silently cut. The buffer always keeps a NUL byte after the data so it can be handed to parsers
 * that want C strings, but the data itself may contain NUL bytes.
 */
#ifndef CM_BODY_H
#define CM_BODY_H

#include <stddef.h>

#include "common/err.h"

typedef struct cm_body {
    char *data;       /* owned; NULL until the first append */
    size_t length;    /* bytes of data, not counting the trailing NUL */
    size_t capacity;  /* bytes allocated */
    size_t max_bytes; /* the hard limit on length */
} cm_body;

void cm_body_init(cm_body *body, size_t max_bytes);

/* Makes room for `extra` more bytes at once (when the final size is known, e.g. Content-Length),
 * so appends do not grow the buffer by doubling. Same errors as cm_body_append; nothing changes on
 * failure. */
cm_err cm_body_reserve(cm_body *body, size_t extra);

/* Appends `len` bytes. Returns CM_OK, CM_ETOOBIG (over max_bytes, nothing appended) or CM_ENOMEM. */
cm_err cm_body_append(cm_body *body, const void *data, size_t len);

/* Appends a formatted string with the same rules as cm_body_append. */
cm_err cm_body_appendf(cm_body *body, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Empties the buffer, keeping its memory. */
void cm_body_reset(cm_body *body);

/* Hands the data to the caller (who frees it with free()) and empties the buffer. */
char *cm_body_take(cm_body *body, size_t *length);

void cm_body_free(cm_body *body);

#endif
