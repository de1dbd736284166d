/*
 * import_poll.c - the import status schedule that learns the OCI's pace (import_poll.h).
 */
#include "delivery/import_poll.h"

#include <stdatomic.h>

static int64_t clamp(int64_t value, int64_t low, int64_t high)
{
    return value < low ? low : value > high ? high : value;
}

void dl_import_poll_begin(dl_import_poll *poll, const dl_import_pace *pace, const dl_import_poll_settings *settings,
                          size_t records, int64_t now_ms)
{
    poll->settings = *settings;
    if (poll->settings.min_ms > poll->settings.max_ms)
        poll->settings.min_ms = poll->settings.max_ms;
    poll->records = records;
    poll->started_ms = now_ms;
    poll->last_pending_ms = -1;
    poll->polls = 0;
    int64_t micros = atomic_load(&pace->micros_per_record);
    /* Rounded up, so a pace of a few microseconds still expects a little. */
    poll->expected_ms = micros > 0 ? (micros * (int64_t)records + 999) / 1000 : 0;
    poll->next_gap_ms = poll->expected_ms > 0
                            ? clamp(poll->expected_ms / 8, poll->settings.min_ms, poll->settings.max_ms)
                            : poll->settings.first_ms;
}

int64_t dl_import_poll_first_pause(const dl_import_poll *poll)
{
    if (poll->expected_ms <= 0)
        return 0;
    int64_t pause = poll->expected_ms * 3 / 4;
    return clamp(pause, poll->settings.min_ms, DL_IMPORT_FIRST_PAUSE_MAX_MS);
}

int64_t dl_import_poll_pending(dl_import_poll *poll, int64_t now_ms)
{
    poll->polls++;
    poll->last_pending_ms = now_ms;
    int64_t gap = poll->next_gap_ms;
    poll->next_gap_ms = gap * 2 > poll->settings.max_ms ? poll->settings.max_ms : gap * 2;
    return gap;
}

/* The pace after this import ended at `now_ms`, from the pace `old` (0: none yet). */
static int64_t next_pace(const dl_import_poll *poll, int64_t old, int64_t now_ms)
{
    if (poll->last_pending_ms < 0 && poll->expected_ms > 0) {
        /* Ended before the first poll: faster than 3/4 of what was expected, by how much unknown. */
        return old / 2 > 1 ? old / 2 : 1;
    }
    int64_t took_ms = poll->last_pending_ms < 0 ? now_ms - poll->started_ms
                                                : (poll->last_pending_ms + now_ms) / 2 - poll->started_ms;
    if (took_ms < 0)
        took_ms = 0;
    int64_t sample = took_ms * 1000 / (int64_t)poll->records;
    if (sample < 1)
        sample = 1;
    if (old > 0 && sample > old * 4)
        sample = old * 4;
    return old > 0 ? old + (sample - old) / 4 : sample;
}

void dl_import_poll_ended(dl_import_poll *poll, dl_import_pace *pace, int64_t now_ms)
{
    poll->polls++;
    if (poll->records == 0)
        return;
    /* Compare-and-swap, so that two imports ending at once both move the pace. */
    int64_t old = atomic_load(&pace->micros_per_record);
    while (!atomic_compare_exchange_weak(&pace->micros_per_record, &old, next_pace(poll, old, now_ms)))
        ;
}
