/*
 * auth.h - bearer tokens and scopes of the bundled OCI core.
 *
 * It promises:
 * - tokens configured per organization (oci.organizations[].tokens) and tokens issued by the token
 *   routes (route_token.c; short-lived, kept in memory only: a restart forgets them);
 * - a token is valid for every organization it is configured or issued for, each with its own
 *   scopes; scopes in both spellings (cm_scope_from_name);
 * - the RSA public keys of the organizations' connected apps, read once when the core opens.
 * It never serves HTTP (the token routes are in route_token.c) and never logs token text.
 * Thread-safe.
 */
#ifndef OCI_AUTH_H
#define OCI_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "common/config.h"
#include "common/err.h"

#define OCI_TOKEN_TEXT_MAX 112
#define OCI_AUTH_ERROR_MAX 512

typedef struct oci_auth oci_auth;

typedef enum oci_auth_result {
    OCI_AUTH_OK = 0,
    OCI_AUTH_MISSING,   /* no Authorization: Bearer header -> 401 */
    OCI_AUTH_INVALID,   /* unknown or expired token -> 401 */
    OCI_AUTH_WRONG_ORG, /* valid token, but not for this (or an unknown) organization -> 403 TenantNotProvisioned */
    OCI_AUTH_NO_SCOPE,  /* valid token without the scope -> 403 */
} oci_auth_result;

/* `config` must outlive the auth. Reads every connected app's certificate; on failure returns
 * NULL with one sentence in `error` naming the organization, the app and the file. */
oci_auth *oci_auth_new(const cm_config *config, char error[OCI_AUTH_ERROR_MAX]);
void oci_auth_free(oci_auth *auth);

/* Checks an Authorization header value for organization `org_id` and `scope` (one CM_SCOPE_ bit;
 * 0 = any valid token of the organization). */
oci_auth_result oci_auth_check(oci_auth *auth, const char *authorization, const char *org_id,
                               unsigned scope, int64_t now_ms);

/* For APIs whose path names no organization (the Connect REST API): the first configured
 * organization for which the token is valid with `scope`. OCI_AUTH_OK with *org_id (borrowed from
 * the config); else why not (OCI_AUTH_NO_SCOPE when it is valid somewhere but without the scope). */
oci_auth_result oci_auth_find_org(oci_auth *auth, const char *authorization, unsigned scope, int64_t now_ms,
                                  const char **org_id);

/* Issues a token valid until `expires_ms` for each organization i with org_scopes[i] != 0 (an
 * array of config->oci.organization_count entries, copied) with those scopes. `prefix` (may be
 * NULL) starts the token text. Drops expired tokens and, when full, the oldest. CM_OK or CM_ENOMEM. */
cm_err oci_auth_issue(oci_auth *auth, const unsigned *org_scopes, const char *prefix, int64_t expires_ms,
                      int64_t now_ms, char token[OCI_TOKEN_TEXT_MAX]);

/* The public key of organizations[org_index].connectedApps[app_index] (NULL when it has no
 * certificate). Borrowed: lives as long as the auth. */
EVP_PKEY *oci_auth_app_key(const oci_auth *auth, size_t org_index, size_t app_index);

/* The dotted name of one scope bit ("sfcc.inventory.availability"), or its underscored
 * Salesforce-org spelling ("sfcc_inventory_availability"). */
const char *oci_scope_name(unsigned scope);
const char *oci_scope_org_name(unsigned scope);
/* Writes the space-separated names of `scopes` (dotted, or underscored when `org_spelling`). */
void oci_scope_list(unsigned scopes, int org_spelling, char *out, size_t size);

/* Compares two NUL-terminated secrets in time independent of their contents. */
int oci_same_secret(const char *a, const char *b);

#endif
