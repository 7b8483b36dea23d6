/*
 * store_bcast.c - broadcasts in the store (store_bcast.h): the row each
 * trigger writes, the lookups of stop and restart, and the operator's
 * views (list, show with counts and recipients).
 *
 * Views prepare their statements per call (they run on demand); the one
 * lookup on the sending path (is this message's broadcast stopped?) is a
 * prepared statement of store.c. Nothing here changes a status.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "store_bcast.h"
#include "store_internal.h"
#include "store_stats.h"
#include "timefmt.h"

/* A recipient who got it, or one who did not (never sent again by a stop). */
#define OK_STATUSES "('delivered', 'read')"
#define UNFINISHED "('scheduled', 'queued', 'sending', 'accepted')"
#define FAILED_STATUSES \
	"('undeliverable', 'failed', 'expired', 'cancelled', 'rejected', 'blocked_time')"
#define RETRY_STATUSES "('undeliverable', 'failed', 'expired', 'cancelled')"
/*
 * Broadcast b's text. A broadcast of one message sent without a template
 * stores none (sb_store_broadcast_insert): its text is its message's, as
 * its counts are (BCAST_COUNTS_SQL). Rows stored before that kept a copy,
 * which is read as it is.
 */
#define BCAST_TEXT                                                               \
	"CASE WHEN b.body IS NULL AND b.single_message AND b.template_name IS NULL" \
	" THEN (SELECT t.body FROM messages t WHERE t.broadcast_id = b.id) ELSE b.body END"

int64_t
sb_store_broadcast_insert(struct sb_store *st, const struct sb_broadcast_row *b,
    struct sb_error *err)
{
	/* Every API submission makes one: prepared once, at open. */
	sqlite3_stmt *s = sb_store_stmt(st, ST_BCAST_INSERT);
	int rc;

	sb_store_bind_text(s, 1, b->subaccount);
	sb_store_bind_text(s, 2, b->source);
	sb_store_bind_text(s, 3, b->user);
	sb_store_bind_text(s, 4, b->file_name);
	sb_store_bind_text(s, 5, b->chain);
	/* A broadcast of one message without a template keeps no copy of the
	 * text: BCAST_TEXT reads it from that message. */
	sb_store_bind_text(s, 6, b->single_message && b->template_name == NULL ? NULL : b->text);
	sb_store_bind_text(s, 7, b->template_name);
	if (b->restart_of > 0)
		sqlite3_bind_int64(s, 8, b->restart_of);
	sqlite3_bind_int64(s, 9, b->created_ms);
	sqlite3_bind_int(s, 10, b->single_message != 0);
	rc = sb_store_exec_write(st, s);
	if (rc < 0)
		return sb_error_set(err, SB_E_INTERNAL, "the broadcast could not be stored"
		    " (database %s: %s)", st->path, sqlite3_errmsg(st->db)), -1;
	return sqlite3_last_insert_rowid(st->db);
}

int64_t
sb_store_broadcast_insert_restart(struct sb_store *st, int64_t old, const char *user,
    int64_t now_ms, struct sb_error *err)
{
	sqlite3_stmt *s = sb_store_prepare(st, "INSERT INTO broadcasts (subaccount, source, user_name,"
	    " file_name, chain, body, template_name, restart_of, created_ms, restart_cursor)"
	    " SELECT subaccount, 'restart', ?1, file_name, chain, " BCAST_TEXT ","
	    " template_name, id, ?2,"
	    " '' FROM broadcasts b WHERE id = ?3", NULL);
	int rc;

	if (s == NULL)
		return sb_error_set(err, SB_E_INTERNAL, "database %s: %s", st->path,
		    sqlite3_errmsg(st->db)), -1;
	sb_store_bind_text(s, 1, user);
	sqlite3_bind_int64(s, 2, now_ms);
	sqlite3_bind_int64(s, 3, old);
	rc = sb_store_exec_write(st, s);
	sqlite3_finalize(s);
	if (rc < 0)
		return sb_error_set(err, SB_E_CONFLICT, "broadcast %lld could not be restarted:"
		    " %s", (long long)old, sqlite3_errmsg(st->db)), -1;
	return sqlite3_last_insert_rowid(st->db);
}

