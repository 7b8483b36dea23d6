/*
 * test_engine.c - the delivery engine's arithmetic and its store queries:
 * token buckets (rate held within 10 %), the receipt polling schedule
 * (count and spacing), the lane, poll and expiry queries, and the schema
 * migration from version 1 that gives attempts their timers, and the
 * watch table of messages with a send out (watch.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "config.h"
#include "daemon.h"
#include "engine/due.h"
#include "engine/engine.h"
#include "instance.h"
#include "clock.h"
#include "ratelimit.h"
#include "store.h"
#include "store_internal.h"

static char dbpath[256];

static int
setup(void **state)
{
	snprintf(dbpath, sizeof(dbpath), "/tmp/sb-test-engine-%d.db", (int)getpid());
	sb_store_remove_files(dbpath);
	return 0;
}

static int
teardown(void **state)
{
	sb_store_remove_files(dbpath);
	return 0;
}

/* ---- token buckets ---- */

static void
test_bucket_starts_full_then_holds_rate(void **state)
{
	struct sb_bucket b = { 0 };
	int64_t wait, t = 1000000, sent = 0, first = -1, last = 0;

	/* Unlimited. */
	assert_int_equal(sb_bucket_allowance(&b, 0, 1, t, &wait), INT32_MAX);
	assert_int_equal(wait, 0);
	/* Full at first use: the burst goes at once. */
	assert_int_equal(sb_bucket_allowance(&b, 20, 5, t, &wait), 5);
	sb_bucket_take(&b, 5);
	assert_int_equal(sb_bucket_allowance(&b, 20, 5, t, &wait), 0);
	assert_int_equal(wait, 50);
	/* Driven like the pump: wake when told, send what is allowed, for 10 s. */
	b = (struct sb_bucket){ 0 };
	while (t < 11000000) {
		int n = sb_bucket_allowance(&b, 20, 1, t, &wait);

		if (n > 0) {
			sb_bucket_take(&b, n);
			sent += n;
			if (first < 0)
				first = t;
			last = t;
			t += 1000; /* the next pass comes a little later */
		} else {
			t += wait * 1000 + 700; /* timers fire late */
		}
	}
	/* (sent - 1) intervals between the first and the last send. */
	double rate = (double)(sent - 1) / ((double)(last - first) / 1e6);
	assert_true(rate > 18.0 && rate < 22.0);
}

static void
test_bucket_burst_caps_idle_savings(void **state)
{
	struct sb_bucket b = { 0 };
	int64_t wait;

	assert_int_equal(sb_bucket_allowance(&b, 10, 3, 1, &wait), 3);
	sb_bucket_take(&b, 3);
	/* An hour idle saves no more than the burst. */
	assert_int_equal(sb_bucket_allowance(&b, 10, 3, 3600000001LL, &wait), 3);
	/* A burst below 1 still lets one through. */
	b = (struct sb_bucket){ 0 };
	assert_int_equal(sb_bucket_allowance(&b, 0.5, 0, 1, &wait), 1);
	sb_bucket_take(&b, 1);
	assert_int_equal(sb_bucket_allowance(&b, 0.5, 0, 1000001, &wait), 0);
	assert_int_equal(wait, 1000);
}

/* ---- polling schedule ---- */

static const struct sb_config_poll default_poll = {
	.mode = SB_POLL_AUTO, .nintervals = 5,
	.intervals_ms = { 60000, 300000, 900000, 3600000, 4 * 3600000 },
	.until_ms = 24 * 3600000,
};

