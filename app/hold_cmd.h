/*
 * hold_cmd.h - `omsgw hold` and `omsgw release`: an operator pauses a tenant's deliveries and lets
 * them go again (around a location-graph change in a real OCI, for example).
 *
 *   omsgw hold    --tenant ID [--reason TEXT] [--config FILE] [--data-dir DIR]
 *   omsgw release --tenant ID [--config FILE] [--data-dir DIR]
 *
 * They work on the queue's store as the configuration names it (the running server's gateway.db,
 * or the PostgreSQL every instance shares) while the servers run: a held tenant's jobs are not
 * claimed (they stay PENDING, in order; a job in progress stops at its next chunk boundary), and
 * their replies say why. Releasing lifts only the operator's hold; a graph-change hold stays until
 * the change is over. One line on stdout, or one on stderr and exit 2 (usage, unknown tenant) or
 * 1 (the store failed).
 */
#ifndef APP_HOLD_CMD_H
#define APP_HOLD_CMD_H

/* argv holds the arguments after the subcommand's name. */
int app_hold_main(int argc, char **argv);
int app_release_main(int argc, char **argv);

#endif
