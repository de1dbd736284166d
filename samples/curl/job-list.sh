#!/bin/sh
# The tenant's jobs, newest first.  Usage: job-list.sh ['jobID=1,2&locationID=1']
set -eu
. "$(dirname "$0")/env.sh"
$CURL "$GATEWAY_URL/api/v1/queue/?${1:-limit=10}" -H "x-vol-tenant: $TENANT" -H "Authorization: Bearer $V5_KEY"
echo
