#!/bin/sh
# OCI get-deltas: every change since a delta token (the last line of an export).
# Usage: deltas.sh TOKEN   (without TOKEN: runs an export first and takes its token)
set -eu
. "$(dirname "$0")/env.sh"
token=${1:-}
if [ -z "$token" ]; then
  token=$("$(dirname "$0")/export.sh" | sed -n 's/.*"deltaToken":"\([^"]*\)".*/\1/p' | tail -n 1)
fi
$CURL -X POST "$AVAIL/availability-records/actions/get-deltas" \
  -H "Authorization: Bearer $OCI_TOKEN" -H 'Content-Type: application/json' \
  -d "{\"deltaToken\":\"$token\"}"
echo
