/*
 * due.c - the one owner of time-based work, and the one due timer.
 *
 * Every time the engine stores (a send time, a retry's next_ms, a fallback,
 * a receipt poll, a validity end, the end of an allowed-hours wait) is
 * handed to sb_due_note() by the write that stores it, and a queue held
 * back by a rate limit notes when its next token comes. The timer is
 * always armed to the earliest of them, so each fires on time on a quiet
 * daemon with no other event needed (libevent timers: within a few
 * milliseconds of the stored time on an idle daemon). When it fires, the
 * scans below run what is due, a pump pass refills the queues, and the
 * timer is re-armed to the store's earliest remaining time (one indexed
 * query), so a restart or a missed note costs at most the 60 s re-check.
 *
 * Polls and expiry are stored on the attempt (attempts.poll_ms,
 * expire_ms), so they survive a restart. A poll's answer comes back as an
 * ordinary receipt, so polling adds no rule of its own. Never blocks: a
 * plugin's poll starts an asynchronous request.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "config.h"
#include "daemon.h"
#include "due.h"
#include "engine.h"
#include "instance.h"
#include "loader.h"
#include "log.h"
#include "metrics.h"
#include "store.h"

#define DUE_BATCH 256          /* rows of one kind per scan */
#define RECHECK_MS 60000       /* the clock may be moved (-T): look again by then */

/* One scan's rows, with their strings in an arena of the scan's own. */
struct due_rows {
	struct sb_attempt_row *rows;
	size_t n, cap;
	char *arena;
	size_t used, arena_cap;
};

struct sb_due {
	struct sb_dispatch *dp;
	struct event *ev;
	int armed;
	int64_t at_ms;               /* wall time the timer is armed for */
	struct due_rows rows;
	int64_t ids[DUE_BATCH];
	size_t nids;
};

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
	    !(p->capabilities->receipts & SB_RECEIPT_POLL))
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
	return !(p->capabilities->receipts & SB_RECEIPT_WEBHOOK);
}

/* ---- the scan buffers ---- */

static int
rows_collect(void *arg, const struct sb_attempt_row *r)
{
	struct due_rows *b = arg;
	struct sb_attempt_row *c;
	size_t need = (r->instance ? strlen(r->instance) : 0) +
	    (r->chain ? strlen(r->chain) : 0) + (r->provider_id ? strlen(r->provider_id) : 0) +
	    (r->to ? strlen(r->to) : 0) + (r->subaccount ? strlen(r->subaccount) : 0) + 8;

	if (b->n == b->cap || b->used + need > b->arena_cap)
		return 1; /* the rest waits for the next scan */
	c = &b->rows[b->n++];
	*c = *r;
	/* A scan needs no message body: leave it out. */
	c->text = c->from = c->template_name = c->template_lang = c->template_vars = NULL;
	c->instance = sb_eng_arena_dup(b->arena, &b->used, r->instance);
	c->chain = sb_eng_arena_dup(b->arena, &b->used, r->chain);
	c->provider_id = sb_eng_arena_dup(b->arena, &b->used, r->provider_id);
	c->to = sb_eng_arena_dup(b->arena, &b->used, r->to);
	c->subaccount = sb_eng_arena_dup(b->arena, &b->used, r->subaccount);
	return 0;
}

static void
rows_reset(struct due_rows *b)
{
	b->n = 0;
	b->used = 0;
}

/* ---- the scans ---- */

static int
collect_id(void *arg, int64_t id)
{
	struct sb_due *due = arg;

	if (due->nids == DUE_BATCH)
		return 1;
	due->ids[due->nids++] = id;
	return 0;
}

/* Scheduled messages whose time has come start their step. */
static int
scan_activation(struct sb_due *due, int64_t now)
{
	due->nids = 0;
	sb_store_messages_due(due->dp->d->store, now, DUE_BATCH, collect_id, due);
	for (size_t i = 0; i < due->nids; i++)
		sb_eng_activate(due->dp, due->ids[i]);
	return due->nids == DUE_BATCH;
}

static int
scan_fallback(struct sb_due *due, int64_t now)
{
	struct sb_attempt_ref a;

	rows_reset(&due->rows);
	sb_store_attempts_fallback_due(due->dp->d->store, now, DUE_BATCH, rows_collect,
	    &due->rows);
	for (size_t i = 0; i < due->rows.n; i++) {
		sb_eng_ref_of_row(due->dp, &a, &due->rows.rows[i]);
		sb_eng_event(due->dp, &a, SB_EV_FALLBACK_DUE, NULL);
	}
	return due->rows.n == DUE_BATCH;
}

static int
scan_expiry(struct sb_due *due, int64_t now)
{
	struct sb_store *st = due->dp->d->store;
	struct sb_attempt_ref a;

	rows_reset(&due->rows);
	sb_store_attempts_expire_due(st, now, DUE_BATCH, rows_collect, &due->rows);
	for (size_t i = 0; i < due->rows.n; i++) {
		const struct sb_attempt_row *r = &due->rows.rows[i];

		if (r->expires_ms > now) {
			/* The message's validity moved (rescheduled): follow it. */
			sb_watch_touch(due->dp, r->message_id);
			sb_store_attempt_update(st, r->id, r->status, &(struct sb_attempt_change){
			    .status = r->status, .tries = -1, .next_ms = -1, .fallback_ms = -1,
			    .expire_ms = r->expires_ms,
			});
			sb_due_note(due, r->expires_ms);
			continue;
		}
		sb_eng_ref_of_row(due->dp, &a, r);
		if (sb_eng_event(due->dp, &a, SB_EV_VALIDITY_END, NULL) >= 0)
			sb_metrics_count("sb_attempts_expired_total", r->instance, 0, 1);
	}
	return due->rows.n == DUE_BATCH;
}

