/*
 * test_statem.c - the engine's rules alone: no SQLite, no loop, no daemon
 * (this program links statem.c and status.c only).
 *
 *  - every attempt status x event, for the attempt that is its message's
 *    current step, against a table of what must happen;
 *  - the cases that used to go wrong (a late receipt after fallback, a
 *    restart after the message became final, an undeliverable step that
 *    waits, retries that run out, validity that ends first);
 *  - the tables themselves (a final message never moves but delivered ->
 *    read);
 *  - a random model: thousands of messages driven through random event
 *    sequences (results and receipts in any order, late receipts,
 *    timeouts, crashes, stops), checking after every step that a final
 *    message stays final, that at most one attempt is in flight, that no
 *    send in doubt is repeated on a channel without idempotency, and at
 *    the end that every message reached a final status once its validity
 *    ended.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "engine/statem.h"

#define NOW 1000000
#define HOUR 3600000

/* ---- every attempt status x event ---- */

/* The message status that goes with an attempt status at its current step. */
static enum sb_status
message_for(enum sb_status a)
{
	return a == SB_ST_CANCELLED ? SB_ST_CANCELLED : a;
}

#define K SB_SM_KEEP       /* changed, attempt status kept (a timer moved) */
#define N (SB_SM_KEEP + 1) /* no change at all */

/* [attempt status][event] -> the attempt status after it. */
static const int expected[SB_ST_COUNT][SB_EV_COUNT] = {
	[SB_ST_QUEUED] = {
		[SB_EV_SEND] = SB_ST_SENDING, [SB_EV_UNSENT] = N,
		[SB_EV_ACCEPTED] = SB_ST_ACCEPTED, [SB_EV_DELIVERED] = SB_ST_DELIVERED,
		[SB_EV_READ] = SB_ST_READ, [SB_EV_TEMPORARY] = N, [SB_EV_UNDELIVERABLE] = N,
		[SB_EV_FAILED] = N, [SB_EV_EXPIRED] = N, [SB_EV_FALLBACK_DUE] = N,
		[SB_EV_VALIDITY_END] = SB_ST_EXPIRED, [SB_EV_RESTART] = N,
		[SB_EV_CHANNEL_GONE] = SB_ST_FAILED,
	},
	[SB_ST_SENDING] = {
		[SB_EV_SEND] = N, [SB_EV_UNSENT] = SB_ST_QUEUED,
		[SB_EV_ACCEPTED] = SB_ST_ACCEPTED, [SB_EV_DELIVERED] = SB_ST_DELIVERED,
		[SB_EV_READ] = SB_ST_READ, [SB_EV_TEMPORARY] = SB_ST_QUEUED,
		[SB_EV_UNDELIVERABLE] = SB_ST_UNDELIVERABLE, [SB_EV_FAILED] = SB_ST_FAILED,
		[SB_EV_EXPIRED] = SB_ST_EXPIRED, [SB_EV_FALLBACK_DUE] = N,
		[SB_EV_VALIDITY_END] = N, [SB_EV_RESTART] = SB_ST_QUEUED,
		[SB_EV_CHANNEL_GONE] = N,
	},
	[SB_ST_ACCEPTED] = {
		[SB_EV_SEND] = N, [SB_EV_UNSENT] = N, [SB_EV_ACCEPTED] = N,
		[SB_EV_DELIVERED] = SB_ST_DELIVERED, [SB_EV_READ] = SB_ST_READ,
		[SB_EV_TEMPORARY] = N, [SB_EV_UNDELIVERABLE] = SB_ST_UNDELIVERABLE,
		[SB_EV_FAILED] = SB_ST_FAILED, [SB_EV_EXPIRED] = SB_ST_EXPIRED,
		[SB_EV_FALLBACK_DUE] = K, [SB_EV_VALIDITY_END] = SB_ST_EXPIRED,
		[SB_EV_RESTART] = N, [SB_EV_CHANNEL_GONE] = SB_ST_FAILED,
	},
	[SB_ST_DELIVERED] = {
		[SB_EV_SEND] = N, [SB_EV_UNSENT] = N, [SB_EV_ACCEPTED] = N, [SB_EV_DELIVERED] = N,
		[SB_EV_READ] = SB_ST_READ, [SB_EV_TEMPORARY] = N, [SB_EV_UNDELIVERABLE] = N,
		[SB_EV_FAILED] = N, [SB_EV_EXPIRED] = N, [SB_EV_FALLBACK_DUE] = N,
		[SB_EV_VALIDITY_END] = N, [SB_EV_RESTART] = N, [SB_EV_CHANNEL_GONE] = N,
	},
	[SB_ST_EXPIRED] = {
		[SB_EV_SEND] = N, [SB_EV_UNSENT] = N, [SB_EV_ACCEPTED] = N,
		[SB_EV_DELIVERED] = SB_ST_DELIVERED, [SB_EV_READ] = SB_ST_READ,
		[SB_EV_TEMPORARY] = N, [SB_EV_UNDELIVERABLE] = N, [SB_EV_FAILED] = N,
		[SB_EV_EXPIRED] = N, [SB_EV_FALLBACK_DUE] = N, [SB_EV_VALIDITY_END] = N,
		[SB_EV_RESTART] = N, [SB_EV_CHANNEL_GONE] = N,
	},
};

