/*
 * test_search.c - the operator's message search (core/store_search.c):
 * every filter is answered from an index (EXPLAIN QUERY PLAN: no scan of
 * the table, and no sort where one index gives the order), the groups,
 * keyset pages that stay put under inserts, the capped total, and the
 * argument checks (3-month limit, groups, types, text length).
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

#include "chantype.h"
#include "store.h"
#include "store_bcast.h"
#include "store_search.h"

#define DAY (24LL * 3600 * 1000)
#define T0 1767225600000LL /* 2026-01-01 */

static struct sb_store *
open_store(void)
{
	struct sb_error err = { 0 };
	struct sb_store *st = sb_store_open(":memory:", 0, &err);

	assert_non_null(st);
	return st;
}

static int64_t
add(struct sb_store *st, const char *to, const char *text, const char *tpl, int64_t bcast,
    int64_t at)
{
	struct sb_error err = { 0 };
	struct sb_message m = {
		.subaccount = "acme", .chain = "default", .to = to, .text = text,
		.template_name = tpl, .status = SB_ST_QUEUED, .created_ms = at,
		.send_at_ms = at, .expires_ms = at + DAY, .broadcast_id = bcast,
	};

	assert_int_equal(sb_store_message_insert(st, &m, &err), 0);
	return m.id;
}

static void
set_status(struct sb_store *st, int64_t id, enum sb_status to)
{
	assert_int_equal(sb_store_message_update(st, id, SB_ST_QUEUED, to, -1, NULL, 0, T0), 0);
}

/* No line of the plan scans the messages table itself. */
static void
assert_indexed(struct sb_store *st, struct sb_search *q, int sorted_ok, const char *what)
{
	char plan[4096];

	assert_int_equal(sb_store_search_plan(st, q, plan, sizeof(plan)), 0);
	for (char *line = strtok(plan, "\n"); line != NULL; line = strtok(NULL, "\n")) {
		if ((strncmp(line, "SCAN m", 6) == 0 || strncmp(line, "SCAN messages", 13) == 0) &&
		    strstr(line, "INDEX") == NULL) {
			fail_msg("%s: a table scan: %s", what, line);
		}
		if (!sorted_ok && strstr(line, "TEMP B-TREE") != NULL)
			fail_msg("%s: sorts instead of reading an index in order: %s", what, line);
	}
}

