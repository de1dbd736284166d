#include "gateway/validate.h"
#include "gateway/validate_session.h"
#include "common/json_util.h"
#include "queue/messages.h"
#include "translate/item.h"
#include "translate/stored_items.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char MISSING[] = "MISSING_REQUEST_DATA";
static const char INVALID[] = "INVALID_REQUEST_DATA";

static void add_problem(gw_problems *problems, const char *code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void add_problem(gw_problems *problems, const char *code, const char *field, const char *fmt, ...)
{
    problems->total++;
    if (problems->count == GW_MAX_REPORTED_PROBLEMS)
        return;
    gw_problem *problem = &problems->list[problems->count++];
    problem->code = code;
    snprintf(problem->field, sizeof problem->field, "%s", field);
    va_list args;
    va_start(args, fmt);
    vsnprintf(problem->message, sizeof problem->message, fmt, args);
    va_end(args);
}

cm_err gw_auto_location_id(const char *name, char out[Q_OCI_ID_MAX + 1])
{
    size_t length = 0;
    for (const char *p = name; *p && length < Q_OCI_ID_MAX; p++)
        out[length++] = isalnum((unsigned char)*p) || *p == '_' || *p == '-' ? *p : '-';
    out[length] = '\0';
    return length >= 2 ? CM_OK : CM_EINVAL;
}

/* How a number field failed, so that the problem can say which rule it broke. */
typedef enum number_check { NUMBER_OK, NUMBER_WRONG_TYPE, NUMBER_BAD_VALUE } number_check;

/* Parses a whole number given as a JSON integer, an integral JSON double or a string of digits.
 * NUMBER_BAD_VALUE: not a whole number, or out of range. */
static number_check whole_number(json_object *value, int allow_negative, int64_t *out)
{
    if (!value)
        return NUMBER_WRONG_TYPE;
    if (json_object_is_type(value, json_type_int)) {
        errno = 0;
        int64_t number = json_object_get_int64(value);
        if (errno == ERANGE || number == INT64_MAX || number == INT64_MIN)
            return NUMBER_BAD_VALUE;
        *out = number;
    } else if (json_object_is_type(value, json_type_double)) {
        double number = json_object_get_double(value);
        if (!isfinite(number) || number != floor(number) || fabs(number) > (double)GW_MAX_QUANTITY)
            return NUMBER_BAD_VALUE;
        *out = (int64_t)number;
    } else if (json_object_is_type(value, json_type_string)) {
        const char *text = json_object_get_string(value);
        const char *digits = text;
        if (allow_negative && *digits == '-')
            digits++;
        size_t length = strlen(digits);
        /* An escaped NUL ("1\u0000") would hide the rest of the string from strlen. */
        if (strlen(text) != (size_t)json_object_get_string_len(value))
            return NUMBER_BAD_VALUE;
        if (length == 0 || length > 18 || strspn(digits, "0123456789") != length)
            return NUMBER_BAD_VALUE;
        *out = strtoll(text, NULL, 10);
    } else {
        return NUMBER_WRONG_TYPE;
    }
    if (!allow_negative && *out < 0)
        return NUMBER_BAD_VALUE;
    return NUMBER_OK;
}

/* 1 when `text` is a number in JSON's own grammar (strtod also takes ".5", "5.", "+5", "0x10"). */
static int is_json_number_text(const char *text)
{
    const char *s = text;
    if (*s == '-')
        s++;
    if (*s == '0')
        s++;
    else if (*s >= '1' && *s <= '9')
        while (isdigit((unsigned char)*s))
            s++;
    else
        return 0;
    if (*s == '.') {
        s++;
        if (!isdigit((unsigned char)*s))
            return 0;
        while (isdigit((unsigned char)*s))
            s++;
    }
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '+' || *s == '-')
            s++;
        if (!isdigit((unsigned char)*s))
            return 0;
        while (isdigit((unsigned char)*s))
            s++;
    }
    return *s == '\0';
}

/* A number given as a JSON number or a numeric string, as a value (a new reference) for the stored
 * record's kept members. */
