/*
 * test_common_json_util.c - common/json_util: strict parsing (errors carry the position), typed getters
 * that never convert, int64 range, and exact thousandths ("milli") parsing and formatting.
 */
#include "tests/support/test_support.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "common/json_util.h"

/* ---- helpers ---- */

static json_object *parse_ok(const char *text)
{
    json_object *value = NULL;
    char error[CM_JSON_ERROR_MAX] = "";
    cm_err rc = cm_json_parse(text, strlen(text), CM_JSON_MAX_DEPTH, &value, error);
    if (rc != CM_OK)
        fail_msg("expected %s to parse, got: %s", text, error);
    assert_non_null(value);
    return value;
}

/* Parses `length` bytes that must fail; checks the message names `fragment` and a position. */
static void parse_fails_n(const char *text, size_t length, int max_depth, const char *fragment)
{
    json_object *value = (json_object *)1;
    char error[CM_JSON_ERROR_MAX] = "";
    cm_err rc = cm_json_parse(text, length, max_depth, &value, error);
    if (rc != CM_EINVAL) {
        if (rc == CM_OK)
            json_object_put(value);
        fail_msg("expected %.*s to be refused (rc %d)", (int)length, text, rc);
    }
    assert_null(value);
    assert_non_null(strstr(error, "at byte "));
    assert_non_null(strstr(error, "line "));
    assert_non_null(strstr(error, "column "));
    if (fragment && !strstr(error, fragment))
        fail_msg("error for %.*s is \"%s\", expected it to mention \"%s\"", (int)length, text, error,
                 fragment);
}

static void parse_fails(const char *text, const char *fragment)
{
    parse_fails_n(text, strlen(text), CM_JSON_MAX_DEPTH, fragment);
}

static char *nested_arrays(int depth)
{
    char *text = malloc((size_t)depth * 2 + 1);
    assert_non_null(text);
    memset(text, '[', (size_t)depth);
    memset(text + depth, ']', (size_t)depth);
    text[depth * 2] = '\0';
    return text;
}

/* ---- parsing ---- */

static void parses_objects_and_arrays(void **state)
{
    (void)state;
    json_object *value = parse_ok("{\"a\": [1, 2.5, \"x\", true, null], \"b\": {}}");
    assert_true(json_object_is_type(value, json_type_object));
    json_object_put(value);
    value = parse_ok("  \n\t[ ]\r\n  ");
    assert_true(json_object_is_type(value, json_type_array));
    json_object_put(value);
    value = parse_ok("[\"caf\xc3\xa9\", \"\\u00e9\\ud83d\\ude00\"]");
    json_object_put(value);
}

static void parses_top_level_scalars(void **state)
{
    (void)state;
    /* Any JSON value is one JSON text (RFC 8259), also when it ends at the last byte. */
    json_object *value = parse_ok("42");
    assert_true(json_object_is_type(value, json_type_int));
    assert_int_equal(json_object_get_int64(value), 42);
    json_object_put(value);
    value = parse_ok("-1.5");
    assert_true(json_object_is_type(value, json_type_double));
    json_object_put(value);
    value = parse_ok("true");
    assert_true(json_object_is_type(value, json_type_boolean));
    json_object_put(value);
    value = parse_ok("\"s\"");
    assert_string_equal(json_object_get_string(value), "s");
    json_object_put(value);
    value = parse_ok("7 \n");
    assert_int_equal(json_object_get_int64(value), 7);
    json_object_put(value);
}

static void parses_a_buffer_that_is_not_nul_terminated(void **state)
{
    (void)state;
    /* Only `length` bytes count: what follows in memory is not part of the text. */
    const char text[] = "{\"a\":1}GARBAGE";
    json_object *value = NULL;
    char error[CM_JSON_ERROR_MAX];
    assert_int_equal(cm_json_parse(text, 7, CM_JSON_MAX_DEPTH, &value, error), CM_OK);
    assert_non_null(value);
    json_object_put(value);
}

