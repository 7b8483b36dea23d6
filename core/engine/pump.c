/*
 * pump.c - sending: ready attempts -> `sending` -> plugins, and their
 * results back.
 *
 * A pass runs when there may be work: an attempt was queued, a send slot
 * freed, or the due timer fired (due.c). It reads a bounded batch of ready
 * attempts per channel instance from the store (the queue is never held in
 * memory), within each instance's rate and send slots (max_in_flight) and
 * the subaccounts' limits (lanes.c), marks them `sending` through the
 * rules (a message already final is not sent), and hands them to their
 * plugins once the group commit holding the marks is done, so a crash can
 * never forget a request that might have reached a provider.
 *
 * A new message whose first step's instance has a free slot, a token and
 * nothing queued due skips the queue: apply.c stores its attempt `sending`
 * at once and sb_pump_direct() sends it after the commit of the group that
 * holds it, as a pass's batch is sent. Every attempt queued on an instance
 * lowers its queue_due_ms and a pass that reads the queue sets it, so a
 * pass skips the read of a queue known to have nothing due (and reads it
 * at least once a second all the same).
 *
 * An instance's send slots count this engine's tickets only; the HTTP
 * requests a plugin makes for them are the host's business (host.c).
 *
 * With send_ahead (off by default), a pass marks up to that many attempts
 * more than the instance's free slots. They wait, already durable as
 * `sending`, in the instance's list, and the result of a send hands the
 * next one to the plugin at once: a freed slot never waits for a commit.
 * The price is the in-doubt set after a crash, max_in_flight + send_ahead
 * attempts instead of max_in_flight; and one that waited is checked again
 * (its message, broadcast and validity) before it goes.
 *
 * A result is judged against the attempt as its mark left it, kept in the
 * ticket, unless its message changed while it was out (watch.c): only then
 * is the store asked for the attempt as it stands (sb_store_attempt_state,
 * from what it last wrote when it can). The same holds for the check of
 * one that waited.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "clock.h"
#include "config.h"
#include "daemon.h"
#include "engine.h"
#include "instance.h"
#include "loader.h"
#include "log.h"
#include "metrics.h"
#include "store.h"
#include "status.h"
#include "store_tpl.h"
#include "template.h"
#include "chantype.h"

#define PUMP_BATCH 512         /* attempts per instance per pass */
#define QUEUE_REREAD_MS 1000   /* a queue known empty is read at least this often */

/* A send handed to a plugin, until its result comes back. */
struct sb_ticket_slot {
	uint64_t ticket;
	uint32_t gen;
	uint32_t next_free;
	int used;
	struct sb_instance *inst;
	int64_t started_us;
	int sub_slot;                /* the subaccount's slot (lanes.c), or -1 */
	struct sb_attempt_ref ref;   /* as its mark left it; chain in `chain` */
	struct sb_watch_hold watch;
	char chain[128];
};

/* ---- tickets ---- */

static struct sb_ticket_slot *
ticket_new(struct sb_pump *pm)
{
	struct sb_ticket_slot *f;
	uint32_t i;

	if (pm->free_slot == UINT32_MAX) {
		size_t cap = pm->nslots ? pm->nslots * 2 : 256;
		struct sb_ticket_slot *s = realloc(pm->slots, cap * sizeof(*s));

		if (s == NULL)
			return NULL;
		pm->slots = s;
		for (size_t k = pm->nslots; k < cap; k++)
			s[k] = (struct sb_ticket_slot){ .next_free = k + 1 < cap ? (uint32_t)k + 1 :
			    UINT32_MAX };
		pm->free_slot = (uint32_t)pm->nslots;
		pm->nslots = cap;
	}
	i = pm->free_slot;
	f = &pm->slots[i];
	pm->free_slot = f->next_free;
	f->gen++;
	f->used = 1;
	f->ticket = ((uint64_t)f->gen << 32) | i;
	return f;
}

static struct sb_ticket_slot *
ticket_find(struct sb_pump *pm, uint64_t ticket)
{
	uint32_t i = (uint32_t)(ticket & 0xffffffffu);

	if (i >= pm->nslots || !pm->slots[i].used || pm->slots[i].ticket != ticket)
		return NULL;
	return &pm->slots[i];
}

