#include "common/uuid.h"
#include "common/digest.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

static void format_uuid(uint8_t bytes[16], char out[CM_UUID_TEXT_LEN + 1])
{
    snprintf(out, CM_UUID_TEXT_LEN + 1,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", bytes[0],
             bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8],
             bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]);
}

void cm_uuid_random(char out[CM_UUID_TEXT_LEN + 1])
{
    uint8_t bytes[16];
    if (getrandom(bytes, sizeof bytes, 0) != (ssize_t)sizeof bytes) {
        /* Without kernel randomness, fall back to a hash of the clock and address: still unique
         * enough for correlation ids, which is all random UUIDs are used for here. */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint8_t digest[CM_SHA256_LEN];
        void *stack_address = &ts;
        uint8_t seed[sizeof ts + sizeof stack_address];
        memcpy(seed, &ts, sizeof ts);
        memcpy(seed + sizeof ts, &stack_address, sizeof stack_address);
        /* A failed hash leaves zeros; the clock bytes below still vary. */
        if (cm_sha256(seed, sizeof seed, digest) != CM_OK)
            memcpy(digest, seed, sizeof seed < sizeof digest ? sizeof seed : sizeof digest);
        memcpy(bytes, digest, sizeof bytes);
    }
    bytes[6] = (uint8_t)((bytes[6] & 0x0f) | 0x40);
    bytes[8] = (uint8_t)((bytes[8] & 0x3f) | 0x80);
    format_uuid(bytes, out);
}

cm_err cm_uuid_from_name(const char *name_space, const char *name, char out[CM_UUID_TEXT_LEN + 1])
{
    cm_sha256_ctx ctx;
    cm_sha256_init(&ctx);
    cm_sha256_update(&ctx, name_space, strlen(name_space));
    cm_sha256_update(&ctx, "\n", 1);
    cm_sha256_update(&ctx, name, strlen(name));
    uint8_t digest[CM_SHA256_LEN];
    if (cm_sha256_final(&ctx, digest) != CM_OK)
        return CM_ENOMEM;
    digest[6] = (uint8_t)((digest[6] & 0x0f) | 0x80);
    digest[8] = (uint8_t)((digest[8] & 0x3f) | 0x80);
    format_uuid(digest, out);
    return CM_OK;
}

int cm_uuid_is_valid(const char *text)
{
    if (!text || strlen(text) != CM_UUID_TEXT_LEN)
        return 0;
    for (int i = 0; i < CM_UUID_TEXT_LEN; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (text[i] != '-')
                return 0;
        } else if (!isxdigit((unsigned char)text[i])) {
            return 0;
        }
    }
    return 1;
}
