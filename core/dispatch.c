/*
 * dispatch.c - moving attempts from `queued` to a final status.
 *
 * The pump runs when there may be work: after a group commit that added
 * some, when a send slot frees up, or when the earliest due time comes. It
 * reads a bounded batch of ready attempts per channel instance from the
 * store (the queue is never held in memory), marks them `sending`,
 * commits once, and only then hands them to the plugins, so that a crash
 * can never forget a request that might have reached a provider.
 *
 * Results and receipts come back through the host table and go through
 * apply_outcome(), and every status change goes through transition():
 * those two functions are the whole state machine.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "clock.h"
#include "config.h"
#include "daemon.h"
#include "dispatch_impl.h"
#include "instance.h"
#include "loader.h"
#include "log.h"
#include "metrics.h"
#include "store.h"
#include "timefmt.h"

#define PUMP_BATCH 512         /* attempts per instance per pass */
#define DUE_BATCH 256          /* scheduled/fallback rows per pass */

/* ---- the one place where statuses change ---- */

void
transition(struct sb_dispatch *dp, const struct transition_req *t)
{
	struct sb_store *st = dp->d->store;
	int64_t now = sb_now_ms();
	enum sb_status hist;

	if (t->attempt_id != 0 && t->change != NULL)
		sb_store_attempt_update(st, t->attempt_id, t->change);
	if ((int)t->message_status >= 0) {
		sb_store_message_update(st, t->message_id, t->message_status, t->step,
		    t->reason, now);
		if (t->send_at_ms > 0)
			sb_store_message_set_times(st, t->message_id, t->send_at_ms,
			    t->expires_ms);
		if (t->old_message_status != t->message_status)
			sb_metrics_status_move(t->old_message_status, t->message_status);
	}
	hist = (int)t->message_status >= 0 ? t->message_status :
	    t->change != NULL ? t->change->status : t->old_message_status;
	sb_store_history_add(st, t->message_id, t->attempt_id, hist,
	    t->reason != NULL && *t->reason != '\0' ? t->reason : NULL, now);
	sb_dispatch_wake_commit(dp);
}

/* ---- group commit ---- */

static void
commit_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sb_dispatch *dp = arg;

	dp->commit_armed = 0;
	if (sb_store_commit(dp->d->store) < 0)
		sb_log(SB_LOG_ERROR, "store: group commit failed: %s",
		    sb_store_errmsg(dp->d->store));
	if (dp->new_work) {
		dp->new_work = 0;
		pump_soon(dp, 1);
	}
}

void
sb_dispatch_wake_commit(struct sb_dispatch *dp)
{
	const struct sb_config_daemon *cd = &dp->d->cfg->daemon;

	if (sb_store_pending(dp->d->store) >= (unsigned)cd->commit_max) {
		event_active(dp->commit_ev, 0, 0);
		return;
	}
	if (!dp->commit_armed) {
		struct timeval tv = { (time_t)(cd->commit_interval_ms / 1000),
			(suseconds_t)(cd->commit_interval_ms % 1000 * 1000) };

		dp->commit_armed = 1;
		event_add(dp->commit_ev, &tv);
	}
}

/* ---- chain steps ---- */

const struct sb_config_chain *
chain_of(struct sb_dispatch *dp, const char *name)
{
	return sb_config_chain(dp->d->cfg, name);
}

/*
 * Queue step `step` of a message's chain, or end the message if there is
 * none. Outside the subaccount's allowed hours the step does not start:
 * the message waits `scheduled` at this step until the window opens
 * (activate_message starts it then), or ends `blocked_time` (schedule.c).
 */
