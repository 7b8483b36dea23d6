/*
 * test_stats.c - the statistics aggregates (msg_stats, bcast_stats, kept
 * by the store once per group from every status or channel-type change,
 * store_tally.c) equal a count(*) over the rows after a random mixed run
 * with rolled-back savepoints and reads inside open groups (the store's
 * cache of the newest messages, which spares a status move its read of the
 * row, included), and the
 * figures and the 3-month limit of store_stats.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store.h"
#include "store_bcast.h"
#include "store_internal.h"
#include "store_search.h"
#include "store_stats.h"

#define DAY (24LL * 3600 * 1000)
#define T0 1767225600000LL /* 2026-01-01 */

static int64_t
scalar(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	int64_t v = -1;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

/* The moves a message may make in this model (any order the engine allows). */
static const enum sb_status nexts[] = {
	SB_ST_SENDING, SB_ST_ACCEPTED, SB_ST_DELIVERED, SB_ST_READ, SB_ST_UNDELIVERABLE,
	SB_ST_FAILED, SB_ST_EXPIRED, SB_ST_CANCELLED, SB_ST_QUEUED,
};
static const char *const types[] = { "sms", "whatsapp", "line_push", "line_notify" };
static const char *const tpls[] = { NULL, "welcome", "otp" };

static int64_t
count_in(const enum sb_status *cur, int n, enum sb_status status)
{
	int64_t c = 0;

	for (int i = 0; i < n; i++)
		c += cur[i] == status;
	return c;
}

/* msg_stats holds what a count(*) over messages says, key by key. */
static void
assert_msg_stats_equal_counts(const char *path)
{
	assert_int_equal(scalar(path,
	    "SELECT count(*) FROM (SELECT subaccount, created_ms / 86400000 AS day,"
	    " coalesce(template_name, '') AS t, coalesce(channel_type, '') AS c, status,"
	    " count(*) AS n FROM messages GROUP BY 1, 2, 3, 4, 5) r"
	    " FULL JOIN (SELECT * FROM msg_stats WHERE n > 0) a"
	    " ON a.subaccount = r.subaccount AND a.day = r.day AND a.template = r.t"
	    " AND a.channel_type = r.c AND a.status = r.status"
	    " WHERE a.n IS NOT r.n"), 0);
	assert_int_equal(scalar(path, "SELECT count(*) FROM msg_stats WHERE n < 0"), 0);
}

static void
test_aggregates_equal_counts(void **state)
{
	char path[64];
	struct sb_error err = { 0 };
	struct sb_store *st;
	int64_t ids[400], bids[4], singles[400 / 11 + 1];
	enum sb_status cur[400];

	(void)state;
	snprintf(path, sizeof(path), "/tmp/sb-test-stats-%d.db", (int)getpid());
	sb_store_remove_files(path);
	st = sb_store_open(path, 0, &err);
	assert_non_null(st);
	srandom(12);
	for (int b = 0; b < 4; b++) {
		struct sb_broadcast_row r = { .subaccount = "acme", .source = "api",
		    .chain = "default", .created_ms = T0 };

		bids[b] = sb_store_broadcast_insert(st, &r, &err);
	}
	for (int i = 0; i < 400; i++) {
		char to[32];
		struct sb_message m;

		snprintf(to, sizeof(to), "+5511999%06d", i);
		/* Every 11th is a single send: a broadcast of its own, counted
		 * from the message, not in bcast_stats. */
		if (i % 11 == 0) {
			struct sb_broadcast_row r = { .subaccount = "acme", .source = "api",
			    .chain = "default", .created_ms = T0, .single_message = 1 };

			singles[i / 11] = sb_store_broadcast_insert(st, &r, &err);
		}
		m = (struct sb_message){
			.subaccount = i % 5 == 0 ? "other" : "acme", .chain = "default", .to = to,
			.text = "hi", .template_name = tpls[i % 3],
			.status = i % 7 == 0 ? SB_ST_SCHEDULED : SB_ST_QUEUED,
			.created_ms = T0 + (i % 40) * DAY / 4, .send_at_ms = T0,
			.expires_ms = T0 + DAY, .broadcast_id = i % 11 == 0 ? singles[i / 11] :
			    i % 9 == 0 ? 0 : bids[i % 4],
			.broadcast_single = i % 11 == 0,
		};
		assert_int_equal(sb_store_message_insert(st, &m, &err), 0);
		ids[i] = m.id;
		cur[i] = m.status;
	}
	/* Random moves, channel changes (fallbacks) and late receipts. */
	for (int k = 0; k < 3000; k++) {
		int i = (int)(random() % 400);
		enum sb_status to = nexts[random() % (sizeof(nexts) / sizeof(nexts[0]))];

		if (random() % 3 == 0)
			sb_store_message_set_channel_type(st, ids[i], types[random() % 4]);
		if (sb_store_message_update(st, ids[i], cur[i], to, -1, NULL, 0, T0) == 0)
			cur[i] = to;
		/* A submission that fails half way: a savepoint rolled back, with
		 * a new message and moves in it (none of it may count). */
		if (k % 97 == 0) {
			struct sb_message m = {
				.subaccount = "acme", .chain = "default", .to = "+5511988887777",
				.status = SB_ST_QUEUED, .created_ms = T0, .broadcast_id = bids[0],
			};

			assert_int_equal(sb_store_savepoint(st), 0);
			assert_int_equal(sb_store_message_insert(st, &m, &err), 0);
			assert_int_equal(sb_store_message_update(st, m.id, SB_ST_QUEUED,
			    SB_ST_SENDING, -1, NULL, 0, T0), 0);
			sb_store_message_set_channel_type(st, ids[i], "sms");
			sb_store_message_update(st, ids[i], cur[i], SB_ST_CANCELLED, -1, NULL, 0, T0);
			assert_int_equal(sb_store_savepoint_end(st, 0), 0);
		}
		/* A read inside an open group sees the group's moves. */
		if (k % 250 == 0) {
			int64_t counts[SB_ST_COUNT], sum = 0;

			assert_int_equal(sb_store_count_by_status(st, counts), 0);
			for (int c = 0; c < SB_ST_COUNT; c++)
				sum += counts[c];
			assert_int_equal(sum, 400);
			assert_int_equal(counts[SB_ST_DELIVERED], count_in(cur, 400, SB_ST_DELIVERED));
		}
		if (k % 500 == 0)
			assert_int_equal(sb_store_commit(st), 0);
	}
	assert_int_equal(sb_store_commit(st), 0);
	/* Every (subaccount, day, template, type, status) group and every broadcast. */
	assert_msg_stats_equal_counts(path);
	assert_int_equal(scalar(path,
	    "SELECT count(*) FROM (SELECT broadcast_id, status, count(*) AS n FROM messages"
	    " WHERE broadcast_id IS NOT NULL AND broadcast_id NOT IN"
	    "  (SELECT id FROM broadcasts WHERE single_message) GROUP BY 1, 2) r"
	    " FULL JOIN (SELECT * FROM bcast_stats WHERE n > 0) a"
	    " ON a.broadcast_id = r.broadcast_id AND a.status = r.status WHERE a.n IS NOT r.n"),
	    0);
	assert_int_equal(scalar(path, "SELECT count(*) FROM bcast_stats WHERE broadcast_id IN"
	    " (SELECT id FROM broadcasts WHERE single_message)"), 0);
	/* What the readers say of every broadcast, single sends included. */
	for (int b = 0; b < 4 + 400 / 11 + 1; b++) {
		int64_t id = b < 4 ? bids[b] : singles[b - 4];
		json_t *show = sb_store_broadcast_json(st, id, NULL, 0, 0, 1);
		json_t *list = sb_store_broadcast_list(st, NULL, id + 1, 1);
		json_t *row = json_array_get(json_object_get(list, "broadcasts"), 0);
		char q[160];
		int64_t n, unfinished;
		struct sb_broadcast_state bs;

		snprintf(q, sizeof(q), "SELECT count(*) FROM messages WHERE broadcast_id = %lld",
		    (long long)id);
		n = scalar(path, q);
		snprintf(q, sizeof(q), "SELECT count(*) FROM messages WHERE broadcast_id = %lld"
		    " AND status IN ('scheduled', 'queued', 'sending', 'accepted')", (long long)id);
		unfinished = scalar(path, q);
		assert_non_null(show);
		assert_int_equal(json_integer_value(json_object_get(show, "messages")), n);
		assert_int_equal(json_integer_value(json_object_get(row, "id")), id);
		assert_int_equal(json_integer_value(json_object_get(row, "messages")), n);
		assert_int_equal(json_integer_value(json_object_get(row, "final")), n - unfinished);
		assert_int_equal(sb_store_broadcast_state(st, id, NULL, &bs), 0);
		assert_int_equal(bs.unfinished, unfinished);
		json_decref(show);
		json_decref(list);
	}
	assert_int_equal(scalar(path, "SELECT sum(n) FROM msg_stats"), 400);
	/* The figures: triggers of acme's templates add up to its messages. */
	{
		struct sb_stats_query q = { .subaccount = "acme", .by = "template",
		    .from_ms = T0, .until_ms = T0 + 20 * DAY };
		json_t *res;
		int64_t want = scalar(path, "SELECT count(*) FROM messages WHERE subaccount = 'acme'");
		int64_t dl = scalar(path, "SELECT count(*) FROM messages WHERE subaccount = 'acme'"
		    " AND status IN ('delivered', 'read')");

		assert_int_equal(sb_stats_check(&q, T0, &err), 0);
		res = sb_store_stats(st, &q, &err);
		assert_non_null(res);
		assert_int_equal(json_integer_value(json_object_get(json_object_get(res, "total"),
		    "triggers")), want);
		assert_int_equal(json_integer_value(json_object_get(json_object_get(res, "total"),
		    "delivered")), dl);
		assert_int_equal(json_array_size(json_object_get(res, "rows")), 3);
		json_decref(res);
	}
	sb_store_close(st);
	sb_store_remove_files(path);
}

/* The text a broadcast's show and list answer with. */
static void
assert_bcast_text(struct sb_store *st, int64_t id, const char *want)
{
	json_t *show = sb_store_broadcast_json(st, id, NULL, 0, 0, 1);
	json_t *list = sb_store_broadcast_list(st, NULL, id + 1, 1);
	json_t *row = json_array_get(json_object_get(list, "broadcasts"), 0);

	assert_non_null(show);
	assert_int_equal(json_integer_value(json_object_get(row, "id")), id);
	if (want == NULL) {
		assert_true(json_is_null(json_object_get(show, "text")));
		assert_true(json_is_null(json_object_get(row, "text")));
	} else {
		assert_string_equal(json_string_value(json_object_get(show, "text")), want);
		assert_string_equal(json_string_value(json_object_get(row, "text")), want);
	}
	json_decref(show);
	json_decref(list);
}

/*
 * A broadcast of one message sent without a template keeps no copy of the
 * text (every single API send makes one): show, list and a restart read
 * it from the message. With a template it has no text, though its message
 * has one; a broadcast of many keeps its own.
 */
static void
test_single_broadcast_text(void **state)
{
	char path[64], q[128];
	struct sb_error err = { 0 };
	struct sb_store *st;
	struct sb_broadcast_row plain = { .subaccount = "acme", .source = "api",
	    .chain = "default", .text = "your code is 1234", .created_ms = T0,
	    .single_message = 1 };
	struct sb_broadcast_row tpl = { .subaccount = "acme", .source = "api",
	    .chain = "default", .template_name = "otp", .created_ms = T0,
	    .single_message = 1 };
	struct sb_broadcast_row many = { .subaccount = "acme", .source = "api",
	    .chain = "default", .text = "sale today", .created_ms = T0 };
	int64_t ids[3], restarted;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/sb-test-stats-text-%d.db", (int)getpid());
	sb_store_remove_files(path);
	st = sb_store_open(path, 0, &err);
	assert_non_null(st);
	ids[0] = sb_store_broadcast_insert(st, &plain, &err);
	ids[1] = sb_store_broadcast_insert(st, &tpl, &err);
	ids[2] = sb_store_broadcast_insert(st, &many, &err);
	for (int i = 0; i < 3; i++) {
		struct sb_message m = {
			.subaccount = "acme", .chain = "default", .to = "+5511999990000",
			.text = i == 1 ? "rendered 5678" : i == 0 ? plain.text : many.text,
			.template_name = i == 1 ? "otp" : NULL, .status = SB_ST_FAILED,
			.created_ms = T0, .send_at_ms = T0, .expires_ms = T0 + DAY,
			.broadcast_id = ids[i], .broadcast_single = i < 2,
		};

		assert_true(ids[i] > 0);
		assert_int_equal(sb_store_message_insert(st, &m, &err), 0);
	}
	restarted = sb_store_broadcast_insert_restart(st, ids[0], "ops", T0 + 1, &err);
	assert_true(restarted > 0);
	assert_int_equal(sb_store_commit(st), 0);
	snprintf(q, sizeof(q), "SELECT count(*) FROM broadcasts WHERE id = %lld AND body IS NULL",
	    (long long)ids[0]);
	assert_int_equal(scalar(path, q), 1);
	assert_bcast_text(st, ids[0], "your code is 1234");
	assert_bcast_text(st, ids[1], NULL);
	assert_bcast_text(st, ids[2], "sale today");
	assert_bcast_text(st, restarted, "your code is 1234");
	sb_store_close(st);
	sb_store_remove_files(path);
}

static void
count_unsent(void *arg, int64_t message_id, enum sb_status status)
{
	(void)message_id;
	(void)status;
	++*(int *)arg;
}

static void
count_retry(void *arg, int64_t message_id, const char *to)
{
	(void)message_id;
	(void)to;
	++*(int *)arg;
}

/* Searches by a broadcast and a status: their count, and their plan. */
static int64_t
search_bcast(struct sb_store *st, int64_t bid, const char *status, char *plan, size_t len)
{
	struct sb_search q = { .subaccount = "acme", .broadcast_id = bid, .status = status,
	    .limit = 10 };
	struct sb_error err = { 0 };
	json_t *res;
	int64_t n;

	assert_int_equal(sb_search_check(&q, &err), 0);
	assert_int_equal(sb_store_search_plan(st, &q, plan, len), 0);
	res = sb_store_search(st, &q, &err);
	assert_non_null(res);
	n = json_integer_value(json_object_get(res, "total"));
	json_decref(res);
	return n;
}

/*
 * The indexes by broadcast and status and by broadcast and number hold
 * only broadcasts of many (bcast_many): a broadcast of one (every single
 * API send) is found without them, by stop, restart, show and search
 * alike, and a broadcast of many is read through them.
 */
static void
test_broadcast_of_one_and_of_many(void **state)
{
	char path[64], plan[4096], q[160];
	struct sb_error err = { 0 };
	struct sb_store *st;
	struct sb_broadcast_row one = { .subaccount = "acme", .source = "api",
	    .chain = "default", .text = "code 1234", .created_ms = T0, .single_message = 1 };
	struct sb_broadcast_row many = { .subaccount = "acme", .source = "api",
	    .chain = "default", .text = "sale today", .created_ms = T0 };
	static const enum sb_status many_st[] = { SB_ST_QUEUED, SB_ST_FAILED, SB_ST_DELIVERED };
	int64_t bids[2];
	int n;
	json_t *show;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/sb-test-stats-one-%d.db", (int)getpid());
	sb_store_remove_files(path);
	st = sb_store_open(path, 0, &err);
	assert_non_null(st);
	bids[0] = sb_store_broadcast_insert(st, &one, &err);
	bids[1] = sb_store_broadcast_insert(st, &many, &err);
	for (int i = 0; i < 4; i++) {
		char to[20];
		struct sb_message m = {
			.subaccount = "acme", .chain = "default", .to = to, .text = "x",
			.status = i == 0 ? SB_ST_FAILED : many_st[i - 1], .created_ms = T0,
			.send_at_ms = T0, .expires_ms = T0 + DAY,
			.broadcast_id = bids[i == 0 ? 0 : 1], .broadcast_single = i == 0,
		};

		snprintf(to, sizeof(to), "+551199999000%d", i);
		assert_int_equal(sb_store_message_insert(st, &m, &err), 0);
	}
	assert_int_equal(sb_store_commit(st), 0);
	snprintf(q, sizeof(q), "SELECT count(*) FROM messages WHERE broadcast_id = %lld"
	    " AND bcast_many IS NULL", (long long)bids[0]);
	assert_int_equal(scalar(path, q), 1);
	snprintf(q, sizeof(q), "SELECT count(*) FROM messages WHERE broadcast_id = %lld"
	    " AND bcast_many = 1", (long long)bids[1]);
	assert_int_equal(scalar(path, q), 3);

	/* The broadcast of one: its failed message is restartable, shown, found. */
	n = 0;
	assert_int_equal(sb_store_broadcast_retry_each(st, bids[0], "", 10, count_retry, &n), 1);
	assert_int_equal(n, 1);
	assert_int_equal(sb_store_broadcast_retry_count(st, bids[0]), 1);
	n = 0;
	assert_int_equal(sb_store_broadcast_unsent(st, bids[0], 10, count_unsent, &n), 0);
	show = sb_store_broadcast_json(st, bids[0], NULL, 0, 0, 10);
	assert_int_equal(json_array_size(json_object_get(show, "failed")), 1);
	json_decref(show);
	assert_int_equal(search_bcast(st, bids[0], "failed", plan, sizeof(plan)), 1);
	assert_null(strstr(plan, "messages_bcast_status"));

	/* The broadcast of many, through the partial indexes. */
	n = 0;
	assert_int_equal(sb_store_broadcast_unsent(st, bids[1], 10, count_unsent, &n), 1);
	assert_int_equal(sb_store_broadcast_retry_count(st, bids[1]), 1);
	show = sb_store_broadcast_json(st, bids[1], NULL, 0, 0, 10);
	assert_int_equal(json_array_size(json_object_get(show, "failed")), 1);
	assert_int_equal(json_array_size(json_object_get(show, "successful")), 1);
	json_decref(show);
	assert_int_equal(search_bcast(st, bids[1], "queued", plan, sizeof(plan)), 1);
	assert_non_null(strstr(plan, "messages_bcast_status"));
	sb_store_close(st);
	sb_store_remove_files(path);
}

/*
 * A store of schema 16 had every broadcast's messages in the indexes by
 * status and by number: the migration marks those of broadcasts of many
 * (older rows of single_message 0 included) and leaves the others out.
 */
static void
test_migration_marks_broadcasts_of_many(void **state)
{
	char path[64];
	struct sb_error err = { 0 };
	struct sb_store *st;
	sqlite3 *db;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/sb-test-stats-mig-%d.db", (int)getpid());
	sb_store_remove_files(path);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	for (int v = 0; v < 16; v++)
		assert_int_equal(sqlite3_exec(db, sb_store_migration_sql(v), NULL, NULL, NULL),
		    SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 16;"
	    "INSERT INTO broadcasts (id, subaccount, source, created_ms, single_message) VALUES"
	    " (1, 'acme', 'api', 1, 1), (2, 'acme', 'file', 1, 0);"
	    "INSERT INTO messages (id, subaccount, chain, to_addr, body, status, created_ms,"
	    " send_at_ms, expires_ms, updated_ms, broadcast_id) VALUES"
	    " (1, 'acme', 'c', '+5511999990001', 'a', 'failed', 1, 1, 9, 1, 1),"
	    " (2, 'acme', 'c', '+5511999990002', 'b', 'failed', 1, 1, 9, 1, 2),"
	    " (3, 'acme', 'c', '+5511999990003', 'c', 'queued', 1, 1, 9, 1, 2),"
	    " (4, 'acme', 'c', '+5511999990004', 'd', 'queued', 1, 1, 9, 1, NULL);",
	    NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	st = sb_store_open(path, 0, &err);
	assert_non_null(st);
	assert_int_equal(scalar(path, "SELECT count(*) FROM messages WHERE bcast_many = 1"
	    " AND id IN (2, 3)"), 2);
	assert_int_equal(scalar(path, "SELECT count(*) FROM messages WHERE bcast_many = 1"), 2);
	assert_int_equal(sb_store_broadcast_retry_count(st, 1), 1);
	assert_int_equal(sb_store_broadcast_retry_count(st, 2), 1);
	sb_store_close(st);
	sb_store_remove_files(path);
}

/*
 * The store's cache of the newest messages (store_msgcache.c) must forget
 * a rolled-back insert: SQLite gives its id to the next message, and a
 * move of that one counted under the first one's key would leave msg_stats
 * off by one in two places (and its attempts would carry the first one's
 * subaccount and validity end).
 */
static void
test_msgcache_forgets_a_rolled_back_insert(void **state)
{
	char path[64];
	struct sb_error err = { 0 };
	struct sb_store *st;
	struct sb_message a = {
		.subaccount = "acme", .chain = "default", .to = "+5511999990001", .text = "a",
		.template_name = "otp", .status = SB_ST_QUEUED, .created_ms = T0,
		.send_at_ms = T0, .expires_ms = T0 + DAY,
	};
	struct sb_message b = {
		.subaccount = "other", .chain = "default", .to = "+5511999990002", .text = "b",
		.status = SB_ST_QUEUED, .created_ms = T0 + 3 * DAY, .send_at_ms = T0,
		.expires_ms = T0 + 4 * DAY, .channel_type = "sms",
	};
	int64_t expires = 0, att;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/sb-test-stats-key-%d.db", (int)getpid());
	sb_store_remove_files(path);
	st = sb_store_open(path, 0, &err);
	assert_non_null(st);
	assert_int_equal(sb_store_savepoint(st), 0);
	assert_int_equal(sb_store_message_insert(st, &a, &err), 0);
	assert_int_equal(sb_store_message_update(st, a.id, SB_ST_QUEUED, SB_ST_SENDING, -1, NULL, 0,
	    T0), 0);
	assert_int_equal(sb_store_savepoint_end(st, 0), 0);
	assert_int_equal(sb_store_message_insert(st, &b, &err), 0);
	assert_int_equal(b.id, a.id);
	assert_int_equal(sb_store_message_update(st, b.id, SB_ST_QUEUED, SB_ST_SENDING, -1, NULL, 0,
	    T0), 0);
	assert_int_equal(sb_store_message_set_channel_type(st, b.id, "whatsapp"), 0);
	assert_int_equal(sb_store_message_update(st, b.id, SB_ST_SENDING, SB_ST_DELIVERED, -1,
	    NULL, 0, T0), 0);
	assert_int_equal(sb_store_commit(st), 0);
	assert_msg_stats_equal_counts(path);
	assert_int_equal(scalar(path, "SELECT n FROM msg_stats WHERE subaccount = 'other'"
	    " AND channel_type = 'whatsapp' AND status = 'delivered'"), 1);
	/* The other facts it keeps are b's too: status, subaccount, validity. */
	assert_int_equal(sb_store_message_status(st, b.id), SB_ST_DELIVERED);
	assert_true(sb_store_attempt_insert(st, b.id, 0, "sms", SB_ST_QUEUED, T0, T0,
	    &expires) > 0);
	assert_int_equal(expires, b.expires_ms);
	/* A new validity end (a reschedule) is what the next step carries. */
	assert_int_equal(sb_store_message_set_times(st, b.id, T0, T0 + 9 * DAY), 0);
	assert_true((att = sb_store_attempt_insert(st, b.id, 1, "sms", SB_ST_QUEUED, T0, T0,
	    &expires)) > 0);
	assert_int_equal(expires, T0 + 9 * DAY);
	assert_int_equal(sb_store_commit(st), 0);
	{
		char q[128];

		snprintf(q, sizeof(q), "SELECT count(*) FROM attempts WHERE message_id = %lld"
		    " AND subaccount = 'other'", (long long)b.id);
		assert_int_equal(scalar(path, q), 2);
		snprintf(q, sizeof(q), "SELECT expire_ms FROM attempts WHERE id = %lld",
		    (long long)att);
		assert_int_equal(scalar(path, q), T0 + 9 * DAY);
	}
	sb_store_close(st);
	sb_store_remove_files(path);
}

static void
test_checks(void **state)
{
	struct sb_error err = { 0 };
	struct sb_stats_query q = { .subaccount = "acme", .by = "template", .from_ms = T0,
	    .until_ms = T0 + 93 * DAY };

	(void)state;
	assert_int_equal(sb_stats_check(&q, T0, &err), -1);
	assert_non_null(strstr(err.message, "3 months"));
	q = (struct sb_stats_query){ .subaccount = "acme", .by = "channel" };
	assert_int_equal(sb_stats_check(&q, T0, &err), -1);
	q = (struct sb_stats_query){ .subaccount = "acme", .by = "channel_type" };
	assert_int_equal(sb_stats_check(&q, T0 + 40 * DAY, &err), 0);
	assert_int_equal(q.until_ms - q.from_ms, 30 * DAY);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aggregates_equal_counts),
		cmocka_unit_test(test_single_broadcast_text),
		cmocka_unit_test(test_broadcast_of_one_and_of_many),
		cmocka_unit_test(test_migration_marks_broadcasts_of_many),
		cmocka_unit_test(test_msgcache_forgets_a_rolled_back_insert),
		cmocka_unit_test(test_checks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
