/*
 * fuzz_entries.h - one entry point per parser under fuzzing, shared by the libFuzzer targets
 * (tests/fuzz/fuzz_*.c, clang only) and by the regression test that replays saved inputs with the
 * ordinary compiler (tests/unit/test_fuzz_regressions.c), so both run exactly the same code.
 *
 * Each entry takes arbitrary bytes, never assumes they are NUL-terminated or valid text, frees all
 * it allocates, and calls abort() when a parser breaks one of its documented promises (an output
 * string without its terminator, a file part outside the body…), so a broken promise is a crash
 * for libFuzzer and a failure for the regression test alike.
 */
#ifndef FZ_ENTRIES_H
#define FZ_ENTRIES_H

#include <stddef.h>
#include <stdint.h>

typedef int (*fz_entry)(const uint8_t *data, size_t size);

/* The legacy refresh body: cm_json_parse with the gateway's depth, then gw_validate_refresh for a
 * tenant with mapped locations and for an autoLocations tenant with another identifier order. */
int fz_refresh(const uint8_t *data, size_t size);
/* An OCI import file: split at '\n', every line through one oci_import_parser in order. */
int fz_import(const uint8_t *data, size_t size);
/* A configuration: the bytes before the first NUL are the file, the lines after it overrides. */
int fz_config(const uint8_t *data, size_t size);
/* A request line: first byte picks the method, the rest is "path?query" matched against the
 * gateway's and the OCI core's route tables, and the query parsed. */
int fz_router(const uint8_t *data, size_t size);
/* An adjust, inquiry or aggregate body: gw_validate_adjust_text and gw_validate_inquiry_text (both
 * kinds) for both tenants; a valid inquiry's rows are built on an all-zero availability. */
int fz_adjust(const uint8_t *data, size_t size);
/* An upload: the first line is the Content-Type header value, the rest the multipart body. */
int fz_multipart(const uint8_t *data, size_t size);

/* A fault rule of the emulator's control plane (oci_core/fault_rule.h): parsed; an accepted rule
 * must be well formed, match without crashing, and come back identical from its own JSON form. */
int fz_fault_rule(const uint8_t *data, size_t size);

/* A token request: the first line is the Content-Type (empty: none), the rest the body, read by
 * oci_token_form_parse; its "assertion" parameter, and the whole body, through cm_jwt_decode. */
int fz_token(const uint8_t *data, size_t size);

/* A stored chunk row of either form (translate/stored_items.h) through tr_translate_chunk, with
 * and without extras. */
int fz_stored_chunk(const uint8_t *data, size_t size);

typedef struct fz_target {
    const char *name; /* also the folder name under tests/fuzz/corpus and tests/fuzz/regressions */
    fz_entry entry;
} fz_target;

/* Every target, by name; `count` receives their number. */
const fz_target *fz_targets(size_t *count);

/* Frees what the entries keep between calls (the parsed tenant configuration). */
void fz_release(void);

#endif
