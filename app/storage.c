#include "app/storage.h"
#include "common/log.h"

#include <stdio.h>
#include <stdlib.h>

int app_storage_open(const cm_config *config, const char *data_dir, int connections, q_store **out)
{
    char db_path[1100];
    snprintf(db_path, sizeof db_path, "%s/%s", data_dir, APP_GATEWAY_DB_FILE);
    const char *env_url = getenv("OMSGW_DATABASE_URL");
    q_store_options store_options = {
        .backend = Q_STORE_SQLITE,
        .sqlite_path = db_path,
        .connections = connections,
        .lease_ms = (int64_t)config->queue.lease_seconds * 1000,
    };
    if (config->storage.backend == CM_STORAGE_POSTGRESQL) {
        store_options.backend = Q_STORE_POSTGRESQL;
        store_options.url = env_url && *env_url ? env_url : config->storage.url;
        if (!store_options.url || !*store_options.url) {
            fprintf(stderr, "omsgw: config %s: field storage.url: is required for backend postgresql "
                            "(or set OMSGW_DATABASE_URL)\n", config->path);
            return -1;
        }
    } else if (env_url && *env_url) {
        cm_log_warn("storage.env_ignored", "OMSGW_DATABASE_URL is set but storage.backend is sqlite; using %s",
                    db_path);
    }
    char error[Q_STORE_ERROR_MAX];
    if (q_store_open(&store_options, out, error) != CM_OK) {
        fprintf(stderr, "omsgw: %s\n", error);
        return -1;
    }
    return 0;
}
