/*
 * test_store.c - schema migration, refusal of a newer schema, group commit
 * callbacks, and the delivery-path statements of the store.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/stat.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <event2/event.h>
#include <sqlite3.h>

#include "store.h"
#include "store_internal.h"
#include "store_inbox.h"
#include "store_search.h"

static char dbpath[256];

/* The store's files, and (text_too) its text index's. */
static void
remove_store_files(int text_too)
{
	char keep[300], moved[300];

	if (text_too) {
		sb_store_remove_files(dbpath);
		return;
	}
	snprintf(keep, sizeof(keep), "%s.text", dbpath);
	snprintf(moved, sizeof(moved), "%s.kept", dbpath);
	assert_int_equal(rename(keep, moved), 0);
	sb_store_remove_files(dbpath);
	assert_int_equal(rename(moved, keep), 0);
}

static int
setup(void **state)
{
	snprintf(dbpath, sizeof(dbpath), "/tmp/sb-test-store-%d.db", (int)getpid());
	remove_store_files(1);
	return 0;
}

static int
teardown(void **state)
{
	remove_store_files(1);
	return 0;
}

static void
test_migrates_empty_database(void **state)
{
	struct sb_error err = { 0 };
	struct sb_store *st = sb_store_open(dbpath, 1, &err);

	assert_non_null(st);
	assert_int_equal(sb_store_schema_version(st), SB_STORE_SCHEMA_VERSION);
	assert_int_equal(strlen(sb_store_install_id(st)), 32);
	sb_store_close(st);
	/* Opening again keeps the version and the install id. */
	st = sb_store_open(dbpath, 1, &err);
	assert_non_null(st);
	assert_int_equal(sb_store_schema_version(st), SB_STORE_SCHEMA_VERSION);
	sb_store_close(st);
}

static void
test_refuses_newer_schema(void **state)
{
	struct sb_error err = { 0 };
	sqlite3 *db;
	struct sb_store *st;

	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	st = sb_store_open(dbpath, 1, &err);
	assert_null(st);
	assert_non_null(strstr(err.message, "schema version 99"));
	assert_non_null(strstr(err.message, "newer"));
}

static void
test_migrates_from_old_version_keeping_rows(void **state)
{
	struct sb_error err = { 0 };
	struct sb_store *st = sb_store_open(dbpath, 1, &err);
	struct sb_message m = {
		.subaccount = "acme", .chain = "default", .to = "+5511999990000",
		.text = "hello", .status = SB_ST_QUEUED, .created_ms = 1, .send_at_ms = 1,
		.expires_ms = 100,
	};

	assert_non_null(st);
	assert_int_equal(sb_store_message_insert(st, &m, &err), 0);
	assert_int_equal(sb_store_commit(st), 0);
	sb_store_close(st);
	/* A database already at the current version is left as it is. */
	st = sb_store_open(dbpath, 1, &err);
	assert_non_null(st);
	json_t *j = sb_store_message_json(st, m.id, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "text")), "hello");
	json_decref(j);
	sb_store_close(st);
}

static int commits_seen;

static void
count_commit(void *arg, int ok)
{
	int *flag = arg;

	*flag = ok ? 1 : -1;
	commits_seen++;
}

static int
keep_first(void *arg, const struct sb_attempt_row *r)
{
	int64_t *id = arg;

	*id = r->id;
	return 1;
}

static void
test_group_commit_and_attempts(void **state)
{
	struct sb_error err = { 0 };
	struct sb_store *st = sb_store_open(dbpath, 1, &err);
	struct sb_message m = {
		.subaccount = "acme", .chain = "default", .to = "+5511999990000",
		.text = "hello", .status = SB_ST_QUEUED, .created_ms = 10, .send_at_ms = 10,
		.expires_ms = 1000,
	};
	int flag_a = 0, flag_b = 0;
	int64_t att, found = 0;
	struct sb_attempt_change ch = {
		.status = SB_ST_ACCEPTED, .provider_id = "prov-1", .tries = 1, .next_ms = -1,
		.fallback_ms = 500,
	};

	commits_seen = 0;
	for (int i = 0; i < 100; i++) {
		m.idem_key = NULL;
		assert_int_equal(sb_store_message_insert(st, &m, &err), 0);
	}
	sb_store_after_commit(st, count_commit, &flag_a);
	sb_store_after_commit(st, count_commit, &flag_b);
	assert_true(sb_store_pending(st) >= 100);
	assert_int_equal(commits_seen, 0);
	assert_int_equal(sb_store_commit(st), 0);
	assert_int_equal(commits_seen, 2);
	assert_int_equal(flag_a, 1);
	assert_int_equal(flag_b, 1);
	assert_int_equal(sb_store_pending(st), 0);

	att = sb_store_attempt_insert(st, m.id, 0, "sms", SB_ST_QUEUED, 10, 10, NULL);
	assert_true(att > 0);
	assert_int_equal(sb_store_attempts_ready(st, "sms", 5, 10, keep_first, &found), 0);
	assert_int_equal(sb_store_attempts_ready(st, "sms", 10, 10, keep_first, &found), 1);
	assert_int_equal(found, att);
	/* A queued attempt waits on its instance; the store's timers see its expiry. */
	assert_int_equal(sb_store_instance_next_queued(st, "sms", 0), 10);
	assert_int_equal(sb_store_instance_next_queued(st, "sms", 10), INT64_MAX);
	assert_int_equal(sb_store_instance_next_queued(st, "other", 0), INT64_MAX);
	assert_int_equal(sb_store_next_due(st), 1000);
	assert_int_equal(sb_store_attempt_update(st, att, SB_ST_QUEUED, &ch), 0);
	found = 0;
	assert_int_equal(sb_store_attempt_by_provider(st, "sms", "prov-1", keep_first, &found), 0);
	assert_int_equal(found, att);
	assert_int_equal(sb_store_attempt_by_provider(st, "other", "prov-1", keep_first, &found), 1);
	assert_int_equal(sb_store_next_due(st), 500);
	assert_int_equal(sb_store_attempts_fallback_due(st, 499, 10, keep_first, &found), 0);
	assert_int_equal(sb_store_attempts_fallback_due(st, 500, 10, keep_first, &found), 1);
	sb_store_close(st);
}

/* An attempt change with the fields of `mask` (in struct sb_attempt_change's
 * order) set to value set `v` (0 or 1), the others left alone. */
static struct sb_attempt_change
change_of_mask(unsigned mask, int v, enum sb_status status)
{
	static const char *const provider[] = { "p-base", "p-new" };
	static const char *const code[] = { "E0", "E1" };
	static const char *const text[] = { "base error", "new error" };
	struct sb_attempt_change c = { .status = status, .tries = -1, .next_ms = -1,
	    .fallback_ms = -1 };

	if (mask & 1u << 0) c.provider_id = provider[v];
	if (mask & 1u << 1) c.error_code = code[v];
	if (mask & 1u << 2) c.error_text = text[v];
	if (mask & 1u << 3) c.tries = 1 + v;
	if (mask & 1u << 4) c.parts = 1 + v;
	if (mask & 1u << 5) c.next_ms = 100 + v;
	if (mask & 1u << 6) c.fallback_ms = 200 + v;
	if (mask & 1u << 7) c.sent_ms = 300 + v;
	if (mask & 1u << 8) c.accepted_ms = 400 + v;
	if (mask & 1u << 9) c.final_ms = 500 + v;
	if (mask & 1u << 10) c.poll_ms = 600 + v;
	if (mask & 1u << 11) c.polls = 1 + v;
	if (mask & 1u << 12) c.expire_ms = 700 + v;
	return c;
}

/* The attempt key, put together by hand, is the UUID shape it always was,
 * and reads back as its attempt's id. */
