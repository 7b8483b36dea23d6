/*
 * twilio_util.c - the pure parts of the twilio channel (see twilio_util.h):
 * request building, answer reading, the status and error tables, and the
 * X-Twilio-Signature algorithm of Twilio's own validator.
 *
 * Never talks to the host, never logs (the auth token passes through
 * here), never keeps state. Answers and callbacks are untrusted: every copy
 * is bounded.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "sbp_http.h"
#include "twilio_util.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

int
tw_sid_valid(const char *s, const char *prefix)
{
	size_t i;

	if (s == NULL || strncmp(s, prefix, 2) != 0 || strlen(s) != TW_SID_LEN)
		return 0;
	for (i = 2; i < TW_SID_LEN; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

int
tw_message_sid_valid(const char *s)
{
	return tw_sid_valid(s, "SM") || tw_sid_valid(s, "MM");
}

/* ---- requests ---- */

static int
add_base(struct sbp_buf *out, const char *base, const char *account)
{
	size_t n = strlen(base);

	while (n > 0 && base[n - 1] == '/') /* "https://api.twilio.com/" is the same base */
		n--;
	return sbp_buf_add(out, base, n) | sbp_buf_adds(out, "/2010-04-01/Accounts/") |
	    sbp_escape(out, account, strlen(account), SBP_ESC_URL);
}

int
tw_create_url(struct sbp_buf *out, const char *base, const char *account)
{
	return add_base(out, base, account) | sbp_buf_adds(out, "/Messages.json");
}

int
tw_fetch_url(struct sbp_buf *out, const char *base, const char *account, const char *sid)
{
	return add_base(out, base, account) | sbp_buf_adds(out, "/Messages/") |
	    sbp_escape(out, sid, strlen(sid), SBP_ESC_URL) | sbp_buf_adds(out, ".json");
}

static int
field(struct sbp_buf *out, const char *name, const char *value)
{
	if (value == NULL)
		return 0;
	return (out->len > 0 ? sbp_buf_adds(out, "&") : 0) | sbp_buf_adds(out, name) |
	    sbp_buf_adds(out, "=") | sbp_escape(out, value, strlen(value), SBP_ESC_FORM);
}

int
tw_create_body(struct sbp_buf *out, const struct tw_create *c)
{
	char validity[24];
	int rc;

	rc = field(out, "To", c->to) | field(out, "From", c->from) |
	    field(out, "MessagingServiceSid", c->service_sid) | field(out, "Body", c->body) |
	    field(out, "ContentSid", c->content_sid) |
	    field(out, "ContentVariables", c->content_vars) |
	    field(out, "StatusCallback", c->callback);
	if (c->validity_s > 0) {
		snprintf(validity, sizeof(validity), "%lld", (long long)c->validity_s);
		rc |= field(out, "ValidityPeriod", validity);
	}
	return rc != 0 ? -1 : 0;
}

long
tw_body_chars(const char *s, size_t len)
{
	const char *end = s + len;
	uint32_t cp;
	long n = 0;

	while (s < end) {
		if (wp_utf8_next(&s, end, &cp) < 0)
			return -1;
		n++;
	}
	return n;
}

/* ---- answers ---- */

/* A JSON string or integer as bounded printable text; "" for anything else. */
static void
json_text(json_t *v, char *out, size_t cap)
{
	const char *s = NULL;
	char num[32];
	size_t i, o = 0;

	if (json_is_string(v))
		s = json_string_value(v);
	else if (json_is_integer(v) && snprintf(num, sizeof(num), "%lld",
	    (long long)json_integer_value(v)) > 0)
		s = num;
	for (i = 0; s != NULL && s[i] != '\0' && o + 1 < cap; i++)
		out[o++] = isprint((unsigned char)s[i]) ? s[i] : ' ';
	out[o] = '\0';
}

