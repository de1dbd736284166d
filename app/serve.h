/*
 * serve.h - `omsgw serve` and `omsgw oci-core`: load the configuration, open the databases, start
 * the listeners and workers, and stop them cleanly on SIGINT/SIGTERM (exit 0 within 10 seconds).
 */
#ifndef APP_SERVE_H
#define APP_SERVE_H

#include "app/cli.h"

/* Runs until a stop signal. Returns the process exit code. */
int app_serve(const app_options *options);

#endif
