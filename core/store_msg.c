/*
 * store_msg.c - the writes and reads of the delivery path: messages
 * with their history (its format is store_hist.c's), allowlist rows and
 * chain versions (the attempts are store_attempt.c's).
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

int
sb_store_message_insert(struct sb_store *st, struct sb_message *m, struct sb_error *err)
{
	sqlite3_stmt *s = sb_store_stmt(st, ST_MSG_INSERT);
	struct sb_store_hist_tail first;
	int rc;

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
	sb_store_bind_int_or_null(s, 15, m->broadcast_id, m->broadcast_id == 0);
	sb_store_bind_int_or_null(s, 16, m->resend_of, m->resend_of == 0);
	sb_store_bind_int_or_null(s, 17, m->chain_ver, m->chain_ver == 0);
	sb_store_bind_text(s, 18, m->reason);
	sb_store_bind_int_or_null(s, 19, m->template_ver, m->template_ver == 0);
	sb_store_bind_int_or_null(s, 20, m->contact_id, m->contact_id <= 0);
	sb_store_bind_text(s, 21, m->channel_type);
	/* The per-broadcast indexes hold a broadcast of many (migration 16 -> 17). */
	sb_store_bind_int_or_null(s, 22, 1, m->broadcast_id == 0 || m->broadcast_single);
	if (sb_store_hist_first(&first, m->status, m->reason) < 0)
		return sb_error_set(err, SB_E_INTERNAL, "out of memory");
	sqlite3_bind_text(s, 23, first.s, (int)first.len, SQLITE_STATIC);
	rc = sb_store_exec_write(st, s);
	sqlite3_bind_null(s, 23);
	sb_store_hist_tail_free(&first);
	if (rc < 0)
		return sb_error_set(err, SB_E_INTERNAL, "the message could not be stored"
		    " (database %s: %s)", st->path, sqlite3_errmsg(st->db));
	m->id = sqlite3_last_insert_rowid(st->db);
	if (m->text != NULL)
		sb_store_text_note(st, m->id, m->text);
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
		sb_store_msgcache_set_state(st, m->id, m->chain, m->chain_ver, 0);
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
int
sb_store_exec_cas(struct sb_store *st, sqlite3_stmt *s)
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
		.subaccount = sb_store_col_text(s, 0), .template_name = sb_store_col_text(s, 1),
		.channel_type = sb_store_col_text(s, 2), .created_ms = sqlite3_column_int64(s, 3),
		.broadcast_id = sqlite3_column_int64(s, 4),
	};
}

