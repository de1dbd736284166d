/*
 * test_sha256_uuid.c - common/digest (libcrypto SHA-256) against the FIPS 180-4 / NIST vectors (one-shot and
 * streamed in awkward pieces), the constant-time comparison, and common/uuid: random v4 ids,
 * deterministic name-based v8 ids (pinned, because stored record ids depend on them) and validation.
 */
#include "tests/support/test_support.h"

#include <stdlib.h>
#include <string.h>

#include "common/digest.h"
#include "common/uuid.h"

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

/* ---- UUIDs ---- */

static void assert_layout(const char *uuid, char version)
{
    assert_int_equal(strlen(uuid), CM_UUID_TEXT_LEN);
    assert_true(cm_uuid_is_valid(uuid));
    for (int i = 0; i < CM_UUID_TEXT_LEN; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23)
            assert_int_equal(uuid[i], '-');
        else
            assert_non_null(strchr("0123456789abcdef", uuid[i])); /* lower case */
    }
    assert_int_equal(uuid[14], version);
    assert_non_null(strchr("89ab", uuid[19])); /* RFC 4122/9562 variant */
}

static void random_uuids(void **state)
{
    (void)state;
    char a[CM_UUID_TEXT_LEN + 1], b[CM_UUID_TEXT_LEN + 1];
    cm_uuid_random(a);
    cm_uuid_random(b);
    assert_layout(a, '4');
    assert_layout(b, '4');
    assert_string_not_equal(a, b);
}

static void name_based_uuids_are_deterministic(void **state)
{
    (void)state;
    char a[CM_UUID_TEXT_LEN + 1], b[CM_UUID_TEXT_LEN + 1], c[CM_UUID_TEXT_LEN + 1],
        d[CM_UUID_TEXT_LEN + 1];
    cm_uuid_from_name("ns", "name", a);
    cm_uuid_from_name("ns", "name", b);
    assert_string_equal(a, b);
    assert_layout(a, '8');
    /* Pinned: SHA-256("ns\nname") with the version and variant bits set. Changing the algorithm
     * would change every stored record id, so this must never move. */
    assert_string_equal(a, "56b42a69-c7cd-830d-b50f-9da575d6f6fd");

    cm_uuid_from_name("ns", "name2", c);
    assert_layout(c, '8');
    assert_string_not_equal(a, c);
    cm_uuid_from_name("other", "name", d);
    assert_string_not_equal(a, d);
    /* The empty name is a name too. */
    cm_uuid_from_name("ns", "", c);
    assert_layout(c, '8');
    assert_string_not_equal(a, c);
}

static void uuid_validation(void **state)
{
    (void)state;
    assert_true(cm_uuid_is_valid("56b42a69-c7cd-830d-b50f-9da575d6f6fd"));
    assert_true(cm_uuid_is_valid("56B42A69-C7CD-830D-B50F-9DA575D6F6FD"));
    assert_true(cm_uuid_is_valid("00000000-0000-0000-0000-000000000000"));
    assert_false(cm_uuid_is_valid(NULL));
    assert_false(cm_uuid_is_valid(""));
    assert_false(cm_uuid_is_valid("56b42a69-c7cd-830d-b50f-9da575d6f6f"));   /* short */
    assert_false(cm_uuid_is_valid("56b42a69-c7cd-830d-b50f-9da575d6f6fd0")); /* long */
    assert_false(cm_uuid_is_valid("56b42a69c7cd-830d-b50f-9da575d6f6fd0"));  /* dash moved */
    assert_false(cm_uuid_is_valid("56b42a69-c7cd-830d-b50f-9da575d6f6fg"));  /* not hex */
    assert_false(cm_uuid_is_valid("56b42a69-c7cd-830d-b50f_9da575d6f6fd"));
    assert_false(cm_uuid_is_valid("{6b42a69-c7cd-830d-b50f-9da575d6f6f}"));
    assert_false(cm_uuid_is_valid("56b42a69-c7cd-830d-b50f-9da575d6f6 d"));
    assert_false(cm_uuid_is_valid("56b42a690c7cd0830d0b50f09da575d6f6fd"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sha256_known_vectors),
        cmocka_unit_test(sha256_one_million_a),
        cmocka_unit_test(sha256_streaming_equals_one_shot_at_block_edges),
        cmocka_unit_test(const_time_equal),
        cmocka_unit_test(random_uuids),
        cmocka_unit_test(name_based_uuids_are_deterministic),
        cmocka_unit_test(uuid_validation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
