/*
 * apply.c - the only writer of statuses. Events become decisions
 * (statem.c), and decisions become one sb_eng_transition each: the move is
 * checked against the tables, written compare-and-set (the store writes
 * only if the rows still hold the statuses the decision was made on), and
 * every time it stores wakes the due timer or the pump. Chain steps are
 * started here too, behind the allowed-hours gate (schedule.c).
 *
 * Never called from outside the engine; nothing here sends or reads the
 * clock twice for one decision.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chantype.h"
#include "clock.h"
#include "config.h"
#include "daemon.h"
#include "due.h"
#include "engine.h"
#include "events.h"
#include "hours.h"
#include "instance.h"
#include "loader.h"
#include "log.h"
#include "metrics.h"
#include "store.h"
#include "store_search.h"
#include "timefmt.h"

/* Status gauges move at once, or with their batch if it holds (submit.c). */
static void
count_move(struct sb_dispatch *dp, int from, enum sb_status to)
{
	if (dp->batch.open) {
		if (from >= 0)
			dp->batch.moves[from]--;
		dp->batch.moves[to]++;
		return;
	}
	sb_metrics_status_move(from, (int)to);
}

/* A stored time: a queue due now needs a pass, anything later the due timer. */
static void
note_time(struct sb_dispatch *dp, int64_t at_ms, int queue)
{
	if (at_ms <= 0)
		return;
	if (queue && at_ms <= sb_now_ms())
		sb_pump_soon(dp);
	else
		sb_due_note(dp->due, at_ms);
}

static void
refuse(struct sb_dispatch *dp, const struct sb_transition *t, const char *what,
    enum sb_status from, enum sb_status to)
{
	dp->refused++;
	sb_metrics_count("sb_engine_refused_total", NULL, 0, 1);
	sb_log(SB_LOG_ERROR, "engine: message %lld: %s %s -> %s refused (%s)",
	    (long long)t->message_id, what, sb_status_name(from), sb_status_name(to),
	    t->reason != NULL ? t->reason : "no reason");
}

int
sb_eng_transition(struct sb_dispatch *dp, const struct sb_transition *t)
{
	struct sb_store *st = dp->d->store;
	int64_t now = sb_now_ms();
	int msg = t->message_status != SB_SM_KEEP;
	const struct sb_attempt_change *ch = t->attempt_id != 0 ? t->change : NULL;

	/* A send out for this message judges its result against the row. */
	sb_watch_touch(dp, t->message_id);
	if (msg && !sb_sm_message_move_ok(t->old_message_status, t->message_status)) {
		refuse(dp, t, "message", t->old_message_status, t->message_status);
		return -1;
	}
	if (ch != NULL && !sb_sm_attempt_move_ok(t->old_attempt_status, ch->status)) {
		refuse(dp, t, "attempt", t->old_attempt_status, ch->status);
		return -1;
	}
	/* The message first: if it moved under us, the attempt stays as it was. */
	if (msg) {
		if ((t->first ? sb_store_message_update_first(st, t->message_id,
		    t->old_message_status, t->message_status, t->step, t->reason, now) :
		    sb_store_message_update(st, t->message_id, t->old_message_status,
		    t->message_status, t->step, t->reason, t->attempt_id, now)) != 0) {
			refuse(dp, t, "message (not as read)", t->old_message_status,
			    t->message_status);
			return -1;
		}
		if (t->send_at_ms > 0)
			sb_store_message_set_times(st, t->message_id, t->send_at_ms, t->expires_ms);
		if (t->old_message_status != t->message_status) {
			count_move(dp, (int)t->old_message_status, t->message_status);
			/* The application's event joins this change's transaction. */
			sb_events_status(dp->d, t->message_id, t->message_status, t->reason, now);
		}
	}
	if (ch != NULL && sb_store_attempt_update(st, t->attempt_id, t->old_attempt_status,
	    ch) != 0) {
		refuse(dp, t, "attempt (not as read)", t->old_attempt_status, ch->status);
		return -1;
	}
	/* A message move wrote its history entry with it; any other change
	 * (an attempt's alone) gets one of its own, but for the first step's
	 * start of a message just stored queued, whose row has it already. */
	if (!msg && !t->first)
		sb_store_history_add(st, t->message_id, t->attempt_id,
		    ch != NULL ? ch->status : t->old_message_status, t->reason, now);
	/* Every time stored here is a promise to act then: wake by it. */
	if (msg && t->send_at_ms > 0)
		note_time(dp, t->send_at_ms, 0);
	if (ch != NULL) {
		if (ch->status == SB_ST_QUEUED)
			note_time(dp, ch->next_ms, 1);
		note_time(dp, ch->fallback_ms, 0);
		note_time(dp, ch->poll_ms, 0);
	}
	return 0;
}

