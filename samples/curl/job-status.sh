#!/bin/sh
# One job's status by jobID (Inventory Specific route).  Usage: job-status.sh JOB_ID
set -eu
. "$(dirname "$0")/env.sh"
$CURL "$GATEWAY_URL/inv/api/v1/queue/$1" -H "x-vol-tenant: $TENANT" -H "Authorization: Bearer $INV_KEY"
echo
