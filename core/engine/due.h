/*
 * due.h - the engine's time (due.c): the receipt polling schedule, as pure
 * arithmetic, and whether an instance is polled.
 *
 * An attempt accepted at `base` is polled at base + i1, base + i1 + i2,
 * ... (the intervals of plugins.X.poll.intervals; the last one repeats),
 * and a last time at base + until, unless a final status comes first.
 */
#ifndef SB_DUE_H
#define SB_DUE_H

#include <stdint.h>

struct sb_config_poll;
struct sb_instance;

/*
 * The first poll time after `now_ms` for an attempt accepted at
 * `base_ms`, or 0 when none is left (now_ms is at or past base + until).
 * Points of the schedule already past (a restart after a long stop) are
 * skipped, not made up.
 */
int64_t sb_poll_next(const struct sb_config_poll *p, int64_t base_ms, int64_t now_ms);

/* 1 if the host polls this channel instance for receipts (docs/config.md). */
int sb_instance_polls(const struct sb_instance *inst);

#endif
