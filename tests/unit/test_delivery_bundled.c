/*
 * test_delivery_bundled.c - the delivery that calls the bundled OCI core in-process
 * (delivery/delivery_bundled.c), on a real core opened on a temporary folder
 * (tests/support/oci_inproc.h):
 * - deliver: every record applied with its on-hand, safety stock and effective date; records the
 *   core refuses (unknown location, invalid sku) become refusals naming their index, OCI's error
 *   code and message, while the rest are applied; a chunk is applied at most once under its key
 *   ("<installation>/<tenant>/<job>/<chunk>", or q_chunk.batch_key): delivered again it is
 *   answered with its first results and changes nothing; the same key with other records is
 *   FINAL; two installations' keys never collide; an organization the core does not serve is FINAL;
 * - read: every (location, sku) of the request read back (found or not), more than
 *   Q_READ_MAX_COMBINATIONS refused, an unknown organization FINAL;
 * - graph_changing: the core's own answer, 1 while a slow graph replacement is staged.
 */
#include "tests/support/test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "delivery/delivery_bundled.h"
#include "tests/support/http_client.h"
#include "tests/support/oci_inproc.h"

#define ORG "org_bundled"

typedef struct fixture {
    th_oci oci;
    q_delivery *delivery;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    char graph[512], text[2048];
    th_data_path("oci/location-graph.json", graph, sizeof graph);
    snprintf(text, sizeof text,
             "{\"oci\":{\"port\":0,\"graphChangeSeconds\":600,\"organizations\":[{\"id\":\"" ORG "\","
             "\"locationGraph\":\"%s\",\"tokens\":[{\"token\":\"graphs\",\"scopes\":[\"sfcc.inventory.impex-graphs\"]}]}]},"
             "\"tenants\":[]}",
             graph);
    th_oci_start(&f->oci, text);
    f->delivery = dl_delivery_bundled_new(f->oci.core, "install-A");
    assert_non_null(f->delivery);
    assert_non_null(f->delivery->deliver);
    assert_non_null(f->delivery->read);
    assert_non_null(f->delivery->graph_changing);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    f->delivery->destroy(f->delivery);
    th_oci_stop(&f->oci);
    free(f);
    return 0;
}

static tr_record record(const char *id, const char *location, const char *sku, int64_t on_hand_milli)
{
    tr_record r;
    memset(&r, 0, sizeof r);
    snprintf(r.record_id, sizeof r.record_id, "%s", id);
    r.location_id = location;
    r.sku = sku;
    r.on_hand_milli = on_hand_milli;
    r.safety_stock_milli = 1500;
    r.effective_ms = 1700000000000;
    return r;
}

static q_chunk chunk_of(const tr_record *records, size_t count, int64_t job_id, const char *batch_key)
{
    return (q_chunk){.tenant_id = 3,
                     .job_id = job_id,
                     .organization_id = ORG,
                     .location_id = "surprise",
                     .chunk_index = 0,
                     .records = records,
                     .record_count = count,
                     .batch_key = batch_key};
}

typedef struct delivered {
    q_delivery_result result;
    q_refusal refusals[8];
} delivered;

static void deliver(q_delivery *delivery, const q_chunk *chunk, delivered *out)
{
    memset(out, 0, sizeof *out);
    out->result.refusals = out->refusals;
    out->result.refusal_count = 99;    /* must be reset */
    out->result.retry_after_ms = 1234; /* must be reset */
    snprintf(out->result.message, sizeof out->result.message, "stale");
    delivery->deliver(delivery, chunk, &out->result, NULL, NULL);
}

/* The on-hand the core holds for (location, sku), read through the delivery; -1 when not found. */
static int64_t on_hand(fixture *f, const char *location, const char *sku)
{
    const char *skus[] = {sku}, *locations[] = {location};
    q_availability out[1];
    q_read read = {ORG, skus, 1, locations, 1, out};
    char message[Q_DELIVERY_MESSAGE_MAX];
    assert_int_equal(f->delivery->read(f->delivery, &read, message), Q_DELIVERY_OK);
    return out[0].found ? out[0].on_hand_milli : -1;
}

