/*
 * compare.h - `omsgw compare`: proof, before a tenant switches, that the legacy path and a native
 * OCI import of the same inventory give the same availability.
 *
 * It sends a legacy refresh request through the running gateway (and waits for its job), loads
 * the same inventory natively — an OCI import file built here from the documented field rules,
 * independently of translate/ — into a second organization (or a second OCI), then asks both sides
 * get-availability for every SKU of the request and prints them side by side.
 *
 * Exit codes: 0 every row equal, 1 some row differs (or the job failed), 2 usage or connection
 * error.
 */
#ifndef APP_COMPARE_H
#define APP_COMPARE_H

/* Runs the command with the arguments after "compare". Returns the exit code. */
int app_compare_main(int argc, char **argv);

#endif
