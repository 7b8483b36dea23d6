/*
 * store_preview.c - the operator's preview of one message
 * (store_preview.h), built on the message's own view (store_query.c) with
 * its broadcast, its channel type and its segment count. Read-only.
 */
#include <stdlib.h>
#include <string.h>

#include "chantype.h"
#include "segments.h"
#include "store_internal.h"
#include "store_preview.h"
#include "store_tpl.h"
#include "template.h"

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

/* The SMS segments `text` (may be NULL) takes. */
static json_t *
preview_segments(const char *text)
{
	struct sb_segments seg;

	sb_sms_segments(text, &seg);
	return json_pack("{s:s, s:I, s:I, s:I}", "encoding", seg.encoding, "units",
	    (json_int_t)seg.units, "segments", (json_int_t)seg.segments, "per_segment",
	    (json_int_t)seg.per_segment);
}

/*
 * A message by stored template: the text as its delivering channel got it
 * (the channel type of the attempt shown; the first step's text, which is
 * the body, otherwise). NULL when the body stands, or a WhatsApp template.
 */
static char *
preview_render(struct sb_store *st, const char *sub, const char *name, int64_t version,
    const char *vars_text, const char *channel_type, json_t *p)
{
	const json_t *spec = name != NULL && version > 0 ?
	    sb_store_template_spec(st, sub, name, version, NULL) : NULL;
	json_t *vars = vars_text != NULL ? json_loads(vars_text, 0, NULL) : NULL;
	struct sb_template_out out;
	struct sb_error err = { 0 };
	char *text = NULL;

	if (spec != NULL && channel_type != NULL &&
	    sb_template_render(spec, channel_type, vars, "the template", &out, &err) == 0) {
		text = out.text;
		out.text = NULL;
		if (out.wa_name != NULL)
			json_object_set_new(json_object_get(p, "template"), "whatsapp",
			    json_pack("{s:s, s:s, s:o}", "name", out.wa_name, "language",
			    out.wa_lang, "params", json_loads(out.wa_params, 0, NULL)));
		sb_template_out_clear(&out);
	}
	json_decref(vars);
	return text;
}

json_t *
sb_store_message_preview(struct sb_store *st, int64_t id, const char *subaccount)
{
	json_t *m = sb_store_message_json(st, id, subaccount), *att, *p, *times, *tpl;
	sqlite3_stmt *s;

	if (m == NULL)
		return NULL;
	att = delivering(json_object_get(m, "attempts"));
	p = json_pack("{s:O, s:O, s:O, s:O, s:O, s:o}",
	    "id", json_object_get(m, "id"), "subaccount", json_object_get(m, "subaccount"),
	    "to", json_object_get(m, "to"), "status", json_object_get(m, "status"),
	    "text", json_object_get(m, "text"), "sms",
	    preview_segments(json_string_value(json_object_get(m, "text"))));
	tpl = json_is_string(json_object_get(m, "template")) ?
	    json_pack("{s:O, s:O, s:O}", "name", json_object_get(m, "template"), "language",
	    json_object_get(m, "language"), "version", json_object_get(m, "template_version")) :
	    json_null();
	json_object_set_new(p, "template", tpl);
	json_object_set_new(p, "channel", or_null(att, "channel"));
	json_object_set_new(p, "channel_type", json_null());
	json_object_set_new(p, "broadcast", or_null(m, "broadcast"));
	json_object_set_new(p, "user", json_null());
	json_object_set_new(p, "file_name", json_null());
	if (sqlite3_prepare_v2(st->db, "SELECT m.channel_type, b.user_name, b.file_name,"
	    " m.subaccount, m.template_name, m.template_ver, m.template_vars"
	    " FROM messages m LEFT JOIN broadcasts b ON b.id = m.broadcast_id WHERE m.id = ?",
	    -1, &s, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, id);
		if (sqlite3_step(s) == SQLITE_ROW) {
			static const char *const keys[] = { "channel_type", "user", "file_name" };
			char *rendered;

			for (int i = 0; i < 3; i++)
				if (sqlite3_column_type(s, i) != SQLITE_NULL)
					json_object_set_new(p, keys[i], json_string(
					    (const char *)sqlite3_column_text(s, i)));
			rendered = preview_render(st, (const char *)sqlite3_column_text(s, 3),
			    (const char *)sqlite3_column_text(s, 4), sqlite3_column_int64(s, 5),
			    (const char *)sqlite3_column_text(s, 6),
			    json_string_value(json_object_get(p, "channel_type")), p);
			if (rendered != NULL) {
				json_object_set_new(p, "text", json_string(rendered));
				json_object_set_new(p, "sms", preview_segments(rendered));
				free(rendered);
			}
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
