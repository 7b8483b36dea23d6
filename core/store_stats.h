/*
 * store_stats.h - delivery statistics from aggregates (msg_stats and
 * bcast_stats, kept by store_tally.c in the transaction of every status
 * change): per template or per channel type over whole UTC days of
 * trigger time (at most 3 months), and per broadcast. Never a scan of
 * the messages (a broadcast of one message is read from that message).
 */
#ifndef SB_STORE_STATS_H
#define SB_STORE_STATS_H

#include <stdint.h>

#include <jansson.h>

#include "errors.h"

struct sb_store;

struct sb_stats_query {
	const char *subaccount;   /* required */
	const char *by;           /* "template" or "channel_type" */
	const char *channel_type; /* by template: only this channel type's messages, or NULL */
	int64_t from_ms, until_ms;/* trigger time; both 0: the last 30 days */
};

/*
 * Check and complete a query: `by`, the range (until after from, at most
 * 92 days; an open end is closed 92 days from the other; neither: the
 * last 30 days to now_ms). 0 or -1 with err (bad_argument).
 */
int sb_stats_check(struct sb_stats_query *q, int64_t now_ms, struct sb_error *err);

/*
 * {"by": ..., "from": day, "until": day, "rows": [{"template" | "channel_type": key,
 *  "triggers", "delivered", "read", "undeliverable", "failed", "delivered_pct",
 *  "read_pct"}], "total": {...}}. The caller owns it; NULL with err.
 */
json_t *sb_store_stats(struct sb_store *st, const struct sb_stats_query *q,
    struct sb_error *err);

/* The same figures for one broadcast, from bcast_stats (or its one
 * message, BCAST_COUNTS_SQL); NULL on error. */
json_t *sb_store_bcast_stats(struct sb_store *st, int64_t broadcast_id);

#endif
