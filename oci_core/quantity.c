#include "oci_core/quantity.h"

#include <stdlib.h>
#include <string.h>

static int64_t clamp_zero(int64_t value)
{
    return value < 0 ? 0 : value;
}

int64_t oci_qty_futures_total(const oci_future *futures, size_t count)
{
    int64_t total = 0;
    for (size_t i = 0; i < count; i++)
        total += futures[i].quantity_milli;
    return total;
}

int64_t oci_qty_atf(int64_t on_hand, int64_t reserved, int64_t safety_stock)
{
    return clamp_zero(on_hand - reserved - safety_stock);
}

int64_t oci_qty_ato(int64_t on_hand, int64_t futures_total, int64_t reserved, int64_t safety_stock)
{
    return clamp_zero(on_hand + futures_total - reserved - safety_stock);
}

int64_t oci_qty_record_atf(const oci_quantities *record)
{
    return oci_qty_atf(record->on_hand, record->reserved, record->safety_stock);
}

int64_t oci_qty_record_ato(const oci_quantities *record)
{
    return oci_qty_ato(record->on_hand, oci_qty_futures_total(record->futures, record->future_count),
                       record->reserved, record->safety_stock);
}

cm_err oci_qty_merge_futures(oci_future *futures, size_t *used, size_t capacity,
                             const oci_future *add, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        size_t at = 0;
        while (at < *used && futures[at].expected_ms < add[i].expected_ms)
            at++;
        if (at < *used && futures[at].expected_ms == add[i].expected_ms) {
            futures[at].quantity_milli += add[i].quantity_milli;
            continue;
        }
        if (*used >= capacity)
            return CM_ETOOBIG;
        memmove(&futures[at + 1], &futures[at], (*used - at) * sizeof *futures);
        futures[at] = add[i];
        (*used)++;
    }
    return CM_OK;
}

void oci_group_sum_init(oci_group_sum *sum)
{
    memset(sum, 0, sizeof *sum);
}

cm_err oci_group_sum_add(oci_group_sum *sum, const oci_quantities *member)
{
    size_t needed = sum->future_count + member->future_count;
    if (needed > sum->future_capacity) {
        size_t capacity = sum->future_capacity ? sum->future_capacity * 2 : OCI_MAX_FUTURES;
        while (capacity < needed)
            capacity *= 2;
        oci_future *grown = realloc(sum->futures, capacity * sizeof *grown);
        if (!grown)
            return CM_ENOMEM;
        sum->futures = grown;
        sum->future_capacity = capacity;
    }
    /* Capacity covers every new date, so the merge cannot fail. */
    oci_qty_merge_futures(sum->futures, &sum->future_count, sum->future_capacity, member->futures,
                          member->future_count);
    sum->on_hand += member->on_hand;
    sum->reserved += member->reserved;
    sum->safety_stock += member->safety_stock;
    if (member->has_effective_date &&
        (!sum->has_effective_date || member->effective_ms > sum->effective_ms)) {
        sum->has_effective_date = 1;
        sum->effective_ms = member->effective_ms;
    }
    sum->member_count++;
    return CM_OK;
}

int64_t oci_group_sum_reserved_total(const oci_group_sum *sum)
{
    return sum->reserved + sum->group_reserved + sum->shared_group_reserved;
}

int64_t oci_group_sum_atf(const oci_group_sum *sum)
{
    return oci_qty_atf(sum->on_hand, oci_group_sum_reserved_total(sum), sum->safety_stock);
}

int64_t oci_group_sum_ato(const oci_group_sum *sum)
{
    return oci_qty_ato(sum->on_hand, oci_qty_futures_total(sum->futures, sum->future_count),
                       oci_group_sum_reserved_total(sum), sum->safety_stock);
}

void oci_group_sum_free(oci_group_sum *sum)
{
    free(sum->futures);
    memset(sum, 0, sizeof *sum);
}
