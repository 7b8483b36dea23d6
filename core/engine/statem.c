/*
 * statem.c - the engine's rules (statem.h): the decision function and the
 * tables of allowed status moves. Pure: no store, no loop, no clock.
 */
#include <stddef.h>

#include "statem.h"

#define B(st) (1u << (st))

/* Message moves: from (row) -> the set of statuses it may take. */
static const unsigned message_moves[SB_ST_COUNT] = {
	[SB_ST_SCHEDULED] = B(SB_ST_SCHEDULED) | B(SB_ST_QUEUED) | B(SB_ST_BLOCKED_TIME) |
	    B(SB_ST_EXPIRED) | B(SB_ST_CANCELLED) | B(SB_ST_FAILED) | B(SB_ST_UNDELIVERABLE) |
	    B(SB_ST_DELIVERED) | B(SB_ST_READ),
	[SB_ST_QUEUED] = B(SB_ST_QUEUED) | B(SB_ST_SCHEDULED) | B(SB_ST_SENDING) |
	    B(SB_ST_ACCEPTED) | B(SB_ST_BLOCKED_TIME) | B(SB_ST_EXPIRED) | B(SB_ST_CANCELLED) |
	    B(SB_ST_FAILED) | B(SB_ST_UNDELIVERABLE) | B(SB_ST_DELIVERED) | B(SB_ST_READ),
	/*
	 * `cancelled` from sending or accepted: the chain moves on while its
	 * broadcast is stopped, and the next step never starts (apply.c).
	 */
	[SB_ST_SENDING] = B(SB_ST_QUEUED) | B(SB_ST_SCHEDULED) | B(SB_ST_ACCEPTED) |
	    B(SB_ST_BLOCKED_TIME) | B(SB_ST_EXPIRED) | B(SB_ST_FAILED) |
	    B(SB_ST_UNDELIVERABLE) | B(SB_ST_DELIVERED) | B(SB_ST_READ) | B(SB_ST_CANCELLED),
	[SB_ST_ACCEPTED] = B(SB_ST_ACCEPTED) | B(SB_ST_QUEUED) | B(SB_ST_SCHEDULED) |
	    B(SB_ST_SENDING) | B(SB_ST_BLOCKED_TIME) | B(SB_ST_EXPIRED) | B(SB_ST_FAILED) |
	    B(SB_ST_UNDELIVERABLE) | B(SB_ST_DELIVERED) | B(SB_ST_READ) | B(SB_ST_CANCELLED),
	/* Final: only a read receipt after delivery. */
	[SB_ST_DELIVERED] = B(SB_ST_READ),
};

/* Attempt moves. An attempt is never `scheduled`, `blocked_time` or `rejected`. */
static const unsigned attempt_moves[SB_ST_COUNT] = {
	[SB_ST_QUEUED] = B(SB_ST_QUEUED) | B(SB_ST_SENDING) | B(SB_ST_CANCELLED) |
	    B(SB_ST_EXPIRED) | B(SB_ST_FAILED) | B(SB_ST_ACCEPTED) | B(SB_ST_DELIVERED) |
	    B(SB_ST_READ),
	[SB_ST_SENDING] = B(SB_ST_QUEUED) | B(SB_ST_ACCEPTED) | B(SB_ST_DELIVERED) |
	    B(SB_ST_READ) | B(SB_ST_UNDELIVERABLE) | B(SB_ST_FAILED) | B(SB_ST_EXPIRED) |
	    B(SB_ST_CANCELLED),
	[SB_ST_ACCEPTED] = B(SB_ST_ACCEPTED) | B(SB_ST_DELIVERED) | B(SB_ST_READ) |
	    B(SB_ST_UNDELIVERABLE) | B(SB_ST_FAILED) | B(SB_ST_EXPIRED),
	[SB_ST_DELIVERED] = B(SB_ST_READ),
	/* The provider's late word is kept on the attempt; its message stays expired. */
	[SB_ST_EXPIRED] = B(SB_ST_DELIVERED) | B(SB_ST_READ),
};

