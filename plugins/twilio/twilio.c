/*
 * twilio.c - the Twilio Programmable Messaging channel (API 2010-04-01):
 * one configured instance per Twilio account (or sub-account).
 *
 * Owns: reading the instance's config; turning a send into one
 * CreateMessage request (HTTP Basic auth, form body, StatusCallback = our
 * webhook) and its answer into an sb_send_result; `poll` with FetchMessage;
 * and status callbacks on /hooks/<instance>, believed only once their
 * X-Twilio-Signature checks out.
 *
 * Must never: block (the host's HTTP client does the I/O), keep state in
 * globals, log the auth token or the Basic credentials (they live in
 * st->userpwd and st->auth_token only), or trust a callback before its
 * signature is verified (nothing of it is logged or reported before).
 * The pure parts (requests, answers, tables, signature) are twilio_util.c.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <switchboard/plugin.h>

#include "sbp_chan.h"
#include "sbp_http.h"
#include "twilio_util.h"

#define DEFAULT_BASE "https://api.twilio.com"

/* One request in flight: a send (with its ticket) or a poll. */
struct tw_pending {
	struct tw_state *st;
	int poll;
	uint64_t ticket;
	char sid[TW_SID_LEN + 1];/* poll: the message asked about */
};

struct tw_state {
	const struct sb_host *host;
	struct sb_instance *inst;
	const char *base_url, *account_sid, *auth_token, *from, *service_sid;
	int status_callback;
	int64_t validity_s;
	struct tw_override *status_map, *error_map;
	size_t nstatus_map, nerror_map;
	struct tw_overrides ov;
	struct sbp_buf userpwd;   /* "user:password": secret, zeroed when freed */
	struct sbp_buf url, body; /* per request scratch; the host copies them */
	struct tw_message msg;   /* the answer being read */
	char errtext[256];
};

/* ---- configuration ---- */

static const struct {
	const char *word;
	enum sb_outcome outcome;
} outcome_words[] = {
	{ "accepted", SB_OUT_ACCEPTED }, { "delivered", SB_OUT_DELIVERED },
	{ "read", SB_OUT_READ }, { "temporary", SB_OUT_TEMPORARY },
	{ "undeliverable", SB_OUT_UNDELIVERABLE }, { "failed", SB_OUT_FAILED },
	{ "expired", SB_OUT_EXPIRED },
};

/*
 * status_map / error_map: a mapping of Twilio word or code -> our word.
 * `allowed` is a bit set of the outcomes that make sense there.
 */
static int
read_map(struct tw_state *st, struct sb_cfg *root, const char *key, unsigned allowed,
    struct tw_override **out, size_t *nout)
{
	const struct sb_host *h = st->host;
	struct sb_cfg *node = h->cfg_get(root, key);
	size_t i, j, n = h->cfg_len(node);
	const char *first = NULL;

