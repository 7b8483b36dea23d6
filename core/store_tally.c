/*
 * store_tally.c - the statistics aggregates (msg_stats, bcast_stats) kept
 * from C, once per group, instead of by triggers once per row.
 *
 * Owns: the open group's tally, a log of +1/-1 moves of a message between
 * (subaccount, UTC day of trigger, template, channel type, status) keys and
 * (broadcast, status) keys. The store's writers (store_msg.c's insert,
 * status update and channel type) add a move for every row they change:
 * the insert from the message it stored, the others from the row's key
 * read by id (only when the status or type really moved). A broadcast of
 * one message (broadcasts.single_message) has no (broadcast, status) key:
 * its readers count that message instead (BCAST_COUNTS_SQL). Just before
 * the group's COMMIT, and before a read of the aggregates on the loop's
 * connection, the log is sorted, summed per key,
 * and written as one upsert per key that changed: a group of a thousand
 * messages that all went queued -> sending -> accepted writes a handful of
 * rows, where the triggers ran four statements per change.
 *
 * A savepoint remembers the log's length and a rollback to it cuts the log
 * back; a group that rolls back drops it. The aggregates are therefore
 * exactly what a count(*) over `messages` says at every commit, broadcasts
 * of one message aside (tests/unit/test_stats.c).
 */
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

/* One move; the strings are offsets into the log's arena. */
struct tally_move {
	uint32_t sub, tpl, ctype;
	int32_t delta;
	int64_t day;
	int64_t broadcast_id;     /* 0: no broadcast row to move */
	enum sb_status status;
};

struct store_tally {
	struct tally_move *moves;
	size_t nmoves, capmoves;
	char *arena;
	size_t used, cap;
	size_t moves_at_savepoint, used_at_savepoint;
	int failed;               /* a write failed: the group must not commit */
};

void
sb_store_tally_free(struct sb_store *st)
{
	if (st->tally == NULL)
		return;
	free(st->tally->moves);
	free(st->tally->arena);
	free(st->tally);
	st->tally = NULL;
}

static int
tally_intern(struct store_tally *t, const char *s, uint32_t *off)
{
	size_t n = strlen(s) + 1;

	if (t->used + n > t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 4096;
		char *a;

		while (cap < t->used + n)
			cap *= 2;
		if (cap > UINT32_MAX || (a = realloc(t->arena, cap)) == NULL)
			return -1;
		t->arena = a;
		t->cap = cap;
	}
	memcpy(t->arena + t->used, s, n);
	*off = (uint32_t)t->used;
	t->used += n;
	return 0;
}

int
sb_store_tally_move(struct sb_store *st, const struct sb_tally_key *k, enum sb_status status,
    int with_broadcast, int delta)
{
	struct store_tally *t = st->tally;
	struct tally_move *m;

	if (t == NULL && (t = st->tally = calloc(1, sizeof(*t))) == NULL)
		return -1;
	if (t->nmoves == t->capmoves) {
		size_t cap = t->capmoves ? t->capmoves * 2 : 256;
		struct tally_move *p = realloc(t->moves, cap * sizeof(*p));

		if (p == NULL)
			return -1;
		t->moves = p;
		t->capmoves = cap;
	}
	m = &t->moves[t->nmoves];
	if (tally_intern(t, k->subaccount != NULL ? k->subaccount : "", &m->sub) < 0 ||
	    tally_intern(t, k->template_name != NULL ? k->template_name : "", &m->tpl) < 0 ||
	    tally_intern(t, k->channel_type != NULL ? k->channel_type : "", &m->ctype) < 0)
		return -1;
	m->day = k->created_ms / STORE_DAY_MS;
	m->broadcast_id = with_broadcast ? k->broadcast_id : 0;
	m->status = status;
	m->delta = delta;
	t->nmoves++;
	return 0;
}

int
sb_store_tally_status(struct sb_store *st, const struct sb_tally_key *k, enum sb_status from,
    enum sb_status to)
{
	if (from == to)
		return 0;
	if (sb_store_tally_move(st, k, from, 1, -1) < 0 ||
	    sb_store_tally_move(st, k, to, 1, +1) < 0)
		return -1;
	return 0;
}

size_t
sb_store_tally_length(const struct sb_store *st)
{
	return st->tally != NULL ? st->tally->nmoves : 0;
}

void
sb_store_tally_cut(struct sb_store *st, size_t length)
{
	if (st->tally != NULL && length < st->tally->nmoves)
		st->tally->nmoves = length; /* the arena's tail is reused at the next flush */
}

