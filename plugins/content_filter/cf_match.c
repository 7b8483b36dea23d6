/*
 * cf_match.c - folding and rule sets of the content filter library.
 *
 * Owns the cf_text scratch (UTF-8 decoding, the folded letter stream that
 * word matching runs on), the display form of terms, and cf_rules_check,
 * which ties words (cf_words.c) and links (cf_link.c) into one verdict.
 *
 * Folding is utf8proc's, one code point at a time (utf8proc_decompose_char
 * into our own buffer, so a check never mallocs): compatibility
 * decomposition, case folding, default-ignorables dropped (zero-width
 * spaces cannot split a word), look-alike punctuation lumped, and marks
 * stripped so "GRÁTIS" folds to "gratis". Marks are kept for scripts written
 * without spaces (kana, Thai...), where they change the letter, not an
 * accent: か and が must stay apart. ASCII takes a fast path.
 */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include <utf8proc.h>

#include "cf_internal.h"

#define FOLD_OPTS                                                             \
	(UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD |            \
	    UTF8PROC_IGNORE | UTF8PROC_LUMP)
/* The longest single-code-point decomposition is 18 (U+FDFA). */
#define FOLD_BUF 32

/*
 * Scripts written without spaces between words. Word boundaries mean
 * nothing there, so their letters match as substrings (cf_words.c). This is
 * a script range list, not a folding table.
 */
static const struct {
	uint32_t lo, hi;
} unspaced[] = {
	{ 0x0E00, 0x0EFF },   /* Thai, Lao */
	{ 0x1000, 0x109F },   /* Myanmar */
	{ 0x1100, 0x11FF },   /* Hangul Jamo (what syllables decompose to) */
	{ 0x1780, 0x17FF },   /* Khmer */
	{ 0x2E80, 0x2FDF },   /* CJK radicals, Kangxi radicals */
	{ 0x3005, 0x3007 },   /* 々 〆 〇 */
	{ 0x3040, 0x30FF },   /* Hiragana, Katakana */
	{ 0x3100, 0x31FF },   /* Bopomofo, Hangul compatibility Jamo, ... */
	{ 0x3400, 0x4DBF },   /* CJK extension A */
	{ 0x4E00, 0x9FFF },   /* CJK unified ideographs */
	{ 0xA960, 0xA97F },   /* Hangul Jamo extended A */
	{ 0xAC00, 0xD7FF },   /* Hangul syllables, Jamo extended B */
	{ 0xF900, 0xFAFF },   /* CJK compatibility ideographs */
	{ 0xFF66, 0xFFDC },   /* halfwidth Katakana and Hangul */
	{ 0x1B000, 0x1B16F }, /* Kana supplement and extensions */
	{ 0x20000, 0x3134F }, /* CJK extensions B-G */
};