	if (node == NULL)
		return 0;
	if (n > 0)
		h->cfg_item(node, 0, &first); /* a mapping's items have keys */
	if (h->cfg_scalar(node) != NULL || (n > 0 && first == NULL)) {
		h->cfg_error(node, "'%s' must be a mapping", key);
		return -1;
	}
	if (n == 0)
		return 0;
	if ((*out = calloc(n, sizeof(**out))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		const char *name, *word;
		struct sb_cfg *item = h->cfg_item(node, i, &name);

		word = h->cfg_scalar(item);
		for (j = 0; word != NULL && j < sizeof(outcome_words) / sizeof(outcome_words[0]); j++)
			if (strcmp(outcome_words[j].word, word) == 0 &&
			    (allowed & (1u << outcome_words[j].outcome)))
				break;
		if (word == NULL || j == sizeof(outcome_words) / sizeof(outcome_words[0])) {
			h->cfg_error(item, "%s '%s': expected one of %s", key, name,
			    (allowed & (1u << SB_OUT_DELIVERED)) ?
			    "accepted, delivered, read, undeliverable, failed, expired" :
			    "temporary, undeliverable, failed");
			return -1;
		}
		if (((*out)[i].key = strdup(name)) == NULL)
			return -1;
		(*out)[i].outcome = outcome_words[j].outcome;
		(*nout)++;
	}
	return 0;
}

static int
read_sid(struct tw_state *st, struct sb_cfg *root, const char *key, const char *prefix,
    const char **out)
{
	const struct sb_host *h = st->host;
	int rc = h->cfg_string(root, key, NULL, out);

	if (rc == 0 && !tw_sid_valid(*out, prefix)) {
		h->cfg_error(h->cfg_get(root, key), "'%s' must be %s followed by 32 hex digits",
		    key, prefix);
		return -1;
	}
	return rc < 0 ? -1 : 0;
}

static int
tw_config(struct tw_state *st)
{
	const struct sb_host *h = st->host;
	struct sb_cfg *root = h->cfg_root(st->inst);
	const char *api_key = NULL, *api_secret = NULL;
	int64_t validity = 0;
	int bad = 0;

	/* Read every key before failing on any: the operator sees all mistakes at once. */
	if (h->cfg_string(root, "base_url", DEFAULT_BASE, &st->base_url) < 0)
		bad = 1;
	else if (strncmp(st->base_url, "https://", 8) != 0 &&
	    strncmp(st->base_url, "http://", 7) != 0) {
		h->cfg_error(h->cfg_get(root, "base_url"), "base_url must start with https://");
		bad = 1;
	}
	if (read_sid(st, root, "account_sid", "AC", &st->account_sid) < 0)
		bad = 1;
	if (h->secret(st->inst, "auth_token", &st->auth_token) < 0)
		bad = 1;
	if (read_sid(st, root, "api_key_sid", "SK", &api_key) < 0)
		bad = 1;
	if (h->cfg_get(root, "api_key_secret") != NULL &&
	    h->secret(st->inst, "api_key_secret", &api_secret) < 0)
		bad = 1;
	if (h->cfg_string(root, "from", NULL, &st->from) < 0)
		bad = 1;
	if (read_sid(st, root, "messaging_service_sid", "MG", &st->service_sid) < 0)
		bad = 1;
	if (h->cfg_bool(root, "status_callback", 1, &st->status_callback) < 0)
		bad = 1;
	if (h->cfg_duration_ms(root, "validity_period", 0, &validity) < 0) {
		bad = 1;
	} else if (validity != 0 && (validity < 1000 || validity > 36000 * 1000)) {
		h->cfg_error(h->cfg_get(root, "validity_period"),
		    "validity_period must be between 1s and 10h (Twilio's ValidityPeriod)");
		bad = 1;
	}
	st->validity_s = validity / 1000;
	if (read_map(st, root, "status_map", (1u << SB_OUT_ACCEPTED) | (1u << SB_OUT_DELIVERED) |
	    (1u << SB_OUT_READ) | (1u << SB_OUT_UNDELIVERABLE) | (1u << SB_OUT_FAILED) |
	    (1u << SB_OUT_EXPIRED), &st->status_map, &st->nstatus_map) < 0)
		bad = 1;
	if (read_map(st, root, "error_map", (1u << SB_OUT_TEMPORARY) |
	    (1u << SB_OUT_UNDELIVERABLE) | (1u << SB_OUT_FAILED), &st->error_map,
	    &st->nerror_map) < 0)
		bad = 1;
	if (bad)
		return -1;
	if (st->account_sid == NULL) {
		h->cfg_error(root, "missing 'account_sid' (AC followed by 32 hex digits)");
		return -1;
	}
	if ((api_key == NULL) != (api_secret == NULL)) {
		h->cfg_error(root, "api_key_sid and api_key_secret go together");
		return -1;
	}
	/* An API key signs REST calls; callbacks are still signed with the auth token. */
	if (sbp_buf_adds(&st->userpwd, api_key != NULL ? api_key : st->account_sid) < 0 ||
	    sbp_buf_adds(&st->userpwd, ":") < 0 ||
	    sbp_buf_adds(&st->userpwd, api_secret != NULL ? api_secret : st->auth_token) < 0)
		return -1;
	st->ov = (struct tw_overrides){ st->status_map, st->nstatus_map, st->error_map,
		st->nerror_map };
	return 0;
}

/* ---- life cycle ---- */

static void
free_map(struct tw_override *m, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(m[i].key);
	free(m);
}

static void
tw_fini(void *state)
{
	struct tw_state *st = state;

	if (st == NULL)
		return;
	/* No request is out when fini comes, and the host answers any ticket
	 * still open (plugin.h rule 7): nothing to report. */
	free_map(st->status_map, st->nstatus_map);
	free_map(st->error_map, st->nerror_map);
	sbp_buf_free(&st->userpwd);
	sbp_buf_free(&st->url);
	sbp_buf_free(&st->body);
	free(st);
}

static int
tw_init(const struct sb_host *host, struct sb_instance *inst, void **state)
{
	struct tw_state *st = calloc(1, sizeof(*st));

	if (st == NULL)
		return -1;
	st->host = host;
	st->inst = inst;
	if (tw_config(st) < 0) {
		tw_fini(st);
		return -1;
	}
	*state = st;
	return 0;
}

/* ---- requests in flight ---- */

static struct tw_pending *
pending_new(struct tw_state *st, int poll, uint64_t ticket)
{
	struct tw_pending *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->st = st;
	p->poll = poll;
	p->ticket = ticket;
	return p;
}

static int
start(struct tw_state *st, struct tw_pending *p, const char *method, sb_http_done_fn done)
{
	static const char *const form_headers[] = {
		"Content-Type: application/x-www-form-urlencoded", "Accept: application/json", NULL,
	};
	static const char *const get_headers[] = { "Accept: application/json", NULL };
	struct sb_http_request hr = {
		.struct_size = sizeof(hr),
		.method = method,
		.url = st->url.p,
		.headers = p->poll ? get_headers : form_headers,
		.body = p->poll ? NULL : st->body.p,
		.body_len = p->poll ? 0 : st->body.len,
		.userpwd = st->userpwd.p,
	};

	if (st->host->http_request(st->inst, &hr, done, p) < 0) {
		st->host->log(st->inst, SB_LOG_WARN, "could not start the HTTP request");
		free(p);
		return -1;
	}
	return 0;
}

/* ---- send ---- */

/* A 2xx answer: the Message resource. */
static void
send_accepted(struct tw_state *st, long status, const char *body, size_t len,
    struct sb_send_result *res)
{
	struct tw_message *m = &st->msg; /* res points into it until reported */
	enum sb_outcome o;