void
sb_eng_created(struct sb_dispatch *dp, const struct sb_message *m)
{
	/* Its first history entry came with its row (sb_store_message_insert). */
	count_move(dp, -1, m->status);
	/* Born final (rejected by a filter): the application hears of it too. */
	if (sb_status_final(m->status))
		sb_events_status(dp->d, m->id, m->status, m->reason, m->created_ms);
	if (m->status == SB_ST_SCHEDULED)
		note_time(dp, m->send_at_ms, 0);
}

/* ---- chain steps ---- */

/*
 * A step that does not start after all (its broadcast stopped, outside
 * allowed hours). A message just stored has no channel type then: submit.c
 * stored its first step's, expecting the step to start.
 */
static void
not_started(struct sb_dispatch *dp, const struct sb_transition *t, enum sb_status old_status,
    int step)
{
	if (old_status == SB_ST_QUEUED && step == 0)
		sb_store_message_set_channel_type(dp->d->store, t->message_id, NULL);
	sb_eng_transition(dp, t);
}

/*
 * The direct start, decided before a new message is stored (submit.c):
 * the instance its first step would go to, if it could be stored
 * `sending` at once: its chain has a first step on an instance that can
 * send now (pump.c), its subaccount's hours allow now, and the rule of a
 * pass's mark (SB_EV_SEND on the attempt as it would be stored queued)
 * says `sending`. NULL: it goes the usual way (queued, then a pass). The
 * caller's message makes its own broadcast, which no stop can hold yet.
 */
struct sb_instance *
sb_eng_direct_first(struct sb_dispatch *dp, const struct sb_config_subaccount *sub,
    const struct sb_message *m, int64_t now)
{
	const struct sb_chain_version *cv = sb_chains_get(dp->chains, m->chain_ver, m->chain);
	const struct sb_sm_state s = {
		.attempt = SB_ST_QUEUED, .message = SB_ST_QUEUED, .expires_ms = m->expires_ms,
	};
	const struct sb_sm_env env = {
		.now_ms = now, .max_tries = (int)dp->d->cfg->retry.max_attempts,
	};
	struct sb_sm_decision dc;
	struct sb_instance *inst;
	int64_t next;

	if (cv == NULL || cv->nsteps == 0)
		return NULL;
	if (sub->hours.set && sb_hours_check(&sub->hours, sub->tz, now, &next) != 1)
		return NULL;
	inst = sb_loader_instance(dp->d->loader, cv->steps[0].channel);
	if (inst == NULL || !sb_pump_direct_ok(dp, inst, sub))
		return NULL;
	sb_sm_decide(&s, SB_EV_SEND, NULL, &env, &dc);
	return dc.change && dc.attempt == SB_ST_SENDING && dc.message == SB_ST_SENDING ?
	    inst : NULL;
}

int
sb_eng_direct_start(struct sb_dispatch *dp, const struct sb_config_subaccount *sub,
    const struct sb_message *m, struct sb_instance *inst)
{
	struct sb_attempt_row r;
	int64_t att, expire = 0;

	/* The message is stored `sending` already (its row has both history
	 * entries); its attempt is stored as the mark would leave it. */
	att = sb_store_attempt_insert(dp->d->store, m->id, 0, inst->name, SB_ST_SENDING,
	    m->created_ms, m->created_ms, &expire);
	if (att <= 0)
		return -1;
	sb_events_status(dp->d, m->id, SB_ST_SENDING, NULL, m->created_ms);
	sb_metrics_count("sb_direct_starts_total", inst->name, 0, 1);
	note_time(dp, expire, 0);
	r = (struct sb_attempt_row){
		.id = att, .message_id = m->id, .status = SB_ST_QUEUED,
		.message_status = SB_ST_QUEUED, .instance = inst->name,
		.subaccount = m->subaccount, .chain = m->chain, .to = m->to, .from = m->from,
		.text = m->text, .template_name = m->template_name,
		.template_lang = m->template_lang, .template_vars = m->template_vars,
		.next_ms = m->created_ms, .expires_ms = m->expires_ms, .created_ms = m->created_ms,
		.expire_ms = expire, .chain_ver = m->chain_ver, .template_ver = m->template_ver,
	};
	sb_pump_direct(dp, inst, sub, &r);
	return 0;
}