/* Attempt statuses whose every event is a no-op (read, and the ends). */
static const enum sb_status settled[] = {
	SB_ST_READ, SB_ST_UNDELIVERABLE, SB_ST_FAILED, SB_ST_CANCELLED,
};

static const struct sb_sm_step last_step = { .has_next = 0 };
static const struct sb_sm_env base_env = {
	.now_ms = NOW, .max_tries = 3, .retry_delay_ms = 1000, .resend_in_doubt = 1,
};

static void
decide_current(enum sb_status a, enum sb_sm_event ev, struct sb_sm_decision *d)
{
	struct sb_sm_state s = {
		.attempt = a, .attempt_step = 0, .tries = 1, .message = message_for(a),
		.message_step = 0,
		/* Validity ends now for its own event, an hour away for the rest. */
		.expires_ms = ev == SB_EV_VALIDITY_END ? NOW : NOW + HOUR,
	};

	sb_sm_decide(&s, ev, &last_step, &base_env, d);
}

static void
check_one(enum sb_status a, enum sb_sm_event ev, int want)
{
	struct sb_sm_decision d;
	enum sb_status msg = message_for(a);

	decide_current(a, ev, &d);
	if (want == N) {
		if (d.change)
			fail_msg("%s + %s: expected no change, got attempt %s", sb_status_name(a),
			    sb_sm_event_name(ev), sb_status_name(d.attempt));
		return;
	}
	if (!d.change)
		fail_msg("%s + %s: expected a change", sb_status_name(a), sb_sm_event_name(ev));
	if ((int)d.attempt != want && !(want == K && d.attempt == K))
		fail_msg("%s + %s: attempt %s, expected %s", sb_status_name(a),
		    sb_sm_event_name(ev), sb_status_name(d.attempt),
		    want == K ? "kept" : sb_status_name((enum sb_status)want));
	/* An attempt that ends gets its final time: the store's expiry index
	 * holds an attempt until then (schema 18). */
	if (d.attempt != SB_SM_KEEP && sb_status_final(d.attempt) && !d.set_final)
		fail_msg("%s + %s: attempt ends %s without its final time", sb_status_name(a),
		    sb_sm_event_name(ev), sb_status_name(d.attempt));
	/* Whatever the message does, the table allows it. */
	if (d.message != SB_SM_KEEP && !sb_sm_message_move_ok(msg, d.message))
		fail_msg("%s + %s: message %s -> %s not allowed", sb_status_name(a),
		    sb_sm_event_name(ev), sb_status_name(msg), sb_status_name(d.message));
}

