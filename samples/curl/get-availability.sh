#!/bin/sh
# OCI get-availability for SKUs at a location and a group.  Usage: get-availability.sh [SKU ...]
set -eu
. "$(dirname "$0")/env.sh"
[ $# -gt 0 ] || set -- SKU-00000 SHIRT-RED-M
skus=$(printf '"%s",' "$@"); skus=${skus%,}
$CURL -X POST "$AVAIL/availability-records/actions/get-availability" \
  -H "Authorization: Bearer $OCI_TOKEN" -H 'Content-Type: application/json' \
  -d "{\"skus\":[$skus],\"locations\":[\"warehouse-1\"],\"groups\":[\"online\"]}"
echo
