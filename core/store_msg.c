/*
 * store_msg.c - the writes and reads of the delivery path: messages,
 * attempts, history, inbound messages and allowlist rows.
 *
 * Every write joins the open group (store.c); none of these functions
 * commits. Strings handed to callbacks point into SQLite's row buffers
 * and are valid only during the callback.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"
#include "store_search.h"

static void
bind_int_or_null(sqlite3_stmt *s, int i, int64_t v, int is_null)
{
	if (is_null)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_int64(s, i, v);
}

static const char *
col_text(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

static enum sb_status
col_status(sqlite3_stmt *s, int i)
{
	const char *w = col_text(s, i);
	int st = w != NULL ? sb_status_parse(w) : -1;

	return st < 0 ? SB_ST_FAILED : (enum sb_status)st;
}

int
sb_store_message_insert(struct sb_store *st, struct sb_message *m, struct sb_error *err)
{
	sqlite3_stmt *s = sb_store_stmt(st, ST_MSG_INSERT);

	sb_store_bind_text(s, 1, m->subaccount);
	sb_store_bind_text(s, 2, m->chain);
	sb_store_bind_text(s, 3, m->to);
	sb_store_bind_text(s, 4, m->from);
	sb_store_bind_text(s, 5, m->text);
	sb_store_bind_text(s, 6, m->template_name);
	sb_store_bind_text(s, 7, m->template_lang);
	sb_store_bind_text(s, 8, m->template_vars);
	sb_store_bind_text(s, 9, m->idem_key);
	sqlite3_bind_text(s, 10, sb_status_name(m->status), -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 11, m->created_ms);
	sqlite3_bind_int64(s, 12, m->send_at_ms);
	sqlite3_bind_int64(s, 13, m->expires_ms);
	sqlite3_bind_int64(s, 14, m->created_ms);
	bind_int_or_null(s, 15, m->broadcast_id, m->broadcast_id == 0);
	bind_int_or_null(s, 16, m->resend_of, m->resend_of == 0);
	bind_int_or_null(s, 17, m->chain_ver, m->chain_ver == 0);
	sb_store_bind_text(s, 18, m->reason);
	bind_int_or_null(s, 19, m->template_ver, m->template_ver == 0);
	bind_int_or_null(s, 20, m->contact_id, m->contact_id <= 0);
	sb_store_bind_text(s, 21, m->channel_type);
	if (sb_store_exec_write(st, s) < 0)
		return sb_error_set(err, SB_E_INTERNAL, "the message could not be stored"
		    " (database %s: %s)", st->path, sqlite3_errmsg(st->db));
	m->id = sqlite3_last_insert_rowid(st->db);
	if (m->text != NULL)
		sb_store_text_note(st);
	{
		const struct sb_tally_key k = {
			.subaccount = m->subaccount, .template_name = m->template_name,
			.created_ms = m->created_ms,
			.broadcast_id = m->broadcast_single ? 0 : m->broadcast_id,
			.channel_type = m->channel_type,
		};

		if (sb_store_tally_move(st, &k, m->status, 1, +1) < 0)
			return sb_error_set(err, SB_E_INTERNAL, "out of memory");
		sb_store_msgcache_put(st, m->id, &k, m->status, m->expires_ms);
	}
	return 0;
}

int64_t
sb_store_message_by_idem(struct sb_store *st, const char *subaccount, const char *key)
{
	sqlite3_stmt *s = sb_store_stmt(st, ST_MSG_BY_IDEM);
	int64_t id = 0;

	sqlite3_bind_text(s, 1, subaccount, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, key, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		id = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return id;
}

/* A compare-and-set write: 0 changed, 1 the row no longer matched, -1 error. */
static int
exec_cas(struct sb_store *st, sqlite3_stmt *s)
{
	if (sb_store_exec_write(st, s) < 0)
		return -1;
	return sqlite3_changes(st->db) == 1 ? 0 : 1;
}