static void
test_poll_schedule_default(void **state)
{
	static const int64_t want[] = {
		60000, 360000, 1260000, 4860000, 4860000 + 1 * 14400000,
		4860000 + 2 * 14400000, 4860000 + 3 * 14400000, 4860000 + 4 * 14400000,
		4860000 + 5 * 14400000, 24 * 3600000,
	};
	int64_t base = 1700000000000LL, now = base, t;
	size_t n = 0;

	/* Poll exactly when told, until nothing is left. */
	while ((t = sb_poll_next(&default_poll, base, now)) != 0) {
		assert_true(n < sizeof(want) / sizeof(want[0]));
		assert_int_equal(t - base, want[n]);
		assert_true(t > now);
		now = t;
		n++;
	}
	/* Minutes at first, hours later, the last one at 24 h. */
	assert_int_equal(n, 10);
	assert_int_equal(now - base, 24 * 3600000);
}

static void
test_poll_schedule_skips_missed_points(void **state)
{
	struct sb_config_poll p = { .nintervals = 1, .intervals_ms = { 1000 }, .until_ms = 10500 };

	/* After a long stop, the next point after now, not a catch-up burst. */
	assert_int_equal(sb_poll_next(&default_poll, 0, 5 * 3600000), 4860000 + 14400000);
	assert_int_equal(sb_poll_next(&p, 0, 0), 1000);
	assert_int_equal(sb_poll_next(&p, 0, 1000), 2000);
	assert_int_equal(sb_poll_next(&p, 0, 7500), 8000);
	assert_int_equal(sb_poll_next(&p, 0, 10000), 10500);
	assert_int_equal(sb_poll_next(&p, 0, 10500), 0);
	assert_int_equal(sb_poll_next(&p, 0, 99999), 0);
	/* `until` shorter than the first interval: one poll, at `until`. */
	p.until_ms = 500;
	assert_int_equal(sb_poll_next(&p, 100, 100), 600);
	/* No overflow with a huge `until`. */
	p.until_ms = INT64_MAX;
	assert_int_equal(sb_poll_next(&p, 1000, 1000), 2000);
}

/* ---- store: lanes, polls, expiry ---- */

static int
keep_id(void *arg, const struct sb_attempt_row *r)
{
	int64_t *ids = arg;

	for (int i = 0; i < 16; i++)
		if (ids[i] == 0) {
			ids[i] = r->id;
			break;
		}
	return 0;
}

static int
keep_row(void *arg, const struct sb_attempt_row *r)
{
	struct sb_attempt_row *out = arg;

	*out = *r;
	out->instance = out->provider_id = out->subaccount = out->chain = NULL;
	out->to = out->from = out->text = NULL;
	out->template_name = out->template_lang = out->template_vars = NULL;
	return 1;
}

static int64_t
add_message(struct sb_store *st, const char *sub, int64_t expires)
{
	struct sb_error err = { 0 };
	struct sb_message m = {
		.subaccount = sub, .chain = "c", .to = "+5511999990000", .text = "x",
		.status = SB_ST_QUEUED, .created_ms = 1, .send_at_ms = 1, .expires_ms = expires,
	};

	assert_int_equal(sb_store_message_insert(st, &m, &err), 0);
	return m.id;
}