int
sb_sm_message_move_ok(enum sb_status from, enum sb_status to)
{
	return (unsigned)from < SB_ST_COUNT && (unsigned)to < SB_ST_COUNT &&
	    (message_moves[from] & B(to)) != 0;
}

int
sb_sm_attempt_move_ok(enum sb_status from, enum sb_status to)
{
	return (unsigned)from < SB_ST_COUNT && (unsigned)to < SB_ST_COUNT &&
	    (attempt_moves[from] & B(to)) != 0;
}

static const char *const event_names[SB_EV_COUNT] = {
	[SB_EV_SEND] = "send", [SB_EV_UNSENT] = "unsent", [SB_EV_ACCEPTED] = "accepted",
	[SB_EV_DELIVERED] = "delivered", [SB_EV_READ] = "read",
	[SB_EV_TEMPORARY] = "temporary", [SB_EV_UNDELIVERABLE] = "undeliverable",
	[SB_EV_FAILED] = "failed", [SB_EV_EXPIRED] = "expired",
	[SB_EV_FALLBACK_DUE] = "fallback_due", [SB_EV_VALIDITY_END] = "validity_end",
	[SB_EV_RESTART] = "restart", [SB_EV_CHANNEL_GONE] = "channel_gone",
};

const char *
sb_sm_event_name(enum sb_sm_event ev)
{
	return (unsigned)ev < SB_EV_COUNT ? event_names[ev] : "unknown";
}

/* Designated entries; long texts are joined literals, not missing commas. */
/* NOLINTBEGIN(bugprone-suspicious-missing-comma) */
static const char *const why_texts[SB_WHY_COUNT] = {
	[SB_WHY_NONE] = "",
	[SB_WHY_NOT_SENT_FINAL] = "not sent: the message was already final",
	[SB_WHY_SUPERSEDED] = "not sent: the message has moved to another step",
	[SB_WHY_VALIDITY_BEFORE_SEND] = "validity ended before it could be sent",
	[SB_WHY_UNSENT_STOP] =
	    "not sent: put back in the queue (the daemon stopped, or its channel instance was"
	    " replaced)",
	[SB_WHY_GAVE_UP] = "gave up after %d tries: %s",
	[SB_WHY_PROVIDER] = "%s via %s%s%s",
	[SB_WHY_EARLIER_STEP_RECEIPT] = "receipt of an earlier step after fallback",
	[SB_WHY_LATE_RECEIPT] =
	    "a receipt came after the validity period; the message stays expired",
	[SB_WHY_NO_RECEIPT_FALLBACK] = "no delivery receipt from %s within fallback_after",
	[SB_WHY_NO_FINAL_RECEIPT] = "no final receipt from %s within the validity period",
	[SB_WHY_VALIDITY_BEFORE_NEXT] = "%s; validity ends before the next step's time",
	[SB_WHY_NEXT_STEP_WAITS] = "%s; next step at %s (on_undeliverable: wait)",
	[SB_WHY_RESTART_POLL] =
	    "restart: asking the provider for the status of a send a crash interrupted",
	[SB_WHY_RESTART_RESEND] = "restart: re-sending with the same idempotency key",
	[SB_WHY_RESTART_REVIEW] =
	    "review: the daemon stopped while sending and the channel has no"
	    " idempotency key; it may or may not have been sent",
	[SB_WHY_RESTART_FINAL] =
	    "restart: the message was already final; a send a crash interrupted is not"
	    " repeated",
	[SB_WHY_CHANNEL_GONE] = "its channel instance %s is no longer configured",
	[SB_WHY_TIMEOUT_REVIEW] =
	    "review: %s after the request went out, and the instance's in_doubt policy is"
	    " review; it may or may not have been sent",
};
/* NOLINTEND(bugprone-suspicious-missing-comma) */

