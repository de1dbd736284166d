#!/bin/sh
# The OCI impex import sequence: submit → upload → poll status → result file.
# Usage: import.sh [FILE.ndjson]  (either layout; gzip files are detected)
set -eu
. "$(dirname "$0")/env.sh"
file=${1:-$SAMPLES_DIR/imports/import-high-performance.ndjson}
submitted=$($CURL -X POST "$IMPEX/availability-records/imports" \
  -H "Authorization: Bearer $OCI_TOKEN" -H 'Content-Type: application/json' \
  -d "{\"fileName\":\"$(basename "$file")\",\"linkDuration\":60}")
echo "$submitted"
upload=$(echo "$submitted" | sed -n 's/.*"uploadLink":"\([^"]*\)".*/\1/p')
status_link=$(echo "$submitted" | sed -n 's/.*"importStatusLink":"\([^"]*\)".*/\1/p')
$CURL -X POST "$OCI_URL$upload" -H "Authorization: Bearer $OCI_TOKEN" -F "fileUpload=@$file"
echo
tries=0
while :; do
  status=$($CURL "$OCI_URL$status_link" -H "Authorization: Bearer $OCI_TOKEN")
  state=$(echo "$status" | sed -n 's/^{"importId":"[^"]*","status":"\([A-Z_]*\)".*/\1/p')
  [ -n "$state" ] || state=$(echo "$status" | sed -n 's/.*"status":"\(COMPLETED\|FAILED\|RUNNING\|PENDING\)".*/\1/p')
  case $state in COMPLETED|FAILED) break ;; esac
  tries=$((tries + 1))
  [ "$tries" -lt 300 ] || { echo "gave up waiting" >&2; exit 1; }
  sleep 0.2
done
echo "$status"
results=$(echo "$status" | sed -n 's/.*"href":"\([^"]*\)".*/\1/p')
$CURL "$OCI_URL$results" -H "Authorization: Bearer $OCI_TOKEN"
[ "$state" = COMPLETED ]
