/*
 * tls.h - loading a listener's TLS certificate and key, and checking that they belong together,
 * before the listener starts (libmicrohttpd would only say "could not start").
 *
 * Uses GnuTLS, the library libmicrohttpd itself speaks TLS with, so what passes here is what the
 * server will accept. It never logs key material.
 */
#ifndef CM_TLS_H
#define CM_TLS_H

#include <stddef.h>

#include "common/err.h"

#define CM_TLS_ERROR_MAX 320
#define CM_TLS_MAX_FILE_BYTES (1024 * 1024)

/*
 * Reads both PEM files and checks them: each parses, and the key is the certificate's. On success
 * *certificate_pem and *key_pem are new NUL-terminated strings the caller frees. On failure both are
 * NULL and `error` holds one line naming the file and the problem.
 */
cm_err cm_tls_load_pair(const char *certificate_path, const char *key_path, char **certificate_pem,
                        char **key_pem, char error[CM_TLS_ERROR_MAX]);

#endif
