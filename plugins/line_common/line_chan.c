/*
 * line_chan.c - the send path line_push and line_notify share: the keys
 * both read (base_url, the channel access token, notificationDisabled, the
 * quota policy), one JSON POST per message through the host's HTTP client,
 * the requests in flight, and the mapping of LINE's answer onto a result
 * through the plugin's status table (first match wins).
 *
 * Must never: block, keep state outside struct lc_chan, log the token (it
 * lives only in ch->auth, which is handed to the host's HTTP client and
 * wiped at fini), or log a recipient's text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "line_common.h"
#include "sbp_chan.h"
#include "sbp_http.h"

static const struct {
	const char *word;
	enum sb_outcome outcome;
} quota_words[] = {
	{ "undeliverable", SB_OUT_UNDELIVERABLE },
	{ "failed", SB_OUT_FAILED },
	{ "temporary", SB_OUT_TEMPORARY },
};

int
lc_chan_config(struct lc_chan *ch, const char *path)
{
	const struct sb_host *h = ch->host;
	struct sb_cfg *root = h->cfg_root(ch->inst);
	const char *base = NULL, *token = NULL, *quota = NULL;
	int rc = 0;
	size_t i, blen;

	/* Read every key before judging any (plugin.h rule 6). */
	rc |= h->cfg_string(root, "base_url", "https://api.line.me", &base) < 0;
	rc |= h->secret(ch->inst, "channel_access_token", &token) < 0;
	rc |= h->cfg_bool(root, "notification_disabled", 0, &ch->notification_disabled) < 0;
	rc |= h->cfg_string(root, "on_quota", "undeliverable", &quota) < 0;
	rc |= h->cfg_string(root, "quota_message", "monthly limit",
	    &ch->quota_message) < 0;
	if (rc != 0)
		return -1;
	blen = strlen(base);
	if ((strncmp(base, "https://", 8) != 0 && strncmp(base, "http://", 7) != 0) ||
	    strcspn(base, " \t\r\n?#") != blen) {
		h->cfg_error(h->cfg_get(root, "base_url"), "base_url must be an http:// or"
		    " https:// URL without query, e.g. https://api.line.me");
		rc = -1;
	}
	for (i = 0; i < LC_NELEM(quota_words); i++)
		if (strcmp(quota, quota_words[i].word) == 0)
			ch->on_quota = quota_words[i].outcome;
	if (ch->on_quota == 0) {
		h->cfg_error(h->cfg_get(root, "on_quota"), "on_quota must be one of"
		    " undeliverable, failed, temporary");
		rc = -1;
	}
	if (token != NULL && (token[0] == '\0' || strcspn(token, "\r\n") != strlen(token))) {
		h->cfg_error(h->cfg_get(root, "channel_access_token"),
		    "channel_access_token is empty or has a line break");
		rc = -1;
	}
	if (rc != 0)
		return -1;
	while (blen > 0 && base[blen - 1] == '/')
		blen--;
	if (asprintf(&ch->url, "%.*s%s", (int)blen, base, path) < 0) {
		ch->url = NULL;
		return -1;
	}
	if (asprintf(&ch->auth, "Authorization: Bearer %s", token) < 0) {
		ch->auth = NULL;
		return -1;
	}
	return 0;
}

void
lc_chan_report(struct lc_chan *ch, uint64_t ticket, enum sb_outcome o, const char *code,
    const char *text)
{
	sbp_report(ch->host, ch->inst, ticket, o, code, text);
}

void
lc_chan_fini(struct lc_chan *ch)
{
	/* No request is out when fini comes, and the host answers any ticket
	 * still open (plugin.h rule 7): nothing to report. */
	free(ch->url);
	if (ch->auth != NULL) {
		OPENSSL_cleanse(ch->auth, strlen(ch->auth));
		free(ch->auth);
	}
	ch->url = ch->auth = NULL;
}

static void
counter(struct lc_chan *ch, const char *what)
{
	char name[96];

	snprintf(name, sizeof(name), "%s_%s", ch->module, what);
	ch->host->counter_add(ch->inst, name, 1);
}