	if (tw_parse_message(body, len, m) < 0) {
		/* Accepted is accepted: re-sending could deliver the SMS twice. */
		st->host->log(st->inst, SB_LOG_WARN, "HTTP %ld accepted, but the answer has no"
		    " message sid; its status callbacks cannot be matched", status);
		st->host->counter_add(st->inst, "twilio_missing_sid", 1);
		res->outcome = SB_OUT_ACCEPTED;
		return;
	}
	res->provider_id = m->sid;
	res->parts = m->segments;
	res->outcome = SB_OUT_ACCEPTED;
	/* A create answer can already say failed (e.g. a Messaging Service with no sender). */
	if (tw_status_outcome(&st->ov, m->status, m->error_code[0] != '\0' ? m->error_code :
	    NULL, &o) == 0 && (o == SB_OUT_FAILED || o == SB_OUT_UNDELIVERABLE)) {
		res->outcome = o;
		res->error_code = m->error_code[0] != '\0' ? m->error_code : m->status;
		res->error_text = m->error_message[0] != '\0' ? m->error_message : m->status;
	}
}

static void
send_done(void *arg, long status, const char *body, size_t len, const char *error,
    const struct sb_http_reply *reply)
{
	struct tw_pending *p = arg;
	struct tw_state *st = p->st;
	struct sb_send_result res = { .struct_size = sizeof(res), .retry_after_s = -1 };
	char code[16], msg[200];
	const char *text;
	uint64_t ticket = p->ticket;

	free(p);
	if (status >= 200 && status <= 299) {
		send_accepted(st, status, body, len, &res);
	} else if (status == 0) {
		res.outcome = SB_OUT_TEMPORARY;
		res.error_code = "transport";
		res.error_text = error != NULL ? error : "no answer";
		st->host->counter_add(st->inst, "twilio_transport_errors", 1);
	} else {
		tw_parse_error(body, len, code, sizeof(code), msg, sizeof(msg));
		res.outcome = tw_classify_failure(&st->ov, status, code);
		if (code[0] == '\0')
			snprintf(code, sizeof(code), "%ld", status);
		if (msg[0] != '\0') {
			snprintf(st->errtext, sizeof(st->errtext), "%s", msg);
		} else {
			enum sb_outcome cls;

			/* No JSON error: the table's words, else the start of the body. */
			if (tw_error_class(&st->ov, code, &cls, &text) < 0 || text == NULL) {
				sbp_snippet(msg, sizeof(msg), body, len < 120 ? len : 120);
				text = msg;
			}
			snprintf(st->errtext, sizeof(st->errtext), "HTTP %ld%s%s", status,
			    text[0] != '\0' ? ": " : "", text);
		}
		res.error_code = code;
		res.error_text = st->errtext;
		if (res.outcome == SB_OUT_TEMPORARY)
			res.retry_after_s = sbp_retry_after(st->host->http_header(reply,
			    "Retry-After"), time(NULL));
	}
	st->host->send_result(st->inst, ticket, &res);
}

static int
tw_send(void *state, const struct sb_send_request *req)
{
	struct tw_state *st = state;
	struct tw_create c = { 0 };
	struct tw_pending *p;
	long chars;

	if (req->to == NULL || req->to[0] == '\0') {
		sbp_report(st->host, st->inst, req->ticket, SB_OUT_FAILED, "no_recipient",
		    "no recipient");
		return 0;
	}
	if (req->text != NULL) {
		chars = tw_body_chars(req->text, strlen(req->text));
		if (chars < 0) {
			sbp_report(st->host, st->inst, req->ticket, SB_OUT_FAILED, "bad_text",
			    "text is not valid UTF-8");
			return 0;
		}
		if (chars > TW_BODY_MAX) {
			snprintf(st->errtext, sizeof(st->errtext), "text has %ld characters; Twilio"
			    " takes at most %d", chars, TW_BODY_MAX);
			sbp_report(st->host, st->inst, req->ticket, SB_OUT_FAILED, "text_too_long",
			    st->errtext);
			return 0;
		}
		c.body = req->text;
	} else if (req->template_name != NULL && tw_sid_valid(req->template_name, "HX")) {
		/* Twilio's templates are Content Templates, named by their SID. */
		c.content_sid = req->template_name;
		c.content_vars = req->template_vars;
	} else {
		sbp_report(st->host, st->inst, req->ticket, SB_OUT_FAILED, "no_text",
		    "twilio sends text, or a template named by its Content SID (HX followed"
		    " by 32 hex digits)");
		return 0;
	}
	c.to = req->to;
	c.from = req->from != NULL && req->from[0] != '\0' ? req->from : st->from;
	c.service_sid = st->service_sid;
	if (c.from == NULL && c.service_sid == NULL) {
		sbp_report(st->host, st->inst, req->ticket, SB_OUT_FAILED, "no_sender",
		    "no sender: configure 'from'"
		    " or 'messaging_service_sid'");
		return 0;
	}
	c.callback = st->status_callback ? st->host->webhook_url(st->inst) : NULL;
	if (c.callback != NULL && c.callback[0] == '\0')
		c.callback = NULL;
	c.validity_s = st->validity_s;
	sbp_buf_clear(&st->url);
	sbp_buf_clear(&st->body);
	if (tw_create_url(&st->url, st->base_url, st->account_sid) < 0 ||
	    tw_create_body(&st->body, &c) < 0 ||
	    (p = pending_new(st, 0, req->ticket)) == NULL)
		return -1;
	return start(st, p, "POST", send_done);
}

/* ---- poll ---- */

static void
poll_done(void *arg, long status, const char *body, size_t len, const char *error,
    const struct sb_http_reply *reply)
{
	struct tw_pending *p = arg;
	struct tw_state *st = p->st;
	struct sb_receipt rc = { .struct_size = sizeof(rc), .provider_id = p->sid };
	struct tw_message m;

	if (status == 200 && tw_parse_message(body, len, &m) == 0 &&
	    tw_status_outcome(&st->ov, m.status, m.error_code[0] != '\0' ? m.error_code : NULL,
	    &rc.outcome) == 0) {
		if (rc.outcome != SB_OUT_ACCEPTED && rc.outcome != SB_OUT_DELIVERED &&
		    rc.outcome != SB_OUT_READ) {
			rc.error_code = m.error_code[0] != '\0' ? m.error_code : m.status;
			rc.error_text = m.error_message[0] != '\0' ? m.error_message : m.status;
		}
		st->host->receipt(st->inst, &rc);
		st->host->counter_add(st->inst, "twilio_polls", 1);
	} else if (status == 404) {
		/* Twilio has no such message (deleted, or another account): it will never say. */
		rc.outcome = SB_OUT_EXPIRED;
		rc.error_code = "20404";
		rc.error_text = "Twilio does not know this message";
		st->host->receipt(st->inst, &rc);
	} else {
		st->host->log(st->inst, SB_LOG_WARN, "poll of %s: %s%ld%s%s", p->sid,
		    status == 0 ? "no answer " : "HTTP ", status, error != NULL ? ", " : "",
		    error != NULL ? error : status == 200 ? ": unreadable answer" : "");
		st->host->counter_add(st->inst, "twilio_poll_errors", 1);
	}
	free(p);
}

static int
tw_poll(void *state, const struct sb_poll_request *req)
{
	struct tw_state *st = state;
	struct tw_pending *p;

	/* The sid goes into the URL path: only a well-formed one does. */
	if (!tw_message_sid_valid(req->provider_id)) {
		st->host->log(st->inst, SB_LOG_WARN, "poll: '%.64s' is not a Twilio message sid",
		    req->provider_id != NULL ? req->provider_id : "");
		return -1;
	}
	sbp_buf_clear(&st->url);
	if (tw_fetch_url(&st->url, st->base_url, st->account_sid, req->provider_id) < 0 ||
	    (p = pending_new(st, 1, 0)) == NULL) /* a poll owes no result */
		return -1;
	memcpy(p->sid, req->provider_id, TW_SID_LEN + 1);
	return start(st, p, "GET", poll_done);
}

/* ---- status callbacks ---- */

static void
reject(struct tw_state *st, struct sb_webhook_response *resp, int status, const char *why)
{
	st->host->log(st->inst, SB_LOG_WARN, "status callback rejected with %d: %s", status, why);
	st->host->counter_add(st->inst, "twilio_callbacks_rejected", 1);
	resp->status = status;
	resp->body = why;
}

static int
sane_id(const char *s)
{
	size_t i;

	for (i = 0; s != NULL && s[i] != '\0' && i < 64; i++)
		if (!isalnum((unsigned char)s[i]))
			return 0;
	return s != NULL && i > 0 && i < 64;
}

/*
 * A message to our number (Twilio's incoming-message webhook, status
 * `received`), signed like a status callback: filed once by its sid. The
 * answer is an empty TwiML document (no reply sent).
 */
static void
tw_inbound(struct tw_state *st, const struct wp_list *params, const char *sid,
    struct sb_webhook_response *resp)
{
	const char *media = wp_get(params, "MediaUrl0");
	const struct sb_inbound in = {
		.struct_size = sizeof(in), .from = wp_get(params, "From"),
		.to = wp_get(params, "To"), .text = wp_get(params, "Body"),
		.media_url = media != NULL && media[0] != '\0' ? media : NULL, .provider_id = sid,
	};