static void
test_every_status_and_event(void **state)
{
	(void)state;
	for (int a = 0; a < SB_ST_COUNT; a++) {
		for (int ev = 0; ev < SB_EV_COUNT; ev++) {
			int want = N;

			if (a == SB_ST_QUEUED || a == SB_ST_SENDING || a == SB_ST_ACCEPTED ||
			    a == SB_ST_DELIVERED || a == SB_ST_EXPIRED)
				want = expected[a][ev];
			check_one((enum sb_status)a, (enum sb_sm_event)ev, want);
		}
	}
	for (size_t i = 0; i < sizeof(settled) / sizeof(settled[0]); i++)
		for (int ev = 0; ev < SB_EV_COUNT; ev++)
			check_one(settled[i], (enum sb_sm_event)ev, N);
}

/* The message follows its current attempt; a last step's end is the message's end. */
static void
test_message_follows_its_current_step(void **state)
{
	struct sb_sm_decision d;

	(void)state;
	decide_current(SB_ST_QUEUED, SB_EV_SEND, &d);
	assert_int_equal(d.message, SB_ST_SENDING);
	assert_int_equal(d.tries, 2);
	assert_true(d.set_sent);
	decide_current(SB_ST_SENDING, SB_EV_ACCEPTED, &d);
	assert_int_equal(d.message, SB_ST_ACCEPTED);
	decide_current(SB_ST_SENDING, SB_EV_UNDELIVERABLE, &d);
	assert_int_equal(d.message, SB_ST_UNDELIVERABLE);
	assert_int_equal(d.next, SB_NEXT_NONE);
	decide_current(SB_ST_ACCEPTED, SB_EV_DELIVERED, &d);
	assert_int_equal(d.message, SB_ST_DELIVERED);
	assert_int_equal(d.fallback_ms, 0);
	assert_int_equal(d.poll_ms, -1);
	decide_current(SB_ST_DELIVERED, SB_EV_READ, &d);
	assert_int_equal(d.message, SB_ST_READ);
	decide_current(SB_ST_ACCEPTED, SB_EV_VALIDITY_END, &d);
	assert_int_equal(d.message, SB_ST_EXPIRED);
	assert_int_equal(d.why, SB_WHY_NO_FINAL_RECEIPT);
	/* A late receipt after expiry: the attempt's record only. */
	decide_current(SB_ST_EXPIRED, SB_EV_DELIVERED, &d);
	assert_int_equal(d.attempt, SB_ST_DELIVERED);
	assert_int_equal(d.message, SB_SM_KEEP);
	assert_int_equal(d.why, SB_WHY_LATE_RECEIPT);
}