static void
test_lanes_by_subaccount(void **state)
{
	struct sb_error err = { 0 };
	struct sb_store *st = sb_store_open(dbpath, 0, &err);
	static const char *const subs[] = { "zeta", "acme", "beta", "acme", "beta", "acme" };
	int64_t ids[16] = { 0 };
	char lane[72];

	assert_non_null(st);
	for (size_t i = 0; i < 6; i++)
		assert_true(sb_store_attempt_insert(st, add_message(st, subs[i], 1000), 0, "sms",
		    SB_ST_QUEUED, 10 + (int64_t)i, 1, NULL) > 0);
	assert_true(sb_store_attempt_insert(st, add_message(st, "other", 1000), 0, "line",
	    SB_ST_QUEUED, 1, 1, NULL) > 0);
	/* No message, no attempt. */
	assert_int_equal(sb_store_attempt_insert(st, 9999, 0, "sms", SB_ST_QUEUED, 1, 1, NULL), -1);
	/* The loose scan names each subaccount with work on the instance once. */
	assert_int_equal(sb_store_lane_next(st, "sms", "", lane, sizeof(lane)), 0);
	assert_string_equal(lane, "acme");
	assert_int_equal(sb_store_lane_next(st, "sms", "acme", lane, sizeof(lane)), 0);
	assert_string_equal(lane, "beta");
	assert_int_equal(sb_store_lane_next(st, "sms", "beta", lane, sizeof(lane)), 0);
	assert_string_equal(lane, "zeta");
	assert_int_equal(sb_store_lane_next(st, "sms", "zeta", lane, sizeof(lane)), 1);
	assert_int_equal(sb_store_lane_next(st, "sms", "", lane, 3), 1);
	/* A lane's ready attempts, oldest first, only its own. */
	assert_int_equal(sb_store_attempts_ready_lane(st, "sms", "acme", 100, 10, keep_id, ids), 3);
	assert_true(ids[0] < ids[1] && ids[1] < ids[2]);
	memset(ids, 0, sizeof(ids));
	assert_int_equal(sb_store_attempts_ready_lane(st, "sms", "acme", 12, 10, keep_id, ids), 1);
	assert_int_equal(sb_store_attempts_ready_lane(st, "sms", "beta", 100, 1, keep_id, ids), 1);
	assert_int_equal(sb_store_instance_next_queued(st, "sms", 12), 13);
	sb_store_close(st);
}

static void
test_poll_and_expiry_queries(void **state)
{
	struct sb_error err = { 0 };
	struct sb_store *st = sb_store_open(dbpath, 0, &err);
	int64_t msg, att, ids[16] = { 0 };
	struct sb_attempt_row row;

	assert_non_null(st);
	msg = add_message(st, "acme", 5000);
	att = sb_store_attempt_insert(st, msg, 0, "sms", SB_ST_QUEUED, 1, 1, NULL);
	/* The attempt copies its message's validity end: expiry is due then. */
	assert_int_equal(sb_store_next_due(st), 5000);
	assert_int_equal(sb_store_attempts_expire_due(st, 4999, 10, keep_id, ids), 0);
	assert_int_equal(sb_store_attempts_expire_due(st, 5000, 10, keep_id, ids), 1);
	assert_int_equal(ids[0], att);
	/* In flight it keeps its entry (schema 18) but is not due: its answer
	 * decides; accepted, it is due again. */
	assert_int_equal(sb_store_attempt_update(st, att, SB_ST_QUEUED, &(struct sb_attempt_change){
	    .status = SB_ST_SENDING, .tries = 1, .next_ms = -1, .fallback_ms = -1,
	    .sent_ms = 150 }), 0);
	assert_int_equal(sb_store_attempts_expire_due(st, INT64_MAX, 10, keep_id, ids), 0);
	assert_int_equal(sb_store_next_due(st), INT64_MAX);
	/* Accepted with a poll at 300: the earliest timer. */
	assert_int_equal(sb_store_attempt_update(st, att, SB_ST_SENDING, &(struct sb_attempt_change){
	    .status = SB_ST_ACCEPTED, .provider_id = "p-1", .tries = 1, .next_ms = -1,
	    .fallback_ms = -1, .accepted_ms = 200, .poll_ms = 300 }), 0);
	assert_int_equal(sb_store_next_due(st), 300);
	assert_int_equal(sb_store_attempts_poll_due(st, 299, 10, keep_row, &row), 0);
	assert_int_equal(sb_store_attempts_poll_due(st, 300, 10, keep_row, &row), 1);
	assert_int_equal(row.id, att);
	assert_int_equal(row.polls, 0);
	assert_int_equal(row.accepted_ms, 200);
	assert_int_equal(row.expire_ms, 5000);
	/* A poll made: count it, next one later; then none left. */
	assert_int_equal(sb_store_attempt_update(st, att, SB_ST_ACCEPTED, &(struct sb_attempt_change){
	    .status = SB_ST_ACCEPTED, .tries = -1, .next_ms = -1, .fallback_ms = -1,
	    .poll_ms = 900, .polls = 1 }), 0);
	assert_int_equal(sb_store_attempts_poll_due(st, 899, 10, keep_row, &row), 0);
	assert_int_equal(sb_store_attempts_poll_due(st, 900, 10, keep_row, &row), 1);
	assert_int_equal(row.polls, 1);
	assert_int_equal(sb_store_attempt_update(st, att, SB_ST_ACCEPTED, &(struct sb_attempt_change){
	    .status = SB_ST_ACCEPTED, .tries = -1, .next_ms = -1, .fallback_ms = -1,
	    .poll_ms = -1, .polls = 2 }), 0);
	assert_int_equal(sb_store_next_due(st), 5000);
	assert_int_equal(sb_store_attempts_poll_due(st, INT64_MAX, 10, keep_row, &row), 0);
	/* A final attempt has no timers left. */
	assert_int_equal(sb_store_attempt_update(st, att, SB_ST_ACCEPTED, &(struct sb_attempt_change){
	    .status = SB_ST_DELIVERED, .tries = -1, .next_ms = -1, .fallback_ms = 0,
	    .final_ms = 400 }), 0);
	assert_int_equal(sb_store_next_due(st), INT64_MAX);
	assert_int_equal(sb_store_attempts_expire_due(st, INT64_MAX, 10, keep_row, &row), 0);
	sb_store_close(st);
}

