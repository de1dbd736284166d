/*
 * quantity.h - the availability arithmetic of OCI, pure and exact.
 *
 * Quantities are int64 thousandths. It promises:
 * - atf = max(0, onHand - reserved - safetyStockCount)
 * - ato = max(0, onHand + sum(futures) - reserved - safetyStockCount)
 * - a group's figures are sums over its member locations, futures with the same expectedDate
 *   merged, plus the group's own reservations; its ATF/ATO come from those sums.
 * No allocation except in oci_group_sum_add (which says so), no I/O.
 */
#ifndef OCI_QUANTITY_H
#define OCI_QUANTITY_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "oci_core/oci_core.h"

/* The stored state of one location record. */
typedef struct oci_quantities {
    int64_t on_hand, reserved, safety_stock;
    int has_effective_date;
    int64_t effective_ms;
    size_t future_count;
    oci_future futures[OCI_MAX_FUTURES];
} oci_quantities;

int64_t oci_qty_futures_total(const oci_future *futures, size_t count);
int64_t oci_qty_atf(int64_t on_hand, int64_t reserved, int64_t safety_stock);
int64_t oci_qty_ato(int64_t on_hand, int64_t futures_total, int64_t reserved, int64_t safety_stock);
int64_t oci_qty_record_atf(const oci_quantities *record);
int64_t oci_qty_record_ato(const oci_quantities *record);

/*
 * Merges `count` futures into (futures, *used) of capacity `capacity`: a future whose expectedDate
 * is already there adds its quantity, others are inserted keeping the list sorted by date.
 * CM_ETOOBIG when a new date does not fit (nothing after that entry is merged).
 */
cm_err oci_qty_merge_futures(oci_future *futures, size_t *used, size_t capacity,
                             const oci_future *add, size_t count);

/* A group aggregate being built. Its futures array grows on the heap: free with oci_group_sum_free. */
typedef struct oci_group_sum {
    int64_t on_hand, reserved, safety_stock;
    int64_t group_reserved, shared_group_reserved;
    int has_effective_date;
    int64_t effective_ms; /* the latest member effectiveDate */
    size_t member_count;  /* member records added */
    size_t future_count, future_capacity;
    oci_future *futures;
} oci_group_sum;

void oci_group_sum_init(oci_group_sum *sum);
/* Adds one member location's record. CM_ENOMEM leaves the sum as it was before the call. */
cm_err oci_group_sum_add(oci_group_sum *sum, const oci_quantities *member);
int64_t oci_group_sum_reserved_total(const oci_group_sum *sum);
int64_t oci_group_sum_atf(const oci_group_sum *sum);
int64_t oci_group_sum_ato(const oci_group_sum *sum);
void oci_group_sum_free(oci_group_sum *sum);

#endif
