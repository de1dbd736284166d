/*
 * multipart.h - finding the file in a multipart/form-data body (RFC 7578), in memory.
 *
 * The upload route accepts any single file part: the part with a filename in its
 * Content-Disposition, or, when no part has one, the only part there is. Lines end with CRLF.
 * Pure code: no allocation, no I/O; the body may be a mapped file of up to 100 MB.
 */
#ifndef OCI_MULTIPART_H
#define OCI_MULTIPART_H

#include <stddef.h>

#include "common/err.h"

#define OCI_MULTIPART_BOUNDARY_MAX 70 /* RFC 2046 */
#define OCI_MULTIPART_ERROR_MAX 160

/* 1 when the Content-Type is multipart/form-data (any case, parameters allowed). */
int oci_multipart_is_form(const char *content_type);

/* Extracts the boundary parameter (quoted or not) into `boundary`. CM_EINVAL when absent or bad. */
cm_err oci_multipart_boundary(const char *content_type, char boundary[OCI_MULTIPART_BOUNDARY_MAX + 1]);

typedef struct oci_multipart_file {
    size_t offset; /* of the file's first byte in the body */
    size_t length;
    char name[128];     /* the form field name ("" when none) */
    char filename[256]; /* "" when the part had none */
} oci_multipart_file;

/* Called for each part in order; return non-zero to stop early. */
typedef int (*oci_multipart_visitor)(const oci_multipart_file *part, int has_filename, void *data);

/* Visits every part of a multipart body. CM_EINVAL with `error` set when the body is malformed
 * (parts visited before the fault have been visited). */
cm_err oci_multipart_each(const char *body, size_t length, const char *boundary, oci_multipart_visitor visitor,
                          void *data, char error[OCI_MULTIPART_ERROR_MAX]);

/* Finds the file part. CM_EINVAL with `error` set when the body is malformed, has no part, or has
 * several candidate file parts. */
cm_err oci_multipart_find_file(const char *body, size_t length, const char *boundary,
                               oci_multipart_file *out, char error[OCI_MULTIPART_ERROR_MAX]);

#endif