void
start_step(struct sb_dispatch *dp, int64_t message_id, enum sb_status old_status,
    const char *chain_name, int step, const char *reason)
{
	const struct sb_config_chain *chain = chain_of(dp, chain_name);
	int64_t now = sb_now_ms(), att;
	struct transition_req t = {
		.message_id = message_id, .old_message_status = old_status,
		.step = step, .reason = reason,
	};
	char why[400];

	if (chain == NULL) {
		t.message_status = SB_ST_FAILED;
		t.reason = "its chain is no longer configured";
		transition(dp, &t);
		return;
	}
	if (hours_gate(dp, message_id, step, now, &t, why, sizeof(why))) {
		transition(dp, &t);
		/* A wait: the pass after the commit arms the due timer for it. */
		dp->new_work |= t.message_status == SB_ST_SCHEDULED;
		return;
	}
	att = sb_store_attempt_insert(dp->d->store, message_id, step,
	    chain->steps[step].channel, SB_ST_QUEUED, now, now);
	t.attempt_id = att > 0 ? att : 0;
	/* A message just stored as queued needs only its history row. */
	t.message_status = old_status == SB_ST_QUEUED && step == 0 ? -1 : SB_ST_QUEUED;
	transition(dp, &t);
	dp->new_work = 1;
}

/* The attempt ended without delivering: next step, or the message ends. */
static void
step_failed(struct sb_dispatch *dp, const struct attempt_ref *a, enum sb_status final,
    const char *reason)
{
	const struct sb_config_chain *chain = chain_of(dp, a->chain);
	const struct sb_config_step *st;
	char why[400], when[40];
	int64_t at;

	if (chain != NULL && (size_t)a->step + 1 < chain->nsteps) {
		st = &chain->steps[a->step];
		if (final != SB_ST_UNDELIVERABLE || st->on_undeliverable != SB_UNDELIV_WAIT) {
			start_step(dp, a->message_id, a->message_status, a->chain, a->step + 1,
			    reason);
			return;
		}
		/* The step's policy: an undeliverable answer waits out fallback_after
		 * (LINE notification: an unmatched number goes to SMS hours later). */
		at = sb_now_ms() + st->fallback_after_ms;
		if (at < a->expires_ms) {
			snprintf(why, sizeof(why), "%s; next step at %s (on_undeliverable: wait)",
			    reason, sb_format_iso8601_ms(at, when, sizeof(when)));
			transition(dp, &(struct transition_req){
			    .message_id = a->message_id, .old_message_status = a->message_status,
			    .message_status = SB_ST_SCHEDULED, .step = a->step + 1,
			    .send_at_ms = at, .reason = why,
			});
			dp->new_work = 1;
			return;
		}
		snprintf(why, sizeof(why), "%s; validity ends before the next step's time",
		    reason);
		transition(dp, &(struct transition_req){
		    .message_id = a->message_id, .old_message_status = a->message_status,
		    .message_status = SB_ST_EXPIRED, .step = -1, .reason = why,
		});
		return;
	}
	transition(dp, &(struct transition_req){
	    .message_id = a->message_id, .old_message_status = a->message_status,
	    .message_status = final, .step = -1, .reason = reason,
	});
}

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

/*
 * Apply what a channel said about an attempt, from `send` or a receipt.
 * `a` describes the attempt as stored; the message's fate follows only if
 * the attempt is its current step and the message is not final.
 */