static void
test_chain_moves_on(void **state)
{
	struct sb_sm_step step = { .has_next = 1, .fallback_after_ms = 60000 };
	struct sb_sm_state s = {
		.attempt = SB_ST_SENDING, .tries = 1, .message = SB_ST_SENDING,
		.expires_ms = NOW + HOUR,
	};
	struct sb_sm_env env = base_env;
	struct sb_sm_decision d;

	(void)state;
	/* Accepted with a next step: a fallback time, and a poll if polled. */
	env.first_poll_ms = NOW + 5000;
	sb_sm_decide(&s, SB_EV_ACCEPTED, &step, &env, &d);
	assert_int_equal(d.fallback_ms, NOW + 60000);
	assert_int_equal(d.poll_ms, NOW + 5000);
	/* Undeliverable: the next step at once, the message unchanged until it starts. */
	sb_sm_decide(&s, SB_EV_UNDELIVERABLE, &step, &env, &d);
	assert_int_equal(d.next, SB_NEXT_STEP);
	assert_int_equal(d.message, SB_SM_KEEP);
	/* ... or after fallback_after with on_undeliverable: wait ... */
	step.undeliverable_waits = 1;
	sb_sm_decide(&s, SB_EV_UNDELIVERABLE, &step, &env, &d);
	assert_int_equal(d.next, SB_NEXT_STEP_AT);
	assert_int_equal(d.next_at_ms, NOW + 60000);
	assert_int_equal(d.message, SB_ST_SCHEDULED);
	/* ... unless the validity ends first. */
	s.expires_ms = NOW + 1000;
	sb_sm_decide(&s, SB_EV_UNDELIVERABLE, &step, &env, &d);
	assert_int_equal(d.next, SB_NEXT_NONE);
	assert_int_equal(d.message, SB_ST_EXPIRED);
	assert_int_equal(d.chain_why, SB_WHY_VALIDITY_BEFORE_NEXT);
	/* Fallback due on the current step moves on; on an old one, only clears. */
	s = (struct sb_sm_state){ .attempt = SB_ST_ACCEPTED, .tries = 1,
	    .message = SB_ST_ACCEPTED, .expires_ms = NOW + HOUR };
	sb_sm_decide(&s, SB_EV_FALLBACK_DUE, &step, &env, &d);
	assert_int_equal(d.next, SB_NEXT_STEP);
	assert_int_equal(d.fallback_ms, 0);
	s.message_step = 1;
	sb_sm_decide(&s, SB_EV_FALLBACK_DUE, &step, &env, &d);
	assert_int_equal(d.next, SB_NEXT_NONE);
	assert_int_equal(d.fallback_ms, 0);
}

static void
test_retries_run_out(void **state)
{
	struct sb_sm_state s = {
		.attempt = SB_ST_SENDING, .tries = 2, .message = SB_ST_SENDING,
		.expires_ms = NOW + HOUR,
	};
	struct sb_sm_decision d;

	(void)state;
	sb_sm_decide(&s, SB_EV_TEMPORARY, &last_step, &base_env, &d);
	assert_int_equal(d.attempt, SB_ST_QUEUED);
	assert_int_equal(d.next_ms, NOW + 1000);
	s.tries = 3; /* max_tries */
	sb_sm_decide(&s, SB_EV_TEMPORARY, &last_step, &base_env, &d);
	assert_int_equal(d.attempt, SB_ST_FAILED);
	assert_int_equal(d.message, SB_ST_FAILED);
	assert_int_equal(d.why, SB_WHY_GAVE_UP);
	/* No retry past the validity end. */
	s.tries = 1;
	s.expires_ms = NOW + 500;
	sb_sm_decide(&s, SB_EV_TEMPORARY, &last_step, &base_env, &d);
	assert_int_equal(d.attempt, SB_ST_FAILED);
}

/* Step 0 is late: the message moved to step 1, which the receipt settles. */
static void
test_late_receipt_of_an_earlier_step(void **state)
{
	struct sb_sm_state old = {
		.attempt = SB_ST_ACCEPTED, .attempt_step = 0, .tries = 1,
		.message = SB_ST_SENDING, .message_step = 1, .expires_ms = NOW + HOUR,
	};
	struct sb_sm_state next = {
		.attempt = SB_ST_SENDING, .attempt_step = 1, .tries = 1,
		.message = SB_ST_DELIVERED, .message_step = 1, .expires_ms = NOW + HOUR,
	};
	struct sb_sm_step step = { .has_next = 1 };
	struct sb_sm_decision d;
	struct sb_sm_env env = base_env;

	(void)state;
	sb_sm_decide(&old, SB_EV_DELIVERED, &step, &base_env, &d);
	assert_int_equal(d.message, SB_ST_DELIVERED);
	assert_int_equal(d.why, SB_WHY_EARLIER_STEP_RECEIPT);
	/* Step 1's own answer then changes its attempt, never the message. */
	sb_sm_decide(&next, SB_EV_UNDELIVERABLE, &last_step, &base_env, &d);
	assert_int_equal(d.attempt, SB_ST_UNDELIVERABLE);
	assert_int_equal(d.message, SB_SM_KEEP);
	assert_int_equal(d.next, SB_NEXT_NONE);
	/* A queued step of a final message is never sent. */
	next.attempt = SB_ST_QUEUED;
	sb_sm_decide(&next, SB_EV_SEND, &last_step, &base_env, &d);
	assert_int_equal(d.attempt, SB_ST_CANCELLED);
	assert_int_equal(d.why, SB_WHY_NOT_SENT_FINAL);
	/* A restart finds step 1 `sending` after the message became final:
	 * neither reopened nor sent again, even where a resend is harmless. */
	next.attempt = SB_ST_SENDING;
	sb_sm_decide(&next, SB_EV_RESTART, &last_step, &env, &d);
	assert_int_equal(d.attempt, SB_ST_CANCELLED);
	assert_int_equal(d.message, SB_SM_KEEP);
	assert_int_equal(d.why, SB_WHY_RESTART_FINAL);
}