const char *
sb_sm_why_text(enum sb_sm_why why)
{
	return (unsigned)why < SB_WHY_COUNT ? why_texts[why] : "";
}

static int
is_current(const struct sb_sm_state *s)
{
	return s->attempt_step == s->message_step && !sb_status_final(s->message);
}

/*
 * The attempt's step ended without delivering (`kind`: undeliverable,
 * failed or expired): the chain moves on, or the message ends with it.
 */
static void
step_ended(const struct sb_sm_state *s, const struct sb_sm_step *step,
    const struct sb_sm_env *env, enum sb_status kind, struct sb_sm_decision *d)
{
	int64_t at;

	if (step == NULL || !step->has_next) {
		d->message = kind;
		return;
	}
	if (kind != SB_ST_UNDELIVERABLE || !step->undeliverable_waits) {
		d->next = SB_NEXT_STEP;
		return;
	}
	/* on_undeliverable: wait (LINE notification: an unmatched number goes
	 * to SMS hours later), unless the validity ends first. */
	at = env->now_ms + step->fallback_after_ms;
	if (at < s->expires_ms) {
		d->message = SB_ST_SCHEDULED;
		d->next = SB_NEXT_STEP_AT;
		d->next_at_ms = at;
	} else {
		d->message = SB_ST_EXPIRED;
		d->chain_why = SB_WHY_VALIDITY_BEFORE_NEXT;
	}
}

static void
decide_send(const struct sb_sm_state *s, const struct sb_sm_env *env,
    struct sb_sm_decision *d)
{
	if (s->attempt != SB_ST_QUEUED) {
		d->change = 0;
		return;
	}
	if (sb_status_final(s->message)) {
		/* A late receipt of an earlier step settled the message while this
		 * step waited: sending it too would be a second message. */
		d->attempt = SB_ST_CANCELLED;
		d->set_final = 1;
		d->why = SB_WHY_NOT_SENT_FINAL;
		return;
	}
	if (s->attempt_step != s->message_step) {
		d->attempt = SB_ST_CANCELLED;
		d->set_final = 1;
		d->why = SB_WHY_SUPERSEDED;
		return;
	}
	if (s->expires_ms <= env->now_ms) {
		d->attempt = SB_ST_EXPIRED;
		d->message = SB_ST_EXPIRED;
		d->set_final = 1;
		d->why = SB_WHY_VALIDITY_BEFORE_SEND;
		return;
	}
	d->attempt = SB_ST_SENDING;
	d->message = SB_ST_SENDING;
	d->tries = s->tries + 1;
	d->set_sent = 1;
}

static void
decide_accepted(const struct sb_sm_state *s, const struct sb_sm_step *step,
    const struct sb_sm_env *env, struct sb_sm_decision *d)
{
	if (s->attempt != SB_ST_SENDING && s->attempt != SB_ST_QUEUED) {
		d->change = 0; /* a late or repeated "accepted" changes nothing */
		return;
	}
	d->attempt = SB_ST_ACCEPTED;
	d->set_accepted = 1;
	if (!is_current(s))
		return; /* the message is final or has moved on: no timers */
	d->message = SB_ST_ACCEPTED;
	if (env->first_poll_ms > 0)
		d->poll_ms = env->first_poll_ms;
	if (step != NULL && step->has_next && step->fallback_after_ms > 0)
		d->fallback_ms = env->now_ms + step->fallback_after_ms;
}

static void
decide_receipt(const struct sb_sm_state *s, enum sb_status got, struct sb_sm_decision *d)
{
	if (s->attempt == got || s->attempt == SB_ST_READ ||
	    !sb_sm_attempt_move_ok(s->attempt, got)) {
		d->change = 0; /* a duplicate, or news of an attempt already settled */
		return;
	}
	d->attempt = got;
	d->set_final = 1;
	d->fallback_ms = 0;
	d->poll_ms = -1;
	if (sb_sm_message_move_ok(s->message, got) && s->message != got) {
		d->message = got;
		if (s->attempt_step != s->message_step)
			d->why = SB_WHY_EARLIER_STEP_RECEIPT;
	} else if (s->message == SB_ST_EXPIRED && s->attempt == SB_ST_EXPIRED) {
		d->why = SB_WHY_LATE_RECEIPT;
	}
}

