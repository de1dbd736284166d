/*
 * control_plane.c - the control plane's life cycle, its authentication, the fault hook of every
 * OCI request, and the small routes: health (with the deviations list) and the clock.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/json_util.h"
#include "common/log.h"
#include "common/router.h"
#include "common/uuid.h"
#include "oci_core/control_internal.h"
#include "oci_core/core_internal.h"
#include "oci_core/errors.h"

/* What differs from the real service, as far as we know it. Kept here, listed by GET /_omsgw/health
 * and in the README, so nobody mistakes the emulator for OCI. */
static const char *const DEVIATIONS[] = {
    "The location graph comes from a file or PUT /admin/organizations/{id}/location-graph; the real "
    "service gets it from Salesforce.",
    "One process and one SQLite file: no replication, no multi-region latency, no eventual consistency "
    "unless oci.propagationDelayMs is set.",
    "get-availability shows every write at once unless oci.propagationDelayMs is set (OCI: usually a "
    "few seconds).",
    "Reservations expire on the core's clock within about a second, unless "
    "oci.reservationExpiryLagSeconds is set (OCI: 10 to 15 s, up to about a minute).",
    "Several imports of one organization run one after the other; only oci.strict answers the second "
    "one 409 ImportInProgress.",
    "A location-graph replacement takes effect at once unless oci.graphChangeSeconds is set.",
    "Rate limits are per organization as configured (oci.organizations[].rateLimit), not OCI's own "
    "quotas.",
    "Tokens are the configured ones or those of the bundled token route; no Account Manager, no JWT "
    "validation.",
    "Fault rules add delays on a server thread: a stalled request occupies one of oci.threads.",
    "Export and import files are served by the core itself, not by a separate file host.",
    "The clock can be moved forward (POST /_omsgw/clock/advance); the real one cannot.",
};

json_object *oci_control_deviations(void)
{
    json_object *list = json_object_new_array();
    for (size_t i = 0; list && i < sizeof DEVIATIONS / sizeof DEVIATIONS[0]; i++)
        json_object_array_add(list, json_object_new_string(DEVIATIONS[i]));
    return list;
}

oci_control *oci_control_new(oci_core *core)
{
    oci_control *control = calloc(1, sizeof *control);
    if (!control)
        return NULL;
    control->core = core;
    const cm_config *config = core->config;
    if (config->oci.control.token) {
        snprintf(control->token, sizeof control->token, "%s", config->oci.control.token);
    } else {
        /* None configured: a random one, printed once at start-up, so the plane is never open. */
        char uuid[CM_UUID_TEXT_LEN + 1];
        cm_uuid_random(uuid);
        snprintf(control->token, sizeof control->token, "omsgw-control-%s", uuid);
        control->token_generated = 1;
        /* Tokens are never logged: the generated one goes to a file only its owner can read. */
        char path[OCI_PATH_MAX];
        int fd = oci_path_join(path, sizeof path, core->data_dir, OCI_CONTROL_TOKEN_FILE) == 0
                     ? open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)
                     : -1;
        size_t length = strlen(control->token);
        if (fd < 0 || write(fd, control->token, length) != (ssize_t)length)
            cm_log_warn("oci.control_token", "cannot write %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
    }
    control->journal_size = config->oci.control.journal_size > 0 ? (size_t)config->oci.control.journal_size : 1000;
    control->journal = calloc(control->journal_size, sizeof *control->journal);
    pthread_condattr_t attributes;
    pthread_condattr_init(&attributes);
    pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC);
    pthread_cond_init(&control->wake, &attributes);
    pthread_condattr_destroy(&attributes);
    pthread_mutex_init(&control->lock, NULL);
    if (!control->journal) {
        oci_control_free(control);
        return NULL;
    }
    return control;
}

void oci_control_free(oci_control *control)
{
    if (!control)
        return;
    oci_journal_free_all(control);
    free(control->journal);
    pthread_mutex_destroy(&control->lock);
    pthread_cond_destroy(&control->wake);
    free(control);
}

const char *oci_control_token(const oci_control *control, int *generated)
{
    if (generated)
        *generated = control->token_generated;
    return control->token;
}