	if (in.from == NULL || in.from[0] == '\0') {
		reject(st, resp, 400, "incoming message without From");
		return;
	}
	if (!SB_HOST_HAS(st->host, inbound_message)) {
		st->host->inbound(st->inst, in.from, in.to, in.text);
	} else if (st->host->inbound_message(st->inst, &in) < 0) {
		reject(st, resp, 503, "could not store the message; try again");
		return;
	}
	st->host->counter_add(st->inst, "twilio_inbound", 1);
	resp->status = 200;
	resp->content_type = "text/xml";
	resp->body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>";
}

static void
tw_webhook(void *state, const struct sb_webhook_request *req, struct sb_webhook_response *resp)
{
	struct tw_state *st = state;
	const char *sig = req->header != NULL ? req->header(req, "X-Twilio-Signature") : NULL;
	const char *ctype = req->header != NULL ? req->header(req, "Content-Type") : NULL;
	const char *sid, *status, *code;
	int json = ctype != NULL && strstr(ctype, "json") != NULL, rc;
	struct sb_receipt r = { .struct_size = sizeof(r) };
	struct wp_list params = { 0 };
	enum sb_outcome ignored;
	char text[160];

	if (strcmp(req->method, "POST") != 0) {
		reject(st, resp, 405, "status callbacks and incoming messages are POSTs");
		return;
	}
	if (sig == NULL || sig[0] == '\0') {
		reject(st, resp, 403, "missing X-Twilio-Signature");
		return;
	}
	/* A JSON body is signed through its hash in the URL; without one it is not signed. */
	if (json && strstr(req->query, "bodySHA256=") == NULL) {
		reject(st, resp, 400, "JSON callback without bodySHA256");
		return;
	}
	rc = json ? 0 : wp_parse_form(&params, req->body, req->body_len);
	if (rc != 0) {
		reject(st, resp, 400, "malformed form body");
		goto out;
	}
	wp_sort(&params);
	if (!tw_signature_valid(st->auth_token, req->url, &params, req->body, req->body_len,
	    sig)) {
		reject(st, resp, 403, "bad X-Twilio-Signature");
		goto out;
	}
	if (json && wp_parse_json(&params, req->body, req->body_len) != 0) {
		reject(st, resp, 400, "malformed JSON body");
		goto out;
	}
	/* Signed from here on. SmsSid/SmsStatus are the older names of the same fields. */
	if ((sid = wp_get(&params, "MessageSid")) == NULL)
		sid = wp_get(&params, "SmsSid");
	if ((status = wp_get(&params, "MessageStatus")) == NULL)
		status = wp_get(&params, "SmsStatus");
	code = wp_get(&params, "ErrorCode");
	if (code != NULL && code[0] == '\0')
		code = NULL;
	if (!sane_id(sid)) {
		reject(st, resp, 400, "missing or bad MessageSid");
	} else if (status != NULL && strcmp(status, "received") == 0) {
		tw_inbound(st, &params, sid, resp);
	} else if (status == NULL || status[0] == '\0') {
		reject(st, resp, 400, "missing MessageStatus");
	} else if (code != NULL && strspn(code, "0123456789") != strlen(code)) {
		reject(st, resp, 400, "bad ErrorCode");
	} else if (tw_status_outcome(&st->ov, status, code, &r.outcome) < 0) {
		sbp_snippet(text, 40, status, strlen(status));
		st->host->log(st->inst, SB_LOG_WARN, "unknown MessageStatus '%s'", text);
		reject(st, resp, 400, "unknown MessageStatus");
	} else {
		r.provider_id = sid;
		if (code != NULL) {
			const char *what = NULL;

			tw_error_class(&st->ov, code, &ignored, &what);
			snprintf(text, sizeof(text), "Twilio %s %s%s%s", status, code,
			    what != NULL ? ": " : "", what != NULL ? what : "");
			r.error_code = code;
			r.error_text = text;
		}
		st->host->receipt(st->inst, &r);
		st->host->counter_add(st->inst, "twilio_callbacks", 1);
		resp->status = 200;
		resp->body = "";
	}
out:
	wp_free(&params);
}

SB_PLUGIN_DEFINE(twilio) = SB_PLUGIN_INIT(
	.name = "twilio",
	.version = "1.0.0",
	.description = "Twilio Programmable Messaging (SMS, and channels Twilio relays)",
	.kind = SB_PLUGIN_CHANNEL,
	.capabilities = SB_CAPABILITIES(
		.max_body_len = 0,    /* 1600 characters, checked by the plugin */
		.receipts = SB_RECEIPT_WEBHOOK | SB_RECEIPT_POLL,
		.read_receipts = 1,   /* `read`, for WhatsApp through Twilio */
		.idempotent = 0,      /* CreateMessage has no idempotency key */
		.default_rate = 0
	),
	.init = tw_init,
	.fini = tw_fini,
	.send = tw_send,
	.poll = tw_poll,
	.webhook = tw_webhook,
);