static number_check decimal_number(json_object *value, json_object **normalized)
{
    if (!value)
        return NUMBER_WRONG_TYPE;
    if (json_object_is_type(value, json_type_int) || json_object_is_type(value, json_type_double)) {
        if (!isfinite(json_object_get_double(value)))
            return NUMBER_BAD_VALUE;
        *normalized = json_object_get(value);
        return NUMBER_OK;
    }
    if (json_object_is_type(value, json_type_string)) {
        const char *text = json_object_get_string(value);
        if (strlen(text) != (size_t)json_object_get_string_len(value))
            return NUMBER_BAD_VALUE; /* an escaped NUL byte inside the number */
        char *end;
        errno = 0;
        double number = strtod(text, &end);
        if (!*text || *end || errno || !isfinite(number) || isspace((unsigned char)*text))
            return NUMBER_BAD_VALUE;
        /* The original text is kept only when it is itself a JSON number: the normalized items are
         * stored as JSON text, and ".25" or "0x10" there would make the stored chunk unreadable. */
        *normalized = is_json_number_text(text) ? json_object_new_double_s(number, text) : json_object_new_double(number);
        return *normalized ? NUMBER_OK : NUMBER_BAD_VALUE;
    }
    return NUMBER_WRONG_TYPE;
}

/* What check_item found in an item: the record's fields, and its kept members written to `kept`
 * (the session's buffer, emptied per item). `rc` is the first failure to write them (memory). */
typedef struct checked_item {
    tr_stored_fields fields;
    cm_body *kept;
    cm_err rc;
} checked_item;

static void keep(checked_item *checked, cm_err rc)
{
    if (!checked->rc)
        checked->rc = rc;
}

/* "items[3].quantity", or "items[3]" when `key` is NULL. Built only when a problem is reported:
 * a valid item costs no formatting (it was a tenth of the request path's time). */
static const char *field_name(char out[GW_PROBLEM_FIELD_MAX], size_t index, const char *key)
{
    if (key)
        snprintf(out, GW_PROBLEM_FIELD_MAX, "items[%zu].%s", index, key);
    else
        snprintf(out, GW_PROBLEM_FIELD_MAX, "items[%zu]", index);
    return out;
}

static void check_identifier(json_object *item, const char *key, size_t index, gw_problems *problems,
                             const char **out, size_t *out_length)
{
    json_object *value = NULL;
    *out = NULL;
    *out_length = 0;
    if (!json_object_object_get_ex(item, key, &value))
        return;
    char field[GW_PROBLEM_FIELD_MAX];
    if (!value || !json_object_is_type(value, json_type_string)) {
        add_problem(problems, INVALID, field_name(field, index, key), "%s must be a string.", field);
        return;
    }
    const char *text = json_object_get_string(value);
    size_t length = strlen(text);
    if (length == 0)
        return; /* an empty identifier counts as absent */
    if (length > GW_MAX_IDENTIFIER_LENGTH) {
        add_problem(problems, INVALID, field_name(field, index, key),
                    "%s is %zu characters long; at most %d are allowed.", field, length, GW_MAX_IDENTIFIER_LENGTH);
        return;
    }
    if (json_object_get_string_len(value) != (int)length) {
        add_problem(problems, INVALID, field_name(field, index, key), "%s contains a NUL character.", field);
        return;
    }
    *out = text;
    *out_length = length;
}

/* 1 and *number when the integer field `key` is present and valid, else 0 (a problem is added
 * when it is present and wrong). */
static int check_integer_field(json_object *item, const char *key, size_t index, int64_t minimum,
                               gw_problems *problems, int64_t *number)
{
    json_object *value = NULL;
    if (!json_object_object_get_ex(item, key, &value))
        return 0;
    char field[GW_PROBLEM_FIELD_MAX];
    *number = 0;
    number_check rc = whole_number(value, 1, number);
    if (rc == NUMBER_WRONG_TYPE)
        add_problem(problems, INVALID, field_name(field, index, key), "%s must be an integer.", field);
    else if (rc == NUMBER_BAD_VALUE)
        add_problem(problems, INVALID, field_name(field, index, key), "%s must be a whole number.", field);
    else if (*number < minimum || *number > GW_MAX_QUANTITY)
        add_problem(problems, INVALID, field_name(field, index, key),
                    "%s must be between %" PRId64 " and %lld; got %" PRId64 ".", field, minimum, GW_MAX_QUANTITY,
                    *number);
    else
        return 1;
    return 0;
}

