/*
 * vonage_util.c - the pure parts of the vonage channel (see vonage_util.h):
 * request signatures, GSM 03.38 detection and part counting, the send
 * answer, and the status tables. The part tracker is vonage_track.c.
 *
 * Never talks to the host, never logs (signature secrets pass through
 * here), never keeps state. Answers and receipts are untrusted: every copy
 * is bounded.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "vonage_util.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- signatures ---- */

static const struct {
	const char *name;
	enum vg_sig_method method;
} sig_methods[] = {
	{ "md5hash", VG_SIG_MD5HASH }, { "md5", VG_SIG_MD5 }, { "sha1", VG_SIG_SHA1 },
	{ "sha256", VG_SIG_SHA256 }, { "sha512", VG_SIG_SHA512 },
};

int
vg_sig_method_parse(const char *name, enum vg_sig_method *out)
{
	size_t i;

	for (i = 0; name != NULL && i < NELEM(sig_methods); i++)
		if (strcmp(sig_methods[i].name, name) == 0) {
			*out = sig_methods[i].method;
			return 0;
		}
	return -1;
}

/* Append s, with '&' and '=' turned into '_' (Vonage's escaping for signing). */
static int
append(char **buf, size_t *len, size_t *cap, const char *s, int escape)
{
	size_t n = strlen(s), i;

	if (*len + n + 1 > *cap) {
		size_t c = *cap != 0 ? *cap : 512;
		char *p;

		while (c < *len + n + 1)
			c *= 2;
		if ((p = realloc(*buf, c)) == NULL)
			return -1;
		*buf = p;
		*cap = c;
	}
	for (i = 0; i < n; i++)
		(*buf)[(*len)++] = escape && (s[i] == '&' || s[i] == '=') ? '_' : s[i];
	(*buf)[*len] = '\0';
	return 0;
}

int
vg_sign(enum vg_sig_method m, const char *secret, const struct wp_list *sorted, char *out,
    size_t cap)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char *s = NULL;
	size_t len = 0, scap = 0, i;
	int rc = append(&s, &len, &scap, "", 0);

	for (i = 0; i < sorted->n && rc == 0; i++) {
		if (strcmp(sorted->v[i].name, "sig") == 0)
			continue;
		rc = append(&s, &len, &scap, "&", 0) | append(&s, &len, &scap, sorted->v[i].name, 0) |
		    append(&s, &len, &scap, "=", 0) | append(&s, &len, &scap, sorted->v[i].value, 1);
	}
	if (rc == 0 && m == VG_SIG_MD5HASH) {
		rc = append(&s, &len, &scap, secret, 0) != 0 ||
		    EVP_Digest(s, len, md, &mdlen, EVP_md5(), NULL) != 1 ? -1 : 0;
	} else if (rc == 0) {
		const EVP_MD *alg = m == VG_SIG_MD5 ? EVP_md5() : m == VG_SIG_SHA1 ? EVP_sha1() :
		    m == VG_SIG_SHA256 ? EVP_sha256() : EVP_sha512();

		rc = HMAC(alg, secret, (int)strlen(secret), (unsigned char *)s, len, md,
		    &mdlen) == NULL ? -1 : 0;
	}
	if (s != NULL) /* md5hash appended the secret: leave nothing behind */
		memset(s, 0, scap);
	free(s);
	if (rc != 0 || cap < 2 * (size_t)mdlen + 1)
		return -1;
	wp_hex(md, mdlen, out);
	return 0;
}

int
vg_sig_valid(enum vg_sig_method m, const char *secret, const struct wp_list *sorted)
{
	const char *given = wp_get(sorted, "sig");
	char want[2 * EVP_MAX_MD_SIZE + 1];

	if (given == NULL || vg_sign(m, secret, sorted, want, sizeof(want)) < 0)
		return 0;
	/* Vonage may send upper-case hex (its docs' example does). */
	return wp_ct_equal(given, strlen(given), want, strlen(want), 1);
}

/* ---- the send answer ---- */

/* A JSON string or integer as bounded printable text; "" otherwise. */
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
vg_parse_answer(const char *body, size_t len, struct vg_answer *a)
{
	json_t *root = json_loadb(body, len, 0, NULL), *msgs, *item;
	char count[16];
	size_t i;

	memset(a, 0, sizeof(*a));
	if (root == NULL || !json_is_object(root) ||
	    !json_is_array(msgs = json_object_get(root, "messages")) ||
	    json_array_size(msgs) == 0) {
		json_decref(root);
		return -1;
	}
	json_array_foreach(msgs, i, item) {
		struct vg_part *p;
		json_t *id;

		if (!json_is_object(item)) {
			json_decref(root);
			return -1;
		}
		if (i >= VG_MAX_PARTS)
			continue;
		p = &a->parts[a->nparts++];
		json_text(json_object_get(item, "status"), p->status, sizeof(p->status));
		json_text(json_object_get(item, "error-text"), p->error, sizeof(p->error));
		/* A cut id would never match a receipt: whole or nothing. */
		id = json_object_get(item, "message-id");
		if (json_is_string(id) && json_string_length(id) < sizeof(p->id) &&
		    strlen(json_string_value(id)) == json_string_length(id))
			memcpy(p->id, json_string_value(id), json_string_length(id) + 1);
		if (p->status[0] == '\0') {
			json_decref(root);
			return -1;
		}
	}
	json_text(json_object_get(root, "message-count"), count, sizeof(count));
	a->count = atoi(count) > 0 && atoi(count) <= 1000 ? atoi(count) :
	    (int)json_array_size(msgs);
	json_decref(root);
	return 0;
}

