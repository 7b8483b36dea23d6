/*
 * http_sms.c - the generic HTTP SMS carrier channel: one configured
 * instance per carrier account (Kannel, a REST SMS API, a mock).
 *
 * Owns: the instance's life cycle (config reading is http_sms_config.c);
 * turning a send into one HTTP request (templates parsed once at init,
 * expanded per send into per-instance buffers that are reused); mapping the
 * answer to an sb_send_result; and turning delivery receipts on
 * /hooks/<instance> into host->receipt calls.
 *
 * Must never: block (the host's HTTP client does the I/O), keep state in
 * globals (one module, many instances), log a secret or a token (templates
 * may expand secrets, so expanded URLs, headers and bodies are never
 * logged), or trust a webhook's input (bounded copies, 400 on anything odd).
 * The pure helpers live in http_sms_util.c.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "http_sms.h"

/* ---- life cycle ---- */

static void
pending_free(struct hs_pending *p)
{
	free(p->key);
	free(p);
}

static void
hs_fini(void *state)
{
	struct hs_state *st = state;

	if (st == NULL)
		return;
	/* No request is out when fini comes, and the host answers any ticket
	 * still open (plugin.h rule 7): only the pool is left to free. */
	while (st->pool != NULL) {
		struct hs_pending *p = st->pool;

		st->pool = p->next;
		pending_free(p);
	}
	hs_config_free(st);
	sbp_buf_free(&st->urlb);
	sbp_buf_free(&st->bodyb);
	sbp_buf_free(&st->hdrb);
	sbp_buf_free(&st->authb);
	sbp_buf_free(&st->scratch);
	sbp_buf_free(&st->dlrb);
	sbp_buf_free(&st->digits);
	free(st);
}

static int
hs_init(const struct sb_host *host, struct sb_instance *inst, void **state)
{
	struct hs_state *st = calloc(1, sizeof(*st));

	if (st == NULL)
		return -1;
	st->host = host;
	st->inst = inst;
	if (hs_config_read(st) < 0) {
		hs_fini(st);
		return -1;
	}
	*state = st;
	return 0;
}

/* ---- send ---- */

struct reply_ctx {
	const struct sb_host *host;
	const struct sb_http_reply *reply;
};

static const char *
reply_header(const void *ctx, const char *name)
{
	const struct reply_ctx *rc = ctx;

	return rc->host->http_header(rc->reply, name);
}

static void
hs_http_done(void *arg, long status, const char *body, size_t body_len, const char *error,
    const struct sb_http_reply *reply)
{
	struct hs_pending *p = arg;
	struct hs_state *st = p->st;
	struct sb_send_result res = { .struct_size = sizeof(res), .retry_after_s = -1 };
	uint64_t ticket;
	char code[16];

	res.outcome = hs_classify(&st->accept, &st->temp, &st->undeliv, status);
	if (status == 0) {
		res.error_code = "transport";
		res.error_text = error != NULL ? error : "no answer";
		st->host->counter_add(st->inst, "http_sms_transport_errors", 1);
	} else if (res.outcome == SB_OUT_ACCEPTED) {
		struct reply_ctx rc = { st->host, reply };

		if (hs_extract_id(&st->id, body, body_len, reply_header, &rc, p->key, st->idbuf,
		    sizeof(st->idbuf)) == 0) {
			res.provider_id = st->idbuf;
		} else {
			/* Accepted is accepted: re-sending could duplicate the SMS. */
			st->host->log(st->inst, SB_LOG_WARN, "HTTP %ld accepted, but no provider id"
			    " found (id_from %s); its receipts cannot be matched", status,
			    st->id_from);
			st->host->counter_add(st->inst, "http_sms_missing_id", 1);
		}
	} else {
		snprintf(code, sizeof(code), "%ld", status);
		sbp_snippet(st->errtext, sizeof(st->errtext), body, body_len);
		res.error_code = code;
		if (st->errtext[0] == '\0')
			snprintf(st->errtext, sizeof(st->errtext), "HTTP %ld", status);
		res.error_text = st->errtext;
		if (res.outcome == SB_OUT_TEMPORARY)
			res.retry_after_s = sbp_retry_after(st->host->http_header(reply,
			    "Retry-After"), time(NULL));
	}
	if (res.outcome == SB_OUT_ACCEPTED)
		res.parts = p->parts; /* what the carrier sends: it reports none itself */
	/* Recycle before reporting: the host may stop this instance from inside send_result. */
	ticket = p->ticket;
	if (st->npool < POOL_MAX) {
		p->next = st->pool;
		st->pool = p;
		st->npool++;
	} else {
		pending_free(p);
	}
	st->host->send_result(st->inst, ticket, &res);
}

