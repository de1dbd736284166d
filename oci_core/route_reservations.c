/* route_reservations.c - PUT …/reservation-documents/{reservationId} (reserve at locations and
 * groups) and PATCH …/reservation-documents/{reservationId} ({"status":"CANCELLED"}).
 *
 * Choices the sources leave open (oci-api.md §4.1): a PUT on an id that exists is a 409 (EntityExists
 * while open, ReservationCancelled / ReservationInvalidState once closed), never a silent replay;
 * expirationTime = reservationTime + expirationSeconds and the reservation is released then;
 * fulfillOnly lines are never partial. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/json_util.h"
#include "oci_core/core_internal.h"
#include "oci_core/errors.h"
#include "oci_core/ids.h"
#include "oci_core/limits.h"
#include "oci_core/render.h"
#include "oci_core/reserve.h"
#include "oci_core/route_util.h"

#define RESERVATION_PATH "/inventory/reservation/v1/organizations/%s/reservation-documents/%s"

typedef struct reserve_options {
    int allow_partial, fulfill_only;
    const char *reservation_id, *org;
    int64_t now_ms;
} reserve_options;

/* Checks a "reservations" array of {sku, quantity}; replies 400 and returns -1 when malformed. */
static int check_lines(cm_http_request *request, json_object *lines, const char *where, size_t *total)
{
    char message[OCI_MESSAGE_MAX + 128];
    if (!json_object_is_type(lines, json_type_array)) {
        snprintf(message, sizeof message, "'%s.reservations' must be an array of {sku, quantity}.", where);
        oci_reply_invalid(request, "reservations", message);
        return -1;
    }
    for (size_t i = 0; i < json_object_array_length(lines); i++) {
        json_object *line = json_object_array_get_idx(lines, i), *quantity = NULL;
        const char *sku = NULL;
        int64_t milli = 0;
        if (!json_object_is_type(line, json_type_object) || cm_json_string(line, "sku", &sku) != CM_JSON_OK ||
            !oci_valid_reservation_sku(sku)) {
            snprintf(message, sizeof message, "'%s.reservations[%zu].sku' must be a sku of 1..250 characters.", where, i);
            oci_reply_invalid(request, "sku", message);
            return -1;
        }
        if (!json_object_object_get_ex(line, "quantity", &quantity) ||
            cm_json_value_milli(quantity, 0, &milli) != CM_JSON_OK || milli <= 0) {
            snprintf(message, sizeof message, "'%s.reservations[%zu].quantity' must be a number of at least 0.001.",
                     where, i);
            oci_reply_invalid(request, "quantity", message);
            return -1;
        }
        if (++*total > OCI_RESERVATION_MAX_LINES) {
            snprintf(message, sizeof message, "A reservation document holds at most %d lines.",
                     OCI_RESERVATION_MAX_LINES);
            oci_reply_invalid(request, "reservations", message);
            return -1;
        }
    }
    return 0;
}

