/*
 * allowlist.c - support's allowlist, in memory and in the store.
 *
 * Filters ask only when something matched, so a plain array is enough;
 * every change writes through to the filter_allow table in the open
 * group, and the caller acknowledges after the commit.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <utf8proc.h>

#include "allowlist.h"
#include "clock.h"
#include "sbp_idn.h"
#include "store.h"
#include "timefmt.h"

struct allow_entry {
	char *subaccount;  /* NULL: global */
	char *kind;
	char *value;
	int64_t uid;
	int64_t at_ms;
};

struct sb_allowlist {
	struct sb_store *st;
	struct allow_entry *e;
	size_t n, cap;
};

static const char *const kinds[] = { "term", "domain" };

static int
kind_valid(const char *kind)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i], kind) == 0)
			return 1;
	return 0;
}

static int
same_sub(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static ssize_t
find(const struct sb_allowlist *al, const char *sub, const char *kind, const char *value)
{
	for (size_t i = 0; i < al->n; i++)
		if (same_sub(al->e[i].subaccount, sub) && strcmp(al->e[i].kind, kind) == 0 &&
		    strcmp(al->e[i].value, value) == 0)
			return (ssize_t)i;
	return -1;
}

static int
remember(struct sb_allowlist *al, const char *sub, const char *kind, const char *value,
    int64_t uid, int64_t at_ms)
{
	if (al->n == al->cap) {
		size_t cap = al->cap ? al->cap * 2 : 16;
		struct allow_entry *e = realloc(al->e, cap * sizeof(*e));

		if (e == NULL)
			return -1;
		al->e = e;
		al->cap = cap;
	}
	al->e[al->n++] = (struct allow_entry){
		sub != NULL ? strdup(sub) : NULL, strdup(kind), strdup(value), uid, at_ms,
	};
	return 0;
}

static int
load_row(void *arg, const char *sub, const char *kind, const char *value, int64_t uid,
    int64_t at_ms)
{
	return remember(arg, sub, kind, value, uid, at_ms);
}

struct sb_allowlist *
sb_allowlist_new(struct sb_store *st, struct sb_error *err)
{
	struct sb_allowlist *al = calloc(1, sizeof(*al));

	if (al == NULL) {
		sb_error_set(err, SB_E_INTERNAL, "out of memory");
		return NULL;
	}
	al->st = st;
	sb_store_allow_each(st, load_row, al);
	return al;
}

void
sb_allowlist_free(struct sb_allowlist *al)
{
	if (al == NULL)
		return;
	for (size_t i = 0; i < al->n; i++) {
		free(al->e[i].subaccount);
		free(al->e[i].kind);
		free(al->e[i].value);
	}
	free(al->e);
	free(al);
}

/* ---- the stored form of a value ---- */

/* A bracketed IPv6 literal, as the filter reports one: lower case. */
static int
ipv6_canon(const char *v, char *out, size_t len)
{
	size_t n = strlen(v), i;

	if (n < 3 || v[n - 1] != ']' || n >= len)
		return -1;
	for (i = 1; i + 1 < n; i++)
		if (!isxdigit((unsigned char)v[i]) && v[i] != ':' && v[i] != '.')
			return -1;
	for (i = 0; i <= n; i++)
		out[i] = (char)tolower((unsigned char)v[i]);
	return 0;
}

/*
 * A domain in the content filter's canonical host form (cf_host_canon in
 * plugins/content_filter/cf_link.c): punycode labels decoded, NFKC and case
 * folded, no trailing dot. Like the filter's `domains:`, a leading "*." or
 * "." means the domain itself. Anything that cannot be a host name is
 * refused: stored, it would never match and support would not know why.
 */
static int
domain_canon(const char *value, char *out, size_t len, const char **why)
{
	char raw[512];
	utf8proc_uint8_t *folded = NULL;
	const char *s = value, *lab;
	size_t n, o = 0;

	if (value[0] == '[')
		return ipv6_canon(value, out, len) < 0 ?
		    (*why = "not an IPv6 address in brackets", -1) : 0;
	if (strncmp(s, "*.", 2) == 0)
		s += 2;
	else if (s[0] == '.')
		s++;
	n = strlen(s);
	while (n > 0 && s[n - 1] == '.')
		n--;
	if (n == 0)
		return *why = "empty domain", -1;
	if (n >= sizeof(raw))
		return *why = "domain too long", -1;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || strchr("/\\:@?#*%[]<>\"',;=&", s[i]) != NULL)
			return *why = "give a domain name such as example.com, not a URL,"
			    " address or pattern", -1;
	for (lab = s; lab < s + n;) {
		const char *end = memchr(lab, '.', (size_t)(s + n - lab));
		size_t ll = end != NULL ? (size_t)(end - lab) : (size_t)(s + n - lab);

		if (ll == 0)
			return *why = "empty label in domain", -1;
		if (ll > 4 && strncasecmp(lab, "xn--", 4) == 0) {
			int k = sbp_idn_label(lab, ll, raw + o, sizeof(raw) - o);

			if (k < 0)
				return *why = "invalid punycode label", -1;
			o += (size_t)k;
		} else {
			memcpy(raw + o, lab, ll);
			o += ll;
		}
		lab += ll;
		if (lab < s + n) {
			raw[o++] = '.';
			lab++;
		}
	}
	raw[o] = '\0';
	if (utf8proc_map((const utf8proc_uint8_t *)raw, 0, &folded, UTF8PROC_NULLTERM |
	    UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD |
	    UTF8PROC_IGNORE) < 0)
		return *why = "domain is not valid UTF-8", -1;
	n = strlen((const char *)folded);
	if (strchr((const char *)folded, '.') == NULL || n == 0 || n >= len) {
		free(folded);
		/* The filter never asks about a bare TLD, and "com" would open too much. */
		return *why = n >= len ? "domain too long" :
		    "a domain needs at least two labels (example.com)", -1;
	}
	memcpy(out, folded, n + 1);
	free(folded);
	return 0;
}