void
sb_store_tally_savepoint(struct sb_store *st)
{
	if (st->tally == NULL)
		return;
	st->tally->moves_at_savepoint = st->tally->nmoves;
	st->tally->used_at_savepoint = st->tally->used;
}

void
sb_store_tally_rollback(struct sb_store *st, int to_savepoint)
{
	struct store_tally *t = st->tally;

	if (t == NULL)
		return;
	t->nmoves = to_savepoint ? t->moves_at_savepoint : 0;
	t->used = to_savepoint ? t->used_at_savepoint : 0;
	t->moves_at_savepoint = t->used_at_savepoint = 0;
	if (!to_savepoint)
		t->failed = 0;
}

/* ---- flush ---- */

/* The log being sorted, for the comparators (qsort passes no argument). */
static const struct store_tally *tally_sorting;

static int
tally_cmp_msg(const void *pa, const void *pb)
{
	const struct tally_move *a = pa, *b = pb;
	const char *ar = tally_sorting->arena;
	int c;

	if (a->day != b->day)
		return a->day < b->day ? -1 : 1;
	if (a->status != b->status)
		return a->status < b->status ? -1 : 1;
	if ((c = strcmp(ar + a->sub, ar + b->sub)) != 0)
		return c;
	if ((c = strcmp(ar + a->tpl, ar + b->tpl)) != 0)
		return c;
	return strcmp(ar + a->ctype, ar + b->ctype);
}

static int
tally_cmp_bcast(const void *pa, const void *pb)
{
	const struct tally_move *a = pa, *b = pb;

	if (a->broadcast_id != b->broadcast_id)
		return a->broadcast_id < b->broadcast_id ? -1 : 1;
	if (a->status != b->status)
		return a->status < b->status ? -1 : 1;
	return 0;
}

static int
tally_step(sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int
tally_write_msg(struct sb_store *st, const struct tally_move *m, int64_t n)
{
	const char *ar = st->tally->arena;
	sqlite3_stmt *s = sb_store_stmt(st, ST_TALLY_MSG);

	sqlite3_bind_text(s, 1, ar + m->sub, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, m->day);
	sqlite3_bind_text(s, 3, ar + m->tpl, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, ar + m->ctype, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, sb_status_name(m->status), -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 6, n);
	return tally_step(s);
}

static int
tally_write_bcast(struct sb_store *st, const struct tally_move *m, int64_t n)
{
	sqlite3_stmt *s = sb_store_stmt(st, ST_TALLY_BCAST);

	sqlite3_bind_int64(s, 1, m->broadcast_id);
	sqlite3_bind_text(s, 2, sb_status_name(m->status), -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, n);
	return tally_step(s);
}

/* Sum runs of equal keys (the moves sorted by `cmp`); write the non-zero sums. */
static int
tally_write_sums(struct sb_store *st, int (*cmp)(const void *, const void *),
    int (*write)(struct sb_store *, const struct tally_move *, int64_t), int bcast_only)
{
	struct store_tally *t = st->tally;
	size_t i = 0;

	tally_sorting = t;
	qsort(t->moves, t->nmoves, sizeof(*t->moves), cmp);
	while (i < t->nmoves) {
		size_t j = i;
		int64_t n = 0;

		while (j < t->nmoves && cmp(&t->moves[i], &t->moves[j]) == 0)
			n += t->moves[j++].delta;
		if (n != 0 && !(bcast_only && t->moves[i].broadcast_id == 0) &&
		    write(st, &t->moves[i], n) < 0)
			return -1;
		i = j;
	}
	return 0;
}

int
sb_store_tally_flush(struct sb_store *st)
{
	struct store_tally *t = st->tally;
	int rc;

	if (t == NULL)
		return 0;
	if (t->failed)
		return -1;
	if (t->nmoves == 0)
		return 0;
	/* Inside a savepoint the log must stay whole, for a rollback to cut
	 * it back: a read there sees the aggregates as of the savepoint. */
	if (st->in_savepoint)
		return 0;
	rc = tally_write_sums(st, tally_cmp_msg, tally_write_msg, 0);
	if (rc == 0)
		rc = tally_write_sums(st, tally_cmp_bcast, tally_write_bcast, 1);
	tally_sorting = NULL;
	/* Written or not, the log is spent. A failed write (a full disk) may
	 * have written part of it: the group must not commit, and its
	 * rollback takes the rows back with the aggregates. */
	t->nmoves = 0;
	t->used = 0;
	if (rc < 0)
		t->failed = 1;
	return rc;
}
