/*
 * test_common_digest.c - common/digest (libcrypto SHA-256) against the FIPS 180-4 / NIST vectors
 * (one-shot and streamed in awkward pieces) and the constant-time comparison.
 */
#include "tests/support/test_support.h"

#include <stdlib.h>
#include <string.h>

#include "common/digest.h"

static void assert_digest_hex(const uint8_t digest[CM_SHA256_LEN], const char *expected)
{
    char hex[CM_SHA256_HEX_LEN + 1];
    memset(hex, 'X', sizeof hex);
    cm_sha256_hex(digest, hex);
    assert_int_equal(hex[CM_SHA256_HEX_LEN], '\0');
    assert_string_equal(hex, expected);
}

static void assert_sha256(const void *data, size_t len, const char *expected)
{
    uint8_t digest[CM_SHA256_LEN];
    cm_sha256(data, len, digest);
    assert_digest_hex(digest, expected);
}

#define VECTOR_448 "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
#define VECTOR_896                                                                              \
    "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlm" \
    "nopqrsmnopqrstnopqrstu"

static void sha256_known_vectors(void **state)
{
    (void)state;
    assert_sha256("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_sha256("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_sha256(VECTOR_448, strlen(VECTOR_448),
                  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    assert_sha256(VECTOR_896, strlen(VECTOR_896),
                  "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

static void sha256_one_million_a(void **state)
{
    (void)state;
    const char *expected = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
    char *data = malloc(1000000);
    assert_non_null(data);
    memset(data, 'a', 1000000);
    assert_sha256(data, 1000000, expected);
    free(data);

    /* Streamed in pieces that never line up with the 64-byte blocks. */
    cm_sha256_ctx ctx;
    cm_sha256_init(&ctx);
    char piece[997];
    memset(piece, 'a', sizeof piece);
    size_t left = 1000000;
    while (left) {
        size_t n = left < sizeof piece ? left : sizeof piece;
        cm_sha256_update(&ctx, piece, n);
        left -= n;
    }
    uint8_t digest[CM_SHA256_LEN];
    cm_sha256_final(&ctx, digest);
    assert_digest_hex(digest, expected);
}

static void sha256_streaming_equals_one_shot_at_block_edges(void **state)
{
    (void)state;
    uint8_t data[200];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 31 + 7);
    /* Lengths around the padding boundaries (55, 56, 63, 64, 65…) and split points everywhere. */
    const size_t lengths[] = {0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 200};
    for (size_t l = 0; l < sizeof lengths / sizeof lengths[0]; l++) {
        size_t len = lengths[l];
        uint8_t expected[CM_SHA256_LEN];
        cm_sha256(data, len, expected);
        for (size_t split = 0; split <= len; split += (len > 20 ? 7 : 1)) {
            cm_sha256_ctx ctx;
            cm_sha256_init(&ctx);
            cm_sha256_update(&ctx, data, split);
            cm_sha256_update(&ctx, data + split, 0);
            cm_sha256_update(&ctx, data + split, len - split);
            uint8_t digest[CM_SHA256_LEN];
            cm_sha256_final(&ctx, digest);
            assert_memory_equal(digest, expected, CM_SHA256_LEN);
        }
    }
    /* A known 64-byte message (one block of data plus a block of padding). */
    const char *block = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    assert_sha256(block, 64, "a8ae6e6ee929abea3afcfc5258c8ccd6f85273e0d4626d26c7279f3250f77c8e");
}

static void const_time_equal(void **state)
{
    (void)state;
    uint8_t a[CM_SHA256_LEN], b[CM_SHA256_LEN];
    cm_sha256("key", 3, a);
    memcpy(b, a, sizeof b);
    assert_int_equal(cm_const_time_equal(a, b, sizeof a), 1);
    b[0] ^= 1;
    assert_int_equal(cm_const_time_equal(a, b, sizeof a), 0);
    b[0] ^= 1;
    b[CM_SHA256_LEN - 1] ^= 0x80;
    assert_int_equal(cm_const_time_equal(a, b, sizeof a), 0);
    /* Only `len` bytes are compared. */
    assert_int_equal(cm_const_time_equal(a, b, CM_SHA256_LEN - 1), 1);
    assert_int_equal(cm_const_time_equal("x", "y", 0), 1);
    assert_int_equal(cm_const_time_equal("abc", "abd", 3), 0);
}

/* A hashed prefix and many tails: each digest is the one-shot digest of prefix + tail, for
 * prefixes and tails on both sides of the 64-byte block edge, the context reused between them. */
static void sha256_prefixed_equals_one_shot(void **state)
{
    (void)state;
    char text[300];
    for (size_t i = 0; i < sizeof text; i++)
        text[i] = (char)('a' + (i * 7) % 26);
    const size_t prefixes[] = {0, 1, 55, 63, 64, 65, 128, 200};
    const size_t tails[] = {0, 1, 8, 63, 64, 99};
    for (size_t p = 0; p < sizeof prefixes / sizeof prefixes[0]; p++) {
        cm_sha256_prefixed hash;
        assert_int_equal(cm_sha256_prefixed_init(&hash, text, prefixes[p]), CM_OK);
        for (int round = 0; round < 2; round++)
            for (size_t t = 0; t < sizeof tails / sizeof tails[0]; t++) {
                uint8_t expected[CM_SHA256_LEN], got[CM_SHA256_LEN];
                assert_int_equal(cm_sha256(text, prefixes[p] + tails[t], expected), CM_OK);
                assert_int_equal(cm_sha256_prefixed_final(&hash, text + prefixes[p], tails[t], got), CM_OK);
                assert_memory_equal(got, expected, CM_SHA256_LEN);
            }
        cm_sha256_prefixed_free(&hash);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sha256_known_vectors),
        cmocka_unit_test(sha256_one_million_a),
        cmocka_unit_test(sha256_streaming_equals_one_shot_at_block_edges),
        cmocka_unit_test(sha256_prefixed_equals_one_shot),
        cmocka_unit_test(const_time_equal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
