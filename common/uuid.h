/*
 * uuid.h - UUID text (36 characters, lower-case hex).
 *
 * cm_uuid_random: version 4 from /dev/urandom (getrandom).
 * cm_uuid_from_name: a name-based UUID (version 8 layout, SHA-256 of namespace and name), so the
 * same inputs always give the same id: used for record ids that make re-delivery harmless.
 */
#ifndef CM_UUID_H
#define CM_UUID_H

#include <stddef.h>

#include "common/err.h"

#define CM_UUID_TEXT_LEN 36

void cm_uuid_random(char out[CM_UUID_TEXT_LEN + 1]);
cm_err cm_uuid_from_name(const char *name_space, const char *name, char out[CM_UUID_TEXT_LEN + 1]);

/* Returns 1 if `text` is a UUID in the 8-4-4-4-12 hex form (any case), else 0. */
int cm_uuid_is_valid(const char *text);

#endif
