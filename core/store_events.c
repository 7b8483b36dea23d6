/*
 * store_events.c - the outbox of events to applications (store_events.h).
 *
 * The statements of the sending path and the dispatcher (insert, message
 * lookup, due heads, next time, result) are prepared once by store.c;
 * the operator's list and redeliver prepare theirs per call. Nothing here
 * sends, reads the clock or changes a message.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "store_events.h"
#include "store_internal.h"
#include "timefmt.h"

static const char *const state_names[SB_EVT__COUNT] = {
	[SB_EVT_PENDING] = "pending",
	[SB_EVT_DELIVERED] = "delivered",
	[SB_EVT_FAILED] = "failed",
};

const char *
sb_event_state_name(enum sb_event_state s)
{
	return (unsigned)s < SB_EVT__COUNT ? state_names[s] : "?";
}

int
sb_event_state_parse(const char *word)
{
	for (int i = 0; word != NULL && i < SB_EVT__COUNT; i++)
		if (strcmp(state_names[i], word) == 0)
			return i;
	return -1;
}

int
sb_store_event_msg(struct sb_store *st, int64_t message_id,
    void (*fn)(void *arg, const struct sb_event_msg *m), void *arg)
{
	sqlite3_stmt *s = sb_store_stmt(st, ST_EVT_MSG);
	int rc;

	sqlite3_bind_int64(s, 1, message_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		struct sb_event_msg m = {
			.subaccount = sb_store_col_text(s, 0), .to = sb_store_col_text(s, 1),
			.channel_type = sb_store_col_text(s, 2), .broadcast_id = sqlite3_column_int64(s, 3),
			.template_name = sb_store_col_text(s, 4), .channel = sb_store_col_text(s, 5),
		};

		fn(arg, &m);
	}
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
}

int64_t
sb_store_event_insert(struct sb_store *st, const char *subaccount, const char *contact,
    const char *kind, int64_t message_id, const char *payload, const char *url,
    int64_t now_ms)
{
	sqlite3_stmt *s = sb_store_stmt(st, ST_EVT_INSERT);

	sqlite3_bind_text(s, 1, subaccount, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, contact != NULL ? contact : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, kind, -1, SQLITE_STATIC);
	if (message_id > 0)
		sqlite3_bind_int64(s, 4, message_id);
	sqlite3_bind_text(s, 5, payload, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 6, now_ms);
	sb_store_bind_text(s, 7, url);
	if (sb_store_exec_write(st, s) < 0)
		return -1;
	sb_store_gauge_add(st, SB_GAUGE_EVENTS_PENDING, "", 1);
	return sqlite3_last_insert_rowid(st->db);
}

int
sb_store_events_due(struct sb_store *st, int64_t now_ms, int64_t max_id, int limit,
    int (*fn)(void *arg, const struct sb_event_row *r), void *arg)
{
	sqlite3_stmt *s = sb_store_stmt(st, ST_EVT_DUE);
	int n = 0, rc;

	sqlite3_bind_int64(s, 1, now_ms);
	sqlite3_bind_int64(s, 2, max_id);
	sqlite3_bind_int(s, 3, limit);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct sb_event_row r = {
			.id = sqlite3_column_int64(s, 0), .subaccount = sb_store_col_text(s, 1),
			.contact = sb_store_col_text(s, 2), .payload = sb_store_col_text(s, 3),
			.retry_from_ms = sqlite3_column_int64(s, 4),
			.tries = sqlite3_column_int(s, 5), .url = sb_store_col_text(s, 6),
		};

		n++;
		if (fn(arg, &r) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? n : -1;
}

int64_t
sb_store_events_next(struct sb_store *st, int64_t now_ms, int64_t max_id)
{
	sqlite3_stmt *s = sb_store_stmt(st, ST_EVT_NEXT);
	int64_t at = INT64_MAX;

	sqlite3_bind_int64(s, 1, now_ms);
	sqlite3_bind_int64(s, 2, max_id);
	if (sqlite3_step(s) == SQLITE_ROW)
		at = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return at;
}

static int64_t
one_int(struct sb_store *st, const char *sql)
{
	sqlite3_stmt *s = NULL;
	int64_t v = -1;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

int64_t
sb_store_events_max_id(struct sb_store *st)
{
	return one_int(st, "SELECT coalesce(max(id), 0) FROM events");
}

int
sb_store_event_done(struct sb_store *st, int64_t id, enum sb_event_state state,
    int64_t next_ms, const char *error, int64_t now_ms)
{
	sqlite3_stmt *s = sb_store_stmt(st, ST_EVT_DONE);

	sqlite3_bind_text(s, 1, sb_event_state_name(state), -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, state == SB_EVT_PENDING ? next_ms : now_ms);
	sb_store_bind_text(s, 3, error);
	if (state == SB_EVT_DELIVERED)
		sqlite3_bind_int64(s, 4, now_ms);
	sqlite3_bind_int64(s, 5, id);
	if (sb_store_exec_write(st, s) < 0)
		return -1;
	if (sqlite3_changes(st->db) == 0)
		return 1;
	if (state != SB_EVT_PENDING)
		sb_store_gauge_add(st, SB_GAUGE_EVENTS_PENDING, "", -1);
	return 0;
}

static void
set_time(json_t *o, const char *key, sqlite3_stmt *s, int col)
{
	if (sqlite3_column_type(s, col) == SQLITE_NULL) {
		json_object_set_new(o, key, json_null());
	} else {
		char buf[40];

		json_object_set_new(o, key, json_string(sb_format_iso8601_ms(
		    sqlite3_column_int64(s, col), buf, sizeof(buf))));
	}
}

static void
set_text(json_t *o, const char *key, sqlite3_stmt *s, int col)
{
	const char *v = sb_store_col_text(s, col);

	json_object_set_new(o, key, v != NULL ? json_string(v) : json_null());
}

json_t *
sb_store_events_list(struct sb_store *st, const struct sb_event_query *q,
    struct sb_error *err)
{
	char sql[600];
	sqlite3_stmt *s = NULL;
	json_t *rows = json_array(), *res;
	int64_t last = 0;
	int n = 0, rc, i = 1;

	snprintf(sql, sizeof(sql), "SELECT id, subaccount, contact, kind, message_id, state,"
	    " tries, created_ms, next_ms, delivered_ms, last_error, payload FROM events"
	    " WHERE 1%s%s%s ORDER BY id DESC LIMIT ?",
	    q->subaccount != NULL ? " AND subaccount = ?" : "",
	    q->state >= 0 ? " AND state = ?" : "", q->before_id > 0 ? " AND id < ?" : "");
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		json_decref(rows);
		sb_error_set(err, SB_E_INTERNAL, "database %s: %s", st->path,
		    sqlite3_errmsg(st->db));
		return NULL;
	}
	if (q->subaccount != NULL)
		sqlite3_bind_text(s, i++, q->subaccount, -1, SQLITE_STATIC);
	if (q->state >= 0)
		sqlite3_bind_text(s, i++, sb_event_state_name(q->state), -1, SQLITE_STATIC);
	if (q->before_id > 0)
		sqlite3_bind_int64(s, i++, q->before_id);
	sqlite3_bind_int(s, i, q->limit + 1);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		json_t *o, *payload;

		if (n++ == q->limit)
			break;
		last = sqlite3_column_int64(s, 0);
		payload = json_loads(sb_store_col_text(s, 11), 0, NULL);
		o = json_pack("{s:I}", "id", (json_int_t)last);
		set_text(o, "subaccount", s, 1);
		set_text(o, "contact", s, 2);
		set_text(o, "type", s, 3);
		if (sqlite3_column_type(s, 4) == SQLITE_NULL)
			json_object_set_new(o, "message_id", json_null());
		else
			json_object_set_new(o, "message_id",
			    json_integer(sqlite3_column_int64(s, 4)));
		set_text(o, "state", s, 5);
		json_object_set_new(o, "tries", json_integer(sqlite3_column_int(s, 6)));
		set_time(o, "created", s, 7);
		if (strcmp(sb_store_col_text(s, 5), "pending") == 0)
			set_time(o, "next", s, 8);
		else
			json_object_set_new(o, "next", json_null());
		set_time(o, "delivered", s, 9);
		set_text(o, "last_error", s, 10);
		json_object_set_new(o, "payload", payload != NULL ? payload : json_null());
		json_array_append_new(rows, o);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		json_decref(rows);
		sb_error_set(err, SB_E_INTERNAL, "database %s: %s", st->path,
		    sqlite3_errmsg(st->db));
		return NULL;
	}
	res = json_pack("{s:o}", "events", rows);
	json_object_set_new(res, "next_before", n > q->limit ? json_integer(last) : json_null());
	return res;
}

int
sb_store_event_redeliver(struct sb_store *st, int64_t id, const char *subaccount,
    int64_t now_ms, struct sb_error *err)
{
	sqlite3_stmt *s = NULL;
	const char *state = NULL;
	int rc;

	if (sqlite3_prepare_v2(st->db, "SELECT state FROM events WHERE id = ?1"
	    " AND (?2 IS NULL OR subaccount = ?2)", -1, &s, NULL) != SQLITE_OK)
		goto dberr;
	sqlite3_bind_int64(s, 1, id);
	sb_store_bind_text(s, 2, subaccount);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		state = sb_store_col_text(s, 0);
	if (rc == SQLITE_ROW && strcmp(state, "pending") == 0) {
		sqlite3_finalize(s);
		return sb_error_set(err, SB_E_INVALID_STATE, "event %lld is still pending: it"
		    " will be delivered without a redeliver", (long long)id);
	}
	sqlite3_finalize(s);
	if (rc == SQLITE_DONE)
		return sb_error_set(err, SB_E_NOT_FOUND, "no event %lld", (long long)id);
	if (rc != SQLITE_ROW ||
	    sqlite3_prepare_v2(st->db, "UPDATE events SET state = 'pending', tries = 0,"
	    " next_ms = ?1, retry_from_ms = ?1, last_error = NULL, delivered_ms = NULL"
	    " WHERE id = ?2", -1, &s, NULL) != SQLITE_OK)
		goto dberr;
	sqlite3_bind_int64(s, 1, now_ms);
	sqlite3_bind_int64(s, 2, id);
	rc = sb_store_exec_write(st, s);
	sqlite3_finalize(s);
	if (rc == 0) {
		sb_store_gauge_add(st, SB_GAUGE_EVENTS_PENDING, "", 1); /* it was not pending */
		return 0;
	}
dberr:
	return sb_error_set(err, SB_E_INTERNAL, "database %s: %s", st->path,
	    sqlite3_errmsg(st->db));
}
