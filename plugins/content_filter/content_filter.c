/*
 * content_filter.c - the `content_filter` filter plugin.
 *
 * Owns the configuration of one instance (a global rule set plus one per
 * subaccount, read through host->cfg_*) and the check hook that runs a
 * message against the global set and then its subaccount's set. All the
 * matching lives in the library (cf_match.h); this file never looks inside a
 * text. It asks host->filter_allowed before a match blocks, always with the
 * message's own subaccount, so one subaccount's allowlist never opens what
 * blocks another. docs/content-filter.md is the operator's manual.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <switchboard/plugin.h>

#include "cf_match.h"

struct cf_set {
	char *name;                /* subaccount, or NULL for the global set */
	struct cf_words *words;
	struct cf_domains *domains;
	struct cf_rules rules;
};

struct cf_state {
	const struct sb_host *host;
	struct sb_instance *inst;
	struct cf_set global;
	struct cf_set *subs;       /* sorted by name */
	size_t nsubs;
	struct cf_text *text;      /* scratch reused by every check */
};

/* Keys a rule set may hold; `subaccounts` only at the top. */
static const char *const set_keys[] = { "words", "words_file", "links",
	"domains", NULL };

#define LOG(st, lvl, ...) (st)->host->log((st)->inst, (lvl), __VA_ARGS__)

static void
set_free(struct cf_set *s)
{
	free(s->name);
	cf_words_free(s->words);
	cf_domains_free(s->domains);
}

static int
add_term(struct cf_state *st, struct cf_set *set, struct sb_cfg *node,
    const char *term)
{
	char err[256];

	if (cf_words_add(set->words, term, strlen(term), err, sizeof(err)) == 0)
		return 0;
	st->host->cfg_error(node, "%s", err);
	return -1;
}

/*
 * A list of strings under `key` (a lone string is a list of one). Calls
 * `add` per item; returns 0, or -1 after recording errors.
 */
static int
read_list(struct cf_state *st, struct cf_set *set, struct sb_cfg *map,
    const char *key,
    int (*add)(struct cf_state *, struct cf_set *, struct sb_cfg *, const char *))
{
	const struct sb_host *h = st->host;
	struct sb_cfg *node = h->cfg_get(map, key), *item;
	const char *v, *k;
	size_t i, n;
	int rc = 0;

	if (!node)
		return 0;
	if ((v = h->cfg_scalar(node)))
		return add(st, set, node, v);
	n = h->cfg_len(node);
	for (i = 0; i < n; i++) {
		item = h->cfg_item(node, i, &k);
		if (k) {
			h->cfg_error(node, "expected a list of strings for '%s', "
			    "got a mapping", key);
			return -1;
		}
		if (!(v = h->cfg_scalar(item))) {
			h->cfg_error(item, "expected a string in '%s'", key);
			rc = -1;
			continue;
		}
		if (add(st, set, item, v) < 0)
			rc = -1;
	}
	return rc;
}

static int
add_domain(struct cf_state *st, struct cf_set *set, struct sb_cfg *node,
    const char *domain)
{
	char err[256];

	if (cf_domains_add(set->domains, domain, err, sizeof(err)) == 0)
		return 0;
	st->host->cfg_error(node, "%s", err);
	return -1;
}

/* One term per line; '#' at the start of a line (after spaces) comments. */
static int
read_words_file(struct cf_state *st, struct cf_set *set, struct sb_cfg *node,
    const char *path)
{
	char *line = NULL, err[256];
	size_t cap = 0, lineno = 0;
	ssize_t len;
	FILE *f;
	int rc = 0;

	if (!(f = fopen(path, "r"))) {
		st->host->cfg_error(node, "cannot open words_file '%s': %s", path,
		    strerror(errno));
		return -1;
	}
	while ((len = getline(&line, &cap, f)) >= 0) {
		char *s = line, *e = line + len;

		lineno++;
		while (e > s && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' ||
		    e[-1] == '\t'))
			e--;
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		if (s == e || *s == '#')
			continue;
		if (cf_words_add(set->words, s, (size_t)(e - s), err,
		    sizeof(err)) < 0) {
			st->host->cfg_error(node, "%s:%zu: %s", path, lineno, err);
			rc = -1;
		}
	}
	if (ferror(f)) {
		st->host->cfg_error(node, "reading words_file '%s': %s", path,
		    strerror(errno));
		rc = -1;
	}
	free(line);
	fclose(f);
	return rc;
}

