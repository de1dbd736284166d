#include "oci_core/render.h"

#include "common/clock.h"
#include "common/json_util.h"

int oci_render_time(json_object *obj, const char *key, int64_t ms)
{
    char text[CM_TIME_TEXT_MAX];
    cm_time_format_ms(ms, text);
    return cm_json_set(obj, key, json_object_new_string(text));
}

json_object *oci_render_futures(const oci_future *futures, size_t count)
{
    json_object *array = json_object_new_array();
    for (size_t i = 0; array && i < count; i++) {
        json_object *future = json_object_new_object();
        if (!future) {
            json_object_put(array);
            return NULL;
        }
        /* One statement each: the members keep this order. Short of memory: no half record. */
        int failed = oci_render_time(future, "expectedDate", futures[i].expected_ms);
        failed |= cm_json_set(future, "quantity", cm_json_new_milli(futures[i].quantity_milli));
        if (failed || json_object_array_add(array, future) != 0) {
            json_object_put(future);
            json_object_put(array);
            return NULL;
        }
    }
    return array;
}

static json_object *common_fields(const char *sku, int64_t atf, int64_t ato, int64_t on_hand,
                                  int64_t reserved, int64_t safety_stock)
{
    json_object *obj = json_object_new_object();
    if (!obj)
        return NULL;
    int failed = cm_json_set(obj, "sku", json_object_new_string(sku));
    failed |= cm_json_set(obj, "atf", cm_json_new_milli(atf));
    failed |= cm_json_set(obj, "ato", cm_json_new_milli(ato));
    failed |= cm_json_set(obj, "onHand", cm_json_new_milli(on_hand));
    failed |= cm_json_set(obj, "reserved", cm_json_new_milli(reserved));
    failed |= cm_json_set(obj, "safetyStockCount", cm_json_new_milli(safety_stock));
    if (failed) {
        json_object_put(obj);
        return NULL;
    }
    return obj;
}

json_object *oci_render_location_record(const char *sku, const oci_quantities *record)
{
    json_object *obj = common_fields(sku, oci_qty_record_atf(record), oci_qty_record_ato(record),
                                     record->on_hand, record->reserved, record->safety_stock);
    json_object *futures = obj ? oci_render_futures(record->futures, record->future_count) : NULL;
    if (!futures) {
        json_object_put(obj);
        return NULL;
    }
    int failed = record->has_effective_date ? oci_render_time(obj, "effectiveDate", record->effective_ms) : 0;
    failed |= cm_json_set(obj, "futures", futures);
    if (failed) {
        json_object_put(obj);
        return NULL;
    }
    return obj;
}

json_object *oci_render_group_record(const char *sku, const oci_group_sum *sum)
{
    json_object *obj = common_fields(sku, oci_group_sum_atf(sum), oci_group_sum_ato(sum), sum->on_hand,
                                     oci_group_sum_reserved_total(sum), sum->safety_stock);
    json_object *futures = obj ? oci_render_futures(sum->futures, sum->future_count) : NULL;
    if (!futures) {
        json_object_put(obj);
        return NULL;
    }
    int failed = cm_json_set(obj, "groupReserved", cm_json_new_milli(sum->group_reserved));
    failed |= cm_json_set(obj, "sharedGroupReserved", cm_json_new_milli(sum->shared_group_reserved));
    if (sum->has_effective_date)
        failed |= oci_render_time(obj, "effectiveDate", sum->effective_ms);
    failed |= cm_json_set(obj, "futures", futures);
    if (failed) {
        json_object_put(obj);
        return NULL;
    }
    return obj;
}
