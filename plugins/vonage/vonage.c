/*
 * vonage.c - the Vonage (ex-Nexmo) SMS API channel: one configured
 * instance per Vonage account.
 *
 * Owns: reading the instance's config; turning a send into one
 * `POST /sms/json` (form body, api_secret or a signed request, our webhook
 * as `callback`, our attempt key as `client-ref`) and its answer (always
 * HTTP 200; one status per part) into an sb_send_result; and delivery
 * receipts on /hooks/<instance> (GET query, POST form or POST JSON),
 * verified with the signature secret when one is configured, folded per
 * message across the parts of a long text (vonage_track.c).
 *
 * The attempt's provider id is our client-ref (the attempt key): Vonage
 * echoes it in every part's receipt, so each receipt finds the attempt.
 *
 * Must never: block, keep state in globals, log api_secret or the
 * signature secret (they live in st only; signed bodies are never logged),
 * or believe a receipt whose signature fails (nothing of it is reported).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <switchboard/plugin.h>

#include "sbp_buf.h"
#include "sbp_chan.h"
#include "sbp_http.h"
#include "sbp_sms.h"
#include "vonage_util.h"

#define DEFAULT_BASE "https://rest.nexmo.com"
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

struct vg_pending {
	struct vg_state *st;
	uint64_t ticket;
	char ref[VG_REF_MAX + 1];/* the client-ref we sent, "" if none */
};

struct vg_override {
	char *code;
	enum sb_outcome outcome;
};

struct vg_state {
	const struct sb_host *host;
	struct sb_instance *inst;
	const char *base_url, *api_key, *api_secret, *sig_secret, *from;
	enum vg_sig_method sig_method;
	int sign_requests, verify_receipts, callback;
	int64_t max_age_s, ttl_ms, max_parts, track_max, track_ttl_ms;
	struct vg_override *error_map;
	size_t nerror_map;
	struct vg_tracker *tracker;
	struct sbp_buf url, body;  /* per request scratch; the host copies them */
	struct wp_list params;    /* per request / per receipt scratch */
	struct vg_answer answer;  /* the answer being read */
	char errtext[300];
};

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- configuration ---- */

static const struct {
	const char *word;
	enum sb_outcome outcome;
} class_words[] = {
	{ "temporary", SB_OUT_TEMPORARY }, { "undeliverable", SB_OUT_UNDELIVERABLE },
	{ "failed", SB_OUT_FAILED },
};

