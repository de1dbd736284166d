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
#define OCI_IMPORT_BATCH_LINES 1000     /* import lines applied per transaction (and checkpoint) */
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

#endif
