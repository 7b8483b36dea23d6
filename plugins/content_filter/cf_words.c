/*
 * cf_words.c - blocked terms: the Aho-Corasick automaton and the rules that
 * turn a raw hit into a whole-word match.
 *
 * The automaton runs over folded letters only (cf_text.cp): separators are
 * not symbols, so one pass finds "free money", "f.r.e.e money" and
 * "FREE\nmoney" alike. Each hit is then checked against the gaps the folder
 * recorded (cf_internal.h) for what separators the term allows and for word
 * boundaries; only a hit that passes and that support has not allowed
 * blocks. Hits are rare, so the check costs nothing on clean text.
 *
 * Symbols are the distinct code points of the terms, most frequent first;
 * the first DENSE_MAX get a full DFA row per state (no failure walks on the
 * hot path), rarer ones (an ideograph that one term uses) sparse edges plus
 * failure links. A code point no term uses sends the automaton to the root.
 */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include "cf_internal.h"

#define DENSE_MAX 64
#define TERM_LETTERS_MAX 128 /* folded letters in one term */

/* What a term allows between two of its letters. */
enum { BRK_WORD = 0, BRK_SPACE = 1, BRK_ANY = 2 };

struct term {
	char *display;    /* folded form, reported and asked about */
	uint32_t *cp;     /* folded letters */
	uint8_t *brk;     /* brk[j]: between cp[j-1] and cp[j]; brk[0] unused */
	uint32_t len;
	int32_t next;     /* next term ending at the same state, or -1 */
};

struct sym {
	uint32_t cp, id;
};

struct edge {
	uint32_t sym, to;
};

struct cf_words {
	struct term *terms;
	size_t nterms, cap;
	struct cf_text *tmp; /* folds terms while adding; freed by compile */

	/* The automaton, valid once compiled. */
	int compiled;
	uint32_t ascii[128];  /* code point -> symbol for ASCII; 0: none */
	struct sym *ext;      /* sorted by cp, for the rest */
	size_t next;
	uint32_t nsym, k;     /* symbols 1..k are dense */
	uint32_t nstates;
	uint32_t *dense;      /* nstates * (k + 1) */
	uint32_t *fail;
	uint32_t *dict;       /* nearest failure state that ends a term, or 0 */
	int32_t *first;       /* first term ending at a state, or -1 */
	uint32_t *sp_off, *sp_cnt;
	struct edge *sp;      /* sparse edges for symbols > k, sorted per state */
};

struct cf_words *
cf_words_new(void)
{
	struct cf_words *w = calloc(1, sizeof(*w));

	if (w && !(w->tmp = cf_text_new())) {
		free(w);
		return NULL;
	}
	return w;
}

static void
free_automaton(struct cf_words *w)
{
	free(w->ext);
	free(w->dense);
	free(w->fail);
	free(w->dict);
	free(w->first);
	free(w->sp_off);
	free(w->sp_cnt);
	free(w->sp);
	w->ext = NULL;
	w->dense = w->fail = w->dict = w->sp_off = w->sp_cnt = NULL;
	w->first = NULL;
	w->sp = NULL;
	w->compiled = 0;
}

void
cf_words_free(struct cf_words *w)
{
	size_t i;

	if (!w)
		return;
	for (i = 0; i < w->nterms; i++) {
		free(w->terms[i].display);
		free(w->terms[i].cp);
		free(w->terms[i].brk);
	}
	free(w->terms);
	free_automaton(w);
	cf_text_free(w->tmp);
	free(w);
}

size_t
cf_words_count(const struct cf_words *w)
{
	return w->nterms;
}