/* Read one rule set from `map`; `where` names it in log lines. */
static int
read_set(struct cf_state *st, struct cf_set *set, struct sb_cfg *map,
    const char *where)
{
	const struct sb_host *h = st->host;
	const char *links, *path;
	int rc = 0, r;

	if (!(set->words = cf_words_new()) || !(set->domains = cf_domains_new())) {
		LOG(st, SB_LOG_ERROR, "out of memory");
		return -1;
	}
	if (read_list(st, set, map, "words", add_term) < 0)
		rc = -1;
	r = h->cfg_string(map, "words_file", NULL, &path);
	if (r < 0 || (r == 0 && path &&
	    read_words_file(st, set, h->cfg_get(map, "words_file"), path) < 0))
		rc = -1;
	if ((r = h->cfg_string(map, "links", "allow", &links)) < 0)
		rc = -1;
	else if (cf_link_policy_parse(links, &set->rules.links) < 0) {
		h->cfg_error(h->cfg_get(map, "links"), "expected allow, block, "
		    "allowlist or blocklist for 'links', got '%s'", links);
		rc = -1;
	}
	if (read_list(st, set, map, "domains", add_domain) < 0)
		rc = -1;
	if (rc < 0)
		return -1;
	if (cf_words_compile(set->words) < 0) {
		LOG(st, SB_LOG_ERROR, "out of memory building the %s terms", where);
		return -1;
	}
	set->rules.words = set->words;
	set->rules.domains = set->domains;
	if (cf_domains_count(set->domains) && (set->rules.links == CF_LINKS_ALLOW ||
	    set->rules.links == CF_LINKS_BLOCK))
		LOG(st, SB_LOG_WARN, "%s: 'domains' has no effect unless 'links' "
		    "is allowlist or blocklist", where);
	if (!cf_domains_count(set->domains) && set->rules.links == CF_LINKS_ALLOWLIST)
		LOG(st, SB_LOG_WARN, "%s: links: allowlist with no domains blocks "
		    "every link", where);
	return 0;
}

/*
 * The host reports unread keys of the instance's own mapping only; a
 * subaccount's mapping is ours to check, or a typo there would pass.
 */
static int
check_set_keys(struct cf_state *st, struct sb_cfg *map, const char *sub)
{
	size_t i, j, n = st->host->cfg_len(map);
	int rc = 0;

	for (i = 0; i < n; i++) {
		const char *k;
		struct sb_cfg *v = st->host->cfg_item(map, i, &k);

		for (j = 0; k && set_keys[j] && strcmp(k, set_keys[j]); j++)
			;
		if (k && !set_keys[j]) {
			st->host->cfg_error(v, "unknown key '%s' in subaccount '%s' "
			    "(expected one of: words, words_file, links, domains)",
			    k, sub);
			rc = -1;
		}
	}
	return rc;
}

static int
cmp_set(const void *a, const void *b)
{
	return strcmp(((const struct cf_set *)a)->name,
	    ((const struct cf_set *)b)->name);
}

static int
read_subaccounts(struct cf_state *st, struct sb_cfg *root)
{
	const struct sb_host *h = st->host;
	struct sb_cfg *node = h->cfg_get(root, "subaccounts");
	const char *k0 = NULL;
	size_t i, n;
	int rc = 0;

	if (!node)
		return 0;
	n = h->cfg_len(node);
	if (n)
		(void)h->cfg_item(node, 0, &k0); /* a key: it is a mapping */
	if (h->cfg_scalar(node) || (n && !k0)) {
		h->cfg_error(node, "expected a mapping of subaccount names to "
		    "rule sets for 'subaccounts'");
		return -1;
	}
	if (n && !(st->subs = calloc(n, sizeof(*st->subs)))) {
		LOG(st, SB_LOG_ERROR, "out of memory");
		return -1;
	}
	for (i = 0; i < n; i++) {
		const char *name;
		struct sb_cfg *map = h->cfg_item(node, i, &name);
		struct cf_set *set = &st->subs[st->nsubs];
		char where[300];

		if (!(set->name = strdup(name))) {
			LOG(st, SB_LOG_ERROR, "out of memory");
			return -1;
		}
		st->nsubs++;
		snprintf(where, sizeof(where), "subaccount '%s'", name);
		if (h->cfg_scalar(map) && *h->cfg_scalar(map)) {
			h->cfg_error(map, "expected a rule set (words, links, "
			    "domains) for %s", where);
			rc = -1;
			continue;
		}
		if (check_set_keys(st, map, name) < 0 ||
		    read_set(st, set, map, where) < 0)
			rc = -1;
	}
	if (rc == 0 && st->nsubs > 1) {
		qsort(st->subs, st->nsubs, sizeof(*st->subs), cmp_set);
		for (i = 1; i < st->nsubs; i++)
			if (strcmp(st->subs[i - 1].name, st->subs[i].name) == 0) {
				h->cfg_error(node, "subaccount '%s' appears twice",
				    st->subs[i].name);
				rc = -1;
			}
	}
	return rc;
}

