#!/bin/sh
# Inventory Adjust on the Inventory V5 route: signed deltas, queued as an ADJUST job in the tenant's
# order.  Usage: adjust.sh [REQUEST.json]
set -eu
. "$(dirname "$0")/env.sh"
request=${1:-$SAMPLES_DIR/requests/adjust-1.json}
$CURL -X POST "$GATEWAY_URL/api/v5/inventory/adjust" \
  -H "x-vol-tenant: $TENANT" -H "Authorization: Bearer $V5_KEY" \
  -H 'Content-Type: application/json' --data-binary @"$request"
echo
