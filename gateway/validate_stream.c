/*
 * validate_stream.c - validating a refresh body one item at a time.
 *
 * A 12000-item body parsed whole by json-c is ~20 MB of objects. Here a small splitter walks the
 * structure of the body — the top-level object's members and the elements of `items` — and each
 * piece is parsed on its own with the same strict parser (cm_json_parse) and checked by the same
 * code as the tree path (validate_session.h), then freed. Memory stays at one item's tree.
 *
 * The splitter only finds boundaries; every byte it does not hand to cm_json_parse is checked by
 * it (white space, ',', ':', brackets). Whenever anything looks wrong (a structural error, a piece
 * that does not parse, a repeated top-level key) it gives up and the whole body goes through the
 * tree path, whose answer (a parse error with its position, or the problems) is authoritative.
 */
#include "common/json_util.h"
#include "gateway/limits.h"
#include "gateway/validate.h"
#include "gateway/validate_session.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SPLIT_ERROR SIZE_MAX
#define MAX_TOP_LEVEL_MEMBERS 64

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static size_t skip_space(const char *text, size_t length, size_t i)
{
    while (i < length && is_space(text[i]))
        i++;
    return i;
}

/* The end of the string starting at text[i] == '"' (index after the closing quote). */
static size_t scan_string(const char *text, size_t length, size_t i)
{
    for (i++; i < length; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '\\') {
            i++;
            continue;
        }
        if (c == '"')
            return i + 1;
        if (c < 0x20)
            return SPLIT_ERROR;
    }
    return SPLIT_ERROR;
}

/* The end of the value starting at text[i]: strings and nesting are followed, nothing else is
 * checked (the piece is parsed afterwards). */
static size_t scan_value(const char *text, size_t length, size_t i)
{
    if (i >= length)
        return SPLIT_ERROR;
    if (text[i] == '"')
        return scan_string(text, length, i);
    if (text[i] == '{' || text[i] == '[') {
        size_t depth = 0;
        while (i < length) {
            char c = text[i];
            if (c == '"') {
                i = scan_string(text, length, i);
                if (i == SPLIT_ERROR)
                    return SPLIT_ERROR;
                continue;
            }
            if (c == '{' || c == '[')
                depth++;
            else if (c == '}' || c == ']') {
                if (depth == 0)
                    return SPLIT_ERROR;
                depth--;
                if (depth == 0)
                    return i + 1;
            }
            i++;
        }
        return SPLIT_ERROR;
    }
    size_t start = i;
    while (i < length && !is_space(text[i]) && text[i] != ',' && text[i] != '}' && text[i] != ']')
        i++;
    return i > start ? i : SPLIT_ERROR;
}

typedef struct member {
    json_object *key; /* parsed key (a JSON string) */
    size_t value_start, value_end;
} member;

typedef struct split_body {
    member members[MAX_TOP_LEVEL_MEMBERS];
    size_t member_count;
} split_body;

static void free_split(split_body *split)
{
    for (size_t m = 0; m < split->member_count; m++)
        json_object_put(split->members[m].key);
    split->member_count = 0;
}

static json_object *parse_piece(const char *text, size_t start, size_t end, int depth)
{
    json_object *value = NULL;
    char error[CM_JSON_ERROR_MAX];
    if (cm_json_parse(text + start, end - start, depth, &value, error) != CM_OK)
        return NULL;
    return value;
}

/* Splits the top-level object into members. CM_OK, or CM_EINVAL when the body needs the tree path. */
static cm_err split_members(const char *text, size_t length, split_body *split)
{
    size_t i = skip_space(text, length, 0);
    if (i >= length || text[i] != '{')
        return CM_EINVAL;
    i = skip_space(text, length, i + 1);
    if (i < length && text[i] == '}')
        return skip_space(text, length, i + 1) == length ? CM_OK : CM_EINVAL;
    while (i < length) {
        if (text[i] != '"' || split->member_count == MAX_TOP_LEVEL_MEMBERS)
            return CM_EINVAL;
        size_t key_end = scan_string(text, length, i);
        if (key_end == SPLIT_ERROR)
            return CM_EINVAL;
        member *m = &split->members[split->member_count];
        m->key = parse_piece(text, i, key_end, 1);
        if (!m->key || !json_object_is_type(m->key, json_type_string)) {
            json_object_put(m->key);
            return CM_EINVAL;
        }
        split->member_count++;
        for (size_t other = 0; other + 1 < split->member_count; other++)
            if (strcmp(json_object_get_string(split->members[other].key), json_object_get_string(m->key)) == 0)
                return CM_EINVAL; /* a repeated key: the tree path words the refusal */
        i = skip_space(text, length, key_end);
        if (i >= length || text[i] != ':')
            return CM_EINVAL;
        i = skip_space(text, length, i + 1);
        m->value_start = i;
        m->value_end = scan_value(text, length, i);
        if (m->value_end == SPLIT_ERROR)
            return CM_EINVAL;
        i = skip_space(text, length, m->value_end);
        if (i < length && text[i] == ',') {
            i = skip_space(text, length, i + 1);
            continue;
        }
        if (i < length && text[i] == '}')
            return skip_space(text, length, i + 1) == length ? CM_OK : CM_EINVAL;
        return CM_EINVAL;
    }
    return CM_EINVAL;
}

/* Finds the elements of the array text[start, end). Fills starts/ends up to `capacity` and returns
 * the number of elements, or SPLIT_ERROR. */