static void
exec_ok(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		print_error("%s: %s\n", sql, msg);
		sqlite3_free(msg);
		fail();
	}
}

/* A version 1 database: its rows keep working, with their timers filled in. */
static void
test_migrates_version_1_attempts(void **state)
{
	struct sb_error err = { 0 };
	struct sb_store *st;
	struct sb_attempt_row row;
	sqlite3 *db;
	sqlite3_stmt *s;
	char lane[72];

	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
	exec_ok(db, sb_store_migration_sql(0));
	exec_ok(db, "PRAGMA user_version = 1;"
	    "INSERT INTO messages (id, subaccount, chain, to_addr, status, created_ms,"
	    " send_at_ms, expires_ms, updated_ms) VALUES"
	    " (1, 'acme', 'c', '+55', 'accepted', 1, 1, 5000, 1),"
	    " (2, 'beta', 'c', '+55', 'delivered', 1, 1, 6000, 1),"
	    " (3, 'beta', 'c', '+55', 'queued', 1, 1, 7000, 1);"
	    "INSERT INTO attempts (id, message_id, step, instance, status, created_ms,"
	    " provider_id, next_ms) VALUES (7, 1, 0, 'sms', 'accepted', 1, 'p-7', 1),"
	    " (8, 2, 0, 'sms', 'delivered', 1, 'p-8', 1), (9, 3, 0, 'sms', 'queued', 1, NULL, 1);");
	sqlite3_close(db);
	assert_null(sb_store_migration_sql(SB_STORE_SCHEMA_VERSION));

	st = sb_store_open(dbpath, 0, &err);
	assert_non_null(st);
	assert_int_equal(sb_store_schema_version(st), SB_STORE_SCHEMA_VERSION);
	assert_int_equal(sb_store_attempt_get(st, 7, keep_row, &row), 0);
	assert_int_equal(row.expire_ms, 5000);
	assert_int_equal(row.polls, 0);
	assert_int_equal(row.poll_ms, 0);
	assert_int_equal(sb_store_next_due(st), 5000);
	assert_int_equal(sb_store_lane_next(st, "sms", "", lane, sizeof(lane)), 0);
	assert_string_equal(lane, "beta");
	sb_store_close(st);

	/* Final attempts got their subaccount but no expiry. */
	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT subaccount, expire_ms IS NULL"
	    " FROM attempts WHERE id = 8", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(s, 0), "beta");
	assert_int_equal(sqlite3_column_int(s, 1), 1);
	sqlite3_finalize(s);
	sqlite3_close(db);
}

