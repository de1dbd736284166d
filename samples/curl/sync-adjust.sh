#!/bin/sh
# sync-adjust on the Inventory Specific route: waits for its job (after any queued job of the
# tenant) and answers the resulting rows.  Usage: sync-adjust.sh [REQUEST.json]
set -eu
. "$(dirname "$0")/env.sh"
request=${1:-$SAMPLES_DIR/requests/adjust-sync.json}
$CURL -X POST "$GATEWAY_URL/inv/api/v5/inventory/sync-adjust/" \
  -H "x-vol-tenant: $TENANT" -H "Authorization: Bearer $INV_KEY" \
  -H 'Content-Type: application/json' --data-binary @"$request"
echo