static size_t split_elements(const char *text, size_t start, size_t end, size_t *starts, size_t *ends,
                             size_t capacity)
{
    size_t i = skip_space(text, end, start + 1);
    size_t count = 0;
    if (i < end && text[i] == ']')
        return skip_space(text, end, i + 1) == end ? 0 : SPLIT_ERROR;
    while (i < end) {
        size_t element_end = scan_value(text, end, i);
        if (element_end == SPLIT_ERROR)
            return SPLIT_ERROR;
        if (count < capacity) {
            starts[count] = i;
            ends[count] = element_end;
        }
        count++;
        i = skip_space(text, end, element_end);
        if (i < end && text[i] == ',') {
            i = skip_space(text, end, i + 1);
            continue;
        }
        if (i < end && text[i] == ']')
            return skip_space(text, end, i + 1) == end ? count : SPLIT_ERROR;
        return SPLIT_ERROR;
    }
    return SPLIT_ERROR;
}

/* The tree path: parse the whole body (its error message is the one clients get) and validate. */
static cm_err tree_path(const char *text, size_t length, const cm_tenant *tenant, gw_refresh *out,
                        gw_problems *problems, char parse_error[CM_JSON_ERROR_MAX])
{
    json_object *root = NULL;
    cm_err rc = cm_json_parse(text, length, GW_JSON_MAX_DEPTH, &root, parse_error);
    if (rc)
        return rc == CM_ENOMEM ? CM_ENOMEM : CM_EINVAL; /* not JSON: parse_error says where */
    cm_err valid = gw_validate_refresh(root, tenant, out, problems);
    json_object_put(root);
    return valid;
}

cm_err gw_validate_refresh_text(const char *text, size_t length, const cm_tenant *tenant, gw_refresh *out,
                                gw_problems *problems, char parse_error[CM_JSON_ERROR_MAX])
{
    memset(out, 0, sizeof *out);
    problems->count = 0;
    problems->total = 0;
    parse_error[0] = '\0';
    split_body split = {.member_count = 0};
    if (split_members(text, length, &split) != CM_OK) {
        free_split(&split);
        return tree_path(text, length, tenant, out, problems, parse_error);
    }
    /* Every member but items is parsed whole (small); location members are kept for checking. */
    json_object *location_members = json_object_new_object();
    const member *items_member = NULL;
    int fallback = !location_members;
    for (size_t m = 0; m < split.member_count && !fallback; m++) {
        const char *key = json_object_get_string(split.members[m].key);
        if (strcmp(key, "items") == 0 && text[split.members[m].value_start] == '[') {
            items_member = &split.members[m];
            continue;
        }
        json_object *value = parse_piece(text, split.members[m].value_start, split.members[m].value_end,
                                         GW_JSON_MAX_DEPTH - 1);
        /* A JSON null parses to NULL too: only a piece that is not the text "null" is an error. */
        if (!value && !(split.members[m].value_end - split.members[m].value_start == 4 &&
                        memcmp(text + split.members[m].value_start, "null", 4) == 0)) {
            fallback = 1;
            break;
        }
        if (strcmp(key, "items") == 0 || strcmp(key, "locationName") == 0 || strcmp(key, "locationCode") == 0)
            json_object_object_add(location_members, key, value);
        else
            json_object_put(value);
    }
    if (fallback) {
        json_object_put(location_members);
        free_split(&split);
        return tree_path(text, length, tenant, out, problems, parse_error);
    }
    gw_check_location(location_members, tenant, out, problems);
    int items_present = json_object_object_get_ex(location_members, "items", NULL);
    json_object_put(location_members);
    if (!items_member) {
        free_split(&split);
        gw_problem_items_missing(problems, items_present);
        return CM_EINVAL;
    }

    size_t capacity = GW_MAX_REFRESH_ITEMS;
    size_t *starts = malloc(capacity * sizeof *starts);
    size_t *ends = malloc(capacity * sizeof *ends);
    size_t count = starts && ends ? split_elements(text, items_member->value_start, items_member->value_end, starts,
                                                   ends, capacity)
                                  : SPLIT_ERROR;
    free_split(&split);
    if (!starts || !ends) {
        free(starts);
        free(ends);
        return CM_ENOMEM;
    }
    if (count == SPLIT_ERROR) {
        free(starts);
        free(ends);
        return tree_path(text, length, tenant, out, problems, parse_error);
    }
    cm_err rc = gw_check_items_count(count, problems);
    if (rc) {
        free(starts);
        free(ends);
        /* Over the limit: the items were counted, not read; a syntax error in one of them still
         * deserves the parse error, which only the tree path can tell. */
        if (count > GW_MAX_REFRESH_ITEMS) {
            json_object *root = NULL;
            cm_err parsed = cm_json_parse(text, length, GW_JSON_MAX_DEPTH, &root, parse_error);
            json_object_put(root);
            if (parsed) {
                problems->count = 0;
                problems->total = 0;
                return parsed == CM_ENOMEM ? CM_ENOMEM : CM_EINVAL; /* not JSON */
            }
        }
        return rc;
    }
    gw_session session;
    rc = gw_session_begin(&session, tenant, out, problems, count);
    int needs_tree_path = 0; /* an item not parseable here: the tree path decides */
    for (size_t i = 0; rc == CM_OK && i < count; i++) {
        json_object *item = parse_piece(text, starts[i], ends[i], GW_JSON_MAX_DEPTH - 2);
        int is_null = ends[i] - starts[i] == 4 && memcmp(text + starts[i], "null", 4) == 0;
        if (!item && !is_null) {
            needs_tree_path = 1;
            break;
        }
        rc = gw_session_item(&session, item, i);
        json_object_put(item);
    }
    free(starts);
    free(ends);
    if (needs_tree_path) {
        gw_session_finish(&session, CM_ENOMEM); /* only to release what the session holds */
        problems->count = 0;
        problems->total = 0;
        return tree_path(text, length, tenant, out, problems, parse_error);
    }
    return gw_session_finish(&session, rc);
}
