#!/bin/sh
# Line and branch coverage of omsgw's own code, per folder.
#
#   scripts/coverage.sh                 builds build/coverage with gcov instrumentation (Debug, no
#                                       sanitizers), runs every ctest test, prints the table
#   scripts/coverage.sh --report DIR    prints the table from the counters already in build DIR
#                                       (scripts/test.sh uses this on its own instrumented build)
#
# Counted: the C files under app/ admin/ common/ delivery/ gateway/ oci_core/ queue/ translate/;
# not counted: tests/, bench/ and the libraries. gcovr (Debian's package, installed by
# scripts/deps.sh with OMSGW_WITH_COVERAGE=1) reads gcc's counters; the table is written by the
# python3 that gcovr itself runs on. Writes DIR/coverage.json (gcovr's per-file summary) and
# DIR/coverage.txt (the table). Exits non-zero when a test failed.
set -eu
cd "$(dirname "$0")/.."
OMSGW_WITH_COVERAGE=1 ./scripts/deps.sh >/dev/null

status=0
if [ "${1:-}" = "--report" ]; then
    build="${2:?usage: scripts/coverage.sh --report BUILD_DIR}"
else
    build="${OMSGW_COVERAGE_BUILD_DIR:-build/coverage}"
    cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug -DOMSGW_COVERAGE=ON >/dev/null
    cmake --build "$build" -j"$(nproc)"
    # Counters add up across runs: start from zero so the figures are this run's.
    find "$build" -name '*.gcda' -delete
    ctest --test-dir "$build" --output-on-failure -j"$(nproc)" --timeout 900 || status=$?
fi

folders="app admin common delivery gateway oci_core queue translate"
filters=""
for folder in $folders; do
    filters="$filters --filter $folder/"
done
# shellcheck disable=SC2086
gcovr --root . --object-directory "$build" $filters --gcov-ignore-parse-errors \
    --json-summary "$build/coverage.json" --json-summary-pretty >/dev/null

python3 - "$build/coverage.json" "$folders" >"$build/coverage.txt" <<'EOF'
import json, sys
summary = json.load(open(sys.argv[1]))
folders = sys.argv[2].split()
totals = {f: [0, 0, 0, 0] for f in folders}
for entry in summary["files"]:
    folder = entry["filename"].split("/", 1)[0]
    if folder in totals:
        t = totals[folder]
        t[0] += entry["line_covered"]; t[1] += entry["line_total"]
        t[2] += entry["branch_covered"]; t[3] += entry["branch_total"]
def pct(a, b):
    return "%5.1f %%" % (100.0 * a / b) if b else "    -  "
print("%-10s %17s %9s %17s %9s" % ("folder", "lines", "", "branches", ""))
all_ = [0, 0, 0, 0]
for f in folders:
    t = totals[f]
    all_ = [x + y for x, y in zip(all_, t)]
    print("%-10s %8d / %6d %9s %8d / %6d %9s" % (f, t[0], t[1], pct(t[0], t[1]), t[2], t[3], pct(t[2], t[3])))
print("%-10s %8d / %6d %9s %8d / %6d %9s" % ("all", all_[0], all_[1], pct(all_[0], all_[1]), all_[2], all_[3], pct(all_[2], all_[3])))
EOF
echo
echo "coverage (lines and branches run by the tests, per folder; $(date -u +%Y-%m-%d)):"
cat "$build/coverage.txt"
exit "$status"
