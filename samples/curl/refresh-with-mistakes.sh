#!/bin/sh
# A request with mistakes: the gateway refuses it whole with 400 and names every bad field
# (compare with samples/requests/refresh-with-mistakes.reply.json). Exits 0 when it is refused.
set -eu
. "$(dirname "$0")/env.sh"
code=$(curl -sS -o /tmp/omsgw-mistakes.$$ -w '%{http_code}' -X POST "$GATEWAY_URL/api/v5/inventory/refresh" \
  -H "x-vol-tenant: $TENANT" -H "Authorization: Bearer $V5_KEY" \
  -H 'Content-Type: application/json' --data-binary @"$SAMPLES_DIR/requests/refresh-with-mistakes.json")
cat /tmp/omsgw-mistakes.$$; echo
rm -f /tmp/omsgw-mistakes.$$
echo "HTTP $code"
[ "$code" = 400 ]
