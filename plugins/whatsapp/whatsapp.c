/*
 * whatsapp.c - the WhatsApp Cloud API channel (Meta Graph API, v23.0 by
 * default): one configured instance per business phone number.
 *
 * Owns: the instance's life cycle and configuration; turning a send into
 * POST {base_url}/{version}/{phone_number_id}/messages (bodies: wa_body.c)
 * and its answer into an sb_send_result (error codes: wa_errors.c); and
 * /hooks/<instance>: the GET subscribe handshake, and signed POST callbacks
 * whose statuses become host->receipt and whose messages become
 * host->inbound (payload walk and signature: wa_hook.c).
 *
 * Must never: block (the host's HTTP client does the I/O), keep state in
 * globals (one module, many instances), log the access token, the app
 * secret, the verify token or anything a caller sent in their place, or
 * believe a callback before its X-Hub-Signature-256 checks out.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>
#include <switchboard/plugin.h>

#include "sbp_chan.h"
#include "sbp_http.h"
#include "wa.h"
#include "webparams.h"

#define DEFAULT_BASE_URL "https://graph.facebook.com"
#define DEFAULT_VERSION "v23.0"
#define DEFAULT_LANG "en_US"
#define DEFAULT_MAX_TEXT 4096 /* Meta's documented text body limit, in characters */

/* One request in flight: what its completion needs. */
struct wa_pending {
	struct wa_state *st;
	uint64_t ticket;
};

struct wa_state {
	const struct sb_host *host;
	struct sb_instance *inst;
	/* config; strings without a free are the host's, alive until fini */
	char *url;                  /* .../{version}/{phone_number_id}/messages */
	char *auth;                 /* "Authorization: Bearer <token>"; zeroed at fini */
	const char *hdrv[3];
	const char *phone_number_id;
	const char *template_lang;
	const char *app_secret, *verify_token; /* NULL: not configured */
	int64_t max_text;
	int preview_url;
	/* scratch, reused: the host copies what it is given */
	char idbuf[256], code[32], errtext[512];
	char from[24], to[24], reason[320];
	char challenge[128];
	int inbound_failed;                    /* this callback: an inbound not stored */
};

/* ---- configuration ---- */

static int
valid_version(const char *v)
{
	size_t n;

	if (v[0] != 'v' || (n = strspn(v + 1, "0123456789")) == 0 || v[1 + n] != '.')
		return 0;
	v += 2 + n;
	return (n = strspn(v, "0123456789")) > 0 && v[n] == '\0';
}

static int
valid_base_url(const char *u)
{
	return (strncasecmp(u, "http://", 7) == 0 || strncasecmp(u, "https://", 8) == 0) &&
	    strpbrk(u, "?# \t\r\n") == NULL;
}

/* An optional secret: only asked of the host when the key is there. */
static int
opt_secret(struct wa_state *st, struct sb_cfg *root, const char *key, const char **out)
{
	*out = NULL;
	if (st->host->cfg_get(root, key) == NULL)
		return 0;
	if (st->host->secret(st->inst, key, out) < 0)
		return -1;
	if (**out == '\0') {
		st->host->cfg_error(st->host->cfg_get(root, key), "secret '%s' is empty", key);
		return -1;
	}
	return 0;
}