/* The statistics key of a message row, from columns MSG_TALLY_COLS at 0. */
static void
read_tally_key(sqlite3_stmt *s, struct sb_tally_key *k)
{
	*k = (struct sb_tally_key){
		.subaccount = col_text(s, 0), .template_name = col_text(s, 1),
		.channel_type = col_text(s, 2), .created_ms = sqlite3_column_int64(s, 3),
		.broadcast_id = sqlite3_column_int64(s, 4),
	};
}

/* exec_cas for a message's status; a move is counted in the statistics. */
static int
exec_cas_tally(struct sb_store *st, sqlite3_stmt *s, int64_t id, enum sb_status from,
    enum sb_status to)
{
	struct sb_tally_key k;
	int rc = exec_cas(st, s);

	if (rc != 0 || from == to)
		return rc;
	if (sb_store_msgcache_key(st, id, &k, NULL)) {
		sb_store_msgcache_set_status(st, id, to);
		return sb_store_tally_status(st, &k, from, to);
	}
	s = sb_store_stmt(st, ST_MSG_TALLY_KEY);
	sqlite3_bind_int64(s, 1, id);
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_reset(s);
		return -1;
	}
	read_tally_key(s, &k);
	rc = sb_store_tally_status(st, &k, from, to);
	if (rc == 0)
		sb_store_msgcache_put(st, id, &k, to, -1);
	sqlite3_reset(s);
	return rc;
}

/*
 * The search's channel type (the latest attempt's). Most steps keep the
 * type the message has, and then nothing is written; a change moves the
 * message between statistics keys.
 */
int
sb_store_message_set_channel_type(struct sb_store *st, int64_t id, const char *type)
{
	sqlite3_stmt *s = NULL;
	struct sb_tally_key k;
	enum sb_status status;
	size_t mark;
	int rc;

	if (!sb_store_msgcache_key(st, id, &k, &status)) {
		s = sb_store_stmt(st, ST_MSG_TALLY_KEY);
		sqlite3_bind_int64(s, 1, id);
		if (sqlite3_step(s) != SQLITE_ROW) {
			sqlite3_reset(s);
			return 0; /* no such message: nothing to change */
		}
		read_tally_key(s, &k);
		status = col_status(s, 5);
	}
	if (k.channel_type == NULL ? type == NULL :
	    type != NULL && strcmp(k.channel_type, type) == 0) {
		if (s != NULL)
			sqlite3_reset(s);
		return 0;
	}
	/* The moves copy the key out of the row (or the cache); they are cut
	 * back if the write fails. */
	mark = sb_store_tally_length(st);
	rc = sb_store_tally_move(st, &k, status, 0, -1);
	k.channel_type = type;
	if (rc == 0)
		rc = sb_store_tally_move(st, &k, status, 0, +1);
	/* The cache takes the new type while k's strings are still valid. */
	if (rc == 0)
		sb_store_msgcache_put(st, id, &k, status, -1);
	if (s != NULL)
		sqlite3_reset(s);
	if (rc == 0) {
		s = sb_store_stmt(st, ST_MSG_CHANNEL_TYPE);
		sb_store_bind_text(s, 1, type);
		sqlite3_bind_int64(s, 2, id);
		rc = sb_store_exec_write(st, s);
	}
	if (rc != 0) {
		sb_store_tally_cut(st, mark);
		sb_store_msgcache_forget(st, id);
	}
	return rc;
}

int
sb_store_message_update(struct sb_store *st, int64_t id, enum sb_status old,
    enum sb_status status, int step, const char *reason, int64_t now_ms)
{
	sqlite3_stmt *s = sb_store_stmt(st, ST_MSG_UPDATE);

	sqlite3_bind_text(s, 1, sb_status_name(status), -1, SQLITE_STATIC);
	bind_int_or_null(s, 2, step, step < 0);
	sb_store_bind_text(s, 3, reason);
	sqlite3_bind_int64(s, 4, now_ms);
	sqlite3_bind_int64(s, 5, id);
	sqlite3_bind_text(s, 6, sb_status_name(old), -1, SQLITE_STATIC);
	return exec_cas_tally(st, s, id, old, status);
}

