#include "common/tls.h"

#include <errno.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The whole file as a NUL-terminated string, or NULL with `error` set. */
static char *read_pem(const char *path, const char *what, char error[CM_TLS_ERROR_MAX])
{
    FILE *file = fopen(path, "rb");
    if (!file) {
        snprintf(error, CM_TLS_ERROR_MAX, "TLS %s %s: cannot open: %s", what, path, strerror(errno));
        return NULL;
    }
    char *text = malloc(CM_TLS_MAX_FILE_BYTES + 1);
    size_t length = text ? fread(text, 1, CM_TLS_MAX_FILE_BYTES + 1, file) : 0;
    int read_errno = ferror(file) ? (errno ? errno : EIO) : 0;
    fclose(file);
    /* Each failure its own words: a folder is not "empty", a huge file is not unreadable. */
    const char *problem = !text                            ? "out of memory"
                          : read_errno                     ? strerror(read_errno)
                          : length > CM_TLS_MAX_FILE_BYTES ? "larger than 1 MiB"
                          : length == 0                    ? "the file is empty"
                                                           : NULL;
    if (problem) {
        snprintf(error, CM_TLS_ERROR_MAX, "TLS %s %s: %s%s", what, path, read_errno ? "cannot read it: " : "",
                 problem);
        free(text);
        return NULL;
    }
    text[length] = '\0';
    return text;
}

cm_err cm_tls_load_pair(const char *certificate_path, const char *key_path, char **certificate_pem,
                        char **key_pem, char error[CM_TLS_ERROR_MAX])
{
    *certificate_pem = NULL;
    *key_pem = NULL;
    char *certificate = read_pem(certificate_path, "certificate", error);
    if (!certificate)
        return CM_ECONFIG;
    char *key = read_pem(key_path, "key", error);
    if (!key) {
        free(certificate);
        return CM_ECONFIG;
    }
    gnutls_certificate_credentials_t credentials;
    if (gnutls_certificate_allocate_credentials(&credentials) != GNUTLS_E_SUCCESS) {
        snprintf(error, CM_TLS_ERROR_MAX, "TLS: out of memory");
        free(certificate);
        free(key);
        return CM_ENOMEM;
    }
    gnutls_datum_t certificate_datum = {(unsigned char *)certificate, (unsigned)strlen(certificate)};
    gnutls_datum_t key_datum = {(unsigned char *)key, (unsigned)strlen(key)};
    /* GnuTLS parses both and refuses a key that is not the certificate's (KEY_MISMATCH). */
    int rc = gnutls_certificate_set_x509_key_mem(credentials, &certificate_datum, &key_datum, GNUTLS_X509_FMT_PEM);
    gnutls_certificate_free_credentials(credentials);
    if (rc < 0) {
        if (rc == GNUTLS_E_CERTIFICATE_KEY_MISMATCH)
            snprintf(error, CM_TLS_ERROR_MAX, "TLS key %s is not the key of certificate %s", key_path,
                     certificate_path);
        else
            snprintf(error, CM_TLS_ERROR_MAX, "TLS certificate %s and key %s: cannot be used: %s",
                     certificate_path, key_path, gnutls_strerror(rc));
        free(certificate);
        free(key);
        return CM_ECONFIG;
    }
    *certificate_pem = certificate;
    *key_pem = key;
    return CM_OK;
}
