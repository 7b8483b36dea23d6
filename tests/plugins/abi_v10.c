/*
 * abi_v10.c - a plugin compiled against the frozen ABI 1.0 headers
 * (tests/plugins/abi-1.0/), to prove the current host still loads and
 * serves it (plugin.h, rule E4): its embedded `caps`, its 1.0 layouts of
 * sb_webhook_response and sb_verdict, and its answering of held tickets in
 * `fini` (1.0's rule 3), which the host must not answer again.
 *
 * Built twice: as the channel `abi_v10`, and with ABI_V10_FILTER as the
 * filter `abi_v10f`. The channel delivers every text after 1 ms, except
 * texts containing "hold", which it keeps until fini; its webhook answers
 * 202 "v10 ok". The filter blocks texts containing "blockme".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <switchboard/plugin.h>

#if SB_ABI_MAJOR != 1 || SB_ABI_MINOR != 0
#error "abi_v10.c must be built against the frozen ABI 1.0 headers"
#endif

struct held {
	struct v10 *st;
	uint64_t ticket;
	struct sb_timer *timer; /* NULL: held until fini */
	struct held *next;
};

struct v10 {
	const struct sb_host *host;
	struct sb_instance *inst;
	unsigned n;
	struct held *held;
};

static void
answer(struct v10 *st, uint64_t ticket, enum sb_outcome out, const char *id, const char *why)
{
	struct sb_send_result res = {
		.struct_size = sizeof(res), .outcome = out, .provider_id = id,
		.error_text = why, .retry_after_s = -1, .parts = 1,
	};

	st->host->send_result(st->inst, ticket, &res);
}

static int
v10_init(const struct sb_host *host, struct sb_instance *inst, void **state)
{
	struct v10 *st = calloc(1, sizeof(*st));

	if (st == NULL)
		return -1;
	st->host = host;
	st->inst = inst;
	*state = st;
	return 0;
}

/* ABI 1.0's rule 3: answer every ticket still held, then free. */
static void
v10_fini(void *state)
{
	struct v10 *st = state;

	while (st->held != NULL) {
		struct held *h = st->held;

		st->held = h->next;
		if (h->timer != NULL)
			st->host->timer_cancel(h->timer);
		answer(st, h->ticket, SB_OUT_TEMPORARY, NULL, "v10: answered at fini");
		free(h);
	}
	free(st);
}

#ifndef ABI_V10_FILTER
static void
unlink_held(struct v10 *st, struct held *h)
{
	for (struct held **pp = &st->held; *pp != NULL; pp = &(*pp)->next)
		if (*pp == h) {
			*pp = h->next;
			return;
		}
}

static void
deliver_now(void *arg)
{
	struct held *h = arg;
	struct v10 *st = h->st;
	char id[32];

	snprintf(id, sizeof(id), "v10-%u", ++st->n);
	unlink_held(st, h);
	answer(st, h->ticket, SB_OUT_DELIVERED, id, NULL);
	free(h);
}

static int
v10_send(void *state, const struct sb_send_request *req)
{
	struct v10 *st = state;
	struct held *h = calloc(1, sizeof(*h));

	if (h == NULL)
		return -1;
	h->st = st;
	h->ticket = req->ticket;
	if (req->text == NULL || strstr(req->text, "hold") == NULL) {
		h->timer = st->host->timer_add(st->inst, 1, deliver_now, h);
		if (h->timer == NULL) {
			free(h);
			return -1;
		}
	}
	h->next = st->held;
	st->held = h;
	return 0;
}

static void
v10_webhook(void *state, const struct sb_webhook_request *req,
    struct sb_webhook_response *resp)
{
	/* In the 1.0 layout `status` is the first field. */
	resp->status = 202;
	resp->content_type = "text/x-v10";
	resp->body = "v10 ok";
}

SB_PLUGIN_DEFINE(abi_v10) = SB_PLUGIN_INIT(
	.name = "abi_v10",
	.version = "1.0-test",
	.description = "built against the ABI 1.0 headers",
	.kind = SB_PLUGIN_CHANNEL,
	.caps = { .receipts = SB_RECEIPT_NONE, .idempotent = 1, .default_rate = 7 },
	.init = v10_init,
	.fini = v10_fini,
	.send = v10_send,
	.webhook = v10_webhook,
);
#else
static int
v10_check(void *state, const struct sb_check_request *req, struct sb_verdict *out)
{
	/* In the 1.0 layout `verdict` is the first field, `reason` follows. */
	if (req->text != NULL && strstr(req->text, "blockme") != NULL) {
		out->verdict = SB_VERDICT_BLOCK;
		snprintf(out->reason, sizeof(out->reason), "v10 filter: blockme");
	}
	return 0;
}

SB_PLUGIN_DEFINE(abi_v10f) = SB_PLUGIN_INIT(
	.name = "abi_v10f",
	.version = "1.0-test",
	.description = "a filter built against the ABI 1.0 headers",
	.kind = SB_PLUGIN_FILTER,
	.init = v10_init,
	.fini = v10_fini,
	.check = v10_check,
);
#endif