/* Every key is read even after an error: the operator sees all mistakes at once. */
static int
config_read(struct wa_state *st)
{
	const struct sb_host *h = st->host;
	struct sb_cfg *root = h->cfg_root(st->inst);
	const char *base, *version, *token = NULL;
	int bad = 0;
	size_t blen;

	bad |= h->cfg_string(root, "base_url", DEFAULT_BASE_URL, &base) < 0;
	bad |= h->cfg_string(root, "version", DEFAULT_VERSION, &version) < 0;
	bad |= h->cfg_string(root, "phone_number_id", NULL, &st->phone_number_id) < 0;
	bad |= h->cfg_string(root, "template_lang", DEFAULT_LANG, &st->template_lang) < 0;
	bad |= h->cfg_int(root, "max_text", DEFAULT_MAX_TEXT, &st->max_text) < 0;
	bad |= h->cfg_bool(root, "preview_url", 0, &st->preview_url) < 0;
	bad |= h->secret(st->inst, "token", &token) < 0;
	bad |= opt_secret(st, root, "app_secret", &st->app_secret) < 0;
	bad |= opt_secret(st, root, "verify_token", &st->verify_token) < 0;
	if (base != NULL && !valid_base_url(base)) {
		h->cfg_error(h->cfg_get(root, "base_url"), "base_url must be an http:// or https://"
		    " URL without query, e.g. %s", DEFAULT_BASE_URL);
		bad = 1;
	}
	if (version != NULL && !valid_version(version)) {
		h->cfg_error(h->cfg_get(root, "version"), "version must look like %s",
		    DEFAULT_VERSION);
		bad = 1;
	}
	if (st->phone_number_id == NULL) {
		if (h->cfg_get(root, "phone_number_id") == NULL)
			h->cfg_error(root, "missing 'phone_number_id' (the business number's id in"
			    " WhatsApp Manager, not the phone number)");
		bad = 1;
	} else if (st->phone_number_id[0] == '\0' ||
	    strspn(st->phone_number_id, "0123456789") != strlen(st->phone_number_id)) {
		h->cfg_error(h->cfg_get(root, "phone_number_id"), "phone_number_id must be the"
		    " numeric id of the business phone number");
		bad = 1;
	}
	if (st->max_text < 0) {
		h->cfg_error(h->cfg_get(root, "max_text"), "max_text must be 0 (no limit) or more");
		bad = 1;
	}
	if (token != NULL && (*token == '\0' || strpbrk(token, "\r\n") != NULL)) {
		h->cfg_error(h->cfg_get(root, "token"), "secret 'token' is empty or has a line"
		    " break");
		bad = 1;
	}
	if (bad)
		return -1;
	blen = strlen(base);
	while (blen > 0 && base[blen - 1] == '/')
		blen--;
	if (asprintf(&st->url, "%.*s/%s/%s/messages", (int)blen, base, version,
	    st->phone_number_id) < 0 || asprintf(&st->auth, "Authorization: Bearer %s", token) < 0) {
		st->url = st->auth = NULL;
		return -1;
	}
	st->hdrv[0] = st->auth;
	st->hdrv[1] = "Content-Type: application/json";
	st->hdrv[2] = NULL;
	if (st->app_secret == NULL)
		h->log(st->inst, SB_LOG_WARN, "no app_secret: status callbacks cannot be verified"
		    " and are refused; messages stay accepted until fallback_after or validity");
	if (st->verify_token == NULL)
		h->log(st->inst, SB_LOG_INFO, "no verify_token: the webhook subscribe handshake"
		    " is refused");
	return 0;
}

/* ---- life cycle ---- */

static void
wa_fini(void *state)
{
	struct wa_state *st = state;

	if (st == NULL)
		return;
	/* No request is out when fini comes, and the host answers any ticket
	 * still open (plugin.h rule 7): nothing to report. */
	if (st->auth != NULL)
		explicit_bzero(st->auth, strlen(st->auth));
	free(st->auth);
	free(st->url);
	free(st);
}

static int
wa_init(const struct sb_host *host, struct sb_instance *inst, void **state)
{
	struct wa_state *st = calloc(1, sizeof(*st));

	if (st == NULL)
		return -1;
	st->host = host;
	st->inst = inst;
	if (config_read(st) < 0) {
		wa_fini(st);
		return -1;
	}
	*state = st;
	return 0;
}

/* ---- send ---- */

/* 2xx: messages[0].id is the provider id status callbacks will name. */
static void
answer_accepted(struct wa_state *st, long status, const char *body, size_t len,
    struct sb_send_result *res)
{
	json_t *root = json_loadb(body, len, 0, NULL);
	json_t *m0 = json_array_get(json_object_get(root, "messages"), 0);
	const char *id = json_string_value(json_object_get(m0, "id"));
	const char *ms = json_string_value(json_object_get(m0, "message_status"));

