/* fuzz_refresh.c - libFuzzer target for fz_refresh (see fuzz_entries.h). */
#include "tests/fuzz/fuzz_entries.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fz_refresh(data, size);
}
