/*
 * auth.h - who is calling: tenant, package API key, translated-API switch, rate limit.
 *
 * gw_authenticate answers the request itself on every refusal (401, 403, 429, with the legacy
 * error body) and returns NULL; on success it returns the tenant and has answered nothing.
 * API keys are compared as SHA-256 digests in constant time and never logged.
 */
#ifndef GW_AUTH_H
#define GW_AUTH_H

#include <stdint.h>

#include "common/config.h"
#include "common/http_server.h"

typedef enum gw_package {
    GW_PACKAGE_V5,                 /* /api/v5 and /api/v1: the "Inventory V5" key */
    GW_PACKAGE_INVENTORY_SPECIFIC, /* /inv/api: the "Inventory Specific" key */
    GW_PACKAGE_ANY,                /* modern paths: either key */
} gw_package;

typedef struct gw_rate_limiter gw_rate_limiter;

/* Parses x-vol-tenant ("12345" or "t12345"). Returns 0 and the id, or -1. */
int gw_parse_tenant(const char *text, int64_t *tenant_id);

const cm_tenant *gw_authenticate(cm_http_request *request, const cm_config *config, gw_package package,
                                 gw_rate_limiter *limiter);

/* Token buckets per tenant; rates come from each tenant's rateLimit (0: unlimited). */
gw_rate_limiter *gw_rate_limiter_new(const cm_config *config);
void gw_rate_limiter_free(gw_rate_limiter *limiter);

/* Takes one token for `tenant` at monotonic time now_ms. Returns 0 when allowed, else the seconds
 * to wait before a token is there (≥ 1). */
int gw_rate_limit_take(gw_rate_limiter *limiter, const cm_tenant *tenant, int64_t now_ms);

#endif