/* ACCEPTED or DELIVERED: which id the attempt keeps. */
static const char *
answer_id(struct lc_chan *ch, const struct lc_rule *r, const struct lc_pending *p,
    long status, const char *body, size_t len, const struct sb_http_reply *reply)
{
	const char *hv;

	if (r->id_from == LC_ID_KEY) { /* copied: p is freed before the result goes out */
		snprintf(ch->idbuf, sizeof(ch->idbuf), "%s", p->key);
		return ch->idbuf;
	}
	if (r->id_from != LC_ID_SENT)
		return NULL;
	if (lc_sent_id(body, len, ch->idbuf, sizeof(ch->idbuf)) == 0)
		return ch->idbuf;
	hv = r->id_header != NULL ? ch->host->http_header(reply, r->id_header) : NULL;
	if (hv != NULL && hv[0] != '\0' && strlen(hv) < sizeof(ch->idbuf)) {
		snprintf(ch->idbuf, sizeof(ch->idbuf), "%s", hv);
		return ch->idbuf;
	}
	/* Taken is taken: re-sending could deliver twice. */
	ch->host->log(ch->inst, SB_LOG_WARN, "HTTP %ld (%s) without a message id", status,
	    r->why);
	counter(ch, "missing_id");
	return NULL;
}

static void
http_done(void *arg, long status, const char *body, size_t len, const char *error,
    const struct sb_http_reply *reply)
{
	struct lc_pending *p = arg;
	struct lc_chan *ch = p->ch;
	const struct lc_rule *r;
	struct sb_send_result res = { .struct_size = sizeof(res), .retry_after_s = -1 };
	char code[24];
	uint64_t ticket;

	r = lc_rule_find(ch->rules, ch->nrules, status, &lc_rule_other);
	res.outcome = r->outcome;
	if (status == 0) {
		res.outcome = SB_OUT_TEMPORARY;
		res.error_code = "transport";
		res.error_text = error != NULL ? error : "no answer";
		counter(ch, "transport_errors");
	} else if (res.outcome == SB_OUT_ACCEPTED || res.outcome == SB_OUT_DELIVERED) {
		res.provider_id = answer_id(ch, r, p, status, body, len, reply);
		if (r->already) {
			ch->host->log(ch->inst, SB_LOG_INFO, "HTTP %ld: %s; not sent again (id %s)",
			    status, r->why, res.provider_id != NULL ? res.provider_id : "-");
			counter(ch, "already_accepted");
		}
	} else {
		snprintf(code, sizeof(code), "%ld", status);
		res.error_code = code;
		if (lc_error_text(body, len, ch->errtext, sizeof(ch->errtext)) < 0 &&
		    ch->errtext[0] == '\0')
			snprintf(ch->errtext, sizeof(ch->errtext), "HTTP %ld: %s", status, r->why);
		res.error_text = ch->errtext;
		if (r->quota && lc_quota_exhausted(body, len, ch->quota_message)) {
			res.outcome = ch->on_quota;
			counter(ch, "quota_exhausted");
		}
		if (res.outcome == SB_OUT_TEMPORARY)
			res.retry_after_s = sbp_retry_after(ch->host->http_header(reply,
			    "Retry-After"), time(NULL));
		ch->host->log(ch->inst, SB_LOG_DEBUG, "HTTP %ld (%s): %s", status, r->why,
		    ch->errtext);
	}
	ticket = p->ticket;
	free(p);
	/* After the free: the host may stop this instance from inside send_result. */
	ch->host->send_result(ch->inst, ticket, &res);
}

int
lc_chan_send(struct lc_chan *ch, uint64_t ticket, const char *key, const char *to,
    const char *text, const char *const *headers)
{
	const char *hdrv[8];
	size_t nh = 0;
	json_t *body;
	char *json;
	struct lc_pending *p;
	struct sb_http_request hr;

	body = json_pack("{s:s, s:[{s:s, s:s}]}", "to", to, "messages", "type", "text",
	    "text", text);
	if (body == NULL)
		return -2; /* jansson refuses text that is not UTF-8 */
	if (ch->notification_disabled)
		json_object_set_new(body, "notificationDisabled", json_true());
	json = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (json == NULL || (p = calloc(1, sizeof(*p))) == NULL) {
		free(json);
		return -1;
	}
	p->ch = ch;
	p->ticket = ticket;
	snprintf(p->key, sizeof(p->key), "%s", key != NULL ? key : "");
	hdrv[nh++] = ch->auth;
	hdrv[nh++] = "Content-Type: application/json";
	for (size_t i = 0; headers != NULL && headers[i] != NULL && nh + 1 < LC_NELEM(hdrv); i++)
		hdrv[nh++] = headers[i];
	hdrv[nh] = NULL;
	hr = (struct sb_http_request){
		.struct_size = sizeof(hr), .method = "POST", .url = ch->url, .headers = hdrv,
		.body = json, .body_len = strlen(json), .timeout_ms = 0,
	};
	if (ch->host->http_request(ch->inst, &hr, http_done, p) < 0) {
		ch->host->log(ch->inst, SB_LOG_WARN, "could not start the HTTP request");
		free(json);
		free(p);
		return -1;
	}
	free(json); /* the host copied it */
	counter(ch, "requests");
	return 0;
}
