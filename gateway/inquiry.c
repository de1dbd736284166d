#include "gateway/inquiry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t gw_inquiry_plan(size_t sku_count, size_t location_count, size_t *skus_per_call, size_t *locations_per_call)
{
    /* Every rectangle of at most 100 cells is tried; the one with the fewest calls wins (ties: more
     * locations per call). Tiny loops: at most 100 candidates. */
    size_t best_calls = (size_t)-1;
    *skus_per_call = 1;
    *locations_per_call = 1;
    if (sku_count == 0 || location_count == 0)
        return 0;
    size_t max_locations = location_count < Q_READ_MAX_COMBINATIONS ? location_count : Q_READ_MAX_COMBINATIONS;
    for (size_t per_location = 1; per_location <= max_locations; per_location++) {
        size_t per_sku = Q_READ_MAX_COMBINATIONS / per_location;
        if (per_sku > sku_count)
            per_sku = sku_count;
        size_t calls = ((location_count + per_location - 1) / per_location) * ((sku_count + per_sku - 1) / per_sku);
        if (calls <= best_calls) {
            best_calls = calls;
            *skus_per_call = per_sku;
            *locations_per_call = per_location;
        }
    }
    return best_calls;
}

q_delivery_status gw_inquiry_read(q_delivery *delivery, const char *organization_id, const gw_inquiry *inquiry,
                                  q_availability *out, size_t *calls, char message[Q_DELIVERY_MESSAGE_MAX])
{
    size_t n = inquiry->item_count, m = inquiry->location_count;
    *calls = 0;
    message[0] = '\0';
    size_t per_sku, per_location;
    gw_inquiry_plan(n, m, &per_sku, &per_location);
    const char **skus = calloc(n ? n : 1, sizeof *skus);
    const char **codes = calloc(m ? m : 1, sizeof *codes);
    q_availability *block = calloc(Q_READ_MAX_COMBINATIONS, sizeof *block);
    q_delivery_status status = Q_DELIVERY_OK;
    if (!skus || !codes || !block) {
        snprintf(message, Q_DELIVERY_MESSAGE_MAX, "out of memory");
        status = Q_DELIVERY_RETRY;
    }
    for (size_t i = 0; status == Q_DELIVERY_OK && i < n; i++)
        skus[i] = inquiry->items[i].sku;
    for (size_t l = 0; status == Q_DELIVERY_OK && l < m; l++)
        codes[l] = inquiry->locations[l].code;
    for (size_t l0 = 0; status == Q_DELIVERY_OK && l0 < m; l0 += per_location) {
        size_t lc = m - l0 < per_location ? m - l0 : per_location;
        for (size_t s0 = 0; status == Q_DELIVERY_OK && s0 < n; s0 += per_sku) {
            size_t sc = n - s0 < per_sku ? n - s0 : per_sku;
            q_read read = {
                .organization_id = organization_id,
                .skus = skus + s0,
                .sku_count = sc,
                .locations = codes + l0,
                .location_count = lc,
                .out = block,
            };
            memset(block, 0, Q_READ_MAX_COMBINATIONS * sizeof *block);
            status = delivery->read(delivery, &read, message);
            (*calls)++;
            for (size_t l = 0; status == Q_DELIVERY_OK && l < lc; l++)
                for (size_t s = 0; s < sc; s++)
                    out[(l0 + l) * n + s0 + s] = block[l * sc + s];
        }
    }
    free(skus);
    free(codes);
    free(block);
    return status;
}

gw_row_numbers gw_inquiry_numbers(const gw_inquiry *inquiry, const q_availability *a)
{
    gw_row_numbers numbers;
    numbers.on_hand = a->on_hand_milli / 1000;
    numbers.allocated = a->reserved_milli / 1000;
    int64_t available = a->on_hand_milli - a->reserved_milli - (inquiry->ignore_safety_stock ? 0 : a->safety_stock_milli);
    if (available < 0 && !inquiry->include_negative)
        available = 0;
    numbers.available = available / 1000;
    return numbers;
}

static void add_identifiers(json_object *row, const gw_inquiry_item *item)
{
    if (item->part_number)
        json_object_object_add(row, "partNumber", json_object_new_string(item->part_number));
    if (item->upc)
        json_object_object_add(row, "upc", json_object_new_string(item->upc));
    json_object_object_add(row, "sku", json_object_new_string(item->sku_field ? item->sku_field : item->sku));
}

