#!/bin/sh
# smart-adjust on the modern route: 25 items or fewer answer {"method":"sync",…} once applied.
# Usage: smart-adjust.sh [REQUEST.json]
set -eu
. "$(dirname "$0")/env.sh"
request=${1:-$SAMPLES_DIR/requests/adjust-smart.json}
$CURL -X POST "$GATEWAY_URL/api/commerce/inventory/v5/inventory/smart-adjust" \
  -H "x-vol-tenant: t$TENANT" -H "Authorization: Bearer $INV_KEY" \
  -H 'Content-Type: application/json' --data-binary @"$request"
echo
