/*
 * cf_link.c - the link detector, host name canonical form and domain sets.
 *
 * Finds links in the code points of a text (cf_text.lcp) without any DNS:
 *   - scheme://authority (any scheme): the host is whatever the authority
 *     names, IPv6 in brackets included;
 *   - www.<anything>;
 *   - a bare host (bit.ly/x, example.com) whose last label is a known TLD
 *     (cf_tld.c) or punycode;
 *   - a bare IPv4 or [IPv6] host followed by a path or port.
 * and refuses e-mail addresses, decimals and dotted abbreviations. A host
 * ends where a label would mix ASCII with CJK letters, so "見てexample.com。"
 * yields example.com. Hosts are kept in canonical form (punycode decoded,
 * NFKC, case folded) so that an IDN compares equal however it was written;
 * see docs/content-filter.md.
 */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include <utf8proc.h>

#include "cf_internal.h"
#include "sbp_idn.h"

#define CANON_CP_MAX 1024

/* Fullwidth ASCII (ｗｗｗ．ｅｘ) reads as ASCII; nothing else is mapped. */
static inline uint32_t
map_cp(uint32_t c)
{
	return c >= 0xFF01 && c <= 0xFF5E ? c - 0xFEE0 : c;
}

static inline int
ascii_alnum(uint32_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

static inline uint32_t
lower(uint32_t c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* What a code point is to a host label. */
static int
kind(uint32_t c)
{
	if (c < 0x80)
		return ascii_alnum(c) ? CF_K_ASCII : CF_K_NONE;
	switch (utf8proc_category((utf8proc_int32_t)c)) {
	case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL:
	case UTF8PROC_CATEGORY_LT: case UTF8PROC_CATEGORY_LM:
	case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_ND:
	case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC:
		return cf_is_unspaced(c) ? CF_K_UNSP : CF_K_OTHER;
	default:
		return CF_K_NONE;
	}
}

uint8_t
cf_link_kind(uint32_t cp)
{
	return (uint8_t)kind(map_cp(cp));
}

#define M(i) map_cp(t->lcp[i])
#define K(i) (t->lk[i]) /* kind(M(i)), computed once per text */

/*
 * A label separator at i: a full stop, or an ideographic one (。｡) between
 * two ASCII letters ("example。com" is a known trick; "です。次" is not).
 */
static inline int
is_dot(const struct cf_text *t, size_t i)
{
	uint32_t c = M(i);

	if (c == '.')
		return 1;
	return (c == 0x3002 || c == 0xFF61) && i > 0 && i + 1 < t->ln &&
	    ascii_alnum(M(i - 1)) && ascii_alnum(M(i + 1));
}

/*
 * The end of a host-like run from i. In authority mode also port, userinfo
 * and bracket characters. A dot continues the run only before a label, so
 * "e.g." and "example.com." stop at the last letter.
 */
static size_t
scan_host(const struct cf_text *t, size_t i, int authority, unsigned *dots)
{
	int has_a = 0, has_u = 0;

	*dots = 0;

	while (i < t->ln) {
		uint32_t c = M(i);
		int k = K(i);

		if (k == CF_K_ASCII || k == CF_K_UNSP) {
			/* A label does not mix ASCII and CJK: that is text
			 * touching a link, "example.comへ". */
			if ((k == CF_K_ASCII && has_u) || (k == CF_K_UNSP && has_a))
				break;
			has_a |= k == CF_K_ASCII;
			has_u |= k == CF_K_UNSP;
		} else if (k == CF_K_OTHER || c == '-' || c == '_') {
			/* accented letters (IDN), inner hyphens */
		} else if (is_dot(t, i)) {
			if (i + 1 >= t->ln || (K(i + 1) == CF_K_NONE &&
			    !(authority && M(i + 1) == '[')))
				break;
			has_a = has_u = 0;
			(*dots)++;
		} else if (authority && (c == ':' || c == '@' || c == '[' ||
		    c == ']' || c == '%' || c == '~')) {
			has_a = has_u = 0;
		} else {
			break;
		}
		i++;
	}
	return i;
}

/* Past a path, query or port after a host: up to a space or CJK. */
static size_t
skip_path(const struct cf_text *t, size_t i)
{
	uint32_t c;

	if (i >= t->ln || !((c = M(i)) == '/' || c == '?' || c == '#' ||
	    c == ':'))
		return i;
	while (i < t->ln) {
		c = M(i);
		if (c < 0x80) {
			if (c <= ' ' || c == '<' || c == '>' || c == '"' ||
			    c == 0x7F)
				break;
		} else if (K(i) != CF_K_OTHER) {
			break;
		}
		i++;
	}
	return i;
}

/* "scheme://" at i? Sets *after to the authority's start. */
static int
scheme_at(const struct cf_text *t, size_t i, size_t *after)
{
	size_t j = i;

	if (!((lower(M(i)) >= 'a' && lower(M(i)) <= 'z')))
		return 0;
	while (j < t->ln && j - i < 16) {
		uint32_t c = M(j);

		if (!(ascii_alnum(c) || c == '+' || c == '-' || c == '.'))
			break;
		j++;
	}
	if (j - i < 2 || j + 2 >= t->ln || M(j) != ':' || M(j + 1) != '/' ||
	    M(j + 2) != '/')
		return 0;
	*after = j + 3;
	return 1;
}

/* ---- punycode: plugins/common/sbp_idn.c (libidn2), as core/allowlist.c ---- */

/*
 * Decode an "xn--" label given as code points (the prefix included) into
 * code points. 0, or -1 if it is not valid punycode: the caller keeps
 * the label as written.
 */
static int
idn_decode(const uint32_t *in, size_t inlen, uint32_t *out, size_t cap, size_t *outlen)
{
	char ace[64], u[256];
	const utf8proc_uint8_t *p;
	size_t o = 0;

	if (inlen >= sizeof(ace))
		return -1;
	for (size_t j = 0; j < inlen; j++) {
		if (in[j] >= 0x80 || in[j] == 0)
			return -1;
		ace[j] = (char)in[j];
	}
	if (sbp_idn_label(ace, inlen, u, sizeof(u)) < 0)
		return -1;
	for (p = (const utf8proc_uint8_t *)u; *p != '\0';) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate(p, -1, &cp);

		if (k <= 0 || o >= cap)
			return -1;
		out[o++] = (uint32_t)cp;
		p += k;
	}
	*outlen = o;
	return 0;
}

/*
 * Canonical host from code points (already mapped, dots as '.'): labels
 * punycode-decoded where valid, NFKC + case fold, no trailing dot.
 */
static int
canon_cps(const uint32_t *in, size_t n, char *out, size_t outlen)
{
	int32_t buf[CANON_CP_MAX];
	uint32_t dec[256];
	size_t i = 0, m = 0;
	utf8proc_ssize_t r;

	while (n > 0 && in[n - 1] == '.')
		n--;
	while (i < n) {
		size_t e = i, len, j, dn;
		const uint32_t *lab;

		while (e < n && in[e] != '.')
			e++;
		lab = in + i;
		len = e - i;
		if (len > 4 && lower(lab[0]) == 'x' && lower(lab[1]) == 'n' &&
		    lab[2] == '-' && lab[3] == '-' &&
		    idn_decode(lab, len, dec, 256, &dn) == 0) {
			lab = dec;
			len = dn;
		}
		for (j = 0; j < len; j++) {
			int bc = 0;
			utf8proc_ssize_t k;

			if (m + 32 >= CANON_CP_MAX)
				return -1;
			if (lab[j] < 0x80) {
				buf[m++] = (int32_t)lower(lab[j]);
				continue;
			}
			k = utf8proc_decompose_char((utf8proc_int32_t)lab[j],
			    buf + m, 32, UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT |
			    UTF8PROC_CASEFOLD | UTF8PROC_IGNORE, &bc);
			if (k < 0 || k > 32)
				return -1;
			m += (size_t)k;
		}
		if (e < n)
			buf[m++] = '.';
		i = e + 1;
	}
	if (m == 0)
		return -1;
	/* Canonical order of marks, as utf8proc_decompose would do. */
	for (i = 1; i < m; i++) {
		size_t j = i;

		while (j > 0) {
			int ca = utf8proc_get_property(buf[j - 1])->combining_class;
			int cb = utf8proc_get_property(buf[j])->combining_class;
			int32_t x;

			if (!cb || ca <= cb)
				break;
			x = buf[j];
			buf[j] = buf[j - 1];
			buf[j - 1] = x;
			j--;
		}
	}
	r = utf8proc_reencode(buf, (utf8proc_ssize_t)m,
	    UTF8PROC_STABLE | UTF8PROC_COMPOSE);
	if (r < 0 || (size_t)r + 1 > outlen)
		return -1;
	memcpy(out, buf, (size_t)r + 1);
	return 0;
}

int
cf_host_canon(const char *host, size_t len, char *out, size_t outlen)
{
	uint32_t cps[CANON_CP_MAX];
	const uint8_t *p = (const uint8_t *)host;
	size_t i = 0, n = 0;

	while (i < len) {
		utf8proc_int32_t c;
		utf8proc_ssize_t k = utf8proc_iterate(p + i,
		    (utf8proc_ssize_t)(len - i), &c);

		if (k <= 0 || n >= CANON_CP_MAX)
			return -1;
		i += (size_t)k;
		c = (utf8proc_int32_t)map_cp((uint32_t)c);
		if (c == 0x3002 || c == 0xFF61)
			c = '.';
		cps[n++] = (uint32_t)c;
	}
	return canon_cps(cps, n, out, outlen);
}

/* ---- extraction ---- */

static int
pool_put(struct cf_text *t, const char *s, size_t len, uint32_t *off)
{
	if (t->pool_len + len + 1 > t->pool_cap) {
		size_t cap = t->pool_cap ? t->pool_cap : 1024;
		char *p;

		while (cap < t->pool_len + len + 1)
			cap *= 2;
		if (!(p = realloc(t->pool, cap)))
			return -1;
		t->pool = p;
		t->pool_cap = cap;
	}
	memcpy(t->pool + t->pool_len, s, len);
	t->pool[t->pool_len + len] = '\0';
	*off = (uint32_t)t->pool_len;
	t->pool_len += len + 1;
	return 0;
}

/* Record the host written in lcp[a, b). */
static int
add_link(struct cf_text *t, size_t a, size_t b)
{
	uint32_t cps[CANON_CP_MAX];
	char canon[CF_HOST_MAX + 1], raw[CF_HOST_MAX + 1];
	size_t i, n, rl = 0;
	struct cf_link *l;
	int puny = 0;

	while (b > a && (is_dot(t, b - 1) || M(b - 1) == '-'))
		b--;
	while (a < b && is_dot(t, a))
		a++;
	if (b <= a)
		return 0;
	/* Too long to be a host name: keep its tail, which is what domain
	 * rules look at. */
	if (b - a > CF_HOST_MAX)
		a = b - CF_HOST_MAX;
	for (n = 0, i = a; i < b; i++) {
		uint32_t c = M(i);

		cps[n++] = is_dot(t, i) ? '.' : c;
		if (i + 3 < b && lower(c) == 'x' && lower(M(i + 1)) == 'n' &&
		    M(i + 2) == '-' && M(i + 3) == '-')
			puny = 1;
	}
	/* The tail still too long once folded: drop leading labels. */
	for (i = 0; canon_cps(cps + i, n - i, canon, sizeof(canon)) < 0;) {
		while (i < n && cps[i] != '.')
			i++;
		if (++i >= n)
			return 0;
	}
	if (t->nlinks == t->linkcap) {
		size_t cap = t->linkcap ? t->linkcap * 2 : 8;
		struct cf_link *v = realloc(t->links, cap * sizeof(*v));

		if (!v)
			return -1;
		t->links = v;
		t->linkcap = cap;
	}
	l = &t->links[t->nlinks];
	if (pool_put(t, canon, strlen(canon), &l->canon) < 0)
		return -1;
	l->raw = l->canon;
	if (puny) {
		/* As written, for support who pasted the punycode form. */
		for (; i < n && rl < CF_HOST_MAX && cps[i] < 0x80; i++)
			raw[rl++] = (char)lower(cps[i]);
		if (i == n && (rl != strlen(canon) || memcmp(raw, canon, rl)) &&
		    pool_put(t, raw, rl, &l->raw) < 0)
			return -1;
	}
	t->nlinks++;
	return 0;
}

/* A dotted quad, each part 0-255. */
static int
ipv4(const struct cf_text *t, size_t a, size_t b)
{
	unsigned parts = 0, v = 0, digits = 0;

	for (; a <= b; a++) {
		uint32_t c = a < b ? M(a) : '.';

		if (c >= '0' && c <= '9') {
			v = v * 10 + (c - '0');
			if (++digits > 3 || v > 255)
				return 0;
		} else if (c == '.' && digits) {
			parts++;
			v = digits = 0;
		} else {
			return 0;
		}
	}
	return parts == 4;
}

static int
path_or_port(const struct cf_text *t, size_t i)
{
	return i < t->ln && (M(i) == '/' ||
	    (M(i) == ':' && i + 1 < t->ln && M(i + 1) >= '0' && M(i + 1) <= '9'));
}

/* A bare run lcp[s, e): is it a link? */
static int
bare_link(const struct cf_text *t, size_t s, size_t e)
{
	size_t ls = s, i, labels = 1;
	int alpha = 1;

	if (s > 0 && M(s - 1) == '@')
		return 0; /* the domain of an e-mail address */
	if (e < t->ln && M(e) == '@')
		return 0; /* its local part: "joao.silva@" */
	if (e - s > 4 && lower(M(s)) == 'w' && lower(M(s + 1)) == 'w' &&
	    lower(M(s + 2)) == 'w' && is_dot(t, s + 3))
		return 1;
	for (i = s; i < e; i++)
		if (is_dot(t, i)) {
			labels++;
			ls = i + 1;
		}
	if (labels < 2)
		return 0;
	if (ipv4(t, s, e))
		return path_or_port(t, e);
	if (e - ls > 4 && lower(M(ls)) == 'x' && lower(M(ls + 1)) == 'n' &&
	    M(ls + 2) == '-' && M(ls + 3) == '-')
		return 1;
	for (i = ls; i < e && alpha; i++)
		alpha = lower(M(i)) >= 'a' && lower(M(i)) <= 'z';
	if (!alpha || e - ls < 2 || e - ls > 24)
		return 0;
	/*
	 * "there.It was": a missing space after a full stop, not a host. A
	 * capital then small letters in the TLD is how sentences start and
	 * how host names are rarely written. With a path ("Bit.Ly/x") it is
	 * a link all the same.
	 */
	if (M(ls) >= 'A' && M(ls) <= 'Z' && !path_or_port(t, e)) {
		for (i = ls + 1; i < e; i++)
			if (M(i) >= 'a' && M(i) <= 'z')
				return 0;
	}
	{
		char tld[25];

		for (i = ls; i < e; i++)
			tld[i - ls] = (char)M(i);
		return cf_tld_known(tld, e - ls);
	}
}

/* "[2001:db8::1]" at i, hex digits, dots and at least two colons. */
static size_t
ipv6_end(const struct cf_text *t, size_t i)
{
	size_t j = i + 1;
	unsigned colons = 0;

	while (j < t->ln && j - i < 48) {
		uint32_t c = lower(M(j));

		if (c == ']')
			return colons >= 2 ? j + 1 : 0;
		if (c == ':')
			colons++;
		else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		    c == '.'))
			return 0;
		j++;
	}
	return 0;
}

