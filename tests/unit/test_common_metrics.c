/*
 * test_common_metrics.c - common/metrics: what the registry renders is valid exposition text (checked by
 * the independent reader in tests/support/prom_text.c), histograms are consistent, label values
 * are escaped, series stay bounded, and counting from several threads loses nothing.
 */
#include "common/metrics.h"
#include "tests/support/prom_text.h"
#include "tests/support/test_support.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int reset(void **state)
{
    (void)state;
    cm_metrics_reset();
    return 0;
}

static char *render(void)
{
    size_t length = 0;
    char *text = cm_metrics_render(&length);
    assert_non_null(text);
    assert_int_equal(strlen(text), length);
    return text;
}

static void parse_ok(const char *text, th_prom *prom)
{
    if (th_prom_parse(text, prom) != 0)
        fail_msg("%s\n---\n%s", prom->error, text);
}

static void test_counter_gauge_and_text(void **state)
{
    (void)state;
    static const char *const labels[] = {"tenant", "status", NULL};
    cm_metric *jobs = cm_metrics_counter("t_jobs_total", "Jobs.", labels);
    assert_ptr_equal(cm_metrics_counter("t_jobs_total", "Jobs.", labels), jobs);
    const char *success[] = {"12345", "SUCCESS"}, *failed[] = {"12345", "FAILED"};
    cm_metric_add(jobs, success, 1);
    cm_metric_add(jobs, success, 2);
    cm_metric_add(jobs, failed, 1);
    cm_metric *depth = cm_metrics_gauge("t_depth", "Depth.", NULL);
    cm_metric_set(depth, NULL, 7);
    cm_metric_set(depth, NULL, 4.5);
    cm_metric_add(NULL, NULL, 1); /* ignored */
    char *text = render();
    assert_non_null(strstr(text, "# TYPE t_jobs_total counter\n"));
    assert_non_null(strstr(text, "t_jobs_total{tenant=\"12345\",status=\"SUCCESS\"} 3\n"));
    assert_non_null(strstr(text, "t_depth 4.5\n"));
    th_prom prom;
    parse_ok(text, &prom);
    assert_true(th_prom_sum(&prom, "t_jobs_total", "tenant=\"12345\"") == 4);
    assert_true(th_prom_sum(&prom, "t_jobs_total", "status=\"FAILED\"") == 1);
    th_prom_free(&prom);
    free(text);
}

static void test_histogram_consistent(void **state)
{
    (void)state;
    static const double bounds[] = {0.1, 1, 10};
    static const char *const labels[] = {"route", NULL};
    cm_metric *latency = cm_metrics_histogram("t_latency_seconds", "Latency.", labels, bounds, 3);
    const char *a[] = {"/a/{id}"}, *b[] = {"/b"};
    double observations[] = {0.05, 0.1, 0.5, 2, 50, 0.01};
    for (size_t i = 0; i < 6; i++)
        cm_metric_observe(latency, a, observations[i]);
    cm_metric_observe(latency, b, 3);
    char *text = render();
    /* 0.1 is in the le="0.1" bucket: upper bounds are inclusive. */
    assert_non_null(strstr(text, "t_latency_seconds_bucket{route=\"/a/{id}\",le=\"0.1\"} 3\n"));
    assert_non_null(strstr(text, "t_latency_seconds_bucket{route=\"/a/{id}\",le=\"10\"} 5\n"));
    assert_non_null(strstr(text, "t_latency_seconds_bucket{route=\"/a/{id}\",le=\"+Inf\"} 6\n"));
    assert_non_null(strstr(text, "t_latency_seconds_count{route=\"/a/{id}\"} 6\n"));
    th_prom prom;
    parse_ok(text, &prom);
    assert_true(th_prom_sum(&prom, "t_latency_seconds_count", NULL) == 7);
    assert_true(th_prom_sum(&prom, "t_latency_seconds_sum", "route=\"/b\"") == 3);
    th_prom_free(&prom);
    free(text);
}

