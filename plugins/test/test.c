/*
 * test.c - the `test` channel: a carrier that does what the test says.
 *
 * For the daemon's own tests and for trying a config without a carrier.
 * What it does with a message is the instance's `behaviour`, unless the
 * text carries "#sb:<behaviour>":
 *   accept        report accepted (a receipt may follow via the webhook)
 *   deliver       accepted, then a delivered receipt after `receipt_after`
 *   read          accepted, delivered, then read
 *   temporary     a temporary failure (the host retries)
 *   undeliverable this channel cannot reach the number
 *   fail          a permanent failure
 *   hang          never answer (after fini the host answers temporary)
 *   refuse        send() returns -1
 * It honours idempotency keys like a careful provider: a key it has seen
 * is answered with the first answer and not "sent" again. With `record`,
 * it appends one line per message it really sends ("SENT key to text")
 * and per duplicate it swallowed ("DUP key"), so tests can count sends.
 * POST /hooks/<instance> with id=<provider id>&status=<word> injects a
 * receipt; with inbound=1&from=&to=&text=&id=&media= an inbound message,
 * with call=in|out&from=&to=&id=&duration= a call record.
 *
 * It can be polled too (give the instance a `poll:` section, since it
 * also takes webhooks): a poll of a provider id is answered "still
 * accepted" `poll_pending` times, then with `poll_result` (a receipt word,
 * default delivered; "accepted" never ends). With `record`, each poll
 * adds "POLL <provider id> <n>".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <switchboard/plugin.h>

#include "webparams.h"

enum behaviour { B_ACCEPT, B_DELIVER, B_READ, B_TEMPORARY, B_UNDELIVERABLE, B_FAIL,
	B_HANG, B_REFUSE, B_COUNT };

static const char *const behaviour_names[B_COUNT] = {
	[B_ACCEPT] = "accept", [B_DELIVER] = "deliver", [B_READ] = "read",
	[B_TEMPORARY] = "temporary", [B_UNDELIVERABLE] = "undeliverable",
	[B_FAIL] = "fail", [B_HANG] = "hang", [B_REFUSE] = "refuse",
};

static const struct {
	const char *word;
	enum sb_outcome outcome;
} receipt_words[] = {
	{ "accepted", SB_OUT_ACCEPTED }, { "delivered", SB_OUT_DELIVERED },
	{ "read", SB_OUT_READ }, { "undeliverable", SB_OUT_UNDELIVERABLE },
	{ "failed", SB_OUT_FAILED }, { "expired", SB_OUT_EXPIRED },
};

struct pending {
	struct test_channel *tc;
	uint64_t ticket;
	enum behaviour b;
	char provider_id[64];
	struct sb_timer *timer;
	int stage;
	struct pending *next;
};

/* How often each provider id was polled, and the answers on their way. */
struct polled {
	char provider_id[64];
	int64_t n;
	struct polled *next;
};

struct poll_answer {
	struct test_channel *tc;
	struct sb_timer *timer;
	char provider_id[64];
	enum sb_outcome outcome;
	struct poll_answer *next;
};

struct seen_key {
	char key[64];
	char provider_id[64];
	struct seen_key *next;
};

struct test_channel {
	const struct sb_host *host;
	struct sb_instance *inst;
	enum behaviour behaviour;
	int64_t receipt_after_ms;
	int64_t answer_after_ms;
	const char *record;
	uint64_t counter;
	struct pending *pending;
	struct seen_key *seen;
	int64_t poll_pending;
	enum sb_outcome poll_result;
	struct polled *polled;
	struct poll_answer *answers;
};

static int
parse_behaviour(const char *word, size_t len)
{
	for (int i = 0; i < B_COUNT; i++)
		if (strlen(behaviour_names[i]) == len && strncmp(behaviour_names[i], word, len) == 0)
			return i;
	return -1;
}

static void
record_line(struct test_channel *tc, const char *kind, const char *key, const char *to,
    const char *text)
{
	FILE *f;

	if (tc->record == NULL)
		return;
	f = fopen(tc->record, "ae");
	if (f == NULL)
		return;
	fprintf(f, "%s %s %s %s\n", kind, key, to != NULL ? to : "-",
	    text != NULL ? text : "-");
	fclose(f);
}

static void
pending_unlink(struct test_channel *tc, struct pending *p)
{
	for (struct pending **pp = &tc->pending; *pp != NULL; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			return;
		}
}

