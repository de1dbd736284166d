#!/bin/sh
# Moves the core's clock forward.  Usage: control-clock.sh [SECONDS]   (default 3600)
set -eu
. "$(dirname "$0")/env.sh"
$CURL -X POST "$CONTROL/clock/advance" -H "$CONTROL_AUTH" -H 'Content-Type: application/json' \
  -d "{\"seconds\":${1:-3600}}"
echo
