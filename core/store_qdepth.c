/*
 * store_qdepth.c - the queued attempts per channel instance, counted as
 * they are written (the sb_queue_depth gauge of /metrics).
 *
 * A count(*) of the queued attempts walks the partial index of every one
 * of them: about 40 ms on the loop for 600 000 queued on this machine,
 * at each scrape of /metrics, while every acknowledgement waited. So the
 * store counts them once at open and then keeps the count as it writes:
 * store_attempt.c's insert of a queued attempt adds one, its update that
 * moves an attempt into or out of `queued` adds or takes one (the only two
 * statements that write an attempt's status). The open group's changes
 * are held apart, as the statistics' are (store_tally.c): a savepoint
 * remembers them, a rollback to it restores them, a group that rolls back
 * drops them and a group that commits adds them to the counts. The gauge
 * reads both, as the loop's connection sees the rows.
 *
 * Owns: the table of instances with their counts (a few channel
 * instances: a linear search is the fastest).
 */
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

struct store_qdepth_entry {
	char *instance;
	int64_t committed;        /* queued at the last commit */
	int64_t pending;          /* the open group's changes */
	int64_t at_savepoint;     /* pending when the savepoint began */
};

struct store_qdepth {
	struct store_qdepth_entry *v;
	size_t n, cap;
};

void
sb_store_qdepth_free(struct sb_store *st)
{
	struct store_qdepth *q = st->qdepth;

	if (q == NULL)
		return;
	for (size_t i = 0; i < q->n; i++)
		free(q->v[i].instance);
	free(q->v);
	free(q);
	st->qdepth = NULL;
}

/* The entry of `instance`, added (at 0) if new; NULL if out of memory. */
static struct store_qdepth_entry *
qdepth_entry(struct store_qdepth *q, const char *instance)
{
	struct store_qdepth_entry *e;

	for (size_t i = 0; i < q->n; i++)
		if (strcmp(q->v[i].instance, instance) == 0)
			return &q->v[i];
	if (q->n == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 8;

		if ((e = realloc(q->v, cap * sizeof(*e))) == NULL)
			return NULL;
		q->v = e;
		q->cap = cap;
	}
	e = &q->v[q->n];
	*e = (struct store_qdepth_entry){ .instance = strdup(instance) };
	if (e->instance == NULL)
		return NULL;
	q->n++;
	return e;
}

int
sb_store_qdepth_load(struct sb_store *st)
{
	sqlite3_stmt *s;
	int rc;

	sb_store_qdepth_free(st);
	if ((st->qdepth = calloc(1, sizeof(*st->qdepth))) == NULL)
		return -1;
	if (sqlite3_prepare_v2(st->db, "SELECT instance, count(*) FROM attempts"
	    " WHERE status = 'queued' GROUP BY instance", -1, &s, NULL) != SQLITE_OK)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_qdepth_entry *e = qdepth_entry(st->qdepth,
		    (const char *)sqlite3_column_text(s, 0));

		if (e == NULL)
			break;
		e->committed = sqlite3_column_int64(s, 1);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

void
sb_store_qdepth_add(struct sb_store *st, const char *instance, int delta)
{
	struct store_qdepth_entry *e;

	if (st->qdepth == NULL || instance == NULL)
		return;
	/* Out of memory: the gauge misses this instance's change. */
	if ((e = qdepth_entry(st->qdepth, instance)) != NULL)
		e->pending += delta;
}

void
sb_store_qdepth_savepoint(struct sb_store *st)
{
	struct store_qdepth *q = st->qdepth;

	for (size_t i = 0; q != NULL && i < q->n; i++)
		q->v[i].at_savepoint = q->v[i].pending;
}

void
sb_store_qdepth_rollback(struct sb_store *st, int to_savepoint)
{
	struct store_qdepth *q = st->qdepth;

	for (size_t i = 0; q != NULL && i < q->n; i++) {
		q->v[i].pending = to_savepoint ? q->v[i].at_savepoint : 0;
		q->v[i].at_savepoint = q->v[i].pending;
	}
}

void
sb_store_qdepth_committed(struct sb_store *st)
{
	struct store_qdepth *q = st->qdepth;

	for (size_t i = 0; q != NULL && i < q->n; i++) {
		q->v[i].committed += q->v[i].pending;
		q->v[i].pending = q->v[i].at_savepoint = 0;
	}
}

int
sb_store_queue_depth(struct sb_store *st, void (*fn)(void *arg, const char *instance,
    int64_t n), void *arg)
{
	struct store_qdepth *q = st->qdepth;

	if (q == NULL)
		return -1;
	for (size_t i = 0; i < q->n; i++)
		fn(arg, q->v[i].instance, q->v[i].committed + q->v[i].pending);
	return 0;
}