static void applies_and_maps_refusals_by_index(void **state)
{
    fixture *f = *state;
    tr_record records[] = {
        record("rec-0", "surprise", "SKU-A", 5000),
        record("rec-1", "nowhere", "SKU-B", 6000),  /* the graph has no such location */
        record("rec-2", "surprise", "bad sku", 7000), /* a space is no valid sku */
        record("rec-3", "phoenix", "SKU-A", 8250),
    };
    q_chunk chunk = chunk_of(records, 4, 10, NULL);
    delivered out;
    deliver(f->delivery, &chunk, &out);
    assert_int_equal(out.result.status, Q_DELIVERY_OK);
    assert_string_equal(out.result.message, "");
    assert_int_equal(out.result.retry_after_ms, -1);
    assert_int_equal(out.result.refusal_count, 2);
    assert_int_equal(out.refusals[0].record_index, 1);
    assert_string_equal(out.refusals[0].error_code, "LocationDoesNotExist");
    assert_non_null(strstr(out.refusals[0].message, "'nowhere'"));
    assert_int_equal(out.refusals[1].record_index, 2);
    assert_string_equal(out.refusals[1].error_code, "InvalidRequestParameter");
    assert_non_null(strstr(out.refusals[1].message, "sku"));

    /* The applied ones hold every figure the delivery passed. */
    const char *skus[] = {"SKU-A", "SKU-B"}, *locations[] = {"surprise", "phoenix", "wickenburg"};
    q_availability read_out[6];
    memset(read_out, 0xff, sizeof read_out);
    q_read read = {ORG, skus, 2, locations, 3, read_out};
    char message[Q_DELIVERY_MESSAGE_MAX] = "stale";
    assert_int_equal(f->delivery->read(f->delivery, &read, message), Q_DELIVERY_OK);
    assert_string_equal(message, "");
    /* out[l * sku_count + s] */
    assert_int_equal(read_out[0].found, 1);
    assert_int_equal(read_out[0].on_hand_milli, 5000);
    assert_int_equal(read_out[0].safety_stock_milli, 1500);
    assert_int_equal(read_out[0].reserved_milli, 0);
    assert_int_equal(read_out[0].atf_milli, 5000 - 1500);
    assert_int_equal(read_out[1].found, 0); /* SKU-B at surprise: never loaded */
    assert_int_equal(read_out[1].on_hand_milli, 0);
    assert_int_equal(read_out[2].found, 1);
    assert_int_equal(read_out[2].on_hand_milli, 8250);
    assert_int_equal(read_out[3].found, 0);
    assert_int_equal(read_out[4].found, 0);
    assert_int_equal(read_out[5].found, 0);

    /* The effective date went through too (the read interface does not carry it). */
    oci_availability record_out;
    assert_int_equal(oci_core_get_location_record(f->oci.core, ORG, "phoenix", "SKU-A", &record_out), CM_OK);
    assert_int_equal(record_out.has_effective_date, 1);
    assert_int_equal(record_out.effective_ms, 1700000000000);
}

