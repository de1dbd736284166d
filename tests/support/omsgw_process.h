/*
 * omsgw_process.h - starting the real `omsgw` executable for end-to-end tests.
 *
 * th_omsgw_start writes the given configuration into a fresh temporary folder, picks free loopback
 * ports, starts `$OMSGW_BIN serve` (or another subcommand) as a child process with its log in
 * <dir>/omsgw.log, and waits until both listeners answer GET /healthz.
 */
#ifndef TEST_OMSGW_PROCESS_H
#define TEST_OMSGW_PROCESS_H

#include <sys/types.h>

typedef struct th_omsgw {
    pid_t pid;
    int gateway_port;
    int oci_port;
    char dir[256];         /* temporary folder: config, data/, log */
    char config_path[320];
    char data_dir[320];
    char log_path[320];
    /* The subcommand (set after th_omsgw_prepare): NULL runs "serve"; "oci-core" runs the core
     * alone, without --gateway-port (set gateway_port to 0 then). */
    const char *command;
} th_omsgw;

/* A loopback port that was free a moment ago. */
int th_free_port(void);

/*
 * Prepares `dir`, writes `config_json` (NULL: a copy of samples/omsgw.json with its location graph)
 * and picks ports. Does not start anything; call th_omsgw_launch next.
 */
void th_omsgw_prepare(th_omsgw *process, const char *config_json);

/* Starts `omsgw serve` with the prepared config, ports and data dir (plus `extra_args`, NULL-ended).
 * Returns 0 once both listeners are healthy, -1 if it did not come up in 15 s (the log is printed). */
int th_omsgw_launch(th_omsgw *process, const char *const *extra_args);

/* The same for another subcommand ("oci-core": no gateway port). A port of 0 disables that listener
 * and is not waited for. */
int th_omsgw_launch_as(th_omsgw *process, const char *command, const char *const *extra_args);

/* th_omsgw_launch_as(process, "oci-core", extra_args): the gateway port is set to 0. */
int th_oci_core_launch(th_omsgw *process, const char *const *extra_args);

/* prepare + launch; fails the test when the server does not come up. */
void th_omsgw_start(th_omsgw *process, const char *config_json);

/* Sends `signal_number` and waits up to `timeout_ms`. Returns the exit status (0..255), 128+signal
 * when killed by a signal, or -1 on timeout (the process is then killed). */
int th_omsgw_stop(th_omsgw *process, int signal_number, int timeout_ms);

/* Runs `omsgw` with arguments to completion, capturing stdout+stderr into a new buffer (caller
 * frees). Returns the exit status, or -1. */
int th_omsgw_run(const char *const *args, char **output);

/* Stops the server if running (SIGTERM, then SIGKILL after 5 s) and removes the folder. */
void th_omsgw_cleanup(th_omsgw *process);

/* Prints the server's log to stderr (for failure diagnosis). */
void th_omsgw_dump_log(const th_omsgw *process);

#endif