/* Checks the "locations" or "groups" array; replies 400 (returns -1) on the first problem. */
static int check_places(cm_http_request *request, const oci_graph *graph, json_object *places, int groups,
                        size_t *place_count, size_t *line_count)
{
    const char *key = groups ? "groups" : "locations";
    char message[OCI_MESSAGE_MAX + 128];
    for (size_t i = 0; i < json_object_array_length(places); i++) {
        json_object *place = json_object_array_get_idx(places, i), *lines = NULL, *sets = NULL;
        const char *id = NULL;
        snprintf(message, sizeof message, "%s[%zu]", key, i);
        if (!json_object_is_type(place, json_type_object) || cm_json_string(place, "id", &id) != CM_JSON_OK ||
            !(groups ? oci_valid_group_id(id) : oci_valid_location_id(id))) {
            snprintf(message, sizeof message, "'%s[%zu].id' must be a valid %s id.", key, i, groups ? "group" : "location");
            oci_reply_invalid(request, key, message);
            return -1;
        }
        if (groups ? !oci_graph_group_find(graph, id) : !oci_graph_has_location(graph, id)) {
            snprintf(message, sizeof message, "No %s exists with ID '%.128s'", groups ? "group" : "location", id);
            oci_reply_problem(request, 400, groups ? "GroupDoesNotExist" : "LocationDoesNotExist", message, key,
                              groups ? "group" : "location", id);
            return -1;
        }
        if (++*place_count > OCI_RESERVATION_MAX_PLACES) {
            snprintf(message, sizeof message, "A reservation document names at most %d places.",
                     OCI_RESERVATION_MAX_PLACES);
            oci_reply_invalid(request, key, message);
            return -1;
        }
        char where[96];
        snprintf(where, sizeof where, "%s[%zu]", key, i);
        cm_json_get got = cm_json_array(place, "reservations", &lines);
        if (got == CM_JSON_ABSENT && !groups && cm_json_array(place, "allOrNothingReservations", &sets) == CM_JSON_OK)
            got = CM_JSON_OK, lines = NULL;
        if (got != CM_JSON_OK) {
            snprintf(message, sizeof message, "'%s.reservations' is required.", where);
            oci_reply_invalid(request, "reservations", message);
            return -1;
        }
        if (lines && check_lines(request, lines, where, line_count) != 0)
            return -1;
        got = cm_json_array(place, "allOrNothingReservations", &sets);
        if (got == CM_JSON_ABSENT)
            continue;
        if (groups || got != CM_JSON_OK) {
            snprintf(message, sizeof message, "'%s.allOrNothingReservations' must be an array (locations only).", where);
            oci_reply_invalid(request, "allOrNothingReservations", message);
            return -1;
        }
        for (size_t s = 0; s < json_object_array_length(sets); s++) {
            json_object *set = json_object_array_get_idx(sets, s), *set_lines = NULL;
            const char *set_id = NULL;
            char set_where[160];
            snprintf(set_where, sizeof set_where, "%s.allOrNothingReservations[%zu]", where, s);
            if (!json_object_is_type(set, json_type_object) || cm_json_string(set, "id", &set_id) != CM_JSON_OK ||
                !oci_valid_all_or_nothing_id(set_id) || cm_json_array(set, "reservations", &set_lines) != CM_JSON_OK) {
                snprintf(message, sizeof message, "'%s' must be {id, reservations}.", set_where);
                oci_reply_invalid(request, "allOrNothingReservations", message);
                return -1;
            }
            if (check_lines(request, set_lines, set_where, line_count) != 0)
                return -1;
        }
    }
    return 0;
}

static void add_detail(json_object *array, const char *sku, int64_t quantity)
{
    json_object *line = json_object_new_object();
    if (!line)
        return;
    json_object_object_add(line, "sku", json_object_new_string(sku));
    json_object_object_add(line, "quantity", cm_json_new_milli(quantity));
    json_object_array_add(array, line);
}

static void add_error_line(json_object *array, const char *sku, const char *code)
{
    json_object *line = json_object_new_object();
    if (!line)
        return;
    json_object_object_add(line, "sku", json_object_new_string(sku));
    json_object_object_add(line, "errorCode", json_object_new_string(code));
    json_object_array_add(array, line);
}

/* Reserves the lines of one array; successes go to details, refusals to errors. */
static cm_err reserve_lines(oci_store_conn *writer, const oci_graph *graph, const reserve_options *options,
                            const char *place_type, const char *place_id, json_object *lines, int all_or_nothing,
                            json_object *details, json_object *errors, int *failed)
{
    cm_err rc = CM_OK;
    size_t count = json_object_array_length(lines);
    int set_failed = 0;
    json_object *set_details = all_or_nothing ? json_object_new_array() : details;
    if (!set_details)
        return CM_ENOMEM;
    if (all_or_nothing)
        rc = oci_store_savepoint(writer);
    for (size_t i = 0; rc == CM_OK && i < count; i++) {
        json_object *line = json_object_array_get_idx(lines, i), *quantity;
        const char *sku = NULL;
        int64_t milli = 0;
        cm_json_string(line, "sku", &sku);
        json_object_object_get_ex(line, "quantity", &quantity);
        cm_json_value_milli(quantity, 0, &milli);
        oci_reserve_request reserve = {
            .org = options->org,
            .sku = sku,
            .reservation_id = options->reservation_id,
            .place_type = place_type,
            .place_id = place_id,
            .quantity = milli,
            .allow_partial = options->allow_partial && !options->fulfill_only && !all_or_nothing,
            .fulfill_only = options->fulfill_only,
            .now_ms = options->now_ms,
        };
        int64_t reserved = 0;
        rc = oci_reserve_place(writer, graph, &reserve, &reserved);
        if (rc != CM_OK)
            break;
        if (reserved > 0) {
            add_detail(set_details, sku, reserved);
        } else {
            set_failed = 1;
            if (!all_or_nothing)
                add_error_line(errors, sku, "InsufficientQuantity");
        }
    }
    if (rc == CM_OK && all_or_nothing) {
        rc = set_failed ? oci_store_savepoint_rollback(writer) : oci_store_savepoint_release(writer);
        for (size_t i = 0; rc == CM_OK && i < count; i++) {
            const char *sku = NULL;
            cm_json_string(json_object_array_get_idx(lines, i), "sku", &sku);
            if (set_failed)
                add_error_line(errors, sku, "InsufficientQuantity");
        }
        for (size_t i = 0; rc == CM_OK && !set_failed && i < json_object_array_length(set_details); i++)
            json_object_array_add(details, json_object_get(json_object_array_get_idx(set_details, i)));
    }
    if (all_or_nothing)
        json_object_put(set_details);
    if (set_failed)
        *failed = 1;
    return rc;
}