static void a_chunk_is_applied_at_most_once(void **state)
{
    fixture *f = *state;
    tr_record first[] = {record("once-0", "surprise", "SKU-ONCE", 5000),
                         record("once-1", "nowhere", "SKU-ONCE", 1000)};
    q_chunk chunk = chunk_of(first, 2, 20, NULL);
    delivered out;
    deliver(f->delivery, &chunk, &out);
    assert_int_equal(out.result.status, Q_DELIVERY_OK);
    assert_int_equal(out.result.refusal_count, 1);
    assert_int_equal(on_hand(f, "surprise", "SKU-ONCE"), 5000);

    /* Another job moves the figure on. */
    tr_record later[] = {record("later-0", "surprise", "SKU-ONCE", 9000)};
    q_chunk later_chunk = chunk_of(later, 1, 21, NULL);
    deliver(f->delivery, &later_chunk, &out);
    assert_int_equal(out.result.status, Q_DELIVERY_OK);
    assert_int_equal(on_hand(f, "surprise", "SKU-ONCE"), 9000);

    /* The first chunk again (a retry, or a crash after the core committed): its first results,
     * and nothing applied a second time. */
    deliver(f->delivery, &chunk, &out);
    assert_int_equal(out.result.status, Q_DELIVERY_OK);
    assert_int_equal(out.result.refusal_count, 1);
    assert_int_equal(out.refusals[0].record_index, 1);
    assert_string_equal(out.refusals[0].error_code, "LocationDoesNotExist");
    assert_int_equal(on_hand(f, "surprise", "SKU-ONCE"), 9000);

    /* The same job, tenant and chunk with other records: refused, nothing applied. */
    tr_record other[] = {record("once-9", "surprise", "SKU-ONCE", 1)};
    q_chunk other_chunk = chunk_of(other, 1, 20, NULL);
    deliver(f->delivery, &other_chunk, &out);
    assert_int_equal(out.result.status, Q_DELIVERY_FINAL);
    assert_non_null(strstr(out.result.message, "applied batch install-A/3/20/0 before with other records"));
    assert_int_equal(out.result.refusal_count, 0);
    assert_int_equal(on_hand(f, "surprise", "SKU-ONCE"), 9000);

    /* Another installation's job 20 is another batch. */
    q_delivery *second = dl_delivery_bundled_new(f->oci.core, "install-B");
    assert_non_null(second);
    deliver(second, &other_chunk, &out);
    assert_int_equal(out.result.status, Q_DELIVERY_OK);
    assert_int_equal(on_hand(f, "surprise", "SKU-ONCE"), 1);
    second->destroy(second);

    /* Another chunk index of the same job is another batch too. */
    tr_record next[] = {record("once-10", "surprise", "SKU-ONCE", 2000)};
    q_chunk next_chunk = chunk_of(next, 1, 20, NULL);
    next_chunk.chunk_index = 1;
    deliver(f->delivery, &next_chunk, &out);
    assert_int_equal(out.result.status, Q_DELIVERY_OK);
    assert_int_equal(on_hand(f, "surprise", "SKU-ONCE"), 2000);
}

static void an_explicit_batch_key_is_used_as_it_is(void **state)
{
    fixture *f = *state;
    tr_record records[] = {record("co-0", "wickenburg", "SKU-CO", 3000)};
    q_chunk chunk = chunk_of(records, 1, 30, "coalesced/batch-7");
    delivered out;
    deliver(f->delivery, &chunk, &out);
    assert_int_equal(out.result.status, Q_DELIVERY_OK);
    assert_int_equal(on_hand(f, "wickenburg", "SKU-CO"), 3000);

    /* Another job id, same key, other records: the key decides, not the job. */
    tr_record other[] = {record("co-1", "wickenburg", "SKU-CO", 4000)};
    q_chunk other_chunk = chunk_of(other, 1, 31, "coalesced/batch-7");
    deliver(f->delivery, &other_chunk, &out);
    assert_int_equal(out.result.status, Q_DELIVERY_FINAL);
    assert_non_null(strstr(out.result.message, "applied batch coalesced/batch-7 before"));
    assert_int_equal(on_hand(f, "wickenburg", "SKU-CO"), 3000);

    /* A job-derived key of the same job is not the explicit one. */
    q_chunk derived = chunk_of(other, 1, 30, NULL);
    deliver(f->delivery, &derived, &out);
    assert_int_equal(out.result.status, Q_DELIVERY_OK);
    assert_int_equal(on_hand(f, "wickenburg", "SKU-CO"), 4000);
}

static void an_unknown_organization_is_final(void **state)
{
    fixture *f = *state;
    tr_record records[] = {record("x-0", "surprise", "SKU-X", 1000)};
    q_chunk chunk = chunk_of(records, 1, 40, NULL);
    chunk.organization_id = "org_elsewhere";
    delivered out;
    deliver(f->delivery, &chunk, &out);
    assert_int_equal(out.result.status, Q_DELIVERY_FINAL);
    assert_string_equal(out.result.message, "organization org_elsewhere is not served by the bundled OCI core");
    assert_int_equal(out.result.refusal_count, 0);

    const char *skus[] = {"SKU-X"}, *locations[] = {"surprise"};
    q_availability read_out[1];
    q_read read = {"org_elsewhere", skus, 1, locations, 1, read_out};
    char message[Q_DELIVERY_MESSAGE_MAX];
    assert_int_equal(f->delivery->read(f->delivery, &read, message), Q_DELIVERY_FINAL);
    assert_string_equal(message, "organization org_elsewhere is not served by the bundled OCI core");
    assert_int_equal(f->delivery->graph_changing(f->delivery, "org_elsewhere"), 0);
}

