/*
 * thread_priority.h - background threads yield the CPU to the request path.
 *
 * On a two-core machine the worker applying a 12000-item job, the pruner and the WAL checkpointers
 * compete with the threads that answer requests. Linux gives each thread its own nice value
 * (setpriority on the thread id); a background thread raises its own by CM_BACKGROUND_NICE, which
 * any user may do. Under the default scheduler a nice-10 thread weighs about a tenth of a nice-0
 * one, so it still runs whenever a core is idle and never starves, but an arriving request wins
 * the core. Threads that keep promises with deadlines (the lease keeper, the shutdown watchdog)
 * are not lowered. The background threads are named, so an operator can tell them apart.
 */
#ifndef CM_THREAD_PRIORITY_H
#define CM_THREAD_PRIORITY_H

#define CM_BACKGROUND_NICE 10

/* Names the calling thread `name` (at most 15 bytes are kept; `top -H` and /proc/<pid>/task/<tid>/comm
 * show it) and raises its nice value by CM_BACKGROUND_NICE (at most to 19). Returns 0, or -1 when
 * the system refused the nice value (the thread then runs as before; nothing depends on it). */
int cm_thread_become_background(const char *name);

/* Names the calling thread `name` (15 bytes kept) without changing its priority: for a thread on
 * the request path (the acceptance committer). */
void cm_thread_name(const char *name);

/* The calling thread's own nice value. */
int cm_thread_nice(void);

#endif
