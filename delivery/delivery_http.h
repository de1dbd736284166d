/*
 * delivery_http.h - the delivery that speaks OCI's HTTP API with libcurl (delivery.mode "http"),
 * to `delivery.baseUrl`: the bundled core on loopback or a real OCI host.
 *
 * A chunk of at most 100 records goes through batch-update (204: all applied; 200: each listed
 * error becomes a refusal of the record it names by id and sku). A larger chunk goes through an
 * availability import: submit, upload the gzip NDJSON file (with its SHA-256) as multipart, poll
 * the status on a schedule that learns the OCI's pace (delivery/import_poll.h), read the result file and refuse each failed line's record.
 * Outcomes follow queue/delivery.h through q_classify_http_status: no answer, timeouts, 5xx and
 * 429 are RETRY (a Retry-After on a 429 or 503 sets the wait); other 4xx are FINAL with the
 * status and OCI's errorCode and message. A 401 renews a token obtained by a login (OAuth or JWT, delivery/token_source.h) and
 * tries once more. An import that ended (COMPLETED,
 * FAILED, EXPIRED, STOPPED) is deleted afterwards, best effort. Re-delivering a chunk is harmless:
 * its record ids are deterministic and OCI skips ids it has applied.
 * Every call carries a new correlation-id, which failure messages quote.
 */
#ifndef DL_DELIVERY_HTTP_H
#define DL_DELIVERY_HTTP_H

#include "common/config.h"
#include "queue/delivery.h"

#define DL_DELIVERY_ERROR_MAX 600
/* Connecting takes at most this long, or delivery.timeoutSeconds when that is shorter. */
#define DL_HTTP_CONNECT_TIMEOUT_MAX_MS 10000
/* How long an import may take, from upload to result, before the chunk is retried. */
#define DL_IMPORT_WAIT_MAX_MS (15 * 60 * 1000)
/* Status polls (delivery/import_poll.h): before anything is learned, at once and then from 50 ms
 * doubling; once the OCI's pace is known, from 3/4 of the expected duration, never closer than
 * 5 ms; never further apart than 2 s. */
#define DL_IMPORT_POLL_FIRST_MS 50
#define DL_IMPORT_POLL_MIN_MS 5
#define DL_IMPORT_POLL_MAX_MS 2000
/* Failures in a row tolerated while polling an import before the chunk is handed back for retry. */
#define DL_IMPORT_POLL_FAILURES_MAX 5

/* The largest import result file read. A chunk's file lists at most one failed line per record
 * (~200 bytes each); a larger file is reported as an error, never cut short. */
#define DL_RESULT_FILE_MAX (64 * 1024 * 1024)

/* Tuning for tests; zero fields take the defaults above. */
typedef struct dl_delivery_http_options {
    int64_t import_wait_max_ms;
    int64_t poll_first_ms;
    int64_t poll_min_ms;
    int64_t poll_max_ms;
    int64_t result_file_max;
} dl_delivery_http_options;

/*
 * A new http delivery for the delivery section of `config` (which must outlive it). Initializes
 * libcurl: call from the main thread before worker threads start. On failure returns NULL with
 * one sentence in `error`. Destroy with its destroy member.
 */
q_delivery *dl_delivery_http_new(const cm_config *config, const dl_delivery_http_options *options,
                                  char error[DL_DELIVERY_ERROR_MAX]);

/* OAuth tokens obtained so far by this delivery (0 with a fixed token): for tests. */
int64_t dl_delivery_http_token_fetches(q_delivery *delivery);

/* The delivery's token source, to share its login (and its renewals) with other callers of the
 * same OCI. Borrowed: lives as long as the delivery. */
struct dl_token_source *dl_delivery_http_tokens(q_delivery *delivery);

/* Internal organization calls made after JWT logins (0 with other logins): for tests. */
int64_t dl_delivery_http_provisions(q_delivery *delivery);

/* Imports this delivery deleted (or found already gone) after they ended: for tests. */
int64_t dl_delivery_http_imports_deleted(q_delivery *delivery);

/* The pace learned from the imports seen to end, in microseconds per record (0: none yet). */
int64_t dl_delivery_http_import_pace_us(q_delivery *delivery);

#endif