static void
test_restart_prefers_asking_then_resending_then_review(void **state)
{
	struct sb_sm_state s = {
		.attempt = SB_ST_SENDING, .tries = 1, .has_provider_id = 1,
		.message = SB_ST_SENDING, .expires_ms = NOW + HOUR,
	};
	struct sb_sm_env env = base_env;
	struct sb_sm_decision d;

	(void)state;
	env.polled = 1;
	sb_sm_decide(&s, SB_EV_RESTART, &last_step, &env, &d);
	assert_int_equal(d.attempt, SB_ST_ACCEPTED);
	assert_int_equal(d.poll_ms, NOW);
	env.polled = 0;
	sb_sm_decide(&s, SB_EV_RESTART, &last_step, &env, &d);
	assert_int_equal(d.attempt, SB_ST_QUEUED);
	assert_int_equal(d.why, SB_WHY_RESTART_RESEND);
	env.resend_in_doubt = 0;
	sb_sm_decide(&s, SB_EV_RESTART, &last_step, &env, &d);
	assert_int_equal(d.attempt, SB_ST_FAILED);
	assert_int_equal(d.message, SB_ST_FAILED);
	assert_int_equal(d.why, SB_WHY_RESTART_REVIEW);
}

/* No answer after the request went out: the instance's in-doubt policy. */
static void
test_timeout_in_doubt_follows_the_policy(void **state)
{
	struct sb_sm_state s = {
		.attempt = SB_ST_SENDING, .tries = 1, .message = SB_ST_SENDING,
		.expires_ms = NOW + HOUR,
	};
	struct sb_sm_step step = { .has_next = 1 };
	struct sb_sm_env env = base_env;
	struct sb_sm_decision d;

	(void)state;
	env.in_doubt = 1;
	env.resend_in_doubt = 1;
	sb_sm_decide(&s, SB_EV_TEMPORARY, &step, &env, &d);
	assert_int_equal(d.attempt, SB_ST_QUEUED);
	/* review: failed for a person to look at; no other channel is tried. */
	env.resend_in_doubt = 0;
	sb_sm_decide(&s, SB_EV_TEMPORARY, &step, &env, &d);
	assert_int_equal(d.attempt, SB_ST_FAILED);
	assert_int_equal(d.message, SB_ST_FAILED);
	assert_int_equal(d.next, SB_NEXT_NONE);
	assert_int_equal(d.why, SB_WHY_TIMEOUT_REVIEW);
	/* A temporary answer that is not in doubt (a 503) is retried whatever the policy. */
	env.in_doubt = 0;
	sb_sm_decide(&s, SB_EV_TEMPORARY, &step, &env, &d);
	assert_int_equal(d.attempt, SB_ST_QUEUED);
}

/*
 * A stopped broadcast: a message whose chain moves on (its message still
 * `sending` or `accepted`) is cancelled instead of starting its next step,
 * and a final message is never cancelled.
 */