/* The host inside an authority lcp[a, b): after userinfo, before port. */
static int
add_authority(struct cf_text *t, size_t a, size_t b)
{
	size_t i, h = a, e;

	for (i = a; i < b; i++)
		if (M(i) == '@')
			h = i + 1;
	if (h < b && M(h) == '[') {
		e = ipv6_end(t, h);
		return e && e <= b ? add_link(t, h, e) : 0;
	}
	for (e = h; e < b; e++) {
		uint32_t c = M(e);

		if (c == ':' || c == '[' || c == ']' || c == '%' || c == '~')
			break;
	}
	return add_link(t, h, e);
}

int
cf_links_extract(struct cf_text *t)
{
	size_t i = 0, e, p;
	unsigned dots;

	t->nlinks = 0;
	t->pool_len = 0;
	if (!t->link_hint) /* every link has a dot, "://" or "[" */
		return 0;
	i = 0;
	while (i < t->ln) {
		uint32_t c = M(i);
		int k = K(i);

		if (c == '[' && (e = ipv6_end(t, i)) && path_or_port(t, e)) {
			if (add_link(t, i, e) < 0)
				return -1;
			i = skip_path(t, e);
			continue;
		}
		if (k == CF_K_NONE) {
			i++;
			continue;
		}
		if (k == CF_K_ASCII && scheme_at(t, i, &p)) {
			e = scan_host(t, p, 1, &dots);
			if (add_authority(t, p, e) < 0)
				return -1;
			i = skip_path(t, e);
			if (i == p)
				i++;
			continue;
		}
		e = scan_host(t, i, 0, &dots);
		if (dots && bare_link(t, i, e)) { /* every bare link has a dot */
			if (add_link(t, i, e) < 0)
				return -1;
			e = skip_path(t, e);
		}
		i = e > i ? e : i + 1;
	}
	return 0;
}

