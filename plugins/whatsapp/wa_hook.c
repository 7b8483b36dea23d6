/*
 * wa_hook.c - reading what Meta sends to /hooks/<instance>: the
 * X-Hub-Signature-256 check, query parameters of the subscribe handshake,
 * and the walk over webhook payloads (entry[].changes[].value: statuses[],
 * messages[], errors[]). Also the small text helpers the plugin shares.
 *
 * Pure: nothing here logs or calls the host. Nothing in a payload is
 * trusted: every field is type-checked, every copy bounded; the caller
 * checks the signature before calling wa_hook_parse.
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "sbp_chan.h"
#include "wa.h"

/* ---- small helpers ---- */

/* ---- signature ---- */

void
wa_sig_hex(const char *secret, size_t secret_len, const char *body, size_t len, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	HMAC(EVP_sha256(), secret, (int)secret_len, (const unsigned char *)body, len, md, &mdlen);
	for (i = 0; i < 32 && i < mdlen; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

enum wa_sig
wa_sig_check(const char *header, const char *secret, size_t secret_len, const char *body,
    size_t len)
{
	unsigned char want[EVP_MAX_MD_SIZE], got[32];
	unsigned int wlen = 0;
	size_t i;

	if (header == NULL || *header == '\0')
		return WA_SIG_MISSING;
	if (strncasecmp(header, "sha256=", 7) != 0 || strlen(header + 7) != 64)
		return WA_SIG_BAD;
	for (i = 0; i < 32; i++) {
		int hi = hexval((unsigned char)header[7 + 2 * i]);
		int lo = hexval((unsigned char)header[8 + 2 * i]);

		if (hi < 0 || lo < 0)
			return WA_SIG_BAD;
		got[i] = (unsigned char)(hi << 4 | lo);
	}
	if (HMAC(EVP_sha256(), secret, (int)secret_len, (const unsigned char *)body, len, want,
	    &wlen) == NULL || wlen != 32)
		return WA_SIG_BAD;
	return CRYPTO_memcmp(want, got, 32) == 0 ? WA_SIG_OK : WA_SIG_BAD;
}

/* ---- payloads ---- */

static const struct {
	const char *word;
	enum sb_outcome outcome;
} status_words[] = {
	{ "sent", SB_OUT_ACCEPTED },
	{ "delivered", SB_OUT_DELIVERED },
	{ "read", SB_OUT_READ },
	{ "failed", SB_OUT_FAILED }, /* refined by errors[0].code */
};

/* Where an inbound message of each type keeps its text (dotted paths, first found). */
static const struct {
	const char *type;
	const char *paths[2];
} inbound_text[] = {
	{ "text", { "text.body" } },
	{ "button", { "button.text" } },
	{ "interactive", { "interactive.button_reply.title", "interactive.list_reply.title" } },
	{ "reaction", { "reaction.emoji" } },
	{ "image", { "image.caption" } },
	{ "video", { "video.caption" } },
	{ "document", { "document.caption" } },
};

static json_t *
path_get(json_t *v, const char *path)
{
	char key[64];

	while (v != NULL && *path != '\0') {
		size_t n = strcspn(path, ".");

		if (n >= sizeof(key))
			return NULL;
		memcpy(key, path, n);
		key[n] = '\0';
		v = json_object_get(v, key);
		path += n + (path[n] == '.');
	}
	return v;
}

static const char *
str_at(json_t *v, const char *path)
{
	return json_string_value(path_get(v, path));
}

/* "1749416383" (the spec's string) or a number -> ms; 0 if neither. */
static int64_t
timestamp_ms(json_t *v)
{
	const char *s = json_string_value(v);
	char *end;
	long long t;

	if (json_is_integer(v))
		t = json_integer_value(v);
	else if (s != NULL && isdigit((unsigned char)*s))
		t = strtoll(s, &end, 10), t = *end == '\0' ? t : 0;
	else
		return 0;
	return t > 0 && t < INT64_MAX / 1000 ? t * 1000 : 0;
}

static void
walk_statuses(json_t *value, const char *pnid, const struct wa_hook_cb *cb, void *ctx)
{
	json_t *items = json_object_get(value, "statuses"), *it;
	size_t i, j;

	if (items != NULL && !json_is_array(items)) {
		cb->skipped(ctx, "statuses is not a list");
		return;
	}
	json_array_foreach(items, i, it) {
		struct wa_status s = { .phone_number_id = pnid };
		json_t *e0 = json_array_get(json_object_get(it, "errors"), 0);

		s.id = str_at(it, "id");
		s.status = str_at(it, "status");
		if (s.id == NULL || *s.id == '\0' || s.status == NULL) {
			cb->skipped(ctx, "a status without id or status");
			continue;
		}
		for (j = 0; j < WA_NELEM(status_words); j++)
			if (strcmp(s.status, status_words[j].word) == 0) {
				s.known = 1;
				s.outcome = status_words[j].outcome;
			}
		s.recipient_id = str_at(it, "recipient_id");
		s.at_ms = timestamp_ms(json_object_get(it, "timestamp"));
		if (json_is_object(e0)) {
			s.has_error = json_is_integer(json_object_get(e0, "code"));
			s.err_code = (long)json_integer_value(json_object_get(e0, "code"));
			s.err_title = str_at(e0, "title");
			s.err_details = str_at(e0, "error_data.details");
			if (s.err_title == NULL)
				s.err_title = str_at(e0, "message");
		}
		if (s.known && s.outcome == SB_OUT_FAILED)
			s.outcome = wa_classify_failed_status(s.err_code, s.has_error);
		cb->status(ctx, &s);
	}
}

static void
walk_messages(json_t *value, const char *pnid, const struct wa_hook_cb *cb, void *ctx)
{
	json_t *items = json_object_get(value, "messages"), *it;
	size_t i, j, k;

	if (items != NULL && !json_is_array(items)) {
		cb->skipped(ctx, "messages is not a list");
		return;
	}
	json_array_foreach(items, i, it) {
		struct wa_inbound m = {
			.from = str_at(it, "from"), .id = str_at(it, "id"), .type = str_at(it, "type"),
			.to = str_at(value, "metadata.display_phone_number"), .phone_number_id = pnid,
		};

		if (m.from == NULL || *m.from == '\0' || m.type == NULL) {
			cb->skipped(ctx, "a message without from or type");
			continue;
		}
		for (j = 0; j < WA_NELEM(inbound_text); j++)
			if (strcmp(m.type, inbound_text[j].type) == 0)
				for (k = 0; k < 2 && m.text == NULL && inbound_text[j].paths[k]; k++)
					m.text = str_at(it, inbound_text[j].paths[k]);
		cb->inbound(ctx, &m);
	}
}

static void
walk_errors(json_t *value, const struct wa_hook_cb *cb, void *ctx)
{
	json_t *e;
	size_t i;

	json_array_foreach(json_object_get(value, "errors"), i, e) {
		const char *title = str_at(e, "title");

		cb->system_error(ctx, (long)json_integer_value(json_object_get(e, "code")),
		    title != NULL ? title : str_at(e, "message"), str_at(e, "error_data.details"));
	}
}

int
wa_hook_parse(const char *body, size_t len, const struct wa_hook_cb *cb, void *ctx,
    char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root = json_loadb(body, len, 0, &jerr), *entry, *change;
	const char *object;
	size_t i, j;

	if (root == NULL) {
		sbp_snippet(err, errlen, jerr.text, strlen(jerr.text));
		return -1;
	}
	object = str_at(root, "object");
	if (object == NULL || strcmp(object, "whatsapp_business_account") != 0 ||
	    !json_is_array(json_object_get(root, "entry"))) {
		snprintf(err, errlen, "not a whatsapp_business_account payload with an entry list");
		json_decref(root);
		return -1;
	}
	json_array_foreach(json_object_get(root, "entry"), i, entry) {
		json_t *changes = json_object_get(entry, "changes");

		if (!json_is_array(changes)) {
			cb->skipped(ctx, "an entry without a changes list");
			continue;
		}
		json_array_foreach(changes, j, change) {
			const char *field = str_at(change, "field");
			json_t *value = json_object_get(change, "value");
			const char *pnid;

			if (field == NULL || strcmp(field, "messages") != 0) {
				cb->skipped(ctx, "a change of a field other than messages");
				continue;
			}
			if (!json_is_object(value)) {
				cb->skipped(ctx, "a change without a value");
				continue;
			}
			pnid = str_at(value, "metadata.phone_number_id");
			walk_statuses(value, pnid, cb, ctx);
			walk_messages(value, pnid, cb, ctx);
			walk_errors(value, cb, ctx);
		}
	}
	json_decref(root);
	return 0;
}