static void
cf_fini(void *state)
{
	struct cf_state *st = state;
	size_t i;

	if (!st)
		return;
	set_free(&st->global);
	for (i = 0; i < st->nsubs; i++)
		set_free(&st->subs[i]);
	free(st->subs);
	cf_text_free(st->text);
	free(st);
}

static int
cf_init(const struct sb_host *host, struct sb_instance *inst, void **state)
{
	struct cf_state *st;
	struct sb_cfg *root;
	int rc = 0;
	size_t i, terms;

	if (!(st = calloc(1, sizeof(*st))))
		return -1;
	st->host = host;
	st->inst = inst;
	root = host->cfg_root(inst);
	if (!(st->text = cf_text_new())) {
		LOG(st, SB_LOG_ERROR, "out of memory");
		cf_fini(st);
		return -1;
	}
	/* Read everything before failing, so one start reports every error. */
	if (read_set(st, &st->global, root, "global rules") < 0)
		rc = -1;
	if (read_subaccounts(st, root) < 0)
		rc = -1;
	if (rc < 0) {
		cf_fini(st);
		return -1;
	}
	terms = cf_words_count(st->global.words);
	for (i = 0; i < st->nsubs; i++)
		terms += cf_words_count(st->subs[i].words);
	LOG(st, SB_LOG_INFO, "%zu blocked terms, %zu subaccount rule sets",
	    terms, st->nsubs);
	*state = st;
	return 0;
}

struct ask {
	struct cf_state *st;
	const char *subaccount;
};

static int
ask_allowed(void *arg, const char *kind, const char *value)
{
	const struct ask *a = arg;
	const struct sb_host *h = a->st->host;

	if (!SB_HOST_HAS(h, filter_allowed) || !h->filter_allowed)
		return 0;
	return h->filter_allowed(a->st->inst, a->subaccount, kind, value) == 1;
}

static const struct cf_set *
find_sub(const struct cf_state *st, const char *name)
{
	size_t lo = 0, hi = st->nsubs;

	while (name && lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(name, st->subs[mid].name);

		if (c == 0)
			return &st->subs[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static int
cf_check(void *state, const struct sb_check_request *req, struct sb_verdict *out)
{
	struct cf_state *st = state;
	struct ask a = { st, NULL };
	const struct cf_set *sub;
	int blocked;

	out->verdict = SB_VERDICT_ALLOW;
	out->reason[0] = '\0';
	if (req->struct_size < offsetof(struct sb_check_request, text) +
	    sizeof(req->text))
		return -1;
	if (!req->text) /* a template message: nothing to judge */
		return 0;
	a.subaccount = req->subaccount;
	if (cf_text_set(st->text, req->text, strlen(req->text)) < 0) {
		LOG(st, SB_LOG_ERROR, "out of memory checking a message");
		return -1;
	}
	blocked = cf_rules_check(&st->global.rules, st->text, ask_allowed, &a,
	    out->reason, sizeof(out->reason));
	if (!blocked && (sub = find_sub(st, req->subaccount)))
		blocked = cf_rules_check(&sub->rules, st->text, ask_allowed, &a,
		    out->reason, sizeof(out->reason));
	if (blocked) {
		out->verdict = SB_VERDICT_BLOCK;
		if (SB_HOST_HAS(st->host, counter_add) && st->host->counter_add)
			st->host->counter_add(st->inst, "content_filter_blocked", 1);
	}
	return 0;
}

SB_PLUGIN_DEFINE(content_filter) = SB_PLUGIN_INIT(
	.name = "content_filter",
	.version = "1.0.0",
	.description = "blocks messages by words and links, per subaccount",
	.kind = SB_PLUGIN_FILTER,
	.init = cf_init,
	.fini = cf_fini,
	.check = cf_check,
);
