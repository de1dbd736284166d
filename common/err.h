/*
 * err.h - the one error code type of the project.
 *
 * Every fallible function returns a cm_err: CM_OK (zero) on success, a negative code otherwise.
 * cm_strerror() names each code for logs. HTTP statuses are chosen in the route layers only.
 */
#ifndef CM_ERR_H
#define CM_ERR_H

typedef enum cm_err {
    CM_OK = 0,
    CM_ENOMEM = -1,     /* an allocation failed */
    CM_EINVAL = -2,     /* the caller's input is malformed */
    CM_ETOOBIG = -3,    /* a bounded buffer or limit would be exceeded */
    CM_ENOTFOUND = -4,  /* the thing asked for does not exist */
    CM_EEXIST = -5,     /* the thing to create exists already */
    CM_EDB = -6,        /* the database (SQLite, PostgreSQL) reported an error */
    CM_EFULL = -7,      /* the disk is full (SQLITE_FULL or ENOSPC) */
    CM_EBUSY = -8,      /* a lock could not be taken in time */
    CM_EIO = -9,        /* reading or writing a file or socket failed */
    CM_ECONFIG = -10,   /* the configuration is invalid */
    CM_ESTATE = -11,    /* the object is not in a state that allows the call */
    CM_ETIMEOUT = -12,  /* an operation did not finish in time */
    CM_ESTOPPING = -13, /* the process is shutting down */
    CM_EUNAVAILABLE = -14, /* a server the call needs (PostgreSQL) cannot be reached right now */
} cm_err;

/* A short, static, human-readable name for an error code. Never NULL. */
const char *cm_strerror(cm_err code);

#endif
