#include "oci_core/multipart.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define HEADERS_MAX 8192

/* memmem is a GNU extension; this one scans with memchr on the first byte. */
static const char *find_bytes(const char *haystack, size_t length, const char *needle, size_t needle_length)
{
    if (needle_length == 0 || length < needle_length)
        return NULL;
    const char *end = haystack + length - needle_length + 1;
    for (const char *p = haystack; p < end;) {
        p = memchr(p, needle[0], (size_t)(end - p));
        if (!p)
            return NULL;
        if (memcmp(p, needle, needle_length) == 0)
            return p;
        p++;
    }
    return NULL;
}

int oci_multipart_is_form(const char *content_type)
{
    if (!content_type)
        return 0;
    while (*content_type == ' ')
        content_type++;
    size_t n = strlen("multipart/form-data");
    return strncasecmp(content_type, "multipart/form-data", n) == 0 &&
           (content_type[n] == '\0' || content_type[n] == ';' || content_type[n] == ' ');
}

cm_err oci_multipart_boundary(const char *content_type, char boundary[OCI_MULTIPART_BOUNDARY_MAX + 1])
{
    boundary[0] = '\0';
    if (!content_type)
        return CM_EINVAL;
    const char *p = content_type;
    while ((p = strchr(p, ';')) != NULL) {
        p++;
        while (*p == ' ' || *p == '\t')
            p++;
        if (strncasecmp(p, "boundary=", 9) != 0)
            continue;
        p += 9;
        size_t length = 0;
        if (*p == '"') {
            const char *end = strchr(++p, '"');
            if (!end)
                return CM_EINVAL;
            length = (size_t)(end - p);
        } else {
            length = strcspn(p, "; \t");
        }
        if (length == 0 || length > OCI_MULTIPART_BOUNDARY_MAX)
            return CM_EINVAL;
        memcpy(boundary, p, length);
        boundary[length] = '\0';
        return CM_OK;
    }
    return CM_EINVAL;
}

/* Reads a parameter (name="value" or name=value) of a Content-Disposition line. */
static void disposition_param(const char *line, size_t line_length, const char *param, char *out,
                              size_t size)
{
    out[0] = '\0';
    size_t param_length = strlen(param);
    for (size_t i = 0; i + param_length + 1 < line_length; i++) {
        if ((i == 0 || line[i - 1] == ';' || line[i - 1] == ' ') &&
            strncasecmp(line + i, param, param_length) == 0 && line[i + param_length] == '=') {
            const char *v = line + i + param_length + 1;
            const char *end = line + line_length;
            size_t n;
            if (v < end && *v == '"') {
                v++;
                const char *close = memchr(v, '"', (size_t)(end - v));
                n = close ? (size_t)(close - v) : (size_t)(end - v);
            } else {
                n = 0;
                while (v + n < end && v[n] != ';' && v[n] != ' ')
                    n++;
            }
            snprintf(out, size, "%.*s", (int)(n < size ? n : size - 1), v);
            return;
        }
    }
}

/* Parses one part's headers in [start, end); fills name and filename; 1 when it has a filename param. */
static int part_headers(const char *start, size_t length, oci_multipart_file *part)
{
    int has_filename = 0;
    const char *p = start, *end = start + length;
    while (p < end) {
        const char *eol = find_bytes(p, (size_t)(end - p), "\r\n", 2);
        size_t line_length = eol ? (size_t)(eol - p) : (size_t)(end - p);
        if (line_length > 20 && strncasecmp(p, "Content-Disposition:", 20) == 0) {
            disposition_param(p + 20, line_length - 20, "name", part->name, sizeof part->name);
            disposition_param(p + 20, line_length - 20, "filename", part->filename, sizeof part->filename);
            has_filename = find_bytes(p, line_length, "filename=", 9) != NULL;
        }
        p += line_length + 2;
    }
    return has_filename;
}

