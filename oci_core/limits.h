/*
 * limits.h - every limit of the bundled OCI core, named once.
 *
 * The values follow the OCI RAML specifications and ../shared/spec/oci-api.md; the ones the
 * sources do not fix are our choices and say so.
 */
#ifndef OCI_LIMITS_H
#define OCI_LIMITS_H

#define OCI_BATCH_UPDATE_MAX_RECORDS 100      /* batch-update: 1..100 records (RAML maxItems) */
#define OCI_AVAILABILITY_MAX_COMBINATIONS 100 /* get-availability: skus x (locations + groups) */
#define OCI_UPLOAD_MAX_BYTES (100u * 1024u * 1024u) /* the gateway's upload limit */
#define OCI_LINK_DURATION_MAX_MINUTES 60
#define OCI_LINK_DURATION_DEFAULT_MINUTES 60
#define OCI_DELTA_TOKEN_TTL_MS (23LL * 3600 * 1000 + 30LL * 60 * 1000) /* 23.5 hours */
#define OCI_DELTA_PAGE_MAX_EVENTS 500   /* our choice: changes read per get-deltas call */
#define OCI_RESULT_LINK_TTL_MS (24LL * 3600 * 1000) /* our choice: export/import result files */
#define OCI_IMPORT_BATCH_LINES 4000     /* import lines applied per transaction (and checkpoint) */
#define OCI_IMPORT_LINE_MAX 65536       /* a longer import line is refused as one failed line */
#define OCI_JSON_BODY_MAX (1024u * 1024u) /* JSON request bodies of the OCI routes */
#define OCI_GRAPH_BODY_MAX (16u * 1024u * 1024u) /* admin location-graph replacement */
#define OCI_SKU_MIN 2
#define OCI_SKU_MAX 250
#define OCI_LOCATION_ID_MIN 2
#define OCI_LOCATION_ID_MAX 128
#define OCI_GROUP_ID_MIN 1
#define OCI_GROUP_ID_MAX 128
#define OCI_RECORD_ID_MAX 128          /* our choice for idempotency ids */
#define OCI_FILE_NAME_MAX 256
#define OCI_ISSUED_TOKENS_MAX 4096     /* OAuth tokens alive at once; the oldest is dropped */
#define OCI_READERS 4                   /* SQLite reader connections */
#define OCI_ID_MAX 64                   /* import, export and token ids (UUID text) */

/* ---- part 2: reservations and the event log ---- */
#define OCI_RESERVATION_ID_MAX 128       /* our choice: reservation document ids (path segment) */
#define OCI_RESERVATION_MAX_PLACES 100    /* our choice: locations + groups of one reservation document */
#define OCI_RESERVATION_MAX_LINES 1000    /* our choice: sku lines of one reservation document */
#define OCI_EXPIRATION_SECONDS_MIN 1      /* RAML ExpirationSeconds */
#define OCI_EXPIRATION_SECONDS_MAX 14400
#define OCI_MOVE_MAX_RECORDS 100          /* transfers, releases, fulfilments: 1..100 records (RAML) */
#define OCI_FINGERPRINT_MAX 600           /* what an operation id did, as text */
#define OCI_ALL_OR_NOTHING_ID_MAX 128     /* RAML AllOrNothingId */
#define OCI_EXPIRY_POLL_MS 200            /* our choice: how often expired reservations are looked for */
#define OCI_EVENT_LOG_MAX_PLACES 10       /* event-log export: locations + groups */
#define OCI_EVENT_LOG_MAX_WINDOW_MS (30LL * 24 * 3600 * 1000) /* event-log export: endsOn - startsOn */

/* ---- pruning (our choices; the event log needs 30 days of events) ---- */
#define OCI_PRUNE_INTERVAL_MS (10LL * 60 * 1000)           /* a prune pass every 10 minutes */
#define OCI_PRUNE_FINISHED_AFTER_MS (24LL * 3600 * 1000)   /* finished imports: 24 h after they end */
#define OCI_PRUNE_TOKEN_GRACE_MS (24LL * 3600 * 1000)      /* delta tokens: 24 h after expiring (410 meanwhile) */
#define OCI_EVENT_RETENTION_MS (31LL * 24 * 3600 * 1000)   /* events: 31 days (>= the 30-day export window) */
#define OCI_ID_RETENTION_MS (31LL * 24 * 3600 * 1000)      /* record and operation ids: 31 days */
#define OCI_PRUNE_BATCH 5000                                /* rows deleted per statement */
#define OCI_PRUNE_ID_WINDOWS 200 /* windows of OCI_PRUNE_BATCH claimed ids walked per prune pass (1 M ids) */

#endif
