#include "tests/support/gateway_tenants.h"
#include "tests/support/test_support.h"

#include <string.h>

static const char CONFIG[] =
    "{\"oci\":{\"organizations\":[{\"id\":\"org1\"}]},"
    " \"tenants\":["
    "  {\"id\":1,\"apiKeys\":{\"v5\":\"k\"},\"organizationId\":\"org1\","
    "   \"locations\":{\"Location 1\":\"warehouse-1\",\"Location 2\":\"warehouse-2\",\"Store 3\":\"store-3\"}},"
    "  {\"id\":2,\"apiKeys\":{\"v5\":\"k\"},\"organizationId\":\"org1\",\"autoLocations\":true,"
    "   \"skuFrom\":[\"upc\",\"sku\"]}]}";

cm_config *th_gateway_config;

int th_gateway_tenants_load(void **state)
{
    (void)state;
    char error[CM_CONFIG_ERROR_MAX];
    assert_int_equal(cm_config_parse(CONFIG, strlen(CONFIG), "test", ".", NULL, 0, &th_gateway_config, error), CM_OK);
    return 0;
}

int th_gateway_tenants_free(void **state)
{
    (void)state;
    cm_config_free(th_gateway_config);
    th_gateway_config = NULL;
    return 0;
}

int th_has_problem(const gw_problems *problems, const char *field)
{
    for (size_t i = 0; i < problems->count; i++)
        if (strcmp(problems->list[i].field, field) == 0)
            return 1;
    return 0;
}
