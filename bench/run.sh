#!/bin/sh
# Builds omsgw in Release mode and runs the benchmark: real `omsgw serve` processes on loopback,
# driven by bench/omsgw_bench (libcurl, several connections), each figure next to a ceiling
# measured in the same run. Prints the table and writes it as JSON.
#
#   bench/run.sh [--quick] [--out FILE]
#
# Without --out the results go to bench/results/<date>.json and bench/results/latest.json.
set -eu
cd "$(dirname "$0")/.."
./scripts/deps.sh
out=""
mode=""
while [ $# -gt 0 ]; do
  case $1 in
    --out) out=$2; shift 2 ;;
    --quick|--tiny) mode=$1; shift ;;
    *) echo "usage: bench/run.sh [--quick] [--out FILE]" >&2; exit 2 ;;
  esac
done
cmake -S . -B build/bench -DCMAKE_BUILD_TYPE=Release -DOMSGW_TESTS=OFF >/dev/null
cmake --build build/bench -j"$(nproc)" --target omsgw omsgw_bench
mkdir -p bench/results
latest=0
if [ -z "$out" ]; then
  out=bench/results/$(date -u +%Y-%m-%d)${mode:+-${mode#--}}.json
  latest=1
fi
./build/bench/bench/omsgw_bench --omsgw build/bench/app/omsgw --source . --out "$out" $mode
if [ "$latest" = 1 ] && [ -z "$mode" ]; then
  cp "$out" bench/results/latest.json
fi
