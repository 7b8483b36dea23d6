/*
 * wa_errors.c - what a WhatsApp Cloud API error code means for a message:
 * the code table, parsing of Graph error answers, and the classification
 * of send answers and `failed` status callbacks.
 *
 * Meta says to key error handling on error.code (plus error_data.details),
 * not on the HTTP status or the title; the HTTP status is only the fallback
 * for answers that are not Graph errors (a proxy's 502 page, say). Codes and
 * classes: specs/whatsapp.md, "Error codes and retry class". Pure: no host,
 * no I/O.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "sbp_chan.h"
#include "wa.h"

#define CODE(c) .lo = (c), .hi = (c)

/* Sorted by code; ranges do not overlap (binary search). */
const struct wa_code wa_codes[] = {
	/* account and configuration: nothing we retry fixes them, an operator must act */
	{ CODE(0), .cls = WA_FAILED, .alert = 1, .what = "access token invalid" },
	/* Meta-side trouble */
	{ CODE(1), .cls = WA_TEMPORARY, .what = "API unknown error" },
	{ CODE(2), .cls = WA_TEMPORARY, .what = "API service error" },
	{ CODE(3), .cls = WA_FAILED, .alert = 1, .what = "missing capability or permission" },
	{ CODE(4), .cls = WA_TEMPORARY, .what = "app call rate limit" },
	{ CODE(10), .cls = WA_FAILED, .alert = 1, .what = "permission denied" },
	{ CODE(100), .cls = WA_FAILED, .what = "invalid parameter" },
	{ CODE(104), .cls = WA_FAILED, .alert = 1, .what = "access token missing" },
	{ CODE(190), .cls = WA_FAILED, .alert = 1, .what = "access token invalid or expired" },
	{ .lo = 200, .hi = 299, .cls = WA_FAILED, .alert = 1, .what = "permission denied" },
	{ CODE(368), .cls = WA_FAILED, .alert = 1, .what = "temporarily blocked for policy violations" },
	{ CODE(80007), .cls = WA_TEMPORARY, .what = "WABA rate limit" },
	{ CODE(130429), .cls = WA_TEMPORARY, .what = "throughput rate limit" },
	{ CODE(130472), .cls = WA_UNDELIVERABLE, .what = "recipient is part of an experiment" },
	{ CODE(131000), .cls = WA_TEMPORARY, .what = "something went wrong" },
	{ CODE(131008), .cls = WA_FAILED, .what = "required parameter missing" },
	{ CODE(131009), .cls = WA_FAILED, .what = "parameter value not valid" },
	{ CODE(131016), .cls = WA_TEMPORARY, .what = "service unavailable" },
	{ CODE(131021), .cls = WA_UNDELIVERABLE, .what = "recipient cannot be the sender" },
	{ CODE(131026), .cls = WA_UNDELIVERABLE, .what = "message undeliverable" },
	{ CODE(131031), .cls = WA_FAILED, .alert = 1, .what = "business account locked" },
	{ CODE(131042), .cls = WA_FAILED, .alert = 1, .what = "business eligibility or payment issue" },
	/* outside the 24 h window only a template goes through: another channel may reach them */
	{ CODE(131047), .cls = WA_UNDELIVERABLE, .what = "re-engagement message (more than 24 h)" },
	/* quality-driven: back off hard */
	{ CODE(131048), .cls = WA_TEMPORARY, .min_retry_s = 300, .what = "spam rate limit" },
	{ CODE(131049), .cls = WA_UNDELIVERABLE, .what = "not delivered to maintain ecosystem health" },
	{ CODE(131050), .cls = WA_UNDELIVERABLE, .what = "recipient stopped marketing messages" },
	{ CODE(131051), .cls = WA_FAILED, .what = "unsupported message type" },
	/* about one message per 6 s to the same recipient */
	{ CODE(131056), .cls = WA_TEMPORARY, .min_retry_s = 6, .what = "pair rate limit" },
	{ CODE(132000), .cls = WA_FAILED, .what = "template parameter count mismatch" },
	{ CODE(132001), .cls = WA_FAILED, .what = "template does not exist" },
	{ CODE(132005), .cls = WA_FAILED, .what = "template hydrated text too long" },
	{ CODE(132007), .cls = WA_FAILED, .what = "template format character policy violated" },
	{ CODE(132012), .cls = WA_FAILED, .what = "template parameter format mismatch" },
	{ CODE(132015), .cls = WA_FAILED, .what = "template paused" },
	{ CODE(132016), .cls = WA_FAILED, .what = "template disabled" },
	{ CODE(133010), .cls = WA_FAILED, .alert = 1, .what = "phone number not registered" },
};

