/*
 * carrier_example.c - an out-of-tree channel plugin for a small HTTP SMS
 * API (README.md describes the API and the configuration).
 *
 * Built outside switchboard's source tree with nothing but the installed
 * headers (`pkg-config --cflags switchboard-plugin`) and `cc -shared
 * -fPIC`; see Makefile. It owns its instances' state and one small record
 * per request in flight, freed by the request's completion. It never
 * blocks, never keeps state in globals, never links against the daemon:
 * every service comes through `struct sb_host`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <switchboard/plugin.h>

#ifndef CARRIER_EXAMPLE_VERSION
#define CARRIER_EXAMPLE_VERSION "1.0"
#endif

/* One send whose HTTP request is out: what its completion needs. */
struct req {
	struct carrier *c;
	uint64_t ticket;
};

struct carrier {
	const struct sb_host *host;
	struct sb_instance *inst;
	const char *url;           /* host-owned config strings: valid until fini */
	const char *from;
	const char *auth_header;   /* "Authorization: Bearer <token>", ours */
	const char *webhook_token; /* NULL: receipts are refused */
};

/* ---- small helpers (no library but libc) ---- */

/* Append `s` percent-encoded (RFC 3986 unreserved kept) to buf at *used. */
static int
form_append(char *buf, size_t cap, size_t *used, const char *name, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = *used;

	o += (size_t)snprintf(buf + o, o < cap ? cap - o : 0, "%s%s=", o ? "&" : "", name);
	for (; s != NULL && *s != '\0' && o + 4 < cap; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_' || ch == '~') {
			buf[o++] = (char)ch;
		} else {
			buf[o++] = '%';
			buf[o++] = hex[ch >> 4];
			buf[o++] = hex[ch & 15];
		}
	}
	if (o >= cap || (s != NULL && *s != '\0'))
		return -1; /* did not fit: never send a truncated text */
	buf[o] = '\0';
	*used = o;
	return 0;
}

static int
hexval(char ch)
{
	return ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 :
	    ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
}

/* The decoded value of `name` in a form body, into out; 0 found, -1 not. */
static int
form_get(const char *body, size_t len, const char *name, char *out, size_t cap)
{
	size_t nlen = strlen(name), i = 0;

	while (i < len) {
		size_t end = i, o = 0;

		while (end < len && body[end] != '&')
			end++;
		if (end - i > nlen && body[i + nlen] == '=' && memcmp(body + i, name, nlen) == 0) {
			for (size_t k = i + nlen + 1; k < end && o + 1 < cap; k++) {
				if (body[k] == '+') {
					out[o++] = ' ';
				} else if (body[k] == '%' && k + 2 < end && hexval(body[k + 1]) >= 0 &&
				    hexval(body[k + 2]) >= 0) {
					out[o++] = (char)(hexval(body[k + 1]) * 16 + hexval(body[k + 2]));
					k += 2;
				} else {
					out[o++] = body[k];
				}
			}
			out[o] = '\0';
			return 0;
		}
		i = end + 1;
	}
	return -1;
}

/* Compare secrets without leaking where they differ through timing. */
static int
same_secret(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char diff = la != lb;

	for (size_t i = 0; i < la; i++)
		diff |= (unsigned char)(a[i] ^ b[i % (lb ? lb : 1)]);
	return diff == 0;
}

/* ---- sending ---- */

static void
report(struct carrier *c, uint64_t ticket, enum sb_outcome outcome, const char *provider_id,
    const char *code, const char *why, int32_t retry_after_s)
{
	struct sb_send_result res = {
		.struct_size = sizeof(res), .outcome = outcome, .provider_id = provider_id,
		.error_code = code, .error_text = why, .retry_after_s = retry_after_s,
	};

	c->host->send_result(c->inst, ticket, &res);
}

/* The API's answers, by HTTP status (README.md). */
static enum sb_outcome
classify(long status)
{
	if (status >= 200 && status <= 299)
		return SB_OUT_ACCEPTED;
	if (status == 404)
		return SB_OUT_UNDELIVERABLE;
	if (status == 0 || status == 408 || status == 429 || status >= 500)
		return SB_OUT_TEMPORARY;
	return SB_OUT_FAILED;
}