static void
ticket_free(struct sb_pump *pm, struct sb_ticket_slot *f)
{
	f->used = 0;
	f->next_free = pm->free_slot;
	pm->free_slot = (uint32_t)(f - pm->slots);
}

static void send_ahead_next(struct sb_dispatch *dp, struct sb_instance *inst);

/*
 * The attempt as a successful SB_EV_SEND leaves it (statem.c's
 * decide_send): `sending`, one more try, its message `sending` at this
 * step, no provider id yet.
 */
static void
ref_after_send(struct sb_dispatch *dp, struct sb_attempt_ref *a, const struct sb_attempt_row *r)
{
	sb_eng_ref_of_row(dp, a, r);
	a->status = SB_ST_SENDING;
	a->tries = r->tries + 1;
	a->message_step = r->step;
	a->message_status = SB_ST_SENDING;
	a->has_provider_id = 0;
}

/*
 * A marked attempt as it is now: what the mark left (ref, its strings
 * borrowed) if its message was not written since, else the store's state
 * of it in fr (h is marked stale then: the copy no longer speaks for it).
 */
static void
attempt_now(struct sb_dispatch *dp, const struct sb_attempt_ref *ref,
    struct sb_watch_hold *h, struct sb_found_attempt *fr)
{
	if (sb_watch_unchanged(dp, ref->message_id, h)) {
		fr->found = 1;
		fr->ref = *ref;
		return;
	}
	h->stale = 1;
	sb_store_attempt_state(dp->d->store, ref->attempt_id, sb_eng_keep_attempt, fr);
}

/* ---- results ---- */

static const enum sb_sm_event outcome_events[] = {
	[SB_OUT_ACCEPTED] = SB_EV_ACCEPTED, [SB_OUT_DELIVERED] = SB_EV_DELIVERED,
	[SB_OUT_READ] = SB_EV_READ, [SB_OUT_TEMPORARY] = SB_EV_TEMPORARY,
	[SB_OUT_UNDELIVERABLE] = SB_EV_UNDELIVERABLE, [SB_OUT_FAILED] = SB_EV_FAILED,
	[SB_OUT_EXPIRED] = SB_EV_EXPIRED,
};

enum sb_sm_event
sb_eng_outcome_event(int outcome)
{
	if (outcome <= 0 || (size_t)outcome >= sizeof(outcome_events) / sizeof(outcome_events[0]))
		return SB_EV_FAILED;
	return outcome_events[outcome];
}

void
sb_dispatch_send_result(struct sb_dispatch *dp, struct sb_instance *inst, uint64_t ticket,
    const struct sb_send_result *res)
{
	struct sb_ticket_slot *f = ticket_find(&dp->pump, ticket);
	struct sb_found_attempt fr = { .dp = dp };
	struct sb_outcome_info info;

	if (f == NULL || f->inst != inst) {
		sb_log(SB_LOG_WARN, "[%s] result for an unknown ticket %llu ignored",
		    inst->name, (unsigned long long)ticket);
		return;
	}
	/* A receipt may have come while the request was out: judge the
	 * result against the attempt as it is now, not as it was sent. The
	 * ticket's strings are copied out: its slot is free from here on. */
	attempt_now(dp, &f->ref, &f->watch, &fr);
	if (fr.ref.chain == f->chain) {
		snprintf(fr.chain, sizeof(fr.chain), "%s", f->chain);
		fr.ref.chain = fr.chain;
	}
	sb_watch_release(dp, f->ref.message_id, &f->watch);
	sb_metrics_latency(inst->name, sb_mono_us() - f->started_us);
	sb_lanes_sub_inflight(dp, f->sub_slot, -1);
	ticket_free(&dp->pump, f);
	inst->send_slots--;
	inst->sends_out--;
	if (res->outcome == SB_OUT_ACCEPTED || res->outcome == SB_OUT_DELIVERED)
		inst->accepted++;
	else
		inst->failed++;
	sb_metrics_count("sb_attempt_results_total", inst->name, res->outcome, 1);
	info = (struct sb_outcome_info){
		.provider_id = res->provider_id, .error_code = res->error_code,
		.error_text = res->error_text, .parts = res->parts,
		.retry_after_s = SB_HAS_FIELD(res, struct sb_send_result, retry_after_s) ?
		    res->retry_after_s : -1,
		/* No answer after the request went out: the provider may have it
		 * (the host's HTTP client knows; a 1.3 plugin on its own
		 * connection says so). */
		.in_doubt = res->outcome == SB_OUT_TEMPORARY && (inst->http_in_doubt ||
		    (SB_HAS_FIELD(res, struct sb_send_result, in_doubt) && res->in_doubt != 0)),
	};
	if (fr.found)
		sb_eng_event(dp, &fr.ref, sb_eng_outcome_event(res->outcome), &info);
	send_ahead_next(dp, inst);
	sb_loader_instance_idle(inst);
	sb_pump_soon(dp);
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

	return inst != NULL ? inst->send_slots : 0;
}

