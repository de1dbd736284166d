/*
 * gateway_tenants.h - the two tenants the gateway's validation tests run against: tenant 1 with
 * mapped locations ("Location 1", "Location 2", "Store 3") and the default identifier order,
 * tenant 2 with derived locations (autoLocations) and upc before sku. A cmocka group setup and
 * teardown load and free them; has_problem looks a field up in a validation's problems.
 */
#ifndef TH_GATEWAY_TENANTS_H
#define TH_GATEWAY_TENANTS_H

#include "common/config.h"
#include "gateway/validate.h"

/* Set by th_gateway_tenants_load, NULL after th_gateway_tenants_free. */
extern cm_config *th_gateway_config;

int th_gateway_tenants_load(void **state);
int th_gateway_tenants_free(void **state);

/* 1 when `problems` names `field`. */
int th_has_problem(const gw_problems *problems, const char *field);

#endif
