#!/bin/sh
# The OCI location-graph export: submit, wait, download.
set -eu
. "$(dirname "$0")/env.sh"
submitted=$($CURL -X POST "$IMPEX/location-graph/exports" -H "Authorization: Bearer $OCI_TOKEN")
status_link=$(echo "$submitted" | sed -n 's/.*"exportStatusLink":"\([^"]*\)".*/\1/p')
tries=0
while :; do
  status=$($CURL "$OCI_URL$status_link" -H "Authorization: Bearer $OCI_TOKEN")
  case $status in *'"status":"COMPLETED"'*) break ;; *'"status":"FAILED"'*) echo "$status"; exit 1 ;; esac
  tries=$((tries + 1))
  [ "$tries" -lt 300 ] || { echo "gave up waiting" >&2; exit 1; }
  sleep 0.2
done
download=$(echo "$status" | sed -n 's/.*"downloadLink":"\([^"]*\)".*/\1/p')
$CURL "$OCI_URL$download" -H "Authorization: Bearer $OCI_TOKEN"
echo
