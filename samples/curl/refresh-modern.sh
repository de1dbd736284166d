#!/bin/sh
# Inventory Refresh on the modern path Kibo's SDKs call, with the headers they send.
# Usage: refresh-modern.sh [REQUEST.json]
set -eu
. "$(dirname "$0")/env.sh"
request=${1:-$SAMPLES_DIR/requests/refresh-3000.json}
$CURL -X POST "$GATEWAY_URL/api/commerce/inventory/v5/inventory/refresh?responseFields=" \
  -H "x-vol-tenant: t$TENANT" -H 'x-vol-site: 100' -H 'x-vol-dataview-mode: LIVE' -H 'x-vol-version: 1' \
  -H "Authorization: Bearer $INV_KEY" \
  -H 'Content-Type: application/json; charset=utf-8' --data-binary @"$request"
echo
