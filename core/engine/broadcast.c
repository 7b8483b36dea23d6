/*
 * broadcast.c - stopping and restarting broadcasts, and the guard that
 * keeps a stopped broadcast from sending.
 *
 * A stop records its time on the broadcast, then cancels the messages not
 * yet handed to a provider (scheduled, queued) in bounded batches, one per
 * loop turn, so a stop of 100 000 messages never holds the loop. Until the
 * last batch has run, and for every later step, the guard
 * (sb_bcast_stopped) catches what would still start: the pump asks it
 * before a queued attempt becomes `sending`, and apply.c before a chain
 * step starts; either way the message becomes `cancelled`, reason
 * "broadcast stopped". What was sent is not recalled.
 *
 * A restart is a new broadcast linked to the old one (restart_of, unique:
 * a second restart answers with the first), sending to each number whose
 * latest message ended undeliverable, failed, expired or cancelled and
 * that never got it; numbers are walked in order in batches too, so none
 * is sent twice. Every status change goes through sb_eng_transition.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "daemon.h"
#include "dispatch.h"
#include "engine.h"
#include "log.h"
#include "store.h"
#include "store_bcast.h"

#define BATCH 256
#define STOP_REASON "broadcast stopped"

enum job_kind { JOB_STOP, JOB_RESTART };

struct job {
	enum job_kind kind;
	int64_t id;           /* the broadcast stopped, or restarted */
	int64_t new_id;       /* restart: the new broadcast */
	char after_to[32];    /* restart: the last number sent to */
};

struct sb_bcast {
	struct sb_dispatch *dp;
	struct event *ev;     /* the next batch, at the next loop turn */
	struct job *jobs;
	size_t njobs, capjobs;
	int any_stopped;      /* some broadcast is stopped: the guard looks */
};

static void run_jobs(evutil_socket_t fd, short what, void *arg);

static const struct timeval next_turn = { 0, 0 };

static int push_job(struct sb_bcast *b, const struct job *j);

static void
resume_restart(void *arg, int64_t id, int64_t restart_of, const char *cursor)
{
	struct job j = { .kind = JOB_RESTART, .id = restart_of, .new_id = id };

	snprintf(j.after_to, sizeof(j.after_to), "%s", cursor != NULL ? cursor : "");
	sb_log(SB_LOG_INFO, "broadcast %lld: resuming its restart of %lld after '%s'",
	    (long long)id, (long long)restart_of, j.after_to);
	push_job(arg, &j);
}

struct sb_bcast *
sb_bcast_new(struct sb_dispatch *dp, struct event_base *base)
{
	struct sb_bcast *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return NULL;
	b->dp = dp;
	b->ev = evtimer_new(base, run_jobs, b);
	if (b->ev == NULL) {
		free(b);
		return NULL;
	}
	/* Stops cut short by a restart of the daemon are finished by the guard;
	 * restarts cut short go on from their cursor. */
	b->any_stopped = sb_store_broadcast_any_stopped(dp->d->store) != 0;
	sb_store_broadcast_unfinished_restarts(dp->d->store, resume_restart, b);
	return b;
}

void
sb_bcast_free(struct sb_bcast *b)
{
	if (b == NULL)
		return;
	event_free(b->ev);
	free(b->jobs);
	free(b);
}

/* Cancel one message not yet handed to a provider; its queued attempt too. */
static void
cancel_one(struct sb_dispatch *dp, int64_t message_id, enum sb_status status)
{
	struct sb_attempt_change ch = {
		.status = SB_ST_CANCELLED, .tries = -1, .next_ms = -1, .fallback_ms = 0,
		.final_ms = sb_now_ms(),
	};
	int64_t att = status == SB_ST_QUEUED ?
	    sb_store_attempt_queued_of(dp->d->store, message_id) : 0;

	sb_eng_transition(dp, &(struct sb_transition){
	    .message_id = message_id, .attempt_id = att > 0 ? att : 0,
	    .old_attempt_status = SB_ST_QUEUED, .change = att > 0 ? &ch : NULL,
	    .old_message_status = status, .message_status = SB_ST_CANCELLED, .step = -1,
	    .reason = STOP_REASON,
	});
}

static void
cancel_cb(void *arg, int64_t message_id, enum sb_status status)
{
	cancel_one(arg, message_id, status);
}