static void read_is_capped(void **state)
{
    fixture *f = *state;
    enum { SKUS = 11, LOCATIONS = 10 }; /* 110 > Q_READ_MAX_COMBINATIONS */
    const char *skus[SKUS], *locations[LOCATIONS];
    for (size_t i = 0; i < SKUS; i++)
        skus[i] = "SKU-CAP";
    for (size_t i = 0; i < LOCATIONS; i++)
        locations[i] = "surprise";
    q_availability *out = calloc(SKUS * LOCATIONS, sizeof *out);
    assert_non_null(out);
    q_read read = {ORG, skus, SKUS, locations, LOCATIONS, out};
    char message[Q_DELIVERY_MESSAGE_MAX];
    assert_int_equal(f->delivery->read(f->delivery, &read, message), Q_DELIVERY_FINAL);
    assert_string_equal(message, "get-availability: 110 combinations; at most 100 a call");
    /* Exactly the cap is one call. */
    read.sku_count = 10;
    assert_int_equal(f->delivery->read(f->delivery, &read, message), Q_DELIVERY_OK);
    assert_int_equal(out[99].found, 0);
    free(out);
}

/* A graph replacement that takes time (oci.graphChangeSeconds): the core says the graph is
 * changing, and the delivery passes that on. */
static void graph_changing_is_the_cores_answer(void **state)
{
    fixture *f = *state;
    assert_int_equal(f->delivery->graph_changing(f->delivery, ORG), 0);
    char url[256];
    th_url(url, sizeof url, f->oci.port, "/admin/organizations/" ORG "/location-graph");
    const char *headers[] = {"Authorization: Bearer graphs", "Content-Type: application/json", NULL};
    const char *body = "{\"locations\":[\"surprise\",\"phoenix\"],\"groups\":[]}";
    th_response response;
    assert_int_equal(th_http("PUT", url, headers, body, strlen(body), &response), 0);
    if (response.status != 200)
        fail_msg("graph replace: %ld %s", response.status, response.body);
    th_response_free(&response);
    assert_int_equal(f->delivery->graph_changing(f->delivery, ORG), 1);
}

static void no_installation_id(void **state)
{
    fixture *f = *state;
    q_delivery *delivery = dl_delivery_bundled_new(f->oci.core, NULL);
    assert_non_null(delivery);
    tr_record records[] = {record("n-0", "phoenix", "SKU-N", 1000)};
    q_chunk chunk = chunk_of(records, 1, 50, NULL);
    delivered out;
    deliver(delivery, &chunk, &out);
    assert_int_equal(out.result.status, Q_DELIVERY_OK);
    tr_record other[] = {record("n-1", "phoenix", "SKU-N", 2000)};
    chunk = chunk_of(other, 1, 50, NULL);
    deliver(delivery, &chunk, &out);
    assert_int_equal(out.result.status, Q_DELIVERY_FINAL);
    assert_non_null(strstr(out.result.message, "applied batch /3/50/0 before"));
    delivery->destroy(delivery);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(applies_and_maps_refusals_by_index, setup, teardown),
        cmocka_unit_test_setup_teardown(a_chunk_is_applied_at_most_once, setup, teardown),
        cmocka_unit_test_setup_teardown(an_explicit_batch_key_is_used_as_it_is, setup, teardown),
        cmocka_unit_test_setup_teardown(an_unknown_organization_is_final, setup, teardown),
        cmocka_unit_test_setup_teardown(read_is_capped, setup, teardown),
        cmocka_unit_test_setup_teardown(graph_changing_is_the_cores_answer, setup, teardown),
        cmocka_unit_test_setup_teardown(no_installation_id, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