int
cf_words_add(struct cf_words *w, const char *term, size_t len, char *err,
    size_t errlen)
{
	char disp[CF_TERM_MAX + 1];
	struct term *t;
	size_t j;

	if (!w->tmp) {
		snprintf(err, errlen, "terms added after compile");
		return -1;
	}
	if (cf_fold_term(term, len, disp, sizeof(disp)) < 0) {
		snprintf(err, errlen, "'%.*s' is not a usable term (no letter or "
		    "digit, invalid UTF-8, or longer than %d bytes folded)",
		    len > 60 ? 60 : (int)len, term, CF_TERM_MAX);
		return -1;
	}
	if (cf_text_fold(w->tmp, term, len) < 0)
		goto nomem;
	if (w->tmp->n > TERM_LETTERS_MAX) {
		snprintf(err, errlen, "'%s' has more than %d letters", disp,
		    TERM_LETTERS_MAX);
		return -1;
	}
	if (w->nterms == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 64;
		struct term *v = realloc(w->terms, cap * sizeof(*v));

		if (!v)
			goto nomem;
		w->terms = v;
		w->cap = cap;
	}
	t = &w->terms[w->nterms];
	memset(t, 0, sizeof(*t));
	t->len = (uint32_t)w->tmp->n;
	t->display = strdup(disp);
	t->cp = malloc(t->len * sizeof(*t->cp));
	t->brk = malloc(t->len);
	if (!t->display || !t->cp || !t->brk) {
		free(t->display);
		free(t->cp);
		free(t->brk);
		goto nomem;
	}
	memcpy(t->cp, w->tmp->cp, t->len * sizeof(*t->cp));
	/*
	 * Spaces, dots and dashes in a configured term are all one kind of
	 * word break ("e-mail" also matches "e mail"); other punctuation
	 * ("don't") matches any separator, but never none.
	 */
	t->brk[0] = BRK_WORD;
	for (j = 1; j < t->len; j++) {
		uint8_t g = w->tmp->gap[j];

		t->brk[j] = g == CF_GAP_NONE ? BRK_WORD :
		    g == CF_GAP_OTHER ? BRK_ANY : BRK_SPACE;
	}
	t->next = -1;
	w->nterms++;
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
	return -1;
}

/* ---- building ---- */

static int
cmp_term(const void *a, const void *b)
{
	return strcmp(((const struct term *)a)->display,
	    ((const struct term *)b)->display);
}

static int
cmp_sym_freq(const void *a, const void *b)
{
	const struct sym *x = a, *y = b; /* id holds the count while sorting */

	if (x->id != y->id)
		return x->id > y->id ? -1 : 1;
	return x->cp < y->cp ? -1 : x->cp > y->cp;
}

static int
cmp_sym_cp(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;

	return x->cp < y->cp ? -1 : x->cp > y->cp;
}

static inline uint32_t
sym_of(const struct cf_words *w, uint32_t cp)
{
	size_t lo = 0, hi = w->next;

	if (cp < 128)
		return w->ascii[cp];
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (cp < w->ext[mid].cp)
			hi = mid;
		else if (cp > w->ext[mid].cp)
			lo = mid + 1;
		else
			return w->ext[mid].id;
	}
	return 0;
}

/* Give every distinct code point a symbol, most frequent first. */
static int
build_symbols(struct cf_words *w)
{
	struct sym *all;
	size_t i, j, total = 0, n = 0;

	for (i = 0; i < w->nterms; i++)
		total += w->terms[i].len;
	if (!(all = malloc((total + 1) * sizeof(*all))))
		return -1;
	for (i = 0; i < w->nterms; i++)
		for (j = 0; j < w->terms[i].len; j++)
			all[n++] = (struct sym){ w->terms[i].cp[j], 1 };
	qsort(all, n, sizeof(*all), cmp_sym_cp);
	for (i = 0, j = 0; i < n; i++) {
		if (j && all[j - 1].cp == all[i].cp)
			all[j - 1].id++;
		else
			all[j++] = all[i];
	}
	n = j;
	qsort(all, n, sizeof(*all), cmp_sym_freq);
	memset(w->ascii, 0, sizeof(w->ascii));
	w->next = 0;
	for (i = 0; i < n; i++) {
		all[i].id = (uint32_t)i + 1;
		if (all[i].cp < 128)
			w->ascii[all[i].cp] = all[i].id;
		else
			all[w->next++] = all[i]; /* compacts in place: next <= i */
	}
	qsort(all, w->next, sizeof(*all), cmp_sym_cp);
	w->ext = all;
	w->nsym = (uint32_t)n;
	w->k = w->nsym < DENSE_MAX ? w->nsym : DENSE_MAX;
	return 0;
}

/* The trie while building: children as sibling lists. */
struct trie {
	uint32_t *child, *sib, *sym;
	uint32_t n;
};

static uint32_t
trie_child(const struct trie *tr, uint32_t s, uint32_t sym)
{
	uint32_t c;

	for (c = tr->child[s]; c; c = tr->sib[c])
		if (tr->sym[c] == sym)
			return c;
	return 0;
}

/* One step of the automaton: dense row, or sparse edges and failures. */
static inline uint32_t
step(const struct cf_words *w, uint32_t s, uint32_t sym)
{
	if (sym == 0)
		return 0;
	if (sym <= w->k)
		return w->dense[(size_t)s * (w->k + 1) + sym];
	for (;;) {
		const struct edge *e = w->sp + w->sp_off[s];
		uint32_t lo = 0, hi = w->sp_cnt[s];

		while (lo < hi) {
			uint32_t mid = (lo + hi) / 2;

			if (sym < e[mid].sym)
				hi = mid;
			else if (sym > e[mid].sym)
				lo = mid + 1;
			else
				return e[mid].to;
		}
		if (s == 0)
			return 0;
		s = w->fail[s];
	}
}

