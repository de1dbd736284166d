/*
 * fault_rule.h - one fault-injection rule of the emulator's control plane: its JSON form
 * (POST /_omsgw/faults), its validation, and whether it matches a request.
 *
 * It promises: oci_fault_rule_parse never reads past `length`, accepts only a JSON object whose
 * fields are all known and well typed, and on refusal names the field and the problem; on
 * refusal `out` holds nothing to free. Pure functions, no I/O, no locking (control_faults.c owns
 * the rule list and its lock).
 */
#ifndef OCI_FAULT_RULE_H
#define OCI_FAULT_RULE_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define OCI_FAULT_GLOB_MAX 512
#define OCI_FAULT_ID_MAX 40
#define OCI_FAULT_BODY_MAX 8192
#define OCI_FAULT_MESSAGE_MAX 200
#define OCI_FAULT_COUNT_MAX 1000000
#define OCI_FAULT_LATENCY_MAX_MS 60000
#define OCI_FAULT_STALL_MAX_MS 120000
#define OCI_FAULT_RETRY_AFTER_MAX_S 86400

typedef struct oci_fault_rule {
    char id[OCI_FAULT_ID_MAX + 1];
    char route[OCI_FAULT_GLOB_MAX + 1];        /* fnmatch glob over the path ('*' crosses '/') */
    char method[16];                           /* "" any */
    char organization[256];                    /* "" any */
    int64_t count;                             /* 0: no count (fires while probability allows) */
    double probability;                        /* 1 when not given */
    int status;                                /* 0: none; else 400..599 with OCI's error body */
    int64_t retry_after_s;                     /* -1: no Retry-After header */
    int64_t latency_ms, stall_ms;              /* 0: none */
    int drop;                                  /* close the connection without a reply */
    char fail_import_lines[OCI_FAULT_GLOB_MAX + 1]; /* "" none; else an fnmatch glob over import skus */
    int64_t fired;                             /* times it fired so far */
} oci_fault_rule;

/*
 * Parses and validates a rule body. CM_OK with *out filled (id empty: the caller names it), or
 * CM_EINVAL with `field` (the offending field, "" for the body itself) and `message` set.
 */
cm_err oci_fault_rule_parse(const char *text, size_t length, oci_fault_rule *out, char field[64],
                            char message[OCI_FAULT_MESSAGE_MAX]);

/* 1 when the rule applies to a request with this method, path and organization (org may be NULL). */
int oci_fault_rule_matches(const oci_fault_rule *rule, const char *method, const char *path, const char *org);

/* The rule as the list route shows it (new reference, NULL when out of memory). */
json_object *oci_fault_rule_to_json(const oci_fault_rule *rule, int64_t remaining);

#endif
