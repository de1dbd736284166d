/*
 * auth.h - bearer tokens and scopes of the bundled OCI core, and the OAuth token route.
 *
 * It promises:
 * - tokens configured per organization (oci.organizations[].tokens) and tokens issued by the
 *   client-credentials route (short-lived, kept in memory only: a restart forgets them);
 * - scopes in both spellings (cm_scope_from_name); a token is valid for its organization only;
 * - POST /dwsso/oauth2/access_token: HTTP Basic client id and secret of a configured client, form
 *   body grant_type=client_credentials and an optional space-separated scope list; replies
 *   {"access_token","token_type":"Bearer","expires_in","scope"} or an RFC 6749 error object.
 * Token text is never logged. Thread-safe.
 */
#ifndef OCI_AUTH_H
#define OCI_AUTH_H

#include <stdint.h>

#include "common/config.h"
#include "common/err.h"
#include "common/http_server.h"

typedef struct oci_auth oci_auth;

typedef enum oci_auth_result {
    OCI_AUTH_OK = 0,
    OCI_AUTH_MISSING,   /* no Authorization: Bearer header -> 401 */
    OCI_AUTH_INVALID,   /* unknown or expired token -> 401 */
    OCI_AUTH_WRONG_ORG, /* valid token of another (or unknown) organization -> 403 TenantNotProvisioned */
    OCI_AUTH_NO_SCOPE,  /* valid token without the scope -> 403 */
} oci_auth_result;

/* `config` must outlive the auth. NULL when out of memory. */
oci_auth *oci_auth_new(const cm_config *config);
void oci_auth_free(oci_auth *auth);

/* Checks an Authorization header value for organization `org_id` and `scope` (one CM_SCOPE_ bit;
 * 0 = any valid token of the organization). */
oci_auth_result oci_auth_check(oci_auth *auth, const char *authorization, const char *org_id,
                               unsigned scope, int64_t now_ms);

/* The dotted name of one scope bit ("sfcc.inventory.availability"). */
const char *oci_scope_name(unsigned scope);

/* The token route; `data` is the oci_core. */
void oci_route_token(cm_http_request *request, void *data);

#endif