void
sb_eng_start_step(struct sb_dispatch *dp, int64_t message_id, enum sb_status old_status,
    int64_t chain_ver, const char *chain_name, int step, const char *reason)
{
	const struct sb_chain_version *cv = sb_chains_get(dp->chains, chain_ver, chain_name);
	struct sb_instance *inst;
	int64_t now = sb_now_ms(), att, expire = 0;
	struct sb_transition t = {
		.message_id = message_id, .old_message_status = old_status,
		.message_status = SB_SM_KEEP, .step = step, .reason = reason,
		.first = old_status == SB_ST_QUEUED && step == 0,
	};
	char why[400];

	if (cv == NULL || step < 0 || (size_t)step >= cv->nsteps) {
		t.message_status = SB_ST_FAILED;
		t.step = -1;
		t.reason = cv == NULL ? "its chain is no longer configured" :
		    "its chain has no such step";
		sb_eng_transition(dp, &t);
		return;
	}
	/* A stopped broadcast starts nothing more, not even a fallback step. */
	if (sb_bcast_stopped(dp, message_id)) {
		t.message_status = SB_ST_CANCELLED;
		t.step = -1;
		t.reason = sb_bcast_stop_reason();
		not_started(dp, &t, old_status, step);
		return;
	}
	if (sb_hours_gate(dp, message_id, step, now, &t, why, sizeof(why))) {
		not_started(dp, &t, old_status, step);
		return;
	}
	inst = sb_loader_instance(dp->d->loader, cv->steps[step].channel);
	att = sb_store_attempt_insert(dp->d->store, message_id, step, cv->steps[step].channel,
	    SB_ST_QUEUED, now, now, &expire);
	t.attempt_id = att > 0 ? att : 0;
	/* A message just stored queued stays so; its row has its entry. */
	if (!t.first)
		t.message_status = SB_ST_QUEUED;
	if (sb_eng_transition(dp, &t) != 0)
		return;
	note_time(dp, expire, 0);
	/* Queued: a direct start waits behind it. */
	if (inst != NULL && att > 0 && inst->queue_due_ms > now)
		inst->queue_due_ms = now;
	/* The search's channel type is the latest attempt's (the delivering
	 * one); a message just stored as queued has its first step's already. */
	if (att > 0 && !t.first)
		sb_store_message_set_channel_type(dp->d->store, message_id,
		    sb_channel_type(inst != NULL ? inst->cfg->module : NULL));
	if (inst == NULL) {
		/* Its chain version names an instance this configuration lacks
		 * (a restart after it was removed): move on, never strand it. */
		struct sb_attempt_ref a = {
			.attempt_id = att, .message_id = message_id, .step = step,
			.message_step = step, .status = SB_ST_QUEUED,
			.message_status = t.message_status != SB_SM_KEEP ? t.message_status :
			    old_status,
			.chain_ver = chain_ver, .chain = chain_name,
			.instance = cv->steps[step].channel, .expires_ms = expire,
		};

		if (att > 0)
			sb_eng_event(dp, &a, SB_EV_CHANNEL_GONE, NULL);
		return;
	}
	sb_pump_soon(dp);
}

/* ---- events ---- */

static int64_t
backoff_ms(const struct sb_config_retry *r, int tries, int32_t retry_after_s)
{
	double ms = (double)r->initial_ms * pow(r->multiplier, tries > 0 ? tries - 1 : 0);

	if (ms > (double)r->max_ms)
		ms = (double)r->max_ms;
	/* Jitter spreads retries of a burst that failed together. */
	ms *= 1.0 + r->jitter * ((double)random() / RAND_MAX * 2.0 - 1.0);
	if (retry_after_s > 0 && (double)retry_after_s * 1000.0 > ms)
		ms = (double)retry_after_s * 1000.0;
	return (int64_t)ms;
}

int64_t
sb_eng_first_poll(struct sb_dispatch *dp, const char *instance, int64_t now)
{
	struct sb_instance *inst = instance != NULL ?
	    sb_loader_instance(dp->d->loader, instance) : NULL;

	if (inst == NULL || !sb_instance_polls(inst))
		return 0;
	return sb_poll_next(&inst->cfg->poll, now, now);
}