/*
 * Terms are folded the way the content filter folds text (compatibility
 * forms, case, accents, runs of spaces), so support may type "GRÁTIS" for
 * the filter's "gratis".
 */
static int
term_fold(const char *value, char *out, size_t len)
{
	utf8proc_uint8_t *folded = NULL;
	size_t i = 0, o = 0;
	const char *src = value;

	if (utf8proc_map((const utf8proc_uint8_t *)value, 0, &folded, UTF8PROC_NULLTERM |
	    UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD |
	    UTF8PROC_IGNORE | UTF8PROC_LUMP | UTF8PROC_STRIPMARK) >= 0)
		src = (const char *)folded;
	while (src[i] == ' ')
		i++;
	for (; src[i] != '\0' && o + 1 < len; i++) {
		if (src[i] == ' ' && (src[i + 1] == ' ' || src[i + 1] == '\0'))
			continue;
		out[o++] = src[i];
	}
	out[o] = '\0';
	free(folded);
	return o > 0 ? 0 : -1;
}

int
sb_allowlist_normalise(const char *kind, const char *value, char *out, size_t len,
    struct sb_error *err)
{
	const char *why = NULL;

	if (!kind_valid(kind))
		return sb_error_set(err, SB_E_BAD_ARGUMENT, "kind must be term or domain");
	if (strcmp(kind, "term") == 0) {
		if (term_fold(value, out, len) < 0)
			return sb_error_set(err, SB_E_BAD_ARGUMENT, "empty term");
		return 0;
	}
	if (domain_canon(value, out, len, &why) < 0)
		return sb_error_set(err, SB_E_BAD_ARGUMENT, "domain '%.100s': %s", value, why);
	return 0;
}