int
cf_is_unspaced(uint32_t cp)
{
	size_t lo = 0, hi = sizeof(unspaced) / sizeof(unspaced[0]);

	if (cp < 0x0E00)
		return 0;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (cp < unspaced[mid].lo)
			hi = mid;
		else if (cp > unspaced[mid].hi)
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

int
cf_is_space(uint32_t cp)
{
	if (cp < 0x80)
		return cp == ' ' || (cp >= '\t' && cp <= '\r');
	if (cp == 0x85)
		return 1;
	switch (utf8proc_category((utf8proc_int32_t)cp)) {
	case UTF8PROC_CATEGORY_ZS:
	case UTF8PROC_CATEGORY_ZL:
	case UTF8PROC_CATEGORY_ZP:
		return 1;
	default:
		return 0;
	}
}

/* A folded code point that belongs to a word (letters, digits, and marks
 * where fold() kept them). */
static int
is_word_cp(uint32_t o)
{
	if (o < 0x80)
		return (o >= 'a' && o <= 'z') || (o >= 'A' && o <= 'Z') ||
		    (o >= '0' && o <= '9');
	switch (utf8proc_category((utf8proc_int32_t)o)) {
	case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL:
	case UTF8PROC_CATEGORY_LT: case UTF8PROC_CATEGORY_LM:
	case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_ND:
	case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
	case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC:
	case UTF8PROC_CATEGORY_ME:
		return 1;
	default:
		return 0;
	}
}

/* Fold one code point; returns how many were written to out (0..FOLD_BUF). */
static int
fold_cp(uint32_t c, int32_t *out)
{
	int bc = 0;
	utf8proc_option_t o = FOLD_OPTS;
	utf8proc_ssize_t k;

	if (c < 0x80) {
		out[0] = (c >= 'A' && c <= 'Z') ? (int32_t)(c + 32) : (int32_t)c;
		return 1;
	}
	if (!cf_is_unspaced(c))
		o |= UTF8PROC_STRIPMARK;
	k = utf8proc_decompose_char((utf8proc_int32_t)c, out, FOLD_BUF, o, &bc);
	if (k < 0 || k > FOLD_BUF) {
		out[0] = 0xFFFD; /* unassigned or absurd: punctuation */
		return 1;
	}
	return (int)k;
}

/* ---- the scratch ---- */

struct cf_text *
cf_text_new(void)
{
	return calloc(1, sizeof(struct cf_text));
}

void
cf_text_free(struct cf_text *t)
{
	if (!t)
		return;
	free(t->lcp);
	free(t->cp);
	free(t->gap);
	free(t->unsp);
	free(t->lk);
	free(t->links);
	free(t->pool);
	free(t);
}

static int
grow_letters(struct cf_text *t, size_t need)
{
	size_t cap = t->cap ? t->cap : 256;
	uint32_t *cp;
	uint8_t *gap, *unsp;

	while (cap < need)
		cap *= 2;
	if (!(cp = realloc(t->cp, cap * sizeof(*cp))))
		return -1;
	t->cp = cp;
	if (!(gap = realloc(t->gap, cap + 1)))
		return -1;
	t->gap = gap;
	if (!(unsp = realloc(t->unsp, cap)))
		return -1;
	t->unsp = unsp;
	t->cap = cap;
	return 0;
}

static int
decode(struct cf_text *t, const char *s, size_t len)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t i = 0, n = 0;

	if (len + 1 > t->lcap) {
		size_t cap = t->lcap ? t->lcap : 256;
		uint32_t *l;
		uint8_t *k;

		while (cap < len + 1)
			cap *= 2;
		if (!(l = realloc(t->lcp, cap * sizeof(*l))))
			return -1;
		t->lcp = l;
		if (!(k = realloc(t->lk, cap)))
			return -1;
		t->lk = k;
		t->lcap = cap;
	}
	while (i < len) {
		utf8proc_int32_t c;
		utf8proc_ssize_t k;

		if (p[i] < 0x80) {
			t->lcp[n++] = p[i++];
			continue;
		}
		k = utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &c);
		if (k <= 0) {
			c = 0xFFFD;
			k = 1;
		}
		t->lcp[n++] = (uint32_t)c;
		i += (size_t)k;
	}
	t->ln = n;
	return 0;
}

/* What has been seen since the last letter. */
struct pending {
	unsigned ws, dot, dash, other;
};

/* Separator classes (cf_fold_entry.cls); 0 is a letter. */
enum { SEP_DOT = 1, SEP_DASH, SEP_WS, SEP_OTHER };

static uint8_t
gap_of(const struct pending *g)
{
	if (!(g->ws | g->dot | g->dash | g->other))
		return CF_GAP_NONE;
	if (g->other)
		return CF_GAP_OTHER;
	if (!g->ws)
		return g->dot + g->dash <= 3 ? CF_GAP_JOIN : CF_GAP_OTHER;
	if (g->dot) /* "free. Money": a sentence ends, never a joiner */
		return CF_GAP_OTHER;
	if (g->dash)
		return CF_GAP_DASHSP;
	return g->ws == 1 ? CF_GAP_SP1 : CF_GAP_SPN;
}

/* The class of a folded code point. */
static uint8_t
class_of(uint32_t c)
{
	if (is_word_cp(c))
		return 0;
	if (c == '.' || c == 0xB7 || c == 0x2027 || c == 0x30FB || c == 0xFF65)
		return SEP_DOT;
	if (c == '-' || c == '_')
		return SEP_DASH;
	return cf_is_space(c) ? SEP_WS : SEP_OTHER;
}

static inline void
note(struct pending *g, uint8_t cls)
{
	switch (cls) {
	case SEP_DOT: g->dot++; break;
	case SEP_DASH: g->dash++; break;
	case SEP_WS: g->ws++; break;
	default: g->other++; break;
	}
}

static inline int
emit(struct cf_text *t, size_t *n, struct pending *g, uint32_t cp, uint8_t u)
{
	if (*n + 1 >= t->cap && grow_letters(t, *n + 2) < 0)
		return -1;
	t->cp[*n] = cp;
	t->unsp[*n] = u;
	t->gap[*n] = gap_of(g);
	memset(g, 0, sizeof(*g));
	(*n)++;
	return 0;
}