/* ---- the pass ---- */

int
sb_pump_collect(void *arg, const struct sb_attempt_row *r)
{
	struct sb_pump *pm = &((struct sb_dispatch *)arg)->pump;
	struct sb_ready *rd;
	size_t need = 512 + (r->text ? strlen(r->text) : 0) +
	    (r->template_vars ? strlen(r->template_vars) : 0) +
	    (r->chain ? strlen(r->chain) : 0) + (r->to ? strlen(r->to) : 0);

	if (pm->nready == pm->capready || pm->arena_used + need > pm->arena_cap) {
		pm->refused = 1;
		return 1; /* the rest waits for the next pass */
	}
	rd = &pm->ready[pm->nready++];
	rd->row = *r;
	rd->sub_slot = -1;
	rd->row.instance = sb_eng_arena_dup(pm->arena, &pm->arena_used, r->instance);
	rd->row.subaccount = sb_eng_arena_dup(pm->arena, &pm->arena_used, r->subaccount);
	rd->row.chain = sb_eng_arena_dup(pm->arena, &pm->arena_used, r->chain);
	rd->row.to = sb_eng_arena_dup(pm->arena, &pm->arena_used, r->to);
	rd->row.from = sb_eng_arena_dup(pm->arena, &pm->arena_used, r->from);
	rd->row.text = sb_eng_arena_dup(pm->arena, &pm->arena_used, r->text);
	rd->row.template_name = sb_eng_arena_dup(pm->arena, &pm->arena_used, r->template_name);
	rd->row.template_lang = sb_eng_arena_dup(pm->arena, &pm->arena_used, r->template_lang);
	rd->row.template_vars = sb_eng_arena_dup(pm->arena, &pm->arena_used, r->template_vars);
	rd->row.provider_id = NULL;
	return 0;
}

/* Mark one ready attempt `sending` through the rules; 0 if it is to be sent. */
static int
mark_sending(struct sb_dispatch *dp, struct sb_ready *rd)
{
	struct sb_attempt_ref a;
	/* No provider id is written: until the provider names its own, a
	 * receipt that carries the attempt's key (a Kannel-style report can
	 * beat the HTTP answer) finds the attempt by the id in the key
	 * (receipt.c), and no index entry is made and moved for the key. An
	 * answer without an id stores the key then (apply.c). */
	struct sb_outcome_info info = { .retry_after_s = -1 };

	if (sb_bcast_guard_send(dp, rd->row.message_id, rd->row.message_status))
		return -1;
	sb_eng_ref_of_row(dp, &a, &rd->row);
	return sb_eng_event(dp, &a, SB_EV_SEND, &info) == SB_ST_SENDING ? 0 : -1;
}

/*
 * A message by stored template: its version rendered for this channel's
 * type (a text, or a WhatsApp template with its parameters in order).
 * The variables were checked at submission, so this fails only if the
 * stored row is damaged; -1 with err.
 */
