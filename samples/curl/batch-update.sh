#!/bin/sh
# OCI batch-update of two records (204 when all applied).
set -eu
. "$(dirname "$0")/env.sh"
id=$(date +%s%N)
$CURL -X POST "$AVAIL/availability-records/actions/batch-update" -w 'HTTP %{http_code}\n' \
  -H "Authorization: Bearer $OCI_TOKEN" -H 'Content-Type: application/json' \
  -d "{\"records\":[{\"id\":\"b-$id-1\",\"location\":\"warehouse-2\",\"sku\":\"MUG-WHITE\",\"onHand\":15,\"safetyStockCount\":1,\"effectiveDate\":\"2026-11-25T10:00:00Z\"},
                    {\"id\":\"b-$id-2\",\"location\":\"warehouse-2\",\"sku\":\"MUG-BLACK\",\"onHand\":6,\"futureStock\":[{\"expectedDate\":\"2026-12-24T00:00:00Z\",\"quantity\":12}]}]}"
