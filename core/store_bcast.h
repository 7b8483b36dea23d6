/*
 * store_bcast.h - broadcasts in the store: one row per trigger (an API
 * call, a control-socket send, a restart), the lookups stop and restart
 * need, and the operator's views of a broadcast (list, show).
 *
 * Writes join the open group (store.c); none of these functions commits
 * or changes a message's status: that is the engine's (apply.c).
 */
#ifndef SB_STORE_BCAST_H
#define SB_STORE_BCAST_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "errors.h"
#include "status.h"

struct sb_store;

/* What a new broadcast records; strings are copied into the database. */
struct sb_broadcast_row {
	const char *subaccount;
	const char *source;       /* "api", "control", "restart", "file" */
	const char *user;         /* API key name or control peer's user; or NULL */
	const char *file_name;    /* or NULL */
	const char *chain;
	const char *text;         /* or NULL with a template */
	const char *template_name;/* or NULL */
	int64_t restart_of;       /* 0: none */
	int64_t created_ms;
	/* Its only message is inserted with broadcast_single: it keeps no
	 * bcast_stats rows and, without a template, no copy of the text; its
	 * counts and text are read from that message. */
	int single_message;
};

/* Insert a broadcast in the open group; its id, or -1 with err. */
int64_t sb_store_broadcast_insert(struct sb_store *st, const struct sb_broadcast_row *b,
    struct sb_error *err);

/*
 * The restart of broadcast `old`: a new broadcast copying its subaccount,
 * chain, text or template and file name, linked to it. Its id, or -1 with
 * err (conflict: it was restarted already).
 */
int64_t sb_store_broadcast_insert_restart(struct sb_store *st, int64_t old, const char *user,
    int64_t now_ms, struct sb_error *err);

/*
 * A restart in progress keeps its cursor (the last number sent to, "" at
 * first) on its broadcast, written with each batch; NULL once done. A
 * daemon that starts again resumes every restart that still has one.
 */
int sb_store_broadcast_set_cursor(struct sb_store *st, int64_t id, const char *cursor);
int sb_store_broadcast_unfinished_restarts(struct sb_store *st,
    void (*fn)(void *arg, int64_t id, int64_t restart_of, const char *cursor), void *arg);

/* What stop and restart need to know of a broadcast. */
struct sb_broadcast_state {
	int64_t id;
	char subaccount[128];
	int64_t stopped_ms;       /* 0: not stopped */
	int64_t restarted_by;     /* the broadcast that restarted it, 0: none */
	int64_t unfinished;       /* messages without a final status */
};

/*
 * Read a broadcast; `subaccount` (NULL: any) limits it to that
 * subaccount. Returns 0, 1 (no such broadcast) or -1.
 */
int sb_store_broadcast_state(struct sb_store *st, int64_t id, const char *subaccount,
    struct sb_broadcast_state *out);
/* Record the stop time, once (a second stop keeps the first). 0 or -1. */
int sb_store_broadcast_mark_stopped(struct sb_store *st, int64_t id, int64_t now_ms);
/* Is any broadcast stopped? 1, 0 (or -1). */
int sb_store_broadcast_any_stopped(struct sb_store *st);
/* Does the message belong to a stopped broadcast? 1, 0. */
int sb_store_message_bcast_stopped(struct sb_store *st, int64_t message_id);

/*
 * Up to `limit` messages of a broadcast that were not yet handed to a
 * provider (scheduled or queued): fn(arg, message id, status). Returns
 * how many, or -1.
 */
int sb_store_broadcast_unsent(struct sb_store *st, int64_t id, int limit,
    void (*fn)(void *arg, int64_t message_id, enum sb_status status), void *arg);

/*
 * The recipients a restart sends to: per number of the broadcast, its
 * latest message, when that number never got it (no delivered or read
 * message) and its latest message ended undeliverable, failed, expired
 * or cancelled. Numbers in order, from after `after_to` ("" to start),
 * up to `limit`: fn(arg, message id, number). Returns how many, or -1.
 */
int sb_store_broadcast_retry_each(struct sb_store *st, int64_t id, const char *after_to,
    int limit, void (*fn)(void *arg, int64_t message_id, const char *to), void *arg);
/* How many numbers sb_store_broadcast_retry_each would give in all; -1 on error. */
int64_t sb_store_broadcast_retry_count(struct sb_store *st, int64_t id);

/*
 * A broadcast for people and programs: its row, counts by status,
 * delivered % and read %, and one page of successful and of failed
 * recipients (message ids below *_before, 0: newest; `limit` each).
 * NULL if not found. The caller owns the reference.
 */
json_t *sb_store_broadcast_json(struct sb_store *st, int64_t id, const char *subaccount,
    int64_t ok_before, int64_t failed_before, int limit);
/* {"broadcasts": [...], "next_before": id or null}, newest first. */
json_t *sb_store_broadcast_list(struct sb_store *st, const char *subaccount,
    int64_t before_id, int limit);

#endif