static int
render_template(struct sb_dispatch *dp, const struct sb_instance *inst,
    const struct sb_attempt_row *r, struct sb_template_out *out, struct sb_error *err)
{
	const json_t *spec = sb_store_template_spec(dp->d->store, r->subaccount,
	    r->template_name, r->template_ver, NULL);
	json_t *vars = r->template_vars != NULL ? json_loads(r->template_vars, 0, NULL) : NULL;
	char what[96];
	int rc;

	memset(out, 0, sizeof(*out));
	snprintf(what, sizeof(what), "template '%s' version %lld", r->template_name,
	    (long long)r->template_ver);
	if (spec == NULL)
		rc = sb_error_set(err, SB_E_NOT_FOUND, "%s is not in the store", what);
	else
		rc = sb_template_render(spec, sb_channel_type(inst->cfg->module), vars, what, out,
		    err);
	json_decref(vars);
	return rc;
}

static void
send_ready(struct sb_dispatch *dp, struct sb_instance *inst, struct sb_ready *rd)
{
	const struct sb_attempt_row *r = &rd->row;
	struct sb_ticket_slot *f = ticket_new(&dp->pump);
	char key[SB_ATTEMPT_KEY_LEN + 1];
	struct sb_send_request req;
	struct sb_send_result fail = {
		.struct_size = sizeof(fail), .outcome = SB_OUT_TEMPORARY,
		.error_text = "the plugin did not take the request", .retry_after_s = -1,
	};

	if (f == NULL) {
		/* Stays `sending`; recovery resolves it after a restart. */
		sb_watch_release(dp, r->message_id, &rd->watch);
		inst->send_slots--;
		sb_lanes_sub_inflight(dp, rd->sub_slot, -1);
		return;
	}
	inst->sends_out++;
	f->sub_slot = rd->sub_slot;
	f->inst = inst;
	f->started_us = sb_mono_us();
	ref_after_send(dp, &f->ref, r);
	snprintf(f->chain, sizeof(f->chain), "%s", r->chain != NULL ? r->chain : "");
	f->ref.chain = f->chain;
	f->ref.instance = inst->name;
	f->watch = rd->watch;
	rd->watch.held = 0; /* the ticket has it now */
	sb_store_attempt_key(dp->d->store, r->id, key, sizeof(key));
	req = (struct sb_send_request){
		.struct_size = sizeof(req), .ticket = f->ticket, .message_id = r->message_id,
		.attempt_key = key, .to = r->to, .from = r->from, .text = r->text,
		.template_name = r->template_name, .template_lang = r->template_lang,
		.template_vars = r->template_vars, .subaccount = r->subaccount,
	};
	inst->sent++;
	if (r->template_ver > 0) {
		struct sb_template_out out;
		struct sb_error err = { 0 };

		if (render_template(dp, inst, r, &out, &err) < 0) {
			fail.outcome = SB_OUT_FAILED;
			fail.error_text = err.message;
			sb_dispatch_send_result(dp, inst, f->ticket, &fail);
			return;
		}
		req.text = out.text;
		req.template_name = out.wa_name;
		req.template_lang = out.wa_lang;
		req.template_vars = out.wa_params;
		if (inst->p->send(inst->state, &req) != 0)
			sb_dispatch_send_result(dp, inst, f->ticket, &fail);
		sb_template_out_clear(&out); /* the plugin copied what it needs (rule 3) */
		return;
	}
	if (inst->p->send(inst->state, &req) != 0)
		sb_dispatch_send_result(dp, inst, f->ticket, &fail);
}

/* A marked attempt (marked: its mark went through) takes its slots until its result. */
static void
pump_take(struct sb_dispatch *dp, struct sb_instance *inst, struct sb_ready *rd, int marked)
{
	rd->inst = inst;
	rd->skip = !marked;
	rd->watch = (struct sb_watch_hold){ 0 };
	if (marked)
		sb_watch_hold(dp, rd->row.message_id, &rd->watch);
	/* The slot is taken now, though the request starts after the commit. */
	inst->send_slots += (unsigned)marked;
	rd->sub_slot = marked ? sb_lanes_sub_slot(dp, rd->row.subaccount) : -1;
	sb_lanes_sub_inflight(dp, rd->sub_slot, 1);
}

/*
 * One instance's share of a pass: as many ready attempts as its free
 * slots (and send_ahead), its bucket and the subaccounts' buckets allow,
 * marked `sending` (sent after the commit). Lowers *wait to when held-back
 * work may go; an instance out of slots needs no timer: a finished send
 * wakes the pump.
 */
