#!/bin/sh
# Builds with ThreadSanitizer (build/tsan) and runs the whole suite through ctest. The server under
# test is built with TSan too, and halts on its first report (halt_on_error), so a data race in
# omsgw fails the end-to-end test that provoked it; the race is in that server's log, which the
# failing test prints. Exits non-zero on any failure.
#   ./scripts/test-tsan.sh [ctest arguments…]      e.g. -R e2e.test_concurrency
set -eu
cd "$(dirname "$0")/.."
./scripts/deps.sh
build="${OMSGW_TSAN_BUILD_DIR:-build/tsan}"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug -DOMSGW_TSAN=ON >/dev/null
cmake --build "$build" -j"$(nproc)"
# ASLR with high entropy breaks older TSan runtimes ("unexpected memory mapping"); run without it
# when setarch is there.
runner=""
if command -v setarch >/dev/null 2>&1 && setarch "$(uname -m)" -R true 2>/dev/null; then
    runner="setarch $(uname -m) -R"
fi
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1 second_deadlock_stack=1 history_size=4}"
status=0
$runner ctest --test-dir "$build" --output-on-failure -j"$(nproc)" --timeout 1200 "$@" || status=$?
exit $status
