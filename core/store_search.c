/*
 * store_search.c - the operator's message search (store_search.h).
 *
 * A search is read in parts, each one statement built from a table of
 * filters: each filter present adds its condition, and its parameter has
 * a fixed number, so binding never depends on which others are there. The
 * order is id descending (ids grow with trigger time), and every filter's
 * index ends in id, so a part's page is one index range, and a page of
 * the search a merge of its parts' by id. A group is read one status at a
 * time; a status with a channel type or template is read by the index of
 * the filter the statistics aggregates count fewest messages of, and not
 * at all if they count none. A trigger-time range becomes an id range
 * first (a binary search over the ids: id_at), then stays as an exact
 * condition. The total is a count of the same ranges, capped. A text
 * search reads through the text index's connection (store_text.c): the
 * messages the index covers by the index, the newer ones by their text,
 * both decided by sb_contains (store_match.c). It writes nothing but the
 * open group's aggregates, first, as every reader of them does;
 * statements are prepared per call.
 */
#include <stdio.h>
#include <string.h>

#include "chantype.h"
#include "status.h"
#include "store_internal.h"
#include "store_search.h"
#include "timefmt.h"

/*
 * The screens' groupings of statuses (`grp` in the schema computes the
 * same). A search by group reads each of its statuses by the index on
 * (subaccount, status, id) and merges them by id: an index on the group
 * itself cost every status change a second entry to move.
 */
#define SEARCH_GROUP_MAX 3
static const struct {
	const char *name;
	const char *statuses[SEARCH_GROUP_MAX];
} search_groups[] = {
	{ "processing", { "queued" } },
	{ "sending", { "sending", "accepted" } },
	{ "sent", { "delivered", "read" } },
	{ "undeliverable", { "undeliverable" } },
	{ "failed", { "failed", "rejected", "expired" } },
	{ "cancelled", { "cancelled" } },
	{ "blocked_time", { "blocked_time" } },
	{ "scheduled", { "scheduled" } },
};
#define SEARCH_NGROUPS (sizeof(search_groups) / sizeof(search_groups[0]))

/* The group named `name`'s index in search_groups, or -1. */
static int
search_group(const char *name)
{
	for (size_t i = 0; name != NULL && i < SEARCH_NGROUPS; i++)
		if (strcmp(search_groups[i].name, name) == 0)
			return (int)i;
	return -1;
}

enum {
	P_SUB = 1, P_STATUS, P_BCAST, P_TYPE, P_TO, P_TPL, P_FILE, P_TEXT,
	P_FROM, P_UNTIL, P_LO, P_HI, P_BEFORE, P_LIMIT, P_INDEXED, P_NEEDLE, P_EDITS,
};

/*
 * How a search reads: without a text, the messages alone; with one, the
 * messages the text index covers by the index, and those it has not
 * caught up with yet (ids above P_INDEXED, texts changed after change
 * P_EDITS: store_text.c) by their text. The two parts are disjoint.
 */
enum search_part { SEARCH_PLAIN, SEARCH_INDEXED, SEARCH_UNINDEXED };

/* Conditions by filter; `present` says whether the query has it. */
static const struct {
	int param;
	const char *cond;
} filters[] = {
	{ P_STATUS, " AND m.status = ?2" },
	{ P_BCAST, " AND m.broadcast_id = ?3" },
	{ P_TYPE, " AND m.channel_type = ?4" },
	{ P_TO, " AND m.to_addr = ?5" },
	{ P_TPL, " AND m.template_name = ?6" },
	/* A file's broadcast is one of many (sb_store_bcast_many). */
	{ P_FILE, " AND m.broadcast_id IN (SELECT b.id FROM broadcasts b"
	    " WHERE b.subaccount = ?1 AND b.file_name = ?7) AND m.bcast_many = 1" },
	{ P_TEXT, " AND messages_text MATCH ?8" },
	{ P_FROM, " AND m.id >= ?11 AND m.created_ms >= ?9" },
	{ P_UNTIL, " AND m.id <= ?12 AND m.created_ms < ?10" },
	{ P_BEFORE, " AND m.id < ?13" },
};

