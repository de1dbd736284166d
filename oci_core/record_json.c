#include "oci_core/record_json.h"

#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "common/json_util.h"

/* Returns 1 present, 0 absent, -1 error. */
static int member(const json_object *obj, const char *key, int null_is_absent, json_object **value,
                  char field[OCI_FIELD_MAX], char message[OCI_MESSAGE_MAX])
{
    if (!json_object_object_get_ex(obj, key, value))
        return 0;
    if (*value == NULL) {
        if (null_is_absent)
            return 0;
        snprintf(field, OCI_FIELD_MAX, "%s", key);
        snprintf(message, OCI_MESSAGE_MAX, "'%s' must not be null.", key);
        return -1;
    }
    return 1;
}

static int quantity(const json_object *obj, const char *key, int null_is_absent, int positive,
                    int64_t *out, char field[OCI_FIELD_MAX], char message[OCI_MESSAGE_MAX])
{
    json_object *value;
    int rc = member(obj, key, null_is_absent, &value, field, message);
    if (rc <= 0)
        return rc;
    if (cm_json_value_milli(value, 0, out) != CM_JSON_OK || (positive ? *out <= 0 : *out < 0)) {
        snprintf(field, OCI_FIELD_MAX, "%s", key);
        snprintf(message, OCI_MESSAGE_MAX, "'%s' must be a number %s with at most 3 decimals.", key,
                 positive ? "above 0" : "of 0 or more");
        return -1;
    }
    return 1;
}

static int date(const json_object *obj, const char *key, int null_is_absent, int64_t *out,
                char field[OCI_FIELD_MAX], char message[OCI_MESSAGE_MAX])
{
    json_object *value;
    int rc = member(obj, key, null_is_absent, &value, field, message);
    if (rc <= 0)
        return rc;
    if (!json_object_is_type(value, json_type_string) || cm_time_parse(json_object_get_string(value), out) != 0) {
        snprintf(field, OCI_FIELD_MAX, "%s", key);
        snprintf(message, OCI_MESSAGE_MAX, "'%s' must be an RFC 3339 date-time.", key);
        return -1;
    }
    return 1;
}

int oci_read_update_fields(const json_object *obj, int null_is_absent, oci_record_update *update,
                           char field[OCI_FIELD_MAX], char message[OCI_MESSAGE_MAX])
{
    int rc = quantity(obj, "onHand", null_is_absent, 0, &update->on_hand_milli, field, message);
    if (rc < 0)
        return -1;
    update->has_on_hand = rc;
    rc = quantity(obj, "safetyStockCount", null_is_absent, 0, &update->safety_stock_milli, field, message);
    if (rc < 0)
        return -1;
    update->has_safety_stock = rc;
    rc = date(obj, "effectiveDate", null_is_absent, &update->effective_ms, field, message);
    if (rc < 0)
        return -1;
    update->has_effective_date = rc;
    json_object *futures;
    rc = member(obj, "futureStock", null_is_absent, &futures, field, message);
    if (rc < 0)
        return -1;
    if (rc == 0)
        return 0;
    if (!json_object_is_type(futures, json_type_array) || json_object_array_length(futures) > OCI_MAX_FUTURES) {
        snprintf(field, OCI_FIELD_MAX, "futureStock");
        snprintf(message, OCI_MESSAGE_MAX, "'futureStock' must be an array of at most %d {expectedDate, quantity}.",
                 OCI_MAX_FUTURES);
        return -1;
    }
    size_t count = json_object_array_length(futures);
    for (size_t i = 0; i < count; i++) {
        json_object *future = json_object_array_get_idx(futures, i);
        char key[OCI_FIELD_MAX];
        if (!json_object_is_type(future, json_type_object)) {
            snprintf(field, OCI_FIELD_MAX, "futureStock[%zu]", i);
            snprintf(message, OCI_MESSAGE_MAX, "'futureStock[%zu]' must be an object {expectedDate, quantity}.", i);
            return -1;
        }
        int got_quantity = quantity(future, "quantity", 0, 1, &update->futures[i].quantity_milli, field, message);
        int got_date = got_quantity < 0 ? -1 : date(future, "expectedDate", 0, &update->futures[i].expected_ms, field, message);
        if (got_quantity <= 0 || got_date <= 0) {
            snprintf(key, sizeof key, "futureStock[%zu].%s", i, got_quantity <= 0 ? "quantity" : "expectedDate");
            if (got_quantity == 0 || (got_quantity > 0 && got_date == 0))
                snprintf(message, OCI_MESSAGE_MAX, "'%s' is required.", key);
            snprintf(field, OCI_FIELD_MAX, "%s", key);
            return -1;
        }
    }
    update->has_futures = 1;
    update->future_count = count;
    return 0;
}