/*
 * Retry-After as delay-seconds (all digits), or -1. This carrier never
 * sends the HTTP-date form; in-tree plugins use plugins/common's
 * sbp_retry_after, which reads both.
 */
static int32_t
delay_seconds(const char *v)
{
	long n = 0;

	if (v == NULL || *v == '\0')
		return -1;
	for (; *v != '\0'; v++) {
		if (*v < '0' || *v > '9')
			return -1;
		if ((n = n * 10 + (*v - '0')) > 86400)
			n = 86400;
	}
	return (int32_t)n;
}

static void
http_done(void *arg, long status, const char *body, size_t body_len, const char *error,
    const struct sb_http_reply *reply)
{
	struct req *r = arg;
	struct carrier *c = r->c;
	enum sb_outcome outcome = classify(status);
	const char *retry;
	char id[128], code[16], why[160];
	size_t n = 0;
	uint64_t ticket = r->ticket;

	free(r);

	if (outcome == SB_OUT_ACCEPTED) {
		/* The body is the carrier's message id, e.g. "msg-42\n". */
		while (n < body_len && n + 1 < sizeof(id) && body[n] > ' ' && body[n] < 0x7f) {
			id[n] = body[n];
			n++;
		}
		id[n] = '\0';
		if (n == 0)
			c->host->log(c->inst, SB_LOG_WARN, "HTTP %ld without a message id;"
			    " receipts for it cannot be matched", status);
		report(c, ticket, outcome, n > 0 ? id : NULL, NULL, NULL, -1);
		return;
	}
	if (status == 0) {
		report(c, ticket, outcome, NULL, "transport", error, -1);
		return;
	}
	snprintf(code, sizeof(code), "%ld", status);
	snprintf(why, sizeof(why), "HTTP %ld from the carrier", status);
	retry = c->host->http_header(reply, "Retry-After");
	report(c, ticket, outcome, NULL, code, why,
	    outcome == SB_OUT_TEMPORARY ? delay_seconds(retry) : -1);
}

static int
carrier_send(void *state, const struct sb_send_request *sreq)
{
	struct carrier *c = state;
	char body[4096];
	size_t used = 0;
	const char *headers[] = {
		"Content-Type: application/x-www-form-urlencoded",
		c->auth_header,
		NULL, /* Idempotency-Key, below */
		NULL,
	};
	char idem[96];
	struct sb_http_request hreq;
	struct req *r;

	if (sreq->text == NULL) {
		/* A permanent answer: retrying a template here would never work. */
		report(c, sreq->ticket, SB_OUT_FAILED, NULL, "template",
		    "carrier_example sends text only", -1);
		return 0;
	}
	if (form_append(body, sizeof(body), &used, "to", sreq->to) < 0 ||
	    form_append(body, sizeof(body), &used, "from",
	    sreq->from != NULL ? sreq->from : c->from) < 0 ||
	    form_append(body, sizeof(body), &used, "text", sreq->text) < 0 ||
	    form_append(body, sizeof(body), &used, "callback", c->host->webhook_url(c->inst)) < 0) {
		report(c, sreq->ticket, SB_OUT_FAILED, NULL, "too_long",
		    "the message does not fit the request", -1);
		return 0;
	}
	/* The same key on a re-send lets the carrier drop the duplicate (rule 4). */
	snprintf(idem, sizeof(idem), "Idempotency-Key: %s", sreq->attempt_key);
	headers[2] = idem;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return -1;
	r->c = c;
	r->ticket = sreq->ticket;
	hreq = (struct sb_http_request){
		.struct_size = sizeof(hreq), .method = "POST", .url = c->url,
		.headers = headers, .body = body, .body_len = used,
	};
	/* The host copies the request; `done` runs later, never from in here. */
	if (c->host->http_request(c->inst, &hreq, http_done, r) < 0) {
		free(r);
		return -1; /* not taken: the host treats it as temporary */
	}
	/* r is http_done's to free now (the host hands it back exactly once). */
	/* cppcheck-suppress memleak */
	return 0; /* we now owe one send_result, from http_done */
}

