#include "common/err.h"

const char *cm_strerror(cm_err code)
{
    switch (code) {
    case CM_OK: return "ok";
    case CM_ENOMEM: return "out of memory";
    case CM_EINVAL: return "invalid input";
    case CM_ETOOBIG: return "limit exceeded";
    case CM_ENOTFOUND: return "not found";
    case CM_EEXIST: return "already exists";
    case CM_EDB: return "database error";
    case CM_EFULL: return "disk full";
    case CM_EBUSY: return "busy";
    case CM_EIO: return "i/o error";
    case CM_ECONFIG: return "invalid configuration";
    case CM_ESTATE: return "invalid state";
    case CM_ETIMEOUT: return "timed out";
    case CM_ESTOPPING: return "shutting down";
    case CM_EUNAVAILABLE: return "database unavailable";
    }
    return "unknown error";
}
