/*
 * reserve.h - changing reserved quantities inside an open write transaction: the one place where
 * reservations, transfers, releases and fulfilments touch records, so that each checks the group
 * promises (promise.h) the same way and stores its event (old and new figures).
 *
 * Every function takes the writer of a transaction the caller commits or rolls back; a non-CM_OK
 * return is a storage failure (or CM_ENOMEM) and the caller must roll back. Business refusals are
 * reported through *outcome and change nothing. Places are checked against the graph by the
 * callers (routes); a group or location unknown here is treated as holding nothing.
 */
#ifndef OCI_RESERVE_H
#define OCI_RESERVE_H

#include <stdint.h>

#include "oci_core/graph.h"
#include "oci_core/store.h"

typedef enum oci_move_outcome {
    OCI_MOVE_DONE = 0,
    OCI_MOVE_INSUFFICIENT = 1, /* not enough reserved at the source or available at the destination */
} oci_move_outcome;

typedef struct oci_reserve_request {
    const char *org, *sku, *reservation_id; /* reservation_id: the document the lines belong to */
    const char *place_type;                 /* "location" or "group" */
    const char *place_id;
    int64_t quantity;
    int allow_partial; /* reserve what is available (down to 0) instead of all or nothing */
    int fulfill_only;  /* against ATF instead of ATO */
    int64_t now_ms;
} oci_reserve_request;

/* Reserves at a location or group; *reserved is what was taken (0..quantity). */
cm_err oci_reserve_place(oci_store_conn *writer, const oci_graph *graph, const oci_reserve_request *request,
                         int64_t *reserved);

typedef struct oci_place {
    const char *type; /* "location" or "group" */
    const char *id;
} oci_place;

/* Moves reserved quantity from one place to another (the route has refused the forbidden
 * combinations). `force` skips the availability check at the destination. */
cm_err oci_transfer(oci_store_conn *writer, const oci_graph *graph, const char *org, const char *sku,
                    oci_place from, oci_place to, int64_t quantity, int force, const char *record_id,
                    int64_t now_ms, oci_move_outcome *outcome);

/* Removes reserved quantity from a place. With `clamp`, takes at most what is there (cancel,
 * expiry) and never refuses; *released says how much went. */
cm_err oci_release(oci_store_conn *writer, const char *org, const char *sku, oci_place place, int64_t quantity,
                   int clamp, const char *event_type, const char *record_id, int64_t now_ms,
                   oci_move_outcome *outcome, int64_t *released);

/* Fulfils at a location: reserved goes down by `quantity` and so does onHand unless the
 * fulfilment happened before the record's effectiveDate (has_time: fulfillment_ms is given;
 * otherwise now). */
cm_err oci_fulfil(oci_store_conn *writer, const char *org, const char *location, const char *sku,
                  int64_t quantity, int has_time, int64_t fulfillment_ms, const char *record_id, int64_t now_ms,
                  oci_move_outcome *outcome);

/* Releases what remains of every line of a reservation document (at most what each place still
 * holds) and closes it with `status` (CANCELLED or EXPIRED). *closed = 0 when it was not OPEN. */
cm_err oci_reservation_close(oci_store_conn *writer, const char *org, const char *id, const char *status,
                             int64_t now_ms, int *closed);

/* A group's figures for get-availability and exports: its own reservations and what other groups'
 * promises lock at its locations (sharedGroupReserved). Works on any connection. */
cm_err oci_group_promise_figures(oci_store_conn *conn, const oci_graph *graph, const char *org, const char *sku,
                                 const char *group_id, int64_t *group_reserved, int64_t *shared_group_reserved);

#endif
