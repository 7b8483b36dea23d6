/*
 * ratelimit.c - token buckets: how many sends a rate allows now, and when
 * the next one may go. Pure arithmetic on monotonic microseconds.
 */
#include <limits.h>
#include <math.h>

#include "ratelimit.h"

int
sb_bucket_allowance(struct sb_bucket *b, double rate, double burst, int64_t now_us,
    int64_t *wait_ms)
{
	*wait_ms = 0;
	if (rate <= 0)
		return INT_MAX;
	if (burst < 1)
		burst = 1;
	if (b->refill_us == 0)
		b->tokens = burst;
	else if (now_us > b->refill_us)
		b->tokens += (double)(now_us - b->refill_us) / 1e6 * rate;
	if (b->tokens > burst)
		b->tokens = burst;
	b->refill_us = now_us;
	if (b->tokens < 1.0) {
		*wait_ms = (int64_t)ceil((1.0 - b->tokens) / rate * 1000.0);
		if (*wait_ms < 1)
			*wait_ms = 1;
		return 0;
	}
	return b->tokens >= (double)INT_MAX ? INT_MAX : (int)b->tokens;
}

void
sb_bucket_take(struct sb_bucket *b, int n)
{
	b->tokens -= n;
}
