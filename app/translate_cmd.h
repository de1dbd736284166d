/*
 * translate_cmd.h - `omsgw translate`: what the gateway would deliver for a request, without
 * sending anything. Validates the request exactly as the gateway does (and prints the same
 * problems), then prints the OCI import lines and the legacy fields kept aside.
 *
 * Exit codes: 0 printed, 1 the request would be refused (problems printed), 2 usage error.
 */
#ifndef APP_TRANSLATE_CMD_H
#define APP_TRANSLATE_CMD_H

int app_translate_main(int argc, char **argv);

#endif
