/*
 * bench_search.c - the operator's search on a large store (not a test):
 * builds a store of N messages (default 1 000 000) directly through the
 * store (no daemon), over 90 days, with mixed statuses, channel types,
 * templates, broadcasts and file names, then prints the latency of each
 * search filter (first page of 50 and the capped total) and of the
 * statistics (per template and channel type over 90 days, per
 * broadcast), best of 3.
 *
 *   tests/tools/bench_search [N] [DBPATH] [keep]
 *
 * The store is removed at the end unless "keep" is given (scripts/bench's
 * console section serves it with the daemon).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store.h"
#include "store_bcast.h"
#include "store_search.h"
#include "store_stats.h"

#define DAY (24LL * 3600 * 1000)

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const enum sb_status finals[] = {
	SB_ST_DELIVERED, SB_ST_DELIVERED, SB_ST_DELIVERED, SB_ST_READ, SB_ST_UNDELIVERABLE,
	SB_ST_FAILED, SB_ST_EXPIRED, SB_ST_CANCELLED, SB_ST_QUEUED, SB_ST_DELIVERED,
};
static const char *const types[] = { "sms", "sms", "whatsapp", "line_push", "line_notify" };
static const char *const words[] = { "sale", "code", "order", "welcome", "reminder" };

static int
build(struct sb_store *st, long n, int64_t t0)
{
	struct sb_error err = { 0 };
	int64_t bid = 0;
	char to[32], text[96], file[32];

	for (long i = 0; i < n; i++) {
		struct sb_message m = { 0 };
		int64_t at = t0 + (int64_t)((double)i / (double)n * 90.0 * DAY);

		if (i % 1000 == 0) {
			struct sb_broadcast_row b = {
				.subaccount = i % 3000 == 0 ? "other" : "acme", .source = "file",
				.chain = "default", .created_ms = at,
			};

			snprintf(file, sizeof(file), "list-%ld.csv", i / 1000);
			b.file_name = file;
			bid = sb_store_broadcast_insert(st, &b, &err);
		}
		snprintf(to, sizeof(to), "+55119%08ld", (i * 7919) % 100000000);
		snprintf(text, sizeof(text), "Hello %ld, your %s %ld is ready", i % 977,
		    words[i % 5], i);
		m = (struct sb_message){
			.subaccount = i % 3 == 0 ? "other" : "acme", .chain = "default", .to = to,
			.text = i % 10 == 0 ? NULL : text,
			.template_name = i % 10 == 0 ? "welcome" : NULL,
			.status = SB_ST_QUEUED, .created_ms = at, .send_at_ms = at,
			.expires_ms = at + DAY, .broadcast_id = bid,
		};
		if (sb_store_message_insert(st, &m, &err) < 0) {
			fprintf(stderr, "bench_search: %s\n", err.message);
			return -1;
		}
		sb_store_message_set_channel_type(st, m.id, types[i % 5]);
		if (finals[i % 10] != SB_ST_QUEUED)
			sb_store_message_update(st, m.id, SB_ST_QUEUED, finals[i % 10], -1, NULL, 0, at);
		if (i % 20000 == 19999 && sb_store_commit(st) < 0)
			return -1;
	}
	return sb_store_commit(st);
}

static void
run(struct sb_store *st, const char *name, struct sb_search q)
{
	struct sb_error err = { 0 };
	double best = 1e9;
	long total = 0;

	if (sb_search_check(&q, &err) < 0) {
		printf("search: %-28s error: %s\n", name, err.message);
		return;
	}
	for (int k = 0; k < 3; k++) {
		double t = now_s();
		json_t *res = sb_store_search(st, &q, &err);

		t = now_s() - t;
		if (t < best)
			best = t;
		total = res != NULL ? (long)json_integer_value(json_object_get(res, "total")) : -1;
		json_decref(res);
	}
	printf("search: %-28s %7.2f ms  (total %ld%s)\n", name, best * 1000, total,
	    total >= SB_SEARCH_TOTAL_CAP ? "+" : "");
}

static void
run_stats(struct sb_store *st, const char *by, int64_t t0)
{
	struct sb_stats_query q = { .subaccount = "acme", .by = by, .from_ms = t0,
	    .until_ms = t0 + 90 * DAY };
	struct sb_error err = { 0 };
	double best = 1e9;
	long triggers = 0;

	if (sb_stats_check(&q, t0, &err) < 0) {
		printf("stats: by %s: %s\n", by, err.message);
		return;
	}
	for (int k = 0; k < 3; k++) {
		double t = now_s();
		json_t *res = sb_store_stats(st, &q, &err);

		t = now_s() - t;
		if (t < best)
			best = t;
		triggers = res != NULL ? (long)json_integer_value(json_object_get(json_object_get(res,
		    "total"), "triggers")) : -1;
		json_decref(res);
	}
	printf("stats:  by %-25s %7.2f ms  (triggers %ld over 90 days)\n", by, best * 1000,
	    triggers);
}

int
main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	const char *path = argc > 2 ? argv[2] : "/tmp/sb-bench-search.db";
	int64_t t0 = 1767225600000LL; /* 2026-01-01 */
	struct sb_error err = { 0 };
	struct sb_store *st;
	char lock[300], file[32];
	double t;
	struct sb_search base = { .subaccount = "acme", .limit = 50 };
	struct sb_search q;

	sb_store_remove_files(path);
	st = sb_store_open(path, 0, &err);
	if (st == NULL) {
		fprintf(stderr, "bench_search: %s\n", err.message);
		return 1;
	}
	t = now_s();
	if (build(st, n, t0) < 0)
		return 1;
	printf("search: built %ld messages in %.1f s\n", n, now_s() - t);
	/* The daemon's indexer thread keeps the text index; here it is filled at once. */
	t = now_s();
	if (sb_store_text_index_now(st) < 0)
		return 1;
	printf("search: indexed their texts in %.1f s\n", now_s() - t);
