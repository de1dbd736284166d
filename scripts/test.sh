#!/bin/sh
# Installs what is missing, builds with AddressSanitizer and UndefinedBehaviorSanitizer, and runs
# every test through ctest; then runs each libFuzzer target for a short fixed time
# (scripts/fuzz-smoke.sh, which installs clang). Prints the coverage table (scripts/coverage.sh),
# each cmocka summary and the counts; exits non-zero on any failure. OMSGW_SKIP_FUZZ=1 skips the
# fuzz smoke run.
set -eu
cd "$(dirname "$0")/.."
./scripts/deps.sh
# Instrumented for gcov as well: the same run gives the coverage table printed at the end.
cmake -S . -B build/test -DCMAKE_BUILD_TYPE=Debug -DOMSGW_SANITIZE=ON -DOMSGW_COVERAGE=ON >/dev/null
cmake --build build/test -j"$(nproc)"
find build/test -name '*.gcda' -delete
status=0
ctest --test-dir build/test --output-on-failure -j"$(nproc)" --timeout 900 || status=$?

fuzz_passed=0
fuzz_failed=0
if [ "${OMSGW_SKIP_FUZZ:-0}" != "1" ]; then
    echo
    echo "fuzz smoke run:"
    fuzz_status=0
    ./scripts/fuzz-smoke.sh || fuzz_status=$?
    fuzz_log=build/fuzz/tests/fuzz/Testing/Temporary/LastTest.log
    if [ -f "$fuzz_log" ]; then
        fuzz_passed=$(grep -c '^Test Passed' "$fuzz_log" || true)
        fuzz_failed=$(grep -c '^Test Failed' "$fuzz_log" || true)
    fi
    if [ "$fuzz_status" != 0 ]; then
        status=$fuzz_status
        [ "$fuzz_failed" -gt 0 ] || fuzz_failed=1
    fi
fi

./scripts/coverage.sh --report build/test || echo "coverage: no report (gcovr failed)"

echo
echo "cmocka summaries (one line per test executable):"
grep -hE '^[0-9]+/[0-9]+ Test:|^\[  (PASSED|FAILED)  \]' build/test/Testing/Temporary/LastTest.log || true
# The closing line: ctest's own counts plus the fuzz targets, in the plain "N passed, N failed" form.
log=build/test/Testing/Temporary/LastTest.log
passed=$(grep -c '^Test Passed' "$log" || true)
failed=$(grep -c '^Test Failed' "$log" || true)
# Failing tests by name last, where a log cut to its tail still shows them, after the end of each
# one's output (ctest printed it in full above, among the others').
failed_list=build/test/Testing/Temporary/LastTestsFailed.log
if [ "$failed" -gt 0 ] && [ -f "$failed_list" ]; then
    for name in $(sed 's/^[0-9]*://' "$failed_list"); do
        echo
        echo "---- end of the output of $name ----"
        awk -v name="$name" '
            $0 ~ "^[0-9]+/[0-9]+ Test: " name "$" { on = 1; next }
            on && /^[0-9]+\/[0-9]+ Test(ing)?: / { on = 0 }
            on { lines[kept++ % 25] = $0 }
            END { for (i = (kept > 25 ? kept - 25 : 0); i < kept; i++) print lines[i % 25] }
        ' "$log"
    done
    echo
    echo "failed tests:"
    sed 's/^[0-9]*:/  /' "$failed_list"
fi
echo
echo "fuzz targets: $fuzz_passed passed, $fuzz_failed failed"
echo "tests: $((passed + fuzz_passed)) passed, $((failed + fuzz_failed)) failed"
exit $status
