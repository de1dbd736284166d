/*
 * test_cli.c - the command line of the real `omsgw`: every subcommand's --help prints its own
 * options (exit 0), --opt=value works like --opt value, an unknown option says "unknown option",
 * a missing value "needs a value", `omsgw` alone prints usage on stderr and exits 2, and
 * `translate` without --config names the file it used.
 */
#include "tests/support/omsgw_process.h"
#include "tests/support/test_support.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void expect_run(const char *const *args, int code, const char *needle)
{
    char *output = NULL;
    int got = th_omsgw_run(args, &output);
    if (got != code || !output || !strstr(output, needle))
        fail_msg("omsgw %s...: expected exit %d with \"%s\", got %d: %s", args[0] ? args[0] : "", code, needle,
                 got, output ? output : "(none)");
    free(output);
}

static void every_subcommand_has_its_own_help(void **state)
{
    (void)state;
    const char *serve[] = {"serve", "--help", NULL};
    expect_run(serve, 0, "usage: omsgw serve [OPTIONS]");
    expect_run(serve, 0, "--workers N");
    const char *oci_core[] = {"oci-core", "-h", NULL};
    expect_run(oci_core, 0, "usage: omsgw oci-core [OPTIONS]");
    const char *compare[] = {"compare", "--help", NULL};
    expect_run(compare, 0, "--native-token-url URL");
    expect_run(compare, 0, "--compare-only");
    const char *translate[] = {"translate", "--help", NULL};
    expect_run(translate, 0, "--job-id N");
    const char *backup[] = {"backup", "--help", NULL};
    expect_run(backup, 0, "usage: omsgw backup --to FOLDER");
    const char *restore[] = {"restore", "--help", NULL};
    expect_run(restore, 0, "usage: omsgw restore --from FOLDER");
    /* --help wins wherever it stands. */
    const char *late[] = {"serve", "--workers", "3", "--help", NULL};
    expect_run(late, 0, "usage: omsgw serve");
}

static void no_arguments_prints_usage_on_stderr(void **state)
{
    (void)state;
    const char *none[] = {NULL};
    expect_run(none, 2, "usage: omsgw serve|oci-core|compare|translate|backup|restore");
}

static void unknown_options_and_missing_values(void **state)
{
    (void)state;
    const char *bogus[] = {"serve", "--bogus", "1", NULL};
    expect_run(bogus, 2, "omsgw serve: unknown option \"--bogus\"");
    const char *bogus_equals[] = {"compare", "--bogus=1", NULL};
    expect_run(bogus_equals, 2, "omsgw compare: unknown option \"--bogus\"");
    const char *translate_bogus[] = {"translate", "--bogus", NULL};
    expect_run(translate_bogus, 2, "omsgw translate: unknown option \"--bogus\"");
    const char *missing[] = {"serve", "--config", NULL};
    expect_run(missing, 2, "--config needs a value");
    const char *flag_value[] = {"compare", "--json=yes", NULL};
    expect_run(flag_value, 2, "--json takes no value");
    const char *stray[] = {"serve", "extra", NULL};
    expect_run(stray, 2, "unexpected argument \"extra\"");
    const char *bad_level[] = {"serve", "--log-level=loud", NULL};
    expect_run(bad_level, 2, "--log-level is debug, info, warn or error");
}

static void option_equals_value_works_like_two_words(void **state)
{
    (void)state;
    th_omsgw process;
    th_omsgw_prepare(&process, NULL);
    /* A config file given as --config=FILE is the file read (its error names it). */
    const char *missing_file[] = {"serve", "--config=/nonexistent/eq.json", NULL};
    expect_run(missing_file, 2, "/nonexistent/eq.json");
    /* And a whole server started with --opt=value only. */
    char config[400], data[400], gateway[32], oci[32];
    snprintf(config, sizeof config, "--config=%s", process.config_path);
    snprintf(data, sizeof data, "--data-dir=%s", process.data_dir);
    snprintf(gateway, sizeof gateway, "--gateway-port=%d", process.gateway_port);
    snprintf(oci, sizeof oci, "--oci-port=%d", process.oci_port);
    const char *extra[] = {config, data, gateway, oci, "--set=queue.workers=3", NULL};
    assert_int_equal(th_omsgw_launch(&process, extra), 0);
    assert_int_equal(th_omsgw_stop(&process, SIGTERM, 10000), 0);
    th_omsgw_cleanup(&process);
}

static void translate_names_the_config_it_used(void **state)
{
    (void)state;
    char request[1024];
    snprintf(request, sizeof request, "%s/samples/requests/refresh-1.json", getenv("OMSGW_SOURCE_DIR"));
    char command[1400];
    /* Run from the source folder, where the default samples/omsgw.json is. */
    snprintf(command, sizeof command, "cd '%s' && '%s' translate --request '%s' 2>&1 >/dev/null",
             getenv("OMSGW_SOURCE_DIR"), getenv("OMSGW_BIN"), request);
    FILE *pipe = popen(command, "r");
    assert_non_null(pipe);
    char line[512] = "";
    char *got = fgets(line, sizeof line, pipe);
    assert_int_equal(pclose(pipe), 0);
    assert_non_null(got);
    assert_non_null(strstr(line, "omsgw translate: no --config given; using samples/omsgw.json"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_subcommand_has_its_own_help),
        cmocka_unit_test(no_arguments_prints_usage_on_stderr),
        cmocka_unit_test(unknown_options_and_missing_values),
        cmocka_unit_test(option_equals_value_works_like_two_words),
        cmocka_unit_test(translate_names_the_config_it_used),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