/* ---- receipts: POST /hooks/<instance> ---- */

static const struct {
	const char *word;
	enum sb_outcome outcome;
} receipt_words[] = {
	{ "delivered", SB_OUT_DELIVERED },
	{ "undeliverable", SB_OUT_UNDELIVERABLE },
	{ "expired", SB_OUT_EXPIRED },
	{ "failed", SB_OUT_FAILED },
};

static void
carrier_webhook(void *state, const struct sb_webhook_request *req,
    struct sb_webhook_response *resp)
{
	struct carrier *c = state;
	const char *token = req->header(req, "X-Carrier-Token");
	char id[128], status[32];
	struct sb_receipt rc = { .struct_size = sizeof(rc), .provider_id = id };

	/* Rule 5: verify before believing a word of it. */
	if (c->webhook_token == NULL || token == NULL || !same_secret(token, c->webhook_token)) {
		c->host->log(c->inst, SB_LOG_WARN, "receipt with a missing or wrong token refused");
		resp->status = 401;
		resp->body = "bad token\n";
		return;
	}
	if (strcmp(req->method, "POST") != 0 ||
	    form_get(req->body, req->body_len, "id", id, sizeof(id)) < 0 || id[0] == '\0' ||
	    form_get(req->body, req->body_len, "status", status, sizeof(status)) < 0) {
		resp->status = 400;
		resp->body = "expected POST id=...&status=...\n";
		return;
	}
	for (size_t i = 0; i < sizeof(receipt_words) / sizeof(receipt_words[0]); i++)
		if (strcmp(status, receipt_words[i].word) == 0) {
			rc.outcome = receipt_words[i].outcome;
			c->host->receipt(c->inst, &rc);
			resp->body = "OK\n";
			return;
		}
	resp->status = 400;
	resp->body = "unknown status\n";
}

/* ---- life cycle ---- */

static void
carrier_fini(void *state)
{
	struct carrier *c = state;

	/* Rule 7: no request of ours is out when fini comes (each http_done
	 * has freed its record), and the host answers any ticket still open.
	 * Free what init made; report nothing. */
	free((char *)c->auth_header);
	free(c);
}

static int
carrier_init(const struct sb_host *host, struct sb_instance *inst, void **state)
{
	struct carrier *c = calloc(1, sizeof(*c));
	struct sb_cfg *root = host->cfg_root(inst);
	const char *token = NULL;
	int bad = 0;

	if (c == NULL)
		return -1;
	c->host = host;
	c->inst = inst;
	/* Read every key before judging any (rule 6). */
	bad |= host->cfg_string(root, "url", NULL, &c->url) < 0;
	bad |= host->cfg_string(root, "from", NULL, &c->from) < 0;
	bad |= host->secret(inst, "token", &token) < 0;
	if (host->cfg_get(root, "webhook_token") != NULL)
		bad |= host->secret(inst, "webhook_token", &c->webhook_token) < 0;
	if (!bad && (c->url == NULL || (strncmp(c->url, "http://", 7) != 0 &&
	    strncmp(c->url, "https://", 8) != 0))) {
		host->cfg_error(c->url != NULL ? host->cfg_get(root, "url") : root,
		    "'url' must be an http:// or https:// URL");
		bad = 1;
	}
	if (!bad) {
		char *h = malloc(strlen(token) + 32);

		if (h != NULL)
			sprintf(h, "Authorization: Bearer %s", token);
		c->auth_header = h;
		bad = h == NULL;
	}
	if (bad) {
		carrier_fini(c);
		return -1;
	}
	*state = c;
	return 0;
}

SB_PLUGIN_DEFINE(carrier_example) = SB_PLUGIN_INIT(
	.name = "carrier_example",
	.version = CARRIER_EXAMPLE_VERSION,
	.description = "out-of-tree example: a small HTTP SMS API",
	.kind = SB_PLUGIN_CHANNEL,
	.capabilities = SB_CAPABILITIES(.max_body_len = 1600, .receipts = SB_RECEIPT_WEBHOOK, .idempotent = 1),
	.init = carrier_init,
	.fini = carrier_fini,
	.send = carrier_send,
	.webhook = carrier_webhook,
);