static void
test_every_filter_uses_an_index(void **state)
{
	struct sb_store *st = open_store();
	struct sb_search base = { .subaccount = "acme", .limit = 50 };
	struct sb_search q;
	struct sb_error err = { 0 };

	(void)state;
	for (int i = 0; i < 50; i++)
		add(st, "+5511999990001", "hello world", NULL, 0, T0 + i);
	assert_int_equal(sb_store_commit(st), 0);
#define CASE(field, value, sorted_ok)                                           \
	do {                                                                     \
		q = base;                                                        \
		q.field = value;                                                 \
		assert_int_equal(sb_search_check(&q, &err), 0);                  \
		assert_indexed(st, &q, sorted_ok, #field);                       \
	} while (0)
	q = base;
	assert_indexed(st, &q, 0, "no filter");
	CASE(status, "delivered", 0);
	CASE(group, "sent", 0);
	CASE(broadcast_id, 7, 0);
	CASE(channel_type, "sms", 0);
	CASE(to, "+5511999990001", 0);
	CASE(template_name, "welcome", 0);
	CASE(file_name, "list.csv", 1);
	CASE(text, "world", 1);
	CASE(from_ms, T0, 0);
	CASE(until_ms, T0 + DAY, 0);
	CASE(before_id, 10, 0);
#undef CASE
	/* The template index holds only messages with a template (a partial
	 * index): a search by template still reads it. */
	{
		char plan[4096];

		q = base;
		q.template_name = "welcome";
		assert_int_equal(sb_store_search_plan(st, &q, plan, sizeof(plan)), 0);
		assert_non_null(strstr(plan, "messages_sub_tpl"));
	}
	sb_store_close(st);
}

/* The index of the filter the statistics count fewest messages of drives a
 * search by status and channel type; a status with none is not read. */
static void
test_fewest_drives(void **state)
{
	struct sb_store *st = open_store();
	struct sb_search q = { .subaccount = "acme", .limit = 10 };
	struct sb_error err = { 0 };
	char plan[4096];
	int64_t id, rejected = 0;
	json_t *res;

	(void)state;
	for (int i = 0; i < 60; i++) {
		id = add(st, "+5511999990001", "hello", NULL, 0, T0 + i);
		assert_int_equal(sb_store_message_set_channel_type(st, id, i < 2 ? "whatsapp" :
		    "sms"), 0);
		set_status(st, id, i == 30 ? SB_ST_REJECTED : SB_ST_DELIVERED);
		if (i == 30)
			rejected = id;
	}
	/* One rejected among 58 SMS: the status's index. */
	q.status = "rejected";
	q.channel_type = "sms";
	assert_int_equal(sb_store_search_plan(st, &q, plan, sizeof(plan)), 0);
	assert_non_null(strstr(plan, "messages_sub_status"));
	res = sb_store_search(st, &q, &err);
	assert_int_equal(json_integer_value(json_object_get(res, "total")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(res,
	    "messages"), 0), "id")), rejected);
	json_decref(res);
	/* Two WhatsApp among 59 delivered: the channel type's. */
	q.status = "delivered";
	q.channel_type = "whatsapp";
	assert_int_equal(sb_store_search_plan(st, &q, plan, sizeof(plan)), 0);
	assert_non_null(strstr(plan, "messages_sub_type"));
	res = sb_store_search(st, &q, &err);
	assert_int_equal(json_integer_value(json_object_get(res, "total")), 2);
	json_decref(res);
	/* failed = failed, rejected, expired: only rejected has one. */
	q = (struct sb_search){ .subaccount = "acme", .group = "failed", .channel_type = "sms",
	    .limit = 10 };
	res = sb_store_search(st, &q, &err);
	assert_int_equal(json_integer_value(json_object_get(res, "total")), 1);
	json_decref(res);
	q.channel_type = "whatsapp";
	res = sb_store_search(st, &q, &err);
	assert_int_equal(json_integer_value(json_object_get(res, "total")), 0);
	assert_int_equal(json_array_size(json_object_get(res, "messages")), 0);
	json_decref(res);
	sb_store_close(st);
}

