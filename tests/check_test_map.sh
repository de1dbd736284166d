#!/bin/sh
# Keeps tests/README.md's map of source modules to their tests true (ctest: docs.test_map):
# - every source module (app/ admin/ common/ delivery/ gateway/ oci_core/ queue/ translate/, *.c)
#   has a row, and every row names a module that exists;
# - every row names at least one test, and every test it names exists;
# - every unit test file (tests/unit/test_*.c) appears in some row.
# Prints what is wrong, one line each, and exits 1 when anything is.
set -eu
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
map="$root/tests/README.md"
status=0
complain() {
    echo "tests/README.md: $*"
    status=1
}

rows=$(grep -E '^\| `(app|admin|common|delivery|gateway|oci_core|queue|translate)/[a-z0-9_]+\.c` \|' "$map" || true)

for source in "$root"/app/*.c "$root"/admin/*.c "$root"/common/*.c "$root"/delivery/*.c "$root"/gateway/*.c \
    "$root"/oci_core/*.c "$root"/queue/*.c "$root"/translate/*.c; do
    module=${source#"$root"/}
    printf '%s\n' "$rows" | grep -qF "| \`$module\` |" || complain "no row for $module"
done

rows_file=$(mktemp)
trap 'rm -f "$rows_file"' EXIT
printf '%s\n' "$rows" >"$rows_file"
# Read from a file, not a pipe: the loop runs in this shell, so `complain` sets its status.
while IFS= read -r row; do
    [ -n "$row" ] || continue
    module=$(printf '%s\n' "$row" | sed -E 's/^\| `([^`]+)`.*/\1/')
    [ -f "$root/$module" ] || complain "a row for $module, which does not exist"
    tests=$(printf '%s\n' "$row" | sed -E 's/^\| `[^`]+` \|//' | grep -oE '(unit|e2e|torture|browser|fuzz)/[A-Za-z0-9_./-]+' || true)
    [ -n "$tests" ] || complain "the row of $module names no test"
    for test in $tests; do
        [ -f "$root/tests/$test" ] || complain "$module names tests/$test, which does not exist"
    done
done <"$rows_file"

for test in "$root"/tests/unit/test_*.c; do
    name=unit/${test##*/}
    grep -qF "$name" "$map" || complain "$name is in no row"
done

[ "$status" = 0 ] && echo "tests/README.md: every module has a row and every test it names exists"
exit $status
