/*
 * validate.h - checking a legacy refresh body, before anything is stored.
 *
 * Pure code on a parsed json-c tree and the tenant's configuration. Every rule of decisions.md
 * ("Validation", "Locations", the sku rules of "Translation") is checked on every item; a request
 * with any problem is refused whole, with one problem per bad field (the first
 * GW_MAX_REPORTED_PROBLEMS, and the total count). A valid request yields the normalized items:
 * one record per item with only the known fields, typed (quantity "101" becomes 101), which is
 * what the queue stores and the worker translates.
 */
#ifndef GW_VALIDATE_H
#define GW_VALIDATE_H

#include <json-c/json.h>
#include <stddef.h>

#include "common/body.h"
#include "common/config.h"
#include "common/json_util.h"
#include "gateway/limits.h"
#include "queue/job.h"

#define GW_PROBLEM_MESSAGE_MAX 192
#define GW_PROBLEM_FIELD_MAX 64

typedef struct gw_problem {
    const char *code; /* MISSING_REQUEST_DATA or INVALID_REQUEST_DATA */
    char field[GW_PROBLEM_FIELD_MAX];
    char message[GW_PROBLEM_MESSAGE_MAX];
} gw_problem;

typedef struct gw_problems {
    size_t count; /* listed */
    size_t total; /* found */
    gw_problem list[GW_MAX_REPORTED_PROBLEMS];
} gw_problems;

/*
 * The normalized items are kept as records of the stored form (translate/stored_items.h), not as
 * json-c objects: a 12000-item request already costs ~20 MB as a parsed tree, and a second tree of
 * normalized objects would add ~16 MB per request in flight. Each item is written as soon as it is
 * checked, in the form the queue stores and the worker reads, so it is converted once.
 */
typedef struct gw_refresh {
    char location_name[GW_MAX_LOCATION_NAME + 1];
    char oci_location[Q_OCI_ID_MAX + 1];
    size_t item_count;
    cm_body items_text;    /* owned: the items' records, one after another, without a header */
    size_t *item_ends;     /* owned: item i is items_text[item_ends[i - 1], item_ends[i]), item 0
                              starts at 0 (q_new_job.items and item_ends as they are) */
    cm_body messages;      /* owned: the job's messages (duplicate SKUs) as the JSON array text the
                              queue stores (queue/messages.h), "[]" when there are none */
} gw_refresh;

/*
 * Every gw_validate_* function (refresh, adjust, inquiry) answers in the project's one error
 * vocabulary (common/err.h):
 *   CM_OK      valid: *out is filled (release it with its clear function);
 *   CM_EINVAL  refused: *problems lists why (problems->total > 0); or, for the entry points that
 *              take text, the body is not JSON: then *problems is empty and `parse_error` says
 *              where, as cm_json_parse words it;
 *   CM_ENOMEM  memory ran out.
 * On anything but CM_OK *out holds nothing.
 */

/* Validates `root` for `tenant`. */
cm_err gw_validate_refresh(const json_object *root, const cm_tenant *tenant, gw_refresh *out,
                           gw_problems *problems);

/* The same for a body given as text, parsed one item at a time (validate_stream.c), so memory
 * stays at one item's tree however many items come: what the gateway uses. */
cm_err gw_validate_refresh_text(const char *text, size_t length, const cm_tenant *tenant, gw_refresh *out,
                                gw_problems *problems, char parse_error[CM_JSON_ERROR_MAX]);

/* 1 when a CM_EINVAL of a text entry point means "not JSON" (the parse error is the answer). */
static inline int gw_not_json(cm_err rc, const gw_problems *problems)
{
    return rc == CM_EINVAL && problems->total == 0;
}

void gw_refresh_clear(gw_refresh *refresh);

/* Every normalized item as a new JSON array (caller puts it), or NULL when memory runs out: for
 * tools and tests; the gateway itself never builds it. */
json_object *gw_refresh_items_json(const gw_refresh *refresh);

/* The OCI location id derived from a name for autoLocations tenants: characters outside
 * [A-Za-z0-9_-] become '-', cut to 128. CM_EINVAL when the result would be shorter than 2. */
cm_err gw_auto_location_id(const char *name, char out[Q_OCI_ID_MAX + 1]);

#endif
