/*
 * ratelimit.h - token buckets, the one rate-limit mechanism of the daemon.
 *
 * A bucket holds up to `burst` tokens and gains `rate` tokens per second;
 * each send spends one. Channel instances have one (plugins.X.rate/burst)
 * and so do subaccounts (subaccounts.X.rate/burst), shared by every
 * instance that carries the subaccount's messages. The bucket is pure
 * arithmetic on a caller-supplied monotonic time, so it is tested without
 * a clock. What waits for a token stays `queued` in the store.
 */
#ifndef SB_RATELIMIT_H
#define SB_RATELIMIT_H

#include <stdint.h>

struct sb_bucket {
	double tokens;
	int64_t refill_us;   /* monotonic time of the last refill; 0: never (starts full) */
};

/*
 * Refill `b` up to `now_us` and return how many whole tokens it holds:
 * INT_MAX when rate <= 0 (no limit). When it holds none, *wait_ms is the
 * time until the next token (at least 1), else 0. A burst below 1 counts
 * as 1.
 */
int sb_bucket_allowance(struct sb_bucket *b, double rate, double burst, int64_t now_us,
    int64_t *wait_ms);

/* Spend `n` tokens (sends that just started). */
void sb_bucket_take(struct sb_bucket *b, int n);

#endif