/* The hot queries use their indexes, not a scan of the table. */
static void
test_queries_use_indexes(void **state)
{
	static const struct {
		enum store_stmt id;
		const char *index;
	} plans[] = {
		{ ST_ATT_READY, "attempts_ready" },
		{ ST_ATT_READY_LANE, "attempts_lane" },
		{ ST_ATT_LANE_NEXT, "attempts_lane" },
		{ ST_ATT_NEXT_QUEUED, "attempts_ready" },
		{ ST_ATT_POLL_DUE, "attempts_poll" },
		{ ST_ATT_EXPIRE_DUE, "attempts_expire" },
		{ ST_MSG_DUE, "messages_due" },
		{ ST_NEXT_DUE, "messages_due" },
		{ ST_NEXT_DUE, "attempts_expire" },
	};
	struct sb_error err = { 0 };
	struct sb_store *st = sb_store_open(dbpath, 0, &err);

	assert_non_null(st);
	for (size_t i = 0; i < sizeof(plans) / sizeof(plans[0]); i++) {
		char *sql = sqlite3_mprintf("EXPLAIN QUERY PLAN %s",
		    sqlite3_sql(sb_store_stmt(st, plans[i].id)));
		sqlite3_stmt *s;
		char all[2048] = "";

		assert_int_equal(sqlite3_prepare_v2(st->db, sql, -1, &s, NULL), SQLITE_OK);
		while (sqlite3_step(s) == SQLITE_ROW)
			snprintf(all + strlen(all), sizeof(all) - strlen(all), "%s; ",
			    (const char *)sqlite3_column_text(s, 3));
		sqlite3_finalize(s);
		sqlite3_free(sql);
		if (strstr(all, plans[i].index) == NULL || strstr(all, "SCAN a") != NULL) {
			print_error("statement %d: expected index %s, plan: %s\n", (int)plans[i].id,
			    plans[i].index, all);
			fail();
		}
	}
	sb_store_close(st);
}


/*
 * What a pass learns of an instance's queue (lanes.c): read and emptied of
 * what is due, the time the next queued attempt becomes due (none: never);
 * a full batch, a batch without room or a lane that held work back (its
 * rate, its in-flight limit, its share filled): maybe due now.
 */