void oci_control_shutdown(oci_control *control)
{
    if (!control)
        return;
    pthread_mutex_lock(&control->lock);
    control->shutting_down = 1;
    pthread_cond_broadcast(&control->wake);
    pthread_mutex_unlock(&control->lock);
}

void oci_control_reply_error(cm_http_request *request, int status, const char *code, const char *message,
                             const char *field)
{
    json_object *body = json_object_new_object();
    if (body) {
        json_object_object_add(body, "error", json_object_new_string(code));
        json_object_object_add(body, "message", json_object_new_string(message));
        if (field)
            json_object_object_add(body, "field", json_object_new_string(field));
    }
    if (!body || cm_http_reply_json(request, status, body) != 0)
        if (!cm_http_replied(request))
            cm_http_reply_bytes(request, 503, "application/json", "{\"error\":\"OutOfMemory\"}", 23);
}

/* Constant time in the length of the expected token, so the comparison says nothing by its timing. */
static int same_token(const char *given, const char *expected)
{
    size_t given_length = strlen(given), expected_length = strlen(expected);
    unsigned char difference = given_length != expected_length;
    for (size_t i = 0; i < expected_length; i++)
        difference |= (unsigned char)(expected[i] ^ (i < given_length ? given[i] : 0));
    return difference == 0;
}

/* The organization id in a path ".../organizations/{id}/..." or NULL; copied into out. */
const char *oci_control_path_org(const char *path, char *out, size_t size)
{
    const char *start = strstr(path, "/organizations/");
    if (!start)
        return NULL;
    start += strlen("/organizations/");
    size_t length = strcspn(start, "/");
    if (length == 0 || length >= size)
        return NULL;
    memcpy(out, start, length);
    out[length] = '\0';
    return out;
}

/* A fault's reply: OCI's own body for the status (errors.h). */
static void reply_fault(cm_http_request *request, const oci_fault_rule *rule)
{
    char message[160];
    snprintf(message, sizeof message, "Injected by the emulator's fault rule %s.", rule->id);
    if (rule->retry_after_s >= 0 && rule->status != 429) {
        char seconds[32];
        snprintf(seconds, sizeof seconds, "%lld", (long long)rule->retry_after_s);
        cm_http_add_header(request, "Retry-After", seconds);
    }
    switch (rule->status) {
    case 401: oci_reply_unauthorized(request, message); return;
    case 403: oci_reply_tenant_not_provisioned(request); return;
    case 429: oci_reply_too_many_requests(request, rule->retry_after_s >= 0 ? rule->retry_after_s : 1); return;
    case 404: oci_reply_problem(request, 404, "EntityNotFound", message, NULL, NULL, NULL); return;
    case 409: oci_reply_problem(request, 409, "InvalidRequest", message, NULL, NULL, NULL); return;
    default:
        oci_reply_problem(request, rule->status, rule->status < 500 ? "InvalidRequestParameter" : "Unknown", message,
                          NULL, NULL, NULL);
    }
}