int
sb_store_broadcast_state(struct sb_store *st, int64_t id, const char *subaccount,
    struct sb_broadcast_state *out)
{
	sqlite3_stmt *s = sb_store_prepare(st, "SELECT b.id, b.subaccount, b.stopped_ms,"
	    " (SELECT r.id FROM broadcasts r WHERE r.restart_of = b.id),"
	    " (SELECT coalesce(sum(n), 0) FROM (" BCAST_COUNTS_SQL ")"
	    "  WHERE status IN " UNFINISHED ")"
	    " FROM broadcasts b WHERE b.id = ?1 AND (?2 IS NULL OR b.subaccount = ?2)", NULL);
	int rc;

	if (s == NULL)
		return -1;
	sb_store_tally_flush(st); /* the open group's moves, too */
	sqlite3_bind_int64(s, 1, id);
	sb_store_bind_text(s, 2, subaccount);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*out = (struct sb_broadcast_state){
			.id = sqlite3_column_int64(s, 0),
			.stopped_ms = sqlite3_column_int64(s, 2),
			.restarted_by = sqlite3_column_int64(s, 3),
			.unfinished = sqlite3_column_int64(s, 4),
		};
		snprintf(out->subaccount, sizeof(out->subaccount), "%s",
		    (const char *)sqlite3_column_text(s, 1));
	}
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
}

int
sb_store_broadcast_mark_stopped(struct sb_store *st, int64_t id, int64_t now_ms)
{
	sqlite3_stmt *s = sb_store_prepare(st, "UPDATE broadcasts SET stopped_ms = ?"
	    " WHERE id = ? AND stopped_ms IS NULL", NULL);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, now_ms);
	sqlite3_bind_int64(s, 2, id);
	rc = sb_store_exec_write(st, s);
	sqlite3_finalize(s);
	return rc;
}

int
sb_store_broadcast_any_stopped(struct sb_store *st)
{
	sqlite3_stmt *s = sb_store_prepare(st, "SELECT 1 FROM broadcasts WHERE stopped_ms IS NOT NULL"
	    " LIMIT 1", NULL);
	int rc;

	if (s == NULL)
		return -1;
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int
sb_store_message_bcast_stopped(struct sb_store *st, int64_t message_id)
{
	sqlite3_stmt *s = sb_store_stmt(st, ST_MSG_BCAST_STOPPED);
	int stopped = 0;

	sqlite3_bind_int64(s, 1, message_id);
	if (sqlite3_step(s) == SQLITE_ROW)
		stopped = sqlite3_column_int(s, 0);
	sqlite3_reset(s);
	return stopped;
}

int
sb_store_bcast_many(struct sb_store *st, int64_t id)
{
	sqlite3_stmt *s = sb_store_prepare(st,
	    "SELECT single_message FROM broadcasts WHERE id = ?", NULL);
	int single = 0;

	if (s == NULL)
		return 0;
	sqlite3_bind_int64(s, 1, id);
	if (sqlite3_step(s) == SQLITE_ROW)
		single = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return !single;
}

/* The condition that lets a query on broadcast `id` read the indexes by
 * status and by number, or none (a broadcast of one). */
static const char *
bcast_many_cond(struct sb_store *st, int64_t id)
{
	return sb_store_bcast_many(st, id) ? " AND bcast_many = 1" : "";
}

int
sb_store_broadcast_unsent(struct sb_store *st, int64_t id, int limit,
    void (*fn)(void *arg, int64_t message_id, enum sb_status status), void *arg)
{
	char sql[256];
	sqlite3_stmt *s;
	int64_t ids[512];
	enum sb_status sts[512];
	int n = 0;

	/* Read the batch first: fn changes the rows the statement walks. */
	snprintf(sql, sizeof(sql), "SELECT id, status FROM messages WHERE broadcast_id = ?%s"
	    " AND status IN ('scheduled', 'queued') ORDER BY id LIMIT ?", bcast_many_cond(st, id));
	if ((s = sb_store_prepare(st, sql, NULL)) == NULL)
		return -1;
	if (limit > (int)(sizeof(ids) / sizeof(ids[0])))
		limit = (int)(sizeof(ids) / sizeof(ids[0]));
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int(s, 2, limit);
	while (n < limit && sqlite3_step(s) == SQLITE_ROW) {
		const char *w = (const char *)sqlite3_column_text(s, 1);

		ids[n] = sqlite3_column_int64(s, 0);
		sts[n] = w != NULL && strcmp(w, "scheduled") == 0 ? SB_ST_SCHEDULED : SB_ST_QUEUED;
		n++;
	}
	sqlite3_finalize(s);
	for (int i = 0; i < n; i++)
		fn(arg, ids[i], sts[i]);
	return n;
}

/* Per number: its latest message (bare columns come from the max row);
 * %s is bcast_many_cond's. */
#define RETRY_INNER                                                                \
	"SELECT max(id) AS id, to_addr, status,"                                    \
	" sum(status IN " OK_STATUSES ") AS got FROM messages"                      \
	" WHERE broadcast_id = ?1%s AND to_addr > ?2 GROUP BY to_addr ORDER BY to_addr"

int
sb_store_broadcast_retry_each(struct sb_store *st, int64_t id, const char *after_to,
    int limit, void (*fn)(void *arg, int64_t message_id, const char *to), void *arg)
{
	char sql[512];
	sqlite3_stmt *s;
	int64_t ids[512];
	char tos[512][32];
	int n = 0;

	snprintf(sql, sizeof(sql), "SELECT id, to_addr FROM (" RETRY_INNER ")"
	    " WHERE got = 0 AND status IN " RETRY_STATUSES " LIMIT ?3", bcast_many_cond(st, id));
	if ((s = sb_store_prepare(st, sql, NULL)) == NULL)
		return -1;
	if (limit > (int)(sizeof(ids) / sizeof(ids[0])))
		limit = (int)(sizeof(ids) / sizeof(ids[0]));
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 2, after_to, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, limit);
	while (n < limit && sqlite3_step(s) == SQLITE_ROW) {
		ids[n] = sqlite3_column_int64(s, 0);
		snprintf(tos[n], sizeof(tos[n]), "%s", (const char *)sqlite3_column_text(s, 1));
		n++;
	}
	sqlite3_finalize(s);
	for (int i = 0; i < n; i++)
		fn(arg, ids[i], tos[i]);
	return n;
}