/* error_map: send status code -> temporary / undeliverable / failed. */
static int
read_error_map(struct vg_state *st, struct sb_cfg *root)
{
	const struct sb_host *h = st->host;
	struct sb_cfg *node = h->cfg_get(root, "error_map");
	size_t i, j, n = h->cfg_len(node);
	const char *first = NULL;

	if (node == NULL)
		return 0;
	if (n > 0)
		h->cfg_item(node, 0, &first); /* a mapping's items have keys */
	if (h->cfg_scalar(node) != NULL || (n > 0 && first == NULL)) {
		h->cfg_error(node, "'error_map' must be a mapping of status: class");
		return -1;
	}
	if (n == 0)
		return 0;
	if ((st->error_map = calloc(n, sizeof(*st->error_map))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		const char *code, *word;
		struct sb_cfg *item = h->cfg_item(node, i, &code);

		word = h->cfg_scalar(item);
		for (j = 0; word != NULL && j < NELEM(class_words); j++)
			if (strcmp(class_words[j].word, word) == 0)
				break;
		if (word == NULL || j == NELEM(class_words) ||
		    strspn(code, "0123456789") != strlen(code) || code[0] == '\0') {
			h->cfg_error(item, "error_map '%s': expected a status number mapped to one"
			    " of temporary, undeliverable, failed", code);
			return -1;
		}
		if ((st->error_map[i].code = strdup(code)) == NULL)
			return -1;
		st->error_map[i].outcome = class_words[j].outcome;
		st->nerror_map++;
	}
	return 0;
}

static int
vg_config(struct vg_state *st)
{
	const struct sb_host *h = st->host;
	struct sb_cfg *root = h->cfg_root(st->inst);
	const char *method = NULL;
	int64_t max_age = 0;
	int bad = 0, verify = -1;

	/* Read every key before failing on any: the operator sees all mistakes at once. */
	if (h->cfg_string(root, "base_url", DEFAULT_BASE, &st->base_url) < 0)
		bad = 1;
	else if (strncmp(st->base_url, "https://", 8) != 0 &&
	    strncmp(st->base_url, "http://", 7) != 0) {
		h->cfg_error(h->cfg_get(root, "base_url"), "base_url must start with https://");
		bad = 1;
	}
	if (h->cfg_string(root, "api_key", NULL, &st->api_key) < 0)
		bad = 1;
	if (h->cfg_get(root, "api_secret") != NULL &&
	    h->secret(st->inst, "api_secret", &st->api_secret) < 0)
		bad = 1;
	if (h->cfg_get(root, "signature_secret") != NULL &&
	    h->secret(st->inst, "signature_secret", &st->sig_secret) < 0)
		bad = 1;
	if (h->cfg_string(root, "signature_method", "md5hash", &method) < 0) {
		bad = 1;
	} else if (vg_sig_method_parse(method, &st->sig_method) < 0) {
		h->cfg_error(h->cfg_get(root, "signature_method"), "signature_method must be one"
		    " of md5hash, md5, sha1, sha256, sha512 (as set in the Vonage dashboard)");
		bad = 1;
	}
	if (h->cfg_bool(root, "sign_requests", 0, &st->sign_requests) < 0)
		bad = 1;
	if (h->cfg_bool(root, "verify_receipts", -1, &verify) < 0)
		bad = 1;
	if (h->cfg_duration_ms(root, "signature_max_age", 300000, &max_age) < 0 || max_age < 0)
		bad = 1;
	st->max_age_s = max_age / 1000;
	if (h->cfg_string(root, "from", NULL, &st->from) < 0)
		bad = 1;
	if (h->cfg_bool(root, "callback", 1, &st->callback) < 0)
		bad = 1;
	if (h->cfg_duration_ms(root, "ttl", 0, &st->ttl_ms) < 0) {
		bad = 1;
	} else if (st->ttl_ms != 0 && (st->ttl_ms < 20000 || st->ttl_ms > 604800000)) {
		h->cfg_error(h->cfg_get(root, "ttl"), "ttl must be between 20s and 168h");
		bad = 1;
	}
	if (h->cfg_int(root, "max_parts", 0, &st->max_parts) < 0 || st->max_parts < 0)
		bad = 1;
	if (h->cfg_int(root, "track_max", 100000, &st->track_max) < 0 || st->track_max < 1)
		bad = 1;
	if (h->cfg_duration_ms(root, "track_ttl", 72 * 3600 * 1000LL, &st->track_ttl_ms) < 0 ||
	    st->track_ttl_ms <= 0)
		bad = 1;
	if (read_error_map(st, root) < 0)
		bad = 1;
	if (bad)
		return -1;
	if (st->api_key == NULL || st->api_key[0] == '\0') {
		h->cfg_error(root, "missing 'api_key'");
		return -1;
	}
	if (st->sign_requests && st->sig_secret == NULL) {
		h->cfg_error(root, "sign_requests needs 'signature_secret'");
		return -1;
	}
	if (st->sign_requests && st->api_secret != NULL) {
		/* Vonage refuses a request with both (status 32). */
		h->cfg_error(h->cfg_get(root, "api_secret"), "a signed request must not carry"
		    " api_secret: remove it, or set sign_requests: false");
		return -1;
	}
	if (!st->sign_requests && st->api_secret == NULL) {
		h->cfg_error(root, "missing 'api_secret' (or 'signature_secret' with"
		    " sign_requests: true)");
		return -1;
	}
	st->verify_receipts = verify >= 0 ? verify : st->sig_secret != NULL;
	if (st->verify_receipts && st->sig_secret == NULL) {
		h->cfg_error(h->cfg_get(root, "verify_receipts"),
		    "verify_receipts needs 'signature_secret'");
		return -1;
	}
	if (!st->verify_receipts)
		h->log(st->inst, SB_LOG_WARN, "delivery receipts are not verified (no signature"
		    " secret): anyone who knows the webhook URL can post them");
	return 0;
}

/* ---- life cycle ---- */

static void
vg_fini(void *state)
{
	struct vg_state *st = state;
	size_t i;

	if (st == NULL)
		return;
	/* No request is out when fini comes, and the host answers any ticket
	 * still open (plugin.h rule 7): nothing to report. */
	for (i = 0; i < st->nerror_map; i++)
		free(st->error_map[i].code);
	free(st->error_map);
	vg_tracker_free(st->tracker);
	sbp_buf_free(&st->url);
	sbp_buf_free(&st->body); /* held api_secret: zeroed */
	wp_free(&st->params);
	free(st);
}

static int
vg_init(const struct sb_host *host, struct sb_instance *inst, void **state)
{
	struct vg_state *st = calloc(1, sizeof(*st));

	if (st == NULL)
		return -1;
	st->host = host;
	st->inst = inst;
	if (vg_config(st) < 0 ||
	    (st->tracker = vg_tracker_new((size_t)st->track_max, st->track_ttl_ms)) == NULL) {
		vg_fini(st);
		return -1;
	}
	*state = st;
	return 0;
}

/* ---- send ---- */

/* The class of a non-zero send status: error_map, the table, else failed. */
static enum sb_outcome
status_class(struct vg_state *st, const char *code, const char **text)
{
	const struct vg_status *s = vg_send_status(code);
	size_t i;

	*text = s != NULL ? s->text : "unknown status";
	for (i = 0; i < st->nerror_map; i++)
		if (strcmp(st->error_map[i].code, code) == 0)
			return st->error_map[i].outcome;
	if (s == NULL) {
		st->host->log(st->inst, SB_LOG_WARN, "unknown Vonage send status '%.8s':"
		    " treated as failed", code);
		return SB_OUT_FAILED;
	}
	return s->outcome;
}

/* A 200 answer: one status per part. */
static void
read_answer(struct vg_state *st, const char *ref, const char *body, size_t len,
    struct sb_send_result *res)
{
	struct vg_answer *a = &st->answer;
	const struct vg_part *bad = NULL;
	const char *ids[VG_MAX_PARTS], *text;
	size_t i, nok = 0;

	if (vg_parse_answer(body, len, a) < 0) {
		/* A 200 may have sent it: do not send twice; the receipt will tell. */
		st->host->log(st->inst, SB_LOG_WARN, "unreadable answer to a send; taken as"
		    " accepted (its receipts still match by client-ref)");
		st->host->counter_add(st->inst, "vonage_unreadable_answers", 1);
		res->outcome = SB_OUT_ACCEPTED;
		res->provider_id = ref[0] != '\0' ? ref : NULL;
		return;
	}
	for (i = 0; i < a->nparts; i++) {
		if (strcmp(a->parts[i].status, "0") == 0)
			ids[nok++] = a->parts[i].id;
		else if (bad == NULL)
			bad = &a->parts[i];
	}
	res->parts = a->count;
	/* Without a client-ref (none fitted) the first part's id is all there is. */
	res->provider_id = ref[0] != '\0' ? ref : nok > 0 && ids[0][0] != '\0' ? ids[0] : NULL;
	if (bad == NULL) {
		res->outcome = SB_OUT_ACCEPTED;
		if (nok > 1 && ref[0] != '\0' &&
		    vg_tracker_add(st->tracker, ref, ids, nok, mono_ms()) < 0)
			st->host->log(st->inst, SB_LOG_WARN, "out of memory tracking %zu parts",
			    nok);
		return;
	}
	res->outcome = status_class(st, bad->status, &text);
	res->error_code = bad->status;
	snprintf(st->errtext, sizeof(st->errtext), "%s%s%s", text, bad->error[0] != '\0' ?
	    ": " : "", bad->error);
	if (nok > 0) {
		/* Some parts went out: a re-send would repeat them, so never retry this one. */
		if (res->outcome == SB_OUT_TEMPORARY)
			res->outcome = SB_OUT_UNDELIVERABLE;
		snprintf(st->errtext + strlen(st->errtext), sizeof(st->errtext) -
		    strlen(st->errtext), " (only %zu of %zu parts accepted)", nok, a->nparts);
	} else {
		res->provider_id = NULL;
		res->parts = 0;
	}
	res->error_text = st->errtext;
	if (strcmp(bad->status, "9") == 0)
		st->host->log(st->inst, SB_LOG_ERROR, "Vonage says the account is out of credit"
		    " (status 9): top it up");
	else if (strcmp(bad->status, "4") == 0 || strcmp(bad->status, "14") == 0)
		st->host->log(st->inst, SB_LOG_ERROR, "Vonage refused our credentials (status"
		    " %s): check api_key and the secrets", bad->status);
}

static void
send_done(void *arg, long status, const char *body, size_t len, const char *error,
    const struct sb_http_reply *reply)
{
	struct vg_pending *p = arg;
	struct vg_state *st = p->st;
	struct sb_send_result res = { .struct_size = sizeof(res), .retry_after_s = -1 };
	char code[16];

	if (status == 200) {
		read_answer(st, p->ref, body, len, &res);
	} else {
		/* Vonage answers 200 even for errors: anything else is the way there. */
		res.outcome = SB_OUT_TEMPORARY;
		if (status == 0) {
			res.error_code = "transport";
			res.error_text = error != NULL ? error : "no answer";
			st->host->counter_add(st->inst, "vonage_transport_errors", 1);
		} else {
			snprintf(code, sizeof(code), "%ld", status);
			snprintf(st->errtext, sizeof(st->errtext), "HTTP %ld from Vonage", status);
			res.error_code = code;
			res.error_text = st->errtext;
			res.retry_after_s = sbp_retry_after(st->host->http_header(reply,
			    "Retry-After"), time(NULL));
		}
	}
	st->host->send_result(st->inst, p->ticket, &res);
	free(p);
}

static int
add_param(struct wp_list *l, const char *name, const char *value)
{
	struct wp_param *v;

	if (l->n == l->cap) {
		size_t cap = l->cap != 0 ? l->cap * 2 : 16;

		if ((v = realloc(l->v, cap * sizeof(*v))) == NULL)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n].name = strdup(name);
	l->v[l->n].value = strdup(value);
	if (l->v[l->n].name == NULL || l->v[l->n].value == NULL) {
		free(l->v[l->n].name);
		free(l->v[l->n].value);
		return -1;
	}
	l->n++;
	return 0;
}

/* The form body from st->params (signed first when configured). 0 or -1. */
static int
build_body(struct vg_state *st)
{
	char ts[24], sig[129];
	size_t i;
	int rc = 0;

	if (st->sign_requests) {
		snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
		if (add_param(&st->params, "timestamp", ts) < 0)
			return -1;
		wp_sort(&st->params);
		if (vg_sign(st->sig_method, st->sig_secret, &st->params, sig, sizeof(sig)) < 0 ||
		    add_param(&st->params, "sig", sig) < 0)
			return -1;
	}
	sbp_buf_clear(&st->body);
	for (i = 0; i < st->params.n; i++)
		rc |= (i > 0 ? sbp_buf_adds(&st->body, "&") : 0) |
		    sbp_escape(&st->body, st->params.v[i].name, strlen(st->params.v[i].name),
		    SBP_ESC_FORM) | sbp_buf_adds(&st->body, "=") |
		    sbp_escape(&st->body, st->params.v[i].value, strlen(st->params.v[i].value),
		    SBP_ESC_FORM);
	return rc != 0 ? -1 : 0;
}

static int
vg_send(void *state, const struct sb_send_request *req)
{
	struct vg_state *st = state;
	static const char *const headers[] = {
		"Content-Type: application/x-www-form-urlencoded", "Accept: application/json", NULL,
	};
	struct sb_http_request hr = { .struct_size = sizeof(hr), .method = "POST",
		.headers = headers };
	const char *to = req->to != NULL && req->to[0] == '+' ? req->to + 1 : req->to;
	const char *from = req->from != NULL && req->from[0] != '\0' ? req->from : st->from;
	const char *key = req->attempt_key != NULL ? req->attempt_key : "";
	const char *cb = st->callback ? st->host->webhook_url(st->inst) : "";
	struct vg_pending *p;
	struct sbp_sms_text info;
	char ttl[24];
	size_t n;
	int rc;

	if (req->text == NULL) {
		sbp_report(st->host, st->inst, req->ticket, SB_OUT_FAILED, "no_text",
		    "the Vonage SMS API sends text, not templates");
		return 0;
	}
	n = to != NULL ? strlen(to) : 0;
	if (n < 7 || n > 15 || strspn(to, "0123456789") != n) {
		sbp_report(st->host, st->inst, req->ticket, SB_OUT_UNDELIVERABLE, "bad_recipient",
		    "Vonage needs an international number of 7 to 15 digits");
		return 0;
	}
	if (from == NULL || from[0] == '\0') {
		sbp_report(st->host, st->inst, req->ticket, SB_OUT_FAILED, "no_sender",
		    "no sender: configure 'from'");
		return 0;
	}
	if (sbp_sms_text_info(req->text, strlen(req->text), 0, &info) < 0) {
		sbp_report(st->host, st->inst, req->ticket, SB_OUT_FAILED, "bad_text",
		    "text is not valid UTF-8");
		return 0;
	}
	if (st->max_parts > 0 && info.parts > st->max_parts) {
		snprintf(st->errtext, sizeof(st->errtext), "text needs %d SMS parts; max_parts"
		    " is %lld", info.parts, (long long)st->max_parts);
		sbp_report(st->host, st->inst, req->ticket, SB_OUT_FAILED, "too_many_parts",
		    st->errtext);
		return 0;
	}
	wp_clear(&st->params);
	rc = add_param(&st->params, "api_key", st->api_key);
	if (!st->sign_requests)
		rc |= add_param(&st->params, "api_secret", st->api_secret);
	rc |= add_param(&st->params, "from", from) | add_param(&st->params, "to", to) |
	    add_param(&st->params, "text", req->text);
	if (info.unicode)
		rc |= add_param(&st->params, "type", "unicode");
	if (cb[0] != '\0')
		rc |= add_param(&st->params, "callback", cb);
	/* Our attempt key comes back in every part's receipt: it is the provider id. */
	if (key[0] != '\0' && strlen(key) <= VG_REF_MAX)
		rc |= add_param(&st->params, "client-ref", key);
	if (st->ttl_ms > 0) {
		snprintf(ttl, sizeof(ttl), "%lld", (long long)st->ttl_ms);
		rc |= add_param(&st->params, "ttl", ttl);
	}
	sbp_buf_clear(&st->url);
	n = strlen(st->base_url);
	while (n > 0 && st->base_url[n - 1] == '/')
		n--;
	rc |= sbp_buf_add(&st->url, st->base_url, n) | sbp_buf_adds(&st->url, "/sms/json");
	if (rc != 0 || build_body(st) < 0 || (p = calloc(1, sizeof(*p))) == NULL) {
		wp_clear(&st->params);
		return -1;
	}
	wp_clear(&st->params); /* values held the secret: gone before anything else runs */
	p->st = st;
	p->ticket = req->ticket;
	if (key[0] != '\0' && strlen(key) <= VG_REF_MAX)
		snprintf(p->ref, sizeof(p->ref), "%s", key);
	hr.url = st->url.p;
	hr.body = st->body.p;
	hr.body_len = st->body.len;
	if (st->host->http_request(st->inst, &hr, send_done, p) < 0) {
		st->host->log(st->inst, SB_LOG_WARN, "could not start the HTTP request");
		free(p);
		return -1;
	}
	return 0;
}

/* ---- delivery receipts ---- */

static void
reject(struct vg_state *st, struct sb_webhook_response *resp, int status, const char *why)
{
	st->host->log(st->inst, SB_LOG_WARN, "receipt rejected with %d: %s", status, why);
	st->host->counter_add(st->inst, "vonage_receipts_rejected", 1);
	resp->status = status;
	resp->body = why;
}

static int
sane(const char *s, size_t max)
{
	size_t i;

	for (i = 0; s != NULL && s[i] != '\0'; i++)
		if (!isgraph((unsigned char)s[i]) || i >= max)
			return 0;
	return 1;
}

/* Signature and freshness; 0 if believable, else the reason. */
static const char *
unverified(struct vg_state *st, const struct wp_list *params)
{
	const char *ts = wp_get(params, "timestamp");
	long long t;

	if (!st->verify_receipts)
		return NULL;
	if (wp_get(params, "sig") == NULL)
		return "missing sig";
	if (!vg_sig_valid(st->sig_method, st->sig_secret, params))
		return "bad sig";
	if (st->max_age_s > 0) {
		if (ts == NULL || ts[0] == '\0' || strspn(ts, "0123456789") != strlen(ts) ||
		    strlen(ts) > 12)
			return "signed receipt without a timestamp";
		t = atoll(ts);
		if (t < (long long)time(NULL) - st->max_age_s ||
		    t > (long long)time(NULL) + st->max_age_s)
			return "timestamp outside signature_max_age";
	}
	return NULL;
}

/* "447700900001" -> "+447700900001"; anything else (an alphanumeric sender) as is. */
static void
vg_plus(char *out, size_t cap, const char *num)
{
	int digits = num != NULL && num[0] != '\0' && strspn(num, "0123456789") == strlen(num);

	snprintf(out, cap, "%s%s", digits ? "+" : "", num != NULL ? num : "");
}

/*
 * An inbound SMS (Vonage's inbound-sms webhook: msisdn, to, messageId,
 * text), verified like a receipt: filed once by its messageId. The parts
 * of a concatenated message (concat=true) are filed as they come, each
 * with its own messageId.
 */
static void
vg_inbound(struct vg_state *st, const struct wp_list *params, struct sb_webhook_response *resp)
{
	const char *msgid = wp_get(params, "messageId");
	char from[40], to[40];
	struct sb_inbound in = { .struct_size = sizeof(in), .from = from, .to = to };

	if (!sane(msgid, VG_ID_MAX - 1) || msgid == NULL || msgid[0] == '\0' ||
	    !sane(wp_get(params, "msisdn"), 32)) {
		reject(st, resp, 400, "inbound message without a good messageId or msisdn");
		return;
	}
	vg_plus(from, sizeof(from), wp_get(params, "msisdn"));
	vg_plus(to, sizeof(to), wp_get(params, "to"));
	in.text = wp_get(params, "text");
	in.provider_id = msgid;
	in.at_ms = vg_timestamp_ms(wp_get(params, "message-timestamp"));
	if (!SB_HOST_HAS(st->host, inbound_message)) {
		st->host->inbound(st->inst, in.from, in.to, in.text);
	} else if (st->host->inbound_message(st->inst, &in) < 0) {
		reject(st, resp, 503, "could not store the message; try again");
		return;
	}
	st->host->counter_add(st->inst, "vonage_inbound", 1);
	resp->status = 200;
	resp->body = "";
}

static void
vg_webhook(void *state, const struct sb_webhook_request *req, struct sb_webhook_response *resp)
{
	struct vg_state *st = state;
	const char *ctype = req->header != NULL ? req->header(req, "Content-Type") : NULL;
	const char *why, *status, *msgid, *ref, *err, *errtext;
	struct sb_receipt r = { .struct_size = sizeof(r) };
	struct wp_list *params = &st->params;
	char refbuf[VG_REF_MAX + 1], text[200];
	enum sb_outcome outcome;
	int rc, part = 0, nparts = 0, temporary;

	wp_clear(params);
	if (strcmp(req->method, "POST") == 0 && req->body_len > 0)
		rc = ctype != NULL && strstr(ctype, "json") != NULL ?
		    wp_parse_json(params, req->body, req->body_len) :
		    wp_parse_form(params, req->body, req->body_len);
	else
		rc = wp_parse_form(params, req->query, strlen(req->query));
	if (rc != 0) {
		reject(st, resp, 400, "malformed receipt");
		goto out;
	}
	wp_sort(params);
	if ((why = unverified(st, params)) != NULL) {
		reject(st, resp, 403, why);
		goto out;
	}
	status = wp_get(params, "status");
	msgid = wp_get(params, "messageId");
	ref = wp_get(params, "client-ref");
	err = wp_get(params, "err-code");
	if (ref != NULL && ref[0] == '\0')
		ref = NULL;
	if ((status == NULL || status[0] == '\0') && wp_get(params, "msisdn") != NULL &&
	    wp_get(params, "text") != NULL) {
		vg_inbound(st, params, resp);
	} else if (status == NULL || status[0] == '\0') {
		reject(st, resp, 400, "missing status");
	} else if ((msgid == NULL || msgid[0] == '\0') && ref == NULL) {
		reject(st, resp, 400, "missing messageId and client-ref");
	} else if (!sane(msgid, VG_ID_MAX - 1) || !sane(ref, VG_REF_MAX) ||
	    (err != NULL && !sane(err, 8))) {
		reject(st, resp, 400, "bad messageId, client-ref or err-code");
	} else if (vg_dlr_outcome(status, &outcome) < 0) {
		reject(st, resp, 400, "unknown status");
	} else {
		enum vg_verdict v = vg_tracker_receipt(st->tracker, ref, msgid, outcome, mono_ms(),
		    &r.outcome, refbuf, sizeof(refbuf), &part, &nparts);

		resp->status = 200;
		resp->body = "";
		st->host->counter_add(st->inst, "vonage_receipts", 1);
		if (v == VG_PENDING || v == VG_DONE) {
			st->host->log(st->inst, SB_LOG_DEBUG, "receipt '%s' for part %d of %d of %s:"
			    " %s", status, part, nparts, refbuf,
			    v == VG_DONE ? "message already reported" : "waiting for the others");
			goto out;
		}
		if (v == VG_UNTRACKED) {
			r.outcome = outcome;
			r.provider_id = ref != NULL ? ref : msgid;
		} else {
			r.provider_id = refbuf;
		}
		if (r.outcome != SB_OUT_DELIVERED && r.outcome != SB_OUT_ACCEPTED && err != NULL &&
		    strcmp(err, "0") != 0) {
			errtext = vg_dlr_error(err, &temporary);
			snprintf(text, sizeof(text), "receipt %s, err-code %s%s%s%s", status, err,
			    errtext != NULL ? " (" : "", errtext != NULL ? errtext : "",
			    errtext != NULL ? ")" : "");
			if (nparts > 1)
				snprintf(text + strlen(text), sizeof(text) - strlen(text),
				    ", part %d of %d", part, nparts);
			r.error_code = err;
			r.error_text = text;
		}
		r.at_ms = vg_timestamp_ms(wp_get(params, "message-timestamp"));
		st->host->receipt(st->inst, &r);
	}
out:
	wp_clear(params);
}

SB_PLUGIN_DEFINE(vonage) = SB_PLUGIN_INIT(
	.name = "vonage",
	.version = "1.0.0",
	.description = "Vonage (Nexmo) SMS API",
	.kind = SB_PLUGIN_CHANNEL,
	.capabilities = SB_CAPABILITIES(
		.max_body_len = 0,               /* Vonage splits long texts (max_parts) */
		.receipts = SB_RECEIPT_WEBHOOK,
		.read_receipts = 0,
		.idempotent = 0,                 /* client-ref is a reference, not a dedup key */
		.default_rate = 0
	),
	.init = vg_init,
	.fini = vg_fini,
	.send = vg_send,
	.webhook = vg_webhook,
);