#define RUN(label, field, value) (q = base, q.field = (value), run(st, label, q))
	run(st, "newest first (no filter)", base);
	RUN("status=failed", status, "failed");
	RUN("group=sent", group, "sent");
	RUN("group=undeliverable", group, "undeliverable");
	RUN("group=processing", group, "processing");
	RUN("broadcast", broadcast_id, n / 2000);
	RUN("channel_type=whatsapp", channel_type, "whatsapp");
	RUN("to", to, "+5511900007919");
	RUN("template=welcome", template_name, "welcome");
	snprintf(file, sizeof(file), "list-%ld.csv", n / 2000);
	RUN("file_name", file_name, file);
	RUN("file_name (none)", file_name, "none.csv");
	RUN("text contains 'order 1234'", text, "order 1234");
	RUN("text contains 'reminder'", text, "reminder");
	q = base;
	q.from_ms = t0 + 30 * DAY;
	q.until_ms = t0 + 31 * DAY;
	run(st, "one day of trigger time", q);
	q.group = "failed";
	run(st, "one day, group=failed", q);
	q = base;
	q.before_id = n / 2;
	run(st, "page from the middle", q);
#undef RUN
	run_stats(st, "template", t0);
	run_stats(st, "channel_type", t0);
	{
		double best = 1e9;

		for (int k = 0; k < 3; k++) {
			double t1 = now_s();
			json_t *res = sb_store_bcast_stats(st, n / 2000);

			t1 = now_s() - t1;
			if (t1 < best)
				best = t1;
			json_decref(res);
		}
		printf("stats:  one broadcast                %7.2f ms\n", best * 1000);
	}
	sb_store_close(st);
	snprintf(lock, sizeof(lock), "%s.lock", path);
	unlink(lock);
	if (argc <= 3 || strcmp(argv[3], "keep") != 0)
		sb_store_remove_files(path);
	return 0;
}