static void trailing_garbage_is_refused_with_its_position(void **state)
{
    (void)state;
    parse_fails("{} x", "byte 3");
    parse_fails("[1] [2]", "byte 4");
    parse_fails("[1]\n[2]", "line 2, column 1");
    parse_fails("{\"a\":1}}", "byte 7");
    parse_fails("\"a\" \"b\"", NULL);
    /* A NUL byte inside the given length is not white space. */
    parse_fails_n("{}\0", 3, CM_JSON_MAX_DEPTH, NULL);
}

static void truncated_input_is_refused(void **state)
{
    (void)state;
    parse_fails("", "byte 0");
    parse_fails("   ", NULL);
    parse_fails("{\"a\":", "byte 5");
    parse_fails("{\"a\":1", NULL);
    parse_fails("[1, 2", NULL);
    parse_fails("\"unterminated", NULL);
    parse_fails("{\n\"a\":\n", "line 3");
    parse_fails("tru", NULL);
}

static void non_json_syntax_is_refused(void **state)
{
    (void)state;
    parse_fails("[1,]", "byte 3");
    parse_fails("{\"a\":1,}", NULL);
    parse_fails("[01]", NULL);
    parse_fails("{a:1}", NULL);
    parse_fails("[1 2]", NULL);
    parse_fails("/* c */ {}", NULL);
    parse_fails("{\"a\":1} // c", NULL);
    parse_fails("[True]", NULL);
}

static void single_quoted_strings_are_refused(void **state)
{
    (void)state;
    /* json-c accepts single quotes even in strict mode; JSON does not. */
    parse_fails("{'a':1}", "byte 1");
    parse_fails("['x']", "byte 1");
}

static void nan_and_infinity_are_refused(void **state)
{
    (void)state;
    parse_fails("NaN", NULL);
    parse_fails("[NaN]", "byte 1");
    parse_fails("{\"q\": Infinity}", "byte 6");
    parse_fails("[-Infinity]", NULL);
    parse_fails("[nan]", NULL);
    parse_fails("[1e999]", NULL);
    parse_fails("[-1E+999]", NULL);
    /* Without an exponent only a number of more than 308 digits overflows: 310 digits are
     * refused, 300 are a (large, finite) number. */
    char text[400];
    text[0] = '[';
    memset(text + 1, '9', 310);
    memcpy(text + 311, "]", 2);
    parse_fails(text, "number out of range");
    memcpy(text + 301, "]", 2);
    json_object_put(parse_ok(text));
    json_object_put(parse_ok("[1e308, -2.5e-300, 12345678901234567890]"));
}

static void numbers_outside_rfc8259_are_refused(void **state)
{
    (void)state;
    /* json-c's strict mode takes these and writes them back as read. */
    parse_fails("[1.]", "byte 1");
    parse_fails("{\"p\": 999.}", "byte 6");
    parse_fails("[-.5]", "byte 1");
    parse_fails("[1.e5]", "byte 1");
    parse_fails("[0.]", NULL);
    json_object *value = parse_ok("[1.5, -0.25, 1e5, 1.0E+2, 0, -0, 12]");
    json_object_put(value);
}

static void depth_limit(void **state)
{
    (void)state;
    char *text = nested_arrays(CM_JSON_MAX_DEPTH);
    json_object *value = parse_ok(text);
    json_object_put(value);
    free(text);

    text = nested_arrays(CM_JSON_MAX_DEPTH + 1);
    parse_fails_n(text, strlen(text), CM_JSON_MAX_DEPTH, "too deep");
    free(text);

    text = nested_arrays(1000);
    parse_fails_n(text, strlen(text), CM_JSON_MAX_DEPTH, "too deep");
    free(text);

    /* A caller's smaller limit is honoured (json-c counts the scalar inside as a level too). */
    const char *four = "{\"a\":{\"b\":[{\"c\":1}]}}";
    json_object *out = NULL;
    char error[CM_JSON_ERROR_MAX];
    assert_int_equal(cm_json_parse(four, strlen(four), 8, &out, error), CM_OK);
    json_object_put(out);
    parse_fails_n(four, strlen(four), 3, "too deep");
}