int
sb_store_message_set_times(struct sb_store *st, int64_t id, int64_t send_at_ms,
    int64_t expires_ms)
{
	sqlite3_stmt *s = sb_store_stmt(st, ST_MSG_TIMES);

	sqlite3_bind_int64(s, 1, send_at_ms);
	bind_int_or_null(s, 2, expires_ms, expires_ms == 0);
	sqlite3_bind_int64(s, 3, id);
	if (expires_ms != 0)
		sb_store_msgcache_set_expires(st, id, expires_ms);
	if (sb_store_exec_write(st, s) < 0) {
		sb_store_msgcache_forget(st, id);
		return -1;
	}
	return 0;
}

int
sb_store_message_set_text(struct sb_store *st, int64_t id, const char *text)
{
	sqlite3_stmt *s = sb_store_stmt(st, ST_MSG_BODY);
	char *old = NULL;
	int rc;

	/* The text index (store_text.c) learns of the change from text_edits,
	 * which it applies in order: it deletes an indexed text by its words. */
	sqlite3_bind_int64(s, 1, id);
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL &&
	    (old = strdup((const char *)sqlite3_column_text(s, 0))) == NULL) {
		sqlite3_reset(s);
		return -1;
	}
	sqlite3_reset(s);
	s = sb_store_stmt(st, ST_TEXT_EDIT);
	sqlite3_bind_int64(s, 1, id);
	sb_store_bind_text(s, 2, old);
	sb_store_bind_text(s, 3, text);
	rc = sb_store_exec_write(st, s);
	free(old);
	if (rc < 0)
		return -1;
	s = sb_store_stmt(st, ST_MSG_TEXT);
	sqlite3_bind_text(s, 1, text, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, id);
	if (sb_store_exec_write(st, s) < 0) {
		/* The change is recorded but not made: the group must not commit. */
		sb_store_group_fail(st);
		return -1;
	}
	return 0;
}

int
sb_store_message_get(struct sb_store *st, int64_t id,
    int (*fn)(void *arg, const struct sb_message *m), void *arg)
{
	sqlite3_stmt *s = sb_store_stmt(st, ST_MSG_GET);
	struct sb_message m;
	int rc = 1;

	sqlite3_bind_int64(s, 1, id);
	if (sqlite3_step(s) == SQLITE_ROW) {
		m = (struct sb_message){
			.id = sqlite3_column_int64(s, 0),
			.subaccount = col_text(s, 1),
			.chain = col_text(s, 2),
			.to = col_text(s, 3),
			.from = col_text(s, 4),
			.text = col_text(s, 5),
			.template_name = col_text(s, 6),
			.template_lang = col_text(s, 7),
			.template_vars = col_text(s, 8),
			.idem_key = col_text(s, 9),
			.status = col_status(s, 10),
			.created_ms = sqlite3_column_int64(s, 11),
			.send_at_ms = sqlite3_column_int64(s, 12),
			.expires_ms = sqlite3_column_int64(s, 13),
			.broadcast_id = sqlite3_column_int64(s, 14),
			.resend_of = sqlite3_column_int64(s, 15),
			.step = sqlite3_column_int(s, 16),
			.chain_ver = sqlite3_column_int64(s, 17),
			.template_ver = sqlite3_column_int64(s, 18),
		};
		fn(arg, &m);
		rc = 0;
	}
	sqlite3_reset(s);
	return rc;
}

int
sb_store_message_status(struct sb_store *st, int64_t id)
{
	sqlite3_stmt *s = sb_store_stmt(st, ST_MSG_STATUS);
	enum sb_status cached;
	int status = -1;

	if (sb_store_msgcache_status(st, id, &cached))
		return (int)cached;
	sqlite3_bind_int64(s, 1, id);
	if (sqlite3_step(s) == SQLITE_ROW)
		status = (int)col_status(s, 0);
	sqlite3_reset(s);
	return status;
}

