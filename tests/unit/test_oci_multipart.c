/* Unit tests of oci_core/multipart.c. */
#include "tests/support/test_support.h"

#include <string.h>

#include "oci_core/multipart.h"

static void test_boundary(void **state)
{
    (void)state;
    char boundary[OCI_MULTIPART_BOUNDARY_MAX + 1];
    assert_true(oci_multipart_is_form("multipart/form-data; boundary=abc"));
    assert_false(oci_multipart_is_form("application/json"));
    assert_int_equal(oci_multipart_boundary("multipart/form-data; boundary=----X1", boundary), CM_OK);
    assert_string_equal(boundary, "----X1");
    assert_int_equal(oci_multipart_boundary("multipart/form-data; charset=x; boundary=\"q r\"", boundary), CM_OK);
    assert_string_equal(boundary, "q r");
    assert_int_equal(oci_multipart_boundary("multipart/form-data", boundary), CM_EINVAL);
}

static void test_file_part_among_fields(void **state)
{
    (void)state;
    const char body[] = "--B\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n"
                        "--B\r\nContent-Disposition: form-data; name=\"fileUpload\"; filename=\"inv.json\"\r\n"
                        "Content-Type: application/octet-stream\r\n\r\n{\"a\":1}\n{\"b\":2}\r\n--B--\r\n";
    oci_multipart_file file;
    char error[OCI_MULTIPART_ERROR_MAX];
    assert_int_equal(oci_multipart_find_file(body, sizeof body - 1, "B", &file, error), CM_OK);
    assert_string_equal(file.name, "fileUpload");
    assert_string_equal(file.filename, "inv.json");
    assert_int_equal(file.length, 15);
    assert_memory_equal(body + file.offset, "{\"a\":1}\n{\"b\":2}", 15);
}

static void test_single_part_without_filename(void **state)
{
    (void)state;
    const char body[] = "--B\r\nContent-Disposition: form-data; name=\"data\"\r\n\r\nxyz\r\n--B--";
    oci_multipart_file file;
    char error[OCI_MULTIPART_ERROR_MAX];
    assert_int_equal(oci_multipart_find_file(body, sizeof body - 1, "B", &file, error), CM_OK);
    assert_int_equal(file.length, 3);
    assert_memory_equal(body + file.offset, "xyz", 3);
}

static void test_malformed(void **state)
{
    (void)state;
    oci_multipart_file file;
    char error[OCI_MULTIPART_ERROR_MAX];
    const char no_boundary[] = "just text";
    assert_int_equal(oci_multipart_find_file(no_boundary, sizeof no_boundary - 1, "B", &file, error), CM_EINVAL);
    const char unclosed[] = "--B\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a\"\r\n\r\nabc";
    assert_int_equal(oci_multipart_find_file(unclosed, sizeof unclosed - 1, "B", &file, error), CM_EINVAL);
    const char two_files[] = "--B\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a\"\r\n\r\n1\r\n"
                             "--B\r\nContent-Disposition: form-data; name=\"g\"; filename=\"b\"\r\n\r\n2\r\n--B--";
    assert_int_equal(oci_multipart_find_file(two_files, sizeof two_files - 1, "B", &file, error), CM_EINVAL);
    assert_non_null(strstr(error, "2 file parts"));
    const char two_fields[] = "--B\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\n1\r\n"
                              "--B\r\nContent-Disposition: form-data; name=\"g\"\r\n\r\n2\r\n--B--";
    assert_int_equal(oci_multipart_find_file(two_fields, sizeof two_fields - 1, "B", &file, error), CM_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_boundary),
        cmocka_unit_test(test_file_part_among_fields),
        cmocka_unit_test(test_single_part_without_filename),
        cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