static void
test_attempt_key_shape(void **state)
{
	static const int64_t ids[] = { 1, 42, 0xabcdef, 0xffffffffffffLL, 0x123456789abcdefLL };
	struct sb_error err = { 0 };
	struct sb_store *st;
	char key[SB_ATTEMPT_KEY_LEN + 1], want[64], small[10];
	const char *iid;

	(void)state;
	st = sb_store_open(dbpath, 0, &err);
	assert_non_null(st);
	iid = sb_store_install_id(st);
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		snprintf(want, sizeof(want), "%.8s-%.4s-4%.3s-8%.3s-%012llx", iid, iid + 8,
		    iid + 12, iid + 16, (unsigned long long)ids[i] & 0xffffffffffffULL);
		sb_store_attempt_key(st, ids[i], key, sizeof(key));
		assert_string_equal(key, want);
		assert_int_equal(strlen(key), SB_ATTEMPT_KEY_LEN);
		/* A receipt that carries the key finds the attempt by it (the key
		 * holds an id's low 48 bits: 2.8e14 attempts). */
		assert_int_equal(sb_store_attempt_of_key(st, key), ids[i] & 0xffffffffffffLL);
	}
	/* Only a key this store would make: not another store's, not one
	 * changed in any way, not a provider's id of the same length. */
	sb_store_attempt_key(st, 42, key, sizeof(key));
	want[0] = key[0] == 'a' ? 'b' : 'a';
	memcpy(want + 1, key + 1, sizeof(key) - 1);
	assert_int_equal(sb_store_attempt_of_key(st, want), 0);
	memcpy(want, key, sizeof(key));
	want[SB_ATTEMPT_KEY_LEN - 1] = 'A';
	assert_int_equal(sb_store_attempt_of_key(st, want), 0);
	want[SB_ATTEMPT_KEY_LEN - 1] = 'g';
	assert_int_equal(sb_store_attempt_of_key(st, want), 0);
	memcpy(want, key, sizeof(key));
	want[14] = '5';
	assert_int_equal(sb_store_attempt_of_key(st, want), 0);
	memcpy(want, key, sizeof(key));
	strcat(want, "0");
	assert_int_equal(sb_store_attempt_of_key(st, want), 0);
	want[SB_ATTEMPT_KEY_LEN - 1] = '\0';
	assert_int_equal(sb_store_attempt_of_key(st, want), 0);
	sb_store_attempt_key(st, 0, key, sizeof(key));
	assert_int_equal(sb_store_attempt_of_key(st, key), 0);
	assert_int_equal(sb_store_attempt_of_key(st, "0123456789abcdef0123456789abcdef0123"), 0);
	assert_int_equal(sb_store_attempt_of_key(st, ""), 0);
	assert_int_equal(sb_store_attempt_of_key(st, NULL), 0);
	/* A short buffer gets the key's beginning, terminated. */
	sb_store_attempt_key(st, 7, small, sizeof(small));
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_memory_equal(small, want, sizeof(small) - 1);
	sb_store_close(st);
}

/*
 * An attempt change writes exactly the fields it carries (each change is
 * its own UPDATE, prepared per set of columns): over more sets of columns
 * than the store keeps prepared, so those prepared for one use are right
 * too.
 */
static void
test_attempt_change_writes_only_what_it_carries(void **state)
{
	static const char *const base[] = { "p-base", "E0", "base error", "1", "1", "100",
	    "200", "300", "400", "500", "600", "1", "700" };
	static const char *const moved[] = { "p-new", "E1", "new error", "2", "2", "101",
	    "201", "301", "401", "501", "601", "2", "701" };
	struct sb_error err = { 0 };
	struct sb_store *st = sb_store_open(dbpath, 1, &err);
	struct sb_message m = {
		.subaccount = "acme", .chain = "default", .to = "+5511999990000",
		.text = "hello", .status = SB_ST_QUEUED, .created_ms = 10, .send_at_ms = 10,
		.expires_ms = 1000,
	};
	const unsigned all = (1u << 13) - 1;
	struct sb_attempt_change c;
	sqlite3 *db;
	sqlite3_stmt *q;
	int64_t att;

	(void)state;
	assert_non_null(st);
	assert_int_equal(sb_store_message_insert(st, &m, &err), 0);
	att = sb_store_attempt_insert(st, m.id, 0, "sms", SB_ST_QUEUED, 10, 10, NULL);
	assert_true(att > 0);
	assert_int_equal(sb_store_commit(st), 0);
	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT provider_id, error_code, error_text,"
	    " tries, parts, next_ms, fallback_ms, sent_ms, accepted_ms, final_ms, poll_ms, polls,"
	    " expire_ms, status FROM attempts WHERE id = ?", -1, &q, NULL), SQLITE_OK);
	sqlite3_bind_int64(q, 1, att);
	for (unsigned i = 0; i < 13 + 48; i++) {
		unsigned mask = i < 13 ? 1u << i : (i * 2654435761u >> 7) & all;

		c = change_of_mask(all, 0, SB_ST_ACCEPTED);
		assert_int_equal(sb_store_attempt_update(st, att, SB_ST_QUEUED, &c), 0);
		c = change_of_mask(mask, 1, SB_ST_SENDING);
		/* The status is compared first: nothing is written from another. */
		assert_int_equal(sb_store_attempt_update(st, att, SB_ST_QUEUED, &c), 1);
		assert_int_equal(sb_store_attempt_update(st, att, SB_ST_ACCEPTED, &c), 0);
		assert_int_equal(sb_store_commit(st), 0);
		assert_int_equal(sqlite3_step(q), SQLITE_ROW);
		for (int f = 0; f < 13; f++)
			assert_string_equal((const char *)sqlite3_column_text(q, f),
			    mask & 1u << f ? moved[f] : base[f]);
		assert_string_equal((const char *)sqlite3_column_text(q, 13), "sending");
		sqlite3_reset(q);
		c = change_of_mask(0, 0, SB_ST_QUEUED);
		assert_int_equal(sb_store_attempt_update(st, att, SB_ST_SENDING, &c), 0);
	}
	/* Clearing: a fallback of 0 and a poll or expiry below 0 write NULL. */
	c = change_of_mask(0, 0, SB_ST_ACCEPTED);
	c.fallback_ms = 0;
	c.poll_ms = -1;
	c.expire_ms = -1;
	assert_int_equal(sb_store_attempt_update(st, att, SB_ST_QUEUED, &c), 0);
	assert_int_equal(sb_store_commit(st), 0);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_type(q, 6), SQLITE_NULL);
	assert_int_equal(sqlite3_column_type(q, 10), SQLITE_NULL);
	assert_int_equal(sqlite3_column_type(q, 12), SQLITE_NULL);
	assert_string_equal((const char *)sqlite3_column_text(q, 0), "p-base");
	sqlite3_finalize(q);
	sqlite3_close(db);
	sb_store_close(st);
}

/*
 * What a reload asks before it drops an instance: the unfinished messages
 * that still need it, in every subaccount (found by a loose scan, since no
 * index leads with the status), by their current attempt or by a later
 * step of their chain version.
 */
static void
test_count_using_across_subaccounts(void **state)
{
	static const char *const subs[] = { "acme", "beta", "zulu" };
	struct sb_error err = { 0 };
	struct sb_store *st = sb_store_open(dbpath, 1, &err);
	const int64_t vers[] = { 7 };
	const int lasts[] = { 1 };
	int64_t want = 0;

	(void)state;
	assert_non_null(st);
	for (int i = 0; i < 60; i++) {
		static const enum sb_status statuses[] = { SB_ST_QUEUED, SB_ST_DELIVERED,
		    SB_ST_SCHEDULED, SB_ST_FAILED };
		enum sb_status status = statuses[i % 4];
		struct sb_message m = {
			.subaccount = subs[i % 3], .chain = "default", .to = "+5511999990000",
			.text = "hi", .status = status, .created_ms = 10, .send_at_ms = 10,
			.expires_ms = 1000, .chain_ver = i % 5 == 0 ? 7 : 1,
		};
		int on_it = i % 2 == 0; /* its attempt is on "sms" */

		assert_int_equal(sb_store_message_insert(st, &m, &err), 0);
		if (status == SB_ST_QUEUED)
			assert_true(sb_store_attempt_insert(st, m.id, 0, on_it ? "sms" : "line",
			    SB_ST_QUEUED, 10, 10, NULL) > 0);
		/* Unfinished, and on it now (queued there) or later (version 7). */
		want += (status == SB_ST_QUEUED || status == SB_ST_SCHEDULED) &&
		    ((status == SB_ST_QUEUED && on_it) || m.chain_ver == 7);
	}
	assert_true(want > 0);
	assert_int_equal(sb_store_count_using(st, "sms", vers, lasts, 1), want);
	assert_int_equal(sb_store_count_using(st, "none", NULL, NULL, 0), 0);
	sb_store_close(st);
}

static void
test_idempotency_key_unique_per_subaccount(void **state)
{
	struct sb_error err = { 0 };
	struct sb_store *st = sb_store_open(dbpath, 1, &err);
	struct sb_message m = {
		.subaccount = "acme", .chain = "c", .to = "+5511999990000", .text = "x",
		.status = SB_ST_QUEUED, .idem_key = "k", .expires_ms = 1,
	};

	assert_int_equal(sb_store_message_insert(st, &m, &err), 0);
	assert_int_equal(sb_store_message_by_idem(st, "acme", "k"), m.id);
	assert_int_equal(sb_store_message_by_idem(st, "other", "k"), 0);
	assert_int_equal(sb_store_message_insert(st, &m, &err), -1);
	assert_int_equal(err.code, SB_E_INTERNAL);
	m.subaccount = "other";
	assert_int_equal(sb_store_message_insert(st, &m, &err), 0);
	sb_store_close(st);
}