static void invalid_utf8_is_refused(void **state)
{
    (void)state;
    parse_fails("[\"\xff\"]", "utf-8");
    parse_fails("[\"\xc3\"]", NULL);     /* truncated sequence */
    parse_fails("[\"a\x80z\"]", NULL);   /* lone continuation byte */
    parse_fails("{\"k\xfe\":1}", NULL);  /* in a key */
    json_object *value = parse_ok("[\"\xf0\x9f\x98\x80 \xe2\x82\xac \xc3\xa9\"]");
    json_object_put(value);
}

static void utf8_is_validated_strictly(void **state)
{
    (void)state;
    /* Well-formed in shape but not UTF-8 (RFC 3629): json-c's check lets these through. */
    parse_fails("[\"\xc0\xaf\"]", "byte 2");          /* overlong '/' */
    parse_fails("[\"\xe0\x80\xaf\"]", NULL);         /* overlong, three bytes */
    parse_fails("[\"\xed\xa0\x80\"]", NULL);         /* UTF-16 surrogate */
    parse_fails("[\"\xf4\x90\x80\x80\"]", NULL);    /* above U+10FFFF */
    parse_fails("[\"\xf5\x80\x80\x80\"]", NULL);
}

/* ---- typed getters ---- */

static const char *const sample =
    "{\"s\":\"12\",\"i\":12,\"neg\":-5,\"zero\":0,\"b\":true,\"f\":false,\"n\":null,\"d\":1.5,"
    "\"o\":{\"x\":1},\"a\":[1],\"empty\":\"\","
    "\"big\":9223372036854775808,\"huge\":99999999999999999999,"
    "\"max\":9223372036854775807,\"bigneg\":-9223372036854775809}";

static void int64_getter_refuses_other_types(void **state)
{
    (void)state;
    json_object *root = parse_ok(sample);
    int64_t value = 777;
    assert_int_equal(cm_json_int64(root, "i", &value), CM_JSON_OK);
    assert_int_equal(value, 12);
    assert_int_equal(cm_json_int64(root, "neg", &value), CM_JSON_OK);
    assert_int_equal(value, -5);
    assert_int_equal(cm_json_int64(root, "zero", &value), CM_JSON_OK);
    assert_int_equal(value, 0);

    value = 777;
    assert_int_equal(cm_json_int64(root, "s", &value), CM_JSON_WRONG_TYPE); /* "12" is a string */
    assert_int_equal(cm_json_int64(root, "b", &value), CM_JSON_WRONG_TYPE); /* true is not 1 */
    assert_int_equal(cm_json_int64(root, "f", &value), CM_JSON_WRONG_TYPE);
    assert_int_equal(cm_json_int64(root, "n", &value), CM_JSON_WRONG_TYPE); /* null is present */
    assert_int_equal(cm_json_int64(root, "d", &value), CM_JSON_WRONG_TYPE); /* 1.5 is no integer */
    assert_int_equal(cm_json_int64(root, "o", &value), CM_JSON_WRONG_TYPE);
    assert_int_equal(cm_json_int64(root, "a", &value), CM_JSON_WRONG_TYPE);
    assert_int_equal(cm_json_int64(root, "missing", &value), CM_JSON_ABSENT);
    /* Failures leave the output alone. */
    assert_int_equal(value, 777);
    json_object_put(root);
}

static void int64_range(void **state)
{
    (void)state;
    json_object *root = parse_ok(sample);
    int64_t value = 777;
    assert_int_equal(cm_json_int64(root, "big", &value), CM_JSON_OUT_OF_RANGE);
    assert_int_equal(cm_json_int64(root, "huge", &value), CM_JSON_OUT_OF_RANGE);
    assert_int_equal(cm_json_int64(root, "bigneg", &value), CM_JSON_OUT_OF_RANGE);
    assert_int_equal(value, 777);
    json_object_put(root);
}