void
apply_outcome(struct sb_dispatch *dp, const struct attempt_ref *a, enum sb_outcome out,
    const char *provider_id, const char *error_code, const char *error_text,
    int32_t retry_after_s, int32_t parts)
{
	const struct sb_config *cfg = dp->d->cfg;
	const struct sb_config_chain *chain = chain_of(dp, a->chain);
	int current = a->step == a->message_step && !sb_status_final(a->message_status);
	int64_t now = sb_now_ms();
	struct sb_attempt_change ch = {
		.provider_id = provider_id, .error_code = error_code, .error_text = error_text,
		.tries = -1, .parts = parts, .next_ms = -1, .fallback_ms = -1,
	};
	struct transition_req t = {
		.message_id = a->message_id, .attempt_id = a->attempt_id, .change = &ch,
		.old_message_status = a->message_status, .message_status = -1, .step = -1,
		.reason = error_text,
	};
	char why[300];

	switch (out) {
	case SB_OUT_ACCEPTED:
		if (a->status != SB_ST_SENDING && a->status != SB_ST_QUEUED)
			return; /* a late or repeated "accepted" changes nothing */
		ch.status = SB_ST_ACCEPTED;
		ch.accepted_ms = now;
		ch.poll_ms = sb_poll_first(dp, a->instance, now);
		if (chain != NULL && (size_t)a->step + 1 < chain->nsteps &&
		    chain->steps[a->step].fallback_after_ms > 0)
			ch.fallback_ms = now + chain->steps[a->step].fallback_after_ms;
		if (current)
			t.message_status = SB_ST_ACCEPTED;
		transition(dp, &t);
		return;
	case SB_OUT_DELIVERED:
	case SB_OUT_READ:
		ch.status = out == SB_OUT_READ ? SB_ST_READ : SB_ST_DELIVERED;
		if (a->status == ch.status || a->status == SB_ST_READ)
			return; /* duplicate receipt */
		ch.final_ms = now;
		ch.fallback_ms = 0;
		if (!sb_status_final(a->message_status) ||
		    (a->message_status == SB_ST_DELIVERED && ch.status == SB_ST_READ))
			t.message_status = ch.status;
		/* `expired` means "no receipt in time", not "not delivered". */
		if (a->message_status == SB_ST_EXPIRED && a->status == SB_ST_EXPIRED &&
		    a->step == a->message_step) {
			t.message_status = ch.status;
			t.reason = "the receipt came after the validity period";
		}
		if (a->step != a->message_step && t.message_status == ch.status)
			t.reason = "receipt of an earlier step after fallback";
		transition(dp, &t);
		return;
	case SB_OUT_TEMPORARY:
		if (a->status != SB_ST_SENDING)
			return;
		ch.tries = a->tries;
		if (a->tries < cfg->retry.max_attempts) {
			int64_t next = now + backoff_ms(&cfg->retry, a->tries, retry_after_s);

			if (next < a->expires_ms) {
				ch.status = SB_ST_QUEUED;
				ch.next_ms = next;
				if (current)
					t.message_status = SB_ST_QUEUED;
				transition(dp, &t);
				dp->new_work = 1;
				return;
			}
		}
		snprintf(why, sizeof(why), "gave up after %d tries: %s", a->tries,
		    error_text != NULL ? error_text : "temporary failure");
		ch.status = SB_ST_FAILED;
		ch.error_text = why;
		ch.final_ms = now;
		t.reason = why;
		transition(dp, &t);
		if (current)
			step_failed(dp, a, SB_ST_FAILED, why);
		return;
	case SB_OUT_UNDELIVERABLE:
	case SB_OUT_FAILED:
	case SB_OUT_EXPIRED:
		ch.status = out == SB_OUT_UNDELIVERABLE ? SB_ST_UNDELIVERABLE :
		    out == SB_OUT_FAILED ? SB_ST_FAILED : SB_ST_EXPIRED;
		if (sb_status_final(a->status))
			return;
		ch.final_ms = now;
		ch.fallback_ms = 0;
		snprintf(why, sizeof(why), "%s via %s%s%s", sb_status_name(ch.status),
		    a->instance, error_text != NULL ? ": " : "",
		    error_text != NULL ? error_text : "");
		t.reason = why;
		transition(dp, &t);
		if (current)
			step_failed(dp, a, ch.status, why);
		return;
	}
}

void
attempt_ref_from_row(struct attempt_ref *a, const struct sb_attempt_row *r,
    char *chain_buf, size_t chain_len, char *inst_buf, size_t inst_len)
{
	snprintf(chain_buf, chain_len, "%s", r->chain);
	snprintf(inst_buf, inst_len, "%s", r->instance);
	*a = (struct attempt_ref){
		.attempt_id = r->id, .message_id = r->message_id, .step = r->step,
		.message_step = r->message_step, .tries = r->tries, .status = r->status,
		.message_status = r->message_status, .chain = chain_buf,
		.instance = inst_buf, .expires_ms = r->expires_ms,
	};
}

/* ---- in-flight tickets ---- */

