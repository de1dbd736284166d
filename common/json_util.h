/*
 * json_util.h - strict parsing and typed access on top of json-c.
 *
 * Parsing: one json_tokener with a depth limit, strict mode and UTF-8 validation; the text must be
 * one JSON value with nothing but white space after it, and no object may repeat a key (json-c
 * would keep the last value silently). On failure the message names the byte
 * offset, line and column where the parser stopped.
 *
 * Getters never convert: json_object_get_int64() would turn "12", true and null into numbers, so
 * every getter checks the type first and reports CM_JSON_WRONG_TYPE instead. Values returned are
 * borrowed from the parent object (json-c reference rules): do not put them.
 *
 * Quantities: OCI counts are decimals with at most three fraction digits; they are carried as
 * int64 thousandths ("milli") so that sums are exact.
 */
#ifndef CM_JSON_UTIL_H
#define CM_JSON_UTIL_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "common/body.h"
#include "common/err.h"

#define CM_JSON_MAX_DEPTH 32
#define CM_JSON_ERROR_MAX 160

typedef enum cm_json_get {
    CM_JSON_OK = 0,
    CM_JSON_ABSENT = 1,     /* key missing (a JSON null counts as present: see each getter) */
    CM_JSON_WRONG_TYPE = 2, /* present with another type */
    CM_JSON_OUT_OF_RANGE = 3, /* right type, value not representable (too large, NaN, too precise) */
} cm_json_get;

/*
 * Parses `length` bytes. On success *out owns a new object (caller puts it) and CM_OK is returned.
 * On failure *out is NULL, CM_EINVAL is returned and `error` holds one sentence.
 */
cm_err cm_json_parse(const char *text, size_t length, int max_depth, json_object **out,
                     char error[CM_JSON_ERROR_MAX]);

/* 1 when the bytes are UTF-8 as RFC 3629 defines it (no overlong forms, no surrogates, nothing
 * above U+10FFFF), as cm_json_parse requires of strings; 0 otherwise. */
int cm_utf8_valid(const char *text, size_t length);

/* Typed getters on an object member. A JSON null is reported as CM_JSON_WRONG_TYPE. */
cm_json_get cm_json_string(const json_object *obj, const char *key, const char **out);
cm_json_get cm_json_int64(const json_object *obj, const char *key, int64_t *out);
cm_json_get cm_json_bool(const json_object *obj, const char *key, int *out);
cm_json_get cm_json_number(const json_object *obj, const char *key, double *out);
cm_json_get cm_json_object(const json_object *obj, const char *key, json_object **out);
cm_json_get cm_json_array(const json_object *obj, const char *key, json_object **out);

/*
 * A value (not a member) as an exact count of thousandths: accepts JSON integers and decimals with
 * at most three significant fraction digits ("1.250" is fine, "1.2501" is CM_JSON_OUT_OF_RANGE),
 * and when `allow_string` numeric strings too. Rejects NaN, infinities and magnitudes above 2^53/1000.
 */
cm_json_get cm_json_value_milli(const json_object *value, int allow_string, int64_t *out);

/* Parses decimal text to thousandths under the rules above. Returns 0 or -1. */
int cm_milli_parse(const char *text, int64_t *out);

/* A new JSON number for thousandths, printed without trailing zeros ("12", "12.5", "0.001"). */
json_object *cm_json_new_milli(int64_t milli);

/* Writes thousandths as text without trailing zeros into out (at least 32 bytes). */
void cm_milli_format(int64_t milli, char out[32]);

/*
 * json_object_object_add for a value just made: takes `value` over either way and returns 0, or -1
 * when `value` is NULL or the object could not grow. json-c's constructors return NULL only when
 * short of memory, and json-c would store that NULL as a JSON null: a reply built with this says
 * so instead of showing "id": null.
 */
int cm_json_set(json_object *obj, const char *key, json_object *value);

/* Serialises compactly, without escaping '/'. The string is owned by `obj`. */
const char *cm_json_text(json_object *obj, size_t *length);

/* Appends `length` bytes of `text` to `out` as a JSON string (quotes included), escaped exactly as
 * json-c writes strings with JSON_C_TO_STRING_NOSLASHESCAPE, so that texts built by hand and by
 * json-c compare equal. CM_OK, CM_ETOOBIG or CM_ENOMEM (then `out` may hold part of it). */
cm_err cm_json_append_string(cm_body *out, const char *text, size_t length);

#endif
