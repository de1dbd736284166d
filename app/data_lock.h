/*
 * data_lock.h - one process per data folder.
 *
 * app_data_lock_take holds an exclusive advisory lock (flock) on <data-dir>/omsgw.lock for as long
 * as the process lives, and writes the holder's pid into the file. A second `omsgw serve` (or
 * `oci-core`, or `restore`) on the same folder is refused at once with one line naming the folder
 * and the holder's pid, before it opens any database: two processes on one folder would each
 * "recover" the other's running jobs. The lock goes away with the process, even on SIGKILL, so a
 * crash never leaves a stale lock behind. `omsgw backup` does not take it: it reads while the
 * server runs.
 */
#ifndef APP_DATA_LOCK_H
#define APP_DATA_LOCK_H

#include <stddef.h>

#define APP_DATA_LOCK_FILE "omsgw.lock"

/* Takes the lock. Returns the lock's file descriptor (>= 0; keep it open), or -1 with one line in
 * `error`. */
int app_data_lock_take(const char *data_dir, char *error, size_t error_size);

/* Releases a lock taken by app_data_lock_take. A negative fd is ignored. */
void app_data_lock_release(int fd);

#endif
