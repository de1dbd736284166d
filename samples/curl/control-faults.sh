#!/bin/sh
# Fault rules.  Usage: control-faults.sh add '<rule JSON>' | list | delete ID | clear
#   e.g. control-faults.sh add '{"route":"*/batch-update","status":503,"retryAfter":2,"count":3}'
set -eu
. "$(dirname "$0")/env.sh"
case "${1:-list}" in
  add) $CURL -X POST "$CONTROL/faults" -H "$CONTROL_AUTH" -H 'Content-Type: application/json' -d "$2" ;;
  list) $CURL "$CONTROL/faults" -H "$CONTROL_AUTH" ;;
  delete) $CURL -X DELETE "$CONTROL/faults/$2" -H "$CONTROL_AUTH" -w 'HTTP %{http_code}' ;;
  clear) $CURL -X DELETE "$CONTROL/faults" -H "$CONTROL_AUTH" -w 'HTTP %{http_code}' ;;
  *) echo "usage: $0 add RULE | list | delete ID | clear" >&2; exit 2 ;;
esac
echo
