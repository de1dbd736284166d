#!/bin/sh
# Inventory Refresh on the Inventory Specific route (Kibo's preferred package), with its API key.
# Usage: refresh-inventory-specific.sh [REQUEST.json]
set -eu
. "$(dirname "$0")/env.sh"
request=${1:-$SAMPLES_DIR/requests/refresh-all-fields.json}
$CURL -X POST "$GATEWAY_URL/inv/api/v5/inventory/refresh/" \
  -H "x-vol-tenant: $TENANT" -H "Authorization: Bearer $INV_KEY" \
  -H 'Content-Type: application/json' --data-binary @"$request"
echo