static void
report(struct test_channel *tc, uint64_t ticket, enum sb_outcome out, const char *pid,
    const char *text)
{
	struct sb_send_result res = {
		.struct_size = sizeof(res), .outcome = out, .provider_id = pid,
		.error_code = out == SB_OUT_ACCEPTED ? NULL : behaviour_names[B_FAIL],
		.error_text = text, .retry_after_s = -1, .parts = 1,
	};

	tc->host->send_result(tc->inst, ticket, &res);
}

/* Timer: first the answer, then (deliver/read) the receipts. */
static void
advance(void *arg)
{
	struct pending *p = arg;
	struct test_channel *tc = p->tc;
	struct sb_receipt rc = { .struct_size = sizeof(rc), .provider_id = p->provider_id };

	p->timer = NULL;
	switch (p->stage++) {
	case 0:
		switch (p->b) {
		case B_TEMPORARY:
			report(tc, p->ticket, SB_OUT_TEMPORARY, NULL, "test: temporary failure");
			break;
		case B_UNDELIVERABLE:
			report(tc, p->ticket, SB_OUT_UNDELIVERABLE, NULL, "test: not reachable here");
			break;
		case B_FAIL:
			report(tc, p->ticket, SB_OUT_FAILED, NULL, "test: permanent failure");
			break;
		default:
			report(tc, p->ticket, SB_OUT_ACCEPTED, p->provider_id, NULL);
			break;
		}
		if (p->b == B_DELIVER || p->b == B_READ) {
			p->timer = tc->host->timer_add(tc->inst, tc->receipt_after_ms, advance, p);
			return;
		}
		break;
	case 1:
		rc.outcome = SB_OUT_DELIVERED;
		tc->host->receipt(tc->inst, &rc);
		if (p->b == B_READ) {
			p->timer = tc->host->timer_add(tc->inst, tc->receipt_after_ms, advance, p);
			return;
		}
		break;
	default:
		rc.outcome = SB_OUT_READ;
		tc->host->receipt(tc->inst, &rc);
		break;
	}
	pending_unlink(tc, p);
	free(p);
}

static void
remember_key(struct test_channel *tc, const char *key, const char *provider_id)
{
	struct seen_key *seen = calloc(1, sizeof(*seen));

	if (seen == NULL)
		return;
	snprintf(seen->key, sizeof(seen->key), "%s", key);
	snprintf(seen->provider_id, sizeof(seen->provider_id), "%s", provider_id);
	seen->next = tc->seen;
	tc->seen = seen;
}

static int
test_send(void *state, const struct sb_send_request *req)
{
	struct test_channel *tc = state;
	enum behaviour b = tc->behaviour;
	const char *tag = req->text != NULL ? strstr(req->text, "#sb:") : NULL;
	struct seen_key *seen;
	struct pending *p;

	if (tag != NULL) {
		int v = parse_behaviour(tag + 4, strcspn(tag + 4, " \t\n"));

		if (v >= 0)
			b = (enum behaviour)v;
	}
	if (b == B_REFUSE)
		return -1;
	for (seen = tc->seen; seen != NULL; seen = seen->next)
		if (strcmp(seen->key, req->attempt_key) == 0)
			break;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return -1;
	p->tc = tc;
	p->ticket = req->ticket;
	p->b = b;
	if (seen != NULL) {
		/* A provider with idempotency keys answers a repeat, sends nothing. */
		record_line(tc, "DUP", req->attempt_key, req->to, NULL);
		snprintf(p->provider_id, sizeof(p->provider_id), "%s", seen->provider_id);
		if (p->b == B_HANG)
			p->b = B_ACCEPT;
	} else {
		snprintf(p->provider_id, sizeof(p->provider_id), "test-%llu",
		    (unsigned long long)++tc->counter);
		if (b != B_TEMPORARY && b != B_HANG) {
			remember_key(tc, req->attempt_key, p->provider_id);
			record_line(tc, "SENT", req->attempt_key, req->to, req->text);
		}
	}
	p->next = tc->pending;
	tc->pending = p;
	if (p->b != B_HANG)
		p->timer = tc->host->timer_add(tc->inst, tc->answer_after_ms, advance, p);
	return 0;
}

/*
 * An inbound message or a call, as a form: `inbound=1&from=&to=&text=&id=
 * &media=` or `call=in|out&from=&to=&id=&duration=`. The host files it
 * and the answer (after the commit) says 200; 503 if it could not.
 */
static int
test_inbound_hook(struct test_channel *tc, const char *src, size_t len,
    struct sb_webhook_response *resp)
{
	char kind[8] = "", from[64] = "", to[64] = "", text[1024] = "", id[64] = "";
	char media[256] = "", duration[24] = "";
	int is_call = wp_form_get(src, len, "call", kind, sizeof(kind)) == 1, rc;

