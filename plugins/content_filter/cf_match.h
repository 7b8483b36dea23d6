/*
 * cf_match.h - the content filter's matching library.
 *
 * Owns everything that decides whether a text breaks a rule set: Unicode
 * folding (utf8proc), the Aho-Corasick automaton of blocked terms, the link
 * detector and domain sets. It knows nothing of the host: the plugin
 * (content_filter.c), the unit tests and tests/tools/bench_filter.c link it
 * directly. docs/content-filter.md says what is and is not caught.
 *
 * Life cycle: build cf_words / cf_domains once (init time, may allocate),
 * then for each message fill one reusable cf_text with cf_text_set and ask
 * each rule set with cf_rules_check. Checking never allocates unless a text
 * is longer than any seen before (the scratch grows, amortised).
 *
 * Ownership: every object is owned by whoever called its _new and freed with
 * its _free. Strings returned by getters live as long as the object they came
 * from (for cf_text: until the next cf_text_set). Nothing is global: several
 * instances can use the library side by side.
 */
#ifndef CF_MATCH_H
#define CF_MATCH_H

#include <stddef.h>

/* Longest blocked term, in bytes of its folded form. */
#define CF_TERM_MAX 200
/* Longest host name kept for a link, in bytes of its canonical form. */
#define CF_HOST_MAX 255

struct cf_text;    /* one message: folded letters and extracted link hosts */
struct cf_words;   /* a compiled set of blocked terms */
struct cf_domains; /* a set of domain names (canonical form) */

enum cf_link_policy {
	CF_LINKS_ALLOW = 0, /* links are fine */
	CF_LINKS_BLOCK,     /* every link blocks */
	CF_LINKS_ALLOWLIST, /* only `domains` and their subdomains */
	CF_LINKS_BLOCKLIST, /* `domains` and their subdomains block */
};

/* One rule set (global or per subaccount). Members are borrowed. */
struct cf_rules {
	const struct cf_words *words;     /* or NULL */
	enum cf_link_policy links;
	const struct cf_domains *domains; /* or NULL (an empty set) */
};

/*
 * Asked before a match blocks: return 1 if support allowed `value` (kind
 * "term": the folded term; kind "domain": a canonical host name), 0 if not.
 * May be NULL (nothing is allowed).
 */
typedef int (*cf_allowed_fn)(void *arg, const char *kind, const char *value);

/* ---- texts (cf_match.c) ---- */

/* A reusable scratch for one message at a time. NULL on ENOMEM. */
struct cf_text *cf_text_new(void);
void cf_text_free(struct cf_text *t);
/*
 * Fold `len` bytes of UTF-8 `text` and extract its links. Invalid UTF-8 bytes
 * count as punctuation. Returns 0, or -1 when the scratch could not grow.
 */
int cf_text_set(struct cf_text *t, const char *text, size_t len);
/* The links found by the last cf_text_set: canonical host names, in order. */
size_t cf_text_nlinks(const struct cf_text *t);
const char *cf_text_link(const struct cf_text *t, size_t i);

/*
 * The display form of a term: folded as texts are (case, accents,
 * compatibility forms), runs of spaces made one, trimmed. This is the form
 * reasons and allowlists use. Returns 0, or -1 if it does not fit or holds
 * no letter or digit.
 */
int cf_fold_term(const char *term, size_t len, char *out, size_t outlen);

/*
 * Judge a text against one rule set. Returns 1 and writes a reason ("word
 * 'gratis'", "link 'bit.ly' (blocked domain)", ...) on a block, 0 when the
 * text passes. Allowed matches are skipped and the scan goes on.
 */
int cf_rules_check(const struct cf_rules *r, const struct cf_text *t,
    cf_allowed_fn allowed, void *arg, char *reason, size_t reasonlen);

/* Parse "allow" / "block" / "allowlist" / "blocklist"; -1 if none. */
int cf_link_policy_parse(const char *s, enum cf_link_policy *out);

/* ---- blocked terms (cf_words.c) ---- */

struct cf_words *cf_words_new(void);
void cf_words_free(struct cf_words *w);
/*
 * Add a term (UTF-8, `len` bytes). Returns 0 (a duplicate is fine), or -1
 * with a message in err (no letters or digits, too long, ENOMEM).
 */
int cf_words_add(struct cf_words *w, const char *term, size_t len, char *err,
    size_t errlen);
/* Build the automaton after the last add. Returns 0, or -1 on ENOMEM. */
int cf_words_compile(struct cf_words *w);
size_t cf_words_count(const struct cf_words *w);
/*
 * The first blocked term that matches `t` and that `allowed` does not open,
 * as its folded display form (owned by w), or NULL.
 */
const char *cf_words_scan(const struct cf_words *w, const struct cf_text *t,
    cf_allowed_fn allowed, void *arg);

/* ---- links and domains (cf_link.c) ---- */

struct cf_domains *cf_domains_new(void);
void cf_domains_free(struct cf_domains *d);
/*
 * Add a domain ("bit.ly", "*.acme.com", "xn--mnchen-3ya.de", "MÜNCHEN.de").
 * Returns 0, or -1 with a message in err (a URL, spaces, empty label...).
 */
int cf_domains_add(struct cf_domains *d, const char *domain, char *err,
    size_t errlen);
size_t cf_domains_count(const struct cf_domains *d);
/* The configured domain (canonical) that `host` equals or is under, or NULL. */
const char *cf_domains_match(const struct cf_domains *d, const char *host);

/*
 * Canonical form of a host name: fullwidth forms and ideographic full stops
 * mapped, punycode labels decoded, NFKC and case folded, trailing dot
 * dropped. Returns 0, or -1 if it does not fit in outlen or is empty.
 */
int cf_host_canon(const char *host, size_t len, char *out, size_t outlen);

/* 1 if `label` (ASCII, any case) is a known top-level domain (cf_tld.c). */
int cf_tld_known(const char *label, size_t len);

#endif
