/* fuzz_fault_rule.c - libFuzzer target for fz_fault_rule (see fuzz_entries.h). */
#include "tests/fuzz/fuzz_entries.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fz_fault_rule(data, size);
}
