#include "queue/hold_watch.h"
#include "common/clock.h"
#include "common/log.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

struct q_hold_watch {
    q_store *store;
    q_delivery *delivery;
    const cm_config *config;
    int64_t interval_ms;
    pthread_t thread;
    atomic_int stopping;
    int *held; /* per tenant of config: 1 held by this watcher, 0 not, -1 not looked at yet */
};

/* Brings one tenant's graph hold in line with its organization's state. */
static void settle(q_hold_watch *watch, size_t index, int changing)
{
    const cm_tenant *tenant = &watch->config->tenants[index];
    if (changing && watch->held[index] != 1) {
        char reason[Q_HOLD_REASON_MAX];
        snprintf(reason, sizeof reason,
                 "the location graph of organization %.128s is changing; deliveries resume when the change is over",
                 tenant->organization_id);
        if (q_store_hold(watch->store, tenant->id, Q_HOLD_GRAPH_CHANGE, reason, cm_now_ms()) == CM_OK) {
            watch->held[index] = 1;
            cm_log_info("queue.held", "tenant=%" PRId64 " organization=%s reason=graph-change", tenant->id,
                        tenant->organization_id);
        }
    } else if (!changing && watch->held[index] != 0) {
        cm_err rc = q_store_release_hold(watch->store, tenant->id, Q_HOLD_GRAPH_CHANGE);
        if (rc == CM_OK || rc == CM_ENOTFOUND) {
            watch->held[index] = 0;
            if (rc == CM_OK)
                cm_log_info("queue.released", "tenant=%" PRId64 " organization=%s reason=graph-change", tenant->id,
                            tenant->organization_id);
        }
    }
}

static void *watch_main(void *data)
{
    q_hold_watch *watch = data;
    while (!atomic_load(&watch->stopping)) {
        for (size_t i = 0; i < watch->config->tenant_count && !atomic_load(&watch->stopping); i++) {
            const cm_tenant *tenant = &watch->config->tenants[i];
            settle(watch, i, watch->delivery->graph_changing(watch->delivery, tenant->organization_id));
        }
        int64_t until = cm_mono_ms() + watch->interval_ms;
        while (!atomic_load(&watch->stopping) && cm_mono_ms() < until)
            cm_sleep_ms(until - cm_mono_ms() < 50 ? until - cm_mono_ms() : 50);
    }
    return NULL;
}

cm_err q_hold_watch_start(q_store *store, q_delivery *delivery, const cm_config *config, int64_t interval_ms,
                          q_hold_watch **out)
{
    *out = NULL;
    if (!delivery->graph_changing || config->tenant_count == 0)
        return CM_OK;
    q_hold_watch *watch = calloc(1, sizeof *watch);
    if (!watch)
        return CM_ENOMEM;
    watch->held = malloc(config->tenant_count * sizeof *watch->held);
    if (!watch->held) {
        free(watch);
        return CM_ENOMEM;
    }
    /* Until the first look, a tenant may carry a graph hold left by a previous run, or need one. */
    for (size_t i = 0; i < config->tenant_count; i++)
        watch->held[i] = -1;
    watch->store = store;
    watch->delivery = delivery;
    watch->config = config;
    watch->interval_ms = interval_ms > 0 ? interval_ms : Q_HOLD_WATCH_INTERVAL_MS;
    if (pthread_create(&watch->thread, NULL, watch_main, watch) != 0) {
        free(watch->held);
        free(watch);
        return CM_ENOMEM;
    }
    *out = watch;
    return CM_OK;
}

void q_hold_watch_stop(q_hold_watch *watch)
{
    if (!watch)
        return;
    atomic_store(&watch->stopping, 1);
    pthread_join(watch->thread, NULL);
    free(watch->held);
    free(watch);
}