/*
 * The text filter drives from the trigram index, in rowid (= id) order, so
 * a page stops at its limit (CROSS JOIN keeps it the outer loop: as the
 * inner one, every message would run the text query); a file name drives
 * from its broadcasts (+subaccount: not from the subaccount's index). The
 * id bounds are given to the text index too.
 */
static const struct {
	int param;
	const char *cond;
} text_bounds[] = {
	{ P_FROM, " AND messages_text.rowid >= ?11" },
	{ P_UNTIL, " AND messages_text.rowid <= ?12" },
	{ P_BEFORE, " AND messages_text.rowid < ?13" },
};

#define FROM_TEXT \
	" FROM text.messages_text CROSS JOIN messages m ON m.id = messages_text.rowid"
#define FROM_PLAIN " FROM messages m"

/* The characters of a UTF-8 text (its bytes that do not continue one). */
static size_t
text_chars(const char *text)
{
	size_t n = 0;

	for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++)
		n += (*p & 0xC0) != 0x80;
	return n;
}

int
sb_search_check(struct sb_search *q, struct sb_error *err)
{
	if (q->status != NULL && sb_status_parse(q->status) < 0)
		return sb_error_set(err, SB_E_BAD_ARGUMENT, "unknown status '%.32s'", q->status);
	if (q->group != NULL && search_group(q->group) < 0)
		return sb_error_set(err, SB_E_BAD_ARGUMENT, "unknown group '%.32s' (expected"
		    " processing, sending, sent, undeliverable, failed, cancelled, blocked_time"
		    " or scheduled)", q->group);
	if (q->channel_type != NULL && !sb_channel_type_valid(q->channel_type))
		return sb_error_set(err, SB_E_BAD_ARGUMENT, "unknown channel type '%.32s'"
		    " (expected sms, whatsapp, line_push, line_notify or other)", q->channel_type);
	if (q->text != NULL && text_chars(q->text) < SB_SEARCH_TEXT_MIN)
		return sb_error_set(err, SB_E_BAD_ARGUMENT, "'text' must have at least %d"
		    " characters", SB_SEARCH_TEXT_MIN);
	if (q->text != NULL && strlen(q->text) > SB_SEARCH_TEXT_MAX)
		return sb_error_set(err, SB_E_BAD_ARGUMENT, "'text' must have at most %d bytes",
		    SB_SEARCH_TEXT_MAX);
	if (q->from_ms > 0 && q->until_ms > 0 && q->until_ms <= q->from_ms)
		return sb_error_set(err, SB_E_BAD_ARGUMENT, "'until' must be after 'from'");
	if (q->from_ms > 0 && q->until_ms > 0 && q->until_ms - q->from_ms > SB_SEARCH_MAX_RANGE_MS)
		return sb_error_set(err, SB_E_BAD_ARGUMENT, "the time range is %lld days;"
		    " a search covers at most 3 months (92 days) of trigger time",
		    (long long)((q->until_ms - q->from_ms + 86399999) / 86400000));
	/* An open end is closed three months from the other. */
	if (q->from_ms > 0 && q->until_ms == 0)
		q->until_ms = q->from_ms + SB_SEARCH_MAX_RANGE_MS;
	else if (q->until_ms > 0 && q->from_ms == 0)
		q->from_ms = q->until_ms - SB_SEARCH_MAX_RANGE_MS;
	return 0;
}

static int
present(const struct sb_search *q, int param)
{
	switch (param) {
	case P_STATUS: return q->status != NULL;
	case P_BCAST: return q->broadcast_id > 0;
	case P_TYPE: return q->channel_type != NULL;
	case P_TO: return q->to != NULL;
	case P_TPL: return q->template_name != NULL;
	case P_FILE: return q->file_name != NULL;
	case P_TEXT: return q->text != NULL;
	case P_FROM: return q->from_ms > 0;
	case P_UNTIL: return q->until_ms > 0;
	case P_BEFORE: return q->before_id > 0;
	default: return 0;
	}
}

/* The trigger time of the first message with an id of at least `from`
 * (its id in *id), or INT64_MAX if there is none. */
