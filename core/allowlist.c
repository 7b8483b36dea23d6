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

#include <utf8proc.h>

#include "allowlist.h"
#include "clock.h"
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

/*
 * Domains are compared in lower case. Terms are folded the way the content
 * filter folds text (compatibility forms, case, accents, runs of spaces),
 * so support may type "GRÁTIS" for the filter's "gratis".
 */
static void
normalise(const char *kind, const char *value, char *out, size_t len)
{
	utf8proc_uint8_t *folded = NULL;
	size_t i = 0, o = 0;
	const char *src = value;

	if (strcmp(kind, "term") == 0 &&
	    utf8proc_map((const utf8proc_uint8_t *)value, 0, &folded, UTF8PROC_NULLTERM |
	    UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD |
	    UTF8PROC_IGNORE | UTF8PROC_LUMP | UTF8PROC_STRIPMARK) >= 0)
		src = (const char *)folded;
	while (src[i] == ' ')
		i++;
	for (; src[i] != '\0' && o + 1 < len; i++) {
		if (src[i] == ' ' && (src[i + 1] == ' ' || src[i + 1] == '\0'))
			continue;
		out[o++] = strcmp(kind, "domain") == 0 ? (char)tolower((unsigned char)src[i]) :
		    src[i];
	}
	out[o] = '\0';
	while (o > 0 && out[o - 1] == '.')
		out[--o] = '\0';
	free(folded);
}

int
sb_allowlist_add(struct sb_allowlist *al, const char *subaccount, const char *kind,
    const char *value, uid_t uid, struct sb_error *err)
{
	char v[512];
	int64_t now = sb_now_ms();

	if (!kind_valid(kind))
		return sb_error_set(err, SB_E_BAD_ARGUMENT, "kind must be term or domain");
	normalise(kind, value, v, sizeof(v));
	if (v[0] == '\0')
		return sb_error_set(err, SB_E_BAD_ARGUMENT, "empty %s", kind);
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
	ssize_t i;

	if (!kind_valid(kind))
		return sb_error_set(err, SB_E_BAD_ARGUMENT, "kind must be term or domain");
	normalise(kind, value, v, sizeof(v));
	i = find(al, subaccount, kind, v);
	if (i < 0)
		return sb_error_set(err, SB_E_NOT_FOUND, "no allowlist entry %s '%s' for %s",
		    kind, v, subaccount != NULL ? subaccount : "all subaccounts");
	if (sb_store_allow_remove(al->st, subaccount, kind, v) < 0)
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
	int domain = strcmp(kind, "domain") == 0;
	char v[512];
	const char *p;

	normalise(kind, value, v, sizeof(v));
	for (p = v; p != NULL; p = domain ? strchr(p, '.') : NULL) {
		if (*p == '.')
			p++;
		if (find(al, NULL, kind, p) >= 0 ||
		    (subaccount != NULL && find(al, subaccount, kind, p) >= 0))
			return 1;
		if (!domain)
			break;
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
