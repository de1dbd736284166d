#!/bin/sh
# OCI get-availability for SKUs at a location and a group.  Usage: get-availability.sh [SKU ...]
# Without SKUs: 101010 (the README's quick start) and SHIRT-RED-M (samples/requests/refresh-all-fields.json);
# the samples/requests/refresh-*.json files load SKU-00000 onwards.
set -eu
. "$(dirname "$0")/env.sh"
[ $# -gt 0 ] || set -- 101010 SHIRT-RED-M
skus=$(printf '"%s",' "$@"); skus=${skus%,}
$CURL -X POST "$AVAIL/availability-records/actions/get-availability" \
  -H "Authorization: Bearer $OCI_TOKEN" -H 'Content-Type: application/json' \
  -d "{\"skus\":[$skus],\"locations\":[\"warehouse-1\"],\"groups\":[\"online\"]}"
echo
