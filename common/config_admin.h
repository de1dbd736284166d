/*
 * config_admin.h - reading the operator-facing parts of the configuration: the "admin" section
 * (the listener of metrics, console and admin API) and the "tls" object of each listener.
 *
 * Kept apart from config.c, which calls it once: the same one-line errors ("config FILE: field
 * admin.tokens[1]: ..."), the same strictness. Admin tokens are kept only as SHA-256 digests. It
 * checks shapes only; whether the TLS files exist and pair up is checked when the listener starts
 * (common/tls.h), because the files may be replaced between a config check and a start.
 */
#ifndef CM_CONFIG_ADMIN_H
#define CM_CONFIG_ADMIN_H

#include <json-c/json.h>

#include "common/config.h"

#define CM_DEFAULT_ADMIN_PORT 8082

/* Fills config->admin and the three tls members from `root`. On failure `error` holds one line
 * (CM_CONFIG_ERROR_MAX) and the partly filled members are freed by cm_config_free as usual. */
cm_err cm_config_read_admin(const json_object *root, const char *origin, const char *base_dir,
                            cm_config *config, char *error);

/* Frees what cm_config_read_admin allocated. */
void cm_config_free_admin(cm_config *config);

#endif
