/*
 * config_fields.h - the table of every configuration field this version knows.
 *
 * What it promises:
 * - cm_config_fields_check walks a parsed configuration and refuses the first member whose path is
 *   not in the table, with one line naming the origin (file), the field's path as written
 *   ("tenants[0].autoLocation") and the nearest known name at that place ("did you mean
 *   `autoLocations`?"). A typo is therefore a start-up error, never a silently ignored setting.
 * - cm_config_fields_check_override does the same for the path of one `--set PATH=VALUE`.
 * - The table also says which fields hold secrets (cm_config_field_is_secret), so that
 *   config_secrets.c knows where `${ENV_NAME}` and `"<field>File"` are accepted.
 *
 * It never reads values' types or meanings: config.c does that.
 *
 * The table itself is in config_fields.c; its header comment says how to add a field.
 */
#ifndef CM_CONFIG_FIELDS_H
#define CM_CONFIG_FIELDS_H

#include <json-c/json.h>
#include <stddef.h>

#include "common/config.h"
#include "common/err.h"

/* The longest field path the checks handle, indexes included. */
#define CM_CONFIG_PATH_MAX 256

/* 1 when `normalised_path` ("tenants[].apiKeys.v5": array indexes written as []) is a known
 * field or matches a wildcard entry ("tenants[].locations.*"), else 0. */
int cm_config_field_known(const char *normalised_path);

/* 1 when the known field at `normalised_path` holds a secret. */
int cm_config_field_is_secret(const char *normalised_path);

/*
 * Checks every member of `root` (any depth) against the table. On the first unknown member writes
 * "config ORIGIN: field PATH: unknown field (did you mean `NAME`?)" into `error` and returns
 * CM_ECONFIG; otherwise CM_OK. Nothing is changed.
 */
cm_err cm_config_fields_check(const json_object *root, const char *origin,
                              char error[CM_CONFIG_ERROR_MAX]);

/*
 * Checks the path part of one override ("queue.wrkers" of "queue.wrkers=4"); `origin` names the
 * file and the override in the message. Returns CM_OK or CM_ECONFIG with one line in `error`.
 */
cm_err cm_config_fields_check_override(const char *path, const char *origin,
                                       char error[CM_CONFIG_ERROR_MAX]);

#endif
