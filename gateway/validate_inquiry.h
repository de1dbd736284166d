/*
 * validate_inquiry.h - checking a legacy inquiry or aggregate body (legacy-adjust-inquiry.md §2–3).
 *
 * Every bad field is named (problems as for refresh). Checked: items (1..GW_MAX_INQUIRY_ITEMS,
 * each with an identifier the tenant takes as the OCI sku, and for inquiry a whole quantity ≥ 0),
 * type (ALL, PARTIAL, ANY, ALL_STORES; ALL_STORES with exactly one item; default ANY), fulfillerID
 * (≥ 0) and manufacturerID (≥ 100) when given, limit (1..GW_MAX_INQUIRY_ROWS), the flags
 * ignoreSafetyStock and includeNegativeInventory (booleans), and the location selection:
 * locationCode (or requestLocation.locationCode), locationWhitelist, locationBlacklist and
 * locationPriorityList, whose entries are a location's legacy name or OCI id. Everything else the
 * current model has (geography, capability flags, sorting, paging, tags) is accepted and ignored.
 * Selected locations: the tenant's configured ones (or only locationCode / the whitelist), less
 * the blacklist, the priority list first. An autoLocations tenant may name locations it has not
 * configured (their OCI id derived from the name as refresh does).
 */
#ifndef GW_VALIDATE_INQUIRY_H
#define GW_VALIDATE_INQUIRY_H

#include "gateway/inquiry.h"
#include "gateway/validate.h"

typedef struct gw_inquiry_request {
    gw_inquiry inquiry;            /* points into the fields below */
    json_object *root;             /* owned: the parsed body the strings are borrowed from */
    gw_inquiry_item *items;        /* owned */
    gw_inquiry_location *locations; /* owned */
    char (*derived_codes)[Q_OCI_ID_MAX + 1]; /* owned: OCI ids derived for autoLocations names */
} gw_inquiry_request;

/* `aggregate`: the aggregate body (items without quantity, no type). CM_OK (valid: release with
 * gw_inquiry_request_clear), CM_EINVAL (problems, or not JSON: then no problems and parse_error
 * says where), CM_ENOMEM; as validate.h words it. */
cm_err gw_validate_inquiry_text(const char *text, size_t length, const cm_tenant *tenant, int aggregate,
                             gw_inquiry_request *out, gw_problems *problems, char parse_error[CM_JSON_ERROR_MAX]);

void gw_inquiry_request_clear(gw_inquiry_request *request);

#endif