static void
pump_instance(struct sb_dispatch *dp, struct sb_instance *inst, int64_t now,
    int64_t *wait)
{
	struct sb_pump *pm = &dp->pump;
	int64_t ahead = inst->cfg->send_ahead;
	int64_t cap = inst->cfg->max_in_flight + ahead - (int64_t)inst->send_slots;
	int64_t rate_wait;
	int allowance, started = 0;
	size_t first = pm->nready;

	/* Marked ahead: refill once half the window is free, not for every
	 * result, so that a group commit carries several marks. */
	if (ahead > 0 && inst->ahead != NULL && cap < (ahead + 1) / 2)
		return;
	if (cap > PUMP_BATCH)
		cap = PUMP_BATCH;
	if (cap <= 0)
		return;
	/* Nothing queued is due (apply.c lowers queue_due_ms with every attempt
	 * it queues): no read. The queue is read again within a second all
	 * the same, so that no queued attempt could ever be left behind. */
	if (now < inst->queue_due_ms && now - inst->queue_read_ms < QUEUE_REREAD_MS) {
		int64_t again = QUEUE_REREAD_MS - (now - inst->queue_read_ms);

		if (inst->queue_due_ms - now < again)
			again = inst->queue_due_ms - now;
		if (again < *wait)
			*wait = again;
		return;
	}
	allowance = sb_bucket_allowance(&inst->bucket, inst->rate, inst->burst, sb_mono_us(),
	    &rate_wait);
	if (allowance == 0) {
		if (rate_wait < *wait)
			*wait = rate_wait;
		return;
	}
	if (cap > allowance)
		cap = allowance;
	if (sb_lanes_select(dp, inst, now, (int)cap, wait) == (size_t)cap)
		pm->batch_full = 1;
	for (size_t k = first; k < pm->nready; k++) {
		struct sb_ready *rd = &pm->ready[k];

		pump_take(dp, inst, rd, mark_sending(dp, rd) == 0);
		started += !rd->skip;
	}
	sb_bucket_take(&inst->bucket, started);
}

/*
 * A pass's batch, waiting for the group commit that makes `sending`
 * durable; then, for those marked ahead, for a free slot on their instance.
 */
struct sb_send_batch {
	struct sb_dispatch *dp;
	char *arena;
	size_t n;
	size_t waiting;              /* entries in an instance's ahead list */
	struct sb_ready ready[];
};

static void
batch_release(struct sb_send_batch *b)
{
	if (b->waiting > 0)
		return;
	free(b->arena);
	free(b);
}

/* Give a marked attempt's slot back without sending it. */
static void
slot_give_back(struct sb_dispatch *dp, struct sb_instance *inst, struct sb_ready *rd)
{
	sb_watch_release(dp, rd->row.message_id, &rd->watch);
	inst->send_slots--;
	sb_lanes_sub_inflight(dp, rd->sub_slot, -1);
	sb_loader_instance_idle(inst);
}

/* Put a marked, never sent attempt back in the queue (a stop). */
static void
unsend(struct sb_dispatch *dp, const struct sb_ready *rd)
{
	struct sb_attempt_ref a;

	ref_after_send(dp, &a, &rd->row);
	sb_eng_event(dp, &a, SB_EV_UNSENT, NULL);
}

/*
 * End a marked attempt that never went out (`cancelled` or `expired`); its
 * message too, while the attempt is its current step.
 */
static void
end_held(struct sb_dispatch *dp, const struct sb_attempt_ref *a, enum sb_status status,
    const char *reason)
{
	struct sb_attempt_change ch = {
		.status = status, .tries = a->tries > 0 ? a->tries - 1 : 0, .next_ms = -1,
		.fallback_ms = 0, .final_ms = sb_now_ms(),
	};
	int current = a->step == a->message_step && !sb_status_final(a->message_status);

	sb_eng_transition(dp, &(struct sb_transition){
	    .message_id = a->message_id, .attempt_id = a->attempt_id,
	    .old_attempt_status = SB_ST_SENDING, .change = &ch,
	    .old_message_status = a->message_status,
	    .message_status = current ? status : SB_SM_KEEP, .step = -1, .reason = reason,
	});
}