static cm_err reserve_places(oci_store_conn *writer, const oci_graph *graph, const reserve_options *options,
                             json_object *places, int groups, json_object *out, int *failed)
{
    cm_err rc = CM_OK;
    for (size_t i = 0; rc == CM_OK && i < json_object_array_length(places); i++) {
        json_object *place = json_object_array_get_idx(places, i), *lines = NULL, *sets = NULL;
        const char *id = NULL;
        cm_json_string(place, "id", &id);
        json_object *entry = json_object_new_object(), *details = json_object_new_array(),
                    *errors = json_object_new_array();
        if (!entry || !details || !errors) {
            json_object_put(entry);
            json_object_put(details);
            json_object_put(errors);
            return CM_ENOMEM;
        }
        json_object_object_add(entry, "id", json_object_new_string(id));
        const char *type = groups ? "group" : "location";
        if (cm_json_array(place, "reservations", &lines) == CM_JSON_OK)
            rc = reserve_lines(writer, graph, options, type, id, lines, 0, details, errors, failed);
        if (rc == CM_OK && !groups && cm_json_array(place, "allOrNothingReservations", &sets) == CM_JSON_OK)
            for (size_t s = 0; rc == CM_OK && s < json_object_array_length(sets); s++) {
                json_object *set_lines = NULL;
                cm_json_array(json_object_array_get_idx(sets, s), "reservations", &set_lines);
                rc = reserve_lines(writer, graph, options, type, id, set_lines, 1, details, errors, failed);
            }
        if (json_object_array_length(details) > 0 || json_object_array_length(errors) == 0)
            json_object_object_add(entry, "details", details);
        else
            json_object_put(details);
        if (json_object_array_length(errors) > 0)
            json_object_object_add(entry, "errors", errors);
        else
            json_object_put(errors);
        json_object_array_add(out, entry);
    }
    return rc;
}

/* Reads the optional options; replies 400 (returns -1) when one is malformed. */
static int read_options(cm_http_request *request, json_object *body, reserve_options *options, int64_t *reservation_ms,
                        int64_t *expiration_seconds, const char **external_ref_id)
{
    cm_json_get got = cm_json_bool(body, "allowPartialReservations", &options->allow_partial);
    if (got == CM_JSON_ABSENT)
        options->allow_partial = 1;
    else if (got != CM_JSON_OK) {
        oci_reply_invalid(request, "allowPartialReservations", "'allowPartialReservations' must be a boolean.");
        return -1;
    }
    got = cm_json_bool(body, "fulfillOnly", &options->fulfill_only);
    if (got == CM_JSON_ABSENT)
        options->fulfill_only = 0;
    else if (got != CM_JSON_OK) {
        oci_reply_invalid(request, "fulfillOnly", "'fulfillOnly' must be a boolean.");
        return -1;
    }
    *expiration_seconds = 0;
    got = cm_json_int64(body, "expirationSeconds", expiration_seconds);
    if (got != CM_JSON_ABSENT && (got != CM_JSON_OK || *expiration_seconds < OCI_EXPIRATION_SECONDS_MIN ||
                                  *expiration_seconds > OCI_EXPIRATION_SECONDS_MAX)) {
        char message[120];
        snprintf(message, sizeof message, "'expirationSeconds' must be a whole number of seconds, %d..%d.",
                 OCI_EXPIRATION_SECONDS_MIN, OCI_EXPIRATION_SECONDS_MAX);
        oci_reply_invalid(request, "expirationSeconds", message);
        return -1;
    }
    const char *time_text = NULL;
    got = cm_json_string(body, "reservationTime", &time_text);
    if (got != CM_JSON_ABSENT && (got != CM_JSON_OK || cm_time_parse(time_text, reservation_ms) != 0)) {
        oci_reply_invalid(request, "reservationTime", "'reservationTime' must be an RFC 3339 date-time.");
        return -1;
    }
    if (got == CM_JSON_ABSENT)
        *reservation_ms = options->now_ms;
    *external_ref_id = NULL;
    got = cm_json_string(body, "externalRefId", external_ref_id);
    if (got == CM_JSON_WRONG_TYPE) {
        oci_reply_invalid(request, "externalRefId", "'externalRefId' must be a string.");
        return -1;
    }
    return 0;
}

