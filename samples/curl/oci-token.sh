#!/bin/sh
# An OCI access token with the OAuth client-credentials flow (the bundled core's token route).
set -eu
. "$(dirname "$0")/env.sh"
$CURL -X POST "$OCI_URL/dwsso/oauth2/access_token" -u "$OAUTH_CLIENT" \
  -H 'Content-Type: application/x-www-form-urlencoded' -d 'grant_type=client_credentials'
echo
