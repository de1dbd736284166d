/*
 * test_common_base64url.c - strict base64url (common/base64url.h): the RFC 4648 section 5 test
 * vectors both ways, and the refusals: padding, the standard alphabet, white space, a dangling
 * character, and output buffers too small.
 */
#include "tests/support/test_support.h"

#include <string.h>

#include "common/base64url.h"

static void base64url_vectors_and_refusals(void **state)
{
    (void)state;
    static const struct {
        const char *plain, *encoded;
    } VECTORS[] = {{"", ""},         {"f", "Zg"},         {"fo", "Zm8"},         {"foo", "Zm9v"},
                   {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"}, {"\xfb\xff", "-_8"}};
    for (size_t i = 0; i < sizeof VECTORS / sizeof VECTORS[0]; i++) {
        char text[32];
        size_t length = 0;
        assert_int_equal(cm_base64url_encode(VECTORS[i].plain, strlen(VECTORS[i].plain), text, sizeof text, &length), CM_OK);
        assert_string_equal(text, VECTORS[i].encoded);
        unsigned char bytes[32];
        assert_int_equal(cm_base64url_decode(text, length, bytes, sizeof bytes, &length), CM_OK);
        assert_int_equal(length, strlen(VECTORS[i].plain));
        assert_memory_equal(bytes, VECTORS[i].plain, length);
    }
    unsigned char bytes[8];
    size_t length;
    assert_int_equal(cm_base64url_decode("Zm9v=", 5, bytes, sizeof bytes, &length), CM_EINVAL); /* padding */
    assert_int_equal(cm_base64url_decode("Zm+v", 4, bytes, sizeof bytes, &length), CM_EINVAL);  /* standard alphabet */
    assert_int_equal(cm_base64url_decode("Zm9 v", 5, bytes, sizeof bytes, &length), CM_EINVAL); /* white space */
    assert_int_equal(cm_base64url_decode("Zm9vY", 5, bytes, sizeof bytes, &length), CM_EINVAL); /* 1 char left */
    assert_int_equal(cm_base64url_decode("Zm9vYmFy", 8, bytes, 5, &length), CM_ETOOBIG);
    char small[4];
    assert_int_equal(cm_base64url_encode("foobar", 6, small, sizeof small, NULL), CM_ETOOBIG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(base64url_vectors_and_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