/* Answers 409 for an id already used, by the state of its document. */
static void reply_exists(cm_http_request *request, const oci_reservation_row *row)
{
    if (strcmp(row->status, "CANCELLED") == 0)
        oci_reply_problem(request, 409, "ReservationCancelled", "Reservation is in a CANCELLED state.",
                          "reservationId", NULL, NULL);
    else if (strcmp(row->status, "EXPIRED") == 0)
        oci_reply_problem(request, 409, "ReservationInvalidState", "Reservation is in a CLOSED state.",
                          "reservationId", NULL, NULL);
    else
        oci_reply_problem(request, 409, "EntityExists", "A reservation with that ID already exists.", "reservationId",
                          NULL, NULL);
}

static int check_reservation_id(cm_http_request *request, const char *id)
{
    if (oci_valid_reservation_id(id))
        return 0;
    oci_reply_problem(request, 400, "InvalidRequestParameter", "Reservation ID provided does not exist",
                      "reservationId", NULL, NULL);
    return -1;
}

void oci_route_reservation_put(cm_http_request *request, void *data)
{
    oci_core *core = data;
    const char *org = oci_request_org(request), *id = oci_request_reservation_id(request);
    if (check_reservation_id(request, id) != 0)
        return;
    json_object *body = oci_request_object(request);
    if (!body)
        return;
    oci_graph *graph = oci_core_graph_acquire(core, org);
    json_object *reply = NULL;
    reserve_options options = {.reservation_id = id, .org = org, .now_ms = oci_core_now(core)};
    int64_t reservation_ms = 0, expiration_seconds = 0;
    const char *external_ref_id = NULL;
    if (!graph) {
        oci_reply_internal(request, CM_ENOMEM, "reserve");
        goto out;
    }
    if (read_options(request, body, &options, &reservation_ms, &expiration_seconds, &external_ref_id) != 0)
        goto out;
    json_object *locations = NULL, *groups = NULL;
    cm_json_get has_locations = cm_json_array(body, "locations", &locations);
    cm_json_get has_groups = cm_json_array(body, "groups", &groups);
    if (has_locations == CM_JSON_WRONG_TYPE || has_groups == CM_JSON_WRONG_TYPE) {
        oci_reply_invalid(request, has_locations == CM_JSON_WRONG_TYPE ? "locations" : "groups",
                          "'locations' and 'groups' must be arrays.");
        goto out;
    }
    size_t place_count = 0, line_count = 0;
    if ((has_locations != CM_JSON_OK || json_object_array_length(locations) == 0) &&
        (has_groups != CM_JSON_OK || json_object_array_length(groups) == 0)) {
        oci_reply_problem(request, 400, "InvalidRequest", "No location or groups provided.", NULL, NULL, NULL);
        goto out;
    }
    if ((has_locations == CM_JSON_OK && check_places(request, graph, locations, 0, &place_count, &line_count) != 0) ||
        (has_groups == CM_JSON_OK && check_places(request, graph, groups, 1, &place_count, &line_count) != 0))
        goto out;
    oci_store_conn *writer = NULL;
    cm_err rc = oci_store_write_begin(core->store, &writer);
    oci_reservation_row row;
    int found = 0, failed = 0;
    if (rc == CM_OK)
        rc = oci_store_reservation_get(writer, org, id, &row, &found);
    if (rc == CM_OK && found) {
        oci_store_write_rollback(writer);
        reply_exists(request, &row);
        goto out;
    }
    memset(&row, 0, sizeof row);
    snprintf(row.org, sizeof row.org, "%s", org);
    snprintf(row.id, sizeof row.id, "%s", id);
    snprintf(row.status, sizeof row.status, "OPEN");
    row.reservation_ms = reservation_ms;
    row.expires_ms = expiration_seconds ? reservation_ms + expiration_seconds * 1000 : 0;
    row.created_ms = options.now_ms;
    if (rc == CM_OK)
        rc = oci_store_reservation_insert(writer, &row, external_ref_id);
    reply = json_object_new_object();
    json_object *group_results = json_object_new_array(), *location_results = json_object_new_array();
    if (rc == CM_OK && (!reply || !group_results || !location_results))
        rc = CM_ENOMEM;
    if (rc == CM_OK && has_groups == CM_JSON_OK)
        rc = reserve_places(writer, graph, &options, groups, 1, group_results, &failed);
    if (rc == CM_OK && has_locations == CM_JSON_OK)
        rc = reserve_places(writer, graph, &options, locations, 0, location_results, &failed);
    /* The answer is made whole, its text too, before the commit: once committed, the answer must
     * not depend on an allocation (a 503 then would be a lie, and the retry would meet the stored
     * document). The Connect API converts the answer first: its text is made after the commit. */
    const char *text = NULL;
    size_t text_length = 0;
    if (rc == CM_OK) {
        int incomplete = oci_render_time(reply, "reservationTime", reservation_ms);
        if (row.expires_ms)
            incomplete |= oci_render_time(reply, "expirationTime", row.expires_ms);
        incomplete |= cm_json_set(reply, "success", json_object_new_boolean(!failed));
        if (has_groups == CM_JSON_OK)
            json_object_object_add(reply, "groups", group_results);
        else
            json_object_put(group_results);
        if (has_locations == CM_JSON_OK)
            json_object_object_add(reply, "locations", location_results);
        else
            json_object_put(location_results);
        group_results = location_results = NULL;
        if (!incomplete && !oci_connect_of(request))
            text = cm_json_text(reply, &text_length);
        if (incomplete || (!oci_connect_of(request) && !text))
            rc = CM_ENOMEM;
    }
    if (writer)
        rc = rc == CM_OK ? oci_store_write_commit(writer) : (oci_store_write_rollback(writer), rc);
    if (rc != CM_OK) {
        json_object_put(group_results);
        json_object_put(location_results);
        oci_reply_internal(request, rc, "reserve");
        goto out;
    }
    char location_header[OCI_ORG_MAX + OCI_RESERVATION_ID_MAX + 96];
    snprintf(location_header, sizeof location_header, RESERVATION_PATH, org, id);
    cm_http_add_header(request, "Location", location_header);
    if (text) {
        cm_http_reply_bytes(request, 200, "application/json", text, text_length);
        goto out;
    }
    oci_reply_action(request, 200, reply);
    reply = NULL;
out:
    json_object_put(reply);
    oci_core_graph_release(core, graph);
    json_object_put(body);
}

