/*
 * cf_internal.h - what the files of the matching library share and nobody
 * else sees: the layout of struct cf_text and the folding primitives.
 * Not part of any interface; the plugin and the tests use cf_match.h.
 */
#ifndef CF_INTERNAL_H
#define CF_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "cf_match.h"

/*
 * What separated a folded letter from the letter before it. Word matching
 * only looks at letters and digits; these kinds are all it keeps of the
 * rest, and they are what makes "f.r.e.e" or "free   money" match while
 * "glass. Sorry" does not.
 */
enum cf_gap {
	CF_GAP_NONE = 0, /* adjacent: same word */
	CF_GAP_JOIN,     /* 1-3 of . - _ and nothing else: "f.r.e.e", "e-mail" */
	CF_GAP_SP1,      /* exactly one white space (incl. a newline) */
	CF_GAP_SPN,      /* several white spaces, nothing else */
	CF_GAP_DASHSP,   /* white space with dashes/underscores: "free - money" */
	CF_GAP_OTHER,    /* anything else: ". ", ",", emoji, start, end */
};

struct cf_link {
	uint32_t canon; /* offset of the canonical host in pool */
	uint32_t raw;   /* offset of the host as written (ASCII, lower case) if
	                   it differs (punycode), else == canon */
};

/*
 * Folding a non-ASCII code point costs a utf8proc lookup or two; messages
 * repeat the same few (accents, kana), so each scratch remembers recent
 * results. Entries hold up to CF_FOLD_CACHED outputs; longer ones are not
 * cached.
 */
#define CF_FOLD_CACHE 512
#define CF_FOLD_CACHED 3

/* What a code point is to a host name (cf_link.c). */
enum cf_link_kind {
	CF_K_NONE = 0, /* not part of a label */
	CF_K_ASCII,    /* ASCII letter or digit (fullwidth ones too) */
	CF_K_UNSP,     /* a letter of a script written without spaces */
	CF_K_OTHER,    /* any other letter, digit or mark (IDN) */
};

struct cf_fold_entry {
	uint32_t cp;                   /* 0: empty */
	uint8_t n;                     /* outputs */
	uint8_t unsp;                  /* from a script without spaces */
	uint8_t lk;                    /* enum cf_link_kind of cp */
	uint8_t cls[CF_FOLD_CACHED];   /* 0: letter, else a separator class */
	uint32_t out[CF_FOLD_CACHED];
};

struct cf_text {
	/* The raw text as code points (invalid bytes become U+FFFD). */
	uint32_t *lcp;
	size_t ln, lcap;

	/*
	 * The folded letters and digits. gap[i] says what came between cp[i-1]
	 * and cp[i]; gap[0] and gap[n] are CF_GAP_OTHER so that the ends of
	 * the text are boundaries. unsp[i] is 1 when the letter comes from a
	 * script written without spaces (CJK, kana, Hangul, Thai...).
	 */
	uint32_t *cp;
	uint8_t *gap;
	uint8_t *unsp;
	size_t n, cap;

	/* enum cf_link_kind of each lcp, filled while folding (one pass over
	 * the text); link_hint is 0 when no link is possible (no dot, colon
	 * or bracket anywhere). */
	uint8_t *lk;
	int link_hint;

	struct cf_fold_entry fold_cache[CF_FOLD_CACHE];

	struct cf_link *links;
	size_t nlinks, linkcap;
	char *pool;
	size_t pool_len, pool_cap;
};

/* Decode and fold `s` into t (letters and gaps only, no links). 0 / -1. */
int cf_text_fold(struct cf_text *t, const char *s, size_t len);
/* Find links in t->lcp and append their hosts to t->links. 0 / -1. */
int cf_links_extract(struct cf_text *t);
/* 1 if `cp` belongs to a script written without spaces between words. */
int cf_is_unspaced(uint32_t cp);
/* 1 if `cp` is white space. */
int cf_is_space(uint32_t cp);
/* The enum cf_link_kind of a raw code point (cf_link.c). */
uint8_t cf_link_kind(uint32_t cp);

#endif
