/*
 * demo_secrets.h - a warning when the published demo keys and tokens face the network.
 *
 * samples/omsgw.json ships API keys, OCI tokens and client secrets everyone can read. Serving
 * them on loopback is the quick start; serving them on any other address lets anyone in. This
 * module only warns (at start-up, one line per secret naming its field and the listener): it does
 * not refuse, so a demo on a lab network stays possible.
 */
#ifndef APP_DEMO_SECRETS_H
#define APP_DEMO_SECRETS_H

#include "common/config.h"

/* 1 when the dotted IPv4 `address` is a loopback address (127.0.0.0/8). */
int app_is_loopback(const char *address);

/* Logs a warning for each demo secret the listeners expose. `gateway_listening` and
 * `oci_listening` say which listeners run. Returns the number of warnings. */
int app_warn_demo_secrets(const cm_config *config, int gateway_listening, int oci_listening);

#endif
