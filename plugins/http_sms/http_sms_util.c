/*
 * http_sms_util.c - the pure parts of the http_sms channel (see
 * http_sms_util.h): templates parsed once and expanded per send with the
 * right escaping, status classification, provider id extraction, and the
 * JSON lookups receipts need.
 *
 * Never talks to the host, never logs (values may be secrets), never keeps
 * state between calls. Every parser here bounds what it reads and copies:
 * its input may come from a provider or from anyone who finds the webhook.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http_sms_util.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- templates ---- */

static const char *const hs_var_names[HS_VAR_COUNT] = {
	[HS_VAR_TO] = "to",
	[HS_VAR_TO_DIGITS] = "to_digits",
	[HS_VAR_FROM] = "from",
	[HS_VAR_TEXT] = "text",
	[HS_VAR_MESSAGE_ID] = "message_id",
	[HS_VAR_ATTEMPT_KEY] = "attempt_key",
	[HS_VAR_DLR_URL] = "dlr_url",
	[HS_VAR_SUBACCOUNT] = "subaccount",
};

static int
seg_push(struct hs_tmpl *t, size_t *cap, struct hs_seg seg)
{
	/* Adjacent literals merge, so "{{x}}" stays one segment. */
	if (seg.kind == HS_SEG_LITERAL && t->n > 0 && t->segs[t->n - 1].kind == HS_SEG_LITERAL &&
	    t->segs[t->n - 1].str + t->segs[t->n - 1].len == seg.str) {
		t->segs[t->n - 1].len += seg.len;
		return 0;
	}
	if (t->n == *cap) {
		size_t ncap = *cap != 0 ? *cap * 2 : 4;
		struct hs_seg *p = realloc(t->segs, ncap * sizeof(*p));

		if (p == NULL)
			return -1;
		t->segs = p;
		*cap = ncap;
	}
	t->segs[t->n++] = seg;
	return 0;
}

/* The placeholder text between braces -> a segment. */
static int
placeholder(const char *name, size_t len, struct hs_seg *seg, hs_secret_fn secret,
    void *ctx, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < HS_VAR_COUNT; i++)
		if (strlen(hs_var_names[i]) == len && memcmp(hs_var_names[i], name, len) == 0) {
			*seg = (struct hs_seg){ .kind = HS_SEG_VAR, .var = (enum hs_var)i };
			return 0;
		}
	if (len > 7 && memcmp(name, "secret:", 7) == 0 && secret != NULL) {
		char key[128];
		const char *value;

		if (len - 7 >= sizeof(key)) {
			snprintf(err, errlen, "secret name too long");
			return -1;
		}
		memcpy(key, name + 7, len - 7);
		key[len - 7] = '\0';
		if (secret(ctx, key, &value) < 0) {
			snprintf(err, errlen, "secret '%s' is not available", key);
			return -1;
		}
		*seg = (struct hs_seg){ .kind = HS_SEG_SECRET, .str = value, .len = strlen(value) };
		return 0;
	}
	snprintf(err, errlen, "unknown placeholder '{%.*s}' (expected one of: to, to_digits,"
	    " from, text, message_id, attempt_key, dlr_url, subaccount%s)", (int)(len > 40 ? 40 : len),
	    name, secret != NULL ? ", secret:NAME" : "");
	return -1;
}