static void
test_pass_learns_when_the_queue_is_next_due(void **state)
{
	struct sb_error err = { 0 };
	struct sb_config cfg = { 0 };
	struct sb_daemon d = { .cfg = &cfg };
	struct sb_dispatch dp = { .d = &d };
	struct sb_instance inst = { .name = "sms" };
	struct sb_config_subaccount limited = { .name = "acme", .rate = 5 };
	static char arena[1 << 16];
	struct sb_ready ready[8];
	int64_t wait = INT64_MAX;

	(void)state;
	d.store = sb_store_open(dbpath, 0, &err);
	assert_non_null(d.store);
	dp.pump.ready = ready;
	dp.pump.capready = 8;
	dp.pump.arena = arena;
	dp.pump.arena_cap = sizeof(arena);
	/* Nothing queued: never due. */
	assert_int_equal(sb_lanes_select(&dp, &inst, 100, 4, &wait), 0);
	assert_int_equal(inst.queue_due_ms, INT64_MAX);
	assert_int_equal(inst.queue_read_ms, 100);
	/* Two due now, one at 500: a batch of 4 takes both, the next is due at 500. */
	for (int i = 0; i < 3; i++)
		assert_true(sb_store_attempt_insert(d.store, add_message(d.store, "acme", 9000), 0,
		    "sms", SB_ST_QUEUED, i < 2 ? 50 : 500, 1, NULL) > 0);
	assert_int_equal(sb_lanes_select(&dp, &inst, 100, 4, &wait), 2);
	assert_int_equal(inst.queue_due_ms, 500);
	assert_int_equal(wait, 400);
	/* A batch of 1 leaves one due: maybe due now. */
	dp.pump.nready = 0;
	dp.pump.arena_used = 0;
	assert_int_equal(sb_lanes_select(&dp, &inst, 100, 1, &wait), 1);
	assert_int_equal(inst.queue_due_ms, 0);
	/* No room in the batch for the second: the same. */
	dp.pump.nready = 7;
	assert_int_equal(sb_lanes_select(&dp, &inst, 100, 4, &wait), 1);
	assert_true(dp.pump.refused);
	assert_int_equal(inst.queue_due_ms, 0);
	/* A subaccount's rate holds one of the two back: maybe due now. */
	dp.pump.nready = 0;
	dp.pump.arena_used = 0;
	dp.pump.refused = 0;
	dp.pump.lanes = calloc(SB_MAX_LANES, sizeof(*dp.pump.lanes));
	assert_non_null(dp.pump.lanes);
	cfg.subaccounts = &limited;
	cfg.nsubaccounts = 1;
	inst.queue_due_ms = INT64_MAX;
	assert_int_equal(sb_lanes_select(&dp, &inst, 100, 4, &wait), 1);
	assert_int_equal(inst.queue_due_ms, 0);
	/* A rate with room for both: the lane drained, the next is due at 500. */
	dp.pump.nready = 0;
	dp.pump.arena_used = 0;
	limited.rate = 1000;
	limited.burst = 100;
	dp.pump.subs[sb_lanes_sub_slot(&dp, "acme")].bucket = (struct sb_bucket){ 0 }; /* full */
	assert_int_equal(sb_lanes_select(&dp, &inst, 100, 4, &wait), 2);
	assert_int_equal(inst.queue_due_ms, 500);
	/* Its share filled exactly (a batch of 2): maybe more. */
	dp.pump.nready = 0;
	dp.pump.arena_used = 0;
	assert_int_equal(sb_lanes_select(&dp, &inst, 100, 2, &wait), 2);
	assert_int_equal(inst.queue_due_ms, 0);
	/* At its in-flight limit: held, none read. */
	dp.pump.nready = 0;
	dp.pump.arena_used = 0;
	limited.max_in_flight = 1;
	sb_lanes_sub_inflight(&dp, sb_lanes_sub_slot(&dp, "acme"), 1);
	assert_int_equal(sb_lanes_select(&dp, &inst, 100, 4, &wait), 0);
	assert_int_equal(inst.queue_due_ms, 0);
	free(dp.pump.lanes);
	free(dp.pump.subs);
	sb_store_close(d.store);
}

/*
 * The direct start's decision (pump.c): a new message's first step goes
 * `sending` at once only into a free slot, with a token of the rate, never
 * past a queued attempt that is due (or may be: a queue not read yet),
 * within its subaccount's in-flight limit and rate, and never for one of a
 * request's many recipients (their savepoint may undo them).
 */
