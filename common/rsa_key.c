/* rsa_key.c - PEM RSA keys through libcrypto (rsa_key.h). */
#include "common/rsa_key.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

static cm_err open_key_file(const char *path, FILE **file, char error[CM_RSA_KEY_ERROR_MAX])
{
    *file = fopen(path, "rb");
    if (!*file) {
        snprintf(error, CM_RSA_KEY_ERROR_MAX, "%s: cannot be read (%s)", path, strerror(errno));
        return errno == ENOENT ? CM_ENOTFOUND : CM_EIO;
    }
    return CM_OK;
}

static cm_err require_rsa(const char *path, EVP_PKEY **key, const char *what, char error[CM_RSA_KEY_ERROR_MAX])
{
    if (EVP_PKEY_base_id(*key) == EVP_PKEY_RSA)
        return CM_OK;
    EVP_PKEY_free(*key);
    *key = NULL;
    snprintf(error, CM_RSA_KEY_ERROR_MAX, "%s: the %s is not an RSA key (RS256 needs RSA)", path, what);
    return CM_EINVAL;
}

cm_err cm_rsa_public_key_load(const char *path, EVP_PKEY **out, char error[CM_RSA_KEY_ERROR_MAX])
{
    *out = NULL;
    FILE *file;
    cm_err rc = open_key_file(path, &file, error);
    if (rc)
        return rc;
    X509 *certificate = PEM_read_X509(file, NULL, NULL, NULL);
    if (certificate) {
        *out = X509_get_pubkey(certificate);
        X509_free(certificate);
    } else {
        /* Not a certificate: perhaps a bare "PUBLIC KEY" block. */
        rewind(file);
        *out = PEM_read_PUBKEY(file, NULL, NULL, NULL);
    }
    fclose(file);
    ERR_clear_error();
    if (!*out) {
        snprintf(error, CM_RSA_KEY_ERROR_MAX, "%s: holds no PEM certificate or public key", path);
        return CM_EINVAL;
    }
    return require_rsa(path, out, "certificate's key", error);
}

cm_err cm_rsa_private_key_load(const char *path, EVP_PKEY **out, int *world_readable,
                               char error[CM_RSA_KEY_ERROR_MAX])
{
    *out = NULL;
    if (world_readable)
        *world_readable = 0;
    FILE *file;
    cm_err rc = open_key_file(path, &file, error);
    if (rc)
        return rc;
    struct stat info;
    if (world_readable && fstat(fileno(file), &info) == 0)
        *world_readable = (info.st_mode & S_IROTH) != 0;
    /* No passphrase callback: an encrypted key fails here instead of prompting on a terminal. */
    *out = PEM_read_PrivateKey(file, NULL, NULL, (void *)"");
    fclose(file);
    ERR_clear_error();
    if (!*out) {
        snprintf(error, CM_RSA_KEY_ERROR_MAX, "%s: holds no unencrypted PEM private key", path);
        return CM_EINVAL;
    }
    return require_rsa(path, out, "private key", error);
}