	if (!is_call && wp_form_get(src, len, "inbound", kind, sizeof(kind)) != 1)
		return 0;
	if (wp_form_get(src, len, "from", from, sizeof(from)) < 0 ||
	    wp_form_get(src, len, "to", to, sizeof(to)) < 0 ||
	    wp_form_get(src, len, "text", text, sizeof(text)) < 0 ||
	    wp_form_get(src, len, "id", id, sizeof(id)) < 0 ||
	    wp_form_get(src, len, "media", media, sizeof(media)) < 0 ||
	    wp_form_get(src, len, "duration", duration, sizeof(duration)) < 0) {
		resp->status = 400;
		resp->body = "malformed form\n";
		return 1;
	}
	if (is_call) {
		const struct sb_call c = {
			.struct_size = sizeof(c), .inbound = strcmp(kind, "in") == 0,
			.from = from[0] ? from : NULL, .to = to[0] ? to : NULL,
			.provider_id = id[0] ? id : NULL,
			.duration_s = duration[0] ? strtoll(duration, NULL, 10) : -1,
		};

		rc = tc->host->call(tc->inst, &c);
	} else {
		const struct sb_inbound in = {
			.struct_size = sizeof(in), .from = from[0] ? from : NULL,
			.to = to[0] ? to : NULL, .text = text[0] ? text : NULL,
			.media_url = media[0] ? media : NULL, .provider_id = id[0] ? id : NULL,
		};

		rc = tc->host->inbound_message(tc->inst, &in);
	}
	resp->status = rc == 0 ? 200 : 503;
	resp->body = rc == 0 ? "OK\n" : "try again\n";
	return 1;
}

static void
test_webhook(void *state, const struct sb_webhook_request *req,
    struct sb_webhook_response *resp)
{
	struct test_channel *tc = state;
	char id[64] = "", status[32] = "";
	struct sb_receipt rc = { .struct_size = sizeof(rc), .provider_id = id };
	const char *src = req->body_len > 0 ? req->body : req->query;
	size_t len = req->body_len > 0 ? req->body_len : strlen(req->query);
	char buf[512];

	if (test_inbound_hook(tc, src, len, resp))
		return;
	if (len >= sizeof(buf)) {
		resp->status = 400;
		resp->body = "too long\n";
		return;
	}
	memcpy(buf, src, len);
	buf[len] = '\0';
	for (char *save = NULL, *kv = strtok_r(buf, "&", &save); kv != NULL;
	    kv = strtok_r(NULL, "&", &save)) {
		if (strncmp(kv, "id=", 3) == 0)
			snprintf(id, sizeof(id), "%s", kv + 3);
		else if (strncmp(kv, "status=", 7) == 0)
			snprintf(status, sizeof(status), "%s", kv + 7);
	}
	for (size_t i = 0; i < sizeof(receipt_words) / sizeof(receipt_words[0]); i++)
		if (strcmp(receipt_words[i].word, status) == 0 && id[0] != '\0') {
			rc.outcome = receipt_words[i].outcome;
			tc->host->receipt(tc->inst, &rc);
			resp->body = "OK\n";
			return;
		}
	tc->host->log(tc->inst, SB_LOG_WARN, "malformed receipt callback");
	resp->status = 400;
	resp->body = "expected id=...&status=accepted|delivered|read|undeliverable|failed|expired\n";
}

/* A provider remembers keys across our restarts: so does the record file. */
static void
load_record(struct test_channel *tc)
{
	char line[1024], key[64];
	FILE *f;

	if (tc->record == NULL || (f = fopen(tc->record, "re")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "SENT %63s", key) == 1)
			remember_key(tc, key, key);
	fclose(f);
}

static void
poll_answer_unlink(struct test_channel *tc, struct poll_answer *a)
{
	for (struct poll_answer **pp = &tc->answers; *pp != NULL; pp = &(*pp)->next)
		if (*pp == a) {
			*pp = a->next;
			return;
		}
}

static void
poll_answered(void *arg)
{
	struct poll_answer *a = arg;
	struct test_channel *tc = a->tc;
	struct sb_receipt rc = {
		.struct_size = sizeof(rc), .provider_id = a->provider_id, .outcome = a->outcome,
	};

	poll_answer_unlink(tc, a);
	tc->host->receipt(tc->inst, &rc);
	free(a);
}

