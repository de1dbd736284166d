/* test_oci_token_form.c - the token routes' body reader (oci_core/token_form.h): form and
 * multipart bodies, percent-decoding, and every refusal. */
#include "tests/support/test_support.h"

#include <string.h>

#include "oci_core/token_form.h"

static void form_and_multipart_bodies(void **state)
{
    (void)state;
    cm_query form;
    char error[OCI_TOKEN_FORM_ERROR_MAX];
    const char *body = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=a.b.c&scope=x+y";
    assert_int_equal(oci_token_form_parse("application/x-www-form-urlencoded; charset=UTF-8", body, strlen(body), &form,
                                          error),
                     CM_OK);
    assert_string_equal(cm_query_get(&form, "grant_type"), "urn:ietf:params:oauth:grant-type:jwt-bearer");
    assert_string_equal(cm_query_get(&form, "assertion"), "a.b.c");
    assert_string_equal(cm_query_get(&form, "scope"), "x y");
    cm_query_free(&form);
    /* No Content-Type: read as a form (curl -d). The body need not be NUL-terminated. */
    char unterminated[] = {'a', '=', '1'};
    assert_int_equal(oci_token_form_parse(NULL, unterminated, sizeof unterminated, &form, error), CM_OK);
    assert_string_equal(cm_query_get(&form, "a"), "1");
    cm_query_free(&form);
    const char *multipart = "--XyZ\r\nContent-Disposition: form-data; name=\"grant_type\"\r\n\r\npassword\r\n"
                            "--XyZ\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\np%41ss word\r\n--XyZ--\r\n";
    assert_int_equal(oci_token_form_parse("multipart/form-data; boundary=XyZ", multipart, strlen(multipart), &form, error),
                     CM_OK);
    assert_string_equal(cm_query_get(&form, "grant_type"), "password");
    assert_string_equal(cm_query_get(&form, "password"), "p%41ss word"); /* taken as is, not decoded */
    cm_query_free(&form);
    assert_int_equal(oci_token_form_parse("application/x-www-form-urlencoded", "", 0, &form, error), CM_OK);
    assert_int_equal(form.count, 0);
    cm_query_free(&form);
}

static void refusals(void **state)
{
    (void)state;
    static const struct {
        const char *content_type, *body;
        size_t length;
        const char *why;
    } CASES[] = {
        {"application/json", "{}", 0, "x-www-form-urlencoded or multipart"},
        {"text/plain", "a=1", 0, "x-www-form-urlencoded or multipart"},
        {"application/x-www-form-urlencoded", "a=1&a=2", 0, "more than once"},
        {"application/x-www-form-urlencoded", "a=1\0b=2", 7, "NUL"},
        {"multipart/form-data", "--b\r\n", 0, "boundary"},
        {"multipart/form-data; boundary=b", "--b\r\nno end", 0, "headers"},
        {"multipart/form-data; boundary=b", "--b\r\nContent-Disposition: form-data\r\n\r\nv\r\n--b--", 0, "no form field name"},
        {"multipart/form-data; boundary=b", "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n"
                                            "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n2\r\n--b--",
         0, "more than once"},
    };
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        cm_query form;
        char error[OCI_TOKEN_FORM_ERROR_MAX] = "";
        size_t length = CASES[i].length ? CASES[i].length : strlen(CASES[i].body);
        cm_err rc = oci_token_form_parse(CASES[i].content_type, CASES[i].body, length, &form, error);
        if (rc != CM_EINVAL || !strstr(error, CASES[i].why))
            fail_msg("case %zu: rc %d \"%s\", wanted CM_EINVAL with \"%s\"", i, rc, error, CASES[i].why);
        assert_null(form.storage);
    }
    static char big[OCI_TOKEN_FORM_BODY_MAX + 1];
    memset(big, 'a', sizeof big);
    cm_query form;
    char error[OCI_TOKEN_FORM_ERROR_MAX];
    assert_int_equal(oci_token_form_parse(NULL, big, sizeof big, &form, error), CM_EINVAL);
    assert_non_null(strstr(error, "larger"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(form_and_multipart_bodies),
        cmocka_unit_test(refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