static void
test_groups_pages_and_total(void **state)
{
	struct sb_store *st = open_store();
	struct sb_search q = { .subaccount = "acme", .group = "sent", .limit = 2 };
	struct sb_error err = { 0 };
	int64_t ids[6];
	json_t *res, *list;

	(void)state;
	for (int i = 0; i < 6; i++)
		ids[i] = add(st, "+5511999990001", "promo code", NULL, 0, T0 + i);
	set_status(st, ids[0], SB_ST_DELIVERED);
	set_status(st, ids[1], SB_ST_READ);
	set_status(st, ids[2], SB_ST_DELIVERED);
	set_status(st, ids[3], SB_ST_EXPIRED);
	res = sb_store_search(st, &q, &err);
	assert_non_null(res);
	list = json_object_get(res, "messages");
	assert_int_equal(json_array_size(list), 2);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(list, 0), "id")),
	    ids[2]);
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0),
	    "group")), "sent");
	/* The group's statuses are read apart and merged by id. */
	assert_int_equal(json_integer_value(json_object_get(json_array_get(list, 1), "id")),
	    ids[1]);
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 1),
	    "status")), "read");
	assert_int_equal(json_integer_value(json_object_get(res, "total")), 3);
	assert_true(json_is_true(json_object_get(res, "total_exact")));
	q.before_id = json_integer_value(json_object_get(res, "next_before"));
	json_decref(res);
	/* A newer message does not move the next page. */
	set_status(st, add(st, "+5511999990001", "late", NULL, 0, T0 + 10), SB_ST_DELIVERED);
	res = sb_store_search(st, &q, &err);
	list = json_object_get(res, "messages");
	assert_int_equal(json_array_size(list), 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(list, 0), "id")),
	    ids[0]);
	assert_true(json_is_null(json_object_get(res, "next_before")));
	json_decref(res);
	/* failed = failed, rejected, expired; processing = queued. */
	q = (struct sb_search){ .subaccount = "acme", .group = "failed", .limit = 10 };
	res = sb_store_search(st, &q, &err);
	assert_int_equal(json_integer_value(json_object_get(res, "total")), 1);
	json_decref(res);
	q = (struct sb_search){ .subaccount = "acme", .group = "processing", .limit = 10 };
	res = sb_store_search(st, &q, &err);
	assert_int_equal(json_integer_value(json_object_get(res, "total")), 2);
	json_decref(res);
	/* A status and a group: the status if the group holds it, else nothing. */
	q = (struct sb_search){ .subaccount = "acme", .group = "sent", .status = "read",
	    .limit = 10 };
	res = sb_store_search(st, &q, &err);
	assert_int_equal(json_integer_value(json_object_get(res, "total")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(res,
	    "messages"), 0), "id")), ids[1]);
	json_decref(res);
	q.status = "expired";
	res = sb_store_search(st, &q, &err);
	assert_int_equal(json_integer_value(json_object_get(res, "total")), 0);
	assert_int_equal(json_array_size(json_object_get(res, "messages")), 0);
	json_decref(res);
	/* A group and a text: each status through both parts of the text search. */
	q = (struct sb_search){ .subaccount = "acme", .group = "sent", .text = "code",
	    .limit = 10 };
	res = sb_store_search(st, &q, &err);
	assert_int_equal(json_integer_value(json_object_get(res, "total")), 3);
	list = json_object_get(res, "messages");
	assert_int_equal(json_array_size(list), 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(json_integer_value(json_object_get(json_array_get(list,
		    (size_t)i), "id")), ids[2 - i]);
	json_decref(res);
	/* Text contains, through the trigram index. */
	q = (struct sb_search){ .subaccount = "acme", .text = "code", .limit = 10 };
	res = sb_store_search(st, &q, &err);
	assert_int_equal(json_integer_value(json_object_get(res, "total")), 6);
	json_decref(res);
	/* Another subaccount sees none of them. */
	q = (struct sb_search){ .subaccount = "other", .limit = 10 };
	res = sb_store_search(st, &q, &err);
	assert_int_equal(json_integer_value(json_object_get(res, "total")), 0);
	json_decref(res);
	sb_store_close(st);
}

static void
test_time_range_and_file(void **state)
{
	struct sb_store *st = open_store();
	struct sb_broadcast_row b = {
		.subaccount = "acme", .source = "file", .file_name = "june.csv",
		.chain = "default", .created_ms = T0,
	};
	struct sb_error err = { 0 };
	struct sb_search q;
	int64_t bid = sb_store_broadcast_insert(st, &b, &err);
	json_t *res;

	(void)state;
	assert_true(bid > 0);
	add(st, "+5511999990001", "a", NULL, 0, T0);
	add(st, "+5511999990002", "b", NULL, bid, T0 + 10 * DAY);
	add(st, "+5511999990003", "c", "welcome", bid, T0 + 20 * DAY);
	q = (struct sb_search){ .subaccount = "acme", .from_ms = T0 + DAY,
	    .until_ms = T0 + 15 * DAY, .limit = 10 };
	assert_int_equal(sb_search_check(&q, &err), 0);
	res = sb_store_search(st, &q, &err);
	assert_int_equal(json_integer_value(json_object_get(res, "total")), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(res, "messages"), 0), "to")), "+5511999990002");
	json_decref(res);
	q = (struct sb_search){ .subaccount = "acme", .file_name = "june.csv", .limit = 10 };
	res = sb_store_search(st, &q, &err);
	assert_int_equal(json_integer_value(json_object_get(res, "total")), 2);
	json_decref(res);
	q = (struct sb_search){ .subaccount = "acme", .template_name = "welcome", .limit = 10 };
	res = sb_store_search(st, &q, &err);
	assert_int_equal(json_integer_value(json_object_get(res, "total")), 1);
	json_decref(res);
	sb_store_close(st);
}

