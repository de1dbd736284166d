/*
 * oci_inproc.h - the bundled OCI core served in the test process: a real HTTP server on
 * 127.0.0.1 with a free port, over the core opened on a fresh temporary folder.
 */
#ifndef TEST_OCI_INPROC_H
#define TEST_OCI_INPROC_H

#include "common/config.h"
#include "common/http_server.h"
#include "oci_core/oci_core.h"

typedef struct th_oci {
    char dir[256];
    cm_config *config;
    oci_core *core;
    cm_http_server *server;
    int port;
} th_oci;

/* Parses `config_json` (relative paths against the new temporary folder), opens the core in that
 * folder and starts serving it. Fails the test when any step fails. */
void th_oci_start(th_oci *oci, const char *config_json);

/* Stops the server, closes the core, frees the config and removes the folder. */
void th_oci_stop(th_oci *oci);

#endif
