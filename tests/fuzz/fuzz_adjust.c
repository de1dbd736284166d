/* fuzz_adjust.c - libFuzzer target for fz_adjust: the adjust, inquiry and aggregate body parsers (see fuzz_entries.h). */
#include "tests/fuzz/fuzz_entries.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fz_adjust(data, size);
}
