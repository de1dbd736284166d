#!/bin/sh
# Inventory Refresh on the Inventory V5 route, with the V5 API key.  Usage: refresh-v5.sh [REQUEST.json]
set -eu
. "$(dirname "$0")/env.sh"
request=${1:-$SAMPLES_DIR/requests/refresh-1.json}
$CURL -X POST "$GATEWAY_URL/api/v5/inventory/refresh" \
  -H "x-vol-tenant: $TENANT" -H "Authorization: Bearer $V5_KEY" \
  -H 'Content-Type: application/json' --data-binary @"$request"
echo