static struct inflight *
ticket_new(struct sb_dispatch *dp)
{
	struct inflight *f;
	uint32_t i;

	if (dp->free_slot == UINT32_MAX) {
		size_t cap = dp->nslots ? dp->nslots * 2 : 256;
		struct inflight *s = realloc(dp->slots, cap * sizeof(*s));

		if (s == NULL)
			return NULL;
		dp->slots = s;
		for (size_t k = dp->nslots; k < cap; k++)
			s[k] = (struct inflight){ .next_free = k + 1 < cap ? (uint32_t)k + 1 :
			    UINT32_MAX };
		dp->free_slot = (uint32_t)dp->nslots;
		dp->nslots = cap;
	}
	i = dp->free_slot;
	f = &dp->slots[i];
	dp->free_slot = f->next_free;
	f->gen++;
	f->used = 1;
	f->ticket = ((uint64_t)f->gen << 32) | i;
	return f;
}

static struct inflight *
ticket_find(struct sb_dispatch *dp, uint64_t ticket)
{
	uint32_t i = (uint32_t)(ticket & 0xffffffffu);

	if (i >= dp->nslots || !dp->slots[i].used || dp->slots[i].ticket != ticket)
		return NULL;
	return &dp->slots[i];
}

static void
ticket_free(struct sb_dispatch *dp, struct inflight *f)
{
	f->used = 0;
	f->next_free = dp->free_slot;
	dp->free_slot = (uint32_t)(f - dp->slots);
}

static int
refresh_ref(void *arg, const struct sb_attempt_row *r)
{
	struct attempt_ref *a = arg;

	a->status = r->status;
	a->message_status = r->message_status;
	a->message_step = r->message_step;
	a->tries = r->tries;
	return 1;
}

void
sb_dispatch_send_result(struct sb_dispatch *dp, struct sb_instance *inst, uint64_t ticket,
    const struct sb_send_result *res)
{
	struct inflight *f = ticket_find(dp, ticket);
	struct attempt_ref a;

	if (f == NULL || f->inst != inst) {
		sb_log(SB_LOG_WARN, "[%s] result for an unknown ticket %llu ignored",
		    inst->name, (unsigned long long)ticket);
		return;
	}
	a = f->ref;
	a.chain = f->chain;
	a.instance = inst->name;
	/* A receipt may have come while the request was out: judge the
	 * result against the attempt as it is now, not as it was sent. */
	sb_store_attempt_get(dp->d->store, a.attempt_id, refresh_ref, &a);
	sb_metrics_latency(inst->name, sb_mono_us() - f->started_us);
	sb_sub_inflight(dp, f->sub_slot, -1);
	ticket_free(dp, f);
	inst->inflight--;
	if (res->outcome == SB_OUT_ACCEPTED || res->outcome == SB_OUT_DELIVERED)
		inst->accepted++;
	else
		inst->failed++;
	sb_metrics_count("sb_attempt_results_total", inst->name, res->outcome, 1);
	apply_outcome(dp, &a, res->outcome, res->provider_id, res->error_code,
	    res->error_text, res->struct_size >= sizeof(*res) ? res->retry_after_s : -1,
	    res->parts);
	sb_loader_instance_idle(inst);
	pump_soon(dp, 0);
}

void
sb_dispatch_counter_add(struct sb_dispatch *dp, const char *instance, const char *name,
    uint64_t n)
{
	(void)dp;
	sb_metrics_plugin_counter(instance, name, n);
}

unsigned
sb_dispatch_inflight(struct sb_dispatch *dp, const char *instance)
{
	struct sb_instance *inst = sb_loader_instance(dp->d->loader, instance);

	return inst != NULL ? inst->inflight : 0;
}

/* ---- the pump ---- */

/* Copy a row's strings into the batch arena so they outlive the query. */
static const char *
arena_dup(struct sb_dispatch *dp, const char *s)
{
	size_t n;
	char *p;

	if (s == NULL)
		return NULL;
	n = strlen(s) + 1;
	if (dp->arena_used + n > dp->arena_cap)
		return NULL;
	p = dp->arena + dp->arena_used;
	memcpy(p, s, n);
	dp->arena_used += n;
	return p;
}

