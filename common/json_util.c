#include "common/json_util.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The largest quantity kept exactly: integers up to 2^53 stay exact in a double as well. */
#define CM_MILLI_MAX 9007199254740LL

static void describe_position(const char *text, size_t offset, char error[CM_JSON_ERROR_MAX],
                              const char *what)
{
    size_t line = 1, column = 1;
    for (size_t i = 0; i < offset; i++) {
        if (text[i] == '\n') {
            line++;
            column = 1;
        } else {
            column++;
        }
    }
    snprintf(error, CM_JSON_ERROR_MAX, "body is not valid JSON: %s at byte %zu (line %zu, column %zu)",
             what, offset, line, column);
}

cm_err cm_json_parse(const char *text, size_t length, int max_depth, json_object **out,
                     char error[CM_JSON_ERROR_MAX])
{
    *out = NULL;
    error[0] = '\0';
    if (length > (size_t)INT32_MAX) {
        snprintf(error, CM_JSON_ERROR_MAX, "body is too large to parse");
        return CM_EINVAL;
    }
    json_tokener *tokener = json_tokener_new_ex(max_depth);
    if (!tokener) {
        snprintf(error, CM_JSON_ERROR_MAX, "out of memory");
        return CM_ENOMEM;
    }
    json_tokener_set_flags(tokener, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    json_object *value = json_tokener_parse_ex(tokener, text, (int)length);
    enum json_tokener_error parse_error = json_tokener_get_error(tokener);
    size_t end = json_tokener_get_parse_end(tokener);
    json_tokener_free(tokener);

    if (!value || parse_error != json_tokener_success) {
        if (value)
            json_object_put(value);
        const char *what = parse_error == json_tokener_continue ? "unexpected end of input"
                                                                : json_tokener_error_desc(parse_error);
        describe_position(text, parse_error == json_tokener_continue ? length : end, error, what);
        return CM_EINVAL;
    }
    for (size_t i = end; i < length; i++) {
        if (!isspace((unsigned char)text[i])) {
            json_object_put(value);
            describe_position(text, i, error, "unexpected data after the JSON value");
            return CM_EINVAL;
        }
    }
    *out = value;
    return CM_OK;
}

static cm_json_get member(const json_object *obj, const char *key, json_object **out)
{
    json_object *value = NULL;
    if (!obj || !json_object_is_type(obj, json_type_object) ||
        !json_object_object_get_ex(obj, key, &value))
        return CM_JSON_ABSENT;
    if (!value)
        return CM_JSON_WRONG_TYPE; /* JSON null */
    *out = value;
    return CM_JSON_OK;
}

cm_json_get cm_json_string(const json_object *obj, const char *key, const char **out)
{
    json_object *value;
    cm_json_get rc = member(obj, key, &value);
    if (rc)
        return rc;
    if (!json_object_is_type(value, json_type_string))
        return CM_JSON_WRONG_TYPE;
    *out = json_object_get_string(value);
    return CM_JSON_OK;
}

cm_json_get cm_json_int64(const json_object *obj, const char *key, int64_t *out)
{
    json_object *value;
    cm_json_get rc = member(obj, key, &value);
    if (rc)
        return rc;
    if (!json_object_is_type(value, json_type_int))
        return CM_JSON_WRONG_TYPE;
    errno = 0;
    int64_t number = json_object_get_int64(value);
    /* json-c saturates integers that do not fit; it says so through errno or the limits. */
    if (errno == ERANGE || number == INT64_MAX || number == INT64_MIN)
        return CM_JSON_OUT_OF_RANGE;
    if (json_object_get_uint64(value) > (uint64_t)INT64_MAX && number >= 0)
        return CM_JSON_OUT_OF_RANGE;
    *out = number;
    return CM_JSON_OK;
}

cm_json_get cm_json_bool(const json_object *obj, const char *key, int *out)
{
    json_object *value;
    cm_json_get rc = member(obj, key, &value);
    if (rc)
        return rc;
    if (!json_object_is_type(value, json_type_boolean))
        return CM_JSON_WRONG_TYPE;
    *out = json_object_get_boolean(value) ? 1 : 0;
    return CM_JSON_OK;
}

cm_json_get cm_json_number(const json_object *obj, const char *key, double *out)
{
    json_object *value;
    cm_json_get rc = member(obj, key, &value);
    if (rc)
        return rc;
    if (!json_object_is_type(value, json_type_int) && !json_object_is_type(value, json_type_double))
        return CM_JSON_WRONG_TYPE;
    double number = json_object_get_double(value);
    if (!isfinite(number))
        return CM_JSON_OUT_OF_RANGE;
    *out = number;
    return CM_JSON_OK;
}

cm_json_get cm_json_object(const json_object *obj, const char *key, json_object **out)
{
    json_object *value;
    cm_json_get rc = member(obj, key, &value);
    if (rc)
        return rc;
    if (!json_object_is_type(value, json_type_object))
        return CM_JSON_WRONG_TYPE;
    *out = value;
    return CM_JSON_OK;
}

cm_json_get cm_json_array(const json_object *obj, const char *key, json_object **out)
{
    json_object *value;
    cm_json_get rc = member(obj, key, &value);
    if (rc)
        return rc;
    if (!json_object_is_type(value, json_type_array))
        return CM_JSON_WRONG_TYPE;
    *out = value;
    return CM_JSON_OK;
}

int cm_milli_parse(const char *text, int64_t *out)
{
    const char *p = text;
    int negative = 0;
    if (*p == '-') {
        negative = 1;
        p++;
    }
    if (!isdigit((unsigned char)*p))
        return -1;
    int64_t whole = 0;
    while (isdigit((unsigned char)*p)) {
        whole = whole * 10 + (*p - '0');
        if (whole > CM_MILLI_MAX)
            return -1;
        p++;
    }
    int64_t fraction = 0;
    int fraction_digits = 0;
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p))
            return -1;
        while (isdigit((unsigned char)*p)) {
            if (fraction_digits < 3) {
                fraction = fraction * 10 + (*p - '0');
            } else if (*p != '0') {
                return -1; /* more precision than OCI's multipleOf 0.001 */
            }
            fraction_digits++;
            p++;
        }
        for (int i = fraction_digits; i < 3; i++)
            fraction *= 10;
    }
    if (*p == 'e' || *p == 'E') {
        /* Exponents are rare in inventory data; fall back to the double value when it is exact. */
        char *end;
        errno = 0;
        double value = strtod(text, &end);
        if (*end || errno || !isfinite(value))
            return -1;
        double scaled = value * 1000.0;
        if (fabs(scaled) > (double)CM_MILLI_MAX * 1000.0 || scaled != floor(scaled))
            return -1;
        *out = (int64_t)scaled;
        return 0;
    }
    if (*p != '\0')
        return -1;
    int64_t milli = whole * 1000 + fraction;
    *out = negative ? -milli : milli;
    return 0;
}

