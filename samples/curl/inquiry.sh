#!/bin/sh
# Inventory inquiry on the Inventory V5 route: legacy rows per (location, item), read from OCI.
# Usage: inquiry.sh [REQUEST.json]
set -eu
. "$(dirname "$0")/env.sh"
request=${1:-$SAMPLES_DIR/requests/inquiry-1.json}
$CURL -X POST "$GATEWAY_URL/api/v5/inventory" \
  -H "x-vol-tenant: $TENANT" -H "Authorization: Bearer $V5_KEY" \
  -H 'Content-Type: application/json' --data-binary @"$request"
echo