/* exec_cas for a message's status; a move is counted in the statistics. */
static int
exec_cas_tally(struct sb_store *st, sqlite3_stmt *s, int64_t id, enum sb_status from,
    enum sb_status to)
{
	struct sb_tally_key k;
	int rc = sb_store_exec_cas(st, s);

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
		status = sb_store_col_status(s, 5);
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

/* sb_store_message_update and _first: `which` appends the entry or replaces. */
static int
message_update(struct sb_store *st, enum store_stmt which, int64_t id, enum sb_status old,
    enum sb_status status, int step, const char *reason, int64_t attempt_id,
    int64_t now_ms)
{
	sqlite3_stmt *s = sb_store_stmt(st, which);
	struct sb_store_hist_tail tail;
	int rc;

	if (sb_store_hist_tail(&tail, status, id, attempt_id, reason) < 0)
		return -1;
	sqlite3_bind_text(s, 1, sb_status_name(status), -1, SQLITE_STATIC);
	sb_store_bind_int_or_null(s, 2, step, step < 0);
	sb_store_bind_text(s, 3, reason);
	sqlite3_bind_int64(s, 4, now_ms);
	sqlite3_bind_int64(s, 5, id);
	sqlite3_bind_text(s, 6, sb_status_name(old), -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 7, tail.s, (int)tail.len, SQLITE_STATIC);
	rc = exec_cas_tally(st, s, id, old, status);
	sqlite3_bind_null(s, 7);
	sb_store_hist_tail_free(&tail);
	if (rc == 0 && step >= 0)
		sb_store_msgcache_set_step(st, id, step);
	return rc;
}

int
sb_store_message_update(struct sb_store *st, int64_t id, enum sb_status old,
    enum sb_status status, int step, const char *reason, int64_t attempt_id,
    int64_t now_ms)
{
	return message_update(st, ST_MSG_UPDATE, id, old, status, step, reason, attempt_id,
	    now_ms);
}

int
sb_store_message_update_first(struct sb_store *st, int64_t id, enum sb_status old,
    enum sb_status status, int step, const char *reason, int64_t now_ms)
{
	return message_update(st, ST_MSG_UPDATE_FIRST, id, old, status, step, reason, 0,
	    now_ms);
}

int
sb_store_message_set_times(struct sb_store *st, int64_t id, int64_t send_at_ms,
    int64_t expires_ms)
{
	sqlite3_stmt *s = sb_store_stmt(st, ST_MSG_TIMES);

	sqlite3_bind_int64(s, 1, send_at_ms);
	sb_store_bind_int_or_null(s, 2, expires_ms, expires_ms == 0);
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
	int64_t seq;
	int rc;

	/* The text index (store_text.c) learns of the change from its queue,
	 * or from text_edits when it catches up, and applies the changes in
	 * order: it deletes an indexed text by its words. */
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
	seq = sqlite3_last_insert_rowid(st->db);
	if (rc < 0) {
		free(old);
		return -1;
	}
	s = sb_store_stmt(st, ST_MSG_TEXT);
	sqlite3_bind_text(s, 1, text, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, id);
	if (sb_store_exec_write(st, s) < 0) {
		/* The change is recorded but not made: the group must not commit. */
		sb_store_group_fail(st);
		free(old);
		return -1;
	}
	sb_store_text_note_edit(st, seq, id, old, text);
	free(old);
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
			.subaccount = sb_store_col_text(s, 1),
			.chain = sb_store_col_text(s, 2),
			.to = sb_store_col_text(s, 3),
			.from = sb_store_col_text(s, 4),
			.text = sb_store_col_text(s, 5),
			.template_name = sb_store_col_text(s, 6),
			.template_lang = sb_store_col_text(s, 7),
			.template_vars = sb_store_col_text(s, 8),
			.idem_key = sb_store_col_text(s, 9),
			.status = sb_store_col_status(s, 10),
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
		status = (int)sb_store_col_status(s, 0);
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
	struct sb_store_hist_tail tail;
	int rc;

	if (sb_store_hist_tail(&tail, status, message_id, attempt_id, reason) < 0)
		return -1;
	sqlite3_bind_int64(s, 1, message_id);
	sqlite3_bind_int64(s, 2, at_ms);
	sqlite3_bind_text(s, 3, tail.s, (int)tail.len, SQLITE_STATIC);
	rc = sb_store_exec_write(st, s);
	sqlite3_bind_null(s, 3);
	sb_store_hist_tail_free(&tail);
	return rc;
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
		const char *sub = sb_store_col_text(s, 0);

		n++;
		if (fn(arg, sub != NULL && *sub ? sub : NULL, sb_store_col_text(s, 1), sb_store_col_text(s, 2),
		    sqlite3_column_int64(s, 3), sqlite3_column_int64(s, 4)) != 0)
			break;
	}
	sqlite3_reset(s);
	return n;
}

/* ---- chain versions ---- */

int
sb_store_chain_each(struct sb_store *st, sb_chain_row_fn fn, void *arg)
{
	sqlite3_stmt *s = sb_store_stmt(st, ST_CHAIN_EACH);
	int rc = 0;

	while (sqlite3_step(s) == SQLITE_ROW)
		if (fn(arg, sqlite3_column_int64(s, 0), sb_store_col_text(s, 1), sb_store_col_text(s, 2)) != 0) {
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
