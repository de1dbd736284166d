#include "tests/support/oci_inproc.h"
#include "tests/support/test_support.h"

#include <stdio.h>
#include <string.h>

void th_oci_start(th_oci *oci, const char *config_json)
{
    memset(oci, 0, sizeof *oci);
    th_temp_dir(oci->dir, sizeof oci->dir);
    char error[CM_CONFIG_ERROR_MAX];
    if (cm_config_parse(config_json, strlen(config_json), "test", oci->dir, NULL, 0, &oci->config, error) != CM_OK)
        fail_msg("config: %s", error);
    char oci_error[OCI_ERROR_MAX];
    if (oci_core_open(oci->config, oci->dir, &oci->core, oci_error) != CM_OK)
        fail_msg("open: %s", oci_error);
    cm_http_server_config server_config = {.name = "oci", .bind_address = "127.0.0.1", .threads = 2};
    oci_core_http_config(oci->core, &server_config);
    char http_error[CM_HTTP_ERROR_MAX];
    if (cm_http_server_start(&server_config, &oci->server, http_error) != CM_OK)
        fail_msg("server: %s", http_error);
    oci->port = cm_http_server_port(oci->server);
}

void th_oci_stop(th_oci *oci)
{
    cm_http_server_stop(oci->server);
    oci_core_close(oci->core);
    cm_config_free(oci->config);
    th_remove_tree(oci->dir);
    memset(oci, 0, sizeof *oci);
}