int oci_control_before(oci_core *core, cm_http_request *request)
{
    oci_control *control = core->control;
    const char *path = cm_http_path(request);
    if (!path || !control)
        return 0;
    if (strncmp(path, OCI_CONTROL_PREFIX, strlen(OCI_CONTROL_PREFIX)) == 0 || strcmp(path, "/_omsgw") == 0) {
        if (!core->config->oci.control.enabled) {
            oci_control_reply_error(request, 404, "ControlPlaneDisabled",
                                    "the control plane is off (oci.control.enabled is false)", NULL);
            return 1;
        }
        const char *authorization = cm_http_header(request, "Authorization");
        if (!authorization || strncmp(authorization, "Bearer ", 7) != 0) {
            cm_http_add_header(request, "WWW-Authenticate", "Bearer realm=\"omsgw-control\"");
            oci_control_reply_error(request, 401, "MissingControlToken",
                                    "control calls need 'Authorization: Bearer <oci.control.token>'", "Authorization");
            return 1;
        }
        if (!same_token(authorization + 7, control->token)) {
            cm_http_add_header(request, "WWW-Authenticate", "Bearer realm=\"omsgw-control\", error=\"invalid_token\"");
            oci_control_reply_error(request, 401, "InvalidControlToken",
                                    "the bearer token is not the control token (oci.control.token)", "Authorization");
            return 1;
        }
        /* The server's own 404 and 405 would come in OCI's shape: the control plane answers its own. */
        cm_route_match match;
        if (cm_router_match(core->routes, core->route_count, sizeof(cm_http_route), cm_http_method(request), path,
                            &match) < 0) {
            char message[320];
            if (match.path_matched) {
                cm_http_add_header(request, "Allow", match.allowed);
                snprintf(message, sizeof message, "method %.16s is not allowed here; allowed: %.64s",
                         cm_http_method(request), match.allowed);
                oci_control_reply_error(request, 405, "MethodNotAllowed", message, NULL);
            } else {
                snprintf(message, sizeof message,
                         "no control route %.100s (health, state/reset, state/export, state/import, clock/advance, "
                         "faults, requests)",
                         path);
                oci_control_reply_error(request, 404, "NoSuchControlRoute", message, NULL);
            }
            return 1;
        }
        return 0;
    }
    oci_request_state *state = oci_request_state_get(request);
    oci_request_note *note = state ? calloc(1, sizeof *note) : NULL;
    if (note) {
        note->at_ms = oci_core_now(core);
        pthread_mutex_lock(&control->lock);
        note->seq = ++control->journal_seq;
        pthread_mutex_unlock(&control->lock);
        state->journal_note = note;
    }
    if (strcmp(path, "/healthz") == 0)
        return 0;
    char org_buffer[256];
    const char *org = oci_control_path_org(path, org_buffer, sizeof org_buffer);
    oci_fault_rule rule;
    if (!oci_faults_take(control, cm_http_method(request), path, org, &rule))
        return 0;
    if (note)
        snprintf(note->fault_id, sizeof note->fault_id, "%s", rule.id);
    cm_log_info("oci.fault", "%s %s: rule %s fired", cm_http_method(request), path, rule.id);
    if (rule.latency_ms)
        oci_control_sleep(control, rule.latency_ms);
    if (rule.stall_ms) {
        oci_control_sleep(control, rule.stall_ms);
        cm_http_drop(request);
        return 1;
    }
    if (rule.drop) {
        cm_http_drop(request);
        return 1;
    }
    if (rule.status) {
        reply_fault(request, &rule);
        return 1;
    }
    return 0;
}

/* ---- routes ---- */

static json_object *clock_json(oci_core *core)
{
    json_object *clock = json_object_new_object();
    if (!clock)
        return NULL;
    char now[CM_TIME_TEXT_MAX];
    cm_time_format_ms(oci_core_now(core), now);
    json_object_object_add(clock, "now", json_object_new_string(now));
    json_object_object_add(clock, "offsetMs", json_object_new_int64(atomic_load(&core->clock_skew_ms)));
    return clock;
}

