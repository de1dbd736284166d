/*
 * limits.h - every limit the legacy gateway enforces, in one place (decisions.md, "Validation").
 */
#ifndef GW_LIMITS_H
#define GW_LIMITS_H

#define GW_MAX_REFRESH_ITEMS 12000
#define GW_MAX_ADJUST_ITEMS 1000 /* legacy-api.md §2.2: over 1000 is 400 */
/* smart-refresh / smart-adjust go synchronous at this many items or fewer (Kibo: "about 25"). */
#define GW_SMART_SYNC_MAX_ITEMS 25
/* Inquiry and aggregate: items per request (the legacy default cap is items × 100 rows). */
#define GW_MAX_INQUIRY_ITEMS 1000
#define GW_MAX_INQUIRY_LOCATIONS 1000 /* entries of a whitelist, blacklist or priority list */
#define GW_MAX_INQUIRY_ROWS 100000
/* items × selected locations of one inquiry or aggregate: bounds the OCI calls (1000 of 100) and the
 * memory of one answer, priority rows (never cut by limit) included. */
#define GW_MAX_INQUIRY_CELLS 100000
/* How long a synchronous adjust or smart request waits for its job (its turn in the tenant's
 * order included) before answering 202-style with the jobID instead. */
#define GW_SYNC_WAIT_MS 20000
#define GW_MAX_BODY_BYTES (16 * 1024 * 1024)
/* The normalized items never outgrow the body they come from by much; twice is a safe bound. */
#define GW_MAX_NORMALIZED_BYTES (2 * GW_MAX_BODY_BYTES)
#define GW_MAX_LOCATION_NAME 255
#define GW_MAX_LOCATOR_NAME 50
#define GW_MAX_ATTRIBUTES 63
#define GW_MAX_ATTRIBUTE_LENGTH 255
#define GW_MAX_IDENTIFIER_LENGTH 255
#include "translate/item.h"

#define GW_MAX_QUANTITY TR_MAX_QUANTITY /* 10^12: exact in OCI's thousandths and in doubles */
#define GW_MAX_REPORTED_PROBLEMS 100
#define GW_MAX_REPORTED_DUPLICATES 100
#define GW_JSON_MAX_DEPTH 16
#define GW_MAX_JOB_LIST_LIMIT 1000
#define GW_DEFAULT_JOB_LIST_LIMIT 100
#define GW_MAX_CORRELATION_ID 64
/* A body this large parses into tens of MB of json-c objects: at most this many are parsed and
 * validated at once, so the gateway's memory stays near one such request whatever the concurrency
 * (the others wait a few tens of milliseconds). */
#define GW_LARGE_REFRESH_BYTES (1024 * 1024)
#define GW_MAX_CONCURRENT_LARGE_REFRESHES 1

#endif
