#!/bin/sh
# Loads a state snapshot (what control-export.sh wrote) back.  Usage: control-import.sh [FILE]
set -eu
. "$(dirname "$0")/env.sh"
file=${1:-snapshot.json}
$CURL -X POST "$CONTROL/state/import" -H "$CONTROL_AUTH" -H 'Content-Type: application/json' \
  --data-binary "@$file"
echo