	res->outcome = SB_OUT_ACCEPTED;
	if (id != NULL && *id != '\0' && strlen(id) < sizeof(st->idbuf)) {
		memcpy(st->idbuf, id, strlen(id) + 1);
		res->provider_id = st->idbuf;
		st->host->counter_add(st->inst, "whatsapp_accepted", 1);
	} else {
		/* Accepted is accepted: sending again could deliver twice. */
		st->host->log(st->inst, SB_LOG_WARN, "HTTP %ld without messages[0].id: status"
		    " callbacks for this message cannot be matched", status);
		st->host->counter_add(st->inst, "whatsapp_missing_id", 1);
	}
	if (ms != NULL && strcmp(ms, "accepted") != 0) {
		sbp_snippet(st->reason, sizeof(st->reason), ms, strlen(ms));
		st->host->log(st->inst, SB_LOG_INFO, "message %s is '%s' at Meta (held or paused"
		    " for template quality); it is sent when Meta releases it",
		    res->provider_id != NULL ? res->provider_id : "?", st->reason);
	}
	json_decref(root);
}

static void
answer_refused(struct wa_state *st, long status, const char *body, size_t len,
    const char *error, const struct sb_http_reply *reply, struct sb_send_result *res)
{
	struct wa_api_error e;
	struct wa_verdict v;
	int graph = status != 0 && wa_api_error_parse(body, len, &e) == 0;

	wa_classify_send(status, graph ? &e : NULL, &v);
	res->outcome = v.outcome;
	if (graph) {
		snprintf(st->code, sizeof(st->code), "%ld", e.code);
		snprintf(st->errtext, sizeof(st->errtext), "%s%s%s", e.message[0] ? e.message :
		    v.what, e.details[0] ? ": " : "", e.details);
	} else if (status == 0) {
		snprintf(st->code, sizeof(st->code), "transport");
		snprintf(st->errtext, sizeof(st->errtext), "%s", error != NULL ? error : "no answer");
	} else {
		char snip[160];

		snprintf(st->code, sizeof(st->code), "http_%ld", status);
		sbp_snippet(snip, sizeof(snip), body != NULL ? body : "", body != NULL ? len : 0);
		snprintf(st->errtext, sizeof(st->errtext), "HTTP %ld %s%s%s", status, v.what,
		    snip[0] ? ": " : "", snip);
	}
	res->error_code = st->code;
	res->error_text = st->errtext;
	if (v.outcome == SB_OUT_TEMPORARY) {
		int32_t ra = status != 0 ? sbp_retry_after(st->host->http_header(reply,
		    "Retry-After"), time(NULL)) : -1;

		res->retry_after_s = ra > v.min_retry_s ? ra : v.min_retry_s > 0 ? v.min_retry_s : -1;
		st->host->counter_add(st->inst, "whatsapp_temporary_errors", 1);
	}
	if (v.alert) {
		/* Nothing a retry fixes: the token, the number or the account needs a person. */
		st->host->log(st->inst, SB_LOG_ERROR, "WhatsApp refused the request (HTTP %ld,"
		    " code %s, %s): check the token, phone_number_id and the business account",
		    status, st->code, v.what);
		st->host->counter_add(st->inst, "whatsapp_account_errors", 1);
	} else {
		st->host->log(st->inst, SB_LOG_DEBUG, "send answered HTTP %ld code %s (%s)", status,
		    st->code, v.what);
	}
}

static void
wa_http_done(void *arg, long status, const char *body, size_t body_len, const char *error,
    const struct sb_http_reply *reply)
{
	struct wa_pending *p = arg;
	struct wa_state *st = p->st;
	struct sb_send_result res = { .struct_size = sizeof(res), .retry_after_s = -1 };
	uint64_t ticket = p->ticket;

	free(p);
	if (status >= 200 && status < 300)
		answer_accepted(st, status, body, body_len, &res);
	else
		answer_refused(st, status, body, body_len, error, reply, &res);
	st->host->send_result(st->inst, ticket, &res);
}

