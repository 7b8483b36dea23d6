/*
 * store_preview.c - the operator's preview of one message
 * (store_preview.h), built on the message's own view (store_query.c) with
 * its broadcast, its channel type and its segment count. Read-only.
 */
#include <string.h>

#include "segments.h"
#include "store_internal.h"
#include "store_preview.h"

/* The attempt that delivered the message, else its latest one; or NULL. */
static json_t *
delivering(json_t *attempts)
{
	json_t *a, *last = NULL;
	size_t i;

	json_array_foreach(attempts, i, a) {
		const char *st = json_string_value(json_object_get(a, "status"));

		last = a;
		if (st != NULL && (strcmp(st, "delivered") == 0 || strcmp(st, "read") == 0))
			return a;
	}
	return last;
}

/* When the history first shows `status`, or null. */
static json_t *
first_time(json_t *history, const char *status)
{
	json_t *h;
	size_t i;

	json_array_foreach(history, i, h) {
		const char *st = json_string_value(json_object_get(h, "status"));

		if (st != NULL && strcmp(st, status) == 0)
			return json_incref(json_object_get(h, "at"));
	}
	return json_null();
}

static json_t *
or_null(json_t *o, const char *key)
{
	json_t *v = o != NULL ? json_object_get(o, key) : NULL;

	return v != NULL ? json_incref(v) : json_null();
}

json_t *
sb_store_message_preview(struct sb_store *st, int64_t id, const char *subaccount)
{
	json_t *m = sb_store_message_json(st, id, subaccount), *att, *p, *times, *tpl;
	const char *text;
	struct sb_segments seg;
	sqlite3_stmt *s;

	if (m == NULL)
		return NULL;
	att = delivering(json_object_get(m, "attempts"));
	text = json_string_value(json_object_get(m, "text"));
	sb_sms_segments(text, &seg);
	p = json_pack("{s:O, s:O, s:O, s:O, s:O, s:{s:s, s:I, s:I, s:I}}",
	    "id", json_object_get(m, "id"), "subaccount", json_object_get(m, "subaccount"),
	    "to", json_object_get(m, "to"), "status", json_object_get(m, "status"),
	    "text", json_object_get(m, "text"), "sms",
	    "encoding", seg.encoding, "units", (json_int_t)seg.units,
	    "segments", (json_int_t)seg.segments, "per_segment", (json_int_t)seg.per_segment);
	tpl = json_is_string(json_object_get(m, "template")) ?
	    json_pack("{s:O, s:O}", "name", json_object_get(m, "template"), "language",
	    json_object_get(m, "language")) : json_null();
	json_object_set_new(p, "template", tpl);
	json_object_set_new(p, "channel", or_null(att, "channel"));
	json_object_set_new(p, "channel_type", json_null());
	json_object_set_new(p, "broadcast", or_null(m, "broadcast"));
	json_object_set_new(p, "user", json_null());
	json_object_set_new(p, "file_name", json_null());
	if (sqlite3_prepare_v2(st->db, "SELECT m.channel_type, b.user_name, b.file_name"
	    " FROM messages m LEFT JOIN broadcasts b ON b.id = m.broadcast_id WHERE m.id = ?",
	    -1, &s, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, id);
		if (sqlite3_step(s) == SQLITE_ROW) {
			static const char *const keys[] = { "channel_type", "user", "file_name" };

			for (int i = 0; i < 3; i++)
				if (sqlite3_column_type(s, i) != SQLITE_NULL)
					json_object_set_new(p, keys[i], json_string(
					    (const char *)sqlite3_column_text(s, i)));
		}
		sqlite3_finalize(s);
	}
	times = json_pack("{s:O, s:o, s:o, s:o}", "triggered", json_object_get(m, "created"),
	    "sent", or_null(att, "sent"), "delivered", first_time(json_object_get(m, "history"),
	    "delivered"), "read", first_time(json_object_get(m, "history"), "read"));
	/* Read without a delivery receipt first: it was delivered when read. */
	if (json_is_null(json_object_get(times, "delivered")))
		json_object_set(times, "delivered", json_object_get(times, "read"));
	json_object_set_new(p, "times", times);
	json_object_set_new(p, "attempts", json_incref(json_object_get(m, "attempts")));
	json_object_set_new(p, "reason", or_null(m, "reason"));
	json_decref(m);
	return p;
}
