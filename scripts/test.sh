#!/bin/sh
# Installs what is missing, builds with AddressSanitizer and UndefinedBehaviorSanitizer, and runs
# every test through ctest. Prints each cmocka summary and ctest's summary; exits non-zero on any
# failure.
set -eu
cd "$(dirname "$0")/.."
./scripts/deps.sh
cmake -S . -B build/test -DCMAKE_BUILD_TYPE=Debug -DOMSGW_SANITIZE=ON >/dev/null
cmake --build build/test -j"$(nproc)"
status=0
ctest --test-dir build/test --output-on-failure -j"$(nproc)" --timeout 900 || status=$?
echo
echo "cmocka summaries (one line per test executable):"
grep -hE '^[0-9]+/[0-9]+ Test:|^\[  (PASSED|FAILED)  \]' build/test/Testing/Temporary/LastTest.log || true
# The closing line: ctest's own counts, in the plain "N passed, N failed" form.
log=build/test/Testing/Temporary/LastTest.log
passed=$(grep -c '^Test Passed' "$log" || true)
failed=$(grep -c '^Test Failed' "$log" || true)
echo
echo "ctest: $passed passed, $failed failed"
exit $status
