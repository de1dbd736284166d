#!/bin/sh
# An OCI availability export by location; its last line is the delta token for deltas.sh.
set -eu
. "$(dirname "$0")/env.sh"
submitted=$($CURL -X POST "$IMPEX/availability-records/exports" \
  -H "Authorization: Bearer $OCI_TOKEN" -H 'Content-Type: application/json' \
  -d '{"objects":{"locations":["warehouse-1","warehouse-2"]}}')
echo "$submitted"
status_link=$(echo "$submitted" | sed -n 's/.*"exportStatusLink":"\([^"]*\)".*/\1/p')
tries=0
while :; do
  status=$($CURL "$OCI_URL$status_link" -H "Authorization: Bearer $OCI_TOKEN")
  case $status in *'"status":"COMPLETED"'*) break ;; *'"status":"FAILED"'*) echo "$status"; exit 1 ;; esac
  tries=$((tries + 1))
  [ "$tries" -lt 300 ] || { echo "gave up waiting" >&2; exit 1; }
  sleep 0.2
done
echo "$status"
download=$(echo "$status" | sed -n 's/.*"downloadLink":"\([^"]*\)".*/\1/p')
$CURL "$OCI_URL$download" -H "Authorization: Bearer $OCI_TOKEN"
