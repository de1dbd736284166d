#!/bin/sh
# Writes a state snapshot of $ORG to FILE (default snapshot.json).  Usage: control-export.sh [FILE]
set -eu
. "$(dirname "$0")/env.sh"
file=${1:-snapshot.json}
$CURL "$CONTROL/state/export?organization=$ORG" -H "$CONTROL_AUTH" -o "$file"
echo "snapshot of $ORG written to $file ($(wc -c < "$file") bytes)"
