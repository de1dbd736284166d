/*
 * validate_session.h - the pieces of refresh validation that both entry points share: the tree
 * path (gw_validate_refresh, on a parsed json-c tree) and the streaming path
 * (gw_validate_refresh_text, which parses one item at a time). Internal to gateway/.
 */
#ifndef GW_VALIDATE_SESSION_H
#define GW_VALIDATE_SESSION_H

#include "gateway/validate.h"

typedef struct gw_session {
    const cm_tenant *tenant;
    gw_refresh *out;
    gw_problems *problems;
    size_t count;
    cm_body sku_arena;   /* the chosen skus, NUL-terminated, one after another */
    size_t *sku_offsets; /* per item: offset in sku_arena, or SIZE_MAX */
    cm_body kept;        /* the current item's kept members (emptied per item, reused) */
    int adjust;          /* adjust items: signed quantity, identifiers and binID only; set after begin */
} gw_session;

/* Prepares *out for `count` items. CM_OK, or CM_ENOMEM (then call finish anyway). */
cm_err gw_session_begin(gw_session *session, const cm_tenant *tenant, gw_refresh *out, gw_problems *problems,
                     size_t count);
/* Checks item `index` and appends its stored record (its problems go to the session's list).
 * CM_OK, or CM_ENOMEM. */
cm_err gw_session_item(gw_session *session, json_object *item, size_t index);
/* Ends the session: `rc` is the last result of begin/item. CM_OK (valid, *out filled), CM_EINVAL
 * (problems) or CM_ENOMEM; on anything but CM_OK *out holds nothing. */
cm_err gw_session_finish(gw_session *session, cm_err rc);

/* The problems outside items, phrased once for both paths: CM_EINVAL (and the problem) when
 * `count` is 0 or over the maximum. */
cm_err gw_check_items_count(size_t count, gw_problems *problems);
/* The same with another maximum; `what` names the request ("adjust") in the message. */
cm_err gw_check_items_count_max(size_t count, size_t max, const char *what, gw_problems *problems);
/* One problem with a ready message (MISSING_REQUEST_DATA when `missing`, else INVALID_…). */
void gw_add_problem(gw_problems *problems, int missing, const char *field, const char *message);
void gw_problem_items_missing(gw_problems *problems, int present_but_not_array);
void gw_problem_not_object(gw_problems *problems);
/* Checks locationName/locationCode among `members` (an object holding at least those keys). */
void gw_check_location(const json_object *members, const cm_tenant *tenant, gw_refresh *out, gw_problems *problems);

#endif