static int64_t
created_from(sqlite3_stmt *probe, int64_t from, int64_t *id)
{
	int64_t ms = INT64_MAX;

	sqlite3_bind_int64(probe, 1, from);
	*id = INT64_MAX;
	if (sqlite3_step(probe) == SQLITE_ROW) {
		*id = sqlite3_column_int64(probe, 0);
		ms = sqlite3_column_int64(probe, 1);
	}
	sqlite3_reset(probe);
	return ms;
}

/*
 * The id of the first message triggered at or after `ms`, or (last) of
 * the last one triggered before it: a binary search over the ids, since
 * ids grow with trigger time (a message is stored when it is triggered),
 * about 20 lookups by id for a million messages. An index on the trigger
 * time answered this once, at the cost of an entry per message stored
 * (migration 12 -> 13).
 */
static int64_t
id_at(sqlite3 *db, int64_t ms, int last)
{
	sqlite3_stmt *probe;
	int64_t lo = 0, hi = 0, first = INT64_MAX, id;

	/* Two subqueries: min() and max() in one SELECT scan the whole table
	 * (SQLite takes either alone from the end of the index, not both). */
	if (sqlite3_prepare_v2(db, "SELECT (SELECT min(id) FROM messages),"
	    " (SELECT max(id) FROM messages)", -1, &probe, NULL) != SQLITE_OK)
		return last ? 0 : INT64_MAX;
	if (sqlite3_step(probe) == SQLITE_ROW && sqlite3_column_type(probe, 0) != SQLITE_NULL) {
		lo = sqlite3_column_int64(probe, 0);
		hi = sqlite3_column_int64(probe, 1) + 1;
	}
	sqlite3_finalize(probe);
	if (hi > 0 && sqlite3_prepare_v2(db, "SELECT id, created_ms FROM messages"
	    " WHERE id >= ?1 ORDER BY id LIMIT 1", -1, &probe, NULL) == SQLITE_OK) {
		/* The smallest x whose first message (at or after x) is at or
		 * after ms; past the last id there is none, which counts as after. */
		while (lo < hi) {
			int64_t mid = lo + (hi - lo) / 2;

			if (created_from(probe, mid, &id) >= ms)
				hi = mid;
			else
				lo = mid + 1;
		}
		created_from(probe, lo, &first);
		sqlite3_finalize(probe);
	}
	if (!last)
		return first;
	if (sqlite3_prepare_v2(db, "SELECT coalesce(max(id), 0) FROM messages WHERE id < ?1",
	    -1, &probe, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_int64(probe, 1, first);
	id = sqlite3_step(probe) == SQLITE_ROW ? sqlite3_column_int64(probe, 0) : 0;
	sqlite3_finalize(probe);
	return id;
}

#define SEARCH_COLS                                                              \
	"m.id, m.to_addr, m.status, m.grp, m.channel_type, m.template_name,"         \
	" m.broadcast_id, m.body, m.created_ms, m.updated_ms, m.reason"

/* What every statement of one search shares, found once. */
struct search_ctx {
	sqlite3 *db;              /* the store's, or the text index's with the store attached */
	int64_t marks[2];         /* the text index's marks (store_text.c) */
	int64_t lo, hi;           /* the trigger-time range as ids (id_at) */
	int bcast_many;           /* the broadcast searched is one of many */
};

/*
 * Prepare `select` + FROM + conditions + ORDER BY and LIMIT (page) or
 * LIMIT alone (count) for one part of a search, and bind the query's
 * parameters.
 */
static sqlite3_stmt *
prepare_search(const struct search_ctx *x, const struct sb_search *q, const char *index,
    const char *select, int page, enum search_part part)
{
	char sql[2048];
	size_t used;
	sqlite3_stmt *s;
	int text = part == SEARCH_INDEXED;

	used = (size_t)snprintf(sql, sizeof(sql), "%s%s%s%s WHERE %sm.subaccount = ?1", select,
	    text ? FROM_TEXT : FROM_PLAIN, index != NULL && !text ? " INDEXED BY " : "",
	    index != NULL && !text ? index : "", q->file_name != NULL ? "+" : "");
	for (size_t i = 0; i < sizeof(filters) / sizeof(filters[0]); i++)
		if (present(q, filters[i].param) && (text || filters[i].param != P_TEXT) &&
		    used < sizeof(sql))
			used += (size_t)snprintf(sql + used, sizeof(sql) - used, "%s", filters[i].cond);
	if (x->bcast_many && used < sizeof(sql))
		used += (size_t)snprintf(sql + used, sizeof(sql) - used, " AND m.bcast_many = 1");
	for (size_t i = 0; text && i < sizeof(text_bounds) / sizeof(text_bounds[0]); i++)
		if (present(q, text_bounds[i].param) && used < sizeof(sql))
			used += (size_t)snprintf(sql + used, sizeof(sql) - used, "%s",
			    text_bounds[i].cond);
	if (used < sizeof(sql) && part != SEARCH_PLAIN)
		used += (size_t)snprintf(sql + used, sizeof(sql) - used, "%s", text ?
		    " AND messages_text.rowid <= ?15 AND m.id NOT IN"
		    " (SELECT message_id FROM text_edits WHERE seq > ?17)"
		    " AND sb_contains(m.body, ?16)" :
		    " AND m.id IN (SELECT id FROM messages WHERE id > ?15"
		    " UNION SELECT message_id FROM text_edits WHERE seq > ?17)"
		    " AND sb_contains(m.body, ?16)");
	if (used < sizeof(sql))
		snprintf(sql + used, sizeof(sql) - used, "%s%s",
		    !page ? "" : text ? " ORDER BY messages_text.rowid DESC" : " ORDER BY m.id DESC",
		    page ? " LIMIT ?14 + 1" : " LIMIT ?14)");
	if (sqlite3_prepare_v2(x->db, sql, -1, &s, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_text(s, P_SUB, q->subaccount, -1, SQLITE_TRANSIENT);
	if (q->status != NULL)
		sqlite3_bind_text(s, P_STATUS, q->status, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, P_BCAST, q->broadcast_id);
	if (q->channel_type != NULL)
		sqlite3_bind_text(s, P_TYPE, q->channel_type, -1, SQLITE_TRANSIENT);
	if (q->to != NULL)
		sqlite3_bind_text(s, P_TO, q->to, -1, SQLITE_TRANSIENT);
	if (q->template_name != NULL)
		sqlite3_bind_text(s, P_TPL, q->template_name, -1, SQLITE_TRANSIENT);
	if (q->file_name != NULL)
		sqlite3_bind_text(s, P_FILE, q->file_name, -1, SQLITE_TRANSIENT);
	if (q->text != NULL && part != SEARCH_PLAIN) {
		char expr[8 * SB_SEARCH_TEXT_MAX], needle[4 * SB_SEARCH_TEXT_MAX + 1];

		/* The index's candidates hold every trigram; sb_contains decides. */
		if (text && sb_store_match_expr(q->text, expr, sizeof(expr)) > 0)
			sqlite3_bind_text(s, P_TEXT, expr, -1, SQLITE_TRANSIENT);
		if (sb_store_match_fold(q->text, needle, sizeof(needle)) == 0)
			sqlite3_bind_text(s, P_NEEDLE, needle, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(s, P_INDEXED, x->marks[0]);
		sqlite3_bind_int64(s, P_EDITS, x->marks[1]);
	}
	sqlite3_bind_int64(s, P_FROM, q->from_ms);
	sqlite3_bind_int64(s, P_UNTIL, q->until_ms);
	sqlite3_bind_int64(s, P_LO, x->lo);
	sqlite3_bind_int64(s, P_HI, x->hi);
	sqlite3_bind_int64(s, P_BEFORE, q->before_id);
	sqlite3_bind_int(s, P_LIMIT, q->limit);
	return s;
}

static json_t *
col(sqlite3_stmt *s, int i, int is_time)
{
	if (sqlite3_column_type(s, i) == SQLITE_NULL)
		return json_null();
	if (is_time) {
		char buf[40];

		return json_string(sb_format_iso8601_ms(sqlite3_column_int64(s, i), buf,
		    sizeof(buf)));
	}
	if (sqlite3_column_type(s, i) == SQLITE_INTEGER)
		return json_integer(sqlite3_column_int64(s, i));
	return json_string((const char *)sqlite3_column_text(s, i));
}

static const struct {
	const char *name;
	int is_time;
} out_cols[] = {
	{ "id", 0 }, { "to", 0 }, { "status", 0 }, { "group", 0 }, { "channel_type", 0 },
	{ "template", 0 }, { "broadcast", 0 }, { "text", 0 }, { "created", 1 },
	{ "updated", 1 }, { "reason", 0 },
};

/* One part of a search, read in id order (newest first). */
struct search_cursor {
	sqlite3_stmt *s;
	int has;                  /* s is on a row */
	int64_t id;               /* its id */
};

static void
cursor_next(struct search_cursor *c)
{
	c->has = c->s != NULL && sqlite3_step(c->s) == SQLITE_ROW;
	c->id = c->has ? sqlite3_column_int64(c->s, 0) : 0;
}

/* The rows of one part counted, up to the cap and one more. */
static int64_t
count_part(const struct search_ctx *x, const struct sb_search *q, const char *index,
    enum search_part part)
{
	struct sb_search all = *q;
	sqlite3_stmt *s;
	int64_t n = 0;

	all.before_id = 0;
	all.limit = SB_SEARCH_TOTAL_CAP + 1;
	s = prepare_search(x, &all, index, "SELECT count(*) FROM (SELECT 1", 0, part);
	if (s != NULL && sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return n;
}

/* One search by a status (or by none), and the index it reads by. */
struct search_by {
	struct sb_search q;       /* keeps the query's strings */
	const char *index;        /* INDEXED BY this, or NULL: SQLite's choice */
};

/*
 * The search as searches by one status each (or by none): a group is the
 * union of its statuses; a status outside the group asked for leaves
 * none. Returns how many.
 */
static size_t
search_by_status(const struct sb_search *q, struct search_by out[SEARCH_GROUP_MAX])
{
	int g = search_group(q->group);
	size_t n = 0;

	if (g < 0) {
		out[0] = (struct search_by){ *q, NULL };
		out[0].q.group = NULL;
		return 1;
	}
	for (size_t i = 0; i < SEARCH_GROUP_MAX && search_groups[g].statuses[i] != NULL; i++) {
		const char *st = search_groups[g].statuses[i];

		if (q->status != NULL && strcmp(q->status, st) != 0)
			continue;
		out[n] = (struct search_by){ *q, NULL };
		out[n].q.group = NULL;
		out[n].q.status = st;
		n++;
	}
	return n;
}

/*
 * What the statistics aggregates (msg_stats) count for a search with q's
 * subaccount and days, and of its status, channel type and template those
 * `with` names (WITH_*): more than the search finds (its other filters are
 * not there), exact per filter. 1 if it cannot tell.
 */
enum { WITH_STATUS = 1, WITH_TYPE = 2, WITH_TPL = 4 };

static int64_t
stats_count(sqlite3 *db, const struct sb_search *q, int with)
{
	sqlite3_stmt *s;
	int64_t n = 1;

	if (sqlite3_prepare_v2(db, "SELECT coalesce(sum(n), 0) FROM msg_stats"
	    " WHERE subaccount = ?1 AND (?2 IS NULL OR status = ?2)"
	    " AND (?3 IS NULL OR channel_type = ?3) AND (?4 IS NULL OR template = ?4)"
	    " AND day BETWEEN ?5 AND ?6", -1, &s, NULL) != SQLITE_OK)
		return 1;
	sqlite3_bind_text(s, 1, q->subaccount, -1, SQLITE_STATIC);
	sb_store_bind_text(s, 2, with & WITH_STATUS ? q->status : NULL);
	sb_store_bind_text(s, 3, with & WITH_TYPE ? q->channel_type : NULL);
	sb_store_bind_text(s, 4, with & WITH_TPL ? q->template_name : NULL);
	sqlite3_bind_int64(s, 5, q->from_ms > 0 ? q->from_ms / STORE_DAY_MS : 0);
	sqlite3_bind_int64(s, 6, q->until_ms > 0 ? (q->until_ms - 1) / STORE_DAY_MS : INT64_MAX);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return n;
}

/*
 * The index a search by a status reads, when SQLite would guess: with a
 * channel type or a template too, it cannot tell which of their indexes
 * holds fewer entries to look through (it took the SMS index, 400 000
 * entries, to find the few `rejected`). The aggregates can: the filter
 * with the fewest messages drives. NULL (SQLite's choice) with a filter
 * of its own that narrows more (a phone, a broadcast, a file, a text).
 */
static const char *
search_index(sqlite3 *db, const struct sb_search *q)
{
	static const struct {
		int with;
		const char *index;
	} drivers[] = {
		{ WITH_STATUS, "messages_sub_status" },
		{ WITH_TYPE, "messages_sub_type" },
		{ WITH_TPL, "messages_sub_tpl" },
	};
	int given = (q->status != NULL ? WITH_STATUS : 0) |
	    (q->channel_type != NULL ? WITH_TYPE : 0) | (q->template_name != NULL ? WITH_TPL : 0);
	const char *best = NULL;
	int64_t least = INT64_MAX;

	if (q->to != NULL || q->broadcast_id > 0 || q->file_name != NULL || q->text != NULL ||
	    (given & (given - 1)) == 0)
		return NULL;     /* one of these filters at most: nothing to choose */
	for (size_t i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++) {
		int64_t n;

		if (!(given & drivers[i].with))
			continue;
		n = stats_count(db, q, drivers[i].with);
		if (n < least) {
			least = n;
			best = drivers[i].index;
		}
	}
	return best;
}

/*
 * Keep of qs[] the searches that can find something (a status with no
 * message counted, with the channel type, template and days searched,
 * finds nothing: it is not read at all), and choose each one's index.
 */
static size_t
search_prepare_statuses(sqlite3 *db, struct search_by *qs, size_t n)
{
	size_t keep = 0;

	for (size_t i = 0; i < n; i++) {
		if (qs[i].q.status != NULL &&
		    stats_count(db, &qs[i].q, WITH_STATUS | WITH_TYPE | WITH_TPL) == 0)
			continue;
		qs[keep] = qs[i];
		qs[keep++].index = search_index(db, &qs[i].q);
	}
	return keep;
}

/* The text index's reader and marks for a text search, the store's
 * connection otherwise (with the open group's statistics written: a text
 * search reads committed rows); and the time range as ids. */
static int
search_begin(struct sb_store *st, const struct sb_search *q, struct search_ctx *x)
{
	*x = (struct search_ctx){ .db = st->db, .hi = INT64_MAX };
	if (q->text != NULL &&
	    (x->db = sb_store_text_reader(st, &x->marks[0], &x->marks[1])) == NULL)
		return -1;
	if (x->db == st->db)
		sb_store_tally_flush(st);
	if (q->from_ms > 0)
		x->lo = id_at(x->db, q->from_ms, 0);
	if (q->until_ms > 0)
		x->hi = id_at(x->db, q->until_ms, 1);
	x->bcast_many = q->broadcast_id > 0 && sb_store_bcast_many(st, q->broadcast_id);
	return 0;
}

#define SEARCH_CURSORS (2 * SEARCH_GROUP_MAX)

/*
 * A search reads up to SEARCH_CURSORS parts, each in id order (newest
 * first), and a page takes the newest rows of them all, as one merge:
 * a text search has two parts (see enum search_part), a search by group
 * one per status of the group (search_by_status), times two with a text.
 */
json_t *
sb_store_search(struct sb_store *st, const struct sb_search *q, struct sb_error *err)
{
	static const enum search_part plain[] = { SEARCH_PLAIN };
	static const enum search_part text[] = { SEARCH_UNINDEXED, SEARCH_INDEXED };
	const enum search_part *parts = q->text != NULL ? text : plain;
	size_t nparts = q->text != NULL ? 2 : 1, nq, ncur = 0;
	struct search_by qs[SEARCH_GROUP_MAX];
	struct search_cursor cur[SEARCH_CURSORS] = { { 0 } };
	enum search_part cur_part[SEARCH_CURSORS];
	const struct search_by *cur_q[SEARCH_CURSORS];
	int64_t total = 0, last = 0;
	json_t *list, *next = json_null();
	struct search_ctx x;
	int failed = 0;

	if (search_begin(st, q, &x) < 0)
		return sb_error_set(err, SB_E_INTERNAL, "search failed: the text index of"
		    " %s could not be read", st->path), NULL;
	nq = search_prepare_statuses(x.db, qs, search_by_status(q, qs));
	for (size_t i = 0; i < nparts; i++) {
		if (parts[i] == SEARCH_INDEXED && x.marks[0] == 0)
			continue;
		for (size_t k = 0; k < nq; k++, ncur++) {
			cur_part[ncur] = parts[i];
			cur_q[ncur] = &qs[k];
			cur[ncur].s = prepare_search(&x, &qs[k].q, qs[k].index, "SELECT " SEARCH_COLS,
			    1, parts[i]);
			failed |= cur[ncur].s == NULL;
			cursor_next(&cur[ncur]);
		}
	}
	list = json_array();
	while (!failed) {
		struct search_cursor *c = NULL;
		json_t *o;

		for (size_t i = 0; i < ncur; i++)
			if (cur[i].has && (c == NULL || cur[i].id > c->id))
				c = &cur[i];
		if (c == NULL)
			break;
		if ((int)json_array_size(list) == q->limit) {
			next = json_integer(last);
			break;
		}
		o = json_object();
		for (size_t i = 0; i < sizeof(out_cols) / sizeof(out_cols[0]); i++)
			json_object_set_new(o, out_cols[i].name, col(c->s, (int)i,
			    out_cols[i].is_time));
		json_array_append_new(list, o);
		last = c->id;
		cursor_next(c);
	}
	for (size_t i = 0; i < ncur; i++) {
		sqlite3_finalize(cur[i].s);
		/* The total of the whole search (not of this page), up to a cap. */
		if (!failed)
			total += count_part(&x, &cur_q[i]->q, cur_q[i]->index, cur_part[i]);
	}
	sb_store_text_reader_done(st, x.db);
	if (failed) {
		json_decref(list);
		return sb_error_set(err, SB_E_INTERNAL, "search failed: the messages of %s"
		    " could not be read", st->path), NULL;
	}
	return json_pack("{s:o, s:o, s:I, s:b}", "messages", list, "next_before", next,
	    "total", (json_int_t)(total > SB_SEARCH_TOTAL_CAP ? SB_SEARCH_TOTAL_CAP : total),
	    "total_exact", total <= SB_SEARCH_TOTAL_CAP);
}

/* The plan of a search's main part: the index's for a text search, the
 * first status's for a group (read even if no message has it). */
int
sb_store_search_plan(struct sb_store *st, const struct sb_search *q, char *buf, size_t len)
{
	struct search_by qs[SEARCH_GROUP_MAX];
	struct search_ctx x;
	enum search_part part;
	sqlite3_stmt *s = NULL;
	int rc = -1;

	if (len > 0)
		buf[0] = '\0';
	if (search_begin(st, q, &x) < 0)
		return -1;
	part = q->text == NULL ? SEARCH_PLAIN : x.db != st->db ? SEARCH_INDEXED :
	    SEARCH_UNINDEXED;
	if (search_by_status(q, qs) > 0)
		s = prepare_search(&x, &qs[0].q, search_index(x.db, &qs[0].q),
		    "EXPLAIN QUERY PLAN SELECT " SEARCH_COLS, 1, part);
	if (s != NULL) {
		size_t used = 0;

		while (sqlite3_step(s) == SQLITE_ROW && used < len)
			used += (size_t)snprintf(buf + used, len - used, "%s\n",
			    (const char *)sqlite3_column_text(s, 3));
		sqlite3_finalize(s);
		rc = 0;
	}
	sb_store_text_reader_done(st, x.db);
	return rc;
}