static struct hs_pending *
pending_get(struct hs_state *st, const char *key)
{
	struct hs_pending *p = st->pool;
	size_t klen = key != NULL ? strlen(key) : 0;

	if (p != NULL) {
		st->pool = p->next;
		st->npool--;
	} else if ((p = calloc(1, sizeof(*p))) == NULL) {
		return NULL;
	}
	if (klen + 1 > p->keycap) {
		char *k = realloc(p->key, klen + 1);

		if (k == NULL) {
			pending_free(p);
			return NULL;
		}
		p->key = k;
		p->keycap = klen + 1;
	}
	memcpy(p->key, key != NULL ? key : "", klen + 1);
	p->st = st;
	p->next = NULL;
	return p;
}

/* {dlr_url}: our webhook, the attempt key under id_param, the token, the suffix. */
static int
build_dlr_url(struct hs_state *st, const char *key)
{
	const char *base = st->host->webhook_url(st->inst);
	struct sbp_buf *b = &st->dlrb;
	int rc;

	sbp_buf_clear(b);
	rc = sbp_buf_adds(b, base) | sbp_buf_adds(b, strchr(base, '?') != NULL ? "&" : "?") |
	    sbp_escape(b, st->dlr.id_param, strlen(st->dlr.id_param), SBP_ESC_URL) |
	    sbp_buf_adds(b, "=") | sbp_escape(b, key, strlen(key), SBP_ESC_URL);
	if (st->dlr.token != NULL)
		rc |= sbp_buf_adds(b, "&token=") |
		    sbp_escape(b, st->dlr.token, st->dlr.token_len, SBP_ESC_URL);
	return rc | sbp_buf_adds(b, st->dlr.url_suffix);
}

/* Expand everything into the instance's buffers; the host copies them. */
static int
build_request(struct hs_state *st, const struct hs_vars *v, struct sb_http_request *hr)
{
	const char *ctype = NULL;
	size_t i, off, nh = 0;
	int rc = 0;

	sbp_buf_clear(&st->urlb);
	sbp_buf_clear(&st->bodyb);
	sbp_buf_clear(&st->hdrb);
	sbp_buf_clear(&st->authb);
	/* The URL's own text is structure; only what placeholders bring is encoded. */
	if (hs_tmpl_expand(&st->url, v, SBP_ESC_RAW, SBP_ESC_URL, &st->urlb) < 0)
		return -1;
	if (st->body == HS_BODY_QUERY) {
		if (st->nparams > 0 &&
		    (sbp_buf_adds(&st->urlb, strchr(st->urlb.p, '?') != NULL ? "&" : "?") < 0 ||
		    hs_form_build(st->params, st->nparams, v, &st->urlb) < 0))
			return -1;
	} else if (st->body == HS_BODY_FORM) {
		if (hs_form_build(st->params, st->nparams, v, &st->bodyb) < 0)
			return -1;
		ctype = "Content-Type: application/x-www-form-urlencoded";
	} else {
		if ((rc = hs_json_build(st->params, st->nparams, v, &st->scratch, &st->bodyb)) < 0)
			return rc;
		ctype = "Content-Type: application/json";
	}
	for (i = 0; i < st->nheaders; i++)
		if (sbp_buf_adds(&st->hdrb, st->headers[i].name) < 0 ||
		    sbp_buf_adds(&st->hdrb, ": ") < 0 ||
		    hs_tmpl_expand(&st->headers[i].value, v, SBP_ESC_HEADER, SBP_ESC_HEADER,
		    &st->hdrb) < 0 ||
		    sbp_buf_add(&st->hdrb, "", 1) < 0)
			return -1;
	/* Point into the buffer only once it has stopped moving. */
	for (i = 0, off = 0; i < st->nheaders; i++) {
		st->hdrv[nh++] = st->hdrb.p + off;
		off += strlen(st->hdrb.p + off) + 1;
	}
	if (ctype != NULL && !st->has_ctype)
		st->hdrv[nh++] = ctype;
	st->hdrv[nh] = NULL;
	if (st->has_auth && hs_tmpl_expand(&st->auth, v, SBP_ESC_RAW, SBP_ESC_RAW, &st->authb) < 0)
		return -1;
	*hr = (struct sb_http_request){
		.struct_size = sizeof(*hr),
		.method = st->get ? "GET" : "POST",
		.url = st->urlb.p,
		.headers = st->hdrv,
		.body = st->body != HS_BODY_QUERY ? st->bodyb.p : NULL,
		.body_len = st->body != HS_BODY_QUERY ? st->bodyb.len : 0,
		.userpwd = st->has_auth ? st->authb.p : NULL,
		.timeout_ms = 0, /* the instance's configured timeout */
	};
	return 0;
}