/* ---- domain sets ---- */

struct cf_domains {
	char **v; /* canonical, sorted, unique */
	size_t n, cap;
};

struct cf_domains *
cf_domains_new(void)
{
	return calloc(1, sizeof(struct cf_domains));
}

void
cf_domains_free(struct cf_domains *d)
{
	size_t i;

	if (!d)
		return;
	for (i = 0; i < d->n; i++)
		free(d->v[i]);
	free(d->v);
	free(d);
}

size_t
cf_domains_count(const struct cf_domains *d)
{
	return d->n;
}

static int
find(const struct cf_domains *d, const char *s, size_t *at)
{
	size_t lo = 0, hi = d->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(s, d->v[mid]);

		if (c == 0) {
			*at = mid;
			return 1;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	*at = lo;
	return 0;
}

int
cf_domains_add(struct cf_domains *d, const char *domain, char *err,
    size_t errlen)
{
	char canon[CF_HOST_MAX + 1];
	const char *s = domain;
	size_t at, i;

	if (strncmp(s, "*.", 2) == 0)
		s += 2; /* subdomains are always included */
	else if (s[0] == '.')
		s++;
	if (strstr(s, "://") || strpbrk(s, "/@ \t\r\n")) {
		snprintf(err, errlen, "'%s' is not a domain name (write it as "
		    "example.com, without scheme, path or address)", domain);
		return -1;
	}
	if (cf_host_canon(s, strlen(s), canon, sizeof(canon)) < 0 ||
	    strstr(canon, "..") || canon[0] == '.') {
		snprintf(err, errlen, "'%s' is not a domain name", domain);
		return -1;
	}
	if (find(d, canon, &at))
		return 0;
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		char **v = realloc(d->v, cap * sizeof(*v));

		if (!v)
			goto nomem;
		d->v = v;
		d->cap = cap;
	}
	for (i = d->n; i > at; i--)
		d->v[i] = d->v[i - 1];
	if (!(d->v[at] = strdup(canon))) {
		for (i = at; i < d->n; i++)
			d->v[i] = d->v[i + 1];
		goto nomem;
	}
	d->n++;
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
	return -1;
}

const char *
cf_domains_match(const struct cf_domains *d, const char *host)
{
	const char *p = host;
	size_t at;

	while (p && *p) {
		if (find(d, p, &at))
			return d->v[at];
		if ((p = strchr(p, '.')))
			p++;
	}
	return NULL;
}
