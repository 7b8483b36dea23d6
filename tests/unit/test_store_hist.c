/*
 * test_store_hist.c - a message's history, kept in its row (store_hist.c):
 * the first entry its INSERT writes, what a change writes, what the API
 * reads back (times, attempts, reasons of any bytes), and the migration
 * of the older history rows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store.h"
#include "store_internal.h"

static char dbpath[256];

static int
setup(void **state)
{
	(void)state;
	snprintf(dbpath, sizeof(dbpath), "/tmp/sb-test-hist-%d.db", (int)getpid());
	sb_store_remove_files(dbpath);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	sb_store_remove_files(dbpath);
	return 0;
}

/* The message each test stores: text, queued, created at 1 s. */
static struct sb_message
queued_message(void)
{
	return (struct sb_message){
		.subaccount = "acme", .chain = "default", .to = "+5511999990000",
		.text = "hello", .status = SB_ST_QUEUED, .created_ms = 1000, .send_at_ms = 1000,
		.expires_ms = 900000,
	};
}

/* Entry i of the message's history, as the API shows it. */
static json_t *
entry(json_t *m, size_t i)
{
	json_t *e = json_array_get(json_object_get(m, "history"), i);

	assert_non_null(e);
	return e;
}

static void
assert_entry(json_t *m, size_t i, const char *at, const char *status, int64_t attempt,
    const char *reason)
{
	json_t *e = entry(m, i);

	assert_string_equal(json_string_value(json_object_get(e, "at")), at);
	assert_string_equal(json_string_value(json_object_get(e, "status")), status);
	if (attempt == 0)
		assert_true(json_is_null(json_object_get(e, "attempt")));
	else
		assert_int_equal(json_integer_value(json_object_get(e, "attempt")), attempt);
	if (reason == NULL)
		assert_true(json_is_null(json_object_get(e, "reason")));
	else
		assert_string_equal(json_string_value(json_object_get(e, "reason")), reason);
}

static char *
raw_hist(int64_t id)
{
	static char buf[512];
	sqlite3 *db;
	sqlite3_stmt *s;

	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT hist FROM messages WHERE id = ?", -1, &s,
	    NULL), SQLITE_OK);
	sqlite3_bind_int64(s, 1, id);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	snprintf(buf, sizeof(buf), "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	sqlite3_close(db);
	return buf;
}

/*
 * Each change is one entry, in order, written with the status it records;
 * reasons come back byte for byte whatever they hold (quotes, backslashes,
 * newlines, control characters, non-ASCII), and bytes that are not UTF-8
 * as U+FFFD; a reason of "" is none.
 */
static void
test_history_kept_in_the_row(void **state)
{
	struct sb_error err = { 0 };
	struct sb_store *st = sb_store_open(dbpath, 1, &err);
	struct sb_message m = queued_message();
	int64_t a1, a2;
	json_t *j;

	(void)state;
	assert_non_null(st);
	/* Its INSERT writes the first entry: queued, with its first attempt. */
	assert_int_equal(sb_store_message_insert(st, &m, &err), 0);
	a1 = sb_store_attempt_insert(st, m.id, 0, "sms", SB_ST_QUEUED, 1000, 1000, NULL);
	assert_true(a1 > 0);
	assert_int_equal(sb_store_message_update(st, m.id, SB_ST_QUEUED, SB_ST_SENDING, -1, "",
	    a1, 1002), 0);
	assert_int_equal(sb_store_message_update(st, m.id, SB_ST_SENDING, SB_ST_QUEUED, -1,
	    "HTTP 500 \"internal\\trouble\"\nline two\x01 \xff end", a1, 1250), 0);
	/* The write is compare-and-set: a stale status writes no entry. */
	assert_int_equal(sb_store_message_update(st, m.id, SB_ST_SENDING, SB_ST_ACCEPTED, -1,
	    NULL, a1, 1300), 1);
	a2 = sb_store_attempt_insert(st, m.id, 1, "line", SB_ST_QUEUED, 1400, 1400, NULL);
	assert_int_equal(sb_store_message_update(st, m.id, SB_ST_QUEUED, SB_ST_DELIVERED, -1,
	    "entregue: ção 日本", a2, 61000), 0);
	/* A change of no attempt, before the message was created (a clock
	 * set back): a negative time still reads back. */
	assert_int_equal(sb_store_history_add(st, m.id, 0, SB_ST_DELIVERED, "late", 900), 0);
	assert_int_equal(sb_store_commit(st), 0);

	j = sb_store_message_json(st, m.id, NULL);
	assert_non_null(j);
	assert_int_equal(json_array_size(json_object_get(j, "history")), 5);
	assert_entry(j, 0, "1970-01-01T00:00:01.000Z", "queued", a1, NULL);
	assert_entry(j, 1, "1970-01-01T00:00:01.002Z", "sending", a1, NULL);
	assert_entry(j, 2, "1970-01-01T00:00:01.250Z", "queued", a1,
	    "HTTP 500 \"internal\\trouble\"\nline two\x01 \xef\xbf\xbd end");
	assert_entry(j, 3, "1970-01-01T00:01:01.000Z", "delivered", a2,
	    "entregue: ção 日本");
	assert_entry(j, 4, "1970-01-01T00:00:00.900Z", "delivered", 0, "late");
	json_decref(j);
	sb_store_close(st);
	/* Stored compact: times after created_ms, statuses by code (queued 2,
	 * sending 3, delivered 5), attempts after the message's id. */
	assert_non_null(strstr(raw_hist(m.id), ",[0,2],[2,3,"));
	assert_non_null(strstr(raw_hist(m.id), ",[-100,5,null,\"late\"]"));
}

