/*
 * route_token.h - the bundled core's login routes (the token route moved out of auth.c, so auth.c
 * no longer calls back into the core).
 *
 * It promises:
 * - POST /dwsso/oauth2/access_token (Account Manager): HTTP Basic client id and secret of a
 *   configured oci.organizations[].clients entry, form body grant_type=client_credentials and an
 *   optional space-separated scope list; replies {"access_token","token_type":"Bearer",
 *   "expires_in","scope"} or an RFC 6749 error object (401 for bad client credentials).
 * - POST /services/oauth2/token (a Salesforce org's login) with the grants
 *   urn:ietf:params:oauth:grant-type:jwt-bearer (assertion: RS256 JWT checked against the connected
 *   app's certificate, iss = consumer key, sub = one of its users, aud = a Salesforce login URL or
 *   the core's own base URL, exp in the future within OCI_JWT_CLOCK_SKEW_S), password and
 *   client_credentials, from a form or multipart body. Replies in Salesforce's shape
 *   {"access_token","instance_url","id","token_type","issued_at","signature","scope"}; every
 *   refusal is 400 {"error","error_description"} with Salesforce's codes (invalid_grant,
 *   invalid_client_id, invalid_client, unsupported_grant_type, invalid_request).
 * A token is issued for every organization whose app (or client) accepted the login. Neither
 * secrets, assertions nor tokens are logged.
 */
#ifndef OCI_ROUTE_TOKEN_H
#define OCI_ROUTE_TOKEN_H

#include "common/http_server.h"

/* Salesforce accepts an assertion whose exp passed at most this long ago (clock skew). */
#define OCI_JWT_CLOCK_SKEW_S 180
#define OCI_GRANT_JWT_BEARER "urn:ietf:params:oauth:grant-type:jwt-bearer"

/* `data` is the oci_core. */
void oci_route_token(cm_http_request *request, void *data);
void oci_route_salesforce_token(cm_http_request *request, void *data);

/* PUT /inventory/internal/v1/organizations/{organizationId}: 204 for a valid token of the
 * organization (the before hook has checked it), as the partner Postman collection expects. */
void oci_route_internal_org(cm_http_request *request, void *data);

#endif
