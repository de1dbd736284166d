/*
 * import_poll.h - when the http delivery asks OCI for an import's status: a schedule that learns
 * how long this OCI takes to import a record. Pure functions and one shared pace; no I/O.
 *
 * Why: an import is waited for by polling its status. A fixed schedule (at once, then 50 ms
 * doubling to 2 s) sees a 35 ms loopback import only at 70 ms, half of every chunk's time lost to
 * waiting on a finished import, and polls a real OCI (imports of seconds) a dozen times an import.
 * So the delivery keeps a pace, microseconds per record, learned from the imports it has seen end:
 *
 * - no pace yet (the first import): poll at once, then after `first_ms`, doubling to `max_ms`;
 * - with a pace: the expected duration E = pace × records; the first poll comes after 3/4 of E
 *   (at most DL_IMPORT_FIRST_PAUSE_MAX_MS), the next ones E/8 apart (at least `min_ms`), the gap
 *   doubling to `max_ms`. A loopback import is seen within about an eighth of its duration, a slow
 *   OCI is polled three or four times an import;
 * - learning: an import that ended between two polls took about the midpoint of the two
 *   (a sample; the pace moves a quarter of the way to it). One already ended at the first poll
 *   only says "faster than 3/4 of E": the pace halves, so a pace learned from slow imports falls
 *   fast when imports get quick. A sample counts at most four times the pace it corrects, so one
 *   import stuck behind others cannot stretch the next first pause by more than that.
 *
 * The pace is shared by every worker of one delivery (all talk to the same OCI) and read and
 * written atomically; two imports ending at once each move it, which is what an average wants.
 */
#ifndef DL_IMPORT_POLL_H
#define DL_IMPORT_POLL_H

#include <stddef.h>
#include <stdint.h>

/* The longest first pause a learned pace can ask for, whatever it says. */
#define DL_IMPORT_FIRST_PAUSE_MAX_MS 16000

typedef struct dl_import_pace {
    _Atomic int64_t micros_per_record; /* 0: nothing learned yet */
} dl_import_pace;

typedef struct dl_import_poll_settings {
    int64_t first_ms; /* the gap after the first poll when nothing is learned */
    int64_t min_ms;   /* the smallest gap between polls once a pace is known */
    int64_t max_ms;   /* the largest gap between polls */
} dl_import_poll_settings;

/* One import's polling, from the end of its upload. */
typedef struct dl_import_poll {
    dl_import_poll_settings settings;
    size_t records;
    int64_t started_ms;      /* when the file went up (the caller's monotonic clock) */
    int64_t expected_ms;     /* E, or 0 without a pace */
    int64_t next_gap_ms;     /* the gap after the next pending poll */
    int64_t last_pending_ms; /* when a poll last found the import not ended, or -1 */
    int polls;               /* status polls answered so far */
} dl_import_poll;

/* Starts the schedule of an import of `records` records uploaded at `now_ms`. */
void dl_import_poll_begin(dl_import_poll *poll, const dl_import_pace *pace, const dl_import_poll_settings *settings,
                          size_t records, int64_t now_ms);

/* The pause before the first status poll (0: poll at once). */
int64_t dl_import_poll_first_pause(const dl_import_poll *poll);

/* A poll answered at `now_ms` found the import not ended: returns the pause before the next one
 * (a Retry-After may lengthen it; that is the caller's). */
int64_t dl_import_poll_pending(dl_import_poll *poll, int64_t now_ms);

/* A poll answered at `now_ms` found the import ended (COMPLETED or FAILED): the pace learns. */
void dl_import_poll_ended(dl_import_poll *poll, dl_import_pace *pace, int64_t now_ms);

#endif