int
sb_store_messages_due(struct sb_store *st, int64_t now_ms, int limit, sb_id_fn fn,
    void *arg)
{
	sqlite3_stmt *s = sb_store_stmt(st, ST_MSG_DUE);
	int64_t ids[256];
	int n = 0;

	/* Collect first: the callback writes to the rows being walked. */
	if (limit > 256)
		limit = 256;
	sqlite3_bind_int64(s, 1, now_ms);
	sqlite3_bind_int(s, 2, limit);
	while (n < limit && sqlite3_step(s) == SQLITE_ROW)
		ids[n++] = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	for (int i = 0; i < n; i++)
		if (fn(arg, ids[i]) != 0)
			break;
	return n;
}

int
sb_store_history_add(struct sb_store *st, int64_t message_id, int64_t attempt_id,
    enum sb_status status, const char *reason, int64_t at_ms)
{
	sqlite3_stmt *s = sb_store_stmt(st, ST_HISTORY_ADD);

	sqlite3_bind_int64(s, 1, message_id);
	bind_int_or_null(s, 2, attempt_id, attempt_id == 0);
	sqlite3_bind_text(s, 3, sb_status_name(status), -1, SQLITE_STATIC);
	sb_store_bind_text(s, 4, reason);
	sqlite3_bind_int64(s, 5, at_ms);
	return sb_store_exec_write(st, s);
}

/* ---- attempts ---- */

int64_t
sb_store_attempt_insert(struct sb_store *st, int64_t message_id, int step,
    const char *instance, enum sb_status status, int64_t next_ms, int64_t now_ms,
    int64_t *expire_ms)
{
	sqlite3_stmt *m = NULL;
	sqlite3_stmt *s = sb_store_stmt(st, ST_ATT_INSERT);
	const char *subaccount;
	int64_t expires = 0;
	int rc;

	if (expire_ms != NULL)
		*expire_ms = 0;
	/* The group first: the read below stays open across the insert. */
	if (sb_store_write_begin(st) < 0)
		return -1;
	/* The attempt keeps its message's subaccount and validity end. */
	if (!sb_store_msgcache_validity(st, message_id, &subaccount, &expires)) {
		m = sb_store_stmt(st, ST_ATT_MSG_OF);
		sqlite3_bind_int64(m, 1, message_id);
		if (sqlite3_step(m) != SQLITE_ROW) {
			sqlite3_reset(m);
			return -1; /* no such message */
		}
		/* The row's own text, valid until the reset below. */
		subaccount = (const char *)sqlite3_column_text(m, 0);
		expires = sqlite3_column_int64(m, 1);
		sb_store_msgcache_set_expires(st, message_id, expires);
	}
	sqlite3_bind_int64(s, 1, message_id);
	sqlite3_bind_int(s, 2, step);
	sqlite3_bind_text(s, 3, instance, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, sb_status_name(status), -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, next_ms);
	sqlite3_bind_int64(s, 6, now_ms);
	sqlite3_bind_text(s, 7, subaccount, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 8, expires);
	rc = sb_store_exec_write(st, s);
	if (m != NULL)
		sqlite3_reset(m);
	if (rc < 0)
		return -1;
	if (expire_ms != NULL)
		*expire_ms = expires;
	return sqlite3_last_insert_rowid(st->db);
}

static void
read_attempt_row(sqlite3_stmt *s, struct sb_attempt_row *r)
{
	*r = (struct sb_attempt_row){
		.id = sqlite3_column_int64(s, 0),
		.message_id = sqlite3_column_int64(s, 1),
		.step = sqlite3_column_int(s, 2),
		.tries = sqlite3_column_int(s, 3),
		.status = col_status(s, 4),
		.message_status = col_status(s, 5),
		.message_step = sqlite3_column_int(s, 6),
		.instance = col_text(s, 7),
		.provider_id = col_text(s, 8),
		.subaccount = col_text(s, 9),
		.chain = col_text(s, 10),
		.to = col_text(s, 11),
		.from = col_text(s, 12),
		.text = col_text(s, 13),
		.template_name = col_text(s, 14),
		.template_lang = col_text(s, 15),
		.template_vars = col_text(s, 16),
		.next_ms = sqlite3_column_int64(s, 17),
		.fallback_ms = sqlite3_column_int64(s, 18),
		.expires_ms = sqlite3_column_int64(s, 19),
		.created_ms = sqlite3_column_int64(s, 20),
		.accepted_ms = sqlite3_column_int64(s, 21),
		.poll_ms = sqlite3_column_int64(s, 22),
		.polls = sqlite3_column_int(s, 23),
		.expire_ms = sqlite3_column_int64(s, 24),
		.chain_ver = sqlite3_column_int64(s, 25),
		.template_ver = sqlite3_column_int64(s, 26),
	};
}

