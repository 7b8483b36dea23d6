/*
 * store_query.c - read-only queries for people and programs: one message
 * with its attempts and history, filtered lists, counts for /metrics.
 *
 * These run on demand (CLI, API), so they prepare their statements per
 * call instead of keeping them around; the delivery path never uses them.
 */
#include <stdio.h>
#include <string.h>

#include "store_internal.h"
#include "timefmt.h"

static json_t *
json_text_or_null(sqlite3_stmt *s, int i)
{
	const char *v = (const char *)sqlite3_column_text(s, i);

	return v != NULL ? json_string(v) : json_null();
}

static json_t *
json_time_or_null(sqlite3_stmt *s, int i)
{
	char buf[40];

	if (sqlite3_column_type(s, i) == SQLITE_NULL)
		return json_null();
	sb_format_iso8601_ms(sqlite3_column_int64(s, i), buf, sizeof(buf));
	return json_string(buf);
}

static json_t *
json_int_or_null(sqlite3_stmt *s, int i)
{
	if (sqlite3_column_type(s, i) == SQLITE_NULL)
		return json_null();
	return json_integer(sqlite3_column_int64(s, i));
}

sqlite3_stmt *
sb_store_prepare(struct sb_store *st, const char *sql, struct sb_error *err)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) == SQLITE_OK)
		return s;
	if (err != NULL)
		sb_error_set(err, SB_E_INTERNAL, "database %s: %s", st->path,
		    sqlite3_errmsg(st->db));
	return NULL;
}

void
sb_store_bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v != NULL)
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

int
sb_store_write_id(struct sb_store *st, const char *sql, int64_t id, int64_t ms,
    const char *what, struct sb_error *err)
{
	sqlite3_stmt *s = sb_store_prepare(st, sql, err);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	if (sqlite3_bind_parameter_count(s) >= 2)
		sqlite3_bind_int64(s, 2, ms);
	rc = sb_store_exec_write(st, s);
	sqlite3_finalize(s);
	if (rc < 0)
		return sb_error_set(err, SB_E_INTERNAL, "%s could not be changed (database %s: %s)",
		    what, st->path, sqlite3_errmsg(st->db));
	return 0;
}

json_t *
sb_store_row_json(sqlite3_stmt *s, const struct sb_col_spec *cols, size_t n)
{
	json_t *o = json_object();

	for (size_t i = 0; i < n; i++) {
		json_t *v = cols[i].kind == SB_COL_INT ? json_int_or_null(s, (int)i) :
		    cols[i].kind == SB_COL_TEXT ? json_text_or_null(s, (int)i) :
		    json_time_or_null(s, (int)i);

		json_object_set_new(o, cols[i].name, v);
	}
	return o;
}

#define NCOLS(a) (sizeof(a) / sizeof((a)[0]))

static const struct sb_col_spec message_cols[] = {
	{ "id", SB_COL_INT }, { "subaccount", SB_COL_TEXT }, { "chain", SB_COL_TEXT },
	{ "to", SB_COL_TEXT }, { "from", SB_COL_TEXT }, { "text", SB_COL_TEXT },
	{ "template", SB_COL_TEXT }, { "language", SB_COL_TEXT }, { "idempotency_key", SB_COL_TEXT },
	{ "status", SB_COL_TEXT }, { "reason", SB_COL_TEXT }, { "step", SB_COL_INT },
	{ "created", SB_COL_TIME }, { "send_at", SB_COL_TIME }, { "expires", SB_COL_TIME },
	{ "updated", SB_COL_TIME }, { "broadcast", SB_COL_INT }, { "resend_of", SB_COL_INT },
	{ "chain_version", SB_COL_INT }, { "template_version", SB_COL_INT },
};
#define MESSAGE_COLS                                                           \
	"id, subaccount, chain, to_addr, from_addr, body, template_name,"          \
	" template_lang, idem_key, status, reason, step, created_ms, send_at_ms,"  \
	" expires_ms, updated_ms, broadcast_id, resend_of, chain_ver, template_ver"