/* Fold a non-ASCII code point through the cache. */
static const struct cf_fold_entry *
fold_cached(struct cf_text *t, uint32_t c, int32_t *buf, int *k)
{
	struct cf_fold_entry *e = &t->fold_cache[(c ^ (c >> 9)) % CF_FOLD_CACHE];
	int j;

	if (e->cp == c)
		return e;
	*k = fold_cp(c, buf);
	if (*k > CF_FOLD_CACHED)
		return NULL; /* the caller walks buf itself */
	e->cp = c;
	e->n = (uint8_t)*k;
	e->unsp = (uint8_t)cf_is_unspaced(c);
	e->lk = cf_link_kind(c);
	for (j = 0; j < *k; j++) {
		e->out[j] = (uint32_t)buf[j];
		e->cls[j] = class_of((uint32_t)buf[j]);
	}
	return e;
}

int
cf_text_fold(struct cf_text *t, const char *s, size_t len)
{
	struct pending g = { 0, 0, 0, 0 };
	int32_t buf[FOLD_BUF];
	size_t i, n = 0;

	if (decode(t, s, len) < 0)
		return -1;
	if (t->cap < t->ln + 1 && grow_letters(t, t->ln + 1) < 0)
		return -1;
	t->link_hint = 0;
	for (i = 0; i < t->ln; i++) {
		uint32_t c = t->lcp[i];
		const struct cf_fold_entry *e;
		int k = 0, j;

		if (c < 0x80) {
			/* The fast path: most texts are mostly ASCII. */
			uint32_t l = c | 0x20;

			if (l >= 'a' && l <= 'z')
				c = l;
			else if (c < '0' || c > '9') {
				t->lk[i] = CF_K_NONE;
				t->link_hint |= c == '.' || c == ':' || c == '[';
				note(&g, c == '.' ? SEP_DOT : c == '-' || c == '_' ?
				    SEP_DASH : c == ' ' || (c >= '\t' && c <= '\r') ?
				    SEP_WS : SEP_OTHER);
				continue;
			}
			t->lk[i] = CF_K_ASCII;
			if (emit(t, &n, &g, c, 0) < 0)
				return -1;
			continue;
		}
		/* Fullwidth and ideographic dots, colon, bracket. */
		t->link_hint |= c == 0x3002 || c == 0xFF61 || c == 0xFF0E ||
		    c == 0xFF1A || c == 0xFF3B;
		if ((e = fold_cached(t, c, buf, &k))) {
			t->lk[i] = e->lk;
			for (j = 0; j < e->n; j++) {
				if (e->cls[j])
					note(&g, e->cls[j]);
				else if (emit(t, &n, &g, e->out[j], e->unsp) < 0)
					return -1;
			}
			continue;
		}
		t->lk[i] = cf_link_kind(c);
		for (j = 0; j < k; j++) { /* a long decomposition (U+FDFA) */
			uint8_t cls = class_of((uint32_t)buf[j]);

			if (cls)
				note(&g, cls);
			else if (emit(t, &n, &g, (uint32_t)buf[j],
			    (uint8_t)cf_is_unspaced(c)) < 0)
				return -1;
		}
	}
	t->n = n;
	/* Both ends of the text are boundaries. */
	t->gap[0] = CF_GAP_OTHER;
	t->gap[n] = CF_GAP_OTHER;
	return 0;
}

int
cf_text_set(struct cf_text *t, const char *text, size_t len)
{
	if (cf_text_fold(t, text, len) < 0)
		return -1;
	return cf_links_extract(t);
}

size_t
cf_text_nlinks(const struct cf_text *t)
{
	return t->nlinks;
}

const char *
cf_text_link(const struct cf_text *t, size_t i)
{
	return i < t->nlinks ? t->pool + t->links[i].canon : NULL;
}

/* ---- terms ---- */