int
sb_bcast_stopped(struct sb_dispatch *dp, int64_t message_id)
{
	return dp->bcast != NULL && dp->bcast->any_stopped &&
	    sb_store_message_bcast_stopped(dp->d->store, message_id) == 1;
}

int
sb_bcast_guard_send(struct sb_dispatch *dp, int64_t message_id, enum sb_status status)
{
	if (!sb_bcast_stopped(dp, message_id))
		return 0;
	cancel_one(dp, message_id, status);
	return 1;
}

const char *
sb_bcast_stop_reason(void)
{
	return STOP_REASON;
}

/* ---- batches ---- */

static int
push_job(struct sb_bcast *b, const struct job *j)
{
	if (b->njobs == b->capjobs) {
		size_t cap = b->capjobs ? b->capjobs * 2 : 8;
		struct job *n = realloc(b->jobs, cap * sizeof(*n));

		if (n == NULL)
			return -1;
		b->jobs = n;
		b->capjobs = cap;
	}
	b->jobs[b->njobs++] = *j;
	evtimer_add(b->ev, &next_turn);
	return 0;
}

/* What a restart copies of an old message. */
struct resend {
	struct sb_dispatch *dp;
	int64_t new_id;
	char *last_to;        /* the job's after_to */
	size_t last_len;
};

static void
ignore_ack(void *arg, int64_t id, int duplicate,
    enum sb_status status, const struct sb_error *err)
{
	(void)arg;
	(void)duplicate;
	(void)status;
	if (err != NULL)
		sb_log(SB_LOG_ERROR, "broadcast restart: message %lld: %s", (long long)id,
		    err->message);
}

struct copy {
	int found;
	char subaccount[128], chain[128], to[32];
	char *text, *from, *template_name, *template_lang, *template_vars;
	int64_t template_ver;
};

