/*
 * engine.c - the engine's life: creating and freeing its modules, start-up
 * (chain versions), and what a configuration reload may do to the messages
 * in flight.
 *
 * A reload never re-routes a message: each follows the chain version it
 * started with (chains.c). A reload that drops a channel instance still
 * needed by unfinished messages (attempts queued, sending or accepted on
 * it, or messages whose chain version has it at a step still ahead) is
 * refused, naming the instance and the count, so no message is stranded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "config.h"
#include "daemon.h"
#include "engine.h"
#include "log.h"
#include "store.h"

struct sb_dispatch *
sb_dispatch_new(struct sb_daemon *d)
{
	struct sb_dispatch *dp = calloc(1, sizeof(*dp));
	struct sb_error err = { 0 };

	if (dp == NULL)
		return NULL;
	dp->d = d;
	dp->chains = sb_chains_new();
	dp->due = sb_due_new(dp, d->base);
	dp->bcast = sb_bcast_new(dp, d->base);
	if (dp->chains == NULL || dp->due == NULL || dp->bcast == NULL || sb_pump_init(dp, d->base) < 0) {
		sb_dispatch_free(dp);
		return NULL;
	}
	if (sb_chains_sync(dp->chains, d->store, d->cfg, &err) < 0) {
		sb_log(SB_LOG_ERROR, "%s", err.message);
		sb_dispatch_free(dp);
		return NULL;
	}
	return dp;
}

void
sb_dispatch_free(struct sb_dispatch *dp)
{
	if (dp == NULL)
		return;
	sb_bcast_free(dp->bcast);
	sb_due_free(dp->due);
	sb_chains_free(dp->chains);
	sb_pump_clear(dp);
	sb_watch_clear(dp);
	free(dp->batch.acks);
	free(dp);
}

void
sb_dispatch_kick(struct sb_dispatch *dp)
{
	sb_due_now(dp->due);
}

struct using_versions {
	int64_t vers[256];
	int lasts[256];
	size_t n;
};

static void
add_version(void *arg, int64_t ver, int last_step)
{
	struct using_versions *u = arg;

	if (u->n < sizeof(u->vers) / sizeof(u->vers[0])) {
		u->vers[u->n] = ver;
		u->lasts[u->n++] = last_step;
	}
}

int
sb_dispatch_check_reload(struct sb_dispatch *dp, const struct sb_config *cfg,
    struct sb_error *err)
{
	const struct sb_config *old = dp->d->cfg;

	for (size_t i = 0; i < old->ninstances; i++) {
		const char *name = old->instances[i].name;
		struct using_versions u = { .n = 0 };
		int64_t n;
		int kept = 0;

		for (size_t k = 0; k < cfg->ninstances && !kept; k++)
			kept = strcmp(cfg->instances[k].name, name) == 0;
		if (kept)
			continue;
		sb_chains_using(dp->chains, name, add_version, &u);
		n = sb_store_count_using(dp->d->store, name, u.vers, u.lasts, u.n);
		if (n < 0)
			return sb_error_set(err, SB_E_INTERNAL, "cannot count the messages that"
			    " still need plugins.%s: %s", name, sb_store_errmsg(dp->d->store));
		if (n > 0)
			return sb_error_set(err, SB_E_CONFIG_INVALID,
			    "plugins.%s is still needed by %lld unfinished messages; keep it until"
			    " they are final (or cancel them), then remove it", name, (long long)n);
	}
	return 0;
}

int
sb_dispatch_reloaded(struct sb_dispatch *dp, struct sb_error *err)
{
	return sb_chains_sync(dp->chains, dp->d->store, dp->d->cfg, err);
}