static int
hs_send(void *state, const struct sb_send_request *req)
{
	struct hs_state *st = state;
	struct hs_vars v = { { 0 } };
	struct sb_http_request hr;
	struct hs_pending *p;
	const char *key = req->attempt_key != NULL ? req->attempt_key : "";
	struct sbp_sms_text sms;
	int rc;

	if (req->text == NULL) {
		sbp_report(st->host, st->inst, req->ticket, SB_OUT_FAILED, "no_text",
		    "http_sms sends text messages, not templates");
		return 0;
	}
	if (req->to == NULL || req->to[0] == '\0') {
		sbp_report(st->host, st->inst, req->ticket, SB_OUT_FAILED, "no_recipient",
		    "no recipient");
		return 0;
	}
	if (sbp_sms_text_info(req->text, strlen(req->text), st->ucs2, &sms) < 0) {
		/* Not UTF-8: its parts cannot be counted (a json body refuses it
		 * below; form and query bodies send the bytes as they are). */
		if (st->max_parts > 0) {
			sbp_report(st->host, st->inst, req->ticket, SB_OUT_FAILED, "bad_text",
			    "text is not valid UTF-8");
			return 0;
		}
		sms.parts = 0;
	}
	/* A carrier that sends at most max_parts parts cuts the rest off and
	 * still reports the message delivered: refuse it here instead. */
	if (st->max_parts > 0 && sms.parts > st->max_parts) {
		snprintf(st->errtext, sizeof(st->errtext), "text takes %d SMS parts (%zu %s);"
		    " this carrier sends at most %lld (max_parts)", sms.parts, sms.units,
		    sms.unicode ? "UCS-2 units" : "GSM characters", (long long)st->max_parts);
		sbp_report(st->host, st->inst, req->ticket, SB_OUT_FAILED, "too_many_parts",
		    st->errtext);
		return 0;
	}
	v.v[HS_VAR_TO] = req->to;
	if (st->uses & (1u << HS_VAR_TO_DIGITS)) {
		const char *s;

		sbp_buf_clear(&st->digits);
		for (s = req->to; *s != '\0'; s++)
			if (isdigit((unsigned char)*s) && sbp_buf_add(&st->digits, s, 1) < 0)
				return -1;
		v.v[HS_VAR_TO_DIGITS] = st->digits.p;
	}
	v.v[HS_VAR_FROM] = req->from != NULL && req->from[0] != '\0' ? req->from : st->from;
	snprintf(st->msgid, sizeof(st->msgid), "%" PRId64, req->message_id);
	v.v[HS_VAR_MESSAGE_ID] = st->msgid;
	v.v[HS_VAR_TEXT] = req->text;
	v.v[HS_VAR_ATTEMPT_KEY] = key;
	v.v[HS_VAR_SUBACCOUNT] = req->subaccount;
	if (st->uses & (1u << HS_VAR_DLR_URL)) {
		if (build_dlr_url(st, key) < 0)
			return -1;
		v.v[HS_VAR_DLR_URL] = st->dlrb.p;
	}
	if ((rc = build_request(st, &v, &hr)) == -2) {
		sbp_report(st->host, st->inst, req->ticket, SB_OUT_FAILED, "bad_text",
		    "text is not valid UTF-8");
		return 0;
	}
	if (rc < 0 || (p = pending_get(st, key)) == NULL)
		return -1;
	p->ticket = req->ticket;
	p->parts = sms.parts;
	if (st->host->http_request(st->inst, &hr, hs_http_done, p) < 0) {
		st->host->log(st->inst, SB_LOG_WARN, "could not start the HTTP request");
		pending_free(p);
		return -1;
	}
	return 0;
}

