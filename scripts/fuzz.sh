#!/bin/sh
# Builds the libFuzzer targets with clang (ASan + UBSan + coverage) in build/fuzz and runs each for
# the given number of seconds (default 60). New inputs collect in build/fuzz/tests/fuzz/corpus/;
# the committed seeds under tests/fuzz/corpus/ are only read. A crash stops that target, leaves its
# input in build/fuzz/tests/fuzz/artifacts/<target>/ and makes the script exit non-zero; keep the
# input under tests/fuzz/regressions/<target>/ once the bug is fixed.
#   ./scripts/fuzz.sh [seconds-per-target] [target…]    targets: refresh import config router multipart fault_rule token adjust
# Environment: OMSGW_FUZZ_BUILD_DIR (default build/fuzz), OMSGW_FUZZ_JOBS (build jobs, default 2).
set -eu
cd "$(dirname "$0")/.."
seconds="${1:-60}"
[ $# -gt 0 ] && shift
targets="${*:-refresh import config router multipart fault_rule token adjust}"
build="${OMSGW_FUZZ_BUILD_DIR:-build/fuzz}"
jobs="${OMSGW_FUZZ_JOBS:-2}"

case "$seconds" in
    ''|*[!0-9]*) echo "fuzz: seconds must be a whole number, got '$seconds'" >&2; exit 2 ;;
esac

if ! command -v clang >/dev/null 2>&1; then
    echo "fuzz: clang is missing; installing it"
    OMSGW_WITH_CLANG=1 ./scripts/deps.sh
else
    ./scripts/deps.sh
fi

CC=clang cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOMSGW_FUZZ=ON -DOMSGW_TESTS=OFF >/dev/null
cmake --build "$build" -j"$jobs" --target fuzz_refresh fuzz_import fuzz_config fuzz_router fuzz_multipart fuzz_fault_rule fuzz_token fuzz_adjust fuzz_stored_chunk

status=0
for target in $targets; do
    binary="$build/tests/fuzz/fuzz_$target"
    if [ ! -x "$binary" ]; then
        echo "fuzz: unknown target '$target'" >&2
        status=2
        continue
    fi
    work="$build/tests/fuzz/corpus/$target"
    artifacts="$build/tests/fuzz/artifacts/$target"
    mkdir -p "$work" "$artifacts"
    echo "fuzz: $target for ${seconds}s"
    if ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -dict=tests/fuzz/omsgw.dict -artifact_prefix="$artifacts/" \
        "$work" "tests/fuzz/corpus/$target" >"$build/tests/fuzz/$target.log" 2>&1; then
        runs=$(grep -E '^stat::number_of_executed_units' "$build/tests/fuzz/$target.log" | awk '{print $2}')
        cov=$(grep -oE 'cov: [0-9]+' "$build/tests/fuzz/$target.log" | tail -1)
        echo "fuzz: $target ok: ${runs:-?} runs, ${cov:-cov: ?}, corpus $(ls "$work" | wc -l) files"
    else
        status=1
        echo "fuzz: $target FAILED; log: $build/tests/fuzz/$target.log; inputs: $artifacts/" >&2
        grep -E 'ERROR|SUMMARY|broken promise|Test unit written' "$build/tests/fuzz/$target.log" | head -20 >&2 || true
    fi
done
exit $status