int
collect_ready(void *arg, const struct sb_attempt_row *r)
{
	struct sb_dispatch *dp = arg;
	struct ready *rd;
	size_t need = 512 + (r->text ? strlen(r->text) : 0) +
	    (r->template_vars ? strlen(r->template_vars) : 0);

	if (dp->nready == dp->capready || dp->arena_used + need > dp->arena_cap)
		return 1; /* the rest waits for the next pass */
	rd = &dp->ready[dp->nready++];
	rd->row = *r;
	rd->sub_slot = -1;
	rd->row.instance = arena_dup(dp, r->instance);
	rd->row.subaccount = arena_dup(dp, r->subaccount);
	rd->row.chain = arena_dup(dp, r->chain);
	rd->row.to = arena_dup(dp, r->to);
	rd->row.from = arena_dup(dp, r->from);
	rd->row.text = arena_dup(dp, r->text);
	rd->row.template_name = arena_dup(dp, r->template_name);
	rd->row.template_lang = arena_dup(dp, r->template_lang);
	rd->row.template_vars = arena_dup(dp, r->template_vars);
	rd->row.provider_id = NULL;
	return 0;
}

void
make_attempt_key(struct sb_dispatch *dp, int64_t attempt_id, char *buf, size_t len)
{
	const char *iid = sb_store_install_id(dp->d->store);

	/* A v4-shaped UUID: stable per attempt, unique per database. */
	snprintf(buf, len, "%.8s-%.4s-4%.3s-8%.3s-%012llx", iid, iid + 8, iid + 12,
	    iid + 16, (unsigned long long)attempt_id & 0xffffffffffffULL);
}

/* Mark one ready attempt `sending`; 0 if it is to be sent after the commit. */
static int
mark_sending(struct sb_dispatch *dp, struct ready *rd, int64_t now)
{
	const struct sb_attempt_row *r = &rd->row;
	char key[48];
	struct sb_attempt_change ch = {
		.status = SB_ST_SENDING, .tries = r->tries + 1, .next_ms = -1,
		.fallback_ms = -1, .sent_ms = now, .provider_id = key,
	};
	struct transition_req t = {
		.message_id = r->message_id, .attempt_id = r->id, .change = &ch,
		.old_message_status = r->message_status, .step = -1,
		.message_status = r->step == r->message_step ? SB_ST_SENDING : -1,
	};

	/* Until the provider names its own id, receipts find the attempt by
	 * its key: a Kannel-style report can beat the HTTP answer. */
	make_attempt_key(dp, r->id, key, sizeof(key));
	if (sb_status_final(r->message_status)) {
		/* A late receipt of an earlier step settled the message while
		 * this step waited: sending it too would be a second message. */
		ch.status = SB_ST_CANCELLED;
		ch.tries = -1;
		ch.provider_id = NULL;
		ch.final_ms = now;
		t.message_status = -1;
		t.reason = "not sent: the message was already final";
		transition(dp, &t);
		return -1;
	}
	if (r->expires_ms <= now) {
		ch.status = SB_ST_EXPIRED;
		ch.tries = -1;
		ch.final_ms = now;
		t.message_status = SB_ST_EXPIRED;
		t.reason = "validity ended before it could be sent";
		transition(dp, &t);
		return -1;
	}
	transition(dp, &t);
	return 0;
}