/*
 * A text search on a store with a text index (a file): the messages the
 * index covers come from it (its plan reads the index, in order), those
 * it has not caught up with (newer ones, changed texts) from their text,
 * and one page after another gives both, newest first, each once.
 */
static void
test_text_pages_across_the_index_and_what_it_has_not_seen(void **state)
{
	struct sb_error err = { 0 };
	char path[64], plan[4096];
	struct sb_store *st;
	struct sb_search q = { .subaccount = "acme", .text = "code", .limit = 3 };
	const int64_t want[] = { 12, 11, 10, 9, 8, 7, 6, 5, 4, 2, 1 };
	size_t got = 0;
	int64_t before = 0;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/sb-test-search-%d.db", (int)getpid());
	sb_store_remove_files(path);
	st = sb_store_open(path, 0, &err);
	assert_non_null(st);
	for (int i = 1; i <= 8; i++)
		assert_int_equal(add(st, "+5511999990001", "your code", NULL, 0, T0 + i), i);
	assert_int_equal(sb_store_commit(st), 0);
	assert_int_equal(sb_store_text_index_now(st), 0);
	assert_int_equal(sb_store_text_indexed(st), 8);
	/* The index merges its segments 16 at a time, not FTS5's 4 (store_text.c). */
	{
		char tpath[80];
		sqlite3 *tdb = NULL;
		sqlite3_stmt *s = NULL;

		snprintf(tpath, sizeof(tpath), "%s.text", path);
		assert_int_equal(sqlite3_open_v2(tpath, &tdb, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_prepare_v2(tdb, "SELECT v FROM messages_text_config"
		    " WHERE k = 'automerge'", -1, &s, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_step(s), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int(s, 0), 16);
		sqlite3_finalize(s);
		sqlite3_close(tdb);
	}
	for (int i = 9; i <= 12; i++)
		assert_int_equal(add(st, "+5511999990001", "a CODE too", NULL, 0, T0 + i), i);
	add(st, "+5511999990001", "nothing here", NULL, 0, T0 + 13);
	/* Changed after the index took them in. */
	assert_int_equal(sb_store_message_set_text(st, 3, "no match"), 0);
	assert_int_equal(sb_store_message_set_text(st, 1, "still a code"), 0);
	assert_int_equal(sb_store_commit(st), 0);
	assert_int_equal(sb_store_search_plan(st, &q, plan, sizeof(plan)), 0);
	assert_non_null(strstr(plan, "VIRTUAL TABLE INDEX"));
	assert_null(strstr(plan, "TEMP B-TREE FOR ORDER BY"));
	do {
		json_t *res, *list;

		q.before_id = before;
		res = sb_store_search(st, &q, &err);
		assert_non_null(res);
		assert_int_equal(json_integer_value(json_object_get(res, "total")), 11);
		list = json_object_get(res, "messages");
		for (size_t i = 0; i < json_array_size(list); i++) {
			assert_true(got < sizeof(want) / sizeof(want[0]));
			assert_int_equal(json_integer_value(json_object_get(json_array_get(list, i),
			    "id")), want[got++]);
		}
		before = json_is_null(json_object_get(res, "next_before")) ? 0 :
		    json_integer_value(json_object_get(res, "next_before"));
		json_decref(res);
	} while (before > 0);
	assert_int_equal(got, sizeof(want) / sizeof(want[0]));
	sb_store_close(st);
	sb_store_remove_files(path);
}

/*
 * A trigger-time range becomes an id range by a binary search over the
 * ids (store_search.c, id_at): at every edge (before all, after all, on a
 * message's time, between two, ties) the count is the one a scan gives.
 */
static void
test_time_ranges_at_every_edge(void **state)
{
	struct sb_store *st = open_store();
	struct sb_error err = { 0 };
	int64_t at[301];
	const int n = 301;

	(void)state;
	for (int i = 0; i < n; i++) {
		at[i] = T0 + DAY + (int64_t)(i / 3) * 1000 + (i % 3 == 2 ? 500 : 0);
		add(st, "+5511999990001", "x", NULL, 0, at[i]);
	}
	for (int64_t from = T0; from <= at[n - 1] + 1000; from += 250) {
		for (int64_t len = 250; len <= 4000; len += 1250) {
			struct sb_search q = { .subaccount = "acme", .from_ms = from,
			    .until_ms = from + len, .limit = 1 };
			int64_t want = 0;
			json_t *res;

			for (int i = 0; i < n; i++)
				want += at[i] >= from && at[i] < from + len;
			assert_int_equal(sb_search_check(&q, &err), 0);
			res = sb_store_search(st, &q, &err);
			assert_non_null(res);
			if (json_integer_value(json_object_get(res, "total")) != want)
				fail_msg("from %lld until %lld: %lld, not %lld", (long long)from,
				    (long long)(from + len),
				    (long long)json_integer_value(json_object_get(res, "total")),
				    (long long)want);
			json_decref(res);
		}
	}
	sb_store_close(st);
}

static void
test_checks(void **state)
{
	struct sb_search q = { .subaccount = "acme", .from_ms = T0, .until_ms = T0 + 93 * DAY };
	struct sb_error err = { 0 };

	(void)state;
	assert_int_equal(sb_search_check(&q, &err), -1);
	assert_int_equal(err.code, SB_E_BAD_ARGUMENT);
	assert_non_null(strstr(err.message, "3 months"));
	q = (struct sb_search){ .subaccount = "acme", .from_ms = T0, .until_ms = T0 + 92 * DAY };
	assert_int_equal(sb_search_check(&q, &err), 0);
	q = (struct sb_search){ .subaccount = "acme", .from_ms = T0 };
	assert_int_equal(sb_search_check(&q, &err), 0);
	assert_int_equal(q.until_ms, T0 + SB_SEARCH_MAX_RANGE_MS);
	q = (struct sb_search){ .subaccount = "acme", .group = "done" };
	assert_int_equal(sb_search_check(&q, &err), -1);
	q = (struct sb_search){ .subaccount = "acme", .status = "gone" };
	assert_int_equal(sb_search_check(&q, &err), -1);
	q = (struct sb_search){ .subaccount = "acme", .channel_type = "fax" };
	assert_int_equal(sb_search_check(&q, &err), -1);
	q = (struct sb_search){ .subaccount = "acme", .text = "ab" };
	assert_int_equal(sb_search_check(&q, &err), -1);
	q = (struct sb_search){ .subaccount = "acme", .from_ms = T0 + 1, .until_ms = T0 };
	assert_int_equal(sb_search_check(&q, &err), -1);
	assert_string_equal(sb_channel_type("twilio"), "sms");
	assert_string_equal(sb_channel_type("whatsapp"), "whatsapp");
	assert_string_equal(sb_channel_type("line_notify"), "line_notify");
	assert_string_equal(sb_channel_type("mystery"), "other");
	assert_string_equal(sb_channel_type(NULL), "other");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_filter_uses_an_index),
		cmocka_unit_test(test_groups_pages_and_total),
		cmocka_unit_test(test_fewest_drives),
		cmocka_unit_test(test_time_range_and_file),
		cmocka_unit_test(test_time_ranges_at_every_edge),
		cmocka_unit_test(test_text_pages_across_the_index_and_what_it_has_not_seen),
		cmocka_unit_test(test_checks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
