#include "oci_core/render.h"

#include "common/clock.h"
#include "common/json_util.h"

void oci_render_time(json_object *obj, const char *key, int64_t ms)
{
    char text[CM_TIME_TEXT_MAX];
    cm_time_format_ms(ms, text);
    json_object_object_add(obj, key, json_object_new_string(text));
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
        oci_render_time(future, "expectedDate", futures[i].expected_ms);
        json_object_object_add(future, "quantity", cm_json_new_milli(futures[i].quantity_milli));
        json_object_array_add(array, future);
    }
    return array;
}

static json_object *common_fields(const char *sku, int64_t atf, int64_t ato, int64_t on_hand,
                                  int64_t reserved, int64_t safety_stock)
{
    json_object *obj = json_object_new_object();
    if (!obj)
        return NULL;
    json_object_object_add(obj, "sku", json_object_new_string(sku));
    json_object_object_add(obj, "atf", cm_json_new_milli(atf));
    json_object_object_add(obj, "ato", cm_json_new_milli(ato));
    json_object_object_add(obj, "onHand", cm_json_new_milli(on_hand));
    json_object_object_add(obj, "reserved", cm_json_new_milli(reserved));
    json_object_object_add(obj, "safetyStockCount", cm_json_new_milli(safety_stock));
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
    if (record->has_effective_date)
        oci_render_time(obj, "effectiveDate", record->effective_ms);
    json_object_object_add(obj, "futures", futures);
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
    json_object_object_add(obj, "groupReserved", cm_json_new_milli(sum->group_reserved));
    json_object_object_add(obj, "sharedGroupReserved", cm_json_new_milli(sum->shared_group_reserved));
    if (sum->has_effective_date)
        oci_render_time(obj, "effectiveDate", sum->effective_ms);
    json_object_object_add(obj, "futures", futures);
    return obj;
}
