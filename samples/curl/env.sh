# Shared settings of the sample scripts; override any of them in the environment.
# They match samples/omsgw.json as started by ./scripts/start.sh.
: "${GATEWAY_URL:=http://localhost:8080}"
: "${OCI_URL:=http://localhost:8081}"
: "${TENANT:=12345}"
: "${V5_KEY:=demo-v5-key}"
: "${INV_KEY:=demo-inv-key}"
: "${ORG:=f_ecom_demo_001}"
: "${OCI_TOKEN:=demo-oci-token}"
: "${OAUTH_CLIENT:=demo-client:demo-secret}"
: "${CONTROL_TOKEN:=demo-control-token}"
SAMPLES_DIR=$(cd "$(dirname "$0")/.." && pwd)
AVAIL="$OCI_URL/inventory/availability/v1/organizations/$ORG"
IMPEX="$OCI_URL/inventory/impex/v1/organizations/$ORG"
# The emulator's control plane (README, "Testing your integration against the bundled core").
CONTROL="$OCI_URL/_omsgw"
CONTROL_AUTH="Authorization: Bearer $CONTROL_TOKEN"
# Fails on HTTP errors but still prints the JSON error body.
CURL="curl -sS --fail-with-body"
