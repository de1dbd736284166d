/*
 * inquiry.h - the legacy inquiry and aggregate answers, from OCI availability (pure code but for
 * the reads, which go through a q_delivery's read operation).
 *
 * What it promises (legacy-adjust-inquiry.md §2–4; README "Compatibility"):
 * - Reads: the items' OCI skus at the selected locations, in as few get-availability calls of at
 *   most Q_READ_MAX_COMBINATIONS (sku × location) as a rectangular split allows: 100 items over
 *   10 locations is 10 calls.
 * - Rows: one per (location × item), locations in the selected order (priority list first), items
 *   in request order. onHand = OCI onHand; allocated = OCI reserved; pending = 0 (OCI has no
 *   back-orders); available = onHand − reserved − safetyStockCount (OCI's atf), without the safety
 *   stock when ignoreSafetyStock, and never below 0 unless includeNegativeInventory.
 *   Quantities are whole units (OCI thousandths are cut toward zero).
 * - type, against each item's requested quantity q: ALL keeps the locations where every item has
 *   available ≥ q (all their items shown); PARTIAL keeps, per location, the items with
 *   available ≥ q; ANY keeps the items with available > 0; ALL_STORES (one item) shows every
 *   location, with onHand and available 0 where available < q.
 * - limit cuts the rows (default items × 100); rows of priority-list locations are never cut.
 * - Aggregate: one row per item, totals of onHand and available over the locations (each
 *   location's available counted as above), floor summed from the kept legacy fields.
 */
#ifndef GW_INQUIRY_H
#define GW_INQUIRY_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "queue/delivery.h"

typedef enum gw_inquiry_type {
    GW_INQUIRY_ALL,
    GW_INQUIRY_PARTIAL,
    GW_INQUIRY_ANY,
    GW_INQUIRY_ALL_STORES,
} gw_inquiry_type;

typedef struct gw_inquiry_item {
    const char *sku;         /* the OCI sku (the tenant's skuFrom order) */
    const char *sku_field;   /* the identifiers as sent, NULL when absent: echoed in rows */
    const char *part_number;
    const char *upc;
    int64_t quantity;        /* requested (inquiry), 0 for aggregate */
} gw_inquiry_item;

typedef struct gw_inquiry_location {
    const char *name; /* legacy locationName */
    const char *code; /* OCI location id (the row's locationCode) */
} gw_inquiry_location;

typedef struct gw_inquiry {
    gw_inquiry_type type;
    const gw_inquiry_item *items;
    size_t item_count;
    const gw_inquiry_location *locations; /* the selected ones, priority list first */
    size_t location_count;
    size_t priority_count; /* the first priority_count locations: rows never cut by limit */
    size_t limit;          /* 0: items × 100 */
    int ignore_safety_stock;
    int include_negative;
    int64_t tenant_id;
} gw_inquiry;

/* Looks up the legacy fields kept for (location code, sku): a new JSON object or NULL. */
typedef json_object *(*gw_extras_fn)(void *data, const char *location_code, const char *sku);

/* How many calls the split takes, and the split: `locations_per_call` × `skus_per_call` ≤ 100. */
size_t gw_inquiry_plan(size_t sku_count, size_t location_count, size_t *skus_per_call, size_t *locations_per_call);

/*
 * Reads the availability of every (location, item) into out[l * item_count + i]. Returns
 * Q_DELIVERY_OK, or the first failed call's status with `message`. *calls counts the OCI calls.
 */
q_delivery_status gw_inquiry_read(q_delivery *delivery, const char *organization_id, const gw_inquiry *inquiry,
                                  q_availability *out, size_t *calls, char message[Q_DELIVERY_MESSAGE_MAX]);

/* The row quantities of one (location, item), by the rules above. */
typedef struct gw_row_numbers {
    int64_t on_hand, available, allocated;
} gw_row_numbers;
gw_row_numbers gw_inquiry_numbers(const gw_inquiry *inquiry, const q_availability *availability);

/* The inquiry answer: a new JSON array of rows. `extras` may be NULL. */
json_object *gw_inquiry_rows(const gw_inquiry *inquiry, const q_availability *matrix, gw_extras_fn extras,
                             void *extras_data);

/* The aggregate answer: a new JSON array, one row per item. */
json_object *gw_aggregate_rows(const gw_inquiry *inquiry, const q_availability *matrix, gw_extras_fn extras,
                               void *extras_data);

#endif
