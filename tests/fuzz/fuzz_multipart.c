/* fuzz_multipart.c - libFuzzer target for fz_multipart (see fuzz_entries.h). */
#include "tests/fuzz/fuzz_entries.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fz_multipart(data, size);
}
