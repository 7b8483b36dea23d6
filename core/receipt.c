/*
 * receipt.c - what happens after a send: delivery receipts from webhooks
 * and polls, and the recovery of attempts a crash left `sending`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "config.h"
#include "daemon.h"
#include "dispatch_impl.h"
#include "instance.h"
#include "loader.h"
#include "log.h"
#include "metrics.h"
#include "store.h"

struct found_attempt {
	int found;
	struct attempt_ref ref;
	char chain[128], instance[128];
};

static int
keep_attempt(void *arg, const struct sb_attempt_row *r)
{
	struct found_attempt *f = arg;

	f->found = 1;
	attempt_ref_from_row(&f->ref, r, f->chain, sizeof(f->chain), f->instance,
	    sizeof(f->instance));
	return 1;
}

void
sb_dispatch_receipt(struct sb_dispatch *dp, struct sb_instance *inst,
    const struct sb_receipt *rc)
{
	struct found_attempt f = { 0 };

	if (rc == NULL || rc->provider_id == NULL || *rc->provider_id == '\0') {
		sb_log(SB_LOG_WARN, "[%s] receipt without a provider id ignored", inst->name);
		return;
	}
	sb_store_attempt_by_provider(dp->d->store, inst->name, rc->provider_id, keep_attempt,
	    &f);
	if (!f.found) {
		sb_log(SB_LOG_WARN, "[%s] receipt for unknown provider id '%.64s' ignored",
		    inst->name, rc->provider_id);
		sb_metrics_count("sb_receipts_unknown_total", inst->name, 0, 1);
		return;
	}
	sb_metrics_count("sb_receipts_total", inst->name, rc->outcome, 1);
	apply_outcome(dp, &f.ref, rc->outcome, NULL, rc->error_code, rc->error_text, -1, 0);
	event_active(dp->pump_ev, 0, 0);
}

/*
 * After kill -9, an attempt may be `sending`: its request may or may not
 * have reached the provider. Where the channel makes a repeat harmless
 * (idempotency keys), send it again with the same key; otherwise do not
 * guess: fail the attempt with a reason that says to review it.
 */
struct recover_ctx {
	struct sb_dispatch *dp;
	struct found_attempt rows[256];
	size_t n;
};

static int
collect_sending(void *arg, const struct sb_attempt_row *r)
{
	struct recover_ctx *c = arg;

	if (c->n == sizeof(c->rows) / sizeof(c->rows[0]))
		return 1;
	keep_attempt(&c->rows[c->n++], r);
	return 0;
}

void
sb_dispatch_recover(struct sb_dispatch *dp)
{
	struct recover_ctx *c = calloc(1, sizeof(*c));
	size_t total = 0;

	if (c == NULL)
		return;
	do {
		c->n = 0;
		sb_store_attempts_sending(dp->d->store, collect_sending, c);
		for (size_t i = 0; i < c->n; i++) {
			struct attempt_ref *a = &c->rows[i].ref;
			struct sb_instance *inst = sb_loader_instance(dp->d->loader, a->instance);
			int repeatable = inst != NULL && inst->p->caps.idempotent;
			struct sb_attempt_change ch = {
				.status = repeatable ? SB_ST_QUEUED : SB_ST_FAILED, .tries = -1,
				.next_ms = repeatable ? sb_now_ms() : -1, .fallback_ms = -1,
				.final_ms = repeatable ? 0 : sb_now_ms(),
			};
			const char *why = repeatable ?
			    "restart: re-sending with the same idempotency key" :
			    "review: the daemon stopped while sending and the channel has no"
			    " idempotency key; it may or may not have been sent";

			transition(dp, &(struct transition_req){
			    .message_id = a->message_id, .attempt_id = a->attempt_id,
			    .change = &ch, .old_message_status = a->message_status,
			    .message_status = a->step == a->message_step ?
				(repeatable ? SB_ST_QUEUED : SB_ST_FAILED) : -1,
			    .step = -1, .reason = why,
			});
			if (repeatable)
				dp->new_work = 1;
		}
		total += c->n;
		sb_store_commit(dp->d->store);
	} while (c->n == sizeof(c->rows) / sizeof(c->rows[0]));
	free(c);
	if (total > 0)
		sb_log(SB_LOG_WARN, "recovery: resolved %zu attempts left sending by a crash",
		    total);
	event_active(dp->pump_ev, 0, 0);
}