static void keep_integer_field(json_object *item, const char *key, size_t index, int64_t minimum,
                               gw_problems *problems, checked_item *checked)
{
    int64_t number = 0;
    if (check_integer_field(item, key, index, minimum, problems, &number))
        keep(checked, tr_stored_kept_int(checked->kept, key, number));
}

static void check_decimal_field(json_object *item, const char *key, const char *stored_key, size_t index,
                                int non_negative, gw_problems *problems, checked_item *checked)
{
    json_object *value = NULL;
    if (!json_object_object_get_ex(item, key, &value))
        return;
    char field[GW_PROBLEM_FIELD_MAX];
    json_object *number = NULL;
    number_check rc = decimal_number(value, &number);
    if (rc == NUMBER_WRONG_TYPE) {
        add_problem(problems, INVALID, field_name(field, index, key), "%s must be a number.", field);
    } else if (rc == NUMBER_BAD_VALUE) {
        add_problem(problems, INVALID, field_name(field, index, key), "%s is not a valid finite number.", field);
    } else if (non_negative && json_object_get_double(number) < 0) {
        add_problem(problems, INVALID, field_name(field, index, key), "%s must not be negative.", field);
    } else {
        keep(checked, tr_stored_kept_value(checked->kept, stored_key, number));
    }
    json_object_put(number);
}

static void check_sku(const tr_legacy_item *identifiers, size_t index, const cm_tenant *tenant,
                      gw_problems *problems, const char **sku_out)
{
    const char *sku = tr_choose_sku(identifiers, tenant->sku_from, tenant->sku_from_count);
    char field[GW_PROBLEM_FIELD_MAX], prefix[GW_PROBLEM_FIELD_MAX];
    if (!sku) {
        if (!identifiers->sku && !identifiers->part_number && !identifiers->upc)
            add_problem(problems, MISSING, field_name(field, index, "sku"),
                        "%s needs at least one of sku, partNumber or upc.", field_name(prefix, index, NULL));
        else
            add_problem(problems, MISSING, field_name(field, index, "sku"),
                        "%s has no identifier this tenant takes as the OCI sku (configured order: skuFrom).",
                        field_name(prefix, index, NULL));
        return;
    }
    char why[TR_WHY_MAX];
    if (!tr_sku_is_valid(sku, why)) {
        const char *key = sku == identifiers->sku           ? "sku"
                          : sku == identifiers->part_number ? "partNumber"
                                                            : "upc";
        add_problem(problems, INVALID, field_name(field, index, key), "%s cannot be an OCI sku: %s.", field, why);
        return;
    }
    *sku_out = sku;
}

static void check_quantity(json_object *item, size_t index, int adjust, gw_problems *problems, checked_item *checked)
{
    json_object *quantity = NULL;
    char field[GW_PROBLEM_FIELD_MAX];
    if (!json_object_object_get_ex(item, "quantity", &quantity)) {
        add_problem(problems, MISSING, field_name(field, index, "quantity"), "%s is required.", field);
        return;
    }
    int64_t number = 0;
    number_check rc = whole_number(quantity, 1, &number);
    if (rc == NUMBER_WRONG_TYPE)
        add_problem(problems, INVALID, field_name(field, index, "quantity"),
                    "%s must be an integer (a number or a string of digits).", field);
    else if (rc == NUMBER_BAD_VALUE)
        add_problem(problems, INVALID, field_name(field, index, "quantity"), "%s must be a whole number.", field);
    else if (number < 0 && !adjust)
        add_problem(problems, INVALID, field_name(field, index, "quantity"),
                    "%s must not be negative; got %" PRId64 ".", field, number);
    else if (number > GW_MAX_QUANTITY || number < -GW_MAX_QUANTITY)
        add_problem(problems, INVALID, field_name(field, index, "quantity"), "%s is larger than %lld%s.", field,
                    GW_MAX_QUANTITY, adjust ? " in size" : "");
    else
        checked->fields.quantity = number;
}