/* Walk a bound attempt query. Callbacks must not write to the walked rows. */
static int
each_attempt(sqlite3_stmt *s, sb_attempt_fn fn, void *arg)
{
	struct sb_attempt_row r;
	int n = 0;

	while (sqlite3_step(s) == SQLITE_ROW) {
		read_attempt_row(s, &r);
		n++;
		if (fn(arg, &r) != 0)
			break;
	}
	sqlite3_reset(s);
	return n;
}

int
sb_store_attempts_ready(struct sb_store *st, const char *instance, int64_t now_ms,
    int limit, sb_attempt_fn fn, void *arg)
{
	sqlite3_stmt *s = sb_store_stmt(st, ST_ATT_READY);

	sqlite3_bind_text(s, 1, instance, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, now_ms);
	sqlite3_bind_int(s, 3, limit);
	return each_attempt(s, fn, arg);
}

int
sb_store_attempts_ready_lane(struct sb_store *st, const char *instance,
    const char *subaccount, int64_t now_ms, int limit, sb_attempt_fn fn, void *arg)
{
	sqlite3_stmt *s = sb_store_stmt(st, ST_ATT_READY_LANE);

	sqlite3_bind_text(s, 1, instance, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, subaccount, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, now_ms);
	sqlite3_bind_int(s, 4, limit);
	return each_attempt(s, fn, arg);
}

int
sb_store_lane_next(struct sb_store *st, const char *instance, const char *after,
    char *buf, size_t len)
{
	sqlite3_stmt *s = sb_store_stmt(st, ST_ATT_LANE_NEXT);
	int rc = 1;

	sqlite3_bind_text(s, 1, instance, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, after, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL) {
		const char *v = col_text(s, 0);
		size_t n = strlen(v);

		/* A name that does not fit could never be matched again: skip it. */
		if (n < len) {
			memcpy(buf, v, n + 1);
			rc = 0;
		}
	}
	sqlite3_reset(s);
	return rc;
}

int64_t
sb_store_instance_next_queued(struct sb_store *st, const char *instance, int64_t after_ms)
{
	sqlite3_stmt *s = sb_store_stmt(st, ST_ATT_NEXT_QUEUED);
	int64_t t = INT64_MAX;

	sqlite3_bind_text(s, 1, instance, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, after_ms);
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
		t = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return t;
}

int
sb_store_attempts_poll_due(struct sb_store *st, int64_t now_ms, int limit,
    sb_attempt_fn fn, void *arg)
{
	sqlite3_stmt *s = sb_store_stmt(st, ST_ATT_POLL_DUE);

	sqlite3_bind_int64(s, 1, now_ms);
	sqlite3_bind_int(s, 2, limit);
	return each_attempt(s, fn, arg);
}

int
sb_store_attempts_expire_due(struct sb_store *st, int64_t now_ms, int limit,
    sb_attempt_fn fn, void *arg)
{
	sqlite3_stmt *s = sb_store_stmt(st, ST_ATT_EXPIRE_DUE);

	sqlite3_bind_int64(s, 1, now_ms);
	sqlite3_bind_int(s, 2, limit);
	return each_attempt(s, fn, arg);
}