/* ---- receipts ---- */

/* Where a receipt's parameters may be: query, form body or JSON body. */
struct hook_src {
	const char *query, *form;
	size_t qlen, flen;
	json_t *json;
};

/* 1 found (copied to out), 0 absent, -1 too long. The query wins. */
static int
hook_param(const struct hook_src *s, const char *name, char *out, size_t cap)
{
	int rc = wp_form_get(s->query, s->qlen, name, out, cap);

	if (rc == 0 && s->form != NULL)
		rc = wp_form_get(s->form, s->flen, name, out, cap);
	if (rc == 0 && s->json != NULL) {
		json_t *v = hs_json_path(s->json, name);

		if (v != NULL)
			rc = hs_json_text(v, out, cap) == 0 ? 1 : -1;
	}
	return rc;
}

/* Answer `status` with `why`; log why, with what (a name or a value, sanitized). */
static void
hook_reject(struct hs_state *st, struct sb_webhook_response *resp, int status,
    const char *why, const char *label, const char *what)
{
	char clean[80] = "";

	if (what != NULL)
		sbp_snippet(clean, sizeof(clean), what, strlen(what));
	st->host->log(st->inst, SB_LOG_WARN, "receipt rejected with %d: %s%s%s%s%s%s", status,
	    why, label != NULL ? " (" : "", label != NULL ? label : "", what != NULL ? " '" : "",
	    clean, what != NULL ? "')" : label != NULL ? ")" : "");
	st->host->counter_add(st->inst, "http_sms_dlr_rejected", 1);
	resp->status = status;
	resp->body = why;
}

static int
status_outcome(const struct hs_state *st, const char *value, enum sb_outcome *out)
{
	size_t i;

	if (st->dlr.nmap == 0)
		return sbp_outcome_parse(value, out);
	for (i = 0; i < st->dlr.nmap; i++)
		if (strcmp(st->dlr.map[i].value, value) == 0) {
			*out = st->dlr.map[i].outcome;
			return 0;
		}
	return -1;
}

/*
 * The receipt's error from the error_param value. Kannel's %A is the SMSC's
 * whole reply: its err: field is the code, its stat: field the text, and
 * the rest (which quotes the message) is not kept. Others: the value is
 * the provider's error code.
 */
static void
set_error(struct hs_state *st, struct sb_receipt *rc, const char *value)
{
	if (!st->dlr.kannel) {
		rc->error_code = value;
		return;
	}
	if (hs_smsc_field(value, "err", st->dlr_err, sizeof(st->dlr_err)) == 1)
		rc->error_code = st->dlr_err;
	if (hs_smsc_field(value, "stat", st->dlr_stat + 5, sizeof(st->dlr_stat) - 5) == 1) {
		memcpy(st->dlr_stat, "stat:", 5);
		rc->error_text = st->dlr_stat;
	}
}

/* 1 if the request carries the section's token (or it needs none). */
static int
hook_token_ok(const struct hook_src *src, const char *want, size_t want_len)
{
	char token[256];

	return want == NULL || (hook_param(src, "token", token, sizeof(token)) == 1 &&
	    wp_ct_equal(token, strlen(token), want, want_len, 0));
}

/*
 * A message from a phone (Kannel's sms-service get-url, or a carrier's MO
 * webhook), on /hooks/<instance>/mo: filed once by its id when id_param
 * names one.
 */