static void
test_stopped_broadcast_moves(void **state)
{
	(void)state;
	assert_true(sb_sm_message_move_ok(SB_ST_SENDING, SB_ST_CANCELLED));
	assert_true(sb_sm_message_move_ok(SB_ST_ACCEPTED, SB_ST_CANCELLED));
	assert_true(sb_sm_message_move_ok(SB_ST_QUEUED, SB_ST_CANCELLED));
	assert_true(sb_sm_message_move_ok(SB_ST_SCHEDULED, SB_ST_CANCELLED));
	assert_false(sb_sm_message_move_ok(SB_ST_DELIVERED, SB_ST_CANCELLED));
	assert_false(sb_sm_message_move_ok(SB_ST_UNDELIVERABLE, SB_ST_CANCELLED));
	assert_false(sb_sm_message_move_ok(SB_ST_CANCELLED, SB_ST_QUEUED));
	/* What was sent is not recalled: an accepted attempt is never cancelled. */
	assert_false(sb_sm_attempt_move_ok(SB_ST_ACCEPTED, SB_ST_CANCELLED));
	assert_true(sb_sm_attempt_move_ok(SB_ST_QUEUED, SB_ST_CANCELLED));
}

static void
test_tables(void **state)
{
	(void)state;
	for (int from = 0; from < SB_ST_COUNT; from++)
		for (int to = 0; to < SB_ST_COUNT; to++) {
			int ok = sb_sm_message_move_ok((enum sb_status)from, (enum sb_status)to);

			if (sb_status_final((enum sb_status)from))
				assert_int_equal(ok, from == SB_ST_DELIVERED && to == SB_ST_READ);
			/* `rejected` is a status a message is born with, never one it gets. */
			if (to == SB_ST_REJECTED)
				assert_false(ok);
			/* Attempts never wait for a time or get rejected. */
			if (to == SB_ST_SCHEDULED || to == SB_ST_BLOCKED_TIME || to == SB_ST_REJECTED)
				assert_false(sb_sm_attempt_move_ok((enum sb_status)from,
				    (enum sb_status)to));
		}
	assert_false(sb_sm_message_move_ok(SB_ST_COUNT, SB_ST_QUEUED));
	assert_false(sb_sm_attempt_move_ok(SB_ST_QUEUED, SB_ST_COUNT));
	for (int ev = 0; ev < SB_EV_COUNT; ev++)
		assert_string_not_equal(sb_sm_event_name((enum sb_sm_event)ev), "unknown");
	for (int w = 0; w < SB_WHY_COUNT; w++)
		assert_non_null(sb_sm_why_text((enum sb_sm_why)w));
}

/* ---- the random model ---- */

#define MAX_ATT 64

struct model_attempt {
	enum sb_status status;
	int step, tries;
	int has_provider_id;
	int64_t fallback_ms, poll_ms, next_ms;
	int in_doubt;        /* a crash found it sending: its fate is unknown */
};

struct model {
	enum sb_status status;
	int step;
	int64_t expires_ms, send_at_ms;
	int nsteps;
	struct sb_sm_step steps[3];
	int idempotent, polled;
	struct model_attempt att[MAX_ATT];
	int natt;
	int64_t now;
	int max_tries;
};

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t
next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int
pick(int n)
{
	return (int)(next_rand() % (uint64_t)n);
}

static void
model_start_step(struct model *m, int step)
{
	struct model_attempt *a;

	assert_true(step < m->nsteps);
	assert_true(m->natt < MAX_ATT);
	a = &m->att[m->natt++];
	*a = (struct model_attempt){ .status = SB_ST_QUEUED, .step = step, .next_ms = m->now };
	assert_true(sb_sm_message_move_ok(m->status, SB_ST_QUEUED) || m->status == SB_ST_QUEUED);
	m->status = SB_ST_QUEUED;
	m->step = step;
}

static int
in_flight(const struct model *m)
{
	int n = 0;

	for (int i = 0; i < m->natt; i++)
		n += m->att[i].status == SB_ST_SENDING;
	return n;
}

