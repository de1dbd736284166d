#include "bench/ceilings.h"
#include "bench/bench_util.h"

#include <json-c/json.h>
#include <microhttpd.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static sqlite3 *open_db(const char *work_dir, const char *name, const char *synchronous)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", work_dir, name);
    unlink(path);
    sqlite3 *db = NULL;
    if (sqlite3_open(path, &db) != SQLITE_OK)
        return NULL;
    char pragmas[128];
    snprintf(pragmas, sizeof pragmas, "PRAGMA journal_mode=WAL; PRAGMA synchronous=%s;", synchronous);
    sqlite3_exec(db, pragmas, NULL, NULL, NULL);
    return db;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double ceiling_parse_and_commit(const char *work_dir, const char *body, size_t length, int iterations)
{
    sqlite3 *db = open_db(work_dir, "ceiling-accept.db", "FULL");
    sqlite3_exec(db, "CREATE TABLE bodies (id INTEGER PRIMARY KEY, body BLOB NOT NULL)", NULL, NULL, NULL);
    sqlite3_stmt *insert = NULL;
    sqlite3_prepare_v2(db, "INSERT INTO bodies (body) VALUES (?1)", -1, &insert, NULL);
    double *times = calloc((size_t)iterations, sizeof *times);
    for (int i = 0; i < iterations; i++) {
        double start = bench_now_ms();
        json_tokener *tokener = json_tokener_new_ex(16);
        json_tokener_set_flags(tokener, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
        json_object *root = json_tokener_parse_ex(tokener, body, (int)length);
        if (!root && json_tokener_get_error(tokener) == json_tokener_continue)
            root = json_tokener_parse_ex(tokener, "", 1);
        json_tokener_free(tokener);
        /* Walk every item's fields: the least any validator must do. */
        json_object *items = NULL;
        size_t touched = 0;
        if (json_object_object_get_ex(root, "items", &items))
            for (size_t k = 0; k < json_object_array_length(items); k++) {
                json_object_object_foreach(json_object_array_get_idx(items, k), key, value)
                {
                    (void)key;
                    touched += (size_t)json_object_get_type(value);
                }
            }
        sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
        sqlite3_reset(insert);
        sqlite3_bind_blob(insert, 1, body, (int)length, SQLITE_STATIC);
        sqlite3_step(insert);
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
        json_object_put(root);
        times[i] = bench_now_ms() - start;
        if (touched == 0)
            fprintf(stderr, "bench: the ceiling body has no items\n");
    }
    sqlite3_finalize(insert);
    sqlite3_close(db);
    qsort(times, (size_t)iterations, sizeof *times, cmp_double);
    double median = times[iterations / 2];
    free(times);
    return median;
}

double ceiling_upserts(const char *work_dir, size_t rows, size_t distinct, size_t batch)
{
    sqlite3 *db = open_db(work_dir, "ceiling-upsert.db", "NORMAL");
    sqlite3_exec(db,
                 "CREATE TABLE records (org TEXT NOT NULL, location TEXT NOT NULL, sku TEXT NOT NULL,"
                 " on_hand INTEGER NOT NULL, safety_stock INTEGER NOT NULL, effective_ms INTEGER,"
                 " updated_ms INTEGER NOT NULL, PRIMARY KEY (org, location, sku)) WITHOUT ROWID",
                 NULL, NULL, NULL);
    sqlite3_stmt *upsert = NULL;
    sqlite3_prepare_v2(db,
                       "INSERT INTO records VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
                       " ON CONFLICT (org, location, sku) DO UPDATE SET on_hand = excluded.on_hand,"
                       " safety_stock = excluded.safety_stock, effective_ms = excluded.effective_ms,"
                       " updated_ms = excluded.updated_ms",
                       -1, &upsert, NULL);
    double start = bench_now_ms();
    for (size_t i = 0; i < rows; i++) {
        if (i % batch == 0)
            sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
        char sku[32];
        snprintf(sku, sizeof sku, "SKU-%07zu", i % distinct);
        sqlite3_reset(upsert);
        sqlite3_bind_text(upsert, 1, "f_ecom_demo_001", -1, SQLITE_STATIC);
        sqlite3_bind_text(upsert, 2, "warehouse-1", -1, SQLITE_STATIC);
        sqlite3_bind_text(upsert, 3, sku, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(upsert, 4, (sqlite3_int64)(i % 1000) * 1000);
        sqlite3_bind_int64(upsert, 5, 0);
        sqlite3_bind_int64(upsert, 6, 1764000000000LL);
        sqlite3_bind_int64(upsert, 7, 1764000000000LL);
        sqlite3_step(upsert);
        if (i % batch == batch - 1 || i == rows - 1)
            sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    }
    double elapsed = bench_now_ms() - start;
    sqlite3_finalize(upsert);
    sqlite3_close(db);
    return (double)rows / (elapsed / 1000.0);
}

/* ---- the bare server ---- */

typedef struct bare_request {
    char *body;
    size_t length, capacity;
} bare_request;

static struct MHD_Daemon *bare_daemon;
static sqlite3 *bare_db;
static sqlite3_stmt *bare_insert;
static pthread_mutex_t bare_lock = PTHREAD_MUTEX_INITIALIZER;

static enum MHD_Result bare_access(void *cls, struct MHD_Connection *connection, const char *url,
                                   const char *method, const char *version, const char *upload_data,
                                   size_t *upload_data_size, void **state)
{
    (void)cls;
    (void)url;
    (void)method;
    (void)version;
    bare_request *request = *state;
    if (!request) {
        *state = calloc(1, sizeof(bare_request));
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (request->length + *upload_data_size + 1 > request->capacity) {
            request->capacity = (request->length + *upload_data_size + 1) * 2;
            request->body = realloc(request->body, request->capacity);
        }
        memcpy(request->body + request->length, upload_data, *upload_data_size);
        request->length += *upload_data_size;
        *upload_data_size = 0;
        return MHD_YES;
    }
    pthread_mutex_lock(&bare_lock);
    sqlite3_exec(bare_db, "BEGIN", NULL, NULL, NULL);
    sqlite3_reset(bare_insert);
    sqlite3_bind_blob(bare_insert, 1, request->body ? request->body : "", (int)request->length, SQLITE_STATIC);
    sqlite3_step(bare_insert);
    sqlite3_exec(bare_db, "COMMIT", NULL, NULL, NULL);
    long long id = (long long)sqlite3_last_insert_rowid(bare_db);
    pthread_mutex_unlock(&bare_lock);
    char reply[64];
    int n = snprintf(reply, sizeof reply, "{\"jobID\":%lld}", id);
    struct MHD_Response *response = MHD_create_response_from_buffer((size_t)n, reply, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(response, "Content-Type", "application/json");
    enum MHD_Result queued = MHD_queue_response(connection, 200, response);
    MHD_destroy_response(response);
    return queued;
}

static void bare_completed(void *cls, struct MHD_Connection *connection, void **state,
                           enum MHD_RequestTerminationCode code)
{
    (void)cls;
    (void)connection;
    (void)code;
    bare_request *request = *state;
    if (request) {
        free(request->body);
        free(request);
    }
    *state = NULL;
}

int ceiling_server_start(const char *work_dir, int threads)
{
    bare_db = open_db(work_dir, "ceiling-server.db", "FULL");
    sqlite3_exec(bare_db, "CREATE TABLE jobs (id INTEGER PRIMARY KEY, body BLOB NOT NULL)", NULL, NULL, NULL);
    sqlite3_prepare_v2(bare_db, "INSERT INTO jobs (body) VALUES (?1)", -1, &bare_insert, NULL);
    bare_daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, NULL, NULL, bare_access, NULL,
                                   MHD_OPTION_NOTIFY_COMPLETED, bare_completed, NULL, MHD_OPTION_THREAD_POOL_SIZE,
                                   (unsigned)threads, MHD_OPTION_CONNECTION_LIMIT, 1024u, MHD_OPTION_END);
    if (!bare_daemon)
        return -1;
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(bare_daemon, MHD_DAEMON_INFO_BIND_PORT);
    return info ? (int)info->port : -1;
}

void ceiling_server_stop(void)
{
    if (bare_daemon)
        MHD_stop_daemon(bare_daemon);
    bare_daemon = NULL;
    sqlite3_finalize(bare_insert);
    sqlite3_close(bare_db);
    bare_insert = NULL;
    bare_db = NULL;
}
