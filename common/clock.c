#include "common/clock.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t cm_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t cm_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void cm_time_format_ms(int64_t ms, char out[CM_TIME_TEXT_MAX])
{
    int64_t seconds = ms / 1000;
    int millis = (int)(ms % 1000);
    if (millis < 0) {
        millis += 1000;
        seconds -= 1;
    }
    time_t t = (time_t)seconds;
    struct tm tm;
    gmtime_r(&t, &tm);
    /* Years past 9999 would not fit; checking the result also keeps gcc -O0 from warning. */
    int written = snprintf(out, CM_TIME_TEXT_MAX, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                           tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                           tm.tm_sec, millis);
    if (written < 0 || written >= CM_TIME_TEXT_MAX)
        out[CM_TIME_TEXT_MAX - 1] = '\0';
}

/* Days from 1970-01-01 to the given civil date (proleptic Gregorian), after H. Hinnant. */
static int64_t days_from_civil(int64_t year, int month, int day)
{
    year -= month <= 2;
    int64_t era = (year >= 0 ? year : year - 399) / 400;
    int64_t year_of_era = year - era * 400;
    int64_t day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + day_of_era - 719468;
}

static int read_digits(const char **p, int count, int *value)
{
    int v = 0;
    for (int i = 0; i < count; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += count;
    *value = v;
    return 0;
}

int cm_time_parse(const char *text, int64_t *ms)
{
    if (!text)
        return -1;
    const char *p = text;
    int year, month, day, hour, minute, second;
    if (read_digits(&p, 4, &year) || *p++ != '-' || read_digits(&p, 2, &month) || *p++ != '-' ||
        read_digits(&p, 2, &day))
        return -1;
    if (*p != 'T' && *p != 't' && *p != ' ')
        return -1;
    p++;
    if (read_digits(&p, 2, &hour) || *p++ != ':' || read_digits(&p, 2, &minute) || *p++ != ':' ||
        read_digits(&p, 2, &second))
        return -1;
    static const int month_days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12)
        return -1;
    /* February 29th exists only in leap years; without this check 2026-02-29 became March 1st. */
    int leap_year = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    int days_in_month = month_days[month - 1] - (month == 2 && !leap_year);
    if (day < 1 || day > days_in_month || hour > 23 || minute > 59 || second > 60)
        return -1;
    int millis = 0;
    if (*p == '.') {
        p++;
        int digits = 0;
        while (isdigit((unsigned char)*p)) {
            if (digits < 3)
                millis = millis * 10 + (*p - '0');
            digits++;
            p++;
        }
        if (digits == 0 || digits > 9)
            return -1;
        for (int i = digits; i < 3; i++)
            millis *= 10;
    }
    int offset_minutes = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1;
        p++;
        int off_hour, off_minute;
        if (read_digits(&p, 2, &off_hour) || *p++ != ':' || read_digits(&p, 2, &off_minute) ||
            off_hour > 23 || off_minute > 59)
            return -1;
        offset_minutes = sign * (off_hour * 60 + off_minute);
    } else {
        return -1;
    }
    if (*p != '\0')
        return -1;
    if (second == 60)
        second = 59; /* a leap second is kept inside its minute */
    int64_t days = days_from_civil(year, month, day);
    int64_t seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
    *ms = seconds * 1000 + millis;
    return 0;
}

void cm_sleep_ms(int64_t ms)
{
    if (ms <= 0)
        return;
    struct timespec ts = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
    }
}