/* The message's reason for a decision, in `buf`. */
static const char *
reason_of(const struct sb_attempt_ref *a, const struct sb_sm_decision *dc,
    const struct sb_outcome_info *in, char *buf, size_t len)
{
	const char *etext = in != NULL ? in->error_text : NULL;
	char base[300];

	switch (dc->why) {
	case SB_WHY_NONE:
		return etext;
	case SB_WHY_GAVE_UP:
		snprintf(base, sizeof(base), sb_sm_why_text(dc->why), a->tries,
		    etext != NULL ? etext : "temporary failure");
		break;
	case SB_WHY_PROVIDER:
		snprintf(base, sizeof(base), sb_sm_why_text(dc->why), sb_status_name(dc->attempt),
		    a->instance, etext != NULL ? ": " : "", etext != NULL ? etext : "");
		break;
	case SB_WHY_TIMEOUT_REVIEW:
		snprintf(base, sizeof(base), sb_sm_why_text(dc->why),
		    etext != NULL ? etext : "no answer");
		break;
	case SB_WHY_NO_RECEIPT_FALLBACK:
	case SB_WHY_NO_FINAL_RECEIPT:
	case SB_WHY_CHANNEL_GONE:
		snprintf(base, sizeof(base), sb_sm_why_text(dc->why), a->instance);
		break;
	default:
		snprintf(base, sizeof(base), "%s", sb_sm_why_text(dc->why));
		break;
	}
	if (dc->next == SB_NEXT_STEP_AT) {
		char when[40];

		snprintf(buf, len, sb_sm_why_text(SB_WHY_NEXT_STEP_WAITS), base,
		    sb_format_iso8601_ms(dc->next_at_ms, when, sizeof(when)));
	} else if (dc->chain_why == SB_WHY_VALIDITY_BEFORE_NEXT) {
		snprintf(buf, len, sb_sm_why_text(SB_WHY_VALIDITY_BEFORE_NEXT), base);
	} else {
		snprintf(buf, len, "%s", base);
	}
	return buf;
}

/*
 * The instance's one in-doubt policy, for both ways a send becomes
 * uncertain (a restart finds it `sending`; no answer came after the request
 * went out): plugins.X.in_doubt, by default resend where the channel
 * declares idempotency keys and review elsewhere.
 */
int
sb_eng_resends_in_doubt(struct sb_dispatch *dp, const char *instance)
{
	struct sb_instance *inst = sb_loader_instance(dp->d->loader, instance);

	if (inst == NULL)
		return 0;
	switch (inst->cfg->in_doubt) {
	case SB_IN_DOUBT_RESEND:
		return 1;
	case SB_IN_DOUBT_REVIEW:
		return 0;
	default:
		return inst->p->capabilities->idempotent != 0;
	}
}