/* The legacy fields the last refresh kept, copied onto the row (safetyStock from OCI otherwise). */
static void add_extras(json_object *row, json_object *extras, const q_availability *a)
{
    static const char *const keys[] = {"ltd", "floor", "safetyStock", "retailPrice", "currencyID",
                                       "inventoryLocatorName", "attributes"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        json_object *value = NULL;
        if (extras && json_object_object_get_ex(extras, keys[k], &value))
            json_object_object_add(row, keys[k], json_object_get(value));
    }
    if (!extras || !json_object_object_get_ex(extras, "safetyStock", NULL))
        json_object_object_add(row, "safetyStock", json_object_new_int64(a->safety_stock_milli / 1000));
    if (!extras || !json_object_object_get_ex(extras, "floor", NULL))
        json_object_object_add(row, "floor", json_object_new_int64(0));
}

static json_object *make_row(const gw_inquiry *inquiry, const gw_inquiry_location *location,
                             const gw_inquiry_item *item, const q_availability *a, int hide_quantities,
                             gw_extras_fn extras_fn, void *extras_data)
{
    gw_row_numbers numbers = gw_inquiry_numbers(inquiry, a);
    json_object *row = json_object_new_object();
    json_object_object_add(row, "locationName", json_object_new_string(location->name));
    json_object_object_add(row, "locationCode", json_object_new_string(location->code));
    json_object_object_add(row, "tenantID", json_object_new_int64(inquiry->tenant_id));
    json_object_object_add(row, "onHand", json_object_new_int64(hide_quantities ? 0 : numbers.on_hand));
    json_object_object_add(row, "available", json_object_new_int64(hide_quantities ? 0 : numbers.available));
    json_object_object_add(row, "allocated", json_object_new_int64(numbers.allocated));
    json_object_object_add(row, "pending", json_object_new_int64(0));
    add_identifiers(row, item);
    json_object *extras = extras_fn ? extras_fn(extras_data, location->code, item->sku) : NULL;
    add_extras(row, extras, a);
    json_object_put(extras);
    return row;
}

json_object *gw_inquiry_rows(const gw_inquiry *inquiry, const q_availability *matrix, gw_extras_fn extras,
                             void *extras_data)
{
    json_object *rows = json_object_new_array();
    size_t n = inquiry->item_count;
    size_t limit = inquiry->limit ? inquiry->limit : n * 100;
    size_t kept = 0;
    for (size_t l = 0; l < inquiry->location_count; l++) {
        int protected_row = l < inquiry->priority_count;
        const q_availability *row_of = matrix + l * n;
        if (inquiry->type == GW_INQUIRY_ALL) {
            int all = 1;
            for (size_t i = 0; i < n && all; i++)
                all = gw_inquiry_numbers(inquiry, &row_of[i]).available >= inquiry->items[i].quantity;
            if (!all)
                continue;
        }
        for (size_t i = 0; i < n; i++) {
            int64_t available = gw_inquiry_numbers(inquiry, &row_of[i]).available;
            int hide = 0;
            switch (inquiry->type) {
            case GW_INQUIRY_ALL:
                break;
            case GW_INQUIRY_PARTIAL:
                if (available < inquiry->items[i].quantity)
                    continue;
                break;
            case GW_INQUIRY_ANY:
                if (available <= 0)
                    continue;
                break;
            case GW_INQUIRY_ALL_STORES:
                hide = available < inquiry->items[i].quantity;
                break;
            }
            if (!protected_row && kept >= limit)
                return rows;
            json_object_array_add(rows, make_row(inquiry, &inquiry->locations[l], &inquiry->items[i], &row_of[i],
                                                 hide, extras, extras_data));
            kept++;
        }
    }
    return rows;
}

json_object *gw_aggregate_rows(const gw_inquiry *inquiry, const q_availability *matrix, gw_extras_fn extras_fn,
                               void *extras_data)
{
    json_object *rows = json_object_new_array();
    size_t n = inquiry->item_count;
    for (size_t i = 0; i < n; i++) {
        int64_t on_hand = 0, available = 0, floor_total = 0;
        for (size_t l = 0; l < inquiry->location_count; l++) {
            gw_row_numbers numbers = gw_inquiry_numbers(inquiry, &matrix[l * n + i]);
            on_hand += numbers.on_hand;
            available += numbers.available;
            json_object *extras = extras_fn ? extras_fn(extras_data, inquiry->locations[l].code, inquiry->items[i].sku)
                                            : NULL;
            json_object *floor_value = NULL;
            if (extras && json_object_object_get_ex(extras, "floor", &floor_value))
                floor_total += json_object_get_int64(floor_value);
            json_object_put(extras);
        }
        json_object *row = json_object_new_object();
        json_object_object_add(row, "tenantID", json_object_new_int64(inquiry->tenant_id));
        json_object_object_add(row, "onHand", json_object_new_int64(on_hand));
        json_object_object_add(row, "available", json_object_new_int64(available));
        add_identifiers(row, &inquiry->items[i]);
        json_object_object_add(row, "floor", json_object_new_int64(floor_total));
        json_object_array_add(rows, row);
    }
    return rows;
}