/* A reason longer than the tail's own buffer, escaped at its longest
 * (a control character takes six bytes), reads back whole. */
static void
test_long_reason_reads_back_whole(void **state)
{
	struct sb_error err = { 0 };
	struct sb_store *st = sb_store_open(dbpath, 1, &err);
	struct sb_message m = queued_message();
	char reason[1201];
	json_t *j;

	(void)state;
	for (size_t i = 0; i < sizeof(reason) - 1; i++)
		reason[i] = i % 3 == 0 ? '\x02' : i % 3 == 1 ? '"' : 'z';
	reason[sizeof(reason) - 1] = '\0';
	assert_non_null(st);
	assert_int_equal(sb_store_message_insert(st, &m, &err), 0);
	assert_int_equal(sb_store_message_update(st, m.id, SB_ST_QUEUED, SB_ST_FAILED, -1, reason,
	    0, 1001), 0);
	assert_int_equal(sb_store_commit(st), 0);
	j = sb_store_message_json(st, m.id, NULL);
	assert_int_equal(json_array_size(json_object_get(j, "history")), 2);
	assert_entry(j, 1, "1970-01-01T00:00:01.001Z", "failed", 0, reason);
	json_decref(j);
	sb_store_close(st);
}

/*
 * The first entry comes with the row: a message stored queued whose first
 * step never inserted an attempt shows none; one stored sending (the direct
 * start) shows queued and sending, both with its first attempt; one stored
 * with another status shows it with its reason; and a first step that did not start
 * replaces the "queued" entry with its own (update_first), so the history
 * is what happened, not what was expected.
 */
