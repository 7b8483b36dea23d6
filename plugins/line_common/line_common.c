/*
 * line_common.c - the pure parts both LINE channels share: the phone-number
 * hash of LINE notification messages, webhook signatures, LINE's error and
 * push answers, the two status tables (push and PNP) and their lookup,
 * users_file lines and webhook bodies. Bounded copies of untrusted input, printable text only.
 *
 * Must never: touch the host, allocate beyond a parse, do I/O, or log
 * (callers log; a secret passes through lc_signature and nowhere else).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "line_common.h"

int
lc_e164(const char *in, char *out, size_t cap)
{
	size_t n = 0;
	const char *p = in;

	if (p == NULL || cap < LC_E164_MAX)
		return -1;
	while (*p == ' ')
		p++;
	if (*p++ != '+')
		return -1;
	out[n++] = '+';
	for (; *p != '\0'; p++) {
		if (*p >= '0' && *p <= '9') {
			if (n == 1 && *p == '0')
				return -1; /* no country code starts with 0 */
			if (n >= 16)
				return -1;
			out[n++] = *p;
		} else if (strchr(" -.()/", *p) == NULL) {
			return -1;
		}
	}
	if (n - 1 < 8)
		return -1;
	out[n] = '\0';
	return 0;
}

int
lc_phone_hash(const char *number, char *out)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[SHA256_DIGEST_LENGTH];
	char e164[LC_E164_MAX];

	if (lc_e164(number, e164, sizeof(e164)) < 0)
		return -1;
	/* The "+" is part of what LINE hashes: "+818000001234" [technical specs]. */
	if (EVP_Digest(e164, strlen(e164), md, NULL, EVP_sha256(), NULL) != 1)
		return -1;
	for (size_t i = 0; i < sizeof(md); i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[LC_HASH_LEN] = '\0';
	return 0;
}

static int
all_hex(const char *s, size_t n, int lower_only)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		    (!lower_only && c >= 'A' && c <= 'F')))
			return 0;
	}
	return 1;
}

int
lc_is_uuid(const char *s)
{
	static const size_t groups[] = { 8, 4, 4, 4, 12 };

	if (s == NULL || strlen(s) != 36)
		return 0;
	for (size_t g = 0; g < LC_NELEM(groups); g++) {
		if (!all_hex(s, groups[g], 0))
			return 0;
		s += groups[g];
		if (g + 1 < LC_NELEM(groups) && *s++ != '-')
			return 0;
	}
	return 1;
}

int
lc_is_line_id(const char *s)
{
	return s != NULL && strlen(s) == LC_USER_ID_LEN && strchr("UCR", s[0]) != NULL &&
	    all_hex(s + 1, LC_USER_ID_LEN - 1, 1);
}

int
lc_signature(const char *key, size_t key_len, const char *body, size_t body_len, char *out)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;

	if (key == NULL || (body == NULL && body_len > 0) || key_len > (size_t)0x7fffffff)
		return -1;
	if (HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)(body ? body : ""),
	    body_len, mac, &mac_len) == NULL || mac_len != 32)
		return -1;
	EVP_EncodeBlock((unsigned char *)out, mac, (int)mac_len);
	OPENSSL_cleanse(mac, sizeof(mac));
	return 0;
}

int
lc_signature_ok(const char *secret, size_t secret_len, const char *body, size_t body_len,
    const char *header)
{
	char want[LC_SIG_LEN + 1];
	int ok;

	if (header == NULL || strlen(header) != LC_SIG_LEN ||
	    lc_signature(secret, secret_len, body, body_len, want) < 0)
		return 0;
	ok = CRYPTO_memcmp(want, header, LC_SIG_LEN) == 0;
	OPENSSL_cleanse(want, sizeof(want));
	return ok;
}

/* Append printable ASCII of s[0..n) to out (used so far *o), keeping a NUL. */
static void
put_clean(char *out, size_t cap, size_t *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n && *o + 1 < cap; i++)
		out[(*o)++] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : ' ';
	out[*o] = '\0';
}

static void
put_str(char *out, size_t cap, size_t *o, const char *s)
{
	put_clean(out, cap, o, s, strlen(s));
}

static json_t *
load_object(const char *body, size_t len)
{
	json_t *j;

	if (body == NULL || len == 0)
		return NULL;
	j = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	if (j != NULL && !json_is_object(j)) {
		json_decref(j);
		return NULL;
	}
	return j;
}

int
lc_error_text(const char *body, size_t len, char *out, size_t cap)
{
	json_t *j = load_object(body, len), *details;
	const char *msg = j != NULL ? json_string_value(json_object_get(j, "message")) : NULL;
	size_t o = 0, i, shown = 0;
	json_t *d;

	if (cap == 0)
		return -1;
	out[0] = '\0';
	if (msg == NULL) {
		json_decref(j);
		put_clean(out, cap, &o, body != NULL ? body : "", body != NULL ? len : 0);
		while (o > 0 && out[o - 1] == ' ')
			out[--o] = '\0';
		return -1;
	}
	put_str(out, cap, &o, msg);
	details = json_object_get(j, "details");
	json_array_foreach(details, i, d) {
		const char *prop = json_string_value(json_object_get(d, "property"));
		const char *dm = json_string_value(json_object_get(d, "message"));

		if (dm == NULL && prop == NULL)
			continue;
		put_str(out, cap, &o, shown++ == 0 ? " (" : "; ");
		if (prop != NULL) {
			put_str(out, cap, &o, prop);
			put_str(out, cap, &o, dm != NULL ? ": " : "");
		}
		if (dm != NULL)
			put_str(out, cap, &o, dm);
	}
	if (shown > 0)
		put_str(out, cap, &o, ")");
	json_decref(j);
	return 0;
}

