/*
 * store_stats.c - statistics from the aggregates (store_stats.h). The
 * figures of a group of messages are sums of their status counts:
 * triggers (all), delivered (delivered + read), read, undeliverable,
 * failed (failed + rejected + expired), with delivered % and read % of
 * the triggers. Read-only.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "chantype.h"
#include "store_internal.h"
#include "store_search.h"
#include "store_stats.h"
#include "timefmt.h"

enum fig { F_TRIGGERS, F_DELIVERED, F_READ, F_UNDELIVERABLE, F_FAILED, F_COUNT };

/* Which figures a status adds to (besides triggers). */
static const struct {
	const char *status;
	unsigned figs;
} status_figs[] = {
	{ "delivered", 1u << F_DELIVERED },
	{ "read", 1u << F_DELIVERED | 1u << F_READ },
	{ "undeliverable", 1u << F_UNDELIVERABLE },
	{ "failed", 1u << F_FAILED },
	{ "rejected", 1u << F_FAILED },
	{ "expired", 1u << F_FAILED },
};

static void
add(int64_t f[F_COUNT], const char *status, int64_t n)
{
	f[F_TRIGGERS] += n;
	for (size_t i = 0; i < sizeof(status_figs) / sizeof(status_figs[0]); i++)
		if (strcmp(status_figs[i].status, status) == 0)
			for (int k = 0; k < F_COUNT; k++)
				if (status_figs[i].figs & (1u << k))
					f[k] += n;
}

static double
pct(int64_t part, int64_t whole)
{
	return whole > 0 ? floor((double)part * 1000.0 / (double)whole) / 10.0 : 0.0;
}

static json_t *
figures(const int64_t f[F_COUNT])
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:f, s:f}",
	    "triggers", (json_int_t)f[F_TRIGGERS], "delivered", (json_int_t)f[F_DELIVERED],
	    "read", (json_int_t)f[F_READ], "undeliverable", (json_int_t)f[F_UNDELIVERABLE],
	    "failed", (json_int_t)f[F_FAILED], "delivered_pct", pct(f[F_DELIVERED],
	    f[F_TRIGGERS]), "read_pct", pct(f[F_READ], f[F_TRIGGERS]));
}

int
sb_stats_check(struct sb_stats_query *q, int64_t now_ms, struct sb_error *err)
{
	if (q->by == NULL || (strcmp(q->by, "template") != 0 && strcmp(q->by, "channel_type") != 0))
		return sb_error_set(err, SB_E_BAD_ARGUMENT, "'by' must be template or"
		    " channel_type");
	if (q->channel_type != NULL && strcmp(q->by, "template") != 0)
		return sb_error_set(err, SB_E_BAD_ARGUMENT, "'channel_type' filters by=template"
		    " only");
	if (q->channel_type != NULL && !sb_channel_type_valid(q->channel_type))
		return sb_error_set(err, SB_E_BAD_ARGUMENT, "unknown channel type '%.40s'"
		    " (expected sms, whatsapp, line_push, line_notify or other)", q->channel_type);
	if (q->from_ms == 0 && q->until_ms == 0) {
		q->until_ms = now_ms;
		q->from_ms = now_ms - 30 * STORE_DAY_MS;
	} else if (q->until_ms == 0) {
		q->until_ms = q->from_ms + SB_SEARCH_MAX_RANGE_MS;
	} else if (q->from_ms == 0) {
		q->from_ms = q->until_ms - SB_SEARCH_MAX_RANGE_MS;
	}
	if (q->until_ms <= q->from_ms)
		return sb_error_set(err, SB_E_BAD_ARGUMENT, "'until' must be after 'from'");
	if (q->until_ms - q->from_ms > SB_SEARCH_MAX_RANGE_MS)
		return sb_error_set(err, SB_E_BAD_ARGUMENT, "the time range is %lld days;"
		    " statistics cover at most 3 months (92 days) of trigger time",
		    (long long)((q->until_ms - q->from_ms + STORE_DAY_MS - 1) / STORE_DAY_MS));
	return 0;
}

json_t *
sb_store_stats(struct sb_store *st, const struct sb_stats_query *q, struct sb_error *err)
{
	char sql[300], from[40], until[40];
	int64_t d0 = q->from_ms / STORE_DAY_MS;
	int64_t d1 = (q->until_ms + STORE_DAY_MS - 1) / STORE_DAY_MS;
	int64_t total[F_COUNT] = { 0 }, cur[F_COUNT] = { 0 };
	char key[256] = "";
	int have = 0;
	sqlite3_stmt *s;
	json_t *rows;

	sb_store_tally_flush(st); /* the open group's moves, too */
	/* Whole UTC days: the aggregates are per day of trigger time. */
	snprintf(sql, sizeof(sql), "SELECT %s, status, sum(n) FROM msg_stats"
	    " WHERE subaccount = ? AND day >= ? AND day < ?%s GROUP BY 1, 2 ORDER BY 1, 2",
	    strcmp(q->by, "template") == 0 ? "template" : "channel_type",
	    q->channel_type != NULL ? " AND channel_type = ?" : "");
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return sb_error_set(err, SB_E_INTERNAL, "statistics failed: %s",
		    sqlite3_errmsg(st->db)), NULL;
	sqlite3_bind_text(s, 1, q->subaccount, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 2, d0);
	sqlite3_bind_int64(s, 3, d1);
	if (q->channel_type != NULL)
		sqlite3_bind_text(s, 4, q->channel_type, -1, SQLITE_TRANSIENT);
	rows = json_array();
	for (;;) {
		int rc = sqlite3_step(s);
		const char *k = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(s, 0) : NULL;

		if (have && (k == NULL || strcmp(k, key) != 0)) {
			json_t *row = figures(cur);

			json_object_set_new(row, q->by, *key != '\0' ? json_string(key) : json_null());
			json_array_append_new(rows, row);
			memset(cur, 0, sizeof(cur));
		}
		if (k == NULL)
			break;
		snprintf(key, sizeof(key), "%s", k);
		have = 1;
		add(cur, (const char *)sqlite3_column_text(s, 1), sqlite3_column_int64(s, 2));
		add(total, (const char *)sqlite3_column_text(s, 1), sqlite3_column_int64(s, 2));
	}
	sqlite3_finalize(s);
	return json_pack("{s:s, s:s, s:s, s:o, s:o}", "by", q->by,
	    "from", sb_format_iso8601_ms(d0 * STORE_DAY_MS, from, sizeof(from)),
	    "until", sb_format_iso8601_ms(d1 * STORE_DAY_MS, until, sizeof(until)),
	    "rows", rows, "total", figures(total));
}

json_t *
sb_store_bcast_stats(struct sb_store *st, int64_t broadcast_id)
{
	int64_t f[F_COUNT] = { 0 };
	sqlite3_stmt *s;

	sb_store_tally_flush(st); /* the open group's moves, too */
	if (sqlite3_prepare_v2(st->db, BCAST_COUNTS_SQL, -1, &s, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_int64(s, 1, broadcast_id);
	while (sqlite3_step(s) == SQLITE_ROW)
		add(f, (const char *)sqlite3_column_text(s, 0), sqlite3_column_int64(s, 1));
	sqlite3_finalize(s);
	return figures(f);
}