static void
hs_mo(struct hs_state *st, const struct hook_src *src, struct sb_webhook_response *resp)
{
	char from[64], to[64], text[2048], id[ID_MAX];
	struct sb_inbound in = { .struct_size = sizeof(in), .from = from, .text = text };

	if (!hook_token_ok(src, st->mo.token, st->mo.token_len)) {
		hook_reject(st, resp, 403, "forbidden", "bad or missing", "token");
		return;
	}
	if (hook_param(src, st->mo.from_param, from, sizeof(from)) != 1 || from[0] == '\0') {
		hook_reject(st, resp, 400, "missing or bad sender", "parameter", st->mo.from_param);
		return;
	}
	if (hook_param(src, st->mo.text_param, text, sizeof(text)) < 0) {
		hook_reject(st, resp, 400, "text too long", "parameter", st->mo.text_param);
		return;
	}
	if (hook_param(src, st->mo.to_param, to, sizeof(to)) == 1 && to[0] != '\0')
		in.to = to;
	if (st->mo.id_param != NULL && hook_param(src, st->mo.id_param, id, sizeof(id)) == 1 &&
	    id[0] != '\0')
		in.provider_id = id;
	if (!SB_HOST_HAS(st->host, inbound_message)) {
		st->host->inbound(st->inst, in.from, in.to, in.text);
	} else if (st->host->inbound_message(st->inst, &in) < 0) {
		resp->status = 503;
		resp->body = "try again";
		return;
	}
	st->host->counter_add(st->inst, "http_sms_mo_received", 1);
	resp->status = 200;
	resp->body = "OK";
}

static void
hs_webhook(void *state, const struct sb_webhook_request *req, struct sb_webhook_response *resp)
{
	struct hs_state *st = state;
	struct hook_src src = { .query = req->query != NULL ? req->query : "" };
	struct sb_receipt rc = { .struct_size = sizeof(rc) };
	char id[ID_MAX], status[64], err[ID_MAX];
	const char *ctype = req->header != NULL ? req->header(req, "Content-Type") : NULL;
	int mo = req->path != NULL && strcmp(req->path, "/mo") == 0;

	if (mo ? !st->mo.enabled : !st->dlr.enabled) {
		hook_reject(st, resp, 404, mo ? "no mo: section configured for this channel" :
		    "no receipts configured for this channel", NULL, NULL);
		return;
	}
	src.qlen = strlen(src.query);
	if (req->body != NULL && req->body_len > 0) {
		if (ctype != NULL && strstr(ctype, "json") != NULL) {
			src.json = json_loadb(req->body, req->body_len, 0, NULL);
			if (src.json == NULL) {
				hook_reject(st, resp, 400, "malformed JSON", NULL, NULL);
				return;
			}
		} else {
			src.form = req->body;
			src.flen = req->body_len;
		}
	}
	/* The token first: nothing else in an unverified request is believed, or logged. */
	if (mo) {
		hs_mo(st, &src, resp);
	} else if (!hook_token_ok(&src, st->dlr.token, st->dlr.token_len)) {
		hook_reject(st, resp, 403, "forbidden", "bad or missing", "token");
	} else if (hook_param(&src, st->dlr.id_param, id, sizeof(id)) != 1 || id[0] == '\0') {
		hook_reject(st, resp, 400, "missing or bad id", "parameter", st->dlr.id_param);
	} else if (hook_param(&src, st->dlr.status_param, status, sizeof(status)) != 1 ||
	    status[0] == '\0') {
		hook_reject(st, resp, 400, "missing or bad status", "parameter",
		    st->dlr.status_param);
	} else if (status_outcome(st, status, &rc.outcome) < 0) {
		hook_reject(st, resp, 400, "unknown status", "value", status);
	} else {
		if (st->dlr.error_param != NULL &&
		    hook_param(&src, st->dlr.error_param, err, sizeof(err)) == 1 && err[0] != '\0')
			set_error(st, &rc, err);
		rc.provider_id = id;
		st->host->receipt(st->inst, &rc);
		st->host->counter_add(st->inst, "http_sms_dlr_received", 1);
		resp->status = 200;
		resp->body = "OK";
	}
	json_decref(src.json);
}

SB_PLUGIN_DEFINE(http_sms) = SB_PLUGIN_INIT(
	.name = "http_sms",
	.version = "1.0.0",
	.description = "generic HTTP SMS carrier: Kannel sendsms, REST SMS APIs",
	.kind = SB_PLUGIN_CHANNEL,
	.capabilities = SB_CAPABILITIES(
		.max_body_len = 0,               /* the carrier splits long texts */
		.receipts = SB_RECEIPT_WEBHOOK,  /* when a dlr: section is configured */
		.read_receipts = 0,
		.idempotent = 0,                 /* generic carriers have no idempotency key */
		.default_rate = 0
	),
	.init = hs_init,
	.fini = hs_fini,
	.send = hs_send,
	.webhook = hs_webhook,
);
