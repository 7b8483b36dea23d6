/*
 * store_search.h - the operator's message search: one subaccount's
 * messages filtered by status or status group, broadcast, channel type,
 * number, template, file name, text and a trigger-time range of at most
 * SB_SEARCH_MAX_RANGE_MS, newest first, in keyset pages, with a capped
 * total. Every filter is answered from an index (migration 3 -> 4).
 */
#ifndef SB_STORE_SEARCH_H
#define SB_STORE_SEARCH_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "errors.h"

struct sb_store;

/* 3 months: 92 days. */
#define SB_SEARCH_MAX_RANGE_MS (92LL * 24 * 3600 * 1000)
/* The total is counted up to this; above it the answer says "at least". */
#define SB_SEARCH_TOTAL_CAP 10000
/* A text searched for: 3 characters at least, 200 bytes at most. */
#define SB_SEARCH_TEXT_MIN 3
#define SB_SEARCH_TEXT_MAX 200

struct sb_search {
	const char *subaccount;     /* required */
	const char *status;         /* a status word, or NULL */
	const char *group;          /* processing, sending, sent, undeliverable, failed,
	                               cancelled, blocked_time, scheduled; or NULL */
	int64_t broadcast_id;       /* 0: any */
	const char *channel_type;   /* sms, whatsapp, line_push, line_notify; or NULL */
	const char *to;             /* E.164, or NULL */
	const char *template_name;  /* or NULL */
	const char *file_name;      /* of its broadcast, or NULL */
	const char *text;           /* contains (3 characters at least), or NULL */
	int64_t from_ms, until_ms;  /* trigger time [from, until), 0: open */
	int64_t before_id;          /* keyset cursor: ids below, 0: newest */
	int limit;                  /* 1..1000 */
};

/*
 * Check a search's arguments: the status and group words, the channel
 * type, the text length and the time range (at most 3 months; an open
 * end is closed 3 months from the other). 0, or -1 with err
 * (bad_argument, naming the limit).
 */
int sb_search_check(struct sb_search *q, struct sb_error *err);

/*
 * {"messages": [...], "next_before": id or null, "total": n,
 *  "total_exact": bool}. NULL with err on a database error. The caller
 * owns the reference.
 */
json_t *sb_store_search(struct sb_store *st, const struct sb_search *q, struct sb_error *err);

/* Record the channel type of the message's latest attempt (a write in the group). */
int sb_store_message_set_channel_type(struct sb_store *st, int64_t id, const char *type);

/* The EXPLAIN QUERY PLAN of a search's page query (a group's: its first
 * status's), lines joined by '\n' (tests); -1 if it reads nothing. */
int sb_store_search_plan(struct sb_store *st, const struct sb_search *q, char *buf,
    size_t len);

#endif