static void
decide_temporary(const struct sb_sm_state *s, const struct sb_sm_step *step,
    const struct sb_sm_env *env, struct sb_sm_decision *d)
{
	int64_t next = env->now_ms + env->retry_delay_ms;

	if (s->attempt != SB_ST_SENDING) {
		d->change = 0;
		return;
	}
	/* No answer after the request went out: resend only where the
	 * instance's policy says a repeat is acceptable. */
	if (env->in_doubt && !env->resend_in_doubt) {
		d->attempt = SB_ST_FAILED;
		d->set_final = 1;
		d->why = SB_WHY_TIMEOUT_REVIEW;
		if (is_current(s))
			d->message = SB_ST_FAILED;
		return;
	}
	if (s->tries < env->max_tries && next < s->expires_ms) {
		d->attempt = SB_ST_QUEUED;
		d->next_ms = next;
		if (is_current(s))
			d->message = SB_ST_QUEUED;
		return;
	}
	d->attempt = SB_ST_FAILED;
	d->set_final = 1;
	d->why = SB_WHY_GAVE_UP;
	if (is_current(s))
		step_ended(s, step, env, SB_ST_FAILED, d);
}

static void
decide_final_failure(const struct sb_sm_state *s, const struct sb_sm_step *step,
    const struct sb_sm_env *env, enum sb_status kind, struct sb_sm_decision *d)
{
	if (!sb_sm_attempt_move_ok(s->attempt, kind) || s->attempt == SB_ST_QUEUED) {
		d->change = 0;
		return;
	}
	d->attempt = kind;
	d->set_final = 1;
	d->fallback_ms = 0;
	d->poll_ms = -1;
	d->why = SB_WHY_PROVIDER;
	if (is_current(s))
		step_ended(s, step, env, kind, d);
}

static void
decide_restart(const struct sb_sm_state *s, const struct sb_sm_step *step,
    const struct sb_sm_env *env, struct sb_sm_decision *d)
{
	if (s->attempt != SB_ST_SENDING) {
		d->change = 0;
		return;
	}
	/* The provider can tell: ask it. */
	if (s->has_provider_id && env->polled) {
		d->attempt = SB_ST_ACCEPTED;
		d->set_accepted = 1;
		d->poll_ms = env->now_ms;
		d->why = SB_WHY_RESTART_POLL;
		if (is_current(s)) {
			d->message = SB_ST_ACCEPTED;
			if (step != NULL && step->has_next && step->fallback_after_ms > 0)
				d->fallback_ms = env->now_ms + step->fallback_after_ms;
		}
		return;
	}
	if (!is_current(s)) {
		/* Settled meanwhile (a late receipt of an earlier step): never
		 * reopen it, never send it again. */
		d->attempt = SB_ST_CANCELLED;
		d->set_final = 1;
		d->why = SB_WHY_RESTART_FINAL;
		return;
	}
	if (env->resend_in_doubt) {
		d->attempt = SB_ST_QUEUED;
		d->next_ms = env->now_ms;
		d->message = SB_ST_QUEUED;
		d->why = SB_WHY_RESTART_RESEND;
		return;
	}
	d->attempt = SB_ST_FAILED;
	d->message = SB_ST_FAILED;
	d->set_final = 1;
	d->why = SB_WHY_RESTART_REVIEW;
}