/* Feed one event to attempt i, apply the decision as apply.c does, check. */
static int
model_event(struct model *m, int i, enum sb_sm_event ev)
{
	struct model_attempt *a = &m->att[i];
	struct sb_sm_state s = {
		.attempt = a->status, .attempt_step = a->step, .tries = a->tries,
		.has_provider_id = a->has_provider_id, .message = m->status,
		.message_step = m->step, .expires_ms = m->expires_ms,
	};
	struct sb_sm_env env = {
		.now_ms = m->now, .max_tries = m->max_tries, .retry_delay_ms = 100 + pick(2000),
		.first_poll_ms = m->polled ? m->now + 1000 : 0, .polled = m->polled,
		.resend_in_doubt = m->idempotent,
	};
	enum sb_status was = m->status;
	struct sb_sm_decision d;

	/* Some temporary results are timeouts after the request went out. */
	if (ev == SB_EV_TEMPORARY && a->status == SB_ST_SENDING && pick(3) == 0) {
		env.in_doubt = 1;
		a->in_doubt = 1;
	}
	sb_sm_decide(&s, ev, &m->steps[a->step], &env, &d);
	if (!d.change)
		return 0;
	if (d.attempt != SB_SM_KEEP) {
		assert_true(d.attempt == a->status || sb_sm_attempt_move_ok(a->status, d.attempt));
		/* A send whose fate a crash hid is repeated only where that is harmless. */
		if (d.attempt == SB_ST_SENDING && a->in_doubt)
			assert_true(m->idempotent);
		/* Nothing of a final message goes out any more. */
		if (d.attempt == SB_ST_SENDING)
			assert_false(sb_status_final(m->status));
		a->status = d.attempt;
	}
	if (d.tries >= 0)
		a->tries = d.tries;
	if (d.next_ms >= 0)
		a->next_ms = d.next_ms;
	if (d.fallback_ms >= 0)
		a->fallback_ms = d.fallback_ms;
	if (d.poll_ms != 0)
		a->poll_ms = d.poll_ms > 0 ? d.poll_ms : 0;
	if (ev == SB_EV_ACCEPTED && d.attempt == SB_ST_ACCEPTED)
		a->has_provider_id = 1;
	if (d.message != SB_SM_KEEP) {
		assert_true(sb_sm_message_move_ok(m->status, d.message));
		m->status = d.message;
	}
	/* A final message stays final, but delivered -> read. */
	if (sb_status_final(was))
		assert_true(m->status == was || (was == SB_ST_DELIVERED && m->status == SB_ST_READ));
	if (d.next == SB_NEXT_STEP)
		model_start_step(m, a->step + 1);
	else if (d.next == SB_NEXT_STEP_AT) {
		m->step = a->step + 1;
		m->send_at_ms = d.next_at_ms;
		assert_int_equal(m->status, SB_ST_SCHEDULED);
	}
	assert_true(in_flight(m) <= 1);
	return 1;
}

static const enum sb_sm_event outcomes[] = {
	SB_EV_ACCEPTED, SB_EV_DELIVERED, SB_EV_READ, SB_EV_TEMPORARY, SB_EV_UNDELIVERABLE,
	SB_EV_FAILED, SB_EV_EXPIRED,
};
#define NOUTCOMES (sizeof(outcomes) / sizeof(outcomes[0]))

/* What the due scans would do now (due.c): activation, fallback, expiry. */
static int
model_due(struct model *m)
{
	int changed = 0;

	if (m->status == SB_ST_SCHEDULED && m->send_at_ms <= m->now) {
		model_start_step(m, m->step);
		changed = 1;
	}
	for (int i = 0; i < m->natt; i++) {
		struct model_attempt *a = &m->att[i];

		if (a->status == SB_ST_ACCEPTED && a->fallback_ms > 0 && a->fallback_ms <= m->now)
			changed |= model_event(m, i, SB_EV_FALLBACK_DUE);
		if ((a->status == SB_ST_QUEUED || a->status == SB_ST_ACCEPTED) &&
		    m->expires_ms <= m->now)
			changed |= model_event(m, i, SB_EV_VALIDITY_END);
	}
	return changed;
}

