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

/* Length of the UTF-8 sequence at s (RFC 3629: no overlong forms, no surrogates, nothing above
 * U+10FFFF), or 0 when it is not one. */
static size_t utf8_sequence_length(const unsigned char *s, size_t left)
{
    unsigned char lead = s[0], low = 0x80, high = 0xbf;
    size_t need;
    if (lead < 0x80)
        return 1;
    if (lead >= 0xc2 && lead <= 0xdf)
        need = 2;
    else if (lead >= 0xe0 && lead <= 0xef)
        need = 3;
    else if (lead >= 0xf0 && lead <= 0xf4)
        need = 4;
    else
        return 0;
    if (lead == 0xe0)
        low = 0xa0; /* overlong */
    else if (lead == 0xed)
        high = 0x9f; /* surrogates */
    else if (lead == 0xf0)
        low = 0x90; /* overlong */
    else if (lead == 0xf4)
        high = 0x8f; /* above U+10FFFF */
    if (left < need || s[1] < low || s[1] > high)
        return 0;
    for (size_t i = 2; i < need; i++)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    return need;
}

/* 1 when the n bytes are a number as RFC 8259 writes it: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
 * (json-c's strict mode also takes "1.", "-.5" and "1.e5", and would write them back as read, so
 * they would reach stored rows, extras and OCI). */
static int is_rfc8259_number(const char *s, size_t n)
{
    size_t i = 0, digits;
    if (i < n && s[i] == '-')
        i++;
    if (i < n && s[i] == '0')
        i++;
    else {
        for (digits = 0; i < n && isdigit((unsigned char)s[i]); i++)
            digits++;
        if (!digits)
            return 0;
    }
    if (i < n && s[i] == '.') {
        for (i++, digits = 0; i < n && isdigit((unsigned char)s[i]); i++)
            digits++;
        if (!digits)
            return 0;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        for (digits = 0; i < n && isdigit((unsigned char)s[i]); i++)
            digits++;
        if (!digits)
            return 0;
    }
    return i == n;
}

int cm_utf8_valid(const char *text, size_t length)
{
    const unsigned char *s = (const unsigned char *)text;
    for (size_t i = 0; i < length;) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        size_t n = utf8_sequence_length(s + i, length - i);
        if (n == 0)
            return 0;
        i += n;
    }
    return 1;
}

/*
 * json-c's strict mode still accepts single-quoted strings, NaN, Infinity, numbers without
 * digits after or before the point and numbers that overflow to infinity, and its UTF-8 check
 * lets overlong forms, surrogates and code points above U+10FFFF through. This pass runs over text json-c has accepted and finds the first such token.
 * Returns 0, or -1 with *offset and *what set.
 */
