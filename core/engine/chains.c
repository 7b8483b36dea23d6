/*
 * chains.c - chain versions: a message follows the chain it started with.
 *
 * Every chain of the configuration is stored as a version (its steps as
 * JSON, one row per distinct definition). A message records the version
 * current when it was submitted and every later step is read from that
 * version, so a reload that reorders or edits a chain never moves a
 * message in flight to another channel: only messages submitted after the
 * reload use the new steps. All versions are held in memory (they are few:
 * one per edit of a chain), loaded at start and added to at each reload.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "clock.h"
#include "config.h"
#include "engine.h"
#include "xalloc.h"

struct sb_chains {
	struct sb_chain_version *v;  /* every version, by id order */
	size_t n, cap;
	struct { char *name; int64_t ver; } *cur; /* the configuration's chains */
	size_t ncur;
};

static void *
zalloc(size_t n, size_t size)
{
	void *p = sb_xrealloc(NULL, n ? n : 1, size);

	memset(p, 0, (n ? n : 1) * size);
	return p;
}

struct sb_chains *
sb_chains_new(void)
{
	return calloc(1, sizeof(struct sb_chains));
}

static void
version_clear(struct sb_chain_version *v)
{
	for (size_t i = 0; i < v->nsteps; i++)
		free(v->steps[i].channel);
	free(v->steps);
	free(v->name);
}

static void
current_clear(struct sb_chains *c)
{
	for (size_t i = 0; i < c->ncur; i++)
		free(c->cur[i].name);
	free(c->cur);
	c->cur = NULL;
	c->ncur = 0;
}

void
sb_chains_free(struct sb_chains *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++)
		version_clear(&c->v[i]);
	free(c->v);
	current_clear(c);
	free(c);
}

/* The stored form of a chain's steps: what decides the route and timing. */
static char *
chain_spec(const struct sb_config_chain *ch)
{
	json_t *a = json_array();
	char *s;

	for (size_t i = 0; i < ch->nsteps; i++)
		json_array_append_new(a, json_pack("{s:s, s:I, s:s}",
		    "channel", ch->steps[i].channel,
		    "fallback_after_ms", (json_int_t)ch->steps[i].fallback_after_ms,
		    "on_undeliverable", ch->steps[i].on_undeliverable == SB_UNDELIV_WAIT ?
			"wait" : "next"));
	s = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return s;
}

static int
version_add(struct sb_chains *c, int64_t id, const char *name, const char *spec)
{
	json_t *a = json_loads(spec, 0, NULL), *step;
	struct sb_chain_version v = { .id = id };
	size_t i;

	if (!json_is_array(a)) {
		json_decref(a);
		return -1;
	}
	v.name = sb_xstrdup(name);
	v.nsteps = json_array_size(a);
	v.steps = zalloc(v.nsteps, sizeof(*v.steps));
	json_array_foreach(a, i, step) {
		const char *w = json_string_value(json_object_get(step, "on_undeliverable"));

		v.steps[i].channel = sb_xstrdup(json_string_value(json_object_get(step, "channel")) ?
		    json_string_value(json_object_get(step, "channel")) : "");
		v.steps[i].fallback_after_ms = json_integer_value(json_object_get(step,
		    "fallback_after_ms"));
		v.steps[i].undeliverable_waits = w != NULL && strcmp(w, "wait") == 0;
	}
	json_decref(a);
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		c->v = sb_xrealloc(c->v, c->cap, sizeof(*c->v));
	}
	c->v[c->n++] = v;
	return 0;
}

static int
load_row(void *arg, int64_t id, const char *name, const char *spec)
{
	struct sb_chains *c = arg;

	if (sb_chains_get(c, id, NULL) == NULL)
		version_add(c, id, name, spec);
	return 0;
}

int
sb_chains_sync(struct sb_chains *c, struct sb_store *st, const struct sb_config *cfg,
    struct sb_error *err)
{
	if (sb_store_chain_each(st, load_row, c) < 0)
		return sb_error_set(err, SB_E_INTERNAL, "reading chain versions: %s",
		    sb_store_errmsg(st));
	current_clear(c);
	c->cur = zalloc(cfg->nchains, sizeof(*c->cur));
	for (size_t i = 0; i < cfg->nchains; i++) {
		char *spec = chain_spec(&cfg->chains[i]);
		int64_t id = spec != NULL ? sb_store_chain_version(st, cfg->chains[i].name, spec,
		    sb_now_ms()) : -1;

		if (id > 0 && sb_chains_get(c, id, NULL) == NULL)
			version_add(c, id, cfg->chains[i].name, spec);
		free(spec);
		if (id <= 0)
			return sb_error_set(err, SB_E_INTERNAL, "storing chain '%s': %s",
			    cfg->chains[i].name, sb_store_errmsg(st));
		c->cur[c->ncur].name = sb_xstrdup(cfg->chains[i].name);
		c->cur[c->ncur++].ver = id;
	}
	return 0;
}

int64_t
sb_chains_current(const struct sb_chains *c, const char *name)
{
	for (size_t i = 0; name != NULL && i < c->ncur; i++)
		if (strcmp(c->cur[i].name, name) == 0)
			return c->cur[i].ver;
	return 0;
}

const struct sb_chain_version *
sb_chains_get(const struct sb_chains *c, int64_t ver, const char *name)
{
	size_t lo = 0, hi;

	if (ver == 0)
		ver = sb_chains_current(c, name);
	if (ver == 0)
		return NULL;
	/* Ids grow with each version added: binary search. */
	hi = c->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->v[mid].id == ver)
			return &c->v[mid];
		if (c->v[mid].id < ver)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void
sb_chains_using(const struct sb_chains *c, const char *instance,
    void (*fn)(void *arg, int64_t ver, int last_step), void *arg)
{
	for (size_t i = 0; i < c->n; i++) {
		int last = -1;

		for (size_t k = 0; k < c->v[i].nsteps; k++)
			if (strcmp(c->v[i].steps[k].channel, instance) == 0)
				last = (int)k;
		if (last >= 0)
			fn(arg, c->v[i].id, last);
	}
}