static void
test_direct_start_only_into_a_free_slot_behind_no_queue(void **state)
{
	struct sb_config_subaccount subs[1] = { { .name = "acme" } };
	struct sb_config cfg = { .nsubaccounts = 1, .subaccounts = subs };
	struct sb_daemon d = { .cfg = &cfg };
	struct sb_dispatch dp = { .d = &d };
	struct sb_plugin plugin = { .kind = SB_PLUGIN_CHANNEL };
	struct sb_config_instance icfg = { .max_in_flight = 2 };
	struct sb_instance inst = { .name = "sms", .p = &plugin, .cfg = &icfg };
	const struct sb_config_subaccount *sub = &subs[0];
	int64_t now = sb_now_ms();
	int slot;

	(void)state;
	/* A new instance: its queue not read yet, so maybe due. */
	assert_false(sb_pump_direct_ok(&dp, &inst, sub));
	/* Read and empty: direct. */
	inst.queue_due_ms = INT64_MAX;
	assert_true(sb_pump_direct_ok(&dp, &inst, sub));
	/* A retry due in a minute does not hold it; one due now does. */
	inst.queue_due_ms = now + 60000;
	assert_true(sb_pump_direct_ok(&dp, &inst, sub));
	inst.queue_due_ms = now;
	assert_false(sb_pump_direct_ok(&dp, &inst, sub));
	inst.queue_due_ms = INT64_MAX;
	/* Every slot taken (send_ahead would only make it wait): queued. */
	inst.send_slots = 2;
	assert_false(sb_pump_direct_ok(&dp, &inst, sub));
	inst.send_slots = 1;
	assert_true(sb_pump_direct_ok(&dp, &inst, sub));
	/* One of a request's many recipients: its savepoint may undo it. */
	dp.batch.open = 1;
	assert_false(sb_pump_direct_ok(&dp, &inst, sub));
	dp.batch.open = 0;
	/* The instance's rate has no token left. */
	inst.rate = 1;
	inst.burst = 1;
	assert_true(sb_pump_direct_ok(&dp, &inst, sub)); /* a full bucket: one token */
	sb_bucket_take(&inst.bucket, 1);
	assert_false(sb_pump_direct_ok(&dp, &inst, sub));
	inst.rate = 0;
	assert_true(sb_pump_direct_ok(&dp, &inst, sub));
	/* The subaccount's rate: a token goes, then none is left. */
	subs[0].rate = 1;
	subs[0].burst = 1;
	assert_true(sb_pump_direct_ok(&dp, &inst, sub));
	slot = sb_lanes_sub_slot(&dp, "acme");
	assert_true(slot >= 0);
	sb_bucket_take(&dp.pump.subs[slot].bucket, 1);
	assert_false(sb_pump_direct_ok(&dp, &inst, sub));
	subs[0].rate = 0;
	/* Its in-flight limit: room, then none. */
	subs[0].max_in_flight = 1;
	assert_true(sb_pump_direct_ok(&dp, &inst, sub));
	sb_lanes_sub_inflight(&dp, slot, 1);
	assert_false(sb_pump_direct_ok(&dp, &inst, sub));
	subs[0].max_in_flight = 0;
	/* Not a channel, replaced, or the daemon stopping. */
	plugin.kind = SB_PLUGIN_FILTER;
	assert_false(sb_pump_direct_ok(&dp, &inst, sub));
	plugin.kind = SB_PLUGIN_CHANNEL;
	inst.draining = 1;
	assert_false(sb_pump_direct_ok(&dp, &inst, sub));
	inst.draining = 0;
	d.stopping = 1;
	assert_false(sb_pump_direct_ok(&dp, &inst, sub));
	free(dp.pump.subs);
}

/* ---- the watch (watch.c) ---- */

/*
 * Thousands of holds on ids that crowd into the same runs, touched and
 * released in a shuffled order: every hold sees exactly the writes to its
 * own message, deletion never loses an entry of a run behind it, and the
 * table ends empty.
 */