static void
send_ready(struct sb_dispatch *dp, struct sb_instance *inst, struct ready *rd)
{
	const struct sb_attempt_row *r = &rd->row;
	struct inflight *f = ticket_new(dp);
	char key[48];
	struct sb_send_request req;
	struct sb_send_result fail = {
		.struct_size = sizeof(fail), .outcome = SB_OUT_TEMPORARY,
		.error_text = "the plugin did not take the request", .retry_after_s = -1,
	};

	if (f == NULL) {
		/* Stays `sending`; recovery resolves it after a restart. */
		inst->inflight--;
		sb_sub_inflight(dp, rd->sub_slot, -1);
		return;
	}
	f->sub_slot = rd->sub_slot;
	make_attempt_key(dp, r->id, key, sizeof(key));
	f->inst = inst;
	f->started_us = sb_mono_us();
	snprintf(f->chain, sizeof(f->chain), "%s", r->chain);
	f->ref = (struct attempt_ref){
		.attempt_id = r->id, .message_id = r->message_id, .step = r->step,
		.message_step = r->message_step, .tries = r->tries + 1,
		.status = SB_ST_SENDING,
		.message_status = r->step == r->message_step ? SB_ST_SENDING : r->message_status,
		.expires_ms = r->expires_ms,
	};
	req = (struct sb_send_request){
		.struct_size = sizeof(req), .ticket = f->ticket, .message_id = r->message_id,
		.attempt_key = key, .to = r->to, .from = r->from, .text = r->text,
		.template_name = r->template_name, .template_lang = r->template_lang,
		.template_vars = r->template_vars, .subaccount = r->subaccount,
	};
	inst->sent++;
	if (inst->p->send(inst->state, &req) != 0)
		sb_dispatch_send_result(dp, inst, f->ticket, &fail);
}

static void
activate_due(struct sb_dispatch *dp, int64_t now)
{
	int64_t ids[DUE_BATCH];
	struct due_collect c = { ids, 0, DUE_BATCH };

	sb_store_messages_due(dp->d->store, now, DUE_BATCH, collect_id, &c);
	for (size_t i = 0; i < c.n; i++)
		activate_message(dp, ids[i]);
}

static int
collect_fallback(void *arg, const struct sb_attempt_row *r)
{
	struct sb_dispatch *dp = arg;

	return collect_ready(dp, r);
}

static void
fallback_due(struct sb_dispatch *dp, int64_t now)
{
	dp->nready = 0;
	dp->arena_used = 0;
	sb_store_attempts_fallback_due(dp->d->store, now, DUE_BATCH, collect_fallback, dp);
	for (size_t i = 0; i < dp->nready; i++) {
		const struct sb_attempt_row *r = &dp->ready[i].row;
		struct sb_attempt_change ch = {
			.status = r->status, .tries = -1, .next_ms = -1, .fallback_ms = 0,
		};
		char why[200];

		snprintf(why, sizeof(why), "no delivery receipt from %s within fallback_after",
		    r->instance);
		transition(dp, &(struct transition_req){
		    .message_id = r->message_id, .attempt_id = r->id, .change = &ch,
		    .old_message_status = r->message_status, .message_status = -1,
		    .step = -1, .reason = why,
		});
		if (r->step == r->message_step && !sb_status_final(r->message_status))
			start_step(dp, r->message_id, r->message_status, r->chain, r->step + 1,
			    why);
	}
}

static void
arm_due_timer(struct sb_dispatch *dp, int64_t wait_ms)
{
	struct timeval tv;
	int64_t at;

	if (wait_ms < 0)
		wait_ms = 0;
	if (wait_ms > 60000)
		wait_ms = 60000; /* re-check now and then: the clock may be moved */
	at = sb_mono_ms() + wait_ms;
	/* A cheap pass knows only its queues: never postpone an earlier wake. */
	if (evtimer_pending(dp->due_ev, NULL) && dp->due_at_ms <= at)
		return;
	dp->due_at_ms = at;
	tv.tv_sec = wait_ms / 1000;
	tv.tv_usec = (wait_ms % 1000) * 1000;
	event_add(dp->due_ev, &tv);
}

/*
 * One instance's share of a pass: as many ready attempts as its free
 * slots, its bucket and the subaccounts' buckets allow, marked `sending`
 * (sent after the commit). Lowers *wait to when held-back work may go; an
 * instance out of slots needs no timer: a finished send wakes the pump.
 */
