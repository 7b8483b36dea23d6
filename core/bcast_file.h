/*
 * bcast_file.h - broadcasts triggered by a recipients file (CSV), the
 * part shared by the HTTP upload (POST /v1/broadcasts, text/csv) and the
 * control command (broadcast.send with an upload).
 *
 * bcast_file.c owns: checking a whole file before anything is queued
 * (CSV, UTF-8, a header naming a `phone` or `to` column and every
 * variable the text uses, at least one row), then reading it again and
 * submitting one message per row in groups of SB_BCAST_FILE_GROUP rows,
 * each group under one savepoint (sb_dispatch_batch_begin/end), the loop
 * free between groups; the broadcast record (source "file", the file
 * name, who triggered it); and the per-row verdicts: a row with a bad or
 * missing number, a missing variable (an empty cell counts as missing),
 * a number already sent to by an earlier row of the file, or more fields
 * than the header names is not sent and is reported with the line it
 * starts on. The other rows are sent.
 *
 * It never parses CSV itself (csvfeed.c) and never renders or validates
 * templates (the engine does, from template_name and template_vars).
 */
#ifndef SB_BCAST_FILE_H
#define SB_BCAST_FILE_H

#include <stdint.h>

#include <event2/buffer.h>
#include <jansson.h>

#include "errors.h"

struct sb_daemon;

#define SB_BCAST_FILE_GROUP 500       /* rows per savepoint and loop turn */
#define SB_BCAST_FILE_REJECTED_MAX 1000 /* rejected rows listed in the answer */

struct sb_bcast_file_req {
	const char *subaccount;      /* NULL: the first configured */
	const char *chain;           /* NULL: the subaccount's default */
	const char *from;            /* NULL: the subaccount's sender */
	const char *text;            /* may hold {{column}} variables; or NULL with a template */
	const char *template_name;   /* the row's other columns become its variables */
	const char *template_lang;
	int64_t send_at_ms;          /* 0: now */
	const char *file_name;       /* kept on the broadcast; required */
	const char *user;            /* who triggered it (API key name, control peer), or NULL */
};

/*
 * The answer (taken by the callee): {"id": broadcast id or null when no
 * row was accepted, "file_name", "rows", "accepted", "rejected_total",
 * "rejected": [{"line", "phone", "error", "message"}] (the first
 * SB_BCAST_FILE_REJECTED_MAX)}. Called once every accepted row is
 * committed.
 */
typedef void (*sb_bcast_file_done_fn)(void *arg, json_t *result);

/*
 * Check the file in `data` (taken: freed here, whatever the return) and
 * start queueing its rows. Returns 0 (`done` will be called, never from
 * within this call) or -1 with err and nothing queued: bad_argument (not
 * CSV, not UTF-8, empty, no phone column, no rows, a variable no column
 * names, a bad request field), not_found (subaccount), too_large (a
 * field, row or the file over its cap).
 */
int sb_bcast_file_start(struct sb_daemon *d, const struct sb_bcast_file_req *r,
    struct evbuffer *data, sb_bcast_file_done_fn done, void *arg, struct sb_error *err);

#endif