int
sb_allowlist_add(struct sb_allowlist *al, const char *subaccount, const char *kind,
    const char *value, uid_t uid, struct sb_error *err)
{
	char v[512];
	int64_t now = sb_now_ms();

	if (sb_allowlist_normalise(kind, value, v, sizeof(v), err) < 0)
		return -1;
	if (find(al, subaccount, kind, v) >= 0)
		return 0;
	if (sb_store_allow_add(al->st, subaccount, kind, v, (int64_t)uid, now) < 0)
		return sb_error_set(err, SB_E_INTERNAL, "storing the allowlist entry: %s",
		    sb_store_errmsg(al->st));
	if (remember(al, subaccount, kind, v, (int64_t)uid, now) < 0)
		return sb_error_set(err, SB_E_INTERNAL, "out of memory");
	return 0;
}

int
sb_allowlist_revoke(struct sb_allowlist *al, const char *subaccount, const char *kind,
    const char *value, struct sb_error *err)
{
	char v[512];
	const char *stored = v;
	ssize_t i;

	if (!kind_valid(kind))
		return sb_error_set(err, SB_E_BAD_ARGUMENT, "kind must be term or domain");
	if (sb_allowlist_normalise(kind, value, v, sizeof(v), NULL) < 0)
		snprintf(v, sizeof(v), "%s", value);
	i = find(al, subaccount, kind, v);
	/* An entry stored before values were normalised as they are now. */
	if (i < 0 && (i = find(al, subaccount, kind, value)) >= 0)
		stored = value;
	if (i < 0)
		return sb_error_set(err, SB_E_NOT_FOUND, "no allowlist entry %s '%s' for %s",
		    kind, v, subaccount != NULL ? subaccount : "all subaccounts");
	if (sb_store_allow_remove(al->st, subaccount, kind, stored) < 0)
		return sb_error_set(err, SB_E_INTERNAL, "removing the allowlist entry: %s",
		    sb_store_errmsg(al->st));
	free(al->e[i].subaccount);
	free(al->e[i].kind);
	free(al->e[i].value);
	al->e[i] = al->e[--al->n];
	return 0;
}

int
sb_allowlist_allowed(const struct sb_allowlist *al, const char *subaccount,
    const char *kind, const char *value)
{
	int parents = strcmp(kind, "domain") == 0;
	char v[512];
	const char *p;

	/* The filter asks in canonical form; anything odd is compared as it is. */
	if (sb_allowlist_normalise(kind, value, v, sizeof(v), NULL) < 0)
		snprintf(v, sizeof(v), "%s", value);
	/* IP addresses have no parent domains. */
	p = strrchr(v, '.');
	if (v[0] == '[' || (p != NULL && isdigit((unsigned char)p[1])))
		parents = 0;
	/* A domain is open if it or a parent is, but never through a bare TLD. */
	for (p = v; p != NULL; p = parents ? strchr(p, '.') : NULL) {
		if (*p == '.')
			p++;
		if (p != v && strchr(p, '.') == NULL)
			break;
		if (find(al, NULL, kind, p) >= 0 ||
		    (subaccount != NULL && find(al, subaccount, kind, p) >= 0))
			return 1;
	}
	return 0;
}

json_t *
sb_allowlist_json(const struct sb_allowlist *al, const char *subaccount)
{
	json_t *list = json_array();
	char at[40];

	for (size_t i = 0; i < al->n; i++) {
		const struct allow_entry *e = &al->e[i];

		if (subaccount != NULL && !same_sub(e->subaccount, subaccount) &&
		    e->subaccount != NULL)
			continue;
		sb_format_iso8601_ms(e->at_ms, at, sizeof(at));
		json_array_append_new(list, json_pack("{s:o, s:s, s:s, s:I, s:s}",
		    "subaccount", e->subaccount ? json_string(e->subaccount) : json_null(),
		    "kind", e->kind, "value", e->value, "uid", (json_int_t)e->uid, "at", at));
	}
	return json_pack("{s:o}", "entries", list);
}