int
sb_store_attempts_fallback_due(struct sb_store *st, int64_t now_ms, int limit,
    sb_attempt_fn fn, void *arg)
{
	sqlite3_stmt *s = sb_store_stmt(st, ST_ATT_FALLBACK_DUE);

	sqlite3_bind_int64(s, 1, now_ms);
	sqlite3_bind_int(s, 2, limit);
	return each_attempt(s, fn, arg);
}

int
sb_store_attempts_sending(struct sb_store *st, sb_attempt_fn fn, void *arg)
{
	return each_attempt(sb_store_stmt(st, ST_ATT_SENDING), fn, arg);
}

int
sb_store_attempt_get(struct sb_store *st, int64_t id, sb_attempt_fn fn, void *arg)
{
	sqlite3_stmt *s = sb_store_stmt(st, ST_ATT_GET);

	sqlite3_bind_int64(s, 1, id);
	return each_attempt(s, fn, arg) > 0 ? 0 : 1;
}

int
sb_store_attempt_by_provider(struct sb_store *st, const char *instance,
    const char *provider_id, sb_attempt_fn fn, void *arg)
{
	sqlite3_stmt *s = sb_store_stmt(st, ST_ATT_BY_PROVIDER);

	sqlite3_bind_text(s, 1, instance, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, provider_id, -1, SQLITE_STATIC);
	return each_attempt(s, fn, arg) > 0 ? 0 : 1;
}

/*
 * The columns an attempt change may set, in the order of struct
 * sb_attempt_change, with the parameter each reads. A change's UPDATE sets
 * only the columns it carries: with every column in one statement's SET
 * (as coalesce(?, column)), SQLite rewrote every index of a column named
 * there, attempts_provider on each receipt among them. The parameter
 * numbers are fixed, so binding is the same whichever columns are set.
 */
static const char *const att_update_sets[] = {
	"provider_id = ?2", "error_code = ?3", "error_text = ?4", "tries = ?5",
	"parts = ?6", "next_ms = ?7", "fallback_ms = ?9", "sent_ms = ?10",
	"accepted_ms = ?11", "final_ms = ?12", "poll_ms = ?15", "polls = ?16",
	"expire_ms = ?18",
};
#define ATT_UPDATE_NSETS (sizeof(att_update_sets) / sizeof(att_update_sets[0]))

/* Which of att_update_sets a change carries, one bit each. */
static unsigned
att_update_mask(const struct sb_attempt_change *c)
{
	const int sets[ATT_UPDATE_NSETS] = {
		c->provider_id != NULL, c->error_code != NULL, c->error_text != NULL,
		c->tries >= 0, c->parts > 0, c->next_ms >= 0, c->fallback_ms >= 0,
		c->sent_ms != 0, c->accepted_ms != 0, c->final_ms != 0, c->poll_ms != 0,
		c->polls > 0, c->expire_ms != 0,
	};
	unsigned mask = 0;

	for (size_t i = 0; i < ATT_UPDATE_NSETS; i++)
		if (sets[i])
			mask |= 1u << i;
	return mask;
}

/* The UPDATE for a mask; *keep says whether the store keeps it prepared
 * (the caller finalizes it otherwise). NULL if it cannot be prepared. */
static sqlite3_stmt *
att_update_stmt(struct sb_store *st, unsigned mask, int *keep)
{
	char sql[512];
	size_t used;
	sqlite3_stmt *s = NULL;

	for (size_t i = 0; i < st->natt_updates; i++)
		if (st->att_updates[i].mask == mask) {
			*keep = 1;
			return st->att_updates[i].stmt;
		}
	used = (size_t)snprintf(sql, sizeof(sql), "UPDATE attempts SET status = ?1");
	for (size_t i = 0; i < ATT_UPDATE_NSETS; i++)
		if (mask & (1u << i))
			used += (size_t)snprintf(sql + used, sizeof(sql) - used, ", %s",
			    att_update_sets[i]);
	snprintf(sql + used, sizeof(sql) - used, " WHERE id = ?13 AND status = ?19");
	*keep = st->natt_updates < STORE_ATT_UPDATES;
	if (sqlite3_prepare_v3(st->db, sql, -1, *keep ? SQLITE_PREPARE_PERSISTENT : 0, &s,
	    NULL) != SQLITE_OK) {
		sqlite3_finalize(s);
		return NULL;
	}
	if (*keep)
		st->att_updates[st->natt_updates++] = (struct store_att_update){ mask, s };
	return s;
}

