#!/bin/sh
# Sends a refresh and polls its job until SUCCESS or FAILED, as a legacy integration does.
# Usage: refresh-and-wait.sh [REQUEST.json]
set -eu
. "$(dirname "$0")/env.sh"
request=${1:-$SAMPLES_DIR/requests/refresh-6001.json}
reply=$($CURL -X POST "$GATEWAY_URL/api/v5/inventory/refresh" \
  -H "x-vol-tenant: $TENANT" -H "Authorization: Bearer $V5_KEY" \
  -H 'Content-Type: application/json' --data-binary @"$request")
job=$(echo "$reply" | sed -n 's/.*"jobID":\([0-9]*\).*/\1/p')
echo "accepted: job $job"
tries=0
while :; do
  status=$($CURL "$GATEWAY_URL/api/v1/queue/$job" -H "x-vol-tenant: $TENANT" -H "Authorization: Bearer $V5_KEY")
  state=$(echo "$status" | sed -n 's/.*"status":"\([A-Z]*\)".*/\1/p')
  echo "job $job: $state"
  case $state in SUCCESS|FAILED) break ;; esac
  tries=$((tries + 1))
  [ "$tries" -lt 600 ] || { echo "gave up waiting" >&2; exit 1; }
  sleep 0.2
done
echo "$status"
[ "$state" = SUCCESS ]
