/*
 * delivery.h - how the queue hands a translated chunk to OCI, whatever OCI is.
 *
 * One call delivers one chunk (up to the chunk size of records) and says what happened:
 * - Q_DELIVERY_OK: the chunk was handled; records OCI refused are listed in `refusals` (they are
 *   results, not failures, and are never retried);
 * - Q_DELIVERY_RETRY: nothing (or nothing certain) was applied and the cause may pass (connection
 *   refused, timeout, HTTP 5xx, 429); `retry_after_ms` carries the server's Retry-After or -1;
 * - Q_DELIVERY_FINAL: the chunk can never be delivered as it is (HTTP 4xx other than 429).
 * Delivering the same chunk twice must change nothing twice: records carry deterministic ids (HTTP),
 * and bundled delivery applies a chunk under its batch key at most once (see batch_key).
 * Implementations: bundled (in-process calls into oci_core) and http (libcurl), in delivery/.
 *
 * `read` is OCI's get-availability for (skus × locations), at most Q_READ_MAX_COMBINATIONS a call
 * (OCI's own cap): the adjust jobs read on-hand through it, and the inquiry routes answer from it.
 * The caller batches; one read call is one OCI call.
 */
#ifndef Q_DELIVERY_H
#define Q_DELIVERY_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "translate/item.h"

#define Q_DELIVERY_MESSAGE_MAX 256
#define Q_REFUSAL_MESSAGE_MAX 160

typedef struct q_chunk {
    int64_t tenant_id;
    int64_t job_id;
    const char *organization_id;
    const char *location_id;
    int64_t chunk_index;
    const tr_record *records;
    size_t record_count;
    /* Optional: the key under which in-process (bundled) delivery applies these records at most
     * once, with one marker for the batch instead of one claimed id per record. NULL (a job's own
     * chunk): the bundled delivery derives "<installation>/<tenant>/<job>/<chunk>". A coalesced
     * batch (several small jobs delivered together under the first job_id) sets its own, stable
     * across restarts because the batch's composition is stored before it is delivered (store.h,
     * q_store_claim_batch). Whoever sets it guarantees that a key is only ever delivered with
     * exactly the same records (a different set under a used key is refused as FINAL). HTTP
     * delivery ignores it (OCI's record ids stay the idempotency there). */
    const char *batch_key;
} q_chunk;

typedef enum q_delivery_status { Q_DELIVERY_OK, Q_DELIVERY_RETRY, Q_DELIVERY_FINAL } q_delivery_status;

typedef struct q_refusal {
    size_t record_index; /* index into q_chunk.records */
    char error_code[48];
    char message[Q_REFUSAL_MESSAGE_MAX];
} q_refusal;

typedef struct q_delivery_result {
    q_delivery_status status;
    int64_t retry_after_ms;
    char message[Q_DELIVERY_MESSAGE_MAX];
    size_t refusal_count;
    q_refusal *refusals; /* room for record_count entries, provided by the caller */
} q_delivery_result;

#define Q_READ_MAX_COMBINATIONS 100

/* One (location, sku) as OCI reports it, quantities in thousandths. found = 0 when the source
 * says it has no record (never loaded there): all quantities are 0 then. The bundled core can tell;
 * OCI's HTTP get-availability lists every combination asked for, with zeros for one never loaded,
 * so over HTTP found is 1 for every combination the answer lists (and 0 only for one it left out). */
typedef struct q_availability {
    int found;
    int64_t on_hand_milli, reserved_milli, safety_stock_milli, atf_milli;
} q_availability;

typedef struct q_read {
    const char *organization_id;
    const char *const *skus;
    size_t sku_count;
    const char *const *locations;
    size_t location_count; /* sku_count × location_count ≤ Q_READ_MAX_COMBINATIONS */
    q_availability *out;   /* sku_count × location_count, out[l * sku_count + s] */
} q_read;

typedef struct q_delivery q_delivery;
struct q_delivery {
    /* Delivers one chunk; fills *result (status always set). Must be callable from several worker
     * threads at once. `should_stop` may be polled during long waits: when it returns non-zero the
     * implementation may give up with Q_DELIVERY_RETRY. */
    void (*deliver)(q_delivery *self, const q_chunk *chunk, q_delivery_result *result,
                    int (*should_stop)(void *), void *stop_data);
    /* Reads availability (see above). Returns Q_DELIVERY_OK with every entry of read->out set, or
     * RETRY / FINAL with `message` saying why (nothing of out is meaningful then). Callable from
     * several threads at once. */
    q_delivery_status (*read)(q_delivery *self, const q_read *read, char message[Q_DELIVERY_MESSAGE_MAX]);
    void (*destroy)(q_delivery *self);
    /* Optional (NULL: the delivery cannot tell): 1 while the organization's location graph is
     * changing, so no import should start (OCI's guides ask for that); the pool's hold watcher
     * (queue/hold_watch.h) holds the organization's tenants meanwhile. */
    int (*graph_changing)(q_delivery *self, const char *organization_id);
};

#endif
