/*
 * test_events.c - event delivery's pure parts and its outbox
 * (core/events.c, core/store_events.c): the signature against values
 * computed independently (Python's hmac), the backoff schedule, and the
 * dispatcher's scan of the store: the oldest pending event of each contact
 * only, when due, committed ids only; results, the list and redeliver.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "events.h"
#include "store.h"
#include "store_events.h"

static void
test_signature_known_vectors(void **state)
{
	char sig[80];
	const char *body = "{\"id\":1,\"type\":\"message.status\"}";

	(void)state;
	/* hmac.new(b"Jefe", b"1700000000.what do ya want for nothing?", sha256) */
	assert_int_equal(sb_events_sign("Jefe", 1700000000, "what do ya want for nothing?",
	    28, sig, sizeof(sig)), 0);
	assert_string_equal(sig,
	    "v1=1cdd0650c8be1cb0974b1788d458b1e781206cfef59b85faafc582d2e182c57e");
	assert_int_equal(sb_events_sign("whsec_test", 1700000000, body, strlen(body), sig,
	    sizeof(sig)), 0);
	assert_string_equal(sig,
	    "v1=483448fa558b8cb4eaa06f1db52579954024dd0aaa726f1a38188a5c6bb7b042");
	/* An empty body signs "0." */
	assert_int_equal(sb_events_sign("Jefe", 0, NULL, 0, sig, sizeof(sig)), 0);
	assert_string_equal(sig,
	    "v1=813f643c8863ba9754215e64cdab172f2e96c1a413d772978aba7398cc864e55");
	/* Too small a buffer is refused, not truncated. */
	assert_int_equal(sb_events_sign("Jefe", 0, NULL, 0, sig, 67), -1);
}

static void
test_backoff_schedule(void **state)
{
	static const int64_t want[] = { 1000, 2000, 4000, 8000, 16000, 32000, 64000, 128000,
		256000, 512000, 600000, 600000 };

	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_int_equal(sb_events_backoff_ms((int)i + 1), want[i]);
	assert_int_equal(sb_events_backoff_ms(0), 1000);
	assert_int_equal(sb_events_backoff_ms(1000), SB_EVENTS_BACKOFF_MAX_MS);
}

struct seen {
	int n;
	int64_t ids[16];
};

static int
collect(void *arg, const struct sb_event_row *r)
{
	struct seen *s = arg;

	s->ids[s->n++] = r->id;
	return 0;
}

static struct seen
due(struct sb_store *st, int64_t now, int64_t max_id)
{
	struct seen s = { 0 };

	assert_true(sb_store_events_due(st, now, max_id, 16, collect, &s) >= 0);
	return s;
}

static void
test_outbox_heads_in_order(void **state)
{
	struct sb_error err = { 0 };
	struct sb_store *st = sb_store_open(":memory:", 0, &err);
	struct seen s;
	int64_t a1, a2, a3, b1;
	json_t *list;
	struct sb_event_query q = { .subaccount = "acme", .state = SB_EVT_FAILED, .limit = 10 };

	(void)state;
	assert_non_null(st);
	a1 = sb_store_event_insert(st, "acme", "+1", "message.status", 7, "{}", NULL, 1000);
	a2 = sb_store_event_insert(st, "acme", "+1", "message.status", 7, "{}", NULL, 1001);
	b1 = sb_store_event_insert(st, "acme", "+2", "message.status", 8, "{}", NULL, 1002);
	a3 = sb_store_event_insert(st, "other", "+1", "message.status", 9, "{}", NULL, 1003);
	assert_true(a1 > 0 && a2 > a1 && b1 > a2 && a3 > b1);
	assert_int_equal(sb_store_events_max_id(st), a3);
	/* The pending gauge is counted as events are written (store_gauges.c). */
	assert_int_equal(sb_store_events_pending(st), 4);
	/* Only heads, only committed ids, only what is due. */
	s = due(st, 5000, a3);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.ids[0], a1);
	assert_int_equal(s.ids[1], b1);
	assert_int_equal(s.ids[2], a3);
	s = due(st, 5000, b1);
	assert_int_equal(s.n, 2);
	s = due(st, 999, a3);
	assert_int_equal(s.n, 0);
	assert_int_equal(sb_store_events_next(st, 999, a3), 1000);
	/* A head backing off holds its contact's later events back. */
	assert_int_equal(sb_store_event_done(st, a1, SB_EVT_PENDING, 9000, "HTTP 500", 5000), 0);
	assert_int_equal(sb_store_events_pending(st), 4); /* a retry stays pending */
	s = due(st, 5000, a3);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.ids[0], b1);
	assert_int_equal(sb_store_events_next(st, 5000, a3), 9000);
	/* Failed, it no longer does; delivered ones neither. */
	assert_int_equal(sb_store_event_done(st, a1, SB_EVT_FAILED, 0, "HTTP 400", 9000), 0);
	assert_int_equal(sb_store_event_done(st, a1, SB_EVT_DELIVERED, 0, NULL, 9000), 1);
	s = due(st, 9000, a3);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.ids[0], a2);
	assert_int_equal(sb_store_events_pending(st), 3);
	/* The operator's list, scoped; redeliver scoped too. */
	list = sb_store_events_list(st, &q, &err);
	assert_non_null(list);
	assert_int_equal(json_array_size(json_object_get(list, "events")), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(list, "events"), 0), "last_error")), "HTTP 400");
	json_decref(list);
	assert_int_equal(sb_store_event_redeliver(st, a1, "other", 10000, &err), -1);
	assert_int_equal(err.code, SB_E_NOT_FOUND);
	assert_int_equal(sb_store_event_redeliver(st, a2, NULL, 10000, &err), -1);
	assert_int_equal(err.code, SB_E_INVALID_STATE);
	assert_int_equal(sb_store_event_redeliver(st, a1, "acme", 10000, &err), 0);
	assert_int_equal(sb_store_events_pending(st), 4);
	/* A group that rolls back takes its events out of the count too. */
	assert_int_equal(sb_store_commit(st), 0);
	assert_true(sb_store_event_insert(st, "acme", "+3", "message.status", 10, "{}", NULL,
	    10000) > 0);
	assert_int_equal(sb_store_events_pending(st), 5);
	sb_store_group_fail(st);
	assert_int_equal(sb_store_commit(st), -1);
	assert_int_equal(sb_store_events_pending(st), 4);
	/* Back at the head of its contact: a2 waits behind it again. */
	s = due(st, 10000, a3);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.ids[0], b1);
	assert_int_equal(s.ids[1], a3);
	assert_int_equal(s.ids[2], a1);
	sb_store_close(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signature_known_vectors),
		cmocka_unit_test(test_backoff_schedule),
		cmocka_unit_test(test_outbox_heads_in_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
