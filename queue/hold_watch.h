/*
 * hold_watch.h - holds a tenant's deliveries while its organization's location graph changes.
 *
 * OCI's guides ask for no imports while the location graph changes (group totals are
 * inconsistent meanwhile). A watcher thread asks the delivery, every interval, whether each
 * configured organization's graph is changing (q_delivery.graph_changing), holds the organization's
 * tenants with a Q_HOLD_GRAPH_CHANGE hold while it is (their jobs stay PENDING, in order, and a job
 * in progress stops at its next chunk boundary) and releases them when it is over. At its first
 * look it releases graph holds a previous run may have left. Operator holds are not touched.
 * Nothing is started when the delivery cannot tell (graph_changing NULL: over HTTP, real OCI gives
 * no such signal; operators hold tenants by hand around a change, omsgw hold / omsgw release).
 */
#ifndef Q_HOLD_WATCH_H
#define Q_HOLD_WATCH_H

#include "common/config.h"
#include "common/err.h"
#include "queue/delivery.h"
#include "queue/store.h"

#define Q_HOLD_WATCH_INTERVAL_MS 500

typedef struct q_hold_watch q_hold_watch;

/* *out is NULL (and CM_OK returned) when the delivery cannot tell. */
cm_err q_hold_watch_start(q_store *store, q_delivery *delivery, const cm_config *config, int64_t interval_ms,
                          q_hold_watch **out);
/* Stops and joins the thread; NULL is allowed. Holds stay as they are. */
void q_hold_watch_stop(q_hold_watch *watch);

#endif
