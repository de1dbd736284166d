/*
 * control_faults.c - the fault rules of the control plane (control.h): POST/GET/DELETE
 * /_omsgw/faults, choosing the rule that fires for a request, and the failImportLines hook of
 * the import worker. Rules are tried in the order they were added; the first that matches and
 * wins its probability roll fires. A rule with `count` retires after firing that many times.
 */
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/json_util.h"
#include "oci_core/control_internal.h"
#include "oci_core/core_internal.h"

/* xorshift64*: the probability rolls need no cryptography, only independence from the clock. */
static double next_random(oci_control *control)
{
    uint64_t x = control->random_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    control->random_state = x;
    return (double)((x * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

static void retire(oci_control *control, size_t index)
{
    memmove(&control->faults[index], &control->faults[index + 1],
            (control->fault_count - index - 1) * sizeof control->faults[0]);
    control->fault_count--;
}

static int has_http_effect(const oci_fault_rule *rule)
{
    return rule->status || rule->drop || rule->stall_ms || rule->latency_ms;
}

int oci_faults_take(oci_control *control, const char *method, const char *path, const char *org,
                    oci_fault_rule *out)
{
    int fired = 0;
    pthread_mutex_lock(&control->lock);
    if (!control->random_state)
        control->random_state = (uint64_t)cm_now_ms() * 0x9E3779B97F4A7C15ULL | 1;
    for (size_t i = 0; i < control->fault_count; i++) {
        oci_fault_slot *slot = &control->faults[i];
        if (!has_http_effect(&slot->rule) || !oci_fault_rule_matches(&slot->rule, method, path, org))
            continue;
        if (slot->rule.probability < 1 && next_random(control) >= slot->rule.probability)
            continue;
        slot->rule.fired++;
        *out = slot->rule;
        fired = 1;
        if (slot->rule.count && --slot->remaining == 0)
            retire(control, i);
        break;
    }
    pthread_mutex_unlock(&control->lock);
    return fired;
}

int oci_control_fail_import_line(oci_core *core, const char *org, const char *sku, char message[160])
{
    oci_control *control = core->control;
    if (!control)
        return 0;
    char path[400];
    path[0] = '\0'; /* written only when a rule is there to match it: this runs for every line */
    int fired = 0;
    pthread_mutex_lock(&control->lock);
    for (size_t i = 0; i < control->fault_count && !fired; i++) {
        if (!path[0])
            snprintf(path, sizeof path, "/inventory/impex/v1/organizations/%s/availability-records/imports", org);
        oci_fault_slot *slot = &control->faults[i];
        if (!slot->rule.fail_import_lines[0] || !oci_fault_rule_matches(&slot->rule, "POST", path, org) ||
            fnmatch(slot->rule.fail_import_lines, sku, 0) != 0)
            continue;
        slot->rule.fired++;
        snprintf(message, 160, "injected failure (fault rule %s): this line was refused on purpose", slot->rule.id);
        fired = 1;
        if (slot->rule.count && --slot->remaining == 0)
            retire(control, i);
    }
    pthread_mutex_unlock(&control->lock);
    return fired;
}

void oci_route_control_fault_add(cm_http_request *request, void *data)
{
    oci_core *core = data;
    oci_control *control = core->control;
    size_t length = 0;
    const char *body = cm_http_body(request, &length);
    oci_fault_rule rule;
    char field[64], message[OCI_FAULT_MESSAGE_MAX];
    if (oci_fault_rule_parse(body, length, &rule, field, message) != CM_OK) {
        oci_control_reply_error(request, 400, "InvalidFaultRule", message, field[0] ? field : NULL);
        return;
    }
    pthread_mutex_lock(&control->lock);
    if (control->fault_count == OCI_FAULT_RULES_MAX) {
        pthread_mutex_unlock(&control->lock);
        char text[120];
        snprintf(text, sizeof text, "at most %d fault rules may be active; delete some first", OCI_FAULT_RULES_MAX);
        oci_control_reply_error(request, 409, "TooManyFaultRules", text, NULL);
        return;
    }
    snprintf(rule.id, sizeof rule.id, "f-%lld", (long long)++control->next_fault_id);
    oci_fault_slot *slot = &control->faults[control->fault_count++];
    slot->rule = rule;
    slot->remaining = rule.count;
    pthread_mutex_unlock(&control->lock);
    json_object *reply = json_object_new_object();
    if (reply)
        json_object_object_add(reply, "id", json_object_new_string(rule.id));
    if (!reply || cm_http_reply_json(request, 201, reply) != 0)
        oci_control_reply_error(request, 503, "OutOfMemory", "the emulator is short of memory", NULL);
}

void oci_route_control_fault_list(cm_http_request *request, void *data)
{
    oci_control *control = ((oci_core *)data)->control;
    json_object *reply = json_object_new_object(), *list = json_object_new_array();
    pthread_mutex_lock(&control->lock);
    for (size_t i = 0; list && i < control->fault_count; i++)
        json_object_array_add(list, oci_fault_rule_to_json(&control->faults[i].rule, control->faults[i].remaining));
    pthread_mutex_unlock(&control->lock);
    if (!reply || !list) {
        json_object_put(reply);
        json_object_put(list);
        oci_control_reply_error(request, 503, "OutOfMemory", "the emulator is short of memory", NULL);
        return;
    }
    json_object_object_add(reply, "faults", list);
    cm_http_reply_json(request, 200, reply);
}

void oci_route_control_fault_delete(cm_http_request *request, void *data)
{
    oci_control *control = ((oci_core *)data)->control;
    const char *id = cm_http_param(request, "faultId");
    int found = 0;
    pthread_mutex_lock(&control->lock);
    for (size_t i = 0; id && i < control->fault_count; i++) {
        if (strcmp(control->faults[i].rule.id, id) == 0) {
            retire(control, i);
            found = 1;
            break;
        }
    }
    pthread_mutex_unlock(&control->lock);
    if (!found) {
        char text[160];
        snprintf(text, sizeof text, "no active fault rule has the id \"%.60s\" (a count rule retires by itself)",
                 id ? id : "");
        oci_control_reply_error(request, 404, "FaultNotFound", text, "faultId");
        return;
    }
    cm_http_reply_empty(request, 204);
}

void oci_route_control_fault_clear(cm_http_request *request, void *data)
{
    oci_control *control = ((oci_core *)data)->control;
    pthread_mutex_lock(&control->lock);
    control->fault_count = 0;
    pthread_mutex_unlock(&control->lock);
    cm_http_reply_empty(request, 204);
}

void oci_control_sleep(oci_control *control, int64_t ms)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += (time_t)(ms / 1000);
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    until.tv_sec += until.tv_nsec / 1000000000L;
    until.tv_nsec %= 1000000000L;
    pthread_mutex_lock(&control->lock);
    /* Bounded: every wait ends at `until` at the latest, or at shutdown. */
    while (!control->shutting_down && pthread_cond_timedwait(&control->wake, &control->lock, &until) == 0)
        ;
    pthread_mutex_unlock(&control->lock);
}