static void check_locator(json_object *item, size_t index, gw_problems *problems, checked_item *checked)
{
    json_object *locator = NULL;
    if (!json_object_object_get_ex(item, "inventoryLocatorName", &locator))
        return;
    char field[GW_PROBLEM_FIELD_MAX];
    if (!locator || !json_object_is_type(locator, json_type_string))
        add_problem(problems, INVALID, field_name(field, index, "inventoryLocatorName"), "%s must be a string.",
                    field);
    else if (json_object_get_string_len(locator) > GW_MAX_LOCATOR_NAME)
        add_problem(problems, INVALID, field_name(field, index, "inventoryLocatorName"),
                    "%s is %d characters long; at most %d are allowed.", field, json_object_get_string_len(locator),
                    GW_MAX_LOCATOR_NAME);
    else
        keep(checked, tr_stored_kept_value(checked->kept, "inventoryLocatorName", locator));
}

static void check_attributes(json_object *item, size_t index, gw_problems *problems, checked_item *checked)
{
    json_object *attributes = NULL;
    if (!json_object_object_get_ex(item, "attributes", &attributes))
        return;
    char field[GW_PROBLEM_FIELD_MAX];
    if (!attributes || !json_object_is_type(attributes, json_type_array)) {
        add_problem(problems, INVALID, field_name(field, index, "attributes"), "%s must be an array of strings.",
                    field);
        return;
    }
    if (json_object_array_length(attributes) > GW_MAX_ATTRIBUTES) {
        add_problem(problems, INVALID, field_name(field, index, "attributes"),
                    "%s has %zu entries; at most %d are allowed.", field, json_object_array_length(attributes),
                    GW_MAX_ATTRIBUTES);
        return;
    }
    int ok = 1;
    for (size_t i = 0; i < json_object_array_length(attributes); i++) {
        json_object *attribute = json_object_array_get_idx(attributes, i);
        int wrong_type = !attribute || !json_object_is_type(attribute, json_type_string);
        if (!wrong_type && json_object_get_string_len(attribute) <= GW_MAX_ATTRIBUTE_LENGTH)
            continue;
        char attribute_field[GW_PROBLEM_FIELD_MAX + 24];
        snprintf(attribute_field, sizeof attribute_field, "%s[%zu]", field_name(field, index, "attributes"), i);
        if (wrong_type)
            add_problem(problems, INVALID, attribute_field, "%s must be a string.", attribute_field);
        else
            add_problem(problems, INVALID, attribute_field, "%s is longer than %d characters.", attribute_field,
                        GW_MAX_ATTRIBUTE_LENGTH);
        ok = 0;
    }
    if (ok)
        keep(checked, tr_stored_kept_value(checked->kept, "attributes", attributes));
}

/* Checks one item and fills *checked. The kept members are written in the order the stored form
 * has always had (the order of the normalized object the gateway once built): binID, currencyID,
 * retailPrice, ltd, inventoryLocatorName, attributes, then floor and safetyStock. */
static void check_item(json_object *item, size_t index, const cm_tenant *tenant, int adjust, gw_problems *problems,
                       checked_item *checked, const char **sku_out)
{
    *sku_out = NULL;
    if (!json_object_is_type(item, json_type_object)) {
        char prefix[GW_PROBLEM_FIELD_MAX];
        add_problem(problems, INVALID, field_name(prefix, index, NULL), "%s must be an object.", prefix);
        return;
    }
    tr_stored_fields *fields = &checked->fields;
    check_identifier(item, "sku", index, problems, &fields->ids[0], &fields->id_lengths[0]);
    check_identifier(item, "partNumber", index, problems, &fields->ids[1], &fields->id_lengths[1]);
    check_identifier(item, "upc", index, problems, &fields->ids[2], &fields->id_lengths[2]);
    tr_legacy_item identifiers = {0};
    identifiers.sku = fields->ids[0];
    identifiers.part_number = fields->ids[1];
    identifiers.upc = fields->ids[2];
    check_sku(&identifiers, index, tenant, problems, sku_out);
    check_quantity(item, index, adjust, problems, checked);
    keep_integer_field(item, "binID", index, 1, problems, checked);
    /* An adjust item is identifiers, binID and a signed quantity (legacy-adjust-inquiry.md §1); the
     * current model's extras (tags, lotCode, …) have no OCI place and are accepted and ignored. */
    if (adjust)
        return;
    fields->has_floor = check_integer_field(item, "floor", index, 0, problems, &fields->floor);
    fields->has_safety_stock = check_integer_field(item, "safetyStock", index, 0, problems, &fields->safety_stock);
    keep_integer_field(item, "currencyID", index, 0, problems, checked);
    check_decimal_field(item, "retailPrice", "retailPrice", index, 1, problems, checked);
    /* The legacy page spells it ltd, the current API LTD: both land in one place. */
    if (json_object_object_get_ex(item, "ltd", NULL))
        check_decimal_field(item, "ltd", "ltd", index, 0, problems, checked);
    else
        check_decimal_field(item, "LTD", "ltd", index, 0, problems, checked);
    check_locator(item, index, problems, checked);
    check_attributes(item, index, problems, checked);
    /* floor and safetyStock reach OCI only combined: the inquiry routes read them back from the
     * kept members. */
    if (fields->has_floor)
        keep(checked, tr_stored_kept_int(checked->kept, "floor", fields->floor));
    if (fields->has_safety_stock)
        keep(checked, tr_stored_kept_int(checked->kept, "safetyStock", fields->safety_stock));
}

