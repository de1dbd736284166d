/*
 * chunk_records.h - the worker's first step for a chunk: load its stored items and translate them
 * into OCI records (translate/chunk.h), with the per-item failures and the legacy extras the
 * checkpoint keeps. Private to queue/.
 *
 * Memory: the chunk's stored text (read in place), the records and one buffer of extras texts;
 * no json-c tree (a 3000-item chunk costs about 1 MB here, where its parsed tree alone took ~4 MB).
 */
#ifndef Q_CHUNK_RECORDS_H
#define Q_CHUNK_RECORDS_H

#include "common/config.h"
#include "queue/store.h"
#include "translate/chunk.h"

typedef struct q_chunk_records {
    tr_chunk chunk;            /* records, failures (item indexes in the job), extras texts */
    q_item_failure *failures;  /* room for every item: the chunk's failures first, then the caller's */
    size_t failure_count;
    q_item_extra *extras;      /* per record that keeps something: its sku and extras text */
    size_t extra_count;
} q_chunk_records;

typedef enum q_chunk_load {
    Q_CHUNK_LOADED,
    Q_CHUNK_MISSING, /* the chunk's row is gone (CM_ENOTFOUND): the job cannot go on */
    Q_CHUNK_CORRUPT, /* the row cannot be read: the job cannot go on */
    Q_CHUNK_AGAIN,   /* the store or memory failed for now: try later */
} q_chunk_load;

/* Loads and translates chunk `chunk_index` of `job` under `tenant`'s rules. On anything but
 * Q_CHUNK_LOADED `why` holds a sentence for the job's messages. Always q_chunk_records_clear. */
q_chunk_load q_chunk_records_load(q_store *store, const q_job *job, const cm_tenant *tenant, int64_t chunk_index,
                                  q_chunk_records *out, char why[160]);

void q_chunk_records_clear(q_chunk_records *records);

#endif
