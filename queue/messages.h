/*
 * messages.h - a job's messages, kept in one form from acceptance to the end: the JSON array text
 * the store holds (q_new_job.messages_json, q_job.messages_json). Notes are appended to the text
 * as they come (duplicate SKUs at acceptance, refused items and reasons when the job ends), never
 * parsed into a tree and serialized again.
 */
#ifndef Q_MESSAGES_H
#define Q_MESSAGES_H

#include "common/body.h"
#include "common/err.h"
#include "queue/store.h"

/* Bounds a job's messages: a few hundred notes of a few hundred bytes each. */
#define Q_MESSAGES_MAX_BYTES (1024 * 1024)

/* Starts `messages` as a copy of `existing` (a JSON array text, e.g. the stored messages), or as
 * "[]" when `existing` is NULL or is not an array's text, or as one line saying the earlier ones
 * were dropped when `existing` is longer than Q_MESSAGES_MAX_BYTES. CM_OK or CM_ENOMEM (nothing
 * is kept then: the caller must not store the result). */
cm_err q_messages_init(cm_body *messages, const char *existing);

/* Appends one string. CM_OK, CM_ETOOBIG (past Q_MESSAGES_MAX_BYTES: nothing appended), CM_ENOMEM. */
cm_err q_messages_add(cm_body *messages, const char *text);

/* 1 when no message was added to "[]". */
int q_messages_empty(const cm_body *messages);

/* The messages a job ends with: its stored ones, an adjust's notes (kept in its chunks' saved
 * state), `extra` (may be NULL), and when items failed the first Q_MAX_REPORTED_FAILURES of them
 * with a count. A new JSON array text (caller frees), or NULL when memory ran out or the failures
 * could not be read (the caller finishes the job later rather than with messages missing);
 * messages past Q_MESSAGES_MAX_BYTES are left out. */
char *q_messages_final(q_store *store, const q_job *job, int64_t items_failed, const char *extra);

/* The same without the refused items' reasons, for a job whose reasons cannot be read back: its
 * stored messages, `extra`, and a line saying how many items were refused. NULL when memory ran
 * out. */
char *q_messages_without_failures(const q_job *job, int64_t items_failed, const char *extra);

#endif