static int
build_automaton(struct cf_words *w, struct trie *tr)
{
	uint32_t *queue = NULL, qh = 0, qt = 0, s, c, nsp = 0, k1 = w->k + 1;
	size_t i;

	w->nstates = tr->n;
	w->dense = calloc((size_t)tr->n * k1, sizeof(*w->dense));
	w->fail = calloc(tr->n, sizeof(*w->fail));
	w->dict = calloc(tr->n, sizeof(*w->dict));
	w->first = malloc(tr->n * sizeof(*w->first));
	w->sp_off = calloc(tr->n, sizeof(*w->sp_off));
	w->sp_cnt = calloc(tr->n, sizeof(*w->sp_cnt));
	w->sp = malloc((tr->n + 1) * sizeof(*w->sp));
	queue = malloc(tr->n * sizeof(*queue));
	if (!w->dense || !w->fail || !w->dict || !w->first || !w->sp_off ||
	    !w->sp_cnt || !w->sp || !queue) {
		free(queue);
		return -1;
	}
	for (s = 0; s < tr->n; s++)
		w->first[s] = -1;
	for (i = w->nterms; i-- > 0;) {
		/* Walk the term again to find its final state. */
		const struct term *t = &w->terms[i];
		uint32_t j;

		for (s = 0, j = 0; j < t->len; j++)
			s = trie_child(tr, s, sym_of(w, t->cp[j]));
		w->terms[i].next = w->first[s];
		w->first[s] = (int32_t)i;
	}
	/* Sparse edges, grouped per state in state order, sorted by symbol. */
	for (s = 0; s < tr->n; s++) {
		uint32_t a = nsp, x, y;

		w->sp_off[s] = nsp;
		for (c = tr->child[s]; c; c = tr->sib[c])
			if (tr->sym[c] > w->k)
				w->sp[nsp++] = (struct edge){ tr->sym[c], c };
		w->sp_cnt[s] = nsp - a;
		for (x = a + 1; x < nsp; x++) /* insertion sort: few edges */
			for (y = x; y > a && w->sp[y - 1].sym > w->sp[y].sym; y--) {
				struct edge e = w->sp[y];

				w->sp[y] = w->sp[y - 1];
				w->sp[y - 1] = e;
			}
	}
	/* Breadth first: a state's failure is shallower, so already done. */
	queue[qt++] = 0;
	while (qh < qt) {
		uint32_t sym;

		s = queue[qh++];
		for (sym = 1; sym <= w->k; sym++) {
			c = trie_child(tr, s, sym);
			w->dense[(size_t)s * k1 + sym] = c ? c :
			    s ? w->dense[(size_t)w->fail[s] * k1 + sym] : 0;
		}
		for (c = tr->child[s]; c; c = tr->sib[c]) {
			uint32_t f = s ? step(w, w->fail[s], tr->sym[c]) : 0;

			w->fail[c] = f;
			w->dict[c] = w->first[f] >= 0 ? f : w->dict[f];
			queue[qt++] = c;
		}
	}
	free(queue);
	return 0;
}

int
cf_words_compile(struct cf_words *w)
{
	struct trie tr = { NULL, NULL, NULL, 0 };
	size_t i, j, cap = 1;
	int rc = -1;

	free_automaton(w);
	/* Duplicates (same folded form) would only report twice. */
	if (w->nterms)
		qsort(w->terms, w->nterms, sizeof(*w->terms), cmp_term);
	for (i = 0, j = 0; i < w->nterms; i++) {
		if (j && strcmp(w->terms[j - 1].display, w->terms[i].display) == 0) {
			free(w->terms[i].display);
			free(w->terms[i].cp);
			free(w->terms[i].brk);
			continue;
		}
		w->terms[j++] = w->terms[i];
	}
	w->nterms = j;
	for (i = 0; i < w->nterms; i++)
		cap += w->terms[i].len;
	if (build_symbols(w) < 0)
		return -1;
	tr.child = calloc(cap, sizeof(uint32_t));
	tr.sib = calloc(cap, sizeof(uint32_t));
	tr.sym = calloc(cap, sizeof(uint32_t));
	if (!tr.child || !tr.sib || !tr.sym)
		goto out;
	tr.n = 1;
	for (i = 0; i < w->nterms; i++) {
		uint32_t s = 0;

		for (j = 0; j < w->terms[i].len; j++) {
			uint32_t sym = sym_of(w, w->terms[i].cp[j]);
			uint32_t c = trie_child(&tr, s, sym);

			if (!c) {
				c = tr.n++;
				tr.sym[c] = sym;
				tr.sib[c] = tr.child[s];
				tr.child[s] = c;
			}
			s = c;
		}
	}
	if (build_automaton(w, &tr) < 0)
		goto out;
	w->compiled = 1;
	cf_text_free(w->tmp);
	w->tmp = NULL;
	rc = 0;
out:
	free(tr.child);
	free(tr.sib);
	free(tr.sym);
	if (rc < 0)
		free_automaton(w);
	return rc;
}

