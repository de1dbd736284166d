/* SHA-512 (common/digest.h, on libcrypto) against the FIPS 180-4 / NIST example vectors. */
#include "tests/support/test_support.h"

#include <string.h>

#include "common/digest.h"

static void hex_of(const void *data, size_t length, size_t chunk, char out[CM_SHA512_HEX_LEN + 1])
{
    cm_sha512_ctx ctx;
    cm_sha512_init(&ctx);
    const char *bytes = data;
    for (size_t at = 0; at < length; at += chunk)
        cm_sha512_update(&ctx, bytes + at, length - at < chunk ? length - at : chunk);
    uint8_t digest[CM_SHA512_LEN];
    cm_sha512_final(&ctx, digest);
    cm_sha512_hex(digest, out);
}

static void test_vectors(void **state)
{
    (void)state;
    char hex[CM_SHA512_HEX_LEN + 1];
    hex_of("", 0, 1, hex);
    assert_string_equal(hex, "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
                             "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e");
    hex_of("abc", 3, 1, hex);
    assert_string_equal(hex, "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
                             "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
    const char *two_blocks = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopq"
                             "klmnopqrlmnopqrsmnopqrstnopqrstu";
    assert_int_equal(strlen(two_blocks), 112);
    hex_of(two_blocks, strlen(two_blocks), 7, hex); /* odd chunks cross the block boundary */
    assert_string_equal(hex, "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018"
                             "501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909");
}

static void test_million_a(void **state)
{
    (void)state;
    static char million[1000000];
    memset(million, 'a', sizeof million);
    char hex[CM_SHA512_HEX_LEN + 1];
    hex_of(million, sizeof million, 4096, hex);
    assert_string_equal(hex, "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973eb"
                             "de0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_million_a),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
