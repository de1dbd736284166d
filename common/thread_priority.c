#define _GNU_SOURCE /* pthread_setname_np */
#include "common/thread_priority.h"

#include <pthread.h>
#include <string.h>

#include <errno.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

/* On Linux PRIO_PROCESS with a thread id addresses that thread alone (setpriority(2), "BUGS":
 * the nice value is a per-thread attribute). */
static id_t own_thread_id(void)
{
    return (id_t)syscall(SYS_gettid);
}

int cm_thread_nice(void)
{
    errno = 0;
    int nice_value = getpriority(PRIO_PROCESS, own_thread_id());
    return errno ? 0 : nice_value;
}

void cm_thread_name(const char *name)
{
    char short_name[16]; /* the kernel keeps 15 bytes and a NUL */
    strncpy(short_name, name, sizeof short_name - 1);
    short_name[sizeof short_name - 1] = '\0';
    pthread_setname_np(pthread_self(), short_name);
}

int cm_thread_become_background(const char *name)
{
    cm_thread_name(name);
    int target = cm_thread_nice() + CM_BACKGROUND_NICE;
    if (target > 19)
        target = 19;
    return setpriority(PRIO_PROCESS, own_thread_id(), target) == 0 ? 0 : -1;
}
