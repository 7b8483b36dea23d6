/*
 * store_attempt.c - the attempts in the store: a chain step's attempt
 * written, the ready, due and in-flight ones read for the engine (each
 * row with its message's columns the engine needs), and an attempt's
 * changes, each an UPDATE of only the columns it carries.
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

/*
 * A v4-shaped UUID: stable per attempt, unique per database. It is
 * "%.8s-%.4s-4%.3s-8%.3s-%012llx" of the install id (32 hex digits, store.c)
 * and the id's low 48 bits, put together by hand: it is made for every
 * send and every receipt, and snprintf's five conversions cost more than
 * the rest of the attempt's reference.
 */
void
sb_store_attempt_key(struct sb_store *st, int64_t attempt_id, char *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const char *iid = st->install_id;
	uint64_t v = (uint64_t)attempt_id & 0xffffffffffffULL;
	char key[SB_ATTEMPT_KEY_LEN + 1];
	size_t n;

	if (len == 0)
		return;
	if (strnlen(iid, 19) < 19) {
		/* Not an id the store makes (the pieces read past its end stay
		 * inside the store's 33-byte buffer): the shape all the same. */
		snprintf(buf, len, "%.8s-%.4s-4%.3s-8%.3s-%012llx", iid, iid + 8, iid + 12,
		    iid + 16, (unsigned long long)v);
		return;
	}
	memcpy(key, iid, 8);
	key[8] = '-';
	memcpy(key + 9, iid + 8, 4);
	key[13] = '-';
	key[14] = '4';
	memcpy(key + 15, iid + 12, 3);
	key[18] = '-';
	key[19] = '8';
	memcpy(key + 20, iid + 16, 3);
	key[23] = '-';
	for (int i = SB_ATTEMPT_KEY_LEN - 1; i >= 24; i--, v >>= 4)
		key[i] = hex[v & 15];
	n = len - 1 < SB_ATTEMPT_KEY_LEN ? len - 1 : SB_ATTEMPT_KEY_LEN;
	memcpy(buf, key, n);
	buf[n] = '\0';
}

int64_t
sb_store_attempt_of_key(struct sb_store *st, const char *key)
{
	char mine[SB_ATTEMPT_KEY_LEN + 1];
	int64_t id = 0;

	if (key == NULL || strlen(key) != SB_ATTEMPT_KEY_LEN)
		return 0;
	for (int i = 24; i < SB_ATTEMPT_KEY_LEN; i++) {
		char c = key[i];

		if (c >= '0' && c <= '9')
			id = id * 16 + (c - '0');
		else if (c >= 'a' && c <= 'f')
			id = id * 16 + (c - 'a' + 10);
		else
			return 0;
	}
	/* Ours only if this store would have made exactly this key. */
	sb_store_attempt_key(st, id, mine, sizeof(mine));
	return id > 0 && strcmp(mine, key) == 0 ? id : 0;
}

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
	sqlite3_bind_int(s, 9, status == SB_ST_SENDING);
	sb_store_bind_int_or_null(s, 10, now_ms, status != SB_ST_SENDING);
	rc = sb_store_exec_write(st, s);
	if (m != NULL)
		sqlite3_reset(m);
	if (rc < 0)
		return -1;
	if (status == SB_ST_QUEUED)
		sb_store_gauge_add(st, SB_GAUGE_QUEUED, instance, 1);
	if (expire_ms != NULL)
		*expire_ms = expires;
	/* As the INSERT wrote it: a first try when stored `sending`. */
	sb_store_attcache_put(st, sqlite3_last_insert_rowid(st->db), message_id, step, instance,
	    status, status == SB_ST_SENDING);
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
		.status = sb_store_col_status(s, 4),
		.message_status = sb_store_col_status(s, 5),
		.message_step = sqlite3_column_int(s, 6),
		.instance = sb_store_col_text(s, 7),
		.provider_id = sb_store_col_text(s, 8),
		.subaccount = sb_store_col_text(s, 9),
		.chain = sb_store_col_text(s, 10),
		.to = sb_store_col_text(s, 11),
		.from = sb_store_col_text(s, 12),
		.text = sb_store_col_text(s, 13),
		.template_name = sb_store_col_text(s, 14),
		.template_lang = sb_store_col_text(s, 15),
		.template_vars = sb_store_col_text(s, 16),
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
		const char *v = sb_store_col_text(s, 0);
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
sb_store_attempt_state(struct sb_store *st, int64_t id, sb_attempt_fn fn, void *arg)
{
	struct sb_attempt_row r;

	if (!sb_store_attcache_state(st, id, &r))
		return sb_store_attempt_get(st, id, fn, arg);
	fn(arg, &r);
	return 0;
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

/* An attempt went into (+1) or out of (-1) `queued`: its instance's count. */
static void
queued_moved(struct sb_store *st, int64_t id, const char *instance, int delta)
{
	sqlite3_stmt *s;

	if (instance != NULL) {
		sb_store_gauge_add(st, SB_GAUGE_QUEUED, instance, delta);
		return;
	}
	s = sb_store_stmt(st, ST_ATT_INSTANCE);
	sqlite3_bind_int64(s, 1, id);
	if (sqlite3_step(s) == SQLITE_ROW)
		sb_store_gauge_add(st, SB_GAUGE_QUEUED, (const char *)sqlite3_column_text(s, 0),
		    delta);
	sqlite3_reset(s);
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
	sb_store_bind_int_or_null(s, 5, c->tries, c->tries < 0);
	sb_store_bind_int_or_null(s, 6, c->parts, c->parts <= 0);
	sb_store_bind_int_or_null(s, 7, c->next_ms, c->next_ms < 0);
	sb_store_bind_int_or_null(s, 9, c->fallback_ms, c->fallback_ms <= 0);
	sb_store_bind_int_or_null(s, 10, c->sent_ms, c->sent_ms == 0);
	sb_store_bind_int_or_null(s, 11, c->accepted_ms, c->accepted_ms == 0);
	sb_store_bind_int_or_null(s, 12, c->final_ms, c->final_ms == 0);
	sqlite3_bind_int64(s, 13, id);
	sb_store_bind_int_or_null(s, 15, c->poll_ms, c->poll_ms <= 0);
	sb_store_bind_int_or_null(s, 16, c->polls, c->polls <= 0);
	sb_store_bind_int_or_null(s, 18, c->expire_ms, c->expire_ms <= 0);
	sqlite3_bind_text(s, 19, sb_status_name(old), -1, SQLITE_STATIC);
	rc = sb_store_exec_cas(st, s);
	if (!keep)
		sqlite3_finalize(s);
	if (rc == 0 && (old == SB_ST_QUEUED) != (c->status == SB_ST_QUEUED))
		queued_moved(st, id, c->instance, c->status == SB_ST_QUEUED ? 1 : -1);
	if (rc == 0)
		sb_store_attcache_update(st, id, c->status, c->tries, c->provider_id);
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

int
sb_store_live_instances(struct sb_store *st, void (*fn)(void *arg, const char *name),
    void *arg)
{
	sqlite3_stmt *s = sb_store_stmt(st, ST_LIVE_INSTANCES);
	int n = 0;

	while (sqlite3_step(s) == SQLITE_ROW) {
		fn(arg, sb_store_col_text(s, 0));
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