static void
test_list_filters_and_pages(void **state)
{
	struct sb_error err = { 0 };
	struct sb_store *st = sb_store_open(dbpath, 1, &err);
	struct sb_message m = {
		.subaccount = "acme", .chain = "c", .to = "+5511999990000", .text = "x",
		.status = SB_ST_QUEUED, .expires_ms = 1,
	};
	struct sb_list_query q = { .status = -1, .limit = 3 };
	json_t *res;

	for (int i = 0; i < 5; i++) {
		m.status = i % 2 ? SB_ST_DELIVERED : SB_ST_QUEUED;
		assert_int_equal(sb_store_message_insert(st, &m, &err), 0);
	}
	res = sb_store_message_list(st, &q);
	assert_int_equal(json_array_size(json_object_get(res, "messages")), 3);
	q.before_id = json_integer_value(json_object_get(res, "next_before"));
	json_decref(res);
	res = sb_store_message_list(st, &q);
	assert_int_equal(json_array_size(json_object_get(res, "messages")), 2);
	assert_true(json_is_null(json_object_get(res, "next_before")));
	json_decref(res);
	q = (struct sb_list_query){ .status = SB_ST_DELIVERED };
	res = sb_store_message_list(st, &q);
	assert_int_equal(json_array_size(json_object_get(res, "messages")), 2);
	json_decref(res);
	sb_store_close(st);
}

static int
copy_row(void *arg, const struct sb_message *m)
{
	struct sb_message *out = arg;

	*out = *m;
	out->text = NULL; /* valid only during the call */
	out->subaccount = out->chain = out->to = out->from = NULL;
	out->template_name = out->template_lang = out->template_vars = out->idem_key = NULL;
	return 0;
}

/* What schedules and allowed hours write: send time, validity, text, step, reason. */
static void
test_schedule_fields(void **state)
{
	struct sb_error err = { 0 };
	struct sb_store *st = sb_store_open(dbpath, 1, &err);
	struct sb_message m = {
		.subaccount = "acme", .chain = "default", .to = "+5511999990000",
		.text = "hello", .status = SB_ST_SCHEDULED, .created_ms = 10, .send_at_ms = 5000,
		.expires_ms = 9000,
	}, got;
	json_t *j;

	assert_non_null(st);
	assert_int_equal(sb_store_message_insert(st, &m, &err), 0);
	assert_int_equal(sb_store_message_update(st, m.id, SB_ST_SCHEDULED, SB_ST_SCHEDULED, 2, "waiting", 0, 20), 0);
	assert_int_equal(sb_store_message_set_times(st, m.id, 7000, 0), 0);
	assert_int_equal(sb_store_message_get(st, m.id, copy_row, &got), 0);
	assert_int_equal(got.step, 2);
	assert_int_equal(got.send_at_ms, 7000);
	assert_int_equal(got.expires_ms, 9000);  /* 0: unchanged */
	assert_int_equal(sb_store_next_due(st), 7000);
	assert_int_equal(sb_store_message_set_times(st, m.id, 8000, 12000), 0);
	assert_int_equal(sb_store_message_set_text(st, m.id, "hello again"), 0);
	j = sb_store_message_json(st, m.id, NULL);
	assert_string_equal(json_string_value(json_object_get(j, "text")), "hello again");
	assert_string_equal(json_string_value(json_object_get(j, "reason")), "waiting");
	assert_string_equal(json_string_value(json_object_get(j, "expires")),
	    "1970-01-01T00:00:12.000Z");
	json_decref(j);
	/* The reason belongs to the status: a move without one clears it. */
	assert_int_equal(sb_store_message_update(st, m.id, SB_ST_SCHEDULED, SB_ST_QUEUED, -1, "again", 0, 30), 0);
	j = sb_store_message_json(st, m.id, NULL);
	assert_string_equal(json_string_value(json_object_get(j, "reason")), "again");
	json_decref(j);
	assert_int_equal(sb_store_message_update(st, m.id, SB_ST_QUEUED, SB_ST_QUEUED, -1, "", 0, 40), 0);
	j = sb_store_message_json(st, m.id, NULL);
	assert_true(json_is_null(json_object_get(j, "reason")));
	json_decref(j);
	assert_int_equal(sb_store_message_update(st, m.id, SB_ST_QUEUED, SB_ST_QUEUED, -1, "x", 0, 41), 0);
	assert_int_equal(sb_store_message_update(st, m.id, SB_ST_QUEUED, SB_ST_QUEUED, -1, NULL, 0, 42), 0);
	j = sb_store_message_json(st, m.id, NULL);
	assert_true(json_is_null(json_object_get(j, "reason")));
	assert_int_equal(json_integer_value(json_object_get(j, "step")), 2);
	json_decref(j);
	sb_store_close(st);
}

/* One daemon per database: a second open is refused until the first closes. */
static void
test_one_daemon_per_database(void **state)
{
	struct sb_error err = { 0 };
	struct sb_store *st = sb_store_open(dbpath, 1, &err), *again;
	char want[64];

	assert_non_null(st);
	again = sb_store_open(dbpath, 1, &err);
	assert_null(again);
	snprintf(want, sizeof(want), "another switchboardd (pid %ld)", (long)getpid());
	assert_non_null(strstr(err.message, want));
	sb_store_close(st);
	st = sb_store_open(dbpath, 1, &err);
	assert_non_null(st);
	sb_store_close(st);
}

/* A savepoint undoes its writes and keeps the group's others. */
static void
test_savepoint_undoes_only_its_writes(void **state)
{
	struct sb_error err = { 0 };
	struct sb_store *st = sb_store_open(dbpath, 1, &err);
	struct sb_message m = {
		.subaccount = "acme", .chain = "default", .to = "+5511999990000",
		.text = "kept", .status = SB_ST_QUEUED, .created_ms = 1, .send_at_ms = 1,
		.expires_ms = 9000,
	};
	int64_t kept;

	assert_non_null(st);
	assert_int_equal(sb_store_message_insert(st, &m, &err), 0);
	kept = m.id;
	assert_int_equal(sb_store_savepoint(st), 0);
	assert_int_equal(sb_store_savepoint(st), -1); /* not nested */
	m.text = "undone";
	assert_int_equal(sb_store_message_insert(st, &m, &err), 0);
	assert_int_equal(sb_store_message_status(st, m.id), SB_ST_QUEUED);
	assert_int_equal(sb_store_savepoint_end(st, 0), 0);
	assert_int_equal(sb_store_message_status(st, m.id), -1);
	assert_int_equal(sb_store_savepoint(st), 0);
	m.text = "kept too";
	assert_int_equal(sb_store_message_insert(st, &m, &err), 0);
	assert_int_equal(sb_store_savepoint_end(st, 1), 0);
	assert_int_equal(sb_store_commit(st), 0);
	assert_int_equal(sb_store_message_status(st, kept), SB_ST_QUEUED);
	assert_int_equal(sb_store_message_status(st, m.id), SB_ST_QUEUED);
	/* Compare and set: a status write names the status it expects. */
	assert_int_equal(sb_store_message_update(st, kept, SB_ST_SENDING, SB_ST_ACCEPTED, -1,
	    NULL, 0, 2), 1);
	assert_int_equal(sb_store_message_status(st, kept), SB_ST_QUEUED);
	assert_int_equal(sb_store_message_update(st, kept, SB_ST_QUEUED, SB_ST_SENDING, -1,
	    NULL, 0, 2), 0);
	sb_store_close(st);
}

/* The gauge's count for `instance` (0 if it reports none), and the rows' own. */
struct qdepth_seen {
	const char *instance;
	int64_t n;
};

static void
qdepth_take(void *arg, const char *instance, int64_t n)
{
	struct qdepth_seen *q = arg;

	if (strcmp(instance, q->instance) == 0)
		q->n = n;
}

static int64_t
qdepth_of(struct sb_store *st, const char *instance)
{
	struct qdepth_seen q = { instance, 0 };

	assert_int_equal(sb_store_queue_depth(st, qdepth_take, &q), 0);
	return q.n;
}

