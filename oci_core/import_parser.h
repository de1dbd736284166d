/*
 * import_parser.h - reading the lines of an availability import file (NDJSON), one at a time.
 *
 * Both layouts of the impex description are read and told apart by the file itself:
 * - high-performance: every line a record carrying "locationId";
 * - legacy: a header line {"location":"…","mode":"UPDATE"} (or "locationId") applies to the record
 *   lines after it, until the next header.
 * Mixing the layouts in one file is refused line by line. Each broken line gives an ERROR result
 * with a message naming the field; the parser state survives it, so the next line is read normally.
 * Pure code: no I/O, no allocation that outlives a call (one that fails gives OCI_LINE_NO_MEMORY). The parser state is a plain struct so it
 * can be saved with an import's checkpoint and restored after a restart.
 */
#ifndef OCI_IMPORT_PARSER_H
#define OCI_IMPORT_PARSER_H

#include <stddef.h>

#include "oci_core/limits.h"
#include "oci_core/oci_core.h"

typedef enum oci_import_layout {
    OCI_LAYOUT_UNKNOWN = 0,
    OCI_LAYOUT_LEGACY = 1,
    OCI_LAYOUT_HIGH_PERFORMANCE = 2,
} oci_import_layout;

typedef struct oci_import_parser {
    oci_import_layout layout;
    int has_location; /* legacy: a valid header is in force */
    char location[OCI_LOCATION_ID_MAX + 1];
} oci_import_parser;

typedef enum oci_import_line_kind {
    OCI_LINE_BLANK = 0,  /* empty or white space only: ignored */
    OCI_LINE_HEADER = 1, /* legacy location header */
    OCI_LINE_RECORD = 2, /* `record` is filled */
    OCI_LINE_ERROR = 3,  /* `message` says why; the ids hold what could be read ("" otherwise) */
    OCI_LINE_NO_MEMORY = 4, /* the process was short of memory: nothing is known against the line;
                             * the import reads it again later */
} oci_import_line_kind;

typedef struct oci_import_line {
    oci_import_line_kind kind;
    oci_record_update record; /* its strings point into this struct */
    char record_id[OCI_RECORD_ID_MAX + 1];
    char location_id[OCI_LOCATION_ID_MAX + 1];
    char sku[OCI_SKU_MAX + 1];
    char message[OCI_MESSAGE_MAX];
    int is_header; /* 1: a legacy location header, valid or not (not a record: never counted as read) */
} oci_import_line;

void oci_import_parser_init(oci_import_parser *parser);

/* The two ways oci_import_parse_line reads a line. oci_import_parse_fast (import_fast.c) takes the
 * common high-performance record (a flat object of known keys, plain values) without a JSON tree
 * and returns 1, or returns 0 and leaves the line to oci_import_parse_line_json (json-c), which
 * reads every line and writes every error; `out` is reset by the latter. For a line both take,
 * both give the same result (tests/unit/test_oci_import_parser.c compares them). */
int oci_import_parse_fast(const oci_import_parser *parser, const char *text, size_t length, oci_import_line *out);
void oci_import_parse_line_json(oci_import_parser *parser, const char *text, size_t length, oci_import_line *out);

/* Parses one line (without its '\n'; a trailing '\r' is ignored) of `length` bytes. */
void oci_import_parse_line(oci_import_parser *parser, const char *text, size_t length,
                           oci_import_line *out);

#endif
