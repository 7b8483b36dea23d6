/*
 * store_hist.c - a message's history, kept in its own row (messages.hist).
 *
 * Each status change appends one entry, written by the same UPDATE that
 * changes the status (store_msg.c), so a change costs no row and no index
 * entry of its own. An entry is the JSON text
 *
 *     ,[at, status, attempt]          or   ,[at, status, attempt, "reason"]
 *
 * with `at` the milliseconds after the message's created_ms, `status` the
 * status's code (hist_codes below) and `attempt` the attempt's id minus
 * the message's (null: no attempt); all small numbers, so an entry of a
 * delivered message's usual three is ~7 bytes. The message's INSERT
 * writes its first entry, at 0: `,[0,2]` (queued) for a message stored
 * queued (its attempt: the message's first, which its first step inserts
 * next; none if that step did not start, and then the step's own entry
 * replaces this one: sb_store_message_update_first), `,[0,2],[0,3]`
 * (queued, sending) for one stored sending (the engine's direct start:
 * its first attempt, inserted next, is already out), or `,[0,0,null,...]`
 * and the like for any other first status. A change writes ",[" and `at`
 * in SQL (the row has created_ms); this file writes the rest (the tail)
 * and reads the whole back: wrapped in [] the column is a JSON array.
 * Rows written before the codes (and migration 15 -> 16's, from the
 * history rows) name the status by its word, `,[0,"queued"]`: they read
 * back the same.
 */
#include <stdlib.h>
#include <string.h>

#include "jsonw.h"
#include "store_internal.h"
#include "timefmt.h"

/*
 * A status's code in an entry is its index here. The word took ~26 bytes
 * of a delivered message's row (`"delivered"` for `5`), written again at
 * every status change. Append only: a stored code means its status for
 * good, whatever becomes of enum sb_status.
 */
static const enum sb_status hist_codes[] = {
	SB_ST_SCHEDULED, SB_ST_BLOCKED_TIME, SB_ST_QUEUED, SB_ST_SENDING, SB_ST_ACCEPTED,
	SB_ST_DELIVERED, SB_ST_READ, SB_ST_UNDELIVERABLE, SB_ST_FAILED, SB_ST_REJECTED,
	SB_ST_CANCELLED, SB_ST_EXPIRED,
};
#define HIST_NCODES (sizeof(hist_codes) / sizeof(hist_codes[0]))
_Static_assert(HIST_NCODES == SB_ST_COUNT, "every status has a history code");

/* Write status's code at p (-1, which reads back as no entry, for a value
 * that is no status). */
static char *
hist_put_status(char *p, enum sb_status status)
{
	size_t i = 0;

	while (i < HIST_NCODES && hist_codes[i] != status)
		i++;
	return sb_jsonw_int(p, i < HIST_NCODES ? (int64_t)i : -1);
}

/* The tail at p (or, with `first`, the whole entry at 0); 0 or -1. */
static int
hist_entry(struct sb_store_hist_tail *t, int first, enum sb_status status,
    int64_t message_id, int64_t attempt_id, const char *reason)
{
	size_t need;
	char *p;

	if (reason != NULL && *reason == '\0')
		reason = NULL;        /* "" is no reason, as in messages.reason */
	/* ,[0,<code>,<attempt>,"<reason>"] */
	need = 48 + (reason != NULL ? SB_JSONW_STRING_ROOM(strlen(reason)) + 1 : 0);

	t->s = need <= sizeof(t->small) ? t->small : malloc(need);
	if (t->s == NULL)
		return -1;
	p = t->s;
	/* Stored sending (the direct start): queued, then sending, both at 0
	 * and both with its first attempt, as a pass would have written them. */
	if (first && status == SB_ST_SENDING) {
		p = hist_put_status(SB_JSONW_LIT(p, ",[0,"), SB_ST_QUEUED);
		p = hist_put_status(SB_JSONW_LIT(p, "],[0,"), SB_ST_SENDING);
		*p++ = ']';
		t->len = (size_t)(p - t->s);
		return 0;
	}
	if (first)
		p = sb_jsonw_bytes(p, ",[0", 3);
	*p++ = ',';
	p = hist_put_status(p, status);
	/* Stored queued: its first attempt is the one its first step inserts
	 * (whose start, not the submission, gives this entry its reason). */
	if (first && status == SB_ST_QUEUED) {
		*p++ = ']';
		t->len = (size_t)(p - t->s);
		return 0;
	}
	*p++ = ',';
	if (attempt_id != 0)
		p = sb_jsonw_int(p, attempt_id - message_id);
	else
		p = sb_jsonw_bytes(p, "null", 4);
	if (reason != NULL) {
		*p++ = ',';
		p = sb_jsonw_string(p, reason);
	}
	*p++ = ']';
	t->len = (size_t)(p - t->s);
	return 0;
}