/* Answers that carry no Graph error: the HTTP status is all we have. */
static const struct {
	long lo, hi;
	enum wa_class cls;
	const char *what;
} http_classes[] = {
	{ 0, 0, WA_TEMPORARY, "no answer" },
	{ 408, 408, WA_TEMPORARY, "request timeout" },
	{ 429, 429, WA_TEMPORARY, "too many requests" },
	{ 500, 599, WA_TEMPORARY, "server error" },
	{ 401, 401, WA_FAILED, "unauthorized" },
	{ 403, 403, WA_FAILED, "forbidden" },
};

const size_t wa_ncodes = WA_NELEM(wa_codes);

static const enum sb_outcome class_outcome[] = {
	[WA_TEMPORARY] = SB_OUT_TEMPORARY,
	[WA_FAILED] = SB_OUT_FAILED,
	[WA_UNDELIVERABLE] = SB_OUT_UNDELIVERABLE,
};

const struct wa_code *
wa_code_lookup(long code)
{
	size_t lo = 0, hi = wa_ncodes;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (code < wa_codes[mid].lo)
			hi = mid;
		else if (code > wa_codes[mid].hi)
			lo = mid + 1;
		else
			return &wa_codes[mid];
	}
	return NULL;
}

static void
copy_text(char *out, size_t cap, json_t *v)
{
	const char *s = json_string_value(v);

	out[0] = '\0';
	if (s != NULL)
		sbp_snippet(out, cap, s, strlen(s));
}

int
wa_api_error_parse(const char *body, size_t len, struct wa_api_error *out)
{
	json_t *root, *e, *code;

	memset(out, 0, sizeof(*out));
	if (body == NULL || len == 0 ||
	    (root = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL)) == NULL)
		return -1;
	e = json_object_get(root, "error");
	code = json_object_get(e, "code");
	if (!json_is_object(e) || !json_is_integer(code)) {
		json_decref(root);
		return -1;
	}
	out->code = (long)json_integer_value(code);
	out->is_transient = json_is_true(json_object_get(e, "is_transient"));
	copy_text(out->message, sizeof(out->message), json_object_get(e, "message"));
	copy_text(out->details, sizeof(out->details),
	    json_object_get(json_object_get(e, "error_data"), "details"));
	json_decref(root);
	return 0;
}

void
wa_classify_send(long http_status, const struct wa_api_error *e, struct wa_verdict *out)
{
	const struct wa_code *c = e != NULL ? wa_code_lookup(e->code) : NULL;
	size_t i;

	*out = (struct wa_verdict){ .outcome = SB_OUT_FAILED, .what = "request refused" };
	if (e != NULL && e->is_transient) {
		out->outcome = SB_OUT_TEMPORARY;
		out->min_retry_s = c != NULL && c->cls == WA_TEMPORARY ? c->min_retry_s : 0;
		out->what = c != NULL ? c->what : "transient error";
		return;
	}
	if (c != NULL) {
		out->outcome = class_outcome[c->cls];
		out->min_retry_s = c->min_retry_s;
		out->alert = c->alert;
		out->what = c->what;
		return;
	}
	for (i = 0; i < WA_NELEM(http_classes); i++)
		if (http_status >= http_classes[i].lo && http_status <= http_classes[i].hi) {
			out->outcome = class_outcome[http_classes[i].cls];
			out->alert = http_status == 401 || http_status == 403;
			out->what = http_classes[i].what;
			return;
		}
}

enum sb_outcome
wa_classify_failed_status(long code, int has_code)
{
	const struct wa_code *c = has_code ? wa_code_lookup(code) : NULL;

	if (c == NULL)
		return SB_OUT_FAILED;
	return c->cls == WA_UNDELIVERABLE ? SB_OUT_UNDELIVERABLE : SB_OUT_FAILED;
}
