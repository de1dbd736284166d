#!/bin/sh
# Mixed load (refreshes of all sizes, job polls, availability reads) against a Release `omsgw serve`
# for SECONDS (default 600); prints requests served, errors and resident memory over time, and
# exits 1 on any failed request, any job not ending SUCCESS, or memory growing after warm-up.
# The output is also written to bench/results/soak-<date>.txt.
#
#   bench/soak.sh [SECONDS]
set -eu
cd "$(dirname "$0")/.."
./scripts/deps.sh
cmake -S . -B build/bench -DCMAKE_BUILD_TYPE=Release -DOMSGW_TESTS=OFF >/dev/null
cmake --build build/bench -j"$(nproc)" --target omsgw omsgw_soak
mkdir -p bench/results
out=bench/results/soak-$(date -u +%Y-%m-%d).txt
{
  echo "soak on $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  ./build/bench/bench/omsgw_soak --omsgw build/bench/app/omsgw --source . --seconds "${1:-600}"
} 2>&1 | tee "$out"