int
sb_store_attempt_update(struct sb_store *st, int64_t id, enum sb_status old,
    const struct sb_attempt_change *c)
{
	int keep, rc;
	sqlite3_stmt *s = att_update_stmt(st, att_update_mask(c), &keep);

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, sb_status_name(c->status), -1, SQLITE_STATIC);
	sb_store_bind_text(s, 2, c->provider_id);
	sb_store_bind_text(s, 3, c->error_code);
	sb_store_bind_text(s, 4, c->error_text);
	bind_int_or_null(s, 5, c->tries, c->tries < 0);
	bind_int_or_null(s, 6, c->parts, c->parts <= 0);
	bind_int_or_null(s, 7, c->next_ms, c->next_ms < 0);
	bind_int_or_null(s, 9, c->fallback_ms, c->fallback_ms <= 0);
	bind_int_or_null(s, 10, c->sent_ms, c->sent_ms == 0);
	bind_int_or_null(s, 11, c->accepted_ms, c->accepted_ms == 0);
	bind_int_or_null(s, 12, c->final_ms, c->final_ms == 0);
	sqlite3_bind_int64(s, 13, id);
	bind_int_or_null(s, 15, c->poll_ms, c->poll_ms <= 0);
	bind_int_or_null(s, 16, c->polls, c->polls <= 0);
	bind_int_or_null(s, 18, c->expire_ms, c->expire_ms <= 0);
	sqlite3_bind_text(s, 19, sb_status_name(old), -1, SQLITE_STATIC);
	rc = exec_cas(st, s);
	if (!keep)
		sqlite3_finalize(s);
	return rc;
}

int64_t
sb_store_attempt_queued_of(struct sb_store *st, int64_t message_id)
{
	sqlite3_stmt *s = sb_store_stmt(st, ST_ATT_QUEUED_OF);
	int64_t id = 0;

	sqlite3_bind_int64(s, 1, message_id);
	if (sqlite3_step(s) == SQLITE_ROW)
		id = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return id;
}

int64_t
sb_store_next_due(struct sb_store *st)
{
	sqlite3_stmt *s = sb_store_stmt(st, ST_NEXT_DUE);
	int64_t t = INT64_MAX;

	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
		t = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return t;
}

/* ---- allowlist ---- */

int
sb_store_allow_add(struct sb_store *st, const char *subaccount, const char *kind,
    const char *value, int64_t uid, int64_t at_ms)
{
	sqlite3_stmt *s = sb_store_stmt(st, ST_ALLOW_ADD);

	sqlite3_bind_text(s, 1, subaccount != NULL ? subaccount : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, value, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, uid);
	sqlite3_bind_int64(s, 5, at_ms);
	return sb_store_exec_write(st, s);
}

int
sb_store_allow_remove(struct sb_store *st, const char *subaccount, const char *kind,
    const char *value)
{
	sqlite3_stmt *s = sb_store_stmt(st, ST_ALLOW_REMOVE);

	sqlite3_bind_text(s, 1, subaccount != NULL ? subaccount : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, value, -1, SQLITE_STATIC);
	if (sb_store_exec_write(st, s) < 0)
		return -1;
	return sqlite3_changes(st->db) > 0 ? 0 : 1;
}

int
sb_store_allow_each(struct sb_store *st, sb_allow_row_fn fn, void *arg)
{
	sqlite3_stmt *s = sb_store_stmt(st, ST_ALLOW_EACH);
	int n = 0;

	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *sub = col_text(s, 0);

		n++;
		if (fn(arg, sub != NULL && *sub ? sub : NULL, col_text(s, 1), col_text(s, 2),
		    sqlite3_column_int64(s, 3), sqlite3_column_int64(s, 4)) != 0)
			break;
	}
	sqlite3_reset(s);
	return n;
}

