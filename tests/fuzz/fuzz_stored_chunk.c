/* fuzz_stored_chunk.c - libFuzzer target for fz_stored_chunk (see fuzz_entries.h). */
#include "tests/fuzz/fuzz_entries.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fz_stored_chunk(data, size);
}