static int
scan_polls(struct sb_due *due, int64_t now)
{
	struct sb_dispatch *dp = due->dp;
	struct sb_store *st = dp->d->store;
	struct sb_instance *insts[DUE_BATCH];
	size_t n;

	rows_reset(&due->rows);
	sb_store_attempts_poll_due(st, now, DUE_BATCH, rows_collect, &due->rows);
	n = due->rows.n;
	/* Reschedule first: a plugin may answer from inside its poll. */
	for (size_t i = 0; i < n; i++) {
		const struct sb_attempt_row *r = &due->rows.rows[i];
		struct sb_instance *inst = sb_loader_instance(dp->d->loader, r->instance);
		int64_t next = 0;

		/* A final message needs no more news (its later steps delivered). */
		insts[i] = inst != NULL && sb_instance_polls(inst) &&
		    !sb_status_final(r->message_status) ? inst : NULL;
		if (insts[i] != NULL)
			next = sb_poll_next(&inst->cfg->poll, r->accepted_ms > 0 ?
			    r->accepted_ms : now, now);
		sb_watch_touch(dp, r->message_id);
		sb_store_attempt_update(st, r->id, r->status, &(struct sb_attempt_change){
		    .status = r->status, .tries = -1, .next_ms = -1, .fallback_ms = -1,
		    .poll_ms = next > 0 ? next : -1, .polls = insts[i] != NULL ? r->polls + 1 : 0,
		});
		if (next > 0)
			sb_due_note(due, next);
	}
	for (size_t i = 0; i < n; i++) {
		const struct sb_attempt_row *r = &due->rows.rows[i];
		char key[SB_ATTEMPT_KEY_LEN + 1];
		struct sb_poll_request req = {
			.struct_size = sizeof(req), .attempt_id = (uint64_t)r->id,
			.provider_id = r->provider_id, .to = r->to,
		};

		if (insts[i] == NULL)
			continue;
		/* No id of the provider's: the attempt's key is the one it had. */
		if (req.provider_id == NULL) {
			sb_store_attempt_key(st, r->id, key, sizeof(key));
			req.provider_id = key;
		}
		insts[i]->polled++;
		sb_metrics_count("sb_receipt_polls_total", insts[i]->name, 0, 1);
		if (insts[i]->p->poll(insts[i]->state, &req) != 0)
			sb_log(SB_LOG_DEBUG, "[%s] poll of '%.64s' not started; next one as scheduled",
			    insts[i]->name, req.provider_id);
	}
	return n == DUE_BATCH;
}

/* ---- the timer ---- */

static void
arm(struct sb_due *due, int64_t at_ms)
{
	int64_t now = sb_now_ms(), wait = at_ms - now;
	struct timeval tv;

	if (wait < 0)
		wait = 0;
	if (wait > RECHECK_MS)
		wait = RECHECK_MS;
	due->at_ms = now + wait;
	due->armed = 1;
	tv.tv_sec = (time_t)(wait / 1000);
	tv.tv_usec = (suseconds_t)(wait % 1000 * 1000);
	event_add(due->ev, &tv);
}

void
sb_due_note(struct sb_due *due, int64_t at_ms)
{
	if (due == NULL || at_ms <= 0)
		return;
	if (due->armed && due->at_ms <= at_ms)
		return; /* it wakes earlier anyway */
	arm(due, at_ms);
}

void
sb_due_now(struct sb_due *due)
{
	/* Not sb_due_note: after a clock move, the armed time means nothing. */
	arm(due, 0);
}

void
sb_due_run(struct sb_due *due)
{
	struct sb_dispatch *dp = due->dp;
	int64_t now = sb_now_ms(), wait = INT64_MAX, next;
	int more = 0;

	due->armed = 0;
	if (dp->d->stopping)
		return;
	more |= scan_activation(due, now);
	more |= scan_fallback(due, now);
	more |= scan_expiry(due, now);
	more |= scan_polls(due, now);
	sb_pump_pass(dp, &wait);
	next = more ? now : sb_store_next_due(dp->d->store);
	if (wait != INT64_MAX && now + wait < next)
		next = now + wait;
	/* Nothing stored: still look again now and then (a moved clock). */
	sb_due_note(due, next != INT64_MAX ? next : now + RECHECK_MS);
}

static void
due_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	sb_due_run(arg);
}

struct sb_due *
sb_due_new(struct sb_dispatch *dp, struct event_base *base)
{
	struct sb_due *due = calloc(1, sizeof(*due));

	if (due == NULL)
		return NULL;
	due->dp = dp;
	due->rows.cap = DUE_BATCH;
	due->rows.rows = calloc(DUE_BATCH, sizeof(*due->rows.rows));
	due->rows.arena_cap = (size_t)DUE_BATCH * 1024;
	due->rows.arena = malloc(due->rows.arena_cap);
	due->ev = evtimer_new(base, due_cb, due);
	if (due->rows.rows == NULL || due->rows.arena == NULL || due->ev == NULL) {
		sb_due_free(due);
		return NULL;
	}
	return due;
}

void
sb_due_free(struct sb_due *due)
{
	if (due == NULL)
		return;
	if (due->ev != NULL)
		event_free(due->ev);
	free(due->rows.rows);
	free(due->rows.arena);
	free(due);
}