static void
model_init(struct model *m)
{
	memset(m, 0, sizeof(*m));
	m->now = NOW;
	m->nsteps = 1 + pick(3);
	for (int k = 0; k < m->nsteps; k++)
		m->steps[k] = (struct sb_sm_step){
			.has_next = k + 1 < m->nsteps,
			.fallback_after_ms = pick(2) ? 1000 + pick(5000) : 0,
			.undeliverable_waits = pick(3) == 0,
		};
	m->idempotent = pick(2);
	m->polled = pick(2);
	m->max_tries = 1 + pick(4);
	m->expires_ms = NOW + 5000 + pick(20000);
	m->status = SB_ST_QUEUED;
	model_start_step(m, 0);
}

static void
model_random_step(struct model *m)
{
	int i = pick(m->natt);
	struct model_attempt *a = &m->att[i];

	switch (pick(8)) {
	case 0: /* time passes; the due scans run */
		m->now += pick(3000);
		model_due(m);
		break;
	case 1: /* the pump takes a ready attempt */
		if (a->status == SB_ST_QUEUED && a->next_ms <= m->now)
			model_event(m, i, SB_EV_SEND);
		break;
	case 2: /* kill -9 and a restart: every send in flight is in doubt */
		for (int k = 0; k < m->natt; k++)
			if (m->att[k].status == SB_ST_SENDING) {
				m->att[k].in_doubt = 1;
				model_event(m, k, SB_EV_RESTART);
			}
		break;
	case 3: /* a stop between the `sending` mark and its commit */
		if (a->status == SB_ST_SENDING && !a->in_doubt)
			model_event(m, i, SB_EV_UNSENT);
		break;
	default: /* a result or receipt, of any attempt, in any order, late or twice */
		model_event(m, i, outcomes[pick(NOUTCOMES)]);
		break;
	}
}

/* After the validity end, everything left resolves: results come, timers fire. */
static void
model_drain(struct model *m)
{
	m->now = m->expires_ms + 1;
	for (int round = 0; round < 1000 && !sb_status_final(m->status); round++) {
		model_due(m);
		for (int i = 0; i < m->natt; i++) {
			if (m->att[i].status == SB_ST_QUEUED)
				model_event(m, i, SB_EV_SEND);
			if (m->att[i].status == SB_ST_SENDING)
				model_event(m, i, outcomes[pick(NOUTCOMES)]);
		}
		m->now += 1000;
	}
}

static void
test_random_model(void **state)
{
	static struct model m;
	int finals[SB_ST_COUNT] = { 0 };

	(void)state;
	for (int run = 0; run < 20000; run++) {
		int steps = pick(40);

		model_init(&m);
		for (int k = 0; k < steps; k++)
			model_random_step(&m);
		model_drain(&m);
		if (!sb_status_final(m.status))
			fail_msg("run %d: message still %s after its validity ended", run,
			    sb_status_name(m.status));
		finals[m.status]++;
	}
	/* The model reached every way a message can end (a weak check that it explores). */
	assert_true(finals[SB_ST_DELIVERED] > 0 && finals[SB_ST_READ] > 0 &&
	    finals[SB_ST_UNDELIVERABLE] > 0 && finals[SB_ST_FAILED] > 0 &&
	    finals[SB_ST_EXPIRED] > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_status_and_event),
		cmocka_unit_test(test_stopped_broadcast_moves),
		cmocka_unit_test(test_message_follows_its_current_step),
		cmocka_unit_test(test_chain_moves_on),
		cmocka_unit_test(test_retries_run_out),
		cmocka_unit_test(test_late_receipt_of_an_earlier_step),
		cmocka_unit_test(test_restart_prefers_asking_then_resending_then_review),
		cmocka_unit_test(test_timeout_in_doubt_follows_the_policy),
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_random_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