int
tw_parse_message(const char *body, size_t len, struct tw_message *m)
{
	json_t *root = json_loadb(body, len, 0, NULL), *sid;
	char seg[16];
	size_t i, n;

	memset(m, 0, sizeof(*m));
	if (root == NULL || !json_is_object(root)) {
		json_decref(root);
		return -1;
	}
	sid = json_object_get(root, "sid");
	json_text(json_object_get(root, "status"), m->status, sizeof(m->status));
	json_text(json_object_get(root, "error_code"), m->error_code, sizeof(m->error_code));
	json_text(json_object_get(root, "error_message"), m->error_message,
	    sizeof(m->error_message));
	json_text(json_object_get(root, "num_segments"), seg, sizeof(seg));
	m->segments = atoi(seg) > 0 && atoi(seg) < 10000 ? atoi(seg) : 0;
	/* A cut or odd sid would never match a callback: take it whole or not at all. */
	if (json_is_string(sid) && (n = json_string_length(sid)) > 0 && n < sizeof(m->sid)) {
		const char *s = json_string_value(sid);

		for (i = 0; i < n; i++)
			if (!isalnum((unsigned char)s[i]))
				break;
		if (i == n)
			memcpy(m->sid, s, n + 1);
	}
	json_decref(root);
	return m->sid[0] != '\0' ? 0 : -1;
}

void
tw_parse_error(const char *body, size_t len, char *code, size_t codecap, char *msg,
    size_t msgcap)
{
	json_t *root = json_loadb(body, len, 0, NULL), *m;

	code[0] = msg[0] = '\0';
	if (root == NULL || !json_is_object(root)) {
		json_decref(root);
		return;
	}
	json_text(json_object_get(root, "code"), code, codecap);
	m = json_object_get(root, "message");
	if (!json_is_string(m))
		m = json_object_get(root, "detail");
	json_text(m, msg, msgcap);
	json_decref(root);
}

/* ---- tables ---- */

/*
 * Twilio error codes and our class. Sources: /work/shared/specs/twilio.md
 * ("Common error codes"); the classes of 30004, 30005, 30007, 30008 and of
 * the 21xxx codes are our reading of the code names, so error_map can
 * change any of them.
 */
static const struct tw_error tw_errors[] = {
	{ .code = 20003, .outcome = SB_OUT_FAILED, .text = "authentication failed" },
	{ .code = 20404, .outcome = SB_OUT_FAILED, .text = "resource not found" },
	{ .code = 20429, .outcome = SB_OUT_TEMPORARY, .text = "too many requests" },
	{ .code = 21211, .outcome = SB_OUT_UNDELIVERABLE, .text = "invalid 'To' number" },
	{ .code = 21606, .outcome = SB_OUT_FAILED, .text = "'From' cannot send SMS" },
	{ .code = 21608, .outcome = SB_OUT_FAILED,
	  .text = "'To' is not verified on this trial account" },
	{ .code = 21609, .outcome = SB_OUT_FAILED, .text = "invalid StatusCallback" },
	{ .code = 21610, .outcome = SB_OUT_UNDELIVERABLE,
	  .text = "recipient unsubscribed (replied STOP)" },
	{ .code = 21612, .outcome = SB_OUT_UNDELIVERABLE, .text = "cannot route to 'To'" },
	{ .code = 21614, .outcome = SB_OUT_UNDELIVERABLE, .text = "'To' is not a mobile number" },
	{ .code = 21635, .outcome = SB_OUT_UNDELIVERABLE, .text = "'To' is a landline" },
	{ .code = 30001, .outcome = SB_OUT_TEMPORARY, .text = "queue overflow" },
	{ .code = 30002, .outcome = SB_OUT_FAILED, .text = "account suspended" },
	{ .code = 30003, .outcome = SB_OUT_TEMPORARY, .text = "unreachable destination handset" },
	{ .code = 30004, .outcome = SB_OUT_UNDELIVERABLE, .text = "message blocked" },
	{ .code = 30005, .outcome = SB_OUT_UNDELIVERABLE,
	  .text = "unknown or inactive destination" },
	{ .code = 30006, .outcome = SB_OUT_UNDELIVERABLE,
	  .text = "landline or unreachable carrier" },
	{ .code = 30007, .outcome = SB_OUT_UNDELIVERABLE, .text = "carrier filtering" },
	{ .code = 30008, .outcome = SB_OUT_TEMPORARY, .text = "unknown error" },
};

