/*
 * config_secrets.h - secrets that stay out of the configuration file and out of `ps`.
 *
 * Every field the known-field table marks as a secret (API keys, OCI tokens and client secrets,
 * delivery.token, delivery.oauth.clientSecret, storage.url) can be given three ways:
 *   "token": "plain text"                 in the file (or with --set, which `ps` shows)
 *   "token": "${OCI_TOKEN}"               from the environment; ${NAME} may appear inside a value
 *   "tokenFile": "/run/secrets/oci"       from a file (relative paths: the config's folder); one
 *                                         trailing newline is dropped
 *
 * What it promises: after cm_config_secrets_resolve every "<field>File" member is replaced by
 * "<field>" holding the file's text and every ${NAME} of a secret field by the variable's value.
 * Errors name the field, the variable or the file, never a secret's value. Values are not logged.
 * ${...} is expanded in secret fields only: elsewhere the text is kept as written.
 */
#ifndef CM_CONFIG_SECRETS_H
#define CM_CONFIG_SECRETS_H

#include <json-c/json.h>

#include "common/config.h"
#include "common/err.h"

/* The largest secret file read. */
#define CM_SECRET_FILE_MAX (64 * 1024)

/*
 * Resolves the secrets of `root` in place. `base_dir` anchors relative file paths (NULL: the
 * working folder). Returns CM_OK, CM_ENOMEM, or CM_ECONFIG with one line in `error`
 * ("config ORIGIN: field PATH: ...").
 */
cm_err cm_config_secrets_resolve(json_object *root, const char *origin, const char *base_dir,
                                 char error[CM_CONFIG_ERROR_MAX]);

#endif