static void
test_first_entry_comes_with_the_row(void **state)
{
	struct sb_error err = { 0 };
	struct sb_store *st = sb_store_open(dbpath, 1, &err);
	struct sb_message q = queued_message(), sch = q, held = q, direct = q;
	int64_t att;
	json_t *j;

	(void)state;
	assert_non_null(st);
	assert_int_equal(sb_store_message_insert(st, &q, &err), 0);
	/* The direct start: stored sending, its attempt inserted next. */
	direct.status = SB_ST_SENDING;
	assert_int_equal(sb_store_message_insert(st, &direct, &err), 0);
	att = sb_store_attempt_insert(st, direct.id, 0, "sms", SB_ST_SENDING, 1000, 1000, NULL);
	assert_true(att > 0);
	sch.status = SB_ST_SCHEDULED;
	sch.reason = "wait \"here\"";
	sch.send_at_ms = 5000;
	assert_int_equal(sb_store_message_insert(st, &sch, &err), 0);
	assert_int_equal(sb_store_message_insert(st, &held, &err), 0);
	assert_int_equal(sb_store_message_update_first(st, held.id, SB_ST_QUEUED,
	    SB_ST_SCHEDULED, -1, "waiting for allowed hours", 1001), 0);
	/* Compare-and-set still: a stale status replaces nothing. */
	assert_int_equal(sb_store_message_update_first(st, held.id, SB_ST_QUEUED,
	    SB_ST_CANCELLED, -1, NULL, 1002), 1);
	assert_int_equal(sb_store_commit(st), 0);

	j = sb_store_message_json(st, q.id, NULL);
	assert_int_equal(json_array_size(json_object_get(j, "history")), 1);
	assert_entry(j, 0, "1970-01-01T00:00:01.000Z", "queued", 0, NULL);
	json_decref(j);
	j = sb_store_message_json(st, sch.id, NULL);
	assert_int_equal(json_array_size(json_object_get(j, "history")), 1);
	assert_entry(j, 0, "1970-01-01T00:00:01.000Z", "scheduled", 0, "wait \"here\"");
	json_decref(j);
	assert_string_equal(raw_hist(direct.id), ",[0,2],[0,3]");
	j = sb_store_message_json(st, direct.id, NULL);
	assert_string_equal(json_string_value(json_object_get(j, "status")), "sending");
	assert_int_equal(json_array_size(json_object_get(j, "history")), 2);
	assert_entry(j, 0, "1970-01-01T00:00:01.000Z", "queued", att, NULL);
	assert_entry(j, 1, "1970-01-01T00:00:01.000Z", "sending", att, NULL);
	json_decref(j);
	j = sb_store_message_json(st, held.id, NULL);
	assert_int_equal(json_array_size(json_object_get(j, "history")), 1);
	assert_entry(j, 0, "1970-01-01T00:00:01.001Z", "scheduled", 0,
	    "waiting for allowed hours");
	json_decref(j);
	sb_store_close(st);
}

/*
 * A store of schema 15 kept the history in its own table: the migration
 * writes each message's rows into its row, in their order (not the order
 * of their times), with their reasons and attempts, and drops the table.
 */
static void
test_migrates_history_into_the_row(void **state)
{
	struct sb_error err = { 0 };
	struct sb_store *st;
	sqlite3 *db;
	json_t *j;

	(void)state;
	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
	for (int v = 0; v < 15; v++)
		assert_int_equal(sqlite3_exec(db, sb_store_migration_sql(v), NULL, NULL, NULL),
		    SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 15;"
	    "INSERT INTO messages (id, subaccount, chain, to_addr, body, status, created_ms,"
	    " send_at_ms, expires_ms, updated_ms) VALUES"
	    " (7, 'acme', 'c', '+5511999990001', 'one', 'delivered', 5000, 5000, 9000, 1),"
	    " (8, 'acme', 'c', '+5511999990002', 'two', 'rejected', 6000, 6000, 9000, 1),"
	    " (9, 'acme', 'c', '+5511999990003', 'three', 'queued', 6000, 6000, 9000, 1);"
	    "INSERT INTO attempts (id, message_id, step, instance, status, created_ms) VALUES"
	    " (40, 7, 0, 'sms', 'delivered', 5000);"
	    "INSERT INTO history (id, message_id, attempt_id, status, reason, at_ms) VALUES"
	    " (1, 7, 40, 'queued', NULL, 5000),"
	    " (2, 8, NULL, 'rejected', 'the word \"x\" is blocked', 6000),"
	    " (3, 7, 40, 'sending', NULL, 5003),"
	    " (4, 7, 40, 'delivered', 'ok\\n', 5001);", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	st = sb_store_open(dbpath, 1, &err);
	assert_non_null(st);
	assert_int_equal(sb_store_schema_version(st), SB_STORE_SCHEMA_VERSION);
	j = sb_store_message_json(st, 7, NULL);
	assert_int_equal(json_array_size(json_object_get(j, "history")), 3);
	assert_entry(j, 0, "1970-01-01T00:00:05.000Z", "queued", 40, NULL);
	assert_entry(j, 1, "1970-01-01T00:00:05.003Z", "sending", 40, NULL);
	assert_entry(j, 2, "1970-01-01T00:00:05.001Z", "delivered", 40, "ok\\n");
	json_decref(j);
	j = sb_store_message_json(st, 8, NULL);
	assert_int_equal(json_array_size(json_object_get(j, "history")), 1);
	assert_entry(j, 0, "1970-01-01T00:00:06.000Z", "rejected", 0,
	    "the word \"x\" is blocked");
	json_decref(j);
	j = sb_store_message_json(st, 9, NULL);
	assert_int_equal(json_array_size(json_object_get(j, "history")), 0);
	json_decref(j);
	/* New changes append after the migrated ones. */
	assert_int_equal(sb_store_message_update(st, 9, SB_ST_QUEUED, SB_ST_CANCELLED, -1,
	    "stopped", 0, 6500), 0);
	assert_int_equal(sb_store_commit(st), 0);
	j = sb_store_message_json(st, 9, NULL);
	assert_entry(j, 0, "1970-01-01T00:00:06.500Z", "cancelled", 0, "stopped");
	json_decref(j);
	/* A row of words, then a code: both read back. */
	assert_int_equal(sb_store_history_add(st, 7, 40, SB_ST_READ, NULL, 5100), 0);
	assert_int_equal(sb_store_commit(st), 0);
	j = sb_store_message_json(st, 7, NULL);
	assert_int_equal(json_array_size(json_object_get(j, "history")), 4);
	assert_entry(j, 2, "1970-01-01T00:00:05.001Z", "delivered", 40, "ok\\n");
	assert_entry(j, 3, "1970-01-01T00:00:05.100Z", "read", 40, NULL);
	json_decref(j);
	sb_store_close(st);
	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "SELECT 1 FROM history", NULL, NULL, NULL),
	    SQLITE_ERROR);
	sqlite3_close(db);
}