/* ---- duplicate SKUs: an open-addressing set of (sku → last index, count) ---- */

typedef struct sku_slot {
    const char *sku;
    size_t last_index;
    size_t count;
} sku_slot;

static uint64_t hash_text(const char *text)
{
    uint64_t hash = 1469598103934665603ULL;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        hash = (hash ^ *p) * 1099511628211ULL;
    return hash;
}

static cm_err note_duplicates(const char **skus, size_t count, cm_body *messages)
{
    size_t capacity = 16;
    while (capacity < count * 2)
        capacity *= 2;
    sku_slot *slots = calloc(capacity, sizeof *slots);
    if (!slots)
        return CM_ENOMEM;
    for (size_t i = 0; i < count; i++) {
        if (!skus[i])
            continue;
        size_t slot = (size_t)hash_text(skus[i]) & (capacity - 1);
        while (slots[slot].sku && strcmp(slots[slot].sku, skus[i]) != 0)
            slot = (slot + 1) & (capacity - 1);
        slots[slot].sku = skus[i];
        slots[slot].last_index = i;
        slots[slot].count++;
    }
    size_t duplicated = 0, reported = 0;
    cm_err rc = CM_OK;
    /* Report in request order: walk the items, and report a SKU at its last occurrence. */
    for (size_t i = 0; i < count; i++) {
        if (!skus[i])
            continue;
        size_t slot = (size_t)hash_text(skus[i]) & (capacity - 1);
        while (strcmp(slots[slot].sku, skus[i]) != 0)
            slot = (slot + 1) & (capacity - 1);
        if (slots[slot].count < 2 || slots[slot].last_index != i)
            continue;
        duplicated++;
        if (reported < GW_MAX_REPORTED_DUPLICATES) {
            char text[400];
            snprintf(text, sizeof text, "SKU %s appears %zu times in items; the last one (items[%zu]) wins.",
                     skus[i], slots[slot].count, i);
            if (!rc)
                rc = q_messages_add(messages, text);
            reported++;
        }
    }
    if (duplicated > reported) {
        char text[128];
        snprintf(text, sizeof text, "%zu SKUs appear more than once; the first %zu are listed.", duplicated,
                 reported);
        if (!rc)
            rc = q_messages_add(messages, text);
    }
    free(slots);
    return rc;
}

