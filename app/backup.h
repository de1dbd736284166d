/*
 * backup.h - `omsgw backup` and `omsgw restore`.
 *
 *   omsgw backup  --to FOLDER   [--data-dir DIR]   while the server runs
 *   omsgw restore --from FOLDER [--data-dir DIR]   into a folder no server uses
 *
 * What it promises:
 * - backup copies <data-dir>/gateway.db and then <data-dir>/oci.db with SQLite's online backup
 *   API, each as one consistent snapshot (WAL content included: copying the files by hand misses
 *   the -wal files). It reads only, never takes the data-folder lock, and a running server keeps
 *   accepting and applying jobs meanwhile. The order matters: every job the gateway copy calls
 *   finished was applied before the OCI copy began, and a job the gateway copy holds as pending or
 *   working is re-delivered after a restore, where OCI's recordId de-duplication skips what it had.
 *   FOLDER must be new or empty; files are written under temporary names and renamed when whole.
 * - restore takes the data-folder lock (so no server runs there), refuses a folder that already
 *   holds gateway.db or oci.db, and copies the backup's databases in. The next `omsgw serve`
 *   migrates their schema forward if the program is newer, and refuses to start when the backup
 *   comes from a newer omsgw than the program (schema downgrades are not supported).
 * - Native imports and exports in progress (files under oci-imports/, oci-exports/) are not part
 *   of a backup: start them again after a restore.
 * Every failure is one line on stderr; exit codes are those of cli.h (2 usage, 1 failure).
 */
#ifndef APP_BACKUP_H
#define APP_BACKUP_H

/* argv holds the arguments after the subcommand's name. */
int app_backup_main(int argc, char **argv);
int app_restore_main(int argc, char **argv);

#endif
