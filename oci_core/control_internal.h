/*
 * control_internal.h - what the control plane's files (control_plane.c, control_faults.c,
 * control_journal.c, control_state.c) share: the control plane's state. Nobody else includes it.
 */
#ifndef OCI_CONTROL_INTERNAL_H
#define OCI_CONTROL_INTERNAL_H

#include <pthread.h>
#include <stdint.h>

#include "oci_core/control.h"
#include "oci_core/fault_rule.h"

#define OCI_FAULT_RULES_MAX 256
#define OCI_JOURNAL_BODY_MAX (64u * 1024u) /* request bodies kept per journal entry */
#define OCI_JOURNAL_LIMIT_DEFAULT 100

typedef struct oci_journal_entry {
    int64_t seq;
    int64_t at_ms; /* the core's clock */
    char method[16];
    char *path;         /* owned */
    char *query;        /* owned, NULL when none */
    char *organization; /* owned, NULL when the route has none */
    char *correlation_id;
    char *body; /* owned, NULL unless journalBodies */
    size_t body_length;
    int body_truncated;
    int status; /* 0: dropped or no reply */
    int64_t latency_ms;
    char fault_id[OCI_FAULT_ID_MAX + 1];
} oci_journal_entry;

/* What the `before` hook notes on each OCI request for the journal (the request's user data): its
 * place in arrival order and time, and the fault rule that fired on it. Completion order is not
 * arrival order (two connections, two server threads), so the journal sorts by `seq`. */
typedef struct oci_request_note {
    int64_t seq;
    int64_t at_ms;
    char fault_id[OCI_FAULT_ID_MAX + 1];
} oci_request_note;

typedef struct oci_fault_slot {
    oci_fault_rule rule;
    int64_t remaining; /* of count; unused without count */
} oci_fault_slot;

struct oci_control {
    oci_core *core;
    char token[OCI_CONTROL_TOKEN_MAX + 1];
    int token_generated;

    pthread_mutex_t lock; /* faults and journal */
    pthread_cond_t wake;  /* interrupts fault delays at shutdown (CLOCK_MONOTONIC) */
    int shutting_down;

    oci_fault_slot faults[OCI_FAULT_RULES_MAX];
    size_t fault_count;
    int64_t next_fault_id;
    uint64_t random_state;

    oci_journal_entry *journal; /* ring of journal_size */
    size_t journal_size, journal_next, journal_used;
    int64_t journal_seq;
    int64_t journal_cleared_seq; /* requests that arrived before the last DELETE are not kept */
};

/* control_journal.c */
void oci_journal_free_all(oci_control *control);
/* control_faults.c: the rule that fires for this request now, copied into *out (1), or 0. */
int oci_faults_take(oci_control *control, const char *method, const char *path, const char *org,
                    oci_fault_rule *out);
/* The organization id of a path ".../organizations/{id}/..." copied into out, or NULL. */
const char *oci_control_path_org(const char *path, char *out, size_t size);
/* Sleeps `ms` unless the control plane shuts down meanwhile. */
void oci_control_sleep(oci_control *control, int64_t ms);

#endif