int
hs_tmpl_parse(struct hs_tmpl *t, const char *src, hs_secret_fn secret, void *ctx,
    char *err, size_t errlen)
{
	size_t cap = 0, i = 0, n = strlen(src);

	memset(t, 0, sizeof(*t));
	if ((t->lit = malloc(n + 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memcpy(t->lit, src, n + 1);
	while (i < n) {
		const char *s = t->lit + i;
		struct hs_seg seg;
		const char *close;

		if ((s[0] == '{' && s[1] == '{') || (s[0] == '}' && s[1] == '}')) {
			seg = (struct hs_seg){ .kind = HS_SEG_LITERAL, .str = s, .len = 1 };
			i += 2;
		} else if (s[0] == '{') {
			if ((close = strchr(s, '}')) == NULL) {
				snprintf(err, errlen, "unclosed '{' at offset %zu", i);
				goto fail;
			}
			if (placeholder(s + 1, (size_t)(close - s - 1), &seg, secret, ctx, err,
			    errlen) < 0)
				goto fail;
			if (seg.kind == HS_SEG_VAR)
				t->uses |= 1u << seg.var;
			else
				t->has_secret = 1;
			i = (size_t)(close - t->lit) + 1;
		} else {
			size_t run = strcspn(s, "{}");

			seg = (struct hs_seg){ .kind = HS_SEG_LITERAL, .str = s, .len = run ? run : 1 };
			i += seg.len;
		}
		if (seg_push(t, &cap, seg) < 0) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
	}
	return 0;
fail:
	hs_tmpl_free(t);
	return -1;
}

void
hs_tmpl_free(struct hs_tmpl *t)
{
	free(t->segs);
	free(t->lit);
	memset(t, 0, sizeof(*t));
}

int
hs_tmpl_expand(const struct hs_tmpl *t, const struct hs_vars *vars, enum sbp_esc lit_esc,
    enum sbp_esc var_esc, struct sbp_buf *out)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		const struct hs_seg *s = &t->segs[i];
		int rc;

		if (s->kind == HS_SEG_LITERAL) {
			rc = sbp_escape(out, s->str, s->len, lit_esc);
		} else if (s->kind == HS_SEG_SECRET) {
			rc = sbp_escape(out, s->str, s->len, var_esc);
		} else {
			const char *v = vars->v[s->var] != NULL ? vars->v[s->var] : "";

			rc = sbp_escape(out, v, strlen(v), var_esc);
		}
		if (rc < 0)
			return -1;
	}
	return 0;
}

int
hs_form_build(const struct hs_param *params, size_t n, const struct hs_vars *vars,
    struct sbp_buf *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		/* In a form value every byte is data, literal text included. */
		if ((i > 0 && sbp_buf_add(out, "&", 1) < 0) ||
		    sbp_escape(out, params[i].name, strlen(params[i].name), SBP_ESC_FORM) < 0 ||
		    sbp_buf_add(out, "=", 1) < 0 ||
		    hs_tmpl_expand(&params[i].value, vars, SBP_ESC_FORM, SBP_ESC_FORM, out) < 0)
			return -1;
	}
	return 0;
}

/* json_dumpb's writer: straight into our reusable buffer, no temporary string. */
static int
json_to_buf(const char *data, size_t size, void *arg)
{
	return sbp_buf_add(arg, data, size);
}

int
hs_json_build(const struct hs_param *params, size_t n, const struct hs_vars *vars,
    struct sbp_buf *scratch, struct sbp_buf *out)
{
	json_t *obj = json_object();
	size_t i;
	int rc = 0;

	if (obj == NULL)
		return -1;
	for (i = 0; i < n && rc == 0; i++) {
		json_t *v;

		sbp_buf_clear(scratch);
		if (hs_tmpl_expand(&params[i].value, vars, SBP_ESC_RAW, SBP_ESC_RAW, scratch) < 0) {
			rc = -1;
			break;
		}
		/* jansson checks UTF-8: a bad text is refused here, not sent. */
		if ((v = json_stringn(scratch->p != NULL ? scratch->p : "", scratch->len)) == NULL)
			rc = -2;
		else if (json_object_set_new(obj, params[i].name, v) < 0)
			rc = -1;
	}
	if (rc == 0 && json_dump_callback(obj, json_to_buf, out, JSON_COMPACT) < 0)
		rc = -1;
	json_decref(obj);
	sbp_buf_clear(scratch);
	return rc;
}

/* ---- status classification ---- */

int
hs_range_parse(const char *text, struct hs_range *out)
{
	char *end;
	long lo, hi;

	lo = strtol(text, &end, 10);
	if (end == text)
		return -1;
	hi = lo;
	if (*end == '-') {
		const char *s = end + 1;

		hi = strtol(s, &end, 10);
		if (end == s)
			return -1;
	}
	if (*end != '\0' || lo < 100 || hi > 599 || lo > hi)
		return -1;
	out->lo = (int)lo;
	out->hi = (int)hi;
	return 0;
}

int
hs_ranges_has(const struct hs_ranges *rs, long status)
{
	size_t i;

	for (i = 0; i < rs->n; i++)
		if (status >= rs->r[i].lo && status <= rs->r[i].hi)
			return 1;
	return 0;
}

enum sb_outcome
hs_classify(const struct hs_ranges *accept, const struct hs_ranges *temp,
    const struct hs_ranges *undeliv, long status)
{
	if (status == 0)
		return SB_OUT_TEMPORARY;
	if (hs_ranges_has(accept, status))
		return SB_OUT_ACCEPTED;
	/* Explicit undeliverable beats the broad default temporary 5xx range. */
	if (hs_ranges_has(undeliv, status))
		return SB_OUT_UNDELIVERABLE;
	if (hs_ranges_has(temp, status))
		return SB_OUT_TEMPORARY;
	return SB_OUT_FAILED;
}

/* ---- provider id ---- */

static const struct {
	const char *prefix; /* with ':' when it takes an argument */
	enum hs_id_kind kind;
	int needs_arg;
} id_kinds[] = {
	{ "json:", HS_ID_JSON, 1 },
	{ "header:", HS_ID_HEADER, 1 },
	{ "prefix:", HS_ID_PREFIX, 1 },
	{ "body", HS_ID_BODY, 0 },
	{ "attempt_key", HS_ID_ATTEMPT_KEY, 0 },
};