static int
wa_send(void *state, const struct sb_send_request *req)
{
	struct wa_state *st = state;
	struct wa_build_err err = { 0 };
	struct sb_http_request hr;
	struct wa_pending *p;
	char *body;

	if (req->template_name != NULL)
		body = wa_build_template(req->to, req->template_name, req->template_lang != NULL &&
		    *req->template_lang != '\0' ? req->template_lang : st->template_lang,
		    req->template_vars, &err);
	else
		body = wa_build_text(req->to, req->text, st->preview_url, (size_t)st->max_text,
		    &err);
	if (body == NULL) {
		if (strcmp(err.code, "nomem") == 0)
			return -1;
		sbp_report(st->host, st->inst, req->ticket, SB_OUT_FAILED, err.code, err.text);
		return 0;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		free(body);
		return -1;
	}
	hr = (struct sb_http_request){
		.struct_size = sizeof(hr), .method = "POST", .url = st->url, .headers = st->hdrv,
		.body = body, .body_len = strlen(body), .timeout_ms = 0,
	};
	p->st = st;
	p->ticket = req->ticket;
	if (st->host->http_request(st->inst, &hr, wa_http_done, p) < 0) {
		st->host->log(st->inst, SB_LOG_WARN, "could not start the HTTP request");
		free(p);
		free(body);
		return -1;
	}
	free(body); /* the host copied it */
	/* p is wa_http_done's to free now (the host hands it back once). */
	/* cppcheck-suppress memleak */
	return 0;
}

/* ---- webhook ---- */

static void
hook_answer(struct wa_state *st, struct sb_webhook_response *resp, int status,
    const char *body, const char *why)
{
	if (why != NULL) {
		st->host->log(st->inst, SB_LOG_WARN, "callback refused with %d: %s", status, why);
		st->host->counter_add(st->inst, "whatsapp_hook_rejected", 1);
	}
	resp->status = status;
	resp->content_type = "text/plain";
	resp->body = body;
}

/* GET ?hub.mode=subscribe&hub.verify_token=...&hub.challenge=... */
static void
hook_subscribe(struct wa_state *st, const struct sb_webhook_request *req,
    struct sb_webhook_response *resp)
{
	char mode[32], token[256];
	const char *q = req->query != NULL ? req->query : "";
	int cl;

	if (st->verify_token == NULL) {
		hook_answer(st, resp, 403, "forbidden", "subscribe handshake, but no verify_token"
		    " is configured");
		return;
	}
	if (wp_form_get(q, strlen(q), "hub.mode", mode, sizeof(mode)) != 1 ||
	    strcmp(mode, "subscribe") != 0) {
		hook_answer(st, resp, 403, "forbidden", "GET without hub.mode=subscribe");
		return;
	}
	/* The token a caller sent is never logged: it may be a near miss of ours. */
	if (wp_form_get(q, strlen(q), "hub.verify_token", token, sizeof(token)) != 1 ||
	    !wp_ct_equal(token, strlen(token), st->verify_token, strlen(st->verify_token), 0)) {
		explicit_bzero(token, sizeof(token));
		hook_answer(st, resp, 403, "forbidden", "subscribe handshake with a wrong or"
		    " missing hub.verify_token");
		return;
	}
	explicit_bzero(token, sizeof(token));
	/* Echoed as text/plain: printable and short, as Meta's integers are. */
	cl = wp_form_get(q, strlen(q), "hub.challenge", st->challenge, sizeof(st->challenge));
	if (cl != 1 || st->challenge[0] == '\0' ||
	    strspn(st->challenge, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "-_.~") != strlen(st->challenge)) {
		hook_answer(st, resp, 400, "bad hub.challenge", "subscribe handshake without a"
		    " usable hub.challenge");
		return;
	}
	st->host->log(st->inst, SB_LOG_INFO, "webhook subscription verified");
	hook_answer(st, resp, 200, st->challenge, NULL);
}

