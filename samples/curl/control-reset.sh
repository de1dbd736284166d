#!/bin/sh
# Empties one organization (default $ORG) or, with "all", every one.  Usage: control-reset.sh [ORG|all]
set -eu
. "$(dirname "$0")/env.sh"
org=${1:-$ORG}
if [ "$org" = all ]; then body='{}'; else body="{\"organization\":\"$org\"}"; fi
$CURL -X POST "$CONTROL/state/reset" -H "$CONTROL_AUTH" -H 'Content-Type: application/json' -d "$body"
echo