int
lc_sent_id(const char *body, size_t len, char *out, size_t cap)
{
	json_t *j = load_object(body, len);
	json_t *first = json_array_get(json_object_get(j, "sentMessages"), 0);
	const char *id = json_string_value(json_object_get(first, "id"));
	int rc = -1;

	/* Ids are opaque to us; keep them printable and whole, or not at all. */
	if (id != NULL && id[0] != '\0' && strlen(id) < cap) {
		size_t o = 0;

		put_str(out, cap, &o, id);
		rc = 0;
	}
	json_decref(j);
	return rc;
}

int
lc_quota_exhausted(const char *body, size_t len, const char *needle)
{
	json_t *j = load_object(body, len);
	const char *msg = json_string_value(json_object_get(j, "message"));
	size_t nl = needle != NULL ? strlen(needle) : 0;
	int hit = 0;

	for (const char *p = msg; p != NULL && nl > 0 && *p != '\0' && !hit; p++)
		hit = strncasecmp(p, needle, nl) == 0;
	json_decref(j);
	return hit;
}

/* Push answers [MA pushMessage; DOC status codes and retrying-api-request]. */
const struct lc_rule lc_push_rules[] = {
	{ .lo = 200, .hi = 299, .outcome = SB_OUT_DELIVERED, .id_from = LC_ID_SENT,
	  .id_header = "x-line-request-id", .why = "accepted" },
	{ .lo = 400, .hi = 400, .outcome = SB_OUT_FAILED, .why = "bad request" },
	{ .lo = 401, .hi = 401, .outcome = SB_OUT_FAILED, .why = "bad channel access token" },
	{ .lo = 403, .hi = 403, .outcome = SB_OUT_FAILED, .why = "no permission" },
	{ .lo = 408, .hi = 408, .outcome = SB_OUT_TEMPORARY, .why = "request timeout" },
	/* Same X-Line-Retry-Key already accepted: the first request's message stands. */
	{ .lo = 409, .hi = 409, .outcome = SB_OUT_DELIVERED, .id_from = LC_ID_SENT,
	  .id_header = "x-line-accepted-request-id", .already = 1,
	  .why = "retry key already accepted" },
	{ .lo = 429, .hi = 429, .outcome = SB_OUT_TEMPORARY, .quota = 1,
	  .why = "rate, quota or concurrency limit" },
	{ .lo = 500, .hi = 599, .outcome = SB_OUT_TEMPORARY, .why = "LINE server error" },
};
const size_t lc_push_nrules = LC_NELEM(lc_push_rules);

/* PNP answers [MA pushMessagesByPhone; DOC PNP reference "Status codes"]. */
const struct lc_rule lc_pnp_rules[] = {
	{ .lo = 200, .hi = 299, .outcome = SB_OUT_ACCEPTED, .id_from = LC_ID_KEY,
	  .why = "accepted" },
	{ .lo = 400, .hi = 400, .outcome = SB_OUT_FAILED, .why = "bad request" },
	{ .lo = 401, .hi = 401, .outcome = SB_OUT_FAILED, .why = "bad channel access token" },
	{ .lo = 403, .hi = 403, .outcome = SB_OUT_FAILED, .why = "no permission" },
	{ .lo = 408, .hi = 408, .outcome = SB_OUT_TEMPORARY, .why = "request timeout" },
	/* Not on LINE, country not served, or no consent (unofficial reading). */
	{ .lo = 422, .hi = 422, .outcome = SB_OUT_UNDELIVERABLE,
	  .why = "cannot be sent to this number" },
	{ .lo = 429, .hi = 429, .outcome = SB_OUT_TEMPORARY, .quota = 1,
	  .why = "rate, quota or concurrency limit" },
	{ .lo = 500, .hi = 599, .outcome = SB_OUT_TEMPORARY, .why = "LINE server error" },
};
const size_t lc_pnp_nrules = LC_NELEM(lc_pnp_rules);

/* Anything a table does not name is a request LINE will not take again. */
const struct lc_rule lc_rule_other = { .outcome = SB_OUT_FAILED, .why = "unexpected answer" };

const struct lc_rule *
lc_rule_find(const struct lc_rule *rules, size_t n, long status,
    const struct lc_rule *fallback)
{
	for (size_t i = 0; i < n; i++)
		if (status >= rules[i].lo && status <= rules[i].hi)
			return &rules[i];
	return fallback;
}