/* ---- matching ---- */

/* A letter that is a word by itself: gaps on both sides. */
static inline int
single(const struct cf_text *x, size_t i)
{
	return x->gap[i] != CF_GAP_NONE && x->gap[i + 1] != CF_GAP_NONE;
}

/*
 * Is there a word boundary between letters `out` and `in` (adjacent in the
 * folded stream; `in` is the first or last letter of the hit, `inner` the
 * gap inside the hit next to it, or NONE if the hit's edge word is one
 * letter)?
 */
static int
boundary(const struct cf_text *x, size_t out, size_t in, uint8_t g,
    uint8_t inner)
{
	if (g == CF_GAP_NONE)
		/* Letters touch. Fine only next to (or inside) CJK text. */
		return x->unsp[out] || x->unsp[in];
	/*
	 * A spelled-out word goes on: "a.s.s.e.t" is not "a.s.s". The hit's
	 * edge letter is spelled out with the same separator as its outside
	 * neighbour, which is a lone letter too.
	 */
	if ((g == CF_GAP_JOIN || g == CF_GAP_SP1) && inner == g &&
	    single(x, out))
		return 0;
	return 1;
}

/* Does term t, ending at letter e of x, match as the rules say? */
static int
whole_match(const struct term *t, const struct cf_text *x, size_t e)
{
	size_t s = e + 1 - t->len, j;
	unsigned intra = 0, sp1 = 0;

	if (s > 0 && !boundary(x, s - 1, s, x->gap[s],
	    t->len > 1 && t->brk[1] == BRK_WORD ? x->gap[s + 1] : CF_GAP_NONE))
		return 0;
	if (e + 1 < x->n && !boundary(x, e + 1, e, x->gap[e + 1],
	    t->len > 1 && t->brk[t->len - 1] == BRK_WORD ? x->gap[e] :
	    CF_GAP_NONE))
		return 0;
	for (j = 1; j <= t->len; j++) {
		uint8_t g = j < t->len ? x->gap[s + j] : CF_GAP_OTHER;
		uint8_t b = j < t->len ? t->brk[j] : BRK_SPACE;

		if (b == BRK_WORD) {
			/* Inside a word: touching, joined ("f.r.e.e"), or
			 * spelled with single spaces ("f r e e"). */
			if (g == CF_GAP_SP1)
				sp1++;
			else if (g != CF_GAP_NONE && g != CF_GAP_JOIN)
				return 0;
			intra++;
			continue;
		}
		/* A word of the term ends at j - 1: spaced out all the way or
		 * not at all, so "fr ee" is two words, not "free". */
		if (sp1 && sp1 != intra)
			return 0;
		intra = sp1 = 0;
		if (j == t->len)
			break;
		if (b == BRK_SPACE && g != CF_GAP_JOIN && g != CF_GAP_SP1 &&
		    g != CF_GAP_SPN && g != CF_GAP_DASHSP)
			return 0;
		if (b == BRK_ANY && g == CF_GAP_NONE)
			return 0;
	}
	return 1;
}

const char *
cf_words_scan(const struct cf_words *w, const struct cf_text *x,
    cf_allowed_fn allowed, void *arg)
{
	uint32_t s = 0;
	size_t i;

	if (!w->compiled || w->nterms == 0)
		return NULL;
	for (i = 0; i < x->n; i++) {
		uint32_t o;

		s = step(w, s, sym_of(w, x->cp[i]));
		o = w->first[s] >= 0 ? s : w->dict[s];
		for (; o; o = w->dict[o]) {
			int32_t ti;

			for (ti = w->first[o]; ti >= 0; ti = w->terms[ti].next) {
				const struct term *t = &w->terms[ti];

				if (!whole_match(t, x, i))
					continue;
				if (allowed && allowed(arg, "term", t->display))
					continue;
				return t->display;
			}
		}
	}
	return NULL;
}