static int64_t
queued_rows(struct sb_store *st, const char *instance)
{
	sqlite3_stmt *s;
	int64_t n;

	assert_int_equal(sqlite3_prepare_v2(st->db, "SELECT count(*) FROM attempts"
	    " WHERE status = 'queued' AND instance = ?", -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_text(s, 1, instance, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return n;
}

/* The gauge agrees with the rows, and both with what the test expects. */
static void
assert_qdepth(struct sb_store *st, int64_t sms, int64_t line)
{
	assert_int_equal(qdepth_of(st, "sms"), sms);
	assert_int_equal(queued_rows(st, "sms"), sms);
	assert_int_equal(qdepth_of(st, "line"), line);
	assert_int_equal(queued_rows(st, "line"), line);
}

/*
 * The queue depth per instance is counted as attempts are written, not by
 * a count of the rows at each scrape: every insert and move in or out of
 * `queued` changes it, a compare-and-set that does not match does not, a
 * savepoint's and a failed group's writes leave it as they leave the rows,
 * and a reopened store counts the rows again.
 */
static void
test_queue_depth_follows_the_writes(void **state)
{
	struct sb_error err = { 0 };
	struct sb_store *st = sb_store_open(dbpath, 1, &err);
	struct sb_message m = {
		.subaccount = "acme", .chain = "default", .to = "+5511999990000",
		.text = "hello", .status = SB_ST_QUEUED, .created_ms = 1, .send_at_ms = 1,
		.expires_ms = 9000,
	};
	struct sb_attempt_change send = { .status = SB_ST_SENDING, .tries = 1, .next_ms = -1,
	    .fallback_ms = -1 };
	struct sb_attempt_change back = { .status = SB_ST_QUEUED, .tries = -1, .next_ms = 5,
	    .fallback_ms = -1 };
	/* As the engine writes it: with the instance it has (no read for it). */
	struct sb_attempt_change send_named = send;
	int64_t a[3], b;

	(void)state;
	assert_non_null(st);
	assert_qdepth(st, 0, 0);
	assert_int_equal(sb_store_message_insert(st, &m, &err), 0);
	for (int i = 0; i < 3; i++)
		assert_true((a[i] = sb_store_attempt_insert(st, m.id, i, "sms", SB_ST_QUEUED, 1, 1,
		    NULL)) > 0);
	assert_true(sb_store_attempt_insert(st, m.id, 3, "line", SB_ST_SENDING, 1, 1, NULL) > 0);
	assert_qdepth(st, 3, 0); /* the open group's writes count */
	assert_int_equal(sb_store_commit(st), 0);
	assert_qdepth(st, 3, 0);
	/* Out of the queue, and back into it; a stale compare-and-set changes nothing. */
	assert_int_equal(sb_store_attempt_update(st, a[0], SB_ST_QUEUED, &send), 0);
	assert_qdepth(st, 2, 0);
	assert_int_equal(sb_store_attempt_update(st, a[0], SB_ST_QUEUED, &send), 1);
	assert_qdepth(st, 2, 0);
	assert_int_equal(sb_store_attempt_update(st, a[0], SB_ST_SENDING, &back), 0);
	assert_qdepth(st, 3, 0);
	/* A savepoint that rolls back takes its own changes with it, not the group's. */
	send_named.instance = "sms";
	assert_int_equal(sb_store_attempt_update(st, a[1], SB_ST_QUEUED, &send_named), 0);
	assert_int_equal(sb_store_savepoint(st), 0);
	assert_true((b = sb_store_attempt_insert(st, m.id, 4, "line", SB_ST_QUEUED, 1, 1,
	    NULL)) > 0);
	assert_int_equal(sb_store_attempt_update(st, a[2], SB_ST_QUEUED, &send), 0);
	assert_qdepth(st, 1, 1);
	assert_int_equal(sb_store_savepoint_end(st, 0), 0);
	assert_qdepth(st, 2, 0);
	/* One that is kept keeps them. */
	assert_int_equal(sb_store_savepoint(st), 0);
	assert_true((b = sb_store_attempt_insert(st, m.id, 4, "line", SB_ST_QUEUED, 1, 1,
	    NULL)) > 0);
	assert_int_equal(sb_store_savepoint_end(st, 1), 0);
	assert_qdepth(st, 2, 1);
	assert_int_equal(sb_store_commit(st), 0);
	assert_qdepth(st, 2, 1);
	/* A group that fails rolls back, and so do its counts. */
	assert_int_equal(sb_store_attempt_update(st, b, SB_ST_QUEUED, &send), 0);
	assert_true(sb_store_attempt_insert(st, m.id, 5, "sms", SB_ST_QUEUED, 1, 1, NULL) > 0);
	assert_qdepth(st, 3, 0);
	sb_store_group_fail(st);
	assert_int_equal(sb_store_commit(st), -1);
	assert_qdepth(st, 2, 1);
	/* A reopened store counts what the rows hold. */
	sb_store_close(st);
	st = sb_store_open(dbpath, 1, &err);
	assert_non_null(st);
	assert_qdepth(st, 2, 1);
	sb_store_close(st);
}

/* What a judge of an attempt reads of it (the fields of a ref), copied out. */
struct att_state {
	int found;
	int64_t id, message_id, chain_ver, expires_ms;
	int step, tries, message_step;
	enum sb_status status, message_status;
	char instance[72], provider_id[128], chain[72];
};

static int
att_state_take(void *arg, const struct sb_attempt_row *r)
{
	struct att_state *a = arg;

	*a = (struct att_state){
		.found = 1, .id = r->id, .message_id = r->message_id, .chain_ver = r->chain_ver,
		.expires_ms = r->expires_ms, .step = r->step, .tries = r->tries,
		.message_step = r->message_step, .status = r->status,
		.message_status = r->message_status,
	};
	snprintf(a->instance, sizeof(a->instance), "%s", r->instance);
	snprintf(a->provider_id, sizeof(a->provider_id), "%s",
	    r->provider_id != NULL ? r->provider_id : "(none)");
	snprintf(a->chain, sizeof(a->chain), "%s", r->chain != NULL ? r->chain : "(none)");
	return 1;
}

/* The state as the caches give it (they have it) equals the state the rows hold. */
static void
assert_att_state_as_stored(struct sb_store *st, int64_t id)
{
	struct att_state cached = { 0 }, stored = { 0 };
	struct sb_attempt_row r;

	assert_int_equal(sb_store_attcache_state(st, id, &r), 1);
	assert_int_equal(sb_store_attempt_state(st, id, att_state_take, &cached), 0);
	assert_int_equal(sb_store_attempt_get(st, id, att_state_take, &stored), 0);
	assert_true(cached.found && stored.found);
	assert_int_equal(cached.id, stored.id);
	assert_int_equal(cached.message_id, stored.message_id);
	assert_int_equal(cached.chain_ver, stored.chain_ver);
	assert_int_equal(cached.expires_ms, stored.expires_ms);
	assert_int_equal(cached.step, stored.step);
	assert_int_equal(cached.tries, stored.tries);
	assert_int_equal(cached.message_step, stored.message_step);
	assert_int_equal(cached.status, stored.status);
	assert_int_equal(cached.message_status, stored.message_status);
	assert_string_equal(cached.instance, stored.instance);
	assert_string_equal(cached.provider_id, stored.provider_id);
	assert_string_equal(cached.chain, stored.chain);
}

/*
 * An attempt's state for a receipt or a result (sb_store_attempt_state)
 * comes from what the store last wrote (store_attcache.c and its
 * message's in store_msgcache.c) and always equals the rows: after an
 * insert, status moves with tries and a provider id, a move of the
 * message with its step, new times, a new channel type, a stale
 * compare-and-set, and a group that rolls back.
 */
static void
test_attempt_state_as_last_written(void **state)
{
	struct sb_error err = { 0 };
	struct sb_store *st = sb_store_open(dbpath, 1, &err);
	struct sb_message m = {
		.subaccount = "acme", .chain = "fallback", .chain_ver = 3, .to = "+5511999990000",
		.text = "hello", .status = SB_ST_QUEUED, .created_ms = 1, .send_at_ms = 1,
		.expires_ms = 9000,
	};
	struct sb_attempt_change sent = { .status = SB_ST_SENDING, .tries = 1, .next_ms = -1,
	    .fallback_ms = -1 };
	struct sb_attempt_change accepted = { .status = SB_ST_ACCEPTED, .tries = -1,
	    .next_ms = -1, .fallback_ms = 500, .provider_id = "prov-42" };
	int64_t a, b;

	(void)state;
	assert_non_null(st);
	assert_int_equal(sb_store_message_insert(st, &m, &err), 0);
	assert_true((a = sb_store_attempt_insert(st, m.id, 0, "line", SB_ST_QUEUED, 1, 1,
	    NULL)) > 0);
	assert_att_state_as_stored(st, a);
	assert_int_equal(sb_store_message_update(st, m.id, SB_ST_QUEUED, SB_ST_SENDING, -1,
	    NULL, a, 2), 0);
	assert_int_equal(sb_store_attempt_update(st, a, SB_ST_QUEUED, &sent), 0);
	assert_att_state_as_stored(st, a);
	assert_int_equal(sb_store_attempt_update(st, a, SB_ST_QUEUED, &accepted), 1); /* stale */
	assert_int_equal(sb_store_attempt_update(st, a, SB_ST_SENDING, &accepted), 0);
	assert_int_equal(sb_store_message_update(st, m.id, SB_ST_SENDING, SB_ST_ACCEPTED, -1,
	    NULL, a, 3), 0);
	assert_att_state_as_stored(st, a);
	assert_int_equal(sb_store_commit(st), 0);
	/* The chain moves on: the message's step, times and type change. */
	assert_true((b = sb_store_attempt_insert(st, m.id, 1, "sms", SB_ST_SENDING, 4, 4,
	    NULL)) > 0);
	assert_int_equal(sb_store_message_update(st, m.id, SB_ST_ACCEPTED, SB_ST_SENDING, 1,
	    NULL, b, 4), 0);
	assert_int_equal(sb_store_message_set_times(st, m.id, 5, 12000), 0);
	assert_int_equal(sb_store_message_set_channel_type(st, m.id, "sms"), 0);
	assert_att_state_as_stored(st, a);
	assert_att_state_as_stored(st, b);
	/* A group that rolls back: both read as the rows were at the last commit. */
	sb_store_group_fail(st);
	assert_int_equal(sb_store_commit(st), -1);
	{
		struct att_state read = { 0 };
		struct sb_attempt_row r;

		/* Emptied: read from the rows, as they were at the last commit. */
		assert_int_equal(sb_store_attcache_state(st, a, &r), 0);
		assert_int_equal(sb_store_attempt_state(st, a, att_state_take, &read), 0);
		assert_int_equal(read.status, SB_ST_ACCEPTED);
		assert_int_equal(read.message_status, SB_ST_ACCEPTED);
		assert_int_equal(read.message_step, 0);
		assert_string_equal(read.provider_id, "prov-42");
		assert_int_equal(sb_store_attempt_state(st, b, att_state_take, &read), 1);
	}
	sb_store_close(st);
}

/* A subaccount's count of one folder, as GET /v1/folders answers it. */
static int64_t
folder_count(struct sb_store *st, const char *subaccount, const char *folder)
{
	struct sb_error err = { 0 };
	json_t *c = sb_store_folder_counts(st, subaccount, &err);
	int64_t n;

	assert_non_null(c);
	n = json_integer_value(json_object_get(json_object_get(c, "folders"), folder));
	json_decref(c);
	return n;
}

static void
assert_folders(struct sb_store *st, int64_t inbox, int64_t flows, int64_t archived,
    int64_t calls)
{
	assert_int_equal(folder_count(st, "acme", "inbox"), inbox);
	assert_int_equal(folder_count(st, "acme", "flows"), flows);
	assert_int_equal(folder_count(st, "acme", "archived"), archived);
	assert_int_equal(folder_count(st, "acme", "calls"), calls);
	/* The subaccount whose name begins the same is counted apart. */
	assert_int_equal(folder_count(st, "acm", "inbox"), 1);
}

/*
 * The folders' inbound and call counts are kept as the store files,
 * archives, unarchives and deletes (store_gauges.c), not counted from the
 * rows: a provider's retry counts once, a failed group's writes not at
 * all, and a reopened store counts the rows again.
 */
static void
test_folder_counts_follow_the_writes(void **state)
{
	struct sb_error err = { 0 };
	struct sb_store *st = sb_store_open(dbpath, 1, &err);
	struct sb_inbound_row in = { .subaccount = "acme", .instance = "sms", .from = "+5511",
	    .text = "hi", .at_ms = 1 };
	struct sb_call_row call = { .subaccount = "acme", .instance = "voice",
	    .direction = "inbound", .provider_id = "call-1", .started_ms = -1, .duration_s = -1,
	    .at_ms = 1 };
	int64_t a, b;
	int dup;

	(void)state;
	assert_non_null(st);
	in.subaccount = "acm";
	assert_true(sb_store_inbound_file(st, &in, &dup, &err) > 0);
	in.subaccount = "acme";
	in.provider_id = "p-1";
	assert_true((a = sb_store_inbound_file(st, &in, &dup, &err)) > 0);
	assert_int_equal(sb_store_inbound_file(st, &in, &dup, &err), a); /* a retry */
	assert_int_equal(dup, 1);
	in.provider_id = "p-2";
	in.flow_id = 7;
	assert_true((b = sb_store_inbound_file(st, &in, &dup, &err)) > 0);
	assert_true(sb_store_call_file(st, &call, &dup, &err) > 0);
	assert_int_equal(sb_store_call_file(st, &call, &dup, &err), 0);
	assert_int_equal(dup, 1);
	assert_folders(st, 1, 1, 0, 1);
	assert_int_equal(sb_store_commit(st), 0);
	/* Archived from flows, back to flows; archived from the inbox, then deleted. */
	assert_int_equal(sb_store_inbound_archive(st, "acme", b, 1, 2, &err), 0);
	assert_folders(st, 1, 0, 1, 1);
	assert_int_equal(sb_store_inbound_archive(st, "acme", b, 0, 3, &err), 0);
	assert_folders(st, 1, 1, 0, 1);
	assert_int_equal(sb_store_inbound_archive(st, "acme", a, 1, 4, &err), 0);
	assert_int_equal(sb_store_inbound_delete(st, "acme", a, &err), 0);
	assert_folders(st, 0, 1, 0, 1);
	/* Refused moves change nothing. */
	assert_int_equal(sb_store_inbound_delete(st, "acme", b, &err), -1);
	assert_int_equal(sb_store_inbound_archive(st, "other", b, 1, 5, &err), -1);
	assert_folders(st, 0, 1, 0, 1);
	assert_int_equal(sb_store_commit(st), 0);
	/* A group that fails takes its filings with it. */
	in.provider_id = "p-3";
	in.flow_id = 0;
	assert_true(sb_store_inbound_file(st, &in, &dup, &err) > 0);
	call.provider_id = "call-2";
	assert_true(sb_store_call_file(st, &call, &dup, &err) > 0);
	assert_folders(st, 1, 1, 0, 2);
	sb_store_group_fail(st);
	assert_int_equal(sb_store_commit(st), -1);
	assert_folders(st, 0, 1, 0, 1);
	/* A reopened store counts its rows. */
	sb_store_close(st);
	st = sb_store_open(dbpath, 1, &err);
	assert_non_null(st);
	assert_folders(st, 0, 1, 0, 1);
	sb_store_close(st);
}

/* Count the rows of the text index matching `q`; run its integrity check. */
static int
text_matches(const char *q)
{
	char path[300], expr[256];
	sqlite3 *db;
	sqlite3_stmt *s;
	int n = -1;

	snprintf(path, sizeof(path), "%s.text", dbpath);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "INSERT INTO messages_text (messages_text, rank)"
	    " VALUES ('integrity-check', 0)", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM messages_text"
	    " WHERE messages_text MATCH ?", -1, &s, NULL), SQLITE_OK);
	assert_true(sb_store_match_expr(q, expr, sizeof(expr)) > 0);
	sqlite3_bind_text(s, 1, expr, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return n;
}

static size_t search_text(struct sb_store *st, const char *text);

static int64_t
insert_text(struct sb_store *st, const char *to, const char *text)
{
	struct sb_error err = { 0 };
	struct sb_message m = {
		.subaccount = "acme", .chain = "default", .to = to, .text = text,
		.status = SB_ST_QUEUED, .created_ms = 1, .send_at_ms = 1, .expires_ms = 9000,
	};

	assert_int_equal(sb_store_message_insert(st, &m, &err), 0);
	return m.id;
}

/*
 * The text index (store_text.c) holds what was committed: not what a
 * savepoint undid, the id it freed for its next owner; a text changed
 * before the index saw its message is indexed as changed, one changed
 * after (once or more, in one pass or several) is found by its new words
 * only. What is not indexed yet is found by a search all the same.
 */
static void
test_text_index_follows_commits_and_changes(void **state)
{
	struct sb_error err = { 0 };
	struct sb_store *st = sb_store_open(dbpath, 1, &err);
	int64_t undone, reused, hotel, last;

	assert_non_null(st);
	insert_text(st, "+5511999990000", "alpha bravo");
	assert_int_equal(sb_store_commit(st), 0);
	assert_int_equal(sb_store_savepoint(st), 0);
	undone = insert_text(st, "+5511999990000", "charlie delta");
	assert_int_equal(sb_store_message_set_text(st, undone, "charlie golf"), 0);
	assert_int_equal(sb_store_savepoint_end(st, 0), 0);
	reused = insert_text(st, "+5511999990000", "echo foxtrot");
	assert_int_equal(reused, undone); /* SQLite hands the freed id out again */
	hotel = insert_text(st, "+5511999990001", "hotel india");
	assert_int_equal(sb_store_message_set_text(st, reused, "juliet kilo"), 0);
	assert_int_equal(sb_store_commit(st), 0);
	/* Not indexed yet, found all the same. */
	assert_int_equal(sb_store_text_indexed(st), 0);
	assert_int_equal(search_text(st, "juliet"), 1);
	assert_int_equal(search_text(st, "JULIET"), 1);
	assert_int_equal(search_text(st, "echo"), 0);
	assert_int_equal(sb_store_text_index_now(st), 0);
	assert_int_equal(sb_store_text_indexed(st), hotel);
	assert_int_equal(text_matches("alpha"), 1);
	assert_int_equal(text_matches("charlie"), 0);
	assert_int_equal(text_matches("echo"), 0);
	assert_int_equal(text_matches("juliet"), 1);
	assert_int_equal(text_matches("hotel"), 1);
	assert_int_equal(search_text(st, "juliet"), 1);
	/* Changed after it was indexed: once per pass, then twice in one. */
	assert_int_equal(sb_store_message_set_text(st, hotel, "lima mike"), 0);
	assert_int_equal(sb_store_commit(st), 0);
	assert_int_equal(sb_store_text_index_now(st), 0);
	assert_int_equal(text_matches("hotel"), 0);
	assert_int_equal(text_matches("lima"), 1);
	assert_int_equal(sb_store_message_set_text(st, hotel, "november oscar"), 0);
	assert_int_equal(sb_store_commit(st), 0);
	assert_int_equal(sb_store_message_set_text(st, hotel, "papa quebec"), 0);
	assert_int_equal(sb_store_commit(st), 0);
	/* Before the index applies the changes, the search reads the text. */
	assert_int_equal(search_text(st, "papa"), 1);
	assert_int_equal(search_text(st, "lima"), 0);
	assert_int_equal(search_text(st, "november"), 0);
	assert_int_equal(sb_store_text_index_now(st), 0);
	assert_int_equal(text_matches("lima"), 0);
	assert_int_equal(text_matches("november"), 0);
	assert_int_equal(text_matches("papa"), 1);
	assert_int_equal(search_text(st, "lima"), 0);
	assert_int_equal(search_text(st, "papa"), 1);
	sb_store_close(st);
	/* Reopened, the index knows how far it got: a pass adds only the new. */
	st = sb_store_open(dbpath, 1, &err);
	assert_non_null(st);
	assert_int_equal(sb_store_text_indexed(st), hotel);
	last = insert_text(st, "+5511999990002", "romeo sierra");
	assert_int_equal(sb_store_commit(st), 0);
	assert_int_equal(sb_store_text_index_now(st), 0);
	assert_int_equal(sb_store_text_indexed(st), last);
	sb_store_close(st);
	assert_int_equal(text_matches("romeo"), 1);
	assert_int_equal(text_matches("alpha"), 1);
	assert_int_equal(text_matches("papa"), 1);
}

/*
 * The index is derived: one that belongs to another store (a database
 * made anew beside it) or that cannot be read is made anew and filled
 * from the messages.
 */
static void
test_text_index_made_anew_when_it_is_not_the_stores(void **state)
{
	struct sb_error err = { 0 };
	struct sb_store *st = sb_store_open(dbpath, 1, &err);
	char path[300];
	FILE *f;

	assert_non_null(st);
	insert_text(st, "+5511999990000", "alpha bravo");
	insert_text(st, "+5511999990001", "alpha charlie");
	assert_int_equal(sb_store_commit(st), 0);
	assert_int_equal(sb_store_text_index_now(st), 0);
	sb_store_close(st);
	assert_int_equal(text_matches("alpha"), 2);
	remove_store_files(0);
	st = sb_store_open(dbpath, 1, &err);
	assert_non_null(st);
	assert_int_equal(sb_store_text_indexed(st), 0);
	insert_text(st, "+5511999990002", "delta echo");
	assert_int_equal(sb_store_commit(st), 0);
	assert_int_equal(sb_store_text_index_now(st), 0);
	sb_store_close(st);
	assert_int_equal(text_matches("alpha"), 0);
	assert_int_equal(text_matches("delta"), 1);
	/* Not a database at all. */
	snprintf(path, sizeof(path), "%s.text", dbpath);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("this is not an SQLite database, and it is long enough to have a header.", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s.text-wal", dbpath);
	unlink(path);
	st = sb_store_open(dbpath, 1, &err);
	assert_non_null(st);
	assert_int_equal(search_text(st, "delta"), 1);
	assert_int_equal(sb_store_text_index_now(st), 0);
	assert_int_equal(search_text(st, "delta"), 1);
	sb_store_close(st);
	assert_int_equal(text_matches("delta"), 1);
	/* An index of the format before (positions kept), of this store and
	 * as far as it, is made anew all the same. */
	snprintf(path, sizeof(path), "%s.text", dbpath);
	{
		sqlite3 *db;
		sqlite3_stmt *s;
		char install[80] = "", sql[400];
		int64_t indexed = 0;

		assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
		assert_int_equal(sqlite3_prepare_v2(db, "SELECT install_id, indexed FROM state",
		    -1, &s, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_step(s), SQLITE_ROW);
		snprintf(install, sizeof(install), "%s", (const char *)sqlite3_column_text(s, 0));
		indexed = sqlite3_column_int64(s, 1);
		sqlite3_finalize(s);
		sqlite3_close(db);
		assert_true(indexed > 0);
		unlink(path);
		snprintf(sql, sizeof(sql), "%s-wal", path);
		unlink(sql);
		snprintf(sql, sizeof(sql), "CREATE TABLE state (id INTEGER PRIMARY KEY,"
		    " install_id TEXT NOT NULL, indexed INTEGER NOT NULL, edits INTEGER NOT NULL);"
		    "INSERT INTO state VALUES (1, '%s', %lld, 0);"
		    "CREATE VIRTUAL TABLE messages_text USING fts5(body, content='',"
		    " columnsize=0, tokenize='trigram');", install, (long long)indexed);
		assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
		assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
		sqlite3_close(db);
		st = sb_store_open(dbpath, 1, &err);
		assert_non_null(st);
		assert_int_equal(sb_store_text_indexed(st), 0);
		assert_int_equal(sb_store_text_index_now(st), 0);
		assert_int_equal(search_text(st, "delta"), 1);
		sb_store_close(st);
		assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
		assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_schema"
		    " WHERE name = 'messages_text' AND sql LIKE '%detail=none%'", -1, &s, NULL),
		    SQLITE_OK);
		assert_int_equal(sqlite3_step(s), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int(s, 0), 1);
		sqlite3_finalize(s);
		sqlite3_close(db);
	}
	assert_int_equal(text_matches("delta"), 1);
}

/*
 * The index keeps no positions: it gives the texts holding every trigram
 * of the searched text, and the search keeps those that hold the text
 * itself; letters compare by their lowercase, in the index's part and in
 * the part it has not taken in alike.
 */
static void
test_text_search_decides_on_the_index_candidates(void **state)
{
	static const struct {
		const char *text;
		size_t found;
	} cases[] = {
		{ "order 1234", 1 },   /* "order 9 1234" holds its trigrams, not it */
		{ "ORDER 9", 1 },
		{ "ação", 2 },         /* folded: "AÇÃO confirmada", "sua ação" */
		{ "ÇÃO CONF", 1 },
		{ "\"quoted\"", 1 },
		{ "1234 order", 0 },
		{ "日本語", 1 },
		{ "本語の", 0 },
	};
	struct sb_error err = { 0 };
	struct sb_store *st = sb_store_open(dbpath, 1, &err);
	struct sb_search q = { .subaccount = "acme", .text = "ab", .limit = 10 };
	char expr[128];

	(void)state;
	assert_non_null(st);
	insert_text(st, "+5511999990000", "your order 1234 shipped");
	insert_text(st, "+5511999990001", "order 9 1234");
	insert_text(st, "+5511999990002", "AÇÃO confirmada");
	insert_text(st, "+5511999990003", "sua ação");
	insert_text(st, "+5511999990004", "a \"quoted\" word");
	insert_text(st, "+5511999990005", "日本語");
	assert_int_equal(sb_store_commit(st), 0);
	/* Before the index has them (a scan), then through the index. */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			if (search_text(st, cases[i].text) != cases[i].found)
				fail_msg("pass %d: '%s' found %zu times, not %zu", pass,
				    cases[i].text, search_text(st, cases[i].text), cases[i].found);
		assert_int_equal(sb_store_text_index_now(st), 0);
	}
	/* The index's query: trigrams side by side and the last one, ANDed. */
	assert_int_equal(sb_store_match_expr("order 1234", expr, sizeof(expr)), 4);
	assert_string_equal(expr, "\"ord\" AND \"er \" AND \"123\" AND \"234\"");
	assert_int_equal(sb_store_match_expr("a\"bc", expr, sizeof(expr)), 2);
	assert_string_equal(expr, "\"a\"\"b\" AND \"\"\"bc\"");
	assert_int_equal(sb_store_match_expr("日本", expr, sizeof(expr)), 0);
	assert_int_equal(sb_store_match_expr("order 1234", expr, 20), -1);
	/* Three characters at least, not three bytes. */
	q.text = "日本";
	assert_int_equal(sb_search_check(&q, &err), -1);
	assert_non_null(strstr(err.message, "at least 3 characters"));
	sb_store_close(st);
}

/*
 * The store writes its WAL through store_walvfs.c (a transaction's frames
 * collected and written at its commit frame, in writes of up to 128 KiB).
 * A process that committed four groups of 250 messages (each more than
 * one 128 KiB write) dies without closing, so nothing but the commits
 * themselves wrote the runs out; a connection on the default VFS then
 * recovers the WAL, which checks every frame's checksum, and finds every row; the database
 * passes SQLite's integrity check, and a checkpoint copies every frame.
 */
static void
test_wal_written_in_frames_reads_back(void **state)
{
	struct sb_error err = { 0 };
	sqlite3 *db;
	sqlite3_stmt *s;
	int nlog = -1, ncopied = -1, status = -1;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sb_store *st = sb_store_open(dbpath, 1, &err);

		for (int g = 0; st != NULL && g < 4; g++) {
			for (int i = 0; i < 250; i++) {
				char to[32];
				struct sb_message m = {
					.subaccount = "acme", .chain = "default", .to = to,
					.text = "a text long enough to fill pages across the groups",
					.status = SB_ST_QUEUED, .created_ms = 1, .send_at_ms = 1,
					.expires_ms = 9000,
				};

				snprintf(to, sizeof(to), "+55119%08d", g * 1000 + i);
				if (sb_store_message_insert(st, &m, &err) < 0)
					_exit(1);
			}
			if (sb_store_commit(st) < 0)
				_exit(1);
		}
		_exit(st != NULL ? 0 : 1); /* no close: the WAL stays as written */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(s, 0), "ok");
	sqlite3_finalize(s);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM messages", -1, &s, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(s, 0), 1000);
	sqlite3_finalize(s);
	assert_int_equal(sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, &nlog,
	    &ncopied), SQLITE_OK);
	assert_true(nlog > 0);
	assert_int_equal(ncopied, nlog);
	sqlite3_close(db);
}

