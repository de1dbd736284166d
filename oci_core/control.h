/*
 * control.h - the emulator's control plane on the OCI port, under /_omsgw/ (outside every OCI
 * namespace), and the hooks that make the core misbehave on purpose.
 *
 * It promises:
 * - every /_omsgw/ route needs `Authorization: Bearer <oci.control.token>` (401 JSON otherwise);
 *   when oci.control.enabled is false the routes answer 404 as if they did not exist;
 * - control replies and errors are application/json {"error": "<code>", "message": "…",
 *   "field": "…"?}, never the OCI shapes, so a script can tell the emulator from the service;
 * - fault rules (control_faults.c) apply to OCI routes only, never to /_omsgw/ or /healthz;
 * - the journal (control_journal.c) keeps the last oci.control.journalSize requests of the OCI
 *   port, control calls and /healthz excluded, newest first by arrival; after DELETE it holds
 *   exactly the requests that arrived after it;
 * - thread safety: every function may be called from any server or worker thread.
 * It never touches the store directly except through store.h (state export/import and reset).
 */
#ifndef OCI_CONTROL_H
#define OCI_CONTROL_H

#include <stdint.h>

#include "common/err.h"
#include "common/http_server.h"

typedef struct oci_core oci_core;
typedef struct oci_control oci_control;

#define OCI_CONTROL_PREFIX "/_omsgw/"
#define OCI_EMULATOR_HEADER "x-omsgw-emulator"
#define OCI_CONTROL_TOKEN_MAX 256
#define OCI_STATE_FORMAT "omsgw-oci-state"
#define OCI_STATE_VERSION 1
#define OCI_STATE_BODY_MAX (64u * 1024u * 1024u) /* a snapshot, both ways */
#define OCI_CLOCK_ADVANCE_MAX_SECONDS (366LL * 86400)

/* Creates the control plane of `core` (faults, journal, the control token: oci.control.token, or
 * a random one when none is configured, written to <data dir>/control-token with mode 0600 and
 * never logged). NULL when out of memory. */
oci_control *oci_control_new(oci_core *core);
void oci_control_free(oci_control *control);

/* The control token in force (configured or generated); owned by the control plane. *generated
 * (may be NULL) is 1 when it was made at start because none was configured. */
const char *oci_control_token(const oci_control *control, int *generated);

/* The `before` hook's part: authenticates /_omsgw/ calls, and applies the matching fault rule to
 * an OCI route (sleeps for latencyMs or stallMs on this server thread, then answers its status or
 * drops the connection). Returns 1 when the request was answered or dropped. */
int oci_control_before(oci_core *core, cm_http_request *request);

/* The `after` hook: one journal entry per OCI-port request (control calls excluded). */
void oci_control_after(cm_http_request *request, int status, int64_t elapsed_ms, void *core);

/* For the import worker: 1 when an active failImportLines rule of `org` matches `sku` (the rule's
 * count, if any, is used up by one). The message to record goes into `message`. */
int oci_control_fail_import_line(oci_core *core, const char *org, const char *sku, char message[160]);

/* Wakes sleeping fault delays so a stopping server does not wait for them. */
void oci_control_shutdown(oci_control *control);

/* The known deviations from the real service, as a JSON array of strings (new reference). */
struct json_object *oci_control_deviations(void);

/* ---- route handlers (data is the oci_core) ---- */
void oci_route_control_health(cm_http_request *request, void *data);
void oci_route_control_reset(cm_http_request *request, void *data);
void oci_route_control_export(cm_http_request *request, void *data);
void oci_route_control_import(cm_http_request *request, void *data);
void oci_route_control_clock(cm_http_request *request, void *data);
void oci_route_control_fault_add(cm_http_request *request, void *data);
void oci_route_control_fault_list(cm_http_request *request, void *data);
void oci_route_control_fault_delete(cm_http_request *request, void *data);
void oci_route_control_fault_clear(cm_http_request *request, void *data);
void oci_route_control_journal(cm_http_request *request, void *data);
void oci_route_control_journal_clear(cm_http_request *request, void *data);

/* Replies with the control plane's JSON error shape. */
void oci_control_reply_error(cm_http_request *request, int status, const char *code, const char *message,
                             const char *field);

#endif