int
lc_users_line(const char *line, char *number, char *id, char *err, size_t errcap)
{
	char buf[256];
	size_t n;
	char *last;

	while (*line == ' ' || *line == '\t')
		line++;
	if (*line == '\0' || *line == '#' || *line == '\n' || *line == '\r')
		return 0;
	if ((n = strlen(line)) >= sizeof(buf)) {
		snprintf(err, errcap, "line too long");
		return -1;
	}
	memcpy(buf, line, n + 1);
	while (n > 0 && strchr(" \t\r\n", buf[n - 1]) != NULL)
		buf[--n] = '\0';
	/* The id is the last field; the number before it may hold spaces. */
	last = strrchr(buf, ' ');
	if (strrchr(buf, '\t') > last)
		last = strrchr(buf, '\t');
	if (last == NULL) {
		snprintf(err, errcap, "expected \"+E164 LINE-user-id\" (two fields)");
		return -1;
	}
	*last++ = '\0';
	if (!lc_is_line_id(last)) {
		snprintf(err, errcap, "'%.40s' is not a LINE id (U, C or R and 32 lower-case hex)",
		    last);
		return -1;
	}
	for (n = strlen(buf); n > 0 && (buf[n - 1] == ' ' || buf[n - 1] == '\t');)
		buf[--n] = '\0';
	if (strchr(buf, '\t') != NULL || lc_e164(buf, number, LC_E164_MAX) < 0) {
		snprintf(err, errcap, "'%.32s' is not an E.164 number (+ and 8 to 15 digits)", buf);
		return -1;
	}
	memcpy(id, last, LC_USER_ID_LEN + 1);
	return 1;
}

/* The checks of lc_deliveries, for one event; NULL if it is fine. */
static const char *
check_event(json_t *ev, const char **data, int64_t *at, int *redelivery)
{
	const char *type = json_string_value(json_object_get(ev, "type"));
	json_t *ts, *dc;

	if (!json_is_object(ev))
		return "an event is not an object";
	if (type == NULL)
		return "an event has no string 'type'";
	if (strcmp(type, "delivery") != 0)
		return NULL;
	*data = json_string_value(json_object_get(json_object_get(ev, "delivery"), "data"));
	if (*data == NULL || (*data)[0] == '\0' || strlen(*data) >= LC_ID_MAX)
		return "a delivery event has no usable 'delivery.data'";
	ts = json_object_get(ev, "timestamp");
	if (!json_is_integer(ts) || json_integer_value(ts) < 0)
		return "a delivery event has no integer 'timestamp'";
	*at = json_integer_value(ts);
	dc = json_object_get(json_object_get(ev, "deliveryContext"), "isRedelivery");
	*redelivery = json_is_true(dc);
	return NULL;
}

int
lc_deliveries(const char *body, size_t len, lc_delivery_fn fn, void *arg, size_t *others,
    char *err, size_t errcap)
{
	json_t *j = load_object(body, len), *events, *ev;
	const char *why = NULL, *data = NULL;
	int64_t at = 0;
	int redelivery = 0, n = 0;
	size_t i;

	*others = 0;
	if (j == NULL) {
		snprintf(err, errcap, "the body is not a JSON object");
		return -1;
	}
	events = json_object_get(j, "events");
	if (!json_is_array(events))
		why = "no 'events' array";
	json_array_foreach(events, i, ev) {
		if (why == NULL && (why = check_event(ev, &data, &at, &redelivery)) != NULL)
			snprintf(err, errcap, "event %zu: %s", i, why);
	}
	if (why != NULL) {
		if (!json_is_array(events))
			snprintf(err, errcap, "%s", why);
		json_decref(j);
		return -1;
	}
	json_array_foreach(events, i, ev) {
		data = NULL;
		check_event(ev, &data, &at, &redelivery);
		if (data == NULL) {
			(*others)++;
			continue;
		}
		fn(arg, data, at, redelivery);
		n++;
	}
	json_decref(j);
	return n;
}

int
lc_messages(const char *body, size_t len, lc_message_fn fn, void *arg)
{
	json_t *j = load_object(body, len), *ev;
	size_t i;
	int n = 0;

	if (j == NULL)
		return -1;
	json_array_foreach(json_object_get(j, "events"), i, ev) {
		json_t *msg = json_object_get(ev, "message"), *ts = json_object_get(ev, "timestamp");
		const char *type = json_string_value(json_object_get(ev, "type"));
		const char *user = json_string_value(json_object_get(json_object_get(ev, "source"),
		    "userId"));
		const char *mtype = json_string_value(json_object_get(msg, "type"));
		const char *id = json_string_value(json_object_get(msg, "id"));
		char marker[40];

		if (type == NULL || strcmp(type, "message") != 0 || user == NULL ||
		    mtype == NULL || id == NULL || strlen(id) >= LC_ID_MAX)
			continue;
		/* Stickers, images, locations...: kept as a marker of their type. */
		snprintf(marker, sizeof(marker), "[%.30s]", mtype);
		fn(arg, user, id, strcmp(mtype, "text") == 0 ?
		    json_string_value(json_object_get(msg, "text")) : marker,
		    json_is_integer(ts) ? json_integer_value(ts) : 0);
		n++;
	}
	json_decref(j);
	return n;
}