static int is_number_char(char c)
{
    return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

static int check_strict(const char *text, size_t length, size_t *offset, const char **what, size_t *colons)
{
    size_t i = 0;
    *colons = 0;
    while (i < length) {
        unsigned char c = (unsigned char)text[i];
        if (c == '"') {
            for (i++; i < length && text[i] != '"';) {
                if (text[i] == '\\') {
                    i += 2;
                    continue;
                }
                size_t n = utf8_sequence_length((const unsigned char *)text + i, length - i);
                if (n == 0) {
                    *offset = i;
                    *what = "invalid utf-8 string";
                    return -1;
                }
                i += n;
            }
            i++;
        } else if (c == '\'') {
            *offset = i;
            *what = "single-quoted strings are not JSON";
            return -1;
        } else if (c == '-' || isdigit(c)) {
            size_t start = i;
            int has_exponent = 0;
            while (i < length && is_number_char(text[i])) {
                has_exponent |= text[i] == 'e' || text[i] == 'E';
                i++;
            }
            size_t n = i - start;
            if (!is_rfc8259_number(text + start, n)) {
                *offset = start;
                *what = "number is not JSON (RFC 8259 wants digits on both sides of '.')";
                return -1;
            }
            /* Only an exponent or more than 300 digits can overflow a double: the common number
             * is not converted (strtod was a tenth of a refresh item's validation). */
            if (has_exponent || n > 300) {
                char small[64];
                char *number = n < sizeof small ? small : malloc(n + 1);
                if (!number) {
                    *offset = start;
                    *what = "out of memory";
                    return -1;
                }
                memcpy(number, text + start, n);
                number[n] = '\0';
                double value = strtod(number, NULL);
                if (number != small)
                    free(number);
                if (!isfinite(value)) {
                    *offset = start;
                    *what = "number out of range";
                    return -1;
                }
            }
        } else if (isalpha(c)) {
            size_t start = i;
            while (i < length && isalpha((unsigned char)text[i]))
                i++;
            size_t n = i - start;
            if (!(n == 4 && memcmp(text + start, "true", 4) == 0) &&
                !(n == 5 && memcmp(text + start, "false", 5) == 0) &&
                !(n == 4 && memcmp(text + start, "null", 4) == 0)) {
                *offset = start;
                *what = "NaN and Infinity are not JSON";
                return -1;
            }
        } else {
            if (c == ':')
                (*colons)++;
            i++;
        }
    }
    return 0;
}

/* The number of object members in the tree, counted recursively (its depth is bounded by the
 * tokener's depth limit). */
static size_t count_members(json_object *value)
{
    size_t count = 0;
    if (json_object_is_type(value, json_type_object)) {
        json_object_object_foreach(value, key, child)
        {
            (void)key;
            count += 1 + count_members(child);
        }
    } else if (json_object_is_type(value, json_type_array)) {
        size_t length = json_object_array_length(value);
        for (size_t i = 0; i < length; i++)
            count += count_members(json_object_array_get_idx(value, i));
    }
    return count;
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
    if (parse_error == json_tokener_continue && end == length) {
        /* A value ending at the last byte ("42", "true", "null") is only complete once json-c sees
         * a terminator: feed it the NUL it would have read from a C string. */
        value = json_tokener_parse_ex(tokener, "", 1);
        if (json_tokener_get_error(tokener) == json_tokener_success)
            parse_error = json_tokener_success;
    }
    json_tokener_free(tokener);

    /* A JSON null is a success with *out NULL (json-c represents null as NULL). */
    if (parse_error != json_tokener_success) {
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
    size_t offset = 0;
    const char *what = NULL;
    size_t colons = 0;
    if (check_strict(text, end, &offset, &what, &colons) != 0) {
        json_object_put(value);
        describe_position(text, offset, error, what);
        return CM_EINVAL;
    }
    /* Every member has exactly one ':' outside strings. json-c keeps only the last of two members
     * with the same name, so fewer members than colons means a name was repeated: which value
     * counts would differ between parsers, so the text is refused. */
    if (count_members(value) != colons) {
        json_object_put(value);
        snprintf(error, CM_JSON_ERROR_MAX, "body is not valid JSON: an object has the same key twice");
        return CM_EINVAL;
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
    /* Past INT64_MAX json-c stores a uint64 (caught below); past INT64_MIN it saturates silently,
     * so INT64_MIN itself cannot be told apart and is refused. */
    if (errno == ERANGE || number == INT64_MIN)
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

/* The largest count of thousandths accepted: CM_MILLI_MAX whole units and three fraction digits. */
#define CM_MILLI_LIMIT (CM_MILLI_MAX * 1000 + 999)

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
    const char *whole = p;
    while (isdigit((unsigned char)*p))
        p++;
    size_t whole_digits = (size_t)(p - whole);
    const char *fraction = p;
    size_t fraction_digits = 0;
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p))
            return -1;
        fraction = p;
        while (isdigit((unsigned char)*p))
            p++;
        fraction_digits = (size_t)(p - fraction);
    }
    long exponent = 0;
    if (*p == 'e' || *p == 'E') {
        p++;
        int exponent_negative = *p == '-';
        if (*p == '+' || *p == '-')
            p++;
        if (!isdigit((unsigned char)*p))
            return -1;
        while (isdigit((unsigned char)*p)) {
            if (exponent < 100000)
                exponent = exponent * 10 + (*p - '0');
            p++;
        }
        if (exponent_negative)
            exponent = -exponent;
    }
    if (*p != '\0')
        return -1;
    /* Exactly, in decimal: the first `point` digits make the thousandths, the rest must be zeros
     * (exponents are applied by moving the point, never through a double: "1.005e0" is 1005). */
    long point = (long)whole_digits + exponent + 3;
    size_t digits = whole_digits + fraction_digits;
    int64_t milli = 0;
    for (size_t i = 0; i < digits; i++) {
        int digit = (i < whole_digits ? whole[i] : fraction[i - whole_digits]) - '0';
        if ((long)i >= point) {
            if (digit != 0)
                return -1; /* more precision than OCI's multipleOf 0.001 */
            continue;
        }
        if (milli > (CM_MILLI_LIMIT - digit) / 10)
            return -1;
        milli = milli * 10 + digit;
    }
    for (long i = (long)digits; i < point && milli != 0; i++) {
        if (milli > CM_MILLI_LIMIT / 10)
            return -1;
        milli *= 10;
    }
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

int cm_json_set(json_object *obj, const char *key, json_object *value)
{
    if (!obj || !value) {
        json_object_put(value);
        return -1;
    }
    if (json_object_object_add(obj, key, value) != 0) {
        json_object_put(value); /* not inserted: still ours */
        return -1;
    }
    return 0;
}

const char *cm_json_text(json_object *obj, size_t *length)
{
    return json_object_to_json_string_length(obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
                                             length);
}

cm_err cm_json_append_string(cm_body *out, const char *text, size_t length)
{
    static const char hex[] = "0123456789abcdef";
    cm_err rc = cm_body_append(out, "\"", 1);
    size_t run = 0; /* bytes copied as they are, written in one append */
    for (size_t i = 0; !rc && i < length; i++) {
        unsigned char c = (unsigned char)text[i];
        char escaped[7];
        size_t escaped_length = 2;
        escaped[0] = '\\';
        switch (c) {
        case '\b': escaped[1] = 'b'; break;
        case '\n': escaped[1] = 'n'; break;
        case '\r': escaped[1] = 'r'; break;
        case '\t': escaped[1] = 't'; break;
        case '\f': escaped[1] = 'f'; break;
        case '"': escaped[1] = '"'; break;
        case '\\': escaped[1] = '\\'; break;
        default:
            if (c >= ' ') {
                run++;
                continue;
            }
            memcpy(escaped + 1, "u00", 3);
            escaped[4] = hex[c >> 4];
            escaped[5] = hex[c & 0x0f];
            escaped_length = 6;
        }
        rc = cm_body_append(out, text + i - run, run);
        run = 0;
        if (!rc)
            rc = cm_body_append(out, escaped, escaped_length);
    }
    if (!rc)
        rc = cm_body_append(out, text + length - run, run);
    if (!rc)
        rc = cm_body_append(out, "\"", 1);
    return rc;
}