int
cf_fold_term(const char *term, size_t len, char *out, size_t outlen)
{
	/* Folding expands (ß -> ss), so leave room past CF_TERM_MAX. */
	int32_t buf[4 * CF_TERM_MAX + FOLD_BUF + 2], tmp[FOLD_BUF];
	const uint8_t *p = (const uint8_t *)term;
	size_t i = 0, n = 0;
	int space = 0, letters = 0;
	utf8proc_ssize_t r;

	while (i < len) {
		utf8proc_int32_t c;
		utf8proc_ssize_t k = utf8proc_iterate(p + i,
		    (utf8proc_ssize_t)(len - i), &c);
		int m, j;

		if (k <= 0)
			return -1; /* configuration is fixed by hand: say so */
		i += (size_t)k;
		m = fold_cp((uint32_t)c, tmp);
		for (j = 0; j < m; j++) {
			if (cf_is_space((uint32_t)tmp[j])) {
				space = n > 0;
				continue;
			}
			if (n + 2 >= sizeof(buf) / sizeof(buf[0]) - 1)
				return -1;
			if (space)
				buf[n++] = ' ';
			space = 0;
			letters += is_word_cp((uint32_t)tmp[j]);
			buf[n++] = tmp[j];
		}
	}
	if (!letters)
		return -1;
	/* Recompose what folding left decomposed (kana marks, Hangul). */
	r = utf8proc_reencode(buf, (utf8proc_ssize_t)n,
	    UTF8PROC_STABLE | UTF8PROC_COMPOSE);
	if (r < 0 || (size_t)r + 1 > outlen || (size_t)r > CF_TERM_MAX)
		return -1;
	memcpy(out, buf, (size_t)r + 1);
	return 0;
}

/* ---- rule sets ---- */

int
cf_link_policy_parse(const char *s, enum cf_link_policy *out)
{
	static const char *const names[] = {
		[CF_LINKS_ALLOW] = "allow",
		[CF_LINKS_BLOCK] = "block",
		[CF_LINKS_ALLOWLIST] = "allowlist",
		[CF_LINKS_BLOCKLIST] = "blocklist",
	};
	size_t i;

	for (i = 0; s && i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = (enum cf_link_policy)i;
			return 0;
		}
	}
	return -1;
}

static int
is_ip_literal(const char *h)
{
	const char *dot = strrchr(h, '.');

	return h[0] == '[' || (dot && dot[1] >= '0' && dot[1] <= '9');
}

/*
 * Ask support about a host and each parent domain (never a bare TLD), and
 * about the punycode form as written if it differs: support may have pasted
 * either.
 */
static int
domain_allowed(cf_allowed_fn allowed, void *arg, const char *host,
    const char *raw)
{
	const char *p = host;

	if (!allowed)
		return 0;
	for (;;) {
		if (allowed(arg, "domain", p))
			return 1;
		if (is_ip_literal(host) || !(p = strchr(p, '.')))
			break;
		p++;
		if (!strchr(p, '.'))
			break;
	}
	return strcmp(raw, host) != 0 && allowed(arg, "domain", raw);
}

/* Bytes of s to print in a reason: at most max, never half a character. */
static int
cut(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n <= max)
		return (int)n;
	while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;
	return (int)max;
}

int
cf_rules_check(const struct cf_rules *r, const struct cf_text *t,
    cf_allowed_fn allowed, void *arg, char *reason, size_t reasonlen)
{
	const char *term;
	size_t i;

	if (r->words && (term = cf_words_scan(r->words, t, allowed, arg))) {
		snprintf(reason, reasonlen, "word '%s'", term);
		return 1;
	}
	if (r->links == CF_LINKS_ALLOW)
		return 0;
	for (i = 0; i < t->nlinks; i++) {
		const char *host = t->pool + t->links[i].canon;
		const char *raw = t->pool + t->links[i].raw;
		const char *d = r->domains ? cf_domains_match(r->domains, host) : NULL;

		if (!d && r->domains && raw != host)
			d = cf_domains_match(r->domains, raw);
		switch (r->links) {
		case CF_LINKS_BLOCK:
			if (domain_allowed(allowed, arg, host, raw))
				continue;
			snprintf(reason, reasonlen, "link '%.*s' (links not allowed)",
			    cut(host, CF_TERM_MAX), host);
			return 1;
		case CF_LINKS_ALLOWLIST:
			if (d || domain_allowed(allowed, arg, host, raw))
				continue;
			snprintf(reason, reasonlen,
			    "link '%.*s' (domain not in allowlist)",
			    cut(host, CF_TERM_MAX), host);
			return 1;
		case CF_LINKS_BLOCKLIST:
			if (!d || domain_allowed(allowed, arg, host, raw))
				continue;
			/* Name the configured domain: that is what support opens. */
			snprintf(reason, reasonlen, "link '%.*s' (blocked domain)",
			    cut(d, CF_TERM_MAX), d);
			return 1;
		case CF_LINKS_ALLOW:
			break;
		}
	}
	return 0;
}