void oci_route_control_health(cm_http_request *request, void *data)
{
    oci_core *core = data;
    oci_control *control = core->control;
    const cm_config *config = core->config;
    json_object *reply = json_object_new_object(), *orgs = json_object_new_array(), *realism = json_object_new_object();
    if (!reply || !orgs || !realism) {
        json_object_put(reply);
        json_object_put(orgs);
        json_object_put(realism);
        oci_control_reply_error(request, 503, "OutOfMemory", "the emulator is short of memory", NULL);
        return;
    }
    json_object_object_add(reply, "status", json_object_new_string("ok"));
    json_object_object_add(reply, "emulator", json_object_new_boolean(1));
    json_object_object_add(reply, "name", json_object_new_string("omsgw bundled Omnichannel Inventory core"));
    json_object_object_add(reply, "version", json_object_new_string(OMSGW_VERSION));
    json_object_object_add(reply, "stateVersion", json_object_new_int(OCI_STATE_VERSION));
    json_object_object_add(reply, "clock", clock_json(core));
    json_object_object_add(reply, "strict", json_object_new_boolean(config->oci.strict));
    json_object_object_add(realism, "propagationDelayMs", json_object_new_int(config->oci.propagation_delay_ms));
    json_object_object_add(realism, "reservationExpiryLagSeconds",
                           json_object_new_int(config->oci.reservation_expiry_lag_seconds));
    json_object_object_add(realism, "graphChangeSeconds", json_object_new_int(config->oci.graph_change_seconds));
    json_object_object_add(realism, "oneImportAtATime", json_object_new_boolean(config->oci.strict));
    json_object_object_add(reply, "realism", realism);
    oci_store_conn *reader = oci_store_read_begin(core->store);
    for (size_t i = 0; i < core->org_count; i++) {
        const char *id = core->orgs[i].config->id;
        json_object *org = json_object_new_object(), *counts = json_object_new_object();
        if (!org || !counts) {
            json_object_put(org);
            json_object_put(counts);
            continue;
        }
        json_object_object_add(org, "id", json_object_new_string(id));
        oci_graph *graph = oci_core_graph_acquire(core, id);
        json_object_object_add(org, "locations", json_object_new_int64(graph ? (int64_t)graph->location_count : 0));
        json_object_object_add(org, "groups", json_object_new_int64(graph ? (int64_t)graph->group_count : 0));
        oci_core_graph_release(core, graph);
        if (reader)
            oci_store_state_counts(reader, id, counts);
        json_object_object_add(org, "counts", counts);
        json_object_object_add(org, "graphChange", oci_core_graph_change_json(core, id));
        json_object_array_add(orgs, org);
    }
    oci_store_read_end(reader);
    json_object_object_add(reply, "organizations", orgs);
    pthread_mutex_lock(&control->lock);
    json_object_object_add(reply, "faults", json_object_new_int64((int64_t)control->fault_count));
    json_object_object_add(reply, "journal", json_object_new_int64((int64_t)control->journal_used));
    pthread_mutex_unlock(&control->lock);
    json_object_object_add(reply, "deviations", oci_control_deviations());
    cm_http_reply_json(request, 200, reply);
}

void oci_route_control_clock(cm_http_request *request, void *data)
{
    oci_core *core = data;
    size_t length = 0;
    const char *body = cm_http_body(request, &length);
    json_object *root = NULL, *seconds = NULL;
    char parse_error[CM_JSON_ERROR_MAX];
    if (cm_json_parse(body, length, 4, &root, parse_error) != CM_OK) {
        oci_control_reply_error(request, 400, "InvalidBody", parse_error, "body");
        return;
    }
    const char *problem = NULL;
    if (!json_object_is_type(root, json_type_object) || json_object_object_length(root) != 1 ||
        !json_object_object_get_ex(root, "seconds", &seconds))
        problem = "the body must be {\"seconds\": n}";
    else if (!json_object_is_type(seconds, json_type_int) && !json_object_is_type(seconds, json_type_double))
        problem = "seconds must be a number";
    double value = problem ? 0 : json_object_get_double(seconds);
    if (!problem && !(value > 0 && value <= (double)OCI_CLOCK_ADVANCE_MAX_SECONDS))
        problem = "seconds must be above 0 and at most 31622400 (366 days); the clock only moves forward";
    json_object_put(root);
    if (problem) {
        oci_control_reply_error(request, 400, "InvalidBody", problem, "seconds");
        return;
    }
    int64_t ms = (int64_t)(value * 1000.0);
    atomic_fetch_add(&core->clock_skew_ms, ms);
    cm_log_info("oci.clock_advanced", "by_ms=%lld offset_ms=%lld", (long long)ms,
                (long long)atomic_load(&core->clock_skew_ms));
    /* What the clock made due happens now, not at the next poll: reservations expire, and the
     * worker looks at its queue again (links, graph changes). */
    oci_expire_reservations(core);
    oci_core_wake_worker(core);
    json_object *reply = clock_json(core);
    if (!reply) {
        oci_control_reply_error(request, 503, "OutOfMemory", "the emulator is short of memory", NULL);
        return;
    }
    json_object_object_add(reply, "advancedMs", json_object_new_int64(ms));
    cm_http_reply_json(request, 200, reply);
}