int
hs_idspec_parse(const char *text, struct hs_idspec *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < NELEM(id_kinds); i++) {
		size_t plen = strlen(id_kinds[i].prefix);

		if (id_kinds[i].needs_arg ? strncmp(text, id_kinds[i].prefix, plen) != 0 :
		    strcmp(text, id_kinds[i].prefix) != 0)
			continue;
		if (id_kinds[i].needs_arg && text[plen] == '\0')
			return -1;
		out->kind = id_kinds[i].kind;
		if (id_kinds[i].needs_arg && (out->arg = strdup(text + plen)) == NULL)
			return -1;
		return 0;
	}
	return -1;
}

void
hs_idspec_free(struct hs_idspec *s)
{
	free(s->arg);
	s->arg = NULL;
}

static int
copy_id(const char *s, size_t n, char *out, size_t cap)
{
	while (n > 0 && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if (n == 0 || n >= cap || memchr(s, '\0', n) != NULL)
		return -1;
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

static const char *
find_bytes(const char *hay, size_t hlen, const char *needle)
{
	size_t nlen = strlen(needle), i;

	for (i = 0; nlen <= hlen && i <= hlen - nlen; i++)
		if (memcmp(hay + i, needle, nlen) == 0)
			return hay + i;
	return NULL;
}

int
hs_extract_id(const struct hs_idspec *spec, const char *body, size_t len,
    hs_header_fn header, const void *ctx, const char *attempt_key, char *out, size_t cap)
{
	const char *p, *end;
	json_t *root;
	int rc;

	if (body == NULL)
		body = "", len = 0;
	end = body + len;
	switch (spec->kind) {
	case HS_ID_ATTEMPT_KEY:
		return attempt_key != NULL ? copy_id(attempt_key, strlen(attempt_key), out, cap) : -1;
	case HS_ID_HEADER:
		p = header != NULL ? header(ctx, spec->arg) : NULL;
		return p != NULL ? copy_id(p, strlen(p), out, cap) : -1;
	case HS_ID_BODY:
		return copy_id(body, len, out, cap);
	case HS_ID_PREFIX:
		if ((p = find_bytes(body, len, spec->arg)) == NULL)
			return -1;
		p += strlen(spec->arg);
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		len = 0;
		while (p + len < end && !isspace((unsigned char)p[len]))
			len++;
		return copy_id(p, len, out, cap);
	case HS_ID_JSON:
		if ((root = json_loadb(body, len, 0, NULL)) == NULL)
			return -1;
		rc = hs_json_text(hs_json_path(root, spec->arg), out, cap);
		json_decref(root);
		return rc == 0 && out[0] != '\0' ? 0 : -1;
	}
	return -1;
}

/* ---- receipts ---- */

int
hs_smsc_field(const char *reply, const char *name, char *out, size_t cap)
{
	size_t nl = strlen(name), n;
	const char *p;

	for (p = reply; p != NULL && *p != '\0'; p++) {
		if ((p == reply || p[-1] == ' ') && strncasecmp(p, name, nl) == 0 && p[nl] == ':')
			break;
	}
	if (p == NULL || *p == '\0')
		return 0;
	p += nl + 1;
	n = strcspn(p, " ");
	if (n == 0 || n >= cap)
		return 0;
	memcpy(out, p, n);
	out[n] = '\0';
	return 1;
}

json_t *
hs_json_path(json_t *root, const char *path)
{
	json_t *cur = root;
	const char *p = path;

	while (cur != NULL && *p != '\0') {
		size_t n = strcspn(p, ".");
		char key[128];

		if (n >= sizeof(key))
			return NULL;
		memcpy(key, p, n);
		key[n] = '\0';
		if (json_is_array(cur) && n > 0 && strspn(key, "0123456789") == n)
			cur = json_array_get(cur, strtoul(key, NULL, 10));
		else
			cur = json_is_object(cur) ? json_object_get(cur, key) : NULL;
		p += n;
		if (*p == '.')
			p++;
	}
	return cur;
}

int
hs_json_text(const json_t *v, char *out, size_t cap)
{
	int n;

	if (json_is_string(v)) {
		size_t len = json_string_length(v);

		if (len >= cap || memchr(json_string_value(v), '\0', len) != NULL)
			return -1;
		memcpy(out, json_string_value(v), len + 1);
		return 0;
	}
	if (json_is_integer(v))
		n = snprintf(out, cap, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_boolean(v))
		n = snprintf(out, cap, "%s", json_is_true(v) ? "true" : "false");
	else
		return -1;
	return n > 0 && (size_t)n < cap ? 0 : -1;
}
