/*
 * route_connect.h - the Connect REST API resources of OCI that Salesforce orgs call (Order
 * Management flows, Apex, scripts), served on the core's port over the same state as the headless
 * API: POST /services/data/v{version}/commerce/oci/availability/availability-records/actions/
 * get-availability and the reservation actions (reservations, fulfillments, releases, transfers),
 * for any version from 51.0 up.
 *
 * It promises: the request and reply shapes of the Connect REST API Developer Guide ("OCI Get
 * Inventory Availability Input/Output": stockKeepingUnit(s), locationIdentifiers,
 * locationGroupIdentifier(s), useCache; success, errors, locations[]/locationGroups[] of
 * inventoryRecords[]), computed by the headless get-availability (oci_availability_compute), so
 * both APIs answer the same figures. The organization is the token's (the path names none). Every
 * refusal is the Salesforce REST error shape, an array [{"errorCode","message"}]: 400
 * INVALID_INPUT / INVALID_API_INPUT, 401 INVALID_SESSION_ID, 403 INSUFFICIENT_ACCESS, 404 NOT_FOUND
 * for a version below 51.0 or malformed.
 */
#ifndef OCI_ROUTE_CONNECT_H
#define OCI_ROUTE_CONNECT_H

#include "common/http_server.h"

#define OCI_CONNECT_MIN_VERSION 51.0
/* The guide's file size limit for availability uploads. */
#define OCI_CONNECT_UPLOAD_MAX (10 * 1024 * 1024)
#define OCI_CONNECT_PREFIX "/services/data/{version}/commerce/oci"

/* Checks the version and the token of a Connect request, and remembers the token's organization
 * for the handler. Replies (and returns -1) when the request may not proceed. `scope` is one
 * CM_SCOPE_ bit. `core` is the oci_core. */
int oci_connect_before(void *core, cm_http_request *request, const char *version, unsigned scope);

/* `data` is the oci_core. */
void oci_route_connect_get_availability(cm_http_request *request, void *data);
/* POST …/commerce/oci/reservation/actions/{reservations,fulfillments,releases,transfers}: OCI
 * Create/Fulfill/Release/Transfer Reservation Input (createRecords, fulfillmentRecords,
 * releaseRecords, transferRecords with actionRequestId, stockKeepingUnit, quantity and
 * location(Group)Identifier fields) translated to the headless body and served by the headless
 * handler over the same state; 201 with the Output (success, errors, details). */
void oci_route_connect_reservations(cm_http_request *request, void *data);
void oci_route_connect_fulfillments(cm_http_request *request, void *data);
void oci_route_connect_releases(cm_http_request *request, void *data);
void oci_route_connect_transfers(cm_http_request *request, void *data);
/* POST …/commerce/oci/availability-records/uploads (multipart, the file in any single part, the
 * guide's "fileUpload"): an availability import of the file, 201 {success, errors, uploadId};
 * GET …/availability-records/uploads/{uploadId}: OCI Upload Inventory Availability Status Output. */
void oci_route_connect_upload(cm_http_request *request, void *data);
void oci_route_connect_upload_status(cm_http_request *request, void *data);
/* POST …/commerce/oci/location-graph/uploads (no payload): publishes the organization's current
 * graph (a graph export job), 201 {success, errors, uploadId}; GET …/location-graph/uploads/
 * {uploadId}: OCI Publish Location Structure Status Output. */
void oci_route_connect_publish(cm_http_request *request, void *data);
void oci_route_connect_publish_status(cm_http_request *request, void *data);

#endif