int64_t
sb_store_broadcast_retry_count(struct sb_store *st, int64_t id)
{
	char sql[512];
	sqlite3_stmt *s;
	int64_t n = -1;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM (" RETRY_INNER ")"
	    " WHERE got = 0 AND status IN " RETRY_STATUSES, bcast_many_cond(st, id));
	if ((s = sb_store_prepare(st, sql, NULL)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 2, "", -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return n;
}

/* ---- views ---- */

static json_t *
col_json(sqlite3_stmt *s, int i, int is_time)
{
	switch (sqlite3_column_type(s, i)) {
	case SQLITE_NULL:
		return json_null();
	case SQLITE_INTEGER:
		if (is_time) {
			char buf[40];

			return json_string(sb_format_iso8601_ms(sqlite3_column_int64(s, i), buf,
			    sizeof(buf)));
		}
		return json_integer(sqlite3_column_int64(s, i));
	default:
		return json_string((const char *)sqlite3_column_text(s, i));
	}
}

/* The columns of a broadcast row, in the order BCAST_COLS selects them. */
static const struct {
	const char *name;
	int is_time;
} bcast_cols[] = {
	{ "id", 0 }, { "subaccount", 0 }, { "source", 0 }, { "user", 0 },
	{ "file_name", 0 }, { "chain", 0 }, { "text", 0 }, { "template", 0 },
	{ "restart_of", 0 }, { "created", 1 }, { "stopped", 1 },
};
#define BCAST_COLS                                                              \
	"b.id, b.subaccount, b.source, b.user_name, b.file_name, b.chain, " BCAST_TEXT "," \
	" b.template_name, b.restart_of, b.created_ms, b.stopped_ms"
#define NBCAST_COLS ((int)(sizeof(bcast_cols) / sizeof(bcast_cols[0])))

static json_t *
bcast_row(sqlite3_stmt *s)
{
	json_t *o = json_object();

	for (int i = 0; i < NBCAST_COLS; i++)
		json_object_set_new(o, bcast_cols[i].name, col_json(s, i, bcast_cols[i].is_time));
	return o;
}

/* One page of recipients in `set` (OK_STATUSES or FAILED_STATUSES). */
static json_t *
recipients_page(struct sb_store *st, int64_t id, const char *set, int64_t before, int limit,
    json_t **next)
{
	char sql[512];
	sqlite3_stmt *s;
	json_t *a = json_array();
	int64_t last = 0;
	int n = 0;

	snprintf(sql, sizeof(sql), "SELECT id, to_addr, status, reason, updated_ms"
	    " FROM messages WHERE broadcast_id = ?1%s AND status IN %s"
	    " AND (?2 = 0 OR id < ?2) ORDER BY id DESC LIMIT ?3", bcast_many_cond(st, id), set);
	*next = json_null();
	if ((s = sb_store_prepare(st, sql, NULL)) == NULL)
		return a;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, before);
	sqlite3_bind_int(s, 3, limit + 1);
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (n++ == limit) {
			*next = json_integer(last);
			break;
		}
		last = sqlite3_column_int64(s, 0);
		json_array_append_new(a, json_pack("{s:I, s:o, s:o, s:o, s:o}", "message",
		    (json_int_t)last, "to", col_json(s, 1, 0), "status", col_json(s, 2, 0),
		    "reason", col_json(s, 3, 0), "updated", col_json(s, 4, 1)));
	}
	sqlite3_finalize(s);
	return a;
}

