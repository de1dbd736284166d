#!/bin/sh
# Inventory aggregate on the Inventory Specific route: one row per item, totals over the tenant's
# locations.  Usage: aggregate.sh [REQUEST.json]
set -eu
. "$(dirname "$0")/env.sh"
request=${1:-$SAMPLES_DIR/requests/aggregate-1.json}
$CURL -X POST "$GATEWAY_URL/inv/api/v5/inventory/aggregate/" \
  -H "x-vol-tenant: $TENANT" -H "Authorization: Bearer $INV_KEY" \
  -H 'Content-Type: application/json' --data-binary @"$request"
echo
