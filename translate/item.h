/*
 * item.h - one legacy refresh item into one OCI availability record (decisions.md, "Translation").
 *
 * Pure functions: no I/O, no allocation, no global state. The same inputs always give the same
 * record, including its recordId, so a chunk delivered twice changes nothing twice.
 *
 * Rules:
 * - sku = the first non-empty identifier in the tenant's order (default sku, partNumber, upc);
 *   it must fit OCI's SKU rules (2..250 characters, none of \ < > ; % / or white space).
 * - onHand = quantity; safetyStockCount = floor mode max → max(safetyStock, floor),
 *   sum → safetyStock + floor, ignore → safetyStock (absent values count as 0).
 * - effectiveDate = the moment the job was accepted.
 * - recordId = a UUID derived from (installation, tenant, jobID, item index): its first bits are
 *   the job id and the item index, so ids sort in the order records are produced (OCI's
 *   applied-id index then grows at its end instead of at random places), and the rest is a
 *   SHA-256 of all four, so two gateway installations (or a re-created gateway.db whose job ids
 *   start again at 1) never produce the same id.
 */
#ifndef TR_ITEM_H
#define TR_ITEM_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "common/config.h"
#include "common/digest.h"
#include "common/uuid.h"

#define TR_SKU_MIN_LENGTH 2
#define TR_SKU_MAX_LENGTH 250
/* The largest magnitude of a quantity, safety stock or floor (the gateway's GW_MAX_QUANTITY, 10^12:
 * exact in OCI's thousandths and in doubles). The gateway refuses larger values; one read from a
 * stored row was damaged after, and the item is refused instead of overflowing. */
#define TR_MAX_QUANTITY 1000000000000LL
#define TR_WHY_MAX 128

/* A validated legacy item. Strings are borrowed from whoever owns the parsed request. */
typedef struct tr_legacy_item {
    const char *sku;         /* NULL when absent */
    const char *part_number; /* NULL when absent */
    const char *upc;         /* NULL when absent */
    int64_t quantity;        /* ≥ 0 for refresh */
    int has_safety_stock;
    int64_t safety_stock;
    int has_floor;
    int64_t floor;
} tr_legacy_item;

/* What a job contributes to every record it produces. */
typedef struct tr_context {
    const char *installation_id; /* the gateway installation's random id; NULL is read as "" */
    int64_t tenant_id;
    int64_t job_id;
    const char *location_id; /* OCI location id */
    int64_t effective_ms;    /* the job's acceptance time */
    const cm_identifier *sku_from;
    size_t sku_from_count;
    cm_floor_mode floor;
    /* NULL: each record id is hashed whole (tr_record_id); else the ids of this context's job,
     * made from a hashed prefix (tr_translate_chunk sets it for the items of one chunk). */
    struct tr_record_ids *record_ids;
} tr_context;

/* One OCI availability record. `sku` and `location_id` are borrowed. */
typedef struct tr_record {
    char record_id[CM_UUID_TEXT_LEN + 1];
    const char *sku;
    const char *location_id;
    int64_t on_hand_milli;
    int64_t safety_stock_milli;
    int64_t effective_ms;
    size_t item_index; /* position of the item in the legacy request */
} tr_record;

/* The identifier that becomes the OCI sku, or NULL when none of the listed ones is non-empty. */
const char *tr_choose_sku(const tr_legacy_item *item, const cm_identifier *order, size_t count);

/* Returns 1 when `sku` fits OCI's SKU rules; else 0 and `why` says which rule it breaks. */
int tr_sku_is_valid(const char *sku, char why[TR_WHY_MAX]);

/* safetyStockCount in whole units under the tenant's floor mode. */
int64_t tr_safety_stock(cm_floor_mode mode, const tr_legacy_item *item);

/* Writes the deterministic record id of (installation, tenant, job, item index); see above.
 * CM_OK, or CM_ENOMEM when libcrypto could not hash (then `out` is undefined). */
cm_err tr_record_id(const char *installation_id, int64_t tenant_id, int64_t job_id, size_t item_index,
                  char out[CM_UUID_TEXT_LEN + 1]);

/* The record ids of one job, made faster than one tr_record_id each and equal to them: the hashed
 * name's constant part ("<installation>/<tenant>/<job>/") is hashed once. */
typedef struct tr_record_ids {
    cm_sha256_prefixed hash;
    int prefixed; /* 0: the prefix could not be kept (no memory, or a name cut short): tr_record_id */
    const char *installation_id;
    int64_t tenant_id, job_id;
} tr_record_ids;

/* Never fails: without the prefix each id is made by tr_record_id. Free with tr_record_ids_free. */
void tr_record_ids_init(tr_record_ids *ids, const char *installation_id, int64_t tenant_id, int64_t job_id);
/* tr_record_id(installation, tenant, job, item_index), byte for byte. */
cm_err tr_record_ids_make(tr_record_ids *ids, size_t item_index, char out[CM_UUID_TEXT_LEN + 1]);
void tr_record_ids_free(tr_record_ids *ids);

/*
 * Translates one item. Returns 0, or -1 when the item has no usable sku (then `why` says why and
 * *out is untouched). Validation at acceptance makes -1 impossible for stored items.
 */
int tr_translate_item(const tr_context *context, const tr_legacy_item *item, size_t item_index,
                      tr_record *out, char why[TR_WHY_MAX]);

/*
 * Reads a stored (normalized) item: the object the gateway writes after validation, with keys
 * sku, partNumber, upc, quantity, safetyStock, floor. Returns 0 or -1 when it is malformed.
 * Strings stay owned by `object`.
 */
int tr_legacy_item_from_json(const json_object *object, tr_legacy_item *out);

/*
 * The legacy fields of a stored (normalized) item that OCI has no place for: every key except
 * quantity, safetyStock, floor and the identifier used as the OCI sku (`used_identifier`: "sku",
 * "partNumber" or "upc"). Returns a new object (caller puts it) or NULL when nothing is left.
 * The gateway keeps these per (tenant, location, sku) so that nothing of a request is lost.
 */
json_object *tr_extras(json_object *item, const char *used_identifier);

#endif