void oci_route_reservation_patch(cm_http_request *request, void *data)
{
    oci_core *core = data;
    const char *org = oci_request_org(request), *id = oci_request_reservation_id(request);
    if (check_reservation_id(request, id) != 0)
        return;
    json_object *body = oci_request_object(request);
    if (!body)
        return;
    const char *status = NULL;
    if (cm_json_string(body, "status", &status) != CM_JSON_OK || strcmp(status, "CANCELLED") != 0) {
        json_object_put(body);
        oci_reply_invalid(request, "status", "'status' must be CANCELLED.");
        return;
    }
    json_object_put(body);
    oci_store_conn *writer = NULL;
    cm_err rc = oci_store_write_begin(core->store, &writer);
    oci_reservation_row row;
    int found = 0, closed = 0;
    if (rc == CM_OK)
        rc = oci_store_reservation_get(writer, org, id, &row, &found);
    if (rc == CM_OK && found && strcmp(row.status, "OPEN") == 0)
        rc = oci_reservation_close(writer, org, id, "CANCELLED", oci_core_now(core), &closed);
    if (writer)
        rc = rc == CM_OK ? oci_store_write_commit(writer) : (oci_store_write_rollback(writer), rc);
    if (rc != CM_OK)
        oci_reply_internal(request, rc, "cancel reservation");
    else if (!found)
        oci_reply_problem(request, 404, "EntityNotFound", "Reservation ID does not exist.", "reservationId", NULL, NULL);
    else if (!closed)
        reply_exists(request, &row);
    else
        cm_http_reply_empty(request, 204);
}
