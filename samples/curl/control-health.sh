#!/bin/sh
# The emulator's health: version, clock, realism switches, counts, deviations.  Usage: control-health.sh
set -eu
. "$(dirname "$0")/env.sh"
$CURL "$CONTROL/health" -H "$CONTROL_AUTH"
echo
