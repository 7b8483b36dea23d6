/*
 * store_events.h - the outbox of events to applications, in the store
 * (table `events`, schema 6).
 *
 * store_events.c owns the rows: the insert that joins the transaction of
 * the change it reports, the dispatcher's scans (due heads of each
 * contact, the next due time), the result of a delivery, and the
 * operator's list and redeliver. It never sends and never reads the
 * clock: times come from the caller. Writes are ordinary writes of the
 * open group (no fsync of their own).
 */
#ifndef SB_STORE_EVENTS_H
#define SB_STORE_EVENTS_H

#include <stdint.h>

#include <jansson.h>

#include "errors.h"
#include "status.h"

struct sb_store;

/* What a status event says of its message (strings valid during fn). */
struct sb_event_msg {
	const char *subaccount, *to, *channel_type, *template_name, *channel;
	int64_t broadcast_id;         /* 0: none */
};
/* 0 found (fn called), 1 no such message, -1 error. */
int sb_store_event_msg(struct sb_store *st, int64_t message_id,
    void (*fn)(void *arg, const struct sb_event_msg *m), void *arg);

/*
 * A new pending event due at `now_ms`; its id, or -1. `payload` is JSON
 * text; `url` a flow's callback URL, or NULL for the subaccount's.
 */
int64_t sb_store_event_insert(struct sb_store *st, const char *subaccount,
    const char *contact, const char *kind, int64_t message_id, const char *payload,
    const char *url, int64_t now_ms);

/* A pending event as the dispatcher takes it (strings valid during the callback). */
struct sb_event_row {
	int64_t id;
	const char *subaccount, *contact, *payload;
	const char *url;          /* a flow's callback URL, or NULL: the subaccount's */
	int64_t retry_from_ms;
	int tries;
};
/*
 * The oldest pending event of each (subaccount, contact), where it is due
 * by now_ms and its id is at most max_id (committed), soonest first.
 * fn returns non-zero to stop. Returns the rows seen, or -1.
 */
int sb_store_events_due(struct sb_store *st, int64_t now_ms, int64_t max_id, int limit,
    int (*fn)(void *arg, const struct sb_event_row *r), void *arg);
/* The earliest next_ms after now_ms of such a head, or INT64_MAX. */
int64_t sb_store_events_next(struct sb_store *st, int64_t now_ms, int64_t max_id);
/* The highest event id (0: none). */
int64_t sb_store_events_max_id(struct sb_store *st);
/* Pending events (the gauge); -1 on error. */
int64_t sb_store_events_pending(struct sb_store *st);

enum sb_event_state { SB_EVT_PENDING, SB_EVT_DELIVERED, SB_EVT_FAILED, SB_EVT__COUNT };
/* "pending" ... for a state, and back (-1: not a state). */
const char *sb_event_state_name(enum sb_event_state s);
int sb_event_state_parse(const char *word);

/*
 * The outcome of one try of a pending event: its new state (pending with
 * the next try at next_ms, delivered at now_ms, or failed), counting the
 * try; `error` (or NULL) is kept as last_error. 0, 1 (not pending any
 * more: nothing written) or -1.
 */
int sb_store_event_done(struct sb_store *st, int64_t id, enum sb_event_state state,
    int64_t next_ms, const char *error, int64_t now_ms);

struct sb_event_query {
	const char *subaccount;       /* NULL: all (operators) */
	int state;                    /* enum sb_event_state, -1: all */
	int64_t before_id;            /* keyset: ids below this, 0: newest */
	int limit;                    /* 1..1000 */
};
/* {"events": [...], "next_before": id or null}; NULL with err. Caller owns it. */
json_t *sb_store_events_list(struct sb_store *st, const struct sb_event_query *q,
    struct sb_error *err);
/*
 * Put a delivered or failed event back to pending, due now, tries and
 * error cleared, its retry window starting now. `subaccount` (or NULL)
 * limits it to that subaccount's events (API keys): another's is
 * not_found. 0, or -1 with err (not_found, invalid_state for a pending one).
 */
int sb_store_event_redeliver(struct sb_store *st, int64_t id, const char *subaccount,
    int64_t now_ms, struct sb_error *err);

#endif