static double
percent(int64_t part, int64_t whole)
{
	/* One decimal, rounded down: 99.99 % is not shown as 100. */
	return whole > 0 ? floor((double)part * 1000.0 / (double)whole) / 10.0 : 0.0;
}

json_t *
sb_store_broadcast_json(struct sb_store *st, int64_t id, const char *subaccount,
    int64_t ok_before, int64_t failed_before, int limit)
{
	sqlite3_stmt *s = sb_store_prepare(st, "SELECT " BCAST_COLS ","
	    " (SELECT r.id FROM broadcasts r WHERE r.restart_of = b.id)"
	    " FROM broadcasts b WHERE b.id = ?1 AND (?2 IS NULL OR b.subaccount = ?2)", NULL);
	json_t *b = NULL, *counts, *next;
	int64_t total = 0, delivered = 0, read = 0;

	if (s == NULL)
		return NULL;
	sqlite3_bind_int64(s, 1, id);
	sb_store_bind_text(s, 2, subaccount);
	if (sqlite3_step(s) == SQLITE_ROW) {
		b = bcast_row(s);
		json_object_set_new(b, "restarted_by", col_json(s, NBCAST_COLS, 0));
	}
	sqlite3_finalize(s);
	if (b == NULL)
		return NULL;
	counts = json_object();
	for (int i = 0; i < SB_ST_COUNT; i++)
		json_object_set_new(counts, sb_status_name((enum sb_status)i), json_integer(0));
	/* The aggregates, kept with every status change: no count over the
	 * rows (a broadcast of one message: that message, BCAST_COUNTS_SQL). */
	sb_store_tally_flush(st); /* the open group's moves, too */
	s = sb_store_prepare(st, BCAST_COUNTS_SQL, NULL);
	if (s != NULL) {
		sqlite3_bind_int64(s, 1, id);
		while (sqlite3_step(s) == SQLITE_ROW) {
			const char *w = (const char *)sqlite3_column_text(s, 0);
			int64_t n = sqlite3_column_int64(s, 1);

			json_object_set_new(counts, w, json_integer(n));
			total += n;
			if (strcmp(w, "delivered") == 0 || strcmp(w, "read") == 0)
				delivered += n;
			if (strcmp(w, "read") == 0)
				read += n;
		}
		sqlite3_finalize(s);
	}
	json_object_set_new(b, "running", json_boolean(
	    json_integer_value(json_object_get(counts, "scheduled")) +
	    json_integer_value(json_object_get(counts, "queued")) +
	    json_integer_value(json_object_get(counts, "sending")) +
	    json_integer_value(json_object_get(counts, "accepted")) > 0));
	json_object_set_new(b, "messages", json_integer(total));
	json_object_set_new(b, "counts", counts);
	json_object_set_new(b, "delivered_pct", json_real(percent(delivered, total)));
	json_object_set_new(b, "read_pct", json_real(percent(read, total)));
	json_object_set_new(b, "stats", sb_store_bcast_stats(st, id));
	json_object_set_new(b, "successful", recipients_page(st, id, OK_STATUSES, ok_before,
	    limit, &next));
	json_object_set_new(b, "next_successful_before", next);
	json_object_set_new(b, "failed", recipients_page(st, id, FAILED_STATUSES,
	    failed_before, limit, &next));
	json_object_set_new(b, "next_failed_before", next);
	return b;
}