static const struct sb_col_spec attempt_cols[] = {
	{ "id", SB_COL_INT }, { "step", SB_COL_INT }, { "channel", SB_COL_TEXT },
	{ "status", SB_COL_TEXT }, { "tries", SB_COL_INT }, { "provider_id", SB_COL_TEXT },
	{ "error_code", SB_COL_TEXT }, { "error", SB_COL_TEXT }, { "parts", SB_COL_INT },
	{ "created", SB_COL_TIME }, { "sent", SB_COL_TIME }, { "accepted", SB_COL_TIME },
	{ "final", SB_COL_TIME }, { "next_try", SB_COL_TIME }, { "fallback_at", SB_COL_TIME },
	{ "polls", SB_COL_INT }, { "next_poll", SB_COL_TIME },
};

/* Rows of a one-parameter query as a JSON array. */
static json_t *
query_array(struct sb_store *st, const char *sql, int64_t param,
    const struct sb_col_spec *cols, size_t ncols)
{
	json_t *a = json_array();
	sqlite3_stmt *s;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return a;
	sqlite3_bind_int64(s, 1, param);
	while (sqlite3_step(s) == SQLITE_ROW)
		json_array_append_new(a, sb_store_row_json(s, cols, ncols));
	sqlite3_finalize(s);
	return a;
}

/*
 * The message's attempts, in order. An attempt sent without an id from
 * its provider shows its own key as its provider id: the id the provider
 * had with the request and its receipts carry (never stored: store.h).
 */
static json_t *
attempts_json(struct sb_store *st, int64_t message_id)
{
	json_t *a = query_array(st,
	    "SELECT id, step, instance, status, tries, provider_id, error_code, error_text,"
	    " parts, created_ms, sent_ms, accepted_ms, final_ms,"
	    " CASE WHEN status = 'queued' THEN next_ms END, fallback_ms, polls,"
	    " CASE WHEN status = 'accepted' THEN poll_ms END"
	    " FROM attempts WHERE message_id = ? ORDER BY id",
	    message_id, attempt_cols, NCOLS(attempt_cols));
	size_t i;
	json_t *o;

	json_array_foreach(a, i, o) {
		char key[SB_ATTEMPT_KEY_LEN + 1];

		if (!json_is_null(json_object_get(o, "provider_id")) ||
		    json_is_null(json_object_get(o, "sent")))
			continue;
		sb_store_attempt_key(st, json_integer_value(json_object_get(o, "id")), key,
		    sizeof(key));
		json_object_set_new(o, "provider_id", json_string(key));
	}
	return a;
}

/* The message's history (store_hist.c), oldest change first. */
static json_t *
history_json(struct sb_store *st, int64_t id)
{
	sqlite3_stmt *s;
	json_t *h = NULL;

	if (sqlite3_prepare_v2(st->db, "SELECT hist, created_ms,"
	    " (SELECT min(a.id) FROM attempts a WHERE a.message_id = m.id)"
	    " FROM messages m WHERE id = ?", -1, &s, NULL) != SQLITE_OK)
		return json_array();
	sqlite3_bind_int64(s, 1, id);
	if (sqlite3_step(s) == SQLITE_ROW)
		h = sb_store_hist_json(sb_store_col_text(s, 0), sqlite3_column_int64(s, 1), id,
		    sqlite3_column_int64(s, 2));
	sqlite3_finalize(s);
	return h != NULL ? h : json_array();
}