static void test_label_values_escaped(void **state)
{
    (void)state;
    static const char *const labels[] = {"path", NULL};
    cm_metric *odd = cm_metrics_counter("t_odd_total", "Help with a \\ backslash.", labels);
    const char *values[] = {"a\"b\\c\nd"};
    cm_metric_add(odd, values, 1);
    char *text = render();
    assert_non_null(strstr(text, "t_odd_total{path=\"a\\\"b\\\\c\\nd\"} 1\n"));
    th_prom prom;
    parse_ok(text, &prom);
    th_prom_free(&prom);
    free(text);
}

static void test_series_bounded(void **state)
{
    (void)state;
    static const char *const labels[] = {"id", NULL};
    cm_metric *many = cm_metrics_counter("t_many_total", "Many.", labels);
    for (int i = 0; i < CM_METRICS_MAX_SERIES + 50; i++) {
        char id[16];
        snprintf(id, sizeof id, "%d", i);
        const char *values[] = {id};
        cm_metric_add(many, values, 1);
    }
    char *text = render();
    th_prom prom;
    parse_ok(text, &prom);
    assert_true(th_prom_sum(&prom, "t_many_total", NULL) == CM_METRICS_MAX_SERIES + 50);
    /* The series past the limit are folded into one "other" series, never dropped. */
    assert_true(th_prom_sum(&prom, "t_many_total", "id=\"other\"") == 50);
    th_prom_free(&prom);
    free(text);
}

static int collected;
static void collect(void *data)
{
    collected++;
    cm_metric_set(data, NULL, collected);
}

static void test_collectors_run_at_render(void **state)
{
    (void)state;
    collected = 0;
    cm_metric *gauge = cm_metrics_gauge("t_collected", "Collected.", NULL);
    cm_metrics_add_collector(collect, gauge);
    cm_metrics_add_collector(collect, gauge); /* kept once */
    free(render());
    char *text = render();
    assert_int_equal(collected, 2);
    assert_non_null(strstr(text, "t_collected 2\n"));
    free(text);
    cm_metrics_remove_collector(collect, gauge);
    free(render());
    assert_int_equal(collected, 2);
}

#define THREADS 4
#define PER_THREAD 5000

static void *count_many(void *data)
{
    cm_metric *counter = data;
    for (int i = 0; i < PER_THREAD; i++)
        cm_metric_add(counter, NULL, 1);
    return NULL;
}

static void test_threads_lose_nothing(void **state)
{
    (void)state;
    cm_metric *counter = cm_metrics_counter("t_threads_total", "Threads.", NULL);
    pthread_t threads[THREADS];
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, count_many, counter), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(threads[i], NULL);
    char *text = render();
    char expected[64];
    snprintf(expected, sizeof expected, "t_threads_total %d\n", THREADS * PER_THREAD);
    assert_non_null(strstr(text, expected));
    free(text);
}

/* The reader itself refuses what is not the format, so the e2e checks mean something. */
static void test_reader_refuses_bad_text(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "x_total 1\n",                                                      /* no TYPE */
        "# TYPE x_total counter\nx_total{a=\"b} 1\n",                       /* unterminated */
        "# TYPE x_total counter\nx_total one\n",                            /* bad value */
        "# TYPE x counter\nx 1\n",                                          /* counter without _total */
        "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n", /* not cumulative */
        "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n", /* count != +Inf */
        "# TYPE g gauge\ng 1",                                              /* no final newline */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        th_prom prom;
        if (th_prom_parse(bad[i], &prom) == 0)
            fail_msg("accepted: %s", bad[i]);
        th_prom_free(&prom);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_counter_gauge_and_text, reset),
        cmocka_unit_test_setup(test_histogram_consistent, reset),
        cmocka_unit_test_setup(test_label_values_escaped, reset),
        cmocka_unit_test_setup(test_series_bounded, reset),
        cmocka_unit_test_setup(test_collectors_run_at_render, reset),
        cmocka_unit_test_setup(test_threads_lose_nothing, reset),
        cmocka_unit_test(test_reader_refuses_bad_text),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    cm_metrics_reset();
    return failed;
}