static void int64_max_itself_is_in_range(void **state)
{
    (void)state;
    /* 9223372036854775807 is representable: only values past it are out of range. (The negative
     * end cannot be told apart: json-c saturates -9223372036854775809 to INT64_MIN silently.) */
    json_object *root = parse_ok(sample);
    int64_t value = 0;
    assert_int_equal(cm_json_int64(root, "max", &value), CM_JSON_OK);
    assert_true(value == INT64_MAX);
    json_object_put(root);
}

static void string_bool_number_getters(void **state)
{
    (void)state;
    json_object *root = parse_ok(sample);
    const char *text = NULL;
    assert_int_equal(cm_json_string(root, "s", &text), CM_JSON_OK);
    assert_string_equal(text, "12");
    assert_int_equal(cm_json_string(root, "empty", &text), CM_JSON_OK);
    assert_string_equal(text, "");
    text = NULL;
    assert_int_equal(cm_json_string(root, "i", &text), CM_JSON_WRONG_TYPE);
    assert_int_equal(cm_json_string(root, "n", &text), CM_JSON_WRONG_TYPE);
    assert_int_equal(cm_json_string(root, "b", &text), CM_JSON_WRONG_TYPE);
    assert_int_equal(cm_json_string(root, "o", &text), CM_JSON_WRONG_TYPE);
    assert_int_equal(cm_json_string(root, "missing", &text), CM_JSON_ABSENT);
    assert_null(text);

    int flag = 7;
    assert_int_equal(cm_json_bool(root, "b", &flag), CM_JSON_OK);
    assert_int_equal(flag, 1);
    assert_int_equal(cm_json_bool(root, "f", &flag), CM_JSON_OK);
    assert_int_equal(flag, 0);
    flag = 7;
    assert_int_equal(cm_json_bool(root, "i", &flag), CM_JSON_WRONG_TYPE);
    assert_int_equal(cm_json_bool(root, "zero", &flag), CM_JSON_WRONG_TYPE);
    assert_int_equal(cm_json_bool(root, "s", &flag), CM_JSON_WRONG_TYPE);
    assert_int_equal(cm_json_bool(root, "n", &flag), CM_JSON_WRONG_TYPE);
    assert_int_equal(cm_json_bool(root, "missing", &flag), CM_JSON_ABSENT);
    assert_int_equal(flag, 7);

    double number = -1;
    assert_int_equal(cm_json_number(root, "d", &number), CM_JSON_OK);
    assert_true(number == 1.5);
    assert_int_equal(cm_json_number(root, "i", &number), CM_JSON_OK);
    assert_true(number == 12.0);
    number = -1;
    assert_int_equal(cm_json_number(root, "s", &number), CM_JSON_WRONG_TYPE);
    assert_int_equal(cm_json_number(root, "b", &number), CM_JSON_WRONG_TYPE);
    assert_int_equal(cm_json_number(root, "n", &number), CM_JSON_WRONG_TYPE);
    assert_int_equal(cm_json_number(root, "missing", &number), CM_JSON_ABSENT);
    assert_true(number == -1);
    json_object_put(root);
}

static void object_and_array_getters(void **state)
{
    (void)state;
    json_object *root = parse_ok(sample);
    json_object *child = NULL;
    assert_int_equal(cm_json_object(root, "o", &child), CM_JSON_OK);
    assert_true(json_object_is_type(child, json_type_object));
    assert_int_equal(cm_json_array(root, "a", &child), CM_JSON_OK);
    assert_true(json_object_is_type(child, json_type_array));
    child = NULL;
    assert_int_equal(cm_json_object(root, "a", &child), CM_JSON_WRONG_TYPE);
    assert_int_equal(cm_json_object(root, "n", &child), CM_JSON_WRONG_TYPE);
    assert_int_equal(cm_json_object(root, "s", &child), CM_JSON_WRONG_TYPE);
    assert_int_equal(cm_json_array(root, "o", &child), CM_JSON_WRONG_TYPE);
    assert_int_equal(cm_json_array(root, "n", &child), CM_JSON_WRONG_TYPE);
    assert_int_equal(cm_json_array(root, "missing", &child), CM_JSON_ABSENT);
    assert_null(child);

    /* Members of something that is not an object are absent. */
    json_object *array = NULL;
    assert_int_equal(cm_json_array(root, "a", &array), CM_JSON_OK);
    int64_t value;
    assert_int_equal(cm_json_int64(array, "0", &value), CM_JSON_ABSENT);
    assert_int_equal(cm_json_int64(NULL, "i", &value), CM_JSON_ABSENT);
    json_object_put(root);
}

