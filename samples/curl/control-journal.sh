#!/bin/sh
# The requests the OCI port received, newest first.  Usage: control-journal.sh [QUERY] | clear
#   e.g. control-journal.sh 'limit=5&status=5xx&route=*/batch-update'
set -eu
. "$(dirname "$0")/env.sh"
if [ "${1:-}" = clear ]; then
  $CURL -X DELETE "$CONTROL/requests" -H "$CONTROL_AUTH" -w 'HTTP %{http_code}'
else
  $CURL -g "$CONTROL/requests?${1:-limit=20}" -H "$CONTROL_AUTH"
fi
echo