/* How many messages of `acme` a text search finds. */
static size_t
search_text(struct sb_store *st, const char *text)
{
	struct sb_search q = { .subaccount = "acme", .text = text, .limit = 100 };
	struct sb_error err = { 0 };
	json_t *res;
	size_t n;

	assert_int_equal(sb_search_check(&q, &err), 0);
	res = sb_store_search(st, &q, &err);
	assert_non_null(res);
	n = json_array_size(json_object_get(res, "messages"));
	json_decref(res);
	return n;
}

/*
 * A store of schema 11 kept its text index inside (messages_text, its
 * change trigger, the mark in meta): the migration drops them, and the
 * index made in <database>.text finds every text, the old ones included.
 */
static void
test_migrates_the_text_index_out_of_the_store(void **state)
{
	struct sb_error err = { 0 };
	struct sb_store *st;
	sqlite3 *db;

	(void)state;
	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
	for (int v = 0; v < 11; v++)
		assert_int_equal(sqlite3_exec(db, sb_store_migration_sql(v), NULL, NULL, NULL),
		    SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 11;"
	    "INSERT INTO messages (id, subaccount, chain, to_addr, body, status, created_ms,"
	    " send_at_ms, expires_ms, updated_ms) VALUES"
	    " (1, 'acme', 'c', '+5511999990001', 'old sierra tango', 'delivered', 1, 1, 9, 1),"
	    " (2, 'acme', 'c', '+5511999990002', 'old uniform', 'scheduled', 1, 1, 9, 1);"
	    "INSERT INTO messages_text (rowid, body) SELECT id, body FROM messages;"
	    "UPDATE meta SET value = 2 WHERE key = 'text_indexed';", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	st = sb_store_open(dbpath, 1, &err);
	assert_non_null(st);
	assert_int_equal(sb_store_schema_version(st), SB_STORE_SCHEMA_VERSION);
	assert_int_equal(search_text(st, "sierra"), 1);
	assert_int_equal(sb_store_message_set_text(st, 2, "new victor"), 0);
	assert_int_equal(sb_store_commit(st), 0);
	assert_int_equal(sb_store_text_index_now(st), 0);
	assert_int_equal(sb_store_text_indexed(st), 2);
	assert_int_equal(search_text(st, "sierra"), 1);
	assert_int_equal(search_text(st, "victor"), 1);
	assert_int_equal(search_text(st, "uniform"), 0);
	sb_store_close(st);
	assert_int_equal(text_matches("tango"), 1);
	assert_int_equal(text_matches("victor"), 1);
	assert_int_equal(text_matches("uniform"), 0);
	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "SELECT 1 FROM messages_text", NULL, NULL, NULL),
	    SQLITE_ERROR);
	sqlite3_close(db);
}