/* "+" and the digits of a WhatsApp number, into out; "" if there are none. */
static const char *
plus_digits(char *out, size_t cap, const char *s)
{
	size_t o = 0;

	if (s != NULL && cap > 2) {
		out[o++] = '+';
		for (; *s != '\0' && o + 1 < cap; s++)
			if (*s >= '0' && *s <= '9')
				out[o++] = *s;
	}
	out[o > 1 ? o : 0] = '\0';
	return out;
}

/* Callbacks for another number of the same app are not ours to judge. */
static int
other_number(struct wa_state *st, const char *pnid)
{
	if (pnid == NULL || strcmp(pnid, st->phone_number_id) == 0)
		return 0;
	sbp_snippet(st->reason, sizeof(st->reason), pnid, strlen(pnid));
	st->host->log(st->inst, SB_LOG_INFO, "callback for phone_number_id %s skipped: this"
	    " instance is %s", st->reason, st->phone_number_id);
	st->host->counter_add(st->inst, "whatsapp_hook_other_number", 1);
	return 1;
}

static void
on_status(void *ctx, const struct wa_status *s)
{
	struct wa_state *st = ctx;
	struct sb_receipt rc = {
		.struct_size = sizeof(rc), .provider_id = s->id, .outcome = s->outcome,
		.at_ms = s->at_ms,
	};
	char what[80];

	if (other_number(st, s->phone_number_id))
		return;
	if (!s->known) {
		sbp_snippet(what, sizeof(what), s->status, strlen(s->status));
		st->host->log(st->inst, SB_LOG_WARN, "status '%s' for %.80s is not one of sent,"
		    " delivered, read, failed: skipped", what, s->id);
		st->host->counter_add(st->inst, "whatsapp_status_unknown", 1);
		return;
	}
	if (strcmp(s->status, "failed") == 0) {
		const struct wa_code *c = s->has_error ? wa_code_lookup(s->err_code) : NULL;

		if (s->has_error)
			snprintf(st->code, sizeof(st->code), "%ld", s->err_code);
		else
			snprintf(st->code, sizeof(st->code), "unknown");
		snprintf(st->errtext, sizeof(st->errtext), "%s%s%s", s->err_title != NULL ?
		    s->err_title : c != NULL ? c->what : "failed", s->err_details != NULL ? ": " : "",
		    s->err_details != NULL ? s->err_details : "");
		sbp_snippet(st->reason, sizeof(st->reason), st->errtext, strlen(st->errtext));
		rc.error_code = st->code;
		rc.error_text = st->reason;
		if (c != NULL && c->alert)
			st->host->log(st->inst, SB_LOG_ERROR, "message %.80s failed with code %s"
			    " (%s): check the business account", s->id, st->code, c->what);
	}
	st->host->log(st->inst, SB_LOG_DEBUG, "status %s for %.80s", s->status, s->id);
	st->host->counter_add(st->inst, "whatsapp_statuses", 1);
	st->host->receipt(st->inst, &rc);
}

static void
on_inbound(void *ctx, const struct wa_inbound *m)
{
	struct wa_state *st = ctx;
	char placeholder[48], type[24];

	if (other_number(st, m->phone_number_id))
		return;
	plus_digits(st->from, sizeof(st->from), m->from);
	plus_digits(st->to, sizeof(st->to), m->to);
	if (m->text == NULL) { /* media, locations, contacts...: kept as a marker */
		sbp_snippet(type, sizeof(type), m->type, strlen(m->type));
		snprintf(placeholder, sizeof(placeholder), "[%s]", type);
	}
	st->host->counter_add(st->inst, "whatsapp_inbound", 1);
	if (SB_HOST_HAS(st->host, inbound_message)) {
		/* Meta repeats a webhook it got no 200 for: its wamid files it once. */
		const struct sb_inbound in = {
			.struct_size = sizeof(in), .from = st->from[0] ? st->from : NULL,
			.to = st->to[0] ? st->to : NULL,
			.text = m->text != NULL ? m->text : placeholder, .provider_id = m->id,
		};

		if (st->host->inbound_message(st->inst, &in) < 0)
			st->inbound_failed = 1;
		return;
	}
	st->host->inbound(st->inst, st->from[0] ? st->from : NULL, st->to[0] ? st->to : NULL,
	    m->text != NULL ? m->text : placeholder);
}

