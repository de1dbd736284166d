/*
 * validate_adjust.h - checking a legacy adjust body (legacy-api.md §2.2), before anything is stored.
 *
 * Like refresh validation (validate.h), every bad field is named and a request with any problem is
 * refused whole; the differences: at most GW_MAX_ADJUST_ITEMS items, `quantity` is a signed
 * integer (the change of on-hand), an item keeps only its identifiers, binID and quantity, and a
 * SKU listed twice is not a duplicate to warn about (both deltas apply). The output is a
 * gw_refresh (the same normalized item text and chunking), queued as an ADJUST job.
 */
#ifndef GW_VALIDATE_ADJUST_H
#define GW_VALIDATE_ADJUST_H

#include "gateway/validate.h"

/* CM_OK (valid, *out filled: release with gw_refresh_clear), CM_EINVAL (problems), CM_ENOMEM
 * (validate.h). */
cm_err gw_validate_adjust(const json_object *root, const cm_tenant *tenant, gw_refresh *out, gw_problems *problems);

/* The same for body text; CM_EINVAL with no problems when it is not JSON (parse_error says where). */
cm_err gw_validate_adjust_text(const char *text, size_t length, const cm_tenant *tenant, gw_refresh *out,
                            gw_problems *problems, char parse_error[CM_JSON_ERROR_MAX]);

#endif
