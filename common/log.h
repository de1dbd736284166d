/*
 * log.h - one line per event on stderr.
 *
 * Plain format: "2026-11-25T16:00:00.123Z info job.accepted tenant=12345 job=7".
 * JSON format (cm_log_set_json(1)): {"ts":"…","level":"info","event":"job.accepted","tenant":12345,"job":7}:
 * each leading key=value (or key="quoted value") of the message is its own member, integers as
 * numbers; text after the first word that is not key=value goes into "msg".
 * The level below which lines are dropped is set with cm_log_set_level (default info).
 * Lines are written with one write() so that threads never interleave inside a line.
 * Secrets (API keys, tokens) must never be passed to these functions.
 */
#ifndef CM_LOG_H
#define CM_LOG_H

typedef enum cm_log_level { CM_LOG_DEBUG, CM_LOG_INFO, CM_LOG_WARN, CM_LOG_ERROR } cm_log_level;

void cm_log_set_json(int enabled);
void cm_log_set_level(cm_log_level min_level);

/* Parses "debug", "info", "warn" or "error". Returns 0, or -1 for any other text. */
int cm_log_level_from_name(const char *name, cm_log_level *out);

/* Logs one event; `event` is a short dotted name, the rest a printf-style message. */
void cm_log(cm_log_level level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define cm_log_info(event, ...) cm_log(CM_LOG_INFO, event, __VA_ARGS__)
#define cm_log_warn(event, ...) cm_log(CM_LOG_WARN, event, __VA_ARGS__)
#define cm_log_error(event, ...) cm_log(CM_LOG_ERROR, event, __VA_ARGS__)
#define cm_log_debug(event, ...) cm_log(CM_LOG_DEBUG, event, __VA_ARGS__)

#endif