/* ---- thousandths ---- */

static void assert_milli(const char *text, int64_t expected)
{
    int64_t value = 123456789;
    if (cm_milli_parse(text, &value) != 0)
        fail_msg("cm_milli_parse(\"%s\") refused, expected %lld", text, (long long)expected);
    if (value != expected)
        fail_msg("cm_milli_parse(\"%s\") = %lld, expected %lld", text, (long long)value,
                 (long long)expected);
}

static void assert_milli_refused(const char *text)
{
    int64_t value = 0;
    if (cm_milli_parse(text, &value) == 0)
        fail_msg("cm_milli_parse(\"%s\") accepted as %lld", text, (long long)value);
}

static void milli_parse_plain_decimals(void **state)
{
    (void)state;
    assert_milli("0", 0);
    assert_milli("1", 1000);
    assert_milli("1.5", 1500);
    assert_milli("0.001", 1);
    assert_milli("0.1", 100);
    assert_milli("12.25", 12250);
    assert_milli("1.2500", 1250);
    assert_milli("1.250000000", 1250);
    assert_milli("-1.5", -1500);
    assert_milli("-0.001", -1);
    assert_milli("-0", 0);
    assert_milli("9007199254740", 9007199254740000LL);
    assert_milli("-9007199254740", -9007199254740000LL);
}

static void milli_parse_refuses_too_much_precision_and_junk(void **state)
{
    (void)state;
    assert_milli_refused("1.2501");
    assert_milli_refused("0.0001");
    assert_milli_refused("1.0000001");
    assert_milli_refused("");
    assert_milli_refused("-");
    assert_milli_refused("1.");
    assert_milli_refused(".5");
    assert_milli_refused("+1");
    assert_milli_refused(" 1");
    assert_milli_refused("1 ");
    assert_milli_refused("1,5");
    assert_milli_refused("0x10");
    assert_milli_refused("abc");
    assert_milli_refused("NaN");
    assert_milli_refused("Infinity");
    assert_milli_refused("1e");
    assert_milli_refused("1e999");
    assert_milli_refused("9007199254741");
    assert_milli_refused("99999999999999999999999");
}

static void milli_parse_exponent_forms(void **state)
{
    (void)state;
    assert_milli("1e3", 1000000);
    assert_milli("1E3", 1000000);
    assert_milli("1e+3", 1000000);
    assert_milli("2.5E-1", 250);
    assert_milli("1e-3", 1);
    assert_milli("-1.5e2", -150000);
    assert_milli("0.1e1", 1000);
    assert_milli_refused("1e-4");
    assert_milli_refused("1.5e-3");
    /* Exact decimals in exponent form are as exact as without it. */
    assert_milli("1.005e0", 1005);
    assert_milli("1.001e0", 1001);
    assert_milli("1.2345e2", 123450);
    assert_milli("12345e-3", 12345);
}