int
sb_store_hist_tail(struct sb_store_hist_tail *t, enum sb_status status, int64_t message_id,
    int64_t attempt_id, const char *reason)
{
	return hist_entry(t, 0, status, message_id, attempt_id, reason);
}

int
sb_store_hist_first(struct sb_store_hist_tail *t, enum sb_status status, const char *reason)
{
	return hist_entry(t, 1, status, 0, 0, reason);
}

void
sb_store_hist_tail_free(struct sb_store_hist_tail *t)
{
	if (t->s != t->small)
		free(t->s);
	t->s = NULL;
}

/* One stored entry as the API shows it, or NULL if it is not one. */
static json_t *
hist_entry_json(json_t *e, int64_t created_ms, int64_t message_id, int64_t first_attempt)
{
	json_t *at = json_array_get(e, 0), *status = json_array_get(e, 1);
	json_t *att = json_array_get(e, 2), *reason = json_array_get(e, 3);
	json_t *attempt;
	const char *word;
	char when[40];

	if (json_is_integer(status) && json_integer_value(status) >= 0 &&
	    json_integer_value(status) < (json_int_t)HIST_NCODES)
		word = sb_status_name(hist_codes[json_integer_value(status)]);
	else
		word = json_string_value(status); /* a row older than the codes */
	if (!json_is_integer(at) || word == NULL ||
	    !(att == NULL || json_is_integer(att) || json_is_null(att)) ||
	    !(reason == NULL || json_is_string(reason)))
		return NULL;
	sb_format_iso8601_ms(created_ms + json_integer_value(at), when, sizeof(when));
	if (att == NULL)  /* ,[0,"queued"]: the message's first attempt */
		attempt = first_attempt > 0 ? json_integer(first_attempt) : json_null();
	else if (json_is_integer(att))
		attempt = json_integer(message_id + json_integer_value(att));
	else
		attempt = json_null();
	return json_pack("{s:s, s:s, s:o, s:O}", "at", when, "status", word,
	    "attempt", attempt, "reason", reason != NULL ? reason : json_null());
}

json_t *
sb_store_hist_json(const char *hist, int64_t created_ms, int64_t message_id,
    int64_t first_attempt)
{
	json_t *out = json_array(), *entries, *e;
	size_t n, i;
	char *text;

	if (out == NULL || hist == NULL || hist[0] != ',')
		return out;
	/* ",[..],[..]" -> "[[..],[..]]" */
	n = strlen(hist);
	if ((text = malloc(n + 1)) == NULL)
		return out;
	text[0] = '[';
	memcpy(text + 1, hist + 1, n - 1);
	text[n] = ']';
	entries = json_loadb(text, n + 1, 0, NULL);
	free(text);
	json_array_foreach(entries, i, e) {
		json_t *h = hist_entry_json(e, created_ms, message_id, first_attempt);

		if (h != NULL)
			json_array_append_new(out, h);
	}
	json_decref(entries);
	return out;
}