cm_err oci_multipart_each(const char *body, size_t length, const char *boundary, oci_multipart_visitor visitor,
                          void *data, char error[OCI_MULTIPART_ERROR_MAX])
{
    char delimiter[OCI_MULTIPART_BOUNDARY_MAX + 5];
    int delimiter_length = snprintf(delimiter, sizeof delimiter, "\r\n--%s", boundary);
    /* The first delimiter may open the body without the CRLF before it. */
    const char *p;
    if (length >= (size_t)delimiter_length - 2 && memcmp(body, delimiter + 2, (size_t)delimiter_length - 2) == 0)
        p = body + delimiter_length - 2;
    else {
        p = find_bytes(body, length, delimiter, (size_t)delimiter_length);
        if (!p) {
            snprintf(error, OCI_MULTIPART_ERROR_MAX, "the multipart body has no boundary \"%s\"", boundary);
            return CM_EINVAL;
        }
        p += delimiter_length;
    }
    const char *end = body + length;
    size_t parts = 0;
    for (;;) {
        /* After a delimiter: "--" closes the body, CRLF opens a part. */
        if (end - p >= 2 && p[0] == '-' && p[1] == '-')
            break;
        if (end - p < 2 || p[0] != '\r' || p[1] != '\n') {
            snprintf(error, OCI_MULTIPART_ERROR_MAX, "the multipart body is malformed after part %zu", parts);
            return CM_EINVAL;
        }
        p += 2;
        size_t search = (size_t)(end - p) < HEADERS_MAX ? (size_t)(end - p) : HEADERS_MAX;
        const char *headers_end;
        if (search >= 2 && p[0] == '\r' && p[1] == '\n')
            headers_end = p; /* a part without headers */
        else {
            headers_end = find_bytes(p, search, "\r\n\r\n", 4);
            if (!headers_end) {
                snprintf(error, OCI_MULTIPART_ERROR_MAX, "part %zu has no end of headers", parts + 1);
                return CM_EINVAL;
            }
            headers_end += 2;
        }
        oci_multipart_file part = {0};
        int has_filename = part_headers(p, (size_t)(headers_end - p), &part);
        const char *content = headers_end + 2;
        const char *next = find_bytes(content, (size_t)(end - content), delimiter, (size_t)delimiter_length);
        if (!next) {
            snprintf(error, OCI_MULTIPART_ERROR_MAX, "part %zu is not closed by the boundary", parts + 1);
            return CM_EINVAL;
        }
        part.offset = (size_t)(content - body);
        part.length = (size_t)(next - content);
        parts++;
        if (visitor(&part, has_filename, data) != 0)
            return CM_OK;
        p = next + delimiter_length;
    }
    return CM_OK;
}

typedef struct file_search {
    size_t parts, file_parts;
    oci_multipart_file first, file;
} file_search;

static int count_part(const oci_multipart_file *part, int has_filename, void *data)
{
    file_search *search = data;
    if (search->parts++ == 0)
        search->first = *part;
    if (has_filename) {
        search->file_parts++;
        search->file = *part;
    }
    return 0;
}

cm_err oci_multipart_find_file(const char *body, size_t length, const char *boundary,
                               oci_multipart_file *out, char error[OCI_MULTIPART_ERROR_MAX])
{
    memset(out, 0, sizeof *out);
    file_search search;
    memset(&search, 0, sizeof search);
    cm_err rc = oci_multipart_each(body, length, boundary, count_part, &search, error);
    if (rc != CM_OK)
        return rc;
    if (search.file_parts > 1) {
        snprintf(error, OCI_MULTIPART_ERROR_MAX, "the upload has %zu file parts; send exactly one", search.file_parts);
        return CM_EINVAL;
    }
    if (search.file_parts == 1) {
        *out = search.file;
        return CM_OK;
    }
    if (search.parts == 1) {
        *out = search.first;
        return CM_OK;
    }
    snprintf(error, OCI_MULTIPART_ERROR_MAX, search.parts ? "the upload has %zu parts and none is a file"
                                                          : "the upload has no part (%zu)", search.parts);
    return CM_EINVAL;
}
