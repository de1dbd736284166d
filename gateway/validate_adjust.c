#include "gateway/validate_adjust.h"
#include "gateway/validate_session.h"

#include <string.h>

cm_err gw_validate_adjust(const json_object *root, const cm_tenant *tenant, gw_refresh *out, gw_problems *problems)
{
    memset(out, 0, sizeof *out);
    problems->count = 0;
    problems->total = 0;
    if (!json_object_is_type(root, json_type_object)) {
        gw_problem_not_object(problems);
        return CM_EINVAL;
    }
    gw_check_location(root, tenant, out, problems);
    json_object *items = NULL;
    if (!json_object_object_get_ex(root, "items", &items) || !items || !json_object_is_type(items, json_type_array)) {
        gw_problem_items_missing(problems, json_object_object_get_ex(root, "items", NULL));
        return CM_EINVAL;
    }
    size_t count = json_object_array_length(items);
    cm_err rc = gw_check_items_count_max(count, GW_MAX_ADJUST_ITEMS, "adjust", problems);
    if (rc)
        return rc;
    gw_session session;
    rc = gw_session_begin(&session, tenant, out, problems, count);
    session.adjust = 1;
    for (size_t i = 0; rc == CM_OK && i < count; i++)
        rc = gw_session_item(&session, json_object_array_get_idx(items, i), i);
    return gw_session_finish(&session, rc);
}

cm_err gw_validate_adjust_text(const char *text, size_t length, const cm_tenant *tenant, gw_refresh *out,
                            gw_problems *problems, char parse_error[CM_JSON_ERROR_MAX])
{
    /* At most 1000 items: the whole tree is small enough to parse at once (unlike a refresh). */
    memset(out, 0, sizeof *out);
    problems->count = 0;
    problems->total = 0;
    json_object *root = NULL;
    cm_err rc = cm_json_parse(text, length, GW_JSON_MAX_DEPTH, &root, parse_error);
    if (rc)
        return rc == CM_ENOMEM ? CM_ENOMEM : CM_EINVAL; /* not JSON: parse_error says where */
    cm_err valid = gw_validate_adjust(root, tenant, out, problems);
    json_object_put(root);
    return valid;
}