/*
 * An attempt that waited in the ahead list may have been overtaken while
 * it waited: its message ended (a late receipt of an earlier step), its
 * broadcast was stopped, or its validity ran out. Then it ends here, never
 * sent, as it would have in the queue; 1 if it may go.
 */
static int
still_sendable(struct sb_dispatch *dp, struct sb_ready *rd)
{
	struct sb_found_attempt fr = { .dp = dp };
	const struct sb_attempt_ref *a = &fr.ref;
	struct sb_attempt_ref marked;

	ref_after_send(dp, &marked, &rd->row);
	attempt_now(dp, &marked, &rd->watch, &fr);
	if (!fr.found || a->status != SB_ST_SENDING)
		return 0;
	if (a->step != a->message_step || sb_status_final(a->message_status))
		end_held(dp, a, SB_ST_CANCELLED, sb_sm_why_text(a->step != a->message_step ?
		    SB_WHY_SUPERSEDED : SB_WHY_NOT_SENT_FINAL));
	else if (sb_bcast_stopped(dp, a->message_id))
		end_held(dp, a, SB_ST_CANCELLED, sb_bcast_stop_reason());
	else if (a->expires_ms > 0 && sb_now_ms() >= a->expires_ms)
		end_held(dp, a, SB_ST_EXPIRED, sb_sm_why_text(SB_WHY_VALIDITY_BEFORE_SEND));
	else
		return 1;
	return 0;
}

/*
 * Hand waiting attempts to the plugin while the instance has free slots.
 * A send the plugin refuses at once answers from inside send_ready and
 * lands here again: the outer call goes on instead, so a long list never
 * turns into a deep recursion.
 */
static void
send_ahead_next(struct sb_dispatch *dp, struct sb_instance *inst)
{
	if (inst->ahead_handing)
		return;
	inst->ahead_handing = 1;
	while (inst->ahead != NULL && (dp->d->stopping || inst->draining ||
	    inst->sends_out < (unsigned)inst->cfg->max_in_flight)) {
		struct sb_ready *rd = inst->ahead;
		struct sb_send_batch *b = rd->batch;

		inst->ahead = rd->next_ahead;
		if (inst->ahead == NULL)
			inst->ahead_tail = NULL;
		/* b stays alive through send_ready, which may land here again. A
		 * replaced instance sends nothing new: its successor will. */
		if (dp->d->stopping || inst->draining) {
			unsend(dp, rd);
			slot_give_back(dp, inst, rd);
		} else if (still_sendable(dp, rd)) {
			send_ready(dp, inst, rd);
		} else {
			slot_give_back(dp, inst, rd);
		}
		b->waiting--;
		batch_release(b);
	}
	inst->ahead_handing = 0;
}

/* Queue a marked attempt on its instance until a slot frees; it holds b. */
static void
ahead_push(struct sb_instance *inst, struct sb_send_batch *b, struct sb_ready *rd)
{
	rd->batch = b;
	rd->next_ahead = NULL;
	if (inst->ahead_tail != NULL)
		inst->ahead_tail->next_ahead = rd;
	else
		inst->ahead = rd;
	inst->ahead_tail = rd;
	b->waiting++;
}

/* The batch's marks are on disk (ok) or rolled back: send what may go now. */
static void
batch_committed(void *arg, int ok)
{
	struct sb_send_batch *b = arg;
	struct sb_dispatch *dp = b->dp;

	/* Held while this loop runs: a send that fails at once answers, and
	 * an answer may hand out (and release) this batch's waiting entries. */
	b->waiting++;
	for (size_t k = 0; k < b->n; k++) {
		struct sb_ready *rd = &b->ready[k];
		struct sb_instance *inst = rd->inst;

		if (rd->skip)
			continue;
		if (ok && !dp->d->stopping) {
			if (inst->sends_out < (unsigned)inst->cfg->max_in_flight)
				send_ready(dp, inst, rd);
			else
				ahead_push(inst, b, rd); /* the next result sends it */
			continue;
		}
		/* Not sent: on a failed commit the marks were rolled back; on
		 * shutdown, put it back in the queue for the next start. */
		if (ok)
			unsend(dp, rd);
		slot_give_back(dp, inst, rd);
	}
	if (!ok)
		sb_due_note(dp->due, sb_now_ms() + 1000); /* try again shortly */
	b->waiting--;
	batch_release(b);
}