json_t *
sb_store_broadcast_list(struct sb_store *st, const char *subaccount, int64_t before_id,
    int limit)
{
	/*
	 * Each row's figures from the aggregates (bcast_stats), as the
	 * detail's; a broadcast of one message from that message (m), which
	 * only such a broadcast joins.
	 */
	sqlite3_stmt *s = sb_store_prepare(st, "SELECT " BCAST_COLS ","
	    " coalesce(sum(x.n), 0) + count(m.id),"
	    " coalesce(sum(CASE WHEN x.status IN " UNFINISHED " THEN x.n END), 0)"
	    "  + count(CASE WHEN m.status IN " UNFINISHED " THEN 1 END),"
	    " coalesce(sum(CASE WHEN x.status IN ('delivered', 'read') THEN x.n END), 0)"
	    "  + count(CASE WHEN m.status IN ('delivered', 'read') THEN 1 END),"
	    " coalesce(sum(CASE WHEN x.status = 'read' THEN x.n END), 0)"
	    "  + count(CASE WHEN m.status = 'read' THEN 1 END)"
	    " FROM broadcasts b LEFT JOIN bcast_stats x ON x.broadcast_id = b.id"
	    " LEFT JOIN messages m ON b.single_message AND m.broadcast_id = b.id"
	    " WHERE (?1 IS NULL OR b.subaccount = ?1) AND (?2 = 0 OR b.id < ?2)"
	    " GROUP BY b.id ORDER BY b.id DESC LIMIT ?3", NULL);
	json_t *a = json_array(), *next = json_null();
	int64_t last = 0;
	int n = 0;

	if (s == NULL) {
		json_decref(a);
		return NULL;
	}
	sb_store_tally_flush(st); /* the open group's moves, too */
	sb_store_bind_text(s, 1, subaccount);
	sqlite3_bind_int64(s, 2, before_id);
	sqlite3_bind_int(s, 3, limit + 1);
	while (sqlite3_step(s) == SQLITE_ROW) {
		int64_t total = sqlite3_column_int64(s, NBCAST_COLS);
		int64_t pending = sqlite3_column_int64(s, NBCAST_COLS + 1);
		json_t *o;

		if (n++ == limit) {
			next = json_integer(last);
			break;
		}
		o = bcast_row(s);
		json_object_set_new(o, "messages", json_integer(total));
		json_object_set_new(o, "final", json_integer(total - pending));
		json_object_set_new(o, "running", json_boolean(pending > 0));
		json_object_set_new(o, "delivered_pct", json_real(percent(
		    sqlite3_column_int64(s, NBCAST_COLS + 2), total)));
		json_object_set_new(o, "read_pct", json_real(percent(
		    sqlite3_column_int64(s, NBCAST_COLS + 3), total)));
		last = sqlite3_column_int64(s, 0);
		json_array_append_new(a, o);
	}
	sqlite3_finalize(s);
	return json_pack("{s:o, s:o}", "broadcasts", a, "next_before", next);
}

int
sb_store_broadcast_set_cursor(struct sb_store *st, int64_t id, const char *cursor)
{
	sqlite3_stmt *s = sb_store_prepare(st, "UPDATE broadcasts SET restart_cursor = ? WHERE id = ?", NULL);
	int rc;

	if (s == NULL)
		return -1;
	sb_store_bind_text(s, 1, cursor);
	sqlite3_bind_int64(s, 2, id);
	rc = sb_store_exec_write(st, s);
	sqlite3_finalize(s);
	return rc;
}

int
sb_store_broadcast_unfinished_restarts(struct sb_store *st,
    void (*fn)(void *arg, int64_t id, int64_t restart_of, const char *cursor), void *arg)
{
	sqlite3_stmt *s = sb_store_prepare(st, "SELECT id, restart_of, restart_cursor FROM broadcasts"
	    " WHERE restart_cursor IS NOT NULL AND restart_of IS NOT NULL", NULL);
	int n = 0;

	if (s == NULL)
		return -1;
	while (sqlite3_step(s) == SQLITE_ROW) {
		fn(arg, sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1),
		    (const char *)sqlite3_column_text(s, 2));
		n++;
	}
	sqlite3_finalize(s);
	return n;
}
