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
#include "polling.h"
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
	pump_soon(dp, 1);
}

/*
 * After kill -9, an attempt may be `sending`: its request may or may not
 * have reached the provider. In order of preference:
 *  - the provider can tell: the attempt has a provider id (an earlier try
 *    got one) and the channel is polled, so it goes back to `accepted` and
 *    is polled at once;
 *  - a repeat is harmless (idempotency keys): re-send with the same key;
 *  - otherwise do not guess: fail it with a reason that says to review it.
 */
enum recovery { RECOVER_POLL, RECOVER_RESEND, RECOVER_REVIEW };

static const struct {
	enum sb_status status;
	const char *why;
} recoveries[] = {
	[RECOVER_POLL] = { SB_ST_ACCEPTED,
	    "restart: asking the provider for the status of a send a crash interrupted" },
	[RECOVER_RESEND] = { SB_ST_QUEUED,
	    "restart: re-sending with the same idempotency key" },
	[RECOVER_REVIEW] = { SB_ST_FAILED,
	    "review: the daemon stopped while sending and the channel has no"
	    " idempotency key; it may or may not have been sent" },
};

struct recover_ctx {
	struct sb_dispatch *dp;
	struct found_attempt rows[256];
	int has_provider[256];
	size_t n;
};

static int
collect_sending(void *arg, const struct sb_attempt_row *r)
{
	struct recover_ctx *c = arg;

	if (c->n == sizeof(c->rows) / sizeof(c->rows[0]))
		return 1;
	char key[48];

	/* While sending, the attempt's own key stands in for the provider id:
	 * that is not an id the provider can be asked about. */
	make_attempt_key(c->dp, r->id, key, sizeof(key));
	c->has_provider[c->n] = r->provider_id != NULL && *r->provider_id != '\0' &&
	    strcmp(r->provider_id, key) != 0;
	keep_attempt(&c->rows[c->n++], r);
	return 0;
}

static enum recovery
recovery_of(struct sb_dispatch *dp, const struct attempt_ref *a, int has_provider)
{
	struct sb_instance *inst = sb_loader_instance(dp->d->loader, a->instance);

	if (inst != NULL && has_provider && sb_instance_polls(inst))
		return RECOVER_POLL;
	if (inst != NULL && inst->p->caps.idempotent)
		return RECOVER_RESEND;
	return RECOVER_REVIEW;
}

void
sb_dispatch_recover(struct sb_dispatch *dp)
{
	struct recover_ctx *c = calloc(1, sizeof(*c));
	size_t total = 0;

	if (c == NULL)
		return;
	c->dp = dp;
	do {
		c->n = 0;
		sb_store_attempts_sending(dp->d->store, collect_sending, c);
		for (size_t i = 0; i < c->n; i++) {
			struct attempt_ref *a = &c->rows[i].ref;
			enum recovery how = recovery_of(dp, a, c->has_provider[i]);
			int64_t now = sb_now_ms();
			struct sb_attempt_change ch = {
				.status = recoveries[how].status, .tries = -1, .next_ms = -1,
				.fallback_ms = -1,
			};

			if (how == RECOVER_POLL) {
				ch.accepted_ms = now;
				ch.poll_ms = now;
			} else if (how == RECOVER_RESEND) {
				ch.next_ms = now;
			} else {
				ch.final_ms = now;
			}
			transition(dp, &(struct transition_req){
			    .message_id = a->message_id, .attempt_id = a->attempt_id,
			    .change = &ch, .old_message_status = a->message_status,
			    .message_status = a->step == a->message_step ?
				recoveries[how].status : (enum sb_status)-1,
			    .step = -1, .reason = recoveries[how].why,
			});
			if (how == RECOVER_RESEND)
				dp->new_work = 1;
		}
		total += c->n;
		sb_store_commit(dp->d->store);
	} while (c->n == sizeof(c->rows) / sizeof(c->rows[0]));
	free(c);
	if (total > 0)
		sb_log(SB_LOG_WARN, "recovery: resolved %zu attempts left sending by a crash",
		    total);
	pump_soon(dp, 1);
}