static void
pump_instance(struct sb_dispatch *dp, struct sb_instance *inst, int64_t now,
    int64_t *wait)
{
	int64_t cap = inst->cfg->max_in_flight - (int64_t)inst->inflight, rate_wait;
	int allowance, started = 0;
	size_t first = dp->nready;

	if (cap > PUMP_BATCH)
		cap = PUMP_BATCH;
	if (cap <= 0)
		return;
	allowance = sb_bucket_allowance(&inst->bucket, inst->rate, inst->burst, sb_mono_us(),
	    &rate_wait);
	if (allowance == 0) {
		if (rate_wait < *wait)
			*wait = rate_wait;
		return;
	}
	if (cap > allowance)
		cap = allowance;
	if (sb_pump_select(dp, inst, now, (int)cap, wait) == (size_t)cap)
		dp->batch_full = 1;
	for (size_t k = first; k < dp->nready; k++) {
		dp->ready[k].inst = inst;
		dp->ready[k].skip = mark_sending(dp, &dp->ready[k], now) != 0;
		started += !dp->ready[k].skip;
		/* The slot is taken now, though the request starts after the commit. */
		inst->inflight += !dp->ready[k].skip;
		dp->ready[k].sub_slot = dp->ready[k].skip ? -1 :
		    sb_sub_slot(dp, dp->ready[k].row.subaccount);
		sb_sub_inflight(dp, dp->ready[k].sub_slot, 1);
	}
	sb_bucket_take(&inst->bucket, started);
}

/* A pass's batch, waiting for the group commit that makes `sending` durable. */
struct send_batch {
	struct sb_dispatch *dp;
	char *arena;
	size_t n;
	struct ready ready[];
};

static const char *
rebase(const char *p, const char *from, char *to)
{
	return p != NULL ? to + (p - from) : NULL;
}

/* Send a batch whose `sending` marks are on disk. */
static void
batch_committed(void *arg, int ok)
{
	struct send_batch *b = arg;
	struct sb_dispatch *dp = b->dp;

	for (size_t k = 0; k < b->n; k++) {
		struct ready *rd = &b->ready[k];
		struct sb_instance *inst = rd->inst;

		if (rd->skip)
			continue;
		if (ok && !dp->d->stopping) {
			send_ready(dp, inst, rd);
			continue;
		}
		/* Not sent: on a failed commit the marks were rolled back; on
		 * shutdown, put it back in the queue for the next start. */
		if (ok)
			transition(dp, &(struct transition_req){
			    .message_id = rd->row.message_id, .attempt_id = rd->row.id,
			    .change = &(struct sb_attempt_change){ .status = SB_ST_QUEUED,
				.tries = rd->row.tries, .next_ms = sb_now_ms(), .fallback_ms = -1 },
			    .old_message_status = SB_ST_SENDING,
			    .message_status = rd->row.step == rd->row.message_step ?
				SB_ST_QUEUED : (enum sb_status)-1,
			    .step = -1, .reason = "not sent: the daemon stopped" });
		inst->inflight--;
		sb_sub_inflight(dp, rd->sub_slot, -1);
		sb_loader_instance_idle(inst);
	}
	if (!ok)
		pump_soon(dp, 1);
	free(b->arena);
	free(b);
}

/*
 * `sending` must be durable before any provider hears of it, but a commit
 * of its own per pass would cost an fsync per pass: the batch waits for
 * the group commit instead (at most commit_interval), and shares its fsync
 * with every acknowledgement and result of the group.
 */
static void
send_after_commit(struct sb_dispatch *dp, size_t n)
{
	struct send_batch *b = malloc(sizeof(*b) + n * sizeof(b->ready[0]));

	if (b == NULL || (b->arena = malloc(dp->arena_used ? dp->arena_used : 1)) == NULL) {
		free(b);
		sb_log(SB_LOG_ERROR, "dispatch: out of memory; %zu sends wait for recovery", n);
		return;
	}
	b->dp = dp;
	b->n = n;
	memcpy(b->arena, dp->arena, dp->arena_used);
	memcpy(b->ready, dp->ready, n * sizeof(b->ready[0]));
	for (size_t k = 0; k < n; k++) {
		struct sb_attempt_row *r = &b->ready[k].row;

		r->instance = rebase(r->instance, dp->arena, b->arena);
		r->subaccount = rebase(r->subaccount, dp->arena, b->arena);
		r->chain = rebase(r->chain, dp->arena, b->arena);
		r->to = rebase(r->to, dp->arena, b->arena);
		r->from = rebase(r->from, dp->arena, b->arena);
		r->text = rebase(r->text, dp->arena, b->arena);
		r->template_name = rebase(r->template_name, dp->arena, b->arena);
		r->template_lang = rebase(r->template_lang, dp->arena, b->arena);
		r->template_vars = rebase(r->template_vars, dp->arena, b->arena);
		r->provider_id = NULL;
	}
	if (sb_store_after_commit(dp->d->store, batch_committed, b) < 0) {
		batch_committed(b, 0);
		return;
	}
	sb_dispatch_wake_commit(dp);
}