/* ---- tables ---- */

/* Send statuses [OAS x-errors]; the class is ours (specs/vonage.md). */
static const struct vg_status send_statuses[] = {
	{ .code = 1, .outcome = SB_OUT_TEMPORARY, .text = "throttled" },
	{ .code = 2, .outcome = SB_OUT_FAILED, .text = "missing parameters" },
	{ .code = 3, .outcome = SB_OUT_FAILED, .text = "invalid parameters" },
	{ .code = 4, .outcome = SB_OUT_FAILED, .text = "invalid credentials" },
	{ .code = 5, .outcome = SB_OUT_TEMPORARY, .text = "internal error" },
	{ .code = 6, .outcome = SB_OUT_UNDELIVERABLE,
	  .text = "invalid message (e.g. unrecognised number prefix)" },
	{ .code = 7, .outcome = SB_OUT_UNDELIVERABLE, .text = "number barred" },
	{ .code = 8, .outcome = SB_OUT_FAILED, .text = "partner account barred" },
	{ .code = 9, .outcome = SB_OUT_FAILED, .text = "partner quota violation (no credit)" },
	{ .code = 10, .outcome = SB_OUT_TEMPORARY, .text = "too many existing binds" },
	{ .code = 11, .outcome = SB_OUT_FAILED, .text = "account not enabled for HTTP" },
	{ .code = 12, .outcome = SB_OUT_FAILED, .text = "message too long" },
	{ .code = 14, .outcome = SB_OUT_FAILED, .text = "invalid signature" },
	{ .code = 15, .outcome = SB_OUT_FAILED, .text = "invalid sender address" },
	{ .code = 22, .outcome = SB_OUT_FAILED, .text = "invalid network code" },
	{ .code = 23, .outcome = SB_OUT_FAILED, .text = "invalid callback URL" },
	{ .code = 29, .outcome = SB_OUT_FAILED,
	  .text = "non-whitelisted destination (demo account)" },
	{ .code = 32, .outcome = SB_OUT_FAILED, .text = "signature and api_secret both given" },
	{ .code = 33, .outcome = SB_OUT_UNDELIVERABLE, .text = "number de-activated" },
};

/* Receipt err-codes [KB-DLR]; codes above 14 were not documented to us. */
static const struct {
	int code;
	int temporary;
	const char *text;
} dlr_errors[] = {
	{ 1, 0, "unknown" },
	{ 2, 1, "absent subscriber (temporary)" },
	{ 3, 0, "absent subscriber (permanent)" },
	{ 4, 0, "call barred by user" },
	{ 5, 0, "portability error" },
	{ 6, 0, "anti-spam rejection" },
	{ 7, 1, "handset busy" },
	{ 8, 1, "network error" },
	{ 9, 0, "illegal number (opted out)" },
	{ 10, 0, "illegal message" },
	{ 11, 0, "unroutable" },
	{ 12, 0, "destination unreachable" },
	{ 13, 0, "subscriber age restriction" },
	{ 14, 0, "number blocked by carrier" },
};

/* Receipt statuses [OAS DeliveryReceipt x-possible-values]. */
static const struct {
	const char *word;
	enum sb_outcome outcome;
} dlr_statuses[] = {
	{ "delivered", SB_OUT_DELIVERED },
	{ "expired", SB_OUT_EXPIRED },
	{ "failed", SB_OUT_UNDELIVERABLE },
	{ "rejected", SB_OUT_UNDELIVERABLE },
	{ "accepted", SB_OUT_ACCEPTED },
	{ "buffered", SB_OUT_ACCEPTED },
	{ "unknown", SB_OUT_EXPIRED }, /* final, fate unknown: DESIGN's "unknown = expired" */
};

static int
small_number(const char *s, int *out)
{
	if (s == NULL || *s == '\0' || strlen(s) > 6 || strspn(s, "0123456789") != strlen(s))
		return -1;
	*out = atoi(s);
	return 0;
}

const struct vg_status *
vg_send_status(const char *code)
{
	size_t i;
	int n;

	if (small_number(code, &n) < 0)
		return NULL;
	for (i = 0; i < NELEM(send_statuses); i++)
		if (send_statuses[i].code == n)
			return &send_statuses[i];
	return NULL;
}

int
vg_dlr_outcome(const char *status, enum sb_outcome *out)
{
	size_t i;

	for (i = 0; status != NULL && i < NELEM(dlr_statuses); i++)
		if (strcmp(dlr_statuses[i].word, status) == 0) {
			*out = dlr_statuses[i].outcome;
			return 0;
		}
	return -1;
}

const char *
vg_dlr_error(const char *code, int *temporary)
{
	size_t i;
	int n;

	*temporary = 0;
	if (small_number(code, &n) < 0)
		return NULL;
	for (i = 0; i < NELEM(dlr_errors); i++)
		if (dlr_errors[i].code == n) {
			*temporary = dlr_errors[i].temporary;
			return dlr_errors[i].text;
		}
	return NULL;
}

int64_t
vg_timestamp_ms(const char *s)
{
	struct tm tm = { 0 };
	const char *end;

	if (s == NULL || (end = strptime(s, "%Y-%m-%d %H:%M:%S", &tm)) == NULL || *end != '\0')
		return 0;
	return (int64_t)timegm(&tm) * 1000;
}