void
sb_sm_decide(const struct sb_sm_state *s, enum sb_sm_event ev, const struct sb_sm_step *step,
    const struct sb_sm_env *env, struct sb_sm_decision *d)
{
	*d = (struct sb_sm_decision){
		.change = 1, .attempt = SB_SM_KEEP, .message = SB_SM_KEEP, .tries = -1,
		.next_ms = -1, .fallback_ms = -1, .next = SB_NEXT_NONE, .why = SB_WHY_NONE,
		.chain_why = SB_WHY_NONE,
	};
	switch (ev) {
	case SB_EV_SEND:
		decide_send(s, env, d);
		break;
	case SB_EV_UNSENT:
		if (s->attempt != SB_ST_SENDING) {
			d->change = 0;
			break;
		}
		d->attempt = SB_ST_QUEUED;
		d->tries = s->tries > 0 ? s->tries - 1 : 0;
		d->next_ms = env->now_ms;
		d->why = SB_WHY_UNSENT_STOP;
		if (is_current(s))
			d->message = SB_ST_QUEUED;
		break;
	case SB_EV_ACCEPTED:
		decide_accepted(s, step, env, d);
		break;
	case SB_EV_DELIVERED:
	case SB_EV_READ:
		decide_receipt(s, ev == SB_EV_READ ? SB_ST_READ : SB_ST_DELIVERED, d);
		break;
	case SB_EV_TEMPORARY:
		decide_temporary(s, step, env, d);
		break;
	case SB_EV_UNDELIVERABLE:
		decide_final_failure(s, step, env, SB_ST_UNDELIVERABLE, d);
		break;
	case SB_EV_FAILED:
		decide_final_failure(s, step, env, SB_ST_FAILED, d);
		break;
	case SB_EV_EXPIRED:
		decide_final_failure(s, step, env, SB_ST_EXPIRED, d);
		break;
	case SB_EV_FALLBACK_DUE:
		if (s->attempt != SB_ST_ACCEPTED) {
			d->change = 0;
			break;
		}
		d->fallback_ms = 0;
		d->why = SB_WHY_NO_RECEIPT_FALLBACK;
		if (is_current(s) && step != NULL && step->has_next)
			d->next = SB_NEXT_STEP;
		break;
	case SB_EV_VALIDITY_END:
		if ((s->attempt != SB_ST_QUEUED && s->attempt != SB_ST_ACCEPTED) ||
		    s->expires_ms > env->now_ms) {
			d->change = 0;
			break;
		}
		d->why = s->attempt == SB_ST_ACCEPTED ? SB_WHY_NO_FINAL_RECEIPT :
		    SB_WHY_VALIDITY_BEFORE_SEND;
		d->attempt = SB_ST_EXPIRED;
		d->set_final = 1;
		d->fallback_ms = 0;
		d->poll_ms = -1;
		if (is_current(s))
			d->message = SB_ST_EXPIRED;
		break;
	case SB_EV_RESTART:
		decide_restart(s, step, env, d);
		break;
	case SB_EV_CHANNEL_GONE:
		if (s->attempt != SB_ST_QUEUED && s->attempt != SB_ST_ACCEPTED) {
			d->change = 0;
			break;
		}
		d->attempt = SB_ST_FAILED;
		d->set_final = 1;
		d->fallback_ms = 0;
		d->poll_ms = -1;
		d->why = SB_WHY_CHANNEL_GONE;
		if (is_current(s))
			step_ended(s, step, env, SB_ST_FAILED, d);
		break;
	case SB_EV_COUNT:
		d->change = 0;
		break;
	}
	/* Never a move the tables refuse: the write would be refused anyway. */
	if (d->message != SB_SM_KEEP && (d->message == s->message &&
	    d->message != SB_ST_QUEUED && d->message != SB_ST_SCHEDULED &&
	    d->message != SB_ST_ACCEPTED))
		d->message = SB_SM_KEEP;
	if (d->message != SB_SM_KEEP && !sb_sm_message_move_ok(s->message, d->message))
		d->message = SB_SM_KEEP;
}