/*
 * Every status is stored by its code and reads back as its word; the
 * codes are the stored format (a database keeps them), so they are checked
 * here one by one. An entry of a code no status has is left out, not
 * shown as some status.
 */
static void
test_statuses_stored_by_code(void **state)
{
	static const char *const by_code[] = {
		"scheduled", "blocked_time", "queued", "sending", "accepted", "delivered",
		"read", "undeliverable", "failed", "rejected", "cancelled", "expired",
	};
	struct sb_error err = { 0 };
	struct sb_store *st = sb_store_open(dbpath, 1, &err);
	struct sb_message m = queued_message();
	char want[64];
	sqlite3 *db;
	json_t *j;

	(void)state;
	assert_int_equal(sizeof(by_code) / sizeof(by_code[0]), SB_ST_COUNT);
	assert_non_null(st);
	assert_int_equal(sb_store_message_insert(st, &m, &err), 0);
	for (size_t i = 0; i < SB_ST_COUNT; i++)
		assert_int_equal(sb_store_history_add(st, m.id, 0,
		    (enum sb_status)sb_status_parse(by_code[i]), NULL, 1001 + (int64_t)i), 0);
	assert_int_equal(sb_store_commit(st), 0);
	for (size_t i = 0; i < SB_ST_COUNT; i++) {
		snprintf(want, sizeof(want), ",[%zu,%zu,null]", i + 1, i);
		assert_non_null(strstr(raw_hist(m.id), want));
	}
	j = sb_store_message_json(st, m.id, NULL);
	assert_int_equal(json_array_size(json_object_get(j, "history")), 1 + SB_ST_COUNT);
	for (size_t i = 0; i < SB_ST_COUNT; i++)
		assert_string_equal(json_string_value(json_object_get(entry(j, 1 + i), "status")),
		    by_code[i]);
	json_decref(j);
	sb_store_close(st);

	/* Codes past the table, and of the wrong type, are no entry. */
	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "UPDATE messages SET hist ="
	    " ',[0,2],[1,12,null],[2,-1,null],[3,2.5,null],[4,5,null]'", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	st = sb_store_open(dbpath, 1, &err);
	assert_non_null(st);
	j = sb_store_message_json(st, m.id, NULL);
	assert_int_equal(json_array_size(json_object_get(j, "history")), 2);
	assert_entry(j, 0, "1970-01-01T00:00:01.000Z", "queued", 0, NULL);
	assert_entry(j, 1, "1970-01-01T00:00:01.004Z", "delivered", 0, NULL);
	json_decref(j);
	sb_store_close(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_history_kept_in_the_row, setup, teardown),
		cmocka_unit_test_setup_teardown(test_first_entry_comes_with_the_row, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_long_reason_reads_back_whole, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_migrates_history_into_the_row, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_statuses_stored_by_code, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
