/*
 * render.h - availability records as JSON, the way every OCI reply and file prints them:
 * quantities as numbers without trailing zeros, dates as RFC 3339 UTC, futures as
 * [{"expectedDate","quantity"}]. Each function returns a new object (caller puts it) or NULL
 * when out of memory.
 */
#ifndef OCI_RENDER_H
#define OCI_RENDER_H

#include <json-c/json.h>

#include "oci_core/quantity.h"

json_object *oci_render_futures(const oci_future *futures, size_t count);
/* {sku, atf, ato, onHand, reserved, safetyStockCount, effectiveDate?, futures} */
json_object *oci_render_location_record(const char *sku, const oci_quantities *record);
/* The same for a group, plus groupReserved and sharedGroupReserved. */
json_object *oci_render_group_record(const char *sku, const oci_group_sum *sum);
/* Adds "key": "<RFC 3339>" to obj; -1 when short of memory (cm_json_set), else 0. */
int oci_render_time(json_object *obj, const char *key, int64_t ms);

#endif