static void check_location(const json_object *root, const cm_tenant *tenant, gw_refresh *out,
                           gw_problems *problems)
{
    const char *key = "locationName";
    json_object *value = NULL;
    if (!json_object_object_get_ex(root, "locationName", &value)) {
        key = "locationCode";
        if (!json_object_object_get_ex(root, "locationCode", &value)) {
            add_problem(problems, MISSING, "locationName", "locationName is required.");
            return;
        }
    }
    if (!value || !json_object_is_type(value, json_type_string)) {
        add_problem(problems, INVALID, key, "%s must be a string.", key);
        return;
    }
    const char *name = json_object_get_string(value);
    size_t length = (size_t)json_object_get_string_len(value);
    if (length == 0) {
        add_problem(problems, MISSING, key, "%s must not be empty.", key);
        return;
    }
    if (length > GW_MAX_LOCATION_NAME || strlen(name) != length) {
        add_problem(problems, INVALID, key, "%s must be 1 to %d characters without NUL.", key,
                    GW_MAX_LOCATION_NAME);
        return;
    }
    snprintf(out->location_name, sizeof out->location_name, "%s", name);
    const char *mapped = cm_tenant_location(tenant, name);
    if (mapped) {
        snprintf(out->oci_location, sizeof out->oci_location, "%s", mapped);
    } else if (tenant->auto_locations) {
        if (gw_auto_location_id(name, out->oci_location) != CM_OK)
            add_problem(problems, INVALID, key,
                        "%s \"%s\" gives no usable OCI location id (at least 2 characters needed).", key, name);
    } else {
        /* The commonest cause is a different case or spelling than the configured name: say how
         * names are matched and where they come from, and point at a near-identical one. */
        const char *same_but_case = NULL;
        for (size_t i = 0; i < tenant->location_count && !same_but_case; i++)
            if (strcasecmp(tenant->locations[i].name, name) == 0)
                same_but_case = tenant->locations[i].name;
        if (same_but_case)
            add_problem(problems, INVALID, key,
                        "%s \"%.100s\" is not a location of this tenant: names are matched exactly, case "
                        "included (did you mean \"%.100s\"?).",
                        key, name, same_but_case);
        else
            add_problem(problems, INVALID, key,
                        "%s \"%.100s\" is not a location of this tenant: names are matched exactly, case "
                        "included, against the tenant's tenants[].locations in the gateway configuration "
                        "(tenants[].autoLocations is off).",
                        key, name);
    }
}

/* ---- the item session both entry points share (validate_session.h) ---- */

cm_err gw_session_begin(gw_session *session, const cm_tenant *tenant, gw_refresh *out, gw_problems *problems,
                     size_t count)
{
    memset(session, 0, sizeof *session);
    session->tenant = tenant;
    session->out = out;
    session->problems = problems;
    session->count = count;
    cm_body_init(&out->items_text, GW_MAX_NORMALIZED_BYTES);
    cm_body_init(&session->sku_arena, GW_MAX_NORMALIZED_BYTES);
    cm_body_init(&session->kept, GW_MAX_NORMALIZED_BYTES);
    out->item_ends = calloc(count, sizeof *out->item_ends);
    cm_err messages = q_messages_init(&out->messages, NULL);
    session->sku_offsets = calloc(count, sizeof *session->sku_offsets);
    if (!out->item_ends || messages || !session->sku_offsets)
        return CM_ENOMEM;
    return CM_OK;
}

cm_err gw_session_item(gw_session *session, json_object *item, size_t index)
{
    gw_refresh *out = session->out;
    checked_item checked;
    memset(&checked, 0, sizeof checked);
    cm_body_reset(&session->kept);
    checked.kept = &session->kept;
    const char *sku = NULL;
    check_item(item, index, session->tenant, session->adjust, session->problems, &checked, &sku);
    if (checked.rc)
        return CM_ENOMEM;
    session->sku_offsets[index] = SIZE_MAX;
    /* The sku is copied: in the streaming path the item's tree is gone before duplicates are
     * counted. */
    if (sku) {
        session->sku_offsets[index] = session->sku_arena.length;
        if (cm_body_append(&session->sku_arena, sku, strlen(sku) + 1) != CM_OK)
            return CM_ENOMEM;
    }
    /* Once any problem is found nothing is stored, so stop writing records (but keep checking).
     * The record is written once, here, in the form the worker reads (translate/stored_items.h),
     * straight from what was checked: no normalized tree is built. */
    if (session->problems->total == 0) {
        checked.fields.kept = session->kept.data;
        checked.fields.kept_length = session->kept.length;
        if (tr_stored_append_record(&out->items_text, &checked.fields) != CM_OK)
            return CM_ENOMEM;
        out->item_ends[index] = out->items_text.length;
    }
    return CM_OK;
}

cm_err gw_session_finish(gw_session *session, cm_err rc)
{
    gw_refresh *out = session->out;
    if (rc == CM_OK && session->problems->total > 0)
        rc = CM_EINVAL;
    if (rc == CM_OK) {
        const char **skus = calloc(session->count ? session->count : 1, sizeof *skus);
        if (!skus) {
            rc = CM_ENOMEM;
        } else {
            for (size_t i = 0; i < session->count; i++)
                skus[i] = session->sku_offsets[i] == SIZE_MAX ? NULL : session->sku_arena.data + session->sku_offsets[i];
            out->item_count = session->count;
            /* In an adjust a repeated SKU is not overridden: its deltas add up (queue/adjust.h). */
            if (!session->adjust)
                rc = note_duplicates(skus, session->count, &out->messages);
            free(skus);
        }
    }
    cm_body_free(&session->sku_arena);
    cm_body_free(&session->kept);
    free(session->sku_offsets);
    if (rc != CM_OK)
        gw_refresh_clear(out);
    return rc;
}

