/*
 * lanes.c - the choice of which ready attempts of one channel instance go
 * out in a pump pass, within the subaccounts' buckets and in-flight limits
 * (the pump applies the instance's own).
 *
 * The queue is never loaded into memory: each pass asks the store for at
 * most as many ready attempts as may start now. Without subaccount limits
 * that is one indexed query (oldest first). With them, every subaccount
 * that has queued attempts on the instance is a lane (found with a loose
 * scan of the (instance, subaccount, next_ms) index); the pass splits its
 * slots among the lanes in a rotating order, a throttled subaccount's lane
 * is skipped until its next token, and the others are not held behind it.
 * It never changes a status: the pump marks what it gets `sending`. What a
 * pass learns of the queue it keeps on the instance (queue_due_ms: when
 * its next queued attempt is due), for the pump and the direct start.
 */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "config.h"
#include "daemon.h"
#include "engine.h"
#include "instance.h"
#include "ratelimit.h"
#include "store.h"

int
sb_lanes_sub_slot(struct sb_dispatch *dp, const char *name)
{
	struct sb_sub_bucket *s;

	for (size_t i = 0; i < dp->pump.nsubs; i++)
		if (strcmp(dp->pump.subs[i].name, name) == 0)
			return (int)i;
	if (dp->pump.nsubs == dp->pump.capsubs) {
		size_t cap = dp->pump.capsubs ? dp->pump.capsubs * 2 : 16;

		s = realloc(dp->pump.subs, cap * sizeof(*s));
		if (s == NULL)
			return -1;
		dp->pump.subs = s;
		dp->pump.capsubs = cap;
	}
	s = &dp->pump.subs[dp->pump.nsubs];
	memset(s, 0, sizeof(*s));
	memcpy(s->name, name, strnlen(name, sizeof(s->name) - 1));
	return (int)dp->pump.nsubs++;
}

void
sb_lanes_sub_inflight(struct sb_dispatch *dp, int slot, int delta)
{
	if (slot >= 0 && (size_t)slot < dp->pump.nsubs)
		dp->pump.subs[slot].inflight += (unsigned)delta;
}

int
sb_lanes_sub_allowance(struct sb_dispatch *dp, const struct sb_config_subaccount *sub,
    int64_t now_us, int64_t *wait_ms, struct sb_sub_bucket **bucket)
{
	int slot = sub->max_in_flight > 0 || sub->rate > 0 ? sb_lanes_sub_slot(dp, sub->name) : -1;
	struct sb_sub_bucket *sb = slot >= 0 ? &dp->pump.subs[slot] : NULL;
	int allow = INT_MAX;

	*wait_ms = 0;
	*bucket = sb;
	/* No limits, or no memory for its slot: nothing to apply. */
	if (sb == NULL)
		return allow;
	/* At its in-flight limit it waits for an answer, which pumps. */
	if (sub->max_in_flight > 0) {
		int64_t room = sub->max_in_flight - (int64_t)sb->inflight;

		if (room <= 0)
			return 0;
		if (room < allow)
			allow = (int)room;
	}
	if (sub->rate > 0) {
		int tokens = sb_bucket_allowance(&sb->bucket, sub->rate, (double)sub->burst, now_us,
		    wait_ms);

		if (tokens < allow)
			allow = tokens;
	}
	return allow;
}

int
sb_lanes_limited(const struct sb_config *cfg)
{
	for (size_t i = 0; i < cfg->nsubaccounts; i++)
		if (cfg->subaccounts[i].rate > 0 || cfg->subaccounts[i].max_in_flight > 0)
			return 1;
	return 0;
}

static void
lower_wait(int64_t *wait, int64_t ms)
{
	if (ms < *wait)
		*wait = ms;
}

/*
 * Up to `cap` ready attempts, split fairly among subaccount lanes. *held
 * is set when a lane may have kept a due attempt back (its limits, its
 * share filled, lanes not visited), so the caller does not take the queue
 * for drained.
 */
static size_t
select_lanes(struct sb_dispatch *dp, struct sb_instance *inst, int64_t now, int cap,
    int64_t *wait, int *held)
{
	const struct sb_config *cfg = dp->d->cfg;
	struct sb_store *st = dp->d->store;
	int64_t now_us = sb_mono_us();
	size_t n = 0, start = dp->pump.nready;
	int remaining = cap;

	while (n < SB_MAX_LANES && sb_store_lane_next(st, inst->name, n ? dp->pump.lanes[n - 1] : "",
	    dp->pump.lanes[n], sizeof(dp->pump.lanes[n])) == 0)
		n++;
	*held = n == SB_MAX_LANES;
	for (size_t k = 0; k < n; k++) {
		const char *name = dp->pump.lanes[(k + inst->lane_rr) % n];
		const struct sb_config_subaccount *sub = sb_config_subaccount(cfg, name);
		int share = (remaining + (int)(n - k) - 1) / (int)(n - k);
		struct sb_sub_bucket *sb = NULL;
		size_t before = dp->pump.nready;
		int64_t w = 0;
		int allow;

		if (remaining <= 0) {
			*held = 1;
			break;
		}
		allow = sub != NULL ? sb_lanes_sub_allowance(dp, sub, now_us, &w, &sb) : INT_MAX;
		if (allow == 0) {
			if (w > 0)
				lower_wait(wait, w); /* its next token; an answer wakes the rest */
			*held = 1;
			continue;
		}
		if (share > allow)
			share = allow;
		sb_store_attempts_ready_lane(st, inst->name, name, now, share, sb_pump_collect, dp);
		/* A lane that filled its share may have more due. */
		if (dp->pump.nready - before == (size_t)share)
			*held = 1;
		if (sb != NULL && sub->rate > 0)
			sb_bucket_take(&sb->bucket, (int)(dp->pump.nready - before));
		remaining -= (int)(dp->pump.nready - before);
	}
	inst->lane_rr++;
	return dp->pump.nready - start;
}

size_t
sb_lanes_select(struct sb_dispatch *dp, struct sb_instance *inst, int64_t now, int cap,
    int64_t *wait)
{
	int held = 0;
	int64_t next = 0;
	size_t got;

	if (sb_lanes_limited(dp->d->cfg)) {
		got = select_lanes(dp, inst, now, cap, wait, &held);
	} else {
		size_t start = dp->pump.nready;

		sb_store_attempts_ready(dp->d->store, inst->name, now, cap, sb_pump_collect, dp);
		got = dp->pump.nready - start;
	}
	/* Not a full batch: the rest of this queue waits for a retry time. */
	if (got < (size_t)cap) {
		next = sb_store_instance_next_queued(dp->d->store, inst->name, now);
		if (next != INT64_MAX)
			lower_wait(wait, next - now);
	}
	/* Known: nothing is due before `next`, if this read took every due
	 * attempt (no lane held one back, the batch had room for all); else
	 * more may be due now. */
	inst->queue_read_ms = now;
	inst->queue_due_ms = got < (size_t)cap && !held && !dp->pump.refused ? next : 0;
	return got;
}