static char *
dup_or_null(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

static int
copy_msg(void *arg, const struct sb_message *m)
{
	struct copy *c = arg;

	c->found = 1;
	snprintf(c->subaccount, sizeof(c->subaccount), "%s", m->subaccount);
	snprintf(c->chain, sizeof(c->chain), "%s", m->chain);
	snprintf(c->to, sizeof(c->to), "%s", m->to);
	c->text = dup_or_null(m->text);
	c->from = dup_or_null(m->from);
	c->template_name = dup_or_null(m->template_name);
	c->template_lang = dup_or_null(m->template_lang);
	c->template_vars = dup_or_null(m->template_vars);
	c->template_ver = m->template_ver;
	/* A stored template renders again; its body was only a rendering. */
	if (m->template_ver > 0) {
		free(c->text);
		c->text = NULL;
	}
	return 0;
}

static void
resend_cb(void *arg, int64_t message_id, const char *to)
{
	struct resend *r = arg;
	struct copy c = { 0 };
	struct sb_error err = { 0 };

	snprintf(r->last_to, r->last_len, "%s", to);
	sb_store_message_get(r->dp->d->store, message_id, copy_msg, &c);
	if (c.found && sb_dispatch_submit(r->dp, &(struct sb_submit){
	    .subaccount = c.subaccount, .chain = c.chain, .to = c.to, .from = c.from,
	    .text = c.text, .template_name = c.template_name,
	    .template_lang = c.template_lang, .template_vars = c.template_vars,
	    .template_version = c.template_ver,
	    .broadcast_id = r->new_id, .resend_of = message_id,
	}, ignore_ack, NULL, &err) < 0)
		sb_log(SB_LOG_WARN, "broadcast %lld: %s not sent again: %s",
		    (long long)r->new_id, to, err.message);
	free(c.text);
	free(c.from);
	free(c.template_name);
	free(c.template_lang);
	free(c.template_vars);
}

/* One batch of a job; 1 when the job is done. */
static int
run_batch(struct sb_dispatch *dp, struct job *j)
{
	int n;

	if (j->kind == JOB_STOP) {
		n = sb_store_broadcast_unsent(dp->d->store, j->id, BATCH, cancel_cb, dp);
	} else {
		struct resend r = { dp, j->new_id, j->after_to, sizeof(j->after_to) };

		n = sb_store_broadcast_retry_each(dp->d->store, j->id, j->after_to, BATCH,
		    resend_cb, &r);
		/* In the batch's group: a crash resumes after what it stored. */
		sb_store_broadcast_set_cursor(dp->d->store, j->new_id, n < BATCH ? NULL :
		    j->after_to);
	}
	return n < BATCH;
}

static void
run_jobs(evutil_socket_t fd, short what, void *arg)
{
	struct sb_bcast *b = arg;

	(void)fd;
	(void)what;
	if (b->njobs == 0)
		return;
	if (run_batch(b->dp, &b->jobs[0])) {
		memmove(b->jobs, b->jobs + 1, (b->njobs - 1) * sizeof(*b->jobs));
		b->njobs--;
	}
	if (b->njobs > 0)
		evtimer_add(b->ev, &next_turn);
}

/* Run a job's first batch now, the rest one per loop turn. */
static int
start_job(struct sb_dispatch *dp, struct job *j, struct sb_error *err)
{
	if (run_batch(dp, j))
		return 0;
	if (push_job(dp->bcast, j) < 0)
		return sb_error_set(err, SB_E_INTERNAL, "out of memory");
	return 0;
}

/* ---- the dispatcher's interface (dispatch.h) ---- */

int
sb_dispatch_broadcast_stop(struct sb_dispatch *dp, int64_t id, const char *subaccount,
    int64_t *stopped_ms, struct sb_error *err)
{
	struct sb_broadcast_state bs;
	struct job j = { .kind = JOB_STOP, .id = id };
	int rc = sb_store_broadcast_state(dp->d->store, id, subaccount, &bs);

	if (rc < 0)
		return sb_error_set(err, SB_E_INTERNAL, "the broadcast could not be read");
	if (rc > 0)
		return sb_error_set(err, SB_E_NOT_FOUND, "no broadcast %lld", (long long)id);
	if (bs.stopped_ms == 0) {
		bs.stopped_ms = sb_now_ms();
		if (sb_store_broadcast_mark_stopped(dp->d->store, id, bs.stopped_ms) < 0)
			return sb_error_set(err, SB_E_INTERNAL, "the stop could not be stored");
		sb_log(SB_LOG_INFO, "broadcast %lld stopped", (long long)id);
	}
	*stopped_ms = bs.stopped_ms;
	dp->bcast->any_stopped = 1;
	return start_job(dp, &j, err);
}

int
sb_dispatch_broadcast_restart(struct sb_dispatch *dp, int64_t id, const char *subaccount,
    const char *user, struct sb_restart_result *res, struct sb_error *err)
{
	struct sb_broadcast_state bs;
	struct job j = { .kind = JOB_RESTART, .id = id };
	int rc = sb_store_broadcast_state(dp->d->store, id, subaccount, &bs);
	int64_t n;

	if (rc < 0)
		return sb_error_set(err, SB_E_INTERNAL, "the broadcast could not be read");
	if (rc > 0)
		return sb_error_set(err, SB_E_NOT_FOUND, "no broadcast %lld", (long long)id);
	*res = (struct sb_restart_result){ .restart_of = id };
	if (bs.restarted_by > 0) {
		/* Idempotent: the restart that was made is the answer. */
		res->id = bs.restarted_by;
		res->existing = 1;
		return 0;
	}
	if (bs.unfinished > 0)
		return sb_error_set(err, SB_E_INVALID_STATE, "broadcast %lld is still running"
		    " (%lld messages without a final status); stop it, or wait until it ends,"
		    " then restart it", (long long)id, (long long)bs.unfinished);
	n = sb_store_broadcast_retry_count(dp->d->store, id);
	if (n < 0)
		return sb_error_set(err, SB_E_INTERNAL, "the broadcast could not be read");
	if (n == 0)
		return sb_error_set(err, SB_E_INVALID_STATE, "broadcast %lld has no recipient to"
		    " send to again: none ended undeliverable, failed, expired or cancelled"
		    " without getting it", (long long)id);
	res->id = sb_store_broadcast_insert_restart(dp->d->store, id, user, sb_now_ms(), err);
	if (res->id < 0)
		return -1;
	res->recipients = n;
	j.new_id = res->id;
	sb_log(SB_LOG_INFO, "broadcast %lld restarted as %lld (%lld recipients)",
	    (long long)id, (long long)res->id, (long long)n);
	return start_job(dp, &j, err);
}
