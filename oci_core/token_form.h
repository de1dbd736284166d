/*
 * token_form.h - reading the parameters of an OAuth token request body (RFC 6749 §3.2), as real
 * tools send it: application/x-www-form-urlencoded, or multipart/form-data with one part per
 * parameter (Postman's "form-data" mode).
 *
 * It promises: every value NUL-free and percent-decoded (form) or taken as-is (multipart); a
 * parameter given twice, a body with a NUL byte, a malformed multipart body or another
 * Content-Type is refused with one sentence. A missing Content-Type is read as a form (what
 * `curl -d` sends). Pure: no I/O, one allocation owned by the result.
 */
#ifndef OCI_TOKEN_FORM_H
#define OCI_TOKEN_FORM_H

#include <stddef.h>

#include "common/err.h"
#include "common/query.h"

#define OCI_TOKEN_FORM_ERROR_MAX 200
/* A token request is a handful of short parameters and one assertion. */
#define OCI_TOKEN_FORM_BODY_MAX 16384

/* Parses `length` bytes of `body` (need not be NUL-terminated). On CM_OK *out holds the
 * parameters (free with cm_query_free); CM_EINVAL with `error`; CM_ENOMEM. */
cm_err oci_token_form_parse(const char *content_type, const char *body, size_t length, cm_query *out,
                            char error[OCI_TOKEN_FORM_ERROR_MAX]);

#endif
