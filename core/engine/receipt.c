/*
 * receipt.c - what happens after a send: delivery receipts from webhooks
 * and polls, and the recovery of attempts a crash left `sending`.
 *
 * Both only find the attempt and hand the event to the rules (apply.c):
 * which attempt a receipt moves, and what a restart does with a send in
 * doubt, are decided in statem.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "config.h"
#include "daemon.h"
#include "engine.h"
#include "instance.h"
#include "loader.h"
#include "log.h"
#include "metrics.h"
#include "store.h"

void
sb_dispatch_receipt(struct sb_dispatch *dp, struct sb_instance *inst,
    const struct sb_receipt *rc)
{
	struct sb_found_attempt f = { .dp = dp };
	struct sb_outcome_info info = { .retry_after_s = -1 };
	int64_t id;

	if (rc == NULL || rc->provider_id == NULL || *rc->provider_id == '\0') {
		sb_log(SB_LOG_WARN, "[%s] receipt without a provider id ignored", inst->name);
		return;
	}
	/* The attempt's own key, which the provider had with the request (a
	 * provider that names no id of its own): the attempt's id is in it,
	 * and it is never stored as a provider id (store.h). */
	if ((id = sb_store_attempt_of_key(dp->d->store, rc->provider_id)) > 0) {
		sb_store_attempt_state(dp->d->store, id, sb_eng_keep_attempt, &f);
		if (f.found && strcmp(f.instance, inst->name) != 0)
			f.found = 0; /* another instance's attempt: not this one's news */
	}
	if (!f.found)
		sb_store_attempt_by_provider(dp->d->store, inst->name, rc->provider_id,
		    sb_eng_keep_attempt, &f);
	if (!f.found) {
		sb_log(SB_LOG_WARN, "[%s] receipt for unknown provider id '%.64s' ignored",
		    inst->name, rc->provider_id);
		sb_metrics_count("sb_receipts_unknown_total", inst->name, 0, 1);
		return;
	}
	sb_metrics_count("sb_receipts_total", inst->name, rc->outcome, 1);
	info.error_code = rc->error_code;
	info.error_text = rc->error_text;
	sb_eng_event(dp, &f.ref, sb_eng_outcome_event(rc->outcome), &info);
}

/*
 * After kill -9, an attempt may be `sending`: its request may or may not
 * have reached the provider. The rules (statem.c, SB_EV_RESTART) prefer
 * asking a provider that can tell, then re-sending where a repeat is
 * harmless (idempotency keys), and otherwise fail it for review; a message
 * that became final meanwhile is never reopened.
 */
#define RECOVER_BATCH 256

struct recover_ctx {
	struct sb_dispatch *dp;
	struct sb_found_attempt rows[RECOVER_BATCH];
	size_t n;
};

static int
collect_sending(void *arg, const struct sb_attempt_row *r)
{
	struct recover_ctx *c = arg;

	if (c->n == RECOVER_BATCH)
		return 1;
	c->rows[c->n].dp = c->dp;
	sb_eng_keep_attempt(&c->rows[c->n++], r);
	return 0;
}

/*
 * A restart on a configuration without an instance that queued or
 * accepted attempts are on: nothing would ever send them or take their
 * receipts. The rules fail them (channel_gone) and their chains move on,
 * instead of leaving them until they expire. (A reload refuses to drop
 * such an instance; a restart cannot refuse to start.)
 */
struct gone_ctx {
	struct sb_dispatch *dp;
	char names[64][128];
	size_t n;
};

static void
note_gone(void *arg, const char *name)
{
	struct gone_ctx *g = arg;

	if (name != NULL && g->n < 64 && sb_loader_instance(g->dp->d->loader, name) == NULL)
		snprintf(g->names[g->n++], sizeof(g->names[0]), "%s", name);
}

static void
fail_gone_channels(struct sb_dispatch *dp, struct recover_ctx *c)
{
	struct gone_ctx *g = calloc(1, sizeof(*g));

	if (g == NULL)
		return;
	g->dp = dp;
	sb_store_live_instances(dp->d->store, note_gone, g);
	for (size_t k = 0; k < g->n; k++) {
		size_t total = 0;

		do {
			c->n = 0;
			sb_store_attempts_live_on(dp->d->store, g->names[k], RECOVER_BATCH,
			    collect_sending, c);
			for (size_t i = 0; i < c->n; i++)
				sb_eng_event(dp, &c->rows[i].ref, SB_EV_CHANNEL_GONE, NULL);
			total += c->n;
			sb_store_commit(dp->d->store);
		} while (c->n == RECOVER_BATCH);
		sb_log(SB_LOG_WARN, "plugins.%s is not configured: %zu attempts on it failed"
		    " and their messages moved to their next step", g->names[k], total);
	}
	free(g);
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
		for (size_t i = 0; i < c->n; i++)
			if (sb_eng_event(dp, &c->rows[i].ref, SB_EV_RESTART, NULL) < 0) {
				/* Never leave it `sending`: that would loop here. */
				sb_log(SB_LOG_ERROR, "recovery: attempt %lld could not be resolved",
				    (long long)c->rows[i].ref.attempt_id);
				c->n = 0;
				break;
			}
		total += c->n;
		sb_store_commit(dp->d->store);
	} while (c->n == RECOVER_BATCH);
	fail_gone_channels(dp, c);
	free(c);
	if (total > 0)
		sb_log(SB_LOG_WARN, "recovery: resolved %zu attempts left sending by a crash",
		    total);
	sb_due_now(dp->due);
}
