#!/bin/sh
# CI smoke run of the fuzz targets: installs clang (scripts/deps.sh with OMSGW_WITH_CLANG=1),
# builds the targets in build/fuzz and runs each for a short fixed time (default 10 s) through
# ctest (label "fuzz"). Exits non-zero when any target crashes, leaks or breaks a promise.
# scripts/test.sh does not need clang; this script is separate on purpose.
set -eu
cd "$(dirname "$0")/.."
OMSGW_WITH_CLANG=1 ./scripts/deps.sh
build="${OMSGW_FUZZ_BUILD_DIR:-build/fuzz}"
seconds="${OMSGW_FUZZ_SMOKE_SECONDS:-10}"
CC=clang cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOMSGW_FUZZ=ON -DOMSGW_TESTS=OFF \
    -DOMSGW_FUZZ_TEST_SECONDS="$seconds" >/dev/null
cmake --build "$build" -j"$(nproc)" --target fuzz_refresh fuzz_import fuzz_config fuzz_router fuzz_multipart fuzz_fault_rule fuzz_token fuzz_adjust fuzz_stored_chunk
ctest --test-dir "$build/tests/fuzz" -L fuzz --output-on-failure -j"$(nproc)"
