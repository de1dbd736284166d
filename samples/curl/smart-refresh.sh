#!/bin/sh
# smart-refresh on the Inventory V5 route: 25 items or fewer go sync, larger requests async.
# Usage: smart-refresh.sh [REQUEST.json]
set -eu
. "$(dirname "$0")/env.sh"
request=${1:-$SAMPLES_DIR/requests/refresh-1.json}
$CURL -X POST "$GATEWAY_URL/api/v5/inventory/smart-refresh" \
  -H "x-vol-tenant: $TENANT" -H "Authorization: Bearer $V5_KEY" \
  -H 'Content-Type: application/json' --data-binary @"$request"
echo
