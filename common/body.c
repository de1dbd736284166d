#include "common/body.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CM_BODY_INITIAL_CAPACITY 1024

void cm_body_init(cm_body *body, size_t max_bytes)
{
    body->data = NULL;
    body->length = 0;
    body->capacity = 0;
    body->max_bytes = max_bytes;
}

/* Makes room for `extra` more bytes plus the trailing NUL; on failure nothing changes. */
static cm_err reserve(cm_body *body, size_t extra)
{
    if (extra > body->max_bytes || body->length > body->max_bytes - extra)
        return CM_ETOOBIG;
    size_t needed = body->length + extra + 1;
    if (needed <= body->capacity)
        return CM_OK;
    size_t capacity = body->capacity ? body->capacity : CM_BODY_INITIAL_CAPACITY;
    while (capacity < needed)
        capacity = capacity > ((size_t)-1) / 2 ? needed : capacity * 2;
    if (capacity > body->max_bytes + 1)
        capacity = body->max_bytes + 1;
    if (capacity < needed)
        capacity = needed;
    char *grown = realloc(body->data, capacity);
    if (!grown)
        return CM_ENOMEM;
    body->data = grown;
    body->capacity = capacity;
    return CM_OK;
}

cm_err cm_body_reserve(cm_body *body, size_t extra)
{
    return reserve(body, extra);
}

cm_err cm_body_append(cm_body *body, const void *data, size_t len)
{
    cm_err rc = reserve(body, len);
    if (rc)
        return rc;
    if (len)
        memcpy(body->data + body->length, data, len);
    body->length += len;
    body->data[body->length] = '\0';
    return CM_OK;
}

cm_err cm_body_appendf(cm_body *body, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    int needed = vsnprintf(NULL, 0, fmt, args);
    va_end(args);
    if (needed < 0)
        return CM_EINVAL;
    cm_err rc = reserve(body, (size_t)needed);
    if (rc)
        return rc;
    va_start(args, fmt);
    vsnprintf(body->data + body->length, (size_t)needed + 1, fmt, args);
    va_end(args);
    body->length += (size_t)needed;
    return CM_OK;
}

void cm_body_reset(cm_body *body)
{
    body->length = 0;
    if (body->data)
        body->data[0] = '\0';
}

char *cm_body_take(cm_body *body, size_t *length)
{
    char *data = body->data;
    if (length)
        *length = body->length;
    body->data = NULL;
    body->length = 0;
    body->capacity = 0;
    return data;
}

void cm_body_free(cm_body *body)
{
    free(body->data);
    body->data = NULL;
    body->length = 0;
    body->capacity = 0;
}
