/*
 * io_fault.c - the VFS shim of io_fault.h. Each file the shim opens is the real unix file behind
 * a header of our own; every method is passed through, and xWrite may refuse.
 */
#include "tests/torture/io_fault.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct shim_file {
    sqlite3_file base; /* pMethods: shim_methods */
    sqlite3_file *real;
    char path[512];
} shim_file;

static sqlite3_vfs *real_vfs;
static sqlite3_vfs shim_vfs;
static sqlite3_io_methods shim_methods;

static pthread_mutex_t fault_lock = PTHREAD_MUTEX_INITIALIZER;
static io_fault_mode fault_mode;
static char fault_name[256];
static int fault_main_only;
static long fault_n, fault_writes, fault_refused;

void io_fault_set(const char *name, int main_only, io_fault_mode mode, long n)
{
    pthread_mutex_lock(&fault_lock);
    snprintf(fault_name, sizeof fault_name, "%s", name);
    fault_main_only = main_only;
    fault_mode = mode;
    fault_n = n;
    fault_writes = 0;
    fault_refused = 0;
    pthread_mutex_unlock(&fault_lock);
}

void io_fault_clear(void)
{
    pthread_mutex_lock(&fault_lock);
    fault_mode = IO_NONE;
    pthread_mutex_unlock(&fault_lock);
}

long io_fault_writes(void)
{
    pthread_mutex_lock(&fault_lock);
    long writes = fault_writes;
    pthread_mutex_unlock(&fault_lock);
    return writes;
}

long io_fault_refused(void)
{
    pthread_mutex_lock(&fault_lock);
    long refused = fault_refused;
    pthread_mutex_unlock(&fault_lock);
    return refused;
}

static int watched(const shim_file *file)
{
    if (fault_mode == IO_NONE || !strstr(file->path, fault_name))
        return 0;
    if (!fault_main_only)
        return 1;
    size_t length = strlen(file->path);
    return length >= 3 && strcmp(file->path + length - 3, ".db") == 0;
}

/* SQLITE_OK, or the error this write meets. */
static int write_fault(const shim_file *file)
{
    int rc = SQLITE_OK;
    pthread_mutex_lock(&fault_lock);
    if (watched(file)) {
        fault_writes++;
        if (fault_mode == IO_COUNT)
            rc = SQLITE_OK;
        else if (fault_mode == IO_FULL)
            rc = SQLITE_FULL;
        else if (fault_mode == IO_NTH_WRITE && fault_writes == fault_n)
            rc = SQLITE_IOERR_WRITE;
        if (rc)
            fault_refused++;
    }
    pthread_mutex_unlock(&fault_lock);
    return rc;
}

/* ---- the file methods: passed through ---- */

#define REAL(f) (((shim_file *)(f))->real)

static int shim_close(sqlite3_file *f)
{
    int rc = REAL(f)->pMethods ? REAL(f)->pMethods->xClose(REAL(f)) : SQLITE_OK;
    return rc;
}

static int shim_read(sqlite3_file *f, void *buffer, int amount, sqlite3_int64 offset)
{
    return REAL(f)->pMethods->xRead(REAL(f), buffer, amount, offset);
}

static int shim_write(sqlite3_file *f, const void *buffer, int amount, sqlite3_int64 offset)
{
    int rc = write_fault((shim_file *)f);
    return rc ? rc : REAL(f)->pMethods->xWrite(REAL(f), buffer, amount, offset);
}

static int shim_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    return REAL(f)->pMethods->xTruncate(REAL(f), size);
}

static int shim_sync(sqlite3_file *f, int flags)
{
    return REAL(f)->pMethods->xSync(REAL(f), flags);
}

static int shim_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
    return REAL(f)->pMethods->xFileSize(REAL(f), size);
}

static int shim_lock(sqlite3_file *f, int level)
{
    return REAL(f)->pMethods->xLock(REAL(f), level);
}

static int shim_unlock(sqlite3_file *f, int level)
{
    return REAL(f)->pMethods->xUnlock(REAL(f), level);
}

static int shim_check_reserved(sqlite3_file *f, int *out)
{
    return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}

static int shim_file_control(sqlite3_file *f, int op, void *arg)
{
    return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}

static int shim_sector_size(sqlite3_file *f)
{
    return REAL(f)->pMethods->xSectorSize(REAL(f));
}

static int shim_device(sqlite3_file *f)
{
    return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}

static int shim_shm_map(sqlite3_file *f, int page, int size, int extend, void volatile **out)
{
    return REAL(f)->pMethods->xShmMap(REAL(f), page, size, extend, out);
}

static int shim_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
    return REAL(f)->pMethods->xShmLock(REAL(f), offset, n, flags);
}

static void shim_shm_barrier(sqlite3_file *f)
{
    REAL(f)->pMethods->xShmBarrier(REAL(f));
}

static int shim_shm_unmap(sqlite3_file *f, int delete_flag)
{
    return REAL(f)->pMethods->xShmUnmap(REAL(f), delete_flag);
}

static int shim_fetch(sqlite3_file *f, sqlite3_int64 offset, int amount, void **out)
{
    return REAL(f)->pMethods->xFetch(REAL(f), offset, amount, out);
}

static int shim_unfetch(sqlite3_file *f, sqlite3_int64 offset, void *pointer)
{
    return REAL(f)->pMethods->xUnfetch(REAL(f), offset, pointer);
}

/* ---- the VFS: opening wraps, the rest is the real one's ---- */

static int shim_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out_flags)
{
    (void)vfs;
    shim_file *file = (shim_file *)f;
    file->base.pMethods = NULL;
    file->real = (sqlite3_file *)(file + 1);
    snprintf(file->path, sizeof file->path, "%s", name ? name : "");
    int rc = real_vfs->xOpen(real_vfs, name, file->real, flags, out_flags);
    if (rc == SQLITE_OK && file->real->pMethods) {
        /* Offer only the methods the real file has (its iVersion). */
        shim_methods.iVersion = file->real->pMethods->iVersion;
        file->base.pMethods = &shim_methods;
    }
    return rc;
}

void io_fault_install(void)
{
    real_vfs = sqlite3_vfs_find(NULL);
    if (!real_vfs) {
        fprintf(stderr, "io_fault: no default VFS\n");
        abort();
    }
    shim_methods = (sqlite3_io_methods){
        .iVersion = 3,
        .xClose = shim_close,
        .xRead = shim_read,
        .xWrite = shim_write,
        .xTruncate = shim_truncate,
        .xSync = shim_sync,
        .xFileSize = shim_file_size,
        .xLock = shim_lock,
        .xUnlock = shim_unlock,
        .xCheckReservedLock = shim_check_reserved,
        .xFileControl = shim_file_control,
        .xSectorSize = shim_sector_size,
        .xDeviceCharacteristics = shim_device,
        .xShmMap = shim_shm_map,
        .xShmLock = shim_shm_lock,
        .xShmBarrier = shim_shm_barrier,
        .xShmUnmap = shim_shm_unmap,
        .xFetch = shim_fetch,
        .xUnfetch = shim_unfetch,
    };
    shim_vfs = *real_vfs;
    shim_vfs.zName = "omsgw-io-fault";
    shim_vfs.szOsFile = (int)sizeof(shim_file) + real_vfs->szOsFile;
    shim_vfs.xOpen = shim_open;
    shim_vfs.pNext = NULL;
    if (sqlite3_vfs_register(&shim_vfs, 1) != SQLITE_OK) {
        fprintf(stderr, "io_fault: SQLite refused the VFS\n");
        abort();
    }
}