static void value_milli_types(void **state)
{
    (void)state;
    json_object *root = parse_ok("{\"int\":3,\"neg\":-2,\"dec\":1.5,\"fine\":1.2500,\"tiny\":0.001,"
                                 "\"precise\":1.2501,\"str\":\"2.5\",\"bad\":\"abc\",\"b\":true,"
                                 "\"exp\":1.5e3,\"huge\":9007199254741,\"n\":null,\"tenth\":0.1}");
    int64_t value = 0;
    json_object *member = NULL;
#define MEMBER(name) (json_object_object_get_ex(root, (name), &member), member)
    assert_int_equal(cm_json_value_milli(MEMBER("int"), 0, &value), CM_JSON_OK);
    assert_int_equal(value, 3000);
    assert_int_equal(cm_json_value_milli(MEMBER("neg"), 0, &value), CM_JSON_OK);
    assert_int_equal(value, -2000);
    assert_int_equal(cm_json_value_milli(MEMBER("dec"), 0, &value), CM_JSON_OK);
    assert_int_equal(value, 1500);
    assert_int_equal(cm_json_value_milli(MEMBER("fine"), 0, &value), CM_JSON_OK);
    assert_int_equal(value, 1250);
    assert_int_equal(cm_json_value_milli(MEMBER("tiny"), 0, &value), CM_JSON_OK);
    assert_int_equal(value, 1);
    assert_int_equal(cm_json_value_milli(MEMBER("tenth"), 0, &value), CM_JSON_OK);
    assert_int_equal(value, 100);
    assert_int_equal(cm_json_value_milli(MEMBER("exp"), 0, &value), CM_JSON_OK);
    assert_int_equal(value, 1500000);
    assert_int_equal(cm_json_value_milli(MEMBER("precise"), 0, &value), CM_JSON_OUT_OF_RANGE);
    assert_int_equal(cm_json_value_milli(MEMBER("huge"), 0, &value), CM_JSON_OUT_OF_RANGE);
    /* Strings only when the caller allows them. */
    assert_int_equal(cm_json_value_milli(MEMBER("str"), 0, &value), CM_JSON_WRONG_TYPE);
    assert_int_equal(cm_json_value_milli(MEMBER("str"), 1, &value), CM_JSON_OK);
    assert_int_equal(value, 2500);
    assert_int_equal(cm_json_value_milli(MEMBER("bad"), 1, &value), CM_JSON_OUT_OF_RANGE);
    assert_int_equal(cm_json_value_milli(MEMBER("b"), 1, &value), CM_JSON_WRONG_TYPE);
    assert_int_equal(cm_json_value_milli(MEMBER("n"), 1, &value), CM_JSON_WRONG_TYPE);
    assert_int_equal(cm_json_value_milli(NULL, 1, &value), CM_JSON_WRONG_TYPE);
#undef MEMBER
    json_object_put(root);
}

static void assert_format(int64_t milli, const char *expected)
{
    char out[32];
    memset(out, 'X', sizeof out);
    cm_milli_format(milli, out);
    assert_string_equal(out, expected);
}

static void milli_format_without_trailing_zeros(void **state)
{
    (void)state;
    assert_format(0, "0");
    assert_format(1, "0.001");
    assert_format(10, "0.01");
    assert_format(100, "0.1");
    assert_format(1000, "1");
    assert_format(12000, "12");
    assert_format(12500, "12.5");
    assert_format(12250, "12.25");
    assert_format(12251, "12.251");
    assert_format(12050, "12.05");
    assert_format(12005, "12.005");
    assert_format(1000000, "1000");
    assert_format(-1, "-0.001");
    assert_format(-1500, "-1.5");
    assert_format(-999, "-0.999");
    assert_format(-2000, "-2");
    assert_format(INT64_MAX, "9223372036854775.807");
    assert_format(INT64_MIN, "-9223372036854775.808");
}

static void assert_new_milli(int64_t milli, const char *expected_text, json_type expected_type)
{
    json_object *number = cm_json_new_milli(milli);
    assert_non_null(number);
    assert_true(json_object_is_type(number, expected_type));
    assert_string_equal(json_object_to_json_string_ext(number, JSON_C_TO_STRING_PLAIN), expected_text);
    /* What is written reads back as the same quantity. */
    int64_t back = 0;
    assert_int_equal(cm_json_value_milli(number, 0, &back), CM_JSON_OK);
    assert_true(back == milli);
    json_object_put(number);
}