static void
pump_pass(struct sb_dispatch *dp, int full)
{
	struct sb_instance *const *insts;
	size_t ninst = sb_loader_instances(dp->d->loader, &insts);
	int64_t now = sb_now_ms(), wait = INT64_MAX, next;
	size_t nsend;

	if (dp->d->stopping)
		return;
	if (full) {
		activate_due(dp, now);
		fallback_due(dp, now);
		sb_expire_due(dp, now);
		sb_poll_due(dp, now);
	}
	dp->nready = 0;
	dp->arena_used = 0;
	dp->batch_full = 0;
	/* The batch may fill up: start at another instance each pass. */
	for (size_t i = 0; i < ninst; i++) {
		struct sb_instance *inst = insts[(i + dp->first_inst) % ninst];

		if (inst->p->kind == SB_PLUGIN_CHANNEL)
			pump_instance(dp, inst, now, &wait);
	}
	dp->first_inst++;
	nsend = dp->nready;
	if (nsend > 0)
		send_after_commit(dp, nsend);
	/* A queue that filled its batch may hold more: come back at once. */
	if (dp->batch_full)
		pump_soon(dp, 0);
	if (full) {
		next = sb_store_next_due(dp->d->store);
		if (next != INT64_MAX && next - now < wait)
			wait = next - now;
	}
	if (wait != INT64_MAX)
		arm_due_timer(dp, wait);
}

void
pump_soon(struct sb_dispatch *dp, int full)
{
	dp->want_full |= full;
	event_active(dp->pump_ev, 0, 0);
}

static void
pump(evutil_socket_t fd, short what, void *arg)
{
	struct sb_dispatch *dp = arg;
	int full = dp->want_full;

	dp->want_full = 0;
	pump_pass(dp, full);
}

static void
due_cb(evutil_socket_t fd, short what, void *arg)
{
	pump_pass(arg, 1);
}

void
sb_dispatch_kick(struct sb_dispatch *dp)
{
	pump_soon(dp, 1);
}

struct sb_dispatch *
sb_dispatch_new(struct sb_daemon *d)
{
	struct sb_dispatch *dp = calloc(1, sizeof(*dp));

	if (dp == NULL)
		return NULL;
	dp->d = d;
	dp->free_slot = UINT32_MAX;
	dp->capready = PUMP_BATCH * 4;
	dp->ready = calloc(dp->capready, sizeof(*dp->ready));
	dp->arena_cap = 4u << 20;
	dp->arena = malloc(dp->arena_cap);
	dp->lanes = malloc(SB_MAX_LANES * sizeof(*dp->lanes));
	dp->pump_ev = event_new(d->base, -1, 0, pump, dp);
	dp->due_ev = evtimer_new(d->base, due_cb, dp);
	dp->commit_ev = evtimer_new(d->base, commit_cb, dp);
	if (dp->ready == NULL || dp->arena == NULL || dp->lanes == NULL ||
	    dp->pump_ev == NULL || dp->due_ev == NULL || dp->commit_ev == NULL) {
		sb_dispatch_free(dp);
		return NULL;
	}
	return dp;
}

void
sb_dispatch_free(struct sb_dispatch *dp)
{
	if (dp == NULL)
		return;
	if (dp->pump_ev != NULL)
		event_free(dp->pump_ev);
	if (dp->due_ev != NULL)
		event_free(dp->due_ev);
	if (dp->commit_ev != NULL)
		event_free(dp->commit_ev);
	free(dp->slots);
	free(dp->subs);
	free(dp->lanes);
	free(dp->ready);
	free(dp->arena);
	free(dp);
}