/*
 * The index is brought up to date in batches, on its own thread, so a
 * crash can leave committed messages out of it: a search after the
 * restart finds them by their text, and the index takes them in.
 */
static void
test_text_found_after_a_crash(void **state)
{
	struct sb_error err = { 0 };
	struct sb_store *st;
	int status = -1;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* Stored and committed, then the process dies without closing. */
		st = sb_store_open(dbpath, 1, &err);
		for (int i = 0; st != NULL && i < 3; i++) {
			struct sb_message m = {
				.subaccount = "acme", .chain = "default", .to = "+5511999990000",
				.text = i == 1 ? "november oscar" : "papa quebec", .status = SB_ST_QUEUED,
				.created_ms = 1, .send_at_ms = 1, .expires_ms = 9000,
			};

			if (sb_store_message_insert(st, &m, &err) < 0 || sb_store_commit(st) < 0)
				_exit(1);
		}
		_exit(st != NULL ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	st = sb_store_open(dbpath, 1, &err);
	assert_non_null(st);
	assert_int_equal(search_text(st, "november"), 1);
	assert_int_equal(search_text(st, "quebec"), 2);
	assert_int_equal(sb_store_text_index_now(st), 0);
	assert_int_equal(search_text(st, "november"), 1);
	assert_int_equal(search_text(st, "quebec"), 2);
	sb_store_close(st);
	/* The index holds every row (FTS5's integrity-check). */
	assert_int_equal(text_matches("oscar"), 1);
	assert_int_equal(text_matches("papa"), 2);
}

/* ---- the group commit on a loop: the disk wait is the syncer's ---- */

struct loop_probe {
	struct event_base *base;
	int64_t acked_us, ticked_us, start_us;
	int acks;
};

static int64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
probe_acked(void *arg, int ok)
{
	struct loop_probe *p = arg;

	assert_true(ok);
	p->acked_us = mono_us();
	p->acks++;
	event_base_loopbreak(p->base);
}

static void
probe_tick(evutil_socket_t fd, short what, void *arg)
{
	struct loop_probe *p = arg;

	p->ticked_us = mono_us();
}

static void
test_loop_never_waits_for_the_disk(void **state)
{
	struct sb_error err = { 0 };
	struct sb_store *st = sb_store_open(dbpath, 1, &err);
	struct loop_probe p = { .base = event_base_new() };
	struct sb_message m = {
		.subaccount = "acme", .chain = "default", .to = "+5511999990000",
		.text = "hello", .status = SB_ST_QUEUED, .created_ms = 1, .send_at_ms = 1,
		.expires_ms = 9000,
	};
	struct timeval tick = { 0, 50000 };
	struct event *tick_ev = evtimer_new(p.base, probe_tick, &p);

	assert_non_null(st);
	assert_int_equal(sb_store_attach(st, p.base, 0, 4096), 0);
	/* A disk that takes 300 ms per sync. */
	sb_store_set_sync_delay(st, 300);
	p.start_us = mono_us();
	assert_int_equal(sb_store_message_insert(st, &m, &err), 0);
	assert_int_equal(sb_store_after_commit(st, probe_acked, &p), 0);
	evtimer_add(tick_ev, &tick);
	event_base_dispatch(p.base);
	/* The loop ran its 50 ms timer while the sync went on ... */
	assert_true(p.ticked_us > 0 && p.ticked_us - p.start_us < 250000);
	/* ... and the acknowledgement came only after the sync. */
	assert_int_equal(p.acks, 1);
	assert_true(p.acked_us - p.start_us >= 300000);
	assert_true(p.acked_us > p.ticked_us);
	/* A group that gathers during a sync commits when it is done. */
	assert_int_equal(sb_store_message_insert(st, &m, &err), 0);
	assert_int_equal(sb_store_after_commit(st, probe_acked, &p), 0);
	sb_store_set_sync_delay(st, 0);
	event_base_dispatch(p.base);
	assert_int_equal(p.acks, 2);
	event_free(tick_ev);
	sb_store_close(st);
	event_base_free(p.base);
	/* Both messages are on disk. */
	st = sb_store_open(dbpath, 1, &err);
	assert_non_null(st);
	assert_int_equal(sb_store_message_status(st, m.id), SB_ST_QUEUED);
	assert_int_equal(sb_store_message_status(st, m.id - 1), SB_ST_QUEUED);
	sb_store_close(st);
}

/* Wait (up to 10 s, in real time) for the text index to have every text
 * and change committed. */
static int
wait_indexed(struct sb_store *st)
{
	for (int i = 0; i < 2000; i++) {
		struct timespec ms5 = { 0, 5000000 };

		if (sb_store_text_unindexed(st) == 0)
			return 1;
		nanosleep(&ms5, NULL);
	}
	return 0;
}

/*
 * Attached to a loop, the store hands each committed group's texts to
 * its indexer thread (a queue; no read of the store), which wakes after
 * a batch and looks once a second for the few a quiet store commits. A
 * savepoint's rollback takes its texts back; a change reaches the index
 * through the queue too; a queue that overflows is dropped and the
 * indexer catches up from the store. Real time.
 */
static void
test_text_indexed_by_its_thread(void **state)
{
	struct sb_error err = { 0 };
	struct sb_store *st = sb_store_open(dbpath, 1, &err);
	struct event_base *base = event_base_new();
	char to[32], text[64];
	int64_t first = 0, undone, kept;

	(void)state;
	assert_non_null(st);
	assert_int_equal(sb_store_attach(st, base, 0, 1000000), 0);
	for (int i = 0; i < 300; i++) {
		snprintf(to, sizeof(to), "+55119999%05d", i);
		snprintf(text, sizeof(text), "%s%05d of the batch", i == 0 ? "whiskey" : "item", i);
		if (i == 0)
			first = insert_text(st, to, text);
		else
			insert_text(st, to, text);
	}
	assert_int_equal(sb_store_commit(st), 0);
	assert_true(wait_indexed(st));
	insert_text(st, "+5511999990000", "one quiet message");
	assert_int_equal(sb_store_commit(st), 0);
	assert_true(wait_indexed(st));
	assert_int_equal(search_text(st, "quiet"), 1);
	assert_int_equal(search_text(st, "item00299"), 1);
	assert_int_equal(sb_store_savepoint(st), 0);
	undone = insert_text(st, "+5511999990000", "xray undone");
	assert_int_equal(sb_store_savepoint_end(st, 0), 0);
	kept = insert_text(st, "+5511999990000", "yankee kept");
	assert_int_equal(kept, undone);
	assert_int_equal(sb_store_message_set_text(st, first, "zulu changed"), 0);
	assert_int_equal(sb_store_commit(st), 0);
	assert_true(wait_indexed(st));
	/* More than the queue holds, in one group. */
	for (int i = 0; i < 20001; i++) {
		snprintf(to, sizeof(to), "+5511%08d", i);
		insert_text(st, to, "flood");
	}
	assert_int_equal(sb_store_commit(st), 0);
	assert_true(wait_indexed(st));
	sb_store_close(st);
	event_base_free(base);
	assert_int_equal(text_matches("batch"), 299);
	assert_int_equal(text_matches("whiskey"), 0);
	assert_int_equal(text_matches("zulu"), 1);
	assert_int_equal(text_matches("quiet"), 1);
	assert_int_equal(text_matches("undone"), 0);
	assert_int_equal(text_matches("yankee"), 1);
	assert_int_equal(text_matches("flood"), 20001);
}

/*
 * Under steady load the next group always begins before the
 * checkpointer's round is done; the WAL must still rewind instead of
 * growing without end. Each acknowledgement writes the next group at once,
 * with pages no group shares, so a round copies as much as the groups
 * write meanwhile: the WAL reaches the bound where groups wait for it.
 */
struct steady_load {
	struct event_base *base;
	struct sb_store *st;
	int groups;
	int64_t max_wal;
};

static int64_t
wal_size(void)
{
	char p[300];
	struct stat sb;

	snprintf(p, sizeof(p), "%s-wal", dbpath);
	return stat(p, &sb) == 0 ? (int64_t)sb.st_size : 0;
}

static void
steady_acked(void *arg, int ok)
{
	static char vars[3001];
	struct steady_load *l = arg;
	struct sb_error err = { 0 };
	/* Large rows, but a short text: the text index's merges would make
	 * single groups of thousands of pages. */
	struct sb_message m = {
		.subaccount = "acme", .chain = "default", .to = "+5511999990000",
		.text = "steady", .template_vars = vars, .status = SB_ST_QUEUED,
		.created_ms = 1, .send_at_ms = 1, .expires_ms = 9000,
	};
	int64_t w = wal_size();

	assert_true(ok);
	if (w > l->max_wal)
		l->max_wal = w;
	if (++l->groups > 400 || (sb_store_wal_rewinds(l->st) >= 3 && l->groups > 300)) {
		event_base_loopbreak(l->base);
		return;
	}
	for (int i = 0; i < 60; i++) {
		snprintf(vars, sizeof(vars), "{\"n\": \"%d %0*d\"}", l->groups * 100 + i, 2900, i);
		assert_int_equal(sb_store_message_insert(l->st, &m, &err), 0);
	}
	assert_int_equal(sb_store_after_commit(l->st, steady_acked, l), 0);
}

static void
test_wal_rewinds_under_steady_load(void **state)
{
	struct sb_error err = { 0 };
	struct steady_load l = { .base = event_base_new() };

	l.st = sb_store_open(dbpath, 1, &err);
	assert_non_null(l.st);
	assert_int_equal(sb_store_attach(l.st, l.base, 0, 100000), 0);
	steady_acked(&l, 1);
	event_base_dispatch(l.base);
	/*
	 * ~60 pages a group: the WAL passes 4000 pages every ~70 groups, and
	 * groups go on while the checkpointer copies, up to 6000 pages of
	 * 4 KiB frames (24.7 MB), where they wait for it, plus the group that
	 * passed that mark.
	 */
	assert_true(l.max_wal < 26 * 1048576);
	assert_true(sb_store_wal_rewinds(l.st) >= 3);
	sb_store_close(l.st);
	event_base_free(l.base);
}

/*
 * A checkpoint round (here 900 ms long) does not hold acknowledgements
 * back: groups go on committing and syncing while the checkpointer copies,
 * until the WAL reaches its bound (HOLD_PAGES in store_group.c, 2000
 * pages past the mark, which one-message groups of about ten pages fill
 * in some 200 groups). The WAL is first filled past the checkpoint mark with
 * large groups; then one message a group is acknowledged after another
 * until the round is over and the WAL has rewound. With the checkpoint on
 * the syncer's thread, as it was, the first of those groups waited for
 * the whole round.
 */
struct ckpt_load {
	struct event_base *base;
	struct sb_store *st;
	int64_t small_from_us, end_us;
	int small, small_acks;
};

static void
ckpt_acked(void *arg, int ok)
{
	static char vars[3001];
	struct ckpt_load *l = arg;
	struct sb_error err = { 0 };
	struct sb_message m = {
		.subaccount = "acme", .chain = "default", .to = "+5511999990000",
		.text = "steady", .status = SB_ST_QUEUED, .created_ms = 1, .send_at_ms = 1,
		.expires_ms = 9000,
	};
	int64_t now = mono_us();
	int n = 1;

	assert_true(ok);
	if (l->small) {
		if (sb_store_wal_rewinds(l->st) >= 1 || now - l->small_from_us > 5000000) {
			l->end_us = now;
			event_base_loopbreak(l->base);
			return;
		}
		l->small_acks++;
	} else if (wal_size() > 4100 * 4120) {
		/* Past the mark: the round was asked for at this group's COMMIT. */
		l->small = 1;
		l->small_from_us = now;
	} else {
		m.template_vars = vars;
		n = 60;
	}
	for (int i = 0; i < n; i++) {
		snprintf(vars, sizeof(vars), "{\"n\": \"%lld %0*d\"}", (long long)now, 2900, i);
		assert_int_equal(sb_store_message_insert(l->st, &m, &err), 0);
	}
	assert_int_equal(sb_store_after_commit(l->st, ckpt_acked, l), 0);
}

static void
test_acks_go_on_during_a_checkpoint(void **state)
{
	struct sb_error err = { 0 };
	struct ckpt_load l = { .base = event_base_new() };

	(void)state;
	l.st = sb_store_open(dbpath, 1, &err);
	assert_non_null(l.st);
	assert_int_equal(sb_store_attach(l.st, l.base, 0, 100000), 0);
	sb_store_set_checkpoint_delay(l.st, 900);
	ckpt_acked(&l, 1);
	event_base_dispatch(l.base);
	/* The round ran (it took its 900 ms) and the WAL rewound after it ... */
	assert_true(sb_store_wal_rewinds(l.st) >= 1);
	assert_true(l.end_us - l.small_from_us >= 900000);
	/* ... while groups were acknowledged meanwhile, up to the WAL's bound. */
	assert_true(l.small_acks >= 20);
	sb_store_close(l.st);
	event_base_free(l.base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_migrates_empty_database, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attempt_key_shape, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_daemon_per_database, setup, teardown),
		cmocka_unit_test_setup_teardown(test_loop_never_waits_for_the_disk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_savepoint_undoes_only_its_writes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_depth_follows_the_writes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_folder_counts_follow_the_writes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attempt_state_as_last_written, setup, teardown),
		cmocka_unit_test_setup_teardown(test_text_index_follows_commits_and_changes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_text_index_made_anew_when_it_is_not_the_stores,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_text_search_decides_on_the_index_candidates,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_text_found_after_a_crash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_text_indexed_by_its_thread, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrates_the_text_index_out_of_the_store, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_acks_go_on_during_a_checkpoint, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_wal_written_in_frames_reads_back, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_wal_rewinds_under_steady_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_newer_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrates_from_old_version_keeping_rows, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_group_commit_and_attempts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attempt_change_writes_only_what_it_carries,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_count_using_across_subaccounts, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_idempotency_key_unique_per_subaccount, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_list_filters_and_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_schedule_fields, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