int
sb_store_live_instances(struct sb_store *st, void (*fn)(void *arg, const char *name),
    void *arg)
{
	sqlite3_stmt *s = sb_store_stmt(st, ST_LIVE_INSTANCES);
	int n = 0;

	while (sqlite3_step(s) == SQLITE_ROW) {
		fn(arg, col_text(s, 0));
		n++;
	}
	sqlite3_reset(s);
	return n;
}

int
sb_store_attempts_live_on(struct sb_store *st, const char *instance, int limit,
    sb_attempt_fn fn, void *arg)
{
	sqlite3_stmt *s = sb_store_stmt(st, ST_ATT_LIVE_ON);

	sqlite3_bind_text(s, 1, instance, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, limit);
	return each_attempt(s, fn, arg);
}

/* ---- chain versions ---- */

int
sb_store_chain_each(struct sb_store *st, sb_chain_row_fn fn, void *arg)
{
	sqlite3_stmt *s = sb_store_stmt(st, ST_CHAIN_EACH);
	int rc = 0;

	while (sqlite3_step(s) == SQLITE_ROW)
		if (fn(arg, sqlite3_column_int64(s, 0), col_text(s, 1), col_text(s, 2)) != 0) {
			rc = -1;
			break;
		}
	sqlite3_reset(s);
	return rc;
}

int64_t
sb_store_chain_version(struct sb_store *st, const char *name, const char *spec,
    int64_t now_ms)
{
	sqlite3_stmt *s = sb_store_stmt(st, ST_CHAIN_FIND);
	int64_t id = 0;

	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, spec, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		id = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (id > 0)
		return id;
	s = sb_store_stmt(st, ST_CHAIN_ADD);
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, spec, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, now_ms);
	if (sb_store_exec_write(st, s) < 0)
		return -1;
	return sqlite3_last_insert_rowid(st->db);
}

static int64_t
count_one(sqlite3_stmt *s)
{
	int64_t n = 0;

	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return n;
}

int64_t
sb_store_count_using(struct sb_store *st, const char *instance, const int64_t *vers,
    const int *last_steps, size_t n)
{
	char *sql;
	size_t len = 1024 + n * 80, used;
	sqlite3_stmt *s;
	int64_t count = -1;

	sql = malloc(len);
	if (sql == NULL)
		return -1;
	/*
	 * Unfinished messages whose current step is on the instance, or whose
	 * chain version still has it at their step or later. No index leads
	 * with the status (one would cost a write per status change for this
	 * one check at a reload): the subaccounts are found with a loose scan,
	 * and each one's unfinished messages in messages_sub_status.
	 */
	used = (size_t)snprintf(sql, len,
	    "WITH RECURSIVE subs(s) AS (SELECT (SELECT subaccount FROM messages"
	    "  ORDER BY subaccount LIMIT 1)"
	    " UNION ALL SELECT (SELECT subaccount FROM messages WHERE subaccount > subs.s"
	    "  ORDER BY subaccount LIMIT 1) FROM subs WHERE subs.s IS NOT NULL)"
	    " SELECT count(*) FROM subs JOIN messages m ON m.subaccount = subs.s"
	    " WHERE m.status IN"
	    " ('scheduled', 'queued', 'sending', 'accepted') AND (EXISTS (SELECT 1 FROM"
	    " attempts a WHERE a.message_id = m.id AND a.step = m.step AND a.instance = ?1"
	    " AND a.status IN ('queued', 'sending', 'accepted'))");
	for (size_t i = 0; i < n; i++)
		used += (size_t)snprintf(sql + used, len - used,
		    " OR (m.chain_ver = %lld AND m.step <= %d)", (long long)vers[i], last_steps[i]);
	snprintf(sql + used, len - used, ")");
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) == SQLITE_OK) {
		sqlite3_bind_text(s, 1, instance, -1, SQLITE_STATIC);
		count = count_one(s);
		sqlite3_finalize(s);
	}
	free(sql);
	return count;
}
