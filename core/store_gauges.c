/*
 * store_gauges.c - the counts behind /metrics' gauges that a count of rows
 * would take: the queued attempts per channel instance (sb_queue_depth)
 * and the events waiting for delivery (sb_events_pending), kept as the
 * store writes them.
 *
 * A count(*) walks an index entry per row: about 40 ms on the loop for
 * 600 000 queued attempts on this machine, at each scrape of /metrics,
 * while every acknowledgement waited; an application that is down for a
 * day leaves as many pending events. The folders' counts (GET
 * /v1/folders, the console's folder list) are kept the same way: the
 * inbound messages per subaccount and folder, the calls per subaccount.
 * So each count is read once at open
 * (gauge_kinds' query) and then kept by the statements that move a row
 * into or out of the set: store_attempt.c's insert and status update for
 * attempts, store_events.c's insert, delivery result and redeliver for
 * events, store_inbox.c's filing, archive, unarchive and delete of an
 * inbound message and filing of a call (the only statements that write
 * those columns). The open
 * group's changes are held apart, as the statistics' are (store_tally.c):
 * a savepoint remembers them, a rollback to it restores them, a group that
 * rolls back drops them and one that commits adds them to the counts. A
 * gauge reads both, as the loop's connection sees the rows.
 *
 * Owns: per kind, a table of keys with their counts, searched in order
 * (a few channel instances for the hot path's queued attempts).
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
	[SB_GAUGE_INBOUND] = "SELECT subaccount || char(31) || folder, count(*) FROM inbound"
	    " GROUP BY subaccount, folder",
	[SB_GAUGE_CALLS] = "SELECT subaccount, count(*) FROM calls GROUP BY subaccount",
};

struct store_gauge {
	char *key;
	int64_t committed;        /* at the last commit */
	int64_t pending;          /* the open group's changes */
	int64_t at_savepoint;     /* pending when the savepoint began */
};

/* One kind's entries. */
struct store_gauge_list {
	struct store_gauge *v;
	size_t n, cap;
};

struct store_gauges {
	struct store_gauge_list kinds[SB_GAUGE__COUNT];
};

void
sb_store_gauges_free(struct sb_store *st)
{
	struct store_gauges *g = st->gauges;

	if (g == NULL)
		return;
	for (int k = 0; k < SB_GAUGE__COUNT; k++) {
		for (size_t i = 0; i < g->kinds[k].n; i++)
			free(g->kinds[k].v[i].key);
		free(g->kinds[k].v);
	}
	free(g);
	st->gauges = NULL;
}

/* The entry of `key`, added (at 0) if new; NULL if out of memory. */
static struct store_gauge *
gauge_entry(struct store_gauge_list *l, const char *key)
{
	struct store_gauge *e;

	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].key, key) == 0)
			return &l->v[i];
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;

		if ((e = realloc(l->v, cap * sizeof(*e))) == NULL)
			return NULL;
		l->v = e;
		l->cap = cap;
	}
	e = &l->v[l->n];
	*e = (struct store_gauge){ .key = strdup(key) };
	if (e->key == NULL)
		return NULL;
	l->n++;
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
			struct store_gauge *e = gauge_entry(&st->gauges->kinds[k],
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
	if ((e = gauge_entry(&st->gauges->kinds[kind], key)) != NULL)
		e->pending += delta;
}

/* Every entry of every kind, for fn. */
static void
gauges_each_entry(struct sb_store *st, void (*fn)(struct store_gauge *e, int arg), int arg)
{
	struct store_gauges *g = st->gauges;

	for (int k = 0; g != NULL && k < SB_GAUGE__COUNT; k++)
		for (size_t i = 0; i < g->kinds[k].n; i++)
			fn(&g->kinds[k].v[i], arg);
}

static void
gauge_savepoint(struct store_gauge *e, int arg)
{
	(void)arg;
	e->at_savepoint = e->pending;
}

static void
gauge_rollback(struct store_gauge *e, int to_savepoint)
{
	e->pending = to_savepoint ? e->at_savepoint : 0;
	e->at_savepoint = e->pending;
}

static void
gauge_committed(struct store_gauge *e, int arg)
{
	(void)arg;
	e->committed += e->pending;
	e->pending = e->at_savepoint = 0;
}

void
sb_store_gauges_savepoint(struct sb_store *st)
{
	gauges_each_entry(st, gauge_savepoint, 0);
}

void
sb_store_gauges_rollback(struct sb_store *st, int to_savepoint)
{
	gauges_each_entry(st, gauge_rollback, to_savepoint);
}

void
sb_store_gauges_committed(struct sb_store *st)
{
	gauges_each_entry(st, gauge_committed, 0);
}

int
sb_store_gauge_each(struct sb_store *st, enum sb_gauge_kind kind,
    void (*fn)(void *arg, const char *key, int64_t n), void *arg)
{
	struct store_gauge_list *l;

	if (st->gauges == NULL)
		return -1;
	l = &st->gauges->kinds[kind];
	for (size_t i = 0; i < l->n; i++)
		fn(arg, l->v[i].key, l->v[i].committed + l->v[i].pending);
	return 0;
}

int64_t
sb_store_gauge_get(struct sb_store *st, enum sb_gauge_kind kind, const char *key)
{
	struct store_gauge_list *l;

	if (st->gauges == NULL)
		return -1;
	l = &st->gauges->kinds[kind];
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].key, key) == 0)
			return l->v[i].committed + l->v[i].pending;
	return 0;
}

int
sb_store_queue_depth(struct sb_store *st, void (*fn)(void *arg, const char *instance,
    int64_t n), void *arg)
{
	return sb_store_gauge_each(st, SB_GAUGE_QUEUED, fn, arg);
}

int64_t
sb_store_events_pending(struct sb_store *st)
{
	return sb_store_gauge_get(st, SB_GAUGE_EVENTS_PENDING, "");
}