cm_err gw_check_items_count(size_t count, gw_problems *problems)
{
    return gw_check_items_count_max(count, GW_MAX_REFRESH_ITEMS, "refresh", problems);
}

cm_err gw_check_items_count_max(size_t count, size_t max, const char *what, gw_problems *problems)
{
    if (count == 0) {
        add_problem(problems, MISSING, "items", "items must contain at least one item.");
        return CM_EINVAL;
    }
    if (count > max) {
        add_problem(problems, INVALID, "items", "items has %zu entries; at most %zu are allowed per %s.", count,
                    max, what);
        return CM_EINVAL;
    }
    return CM_OK;
}

void gw_add_problem(gw_problems *problems, int missing, const char *field, const char *message)
{
    add_problem(problems, missing ? MISSING : INVALID, field, "%s", message);
}

void gw_problem_items_missing(gw_problems *problems, int present_but_not_array)
{
    if (present_but_not_array)
        add_problem(problems, INVALID, "items", "items must be an array.");
    else
        add_problem(problems, MISSING, "items", "items is required.");
}

void gw_problem_not_object(gw_problems *problems)
{
    add_problem(problems, INVALID, "(body)", "The body must be a JSON object.");
}

void gw_check_location(const json_object *members, const cm_tenant *tenant, gw_refresh *out, gw_problems *problems)
{
    check_location(members, tenant, out, problems);
}

cm_err gw_validate_refresh(const json_object *root, const cm_tenant *tenant, gw_refresh *out,
                           gw_problems *problems)
{
    memset(out, 0, sizeof *out);
    problems->count = 0;
    problems->total = 0;
    if (!json_object_is_type(root, json_type_object)) {
        gw_problem_not_object(problems);
        return CM_EINVAL;
    }
    check_location(root, tenant, out, problems);
    json_object *items = NULL;
    if (!json_object_object_get_ex(root, "items", &items) || !items ||
        !json_object_is_type(items, json_type_array)) {
        gw_problem_items_missing(problems, json_object_object_get_ex(root, "items", NULL));
        return CM_EINVAL;
    }
    size_t count = json_object_array_length(items);
    cm_err rc = gw_check_items_count(count, problems);
    if (rc)
        return rc;
    gw_session session;
    rc = gw_session_begin(&session, tenant, out, problems, count);
    for (size_t i = 0; rc == CM_OK && i < count; i++)
        rc = gw_session_item(&session, json_object_array_get_idx(items, i), i);
    return gw_session_finish(&session, rc);
}

void gw_refresh_clear(gw_refresh *refresh)
{
    cm_body_free(&refresh->items_text);
    free(refresh->item_ends);
    cm_body_free(&refresh->messages);
    refresh->item_ends = NULL;
    refresh->item_count = 0;
}

json_object *gw_refresh_items_json(const gw_refresh *refresh)
{
    json_object *items = json_object_new_array();
    if (!items || refresh->item_count == 0)
        return items;
    /* The reader writes NULs into what it reads: it reads a copy, with a header for it. */
    cm_body copy;
    cm_body_init(&copy, SIZE_MAX);
    tr_stored_reader reader;
    tr_stored_item stored;
    cm_err rc = tr_stored_append_header(&copy, refresh->item_count);
    if (!rc)
        rc = cm_body_append(&copy, refresh->items_text.data, refresh->items_text.length);
    if (!rc)
        rc = tr_stored_open(&reader, copy.data, copy.length);
    while (!rc && (rc = tr_stored_next(&reader, &stored)) == CM_OK) {
        json_object *item = tr_stored_item_json(&stored);
        if (!item || json_object_array_add(items, item) != 0) {
            json_object_put(item);
            rc = CM_ENOMEM;
        }
    }
    cm_body_free(&copy);
    if (rc != CM_ENOTFOUND) {
        json_object_put(items);
        return NULL;
    }
    return items;
}
