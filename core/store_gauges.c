/*
 * store_gauges.c - the counts behind /metrics' gauges that a count of rows
 * would take: the queued attempts per channel instance (sb_queue_depth)
 * and the events waiting for delivery (sb_events_pending), kept as the
 * store writes them.
 *
 * A count(*) walks an index entry per row: about 40 ms on the loop for
 * 600 000 queued attempts on this machine, at each scrape of /metrics,
 * while every acknowledgement waited; an application that is down for a
 * day leaves as many pending events. So each count is read once at open
 * (gauge_kinds' query) and then kept by the statements that move a row
 * into or out of the set: store_attempt.c's insert and status update for
 * attempts, store_events.c's insert, delivery result and redeliver for
 * events (the only statements that write those columns). The open
 * group's changes are held apart, as the statistics' are (store_tally.c):
 * a savepoint remembers them, a rollback to it restores them, a group that
 * rolls back drops them and one that commits adds them to the counts. A
 * gauge reads both, as the loop's connection sees the rows.
 *
 * Owns: a table of (kind, key) with the counts; a few channel instances
 * and one events entry, so a linear search is the fastest.
 */
#include <stdlib.h>
#include <string.h>

#include "store_events.h"
#include "store_internal.h"

/* What each kind counts, as one query of (key, count) at open. */
static const char *const gauge_kinds[SB_GAUGE__COUNT] = {
	[SB_GAUGE_QUEUED] = "SELECT instance, count(*) FROM attempts"
	    " WHERE status = 'queued' GROUP BY instance",
	[SB_GAUGE_EVENTS_PENDING] = "SELECT '', count(*) FROM events INDEXED BY events_due"
	    " WHERE state = 'pending'",
};

struct store_gauge {
	enum sb_gauge_kind kind;
	char *key;
	int64_t committed;        /* at the last commit */
	int64_t pending;          /* the open group's changes */
	int64_t at_savepoint;     /* pending when the savepoint began */
};

struct store_gauges {
	struct store_gauge *v;
	size_t n, cap;
};

void
sb_store_gauges_free(struct sb_store *st)
{
	struct store_gauges *g = st->gauges;

	if (g == NULL)
		return;
	for (size_t i = 0; i < g->n; i++)
		free(g->v[i].key);
	free(g->v);
	free(g);
	st->gauges = NULL;
}

/* The entry of (kind, key), added (at 0) if new; NULL if out of memory. */
static struct store_gauge *
gauge_entry(struct store_gauges *g, enum sb_gauge_kind kind, const char *key)
{
	struct store_gauge *e;

	for (size_t i = 0; i < g->n; i++)
		if (g->v[i].kind == kind && strcmp(g->v[i].key, key) == 0)
			return &g->v[i];
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 8;

		if ((e = realloc(g->v, cap * sizeof(*e))) == NULL)
			return NULL;
		g->v = e;
		g->cap = cap;
	}
	e = &g->v[g->n];
	*e = (struct store_gauge){ .kind = kind, .key = strdup(key) };
	if (e->key == NULL)
		return NULL;
	g->n++;
	return e;
}

int
sb_store_gauges_load(struct sb_store *st)
{
	sb_store_gauges_free(st);
	if ((st->gauges = calloc(1, sizeof(*st->gauges))) == NULL)
		return -1;
	for (int k = 0; k < SB_GAUGE__COUNT; k++) {
		sqlite3_stmt *s;
		int rc;

		if (sqlite3_prepare_v2(st->db, gauge_kinds[k], -1, &s, NULL) != SQLITE_OK)
			return -1;
		while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			struct store_gauge *e = gauge_entry(st->gauges, (enum sb_gauge_kind)k,
			    (const char *)sqlite3_column_text(s, 0));

			if (e == NULL)
				break;
			e->committed = sqlite3_column_int64(s, 1);
		}
		sqlite3_finalize(s);
		if (rc != SQLITE_DONE)
			return -1;
	}
	return 0;
}

void
sb_store_gauge_add(struct sb_store *st, enum sb_gauge_kind kind, const char *key, int delta)
{
	struct store_gauge *e;

	if (st->gauges == NULL || key == NULL)
		return;
	/* Out of memory: the gauge misses this change. */
	if ((e = gauge_entry(st->gauges, kind, key)) != NULL)
		e->pending += delta;
}

void
sb_store_gauges_savepoint(struct sb_store *st)
{
	struct store_gauges *g = st->gauges;

	for (size_t i = 0; g != NULL && i < g->n; i++)
		g->v[i].at_savepoint = g->v[i].pending;
}

void
sb_store_gauges_rollback(struct sb_store *st, int to_savepoint)
{
	struct store_gauges *g = st->gauges;

	for (size_t i = 0; g != NULL && i < g->n; i++) {
		g->v[i].pending = to_savepoint ? g->v[i].at_savepoint : 0;
		g->v[i].at_savepoint = g->v[i].pending;
	}
}

void
sb_store_gauges_committed(struct sb_store *st)
{
	struct store_gauges *g = st->gauges;

	for (size_t i = 0; g != NULL && i < g->n; i++) {
		g->v[i].committed += g->v[i].pending;
		g->v[i].pending = g->v[i].at_savepoint = 0;
	}
}

int
sb_store_gauge_each(struct sb_store *st, enum sb_gauge_kind kind,
    void (*fn)(void *arg, const char *key, int64_t n), void *arg)
{
	struct store_gauges *g = st->gauges;

	if (g == NULL)
		return -1;
	for (size_t i = 0; i < g->n; i++)
		if (g->v[i].kind == kind)
			fn(arg, g->v[i].key, g->v[i].committed + g->v[i].pending);
	return 0;
}

int
sb_store_queue_depth(struct sb_store *st, void (*fn)(void *arg, const char *instance,
    int64_t n), void *arg)
{
	return sb_store_gauge_each(st, SB_GAUGE_QUEUED, fn, arg);
}

static void
gauge_take(void *arg, const char *key, int64_t n)
{
	(void)key;
	*(int64_t *)arg += n;
}

int64_t
sb_store_events_pending(struct sb_store *st)
{
	int64_t n = 0;

	return sb_store_gauge_each(st, SB_GAUGE_EVENTS_PENDING, gauge_take, &n) < 0 ? -1 : n;
}