int
sb_eng_event(struct sb_dispatch *dp, const struct sb_attempt_ref *a, enum sb_sm_event ev,
    const struct sb_outcome_info *info)
{
	const struct sb_config *cfg = dp->d->cfg;
	const struct sb_chain_version *cv = sb_chains_get(dp->chains, a->chain_ver, a->chain);
	struct sb_sm_state s = {
		.attempt = a->status, .attempt_step = a->step, .tries = a->tries,
		.has_provider_id = a->has_provider_id, .message = a->message_status,
		.message_step = a->message_step, .expires_ms = a->expires_ms,
	};
	struct sb_sm_step step = { 0 };
	struct sb_sm_env env = { .now_ms = sb_now_ms(), .max_tries = (int)cfg->retry.max_attempts };
	struct sb_sm_decision dc;
	struct sb_attempt_change ch = { .tries = -1, .next_ms = -1, .fallback_ms = -1,
	    .instance = a->instance };
	struct sb_transition t = {
		.message_id = a->message_id, .attempt_id = a->attempt_id, .change = &ch,
		.old_attempt_status = a->status, .old_message_status = a->message_status,
		.step = -1,
	};
	char why[500];

	if (cv != NULL && a->step >= 0 && (size_t)a->step < cv->nsteps) {
		step.has_next = (size_t)a->step + 1 < cv->nsteps;
		step.fallback_after_ms = cv->steps[a->step].fallback_after_ms;
		step.undeliverable_waits = cv->steps[a->step].undeliverable_waits;
	}
	if (ev == SB_EV_TEMPORARY)
		env.retry_delay_ms = backoff_ms(&cfg->retry, a->tries,
		    info != NULL ? info->retry_after_s : -1);
	if (ev == SB_EV_ACCEPTED)
		env.first_poll_ms = sb_eng_first_poll(dp, a->instance, env.now_ms);
	if (ev == SB_EV_RESTART) {
		struct sb_instance *inst = sb_loader_instance(dp->d->loader, a->instance);

		env.polled = inst != NULL && sb_instance_polls(inst);
	}
	if (ev == SB_EV_RESTART || (info != NULL && info->in_doubt)) {
		env.in_doubt = 1;
		env.resend_in_doubt = sb_eng_resends_in_doubt(dp, a->instance);
	}
	sb_sm_decide(&s, ev, cv != NULL ? &step : NULL, &env, &dc);
	if (!dc.change)
		return -1;
	if (env.in_doubt && a->status == SB_ST_SENDING)
		sb_metrics_count(ev == SB_EV_RESTART ? "sb_in_doubt_restarts_total" :
		    "sb_in_doubt_timeouts_total", a->instance, 0, 1);
	ch.status = dc.attempt != SB_SM_KEEP ? dc.attempt : a->status;
	ch.tries = dc.tries;
	ch.next_ms = dc.next_ms;
	ch.fallback_ms = dc.fallback_ms;
	ch.poll_ms = dc.poll_ms;
	ch.sent_ms = dc.set_sent ? env.now_ms : 0;
	ch.accepted_ms = dc.set_accepted ? env.now_ms : 0;
	ch.final_ms = dc.set_final ? env.now_ms : 0;
	if (info != NULL) {
		ch.provider_id = info->provider_id;
		ch.error_code = info->error_code;
		ch.error_text = info->error_text;
		ch.parts = info->parts;
	}
	/* The attempt's own key is not stored as its provider id (a plugin may
	 * report it so): readers make it again (store.h), and it would cost
	 * a column and an attempts_provider entry per message. */
	if (ch.provider_id != NULL &&
	    sb_store_attempt_of_key(dp->d->store, ch.provider_id) == a->attempt_id)
		ch.provider_id = NULL;
	t.reason = reason_of(a, &dc, info, why, sizeof(why));
	if (dc.why == SB_WHY_GAVE_UP || dc.why == SB_WHY_NO_FINAL_RECEIPT ||
	    dc.why == SB_WHY_VALIDITY_BEFORE_SEND || dc.why == SB_WHY_CHANNEL_GONE ||
	    dc.why == SB_WHY_RESTART_REVIEW || dc.why == SB_WHY_TIMEOUT_REVIEW)
		ch.error_text = t.reason;
	t.message_status = dc.message;
	if (dc.next == SB_NEXT_STEP_AT) {
		t.step = a->step + 1;
		t.send_at_ms = dc.next_at_ms;
	}
	if (sb_eng_transition(dp, &t) < 0)
		return -1;
	/* Queued again (a retry, a send put back): a direct start waits behind it. */
	if (ch.status == SB_ST_QUEUED) {
		struct sb_instance *inst = sb_loader_instance(dp->d->loader, a->instance);

		if (inst != NULL && ch.next_ms < inst->queue_due_ms)
			inst->queue_due_ms = ch.next_ms;
	}
	if (dc.next == SB_NEXT_STEP)
		sb_eng_start_step(dp, a->message_id, dc.message != SB_SM_KEEP ? dc.message :
		    a->message_status, a->chain_ver, a->chain, a->step + 1, t.reason);
	return (int)ch.status;
}

/* ---- attempt identity ---- */

void
sb_eng_ref_of_row(struct sb_dispatch *dp, struct sb_attempt_ref *a,
    const struct sb_attempt_row *r)
{
	/* The attempt's own key (rows of earlier versions stored it as the
	 * provider id) is not an id the provider can be asked about. */
	int has_id = r->provider_id != NULL && *r->provider_id != '\0' &&
	    sb_store_attempt_of_key(dp->d->store, r->provider_id) != r->id;
	*a = (struct sb_attempt_ref){
		.attempt_id = r->id, .message_id = r->message_id, .step = r->step,
		.message_step = r->message_step, .tries = r->tries, .status = r->status,
		.message_status = r->message_status, .chain = r->chain,
		.instance = r->instance, .expires_ms = r->expires_ms, .chain_ver = r->chain_ver,
		.has_provider_id = has_id,
	};
}

int
sb_eng_keep_attempt(void *arg, const struct sb_attempt_row *r)
{
	struct sb_found_attempt *f = arg;

	f->found = 1;
	sb_eng_ref_of_row(f->dp, &f->ref, r);
	snprintf(f->chain, sizeof(f->chain), "%s", r->chain != NULL ? r->chain : "");
	snprintf(f->instance, sizeof(f->instance), "%s", r->instance);
	f->ref.chain = f->chain;
	f->ref.instance = f->instance;
	return 1;
}

const char *
sb_eng_arena_dup(char *arena, size_t *used, const char *s)
{
	size_t n;
	char *p;

	if (s == NULL)
		return NULL;
	n = strlen(s) + 1;
	p = arena + *used;
	memcpy(p, s, n);
	*used += n;
	return p;
}