static void new_milli_text(void **state)
{
    (void)state;
    assert_new_milli(12000, "12", json_type_int);
    assert_new_milli(0, "0", json_type_int);
    assert_new_milli(-3000, "-3", json_type_int);
    assert_new_milli(12500, "12.5", json_type_double);
    assert_new_milli(1, "0.001", json_type_double);
    assert_new_milli(-250, "-0.25", json_type_double);
    assert_new_milli(100, "0.1", json_type_double);

    /* Inside a document, via cm_json_text. */
    json_object *obj = json_object_new_object();
    json_object_object_add(obj, "quantity", cm_json_new_milli(12500));
    json_object_object_add(obj, "url", json_object_new_string("http://x/y"));
    size_t length = 0;
    const char *text = cm_json_text(obj, &length);
    assert_string_equal(text, "{\"quantity\":12.5,\"url\":\"http://x/y\"}");
    assert_int_equal(length, strlen(text));
    json_object_put(obj);
}

/* cm_json_set: a NULL value (what json-c's constructors give when short of memory) is refused,
 * not stored as a JSON null; a real value is added. */
static void set_refuses_a_null_value(void **state)
{
    (void)state;
    json_object *obj = json_object_new_object();
    assert_int_equal(cm_json_set(obj, "missing", NULL), -1);
    assert_false(json_object_object_get_ex(obj, "missing", NULL));
    assert_int_equal(cm_json_set(obj, "id", json_object_new_string("warehouse-1")), 0);
    const char *id = NULL;
    assert_int_equal(cm_json_string(obj, "id", &id), CM_JSON_OK);
    assert_string_equal(id, "warehouse-1");
    assert_int_equal(cm_json_set(NULL, "id", json_object_new_int(1)), -1); /* the value is put */
    json_object_put(obj);
}

static void json_text_is_compact_and_round_trips(void **state)
{
    (void)state;
    json_object *root = parse_ok("{ \"a\" : [ 1 , 2 ], \"s\" : \"x/\\\"y\" }");
    size_t length = 0;
    const char *text = cm_json_text(root, &length);
    assert_string_equal(text, "{\"a\":[1,2],\"s\":\"x/\\\"y\"}");
    json_object *again = parse_ok(text);
    assert_true(json_object_equal(root, again));
    json_object_put(again);
    json_object_put(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_objects_and_arrays),
        cmocka_unit_test(parses_top_level_scalars),
        cmocka_unit_test(parses_a_buffer_that_is_not_nul_terminated),
        cmocka_unit_test(trailing_garbage_is_refused_with_its_position),
        cmocka_unit_test(truncated_input_is_refused),
        cmocka_unit_test(non_json_syntax_is_refused),
        cmocka_unit_test(single_quoted_strings_are_refused),
        cmocka_unit_test(numbers_outside_rfc8259_are_refused),
        cmocka_unit_test(nan_and_infinity_are_refused),
        cmocka_unit_test(depth_limit),
        cmocka_unit_test(invalid_utf8_is_refused),
        cmocka_unit_test(utf8_is_validated_strictly),
        cmocka_unit_test(int64_getter_refuses_other_types),
        cmocka_unit_test(int64_range),
        cmocka_unit_test(int64_max_itself_is_in_range),
        cmocka_unit_test(string_bool_number_getters),
        cmocka_unit_test(object_and_array_getters),
        cmocka_unit_test(milli_parse_plain_decimals),
        cmocka_unit_test(milli_parse_refuses_too_much_precision_and_junk),
        cmocka_unit_test(milli_parse_exponent_forms),
        cmocka_unit_test(value_milli_types),
        cmocka_unit_test(milli_format_without_trailing_zeros),
        cmocka_unit_test(new_milli_text),
        cmocka_unit_test(json_text_is_compact_and_round_trips),
        cmocka_unit_test(set_refuses_a_null_value),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
