#include "gateway/validate_inquiry.h"
#include "gateway/validate_session.h"
#include "translate/item.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Adds a problem with a formatted message. */
static void problem(gw_problems *problems, int missing, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void problem(gw_problems *problems, int missing, const char *field, const char *fmt, ...)
{
    char message[GW_PROBLEM_MESSAGE_MAX];
    va_list args;
    va_start(args, fmt);
    vsnprintf(message, sizeof message, fmt, args);
    va_end(args);
    gw_add_problem(problems, missing, field, message);
}

/* A whole JSON number (or an integral double) within [minimum, maximum]: CM_OK; CM_ENOTFOUND when
 * the member is absent (no problem added); CM_EINVAL after adding the problem. */
static cm_err whole_field(json_object *root, const char *key, int64_t minimum, int64_t maximum, int64_t *out,
                       gw_problems *problems, const char *field)
{
    json_object *value = NULL;
    if (!json_object_object_get_ex(root, key, &value))
        return CM_ENOTFOUND;
    int64_t number = 0;
    if (value && json_object_is_type(value, json_type_int)) {
        number = json_object_get_int64(value);
    } else if (value && json_object_is_type(value, json_type_double) && isfinite(json_object_get_double(value)) &&
               fabs(json_object_get_double(value)) <= (double)GW_MAX_QUANTITY &&
               json_object_get_double(value) == floor(json_object_get_double(value))) {
        /* Bounded before the cast: a double out of int64's range would be undefined behaviour. */
        number = (int64_t)json_object_get_double(value);
    } else if (value && json_object_is_type(value, json_type_string) && *json_object_get_string(value) &&
               strspn(json_object_get_string(value), "0123456789") == strlen(json_object_get_string(value)) &&
               strlen(json_object_get_string(value)) <= 15) {
        number = strtoll(json_object_get_string(value), NULL, 10);
    } else {
        problem(problems, 0, field, "%s must be an integer.", field);
        return CM_EINVAL;
    }
    if (number < minimum || number > maximum) {
        problem(problems, 0, field, "%s must be between %" PRId64 " and %" PRId64 "; got %" PRId64 ".", field, minimum,
                maximum, number);
        return CM_EINVAL;
    }
    *out = number;
    return CM_OK;
}

static void bool_field(json_object *root, const char *key, int *out, gw_problems *problems)
{
    json_object *value = NULL;
    *out = 0;
    if (!json_object_object_get_ex(root, key, &value) || !value)
        return; /* absent or null: the default, false */
    if (json_object_is_type(value, json_type_boolean))
        *out = json_object_get_boolean(value);
    else if (json_object_is_type(value, json_type_string) && strcmp(json_object_get_string(value), "true") == 0)
        *out = 1;
    else if (json_object_is_type(value, json_type_string) && strcmp(json_object_get_string(value), "false") == 0)
        *out = 0;
    else
        problem(problems, 0, key, "%s must be true or false.", key);
}

static void check_items(json_object *items, const cm_tenant *tenant, int aggregate, gw_inquiry_request *out,
                        gw_problems *problems)
{
    size_t count = json_object_array_length(items);
    for (size_t i = 0; i < count; i++) {
        json_object *item = json_object_array_get_idx(items, i);
        char prefix[32], field[GW_PROBLEM_FIELD_MAX];
        snprintf(prefix, sizeof prefix, "items[%zu]", i);
        gw_inquiry_item *target = &out->items[i];
        if (!item || !json_object_is_type(item, json_type_object)) {
            problem(problems, 0, prefix, "%s must be an object.", prefix);
            continue;
        }
        tr_legacy_item identifiers = {0};
        static const char *const keys[] = {"sku", "partNumber", "upc"};
        const char **slots[] = {&identifiers.sku, &identifiers.part_number, &identifiers.upc};
        for (size_t k = 0; k < 3; k++) {
            json_object *value = NULL;
            if (!json_object_object_get_ex(item, keys[k], &value) || !value)
                continue;
            snprintf(field, sizeof field, "%s.%s", prefix, keys[k]);
            if (!json_object_is_type(value, json_type_string)) {
                problem(problems, 0, field, "%s must be a string.", field);
            } else if (json_object_get_string_len(value) > GW_MAX_IDENTIFIER_LENGTH ||
                       strlen(json_object_get_string(value)) != (size_t)json_object_get_string_len(value)) {
                problem(problems, 0, field, "%s must be at most %d characters without NUL.", field,
                        GW_MAX_IDENTIFIER_LENGTH);
            } else if (json_object_get_string_len(value) > 0) {
                *slots[k] = json_object_get_string(value);
            }
        }
        target->sku_field = identifiers.sku;
        target->part_number = identifiers.part_number;
        target->upc = identifiers.upc;
        target->sku = tr_choose_sku(&identifiers, tenant->sku_from, tenant->sku_from_count);
        snprintf(field, sizeof field, "%s.sku", prefix);
        char why[TR_WHY_MAX];
        if (!target->sku)
            problem(problems, 1, field, "%s needs an identifier this tenant takes as the OCI sku (skuFrom: sku, "
                    "partNumber or upc).", prefix);
        else if (!tr_sku_is_valid(target->sku, why))
            problem(problems, 0, field, "%s cannot be an OCI sku: %s.", prefix, why);
        if (aggregate)
            continue;
        snprintf(field, sizeof field, "%s.quantity", prefix);
        int64_t quantity = 0;
        cm_err rc = whole_field(item, "quantity", 0, GW_MAX_QUANTITY, &quantity, problems, field);
        if (rc == CM_ENOTFOUND)
            problem(problems, 1, field, "%s is required (the quantity asked for).", field);
        target->quantity = rc == CM_OK ? quantity : 0;
    }
}

/* Finds a configured location by legacy name or OCI id. */
static const cm_location_entry *find_location(const cm_tenant *tenant, const char *text)
{
    for (size_t i = 0; i < tenant->location_count; i++)
        if (strcmp(tenant->locations[i].name, text) == 0 || strcmp(tenant->locations[i].oci_id, text) == 0)
            return &tenant->locations[i];
    return NULL;
}

/* Resolves one named location into *target: CM_OK, or CM_EINVAL after adding a problem. */
static cm_err resolve(const cm_tenant *tenant, const char *text, const char *field, gw_inquiry_request *out,
                   size_t derived_index, gw_inquiry_location *target, gw_problems *problems)
{
    const cm_location_entry *entry = find_location(tenant, text);
    if (entry) {
        *target = (gw_inquiry_location){entry->name, entry->oci_id};
        return CM_OK;
    }
    if (tenant->auto_locations && gw_auto_location_id(text, out->derived_codes[derived_index]) == CM_OK) {
        *target = (gw_inquiry_location){text, out->derived_codes[derived_index]};
        return CM_OK;
    }
    problem(problems, 0, field, "%s \"%.100s\" is not a location of this tenant (a configured locationName or its "
            "OCI location id).", field, text);
    return CM_EINVAL;
}

/* A list member: absent/null → 0 entries; else an array of strings (each a problem if not). */
static json_object *string_list(json_object *root, const char *key, gw_problems *problems)
{
    json_object *value = NULL;
    if (!json_object_object_get_ex(root, key, &value) || !value)
        return NULL;
    if (!json_object_is_type(value, json_type_array)) {
        problem(problems, 0, key, "%s must be an array of location codes.", key);
        return NULL;
    }
    if (json_object_array_length(value) > GW_MAX_INQUIRY_LOCATIONS) {
        problem(problems, 0, key, "%s has %zu entries; at most %d are allowed.", key, json_object_array_length(value),
                GW_MAX_INQUIRY_LOCATIONS);
        return NULL;
    }
    for (size_t i = 0; i < json_object_array_length(value); i++) {
        json_object *entry = json_object_array_get_idx(value, i);
        if (!entry || !json_object_is_type(entry, json_type_string) || json_object_get_string_len(entry) == 0 ||
            json_object_get_string_len(entry) > GW_MAX_LOCATION_NAME) {
            char field[GW_PROBLEM_FIELD_MAX];
            snprintf(field, sizeof field, "%s[%zu]", key, i);
            problem(problems, 0, field, "%s must be a location code (a string of 1 to %d characters).", field,
                    GW_MAX_LOCATION_NAME);
            return NULL;
        }
    }
    return value;
}

static int contains_code(const gw_inquiry_location *list, size_t count, const char *code)
{
    for (size_t i = 0; i < count; i++)
        if (strcmp(list[i].code, code) == 0)
            return 1;
    return 0;
}

static void select_locations(json_object *root, const cm_tenant *tenant, gw_inquiry_request *out,
                             gw_problems *problems)
{
    const char *code = NULL;
    json_object *request_location = NULL;
    if (cm_json_string(root, "locationCode", &code) == CM_JSON_WRONG_TYPE && json_object_object_get_ex(root, "locationCode", NULL)) {
        json_object *value = NULL;
        json_object_object_get_ex(root, "locationCode", &value);
        if (value)
            problem(problems, 0, "locationCode", "locationCode must be a string.");
    }
    if ((!code || !*code) && json_object_object_get_ex(root, "requestLocation", &request_location) &&
        json_object_is_type(request_location, json_type_object))
        cm_json_string(request_location, "locationCode", &code);
    json_object *whitelist = string_list(root, "locationWhitelist", problems);
    json_object *blacklist = string_list(root, "locationBlacklist", problems);
    json_object *priority = string_list(root, "locationPriorityList", problems);
    size_t named = (whitelist ? json_object_array_length(whitelist) : 0) +
                   (blacklist ? json_object_array_length(blacklist) : 0) +
                   (priority ? json_object_array_length(priority) : 0) + 1;
    size_t capacity = tenant->location_count + named;
    gw_inquiry_location *base = calloc(capacity, sizeof *base);
    gw_inquiry_location *banned = calloc(named, sizeof *banned);
    out->locations = calloc(capacity, sizeof *out->locations);
    out->derived_codes = calloc(named, sizeof *out->derived_codes);
    if (!base || !banned || !out->locations || !out->derived_codes) {
        free(base);
        free(banned);
        problem(problems, 0, "(body)", "The gateway is short of memory.");
        return;
    }
    size_t base_count = 0, banned_count = 0, derived = 0;
    if (code && *code) {
        if (resolve(tenant, code, "locationCode", out, derived++, &base[0], problems) == CM_OK)
            base_count = 1;
    } else if (whitelist) {
        for (size_t i = 0; i < json_object_array_length(whitelist); i++) {
            char field[GW_PROBLEM_FIELD_MAX];
            snprintf(field, sizeof field, "locationWhitelist[%zu]", i);
            gw_inquiry_location found;
            if (resolve(tenant, json_object_get_string(json_object_array_get_idx(whitelist, i)), field, out, derived++,
                        &found, problems) == CM_OK &&
                !contains_code(base, base_count, found.code))
                base[base_count++] = found;
        }
    } else {
        for (size_t i = 0; i < tenant->location_count; i++)
            base[base_count++] = (gw_inquiry_location){tenant->locations[i].name, tenant->locations[i].oci_id};
    }
    for (size_t i = 0; blacklist && i < json_object_array_length(blacklist); i++) {
        const char *text = json_object_get_string(json_object_array_get_idx(blacklist, i));
        const cm_location_entry *entry = find_location(tenant, text);
        /* An unknown blacklisted location excludes nothing: not an error. */
        if (entry)
            banned[banned_count++] = (gw_inquiry_location){entry->name, entry->oci_id};
        else if (tenant->auto_locations && gw_auto_location_id(text, out->derived_codes[derived]) == CM_OK)
            banned[banned_count++] = (gw_inquiry_location){text, out->derived_codes[derived++]};
    }
    size_t count = 0;
    /* Priority locations first (those that are selected, or any for autoLocations tenants). */
    for (size_t i = 0; priority && i < json_object_array_length(priority); i++) {
        char field[GW_PROBLEM_FIELD_MAX];
        snprintf(field, sizeof field, "locationPriorityList[%zu]", i);
        gw_inquiry_location found;
        if (resolve(tenant, json_object_get_string(json_object_array_get_idx(priority, i)), field, out, derived++,
                    &found, problems) != CM_OK)
            continue;
        if (contains_code(banned, banned_count, found.code) || contains_code(out->locations, count, found.code))
            continue;
        if (!contains_code(base, base_count, found.code) && (whitelist || (code && *code)))
            continue; /* outside the selection asked for */
        out->locations[count++] = found;
    }
    out->inquiry.priority_count = count;
    for (size_t i = 0; i < base_count; i++)
        if (!contains_code(banned, banned_count, base[i].code) && !contains_code(out->locations, count, base[i].code))
            out->locations[count++] = base[i];
    out->inquiry.locations = out->locations;
    out->inquiry.location_count = count;
    if (count == 0 && problems->total == 0)
        problem(problems, 1, "locationCode",
                "No location is selected: the tenant has no configured locations left after the blacklist; name "
                "them with locationCode or locationWhitelist.");
    free(base);
    free(banned);
}

cm_err gw_validate_inquiry_text(const char *text, size_t length, const cm_tenant *tenant, int aggregate,
                             gw_inquiry_request *out, gw_problems *problems, char parse_error[CM_JSON_ERROR_MAX])
{
    memset(out, 0, sizeof *out);
    problems->count = 0;
    problems->total = 0;
    cm_err rc = cm_json_parse(text, length, GW_JSON_MAX_DEPTH, &out->root, parse_error);
    if (rc)
        return rc == CM_ENOMEM ? CM_ENOMEM : CM_EINVAL; /* not JSON: parse_error says where */
    json_object *root = out->root;
    if (!json_object_is_type(root, json_type_object)) {
        gw_problem_not_object(problems);
        gw_inquiry_request_clear(out);
        return CM_EINVAL;
    }
    out->inquiry.tenant_id = tenant->id;
    json_object *items = NULL;
    if (!json_object_object_get_ex(root, "items", &items) || !items || !json_object_is_type(items, json_type_array)) {
        gw_problem_items_missing(problems, json_object_object_get_ex(root, "items", NULL));
    } else if (gw_check_items_count_max(json_object_array_length(items), GW_MAX_INQUIRY_ITEMS,
                                        aggregate ? "aggregate" : "inquiry", problems) == CM_OK) {
        out->inquiry.item_count = json_object_array_length(items);
        out->items = calloc(out->inquiry.item_count, sizeof *out->items);
        if (!out->items) {
            gw_inquiry_request_clear(out);
            return CM_ENOMEM;
        }
        check_items(items, tenant, aggregate, out, problems);
        out->inquiry.items = out->items;
    }
    int64_t number = 0;
    whole_field(root, "fulfillerID", 0, INT64_MAX / 2, &number, problems, "fulfillerID");
    whole_field(root, "manufacturerID", 100, INT64_MAX / 2, &number, problems, "manufacturerID");
    whole_field(root, "catalogID", 0, INT64_MAX / 2, &number, problems, "catalogID");
    out->inquiry.type = GW_INQUIRY_ANY;
    json_object *type = NULL;
    if (!aggregate && json_object_object_get_ex(root, "type", &type) && type) {
        const char *name = json_object_is_type(type, json_type_string) ? json_object_get_string(type) : "";
        if (strcmp(name, "ALL") == 0)
            out->inquiry.type = GW_INQUIRY_ALL;
        else if (strcmp(name, "PARTIAL") == 0)
            out->inquiry.type = GW_INQUIRY_PARTIAL;
        else if (strcmp(name, "ANY") == 0)
            out->inquiry.type = GW_INQUIRY_ANY;
        else if (strcmp(name, "ALL_STORES") == 0)
            out->inquiry.type = GW_INQUIRY_ALL_STORES;
        else
            problem(problems, 0, "type", "type must be one of ALL, PARTIAL, ANY, ALL_STORES.");
        if (out->inquiry.type == GW_INQUIRY_ALL_STORES && out->inquiry.item_count > 1)
            problem(problems, 0, "items", "type ALL_STORES takes exactly one item; %zu were given.",
                    out->inquiry.item_count);
    }
    int64_t limit = 0;
    if (!aggregate && whole_field(root, "limit", 1, GW_MAX_INQUIRY_ROWS, &limit, problems, "limit") == CM_OK)
        out->inquiry.limit = (size_t)limit;
    bool_field(root, "ignoreSafetyStock", &out->inquiry.ignore_safety_stock, problems);
    bool_field(root, "includeNegativeInventory", &out->inquiry.include_negative, problems);
    select_locations(root, tenant, out, problems);
    if (problems->total == 0 && out->inquiry.item_count * out->inquiry.location_count > GW_MAX_INQUIRY_CELLS)
        problem(problems, 0, "items",
                "%zu items at %zu locations make %zu (item, location) pairs; at most %d are read per request: name "
                "fewer locations (locationWhitelist) or send fewer items.",
                out->inquiry.item_count, out->inquiry.location_count,
                out->inquiry.item_count * out->inquiry.location_count, GW_MAX_INQUIRY_CELLS);
    if (problems->total > 0) {
        gw_inquiry_request_clear(out);
        return CM_EINVAL;
    }
    return CM_OK;
}

void gw_inquiry_request_clear(gw_inquiry_request *request)
{
    json_object_put(request->root);
    free(request->items);
    free(request->locations);
    free(request->derived_codes);
    memset(request, 0, sizeof *request);
}
