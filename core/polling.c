/*
 * polling.c - the timers that run after an attempt is accepted: receipt
 * polling for channels that cannot (or are told not to) rely on webhooks,
 * and expiry when no final status came within the message's validity.
 *
 * Both are stored times on the attempt (attempts.poll_ms, expire_ms), so
 * they survive a restart; the pump calls sb_poll_due and sb_expire_due on
 * every pass and sb_store_next_due arms its timer for the earliest one.
 * A poll's answer comes back as an ordinary receipt (host->receipt), so
 * polling adds no state transition of its own. Never blocks: the plugin's
 * poll starts an asynchronous request.
 */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "daemon.h"
#include "dispatch_impl.h"
#include "instance.h"
#include "loader.h"
#include "log.h"
#include "metrics.h"
#include "polling.h"
#include "store.h"

#define POLL_BATCH 256         /* polls and expiries per pass */

int64_t
sb_poll_next(const struct sb_config_poll *p, int64_t base_ms, int64_t now_ms)
{
	int64_t end = p->until_ms > INT64_MAX - base_ms ? INT64_MAX : base_ms + p->until_ms;
	int64_t t = base_ms, last;

	if (now_ms >= end || p->nintervals == 0)
		return 0;
	for (size_t i = 0; i < p->nintervals; i++) {
		t += p->intervals_ms[i];
		if (t > now_ms)
			return t < end ? t : end;
	}
	/* The last interval repeats: jump straight past `now`. */
	last = p->intervals_ms[p->nintervals - 1];
	t += ((now_ms - t) / last + 1) * last;
	return t < end ? t : end;
}

int
sb_instance_polls(const struct sb_instance *inst)
{
	const struct sb_plugin *p = inst->p;

	if (p->kind != SB_PLUGIN_CHANNEL || p->poll == NULL ||
	    !(p->caps.receipts & SB_RECEIPT_POLL))
		return 0;
	switch (inst->cfg->poll.mode) {
	case SB_POLL_ON:
		return 1;
	case SB_POLL_OFF:
		return 0;
	case SB_POLL_AUTO:
		break;
	}
	/* A channel that also gets webhooks is polled only when told to. */
	return !(p->caps.receipts & SB_RECEIPT_WEBHOOK);
}

int64_t
sb_poll_first(struct sb_dispatch *dp, const char *instance, int64_t now)
{
	struct sb_instance *inst = instance != NULL ?
	    sb_loader_instance(dp->d->loader, instance) : NULL;

	if (inst == NULL || !sb_instance_polls(inst))
		return 0;
	return sb_poll_next(&inst->cfg->poll, now, now);
}

/* Like collect_ready, keeping the provider id a poll needs. */
static int
collect_with_provider(void *arg, const struct sb_attempt_row *r)
{
	struct sb_dispatch *dp = arg;
	size_t before = dp->nready, used = dp->arena_used;
	const char *pid = NULL;
	size_t n;

	if (collect_ready(dp, r) != 0)
		return 1;
	if (r->provider_id != NULL) {
		n = strlen(r->provider_id) + 1;
		if (dp->arena_used + n > dp->arena_cap) {
			dp->nready = before; /* undo: this row waits for the next pass */
			dp->arena_used = used;
			return 1;
		}
		pid = memcpy(dp->arena + dp->arena_used, r->provider_id, n);
		dp->arena_used += n;
	}
	dp->ready[before].row.provider_id = pid;
	return 0;
}

void
sb_poll_due(struct sb_dispatch *dp, int64_t now)
{
	struct sb_store *st = dp->d->store;

	dp->nready = 0;
	dp->arena_used = 0;
	sb_store_attempts_poll_due(st, now, POLL_BATCH, collect_with_provider, dp);
	/* Reschedule first: a plugin may answer from inside its poll. */
	for (size_t i = 0; i < dp->nready; i++) {
		struct ready *rd = &dp->ready[i];
		const struct sb_attempt_row *r = &rd->row;
		struct sb_instance *inst = sb_loader_instance(dp->d->loader, r->instance);
		int64_t next = 0;

		/* A final message needs no more news (its later steps delivered). */
		rd->inst = inst != NULL && sb_instance_polls(inst) && r->provider_id != NULL &&
		    !sb_status_final(r->message_status) ? inst : NULL;
		if (rd->inst != NULL)
			next = sb_poll_next(&inst->cfg->poll, r->accepted_ms > 0 ?
			    r->accepted_ms : now, now);
		sb_store_attempt_update(st, r->id, &(struct sb_attempt_change){
		    .status = r->status, .tries = -1, .next_ms = -1, .fallback_ms = -1,
		    .poll_ms = next > 0 ? next : -1, .polls = rd->inst != NULL ? r->polls + 1 : 0,
		});
	}
	if (dp->nready > 0)
		sb_dispatch_wake_commit(dp);
	for (size_t i = 0; i < dp->nready; i++) {
		struct ready *rd = &dp->ready[i];
		struct sb_poll_request req = {
			.struct_size = sizeof(req), .attempt_id = (uint64_t)rd->row.id,
			.provider_id = rd->row.provider_id, .to = rd->row.to,
		};

		if (rd->inst == NULL)
			continue;
		rd->inst->polled++;
		sb_metrics_count("sb_receipt_polls_total", rd->inst->name, 0, 1);
		if (rd->inst->p->poll(rd->inst->state, &req) != 0)
			sb_log(SB_LOG_DEBUG, "[%s] poll of '%.64s' not started; next one as scheduled",
			    rd->inst->name, rd->row.provider_id);
	}
}

void
sb_expire_due(struct sb_dispatch *dp, int64_t now)
{
	struct sb_store *st = dp->d->store;

	dp->nready = 0;
	dp->arena_used = 0;
	sb_store_attempts_expire_due(st, now, POLL_BATCH, collect_ready, dp);
	for (size_t i = 0; i < dp->nready; i++) {
		const struct sb_attempt_row *r = &dp->ready[i].row;
		int current = r->step == r->message_step && !sb_status_final(r->message_status);
		struct sb_attempt_change ch = {
			.status = SB_ST_EXPIRED, .tries = -1, .next_ms = -1, .fallback_ms = 0,
			.final_ms = now, .poll_ms = -1,
		};
		char why[200];

		if (r->expires_ms > now) {
			/* The message's validity moved (rescheduled): follow it. */
			sb_store_attempt_update(st, r->id, &(struct sb_attempt_change){
			    .status = r->status, .tries = -1, .next_ms = -1, .fallback_ms = -1,
			    .expire_ms = r->expires_ms,
			});
			sb_dispatch_wake_commit(dp);
			continue;
		}
		if (r->status == SB_ST_ACCEPTED)
			snprintf(why, sizeof(why), "no final receipt from %s within the validity"
			    " period", r->instance);
		else
			snprintf(why, sizeof(why), "validity ended before it could be sent");
		ch.error_text = why;
		transition(dp, &(struct transition_req){
		    .message_id = r->message_id, .attempt_id = r->id, .change = &ch,
		    .old_message_status = r->message_status,
		    .message_status = current ? SB_ST_EXPIRED : (enum sb_status)-1,
		    .step = -1, .reason = why,
		});
		sb_metrics_count("sb_attempts_expired_total", r->instance, 0, 1);
	}
}