/* Like a provider's status API: answered later, on the loop. */
static int
test_poll(void *state, const struct sb_poll_request *req)
{
	struct test_channel *tc = state;
	struct poll_answer *a;
	struct polled *p;
	char n[32];

	if (req->provider_id == NULL)
		return -1;
	for (p = tc->polled; p != NULL; p = p->next)
		if (strcmp(p->provider_id, req->provider_id) == 0)
			break;
	if (p == NULL) {
		if ((p = calloc(1, sizeof(*p))) == NULL)
			return -1;
		snprintf(p->provider_id, sizeof(p->provider_id), "%s", req->provider_id);
		p->next = tc->polled;
		tc->polled = p;
	}
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return -1;
	p->n++;
	snprintf(n, sizeof(n), "%lld", (long long)p->n);
	record_line(tc, "POLL", req->provider_id, n, NULL);
	a->tc = tc;
	snprintf(a->provider_id, sizeof(a->provider_id), "%s", req->provider_id);
	a->outcome = p->n <= tc->poll_pending ? SB_OUT_ACCEPTED : tc->poll_result;
	a->next = tc->answers;
	tc->answers = a;
	a->timer = tc->host->timer_add(tc->inst, 0, poll_answered, a);
	return 0;
}

static int
receipt_word(const char *w)
{
	for (size_t i = 0; i < sizeof(receipt_words) / sizeof(receipt_words[0]); i++)
		if (strcmp(receipt_words[i].word, w) == 0)
			return (int)receipt_words[i].outcome;
	return -1;
}

static int
test_init(const struct sb_host *host, struct sb_instance *inst, void **state)
{
	struct test_channel *tc = calloc(1, sizeof(*tc));
	struct sb_cfg *root = host->cfg_root(inst);
	const char *b = NULL, *pr = NULL;
	int v, out;

	if (tc == NULL)
		return -1;
	tc->host = host;
	tc->inst = inst;
	host->cfg_string(root, "behaviour", "deliver", &b);
	host->cfg_duration_ms(root, "receipt_after", 10, &tc->receipt_after_ms);
	host->cfg_duration_ms(root, "answer_after", 0, &tc->answer_after_ms);
	host->cfg_string(root, "record", NULL, &tc->record);
	host->cfg_int(root, "poll_pending", 0, &tc->poll_pending);
	host->cfg_string(root, "poll_result", "delivered", &pr);
	v = parse_behaviour(b, strlen(b));
	out = receipt_word(pr);
	if (out < 0)
		host->cfg_error(host->cfg_get(root, "poll_result"),
		    "unknown poll_result '%s' (expected accepted, delivered, read,"
		    " undeliverable, failed or expired)", pr);
	if (v < 0)
		host->cfg_error(host->cfg_get(root, "behaviour"),
		    "unknown behaviour '%s' (expected accept, deliver, read, temporary,"
		    " undeliverable, fail, hang or refuse)", b);
	if (out < 0 || v < 0) {
		free(tc);
		return -1;
	}
	tc->poll_result = (enum sb_outcome)out;
	tc->behaviour = (enum behaviour)v;
	load_record(tc);
	*state = tc;
	return 0;
}

static void
test_fini(void *state)
{
	struct test_channel *tc = state;

	while (tc->pending != NULL) {
		struct pending *p = tc->pending;

		tc->pending = p->next;
		if (p->timer != NULL)
			tc->host->timer_cancel(p->timer);
		/* Stage 0: a ticket still owed; the host answers it (rule 7). */
		if (p->stage != 0) {
			/* The handset got it whatever became of this instance:
			 * the receipt a real provider would still send. */
			struct sb_receipt rc = { .struct_size = sizeof(rc),
			    .provider_id = p->provider_id, .outcome = SB_OUT_DELIVERED };

			tc->host->receipt(tc->inst, &rc);
		}
		free(p);
	}
	while (tc->answers != NULL) {
		struct poll_answer *a = tc->answers;

		tc->answers = a->next;
		if (a->timer != NULL)
			tc->host->timer_cancel(a->timer);
		free(a);
	}
	while (tc->polled != NULL) {
		struct polled *p = tc->polled;

		tc->polled = p->next;
		free(p);
	}
	while (tc->seen != NULL) {
		struct seen_key *s = tc->seen;

		tc->seen = s->next;
		free(s);
	}
	free(tc);
}

SB_PLUGIN_DEFINE(test) = SB_PLUGIN_INIT(
	.name = "test",
	.version = "1.0",
	.description = "a channel that does what the test says",
	.kind = SB_PLUGIN_CHANNEL,
	.capabilities = SB_CAPABILITIES(.receipts = SB_RECEIPT_WEBHOOK | SB_RECEIPT_POLL,
	    .read_receipts = 1, .idempotent = 1),
	.init = test_init,
	.fini = test_fini,
	.send = test_send,
	.poll = test_poll,
	.webhook = test_webhook,
);
