/*
 * adjust.h - turning an ADJUST chunk's signed deltas into absolute on-hand writes.
 *
 * OCI has no "add to on-hand" operation, only absolute writes (batch-update, imports), and
 * fulfilments lower on-hand concurrently. So an adjust chunk:
 * 1. reads the current on-hand of its SKUs at the job's location (get-availability through the
 *    delivery, at most Q_READ_MAX_COMBINATIONS SKUs a call), noting the moment T before the read;
 * 2. computes on-hand + delta per item (a SKU listed twice in the chunk adds both deltas: the
 *    second starts from the first's result), clamped at 0 because OCI's onHand has minimum 0
 *    (RAML: onHand minimum 0); each clamp becomes a note for the job's messages; a SKU OCI has no
 *    record of starts from 0;
 * 3. stamps every write with effectiveDate = T, so a fulfilment whose time is after T still counts
 *    against the written value (OCI's effectiveDate rule, oci-api.md §3.2);
 * 4. saves those values as the chunk's state (q_store_save_chunk_state, fenced and durable) BEFORE
 *    the chunk is delivered. A chunk delivered again (a retry, a crash, another instance taking
 *    the job over) loads the saved values instead of reading again, so no delta is added twice.
 * Safety stock is kept as read (an adjust changes on-hand only).
 */
#ifndef Q_ADJUST_H
#define Q_ADJUST_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "common/body.h"
#include "queue/delivery.h"
#include "queue/store.h"
#include "translate/item.h"

/* The arithmetic of step 2 in thousandths: current + delta_units × 1000, at least 0. *clamped is
 * set to 1 when the result had to be raised to 0. */
int64_t q_adjust_on_hand(int64_t current_milli, int64_t delta_units, int *clamped);

typedef struct q_adjust_chunk {
    q_store *store;
    q_delivery *delivery;
    const char *worker_token;
    int64_t job_id;
    int64_t chunk_index;
    const char *organization_id;
    tr_record *records;     /* translated items; on_hand_milli holds delta × 1000 on entry */
    size_t record_count;
    int64_t read_ms;        /* for tests: 0 means "now" */
} q_adjust_chunk;

typedef enum q_adjust_outcome {
    Q_ADJUST_READY,   /* records hold the absolute values to deliver */
    Q_ADJUST_RETRY,   /* reading or saving failed in a way that may pass; `message` says why */
    Q_ADJUST_FINAL,   /* OCI refused the read (4xx); `message` says why */
    Q_ADJUST_LOST,    /* the worker no longer holds the job: let it go */
} q_adjust_outcome;

/*
 * Steps 1–4 for one chunk: on READY every record's on_hand_milli, safety_stock_milli and
 * effective_ms are the values to deliver (the saved ones when the chunk was prepared before).
 */
q_adjust_outcome q_adjust_prepare(q_adjust_chunk *chunk, char message[Q_DELIVERY_MESSAGE_MAX]);

/* The clamp notes of a saved chunk state, appended to `messages` (queue/messages.h). For the job's
 * final messages; nothing happens when the state has none or cannot be read. */
void q_adjust_add_notes(q_store *store, int64_t job_id, int64_t chunk_index, cm_body *messages);

#endif
