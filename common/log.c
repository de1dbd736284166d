#include "common/log.h"
#include "common/clock.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define CM_LOG_LINE_MAX 2048

static int log_json;
static cm_log_level log_min_level = CM_LOG_INFO;

void cm_log_set_json(int enabled)
{
    log_json = enabled;
}

void cm_log_set_level(cm_log_level min_level)
{
    log_min_level = min_level;
}

int cm_log_level_from_name(const char *name, cm_log_level *out)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};
    for (int i = 0; i < 4; i++)
        if (strcmp(name, names[i]) == 0) {
            *out = (cm_log_level)i;
            return 0;
        }
    return -1;
}

static const char *level_name(cm_log_level level)
{
    switch (level) {
    case CM_LOG_DEBUG: return "debug";
    case CM_LOG_INFO: return "info";
    case CM_LOG_WARN: return "warn";
    case CM_LOG_ERROR: return "error";
    }
    return "info";
}

/* Appends `text` to `out` as the inside of a JSON string; stops quietly at the buffer's end. */
static size_t append_json_escaped(char *out, size_t used, size_t cap, const char *text)
{
    for (const unsigned char *p = (const unsigned char *)text; *p && used + 7 < cap; p++) {
        if (*p == '"' || *p == '\\') {
            out[used++] = '\\';
            out[used++] = (char)*p;
        } else if (*p < 0x20) {
            used += (size_t)snprintf(out + used, cap - used, "\\u%04x", *p);
        } else {
            out[used++] = (char)*p;
        }
    }
    return used;
}

/* 1 for a field name of a message: [a-z_][a-z0-9_.]*, and not one of the line's own keys. */
static int field_name(const char *text, size_t length)
{
    static const char *const reserved[] = {"ts", "level", "event", "msg"};
    if (!length || !((text[0] >= 'a' && text[0] <= 'z') || text[0] == '_'))
        return 0;
    for (size_t i = 1; i < length; i++) {
        char c = text[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.'))
            return 0;
    }
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        if (strlen(reserved[i]) == length && memcmp(reserved[i], text, length) == 0)
            return 0;
    return 1;
}

/* 1 when `text` is a JSON-safe integer: optional '-', digits without a leading zero, <= 15 long. */
static int plain_integer(const char *text, size_t length)
{
    size_t start = length && text[0] == '-' ? 1 : 0;
    if (length == start || length - start > 15 || (text[start] == '0' && length - start > 1))
        return 0;
    for (size_t i = start; i < length; i++)
        if (text[i] < '0' || text[i] > '9')
            return 0;
    return 1;
}

/*
 * The JSON form of a message: each leading "key=value" (or key="quoted value") becomes its own
 * member, integers as numbers; whatever follows the first word that is not key=value stays in
 * "msg". The plain format keeps the message as written, so callers write one message for both.
 */
static size_t append_json_fields(char *out, size_t used, size_t cap, const char *message)
{
    const char *p = message;
    char piece[CM_LOG_LINE_MAX / 2];
    while (*p) {
        while (*p == ' ')
            p++;
        const char *equals = strchr(p, '=');
        const char *space = strchr(p, ' ');
        if (!equals || (space && space < equals) || !field_name(p, (size_t)(equals - p)))
            break;
        const char *value = equals + 1, *end;
        int quoted = *value == '"';
        if (quoted) {
            /* A quoted value ends at a quote that ends the message or is followed by " key=", so
             * quotes inside a reason ("OCI said "no" twice") stay part of it. */
            value++;
            end = NULL;
            for (const char *quote = strchr(value, '"'); quote && !end; quote = strchr(quote + 1, '"')) {
                if (quote[1] == '\0') {
                    end = quote;
                } else if (quote[1] == ' ') {
                    const char *next = quote + 2, *next_equals = strchr(next, '='), *next_space = strchr(next, ' ');
                    if (next_equals && (!next_space || next_equals < next_space) &&
                        field_name(next, (size_t)(next_equals - next)))
                        end = quote;
                }
            }
            if (!end)
                break;
        } else {
            end = strchr(value, ' ');
            if (!end)
                end = value + strlen(value);
        }
        size_t name_length = (size_t)(equals - p), value_length = (size_t)(end - value);
        if (used + name_length + value_length + 16 >= cap)
            break;
        snprintf(piece, sizeof piece, "%.*s", (int)name_length, p);
        out[used++] = ',';
        out[used++] = '"';
        used = append_json_escaped(out, used, cap, piece);
        out[used++] = '"';
        out[used++] = ':';
        snprintf(piece, sizeof piece, "%.*s", (int)value_length, value);
        if (!quoted && plain_integer(piece, value_length)) {
            used += (size_t)snprintf(out + used, cap - used, "%s", piece);
        } else {
            out[used++] = '"';
            /* Escaping may stop early at the buffer's end; the closing quote always fits, since
             * append_json_escaped leaves 7 bytes and the caller keeps 3 more. */
            used = append_json_escaped(out, used, cap, piece);
            out[used++] = '"';
        }
        if (used + 16 >= cap)
            return used; /* a full line keeps its valid JSON members and drops the rest */
        p = end + (quoted ? 1 : 0);
    }
    while (*p == ' ')
        p++;
    if (*p && used + 16 < cap) {
        used += (size_t)snprintf(out + used, cap - used, ",\"msg\":\"");
        used = append_json_escaped(out, used, cap, p);
        if (used + 2 < cap)
            out[used++] = '"';
    }
    return used;
}

void cm_log(cm_log_level level, const char *event, const char *fmt, ...)
{
    if (level < log_min_level)
        return;
    char message[CM_LOG_LINE_MAX / 2];
    va_list args;
    va_start(args, fmt);
    vsnprintf(message, sizeof message, fmt, args);
    va_end(args);

    char stamp[CM_TIME_TEXT_MAX];
    cm_time_format_ms(cm_now_ms(), stamp);

    char line[CM_LOG_LINE_MAX];
    size_t used;
    if (log_json) {
        used = (size_t)snprintf(line, sizeof line, "{\"ts\":\"%s\",\"level\":\"%s\",\"event\":\"", stamp,
                                level_name(level));
        used = append_json_escaped(line, used, sizeof line, event);
        line[used++] = '"';
        used = append_json_fields(line, used, sizeof line - 3, message);
        used += (size_t)snprintf(line + used, sizeof line - used, "}\n");
    } else {
        used = (size_t)snprintf(line, sizeof line, "%s %s %s %s\n", stamp, level_name(level), event,
                                message);
    }
    if (used >= sizeof line) {
        used = sizeof line - 1;
        line[used - 1] = '\n';
    }
    ssize_t written = write(STDERR_FILENO, line, used);
    (void)written; /* nothing sensible to do when stderr is gone */
}