static void
on_system_error(void *ctx, long code, const char *title, const char *details)
{
	struct wa_state *st = ctx;
	char t[120] = "", d[160] = "";

	if (title != NULL)
		sbp_snippet(t, sizeof(t), title, strlen(title));
	if (details != NULL)
		sbp_snippet(d, sizeof(d), details, strlen(details));
	st->host->log(st->inst, SB_LOG_WARN, "WhatsApp reports error %ld %s%s%s", code, t,
	    d[0] ? ": " : "", d);
	st->host->counter_add(st->inst, "whatsapp_system_errors", 1);
}

static void
on_skipped(void *ctx, const char *why)
{
	struct wa_state *st = ctx;

	st->host->log(st->inst, SB_LOG_INFO, "callback item skipped: %s", why);
	st->host->counter_add(st->inst, "whatsapp_hook_skipped", 1);
}

static const struct wa_hook_cb hook_cb = {
	.status = on_status, .inbound = on_inbound,
	.system_error = on_system_error, .skipped = on_skipped,
};

static void
wa_webhook(void *state, const struct sb_webhook_request *req, struct sb_webhook_response *resp)
{
	struct wa_state *st = state;
	const char *sig;
	char err[160];

	if (req->path != NULL && req->path[0] != '\0' && strcmp(req->path, "/") != 0) {
		hook_answer(st, resp, 404, "no such hook", "unknown path below the hook");
		return;
	}
	if (req->method != NULL && strcmp(req->method, "GET") == 0) {
		hook_subscribe(st, req, resp);
		return;
	}
	if (st->app_secret == NULL) {
		hook_answer(st, resp, 403, "forbidden", "no app_secret configured to verify the"
		    " callback");
		return;
	}
	/* The signature before anything else: nothing unverified is parsed or logged. */
	sig = req->header != NULL ? req->header(req, "X-Hub-Signature-256") : NULL;
	switch (wa_sig_check(sig, st->app_secret, strlen(st->app_secret), req->body,
	    req->body_len)) {
	case WA_SIG_MISSING:
		hook_answer(st, resp, 401, "missing signature", "no X-Hub-Signature-256");
		return;
	case WA_SIG_BAD:
		hook_answer(st, resp, 403, "bad signature", "X-Hub-Signature-256 does not match"
		    " the body signed with app_secret");
		return;
	case WA_SIG_OK:
		break;
	}
	st->inbound_failed = 0;
	if (wa_hook_parse(req->body, req->body_len, &hook_cb, st, err, sizeof(err)) < 0) {
		snprintf(st->reason, sizeof(st->reason), "malformed payload: %s", err);
		hook_answer(st, resp, 400, "malformed payload", st->reason);
		return;
	}
	/* Meta retries a 5xx; what was stored is filed once by its wamid. */
	if (st->inbound_failed)
		hook_answer(st, resp, 503, "try again", "an inbound message could not be stored");
	else
		hook_answer(st, resp, 200, "", NULL);
}

SB_PLUGIN_DEFINE(whatsapp) = SB_PLUGIN_INIT(
	.name = "whatsapp",
	.version = "1.0.0",
	.description = "WhatsApp Cloud API (Meta Graph): text and template messages, status webhooks",
	.kind = SB_PLUGIN_CHANNEL,
	.capabilities = SB_CAPABILITIES(
		/* Meta counts 4096 characters; in bytes that is safe for any text. */
		.max_body_len = DEFAULT_MAX_TEXT,
		.receipts = SB_RECEIPT_WEBHOOK,
		.read_receipts = 1,
		.idempotent = 0,          /* the Cloud API takes no idempotency key */
		.default_rate = 80,       /* Meta's default throughput per business number */
	),
	.init = wa_init,
	.fini = wa_fini,
	.send = wa_send,
	.webhook = wa_webhook,
);