static void
test_watch_holds_touches_and_releases(void **state)
{
	enum { N = 5000 };
	struct sb_dispatch dp = { 0 };
	static struct sb_watch_hold holds[N];
	static int64_t ids[N];
	static int touched[N], order[N];
	unsigned seed = 12345;

	(void)state;
	for (int i = 0; i < N; i++) {
		/* Random ids (runs form; arithmetic ones would spread evenly),
		 * repeated: several holds per id. */
		if (i < 3000) {
			seed = seed * 1103515245u + 12345u;
			ids[i] = 1 + (int64_t)(seed >> 1);
		} else {
			ids[i] = ids[i % 3000];
		}
		sb_watch_hold(&dp, ids[i], &holds[i]);
		assert_true(holds[i].held);
		order[i] = i;
	}
	assert_int_equal(sb_watch_count(&dp), 3000);
	for (int i = 0; i < N; i++)
		assert_true(sb_watch_unchanged(&dp, ids[i], &holds[i]));
	/* A message nobody holds: a touch changes nothing held. */
	sb_watch_touch(&dp, 7);
	for (int i = 0; i < N; i += 7) {
		sb_watch_touch(&dp, ids[i]);
		touched[i % 3000] = 1;
	}
	for (int i = N - 1; i > 0; i--) {
		int j, t;

		seed = seed * 1103515245u + 12345u;
		j = (int)(seed % (unsigned)(i + 1));
		t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	for (int k = 0; k < N; k++) {
		int i = order[k];

		assert_int_equal(sb_watch_unchanged(&dp, ids[i], &holds[i]), !touched[i % 3000]);
		sb_watch_release(&dp, ids[i], &holds[i]);
		assert_false(holds[i].held);
		/* A second release of the same hold is a no-op. */
		sb_watch_release(&dp, ids[i], &holds[i]);
		/* Everyone still held is still found, with its own count. */
		if (k % 500 == 0)
			for (int m = k + 1; m < N; m++)
				assert_int_equal(sb_watch_unchanged(&dp, ids[order[m]],
				    &holds[order[m]]), !touched[order[m] % 3000]);
	}
	assert_int_equal(sb_watch_count(&dp), 0);
	/* A hold marked stale (read back since) never trusts its copy. */
	sb_watch_hold(&dp, 42, &holds[0]);
	holds[0].stale = 1;
	assert_false(sb_watch_unchanged(&dp, 42, &holds[0]));
	sb_watch_release(&dp, 42, &holds[0]);
	sb_watch_clear(&dp);
}

/* watch.c's home slot in its first table (256 entries), to build runs. */
static size_t
watch_home_256(int64_t id)
{
	return (size_t)(((uint64_t)id * 0x9e3779b97f4a7c15ULL) >> 32) & 255;
}

/*
 * A run that wraps past the table's end: deleting its head must leave the
 * entries after the wrap whose home is past the hole where they are.
 */
static void
test_watch_run_across_the_table_end(void **state)
{
	struct sb_dispatch dp = { 0 };
	struct sb_watch_hold h[4];
	int64_t ids[4];
	int n = 0;

	(void)state;
	/* One id at home 254, then three at home 255: slots 254, 255, 0, 1. */
	for (int64_t id = 1; n < 4; id++)
		if (watch_home_256(id) == (n == 0 ? 254u : 255u))
			ids[n++] = id;
	for (int i = 0; i < 4; i++)
		sb_watch_hold(&dp, ids[i], &h[i]);
	sb_watch_release(&dp, ids[0], &h[0]);
	for (int i = 1; i < 4; i++)
		assert_true(sb_watch_unchanged(&dp, ids[i], &h[i]));
	sb_watch_release(&dp, ids[1], &h[1]);
	for (int i = 2; i < 4; i++)
		assert_true(sb_watch_unchanged(&dp, ids[i], &h[i]));
	sb_watch_release(&dp, ids[2], &h[2]);
	sb_watch_release(&dp, ids[3], &h[3]);
	assert_int_equal(sb_watch_count(&dp), 0);
	sb_watch_clear(&dp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bucket_starts_full_then_holds_rate),
		cmocka_unit_test(test_bucket_burst_caps_idle_savings),
		cmocka_unit_test(test_poll_schedule_default),
		cmocka_unit_test(test_poll_schedule_skips_missed_points),
		cmocka_unit_test_setup_teardown(test_lanes_by_subaccount, setup, teardown),
		cmocka_unit_test_setup_teardown(test_poll_and_expiry_queries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrates_version_1_attempts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queries_use_indexes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pass_learns_when_the_queue_is_next_due, setup,
		    teardown),
		cmocka_unit_test(test_direct_start_only_into_a_free_slot_behind_no_queue),
		cmocka_unit_test(test_watch_holds_touches_and_releases),
		cmocka_unit_test(test_watch_run_across_the_table_end),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
