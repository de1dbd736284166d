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
        used += (size_t)snprintf(line + used, sizeof line - used, "\",\"msg\":\"");
        used = append_json_escaped(line, used, sizeof line, message);
        used += (size_t)snprintf(line + used, sizeof line - used, "\"}\n");
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