static const char *
rebase(const char *p, const char *from, char *to)
{
	return p != NULL ? to + (p - from) : NULL;
}

int
sb_pump_direct_ok(struct sb_dispatch *dp, struct sb_instance *inst,
    const struct sb_config_subaccount *sub)
{
	struct sb_sub_bucket *sb = NULL;
	int64_t wait;

	/* A request's recipients are stored whole or not at all: its savepoint
	 * may yet undo them, so they go through the queue. */
	if (dp->d->stopping || dp->batch.open || inst->p->kind != SB_PLUGIN_CHANNEL ||
	    inst->draining)
		return 0;
	/* A queued attempt due now goes first: the pass takes it (lanes.c
	 * knows the queue drained only when no lane held one back). */
	if (sb_now_ms() >= inst->queue_due_ms)
		return 0;
	/* A slot to send in at once, not one marked ahead to wait in. */
	if (inst->send_slots >= (unsigned)inst->cfg->max_in_flight)
		return 0;
	if (sb_bucket_allowance(&inst->bucket, inst->rate, inst->burst, sb_mono_us(), &wait) <= 0)
		return 0;
	/* The subaccount's own limits, as its lane would apply them. */
	return sb_lanes_sub_allowance(dp, sub, sb_mono_us(), &wait, &sb) > 0;
}

/*
 * A direct start's send: a batch of its own, waiting for the group that
 * holds its rows (registered now, while that group is the open one; if the
 * group fails, so does the batch, and nothing is sent).
 */
void
sb_pump_direct(struct sb_dispatch *dp, struct sb_instance *inst,
    const struct sb_config_subaccount *sub, const struct sb_attempt_row *r)
{
	size_t need = 16;
	const char *const strs[] = { r->instance, r->subaccount, r->chain, r->to, r->from,
	    r->text, r->template_name, r->template_lang, r->template_vars };
	struct sb_send_batch *b = malloc(sizeof(*b) + sizeof(b->ready[0]));
	struct sb_ready *rd;
	size_t used = 0;

	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		need += strs[i] != NULL ? strlen(strs[i]) + 1 : 0;
	if (b == NULL || (b->arena = malloc(need)) == NULL) {
		free(b);
		sb_log(SB_LOG_ERROR, "dispatch: out of memory; attempt %lld waits for recovery",
		    (long long)r->id);
		return;
	}
	b->dp = dp;
	b->n = 1;
	b->waiting = 0;
	rd = &b->ready[0];
	*rd = (struct sb_ready){ .row = *r };
	rd->row.instance = sb_eng_arena_dup(b->arena, &used, r->instance);
	rd->row.subaccount = sb_eng_arena_dup(b->arena, &used, r->subaccount);
	rd->row.chain = sb_eng_arena_dup(b->arena, &used, r->chain);
	rd->row.to = sb_eng_arena_dup(b->arena, &used, r->to);
	rd->row.from = sb_eng_arena_dup(b->arena, &used, r->from);
	rd->row.text = sb_eng_arena_dup(b->arena, &used, r->text);
	rd->row.template_name = sb_eng_arena_dup(b->arena, &used, r->template_name);
	rd->row.template_lang = sb_eng_arena_dup(b->arena, &used, r->template_lang);
	rd->row.template_vars = sb_eng_arena_dup(b->arena, &used, r->template_vars);
	rd->row.provider_id = NULL;
	pump_take(dp, inst, rd, 1);
	sb_bucket_take(&inst->bucket, 1);
	if (sub->rate > 0 && rd->sub_slot >= 0)
		sb_bucket_take(&dp->pump.subs[rd->sub_slot].bucket, 1);
	if (sb_store_after_commit(dp->d->store, batch_committed, b) < 0)
		batch_committed(b, 0);
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
	struct sb_pump *pm = &dp->pump;
	struct sb_send_batch *b = malloc(sizeof(*b) + n * sizeof(b->ready[0]));

	if (b == NULL || (b->arena = malloc(pm->arena_used ? pm->arena_used : 1)) == NULL) {
		free(b);
		sb_log(SB_LOG_ERROR, "dispatch: out of memory; %zu sends wait for recovery", n);
		for (size_t k = 0; k < n; k++)
			sb_watch_release(dp, pm->ready[k].row.message_id, &pm->ready[k].watch);
		return;
	}
	b->dp = dp;
	b->n = n;
	b->waiting = 0;
	memcpy(b->arena, pm->arena, pm->arena_used);
	memcpy(b->ready, pm->ready, n * sizeof(b->ready[0]));
	for (size_t k = 0; k < n; k++) {
		struct sb_attempt_row *r = &b->ready[k].row;

		r->instance = rebase(r->instance, pm->arena, b->arena);
		r->subaccount = rebase(r->subaccount, pm->arena, b->arena);
		r->chain = rebase(r->chain, pm->arena, b->arena);
		r->to = rebase(r->to, pm->arena, b->arena);
		r->from = rebase(r->from, pm->arena, b->arena);
		r->text = rebase(r->text, pm->arena, b->arena);
		r->template_name = rebase(r->template_name, pm->arena, b->arena);
		r->template_lang = rebase(r->template_lang, pm->arena, b->arena);
		r->template_vars = rebase(r->template_vars, pm->arena, b->arena);
		r->provider_id = NULL;
	}
	if (sb_store_after_commit(dp->d->store, batch_committed, b) < 0)
		batch_committed(b, 0);
}