/* Message status words (OAI message_enum_status) and what they mean to us. */
static const struct {
	const char *word;
	enum sb_outcome outcome;
} tw_statuses[] = {
	{ "accepted", SB_OUT_ACCEPTED },
	{ "scheduled", SB_OUT_ACCEPTED },
	{ "queued", SB_OUT_ACCEPTED },
	{ "sending", SB_OUT_ACCEPTED },
	{ "sent", SB_OUT_ACCEPTED },     /* a carrier took it; a DLR may follow */
	{ "partially_delivered", SB_OUT_ACCEPTED }, /* undocumented: in flight (status_map) */
	{ "delivered", SB_OUT_DELIVERED },
	{ "read", SB_OUT_READ },
	{ "undelivered", SB_OUT_UNDELIVERABLE },
	{ "failed", SB_OUT_FAILED },
	{ "canceled", SB_OUT_FAILED },
};

const struct tw_error *
tw_error_find(int code)
{
	size_t i;

	for (i = 0; i < NELEM(tw_errors); i++)
		if (tw_errors[i].code == code)
			return &tw_errors[i];
	return NULL;
}

static int
all_digits(const char *s)
{
	if (s == NULL || *s == '\0' || strlen(s) > 9)
		return 0;
	for (; *s != '\0'; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

int
tw_error_class(const struct tw_overrides *ov, const char *code, enum sb_outcome *out,
    const char **text)
{
	const struct tw_error *e;
	size_t i;

	if (!all_digits(code))
		return -1;
	e = tw_error_find(atoi(code));
	*text = e != NULL ? e->text : NULL;
	for (i = 0; ov != NULL && i < ov->nerror; i++)
		if (strcmp(ov->error[i].key, code) == 0) {
			*out = ov->error[i].outcome;
			return 0;
		}
	if (e == NULL)
		return -1;
	*out = e->outcome;
	return 0;
}

enum sb_outcome
tw_classify_failure(const struct tw_overrides *ov, long http_status, const char *code)
{
	enum sb_outcome out;
	const char *text;

	if (http_status != 0 && tw_error_class(ov, code, &out, &text) == 0)
		return out;
	/* No known code: the HTTP status's default class (plugins/common). */
	out = sbp_http_outcome(http_status);
	return out == SB_OUT_ACCEPTED ? SB_OUT_FAILED : out; /* a 2xx is no failure to classify */
}

int
tw_status_outcome(const struct tw_overrides *ov, const char *status, const char *code,
    enum sb_outcome *out)
{
	enum sb_outcome cls;
	const char *text;
	size_t i;
	int found = 0;

	for (i = 0; ov != NULL && i < ov->nstatus && !found; i++)
		if (strcmp(ov->status[i].key, status) == 0) {
			*out = ov->status[i].outcome;
			found = 1;
		}
	for (i = 0; i < NELEM(tw_statuses) && !found; i++)
		if (strcmp(tw_statuses[i].word, status) == 0) {
			*out = tw_statuses[i].outcome;
			found = 1;
		}
	if (!found)
		return -1;
	if ((*out == SB_OUT_FAILED || *out == SB_OUT_UNDELIVERABLE) && code != NULL &&
	    tw_error_class(ov, code, &cls, &text) == 0)
		*out = cls == SB_OUT_FAILED ? SB_OUT_FAILED : SB_OUT_UNDELIVERABLE;
	return 0;
}

/* ---- X-Twilio-Signature ---- */

int
tw_signature(const char *token, const char *url, const struct wp_list *sorted, char *out)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	struct sbp_buf s = { 0 };
	size_t i;
	int rc = sbp_buf_adds(&s, url);

	/* Twilio's validator iterates the distinct names, then each one's values. */
	for (i = 0; i < sorted->n && rc == 0; i++)
		rc = sbp_buf_adds(&s, sorted->v[i].name) | sbp_buf_adds(&s, sorted->v[i].value);
	if (rc == 0 && HMAC(EVP_sha1(), token, (int)strlen(token), (unsigned char *)s.p,
	    s.len, mac, &maclen) != NULL && maclen == 20)
		rc = EVP_EncodeBlock((unsigned char *)out, mac, (int)maclen) == TW_SIG_LEN ? 0 : -1;
	else
		rc = -1;
	sbp_buf_free(&s);
	return rc;
}

/* Where the port of an absolute URL is: [*pstart, *pend) (empty if none). 0 or -1. */
static int
url_port(const char *url, size_t *hstart, size_t *pstart, size_t *pend)
{
	const char *sep = strstr(url, "://"), *host, *end, *colon = NULL, *p;

	if (sep == NULL)
		return -1;
	host = sep + 3;
	end = host + strcspn(host, "/?#");
	for (p = host; p < end; p++) {
		if (*p == '@')
			colon = NULL, host = p + 1;
		else if (*p == ']')
			colon = NULL; /* an IPv6 literal's colons are not a port */
		else if (*p == ':')
			colon = p;
	}
	*hstart = (size_t)(host - url);
	*pstart = *pend = (size_t)(end - url);
	if (colon != NULL)
		*pstart = (size_t)(colon - url);
	return 0;
}

static int
sig_matches(const char *token, const char *url, const struct wp_list *sorted,
    const char *header, size_t hlen)
{
	char sig[TW_SIG_LEN + 1];

	return tw_signature(token, url, sorted, sig) == 0 &&
	    wp_ct_equal(header, hlen, sig, TW_SIG_LEN, 0);
}

/* The hex value of bodySHA256 in the URL's query, or NULL. */
static const char *
body_hash_param(const char *url, size_t *len)
{
	const char *q = strchr(url, '?'), *p;

	if (q == NULL)
		return NULL;
	p = q + 1;
	while (*p != '\0' && *p != '#') {
		size_t n = strcspn(p, "&#");

		if (n >= 11 && strncmp(p, "bodySHA256=", 11) == 0) {
			*len = n - 11;
			return p + 11;
		}
		p += n;
		if (*p != '&')
			break;
		p++;
	}
	return NULL;
}

int
tw_signature_valid(const char *token, const char *url, const struct wp_list *sorted,
    const char *body, size_t body_len, const char *header)
{
	static const struct wp_list none = { 0 };
	const struct wp_list *params = sorted;
	struct sbp_buf alt = { 0 };
	size_t hlen, hstart, pstart, pend, hashlen = 0;
	const char *hash;
	int ok;

	if (header == NULL || token == NULL || url == NULL)
		return 0;
	hlen = strlen(header);
	if ((hash = body_hash_param(url, &hashlen)) != NULL) {
		unsigned char md[EVP_MAX_MD_SIZE];
		unsigned int mdlen = 0;
		char hex[2 * EVP_MAX_MD_SIZE + 1];

		if (EVP_Digest(body, body_len, md, &mdlen, EVP_sha256(), NULL) != 1)
			return 0;
		wp_hex(md, mdlen, hex);
		if (!wp_ct_equal(hash, hashlen, hex, strlen(hex), 1))
			return 0;
		params = &none; /* a JSON body is covered by its hash, not by parameters */
	}
	ok = sig_matches(token, url, params, header, hlen);
	if (!ok && url_port(url, &hstart, &pstart, &pend) == 0) {
		if (pstart != pend) { /* try without the port */
			ok = sbp_buf_add(&alt, url, pstart) == 0 &&
			    sbp_buf_adds(&alt, url + pend) == 0 &&
			    sig_matches(token, alt.p, params, header, hlen);
		} else { /* try with the scheme's default port */
			ok = sbp_buf_add(&alt, url, pend) == 0 &&
			    sbp_buf_adds(&alt, strncmp(url, "https:", 6) == 0 ? ":443" : ":80") == 0 &&
			    sbp_buf_adds(&alt, url + pend) == 0 &&
			    sig_matches(token, alt.p, params, header, hlen);
		}
	}
	sbp_buf_free(&alt);
	return ok;
}
