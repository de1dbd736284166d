/*
 * clock.h - wall-clock and monotonic time, and RFC 3339 text.
 *
 * Times inside the project are int64 milliseconds since the Unix epoch (UTC). Text is always
 * written as RFC 3339 UTC with milliseconds ("2026-11-25T16:00:00.123Z"). The parser accepts any
 * RFC 3339 date-time: offsets, 'Z', and 0..9 fraction digits (kept to the millisecond).
 */
#ifndef CM_CLOCK_H
#define CM_CLOCK_H

#include <stdint.h>

#define CM_TIME_TEXT_MAX 32

int64_t cm_now_ms(void);

/* Milliseconds from a monotonic clock, for timeouts and back-off; unrelated to the wall clock. */
int64_t cm_mono_ms(void);

/* Writes `ms` as RFC 3339 UTC text into out (at least CM_TIME_TEXT_MAX bytes). */
void cm_time_format_ms(int64_t ms, char out[CM_TIME_TEXT_MAX]);

/* Parses RFC 3339 text. Returns 0 and sets *ms, or -1 if the text is not a valid date-time. */
int cm_time_parse(const char *text, int64_t *ms);

/* Sleeps for `ms` milliseconds (restarting after signals). */
void cm_sleep_ms(int64_t ms);

#endif