void
sb_pump_pass(struct sb_dispatch *dp, int64_t *wait)
{
	struct sb_pump *pm = &dp->pump;
	struct sb_instance *const *insts;
	size_t ninst = sb_loader_instances(dp->d->loader, &insts);
	int64_t now = sb_now_ms();

	if (dp->d->stopping)
		return;
	pm->nready = 0;
	pm->arena_used = 0;
	pm->batch_full = 0;
	pm->refused = 0;
	/* The batch may fill up: start at another instance each pass. */
	for (size_t i = 0; i < ninst; i++) {
		struct sb_instance *inst = insts[(i + pm->first_inst) % ninst];

		if (inst->p->kind == SB_PLUGIN_CHANNEL)
			pump_instance(dp, inst, now, wait);
	}
	pm->first_inst++;
	if (pm->nready > 0)
		send_after_commit(dp, pm->nready);
	/* A queue that filled its batch may hold more: come back at once. */
	if (pm->batch_full)
		sb_pump_soon(dp);
}

void
sb_pump_soon(struct sb_dispatch *dp)
{
	event_active(dp->pump.ev, 0, 0);
}

static void
pump_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sb_dispatch *dp = arg;
	int64_t wait = INT64_MAX;

	(void)fd;
	(void)what;
	sb_pump_pass(dp, &wait);
	/* Held back by a rate or a retry time: the due timer comes back then. */
	if (wait != INT64_MAX)
		sb_due_note(dp->due, sb_now_ms() + wait);
}

int
sb_pump_init(struct sb_dispatch *dp, struct event_base *base)
{
	struct sb_pump *pm = &dp->pump;

	pm->free_slot = UINT32_MAX;
	pm->capready = (size_t)PUMP_BATCH * 4;
	pm->ready = calloc(pm->capready, sizeof(*pm->ready));
	pm->arena_cap = 4u << 20;
	pm->arena = malloc(pm->arena_cap);
	pm->lanes = malloc(SB_MAX_LANES * sizeof(*pm->lanes));
	pm->ev = event_new(base, -1, 0, pump_cb, dp);
	return pm->ready != NULL && pm->arena != NULL && pm->lanes != NULL && pm->ev != NULL ?
	    0 : -1;
}

void
sb_pump_clear(struct sb_dispatch *dp)
{
	struct sb_pump *pm = &dp->pump;

	if (pm->ev != NULL)
		event_free(pm->ev);
	free(pm->slots);
	free(pm->subs);
	free(pm->lanes);
	free(pm->ready);
	free(pm->arena);
}
