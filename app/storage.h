/*
 * storage.h - opening the queue's store the way the configuration says, for every command that
 * needs it (serve; hold and release).
 *
 * storage.backend sqlite: <data-dir>/gateway.db; postgresql: storage.url, which the environment
 * variable OMSGW_DATABASE_URL overrides. Failures print one line on stderr that never shows the
 * password.
 */
#ifndef APP_STORAGE_H
#define APP_STORAGE_H

#include "common/config.h"
#include "queue/store.h"

#define APP_GATEWAY_DB_FILE "gateway.db"

/* `connections`: how many threads may use the store at once. Returns 0, or -1 after printing. */
int app_storage_open(const cm_config *config, const char *data_dir, int connections, q_store **out);

#endif
