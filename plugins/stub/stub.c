/*
 * stub.c - the smallest working channel: copy it to start a new one.
 *
 * It accepts every message `delay` after `send` (a timer, no HTTP), with
 * the provider id "stub-<n>". It owns nothing but the timers' arguments;
 * like every plugin it must never block, keep state in globals, or link
 * against the daemon (everything comes through struct sb_host).
 * docs/plugins.md walks through turning a copy into a real carrier.
 */
#include <stdio.h>   /* snprintf */
#include <stdlib.h>  /* calloc, free */

#include <switchboard/plugin.h> /* the whole contract; pulls in host.h, types.h */

/* One message we took (send returned 0): its timer's argument. */
struct pending {
	struct stub *st;           /* back to the instance, for the timer callback */
	uint64_t ticket;           /* the host's handle: passed back to send_result once */
	struct sb_timer *timer;    /* owned by the host until it fires or we cancel it */
	struct pending *next;
};

/* Instance state (rule 2): one per configured instance, never global. */
struct stub {
	const struct sb_host *host;  /* valid from init until fini returns */
	struct sb_instance *inst;    /* our handle for every host call */
	int64_t delay_ms;            /* config key `delay` */
	uint64_t counter;            /* makes provider ids unique per instance */
	struct pending *pending;     /* timer arguments, freed at fini (rule 7) */
};

/* Unlink `p` from the pending list (the caller frees it). */
static void
pending_remove(struct stub *st, struct pending *p)
{
	struct pending **pp;

	for (pp = &st->pending; *pp != NULL; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			return;
		}
}

/* Report one result for `ticket`: exactly once per ticket (rule 3). */
static void
report(struct stub *st, uint64_t ticket, enum sb_outcome outcome, const char *provider_id,
    const char *why)
{
	struct sb_send_result res = {
		.struct_size = sizeof(res), /* lets a newer host know which fields we filled */
		.outcome = outcome,
		.provider_id = provider_id, /* copied by the host before the call returns */
		.error_text = why,
		.retry_after_s = -1,        /* no provider hint: the host's backoff applies */
		.parts = 1,
	};

	st->host->send_result(st->inst, ticket, &res);
}

/* The timer fired: the "provider" took the message. */
static void
accept_now(void *arg)
{
	struct pending *p = arg;
	struct stub *st = p->st;
	char id[32];

	/* A fired timer is gone: never timer_cancel it. */
	snprintf(id, sizeof(id), "stub-%llu", (unsigned long long)++st->counter);
	pending_remove(st, p);
	report(st, p->ticket, SB_OUT_ACCEPTED, id, NULL);
	free(p);
}

/* Take a message. Nothing blocks here (rule 1): we only start a timer. */
static int
stub_send(void *state, const struct sb_send_request *req)
{
	struct stub *st = state;
	struct pending *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return -1; /* "not taken": the host retries later, nothing is lost */
	/* Copy what the answer needs; `req` and its strings die when we return. */
	p->st = st;
	p->ticket = req->ticket;
	p->timer = st->host->timer_add(st->inst, st->delay_ms, accept_now, p);
	if (p->timer == NULL) {
		free(p);
		return -1;
	}
	p->next = st->pending;
	st->pending = p;
	return 0; /* we now owe exactly one send_result for this ticket */
}

/* Create an instance from its YAML node (rule 6: read every key, then judge). */
static int
stub_init(const struct sb_host *host, struct sb_instance *inst, void **state)
{
	struct stub *st = calloc(1, sizeof(*st));
	struct sb_cfg *root = host->cfg_root(inst);

	if (st == NULL)
		return -1;
	st->host = host;
	st->inst = inst;
	/* 0: found, 1: absent (default stored), -1: wrong type (error recorded). */
	if (host->cfg_duration_ms(root, "delay", 10, &st->delay_ms) < 0) {
		free(st);
		return -1;
	}
	if (st->delay_ms > 60000) {
		/* An error against the key: the operator sees file:line:column. */
		host->cfg_error(host->cfg_get(root, "delay"), "'delay' must be at most 1m");
		free(st);
		return -1;
	}
	*state = st;
	return 0;
}

/*
 * Destroy an instance: free everything, report nothing (rule 7). The host
 * cancels our timers and answers the tickets we still hold itself
 * (temporary: the messages are re-queued).
 */
static void
stub_fini(void *state)
{
	struct stub *st = state;

	while (st->pending != NULL) {
		struct pending *p = st->pending;

		st->pending = p->next;
		free(p);
	}
	free(st);
}

/* The one exported symbol: <module>_LTX_sb_plugin, module = file name "stub". */
SB_PLUGIN_DEFINE(stub) = SB_PLUGIN_INIT(
	.name = "stub",
	.version = "1.0",
	.description = "accepts every message after a timer; copy it to start a plugin",
	.kind = SB_PLUGIN_CHANNEL,
	/* No receipts: accepted is as far as a stub message goes. A repeat of
	 * the same attempt_key is harmless here, so say so (crash recovery
	 * then re-sends instead of failing the attempt for review). */
	.capabilities = SB_CAPABILITIES(.receipts = SB_RECEIPT_NONE, .idempotent = 1),
	.init = stub_init,
	.fini = stub_fini,
	.send = stub_send,
);
