/*
 * io_fault.h - disk full and write errors without mounting anything: an SQLite VFS that wraps the
 * default one ("unix") and refuses writes to the files it is told to watch.
 *
 * io_fault_install() registers the shim as the default VFS, so every database the process opens
 * afterwards (gateway.db, oci.db, their -wal and -journal files) goes through it. Nothing here needs
 * privileges: the tests that use it run the same as root and as a normal user.
 *
 * Modes:
 * - IO_FULL: every write to a watched file fails with SQLITE_FULL, as on a full file system, until
 *   io_fault_clear() gives the space back;
 * - IO_NTH_WRITE: only the n-th write to a watched file after io_fault_set fails, with
 *   SQLITE_IOERR_WRITE (a write error of the device); the ones after it succeed;
 * - IO_COUNT: nothing fails, the writes are only counted (to see a checkpoint happen).
 */
#ifndef TORTURE_IO_FAULT_H
#define TORTURE_IO_FAULT_H

typedef enum io_fault_mode { IO_NONE = 0, IO_FULL = 1, IO_NTH_WRITE = 2, IO_COUNT = 3 } io_fault_mode;

/* Registers the shim as the default VFS. Call before any database is opened. */
void io_fault_install(void);

/*
 * Watches the files whose path contains `name` (e.g. "gateway.db", which also matches its -wal);
 * with `main_only`, only the database file itself (not -wal, -journal, -shm).
 */
void io_fault_set(const char *name, int main_only, io_fault_mode mode, long n);

/* Space is back: no file is watched any more. */
void io_fault_clear(void);

/* Writes to watched files since io_fault_set, and how many of them were refused. */
long io_fault_writes(void);
long io_fault_refused(void);

#endif