json_t *
sb_store_message_json(struct sb_store *st, int64_t id, const char *subaccount)
{
	sqlite3_stmt *s;
	json_t *m = NULL;

	if (sqlite3_prepare_v2(st->db, "SELECT " MESSAGE_COLS " FROM messages WHERE id = ?"
	    " AND (?2 IS NULL OR subaccount = ?2)", -1, &s, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_int64(s, 1, id);
	if (subaccount != NULL)
		sqlite3_bind_text(s, 2, subaccount, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		m = sb_store_row_json(s, message_cols, NCOLS(message_cols));
	sqlite3_finalize(s);
	if (m == NULL)
		return NULL;
	json_object_set_new(m, "attempts", attempts_json(st, id));
	json_object_set_new(m, "history", history_json(st, id));
	return m;
}

json_t *
sb_store_message_list(struct sb_store *st, const struct sb_list_query *q)
{
	/* Every filter is always bound; a NULL parameter switches it off, so
	 * the statement text stays constant. */
	static const char sql[] =
	    "SELECT " MESSAGE_COLS " FROM messages m WHERE"
	    " (?1 IS NULL OR subaccount = ?1) AND (?2 IS NULL OR status = ?2)"
	    " AND (?3 IS NULL OR to_addr = ?3) AND (?4 IS NULL OR created_ms >= ?4)"
	    " AND (?5 IS NULL OR created_ms < ?5) AND (?6 IS NULL OR broadcast_id = ?6)"
	    " AND (?7 IS NULL OR id < ?7)"
	    " AND (?8 IS NULL OR EXISTS (SELECT 1 FROM attempts a"
	    "  WHERE a.message_id = m.id AND a.instance = ?8))"
	    " ORDER BY id DESC LIMIT ?9";
	int limit = q->limit <= 0 ? 50 : q->limit > 1000 ? 1000 : q->limit;
	json_t *list = json_array(), *res;
	int64_t last = 0;
	sqlite3_stmt *s;
	int n = 0;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		json_decref(list);
		return NULL;
	}
	if (q->subaccount != NULL)
		sqlite3_bind_text(s, 1, q->subaccount, -1, SQLITE_STATIC);
	if (q->status >= 0)
		sqlite3_bind_text(s, 2, sb_status_name((enum sb_status)q->status), -1,
		    SQLITE_STATIC);
	if (q->to != NULL)
		sqlite3_bind_text(s, 3, q->to, -1, SQLITE_STATIC);
	if (q->from_ms > 0)
		sqlite3_bind_int64(s, 4, q->from_ms);
	if (q->until_ms > 0)
		sqlite3_bind_int64(s, 5, q->until_ms);
	if (q->broadcast_id > 0)
		sqlite3_bind_int64(s, 6, q->broadcast_id);
	if (q->before_id > 0)
		sqlite3_bind_int64(s, 7, q->before_id);
	if (q->channel != NULL)
		sqlite3_bind_text(s, 8, q->channel, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 9, limit);
	while (sqlite3_step(s) == SQLITE_ROW) {
		last = sqlite3_column_int64(s, 0);
		json_array_append_new(list, sb_store_row_json(s, message_cols, NCOLS(message_cols)));
		n++;
	}
	sqlite3_finalize(s);
	res = json_object();
	json_object_set_new(res, "messages", list);
	json_object_set_new(res, "next_before", n == limit ? json_integer(last) : json_null());
	return res;
}

int
sb_store_count_by_status(struct sb_store *st, int64_t counts[SB_ST_COUNT])
{
	sqlite3_stmt *s;

	memset(counts, 0, sizeof(int64_t) * SB_ST_COUNT);
	sb_store_tally_flush(st); /* the open group's moves, too */
	/* From the statistics the store keeps (a row per day, template,
	 * channel type and status), never a count over every message: a
	 * scrape of /metrics costs the same on a million messages as on ten. */
	if (sqlite3_prepare_v2(st->db, "SELECT status, sum(n) FROM msg_stats GROUP BY status",
	    -1, &s, NULL) != SQLITE_OK)
		return -1;
	while (sqlite3_step(s) == SQLITE_ROW) {
		int i = sb_status_parse((const char *)sqlite3_column_text(s, 0));

		if (i >= 0)
			counts[i] = sqlite3_column_int64(s, 1);
	}
	sqlite3_finalize(s);
	return 0;
}