cm_json_get cm_json_value_milli(const json_object *value, int allow_string, int64_t *out)
{
    if (!value)
        return CM_JSON_WRONG_TYPE;
    if (json_object_is_type(value, json_type_int)) {
        errno = 0;
        int64_t number = json_object_get_int64(value);
        if (errno == ERANGE || number > CM_MILLI_MAX || number < -CM_MILLI_MAX)
            return CM_JSON_OUT_OF_RANGE;
        *out = number * 1000;
        return CM_JSON_OK;
    }
    if (json_object_is_type(value, json_type_double)) {
        /* json-c keeps the number's original text; parse that so 0.1 stays exactly 100. */
        const char *text = json_object_get_string((json_object *)value);
        if (!isfinite(json_object_get_double(value)) || cm_milli_parse(text, out) != 0)
            return CM_JSON_OUT_OF_RANGE;
        return CM_JSON_OK;
    }
    if (allow_string && json_object_is_type(value, json_type_string)) {
        const char *text = json_object_get_string((json_object *)value);
        if (cm_milli_parse(text, out) != 0)
            return CM_JSON_OUT_OF_RANGE;
        return CM_JSON_OK;
    }
    return CM_JSON_WRONG_TYPE;
}

void cm_milli_format(int64_t milli, char out[32])
{
    const char *sign = milli < 0 ? "-" : "";
    uint64_t magnitude = milli < 0 ? (uint64_t)(-(milli + 1)) + 1 : (uint64_t)milli;
    uint64_t whole = magnitude / 1000;
    unsigned fraction = (unsigned)(magnitude % 1000);
    if (fraction == 0)
        snprintf(out, 32, "%s%llu", sign, (unsigned long long)whole);
    else if (fraction % 100 == 0)
        snprintf(out, 32, "%s%llu.%u", sign, (unsigned long long)whole, fraction / 100);
    else if (fraction % 10 == 0)
        snprintf(out, 32, "%s%llu.%02u", sign, (unsigned long long)whole, fraction / 10);
    else
        snprintf(out, 32, "%s%llu.%03u", sign, (unsigned long long)whole, fraction);
}

json_object *cm_json_new_milli(int64_t milli)
{
    if (milli % 1000 == 0)
        return json_object_new_int64(milli / 1000);
    char text[32];
    cm_milli_format(milli, text);
    return json_object_new_double_s((double)milli / 1000.0, text);
}

const char *cm_json_text(json_object *obj, size_t *length)
{
    return json_object_to_json_string_length(obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
                                             length);
}
